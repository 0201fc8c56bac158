/*
 * Building blocks shared by the elementwise binary and ternary op
 * constructors (arithmetic.c, compare.c, bitwise.c, select.c).
 */
#ifndef MXI_OPS_BINARY_COMMON_H
#define MXI_OPS_BINARY_COMMON_H

#include "ops_util.h"

/* Casts a and b to `dtype` and broadcasts both to their common shape (NumPy
 * rules), written to shape/ndim (room for MXI_MAX_NDIM). *ba and *bb get new
 * references (the inputs themselves when nothing changes). Errors name op. */
int mxi_binary_operands(const char *op, const mx_array *a, const mx_array *b, mx_dtype dtype,
                        mx_array **ba, mx_array **bb, int32_t *shape, int *ndim,
                        const mx_stream *s);

/* A whole elementwise binary op: checks the arguments, casts a and b to
 * in_dtype, broadcasts them and makes one node of `kind` whose output has
 * out_dtype (params may be NULL). */
int mxi_binary_node(mx_array **out, const mx_array *a, const mx_array *b, mx_dtype in_dtype,
                    mx_dtype out_dtype, mxi_prim_kind kind, const char *op, const void *params,
                    size_t params_size, const mx_stream *s);

/* A 0-d bool: whether every element of the bool array x is true (true for
 * an empty x), as MLX's all(). */
int mxi_all_true(mx_array **out, const mx_array *x, const mx_stream *s);

#endif
