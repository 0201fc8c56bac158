/* Helpers shared by the converters (convert.c, convert_seq.c,
 * convert_buffer.c) and the array's buffer/print code. */
#ifndef CMLX_PY_CONVERT_H
#define CMLX_PY_CONVERT_H

#include "cmlx_py.h"

/* 64-byte aligned host memory released with mxp_free_aligned (callable from
 * any thread, without the GIL). */
void *mxp_alloc_aligned(size_t nbytes);
void mxp_free_aligned(void *p);
/* An available array over `data` (from mxp_alloc_aligned), which it takes
 * over and frees when the array goes. On failure data is freed. */
mx_array *mxp_from_host(void *data, const int32_t *shape, int ndim, mx_dtype dtype);
/* a cast to dtype (lazily), consuming a; dtype MX_DTYPE_NONE keeps a. */
mx_array *mxp_cast(mx_array *a, mx_dtype dtype);
/* mxp_cast evaluated at once, for arrays made from Python or host data:
 * MLX hands those out evaluated (so get_array_buffer_size and DLPack take
 * them as they are). Consumes a. */
mx_array *mxp_cast_host(mx_array *a, mx_dtype dtype);
/* A nested list/tuple as mx.array would convert it. */
mx_array *mxp_from_sequence(PyObject *seq, mx_dtype dtype);
/* A buffer-protocol object (NumPy array or scalar); float64 becomes
 * float32 and complex128 complex64 unless dtype says otherwise. */
mx_array *mxp_from_buffer(PyObject *o, mx_dtype dtype);
/* One element at p as a Python scalar. */
PyObject *mxp_elem_to_py(mx_dtype t, const char *p);

#endif
