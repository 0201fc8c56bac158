/* Derivatives of QuantizedMatmul with respect to x, as MLX: the cotangent
 * goes back through the product with the same quantized matrix, its
 * transpose flag flipped; the tangent goes through the product itself.
 * GatherQMM the same with respect to x (MLX has no jvp of it: the tangent
 * through the product is the node applied to it).
 * The op has broadcast x to the output's batch axes and cast it, w, the
 * scales and biases to the product's dtype, so the node's inputs serve as
 * they are. There is no derivative with respect to the packed weights (MLX
 * errors alike). The scales and biases of QuantizedMatmul ("affine") have
 * both derivatives, as MLX has the vjp; GatherQMM's have none yet. */
#include "rules_util.h"

#include "primitives/params_quantized.h"

static int no_rule(const mxi_node *node, bool vjp, int arg) {
    bool gather = node->kind == MXI_PRIM_GATHER_QMM;
    if (arg == 1 && vjp)
        return mxi_error(MX_ERR_VALUE, "[%s::vjp] no gradient wrt the quantized weights.",
                         gather ? "GatherQMM" : "QuantizedMatmul");
    if (arg == 1)
        return mxi_error(MX_ERR_VALUE,
                         "[QuantizedMatmul::jvp] No JVP wrt the quantized matrix yet.");
    return mxi_error(MX_ERR_VALUE, "[%s::%s] no derivative wrt the scales or biases yet",
                     gather ? "GatherQMM" : "QuantizedMatmul", vjp ? "vjp" : "jvp");
}

/* GatherQMM's x-cotangent: the product of g with the same gathered
 * matrices, transpose flipped (g's own batch as the left indices), added
 * back into x's matrices at the left indices. Inputs: x, w, scales,
 * [biases,] lhs, rhs (indices broadcast to the batch shape). */
static int gather_vjp_x(const mxi_node *node, mx_array *const *primals, mx_array *g,
                        mx_array **out) {
    mxi_quant_params p = *(const mxi_quant_params *)node->params;
    p.transpose = !p.transpose;
    int ni = node->n_inputs, nb = g->ndim - 2, rc = MX_OK;
    mx_array *x = primals[0], *lb = primals[ni - 2];
    int32_t batch_n = (int32_t)mx_array_size(lb), xn = 1, m = x->shape[x->ndim - 2],
            k = x->shape[x->ndim - 1];
    for (int d = 0; d < x->ndim - 2; d++) xn *= x->shape[d];
    mx_array *ar = NULL, *arb = NULL, *y = NULL, *yu = NULL, *z = NULL, *lf = NULL, *sa = NULL;
    int32_t shape[16];
    if (nb + 2 > 16) return mxi_error(MX_ERR_VALUE, "[GatherQMM::vjp] too many dimensions");
    TRY(mx_arange(&ar, 0, batch_n, 1, MX_UINT32, S));
    TRY(mx_reshape(&arb, ar, g->shape, nb, S));
    {
        mx_array *in[6];
        int j = 0;
        in[j++] = g;
        for (int i = 1; i < ni - 2; i++) in[j++] = primals[i];
        in[j++] = arb;
        in[j++] = primals[ni - 1];
        for (int d = 0; d < nb; d++) shape[d] = g->shape[d];
        shape[nb] = m, shape[nb + 1] = k;
        TRY(mxi_make(&y, x->dtype, shape, nb + 2, node->kind, &p, sizeof p, in, ni, S));
    }
    int32_t ys[4] = {batch_n, 1, m, k}, zs[3] = {xn, m, k};
    TRY(mx_reshape(&yu, y, ys, 4, S));
    TRY(mx_zeros(&z, zs, 3, x->dtype, S));
    TRY(mx_reshape(&lf, lb, &batch_n, 1, S));
    int ax0 = 0;
    TRY(mx_scatter_add(&sa, z, (const mx_array *const *)&lf, 1, yu, &ax0, 1, S));
    TRY(mx_reshape(out, sa, x->shape, x->ndim, S));
done:
    mx_array_free(ar), mx_array_free(arb), mx_array_free(y), mx_array_free(yu);
    mx_array_free(z), mx_array_free(lf), mx_array_free(sa);
    return rc;
}

/* QuantizedMatmul's scales (which 2) and biases (3), "affine" mode: the
 * gradient of the dequantized matrix W (g^T x, or x^T g without the
 * transpose, summed over batch axes W lacks), group by group, weighted by
 * the quantized values q (W = scale q + bias in each group) or not. */
