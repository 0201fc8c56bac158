/* Inner loops of the scans, the scalar reference (built without vectorisation). */
#define MXI_LEVEL scalar
#include "scan_kernels.inc"
