/*
 * Function transforms over Python callables: grad, value_and_grad, vjp, jvp,
 * vmap, checkpoint and the custom_function decorator.
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
#include "cmlx_py.h"

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

static void drop_pending(void) {
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

static void drop_pending(void) {
    Py_CLEAR(pending_type);
    Py_CLEAR(pending_value);
    Py_CLEAR(pending_tb);
}
#endif

/* After a C transform failed: the Python exception that caused it, or one
 * made from the status. Returns NULL. */
static PyObject *raise_status(int rc) {
    if (restore_pending()) {
        mx_clear_error();
        return NULL;
    }
    return mxp_raise(rc);
}

/* ---- small helpers ---- */

static void shape_str(char *buf, size_t len, const mx_array *a) {
    int nd = mx_array_ndim(a);
    const int32_t *sh = mx_array_shape(a);
    size_t k = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < nd && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ",%d" : "%d", (int)sh[i]);
    if (k < len) snprintf(buf + k, len - k, ")");
}

static const char *type_name(PyObject *o) {
    return Py_TYPE(o)->tp_name;
}

static int check_callable(PyObject *fun, const char *fname) {
    if (PyCallable_Check(fun)) return 0;
    PyErr_Format(PyExc_TypeError,
                 "%s(): incompatible function arguments: fun must be callable, got %s", fname,
                 type_name(fun));
    return -1;
}

/* ---- the closure calling Python ---- */

typedef enum {
    CALL_TREE, /* fun(*args, **kwargs) with the arrays put into the templates */
    CALL_LIST, /* fun(*inputs) */
    CALL_VJP,  /* custom vjp: fun(primals, cotangents, outputs, **kwargs) */
    CALL_JVP,  /* custom jvp: fun(primals, tangents) */
} call_kind;

typedef enum {
    OUT_GRAD,   /* a scalar array */
    OUT_VAG,    /* a scalar array, or a tuple starting with one; the rest loose */
    OUT_LIST,   /* an array or a list/tuple of arrays */
    OUT_STRICT, /* a tree of arrays only */
    OUT_LOOSE,  /* a tree; leaves that are not arrays are kept but not outputs */
} out_kind;

typedef struct pyfn {
    PyObject *fun;
    PyObject *args;   /* tuple template */
    PyObject *kwargs; /* dict template or NULL */
    PyObject *outbox; /* [last output]: shared with a custom vjp; NULL: not kept */
    call_kind call;
    out_kind out;
    int n_primals; /* CALL_VJP / CALL_JVP: arrays in args and kwargs */
    /* vjp: the cotangents (borrowed, live during the call), checked against
     * the outputs here for MLX's messages */
    const mx_vec *cotangents;
    const char *tag;
} pyfn;

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

static PyObject *call_python(pyfn *p, const mx_vec *inputs) {
    int i = 0;
    PyObject *args = NULL, *kwargs = NULL, *res = NULL;
    switch (p->call) {
    case CALL_TREE:
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
    shape_str(b, sizeof b, a);
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
        shape_str(a, sizeof a, o);
        shape_str(b, sizeof b, c);
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
                         type_name(res));
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
                         p->tag, what, type_name(res));
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
                         p->tag, what, type_name(PyTuple_GET_ITEM(res, 0)));
            return -1;
        }
        if (check_scalar(PyTuple_GET_ITEM(res, 0)) < 0) return -1;
        break;
    case OUT_LIST:
        if (mxp_is_array(res)) break;
        if (PyList_Check(res) || PyTuple_Check(res)) {
            for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(res); i++)
                if (!mxp_is_array(PySequence_Fast_GET_ITEM(res, i))) {
                    PyErr_Format(PyExc_TypeError,
                                 "%s The function must return an array or a list of arrays; "
                                 "item %zd is %s.",
                                 p->tag, i, type_name(PySequence_Fast_GET_ITEM(res, i)));
                    return -1;
                }
            break;
        }
        PyErr_Format(PyExc_TypeError,
                     "%s The function must return an array or a list of arrays, not %s.", p->tag,
                     type_name(res));
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
    if (!res || flatten_out(p, res, outputs) < 0) {
        stash_exception();
        rc = MX_ERR_RUNTIME;
    }
    Py_XDECREF(res);
    PyGILState_Release(g);
    return rc;
}

