/* minmax: the min and max reductions built together, as MLX composes it. */
#include "ops_util.h"

int mx_minmax(mx_array **out_min, mx_array **out_max, const mx_array *a, const int *axes, int naxes,
              bool keepdims, const mx_stream *s) {
    int rc = mxi_check_inputs("minmax", out_min, &a, 1);
    if (rc) return rc;
    if (!out_max) return mxi_error(MX_ERR_VALUE, "[minmax] out_max is NULL");
    mx_array *lo = NULL, *hi = NULL;
    if (axes) {
        rc = mx_min_axes(&lo, a, axes, naxes, keepdims, s);
        if (!rc) rc = mx_max_axes(&hi, a, axes, naxes, keepdims, s);
    } else {
        rc = mx_min(&lo, a, keepdims, s);
        if (!rc) rc = mx_max(&hi, a, keepdims, s);
    }
    if (rc) {
        mx_array_free(lo);
        mx_array_free(hi);
        return rc;
    }
    mx_array_free(*out_min);
    mx_array_free(*out_max);
    *out_min = lo;
    *out_max = hi;
    return MX_OK;
}
