/* The memory API: active/peak/cache figures, limits, clearing the cache. */
#include "cmlx_py.h"

#include <stdint.h>
#include <stdlib.h>

static PyObject *size_result(size_t v) {
    return PyLong_FromSize_t(v);
}

static int size_arg(PyObject *o, size_t *out) {
    PyObject *i = PyIndex_Check(o) ? PyNumber_Index(o) : NULL;
    size_t v = i ? PyLong_AsSize_t(i) : 0;
    Py_XDECREF(i);
    if (!i || (v == (size_t)-1 && PyErr_Occurred())) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "expected a non-negative int, got %R", o);
        return -1;
    }
    *out = v;
    return 0;
}

static PyObject *get_active_memory(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    return size_result(mx_get_active_memory());
}
static PyObject *get_peak_memory(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    return size_result(mx_get_peak_memory());
}
static PyObject *reset_peak_memory(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    mx_reset_peak_memory();
    Py_RETURN_NONE;
}
static PyObject *get_cache_memory(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    return size_result(mx_get_cache_memory());
}
static PyObject *get_memory_limit(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    return size_result(mx_get_memory_limit());
}
static PyObject *clear_cache(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    mx_clear_cache();
    Py_RETURN_NONE;
}

#define SETTER(name)                                                                               \
    static PyObject *name(PyObject *m, PyObject *arg) {                                            \
        (void)m;                                                                                   \
        size_t v;                                                                                  \
        if (size_arg(arg, &v) < 0) return NULL;                                                    \
        return size_result(mx_##name(v));                                                          \
    }
SETTER(set_memory_limit)
SETTER(set_cache_limit)
SETTER(set_wired_limit)

static PyMethodDef memory_functions[] = {
    {"get_active_memory", get_active_memory, METH_NOARGS,
     "get_active_memory()\n--\n\nGet the actively used memory in bytes (not counting the "
     "cache)."},
    {"get_peak_memory", get_peak_memory, METH_NOARGS,
     "get_peak_memory()\n--\n\nGet the peak amount of used memory in bytes since the start or "
     "the last :func:`reset_peak_memory`."},
    {"reset_peak_memory", reset_peak_memory, METH_NOARGS,
     "reset_peak_memory()\n--\n\nReset the peak memory to zero."},
    {"get_cache_memory", get_cache_memory, METH_NOARGS,
     "get_cache_memory()\n--\n\nGet the cache size in bytes."},
    {"get_memory_limit", get_memory_limit, METH_NOARGS,
     "get_memory_limit()\n--\n\nGet the memory limit in bytes."},
    {"set_memory_limit", set_memory_limit, METH_O,
     "set_memory_limit(limit)\n--\n\nSet the memory limit in bytes and return the previous "
     "one. An allocation past it empties the cache and then fails."},
    {"set_cache_limit", set_cache_limit, METH_O,
     "set_cache_limit(limit)\n--\n\nSet the free cache limit in bytes (0 disables the cache) "
     "and return the previous one."},
    {"set_wired_limit", set_wired_limit, METH_O,
     "set_wired_limit(limit)\n--\n\nSet the wired size limit and return the previous one. "
     "Kept for compatibility; it has no effect on the CPU."},
    {"clear_cache", clear_cache, METH_NOARGS, "clear_cache()\n--\n\nClear the memory cache."},
    {NULL, NULL, 0, NULL},
};

static PyObject *backend_unavailable(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    Py_RETURN_FALSE;
}

static PyObject *metal_device_info(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    return PyDict_New();
}

static PyObject *metal_capture(PyObject *m, PyObject *args) {
    (void)m, (void)args;
    PyErr_SetString(PyExc_RuntimeError, "[metal] capture needs the Metal backend.");
    return NULL;
}

static PyMethodDef metal_functions[] = {
    {"is_available", backend_unavailable, METH_NOARGS,
     "is_available()\n--\n\nCheck if the Metal back-end is available (never: cmlx runs on the "
     "CPU)."},
    {"device_info", metal_device_info, METH_NOARGS,
     "device_info()\n--\n\nInformation about the Metal device: empty without Metal."},
    {"start_capture", metal_capture, METH_VARARGS, "start_capture(path)\n--\n\nNeeds Metal."},
    {"stop_capture", metal_capture, METH_VARARGS, "stop_capture()\n--\n\nNeeds Metal."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef cuda_functions[] = {
    {"is_available", backend_unavailable, METH_NOARGS,
     "is_available()\n--\n\nCheck if the CUDA back-end is available (never: cmlx runs on the "
     "CPU)."},
    {NULL, NULL, 0, NULL},
};

/* mx.metal and mx.cuda exist in MLX on every platform, so programs (and
 * MLX's tests) ask mx.metal.is_available() before choosing a device. The
 * metal module also keeps MLX's older spelling of the memory API. */
static int add_backend_module(PyObject *m, const char *name, PyMethodDef *fns, int memory) {
    char full[64];
    snprintf(full, sizeof full, "cmlx.core.%s", name);
    PyObject *sub = PyModule_New(full);
    if (!sub) return -1;
    if (PyModule_AddFunctions(sub, fns) < 0 ||
        (memory && PyModule_AddFunctions(sub, memory_functions) < 0) ||
        PyModule_AddObjectRef(m, name, sub) < 0) {
        Py_DECREF(sub);
        return -1;
    }
    Py_DECREF(sub);
    return 0;
}

/* get_array_buffer_size(*args): bytes of the distinct buffers behind the
 * arrays of the trees, each counted once at its allocated size. */
static int cmp_ptr(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (const void *const *)a, y = (uintptr_t) * (const void *const *)b;
    return x < y ? -1 : x > y;
}

static PyObject *f_get_array_buffer_size(PyObject *m, PyObject *args) {
    (void)m;
    mx_vec v = {0};
    if (mxp_tree_flatten(args, &v, false) < 0) {
        mx_vec_clear(&v);
        return NULL;
    }
    /* base pointers and sizes; bases sorted to count each buffer once */
    struct entry {
        const void *base;
        size_t size;
    } *e = PyMem_Malloc((size_t)(v.size ? v.size : 1) * sizeof *e);
    if (!e) {
        mx_vec_clear(&v);
        return PyErr_NoMemory();
    }
    size_t n = 0;
    for (int i = 0; i < v.size; i++) {
        mx_buffer_info info;
        if (mx_array_get_status(v.data[i]) != MX_ARRAY_AVAILABLE ||
            mx_array_buffer_info(v.data[i], &info) != MX_OK) {
            mx_clear_error();
            PyMem_Free(e);
            mx_vec_clear(&v);
            PyErr_SetString(PyExc_ValueError,
                            "[get_array_buffer_size] Arrays must be evaluated before querying "
                            "buffer size.");
            return NULL;
        }
        if (info.base) e[n++] = (struct entry){info.base, info.size};
    }
    qsort(e, n, sizeof *e, cmp_ptr);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || e[i].base != e[i - 1].base) total += e[i].size;
    PyMem_Free(e);
    mx_vec_clear(&v);
    return PyLong_FromSize_t(total);
}

static PyMethodDef buffer_size_functions[] = {
    {"get_array_buffer_size", f_get_array_buffer_size, METH_VARARGS,
     "get_array_buffer_size(*args)\n--\n\n"
     "Get the size of the buffers backing arrays in bytes.\n\n"
     "Each unique buffer is counted once. The full allocator size of each buffer is used,\n"
     "which can exceed the logical size of its arrays. Arrays must be evaluated before\n"
     "calling this function. The result does not include graph objects, cached buffers,\n"
     "or other non-buffer memory.\n\n"
     "Args:\n    *args (arrays or trees of arrays): Each argument can be a single array or a\n"
     "      tree of arrays. Leaves which are not arrays are ignored.\n\n"
     "Returns:\n    int: The size of the unique buffers in bytes."},
    {NULL, NULL, 0, NULL},
};

int mxp_memory_init(PyObject *m) {
    if (PyModule_AddFunctions(m, memory_functions) < 0) return -1;
    if (PyModule_AddFunctions(m, buffer_size_functions) < 0) return -1;
    if (add_backend_module(m, "metal", metal_functions, 1) < 0) return -1;
    return add_backend_module(m, "cuda", cuda_functions, 0);
}