/* A closure calling fun; outbox (may be NULL) receives each output. NULL
 * with an exception on failure. */
static mx_closure *pyfn_new(PyObject *fun, PyObject *args, PyObject *kwargs, PyObject *outbox,
                            call_kind call, out_kind out, int n_primals, const char *tag,
                            pyfn **pp) {
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

static PyObject *new_outbox(void) {
    PyObject *box = PyList_New(1);
    if (box) PyList_SET_ITEM(box, 0, Py_NewRef(Py_None));
    return box;
}

/* ---- the transformed-function object ---- */

typedef enum { T_GRAD, T_VALUE_AND_GRAD, T_VMAP, T_CHECKPOINT } tkind;

typedef struct {
    PyObject_HEAD tkind kind;
    PyObject *fun;
    int *argnums; /* sorted */
    int n_argnums;
    PyObject *argnames; /* list of str (no repeats) */
    PyObject *in_axes, *out_axes;
} tfn_object;

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

static tfn_object *tfn_new(tkind kind, PyObject *fun) {
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

/* ---- grad and value_and_grad ---- */

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int to_int(PyObject *o, int *out, const char *fname, const char *pname) {
    if (!PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError,
                     "%s(): incompatible function arguments: %s must be an int or a sequence of "
                     "ints, got %s",
                     fname, pname, type_name(o));
        return -1;
    }
    int overflow = 0;
    long v = PyLong_AsLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (overflow || v > INT32_MAX || v < INT32_MIN) {
        PyErr_Format(PyExc_OverflowError, "%s(): %s is out of range", fname, pname);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* argnums: None, an int or a sequence of ints; argnames: a str or a
 * sequence of str. Fills t's argnums (sorted, checked) and argnames. */
static int parse_argnums(tfn_object *t, PyObject *argnums, PyObject *argnames, const char *fname,
                         const char *tag) {
    PyObject *names = PyList_New(0);
    if (!names) return -1;
    t->argnames = names;
    if (argnames && PyUnicode_Check(argnames)) {
        if (PyList_Append(names, argnames) < 0) return -1;
    } else if (argnames &&
               (PyList_Check(argnames) || PyTuple_Check(argnames) || PyAnySet_Check(argnames))) {
        PyObject *seq = PySequence_List(argnames);
        if (!seq) return -1;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(seq); i++) {
            PyObject *s = PyList_GET_ITEM(seq, i);
            int has = PyUnicode_Check(s) ? PySequence_Contains(names, s) : -2;
            if (has == -2)
                PyErr_Format(PyExc_TypeError,
                             "%s(): incompatible function arguments: argnames must be a str or a "
                             "sequence of str, got an item of type %s",
                             fname, type_name(s));
            if (has < 0 || (!has && PyList_Append(names, s) < 0)) {
                Py_DECREF(seq);
                return -1;
            }
        }
        Py_DECREF(seq);
    } else if (argnames) {
        PyErr_Format(PyExc_TypeError,
                     "%s(): incompatible function arguments: argnames must be a str or a "
                     "sequence of str, got %s",
                     fname, type_name(argnames));
        return -1;
    }

    int n = 0, *nums = NULL;
    if (!argnums || argnums == Py_None) {
        if (PyList_GET_SIZE(names) == 0) {
            nums = malloc(sizeof *nums);
            if (!nums) {
                PyErr_NoMemory();
                return -1;
            }
            nums[0] = 0;
            n = 1;
        }
    } else if (PyLong_Check(argnums)) {
        nums = malloc(sizeof *nums);
        if (!nums) {
            PyErr_NoMemory();
            return -1;
        }
        n = 1;
        if (to_int(argnums, nums, fname, "argnums") < 0) {
            free(nums);
            return -1;
        }
    } else if (PyList_Check(argnums) || PyTuple_Check(argnums)) {
        Py_ssize_t len = PySequence_Fast_GET_SIZE(argnums);
        nums = malloc(sizeof *nums * (size_t)(len ? len : 1));
        if (!nums) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < len; i++)
            if (to_int(PySequence_Fast_GET_ITEM(argnums, i), nums + i, fname, "argnums") < 0) {
                free(nums);
                return -1;
            }
        n = (int)len;
    } else {
        PyErr_Format(PyExc_TypeError,
                     "%s(): incompatible function arguments: argnums must be None, an int or a "
                     "sequence of ints, got %s",
                     fname, type_name(argnums));
        return -1;
    }
    t->argnums = nums;
    t->n_argnums = n;
    if (n == 0 && PyList_GET_SIZE(names) == 0) {
        PyErr_Format(PyExc_ValueError, "%s Gradient wrt no argument requested", tag);
        return -1;
    }
    if (n > 0) {
        qsort(nums, (size_t)n, sizeof *nums, cmp_int);
        if (nums[0] < 0) {
            PyErr_Format(PyExc_ValueError,
                         "%s Can't compute the gradient of negative argument index %d", tag,
                         nums[0]);
            return -1;
        }
        for (int i = 1; i < n; i++)
            if (nums[i] == nums[i - 1]) {
                /* MLX names the smallest index here, whichever repeats */
                PyErr_Format(PyExc_ValueError, "%s Duplicate argument index %d is not allowed.",
                             tag, nums[0]);
                return -1;
            }
    }
    return 0;
}

static PyObject *make_grad(PyObject *args, PyObject *kwargs, tkind kind) {
    static char *kwlist[] = {"fun", "argnums", "argnames", NULL};
    const char *fname = kind == T_GRAD ? "grad" : "value_and_grad";
    const char *tag = kind == T_GRAD ? "[grad]" : "[value_and_grad]";
    PyObject *fun, *argnums = Py_None, *argnames = NULL;
    char fmt[32];
    snprintf(fmt, sizeof fmt, "O|OO:%s", fname);
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, fmt, kwlist, &fun, &argnums, &argnames))
        return NULL;
    if (check_callable(fun, fname) < 0) return NULL;
    tfn_object *t = tfn_new(kind, fun);
    if (!t) return NULL;
    if (parse_argnums(t, argnums, argnames, fname, tag) < 0) {
        Py_DECREF(t);
        return NULL;
    }
    return (PyObject *)t;
}

