/* Shared pieces of the LAPACK kernels. */
#include "lapack_util.h"

#include <string.h>

#include "copy.h"
#include "core/allocator.h"
#include "core/error.h"

int64_t mxi_lapack_batch(const mx_array *a) {
    int64_t b = 1;
    for (int i = 0; i < a->ndim - 2; i++) b *= a->shape[i];
    return b;
}

int mxi_lapack_gather(void **buf, size_t *bytes, const mx_array *in) {
    *buf = NULL;
    *bytes = 0;
    if (in->size == 0) return MX_OK;
    *bytes = (size_t)in->size * mx_dtype_size(in->dtype);
    *buf = mxi_alloc(*bytes);
    if (!*buf) return MX_ERR_MEMORY;
    int rc = mxi_copy_to_contiguous(*buf, in->dtype, mxi_data(in), in->dtype, in->shape,
                                    in->strides, in->ndim);
    if (rc != MX_OK) {
        mxi_free(*buf, *bytes);
        *buf = NULL;
    }
    return rc;
}

int mxi_lapack_copy_into(mx_array *out, mx_array *in) {
    mx_array *cand[1] = {in};
    int rc = mxi_alloc_or_donate(out, cand, 1);
    if (rc != MX_OK || out->size == 0) return rc;
    if (out->buffer == in->buffer && mxi_data(out) == mxi_data(in)) return MX_OK;
    return mxi_copy_to_contiguous(mxi_data(out), out->dtype, mxi_data(in), in->dtype, in->shape,
                                  in->strides, in->ndim);
}

void mxi_lapack_zero_triangle(void *a, int64_t n, int64_t isz, bool keep_upper) {
    char *p = a;
    for (int64_t i = 0; i < n; i++) {
        if (keep_upper)
            memset(p + i * n * isz, 0, (size_t)(i * isz));
        else
            memset(p + (i * n + i + 1) * isz, 0, (size_t)((n - i - 1) * isz));
    }
}

void mxi_lapack_identity(void *a, int64_t n, mx_dtype dtype) {
    int64_t isz = mx_dtype_size(dtype);
    memset(a, 0, (size_t)(n * n * isz));
    for (int64_t i = 0; i < n; i++) {
        char *d = (char *)a + (i * n + i) * isz;
        if (dtype == MX_FLOAT64)
            *(double *)d = 1.0;
        else
            *(float *)d = 1.0f; /* float32, or the real part of complex64 */
    }
}

int mxi_lapack_error(const char *op, const char *what, int info) {
    if (info < 0)
        return mxi_error(MX_ERR_RUNTIME,
                         "[%s] %s failed: LAPACK rejected argument %d (a NaN in the input?)", op,
                         what, -info);
    return mxi_error(MX_ERR_RUNTIME, "[%s] %s failed with error code %d", op, what, info);
}
