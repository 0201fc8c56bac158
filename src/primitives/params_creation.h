/*
 * Parameter blobs of the creation primitives added with the creation ops
 * (eye, tri, tril/triu, windows). Flat structs, as params.h explains.
 */
#ifndef MXI_PARAMS_CREATION_H
#define MXI_PARAMS_CREATION_H

#include <stdint.h>

/* Eye and Tri: the (n, m) output has ones where j - i == k (Eye) or
 * j - i <= k (Tri), zeros elsewhere. Tril and Triu: the input's last two
 * axes keep j - i <= k (Tril) or j - i >= k (Triu), the rest becomes 0. */
typedef struct mxi_diag_params {
    int64_t k;
} mxi_diag_params;

typedef enum mxi_window_type {
    MXI_WINDOW_BARTLETT,
    MXI_WINDOW_HANNING,
    MXI_WINDOW_HAMMING,
    MXI_WINDOW_BLACKMAN,
} mxi_window_type;

/* Window: a float32 window of the output's length (at least 2; the op
 * handles M < 2). */
typedef struct mxi_window_params {
    int32_t type; /* mxi_window_type */
} mxi_window_params;

#endif
