/* Matrix products with a primitive of their own: matmul and addmm. */
#include <string.h>

#include "ops_util.h"
#include "primitives/params_linalg.h"

/* Operands of a batched product, prepared as the kernel wants them: cast to
 * the common dtype, 1-d operands given a unit axis, batch axes broadcast. */
typedef struct mm_operands {
    mx_array *a, *b;            /* (batch..., M, K) and (batch..., K, N) */
    int32_t full[MXI_MAX_NDIM]; /* (batch..., M, N) */
    int nfull;
    int32_t final_shape[MXI_MAX_NDIM]; /* full without the unit axes of 1-d operands */
    int nfinal;
} mm_operands;

static void mm_release(mm_operands *m) {
    mx_array_free(m->a);
    mx_array_free(m->b);
    m->a = m->b = NULL;
}

static int mm_prepare(mm_operands *m, const char *op, const mx_array *a, const mx_array *b,
                      mx_dtype dtype, const mx_stream *s) {
    m->a = m->b = NULL;
    if (a->ndim == 0 || b->ndim == 0)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] got a 0-d input; inputs must have at least one "
                         "dimension",
                         op);
    if (a->ndim > MXI_MAX_NDIM || b->ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    int32_t as[MXI_MAX_NDIM], bs[MXI_MAX_NDIM];
    int an = a->ndim, bn = b->ndim;
    if (an == 1) {
        as[0] = 1, as[1] = a->shape[0], an = 2;
    } else {
        memcpy(as, a->shape, (size_t)an * sizeof(int32_t));
    }
    if (bn == 1) {
        bs[0] = b->shape[0], bs[1] = 1, bn = 2;
    } else {
        memcpy(bs, b->shape, (size_t)bn * sizeof(int32_t));
    }
    if (as[an - 1] != bs[bn - 2]) {
        char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[%s] last dimension of the first input with shape %s "
                         "must match the second to last dimension of the second input with "
                         "shape %s",
                         op, mxi_shape_str(sa, sizeof sa, a->shape, a->ndim),
                         mxi_shape_str(sb, sizeof sb, b->shape, b->ndim));
    }
    int32_t batch[MXI_MAX_NDIM];
    int nb;
    int rc = mxi_broadcast_shapes(op, batch, &nb, as, an - 2, bs, bn - 2);
    if (rc) return rc;
    if (nb + 2 > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    int32_t a_full[MXI_MAX_NDIM], b_full[MXI_MAX_NDIM];
    memcpy(a_full, batch, (size_t)nb * sizeof(int32_t));
    memcpy(b_full, batch, (size_t)nb * sizeof(int32_t));
    memcpy(m->full, batch, (size_t)nb * sizeof(int32_t));
    memcpy(m->final_shape, batch, (size_t)nb * sizeof(int32_t));
    int32_t M = as[an - 2], K = as[an - 1], N = bs[bn - 1];
    a_full[nb] = M, a_full[nb + 1] = K;
    b_full[nb] = K, b_full[nb + 1] = N;
    m->full[nb] = M, m->full[nb + 1] = N;
    m->nfull = nb + 2;
    m->nfinal = nb;
    if (a->ndim > 1) m->final_shape[m->nfinal++] = M;
    if (b->ndim > 1) m->final_shape[m->nfinal++] = N;

    mx_array *ca = NULL, *cb = NULL, *ra = NULL, *rb = NULL;
    rc = mxi_astype_if(&ca, a, dtype, s);
    if (!rc) rc = mxi_astype_if(&cb, b, dtype, s);
    if (!rc) rc = mx_reshape(&ra, ca, as, an, s);
    if (!rc) rc = mx_reshape(&rb, cb, bs, bn, s);
    if (!rc) rc = mxi_broadcast_if(&m->a, ra, a_full, nb + 2, s);
    if (!rc) rc = mxi_broadcast_if(&m->b, rb, b_full, nb + 2, s);
    mx_array_free(ca);
    mx_array_free(cb);
    mx_array_free(ra);
    mx_array_free(rb);
    if (rc) mm_release(m);
    return rc;
}

