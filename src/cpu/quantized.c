/*
 * Quantization kernels on the CPU: Quantize, Dequantize, ToFP8/FromFP8 and
 * QuantizedMatmul (primitives/defs/quantized.def).
 *
 * Quantize and Dequantize reproduce MLX 0.32's CPU results bit for bit:
 * "affine" picks per group the scale and bias of MLX's kernel in float32;
 * the fp modes follow MLX's composition of ops in w's dtype, so every
 * intermediate is rounded to that dtype as MLX rounds it.
 *
 * QuantizedMatmul never expands the whole weight. With few rows of x
 * (decode) the per-level dot_rows kernels (quantized_kernels.inc) expand one
 * group of codes at a time in registers, split over rows of w on the thread
 * pool. With many rows (prefill) a strip of w is expanded into a float
 * buffer and multiplied with sgemm, strip by strip.
 */
#include <cblas.h>
#include <pthread.h>
#include <string.h>

#include "copy.h"
#include "core/allocator.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/quantized_formats.h"
#include "cpu/simd.h"
#include "primitives/params_quantized.h"

/* Elements per task of the elementwise conversions. */
#define MXI_QUANT_ELEM_GRAIN 65536

#define MXI_KERNELS_DECLARE_ONLY
#include "quantized_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const quantized_tables[MXI_SIMD_LEVELS] = {
    [MXI_SIMD_SCALAR] = &mxi_quantized_table_scalar,
#ifndef MXI_NO_X86_SIMD
    [MXI_SIMD_AVX2] = &mxi_quantized_table_avx2,
    [MXI_SIMD_AVX512] = &mxi_quantized_table_avx512,
    [MXI_SIMD_AVX512_BF16] = &mxi_quantized_table_avx512bf16,
#endif
};

/* ---- inputs as row-contiguous memory ---- */

/* An input's data in row-major order: the array's own memory when it is
 * row-contiguous, else a copy the caller frees with release_rows. */
typedef struct rows_view {
    const void *data;
    void *owned;
    size_t bytes;
} rows_view;

static int get_rows(rows_view *v, const mx_array *a) {
    memset(v, 0, sizeof *v);
    if (a->size == 0) return MX_OK;
    if (a->flags & MXI_ROW_CONTIGUOUS) {
        v->data = mxi_data(a);
        return MX_OK;
    }
    v->bytes = (size_t)a->size * (size_t)mx_dtype_size(a->dtype);
    if (!(v->owned = mxi_alloc(v->bytes))) return MX_ERR_MEMORY;
    int rc = mxi_copy_to_contiguous(v->owned, a->dtype, mxi_data(a), a->dtype, a->shape, a->strides,
                                    a->ndim);
    v->data = v->owned;
    return rc;
}

static void release_rows(rows_view *v) {
    if (v->owned) mxi_free(v->owned, v->bytes);
    v->owned = NULL;
}

static void store_f(void *p, int64_t i, mx_dtype t, float f) {
    switch (t) {
    case MX_FLOAT16:
        ((uint16_t *)p)[i] = mxi_f32_to_f16(f);
        break;
    case MX_BFLOAT16:
        ((uint16_t *)p)[i] = mxi_f32_to_bf16(f);
        break;
    default:
        ((float *)p)[i] = f;
        break;
    }
}

/* ---- Quantize ---- */

typedef struct quant_job {
    mxi_quant_params p;
    mx_dtype dtype;
    const void *w;
    uint8_t *wq;
    void *scales, *biases;
    /* "nvfp4" with a global scale gs: has_gs and enc = 448 * 6 / gs. */
    bool has_gs;
    float enc;
} quant_job;

/* Appends n codes to the bit stream at out (n * bits a multiple of 8). */
static void pack_codes(uint8_t *out, const uint8_t *codes, int bits, int n) {
    uint32_t acc = 0;
    int have = 0;
    for (int i = 0; i < n; i++) {
        acc |= (uint32_t)codes[i] << have;
        have += bits;
        while (have >= 8) {
            *out++ = (uint8_t)acc;
            acc >>= 8;
            have -= 8;
        }
    }
}

