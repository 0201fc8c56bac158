/*
 * One shared pool of worker threads for parallelism inside an op. Sized to
 * the cores, or to CMLX_NUM_THREADS when set. Kernels call mxi_parallel_for;
 * the calling thread takes part. Safe to call from several stream threads at
 * once (a call that finds the pool busy runs on its caller alone).
 */
#ifndef MXI_THREADPOOL_H
#define MXI_THREADPOOL_H

#include <stdint.h>

typedef void (*mxi_range_fn)(void *ctx, int64_t begin, int64_t end);

/* Threads that mxi_parallel_for may use, the caller included (>= 1). */
int mxi_num_threads(void);
/* Changes the pool size (tests, benchmarks); n < 1 means the default. */
void mxi_set_num_threads(int n);
/* Calls fn(ctx, begin, end) over disjoint ranges covering [0, n), each at
 * least `grain` long except the last; returns when all have run. Runs inline
 * when n <= grain or only one thread is available. */
void mxi_parallel_for(int64_t n, int64_t grain, mxi_range_fn fn, void *ctx);

#endif
