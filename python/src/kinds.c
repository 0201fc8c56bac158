/*
 * One generic caller per signature kind: converts the bound argument slots
 * (see function.c) to C values, calls the row's C function and wraps the
 * result. A new kind is needed only when an op's arguments take a shape no
 * kind here has; add its enum value and fn field in cmlx_py.h, a caller
 * below and its entry in mxp_kinds.
 */
#include "cmlx_py.h"

#include <string.h>

static PyObject *result(int rc, mx_array *out) {
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

static PyObject *call_custom(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    return op->fn.custom(slots, s);
}

static PyObject *call_unary(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *a = mxp_to_array(slots[0], MX_DTYPE_NONE), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.unary(&out, a, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_binary(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *a, *b, *out = NULL;
    if (mxp_to_arrays(slots[0], slots[1], &a, &b, NULL) < 0) return NULL;
    int rc = op->fn.binary(&out, a, b, s);
    mx_array_free(a);
    mx_array_free(b);
    return result(rc, out);
}

static PyObject *call_shape_dtype(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = mxp_to_shape(slots[0], shape, "shape");
    mx_dtype dtype;
    if (nd < 0 || mxp_to_dtype(slots[1], &dtype, true) < 0) return NULL;
    mx_array *out = NULL;
    int rc = op->fn.shape_dtype(&out, shape, nd, dtype == MX_DTYPE_NONE ? MX_FLOAT32 : dtype, s);
    return result(rc, out);
}

/* full(shape, vals, dtype): dtype only guides how a Python scalar converts,
 * as in MLX; an array keeps its dtype. */
static PyObject *call_shape_array_dtype(const mxp_op *op, PyObject *const *slots,
                                        const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = mxp_to_shape(slots[0], shape, "shape");
    mx_dtype dtype;
    if (nd < 0 || mxp_to_dtype(slots[2], &dtype, true) < 0) return NULL;
    mx_array *vals = mxp_to_array_weak(slots[1], dtype, NULL), *out = NULL;
    if (!vals) return NULL;
    int rc = op->fn.shape_array_dtype(&out, shape, nd, vals, MX_DTYPE_NONE, s);
    mx_array_free(vals);
    return result(rc, out);
}

static PyObject *call_array_dtype(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_dtype dtype;
    if (mxp_to_dtype(slots[1], &dtype, false) < 0) return NULL;
    mx_array *a = mxp_to_array(slots[0], MX_DTYPE_NONE), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_dtype(&out, a, dtype, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_array_shape(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = mxp_to_shape(slots[1], shape, "shape");
    if (nd < 0) return NULL;
    mx_array *a = mxp_to_array(slots[0], MX_DTYPE_NONE), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_shape(&out, a, shape, nd, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_array_axes_opt(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axes[MXP_MAX_NDIM], n = 0;
    bool given = slots[1] != Py_None;
    if (given && (n = mxp_to_axes(slots[1], axes, "axes")) < 0) return NULL;
    mx_array *a = mxp_to_array(slots[0], MX_DTYPE_NONE), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_axes(&out, a, given ? axes : NULL, n, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_reduce(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool keepdims;
    if (mxp_to_bool(slots[2], &keepdims) < 0) return NULL;
    mx_array *a = mxp_to_array(slots[0], MX_DTYPE_NONE), *out = NULL;
    if (!a) return NULL;
    int axes[MXP_MAX_NDIM], n;
    if (slots[1] == Py_None) {
        n = mx_array_ndim(a);
        for (int i = 0; i < n; i++) axes[i] = i;
    } else if ((n = mxp_to_axes(slots[1], axes, "axis")) < 0) {
        mx_array_free(a);
        return NULL;
    }
    int rc = op->fn.reduce(&out, a, axes, n, keepdims, s);
    mx_array_free(a);
    return result(rc, out);
}

/* ---- helpers shared by the callers below ---- */

static mx_array *arr(PyObject *o) {
    return mxp_to_array(o, MX_DTYPE_NONE);
}

/* An axis argument that may be None: *given tells which. */
static int opt_axis(PyObject *o, int *axis, bool *given) {
    *given = o != Py_None;
    return *given ? mxp_to_int(o, axis, "axis") : 0;
}

/* dtype None -> MX_DTYPE_NONE. */
static int opt_dtype(PyObject *o, mx_dtype *t) {
    return mxp_to_dtype(o, t, true);
}

/* Arrays from a Python sequence or iterable into a PyMem array the caller
 * releases with free_arrays. -1 with an exception. */
static int arrays_from(PyObject *o, mx_array ***out, int *n, const char *what) {
    *out = NULL;
    *n = 0;
    /* any iterable, an array too (its slices along axis 0), as MLX */
    PyObject *seq = PyUnicode_Check(o) || PyBytes_Check(o) ? NULL : PySequence_Fast(o, "");
    if (!seq) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be a list or tuple of arrays, got %s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    if (len > INT32_MAX) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "%s: too many arrays", what);
        return -1;
    }
    mx_array **v = PyMem_Calloc(len ? (size_t)len : 1, sizeof *v);
    if (!v) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        v[i] = arr(PySequence_Fast_GET_ITEM(seq, i));
        if (!v[i]) {
            for (Py_ssize_t j = 0; j < i; j++) mx_array_free(v[j]);
            PyMem_Free(v);
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *out = v;
    *n = (int)len;
    return 0;
}

static void free_arrays(mx_array **v, int n) {
    if (!v) return;
    for (int i = 0; i < n; i++) mx_array_free(v[i]);
    PyMem_Free(v);
}

/* Wraps n results (stolen) in a list, or a tuple when the row says so. */
static PyObject *results(const mxp_op *op, mx_array **outs, int n) {
    bool tuple = op && (op->flags & MXP_RETURN_TUPLE);
    PyObject *r = tuple ? PyTuple_New(n) : PyList_New(n);
    if (!r) {
        for (int i = 0; i < n; i++) mx_array_free(outs[i]);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        PyObject *o = mxp_array_wrap(outs[i]);
        outs[i] = NULL;
        if (!o) {
            for (int j = i + 1; j < n; j++) mx_array_free(outs[j]);
            Py_DECREF(r);
            return NULL;
        }
        if (tuple)
            PyTuple_SET_ITEM(r, i, o);
        else
            PyList_SET_ITEM(r, i, o);
    }
    return r;
}

static int to_double(PyObject *o, double *v, const char *what) {
    if (mxp_is_array(o) || PyComplex_Check(o) || !PyNumber_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a real number, got %s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    *v = PyFloat_AsDouble(o);
    return *v == -1.0 && PyErr_Occurred() ? -1 : 0;
}

static const char *to_str(PyObject *o, const char *what) {
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str, got %s", what, Py_TYPE(o)->tp_name);
        return NULL;
    }
    return PyUnicode_AsUTF8(o);
}

/* ---- creation ---- */

static PyObject *call_int(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int n;
    if (mxp_to_int(slots[0], &n, op->name) < 0) return NULL;
    mx_array *out = NULL;
    int rc = op->fn.int1(&out, n, s);
    return result(rc, out);
}

static PyObject *call_int_dtype(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int n;
    mx_dtype t;
    if (mxp_to_int(slots[0], &n, "n") < 0 || opt_dtype(slots[1], &t) < 0) return NULL;
    mx_array *out = NULL;
    int rc = op->fn.int_dtype(&out, n, t == MX_DTYPE_NONE ? MX_FLOAT32 : t, s);
    return result(rc, out);
}

static PyObject *call_int3_dtype(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int n, m, k;
    mx_dtype t;
    if (mxp_to_int(slots[0], &n, "n") < 0 || mxp_to_int(slots[2], &k, "k") < 0 ||
        opt_dtype(slots[3], &t) < 0)
        return NULL;
    if (slots[1] == Py_None)
        m = n;
    else if (mxp_to_int(slots[1], &m, "m") < 0)
        return NULL;
    mx_array *out = NULL;
    int rc = op->fn.int3_dtype(&out, n, m, k, t == MX_DTYPE_NONE ? MX_FLOAT32 : t, s);
    return result(rc, out);
}

static PyObject *call_linspace(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    double start, stop;
    int num = 50;
    bool endpoint;
    mx_dtype t;
    if (to_double(slots[0], &start, "start") < 0 || to_double(slots[1], &stop, "stop") < 0 ||
        (slots[2] != Py_None && mxp_to_int(slots[2], &num, "num") < 0) ||
        mxp_to_bool(slots[3], &endpoint) < 0 || opt_dtype(slots[4], &t) < 0)
        return NULL;
    mx_array *out = NULL;
    int rc =
        op->fn.linspace(&out, start, stop, num, endpoint, t == MX_DTYPE_NONE ? MX_FLOAT32 : t, s);
    return result(rc, out);
}

static PyObject *call_array_dtype_opt(const mxp_op *op, PyObject *const *slots,
                                      const mx_stream *s) {
    mx_dtype t;
    if (opt_dtype(slots[1], &t) < 0) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_dtype(&out, a, t, s);
    mx_array_free(a);
    return result(rc, out);
}

/* full_like: a scalar vals takes dtype, else a's dtype (a weak scalar). */
static PyObject *call_array_array_dtype(const mxp_op *op, PyObject *const *slots,
                                        const mx_stream *s) {
    mx_dtype t;
    if (opt_dtype(slots[2], &t) < 0) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    mx_array *v = mxp_to_array_weak(slots[1], t == MX_DTYPE_NONE ? mx_array_dtype(a) : t, NULL);
    int rc = v ? op->fn.array_array_dtype(&out, a, v, t, s) : 0;
    mx_array_free(a);
    mx_array_free(v);
    return v ? result(rc, out) : NULL;
}

/* ---- one array and ints ---- */

static PyObject *call_array_int(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int i;
    if (mxp_to_int(slots[1], &i, op->name) < 0) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_int(&out, a, i, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_array_int2(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int i, j;
    if (mxp_to_int(slots[1], &i, op->name) < 0 || mxp_to_int(slots[2], &j, op->name) < 0)
        return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_int2(&out, a, i, j, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_array_int3(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int v[3];
    for (int k = 0; k < 3; k++)
        if (mxp_to_int(slots[1 + k], &v[k], op->name) < 0) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_int3(&out, a, v[0], v[1], v[2], s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_array_int3_dtype(const mxp_op *op, PyObject *const *slots,
                                       const mx_stream *s) {
    int v[3];
    mx_dtype t;
    for (int k = 0; k < 3; k++)
        if (mxp_to_int(slots[1 + k], &v[k], op->name) < 0) return NULL;
    if (opt_dtype(slots[4], &t) < 0) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_int3_dtype(&out, a, v[0], v[1], v[2], t, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_array_int_shape(const mxp_op *op, PyObject *const *slots,
                                      const mx_stream *s) {
    int axis;
    int32_t shape[MXP_MAX_NDIM];
    int nd;
    if (mxp_to_int(slots[1], &axis, "axis") < 0 ||
        (nd = mxp_to_shape(slots[2], shape, "shape")) < 0)
        return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_int_shape(&out, a, axis, shape, nd, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_array_bool(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool b;
    if (mxp_to_bool(slots[1], &b) < 0) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_bool(&out, a, b, s);
    mx_array_free(a);
    return result(rc, out);
}

/* ---- axis arguments that may be None ---- */

static PyObject *call_axes_or_all(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axes[MXP_MAX_NDIM], n = 0;
    bool given = slots[1] != Py_None;
    if (given && (n = mxp_to_axes(slots[1], axes, "axis")) < 0) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc =
        given ? op->fn.axes_or_all.axes(&out, a, axes, n, s) : op->fn.axes_or_all.all(&out, a, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_axis_or_flat(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given;
    if (opt_axis(slots[1], &axis, &given) < 0) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc =
        given ? op->fn.axis_or_flat.axis(&out, a, axis, s) : op->fn.axis_or_flat.flat(&out, a, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_array_int_axis(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int i, axis = 0;
    bool given;
    if (mxp_to_int(slots[1], &i, op->name) < 0 || opt_axis(slots[2], &axis, &given) < 0)
        return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = given ? op->fn.array_int_axis.axis(&out, a, i, axis, s)
                   : op->fn.array_int_axis.flat(&out, a, i, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_arg_reduce(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given, keepdims;
    if (opt_axis(slots[1], &axis, &given) < 0 || mxp_to_bool(slots[2], &keepdims) < 0) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = given ? op->fn.arg_reduce.axis(&out, a, axis, keepdims, s)
                   : op->fn.arg_reduce.flat(&out, a, keepdims, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_scan(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given, rev, inc;
    if (opt_axis(slots[1], &axis, &given) < 0 || mxp_to_bool(slots[2], &rev) < 0 ||
        mxp_to_bool(slots[3], &inc) < 0)
        return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = given ? op->fn.scan.axis(&out, a, axis, rev, inc, s)
                   : op->fn.scan.flat(&out, a, rev, inc, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_scan_dtype(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given, rev, inc;
    mx_dtype t;
    if (opt_axis(slots[1], &axis, &given) < 0 || mxp_to_bool(slots[2], &rev) < 0 ||
        mxp_to_bool(slots[3], &inc) < 0 || opt_dtype(slots[4], &t) < 0)
        return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = given ? op->fn.scan_dtype.axis(&out, a, axis, rev, inc, t, s)
                   : op->fn.scan_dtype.flat(&out, a, rev, inc, t, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_reduce_ddof(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool keepdims;
    int ddof;
    if (mxp_to_bool(slots[2], &keepdims) < 0 || mxp_to_int(slots[3], &ddof, "ddof") < 0)
        return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int axes[MXP_MAX_NDIM], n;
    if (slots[1] == Py_None) {
        n = mx_array_ndim(a);
        for (int i = 0; i < n; i++) axes[i] = i;
    } else if ((n = mxp_to_axes(slots[1], axes, "axis")) < 0) {
        mx_array_free(a);
        return NULL;
    }
    int rc = op->fn.reduce_ddof(&out, a, axes, n, keepdims, ddof, s);
    mx_array_free(a);
    return result(rc, out);
}

/* ---- lists of arrays ---- */

static PyObject *call_arrays_axis(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0, n;
    bool given;
    if (opt_axis(slots[1], &axis, &given) < 0) return NULL;
    if (!given && !op->fn.arrays_axis.flat) {
        PyErr_Format(PyExc_TypeError, "%s: axis must be an int", op->name);
        return NULL;
    }
    mx_array **v, *out = NULL;
    if (arrays_from(slots[0], &v, &n, "arrays") < 0) return NULL;
    int rc = given ? op->fn.arrays_axis.axis(&out, (const mx_array *const *)v, n, axis, s)
                   : op->fn.arrays_axis.flat(&out, (const mx_array *const *)v, n, s);
    free_arrays(v, n);
    return result(rc, out);
}

/* n results of a multi-output call into a list/tuple; outs has n slots. */
static PyObject *multi(const mxp_op *op, int rc, mx_array **outs, int n) {
    if (rc) {
        PyMem_Free(outs);
        return mxp_raise(rc);
    }
    PyObject *r = results(op, outs, n);
    PyMem_Free(outs);
    return r;
}

static mx_array **new_outs(int n) {
    mx_array **outs = PyMem_Calloc(n > 0 ? (size_t)n : 1, sizeof *outs);
    if (!outs) PyErr_NoMemory();
    return outs;
}

static PyObject *call_arrays_multi(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int n;
    mx_array **v;
    if (arrays_from(slots[0], &v, &n, "arrays") < 0) return NULL;
    mx_array **outs = new_outs(n);
    if (!outs) {
        free_arrays(v, n);
        return NULL;
    }
    int rc = op->fn.arrays_multi(outs, (const mx_array *const *)v, n, s);
    free_arrays(v, n);
    return multi(op, rc, outs, n);
}

/* atleast_Nd(*arys): one array for one argument, a list for several. */
static PyObject *call_varargs_unary(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    Py_ssize_t n = PyTuple_GET_SIZE(slots[0]);
    if (n == 1) {
        PyObject *one[] = {PyTuple_GET_ITEM(slots[0], 0)};
        return call_unary(op, one, s);
    }
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list && i < n; i++) {
        PyObject *one[] = {PyTuple_GET_ITEM(slots[0], i)};
        PyObject *r = call_unary(op, one, s);
        if (!r) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, r);
    }
    return list;
}

static PyObject *call_meshgrid(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool sparse;
    const char *indexing = to_str(slots[2], "indexing");
    if (!indexing || mxp_to_bool(slots[1], &sparse) < 0) return NULL;
    int n;
    mx_array **v;
    if (arrays_from(slots[0], &v, &n, "arrays") < 0) return NULL;
    mx_array **outs = new_outs(n);
    if (!outs) {
        free_arrays(v, n);
        return NULL;
    }
    int rc = op->fn.meshgrid(outs, (const mx_array *const *)v, n, sparse, indexing, s);
    free_arrays(v, n);
    return multi(op, rc, outs, n);
}

static PyObject *call_unstack(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis;
    if (mxp_to_int(slots[1], &axis, "axis") < 0) return NULL;
    mx_array *a = arr(slots[0]);
    if (!a) return NULL;
    int nd = mx_array_ndim(a), ax = axis < 0 ? axis + nd : axis;
    int n = ax >= 0 && ax < nd ? mx_array_shape(a)[ax] : 0;
    mx_array **outs = new_outs(n);
    int rc = outs ? op->fn.unstack(outs, n, a, axis, s) : 0;
    mx_array_free(a);
    return outs ? multi(op, rc, outs, n) : NULL;
}

static PyObject *call_split(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis, sections = 0, n;
    int32_t idx[MXP_MAX_NDIM], *indices = idx;
    bool by_sections = mxp_is_intlike(slots[1]);
    if (mxp_to_int(slots[2], &axis, "axis") < 0) return NULL;
    if (by_sections) {
        if (mxp_to_int(slots[1], &sections, "indices_or_sections") < 0) return NULL;
        n = sections > 0 ? sections : 0;
    } else {
        PyObject *seq = PySequence_Check(slots[1]) && !PyUnicode_Check(slots[1])
                            ? PySequence_Fast(slots[1], "")
                            : NULL;
        if (!seq) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "split: indices_or_sections must be an int or a sequence of ints, got %s",
                         Py_TYPE(slots[1])->tp_name);
            return NULL;
        }
        Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
        if (len > MXP_MAX_NDIM) indices = PyMem_Calloc((size_t)len, sizeof *indices);
        for (Py_ssize_t i = 0; indices && i < len; i++) {
            int v;
            if (mxp_to_int(PySequence_Fast_GET_ITEM(seq, i), &v, "indices_or_sections") < 0) {
                if (indices != idx) PyMem_Free(indices);
                Py_DECREF(seq);
                return NULL;
            }
            indices[i] = v;
        }
        Py_DECREF(seq);
        if (!indices) return PyErr_NoMemory();
        n = (int)len + 1;
    }
    mx_array *a = arr(slots[0]);
    mx_array **outs = a ? new_outs(n) : NULL;
    int rc = 0;
    if (outs)
        rc = by_sections ? op->fn.split.sections(outs, a, sections, axis, s)
                         : op->fn.split.indices(outs, a, indices, n - 1, axis, s);
    if (indices != idx) PyMem_Free(indices);
    mx_array_free(a);
    return outs ? multi(op, rc, outs, n) : NULL;
}

/* ---- shape ops with structured arguments ---- */

static PyObject *call_roll(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int32_t shifts[MXP_MAX_NDIM];
    int axes[MXP_MAX_NDIM], ns, na = 0;
    bool shift_int = mxp_is_intlike(slots[1]);
    if ((ns = mxp_to_shape(slots[1], shifts, "shift")) < 0) return NULL;
    if (slots[2] != Py_None && (na = mxp_to_axes(slots[2], axes, "axis")) < 0) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc;
    if (slots[2] == Py_None && shift_int)
        rc = op->fn.roll.flat(&out, a, shifts[0], s);
    else if (shift_int && na > 0) { /* one shift for every axis */
        for (int i = 1; i < na; i++) shifts[i] = shifts[0];
        rc = op->fn.roll.axes(&out, a, shifts, na, axes, na, s);
    } else
        rc = op->fn.roll.axes(&out, a, shifts, ns, slots[2] == Py_None ? NULL : axes, na, s);
    mx_array_free(a);
    return result(rc, out);
}

/* pad_width as MLX takes it: an int, (int,), (low, high), or one (low,
 * high) / (w,) per axis. */
static int pad_widths(PyObject *o, int ndim, int32_t *low, int32_t *high) {
    if (mxp_is_intlike(o)) {
        int w;
        if (mxp_to_int(o, &w, "pad_width") < 0) return -1;
        for (int i = 0; i < ndim; i++) low[i] = high[i] = w;
        return 0;
    }
    PyObject *seq = PySequence_Check(o) && !PyUnicode_Check(o) ? PySequence_Fast(o, "") : NULL;
    if (!seq) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "pad: pad_width must be an int or a sequence, got %s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int rc = 0;
    if (n > 0 && mxp_is_intlike(PySequence_Fast_GET_ITEM(seq, 0))) {
        int32_t pair[2];
        int k = mxp_to_shape(seq, pair, "pad_width"); /* (w,) or (low, high) */
        if (k < 0)
            rc = -1;
        else if (k < 1 || k > 2) {
            PyErr_SetString(PyExc_ValueError, "[pad] pad_width must have one or two entries");
            rc = -1;
        } else
            for (int i = 0; i < ndim; i++) low[i] = pair[0], high[i] = pair[k - 1];
    } else if (n != ndim) {
        PyErr_Format(PyExc_ValueError,
                     "[pad] Invalid number of padding sizes passed to pad with axes of size %d",
                     ndim);
        rc = -1;
    } else {
        for (Py_ssize_t i = 0; !rc && i < n; i++) {
            int32_t pair[MXP_MAX_NDIM];
            int k = mxp_to_shape(PySequence_Fast_GET_ITEM(seq, i), pair, "pad_width");
            if (k < 0)
                rc = -1;
            else if (k != 2) { /* MLX takes only (low, high) pairs per axis */
                PyErr_SetString(PyExc_TypeError, "pad: pad_width pairs must have two entries");
                rc = -1;
            } else
                low[i] = pair[0], high[i] = pair[1];
        }
    }
    Py_DECREF(seq);
    return rc;
}

static PyObject *call_pad(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    const char *mode = to_str(slots[2], "mode");
    if (!mode) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int nd = mx_array_ndim(a);
    int32_t low[MXP_MAX_NDIM], high[MXP_MAX_NDIM];
    mx_array *v = NULL;
    int rc = -1;
    if (pad_widths(slots[1], nd, low, high) == 0 &&
        (v = mxp_to_array_weak(slots[3], mx_array_dtype(a), NULL)))
        rc = op->fn.pad(&out, a, NULL, nd, low, high, v, mode, s);
    mx_array_free(a);
    mx_array_free(v);
    if (rc < 0) return NULL;
    return result(rc, out);
}

static PyObject *call_as_strided(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    long long off;
    PyObject *i = PyNumber_Index(slots[3]);
    if (!i) return NULL;
    off = PyLong_AsLongLong(i);
    Py_DECREF(i);
    if (off == -1 && PyErr_Occurred()) return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int32_t shape[MXP_MAX_NDIM];
    int64_t strides[MXP_MAX_NDIM];
    int nd = mx_array_ndim(a), ns;
    int rc = -1;
    if (slots[1] == Py_None)
        memcpy(shape, mx_array_shape(a), (size_t)nd * sizeof *shape);
    else if ((nd = mxp_to_shape(slots[1], shape, "shape")) < 0)
        goto done;
    if (slots[2] == Py_None) {
        int64_t st = 1;
        for (int d = nd - 1; d >= 0; d--) strides[d] = st, st *= shape[d];
    } else {
        int32_t tmp[MXP_MAX_NDIM];
        if ((ns = mxp_to_shape(slots[2], tmp, "strides")) < 0) goto done;
        if (ns != nd) {
            PyErr_SetString(PyExc_ValueError,
                            "[as_strided] shape and strides must have the same length");
            goto done;
        }
        for (int d = 0; d < nd; d++) strides[d] = tmp[d];
    }
    rc = op->fn.as_strided(&out, a, shape, nd, strides, (int64_t)off, s);
done:
    mx_array_free(a);
    if (rc < 0) return NULL;
    return result(rc, out);
}

static PyObject *call_slice_dynamic(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axes[MXP_MAX_NDIM], na;
    int32_t size[MXP_MAX_NDIM];
    int nsize;
    if ((na = mxp_to_axes(slots[2], axes, "axes")) < 0 ||
        (nsize = mxp_to_shape(slots[3], size, "slice_size")) < 0)
        return NULL;
    mx_array *a = arr(slots[0]), *start = a ? arr(slots[1]) : NULL, *out = NULL;
    int rc = start ? op->fn.slice_dynamic(&out, a, start, axes, na, size, nsize, s) : -1;
    mx_array_free(a);
    mx_array_free(start);
    return rc < 0 ? NULL : result(rc, out);
}

static PyObject *call_slice_update(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axes[MXP_MAX_NDIM], na;
    if ((na = mxp_to_axes(slots[3], axes, "axes")) < 0) return NULL;
    mx_array *a = arr(slots[0]), *u = a ? arr(slots[1]) : NULL, *start = u ? arr(slots[2]) : NULL;
    mx_array *out = NULL;
    int rc = start ? op->fn.slice_update(&out, a, u, start, axes, na, s) : -1;
    mx_array_free(a);
    mx_array_free(u);
    mx_array_free(start);
    return rc < 0 ? NULL : result(rc, out);
}

/* ---- element-wise extras ---- */

static PyObject *call_clip(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *a = arr(slots[0]), *lo = NULL, *hi = NULL, *out = NULL;
    if (!a) return NULL;
    int rc = -1;
    if (slots[1] == Py_None && slots[2] == Py_None) {
        PyErr_SetString(PyExc_ValueError, "Either a_min or a_max must be provided");
        goto done;
    }
    if (slots[1] != Py_None && !(lo = mxp_to_array_weak(slots[1], mx_array_dtype(a), NULL)))
        goto done;
    if (slots[2] != Py_None && !(hi = mxp_to_array_weak(slots[2], mx_array_dtype(a), NULL)))
        goto done;
    rc = op->fn.ternary(&out, a, lo, hi, s);
done:
    mx_array_free(a);
    mx_array_free(lo);
    mx_array_free(hi);
    return rc < 0 ? NULL : result(rc, out);
}

static PyObject *call_nan_to_num(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    double nan, pinf, ninf;
    if (to_double(slots[1], &nan, "nan") < 0 ||
        (slots[2] != Py_None && to_double(slots[2], &pinf, "posinf") < 0) ||
        (slots[3] != Py_None && to_double(slots[3], &ninf, "neginf") < 0))
        return NULL;
    mx_array *a = arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.nan_to_num(&out, a, nan, slots[2] == Py_None ? NULL : &pinf,
                               slots[3] == Py_None ? NULL : &ninf, s);
    mx_array_free(a);
    return result(rc, out);
}

static PyObject *call_binary_tol(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    double rtol, atol;
    bool eq;
    if (to_double(slots[2], &rtol, "rtol") < 0 || to_double(slots[3], &atol, "atol") < 0 ||
        mxp_to_bool(slots[4], &eq) < 0)
        return NULL;
    mx_array *a, *b, *out = NULL;
    if (mxp_to_arrays(slots[0], slots[1], &a, &b, NULL) < 0) return NULL;
    int rc = op->fn.binary_tol(&out, a, b, rtol, atol, eq, s);
    mx_array_free(a);
    mx_array_free(b);
    return result(rc, out);
}

static PyObject *call_binary_bool(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool flag;
    if (mxp_to_bool(slots[2], &flag) < 0) return NULL;
    mx_array *a, *b, *out = NULL;
    if (mxp_to_arrays(slots[0], slots[1], &a, &b, NULL) < 0) return NULL;
    int rc = op->fn.binary_bool(&out, a, b, flag, s);
    mx_array_free(a);
    mx_array_free(b);
    return result(rc, out);
}

static PyObject *call_binary_pair(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *a, *b;
    if (mxp_to_arrays(slots[0], slots[1], &a, &b, NULL) < 0) return NULL;
    mx_array **outs = new_outs(2);
    int rc = outs ? op->fn.binary_pair(&outs[0], &outs[1], a, b, s) : 0;
    mx_array_free(a);
    mx_array_free(b);
    return outs ? multi(op, rc, outs, 2) : NULL;
}

static PyObject *call_binary_str(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    const char *str = to_str(slots[2], "side");
    if (!str) return NULL;
    mx_array *a = arr(slots[0]), *b = a ? arr(slots[1]) : NULL, *out = NULL;
    int rc = b ? op->fn.binary_str(&out, a, b, str, s) : -1;
    mx_array_free(a);
    mx_array_free(b);
    return rc < 0 ? NULL : result(rc, out);
}

static PyObject *call_ternary(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *c = arr(slots[0]), *x, *y, *out = NULL;
    if (!c) return NULL;
    if (mxp_to_arrays(slots[1], slots[2], &x, &y, NULL) < 0) {
        mx_array_free(c);
        return NULL;
    }
    int rc = op->fn.ternary(&out, c, x, y, s);
    mx_array_free(c);
    mx_array_free(x);
    mx_array_free(y);
    return result(rc, out);
}

/* ---- index functions ---- */

static PyObject *call_take(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0, index = 0;
    bool given, by_int = mxp_is_intlike(slots[1]) && !mxp_is_array(slots[1]);
    if (opt_axis(slots[2], &axis, &given) < 0) return NULL;
    if (by_int && mxp_to_int(slots[1], &index, "indices") < 0) return NULL;
    mx_array *a = arr(slots[0]), *idx = NULL, *out = NULL;
    if (!a) return NULL;
    int rc = -1;
    if (by_int)
        rc = given ? op->fn.take.index_axis(&out, a, index, axis, s)
                   : op->fn.take.index(&out, a, index, s);
    else if ((idx = arr(slots[1])))
        rc = given ? op->fn.take.axis(&out, a, idx, axis, s) : op->fn.take.flat(&out, a, idx, s);
    mx_array_free(a);
    mx_array_free(idx);
    return rc < 0 ? NULL : result(rc, out);
}

static int flatten_inplace(mx_array **a) {
    int32_t minus1 = -1;
    mx_array *f = NULL;
    int rc = mx_reshape(&f, *a, &minus1, 1, NULL);
    if (rc) return mxp_raise_int(rc);
    mx_array_free(*a);
    *a = f;
    return 0;
}

static PyObject *call_take_along(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given;
    if (opt_axis(slots[2], &axis, &given) < 0) return NULL;
    mx_array *a = arr(slots[0]), *idx = a ? arr(slots[1]) : NULL, *out = NULL;
    int rc = -1;
    if (idx && (given || (flatten_inplace(&a) == 0 && flatten_inplace(&idx) == 0)))
        rc = op->fn.take_along(&out, a, idx, axis, s);
    mx_array_free(a);
    mx_array_free(idx);
    return rc < 0 ? NULL : result(rc, out);
}

static PyObject *call_put_along(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given;
    if (opt_axis(slots[3], &axis, &given) < 0) return NULL;
    mx_array *a = arr(slots[0]), *idx = a ? arr(slots[1]) : NULL, *out = NULL;
    mx_array *v = idx ? mxp_to_array_weak(slots[2], mx_array_dtype(a), NULL) : NULL;
    int rc = -1;
    if (v) {
        if (given)
            rc = op->fn.put_along(&out, a, idx, v, axis, s);
        else { /* on the flattened array, then back to a's shape */
            mx_array *fa = mx_array_retain(a), *flat = NULL;
            if (flatten_inplace(&fa) == 0 && flatten_inplace(&idx) == 0 &&
                flatten_inplace(&v) == 0) {
                rc = op->fn.put_along(&flat, fa, idx, v, 0, s);
                if (!rc) {
                    rc = mx_reshape(&out, flat, mx_array_shape(a), mx_array_ndim(a), s);
                    mx_array_free(flat);
                }
            }
            mx_array_free(fa);
        }
    }
    mx_array_free(a);
    mx_array_free(idx);
    mx_array_free(v);
    return rc < 0 ? NULL : result(rc, out);
}

/* ---- random ---- */

static int opt_key(PyObject *o, mx_array **key) {
    *key = NULL;
    if (o == Py_None) return 0;
    *key = arr(o);
    return *key ? 0 : -1;
}

/* shape: a shape, or None (ndim -1, "from the arguments") when allowed. */
static int opt_shape(const mxp_op *op, PyObject *o, int32_t *shape) {
    if (o == Py_None && (op->flags & MXP_SHAPE_NONE_INFERS)) return -2;
    if (mxp_is_intlike(o)) { /* MLX's samplers take sequences only */
        PyErr_Format(PyExc_TypeError, "%s: shape must be a sequence of ints, got %s", op->name,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    return mxp_to_shape(o, shape, "shape");
}

static PyObject *call_shape_dtype_key(const mxp_op *op, PyObject *const *slots,
                                      const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = opt_shape(op, slots[0], shape);
    mx_dtype t;
    mx_array *key, *out = NULL;
    if (nd == -1 || opt_dtype(slots[1], &t) < 0 || opt_key(slots[2], &key) < 0) return NULL;
    int rc = op->fn.shape_dtype_key(&out, shape, nd < 0 ? -1 : nd,
                                    t == MX_DTYPE_NONE ? MX_FLOAT32 : t, key, s);
    mx_array_free(key);
    return result(rc, out);
}

static PyObject *call_array2_shape_dtype_key(const mxp_op *op, PyObject *const *slots,
                                             const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = opt_shape(op, slots[2], shape);
    mx_dtype t;
    mx_array *key, *out = NULL;
    if (nd == -1 || opt_dtype(slots[3], &t) < 0) return NULL;
    if (t == MX_DTYPE_NONE) t = MX_FLOAT32;
    mx_array *x = arr(slots[0]), *y = x ? arr(slots[1]) : NULL;
    int rc = -1;
    if (y && opt_key(slots[4], &key) == 0) {
        rc = op->fn.array2_shape_dtype_key(&out, x, y, shape, nd < 0 ? -1 : nd, t, key, s);
        mx_array_free(key);
    }
    mx_array_free(x);
    mx_array_free(y);
    return rc < 0 ? NULL : result(rc, out);
}

const mxp_kind_info mxp_kinds[MXP_NUM_KINDS] = {
    [MXP_CUSTOM] = {"CUSTOM", -1, call_custom},
    [MXP_UNARY] = {"UNARY", 1, call_unary},
    [MXP_BINARY] = {"BINARY", 2, call_binary},
    [MXP_SHAPE_DTYPE] = {"SHAPE_DTYPE", 2, call_shape_dtype},
    [MXP_SHAPE_ARRAY_DTYPE] = {"SHAPE_ARRAY_DTYPE", 3, call_shape_array_dtype},
    [MXP_ARRAY_DTYPE] = {"ARRAY_DTYPE", 2, call_array_dtype},
    [MXP_ARRAY_SHAPE] = {"ARRAY_SHAPE", 2, call_array_shape},
    [MXP_ARRAY_AXES_OPT] = {"ARRAY_AXES_OPT", 2, call_array_axes_opt},
    [MXP_REDUCE] = {"REDUCE", 3, call_reduce},

    [MXP_INT] = {"INT", 1, call_int},
    [MXP_INT_DTYPE] = {"INT_DTYPE", 2, call_int_dtype},
    [MXP_INT3_DTYPE] = {"INT3_DTYPE", 4, call_int3_dtype},
    [MXP_LINSPACE] = {"LINSPACE", 5, call_linspace},
    [MXP_ARRAY_DTYPE_OPT] = {"ARRAY_DTYPE_OPT", 2, call_array_dtype_opt},
    [MXP_ARRAY_ARRAY_DTYPE] = {"ARRAY_ARRAY_DTYPE", 3, call_array_array_dtype},
    [MXP_ARRAY_INT] = {"ARRAY_INT", 2, call_array_int},
    [MXP_ARRAY_INT2] = {"ARRAY_INT2", 3, call_array_int2},
    [MXP_ARRAY_INT3] = {"ARRAY_INT3", 4, call_array_int3},
    [MXP_ARRAY_INT3_DTYPE] = {"ARRAY_INT3_DTYPE", 5, call_array_int3_dtype},
    [MXP_ARRAY_INT_SHAPE] = {"ARRAY_INT_SHAPE", 3, call_array_int_shape},
    [MXP_ARRAY_BOOL] = {"ARRAY_BOOL", 2, call_array_bool},
    [MXP_AXES_OR_ALL] = {"AXES_OR_ALL", 2, call_axes_or_all},
    [MXP_AXIS_OR_FLAT] = {"AXIS_OR_FLAT", 2, call_axis_or_flat},
    [MXP_ARRAY_INT_AXIS] = {"ARRAY_INT_AXIS", 3, call_array_int_axis},
    [MXP_ARG_REDUCE] = {"ARG_REDUCE", 3, call_arg_reduce},
    [MXP_SCAN] = {"SCAN", 4, call_scan},
    [MXP_SCAN_DTYPE] = {"SCAN_DTYPE", 5, call_scan_dtype},
    [MXP_REDUCE_DDOF] = {"REDUCE_DDOF", 4, call_reduce_ddof},
    [MXP_ARRAYS_AXIS] = {"ARRAYS_AXIS", 2, call_arrays_axis},
    [MXP_ARRAYS_MULTI] = {"ARRAYS_MULTI", 1, call_arrays_multi},
    [MXP_VARARGS_UNARY] = {"VARARGS_UNARY", 1, call_varargs_unary},
    [MXP_MESHGRID] = {"MESHGRID", 3, call_meshgrid},
    [MXP_UNSTACK] = {"UNSTACK", 2, call_unstack},
    [MXP_SPLIT] = {"SPLIT", 3, call_split},
    [MXP_ROLL] = {"ROLL", 3, call_roll},
    [MXP_PAD] = {"PAD", 4, call_pad},
    [MXP_AS_STRIDED] = {"AS_STRIDED", 4, call_as_strided},
    [MXP_SLICE_DYNAMIC] = {"SLICE_DYNAMIC", 4, call_slice_dynamic},
    [MXP_SLICE_UPDATE] = {"SLICE_UPDATE", 4, call_slice_update},
    [MXP_CLIP] = {"CLIP", 3, call_clip},
    [MXP_NAN_TO_NUM] = {"NAN_TO_NUM", 4, call_nan_to_num},
    [MXP_BINARY_TOL] = {"BINARY_TOL", 5, call_binary_tol},
    [MXP_BINARY_BOOL] = {"BINARY_BOOL", 3, call_binary_bool},
    [MXP_BINARY_PAIR] = {"BINARY_PAIR", 2, call_binary_pair},
    [MXP_BINARY_STR] = {"BINARY_STR", 3, call_binary_str},
    [MXP_TERNARY] = {"TERNARY", 3, call_ternary},
    [MXP_TAKE] = {"TAKE", 3, call_take},
    [MXP_TAKE_ALONG] = {"TAKE_ALONG", 3, call_take_along},
    [MXP_PUT_ALONG] = {"PUT_ALONG", 4, call_put_along},
    [MXP_SHAPE_DTYPE_KEY] = {"SHAPE_DTYPE_KEY", 3, call_shape_dtype_key},
    [MXP_ARRAY2_SHAPE_DTYPE_KEY] = {"ARRAY2_SHAPE_DTYPE_KEY", 5, call_array2_shape_dtype_key},
};
