/*
 * Function export from Python: export_function, import_function, exporter
 * and the FunctionExporter it returns, over mx_exporter / mx_import_function
 * (docs/function_format.md).
 *
 * A call's arrays are flattened as the positional arrays in order, then the
 * keyword arrays sorted by name, whose names the file keeps per trace: the
 * imported function runs the trace of the same positional count, keyword
 * names, dtypes and shapes. Like
 * MLX, inputs are either arrays (`*args, **kwargs`) or one tuple and/or one
 * dict of arrays.
 */
#include "cmlx_py.h"
#include "transforms.h"

/* ---- arguments ---- */

/* Positional and keyword arrays of a call, in MLX's two forms: (*arrays,
 * **arrays) or (tuple_of_arrays[, dict_of_arrays]). *pos gets a new tuple
 * of arrays and *kw a new dict with the keywords sorted by name (empty when
 * none). A list stands for a tuple, as in MLX. 0, or -1 with ValueError. */
static int split_call(PyObject *args, PyObject *kwargs, PyObject **pos, PyObject **kw,
                      const char *op) {
    *pos = NULL;
    *kw = NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    PyObject *p = args, *d = kwargs, *listed = NULL;
    bool kw_empty = !kwargs || PyDict_GET_SIZE(kwargs) == 0;
    if (kw_empty && n >= 1 && n <= 2 &&
        (PyTuple_Check(PyTuple_GET_ITEM(args, 0)) || PyList_Check(PyTuple_GET_ITEM(args, 0)) ||
         PyDict_Check(PyTuple_GET_ITEM(args, 0)))) {
        PyObject *a0 = PyTuple_GET_ITEM(args, 0), *a1 = n == 2 ? PyTuple_GET_ITEM(args, 1) : NULL;
        if ((PyTuple_Check(a0) || PyList_Check(a0)) && (!a1 || PyDict_Check(a1))) {
            if (PyList_Check(a0) && !(a0 = listed = PyList_AsTuple(a0))) return -1;
            p = a0;
            d = a1;
        } else if (PyDict_Check(a0) && !a1) {
            p = NULL;
            d = a0;
        } else {
            goto bad;
        }
    }
    Py_ssize_t np_ = p ? PyTuple_GET_SIZE(p) : 0;
    for (Py_ssize_t i = 0; i < np_; i++)
        if (!mxp_is_array(PyTuple_GET_ITEM(p, i))) goto bad;
    PyObject *keys = d ? PyDict_Keys(d) : PyList_New(0);
    if (!keys || PyList_Sort(keys) < 0) {
        Py_XDECREF(keys);
        Py_XDECREF(listed);
        return -1;
    }
    PyObject *sorted = PyDict_New();
    for (Py_ssize_t i = 0; sorted && i < PyList_GET_SIZE(keys); i++) {
        PyObject *k = PyList_GET_ITEM(keys, i), *v = PyDict_GetItemWithError(d, k);
        if (!v || !PyUnicode_Check(k) || !mxp_is_array(v)) {
            Py_DECREF(keys);
            Py_DECREF(sorted);
            if (PyErr_Occurred()) {
                Py_XDECREF(listed);
                return -1;
            }
            goto bad;
        }
        if (PyDict_SetItem(sorted, k, v) < 0) Py_CLEAR(sorted);
    }
    Py_DECREF(keys);
    if (!sorted) {
        Py_XDECREF(listed);
        return -1;
    }
    *pos = p ? Py_NewRef(p) : PyTuple_New(0);
    Py_XDECREF(listed);
    *kw = sorted;
    if (!*pos) {
        Py_CLEAR(*kw);
        return -1;
    }
    return 0;
bad:
    Py_XDECREF(listed);
    PyErr_Format(PyExc_ValueError,
                 "[%s] Inputs can either be a variable number of positional and keyword arrays or "
                 "a single tuple and/or dictionary of arrays.",
                 op);
    return -1;
}

