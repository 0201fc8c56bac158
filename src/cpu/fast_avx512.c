/* mlx.core.fast inner loops, AVX-512. */
#define MXI_LEVEL avx512
#include "fast_kernels.inc"
