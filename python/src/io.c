/*
 * File IO: load, save, savez, savez_compressed, save_safetensors, save_gguf
 * and export_to_dot, as mlx.core has them.
 *
 * A file is a str or os.PathLike path, or a binary file object. Paths go to
 * the C loaders and savers directly (lazy loads); a file object is read whole
 * and handed to the `_bytes` loaders, and savers write it through a
 * temporary file (the C savers take paths only). The C calls run with the
 * GIL released; the arrays they read are our own references, so no other
 * thread can free them meanwhile.
 *
 * savez, savez_compressed and export_to_dot take **kwargs, which op table
 * rows cannot express: they are plain module functions added by
 * mxp_io_init.
 */
#include "cmlx_py.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- files ---- */

/* A path (str or os.PathLike) as a new bytes object in *path (return 1), or
 * a file object (return 0, *path NULL), or -1 with ValueError. */
static int file_arg(PyObject *file, const char *needs, const char *op, PyObject **path) {
    *path = NULL;
    if (PyUnicode_Check(file) || PyObject_HasAttrString(file, "__fspath__")) {
        return PyUnicode_FSConverter(file, path) ? 1 : -1;
    }
    if (PyObject_HasAttrString(file, needs)) return 0;
    PyErr_Format(PyExc_ValueError, "[%s] Input must be a file-like object%s, or string", op,
                 strcmp(needs, "read") == 0 ? " opened in binary mode" : "");
    return -1;
}

/* path with ext appended unless it already ends with it (MLX's savers). A
 * PyMem string, or NULL with MemoryError. */
static char *with_ext(const char *path, const char *ext) {
    size_t n = strlen(path), e = strlen(ext);
    char *p = PyMem_Malloc(n + e + 1);
    if (!p) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(p, path, n + 1);
    if (n < e || strcmp(path + n - e, ext) != 0) memcpy(p + n, ext, e + 1);
    return p;
}

typedef int (*saver_fn)(const char *path, void *ctx);

/* Runs save(path, ctx) with the GIL released, into `file` (a path gets ext
 * appended as MLX does; a file object gets the bytes of a temporary file).
 * Returns None or NULL with an exception set (errors of the C saver are
 * raised as `rc_map` maps them). */
static PyObject *save_to(PyObject *file, const char *op, const char *ext, saver_fn save, void *ctx,
                         int (*rc_map)(int)) {
    PyObject *pathb = NULL;
    int kind = file_arg(file, "write", op, &pathb);
    if (kind < 0) return NULL;
    int rc;
    if (kind == 1) {
        char *p = with_ext(PyBytes_AS_STRING(pathb), ext);
        Py_DECREF(pathb);
        if (!p) return NULL;
        Py_BEGIN_ALLOW_THREADS rc = save(p, ctx);
        Py_END_ALLOW_THREADS PyMem_Free(p);
        if (rc) return mxp_raise(rc_map ? rc_map(rc) : rc);
        Py_RETURN_NONE;
    }
    const char *dir = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/cmlx-save-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmpl);
    if (fd < 0) return PyErr_SetFromErrnoWithFilename(PyExc_OSError, tmpl);
    close(fd);
    PyObject *data = NULL;
    Py_BEGIN_ALLOW_THREADS rc = save(tmpl, ctx);
    Py_END_ALLOW_THREADS if (rc) {
        unlink(tmpl);
        return mxp_raise(rc_map ? rc_map(rc) : rc);
    }
    FILE *f = fopen(tmpl, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) goto io_error;
    long len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) goto io_error;
    data = PyBytes_FromStringAndSize(NULL, len);
    if (!data) goto fail;
    size_t got;
    Py_BEGIN_ALLOW_THREADS got = fread(PyBytes_AS_STRING(data), 1, (size_t)len, f);
    Py_END_ALLOW_THREADS if (got != (size_t)len) goto io_error;
    fclose(f);
    unlink(tmpl);
    PyObject *r = PyObject_CallMethod(file, "write", "O", data);
    if (!r && PyErr_ExceptionMatches(PyExc_TypeError)) {
        /* A text stream (io.StringIO, a file opened "w"): the text itself. */
        PyErr_Clear();
        PyObject *text =
            PyUnicode_DecodeUTF8(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), "strict");
        if (text) r = PyObject_CallMethod(file, "write", "O", text);
        Py_XDECREF(text);
    }
    Py_DECREF(data);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