/* The arrays of (pos, kw) in call order, borrowed into v. */
static int flatten_split(PyObject *pos, PyObject *kw, mx_vec *v) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(pos); i++) {
        int rc = mx_vec_push(v, mx_array_retain(mxp_arr(PyTuple_GET_ITEM(pos, i))));
        if (rc) return mxp_raise_int(rc);
    }
    PyObject *k, *val;
    Py_ssize_t it = 0;
    while (PyDict_Next(kw, &it, &k, &val)) {
        int rc = mx_vec_push(v, mx_array_retain(mxp_arr(val)));
        if (rc) return mxp_raise_int(rc);
    }
    return 0;
}

/* The keys of kw (str, in its order) as UTF-8 pointers valid while kw
 * lives, into names (at most 64). Returns the count, or -1 with an
 * exception. */
static int kw_names(PyObject *kw, const char **names) {
    PyObject *k, *v;
    Py_ssize_t it = 0;
    int n = 0;
    while (PyDict_Next(kw, &it, &k, &v)) {
        if (n == 64) {
            PyErr_SetString(PyExc_ValueError, "[export_function] at most 64 keyword arrays");
            return -1;
        }
        if (!(names[n++] = PyUnicode_AsUTF8(k))) return -1;
    }
    return n;
}

/* A path (str or os.PathLike) as a new bytes object; TypeError otherwise. */
static PyObject *path_arg(PyObject *file, const char *op) {
    if (PyUnicode_Check(file) || PyObject_HasAttrString(file, "__fspath__")) {
        PyObject *b = NULL;
        return PyUnicode_FSConverter(file, &b) ? b : NULL;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s(): incompatible function arguments: file must be a str or "
                 "a path, got %s",
                 op, mxp_type_name(file));
    return NULL;
}

/* Traces the function of p (the closure of e) on the arrays of a call into
 * e: the call's tuple and dict become p's templates, so each trace passes
 * its own number of arguments. 0 or -1 with an exception. */
static int add_trace(mx_exporter *e, pyfn *p, PyObject *args, PyObject *kwargs, const char *op) {
    PyObject *pos, *kw;
    if (split_call(args, kwargs, &pos, &kw, op) < 0) return -1;
    Py_SETREF(p->args, pos);
    Py_SETREF(p->kwargs, kw);
    mx_vec inputs = {0};
    const char *names[64];
    int ret = -1, n_kw = kw_names(kw, names);
    if (n_kw >= 0 && flatten_split(pos, kw, &inputs) == 0) {
        mxp_drop_pending();
        int rc = mx_exporter_add_kw(e, &inputs, names, n_kw);
        if (rc)
            mxp_raise_pending(rc);
        else
            ret = 0;
        mxp_drop_pending();
    }
    mx_vec_clear(&inputs);
    return ret;
}

/* The closure exporting traces: fun(*pos, **kw) with tracers for the
 * arrays (templates set by add_trace). */
static mx_closure *export_closure(PyObject *fun, pyfn **pp) {
    PyObject *pos = PyTuple_New(0), *kw = PyDict_New();
    mx_closure *c = NULL;
    if (pos && kw)
        c = mxp_pyfn_new(fun, pos, kw, NULL, CALL_TREE, OUT_LIST, 0, "[export_function]", pp);
    Py_XDECREF(pos);
    Py_XDECREF(kw);
    return c;
}

/* metadata (a str, or NULL for none) written with e's file. 0 or -1. */
static int set_metadata(mx_exporter *e, PyObject *metadata) {
    if (!metadata) return 0;
    Py_ssize_t n;
    const char *m = PyUnicode_AsUTF8AndSize(metadata, &n);
    if (!m) return -1;
    int rc = mx_exporter_set_metadata(e, m, (size_t)n);
    return rc ? mxp_raise_int(rc) : 0;
}

/* ---- export_function ---- */

