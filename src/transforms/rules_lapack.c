/* Derivatives of the LAPACK primitives (MLX 0.32 has none on the CPU):
 * Inverse, Cholesky, Eigh, QRF (rows >= columns) and the values of SVD.
 * All are batched over leading axes, so vmap moves the mapped axis to the
 * front.
 *
 * Primitives that read one triangle of their input (triangular inverse,
 * Cholesky, Eigh) are functions of that triangle alone: their derivative
 * with respect to the other one is zero. For the symmetric ones the matrix
 * used is S = tril(A) + tril(A, -1)^T (or the same with triu), so a
 * gradient Q with respect to S comes back as tril(Q) + tril(Q^T, -1).
 *
 * Eigh at repeated eigenvalues: the eigenvectors are not differentiable
 * there; the factors 1 / (w_j - w_i) are then infinite and the vector
 * derivatives inf or nan, as in JAX and PyTorch. The value derivatives stay
 * finite. */
#include "rules_util.h"

#include "cmlx/linalg.h"
#include "ops/ops_util.h"
#include "primitives/params_lapack.h"

/* Temporaries of one rule, freed together. */
typedef struct pool {
    mx_array *a[40];
    int n;
} pool;

static mx_array **slot(pool *p) {
    return p->n < 40 ? &p->a[p->n++] : NULL;
}

static void pool_free(pool *p) {
    for (int i = 0; i < p->n; i++) mx_array_free(p->a[i]);
}

/* Each helper puts its result in a new slot of the pool; NULL on failure
 * (the error is set). */
#define P_CALL(call)                                                                               \
    do {                                                                                           \
        mx_array **o_ = slot(p);                                                                   \
        if (!o_) {                                                                                 \
            mxi_error(MX_ERR_RUNTIME, "[linalg] rule too large");                                  \
            return NULL;                                                                           \
        }                                                                                          \
        if (call) return NULL;                                                                     \
        return *o_;                                                                                \
    } while (0)

static mx_array *mT(pool *p, const mx_stream *s, mx_array *x) {
    if (!x) return NULL;
    P_CALL(mx_swapaxes(o_, x, -1, -2, s));
}
static mx_array *mm(pool *p, const mx_stream *s, mx_array *a, mx_array *b) {
    if (!a || !b) return NULL;
    P_CALL(mx_matmul(o_, a, b, s));
}
static mx_array *add(pool *p, const mx_stream *s, mx_array *a, mx_array *b) {
    if (!a || !b) return NULL;
    P_CALL(mx_add(o_, a, b, s));
}
static mx_array *mul(pool *p, const mx_stream *s, mx_array *a, mx_array *b) {
    if (!a || !b) return NULL;
    P_CALL(mx_multiply(o_, a, b, s));
}
static mx_array *scale(pool *p, const mx_stream *s, mx_array *a, double c) {
    if (!a) return NULL;
    P_CALL(mxi_rule_scale(o_, a, c, s));
}
/* The triangle (upper or lower) from diagonal k on. */
static mx_array *tri(pool *p, const mx_stream *s, mx_array *a, bool upper, int k) {
    if (!a) return NULL;
    P_CALL(upper ? mx_triu(o_, a, k, s) : mx_tril(o_, a, k, s));
}

/* S's derivative for a change d of the input read from one triangle. */
static mx_array *sym_of(pool *p, const mx_stream *s, mx_array *d, bool upper) {
    return add(p, s, tri(p, s, d, upper, 0), mT(p, s, tri(p, s, d, upper, upper ? 1 : -1)));
}

/* The gradient with respect to the input from one with respect to S. */
static mx_array *sym_back(pool *p, const mx_stream *s, mx_array *q, bool upper) {
    return add(p, s, tri(p, s, q, upper, 0), tri(p, s, mT(p, s, q), upper, upper ? 1 : -1));
}

