/*
 * Ops: random numbers, as mlx.core.random. Conventions in ops.h.
 *
 * Keys. A PRNG key is a uint32 array of shape (2,). Every sampling function
 * takes `key`; NULL means "use the global key": the calling thread's key is
 * split in two (as MLX's KeySequence::next), one half replaces it and the
 * other is used for the call. The global key is per thread, as in MLX 0.32:
 * it starts from a seed taken from the clock once per process (so threads
 * that never call mx_random_seed start alike) and mx_random_seed reseeds the
 * calling thread only. A call without a key advances the global key even
 * when it then fails on a bad argument (what MLX's Python layer does).
 *
 * Values. Bits come from Threefry-2x32 (20 rounds) laid out exactly as
 * MLX's RandomBits, and every distribution repeats MLX's formula step by
 * step with the same roundings, so the same key gives the same values as
 * MLX on the CPU: bits, uniform, normal, gumbel, laplace, bernoulli,
 * randint, categorical and permutation bit for bit, truncated_normal too
 * (its erf is MLX's own approximation), multivariate_normal to float32
 * rounding (it needs an SVD, computed here in double).
 *
 * Shapes are given as (shape, ndim); dimensions must be non-negative.
 * Results are new references the caller frees with mx_array_free.
 */
#ifndef CMLX_OPS_RANDOM_H
#define CMLX_OPS_RANDOM_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- keys and global state ---- */

/* Seeds the calling thread's global key: it becomes mx_random_key(seed). */
MX_API int mx_random_seed(uint64_t seed);
/* A key from a seed: the uint32 array [seed >> 32, seed & 0xffffffff]. */
MX_API int mx_random_key(mx_array **out, uint64_t seed);
/* The calling thread's global key as a new (2,) uint32 array, without
 * advancing it; and setting it from a key (which is evaluated). These let a
 * caller save and restore the state (MLX's mx.random.state). */
MX_API int mx_random_get_state(mx_array **out);
MX_API int mx_random_set_state(const mx_array *key);

/* num sub-keys of key: a (num, 2) uint32 array (the bits of shape (num, 2)).
 * key is required here. MX_ERR_VALUE for num < 0 or a bad key. */
MX_API int mx_random_split(mx_array **out, const mx_array *key, int num, const mx_stream *s);
/* The two halves of mx_random_split(key, 2) as two (2,) keys. */
MX_API int mx_random_split_pair(mx_array **first, mx_array **second, const mx_array *key,
                                const mx_stream *s);

/* ---- raw bits ---- */

/* Random bits of `shape`: uint32 for width 4, uint16 for 2, uint8 for 1
 * (MX_ERR_VALUE for another width). */
MX_API int mx_random_bits(mx_array **out, const int32_t *shape, int ndim, int width,
                          const mx_array *key, const mx_stream *s);

/* ---- distributions ---- */

/* Uniform samples in [low, high) of `shape` and `dtype` (float16, bfloat16
 * or float32: MX_ERR_VALUE for a non-float dtype, MX_ERR_RUNTIME for
 * float64 as MLX's "[uniform] Unsupported type"). low and high (NULL: 0 and
 * 1) are cast to dtype and must broadcast to `shape` exactly (their
 * broadcast shape broadcast with `shape` must be `shape`). */
MX_API int mx_random_uniform(mx_array **out, const mx_array *low, const mx_array *high,
                             const int32_t *shape, int ndim, mx_dtype dtype, const mx_array *key,
                             const mx_stream *s);

/* Normal samples: sqrt(2) * erfinv(u) for u uniform in (-1, 1), computed in
 * float32 and cast to dtype (float16, bfloat16, float32, float64), then
 * multiplied by scale and shifted by loc when given (NULL: none; they are
 * cast to dtype and broadcast with the samples, so the result shape is the
 * broadcast of shape, scale and loc, as MLX). complex64 gives real and
 * imaginary parts each N(0, 1/2). Other dtypes: MX_ERR_VALUE. */
MX_API int mx_random_normal(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                            const mx_array *loc, const mx_array *scale, const mx_array *key,
                            const mx_stream *s);
/* The same with scalar loc and scale (MLX's C++ overload: loc 0 and scale 1
 * mean none). */
