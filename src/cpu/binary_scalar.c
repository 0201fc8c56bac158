/* Elementwise binary loops, the scalar reference (built without vectorisation). */
#define MXI_LEVEL scalar
#include "binary_kernels.inc"
