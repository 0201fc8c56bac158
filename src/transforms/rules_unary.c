/*
 * Derivatives of the elementwise unary primitives. Most are
 * f'(x) * g (reverse) and f'(x) * t (forward), so one function gives the
 * factor f'(x) (built from x and the output y) and both modes use it; the
 * linear ones (Negative, Conjugate, Real, Imag) apply themselves.
 * Rounding, sign, predicates and logical not have zero derivative, as in MLX.
 */
#include <math.h>

#include "primitives/params_unary.h"
#include "rules_util.h"

typedef int (*unop)(mx_array **, const mx_array *, const mx_stream *);

/* c * op(x) */
static int scaled(mx_array **out, unop op, const mx_array *x, double c, const mx_stream *s) {
    mx_array *v = NULL;
    int rc = op(&v, x, s);
    if (!rc) rc = mxi_rule_scale(out, v, c, s);
    mx_array_free(v);
    return rc;
}

/* 1 / op(c1 + c2 * x^2) for the inverse trigonometric families. */
static int inv_of_quadratic(mx_array **out, const mx_array *x, double c1, double c2, unop op,
                            const mx_stream *s) {
    mx_array *x2 = NULL, *k1 = NULL, *k2 = NULL, *q = NULL, *r = NULL;
    int rc = MX_OK;
    TRY(mx_square(&x2, x, s));
    TRY(mxi_rule_const(&k1, c1, x->dtype));
    TRY(mxi_rule_const(&k2, c2, x->dtype));
    TRY(mx_multiply(&q, x2, k2, s));
    TRY(mx_add(&q, q, k1, s));
    if (op) {
        TRY(op(&r, q, s));
        TRY(mx_reciprocal(out, r, s));
    } else {
        TRY(mx_reciprocal(out, q, s));
    }
done:
    mx_array_free(x2);
    mx_array_free(k1);
    mx_array_free(k2);
    mx_array_free(q);
    mx_array_free(r);
    return rc;
}

/* f'(x) into *d; *d stays NULL for a zero derivative. */
static int factor(mx_array **d, const mxi_node *node, mx_array *x, mx_array *y) {
    const mx_stream *s = S;
    mx_array *a = NULL, *b = NULL;
    int rc = MX_OK;
    switch (node->kind) {
    case MXI_PRIM_ABS:
        TRY(mx_sign(d, x, s));
        break;
    case MXI_PRIM_SQUARE:
        TRY(mxi_rule_scale(d, x, 2.0, s));
        break;
    case MXI_PRIM_SQRT:
        if (((const mxi_sqrt_params *)node->params)->recip) {
            /* d/dx x^(-1/2) = -0.5 * y / x */
            TRY(mx_divide(&a, y, x, s));
            TRY(mxi_rule_scale(d, a, -0.5, s));
        } else {
            TRY(mx_reciprocal(&a, y, s));
            TRY(mxi_rule_scale(d, a, 0.5, s));
        }
        break;
    case MXI_PRIM_EXP:
        *d = mx_array_retain(y);
        break;
    case MXI_PRIM_EXPM1:
        TRY(mx_exp(d, x, s));
        break;
    case MXI_PRIM_ERF:
        TRY(mx_square(&a, x, s));
        TRY(mx_negative(&a, a, s));
        TRY(scaled(d, mx_exp, a, 2.0 / sqrt(M_PI), s));
        break;
    case MXI_PRIM_ERF_INV:
        TRY(mx_square(&a, y, s));
        TRY(scaled(d, mx_exp, a, sqrt(M_PI) / 2.0, s));
        break;
    case MXI_PRIM_SIN:
        TRY(mx_cos(d, x, s));
        break;
    case MXI_PRIM_COS:
        TRY(scaled(d, mx_sin, x, -1.0, s));
        break;
    case MXI_PRIM_TAN:
        TRY(mx_cos(&a, x, s));
        TRY(mx_square(&a, a, s));
        TRY(mx_reciprocal(d, a, s));
        break;
    case MXI_PRIM_ARC_SIN:
        TRY(inv_of_quadratic(d, x, 1.0, -1.0, mx_sqrt, s));
        break;
    case MXI_PRIM_ARC_COS:
        TRY(inv_of_quadratic(&a, x, 1.0, -1.0, mx_sqrt, s));
        TRY(mx_negative(d, a, s));
        break;
    case MXI_PRIM_ARC_TAN:
        TRY(inv_of_quadratic(d, x, 1.0, 1.0, NULL, s));
        break;
    case MXI_PRIM_SINH:
        TRY(mx_cosh(d, x, s));
        break;
    case MXI_PRIM_COSH:
        TRY(mx_sinh(d, x, s));
        break;
    case MXI_PRIM_TANH:
        /* 1 - y^2 */
        TRY(mx_square(&a, y, s));
        TRY(mxi_rule_const(&b, 1.0, y->dtype));
        TRY(mx_subtract(d, b, a, s));
        break;
    case MXI_PRIM_ARC_SINH:
        TRY(inv_of_quadratic(d, x, 1.0, 1.0, mx_sqrt, s));
        break;
    case MXI_PRIM_ARC_COSH:
        TRY(inv_of_quadratic(d, x, -1.0, 1.0, mx_sqrt, s));
        break;
    case MXI_PRIM_ARC_TANH:
        TRY(inv_of_quadratic(d, x, 1.0, -1.0, NULL, s));
        break;
    case MXI_PRIM_LOG: {
        static const double scale[] = {1.0, 1.0 / M_LN2, 1.0 / M_LN10};
        int base = ((const mxi_log_params *)node->params)->base;
        TRY(scaled(d, mx_reciprocal, x, scale[base], s));
        break;
    }
    case MXI_PRIM_LOG1P:
        TRY(mxi_rule_const(&b, 1.0, x->dtype));
        TRY(mx_add(&a, x, b, s));
        TRY(mx_reciprocal(d, a, s));
        break;
    case MXI_PRIM_SIGMOID:
        /* y * (1 - y) */
        TRY(mxi_rule_const(&b, 1.0, y->dtype));
        TRY(mx_subtract(&a, b, y, s));
        TRY(mx_multiply(d, y, a, s));
        break;
    case MXI_PRIM_NAN_TO_NUM:
        /* Replaced values are constants. */
        TRY(mx_isfinite(&a, x, s));
        TRY(mx_astype(d, a, x->dtype, s));
        break;
    default: /* zero: sign, rounding, predicates, logical not */
        break;
    }
done:
    mx_array_free(a);
    mx_array_free(b);
    return rc;
}

