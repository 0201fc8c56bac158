/*
 * Constructors of nodes that no public op makes exactly as they are: the
 * samplers' raw steps (a public op wraps them in casts, broadcasts and
 * arithmetic) and the variants only derivative rules make. Each checks
 * every input dtype and shape and every field its kernel trusts, so
 * function import (src/io/function_checks.c) can rebuild a file's node
 * through it, as it does through the public ops.
 *
 * Each writes a new reference into *out (released by the caller; what
 * *out held is released) and returns MX_OK, or an error naming the op.
 */
#ifndef MXI_OPS_NODES_H
#define MXI_OPS_NODES_H

#include <stdbool.h>

#include "cmlx/array.h"
#include "cmlx/device.h"

/* RandomNormal of shape/dtype (a floating dtype or complex64) from key:
 * scaled = true gives sqrt(2) * erfinv(u) (real dtypes only), false
 * erfinv(u) alone (what normal() multiplies by scale * sqrt(2) itself, and
 * what complex64 samples are). */
int mxi_random_normal_node(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                           bool scaled, const mx_array *key, const mx_stream *s);

/* RandomRandint of shape/dtype (an integer dtype or bool) from key with
 * prm = (low, high as float32; high - 1, low as dtype), each of the
 * output's shape. */
int mxi_random_randint_node(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                            const mx_array *const prm[4], const mx_array *key, const mx_stream *s);

/* CategoricalArgmax: uint32 indices of the largest entries of x (floating or
 * complex64, not empty) along axis (non-negative); x's shape without axis. */
int mxi_categorical_argmax(mx_array **out, const mx_array *x, int axis, const mx_stream *s);

/* CovSqrt: U diag(sqrt(S)) V^T of each square float32 matrix of cov
 * (at least 2-d); cov's shape. */
int mxi_cov_sqrt(mx_array **out, const mx_array *cov, const mx_stream *s);

/* Hadamard of a floating x (not empty, last axis m * 2^k with m in 1, 12,
 * 20, 28) times scale; transposed applies the transposed matrix (the vjp). */
int mxi_hadamard(mx_array **out, const mx_array *x, float scale, bool transposed,
                 const mx_stream *s);

/* MaskedScatter as masked_scatter builds it: a, the bool mask over all of
 * a's shape, and the values (a's dtype) as (rows, a's trailing axes). */
int mxi_masked_scatter_node(mx_array **out, const mx_array *a, const mx_array *mask,
                            const mx_array *values, const mx_stream *s);

/* RoPE as mx_fast_rope_dynamic makes it, rotating the other way when
 * forward is false (the transpose, for gradients). */
int mxi_fast_rope_dir(mx_array **out, const mx_array *x, int dims, bool traditional,
                      const float *base, float scale, const mx_array *offset, const mx_array *freqs,
                      bool forward, const mx_stream *s);

#endif
