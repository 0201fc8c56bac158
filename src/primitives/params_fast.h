/*
 * Parameter blobs of the mlx.core.fast primitives (flat structs, see
 * params.h).
 */
#ifndef MXI_PARAMS_FAST_H
#define MXI_PARAMS_FAST_H

#include <stdint.h>

/* RMSNorm and LayerNorm. Inputs: x, then weight if has_weight, then bias if
 * has_bias (LayerNorm only); all of the output's dtype, weight and bias 1-d
 * with x's last dimension. */
typedef struct mxi_norm_params {
    float eps;
    int32_t has_weight;
    int32_t has_bias;
} mxi_norm_params;

/* RoPE. Inputs: x, offset (int32, 0-d or one entry per x.shape[0]), then
 * freqs (float32, dims/2 entries) if has_freqs, else base is used. forward
 * = 0 rotates the other way (the transpose, for gradients). */
typedef struct mxi_rope_params {
    int32_t dims;
    int32_t traditional;
    int32_t forward;
    int32_t has_freqs;
    float base;
    float scale;
} mxi_rope_params;

typedef enum mxi_sdpa_mask {
    MXI_SDPA_MASK_NONE = 0,
    MXI_SDPA_MASK_CAUSAL = 1,
    MXI_SDPA_MASK_BOOL = 2,     /* bool array: false positions score the lowest value */
    MXI_SDPA_MASK_ADDITIVE = 3, /* array of the output dtype added to the scores */
} mxi_sdpa_mask;

/* ScaledDotProductAttention. Inputs: q, k, v (the output's dtype), then the
 * mask broadcast to (B, Nq, Tq, Tkv) for the array masks, then sinks (Nq
 * entries, the output's dtype) if has_sinks. */
typedef struct mxi_sdpa_params {
    float scale;
    int32_t mask; /* mxi_sdpa_mask */
    int32_t has_sinks;
} mxi_sdpa_params;

#endif