io_error:
    PyErr_SetFromErrnoWithFilename(PyExc_OSError, tmpl);
fail:
    if (f) fclose(f);
    Py_XDECREF(data);
    unlink(tmpl);
    return NULL;
}

/* ---- load ---- */

enum { FMT_NPY, FMT_NPZ, FMT_SAFETENSORS, FMT_GGUF };
static const char *const formats[] = {"npy", "npz", "safetensors", "gguf"};

/* MLX raises RuntimeError for malformed .npy, safetensors and GGUF files and
 * ValueError for archives that are not zip files. */
static PyObject *load_raise(int rc, int fmt) {
    if (rc == MX_ERR_VALUE && fmt != FMT_NPZ) rc = MX_ERR_RUNTIME;
    return mxp_raise(rc);
}

static PyObject *array_map_dict(const mx_array_map *m) {
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < mx_array_map_size(m); i++) {
        PyObject *a = mxp_array_wrap(mx_array_retain(mx_array_map_value(m, i)));
        if (!a || PyDict_SetItemString(d, mx_array_map_key(m, i), a) < 0) Py_CLEAR(d);
        Py_XDECREF(a);
    }
    return d;
}

static PyObject *string_map_dict(const mx_string_map *m) {
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < mx_string_map_size(m); i++) {
        PyObject *v = PyUnicode_FromString(mx_string_map_value(m, i));
        if (!v || PyDict_SetItemString(d, mx_string_map_key(m, i), v) < 0) Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

static const struct {
    mx_gguf_type g;
    mx_dtype d;
} gguf_dtypes[] = {
    {MX_GGUF_UINT8, MX_UINT8},     {MX_GGUF_INT8, MX_INT8},       {MX_GGUF_UINT16, MX_UINT16},
    {MX_GGUF_INT16, MX_INT16},     {MX_GGUF_UINT32, MX_UINT32},   {MX_GGUF_INT32, MX_INT32},
    {MX_GGUF_FLOAT32, MX_FLOAT32}, {MX_GGUF_BOOL, MX_BOOL},       {MX_GGUF_UINT64, MX_UINT64},
    {MX_GGUF_INT64, MX_INT64},     {MX_GGUF_FLOAT64, MX_FLOAT64},
};

static int gguf_dtype(mx_gguf_type g, mx_dtype *d) {
    for (size_t i = 0; i < sizeof gguf_dtypes / sizeof *gguf_dtypes; i++)
        if (gguf_dtypes[i].g == g) {
            *d = gguf_dtypes[i].d;
            return 0;
        }
    return -1;
}

/* Stores a numeric GGUF scalar as a C value of dtype d at p. */
static void gguf_store(const mx_gguf_value *v, mx_dtype d, void *p) {
    switch (d) {
    case MX_UINT8:
        *(uint8_t *)p = (uint8_t)v->v.u;
        break;
    case MX_UINT16:
        *(uint16_t *)p = (uint16_t)v->v.u;
        break;
    case MX_UINT32:
        *(uint32_t *)p = (uint32_t)v->v.u;
        break;
    case MX_UINT64:
        *(uint64_t *)p = v->v.u;
        break;
    case MX_INT8:
        *(int8_t *)p = (int8_t)v->v.i;
        break;
    case MX_INT16:
        *(int16_t *)p = (int16_t)v->v.i;
        break;
    case MX_INT32:
        *(int32_t *)p = (int32_t)v->v.i;
        break;
    case MX_INT64:
        *(int64_t *)p = v->v.i;
        break;
    case MX_FLOAT32:
        *(float *)p = (float)v->v.f;
        break;
    case MX_FLOAT64:
        *(double *)p = v->v.f;
        break;
    default:
        *(bool *)p = v->v.b;
        break;
    }
}

static PyObject *gguf_value_obj(const mx_gguf_value *v);

static PyObject *gguf_array_obj(const mx_gguf_value *v) {
    size_t n = v->v.arr.n;
    mx_dtype d;
    if (v->v.arr.elem_type == MX_GGUF_STRING || v->v.arr.elem_type == MX_GGUF_ARRAY ||
        gguf_dtype(v->v.arr.elem_type, &d) < 0) {
        PyObject *l = PyList_New((Py_ssize_t)n);
        for (size_t i = 0; l && i < n; i++) {
            PyObject *o = gguf_value_obj(&v->v.arr.items[i]);
            if (!o)
                Py_CLEAR(l);
            else
                PyList_SET_ITEM(l, (Py_ssize_t)i, o);
        }
        return l;
    }
    if (n > INT32_MAX) return PyErr_Format(PyExc_ValueError, "[load_gguf] array too long");
    char *buf = PyMem_Malloc(n ? n * 8 : 1);
    if (!buf) return PyErr_NoMemory();
    mx_array *a = NULL;
    size_t isz = (size_t)mx_dtype_size(d);
    for (size_t i = 0; i < n; i++) gguf_store(&v->v.arr.items[i], d, buf + i * isz);
    int32_t shape[1] = {(int32_t)n};
    int rc = mx_array_from_data(&a, buf, shape, 1, d);
    PyMem_Free(buf);
    return rc ? mxp_raise(rc) : mxp_array_wrap(a);
}

/* MLX's metadata values: strings as str, string arrays as lists, numbers as
 * 0-d arrays and numeric arrays as 1-d arrays of their type. */
static PyObject *gguf_value_obj(const mx_gguf_value *v) {
    if (v->type == MX_GGUF_STRING) return PyUnicode_FromStringAndSize(v->v.s.str, v->v.s.len);
    if (v->type == MX_GGUF_ARRAY) return gguf_array_obj(v);
    mx_dtype d;
    if (gguf_dtype(v->type, &d) < 0)
        return PyErr_Format(PyExc_ValueError, "[load_gguf] unknown metadata type %d", v->type);
    uint64_t buf = 0;
    gguf_store(v, d, &buf);
    mx_array *a = NULL;
    int rc = mx_array_from_data(&a, &buf, NULL, 0, d);
    return rc ? mxp_raise(rc) : mxp_array_wrap(a);
}

static PyObject *gguf_meta_dict(const mx_gguf_metadata *m) {
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && i < mx_gguf_metadata_size(m); i++) {
        PyObject *v = gguf_value_obj(mx_gguf_metadata_value(m, i));
        if (!v || PyDict_SetItemString(d, mx_gguf_metadata_key(m, i), v) < 0) Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

/* The format named by the extension of name (a str), or -1 with ValueError. */
static int format_of(const char *s, bool from_ext) {
    if (from_ext) {
        const char *dot = strrchr(s, '.');
        if (!dot) {
            PyErr_SetString(PyExc_ValueError, "[load] Could not infer file format from extension");
            return -1;
        }
        s = dot + 1;
    }
    for (int i = 0; i < 4; i++)
        if (strcmp(s, formats[i]) == 0) return i;
    PyErr_Format(PyExc_ValueError, "[load] Unknown file format %s", s);
    return -1;
}

PyObject *mxp_op_load(PyObject *const *slots, const mx_stream *s) {
    PyObject *file = slots[0], *pathb = NULL, *data = NULL, *result = NULL, *meta = NULL;
    bool want_meta;
    if (mxp_to_bool(slots[2], &want_meta) < 0) return NULL;
    int kind = file_arg(file, "read", "load", &pathb);
    if (kind < 0) return NULL;
    int fmt;
    if (slots[1] != Py_None) {
        const char *f = PyUnicode_Check(slots[1]) ? PyUnicode_AsUTF8(slots[1]) : NULL;
        if (!f) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "load(): format must be a str");
            goto done;
        }
        fmt = format_of(f, false);
    } else if (kind == 1) {
        fmt = format_of(PyBytes_AS_STRING(pathb), true);
    } else {
        PyObject *name = PyObject_GetAttrString(file, "name"); /* AttributeError, as MLX */
        if (!name) goto done;
        PyObject *nb = NULL;
        fmt = PyUnicode_FSConverter(name, &nb) ? format_of(PyBytes_AS_STRING(nb), true) : -1;
        Py_DECREF(name);
        Py_XDECREF(nb);
    }
    if (fmt < 0) goto done;
    if (want_meta && (fmt == FMT_NPY || fmt == FMT_NPZ)) {
        PyErr_Format(PyExc_ValueError, "[load] metadata not supported for format %s", formats[fmt]);
        goto done;
    }
    const char *path = NULL;
    Py_buffer view = {0};
    if (kind == 1) {
        path = PyBytes_AS_STRING(pathb);
    } else {
        data = PyObject_CallMethod(file, "read", NULL);
        if (!data) goto done;
        if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
            PyErr_SetString(PyExc_ValueError,
                            "[load] Input must be a file-like object opened in binary mode, or "
                            "string");
            goto done;
        }
    }
    int rc;
    mx_array *arr = NULL;
    mx_array_map *arrays = NULL;
    mx_string_map *smeta = NULL;
    mx_gguf_metadata *gmeta = NULL;
    const void *buf = view.buf;
    size_t len = (size_t)view.len;
    Py_BEGIN_ALLOW_THREADS switch (fmt) {
    case FMT_NPY:
        rc = path ? mx_load_npy(&arr, path, s) : mx_load_npy_bytes(&arr, buf, len);
        break;
    case FMT_NPZ:
        rc = path ? mx_load_npz(&arrays, path, s) : mx_load_npz_bytes(&arrays, buf, len);
        break;
    case FMT_SAFETENSORS:
        rc = path ? mx_load_safetensors(&arrays, want_meta ? &smeta : NULL, path, s)
                  : mx_load_safetensors_bytes(&arrays, want_meta ? &smeta : NULL, buf, len);
        break;
    default:
        rc = path ? mx_load_gguf(&arrays, want_meta ? &gmeta : NULL, path, s)
                  : mx_load_gguf_bytes(&arrays, want_meta ? &gmeta : NULL, buf, len);
        break;
    }
    Py_END_ALLOW_THREADS if (!path) PyBuffer_Release(&view);
    if (rc) {
        load_raise(rc, fmt);
        goto done;
    }
    if (fmt == FMT_NPY) {
        result = mxp_array_wrap(arr);
        goto done;
    }
    result = array_map_dict(arrays);
    mx_array_map_free(arrays);
    if (want_meta) {
        meta = smeta ? string_map_dict(smeta) : gguf_meta_dict(gmeta);
        mx_string_map_free(smeta);
        mx_gguf_metadata_free(gmeta);
        if (!result || !meta) {
            Py_CLEAR(result);
            goto done;
        }
        PyObject *t = PyTuple_Pack(2, result, meta);
        Py_SETREF(result, t);
    }
