/*
 * Norms and the cross product, compositions of other ops as in MLX. Only
 * the singular-value norms (ord 2, -2, "nuc") reach a factorization (svd),
 * and with it the CPU-stream rule.
 */
#include <math.h>
#include <string.h>

#include "linalg_util.h"

/* sqrt(sum |a|^2) over axes (naxes may be 0). */
static int l2_norm(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                   const mx_stream *s) {
    mx_array *x = NULL, *y = NULL;
    int rc;
    if (a->dtype == MX_COMPLEX64) {
        rc = mx_abs(&x, a, s);
        if (!rc) rc = mx_multiply(&x, x, x, s);
    } else {
        rc = mx_square(&x, a, s);
    }
    if (!rc) rc = mx_sum_axes(&y, x, axes, naxes, keepdims, s);
    if (!rc) rc = mx_sqrt(out, y, s);
    mx_array_free(x);
    mx_array_free(y);
    return rc;
}

static int vector_norm(mx_array **out, const mx_array *a, double ord, int axis, bool keepdims,
                       const mx_stream *s) {
    mx_dtype dt = mxi_linalg_at_least_float(a->dtype);
    if (ord == 2.0) return l2_norm(out, a, &axis, 1, keepdims, s);
    mx_array *x = NULL, *c = NULL;
    int rc;
    if (ord == 0.0) {
        rc = mx_zeros(&c, NULL, 0, a->dtype, s);
        if (!rc) rc = mx_not_equal(&x, a, c, s);
        if (!rc) rc = mx_sum_axis(&x, x, axis, keepdims, s);
    } else {
        rc = mx_abs(&x, a, s);
        if (rc) {
        } else if (ord == 1.0) {
            rc = mx_sum_axis(&x, x, axis, keepdims, s);
        } else if (ord == INFINITY) {
            rc = mx_max_axis(&x, x, axis, keepdims, s);
        } else if (ord == -INFINITY) {
            rc = mx_min_axis(&x, x, axis, keepdims, s);
        } else {
            rc = mx_array_from_float(&c, ord, dt);
            if (!rc) rc = mx_power(&x, x, c, s);
            if (!rc) rc = mx_sum_axis(&x, x, axis, keepdims, s);
            if (!rc) rc = mx_array_from_float(&c, 1.0 / ord, dt);
            if (!rc) rc = mx_power(&x, x, c, s);
        }
    }
    if (!rc) rc = mxi_astype_if(out, x, dt, s);
    mx_array_free(x);
    mx_array_free(c);
    return rc;
}

/* The singular values of a over the two axes (row, col), either reduced to
 * the largest/smallest (reduce > 0 / < 0) or summed (reduce == 0), with the
 * two axes dropped or kept as size 1. */
static int sv_norm(mx_array **out, const mx_array *a, int row, int col, int reduce, bool keepdims,
                   const mx_stream *s) {
    int nd = a->ndim;
    int rc = mxi_normalize_axis("linalg::norm", &row, nd);
    if (!rc) rc = mxi_normalize_axis("linalg::norm", &col, nd);
    if (rc) return rc;
    mx_array *x = NULL;
    if (row > col) {
        rc = mx_moveaxis(&x, a, row, -1, s);
        if (!rc) rc = mx_moveaxis(&x, x, col, -1, s);
    } else {
        rc = mx_moveaxis(&x, a, col, -1, s);
        if (!rc) rc = mx_moveaxis(&x, x, row, -2, s);
    }
    if (!rc) rc = mx_linalg_svd(NULL, &x, NULL, x, false, s);
    if (!rc)
        rc = reduce > 0   ? mx_max_axis(&x, x, -1, false, s)
             : reduce < 0 ? mx_min_axis(&x, x, -1, false, s)
                          : mx_sum_axis(&x, x, -1, false, s);
    if (!rc && keepdims) {
        int ax[2] = {row < col ? row : col, row < col ? col : row};
        rc = mx_expand_dims_axes(&x, x, ax, 2, s);
    }
    if (!rc) mxi_set_out(out, x), x = NULL;
    mx_array_free(x);
    return rc;
}

