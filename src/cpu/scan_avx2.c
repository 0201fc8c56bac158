/* Inner loops of the scans, AVX2/FMA/F16C. */
#define MXI_LEVEL avx2
#include "scan_kernels.inc"
