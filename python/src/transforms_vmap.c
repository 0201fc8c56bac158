/* vmap over Python callables: in_axes and out_axes as prefix trees of the
 * arguments and outputs, checked and flattened as MLX does. */
#include "transforms.h"

#include <stdlib.h>
#include <string.h>

/* ---- vmap ---- */

static const char *prefix_msg = "[tree_map] Additional input tree is not a valid prefix of the "
                                "first tree.";

/* One axis for the array leaf x: None, an int, or (MLX accepts it) a tuple
 * holding one of those. */
static int leaf_axis(PyObject *x, PyObject *ax, bool output, int_vec *out, bool *tuple_seen) {
    if (PyTuple_Check(ax) && PyTuple_GET_SIZE(ax) == 1 &&
        (PyLong_Check(PyTuple_GET_ITEM(ax, 0)) || PyTuple_GET_ITEM(ax, 0) == Py_None)) {
        *tuple_seen = true;
        ax = PyTuple_GET_ITEM(ax, 0);
    }
    if (ax == Py_None) return mxp_int_push(out, MX_VMAP_NONE);
    if (!PyLong_Check(ax)) {
        PyErr_SetString(PyExc_ValueError, "[vmap] axis must be int or None.");
        return -1;
    }
    int overflow = 0;
    long a = PyLong_AsLongAndOverflow(ax, &overflow);
    if (a == -1 && PyErr_Occurred()) return -1;
    mx_array *arr = mxp_arr(x);
    int nd = mx_array_ndim(arr) + output;
    if (a < 0) a += nd;
    if (overflow || a < 0 || a >= nd) {
        char b[256];
        mxp_shape_str(b, sizeof b, arr);
        PyErr_Format(PyExc_IndexError,
                     "[vmap] Invalid%svectorization axis %ld for array with shape %s",
                     output ? " output " : " ", a, b);
        return -1;
    }
    return mxp_int_push(out, (int)a);
}

static int visit_axes(PyObject *tree, PyObject *axes, bool output, int_vec *out, bool *tuple_seen,
                      int depth) {
    if (depth > 1000) {
        PyErr_SetString(PyExc_RecursionError, "[vmap] tree is too deep");
        return -1;
    }
    bool axes_node = PyList_Check(axes) || PyTuple_Check(axes) || PyDict_Check(axes);
    if (PyList_Check(tree) || PyTuple_Check(tree)) {
        bool is_list = PyList_Check(tree);
        Py_ssize_t n = PySequence_Fast_GET_SIZE(tree);
        if (axes_node && ((is_list ? !PyList_Check(axes) : !PyTuple_Check(axes)) ||
                          PySequence_Fast_GET_SIZE(axes) != n)) {
            PyErr_SetString(PyExc_ValueError, prefix_msg);
            return -1;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *sub = axes_node ? PySequence_Fast_GET_ITEM(axes, i) : axes;
            if (visit_axes(PySequence_Fast_GET_ITEM(tree, i), sub, output, out, tuple_seen,
                           depth + 1) < 0)
                return -1;
        }
        return 0;
    }
    if (PyDict_Check(tree)) {
        if (axes_node && (!PyDict_Check(axes) || PyDict_GET_SIZE(axes) != PyDict_GET_SIZE(tree))) {
            PyErr_SetString(PyExc_ValueError, prefix_msg);
            return -1;
        }
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(tree, &pos, &k, &v)) {
            PyObject *sub = axes;
            if (axes_node) {
                sub = PyDict_GetItemWithError(axes, k);
                if (!sub) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_ValueError, "[tree_visit] Tree is not a valid "
                                                          "prefix tree of the first tree.");
                    return -1;
                }
            }
            if (visit_axes(v, sub, output, out, tuple_seen, depth + 1) < 0) return -1;
        }
        return 0;
    }
    if (!mxp_is_array(tree)) {
        PyErr_SetString(PyExc_ValueError, "[vmap] The arguments should contain only arrays");
        return -1;
    }
    return leaf_axis(tree, axes, output, out, tuple_seen);
}

static int axes_to_flat(PyObject *tree, PyObject *axes, bool output, int_vec *out) {
    bool tuple_seen = false;
    if (visit_axes(tree, axes, output, out, &tuple_seen, 0) < 0) return -1;
    if (tuple_seen && !mxp_is_array(tree)) {
        PyErr_SetString(PyExc_ValueError, "[vmap] axis must be int or None.");
        return -1;
    }
    return 0;
}

