/* Checks shared by the linalg ops. */
#include "linalg_util.h"

#include "core/stream.h"

int mxi_linalg_cpu_stream(mx_stream *out, const mx_stream *s, const char *prefix) {
    int rc = mxi_resolve_stream(out, s);
    if (rc) return rc;
    if (out->device.type != MX_CPU)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] This op is not yet supported on the GPU. Explicitly pass a CPU "
                         "stream to run it.",
                         prefix);
    return MX_OK;
}

int mxi_linalg_check_float(mx_dtype dt, const char *prefix) {
    if (dt != MX_FLOAT32 && dt != MX_FLOAT64)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Arrays must have type float32 or float64. Received array with type "
                         "%s.",
                         prefix, mx_dtype_name(dt));
    return MX_OK;
}

int mxi_linalg_check_float_or_complex(mx_dtype dt, const char *prefix) {
    if (dt != MX_FLOAT32 && dt != MX_FLOAT64 && dt != MX_COMPLEX64)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Arrays must have type float32, float64 or complex64. Received array "
                         "with type %s.",
                         prefix, mx_dtype_name(dt));
    return MX_OK;
}

int mxi_linalg_check_ndim(const mx_array *a, const char *prefix) {
    if (a->ndim < 2)
        return mxi_error(
            MX_ERR_VALUE,
            "[%s] Arrays must have >= 2 dimensions. Received array with %d dimensions.", prefix,
            a->ndim);
    if (a->ndim > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", prefix);
    return MX_OK;
}

int mxi_linalg_validate(mx_stream *st, mx_array **out, const mx_array *a, const mx_stream *s,
                        const char *prefix, bool complex_ok, const char *square_msg) {
    const mx_array *ins[1] = {a};
    int rc = mxi_check_inputs(prefix, out, ins, 1);
    if (!rc) rc = mxi_linalg_cpu_stream(st, s, prefix);
    if (!rc)
        rc = complex_ok ? mxi_linalg_check_float_or_complex(a->dtype, prefix)
                        : mxi_linalg_check_float(a->dtype, prefix);
    if (!rc) rc = mxi_linalg_check_ndim(a, prefix);
    if (!rc && square_msg && a->shape[a->ndim - 1] != a->shape[a->ndim - 2])
        rc = mxi_error(MX_ERR_VALUE, "[%s] %s", prefix, square_msg);
    return rc;
}

mx_dtype mxi_linalg_at_least_float(mx_dtype dt) {
    return mx_dtype_is_inexact(dt) ? dt : mx_promote_types(dt, MX_FLOAT32);
}
