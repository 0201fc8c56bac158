/* Ops: creation and casts. Conventions in ops.h. */
#ifndef CMLX_OPS_CREATION_H
#define CMLX_OPS_CREATION_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- creation ---- */

MX_API int mx_zeros(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                    const mx_stream *s);
MX_API int mx_ones(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                   const mx_stream *s);
/* An array of `shape` filled with `vals` broadcast to it, cast to dtype
 * (MX_DTYPE_NONE keeps vals' dtype). */
MX_API int mx_full(mx_array **out, const int32_t *shape, int ndim, const mx_array *vals,
                   mx_dtype dtype, const mx_stream *s);
/* start, start+step, ... up to but excluding stop, as MLX's arange; the
 * length is ceil((stop - start) / step). MX_ERR_VALUE for step 0 or a bool
 * dtype. */
MX_API int mx_arange(mx_array **out, double start, double stop, double step, mx_dtype dtype,
                     const mx_stream *s);
MX_API int mx_astype(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s);

/* num evenly spaced values from start to stop (included when endpoint,
 * else the interval is [start, stop)), as MLX's linspace: t = i / (num - 1)
 * (or i / num) and start * (1 - t) + stop * t computed in float32 (float64
 * for a float64 dtype), then cast to dtype (MX_DTYPE_NONE: float32).
 * num == 1 gives [start]. MX_ERR_VALUE for num < 0. */
MX_API int mx_linspace(mx_array **out, double start, double stop, int num, bool endpoint,
                       mx_dtype dtype, const mx_stream *s);

/* An array of the shape of `a` broadcast with `vals`, filled with vals
 * (broadcast), of `dtype` (MX_DTYPE_NONE: a's dtype). MX_ERR_VALUE when
 * the shapes do not broadcast. */
MX_API int mx_full_like(mx_array **out, const mx_array *a, const mx_array *vals, mx_dtype dtype,
                        const mx_stream *s);
/* Zeros / ones of a's shape and `dtype` (MX_DTYPE_NONE: a's dtype). */
MX_API int mx_zeros_like(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s);
MX_API int mx_ones_like(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s);

/* An n x m matrix of `dtype` (MX_DTYPE_NONE: float32) with ones on
 * diagonal k (k > 0 above the main one) and zeros elsewhere. MX_ERR_VALUE
 * for n < 0 or m < 0 (0 gives an empty matrix). */
MX_API int mx_eye(mx_array **out, int n, int m, int k, mx_dtype dtype, const mx_stream *s);
/* eye(n, n, 0). */
MX_API int mx_identity(mx_array **out, int n, mx_dtype dtype, const mx_stream *s);
/* An n x m matrix with ones at and below diagonal k (where j - i <= k),
 * zeros elsewhere, of `dtype` (MX_DTYPE_NONE: float32). A negative n or m
 * counts as 0, as in MLX. */
MX_API int mx_tri(mx_array **out, int n, int m, int k, mx_dtype dtype, const mx_stream *s);
/* x with the elements above diagonal k of its last two axes set to 0
 * (tril) or below diagonal k set to 0 (triu); same dtype. MX_ERR_VALUE when
 * x has fewer than 2 dimensions. NaN outside the kept triangle becomes 0. */
MX_API int mx_tril(mx_array **out, const mx_array *x, int k, const mx_stream *s);
MX_API int mx_triu(mx_array **out, const mx_array *x, int k, const mx_stream *s);

/* Coordinate grids from n arrays (each flattened): outs[i] (n slots, each
 * replaced as an out-pointer) gets the grid of arrays[i]. indexing "xy"
 * (NULL: the default, Cartesian: the first two axes swap) or "ij"
 * (matrix). sparse keeps size-1 axes instead of broadcasting. MX_ERR_VALUE
 * for another indexing. */
MX_API int mx_meshgrid(mx_array **outs, const mx_array *const *arrays, int n, bool sparse,
                       const char *indexing, const mx_stream *s);

/* Windows of M points, float32, as MLX: M < 1 gives an empty array, M == 1
 * gives [1]. */
MX_API int mx_bartlett(mx_array **out, int M, const mx_stream *s);
MX_API int mx_hanning(mx_array **out, int M, const mx_stream *s);
MX_API int mx_hamming(mx_array **out, int M, const mx_stream *s);
MX_API int mx_blackman(mx_array **out, int M, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
