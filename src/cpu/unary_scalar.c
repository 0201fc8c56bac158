/* Elementwise unary loops, the scalar reference (built without vectorisation). */
#define MXI_LEVEL scalar
#include "unary_kernels.inc"
