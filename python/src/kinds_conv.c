/*
 * Signature kinds of the convolutions and of qqmm / gather_qqmm. The
 * N-d convolution kinds (2-d and 3-d) read the spatial rank from the op's
 * name ("conv2d", "conv_transpose3d"): one caller serves both C functions,
 * whose per-axis parameters are arrays of that many ints. Per-axis
 * parameters are an int (every axis) or a sequence of exactly that many
 * ints, as mlx.core's `int | tuple[int, ...]`. See kinds.c for the scheme.
 */
#include "cmlx_py.h"
#include "kinds.h"

#include <string.h>

/* An int, or a sequence of exactly nd ints, into v[nd]. */
static int per_axis(PyObject *o, int *v, int nd, const char *what) {
    int buf[MXP_MAX_NDIM];
    if (mxp_is_intlike(o)) {
        if (mxp_to_int(o, &buf[0], what) < 0) return -1;
        for (int i = 0; i < nd; i++) v[i] = buf[0];
        return 0;
    }
    int n = (PyTuple_Check(o) || PyList_Check(o)) ? mxp_to_axes(o, buf, what) : -2;
    if (n == -1) return -1;
    if (n != nd) {
        PyErr_Format(PyExc_TypeError, "%s must be an int or a tuple of %d ints", what, nd);
        return -1;
    }
    memcpy(v, buf, sizeof(int) * (size_t)nd);
    return 0;
}

static int spatial_rank(const mxp_op *op) {
    size_t n = strlen(op->name);
    return op->name[n - 2] - '0';
}

static PyObject *two_arrays(PyObject *const *slots, mx_array **a, mx_array **b) {
    *b = NULL;
    if (!(*a = mxk_arr(slots[0]))) return NULL;
    if (!(*b = mxk_arr(slots[1]))) {
        mx_array_free(*a);
        return NULL;
    }
    return Py_None;
}

static PyObject *finish(int rc, mx_array *a, mx_array *b, mx_array *out) {
    mx_array_free(a);
    mx_array_free(b);
    return mxk_result(rc, out);
}

/* (input, weight, stride, padding, dilation, groups) */
PyObject *mxk_call_conv1d(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int st, pad, dil, groups;
    if (mxp_to_int(slots[2], &st, "stride") < 0 || mxp_to_int(slots[3], &pad, "padding") < 0 ||
        mxp_to_int(slots[4], &dil, "dilation") < 0 || mxp_to_int(slots[5], &groups, "groups") < 0)
        return NULL;
    mx_array *a, *b, *out = NULL;
    if (!two_arrays(slots, &a, &b)) return NULL;
    int rc = op->fn.conv1d(&out, a, b, st, pad, dil, groups, s);
    return finish(rc, a, b, out);
}

PyObject *mxk_call_conv_nd(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int nd = spatial_rank(op), st[3], pad[3], dil[3], groups;
    if (per_axis(slots[2], st, nd, "stride") < 0 || per_axis(slots[3], pad, nd, "padding") < 0 ||
        per_axis(slots[4], dil, nd, "dilation") < 0 || mxp_to_int(slots[5], &groups, "groups") < 0)
        return NULL;
    mx_array *a, *b, *out = NULL;
    if (!two_arrays(slots, &a, &b)) return NULL;
    int rc = op->fn.conv_nd(&out, a, b, st, pad, dil, groups, s);
    return finish(rc, a, b, out);
}

/* (input, weight, stride, padding, dilation, output_padding, groups) */
PyObject *mxk_call_conv_transpose1d(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int st, pad, dil, opad, groups;
    if (mxp_to_int(slots[2], &st, "stride") < 0 || mxp_to_int(slots[3], &pad, "padding") < 0 ||
        mxp_to_int(slots[4], &dil, "dilation") < 0 ||
        mxp_to_int(slots[5], &opad, "output_padding") < 0 ||
        mxp_to_int(slots[6], &groups, "groups") < 0)
        return NULL;
    mx_array *a, *b, *out = NULL;
    if (!two_arrays(slots, &a, &b)) return NULL;
    int rc = op->fn.conv_transpose1d(&out, a, b, st, pad, dil, opad, groups, s);
    return finish(rc, a, b, out);
}

PyObject *mxk_call_conv_transpose_nd(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int nd = spatial_rank(op), st[3], pad[3], dil[3], opad[3], groups;
    if (per_axis(slots[2], st, nd, "stride") < 0 || per_axis(slots[3], pad, nd, "padding") < 0 ||
        per_axis(slots[4], dil, nd, "dilation") < 0 ||
        per_axis(slots[5], opad, nd, "output_padding") < 0 ||
        mxp_to_int(slots[6], &groups, "groups") < 0)
        return NULL;
    mx_array *a, *b, *out = NULL;
    if (!two_arrays(slots, &a, &b)) return NULL;
    int rc = op->fn.conv_transpose_nd(&out, a, b, st, pad, dil, opad, groups, s);
    return finish(rc, a, b, out);
}