static PyObject *mxp_grad(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    return make_grad(args, kwargs, T_GRAD);
}

static PyObject *mxp_value_and_grad(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    return make_grad(args, kwargs, T_VALUE_AND_GRAD);
}

typedef struct {
    int *v;
    int n, cap;
} int_vec;

static int int_push(int_vec *iv, int x) {
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

/* Flattens one argument, recording the flat indices of its arrays when it
 * is differentiated. */
static int flatten_arg(PyObject *o, bool needs_grad, mx_vec *inputs, int_vec *idx) {
    int start = inputs->size;
    if (mxp_tree_flatten(o, inputs, needs_grad) < 0) return -1;
    for (int k = start; needs_grad && k < inputs->size; k++)
        if (int_push(idx, k) < 0) return -1;
    return 0;
}

static int check_call_args(tfn_object *t, const char *tag, PyObject *args, PyObject *kwargs) {
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    if (t->n_argnums > 0 && t->argnums[t->n_argnums - 1] >= nargs) {
        PyErr_Format(PyExc_ValueError,
                     "%s Can't compute the gradient of argument index %d because the function is "
                     "called with only %zd positional arguments.",
                     tag, t->argnums[t->n_argnums - 1], nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(t->argnames); i++) {
        PyObject *key = PyList_GET_ITEM(t->argnames, i);
        int has = kwargs ? PyDict_Contains(kwargs, key) : 0;
        if (has < 0) return -1;
        if (has) continue;
        PyObject *keys = PyUnicode_FromString("");
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (keys && kwargs && PyDict_Next(kwargs, &pos, &k, &v)) {
            PyObject *s = PyUnicode_FromFormat("%U%S,", keys, k);
            Py_SETREF(keys, s);
        }
        if (keys)
            PyErr_Format(PyExc_ValueError,
                         "%s Can't compute the gradient of keyword argument '%U' because the "
                         "function is called with the following keyword arguments {%U}",
                         tag, key, keys);
        Py_XDECREF(keys);
        return -1;
    }
    return 0;
}

static PyObject *call_grad(tfn_object *t, PyObject *args, PyObject *kwargs) {
    bool with_value = t->kind == T_VALUE_AND_GRAD;
    const char *tag = with_value ? "[value_and_grad]" : "[grad]";
    if (check_call_args(t, tag, args, kwargs) < 0) return NULL;
    mx_vec inputs = {0}, values = {0}, grads = {0};
    int_vec idx = {0};
    PyObject *result = NULL, *outbox = NULL, *pos_grads = NULL, *kw_grads = NULL, *value = NULL;
    mx_closure *c = NULL;
    int rc = 0;
    for (Py_ssize_t i = 0, j = 0; i < PyTuple_GET_SIZE(args); i++) {
        bool needs = j < t->n_argnums && t->argnums[j] == i;
        if (flatten_arg(PyTuple_GET_ITEM(args, i), needs, &inputs, &idx) < 0) goto done;
        j += needs;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (kwargs && PyDict_Next(kwargs, &pos, &k, &v)) {
        int needs = PySequence_Contains(t->argnames, k);
        if (needs < 0 || flatten_arg(v, needs, &inputs, &idx) < 0) goto done;
    }
    outbox = new_outbox();
    if (!outbox) goto done;
    c = pyfn_new(t->fun, args, kwargs, outbox, CALL_TREE, with_value ? OUT_VAG : OUT_GRAD, 0, tag,
                 NULL);
    if (!c) goto done;
    drop_pending();
    rc = mx_value_and_grad(&values, &grads, c, &inputs, idx.v, idx.n);
    if (rc) {
        raise_status(rc);
        goto done;
    }
    drop_pending();

    int gi = 0;
    if (t->n_argnums == 1) {
        pos_grads = mxp_tree_unflatten(PyTuple_GET_ITEM(args, t->argnums[0]), &grads, &gi);
    } else if (t->n_argnums > 1) {
        pos_grads = PyTuple_New(t->n_argnums);
        for (int a = 0; pos_grads && a < t->n_argnums; a++) {
            PyObject *g = mxp_tree_unflatten(PyTuple_GET_ITEM(args, t->argnums[a]), &grads, &gi);
            if (!g)
                Py_CLEAR(pos_grads);
            else
                PyTuple_SET_ITEM(pos_grads, a, g);
        }
    } else {
        pos_grads = Py_NewRef(Py_None);
    }
    if (!pos_grads) goto done;
    if (PyList_GET_SIZE(t->argnames) > 0) {
        kw_grads = PyDict_New();
        pos = 0;
        while (kw_grads && PyDict_Next(kwargs, &pos, &k, &v)) {
            int needs = PySequence_Contains(t->argnames, k);
            if (needs <= 0) {
                if (needs < 0) Py_CLEAR(kw_grads);
                continue;
            }
            PyObject *g = mxp_tree_unflatten(v, &grads, &gi);
            if (!g || PyDict_SetItem(kw_grads, k, g) < 0) Py_CLEAR(kw_grads);
            Py_XDECREF(g);
        }
        if (!kw_grads) goto done;
        Py_SETREF(pos_grads, PyTuple_Pack(2, pos_grads, kw_grads));
        if (!pos_grads) goto done;
    }
    if (!with_value) {
        result = Py_NewRef(pos_grads);
        goto done;
    }
    int vi = 0;
    value = mxp_tree_unflatten(PyList_GET_ITEM(outbox, 0), &values, &vi);
    if (value) result = PyTuple_Pack(2, value, pos_grads);
done:
    mx_closure_free(c);
    mx_vec_clear(&inputs);
    mx_vec_clear(&values);
    mx_vec_clear(&grads);
    free(idx.v);
    Py_XDECREF(outbox);
    Py_XDECREF(pos_grads);
    Py_XDECREF(kw_grads);
    Py_XDECREF(value);
    return result;
}

/* ---- vjp and jvp ---- */

static int to_array_vec(PyObject *o, mx_vec *v, const char *fname, const char *pname) {
    PyObject *seq = PySequence_Fast(o, "");
    if (!seq) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "%s(): incompatible function arguments: %s must be a list of arrays, got %s",
                     fname, pname, type_name(o));
        return -1;
    }
    int rc = 0;
    for (Py_ssize_t i = 0; !rc && i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *a = PySequence_Fast_GET_ITEM(seq, i);
        if (!mxp_is_array(a)) {
            PyErr_Format(PyExc_TypeError,
                         "%s(): incompatible function arguments: %s must be a list of arrays, "
                         "got an item of type %s",
                         fname, pname, type_name(a));
            rc = -1;
        } else if (mx_vec_append(v, mxp_arr(a))) {
            rc = mxp_raise_int(mx_last_error_code());
        }
    }
    Py_DECREF(seq);
    return rc;
}

static PyObject *vjp_or_jvp(PyObject *args, PyObject *kwargs, bool is_vjp) {
    static char *kw_vjp[] = {"fun", "primals", "cotangents", NULL};
    static char *kw_jvp[] = {"fun", "primals", "tangents", NULL};
    const char *fname = is_vjp ? "vjp" : "jvp";
    PyObject *fun, *primals, *seeds;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, is_vjp ? "OOO:vjp" : "OOO:jvp",
                                     is_vjp ? kw_vjp : kw_jvp, &fun, &primals, &seeds))
        return NULL;
    if (check_callable(fun, fname) < 0) return NULL;
    mx_vec p = {0}, s = {0}, outs = {0}, res = {0};
    PyObject *result = NULL;
    mx_closure *c = NULL;
    pyfn *pf = NULL;
    if (to_array_vec(primals, &p, fname, "primals") < 0 ||
        to_array_vec(seeds, &s, fname, is_vjp ? "cotangents" : "tangents") < 0)
        goto done;
    if (!is_vjp && p.size != s.size) {
        PyErr_SetString(PyExc_ValueError,
                        "[jvp] Number of inputs does not match number of tangents.");
        goto done;
    }
    for (int i = 0; !is_vjp && i < p.size; i++) {
        int nd = mx_array_ndim(p.data[i]);
        if (nd != mx_array_ndim(s.data[i]) ||
            memcmp(mx_array_shape(p.data[i]), mx_array_shape(s.data[i]),
                   sizeof(int32_t) * (size_t)nd) != 0) {
            PyErr_SetString(PyExc_ValueError, "[jvp] Input shape does not match shape of tangent.");
            goto done;
        }
    }
    c = pyfn_new(fun, NULL, NULL, NULL, CALL_LIST, OUT_LIST, 0, is_vjp ? "[vjp]" : "[jvp]", &pf);
    if (!c) goto done;
    if (is_vjp) pf->cotangents = &s;
    drop_pending();
    int rc = is_vjp ? mx_vjp(&outs, &res, c, &p, &s) : mx_jvp(&outs, &res, c, &p, &s);
    if (rc) {
        raise_status(rc);
        goto done;
    }
    drop_pending();
    PyObject *lo = mxp_vec_to_list(&outs), *lr = lo ? mxp_vec_to_list(&res) : NULL;
    if (lr) result = PyTuple_Pack(2, lo, lr);
    Py_XDECREF(lo);
    Py_XDECREF(lr);
