/*
 * Function transforms over Python callables: what grad, value_and_grad,
 * vjp, jvp (transforms_grad.c), vmap (transforms_vmap.c), checkpoint and
 * custom_function (transforms_custom.c) share, and their registration.
 *
 * A transform is handed a C closure (pyfn) whose payload holds the Python
 * callable and the trees of its arguments as templates: applying it puts
 * the closure's input arrays into copies of the templates, calls Python and
 * flattens what comes back, keeping the returned object so that the
 * transform's results can be put back into the same tree. The GIL is held
 * throughout (the transforms call the closure on the calling thread).
 *
 * An exception raised by the Python function is stashed (per thread) and
 * the closure returns an error status; the transform unwinds and the
 * exception is restored unchanged for the caller. Transforms nest: an inner
 * transform's exception is re-raised into Python, caught by the outer
 * closure and stashed again.
 */
#include "transforms.h"

#include <stdlib.h>
#include <string.h>
/* ---- the pending exception ---- */

#if PY_VERSION_HEX >= 0x030C0000
static _Thread_local PyObject *pending;

static void stash_exception(void) {
    Py_XDECREF(pending);
    pending = PyErr_GetRaisedException();
}

static bool restore_pending(void) {
    if (!pending) return false;
    PyErr_SetRaisedException(pending);
    pending = NULL;
    return true;
}

void mxp_drop_pending(void) {
    Py_CLEAR(pending);
}
#else
static _Thread_local PyObject *pending_type, *pending_value, *pending_tb;

static void stash_exception(void) {
    Py_XDECREF(pending_type);
    Py_XDECREF(pending_value);
    Py_XDECREF(pending_tb);
    PyErr_Fetch(&pending_type, &pending_value, &pending_tb);
}

static bool restore_pending(void) {
    if (!pending_type) return false;
    PyErr_Restore(pending_type, pending_value, pending_tb);
    pending_type = pending_value = pending_tb = NULL;
    return true;
}

void mxp_drop_pending(void) {
    Py_CLEAR(pending_type);
    Py_CLEAR(pending_value);
    Py_CLEAR(pending_tb);
}
#endif

void mxp_stash_exception(void) {
    stash_exception();
}

/* After a C transform failed: the Python exception that caused it, or one
 * made from the status. Returns NULL. */
PyObject *mxp_raise_pending(int rc) {
    if (restore_pending()) {
        mx_clear_error();
        return NULL;
    }
    return mxp_raise(rc);
}
/* ---- small helpers ---- */

void mxp_shape_str(char *buf, size_t len, const mx_array *a) {
    int nd = mx_array_ndim(a);
    const int32_t *sh = mx_array_shape(a);
    size_t k = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < nd && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ",%d" : "%d", (int)sh[i]);
    if (k < len) snprintf(buf + k, len - k, ")");
}

int mxp_check_callable(PyObject *fun, const char *fname) {
    if (PyCallable_Check(fun)) return 0;
    PyErr_Format(PyExc_TypeError,
                 "%s(): incompatible function arguments: fun must be callable, got %s", fname,
                 mxp_type_name(fun));
    return -1;
}
/* ---- the closure calling Python ---- */

static void pyfn_free(void *payload) {
    pyfn *p = payload;
    if (Py_IsInitialized()) {
        /* the last reference may go on a thread without the GIL (a graph
         * node holding a custom function, freed after eval) */
        PyGILState_STATE g = PyGILState_Ensure();
        Py_XDECREF(p->fun);
        Py_XDECREF(p->args);
        Py_XDECREF(p->kwargs);
        Py_XDECREF(p->outbox);
        PyGILState_Release(g);
    }
    free(p);
}

/* A tree of the inputs from *index on, shaped as tmpl. */
static PyObject *fill(PyObject *tmpl, const mx_vec *inputs, int *index) {
    return mxp_tree_unflatten(tmpl, inputs, index);
}

/* args[0] when there is one argument, else the tuple (MLX's convention for
 * the custom transforms' primals). */
static PyObject *single_or_tuple(PyObject *t) {
    if (PyTuple_GET_SIZE(t) == 1) return Py_NewRef(PyTuple_GET_ITEM(t, 0));
    return Py_NewRef(t);
}

/* The tree of axes a custom vmap rule sees: each 0-d axis array as an int,
 * or None for -1. */
