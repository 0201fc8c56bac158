/* Ops: creation and casts. Conventions in ops.h. */
#ifndef CMLX_OPS_CREATION_H
#define CMLX_OPS_CREATION_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- creation ---- */

MX_API int mx_zeros(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                    const mx_stream *s);
MX_API int mx_ones(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                   const mx_stream *s);
/* An array of `shape` filled with `vals` broadcast to it, cast to dtype
 * (MX_DTYPE_NONE keeps vals' dtype). */
MX_API int mx_full(mx_array **out, const int32_t *shape, int ndim, const mx_array *vals,
                   mx_dtype dtype, const mx_stream *s);
/* start, start+step, ... up to but excluding stop, as MLX's arange; the
 * length is ceil((stop - start) / step). MX_ERR_VALUE for step 0 or a bool
 * dtype. */
MX_API int mx_arange(mx_array **out, double start, double stop, double step, mx_dtype dtype,
                     const mx_stream *s);
MX_API int mx_astype(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
