/*
 * mx.fast.metal_kernel, cuda_kernel and precompiled_cuda_kernel: custom
 * kernels written in a GPU language. cmlx runs on the CPU, where these
 * answer as MLX's own CPU build does: a Metal kernel object is made and
 * its call's arguments are checked, then running it raises RuntimeError
 * (no Metal back-end); a CUDA kernel raises as soon as it is asked for,
 * once its arguments are checked. Checking first keeps a wrong call a
 * wrong call (ValueError, TypeError) on every back-end.
 */
#include "cmlx_py.h"

typedef struct {
    PyObject_HEAD PyObject *name;
    Py_ssize_t n_inputs, n_outputs;
} metal_kernel;

static const char *const METAL = "metal_kernel";

static void gk_dealloc(PyObject *self) {
    Py_XDECREF(((metal_kernel *)self)->name);
    Py_TYPE(self)->tp_free(self);
}

static int no_backend(const char *tag, const char *backend) {
    PyErr_Format(PyExc_RuntimeError, "[%s] No %s back-end.", tag, backend);
    return -1;
}

/* A list or tuple of `want` entries (want < 0: any count). */
static int check_list(const char *tag, const char *what, PyObject *o, Py_ssize_t want) {
    if (!PyList_Check(o) && !PyTuple_Check(o)) {
        PyErr_Format(PyExc_TypeError, "[%s] Expected `%s` to be a list.", tag, what);
        return -1;
    }
    Py_ssize_t n = PySequence_Size(o);
    if (want >= 0 && n != want) {
        PyErr_Format(PyExc_ValueError, "[%s] Expected `%s` to have size %zd but got size %zd.", tag,
                     what, want, n);
        return -1;
    }
    return 0;
}

static int check_inputs(const char *tag, PyObject *inputs, Py_ssize_t want) {
    if (check_list(tag, "inputs", inputs, want) < 0) return -1;
    for (Py_ssize_t i = 0; i < PySequence_Size(inputs); i++) {
        PyObject *x = PySequence_GetItem(inputs, i);
        if (!x) return -1;
        mx_array *a = mxp_to_array(x, MX_DTYPE_NONE);
        Py_DECREF(x);
        if (!a) return -1;
        mx_array_free(a);
    }
    return 0;
}

static int check_outputs(const char *tag, PyObject *shapes, PyObject *dtypes, Py_ssize_t want) {
    if (check_list(tag, "output_shapes", shapes, want) < 0 ||
        check_list(tag, "output_dtypes", dtypes, want < 0 ? PySequence_Size(shapes) : want) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < PySequence_Size(shapes); i++) {
        int32_t dims[64];
        mx_dtype dt;
        PyObject *s = PySequence_GetItem(shapes, i), *d = PySequence_GetItem(dtypes, i);
        int rc = s && d && mxp_to_shape(s, dims, "output_shapes") >= 0 &&
                         mxp_to_dtype(d, &dt, false) == 0
                     ? 0
                     : -1;
        Py_XDECREF(s);
        Py_XDECREF(d);
        if (rc < 0) return -1;
    }
    return 0;
}

static int check_dims3(const char *tag, const char *what, PyObject *o) {
    if (!PyTuple_Check(o) || PyTuple_GET_SIZE(o) != 3) {
        PyErr_Format(PyExc_TypeError, "[%s] Expected `%s` to be a tuple of 3 ints.", tag, what);
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        int v;
        if (mxp_to_int(PyTuple_GET_ITEM(o, i), &v, what) < 0) return -1;
        if (v <= 0) {
            PyErr_Format(PyExc_ValueError, "[%s] `%s` sizes must be positive.", tag, what);
            return -1;
        }
    }
    return 0;
}

/* The first n keyword-only arguments are required. */
static int require(const char *fn, char **names, PyObject **got, int n) {
    for (int i = 0; i < n; i++)
        if (!got[i]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required keyword argument '%s'", fn,
                         names[i]);
            return -1;
        }
    return 0;
}

/* kernel(*, inputs, output_shapes, output_dtypes, grid, threadgroup,
 *        template=None, init_value=None, verbose=False, stream=None) */
