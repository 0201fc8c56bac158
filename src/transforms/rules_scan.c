/*
 * Derivatives of the cumulative scans. With the same direction flags:
 *   sum:  reverse mode is the cumulative sum the other way;
 *   prod: before the first zero along the axis, g -> cumsum(g * y, other
 *         way) / x; at the first zero, the scan of the input with that zero
 *         made 1 gives the rest; after it, zero (prod_rule);
 *   max/min: each output came from one input, the last one (in scan
 *         order) equal to the running extremum; g goes back there;
 *   logaddexp: weights exp(x_k - y_i), computed against a common shift.
 */
#include "primitives/params_scan.h"
#include "rules_util.h"

/* For a forward inclusive max/min scan of x along axis: the position each
 * output was taken from (int32, x's shape). */
static int source_positions(mx_array **idx, const mxi_node *node, mx_array *x, int axis,
                            bool is_max) {
    mx_array *y = NULL, *m = NULL, *pos = NULL, *posr = NULL, *neg = NULL, *cand = NULL;
    int32_t shape[64];
    int rc = MX_OK;
    for (int d = 0; d < x->ndim; d++) shape[d] = d == axis ? x->shape[d] : 1;
    TRY(is_max ? mx_cummax_axis(&y, x, axis, false, true, S)
               : mx_cummin_axis(&y, x, axis, false, true, S));
    TRY(mx_equal(&m, x, y, S));
    TRY(mx_arange(&pos, 0, x->shape[axis], 1, MX_INT32, S));
    TRY(mx_reshape(&posr, pos, shape, x->ndim, S));
    TRY(mx_array_from_int(&neg, -1, MX_INT32));
    TRY(mx_where(&cand, m, posr, neg, S));
    TRY(mx_cummax_axis(idx, cand, axis, false, true, S));
done:
    mx_array_free(y);
    mx_array_free(m);
    mx_array_free(pos);
    mx_array_free(posr);
    mx_array_free(neg);
    mx_array_free(cand);
    return rc;
}

/* a[..., lo:hi, ...] along axis. */
static int range(mx_array **out, mx_array *a, int axis, int lo, int hi, const mx_stream *s) {
    int32_t start[64] = {0}, stop[64];
    for (int d = 0; d < a->ndim; d++) stop[d] = a->shape[d];
    start[axis] = lo;
    stop[axis] = hi;
    return mx_slice(out, a, start, stop, NULL, a->ndim, s);
}

static int extremum_rule(const mxi_node *node, mx_array *x0, mx_array *v0, mx_array **out,
                         bool forward) {
    const mxi_scan_params *p = node->params;
    int axis = p->axis, n = x0->shape[axis];
    mx_array *x = NULL, *v = NULL, *idx = NULL, *is = NULL, *vs = NULL, *z = NULL, *r = NULL,
             *pad = NULL;
    int rc = MX_OK;
    if (p->reverse) {
        TRY(mx_flip_axis(&x, x0, axis, S));
        TRY(mx_flip_axis(&v, v0, axis, S));
    } else {
        x = mx_array_retain(x0);
        v = mx_array_retain(v0);
    }
    TRY(source_positions(&idx, node, x, axis, p->type == MXI_SCAN_MAX));
    if (p->inclusive) {
        is = mx_array_retain(idx);
        vs = mx_array_retain(v);
    } else if (n > 1) {
        /* output i (> 0) is the inclusive output i - 1 */
        TRY(range(&is, idx, axis, 0, n - 1, S));
        TRY(range(&vs, v, axis, forward ? 0 : 1, forward ? n - 1 : n, S));
    }
    if (!forward) {
        TRY(mx_zeros_like(&z, x, v->dtype, S));
        if (is)
            TRY(mx_scatter_add_axis(&r, z, is, vs, axis, S));
        else
            r = mx_array_retain(z);
    } else {
        if (is) TRY(mx_take_along_axis(&r, v, is, axis, S));
        if (!p->inclusive) {
            TRY(range(&z, v, axis, 0, n ? 1 : 0, S));
            TRY(mx_zeros_like(&pad, z, v->dtype, S));
            if (r) {
                mx_array *both[2] = {pad, r};
                mx_array *c = NULL;
                TRY(mx_concatenate(&c, (const mx_array *const *)both, 2, axis, S));
                mx_array_free(r);
                r = c;
            } else {
                r = mx_array_retain(pad);
            }
        }
    }
    if (p->reverse)
        TRY(mx_flip_axis(out, r, axis, S));
    else
        *out = mx_array_retain(r);
done:
    mx_array_free(x);
    mx_array_free(v);
    mx_array_free(idx);
    mx_array_free(is);
    mx_array_free(vs);
    mx_array_free(z);
    mx_array_free(r);
    mx_array_free(pad);
    return rc;
}

