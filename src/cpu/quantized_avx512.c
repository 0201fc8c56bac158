/* quantized_matmul inner loops, AVX-512. */
#define MXI_LEVEL avx512
#include "quantized_kernels.inc"
