/* Shape ops that are views where strides allow: reshape and the ops
 * composed from it (flatten, unflatten, squeeze, expand_dims, atleast_nd),
 * transpose and its relatives, broadcast_to and broadcast_arrays, slice
 * and flip. The other view primitives are in views.c. */
#include <stdlib.h>
#include <string.h>

#include "ops_util.h"
#include "primitives/params.h"

int mx_reshape(mx_array **out, const mx_array *a, const int32_t *shape, int ndim,
               const mx_stream *s) {
    int rc = mxi_check_inputs("reshape", out, &a, 1);
    if (rc) return rc;
    if (ndim < 0 || ndim > MXI_MAX_NDIM || (ndim && !shape))
        return mxi_error(MX_ERR_VALUE, "[reshape] invalid shape (ndim %d)", ndim);
    int32_t dims[MXI_MAX_NDIM];
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < ndim; i++) {
        dims[i] = shape[i];
        if (shape[i] == -1) {
            if (infer >= 0)
                return mxi_error(MX_ERR_VALUE, "[reshape] can only infer one dimension");
            infer = i;
        } else if (shape[i] < 0) {
            return mxi_error(MX_ERR_VALUE, "[reshape] invalid dimension %d", shape[i]);
        } else {
            known *= shape[i];
        }
    }
    char sa[MXI_SHAPE_STR_LEN];
    if (infer >= 0) {
        if (known == 0 || a->size % known != 0)
            return mxi_error(MX_ERR_VALUE, "[reshape] cannot infer the shape of size %lld in %s",
                             (long long)a->size, mxi_shape_str(sa, sizeof sa, shape, ndim));
        dims[infer] = (int32_t)(a->size / known);
        known *= dims[infer];
    }
    if (known != a->size)
        return mxi_error(MX_ERR_VALUE,
                         "[reshape] cannot reshape an array of size %lld into shape %s",
                         (long long)a->size, mxi_shape_str(sa, sizeof sa, dims, ndim));
    if (mxi_same_shape(a->shape, a->ndim, dims, ndim)) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    mx_array *in = (mx_array *)a;
    if (infer < 0) return mxi_make(out, a->dtype, dims, ndim, MXI_PRIM_RESHAPE, NULL, 0, &in, 1, s);
    struct {
        mxi_reshape_params p;
        int32_t shape[MXI_MAX_NDIM];
    } asked;
    asked.p.ndim = ndim;
    memcpy(asked.shape, shape, sizeof(int32_t) * (size_t)ndim);
    return mxi_make(out, a->dtype, dims, ndim, MXI_PRIM_RESHAPE, &asked,
                    sizeof(mxi_reshape_params) + sizeof(int32_t) * (size_t)ndim, &in, 1, s);
}

int mx_transpose(mx_array **out, const mx_array *a, const int *axes, int naxes,
                 const mx_stream *s) {
    int rc = mxi_check_inputs("transpose", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[transpose] too many dimensions");
    struct {
        mxi_transpose_params p;
        int32_t perm[MXI_MAX_NDIM];
    } params;
    params.p.ndim = nd;
    if (!axes) {
        for (int i = 0; i < nd; i++) params.perm[i] = nd - 1 - i;
    } else {
        if (naxes != nd)
            return mxi_error(MX_ERR_VALUE,
                             "[transpose] received %d axes for an array with %d "
                             "dimensions",
                             naxes, nd);
        bool seen[MXI_MAX_NDIM] = {0};
        for (int i = 0; i < nd; i++) {
            int ax = axes[i];
            rc = mxi_normalize_axis("transpose", &ax, nd);
            if (rc) return rc;
            if (seen[ax])
                return mxi_error(MX_ERR_VALUE, "[transpose] repeated axes are not allowed");
            seen[ax] = true;
            params.perm[i] = ax;
        }
    }
    int32_t shape[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) shape[i] = a->shape[params.perm[i]];
    mx_array *in = (mx_array *)a;
    return mxi_make(out, a->dtype, shape, nd, MXI_PRIM_TRANSPOSE, &params,
                    sizeof(mxi_transpose_params) + (size_t)nd * sizeof(int32_t), &in, 1, s);
}

int mx_broadcast_to(mx_array **out, const mx_array *a, const int32_t *shape, int ndim,
                    const mx_stream *s) {
    int rc = mxi_check_inputs("broadcast_to", out, &a, 1);
    if (!rc) rc = mxi_check_shape("broadcast_to", shape, ndim);
    if (rc) return rc;
    bool ok = a->ndim <= ndim;
    for (int i = 0; ok && i < a->ndim; i++) {
        int32_t d = a->shape[a->ndim - 1 - i], t = shape[ndim - 1 - i];
        if (d != t && d != 1) ok = false;
    }
    if (!ok) {
        char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[broadcast_to] cannot broadcast an array of shape %s "
                         "into shape %s",
                         mxi_shape_str(sa, sizeof sa, a->shape, a->ndim),
                         mxi_shape_str(sb, sizeof sb, shape, ndim));
    }
    if (mxi_same_shape(a->shape, a->ndim, shape, ndim)) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    mx_array *in = (mx_array *)a;
    return mxi_make(out, a->dtype, shape, ndim, MXI_PRIM_BROADCAST, NULL, 0, &in, 1, s);
}

