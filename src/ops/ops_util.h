/*
 * Checks and small building blocks shared by the op constructors.
 */
#ifndef MXI_OPS_UTIL_H
#define MXI_OPS_UTIL_H

#include "cmlx/ops.h"
#include "core/array_impl.h"
#include "core/error.h"

/* The most dimensions an op accepts (shapes live on the stack in ops). */
#define MXI_MAX_NDIM 64

/* Checks that an input array and the out pointer are usable. */
int mxi_check_inputs(const char *op, mx_array **out, const mx_array *const *inputs, int n);
/* Checks ndim is within 0..MXI_MAX_NDIM and no dimension is negative. */
int mxi_check_shape(const char *op, const int32_t *shape, int ndim);
/* Maps a possibly negative axis into [0, ndim); MX_ERR_INDEX if out of range. */
int mxi_normalize_axis(const char *op, int *axis, int ndim);
/* NumPy broadcasting of two shapes into out (room for MXI_MAX_NDIM). */
int mxi_broadcast_shapes(const char *op, int32_t *out, int *out_ndim, const int32_t *a, int an,
                         const int32_t *b, int bn);
/* a cast to dtype, or a new reference to a itself when it already has it. */
int mxi_astype_if(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s);
/* a broadcast to shape, or a new reference to a when the shape is already it. */
int mxi_broadcast_if(mx_array **out, const mx_array *a, const int32_t *shape, int ndim,
                     const mx_stream *s);
/* Whether two shapes are equal. */
bool mxi_same_shape(const int32_t *a, int an, const int32_t *b, int bn);

#endif
