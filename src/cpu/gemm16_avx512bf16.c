/* float16/bfloat16 GEMM packing and microkernels, AVX-512 with BF16 (vdpbf16ps on bfloat16 pair
 * panels). */
#define MXI_LEVEL avx512bf16
#include "gemm16_kernels.inc"
