/*
 * Ops: elementwise binary and ternary ops. Conventions in ops.h: every
 * result is a new reference the caller releases with mx_array_free.
 *
 * All of them broadcast their operands together (NumPy rules; MX_ERR_VALUE
 * naming the shapes when they cannot) and, unless said otherwise, compute
 * in MLX's promotion of the operands' dtypes (mx_promote_types), which is
 * also the result's dtype. float16/bfloat16 are computed in float32 and
 * rounded once; integers wrap.
 */
#ifndef CMLX_OPS_BINARY_H
#define CMLX_OPS_BINARY_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- arithmetic ---- */

MX_API int mx_add(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_subtract(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_multiply(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* True division: integer inputs give float32, as MLX. */
MX_API int mx_divide(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* a // b. Integers: the floored quotient (-7 // 2 == -4, as NumPy and MLX);
 * division by 0 gives 0 and MIN // -1 wraps to MIN. Floats: floor(a / b)
 * with the quotient rounded to the dtype first (MLX's floor(divide(a, b));
 * NumPy differs slightly, e.g. 7.0 // 0.1 is 70 here and 69 in NumPy).
 * complex64: the plain quotient a / b (MLX). bool: a and b. */
MX_API int mx_floor_divide(mx_array **out, const mx_array *a, const mx_array *b,
                           const mx_stream *s);
/* a % b with the sign of the divisor (Python/NumPy modulo). Integers: a % 0
 * is a (MLX; NumPy gives 0). Floats: NumPy's fmod-based rule, a zero result
 * takes b's sign. MX_ERR_VALUE for complex64. */
MX_API int mx_remainder(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* floor_divide and remainder in one pass: *quotient and *remainder get new
 * references (both of the promoted dtype and broadcast shape). The two
 * output pointers must differ. MX_ERR_VALUE for complex64. */
MX_API int mx_divmod(mx_array **quotient, mx_array **remainder, const mx_array *a,
                     const mx_array *b, const mx_stream *s);
/* a ** b. Integers by repeated squaring, wrapping; a negative exponent
 * gives 0 (MLX). Floats: C's pow; complex64: cpowf. bool: a where b, else
 * True. */
MX_API int mx_power(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* Elementwise maximum/minimum. NaN propagates from either operand; of +0
 * and -0 the second operand is returned (MLX). complex64 orders by real
 * part, then imaginary part. */
MX_API int mx_maximum(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_minimum(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* log(exp(a) + exp(b)) without overflow; integer and bool inputs give
 * float32; complex64 allowed (MLX's formula). */
MX_API int mx_logaddexp(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* atan2(a, b); integer and bool inputs give float32; MX_ERR_VALUE for
 * complex64. */
MX_API int mx_arctan2(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);

/* ---- comparisons: results are bool ----
 *
 * Operands are compared in their promoted dtype. NaN compares unequal to
 * everything (not_equal is true); complex64 orders lexicographically (real
 * part, then imaginary part), as MLX. */

MX_API int mx_equal(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_not_equal(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_less(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_less_equal(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_greater(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_greater_equal(mx_array **out, const mx_array *a, const mx_array *b,
                            const mx_stream *s);

/* A 0-d bool: whether a and b have the same shape and equal values. Arrays
 * of different shapes give False (no broadcasting); different dtypes are
 * compared by value in their promoted dtype. equal_nan: NaN equals NaN
 * (for complex64, any NaN part counts), for inexact dtypes. */
MX_API int mx_array_equal(mx_array **out, const mx_array *a, const mx_array *b, bool equal_nan,
                          const mx_stream *s);
/* Bool: |a - b| <= atol + rtol * |b| elementwise, as MLX composes it: the
 * difference is taken in the promoted dtype, |b| in b's dtype, rtol and atol
 * rounded to float32 and the right side computed in float32 (float64 when b
 * is float64). Infinities are close only to the same infinity; NaN is close
 * to nothing, unless equal_nan and both are NaN. MLX's defaults are
 * rtol = 1e-5, atol = 1e-8, equal_nan = false. */
MX_API int mx_isclose(mx_array **out, const mx_array *a, const mx_array *b, double rtol,
                      double atol, bool equal_nan, const mx_stream *s);
/* A 0-d bool: whether isclose holds for every element (True when the
 * broadcast shape is empty). */
MX_API int mx_allclose(mx_array **out, const mx_array *a, const mx_array *b, double rtol,
                       double atol, bool equal_nan, const mx_stream *s);

/* ---- logical ops: operands cast to bool (nonzero is true), result bool ---- */

MX_API int mx_logical_and(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_logical_or(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_logical_xor(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);

/* ---- bitwise ops: integer and bool operands only ----
 *
 * MX_ERR_TYPE when the promoted dtype is not an integer or bool (floats,
 * complex64, and int64 with uint64, which MLX promotes to float32). */

MX_API int mx_bitwise_and(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_bitwise_or(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_bitwise_xor(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* a << b and a >> b (arithmetic for signed a). Two bools shift as uint8.
 * Counts that are negative or at least the width give NumPy's answers: 0
 * for left shifts, 0 or -1 (negative a) for right shifts. */
MX_API int mx_left_shift(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_right_shift(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);

/* ---- selection ---- */

/* cond ? x : y elementwise, the three broadcast together; cond is cast to
 * bool (nonzero, NaN included, is true), the result has the promotion of x
 * and y. */
MX_API int mx_where(mx_array **out, const mx_array *cond, const mx_array *x, const mx_array *y,
                    const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
