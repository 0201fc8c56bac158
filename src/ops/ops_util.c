#include "ops_util.h"

#include <string.h>

int mxi_check_inputs(const char *op, mx_array **out, const mx_array *const *inputs, int n) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[%s] the output pointer is NULL", op);
    for (int i = 0; i < n; i++)
        if (!inputs[i]) return mxi_error(MX_ERR_VALUE, "[%s] input %d is NULL", op, i);
    return MX_OK;
}

int mxi_check_shape(const char *op, const int32_t *shape, int ndim) {
    if (ndim < 0 || ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[%s] ndim must be in [0, %d], got %d", op, MXI_MAX_NDIM,
                         ndim);
    if (ndim && !shape) return mxi_error(MX_ERR_VALUE, "[%s] shape is NULL", op);
    int64_t size = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            char buf[MXI_SHAPE_STR_LEN];
            return mxi_error(MX_ERR_VALUE, "[%s] negative dimensions are not allowed: %s", op,
                             mxi_shape_str(buf, sizeof buf, shape, ndim));
        }
        if (shape[i] && size > (INT64_MAX / 16) / shape[i])
            return mxi_error(MX_ERR_VALUE, "[%s] the shape has too many elements", op);
        size *= shape[i];
    }
    return MX_OK;
}

int mxi_normalize_axis(const char *op, int *axis, int ndim) {
    int a = *axis < 0 ? *axis + ndim : *axis;
    if (a < 0 || a >= ndim)
        return mxi_error(MX_ERR_INDEX, "[%s] invalid axis %d for an array with %d dimensions", op,
                         *axis, ndim);
    *axis = a;
    return MX_OK;
}

bool mxi_same_shape(const int32_t *a, int an, const int32_t *b, int bn) {
    return an == bn && (an == 0 || memcmp(a, b, (size_t)an * sizeof(int32_t)) == 0);
}

int mxi_broadcast_shapes(const char *op, int32_t *out, int *out_ndim, const int32_t *a, int an,
                         const int32_t *b, int bn) {
    int n = an > bn ? an : bn;
    for (int i = 0; i < n; i++) {
        int ia = an - n + i, ib = bn - n + i;
        int32_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
            return mxi_error(MX_ERR_VALUE, "[%s] shapes %s and %s cannot be broadcast", op,
                             mxi_shape_str(sa, sizeof sa, a, an),
                             mxi_shape_str(sb, sizeof sb, b, bn));
        }
        out[i] = da == 1 ? db : da;
    }
    *out_ndim = n;
    return MX_OK;
}

int mxi_astype_if(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s) {
    if (a->dtype == dtype) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    return mx_astype(out, a, dtype, s);
}

int mxi_broadcast_if(mx_array **out, const mx_array *a, const int32_t *shape, int ndim,
                     const mx_stream *s) {
    if (mxi_same_shape(a->shape, a->ndim, shape, ndim)) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    return mx_broadcast_to(out, a, shape, ndim, s);
}
