/*
 * mlx.core.distributed: groups of processes and the collective operations
 * between them.
 *
 * A group is an opaque, reference-counted handle naming some processes and
 * this process's rank among them. mx_distributed_init makes the global group
 * from a communication backend ("ring": TCP sockets, configured by the
 * MLX_RANK and MLX_HOSTFILE environment variables as mlx.launch sets them);
 * without one it gives a group of one process, on which every collective
 * returns its input, as in MLX.
 *
 * The ops are lazy like every other op: they build a node and communicate
 * when it is evaluated. Conventions as in ops.h: the result is a new
 * reference the caller releases with mx_array_free; what *out held is
 * released after the op is built; on failure *out is left unchanged. A
 * NULL group means the global group (mx_distributed_init(false, "any")).
 * A NULL stream means the default stream of the CPU, where communication
 * runs.
 */
#ifndef CMLX_DISTRIBUTED_H
#define CMLX_DISTRIBUTED_H

#include <stdbool.h>

#include "array.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A group of processes; every function handing one out gives a new
 * reference, released with mx_distributed_group_free. */
typedef struct mx_distributed_group mx_distributed_group;

/* Writes to *out whether this build can create groups of the backend:
 * "any" (some backend), "ring", "mpi", "nccl" or "jaccl"; any other name
 * gives false (as MLX). It says nothing of whether the environment
 * configures one: mx_distributed_init(strict = true) does. MX_ERR_VALUE for
 * a NULL name. */
MX_API int mx_distributed_is_available(bool *out, const char *backend);

/* The group of every process launched together, from the backend named
 * ("any" tries each available one; see mx_distributed_is_available). A
 * backend that initialises is kept: later calls naming it, or "any", give
 * the same group. When none can be initialised, strict gives MX_ERR_RUNTIME
 * (with the backend's reason, or "[distributed] Couldn't initialize any
 * backend" for "any"); otherwise *out is a new group of size 1. An unknown
 * name is MX_ERR_VALUE. *out is a new reference (what it held is released). */
MX_API int mx_distributed_init(mx_distributed_group **out, bool strict, const char *backend);

/* The global group: mx_distributed_init(out, false, "any"). A new reference. */
MX_API int mx_distributed_global_group(mx_distributed_group **out);

/* This process's rank in g (0 .. size-1); -1 for a NULL group. */
MX_API int mx_distributed_group_rank(const mx_distributed_group *g);
/* The number of processes in g; 0 for a NULL group. */
MX_API int mx_distributed_group_size(const mx_distributed_group *g);

/* Splits g into subgroups: processes giving the same color form one; their
 * ranks follow key (a negative key: the rank in g). Collective over g. A
 * group of one process cannot be split (MX_ERR_RUNTIME, "Cannot split the
 * distributed group further."), nor can a ring group. *out is a new
 * reference (what it held is released). */
MX_API int mx_distributed_group_split(mx_distributed_group **out, const mx_distributed_group *g,
                                      int color, int key);

/* Another reference to g (returned); NULL stays NULL. */
MX_API mx_distributed_group *mx_distributed_group_retain(mx_distributed_group *g);
/* Releases a reference to g; NULL is ignored. */
MX_API void mx_distributed_group_free(mx_distributed_group *g);

/* Elementwise sum, maximum and minimum of x over the processes of the
 * group: x's shape and dtype. On a group of one process, x itself (a new
 * reference to it). */
MX_API int mx_distributed_all_sum(mx_array **out, const mx_array *x,
                                  const mx_distributed_group *group, const mx_stream *s);
MX_API int mx_distributed_all_max(mx_array **out, const mx_array *x,
                                  const mx_distributed_group *group, const mx_stream *s);
MX_API int mx_distributed_all_min(mx_array **out, const mx_array *x,
                                  const mx_distributed_group *group, const mx_stream *s);

/* The x of every process concatenated along the first axis, in rank order
 * (a 0-d x gives a 1-d array of one entry per process). On a group of one
 * process, x itself. */
MX_API int mx_distributed_all_gather(mx_array **out, const mx_array *x,
                                     const mx_distributed_group *group, const mx_stream *s);

/* The sum of x over the processes, of which this process keeps its block
 * of the first axis: all_sum(x)[rank * n : (rank + 1) * n] with
 * n = x.shape[0] / size, which must divide evenly (MX_ERR_VALUE). On a group
 * of one process, x itself. */
MX_API int mx_distributed_sum_scatter(mx_array **out, const mx_array *x,
                                      const mx_distributed_group *group, const mx_stream *s);

/* Sends x to the process of rank dst; the result is x's value, and
 * evaluating it performs the send. MX_ERR_VALUE on a group of one process
 * ("Cannot send to a singleton group") or for dst out of range. */
MX_API int mx_distributed_send(mx_array **out, const mx_array *x, int dst,
                               const mx_distributed_group *group, const mx_stream *s);

/* Receives an array of the given shape and dtype from the process of rank
 * src (evaluating the result performs the receive). MX_ERR_VALUE on a group
 * of one process ("Cannot recv from a singleton group") or for src out of
 * range. */
MX_API int mx_distributed_recv(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                               int src, const mx_distributed_group *group, const mx_stream *s);
/* mx_distributed_recv with x's shape and dtype. */
MX_API int mx_distributed_recv_like(mx_array **out, const mx_array *x, int src,
                                    const mx_distributed_group *group, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
