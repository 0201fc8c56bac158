/*
 * The mlx.core.fast kernels on the CPU: RMSNorm, LayerNorm, RoPE and
 * ScaledDotProductAttention, each one fused pass over its input.
 *
 * Inputs may have any strides. Rows along the last axis are what the inner
 * loops (fast_kernels.inc, per vector level) work on, so an input whose last
 * axis is not unit-stride is first copied to a contiguous temporary; other
 * axes are walked by stride. Work is split over rows (norms), positions
 * (RoPE) or (batch, key/value head, query tile) groups (attention) on the
 * thread pool. Large outputs skip the cache: float16 kernels with F16C
 * write aligned rows with their own streaming stores, other norm outputs are
 * staged a row at a time and streamed, other RoPE outputs are written
 * directly (staging measured about twice as slow for its rows).
 *
 * Attention streams keys and values once per group of query rows that
 * share a key/value head: blocks of keys are scored against every row of
 * the group, and each row keeps a running maximum, a running sum and an
 * output accumulator (online softmax), so a decode step reads K and V
 * exactly once whatever the number of query heads per key/value head.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cmlx/dtype_info.h"
#include "copy.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "cpu/simd.h"
#include "primitives/params_fast.h"
#include "strided.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "fast_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

#include "cpu/vmath.h"

static const mxi_fast_table *kernels(void) {
    static const void *const tables[MXI_SIMD_LEVELS] = MXI_SIMD_TABLES(fast);
    return mxi_simd_pick(tables);
}

static int dt_index(mx_dtype t) {
    return t == MX_FLOAT16 ? MXI_FK_F16 : t == MX_BFLOAT16 ? MXI_FK_BF16 : MXI_FK_F32;
}

/* An input viewed with a unit-stride last axis: the array itself, or a
 * contiguous copy (owned in `copy`). */
typedef struct view {
    const char *data;
    const int32_t *shape;
    int64_t strides[64]; /* in elements (MXI_MAX_NDIM axes at most) */
    int ndim;
    int64_t isz;
    void *copy;
} view;

static int view_init(view *v, const mx_array *a, const char *op) {
    v->shape = a->shape;
    v->ndim = a->ndim;
    v->isz = mx_dtype_size(a->dtype);
    v->copy = NULL;
    if (a->ndim > 64) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    if (a->size == 0 || a->ndim == 0 || a->strides[a->ndim - 1] == 1 ||
        a->shape[a->ndim - 1] == 1) {
        v->data = a->size ? mxi_data(a) : NULL;
        memcpy(v->strides, a->strides, (size_t)a->ndim * sizeof(int64_t));
        return MX_OK;
    }
    v->copy = malloc((size_t)(a->size * v->isz));
    if (!v->copy) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    int rc = mxi_copy_to_contiguous(v->copy, a->dtype, mxi_data(a), a->dtype, a->shape, a->strides,
                                    a->ndim);
    if (rc) return rc;
    v->data = v->copy;
    mxi_row_strides(v->strides, a->shape, a->ndim);
    return MX_OK;
}

/* Element offset of row r (row-major over the first ndim - 1 axes). */
static int64_t row_off(const view *v, int64_t r) {
    int64_t off = 0;
    for (int d = v->ndim - 2; d >= 0 && r; d--) {
        int64_t n = v->shape[d];
        off += (r % n) * v->strides[d];
        r /= n;
    }
    return off;
}

static void run_rows(int64_t rows, int64_t work_per_row, mxi_range_fn fn, void *ctx) {
    if (work_per_row < 1) work_per_row = 1;
    if (rows * work_per_row < 2 * MXI_ELEMWISE_GRAIN) {
        fn(ctx, 0, rows);
        return;
    }
    int64_t grain = MXI_ELEMWISE_GRAIN / work_per_row;
    mxi_parallel_for(rows, grain > 0 ? grain : 1, fn, ctx);
}

/* ---- RMSNorm and LayerNorm ---- */

typedef struct norm_job {
    const mxi_fast_table *k;
    int dt;
    bool rms, stream;
    int nt; /* the kernel streams its own stores */
    view x;
    const float *w, *b; /* contiguous float32, or NULL */
    char *out;
    int64_t n, osz;
    float eps;
    atomic_int failed;
} norm_job;

