/* Elementwise binary loops, AVX-512 F/BW/DQ/VL. */
#define MXI_LEVEL avx512
#include "binary_kernels.inc"