/* Clip (a, [min], [max]) is maximum then minimum, with MLX's tie rules:
 * a gets g where min < a < max, min where a <= min < max, max where
 * max(a, min) >= max. */
static int clip_masks(const mxi_node *node, mx_array *const *in, mx_array **masks) {
    const mxi_clip_params *p = node->params;
    const mx_stream *s = S;
    mx_array *a = in[0], *lo = p->has_min ? in[1] : NULL,
             *hi = p->has_max ? in[1 + p->has_min] : NULL;
    mx_array *m = NULL, *below = NULL, *t = NULL, *inside_hi = NULL;
    int rc = MX_OK;
    if (lo)
        TRY(mx_maximum(&m, a, lo, s));
    else
        m = mx_array_retain(a);
    if (hi) TRY(mx_less(&inside_hi, m, hi, s));
    /* a */
    if (lo) TRY(mx_greater(&t, a, lo, s));
    if (t && inside_hi)
        TRY(mx_logical_and(&masks[0], t, inside_hi, s));
    else
        masks[0] = mx_array_retain(t ? t : inside_hi);
    mx_array_free(t);
    t = NULL;
    if (lo) {
        TRY(mx_less_equal(&below, a, lo, s));
        if (inside_hi)
            TRY(mx_logical_and(&masks[1], below, inside_hi, s));
        else
            masks[1] = mx_array_retain(below);
    }
    if (hi) TRY(mx_greater_equal(&masks[1 + p->has_min], m, hi, s));
done:
    mx_array_free(m);
    mx_array_free(below);
    mx_array_free(t);
    mx_array_free(inside_hi);
    return rc;
}

/* Reverse: out[k] = g * mask; forward: out[0] = sum of t_k * mask. */
static int clip_rule(const mxi_node *node, mx_array *const *primals, mx_array *const *vals,
                     const int *argnums, int n, mx_array **out, bool forward) {
    mx_array *masks[3] = {0}, *term = NULL;
    int rc = clip_masks(node, primals, masks);
    if (rc) goto done;
    for (int k = 0; k < n; k++) {
        if (!forward) {
            TRY(mx_multiply(&out[k], vals[0], masks[argnums[k]], S));
            continue;
        }
        TRY(mx_multiply(&term, vals[k], masks[argnums[k]], S));
        if (out[0])
            TRY(mx_add(&out[0], out[0], term, S));
        else
            out[0] = mx_array_retain(term);
    }
done:
    for (int i = 0; i < 3; i++) mx_array_free(masks[i]);
    mx_array_free(term);
    return rc;
}

/* The linear primitives applied to a cotangent (reverse) or tangent. */
static int linear(mx_array **out, const mxi_node *node, mx_array *v, bool forward) {
    switch (node->kind) {
    case MXI_PRIM_NEGATIVE:
        return mx_negative(out, v, S);
    case MXI_PRIM_CONJUGATE:
        return mx_conjugate(out, v, S);
    case MXI_PRIM_REAL:
        return forward ? mx_real(out, v, S) : mx_astype(out, v, MX_COMPLEX64, S);
    case MXI_PRIM_IMAG: {
        if (forward) return mx_imag(out, v, S);
        /* MLX: the cotangent of imag is i * g */
        mx_array *j = NULL;
        int rc = mx_array_from_complex(&j, 0.0f, 1.0f);
        if (!rc) rc = mx_multiply(out, j, v, S);
        mx_array_free(j);
        return rc;
    }
    default:
        return -1;
    }
}

static int unary_rule(const mxi_node *node, mx_array *const *primals, mx_array *const *vals,
                      const int *argnums, int n, mx_array **out, bool forward) {
    if (node->kind == MXI_PRIM_CLIP)
        return clip_rule(node, primals, vals, argnums, n, out, forward);
    int rc = linear(out, node, vals[0], forward);
    if (rc != -1) return rc;
    mx_array *d = NULL;
    rc = factor(&d, node, primals[0], node->outputs[0]);
    if (!rc && d) rc = mx_multiply(out, vals[0], d, S);
    mx_array_free(d);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_unary) {
    return unary_rule(node, primals, cotangents, argnums, n_argnums, out, false);
}

MXI_JVP_RULE(mxi_jvp_unary) {
    return unary_rule(node, primals, tangents, argnums, n_argnums, out, true);
}

/* Zero derivative: nothing flows. */
MXI_VJP_RULE(mxi_vjp_zero) {
    (void)node, (void)primals, (void)cotangents, (void)argnums, (void)n_argnums, (void)out;
    return MX_OK;
}

MXI_JVP_RULE(mxi_jvp_zero) {
    (void)node, (void)primals, (void)tangents, (void)argnums, (void)n_argnums, (void)out;
    return MX_OK;
}

MXI_VMAP_RULE(mxi_vmap_unary) {
    return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
}