static void norm_range(void *ctx, int64_t r0, int64_t r1) {
    norm_job *j = ctx;
    void *tmp = NULL;
    if (j->stream && !j->nt &&
        !(tmp = aligned_alloc(64, (size_t)((j->n * j->osz + 63) / 64 * 64)))) {
        j->failed = 1;
        return;
    }
    int64_t rowb = j->n * j->x.isz;
    for (int64_t r = r0; r < r1; r++) {
        const char *x = j->x.data + row_off(&j->x, r) * j->x.isz;
        char *o = j->out + r * j->n * j->osz;
        /* The next row is requested while this one is worked on: between
         * rows the hardware prefetcher loses the stream, and a row of
         * float16 takes less work than its loads take to arrive. */
        if (r + 1 < r1 && rowb <= 65536) {
            const char *nx = j->x.data + row_off(&j->x, r + 1) * j->x.isz;
            for (int64_t b = 0; b < rowb; b += 64) __builtin_prefetch(nx + b);
        }
        void *dst = tmp ? tmp : o;
        if (j->rms)
            j->k->rms[j->dt](dst, x, j->w, j->n, j->eps, j->nt);
        else
            j->k->ln[j->dt](dst, x, j->w, j->b, j->n, j->eps, j->nt);
        if (tmp) mxi_stream_store(o, tmp, j->n * j->osz);
    }
    if (j->stream) mxi_stream_fence();
    free(tmp);
}

/* A 1-d weight or bias as contiguous float32: the array's own memory, or a
 * converted copy in *copy (NULL with MX_ERR_MEMORY recorded on failure). */
static const float *weights_f32(const mx_array *a, void **copy, const char *op) {
    *copy = NULL;
    if (a->dtype == MX_FLOAT32 && (a->size <= 1 || a->strides[0] == 1)) return mxi_data(a);
    *copy = malloc(sizeof(float) * (size_t)(a->size ? a->size : 1));
    if (!*copy) {
        mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
        return NULL;
    }
    if (mxi_copy_to_contiguous(*copy, MX_FLOAT32, mxi_data(a), a->dtype, a->shape, a->strides, 1))
        return NULL;
    return *copy;
}

static int norm(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs,
                bool rms) {
    const char *op = rms ? "rms_norm" : "layer_norm";
    const mxi_norm_params *p = node->params;
    mx_array *x = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    norm_job j = {.k = kernels(), .dt = dt_index(out->dtype), .rms = rms, .eps = p->eps};
    j.n = x->shape[x->ndim - 1];
    j.osz = mx_dtype_size(out->dtype);
    j.out = mxi_data(out);
    j.stream = out->size * j.osz >= mxi_stream_threshold();
    /* kernels with their own streaming stores write aligned rows directly
     * (no staging pass) */
    j.nt = j.stream && j.k->nt[j.dt] && ((uintptr_t)j.out & 63) == 0 && (j.n * j.osz) % 64 == 0;
    void *wc = NULL, *bc = NULL;
    int i = 1;
    rc = view_init(&j.x, x, op);
    if (rc) goto done;
    if (p->has_weight && !(j.w = weights_f32(inputs[i++], &wc, op))) rc = MX_ERR_MEMORY;
    if (!rc && p->has_bias && !(j.b = weights_f32(inputs[i++], &bc, op))) rc = MX_ERR_MEMORY;
    if (rc) goto done;
    run_rows(out->size / j.n, j.n, norm_range, &j);
    if (j.failed) rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
done:
    free(j.x.copy);
    free(wc);
    free(bc);
    return rc;
}

int mxi_cpu_rms_norm(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    return norm(node, inputs, outputs, true);
}

int mxi_cpu_layer_norm(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    return norm(node, inputs, outputs, false);
}

/* ---- RoPE ---- */

typedef struct rope_job {
    const mxi_fast_table *k;
    const mxi_rope_params *p;
    int dt;
    int nt; /* the kernel streams its own stores */
    view x; /* viewed as (B, N, T, D) */
    int64_t B, N, T, D, tb;
    bool shared; /* one angle table per block of positions for every batch entry */
    const int32_t *offset;
    int64_t offset_stride; /* 0: one offset for all */
    const float *inv_freq; /* half entries */
    char *out;
    int64_t osz;
    atomic_int failed;
} rope_job;

