/*
 * The array handle: creation from host data, properties, evaluation and
 * reading values back.
 *
 * Ownership: every mx_array * handed back is a new reference; release it with
 * mx_array_free. Functions that take arrays as inputs never take ownership.
 * An output pointer (mx_array **out) may already hold an array: it is
 * released after the new array is made, so `mx_add(&x, x, y, NULL)` is safe.
 */
#ifndef CMLX_ARRAY_H
#define CMLX_ARRAY_H

#include "base.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- creation ---- */

/* A new array of the given shape and dtype holding a copy of `data`, which is
 * read as a row-major (C order) buffer of size(shape) elements. ndim may be 0
 * (a scalar); shape may then be NULL. Returns MX_ERR_VALUE for a negative
 * dimension, MX_ERR_MEMORY when the copy cannot be allocated. */
MX_API int mx_array_from_data(mx_array **out, const void *data, const int32_t *shape, int ndim,
                              mx_dtype dtype);

/* Like mx_array_from_data but borrows `data` instead of copying it: the array
 * reads the caller's memory in place, and `deleter(deleter_ctx)` is called
 * once when the last array using the memory is gone (deleter may be NULL).
 * The memory must stay valid and unchanged until then. Borrowed memory is
 * never reused as the output of an op. On failure the deleter is not called
 * and the caller keeps the memory. */
MX_API int mx_array_from_data_borrowed(mx_array **out, void *data, const int32_t *shape, int ndim,
                                       mx_dtype dtype, void (*deleter)(void *), void *deleter_ctx);

/* 0-d arrays from C scalars. The value is converted to `dtype` as astype
 * would (mx_array_from_float(&a, 1.5, MX_BFLOAT16) is a bfloat16 scalar). */
MX_API int mx_array_from_bool(mx_array **out, bool v);
MX_API int mx_array_from_int(mx_array **out, int64_t v, mx_dtype dtype);
MX_API int mx_array_from_float(mx_array **out, double v, mx_dtype dtype);
MX_API int mx_array_from_complex(mx_array **out, float real, float imag);

/* Adds a reference to a and returns a (NULL stays NULL). */
MX_API mx_array *mx_array_retain(mx_array *a);
/* Releases one reference; the array (and, once unused, its graph and memory)
 * is freed when the last one goes. NULL is ignored. */
MX_API void mx_array_free(mx_array *a);

/* ---- properties (valid before evaluation) ---- */

MX_API mx_dtype mx_array_dtype(const mx_array *a);
MX_API int mx_array_ndim(const mx_array *a);
/* Pointer to ndim dimensions, owned by the array, valid while it lives. */
MX_API const int32_t *mx_array_shape(const mx_array *a);
/* Dimension `axis` (negative counts from the end); -1 if out of range. */
MX_API int32_t mx_array_dim(const mx_array *a, int axis);
MX_API size_t mx_array_size(const mx_array *a);
MX_API size_t mx_array_itemsize(const mx_array *a);
MX_API size_t mx_array_nbytes(const mx_array *a);

/* ---- evaluation ---- */

typedef enum mx_array_status {
    MX_ARRAY_UNSCHEDULED = 0, /* a node of a graph nobody asked to run yet */
    MX_ARRAY_SCHEDULED = 1,   /* queued on a stream, maybe running */
    MX_ARRAY_AVAILABLE = 2,   /* data can be read */
    MX_ARRAY_FAILED = 3,      /* its kernel (or one upstream) failed */
} mx_array_status;

MX_API mx_array_status mx_array_get_status(const mx_array *a);

/* Evaluates the arrays and everything they depend on, waiting until done.
 * A failure inside a kernel comes back as the status (and message) here. */
MX_API int mx_eval(mx_array *const *arrays, size_t n);
/* Schedules the same work and returns at once; mx_eval, mx_array_wait or
 * reading the data later waits for it. */
MX_API int mx_async_eval(mx_array *const *arrays, size_t n);
/* Waits until an array scheduled by mx_async_eval is available. Returns the
 * failure of its kernel, if any; MX_ERR_RUNTIME if it was never scheduled. */
MX_API int mx_array_wait(mx_array *a);

/* ---- reading back (the array must be evaluated) ---- */

/* Strides of the evaluated array in elements (may be 0 or negative), owned by
 * the array. NULL with MX_ERR_RUNTIME set when not evaluated. */
MX_API const int64_t *mx_array_strides(const mx_array *a);
/* Pointer to the first element of the evaluated array, laid out by
 * mx_array_strides; owned by the array, valid while it lives. NULL with
 * MX_ERR_RUNTIME set when the array is not evaluated. */
MX_API const void *mx_array_data(const mx_array *a);
/* Whether the evaluated array's elements are laid out in row-major order with
 * no gaps (so mx_array_data can be read as a plain C array). */
MX_API bool mx_array_is_row_contiguous(const mx_array *a);
/* Copies the evaluated array's elements to `dst` in row-major order whatever
 * its strides. dst_bytes must be at least mx_array_nbytes(a). */
MX_API int mx_array_copy_to(const mx_array *a, void *dst, size_t dst_bytes);
/* Evaluates a (if needed) and reads its single element converted to the C
 * type. MX_ERR_VALUE unless a has exactly one element. */
MX_API int mx_array_item_bool(bool *out, mx_array *a);
MX_API int mx_array_item_int64(int64_t *out, mx_array *a);
MX_API int mx_array_item_uint64(uint64_t *out, mx_array *a);
MX_API int mx_array_item_double(double *out, mx_array *a);
MX_API int mx_array_item_complex(mx_complex64 *out, mx_array *a);

/* Writes a short human readable description into buf (NUL-terminated,
 * truncated to len): "array(shape=(2, 3), dtype=float32)" and, when evaluated
 * and small, its values. */
MX_API int mx_array_describe(const mx_array *a, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