/* Gives r (of shape m->full) to *out with the unit axes of 1-d operands
 * dropped. Consumes r. */
static int mm_finish(mx_array **out, mx_array *r, const mm_operands *m, const mx_stream *s) {
    int rc = MX_OK;
    if (m->nfinal == m->nfull)
        mxi_set_out(out, r);
    else {
        rc = mx_reshape(out, r, m->final_shape, m->nfinal, s);
        mx_array_free(r);
    }
    return rc;
}

int mx_matmul(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("matmul", out, ins, 2);
    if (rc) return rc;
    mx_dtype dtype = mx_promote_types(a->dtype, b->dtype);
    if (!mx_dtype_is_inexact(dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[matmul] only inexact types are supported but %s and %s "
                         "were provided, which results in %s",
                         mx_dtype_name(a->dtype), mx_dtype_name(b->dtype), mx_dtype_name(dtype));
    mm_operands m;
    rc = mm_prepare(&m, "matmul", a, b, dtype, s);
    if (rc) return rc;
    mx_array *r = NULL, *inputs[2] = {m.a, m.b};
    rc = mxi_make(&r, dtype, m.full, m.nfull, MXI_PRIM_MATMUL, NULL, 0, inputs, 2, s);
    if (!rc) rc = mm_finish(out, r, &m, s);
    mm_release(&m);
    return rc;
}

int mx_addmm(mx_array **out, const mx_array *c, const mx_array *a, const mx_array *b, float alpha,
             float beta, const mx_stream *s) {
    const mx_array *ins[3] = {c, a, b};
    int rc = mxi_check_inputs("addmm", out, ins, 3);
    if (rc) return rc;
    mx_dtype dtype = mx_promote_types(mx_promote_types(a->dtype, b->dtype), c->dtype);
    if (!mx_issubdtype(dtype, MX_FLOATING))
        return mxi_error(MX_ERR_VALUE,
                         "[addmm] only real floating point types are supported but %s, %s and %s "
                         "were provided, which results in %s",
                         mx_dtype_name(c->dtype), mx_dtype_name(a->dtype), mx_dtype_name(b->dtype),
                         mx_dtype_name(dtype));
    mm_operands m;
    rc = mm_prepare(&m, "addmm", a, b, dtype, s);
    if (rc) return rc;
    /* c must broadcast to the result as the caller sees it (1-d axes
     * dropped); the kernel then reads it in the full shape. */
    int32_t bshape[MXI_MAX_NDIM];
    int bn = 0;
    if (mxi_broadcast_shapes("addmm", bshape, &bn, c->shape, c->ndim, m.final_shape, m.nfinal) ||
        !mxi_same_shape(bshape, bn, m.final_shape, m.nfinal)) {
        mm_release(&m);
        char sc[MXI_SHAPE_STR_LEN], so[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[addmm] input c with shape %s must broadcast to the output "
                         "shape %s",
                         mxi_shape_str(sc, sizeof sc, c->shape, c->ndim),
                         mxi_shape_str(so, sizeof so, m.final_shape, m.nfinal));
    }
    mx_array *cc = NULL, *cf = NULL, *cfull = NULL, *r = NULL;
    rc = mxi_astype_if(&cc, c, dtype, s);
    if (!rc) rc = mxi_broadcast_if(&cf, cc, m.final_shape, m.nfinal, s);
    if (!rc) rc = mx_reshape(&cfull, cf, m.full, m.nfull, s);
    if (!rc) {
        mxi_addmm_params p = {alpha, beta};
        mx_array *inputs[3] = {m.a, m.b, cfull};
        rc = mxi_make(&r, dtype, m.full, m.nfull, MXI_PRIM_ADDMM, &p, sizeof p, inputs, 3, s);
    }
    if (!rc) rc = mm_finish(out, r, &m, s);
    mx_array_free(cc);
    mx_array_free(cf);
    mx_array_free(cfull);
    mm_release(&m);
    return rc;
}
