/* Ops: matrix products and linear algebra. Conventions in ops.h. */
#ifndef CMLX_OPS_LINALG_H
#define CMLX_OPS_LINALG_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- linear algebra ---- */

/* Matrix product with NumPy's rules: 1-d operands are promoted and the
 * added axis dropped, leading axes broadcast. Floating dtypes only; integer
 * inputs are MX_ERR_VALUE as in MLX. */
MX_API int mx_matmul(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
