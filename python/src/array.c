/*
 * The array type: construction, properties, conversion to Python scalars,
 * copies and hashing. Operators live in array_ops.c, indexing and iteration
 * in array_index.c, the buffer protocol and pickling in array_buffer.c,
 * printing in print.c, and the op methods (a.sum(), a.reshape(), ...) come
 * from the op table.
 */
#include "cmlx_py.h"

#include <structmember.h>

PyObject *mxp_array_wrap(mx_array *a) {
    if (!a) return NULL;
    mxp_array_object *o = PyObject_New(mxp_array_object, &mxp_array_type);
    if (!o) {
        mx_array_free(a);
        return NULL;
    }
    o->arr = a;
    o->weakreflist = NULL;
    return (PyObject *)o;
}

void mxp_array_replace(PyObject *self, mx_array *a) {
    mx_array *old = mxp_arr(self);
    ((mxp_array_object *)self)->arr = a;
    mx_array_free(old);
}

/* Evaluates (or, without wait, schedules) with the GIL released: kernels
 * and waiting never need Python. */
int mxp_eval_many(mx_array *const *arrays, size_t n, bool wait) {
    PyThreadState *ts = PyEval_SaveThread();
    int rc = wait ? mx_eval(arrays, n) : mx_async_eval(arrays, n);
    PyEval_RestoreThread(ts);
    return rc ? mxp_raise_int(rc) : 0;
}

int mxp_eval_nogil(mx_array *a) {
    if (mx_array_get_status(a) == MX_ARRAY_AVAILABLE) return 0;
    a = mx_array_retain(a); /* the object holding it may change while we wait */
    int rc = mxp_eval_many(&a, 1, true);
    mx_array_free(a);
    return rc;
}

static PyObject *array_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *names[] = {"val", "dtype", NULL};
    PyObject *val, *dt = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:array", names, &val, &dt)) return NULL;
    mx_dtype dtype;
    if (mxp_to_dtype(dt, &dtype, true) < 0) return NULL;
    mx_array *a = mxp_to_array(val, dtype);
    if (!a) return NULL;
    mxp_array_object *o = (mxp_array_object *)type->tp_alloc(type, 0);
    if (!o) {
        mx_array_free(a);
        return NULL;
    }
    o->arr = a;
    return (PyObject *)o;
}

static void array_dealloc(PyObject *self) {
    mxp_array_object *o = (mxp_array_object *)self;
    if (o->weakreflist) PyObject_ClearWeakRefs(self);
    mx_array_free(o->arr);
    Py_TYPE(self)->tp_free(self);
}

/* Arrays hash by identity, as in MLX; kept explicit so that adding __eq__
 * later does not make them unhashable. */
static Py_hash_t array_hash(PyObject *self) {
    size_t y = (size_t)self;
    y = (y >> 4) | (y << (8 * sizeof(void *) - 4));
    Py_hash_t h = (Py_hash_t)y;
    return h == -1 ? -2 : h;
}

/* ---- properties ---- */

static PyObject *get_size(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromSize_t(mx_array_size(mxp_arr(self)));
}
static PyObject *get_ndim(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromLong(mx_array_ndim(mxp_arr(self)));
}
static PyObject *get_itemsize(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromSize_t(mx_array_itemsize(mxp_arr(self)));
}
static PyObject *get_nbytes(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromSize_t(mx_array_nbytes(mxp_arr(self)));
}
PyObject *mxp_shape_tuple(const mx_array *a) {
    int nd = mx_array_ndim(a);
    const int32_t *shape = mx_array_shape(a);
    PyObject *t = PyTuple_New(nd);
    for (int i = 0; t && i < nd; i++) {
        PyObject *d = PyLong_FromLong(shape[i]);
        if (!d)
            Py_CLEAR(t);
        else
            PyTuple_SET_ITEM(t, i, d);
    }
    return t;
}
static PyObject *get_shape(PyObject *self, void *c) {
    (void)c;
    return mxp_shape_tuple(mxp_arr(self));
}
static PyObject *get_dtype(PyObject *self, void *c) {
    (void)c;
    return Py_NewRef(mxp_dtype_obj(mx_array_dtype(mxp_arr(self))));
}
static PyObject *get_T(PyObject *self, void *c) {
    (void)c;
    mx_array *out = NULL;
    int rc = mx_transpose(&out, mxp_arr(self), NULL, 0, NULL);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}
