/* Comparisons (bool out), logical and/or/xor, array_equal, isclose and
 * allclose. */
#include <string.h>

#include "binary_common.h"
#include "primitives/params_binary.h"

/* Both operands cast to their promoted dtype, output bool. */
static int compare(mx_array **out, const mx_array *a, const mx_array *b, mxi_prim_kind kind,
                   const char *op, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs(op, out, ins, 2);
    if (rc) return rc;
    mx_dtype dtype = mx_promote_types(a->dtype, b->dtype);
    return mxi_binary_node(out, a, b, dtype, MX_BOOL, kind, op, NULL, 0, s);
}

int mx_equal(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return compare(out, a, b, MXI_PRIM_EQUAL, "equal", s);
}

int mx_not_equal(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return compare(out, a, b, MXI_PRIM_NOT_EQUAL, "not_equal", s);
}

int mx_less(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return compare(out, a, b, MXI_PRIM_LESS, "less", s);
}

int mx_less_equal(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return compare(out, a, b, MXI_PRIM_LESS_EQUAL, "less_equal", s);
}

int mx_greater(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return compare(out, a, b, MXI_PRIM_GREATER, "greater", s);
}

int mx_greater_equal(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return compare(out, a, b, MXI_PRIM_GREATER_EQUAL, "greater_equal", s);
}

/* Both operands cast to bool. */
static int logical(mx_array **out, const mx_array *a, const mx_array *b, mxi_prim_kind kind,
                   const char *op, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs(op, out, ins, 2);
    if (rc) return rc;
    return mxi_binary_node(out, a, b, MX_BOOL, MX_BOOL, kind, op, NULL, 0, s);
}

int mx_logical_and(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return logical(out, a, b, MXI_PRIM_LOGICAL_AND, "logical_and", s);
}

int mx_logical_or(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return logical(out, a, b, MXI_PRIM_LOGICAL_OR, "logical_or", s);
}

int mx_logical_xor(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    /* On bools, xor is "not equal". */
    return logical(out, a, b, MXI_PRIM_NOT_EQUAL, "logical_xor", s);
}

int mx_array_equal(mx_array **out, const mx_array *a, const mx_array *b, bool equal_nan,
                   const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("array_equal", out, ins, 2);
    if (rc) return rc;
    if (!mxi_same_shape(a->shape, a->ndim, b->shape, b->ndim)) {
        mx_array *f = NULL;
        rc = mx_array_from_bool(&f, false);
        if (rc) return rc;
        mxi_set_out(out, f);
        return MX_OK;
    }
    mx_dtype dtype = mx_promote_types(a->dtype, b->dtype);
    mxi_prim_kind kind =
        equal_nan && mx_dtype_is_inexact(dtype) ? MXI_PRIM_NAN_EQUAL : MXI_PRIM_EQUAL;
    mx_array *eq = NULL;
    rc = mxi_binary_node(&eq, a, b, dtype, MX_BOOL, kind, "array_equal", NULL, 0, s);
    if (rc) return rc;
    rc = mxi_all_true(out, eq, s);
    mx_array_free(eq);
    return rc;
}

int mx_isclose(mx_array **out, const mx_array *a, const mx_array *b, double rtol, double atol,
               bool equal_nan, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("isclose", out, ins, 2);
    if (rc) return rc;
    mxi_isclose_params p;
    memset(&p, 0, sizeof p);
    p.rtol = rtol;
    p.atol = atol;
    p.equal_nan = equal_nan;
    p.a_dtype = a->dtype;
    p.b_dtype = b->dtype;
    mx_dtype dtype = mx_promote_types(a->dtype, b->dtype);
    return mxi_binary_node(out, a, b, dtype, MX_BOOL, MXI_PRIM_IS_CLOSE, "isclose", &p, sizeof p,
                           s);
}

int mx_allclose(mx_array **out, const mx_array *a, const mx_array *b, double rtol, double atol,
                bool equal_nan, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("allclose", out, ins, 2);
    if (rc) return rc;
    mx_array *c = NULL;
    rc = mx_isclose(&c, a, b, rtol, atol, equal_nan, s);
    if (rc) return rc;
    rc = mxi_all_true(out, c, s);
    mx_array_free(c);
    return rc;
}
