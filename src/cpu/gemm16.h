/*
 * float16/bfloat16 matrix products on our own packed kernels
 * (gemm16_kernels.inc): operands are packed into panels (float32, or
 * bfloat16 pairs where the CPU has vdpbf16ps), multiplied in float32 and
 * rounded once.
 */
#ifndef MXI_GEMM16_H
#define MXI_GEMM16_H

#include <stdint.h>

#include "cmlx/dtype.h"

typedef struct mxi_gemm16_args {
    mx_dtype dtype; /* MX_FLOAT16 or MX_BFLOAT16 */
    /* nb products; entry e reads a + a_off[e] and b + b_off[e] (elements;
     * NULL offsets mean 0) and writes the row-major M x N matrix at
     * out + e * M * N. */
    int64_t nb;
    const int64_t *a_off, *b_off;
    const void *a, *b;
    void *out;
    int64_t M, N, K;
    /* Element strides of a (M x K) and b (K x N): any values. */
    int64_t a_rs, a_cs, b_rs, b_cs;
    /* out = alpha * a @ b + beta * out; beta 0 ignores what out held. */
    double alpha, beta;
} mxi_gemm16_args;

/* Runs the products with the kernels of the active SIMD level. K may be 0.
 * Returns MX_OK, or MX_ERR_MEMORY (message set) when the packing buffers
 * cannot be had. */
int mxi_gemm16(const mxi_gemm16_args *g);

#endif
