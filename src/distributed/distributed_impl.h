/*
 * The inside of mlx.core.distributed: communicators, the backend vtable
 * and the registry the primitives name groups by.
 *
 * A backend ("ring", later MPI or NCCL) supplies an mxi_dist_backend: a
 * table of blocking functions over contiguous host buffers. A
 * communicator is one backend's state for one group of processes. The
 * primitives (defs/distributed.def) cannot hold pointers in their
 * parameters, so communicators are registered once and named by an int id;
 * they live until the process ends (groups are few: the global one and its
 * splits), which is what lets a compiled tape or a graph built long ago
 * still reach its group. The kernels (src/cpu/distributed.c) look the id
 * up and call the backend; nothing in the ops or kernels knows which
 * backend it is.
 */
#ifndef MXI_DISTRIBUTED_IMPL_H
#define MXI_DISTRIBUTED_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "cmlx/distributed.h"

typedef enum mxi_dist_reduce {
    MXI_DIST_SUM = 0,
    MXI_DIST_MAX = 1,
    MXI_DIST_MIN = 2,
} mxi_dist_reduce;

struct mxi_dist_comm;

/* A backend's functions. Each blocks until its part of the operation is
 * done and returns MX_OK or a status with the error recorded (mxi_error):
 * a peer gone or silent past the backend's timeout must come back as an
 * error, never hang for ever. Every process of the group calls the
 * collectives in the same order with the same sizes. */
typedef struct mxi_dist_backend {
    const char *name;
    /* buf (count elements of dtype) becomes the reduction of every
     * process's buf. */
    int (*all_reduce)(void *state, void *buf, size_t count, mx_dtype dtype, mxi_dist_reduce op);
    /* out (size * nbytes) receives every process's in (nbytes), by rank. */
    int (*all_gather)(void *state, const void *in, void *out, size_t nbytes);
    /* out (count elements) becomes block `rank` of the reduction of every
     * process's in (size * count elements). */
    int (*reduce_scatter)(void *state, const void *in, void *out, size_t count, mx_dtype dtype,
                          mxi_dist_reduce op);
    int (*send)(void *state, const void *buf, size_t nbytes, int dst);
    int (*recv)(void *state, void *buf, size_t nbytes, int src);
    /* A communicator for the processes giving the same color (NULL:
     * splitting is not supported). */
    int (*split)(void *state, int color, int key, struct mxi_dist_comm *out);
} mxi_dist_backend;

/* One group as a backend sees it. backend is NULL for a group of one
 * process, whose collectives never reach a kernel. */
typedef struct mxi_dist_comm {
    const mxi_dist_backend *backend;
    void *state;
    int rank;
    int size;
} mxi_dist_comm;

/* Registers a communicator (copied) and returns its id (>= 0), or a
 * negative status with the error recorded. */
int mxi_dist_register(const mxi_dist_comm *c);
/* The communicator of an id, or NULL. The pointer stays valid for the
 * life of the process. */
const mxi_dist_comm *mxi_dist_lookup(int id);

/* A new group handle for a registered id (NULL with MX_ERR_MEMORY set). */
mx_distributed_group *mxi_dist_group_new(int id);
/* The id a handle names. */
int mxi_dist_group_id(const mx_distributed_group *g);

/* dst[i] = op(dst[i], src[i]) for count elements of dtype: what every
 * backend's reductions do. bool sums are logical or; float16 and bfloat16
 * add in float32 and round once; max and min propagate NaN; complex max and
 * min order by real part, then imaginary part (MLX's complex order). */
void mxi_dist_reduce_into(void *dst, const void *src, size_t count, mx_dtype dtype,
                          mxi_dist_reduce op);

/* The ring backend (ring.c): from MLX_RANK and MLX_HOSTFILE. Sets *got
 * when they configure a group; without them, an error when strict and
 * MX_OK with *got false otherwise. */
int mxi_ring_init(bool strict, mxi_dist_comm *out, bool *got);

#endif
