/*
 * Parameter blob of the FFT primitive (flat, see params.h).
 */
#ifndef MXI_PARAMS_FFT_H
#define MXI_PARAMS_FFT_H

#include <stdint.h>

/* Transforms along `axes` (distinct, non-negative), each axis over its full
 * input length (the op has already cut or padded the input). real forward:
 * float32 in, the last listed axis becomes n/2 + 1 long; real inverse: the
 * last listed axis has n/2 + 1 entries in and the output's length n out
 * (float32). The result is multiplied by `scale` (the norm mode). */
typedef struct mxi_fft_params {
    double scale;
    int32_t inverse;
    int32_t real;
    int32_t naxes;
    int32_t axes[];
} mxi_fft_params;

#endif
