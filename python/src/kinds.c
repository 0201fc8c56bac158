/*
 * One generic caller per signature kind: converts the bound argument slots
 * (see function.c) to C values, calls the row's C function and wraps the
 * result. A new kind is needed only when an op's arguments take a shape no
 * kind here has; add its enum value and fn field in cmlx_py.h, a caller
 * below and its entry in mxp_kinds.
 */
#include "cmlx_py.h"

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
};
