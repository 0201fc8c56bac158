/*
 * Buffer identity and size of evaluated arrays, and arrays over foreign
 * strided memory (include/cmlx/array_interop.h).
 */
#include <stdatomic.h>

#include "allocator.h"
#include "array_impl.h"
#include "cmlx.h"
#include "error.h"
#include "ops/ops_util.h"

int mx_array_buffer_info(const mx_array *a, mx_buffer_info *out) {
    if (!a || !out) return mxi_error(MX_ERR_VALUE, "[buffer_info] array or out is NULL");
    if (!mxi_is_available(a) || !a->buffer)
        return mxi_error(MX_ERR_RUNTIME,
                         "[buffer_info] the array is not evaluated; call mx_eval on it first");
    const mxi_buffer *b = a->buffer;
    out->borrowed = b->borrowed;
    out->offset = a->offset;
    if (b->nbytes == 0) { /* nothing stored: as MLX, no buffer (its block is a placeholder) */
        out->base = NULL;
        out->size = 0;
        return MX_OK;
    }
    out->base = b->ptr;
    out->size = b->borrowed ? b->nbytes : mxi_alloc_size(b->nbytes);
    return MX_OK;
}

int mx_array_from_strided_borrowed(mx_array **out, void *data, const int32_t *shape,
                                   const int64_t *strides, int ndim, mx_dtype dtype,
                                   void (*deleter)(void *), void *deleter_ctx) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[array] out is NULL");
    if (!strides)
        return mx_array_from_data_borrowed(out, data, shape, ndim, dtype, deleter, deleter_ctx);
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[array] invalid dtype %d", (int)dtype);
    if (ndim < 0 || ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[array] ndim must be in [0, %d], got %d", MXI_MAX_NDIM,
                         ndim);
    if (ndim > 0 && !shape) return mxi_error(MX_ERR_VALUE, "[array] shape is NULL");
    /* The span of elements the strides reach, relative to element 0. */
    int64_t lo = 0, hi = 0, size = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return mxi_error(MX_ERR_VALUE, "[array] negative dimension %d", shape[i]);
        if (shape[i] && size > INT64_MAX / 16 / shape[i])
            return mxi_error(MX_ERR_VALUE, "[array] shape is too large");
        size *= shape[i];
    }
    for (int i = 0; i < ndim && size > 0; i++) {
        int64_t reach;
        if (__builtin_mul_overflow(strides[i], (int64_t)shape[i] - 1, &reach) ||
            __builtin_add_overflow(reach < 0 ? lo : hi, reach, reach < 0 ? &lo : &hi) ||
            lo < -(INT64_MAX / 16) || hi > INT64_MAX / 16)
            return mxi_error(MX_ERR_VALUE, "[array] strides reach too far");
    }
    int64_t item = mx_dtype_size(dtype);
    int64_t span = size > 0 ? hi - lo + 1 : 0;
    if (span && !data) return mxi_error(MX_ERR_VALUE, "[array] data is NULL");
    mx_array *a = mxi_array_alloc(dtype, shape, ndim);
    if (!a) return MX_ERR_MEMORY;
    char *base = span ? (char *)data + lo * item : data;
    mxi_buffer *b = mxi_buffer_borrow(base, (size_t)(span * item), deleter, deleter_ctx);
    if (!b) {
        mx_array_free(a);
        return MX_ERR_MEMORY;
    }
    mxi_set_data(a, b, -lo * item, strides, span);
    mxi_buffer_release(b); /* mxi_set_data took its own reference */
    atomic_store(&a->status, MX_ARRAY_AVAILABLE);
    mxi_set_out(out, a);
    return MX_OK;
}
