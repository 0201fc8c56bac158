/*
 * Convolution on the CPU: im2col in tiles, then gemm (OpenBLAS).
 *
 * The output, (N, spatial..., C_out) row-major, is an M x C_out matrix with
 * M = N * output positions. For a tile of output rows and one group, the
 * input values each row sees (kernel positions x the group's C_in / groups
 * channels) are gathered into a row of a col matrix, which times the
 * group's weight matrix (C_out / groups x kernel volume * C_in / groups,
 * the weight's own layout) gives the tile's outputs for the group. Tiles
 * bound the scratch to a few MiB whatever the input size. Padding and input
 * dilation are resolved while gathering (positions that fall on padding or
 * between dilated inputs read as zeros), so neither a padded nor a dilated
 * copy of the input is ever made; the input is read in place with its own
 * strides. A 1x1 kernel with unit strides and no padding needs no gather:
 * the input itself is the col matrix.
 *
 * With input dilation (transposed convolutions) most kernel taps of an
 * output position fall between dilated inputs. Which taps are real depends
 * only on the position modulo the dilation, so the outputs are computed in
 * those phase classes: per class only its real taps are gathered (with the
 * matching rows of the weight), and the class's outputs, spaced by the
 * dilation, are scattered into place from a scratch tile. A stride-2
 * transposed 2-d convolution thus multiplies a quarter of what the plain
 * gather would.
 *
 * float16 and bfloat16 are gathered as they are, widened to float32 one
 * tile at a time, and the products rounded back once per tile.
 */
#include <cblas.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "copy.h"
#include "core/allocator.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "primitives/params_conv.h"

/* Scratch for one col tile. */
#define TILE_BYTES ((int64_t)4 << 20)

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

/* BLAS runs while our pool is idle (the gathers run before each gemm), so it
 * may use as many threads as the pool has, and no more. */
static void blas_init(void) {
    openblas_set_num_threads(mxi_num_threads());
}

typedef struct conv_plan {
    const mxi_conv_params *p;
    int nd;
    mx_dtype dtype;
    bool dbl;    /* work in double (float64), else float */
    int64_t wsz; /* bytes of a work element */
    int64_t isz; /* bytes of an input element */
    int64_t in_sp[MXI_CONV_MAX_DIMS], out_sp[MXI_CONV_MAX_DIMS], k_sp[MXI_CONV_MAX_DIMS];
    int64_t s_n, s_sp[MXI_CONV_MAX_DIMS], s_c; /* input strides, elements */
    int64_t cin, cout, cig, cog, kvol, kc, out_vol, m;
    const char *in;
    /* The phase class being computed: along axis d its output positions are
     * first[d] + j * step[d], j < cnt[d], and its real kernel taps are
     * taps[d][0..ntaps[d]). Without input dilation there is one class: every
     * position, every tap. */
    int64_t first[MXI_CONV_MAX_DIMS], step[MXI_CONV_MAX_DIMS], cnt[MXI_CONV_MAX_DIMS];
    int64_t *taps[MXI_CONV_MAX_DIMS], ntaps[MXI_CONV_MAX_DIMS];
    int64_t cvol;       /* positions of the class per batch entry */
    int64_t ckvol, ckc; /* its taps, and taps * C_in / groups */
} conv_plan;

/* n elements at src (stride pl->s_c) into dst, copied as they are. */
static void gather_run(const conv_plan *pl, char *dst, const char *src, int64_t n) {
    int64_t st = pl->s_c;
    if (st == 1) {
        memcpy(dst, src, (size_t)(n * pl->isz));
        return;
    }
    switch (pl->isz) {
    case 2:
        for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = ((const uint16_t *)src)[i * st];
        break;
    case 4:
        for (int64_t i = 0; i < n; i++) ((uint32_t *)dst)[i] = ((const uint32_t *)src)[i * st];
        break;
    default:
        for (int64_t i = 0; i < n; i++) ((uint64_t *)dst)[i] = ((const uint64_t *)src)[i * st];
        break;
    }
}

typedef struct gather_ctx {
    const conv_plan *pl;
    char *col;
    int64_t m0;
    int g;
} gather_ctx;

/* Rows [b, e) of the tile starting at row m0 of the current class, for
 * group g, in the input's dtype (zero bits are zero in every float dtype). */