/* Python's slice.indices for one axis: the first index and the count. */
static void slice_axis(int32_t dim, int32_t start, int32_t stop, int32_t step, int64_t *first,
                       int32_t *count) {
    int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? dim : dim - 1;
    int64_t b = start < 0 ? (int64_t)start + dim : start;
    int64_t e = stop < 0 ? (int64_t)stop + dim : stop;
    b = b < lo ? lo : b > hi ? hi : b;
    e = e < lo ? lo : e > hi ? hi : e;
    int64_t n = step > 0 ? (e - b + step - 1) / step : (b - e - step - 1) / -step;
    *first = b;
    *count = (int32_t)(n > 0 ? n : 0);
}

int mx_slice(mx_array **out, const mx_array *a, const int32_t *start, const int32_t *stop,
             const int32_t *strides, int n, const mx_stream *s) {
    int rc = mxi_check_inputs("slice", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (n != nd)
        return mxi_error(MX_ERR_VALUE,
                         "[slice] got %d starts/stops for an array with %d "
                         "dimensions",
                         n, nd);
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[slice] too many dimensions");
    if (nd && (!start || !stop))
        return mxi_error(MX_ERR_VALUE, "[slice] start and stop must not be NULL");
    struct {
        mxi_slice_params p;
        int64_t start_step[2 * MXI_MAX_NDIM];
    } params;
    memset(&params, 0, sizeof params);
    params.p.ndim = nd;
    int32_t shape[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) {
        int32_t step = strides ? strides[i] : 1;
        if (step == 0) return mxi_error(MX_ERR_VALUE, "[slice] strides must be nonzero");
        int64_t first;
        slice_axis(a->shape[i], start[i], stop[i], step, &first, &shape[i]);
        params.start_step[i] = shape[i] ? first : 0;
        params.start_step[nd + i] = step;
    }
    mx_array *in = (mx_array *)a;
    return mxi_make(out, a->dtype, shape, nd, MXI_PRIM_SLICE, &params,
                    sizeof(mxi_slice_params) + 2 * (size_t)nd * sizeof(int64_t), &in, 1, s);
}

/* ---- reshapes ---- */

int mx_flatten(mx_array **out, const mx_array *a, int start_axis, int end_axis,
               const mx_stream *s) {
    int rc = mxi_check_inputs("flatten", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (nd == 0) {
        int32_t one = 1;
        return mx_reshape(out, a, &one, 1, s);
    }
    int64_t st = start_axis + (start_axis < 0 ? (int64_t)nd : 0);
    int64_t en = end_axis + (end_axis < 0 ? (int64_t)nd : 0);
    st = st < 0 ? 0 : st;
    en = en > nd - 1 ? nd - 1 : en;
    if (en < st)
        return mxi_error(MX_ERR_VALUE,
                         "[flatten] start_axis must be less than or equal to end_axis (got %d and "
                         "%d for an array with %d dimensions)",
                         start_axis, end_axis, nd);
    if (st == en) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    int32_t shape[MXI_MAX_NDIM];
    int k = 0;
    for (int d = 0; d < st; d++) shape[k++] = a->shape[d];
    int64_t merged = 1;
    for (int64_t d = st; d <= en; d++) merged *= a->shape[d];
    if (merged > INT32_MAX)
        return mxi_error(MX_ERR_VALUE,
                         "[flatten] the flattened axis has %lld elements, more "
                         "than a dimension can hold",
                         (long long)merged);
    shape[k++] = (int32_t)merged;
    for (int64_t d = en + 1; d < nd; d++) shape[k++] = a->shape[d];
    return mx_reshape(out, a, shape, k, s);
}

int mx_unflatten(mx_array **out, const mx_array *a, int axis, const int32_t *shape, int ndim,
                 const mx_stream *s) {
    int rc = mxi_check_inputs("unflatten", out, &a, 1);
    if (rc) return rc;
    if (ndim <= 0 || !shape)
        return mxi_error(MX_ERR_VALUE, "[unflatten] Shape to unflatten to cannot be empty.");
    int ax = axis;
    if (ax < 0) ax += a->ndim;
    if (ax < 0 || ax >= a->ndim)
        return mxi_error(MX_ERR_INDEX, "[unflatten] Invalid axis %d for array with %d dimensions.",
                         axis, a->ndim);
    if (a->ndim - 1 + ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[unflatten] more than %d dimensions", MXI_MAX_NDIM);
    int32_t dims[MXI_MAX_NDIM];
    int infer = -1;
    int64_t known = 1;
    char sb[MXI_SHAPE_STR_LEN];
    for (int i = 0; i < ndim; i++) {
        dims[i] = shape[i];
        if (shape[i] == -1) {
            if (infer >= 0)
                return mxi_error(MX_ERR_VALUE, "[unflatten] Can only infer one dimension.");
            infer = i;
        } else if (shape[i] < 0) {
            return mxi_error(MX_ERR_VALUE, "[unflatten] Invalid dimension %d in shape %s.",
                             shape[i], mxi_shape_str(sb, sizeof sb, shape, ndim));
        } else if (known <= INT32_MAX) {
            known *= shape[i];
        }
    }
    int32_t dim = a->shape[ax];
    if (infer >= 0) {
        if (known == 0 || dim % known != 0)
            return mxi_error(MX_ERR_VALUE,
                             "[unflatten] Cannot unflatten axis %d with size %d into shape %s.",
                             axis, dim, mxi_shape_str(sb, sizeof sb, shape, ndim));
        dims[infer] = (int32_t)(dim / known);
        known *= dims[infer];
    }
    if (known != dim)
        return mxi_error(MX_ERR_VALUE,
                         "[unflatten] Cannot unflatten axis %d with size %d into shape %s.", axis,
                         dim, mxi_shape_str(sb, sizeof sb, dims, ndim));
    int32_t full[MXI_MAX_NDIM];
    int k = 0;
    for (int d = 0; d < ax; d++) full[k++] = a->shape[d];
    for (int i = 0; i < ndim; i++) full[k++] = dims[i];
    for (int d = ax + 1; d < a->ndim; d++) full[k++] = a->shape[d];
    return mx_reshape(out, a, full, k, s);
}

int mx_squeeze(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = mxi_check_inputs("squeeze", out, &a, 1);
    if (rc) return rc;
    int32_t shape[MXI_MAX_NDIM];
    int k = 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != 1) shape[k++] = a->shape[d];
    return mx_reshape(out, a, shape, k, s);
}

int mx_squeeze_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                    const mx_stream *s) {
    int rc = mxi_check_inputs("squeeze", out, &a, 1);
    if (rc) return rc;
    if (naxes < 0 || (naxes && !axes))
        return mxi_error(MX_ERR_VALUE, "[squeeze] invalid axes (naxes %d)", naxes);
    bool drop[MXI_MAX_NDIM] = {0};
    for (int i = 0; i < naxes; i++) {
        int ax = axes[i];
        if (ax < 0) ax += a->ndim;
        if (ax < 0 || ax >= a->ndim)
            return mxi_error(MX_ERR_INDEX,
                             "[squeeze] Axis %d is out of bounds for array with %d dimensions.",
                             axes[i], a->ndim);
        if (drop[ax]) return mxi_error(MX_ERR_VALUE, "[squeeze] Received duplicate axes.");
        if (a->shape[ax] != 1)
            return mxi_error(MX_ERR_VALUE,
                             "[squeeze] Cannot squeeze axis %d with size %d which is not equal "
                             "to 1.",
                             axes[i], a->shape[ax]);
        drop[ax] = true;
    }
    int32_t shape[MXI_MAX_NDIM];
    int k = 0;
    for (int d = 0; d < a->ndim; d++)
        if (!drop[d]) shape[k++] = a->shape[d];
    return mx_reshape(out, a, shape, k, s);
}

int mx_squeeze_axis(mx_array **out, const mx_array *a, int axis, const mx_stream *s) {
    return mx_squeeze_axes(out, a, &axis, 1, s);
}

int mx_expand_dims_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                        const mx_stream *s) {
    int rc = mxi_check_inputs("expand_dims", out, &a, 1);
    if (rc) return rc;
    if (naxes < 0 || (naxes && !axes))
        return mxi_error(MX_ERR_VALUE, "[expand_dims] invalid axes (naxes %d)", naxes);
    int on = a->ndim + naxes;
    if (on > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[expand_dims] more than %d dimensions", MXI_MAX_NDIM);
    for (int i = 0; i < naxes; i++)
        for (int j = 0; j < i; j++)
            if (axes[i] == axes[j])
                return mxi_error(MX_ERR_VALUE, "[expand_dims] Received duplicate axes.");
    bool ins[MXI_MAX_NDIM] = {0};
    for (int i = 0; i < naxes; i++) {
        int ax = axes[i] < 0 ? axes[i] + on : axes[i];
        if (ax < 0 || ax >= on)
            return mxi_error(MX_ERR_INDEX,
                             "[expand_dims] Axis %d is out of bounds for array with %d "
                             "dimensions.",
                             axes[i], on);
        if (ins[ax]) return mxi_error(MX_ERR_VALUE, "[expand_dims] Received duplicate axes.");
        ins[ax] = true;
    }
    int32_t shape[MXI_MAX_NDIM];
    for (int d = 0, k = 0; d < on; d++) shape[d] = ins[d] ? 1 : a->shape[k++];
    return mx_reshape(out, a, shape, on, s);
}

int mx_expand_dims(mx_array **out, const mx_array *a, int axis, const mx_stream *s) {
    return mx_expand_dims_axes(out, a, &axis, 1, s);
}

static int atleast(mx_array **out, const char *op, const mx_array *a, int want,
                   const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    if (a->ndim >= want) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    int32_t shape[3] = {1, 1, 1};
    if (a->ndim == 1) shape[1] = a->shape[0];
    if (a->ndim == 1 && want == 1) shape[0] = a->shape[0];
    if (a->ndim == 2) shape[0] = a->shape[0], shape[1] = a->shape[1];
    return mx_reshape(out, a, shape, want, s);
}

int mx_atleast_1d(mx_array **out, const mx_array *a, const mx_stream *s) {
    return atleast(out, "atleast_1d", a, 1, s);
}

int mx_atleast_2d(mx_array **out, const mx_array *a, const mx_stream *s) {
    return atleast(out, "atleast_2d", a, 2, s);
}

int mx_atleast_3d(mx_array **out, const mx_array *a, const mx_stream *s) {
    return atleast(out, "atleast_3d", a, 3, s);
}

/* ---- permutations ---- */

int mx_moveaxis(mx_array **out, const mx_array *a, int source, int destination,
                const mx_stream *s) {
    int rc = mxi_check_inputs("moveaxis", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim, src = source, dst = destination;
    if (src < -nd || src >= nd || dst < -nd || dst >= nd)
        return mxi_error(MX_ERR_INDEX, "[moveaxis] Invalid axis %d for array with %d dimensions.",
                         (src < -nd || src >= nd) ? source : destination, nd);
    src = src < 0 ? src + nd : src;
    dst = dst < 0 ? dst + nd : dst;
    if (src == dst) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    int perm[MXI_MAX_NDIM];
    for (int i = 0, k = 0; i < nd; i++) {
        if (i == dst) continue;
        if (k == src) k++;
        perm[i] = k++;
    }
    perm[dst] = src;
    return mx_transpose(out, a, perm, nd, s);
}

int mx_swapaxes(mx_array **out, const mx_array *a, int axis1, int axis2, const mx_stream *s) {
    int rc = mxi_check_inputs("swapaxes", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (axis1 < -nd || axis1 >= nd || axis2 < -nd || axis2 >= nd)
        return mxi_error(MX_ERR_INDEX, "[swapaxes] Invalid axis %d for array with %d dimensions.",
                         (axis1 < -nd || axis1 >= nd) ? axis1 : axis2, nd);
    int perm[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) perm[i] = i;
    int x = axis1 < 0 ? axis1 + nd : axis1, y = axis2 < 0 ? axis2 + nd : axis2;
    perm[x] = y;
    perm[y] = x;
    return mx_transpose(out, a, perm, nd, s);
}

int mx_permute_dims(mx_array **out, const mx_array *a, const int *axes, int naxes,
                    const mx_stream *s) {
    return mx_transpose(out, a, axes, naxes, s);
}

/* ---- flips (slices with negative steps) ---- */

static int flip_mask(mx_array **out, const mx_array *a, const bool *flip, const mx_stream *s) {
    int nd = a->ndim;
    int32_t start[MXI_MAX_NDIM], stop[MXI_MAX_NDIM], step[MXI_MAX_NDIM];
    bool any = false;
    for (int d = 0; d < nd; d++) {
        int32_t dim = a->shape[d];
        if (flip[d]) {
            start[d] = -1;
            stop[d] = -dim - 1;
            step[d] = -1;
            any = true;
        } else {
            start[d] = 0;
            stop[d] = dim;
            step[d] = 1;
        }
    }
    if (!any) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    return mx_slice(out, a, start, stop, step, nd, s);
}

int mx_flip_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                 const mx_stream *s) {
    int rc = mxi_check_inputs("flip", out, &a, 1);
    if (rc) return rc;
    if (naxes < 0 || (naxes && !axes))
        return mxi_error(MX_ERR_VALUE, "[flip] invalid axes (naxes %d)", naxes);
    if (a->ndim > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[flip] too many dimensions");
    bool flip[MXI_MAX_NDIM] = {0};
    for (int i = 0; i < naxes; i++) {
        int ax = axes[i] < 0 ? axes[i] + a->ndim : axes[i];
        if (ax < 0 || ax >= a->ndim)
            return mxi_error(MX_ERR_INDEX,
                             "[flip] Axis %d is out of bounds for array with %d dimensions.",
                             axes[i], a->ndim);
        flip[ax] = true;
    }
    return flip_mask(out, a, flip, s);
}

int mx_flip_axis(mx_array **out, const mx_array *a, int axis, const mx_stream *s) {
    return mx_flip_axes(out, a, &axis, 1, s);
}

int mx_flip(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = mxi_check_inputs("flip", out, &a, 1);
    if (rc) return rc;
    if (a->ndim > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[flip] too many dimensions");
    bool flip[MXI_MAX_NDIM];
    for (int d = 0; d < a->ndim; d++) flip[d] = true;
    return flip_mask(out, a, flip, s);
}

/* ---- broadcasting ---- */

int mx_broadcast_shapes(int32_t *out, int *out_ndim, const int32_t *const *shapes, const int *ndims,
                        int n) {
    if (!out || !out_ndim)
        return mxi_error(MX_ERR_VALUE, "[broadcast_shapes] the output pointers are NULL");
    if (n <= 0 || !shapes || !ndims)
        return mxi_error(MX_ERR_VALUE, "[broadcast_shapes] Must provide at least one shape.");
    int32_t acc[MXI_MAX_NDIM], next[MXI_MAX_NDIM];
    int an = 0;
    for (int i = 0; i < n; i++) {
        if (ndims[i] < 0 || ndims[i] > MXI_MAX_NDIM || (ndims[i] && !shapes[i]))
            return mxi_error(MX_ERR_VALUE, "[broadcast_shapes] invalid shape %d", i);
        for (int d = 0; d < ndims[i]; d++)
            if (shapes[i][d] < 0)
                return mxi_error(MX_ERR_VALUE, "[broadcast_shapes] negative dimension in shape %d",
                                 i);
        int nn;
        int rc = mxi_broadcast_shapes("broadcast_shapes", next, &nn, acc, an, shapes[i], ndims[i]);
        if (rc) return rc;
        memcpy(acc, next, (size_t)nn * sizeof(int32_t));
        an = nn;
    }
    if (an) memcpy(out, acc, (size_t)an * sizeof(int32_t));
    *out_ndim = an;
    return MX_OK;
}

/* arrays[i] spread over the others: where(true, x, other) for each. */
static int spread_over(mx_array **out, const mx_array *const *arrays, int n, int i,
                       const mx_stream *s) {
    mx_array *yes = NULL, *r = mx_array_retain((mx_array *)arrays[i]);
    int rc = mx_array_from_bool(&yes, true);
    for (int j = 0; j < n && !rc; j++) {
        if (j == i || mxi_same_shape(arrays[j]->shape, arrays[j]->ndim, r->shape, r->ndim))
            continue;
        mx_array *o = NULL, *w = NULL;
        rc = mxi_astype_if(&o, arrays[j], r->dtype, s);
        if (!rc) rc = mx_where(&w, yes, r, o, s);
        mx_array_free(o);
        mx_array_free(r);
        r = w;
    }
    mx_array_free(yes);
    if (rc) {
        mx_array_free(r);
        return rc;
    }
    *out = r;
    return MX_OK;
}

int mx_broadcast_arrays(mx_array **outs, const mx_array *const *arrays, int n, const mx_stream *s) {
    if (n < 0 || (n && (!outs || !arrays)))
        return mxi_error(MX_ERR_VALUE, "[broadcast_arrays] invalid arrays or outputs");
    if (n == 0) return MX_OK;
    const int32_t **shapes = malloc((size_t)n * sizeof *shapes);
    int *ndims = malloc((size_t)n * sizeof *ndims);
    mx_array **tmp = calloc((size_t)n, sizeof *tmp);
    int rc = (shapes && ndims && tmp)
                 ? MX_OK
                 : mxi_error(MX_ERR_MEMORY, "[broadcast_arrays] out of memory");
    for (int i = 0; !rc && i < n; i++) {
        if (!arrays[i])
            rc = mxi_error(MX_ERR_VALUE, "[broadcast_arrays] array %d is NULL", i);
        else
            shapes[i] = arrays[i]->shape, ndims[i] = arrays[i]->ndim;
    }
    int32_t shape[MXI_MAX_NDIM];
    int nd = 0;
    if (!rc) rc = mx_broadcast_shapes(shape, &nd, shapes, ndims, n);
    bool traced = false;
    for (int i = 0; !rc && i < n; i++) traced |= arrays[i]->tracer;
    if (traced && mxi_shapeless_tracing()) {
        /* each spread by elementwise ops on the others, which a shapeless
         * compile replay spreads to the shapes it then has */
        for (int i = 0; !rc && i < n; i++) rc = spread_over(&tmp[i], arrays, n, i, s);
    } else {
        for (int i = 0; !rc && i < n; i++) rc = mxi_broadcast_if(&tmp[i], arrays[i], shape, nd, s);
    }
    if (!rc)
        for (int i = 0; i < n; i++) mxi_set_out(&outs[i], mx_array_retain(tmp[i]));
    if (tmp)
        for (int i = 0; i < n; i++) mx_array_free(tmp[i]);
    free(shapes);
    free(ndims);
    free(tmp);
    return rc;
}

int mx_matrix_transpose(mx_array **out, const mx_array *a, const mx_stream *s) {
    int rc = mxi_check_inputs("matrix_transpose", out, &a, 1);
    if (rc) return rc;
    if (a->ndim < 2)
        return mxi_error(MX_ERR_VALUE,
                         "[matrix_transpose] Input array must have at least 2 dimensions.");
    return mx_swapaxes(out, a, -1, -2, s);
}
