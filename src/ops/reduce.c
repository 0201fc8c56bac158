/* Reductions. A Reduce node keeps the reduced axes as size 1; without
 * keepdims a reshape drops them. */
#include <stdlib.h>

#include "ops_util.h"
#include "primitives/params.h"

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

static int reduce(mx_array **out, const mx_array *a, const int *axes, int naxes, bool all,
                  bool keepdims, mxi_reduce_type type, mx_dtype dtype, const char *op,
                  const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    struct {
        mxi_reduce_params p;
        int32_t axes[MXI_MAX_NDIM];
    } params;
    params.p.type = type;
    int k = 0;
    if (all) {
        for (int i = 0; i < nd; i++) params.axes[k++] = i;
    } else {
        if (naxes < 0 || (naxes && !axes)) return mxi_error(MX_ERR_VALUE, "[%s] invalid axes", op);
        if (naxes > nd) return mxi_error(MX_ERR_VALUE, "[%s] duplicate axes in the reduction", op);
        for (int i = 0; i < naxes; i++) {
            int ax = axes[i];
            rc = mxi_normalize_axis(op, &ax, nd);
            if (rc) return rc;
            params.axes[k++] = ax;
        }
        qsort(params.axes, (size_t)k, sizeof(int32_t), cmp_int32);
        for (int i = 1; i < k; i++)
            if (params.axes[i] == params.axes[i - 1])
                return mxi_error(MX_ERR_VALUE, "[%s] duplicate axes in the reduction", op);
    }
    params.p.naxes = k;
    int32_t kept[MXI_MAX_NDIM], dropped[MXI_MAX_NDIM];
    int nkept = 0;
    for (int i = 0, j = 0; i < nd; i++) {
        bool reduced = j < k && params.axes[j] == i;
        if (reduced) j++;
        kept[i] = reduced ? 1 : a->shape[i];
        if (!reduced) dropped[nkept++] = a->shape[i];
    }
    mx_array *in = (mx_array *)a;
    mx_array *r = NULL;
    rc = mxi_make(&r, dtype, kept, nd, MXI_PRIM_REDUCE, &params,
                  sizeof(mxi_reduce_params) + (size_t)k * sizeof(int32_t), &in, 1, s);
    if (rc) return rc;
    if (keepdims || k == 0) {
        mxi_set_out(out, r);
        return MX_OK;
    }
    rc = mx_reshape(out, r, dropped, nkept, s);
    mx_array_free(r);
    return rc;
}

int mx_sum(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s) {
    return reduce(out, a, NULL, 0, true, keepdims, MXI_REDUCE_SUM, a ? sum_dtype(a->dtype) : 0,
                  "sum", s);
}

int mx_sum_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                const mx_stream *s) {
    return reduce(out, a, axes, naxes, false, keepdims, MXI_REDUCE_SUM, a ? sum_dtype(a->dtype) : 0,
                  "sum", s);
}
