/* Bitwise and, or, xor and shifts: integer and bool operands only. */
#include "binary_common.h"

static int bitwise(mx_array **out, const mx_array *a, const mx_array *b, mxi_prim_kind kind,
                   const char *op, bool shift, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs(op, out, ins, 2);
    if (rc) return rc;
    mx_dtype dtype = mx_promote_types(a->dtype, b->dtype);
    if (dtype != MX_BOOL && !mx_dtype_is_integer(dtype))
        return mxi_error(MX_ERR_TYPE,
                         "[%s] only integer and boolean types are allowed, got %s and %s", op,
                         mx_dtype_name(a->dtype), mx_dtype_name(b->dtype));
    /* Shifting bools shifts the integers 0 and 1, as uint8 (MLX). */
    if (shift && dtype == MX_BOOL) dtype = MX_UINT8;
    return mxi_binary_node(out, a, b, dtype, dtype, kind, op, NULL, 0, s);
}

int mx_bitwise_and(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return bitwise(out, a, b, MXI_PRIM_BITWISE_AND, "bitwise_and", false, s);
}

int mx_bitwise_or(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return bitwise(out, a, b, MXI_PRIM_BITWISE_OR, "bitwise_or", false, s);
}

int mx_bitwise_xor(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return bitwise(out, a, b, MXI_PRIM_BITWISE_XOR, "bitwise_xor", false, s);
}

int mx_left_shift(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return bitwise(out, a, b, MXI_PRIM_LEFT_SHIFT, "left_shift", true, s);
}

int mx_right_shift(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    return bitwise(out, a, b, MXI_PRIM_RIGHT_SHIFT, "right_shift", true, s);
}