done:
    Py_XDECREF(pathb);
    Py_XDECREF(data);
    Py_XDECREF(meta);
    return result;
}

/* ---- save ---- */

/* An mx array object's array, retained; NULL with RuntimeError (MLX's
 * failed cast) for anything else. */
static mx_array *array_value(PyObject *o, const char *op) {
    if (!mxp_is_array(o)) {
        PyErr_Format(PyExc_RuntimeError, "[%s] expected an array, got %s", op, Py_TYPE(o)->tp_name);
        return NULL;
    }
    return mx_array_retain(mxp_arr(o));
}

static int save_npy(const char *path, void *ctx) {
    return mx_save_npy(path, ctx);
}

PyObject *mxp_op_save(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    if (!mxp_is_array_like(slots[1]))
        return PyErr_Format(PyExc_TypeError, "save(): arr must be an array, not %s",
                            Py_TYPE(slots[1])->tp_name);
    mx_array *a = mxp_to_array(slots[1], MX_DTYPE_NONE);
    if (!a) return NULL;
    PyObject *r = save_to(slots[0], "save", ".npy", save_npy, a, NULL);
    mx_array_free(a);
    return r;
}

/* Adds the arrays of dict d (str keys) to m. 0 or -1. */
static int map_from_dict(mx_array_map *m, PyObject *d, const char *op) {
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(d, &pos, &k, &v)) {
        const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        if (!name) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "[%s] array names must be str", op);
            return -1;
        }
        mx_array *a = array_value(v, op);
        if (!a) return -1;
        int rc = mx_array_map_set(m, name, a);
        mx_array_free(a);
        if (rc) return mxp_raise_int(rc);
    }
    return 0;
}

