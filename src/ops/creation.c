/* Creation ops: zeros, ones, full, arange, astype. */
#include <math.h>

#include "ops_util.h"
#include "primitives/params.h"

int mx_astype(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s) {
    int rc = mxi_check_inputs("astype", out, &a, 1);
    if (rc) return rc;
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[astype] invalid dtype %d", (int)dtype);
    if (a->dtype == dtype) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    mx_array *in = (mx_array *)a;
    return mxi_make(out, dtype, a->shape, a->ndim, MXI_PRIM_ASTYPE, NULL, 0, &in, 1, s);
}

int mx_full(mx_array **out, const int32_t *shape, int ndim, const mx_array *vals, mx_dtype dtype,
            const mx_stream *s) {
    int rc = mxi_check_inputs("full", out, &vals, 1);
    if (!rc) rc = mxi_check_shape("full", shape, ndim);
    if (rc) return rc;
    if (dtype == MX_DTYPE_NONE) dtype = vals->dtype;
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[full] invalid dtype %d", (int)dtype);
    mx_array *cast = NULL, *spread = NULL;
    rc = mxi_astype_if(&cast, vals, dtype, s);
    if (!rc) rc = mxi_broadcast_if(&spread, cast, shape, ndim, s);
    if (!rc) rc = mxi_make(out, dtype, shape, ndim, MXI_PRIM_FULL, NULL, 0, &spread, 1, s);
    mx_array_free(cast);
    mx_array_free(spread);
    return rc;
}

static int fill(mx_array **out, const char *op, const int32_t *shape, int ndim, mx_dtype dtype,
                double value, const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[%s] the output pointer is NULL", op);
    int rc = mxi_check_shape(op, shape, ndim);
    if (rc) return rc;
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[%s] invalid dtype %d", op, (int)dtype);
    mx_array *v = NULL;
    rc = mx_array_from_float(&v, value, dtype);
    if (!rc) rc = mx_full(out, shape, ndim, v, dtype, s);
    mx_array_free(v);
    return rc;
}

int mx_zeros(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype, const mx_stream *s) {
    return fill(out, "zeros", shape, ndim, dtype, 0.0, s);
}

int mx_ones(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype, const mx_stream *s) {
    return fill(out, "ones", shape, ndim, dtype, 1.0, s);
}

int mx_arange(mx_array **out, double start, double stop, double step, mx_dtype dtype,
              const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[arange] the output pointer is NULL");
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[arange] invalid dtype %d", (int)dtype);
    if (dtype == MX_BOOL) return mxi_error(MX_ERR_VALUE, "[arange] bool is not supported");
    if (mx_dtype_is_complex(dtype))
        return mxi_error(MX_ERR_VALUE, "[arange] complex64 is not supported");
    if (step == 0) return mxi_error(MX_ERR_VALUE, "[arange] step must be nonzero");
    if (isnan(start) || isnan(stop) || isnan(step))
        return mxi_error(MX_ERR_VALUE, "[arange] start, stop and step must not be NaN");
    double real_size = ceil((stop - start) / step);
    if (isinf(real_size) || real_size > INT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[arange] the range has too many elements");
    int32_t size = real_size > 0 ? (int32_t)real_size : 0;
    mxi_arange_params p = {start, step};
    return mxi_make(out, dtype, &size, 1, MXI_PRIM_ARANGE, &p, sizeof p, NULL, 0, s);
}