static int qmm_vjp_affine(const mxi_node *node, mx_array *const *primals, mx_array *g, int which,
                          mx_array **out) {
    const mxi_quant_params *p = node->params;
    mx_array *x = primals[0], *w = primals[1], *sc = primals[2];
    mx_array *gt = NULL, *xt = NULL, *dw = NULL, *dws = NULL, *one = NULL, *zero = NULL;
    mx_array *q = NULL, *dg = NULL, *prod = NULL;
    int rc = MX_OK;
    if (p->mode != MXI_QUANT_AFFINE || node->kind != MXI_PRIM_QUANTIZED_MATMUL)
        return mxi_error(MX_ERR_VALUE, "[%s::vjp] no derivative wrt the scales yet",
                         mxi_primitives[node->kind].name);
    if (p->transpose) {
        TRY(mx_swapaxes(&gt, g, -1, -2, S));
        TRY(mx_matmul(&dw, gt, x, S));
    } else {
        TRY(mx_swapaxes(&xt, x, -1, -2, S));
        TRY(mx_matmul(&dw, xt, g, S));
    }
    /* dw grouped as the scales, group_size values each */
    int nd = sc->ndim;
    int32_t gs3[17];
    if (nd > 15) return mxi_error(MX_ERR_VALUE, "[QuantizedMatmul::vjp] too many dimensions");
    for (int d = 0; d < nd; d++) gs3[d] = sc->shape[d];
    gs3[nd] = p->group_size;
    if (dw->ndim > nd) {
        /* W without batch axes: the batch of dw summed away */
        int axes[16], na = dw->ndim - nd;
        for (int i = 0; i < na; i++) axes[i] = i;
        TRY(mx_sum_axes(&dws, dw, axes, na, false, S));
    } else {
        dws = mx_array_retain(dw);
    }
    TRY(mx_reshape(&dg, dws, gs3, nd + 1, S));
    if (which == 2) {
        TRY(mx_ones_like(&one, sc, sc->dtype, S));
        TRY(mx_zeros_like(&zero, sc, sc->dtype, S));
        TRY(mx_dequantize(&q, w, one, zero, p->group_size, p->bits, "affine", sc->dtype, S));
        mx_array *q3 = NULL;
        TRY(mx_reshape(&q3, q, gs3, nd + 1, S));
        rc = mx_multiply(&prod, dg, q3, S);
        mx_array_free(q3);
        if (rc) goto done;
        TRY(mx_sum_axis(out, prod, -1, false, S));
    } else {
        TRY(mx_sum_axis(out, dg, -1, false, S));
    }
done:
    mx_array_free(gt), mx_array_free(xt), mx_array_free(dw), mx_array_free(dws);
    mx_array_free(one), mx_array_free(zero), mx_array_free(q), mx_array_free(dg);
    mx_array_free(prod);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_quantized) {
    mx_array *x = primals[0];
    mxi_quant_params p = *(const mxi_quant_params *)node->params;
    p.transpose = !p.transpose;
    for (int k = 0; k < n_argnums; k++) {
        if (argnums[k] == 2 || argnums[k] == 3) {
            int rc = qmm_vjp_affine(node, primals, cotangents[0], argnums[k], &out[k]);
            if (rc) return rc;
            continue;
        }
        if (argnums[k] != 0) return no_rule(node, true, argnums[k]);
        if (node->kind == MXI_PRIM_GATHER_QMM) {
            int rc = gather_vjp_x(node, primals, cotangents[0], &out[k]);
            if (rc) return rc;
            continue;
        }
        mx_array *in[4] = {cotangents[0], primals[1], primals[2],
                           node->n_inputs > 3 ? primals[3] : NULL};
        int rc = mxi_make(&out[k], x->dtype, x->shape, x->ndim, node->kind, &p, sizeof p, in,
                          node->n_inputs, S);
        if (rc) return rc;
    }
    return MX_OK;
}

/* The tangent through the scales and biases ("affine"): W's tangent is
 * the dequantization with those tangents as scales and biases. */
static int qmm_jvp_affine(const mxi_node *node, mx_array *const *primals, mx_array *ts,
                          mx_array *tb, mx_array **out) {
    const mxi_quant_params *p = node->params;
    mx_array *sc = primals[2], *zs = NULL, *zb = NULL, *dw = NULL, *dwt = NULL;
    int rc = MX_OK;
    if (p->mode != MXI_QUANT_AFFINE || node->kind != MXI_PRIM_QUANTIZED_MATMUL)
        return mxi_error(MX_ERR_VALUE, "[%s::jvp] no derivative wrt the scales yet",
                         mxi_primitives[node->kind].name);
    if (!ts) TRY(mx_zeros_like(&zs, sc, sc->dtype, S));
    if (!tb) TRY(mx_zeros_like(&zb, sc, sc->dtype, S));
    TRY(mx_dequantize(&dw, primals[1], ts ? ts : zs, tb ? tb : zb, p->group_size, p->bits, "affine",
                      sc->dtype, S));
    if (p->transpose) TRY(mx_swapaxes(&dwt, dw, -1, -2, S));
    TRY(mx_matmul(out, primals[0], p->transpose ? dwt : dw, S));
done:
    mx_array_free(zs), mx_array_free(zb), mx_array_free(dw), mx_array_free(dwt);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_quantized) {
    mx_array *tx = NULL, *ts = NULL, *tb = NULL;
    for (int k = 0; k < n_argnums; k++) {
        if (argnums[k] == 0)
            tx = tangents[k];
        else if (argnums[k] == 2)
            ts = tangents[k];
        else if (argnums[k] == 3)
            tb = tangents[k];
        else
            return no_rule(node, false, argnums[k]);
    }
    mx_array *a = NULL, *b = NULL;
    int rc = MX_OK;
    if (tx) {
        mx_array *in[6];
        in[0] = tx;
        for (int i = 1; i < node->n_inputs && i < 6; i++) in[i] = primals[i];
        int nd = 0;
        mx_dtype dt;
        mxi_rule_out_shape(node, 0, &nd, &dt);
        TRY(mxi_rule_reapply(&a, node, in, dt));
    }
    if (ts || tb) TRY(qmm_jvp_affine(node, primals, ts, tb, &b));
    if (a && b)
        rc = mx_add(&out[0], a, b, S);
    else
        out[0] = mx_array_retain(a ? a : b);
done:
    mx_array_free(a), mx_array_free(b);
    return rc;
}

/* Quantize, Dequantize and View work on the last axis: the batch leads on
 * every input and output. */
MXI_VMAP_RULE(mxi_vmap_last_axis) {
    return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
}
