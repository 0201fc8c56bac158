/*
 * Parameter blobs of the matrix-product primitives (flat structs, compared as
 * bytes; see params.h).
 */
#ifndef MXI_PARAMS_LINALG_H
#define MXI_PARAMS_LINALG_H

#include <stdint.h>

/* AddMM: alpha * a @ b + beta * c, in float32 as MLX keeps them. */
typedef struct mxi_addmm_params {
    float alpha;
    float beta;
} mxi_addmm_params;

/* Hadamard: the transform along the last axis, times scale; transposed
 * applies the transposed matrix (the 20 and 28 base matrices are not
 * symmetric), which is the vjp. */
typedef struct mxi_hadamard_params {
    float scale;
    int32_t transposed;
} mxi_hadamard_params;

#endif
