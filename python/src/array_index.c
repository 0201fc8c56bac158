/*
 * Basic indexing: a[i], a[start:stop:step] (negative steps too), None and
 * Ellipsis, and tuples of them, as views through mx_slice and mx_reshape;
 * len() and iteration over the first axis. Advanced indexing (arrays and
 * lists as indices) comes with the gather ops.
 */
#include "cmlx_py.h"

#include <string.h>

static Py_ssize_t array_length(PyObject *self) {
    mx_array *a = mxp_arr(self);
    if (mx_array_ndim(a) == 0) {
        PyErr_SetString(PyExc_TypeError, "len() 0-dimensional array.");
        return -1;
    }
    return mx_array_shape(a)[0];
}

static int32_t clamp32(Py_ssize_t v) {
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

static bool is_int_index(PyObject *o) {
    return mxp_is_intlike(o) &&
           !(mxp_is_array(o) && !mx_dtype_is_integer(mx_array_dtype(mxp_arr(o))));
}

static PyObject *bad_index(void) {
    PyErr_SetString(PyExc_ValueError,
                    "Cannot index mlx array using the given type (only ints, slices, None and "
                    "Ellipsis are supported so far).");
    return NULL;
}

/* a[key] for basic keys. */
static mx_array *basic_index(mx_array *a, PyObject *key) {
    PyObject *items_buf[1] = {key};
    PyObject *const *items = items_buf;
    Py_ssize_t n = 1;
    if (PyTuple_Check(key)) {
        items = &PyTuple_GET_ITEM(key, 0);
        n = PyTuple_GET_SIZE(key);
    }
    int nd = mx_array_ndim(a);
    const int32_t *shape = mx_array_shape(a);
    /* count the entries that consume an axis */
    int consumed = 0, ellipses = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *k = items[i];
        if (k == Py_Ellipsis)
            ellipses++;
        else if (k == Py_None)
            continue;
        else if (PySlice_Check(k) || is_int_index(k))
            consumed++;
        else
            return (mx_array *)bad_index();
    }
    if (ellipses > 1) {
        PyErr_SetString(PyExc_ValueError, "An index can only have a single ellipsis (...)");
        return NULL;
    }
    if (consumed > nd) {
        if (nd == 0)
            PyErr_SetString(PyExc_ValueError, "too many indices for array: array is 0-dimensional");
        else
            PyErr_Format(PyExc_ValueError, "Too many indices for array with %d dimensions.", nd);
        return NULL;
    }
    int32_t start[MXP_MAX_NDIM], stop[MXP_MAX_NDIM], step[MXP_MAX_NDIM];
    int32_t out_shape[MXP_MAX_NDIM * 2];
    int out_nd = 0, axis = 0;
    bool sliced = false;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *k = items[i];
        if (k == Py_None) {
            if (out_nd == MXP_MAX_NDIM) goto too_many;
            out_shape[out_nd++] = 1;
        } else if (k == Py_Ellipsis) {
            for (int j = 0; j < nd - consumed; j++, axis++) {
                start[axis] = 0, stop[axis] = shape[axis], step[axis] = 1;
                if (out_nd == MXP_MAX_NDIM) goto too_many;
                out_shape[out_nd++] = shape[axis];
            }
        } else if (PySlice_Check(k)) {
            Py_ssize_t b, e, s;
            if (PySlice_Unpack(k, &b, &e, &s) < 0) return NULL;
            start[axis] = clamp32(b), stop[axis] = clamp32(e), step[axis] = clamp32(s);
            Py_ssize_t len = PySlice_AdjustIndices(shape[axis], &b, &e, s);
            if (out_nd == MXP_MAX_NDIM) goto too_many;
            out_shape[out_nd++] = (int32_t)len;
            sliced = true;
            axis++;
        } else {
            PyObject *iv = PyNumber_Index(k);
            if (!iv) return NULL;
            Py_ssize_t v = PyLong_AsSsize_t(iv);
            Py_DECREF(iv);
            if (v == -1 && PyErr_Occurred()) return NULL;
            Py_ssize_t dim = shape[axis];
            if (v < -dim || v >= dim) {
                PyErr_Format(PyExc_IndexError,
                             "index %zd is out of bounds for axis %d with size %zd", v, axis, dim);
                return NULL;
            }
            if (v < 0) v += dim;
            start[axis] = (int32_t)v, stop[axis] = (int32_t)v + 1, step[axis] = 1;
            sliced = true;
            axis++;
        }
    }
    for (; axis < nd; axis++) { /* axes the key did not reach */
        start[axis] = 0, stop[axis] = shape[axis], step[axis] = 1;
        if (out_nd == MXP_MAX_NDIM) goto too_many;
        out_shape[out_nd++] = shape[axis];
    }
    mx_array *cur = mx_array_retain(a), *next = NULL;
    int rc = 0;
    if (sliced) {
        rc = mx_slice(&next, cur, start, stop, step, nd, NULL);
        mx_array_free(cur);
        cur = next;
    }
    if (!rc) {
        next = NULL;
        rc = mx_reshape(&next, cur, out_shape, out_nd, NULL);
        mx_array_free(cur);
        cur = next;
    }
    if (rc) return (mx_array *)mxp_raise(rc);
    return cur;
too_many:
    PyErr_Format(PyExc_ValueError, "arrays have at most %d dimensions", MXP_MAX_NDIM);
    return NULL;
}

PyObject *mxp_array_subscript(PyObject *self, PyObject *key) {
    return mxp_array_wrap(basic_index(mxp_arr(self), key));
}

PyMappingMethods mxp_array_as_mapping = {
    .mp_length = array_length,
    .mp_subscript = mxp_array_subscript,
};

/* ---- iteration over the first axis ---- */

typedef struct {
    PyObject_HEAD mx_array *arr;
    int32_t index, n;
} array_iterator;

PyObject *mxp_array_iter(PyObject *self) {
    mx_array *a = mxp_arr(self);
    if (mx_array_ndim(a) == 0) {
        PyErr_SetString(PyExc_TypeError, "iter() 0-dimensional array.");
        return NULL;
    }
    array_iterator *it = PyObject_New(array_iterator, &mxp_array_iterator_type);
    if (!it) return NULL;
    it->arr = mx_array_retain(a);
    it->index = 0;
    it->n = mx_array_shape(a)[0];
    return (PyObject *)it;
}

static PyObject *iter_next(PyObject *self) {
    array_iterator *it = (array_iterator *)self;
    if (it->index >= it->n) return NULL;
    mx_array *a = it->arr;
    int nd = mx_array_ndim(a);
    const int32_t *shape = mx_array_shape(a);
    int32_t start[MXP_MAX_NDIM], stop[MXP_MAX_NDIM];
    memset(start, 0, sizeof start);
    memcpy(stop, shape, (size_t)nd * sizeof *stop);
    start[0] = it->index, stop[0] = it->index + 1;
    it->index++;
    mx_array *row = NULL, *out = NULL;
    int rc = mx_slice(&row, a, start, stop, NULL, nd, NULL);
    if (!rc) rc = mx_reshape(&out, row, shape + 1, nd - 1, NULL);
    mx_array_free(row);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

static void iter_dealloc(PyObject *self) {
    mx_array_free(((array_iterator *)self)->arr);
    PyObject_Free(self);
}

PyTypeObject mxp_array_iterator_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.ArrayIterator",
    .tp_basicsize = sizeof(array_iterator),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A helper object to iterate over the first dimension of an array.",
    .tp_dealloc = iter_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = iter_next,
};