/* One work item is one (batch entry, block of tb positions): the angles of
 * the block are computed once into a table that stays in cache, then the
 * rows of every head are rotated, each head's block being one contiguous
 * stretch of memory for contiguous inputs. */
static void rope_range(void *ctx, int64_t i0, int64_t i1) {
    rope_job *j = ctx;
    int64_t half = j->p->dims / 2, D = j->D, rowb = D * j->osz, tb = j->tb;
    int64_t nblk = (j->T + tb - 1) / tb;
    float *buf = malloc((size_t)(half * (2 * tb + 1)) * sizeof(float) + 64);
    if (!buf) {
        j->failed = 1;
        return;
    }
    float *th = buf, *cs = buf + half; /* per position: half cosines, then half sines */
    int64_t rowx = D * j->x.isz, pd = rowx < 4096 ? 4096 / rowx : 1;
    for (int64_t it = i0; it < i1; it++) {
        /* one offset for all: the block's table serves every batch entry */
        int64_t shared = j->shared;
        int64_t b0 = shared ? 0 : it / nblk, b1 = shared ? j->B : b0 + 1;
        int64_t t0 = (it % nblk) * tb, nt = j->T - t0 < tb ? j->T - t0 : tb;
        for (int64_t u = 0; u < nt; u++) {
            float *c = cs + 2 * u * half, *s = c + half;
            float pos = (float)(t0 + u + j->offset[b0 * j->offset_stride]) * j->p->scale;
            for (int64_t i = 0; i < half; i++) th[i] = pos * j->inv_freq[i];
            j->k->sincos(c, s, th, half);
            for (int64_t i = 0; i < half; i++)
                if (!(fabsf(th[i]) <= MXI_FK_SINCOS_MAX)) c[i] = cosf(th[i]), s[i] = sinf(th[i]);
            if (!j->p->forward)
                for (int64_t i = 0; i < half; i++) s[i] = -s[i];
        }
        for (int64_t b = b0; b < b1; b++)
            for (int64_t n = 0; n < j->N; n++) {
                char *ob = j->out + ((b * j->N + n) * j->T + t0) * rowb;
                for (int64_t u = 0; u < nt; u++) {
                    int64_t t = t0 + u;
                    /* rows about 4 KiB ahead are requested as we go, across
                     * the jump to the next head that the prefetcher does
                     * not follow */
                    int64_t ua = u + pd, na = n;
                    if (ua >= nt) ua -= nt, na++;
                    if (na < j->N && ua < nt)
                        for (int64_t q = 0; q < rowx; q += 64)
                            __builtin_prefetch(j->x.data +
                                               (b * j->x.strides[0] + na * j->x.strides[1] +
                                                (t0 + ua) * j->x.strides[2]) *
                                                   j->x.isz +
                                               q);
                    const float *c = cs + 2 * u * half;
                    const char *x = j->x.data + (b * j->x.strides[0] + n * j->x.strides[1] +
                                                 t * j->x.strides[2]) *
                                                    j->x.isz;
                    char *dst = ob + u * rowb;
                    j->k->rope[j->dt](dst, x, c, c + half, half, j->p->traditional, j->nt);
                    if (j->p->dims < D)
                        memcpy(dst + j->p->dims * j->osz, x + j->p->dims * j->osz,
                               (size_t)((D - j->p->dims) * j->osz));
                }
            }
    }
    if (j->nt) mxi_stream_fence();
    free(buf);
}

/* The stride of the axes between the first and the last two, flattened
 * into one (0 when they are all of size 1); false when they do not
 * flatten. */
static bool middle_stride(const view *v, int nd, int64_t *sn) {
    int64_t expect = 0;
    bool first = true;
    *sn = 0;
    for (int d = nd - 3; d >= 1; d--) {
        if (v->shape[d] == 1) continue;
        if (first) {
            *sn = v->strides[d];
            first = false;
        } else if (v->strides[d] != expect) {
            return false;
        }
        expect = v->strides[d] * v->shape[d];
    }
    return true;
}

