/* Elementwise binary loops, AVX2/FMA/F16C. */
#define MXI_LEVEL avx2
#include "binary_kernels.inc"
