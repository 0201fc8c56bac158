/*
 * Python objects -> mx_array (scalars, weak scalars, dispatch to the
 * sequence and buffer converters) and mx_array -> Python (item, tolist).
 */
#include "cmlx_py.h"
#include "convert.h"

#include <stdlib.h>

void *mxp_alloc_aligned(size_t nbytes) {
    size_t n = (nbytes + 63) & ~(size_t)63;
    return aligned_alloc(64, n ? n : 64);
}

void mxp_free_aligned(void *p) {
    free(p);
}

mx_array *mxp_from_host(void *data, const int32_t *shape, int ndim, mx_dtype dtype) {
    mx_array *a = NULL;
    int rc = mx_array_from_data_borrowed(&a, data, shape, ndim, dtype, mxp_free_aligned, data);
    if (rc) {
        mxp_free_aligned(data);
        mxp_raise(rc);
        return NULL;
    }
    return a;
}

mx_array *mxp_cast(mx_array *a, mx_dtype dtype) {
    if (!a || dtype == MX_DTYPE_NONE || mx_array_dtype(a) == dtype) return a;
    mx_array *out = NULL;
    int rc = mx_astype(&out, a, dtype, NULL);
    mx_array_free(a);
    if (rc) {
        mxp_raise(rc);
        return NULL;
    }
    return out;
}

mx_array *mxp_cast_host(mx_array *a, mx_dtype dtype) {
    mx_array *c = mxp_cast(a, dtype);
    if (c && mx_array_get_status(c) != MX_ARRAY_AVAILABLE && mxp_eval_nogil(c) < 0) {
        mx_array_free(c);
        return NULL;
    }
    return c;
}

/* A 0-d array of a Python int: the value read as int64, or uint64 for values
 * in [2^63, 2^64). */
static mx_array *int_scalar(PyObject *o, mx_dtype dtype) {
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred()) return NULL;
    mx_array *a = NULL;
    int rc;
    if (overflow) {
        unsigned long long u = PyLong_AsUnsignedLongLong(o);
        if (u == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
        rc = mx_array_from_data(&a, &u, NULL, 0, MX_UINT64);
        if (rc) return (mx_array *)mxp_raise(rc);
        return mxp_cast_host(a, dtype);
    }
    if (dtype == MX_DTYPE_NONE) dtype = (v > INT32_MAX || v < INT32_MIN) ? MX_INT64 : MX_INT32;
    rc = mx_array_from_int(&a, v, dtype);
    return rc ? (mx_array *)mxp_raise(rc) : a;
}

static mx_array *float_scalar(double v, mx_dtype dtype) {
    mx_array *a = NULL;
    int rc = mx_array_from_float(&a, v, dtype == MX_DTYPE_NONE ? MX_FLOAT32 : dtype);
    return rc ? (mx_array *)mxp_raise(rc) : a;
}

static mx_array *complex_scalar(PyObject *o, mx_dtype dtype) {
    Py_complex c = PyComplex_AsCComplex(o);
    if (c.real == -1.0 && PyErr_Occurred()) return NULL;
    mx_array *a = NULL;
    int rc = mx_array_from_complex(&a, (float)c.real, (float)c.imag);
    return rc ? (mx_array *)mxp_raise(rc) : mxp_cast_host(a, dtype);
}

static mx_array *bool_scalar(bool v, mx_dtype dtype) {
    mx_array *a = NULL;
    int rc = dtype == MX_DTYPE_NONE || dtype == MX_BOOL ? mx_array_from_bool(&a, v)
                                                        : mx_array_from_int(&a, v, dtype);
    return rc ? (mx_array *)mxp_raise(rc) : a;
}

bool mxp_is_array_like(PyObject *o) {
    return mxp_is_array(o) || PyObject_HasAttrString(o, "__mlx_array__");
}

/* An array, or the result of o.__mlx_array__(); NULL (no exception) if o is
 * neither. */
