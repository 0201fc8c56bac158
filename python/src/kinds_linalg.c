/*
 * Signature kinds of mlx.core.linalg and the matrix products: norms with
 * their three forms of ord, factorizations returning several arrays,
 * tensordot's two forms of axes, products with optional index and mask
 * arrays, einsum's operand list. See kinds.c for the scheme.
 */
#include "cmlx_py.h"
#include "kinds.h"

/* An optional array argument: None gives NULL. 0 or -1. */
static int opt_arr(PyObject *o, mx_array **a) {
    *a = NULL;
    if (o == Py_None) return 0;
    *a = mxk_arr(o);
    return *a ? 0 : -1;
}

/* n results of a call into the row's list/tuple; outs are stolen. */
static PyObject *results(const mxp_op *op, int rc, mx_array **outs, int n) {
    if (rc) {
        for (int i = 0; i < n; i++) mx_array_free(outs[i]);
        return mxp_raise(rc);
    }
    return mxk_results(op, outs, n);
}

PyObject *mxk_call_norm(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    PyObject *ord = slots[1];
    const char *str = NULL;
    double num = 0;
    bool keepdims;
    int axes[MXP_MAX_NDIM], n = 0;
    bool given = slots[2] != Py_None;
    if (PyUnicode_Check(ord)) {
        if (!(str = mxk_to_str(ord, "ord"))) return NULL;
    } else if (ord != Py_None && mxk_to_double(ord, &num, "ord") < 0)
        return NULL;
    if (mxp_to_bool(slots[3], &keepdims) < 0) return NULL;
    if (given && (n = mxp_to_axes(slots[2], axes, "axis")) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    const int *ax = given ? axes : NULL;
    int rc = str              ? op->fn.norm.str(&out, a, str, ax, n, keepdims, s)
             : ord == Py_None ? op->fn.norm.plain(&out, a, ax, n, keepdims, s)
                              : op->fn.norm.num(&out, a, num, ax, n, keepdims, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

PyObject *mxk_call_unary_pair(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *a = mxk_arr(slots[0]), *outs[2] = {NULL, NULL};
    if (!a) return NULL;
    int rc = op->fn.unary_pair(&outs[0], &outs[1], a, s);
    mx_array_free(a);
    return results(op, rc, outs, 2);
}

PyObject *mxk_call_unary_triple(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *a = mxk_arr(slots[0]), *outs[3] = {NULL, NULL, NULL};
    if (!a) return NULL;
    int rc = op->fn.unary_triple(&outs[0], &outs[1], &outs[2], a, s);
    mx_array_free(a);
    return results(op, rc, outs, 3);
}

/* svd: (U, S, Vt) with compute_uv, else S alone (an array, as MLX). */
PyObject *mxk_call_svd(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool uv;
    if (mxp_to_bool(slots[1], &uv) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *outs[3] = {NULL, NULL, NULL};
    if (!a) return NULL;
    int rc = op->fn.svd(uv ? &outs[0] : NULL, &outs[1], uv ? &outs[2] : NULL, a, uv, s);
    mx_array_free(a);
    if (!uv) return mxk_result(rc, outs[1]);
    return results(op, rc, outs, 3);
}

PyObject *mxk_call_array_str(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    const char *str = mxk_to_str(slots[1], op->name);
    if (!str) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_str(&out, a, str, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

PyObject *mxk_call_array_str_pair(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    const char *str = mxk_to_str(slots[1], op->name);
    if (!str) return NULL;
    mx_array *a = mxk_arr(slots[0]), *outs[2] = {NULL, NULL};
    if (!a) return NULL;
    int rc = op->fn.array_str_pair(&outs[0], &outs[1], a, str, s);
    mx_array_free(a);
    return results(op, rc, outs, 2);
}

PyObject *mxk_call_binary_int(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int i;
    if (mxp_to_int(slots[2], &i, "axis") < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *b = a ? mxk_arr(slots[1]) : NULL, *out = NULL;
    int rc = b ? op->fn.binary_int(&out, a, b, i, s) : -1;
    mx_array_free(a);
    mx_array_free(b);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

PyObject *mxk_call_array3(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *a = mxk_arr(slots[0]), *b = a ? mxk_arr(slots[1]) : NULL;
    mx_array *c = b ? mxk_arr(slots[2]) : NULL, *out = NULL;
    int rc = c ? op->fn.ternary(&out, a, b, c, s) : -1;
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(c);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

PyObject *mxk_call_addmm(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    double alpha, beta;
    if (mxk_to_double(slots[3], &alpha, "alpha") < 0 || mxk_to_double(slots[4], &beta, "beta") < 0)
        return NULL;
    mx_array *c = mxk_arr(slots[0]), *a = c ? mxk_arr(slots[1]) : NULL;
    mx_array *b = a ? mxk_arr(slots[2]) : NULL, *out = NULL;
    int rc = b ? op->fn.addmm(&out, c, a, b, (float)alpha, (float)beta, s) : -1;
    mx_array_free(c);
    mx_array_free(a);
    mx_array_free(b);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

/* One axis list of tensordot's pair: a sequence of ints (not an int). */
static int axis_list(PyObject *o, int *axes) {
    if (mxp_is_intlike(o) || !PySequence_Check(o) || PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError,
                     "tensordot: axes must be an int or a pair of lists of ints, "
                     "got an entry of type %s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    return mxp_to_axes(o, axes, "axes");
}

/* axes: a count, or a pair of equally long axis lists. */
PyObject *mxk_call_tensordot(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int count = 0, ax_a[MXP_MAX_NDIM], ax_b[MXP_MAX_NDIM], na = 0, nb = 0;
    bool by_count = mxp_is_intlike(slots[2]);
    if (by_count) {
        if (mxp_to_int(slots[2], &count, "axes") < 0) return NULL;
    } else {
        PyObject *seq = PySequence_Check(slots[2]) && !PyUnicode_Check(slots[2])
                            ? PySequence_Fast(slots[2], "")
                            : NULL;
        if (!seq || PySequence_Fast_GET_SIZE(seq) != 2) {
            PyErr_Clear();
            Py_XDECREF(seq);
            PyErr_Format(PyExc_TypeError,
                         "tensordot: axes must be an int or a pair of lists of ints, got %s",
                         Py_TYPE(slots[2])->tp_name);
            return NULL;
        }
        na = axis_list(PySequence_Fast_GET_ITEM(seq, 0), ax_a);
        nb = na < 0 ? -1 : axis_list(PySequence_Fast_GET_ITEM(seq, 1), ax_b);
        Py_DECREF(seq);
        if (nb < 0) return NULL;
        if (na != nb) {
            PyErr_SetString(PyExc_ValueError, "[tensordot] axes must have the same size.");
            return NULL;
        }
    }
    mx_array *a = mxk_arr(slots[0]), *b = a ? mxk_arr(slots[1]) : NULL, *out = NULL;
    int rc = -1;
    if (b)
        rc = by_count ? op->fn.tensordot.count(&out, a, b, count, s)
                      : op->fn.tensordot.axes(&out, a, b, ax_a, ax_b, na, s);
    mx_array_free(a);
    mx_array_free(b);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

PyObject *mxk_call_gather_mm(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool sorted;
    if (mxp_to_bool(slots[4], &sorted) < 0) return NULL;
    mx_array *v[4] = {NULL, NULL, NULL, NULL}, *out = NULL;
    int rc = -1;
    if ((v[0] = mxk_arr(slots[0])) && (v[1] = mxk_arr(slots[1])) && opt_arr(slots[2], &v[2]) == 0 &&
        opt_arr(slots[3], &v[3]) == 0)
        rc = op->fn.gather_mm(&out, v[0], v[1], v[2], v[3], sorted, s);
    for (int i = 0; i < 4; i++) mx_array_free(v[i]);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

PyObject *mxk_call_block_masked_mm(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int bs;
    if (mxp_to_int(slots[2], &bs, "block_size") < 0) return NULL;
    mx_array *v[5] = {NULL, NULL, NULL, NULL, NULL}, *out = NULL;
    int rc = -1;
    if ((v[0] = mxk_arr(slots[0])) && (v[1] = mxk_arr(slots[1])) && opt_arr(slots[3], &v[2]) == 0 &&
        opt_arr(slots[4], &v[3]) == 0 && opt_arr(slots[5], &v[4]) == 0)
        rc = op->fn.block_masked_mm(&out, v[0], v[1], bs, v[2], v[3], v[4], s);
    for (int i = 0; i < 5; i++) mx_array_free(v[i]);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

/* A float that may be None (NULL); a one-element array counts as its
 * value, as MLX converts it. */
PyObject *mxk_call_array_opt_float(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    double d = 0;
    float f;
    PyObject *o = slots[1];
    if (o != Py_None) {
        if (mxp_is_array(o)) {
            d = PyFloat_AsDouble(o);
            if (d == -1.0 && PyErr_Occurred()) return NULL;
        } else if (mxk_to_double(o, &d, "scale") < 0)
            return NULL;
    }
    f = (float)d;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.array_opt_float(&out, a, o == Py_None ? NULL : &f, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

/* einsum(subscripts, *operands). */
PyObject *mxk_call_str_arrays(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    const char *str = mxk_to_str(slots[0], "subscripts");
    if (!str) return NULL;
    mx_array **v, *out = NULL;
    int n;
    if (mxk_arrays_from(slots[1], &v, &n, "operands") < 0) return NULL;
    int rc = op->fn.str_arrays(&out, str, (const mx_array *const *)v, n, s);
    mxk_free_arrays(v, n);
    return mxk_result(rc, out);
}
