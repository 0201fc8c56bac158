/* Inner loops of the scans, AVX-512 F/BW/DQ/VL. */
#define MXI_LEVEL avx512
#include "scan_kernels.inc"
