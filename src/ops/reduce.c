/*
 * Reductions and the ops built on them: all, any, sum, prod, min, max,
 * mean, var, std, median, logsumexp, argmin, argmax, count_nonzero, softmax
 * and trace.
 *
 * A Reduce-family node keeps the reduced axes as size 1; without keepdims a
 * reshape drops them. As in MLX, a reduction over no axes or over axes that
 * all have size 1 makes no reduction node: it is the input itself, cast to
 * the result dtype where the op changes it. mean, var, std and
 * count_nonzero are compositions of other ops, as MLX builds them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_util.h"
#include "primitives/params.h"
#include "primitives/params_reduce.h"

/* The dtype sum and prod produce, as MLX: small integers widen to 32 bits. */
static mx_dtype sum_dtype(mx_dtype t) {
    switch (t) {
    case MX_BOOL:
    case MX_INT8:
    case MX_INT16:
        return MX_INT32;
    case MX_UINT8:
    case MX_UINT16:
        return MX_UINT32;
    default:
        return t;
    }
}

static int cmp_int32(const void *x, const void *y) {
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

/* ---- axes ---- */

/* The reduced axes of an op: sorted, distinct and non-negative, with the
 * shapes with and without them. */
typedef struct red_axes {
    int n;
    int32_t ax[MXI_MAX_NDIM];
    int nkept;
    int32_t kept_shape[MXI_MAX_NDIM]; /* the input's shape with reduced axes set to 1 */
    int32_t dropped[MXI_MAX_NDIM];    /* the input's shape without the reduced axes */
    int64_t n_red;                    /* elements per reduction */
    bool noop;                        /* every reduced axis has size 1 (or there are none) */
} red_axes;

/* Checks and sorts axes (all: every axis of a). Out-of-range axes are
 * MX_ERR_INDEX, repeated ones MX_ERR_VALUE. */
static int get_axes(red_axes *r, const char *op, const mx_array *a, const int *axes, int naxes,
                    bool all) {
    int nd = a->ndim;
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    r->n = 0;
    if (all) {
        for (int i = 0; i < nd; i++) r->ax[r->n++] = i;
    } else {
        if (naxes < 0 || (naxes && !axes)) return mxi_error(MX_ERR_VALUE, "[%s] invalid axes", op);
        for (int i = 0; i < naxes; i++) {
            int ax = axes[i];
            int rc = mxi_normalize_axis(op, &ax, nd);
            if (rc) return rc;
            if (r->n == MXI_MAX_NDIM)
                return mxi_error(MX_ERR_VALUE, "[%s] duplicate axes in the reduction", op);
            r->ax[r->n++] = ax;
        }
        qsort(r->ax, (size_t)r->n, sizeof(int32_t), cmp_int32);
        for (int i = 1; i < r->n; i++)
            if (r->ax[i] == r->ax[i - 1])
                return mxi_error(MX_ERR_VALUE, "[%s] duplicate axes in the reduction", op);
    }
    r->nkept = 0;
    r->n_red = 1;
    r->noop = true;
    for (int i = 0, j = 0; i < nd; i++) {
        bool reduced = j < r->n && r->ax[j] == i;
        if (reduced) {
            j++;
            r->n_red *= a->shape[i];
            if (a->shape[i] != 1) r->noop = false;
        }
        r->kept_shape[i] = reduced ? 1 : a->shape[i];
        if (!reduced) r->dropped[r->nkept++] = a->shape[i];
    }
    return MX_OK;
}

/* Drops the reduced axes of r (a result with the input's rank and size-1
 * reduced axes) unless keepdims; takes r. */
static int finish(mx_array **out, mx_array *r, const red_axes *ax, bool keepdims,
                  const mx_stream *s) {
    if (keepdims || ax->n == 0) {
        mxi_set_out(out, r);
        return MX_OK;
    }
    int rc = mx_reshape(out, r, ax->dropped, ax->nkept, s);
    mx_array_free(r);
    return rc;
}

/* A node of `kind` over a with the reduced axes kept as size 1, parameters
 * `params` (params_size bytes). */
static int make_reduced(mx_array **out, const mx_array *a, const red_axes *ax, mx_dtype dtype,
                        mxi_prim_kind kind, const void *params, size_t params_size,
                        const mx_stream *s) {
    mx_array *in = (mx_array *)a;
    return mxi_make(out, dtype, ax->kept_shape, a->ndim, kind, params, params_size, &in, 1, s);
}

/* ---- all, any, sum, prod, min, max ---- */

static int reduce(mx_array **out, const mx_array *a, const int *axes, int naxes, bool all,
                  bool keepdims, mxi_reduce_type type, const char *op, const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    red_axes ax;
    rc = get_axes(&ax, op, a, axes, naxes, all);
    if (rc) return rc;
    mx_dtype dtype = a->dtype;
    if (type == MXI_REDUCE_AND || type == MXI_REDUCE_OR) dtype = MX_BOOL;
    if (type == MXI_REDUCE_SUM || type == MXI_REDUCE_PROD) dtype = sum_dtype(a->dtype);
    if (type == MXI_REDUCE_MIN || type == MXI_REDUCE_MAX)
        for (int i = 0; i < ax.n; i++)
            if (a->shape[ax.ax[i]] == 0)
                return mxi_error(MX_ERR_VALUE, "[%s] cannot %s reduce over axis %d with size 0", op,
                                 op, ax.ax[i]);
    /* No axes: sum, prod, min and max give the input as it is. */
    if (ax.n == 0 && type != MXI_REDUCE_AND && type != MXI_REDUCE_OR) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    mx_array *r = NULL;
    if (ax.noop) {
        rc = mxi_astype_if(&r, a, dtype, s);
    } else {
        union {
            mxi_reduce_params p;
            int32_t room[4 + MXI_MAX_NDIM];
        } params;
        params.p.type = type;
        params.p.naxes = ax.n;
        memcpy(params.p.axes, ax.ax, (size_t)ax.n * sizeof(int32_t));
        rc = make_reduced(&r, a, &ax, dtype, MXI_PRIM_REDUCE, &params,
                          sizeof(mxi_reduce_params) + (size_t)ax.n * sizeof(int32_t), s);
    }
    if (rc) return rc;
    return finish(out, r, &ax, keepdims, s);
}

#define REDUCE_OPS(NAME, TYPE)                                                                     \
    int mx_##NAME(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s) {          \
        return reduce(out, a, NULL, 0, true, keepdims, TYPE, #NAME, s);                            \
    }                                                                                              \
    int mx_##NAME##_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,            \
                         bool keepdims, const mx_stream *s) {                                      \
        return reduce(out, a, axes, naxes, false, keepdims, TYPE, #NAME, s);                       \
    }                                                                                              \
    int mx_##NAME##_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,               \
                         const mx_stream *s) {                                                     \
        return reduce(out, a, &axis, 1, false, keepdims, TYPE, #NAME, s);                          \
    }

REDUCE_OPS(all, MXI_REDUCE_AND)
REDUCE_OPS(any, MXI_REDUCE_OR)
REDUCE_OPS(sum, MXI_REDUCE_SUM)
REDUCE_OPS(prod, MXI_REDUCE_PROD)
REDUCE_OPS(min, MXI_REDUCE_MIN)
REDUCE_OPS(max, MXI_REDUCE_MAX)

/* ---- mean, var, std ---- */

/* v rounded to dtype (a float or complex dtype), as a cast would. */
static double round_to(mx_dtype dtype, double v) {
    switch (dtype) {
    case MX_FLOAT16:
        return mx_half_to_float(mx_float_to_half((float)v));
    case MX_BFLOAT16:
        return mx_bfloat16_to_float(mx_float_to_bfloat16((float)v));
    case MX_FLOAT64:
        return v;
    default:
        return (float)v;
    }
}

/* A 0-d array of dtype holding v. */
static int scalar(mx_array **out, double v, mx_dtype dtype) {
    if (dtype == MX_COMPLEX64) return mx_array_from_complex(out, (float)v, 0);
    return mx_array_from_float(out, v, dtype);
}

/* 1 / (elements reduced), computed from a so that a shapeless compile
 * replay counts its new shape: the sum of ones spread over a. */
static int traced_normalizer(mx_array **out, const mx_array *a, const red_axes *ax, mx_dtype dtype,
                             bool keepdims, const mx_stream *s) {
    mx_array *one = NULL, *ones = NULL, *n = NULL;
    int rc = scalar(&one, 1.0, MX_FLOAT32);
    if (!rc) rc = mx_ones_like(&ones, a, MX_FLOAT32, s);
    /* shaped as the sum it scales, so the product keeps the sum's shape */
    if (!rc) rc = reduce(&n, ones, ax->ax, ax->n, false, keepdims, MXI_REDUCE_SUM, "mean", s);
    mx_array_free(ones);
    ones = NULL;
    if (!rc) rc = mx_divide(&ones, one, n, s);
    if (!rc) rc = mxi_astype_if(out, ones, dtype, s);
    mx_array_free(one);
    mx_array_free(ones);
    mx_array_free(n);
    return rc;
}

static int mean_impl(mx_array **out, const mx_array *a, const int *axes, int naxes, bool all,
                     bool keepdims, const char *op, const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    red_axes ax;
    rc = get_axes(&ax, op, a, axes, naxes, all);
    if (rc) return rc;
    mx_dtype dtype = mx_at_least_float(a->dtype);
    /* sum(a) * (1 / n), the normalizer cast to the result dtype as MLX does. */
    mx_array *sum = NULL, *norm = NULL;
    rc = reduce(&sum, a, ax.ax, ax.n, false, keepdims, MXI_REDUCE_SUM, op, s);
    if (!rc && a->tracer && mxi_shapeless_tracing())
        rc = traced_normalizer(&norm, a, &ax, dtype, keepdims, s);
    else if (!rc)
        rc = scalar(&norm, 1.0 / (double)ax.n_red, dtype);
    if (!rc) rc = mx_multiply(out, sum, norm, s);
    mx_array_free(sum);
    mx_array_free(norm);
    return rc;
}

int mx_mean(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s) {
    return mean_impl(out, a, NULL, 0, true, keepdims, "mean", s);
}

int mx_mean_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                 const mx_stream *s) {
    return mean_impl(out, a, axes, naxes, false, keepdims, "mean", s);
}

