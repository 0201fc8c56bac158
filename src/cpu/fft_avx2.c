/* Butterfly passes of the FFT, AVX2/FMA. */
#define MXI_LEVEL avx2
#include "fft_kernels.inc"
