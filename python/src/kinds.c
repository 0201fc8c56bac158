/*
 * One generic caller per signature kind: converts the bound argument slots
 * (see function.c) to C values, calls the row's C function and wraps the
 * result. A new kind is needed only when an op's arguments take a shape no
 * kind here has; add its enum value and fn field in cmlx_py.h, a caller
 * below and its entry in mxp_kinds.
 */
#include "cmlx_py.h"
#include "kinds.h"

#include <string.h>

PyObject *mxk_result(int rc, mx_array *out) {
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

static PyObject *call_custom(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    return op->fn.custom(slots, s);
}

PyObject *mxk_call_unary(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *out = NULL;
    if (mxp_is_array(slots[0])) { /* borrowed: the caller holds the object and the GIL */
        int rc = op->fn.unary(&out, mxp_arr(slots[0]), s);
        return mxk_result(rc, out);
    }
    mx_array *a = mxp_to_array(slots[0], MX_DTYPE_NONE);
    if (!a) return NULL;
    int rc = op->fn.unary(&out, a, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_binary(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *a, *b, *out = NULL;
    if (mxp_is_array(slots[0]) && mxp_is_array(slots[1])) { /* borrowed, as in unary */
        int rc = op->fn.binary(&out, mxp_arr(slots[0]), mxp_arr(slots[1]), s);
        return mxk_result(rc, out);
    }
    if (mxp_to_arrays(slots[0], slots[1], &a, &b, NULL) < 0) return NULL;
    int rc = op->fn.binary(&out, a, b, s);
    mx_array_free(a);
    mx_array_free(b);
    return mxk_result(rc, out);
}

static PyObject *call_shape_dtype(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = mxp_to_shape(slots[0], shape, "shape");
    mx_dtype dtype;
    if (nd < 0 || mxp_to_dtype(slots[1], &dtype, true) < 0) return NULL;
    mx_array *out = NULL;
    int rc = op->fn.shape_dtype(&out, shape, nd, dtype == MX_DTYPE_NONE ? MX_FLOAT32 : dtype, s);
    return mxk_result(rc, out);
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
    return mxk_result(rc, out);
}

static PyObject *call_array_dtype(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_dtype dtype;
    if (mxp_to_dtype(slots[1], &dtype, false) < 0) return NULL;
    mx_array *a = mxp_to_array(slots[0], MX_DTYPE_NONE), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_dtype(&out, a, dtype, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_array_shape(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = mxp_to_shape(slots[1], shape, "shape");
    if (nd < 0) return NULL;
    mx_array *out = NULL;
    if (mxp_is_array(slots[0])) { /* borrowed, as in unary */
        int rc = op->fn.array_shape(&out, mxp_arr(slots[0]), shape, nd, s);
        return mxk_result(rc, out);
    }
    mx_array *a = mxp_to_array(slots[0], MX_DTYPE_NONE);
    if (!a) return NULL;
    int rc = op->fn.array_shape(&out, a, shape, nd, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_array_axes_opt(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axes[MXP_MAX_NDIM], n = 0;
    bool given = slots[1] != Py_None;
    if (given && (n = mxp_to_axes(slots[1], axes, "axes")) < 0) return NULL;
    mx_array *a = mxp_to_array(slots[0], MX_DTYPE_NONE), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_axes(&out, a, given ? axes : NULL, n, s);
    mx_array_free(a);
    return mxk_result(rc, out);
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
    return mxk_result(rc, out);
}

/* ---- helpers shared by the callers below ---- */

mx_array *mxk_arr(PyObject *o) {
    return mxp_to_array(o, MX_DTYPE_NONE);
}

/* An axis argument that may be None: *given tells which. */
int mxk_opt_axis(PyObject *o, int *axis, bool *given) {
    *given = o != Py_None;
    return *given ? mxp_to_int(o, axis, "axis") : 0;
}

/* dtype None -> MX_DTYPE_NONE. */
int mxk_opt_dtype(PyObject *o, mx_dtype *t) {
    return mxp_to_dtype(o, t, true);
}

/* Arrays from a Python sequence or iterable into a PyMem array the caller
 * releases with free_arrays. -1 with an exception. */
int mxk_arrays_from(PyObject *o, mx_array ***out, int *n, const char *what) {
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
        v[i] = mxk_arr(PySequence_Fast_GET_ITEM(seq, i));
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

void mxk_free_arrays(mx_array **v, int n) {
    if (!v) return;
    for (int i = 0; i < n; i++) mx_array_free(v[i]);
    PyMem_Free(v);
}

/* Wraps n results (stolen) in a list, or a tuple when the row says so. */
PyObject *mxk_results(const mxp_op *op, mx_array **outs, int n) {
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

int mxk_to_double(PyObject *o, double *v, const char *what) {
    if (mxp_is_array(o) || PyComplex_Check(o) || !PyNumber_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a real number, got %s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    *v = PyFloat_AsDouble(o);
    return *v == -1.0 && PyErr_Occurred() ? -1 : 0;
}

const char *mxk_to_str(PyObject *o, const char *what) {
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
    return mxk_result(rc, out);
}

static PyObject *call_int_dtype(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int n;
    mx_dtype t;
    if (mxp_to_int(slots[0], &n, "n") < 0 || mxk_opt_dtype(slots[1], &t) < 0) return NULL;
    mx_array *out = NULL;
    int rc = op->fn.int_dtype(&out, n, t == MX_DTYPE_NONE ? MX_FLOAT32 : t, s);
    return mxk_result(rc, out);
}

static PyObject *call_int3_dtype(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int n, m, k;
    mx_dtype t;
    if (mxp_to_int(slots[0], &n, "n") < 0 || mxp_to_int(slots[2], &k, "k") < 0 ||
        mxk_opt_dtype(slots[3], &t) < 0)
        return NULL;
    if (slots[1] == Py_None)
        m = n;
    else if (mxp_to_int(slots[1], &m, "m") < 0)
        return NULL;
    mx_array *out = NULL;
    int rc = op->fn.int3_dtype(&out, n, m, k, t == MX_DTYPE_NONE ? MX_FLOAT32 : t, s);
    return mxk_result(rc, out);
}

static PyObject *call_linspace(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    double start, stop;
    int num = 50;
    bool endpoint;
    mx_dtype t;
    if (mxk_to_double(slots[0], &start, "start") < 0 ||
        mxk_to_double(slots[1], &stop, "stop") < 0 ||
        (slots[2] != Py_None && mxp_to_int(slots[2], &num, "num") < 0) ||
        mxp_to_bool(slots[3], &endpoint) < 0 || mxk_opt_dtype(slots[4], &t) < 0)
        return NULL;
    mx_array *out = NULL;
    int rc =
        op->fn.linspace(&out, start, stop, num, endpoint, t == MX_DTYPE_NONE ? MX_FLOAT32 : t, s);
    return mxk_result(rc, out);
}

static PyObject *call_array_dtype_opt(const mxp_op *op, PyObject *const *slots,
                                      const mx_stream *s) {
    mx_dtype t;
    if (mxk_opt_dtype(slots[1], &t) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_dtype(&out, a, t, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

/* full_like: a scalar vals takes dtype, else a's dtype (a weak scalar). */
static PyObject *call_array_array_dtype(const mxp_op *op, PyObject *const *slots,
                                        const mx_stream *s) {
    mx_dtype t;
    if (mxk_opt_dtype(slots[2], &t) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    mx_array *v = mxp_to_array_weak(slots[1], t == MX_DTYPE_NONE ? mx_array_dtype(a) : t, NULL);
    int rc = v ? op->fn.array_array_dtype(&out, a, v, t, s) : 0;
    mx_array_free(a);
    mx_array_free(v);
    return v ? mxk_result(rc, out) : NULL;
}

/* ---- one array and ints ---- */

static PyObject *call_array_int(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int i;
    if (mxp_to_int(slots[1], &i, op->name) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_int(&out, a, i, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_array_int2(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int i, j;
    if (mxp_to_int(slots[1], &i, op->name) < 0 || mxp_to_int(slots[2], &j, op->name) < 0)
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_int2(&out, a, i, j, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_array_int3(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int v[3];
    for (int k = 0; k < 3; k++)
        if (mxp_to_int(slots[1 + k], &v[k], op->name) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_int3(&out, a, v[0], v[1], v[2], s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_array_int3_dtype(const mxp_op *op, PyObject *const *slots,
                                       const mx_stream *s) {
    int v[3];
    mx_dtype t;
    for (int k = 0; k < 3; k++)
        if (mxp_to_int(slots[1 + k], &v[k], op->name) < 0) return NULL;
    if (mxk_opt_dtype(slots[4], &t) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_int3_dtype(&out, a, v[0], v[1], v[2], t, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_array_int_shape(const mxp_op *op, PyObject *const *slots,
                                      const mx_stream *s) {
    int axis;
    int32_t shape[MXP_MAX_NDIM];
    int nd;
    if (mxp_to_int(slots[1], &axis, "axis") < 0 ||
        (nd = mxp_to_shape(slots[2], shape, "shape")) < 0)
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_int_shape(&out, a, axis, shape, nd, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_array_bool(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool b;
    if (mxp_to_bool(slots[1], &b) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_bool(&out, a, b, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

/* ---- axis arguments that may be None ---- */

static PyObject *call_axes_or_all(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axes[MXP_MAX_NDIM], n = 0;
    bool given = slots[1] != Py_None;
    if (given && (n = mxp_to_axes(slots[1], axes, "axis")) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc =
        given ? op->fn.axes_or_all.axes(&out, a, axes, n, s) : op->fn.axes_or_all.all(&out, a, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_axis_or_flat(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given;
    if (mxk_opt_axis(slots[1], &axis, &given) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc =
        given ? op->fn.axis_or_flat.axis(&out, a, axis, s) : op->fn.axis_or_flat.flat(&out, a, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_array_int_axis(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int i, axis = 0;
    bool given;
    if (mxp_to_int(slots[1], &i, op->name) < 0 || mxk_opt_axis(slots[2], &axis, &given) < 0)
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = given ? op->fn.array_int_axis.axis(&out, a, i, axis, s)
                   : op->fn.array_int_axis.flat(&out, a, i, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_arg_reduce(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given, keepdims;
    if (mxk_opt_axis(slots[1], &axis, &given) < 0 || mxp_to_bool(slots[2], &keepdims) < 0)
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = given ? op->fn.arg_reduce.axis(&out, a, axis, keepdims, s)
                   : op->fn.arg_reduce.flat(&out, a, keepdims, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_scan(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given, rev, inc;
    if (mxk_opt_axis(slots[1], &axis, &given) < 0 || mxp_to_bool(slots[2], &rev) < 0 ||
        mxp_to_bool(slots[3], &inc) < 0)
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = given ? op->fn.scan.axis(&out, a, axis, rev, inc, s)
                   : op->fn.scan.flat(&out, a, rev, inc, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_scan_dtype(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given, rev, inc;
    mx_dtype t;
    if (mxk_opt_axis(slots[1], &axis, &given) < 0 || mxp_to_bool(slots[2], &rev) < 0 ||
        mxp_to_bool(slots[3], &inc) < 0 || mxk_opt_dtype(slots[4], &t) < 0)
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = given ? op->fn.scan_dtype.axis(&out, a, axis, rev, inc, t, s)
                   : op->fn.scan_dtype.flat(&out, a, rev, inc, t, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

static PyObject *call_reduce_ddof(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool keepdims;
    int ddof;
    if (mxp_to_bool(slots[2], &keepdims) < 0 || mxp_to_int(slots[3], &ddof, "ddof") < 0)
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
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
    return mxk_result(rc, out);
}

const mxp_kind_info mxp_kinds[MXP_NUM_KINDS] = {
    [MXP_CUSTOM] = {"CUSTOM", -1, call_custom},
    [MXP_UNARY] = {"UNARY", 1, mxk_call_unary},
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
    [MXP_ARRAYS_AXIS] = {"ARRAYS_AXIS", 2, mxk_call_arrays_axis},
    [MXP_ARRAYS_MULTI] = {"ARRAYS_MULTI", 1, mxk_call_arrays_multi},
    [MXP_VARARGS_UNARY] = {"VARARGS_UNARY", 1, mxk_call_varargs_unary},
    [MXP_MESHGRID] = {"MESHGRID", 3, mxk_call_meshgrid},
    [MXP_UNSTACK] = {"UNSTACK", 2, mxk_call_unstack},
    [MXP_SPLIT] = {"SPLIT", 3, mxk_call_split},
    [MXP_ROLL] = {"ROLL", 3, mxk_call_roll},
    [MXP_PAD] = {"PAD", 4, mxk_call_pad},
    [MXP_AS_STRIDED] = {"AS_STRIDED", 4, mxk_call_as_strided},
    [MXP_SLICE_DYNAMIC] = {"SLICE_DYNAMIC", 4, mxk_call_slice_dynamic},
    [MXP_SLICE_UPDATE] = {"SLICE_UPDATE", 4, mxk_call_slice_update},
    [MXP_CLIP] = {"CLIP", 3, mxk_call_clip},
    [MXP_NAN_TO_NUM] = {"NAN_TO_NUM", 4, mxk_call_nan_to_num},
    [MXP_BINARY_TOL] = {"BINARY_TOL", 5, mxk_call_binary_tol},
    [MXP_BINARY_BOOL] = {"BINARY_BOOL", 3, mxk_call_binary_bool},
    [MXP_BINARY_PAIR] = {"BINARY_PAIR", 2, mxk_call_binary_pair},
    [MXP_BINARY_STR] = {"BINARY_STR", 3, mxk_call_binary_str},
    [MXP_TERNARY] = {"TERNARY", 3, mxk_call_ternary},
    [MXP_TAKE] = {"TAKE", 3, mxk_call_take},
    [MXP_TAKE_ALONG] = {"TAKE_ALONG", 3, mxk_call_take_along},
    [MXP_PUT_ALONG] = {"PUT_ALONG", 4, mxk_call_put_along},
    [MXP_SHAPE_DTYPE_KEY] = {"SHAPE_DTYPE_KEY", 3, mxk_call_shape_dtype_key},
    [MXP_ARRAY2_SHAPE_DTYPE_KEY] = {"ARRAY2_SHAPE_DTYPE_KEY", 5, mxk_call_array2_shape_dtype_key},
    [MXP_NORM] = {"NORM", 4, mxk_call_norm},
    [MXP_UNARY_PAIR] = {"UNARY_PAIR", 1, mxk_call_unary_pair},
    [MXP_UNARY_TRIPLE] = {"UNARY_TRIPLE", 1, mxk_call_unary_triple},
    [MXP_SVD] = {"SVD", 2, mxk_call_svd},
    [MXP_ARRAY_STR] = {"ARRAY_STR", 2, mxk_call_array_str},
    [MXP_ARRAY_STR_PAIR] = {"ARRAY_STR_PAIR", 2, mxk_call_array_str_pair},
    [MXP_BINARY_INT] = {"BINARY_INT", 3, mxk_call_binary_int},
    [MXP_ARRAY3] = {"ARRAY3", 3, mxk_call_array3},
    [MXP_ADDMM] = {"ADDMM", 5, mxk_call_addmm},
    [MXP_TENSORDOT] = {"TENSORDOT", 3, mxk_call_tensordot},
    [MXP_GATHER_MM] = {"GATHER_MM", 5, mxk_call_gather_mm},
    [MXP_BLOCK_MASKED_MM] = {"BLOCK_MASKED_MM", 6, mxk_call_block_masked_mm},
    [MXP_ARRAY_OPT_FLOAT] = {"ARRAY_OPT_FLOAT", 2, mxk_call_array_opt_float},
    [MXP_STR_ARRAYS] = {"STR_ARRAYS", 2, mxk_call_str_arrays},
    [MXP_FFT] = {"FFT", 4, mxk_call_fft},
    [MXP_FFTN] = {"FFTN", 4, mxk_call_fftn},
    [MXP_INT_DOUBLE] = {"INT_DOUBLE", 2, mxk_call_int_double},
    [MXP_QUANTIZE] = {"QUANTIZE", 5, mxk_call_quantize},
    [MXP_DEQUANTIZE] = {"DEQUANTIZE", 8, mxk_call_dequantize},
    [MXP_QUANTIZED_MATMUL] = {"QUANTIZED_MATMUL", 8, mxk_call_quantized_matmul},
    [MXP_GATHER_QMM] = {"GATHER_QMM", 12, mxk_call_gather_qmm},
    [MXP_CONV1D] = {"CONV1D", 6, mxk_call_conv1d},
    [MXP_CONV_ND] = {"CONV_ND", 6, mxk_call_conv_nd},
    [MXP_CONV_TRANSPOSE1D] = {"CONV_TRANSPOSE1D", 7, mxk_call_conv_transpose1d},
    [MXP_CONV_TRANSPOSE_ND] = {"CONV_TRANSPOSE_ND", 7, mxk_call_conv_transpose_nd},
    [MXP_CONV_GENERAL] = {"CONV_GENERAL", 8, mxk_call_conv_general},
    [MXP_QQMM] = {"QQMM", 8, mxk_call_qqmm},
    [MXP_GATHER_QQMM] = {"GATHER_QQMM", 11, mxk_call_gather_qqmm},
};