int mx_mean_axis(mx_array **out, const mx_array *a, int axis, bool keepdims, const mx_stream *s) {
    return mean_impl(out, a, &axis, 1, false, keepdims, "mean", s);
}

static int var_impl(mx_array **out, const mx_array *a, const int *axes, int naxes, bool all,
                    bool keepdims, int ddof, bool sd, const char *op, const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    red_axes ax;
    rc = get_axes(&ax, op, a, axes, naxes, all);
    if (rc) return rc;
    bool cplx = a->dtype == MX_COMPLEX64;
    mx_dtype dtype = cplx ? MX_FLOAT32 : mx_at_least_float(a->dtype);
    mx_array *mu = NULL, *d = NULL, *sq = NULL, *v = NULL, *norm = NULL, *r = NULL;
    mx_array *re = NULL, *im = NULL, *rot = NULL, *di = NULL, *re2 = NULL, *im2 = NULL;
    /* v = sum((a - mean(a))^2), with |a - mean|^2 for complex inputs. */
    rc = mean_impl(&mu, a, ax.ax, ax.n, false, true, op, s);
    if (!rc) rc = mx_subtract(&d, a, mu, s);
    if (!rc && !cplx) rc = mx_multiply(&sq, d, d, s);
    if (!rc && cplx) {
        /* Real parts of d and of d * -i (its imaginary part). */
        rc = mx_array_from_complex(&rot, 0, -1);
        if (!rc) rc = mx_multiply(&di, d, rot, s);
        if (!rc) rc = mx_astype(&re, d, MX_FLOAT32, s);
        if (!rc) rc = mx_astype(&im, di, MX_FLOAT32, s);
        if (!rc) rc = mx_multiply(&re2, re, re, s);
        if (!rc) rc = mx_multiply(&im2, im, im, s);
        if (!rc) rc = mx_add(&sq, re2, im2, s);
    }
    if (!rc) rc = reduce(&v, sq, ax.ax, ax.n, false, keepdims, MXI_REDUCE_SUM, op, s);
    if (!rc) {
        if (ddof != 0) {
            /* v / max(n - ddof, 0), each step in the result dtype. */
            double n = round_to(dtype, (double)ax.n_red), dd = round_to(dtype, (double)ddof);
            double den = round_to(dtype, n - dd);
            rc = scalar(&norm, den > 0 ? den : 0, dtype);
            if (!rc) rc = mx_divide(&r, v, norm, s);
        } else {
            if (a->tracer && mxi_shapeless_tracing())
                rc = traced_normalizer(&norm, a, &ax, dtype, keepdims, s);
            else
                rc = scalar(&norm, 1.0 / (double)ax.n_red, dtype);
            if (!rc) rc = mx_multiply(&r, v, norm, s);
        }
    }
    if (!rc) {
        if (sd) {
            rc = mx_sqrt(out, r, s);
        } else {
            mxi_set_out(out, r);
            r = NULL;
        }
    }
    mx_array *tmp[] = {mu, d, sq, v, norm, r, re, im, rot, di, re2, im2};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++) mx_array_free(tmp[i]);
    return rc;
}

