/* mlx.core.fast inner loops, AVX2/FMA/F16C. */
#define MXI_LEVEL avx2
#include "fast_kernels.inc"
