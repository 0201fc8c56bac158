/*
 * DLPack: array.__dlpack__, array.__dlpack_device__ and from_dlpack.
 *
 * Export hands out the array's own memory (the capsule's manager keeps the
 * array alive), read-only since cmlx arrays are immutable. Import wraps the
 * producer's memory with its strides as a borrowed array; the producer's
 * deleter runs, under the GIL, when the last array using the memory is gone.
 * The structures below are declared from the DLPack specification (v1.0,
 * https://dmlc.github.io/dlpack/latest/c_api.html); only their layout matters.
 */
#include "cmlx_py.h"
#include "convert.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the DLPack ABI ---- */

enum { DL_CPU = 1 }; /* DLDeviceType kDLCPU */
enum { DL_INT = 0, DL_UINT = 1, DL_FLOAT = 2, DL_BFLOAT = 4, DL_COMPLEX = 5, DL_BOOL = 6 };
#define DL_FLAG_READ_ONLY ((uint64_t)1 << 0)
#define DL_FLAG_IS_COPIED ((uint64_t)1 << 1)
#define DL_MAJOR          1
#define DL_MINOR          0

typedef struct {
    int32_t device_type;
    int32_t device_id;
} dl_device;

typedef struct {
    uint8_t code;
    uint8_t bits;
    uint16_t lanes;
} dl_dtype;

typedef struct {
    void *data;
    dl_device device;
    int32_t ndim;
    dl_dtype dtype;
    int64_t *shape;
    int64_t *strides; /* in elements; NULL: row-major */
    uint64_t byte_offset;
} dl_tensor;

typedef struct dl_managed {
    dl_tensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct dl_managed *self);
} dl_managed;

typedef struct dl_managed_versioned {
    struct {
        uint32_t major, minor;
    } version;
    void *manager_ctx;
    void (*deleter)(struct dl_managed_versioned *self);
    uint64_t flags;
    dl_tensor dl_tensor;
} dl_managed_versioned;

static const char CAPSULE[] = "dltensor", CAPSULE_V[] = "dltensor_versioned";
static const char USED[] = "used_dltensor", USED_V[] = "used_dltensor_versioned";

static const struct {
    mx_dtype dtype;
    dl_dtype dl;
} dtype_map[] = {
    {MX_BOOL, {DL_BOOL, 8, 1}},        {MX_UINT8, {DL_UINT, 8, 1}},
    {MX_UINT16, {DL_UINT, 16, 1}},     {MX_UINT32, {DL_UINT, 32, 1}},
    {MX_UINT64, {DL_UINT, 64, 1}},     {MX_INT8, {DL_INT, 8, 1}},
    {MX_INT16, {DL_INT, 16, 1}},       {MX_INT32, {DL_INT, 32, 1}},
    {MX_INT64, {DL_INT, 64, 1}},       {MX_FLOAT16, {DL_FLOAT, 16, 1}},
    {MX_FLOAT32, {DL_FLOAT, 32, 1}},   {MX_FLOAT64, {DL_FLOAT, 64, 1}},
    {MX_BFLOAT16, {DL_BFLOAT, 16, 1}}, {MX_COMPLEX64, {DL_COMPLEX, 64, 1}},
};
#define N_DTYPES (sizeof dtype_map / sizeof *dtype_map)

/* ---- export ---- */

/* One allocation holds the managed tensor, the array it exposes and the
 * shape and strides the tensor points at. */
typedef struct {
    dl_managed m;
    mx_array *arr;
    int64_t dims[];
} legacy_holder;

typedef struct {
    dl_managed_versioned m;
    mx_array *arr;
    int64_t dims[];
} versioned_holder;

/* Deleters may run on any thread, with or without the GIL: they touch no
 * Python object. */
static void delete_legacy(dl_managed *m) {
    legacy_holder *h = m->manager_ctx;
    mx_array_free(h->arr);
    free(h);
}

static void delete_versioned(dl_managed_versioned *m) {
    versioned_holder *h = m->manager_ctx;
    mx_array_free(h->arr);
    free(h);
}

/* A capsule nobody consumed still owns its tensor. */
static void capsule_destructor(PyObject *cap) {
    if (PyCapsule_IsValid(cap, CAPSULE)) {
        dl_managed *m = PyCapsule_GetPointer(cap, CAPSULE);
        if (m->deleter) m->deleter(m);
    } else if (PyCapsule_IsValid(cap, CAPSULE_V)) {
        dl_managed_versioned *m = PyCapsule_GetPointer(cap, CAPSULE_V);
        if (m->deleter) m->deleter(m);
    }
}

