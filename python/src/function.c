/*
 * The callable objects made from the op table. Each row's parameter list is
 * written as Python writes it ("a, /, axis=None, keepdims=False, *,
 * stream=None"); it is parsed once at import into a signature, and every
 * call binds positional and keyword arguments to slots by it, then hands the
 * slots to the row's signature kind (kinds.c).
 *
 * Two types share the layout: cmlx.core.function for module functions and
 * cmlx.core.method for array methods (a descriptor binding like a Python
 * function, with the array as the first slot). Both expose __name__,
 * __qualname__, __doc__ and __text_signature__, so help() and
 * inspect.signature() work.
 */
#include "cmlx_py.h"

#include <stdlib.h>
#include <string.h>
#include <structmember.h>

typedef struct {
    PyObject *name;  /* interned */
    PyObject *deflt; /* NULL: required */
} param;

typedef struct {
    int n;       /* parameters */
    int posonly; /* [0, posonly) are positional-only */
    int npos;    /* [0, npos) may be given by position */
    int varargs; /* index of a *args parameter, or -1 */
    int stream;  /* index of the stream parameter, or -1 */
    param p[MXP_MAX_PARAMS];
} signature;

typedef struct {
    PyObject_HEAD vectorcallfunc vectorcall;
    const mxp_op *op;
    signature sig;  /* the function's signature */
    signature msig; /* the method's parameters after self */
    bool is_method;
    PyObject *name, *qualname, *doc, *textsig, *module;
} op_object;

/* ---- parsing a spec ---- */

static PyObject *parse_default(const char *s, PyObject *module) {
    if (strcmp(s, "None") == 0) return Py_NewRef(Py_None);
    if (strcmp(s, "True") == 0) return Py_NewRef(Py_True);
    if (strcmp(s, "False") == 0) return Py_NewRef(Py_False);
    size_t len = strlen(s);
    /* a list of ints such as a shape, written as MLX's signatures write it;
     * a tuple so the shared default cannot be mutated */
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        PyObject *list = PyList_New(0);
        for (const char *p = s + 1; list && *p != ']';) {
            char *end;
            long long v = strtoll(p, &end, 10);
            PyObject *item = end == p ? NULL : PyLong_FromLongLong(v);
            if (!item || PyList_Append(list, item) < 0) {
                if (!PyErr_Occurred())
                    PyErr_Format(PyExc_SystemError, "cmlx op table: bad default %s", s);
                Py_XDECREF(item);
                Py_CLEAR(list);
                break;
            }
            Py_DECREF(item);
            for (p = end; *p == ',' || *p == ' ';) p++;
        }
        PyObject *t = list ? PyList_AsTuple(list) : NULL;
        Py_XDECREF(list);
        return t;
    }
    if (len >= 2 && s[0] == '\'' && s[len - 1] == '\'')
        return PyUnicode_FromStringAndSize(s + 1, (Py_ssize_t)len - 2);
    char *end;
    long long i = strtoll(s, &end, 10);
    if (*s && !*end) return PyLong_FromLongLong(i);
    double d = strtod(s, &end);
    if (*s && !*end) return PyFloat_FromDouble(d);
    return PyObject_GetAttrString(module, s); /* e.g. float32 */
}

