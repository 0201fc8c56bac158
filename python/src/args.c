/* Argument converters shared by the op callers: shapes, axes, dtypes,
 * streams, bools and ints. Each returns -1 with an exception set on bad
 * input. */
#include "cmlx_py.h"

#include <string.h>

bool mxp_is_intlike(PyObject *o) {
    if (PyBool_Check(o)) return false;
    if (PyLong_Check(o)) return true;
    if (mxp_is_array(o)) return mx_array_ndim(mxp_arr(o)) == 0;
    return PyIndex_Check(o);
}

static int index_value(PyObject *o, long long lo, long long hi, long long *out, const char *what) {
    PyObject *i = PyNumber_Index(o);
    if (!i) {
        PyErr_Format(PyExc_TypeError, "%s: expected integers, got %s", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(i, &overflow);
    Py_DECREF(i);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (overflow || v < lo || v > hi) {
        PyErr_Format(PyExc_ValueError, "%s: values must fit in 32-bit integers", what);
        return -1;
    }
    *out = v;
    return 0;
}

/* Reads an int or a sequence of ints into vals (room for MXP_MAX_NDIM). */
static int int_list(PyObject *o, long long *vals, const char *what) {
    if (mxp_is_intlike(o)) return index_value(o, INT32_MIN, INT32_MAX, vals, what) < 0 ? -1 : 1;
    if (PyUnicode_Check(o) || PyBytes_Check(o) || o == Py_None) {
        PyErr_Format(PyExc_TypeError, "%s must be an int or a sequence of ints, got %s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *seq = PySequence_Fast(o, "");
    if (!seq) {
        PyErr_Format(PyExc_TypeError, "%s must be an int or a sequence of ints, got %s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > MXP_MAX_NDIM) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "%s has more than %d entries", what, MXP_MAX_NDIM);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (index_value(PySequence_Fast_GET_ITEM(seq, i), INT32_MIN, INT32_MAX, &vals[i], what) <
            0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return (int)n;
}

int mxp_to_shape(PyObject *o, int32_t *dims, const char *what) {
    long long vals[MXP_MAX_NDIM];
    int n = int_list(o, vals, what);
    for (int i = 0; i < n; i++) dims[i] = (int32_t)vals[i];
    return n;
}

int mxp_to_axes(PyObject *o, int *axes, const char *what) {
    long long vals[MXP_MAX_NDIM];
    int n = int_list(o, vals, what);
    for (int i = 0; i < n; i++) axes[i] = (int)vals[i];
    return n;
}

int mxp_to_dtype(PyObject *o, mx_dtype *out, bool allow_none) {
    if (allow_none && o == Py_None) {
        *out = MX_DTYPE_NONE;
        return 0;
    }
    if (!PyObject_TypeCheck(o, &mxp_dtype_type)) {
        PyErr_Format(PyExc_TypeError, "dtype must be a Dtype%s, got %s",
                     allow_none ? " or None" : "", Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = ((mxp_dtype_object *)o)->dtype;
    return 0;
}

int mxp_to_stream(PyObject *o, mx_stream *buf, const mx_stream **ps) {
    if (o == NULL || o == Py_None) {
        *ps = NULL;
        return 0;
    }
    int is_stream = mxp_stream_of(o, buf);
    if (is_stream < 0) return -1;
    if (is_stream) {
        *ps = buf;
        return 0;
    }
    mx_device d;
    if (mxp_to_device(o, &d) < 0) {
        PyErr_Format(PyExc_TypeError,
                     "stream must be a Stream, a ThreadLocalStream, a Device or None, got %s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    int rc = mx_default_stream(buf, d);
    if (rc) return mxp_raise_int(rc);
    *ps = buf;
    return 0;
}

/* Strict like MLX's bindings: a bool (or a NumPy bool), not any truthy
 * object. */
int mxp_to_bool(PyObject *o, bool *out) {
    const char *tn = Py_TYPE(o)->tp_name;
    if (!PyBool_Check(o) && strcmp(tn, "numpy.bool_") != 0 && strcmp(tn, "numpy.bool") != 0) {
        PyErr_Format(PyExc_TypeError, "expected a bool, got %s", tn);
        return -1;
    }
    int v = PyObject_IsTrue(o);
    if (v < 0) return -1;
    *out = v;
    return 0;
}

int mxp_to_int(PyObject *o, int *out, const char *what) {
    long long v;
    if (index_value(o, INT32_MIN, INT32_MAX, &v, what) < 0) return -1;
    *out = (int)v;
    return 0;
}