static int matrix_norm(mx_array **out, const mx_array *a, double ord, const int *axes,
                       bool keepdims, const mx_stream *s) {
    mx_dtype dt = mxi_linalg_at_least_float(a->dtype);
    int row = axes[0], col = axes[1];
    mx_array *x = NULL;
    int rc;
    if (ord == 1.0 || ord == -1.0) {
        /* Column sums, then their max/min. */
        col -= (!keepdims && col > row && col > 0);
        rc = mx_abs(&x, a, s);
        if (!rc) rc = mx_sum_axis(&x, x, row, keepdims, s);
        if (!rc)
            rc = ord > 0 ? mx_max_axis(&x, x, col, keepdims, s)
                         : mx_min_axis(&x, x, col, keepdims, s);
    } else if (ord == INFINITY || ord == -INFINITY) {
        /* Row sums, then their max/min. */
        row -= (!keepdims && row > col && row > 0);
        rc = mx_abs(&x, a, s);
        if (!rc) rc = mx_sum_axis(&x, x, col, keepdims, s);
        if (!rc)
            rc = ord > 0 ? mx_max_axis(&x, x, row, keepdims, s)
                         : mx_min_axis(&x, x, row, keepdims, s);
    } else if (ord == 2.0 || ord == -2.0) {
        rc = sv_norm(&x, a, row, col, ord > 0 ? 1 : -1, keepdims, s);
    } else {
        return mxi_error(MX_ERR_VALUE, "[linalg::norm] Invalid ord %g for matrix norm.", ord);
    }
    if (!rc) rc = mxi_astype_if(out, x, dt, s);
    mx_array_free(x);
    return rc;
}

/* axes NULL: every axis of a, written into buf. */
static int norm_axes(const mx_array *a, const int **axes, int *naxes, int *buf) {
    if (*axes) return *naxes < 0 ? mxi_error(MX_ERR_VALUE, "[linalg::norm] naxes < 0") : MX_OK;
    if (a->ndim > 2) {
        *naxes = a->ndim;
        return MX_OK; /* too many: reported by the caller */
    }
    for (int i = 0; i < a->ndim; i++) buf[i] = i;
    *axes = buf;
    *naxes = a->ndim;
    return MX_OK;
}

int mx_linalg_norm(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                   const mx_stream *s) {
    int rc = mxi_check_inputs("linalg::norm", out, &a, 1);
    if (rc) return rc;
    if (axes) {
        if (naxes < 0 || naxes > 2)
            return mxi_error(MX_ERR_VALUE, "[linalg::norm] Received too many axes for norm.");
        return l2_norm(out, a, axes, naxes, keepdims, s);
    }
    /* The flattened array; keepdims keeps every axis as size 1. */
    mx_array *x = NULL;
    int zero = 0;
    rc = mx_flatten(&x, a, 0, -1, s);
    if (!rc) rc = l2_norm(&x, x, &zero, 1, false, s);
    if (!rc && keepdims) {
        int32_t ones[MXI_MAX_NDIM];
        for (int i = 0; i < a->ndim; i++) ones[i] = 1;
        rc = mx_reshape(&x, x, ones, a->ndim, s);
    }
    if (!rc) mxi_set_out(out, x), x = NULL;
    mx_array_free(x);
    return rc;
}

int mx_linalg_norm_ord(mx_array **out, const mx_array *a, double ord, const int *axes, int naxes,
                       bool keepdims, const mx_stream *s) {
    int rc = mxi_check_inputs("linalg::norm", out, &a, 1);
    int buf[2];
    if (!rc) rc = norm_axes(a, &axes, &naxes, buf);
    if (rc) return rc;
    if (isnan(ord)) return mxi_error(MX_ERR_VALUE, "[linalg::norm] Invalid ord nan.");
    if (naxes == 1) return vector_norm(out, a, ord, axes[0], keepdims, s);
    if (naxes == 2) return matrix_norm(out, a, ord, axes, keepdims, s);
    return mxi_error(MX_ERR_VALUE, "[linalg::norm] Received too many axes for norm.");
}

int mx_linalg_norm_str(mx_array **out, const mx_array *a, const char *ord, const int *axes,
                       int naxes, bool keepdims, const mx_stream *s) {
    int rc = mxi_check_inputs("linalg::norm", out, &a, 1);
    int buf[2];
    if (!rc) rc = norm_axes(a, &axes, &naxes, buf);
    if (rc) return rc;
    if (!ord) return mxi_error(MX_ERR_VALUE, "[linalg::norm] ord is NULL");
    if (naxes != 2)
        return mxi_error(MX_ERR_VALUE,
                         "[linalg::norm] Norm '%s' only supported for matrices, but received %d "
                         "axis/axes.",
                         ord, naxes);
    if (strcmp(ord, "f") == 0 || strcmp(ord, "fro") == 0)
        return l2_norm(out, a, axes, 2, keepdims, s);
    if (strcmp(ord, "nuc") == 0) return sv_norm(out, a, axes[0], axes[1], 0, keepdims, s);
    return mxi_error(MX_ERR_VALUE, "[linalg::norm] Invalid ord value '%s' for matrix norm.", ord);
}

