/* Butterfly passes of the FFT, the scalar reference (built without vectorisation). */
#define MXI_LEVEL scalar
#include "fft_kernels.inc"
