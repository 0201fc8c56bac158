/*
 * Ops: quantization. Conventions in ops.h.
 *
 * Packed weights are uint32 arrays laid out exactly as MLX 0.32 lays them
 * out, so weights quantized by MLX load and multiply identically. Every
 * group_size elements along the last axis share one scale (and in the
 * "affine" mode one bias). Modes, with their group sizes and bits (the
 * starred value is the default when 0 is passed):
 *
 *   "affine"  group 32, 64*, 128   bits 1, 2, 3, 4*, 5, 6, 8   scales and biases of w's dtype
 *   "mxfp4"   group 32*            bits 4*   (E2M1 values)     uint8 E8M0 scales, no biases
 *   "mxfp8"   group 32*            bits 8*   (E4M3 values)     uint8 E8M0 scales, no biases
 *   "nvfp4"   group 16*            bits 4*   (E2M1 values)     uint8 E4M3 scales, no biases
 *
 * mode NULL means "affine".
 */
#ifndef CMLX_OPS_QUANTIZED_H
#define CMLX_OPS_QUANTIZED_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Quantizes w (float16, bfloat16 or float32, at least 2-d, last axis a
 * multiple of the group size) along its last axis. Writes the packed
 * weights (uint32, last axis K * bits / 32) to *wq, the scales (last axis
 * K / group_size) to *scales and, for "affine", the biases to *biases; for
 * the other modes *biases is released and set to NULL (biases may then be
 * NULL). All three are new references the caller frees. */
MX_API int mx_quantize(mx_array **wq, mx_array **scales, mx_array **biases, const mx_array *w,
                       int group_size, int bits, const char *mode, const mx_stream *s);

/* mx_quantize with an "nvfp4" global scale (NULL: none): a float32 array
 * of one element gs, typically max|w|. The block scales are encoded as
 * amax / 6 * (448 * 6 / gs) so that they use E4M3's range, and the values
 * are scaled alike; mx_dequantize_scaled with the same gs undoes it. Other
 * modes with a global scale fail (MX_ERR_VALUE), as do other shapes or
 * dtypes of it. Outputs as mx_quantize. */
MX_API int mx_quantize_scaled(mx_array **wq, mx_array **scales, mx_array **biases,
                              const mx_array *w, int group_size, int bits, const char *mode,
                              const mx_array *global_scale, const mx_stream *s);

/* The inverse of mx_quantize: w (uint32) expanded with scales (and biases,
 * required for "affine" and NULL otherwise). dtype MX_DTYPE_NONE gives the
 * promoted dtype of scales and biases for "affine" and bfloat16 for the
 * other modes. Returns a new reference. */
MX_API int mx_dequantize(mx_array **out, const mx_array *w, const mx_array *scales,
                         const mx_array *biases, int group_size, int bits, const char *mode,
                         mx_dtype dtype, const mx_stream *s);

/* mx_dequantize with an "nvfp4" global scale (NULL: none; rules as in
 * mx_quantize_scaled): each value is q * (scale * (gs / (448 * 6))). With a
 * global scale the result is float32 whatever dtype says (the float32
 * scale promotes it, as in MLX). Returns a new reference. */
MX_API int mx_dequantize_scaled(mx_array **out, const mx_array *w, const mx_array *scales,
                                const mx_array *biases, int group_size, int bits, const char *mode,
                                const mx_array *global_scale, mx_dtype dtype, const mx_stream *s);

/* x @ dequantize(w).T (transpose true) or x @ dequantize(w) (false),
 * without expanding w in memory. x has at least one axis; leading axes of x
 * and w broadcast. The result has the dtype of x promoted with the scales'
 * ("affine") or x's own dtype (the fp modes). Returns a new reference. */
MX_API int mx_quantized_matmul(mx_array **out, const mx_array *x, const mx_array *w,
                               const mx_array *scales, const mx_array *biases, bool transpose,
                               int group_size, int bits, const char *mode, const mx_stream *s);