static int cross_check(const mx_array *x, int axis) {
    if (axis >= x->ndim || axis + x->ndim < 0)
        return mxi_error(MX_ERR_VALUE,
                         "[linalg::cross] axis %d invalid for array with %d "
                         "dimensions.",
                         axis, x->ndim);
    int32_t d = x->shape[axis < 0 ? axis + x->ndim : axis];
    if (d < 2 || d > 3)
        return mxi_error(MX_ERR_VALUE, "[linalg::cross] The specified axis must have size 2 or 3.");
    return MX_OK;
}

int mx_linalg_cross(mx_array **out, const mx_array *a, const mx_array *b, int axis,
                    const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("linalg::cross", out, ins, 2);
    if (!rc) rc = cross_check(a, axis);
    if (!rc) rc = cross_check(b, axis);
    if (rc) return rc;
    if (a->ndim > MXI_MAX_NDIM || b->ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[linalg::cross] too many dimensions");
    int aa = axis < 0 ? axis + a->ndim : axis, ba = axis < 0 ? axis + b->ndim : axis;
    int na = a->shape[aa], nb = b->shape[ba];
    mx_dtype dt = mx_promote_types(a->dtype, b->dtype);
    int32_t as[MXI_MAX_NDIM], bs[MXI_MAX_NDIM], os[MXI_MAX_NDIM];
    memcpy(as, a->shape, sizeof(int32_t) * (size_t)a->ndim);
    memcpy(bs, b->shape, sizeof(int32_t) * (size_t)b->ndim);
    as[aa] = bs[ba] = 3;
    int on;
    rc = mxi_broadcast_shapes("linalg::cross", os, &on, as, a->ndim, bs, b->ndim);
    if (rc) return rc;
    int ax = axis < 0 ? axis + on : axis;

    mx_array *x = NULL, *y = NULL, *xs[3] = {0}, *ys[3] = {0}, *c[3] = {0}, *t = NULL;
    rc = mxi_astype_if(&x, a, dt, s);
    os[ax] = na;
    if (!rc) rc = mxi_broadcast_if(&x, x, os, on, s);
    if (!rc) rc = mxi_astype_if(&y, b, dt, s);
    os[ax] = nb;
    if (!rc) rc = mxi_broadcast_if(&y, y, os, on, s);
    if (!rc) rc = mx_split(xs, x, na, ax, s);
    if (!rc) rc = mx_split(ys, y, nb, ax, s);
    if (rc) goto done;
    /* c = x × y with x[2] = 0 or y[2] = 0 for size-2 vectors. */
    if (na == 2 && nb == 2) {
        rc = mx_zeros_like(&c[0], xs[0], dt, s);
        if (!rc) c[1] = mx_array_retain(c[0]);
    } else if (nb == 2) {
        rc = mx_multiply(&c[0], xs[2], ys[1], s);
        if (!rc) rc = mx_negative(&c[0], c[0], s);
        if (!rc) rc = mx_multiply(&c[1], xs[2], ys[0], s);
    } else if (na == 2) {
        rc = mx_multiply(&c[0], xs[1], ys[2], s);
        if (!rc) rc = mx_multiply(&c[1], xs[0], ys[2], s);
        if (!rc) rc = mx_negative(&c[1], c[1], s);
    } else {
        rc = mx_multiply(&c[0], xs[1], ys[2], s);
        if (!rc) rc = mx_multiply(&t, xs[2], ys[1], s);
        if (!rc) rc = mx_subtract(&c[0], c[0], t, s);
        if (!rc) rc = mx_multiply(&c[1], xs[2], ys[0], s);
        if (!rc) rc = mx_multiply(&t, xs[0], ys[2], s);
        if (!rc) rc = mx_subtract(&c[1], c[1], t, s);
    }
    if (!rc) rc = mx_multiply(&c[2], xs[0], ys[1], s);
    if (!rc) rc = mx_multiply(&t, xs[1], ys[0], s);
    if (!rc) rc = mx_subtract(&c[2], c[2], t, s);
    if (!rc) rc = mx_concatenate(out, (const mx_array *const *)c, 3, ax, s);
done:
    mx_array_free(x);
    mx_array_free(y);
    mx_array_free(t);
    for (int i = 0; i < 3; i++) {
        mx_array_free(xs[i]);
        mx_array_free(ys[i]);
        mx_array_free(c[i]);
    }
    return rc;
}
