/* Random kernel loops (Threefry, erfinv, erf), AVX2/FMA/F16C. */
#define MXI_LEVEL avx2
#include "random_kernels.inc"