int mx_var(mx_array **out, const mx_array *a, bool keepdims, int ddof, const mx_stream *s) {
    return var_impl(out, a, NULL, 0, true, keepdims, ddof, false, "var", s);
}

int mx_var_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                int ddof, const mx_stream *s) {
    return var_impl(out, a, axes, naxes, false, keepdims, ddof, false, "var", s);
}

int mx_var_axis(mx_array **out, const mx_array *a, int axis, bool keepdims, int ddof,
                const mx_stream *s) {
    return var_impl(out, a, &axis, 1, false, keepdims, ddof, false, "var", s);
}

/* std is sqrt(var). */

int mx_std(mx_array **out, const mx_array *a, bool keepdims, int ddof, const mx_stream *s) {
    return var_impl(out, a, NULL, 0, true, keepdims, ddof, true, "std", s);
}

int mx_std_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                int ddof, const mx_stream *s) {
    return var_impl(out, a, axes, naxes, false, keepdims, ddof, true, "std", s);
}

int mx_std_axis(mx_array **out, const mx_array *a, int axis, bool keepdims, int ddof,
                const mx_stream *s) {
    return var_impl(out, a, &axis, 1, false, keepdims, ddof, true, "std", s);
}

/* ---- median ---- */

static int median_impl(mx_array **out, const mx_array *a, const int *axes, int naxes, bool all,
                       bool keepdims, const mx_stream *s) {
    int rc = mxi_check_inputs("median", out, &a, 1);
    if (rc) return rc;
    red_axes ax;
    rc = get_axes(&ax, "median", a, axes, naxes, all);
    if (rc) return rc;
    if (ax.n_red == 0)
        return mxi_error(MX_ERR_VALUE, "[median] cannot take the median along an empty axis");
    union {
        mxi_axes_params p;
        int32_t room[4 + MXI_MAX_NDIM];
    } params;
    params.p.naxes = ax.n;
    memcpy(params.p.axes, ax.ax, (size_t)ax.n * sizeof(int32_t));
    mx_array *r = NULL;
    rc = make_reduced(&r, a, &ax, mx_at_least_float(a->dtype), MXI_PRIM_MEDIAN, &params,
                      sizeof(mxi_axes_params) + (size_t)ax.n * sizeof(int32_t), s);
    if (rc) return rc;
    return finish(out, r, &ax, keepdims, s);
}