static void quantize_affine_group(const quant_job *j, int64_t gi) {
    int g = j->p.group_size, bits = j->p.bits;
    float n_bins = (float)((1 << bits) - 1);
    float w[128];
    for (int k = 0; k < g; k++) w[k] = mxi_load_f(j->w, gi * g + k, j->dtype);
    float lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < g; k++) {
        hi = hi < w[k] ? w[k] : hi;
        lo = w[k] < lo ? w[k] : lo;
    }
    /* Above 1 bit, the edge of larger magnitude maps exactly onto a code (0
     * or n_bins), and a zero edge gives bias 0, so zeros stay exact; 1 bit
     * takes the range as it is. */
    float scale = (hi - lo) / n_bins, bias = lo;
    scale = scale < 1e-7f ? 1e-7f : scale;
    if (bits > 1) {
        bool lo_edge = fabsf(lo) > fabsf(hi);
        if (!lo_edge) scale = -scale;
        float edge = lo_edge ? lo : hi;
        float q0 = rintf(edge / scale);
        bias = 0.0f;
        if (q0 != 0.0f) {
            scale = edge / q0;
            bias = edge;
        }
    }
    uint8_t codes[128];
    for (int k = 0; k < g; k++) {
        float q = rintf((w[k] - bias) / scale);
        q = q < 0.0f ? 0.0f : q;
        q = n_bins < q ? n_bins : q;
        codes[k] = (uint8_t)q;
    }
    pack_codes(j->wq + gi * g * bits / 8, codes, bits, g);
    store_f(j->scales, gi, j->dtype, scale);
    store_f(j->biases, gi, j->dtype, bias);
}

/* The fp modes, step by step as MLX's ops compute them in dtype t. */
static void quantize_fp_group(const quant_job *j, int64_t gi) {
    int g = j->p.group_size;
    mx_dtype t = j->dtype;
    bool fp8 = j->p.mode == MXI_QUANT_MXFP8;
    float w[32], amax = 0.0f;
    for (int k = 0; k < g; k++) {
        w[k] = mxi_load_f(j->w, gi * g + k, t);
        float a = fabsf(w[k]);
        amax = amax < a ? a : amax;
    }
    float scale = mxi_round_to(amax / (fp8 ? 448.0f : 6.0f), t), div;
    /* A global scale multiplies the scale and the scaled values in float32
     * (its dtype), where MLX's ops promote to it. */
    float enc = j->enc;
    if (j->has_gs) scale *= enc;
    uint8_t sbyte;
    if (j->p.mode == MXI_QUANT_NVFP4) {
        sbyte = mxi_to_fp8(scale);
        div = mxi_round_to(mxi_from_fp8(sbyte), t);
    } else {
        int32_t e = 0;
        /* The smallest power of two that keeps amax within the largest
         * element value. */
        if (scale != 0.0f) e = (int32_t)ceilf(log2f(scale));
        div = mxi_round_to(exp2f((float)e), t);
        sbyte = (uint8_t)(e + 127);
    }
    uint8_t codes[32];
    for (int k = 0; k < g; k++) {
        float v = mxi_round_to(w[k] / div, t);
        if (j->has_gs) {
            /* float32 from here, distances too */
            v *= enc;
            int best = 0;
            float bd = fabsf(v - mxi_fp4_values[0]);
            for (int c = 1; c < 16; c++) {
                float d = fabsf(v - mxi_fp4_values[c]);
                if (d < bd) bd = d, best = c;
            }
            codes[k] = (uint8_t)best;
            continue;
        }
        if (fp8) {
            codes[k] = mxi_to_fp8(v);
            continue;
        }
        /* The nearest FP4 value, distances rounded to t, first on ties (an
         * argmin); NaN picks code 0. */
        int best = 0;
        float bd = fabsf(mxi_round_to(v - mxi_fp4_values[0], t));
        for (int c = 1; c < 16; c++) {
            float d = fabsf(mxi_round_to(v - mxi_fp4_values[c], t));
            if (d < bd) bd = d, best = c;
        }
        codes[k] = (uint8_t)best;
    }
    pack_codes(j->wq + gi * g * (fp8 ? 8 : 4) / 8, codes, fp8 ? 8 : 4, g);
    ((uint8_t *)j->scales)[gi] = sbyte;
}

