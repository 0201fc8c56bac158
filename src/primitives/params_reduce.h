/*
 * Parameter blobs of the reduction-family primitives other than Reduce
 * (whose mxi_reduce_params is in params.h). Flat structs, as params.h says.
 */
#ifndef MXI_PARAMS_REDUCE_H
#define MXI_PARAMS_REDUCE_H

#include <stdint.h>

#include "params.h"

/* Kernel-level reduction types past mxi_reduce_type: the LogSumExp
 * primitive runs the reduction engine with this one. */
#define MXI_REDUCE_LOGSUMEXP 6

typedef enum mxi_arg_reduce_type {
    MXI_ARG_REDUCE_MIN,
    MXI_ARG_REDUCE_MAX,
} mxi_arg_reduce_type;

/* ArgReduce: the uint32 index of the first minimum or maximum along one
 * axis (NaN counts as both the largest and the smallest value, so the first
 * NaN wins); the output keeps the axis with size 1. */
typedef struct mxi_arg_reduce_params {
    int32_t type; /* mxi_arg_reduce_type */
    int32_t axis;
} mxi_arg_reduce_params;

/* LogSumExp and Median: the output keeps every axis, the listed ones (sorted,
 * distinct, non-negative) set to 1. */
typedef struct mxi_axes_params {
    int32_t naxes;
    int32_t axes[];
} mxi_axes_params;

/* Softmax over the listed axes (sorted, distinct; may be none); the output
 * has the input's shape. precise: float16/bfloat16 inputs accumulate in
 * float32 (cmlx always does; the flag is kept for equivalence and printing). */
typedef struct mxi_softmax_params {
    int32_t precise;
    int32_t naxes;
    int32_t axes[];
} mxi_softmax_params;

/* Trace: the sum of the diagonal `offset` of the planes (axis1, axis2), each
 * element first converted to `dtype`; the output has the other axes. */
typedef struct mxi_trace_params {
    int32_t offset;
    int32_t axis1;
    int32_t axis2;
    int32_t dtype; /* mx_dtype the diagonal is cast to before summing */
} mxi_trace_params;

#endif
