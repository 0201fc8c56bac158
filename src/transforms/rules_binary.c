/*
 * Derivatives of the elementwise binary and ternary primitives. For each
 * differentiated input k there is a partial derivative P_k (an array, or a
 * constant +-1), so that reverse mode gives g * P_k summed back to the
 * input's shape and forward mode the sum of t_k * P_k. Comparisons, logical
 * ops, floor division and divmod have zero derivative (as in MLX); bitwise
 * ops and shifts have none.
 */
#include "rules_util.h"

typedef struct partial {
    mx_array *p; /* NULL: the constant sign */
    double sign;
} partial;

static int partial_of(partial *out, const mxi_node *node, mx_array *const *in, int k) {
    const mx_stream *s = S;
    mx_array *a = in[0], *b = in[1], *y = node->outputs[0];
    mx_array *t = NULL, *u = NULL, *z = NULL;
    int rc = MX_OK;
    out->p = NULL;
    out->sign = 1.0;
    switch (node->kind) {
    case MXI_PRIM_ADD:
        break;
    case MXI_PRIM_SUBTRACT:
        out->sign = k ? -1.0 : 1.0;
        break;
    case MXI_PRIM_MULTIPLY:
        out->p = mx_array_retain(k ? a : b);
        break;
    case MXI_PRIM_DIVIDE:
        if (k == 0) {
            TRY(mx_reciprocal(&out->p, b, s));
        } else {
            TRY(mx_divide(&t, y, b, s));
            TRY(mx_negative(&out->p, t, s));
        }
        break;
    case MXI_PRIM_REMAINDER:
        if (k == 1) {
            /* a - b * floor(a / b) */
            TRY(mx_divide(&t, a, b, s));
            TRY(mx_floor(&u, t, s));
            TRY(mx_negative(&out->p, u, s));
        }
        break;
    case MXI_PRIM_POWER:
        if (k == 0) {
            TRY(mxi_rule_const(&z, 1.0, b->dtype));
            TRY(mx_subtract(&t, b, z, s));
            TRY(mx_power(&u, a, t, s));
            TRY(mx_multiply(&out->p, u, b, s));
        } else {
            /* y * log(a), with 0 * log(0) taken as 0 */
            TRY(mx_log(&t, a, s));
            TRY(mx_multiply(&u, t, y, s));
            TRY(mxi_rule_const(&z, 0.0, u->dtype));
            mx_array_free(t);
            t = NULL;
            TRY(mx_not_equal(&t, y, z, s));
            TRY(mx_where(&out->p, t, u, z, s));
        }
        break;
    case MXI_PRIM_MAXIMUM:
        TRY(k ? mx_less_equal(&out->p, a, b, s) : mx_greater(&out->p, a, b, s));
        break;
    case MXI_PRIM_MINIMUM:
        TRY(k ? mx_greater_equal(&out->p, a, b, s) : mx_less(&out->p, a, b, s));
        break;
    case MXI_PRIM_LOG_ADD_EXP:
        TRY(mx_subtract(&t, k ? b : a, y, s));
        TRY(mx_exp(&out->p, t, s));
        break;
    case MXI_PRIM_ARCTAN2:
        /* arctan2(a, b): da = b / (a^2 + b^2), db = -a / (a^2 + b^2) */
        TRY(mx_square(&t, a, s));
        TRY(mx_square(&u, b, s));
        TRY(mx_add(&t, t, u, s));
        TRY(mx_divide(&out->p, k ? a : b, t, s));
        if (k) TRY(mx_negative(&out->p, out->p, s));
        break;
    default:
        rc = mxi_error(MX_ERR_RUNTIME, "[transforms] no binary rule for %s",
                       mxi_primitives[node->kind].name);
    }
done:
    mx_array_free(t);
    mx_array_free(u);
    mx_array_free(z);
    return rc;
}

/* v * P (v given; a new reference). */
static int apply_partial(mx_array **out, const partial *p, mx_array *v, const mx_stream *s) {
    if (p->p) return mx_multiply(out, v, p->p, s);
    if (p->sign < 0) return mx_negative(out, v, s);
    mxi_set_out(out, mx_array_retain(v));
    return MX_OK;
}

/* Select (cond, x, y): x takes g where cond holds, y elsewhere. */
static int select_rule(const mxi_node *node, mx_array *const *in, mx_array *const *vals,
                       const int *argnums, int n, mx_array **out, bool forward) {
    mx_array *z = NULL, *tx = NULL, *ty = NULL;
    int rc = MX_OK;
    if (!forward) {
        TRY(mx_zeros_like(&z, vals[0], vals[0]->dtype, S));
        for (int k = 0; k < n; k++) {
            if (argnums[k] == 0) continue;
            mx_array *sel = NULL;
            TRY(argnums[k] == 1 ? mx_where(&sel, in[0], vals[0], z, S)
                                : mx_where(&sel, in[0], z, vals[0], S));
            rc = mxi_rule_unbroadcast(&out[k], sel, in[argnums[k]], S);
            mx_array_free(sel);
            if (rc) goto done;
        }
    } else {
        for (int k = 0; k < n; k++) {
            if (argnums[k] == 1) tx = mx_array_retain(vals[k]);
            if (argnums[k] == 2) ty = mx_array_retain(vals[k]);
        }
        if (!tx && !ty) goto done;
        if (!tx) TRY(mx_zeros_like(&tx, ty, ty->dtype, S));
        if (!ty) TRY(mx_zeros_like(&ty, tx, tx->dtype, S));
        TRY(mx_where(&out[0], in[0], tx, ty, S));
    }
done:
    mx_array_free(z);
    mx_array_free(tx);
    mx_array_free(ty);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_binary) {
    if (node->kind == MXI_PRIM_SELECT)
        return select_rule(node, primals, cotangents, argnums, n_argnums, out, false);
    int rc = MX_OK;
    for (int k = 0; k < n_argnums && !rc; k++) {
        partial p;
        mx_array *v = NULL;
        rc = partial_of(&p, node, primals, argnums[k]);
        if (!rc) rc = apply_partial(&v, &p, cotangents[0], S);
        if (!rc) rc = mxi_rule_unbroadcast(&out[k], v, primals[argnums[k]], S);
        mx_array_free(p.p);
        mx_array_free(v);
    }
    return rc;
}

MXI_JVP_RULE(mxi_jvp_binary) {
    if (node->kind == MXI_PRIM_SELECT)
        return select_rule(node, primals, tangents, argnums, n_argnums, out, true);
    int rc = MX_OK;
    mx_array *acc = NULL;
    for (int k = 0; k < n_argnums && !rc; k++) {
        partial p;
        mx_array *v = NULL;
        rc = partial_of(&p, node, primals, argnums[k]);
        if (!rc) rc = apply_partial(&v, &p, tangents[k], S);
        if (!rc && acc)
            rc = mx_add(&acc, acc, v, S);
        else if (!rc)
            acc = mx_array_retain(v);
        mx_array_free(p.p);
        mx_array_free(v);
    }
    const mx_array *y = node->outputs[0];
    if (!rc && !mxi_same_shape_impl_raw(acc->shape, acc->ndim, y->shape, y->ndim))
        rc = mx_broadcast_to(&acc, acc, y->shape, y->ndim, S);
    if (!rc)
        out[0] = acc;
    else
        mx_array_free(acc);
    return rc;
}

MXI_VMAP_RULE(mxi_vmap_binary) {
    return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
}
