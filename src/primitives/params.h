/*
 * Parameter blobs of the primitives. Each is a flat struct (no pointers), so
 * nodes copy, compare and free them as bytes; variable-length parts are
 * flexible array members sized at creation.
 */
#ifndef MXI_PARAMS_H
#define MXI_PARAMS_H

#include <stdint.h>

#include "cmlx/dtype.h"

typedef struct mxi_arange_params {
    double start;
    double step;
} mxi_arange_params;

typedef enum mxi_reduce_type {
    MXI_REDUCE_AND,
    MXI_REDUCE_OR,
    MXI_REDUCE_SUM,
    MXI_REDUCE_PROD,
    MXI_REDUCE_MIN,
    MXI_REDUCE_MAX,
} mxi_reduce_type;

/* Reduce: the output keeps every axis of the input, with the reduced axes set
 * to 1 (keepdims=false is a reshape applied by the op after it). axes are
 * sorted, non-negative and distinct. */
typedef struct mxi_reduce_params {
    int32_t type; /* mxi_reduce_type */
    int32_t naxes;
    int32_t axes[];
} mxi_reduce_params;

/* Reshape: no parameters when the shape was given in full; when the op
 * inferred a dimension (-1), the shape as asked, so a shapeless compile
 * replay infers it again from its new input. */
typedef struct mxi_reshape_params {
    int32_t ndim;
    int32_t shape[]; /* -1: inferred; MXI_RESHAPE_KEEP: the input's size there */
} mxi_reshape_params;
#define MXI_RESHAPE_KEEP (-2)

/* Transpose: the output's axis i is the input's axis perm[i]. */
typedef struct mxi_transpose_params {
    int32_t ndim;
    int32_t perm[];
} mxi_transpose_params;

/* Slice: per axis start and step (the output shape gives the count); starts
 * are already normalised to valid indices. */
typedef struct mxi_slice_params {
    int32_t ndim;
    int32_t pad;
    int64_t start_step[]; /* start[0..ndim), then step[0..ndim) */
} mxi_slice_params;

#endif