static PyObject *export_function(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (n < 2) {
        PyErr_SetString(PyExc_TypeError, "export_function(): incompatible function arguments: "
                                         "file and fun are required");
        return NULL;
    }
    bool shapeless = false;
    PyObject *kw = NULL, *metadata = NULL;
    if (kwargs) {
        kw = PyDict_Copy(kwargs);
        if (!kw) return NULL;
        PyObject *m = PyDict_GetItemString(kw, "metadata");
        if (m && m != Py_None && !PyUnicode_Check(m)) {
            Py_DECREF(kw);
            PyErr_SetString(PyExc_TypeError, "export_function(): incompatible function "
                                             "arguments: metadata must be a str or None");
            return NULL;
        }
        if (m) {
            metadata = m == Py_None ? NULL : Py_NewRef(m);
            PyDict_DelItemString(kw, "metadata");
        }
        PyObject *s = PyDict_GetItemString(kw, "shapeless");
        if (s) {
            if (!PyBool_Check(s)) {
                Py_DECREF(kw);
                PyErr_SetString(PyExc_TypeError, "export_function(): incompatible function "
                                                 "arguments: shapeless must be a bool");
                return NULL;
            }
            shapeless = s == Py_True;
            PyDict_DelItemString(kw, "shapeless");
        }
    }
    PyObject *file = PyTuple_GET_ITEM(args, 0), *fun = PyTuple_GET_ITEM(args, 1);
    PyObject *rest = PyTuple_GetSlice(args, 2, n), *path = NULL, *ret = NULL;
    mx_closure *c = NULL;
    if (!rest) goto done;
    if (PyCallable_Check(file) && !PyUnicode_Check(file)) {
        PyErr_SetString(PyExc_ValueError,
                        "[export_function] exporting to a callback is not supported; give a "
                        "file path");
        goto done;
    }
    if (!(path = path_arg(file, "export_function"))) goto done;
    if (mxp_check_callable(fun, "export_function") < 0) goto done;
    pyfn *pf = NULL;
    if (!(c = export_closure(fun, &pf))) goto done;
    mx_exporter *e = NULL;
    int rc = mx_exporter_new(&e, PyBytes_AS_STRING(path), c, shapeless);
    if (rc) {
        mxp_raise(rc);
        goto done;
    }
    if (set_metadata(e, metadata) < 0) {
        mx_exporter_free(e);
        goto done;
    }
    if (add_trace(e, pf, rest, kw, "export_function") < 0) {
        mx_exporter_free(e);
        goto done;
    }
    rc = mx_exporter_close(e);
    if (rc) {
        mxp_raise(rc);
        goto done;
    }
    ret = Py_NewRef(Py_None);
done:
    mx_closure_free(c);
    Py_XDECREF(path);
    Py_XDECREF(rest);
    Py_XDECREF(kw);
    Py_XDECREF(metadata);
    return ret;
}

/* ---- the imported function ---- */

typedef struct {
    PyObject_HEAD mx_closure *f;
    PyObject *file;
} imported_object;

static void imported_dealloc(PyObject *self) {
    imported_object *o = (imported_object *)self;
    mx_closure_free(o->f);
    Py_XDECREF(o->file);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *imported_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    imported_object *o = (imported_object *)self;
    PyObject *pos, *kw, *ret = NULL;
    if (split_call(args, kwargs, &pos, &kw, "import_function::call") < 0) return NULL;
    mx_vec inputs = {0}, outs = {0};
    const char *names[64];
    int n_kw = kw_names(kw, names);
    if (n_kw >= 0 && flatten_split(pos, kw, &inputs) == 0) {
        int rc;
        Py_BEGIN_ALLOW_THREADS rc = mx_imported_apply_kw(o->f, &outs, &inputs, names, n_kw);
        Py_END_ALLOW_THREADS if (rc) mxp_raise(rc);
        else if ((ret = PyTuple_New(outs.size))) for (int i = 0; i < outs.size; i++) {
            PyObject *a = mxp_array_wrap(mx_array_retain(outs.data[i]));
            if (!a) {
                Py_CLEAR(ret);
                break;
            }
            PyTuple_SET_ITEM(ret, i, a);
        }
    }
    mx_vec_clear(&inputs);
    mx_vec_clear(&outs);
    Py_DECREF(pos);
    Py_DECREF(kw);
    return ret;
}

