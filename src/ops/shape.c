/* Shape ops that are views where strides allow: reshape, transpose,
 * broadcast_to, slice. */
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
    return mxi_make(out, a->dtype, dims, ndim, MXI_PRIM_RESHAPE, NULL, 0, &in, 1, s);
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