static PyObject *axes_of(PyObject *o, int depth) {
    if (depth > 1000) {
        PyErr_SetString(PyExc_RecursionError, "[custom vmap] tree is too deep");
        return NULL;
    }
    if (mxp_is_array(o)) {
        PyObject *v = mxp_item(mxp_arr(o));
        if (!v) return NULL;
        long ax = PyLong_AsLong(v);
        Py_DECREF(v);
        if (ax == -1 && PyErr_Occurred()) return NULL;
        return ax < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(ax);
    }
    bool list = PyList_Check(o);
    if (list || PyTuple_Check(o)) {
        Py_ssize_t n = PySequence_Size(o);
        PyObject *r = list ? PyList_New(n) : PyTuple_New(n);
        for (Py_ssize_t k = 0; r && k < n; k++) {
            PyObject *it = PySequence_GetItem(o, k);
            PyObject *v = it ? axes_of(it, depth + 1) : NULL;
            Py_XDECREF(it);
            if (!v) {
                Py_CLEAR(r);
                break;
            }
            if (list)
                PyList_SET_ITEM(r, k, v);
            else
                PyTuple_SET_ITEM(r, k, v);
        }
        return r;
    }
    if (PyDict_Check(o)) {
        PyObject *r = PyDict_New(), *k, *v;
        Py_ssize_t pos = 0;
        while (r && PyDict_Next(o, &pos, &k, &v)) {
            PyObject *a = axes_of(v, depth + 1);
            if (!a || PyDict_SetItem(r, k, a) < 0) Py_CLEAR(r);
            Py_XDECREF(a);
        }
        return r;
    }
    return Py_NewRef(o);
}

/* The leaves of a custom vmap rule's out_axes: ints or None, in order. */
static int flatten_axes(PyObject *o, PyObject *into, int depth) {
    if (depth > 1000) {
        PyErr_SetString(PyExc_RecursionError, "[custom vmap] tree is too deep");
        return -1;
    }
    if (o == Py_None || PyLong_Check(o)) return PyList_Append(into, o);
    if (PyList_Check(o) || PyTuple_Check(o)) {
        for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(o); k++)
            if (flatten_axes(PySequence_Fast_GET_ITEM(o, k), into, depth + 1) < 0) return -1;
        return 0;
    }
    if (PyDict_Check(o)) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(o, &pos, &k, &v))
            if (flatten_axes(v, into, depth + 1) < 0) return -1;
        return 0;
    }
    PyErr_Format(PyExc_ValueError, "[custom vmap] out_axes must hold ints or None, not %s",
                 mxp_type_name(o));
    return -1;
}

/* (outputs, out_axes) of a custom vmap rule: the outputs' arrays, then one
 * 0-d int32 axis per output (-1 for None). */
static int vmap_result(PyObject *res, mx_vec *outputs) {
    if (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 2) {
        PyErr_SetString(PyExc_ValueError,
                        "[custom vmap] The vmap function must return a tuple (outputs, axes).");
        return -1;
    }
    if (mxp_tree_flatten(PyTuple_GET_ITEM(res, 0), outputs, false) < 0) return -1;
    PyObject *axes = PyList_New(0);
    if (!axes || flatten_axes(PyTuple_GET_ITEM(res, 1), axes, 0) < 0) {
        Py_XDECREF(axes);
        return -1;
    }
    int n = outputs->size;
    Py_ssize_t na = PyList_GET_SIZE(axes);
    int rc = 0;
    if (na != 1 && na != n) {
        PyErr_Format(PyExc_ValueError,
                     "[custom vmap] %zd output axes were returned for %d outputs.", na, n);
        rc = -1;
    }
    for (int k = 0; k < n && !rc; k++) {
        PyObject *v = PyList_GET_ITEM(axes, na == 1 ? 0 : k);
        long ax = v == Py_None ? -1 : PyLong_AsLong(v);
        if (ax == -1 && PyErr_Occurred()) {
            rc = -1;
            break;
        }
        int nd = mx_array_ndim(outputs->data[k]);
        if (ax < -1 - nd || ax >= nd) {
            PyErr_Format(PyExc_ValueError,
                         "[custom vmap] Invalid output axis %ld for an output with %d dimensions.",
                         ax, nd);
            rc = -1;
            break;
        }
        if (v != Py_None && ax < 0) ax += nd;
        mx_array *a = NULL;
        int e = mx_array_from_int(&a, ax, MX_INT32);
        if (!e) e = mx_vec_push(outputs, a);
        if (e) rc = mxp_raise_int(e);
    }
    Py_DECREF(axes);
    return rc;
}