static int parse_spec(signature *sig, const char *spec, const char *fname, PyObject *module) {
    memset(sig, 0, sizeof *sig);
    sig->varargs = sig->stream = -1;
    sig->npos = -1;
    char buf[512];
    if (strlen(spec) >= sizeof buf) goto bad;
    strcpy(buf, spec);
    /* commas inside a list default ("axes=[-2, -1]") do not separate */
    int depth = 0;
    for (char *c = buf; *c; c++) {
        depth += (*c == '[') - (*c == ']');
        if (*c == ',' && depth > 0) *c = '\x1f';
    }
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        for (char *c = tok; *c; c++)
            if (*c == '\x1f') *c = ',';
        while (*tok == ' ') tok++;
        char *e = tok + strlen(tok);
        while (e > tok && e[-1] == ' ') *--e = '\0';
        if (strcmp(tok, "/") == 0) {
            sig->posonly = sig->n;
            continue;
        }
        if (strcmp(tok, "*") == 0) {
            sig->npos = sig->n;
            continue;
        }
        if (sig->n == MXP_MAX_PARAMS) goto bad;
        param *p = &sig->p[sig->n];
        if (*tok == '*') {
            if (sig->npos >= 0) goto bad;
            sig->varargs = sig->n;
            sig->npos = sig->n;
            tok++;
        }
        char *eq = strchr(tok, '=');
        if (eq) {
            *eq = '\0';
            p->deflt = parse_default(eq + 1, module);
            if (!p->deflt) return -1;
        }
        p->name = PyUnicode_InternFromString(tok);
        if (!p->name) return -1;
        if (strcmp(tok, "stream") == 0) sig->stream = sig->n;
        sig->n++;
    }
    if (sig->npos < 0) sig->npos = sig->n;
    return 0;
bad:
    PyErr_Format(PyExc_SystemError, "cmlx op table: bad parameter spec for %s: \"%s\"", fname,
                 spec);
    return -1;
}

/* ---- binding arguments ---- */

static int find_param(const signature *sig, PyObject *key) {
    for (int i = 0; i < sig->n; i++)
        if (sig->p[i].name == key) return i;
    for (int i = 0; i < sig->n; i++)
        if (PyUnicode_Compare(sig->p[i].name, key) == 0) return i;
    return -1;
}

/* Fills slots (borrowed references) from vectorcall arguments. *owned gets
 * a tuple the caller releases (the *args of a varargs signature). */
static int bind(const signature *sig, const char *fname, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames, PyObject **slots, PyObject **owned) {
    for (int i = 0; i < sig->n; i++) slots[i] = NULL;
    if (nargs > sig->npos && sig->varargs < 0) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d positional argument%s (%zd given)",
                     fname, sig->npos, sig->npos == 1 ? "" : "s", nargs);
        return -1;
    }
    Py_ssize_t npos = nargs < sig->npos ? nargs : sig->npos;
    for (Py_ssize_t i = 0; i < npos; i++) slots[i] = args[i];
    if (sig->varargs >= 0) {
        Py_ssize_t extra = nargs - npos;
        PyObject *t = PyTuple_New(extra);
        if (!t) return -1;
        for (Py_ssize_t i = 0; i < extra; i++) PyTuple_SET_ITEM(t, i, Py_NewRef(args[npos + i]));
        *owned = t;
        slots[sig->varargs] = t;
    }
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int i = find_param(sig, key);
        if (i < 0 || i < sig->posonly || i == sig->varargs) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname,
                         key);
            return -1;
        }
        if (slots[i]) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%U'", fname, key);
            return -1;
        }
        slots[i] = args[nargs + k];
    }
    for (int i = 0; i < sig->n; i++) {
        if (slots[i]) continue;
        if (!sig->p[i].deflt) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%U'", fname,
                         sig->p[i].name);
            return -1;
        }
        slots[i] = sig->p[i].deflt;
    }
    return 0;
}