static void quantize_range(void *ctx, int64_t begin, int64_t end) {
    const quant_job *j = ctx;
    for (int64_t gi = begin; gi < end; gi++) {
        if (j->p.mode == MXI_QUANT_AFFINE)
            quantize_affine_group(j, gi);
        else
            quantize_fp_group(j, gi);
    }
}

int mxi_cpu_quantize(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_quant_params *p = node->params;
    mx_array *w = inputs[0];
    int nout = p->mode == MXI_QUANT_AFFINE ? 3 : 2;
    for (int i = 0; i < nout; i++) {
        int rc = mxi_alloc_data(outputs[i]);
        if (rc != MX_OK) return rc;
    }
    if (w->size == 0) return MX_OK;
    rows_view wv;
    int rc = get_rows(&wv, w);
    if (rc != MX_OK) return rc;
    quant_job j = {.p = *p, .dtype = w->dtype, .w = wv.data, .wq = mxi_data(outputs[0])};
    j.scales = mxi_data(outputs[1]);
    j.biases = nout == 3 ? mxi_data(outputs[2]) : NULL;
    if (node->n_inputs > 1) {
        j.has_gs = true;
        j.enc = 448.0f * 6.0f / *(const float *)mxi_data(inputs[1]);
    }
    mxi_parallel_for(w->size / p->group_size, 1024, quantize_range, &j);
    release_rows(&wv);
    return MX_OK;
}

/* ---- Dequantize ---- */

typedef struct dequant_job {
    mxi_quant_params p;
    const uint8_t *w;
    const void *scales, *biases;
    mx_dtype sdt, bdt, odt;
    void *out;
    /* "nvfp4" with a global scale gs: has_gs and gmul = gs / (448 * 6). */
    bool has_gs;
    float gmul;
} dequant_job;

static void dequant_range(void *ctx, int64_t begin, int64_t end) {
    const dequant_job *j = ctx;
    int g = j->p.group_size, bits = j->p.bits;
    /* MLX multiplies in the scales' dtype, adds in the promoted dtype of
     * scales and biases, then casts: each step rounds. */
    mx_dtype cdt = j->biases ? mx_promote_types(j->sdt, j->bdt) : j->odt;
    uint8_t codes[128];
    for (int64_t gi = begin; gi < end; gi++) {
        mxi_unpack_codes(codes, j->w + gi * g * bits / 8, bits, g);
        int64_t o = gi * g;
        if (j->p.mode == MXI_QUANT_AFFINE) {
            float s = mxi_load_f(j->scales, gi, j->sdt), b = mxi_load_f(j->biases, gi, j->bdt);
            for (int k = 0; k < g; k++) {
                float v = mxi_round_to(mxi_round_to((float)codes[k] * s, j->sdt) + b, cdt);
                store_f(j->out, o + k, j->odt, v);
            }
        } else {
            uint8_t sb = ((const uint8_t *)j->scales)[gi];
            float s = j->p.mode == MXI_QUANT_NVFP4 ? mxi_from_fp8(sb) : mxi_from_e8m0(sb);
            if (j->has_gs) s *= j->gmul;
            for (int k = 0; k < g; k++) {
                float q = j->p.mode == MXI_QUANT_MXFP8 ? mxi_from_fp8(codes[k])
                                                       : mxi_fp4_values[codes[k] & 15];
                store_f(j->out, o + k, j->odt, q * s);
            }
        }
    }
}

int mxi_cpu_dequantize(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_quant_params *p = node->params;
    mx_array *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    bool affine = p->mode == MXI_QUANT_AFFINE;
    rows_view v[3] = {0};
    for (int i = 0; i < (affine ? 3 : 2) && rc == MX_OK; i++) rc = get_rows(&v[i], inputs[i]);
    if (rc == MX_OK) {
        dequant_job j = {.p = *p, .w = v[0].data, .scales = v[1].data, .biases = v[2].data};
        j.sdt = inputs[1]->dtype, j.bdt = affine ? inputs[2]->dtype : MX_UINT8;
        j.odt = out->dtype, j.out = mxi_data(out);
        if (!affine && node->n_inputs > 2) {
            j.has_gs = true;
            j.gmul = *(const float *)mxi_data(inputs[2]) / (448.0f * 6.0f);
        }
        mxi_parallel_for(out->size / p->group_size, 256, dequant_range, &j);
    }
    for (int i = 0; i < 3; i++) release_rows(&v[i]);
    return rc;
}

