/*
 * Signature kinds of mlx.core.fft: the one-axis transforms (n=None is the
 * axis length), the n-D and 2-D transforms (s and axes None, the 2-D forms
 * defaulting to axes [-2, -1]) and the frequency helpers. See kinds.c for the
 * scheme.
 */
#include "cmlx_py.h"
#include "kinds.h"

#include <string.h>

/* The row's name without its submodule: "fft.rfft2" -> "rfft2". */
static const char *short_name(const mxp_op *op) {
    const char *dot = strchr(op->name, '.');
    return dot ? dot + 1 : op->name;
}

static int to_norm(const mxp_op *op, PyObject *o, mx_fft_norm *norm) {
    const char *str = mxk_to_str(o, "norm");
    if (!str) return -1;
    int rc = mx_fft_norm_parse(norm, str, short_name(op));
    return rc ? mxp_raise_int(rc) : 0;
}

PyObject *mxk_call_fft(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int n = MX_FFT_N_DEFAULT, axis;
    mx_fft_norm norm;
    if ((slots[1] != Py_None && mxp_to_int(slots[1], &n, "n") < 0) ||
        mxp_to_int(slots[2], &axis, "axis") < 0 || to_norm(op, slots[3], &norm) < 0)
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.fft(&out, a, (int32_t)n, axis, norm, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

/* s and axes are sequences of ints (MLX takes no bare int) or None. */
static int int_seq(PyObject *o, int *vals, const char *what) {
    if (mxp_is_intlike(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a sequence of ints or None, got %s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    return mxp_to_axes(o, vals, what);
}

PyObject *mxk_call_fftn(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int sizes[MXP_MAX_NDIM], axes[MXP_MAX_NDIM], ns = 0, na = 0;
    int32_t sizes32[MXP_MAX_NDIM];
    mx_fft_norm norm;
    bool has_s = slots[1] != Py_None, has_axes = slots[2] != Py_None;
    if ((has_s && (ns = int_seq(slots[1], sizes, "s")) < 0) ||
        (has_axes && (na = int_seq(slots[2], axes, "axes")) < 0) ||
        to_norm(op, slots[3], &norm) < 0)
        return NULL;
    for (int i = 0; i < ns; i++) sizes32[i] = sizes[i];
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.fftn(&out, a, has_s ? sizes32 : NULL, ns, has_axes ? axes : NULL, na, norm, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

PyObject *mxk_call_int_double(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int n;
    double d;
    if (mxp_to_int(slots[0], &n, "n") < 0 || mxk_to_double(slots[1], &d, "d") < 0) return NULL;
    mx_array *out = NULL;
    int rc = op->fn.int_double(&out, n, d, s);
    return mxk_result(rc, out);
}