static PyObject *gk_call(PyObject *self, PyObject *args, PyObject *kw) {
    metal_kernel *k = (metal_kernel *)self;
    static char *names[] = {"inputs",   "output_shapes", "output_dtypes", "grid",   "threadgroup",
                            "template", "init_value",    "verbose",       "stream", NULL};
    PyObject *inputs = NULL, *shapes = NULL, *dtypes = NULL, *grid = NULL, *tg = NULL;
    PyObject *tmpl = Py_None, *init = Py_None, *stream = Py_None;
    int verbose = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOOOOOpO:__call__", names, &inputs, &shapes,
                                     &dtypes, &grid, &tg, &tmpl, &init, &verbose, &stream) ||
        require("__call__", names, (PyObject *[]){inputs, shapes, dtypes, grid, tg}, 5) < 0)
        return NULL;
    mx_stream sbuf;
    const mx_stream *s;
    if (check_inputs(METAL, inputs, k->n_inputs) < 0 ||
        check_outputs(METAL, shapes, dtypes, k->n_outputs) < 0 ||
        check_dims3(METAL, "grid", grid) < 0 || check_dims3(METAL, "threadgroup", tg) < 0 ||
        mxp_to_stream(stream, &sbuf, &s) < 0)
        return NULL;
    if (tmpl != Py_None && check_list(METAL, "template", tmpl, -1) < 0) return NULL;
    if (init != Py_None && !PyFloat_Check(init) && !PyLong_Check(init)) {
        PyErr_Format(PyExc_TypeError, "[%s] Expected `init_value` to be a float.", METAL);
        return NULL;
    }
    no_backend(METAL, "Metal");
    return NULL;
}

static PyObject *gk_repr(PyObject *self) {
    return PyUnicode_FromFormat("<metal_kernel %R>", ((metal_kernel *)self)->name);
}

static PyTypeObject metal_kernel_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.fast.MetalKernel",
    .tp_basicsize = sizeof(metal_kernel),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = gk_dealloc,
    .tp_call = gk_call,
    .tp_repr = gk_repr,
    .tp_doc =
        "A custom Metal kernel. Call it with inputs=, output_shapes=, output_dtypes=, grid=,\n"
        "threadgroup= (and optionally template=, init_value=, verbose=, stream=).",
};

static int check_names(const char *tag, const char *what, PyObject *o, Py_ssize_t *n) {
    if (!PyList_Check(o) && !PyTuple_Check(o)) {
        PyErr_Format(PyExc_TypeError, "[%s] Expected `%s` to be a list of str.", tag, what);
        return -1;
    }
    *n = PySequence_Size(o);
    for (Py_ssize_t i = 0; i < *n; i++) {
        PyObject *x = PySequence_GetItem(o, i);
        int ok = x && PyUnicode_Check(x);
        Py_XDECREF(x);
        if (!ok) {
            PyErr_Format(PyExc_TypeError, "[%s] Expected `%s` to be a list of str.", tag, what);
            return -1;
        }
    }
    return 0;
}

static PyObject *f_metal_kernel(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *names[] = {"name",           "input_names",     "output_names",
                            "source",         "header",          "ensure_row_contiguous",
                            "atomic_outputs", "compile_options", NULL};
    PyObject *name, *in_names, *out_names, *source, *header = NULL, *opts = Py_None;
    int contiguous = 1, atomic = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "UOOU|UppO:metal_kernel", names, &name, &in_names,
                                     &out_names, &source, &header, &contiguous, &atomic, &opts))
        return NULL;
    if (opts != Py_None) {
        if (!PyDict_Check(opts)) {
            PyErr_SetString(PyExc_TypeError,
                            "[metal_kernel] Expected compile_options to be a dict.");
            return NULL;
        }
        PyObject *mode = PyDict_GetItemString(opts, "math_mode");
        if (mode) {
            const char *v = PyUnicode_Check(mode) ? PyUnicode_AsUTF8(mode) : NULL;
            if (!v || (strcmp(v, "safe") && strcmp(v, "relaxed") && strcmp(v, "fast"))) {
                PyErr_SetString(PyExc_ValueError, "[metal_kernel] Expected math_mode to be "
                                                  "'safe', 'relaxed', or 'fast'.");
                return NULL;
            }
        }
    }
    Py_ssize_t ni, no;
    if (check_names(METAL, "input_names", in_names, &ni) < 0 ||
        check_names(METAL, "output_names", out_names, &no) < 0)
        return NULL;
    metal_kernel *k = PyObject_New(metal_kernel, &metal_kernel_type);
    if (!k) return NULL;
    k->name = Py_NewRef(name);
    k->n_inputs = ni;
    k->n_outputs = no;
    return (PyObject *)k;
}

