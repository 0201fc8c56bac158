/*
 * mx.compile over Python callables. The C compile caches traces by the
 * count, dtypes and shapes of the arrays; everything else about a call (the
 * tree structure of the arguments, their constants: ints, floats, bools,
 * strings, None, and the number of captured state arrays) is a key here,
 * each key with its own C compiled closure. Captured state (inputs= and
 * outputs=, trees of arrays or of objects holding them, e.g. a Module's
 * state) is passed as extra arrays: while tracing, the state containers
 * hold the tracers; afterwards they get the new values, filled in place as
 * MLX does.
 */
#include "transforms.h"

#include <string.h>

typedef struct {
    PyObject *fun, *args, *kwargs; /* templates of the call that traced */
    PyObject *state_in, *state_out;
    PyObject *outbox; /* [result tree of the last trace] */
    int n_args;       /* arrays in args and kwargs */
    int n_state_out;  /* arrays the trace found in state_out */
} cpayload;

typedef struct {
    PyObject_HEAD PyObject *fun, *inputs, *outputs, *cache;
    PyObject *dict; /* __name__, __qualname__, __doc__, __module__ of fun */
    bool shapeless;
} compiled_object;

static void payload_free(void *pp) {
    cpayload *p = pp;
    if (Py_IsInitialized()) {
        PyGILState_STATE g = PyGILState_Ensure();
        Py_XDECREF(p->fun);
        Py_XDECREF(p->args);
        Py_XDECREF(p->kwargs);
        Py_XDECREF(p->state_in);
        Py_XDECREF(p->state_out);
        Py_XDECREF(p->outbox);
        PyGILState_Release(g);
    }
    free(p);
}

/* Records how to undo one replacement: (container, key, old item); for an
 * array inside a tuple, (array, None, old contents). */
static int note(PyObject *undo, PyObject *c, PyObject *key, PyObject *old) {
    if (!undo) return 0;
    PyObject *t = PyTuple_Pack(3, c, key, old);
    int rc = t ? PyList_Append(undo, t) : -1;
    Py_XDECREF(t);
    return rc;
}

/* Replaces the array leaves of the lists and dicts in tree, in place, with
 * vals from *i on (tuples are walked; an array directly in one gets new
 * contents). undo (may be NULL) collects what was replaced. */
/* A sequence other than a list or tuple holding state (mx.random.state):
 * walked by index and assigned item by item. */
static bool other_sequence(PyObject *o) {
    return !PyList_Check(o) && !PyTuple_Check(o) && !PyDict_Check(o) && !mxp_is_array(o) &&
           !PyUnicode_Check(o) && !PyBytes_Check(o) && Py_TYPE(o)->tp_as_sequence &&
           Py_TYPE(o)->tp_as_sequence->sq_item && Py_TYPE(o)->tp_as_sequence->sq_ass_item;
}

static int fill_in_place(PyObject *o, const mx_vec *vals, int *i, PyObject *undo) {
    bool other = other_sequence(o);
    if (PyList_Check(o) || PyTuple_Check(o) || other) {
        PyObject *seq = PySequence_Tuple(o);
        if (!seq) return -1;
        int rc = 0;
        for (Py_ssize_t k = 0; !rc && k < PyTuple_GET_SIZE(seq); k++) {
            PyObject *it = PyTuple_GET_ITEM(seq, k);
            if (!mxp_is_array(it)) {
                rc = fill_in_place(it, vals, i, undo);
                continue;
            }
            if (*i >= vals->size) break;
            mx_array *a = mx_array_retain(vals->data[(*i)++]);
            if (PyList_Check(o) || other) {
                PyObject *key = PyLong_FromSsize_t(k);
                rc = key ? note(undo, o, key, it) : -1;
                Py_XDECREF(key);
                PyObject *w = rc ? NULL : mxp_array_wrap(a);
                if (rc) mx_array_free(a);
                if (!rc && other) {
                    rc = w ? PySequence_SetItem(o, k, w) : -1;
                    Py_XDECREF(w);
                } else if (!rc) {
                    rc = w ? PyList_SetItem(o, k, w) : -1;
                }
            } else {
                PyObject *old = mxp_array_wrap(mx_array_retain(mxp_arr(it)));
                rc = old ? note(undo, it, Py_None, old) : -1;
                Py_XDECREF(old);
                if (rc)
                    mx_array_free(a);
                else
                    mxp_array_replace(it, a);
            }
        }
        Py_DECREF(seq);
        return rc;
    }
    if (PyDict_Check(o)) {
        PyObject *items = PyDict_Items(o);
        if (!items) return -1;
        int rc = 0;
        for (Py_ssize_t k = 0; !rc && k < PyList_GET_SIZE(items); k++) {
            PyObject *kv = PyList_GET_ITEM(items, k), *it = PyTuple_GET_ITEM(kv, 1);
            if (!mxp_is_array(it)) {
                rc = fill_in_place(it, vals, i, undo);
                continue;
            }
            if (*i >= vals->size) break;
            rc = note(undo, o, PyTuple_GET_ITEM(kv, 0), it);
            PyObject *w = rc ? NULL : mxp_array_wrap(mx_array_retain(vals->data[(*i)++]));
            if (!rc) rc = w ? PyDict_SetItem(o, PyTuple_GET_ITEM(kv, 0), w) : -1;
            Py_XDECREF(w);
        }
        Py_DECREF(items);
        return rc;
    }
    return 0;
}