/* Output i of the node, recomputed if it is gone. */
static mx_array *output(pool *p, const mxi_node *node, mx_array *const *primals, int i) {
    mx_array **o = slot(p);
    if (!o) return NULL;
    if (node->outputs[i]) {
        *o = mx_array_retain(node->outputs[i]);
        return *o;
    }
    int nd = 0;
    mx_dtype dt;
    const int32_t *shape = mxi_rule_out_shape(node, i, &nd, &dt);
    if (node->n_outputs != 1) {
        mxi_error(MX_ERR_RUNTIME, "[linalg] output %d of %s is gone", i,
                  mxi_primitives[node->kind].name);
        return NULL;
    }
    (void)shape;
    return mxi_rule_reapply(o, node, primals, dt) ? NULL : *o;
}

static int finish(mx_array **out, mx_array *r, pool *p) {
    int rc = MX_OK;
    if (r)
        *out = mx_array_retain(r);
    else
        rc = mx_last_error_code() ? mx_last_error_code() : MX_ERR_RUNTIME;
    pool_free(p);
    return rc;
}

/* ---- Inverse: dY = -Y dA Y, A-bar = -Y^T G Y^T (the triangle for tri) ---- */

static mx_array *inverse_rule(pool *p, const mxi_node *node, mx_array *const *primals, mx_array *d,
                              bool reverse) {
    const mxi_inverse_params *ip = node->params;
    const mx_stream *s = S;
    mx_array *y = output(p, node, primals, 0);
    mx_array *r;
    if (reverse) {
        mx_array *yt = mT(p, s, y);
        r = mm(p, s, mm(p, s, yt, d), yt);
        if (ip->tri) r = tri(p, s, r, ip->upper, 0);
    } else {
        if (ip->tri) d = tri(p, s, d, ip->upper, 0);
        r = mm(p, s, mm(p, s, y, d), y);
    }
    return scale(p, s, r, -1.0);
}

/* ---- Cholesky (lower L; upper U = L(A^T)^T handled by transposes) ----
 * jvp: X = L^-1 S' L^-T, dL = L Phi(X) with Phi the lower triangle, its
 * diagonal halved; vjp (the adjoint): Q = L^-T Phi(L^T G) L^-1. */

static mx_array *phi(pool *p, const mx_stream *s, mx_array *x) {
    return scale(p, s, add(p, s, tri(p, s, x, false, 0), tri(p, s, x, false, -1)), 0.5);
}

static mx_array *cholesky_rule(pool *p, const mxi_node *node, mx_array *const *primals, mx_array *d,
                               bool reverse) {
    const mxi_cholesky_params *cp = node->params;
    const mx_stream *s = S;
    bool up = cp->upper;
    mx_array *l = output(p, node, primals, 0);
    if (up) l = mT(p, s, l), d = mT(p, s, d);
    mx_array **li = slot(p);
    if (!l || !d || !li || mx_linalg_tri_inv(li, l, false, s)) return NULL;
    mx_array *lit = mT(p, s, *li), *r;
    if (reverse) {
        mx_array *q = mm(p, s, mm(p, s, lit, phi(p, s, mm(p, s, mT(p, s, l), d))), *li);
        r = sym_back(p, s, q, false);
    } else {
        mx_array *x = mm(p, s, mm(p, s, *li, sym_of(p, s, d, false)), lit);
        r = mm(p, s, l, phi(p, s, x));
    }
    return up ? mT(p, s, r) : r;
}

/* ---- Eigh: M = V^T S' V, dw = diag(M), dV = V (F o M) with
 * F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it; vjp:
 * Q = V (diag(w-bar) + F o (V^T V-bar)) V^T. ---- */

