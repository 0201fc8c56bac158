/*
 * Signature kinds whose arguments need parsing beyond ints and dtypes: roll's
 * shifts and axes, pad widths, strides, dynamic slices, clip bounds that may
 * be None, tolerances, the index functions and the random samplers' keys and
 * shapes. See kinds.c for the scheme.
 */
#include "cmlx_py.h"
#include "kinds.h"

#include <string.h>

/* ---- shape ops with structured arguments ---- */

PyObject *mxk_call_roll(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int32_t shifts[MXP_MAX_NDIM];
    int axes[MXP_MAX_NDIM], ns, na = 0;
    bool shift_int = mxp_is_intlike(slots[1]);
    if ((ns = mxp_to_shape(slots[1], shifts, "shift")) < 0) return NULL;
    if (slots[2] != Py_None && (na = mxp_to_axes(slots[2], axes, "axis")) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc;
    if (slots[2] == Py_None && shift_int)
        rc = op->fn.roll.flat(&out, a, shifts[0], s);
    else if (shift_int && na > 0) { /* one shift for every axis */
        for (int i = 1; i < na; i++) shifts[i] = shifts[0];
        rc = op->fn.roll.axes(&out, a, shifts, na, axes, na, s);
    } else if (!shift_int && mxp_is_intlike(slots[2])) {
        /* every shift along the one axis, as NumPy broadcasts them */
        for (int i = 1; i < ns; i++) axes[i] = axes[0];
        rc = op->fn.roll.axes(&out, a, shifts, ns, axes, ns, s);
    } else
        rc = op->fn.roll.axes(&out, a, shifts, ns, slots[2] == Py_None ? NULL : axes, na, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

/* pad_width as MLX takes it: an int, (int,), (low, high), [(low, high)] for
 * every axis, or one (low, high) pair per axis. */
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
        int32_t pair[MXP_MAX_NDIM];                   /* mxp_to_shape may write that many */
        int k = mxp_to_shape(seq, pair, "pad_width"); /* (w,) or (low, high) */
        if (k < 0)
            rc = -1;
        else if (k < 1 || k > 2) { /* not a form MLX's signature takes */
            PyErr_SetString(PyExc_TypeError, "pad: pad_width must have one or two entries");
            rc = -1;
        } else
            for (int i = 0; i < ndim; i++) low[i] = pair[0], high[i] = pair[k - 1];
    } else if (n == 1 && ndim != 1) { /* one (low, high) pair for every axis */
        int32_t pair[MXP_MAX_NDIM];
        int k = mxp_to_shape(PySequence_Fast_GET_ITEM(seq, 0), pair, "pad_width");
        if (k < 0)
            rc = -1;
        else if (k != 2) {
            PyErr_SetString(PyExc_TypeError, "pad: pad_width pairs must have two entries");
            rc = -1;
        } else
            for (int i = 0; i < ndim; i++) low[i] = pair[0], high[i] = pair[1];
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

PyObject *mxk_call_pad(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    const char *mode = mxk_to_str(slots[2], "mode");
    if (!mode) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
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
    return mxk_result(rc, out);
}

/* A sequence of at most MXP_MAX_NDIM int64 values (as_strided's strides).
 * The count, or -1 with an exception set. */
static int int64_list(PyObject *o, int64_t *vals, const char *what) {
    PyObject *seq = PySequence_Check(o) && !PyUnicode_Check(o) ? PySequence_Fast(o, "") : NULL;
    if (!seq) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be a sequence of ints, got %s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int rc = (int)n;
    if (n > MXP_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "%s has more than %d entries", what, MXP_MAX_NDIM);
        rc = -1;
    }
    for (Py_ssize_t i = 0; rc >= 0 && i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *v = mxp_is_intlike(item) ? PyNumber_Index(item) : NULL;
        if (!v) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "%s: expected integers, got %s", what,
                             Py_TYPE(item)->tp_name);
            rc = -1;
            break;
        }
        vals[i] = PyLong_AsLongLong(v);
        Py_DECREF(v);
        if (vals[i] == -1 && PyErr_Occurred()) rc = -1;
    }
    Py_DECREF(seq);
    return rc;
}

