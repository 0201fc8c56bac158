/*
 * Signature kinds over several arrays: lists of arrays in (concatenate,
 * stack, broadcast_arrays, meshgrid, atleast_*) and several arrays out
 * (split, unstack, divmod). See kinds.c for the scheme.
 */
#include "cmlx_py.h"
#include "kinds.h"

/* ---- lists of arrays ---- */

PyObject *mxk_call_arrays_axis(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0, n;
    bool given;
    if (mxk_opt_axis(slots[1], &axis, &given) < 0) return NULL;
    if (!given && !op->fn.arrays_axis.flat) {
        PyErr_Format(PyExc_TypeError, "%s: axis must be an int", op->name);
        return NULL;
    }
    mx_array **v, *out = NULL;
    if (mxk_arrays_from(slots[0], &v, &n, "arrays") < 0) return NULL;
    int rc = given ? op->fn.arrays_axis.axis(&out, (const mx_array *const *)v, n, axis, s)
                   : op->fn.arrays_axis.flat(&out, (const mx_array *const *)v, n, s);
    mxk_free_arrays(v, n);
    return mxk_result(rc, out);
}

/* n results of a multi-output call into a list/tuple; outs has n slots. */
static PyObject *multi(const mxp_op *op, int rc, mx_array **outs, int n) {
    if (rc) {
        PyMem_Free(outs);
        return mxp_raise(rc);
    }
    PyObject *r = mxk_results(op, outs, n);
    PyMem_Free(outs);
    return r;
}

static mx_array **new_outs(int n) {
    mx_array **outs = PyMem_Calloc(n > 0 ? (size_t)n : 1, sizeof *outs);
    if (!outs) PyErr_NoMemory();
    return outs;
}

PyObject *mxk_call_arrays_multi(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int n;
    mx_array **v;
    if (mxk_arrays_from(slots[0], &v, &n, "arrays") < 0) return NULL;
    mx_array **outs = new_outs(n);
    if (!outs) {
        mxk_free_arrays(v, n);
        return NULL;
    }
    int rc = op->fn.arrays_multi(outs, (const mx_array *const *)v, n, s);
    mxk_free_arrays(v, n);
    return multi(op, rc, outs, n);
}

/* atleast_Nd(*arys): one array for one argument, a list for several. */
PyObject *mxk_call_varargs_unary(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    Py_ssize_t n = PyTuple_GET_SIZE(slots[0]);
    if (n == 1) {
        PyObject *one[] = {PyTuple_GET_ITEM(slots[0], 0)};
        return mxk_call_unary(op, one, s);
    }
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list && i < n; i++) {
        PyObject *one[] = {PyTuple_GET_ITEM(slots[0], i)};
        PyObject *r = mxk_call_unary(op, one, s);
        if (!r) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, r);
    }
    return list;
}

PyObject *mxk_call_meshgrid(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool sparse;
    const char *indexing = mxk_to_str(slots[2], "indexing");
    if (!indexing || mxp_to_bool(slots[1], &sparse) < 0) return NULL;
    int n;
    mx_array **v;
    if (mxk_arrays_from(slots[0], &v, &n, "arrays") < 0) return NULL;
    mx_array **outs = new_outs(n);
    if (!outs) {
        mxk_free_arrays(v, n);
        return NULL;
    }
    int rc = op->fn.meshgrid(outs, (const mx_array *const *)v, n, sparse, indexing, s);
    mxk_free_arrays(v, n);
    return multi(op, rc, outs, n);
}

PyObject *mxk_call_unstack(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis;
    if (mxp_to_int(slots[1], &axis, "axis") < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]);
    if (!a) return NULL;
    int nd = mx_array_ndim(a), ax = axis < 0 ? axis + nd : axis;
    int n = ax >= 0 && ax < nd ? mx_array_shape(a)[ax] : 0;
    mx_array **outs = new_outs(n);
    int rc = outs ? op->fn.unstack(outs, n, a, axis, s) : 0;
    mx_array_free(a);
    return outs ? multi(op, rc, outs, n) : NULL;
}

PyObject *mxk_call_split(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis, sections = 0, n;
    int32_t idx[MXP_MAX_NDIM], *indices = idx;
    bool by_sections = mxp_is_intlike(slots[1]);
    if (mxp_to_int(slots[2], &axis, "axis") < 0) return NULL;
    if (by_sections) {
        if (mxp_to_int(slots[1], &sections, "indices_or_sections") < 0) return NULL;
        n = sections > 0 ? sections : 0;
    } else {
        PyObject *seq = PySequence_Check(slots[1]) && !PyUnicode_Check(slots[1])
                            ? PySequence_Fast(slots[1], "")
                            : NULL;
        if (!seq) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "split: indices_or_sections must be an int or a sequence of ints, got %s",
                         Py_TYPE(slots[1])->tp_name);
            return NULL;
        }
        Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
        if (len > MXP_MAX_NDIM) indices = PyMem_Calloc((size_t)len, sizeof *indices);
        for (Py_ssize_t i = 0; indices && i < len; i++) {
            int v;
            if (mxp_to_int(PySequence_Fast_GET_ITEM(seq, i), &v, "indices_or_sections") < 0) {
                if (indices != idx) PyMem_Free(indices);
                Py_DECREF(seq);
                return NULL;
            }
            indices[i] = v;
        }
        Py_DECREF(seq);
        if (!indices) return PyErr_NoMemory();
        n = (int)len + 1;
    }
    mx_array *a = mxk_arr(slots[0]);
    mx_array **outs = a ? new_outs(n) : NULL;
    int rc = 0;
    if (outs)
        rc = by_sections ? op->fn.split.sections(outs, a, sections, axis, s)
                         : op->fn.split.indices(outs, a, indices, n - 1, axis, s);
    if (indices != idx) PyMem_Free(indices);
    mx_array_free(a);
    return outs ? multi(op, rc, outs, n) : NULL;
}

PyObject *mxk_call_binary_pair(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *a, *b;
    if (mxp_to_arrays(slots[0], slots[1], &a, &b, NULL) < 0) return NULL;
    mx_array **outs = new_outs(2);
    int rc = outs ? op->fn.binary_pair(&outs[0], &outs[1], a, b, s) : 0;
    mx_array_free(a);
    mx_array_free(b);
    return outs ? multi(op, rc, outs, 2) : NULL;
}
