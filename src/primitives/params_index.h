/*
 * Parameter blobs of the indexing primitives (Gather, GatherAxis, Scatter,
 * ScatterAxis, SliceUpdate, DynamicSliceUpdate, MaskedScatter). Flat
 * structs, as in params.h; variable parts are flexible array members.
 */
#ifndef MXI_PARAMS_INDEX_H
#define MXI_PARAMS_INDEX_H

#include <stdint.h>

/* How a scatter combines an update u with the element x it lands on. */
typedef enum mxi_scatter_reduce {
    MXI_SCATTER_NONE = 0, /* x = u (the last update to an element wins) */
    MXI_SCATTER_SUM,      /* x = x + u */
    MXI_SCATTER_PROD,     /* x = x * u */
    MXI_SCATTER_MAX,      /* x = max(x, u), NaN propagating */
    MXI_SCATTER_MIN,      /* x = min(x, u), NaN propagating */
    MXI_SCATTER_REDUCE_COUNT
} mxi_scatter_reduce;

/* Gather: inputs (a, idx_0, ..., idx_{naxes-1}); the index arrays share one
 * shape I (the op broadcasts them). The output has shape I followed by
 * slice_sizes (ndim entries, one per axis of a): for each position p of I,
 * the slice of a starting at idx_j[p] on axis axes[j] (0 on the other axes).
 * data holds axes[naxes] then slice_sizes[ndim]. */
typedef struct mxi_gather_params {
    int32_t naxes;
    int32_t ndim;
    int32_t data[];
} mxi_gather_params;

/* GatherAxis (take_along_axis): inputs (a, idx) of equal shapes except on
 * axis; out[..., i, ...] = a[..., idx[..., i, ...], ...]. */
typedef struct mxi_gather_axis_params {
    int32_t axis;
} mxi_gather_axis_params;

/* Scatter: inputs (a, idx_0, ..., idx_{naxes-1}, updates); updates has shape
 * I followed by ndim(a) slice dims. Output: a with each update slice
 * combined (reduce) into a at the slice starting at idx_j[p] on axes[j]. */
typedef struct mxi_scatter_params {
    int32_t reduce; /* mxi_scatter_reduce */
    int32_t naxes;
    int32_t axes[];
} mxi_scatter_params;

/* ScatterAxis (put_along_axis, scatter_add_axis): inputs (a, idx, updates),
 * idx and updates of one shape, equal to a's except on axis. */
typedef struct mxi_scatter_axis_params {
    int32_t reduce; /* mxi_scatter_reduce */
    int32_t axis;
} mxi_scatter_axis_params;

/* SliceUpdate: inputs (src, update); update has the slice's shape. Per axis
 * the slice's first index (normalised, valid when the slice is not empty)
 * and step. */
typedef struct mxi_slice_update_params {
    int32_t reduce; /* mxi_scatter_reduce */
    int32_t ndim;
    int64_t start_step[]; /* start[0..ndim), then step[0..ndim) */
} mxi_slice_update_params;

/* DynamicSliceUpdate: inputs (src, update, start); start holds one integer
 * per entry of axes (a 0-d start for one axis); steps are 1. */
typedef struct mxi_dynamic_slice_update_params {
    int32_t reduce; /* mxi_scatter_reduce */
    int32_t naxes;
    int32_t axes[];
} mxi_dynamic_slice_update_params;

#endif