static PyObject *call_python(pyfn *p, const mx_vec *inputs) {
    int i = 0;
    PyObject *args = NULL, *kwargs = NULL, *res = NULL;
    switch (p->call) {
    case CALL_TREE:
        if (p->in_place) {
            PyObject *undo = PyList_New(0);
            if (!undo) break;
            args = mxp_tree_fill_in_place(p->args, inputs, &i, undo);
            if (args && p->kwargs) kwargs = mxp_tree_fill_in_place(p->kwargs, inputs, &i, undo);
            if (args && (!p->kwargs || kwargs)) res = PyObject_Call(p->fun, args, kwargs);
            PyObject *t, *v, *tb;
            PyErr_Fetch(&t, &v, &tb);
            if (mxp_tree_undo_fill(undo) < 0 && !t) Py_CLEAR(res);
            if (t) PyErr_Restore(t, v, tb);
            Py_DECREF(undo);
            break;
        }
        args = fill(p->args, inputs, &i);
        if (args && p->kwargs) kwargs = fill(p->kwargs, inputs, &i);
        if (args && (!p->kwargs || kwargs)) res = PyObject_Call(p->fun, args, kwargs);
        break;
    case CALL_LIST: {
        PyObject *l = mxp_vec_to_list(inputs);
        if (l) {
            args = PyList_AsTuple(l);
            Py_DECREF(l);
        }
        if (args) res = PyObject_Call(p->fun, args, NULL);
        break;
    }
    case CALL_VJP: {
        PyObject *out = PyList_GET_ITEM(p->outbox, 0);
        int no = (inputs->size - p->n_primals) / 2;
        args = fill(p->args, inputs, &i);
        if (args && p->kwargs) kwargs = fill(p->kwargs, inputs, &i);
        if (!args || (p->kwargs && !kwargs)) break;
        int ci = p->n_primals, oi = p->n_primals + no;
        PyObject *prim = single_or_tuple(args);
        PyObject *cot = fill(out, inputs, &ci);
        PyObject *outs = cot ? fill(out, inputs, &oi) : NULL;
        PyObject *call = outs ? PyTuple_Pack(3, prim, cot, outs) : NULL;
        if (call) res = PyObject_Call(p->fun, call, kwargs);
        Py_XDECREF(call);
        Py_XDECREF(outs);
        Py_XDECREF(cot);
        Py_DECREF(prim);
        break;
    }
    case CALL_VMAP: {
        if (p->kwargs && PyDict_GET_SIZE(p->kwargs) > 0) {
            PyErr_SetString(PyExc_ValueError,
                            "[custom vmap] Function should only accept positional arguments");
            break;
        }
        int ai = p->n_primals;
        args = fill(p->args, inputs, &i);
        PyObject *ax = args ? fill(p->args, inputs, &ai) : NULL;
        PyObject *axes = ax ? axes_of(ax, 0) : NULL;
        Py_XDECREF(ax);
        if (!axes) break;
        PyObject *a = single_or_tuple(args), *t = single_or_tuple(axes);
        res = PyObject_CallFunctionObjArgs(p->fun, a, t, NULL);
        Py_DECREF(a);
        Py_DECREF(t);
        Py_DECREF(axes);
        break;
    }
    case CALL_JVP: {
        if (p->kwargs && PyDict_GET_SIZE(p->kwargs) > 0) {
            PyErr_SetString(PyExc_ValueError,
                            "[custom jvp] Function should only accept positional arguments");
            break;
        }
        int ti = p->n_primals;
        args = fill(p->args, inputs, &i);
        PyObject *tans = args ? fill(p->args, inputs, &ti) : NULL;
        if (!tans) break;
        PyObject *a = single_or_tuple(args), *t = single_or_tuple(tans);
        res = PyObject_CallFunctionObjArgs(p->fun, a, t, NULL);
        Py_DECREF(a);
        Py_DECREF(t);
        Py_DECREF(tans);
        break;
    }
    }
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    return res;
}

