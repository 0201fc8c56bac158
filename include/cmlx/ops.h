/*
 * Ops. Each builds a node of the lazy graph: it checks its arguments, works
 * out the shape and dtype of the result at once (failing here with a clear
 * error) and runs nothing until the result is evaluated.
 *
 * Conventions: results come through out-pointers placed first; the stream
 * comes last (NULL = the calling thread's default stream of the default
 * device). The result is a new reference the caller releases with
 * mx_array_free; what *out held before is released after the op is built,
 * so `mx_add(&x, x, y, NULL)` is safe. On failure *out is left unchanged.
 * Axes may be negative (counted from the end).
 */
#ifndef CMLX_OPS_H
#define CMLX_OPS_H

#include "base.h"
#include "dtype.h"
#include "device.h"

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

/* ---- elementwise arithmetic (NumPy broadcasting, MLX promotion) ---- */

MX_API int mx_add(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_subtract(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_multiply(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* True division: integer inputs give float32, as MLX. */
MX_API int mx_divide(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);

/* ---- shapes and views (no copy where strides allow) ---- */

/* One dimension may be -1 and is then inferred. */
MX_API int mx_reshape(mx_array **out, const mx_array *a, const int32_t *shape, int ndim,
                      const mx_stream *s);
/* axes: a permutation of 0..ndim-1, or NULL (naxes ignored) to reverse. */
MX_API int mx_transpose(mx_array **out, const mx_array *a, const int *axes, int naxes,
                        const mx_stream *s);
MX_API int mx_broadcast_to(mx_array **out, const mx_array *a, const int32_t *shape, int ndim,
                           const mx_stream *s);
/* a[start:stop:strides] along every axis (n must equal ndim); negative
 * starts and stops count from the end and are clamped as in Python; strides
 * may be negative but not 0. */
MX_API int mx_slice(mx_array **out, const mx_array *a, const int32_t *start, const int32_t *stop,
                    const int32_t *strides, int n, const mx_stream *s);

/* ---- reductions ---- */

/* Sum over all axes. */
MX_API int mx_sum(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
/* Sum over the listed axes (no duplicates). */
MX_API int mx_sum_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                       const mx_stream *s);

/* ---- linear algebra ---- */

/* Matrix product with NumPy's rules: 1-d operands are promoted and the
 * added axis dropped, leading axes broadcast. Floating dtypes only; integer
 * inputs are MX_ERR_VALUE as in MLX. */
MX_API int mx_matmul(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
