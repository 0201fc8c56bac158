/*
 * Derivatives of the sampling primitives with respect to their parameter
 * arrays (the key is never differentiated). uniform(low, high) is
 * low + (high - low) u, so d/dlow = 1 - u and d/dhigh = u with
 * u = (y - low) / (high - low). A permutation of an array is a selection.
 * Bernoulli, randint and categorical give integers or booleans: zero. Bits,
 * normal, gumbel and laplace have only the key (no rule, as MLX's
 * RandomBits); the multivariate normal's CovSqrt has none yet.
 */
#include <math.h>

#include "rules_util.h"

static int uniform_partial(mx_array **out, const mxi_node *node, mx_array *const *in, int k) {
    mx_array *y = node->outputs[0], *num = NULL, *den = NULL, *u = NULL, *one = NULL;
    int rc = MX_OK;
    TRY(mx_subtract(&num, y, in[1], S));
    TRY(mx_subtract(&den, in[2], in[1], S));
    TRY(mx_divide(&u, num, den, S));
    if (k == 2) {
        *out = mx_array_retain(u);
    } else {
        TRY(mxi_rule_const(&one, 1.0, u->dtype));
        TRY(mx_subtract(out, one, u, S));
    }
done:
    mx_array_free(num);
    mx_array_free(den);
    mx_array_free(u);
    mx_array_free(one);
    return rc;
}

/* truncated_normal(lo, hi) is sqrt(2) erfinv(u) for u uniform between
 * erf(lo / sqrt 2) and erf(hi / sqrt 2): d/dlo = exp((y^2 - lo^2) / 2) (1 - w),
 * d/dhi = exp((y^2 - hi^2) / 2) w, with w the position of erf(y / sqrt 2)
 * between the two. */
static int truncated_partial(mx_array **out, const mxi_node *node, mx_array *const *in, int k) {
    mx_array *y = node->outputs[0], *r2 = NULL, *e[3] = {0}, *num = NULL, *den = NULL, *w = NULL,
             *one = NULL, *y2 = NULL, *b2 = NULL, *ex = NULL, *f = NULL;
    int rc = MX_OK;
    TRY(mxi_rule_const(&r2, M_SQRT1_2, y->dtype));
    mx_array *vals[3] = {y, in[1], in[2]};
    for (int i = 0; i < 3; i++) {
        mx_array *t = NULL;
        rc = mx_multiply(&t, vals[i], r2, S);
        if (!rc) rc = mx_erf(&e[i], t, S);
        mx_array_free(t);
        if (rc) goto done;
    }
    TRY(mx_subtract(&num, e[0], e[1], S));
    TRY(mx_subtract(&den, e[2], e[1], S));
    TRY(mx_divide(&w, num, den, S));
    if (k == 1) {
        TRY(mxi_rule_const(&one, 1.0, y->dtype));
        TRY(mx_subtract(&f, one, w, S));
    } else {
        f = mx_array_retain(w);
    }
    TRY(mx_square(&y2, y, S));
    TRY(mx_square(&b2, in[k], S));
    TRY(mx_subtract(&y2, y2, b2, S));
    TRY(mxi_rule_scale(&y2, y2, 0.5, S));
    TRY(mx_exp(&ex, y2, S));
    TRY(mx_multiply(out, ex, f, S));
done:
    mx_array_free(r2);
    for (int i = 0; i < 3; i++) mx_array_free(e[i]);
    mx_array_free(num);
    mx_array_free(den);
    mx_array_free(w);
    mx_array_free(one);
    mx_array_free(y2);
    mx_array_free(b2);
    mx_array_free(ex);
    mx_array_free(f);
    return rc;
}

static int sample_partial(mx_array **out, const mxi_node *node, mx_array *const *in, int k) {
    if (node->kind == MXI_PRIM_RANDOM_TRUNCATED_NORMAL) return truncated_partial(out, node, in, k);
    return uniform_partial(out, node, in, k);
}

MXI_VJP_RULE(mxi_vjp_random) {
    int rc = MX_OK;
    for (int k = 0; k < n_argnums && !rc; k++) {
        int a = argnums[k];
        if (a == 0) continue;
        if (node->kind == MXI_PRIM_RANDOM_PERMUTATION) {
            rc = mxi_rule_vjp_by_positions(&out[k], node, primals, a, cotangents[0]);
        } else if (node->kind == MXI_PRIM_RANDOM_UNIFORM ||
                   node->kind == MXI_PRIM_RANDOM_TRUNCATED_NORMAL) {
            mx_array *d = NULL, *v = NULL;
            rc = sample_partial(&d, node, primals, a);
            if (!rc) rc = mx_multiply(&v, cotangents[0], d, S);
            if (!rc) rc = mxi_rule_unbroadcast(&out[k], v, primals[a], S);
            mx_array_free(d);
            mx_array_free(v);
        } else {
            rc = mxi_error(MX_ERR_VALUE, "[vjp] %s is not differentiable",
                           mxi_primitives[node->kind].name);
        }
    }
    return rc;
}

MXI_JVP_RULE(mxi_jvp_random) {
    int rc = MX_OK;
    for (int k = 0; k < n_argnums && !rc; k++) {
        int a = argnums[k];
        if (a == 0) continue;
        mx_array *v = NULL;
        if (node->kind == MXI_PRIM_RANDOM_PERMUTATION) {
            mx_array *ins[2] = {primals[0], tangents[k]};
            rc = mxi_rule_reapply(&v, node, ins, node->outputs[0]->dtype);
        } else if (node->kind == MXI_PRIM_RANDOM_UNIFORM ||
                   node->kind == MXI_PRIM_RANDOM_TRUNCATED_NORMAL) {
            mx_array *d = NULL;
            rc = sample_partial(&d, node, primals, a);
            if (!rc) rc = mx_multiply(&v, tangents[k], d, S);
            mx_array_free(d);
        } else {
            rc = mxi_error(MX_ERR_VALUE, "[jvp] %s is not differentiable",
                           mxi_primitives[node->kind].name);
        }
        if (!rc && out[0])
            rc = mx_add(&out[0], out[0], v, S);
        else if (!rc)
            out[0] = mx_array_retain(v);
        mx_array_free(v);
    }
    return rc;
}