static mx_array *from_array_like(PyObject *o) {
    if (mxp_is_array(o)) return mx_array_retain(mxp_arr(o));
    if (!PyObject_HasAttrString(o, "__mlx_array__")) return NULL;
    PyObject *r = PyObject_CallMethod(o, "__mlx_array__", NULL);
    if (!r) return NULL;
    if (!mxp_is_array(r)) {
        PyErr_Format(PyExc_TypeError, "__mlx_array__ returned %s, not an array",
                     Py_TYPE(r)->tp_name);
        Py_DECREF(r);
        return NULL;
    }
    mx_array *a = mx_array_retain(mxp_arr(r));
    Py_DECREF(r);
    return a;
}

static PyObject *invalid_type(PyObject *o) {
    if (o == Py_None) {
        PyErr_SetString(PyExc_TypeError, "None cannot be converted to an array.");
        return NULL;
    }
    PyErr_Format(PyExc_ValueError, "Invalid type %s received in array initialization.",
                 Py_TYPE(o)->tp_name);
    return NULL;
}

mx_array *mxp_to_array(PyObject *o, mx_dtype dtype) {
    if (PyBool_Check(o)) return bool_scalar(o == Py_True, dtype);
    if (PyLong_Check(o)) return int_scalar(o, dtype);
    if (PyFloat_Check(o)) return float_scalar(PyFloat_AS_DOUBLE(o), dtype);
    if (PyComplex_Check(o)) return complex_scalar(o, dtype);
    if (PyList_Check(o) || PyTuple_Check(o)) return mxp_from_sequence(o, dtype);
    mx_array *a = from_array_like(o);
    if (a) return mxp_cast(a, dtype);
    if (PyErr_Occurred()) return NULL;
    if (PyObject_CheckBuffer(o)) return mxp_from_buffer(o, dtype);
    return (mx_array *)invalid_type(o);
}

mx_array *mxp_to_array_weak(PyObject *o, mx_dtype other, const char *opname) {
    if (other == MX_DTYPE_NONE) {
        /* no array to take a dtype from: Python scalars get their defaults */
        if (PyList_Check(o) || PyTuple_Check(o)) goto bad;
        return mxp_to_array(o, MX_DTYPE_NONE);
    }
    if (PyBool_Check(o)) return bool_scalar(o == Py_True, other);
    if (PyLong_Check(o)) {
        mx_dtype t = other == MX_BOOL ? MX_INT32 : other;
        if (mx_dtype_is_integer(other) && mx_dtype_size(other) < 8) {
            /* MLX refuses a weak int that does not fit the array's dtype */
            int overflow;
            long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
            if (v == -1 && PyErr_Occurred()) return NULL;
            long long lo = 0, hi = 0;
            int bits = 8 * mx_dtype_size(t);
            if (mx_dtype_is_signed(t))
                lo = -(1LL << (bits - 1)), hi = (1LL << (bits - 1)) - 1;
            else
                hi = (long long)((1ULL << bits) - 1);
            if (overflow || v < lo || v > hi) {
                PyObject *s = PyObject_Str(o);
                if (s)
                    PyErr_Format(PyExc_ValueError, "Converting %U to %s would result in overflow.",
                                 s, mx_dtype_name(t));
                Py_XDECREF(s);
                return NULL;
            }
        }
        return int_scalar(o, t);
    }
    if (PyFloat_Check(o))
        return float_scalar(PyFloat_AS_DOUBLE(o), mx_dtype_is_floating(other) ? other : MX_FLOAT32);
    if (PyComplex_Check(o)) return complex_scalar(o, MX_DTYPE_NONE);
    mx_array *a = from_array_like(o);
    if (a || PyErr_Occurred()) return a;
    if (PyObject_CheckBuffer(o))
        return mxp_from_buffer(o, other); /* MLX casts NumPy operands to the array's dtype */
bad:
    if (o == Py_None) {
        PyErr_Format(PyExc_TypeError, "unsupported operand type for %s: 'NoneType'",
                     opname ? opname : "array");
        return NULL;
    }
    if (opname)
        PyErr_Format(PyExc_ValueError, "Cannot perform %s on an mlx.core.array and %s", opname,
                     Py_TYPE(o)->tp_name);
    else
        invalid_type(o);
    return NULL;
}

