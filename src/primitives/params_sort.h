/*
 * Parameter blobs of the sorting primitives (Sort, ArgSort, Partition,
 * ArgPartition, SearchSorted). Flat structs, as in params.h.
 */
#ifndef MXI_PARAMS_SORT_H
#define MXI_PARAMS_SORT_H

#include <stdint.h>

/* Sort and ArgSort: the axis sorted along, already non-negative. */
typedef struct mxi_sort_params {
    int32_t axis;
} mxi_sort_params;

/* Partition and ArgPartition: kth is already in [0, shape[axis]). */
typedef struct mxi_partition_params {
    int32_t kth;
    int32_t axis;
} mxi_partition_params;

/* SearchSorted: right = 1 for side="right" (first index whose element is
 * greater than the value), 0 for "left" (first not less). */
typedef struct mxi_searchsorted_params {
    int32_t right;
} mxi_searchsorted_params;

#endif