static PyObject *imported_repr(PyObject *self) {
    return PyUnicode_FromFormat("<imported function from %R>", ((imported_object *)self)->file);
}

static PyTypeObject imported_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.ImportedFunction",
    .tp_basicsize = sizeof(imported_object),
    .tp_dealloc = imported_dealloc,
    .tp_call = imported_call,
    .tp_repr = imported_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A function read by import_function: call it with the arrays of one of its "
              "traces; returns a tuple of arrays.",
};

static PyObject *import_function(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *names[] = {"file", "return_metadata", NULL};
    PyObject *file;
    int return_metadata = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|p:import_function", names, &file,
                                     &return_metadata))
        return NULL;
    PyObject *path = path_arg(file, "import_function");
    if (!path) return NULL;
    mx_closure *f = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS rc = mx_import_function(&f, PyBytes_AS_STRING(path));
    Py_END_ALLOW_THREADS if (rc) {
        Py_DECREF(path);
        return mxp_raise(rc);
    }
    imported_object *o = PyObject_New(imported_object, &imported_type);
    if (!o) {
        mx_closure_free(f);
        Py_DECREF(path);
        return NULL;
    }
    o->f = f;
    o->file = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(path));
    Py_DECREF(path);
    if (!o->file) Py_CLEAR(o);
    if (!o || !return_metadata) return (PyObject *)o;
    const char *md = NULL;
    size_t md_len = 0;
    rc = mx_imported_metadata(f, &md, &md_len);
    PyObject *ms = rc ? mxp_raise(rc) : PyUnicode_DecodeUTF8(md, (Py_ssize_t)md_len, "replace");
    if (!ms) {
        Py_DECREF(o);
        return NULL;
    }
    PyObject *t = PyTuple_Pack(2, (PyObject *)o, ms);
    Py_DECREF(o);
    Py_DECREF(ms);
    return t;
}

/* ---- exporter / FunctionExporter ---- */

typedef struct {
    PyObject_HEAD PyObject *fun;
    PyObject *path;     /* bytes */
    PyObject *metadata; /* str or NULL */
    bool shapeless;
    mx_exporter *e; /* NULL until the first call, and after close */
    pyfn *pf;       /* e's closure's payload */
    bool closed;
} fexp_object;

static void fexp_dealloc(PyObject *self) {
    fexp_object *o = (fexp_object *)self;
    mx_exporter_free(o->e); /* never closed: nothing written */
    Py_XDECREF(o->fun);
    Py_XDECREF(o->path);
    Py_XDECREF(o->metadata);
    Py_TYPE(self)->tp_free(self);
}

