/* Host-side entry points of the random kernels (src/cpu/random.c). */
#ifndef MXI_CPU_RANDOM_H
#define MXI_CPU_RANDOM_H

#include <stdint.h>

/* out = Threefry-2x32 (20 rounds) of the counter (c0, c1) under the key
 * (k0, k1), as MLX's threefry2x32_hash. */
void mxi_threefry2x32(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t out[2]);

#endif