/* Fills t from the evaluated array a; dims has room for 2 * ndim (at least
 * 2) entries. */
static int fill_tensor(dl_tensor *t, mx_array *a, int64_t *dims) {
    mx_buffer_info info;
    int rc = mx_array_buffer_info(a, &info);
    if (rc) return mxp_raise_int(rc);
    int nd = mx_array_ndim(a);
    const int64_t *st = mx_array_strides(a);
    for (int i = 0; i < nd; i++) dims[i] = mx_array_shape(a)[i], dims[nd + i] = st[i];
    /* An empty array has no buffer to name; consumers still get a valid
     * pointer. */
    t->data = info.base ? (void *)info.base : (void *)mx_array_data(a);
    t->byte_offset = info.base ? (uint64_t)info.offset : 0;
    t->device = (dl_device){DL_CPU, 0};
    t->ndim = nd;
    t->shape = dims;
    t->strides = dims + nd;
    for (size_t k = 0; k < N_DTYPES; k++)
        if (dtype_map[k].dtype == mx_array_dtype(a)) t->dtype = dtype_map[k].dl;
    return 0;
}

/* A row-major copy of the evaluated array a, in a buffer of its own. */
static mx_array *copy_of(mx_array *a) {
    size_t nbytes = mx_array_nbytes(a);
    void *data = mxp_alloc_aligned(nbytes);
    if (!data) return (mx_array *)PyErr_NoMemory();
    PyThreadState *ts = nbytes >= MXP_NOGIL_BYTES ? PyEval_SaveThread() : NULL;
    int rc = nbytes ? mx_array_copy_to(a, data, nbytes) : 0;
    if (ts) PyEval_RestoreThread(ts);
    if (rc) {
        mxp_free_aligned(data);
        return (mx_array *)mxp_raise(rc);
    }
    return mxp_from_host(data, mx_array_shape(a), mx_array_ndim(a), mx_array_dtype(a));
}

/* (major, minor) >= (1, 0)? max_version None means an old consumer. */
static int wants_versioned(PyObject *max_version) {
    if (max_version == Py_None) return 0;
    if (!PyTuple_Check(max_version) || PyTuple_GET_SIZE(max_version) != 2) {
        PyErr_SetString(PyExc_TypeError, "max_version must be a tuple (major, minor) or None");
        return -1;
    }
    long major = PyLong_AsLong(PyTuple_GET_ITEM(max_version, 0));
    if (major == -1 && PyErr_Occurred()) return -1;
    return major >= DL_MAJOR;
}

static int check_device(PyObject *dl_dev) {
    if (dl_dev == Py_None) return 0;
    long type = -1, id = -1;
    if (PyTuple_Check(dl_dev) && PyTuple_GET_SIZE(dl_dev) == 2) {
        type = PyLong_AsLong(PyTuple_GET_ITEM(dl_dev, 0));
        id = PyLong_AsLong(PyTuple_GET_ITEM(dl_dev, 1));
        if (PyErr_Occurred()) return -1;
    } else {
        PyErr_SetString(PyExc_TypeError,
                        "dl_device must be a tuple (device_type, device_id) or None");
        return -1;
    }
    if (type != DL_CPU || id != 0) {
        PyErr_Format(PyExc_BufferError,
                     "[__dlpack__] cannot export to DLPack device (%ld, %ld): cmlx arrays "
                     "live in CPU memory, device (1, 0)",
                     type, id);
        return -1;
    }
    return 0;
}