static void gather_rows(void *vctx, int64_t b, int64_t e) {
    const gather_ctx *t = vctx;
    const conv_plan *pl = t->pl;
    const mxi_conv_params *p = pl->p;
    int nd = pl->nd;
    int64_t run = pl->cig * pl->isz;
    for (int64_t r = b; r < e; r++) {
        int64_t m = t->m0 + r;
        int64_t n = m / pl->cvol, rem = m % pl->cvol;
        int64_t base[MXI_CONV_MAX_DIMS];
        for (int d = nd - 1; d >= 0; d--) {
            int64_t o = pl->first[d] + (rem % pl->cnt[d]) * pl->step[d];
            base[d] = o * p->stride[d] - p->pad_lo[d];
            rem /= pl->cnt[d];
        }
        char *dst = t->col + r * pl->ckc * pl->isz;
        int64_t off0 = n * pl->s_n + (int64_t)t->g * pl->cig * pl->s_c;
        int64_t k[MXI_CONV_MAX_DIMS] = {0};
        for (int64_t kk = 0; kk < pl->ckvol; kk++, dst += run) {
            int64_t off = off0;
            bool ok = true;
            for (int d = 0; d < nd; d++) {
                int64_t x = base[d] + pl->taps[d][k[d]] * p->kernel_dilation[d];
                int64_t id = p->input_dilation[d];
                if (x < 0 || x % id) {
                    ok = false;
                    break;
                }
                x /= id;
                if (x >= pl->in_sp[d]) {
                    ok = false;
                    break;
                }
                off += x * pl->s_sp[d];
            }
            if (ok)
                gather_run(pl, dst, pl->in + off * pl->isz, pl->cig);
            else
                memset(dst, 0, (size_t)run);
            for (int d = nd - 1; d >= 0; d--) {
                if (++k[d] < pl->ntaps[d]) break;
                k[d] = 0;
            }
        }
    }
}

/* The output row of row m of the current class. */
static int64_t class_row(const conv_plan *pl, int64_t m) {
    int64_t n = m / pl->cvol, rem = m % pl->cvol, row = 0, scale = 1;
    for (int d = pl->nd - 1; d >= 0; d--) {
        row += (pl->first[d] + (rem % pl->cnt[d]) * pl->step[d]) * scale;
        rem /= pl->cnt[d];
        scale *= pl->out_sp[d];
    }
    return n * pl->out_vol + row;
}

/* The class's weight: for every output channel, the rows of its real taps. */
static void class_weight(const conv_plan *pl, const char *w, char *dst) {
    int nd = pl->nd;
    size_t run = (size_t)(pl->cig * pl->wsz);
    for (int64_t co = 0; co < pl->cout; co++) {
        int64_t k[MXI_CONV_MAX_DIMS] = {0};
        for (int64_t kk = 0; kk < pl->ckvol; kk++, dst += run) {
            int64_t flat = 0;
            for (int d = 0; d < nd; d++) flat = flat * pl->k_sp[d] + pl->taps[d][k[d]];
            memcpy(dst, w + (co * pl->kvol + flat) * (int64_t)run, run);
            for (int d = nd - 1; d >= 0; d--) {
                if (++k[d] < pl->ntaps[d]) break;
                k[d] = 0;
            }
        }
    }
}

static void gemm(const conv_plan *pl, int64_t rows, const void *a, int64_t lda, const void *w,
                 void *c, int64_t ldc) {
    int M = (int)rows, N = (int)pl->cog, K = (int)pl->ckc;
    if (pl->dbl)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0, a, (int)lda, w, K, 0.0,
                    c, (int)ldc);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, (int)lda, w, K, 0.0f,
                    c, (int)ldc);
}

/* Whether the input is one row-major (M, C_in) matrix (any stride on
 * length-1 axes). */
static bool input_is_matrix(const mx_array *x) {
    int64_t expect = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        if (x->shape[d] != 1 && x->strides[d] != expect) return false;
        expect *= x->shape[d];
    }
    return true;
}

/* The weight in the work type, row-major (C_out, kernel..., C_in / groups),
 * its spatial axes reversed when flipping. *owned tells whether it was
 * allocated (bytes *nbytes). */
static int prepare_weight(const conv_plan *pl, const mx_array *w, const void **out, void **owned,
                          size_t *nbytes) {
    const mxi_conv_params *p = pl->p;
    *owned = NULL;
    bool same = !p->flip && (pl->dtype == MX_FLOAT32 || pl->dtype == MX_FLOAT64);
    if (same && input_is_matrix(w)) {
        *out = mxi_data(w);
        return MX_OK;
    }
    int64_t st[MXI_CONV_MAX_DIMS + 2];
    const char *src = mxi_data(w);
    for (int d = 0; d < w->ndim; d++) {
        st[d] = w->strides[d];
        if (p->flip && d >= 1 && d <= pl->nd && w->shape[d] > 0) {
            src += (int64_t)(w->shape[d] - 1) * st[d] * pl->isz;
            st[d] = -st[d];
        }
    }
    *nbytes = (size_t)(w->size * pl->wsz);
    void *buf = mxi_alloc(*nbytes ? *nbytes : 1);
    if (!buf) return mxi_error(MX_ERR_MEMORY, "[conv] out of memory for the weight");
    int rc = mxi_copy_to_contiguous(buf, pl->dbl ? MX_FLOAT64 : MX_FLOAT32, src, pl->dtype,
                                    w->shape, st, w->ndim);
    if (rc != MX_OK) {
        mxi_free(buf, *nbytes ? *nbytes : 1);
        return rc;
    }
    *owned = buf;
    *out = buf;
    return MX_OK;
}

