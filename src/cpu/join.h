/*
 * Same-dtype strided copies and fills shared by the join, pad, view and
 * creation kernels (src/cpu/join.c).
 */
#ifndef MXI_CPU_JOIN_H
#define MXI_CPU_JOIN_H

#include <stdint.h>

/* Copies the elements of `src` (laid out by src_strides over shape) to the
 * same positions of `dst` (laid out by dst_strides), items of `itemsize`
 * bytes (1, 2, 4 or 8) moved as bits. Strides are in elements and may be 0
 * in src (broadcast) or negative; dst must not overlap src. Large copies
 * run on the thread pool. Returns MX_OK, or MX_ERR_VALUE (recorded) when
 * the layout needs more than MXI_STRIDED_MAX_DIMS axes after collapsing. */
int mxi_copy_strided(void *dst, const int64_t *dst_strides, const void *src,
                     const int64_t *src_strides, const int32_t *shape, int ndim, int itemsize);

/* Writes n copies of the item at `value` (itemsize bytes: 1, 2, 4 or 8)
 * to contiguous dst. */
void mxi_fill_items(void *dst, const void *value, int64_t n, int itemsize);

/* dst[i] = src[i * src_stride] for n items of itemsize bytes (1, 2, 4 or
 * 8); dst contiguous, not overlapping src. */
void mxi_move_items(void *dst, const void *src, int64_t src_stride, int64_t n, int itemsize);

#endif
