/*
 * Elementwise unary ops: check, work out the dtype, cast where MLX casts,
 * then one node (or a composition of other ops where MLX composes).
 */
#include <float.h>
#include <math.h>

#include "ops_util.h"
#include "primitives/params_unary.h"

/* One node of `kind` on a (already of the input dtype the kernel expects). */
static int make1(mx_array **out, const mx_array *a, mx_dtype dtype, mxi_prim_kind kind,
                 const void *params, size_t params_size, const mx_stream *s) {
    mx_array *in = (mx_array *)a;
    return mxi_make(out, dtype, a->shape, a->ndim, kind, params, params_size, &in, 1, s);
}

static int check1(const char *op, mx_array **out, const mx_array *a) {
    return mxi_check_inputs(op, out, &a, 1);
}

static int no_complex(const char *op, const mx_array *a) {
    if (a->dtype == MX_COMPLEX64)
        return mxi_error(MX_ERR_VALUE, "[%s] Not supported for complex64.", op);
    return MX_OK;
}

/* Ops that keep the dtype and run on every dtype. */
static int same_dtype(mx_array **out, const mx_array *a, mxi_prim_kind kind, const char *op,
                      const mx_stream *s) {
    int rc = check1(op, out, a);
    if (rc) return rc;
    return make1(out, a, a->dtype, kind, NULL, 0, s);
}

/* at_least_float ops: bool and integers are cast to float32 first. */
static int float_op(mx_array **out, const mx_array *a, mxi_prim_kind kind, const char *op,
                    bool allow_complex, const void *params, size_t params_size,
                    const mx_stream *s) {
    int rc = check1(op, out, a);
    if (!rc && !allow_complex) rc = no_complex(op, a);
    if (rc) return rc;
    mx_dtype dtype = mx_at_least_float(a->dtype);
    mx_array *in = NULL;
    rc = mxi_astype_if(&in, a, dtype, s);
    if (!rc) rc = make1(out, in, dtype, kind, params, params_size, s);
    mx_array_free(in);
    return rc;
}

static int retain_into(mx_array **out, const mx_array *a) {
    mxi_set_out(out, mx_array_retain((mx_array *)a));
    return MX_OK;
}

/* ---- sign and magnitude ---- */

int mx_abs(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = check1("abs", out, a);
    if (rc) return rc;
    mx_dtype dtype = a->dtype == MX_COMPLEX64 ? MX_FLOAT32 : a->dtype;
    return make1(out, a, dtype, MXI_PRIM_ABS, NULL, 0, s);
}

int mx_sign(mx_array **out, const mx_array *a, const mx_stream *s) {
    return same_dtype(out, a, MXI_PRIM_SIGN, "sign", s);
}

int mx_positive(mx_array **out, const mx_array *a, const mx_stream *s) {
    (void)s;
    int rc = check1("positive", out, a);
    if (rc) return rc;
    return retain_into(out, a);
}

int mx_negative(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = check1("negative", out, a);
    if (rc) return rc;
    if (a->dtype == MX_BOOL)
        return mxi_error(MX_ERR_VALUE,
                         "[negative] Not supported for bool, use logical_not instead.");
    return make1(out, a, a->dtype, MXI_PRIM_NEGATIVE, NULL, 0, s);
}

int mx_square(mx_array **out, const mx_array *a, const mx_stream *s) {
    return same_dtype(out, a, MXI_PRIM_SQUARE, "square", s);
}

/* ---- powers, exponentials and logarithms ---- */

int mx_sqrt(mx_array **out, const mx_array *a, const mx_stream *s) {
    mxi_sqrt_params p = {0};
    return float_op(out, a, MXI_PRIM_SQRT, "sqrt", true, &p, sizeof p, s);
}

int mx_rsqrt(mx_array **out, const mx_array *a, const mx_stream *s) {
    mxi_sqrt_params p = {1};
    return float_op(out, a, MXI_PRIM_SQRT, "rsqrt", true, &p, sizeof p, s);
}

int mx_reciprocal(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = check1("reciprocal", out, a);
    if (rc) return rc;
    mx_array *one = NULL;
    rc = mx_array_from_float(&one, 1.0, mx_at_least_float(a->dtype));
    if (!rc) rc = mx_divide(out, one, a, s);
    mx_array_free(one);
    return rc;
}

