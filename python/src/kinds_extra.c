/*
 * Hand-written callers (CUSTOM rows of the op table) for unique, minmax,
 * fft.stft / fft.istft and fast.cross_entropy / fast.gated_delta_update:
 * optional arrays, optional ints and results that are tuples.
 */
#include "cmlx_py.h"
#include "kinds.h"

#include <limits.h>

/* None -> *out NULL; else an array. 0 or -1 with an exception set. */
static int opt_array(PyObject *o, mx_array **out) {
    *out = NULL;
    if (o == Py_None) return 0;
    *out = mxk_arr(o);
    return *out ? 0 : -1;
}

/* None -> MX_FFT_N_DEFAULT; else an int. */
static int opt_int(PyObject *o, int32_t *v, const char *what) {
    int i;
    if (o == Py_None) {
        *v = MX_FFT_N_DEFAULT;
        return 0;
    }
    if (mxp_to_int(o, &i, what) < 0) return -1;
    *v = i;
    return 0;
}

/* None -> -1 (the default); else a bool. */
static int opt_bool(PyObject *o, int *v) {
    bool b;
    if (o == Py_None) {
        *v = -1;
        return 0;
    }
    if (mxp_to_bool(o, &b) < 0) return -1;
    *v = b;
    return 0;
}

static int to_norm(PyObject *o, mx_fft_norm *norm, const char *op) {
    const char *str = mxk_to_str(o, "norm");
    if (!str) return -1;
    int rc = mx_fft_norm_parse(norm, str, op);
    return rc ? mxp_raise_int(rc) : 0;
}

static PyObject *tuple_of(mx_array **outs, int n) {
    mxp_op tuple_row = {.flags = MXP_RETURN_TUPLE};
    return mxk_results(&tuple_row, outs, n);
}

/* A Python int fill value must fit an integer dtype (MLX's message). */
static int check_int_fits(PyObject *o, mx_dtype t) {
    if (!PyLong_Check(o) || PyBool_Check(o) || !mx_dtype_is_integer(t)) return 0;
    int sz = mx_dtype_size(t), over = 0;
    bool sgn = mx_dtype_is_signed(t);
    long long v = PyLong_AsLongLongAndOverflow(o, &over);
    if (v == -1 && PyErr_Occurred()) return -1;
    bool ok;
    if (over > 0) {
        unsigned long long u = PyLong_AsUnsignedLongLong(o);
        if (u == (unsigned long long)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            ok = false;
        } else {
            ok = !sgn && sz == 8;
        }
    } else if (over < 0) {
        ok = false;
    } else if (sgn) {
        long long lim = sz == 8 ? LLONG_MAX : (1LL << (8 * sz - 1)) - 1;
        ok = v <= lim && v >= -lim - 1;
    } else {
        ok = v >= 0 && (sz == 8 || v < (1LL << (8 * sz)));
    }
    if (ok) return 0;
    PyObject *r = PyObject_Repr(o);
    PyErr_Format(PyExc_ValueError, "Converting %s to %s would result in overflow.",
                 r ? PyUnicode_AsUTF8(r) : "value", mx_dtype_name(t));
    Py_XDECREF(r);
    return -1;
}

/* unique(a, /, size, return_index, return_inverse, return_counts, fill_value) */
PyObject *mxp_op_unique(PyObject *const *slots, const mx_stream *s) {
    int size;
    bool want[3];
    if (mxp_to_int(slots[1], &size, "size") < 0 || mxp_to_bool(slots[2], &want[0]) < 0 ||
        mxp_to_bool(slots[3], &want[1]) < 0 || mxp_to_bool(slots[4], &want[2]) < 0)
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *fill = NULL;
    if (!a) return NULL;
    if (slots[5] != Py_None) {
        /* A Python scalar is converted to a's dtype (overflow raises). */
        bool arr = mxp_is_array_like(slots[5]);
        fill = arr ? mxk_arr(slots[5])
               : check_int_fits(slots[5], mx_array_dtype(a)) < 0
                   ? NULL
                   : mxp_to_array(slots[5], mx_array_dtype(a));
        if (!fill) {
            mx_array_free(a);
            return NULL;
        }
    }
    mx_array *outs[4] = {NULL, NULL, NULL, NULL};
    int rc = mx_unique(&outs[0], want[0] ? &outs[1] : NULL, want[1] ? &outs[2] : NULL,
                       want[2] ? &outs[3] : NULL, a, size, fill, s);
    mx_array_free(a);
    mx_array_free(fill);
    if (rc) return mxp_raise(rc);
    if (!want[0] && !want[1] && !want[2]) return mxp_array_wrap(outs[0]);
    int n = 0;
    for (int i = 0; i < 4; i++)
        if (outs[i]) outs[n++] = outs[i];
    return tuple_of(outs, n);
}

