/*
 * Sharing array memory with other libraries: which buffer an evaluated array
 * uses and how big the allocator made it (for memory accounting and DLPack
 * export), and arrays over foreign strided memory (DLPack import).
 */
#ifndef CMLX_ARRAY_INTEROP_H
#define CMLX_ARRAY_INTEROP_H

#include "base.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The memory behind an evaluated array. Views of one array report the same
 * base, so base identifies a buffer. */
typedef struct mx_buffer_info {
    const void *base; /* start of the buffer; NULL (and size 0) when it holds
                         no bytes, as for arrays created empty */
    size_t size;      /* bytes held for it: the allocator's block size, which can
                         exceed what the arrays using it span; for borrowed
                         memory, the span it was created with */
    int64_t offset;   /* bytes from base to the array's first element */
    bool borrowed;    /* the memory belongs to a caller of a *_borrowed constructor */
} mx_buffer_info;

/* Fills *out for the evaluated array a. MX_ERR_RUNTIME when a is not
 * evaluated, MX_ERR_VALUE when a or out is NULL. Nothing is owned by the
 * caller; base stays valid while an array using the buffer lives. */
MX_API int mx_array_buffer_info(const mx_array *a, mx_buffer_info *out);

/* Like mx_array_from_data_borrowed, for memory laid out with any strides:
 * `data` points at the first element (index 0 on every axis) and element
 * (i0, i1, ...) is at data + itemsize * sum(ik * strides[k]). Strides are in
 * elements and may be 0 or negative; NULL means row-major. The array reads
 * the memory in place and never writes it; deleter(deleter_ctx) runs once,
 * from whichever thread drops the last use, and may be NULL. On failure the
 * deleter is not called. *out is a new reference. */
MX_API int mx_array_from_strided_borrowed(mx_array **out, void *data, const int32_t *shape,
                                          const int64_t *strides, int ndim, mx_dtype dtype,
                                          void (*deleter)(void *), void *deleter_ctx);

#ifdef __cplusplus
}
#endif
#endif