done:
    mx_closure_free(c);
    mx_vec_clear(&p);
    mx_vec_clear(&s);
    mx_vec_clear(&outs);
    mx_vec_clear(&res);
    return result;
}

static PyObject *mxp_vjp(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    return vjp_or_jvp(args, kwargs, true);
}

static PyObject *mxp_jvp(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    return vjp_or_jvp(args, kwargs, false);
}

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
    if (ax == Py_None) return int_push(out, MX_VMAP_NONE);
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
        shape_str(b, sizeof b, arr);
        PyErr_Format(PyExc_IndexError,
                     "[vmap] Invalid%svectorization axis %ld for array with shape %s",
                     output ? " output " : " ", a, b);
        return -1;
    }
    return int_push(out, (int)a);
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

static PyObject *call_vmap(tfn_object *t, PyObject *args, PyObject *kwargs) {
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
    outbox = new_outbox();
    if (!outbox) goto done;
    c = pyfn_new(t->fun, args, NULL, outbox, CALL_TREE, OUT_STRICT, 0, "[vmap]", NULL);
    if (!c) goto done;
    int zero = 0, rc = mx_vmap(&vc, c, in_ax.v, in_ax.n, &zero, 1);
    drop_pending();
    if (!rc) rc = mx_closure_apply(vc, &outs, &inputs);
    if (rc) {
        raise_status(rc);
        goto done;
    }
    drop_pending();
    PyObject *out_tree = PyList_GET_ITEM(outbox, 0);
    if (axes_to_flat(out_tree, t->out_axes, true, &out_ax) < 0) goto done;
    for (int j = 0; j < outs.size; j++) {
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

static PyObject *mxp_vmap(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    static char *kwlist[] = {"fun", "in_axes", "out_axes", NULL};
    PyObject *fun, *in_axes = NULL, *out_axes = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OO:vmap", kwlist, &fun, &in_axes, &out_axes))
        return NULL;
    if (check_callable(fun, "vmap") < 0) return NULL;
    if (in_axes == Py_None || out_axes == Py_None) {
        PyErr_Format(PyExc_TypeError,
                     "vmap(): incompatible function arguments: %s must not be None",
                     in_axes == Py_None ? "in_axes" : "out_axes");
        return NULL;
    }
    tfn_object *t = tfn_new(T_VMAP, fun);
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

/* ---- checkpoint ---- */

/* Flattens (args, kwargs) loosely. */
static int flatten_call(PyObject *args, PyObject *kwargs, mx_vec *inputs) {
    if (mxp_tree_flatten(args, inputs, false) < 0) return -1;
    return kwargs ? mxp_tree_flatten(kwargs, inputs, false) : 0;
}

static PyObject *call_checkpoint(tfn_object *t, PyObject *args, PyObject *kwargs) {
    mx_vec inputs = {0}, outs = {0};
    mx_closure *c = NULL, *ck = NULL;
    PyObject *outbox = NULL, *result = NULL;
    if (flatten_call(args, kwargs, &inputs) < 0) goto done;
    outbox = new_outbox();
    if (!outbox) goto done;
    c = pyfn_new(t->fun, args, kwargs, outbox, CALL_TREE, OUT_LOOSE, 0, "[checkpoint]", NULL);
    if (!c) goto done;
    drop_pending();
    int rc = mx_checkpoint(&ck, c);
    if (!rc) rc = mx_closure_apply(ck, &outs, &inputs);
    if (rc) {
        raise_status(rc);
        goto done;
    }
    drop_pending();
    int i = 0;
    result = mxp_tree_unflatten(PyList_GET_ITEM(outbox, 0), &outs, &i);
done:
    mx_closure_free(ck);
    mx_closure_free(c);
    mx_vec_clear(&inputs);
    mx_vec_clear(&outs);
    Py_XDECREF(outbox);
    return result;
}

static PyObject *mxp_checkpoint(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    static char *kwlist[] = {"fun", NULL};
    PyObject *fun;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:checkpoint", kwlist, &fun)) return NULL;
    if (check_callable(fun, "checkpoint") < 0) return NULL;
    return (PyObject *)tfn_new(T_CHECKPOINT, fun);
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
        return call_grad(t, args, kwargs);
    case T_VMAP:
        return call_vmap(t, args, kwargs);
    case T_CHECKPOINT:
        return call_checkpoint(t, args, kwargs);
    }
    return NULL;
}

/* ---- custom_function ---- */

typedef struct {
    PyObject_HEAD PyObject *fun, *vjp, *jvp, *vmap;
} cf_object;

static int cf_traverse(PyObject *self, visitproc visit, void *arg) {
    cf_object *c = (cf_object *)self;
    Py_VISIT(c->fun);
    Py_VISIT(c->vjp);
    Py_VISIT(c->jvp);
    Py_VISIT(c->vmap);
    return 0;
}

static int cf_clear(PyObject *self) {
    cf_object *c = (cf_object *)self;
    Py_CLEAR(c->fun);
    Py_CLEAR(c->vjp);
    Py_CLEAR(c->jvp);
    Py_CLEAR(c->vmap);
    return 0;
}

static void cf_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    cf_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static int cf_init(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"f", NULL};
    PyObject *f;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:custom_function", kwlist, &f)) return -1;
    if (check_callable(f, "__init__") < 0) return -1;
    cf_object *c = (cf_object *)self;
    Py_XSETREF(c->fun, Py_NewRef(f));
    return 0;
}

static PyObject *cf_set(PyObject *self, PyObject *f, PyObject **slot, const char *name) {
    if (check_callable(f, name) < 0) return NULL;
    Py_XSETREF(*slot, Py_NewRef(f));
    return Py_NewRef(self);
}

static PyObject *cf_vjp(PyObject *self, PyObject *f) {
    return cf_set(self, f, &((cf_object *)self)->vjp, "vjp");
}

static PyObject *cf_jvp(PyObject *self, PyObject *f) {
    return cf_set(self, f, &((cf_object *)self)->jvp, "jvp");
}

static PyObject *cf_vmap(PyObject *self, PyObject *f) {
    return cf_set(self, f, &((cf_object *)self)->vmap, "vmap");
}

static PyObject *cf_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    cf_object *cf = (cf_object *)self;
    if (!cf->fun) {
        PyErr_SetString(PyExc_RuntimeError, "custom_function: no function");
        return NULL;
    }
    if (!cf->vjp && !cf->jvp && !cf->vmap) return PyObject_Call(cf->fun, args, kwargs);
    mx_vec inputs = {0}, outs = {0};
    mx_closure *fc = NULL, *vc = NULL, *jc = NULL, *custom = NULL;
    PyObject *outbox = NULL, *result = NULL;
    if (flatten_call(args, kwargs, &inputs) < 0) goto done;
    outbox = new_outbox();
    if (!outbox) goto done;
    fc =
        pyfn_new(cf->fun, args, kwargs, outbox, CALL_TREE, OUT_LOOSE, 0, "[custom_function]", NULL);
    if (!fc) goto done;
    if (cf->vjp) {
        vc = pyfn_new(cf->vjp, args, kwargs, outbox, CALL_VJP, OUT_LOOSE, inputs.size,
                      "[custom vjp]", NULL);
        if (!vc) goto done;
    }
    if (cf->jvp) {
        jc = pyfn_new(cf->jvp, args, kwargs, NULL, CALL_JVP, OUT_LOOSE, inputs.size, "[custom jvp]",
                      NULL);
        if (!jc) goto done;
    }
    drop_pending();
    int rc = mx_custom_function(&custom, fc, vc, jc);
    if (!rc) rc = mx_closure_apply(custom, &outs, &inputs);
    if (rc) {
        raise_status(rc);
        goto done;
    }
    drop_pending();
    int i = 0;
    result = mxp_tree_unflatten(PyList_GET_ITEM(outbox, 0), &outs, &i);
done:
    mx_closure_free(custom);
    mx_closure_free(fc);
    mx_closure_free(vc);
    mx_closure_free(jc);
    mx_vec_clear(&inputs);
    mx_vec_clear(&outs);
    Py_XDECREF(outbox);
    return result;
}

