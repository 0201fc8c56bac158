/* float16/bfloat16 GEMM packing and microkernels, AVX-512 (float32 FMA on panels widened while
 * packing). */
#define MXI_LEVEL avx512
#include "gemm16_kernels.inc"