/* minmax(a, /, axis=None, keepdims=False) -> (min, max) */
PyObject *mxp_op_minmax(PyObject *const *slots, const mx_stream *s) {
    bool keepdims;
    int axes[MXP_MAX_NDIM], n = 0;
    if (mxp_to_bool(slots[2], &keepdims) < 0) return NULL;
    if (slots[1] != Py_None && (n = mxp_to_axes(slots[1], axes, "axis")) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]);
    if (!a) return NULL;
    mx_array *outs[2] = {NULL, NULL};
    int rc = mx_minmax(&outs[0], &outs[1], a, slots[1] == Py_None ? NULL : axes, n, keepdims, s);
    mx_array_free(a);
    return rc ? mxp_raise(rc) : tuple_of(outs, 2);
}

/* stft(x, n_fft, hop_length, win_length, window, center, pad_mode, norm, onesided) */
PyObject *mxp_op_fft_stft(PyObject *const *slots, const mx_stream *s) {
    int n_fft, onesided;
    int32_t hop, win;
    bool center;
    mx_fft_norm norm;
    const char *mode;
    if (mxp_to_int(slots[1], &n_fft, "n_fft") < 0 || opt_int(slots[2], &hop, "hop_length") < 0 ||
        opt_int(slots[3], &win, "win_length") < 0 || mxp_to_bool(slots[5], &center) < 0 ||
        !(mode = mxk_to_str(slots[6], "pad_mode")) || to_norm(slots[7], &norm, "stft") < 0 ||
        opt_bool(slots[8], &onesided) < 0)
        return NULL;
    mx_array *x = mxk_arr(slots[0]), *w = NULL, *out = NULL;
    if (!x) return NULL;
    if (opt_array(slots[4], &w) < 0) {
        mx_array_free(x);
        return NULL;
    }
    int rc = mx_fft_stft(&out, x, n_fft, hop, win, w, center, mode, norm, onesided, s);
    mx_array_free(x);
    mx_array_free(w);
    return mxk_result(rc, out);
}

/* istft(stft_matrix, n_fft, hop_length, win_length, window, center, norm, onesided, length) */
PyObject *mxp_op_fft_istft(PyObject *const *slots, const mx_stream *s) {
    int32_t n_fft, hop, win, length;
    int onesided;
    bool center;
    mx_fft_norm norm;
    if (opt_int(slots[1], &n_fft, "n_fft") < 0 || opt_int(slots[2], &hop, "hop_length") < 0 ||
        opt_int(slots[3], &win, "win_length") < 0 || mxp_to_bool(slots[5], &center) < 0 ||
        to_norm(slots[6], &norm, "istft") < 0 || opt_bool(slots[7], &onesided) < 0 ||
        opt_int(slots[8], &length, "length") < 0)
        return NULL;
    mx_array *x = mxk_arr(slots[0]), *w = NULL, *out = NULL;
    if (!x) return NULL;
    if (opt_array(slots[4], &w) < 0) {
        mx_array_free(x);
        return NULL;
    }
    int rc = mx_fft_istft(&out, x, n_fft, hop, win, w, center, norm, onesided, length, s);
    mx_array_free(x);
    mx_array_free(w);
    return mxk_result(rc, out);
}

/* cross_entropy(logits, targets) */
PyObject *mxp_op_fast_cross_entropy(PyObject *const *slots, const mx_stream *s) {
    mx_array *l = mxk_arr(slots[0]), *t = NULL, *out = NULL;
    if (!l) return NULL;
    if (!(t = mxk_arr(slots[1]))) {
        mx_array_free(l);
        return NULL;
    }
    int rc = mx_fast_cross_entropy(&out, l, t, s);
    mx_array_free(l);
    mx_array_free(t);
    return mxk_result(rc, out);
}

/* gated_delta_update(q, k, v, gamma, beta, initial_state=None, mask=None) -> [y, state] */
PyObject *mxp_op_fast_gated_delta_update(PyObject *const *slots, const mx_stream *s) {
    mx_array *in[7] = {NULL};
    PyObject *r = NULL;
    for (int i = 0; i < 7; i++) {
        if (i < 5 ? !(in[i] = mxk_arr(slots[i])) : opt_array(slots[i], &in[i]) < 0) goto done;
    }
    mx_array *outs[2] = {NULL, NULL};
    int rc = mx_fast_gated_delta_update(&outs[0], &outs[1], in[0], in[1], in[2], in[3], in[4],
                                        in[5], in[6], s);
    r = rc ? mxp_raise(rc) : mxk_results(NULL, outs, 2);
done:
    for (int i = 0; i < 7; i++) mx_array_free(in[i]);
    return r;
}