MX_API int mx_random_normal_scalar(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                                   float loc, float scale, const mx_array *key, const mx_stream *s);

/* Jointly normal samples with mean (..., n) and covariance cov (..., n, n):
 * mean + z @ sqrt(cov) with sqrt(cov) = U diag(sqrt(S)) V^T from the SVD of
 * cov (float32; computed here in double). The result has shape
 * broadcast(cov batch, mean batch, shape) + (n,). dtype must be float32.
 * MX_ERR_VALUE for the shape and dtype errors MLX raises. */
MX_API int mx_random_multivariate_normal(mx_array **out, const mx_array *mean, const mx_array *cov,
                                         const int32_t *shape, int ndim, mx_dtype dtype,
                                         const mx_array *key, const mx_stream *s);

/* Integers uniform in [low, high): floor of a float32 uniform in
 * [low, high), cast to dtype and clamped to [low, high - 1] (so, as in MLX,
 * not every integer is reachable past 2^24). dtype: an integer type or
 * bool (MX_ERR_VALUE otherwise). low and high: arrays of any real dtype
 * broadcasting to `shape`. */
MX_API int mx_random_randint(mx_array **out, const mx_array *low, const mx_array *high,
                             const int32_t *shape, int ndim, mx_dtype dtype, const mx_array *key,
                             const mx_stream *s);

/* bool samples, true with probability p (NULL: 0.5), p of a float dtype
 * (MX_ERR_VALUE otherwise). ndim < 0 takes p's shape; otherwise p must
 * broadcast to `shape`. */
MX_API int mx_random_bernoulli(mx_array **out, const mx_array *p, const int32_t *shape, int ndim,
                               const mx_array *key, const mx_stream *s);

/* Normal samples truncated to [lower, upper] (arrays cast to dtype: float16,
 * bfloat16 or float32). ndim < 0 takes the broadcast shape of lower and
 * upper; otherwise that must broadcast to `shape` exactly. */
MX_API int mx_random_truncated_normal(mx_array **out, const mx_array *lower, const mx_array *upper,
                                      const int32_t *shape, int ndim, mx_dtype dtype,
                                      const mx_array *key, const mx_stream *s);

/* Standard Gumbel samples -log(-log(u)) (float16, bfloat16, float32). */
MX_API int mx_random_gumbel(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                            const mx_array *key, const mx_stream *s);

/* Laplace samples with location loc and scale (float16, bfloat16, float32,
 * float64; computed from a float32 uniform as MLX). */
MX_API int mx_random_laplace(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                             float loc, float scale, const mx_array *key, const mx_stream *s);

/* Samples (uint32 indices) from the categorical distributions given by the
 * unnormalised log-probabilities `logits` along `axis`: argmax of logits
 * plus float32 Gumbel noise. The plain form gives one sample per
 * distribution (logits' shape without axis); _shape gives `shape`, which
 * must be that reduced shape or broadcast from it; _num_samples gives
 * num_samples per distribution in a last axis. MX_ERR_INDEX for a bad axis,
 * MX_ERR_VALUE for a shape that does not fit or an empty result. */
MX_API int mx_random_categorical(mx_array **out, const mx_array *logits, int axis,
                                 const mx_array *key, const mx_stream *s);
MX_API int mx_random_categorical_shape(mx_array **out, const mx_array *logits, int axis,
                                       const int32_t *shape, int ndim, const mx_array *key,
                                       const mx_stream *s);
MX_API int mx_random_categorical_num_samples(mx_array **out, const mx_array *logits, int axis,
                                             int num_samples, const mx_array *key,
                                             const mx_stream *s);

/* A random permutation of 0..n-1 as uint32 (argsort of n random words);
 * MX_ERR_VALUE for n < 0. */
MX_API int mx_random_permutation_arange(mx_array **out, int n, const mx_array *key,
                                        const mx_stream *s);
/* x with its entries along `axis` randomly permuted (same dtype and shape);
 * MX_ERR_INDEX for a bad axis (a 0-d x has none). */
MX_API int mx_random_permutation(mx_array **out, const mx_array *x, int axis, const mx_array *key,
                                 const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