/* x shifted by one along axis, with one element of value fill coming in:
 * first (dropping the last) or, back, last (dropping the first). An
 * exclusive scan is the inclusive scan of the forward shift by the
 * identity; derivatives shift back. */
static int shift(mx_array **out, mx_array *x, int axis, bool back, double fill,
                 const mx_stream *s) {
    int n = x->shape[axis];
    mx_array *part = NULL, *edge = NULL, *f = NULL, *c = NULL, *both[2];
    int rc = MX_OK;
    if (n == 0) return (*out = mx_array_retain(x)), MX_OK;
    TRY(range(&part, x, axis, back ? 1 : 0, back ? n : n - 1, s));
    TRY(range(&edge, x, axis, 0, 1, s));
    TRY(mxi_rule_const(&c, fill, x->dtype));
    TRY(mx_full_like(&f, edge, c, x->dtype, s));
    both[0] = back ? part : f;
    both[1] = back ? f : part;
    rc = mx_concatenate(out, (const mx_array *const *)both, 2, axis, s);
done:
    mx_array_free(part);
    mx_array_free(edge);
    mx_array_free(f);
    mx_array_free(c);
    return rc;
}

/* The derivatives of a forward inclusive cumulative product that stay
 * finite where x has zeros. With z the first zero along the axis, x~ = x
 * with x_z made 1 and P~ its cumulative product:
 *   vjp: dx_k = cumsum(g y, backward)_k / x_k for k < z, the backward
 *        cumsum of g P~ at z, 0 after;
 *   jvp: dy_i = y_i cumsum(t / x)_i for i < z, t_z P~_i while x has one
 *        zero up to i, 0 after a second one. */
static int prod_forward_inclusive(const mxi_node *node, mx_array *x, mx_array *v, mx_array **out,
                                  bool forward) {
    const mx_stream *s = S;
    int axis = ((const mxi_scan_params *)node->params)->axis;
    mx_array *zero = NULL, *one = NULL, *isz = NULL, *cz = NULL, *before = NULL, *first = NULL,
             *czone = NULL, *xt = NULL, *pt = NULL, *y = NULL, *xs = NULL, *a = NULL, *b = NULL,
             *c = NULL, *d = NULL;
    int rc = MX_OK;
    TRY(mxi_rule_const(&zero, 0.0, x->dtype));
    TRY(mxi_rule_const(&one, 1.0, x->dtype));
    TRY(mx_equal(&isz, x, zero, s));
    TRY(mx_cumsum_axis(&cz, isz, axis, false, true, MX_INT32, s));
    TRY(mx_array_from_int(&a, 0, MX_INT32));
    TRY(mx_equal(&before, cz, a, s));
    mx_array_free(a);
    a = NULL;
    TRY(mx_array_from_int(&a, 1, MX_INT32));
    TRY(mx_equal(&czone, cz, a, s));
    TRY(mx_logical_and(&first, isz, czone, s));
    TRY(mx_where(&xt, first, one, x, s));
    TRY(mx_cumprod_axis(&pt, xt, axis, false, true, MX_DTYPE_NONE, s));
    TRY(mx_cumprod_axis(&y, x, axis, false, true, MX_DTYPE_NONE, s));
    TRY(mx_where(&xs, before, x, one, s)); /* no zeros: safe to divide by */
    mx_array_free(a);
    a = NULL;
    if (!forward) {
        TRY(mx_multiply(&a, v, y, s));
        TRY(mx_cumsum_axis(&b, a, axis, true, true, MX_DTYPE_NONE, s));
        TRY(mx_divide(&c, b, xs, s));
        mx_array_free(a);
        mx_array_free(b);
        a = b = NULL;
        TRY(mx_multiply(&a, v, pt, s));
        TRY(mx_cumsum_axis(&b, a, axis, true, true, MX_DTYPE_NONE, s));
        TRY(mx_where(&d, first, b, zero, s));
        TRY(mx_where(out, before, c, d, s));
    } else {
        TRY(mx_divide(&a, v, xs, s));
        TRY(mx_where(&b, before, a, zero, s));
        mx_array_free(a);
        a = NULL;
        TRY(mx_cumsum_axis(&a, b, axis, false, true, MX_DTYPE_NONE, s));
        TRY(mx_multiply(&c, y, a, s));
        mx_array_free(a);
        mx_array_free(b);
        a = b = NULL;
        TRY(mx_where(&a, first, v, zero, s));
        TRY(mx_cumsum_axis(&b, a, axis, false, true, MX_DTYPE_NONE, s));
        TRY(mx_multiply(&d, b, pt, s));
        mx_array_free(a);
        a = NULL;
        TRY(mx_where(&a, czone, d, zero, s));
        TRY(mx_where(out, before, c, a, s));
    }
done:
    mx_array_free(zero);
    mx_array_free(one);
    mx_array_free(isz);
    mx_array_free(cz);
    mx_array_free(before);
    mx_array_free(first);
    mx_array_free(czone);
    mx_array_free(xt);
    mx_array_free(pt);
    mx_array_free(y);
    mx_array_free(xs);
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(c);
    mx_array_free(d);
    return rc;
}

