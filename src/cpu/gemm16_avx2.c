/* float16/bfloat16 GEMM packing and microkernels, AVX2/FMA/F16C (float32 FMA on panels widened
 * while packing). */
#define MXI_LEVEL avx2
#include "gemm16_kernels.inc"
