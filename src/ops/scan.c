/*
 * Scans (cumulative sum, product, maximum, minimum, log-sum-exp), one Scan
 * node each, and diff, composed of slices and subtractions as in MLX.
 */
#include <string.h>

#include "ops_util.h"
#include "primitives/params_scan.h"

static int scan(mx_array **out, const mx_array *a, int axis, bool flat, bool reverse,
                bool inclusive, mx_dtype dtype, mxi_scan_type type, const char *op,
                const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    if (dtype != MX_DTYPE_NONE && !mx_dtype_is_valid(dtype))
        return mxi_error(MX_ERR_TYPE, "[%s] invalid dtype", op);
    int nd = a->ndim;
    if (!flat && (axis >= nd || axis < -nd))
        return mxi_error(MX_ERR_INDEX,
                         "[%s] axis %d is out of bounds for an array with %d dimensions", op, axis,
                         nd);
    mx_array *x = NULL, *c = NULL;
    if (flat) {
        int32_t n = (int32_t)a->size;
        rc = mx_reshape(&x, a, &n, 1, s);
        axis = 0;
    } else {
        x = mx_array_retain((mx_array *)a);
        if (axis < 0) axis += nd;
    }
    if (!rc && dtype != MX_DTYPE_NONE) {
        rc = mxi_astype_if(&c, x, dtype, s);
        if (!rc) mxi_set_out(&x, c);
    }
    if (!rc && type == MXI_SCAN_LOGADDEXP) {
        c = NULL;
        rc = mxi_astype_if(&c, x, mx_at_least_float(x->dtype), s);
        if (!rc) mxi_set_out(&x, c);
    }
    if (!rc) {
        mx_dtype out_dtype = type == MXI_SCAN_SUM && x->dtype == MX_BOOL ? MX_INT32 : x->dtype;
        mxi_scan_params p = {
            .type = type, .axis = axis, .reverse = reverse, .inclusive = inclusive};
        rc = mxi_make(out, out_dtype, x->shape, x->ndim, MXI_PRIM_SCAN, &p, sizeof p, &x, 1, s);
    }
    mx_array_free(x);
    return rc;
}

int mx_cumsum(mx_array **out, const mx_array *a, bool reverse, bool inclusive, mx_dtype dtype,
              const mx_stream *s) {
    return scan(out, a, 0, true, reverse, inclusive, dtype, MXI_SCAN_SUM, "cumsum", s);
}

int mx_cumsum_axis(mx_array **out, const mx_array *a, int axis, bool reverse, bool inclusive,
                   mx_dtype dtype, const mx_stream *s) {
    return scan(out, a, axis, false, reverse, inclusive, dtype, MXI_SCAN_SUM, "cumsum", s);
}

int mx_cumprod(mx_array **out, const mx_array *a, bool reverse, bool inclusive, mx_dtype dtype,
               const mx_stream *s) {
    return scan(out, a, 0, true, reverse, inclusive, dtype, MXI_SCAN_PROD, "cumprod", s);
}

int mx_cumprod_axis(mx_array **out, const mx_array *a, int axis, bool reverse, bool inclusive,
                    mx_dtype dtype, const mx_stream *s) {
    return scan(out, a, axis, false, reverse, inclusive, dtype, MXI_SCAN_PROD, "cumprod", s);
}

int mx_cummax(mx_array **out, const mx_array *a, bool reverse, bool inclusive, const mx_stream *s) {
    return scan(out, a, 0, true, reverse, inclusive, MX_DTYPE_NONE, MXI_SCAN_MAX, "cummax", s);
}

int mx_cummax_axis(mx_array **out, const mx_array *a, int axis, bool reverse, bool inclusive,
                   const mx_stream *s) {
    return scan(out, a, axis, false, reverse, inclusive, MX_DTYPE_NONE, MXI_SCAN_MAX, "cummax", s);
}

int mx_cummin(mx_array **out, const mx_array *a, bool reverse, bool inclusive, const mx_stream *s) {
    return scan(out, a, 0, true, reverse, inclusive, MX_DTYPE_NONE, MXI_SCAN_MIN, "cummin", s);
}

int mx_cummin_axis(mx_array **out, const mx_array *a, int axis, bool reverse, bool inclusive,
                   const mx_stream *s) {
    return scan(out, a, axis, false, reverse, inclusive, MX_DTYPE_NONE, MXI_SCAN_MIN, "cummin", s);
}

int mx_logcumsumexp(mx_array **out, const mx_array *a, bool reverse, bool inclusive,
                    const mx_stream *s) {
    return scan(out, a, 0, true, reverse, inclusive, MX_DTYPE_NONE, MXI_SCAN_LOGADDEXP,
                "logcumsumexp", s);
}

int mx_logcumsumexp_axis(mx_array **out, const mx_array *a, int axis, bool reverse, bool inclusive,
                         const mx_stream *s) {
    return scan(out, a, axis, false, reverse, inclusive, MX_DTYPE_NONE, MXI_SCAN_LOGADDEXP,
                "logcumsumexp", s);
}

/* ---- diff ---- */

/* a[1:] - a[:-1] along axis (bool: a[1:] != a[:-1], as the difference of
 * the int32 casts cast back to bool). */
static int diff_once(mx_array **out, const mx_array *a, int axis, const mx_stream *s) {
    int nd = a->ndim;
    int32_t start[MXI_MAX_NDIM], stop[MXI_MAX_NDIM], step[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) {
        start[i] = 0;
        stop[i] = a->shape[i];
        step[i] = 1;
    }
    mx_array *hi = NULL, *lo = NULL, *h = NULL, *l = NULL, *d = NULL;
    int n = a->shape[axis];
    start[axis] = n > 0 ? 1 : 0;
    int rc = mx_slice(&hi, a, start, stop, step, nd, s);
    start[axis] = 0;
    stop[axis] = n > 0 ? n - 1 : 0;
    if (!rc) rc = mx_slice(&lo, a, start, stop, step, nd, s);
    if (!rc && a->dtype == MX_BOOL) {
        rc = mx_astype(&h, hi, MX_INT32, s);
        if (!rc) rc = mx_astype(&l, lo, MX_INT32, s);
        if (!rc) rc = mx_subtract(&d, h, l, s);
        if (!rc) rc = mx_astype(out, d, MX_BOOL, s);
    } else if (!rc) {
        rc = mx_subtract(out, hi, lo, s);
    }
    mx_array *tmp[] = {hi, lo, h, l, d};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++) mx_array_free(tmp[i]);
    return rc;
}

int mx_diff(mx_array **out, const mx_array *a, int n, int axis, const mx_stream *s) {
    int rc = mxi_check_inputs("diff", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[diff] too many dimensions");
    if (axis >= nd || axis < -nd)
        return mxi_error(MX_ERR_INDEX,
                         "[diff] axis %d is out of bounds for an array with %d dimensions", axis,
                         nd);
    if (axis < 0) axis += nd;
    if (n < 0) return mxi_error(MX_ERR_VALUE, "[diff] the order n must be non-negative, got %d", n);
    mx_array *x = mx_array_retain((mx_array *)a);
    for (int i = 0; i < n; i++) {
        mx_array *d = NULL;
        rc = diff_once(&d, x, axis, s);
        if (rc) break;
        mxi_set_out(&x, d);
        if (x->shape[axis] == 0) break;
    }
    if (rc) {
        mx_array_free(x);
        return rc;
    }
    mxi_set_out(out, x);
    return MX_OK;
}
