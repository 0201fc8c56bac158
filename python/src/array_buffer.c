/*
 * Host interop: the buffer protocol (writable as in MLX, zero-copy for
 * evaluated arrays whenever the consumer accepts their strides, a row-major
 * copy otherwise, read-only), __array__ for NumPy, and pickling through the raw bytes.
 * Evaluation and long copies run with the GIL released.
 */
#include "convert.h"

#include <string.h>

static const char *buffer_format(mx_dtype t) {
    switch (t) {
    case MX_BOOL:
        return "?";
    case MX_UINT8:
        return "B";
    case MX_UINT16:
        return "H";
    case MX_UINT32:
        return "I";
    case MX_UINT64:
        return "Q";
    case MX_INT8:
        return "b";
    case MX_INT16:
        return "h";
    case MX_INT32:
        return "i";
    case MX_INT64:
        return "q";
    case MX_FLOAT16:
        return "e";
    case MX_FLOAT32:
        return "f";
    case MX_FLOAT64:
        return "d";
    case MX_BFLOAT16:
        return "bfloat16"; /* MLX's spelling; not a PEP 3118 code */
    case MX_COMPLEX64:
        return "Zf";
    default:
        return "B";
    }
}

typedef struct {
    mx_array *arr;     /* keeps the data alive even if the object's array is replaced */
    void *copy;        /* a row-major copy, or NULL */
    Py_ssize_t dims[]; /* shape then strides */
} export_info;

/* Copies a to a new row-major host buffer (GIL released for big ones). */
static void *row_major_copy(mx_array *a) {
    size_t nbytes = mx_array_nbytes(a);
    void *copy = mxp_alloc_aligned(nbytes);
    if (!copy) {
        PyErr_NoMemory();
        return NULL;
    }
    PyThreadState *ts = nbytes >= MXP_NOGIL_BYTES ? PyEval_SaveThread() : NULL;
    int rc = mx_array_copy_to(a, copy, nbytes);
    if (ts) PyEval_RestoreThread(ts);
    if (rc) {
        mxp_free_aligned(copy);
        mxp_raise(rc);
        return NULL;
    }
    return copy;
}

