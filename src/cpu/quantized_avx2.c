/* quantized_matmul inner loops, AVX2/FMA/F16C. */
#define MXI_LEVEL avx2
#include "quantized_kernels.inc"
