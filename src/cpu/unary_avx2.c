/* Elementwise unary loops, AVX2/FMA/F16C. */
#define MXI_LEVEL avx2
#include "unary_kernels.inc"
