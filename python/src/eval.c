/* eval and async_eval: collect the arrays of any trees of lists, tuples and
 * dicts (other leaves are ignored, as in MLX) and evaluate them with the GIL
 * released. */
#include "cmlx_py.h"

typedef struct {
    mx_array **v;
    size_t n, cap;
} array_vec;

static int push(array_vec *vec, mx_array *a) {
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? 2 * vec->cap : 16;
        mx_array **v = PyMem_Realloc(vec->v, cap * sizeof *v);
        if (!v) {
            PyErr_NoMemory();
            return -1;
        }
        vec->v = v;
        vec->cap = cap;
    }
    /* retained: another thread may replace an array object's contents while
     * the GIL is released */
    vec->v[vec->n++] = mx_array_retain(a);
    return 0;
}

static int collect(PyObject *o, array_vec *vec, int depth) {
    if (depth > 1000) {
        PyErr_SetString(PyExc_RecursionError, "eval: tree is too deep");
        return -1;
    }
    if (mxp_is_array(o)) return push(vec, mxp_arr(o));
    if (PyList_Check(o) || PyTuple_Check(o)) {
        PyObject *seq = PySequence_Fast(o, "");
        if (!seq) return -1;
        int rc = 0;
        for (Py_ssize_t i = 0; !rc && i < PySequence_Fast_GET_SIZE(seq); i++)
            rc = collect(PySequence_Fast_GET_ITEM(seq, i), vec, depth + 1);
        Py_DECREF(seq);
        return rc;
    }
    if (PyDict_Check(o)) {
        PyObject *key, *value;
        Py_ssize_t pos = 0;
        while (PyDict_Next(o, &pos, &key, &value))
            if (collect(value, vec, depth + 1) < 0) return -1;
    }
    return 0;
}

static PyObject *run(PyObject *args, bool wait) {
    array_vec vec = {NULL, 0, 0};
    PyObject *result = NULL;
    if (collect(args, &vec, 0) == 0) {
        result = mxp_eval_many(vec.v, vec.n, wait) < 0 ? NULL : Py_NewRef(Py_None);
    }
    for (size_t i = 0; i < vec.n; i++) mx_array_free(vec.v[i]);
    PyMem_Free(vec.v);
    return result;
}

PyObject *mxp_op_eval(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    return run(slots[0], true);
}

PyObject *mxp_op_async_eval(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    return run(slots[0], false);
}