static PyObject *f_cuda_kernel(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *names[] = {"name",   "input_names",           "output_names",  "source",
                            "header", "ensure_row_contiguous", "shared_memory", NULL};
    PyObject *name, *in_names, *out_names, *source, *header = NULL;
    int contiguous = 1, shared = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "UOOU|Upi:cuda_kernel", names, &name, &in_names,
                                     &out_names, &source, &header, &contiguous, &shared))
        return NULL;
    if (shared < 0) {
        PyErr_SetString(PyExc_ValueError, "[cuda_kernel] shared_memory must not be negative.");
        return NULL;
    }
    Py_ssize_t n;
    if (check_names("cuda_kernel", "input_names", in_names, &n) < 0 ||
        check_names("cuda_kernel", "output_names", out_names, &n) < 0)
        return NULL;
    /* as MLX's builds without CUDA: the kernel cannot even be made */
    no_backend("cuda_kernel", "CUDA");
    return NULL;
}

static PyObject *f_precompiled_cuda_kernel(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *names[] = {"name",
                            "compiled_source",
                            "inputs",
                            "output_shapes",
                            "output_dtypes",
                            "scalars",
                            "grid",
                            "threadgroup",
                            "shared_memory",
                            "init_value",
                            "ensure_row_contiguous",
                            "stream",
                            NULL};
    PyObject *name = NULL, *src = NULL, *inputs = NULL, *shapes = NULL, *dtypes = NULL;
    PyObject *scalars = NULL, *grid = NULL, *tg = NULL, *init = Py_None, *stream = Py_None;
    int shared = 0, contiguous = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$USOOOOOOiOpO:precompiled_cuda_kernel", names,
                                     &name, &src, &inputs, &shapes, &dtypes, &scalars, &grid, &tg,
                                     &shared, &init, &contiguous, &stream) ||
        require("precompiled_cuda_kernel", names,
                (PyObject *[]){name, src, inputs, shapes, dtypes, scalars, grid, tg}, 8) < 0)
        return NULL;
    const char *tag = "cuda_kernel";
    mx_stream sbuf;
    const mx_stream *s;
    if (check_inputs(tag, inputs, -1) < 0 || check_outputs(tag, shapes, dtypes, -1) < 0 ||
        check_list(tag, "scalars", scalars, -1) < 0 || check_dims3(tag, "grid", grid) < 0 ||
        check_dims3(tag, "threadgroup", tg) < 0 || mxp_to_stream(stream, &sbuf, &s) < 0)
        return NULL;
    no_backend(tag, "CUDA");
    return NULL;
}

static PyMethodDef gpu_kernel_functions[] = {
    {"metal_kernel", (PyCFunction)(void (*)(void))f_metal_kernel, METH_VARARGS | METH_KEYWORDS,
     "metal_kernel(name, input_names, output_names, source, header='', "
     "ensure_row_contiguous=True, atomic_outputs=False, compile_options=None)\n--\n\n"
     "A custom Metal kernel defined from a source string.\n\n"
     "The returned object checks its call's arguments like MLX's; running it needs the\n"
     "Metal back-end and raises RuntimeError on cmlx's CPU back-end."},
    {"cuda_kernel", (PyCFunction)(void (*)(void))f_cuda_kernel, METH_VARARGS | METH_KEYWORDS,
     "cuda_kernel(name, input_names, output_names, source, header='', "
     "ensure_row_contiguous=True, shared_memory=0)\n--\n\n"
     "A custom CUDA kernel defined from a source string.\n\n"
     "Needs the CUDA back-end: raises RuntimeError on cmlx's CPU back-end once the\n"
     "arguments are checked."},
    {"precompiled_cuda_kernel", (PyCFunction)(void (*)(void))f_precompiled_cuda_kernel,
     METH_VARARGS | METH_KEYWORDS,
     "precompiled_cuda_kernel(*, name, compiled_source, inputs, output_shapes, output_dtypes, "
     "scalars, grid, threadgroup, shared_memory=0, init_value=None, "
     "ensure_row_contiguous=False, stream=None)\n--\n\n"
     "Run a precompiled CUDA kernel (PTX or cubin).\n\n"
     "Needs the CUDA back-end: raises RuntimeError on cmlx's CPU back-end once the\n"
     "arguments are checked."},
    {NULL, NULL, 0, NULL},
};

int mxp_gpu_kernels_init(PyObject *m) {
    if (PyType_Ready(&metal_kernel_type) < 0) return -1;
    PyObject *fast = PyObject_GetAttrString(m, "fast");
    if (!fast) return -1;
    int rc = PyModule_AddFunctions(fast, gpu_kernel_functions);
    Py_DECREF(fast);
    return rc;
}
