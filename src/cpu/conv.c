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

/* Rows [b, e) of the tile starting at output row m0, for group g, in the
 * input's dtype (zero bits are zero in every float dtype). */
static void gather_rows(void *vctx, int64_t b, int64_t e) {
    const gather_ctx *t = vctx;
    const conv_plan *pl = t->pl;
    const mxi_conv_params *p = pl->p;
    int nd = pl->nd;
    int64_t run = pl->cig * pl->isz;
    for (int64_t r = b; r < e; r++) {
        int64_t m = t->m0 + r;
        int64_t n = m / pl->out_vol, rem = m % pl->out_vol;
        int64_t base[MXI_CONV_MAX_DIMS];
        for (int d = nd - 1; d >= 0; d--) {
            base[d] = (rem % pl->out_sp[d]) * p->stride[d] - p->pad_lo[d];
            rem /= pl->out_sp[d];
        }
        char *dst = t->col + r * pl->kc * pl->isz;
        int64_t off0 = n * pl->s_n + (int64_t)t->g * pl->cig * pl->s_c;
        int64_t k[MXI_CONV_MAX_DIMS] = {0};
        for (int64_t kk = 0; kk < pl->kvol; kk++, dst += run) {
            int64_t off = off0;
            bool ok = true;
            for (int d = 0; d < nd; d++) {
                int64_t x = base[d] + k[d] * p->kernel_dilation[d];
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
                if (++k[d] < pl->k_sp[d]) break;
                k[d] = 0;
            }
        }
    }
}

static void gemm(const conv_plan *pl, int64_t rows, const void *a, int64_t lda, const void *w,
                 void *c, int64_t ldc) {
    int M = (int)rows, N = (int)pl->cog, K = (int)pl->kc;
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

    bool direct = !half && pl.kvol == 1 && input_is_matrix(x) && x->shape[0] == out->shape[0];
    for (int d = 0; direct && d < nd; d++)
        direct = p->stride[d] == 1 && p->pad_lo[d] == 0 && p->pad_hi[d] == 0 &&
                 p->input_dilation[d] == 1 && pl.in_sp[d] == pl.out_sp[d];

    int64_t rows = TILE_BYTES / (pl.kc * pl.wsz);
    if (rows < 1) rows = 1;
    if (rows > pl.m) rows = pl.m;
    if (rows > INT_MAX) rows = INT_MAX;
    size_t col_bytes = direct ? 0 : (size_t)(rows * pl.kc * pl.wsz);
    size_t c_bytes = half ? (size_t)(rows * pl.cout * 4) : 0;
    size_t raw_bytes = half ? (size_t)(rows * pl.kc * 2) : 0;
    char *col = col_bytes ? mxi_alloc(col_bytes) : NULL;
    char *ctile = c_bytes ? mxi_alloc(c_bytes) : NULL;
    char *raw = raw_bytes ? mxi_alloc(raw_bytes) : NULL;
    if ((col_bytes && !col) || (c_bytes && !ctile) || (raw_bytes && !raw)) {
        rc = mxi_error(MX_ERR_MEMORY, "[conv] out of memory for a %zu-byte tile",
                       col_bytes + c_bytes + raw_bytes);
        goto done;
    }

    char *o = mxi_data(out);
    int64_t grain = 16384 / (pl.kc + 1) + 1;
    for (int64_t m0 = 0; m0 < pl.m; m0 += rows) {
        int64_t mt = pl.m - m0 < rows ? pl.m - m0 : rows;
        for (int g = 0; g < p->groups; g++) {
            const char *wg = (const char *)wmat + (int64_t)g * pl.cog * pl.kc * pl.wsz;
            const void *a;
            int64_t lda;
            if (direct) {
                a = pl.in + (m0 * pl.cin + (int64_t)g * pl.cig) * pl.isz;
                lda = pl.cin;
            } else {
                /* 16-bit inputs are gathered as they are, then widened in
                 * one vectorised pass over the tile */
                gather_ctx t = {&pl, half ? raw : col, m0, g};
                mxi_parallel_for(mt, grain, gather_rows, &t);
                if (half) mxi_convert_contiguous(col, MX_FLOAT32, raw, pl.dtype, mt * pl.kc);
                a = col;
                lda = pl.kc;
            }
            if (half)
                gemm(&pl, mt, a, lda, wg, ctile + (int64_t)g * pl.cog * 4, pl.cout);
            else
                gemm(&pl, mt, a, lda, wg, o + (m0 * pl.cout + (int64_t)g * pl.cog) * pl.isz,
                     pl.cout);
        }
        if (half)
            mxi_convert_contiguous(o + m0 * pl.cout * pl.isz, pl.dtype, ctile, MX_FLOAT32,
                                   mt * pl.cout);
    }
done:
    if (col) mxi_free(col, col_bytes);
    if (ctile) mxi_free(ctile, c_bytes);
    if (raw) mxi_free(raw, raw_bytes);
    if (wown) mxi_free(wown, wbytes ? wbytes : 1);
    return rc;
}
