/* The Walsh-Hadamard transform (its own primitive: one pass over the data). */
#include <math.h>

#include "nodes.h"
#include "ops_util.h"
#include "primitives/params_linalg.h"

/* n = m * 2^k with m in {1, 12, 20, 28}: the sizes with a known base matrix. */
static bool hadamard_size(int64_t n) {
    static const int bases[] = {1, 12, 20, 28};
    for (int i = 0; i < 4; i++) {
        if (n % bases[i]) continue;
        int64_t p = n / bases[i];
        if ((p & (p - 1)) == 0) return true;
    }
    return false;
}

static int hadamard_check(const mx_array *a) {
    if (a->size == 0)
        return mxi_error(MX_ERR_VALUE, "[hadamard_transform] does not support empty arrays");
    int64_t n = a->ndim ? a->shape[a->ndim - 1] : 1;
    if (!hadamard_size(n))
        return mxi_error(MX_ERR_VALUE,
                         "[hadamard_transform] the last axis has %lld elements; "
                         "only n = m * 2^k with m in (1, 12, 20, 28) is supported",
                         (long long)n);
    return MX_OK;
}

int mxi_hadamard(mx_array **out, const mx_array *x, float scale, bool transposed,
                 const mx_stream *s) {
    int rc = mxi_check_inputs("hadamard_transform", out, &x, 1);
    if (!rc) rc = hadamard_check(x);
    if (rc) return rc;
    if (!mx_issubdtype(x->dtype, MX_FLOATING))
        return mxi_error(MX_ERR_VALUE,
                         "[hadamard_transform] the transform takes a floating "
                         "array, got %s",
                         mx_dtype_name(x->dtype));
    mxi_hadamard_params p = {scale, transposed};
    mx_array *in = (mx_array *)x;
    return mxi_make(out, x->dtype, x->shape, x->ndim, MXI_PRIM_HADAMARD, &p, sizeof p, &in, 1, s);
}

int mx_hadamard_transform(mx_array **out, const mx_array *a, const float *scale,
                          const mx_stream *s) {
    int rc = mxi_check_inputs("hadamard_transform", out, &a, 1);
    if (!rc) rc = hadamard_check(a);
    if (rc) return rc;
    int64_t n = a->ndim ? a->shape[a->ndim - 1] : 1;
    /* Floating inputs keep their dtype; the rest compute in float32 (complex
     * inputs lose their imaginary part, as in MLX). */
    mx_dtype dtype = mx_issubdtype(a->dtype, MX_FLOATING) ? a->dtype : MX_FLOAT32;
    mx_array *x = NULL;
    rc = mxi_astype_if(&x, a, dtype, s);
    if (!rc) rc = mxi_hadamard(out, x, scale ? *scale : (float)(1.0 / sqrt((double)n)), false, s);
    mx_array_free(x);
    return rc;
}
