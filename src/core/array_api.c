/*
 * The public array API: creation from host memory, properties, reading
 * values back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmlx.h"
#include "array_impl.h"
#include "cpu/copy.h"
#include "error.h"

static int check_shape(const char *op, const int32_t *shape, int ndim) {
    if (ndim < 0) return mxi_error(MX_ERR_VALUE, "[%s] ndim must be >= 0, got %d", op, ndim);
    if (ndim > 0 && !shape) return mxi_error(MX_ERR_VALUE, "[%s] shape is NULL", op);
    int64_t size = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            char buf[MXI_SHAPE_STR_LEN];
            return mxi_error(MX_ERR_VALUE, "[%s] negative dimension in shape %s", op,
                             mxi_shape_str(buf, sizeof buf, shape, ndim));
        }
        if (shape[i] && size > INT64_MAX / 16 / shape[i])
            return mxi_error(MX_ERR_VALUE, "[%s] shape is too large", op);
        size *= shape[i];
    }
    return MX_OK;
}

static int check_dtype(const char *op, mx_dtype dtype) {
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[%s] invalid dtype %d", op, (int)dtype);
    return MX_OK;
}

/* A new available array with a row-contiguous buffer of its own. */
static int new_host_array(mx_array **made, const char *op, const int32_t *shape, int ndim,
                          mx_dtype dtype) {
    int rc = check_dtype(op, dtype);
    if (!rc) rc = check_shape(op, shape, ndim);
    if (rc) return rc;
    mx_array *a = mxi_array_alloc(dtype, shape, ndim);
    if (!a) return MX_ERR_MEMORY;
    rc = mxi_alloc_data(a);
    if (rc) {
        mx_array_free(a);
        return rc;
    }
    atomic_store(&a->status, MX_ARRAY_AVAILABLE);
    *made = a;
    return MX_OK;
}

int mx_array_from_data(mx_array **out, const void *data, const int32_t *shape, int ndim,
                       mx_dtype dtype) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[array] out is NULL");
    mx_array *a;
    int rc = new_host_array(&a, "array", shape, ndim, dtype);
    if (rc) return rc;
    size_t nbytes = (size_t)a->size * (size_t)mx_dtype_size(dtype);
    if (nbytes && !data) {
        mx_array_free(a);
        return mxi_error(MX_ERR_VALUE, "[array] data is NULL");
    }
    /* the library's copy: on the thread pool, streaming stores when large */
    if (nbytes) mxi_convert_contiguous(mxi_data(a), dtype, data, dtype, a->size);
    mxi_set_out(out, a);
    return MX_OK;
}

int mx_array_from_data_borrowed(mx_array **out, void *data, const int32_t *shape, int ndim,
                                mx_dtype dtype, void (*deleter)(void *), void *deleter_ctx) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[array] out is NULL");
    int rc = check_dtype("array", dtype);
    if (!rc) rc = check_shape("array", shape, ndim);
    if (rc) return rc;
    mx_array *a = mxi_array_alloc(dtype, shape, ndim);
    if (!a) return MX_ERR_MEMORY;
    size_t nbytes = (size_t)a->size * (size_t)mx_dtype_size(dtype);
    if (nbytes && !data) {
        mx_array_free(a);
        return mxi_error(MX_ERR_VALUE, "[array] data is NULL");
    }
    mxi_buffer *b = mxi_buffer_borrow(data, nbytes, deleter, deleter_ctx);
    if (!b) {
        mx_array_free(a);
        return MX_ERR_MEMORY;
    }
    int64_t strides[MXI_INLINE_DIMS];
    int64_t *st = ndim <= MXI_INLINE_DIMS ? strides : a->strides;
    mxi_row_strides(st, a->shape, ndim);
    mxi_set_data(a, b, 0, st, a->size);
    mxi_buffer_release(b); /* mxi_set_data took its own reference */
    atomic_store(&a->status, MX_ARRAY_AVAILABLE);
    mxi_set_out(out, a);
    return MX_OK;
}

/* A 0-d array of `dtype` holding `value` of `src_dtype`, converted. */
static int scalar(mx_array **out, const void *value, mx_dtype src_dtype, mx_dtype dtype) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[array] out is NULL");
    mx_array *a;
    int rc = new_host_array(&a, "array", NULL, 0, dtype);
    if (rc) return rc;
    mxi_copy_to_contiguous(mxi_data(a), dtype, value, src_dtype, NULL, NULL, 0);
    mxi_set_out(out, a);
    return MX_OK;
}

int mx_array_from_bool(mx_array **out, bool v) {
    return scalar(out, &v, MX_BOOL, MX_BOOL);
}

int mx_array_from_int(mx_array **out, int64_t v, mx_dtype dtype) {
    return scalar(out, &v, MX_INT64, dtype);
}

int mx_array_from_float(mx_array **out, double v, mx_dtype dtype) {
    return scalar(out, &v, MX_FLOAT64, dtype);
}

int mx_array_from_complex(mx_array **out, float real, float imag) {
    mx_complex64 v = {real, imag};
    return scalar(out, &v, MX_COMPLEX64, MX_COMPLEX64);
}

/* ---- properties ---- */