PyObject *mxk_call_as_strided(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    long long off;
    PyObject *i = PyNumber_Index(slots[3]);
    if (!i) return NULL;
    off = PyLong_AsLongLong(i);
    Py_DECREF(i);
    if (off == -1 && PyErr_Occurred()) return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
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
        if ((ns = int64_list(slots[2], strides, "strides")) < 0) goto done;
        if (ns != nd) {
            PyErr_SetString(PyExc_ValueError,
                            "[as_strided] shape and strides must have the same length");
            goto done;
        }
    }
    rc = op->fn.as_strided(&out, a, shape, nd, strides, (int64_t)off, s);
done:
    mx_array_free(a);
    if (rc < 0) return NULL;
    return mxk_result(rc, out);
}

PyObject *mxk_call_slice_dynamic(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axes[MXP_MAX_NDIM], na;
    int32_t size[MXP_MAX_NDIM];
    int nsize;
    if ((na = mxp_to_axes(slots[2], axes, "axes")) < 0 ||
        (nsize = mxp_to_shape(slots[3], size, "slice_size")) < 0)
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *start = a ? mxk_arr(slots[1]) : NULL, *out = NULL;
    int rc = start ? op->fn.slice_dynamic(&out, a, start, axes, na, size, nsize, s) : -1;
    mx_array_free(a);
    mx_array_free(start);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

PyObject *mxk_call_slice_update(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axes[MXP_MAX_NDIM], na;
    if ((na = mxp_to_axes(slots[3], axes, "axes")) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *u = a ? mxk_arr(slots[1]) : NULL,
             *start = u ? mxk_arr(slots[2]) : NULL;
    mx_array *out = NULL;
    int rc = start ? op->fn.slice_update(&out, a, u, start, axes, na, s) : -1;
    mx_array_free(a);
    mx_array_free(u);
    mx_array_free(start);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

/* ---- element-wise extras ---- */

PyObject *mxk_call_clip(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *a = mxk_arr(slots[0]), *lo = NULL, *hi = NULL, *out = NULL;
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
    return rc < 0 ? NULL : mxk_result(rc, out);
}

PyObject *mxk_call_nan_to_num(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    double nan, pinf, ninf;
    if (mxk_to_double(slots[1], &nan, "nan") < 0 ||
        (slots[2] != Py_None && mxk_to_double(slots[2], &pinf, "posinf") < 0) ||
        (slots[3] != Py_None && mxk_to_double(slots[3], &ninf, "neginf") < 0))
        return NULL;
    mx_array *a = mxk_arr(slots[0]), *out = NULL;
    if (!a) return NULL;
    int rc = op->fn.nan_to_num(&out, a, nan, slots[2] == Py_None ? NULL : &pinf,
                               slots[3] == Py_None ? NULL : &ninf, s);
    mx_array_free(a);
    return mxk_result(rc, out);
}

PyObject *mxk_call_binary_tol(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    double rtol, atol;
    bool eq;
    if (mxk_to_double(slots[2], &rtol, "rtol") < 0 || mxk_to_double(slots[3], &atol, "atol") < 0 ||
        mxp_to_bool(slots[4], &eq) < 0)
        return NULL;
    mx_array *a, *b, *out = NULL;
    if (mxp_to_arrays(slots[0], slots[1], &a, &b, NULL) < 0) return NULL;
    int rc = op->fn.binary_tol(&out, a, b, rtol, atol, eq, s);
    mx_array_free(a);
    mx_array_free(b);
    return mxk_result(rc, out);
}

PyObject *mxk_call_binary_bool(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    bool flag;
    if (mxp_to_bool(slots[2], &flag) < 0) return NULL;
    mx_array *a, *b, *out = NULL;
    if (mxp_to_arrays(slots[0], slots[1], &a, &b, NULL) < 0) return NULL;
    int rc = op->fn.binary_bool(&out, a, b, flag, s);
    mx_array_free(a);
    mx_array_free(b);
    return mxk_result(rc, out);
}

PyObject *mxk_call_binary_str(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    const char *str = mxk_to_str(slots[2], "side");
    if (!str) return NULL;
    mx_array *a = mxk_arr(slots[0]), *b = a ? mxk_arr(slots[1]) : NULL, *out = NULL;
    int rc = b ? op->fn.binary_str(&out, a, b, str, s) : -1;
    mx_array_free(a);
    mx_array_free(b);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

PyObject *mxk_call_ternary(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    mx_array *c = mxk_arr(slots[0]), *x, *y, *out = NULL;
    if (!c) return NULL;
    if (mxp_to_arrays(slots[1], slots[2], &x, &y, NULL) < 0) {
        mx_array_free(c);
        return NULL;
    }
    int rc = op->fn.ternary(&out, c, x, y, s);
    mx_array_free(c);
    mx_array_free(x);
    mx_array_free(y);
    return mxk_result(rc, out);
}

/* ---- index functions ---- */

PyObject *mxk_call_take(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0, index = 0;
    bool given, by_int = mxp_is_intlike(slots[1]) && !mxp_is_array(slots[1]);
    if (mxk_opt_axis(slots[2], &axis, &given) < 0) return NULL;
    if (by_int && mxp_to_int(slots[1], &index, "indices") < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *idx = NULL, *out = NULL;
    if (!a) return NULL;
    int rc = -1;
    if (by_int)
        rc = given ? op->fn.take.index_axis(&out, a, index, axis, s)
                   : op->fn.take.index(&out, a, index, s);
    else if ((idx = mxk_arr(slots[1])))
        rc = given ? op->fn.take.axis(&out, a, idx, axis, s) : op->fn.take.flat(&out, a, idx, s);
    mx_array_free(a);
    mx_array_free(idx);
    return rc < 0 ? NULL : mxk_result(rc, out);
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

PyObject *mxk_call_take_along(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given;
    if (mxk_opt_axis(slots[2], &axis, &given) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *idx = a ? mxk_arr(slots[1]) : NULL, *out = NULL;
    int rc = -1;
    if (idx && (given || (flatten_inplace(&a) == 0 && flatten_inplace(&idx) == 0)))
        rc = op->fn.take_along(&out, a, idx, axis, s);
    mx_array_free(a);
    mx_array_free(idx);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

PyObject *mxk_call_put_along(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int axis = 0;
    bool given;
    if (mxk_opt_axis(slots[3], &axis, &given) < 0) return NULL;
    mx_array *a = mxk_arr(slots[0]), *idx = a ? mxk_arr(slots[1]) : NULL, *out = NULL;
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
    return rc < 0 ? NULL : mxk_result(rc, out);
}

/* ---- random ---- */

static int opt_key(PyObject *o, mx_array **key) {
    *key = NULL;
    if (o == Py_None) return 0;
    *key = mxk_arr(o);
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

PyObject *mxk_call_shape_dtype_key(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = opt_shape(op, slots[0], shape);
    mx_dtype t;
    mx_array *key, *out = NULL;
    if (nd == -1 || mxk_opt_dtype(slots[1], &t) < 0 || opt_key(slots[2], &key) < 0) return NULL;
    int rc = op->fn.shape_dtype_key(&out, shape, nd < 0 ? -1 : nd,
                                    t == MX_DTYPE_NONE ? MX_FLOAT32 : t, key, s);
    mx_array_free(key);
    return mxk_result(rc, out);
}

PyObject *mxk_call_array2_shape_dtype_key(const mxp_op *op, PyObject *const *slots,
                                          const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = opt_shape(op, slots[2], shape);
    mx_dtype t;
    mx_array *key, *out = NULL;
    if (nd == -1 || mxk_opt_dtype(slots[3], &t) < 0) return NULL;
    if (t == MX_DTYPE_NONE) t = op->flags & MXP_DTYPE_NONE_INT32 ? MX_INT32 : MX_FLOAT32;
    mx_array *x = mxk_arr(slots[0]), *y = x ? mxk_arr(slots[1]) : NULL;
    int rc = -1;
    if (y && opt_key(slots[4], &key) == 0) {
        rc = op->fn.array2_shape_dtype_key(&out, x, y, shape, nd < 0 ? -1 : nd, t, key, s);
        mx_array_free(key);
    }
    mx_array_free(x);
    mx_array_free(y);
    return rc < 0 ? NULL : mxk_result(rc, out);
}