/* The file of savez/export_to_dot: the first positional argument, or the
 * keyword `file` (then left out of the arrays: *kw is a new dict without it,
 * or a new reference to kwargs). NULL with TypeError when missing. */
static PyObject *split_file(PyObject *args, PyObject *kwargs, const char *op, PyObject **kw,
                            Py_ssize_t *first) {
    *kw = NULL;
    if (PyTuple_GET_SIZE(args) >= 1) {
        *first = 1;
        *kw = Py_XNewRef(kwargs);
        return PyTuple_GET_ITEM(args, 0);
    }
    *first = 0;
    PyObject *file = kwargs ? PyDict_GetItemString(kwargs, "file") : NULL;
    if (!file) return PyErr_Format(PyExc_TypeError, "%s() missing required argument 'file'", op);
    if (!(*kw = PyDict_Copy(kwargs)) || PyDict_DelItemString(*kw, "file") < 0) {
        Py_CLEAR(*kw);
        return NULL;
    }
    return file;
}

typedef struct {
    mx_array_map *arrays;
    mx_string_map *smeta;
    mx_gguf_metadata *gmeta;
    bool compressed;
} save_ctx;

static int save_npz(const char *path, void *ctx) {
    save_ctx *c = ctx;
    return mx_savez(path, c->arrays, c->compressed);
}