int mxi_cpu_rope(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_rope_params *p = node->params;
    mx_array *x = inputs[0], *off = inputs[1], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    rope_job j = {.k = kernels(), .p = p, .dt = dt_index(x->dtype), .out = mxi_data(out)};
    j.osz = mx_dtype_size(x->dtype);
    int nd = x->ndim;
    j.B = x->shape[0];
    j.T = x->shape[nd - 2];
    j.D = x->shape[nd - 1];
    j.N = x->size / (j.B * j.T * j.D);
    int64_t half = p->dims / 2;
    float *inv = malloc((size_t)half * sizeof(float));
    if (!inv) return mxi_error(MX_ERR_MEMORY, "[rope] out of memory");
    /* The same float32 steps as the composition: base^(-i/half) as
     * exp(-i * (log(base) / half)), or 1 / freqs. */
    if (p->has_freqs) {
        const mx_array *f = inputs[2];
        const float *fd = mxi_data(f);
        for (int64_t i = 0; i < half; i++) inv[i] = 1.0f / fd[i * f->strides[0]];
    } else {
        float c = logf(p->base) / (float)half;
        for (int64_t i = 0; i < half; i++) inv[i] = expf((float)(-i) * c);
    }
    j.inv_freq = inv;
    j.offset = mxi_data(off);
    j.offset_stride = off->size > 1 ? off->strides[0] : 0;
    /* Middle axes (1 .. nd-3) flatten into N when their strides allow;
     * otherwise the input is copied contiguous first. */
    rc = view_init(&j.x, x, "rope");
    if (rc) goto done;
    int64_t sn = 0;
    if (!middle_stride(&j.x, nd, &sn)) {
        if (!j.x.copy && !(j.x.copy = malloc((size_t)(x->size * j.osz)))) {
            rc = mxi_error(MX_ERR_MEMORY, "[rope] out of memory");
            goto done;
        }
        rc = mxi_copy_to_contiguous(j.x.copy, x->dtype, mxi_data(x), x->dtype, x->shape, x->strides,
                                    nd);
        if (rc) goto done;
        j.x.data = j.x.copy;
        mxi_row_strides(j.x.strides, x->shape, nd);
        middle_stride(&j.x, nd, &sn);
    }
    int64_t st[4] = {j.x.strides[0], sn, j.x.strides[nd - 2], 1};
    memcpy(j.x.strides, st, sizeof st);
    /* Large outputs of kernels with their own streaming stores, in rows of
     * whole cache lines, skip the cache (staging them measured slower). */
    j.nt = out->size * j.osz >= mxi_stream_threshold() && j.k->nt[j.dt] &&
           ((uintptr_t)j.out & 63) == 0 && (j.D * j.osz) % 64 == 0 && half % 32 == 0 &&
           p->dims == j.D;
    /* blocks of positions whose angle table is about 32 KiB */
    j.tb = 4096 / (half > 0 ? half : 1);
    if (j.tb > 32768 / (j.D * j.osz)) j.tb = 32768 / (j.D * j.osz);
    if (j.tb < 1) j.tb = 1;
    if (j.tb > j.T) j.tb = j.T;
    int64_t nblk = (j.T + j.tb - 1) / j.tb;
    /* (with blocks enough to keep the threads busy) */
    j.shared = j.offset_stride == 0 && nblk >= 4 * mxi_num_threads();
    if (j.shared)
        run_rows(nblk, j.B * j.tb * j.N * j.D, rope_range, &j);
    else
        run_rows(j.B * nblk, j.tb * j.N * j.D, rope_range, &j);
    if (j.failed) rc = mxi_error(MX_ERR_MEMORY, "[rope] out of memory");
done:
    free(j.x.copy);
    free(inv);
    return rc;
}

/* ---- ScaledDotProductAttention ---- */

enum { SDPA_KB = 64, SDPA_ROWS = 64 };

typedef struct sdpa_job {
    const mxi_fast_table *k;
    const mxi_sdpa_params *p;
    int dt;
    view q, kk, v;
    const char *mask; /* bool or the dtype; NULL when none */
    const int64_t *ms;
    int mask_dt;
    const char *sinks; /* the dtype, Nq entries; NULL when none */
    int64_t sinks_stride;
    int64_t B, Nq, Nkv, rep, Tq, Tkv, D, Dv, qt, ntiles;
    float lowest; /* the score of a masked-out position */
    char *out;
    int64_t osz;
    atomic_int failed;
} sdpa_job;