/* The first output of a function being differentiated must be 0-d. */
static int check_scalar(PyObject *o) {
    mx_array *a = mxp_arr(o);
    if (mx_array_ndim(a) == 0) return 0;
    char b[256];
    mxp_shape_str(b, sizeof b, a);
    PyErr_Format(
        PyExc_ValueError, "[vjp] Output shape %s does not match cotangent shape ().%s", b,
        mx_array_size(a) == 1 ? " If you are using grad your function must return a scalar." : "");
    return -1;
}

static int check_cotangents(const mx_vec *outs, const mx_vec *cots) {
    if (outs->size != cots->size) {
        PyErr_Format(PyExc_ValueError,
                     "[vjp] Number of outputs to compute gradients for (%d) does not match number "
                     "of cotangents (%d).",
                     outs->size, cots->size);
        return -1;
    }
    for (int i = 0; i < outs->size; i++) {
        const mx_array *o = outs->data[i], *c = cots->data[i];
        int nd = mx_array_ndim(o);
        if (nd == mx_array_ndim(c) &&
            memcmp(mx_array_shape(o), mx_array_shape(c), sizeof(int32_t) * (size_t)nd) == 0)
            continue;
        char a[256], b[256];
        mxp_shape_str(a, sizeof a, o);
        mxp_shape_str(b, sizeof b, c);
        PyErr_Format(PyExc_ValueError, "[vjp] Output shape %s does not match cotangent shape %s.",
                     a, b);
        return -1;
    }
    return 0;
}

static int flatten_out(pyfn *p, PyObject *res, mx_vec *outputs) {
    static const char *what = " The return value of the function whose gradient we want to "
                              "compute should be ";
    switch (p->out) {
    case OUT_GRAD:
        if (!mxp_is_array(res)) {
            PyErr_Format(PyExc_ValueError, "%s%sa scalar array; but %s was returned.", p->tag, what,
                         mxp_type_name(res));
            return -1;
        }
        if (check_scalar(res) < 0) return -1;
        break;
    case OUT_VAG:
        if (mxp_is_array(res)) {
            if (check_scalar(res) < 0) return -1;
            break;
        }
        if (!PyTuple_Check(res)) {
            PyErr_Format(PyExc_ValueError,
                         "%s%seither a scalar array or a tuple with the first value being a "
                         "scalar array (Union[array, tuple[array, Any, ...]]); but %s was "
                         "returned.",
                         p->tag, what, mxp_type_name(res));
            return -1;
        }
        if (PyTuple_GET_SIZE(res) == 0) {
            PyErr_Format(PyExc_ValueError,
                         "%s%seither a scalar array or a non-empty tuple. The first value should "
                         "be a scalar array and the rest can be anything. Instead, we got an "
                         "empty tuple.",
                         p->tag, what);
            return -1;
        }
        if (!mxp_is_array(PyTuple_GET_ITEM(res, 0))) {
            PyErr_Format(PyExc_ValueError,
                         "%s%seither a scalar array or a tuple with the first value being a "
                         "scalar array (Union[array, tuple[array, Any, ...]]); but it was a "
                         "tuple with the first value being of type %s .",
                         p->tag, what, mxp_type_name(PyTuple_GET_ITEM(res, 0)));
            return -1;
        }
        if (check_scalar(PyTuple_GET_ITEM(res, 0)) < 0) return -1;
        break;
    case OUT_LIST:
        if (mxp_is_array(res)) break;
        if (PyList_Check(res) || PyTuple_Check(res)) {
            for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(res); i++)
                if (!mxp_is_array(PySequence_Fast_GET_ITEM(res, i))) {
                    PyErr_Format(PyExc_ValueError,
                                 "%s The function must return an array or a list of arrays; "
                                 "item %zd is %s.",
                                 p->tag, i, mxp_type_name(PySequence_Fast_GET_ITEM(res, i)));
                    return -1;
                }
            break;
        }
        PyErr_Format(PyExc_ValueError,
                     "%s The function must return an array or a list of arrays, not %s.", p->tag,
                     mxp_type_name(res));
        return -1;
    case OUT_STRICT:
    case OUT_LOOSE:
        break;
    }
    if (mxp_tree_flatten(res, outputs, p->out == OUT_STRICT) < 0) return -1;
    if (p->cotangents && check_cotangents(outputs, p->cotangents) < 0) return -1;
    if (p->outbox && PyList_SetItem(p->outbox, 0, Py_NewRef(res)) < 0) return -1;
    return 0;
}

