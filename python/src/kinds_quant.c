/*
 * Signature kinds of the quantization ops (quantize, dequantize,
 * quantized_matmul, gather_qmm): group_size and bits None mean the mode's
 * defaults (0 to the C API), biases, index arrays and the "nvfp4"
 * global_scale may be None. See kinds.c for the scheme.
 */
#include "cmlx_py.h"
#include "kinds.h"

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

/* group_size, bits and mode from three slots. */
static int qparams(PyObject *const *slots, int *gs, int *bits, const char **mode) {
    if (opt_int(slots[0], gs, "group_size") < 0 || opt_int(slots[1], bits, "bits") < 0) return -1;
    *mode = mxk_to_str(slots[2], "mode");
    return *mode ? 0 : -1;
}

static void free_all(mx_array **v, int n) {
    for (int i = 0; i < n; i++) mx_array_free(v[i]);
}

/* [wq, scales, biases] for "affine", [wq, scales] for the other modes. */
PyObject *mxk_call_quantize(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int gs, bits;
    const char *mode;
    mx_array *g = NULL;
    (void)op;
    if (qparams(slots + 1, &gs, &bits, &mode) < 0 || opt_arr(slots[4], &g) < 0) return NULL;
    mx_array *w = mxk_arr(slots[0]), *outs[3] = {NULL, NULL, NULL};
    if (!w) {
        mx_array_free(g);
        return NULL;
    }
    int rc = mx_quantize_scaled(&outs[0], &outs[1], &outs[2], w, gs, bits, mode, g, s);
    mx_array_free(w), mx_array_free(g);
    if (rc) return mxp_raise(rc);
    return mxk_results(op, outs, outs[2] ? 3 : 2);
}

PyObject *mxk_call_dequantize(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int gs, bits;
    const char *mode;
    mx_dtype t;
    (void)op;
    if (qparams(slots + 3, &gs, &bits, &mode) < 0 || mxk_opt_dtype(slots[7], &t) < 0) return NULL;
    mx_array *v[4] = {NULL, NULL, NULL, NULL}, *out = NULL;
    int rc = -1;
    if ((v[0] = mxk_arr(slots[0])) && (v[1] = mxk_arr(slots[1])) && opt_arr(slots[2], &v[2]) == 0 &&
        opt_arr(slots[6], &v[3]) == 0)
        rc = mx_dequantize_scaled(&out, v[0], v[1], v[2], gs, bits, mode, v[3], t, s);
    free_all(v, 4);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

PyObject *mxk_call_quantized_matmul(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int gs, bits;
    const char *mode;
    bool transpose;
    if (mxp_to_bool(slots[4], &transpose) < 0 || qparams(slots + 5, &gs, &bits, &mode) < 0)
        return NULL;
    mx_array *v[4] = {NULL, NULL, NULL, NULL}, *out = NULL;
    int rc = -1;
    if ((v[0] = mxk_arr(slots[0])) && (v[1] = mxk_arr(slots[1])) && (v[2] = mxk_arr(slots[2])) &&
        opt_arr(slots[3], &v[3]) == 0)
        rc = op->fn.quantized_matmul(&out, v[0], v[1], v[2], v[3], transpose, gs, bits, mode, s);
    free_all(v, 4);
    return rc < 0 ? NULL : mxk_result(rc, out);
}

PyObject *mxk_call_gather_qmm(const mxp_op *op, PyObject *const *slots, const mx_stream *s) {
    int gs, bits;
    const char *mode;
    bool transpose, sorted;
    (void)op;
    if (mxp_to_bool(slots[6], &transpose) < 0 || qparams(slots + 7, &gs, &bits, &mode) < 0 ||
        mxp_to_bool(slots[11], &sorted) < 0)
        return NULL;
    mx_array *v[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL}, *out = NULL;
    int rc = -1;
    if ((v[0] = mxk_arr(slots[0])) && (v[1] = mxk_arr(slots[1])) && (v[2] = mxk_arr(slots[2])) &&
        opt_arr(slots[3], &v[3]) == 0 && opt_arr(slots[4], &v[4]) == 0 &&
        opt_arr(slots[5], &v[5]) == 0 && opt_arr(slots[10], &v[6]) == 0)
        rc = mx_gather_qmm_scaled(&out, v[0], v[1], v[2], v[3], v[4], v[5], transpose, gs, bits,
                                  mode, v[6], sorted, s);
    free_all(v, 7);
    return rc < 0 ? NULL : mxk_result(rc, out);
}
