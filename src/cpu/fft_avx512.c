/* Butterfly passes of the FFT, AVX-512 F/BW/DQ/VL. */
#define MXI_LEVEL avx512
#include "fft_kernels.inc"
