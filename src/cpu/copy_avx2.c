/* Converting copy loops, AVX2/FMA/F16C. */
#define MXI_LEVEL avx2
#include "copy_kernels.inc"
