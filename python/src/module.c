/*
 * cmlx.core: module init. Registers the types, dtypes, devices, memory
 * functions, constants, the empty submodules (random, linalg, fft, fast, distributed,
 * filled as their ops are bound) and every op of the op table.
 */
#include "cmlx_py.h"

#include <math.h>

static PyMethodDef module_functions[] = {
    {"_unpickle", mxp_unpickle, METH_VARARGS,
     "_unpickle(data, shape, dtype)\n--\n\nRebuilds a pickled array."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "cmlx.core",
    .m_doc = "cmlx: MLX, the array framework for machine learning, in C.",
    .m_size = -1,
    .m_methods = module_functions,
};

static const char *const submodules[] = {"random", "linalg", "fft", "fast", "distributed"};

static int add_submodules(PyObject *m) {
    PyObject *sys_modules = PyImport_GetModuleDict();
    for (size_t i = 0; i < sizeof submodules / sizeof *submodules; i++) {
        char name[64];
        snprintf(name, sizeof name, "cmlx.core.%s", submodules[i]);
        PyObject *sub = PyModule_New(name);
        if (!sub) return -1;
        /* registered so that `import cmlx.core.random` works too */
        if (PyDict_SetItemString(sys_modules, name, sub) < 0 ||
            PyModule_AddObject(m, submodules[i], sub) < 0) {
            Py_DECREF(sub);
            return -1;
        }
    }
    return 0;
}

static int add_float(PyObject *m, const char *name, double v) {
    PyObject *o = PyFloat_FromDouble(v);
    if (!o) return -1;
    int rc = PyModule_AddObjectRef(m, name, o);
    Py_DECREF(o);
    return rc;
}

static int add_constants(PyObject *m) {
    struct {
        const char *name;
        double v;
    } consts[] = {
        {"pi", M_PI},      {"e", M_E},   {"euler_gamma", 0.57721566490153286060651209008240243},
        {"inf", INFINITY}, {"nan", NAN},
    };
    for (size_t i = 0; i < sizeof consts / sizeof *consts; i++)
        if (add_float(m, consts[i].name, consts[i].v) < 0) return -1;
    if (PyModule_AddObjectRef(m, "newaxis", Py_None) < 0) return -1;
    return PyModule_AddStringConstant(m, "__version__", mx_version());
}

PyMODINIT_FUNC PyInit_core(void) {
    PyObject *m = PyModule_Create(&core_module);
    if (!m) return NULL;
    if (mxp_dtype_init(m) < 0 || mxp_device_init(m) < 0 || mxp_memory_init(m) < 0 ||
        mxp_array_init_type(m) < 0 || add_submodules(m) < 0 || add_constants(m) < 0 ||
        mxp_ops_init(m) < 0 || mxp_random_init(m) < 0 || mxp_dtype_info_init(m) < 0 ||
        mxp_transforms_init(m) < 0 || mxp_io_init(m) < 0 || mxp_export_init(m) < 0 ||
        mxp_distributed_init(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    /* DLPack, print options */
    if (mxp_dlpack_init(m) < 0 || mxp_print_init(m) < 0 || mxp_gpu_kernels_init(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