static PyObject *savez_impl(PyObject *args, PyObject *kwargs, bool compressed) {
    const char *op = compressed ? "savez_compressed" : "savez";
    Py_ssize_t first;
    PyObject *file = split_file(args, kwargs, op, &kwargs, &first);
    if (!file) return NULL;
    save_ctx c = {.compressed = compressed};
    PyObject *r = NULL;
    int rc = mx_array_map_new(&c.arrays);
    if (rc) {
        Py_XDECREF(kwargs);
        return mxp_raise(rc);
    }
    for (Py_ssize_t i = first; i < PyTuple_GET_SIZE(args); i++) {
        char name[32];
        snprintf(name, sizeof name, "arr_%zd", i - first);
        if (kwargs && PyDict_GetItemString(kwargs, name)) {
            PyErr_Format(PyExc_ValueError, "[%s] Cannot use un-named variables and keyword %s", op,
                         name);
            goto done;
        }
        mx_array *a = array_value(PyTuple_GET_ITEM(args, i), op);
        if (!a) goto done;
        rc = mx_array_map_set(c.arrays, name, a);
        mx_array_free(a);
        if (rc) {
            mxp_raise(rc);
            goto done;
        }
    }
    if (kwargs && map_from_dict(c.arrays, kwargs, op) < 0) goto done;
    r = save_to(file, op, ".npz", save_npz, &c, NULL);
done:
    mx_array_map_free(c.arrays);
    Py_XDECREF(kwargs);
    return r;
}

static PyObject *py_savez(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    return savez_impl(args, kwargs, false);
}

static PyObject *py_savez_compressed(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    return savez_impl(args, kwargs, true);
}

static int save_st(const char *path, void *ctx) {
    save_ctx *c = ctx;
    return mx_save_safetensors(path, c->arrays, c->smeta);
}