mx_dtype mx_array_dtype(const mx_array *a) {
    return a ? a->dtype : MX_DTYPE_NONE;
}
int mx_array_ndim(const mx_array *a) {
    return a ? a->ndim : 0;
}
const int32_t *mx_array_shape(const mx_array *a) {
    return a ? a->shape : NULL;
}

int32_t mx_array_dim(const mx_array *a, int axis) {
    if (!a) return -1;
    if (axis < 0) axis += a->ndim;
    return axis >= 0 && axis < a->ndim ? a->shape[axis] : -1;
}

size_t mx_array_size(const mx_array *a) {
    return a ? (size_t)a->size : 0;
}
size_t mx_array_itemsize(const mx_array *a) {
    return a ? (size_t)mx_dtype_size(a->dtype) : 0;
}
size_t mx_array_nbytes(const mx_array *a) {
    return mx_array_size(a) * mx_array_itemsize(a);
}

mx_array_status mx_array_get_status(const mx_array *a) {
    return a ? (mx_array_status)atomic_load_explicit(&a->status, memory_order_acquire)
             : MX_ARRAY_UNSCHEDULED;
}

/* ---- reading ---- */

static int check_readable(const mx_array *a, const char *op) {
    if (!a) return mxi_error(MX_ERR_VALUE, "[%s] array is NULL", op);
    int st = atomic_load_explicit(&a->status, memory_order_acquire);
    if (st == MX_ARRAY_FAILED)
        return mxi_error(a->error_code, "[%s] the array failed to evaluate: %s", op,
                         a->error ? a->error : "");
    if (st != MX_ARRAY_AVAILABLE)
        return mxi_error(MX_ERR_RUNTIME,
                         "[%s] the array is not evaluated; call mx_eval on it first", op);
    return MX_OK;
}

const int64_t *mx_array_strides(const mx_array *a) {
    return check_readable(a, "strides") ? NULL : a->strides;
}

const void *mx_array_data(const mx_array *a) {
    return check_readable(a, "data") ? NULL : mxi_data(a);
}

bool mx_array_is_row_contiguous(const mx_array *a) {
    return a && mxi_is_available(a) && (a->flags & MXI_ROW_CONTIGUOUS);
}

int mx_array_copy_to(const mx_array *a, void *dst, size_t dst_bytes) {
    int rc = check_readable(a, "copy_to");
    if (rc) return rc;
    size_t need = mx_array_nbytes(a);
    if (dst_bytes < need)
        return mxi_error(MX_ERR_VALUE, "[copy_to] destination holds %zu bytes, need %zu", dst_bytes,
                         need);
    if (need && !dst) return mxi_error(MX_ERR_VALUE, "[copy_to] destination is NULL");
    if (need)
        mxi_copy_to_contiguous(dst, a->dtype, mxi_data(a), a->dtype, a->shape, a->strides, a->ndim);
    return MX_OK;
}

static int item(void *dst, mx_dtype dst_dtype, mx_array *a, const char *op) {
    if (!a || !dst) return mxi_error(MX_ERR_VALUE, "[%s] NULL argument", op);
    if (a->size != 1)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] item can only be called on arrays of size 1, not size %lld", op,
                         (long long)a->size);
    int rc = mx_eval(&a, 1);
    if (!rc) rc = check_readable(a, op);
    if (rc) return rc;
    mxi_copy_to_contiguous(dst, dst_dtype, mxi_data(a), a->dtype, NULL, NULL, 0);
    return MX_OK;
}

int mx_array_item_bool(bool *out, mx_array *a) {
    return item(out, MX_BOOL, a, "item");
}
int mx_array_item_int64(int64_t *out, mx_array *a) {
    return item(out, MX_INT64, a, "item");
}
int mx_array_item_uint64(uint64_t *out, mx_array *a) {
    return item(out, MX_UINT64, a, "item");
}
int mx_array_item_double(double *out, mx_array *a) {
    return item(out, MX_FLOAT64, a, "item");
}
int mx_array_item_complex(mx_complex64 *out, mx_array *a) {
    return item(out, MX_COMPLEX64, a, "item");
}

int mx_array_describe(const mx_array *a, char *buf, size_t len) {
    if (!a || !buf || !len) return mxi_error(MX_ERR_VALUE, "[describe] NULL argument");
    char shape[MXI_SHAPE_STR_LEN];
    mxi_shape_str(shape, sizeof shape, a->shape, a->ndim);
    size_t used =
        (size_t)snprintf(buf, len, "array(shape=%s, dtype=%s", shape, mx_dtype_name(a->dtype));
    if (mxi_is_available(a) && a->size <= 16 && used < len) {
        double vals[16];
        mxi_copy_to_contiguous(vals, MX_FLOAT64, mxi_data(a), a->dtype, a->shape, a->strides,
                               a->ndim);
        used += (size_t)snprintf(buf + used, len - used, ", values=[");
        for (int64_t i = 0; i < a->size && used < len; i++)
            used += (size_t)snprintf(buf + used, len - used, i ? ", %g" : "%g", vals[i]);
        if (used < len) used += (size_t)snprintf(buf + used, len - used, "]");
    }
    if (used < len) snprintf(buf + used, len - used, ")");
    return MX_OK;
}

const char *mx_version(void) {
    return "0.1.0";
}