/* Puts back what fill_in_place replaced, last first. */
static int undo_fill(PyObject *undo) {
    int rc = 0;
    for (Py_ssize_t k = PyList_GET_SIZE(undo) - 1; k >= 0; k--) {
        PyObject *t = PyList_GET_ITEM(undo, k);
        PyObject *c = PyTuple_GET_ITEM(t, 0), *key = PyTuple_GET_ITEM(t, 1),
                 *old = PyTuple_GET_ITEM(t, 2);
        if (key == Py_None)
            mxp_array_replace(c, mx_array_retain(mxp_arr(old)));
        else if (PyObject_SetItem(c, key, old) < 0)
            rc = -1;
    }
    return rc;
}

static int fill_state(PyObject *tree, const mx_vec *vals, int from, PyObject *undo) {
    int i = from;
    if (!tree || tree == Py_None) return 0;
    return fill_in_place(tree, vals, &i, undo);
}

static int flatten_state_in(PyObject *o, mx_vec *v, int depth) {
    if (depth > 1000) {
        PyErr_SetString(PyExc_RecursionError, "[compile] state tree is too deep");
        return -1;
    }
    if (mxp_is_array(o)) return mxp_tree_flatten(o, v, false);
    bool other = other_sequence(o);
    if (PyList_Check(o) || PyTuple_Check(o) || other) {
        PyObject *seq = PySequence_Tuple(o);
        if (!seq) return -1;
        int rc = 0;
        for (Py_ssize_t k = 0; !rc && k < PyTuple_GET_SIZE(seq); k++)
            rc = flatten_state_in(PyTuple_GET_ITEM(seq, k), v, depth + 1);
        Py_DECREF(seq);
        return rc;
    }
    if (PyDict_Check(o)) {
        PyObject *values = PyDict_Values(o);
        if (!values) return -1;
        int rc = 0;
        for (Py_ssize_t k = 0; !rc && k < PyList_GET_SIZE(values); k++)
            rc = flatten_state_in(PyList_GET_ITEM(values, k), v, depth + 1);
        Py_DECREF(values);
        return rc;
    }
    return 0;
}

static int flatten_state(PyObject *tree, mx_vec *v) {
    if (!tree || tree == Py_None) return 0;
    return flatten_state_in(tree, v, 0);
}

/* tree with each array replaced by one 0-d placeholder: a template that
 * keeps no call's arrays (or a trace's tracers) alive. NULL with an
 * exception. */
static PyObject *skeleton(PyObject *tree) {
    mx_vec flat = {0}, ph = {0};
    mx_array *z = NULL;
    PyObject *res = NULL;
    int rc = mxp_tree_flatten(tree, &flat, false);
    if (rc == 0 && (rc = mx_array_from_bool(&z, false)) != MX_OK) mxp_raise(rc);
    for (int k = 0; rc == 0 && k < flat.size; k++)
        if ((rc = mx_vec_append(&ph, z)) != MX_OK) mxp_raise(rc);
    int i = 0;
    if (rc == 0) res = mxp_tree_unflatten(tree, &ph, &i);
    mx_array_free(z);
    mx_vec_clear(&flat);
    mx_vec_clear(&ph);
    return res;
}

/* The traced function: arguments from the first n_args inputs, the state
 * from the rest; outputs: the result's arrays, then the state's. */
