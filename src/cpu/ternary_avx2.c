/* Select (where) loops, AVX2/FMA/F16C. */
#define MXI_LEVEL avx2
#include "ternary_kernels.inc"