/* An int or a sequence of ints (any length; the C op checks it). */
static int int_or_seq(PyObject *o, int *v, const char *what) {
    if (!mxp_is_intlike(o) && !PyTuple_Check(o) && !PyList_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int or a sequence of ints, got %s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    return mxp_to_axes(o, v, what);
}

/* padding: an int, a sequence of ints (both sides), or a pair of sequences
 * (low sides, high sides). *hi_given false: hi is lo. */
static int conv_padding(PyObject *o, int *lo, int *hi, bool *hi_given) {
    *hi_given = false;
    if ((PyTuple_Check(o) || PyList_Check(o)) && PySequence_Size(o) == 2) {
        PyObject *first = PySequence_GetItem(o, 0);
        if (!first) return -1;
        bool pair = PyTuple_Check(first) || PyList_Check(first);
        Py_DECREF(first);
        if (pair) {
            PyObject *l = PySequence_GetItem(o, 0), *h = PySequence_GetItem(o, 1);
            int nl = -1, nh = -1;
            if (l && h && (nl = int_or_seq(l, lo, "padding")) >= 0)
                nh = int_or_seq(h, hi, "padding");
            Py_XDECREF(l);
            Py_XDECREF(h);
            if (nl < 0 || nh < 0) return -1;
            if (nl != nh) {
                PyErr_SetString(PyExc_ValueError,
                                "[conv] padding low and high sides must have the same length");
                return -1;
            }
            *hi_given = true;
            return nl;
        }
    }
    return int_or_seq(o, lo, "padding");
}

/* (input, weight, stride, padding, kernel_dilation, input_dilation, groups, flip) */
PyObject *mxk_call_conv_general(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int st[MXP_MAX_NDIM], lo[MXP_MAX_NDIM], hi[MXP_MAX_NDIM], kd[MXP_MAX_NDIM], id[MXP_MAX_NDIM];
    int groups, nst, npad, nkd, nid;
    bool hi_given, flip;
    if ((nst = int_or_seq(slots[2], st, "stride")) < 0 ||
        (npad = conv_padding(slots[3], lo, hi, &hi_given)) < 0 ||
        (nkd = int_or_seq(slots[4], kd, "kernel_dilation")) < 0 ||
        (nid = int_or_seq(slots[5], id, "input_dilation")) < 0 ||
        mxp_to_int(slots[6], &groups, "groups") < 0 || mxp_to_bool(slots[7], &flip) < 0)
        return NULL;
    mx_array *a, *b, *out = NULL;
    if (!two_arrays(slots, &a, &b)) return NULL;
    int rc = op->fn.conv_general(&out, a, b, st, nst, lo, hi_given ? hi : NULL, npad, kd, nkd, id,
                                 nid, groups, flip, s);
    return finish(rc, a, b, out);
}

static int opt_int(PyObject *o, int *v, const char *what) {
    *v = 0;
    return o == Py_None ? 0 : mxp_to_int(o, v, what);
}

static int opt_arr(PyObject *o, mx_array **a) {
    *a = NULL;
    if (o == Py_None) return 0;
    *a = mxk_arr(o);
    return *a ? 0 : -1;
}

/* group_size, bits, mode from three slots; the global scales (the next
 * two, None or arrays) into g[0], g[1]. */
static int qq_params(PyObject *const *slots, int *gs, int *bits, const char **mode, mx_array **g) {
    g[0] = g[1] = NULL;
    if (opt_int(slots[0], gs, "group_size") < 0 || opt_int(slots[1], bits, "bits") < 0) return -1;
    if (!(*mode = mxk_to_str(slots[2], "mode"))) return -1;
    if (opt_arr(slots[3], &g[0]) < 0 || opt_arr(slots[4], &g[1]) < 0) {
        mx_array_free(g[0]);
        g[0] = NULL;
        return -1;
    }
    return 0;
}

/* (x, w, scales, group_size, bits, mode, global_scale_x, global_scale_w) */
PyObject *mxk_call_qqmm(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int gs, bits;
    const char *mode;
    mx_array *g[2];
    (void)op;
    if (qq_params(slots + 3, &gs, &bits, &mode, g) < 0) return NULL;
    mx_array *v[3] = {NULL, NULL, NULL}, *out = NULL;
    int rc = -1;
    if ((v[0] = mxk_arr(slots[0])) && (v[1] = mxk_arr(slots[1])) && opt_arr(slots[2], &v[2]) == 0)
        rc = mx_qqmm_scaled(&out, v[0], v[1], v[2], gs, bits, mode, g[0], g[1], s);
    for (int i = 0; i < 3; i++) mx_array_free(v[i]);
    mx_array_free(g[0]), mx_array_free(g[1]);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

/* (x, w, scales, lhs_indices, rhs_indices, group_size, bits, mode,
 *  global_scale_x, global_scale_w, sorted_indices) */
PyObject *mxk_call_gather_qqmm(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int gs, bits;
    const char *mode;
    bool sorted;
    mx_array *g[2];
    (void)op;
    if (mxp_to_bool(slots[10], &sorted) < 0 || qq_params(slots + 5, &gs, &bits, &mode, g) < 0)
        return NULL;
    mx_array *v[5] = {NULL, NULL, NULL, NULL, NULL}, *out = NULL;
    int rc = -1;
    if ((v[0] = mxk_arr(slots[0])) && (v[1] = mxk_arr(slots[1])) && opt_arr(slots[2], &v[2]) == 0 &&
        opt_arr(slots[3], &v[3]) == 0 && opt_arr(slots[4], &v[4]) == 0)
        rc = mx_gather_qqmm_scaled(&out, v[0], v[1], v[2], v[3], v[4], gs, bits, mode, g[0], g[1],
                                   sorted, s);
    for (int i = 0; i < 5; i++) mx_array_free(v[i]);
    mx_array_free(g[0]), mx_array_free(g[1]);
    return rc < 0 ? NULL : mxk_result(rc, out);
}