/* ---- ToFP8 / FromFP8 ---- */

typedef struct fp8_job {
    bool to;
    mx_dtype t;
    const void *in;
    void *out;
} fp8_job;

static void fp8_range(void *ctx, int64_t begin, int64_t end) {
    const fp8_job *j = ctx;
    if (j->to) {
        for (int64_t i = begin; i < end; i++)
            ((uint8_t *)j->out)[i] = mxi_to_fp8(mxi_load_f(j->in, i, j->t));
    } else {
        for (int64_t i = begin; i < end; i++)
            store_f(j->out, i, j->t, mxi_from_fp8(((const uint8_t *)j->in)[i]));
    }
}

int mxi_cpu_fp8_convert(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    mx_array *in = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    rows_view v;
    if ((rc = get_rows(&v, in)) != MX_OK) return rc;
    bool to = node->kind == MXI_PRIM_TO_FP8;
    fp8_job j = {.to = to, .t = to ? in->dtype : out->dtype, .in = v.data, .out = mxi_data(out)};
    mxi_parallel_for(out->size, MXI_QUANT_ELEM_GRAIN, fp8_range, &j);
    release_rows(&v);
    return MX_OK;
}

/* ---- QuantizedMatmul ---- */

/* Rows of x up to which the register kernels beat expanding strips for
 * sgemm. */
#define QMM_DIRECT_MAX_M 16
/* Floats in one expanded strip of w (the sgemm path): 4 MiB. */
#define QMM_STRIP_FLOATS (1 << 20)

static pthread_once_t qmm_blas_once = PTHREAD_ONCE_INIT;

/* The pool is idle while BLAS runs: give BLAS as many threads as the pool. */
static void qmm_blas_init(void) {
    openblas_set_num_threads(mxi_num_threads());
}

typedef struct qmm_plan {
    const mxi_quantized_table *tab;
    mxi_quant_params p;
    int64_t M, N, K, ng;
    int64_t w_row_bytes;   /* bytes of one packed row of w */
    int64_t s_row;         /* scales per row of w */
    mx_dtype sdt;          /* affine scales/biases dtype */
    bool x_bf16;           /* x is bfloat16 (its values are exact in bfloat16) */
    float *xf, *xsum, *of; /* temporaries: x as floats, group sums, float output */
    float *strip;          /* the sgemm path's expanded strip */
    float *cols;           /* w not transposed: per task, sums over its rows */
    int64_t ncols_tasks;
    size_t xf_bytes, xsum_bytes, of_bytes, strip_bytes, cols_bytes;
} qmm_plan;

typedef struct qmm_pass {
    const qmm_plan *pl;
    mxi_qdot_job job; /* the register kernels */
    /* the strips of the sgemm path */
    const uint8_t *w;
    const void *scales, *biases;
    int64_t n0, nb; /* strip: first output column, width */
} qmm_pass;

static void qmm_rows_range(void *ctx, int64_t begin, int64_t end) {
    const qmm_pass *ps = ctx;
    ps->pl->tab->dot_rows(&ps->job, begin, end);
}

static void qmm_rows_bf16_range(void *ctx, int64_t begin, int64_t end) {
    const qmm_pass *ps = ctx;
    ps->pl->tab->dot_rows_bf16(&ps->job, begin, end);
}

/* x rows (float holding bfloat16 values) into dot_rows_bf16's layout: per
 * 64 columns, the 32 even ones, then the 32 odd ones. */
static void bf16_pairs_x(uint16_t *dst, const float *src, int64_t K) {
    for (int64_t c = 0; c < K; c += 64)
        for (int i = 0; i < 32; i++) {
            dst[c + i] = mxi_f32_to_bf16(src[c + 2 * i]);
            dst[c + 32 + i] = mxi_f32_to_bf16(src[c + 2 * i + 1]);
        }
}