int mx_median(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s) {
    return median_impl(out, a, NULL, 0, true, keepdims, s);
}

int mx_median_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                   const mx_stream *s) {
    return median_impl(out, a, axes, naxes, false, keepdims, s);
}

int mx_median_axis(mx_array **out, const mx_array *a, int axis, bool keepdims, const mx_stream *s) {
    return median_impl(out, a, &axis, 1, false, keepdims, s);
}

/* ---- logsumexp ---- */

static int logsumexp_impl(mx_array **out, const mx_array *a, const int *axes, int naxes, bool all,
                          bool keepdims, const mx_stream *s) {
    int rc = mxi_check_inputs("logsumexp", out, &a, 1);
    if (rc) return rc;
    if (a->size == 0) return mxi_error(MX_ERR_VALUE, "[logsumexp] received an empty array");
    if (a->ndim == 0 && !all && naxes > 0)
        return mxi_error(MX_ERR_VALUE, "[logsumexp] received axes for an array with 0 dimensions");
    red_axes ax;
    rc = get_axes(&ax, "logsumexp", a, axes, naxes, all);
    if (rc) return rc;
    mx_array *in = NULL, *r = NULL;
    rc = mxi_astype_if(&in, a, mx_at_least_float(a->dtype), s);
    if (rc) return rc;
    if (ax.noop) {
        /* log(exp(x - x)) + x is x. */
        r = in;
        in = NULL;
    } else {
        union {
            mxi_axes_params p;
            int32_t room[4 + MXI_MAX_NDIM];
        } params;
        params.p.naxes = ax.n;
        memcpy(params.p.axes, ax.ax, (size_t)ax.n * sizeof(int32_t));
        rc = make_reduced(&r, in, &ax, in->dtype, MXI_PRIM_LOGSUMEXP, &params,
                          sizeof(mxi_axes_params) + (size_t)ax.n * sizeof(int32_t), s);
    }
    mx_array_free(in);
    if (rc) return rc;
    return finish(out, r, &ax, keepdims, s);
}

