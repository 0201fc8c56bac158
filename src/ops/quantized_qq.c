/*
 * qqmm and gather_qqmm: products where x is quantized on the fly and w is
 * quantized (or quantized on the fly), in the microscaling modes "nvfp4"
 * and "mxfp8". Built from quantize, dequantize and matmul, so the result is
 * exactly the product of the two quantized operands (rounded as matmul
 * rounds); MLX 0.32's CPU backend has no kernel for this and fails.
 */
#include <string.h>

#include "ops_util.h"

static int check_mode(const char *op, const char *mode) {
    if (mode && strcmp(mode, "nvfp4") && strcmp(mode, "mxfp8"))
        return mxi_error(MX_ERR_VALUE,
                         "[%s] only the modes \"nvfp4\" and \"mxfp8\" are "
                         "supported, got \"%s\"",
                         op, mode);
    return MX_OK;
}

/* dequantize(quantize(a)) in dtype: a as the quantized product sees it
 * (gs: the "nvfp4" global scale or NULL). */
static int round_trip(mx_array **out, const mx_array *a, int group_size, int bits, const char *mode,
                      const mx_array *gs, mx_dtype dtype, const mx_stream *s) {
    mx_array *q = NULL, *sc = NULL, *b = NULL, *d = NULL;
    int rc = mx_quantize_scaled(&q, &sc, &b, a, group_size, bits, mode, gs, s);
    if (!rc) rc = mx_dequantize_scaled(&d, q, sc, NULL, group_size, bits, mode, gs, dtype, s);
    if (!rc) rc = mx_astype(out, d, dtype, s);
    mx_array_free(q), mx_array_free(sc), mx_array_free(b), mx_array_free(d);
    return rc;
}

/* x quantized and w (quantized with scales, or quantized here), both as
 * the values they stand for; w transposed to (..., K, N). */
static int operands(mx_array **xd, mx_array **wt, const char *op, const mx_array *x,
                    const mx_array *w, const mx_array *scales, int group_size, int bits,
                    const char *mode, const mx_array *gsx, const mx_array *gsw,
                    const mx_stream *s) {
    const char *m = mode ? mode : "nvfp4";
    int rc = check_mode(op, m);
    if (rc) return rc;
    if (!mx_issubdtype(x->dtype, MX_FLOATING) || x->dtype == MX_FLOAT64)
        return mxi_error(MX_ERR_VALUE, "[%s] x must be float32, float16 or bfloat16, got %s", op,
                         mx_dtype_name(x->dtype));
    bool packed = w->dtype == MX_UINT32;
    if (packed != (scales != NULL))
        return mxi_error(MX_ERR_VALUE,
                         packed ? "[%s] a quantized w needs its scales"
                                : "[%s] scales are given but w is not quantized "
                                  "(uint32)",
                         op);
    mx_array *wd = NULL, *wc = NULL;
    rc = round_trip(xd, x, group_size, bits, m, gsx, x->dtype, s);
    if (!rc && packed) {
        rc = mx_dequantize_scaled(&wc, w, scales, NULL, group_size, bits, m, gsw, x->dtype, s);
        if (!rc) rc = mx_astype(&wd, wc, x->dtype, s);
    } else if (!rc) {
        rc = round_trip(&wd, w, group_size, bits, m, gsw, x->dtype, s);
    }
    if (!rc && wd->ndim < 2)
        rc = mxi_error(MX_ERR_VALUE, "[%s] w must have at least two dimensions", op);
    if (!rc) rc = mx_swapaxes(wt, wd, -1, -2, s);
    mx_array_free(wd), mx_array_free(wc);
    if (rc) {
        mx_array_free(*xd);
        *xd = NULL;
    }
    return rc;
}

int mx_qqmm(mx_array **out, const mx_array *x, const mx_array *w, const mx_array *scales,
            int group_size, int bits, const char *mode, const mx_stream *s) {
    return mx_qqmm_scaled(out, x, w, scales, group_size, bits, mode, NULL, NULL, s);
}

int mx_qqmm_scaled(mx_array **out, const mx_array *x, const mx_array *w, const mx_array *scales,
                   int group_size, int bits, const char *mode, const mx_array *global_scale_x,
                   const mx_array *global_scale_w, const mx_stream *s) {
    const mx_array *ins[2] = {x, w};
    int rc = mxi_check_inputs("qqmm", out, ins, 2);
    if (rc) return rc;
    mx_array *xd = NULL, *wt = NULL;
    rc = operands(&xd, &wt, "qqmm", x, w, scales, group_size, bits, mode, global_scale_x,
                  global_scale_w, s);
    if (!rc) rc = mx_matmul(out, xd, wt, s);
    mx_array_free(xd), mx_array_free(wt);
    return rc;
}

int mx_gather_qqmm(mx_array **out, const mx_array *x, const mx_array *w, const mx_array *scales,
                   const mx_array *lhs_indices, const mx_array *rhs_indices, int group_size,
                   int bits, const char *mode, bool sorted_indices, const mx_stream *s) {
    return mx_gather_qqmm_scaled(out, x, w, scales, lhs_indices, rhs_indices, group_size, bits,
                                 mode, NULL, NULL, sorted_indices, s);
}

int mx_gather_qqmm_scaled(mx_array **out, const mx_array *x, const mx_array *w,
                          const mx_array *scales, const mx_array *lhs_indices,
                          const mx_array *rhs_indices, int group_size, int bits, const char *mode,
                          const mx_array *global_scale_x, const mx_array *global_scale_w,
                          bool sorted_indices, const mx_stream *s) {
    const mx_array *ins[2] = {x, w};
    int rc = mxi_check_inputs("gather_qqmm", out, ins, 2);
    if (rc) return rc;
    mx_array *xd = NULL, *wt = NULL;
    rc = operands(&xd, &wt, "gather_qqmm", x, w, scales, group_size, bits, mode, global_scale_x,
                  global_scale_w, s);
    if (!rc) rc = mx_gather_mm(out, xd, wt, lhs_indices, rhs_indices, sorted_indices, s);
    mx_array_free(xd), mx_array_free(wt);
    return rc;
}
