/* Converting copy loops, the scalar reference (built without vectorisation). */
#define MXI_LEVEL scalar
#include "copy_kernels.inc"
