/* grad, value_and_grad, vjp and jvp over Python callables and trees. */
#include "transforms.h"

#include <stdlib.h>
#include <string.h>

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
                     fname, pname, mxp_type_name(o));
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
                             fname, mxp_type_name(s));
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
                     fname, mxp_type_name(argnames));
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
                     fname, mxp_type_name(argnums));
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
    if (mxp_check_callable(fun, fname) < 0) return NULL;
    tfn_object *t = mxp_tfn_new(kind, fun);
    if (!t) return NULL;
    if (parse_argnums(t, argnums, argnames, fname, tag) < 0) {
        Py_DECREF(t);
        return NULL;
    }
    return (PyObject *)t;
}

PyObject *mxp_grad(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    return make_grad(args, kwargs, T_GRAD);
}

PyObject *mxp_value_and_grad(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    return make_grad(args, kwargs, T_VALUE_AND_GRAD);
}

/* Flattens one argument, recording the flat indices of its arrays when it
 * is differentiated. */
static int flatten_arg(PyObject *o, bool needs_grad, mx_vec *inputs, int_vec *idx) {
    int start = inputs->size;
    if (mxp_tree_flatten(o, inputs, needs_grad) < 0) return -1;
    for (int k = start; needs_grad && k < inputs->size; k++)
        if (mxp_int_push(idx, k) < 0) return -1;
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

PyObject *mxp_call_grad(tfn_object *t, PyObject *args, PyObject *kwargs) {
    bool with_value = t->kind == T_VALUE_AND_GRAD;
    const char *tag = with_value ? "[value_and_grad]" : "[grad]";
    if (check_call_args(t, tag, args, kwargs) < 0) return NULL;
    mx_vec inputs = {0}, values = {0}, grads = {0};
    int_vec idx = {0};
    PyObject *result = NULL, *outbox = NULL, *pos_grads = NULL, *kw_grads = NULL, *value = NULL;
    mx_closure *c = NULL;
    int rc = 0;
    /* The call's template: arguments that are not differentiated are
     * passed through untouched, as in MLX (a Module stays a Module). */
    PyObject *targs = PyTuple_New(PyTuple_GET_SIZE(args));
    PyObject *tkwargs = kwargs ? PyDict_New() : NULL;
    if (!targs || (kwargs && !tkwargs)) goto done;
    for (Py_ssize_t i = 0, j = 0; i < PyTuple_GET_SIZE(args); i++) {
        bool needs = j < t->n_argnums && t->argnums[j] == i;
        PyObject *a = PyTuple_GET_ITEM(args, i);
        if (needs && flatten_arg(a, true, &inputs, &idx) < 0) goto done;
        PyObject *slot = needs ? Py_NewRef(a) : mxp_tree_opaque(a);
        if (!slot) goto done;
        PyTuple_SET_ITEM(targs, i, slot);
        j += needs;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (kwargs && PyDict_Next(kwargs, &pos, &k, &v)) {
        int needs = PySequence_Contains(t->argnames, k);
        if (needs < 0 || (needs && flatten_arg(v, true, &inputs, &idx) < 0)) goto done;
        PyObject *slot = needs ? Py_NewRef(v) : mxp_tree_opaque(v);
        if (!slot || PyDict_SetItem(tkwargs, k, slot) < 0) {
            Py_XDECREF(slot);
            goto done;
        }
        Py_DECREF(slot);
    }
    if (idx.n == 0) {
        /* MLX's core says this, under this tag, for grad and value_and_grad */
        PyErr_SetString(PyExc_ValueError, "[grad] Must specify at least one argument.");
        goto done;
    }
    outbox = mxp_new_outbox();
    if (!outbox) goto done;
    pyfn *pf = NULL;
    c = mxp_pyfn_new(t->fun, targs, tkwargs, outbox, CALL_TREE, with_value ? OUT_VAG : OUT_GRAD, 0,
                     tag, &pf);
    if (!c) goto done;
    pf->in_place = true; /* the function sees its caller's lists and dicts, as in MLX */
    mxp_drop_pending();
    rc = mx_value_and_grad(&values, &grads, c, &inputs, idx.v, idx.n);
    if (rc) {
        mxp_raise_pending(rc);
        goto done;
    }
    mxp_drop_pending();

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
    Py_XDECREF(targs);
    Py_XDECREF(tkwargs);
    return result;
}

/* ---- vjp and jvp ---- */

static int to_array_vec(PyObject *o, mx_vec *v, const char *fname, const char *pname) {
    PyObject *seq = PySequence_Fast(o, "");
    if (!seq) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "%s(): incompatible function arguments: %s must be a list of arrays, got %s",
                     fname, pname, mxp_type_name(o));
        return -1;
    }
    int rc = 0;
    for (Py_ssize_t i = 0; !rc && i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *a = PySequence_Fast_GET_ITEM(seq, i);
        if (!mxp_is_array(a)) {
            PyErr_Format(PyExc_TypeError,
                         "%s(): incompatible function arguments: %s must be a list of arrays, "
                         "got an item of type %s",
                         fname, pname, mxp_type_name(a));
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
    if (mxp_check_callable(fun, fname) < 0) return NULL;
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
    c = mxp_pyfn_new(fun, NULL, NULL, NULL, CALL_LIST, OUT_LIST, 0, is_vjp ? "[vjp]" : "[jvp]",
                     &pf);
    if (!c) goto done;
    if (is_vjp) pf->cotangents = &s;
    mxp_drop_pending();
    int rc = is_vjp ? mx_vjp(&outs, &res, c, &p, &s) : mx_jvp(&outs, &res, c, &p, &s);
    if (rc) {
        mxp_raise_pending(rc);
        goto done;
    }
    mxp_drop_pending();
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

PyObject *mxp_vjp(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    return vjp_or_jvp(args, kwargs, true);
}

PyObject *mxp_jvp(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    return vjp_or_jvp(args, kwargs, false);
}