static int getbuffer(PyObject *self, Py_buffer *view, int flags) {
    view->obj = NULL;
    mx_array *a = mxp_arr(self);
    int nd = mx_array_ndim(a);
    if ((flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS && nd > 1 && mx_array_size(a) > 1) {
        PyErr_SetString(PyExc_BufferError, "cmlx arrays are not Fortran contiguous");
        return -1;
    }
    export_info *info = PyMem_Malloc(sizeof *info + 2 * (size_t)nd * sizeof(Py_ssize_t));
    if (!info) {
        PyErr_NoMemory();
        return -1;
    }
    info->arr = a = mx_array_retain(a); /* also keeps a alive while the GIL is released */
    info->copy = NULL;
    if (mxp_eval_nogil(a) < 0) {
        mx_array_free(a);
        PyMem_Free(info);
        return -1;
    }
    Py_ssize_t item = (Py_ssize_t)mx_array_itemsize(a), *shape = info->dims, *strides = shape + nd;
    const int32_t *sh = mx_array_shape(a);
    for (int i = 0; i < nd; i++) shape[i] = sh[i];
    bool want_strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES;
    bool want_contig = (flags & PyBUF_ANY_CONTIGUOUS) == PyBUF_ANY_CONTIGUOUS ||
                       (flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS ||
                       (flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS;
    const char *data = mx_array_data(a);
    if (mx_array_is_row_contiguous(a) || (want_strides && !want_contig)) {
        const int64_t *st = mx_array_strides(a);
        Py_ssize_t acc = item;
        for (int i = nd - 1; i >= 0; i--) {
            strides[i] = mx_array_is_row_contiguous(a) ? acc : (Py_ssize_t)st[i] * item;
            acc *= shape[i];
        }
    } else if (flags & PyBUF_WRITABLE) {
        /* writes to a copy would be lost */
        PyErr_SetString(PyExc_BufferError, "cmlx array is not contiguous: a writable buffer of it "
                                           "must take its strides");
        mx_array_free(info->arr);
        PyMem_Free(info);
        return -1;
    } else {
        data = info->copy = row_major_copy(a);
        if (!data) {
            mx_array_free(info->arr);
            PyMem_Free(info);
            return -1;
        }
        Py_ssize_t acc = item;
        for (int i = nd - 1; i >= 0; i--) strides[i] = acc, acc *= shape[i];
    }
    static char empty;
    view->buf = data ? (void *)data : &empty;
    view->obj = Py_NewRef(self);
    view->len = (Py_ssize_t)mx_array_nbytes(a);
    /* As MLX: writes through NumPy views (copy=False) reach the array. A copy
     * is read-only, so no write is silently lost. */
    view->readonly = info->copy != NULL;
    view->itemsize = item;
    view->format = (flags & PyBUF_FORMAT) ? (char *)buffer_format(mx_array_dtype(a)) : NULL;
    view->ndim = nd;
    view->shape = (flags & PyBUF_ND) == PyBUF_ND ? shape : NULL;
    view->strides = want_strides ? strides : NULL;
    view->suboffsets = NULL;
    view->internal = info;
    return 0;
}

static void releasebuffer(PyObject *self, Py_buffer *view) {
    (void)self;
    export_info *info = view->internal;
    if (!info) return;
    mxp_free_aligned(info->copy);
    mx_array_free(info->arr);
    PyMem_Free(info);
}

PyBufferProcs mxp_array_as_buffer = {
    .bf_getbuffer = getbuffer,
    .bf_releasebuffer = releasebuffer,
};

/* ---- NumPy ---- */

PyObject *mxp_array_dunder_array(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                 PyObject *kwnames) {
    PyObject *dtype = nargs > 0 ? args[0] : Py_None, *copy = nargs > 1 ? args[1] : Py_None;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "__array__() takes at most 2 arguments");
        return NULL;
    }
    for (Py_ssize_t k = 0; k < nkw; k++) {
        const char *key = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
        if (!key) return NULL;
        if (strcmp(key, "dtype") == 0)
            dtype = args[nargs + k];
        else if (strcmp(key, "copy") == 0)
            copy = args[nargs + k];
        else {
            PyErr_Format(PyExc_TypeError, "__array__() got an unexpected keyword argument '%s'",
                         key);
            return NULL;
        }
    }
    if (mx_array_dtype(mxp_arr(self)) == MX_BFLOAT16) {
        PyErr_SetString(PyExc_TypeError, "bfloat16 arrays cannot be converted to NumPy.");
        return NULL;
    }
    PyObject *np = PyImport_ImportModule("numpy");
    if (!np) return NULL;
    PyObject *mv = PyMemoryView_FromObject(self), *res = NULL;
    if (mv) {
        res = PyObject_CallMethod(np, PyObject_IsTrue(copy) == 1 ? "array" : "asarray", "O", mv);
        Py_DECREF(mv);
    }
    if (res && dtype != Py_None) {
        PyObject *cast = PyObject_CallMethod(res, "astype", "O", dtype);
        Py_SETREF(res, cast);
    }
    Py_DECREF(np);
    return res;
}

/* ---- pickling ---- */

/* The raw bytes of a, row-major. */
static PyObject *bytes_of(mx_array *a) {
    if (mxp_eval_nogil(a) < 0) return NULL;
    size_t nbytes = mx_array_nbytes(a);
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)nbytes);
    if (!bytes) return NULL;
    PyThreadState *ts = nbytes >= MXP_NOGIL_BYTES ? PyEval_SaveThread() : NULL;
    int rc = nbytes ? mx_array_copy_to(a, PyBytes_AS_STRING(bytes), nbytes) : 0;
    if (ts) PyEval_RestoreThread(ts);
    if (rc) {
        Py_DECREF(bytes);
        return mxp_raise(rc);
    }
    return bytes;
}

PyObject *mxp_array_reduce(PyObject *self, PyObject *unused) {
    (void)unused;
    mx_array *a = mx_array_retain(mxp_arr(self));
    PyObject *bytes = bytes_of(a);
    if (!bytes) {
        mx_array_free(a);
        return NULL;
    }
    PyObject *shape = mxp_shape_tuple(a);
    PyObject *mod = PyImport_ImportModule("cmlx.core");
    PyObject *fn = mod ? PyObject_GetAttrString(mod, "_unpickle") : NULL;
    PyObject *res = NULL;
    if (shape && fn)
        res = Py_BuildValue("(O(OOs))", fn, bytes, shape, mx_dtype_name(mx_array_dtype(a)));
    Py_XDECREF(fn);
    Py_XDECREF(mod);
    Py_XDECREF(shape);
    Py_DECREF(bytes);
    mx_array_free(a);
    return res;
}

