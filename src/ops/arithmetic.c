/* Elementwise binary arithmetic: promote, broadcast, then one node. */
#include "ops_util.h"

static int binary(mx_array **out, const mx_array *a, const mx_array *b, mxi_prim_kind kind,
                  const char *op, bool at_least_float, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs(op, out, ins, 2);
    if (rc) return rc;
    mx_dtype dtype = mx_promote_types(a->dtype, b->dtype);
    if (at_least_float) dtype = mx_at_least_float(dtype);
    int32_t shape[MXI_MAX_NDIM];
    int ndim;
    if (a->ndim > MXI_MAX_NDIM || b->ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[%s] more than %d dimensions", op, MXI_MAX_NDIM);
    rc = mxi_broadcast_shapes(op, shape, &ndim, a->shape, a->ndim, b->shape, b->ndim);
    if (rc) return rc;
    mx_array *ca = NULL, *cb = NULL, *ba = NULL, *bb = NULL;
    rc = mxi_astype_if(&ca, a, dtype, s);
    if (!rc) rc = mxi_astype_if(&cb, b, dtype, s);
    if (!rc) rc = mxi_broadcast_if(&ba, ca, shape, ndim, s);
    if (!rc) rc = mxi_broadcast_if(&bb, cb, shape, ndim, s);
    if (!rc) {
        mx_array *inputs[2] = {ba, bb};
        rc = mxi_make(out, dtype, shape, ndim, kind, NULL, 0, inputs, 2, s);
    }
    mx_array_free(ca);
    mx_array_free(cb);
    mx_array_free(ba);
    mx_array_free(bb);
    return rc;
}

int mx_add(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return binary(out, a, b, MXI_PRIM_ADD, "add", false, s);
}

int mx_subtract(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return binary(out, a, b, MXI_PRIM_SUBTRACT, "subtract", false, s);
}

int mx_multiply(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return binary(out, a, b, MXI_PRIM_MULTIPLY, "multiply", false, s);
}

int mx_divide(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return binary(out, a, b, MXI_PRIM_DIVIDE, "divide", true, s);
}
