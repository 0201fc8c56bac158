/* Dtype objects (mx.float32, ...), the DtypeCategory enum and issubdtype. */
#include "cmlx_py.h"

#include <structmember.h>

static PyObject *dtype_objs[MX_NUM_DTYPES];
static PyObject *category_type; /* the DtypeCategory enum class */

/* Module attribute names, in mx_dtype order (MLX spells bool as bool_). */
static const char *const dtype_attr[MX_NUM_DTYPES] = {
    "bool_", "uint8", "uint16",  "uint32",  "uint64",  "int8",     "int16",
    "int32", "int64", "float16", "float32", "float64", "bfloat16", "complex64",
};

static const char *const category_names[] = {
    "complexfloating", "floating", "inexact", "signedinteger",
    "unsignedinteger", "integer",  "number",  "generic",
};

PyObject *mxp_dtype_obj(mx_dtype t) {
    return mx_dtype_is_valid((int)t) ? dtype_objs[t] : Py_None;
}

static PyObject *dtype_repr(PyObject *self) {
    /* MLX prints the module as mlx.core; we keep its spelling so programs
     * comparing str(dtype) behave the same. */
    return PyUnicode_FromFormat("mlx.core.%s", mx_dtype_name(((mxp_dtype_object *)self)->dtype));
}

static Py_hash_t dtype_hash(PyObject *self) {
    return (Py_hash_t)((mxp_dtype_object *)self)->dtype;
}

static PyObject *dtype_richcompare(PyObject *a, PyObject *b, int op) {
    if (op != Py_EQ && op != Py_NE) Py_RETURN_NOTIMPLEMENTED;
    bool eq = PyObject_TypeCheck(b, &mxp_dtype_type) &&
              ((mxp_dtype_object *)a)->dtype == ((mxp_dtype_object *)b)->dtype;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static PyObject *dtype_size(PyObject *self, void *closure) {
    (void)closure;
    return PyLong_FromLong(mx_dtype_size(((mxp_dtype_object *)self)->dtype));
}

/* Pickles as the module attribute of the same name. */
static PyObject *dtype_reduce(PyObject *self, PyObject *unused) {
    (void)unused;
    return PyUnicode_FromString(dtype_attr[((mxp_dtype_object *)self)->dtype]);
}

static PyGetSetDef dtype_getset[] = {
    {"size", dtype_size, NULL, "Size of the type in bytes.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef dtype_methods[] = {
    {"__reduce__", dtype_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyTypeObject mxp_dtype_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.Dtype",
    .tp_basicsize = sizeof(mxp_dtype_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An object to hold the type of a :class:`array`.",
    .tp_repr = dtype_repr,
    .tp_hash = dtype_hash,
    .tp_richcompare = dtype_richcompare,
    .tp_getset = dtype_getset,
    .tp_methods = dtype_methods,
};

/* A DtypeCategory member's value, or -1 (no exception) if o is not one. */
static int category_of(PyObject *o) {
    if (!category_type || !PyObject_TypeCheck(o, (PyTypeObject *)category_type)) return -1;
    PyObject *v = PyObject_GetAttrString(o, "value");
    if (!v) {
        PyErr_Clear();
        return -1;
    }
    long c = PyLong_AsLong(v);
    Py_DECREF(v);
    return (int)c;
}

static PyObject *issubdtype(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "issubdtype() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    bool is_t[2];
    int v[2];
    for (int i = 0; i < 2; i++) {
        is_t[i] = PyObject_TypeCheck(args[i], &mxp_dtype_type);
        v[i] = is_t[i] ? (int)((mxp_dtype_object *)args[i])->dtype : category_of(args[i]);
        if (v[i] < 0) {
            PyErr_Format(PyExc_ValueError, "[issubdtype] Received invalid type for %s input.",
                         i ? "second" : "first");
            return NULL;
        }
    }
    bool r;
    if (is_t[0] && is_t[1])
        r = v[0] == v[1];
    else if (is_t[0])
        r = mx_issubdtype((mx_dtype)v[0], (mx_dtype_category)v[1]);
    else if (is_t[1])
        r = false; /* a category is never a subtype of a concrete dtype */
    else
        r = mx_issubdtype_category((mx_dtype_category)v[0], (mx_dtype_category)v[1]);
    return PyBool_FromLong(r);
}

static PyMethodDef dtype_functions[] = {
    {"issubdtype", (PyCFunction)(void (*)(void))issubdtype, METH_FASTCALL,
     "issubdtype(arg1, arg2)\n--\n\n"
     "Check if a :obj:`Dtype` or :obj:`DtypeCategory` is a subtype of another.\n\n"
     "Args:\n    arg1 (Union[Dtype, DtypeCategory]): First dtype or category.\n"
     "    arg2 (Union[Dtype, DtypeCategory]): Second dtype or category.\n\n"
     "Returns:\n    bool: Whether ``arg1`` is a subtype of ``arg2``."},
    {NULL, NULL, 0, NULL},
};

/* enum.Enum(name, [(member, value), ...], module="cmlx.core") */
PyObject *mxp_make_enum(const char *name, const char *const *names, int n) {
    PyObject *enum_mod = PyImport_ImportModule("enum");
    if (!enum_mod) return NULL;
    PyObject *Enum = PyObject_GetAttrString(enum_mod, "Enum");
    Py_DECREF(enum_mod);
    if (!Enum) return NULL;
    PyObject *members = PyList_New(n), *cls = NULL;
    for (int i = 0; members && i < n; i++)
        PyList_SET_ITEM(members, i, Py_BuildValue("(si)", names[i], i));
    PyObject *args = members ? Py_BuildValue("(sO)", name, members) : NULL;
    PyObject *kw = args ? Py_BuildValue("{ss}", "module", "cmlx.core") : NULL;
    if (kw) cls = PyObject_Call(Enum, args, kw);
    /* print members as MLX does: DeviceType.cpu, not <DeviceType.cpu: 0> */
    PyObject *str = cls ? PyObject_GetAttrString(Enum, "__str__") : NULL;
    if (cls && (!str || PyObject_SetAttrString(cls, "__repr__", str) < 0)) Py_CLEAR(cls);
    Py_XDECREF(str);
    Py_XDECREF(kw);
    Py_XDECREF(args);
    Py_XDECREF(members);
    Py_DECREF(Enum);
    return cls;
}

int mxp_dtype_init(PyObject *m) {
    if (PyType_Ready(&mxp_dtype_type) < 0) return -1;
    if (PyModule_AddObjectRef(m, "Dtype", (PyObject *)&mxp_dtype_type) < 0) return -1;
    for (int t = 0; t < MX_NUM_DTYPES; t++) {
        mxp_dtype_object *o = PyObject_New(mxp_dtype_object, &mxp_dtype_type);
        if (!o) return -1;
        o->dtype = (mx_dtype)t;
        dtype_objs[t] = (PyObject *)o; /* the module keeps one more reference */
        if (PyModule_AddObjectRef(m, dtype_attr[t], (PyObject *)o) < 0) return -1;
    }
    int ncat = (int)(sizeof category_names / sizeof *category_names);
    category_type = mxp_make_enum("DtypeCategory", category_names, ncat);
    if (!category_type) return -1;
    if (PyModule_AddObjectRef(m, "DtypeCategory", category_type) < 0) return -1;
    for (int i = 0; i < ncat; i++) {
        PyObject *member = PyObject_GetAttrString(category_type, category_names[i]);
        if (!member || PyModule_AddObject(m, category_names[i], member) < 0) {
            Py_XDECREF(member);
            return -1;
        }
    }
    return PyModule_AddFunctions(m, dtype_functions);
}