static PyObject *op_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                               PyObject *kwnames) {
    op_object *f = (op_object *)callable;
    const mxp_op *op = f->op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *slots[MXP_MAX_PARAMS], *owned = NULL, *packed = NULL, *result = NULL;
    const char *fname = op->name;
    if (!f->is_method) {
        if (bind(&f->sig, fname, args, nargs, kwnames, slots, &owned) < 0) goto done;
    } else {
        if (nargs < 1) {
            PyErr_Format(PyExc_TypeError, "%s() needs an array to work on", fname);
            return NULL;
        }
        slots[0] = args[0];
        args++, nargs--;
        PyObject *repacked[MXP_MAX_PARAMS + 1];
        Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
        if ((op->flags & MXP_METHOD_VARARGS) && nargs >= 1 && nkw <= MXP_MAX_PARAMS &&
            (nargs > 1 || mxp_is_intlike(args[0]))) {
            /* a.reshape(2, 3): the positional ints become the first parameter */
            packed = PyTuple_New(nargs);
            if (!packed) goto done;
            for (Py_ssize_t i = 0; i < nargs; i++) PyTuple_SET_ITEM(packed, i, Py_NewRef(args[i]));
            repacked[0] = packed;
            for (Py_ssize_t k = 0; k < nkw; k++) repacked[1 + k] = args[nargs + k];
            args = repacked;
            nargs = 1;
        }
        if (bind(&f->msig, fname, args, nargs, kwnames, slots + 1, &owned) < 0) goto done;
    }
    mx_stream buf;
    const mx_stream *s = NULL;
    if (f->sig.stream >= 0 && mxp_to_stream(slots[f->sig.stream], &buf, &s) < 0) goto done;
    result = mxp_kinds[op->kind].call(op, slots, s);
done:
    Py_XDECREF(owned);
    Py_XDECREF(packed);
    return result;
}

/* ---- the types ---- */

static void op_dealloc(PyObject *self) {
    op_object *f = (op_object *)self;
    signature *sigs[] = {&f->sig, &f->msig};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < sigs[k]->n; i++) {
            Py_XDECREF(sigs[k]->p[i].name);
            Py_XDECREF(sigs[k]->p[i].deflt);
        }
    Py_XDECREF(f->name);
    Py_XDECREF(f->qualname);
    Py_XDECREF(f->doc);
    Py_XDECREF(f->textsig);
    Py_XDECREF(f->module);
    PyObject_Free(self);
}

static PyObject *op_repr(PyObject *self) {
    op_object *f = (op_object *)self;
    return f->is_method
               ? PyUnicode_FromFormat("<method '%U' of 'cmlx.core.array' objects>", f->name)
               : PyUnicode_FromFormat("<cmlx.core function %U>", f->qualname);
}

/* Module functions do not bind (like builtins); methods bind like Python
 * functions. */