/* Expands rows [begin, end) of a strip of w into ps->pl->strip. transpose:
 * rows n0 + r of w, K wide; else columns [n0, n0 + nb) of rows r of w. */
static void qmm_strip_range(void *ctx, int64_t begin, int64_t end) {
    const qmm_pass *ps = ctx;
    const qmm_plan *pl = ps->pl;
    int64_t isz = pl->p.mode == MXI_QUANT_AFFINE ? mx_dtype_size(pl->sdt) : 1;
    int g = pl->p.group_size, bits = pl->p.bits;
    for (int64_t r = begin; r < end; r++) {
        int64_t row = pl->p.transpose ? ps->n0 + r : r;
        int64_t col = pl->p.transpose ? 0 : ps->n0;
        int64_t len = pl->p.transpose ? pl->K : ps->nb;
        const uint8_t *w = ps->w + row * pl->w_row_bytes + col * bits / 8;
        const char *s = (const char *)ps->scales + (row * pl->s_row + col / g) * isz;
        const char *b =
            ps->biases ? (const char *)ps->biases + (row * pl->s_row + col / g) * isz : NULL;
        pl->tab->dequant_row(pl->strip + r * len, w, s, b, pl->sdt, pl->p.mode, bits, g, len);
    }
}

/* transpose = false, few rows: task t adds its share of w's rows into its
 * own accumulators (M x N, then M x N / group for the biases). */
static void qmm_cols_range(void *ctx, int64_t begin, int64_t end) {
    const qmm_pass *ps = ctx;
    const qmm_plan *pl = ps->pl;
    int64_t per = pl->M * pl->N + pl->M * (pl->N / pl->p.group_size);
    for (int64_t t = begin; t < end; t++) {
        int64_t k0 = pl->K * t / pl->ncols_tasks, k1 = pl->K * (t + 1) / pl->ncols_tasks;
        float *acc = pl->cols + t * per;
        pl->tab->dot_cols(&ps->job, k0, k1, acc, acc + pl->M * pl->N);
    }
}

/* Sums the tasks' accumulators into out, columns back in natural order. */
static void qmm_cols_reduce(const qmm_plan *pl, float *out) {
    int64_t M = pl->M, N = pl->N, g = pl->p.group_size, nb = N / g;
    int64_t per = M * N + M * nb;
    int lanes = pl->tab->x_lanes(pl->p.mode, pl->p.bits, pl->p.group_size);
    int bits = pl->p.mode == MXI_QUANT_AFFINE ? pl->p.bits : pl->p.mode == MXI_QUANT_MXFP8 ? 8 : 4;
    int64_t p = 8 / bits, chunk = lanes * p;
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            int64_t pos = n;
            if (lanes) {
                int64_t r = n % chunk;
                pos = n - r + (r % p) * lanes + r / p;
            }
            float v = 0.0f;
            for (int64_t t = 0; t < pl->ncols_tasks; t++) {
                const float *acc = pl->cols + t * per;
                v += acc[m * N + pos] + acc[M * N + m * nb + n / g];
            }
            out[m * N + n] = v;
        }
}

/* x rows (float, natural order) into the lane layout of the kernels. */
static void permute_x(float *dst, const float *src, int64_t K, int lanes, int bits) {
    int p = 8 / bits;
    int64_t chunk = (int64_t)lanes * p;
    for (int64_t c = 0; c < K; c += chunk)
        for (int s = 0; s < p; s++)
            for (int i = 0; i < lanes; i++) dst[c + s * lanes + i] = src[c + i * p + s];
}

