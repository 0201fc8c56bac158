/*
 * Functions of one primitive each (apply, selected by the payload) and
 * cases with input shapes and value ranges, shared by the transforms tests.
 */
#ifndef CMLX_TRANSFORMS_OPS_H
#define CMLX_TRANSFORMS_OPS_H

#include "transforms_fd.h"

#include "cmlx/fft.h"
#include "cmlx/linalg.h"

enum {
    OP_ABS,
    OP_NEG,
    OP_SQUARE,
    OP_SQRT,
    OP_RSQRT,
    OP_EXP,
    OP_EXPM1,
    OP_ERF,
    OP_ERFINV,
    OP_SIN,
    OP_COS,
    OP_TAN,
    OP_ASIN,
    OP_ACOS,
    OP_ATAN,
    OP_SINH,
    OP_COSH,
    OP_TANH,
    OP_ASINH,
    OP_ACOSH,
    OP_ATANH,
    OP_LOG,
    OP_LOG2,
    OP_LOG10,
    OP_LOG1P,
    OP_SIGMOID,
    OP_NAN_TO_NUM,
    OP_CLIP,
    OP_RECIPROCAL,
    /* binary */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_REM,
    OP_POW,
    OP_MAXIMUM,
    OP_MINIMUM,
    OP_LOGADDEXP,
    OP_ARCTAN2,
    OP_WHERE,
    /* creation */
    OP_FULL,
    OP_ASTYPE,
    OP_TRIL,
    OP_TRIU,
    /* shape */
    OP_RESHAPE,
    OP_TRANSPOSE,
    OP_BROADCAST,
    OP_SLICE,
    OP_CONCAT,
    OP_PAD,
    OP_PAD_VALUE,
    OP_AS_STRIDED,
    OP_CONTIGUOUS,
    OP_DYNAMIC_SLICE,
    OP_DIAGONAL,
    OP_FLIP,
    /* reduce */
    OP_SUM,
    OP_PROD,
    OP_PROD_ALL,
    OP_MAX,
    OP_MIN,
    OP_LOGSUMEXP,
    OP_SOFTMAX,
    OP_MEDIAN,
    OP_TRACE,
    OP_MEAN,
    OP_VAR,
    /* scan */
    OP_CUMSUM,
    OP_CUMSUM_REV_EXCL,
    OP_CUMPROD,
    OP_CUMPROD_EXCL,
    OP_CUMMAX,
    OP_CUMMIN_REV,
    OP_CUMMAX_EXCL,
    OP_LOGCUMSUMEXP,
    OP_LOGCUMSUMEXP_REV,
    /* linalg, sort */
    OP_MATMUL,
    OP_MATMUL_BATCH,
    OP_ADDMM,
    OP_HADAMARD,
    OP_RMS_NORM,
    OP_LAYER_NORM,
    OP_ROPE,
    OP_ROPE_TRAD,
    OP_SDPA,
    OP_CONV1D,
    OP_CONV_GENERAL,
    OP_CONV_TRANSPOSE,
    OP_SORT,
    OP_PARTITION,
    OP_TOPK,
    /* index */
    OP_TAKE,
    OP_GATHER,
    OP_TAKE_ALONG,
    OP_SCATTER,
    OP_SCATTER_ADD,
    OP_PUT_ALONG,
    OP_SCATTER_ADD_AXIS,
    OP_SLICE_UPDATE,
    OP_SLICE_UPDATE_ADD,
    OP_SLICE_UPDATE_DYN,
    OP_SCATTER_MAX,
    OP_SLICE_UPDATE_MIN,
    /* random */
    OP_UNIFORM,
    OP_TRUNCATED_NORMAL,
    OP_PERMUTATION,
    /* fft (complex outputs come back as their real and imaginary parts) */
    OP_FFT,
    OP_IFFT,
    OP_RFFT,
    OP_RFFT_ODD,
    OP_IRFFT,
    OP_IRFFT_ODD,
    OP_FFTN,
    OP_RFFTN,
    OP_IRFFTN,
    /* quantized */
    OP_QMM,
    OP_QMM_NT,
    OP_GATHER_QMM,
    OP_QMM_SCALES,
    /* lapack (inputs shifted by 3 I to stay well conditioned) */
    OP_INV,
    OP_TRI_INV,
    OP_CHOLESKY,
    OP_CHOLESKY_UPPER,
    OP_EIGH,
    OP_EIGVALSH_UPPER,
    OP_SVD_VALUES,
    /* lapack with vmap only */
    OP_QR,
    OP_LU_FACTOR,
    OP_EIGVALS,
    OP_SVD_FULL,
};

static inline mx_array *idx_i32(const int32_t *v, int32_t n) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, v, &n, 1, MX_INT32));
    return a;
}

/* a + c I over the last two axes (square). */
static inline int shift_diag(mx_array **out, const mx_array *a, double c) {
    int n = mx_array_shape(a)[mx_array_ndim(a) - 1];
    mx_array *e = NULL, *k = NULL, *ek = NULL;
    int rc = mx_eye(&e, n, n, 0, mx_array_dtype(a), NULL);
    if (!rc) rc = mx_array_from_float(&k, c, mx_array_dtype(a));
    if (!rc) rc = mx_multiply(&ek, e, k, NULL);
    if (!rc) rc = mx_add(out, a, ek, NULL);
    mx_array_free(e), mx_array_free(k), mx_array_free(ek);
    return rc;
}

/* A fixed float32 matrix of shape (r, c), quantized with groups of 32 and
 * 4 bits. */