int mxp_to_arrays(PyObject *a, PyObject *b, mx_array **ra, mx_array **rb, const char *opname) {
    bool aa = mxp_is_array_like(a), ba = mxp_is_array_like(b);
    *ra = *rb = NULL;
    if (aa || !ba) {
        *ra = mxp_to_array_weak(a, MX_DTYPE_NONE, opname);
        if (!*ra) return -1;
        *rb = mxp_to_array_weak(b, aa ? mx_array_dtype(*ra) : MX_DTYPE_NONE, opname);
    } else {
        *rb = mxp_to_array_weak(b, MX_DTYPE_NONE, opname);
        if (!*rb) return -1;
        *ra = mxp_to_array_weak(a, mx_array_dtype(*rb), opname);
    }
    if (!*ra || !*rb) {
        mx_array_free(*ra);
        mx_array_free(*rb);
        *ra = *rb = NULL;
        return -1;
    }
    return 0;
}

/* ---- mx_array -> Python ---- */

PyObject *mxp_elem_to_py(mx_dtype t, const char *p) {
    switch (t) {
    case MX_BOOL:
        return PyBool_FromLong(*(const bool *)p);
    case MX_UINT8:
        return PyLong_FromUnsignedLong(*(const uint8_t *)p);
    case MX_UINT16:
        return PyLong_FromUnsignedLong(*(const uint16_t *)p);
    case MX_UINT32:
        return PyLong_FromUnsignedLong(*(const uint32_t *)p);
    case MX_UINT64:
        return PyLong_FromUnsignedLongLong(*(const uint64_t *)p);
    case MX_INT8:
        return PyLong_FromLong(*(const int8_t *)p);
    case MX_INT16:
        return PyLong_FromLong(*(const int16_t *)p);
    case MX_INT32:
        return PyLong_FromLong(*(const int32_t *)p);
    case MX_INT64:
        return PyLong_FromLongLong(*(const int64_t *)p);
    case MX_FLOAT16:
        return PyFloat_FromDouble(mx_half_to_float(*(const uint16_t *)p));
    case MX_BFLOAT16:
        return PyFloat_FromDouble(mx_bfloat16_to_float(*(const uint16_t *)p));
    case MX_FLOAT32:
        return PyFloat_FromDouble(*(const float *)p);
    case MX_FLOAT64:
        return PyFloat_FromDouble(*(const double *)p);
    case MX_COMPLEX64: {
        const mx_complex64 *c = (const mx_complex64 *)p;
        return PyComplex_FromDoubles(c->real, c->imag);
    }
    default:
        PyErr_SetString(PyExc_TypeError, "unsupported dtype");
        return NULL;
    }
}

/* Both below hold their own reference to `a` while the GIL is released, so
 * another thread replacing an array object's contents cannot free it. */
PyObject *mxp_item(mx_array *a) {
    if (mx_array_size(a) != 1) {
        PyErr_SetString(PyExc_ValueError,
                        "[convert] Only length-1 arrays can be converted to Python scalars.");
        return NULL;
    }
    a = mx_array_retain(a);
    PyObject *r = NULL;
    if (mxp_eval_nogil(a) == 0) {
        const char *p = mx_array_data(a);
        r = p ? mxp_elem_to_py(mx_array_dtype(a), p) : mxp_raise(mx_last_error_code());
    }
    mx_array_free(a);
    return r;
}

static PyObject *list_of(mx_array *a, const char *p, int dim) {
    const int32_t *shape = mx_array_shape(a);
    const int64_t *strides = mx_array_strides(a);
    mx_dtype t = mx_array_dtype(a);
    int64_t step = strides[dim] * mx_dtype_size(t);
    bool last = dim == mx_array_ndim(a) - 1;
    PyObject *list = PyList_New(shape[dim]);
    for (int32_t i = 0; list && i < shape[dim]; i++, p += step) {
        PyObject *v = last ? mxp_elem_to_py(t, p) : list_of(a, p, dim + 1);
        if (!v)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, v);
    }
    return list;
}

PyObject *mxp_tolist(mx_array *a) {
    if (mx_array_ndim(a) == 0) return mxp_item(a);
    a = mx_array_retain(a);
    PyObject *r = NULL;
    if (mxp_eval_nogil(a) == 0) {
        const char *p = mx_array_data(a);
        r = !p && mx_array_size(a) ? mxp_raise(mx_last_error_code()) : list_of(a, p, 0);
    }
    mx_array_free(a);
    return r;
}
