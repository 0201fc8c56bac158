/*
 * Trees of arrays as MLX sees them: lists, tuples and dicts, nested, with
 * arrays (and, loosely, any other object) as leaves. Tuple and list
 * subclasses count as their base; dicts are walked in insertion order.
 */
#include "cmlx_py.h"

#define MAX_DEPTH 1000

/* An argument a transform passes through untouched (not differentiated):
 * flattening sees no arrays in it and unflattening gives back the object
 * itself, so a Module or any dict subclass keeps its type and identity. */
typedef struct {
    PyObject_HEAD PyObject *inner;
} opaque_object;

static void opaque_dealloc(PyObject *self) {
    Py_XDECREF(((opaque_object *)self)->inner);
    Py_TYPE(self)->tp_free(self);
}

static PyTypeObject opaque_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core._Opaque",
    .tp_basicsize = sizeof(opaque_object),
    .tp_dealloc = opaque_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

PyObject *mxp_tree_opaque(PyObject *o) {
    if (!(opaque_type.tp_flags & Py_TPFLAGS_READY) && PyType_Ready(&opaque_type) < 0) return NULL;
    opaque_object *w = PyObject_New(opaque_object, &opaque_type);
    if (!w) return NULL;
    w->inner = Py_NewRef(o);
    return (PyObject *)w;
}

static int flatten(PyObject *o, mx_vec *v, bool strict, int depth) {
    if (depth > MAX_DEPTH) {
        PyErr_SetString(PyExc_RecursionError, "[tree_flatten] tree is too deep");
        return -1;
    }
    if (mxp_is_array(o)) {
        if (mx_vec_append(v, mxp_arr(o))) return mxp_raise_int(mx_last_error_code());
        return 0;
    }
    if (PyList_Check(o) || PyTuple_Check(o)) {
        /* a list may change under a callback; hold the items */
        PyObject *seq = PySequence_Tuple(o);
        if (!seq) return -1;
        int rc = 0;
        for (Py_ssize_t i = 0; !rc && i < PyTuple_GET_SIZE(seq); i++)
            rc = flatten(PyTuple_GET_ITEM(seq, i), v, strict, depth + 1);
        Py_DECREF(seq);
        return rc;
    }
    if (PyDict_Check(o)) {
        PyObject *values = PyDict_Values(o);
        if (!values) return -1;
        int rc = 0;
        for (Py_ssize_t i = 0; !rc && i < PyList_GET_SIZE(values); i++)
            rc = flatten(PyList_GET_ITEM(values, i), v, strict, depth + 1);
        Py_DECREF(values);
        return rc;
    }
    if (strict) {
        PyErr_SetString(PyExc_ValueError, "[tree_flatten] The argument should contain only arrays");
        return -1;
    }
    return 0;
}

int mxp_tree_flatten(PyObject *tree, mx_vec *v, bool strict) {
    return flatten(tree, v, strict, 0);
}

static PyObject *unflatten(PyObject *o, const mx_vec *vals, int *index, int depth) {
    if (depth > MAX_DEPTH) {
        PyErr_SetString(PyExc_RecursionError, "[tree_unflatten] tree is too deep");
        return NULL;
    }
    if (mxp_is_array(o)) {
        if (*index >= vals->size) {
            PyErr_SetString(PyExc_ValueError, "[tree_unflatten] Not enough arrays for the tree");
            return NULL;
        }
        return mxp_array_wrap(mx_array_retain(vals->data[(*index)++]));
    }
    if (Py_IS_TYPE(o, &opaque_type)) return Py_NewRef(((opaque_object *)o)->inner);
    bool is_list = PyList_Check(o);
    if (is_list || PyTuple_Check(o)) {
        PyObject *seq = PySequence_Tuple(o);
        if (!seq) return NULL;
        Py_ssize_t n = PyTuple_GET_SIZE(seq);
        PyObject *res = is_list ? PyList_New(n) : PyTuple_New(n);
        for (Py_ssize_t i = 0; res && i < n; i++) {
            PyObject *item = unflatten(PyTuple_GET_ITEM(seq, i), vals, index, depth + 1);
            if (!item) {
                Py_CLEAR(res);
                break;
            }
            if (is_list)
                PyList_SET_ITEM(res, i, item);
            else
                PyTuple_SET_ITEM(res, i, item);
        }
        Py_DECREF(seq);
        if (res && !is_list && !PyTuple_CheckExact(o)) {
            /* a tuple subclass keeps its type: a named tuple from its
             * fields, any other from the items */
            PyObject *t = res, *ty = (PyObject *)Py_TYPE(o);
            res = PyObject_HasAttrString(ty, "_fields") ? PyObject_Call(ty, t, NULL)
                                                        : PyObject_CallOneArg(ty, t);
            Py_DECREF(t);
        }
        return res;
    }
    if (PyDict_Check(o)) {
        PyObject *items = PyDict_Items(o);
        PyObject *res = items ? PyDict_New() : NULL;
        for (Py_ssize_t i = 0; res && i < PyList_GET_SIZE(items); i++) {
            PyObject *kv = PyList_GET_ITEM(items, i);
            PyObject *item = unflatten(PyTuple_GET_ITEM(kv, 1), vals, index, depth + 1);
            if (!item || PyDict_SetItem(res, PyTuple_GET_ITEM(kv, 0), item) < 0) Py_CLEAR(res);
            Py_XDECREF(item);
        }
        Py_XDECREF(items);
        return res;
    }
    return Py_NewRef(o);
}

