/*
 * The op-by-op compositions of the mlx.core.fast primitives, as MLX builds
 * them: the same result from ordinary ops. The transforms differentiate and
 * vectorise these (the fused kernels have no rules of their own), and
 * float64 inputs, which the fused kernels do not take, run on them.
 *
 * Each takes the inputs and parameters of its primitive's node (see
 * primitives/params_fast.h) and writes a new reference into *out (released
 * by the caller; what *out held is released).
 */
#ifndef MXI_OPS_FAST_H
#define MXI_OPS_FAST_H

#include "cmlx/fast.h"
#include "primitives/params_fast.h"
#include "primitives/primitives.h"

int mxi_fast_rms_norm_composed(mx_array **out, mx_array *const *inputs, const mxi_norm_params *p,
                               const mx_stream *s);
int mxi_fast_layer_norm_composed(mx_array **out, mx_array *const *inputs, const mxi_norm_params *p,
                                 const mx_stream *s);
int mxi_fast_rope_composed(mx_array **out, mx_array *const *inputs, const mxi_rope_params *p,
                           const mx_stream *s);
int mxi_fast_sdpa_composed(mx_array **out, mx_array *const *inputs, const mxi_sdpa_params *p,
                           const mx_stream *s);

/* The composition of any fast primitive kind, from a node's parameters and
 * inputs. MX_ERR_VALUE for a kind that is not one of them. */
int mxi_fast_composed(mx_array **out, mxi_prim_kind kind, const void *params,
                      mx_array *const *inputs, const mx_stream *s);

#endif