/* One batch entry: out (M x N, float) from x (M x K floats) and w. */
static void qmm_one(const qmm_plan *pl, const float *x, const uint8_t *w, const void *scales,
                    const void *biases, float *out) {
    const mxi_quant_params *p = &pl->p;
    int64_t M = pl->M, N = pl->N, K = pl->K, g = p->group_size;
    qmm_pass ps = {.pl = pl, .w = w, .scales = scales, .biases = biases};
    if (M >= QMM_DIRECT_MAX_M) {
        /* Strips of nb output columns, expanded, then one sgemm each. */
        int64_t nb = QMM_STRIP_FLOATS / K;
        nb = nb < 16 ? 16 : nb;
        if (!p->transpose) nb = (nb + g - 1) / g * g;
        if (nb > N) nb = N;
        pthread_once(&qmm_blas_once, qmm_blas_init);
        for (int64_t n0 = 0; n0 < N; n0 += nb) {
            ps.n0 = n0;
            ps.nb = N - n0 < nb ? N - n0 : nb;
            int64_t rows = p->transpose ? ps.nb : K;
            mxi_parallel_for(rows, 8, qmm_strip_range, &ps);
            if (p->transpose)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)ps.nb, (int)K,
                            1.0f, x, (int)K, pl->strip, (int)K, 0.0f, out + n0, (int)N);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)ps.nb, (int)K,
                            1.0f, x, (int)K, pl->strip, (int)ps.nb, 0.0f, out + n0, (int)N);
        }
        return;
    }
    /* Group sums of x for the biases, then x in the kernels' layout. */
    int lanes = p->transpose ? pl->tab->x_lanes(p->mode, p->bits, p->group_size) : 0;
    for (int64_t m = 0; m < M; m++) {
        const float *xr = x + m * K;
        if (p->mode == MXI_QUANT_AFFINE && p->transpose)
            for (int64_t gi = 0; gi < pl->ng; gi++) {
                float s = 0.0f;
                for (int64_t k = 0; k < g; k++) s += xr[gi * g + k];
                pl->xsum[m * pl->ng + gi] = s;
            }
    }
    const float *xk = x;
    if (lanes) {
        int bits = p->mode == MXI_QUANT_AFFINE ? p->bits : p->mode == MXI_QUANT_MXFP8 ? 8 : 4;
        /* x may be the caller's own float32 input: the permuted copy goes
         * to the second half of the xf temporary. */
        for (int64_t m = 0; m < M; m++)
            permute_x(pl->xf + M * K + m * K, x + m * K, K, lanes, bits);
        xk = pl->xf + M * K;
    }
    ps.job = (mxi_qdot_job){.mode = p->mode,
                            .bits = p->bits,
                            .group = p->group_size,
                            .K = K,
                            .M = M,
                            .N = N,
                            .x = xk,
                            .xsum = pl->xsum,
                            .w = w,
                            .w_stride = pl->w_row_bytes,
                            .scales = scales,
                            .biases = biases,
                            .s_stride = pl->s_row,
                            .sdtype = pl->sdt,
                            .out = out,
                            .ldo = N};
    if (p->transpose && pl->x_bf16 && pl->tab->dot_rows_bf16 && p->mode == MXI_QUANT_AFFINE &&
        p->bits == 4 && g % 64 == 0) {
        uint16_t *xb = (uint16_t *)(pl->xf + M * K);
        for (int64_t m = 0; m < M; m++) bf16_pairs_x(xb + m * K, x + m * K, K);
        ps.job.xb = xb;
        mxi_parallel_for(N, 16, qmm_rows_bf16_range, &ps);
        return;
    }
    if (p->transpose) {
        mxi_parallel_for(N, 16, qmm_rows_range, &ps);
        return;
    }
    memset(pl->cols, 0, pl->cols_bytes);
    mxi_parallel_for(pl->ncols_tasks, 1, qmm_cols_range, &ps);
    qmm_cols_reduce(pl, out);
}

static void plan_free(qmm_plan *pl) {
    if (pl->xf) mxi_free(pl->xf, pl->xf_bytes);
    if (pl->xsum) mxi_free(pl->xsum, pl->xsum_bytes);
    if (pl->of) mxi_free(pl->of, pl->of_bytes);
    if (pl->strip) mxi_free(pl->strip, pl->strip_bytes);
    if (pl->cols) mxi_free(pl->cols, pl->cols_bytes);
}

/* Byte offset of matrix `flat` (row-major over the axes before the last
 * two) of an array; broadcast axes have stride 0. */
