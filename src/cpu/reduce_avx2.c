/* Inner loops of the reductions, AVX2/FMA/F16C. */
#define MXI_LEVEL avx2
#include "reduce_kernels.inc"
