/* Derivatives of QuantizedMatmul and GatherQMM, as MLX 0.32 has them.
 *
 * With respect to x the cotangent goes back through the product with the
 * same quantized matrices, transpose flipped; the tangent goes through the
 * product itself. With respect to the "affine" scales and biases the vjp
 * reduces the cotangent of the dequantized matrix group by group (MLX has
 * both products' vjp); their tangent is the product with the matrix
 * dequantized from those tangents (MLX has no such jvp: ours is the same
 * linear map). The fp modes' scales and the packed weights have no
 * derivative, with MLX's errors, nor have the index arrays.
 *
 * The ops have broadcast x (QuantizedMatmul) to the output's batch axes and
 * cast it, the scales and biases to the product's dtype, so the node's
 * inputs serve as they are. Inputs: x, w, scales, [biases,] and for
 * GatherQMM the index arrays lhs, rhs broadcast to the batch shape. */
#include "rules_util.h"

#include "primitives/params_quantized.h"

#define QR_MAX_NDIM 64

static const char *mode_name(int mode) {
    static const char *names[] = {"affine", "mxfp4", "mxfp8", "nvfp4"};
    return mode >= 0 && mode < 4 ? names[mode] : "?";
}

/* What input arg of the node is: 0 x, 1 w, 2 scales, 3 biases, 4 indices. */
static int input_role(const mxi_node *node, int arg) {
    const mxi_quant_params *p = node->params;
    int nq = p->mode == MXI_QUANT_AFFINE ? 4 : 3;
    if (arg < nq) return arg;
    return 4;
}

