/* Ops whose arguments or results need more than a generic kind: arange,
 * with its two call forms and MLX's dtype inference; broadcast_shapes;
 * depends; einsum_path, which returns Python values rather than arrays. */
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

/* broadcast_shapes(*shapes) -> tuple */
PyObject *mxp_op_broadcast_shapes(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    PyObject *args = slots[0];
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "[broadcast_shapes] Must provide at least one shape.");
        return NULL;
    }
    if (n > INT32_MAX) return PyErr_NoMemory();
    int32_t *dims = PyMem_Calloc((size_t)n * MXP_MAX_NDIM, sizeof *dims);
    const int32_t **shapes = PyMem_Calloc((size_t)n, sizeof *shapes);
    int *ndims = PyMem_Calloc((size_t)n, sizeof *ndims);
    PyObject *r = NULL;
    if (!dims || !shapes || !ndims) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyTuple_GET_ITEM(args, i);
        if (mxp_is_intlike(o)) { /* MLX takes sequences only */
            PyErr_Format(PyExc_TypeError, "broadcast_shapes: shapes must be sequences, got %s",
                         Py_TYPE(o)->tp_name);
            goto done;
        }
        shapes[i] = dims + i * MXP_MAX_NDIM;
        if ((ndims[i] = mxp_to_shape(o, dims + i * MXP_MAX_NDIM, "shape")) < 0) goto done;
    }
    int32_t out[MXP_MAX_NDIM];
    int nd;
    int rc = mx_broadcast_shapes(out, &nd, shapes, ndims, (int)n);
    if (rc) {
        mxp_raise(rc);
        goto done;
    }
    r = PyTuple_New(nd);
    for (int i = 0; r && i < nd; i++) {
        PyObject *v = PyLong_FromLong(out[i]);
        if (!v)
            Py_CLEAR(r);
        else
            PyTuple_SET_ITEM(r, i, v);
    }
done:
    PyMem_Free(dims);
    PyMem_Free((void *)shapes);
    PyMem_Free(ndims);
    return r;
}

/* Arrays of an array or a sequence of arrays (*single says which). */
static mx_array **array_list(PyObject *o, int *n, bool *single) {
    *single = mxp_is_array(o);
    PyObject *seq =
        *single ? NULL : PySequence_Fast(o, "depends: expected an array or a sequence of arrays");
    if (!*single && !seq) return NULL;
    Py_ssize_t len = *single ? 1 : PySequence_Fast_GET_SIZE(seq);
    mx_array **v = PyMem_Calloc(len ? (size_t)len : 1, sizeof *v);
    if (!v) {
        Py_XDECREF(seq);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *item = *single ? o : PySequence_Fast_GET_ITEM(seq, i);
        if (!mxp_is_array(item)) {
            PyErr_Format(PyExc_TypeError, "depends: expected arrays, got %s",
                         Py_TYPE(item)->tp_name);
            PyMem_Free(v);
            Py_XDECREF(seq);
            return NULL;
        }
        v[i] = mxp_arr(item);
    }
    Py_XDECREF(seq);
    *n = (int)len;
    return v;
}

/* depends(inputs, dependencies): an array for an array, else a list. */
PyObject *mxp_op_depends(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    int n, nd;
    bool single, dsingle;
    mx_array **in = array_list(slots[0], &n, &single);
    if (!in) return NULL;
    mx_array **deps = array_list(slots[1], &nd, &dsingle);
    mx_array **outs = deps ? PyMem_Calloc(n ? (size_t)n : 1, sizeof *outs) : NULL;
    PyObject *r = NULL;
    if (deps && !outs) PyErr_NoMemory();
    if (outs) {
        int rc =
            mx_depends(outs, (const mx_array *const *)in, n, (const mx_array *const *)deps, nd);
        if (rc)
            mxp_raise(rc);
        else if (single)
            r = mxp_array_wrap(outs[0]);
        else {
            r = PyList_New(n);
            for (int i = 0; i < n; i++) {
                PyObject *a = r ? mxp_array_wrap(outs[i]) : NULL;
                if (!r)
                    mx_array_free(outs[i]);
                else if (!a)
                    Py_CLEAR(r);
                else
                    PyList_SET_ITEM(r, i, a);
            }
        }
    }
    PyMem_Free(in);
    PyMem_Free(deps);
    PyMem_Free(outs);
    return r;
}

/* einsum_path(subscripts, *operands): MLX returns the path as a list of
 * tuples of positions and a text summary, not arrays. */
PyObject *mxp_op_einsum_path(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    if (!PyUnicode_Check(slots[0])) {
        PyErr_Format(PyExc_TypeError, "einsum_path: subscripts must be a str, got %s",
                     Py_TYPE(slots[0])->tp_name);
        return NULL;
    }
    const char *subscripts = PyUnicode_AsUTF8(slots[0]);
    if (!subscripts) return NULL;
    Py_ssize_t len = PyTuple_GET_SIZE(slots[1]);
    int n = len > 64 ? 65 : (int)len; /* more than the C limit: let it refuse */
    mx_array *ops[65] = {NULL};
    int path[130], sizes[65], nsteps = 0;
    char text[1024];
    PyObject *result = NULL;
    for (int i = 0; i < n; i++)
        if (!(ops[i] = mxp_to_array(PyTuple_GET_ITEM(slots[1], i), MX_DTYPE_NONE))) goto done;
    int rc = mx_einsum_path(path, sizes, &nsteps, text, sizeof text, subscripts,
                            (const mx_array *const *)ops, n);
    if (rc) {
        mxp_raise(rc);
        goto done;
    }
    PyObject *steps = PyList_New(nsteps);
    for (int i = 0, w = 0; steps && i < nsteps; i++) {
        PyObject *t = PyTuple_New(sizes[i]);
        for (int k = 0; t && k < sizes[i]; k++) {
            PyObject *v = PyLong_FromLong(path[w + k]);
            if (!v)
                Py_CLEAR(t);
            else
                PyTuple_SET_ITEM(t, k, v);
        }
        w += sizes[i];
        if (!t)
            Py_CLEAR(steps);
        else
            PyList_SET_ITEM(steps, i, t);
    }
    if (steps) result = Py_BuildValue("(Ns)", steps, text);
done:
    for (int i = 0; i < n; i++) mx_array_free(ops[i]);
    return result;
}
