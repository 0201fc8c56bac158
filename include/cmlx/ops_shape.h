/* Ops: shapes, views and joins. Conventions in ops.h. */
#ifndef CMLX_OPS_SHAPE_H
#define CMLX_OPS_SHAPE_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shapes and views (no copy where strides allow) ---- */

/* One dimension may be -1 and is then inferred. */
MX_API int mx_reshape(mx_array **out, const mx_array *a, const int32_t *shape, int ndim,
                      const mx_stream *s);
/* axes: a permutation of 0..ndim-1, or NULL (naxes ignored) to reverse. */
MX_API int mx_transpose(mx_array **out, const mx_array *a, const int *axes, int naxes,
                        const mx_stream *s);
MX_API int mx_broadcast_to(mx_array **out, const mx_array *a, const int32_t *shape, int ndim,
                           const mx_stream *s);
/* a[start:stop:strides] along every axis (n must equal ndim); negative
 * starts and stops count from the end and are clamped as in Python; strides
 * may be negative but not 0. */
MX_API int mx_slice(mx_array **out, const mx_array *a, const int32_t *start, const int32_t *stop,
                    const int32_t *strides, int n, const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
