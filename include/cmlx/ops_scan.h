/* Ops: scans (cumulative ops) and differences. Conventions in ops.h.
 *
 * Every op here returns a new reference in *out (the caller frees it with
 * mx_array_free). A scan keeps the input's shape: element i along the axis
 * combines elements 0..i (inclusive) or 0..i-1 (exclusive, element 0 being
 * the identity); reverse runs from the end of the axis. mx_<op> scans the
 * flattened array (a 1-D result), mx_<op>_axis one axis (negative counts
 * from the end; out of range is MX_ERR_INDEX). Each step is rounded to the
 * result dtype, as MLX does. */
#ifndef CMLX_OPS_SCAN_H
#define CMLX_OPS_SCAN_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Cumulative sum and product. dtype (MX_DTYPE_NONE: none) casts the input
 * first, as the Python `dtype=` argument does. The result has the input's
 * dtype, except that the sum of bool is int32; integers wrap. */
MX_API int mx_cumsum(mx_array **out, const mx_array *a, bool reverse, bool inclusive,
                     mx_dtype dtype, const mx_stream *s);
MX_API int mx_cumsum_axis(mx_array **out, const mx_array *a, int axis, bool reverse, bool inclusive,
                          mx_dtype dtype, const mx_stream *s);
MX_API int mx_cumprod(mx_array **out, const mx_array *a, bool reverse, bool inclusive,
                      mx_dtype dtype, const mx_stream *s);
MX_API int mx_cumprod_axis(mx_array **out, const mx_array *a, int axis, bool reverse,
                           bool inclusive, mx_dtype dtype, const mx_stream *s);

/* Cumulative maximum and minimum, in the input's dtype. NaN propagates;
 * complex values are ordered by real part, then imaginary part. */
MX_API int mx_cummax(mx_array **out, const mx_array *a, bool reverse, bool inclusive,
                     const mx_stream *s);
MX_API int mx_cummax_axis(mx_array **out, const mx_array *a, int axis, bool reverse, bool inclusive,
                          const mx_stream *s);
MX_API int mx_cummin(mx_array **out, const mx_array *a, bool reverse, bool inclusive,
                     const mx_stream *s);
MX_API int mx_cummin_axis(mx_array **out, const mx_array *a, int axis, bool reverse, bool inclusive,
                          const mx_stream *s);

/* Cumulative log(sum(exp(a))), each step log(exp(x) + exp(y)) computed
 * stably; the dtype is the input's when inexact, else float32. */
MX_API int mx_logcumsumexp(mx_array **out, const mx_array *a, bool reverse, bool inclusive,
                           const mx_stream *s);
MX_API int mx_logcumsumexp_axis(mx_array **out, const mx_array *a, int axis, bool reverse,
                                bool inclusive, const mx_stream *s);

/* The n-th discrete difference along axis: a[1:] - a[:-1] applied n times
 * (for bool, a[1:] != a[:-1]); the axis shrinks by n (to 0 at most). n = 0
 * gives a. MX_ERR_VALUE for n < 0, MX_ERR_INDEX for a bad axis or a 0-d
 * input. */
MX_API int mx_diff(mx_array **out, const mx_array *a, int n, int axis, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