static inline int fixed_quantized(mx_array **wq, mx_array **sc, mx_array **bi, int32_t r,
                                  int32_t c) {
    mx_array *i = NULL, *k = NULL, *m = NULL, *w = NULL, *w2 = NULL;
    int32_t sh[2] = {r, c};
    int rc = mx_arange(&i, 0, (double)r * c, 1, MX_FLOAT32, NULL);
    if (!rc) rc = mx_array_from_float(&k, 0.37, MX_FLOAT32);
    if (!rc) rc = mx_multiply(&m, i, k, NULL);
    if (!rc) rc = mx_sin(&w, m, NULL);
    if (!rc) rc = mx_reshape(&w2, w, sh, 2, NULL);
    if (!rc) rc = mx_quantize(wq, sc, bi, w2, 32, 4, NULL, NULL);
    mx_array_free(i), mx_array_free(k), mx_array_free(m), mx_array_free(w), mx_array_free(w2);
    return rc;
}

static inline int apply(mx_vec *o, const mx_vec *in, void *payload) {
    int op = (int)(intptr_t)payload;
    mx_array *a = in->data[0], *b = in->size > 1 ? in->data[1] : NULL;
    mx_array *c = in->size > 2 ? in->data[2] : NULL;
    mx_array *r = NULL, *t = NULL, *u = NULL;
    int rc = MX_OK;
    int ax1 = 1, ax01[2] = {0, 1};
    switch (op) {
    case OP_ABS:
        rc = mx_abs(&r, a, NULL);
        break;
    case OP_NEG:
        rc = mx_negative(&r, a, NULL);
        break;
    case OP_SQUARE:
        rc = mx_square(&r, a, NULL);
        break;
    case OP_SQRT:
        rc = mx_sqrt(&r, a, NULL);
        break;
    case OP_RSQRT:
        rc = mx_rsqrt(&r, a, NULL);
        break;
    case OP_EXP:
        rc = mx_exp(&r, a, NULL);
        break;
    case OP_EXPM1:
        rc = mx_expm1(&r, a, NULL);
        break;
    case OP_ERF:
        rc = mx_erf(&r, a, NULL);
        break;
    case OP_ERFINV:
        rc = mx_erfinv(&r, a, NULL);
        break;
    case OP_SIN:
        rc = mx_sin(&r, a, NULL);
        break;
    case OP_COS:
        rc = mx_cos(&r, a, NULL);
        break;
    case OP_TAN:
        rc = mx_tan(&r, a, NULL);
        break;
    case OP_ASIN:
        rc = mx_arcsin(&r, a, NULL);
        break;
    case OP_ACOS:
        rc = mx_arccos(&r, a, NULL);
        break;
    case OP_ATAN:
        rc = mx_arctan(&r, a, NULL);
        break;
    case OP_SINH:
        rc = mx_sinh(&r, a, NULL);
        break;
    case OP_COSH:
        rc = mx_cosh(&r, a, NULL);
        break;
    case OP_TANH:
        rc = mx_tanh(&r, a, NULL);
        break;
    case OP_ASINH:
        rc = mx_arcsinh(&r, a, NULL);
        break;
    case OP_ACOSH:
        rc = mx_arccosh(&r, a, NULL);
        break;
    case OP_ATANH:
        rc = mx_arctanh(&r, a, NULL);
        break;
    case OP_LOG:
        rc = mx_log(&r, a, NULL);
        break;
    case OP_LOG2:
        rc = mx_log2(&r, a, NULL);
        break;
    case OP_LOG10:
        rc = mx_log10(&r, a, NULL);
        break;
    case OP_LOG1P:
        rc = mx_log1p(&r, a, NULL);
        break;
    case OP_SIGMOID:
        rc = mx_sigmoid(&r, a, NULL);
        break;
    case OP_NAN_TO_NUM:
        rc = mx_nan_to_num(&r, a, 0.0, NULL, NULL, NULL);
        break;
    case OP_CLIP:
        rc = mx_clip(&r, a, b, c, NULL);
        break;
    case OP_RECIPROCAL:
        rc = mx_reciprocal(&r, a, NULL);
        break;
    case OP_ADD:
        rc = mx_add(&r, a, b, NULL);
        break;
    case OP_SUB:
        rc = mx_subtract(&r, a, b, NULL);
        break;
    case OP_MUL:
        rc = mx_multiply(&r, a, b, NULL);
        break;
    case OP_DIV:
        rc = mx_divide(&r, a, b, NULL);
        break;
    case OP_REM:
        rc = mx_remainder(&r, a, b, NULL);
        break;
    case OP_POW:
        rc = mx_power(&r, a, b, NULL);
        break;
    case OP_MAXIMUM:
        rc = mx_maximum(&r, a, b, NULL);
        break;
    case OP_MINIMUM:
        rc = mx_minimum(&r, a, b, NULL);
        break;
    case OP_LOGADDEXP:
        rc = mx_logaddexp(&r, a, b, NULL);
        break;
    case OP_ARCTAN2:
        rc = mx_arctan2(&r, a, b, NULL);
        break;
    case OP_WHERE:
        rc = mx_greater(&t, a, b, NULL);
        if (!rc) rc = mx_where(&r, t, a, b, NULL);
        break;
    case OP_FULL: {
        int32_t sh[3] = {2, 3, 4};
        rc = mx_full(&r, sh, 3, a, MX_DTYPE_NONE, NULL);
        break;
    }
    case OP_ASTYPE:
        rc = mx_astype(&t, a, MX_FLOAT32, NULL);
        if (!rc) rc = mx_astype(&r, t, MX_FLOAT64, NULL);
        break;
    case OP_TRIL:
        rc = mx_tril(&r, a, 0, NULL);
        break;
    case OP_TRIU:
        rc = mx_triu(&r, a, 1, NULL);
        break;
    case OP_RESHAPE: {
        int32_t sh[2] = {4, -1};
        rc = mx_reshape(&r, a, sh, 2, NULL);
        break;
    }
    case OP_TRANSPOSE: {
        int perm[3] = {2, 0, 1};
        rc = mx_transpose(&r, a, perm, 3, NULL);
        break;
    }
    case OP_BROADCAST: {
        int32_t sh[3] = {2, 3, 4};
        rc = mx_broadcast_to(&r, a, sh, 3, NULL);
        break;
    }
    case OP_SLICE: {
        int32_t st[2] = {1, 3}, sp[2] = {3, 0}, str[2] = {1, -2};
        rc = mx_slice(&r, a, st, sp, str, 2, NULL);
        break;
    }
    case OP_CONCAT: {
        const mx_array *ab[2] = {a, b};
        rc = mx_concatenate(&r, ab, 2, 1, NULL);
        break;
    }
    case OP_PAD: {
        int32_t lo[2] = {1, 0}, hi[2] = {0, 2};
        rc = mx_pad(&r, a, ax01, 2, lo, hi, NULL, "constant", NULL);
        break;
    }
    case OP_PAD_VALUE: {
        int32_t lo[2] = {1, 0}, hi[2] = {0, 2};
        rc = mx_pad(&r, a, ax01, 2, lo, hi, b, "constant", NULL);
        break;
    }
    case OP_AS_STRIDED: {
        int32_t sh[2] = {3, 3};
        int64_t st[2] = {1, 2};
        rc = mx_as_strided(&r, a, sh, 2, st, 1, NULL);
        break;
    }
    case OP_CONTIGUOUS:
        rc = mx_contiguous(&r, a, false, NULL);
        break;
    case OP_DYNAMIC_SLICE: {
        int32_t size[2] = {2, 2};
        mx_array *st = NULL;
        rc = mx_array_from_int(&st, 1, MX_INT32);
        if (!rc) rc = mx_slice_dynamic(&r, a, st, &ax1, 1, size, 2, NULL);
        mx_array_free(st);
        break;
    }
    case OP_DIAGONAL:
        rc = mx_diagonal(&r, a, 1, 0, 1, NULL);
        break;
    case OP_FLIP:
        rc = mx_flip_axis(&r, a, 1, NULL);
        break;
    case OP_SUM:
        rc = mx_sum_axes(&r, a, ax01, 2, false, NULL);
        break;
    case OP_PROD:
        rc = mx_prod_axis(&r, a, 1, false, NULL);
        break;
    case OP_PROD_ALL:
        rc = mx_prod(&r, a, false, NULL);
        break;
    case OP_MAX:
        rc = mx_max_axis(&r, a, 1, true, NULL);
        break;
    case OP_MIN:
        rc = mx_min_axes(&r, a, ax01, 2, false, NULL);
        break;
    case OP_LOGSUMEXP:
        rc = mx_logsumexp_axis(&r, a, 1, false, NULL);
        break;
    case OP_SOFTMAX:
        rc = mx_softmax_axis(&r, a, -1, false, NULL);
        break;
    case OP_MEDIAN:
        rc = mx_median_axis(&r, a, 1, false, NULL);
        break;
    case OP_TRACE:
        rc = mx_trace(&r, a, 0, 0, 1, MX_DTYPE_NONE, NULL);
        break;
    case OP_MEAN:
        rc = mx_mean_axis(&r, a, 0, false, NULL);
        break;
    case OP_VAR:
        rc = mx_var_axis(&r, a, 1, false, 1, NULL);
        break;
    case OP_CUMSUM:
        rc = mx_cumsum_axis(&r, a, 1, false, true, MX_DTYPE_NONE, NULL);
        break;
    case OP_CUMSUM_REV_EXCL:
        rc = mx_cumsum_axis(&r, a, 0, true, false, MX_DTYPE_NONE, NULL);
        break;
    case OP_CUMPROD:
        rc = mx_cumprod_axis(&r, a, 1, false, true, MX_DTYPE_NONE, NULL);
        break;
    case OP_CUMPROD_EXCL:
        rc = mx_cumprod_axis(&r, a, 1, true, false, MX_DTYPE_NONE, NULL);
        break;
    case OP_CUMMAX:
        rc = mx_cummax_axis(&r, a, 1, false, true, NULL);
        break;
    case OP_CUMMIN_REV:
        rc = mx_cummin_axis(&r, a, 1, true, true, NULL);
        break;
    case OP_CUMMAX_EXCL:
        /* the exclusive scan starts at -inf: keep it out of the sums */
        rc = mx_cummax_axis(&t, a, 1, false, false, NULL);
        if (!rc) {
            int32_t st[2] = {0, 1}, sp[2] = {3, 4};
            rc = mx_slice(&r, t, st, sp, NULL, 2, NULL);
        }
        break;
    case OP_LOGCUMSUMEXP:
        rc = mx_logcumsumexp_axis(&r, a, 1, false, true, NULL);
        break;
    case OP_LOGCUMSUMEXP_REV:
        rc = mx_logcumsumexp_axis(&r, a, 0, true, true, NULL);
        break;
    case OP_MATMUL:
    case OP_MATMUL_BATCH:
        rc = mx_matmul(&r, a, b, NULL);
        break;
    case OP_ADDMM:
        rc = mx_addmm(&r, c, a, b, 0.75f, 1.5f, NULL);
        break;
    case OP_HADAMARD:
        rc = mx_hadamard_transform(&r, a, NULL, NULL);
        break;
    case OP_RMS_NORM:
        rc = mx_fast_rms_norm(&r, a, b, 1e-5f, NULL);
        break;
    case OP_LAYER_NORM:
        rc = mx_fast_layer_norm(&r, a, b, c, 1e-5f, NULL);
        break;
    case OP_ROPE:
    case OP_ROPE_TRAD: {
        float base = 10000.0f;
        bool trad = op == OP_ROPE_TRAD;
        rc = mx_fast_rope(&r, a, trad ? 4 : 8, trad, &base, 0.5f, 1, NULL, NULL);
        break;
    }
    case OP_SDPA: {
        /* (2, T, D) operands as (1, 2, T, D): one batch, two heads. */
        mx_array *q = NULL, *k = NULL, *v = NULL;
        int32_t sq[4] = {1, 2, 3, 4}, sk[4] = {1, 2, 5, 4};
        rc = mx_reshape(&q, a, sq, 4, NULL);
        if (!rc) rc = mx_reshape(&k, b, sk, 4, NULL);
        if (!rc) rc = mx_reshape(&v, c, sk, 4, NULL);
        if (!rc)
            rc =
                mx_fast_scaled_dot_product_attention(&r, q, k, v, 0.5f, "causal", NULL, NULL, NULL);
        mx_array_free(q), mx_array_free(k), mx_array_free(v);
        break;
    }
    case OP_CONV1D:
        rc = mx_conv1d(&r, a, b, 2, 1, 2, 1, NULL);
        break;
    case OP_CONV_GENERAL: {
        int st = 2, lo = 2, hi = -1, kd = 2, id = 2;
        rc = mx_conv_general(&r, a, b, &st, 1, &lo, &hi, 1, &kd, 1, &id, 1, 2, true, NULL);
        break;
    }
    case OP_CONV_TRANSPOSE:
        rc = mx_conv_transpose1d(&r, a, b, 2, 1, 1, 1, 2, NULL);
        break;
    case OP_SORT:
        rc = mx_sort_axis(&r, a, 1, NULL);
        break;
    case OP_PARTITION:
        rc = mx_partition_axis(&r, a, 2, 1, NULL);
        break;
    case OP_TOPK:
        rc = mx_topk_axis(&r, a, 2, 1, NULL);
        break;
    case OP_TAKE: {
        int32_t v[4] = {2, 0, 2, 1};
        t = idx_i32(v, 4);
        rc = mx_take_axis(&r, a, t, 1, NULL);
        break;
    }
    case OP_GATHER: {
        int32_t v0[3] = {0, 2, 0}, v1[3] = {1, 0, 1};
        mx_array *ix[2] = {idx_i32(v0, 3), idx_i32(v1, 3)};
        int32_t ss[2] = {1, 2};
        rc = mx_gather(&r, a, (const mx_array *const *)ix, 2, ax01, 2, ss, 2, NULL);
        mx_array_free(ix[0]);
        mx_array_free(ix[1]);
        break;
    }
    case OP_TAKE_ALONG:
    case OP_PUT_ALONG:
    case OP_SCATTER_ADD_AXIS: {
        int32_t v[6] = {1, 0, 2, 3, 3, 0}, sh[2] = {3, 2};
        mx_array *ix = NULL;
        t = idx_i32(v, 6);
        rc = mx_reshape(&ix, t, sh, 2, NULL);
        if (!rc && op == OP_TAKE_ALONG) rc = mx_take_along_axis(&r, a, ix, 1, NULL);
        if (!rc && op == OP_PUT_ALONG) rc = mx_put_along_axis(&r, a, ix, b, 1, NULL);
        if (!rc && op == OP_SCATTER_ADD_AXIS) rc = mx_scatter_add_axis(&r, a, ix, b, 1, NULL);
        mx_array_free(ix);
        break;
    }
    case OP_SCATTER:
    case OP_SCATTER_ADD: {
        /* a (3, 4), rows 2 and 0 of updates b (2, 1, 4) */
        int32_t v[2] = {2, 0};
        t = idx_i32(v, 2);
        rc = op == OP_SCATTER
                 ? mx_scatter(&r, a, (const mx_array *const *)&t, 1, b, ax01, 1, NULL)
                 : mx_scatter_add(&r, a, (const mx_array *const *)&t, 1, b, ax01, 1, NULL);
        break;
    }
    case OP_SLICE_UPDATE:
    case OP_SLICE_UPDATE_ADD: {
        int32_t st[2] = {0, 3}, sp[2] = {3, 0}, str[2] = {2, -2};
        rc = op == OP_SLICE_UPDATE ? mx_slice_update(&r, a, b, st, sp, str, 2, NULL)
                                   : mx_slice_update_add(&r, a, b, st, sp, str, 2, NULL);
        break;
    }
    case OP_SCATTER_MAX: {
        int32_t v[2] = {2, 0};
        t = idx_i32(v, 2);
        rc = mx_scatter_max(&r, a, (const mx_array *const *)&t, 1, b, ax01, 1, NULL);
        break;
    }
    case OP_SLICE_UPDATE_MIN: {
        int32_t st[2] = {0, 3}, sp[2] = {3, 0}, str[2] = {2, -2};
        rc = mx_slice_update_min(&r, a, b, st, sp, str, 2, NULL);
        break;
    }
    case OP_SLICE_UPDATE_DYN: {
        mx_array *st = NULL;
        rc = mx_array_from_int(&st, 1, MX_INT32);
        if (!rc) rc = mx_slice_update_dynamic(&r, a, b, st, &ax1, 1, NULL);
        mx_array_free(st);
        break;
    }
    case OP_UNIFORM: {
        int32_t sh[2] = {3, 4};
        rc = mx_random_key(&t, 7);
        if (!rc) rc = mx_random_uniform(&r, a, b, sh, 2, MX_FLOAT32, t, NULL);
        break;
    }
    case OP_TRUNCATED_NORMAL: {
        int32_t sh[2] = {3, 4};
        rc = mx_random_key(&t, 5);
        if (!rc) rc = mx_random_truncated_normal(&r, a, b, sh, 2, MX_FLOAT32, t, NULL);
        break;
    }
    case OP_PERMUTATION:
        rc = mx_random_key(&t, 3);
        if (!rc) rc = mx_random_permutation(&r, a, 1, t, NULL);
        break;
    case OP_FFT:
        rc = mx_fft_fft(&r, a, 6, 1, MX_FFT_NORM_BACKWARD, NULL);
        break;
    case OP_IFFT:
        /* complex input with every part free: a transform along axis 0 */
        rc = mx_fft_fft(&t, a, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL);
        if (!rc) rc = mx_fft_ifft(&r, t, 3, 1, MX_FFT_NORM_BACKWARD, NULL);
        break;
    case OP_RFFT:
        rc = mx_fft_rfft(&r, a, MX_FFT_N_DEFAULT, 1, MX_FFT_NORM_ORTHO, NULL);
        break;
    case OP_RFFT_ODD:
        rc = mx_fft_rfft(&r, a, 7, 0, MX_FFT_NORM_BACKWARD, NULL);
        break;
    case OP_IRFFT:
    case OP_IRFFT_ODD:
        rc = mx_fft_fft(&t, a, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL);
        if (!rc)
            rc = mx_fft_irfft(&r, t, op == OP_IRFFT ? 6 : 7, 1,
                              op == OP_IRFFT ? MX_FFT_NORM_BACKWARD : MX_FFT_NORM_FORWARD, NULL);
        break;
    case OP_FFTN:
        rc = mx_fft_fftn(&r, a, NULL, 0, NULL, 0, MX_FFT_NORM_ORTHO, NULL);
        break;
    case OP_RFFTN: {
        int axes[2] = {2, 0};
        rc = mx_fft_rfftn(&r, a, NULL, 0, axes, 2, MX_FFT_NORM_BACKWARD, NULL);
        break;
    }
    case OP_IRFFTN: {
        int axes[2] = {1, 2};
        int32_t sizes[2] = {3, 6};
        rc = mx_fft_fft(&t, a, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL);
        if (!rc) rc = mx_fft_irfftn(&r, t, sizes, 2, axes, 2, MX_FFT_NORM_BACKWARD, NULL);
        break;
    }
    case OP_QMM:
    case OP_QMM_NT: {
        bool tr = op == OP_QMM;
        mx_array *wq = NULL, *sc = NULL, *bi = NULL;
        rc = tr ? fixed_quantized(&wq, &sc, &bi, 8, 64) : fixed_quantized(&wq, &sc, &bi, 32, 64);
        if (!rc) rc = mx_astype(&t, a, MX_FLOAT32, NULL);
        if (!rc) rc = mx_quantized_matmul(&r, t, wq, sc, bi, tr, 32, 4, NULL, NULL);
        mx_array_free(wq), mx_array_free(sc), mx_array_free(bi);
        break;
    }
    case OP_QMM_SCALES: {
        /* x (2, 3, 64) and the scales and biases (8, 2) of a fixed w */
        mx_array *wq = NULL, *sc = NULL, *bi = NULL, *s32 = NULL, *b32 = NULL;
        rc = fixed_quantized(&wq, &sc, &bi, 8, 64);
        if (!rc) rc = mx_astype(&t, a, MX_FLOAT32, NULL);
        if (!rc) rc = mx_astype(&s32, b, MX_FLOAT32, NULL);
        if (!rc) rc = mx_astype(&b32, c, MX_FLOAT32, NULL);
        if (!rc) rc = mx_quantized_matmul(&r, t, wq, s32, b32, true, 32, 4, NULL, NULL);
        mx_array_free(wq), mx_array_free(sc), mx_array_free(bi);
        mx_array_free(s32), mx_array_free(b32);
        break;
    }
    case OP_GATHER_QMM: {
        /* x (3, 2, 64): matrices 2, 0, 2, 1 times w's 1, 0, 0, 1 */
        mx_array *wq = NULL, *sc = NULL, *bi = NULL, *q3[3] = {NULL, NULL, NULL};
        int32_t lv[4] = {2, 0, 2, 1}, rv[4] = {1, 0, 0, 1};
        mx_array *li = idx_i32(lv, 4), *ri = idx_i32(rv, 4);
        rc = fixed_quantized(&wq, &sc, &bi, 16, 64);
        mx_array *src[3] = {wq, sc, bi};
        for (int i = 0; i < 3 && !rc; i++) {
            int32_t sh[3] = {2, 8, mx_array_shape(src[i])[1]};
            rc = mx_reshape(&q3[i], src[i], sh, 3, NULL);
        }
        if (!rc) rc = mx_astype(&t, a, MX_FLOAT32, NULL);
        if (!rc)
            rc = mx_gather_qmm(&r, t, q3[0], q3[1], q3[2], li, ri, true, 32, 4, NULL, false, NULL);
        for (int i = 0; i < 3; i++) mx_array_free(q3[i]), mx_array_free(src[i]);
        mx_array_free(li), mx_array_free(ri);
        break;
    }
    case OP_INV:
    case OP_TRI_INV:
    case OP_CHOLESKY:
    case OP_CHOLESKY_UPPER:
        rc = shift_diag(&t, a, 3.0);
        if (!rc && op == OP_INV) rc = mx_linalg_inv(&r, t, NULL);
        if (!rc && op == OP_TRI_INV) rc = mx_linalg_tri_inv(&r, t, true, NULL);
        if (!rc && op == OP_CHOLESKY) rc = mx_linalg_cholesky(&r, t, false, NULL);
        if (!rc && op == OP_CHOLESKY_UPPER) rc = mx_linalg_cholesky(&r, t, true, NULL);
        break;
    case OP_EIGH:
        rc = mx_linalg_eigh(&r, &u, a, "L", NULL);
        if (!rc) rc = mx_vec_push(o, r);
        r = u, u = NULL;
        break;
    case OP_EIGVALSH_UPPER:
        rc = mx_linalg_eigvalsh(&r, a, "U", NULL);
        break;
    case OP_SVD_VALUES:
        rc = mx_linalg_svd(NULL, &r, NULL, a, false, NULL);
        break;
    case OP_QR:
    case OP_LU_FACTOR:
        rc = op == OP_QR ? mx_linalg_qr(&u, &r, a, NULL) : mx_linalg_lu_factor(&u, &r, a, NULL);
        if (!rc) rc = mx_vec_push(o, u);
        u = NULL;
        break;
    case OP_EIGVALS:
        rc = mx_linalg_eigvals(&r, a, NULL);
        break;
    case OP_SVD_FULL: {
        mx_array *sv = NULL;
        rc = mx_linalg_svd(&u, &sv, &r, a, true, NULL);
        if (!rc) rc = mx_vec_push(o, u);
        if (!rc)
            rc = mx_vec_push(o, sv);
        else
            mx_array_free(sv);
        u = NULL;
        break;
    }
    default:
        rc = MX_ERR_VALUE;
    }
    mx_array_free(t);
    mx_array_free(u);
    t = u = NULL;
    if (!rc && mx_array_dtype(r) == MX_COMPLEX64) {
        rc = mx_real(&t, r, NULL);
        if (!rc) rc = mx_imag(&u, r, NULL);
        mx_array_free(r);
        if (!rc) rc = mx_vec_push(o, t);
        if (!rc) return mx_vec_push(o, u);
        mx_array_free(t), mx_array_free(u);
        return rc;
    }
    return rc ? rc : mx_vec_push(o, r);
}

