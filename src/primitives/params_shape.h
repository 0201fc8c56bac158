/*
 * Parameter blobs of the shape, view and join primitives added with the
 * shape ops (params.h keeps those of Reshape, Transpose, Broadcast and
 * Slice). Flat structs, as params.h explains.
 */
#ifndef MXI_PARAMS_SHAPE_H
#define MXI_PARAMS_SHAPE_H

#include <stdint.h>

/* Concatenate: the inputs, all of the output's dtype and ndim, are joined
 * along `axis` (non-negative). */
typedef struct mxi_concatenate_params {
    int32_t axis;
} mxi_concatenate_params;

/* Pad (constant mode): input 0 is the array, input 1 the pad value (its
 * first element is used, already of the output's dtype). low[d] elements
 * of the value come before the input along axis d; the output's shape
 * gives the rest. */
typedef struct mxi_pad_params {
    int32_t ndim;
    int32_t low[];
} mxi_pad_params;

/* AsStrided: the output views the input, read as a row-contiguous array
 * (copied first when it is not), starting `offset` elements in with the
 * given strides (elements). The op has checked every element it reaches
 * lies inside the input. */
typedef struct mxi_as_strided_params {
    int64_t offset;
    int32_t ndim;
    int32_t pad;
    int64_t strides[];
} mxi_as_strided_params;

/* Contiguous: a row-contiguous output (or column-contiguous input kept as
 * it is when allow_col_major). */
typedef struct mxi_contiguous_params {
    int32_t allow_col_major;
} mxi_contiguous_params;

/* DynamicSlice: input 1 holds one start index per listed axis (sorted as
 * given, distinct, non-negative); the output's shape is the slice size. */
typedef struct mxi_dynamic_slice_params {
    int32_t naxes;
    int32_t axes[];
} mxi_dynamic_slice_params;

/* Diagonal: the output views the diagonal `offset` of the input's axes
 * axis1 and axis2 (non-negative, distinct); those axes are removed and
 * the diagonal becomes the last axis. */
typedef struct mxi_diagonal_params {
    int32_t offset;
    int32_t axis1;
    int32_t axis2;
} mxi_diagonal_params;

#endif
