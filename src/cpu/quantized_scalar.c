/* quantized_matmul inner loops, the scalar reference (built without vectorisation). */
#define MXI_LEVEL scalar
#include "quantized_kernels.inc"
