/*
 * fast.cross_entropy and fast.gated_delta_update: compositions of ordinary
 * ops (MLX's CPU fallbacks), so grad and vmap go through the ops' rules.
 */
#include <stdlib.h>

#include "cmlx/fast.h"
#include "ops_util.h"

int mx_fast_cross_entropy(mx_array **out, const mx_array *logits, const mx_array *targets,
                          const mx_stream *s) {
    const mx_array *in[2] = {logits, targets};
    int rc = mxi_check_inputs("cross_entropy", out, in, 2);
    if (rc) return rc;
    if (logits->ndim < 1)
        return mxi_error(MX_ERR_VALUE,
                         "[cross_entropy] logits must have at least 1 dimension but got input "
                         "with 0 dimensions.");
    if (!mx_dtype_is_floating(logits->dtype))
        return mxi_error(MX_ERR_VALUE, "[cross_entropy] Received unsupported logits type %s.",
                         mx_dtype_name(logits->dtype));
    if (!mx_dtype_is_integer(targets->dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[cross_entropy] targets must be integer class indices but got %s.",
                         mx_dtype_name(targets->dtype));
    if (!mxi_same_shape(targets->shape, targets->ndim, logits->shape, logits->ndim - 1)) {
        char b1[MXI_SHAPE_STR_LEN], b2[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[cross_entropy] targets shape %s does not match logits shape %s with "
                         "the last axis removed.",
                         mxi_shape_str(b1, sizeof b1, targets->shape, targets->ndim),
                         mxi_shape_str(b2, sizeof b2, logits->shape, logits->ndim));
    }
    mx_array *lse = NULL, *t = NULL, *picked = NULL, *r = NULL;
    rc = mx_logsumexp_axis(&lse, logits, -1, false, s);
    if (!rc) rc = mx_expand_dims(&t, targets, -1, s);
    if (!rc) rc = mx_take_along_axis(&picked, logits, t, -1, s);
    if (!rc) rc = mx_squeeze_axis(&picked, picked, -1, s);
    if (!rc) rc = mx_subtract(&r, lse, picked, s);
    if (!rc) rc = mxi_astype_if(&r, r, MX_FLOAT32, s);
    mx_array_free(lse);
    mx_array_free(t);
    mx_array_free(picked);
    if (rc) {
        mx_array_free(r);
        return rc;
    }
    mx_array_free(*out);
    *out = r;
    return MX_OK;
}

/* ---- gated delta rule ---- */

#define GDU "[gated_delta_update]"

static int gdu_check(const mx_array *q, const mx_array *k, const mx_array *v, const mx_array *g,
                     const mx_array *beta, const mx_array *state, const mx_array *mask) {
    char b1[MXI_SHAPE_STR_LEN], b2[MXI_SHAPE_STR_LEN];
    if (q->ndim != 4 || k->ndim != 4 || v->ndim != 4)
        return mxi_error(MX_ERR_VALUE, GDU " q, k and v must be 4-d (B, T, H, D), got %d, %d, %d.",
                         q->ndim, k->ndim, v->ndim);
    if (!mxi_same_shape(q->shape, 4, k->shape, 4))
        return mxi_error(MX_ERR_VALUE, GDU " q %s and k %s must have the same shape.",
                         mxi_shape_str(b1, sizeof b1, q->shape, 4),
                         mxi_shape_str(b2, sizeof b2, k->shape, 4));
    int32_t hk = q->shape[2], hv = v->shape[2];
    if (v->shape[0] != q->shape[0] || v->shape[1] != q->shape[1] || hk == 0 || hv % hk)
        return mxi_error(MX_ERR_VALUE,
                         GDU " v %s must share B and T with q %s and have a multiple of its "
                             "heads.",
                         mxi_shape_str(b1, sizeof b1, v->shape, 4),
                         mxi_shape_str(b2, sizeof b2, q->shape, 4));
    if (g->ndim != 3 && g->ndim != 4)
        return mxi_error(MX_ERR_VALUE, GDU " gamma must be (B, T, Hv) or (B, T, Hv, Dk), got %s.",
                         mxi_shape_str(b1, sizeof b1, g->shape, g->ndim));
    if (beta->ndim != 3)
        return mxi_error(MX_ERR_VALUE, GDU " beta must be (B, T, Hv), got %s.",
                         mxi_shape_str(b1, sizeof b1, beta->shape, beta->ndim));
    if (state && state->ndim != 4)
        return mxi_error(MX_ERR_VALUE, GDU " initial_state must be (B, Hv, Dv, Dk), got %s.",
                         mxi_shape_str(b1, sizeof b1, state->shape, state->ndim));
    if (mask && (mask->ndim != 2 || mask->shape[0] != q->shape[0] || mask->shape[1] != q->shape[1]))
        return mxi_error(MX_ERR_VALUE, GDU " mask must be (B, T) = (%d, %d), got %s.",
                         (int)q->shape[0], (int)q->shape[1],
                         mxi_shape_str(b1, sizeof b1, mask->shape, mask->ndim));
    mx_dtype ts[5] = {q->dtype, k->dtype, v->dtype, g->dtype, beta->dtype};
    for (int i = 0; i < 5; i++)
        if (mx_dtype_is_complex(ts[i]))
            return mxi_error(MX_ERR_VALUE, GDU " complex inputs are not supported.");
    return MX_OK;
}

/* Step t of x (B, T, ...) with trailing size-1 axes inserted at `at`
 * (negative: none), e.g. gamma_t (B, Hv) -> (B, Hv, 1, 1). */
static int gdu_step(mx_array **out, const mx_array *x, int t, int at, int n, const mx_stream *s) {
    int rc = mx_take_index_axis(out, x, t, 1, s);
    for (int i = 0; !rc && i < n; i++) rc = mx_expand_dims(out, *out, at, s);
    return rc;
}

/* One step: S (B, Hv, Dv, Dk) in *state, y_t (B, Hv, Dv) into *y. */
static int gdu_one(mx_array **y, mx_array **state, const mx_array *q, const mx_array *k,
                   const mx_array *v, const mx_array *g, const mx_array *beta, const mx_array *mask,
                   const mx_array *zero, int t, const mx_stream *s) {
    mx_array *qt = NULL, *kt = NULL, *vt = NULL, *gt = NULL, *bt = NULL, *mt = NULL;
    mx_array *S = NULL, *kv = NULL, *d = NULL, *yt = NULL, *my = NULL;
    int rc = gdu_step(&qt, q, t, -2, 1, s);                         /* (B, Hv, 1, Dk) */
    if (!rc) rc = gdu_step(&kt, k, t, -2, 1, s);                    /* (B, Hv, 1, Dk) */
    if (!rc) rc = gdu_step(&vt, v, t, -1, 0, s);                    /* (B, Hv, Dv) */
    if (!rc) rc = gdu_step(&gt, g, t, -1, g->ndim == 3 ? 2 : 0, s); /* (B, Hv, 1, 1) */
    if (!rc && g->ndim == 4) rc = mx_expand_dims(&gt, gt, -2, s);   /* (B, Hv, 1, Dk) */
    if (!rc) rc = gdu_step(&bt, beta, t, -1, 1, s);                 /* (B, Hv, 1) */
    if (!rc) rc = mx_multiply(&S, *state, gt, s);
    if (!rc) rc = mx_multiply(&kv, S, kt, s);
    if (!rc) rc = mx_sum_axis(&kv, kv, -1, false, s);
    if (!rc) rc = mx_subtract(&d, vt, kv, s);
    if (!rc) rc = mx_multiply(&d, d, bt, s);
    if (!rc) rc = mx_expand_dims(&d, d, -1, s);
    if (!rc) rc = mx_multiply(&d, kt, d, s);
    if (!rc) rc = mx_add(&S, S, d, s);
    if (!rc) rc = mx_multiply(&yt, S, qt, s);
    if (!rc) rc = mx_sum_axis(&yt, yt, -1, false, s);
    if (!rc && mask) {
        rc = gdu_step(&mt, mask, t, -1, 2, s); /* (B, 1, 1) */
        if (!rc) rc = mx_astype(&mt, mt, MX_BOOL, s);
        if (!rc) rc = mx_where(&yt, mt, yt, zero, s);
        if (!rc) rc = mx_expand_dims(&my, mt, -1, s);
        if (!rc) rc = mx_where(&S, my, S, *state, s);
    }
    if (!rc) {
        mx_array_free(*state);
        *state = S;
        S = NULL;
        mx_array_free(*y);
        *y = yt;
        yt = NULL;
    }
    mx_array *all[] = {qt, kt, vt, gt, bt, mt, S, kv, d, yt, my};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
    return rc;
}

int mx_fast_gated_delta_update(mx_array **out_y, mx_array **out_state, const mx_array *q,
                               const mx_array *k, const mx_array *v, const mx_array *gamma,
                               const mx_array *beta, const mx_array *initial_state,
                               const mx_array *mask, const mx_stream *s) {
    const mx_array *in[5] = {q, k, v, gamma, beta};
    int rc = mxi_check_inputs("gated_delta_update", out_y, in, 5);
    if (rc) return rc;
    if (!out_state) return mxi_error(MX_ERR_VALUE, GDU " out_state is NULL");
    rc = gdu_check(q, k, v, gamma, beta, initial_state, mask);
    if (rc) return rc;
    int32_t B = q->shape[0], T = q->shape[1], Hk = q->shape[2], Dk = q->shape[3];
    int32_t Hv = v->shape[2], Dv = v->shape[3];
    mx_dtype yt = mx_promote_types(mx_promote_types(q->dtype, k->dtype), v->dtype);
    yt = mx_promote_types(mx_promote_types(yt, gamma->dtype), beta->dtype);
    mx_array *qr = NULL, *kr = NULL, *S = NULL, *zero = NULL, *y = NULL;
    mx_array **ys = NULL;
    int rep = Hv / Hk;
    if (rep > 1) {
        rc = mx_repeat_axis(&qr, q, rep, 2, s);
        if (!rc) rc = mx_repeat_axis(&kr, k, rep, 2, s);
    } else {
        qr = mx_array_retain((mx_array *)q);
        kr = mx_array_retain((mx_array *)k);
    }
    if (!rc && initial_state) {
        rc = mx_astype(&S, initial_state, MX_FLOAT32, s);
        int32_t shape[4] = {B, Hv, Dv, Dk};
        if (!rc) rc = mx_broadcast_to(&S, S, shape, 4, s);
    } else if (!rc) {
        int32_t shape[4] = {B, Hv, Dv, Dk};
        rc = mx_zeros(&S, shape, 4, MX_FLOAT32, s);
    }
    if (!rc && mask) rc = mx_array_from_float(&zero, 0.0, MX_FLOAT32);
    if (!rc && T > 0) {
        ys = calloc((size_t)T, sizeof *ys);
        if (!ys) rc = mxi_error(MX_ERR_MEMORY, GDU " out of memory");
    }
    for (int t = 0; !rc && t < T; t++)
        rc = gdu_one(&ys[t], &S, qr, kr, v, gamma, beta, mask, zero, t, s);
    if (!rc && T > 0) {
        rc = mx_stack(&y, (const mx_array *const *)ys, T, 1, s);
    } else if (!rc) {
        int32_t shape[4] = {B, 0, Hv, Dv};
        rc = mx_zeros(&y, shape, 4, MX_FLOAT32, s);
    }
    if (!rc) rc = mx_astype(&y, y, yt, s);
    if (ys)
        for (int t = 0; t < T; t++) mx_array_free(ys[t]);
    free(ys);
    mx_array_free(qr);
    mx_array_free(kr);
    mx_array_free(zero);
    if (rc) {
        mx_array_free(S);
        mx_array_free(y);
        return rc;
    }
    mx_array_free(*out_y);
    mx_array_free(*out_state);
    *out_y = y;
    *out_state = S;
    return MX_OK;
}
