/* Ops: reductions. Conventions in ops.h.
 *
 * Every op here returns a new reference in *out (the caller frees it with
 * mx_array_free). Each reduction comes in three forms, as mlx-c has them:
 * mx_<op> over all axes, mx_<op>_axes over a list of axes (no duplicates;
 * an empty list reduces nothing) and mx_<op>_axis over one axis. With
 * keepdims the reduced axes stay as size 1, otherwise they are removed.
 * Axes may be negative. An axis out of range is MX_ERR_INDEX, a repeated
 * axis MX_ERR_VALUE.
 *
 * As in MLX, reducing over no axes, or only over axes of size 1, gives the
 * input itself (cast to the op's result dtype where it has one). */
#ifndef CMLX_OPS_REDUCE_H
#define CMLX_OPS_REDUCE_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- logical reductions: bool results; a value is true when nonzero
 * (NaN is true, -0 is false; complex when either part is nonzero) ---- */

/* Whether every element is true; true for an empty reduction. */
MX_API int mx_all(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_all_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                       const mx_stream *s);
MX_API int mx_all_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                       const mx_stream *s);
/* Whether any element is true; false for an empty reduction. */
MX_API int mx_any(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_any_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                       const mx_stream *s);
MX_API int mx_any_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                       const mx_stream *s);

/* ---- arithmetic reductions ----
 * sum and prod: bool, int8 and int16 give int32, uint8 and uint16 give
 * uint32, other dtypes keep theirs; integers wrap. 16-bit floats accumulate
 * in float32, float32 sums in float32 blocks added in float64. Empty
 * reductions give 0 and 1. */

MX_API int mx_sum(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_sum_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                       const mx_stream *s);
MX_API int mx_sum_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                       const mx_stream *s);
MX_API int mx_prod(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_prod_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                        bool keepdims, const mx_stream *s);
MX_API int mx_prod_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                        const mx_stream *s);

/* min and max keep the input dtype. NaN propagates; complex values are
 * ordered by real part, then imaginary part. Reducing over an axis of size
 * 0 is MX_ERR_VALUE. */
MX_API int mx_min(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_min_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                       const mx_stream *s);
MX_API int mx_min_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                       const mx_stream *s);
MX_API int mx_max(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_max_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                       const mx_stream *s);
MX_API int mx_max_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                       const mx_stream *s);

/* ---- statistics ----
 * mean = sum(a) * (1 / n), in the input's dtype when it is inexact, else
 * float32; NaN for an empty reduction. */
MX_API int mx_mean(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_mean_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                        bool keepdims, const mx_stream *s);
MX_API int mx_mean_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                        const mx_stream *s);

/* var = sum(|a - mean(a)|^2) / (n - ddof) (divided by max(n - ddof, 0), so
 * ddof >= n gives inf or NaN). The dtype is mean's, except that complex
 * inputs give float32. std = sqrt(var). */
MX_API int mx_var(mx_array **out, const mx_array *a, bool keepdims, int ddof, const mx_stream *s);
MX_API int mx_var_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                       int ddof, const mx_stream *s);
MX_API int mx_var_axis(mx_array **out, const mx_array *a, int axis, bool keepdims, int ddof,
                       const mx_stream *s);
MX_API int mx_std(mx_array **out, const mx_array *a, bool keepdims, int ddof, const mx_stream *s);
MX_API int mx_std_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                       int ddof, const mx_stream *s);
MX_API int mx_std_axis(mx_array **out, const mx_array *a, int axis, bool keepdims, int ddof,
                       const mx_stream *s);

/* The median: the middle element, or the mean of the two middle elements
 * (each cast to the result dtype, added and halved in it), of the elements
 * over the axes; the dtype is mean's. NaN if any element is NaN; complex
 * values are ordered by real part, then imaginary part. MX_ERR_VALUE when
 * the reduced axes hold no element. */
MX_API int mx_median(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_median_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                          bool keepdims, const mx_stream *s);
MX_API int mx_median_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                          const mx_stream *s);

/* log(sum(exp(a))) computed as max + log(sum(exp(a - max))); the result is
 * the maximum where it is infinite. The dtype is mean's. MX_ERR_VALUE for an
 * empty input, or for axes given with a 0-d input. */
MX_API int mx_logsumexp(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_logsumexp_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                             bool keepdims, const mx_stream *s);
MX_API int mx_logsumexp_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                             const mx_stream *s);

/* ---- indices ----
 * The uint32 index of the first minimum / maximum along axis (mx_argmin:
 * of the flattened array; keepdims then keeps every axis as size 1). The
 * first NaN counts as both the minimum and the maximum. MX_ERR_VALUE for an
 * empty input. */
MX_API int mx_argmin(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_argmin_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                          const mx_stream *s);
MX_API int mx_argmax(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_argmax_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                          const mx_stream *s);

/* The number of nonzero elements, as int32. */
MX_API int mx_count_nonzero(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
MX_API int mx_count_nonzero_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                                 bool keepdims, const mx_stream *s);
MX_API int mx_count_nonzero_axis(mx_array **out, const mx_array *a, int axis, bool keepdims,
                                 const mx_stream *s);

/* ---- normalisation ----
 * exp(a - max) / sum(exp(a - max)) over the axes (mx_softmax: all axes), the
 * shape of a. As MLX: over the last axis (any axes given before it being
 * consecutive and of size 1) the result is float32 for non-float inputs;
 * over other axes it is cast back to the input's dtype. 16-bit floats are
 * computed in float32 whether or not `precise` is set. An empty input is
 * returned as it is. */
MX_API int mx_softmax(mx_array **out, const mx_array *a, bool precise, const mx_stream *s);
MX_API int mx_softmax_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                           bool precise, const mx_stream *s);
MX_API int mx_softmax_axis(mx_array **out, const mx_array *a, int axis, bool precise,
                           const mx_stream *s);

/* The sum of the diagonal `offset` (> 0 above the main one) of the planes
 * spanned by axis1 and axis2, each element first cast to dtype
 * (MX_DTYPE_NONE: a's); the dtype of the sum is that of mx_sum on dtype.
 * The result has a's other axes. MX_ERR_VALUE for fewer than 2 dimensions
 * or equal axes, MX_ERR_INDEX for an axis out of range. */
MX_API int mx_trace(mx_array **out, const mx_array *a, int offset, int axis1, int axis2,
                    mx_dtype dtype, const mx_stream *s);

/* The minimum and maximum over the naxes `axes` (axes NULL: every axis),
 * as mx_min_axes and mx_max_axes: *out_min and *out_max get new references
 * the caller frees; on failure neither is changed. */
MX_API int mx_minmax(mx_array **out_min, mx_array **out_max, const mx_array *a, const int *axes,
                     int naxes, bool keepdims, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
