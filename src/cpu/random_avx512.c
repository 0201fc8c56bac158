/* Random kernel loops (Threefry, erfinv, erf), AVX-512. */
#define MXI_LEVEL avx512
#include "random_kernels.inc"
