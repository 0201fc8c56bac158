/* Ops: shapes, views and joins. Conventions in ops.h. */
#ifndef CMLX_OPS_SHAPE_H
#define CMLX_OPS_SHAPE_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shapes and views (no copy where strides allow) ----
 * Functions with several results write them to outs[0..n): each slot may
 * hold an array (released once the op is built) or NULL; on failure no
 * slot is touched. */

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
/* A slice of a whose start along each of the naxes `axes` is read from the
 * integer array `start` (0-d or 1-d, naxes entries) when the graph runs;
 * slice_size gives the output's shape (nsize == ndim, each at most the
 * dimension). Other axes start at 0. A negative start counts from the end,
 * then starts are clamped so the slice lies inside a (MLX reads out of
 * bounds there). The result is a view. */
MX_API int mx_slice_dynamic(mx_array **out, const mx_array *a, const mx_array *start,
                            const int *axes, int naxes, const int32_t *slice_size, int nsize,
                            const mx_stream *s);

/* Axes start_axis..end_axis (inclusive, negative from the end, then
 * clamped into range) merged into one; a 0-d array gives shape (1,). A
 * reshape (a view where strides allow). MX_ERR_VALUE when start > end. */
MX_API int mx_flatten(mx_array **out, const mx_array *a, int start_axis, int end_axis,
                      const mx_stream *s);
/* Axis `axis` split into `shape` (ndim >= 1 entries, one may be -1). */
MX_API int mx_unflatten(mx_array **out, const mx_array *a, int axis, const int32_t *shape, int ndim,
                        const mx_stream *s);
/* Size-1 axes removed: all of them, the listed ones (each must have size
 * 1; no duplicates), or one. */
MX_API int mx_squeeze(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_squeeze_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                           const mx_stream *s);
MX_API int mx_squeeze_axis(mx_array **out, const mx_array *a, int axis, const mx_stream *s);
/* Size-1 axes inserted at the given positions of the output (negative
 * positions count from the output's end). */
MX_API int mx_expand_dims(mx_array **out, const mx_array *a, int axis, const mx_stream *s);
MX_API int mx_expand_dims_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                               const mx_stream *s);
/* The elements reversed along all axes, the listed axes (a repeated axis
 * counts once) or one axis: a view with negative strides. */
