/*
 * Strided, converting copies into row-contiguous memory: the engine behind
 * astype, full, contiguous copies, reshape of arrays that cannot be viewed
 * and reading arrays back. Conversion rules are those of copy_kernels.inc
 * (C's static_cast as MLX uses it, with undefined float-to-integer cases
 * given x86's results).
 */
#ifndef MXI_CPU_COPY_H
#define MXI_CPU_COPY_H

#include <stdint.h>

#include "cmlx/dtype.h"

/* Writes the elements of `src` (dtype src_dtype, element 0 at src, laid out
 * by src_strides in elements over shape; strides may be 0 or negative) to
 * dst in row-major order, converted to dst_dtype. dst must not overlap src
 * unless both are the same row-contiguous memory with equal itemsizes (an
 * in-place conversion). Large copies run on the thread pool. Returns MX_OK,
 * or MX_ERR_VALUE (recorded) for a layout needing more than
 * MXI_STRIDED_MAX_DIMS axes after collapsing. */
int mxi_copy_to_contiguous(void *dst, mx_dtype dst_dtype, const void *src, mx_dtype src_dtype,
                           const int32_t *shape, const int64_t *src_strides, int ndim);

/* Converts n contiguous elements; the same rules and threading. */
void mxi_convert_contiguous(void *dst, mx_dtype dst_dtype, const void *src, mx_dtype src_dtype,
                            int64_t n);

/* Converts one element (scalar code, no threads). */
void mxi_convert_element(void *dst, mx_dtype dst_dtype, const void *src, mx_dtype src_dtype);

#endif
