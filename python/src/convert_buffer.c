/*
 * Buffer-protocol objects (NumPy arrays and scalars, memoryviews) -> a copy
 * as mx_array. The dtype is kept, except float64 -> float32 and complex128 ->
 * complex64 when no dtype is given (as MLX does). Any strides, negative ones
 * included, are accepted.
 */
#include "convert.h"

#include <string.h>

#define COMPLEX128 (-2) /* a source dtype mx has not: converted by hand */

/* The dtype of a PEP 3118 format with items of `itemsize` bytes, or
 * MX_DTYPE_NONE. */
static int format_dtype(const char *f, Py_ssize_t itemsize) {
    if (!f) return MX_UINT8;
    if (strcmp(f, "bfloat16") == 0) return MX_BFLOAT16; /* what our own buffers export */
    if (*f == '@' || *f == '=' || *f == '<' || *f == '|') f++;
    if (f[0] == 'Z' && f[1] == 'f' && !f[2]) return MX_COMPLEX64;
    if (f[0] == 'Z' && f[1] == 'd' && !f[2]) return COMPLEX128;
    if (!f[0] || f[1]) return MX_DTYPE_NONE;
    static const mx_dtype sint[] = {MX_INT8,       MX_INT16,      MX_DTYPE_NONE, MX_INT32,
                                    MX_DTYPE_NONE, MX_DTYPE_NONE, MX_DTYPE_NONE, MX_INT64};
    static const mx_dtype uint[] = {MX_UINT8,      MX_UINT16,     MX_DTYPE_NONE, MX_UINT32,
                                    MX_DTYPE_NONE, MX_DTYPE_NONE, MX_DTYPE_NONE, MX_UINT64};
    bool sized = itemsize >= 1 && itemsize <= 8;
    switch (f[0]) {
    case '?':
        return itemsize == 1 ? MX_BOOL : MX_DTYPE_NONE;
    case 'b':
    case 'h':
    case 'i':
    case 'l':
    case 'q':
    case 'n':
        return sized ? sint[itemsize - 1] : MX_DTYPE_NONE;
    case 'B':
    case 'H':
    case 'I':
    case 'L':
    case 'Q':
    case 'N':
        return sized ? uint[itemsize - 1] : MX_DTYPE_NONE;
    case 'e':
        return itemsize == 2 ? MX_FLOAT16 : MX_DTYPE_NONE;
    case 'f':
        return itemsize == 4 ? MX_FLOAT32 : MX_DTYPE_NONE;
    case 'd':
        return itemsize == 8 ? MX_FLOAT64 : MX_DTYPE_NONE;
    default:
        return MX_DTYPE_NONE;
    }
}

/* One row: n items of `size` bytes `step` bytes apart; the sizes are
 * constants so the copies inline. */
#define ROW_CASE(size)                                                                             \
    case size:                                                                                     \
        for (Py_ssize_t j = 0; j < n; j++, dst += size, src += step) memcpy(dst, src, size);       \
        return dst;
static char *copy_row(char *dst, const char *src, Py_ssize_t n, Py_ssize_t step, size_t item) {
    switch (item) {
        ROW_CASE(1)
        ROW_CASE(2)
        ROW_CASE(4)
        ROW_CASE(8)
        ROW_CASE(16)
    default:
        for (Py_ssize_t j = 0; j < n; j++, dst += item, src += step) memcpy(dst, src, item);
        return dst;
    }
}

/* Copies a strided buffer into dst in row-major order. */
static void gather(char *dst, const Py_buffer *v) {
    size_t item = (size_t)v->itemsize;
    int nd = v->ndim;
    if (nd == 0) {
        memcpy(dst, v->buf, item);
        return;
    }
    Py_ssize_t idx[MXP_MAX_NDIM] = {0};
    for (int i = 0; i < nd; i++)
        if (v->shape[i] == 0) return;
    const char *src = v->buf;
    Py_ssize_t inner = v->shape[nd - 1], step = v->strides[nd - 1];
    for (;;) {
        const char *p = src;
        for (int d = 0; d < nd - 1; d++) p += idx[d] * v->strides[d];
        dst = copy_row(dst, p, inner, step, item);
        int d = nd - 2;
        while (d >= 0 && ++idx[d] == v->shape[d]) idx[d--] = 0;
        if (d < 0) return;
    }
}

/* A buffer whose strides are a permutation of a dense row-major layout (a
 * transposed or Fortran-order array) is copied by the library: its memory is
 * borrowed in storage order, transposed back (a view) and copied out by the
 * library's strided copy, which is much faster than gather(). NULL without an
 * exception when the layout is not such a permutation. */