static float load1(const char *p, int dt) {
    switch (dt) {
    case MXI_FK_F16:
        return mxi_f16_to_f32(*(const uint16_t *)p);
    case MXI_FK_BF16:
        return mxi_bf16_to_f32(*(const uint16_t *)p);
    default:
        return *(const float *)p;
    }
}

static void sdpa_range(void *ctx, int64_t g0, int64_t g1) {
    sdpa_job *j = ctx;
    const mxi_fast_table *k = j->k;
    int64_t D = j->D, Dv = j->Dv, R = j->rep * j->qt;
    float *mem = malloc(sizeof(float) * (size_t)(R * (D + Dv + SDPA_KB + 2)));
    if (!mem) {
        j->failed = 1;
        return;
    }
    float *qb = mem, *acc = qb + R * D, *sc = acc + R * Dv, *mrow = sc + R * SDPA_KB,
          *lrow = mrow + R;
    int64_t causal_shift = j->Tkv - j->Tq;
    for (int64_t g = g0; g < g1; g++) {
        int64_t tile = g % j->ntiles, hk = (g / j->ntiles) % j->Nkv, b = g / (j->ntiles * j->Nkv);
        int64_t i0 = tile * j->qt, nqi = j->Tq - i0 < j->qt ? j->Tq - i0 : j->qt, nr = j->rep * nqi;
        /* rows: r = hr * nqi + qi for query head hk * rep + hr, query i0 + qi */
        for (int64_t r = 0; r < nr; r++) {
            int64_t h = hk * j->rep + r / nqi, i = i0 + r % nqi;
            const char *qp =
                j->q.data +
                (b * j->q.strides[0] + h * j->q.strides[1] + i * j->q.strides[2]) * j->q.isz;
            k->load[j->dt](qb + r * D, qp, D, j->p->scale);
            memset(acc + r * Dv, 0, sizeof(float) * (size_t)Dv);
            if (j->sinks) {
                mrow[r] = load1(j->sinks + h * j->sinks_stride * j->osz, j->dt);
                lrow[r] = 1.0f;
            } else {
                mrow[r] = -INFINITY;
                lrow[r] = 0.0f;
            }
        }
        /* Causal: keys past the last query's horizon score the lowest value
         * for every row and add nothing once a row has a visible key. */
        int64_t kend = j->Tkv;
        if (j->p->mask == MXI_SDPA_MASK_CAUSAL && i0 + causal_shift >= 0) {
            int64_t last = i0 + nqi - 1 + causal_shift + 1;
            if (last < kend) kend = last;
        }
        const char *kbase = j->kk.data + (b * j->kk.strides[0] + hk * j->kk.strides[1]) * j->kk.isz;
        const char *vbase = j->v.data + (b * j->v.strides[0] + hk * j->v.strides[1]) * j->v.isz;
        for (int64_t k0 = 0; k0 < kend; k0 += SDPA_KB) {
            int64_t nk = kend - k0 < SDPA_KB ? kend - k0 : SDPA_KB;
            const char *kb = kbase + k0 * j->kk.strides[2] * j->kk.isz;
            const char *vb = vbase + k0 * j->v.strides[2] * j->v.isz;
            for (int64_t r = 0; r < nr; r++) {
                float *s = sc + r * SDPA_KB;
                int64_t h = hk * j->rep + r / nqi, i = i0 + r % nqi;
                k->scores[j->dt](s, qb + r * D, kb, j->kk.strides[2], nk, D);
                if (j->p->mask == MXI_SDPA_MASK_CAUSAL) {
                    int64_t lim = i + causal_shift - k0; /* keys <= lim visible */
                    for (int64_t c = lim + 1 < 0 ? 0 : lim + 1; c < nk; c++) s[c] = j->lowest;
                } else if (j->mask) {
                    const char *mp =
                        j->mask + (b * j->ms[0] + h * j->ms[1] + i * j->ms[2] + k0 * j->ms[3]) *
                                      (j->p->mask == MXI_SDPA_MASK_BOOL ? 1 : j->osz);
                    if (j->p->mask == MXI_SDPA_MASK_BOOL) {
                        for (int64_t c = 0; c < nk; c++)
                            if (!mp[c * j->ms[3]]) s[c] = j->lowest;
                    } else {
                        for (int64_t c = 0; c < nk; c++)
                            s[c] += load1(mp + c * j->ms[3] * j->osz, j->dt);
                    }
                }
                float mb = -INFINITY;
                for (int64_t c = 0; c < nk; c++) mb = s[c] > mb ? s[c] : mb;
                bool nan = false;
                for (int64_t c = 0; c < nk; c++) nan |= s[c] != s[c];
                if (mb == -INFINITY && !nan) continue; /* nothing visible in this block */
                float m = mrow[r];
                if (nan) mb = NAN;
                if (mb > m || mb != mb) {
                    float a = m == -INFINITY ? 0.0f : expf(m - mb);
                    lrow[r] *= a;
                    k->scale(acc + r * Dv, Dv, a);
                    mrow[r] = m = mb;
                }
                lrow[r] += k->expsum(s, nk, m);
                k->pv[j->dt](acc + r * Dv, s, vb, j->v.strides[2], nk, Dv);
            }
        }
        for (int64_t r = 0; r < nr; r++) {
            int64_t h = hk * j->rep + r / nqi, i = i0 + r % nqi;
            char *o = j->out + (((b * j->Nq + h) * j->Tq) + i) * Dv * j->osz;
            /* No keys (and no sink): the empty product of the composition
             * is zero. Every visible score -inf: softmax is 0 / 0. */
            float l = lrow[r];
            float inv = j->Tkv == 0 ? 0.0f : 1.0f / l;
            if (j->Tkv > 0 && l == 0.0f) inv = NAN;
            k->store[j->dt](o, acc + r * Dv, Dv, inv);
        }
    }
    free(mem);
}