static int compiled_apply(mx_vec *outputs, const mx_vec *inputs, void *pp) {
    cpayload *p = pp;
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = MX_ERR_RUNTIME, i = 0;
    PyObject *args = NULL, *kwargs = NULL, *res = NULL, *undo = PyList_New(0);
    if (!undo || fill_state(p->state_in, inputs, p->n_args, undo) < 0) goto done;
    args = mxp_tree_unflatten(p->args, inputs, &i);
    if (args && p->kwargs) kwargs = mxp_tree_unflatten(p->kwargs, inputs, &i);
    if (!args || (p->kwargs && !kwargs)) goto done;
    res = PyObject_Call(p->fun, args, kwargs);
    if (!res || mxp_tree_flatten(res, outputs, false) < 0) goto done;
    int before = outputs->size;
    if (flatten_state(p->state_out, outputs) < 0) goto done;
    p->n_state_out = outputs->size - before;
    PyObject *sk = skeleton(res);
    if (!sk || PyList_SetItem(p->outbox, 0, sk) < 0) goto done;
    rc = MX_OK;
done:
    if (undo) {
        /* the state's owners get their arrays back; an error here wins */
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        if (undo_fill(undo) < 0 && !t) rc = MX_ERR_RUNTIME;
        if (t) PyErr_Restore(t, v, tb);
        Py_DECREF(undo);
    }
    if (rc) mxp_stash_exception();
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    Py_XDECREF(res);
    PyGILState_Release(g);
    return rc;
}

/* The part of a call's key that the C cache does not see: the tree
 * structure and the constants. -1 with ValueError for other leaves. */
static PyObject *key_of(PyObject *o, int depth) {
    if (depth > 1000) {
        PyErr_SetString(PyExc_RecursionError, "[compile] tree is too deep");
        return NULL;
    }
    if (mxp_is_array(o)) return Py_NewRef(Py_Ellipsis);
    bool list = PyList_Check(o);
    if (list || PyTuple_Check(o) || PyDict_Check(o)) {
        PyObject *seq = PyDict_Check(o) ? PyDict_Items(o) : PySequence_List(o);
        if (!seq) return NULL;
        Py_ssize_t n = PyList_GET_SIZE(seq);
        PyObject *k = PyTuple_New(n + 1);
        if (k)
            PyTuple_SET_ITEM(k, 0, PyUnicode_FromString(PyDict_Check(o) ? "d" : list ? "l" : "t"));
        for (Py_ssize_t j = 0; k && j < n; j++) {
            PyObject *it = PyList_GET_ITEM(seq, j), *sub;
            if (PyDict_Check(o)) {
                PyObject *v = key_of(PyTuple_GET_ITEM(it, 1), depth + 1);
                sub = v ? PyTuple_Pack(2, PyTuple_GET_ITEM(it, 0), v) : NULL;
                Py_XDECREF(v);
            } else {
                sub = key_of(it, depth + 1);
            }
            if (!sub)
                Py_CLEAR(k);
            else
                PyTuple_SET_ITEM(k, j + 1, sub);
        }
        Py_DECREF(seq);
        return k;
    }
    if (o == Py_None || PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o) ||
        PyUnicode_Check(o))
        return PyTuple_Pack(2, (PyObject *)Py_TYPE(o), o);
    PyErr_Format(PyExc_ValueError,
                 "[compile] Function arguments must be trees of arrays or constants (floats, "
                 "ints, strings, or None), but received type %s.",
                 mxp_type_name(o));
    return NULL;
}

static void closure_capsule_free(PyObject *cap) {
    mx_closure_free(PyCapsule_GetPointer(cap, "cmlx.compiled"));
}

/* The cache entry for this call: (capsule of the compiled closure, payload
 * capsule), made on a miss. */
