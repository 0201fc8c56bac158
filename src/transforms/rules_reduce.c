/*
 * Derivatives of the reductions. Reduce, LogSumExp and Median keep the
 * reduced axes with size 1, so cotangents broadcast straight back onto the
 * input. Each reduction r(x) has a weight W(x) of the input's shape with
 * reverse mode g * W and forward mode sum(t * W) over the reduced axes:
 * ones for sum, the product of the other elements for prod (built from two
 * exclusive cumulative products, so zeros are handled), the tie-shared
 * indicator of the extremum for min/max (as MLX), softmax weights for
 * logsumexp. Softmax and Trace have their own. ArgReduce and the boolean
 * reductions have zero derivative.
 */
#include <stdlib.h>
#include <string.h>

#include "primitives/params.h"
#include "primitives/params_reduce.h"
#include "rules_util.h"

/* The product of the other elements of each reduced group. */
static int prod_weight(mx_array **out, const mxi_node *node, mx_array *x, const int32_t *axes,
                       int naxes) {
    int nd = x->ndim, perm[64], inv[64], np = 0;
    bool red[64] = {0};
    for (int i = 0; i < naxes; i++) red[axes[i]] = true;
    for (int d = 0; d < nd; d++)
        if (!red[d]) perm[np++] = d;
    for (int d = 0; d < nd; d++)
        if (red[d]) perm[np++] = d;
    for (int i = 0; i < nd; i++) inv[perm[i]] = i;
    int32_t flat[65], tshape[64];
    int kept = nd - naxes;
    int32_t r = 1;
    for (int i = 0; i < nd; i++) {
        tshape[i] = x->shape[perm[i]];
        if (i < kept)
            flat[i] = tshape[i];
        else
            r *= tshape[i];
    }
    flat[kept] = r;
    mx_array *xt = NULL, *xf = NULL, *lo = NULL, *hi = NULL, *w = NULL, *wt = NULL;
    int rc = MX_OK;
    TRY(mx_transpose(&xt, x, perm, nd, S));
    TRY(mx_reshape(&xf, xt, flat, kept + 1, S));
    TRY(mx_cumprod_axis(&lo, xf, kept, false, false, MX_DTYPE_NONE, S));
    TRY(mx_cumprod_axis(&hi, xf, kept, true, false, MX_DTYPE_NONE, S));
    TRY(mx_multiply(&w, lo, hi, S));
    TRY(mx_reshape(&wt, w, tshape, nd, S));
    TRY(mx_transpose(out, wt, inv, nd, S));
done:
    mx_array_free(xt);
    mx_array_free(xf);
    mx_array_free(lo);
    mx_array_free(hi);
    mx_array_free(w);
    mx_array_free(wt);
    return rc;
}

/* W for Reduce (sum: NULL meaning ones), LogSumExp. */
static int weight(mx_array **w, const mxi_node *node, mx_array *x) {
    mx_array *y = node->outputs[0], *m = NULL, *n = NULL, *d = NULL;
    int rc = MX_OK;
    if (node->kind == MXI_PRIM_LOGSUMEXP) {
        TRY(mx_subtract(&d, x, y, S));
        TRY(mx_exp(w, d, S));
        goto done;
    }
    const mxi_reduce_params *p = node->params;
    switch (p->type) {
    case MXI_REDUCE_SUM:
        break;
    case MXI_REDUCE_PROD:
        TRY(prod_weight(w, node, x, p->axes, p->naxes));
        break;
    case MXI_REDUCE_MIN:
    case MXI_REDUCE_MAX:
        /* ties share the gradient equally */
        TRY(mx_equal(&m, x, y, S));
        TRY(mx_astype(&m, m, x->dtype, S));
        TRY(mx_sum_axes(&n, m, p->axes, p->naxes, true, S));
        TRY(mx_divide(w, m, n, S));
        break;
    default:
        rc = mxi_error(MX_ERR_VALUE, "[transforms] boolean reductions are not differentiable");
    }
done:
    mx_array_free(m);
    mx_array_free(n);
    mx_array_free(d);
    return rc;
}

static void reduced_axes(const mxi_node *node, const int32_t **axes, int *naxes) {
    if (node->kind == MXI_PRIM_REDUCE) {
        const mxi_reduce_params *p = node->params;
        *axes = p->axes;
        *naxes = p->naxes;
    } else {
        const mxi_axes_params *p = node->params;
        *axes = p->axes;
        *naxes = p->naxes;
    }
}