/* _unpickle(data: bytes, shape: tuple, dtype: str) -> array */
PyObject *mxp_unpickle(PyObject *module, PyObject *args) {
    (void)module;
    Py_buffer data;
    PyObject *shape_obj;
    const char *name;
    if (!PyArg_ParseTuple(args, "y*Os:_unpickle", &data, &shape_obj, &name)) return NULL;
    PyObject *res = NULL;
    mx_dtype dtype;
    int32_t shape[MXP_MAX_NDIM];
    int nd = mxp_to_shape(shape_obj, shape, "shape");
    if (nd >= 0 && mx_dtype_from_name(&dtype, name) != MX_OK) {
        mx_clear_error();
        PyErr_Format(PyExc_ValueError, "_unpickle: unknown dtype %s", name);
    } else if (nd >= 0) {
        size_t count = 1;
        for (int i = 0; i < nd; i++) count *= (size_t)(shape[i] < 0 ? 0 : shape[i]);
        if ((size_t)data.len != count * (size_t)mx_dtype_size(dtype)) {
            PyErr_SetString(PyExc_ValueError, "_unpickle: data does not match shape and dtype");
        } else {
            mx_array *a = NULL;
            int rc = mx_array_from_data(&a, data.buf, shape, nd, dtype);
            res = rc ? mxp_raise(rc) : mxp_array_wrap(a);
        }
    }
    PyBuffer_Release(&data);
    return res;
}

/* __bytes__: the raw bytes of the elements in row-major order, as MLX. */
PyObject *mxp_array_bytes(PyObject *self, PyObject *unused) {
    (void)unused;
    mx_array *a = mx_array_retain(mxp_arr(self));
    PyObject *bytes = bytes_of(a);
    mx_array_free(a);
    return bytes;
}

/* The NumPy dtype holding a's elements; bfloat16 travels as its uint16 bits,
 * as in MLX's pickling state. */
static const char *numpy_name(mx_dtype t) {
    return t == MX_BFLOAT16 ? "uint16" : mx_dtype_name(t);
}

/* __getstate__: (NumPy array of the values, dtype number), MLX's state. */
PyObject *mxp_array_getstate(PyObject *self, PyObject *unused) {
    (void)unused;
    mx_array *a = mx_array_retain(mxp_arr(self));
    PyObject *bytes = bytes_of(a), *np = NULL, *flat = NULL, *arr = NULL, *shape = NULL;
    if (bytes) np = PyImport_ImportModule("numpy");
    if (np)
        flat = PyObject_CallMethod(np, "frombuffer", "Os", bytes, numpy_name(mx_array_dtype(a)));
    if (flat) shape = mxp_shape_tuple(a);
    /* reshape of a fresh copy: the state owns writable memory of its own */
    if (shape) arr = PyObject_CallMethod(flat, "reshape", "O", shape);
    if (arr) Py_SETREF(arr, PyObject_CallMethod(arr, "copy", NULL));
    PyObject *res = arr ? Py_BuildValue("(Oi)", arr, (int)mx_array_dtype(a)) : NULL;
    Py_XDECREF(arr);
    Py_XDECREF(shape);
    Py_XDECREF(flat);
    Py_XDECREF(np);
    Py_XDECREF(bytes);
    mx_array_free(a);
    return res;
}

/* __setstate__((values, dtype number)): the array becomes the state's. */
PyObject *mxp_array_setstate(PyObject *self, PyObject *state) {
    int dt;
    PyObject *values;
    if (!PyTuple_Check(state) || !PyArg_ParseTuple(state, "Oi:__setstate__", &values, &dt)) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError,
                            "__setstate__ expects a tuple (values, dtype number) as "
                            "__getstate__ returns");
        }
        return NULL;
    }
    if (!mx_dtype_is_valid(dt)) {
        PyErr_Format(PyExc_ValueError, "__setstate__: unknown dtype number %d", dt);
        return NULL;
    }
    mx_dtype dtype = (mx_dtype)dt;
    PyObject *np = PyImport_ImportModule("numpy");
    PyObject *c = np ? PyObject_CallMethod(np, "ascontiguousarray", "O", values) : NULL;
    Py_XDECREF(np);
    if (!c) return NULL;
    Py_buffer v;
    if (PyObject_GetBuffer(c, &v, PyBUF_C_CONTIGUOUS | PyBUF_ND) < 0) {
        Py_DECREF(c);
        return NULL;
    }
    int32_t shape[MXP_MAX_NDIM];
    size_t count = 1;
    bool ok = v.ndim <= MXP_MAX_NDIM;
    for (int i = 0; ok && i < v.ndim; i++) {
        ok = v.shape[i] <= INT32_MAX;
        shape[i] = (int32_t)v.shape[i];
        count *= (size_t)v.shape[i];
    }
    PyObject *res = NULL;
    if (!ok || (size_t)v.len != count * (size_t)mx_dtype_size(dtype)) {
        PyErr_Format(PyExc_ValueError, "__setstate__: the values do not hold %s elements",
                     mx_dtype_name(dtype));
    } else {
        mx_array *a = NULL;
        int rc = mx_array_from_data(&a, v.buf, shape, v.ndim, dtype);
        if (rc) {
            mxp_raise(rc);
        } else {
            mxp_array_replace(self, a);
            res = Py_NewRef(Py_None);
        }
    }
    PyBuffer_Release(&v);
    Py_DECREF(c);
    return res;
}
