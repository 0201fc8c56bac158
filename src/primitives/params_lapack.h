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

/* The public op an Inverse node was made for, named in its errors (a
 * singular matrix in solve is reported by solve). */
typedef enum mxi_inverse_caller {
    MXI_INV_FOR_INV,
    MXI_INV_FOR_TRI_INV,
    MXI_INV_FOR_SOLVE,
    MXI_INV_FOR_SOLVE_TRIANGULAR,
    MXI_INV_FOR_CHOLESKY_INV,
} mxi_inverse_caller;

static inline const char *mxi_inverse_caller_name(int32_t caller) {
    switch (caller) {
    case MXI_INV_FOR_TRI_INV:
        return "linalg::tri_inv";
    case MXI_INV_FOR_SOLVE:
        return "linalg::solve";
    case MXI_INV_FOR_SOLVE_TRIANGULAR:
        return "linalg::solve_triangular";
    case MXI_INV_FOR_CHOLESKY_INV:
        return "linalg::cholesky_inv";
    default:
        return "linalg::inv";
    }
}

/* Inverse: tri = 1 inverts a triangular matrix read from the upper (upper =
 * 1) or lower triangle; caller is an mxi_inverse_caller. */
typedef struct mxi_inverse_params {
    int32_t tri;
    int32_t upper;
    int32_t caller;
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
