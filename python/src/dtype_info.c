/*
 * dtype utilities of mlx.core: the finfo and iinfo classes, result_type,
 * can_cast and isdtype.
 */
#include "cmlx_py.h"

#include <string.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD PyObject *min, *max, *eps, *smallest_normal, *dtype;
    int bits;
} info_object;

static void info_dealloc(PyObject *self) {
    info_object *o = (info_object *)self;
    Py_XDECREF(o->min);
    Py_XDECREF(o->max);
    Py_XDECREF(o->eps);
    Py_XDECREF(o->smallest_normal);
    Py_XDECREF(o->dtype);
    Py_TYPE(self)->tp_free(self);
}

static int dtype_arg(PyObject *args, PyObject *kwargs, const char *cls, mx_dtype *t) {
    PyObject *d;
    if ((kwargs && PyDict_GET_SIZE(kwargs)) || PyTuple_GET_SIZE(args) != 1 ||
        !PyObject_TypeCheck((d = PyTuple_GET_ITEM(args, 0)), &mxp_dtype_type)) {
        PyErr_Format(PyExc_TypeError, "%s() takes one argument, a Dtype", cls);
        return -1;
    }
    *t = ((mxp_dtype_object *)d)->dtype;
    return 0;
}

static PyObject *finfo_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    mx_dtype t;
    mx_finfo fi;
    if (dtype_arg(args, kwargs, "finfo", &t) < 0) return NULL;
    int rc = mx_finfo_get(&fi, t);
    if (rc) return mxp_raise(rc);
    info_object *o = (info_object *)type->tp_alloc(type, 0);
    if (!o) return NULL;
    o->min = PyFloat_FromDouble(fi.min);
    o->max = PyFloat_FromDouble(fi.max);
    o->eps = PyFloat_FromDouble(fi.eps);
    o->smallest_normal = PyFloat_FromDouble(fi.smallest_normal);
    o->dtype = Py_NewRef(mxp_dtype_obj(fi.dtype));
    o->bits = fi.bits;
    if (!o->min || !o->max || !o->eps || !o->smallest_normal) {
        Py_DECREF(o);
        return NULL;
    }
    return (PyObject *)o;
}

static PyObject *iinfo_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    mx_dtype t;
    mx_iinfo ii;
    if (dtype_arg(args, kwargs, "iinfo", &t) < 0) return NULL;
    int rc = mx_iinfo_get(&ii, t);
    if (rc) return mxp_raise(rc);
    info_object *o = (info_object *)type->tp_alloc(type, 0);
    if (!o) return NULL;
    o->min = PyLong_FromLongLong(ii.min);
    o->max = PyLong_FromUnsignedLongLong(ii.max);
    o->dtype = Py_NewRef(mxp_dtype_obj(ii.dtype));
    o->bits = ii.bits;
    if (!o->min || !o->max) {
        Py_DECREF(o);
        return NULL;
    }
    return (PyObject *)o;
}

/* MLX prints with C++'s default float format (6 significant digits). */
static PyObject *info_repr(PyObject *self) {
    info_object *o = (info_object *)self;
    const char *cls = Py_TYPE(self)->tp_name + sizeof "cmlx.core." - 1;
    PyObject *name = PyObject_GetAttrString(o->dtype, "__repr__");
    PyObject *dn = name ? PyObject_CallNoArgs(name) : NULL;
    Py_XDECREF(name);
    if (!dn) return NULL;
    const char *s = PyUnicode_AsUTF8(dn), *dot = s ? strrchr(s, '.') : NULL;
    PyObject *r = NULL;
    if (PyFloat_Check(o->min)) {
        char lo[64], hi[64];
        snprintf(lo, sizeof lo, "%g", PyFloat_AS_DOUBLE(o->min));
        snprintf(hi, sizeof hi, "%g", PyFloat_AS_DOUBLE(o->max));
        r = PyUnicode_FromFormat("%s(min=%s, max=%s, dtype=%s)", cls, lo, hi, dot ? dot + 1 : s);
    } else if (s) {
        r = PyUnicode_FromFormat("%s(min=%S, max=%S, dtype=%s)", cls, o->min, o->max,
                                 dot ? dot + 1 : s);
    }
    Py_DECREF(dn);
    return r;
}

static PyMemberDef finfo_members[] = {
    {"min", T_OBJECT, offsetof(info_object, min), READONLY, "The smallest finite value."},
    {"max", T_OBJECT, offsetof(info_object, max), READONLY, "The largest finite value."},
    {"eps", T_OBJECT, offsetof(info_object, eps), READONLY,
     "The difference between 1.0 and the next representable value."},
    {"smallest_normal", T_OBJECT, offsetof(info_object, smallest_normal), READONLY,
     "The smallest positive normal value."},
    {"bits", T_INT, offsetof(info_object, bits), READONLY, "The number of bits."},
    {"dtype", T_OBJECT, offsetof(info_object, dtype), READONLY, "The described dtype."},
    {NULL, 0, 0, 0, NULL},
};