static int to_int_axes(int *dst, const int32_t *axes, int n) {
    for (int i = 0; i < n; i++) dst[i] = axes[i];
    return n;
}

/* Softmax: y * (v - sum(v * y)) for v = g (reverse) or t (forward). */
static int softmax_rule(const mxi_node *node, mx_array *v, mx_array **out) {
    const mxi_softmax_params *p = node->params;
    int axes[64], na = to_int_axes(axes, p->axes, p->naxes);
    mx_array *y = node->outputs[0], *vy = NULL, *s = NULL, *d = NULL;
    int rc = MX_OK;
    TRY(mx_multiply(&vy, v, y, S));
    TRY(mx_sum_axes(&s, vy, axes, na, true, S));
    TRY(mx_subtract(&d, v, s, S));
    TRY(mx_multiply(out, y, d, S));
done:
    mx_array_free(vy);
    mx_array_free(s);
    mx_array_free(d);
    return rc;
}

/* Trace: g placed on the diagonal of the plane (axis1, axis2). */
static int trace_vjp(const mxi_node *node, mx_array *x, mx_array *g, mx_array **out) {
    const mxi_trace_params *p = node->params;
    int nd = x->ndim, a1 = p->axis1, a2 = p->axis2;
    mx_array *eye = NULL, *e = NULL, *ge = NULL, *gc = NULL, *prod = NULL;
    int32_t eshape[64], gshape[64];
    int rc = MX_OK;
    TRY(mx_eye(&eye, x->shape[a1], x->shape[a2], p->offset, x->dtype, S));
    for (int d = 0, k = 0; d < nd; d++) {
        eshape[d] = (d == a1 || d == a2) ? x->shape[d] : 1;
        gshape[d] = (d == a1 || d == a2) ? 1 : g->shape[k++];
    }
    if (a1 > a2) {
        int perm[2] = {1, 0};
        TRY(mx_transpose(&eye, eye, perm, 2, S));
    }
    TRY(mx_reshape(&e, eye, eshape, nd, S));
    TRY(mx_astype(&gc, g, x->dtype, S));
    TRY(mx_reshape(&ge, gc, gshape, nd, S));
    TRY(mx_multiply(&prod, ge, e, S));
    TRY(mx_broadcast_to(out, prod, x->shape, nd, S));
done:
    mx_array_free(eye);
    mx_array_free(e);
    mx_array_free(ge);
    mx_array_free(gc);
    mx_array_free(prod);
    return rc;
}

/* Median: the middle element of each sorted group takes g, or the two
 * middle ones half each. */