int mxi_cpu_conv(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_conv_params *p = node->params;
    mx_array *x = inputs[0], *w = inputs[1], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;

    conv_plan pl = {.p = p, .nd = p->ndim, .dtype = out->dtype};
    int nd = pl.nd;
    pl.dbl = pl.dtype == MX_FLOAT64;
    pl.wsz = pl.dbl ? 8 : 4;
    pl.isz = mx_dtype_size(pl.dtype);
    pl.s_n = x->strides[0];
    pl.s_c = x->strides[nd + 1];
    pl.cin = x->shape[nd + 1];
    pl.cout = out->shape[nd + 1];
    pl.cig = pl.cin / p->groups;
    pl.cog = pl.cout / p->groups;
    pl.kvol = 1;
    pl.out_vol = 1;
    for (int d = 0; d < nd; d++) {
        pl.in_sp[d] = x->shape[d + 1];
        pl.out_sp[d] = out->shape[d + 1];
        pl.k_sp[d] = w->shape[d + 1];
        pl.s_sp[d] = x->strides[d + 1];
        pl.kvol *= pl.k_sp[d];
        pl.out_vol *= pl.out_sp[d];
    }
    pl.kc = pl.kvol * pl.cig;
    pl.m = out->size / pl.cout;
    pl.in = x->size ? mxi_data(x) : NULL;

    bool half = pl.dtype == MX_FLOAT16 || pl.dtype == MX_BFLOAT16;
    if (pl.kc == 0) { /* nothing to sum: zeros */
        memset(mxi_data(out), 0, (size_t)(out->size * pl.isz));
        return MX_OK;
    }
    if (pl.kc > INT_MAX || pl.cout > INT_MAX)
        return mxi_error(MX_ERR_VALUE, "[conv] a kernel of %lld values per output is too large",
                         (long long)pl.kc);
    pthread_once(&blas_once, blas_init);

    const void *wmat = NULL;
    void *wown = NULL;
    size_t wbytes = 0;
    rc = prepare_weight(&pl, w, &wmat, &wown, &wbytes);
    if (rc != MX_OK) return rc;

    bool phased = false;
    for (int d = 0; d < nd; d++) phased |= p->input_dilation[d] > 1;
    bool direct = !half && !phased && pl.kvol == 1 && input_is_matrix(x);
    for (int d = 0; direct && d < nd; d++)
        direct = p->stride[d] == 1 && p->pad_lo[d] == 0 && pl.in_sp[d] == pl.out_sp[d];

    int64_t rows = TILE_BYTES / (pl.kc * pl.wsz);
    if (rows < 1) rows = 1;
    if (rows > pl.m) rows = pl.m;
    if (rows > INT_MAX) rows = INT_MAX;
    /* products go to a scratch tile when they are rounded or scattered */
    bool via_tile = half || phased;
    int64_t ntap_all = 0;
    for (int d = 0; d < nd; d++) ntap_all += pl.k_sp[d];
    size_t col_bytes = direct ? 0 : (size_t)(rows * pl.kc * pl.wsz);
    size_t c_bytes = via_tile ? (size_t)(rows * pl.cout * pl.wsz) : 0;
    size_t raw_bytes = half ? (size_t)(rows * pl.kc * 2) : 0;
    size_t ws_bytes = phased ? (size_t)(w->size * pl.wsz) : 0;
    size_t tap_bytes = (size_t)(ntap_all + 1) * sizeof(int64_t);
    char *col = col_bytes ? mxi_alloc(col_bytes) : NULL;
    char *ctile = c_bytes ? mxi_alloc(c_bytes) : NULL;
    char *raw = raw_bytes ? mxi_alloc(raw_bytes) : NULL;
    char *wsub = ws_bytes ? mxi_alloc(ws_bytes) : NULL;
    int64_t *tapbuf = mxi_alloc(tap_bytes);
    if ((col_bytes && !col) || (c_bytes && !ctile) || (raw_bytes && !raw) || (ws_bytes && !wsub) ||
        !tapbuf) {
        rc = mxi_error(MX_ERR_MEMORY, "[conv] out of memory for a %zu-byte tile",
                       col_bytes + c_bytes + raw_bytes + ws_bytes);
        goto done;
    }
    for (int d = 0, at = 0; d < nd; d++) {
        pl.taps[d] = tapbuf + at;
        at += (int)pl.k_sp[d];
        pl.step[d] = p->input_dilation[d];
    }

    char *o = mxi_data(out);
    int64_t nclass = 1;
    for (int d = 0; d < nd; d++) nclass *= pl.step[d];
    for (int64_t c = 0; c < nclass; c++) {
        /* the class's positions and real taps along each axis */
        int64_t rem = c;
        pl.cvol = 1;
        pl.ckvol = 1;
        for (int d = nd - 1; d >= 0; d--) {
            int64_t id = pl.step[d];
            pl.first[d] = rem % id;
            rem /= id;
            pl.cnt[d] = pl.out_sp[d] > pl.first[d] ? (pl.out_sp[d] - pl.first[d] + id - 1) / id : 0;
            pl.ntaps[d] = 0;
            int64_t base = pl.first[d] * p->stride[d] - p->pad_lo[d];
            for (int64_t k = 0; k < pl.k_sp[d]; k++) {
                int64_t xk = base + k * p->kernel_dilation[d];
                if (((xk % id) + id) % id == 0) pl.taps[d][pl.ntaps[d]++] = k;
            }
            pl.cvol *= pl.cnt[d];
            pl.ckvol *= pl.ntaps[d];
        }
        if (pl.cvol == 0) continue;
        pl.ckc = pl.ckvol * pl.cig;
        int64_t mc = (pl.m / pl.out_vol) * pl.cvol;
        if (pl.ckc == 0) { /* no input reaches these positions */
            for (int64_t m = 0; m < mc; m++)
                memset(o + class_row(&pl, m) * pl.cout * pl.isz, 0, (size_t)(pl.cout * pl.isz));
            continue;
        }
        const char *wc = wmat;
        if (phased) {
            class_weight(&pl, wmat, wsub);
            wc = wsub;
        }
        int64_t grain = 16384 / (pl.ckc + 1) + 1;
        for (int64_t m0 = 0; m0 < mc; m0 += rows) {
            int64_t mt = mc - m0 < rows ? mc - m0 : rows;
            for (int g = 0; g < p->groups; g++) {
                const char *wg = wc + (int64_t)g * pl.cog * pl.ckc * pl.wsz;
                const void *a;
                int64_t lda;
                if (direct) {
                    a = pl.in + (m0 * pl.cin + (int64_t)g * pl.cig) * pl.isz;
                    lda = pl.cin;
                } else {
                    /* 16-bit inputs are gathered as they are, then widened
                     * in one vectorised pass over the tile */
                    gather_ctx t = {&pl, half ? raw : col, m0, g};
                    mxi_parallel_for(mt, grain, gather_rows, &t);
                    if (half) mxi_convert_contiguous(col, MX_FLOAT32, raw, pl.dtype, mt * pl.ckc);
                    a = col;
                    lda = pl.ckc;
                }
                if (via_tile)
                    gemm(&pl, mt, a, lda, wg, ctile + (int64_t)g * pl.cog * pl.wsz, pl.cout);
                else
                    gemm(&pl, mt, a, lda, wg, o + (m0 * pl.cout + (int64_t)g * pl.cog) * pl.isz,
                         pl.cout);
            }
            if (!via_tile) continue;
            if (!phased) {
                mxi_convert_contiguous(o + m0 * pl.cout * pl.isz, pl.dtype, ctile, MX_FLOAT32,
                                       mt * pl.cout);
                continue;
            }
            for (int64_t r = 0; r < mt; r++) {
                char *dst = o + class_row(&pl, m0 + r) * pl.cout * pl.isz;
                const char *src = ctile + r * pl.cout * pl.wsz;
                if (half)
                    mxi_convert_contiguous(dst, pl.dtype, src, MX_FLOAT32, pl.cout);
                else
                    memcpy(dst, src, (size_t)(pl.cout * pl.isz));
            }
        }
    }
done:
    if (col) mxi_free(col, col_bytes);
    if (ctile) mxi_free(ctile, c_bytes);
    if (raw) mxi_free(raw, raw_bytes);
    if (wsub) mxi_free(wsub, ws_bytes);
    if (tapbuf) mxi_free(tapbuf, tap_bytes);
    if (wown) mxi_free(wown, wbytes ? wbytes : 1);
    return rc;
}