PyObject *mxp_call_vmap(tfn_object *t, PyObject *args, PyObject *kwargs) {
    if (kwargs && PyDict_GET_SIZE(kwargs) > 0) {
        PyErr_SetString(PyExc_TypeError, "[vmap] Keyword arguments are not supported.");
        return NULL;
    }
    mx_vec inputs = {0}, outs = {0}, res = {0};
    int_vec in_ax = {0}, out_ax = {0};
    mx_closure *c = NULL, *vc = NULL;
    PyObject *outbox = NULL, *result = NULL;
    if (mxp_tree_flatten(args, &inputs, true) < 0) goto done;
    PyObject *tree = PyTuple_GET_SIZE(args) == 1 ? PyTuple_GET_ITEM(args, 0) : args;
    if (axes_to_flat(tree, t->in_axes, false, &in_ax) < 0) goto done;
    int32_t size = -1;
    for (int i = 0; i < in_ax.n; i++) {
        if (in_ax.v[i] == MX_VMAP_NONE) continue;
        int32_t d = mx_array_dim(inputs.data[i], in_ax.v[i]);
        if (size >= 0 && d != size) {
            PyErr_Format(PyExc_ValueError, "[vmap] Inconsistent axis sizes: %d and %d.", (int)size,
                         (int)d);
            goto done;
        }
        size = d;
    }
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "At least one of in_axes must be non-None.");
        goto done;
    }
    outbox = mxp_new_outbox();
    if (!outbox) goto done;
    c = mxp_pyfn_new(t->fun, args, NULL, outbox, CALL_TREE, OUT_STRICT, 0, "[vmap]", NULL);
    if (!c) goto done;
    int zero = 0, rc = mx_vmap_report(&vc, c, in_ax.v, in_ax.n, &zero, 1);
    mxp_drop_pending();
    if (!rc) rc = mx_closure_apply(vc, &outs, &inputs);
    if (rc) {
        mxp_raise_pending(rc);
        goto done;
    }
    mxp_drop_pending();
    PyObject *out_tree = PyList_GET_ITEM(outbox, 0);
    if (axes_to_flat(out_tree, t->out_axes, true, &out_ax) < 0) goto done;
    int n_outs = outs.size / 2; /* then whether each is mapped */
    for (int j = 0; j < n_outs; j++) {
        bool mapped = false;
        if (out_ax.v[j] != MX_VMAP_NONE) continue;
        if ((rc = mx_array_copy_to(outs.data[n_outs + j], &mapped, sizeof mapped)) != MX_OK) {
            mxp_raise(rc);
            goto done;
        }
        if (mapped) {
            /* MLX refuses it (with "Axis -1 invalid for output ...") */
            PyErr_Format(PyExc_ValueError,
                         "[vmap] out_axes is None for output %d, which depends on a mapped "
                         "input; None is only for outputs that are the same for every slice.",
                         j);
            goto done;
        }
    }
    for (int j = 0; j < n_outs; j++) {
        /* the mapped axis comes back first; None puts it last, as MLX does
         * for outputs that do not depend on a mapped input */
        int to = out_ax.v[j] == MX_VMAP_NONE ? mx_array_ndim(outs.data[j]) - 1 : out_ax.v[j];
        mx_array *r = NULL;
        rc = to == 0 ? mx_vec_append(&res, outs.data[j])
                     : mx_moveaxis(&r, outs.data[j], 0, to, NULL);
        if (!rc && r) rc = mx_vec_push(&res, r);
        if (rc) {
            mxp_raise(rc);
            goto done;
        }
    }
    int ri = 0;
    result = mxp_tree_unflatten(out_tree, &res, &ri);
done:
    mx_closure_free(vc);
    mx_closure_free(c);
    mx_vec_clear(&inputs);
    mx_vec_clear(&outs);
    mx_vec_clear(&res);
    free(in_ax.v);
    free(out_ax.v);
    Py_XDECREF(outbox);
    return result;
}

PyObject *mxp_vmap(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    static char *kwlist[] = {"fun", "in_axes", "out_axes", NULL};
    PyObject *fun, *in_axes = NULL, *out_axes = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OO:vmap", kwlist, &fun, &in_axes, &out_axes))
        return NULL;
    if (mxp_check_callable(fun, "vmap") < 0) return NULL;
    if (in_axes == Py_None || out_axes == Py_None) {
        PyErr_Format(PyExc_TypeError,
                     "vmap(): incompatible function arguments: %s must not be None",
                     in_axes == Py_None ? "in_axes" : "out_axes");
        return NULL;
    }
    tfn_object *t = mxp_tfn_new(T_VMAP, fun);
    if (!t) return NULL;
    PyObject *zero = PyLong_FromLong(0);
    if (!zero) {
        Py_DECREF(t);
        return NULL;
    }
    t->in_axes = Py_NewRef(in_axes ? in_axes : zero);
    t->out_axes = Py_NewRef(out_axes ? out_axes : zero);
    Py_DECREF(zero);
    return (PyObject *)t;
}