/* Any direction: flips make it forward, a shift makes it inclusive. */
static int prod_rule(const mxi_node *node, mx_array *x0, mx_array *v0, mx_array **out,
                     bool forward) {
    const mxi_scan_params *p = node->params;
    int axis = p->axis;
    mx_array *x = NULL, *v = NULL, *r = NULL, *t = NULL;
    int rc = MX_OK;
    if (p->reverse) {
        TRY(mx_flip_axis(&x, x0, axis, S));
        TRY(mx_flip_axis(&v, v0, axis, S));
    } else {
        x = mx_array_retain(x0);
        v = mx_array_retain(v0);
    }
    if (!p->inclusive) {
        TRY(shift(&t, x, axis, false, 1.0, S));
        mx_array_free(x);
        x = t;
        t = NULL;
        if (forward) { /* the tangent moves with x; the 1 put in has none */
            TRY(shift(&t, v, axis, false, 0.0, S));
            mx_array_free(v);
            v = t;
            t = NULL;
        }
    }
    TRY(prod_forward_inclusive(node, x, v, &r, forward));
    if (!p->inclusive && !forward) {
        TRY(shift(&t, r, axis, true, 0.0, S));
        mx_array_free(r);
        r = t;
        t = NULL;
    }
    if (p->reverse)
        TRY(mx_flip_axis(out, r, axis, S));
    else
        *out = mx_array_retain(r);
done:
    mx_array_free(x);
    mx_array_free(v);
    mx_array_free(r);
    mx_array_free(t);
    return rc;
}

static int scan_rule(const mxi_node *node, mx_array *x, mx_array *v, mx_array **out, bool forward) {
    const mxi_scan_params *p = node->params;
    int axis = p->axis;
    bool rev = p->reverse, inc = p->inclusive;
    mx_array *y = node->outputs[0], *a = NULL, *b = NULL, *m = NULL, *c = NULL;
    int rc = MX_OK;
    switch (p->type) {
    case MXI_SCAN_SUM:
        if (forward) return mxi_rule_reapply(out, node, &v, y->dtype);
        return mx_cumsum_axis(out, v, axis, !rev, inc, MX_DTYPE_NONE, S);
    case MXI_SCAN_PROD:
        return prod_rule(node, x, v, out, forward);
    case MXI_SCAN_MAX:
    case MXI_SCAN_MIN:
        return extremum_rule(node, x, v, out, forward);
    case MXI_SCAN_LOGADDEXP:
        if (forward) {
            /* exp(m - y) * cumsum(t * exp(x - m)), m = max(x) */
            TRY(mx_max_axis(&m, x, axis, true, S));
            TRY(mx_subtract(&a, x, m, S));
            TRY(mx_exp(&a, a, S));
            TRY(mx_multiply(&a, v, a, S));
            TRY(mx_cumsum_axis(&b, a, axis, rev, inc, MX_DTYPE_NONE, S));
            TRY(mx_subtract(&c, m, y, S));
            TRY(mx_exp(&c, c, S));
            TRY(mx_multiply(out, b, c, S));
        } else {
            /* exp(x - m) * cumsum(g * exp(m - y), other way), m = max(x) */
            TRY(mx_max_axis(&m, x, axis, true, S));
            TRY(mx_subtract(&a, m, y, S));
            TRY(mx_exp(&a, a, S));
            TRY(mx_multiply(&a, v, a, S));
            TRY(mx_cumsum_axis(&b, a, axis, !rev, inc, MX_DTYPE_NONE, S));
            TRY(mx_subtract(&c, x, m, S));
            TRY(mx_exp(&c, c, S));
            TRY(mx_multiply(out, b, c, S));
        }
        break;
    default:
        rc = mxi_error(MX_ERR_RUNTIME, "[transforms] unknown scan type %d", p->type);
    }
done:
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(m);
    mx_array_free(c);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_scan) {
    (void)argnums, (void)n_argnums;
    return scan_rule(node, primals[0], cotangents[0], out, false);
}

MXI_JVP_RULE(mxi_jvp_scan) {
    (void)argnums, (void)n_argnums;
    return scan_rule(node, primals[0], tangents[0], out, true);
}

MXI_VMAP_RULE(mxi_vmap_scan) {
    mxi_scan_params p = *(const mxi_scan_params *)node->params;
    int32_t b = mxi_vmap_size(inputs, in_axes, 1);
    mx_array *f = NULL;
    p.axis++;
    int rc = mxi_vmap_front(&f, inputs[0], in_axes[0], b, S);
    if (!rc) rc = mxi_vmap_remake(outputs, node, &p, &f, b);
    out_axes[0] = 0;
    mx_array_free(f);
    return rc;
}
