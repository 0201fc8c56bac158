/* quantized_matmul inner loops, AVX-512 with BF16 (vdpbf16ps for bfloat16 x). */
#define MXI_LEVEL avx512bf16
#include "quantized_kernels.inc"
