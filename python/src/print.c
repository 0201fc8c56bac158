/*
 * repr/str of an array in MLX's format: "array([1, 2.5], dtype=float32)",
 * numbers as C++ streams print them (6 significant digits, %g), True/False
 * for bool, "1+2j" for complex, rows of matrices aligned under the first, and
 * axes longer than 6 summarised as 3 leading, "...", 3 trailing entries.
 */
#include "cmlx_py.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char *s;
    size_t len, cap;
    bool failed;
    int precision; /* -1: %g (6 significant digits), else fixed with that many decimals */
} strbuf;

/* set_printoptions(precision=...): one setting for the process, as in MLX. */
static int print_precision = -1;

static void put(strbuf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = PyMem_RawRealloc(b->s, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->s = p, b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void puts_(strbuf *b, const char *s) {
    put(b, s, strlen(s));
}

static void put_g(strbuf *b, double v) {
    char tmp[128];
    if (b->precision == -1) {
        int n = snprintf(tmp, sizeof tmp, "%g", v);
        put(b, tmp, (size_t)n);
        return;
    }
    /* A negative precision other than -1 falls back to printf's default of 6
     * decimals, as C++'s std::fixed does. */
    int n = snprintf(tmp, sizeof tmp, "%.*f", b->precision, v);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        put(b, tmp, (size_t)n);
        return;
    }
    char *big = PyMem_RawMalloc((size_t)n + 1); /* huge values or many decimals */
    if (!big) {
        b->failed = true;
        return;
    }
    snprintf(big, (size_t)n + 1, "%.*f", b->precision, v);
    put(b, big, (size_t)n);
    PyMem_RawFree(big);
}

static void put_elem(strbuf *b, mx_dtype t, const char *p) {
    char tmp[64];
    int n = 0;
    switch (t) {
    case MX_BOOL:
        puts_(b, *(const bool *)p ? "True" : "False");
        return;
    case MX_UINT8:
        n = snprintf(tmp, sizeof tmp, "%u", *(const uint8_t *)p);
        break;
    case MX_UINT16:
        n = snprintf(tmp, sizeof tmp, "%u", *(const uint16_t *)p);
        break;
    case MX_UINT32:
        n = snprintf(tmp, sizeof tmp, "%u", *(const uint32_t *)p);
        break;
    case MX_UINT64:
        n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)*(const uint64_t *)p);
        break;
    case MX_INT8:
        n = snprintf(tmp, sizeof tmp, "%d", *(const int8_t *)p);
        break;
    case MX_INT16:
        n = snprintf(tmp, sizeof tmp, "%d", *(const int16_t *)p);
        break;
    case MX_INT32:
        n = snprintf(tmp, sizeof tmp, "%d", *(const int32_t *)p);
        break;
    case MX_INT64:
        n = snprintf(tmp, sizeof tmp, "%lld", (long long)*(const int64_t *)p);
        break;
    case MX_FLOAT16:
        put_g(b, mx_half_to_float(*(const uint16_t *)p));
        return;
    case MX_BFLOAT16:
        put_g(b, mx_bfloat16_to_float(*(const uint16_t *)p));
        return;
    case MX_FLOAT32:
        put_g(b, *(const float *)p);
        return;
    case MX_FLOAT64:
        put_g(b, *(const double *)p);
        return;
    case MX_COMPLEX64: {
        const mx_complex64 *c = (const mx_complex64 *)p;
        put_g(b, c->real);
        if (!(c->imag < 0)) puts_(b, "+");
        put_g(b, c->imag);
        puts_(b, "j");
        return;
    }
    default:
        puts_(b, "?");
        return;
    }
    put(b, tmp, (size_t)n);
}

enum { EDGE = 3 }; /* entries shown at each end of a summarised axis */

static void put_subarray(strbuf *b, mx_array *a, const char *p, int dim) {
    const int32_t n = mx_array_shape(a)[dim];
    mx_dtype t = mx_array_dtype(a);
    const int64_t step = mx_array_strides(a)[dim] * mx_dtype_size(t);
    bool last = dim == mx_array_ndim(a) - 1;
    char prefix[MXP_MAX_NDIM + 8];
    int np = last ? 0 : 7 + dim;
    memset(prefix, ' ', (size_t)np);
    prefix[np] = '\0';
    const char *postfix = last ? ", " : ",\n";
    puts_(b, "[");
    for (int32_t i = 0; i < n; i++, p += step) {
        if (i) puts_(b, prefix);
        if (i == EDGE && n > 2 * EDGE) {
            puts_(b, "...");
            p += step * (n - 2 * EDGE - 1);
            i = n - EDGE - 1;
        } else if (last) {
            put_elem(b, t, p);
        } else {
            put_subarray(b, a, p, dim + 1);
        }
        if (i != n - 1) puts_(b, postfix);
    }
    puts_(b, "]");
}

static PyObject *repr_of(mx_array *a) {
    if (mxp_eval_nogil(a) < 0) return NULL;
    const char *p = mx_array_data(a);
    if (!p && mx_array_size(a)) return mxp_raise(mx_last_error_code());
    strbuf b = {NULL, 0, 0, false, print_precision};
    PyThreadState *ts = mx_array_size(a) > 4096 ? PyEval_SaveThread() : NULL;
    puts_(&b, "array(");
    if (mx_array_ndim(a) == 0)
        put_elem(&b, mx_array_dtype(a), p);
    else
        put_subarray(&b, a, p, 0);
    puts_(&b, ", dtype=");
    puts_(&b, mx_dtype_name(mx_array_dtype(a)));
    puts_(&b, ")");
    if (ts) PyEval_RestoreThread(ts);
    PyObject *r = b.failed ? PyErr_NoMemory() : PyUnicode_FromStringAndSize(b.s, (Py_ssize_t)b.len);
    PyMem_RawFree(b.s);
    return r;
}

