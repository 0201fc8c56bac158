/* Random kernel loops (Threefry, erfinv, erf), the scalar reference (built without vectorisation).
 */
#define MXI_LEVEL scalar
#include "random_kernels.inc"