MX_API int mx_flip(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_flip_axes(mx_array **out, const mx_array *a, const int *axes, int naxes,
                        const mx_stream *s);
MX_API int mx_flip_axis(mx_array **out, const mx_array *a, int axis, const mx_stream *s);
/* Axis `source` moved to position `destination`; two axes swapped; a
 * permutation (same as mx_transpose). Views. */
MX_API int mx_moveaxis(mx_array **out, const mx_array *a, int source, int destination,
                       const mx_stream *s);
MX_API int mx_swapaxes(mx_array **out, const mx_array *a, int axis1, int axis2, const mx_stream *s);
MX_API int mx_permute_dims(mx_array **out, const mx_array *a, const int *axes, int naxes,
                           const mx_stream *s);
/* The n arrays broadcast to their common shape: outs[i] (n slots). */
MX_API int mx_broadcast_arrays(mx_array **outs, const mx_array *const *arrays, int n,
                               const mx_stream *s);
/* The broadcast of n >= 1 shapes (shapes[i] has ndims[i] dims) into `out`,
 * which has room for the largest ndims[i]; *out_ndim gets its length.
 * MX_ERR_VALUE when they do not broadcast or n == 0. */
MX_API int mx_broadcast_shapes(int32_t *out, int *out_ndim, const int32_t *const *shapes,
                               const int *ndims, int n);
/* a reshaped to at least 1, 2 or 3 dimensions, as NumPy: 0-d -> (1,),
 * (1, 1), (1, 1, 1); 1-d (n) -> (1, n), (1, n, 1); 2-d (m, n) -> (m, n, 1). */
MX_API int mx_atleast_1d(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_atleast_2d(mx_array **out, const mx_array *a, const mx_stream *s);
MX_API int mx_atleast_3d(mx_array **out, const mx_array *a, const mx_stream *s);
/* A view of a read as a flat row-major array (copied first if it is not
 * stored so): element (i...) is flat[offset + sum i_d * strides[d]].
 * shape NULL: a's shape; strides NULL: the row-major strides of shape.
 * MX_ERR_VALUE for a negative dimension or offset, or an element outside
 * the array (MLX does not check that). */
MX_API int mx_as_strided(mx_array **out, const mx_array *a, const int32_t *shape, int ndim,
                         const int64_t *strides, int64_t offset, const mx_stream *s);
/* The diagonal `offset` of the 2-d slices over axis1 and axis2: those axes
 * removed, the diagonal appended as the last axis. A view (MLX gathers).
 * MX_ERR_VALUE for fewer than 2 dims or equal axes, MX_ERR_INDEX for a bad
 * axis. */
MX_API int mx_diagonal(mx_array **out, const mx_array *a, int offset, int axis1, int axis2,
                       const mx_stream *s);
/* 1-d a: the square matrix with a on diagonal k; 2-d a: its diagonal k.
 * MX_ERR_VALUE for other ndims. */
MX_API int mx_diag(mx_array **out, const mx_array *a, int k, const mx_stream *s);
/* The bytes of a read as `dtype`. With a different item size the last axis
 * is rescaled (MX_ERR_VALUE when its bytes do not divide, or for a 0-d
 * array). A view where the layout allows, else a copy. */
MX_API int mx_view(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s);
/* a in row-major order (or column-major kept when allow_col_major): the
 * same memory when it already is, else a copy. */
MX_API int mx_contiguous(mx_array **out, const mx_array *a, bool allow_col_major,
                         const mx_stream *s);
/* a unchanged, but gradients do not flow through it. */
MX_API int mx_stop_gradient(mx_array **out, const mx_array *a, const mx_stream *s);
/* outs[i] (n slots) is inputs[i], computed only after every array in
 * dependencies (ndeps of them) has been. */
MX_API int mx_depends(mx_array **outs, const mx_array *const *inputs, int n,
                      const mx_array *const *dependencies, int ndeps);

/* ---- joins, splits and repeats ---- */

/* The n arrays joined along `axis` after promotion to a common dtype; all
 * dimensions but axis must match. One array is returned as it is. */
MX_API int mx_concatenate(mx_array **out, const mx_array *const *arrays, int n, int axis,
                          const mx_stream *s);
/* axis=None: each array flattened, then joined. */
MX_API int mx_concatenate_all(mx_array **out, const mx_array *const *arrays, int n,
                              const mx_stream *s);
/* Same as mx_concatenate (MLX's alias). */
MX_API int mx_concat(mx_array **out, const mx_array *const *arrays, int n, int axis,
                     const mx_stream *s);
/* The n arrays (same shape) stacked along a new axis `axis` of the output. */
MX_API int mx_stack(mx_array **out, const mx_array *const *arrays, int n, int axis,
                    const mx_stream *s);
/* a split along axis into `sections` equal parts (outs: sections slots);
 * MX_ERR_VALUE when they cannot be equal or sections < 1. */
MX_API int mx_split(mx_array **outs, const mx_array *a, int sections, int axis, const mx_stream *s);
/* a split at the given indices along axis (outs: nindices + 1 slots):
 * part i is a[indices[i-1]:indices[i]] with Python's slice rules (negative
 * indices count from the end, out-of-range ones clamp, decreasing ones give
 * empty parts). Views. */
MX_API int mx_split_indices(mx_array **outs, const mx_array *a, const int32_t *indices,
                            int nindices, int axis, const mx_stream *s);
/* The slices of a along axis, with that axis removed: nouts must equal
 * a's dimension there. */
MX_API int mx_unstack(mx_array **outs, int nouts, const mx_array *a, int axis, const mx_stream *s);
/* Each element repeated `repeats` times along axis, or in the flattened
 * array. MX_ERR_VALUE for repeats < 0. */
MX_API int mx_repeat(mx_array **out, const mx_array *a, int repeats, const mx_stream *s);
MX_API int mx_repeat_axis(mx_array **out, const mx_array *a, int repeats, int axis,
                          const mx_stream *s);
/* a repeated reps[d] times along each axis (reps and a's shape aligned at
 * the end, the shorter padded with ones). MX_ERR_VALUE for a negative rep. */
MX_API int mx_tile(mx_array **out, const mx_array *a, const int32_t *reps, int nreps,
                   const mx_stream *s);
/* a padded along the naxes `axes` by low[i] before and high[i] after (axes
 * NULL: naxes must be ndim and pairs go to axes in order). mode: NULL or
 * "constant" (pad_value, cast to a's dtype; its first element is used;
 * NULL means 0), "edge" (repeat the edge values), "reflect" (mirror
 * without the edge), "symmetric" (mirror with the edge); pads may exceed
 * the axis (the pattern repeats, as NumPy). MX_ERR_VALUE for a negative
 * width, an unknown mode, reflect/symmetric padding of an empty axis. */
MX_API int mx_pad(mx_array **out, const mx_array *a, const int *axes, int naxes, const int32_t *low,
                  const int32_t *high, const mx_array *pad_value, const char *mode,
                  const mx_stream *s);
/* Every axis padded by low before and high after (pad_width int or pair). */
MX_API int mx_pad_all(mx_array **out, const mx_array *a, int32_t low, int32_t high,
                      const mx_array *pad_value, const char *mode, const mx_stream *s);
/* Elements shifted by `shift` positions (negative to the left), wrapping
 * around: in the flattened array (shape kept), along one axis, or along
 * each of naxes axes by shifts[i] (nshifts >= naxes; extra shifts are
 * ignored as MLX does). mx_roll_axes with axes NULL rolls the flattened
 * array by the sum of the shifts (axis=None with a tuple). */
MX_API int mx_roll(mx_array **out, const mx_array *a, int32_t shift, const mx_stream *s);
MX_API int mx_roll_axis(mx_array **out, const mx_array *a, int32_t shift, int axis,
                        const mx_stream *s);
MX_API int mx_roll_axes(mx_array **out, const mx_array *a, const int32_t *shifts, int nshifts,
                        const int *axes, int naxes, const mx_stream *s);

/* The last two axes swapped (a view). MX_ERR_VALUE for fewer than two
 * dimensions. */
MX_API int mx_matrix_transpose(mx_array **out, const mx_array *a, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
