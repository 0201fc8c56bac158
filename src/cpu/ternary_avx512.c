/* Select (where) loops, AVX-512 F/BW/DQ/VL. */
#define MXI_LEVEL avx512
#include "ternary_kernels.inc"
