/* Ops: indexing: take, gather, scatter. Conventions in ops.h. */
#ifndef CMLX_OPS_INDEX_H
#define CMLX_OPS_INDEX_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Index arrays may have any integer dtype (signed or unsigned, 8 to 64
 * bits); a bool, float or complex index array is MX_ERR_VALUE, as in MLX.
 *
 * Index values are checked only when the kernel runs, so they follow fixed
 * rules instead of raising: a negative index i counts from the end (i + n,
 * for an axis of n elements), once. An index still outside [0, n) after that
 * never reads or writes outside the array (MLX leaves it undefined):
 *   - reads (take, take_along_axis, gather) clamp it to the nearest valid
 *     index, 0 or n - 1; a gathered slice of size s on an indexed axis
 *     starts at most at n - s;
 *   - writes (put_along_axis, scatter_*, scatter_add_axis) drop the update:
 *     an update slice that does not fit inside the axis at its index is
 *     skipped whole.
 *
 * Several updates landing on one element (repeated indices) are applied in
 * the order of the update positions (row-major), so for plain scatter and
 * put_along_axis the last one wins, and the reducing forms combine all.
 * The reductions: add (bool: or), prod (bool: and), max and min (bool: or and
 * and; complex64 lexicographic; a NaN on either side wins, as in NumPy's
 * maximum.at). Integer sums and products wrap; float16/bfloat16 are rounded
 * after each update, as MLX.
 */

/* ---- take ---- */

/* Elements of the flattened a at indices: an array of indices' shape. */
MX_API int mx_take(mx_array **out, const mx_array *a, const mx_array *indices, const mx_stream *s);
/* Slices of a along axis at indices, like a[:, indices, ...] for axis 1: the
 * axis is replaced by indices' dimensions. MX_ERR_VALUE for a non-empty take
 * from an empty axis. */
MX_API int mx_take_axis(mx_array **out, const mx_array *a, const mx_array *indices, int axis,
                        const mx_stream *s);
/* Element `index` of the flattened a (0-d). A negative index counts from the
 * end; MX_ERR_INDEX when it is out of range (MLX fails with a confusing
 * message for negative indices; cmlx follows NumPy). */
MX_API int mx_take_index(mx_array **out, const mx_array *a, int index, const mx_stream *s);
/* The slice of a at `index` along axis, that axis removed. */
MX_API int mx_take_index_axis(mx_array **out, const mx_array *a, int index, int axis,
                              const mx_stream *s);

/* ---- along an axis ---- */

/* out[..., i, ...] = a[..., indices[..., i, ...], ...] along axis. indices
 * must have a's ndim; the other axes of a and indices broadcast together.
 * The result has the broadcast shape with indices' length on axis.
 * (axis=None in Python is this on the flattened a with 1-D indices.) */
MX_API int mx_take_along_axis(mx_array **out, const mx_array *a, const mx_array *indices, int axis,
                              const mx_stream *s);
/* A copy of a with values (cast to a's dtype) written at indices along axis:
 * out[..., indices[..., i, ...], ...] = values[..., i, ...]. indices must
 * have a's ndim; indices and values broadcast together, then with a on the
 * other axes (the result has that broadcast shape, as in MLX). */
MX_API int mx_put_along_axis(mx_array **out, const mx_array *a, const mx_array *indices,
                             const mx_array *values, int axis, const mx_stream *s);
/* The same, adding the values instead of writing them (repeated indices add
 * up). */
MX_API int mx_scatter_add_axis(mx_array **out, const mx_array *a, const mx_array *indices,
                               const mx_array *values, int axis, const mx_stream *s);

/* ---- gather and scatter (MLX's general primitives) ---- */

/* The index arrays (nindices of them, one per entry of axes, broadcast
 * together to a shape I) pick slice starts on their axes; slice_sizes (one
 * per axis of a, each in [0, a.shape[i]]) give the slice taken from every
 * start (starting at 0 on the axes not indexed). The result has shape I
 * followed by slice_sizes. */