int mx_exp(mx_array **out, const mx_array *a, const mx_stream *s) {
    return float_op(out, a, MXI_PRIM_EXP, "exp", true, NULL, 0, s);
}

int mx_expm1(mx_array **out, const mx_array *a, const mx_stream *s) {
    return float_op(out, a, MXI_PRIM_EXPM1, "expm1", false, NULL, 0, s);
}

static int log_op(mx_array **out, const mx_array *a, mxi_log_base base, const char *op,
                  const mx_stream *s) {
    mxi_log_params p = {(int32_t)base};
    return float_op(out, a, MXI_PRIM_LOG, op, true, &p, sizeof p, s);
}

int mx_log(mx_array **out, const mx_array *a, const mx_stream *s) {
    return log_op(out, a, MXI_LOG_E, "log", s);
}

int mx_log2(mx_array **out, const mx_array *a, const mx_stream *s) {
    return log_op(out, a, MXI_LOG_2, "log2", s);
}

int mx_log10(mx_array **out, const mx_array *a, const mx_stream *s) {
    return log_op(out, a, MXI_LOG_10, "log10", s);
}

int mx_log1p(mx_array **out, const mx_array *a, const mx_stream *s) {
    return float_op(out, a, MXI_PRIM_LOG1P, "log1p", true, NULL, 0, s);
}

int mx_sigmoid(mx_array **out, const mx_array *a, const mx_stream *s) {
    return float_op(out, a, MXI_PRIM_SIGMOID, "sigmoid", false, NULL, 0, s);
}

int mx_erf(mx_array **out, const mx_array *a, const mx_stream *s) {
    return float_op(out, a, MXI_PRIM_ERF, "erf", false, NULL, 0, s);
}

int mx_erfinv(mx_array **out, const mx_array *a, const mx_stream *s) {
    return float_op(out, a, MXI_PRIM_ERF_INV, "erfinv", false, NULL, 0, s);
}

/* ---- trigonometric and hyperbolic ---- */

#define MXI_TRIG_OP(NAME, KIND)                                                                    \
    int mx_##NAME(mx_array **out, const mx_array *a, const mx_stream *s) {                         \
        return float_op(out, a, MXI_PRIM_##KIND, #NAME, true, NULL, 0, s);                         \
    }

MXI_TRIG_OP(sin, SIN)
MXI_TRIG_OP(cos, COS)
MXI_TRIG_OP(tan, TAN)
MXI_TRIG_OP(arcsin, ARC_SIN)
MXI_TRIG_OP(arccos, ARC_COS)
MXI_TRIG_OP(arctan, ARC_TAN)
MXI_TRIG_OP(sinh, SINH)
MXI_TRIG_OP(cosh, COSH)
MXI_TRIG_OP(tanh, TANH)
MXI_TRIG_OP(arcsinh, ARC_SINH)
MXI_TRIG_OP(arccosh, ARC_COSH)
MXI_TRIG_OP(arctanh, ARC_TANH)

/* a * scalar(factor) with the scalar in the at-least-float dtype. */
static int scale_op(mx_array **out, const mx_array *a, double factor, const char *op,
                    const mx_stream *s) {
    int rc = check1(op, out, a);
    if (rc) return rc;
    mx_array *f = NULL;
    rc = mx_array_from_float(&f, factor, mx_at_least_float(a->dtype));
    if (!rc) rc = mx_multiply(out, a, f, s);
    mx_array_free(f);
    return rc;
}

int mx_degrees(mx_array **out, const mx_array *a, const mx_stream *s) {
    return scale_op(out, a, 180.0 / M_PI, "degrees", s);
}

int mx_radians(mx_array **out, const mx_array *a, const mx_stream *s) {
    return scale_op(out, a, M_PI / 180.0, "radians", s);
}

/* ---- rounding ---- */

static int rounding(mx_array **out, const mx_array *a, mxi_prim_kind kind, const char *op,
                    const mx_stream *s) {
    int rc = check1(op, out, a);
    if (!rc) rc = no_complex(op, a);
    if (rc) return rc;
    return make1(out, a, a->dtype, kind, NULL, 0, s);
}