/* real, imag and mT are properties in MLX (the functions take a stream). */
static PyObject *get_real(PyObject *self, void *c) {
    (void)c;
    mx_array *out = NULL;
    int rc = mx_real(&out, mxp_arr(self), NULL);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}
static PyObject *get_imag(PyObject *self, void *c) {
    (void)c;
    mx_array *out = NULL;
    int rc = mx_imag(&out, mxp_arr(self), NULL);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}
static PyObject *get_mT(PyObject *self, void *c) {
    (void)c;
    if (mx_array_ndim(mxp_arr(self)) < 2) {
        PyErr_SetString(PyExc_ValueError,
                        "[matrix_transpose] Input array must have at least 2 dimensions.");
        return NULL;
    }
    mx_array *out = NULL;
    int rc = mx_swapaxes(&out, mxp_arr(self), -1, -2, NULL);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

static PyGetSetDef array_getset[] = {
    {"size", get_size, NULL, "Number of elements in the array.", NULL},
    {"ndim", get_ndim, NULL, "The array's dimension.", NULL},
    {"itemsize", get_itemsize, NULL, "The size of the array's datatype in bytes.", NULL},
    {"nbytes", get_nbytes, NULL, "The number of bytes in the array.", NULL},
    {"shape", get_shape, NULL, "The shape of the array as a Python tuple.", NULL},
    {"dtype", get_dtype, NULL, "The array's :class:`Dtype`.", NULL},
    {"T", get_T, NULL, "Equivalent to calling ``self.transpose()`` with no arguments.", NULL},
    {"mT", get_mT, NULL, "The array with its last two axes swapped.", NULL},
    {"real", get_real, NULL, "The real part of a complex array.", NULL},
    {"imag", get_imag, NULL, "The imaginary part of a complex array.", NULL},
    {"at", mxp_array_at, NULL,
     "Used to apply updates at the given indices: ``x.at[idx].add(y)`` (also ``subtract``, "
     "``multiply``, ``divide``, ``maximum``, ``minimum``) returns a new array, repeated indices "
     "accumulating, where ``x[idx] += y`` would apply only one of them.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* ---- Python scalars ---- */

static PyObject *m_item(PyObject *self, PyObject *u) {
    (void)u;
    return mxp_item(mxp_arr(self));
}
static PyObject *m_tolist(PyObject *self, PyObject *u) {
    (void)u;
    return mxp_tolist(mxp_arr(self));
}

int mxp_array_bool(PyObject *self) {
    PyObject *v = mxp_item(mxp_arr(self));
    if (!v) return -1;
    int r = PyObject_IsTrue(v);
    Py_DECREF(v);
    return r;
}

static PyObject *scalar_as(PyObject *self, PyObject *(*conv)(PyObject *)) {
    PyObject *v = mxp_item(mxp_arr(self));
    if (!v) return NULL;
    PyObject *r = conv(v);
    Py_DECREF(v);
    return r;
}
PyObject *mxp_array_int(PyObject *self) {
    return scalar_as(self, PyNumber_Long);
}
PyObject *mxp_array_float(PyObject *self) {
    return scalar_as(self, PyNumber_Float);
}
static PyObject *to_complex(PyObject *v) {
    Py_complex c = PyComplex_AsCComplex(v);
    if (c.real == -1.0 && PyErr_Occurred()) return NULL;
    return PyComplex_FromCComplex(c);
}
static PyObject *m_complex(PyObject *self, PyObject *u) {
    (void)u;
    return scalar_as(self, to_complex);
}

PyObject *mxp_array_index(PyObject *self) {
    mx_array *a = mxp_arr(self);
    if (mx_array_ndim(a) != 0 || !mx_dtype_is_integer(mx_array_dtype(a))) {
        PyErr_SetString(PyExc_TypeError,
                        "Only 0-dimensional integer arrays can be converted to an index.");
        return NULL;
    }
    return mxp_item(a);
}

/* ---- other methods ---- */

static PyObject *m_copy(PyObject *self, PyObject *u) {
    (void)u;
    return mxp_array_wrap(mx_array_retain(mxp_arr(self)));
}

static PyObject *m_format(PyObject *self, PyObject *spec) {
    mx_array *a = mxp_arr(self);
    if (!PyUnicode_Check(spec)) {
        PyErr_SetString(PyExc_TypeError, "format spec must be a str");
        return NULL;
    }
    if (mx_array_ndim(a) == 0) {
        PyObject *v = mxp_item(a);
        if (!v) return NULL;
        PyObject *r = PyObject_Format(v, spec);
        Py_DECREF(v);
        return r;
    }
    if (PyUnicode_GET_LENGTH(spec) > 0) {
        PyErr_SetString(PyExc_TypeError, "unsupported format string passed to mx.array.__format__");
        return NULL;
    }
    return mxp_array_repr(self);
}

static PyObject *m_array_namespace(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *names[] = {"api_version", NULL};
    PyObject *v = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:__array_namespace__", names, &v)) return NULL;
    if (v != Py_None) {
        PyErr_SetString(PyExc_ValueError,
                        "Explicitly specifying api_version is not yet implemented.");
        return NULL;
    }
    return PyImport_ImportModule("cmlx.core");
}

static PyMethodDef array_methods[] = {
    {"item", m_item, METH_NOARGS,
     "item($self, /)\n--\n\nAccess the value of a scalar array as a standard Python scalar."},
    {"tolist", m_tolist, METH_NOARGS,
     "tolist($self, /)\n--\n\nConvert the array to a (nested) Python list of bool, int, float "
     "or complex; a scalar for a 0-d array."},
    {"__complex__", m_complex, METH_NOARGS, NULL},
    {"__copy__", m_copy, METH_NOARGS, NULL},
    {"__deepcopy__", m_copy, METH_O, NULL},
    {"__format__", m_format, METH_O, NULL},
    {"__array__", (PyCFunction)(void (*)(void))mxp_array_dunder_array,
     METH_FASTCALL | METH_KEYWORDS,
     "__array__($self, /, dtype=None, copy=None)\n--\n\nThe array as a NumPy array."},
    {"__reduce__", mxp_array_reduce, METH_NOARGS, NULL},
    {"__bytes__", mxp_array_bytes, METH_NOARGS,
     "__bytes__($self, /)\n--\n\nThe raw bytes of the elements in row-major order."},
    {"__getstate__", mxp_array_getstate, METH_NOARGS,
     "__getstate__($self, /)\n--\n\nPickling state: (values as a NumPy array, dtype number)."},
    {"__setstate__", mxp_array_setstate, METH_O,
     "__setstate__($self, state, /)\n--\n\nRestores the array from __getstate__'s state."},
    {"__dlpack__", (PyCFunction)(void (*)(void))mxp_array_dlpack, METH_VARARGS | METH_KEYWORDS,
     "__dlpack__($self, /, *, stream=None, max_version=None, dl_device=None, copy=None)\n--\n\n"
     "A DLPack capsule sharing the array's memory (read-only)."},
    {"__dlpack_device__", mxp_array_dlpack_device, METH_NOARGS,
     "__dlpack_device__($self, /)\n--\n\nThe DLPack device of the array: (1, 0), the CPU."},
    {"__array_namespace__", (PyCFunction)(void (*)(void))m_array_namespace,
     METH_VARARGS | METH_KEYWORDS,
     "__array_namespace__($self, /, api_version=None)\n--\n\n"
     "Returns an object that has all the array API functions on it."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject mxp_array_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.array",
    .tp_basicsize = sizeof(mxp_array_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "array(val, dtype=None)\n--\n\nAn N-dimensional array object.",
    .tp_new = array_new,
    .tp_dealloc = array_dealloc,
    .tp_hash = array_hash,
    .tp_repr = mxp_array_repr,
    .tp_str = mxp_array_repr,
    .tp_as_number = &mxp_array_as_number,
    .tp_richcompare = mxp_array_richcompare,
    .tp_as_mapping = &mxp_array_as_mapping,
    .tp_as_buffer = &mxp_array_as_buffer,
    .tp_iter = mxp_array_iter,
    .tp_getset = array_getset,
    .tp_methods = array_methods,
    .tp_weaklistoffset = offsetof(mxp_array_object, weakreflist),
};

int mxp_array_init_type(PyObject *m) {
    if (PyType_Ready(&mxp_array_type) < 0 || PyType_Ready(&mxp_array_iterator_type) < 0 ||
        PyType_Ready(&mxp_array_at_type) < 0)
        return -1;
    if (PyModule_AddObjectRef(m, "array", (PyObject *)&mxp_array_type) < 0) return -1;
    if (PyModule_AddObjectRef(m, "ArrayAt", (PyObject *)&mxp_array_at_type) < 0) return -1;
    return PyModule_AddObjectRef(m, "ArrayIterator", (PyObject *)&mxp_array_iterator_type);
}