static PyMemberDef iinfo_members[] = {
    {"min", T_OBJECT, offsetof(info_object, min), READONLY, "The smallest value."},
    {"max", T_OBJECT, offsetof(info_object, max), READONLY, "The largest value."},
    {"dtype", T_OBJECT, offsetof(info_object, dtype), READONLY, "The described dtype."},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject finfo_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.finfo",
    .tp_basicsize = sizeof(info_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = finfo_new,
    .tp_dealloc = info_dealloc,
    .tp_repr = info_repr,
    .tp_members = finfo_members,
    .tp_doc = "finfo(dtype, /)\n--\n\nGet information on floating-point types.",
};

static PyTypeObject iinfo_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.iinfo",
    .tp_basicsize = sizeof(info_object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = iinfo_new,
    .tp_dealloc = info_dealloc,
    .tp_repr = info_repr,
    .tp_members = iinfo_members,
    .tp_doc = "iinfo(dtype, /)\n--\n\nGet information on integer types.",
};

int mxp_dtype_info_init(PyObject *module) {
    if (PyType_Ready(&finfo_type) < 0 || PyType_Ready(&iinfo_type) < 0) return -1;
    if (PyModule_AddObjectRef(module, "finfo", (PyObject *)&finfo_type) < 0) return -1;
    return PyModule_AddObjectRef(module, "iinfo", (PyObject *)&iinfo_type);
}

/* ---- functions ---- */

/* The dtype of an array or Dtype argument; -1 (nothing set) otherwise. */
static int dtype_of(PyObject *o, mx_dtype *t) {
    if (PyObject_TypeCheck(o, &mxp_dtype_type)) {
        *t = ((mxp_dtype_object *)o)->dtype;
        return 0;
    }
    if (mxp_is_array(o)) {
        *t = mx_array_dtype(mxp_arr(o));
        return 0;
    }
    return -1;
}

PyObject *mxp_op_result_type(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    PyObject *args = slots[0];
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "[result_type] At least one array or dtype is required.");
        return NULL;
    }
    mx_dtype *v = PyMem_Calloc((size_t)n, sizeof *v);
    if (!v) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        if (dtype_of(PyTuple_GET_ITEM(args, i), &v[i]) < 0) {
            PyMem_Free(v);
            PyErr_SetString(PyExc_ValueError, "[result_type] Inputs must be arrays or dtypes.");
            return NULL;
        }
    }
    mx_dtype t;
    int rc = mx_result_type_dtypes(&t, v, (size_t)n);
    PyMem_Free(v);
    return rc ? mxp_raise(rc) : Py_NewRef(mxp_dtype_obj(t));
}

PyObject *mxp_op_can_cast(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    mx_dtype from, to;
    if (dtype_of(slots[0], &from) < 0) {
        PyErr_SetString(PyExc_ValueError, "[can_cast] `from_` must be an array or a dtype.");
        return NULL;
    }
    if (mxp_to_dtype(slots[1], &to, false) < 0) return NULL;
    return PyBool_FromLong(mx_can_cast(from, to));
}

/* One kind: a Dtype (equality) or a kind name. 1, 0 or -1. */
static int is_kind(mx_dtype t, PyObject *kind) {
    if (PyObject_TypeCheck(kind, &mxp_dtype_type)) return ((mxp_dtype_object *)kind)->dtype == t;
    if (!PyUnicode_Check(kind)) {
        PyErr_SetString(PyExc_ValueError, "[isdtype] `kind` must be a dtype, a string, or a tuple "
                                          "of dtypes and strings.");
        return -1;
    }
    const char *name = PyUnicode_AsUTF8(kind);
    if (!name) return -1;
    bool out;
    int rc = mx_isdtype(&out, t, &name, 1);
    return rc ? mxp_raise_int(rc) : out;
}

PyObject *mxp_op_isdtype(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    mx_dtype t;
    if (mxp_to_dtype(slots[0], &t, false) < 0) return NULL;
    PyObject *kind = slots[1];
    if (!PyTuple_Check(kind)) {
        int r = is_kind(t, kind);
        return r < 0 ? NULL : PyBool_FromLong(r);
    }
    /* the first match ends the search (later entries are not checked, as MLX) */
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kind); i++) {
        int r = is_kind(t, PyTuple_GET_ITEM(kind, i));
        if (r) return r < 0 ? NULL : Py_NewRef(Py_True);
    }
    Py_RETURN_FALSE;
}
