/* mlx.core.fast inner loops, the scalar reference (built without vectorisation). */
#define MXI_LEVEL scalar
#include "fast_kernels.inc"
