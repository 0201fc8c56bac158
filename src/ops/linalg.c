/* Matrix products. */
#include "ops_util.h"

int mx_matmul(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("matmul", out, ins, 2);
    if (rc) return rc;
    if (a->ndim == 0 || b->ndim == 0)
        return mxi_error(MX_ERR_VALUE, "[matmul] got a 0-d input; inputs must have at least one "
                                       "dimension");
    if (a->ndim > MXI_MAX_NDIM || b->ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[matmul] too many dimensions");
    mx_dtype dtype = mx_promote_types(a->dtype, b->dtype);
    if (!mx_dtype_is_inexact(dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[matmul] only inexact types are supported but %s and %s "
                         "were provided, which results in %s",
                         mx_dtype_name(a->dtype), mx_dtype_name(b->dtype), mx_dtype_name(dtype));
    /* Work on at-least-2-d views; 1-d operands get a unit axis that the
     * result drops again. */
    int32_t as[MXI_MAX_NDIM], bs[MXI_MAX_NDIM];
    int an = a->ndim, bn = b->ndim;
    if (an == 1) {
        as[0] = 1, as[1] = a->shape[0], an = 2;
    } else {
        for (int i = 0; i < an; i++) as[i] = a->shape[i];
    }
    if (bn == 1) {
        bs[0] = b->shape[0], bs[1] = 1, bn = 2;
    } else {
        for (int i = 0; i < bn; i++) bs[i] = b->shape[i];
    }
    if (as[an - 1] != bs[bn - 2]) {
        char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[matmul] last dimension of the first input with shape %s "
                         "must match the second to last dimension of the second input with "
                         "shape %s",
                         mxi_shape_str(sa, sizeof sa, a->shape, a->ndim),
                         mxi_shape_str(sb, sizeof sb, b->shape, b->ndim));
    }
    int32_t batch[MXI_MAX_NDIM];
    int nb;
    rc = mxi_broadcast_shapes("matmul", batch, &nb, as, an - 2, bs, bn - 2);
    if (rc) return rc;
    if (nb + 2 > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[matmul] too many dimensions");
    int32_t a_full[MXI_MAX_NDIM], b_full[MXI_MAX_NDIM], o_full[MXI_MAX_NDIM];
    for (int i = 0; i < nb; i++) a_full[i] = b_full[i] = o_full[i] = batch[i];
    int32_t M = as[an - 2], K = as[an - 1], N = bs[bn - 1];
    a_full[nb] = M, a_full[nb + 1] = K;
    b_full[nb] = K, b_full[nb + 1] = N;
    o_full[nb] = M, o_full[nb + 1] = N;

    mx_array *ca = NULL, *cb = NULL, *ra = NULL, *rb = NULL, *xa = NULL, *xb = NULL, *r = NULL;
    rc = mxi_astype_if(&ca, a, dtype, s);
    if (!rc) rc = mxi_astype_if(&cb, b, dtype, s);
    if (!rc) rc = mx_reshape(&ra, ca, as, an, s);
    if (!rc) rc = mx_reshape(&rb, cb, bs, bn, s);
    if (!rc) rc = mxi_broadcast_if(&xa, ra, a_full, nb + 2, s);
    if (!rc) rc = mxi_broadcast_if(&xb, rb, b_full, nb + 2, s);
    if (!rc) {
        mx_array *inputs[2] = {xa, xb};
        rc = mxi_make(&r, dtype, o_full, nb + 2, MXI_PRIM_MATMUL, NULL, 0, inputs, 2, s);
    }
    if (!rc) {
        /* Drop the unit axes added for 1-d operands. */
        int32_t final[MXI_MAX_NDIM];
        int nf = 0;
        for (int i = 0; i < nb; i++) final[nf++] = batch[i];
        if (a->ndim > 1) final[nf++] = M;
        if (b->ndim > 1) final[nf++] = N;
        if (nf == nb + 2)
            mxi_set_out(out, mx_array_retain(r));
        else
            rc = mx_reshape(out, r, final, nf, s);
    }
    mx_array_free(ca);
    mx_array_free(cb);
    mx_array_free(ra);
    mx_array_free(rb);
    mx_array_free(xa);
    mx_array_free(xb);
    mx_array_free(r);
    return rc;
}