static int no_rule(const mxi_node *node, bool vjp, int arg) {
    const mxi_quant_params *p = node->params;
    const char *name = mxi_primitives[node->kind].name;
    int role = input_role(node, arg);
    if (role == 4)
        return mxi_error(MX_ERR_VALUE, "[%s::%s] Cannot calculate derivative wrt the indices.",
                         name, vjp ? "vjp" : "jvp");
    if (!vjp)
        return mxi_error(MX_ERR_RUNTIME, "[%s::jvp] No JVP wrt the quantized matrix yet.", name);
    if (role == 1)
        return mxi_error(MX_ERR_RUNTIME, "[%s::vjp] no gradient wrt the quantized weights.", name);
    return mxi_error(MX_ERR_VALUE, "[%s::vjp] no gradient wrt scales in %s quantization.", name,
                     mode_name(p->mode));
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

/* The cotangent of the dequantized matrix W (w's batch axes, then rows and
 * the expanded columns): g^T x (transpose) or x^T g, per product.
 * QuantizedMatmul sums the batch axes W lacks; GatherQMM takes x's matrices
 * at the left indices and adds each product's cotangent into W's matrix at
 * the right index. */
static int w_cotangent(const mxi_node *node, mx_array *const *primals, mx_array *g,
                       mx_array **out) {
    const mxi_quant_params *p = node->params;
    mx_array *x = primals[0], *sc = primals[2];
    mx_array *xs = NULL, *xf = NULL, *lf = NULL, *rf = NULL, *gf = NULL, *a = NULL, *b = NULL;
    mx_array *dw = NULL, *z = NULL, *dwu = NULL, *sa = NULL;
    int rc = MX_OK, nd = sc->ndim;
    int32_t rows = sc->shape[nd - 2], cols = sc->shape[nd - 1] * p->group_size;
    if (node->kind == MXI_PRIM_GATHER_QMM) {
        int ni = node->n_inputs;
        mx_array *lb = primals[ni - 2], *rb = primals[ni - 1];
        int32_t n = (int32_t)mx_array_size(lb), m = x->shape[x->ndim - 2],
                k = x->shape[x->ndim - 1];
        int32_t xn = 1, wn = 1, nn = g->shape[g->ndim - 1];
        for (int d = 0; d < x->ndim - 2; d++) xn *= x->shape[d];
        for (int d = 0; d < nd - 2; d++) wn *= sc->shape[d];
        int32_t x3[3] = {xn, m, k}, g3[3] = {n, m, nn}, z3[3] = {wn, rows, cols};
        int32_t u4[4] = {n, 1, rows, cols};
        TRY(mx_reshape(&xs, x, x3, 3, S));
        TRY(mx_reshape(&lf, lb, &n, 1, S));
        TRY(mx_reshape(&rf, rb, &n, 1, S));
        TRY(mx_take_axis(&xf, xs, lf, 0, S));
        TRY(mx_reshape(&gf, g, g3, 3, S));
        if (p->transpose) {
            TRY(mx_swapaxes(&a, gf, -1, -2, S));
            TRY(mx_matmul(&dw, a, xf, S));
        } else {
            TRY(mx_swapaxes(&a, xf, -1, -2, S));
            TRY(mx_matmul(&dw, a, gf, S));
        }
        TRY(mx_reshape(&dwu, dw, u4, 4, S));
        TRY(mx_zeros(&z, z3, 3, dw->dtype, S));
        int ax0 = 0;
        TRY(mx_scatter_add(&sa, z, (const mx_array *const *)&rf, 1, dwu, &ax0, 1, S));
        int32_t ws[QR_MAX_NDIM];
        for (int d = 0; d < nd - 2; d++) ws[d] = sc->shape[d];
        ws[nd - 2] = rows, ws[nd - 1] = cols;
        TRY(mx_reshape(out, sa, ws, nd, S));
    } else {
        if (p->transpose) {
            TRY(mx_swapaxes(&a, g, -1, -2, S));
            TRY(mx_matmul(&dw, a, x, S));
        } else {
            TRY(mx_swapaxes(&a, x, -1, -2, S));
            TRY(mx_matmul(&dw, a, g, S));
        }
        if (dw->ndim > nd) {
            int axes[QR_MAX_NDIM], na = dw->ndim - nd;
            for (int i = 0; i < na; i++) axes[i] = i;
            TRY(mx_sum_axes(out, dw, axes, na, false, S));
        } else {
            *out = mx_array_retain(dw);
        }
    }
done:
    mx_array_free(xs), mx_array_free(xf), mx_array_free(lf), mx_array_free(rf);
    mx_array_free(gf), mx_array_free(a), mx_array_free(b), mx_array_free(dw);
    mx_array_free(z), mx_array_free(dwu), mx_array_free(sa);
    return rc;
}

/* The scales (which 2) and biases (3), "affine" mode: W's cotangent
 * group by group, weighted by the quantized values q (W = scale q + bias in
 * each group) or not. */
static int vjp_affine(const mxi_node *node, mx_array *const *primals, mx_array *g, int which,
                      mx_array **out) {
    const mxi_quant_params *p = node->params;
    mx_array *w = primals[1], *sc = primals[2];
    mx_array *dw = NULL, *one = NULL, *zero = NULL, *q = NULL, *q3 = NULL, *dg = NULL, *prod = NULL;
    int rc = MX_OK, nd = sc->ndim;
    int32_t gs3[QR_MAX_NDIM + 1];
    if (nd > QR_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[%s::vjp] too many dimensions",
                         mxi_primitives[node->kind].name);
    TRY(w_cotangent(node, primals, g, &dw));
    for (int d = 0; d < nd; d++) gs3[d] = sc->shape[d];
    gs3[nd] = p->group_size;
    TRY(mx_reshape(&dg, dw, gs3, nd + 1, S));
    if (which == 2) {
        TRY(mx_ones_like(&one, sc, sc->dtype, S));
        TRY(mx_zeros_like(&zero, sc, sc->dtype, S));
        TRY(mx_dequantize(&q, w, one, zero, p->group_size, p->bits, "affine", sc->dtype, S));
        TRY(mx_reshape(&q3, q, gs3, nd + 1, S));
        TRY(mx_multiply(&prod, dg, q3, S));
        TRY(mx_sum_axis(out, prod, -1, false, S));
    } else {
        TRY(mx_sum_axis(out, dg, -1, false, S));
    }
done:
    mx_array_free(dw), mx_array_free(one), mx_array_free(zero), mx_array_free(q);
    mx_array_free(q3), mx_array_free(dg), mx_array_free(prod);
    return rc;
}

/* Dequantize ("affine"): W = scale q + bias group by group, so the scales'
 * cotangent is the group sums of g q and the biases' those of g (in their
 * dtypes); the tangent is the dequantization with the tangents as scales
 * and biases. The packed weights get zeros (integers, as MLX); the fp
 * modes' scales and the global scale have none (MLX differentiates its
 * composition there, giving integer garbage or failing at FromFP8). */
static int dequant_error(const mxi_node *node, bool vjp, int arg) {
    const mxi_quant_params *p = node->params;
    const char *what = vjp ? "vjp" : "jvp";
    if (p->mode != MXI_QUANT_AFFINE && arg == 2)
        return mxi_error(MX_ERR_VALUE, "[Dequantize::%s] no gradient wrt the global scale.", what);
    return mxi_error(MX_ERR_VALUE, "[Dequantize::%s] no gradient wrt scales in %s quantization.",
                     what, mode_name(p->mode));
}

static int dequant_vjp(const mxi_node *node, mx_array *const *primals, mx_array *g, int arg,
                       mx_array **out) {
    const mxi_quant_params *p = node->params;
    /* integer codes: a zero cotangent, as MLX gives */
    if (arg == 0) return mx_zeros_like(out, primals[0], primals[0]->dtype, S);
    if (p->mode != MXI_QUANT_AFFINE) return dequant_error(node, true, arg);
    mx_array *sc = primals[1], *target = primals[arg];
    mx_array *one = NULL, *zero = NULL, *q = NULL, *q3 = NULL, *g3 = NULL, *prod = NULL;
    mx_array *sum = NULL;
    int rc = MX_OK, nd = sc->ndim;
    int32_t gs3[QR_MAX_NDIM + 1];
    if (nd > QR_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[Dequantize::vjp] too many dimensions");
    for (int d = 0; d < nd; d++) gs3[d] = sc->shape[d];
    gs3[nd] = p->group_size;
    TRY(mx_reshape(&g3, g, gs3, nd + 1, S));
    if (arg == 1) {
        TRY(mx_ones_like(&one, sc, sc->dtype, S));
        TRY(mx_zeros_like(&zero, sc, sc->dtype, S));
        TRY(mx_dequantize(&q, primals[0], one, zero, p->group_size, p->bits, "affine", g->dtype,
                          S));
        TRY(mx_reshape(&q3, q, gs3, nd + 1, S));
        TRY(mx_multiply(&prod, g3, q3, S));
        TRY(mx_sum_axis(&sum, prod, -1, false, S));
    } else {
        TRY(mx_sum_axis(&sum, g3, -1, false, S));
    }
    TRY(mx_astype(out, sum, target->dtype, S));
done:
    mx_array_free(one), mx_array_free(zero), mx_array_free(q), mx_array_free(q3);
    mx_array_free(g3), mx_array_free(prod), mx_array_free(sum);
    return rc;
}

static int dequant_jvp(const mxi_node *node, mx_array *const *primals, mx_array *const *tangents,
                       const int *argnums, int n_argnums, mx_array **out) {
    const mxi_quant_params *p = node->params;
    mx_array *t[3] = {NULL, NULL, NULL}, *zs = NULL, *zb = NULL;
    for (int k = 0; k < n_argnums; k++) {
        if (argnums[k] == 0) continue; /* the integer codes move nothing */
        if (p->mode != MXI_QUANT_AFFINE) return dequant_error(node, false, argnums[k]);
        t[argnums[k]] = tangents[k];
    }
    int rc = MX_OK, nd = 0;
    mx_dtype dt;
    const int32_t *shape = mxi_rule_out_shape(node, 0, &nd, &dt);
    if (!t[1] && !t[2]) return mx_zeros(out, shape, nd, dt, S);
    if (!t[1]) TRY(mx_zeros_like(&zs, primals[1], primals[1]->dtype, S));
    if (!t[2]) TRY(mx_zeros_like(&zb, primals[2], primals[2]->dtype, S));
    TRY(mx_dequantize(out, primals[0], t[1] ? t[1] : zs, t[2] ? t[2] : zb, p->group_size, p->bits,
                      "affine", dt, S));
done:
    mx_array_free(zs), mx_array_free(zb);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_quantized) {
    if (node->kind == MXI_PRIM_DEQUANTIZE) {
        for (int k = 0; k < n_argnums; k++) {
            int rc = dequant_vjp(node, primals, cotangents[0], argnums[k], &out[k]);
            if (rc) return rc;
        }
        return MX_OK;
    }
    mx_array *x = primals[0];
    mxi_quant_params p = *(const mxi_quant_params *)node->params;
    p.transpose = !p.transpose;
    for (int k = 0; k < n_argnums; k++) {
        int role = input_role(node, argnums[k]), rc;
        if ((role == 2 || role == 3) && p.mode == MXI_QUANT_AFFINE) {
            rc = vjp_affine(node, primals, cotangents[0], role, &out[k]);
        } else if (role != 0) {
            return no_rule(node, true, argnums[k]);
        } else if (node->kind == MXI_PRIM_GATHER_QMM) {
            rc = gather_vjp_x(node, primals, cotangents[0], &out[k]);
        } else {
            mx_array *in[4] = {cotangents[0], primals[1], primals[2],
                               node->n_inputs > 3 ? primals[3] : NULL};
            rc = mxi_make(&out[k], x->dtype, x->shape, x->ndim, node->kind, &p, sizeof p, in,
                          node->n_inputs, S);
        }
        if (rc) return rc;
    }
    return MX_OK;
}

/* The tangent through the scales and biases ("affine"): the product with
 * W's tangent, the dequantization with those tangents as scales and
 * biases; GatherQMM gathers it as the node gathers w. */
static int jvp_affine(const mxi_node *node, mx_array *const *primals, mx_array *ts, mx_array *tb,
                      mx_array **out) {
    const mxi_quant_params *p = node->params;
    mx_array *sc = primals[2], *zs = NULL, *zb = NULL, *dw = NULL, *dwt = NULL;
    int rc = MX_OK;
    if (!ts) TRY(mx_zeros_like(&zs, sc, sc->dtype, S));
    if (!tb) TRY(mx_zeros_like(&zb, sc, sc->dtype, S));
    TRY(mx_dequantize(&dw, primals[1], ts ? ts : zs, tb ? tb : zb, p->group_size, p->bits, "affine",
                      sc->dtype, S));
    if (p->transpose) TRY(mx_swapaxes(&dwt, dw, -1, -2, S));
    if (node->kind == MXI_PRIM_GATHER_QMM) {
        int ni = node->n_inputs;
        TRY(mx_gather_mm(out, primals[0], p->transpose ? dwt : dw, primals[ni - 2], primals[ni - 1],
                         false, S));
    } else {
        TRY(mx_matmul(out, primals[0], p->transpose ? dwt : dw, S));
    }
done:
    mx_array_free(zs), mx_array_free(zb), mx_array_free(dw), mx_array_free(dwt);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_quantized) {
    if (node->kind == MXI_PRIM_DEQUANTIZE)
        return dequant_jvp(node, primals, tangents, argnums, n_argnums, out);
    const mxi_quant_params *p = node->params;
    mx_array *tx = NULL, *ts = NULL, *tb = NULL;
    for (int k = 0; k < n_argnums; k++) {
        int role = input_role(node, argnums[k]);
        if (role == 0)
            tx = tangents[k];
        else if (role == 2 && p->mode == MXI_QUANT_AFFINE)
            ts = tangents[k];
        else if (role == 3)
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
    if (ts || tb) TRY(jvp_affine(node, primals, ts, tb, &b));
    if (a && b)
        rc = mx_add(&out[0], a, b, S);
    else
        out[0] = mx_array_retain(a ? a : b);
done:
    mx_array_free(a), mx_array_free(b);
    return rc;
}

/* Quantize and Dequantize work on the last axis of inputs with at least two
 * axes, row by row, and ToFP8 / FromFP8 element by element: the batch goes
 * in front (unmapped inputs broadcast) and the primitive runs once. The
 * "nvfp4" global scale is one number for the whole call and stays as it
 * is; mapping it would need one per batch entry. (MLX maps the "affine"
 * Quantize and Dequantize; its fp modes stop at ToFP8, which it does not
 * map, nor QuantizedMatmul and GatherQMM, which have no rule here
 * either.) */
MXI_VMAP_RULE(mxi_vmap_quantized) {
    const mxi_quant_params *p = node->params;
    int gs = -1;
    if (node->kind == MXI_PRIM_QUANTIZE && node->n_inputs == 2) gs = 1;
    if (node->kind == MXI_PRIM_DEQUANTIZE && p->mode != MXI_QUANT_AFFINE && node->n_inputs == 3)
        gs = 2;
    if (gs < 0) return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
    if (in_axes[gs] >= 0)
        return mxi_error(MX_ERR_VALUE, "[%s::vmap] the global scale cannot be mapped.",
                         mxi_primitives[node->kind].name);
    int32_t b = mxi_vmap_size(inputs, in_axes, node->n_inputs);
    mx_array *ins[3] = {NULL, NULL, NULL};
    int rc = MX_OK;
    for (int i = 0; i < node->n_inputs && !rc; i++)
        rc = i == gs ? (ins[i] = mx_array_retain(inputs[i]), MX_OK)
                     : mxi_vmap_front(&ins[i], inputs[i], in_axes[i], b, S);
    if (!rc) rc = mxi_vmap_remake(outputs, node, node->params, ins, b);
    for (int i = 0; i < node->n_outputs; i++) out_axes[i] = 0;
    for (int i = 0; i < 3; i++) mx_array_free(ins[i]);
    return rc;
}

/* View works on the last axis (Quantize and Dequantize take
 * mxi_vmap_quantized above): the batch leads on
 * every input and output. */
MXI_VMAP_RULE(mxi_vmap_last_axis) {
    return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
}
