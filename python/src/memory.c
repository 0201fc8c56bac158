/* The memory API: active/peak/cache figures, limits, clearing the cache. */
#include "cmlx_py.h"

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

int mxp_memory_init(PyObject *m) {
    return PyModule_AddFunctions(m, memory_functions);
}