int mx_logsumexp(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s) {
    return logsumexp_impl(out, a, NULL, 0, true, keepdims, s);
}

int mx_logsumexp_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                      const mx_stream *s) {
    return logsumexp_impl(out, a, axes, naxes, false, keepdims, s);
}

int mx_logsumexp_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                      const mx_stream *s) {
    return logsumexp_impl(out, a, &axis, 1, false, keepdims, s);
}

/* ---- argmin, argmax ---- */

static int arg_reduce(mx_array **out, const mx_array *a, int axis, bool flat, bool keepdims,
                      mxi_arg_reduce_type type, const char *op, const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    if (a->size == 0)
        return mxi_error(MX_ERR_VALUE, "[%s] cannot %s reduce a zero-size array", op, op);
    if (a->ndim > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    mx_array *in = (mx_array *)a, *flat_a = NULL, *r = NULL;
    int32_t shape[MXI_MAX_NDIM];
    int nd = a->ndim;
    if (flat) {
        /* Over the flattened array. */
        int32_t n = (int32_t)a->size;
        rc = mx_reshape(&flat_a, a, &n, 1, s);
        if (rc) return rc;
        in = flat_a;
        axis = 0;
    } else {
        rc = mxi_normalize_axis(op, &axis, nd);
        if (rc) return rc;
    }
    memcpy(shape, in->shape, (size_t)in->ndim * sizeof(int32_t));
    shape[axis] = 1;
    if (in->shape[axis] == 1) {
        rc = mx_zeros(&r, shape, in->ndim, MX_UINT32, s);
    } else {
        mxi_arg_reduce_params p = {.type = type, .axis = axis};
        rc = mxi_make(&r, MX_UINT32, shape, in->ndim, MXI_PRIM_ARG_REDUCE, &p, sizeof p, &in, 1, s);
    }
    mx_array_free(flat_a);
    if (rc) return rc;
    if (flat) {
        /* keepdims: every axis of a as size 1; else a 0-d result. */
        for (int i = 0; i < nd; i++) shape[i] = 1;
        rc = mx_reshape(out, r, shape, keepdims ? nd : 0, s);
    } else if (keepdims) {
        mxi_set_out(out, r);
        return MX_OK;
    } else {
        int k = 0;
        for (int i = 0; i < nd; i++)
            if (i != axis) shape[k++] = a->shape[i];
        rc = mx_reshape(out, r, shape, k, s);
    }
    mx_array_free(r);
    return rc;
}

int mx_argmin(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s) {
    return arg_reduce(out, a, 0, true, keepdims, MXI_ARG_REDUCE_MIN, "argmin", s);
}

int mx_argmin_axis(mx_array **out, const mx_array *a, int axis, bool keepdims, const mx_stream *s) {
    return arg_reduce(out, a, axis, false, keepdims, MXI_ARG_REDUCE_MIN, "argmin", s);
}

int mx_argmax(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s) {
    return arg_reduce(out, a, 0, true, keepdims, MXI_ARG_REDUCE_MAX, "argmax", s);
}

int mx_argmax_axis(mx_array **out, const mx_array *a, int axis, bool keepdims, const mx_stream *s) {
    return arg_reduce(out, a, axis, false, keepdims, MXI_ARG_REDUCE_MAX, "argmax", s);
}

/* ---- count_nonzero ---- */

static int count_nonzero_impl(mx_array **out, const mx_array *a, const int *axes, int naxes,
                              bool all, bool keepdims, const mx_stream *s) {
    int rc = mxi_check_inputs("count_nonzero", out, &a, 1);
    if (rc) return rc;
    red_axes ax;
    rc = get_axes(&ax, "count_nonzero", a, axes, naxes, all);
    if (rc) return rc;
    /* sum(a != 0) as int32: the cast to bool is the nonzero test. */
    mx_array *nz = NULL, *c = NULL;
    rc = mxi_astype_if(&nz, a, MX_BOOL, s);
    if (!rc) rc = reduce(&c, nz, ax.ax, ax.n, false, keepdims, MXI_REDUCE_SUM, "count_nonzero", s);
    if (!rc) rc = mxi_astype_if(out, c, MX_INT32, s);
    mx_array_free(nz);
    mx_array_free(c);
    return rc;
}

int mx_count_nonzero(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s) {
    return count_nonzero_impl(out, a, NULL, 0, true, keepdims, s);
}

int mx_count_nonzero_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                          bool keepdims, const mx_stream *s) {
    return count_nonzero_impl(out, a, axes, naxes, false, keepdims, s);
}