static PyObject *entry_for(compiled_object *c, PyObject *args, PyObject *kwargs, int n_args,
                           int n_state, cpayload **pp) {
    PyObject *ka = key_of(args, 0);
    PyObject *kk = ka ? (kwargs ? key_of(kwargs, 0) : Py_NewRef(Py_None)) : NULL;
    PyObject *key = kk ? Py_BuildValue("(OOi)", ka, kk, n_state) : NULL;
    Py_XDECREF(ka);
    Py_XDECREF(kk);
    if (!key) return NULL;
    PyObject *e = PyDict_GetItemWithError(c->cache, key);
    if (e || PyErr_Occurred()) {
        Py_DECREF(key);
        if (e) *pp = PyCapsule_GetContext(e);
        return Py_XNewRef(e);
    }
    cpayload *p = calloc(1, sizeof *p);
    if (!p) {
        Py_DECREF(key);
        return PyErr_NoMemory();
    }
    p->fun = Py_NewRef(c->fun);
    p->args = skeleton(args);
    p->kwargs = kwargs ? skeleton(kwargs) : NULL;
    p->state_in = Py_NewRef(c->inputs);
    p->state_out = Py_NewRef(c->outputs);
    p->n_args = n_args;
    p->outbox = mxp_new_outbox();
    mx_closure *f = NULL, *cf = NULL;
    if (!p->outbox || !p->args || (kwargs && !p->kwargs)) {
        payload_free(p);
        Py_DECREF(key);
        return NULL;
    }
    int rc = p->outbox ? mx_closure_new(&f, compiled_apply, p, payload_free) : MX_ERR_MEMORY;
    if (rc) {
        payload_free(p);
        Py_DECREF(key);
        return mxp_raise(rc);
    }
    mx_compile_options opts = {.shapeless = c->shapeless};
    rc = mx_compile(&cf, f, &opts);
    mx_closure_free(f); /* cf holds it */
    if (rc) {
        Py_DECREF(key);
        return mxp_raise(rc);
    }
    e = PyCapsule_New(cf, "cmlx.compiled", closure_capsule_free);
    if (!e) mx_closure_free(cf);
    if (e && (PyCapsule_SetContext(e, p) < 0 || PyDict_SetItem(c->cache, key, e) < 0)) Py_CLEAR(e);
    Py_DECREF(key);
    *pp = p;
    return e;
}

static PyObject *compiled_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    compiled_object *c = (compiled_object *)self;
    if (mx_get_compile_mode() == MX_COMPILE_MODE_DISABLED)
        return PyObject_Call(c->fun, args, kwargs);
    if (kwargs && PyDict_GET_SIZE(kwargs) == 0) kwargs = NULL;
    mx_vec inputs = {0}, outs = {0};
    PyObject *entry = NULL, *result = NULL;
    cpayload *p = NULL;
    if (mxp_flatten_call(args, kwargs, &inputs) < 0) goto done;
    int n_args = inputs.size;
    if (flatten_state(c->inputs, &inputs) < 0) goto done;
    entry = entry_for(c, args, kwargs, n_args, inputs.size - n_args, &p);
    if (!entry) goto done;
    mxp_drop_pending();
    int rc = mx_closure_apply(PyCapsule_GetPointer(entry, "cmlx.compiled"), &outs, &inputs);
    if (rc) {
        mxp_raise_pending(rc);
        goto done;
    }
    mxp_drop_pending();
    int i = 0;
    result = mxp_tree_unflatten(PyList_GET_ITEM(p->outbox, 0), &outs, &i);
    if (result && fill_state(c->outputs, &outs, outs.size - p->n_state_out, NULL) < 0)
        Py_CLEAR(result);
done:
    Py_XDECREF(entry);
    mx_vec_clear(&inputs);
    mx_vec_clear(&outs);
    return result;
}

static int compiled_traverse(PyObject *self, visitproc visit, void *arg) {
    compiled_object *c = (compiled_object *)self;
    Py_VISIT(c->fun);
    Py_VISIT(c->inputs);
    Py_VISIT(c->outputs);
    Py_VISIT(c->cache);
    Py_VISIT(c->dict);
    /* The cache's payloads are reachable only through this object (capsule,
     * closure, payload), so their references are visited here: a function
     * whose globals or closure hold its compiled form can be collected. */
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (c->cache && PyDict_Next(c->cache, &pos, &k, &v)) {
        cpayload *p = PyCapsule_GetContext(v);
        if (!p) continue;
        Py_VISIT(p->fun);
        Py_VISIT(p->args);
        Py_VISIT(p->kwargs);
        Py_VISIT(p->state_in);
        Py_VISIT(p->state_out);
        Py_VISIT(p->outbox);
    }
    return 0;
}

static int compiled_clear(PyObject *self) {
    compiled_object *c = (compiled_object *)self;
    Py_CLEAR(c->fun);
    Py_CLEAR(c->inputs);
    Py_CLEAR(c->outputs);
    Py_CLEAR(c->cache);
    Py_CLEAR(c->dict);
    return 0;
}