static int eigh_parts(pool *p, const mxi_node *node, mx_array *const *primals, mx_array **w,
                      mx_array **v, mx_array **f, mx_array **eye) {
    const mxi_eigh_params *ep = node->params;
    const mx_stream *s = S;
    if (ep->vectors && node->outputs[0] && node->outputs[1]) {
        *w = output(p, node, primals, 0);
        *v = output(p, node, primals, 1);
    } else {
        mx_array **wo = slot(p), **vo = slot(p);
        if (!wo || !vo || mx_linalg_eigh(wo, vo, primals[0], ep->upper ? "U" : "L", s))
            return MX_ERR_RUNTIME;
        *w = *wo, *v = *vo;
    }
    if (!*w || !*v) return MX_ERR_RUNTIME;
    int n = primals[0]->shape[primals[0]->ndim - 1];
    mx_array **e = slot(p), **wr = slot(p), **wc = slot(p), **dd = slot(p), **inv = slot(p);
    if (!inv || mx_eye(e, n, n, 0, (*w)->dtype, s) || mx_expand_dims(wr, *w, -2, s) ||
        mx_expand_dims(wc, *w, -1, s))
        return MX_ERR_RUNTIME;
    /* w_j - w_i with 1 on the diagonal, inverted, the diagonal cleared */
    mx_array *diff = NULL, *one_minus = NULL;
    if (mx_subtract(dd, *wr, *wc, s)) return MX_ERR_RUNTIME;
    diff = add(p, s, *dd, *e);
    if (!diff || mx_reciprocal(inv, diff, s)) return MX_ERR_RUNTIME;
    mx_array **om = slot(p), **k1 = slot(p);
    if (!k1 || mxi_rule_const(k1, 1.0, (*w)->dtype) || mx_subtract(om, *k1, *e, s))
        return MX_ERR_RUNTIME;
    one_minus = *om;
    *f = mul(p, s, *inv, one_minus);
    *eye = *e;
    return *f ? MX_OK : MX_ERR_RUNTIME;
}

static int eigh_jvp(pool *p, const mxi_node *node, mx_array *const *primals, mx_array *d,
                    mx_array **out) {
    const mxi_eigh_params *ep = node->params;
    const mx_stream *s = S;
    mx_array *w, *v, *f, *eye;
    int rc = eigh_parts(p, node, primals, &w, &v, &f, &eye);
    if (rc) return rc;
    mx_array *m = mm(p, s, mm(p, s, mT(p, s, v), sym_of(p, s, d, ep->upper)), v);
    mx_array **dw = slot(p);
    if (!m || !dw || mx_diagonal(dw, m, 0, -2, -1, s)) return MX_ERR_RUNTIME;
    out[0] = mx_array_retain(*dw);
    if (ep->vectors) {
        mx_array *dv = mm(p, s, v, mul(p, s, f, m));
        if (!dv) return MX_ERR_RUNTIME;
        out[1] = mx_array_retain(dv);
    }
    return MX_OK;
}

static mx_array *eigh_vjp(pool *p, const mxi_node *node, mx_array *const *primals,
                          mx_array *const *cot) {
    const mxi_eigh_params *ep = node->params;
    const mx_stream *s = S;
    mx_array *w, *v, *f, *eye;
    if (eigh_parts(p, node, primals, &w, &v, &f, &eye)) return NULL;
    mx_array **wb = slot(p);
    if (!wb || mx_expand_dims(wb, cot[0], -2, s)) return NULL;
    mx_array *inner = mul(p, s, *wb, eye);
    if (ep->vectors) inner = add(p, s, inner, mul(p, s, f, mm(p, s, mT(p, s, v), cot[1])));
    mx_array *q = mm(p, s, mm(p, s, v, inner), mT(p, s, v));
    return sym_back(p, s, q, ep->upper);
}

/* ---- SVD values: A = U diag(s) V^T, ds = diag(U^T dA V), A-bar =
 * U diag(s-bar) V^T over the first min(m, n) columns of U and V. ---- */

