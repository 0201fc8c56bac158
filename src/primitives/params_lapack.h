/*
 * Parameter blobs of the LAPACK-backed factorizations (defs/lapack.def).
 * Flat structs, as in params.h.
 */
#ifndef MXI_PARAMS_LAPACK_H
#define MXI_PARAMS_LAPACK_H

#include <stdint.h>

/* SVD: compute_uv = 0 gives the singular values only (one output). */
typedef struct mxi_svd_params {
    int32_t compute_uv;
} mxi_svd_params;

/* Inverse: tri = 1 inverts a triangular matrix read from the upper (upper =
 * 1) or lower triangle. */
typedef struct mxi_inverse_params {
    int32_t tri;
    int32_t upper;
} mxi_inverse_params;

/* Cholesky: upper = 1 gives U with a = U^T U, reading the upper triangle. */
typedef struct mxi_cholesky_params {
    int32_t upper;
} mxi_cholesky_params;

/* Eigh: upper = 1 reads the upper triangle; vectors = 0 gives the values
 * only (one output). */
typedef struct mxi_eigh_params {
    int32_t upper;
    int32_t vectors;
} mxi_eigh_params;

/* Eig: vectors = 0 gives the values only (one output). */
typedef struct mxi_eig_params {
    int32_t vectors;
} mxi_eig_params;

#endif