static mx_array *permuted_copy(const Py_buffer *v, const int32_t *shape, mx_dtype dt) {
    int nd = v->ndim, perm[MXP_MAX_NDIM], inv[MXP_MAX_NDIM];
    int32_t storage[MXP_MAX_NDIM];
    if (nd < 2) return NULL;
    for (int i = 0; i < nd; i++) { /* axes by decreasing stride; length-1 axes last */
        int j = i;
        Py_ssize_t key = shape[i] == 1 ? -1 : v->strides[i];
        while (j > 0 && (shape[perm[j - 1]] == 1 ? -1 : v->strides[perm[j - 1]]) < key) {
            perm[j] = perm[j - 1];
            j--;
        }
        perm[j] = i;
    }
    Py_ssize_t expected = v->itemsize;
    for (int k = nd - 1; k >= 0; k--) {
        int ax = perm[k];
        if (shape[ax] == 1) continue;
        if (v->strides[ax] != expected) return NULL;
        expected *= shape[ax];
    }
    for (int k = 0; k < nd; k++) storage[k] = shape[perm[k]], inv[perm[k]] = k;
    mx_array *borrowed = NULL, *t = NULL;
    int rc = mx_array_from_data_borrowed(&borrowed, v->buf, storage, nd, dt, NULL, NULL);
    if (!rc) rc = mx_transpose(&t, borrowed, inv, nd, NULL);
    mx_array_free(borrowed);
    if (rc) return (mx_array *)mxp_raise(rc);
    size_t nbytes = mx_array_nbytes(t);
    char *data = NULL;
    if (mxp_eval_many(&t, 1, true) == 0) {
        data = mxp_alloc_aligned(nbytes);
        if (!data) PyErr_NoMemory();
    }
    if (data) {
        PyThreadState *ts = nbytes >= MXP_NOGIL_BYTES ? PyEval_SaveThread() : NULL;
        rc = mx_array_copy_to(t, data, nbytes);
        if (ts) PyEval_RestoreThread(ts);
    }
    mx_array_free(t); /* nothing reads the borrowed memory after this */
    if (!data) return NULL;
    if (rc) {
        mxp_free_aligned(data);
        return (mx_array *)mxp_raise(rc);
    }
    return mxp_from_host(data, shape, nd, dt);
}

mx_array *mxp_from_buffer(PyObject *o, mx_dtype dtype) {
    Py_buffer v;
    if (PyObject_GetBuffer(o, &v, PyBUF_RECORDS_RO) < 0) return NULL;
    mx_array *out = NULL;
    int src = format_dtype(v.format, v.itemsize);
    if (src == MX_DTYPE_NONE) {
        PyErr_Format(PyExc_ValueError, "Cannot convert a buffer of format '%s' to an mlx array.",
                     v.format ? v.format : "?");
        goto done;
    }
    if (v.ndim > MXP_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "arrays have at most %d dimensions", MXP_MAX_NDIM);
        goto done;
    }
    int32_t shape[MXP_MAX_NDIM];
    size_t count = 1;
    for (int i = 0; i < v.ndim; i++) {
        if (v.shape[i] > INT32_MAX) {
            PyErr_SetString(PyExc_ValueError,
                            "Shape dimension falls outside supported `int` range.");
            goto done;
        }
        shape[i] = (int32_t)v.shape[i];
        count *= (size_t)v.shape[i];
    }
    mx_dtype mdt = src == COMPLEX128 ? MX_COMPLEX64 : (mx_dtype)src;
    mx_dtype target = dtype != MX_DTYPE_NONE ? dtype : mdt == MX_FLOAT64 ? MX_FLOAT32 : mdt;
    bool contiguous = PyBuffer_IsContiguous(&v, 'C');
    size_t nbytes = count * (size_t)v.itemsize;
    if (contiguous && src != COMPLEX128) {
        PyThreadState *ts = nbytes >= MXP_NOGIL_BYTES ? PyEval_SaveThread() : NULL;
        int rc = mx_array_from_data(&out, v.buf, shape, v.ndim, mdt);
        if (ts) PyEval_RestoreThread(ts);
        if (rc) mxp_raise(rc);
    } else if (src != COMPLEX128 && count && (out = permuted_copy(&v, shape, mdt))) {
        /* copied by the library */
    } else if (!PyErr_Occurred()) {
        char *data = mxp_alloc_aligned(nbytes);
        if (!data) {
            PyErr_NoMemory();
            goto done;
        }
        PyThreadState *ts = nbytes >= MXP_NOGIL_BYTES ? PyEval_SaveThread() : NULL;
        gather(data, &v);
        if (src == COMPLEX128) { /* narrow in place: writes never pass reads */
            for (size_t i = 0; i < count; i++) {
                double re, im;
                memcpy(&re, data + 16 * i, 8);
                memcpy(&im, data + 16 * i + 8, 8);
                mx_complex64 c = {(float)re, (float)im};
                memcpy(data + 8 * i, &c, 8);
            }
        }
        if (ts) PyEval_RestoreThread(ts);
        out = mxp_from_host(data, shape, v.ndim, mdt);
    }
    out = mxp_cast_host(out, target);
done:
    PyBuffer_Release(&v);
    return out;
}