PyObject *mxp_op_save_safetensors(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    if (!PyDict_Check(slots[1]))
        return PyErr_Format(PyExc_TypeError, "save_safetensors(): arrays must be a dict, not %s",
                            Py_TYPE(slots[1])->tp_name);
    save_ctx c = {0};
    PyObject *r = NULL;
    int rc = mx_array_map_new(&c.arrays);
    if (rc) return mxp_raise(rc);
    if (map_from_dict(c.arrays, slots[1], "save_safetensors") < 0) goto done;
    if (slots[2] != Py_None) {
        if (!PyDict_Check(slots[2])) goto bad_meta;
        if ((rc = mx_string_map_new(&c.smeta))) {
            mxp_raise(rc);
            goto done;
        }
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(slots[2], &pos, &k, &v)) {
            if (!PyUnicode_Check(k) || !PyUnicode_Check(v)) goto bad_meta;
            const char *ks = PyUnicode_AsUTF8(k), *vs = PyUnicode_AsUTF8(v);
            if (!ks || !vs) goto done;
            if ((rc = mx_string_map_set(c.smeta, ks, vs))) {
                mxp_raise(rc);
                goto done;
            }
        }
    }
    r = save_to(slots[0], "save_safetensors", ".safetensors", save_st, &c, NULL);
    goto done;
bad_meta:
    PyErr_SetString(PyExc_ValueError,
                    "[save_safetensors] Metadata must be a dictionary with string keys and values");
done:
    mx_array_map_free(c.arrays);
    mx_string_map_free(c.smeta);
    return r;
}

/* ---- GGUF metadata from Python ---- */

static int gguf_type_of(mx_dtype d, mx_gguf_type *g) {
    for (size_t i = 0; i < sizeof gguf_dtypes / sizeof *gguf_dtypes; i++)
        if (gguf_dtypes[i].d == d) {
            *g = gguf_dtypes[i].g;
            return 0;
        }
    return -1;
}

/* Reads element i of the evaluated row-contiguous copy `data` (dtype d). */
static void gguf_load(mx_gguf_value *v, mx_dtype d, const char *data, size_t i) {
    switch (d) {
    case MX_UINT8:
        v->v.u = ((const uint8_t *)data)[i];
        break;
    case MX_UINT16:
        v->v.u = ((const uint16_t *)data)[i];
        break;
    case MX_UINT32:
        v->v.u = ((const uint32_t *)data)[i];
        break;
    case MX_UINT64:
        v->v.u = ((const uint64_t *)data)[i];
        break;
    case MX_INT8:
        v->v.i = ((const int8_t *)data)[i];
        break;
    case MX_INT16:
        v->v.i = ((const int16_t *)data)[i];
        break;
    case MX_INT32:
        v->v.i = ((const int32_t *)data)[i];
        break;
    case MX_INT64:
        v->v.i = ((const int64_t *)data)[i];
        break;
    case MX_FLOAT32:
        v->v.f = ((const float *)data)[i];
        break;
    case MX_FLOAT64:
        v->v.f = ((const double *)data)[i];
        break;
    default:
        v->v.b = ((const bool *)data)[i];
        break;
    }
}

static const char gguf_meta_msg[] =
    "[save_gguf] Received unsupported metadata value type; values must be a scalar or 1D array, "
    "a str or a list of str";

/* Sets key in m from a Python value (str, list of str, or an array of at
 * most one dimension). 0 or -1. */