PyObject *mxp_array_dlpack(PyObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"stream", "max_version", "dl_device", "copy", NULL};
    PyObject *stream = Py_None, *max_version = Py_None, *dl_dev = Py_None, *copy = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOO:__dlpack__", names, &stream, &max_version,
                                     &dl_dev, &copy))
        return NULL;
    (void)stream; /* CPU memory has no stream to synchronise with */
    if (copy != Py_None && !PyBool_Check(copy)) {
        PyErr_Format(PyExc_TypeError, "copy must be a bool or None, got %s",
                     Py_TYPE(copy)->tp_name);
        return NULL;
    }
    int versioned = wants_versioned(max_version);
    if (versioned < 0 || check_device(dl_dev) < 0) return NULL;
    mx_array *a = mx_array_retain(mxp_arr(self));
    if (mxp_eval_nogil(a) < 0) {
        mx_array_free(a);
        return NULL;
    }
    bool copied = copy == Py_True;
    if (copied) {
        mx_array *c = copy_of(a);
        mx_array_free(a);
        if (!c) return NULL;
        a = c;
    }
    int nd = mx_array_ndim(a);
    size_t ndims = (size_t)(nd ? 2 * nd : 2);
    PyObject *cap = NULL;
    if (versioned) {
        versioned_holder *h = calloc(1, sizeof *h + ndims * sizeof(int64_t));
        if (!h) goto nomem;
        h->arr = a;
        h->m.version.major = DL_MAJOR, h->m.version.minor = DL_MINOR;
        h->m.manager_ctx = h;
        h->m.deleter = delete_versioned;
        h->m.flags = DL_FLAG_READ_ONLY | (copied ? DL_FLAG_IS_COPIED : 0);
        if (fill_tensor(&h->m.dl_tensor, a, h->dims) < 0) {
            delete_versioned(&h->m);
            return NULL;
        }
        cap = PyCapsule_New(&h->m, CAPSULE_V, capsule_destructor);
        if (!cap) delete_versioned(&h->m);
    } else {
        legacy_holder *h = calloc(1, sizeof *h + ndims * sizeof(int64_t));
        if (!h) goto nomem;
        h->arr = a;
        h->m.manager_ctx = h;
        h->m.deleter = delete_legacy;
        if (fill_tensor(&h->m.dl_tensor, a, h->dims) < 0) {
            delete_legacy(&h->m);
            return NULL;
        }
        cap = PyCapsule_New(&h->m, CAPSULE, capsule_destructor);
        if (!cap) delete_legacy(&h->m);
    }
    return cap;
nomem:
    mx_array_free(a);
    return PyErr_NoMemory();
}

PyObject *mxp_array_dlpack_device(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
    return Py_BuildValue("(ii)", DL_CPU, 0);
}

/* ---- import ---- */

/* The producer's tensor, owned by us once the capsule is marked used. */
typedef struct {
    void *managed;
    bool versioned;
} import_owner;

static int run_producer_deleter(void *ctx) {
    import_owner *o = ctx;
    if (o->versioned) {
        dl_managed_versioned *m = o->managed;
        if (m->deleter) m->deleter(m);
    } else {
        dl_managed *m = o->managed;
        if (m->deleter) m->deleter(m);
    }
    free(o);
    return 0;
}

/* The producer's deleter may touch Python objects (NumPy's drops its array),
 * so it runs under the GIL. A worker thread that drops the last use hands it
 * to the interpreter instead of waiting for the GIL, which a Python thread
 * may hold while it waits for that worker. At interpreter exit there is no
 * one left to tell. */
static void release_managed(void *ctx) {
    if (!Py_IsInitialized()) return;
    if (PyGILState_Check()) {
        run_producer_deleter(ctx);
        return;
    }
    if (Py_AddPendingCall(run_producer_deleter, ctx) == 0) return;
    PyGILState_STATE g = PyGILState_Ensure();
    run_producer_deleter(ctx);
    PyGILState_Release(g);
}

/* Row-major copy of a strided tensor, elements converted by `conv` (NULL:
 * copied as they are, isz bytes each; else isz source bytes to osz). */
typedef void (*convert_fn)(void *dst, const void *src);

static void c128_to_c64(void *dst, const void *src) {
    const double *s = src;
    float *d = dst;
    d[0] = (float)s[0], d[1] = (float)s[1];
}

static void gather(char *dst, const char *src, const int64_t *shape, const int64_t *strides, int nd,
                   size_t isz, size_t osz, convert_fn conv) {
    int64_t idx[MXP_MAX_NDIM] = {0};
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    const char *p = src;
    for (int64_t k = 0; k < n; k++, dst += osz) {
        if (conv)
            conv(dst, p);
        else
            memcpy(dst, p, isz);
        for (int d = nd - 1; d >= 0; d--) { /* next index, row-major */
            p += strides[d] * (int64_t)isz;
            if (++idx[d] < shape[d]) break;
            p -= strides[d] * (int64_t)isz * shape[d];
            idx[d] = 0;
        }
    }
}

