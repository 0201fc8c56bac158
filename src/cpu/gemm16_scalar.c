/* float16/bfloat16 GEMM packing and microkernels, the scalar reference (built without
 * vectorisation). */
#define MXI_LEVEL scalar
#include "gemm16_kernels.inc"