int mxi_cpu_sdpa(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_sdpa_params *p = node->params;
    mx_array *q = inputs[0], *kk = inputs[1], *v = inputs[2], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    sdpa_job j = {.k = kernels(), .p = p, .dt = dt_index(out->dtype), .out = mxi_data(out)};
    j.osz = mx_dtype_size(out->dtype);
    j.B = q->shape[0];
    j.Nq = q->shape[1];
    j.Tq = q->shape[2];
    j.D = q->shape[3];
    j.Nkv = kk->shape[1];
    j.Tkv = kk->shape[2];
    j.Dv = v->shape[3];
    j.rep = j.Nq / j.Nkv;
    j.qt = SDPA_ROWS / j.rep > 1 ? SDPA_ROWS / j.rep : 1;
    if (j.qt > j.Tq) j.qt = j.Tq;
    j.ntiles = (j.Tq + j.qt - 1) / j.qt;
    mx_finfo fi;
    mx_finfo_get(&fi, out->dtype);
    j.lowest = (float)fi.min;
    int next = 3;
    if (p->mask == MXI_SDPA_MASK_BOOL || p->mask == MXI_SDPA_MASK_ADDITIVE) {
        mx_array *m = inputs[next++];
        j.mask = m->size ? mxi_data(m) : NULL;
        j.ms = m->strides;
    }
    if (p->has_sinks) {
        mx_array *s = inputs[next++];
        j.sinks = mxi_data(s);
        j.sinks_stride = s->strides[0];
    }
    j.q.copy = j.kk.copy = j.v.copy = NULL;
    if ((rc = view_init(&j.q, q, "scaled_dot_product_attention")) ||
        (rc = view_init(&j.kk, kk, "scaled_dot_product_attention")) ||
        (rc = view_init(&j.v, v, "scaled_dot_product_attention")))
        goto done;
    int64_t groups = j.B * j.Nkv * j.ntiles;
    int64_t work = j.rep * j.qt * j.Tkv * (j.D + j.Dv);
    if (groups > 1 && work * groups >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(groups, 1, sdpa_range, &j);
    else
        sdpa_range(&j, 0, groups);
    if (j.failed) rc = mxi_error(MX_ERR_MEMORY, "[scaled_dot_product_attention] out of memory");
done:
    free(j.q.copy);
    free(j.kk.copy);
    free(j.v.copy);
    return rc;
}
