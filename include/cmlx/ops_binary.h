/* Ops: elementwise binary and ternary ops. Conventions in ops.h. */
#ifndef CMLX_OPS_BINARY_H
#define CMLX_OPS_BINARY_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- elementwise arithmetic (NumPy broadcasting, MLX promotion) ---- */

MX_API int mx_add(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_subtract(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
MX_API int mx_multiply(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* True division: integer inputs give float32, as MLX. */
MX_API int mx_divide(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