static int64_t matrix_offset(const mx_array *a, int64_t flat) {
    int64_t off = 0;
    for (int d = a->ndim - 3; d >= 0; d--) {
        off += (flat % a->shape[d]) * a->strides[d];
        flat /= a->shape[d];
    }
    return off * mx_dtype_size(a->dtype);
}

/* Entry b (row-major over out's batch axes) of an index array broadcast to
 * them. */
static int64_t index_at(const mx_array *idx, const mx_array *out, int64_t b) {
    int64_t off = 0;
    for (int d = out->ndim - 3; d >= 0; d--) {
        off += (b % out->shape[d]) * idx->strides[d];
        b /= out->shape[d];
    }
    return ((const uint32_t *)mxi_data(idx))[off];
}

static bool matrix_rows(const mx_array *a) {
    int n = a->ndim;
    return a->strides[n - 1] == 1 && (a->shape[n - 2] <= 1 || a->strides[n - 2] == a->shape[n - 1]);
}

static int64_t batch_count(const mx_array *a) {
    int64_t n = 1;
    for (int d = 0; d < a->ndim - 2; d++) n *= a->shape[d];
    return n;
}

/* out's matrices: for each batch entry b, x's matrix lhs[b] times w's
 * matrix rhs[b] (b itself for both when lhs and rhs are NULL: the inputs are
 * then broadcast to out's batch axes, or w is 2-d). */
