/* View ops with primitives of their own: as_strided, diagonal, view
 * (dtype reinterpretation), contiguous, stop_gradient, depends and the
 * dynamic slice. Kernels in src/cpu/views.c. */
#include <stdlib.h>
#include <string.h>

#include "ops_util.h"
#include "primitives/params_shape.h"

/* ---- strided views ---- */

int mx_as_strided(mx_array **out, const mx_array *a, const int32_t *shape, int ndim,
                  const int64_t *strides, int64_t offset, const mx_stream *s) {
    int rc = mxi_check_inputs("as_strided", out, &a, 1);
    if (rc) return rc;
    if (!shape) shape = a->shape, ndim = a->ndim;
    if (ndim < 0 || ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[as_strided] invalid number of dimensions %d", ndim);
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0)
            return mxi_error(MX_ERR_VALUE, "[as_strided] Negative dimensions not allowed.");
    rc = mxi_check_shape("as_strided", shape, ndim);
    if (rc) return rc;
    if (offset < 0)
        return mxi_error(MX_ERR_VALUE, "[as_strided] the offset must be non-negative, got %lld",
                         (long long)offset);
    struct {
        mxi_as_strided_params p;
        int64_t strides[MXI_MAX_NDIM];
    } params;
    memset(&params, 0, sizeof params);
    params.p.offset = offset;
    params.p.ndim = ndim;
    if (strides)
        memcpy(params.strides, strides, (size_t)ndim * sizeof(int64_t));
    else
        mxi_row_strides(params.strides, shape, ndim);
    /* Every element it reaches must lie inside the (flattened) array. */
    if (mxi_shape_size(shape, ndim) > 0) {
        int64_t lo = offset, hi = offset;
        bool overflow = false;
        for (int d = 0; d < ndim; d++) {
            int64_t step;
            overflow |= __builtin_mul_overflow(params.strides[d], (int64_t)(shape[d] - 1), &step);
            overflow |= __builtin_add_overflow(step < 0 ? lo : hi, step, step < 0 ? &lo : &hi);
        }
        if (overflow || lo < 0 || hi >= a->size) {
            char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
            return mxi_error(MX_ERR_VALUE,
                             "[as_strided] the view of shape %s reaches outside the array of "
                             "shape %s (elements %lld to %lld of %lld)",
                             mxi_shape_str(sa, sizeof sa, shape, ndim),
                             mxi_shape_str(sb, sizeof sb, a->shape, a->ndim), (long long)lo,
                             (long long)hi, (long long)a->size);
        }
    }
    mx_array *flat = NULL;
    rc = mx_flatten(&flat, a, 0, -1, s);
    if (!rc)
        rc = mxi_make(out, a->dtype, shape, ndim, MXI_PRIM_AS_STRIDED, &params,
                      sizeof(mxi_as_strided_params) + (size_t)ndim * sizeof(int64_t), &flat, 1, s);
    mx_array_free(flat);
    return rc;
}