static int median_vjp(const mxi_node *node, mx_array *x, mx_array *g, mx_array **out) {
    const mxi_axes_params *p = node->params;
    int nd = x->ndim, perm[64], inv[64], np = 0, kept = nd - p->naxes;
    bool red[64] = {0};
    for (int i = 0; i < p->naxes; i++) red[p->axes[i]] = true;
    for (int d = 0; d < nd; d++)
        if (!red[d]) perm[np++] = d;
    for (int d = 0; d < nd; d++)
        if (red[d]) perm[np++] = d;
    for (int i = 0; i < nd; i++) inv[perm[i]] = i;
    int32_t flat[65], tshape[64], r = 1;
    for (int i = 0; i < nd; i++) {
        tshape[i] = x->shape[perm[i]];
        if (i < kept)
            flat[i] = tshape[i];
        else
            r *= tshape[i];
    }
    flat[kept] = r;
    int32_t start[65] = {0}, stop[65];
    memcpy(stop, flat, sizeof(int32_t) * (size_t)(kept + 1));
    mx_array *xt = NULL, *xf = NULL, *order = NULL, *mid = NULL, *z = NULL, *w = NULL, *half = NULL,
             *wt = NULL, *wx = NULL;
    int rc = MX_OK;
    TRY(mx_transpose(&xt, x, perm, nd, S));
    TRY(mx_reshape(&xf, xt, flat, kept + 1, S));
    TRY(mx_argsort_axis(&order, xf, kept, S));
    start[kept] = (r - 1) / 2;
    stop[kept] = r / 2 + 1;
    TRY(mx_slice(&mid, order, start, stop, NULL, kept + 1, S));
    TRY(mx_zeros_like(&z, xf, x->dtype, S));
    TRY(mxi_rule_const(&half, r % 2 ? 1.0 : 0.5, x->dtype));
    TRY(mx_broadcast_to(&half, half, mid->shape, mid->ndim, S));
    TRY(mx_scatter_add_axis(&w, z, mid, half, kept, S));
    TRY(mx_reshape(&wt, w, tshape, nd, S));
    TRY(mx_transpose(&wx, wt, inv, nd, S));
    TRY(mx_multiply(out, g, wx, S));
done:
    mx_array_free(xt);
    mx_array_free(xf);
    mx_array_free(order);
    mx_array_free(mid);
    mx_array_free(z);
    mx_array_free(w);
    mx_array_free(half);
    mx_array_free(wt);
    mx_array_free(wx);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_reduce) {
    (void)argnums, (void)n_argnums;
    mx_array *x = primals[0], *g = cotangents[0], *w = NULL;
    if (node->kind == MXI_PRIM_SOFTMAX) return softmax_rule(node, g, out);
    if (node->kind == MXI_PRIM_TRACE) return trace_vjp(node, x, g, out);
    if (node->kind == MXI_PRIM_MEDIAN) return median_vjp(node, x, g, out);
    int rc = weight(&w, node, x);
    if (!rc && w)
        rc = mx_multiply(&out[0], g, w, S);
    else if (!rc)
        rc = mxi_rule_spread(&out[0], g, x, S);
    mx_array_free(w);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_reduce) {
    (void)argnums, (void)n_argnums;
    mx_array *x = primals[0], *t = tangents[0], *w = NULL, *tw = NULL;
    const mx_dtype odt = node->outputs[0]->dtype;
    if (node->kind == MXI_PRIM_SOFTMAX) return softmax_rule(node, t, out);
    /* linear ones apply themselves */
    if (node->kind == MXI_PRIM_TRACE ||
        (node->kind == MXI_PRIM_REDUCE &&
         ((const mxi_reduce_params *)node->params)->type == MXI_REDUCE_SUM))
        return mxi_rule_reapply(&out[0], node, &t, odt);
    const int32_t *ax;
    int na, axes[64];
    reduced_axes(node, &ax, &na);
    to_int_axes(axes, ax, na);
    int rc = MX_OK;
    if (node->kind == MXI_PRIM_MEDIAN) {
        /* linear in x given the order: its vjp with g = t gives the weights */
        mx_array *ones = NULL;
        TRY(mx_ones_like(&ones, node->outputs[0], odt, S));
        rc = median_vjp(node, x, ones, &w);
        mx_array_free(ones);
        if (rc) goto done;
    } else {
        TRY(weight(&w, node, x));
    }
    TRY(mx_multiply(&tw, t, w, S));
    TRY(mx_sum_axes(&out[0], tw, axes, na, true, S));
    if (out[0]->dtype != odt) TRY(mx_astype(&out[0], out[0], odt, S));
done:
    mx_array_free(w);
    mx_array_free(tw);
    return rc;
}

/* The batch leads; every reduced axis moves up by one. */
MXI_VMAP_RULE(mxi_vmap_reduce) {
    int32_t b = mxi_vmap_size(inputs, in_axes, node->n_inputs);
    void *params = malloc(node->params_size ? node->params_size : 1);
    mx_array *f = NULL;
    if (!params) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
    memcpy(params, node->params, node->params_size);
    int rc = MX_OK;
    switch (node->kind) {
    case MXI_PRIM_REDUCE: {
        mxi_reduce_params *p = params;
        for (int i = 0; i < p->naxes; i++) p->axes[i]++;
        break;
    }
    case MXI_PRIM_ARG_REDUCE:
        ((mxi_arg_reduce_params *)params)->axis++;
        break;
    case MXI_PRIM_LOGSUMEXP:
    case MXI_PRIM_MEDIAN: {
        mxi_axes_params *p = params;
        for (int i = 0; i < p->naxes; i++) p->axes[i]++;
        break;
    }
    case MXI_PRIM_SOFTMAX: {
        mxi_softmax_params *p = params;
        for (int i = 0; i < p->naxes; i++) p->axes[i]++;
        break;
    }
    case MXI_PRIM_TRACE: {
        mxi_trace_params *p = params;
        p->axis1++;
        p->axis2++;
        break;
    }
    default:
        rc = mxi_error(MX_ERR_VALUE, "[vmap] %s has no vmap rule yet",
                       mxi_primitives[node->kind].name);
        goto done;
    }
    TRY(mxi_vmap_front(&f, inputs[0], in_axes[0], b, S));
    TRY(mxi_vmap_remake(outputs, node, params, &f, b));
    out_axes[0] = 0;
done:
    free(params);
    mx_array_free(f);
    return rc;
}