int mx_floor(mx_array **out, const mx_array *a, const mx_stream *s) {
    return rounding(out, a, MXI_PRIM_FLOOR, "floor", s);
}

int mx_ceil(mx_array **out, const mx_array *a, const mx_stream *s) {
    return rounding(out, a, MXI_PRIM_CEIL, "ceil", s);
}

int mx_trunc(mx_array **out, const mx_array *a, const mx_stream *s) {
    return rounding(out, a, MXI_PRIM_TRUNC, "trunc", s);
}

int mx_round(mx_array **out, const mx_array *a, int decimals, const mx_stream *s) {
    int rc = check1("round", out, a);
    if (rc) return rc;
    if (decimals == 0) return make1(out, a, a->dtype, MXI_PRIM_ROUND, NULL, 0, s);
    /* As MLX: float scale = pow(10, decimals); x * scale, round, times
     * 1 / scale, back to a's dtype. */
    mx_dtype dtype = mx_at_least_float(a->dtype);
    float scale = (float)pow(10.0, (double)decimals);
    float inv = 1.0f / scale;
    mx_array *sv = NULL, *iv = NULL, *t = NULL;
    rc = mx_array_from_float(&sv, (double)scale, dtype);
    if (!rc) rc = mx_array_from_float(&iv, (double)inv, dtype);
    if (!rc) rc = mx_multiply(&t, a, sv, s);
    if (!rc) rc = make1(&t, t, t->dtype, MXI_PRIM_ROUND, NULL, 0, s);
    if (!rc) rc = mx_multiply(&t, t, iv, s);
    if (!rc) rc = mx_astype(out, t, a->dtype, s);
    mx_array_free(sv);
    mx_array_free(iv);
    mx_array_free(t);
    return rc;
}

/* ---- predicates ---- */

static int predicate(mx_array **out, const mx_array *a, mxi_prim_kind kind, bool int_value,
                     const char *op, const mx_stream *s) {
    int rc = check1(op, out, a);
    if (rc) return rc;
    if (!mx_dtype_is_inexact(a->dtype)) {
        mx_array *v = NULL;
        rc = mx_array_from_bool(&v, int_value);
        if (!rc) rc = mx_full(out, a->shape, a->ndim, v, MX_BOOL, s);
        mx_array_free(v);
        return rc;
    }
    return make1(out, a, MX_BOOL, kind, NULL, 0, s);
}

int mx_isnan(mx_array **out, const mx_array *a, const mx_stream *s) {
    return predicate(out, a, MXI_PRIM_ISNAN, false, "isnan", s);
}

int mx_isinf(mx_array **out, const mx_array *a, const mx_stream *s) {
    return predicate(out, a, MXI_PRIM_ISINF, false, "isinf", s);
}

int mx_isfinite(mx_array **out, const mx_array *a, const mx_stream *s) {
    return predicate(out, a, MXI_PRIM_ISFINITE, true, "isfinite", s);
}

int mx_isposinf(mx_array **out, const mx_array *a, const mx_stream *s) {
    return predicate(out, a, MXI_PRIM_ISPOSINF, false, "isposinf", s);
}

int mx_isneginf(mx_array **out, const mx_array *a, const mx_stream *s) {
    return predicate(out, a, MXI_PRIM_ISNEGINF, false, "isneginf", s);
}

int mx_logical_not(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = check1("logical_not", out, a);
    if (rc) return rc;
    mx_array *b = NULL;
    rc = mxi_astype_if(&b, a, MX_BOOL, s);
    if (!rc) rc = make1(out, b, MX_BOOL, MXI_PRIM_LOGICAL_NOT, NULL, 0, s);
    mx_array_free(b);
    return rc;
}

