/*
 * Ops: elementwise unary math. Conventions in ops.h: each returns MX_OK and
 * a new reference in *out (release it with mx_array_free), or an error code
 * with a message and *out unchanged. The result has a's shape.
 *
 * Dtypes follow MLX 0.32:
 * - "same dtype" ops keep a's dtype (integers wrap, as C's unsigned math);
 * - "at-least-float" ops give float32 for bool and integer inputs and keep
 *   float16, bfloat16, float64 and complex64;
 * - predicates give bool.
 * float16 and bfloat16 are computed in float32 and rounded once.
 */
#ifndef CMLX_OPS_UNARY_H
#define CMLX_OPS_UNARY_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sign and magnitude (same dtype) ---- */

/* |a|; complex64 gives float32 (the modulus). bool and unsigned are
 * unchanged; the most negative integer stays itself (wraps). */
MX_API int mx_abs(mx_array **out, const mx_array *a, const mx_stream *s);
/* -1, 0 or 1 (unsigned: 0 or 1; bool unchanged; NaN gives NaN, as NumPy);
 * complex64: a / |a|, and 0 for 0. */
MX_API int mx_sign(mx_array **out, const mx_array *a, const mx_stream *s);
/* a itself (a new reference to the same array, as MLX's positive). */
MX_API int mx_positive(mx_array **out, const mx_array *a, const mx_stream *s);
/* -a; unsigned wraps. MX_ERR_VALUE for bool (use mx_logical_not). */
MX_API int mx_negative(mx_array **out, const mx_array *a, const mx_stream *s);
/* a * a (bool: a). */
MX_API int mx_square(mx_array **out, const mx_array *a, const mx_stream *s);

/* ---- powers, exponentials and logarithms (at-least-float) ---- */

MX_API int mx_sqrt(mx_array **out, const mx_array *a, const mx_stream *s);
/* 1 / sqrt(a). */
MX_API int mx_rsqrt(mx_array **out, const mx_array *a, const mx_stream *s);
/* 1 / a, built as mx_divide(1, a) as MLX does. */
MX_API int mx_reciprocal(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_exp(mx_array **out, const mx_array *a, const mx_stream *s);
/* e^a - 1, accurate near 0. MX_ERR_VALUE for complex64. */
MX_API int mx_expm1(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_log(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_log2(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_log10(mx_array **out, const mx_array *a, const mx_stream *s);
/* log(1 + a), accurate near 0. */
MX_API int mx_log1p(mx_array **out, const mx_array *a, const mx_stream *s);
/* 1 / (1 + e^-a). MX_ERR_VALUE for complex64. */
MX_API int mx_sigmoid(mx_array **out, const mx_array *a, const mx_stream *s);
/* The error function and its inverse (erfinv(+-1) = +-inf, NaN outside
 * [-1, 1]). MX_ERR_VALUE for complex64. */
MX_API int mx_erf(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_erfinv(mx_array **out, const mx_array *a, const mx_stream *s);

/* ---- trigonometric and hyperbolic (at-least-float, complex64 allowed) ---- */

MX_API int mx_sin(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_cos(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_tan(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_arcsin(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_arccos(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_arctan(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_sinh(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_cosh(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_tanh(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_arcsinh(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_arccosh(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_arctanh(mx_array **out, const mx_array *a, const mx_stream *s);
/* a * (180 / pi) and a * (pi / 180), built with mx_multiply and a scalar of
 * the at-least-float dtype, as MLX does. */
MX_API int mx_degrees(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_radians(mx_array **out, const mx_array *a, const mx_stream *s);

/* ---- rounding (same dtype; integers and bool come back unchanged) ---- */

/* MX_ERR_VALUE for complex64. */
MX_API int mx_floor(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_ceil(mx_array **out, const mx_array *a, const mx_stream *s);
/* Toward zero (-0.5 gives -0.0). */
MX_API int mx_trunc(mx_array **out, const mx_array *a, const mx_stream *s);
/* Round half to even to `decimals` places (negative: tens, hundreds...).
 * decimals != 0 is computed as MLX does, round(a * s) * (1 / s) with s =
 * 10^decimals as a float scalar of the at-least-float dtype, cast back to
 * a's dtype (so integers round too: round(15, -1) = 20). complex64 rounds
 * both parts. */
MX_API int mx_round(mx_array **out, const mx_array *a, int decimals, const mx_stream *s);

/* ---- predicates (bool) ---- */

/* Integer and bool inputs give all false (isfinite: all true). complex64:
 * isnan / isinf if either part is; isfinite if both parts are finite;
 * isposinf / isneginf only for (+-inf, 0), as MLX compares with a real
 * infinity. */
MX_API int mx_isnan(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_isinf(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_isfinite(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_isposinf(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_isneginf(mx_array **out, const mx_array *a, const mx_stream *s);
/* !a for any dtype (a is cast to bool first, as MLX does). */
MX_API int mx_logical_not(mx_array **out, const mx_array *a, const mx_stream *s);
/* ~a for integers; bool gives logical_not. MX_ERR_VALUE for float and
 * complex dtypes. */
MX_API int mx_bitwise_invert(mx_array **out, const mx_array *a, const mx_stream *s);

/* ---- replacing values ---- */

/* NaN -> nan, +inf -> *posinf, -inf -> *neginf, each converted to a's
 * dtype; posinf / neginf NULL mean the dtype's largest finite value and its
 * negative (float16 65504, bfloat16 3.39e38, float32 3.40e38). Non-float
 * inputs come back unchanged. float64 and complex64 (each part on its own,
 * as NumPy) are accepted, where MLX 0.32 refuses them. */
MX_API int mx_nan_to_num(mx_array **out, const mx_array *a, double nan, const double *posinf,
                         const double *neginf, const mx_stream *s);
/* minimum(maximum(a, a_min), a_max) with broadcasting and promotion of the
 * three dtypes; a_min or a_max may be NULL (not both: MX_ERR_VALUE). NaN in
 * a or a bound gives NaN. complex64 compares the real parts first, then the
 * imaginary parts, as MLX. */
MX_API int mx_clip(mx_array **out, const mx_array *a, const mx_array *a_min, const mx_array *a_max,
                   const mx_stream *s);

/* ---- complex parts ---- */

/* The complex conjugate; other dtypes come back unchanged (the same array). */
MX_API int mx_conjugate(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_conj(mx_array **out, const mx_array *a, const mx_stream *s);
/* Real and imaginary parts: complex64 gives float32. For other dtypes real
 * is a itself and imag is zeros of a's dtype. */
MX_API int mx_real(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_imag(mx_array **out, const mx_array *a, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
