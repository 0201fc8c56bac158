/*
 * mlx.core.fast: fused kernels for the normalisations, rotary embeddings and
 * attention of transformer models. Each is one primitive with one fused CPU
 * kernel for float16, bfloat16 and float32 (float32 arithmetic, one rounding
 * of the result); float64 inputs are built from ordinary ops as MLX's
 * composition does. Conventions as in ops.h: the result is a new reference
 * the caller releases with mx_array_free; what *out held is released after
 * the op is built; on failure *out is left unchanged.
 */
#ifndef CMLX_FAST_H
#define CMLX_FAST_H

#include <stdbool.h>

#include "array.h"
#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Root-mean-square normalisation over the last axis of x (ndim >= 1):
 * x / sqrt(mean(x^2) + eps) * weight. weight (NULL: none) is 1-d with
 * x's last dimension. The result has x's shape and the promoted dtype of x
 * and weight, which must be floating. */
MX_API int mx_fast_rms_norm(mx_array **out, const mx_array *x, const mx_array *weight, float eps,
                            const mx_stream *s);

/* Layer normalisation over the last axis of x (ndim >= 1):
 * (x - mean) / sqrt(var + eps) * weight + bias, weight and bias optional
 * (NULL) and 1-d with x's last dimension. The dtype is x's, promoted with
 * weight and, when weight is given, bias (as MLX does). */
MX_API int mx_fast_layer_norm(mx_array **out, const mx_array *x, const mx_array *weight,
                              const mx_array *bias, float eps, const mx_stream *s);

/* Rotary positional encoding of x (ndim >= 3, shape (B, ..., T, D), floating):
 * the first `dims` features (even, 0 < dims <= D) of the row at position t
 * are rotated by angles (offset + t) * scale * f_i, the rest copied.
 * Exactly one of base (pointer to the base: f_i = base^(-2i/dims)) and
 * freqs (1-d, dims/2 entries: f_i = 1 / freqs[i]) is given, the other NULL.
 * traditional rotates pairs of consecutive features (x[2i], x[2i+1]);
 * otherwise x[i] pairs with x[i + dims/2]. Same shape and dtype as x. */
MX_API int mx_fast_rope(mx_array **out, const mx_array *x, int dims, bool traditional,
                        const float *base, float scale, int offset, const mx_array *freqs,
                        const mx_stream *s);
/* mx_fast_rope with the offset an integer array: 0-d, or 1-d with one entry
 * per batch entry (x's first axis). */
MX_API int mx_fast_rope_dynamic(mx_array **out, const mx_array *x, int dims, bool traditional,
                                const float *base, float scale, const mx_array *offset,
                                const mx_array *freqs, const mx_stream *s);

/* softmax(scale * q k^T + mask) v per batch entry and head. q is
 * (B, Nq, Tq, D), k (B, Nkv, Tkv, D), v (B, Nkv, Tkv, Dv); Nq must be a
 * multiple of Nkv (query head h reads key/value head h / (Nq / Nkv)).
 * mask_mode: NULL or "" (no mask, or `mask` when given), "causal" (query i
 * sees keys j <= i + Tkv - Tq; mask must be NULL) or "array" (mask
 * required). mask broadcasts to (B, Nq, Tq, Tkv): a bool mask keeps the
 * true positions (false ones score the dtype's lowest value), any other
 * dtype is added to the scores and must promote to the result dtype.
 * sinks (NULL: none) is 1-d with Nq entries: one extra logit per head that
 * takes part in the softmax but has no value. The result is
 * (B, Nq, Tq, Dv) of the promoted dtype of q, k and v (floating);
 * softmax runs in float32. */
MX_API int mx_fast_scaled_dot_product_attention(mx_array **out, const mx_array *q,
                                                const mx_array *k, const mx_array *v, float scale,
                                                const char *mask_mode, const mx_array *mask,
                                                const mx_array *sinks, const mx_stream *s);

/* Cross entropy with class indices: logsumexp(logits, -1) -
 * logits[..., targets] for logits (ndim >= 1, floating) and integer targets
 * of logits' shape without the last axis. Composed from logsumexp and
 * take_along_axis in logits' dtype (MLX's CPU path), then cast: float32 of
 * targets' shape, a new reference the caller frees. Targets outside the
 * class range read a clamped class. */
MX_API int mx_fast_cross_entropy(mx_array **out, const mx_array *logits, const mx_array *targets,
                                 const mx_stream *s);

/* The gated delta rule over T steps, composed step by step from ordinary
 * ops as MLX's fallback: with q, k (B, T, Hk, Dk), v (B, T, Hv, Dv) (Hv a
 * multiple of Hk; value head h reads key head h / (Hv / Hk)), gamma
 * (B, T, Hv) or (B, T, Hv, Dk), beta (B, T, Hv) and the state S
 * (B, Hv, Dv, Dk), float32, from initial_state (NULL: zeros), each step t:
 *   S = S * gamma_t;  S += k_t (x) ((v_t - S k_t) * beta_t);  y_t = S q_t.
 * mask (NULL: none; (B, T), nonzero keeps) leaves S unchanged and y_t zero
 * at the masked steps. *out_y gets y (B, T, Hv, Dv) in the promoted dtype of
 * q, k, v, gamma and beta, *out_state the final S (float32); new references
 * the caller frees; on failure neither is changed. */
MX_API int mx_fast_gated_delta_update(mx_array **out_y, mx_array **out_state, const mx_array *q,
                                      const mx_array *k, const mx_array *v, const mx_array *gamma,
                                      const mx_array *beta, const mx_array *initial_state,
                                      const mx_array *mask, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