static int svd_uv(pool *p, const mxi_node *node, mx_array *a, mx_array **u, mx_array **vt) {
    const mx_stream *s = S;
    int m = a->shape[a->ndim - 2], n = a->shape[a->ndim - 1], k = m < n ? m : n;
    mx_array **uo = slot(p), **so = slot(p), **vo = slot(p), **us = slot(p), **vs = slot(p);
    if (!vs || mx_linalg_svd(uo, so, vo, a, true, s)) return MX_ERR_RUNTIME;
    int32_t st[MXI_MAX_NDIM] = {0}, su[MXI_MAX_NDIM], sv[MXI_MAX_NDIM];
    for (int d = 0; d < a->ndim; d++) su[d] = sv[d] = a->shape[d];
    su[a->ndim - 2] = m, su[a->ndim - 1] = k;
    sv[a->ndim - 2] = k, sv[a->ndim - 1] = n;
    if (mx_slice(us, *uo, st, su, NULL, a->ndim, s) || mx_slice(vs, *vo, st, sv, NULL, a->ndim, s))
        return MX_ERR_RUNTIME;
    *u = *us, *vt = *vs;
    return MX_OK;
}

/* ---- QRF (reduced, M >= N so that R is square and invertible) ----
 * jvp (as JAX): D = dA R^-1, C = Q^T D, L = tril(C, -1), W = L - L^T,
 * dQ = Q (W - C) + D, dR = (C - W) R; the vjp is its adjoint, step by
 * step backwards. */

static int qr_parts(pool *p, const mxi_node *node, mx_array *const *primals, mx_array **q,
                    mx_array **r, mx_array **ri) {
    mx_array *a = primals[0];
    if (a->shape[a->ndim - 2] < a->shape[a->ndim - 1])
        return mxi_error(MX_ERR_VALUE, "[QRF] derivatives need rows >= columns");
    mx_array **qo = slot(p), **ro = slot(p), **io = slot(p);
    if (!io) return MX_ERR_RUNTIME;
    if (node->outputs[0] && node->outputs[1]) {
        *qo = mx_array_retain(node->outputs[0]);
        *ro = mx_array_retain(node->outputs[1]);
    } else if (mx_linalg_qr(qo, ro, a, S)) {
        return MX_ERR_RUNTIME;
    }
    if (mx_linalg_tri_inv(io, *ro, true, S)) return MX_ERR_RUNTIME;
    *q = *qo, *r = *ro, *ri = *io;
    return MX_OK;
}

static int qr_jvp(pool *p, const mxi_node *node, mx_array *const *primals, mx_array *da,
                  mx_array **out) {
    const mx_stream *s = S;
    mx_array *q, *r, *ri;
    int rc = qr_parts(p, node, primals, &q, &r, &ri);
    if (rc) return rc;
    mx_array *d = mm(p, s, da, ri), *c = mm(p, s, mT(p, s, q), d);
    mx_array *l = tri(p, s, c, false, -1), *w = add(p, s, l, scale(p, s, mT(p, s, l), -1.0));
    mx_array *cw = add(p, s, c, scale(p, s, w, -1.0));
    mx_array *dq = add(p, s, scale(p, s, mm(p, s, q, cw), -1.0), d), *dr = mm(p, s, cw, r);
    if (!dq || !dr) return MX_ERR_RUNTIME;
    out[0] = mx_array_retain(dq);
    out[1] = mx_array_retain(dr);
    return MX_OK;
}

static mx_array *qr_vjp(pool *p, const mxi_node *node, mx_array *const *primals,
                        mx_array *const *cot) {
    const mx_stream *s = S;
    mx_array *q, *r, *ri;
    if (qr_parts(p, node, primals, &q, &r, &ri)) return NULL;
    /* cw = C - W gets R-bar R^T (from dR = cw R) - Q^T Q-bar (from
     * dQ = D - Q cw); then W-bar = -cw-bar, L-bar = W-bar - W-bar^T,
     * C-bar = cw-bar + tril(L-bar, -1), D-bar = Q-bar + Q C-bar and
     * A-bar = D-bar R^-T. */
    mx_array *cw =
        add(p, s, mm(p, s, cot[1], mT(p, s, r)), scale(p, s, mm(p, s, mT(p, s, q), cot[0]), -1.0));
    mx_array *wb = scale(p, s, cw, -1.0);
    mx_array *lb = add(p, s, wb, scale(p, s, mT(p, s, wb), -1.0));
    mx_array *cb = add(p, s, cw, tri(p, s, lb, false, -1));
    mx_array *db = add(p, s, cot[0], mm(p, s, q, cb));
    return mm(p, s, db, mT(p, s, ri));
}