PyObject *mxp_array_repr(PyObject *self) {
    mx_array *a = mx_array_retain(mxp_arr(self)); /* kept while the GIL is released */
    PyObject *r = repr_of(a);
    mx_array_free(a);
    return r;
}

/* ---- print options ---- */

typedef struct {
    PyObject_HEAD int precision;
} print_options;

static int options_init(PyObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"precision", NULL};
    int p = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|i:PrintOptions", names, &p)) return -1;
    ((print_options *)self)->precision = p;
    return 0;
}

static PyObject *options_get_precision(PyObject *self, void *c) {
    (void)c;
    return PyLong_FromLong(((print_options *)self)->precision);
}

static int options_set_precision(PyObject *self, PyObject *v, void *c) {
    (void)c;
    if (!v || !PyLong_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "precision must be an int");
        return -1;
    }
    int overflow;
    long p = PyLong_AsLongAndOverflow(v, &overflow);
    if (p == -1 && PyErr_Occurred()) return -1;
    if (overflow || p < INT32_MIN || p > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "precision does not fit in an int");
        return -1;
    }
    ((print_options *)self)->precision = (int)p;
    return 0;
}

static PyGetSetDef options_getset[] = {
    {"precision", options_get_precision, options_set_precision,
     "Number of decimal places; -1 for the default format.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject print_options_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.PrintOptions",
    .tp_basicsize = sizeof(print_options),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "PrintOptions(precision=-1)\n--\n\nThe format options used for printing arrays.",
    .tp_new = PyType_GenericNew,
    .tp_init = options_init,
    .tp_getset = options_getset,
};

/* Reads the precision argument as MLX's binding does: an int, not a float or
 * a string. */
static int parse_precision(PyObject *args, PyObject *kw, const char *fmt, int *p) {
    static char *names[] = {"precision", NULL};
    PyObject *o = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, names, &o)) return -1;
    *p = -1;
    if (!o) return 0;
    if (!PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError, "precision must be an int, got %s", Py_TYPE(o)->tp_name);
        return -1;
    }
    int overflow;
    long v = PyLong_AsLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (overflow || v < INT32_MIN || v > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "precision does not fit in an int");
        return -1;
    }
    *p = (int)v;
    return 0;
}

static PyObject *f_set_printoptions(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    int p;
    if (parse_precision(args, kw, "|O:set_printoptions", &p) < 0) return NULL;
    print_precision = p;
    Py_RETURN_NONE;
}

static PyObject *f_get_printoptions(PyObject *m, PyObject *unused) {
    (void)m, (void)unused;
    print_options *o = PyObject_New(print_options, &print_options_type);
    if (o) o->precision = print_precision;
    return (PyObject *)o;
}

/* printoptions(...): sets the options on entry and restores the previous
 * ones on exit. */
typedef struct {
    PyObject_HEAD int precision, saved;
} options_context;

static PyObject *ctx_enter(PyObject *self, PyObject *unused) {
    (void)unused;
    options_context *c = (options_context *)self;
    c->saved = print_precision;
    print_precision = c->precision;
    return Py_NewRef(self);
}

static PyObject *ctx_exit(PyObject *self, PyObject *args) {
    (void)args;
    print_precision = ((options_context *)self)->saved;
    Py_RETURN_FALSE;
}

static PyMethodDef ctx_methods[] = {
    {"__enter__", ctx_enter, METH_NOARGS, NULL},
    {"__exit__", ctx_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject options_context_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core._PrintOptionsContext",
    .tp_basicsize = sizeof(options_context),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Context manager made by printoptions().",
    .tp_methods = ctx_methods,
};

static PyObject *f_printoptions(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    int p;
    if (parse_precision(args, kw, "|O:printoptions", &p) < 0) return NULL;
    options_context *c = PyObject_New(options_context, &options_context_type);
    if (c) c->precision = p, c->saved = print_precision;
    return (PyObject *)c;
}

static PyMethodDef print_functions[] = {
    {"set_printoptions", (PyCFunction)(void (*)(void))f_set_printoptions,
     METH_VARARGS | METH_KEYWORDS,
     "set_printoptions(precision=-1)\n--\n\n"
     "Set global printing precision for array formatting.\n\n"
     "Args:\n    precision (int): Number of decimal places. Use -1 for the default."},
    {"get_printoptions", f_get_printoptions, METH_NOARGS,
     "get_printoptions()\n--\n\n"
     "Get global printing precision for array formatting.\n\n"
     "Returns:\n    PrintOptions: The format options used for printing arrays."},
    {"printoptions", (PyCFunction)(void (*)(void))f_printoptions, METH_VARARGS | METH_KEYWORDS,
     "printoptions(precision=-1)\n--\n\n"
     "Context manager for setting print options temporarily.\n\n"
     "Args:\n    precision (int): Number of decimal places. Use -1 for default."},
    {NULL, NULL, 0, NULL},
};

int mxp_print_init(PyObject *m) {
    if (PyType_Ready(&print_options_type) < 0 || PyType_Ready(&options_context_type) < 0 ||
        PyModule_AddObjectRef(m, "PrintOptions", (PyObject *)&print_options_type) < 0 ||
        PyModule_AddObjectRef(m, "_PrintOptionsContext", (PyObject *)&options_context_type) < 0)
        return -1;
    return PyModule_AddFunctions(m, print_functions);
}
