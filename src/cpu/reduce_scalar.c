/* Inner loops of the reductions, the scalar reference (built without vectorisation). */
#define MXI_LEVEL scalar
#include "reduce_kernels.inc"