int mx_count_nonzero_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                          const mx_stream *s) {
    return count_nonzero_impl(out, a, &axis, 1, false, keepdims, s);
}

/* ---- softmax ---- */

static int softmax_impl(mx_array **out, const mx_array *a, const int *axes, int naxes, bool all,
                        bool precise, const mx_stream *s) {
    int rc = mxi_check_inputs("softmax", out, &a, 1);
    if (rc) return rc;
    if (a->size == 0) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    if (a->ndim == 0 && !all && naxes > 0)
        return mxi_error(MX_ERR_VALUE, "[softmax] received axes for an array with 0 dimensions");
    red_axes ax;
    rc = get_axes(&ax, "softmax", a, axes, naxes, all);
    if (rc) return rc;
    /* MLX's choice of path, which decides the result dtype: over the last
     * axis (after any leading size-1 axes, as given) the Softmax primitive
     * gives a float result; over other axes the composition casts back to
     * the input's dtype. */
    int nd = a->ndim;
    int32_t given[MXI_MAX_NDIM];
    int ng = 0;
    if (all)
        for (int i = 0; i < nd; i++) given[ng++] = i;
    else
        for (int i = 0; i < naxes; i++) given[ng++] = axes[i];
    bool last = ng > 0 && (given[ng - 1] == nd - 1 || given[ng - 1] == -1);
    for (int i = ng - 2; last && i >= 0; i--) {
        int k = given[i] < 0 ? given[i] + nd : given[i];
        if (given[i] + 1 != given[i + 1] || a->shape[k] != 1) last = false;
    }
    bool cplx = a->dtype == MX_COMPLEX64;
    mx_dtype cdt = cplx ? MX_COMPLEX64 : mx_at_least_float(a->dtype);
    mx_dtype out_dtype = last && !cplx ? cdt : a->dtype;
    union {
        mxi_softmax_params p;
        int32_t room[4 + MXI_MAX_NDIM];
    } params;
    params.p.precise = precise;
    params.p.naxes = ax.n;
    memcpy(params.p.axes, ax.ax, (size_t)ax.n * sizeof(int32_t));
    mx_array *in = NULL, *r = NULL;
    rc = mxi_astype_if(&in, a, cdt, s);
    if (!rc)
        rc = mxi_make(&r, cdt, a->shape, nd, MXI_PRIM_SOFTMAX, &params,
                      sizeof(mxi_softmax_params) + (size_t)ax.n * sizeof(int32_t), &in, 1, s);
    if (!rc) rc = mxi_astype_if(out, r, out_dtype, s);
    mx_array_free(in);
    mx_array_free(r);
    return rc;
}

