/* Select (where) loops, the scalar reference (built without vectorisation). */
#define MXI_LEVEL scalar
#include "ternary_kernels.inc"