static int pyfn_apply(mx_vec *outputs, const mx_vec *inputs, void *payload) {
    pyfn *p = payload;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *res = call_python(p, inputs);
    int rc = MX_OK;
    if (!res ||
        (p->call == CALL_VMAP ? vmap_result(res, outputs) : flatten_out(p, res, outputs)) < 0) {
        stash_exception();
        rc = MX_ERR_RUNTIME;
    }
    /* A custom vjp returns cotangents for the positional arguments (MLX's
     * convention); arrays passed by keyword are constants to it: zeros. */
    for (int i = outputs->size; !rc && p->call == CALL_VJP && i < p->n_primals; i++) {
        mx_array *z = NULL;
        rc = mx_zeros_like(&z, inputs->data[i], mx_array_dtype(inputs->data[i]), NULL);
        if (!rc) rc = mx_vec_push(outputs, z);
    }
    Py_XDECREF(res);
    PyGILState_Release(g);
    return rc;
}

/* A closure calling fun; outbox (may be NULL) receives each output. NULL
 * with an exception on failure. */
mx_closure *mxp_pyfn_new(PyObject *fun, PyObject *args, PyObject *kwargs, PyObject *outbox,
                         call_kind call, out_kind out, int n_primals, const char *tag, pyfn **pp) {
    pyfn *p = calloc(1, sizeof *p);
    if (!p) {
        PyErr_NoMemory();
        return NULL;
    }
    p->fun = Py_NewRef(fun);
    p->args = Py_XNewRef(args);
    p->kwargs = Py_XNewRef(kwargs);
    p->outbox = Py_XNewRef(outbox);
    p->call = call;
    p->out = out;
    p->n_primals = n_primals;
    p->tag = tag;
    mx_closure *c = NULL;
    int rc = mx_closure_new(&c, pyfn_apply, p, pyfn_free);
    if (rc) {
        pyfn_free(p);
        mxp_raise(rc);
        return NULL;
    }
    if (pp) *pp = p;
    return c;
}

PyObject *mxp_new_outbox(void) {
    PyObject *box = PyList_New(1);
    if (box) PyList_SET_ITEM(box, 0, Py_NewRef(Py_None));
    return box;
}
/* ---- the transformed-function object ---- */

static int tfn_traverse(PyObject *self, visitproc visit, void *arg) {
    tfn_object *t = (tfn_object *)self;
    Py_VISIT(t->fun);
    Py_VISIT(t->argnames);
    Py_VISIT(t->in_axes);
    Py_VISIT(t->out_axes);
    return 0;
}

static int tfn_clear(PyObject *self) {
    tfn_object *t = (tfn_object *)self;
    Py_CLEAR(t->fun);
    Py_CLEAR(t->argnames);
    Py_CLEAR(t->in_axes);
    Py_CLEAR(t->out_axes);
    return 0;
}

static void tfn_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    tfn_clear(self);
    free(((tfn_object *)self)->argnums);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *tfn_call(PyObject *self, PyObject *args, PyObject *kwargs);

static PyObject *tfn_wrapped(PyObject *self, void *closure) {
    (void)closure;
    PyObject *f = ((tfn_object *)self)->fun;
    return Py_NewRef(f ? f : Py_None);
}