static PyObject *get_capsule(PyObject *x) {
    if (PyCapsule_CheckExact(x)) return Py_NewRef(x);
    PyObject *fn = PyObject_GetAttrString(x, "__dlpack__");
    if (!fn && PyObject_CheckBuffer(x)) {
        /* NumPy scalars and other buffer exporters: NumPy's view of the same
         * memory speaks DLPack */
        PyErr_Clear();
        PyObject *np = PyImport_ImportModule("numpy");
        PyObject *view = np ? PyObject_CallMethod(np, "asarray", "O", x) : NULL;
        Py_XDECREF(np);
        if (!view) return NULL;
        PyObject *cap = PyObject_HasAttrString(view, "__dlpack__") ? get_capsule(view) : NULL;
        Py_DECREF(view);
        if (cap || PyErr_Occurred()) return cap;
    }
    if (!fn) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "[from_dlpack] expected an object with __dlpack__ and __dlpack_device__ "
                     "or a DLPack capsule, got %s",
                     Py_TYPE(x)->tp_name);
        return NULL;
    }
    PyObject *dev = PyObject_CallMethod(x, "__dlpack_device__", NULL);
    if (!dev) {
        Py_DECREF(fn);
        return NULL;
    }
    long type = PyTuple_Check(dev) && PyTuple_GET_SIZE(dev) == 2
                    ? PyLong_AsLong(PyTuple_GET_ITEM(dev, 0))
                    : -1;
    Py_DECREF(dev);
    if (type != DL_CPU) {
        Py_DECREF(fn);
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_BufferError,
                         "[from_dlpack] only CPU memory (DLPack device type 1) can be "
                         "imported, got device type %ld",
                         type);
        return NULL;
    }
    /* Ask for a versioned capsule; producers older than DLPack 1.0 take no
     * keywords. */
    PyObject *args = PyTuple_New(0), *kw = Py_BuildValue("{s(ii)}", "max_version", 1, 0);
    PyObject *cap = args && kw ? PyObject_Call(fn, args, kw) : NULL;
    if (!cap && PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        cap = PyObject_CallNoArgs(fn);
    }
    Py_XDECREF(args);
    Py_XDECREF(kw);
    Py_DECREF(fn);
    if (cap && !PyCapsule_CheckExact(cap)) {
        PyErr_Format(PyExc_TypeError, "[from_dlpack] __dlpack__ returned %s, not a capsule",
                     Py_TYPE(cap)->tp_name);
        Py_CLEAR(cap);
    }
    return cap;
}

static bool dtype_of(dl_dtype dt, mx_dtype *out) {
    if (dt.lanes != 1) return false;
    for (size_t k = 0; k < N_DTYPES; k++) {
        dl_dtype m = dtype_map[k].dl;
        if (m.code == dt.code && m.bits == dt.bits) {
            *out = dtype_map[k].dtype;
            return true;
        }
    }
    return false;
}

