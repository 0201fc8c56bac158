/*
 * Pieces shared by the LAPACK kernels (lapack_*.c). Each kernel makes a
 * row-major copy of its input batch, then calls LAPACKE in row-major mode
 * once per matrix of the batch; LAPACKE transposes to LAPACK's column-major
 * order and back, which costs O(n^2) against the O(n^3) factorization.
 */
#ifndef MXI_CPU_LAPACK_UTIL_H
#define MXI_CPU_LAPACK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/array_impl.h"

/* Number of matrices in a (the product of all but the last two axes). */
int64_t mxi_lapack_batch(const mx_array *a);

/* A row-major copy of in (its own dtype) in a block from the allocator:
 * *buf, *bytes (free with mxi_free(*buf, *bytes)). An empty input gives
 * *buf NULL. */
int mxi_lapack_gather(void **buf, size_t *bytes, const mx_array *in);

/* Gives out (the same shape and dtype as in) row-contiguous memory holding
 * in's elements: in's own buffer when it can be donated, else a copy. */
int mxi_lapack_copy_into(mx_array *out, mx_array *in);

/* Zeroes the strictly lower (keep_upper) or strictly upper triangle of a
 * row-major n x n matrix of itemsize isz. */
void mxi_lapack_zero_triangle(void *a, int64_t n, int64_t isz, bool keep_upper);

/* Writes the n x n identity in dtype (float32, float64 or complex64). */
void mxi_lapack_identity(void *a, int64_t n, mx_dtype dtype);

/* Records the failure of a LAPACK call made for op ("linalg::svd"): what
 * failed and info. A negative info names a rejected argument; from LAPACKE
 * it usually means its check found a NaN in the input matrix. Returns MX_ERR_RUNTIME. */
int mxi_lapack_error(const char *op, const char *what, int info);

#endif