MXI_VJP_RULE(mxi_vjp_lapack) {
    (void)argnums;
    pool p = {0};
    const mx_stream *s = S;
    mx_array *r = NULL;
    if (n_argnums == 0) return MX_OK;
    switch (node->kind) {
    case MXI_PRIM_INVERSE:
        r = inverse_rule(&p, node, primals, cotangents[0], true);
        break;
    case MXI_PRIM_CHOLESKY:
        r = cholesky_rule(&p, node, primals, cotangents[0], true);
        break;
    case MXI_PRIM_EIGH:
        r = eigh_vjp(&p, node, primals, cotangents);
        break;
    case MXI_PRIM_QRF:
        r = qr_vjp(&p, node, primals, cotangents);
        break;
    case MXI_PRIM_SVD: {
        const mxi_svd_params *sp = node->params;
        if (sp->compute_uv)
            return mxi_error(MX_ERR_VALUE, "[vjp] SVD: only the singular values (compute_uv "
                                           "false) have a vjp yet");
        mx_array *u, *vt, **sb = slot(&p);
        if (svd_uv(&p, node, primals[0], &u, &vt) == MX_OK && sb &&
            !mx_expand_dims(sb, cotangents[0], -2, s))
            r = mm(&p, s, mul(&p, s, u, *sb), vt);
        break;
    }
    default:
        return mxi_error(MX_ERR_VALUE, "[vjp] %s has no vjp", mxi_primitives[node->kind].name);
    }
    return finish(&out[0], r, &p);
}

MXI_JVP_RULE(mxi_jvp_lapack) {
    (void)argnums, (void)n_argnums;
    pool p = {0};
    const mx_stream *s = S;
    mx_array *r = NULL;
    switch (node->kind) {
    case MXI_PRIM_INVERSE:
        r = inverse_rule(&p, node, primals, tangents[0], false);
        break;
    case MXI_PRIM_CHOLESKY:
        r = cholesky_rule(&p, node, primals, tangents[0], false);
        break;
    case MXI_PRIM_EIGH:
    case MXI_PRIM_QRF: {
        int rc = node->kind == MXI_PRIM_QRF ? qr_jvp(&p, node, primals, tangents[0], out)
                                            : eigh_jvp(&p, node, primals, tangents[0], out);
        pool_free(&p);
        return rc ? (mx_last_error_code() ? mx_last_error_code() : rc) : MX_OK;
    }
    case MXI_PRIM_SVD: {
        const mxi_svd_params *sp = node->params;
        if (sp->compute_uv)
            return mxi_error(MX_ERR_VALUE, "[jvp] SVD: only the singular values (compute_uv "
                                           "false) have a jvp yet");
        mx_array *u, *vt, **dg = slot(&p);
        if (svd_uv(&p, node, primals[0], &u, &vt) == MX_OK && dg) {
            mx_array *m = mm(&p, s, mm(&p, s, mT(&p, s, u), tangents[0]), mT(&p, s, vt));
            if (m && !mx_diagonal(dg, m, 0, -2, -1, s)) r = *dg;
        }
        break;
    }
    default:
        return mxi_error(MX_ERR_VALUE, "[jvp] %s has no jvp", mxi_primitives[node->kind].name);
    }
    return finish(&out[0], r, &p);
}

/* The primitives are batched over leading axes: the mapped axis goes to
 * the front and the primitive runs once. */
MXI_VMAP_RULE(mxi_vmap_lapack) {
    return mxi_vmap_with_params(node, inputs, in_axes, node->n_inputs, node->params,
                                node->params_size, outputs, out_axes);
}