static PyObject *function_get(PyObject *self, PyObject *obj, PyObject *type) {
    (void)obj, (void)type;
    return Py_NewRef(self);
}
static PyObject *method_get(PyObject *self, PyObject *obj, PyObject *type) {
    (void)type;
    if (!obj || obj == Py_None) return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static PyMemberDef op_members[] = {
    {"__name__", T_OBJECT, offsetof(op_object, name), READONLY, NULL},
    {"__qualname__", T_OBJECT, offsetof(op_object, qualname), READONLY, NULL},
    {"__doc__", T_OBJECT, offsetof(op_object, doc), READONLY, NULL},
    {"__text_signature__", T_OBJECT, offsetof(op_object, textsig), READONLY, NULL},
    {"__module__", T_OBJECT, offsetof(op_object, module), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject function_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.function",
    .tp_basicsize = sizeof(op_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(op_object, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_dealloc = op_dealloc,
    .tp_repr = op_repr,
    .tp_members = op_members,
    .tp_descr_get = function_get,
};

static PyTypeObject method_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.method",
    .tp_basicsize = sizeof(op_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_vectorcall_offset = offsetof(op_object, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_dealloc = op_dealloc,
    .tp_repr = op_repr,
    .tp_members = op_members,
    .tp_descr_get = method_get,
};

/* ---- building from the table ---- */

static int check_row(const mxp_op *op, const signature *sig, const signature *msig) {
    const mxp_kind_info *k = &mxp_kinds[op->kind];
    int nparams = sig->n - (sig->stream >= 0);
    const char *why = NULL;
    if (sig->stream >= 0 && sig->stream != sig->n - 1)
        why = "stream must be the last parameter";
    else if (op->kind != MXP_CUSTOM && sig->stream < 0)
        why = "a stream parameter is required";
    else if (k->nparams >= 0 && nparams != k->nparams)
        why = "the parameter count does not match its signature kind";
    else if (op->method && msig->n != sig->n - 1)
        why = "the method must take the function's parameters after the first";
    for (int i = 0; !why && op->method && i < msig->n; i++)
        if (PyUnicode_Compare(msig->p[i].name, sig->p[i + 1].name) != 0)
            why = "the method's parameter names differ from the function's";
    if (!why) return 0;
    PyErr_Format(PyExc_SystemError, "cmlx op table: row %s (%s): %s", op->name, k->name, why);
    return -1;
}

/* Whether every default is a literal inspect.signature can evaluate. */
static bool literal_defaults(const signature *sig) {
    for (int i = 0; i < sig->n; i++) {
        PyObject *d = sig->p[i].deflt;
        if (d && d != Py_None && !PyBool_Check(d) && !PyLong_CheckExact(d) &&
            !PyFloat_CheckExact(d) && !PyUnicode_CheckExact(d) && !PyTuple_CheckExact(d))
            return false;
    }
    return true;
}

static op_object *make(PyTypeObject *type, const mxp_op *op, const char *pyname,
                       const char *qualname, const char *spec, PyObject *module,
                       const char *modname) {
    op_object *f = PyObject_New(op_object, type);
    if (!f) return NULL;
    memset((char *)f + sizeof(PyObject), 0, sizeof(op_object) - sizeof(PyObject));
    f->vectorcall = op_vectorcall;
    f->op = op;
    f->is_method = type == &method_type;
    f->name = PyUnicode_FromString(pyname);
    f->qualname = PyUnicode_FromString(qualname);
    f->module = PyUnicode_FromString(modname);
    f->textsig = PyUnicode_FromFormat(f->is_method ? "($self, %s)" : "(%s)", spec);
    f->doc = PyUnicode_FromFormat("%s(%s)\n\n%s", pyname, spec, op->doc ? op->doc : "");
    if (!f->name || !f->qualname || !f->module || !f->textsig || !f->doc) goto fail;
    if (parse_spec(&f->sig, op->spec, op->name, module) < 0) goto fail;
    if (op->method && parse_spec(&f->msig, op->method, op->name, module) < 0) goto fail;
    if (check_row(op, &f->sig, &f->msig) < 0) goto fail;
    if (!literal_defaults(f->is_method ? &f->msig : &f->sig))
        Py_SETREF(f->textsig, Py_NewRef(Py_None)); /* inspect could not evaluate them */
    return f;
fail:
    Py_DECREF(f);
    return NULL;
}

int mxp_ops_init(PyObject *module) {
    if (PyType_Ready(&function_type) < 0 || PyType_Ready(&method_type) < 0) return -1;
    PyObject *array_dict = mxp_array_type.tp_dict;
    for (size_t i = 0; i < mxp_num_ops; i++) {
        const mxp_op *op = &mxp_ops[i];
        const char *dot = strchr(op->name, '.');
        const char *pyname = dot ? dot + 1 : op->name;
        PyObject *target = module;
        char modname[64] = "cmlx.core";
        if (dot) {
            char sub[32];
            snprintf(sub, sizeof sub, "%.*s", (int)(dot - op->name), op->name);
            snprintf(modname, sizeof modname, "cmlx.core.%s", sub);
            target = PyObject_GetAttrString(module, sub);
            if (!target) return -1;
            Py_DECREF(target); /* the module keeps it alive */
        }
        op_object *f = make(&function_type, op, pyname, pyname, op->spec, module, modname);
        if (!f || PyModule_AddObject(target, pyname, (PyObject *)f) < 0) {
            Py_XDECREF(f);
            return -1;
        }
        if (!op->method) continue;
        char qual[96];
        snprintf(qual, sizeof qual, "array.%s", pyname);
        op_object *m = make(&method_type, op, pyname, qual, op->method, module, "cmlx.core");
        if (!m) return -1;
        int rc = PyDict_SetItemString(array_dict, pyname, (PyObject *)m);
        Py_DECREF(m);
        if (rc < 0) return -1;
    }
    PyType_Modified(&mxp_array_type);
    return 0;
}