static int gguf_meta_set(mx_gguf_metadata *m, const char *key, PyObject *o) {
    mx_gguf_value v = {0};
    int rc;
    if (PyUnicode_Check(o)) {
        Py_ssize_t n;
        const char *str = PyUnicode_AsUTF8AndSize(o, &n);
        if (!str) return -1;
        v.type = MX_GGUF_STRING;
        v.v.s.str = str;
        v.v.s.len = (size_t)n;
        rc = mx_gguf_metadata_set(m, key, &v);
        return rc ? mxp_raise_int(rc) : 0;
    }
    if (PyList_Check(o)) {
        Py_ssize_t n = PyList_GET_SIZE(o);
        mx_gguf_value *items = PyMem_Calloc(n ? (size_t)n : 1, sizeof *items);
        if (!items) return PyErr_NoMemory(), -1;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *s = PyList_GET_ITEM(o, i);
            Py_ssize_t len;
            const char *str = PyUnicode_Check(s) ? PyUnicode_AsUTF8AndSize(s, &len) : NULL;
            if (!str) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, gguf_meta_msg);
                PyMem_Free(items);
                return -1;
            }
            items[i].type = MX_GGUF_STRING;
            items[i].v.s.str = str;
            items[i].v.s.len = (size_t)len;
        }
        v.type = MX_GGUF_ARRAY;
        v.v.arr.elem_type = MX_GGUF_STRING;
        v.v.arr.n = (size_t)n;
        v.v.arr.items = items;
        rc = mx_gguf_metadata_set(m, key, &v);
        PyMem_Free(items);
        return rc ? mxp_raise_int(rc) : 0;
    }
    if (!mxp_is_array(o)) {
        PyErr_SetString(PyExc_ValueError, gguf_meta_msg);
        return -1;
    }
    mx_array *a = mxp_arr(o);
    mx_dtype d = mx_array_dtype(a);
    mx_gguf_type g;
    if (mx_array_ndim(a) > 1 || gguf_type_of(d, &g) < 0) {
        PyErr_SetString(PyExc_ValueError, gguf_meta_msg);
        return -1;
    }
    /* GGUF has FLOAT64 values, but MLX's reader crashes on them: refused, as
     * MLX's writer does, so that what we write loads in MLX. */
    if (d == MX_FLOAT64) {
        PyErr_SetString(PyExc_ValueError,
                        "[save_gguf] array type float64 not support for metadata.");
        return -1;
    }
    if (mxp_eval_nogil(a) < 0) return -1;
    size_t n = mx_array_size(a), nbytes = mx_array_nbytes(a);
    char *data = PyMem_Malloc(nbytes ? nbytes : 1);
    if (!data) return PyErr_NoMemory(), -1;
    if ((rc = mx_array_copy_to(a, data, nbytes))) {
        PyMem_Free(data);
        return mxp_raise_int(rc);
    }
    if (mx_array_ndim(a) == 0) {
        v.type = g;
        gguf_load(&v, d, data, 0);
        rc = mx_gguf_metadata_set(m, key, &v);
    } else {
        mx_gguf_value *items = PyMem_Calloc(n ? n : 1, sizeof *items);
        if (!items) {
            PyMem_Free(data);
            return PyErr_NoMemory(), -1;
        }
        for (size_t i = 0; i < n; i++) {
            items[i].type = g;
            gguf_load(&items[i], d, data, i);
        }
        v.type = MX_GGUF_ARRAY;
        v.v.arr.elem_type = g;
        v.v.arr.n = n;
        v.v.arr.items = items;
        rc = mx_gguf_metadata_set(m, key, &v);
        PyMem_Free(items);
    }
    PyMem_Free(data);
    return rc ? mxp_raise_int(rc) : 0;
}

static int save_gguf(const char *path, void *ctx) {
    save_ctx *c = ctx;
    return mx_save_gguf(path, c->arrays, c->gmeta);
}

/* An unsupported dtype is a RuntimeError in MLX. */
static int gguf_rc(int rc) {
    return rc == MX_ERR_TYPE ? MX_ERR_RUNTIME : rc;
}

PyObject *mxp_op_save_gguf(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    if (!PyDict_Check(slots[1]))
        return PyErr_Format(PyExc_TypeError, "save_gguf(): arrays must be a dict, not %s",
                            Py_TYPE(slots[1])->tp_name);
    if (slots[2] != Py_None && !PyDict_Check(slots[2]))
        return PyErr_Format(PyExc_TypeError, "save_gguf(): metadata must be a dict, not %s",
                            Py_TYPE(slots[2])->tp_name);
    save_ctx c = {0};
    PyObject *r = NULL;
    int rc = mx_array_map_new(&c.arrays);
    if (!rc) rc = mx_gguf_metadata_new(&c.gmeta);
    if (rc) {
        mxp_raise(rc);
        goto done;
    }
    if (map_from_dict(c.arrays, slots[1], "save_gguf") < 0) goto done;
    if (slots[2] != Py_None) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(slots[2], &pos, &k, &v)) {
            const char *ks = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
            if (!ks) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "save_gguf(): metadata keys must be str");
                goto done;
            }
            if (gguf_meta_set(c.gmeta, ks, v) < 0) goto done;
        }
    }
    r = save_to(slots[0], "save_gguf", ".gguf", save_gguf, &c, gguf_rc);
