/*
 * Convolutions, channels last as in MLX: inputs are (N, spatial..., C_in),
 * weights (C_out, spatial..., C_in / groups), results (N, spatial...,
 * C_out). Inputs must be floating point; the result has the promoted dtype
 * of input and weight. 1 to 3 spatial dimensions; groups other than 1 only
 * for 1 and 2 spatial dimensions (as MLX). Negative paddings crop the input.
 * Each result is a new reference the caller releases with mx_array_free.
 */
#ifndef CMLX_OPS_CONV_H
#define CMLX_OPS_CONV_H

#include "array.h"
#include "device.h"

/* The general convolution. Each per-axis list has `n` entries: n == 0 means
 * the default (stride 1, padding 0, dilations 1) on every axis, n == 1 the
 * same value on every axis, else n must equal the number of spatial
 * dimensions. padding_lo and padding_hi pad the start and end of each axis
 * (NULL padding_hi: the same as padding_lo). flip = true computes the
 * convolution, false the cross-correlation. */
MX_API int mx_conv_general(mx_array **out, const mx_array *input, const mx_array *weight,
                           const int *stride, int n_stride, const int *padding_lo,
                           const int *padding_hi, int n_padding, const int *kernel_dilation,
                           int n_kernel_dilation, const int *input_dilation, int n_input_dilation,
                           int groups, bool flip, const mx_stream *s);

MX_API int mx_conv1d(mx_array **out, const mx_array *input, const mx_array *weight, int stride,
                     int padding, int dilation, int groups, const mx_stream *s);
/* stride, padding, dilation: two entries each (height, width). */
MX_API int mx_conv2d(mx_array **out, const mx_array *input, const mx_array *weight,
                     const int stride[2], const int padding[2], const int dilation[2], int groups,
                     const mx_stream *s);
/* stride, padding, dilation: three entries each. */
MX_API int mx_conv3d(mx_array **out, const mx_array *input, const mx_array *weight,
                     const int stride[3], const int padding[3], const int dilation[3], int groups,
                     const mx_stream *s);

/* Transposed convolutions (the gradient of a convolution with respect to its
 * input): weight is (C_out, spatial..., C_in / groups); each output length
 * is (L - 1) * stride - 2 * padding + dilation * (K - 1) + 1 +
 * output_padding. */
MX_API int mx_conv_transpose1d(mx_array **out, const mx_array *input, const mx_array *weight,
                               int stride, int padding, int dilation, int output_padding,
                               int groups, const mx_stream *s);
MX_API int mx_conv_transpose2d(mx_array **out, const mx_array *input, const mx_array *weight,
                               const int stride[2], const int padding[2], const int dilation[2],
                               const int output_padding[2], int groups, const mx_stream *s);
MX_API int mx_conv_transpose3d(mx_array **out, const mx_array *input, const mx_array *weight,
                               const int stride[3], const int padding[3], const int dilation[3],
                               const int output_padding[3], int groups, const mx_stream *s);

/* The discrete convolution of two 1-d arrays (NumPy's convolve); the longer
 * is the signal. mode: "full" (length M + N - 1), "same" (max(M, N)) or
 * "valid" (max(M, N) - min(M, N) + 1); NULL means "full". */
MX_API int mx_convolve(mx_array **out, const mx_array *a, const mx_array *v, const char *mode,
                       const mx_stream *s);

#endif
