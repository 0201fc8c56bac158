/* Ops: reductions. Conventions in ops.h. */
#ifndef CMLX_OPS_REDUCE_H
#define CMLX_OPS_REDUCE_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reductions ---- */

/* Sum over all axes. */
MX_API int mx_sum(mx_array **out, const mx_array *a, bool keepdims, const mx_stream *s);
/* Sum over the listed axes (no duplicates). */
MX_API int mx_sum_axes(mx_array **out, const mx_array *a, const int *axes, int naxes, bool keepdims,
                       const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