static PyObject *fexp_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    fexp_object *o = (fexp_object *)self;
    if (o->closed) {
        PyErr_SetString(PyExc_RuntimeError,
                        "[export_function] Attempting to write after exporting is closed.");
        return NULL;
    }
    if (!o->e) {
        mx_closure *c = export_closure(o->fun, &o->pf);
        if (!c) return NULL;
        int rc = mx_exporter_new(&o->e, PyBytes_AS_STRING(o->path), c, o->shapeless);
        mx_closure_free(c);
        if (rc) return mxp_raise(rc);
        if (set_metadata(o->e, o->metadata) < 0) return NULL;
    }
    if (add_trace(o->e, o->pf, args, kwargs, "export_function") < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *fexp_close(PyObject *self, PyObject *unused) {
    (void)unused;
    fexp_object *o = (fexp_object *)self;
    if (o->closed) Py_RETURN_NONE;
    o->closed = true;
    mx_exporter *e = o->e;
    o->e = NULL;
    if (!e) Py_RETURN_NONE; /* nothing traced: no file, as there is no function to read */
    int rc = mx_exporter_close(e);
    if (rc) return mxp_raise(rc);
    Py_RETURN_NONE;
}

static PyObject *fexp_enter(PyObject *self, PyObject *unused) {
    (void)unused;
    return Py_NewRef(self);
}

static PyObject *fexp_exit(PyObject *self, PyObject *args) {
    (void)args;
    return fexp_close(self, NULL);
}

static PyMethodDef fexp_methods[] = {
    {"close", fexp_close, METH_NOARGS, "close(self) -> None\n--\n\nWrites the file."},
    {"__enter__", fexp_enter, METH_NOARGS, NULL},
    {"__exit__", fexp_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject fexp_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.FunctionExporter",
    .tp_basicsize = sizeof(fexp_object),
    .tp_dealloc = fexp_dealloc,
    .tp_call = fexp_call,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = fexp_methods,
    .tp_doc = "A context managing class for exporting multiple traces of the same function to a "
              "file. Make an instance of this class by calling :func:`exporter`.",
};

static PyObject *exporter_fn(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *names[] = {"file", "fun", "shapeless", "metadata", NULL};
    PyObject *file, *fun, *shp = Py_False, *md = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|$O!O:exporter", names, &file, &fun,
                                     &PyBool_Type, &shp, &md))
        return NULL;
    if (md != Py_None && !PyUnicode_Check(md)) {
        PyErr_SetString(PyExc_TypeError,
                        "exporter(): incompatible function arguments: metadata must be a str or "
                        "None");
        return NULL;
    }
    PyObject *path = path_arg(file, "exporter");
    if (!path) return NULL;
    if (mxp_check_callable(fun, "exporter") < 0) {
        Py_DECREF(path);
        return NULL;
    }
    fexp_object *o = PyObject_New(fexp_object, &fexp_type);
    if (!o) {
        Py_DECREF(path);
        return NULL;
    }
    o->fun = Py_NewRef(fun);
    o->path = path;
    o->shapeless = shp == Py_True;
    o->metadata = md == Py_None ? NULL : Py_NewRef(md);
    o->e = NULL;
    o->pf = NULL;
    o->closed = false;
    return (PyObject *)o;
}

static PyMethodDef export_functions[] = {
    {"export_function", (PyCFunction)(void (*)(void))export_function, METH_VARARGS | METH_KEYWORDS,
     "export_function(file, fun, *args, shapeless=False, metadata=None, **kwargs)\n--\n\n"
     "Export a function: trace ``fun`` on the example arrays (``*args`` and ``**kwargs``, or "
     "one tuple and/or one dict of arrays) and write its graph to ``file`` (a path).\n"
     "With ``shapeless`` the function may be called with inputs of other shapes; "
     "``metadata`` (a str) is saved with it."},
    {"import_function", (PyCFunction)(void (*)(void))import_function, METH_VARARGS | METH_KEYWORDS,
     "import_function(file, return_metadata=False)\n--\n\n"
     "Import a function from a file. Call it like the exported function (``*args`` and "
     "``**kwargs``, or a tuple and/or dict of arrays); it returns a tuple of arrays. With "
     "``return_metadata``, returns (function, metadata str)."},
    {"exporter", (PyCFunction)(void (*)(void))exporter_fn, METH_VARARGS | METH_KEYWORDS,
     "exporter(file, fun, *, shapeless=False, metadata=None)\n--\n\n"
     "Make a FunctionExporter writing several traces of ``fun`` to ``file``: each call traces "
     "one more input signature; the file is written on close (or leaving the ``with`` "
     "block)."},
    {NULL, NULL, 0, NULL},
};

int mxp_export_init(PyObject *module) {
    if (PyType_Ready(&imported_type) < 0 || PyType_Ready(&fexp_type) < 0) return -1;
    if (PyModule_AddObjectRef(module, "FunctionExporter", (PyObject *)&fexp_type) < 0) return -1;
    return PyModule_AddFunctions(module, export_functions);
}
