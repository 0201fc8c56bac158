/* Elementwise arithmetic: promote, broadcast, then one node. Also the
 * helpers every binary-family op file shares (binary_common.h). */
#include "binary_common.h"

#include "primitives/params.h"

int mxi_binary_operands(const char *op, const mx_array *a, const mx_array *b, mx_dtype dtype,
                        mx_array **ba, mx_array **bb, int32_t *shape, int *ndim,
                        const mx_stream *s) {
    if (a->ndim > MXI_MAX_NDIM || b->ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[%s] more than %d dimensions", op, MXI_MAX_NDIM);
    int rc = mxi_broadcast_shapes(op, shape, ndim, a->shape, a->ndim, b->shape, b->ndim);
    if (rc) return rc;
    mx_array *ca = NULL, *cb = NULL, *xa = NULL, *xb = NULL;
    rc = mxi_astype_if(&ca, a, dtype, s);
    if (!rc) rc = mxi_astype_if(&cb, b, dtype, s);
    if (!rc) rc = mxi_broadcast_if(&xa, ca, shape, *ndim, s);
    if (!rc) rc = mxi_broadcast_if(&xb, cb, shape, *ndim, s);
    mx_array_free(ca);
    mx_array_free(cb);
    if (rc) {
        mx_array_free(xa);
        mx_array_free(xb);
        return rc;
    }
    *ba = xa;
    *bb = xb;
    return MX_OK;
}

int mxi_binary_node(mx_array **out, const mx_array *a, const mx_array *b, mx_dtype in_dtype,
                    mx_dtype out_dtype, mxi_prim_kind kind, const char *op, const void *params,
                    size_t params_size, const mx_stream *s) {
    int32_t shape[MXI_MAX_NDIM];
    int ndim;
    mx_array *ins[2] = {NULL, NULL};
    int rc = mxi_binary_operands(op, a, b, in_dtype, &ins[0], &ins[1], shape, &ndim, s);
    if (rc) return rc;
    rc = mxi_make(out, out_dtype, shape, ndim, kind, params, params_size, ins, 2, s);
    mx_array_free(ins[0]);
    mx_array_free(ins[1]);
    return rc;
}

int mxi_all_true(mx_array **out, const mx_array *x, const mx_stream *s) {
    /* A Reduce(and) node over every axis, then a reshape to 0-d (mx_all
     * belongs to the reduction family; this is its all-axes case). */
    int nd = x->ndim;
    if (nd == 0) {
        mxi_set_out(out, mx_array_retain((mx_array *)x));
        return MX_OK;
    }
    struct {
        mxi_reduce_params p;
        int32_t axes[MXI_MAX_NDIM];
    } params;
    int32_t ones[MXI_MAX_NDIM];
    params.p.type = MXI_REDUCE_AND;
    params.p.naxes = nd;
    for (int i = 0; i < nd; i++) params.axes[i] = i, ones[i] = 1;
    mx_array *in = (mx_array *)x, *r = NULL;
    int rc = mxi_make(&r, MX_BOOL, ones, nd, MXI_PRIM_REDUCE, &params,
                      sizeof(mxi_reduce_params) + (size_t)nd * sizeof(int32_t), &in, 1, s);
    if (rc) return rc;
    rc = mx_reshape(out, r, NULL, 0, s);
    mx_array_free(r);
    return rc;
}

/* Checks, promotes (optionally to at least float), then one node whose
 * output has the promoted dtype. */
static int arith(mx_array **out, const mx_array *a, const mx_array *b, mxi_prim_kind kind,
                 const char *op, bool at_least_float, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs(op, out, ins, 2);
    if (rc) return rc;
    mx_dtype dtype = mx_promote_types(a->dtype, b->dtype);
    if (at_least_float) dtype = mx_at_least_float(dtype);
    return mxi_binary_node(out, a, b, dtype, dtype, kind, op, NULL, 0, s);
}

int mx_add(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return arith(out, a, b, MXI_PRIM_ADD, "add", false, s);
}

int mx_subtract(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return arith(out, a, b, MXI_PRIM_SUBTRACT, "subtract", false, s);
}

int mx_multiply(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return arith(out, a, b, MXI_PRIM_MULTIPLY, "multiply", false, s);
}

int mx_divide(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return arith(out, a, b, MXI_PRIM_DIVIDE, "divide", true, s);
}

int mx_floor_divide(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return arith(out, a, b, MXI_PRIM_FLOOR_DIVIDE, "floor_divide", false, s);
}

int mx_remainder(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("remainder", out, ins, 2);
    if (rc) return rc;
    if (mx_promote_types(a->dtype, b->dtype) == MX_COMPLEX64)
        return mxi_error(MX_ERR_VALUE, "[remainder] complex64 is not supported");
    return arith(out, a, b, MXI_PRIM_REMAINDER, "remainder", false, s);
}

int mx_divmod(mx_array **quotient, mx_array **remainder, const mx_array *a, const mx_array *b,
              const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("divmod", quotient, ins, 2);
    if (rc) return rc;
    if (!remainder) return mxi_error(MX_ERR_VALUE, "[divmod] the output pointer is NULL");
    if (quotient == remainder)
        return mxi_error(MX_ERR_VALUE, "[divmod] the two output pointers must differ");
    mx_dtype dtype = mx_promote_types(a->dtype, b->dtype);
    if (dtype == MX_COMPLEX64)
        return mxi_error(MX_ERR_VALUE, "[divmod] complex64 is not supported");
    int32_t shape[MXI_MAX_NDIM];
    int ndim;
    mx_array *in[2] = {NULL, NULL};
    rc = mxi_binary_operands("divmod", a, b, dtype, &in[0], &in[1], shape, &ndim, s);
    if (rc) return rc;
    mx_array *outs[2] = {NULL, NULL};
    mx_dtype dtypes[2] = {dtype, dtype};
    const int32_t *shapes[2] = {shape, shape};
    int ndims[2] = {ndim, ndim};
    rc = mxi_make_node(outs, 2, dtypes, shapes, ndims, MXI_PRIM_DIVMOD, NULL, 0, in, 2, s);
    mx_array_free(in[0]);
    mx_array_free(in[1]);
    if (rc) return rc;
    mxi_set_out(quotient, outs[0]);
    mxi_set_out(remainder, outs[1]);
    return MX_OK;
}

int mx_power(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return arith(out, a, b, MXI_PRIM_POWER, "power", false, s);
}

int mx_maximum(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return arith(out, a, b, MXI_PRIM_MAXIMUM, "maximum", false, s);
}

int mx_minimum(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return arith(out, a, b, MXI_PRIM_MINIMUM, "minimum", false, s);
}

int mx_logaddexp(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return arith(out, a, b, MXI_PRIM_LOG_ADD_EXP, "logaddexp", true, s);
}

int mx_arctan2(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("arctan2", out, ins, 2);
    if (rc) return rc;
    if (mx_promote_types(a->dtype, b->dtype) == MX_COMPLEX64)
        return mxi_error(MX_ERR_VALUE, "[arctan2] complex64 is not supported");
    return arith(out, a, b, MXI_PRIM_ARCTAN2, "arctan2", true, s);
}