/* quantized_matmul with a gather over matrices: entry i of the broadcast
 * index arrays multiplies x's matrix lhs_indices[i] (flat over x's leading
 * axes) with w's matrix rhs_indices[i] (flat over w's leading axes; scales
 * and biases follow w). A NULL index array means every matrix in turn
 * (arange over the leading axes, shaped like them). x has at least 2 axes;
 * the result has shape broadcast(lhs, rhs) + (M, N). sorted_indices is a
 * hint and changes nothing. Indices out of range fail at eval with
 * MX_ERR_INDEX. Returns a new reference. */
MX_API int mx_gather_qmm(mx_array **out, const mx_array *x, const mx_array *w,
                         const mx_array *scales, const mx_array *biases,
                         const mx_array *lhs_indices, const mx_array *rhs_indices, bool transpose,
                         int group_size, int bits, const char *mode, bool sorted_indices,
                         const mx_stream *s);

/* mx_gather_qmm with "nvfp4" global scales (NULL: none, as mx_gather_qmm):
 * a float32 array shaped like w's leading axes, one scale per matrix of w,
 * which then stands for dequantize_scaled with its own scale (computed as
 * the product times gs / (448 * 6), in the product's dtype). MLX 0.32 has
 * this on the GPU only. Returns a new reference. */
MX_API int mx_gather_qmm_scaled(mx_array **out, const mx_array *x, const mx_array *w,
                                const mx_array *scales, const mx_array *biases,
                                const mx_array *lhs_indices, const mx_array *rhs_indices,
                                bool transpose, int group_size, int bits, const char *mode,
                                const mx_array *global_scale, bool sorted_indices,
                                const mx_stream *s);

/* x quantized on the fly times w quantized (packed uint32 with its scales)
 * or quantized on the fly (scales NULL): dequantize(quantize(x)) @
 * dequantize(w).T, in x's dtype (float32, float16 or bfloat16). Modes
 * "nvfp4" (NULL, the default) and "mxfp8"; group_size and bits 0 take the
 * mode's defaults. Returns a new reference. */
MX_API int mx_qqmm(mx_array **out, const mx_array *x, const mx_array *w, const mx_array *scales,
                   int group_size, int bits, const char *mode, const mx_stream *s);
/* qqmm over gathered matrices, with gather_mm's index rules. */
MX_API int mx_gather_qqmm(mx_array **out, const mx_array *x, const mx_array *w,
                          const mx_array *scales, const mx_array *lhs_indices,
                          const mx_array *rhs_indices, int group_size, int bits, const char *mode,
                          bool sorted_indices, const mx_stream *s);
/* mx_qqmm and mx_gather_qqmm with "nvfp4" global scales (NULL: none) for x
 * and for w: each operand is quantized (and w, when packed, dequantized)
 * with its own, as mx_quantize_scaled / mx_dequantize_scaled; the result
 * stays in x's dtype. */
MX_API int mx_qqmm_scaled(mx_array **out, const mx_array *x, const mx_array *w,
                          const mx_array *scales, int group_size, int bits, const char *mode,
                          const mx_array *global_scale_x, const mx_array *global_scale_w,
                          const mx_stream *s);
MX_API int mx_gather_qqmm_scaled(mx_array **out, const mx_array *x, const mx_array *w,
                                 const mx_array *scales, const mx_array *lhs_indices,
                                 const mx_array *rhs_indices, int group_size, int bits,
                                 const char *mode, const mx_array *global_scale_x,
                                 const mx_array *global_scale_w, bool sorted_indices,
                                 const mx_stream *s);

/* Converts a float16, bfloat16 or float32 array to FP8 E4M3 bytes (uint8),
 * rounding to nearest even and saturating at +-448 (NaN too, as MLX).
 * Returns a new reference. */
MX_API int mx_to_fp8(mx_array **out, const mx_array *x, const mx_stream *s);

/* Converts FP8 E4M3 bytes (uint8) to dtype (float16, bfloat16 or float32;
 * MX_DTYPE_NONE: bfloat16). Returns a new reference. */
MX_API int mx_from_fp8(mx_array **out, const mx_array *x, mx_dtype dtype, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