static PyMethodDef cf_methods[] = {
    {"vjp", cf_vjp, METH_O,
     "vjp(self, f: Callable)\n--\n\nDefine a custom vjp for the wrapped function.\n\n"
     "f(primals, cotangents, outputs) receives the positional arguments (the argument itself\n"
     "when there is one, else a tuple), the cotangents and the outputs shaped as the\n"
     "function's output, and returns cotangents shaped as the primals."},
    {"jvp", cf_jvp, METH_O,
     "jvp(self, f: Callable)\n--\n\nDefine a custom jvp for the wrapped function.\n\n"
     "f(primals, tangents) returns tangents shaped as the function's outputs."},
    {"vmap", cf_vmap, METH_O,
     "vmap(self, f: Callable)\n--\n\nDefine a custom vectorization for the wrapped function.\n\n"
     "Recorded; vmap vectorizes the wrapped function itself."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject cf_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.custom_function",
    .tp_basicsize = sizeof(cf_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "custom_function(f)\n--\n\n"
              "Set up a function for custom gradient and vmap definitions.\n\n"
              "Used as a decorator: the instance calls f, and the functions given to its vjp\n"
              "and jvp decorators replace the derivatives of f under the transforms.\n"
              "Captured arrays are constants: no gradient flows to them.",
    .tp_dealloc = cf_dealloc,
    .tp_traverse = cf_traverse,
    .tp_clear = cf_clear,
    .tp_call = cf_call,
    .tp_init = cf_init,
    .tp_new = PyType_GenericNew,
    .tp_methods = cf_methods,
};

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
    if (PyType_Ready(&tfn_type) < 0 || PyType_Ready(&cf_type) < 0) return -1;
    if (PyModule_AddObjectRef(module, "custom_function", (PyObject *)&cf_type) < 0) return -1;
    PyObject *name = PyModule_GetNameObject(module);
    if (!name) return -1;
    int rc = 0;
    for (PyMethodDef *d = transform_functions; d->ml_name && !rc; d++) {
        PyObject *f = PyCFunction_NewEx(d, NULL, name);
        rc = f ? PyModule_AddObjectRef(module, d->ml_name, f) : -1;
        Py_XDECREF(f);
    }
    Py_DECREF(name);
    return rc;
}