static PyGetSetDef tfn_getset[] = {
    {"__wrapped__", tfn_wrapped, NULL, "The function that was transformed.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject tfn_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core._transformed_function",
    .tp_basicsize = sizeof(tfn_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A function made by a transform (grad, value_and_grad, vmap, checkpoint).",
    .tp_dealloc = tfn_dealloc,
    .tp_traverse = tfn_traverse,
    .tp_clear = tfn_clear,
    .tp_call = tfn_call,
    .tp_getset = tfn_getset,
};

tfn_object *mxp_tfn_new(tkind kind, PyObject *fun) {
    tfn_object *t = PyObject_GC_New(tfn_object, &tfn_type);
    if (!t) return NULL;
    t->kind = kind;
    t->fun = Py_NewRef(fun);
    t->argnums = NULL;
    t->n_argnums = 0;
    t->argnames = NULL;
    t->in_axes = t->out_axes = NULL;
    PyObject_GC_Track((PyObject *)t);
    return t;
}

static PyObject *tfn_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    tfn_object *t = (tfn_object *)self;
    if (!t->fun) {
        PyErr_SetString(PyExc_RuntimeError, "the transformed function was cleared");
        return NULL;
    }
    switch (t->kind) {
    case T_GRAD:
    case T_VALUE_AND_GRAD:
        return mxp_call_grad(t, args, kwargs);
    case T_VMAP:
        return mxp_call_vmap(t, args, kwargs);
    case T_CHECKPOINT:
        return mxp_call_checkpoint(t, args, kwargs);
    }
    return NULL;
}

int mxp_int_push(int_vec *iv, int x) {
    if (iv->n == iv->cap) {
        int cap = iv->cap ? 2 * iv->cap : 16;
        int *v = realloc(iv->v, sizeof *v * (size_t)cap);
        if (!v) {
            PyErr_NoMemory();
            return -1;
        }
        iv->v = v;
        iv->cap = cap;
    }
    iv->v[iv->n++] = x;
    return 0;
}

/* Flattens (args, kwargs) loosely. */
int mxp_flatten_call(PyObject *args, PyObject *kwargs, mx_vec *inputs) {
    if (mxp_tree_flatten(args, inputs, false) < 0) return -1;
    return kwargs ? mxp_tree_flatten(kwargs, inputs, false) : 0;
}

/* ---- module functions ---- */

static PyMethodDef transform_functions[] = {
    {"grad", (PyCFunction)(void (*)(void))mxp_grad, METH_VARARGS | METH_KEYWORDS,
     "grad(fun, argnums=None, argnames=[])\n--\n\n"
     "Returns a function which computes the gradient of ``fun``.\n\n"
     "argnums (int or sequence of int) names the positional arguments to differentiate\n"
     "(default 0 when argnames is empty too), argnames (str or sequence of str) keyword\n"
     "arguments. fun must return a scalar array."},
    {"value_and_grad", (PyCFunction)(void (*)(void))mxp_value_and_grad,
     METH_VARARGS | METH_KEYWORDS,
     "value_and_grad(fun, argnums=None, argnames=[])\n--\n\n"
     "Returns a function which computes the value and gradient of ``fun``.\n\n"
     "fun returns a scalar array or a tuple whose first item is one (the rest are\n"
     "returned, not differentiated). The result is (value, grads)."},
    {"vjp", (PyCFunction)(void (*)(void))mxp_vjp, METH_VARARGS | METH_KEYWORDS,
     "vjp(fun, primals, cotangents)\n--\n\n"
     "Compute the vector-Jacobian product. Returns (outputs, vjps), two lists."},
    {"jvp", (PyCFunction)(void (*)(void))mxp_jvp, METH_VARARGS | METH_KEYWORDS,
     "jvp(fun, primals, tangents)\n--\n\n"
     "Compute the Jacobian-vector product. Returns (outputs, jvps), two lists."},
    {"vmap", (PyCFunction)(void (*)(void))mxp_vmap, METH_VARARGS | METH_KEYWORDS,
     "vmap(fun, in_axes=0, out_axes=0)\n--\n\n"
     "Returns a vectorized version of ``fun``.\n\n"
     "in_axes and out_axes are ints or prefix trees of the inputs / outputs; None leaves\n"
     "an input unmapped."},
    {"checkpoint", (PyCFunction)(void (*)(void))mxp_checkpoint, METH_VARARGS | METH_KEYWORDS,
     "checkpoint(fun)\n--\n\n"
     "Transform fun into one that recomputes its intermediate values during gradient\n"
     "computation instead of keeping them."},
    {NULL, NULL, 0, NULL},
};

int mxp_transforms_init(PyObject *module) {
    if (PyType_Ready(&tfn_type) < 0 || PyType_Ready(&mxp_custom_function_type) < 0) return -1;
    if (PyModule_AddObjectRef(module, "custom_function", (PyObject *)&mxp_custom_function_type) < 0)
        return -1;
    PyObject *name = PyModule_GetNameObject(module);
    if (!name) return -1;
    int rc = 0;
    for (PyMethodDef *d = transform_functions; d->ml_name && !rc; d++) {
        PyObject *f = PyCFunction_NewEx(d, NULL, name);
        rc = f ? PyModule_AddObjectRef(module, d->ml_name, f) : -1;
        Py_XDECREF(f);
    }
    Py_DECREF(name);
    return rc ? rc : mxp_compile_init(module);
}
