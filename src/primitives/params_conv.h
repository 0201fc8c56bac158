/*
 * Parameter blob of the Convolution primitive (a flat struct, compared as
 * bytes; see params.h).
 */
#ifndef MXI_PARAMS_CONV_H
#define MXI_PARAMS_CONV_H

#include <stdint.h>

#include "cmlx/array.h"
#include "cmlx/device.h"

#define MXI_CONV_MAX_DIMS 3

/* Convolution of input (N, spatial..., C_in) with weight (C_out, spatial...,
 * C_in / groups), channels last as in MLX. Per spatial axis: the output
 * position o reads the input at o * stride - pad_lo + k * kernel_dilation in
 * the coordinates of the input dilated by input_dilation (input element i at
 * i * input_dilation, zeros between), for kernel offsets k; pad_hi only
 * sets the output size. The public ops make non-negative paddings (they
 * crop for negative ones); the derivative rules' nodes may have negative
 * ones (mxi_conv_make). flip walks the kernel backwards (convolution rather than
 * cross-correlation). Unused trailing entries are zero so equal
 * convolutions compare equal as bytes. */
typedef struct mxi_conv_params {
    int32_t ndim; /* spatial dimensions, 1..MXI_CONV_MAX_DIMS */
    int32_t groups;
    int32_t flip;
    int32_t stride[MXI_CONV_MAX_DIMS];
    int32_t pad_lo[MXI_CONV_MAX_DIMS];
    int32_t pad_hi[MXI_CONV_MAX_DIMS];
    int32_t kernel_dilation[MXI_CONV_MAX_DIMS];
    int32_t input_dilation[MXI_CONV_MAX_DIMS];
} mxi_conv_params;

/* A Convolution node with parameters p as they are (paddings may be
 * negative: the kernel bounds every read) and the given output spatial
 * sizes: (N, spatial..., C_out) in x's dtype. The derivative rules build
 * their convolutions with it, and function import rebuilds a file's
 * convolutions through it. It checks every field the kernel trusts: x and
 * w of one floating dtype and ndim + 2 dimensions, channels divisible by
 * groups, strides and dilations at least 1, unused entries zero, and each
 * spatial size the one pad_lo and pad_hi give (0 when the padded input is
 * shorter than the kernel); MX_ERR_VALUE otherwise. Defined in
 * src/ops/conv.c. */
int mxi_conv_make(mx_array **out, mx_array *x, mx_array *w, const mxi_conv_params *p,
                  const int32_t *spatial, const mx_stream *s);

#endif