static void compiled_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    compiled_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *compiled_get(PyObject *self, PyObject *obj, PyObject *type) {
    (void)type;
    if (!obj || obj == Py_None) return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static PyObject *compiled_wrapped(PyObject *self, void *closure) {
    (void)closure;
    return Py_NewRef(((compiled_object *)self)->fun);
}

static PyGetSetDef compiled_getset[] = {
    {"__wrapped__", compiled_wrapped, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject compiled_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core._CompiledFunction",
    .tp_basicsize = sizeof(compiled_object),
    .tp_dealloc = compiled_dealloc,
    .tp_call = compiled_call,
    .tp_descr_get = compiled_get,
    .tp_getset = compiled_getset,
    .tp_traverse = compiled_traverse,
    .tp_clear = compiled_clear,
    .tp_dictoffset = offsetof(compiled_object, dict),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
};

static PyObject *py_compile(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    static char *kwlist[] = {"fun", "inputs", "outputs", "shapeless", NULL};
    PyObject *fun, *in = Py_None, *out = Py_None;
    int shapeless = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OOp:compile", kwlist, &fun, &in, &out,
                                     &shapeless))
        return NULL;
    if (!PyCallable_Check(fun)) {
        PyErr_Format(PyExc_TypeError, "compile(): fun must be callable, not %s",
                     mxp_type_name(fun));
        return NULL;
    }
    compiled_object *c = PyObject_GC_New(compiled_object, &compiled_type);
    if (!c) return NULL;
    c->fun = Py_NewRef(fun);
    c->inputs = Py_NewRef(in);
    c->outputs = Py_NewRef(out);
    c->shapeless = shapeless;
    c->cache = PyDict_New();
    c->dict = PyDict_New();
    /* what functools.update_wrapper copies, so the compiled function reads
     * as fun (inspect.signature follows __wrapped__) */
    static const char *copied[] = {"__module__", "__name__", "__qualname__", "__doc__"};
    for (size_t i = 0; c->dict && i < sizeof copied / sizeof copied[0]; i++) {
        PyObject *v = PyObject_GetAttrString(fun, copied[i]);
        if (!v) {
            PyErr_Clear();
            continue;
        }
        if (PyDict_SetItemString(c->dict, copied[i], v) < 0) Py_CLEAR(c->dict);
        Py_DECREF(v);
    }
    if (!c->cache || !c->dict) {
        Py_DECREF(c);
        return NULL;
    }
    PyObject_GC_Track(c);
    return (PyObject *)c;
}

static PyObject *py_disable(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    mx_disable_compile();
    Py_RETURN_NONE;
}

static PyObject *py_enable(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    mx_enable_compile();
    Py_RETURN_NONE;
}

static PyMethodDef compile_functions[] = {
    {"compile", (PyCFunction)(void (*)(void))py_compile, METH_VARARGS | METH_KEYWORDS,
     "compile(fun, inputs=None, outputs=None, shapeless=False)\n--\n\n"
     "Returns a compiled function which produces the same output as ``fun``.\n\n"
     "inputs / outputs: trees (lists, dicts, or objects such as a Module's state) whose\n"
     "arrays are captured as implicit inputs / updated as implicit outputs. shapeless:\n"
     "one trace for inputs of any shape. Non-array arguments (ints, floats, strings,\n"
     "None) are constants: a new value traces again."},
    {"disable_compile", py_disable, METH_NOARGS,
     "disable_compile()\n--\n\nGlobally disable compilation."},
    {"enable_compile", py_enable, METH_NOARGS,
     "enable_compile()\n--\n\nGlobally enable compilation."},
    {NULL, NULL, 0, NULL},
};

int mxp_compile_init(PyObject *module) {
    if (PyType_Ready(&compiled_type) < 0) return -1;
    PyObject *name = PyModule_GetNameObject(module);
    if (!name) return -1;
    int rc = 0;
    for (PyMethodDef *d = compile_functions; d->ml_name && !rc; d++) {
        PyObject *f = PyCFunction_NewEx(d, NULL, name);
        rc = f ? PyModule_AddObjectRef(module, d->ml_name, f) : -1;
        Py_XDECREF(f);
    }
    Py_DECREF(name);
    return rc;
}
