/*
 * Parameter blobs of the elementwise binary and ternary primitives (flat
 * structs, compared as bytes; see params.h).
 */
#ifndef MXI_PARAMS_BINARY_H
#define MXI_PARAMS_BINARY_H

#include <stdint.h>

/* IsClose: |a - b| <= atol + rtol * |b| with MLX's infinity and NaN rules.
 * The inputs are cast to their promoted dtype; a_dtype and b_dtype are their
 * dtypes before the cast (they decide the infinity checks and the rounding
 * of |b|). Made with memset so padding compares equal. */
typedef struct mxi_isclose_params {
    double rtol;
    double atol;
    int32_t equal_nan;
    int32_t a_dtype;
    int32_t b_dtype;
    int32_t pad;
} mxi_isclose_params;

#endif