int mx_diagonal(mx_array **out, const mx_array *a, int offset, int axis1, int axis2,
                const mx_stream *s) {
    int rc = mxi_check_inputs("diagonal", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (nd < 2)
        return mxi_error(MX_ERR_VALUE,
                         "[diagonal] Array must have at least two dimensions, but got %d "
                         "dimensions.",
                         nd);
    int ax1 = axis1 < 0 ? axis1 + nd : axis1, ax2 = axis2 < 0 ? axis2 + nd : axis2;
    if (ax1 < 0 || ax1 >= nd)
        return mxi_error(MX_ERR_INDEX, "[diagonal] Invalid axis1 %d for array with %d dimensions.",
                         axis1, nd);
    if (ax2 < 0 || ax2 >= nd)
        return mxi_error(MX_ERR_INDEX, "[diagonal] Invalid axis2 %d for array with %d dimensions.",
                         axis2, nd);
    if (ax1 == ax2)
        return mxi_error(MX_ERR_VALUE, "[diagonal] axis1 and axis2 cannot be the same axis");
    int64_t off1 = offset < 0 ? -(int64_t)offset : 0, off2 = offset > 0 ? offset : 0;
    int64_t n1 = a->shape[ax1] - off1, n2 = a->shape[ax2] - off2;
    int64_t len = n1 < n2 ? n1 : n2;
    int32_t shape[MXI_MAX_NDIM];
    int k = 0;
    for (int d = 0; d < nd; d++)
        if (d != ax1 && d != ax2) shape[k++] = a->shape[d];
    shape[k++] = (int32_t)(len > 0 ? len : 0);
    mxi_diagonal_params p = {len > 0 ? offset : 0, ax1, ax2};
    mx_array *in = (mx_array *)a;
    return mxi_make(out, a->dtype, shape, k, MXI_PRIM_DIAGONAL, &p, sizeof p, &in, 1, s);
}

int mx_view(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s) {
    int rc = mxi_check_inputs("view", out, &a, 1);
    if (rc) return rc;
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[view] invalid dtype %d", (int)dtype);
    if (dtype == a->dtype) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    int ib = mx_dtype_size(a->dtype), ob = mx_dtype_size(dtype), nd = a->ndim;
    int32_t shape[MXI_MAX_NDIM];
    if (nd) memcpy(shape, a->shape, (size_t)nd * sizeof(int32_t));
    if (ib != ob) {
        if (nd == 0)
            return mxi_error(MX_ERR_VALUE, "[view] Changing the type of a scalar is only allowed "
                                           "for types with the same size.");
        int64_t bytes = (int64_t)shape[nd - 1] * ib;
        if (bytes % ob != 0)
            return mxi_error(MX_ERR_VALUE,
                             "[view] When viewing as a larger dtype, the size in bytes of the last "
                             "axis must be a multiple of the requested type size (%lld bytes as "
                             "%s).",
                             (long long)bytes, mx_dtype_name(dtype));
        if (bytes / ob > INT32_MAX)
            return mxi_error(MX_ERR_VALUE, "[view] the last axis would be too long");
        shape[nd - 1] = (int32_t)(bytes / ob);
    }
    mx_array *in = (mx_array *)a;
    return mxi_make(out, dtype, shape, nd, MXI_PRIM_VIEW, NULL, 0, &in, 1, s);
}

int mx_contiguous(mx_array **out, const mx_array *a, bool allow_col_major, const mx_stream *s) {
    int rc = mxi_check_inputs("contiguous", out, &a, 1);
    if (rc) return rc;
    mxi_contiguous_params p = {allow_col_major};
    mx_array *in = (mx_array *)a;
    return mxi_make(out, a->dtype, a->shape, a->ndim, MXI_PRIM_CONTIGUOUS, &p, sizeof p, &in, 1, s);
}

int mx_stop_gradient(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = mxi_check_inputs("stop_gradient", out, &a, 1);
    if (rc) return rc;
    mx_array *in = (mx_array *)a;
    return mxi_make(out, a->dtype, a->shape, a->ndim, MXI_PRIM_STOP_GRADIENT, NULL, 0, &in, 1, s);
}

int mx_depends(mx_array **outs, const mx_array *const *inputs, int n,
               const mx_array *const *dependencies, int ndeps) {
    if (n < 0 || ndeps < 0 || (n && (!outs || !inputs)) || (ndeps && !dependencies))
        return mxi_error(MX_ERR_VALUE, "[depends] invalid inputs or dependencies");
    if (n == 0) return MX_OK;
    int total = n + ndeps;
    mx_array **all = malloc((size_t)total * sizeof *all);
    mx_dtype *dtypes = malloc((size_t)n * sizeof *dtypes);
    const int32_t **shapes = malloc((size_t)n * sizeof *shapes);
    int *ndims = malloc((size_t)n * sizeof *ndims);
    int rc = (all && dtypes && shapes && ndims)
                 ? MX_OK
                 : mxi_error(MX_ERR_MEMORY, "[depends] out of memory");
    for (int i = 0; !rc && i < total; i++) {
        const mx_array *x = i < n ? inputs[i] : dependencies[i - n];
        if (!x) {
            rc = mxi_error(MX_ERR_VALUE, "[depends] %s %d is NULL", i < n ? "input" : "dependency",
                           i < n ? i : i - n);
            break;
        }
        all[i] = (mx_array *)x;
        if (i < n) dtypes[i] = x->dtype, shapes[i] = x->shape, ndims[i] = x->ndim;
    }
    if (!rc)
        rc = mxi_make_node(outs, n, dtypes, (const int32_t *const *)shapes, ndims, MXI_PRIM_DEPENDS,
                           NULL, 0, all, total, NULL);
    free(all);
    free(dtypes);
    free(shapes);
    free(ndims);
    return rc;
}

int mx_slice_dynamic(mx_array **out, const mx_array *a, const mx_array *start, const int *axes,
                     int naxes, const int32_t *slice_size, int nsize, const mx_stream *s) {
    const mx_array *ins[2] = {a, start};
    int rc = mxi_check_inputs("slice", out, ins, 2);
    if (rc) return rc;
    int nd = a->ndim;
    if (naxes < 0 || (naxes && !axes))
        return mxi_error(MX_ERR_VALUE, "[slice] invalid axes (naxes %d)", naxes);
    if (start->ndim > 1)
        return mxi_error(MX_ERR_VALUE,
                         "[slice] array of starting indices must be zero or one dimensional but "
                         "has dimension %d.",
                         start->ndim);
    if (start->size != naxes)
        return mxi_error(MX_ERR_VALUE,
                         "[slice] Number of starting indices %lld does not match number of axes "
                         "%d.",
                         (long long)start->size, naxes);
    if (!mx_dtype_is_integer(start->dtype))
        return mxi_error(MX_ERR_VALUE, "[slice] Start indices must be integers, got type %s.",
                         mx_dtype_name(start->dtype));
    struct {
        mxi_dynamic_slice_params p;
        int32_t axes[MXI_MAX_NDIM];
    } params;
    memset(&params, 0, sizeof params);
    params.p.naxes = naxes;
    bool seen[MXI_MAX_NDIM] = {0};
    for (int i = 0; i < naxes; i++) {
        int ax = axes[i] < 0 ? axes[i] + nd : axes[i];
        if (ax < 0 || ax >= nd)
            return mxi_error(MX_ERR_INDEX, "[slice] Invalid axis %d for array with dimension %d.",
                             axes[i], nd);
        if (seen[ax]) return mxi_error(MX_ERR_VALUE, "[slice] Repeat axes not allowed.");
        seen[ax] = true;
        params.axes[i] = ax;
    }
    if (nsize != nd || (nd && !slice_size))
        return mxi_error(MX_ERR_VALUE, "[slice] Invalid slice size for array with %d dimensions.",
                         nd);
    for (int d = 0; d < nd; d++) {
        if (slice_size[d] < 0 || slice_size[d] > a->shape[d]) {
            char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
            return mxi_error(MX_ERR_VALUE, "[slice] Invalid slice size %s for array with shape %s.",
                             mxi_shape_str(sa, sizeof sa, slice_size, nd),
                             mxi_shape_str(sb, sizeof sb, a->shape, nd));
        }
    }
    mx_array *in[2] = {(mx_array *)a, (mx_array *)start};
    return mxi_make(out, a->dtype, slice_size, nd, MXI_PRIM_DYNAMIC_SLICE, &params,
                    sizeof(mxi_dynamic_slice_params) + (size_t)naxes * sizeof(int32_t), in, 2, s);
}

/* 1-d: the (n, n) matrix, n = L + |k|, with a on diagonal k. Element i goes
 * to flat position p0 + i * (n + 1), p0 = s1 * n + s2: a column padded with
 * n zeros per element, flattened, shifted by p0 zeros and cut to n * n (MLX
 * scatters into zeros instead). 2-d: the diagonal view. */
int mx_diag(mx_array **out, const mx_array *a, int k, const mx_stream *s) {
    int rc = mxi_check_inputs("diag", out, &a, 1);
    if (rc) return rc;
    if (a->ndim == 2) return mx_diagonal(out, a, k, 0, 1, s);
    if (a->ndim != 1)
        return mxi_error(MX_ERR_VALUE,
                         "[diag] array must be 1-D or 2-D, got array with %d "
                         "dimensions.",
                         a->ndim);
    int64_t L = a->shape[0], ak = k < 0 ? -(int64_t)k : k, n = L + ak;
    if (n * (n + 1) > INT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[diag] the %lld x %lld result is too large", (long long)n,
                         (long long)n);
    int32_t sq[2] = {(int32_t)n, (int32_t)n};
    if (L == 0) return mx_zeros(out, sq, 2, a->dtype, s);
    int64_t s1 = k < 0 ? ak : 0, s2 = k > 0 ? ak : 0, p0 = s1 * n + s2;
    int64_t extra = n * n - p0 - L * (n + 1);
    mx_array *col = NULL, *wide = NULL, *flat = NULL, *shifted = NULL, *cut = NULL;
    int32_t colshape[2] = {(int32_t)L, 1}, zero = 0, nn = (int32_t)(n * n), one = 1;
    int32_t lo = (int32_t)p0, hi = (int32_t)(extra > 0 ? extra : 0), padn = (int32_t)n;
    rc = mx_reshape(&col, a, colshape, 2, s);
    if (!rc) rc = mx_pad(&wide, col, (int[]){1}, 1, &zero, &padn, NULL, NULL, s);
    if (!rc) rc = mx_flatten(&flat, wide, 0, -1, s);
    if (!rc) rc = mx_pad(&shifted, flat, NULL, 1, &lo, &hi, NULL, NULL, s);
    if (!rc) rc = mx_slice(&cut, shifted, &zero, &nn, &one, 1, s);
    if (!rc) rc = mx_reshape(out, cut, sq, 2, s);
    mx_array *all[] = {col, wide, flat, shifted, cut};
    for (int i = 0; i < 5; i++) mx_array_free(all[i]);
    return rc;
}
