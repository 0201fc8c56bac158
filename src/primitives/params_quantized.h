/*
 * Parameter blobs of the quantization primitives (see defs/quantized.def).
 * Flat structs, compared and copied as bytes like those of params.h.
 */
#ifndef MXI_PARAMS_QUANTIZED_H
#define MXI_PARAMS_QUANTIZED_H

#include <stdint.h>

typedef enum mxi_quant_mode {
    MXI_QUANT_AFFINE,
    MXI_QUANT_MXFP4,
    MXI_QUANT_MXFP8,
    MXI_QUANT_NVFP4,
} mxi_quant_mode;

/* Quantize, Dequantize and QuantizedMatmul. transpose is used by
 * QuantizedMatmul only (1: x @ w.T). */
typedef struct mxi_quant_params {
    int32_t mode; /* mxi_quant_mode */
    int32_t group_size;
    int32_t bits;
    int32_t transpose;
} mxi_quant_params;

#endif