MX_API int mx_gather(mx_array **out, const mx_array *a, const mx_array *const *indices,
                     int nindices, const int *axes, int naxes, const int32_t *slice_sizes,
                     int nslice, const mx_stream *s);

/* A copy of a with update slices written at the positions the index arrays
 * give (one per entry of axes, broadcast together to a shape I). updates has
 * ndim(I) + ndim(a) dimensions: I, then the slice, no larger than a on any
 * axis; it is cast to a's dtype. */
MX_API int mx_scatter(mx_array **out, const mx_array *a, const mx_array *const *indices,
                      int nindices, const mx_array *updates, const int *axes, int naxes,
                      const mx_stream *s);
/* The same, combining each update with what is there (see the top). */
MX_API int mx_scatter_add(mx_array **out, const mx_array *a, const mx_array *const *indices,
                          int nindices, const mx_array *updates, const int *axes, int naxes,
                          const mx_stream *s);
MX_API int mx_scatter_prod(mx_array **out, const mx_array *a, const mx_array *const *indices,
                           int nindices, const mx_array *updates, const int *axes, int naxes,
                           const mx_stream *s);
MX_API int mx_scatter_max(mx_array **out, const mx_array *a, const mx_array *const *indices,
                          int nindices, const mx_array *updates, const int *axes, int naxes,
                          const mx_stream *s);
MX_API int mx_scatter_min(mx_array **out, const mx_array *a, const mx_array *const *indices,
                          int nindices, const mx_array *updates, const int *axes, int naxes,
                          const mx_stream *s);

/* ---- slice updates ---- */

/* A copy of src with src[start:stop:strides] (one entry per axis, n ==
 * ndim; Python's slice rules, strides NULL = all 1, negative allowed, not 0)
 * replaced by update, cast to src's dtype and broadcast to the slice's
 * shape. */
MX_API int mx_slice_update(mx_array **out, const mx_array *src, const mx_array *update,
                           const int32_t *start, const int32_t *stop, const int32_t *strides, int n,
                           const mx_stream *s);
/* The same, combining update with the slice (add, prod, max, min; see the
 * reductions at the top). */
MX_API int mx_slice_update_add(mx_array **out, const mx_array *src, const mx_array *update,
                               const int32_t *start, const int32_t *stop, const int32_t *strides,
                               int n, const mx_stream *s);
MX_API int mx_slice_update_prod(mx_array **out, const mx_array *src, const mx_array *update,
                                const int32_t *start, const int32_t *stop, const int32_t *strides,
                                int n, const mx_stream *s);
MX_API int mx_slice_update_max(mx_array **out, const mx_array *src, const mx_array *update,
                               const int32_t *start, const int32_t *stop, const int32_t *strides,
                               int n, const mx_stream *s);
MX_API int mx_slice_update_min(mx_array **out, const mx_array *src, const mx_array *update,
                               const int32_t *start, const int32_t *stop, const int32_t *strides,
                               int n, const mx_stream *s);
/* A copy of src with the block at `start` (an integer array, 0-d or 1-D, one
 * entry per axis in axes; known only when it runs) replaced by update (cast
 * to src's dtype; MLX's rule: leading axes update lacks take src's size, or 1
 * on the listed axes, and each axis is at most src's). Steps are 1. A
 * negative start counts from the end once, then the start is clamped so the
 * block fits inside src (MLX writes out of bounds instead). */
MX_API int mx_slice_update_dynamic(mx_array **out, const mx_array *src, const mx_array *update,
                                   const mx_array *start, const int *axes, int naxes,
                                   const mx_stream *s);

/* ---- masked scatter ---- */

/* a[mask] = values, as Python's boolean-mask assignment in MLX: mask (bool)
 * has the shape of a's leading axes and is broadcast over the rest; the
 * masked elements, in row-major order, take the elements of values (cast to
 * a's dtype; broadcast as MLX does to (rows, the remaining axes of a)) in
 * row-major order. Evaluation fails (MX_ERR_RUNTIME, as MLX) when values has
 * fewer elements than the mask selects. */
MX_API int mx_masked_scatter(mx_array **out, const mx_array *a, const mx_array *mask,
                             const mx_array *values, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