PyObject *mxp_tree_unflatten(PyObject *tree, const mx_vec *vals, int *index) {
    return unflatten(tree, vals, index, 0);
}

/* Records (container, key, new item, old item) in undo. */
static int note_fill(PyObject *undo, PyObject *c, PyObject *key, PyObject *now, PyObject *old) {
    PyObject *t = PyTuple_Pack(4, c, key, now, old);
    int rc = t ? PyList_Append(undo, t) : -1;
    Py_XDECREF(t);
    return rc;
}

static PyObject *fill_in_place(PyObject *o, const mx_vec *vals, int *index, PyObject *undo,
                               int depth) {
    if (depth > MAX_DEPTH) {
        PyErr_SetString(PyExc_RecursionError, "[tree_unflatten] tree is too deep");
        return NULL;
    }
    if (mxp_is_array(o) || Py_IS_TYPE(o, &opaque_type) || PyTuple_Check(o)) {
        if (!PyTuple_Check(o)) return unflatten(o, vals, index, depth);
        Py_ssize_t n = PyTuple_GET_SIZE(o);
        PyObject *res = PyTuple_New(n);
        for (Py_ssize_t i = 0; res && i < n; i++) {
            PyObject *item = fill_in_place(PyTuple_GET_ITEM(o, i), vals, index, undo, depth + 1);
            if (!item)
                Py_CLEAR(res);
            else
                PyTuple_SET_ITEM(res, i, item);
        }
        if (res && !PyTuple_CheckExact(o)) {
            PyObject *t = res, *ty = (PyObject *)Py_TYPE(o);
            res = PyObject_HasAttrString(ty, "_fields") ? PyObject_Call(ty, t, NULL)
                                                        : PyObject_CallOneArg(ty, t);
            Py_DECREF(t);
        }
        return res;
    }
    if (PyList_Check(o)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(o); i++) {
            PyObject *old = Py_NewRef(PyList_GET_ITEM(o, i));
            PyObject *now = fill_in_place(old, vals, index, undo, depth + 1);
            PyObject *key = now && now != old ? PyLong_FromSsize_t(i) : NULL;
            int rc = !now ? -1 : now == old ? 0 : !key ? -1 : note_fill(undo, o, key, now, old);
            if (!rc && now != old) rc = PyList_SetItem(o, i, Py_NewRef(now));
            Py_XDECREF(key);
            Py_XDECREF(now);
            Py_DECREF(old);
            if (rc < 0) return NULL;
        }
        return Py_NewRef(o);
    }
    if (PyDict_Check(o)) {
        PyObject *items = PyDict_Items(o);
        for (Py_ssize_t i = 0; items && i < PyList_GET_SIZE(items); i++) {
            PyObject *kv = PyList_GET_ITEM(items, i), *key = PyTuple_GET_ITEM(kv, 0),
                     *old = PyTuple_GET_ITEM(kv, 1);
            PyObject *now = fill_in_place(old, vals, index, undo, depth + 1);
            int rc = !now ? -1 : now == old ? 0 : note_fill(undo, o, key, now, old);
            if (!rc && now != old) rc = PyDict_SetItem(o, key, now);
            Py_XDECREF(now);
            if (rc < 0) Py_CLEAR(items);
        }
        if (!items) return NULL;
        Py_DECREF(items);
        return Py_NewRef(o);
    }
    return Py_NewRef(o);
}

PyObject *mxp_tree_fill_in_place(PyObject *tree, const mx_vec *vals, int *index, PyObject *undo) {
    return fill_in_place(tree, vals, index, undo, 0);
}

int mxp_tree_undo_fill(PyObject *undo) {
    int rc = 0;
    for (Py_ssize_t k = PyList_GET_SIZE(undo) - 1; k >= 0; k--) {
        PyObject *t = PyList_GET_ITEM(undo, k);
        PyObject *c = PyTuple_GET_ITEM(t, 0), *key = PyTuple_GET_ITEM(t, 1),
                 *now = PyTuple_GET_ITEM(t, 2), *old = PyTuple_GET_ITEM(t, 3);
        PyObject *cur = PyObject_GetItem(c, key);
        if (!cur) {
            PyErr_Clear(); /* the function removed it: nothing to put back */
            continue;
        }
        if (cur == now && PyObject_SetItem(c, key, old) < 0) rc = -1;
        Py_DECREF(cur);
    }
    return rc;
}

PyObject *mxp_vec_to_list(const mx_vec *v) {
    PyObject *l = PyList_New(v->size);
    for (int i = 0; l && i < v->size; i++) {
        PyObject *a = mxp_array_wrap(mx_array_retain(v->data[i]));
        if (!a) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, a);
    }
    return l;
}
