/*
 * Parameter blob of the distributed primitives (flat, see params.h). The
 * group is named by its registry id (src/distributed/distributed_impl.h),
 * since a blob cannot hold a pointer.
 */
#ifndef MXI_PARAMS_DISTRIBUTED_H
#define MXI_PARAMS_DISTRIBUTED_H

#include <stdint.h>

typedef struct mxi_dist_params {
    int32_t group; /* communicator id */
    int32_t arg;   /* AllReduce, ReduceScatter: mxi_dist_reduce; Send: dst; Recv: src */
} mxi_dist_params;

#endif