typedef struct fd_case {
    const char *name;
    int op;
    int n;
    int32_t shapes[3][3];
    int ndims[3];
    double lo, hi;
} fd_case;

static const fd_case cases[] = {
    {"abs", OP_ABS, 1, {{3, 4}}, {2}, -2, 2},
    {"negative", OP_NEG, 1, {{3, 4}}, {2}, -2, 2},
    {"square", OP_SQUARE, 1, {{3, 4}}, {2}, -2, 2},
    {"sqrt", OP_SQRT, 1, {{3, 4}}, {2}, 0.5, 3},
    {"rsqrt", OP_RSQRT, 1, {{3, 4}}, {2}, 0.5, 3},
    {"exp", OP_EXP, 1, {{3, 4}}, {2}, -2, 2},
    {"expm1", OP_EXPM1, 1, {{3, 4}}, {2}, -2, 2},
    {"erf", OP_ERF, 1, {{3, 4}}, {2}, -2, 2},
    {"erfinv", OP_ERFINV, 1, {{3, 4}}, {2}, -0.9, 0.9},
    {"sin", OP_SIN, 1, {{3, 4}}, {2}, -3, 3},
    {"cos", OP_COS, 1, {{3, 4}}, {2}, -3, 3},
    {"tan", OP_TAN, 1, {{3, 4}}, {2}, -1.2, 1.2},
    {"arcsin", OP_ASIN, 1, {{3, 4}}, {2}, -0.9, 0.9},
    {"arccos", OP_ACOS, 1, {{3, 4}}, {2}, -0.9, 0.9},
    {"arctan", OP_ATAN, 1, {{3, 4}}, {2}, -3, 3},
    {"sinh", OP_SINH, 1, {{3, 4}}, {2}, -2, 2},
    {"cosh", OP_COSH, 1, {{3, 4}}, {2}, -2, 2},
    {"tanh", OP_TANH, 1, {{3, 4}}, {2}, -2, 2},
    {"arcsinh", OP_ASINH, 1, {{3, 4}}, {2}, -2, 2},
    {"arccosh", OP_ACOSH, 1, {{3, 4}}, {2}, 1.2, 3},
    {"arctanh", OP_ATANH, 1, {{3, 4}}, {2}, -0.9, 0.9},
    {"log", OP_LOG, 1, {{3, 4}}, {2}, 0.5, 3},
    {"log2", OP_LOG2, 1, {{3, 4}}, {2}, 0.5, 3},
    {"log10", OP_LOG10, 1, {{3, 4}}, {2}, 0.5, 3},
    {"log1p", OP_LOG1P, 1, {{3, 4}}, {2}, -0.5, 3},
    {"sigmoid", OP_SIGMOID, 1, {{3, 4}}, {2}, -3, 3},
    {"nan_to_num", OP_NAN_TO_NUM, 1, {{3, 4}}, {2}, -3, 3},
    {"reciprocal", OP_RECIPROCAL, 1, {{3, 4}}, {2}, 0.5, 3},
    {"clip", OP_CLIP, 3, {{3, 4}, {3, 4}, {4}}, {2, 2, 1}, -2, 2},
    {"add", OP_ADD, 2, {{3, 4}, {4}}, {2, 1}, -2, 2},
    {"subtract", OP_SUB, 2, {{3, 1}, {3, 4}}, {2, 2}, -2, 2},
    {"multiply", OP_MUL, 2, {{3, 4}, {3, 4}}, {2, 2}, -2, 2},
    {"divide", OP_DIV, 2, {{3, 4}, {1, 4}}, {2, 2}, 0.5, 2},
    {"remainder", OP_REM, 2, {{3, 4}, {3, 4}}, {2, 2}, 0.3, 3},
    {"power", OP_POW, 2, {{3, 4}, {3, 4}}, {2, 2}, 0.5, 2},
    {"maximum", OP_MAXIMUM, 2, {{3, 4}, {3, 4}}, {2, 2}, -2, 2},
    {"minimum", OP_MINIMUM, 2, {{3, 4}, {4}}, {2, 1}, -2, 2},
    {"logaddexp", OP_LOGADDEXP, 2, {{3, 4}, {3, 4}}, {2, 2}, -2, 2},
    {"arctan2", OP_ARCTAN2, 2, {{3, 4}, {3, 4}}, {2, 2}, 0.2, 2},
    {"where", OP_WHERE, 2, {{3, 4}, {3, 4}}, {2, 2}, -2, 2},
    {"full", OP_FULL, 1, {{3, 1}}, {2}, -2, 2},
    {"tril", OP_TRIL, 1, {{3, 4}}, {2}, -2, 2},
    {"triu", OP_TRIU, 1, {{2, 3, 4}}, {3}, -2, 2},
    {"reshape", OP_RESHAPE, 1, {{2, 3, 4}}, {3}, -2, 2},
    {"transpose", OP_TRANSPOSE, 1, {{2, 3, 4}}, {3}, -2, 2},
    {"broadcast", OP_BROADCAST, 1, {{3, 1}}, {2}, -2, 2},
    {"slice", OP_SLICE, 1, {{4, 5}}, {2}, -2, 2},
    {"concatenate", OP_CONCAT, 2, {{3, 4}, {3, 2}}, {2, 2}, -2, 2},
    {"pad", OP_PAD, 1, {{3, 4}}, {2}, -2, 2},
    {"pad value", OP_PAD_VALUE, 2, {{3, 4}, {0}}, {2, 0}, -2, 2},
    {"as_strided", OP_AS_STRIDED, 1, {{3, 4}}, {2}, -2, 2},
    {"contiguous", OP_CONTIGUOUS, 1, {{3, 4}}, {2}, -2, 2},
    {"slice_dynamic", OP_DYNAMIC_SLICE, 1, {{3, 4}}, {2}, -2, 2},
    {"diagonal", OP_DIAGONAL, 1, {{3, 4}}, {2}, -2, 2},
    {"flip", OP_FLIP, 1, {{3, 4}}, {2}, -2, 2},
    {"sum", OP_SUM, 1, {{2, 3, 4}}, {3}, -2, 2},
    {"prod", OP_PROD, 1, {{3, 4}}, {2}, -2, 2},
    {"prod all", OP_PROD_ALL, 1, {{2, 3}}, {2}, 0.5, 1.5},
    {"max", OP_MAX, 1, {{3, 4}}, {2}, -2, 2},
    {"min", OP_MIN, 1, {{2, 3, 4}}, {3}, -2, 2},
    {"logsumexp", OP_LOGSUMEXP, 1, {{3, 4}}, {2}, -2, 2},
    {"softmax", OP_SOFTMAX, 1, {{3, 4}}, {2}, -2, 2},
    {"median odd", OP_MEDIAN, 1, {{4, 5}}, {2}, -2, 2},
    {"median even", OP_MEDIAN, 1, {{3, 4}}, {2}, -2, 2},
    {"trace", OP_TRACE, 1, {{3, 4}}, {2}, -2, 2},
    {"mean", OP_MEAN, 1, {{3, 4}}, {2}, -2, 2},
    {"var", OP_VAR, 1, {{3, 4}}, {2}, -2, 2},
    {"cumsum", OP_CUMSUM, 1, {{3, 4}}, {2}, -2, 2},
    {"cumsum reverse exclusive", OP_CUMSUM_REV_EXCL, 1, {{3, 4}}, {2}, -2, 2},
    {"cumprod", OP_CUMPROD, 1, {{3, 4}}, {2}, 0.5, 2},
    {"cumprod reverse exclusive", OP_CUMPROD_EXCL, 1, {{3, 4}}, {2}, 0.5, 2},
    {"cummax", OP_CUMMAX, 1, {{3, 4}}, {2}, -2, 2},
    {"cummin reverse", OP_CUMMIN_REV, 1, {{3, 4}}, {2}, -2, 2},
    {"cummax exclusive", OP_CUMMAX_EXCL, 1, {{3, 4}}, {2}, -2, 2},
    {"logcumsumexp", OP_LOGCUMSUMEXP, 1, {{3, 4}}, {2}, -2, 2},
    {"logcumsumexp reverse", OP_LOGCUMSUMEXP_REV, 1, {{3, 4}}, {2}, -2, 2},
    {"matmul", OP_MATMUL, 2, {{3, 4}, {4, 2}}, {2, 2}, -2, 2},
    {"matmul batch", OP_MATMUL_BATCH, 2, {{2, 3, 4}, {4, 2}}, {3, 2}, -2, 2},
    {"addmm", OP_ADDMM, 3, {{2, 3, 4}, {4, 2}, {3, 1}}, {3, 2, 2}, -2, 2},
    {"hadamard 20", OP_HADAMARD, 1, {{3, 20}}, {2}, -2, 2},
    {"hadamard 8", OP_HADAMARD, 1, {{2, 3, 8}}, {3}, -2, 2},
    {"rms_norm", OP_RMS_NORM, 2, {{3, 8}, {8}}, {2, 1}, -2, 2},
    {"layer_norm", OP_LAYER_NORM, 3, {{3, 8}, {8}, {8}}, {2, 1, 1}, -2, 2},
    {"rope", OP_ROPE, 1, {{2, 3, 8}}, {3}, -2, 2},
    {"rope traditional", OP_ROPE_TRAD, 1, {{2, 3, 8}}, {3}, -2, 2},
    {"sdpa", OP_SDPA, 3, {{2, 3, 4}, {2, 5, 4}, {2, 5, 4}}, {3, 3, 3}, -2, 2},
    {"conv1d", OP_CONV1D, 2, {{2, 7, 4}, {3, 3, 4}}, {3, 3}, -2, 2},
    {"conv_general", OP_CONV_GENERAL, 2, {{2, 6, 4}, {4, 2, 2}}, {3, 3}, -2, 2},
    {"conv_transpose1d", OP_CONV_TRANSPOSE, 2, {{1, 4, 4}, {4, 3, 2}}, {3, 3}, -2, 2},
    {"sort", OP_SORT, 1, {{3, 4}}, {2}, -2, 2},
    {"partition", OP_PARTITION, 1, {{3, 4}}, {2}, -2, 2},
    {"topk", OP_TOPK, 1, {{3, 4}}, {2}, -2, 2},
    {"take", OP_TAKE, 1, {{3, 4}}, {2}, -2, 2},
    {"gather", OP_GATHER, 1, {{3, 4}}, {2}, -2, 2},
    {"take_along_axis", OP_TAKE_ALONG, 1, {{3, 4}}, {2}, -2, 2},
    {"scatter", OP_SCATTER, 2, {{3, 4}, {2, 1, 4}}, {2, 3}, -2, 2},
    {"scatter_add", OP_SCATTER_ADD, 2, {{3, 4}, {2, 1, 4}}, {2, 3}, -2, 2},
    {"put_along_axis", OP_PUT_ALONG, 2, {{3, 4}, {3, 2}}, {2, 2}, -2, 2},
    {"scatter_add_axis", OP_SCATTER_ADD_AXIS, 2, {{3, 4}, {3, 2}}, {2, 2}, -2, 2},
    {"slice_update", OP_SLICE_UPDATE, 2, {{4, 5}, {2, 2}}, {2, 2}, -2, 2},
    {"slice_update_add", OP_SLICE_UPDATE_ADD, 2, {{4, 5}, {2, 2}}, {2, 2}, -2, 2},
    {"slice_update_dynamic", OP_SLICE_UPDATE_DYN, 2, {{3, 4}, {3, 2}}, {2, 2}, -2, 2},
    {"scatter_max", OP_SCATTER_MAX, 2, {{3, 4}, {2, 1, 4}}, {2, 3}, -2, 2},
    {"slice_update_min", OP_SLICE_UPDATE_MIN, 2, {{4, 5}, {2, 2}}, {2, 2}, -2, 2},
    {"permutation", OP_PERMUTATION, 1, {{3, 4}}, {2}, -2, 2},
    {"inv", OP_INV, 1, {{2, 3, 3}}, {3}, -1, 1},
    {"tri_inv", OP_TRI_INV, 1, {{2, 3, 3}}, {3}, -1, 1},
    {"cholesky", OP_CHOLESKY, 1, {{2, 3, 3}}, {3}, -1, 1},
    {"cholesky upper", OP_CHOLESKY_UPPER, 1, {{2, 3, 3}}, {3}, -1, 1},
    {"eigh", OP_EIGH, 1, {{2, 4, 4}}, {3}, -2, 2},
    {"eigvalsh upper", OP_EIGVALSH_UPPER, 1, {{2, 4, 4}}, {3}, -2, 2},
    {"svd values", OP_SVD_VALUES, 1, {{2, 4, 3}}, {3}, -2, 2},
    {"qr", OP_QR, 1, {{2, 4, 3}}, {3}, -2, 2},
    {"qr square", OP_QR, 1, {{2, 3, 3}}, {3}, -2, 2},
};

