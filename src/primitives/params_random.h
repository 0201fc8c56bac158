/*
 * Parameter blobs of the random primitives (see defs/random.def). Flat
 * structs, compared and copied as bytes like those of params.h.
 */
#ifndef MXI_PARAMS_RANDOM_H
#define MXI_PARAMS_RANDOM_H

#include <stdint.h>

/* RandomBits: bytes per element of the output (1, 2 or 4). */
typedef struct mxi_random_bits_params {
    int32_t width;
} mxi_random_bits_params;

/* RandomNormal: scaled = 1 gives sqrt(2) * erfinv(u) in the output dtype
 * (MLX's standard normal); scaled = 0 gives erfinv(u) only, which the op
 * multiplies by scale * sqrt(2) itself (and what complex64 samples are). */
typedef struct mxi_random_normal_params {
    int32_t scaled;
} mxi_random_normal_params;

/* RandomLaplace: the samples are multiplied by scale when it is not 1 and
 * shifted by loc when it is not 0, both rounded to the output dtype. */
typedef struct mxi_random_laplace_params {
    float loc;
    float scale;
} mxi_random_laplace_params;

/* CategoricalArgmax and RandomPermutation: the axis (non-negative). */
typedef struct mxi_random_axis_params {
    int32_t axis;
} mxi_random_axis_params;

#endif
