/*
 * Callers of the mx.fast rows. Their arguments take shapes no generic kind
 * has: arrays that may be None (weight, bias, freqs, sinks), an offset that
 * is an int or an array (two C functions), a mask that is None, a mode
 * string or an array.
 */
#include "cmlx_py.h"
#include "kinds.h"

#include <string.h>

/* o as an array, or NULL in *out for None. 0 or -1. */
static int opt_arr(PyObject *o, mx_array **out) {
    *out = NULL;
    if (o == Py_None) return 0;
    *out = mxp_to_array(o, MX_DTYPE_NONE);
    return *out ? 0 : -1;
}

static int to_float(PyObject *o, float *v, const char *what) {
    double d;
    if (mxk_to_double(o, &d, what) < 0) return -1;
    *v = (float)d;
    return 0;
}

PyObject *mxp_op_fast_rms_norm(PyObject *const *slots, const mx_stream *s) {
    float eps;
    if (to_float(slots[2], &eps, "eps") < 0) return NULL;
    mx_array *x = mxp_to_array(slots[0], MX_DTYPE_NONE), *w = NULL, *out = NULL;
    if (!x || opt_arr(slots[1], &w) < 0) {
        mx_array_free(x);
        return NULL;
    }
    int rc = mx_fast_rms_norm(&out, x, w, eps, s);
    mx_array_free(x);
    mx_array_free(w);
    return mxk_result(rc, out);
}

PyObject *mxp_op_fast_layer_norm(PyObject *const *slots, const mx_stream *s) {
    float eps;
    if (to_float(slots[3], &eps, "eps") < 0) return NULL;
    mx_array *x = mxp_to_array(slots[0], MX_DTYPE_NONE), *w = NULL, *b = NULL, *out = NULL;
    int rc = MX_OK;
    PyObject *r = NULL;
    if (!x || opt_arr(slots[1], &w) < 0 || opt_arr(slots[2], &b) < 0) goto done;
    rc = mx_fast_layer_norm(&out, x, w, b, eps, s);
    r = mxk_result(rc, out);
done:
    mx_array_free(x);
    mx_array_free(w);
    mx_array_free(b);
    return r;
}

/* rope(a, dims, *, traditional, base, scale, offset, freqs=None) */
PyObject *mxp_op_fast_rope(PyObject *const *slots, const mx_stream *s) {
    int dims;
    bool trad;
    float base = 0, scale;
    bool has_base = slots[3] != Py_None;
    if (mxp_to_int(slots[1], &dims, "dims") < 0 || mxp_to_bool(slots[2], &trad) < 0 ||
        (has_base && to_float(slots[3], &base, "base") < 0) ||
        to_float(slots[4], &scale, "scale") < 0)
        return NULL;
    if (!has_base && slots[6] == Py_None) {
        PyErr_SetString(PyExc_ValueError, "[rope] Neither base nor freqs has a value.");
        return NULL;
    }
    if (has_base && slots[6] != Py_None) {
        PyErr_SetString(PyExc_ValueError, "[rope] Only one of base or freqs can have a value.");
        return NULL;
    }
    mx_array *x = mxp_to_array(slots[0], MX_DTYPE_NONE), *freqs = NULL, *off = NULL, *out = NULL;
    PyObject *r = NULL;
    if (!x || opt_arr(slots[6], &freqs) < 0) goto done;
    const float *pbase = has_base ? &base : NULL;
    int rc;
    if (PyFloat_Check(slots[5])) { /* MLX makes it an array and refuses its dtype */
        PyErr_SetString(PyExc_ValueError, "[rope] offset must be an integer but got type float32.");
        goto done;
    }
    if (!mxp_is_array_like(slots[5])) {
        int offset;
        if (mxp_to_int(slots[5], &offset, "offset") < 0) goto done;
        rc = mx_fast_rope(&out, x, dims, trad, pbase, scale, offset, freqs, s);
    } else {
        if (!(off = mxp_to_array(slots[5], MX_DTYPE_NONE))) goto done;
        rc = mx_fast_rope_dynamic(&out, x, dims, trad, pbase, scale, off, freqs, s);
    }
    r = mxk_result(rc, out);
done:
    mx_array_free(x);
    mx_array_free(freqs);
    mx_array_free(off);
    return r;
}

/* scaled_dot_product_attention(q, k, v, *, scale, mask=None, sinks=None,
 * force_fused=False): the CPU kernel is always the fused one, so
 * force_fused asks for nothing more. */
PyObject *mxp_op_fast_sdpa(PyObject *const *slots, const mx_stream *s) {
    float scale;
    bool force_fused;
    if (to_float(slots[3], &scale, "scale") < 0 || mxp_to_bool(slots[6], &force_fused) < 0)
        return NULL;
    (void)force_fused;
    PyObject *mask_o = slots[4];
    const char *mode = NULL;
    if (PyUnicode_Check(mask_o)) {
        if (!(mode = PyUnicode_AsUTF8(mask_o))) return NULL;
        if (strcmp(mode, "causal") != 0) {
            PyErr_Format(PyExc_ValueError,
                         "[scaled_dot_product_attention] invalid mask option '%s'. Must be "
                         "'causal', or an array.",
                         mode);
            return NULL;
        }
    } else if (mask_o != Py_None && !mxp_is_array_like(mask_o)) {
        PyErr_Format(PyExc_TypeError,
                     "scaled_dot_product_attention(): mask must be None, a str or an array, not %s",
                     Py_TYPE(mask_o)->tp_name);
        return NULL;
    }
    mx_array *q = NULL, *k = NULL, *v = NULL, *mask = NULL, *sinks = NULL, *out = NULL;
    PyObject *r = NULL;
    if (!(q = mxp_to_array(slots[0], MX_DTYPE_NONE)) ||
        !(k = mxp_to_array(slots[1], MX_DTYPE_NONE)) ||
        !(v = mxp_to_array(slots[2], MX_DTYPE_NONE)) || opt_arr(slots[5], &sinks) < 0)
        goto done;
    if (!mode && mask_o != Py_None) {
        if (!(mask = mxp_to_array(mask_o, MX_DTYPE_NONE))) goto done;
        mode = "array";
    }
    int rc = mx_fast_scaled_dot_product_attention(&out, q, k, v, scale, mode, mask, sinks, s);
    r = mxk_result(rc, out);
done:
    mx_array_free(q);
    mx_array_free(k);
    mx_array_free(v);
    mx_array_free(mask);
    mx_array_free(sinks);
    return r;
}
