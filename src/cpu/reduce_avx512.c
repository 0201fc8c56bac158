/* Inner loops of the reductions, AVX-512 F/BW/DQ/VL. */
#define MXI_LEVEL avx512
#include "reduce_kernels.inc"