/* Primitives computed in float32 whatever the input (FFT): checked on
 * float64 inputs with float32 steps and tolerances. */
static const fd_case f32_cases[] = {
    {"fft", OP_FFT, 1, {{3, 4}}, {2}, -2, 2},
    {"ifft", OP_IFFT, 1, {{2, 5}}, {2}, -2, 2},
    {"rfft", OP_RFFT, 1, {{3, 8}}, {2}, -2, 2},
    {"rfft odd", OP_RFFT_ODD, 1, {{5, 3}}, {2}, -2, 2},
    {"irfft", OP_IRFFT, 1, {{3, 4}}, {2}, -2, 2},
    {"irfft odd", OP_IRFFT_ODD, 1, {{3, 4}}, {2}, -2, 2},
    {"fftn", OP_FFTN, 1, {{2, 3, 4}}, {3}, -2, 2},
    {"rfftn", OP_RFFTN, 1, {{3, 2, 5}}, {3}, -2, 2},
    {"irfftn", OP_IRFFTN, 1, {{2, 3, 4}}, {3}, -2, 2},
    {"quantized_matmul", OP_QMM, 1, {{2, 3, 64}}, {3}, -2, 2},
    {"quantized_matmul not transposed", OP_QMM_NT, 1, {{3, 32}}, {2}, -2, 2},
    {"gather_qmm", OP_GATHER_QMM, 1, {{3, 2, 64}}, {3}, -2, 2},
    {"quantized_matmul scales and biases",
     OP_QMM_SCALES,
     3,
     {{2, 3, 64}, {8, 2}, {8, 2}},
     {3, 2, 2},
     -2,
     2},
};

#endif