int mx_softmax(mx_array **out, const mx_array *a, bool precise, const mx_stream *s) {
    return softmax_impl(out, a, NULL, 0, true, precise, s);
}

int mx_softmax_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool precise,
                    const mx_stream *s) {
    return softmax_impl(out, a, axes, naxes, false, precise, s);
}

int mx_softmax_axis(mx_array **out, const mx_array *a, int axis, bool precise, const mx_stream *s) {
    return softmax_impl(out, a, &axis, 1, false, precise, s);
}

/* ---- trace ---- */

int mx_trace(mx_array **out, const mx_array *a, int offset, int axis1, int axis2, mx_dtype dtype,
             const mx_stream *s) {
    int rc = mxi_check_inputs("trace", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (nd < 2)
        return mxi_error(MX_ERR_VALUE,
                         "[trace] the array must have at least two dimensions, but has %d", nd);
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[trace] too many dimensions");
    int ax1 = axis1 < 0 ? axis1 + nd : axis1, ax2 = axis2 < 0 ? axis2 + nd : axis2;
    if (ax1 < 0 || ax1 >= nd)
        return mxi_error(MX_ERR_INDEX, "[trace] invalid axis1 %d for an array with %d dimensions",
                         axis1, nd);
    if (ax2 < 0 || ax2 >= nd)
        return mxi_error(MX_ERR_INDEX, "[trace] invalid axis2 %d for an array with %d dimensions",
                         axis2, nd);
    if (ax1 == ax2)
        return mxi_error(MX_ERR_VALUE, "[trace] axis1 and axis2 cannot be the same axis (%d)", ax1);
    if (dtype == MX_DTYPE_NONE) dtype = a->dtype;
    if (!mx_dtype_is_valid(dtype)) return mxi_error(MX_ERR_TYPE, "[trace] invalid dtype");
    int32_t shape[MXI_MAX_NDIM];
    int k = 0;
    for (int i = 0; i < nd; i++)
        if (i != ax1 && i != ax2) shape[k++] = a->shape[i];
    mxi_trace_params p = {.offset = offset, .axis1 = ax1, .axis2 = ax2, .dtype = dtype};
    mx_array *in = (mx_array *)a;
    return mxi_make(out, sum_dtype(dtype), shape, k, MXI_PRIM_TRACE, &p, sizeof p, &in, 1, s);
}