static PyObject *f_from_dlpack(PyObject *mod, PyObject *args, PyObject *kw) {
    (void)mod;
    static char *names[] = {"", "copy", NULL};
    PyObject *x, *copy = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$O:from_dlpack", names, &x, &copy)) return NULL;
    if (copy != Py_None && !PyBool_Check(copy)) {
        PyErr_Format(PyExc_TypeError, "copy must be a bool or None, got %s",
                     Py_TYPE(copy)->tp_name);
        return NULL;
    }
    PyObject *cap = get_capsule(x);
    if (!cap) return NULL;
    bool versioned = PyCapsule_IsValid(cap, CAPSULE_V);
    if (!versioned && !PyCapsule_IsValid(cap, CAPSULE)) {
        const char *name = PyCapsule_GetName(cap);
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError,
                     "[from_dlpack] expected a capsule named \"dltensor\" or "
                     "\"dltensor_versioned\", got \"%s\" (a capsule can be consumed once)",
                     name ? name : "");
        Py_DECREF(cap);
        return NULL;
    }
    void *managed = PyCapsule_GetPointer(cap, versioned ? CAPSULE_V : CAPSULE);
    dl_tensor *t;
    if (versioned) {
        dl_managed_versioned *m = managed;
        if (m->version.major != DL_MAJOR) {
            PyErr_Format(PyExc_BufferError, "[from_dlpack] unsupported DLPack version %u.%u",
                         m->version.major, m->version.minor);
            Py_DECREF(cap);
            return NULL;
        }
        t = &m->dl_tensor;
    } else {
        t = &((dl_managed *)managed)->dl_tensor;
    }
    /* Checks before taking ownership: on failure the capsule still frees it. */
    mx_dtype dtype = MX_DTYPE_NONE;
    bool narrow_c128 = t->dtype.code == DL_COMPLEX && t->dtype.bits == 128 && t->dtype.lanes == 1;
    if (t->device.device_type != DL_CPU) {
        PyErr_Format(PyExc_BufferError,
                     "[from_dlpack] only CPU memory (DLPack device type 1) can be imported, "
                     "got device type %d",
                     (int)t->device.device_type);
    } else if (t->ndim < 0 || t->ndim > MXP_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "[from_dlpack] unsupported number of dimensions %d",
                     (int)t->ndim);
    } else if (narrow_c128) {
        dtype = MX_COMPLEX64; /* as MLX: complex128 becomes complex64 (a copy) */
        if (copy == Py_False)
            PyErr_SetString(PyExc_BufferError,
                            "[from_dlpack] complex128 data is converted to complex64, which "
                            "needs a copy, but copy=False");
    } else if (!dtype_of(t->dtype, &dtype)) {
        PyErr_Format(PyExc_TypeError,
                     "[from_dlpack] unsupported DLPack dtype (code %d, bits %d, lanes %d)",
                     t->dtype.code, t->dtype.bits, t->dtype.lanes);
    }
    int nd = t->ndim;
    int32_t shape[MXP_MAX_NDIM];
    int64_t shape64[MXP_MAX_NDIM], rowst[MXP_MAX_NDIM];
    for (int i = 0; !PyErr_Occurred() && i < nd; i++) {
        if (t->shape[i] < 0 || t->shape[i] > INT32_MAX)
            PyErr_Format(PyExc_ValueError, "[from_dlpack] dimension %lld is out of range",
                         (long long)t->shape[i]);
        shape[i] = (int32_t)t->shape[i];
        shape64[i] = t->shape[i];
    }
    if (PyErr_Occurred()) {
        Py_DECREF(cap);
        return NULL;
    }
    if (!t->strides) { /* compact row-major */
        int64_t acc = 1;
        for (int i = nd - 1; i >= 0; i--) rowst[i] = acc, acc *= shape64[i];
    }
    const int64_t *strides = t->strides ? t->strides : rowst;
    size_t isz = (size_t)t->dtype.bits / 8;
    char *data = (char *)t->data + t->byte_offset;

    import_owner *owner = malloc(sizeof *owner);
    if (!owner || PyCapsule_SetName(cap, versioned ? USED_V : USED) < 0) {
        free(owner);
        Py_DECREF(cap);
        return owner ? NULL : PyErr_NoMemory();
    }
    Py_DECREF(cap); /* the tensor is ours now, released through owner */
    owner->managed = managed, owner->versioned = versioned;

    int64_t size = 1;
    for (int i = 0; i < nd; i++) size *= shape64[i];
    bool aligned = ((uintptr_t)data % (isz ? isz : 1)) == 0;
    if (copy != Py_True && !narrow_c128 && size > 0 && aligned) {
        mx_array *a = NULL;
        int rc = mx_array_from_strided_borrowed(&a, data, shape, strides, nd, dtype,
                                                release_managed, owner);
        if (rc) {
            release_managed(owner);
            return mxp_raise(rc);
        }
        return mxp_array_wrap(a);
    }
    if (copy == Py_False && size > 0 && !aligned) {
        release_managed(owner);
        PyErr_SetString(PyExc_BufferError,
                        "[from_dlpack] the data is not aligned to its element size and cannot "
                        "be shared; copy=False");
        return NULL;
    }
    size_t osz = (size_t)mx_dtype_size(dtype);
    char *buf = mxp_alloc_aligned((size_t)size * osz);
    if (!buf) {
        release_managed(owner);
        return PyErr_NoMemory();
    }
    PyThreadState *ts = (size_t)size * osz >= MXP_NOGIL_BYTES ? PyEval_SaveThread() : NULL;
    if (size > 0)
        gather(buf, data, shape64, strides, nd, isz, osz, narrow_c128 ? c128_to_c64 : NULL);
    if (ts) PyEval_RestoreThread(ts);
    release_managed(owner);
    return mxp_array_wrap(mxp_from_host(buf, shape, nd, dtype));
}

static PyMethodDef dlpack_functions[] = {
    {"from_dlpack", (PyCFunction)(void (*)(void))f_from_dlpack, METH_VARARGS | METH_KEYWORDS,
     "from_dlpack(x, /, *, copy=None)\n--\n\n"
     "Create an array from an object that supports DLPack.\n\n"
     "Args:\n"
     "    x: Input object implementing ``__dlpack__`` and ``__dlpack_device__`` (or a\n"
     "      DLPack capsule).\n"
     "    copy (bool, optional): Whether to copy the input. If ``True``, always copy.\n"
     "      If ``False``, never copy. If ``None``, share memory when possible and copy\n"
     "      otherwise. Zero-copy imports preserve the DLPack strides.\n\n"
     "Returns:\n"
     "    array: An array containing the input data."},
    {NULL, NULL, 0, NULL},
};

int mxp_dlpack_init(PyObject *m) {
    return PyModule_AddFunctions(m, dlpack_functions);
}
