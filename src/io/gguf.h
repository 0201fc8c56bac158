/* GGUF internals shared by the reader, the writer, the metadata map and the
 * block converters. */
#ifndef MXI_IO_GGUF_H
#define MXI_IO_GGUF_H

#include "io_util.h"

/* Nesting of arrays inside metadata values. */
#define MXI_GGUF_MAX_DEPTH 8

/* ggml tensor types (the numbering of the file format). */
enum {
    MXI_GGML_F32 = 0,
    MXI_GGML_F16 = 1,
    MXI_GGML_Q4_0 = 2,
    MXI_GGML_Q4_1 = 3,
    MXI_GGML_Q5_0 = 6,
    MXI_GGML_Q5_1 = 7,
    MXI_GGML_Q8_0 = 8,
    MXI_GGML_Q8_1 = 9,
    MXI_GGML_Q2_K = 10,
    MXI_GGML_Q3_K = 11,
    MXI_GGML_Q4_K = 12,
    MXI_GGML_Q5_K = 13,
    MXI_GGML_Q6_K = 14,
    MXI_GGML_Q8_K = 15,
    MXI_GGML_I8 = 24,
    MXI_GGML_I16 = 25,
    MXI_GGML_I32 = 26,
    MXI_GGML_I64 = 27,
    MXI_GGML_F64 = 28,
    MXI_GGML_BF16 = 30,
};

void mxi_gguf_value_free(mx_gguf_value *v);
/* Frees what v holds, not v itself. */
void mxi_gguf_value_clear(mx_gguf_value *v);
bool mxi_gguf_scalar_type(int t);
/* Adds key -> v (taken over in every case); duplicates are MX_ERR_VALUE. */
int mxi_gguf_metadata_take(mx_gguf_metadata *m, const char *key, size_t klen, mx_gguf_value *v,
                           const char *op);

/* Block sizes: elements per block and bytes per block of a ggml type; 0
 * when the type is unknown or unsupported. */
int mxi_ggml_block(int type, int *elems, int *bytes);
const char *mxi_ggml_name(int type);

/* Quantized blocks to MLX's affine triplets (Q4_0, Q4_1, Q8_0, Q4_K): nblk
 * blocks of src into packed words w (bits 4 or 8), float16 scales and
 * biases (one per 32 elements). */
void mxi_gguf_to_affine(int type, const unsigned char *src, int64_t nblk, uint32_t *w,
                        uint16_t *scales, uint16_t *biases);
/* K-quant blocks (Q2_K, Q3_K, Q5_K, Q6_K, and Q4_K) dequantized to float32. */
void mxi_gguf_dequantize(int type, const unsigned char *src, int64_t nblk, float *dst);

#endif
