/* Elementwise unary loops, AVX-512. */
#define MXI_LEVEL avx512
#include "unary_kernels.inc"