done:
    mx_array_map_free(c.arrays);
    mx_gguf_metadata_free(c.gmeta);
    return r;
}

/* ---- export_to_dot ---- */

typedef struct {
    mx_array **outs;
    const char **names;
    size_t n;
} dot_ctx;

static int save_dot(const char *path, void *ctx) {
    dot_ctx *c = ctx;
    return mx_export_to_dot(path, c->outs, c->names, c->n);
}

/* The positional arrays are the outputs; the keyword arrays are named (and
 * drawn, as extra outputs when the graph does not reach them). */
static PyObject *py_export_to_dot(PyObject *m, PyObject *args, PyObject *kwargs) {
    (void)m;
    Py_ssize_t first;
    PyObject *file = split_file(args, kwargs, "export_to_dot", &kwargs, &first);
    if (!file) return NULL;
    Py_ssize_t npos = PyTuple_GET_SIZE(args), nkw = kwargs ? PyDict_Size(kwargs) : 0;
    size_t n = (size_t)(npos - first + nkw);
    dot_ctx c = {PyMem_Calloc(n ? n : 1, sizeof(mx_array *)),
                 PyMem_Calloc(n ? n : 1, sizeof(char *)), 0};
    PyObject *r = NULL;
    if (!c.outs || !c.names) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = first; i < npos; i++) {
        if (!(c.outs[c.n] = array_value(PyTuple_GET_ITEM(args, i), "export_to_dot"))) goto done;
        c.n++;
    }
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (kwargs && PyDict_Next(kwargs, &pos, &k, &v)) {
        if (!(c.names[c.n] = PyUnicode_AsUTF8(k))) goto done;
        if (!(c.outs[c.n] = array_value(v, "export_to_dot"))) goto done;
        c.n++;
    }
    r = save_to(file, "export_to_dot", "", save_dot, &c, NULL);
done:
    Py_XDECREF(kwargs);
    for (size_t i = 0; c.outs && i < c.n; i++) mx_array_free(c.outs[i]);
    PyMem_Free(c.outs);
    PyMem_Free(c.names);
    return r;
}

static PyMethodDef io_functions[] = {
    {"savez", (PyCFunction)(void (*)(void))py_savez, METH_VARARGS | METH_KEYWORDS,
     "savez(file, *args, **kwargs)\n--\n\n"
     "Save several arrays to a binary file in uncompressed ``.npz`` format.\n\n"
     "Args:\n    file (file, str, pathlib.Path): Path to file to which the arrays are saved "
     "(``.npz`` is appended when missing).\n    *args (arrays): Arrays to be saved, named "
     "``arr_0``, ``arr_1``, ...\n    **kwargs (arrays): Arrays to be saved under the keyword."},
    {"savez_compressed", (PyCFunction)(void (*)(void))py_savez_compressed,
     METH_VARARGS | METH_KEYWORDS,
     "savez_compressed(file, *args, **kwargs)\n--\n\n"
     "Save several arrays to a binary file in compressed ``.npz`` format.\n\n"
     "Args:\n    file (file, str, pathlib.Path): Path to file to which the arrays are saved.\n"
     "    *args (arrays): Arrays to be saved.\n"
     "    **kwargs (arrays): Arrays to be saved under the keyword."},
    {"export_to_dot", (PyCFunction)(void (*)(void))py_export_to_dot, METH_VARARGS | METH_KEYWORDS,
     "export_to_dot(file, *args, **kwargs)\n--\n\n"
     "Export a graph to DOT format for visualization.\n\n"
     "The graph includes every node reachable from the given outputs.\n\n"
     "Args:\n    file (str): The file path to export to.\n    *args (array): The output "
     "arrays.\n    **kwargs (dict[str, array]): Names for arrays in the graph."},
    {NULL, NULL, 0, NULL},
};

int mxp_io_init(PyObject *module) {
    return PyModule_AddFunctions(module, io_functions);
}
