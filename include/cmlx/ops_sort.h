/* Ops: sorting and selection. Conventions in ops.h. */
#ifndef CMLX_OPS_SORT_H
#define CMLX_OPS_SORT_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Ordering used by every op here (MLX's): ascending; every dtype is accepted,
 * bool (False < True) and complex64 included. NaN sorts after everything
 * (+inf included) and all NaNs are equal to each other; -0.0 equals 0.0.
 * complex64 compares lexicographically (real part, then imaginary part), and
 * a complex number with a NaN in either part counts as NaN.
 */

/* ---- sort / argsort (stable: equal elements keep their order) ---- */

/* A sorted copy of the flattened array (1-D, a's dtype). */
MX_API int mx_sort(mx_array **out, const mx_array *a, const mx_stream *s);
/* A copy of a sorted along axis (same shape and dtype). MX_ERR_INDEX for a
 * bad axis (a 0-d array has none). */
MX_API int mx_sort_axis(mx_array **out, const mx_array *a, int axis, const mx_stream *s);
/* The indices (uint32) that sort the flattened array. */
MX_API int mx_argsort(mx_array **out, const mx_array *a, const mx_stream *s);
/* The indices (uint32, a's shape) that sort a along axis. */
MX_API int mx_argsort_axis(mx_array **out, const mx_array *a, int axis, const mx_stream *s);

/* ---- partition / argpartition / topk ---- */

/* A copy of the flattened array, partitioned: element kth is the one a sort
 * would put there, those before it are <= it and those after are >= it (their
 * order is unspecified). kth may be negative (counted from the end);
 * MX_ERR_VALUE unless -n <= kth < n. */
MX_API int mx_partition(mx_array **out, const mx_array *a, int kth, const mx_stream *s);
/* The same along axis; a's shape and dtype. */
MX_API int mx_partition_axis(mx_array **out, const mx_array *a, int kth, int axis,
                             const mx_stream *s);
/* The indices (uint32) that partition the flattened array at kth. */
MX_API int mx_argpartition(mx_array **out, const mx_array *a, int kth, const mx_stream *s);
/* The indices (uint32, a's shape) that partition a along axis at kth. */
MX_API int mx_argpartition_axis(mx_array **out, const mx_array *a, int kth, int axis,
                                const mx_stream *s);
/* The k largest elements of the flattened array (1-D, k long). As in MLX
 * their order is unspecified, except that cmlx puts the smallest of them
 * (the k-th largest) first. MX_ERR_VALUE unless 0 <= k <= size. */
MX_API int mx_topk(mx_array **out, const mx_array *a, int k, const mx_stream *s);
/* The k largest elements along axis: a's shape with k on that axis. */
MX_API int mx_topk_axis(mx_array **out, const mx_array *a, int k, int axis, const mx_stream *s);

/* ---- searchsorted ---- */

/* For each element of values, the index at which inserting it keeps the 1-D
 * sorted_sequence sorted: with side "left" (or NULL) the number of elements
 * less than it, with "right" the number less than or equal to it. Both
 * inputs are first promoted to their common dtype. Returns uint32 of values'
 * shape, in [0, size]. MX_ERR_VALUE when sorted_sequence is not 1-D or side
 * is neither "left" nor "right". The sequence is not checked to be sorted. */
MX_API int mx_searchsorted(mx_array **out, const mx_array *sorted_sequence, const mx_array *values,
                           const char *side, const mx_stream *s);

/* ---- unique ---- */

/* The sorted unique elements of the flattened a, in an output of the static
 * size `size` (>= 0), composed from argsort, cumsum and searchsorted as MLX
 * does, so a is not evaluated. Elements equal under not_equal form one
 * group (-0.0 and 0.0 do; each NaN is its own group). Past the last unique
 * element the values hold fill_value (NULL: the smallest element; it must
 * have one element and is cast to a's dtype) and the counts 0; a shorter
 * output keeps the `size` smallest groups.
 *   values:  (size,) a's dtype.
 *   index:   (size,) uint32, the first position in the flattened a of each
 *            group (padding: that of the first group).
 *   inverse: a's shape, uint32, the group of each element, clamped to
 *            size - 1 (0 when size is 0).
 *   counts:  (size,) int32, the number of elements in each group.
 * Any of the four out pointers may be NULL (not computed); each one given
 * receives a new reference the caller frees; on failure none is changed.
 * MX_ERR_VALUE for a negative size, a fill_value of more than one element,
 * an empty a with size > 0 and no fill_value. */
MX_API int mx_unique(mx_array **values, mx_array **index, mx_array **inverse, mx_array **counts,
                     const mx_array *a, int size, const mx_array *fill_value, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