int mx_bitwise_invert(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = check1("bitwise_invert", out, a);
    if (rc) return rc;
    if (mx_dtype_is_inexact(a->dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[bitwise_invert] Bitwise inverse only allowed on integer types, got %s.",
                         mx_dtype_name(a->dtype));
    if (a->dtype == MX_BOOL) return mx_logical_not(out, a, s);
    return make1(out, a, a->dtype, MXI_PRIM_BITWISE_INVERT, NULL, 0, s);
}

/* ---- replacing values ---- */

/* The largest finite value of a float dtype. */
static double dtype_max(mx_dtype t) {
    switch (t) {
    case MX_FLOAT16:
        return 65504.0;
    case MX_BFLOAT16:
        return 0x1.fep127; /* 3.3895e38 */
    case MX_FLOAT64:
        return DBL_MAX;
    default:
        return FLT_MAX;
    }
}

int mx_nan_to_num(mx_array **out, const mx_array *a, double nan, const double *posinf,
                  const double *neginf, const mx_stream *s) {
    int rc = check1("nan_to_num", out, a);
    if (rc) return rc;
    if (!mx_dtype_is_inexact(a->dtype)) return retain_into(out, a);
    double m = dtype_max(a->dtype);
    mxi_nan_to_num_params p = {nan, posinf ? *posinf : m, neginf ? *neginf : -m};
    return make1(out, a, a->dtype, MXI_PRIM_NAN_TO_NUM, &p, sizeof p, s);
}

int mx_clip(mx_array **out, const mx_array *a, const mx_array *a_min, const mx_array *a_max,
            const mx_stream *s) {
    int rc = check1("clip", out, a);
    if (rc) return rc;
    if (!a_min && !a_max)
        return mxi_error(MX_ERR_VALUE, "[clip] At most one of a_min and a_max may be None.");
    const mx_array *ops[3] = {a, a_min, a_max};
    mx_dtype dtype = a->dtype;
    int32_t shape[MXI_MAX_NDIM];
    int ndim = a->ndim;
    if (ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[clip] more than %d dimensions", MXI_MAX_NDIM);
    for (int d = 0; d < ndim; d++) shape[d] = a->shape[d];
    for (int i = 1; i < 3; i++) {
        if (!ops[i]) continue;
        if (ops[i]->ndim > MXI_MAX_NDIM)
            return mxi_error(MX_ERR_VALUE, "[clip] more than %d dimensions", MXI_MAX_NDIM);
        int32_t next[MXI_MAX_NDIM];
        int nn;
        rc = mxi_broadcast_shapes("clip", next, &nn, shape, ndim, ops[i]->shape, ops[i]->ndim);
        if (rc) return rc;
        for (int d = 0; d < nn; d++) shape[d] = next[d];
        ndim = nn;
        dtype = mx_promote_types(dtype, ops[i]->dtype);
    }
    mx_array *ins[3] = {NULL, NULL, NULL};
    int n = 0;
    for (int i = 0; i < 3 && !rc; i++) {
        if (!ops[i]) continue;
        mx_array *c = NULL;
        rc = mxi_astype_if(&c, ops[i], dtype, s);
        if (!rc) rc = mxi_broadcast_if(&ins[n++], c, shape, ndim, s);
        mx_array_free(c);
    }
    if (!rc) {
        mxi_clip_params p = {a_min != NULL, a_max != NULL};
        rc = mxi_make(out, dtype, shape, ndim, MXI_PRIM_CLIP, &p, sizeof p, ins, n, s);
    }
    for (int i = 0; i < 3; i++) mx_array_free(ins[i]);
    return rc;
}

/* ---- complex parts ---- */

int mx_conjugate(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = check1("conjugate", out, a);
    if (rc) return rc;
    if (a->dtype != MX_COMPLEX64) return retain_into(out, a);
    return make1(out, a, a->dtype, MXI_PRIM_CONJUGATE, NULL, 0, s);
}

int mx_conj(mx_array **out, const mx_array *a, const mx_stream *s) {
    return mx_conjugate(out, a, s);
}

int mx_real(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = check1("real", out, a);
    if (rc) return rc;
    if (a->dtype != MX_COMPLEX64) return retain_into(out, a);
    return make1(out, a, MX_FLOAT32, MXI_PRIM_REAL, NULL, 0, s);
}

int mx_imag(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = check1("imag", out, a);
    if (rc) return rc;
    if (a->dtype != MX_COMPLEX64) return mx_zeros(out, a->shape, a->ndim, a->dtype, s);
    return make1(out, a, MX_FLOAT32, MXI_PRIM_IMAG, NULL, 0, s);
}
