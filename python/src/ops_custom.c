/* Ops whose arguments need more than a generic kind: arange, with its two
 * call forms and MLX's dtype inference. */
#include "cmlx_py.h"

/* Reads a Python number; *is_int tells whether it was an integer. */
static int number(PyObject *o, const char *what, double *v, bool *is_int) {
    if (PyLong_Check(o) || (PyIndex_Check(o) && !PyFloat_Check(o) && !mxp_is_array(o))) {
        PyObject *i = PyNumber_Index(o);
        if (!i) return -1;
        *v = PyLong_AsDouble(i);
        Py_DECREF(i);
        *is_int = true;
        return *v == -1.0 && PyErr_Occurred() ? -1 : 0;
    }
    if (PyFloat_Check(o) || (!mxp_is_array(o) && PyNumber_Check(o) && !PyComplex_Check(o))) {
        *v = PyFloat_AsDouble(o);
        *is_int = false;
        return *v == -1.0 && PyErr_Occurred() ? -1 : 0;
    }
    PyErr_Format(PyExc_TypeError, "arange() %s must be an int or a float, not %s", what,
                 Py_TYPE(o)->tp_name);
    return -1;
}

PyObject *mxp_op_arange(PyObject *const *slots, const mx_stream *s) {
    PyObject *start = slots[0], *stop = slots[1], *step = slots[2];
    if (stop == Py_None) { /* arange(stop, step=None, dtype=None) */
        stop = start;
        start = NULL;
    } else if (start == Py_None) { /* arange(stop=5) */
        start = NULL;
    }
    if (stop == Py_None) {
        PyErr_SetString(PyExc_TypeError, "arange() missing required argument 'stop'");
        return NULL;
    }
    double v[3] = {0.0, 0.0, 1.0};
    bool is_int[3] = {true, true, true};
    PyObject *given[3] = {start, stop, step == Py_None ? NULL : step};
    const char *names[3] = {"start", "stop", "step"};
    bool all_int = true, big = false;
    for (int i = 0; i < 3; i++) {
        if (!given[i]) continue;
        if (number(given[i], names[i], &v[i], &is_int[i]) < 0) return NULL;
        all_int = all_int && is_int[i];
        big = big || v[i] > INT32_MAX || v[i] < INT32_MIN;
    }
    mx_dtype dtype;
    if (mxp_to_dtype(slots[3], &dtype, true) < 0) return NULL;
    if (dtype == MX_DTYPE_NONE) dtype = all_int ? (big ? MX_INT64 : MX_INT32) : MX_FLOAT32;
    mx_array *out = NULL;
    int rc = mx_arange(&out, v[0], v[1], v[2], dtype, s);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}