static int qmm_run(const mxi_quant_params *p, mx_array *const *inputs, mx_array *out,
                   const mx_array *lhs, const mx_array *rhs) {
    mx_array *x = inputs[0];
    bool affine = p->mode == MXI_QUANT_AFFINE;
    int nin = affine ? 4 : 3;
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    int nd = out->ndim;
    qmm_plan pl = {.tab = mxi_simd_pick(quantized_tables), .p = *p};
    pl.M = out->shape[nd - 2], pl.N = out->shape[nd - 1], pl.K = x->shape[x->ndim - 1];
    pl.ng = pl.K / p->group_size;
    mx_array *w = inputs[1];
    pl.w_row_bytes = (int64_t)w->shape[w->ndim - 1] * 4;
    pl.s_row = inputs[2]->shape[w->ndim - 1];
    pl.sdt = affine ? inputs[2]->dtype : MX_UINT8;
    pl.x_bf16 = x->dtype == MX_BFLOAT16;
    int64_t nbatch = out->size / (pl.M * pl.N);
    if (pl.K == 0) {
        memset(mxi_data(out), 0, (size_t)out->size * (size_t)mx_dtype_size(out->dtype));
        return MX_OK;
    }
    int64_t nx = batch_count(x), nw = batch_count(w);
    /* w, scales, biases: matrices must be row-major; copy if not. */
    rows_view v[4] = {0};
    mx_array *src[4] = {NULL, w, inputs[2], affine ? inputs[3] : NULL};
    bool copied[4] = {false};
    for (int i = 1; i < nin && rc == MX_OK; i++) {
        if (!matrix_rows(src[i])) {
            rc = get_rows(&v[i], src[i]);
            copied[i] = true;
        }
    }
    /* Temporaries: x of one batch entry as floats (twice: natural and
     * permuted), group sums, the float output, the strip. */
    int64_t MK = pl.M * pl.K;
    pl.xf_bytes = (size_t)(2 * MK) * 4;
    pl.xsum_bytes = (size_t)(pl.M * pl.ng + 1) * 4;
    if (rc == MX_OK && !(pl.xf = mxi_alloc(pl.xf_bytes))) rc = MX_ERR_MEMORY;
    if (rc == MX_OK && !(pl.xsum = mxi_alloc(pl.xsum_bytes))) rc = MX_ERR_MEMORY;
    if (rc == MX_OK && out->dtype != MX_FLOAT32) {
        pl.of_bytes = (size_t)(pl.M * pl.N) * 4;
        if (!(pl.of = mxi_alloc(pl.of_bytes))) rc = MX_ERR_MEMORY;
    }
    if (rc == MX_OK && pl.M >= QMM_DIRECT_MAX_M) {
        int64_t nbw = QMM_STRIP_FLOATS / pl.K;
        nbw = nbw < 16 ? 16 : nbw;
        nbw = (nbw + p->group_size - 1) / p->group_size * p->group_size;
        pl.strip_bytes = (size_t)(nbw * pl.K) * 4;
        if (!(pl.strip = mxi_alloc(pl.strip_bytes))) rc = MX_ERR_MEMORY;
    }
    if (rc == MX_OK && !p->transpose && pl.M < QMM_DIRECT_MAX_M) {
        /* Rows of w split over the pool (each task streams whole rows), up to
         * one task per thread, fewer for small products. */
        int64_t tasks = mxi_num_threads();
        int64_t most = pl.K * pl.N / (1 << 16);
        tasks = tasks < most ? tasks : most;
        pl.ncols_tasks = tasks < 1 ? 1 : tasks;
        pl.cols_bytes =
            (size_t)(pl.ncols_tasks * (pl.M * pl.N + pl.M * (pl.N / p->group_size))) * 4;
        if (!(pl.cols = mxi_alloc(pl.cols_bytes))) rc = MX_ERR_MEMORY;
    }
    int64_t osz = mx_dtype_size(out->dtype);
    for (int64_t b = 0; b < nbatch && rc == MX_OK; b++) {
        int64_t xi = lhs ? index_at(lhs, out, b) : b;
        int64_t wi = rhs ? index_at(rhs, out, b) : w->ndim == 2 ? 0 : b;
        if (xi >= nx || wi >= nw) {
            rc = mxi_error(MX_ERR_INDEX,
                           "[gather_qmm] index %lld is out of range for %lld matrices of %s",
                           (long long)(xi >= nx ? xi : wi), (long long)(xi >= nx ? nx : nw),
                           xi >= nx ? "x" : "w");
            break;
        }
        /* x's matrix of this entry as row-major floats. */
        const char *xb = (const char *)mxi_data(x) + matrix_offset(x, xi);
        int32_t xshape[2] = {(int32_t)pl.M, (int32_t)pl.K};
        int64_t xst[2] = {x->strides[x->ndim - 2], x->strides[x->ndim - 1]};
        const float *xf;
        if (x->dtype == MX_FLOAT32 && xst[1] == 1 && (pl.M == 1 || xst[0] == pl.K)) {
            xf = (const float *)xb;
        } else {
            rc = mxi_copy_to_contiguous(pl.xf, MX_FLOAT32, xb, x->dtype, xshape, xst, 2);
            xf = pl.xf;
        }
        const void *ptr[4] = {NULL, NULL, NULL, NULL};
        for (int i = 1; i < nin; i++) {
            if (copied[i]) {
                /* The copy is row-major over src's full shape. */
                int64_t msz = (int64_t)src[i]->shape[src[i]->ndim - 2] *
                              src[i]->shape[src[i]->ndim - 1] * mx_dtype_size(src[i]->dtype);
                ptr[i] = (const char *)v[i].data + wi * msz;
            } else {
                ptr[i] = (const char *)mxi_data(src[i]) + matrix_offset(src[i], wi);
            }
        }
        float *ob = out->dtype == MX_FLOAT32
                        ? (float *)((char *)mxi_data(out) + b * pl.M * pl.N * osz)
                        : pl.of;
        if (rc != MX_OK) break;
        qmm_one(&pl, xf, ptr[1], ptr[2], ptr[3], ob);
        if (out->dtype != MX_FLOAT32)
            mxi_convert_contiguous((char *)mxi_data(out) + b * pl.M * pl.N * osz, out->dtype, pl.of,
                                   MX_FLOAT32, pl.M * pl.N);
    }
    plan_free(&pl);
    for (int i = 0; i < 4; i++) release_rows(&v[i]);
    return rc;
}

int mxi_cpu_quantized_matmul(struct mxi_node *node, mx_array *const *inputs,
                             mx_array *const *outputs) {
    return qmm_run(node->params, inputs, outputs[0], NULL, NULL);
}

int mxi_cpu_gather_qmm(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_quant_params *p = node->params;
    int n = p->mode == MXI_QUANT_AFFINE ? 4 : 3;
    return qmm_run(p, inputs, outputs[0], inputs[n], inputs[n + 1]);
}
