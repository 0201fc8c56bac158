/* Derivatives of Convolution. Per spatial axis the forward pass is
 *   y[o] = sum_k xd[o * stride - lo + k * kd] * w[flip ? K-1-k : k]
 * with xd the input dilated by id. Both derivatives are convolutions again:
 *   dx: the cotangent dilated by stride, read with the kernel reversed
 *       (flip toggled), kernel dilation kd, output stride id, and
 *       lo' = (K - 1) * kd - lo; channels of w swapped within each group;
 *   dw: the input with batch and channels swapped, convolved with the
 *       cotangent (batch and channels swapped) as kernel: stride kd, kernel
 *       dilation stride, input dilation id, the same lo; K outputs.
 * The nodes are made with mxi_conv_make, whose paddings may be negative,
 * so nothing needs cropping afterwards. Groups in dw: the full
 * (C_in, K..., C_out) product is formed and the diagonal group blocks
 * kept. The jvp re-applies the (bilinear) primitive to each tangent. */
#include "rules_util.h"

#include <string.h>

#include "primitives/params_conv.h"

/* (C_out, K..., cig) -> (C_in, K..., cog): each group's channel axes swapped. */
static int swap_group_channels(mx_array **out, mx_array *w, int nd, int groups,
                               const mx_stream *s) {
    int32_t cout = w->shape[0], cig = w->shape[nd + 1], cog = cout / groups;
    int32_t shape[MXI_CONV_MAX_DIMS + 3];
    shape[0] = groups, shape[1] = cog;
    for (int d = 0; d < nd; d++) shape[d + 2] = w->shape[d + 1];
    shape[nd + 2] = cig;
    int perm[MXI_CONV_MAX_DIMS + 3];
    perm[0] = 0, perm[1] = nd + 2;
    for (int d = 0; d < nd; d++) perm[d + 2] = d + 2;
    perm[nd + 2] = 1;
    mx_array *r = NULL, *t = NULL;
    int rc = MX_OK;
    TRY(mx_reshape(&r, w, shape, nd + 3, s));
    TRY(mx_transpose(&t, r, perm, nd + 3, s));
    int32_t oshape[MXI_CONV_MAX_DIMS + 2];
    oshape[0] = groups * cig;
    for (int d = 0; d < nd; d++) oshape[d + 1] = w->shape[d + 1];
    oshape[nd + 1] = cog;
    TRY(mx_reshape(out, t, oshape, nd + 2, s));
done:
    mx_array_free(r);
    mx_array_free(t);
    return rc;
}

static int grad_input(mx_array **out, const mxi_conv_params *p, mx_array *x, mx_array *w,
                      mx_array *g, const mx_stream *s) {
    int nd = p->ndim;
    mxi_conv_params q;
    memset(&q, 0, sizeof q);
    q.ndim = nd;
    q.groups = p->groups;
    q.flip = !p->flip;
    int32_t spatial[MXI_CONV_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        int64_t kext = (int64_t)(w->shape[d + 1] - 1) * p->kernel_dilation[d];
        q.stride[d] = p->input_dilation[d];
        q.kernel_dilation[d] = p->kernel_dilation[d];
        q.input_dilation[d] = p->stride[d];
        q.pad_lo[d] = (int32_t)(kext - p->pad_lo[d]);
        spatial[d] = x->shape[d + 1];
        /* pad_hi only records the output size: what makes it x's length */
        int64_t gd = g->shape[d + 1] ? (int64_t)(g->shape[d + 1] - 1) * p->stride[d] + 1 : 0;
        q.pad_hi[d] =
            (int32_t)((int64_t)(spatial[d] - 1) * q.stride[d] + kext + 1 - gd - q.pad_lo[d]);
    }
    mx_array *wt = NULL;
    int rc = MX_OK;
    TRY(swap_group_channels(&wt, w, nd, p->groups, s));
    TRY(mxi_conv_make(out, g, wt, &q, spatial, s));
done:
    mx_array_free(wt);
    return rc;
}

static int grad_weight(mx_array **out, const mxi_conv_params *p, mx_array *x, mx_array *w,
                       mx_array *g, const mx_stream *s) {
    int nd = p->ndim, groups = p->groups;
    mxi_conv_params q;
    memset(&q, 0, sizeof q);
    q.ndim = nd;
    q.groups = 1;
    int32_t spatial[MXI_CONV_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        q.stride[d] = p->kernel_dilation[d];
        q.kernel_dilation[d] = p->stride[d];
        q.input_dilation[d] = p->input_dilation[d];
        q.pad_lo[d] = p->pad_lo[d];
        spatial[d] = w->shape[d + 1];
        /* pad_hi only records the output size: what makes it K */
        int64_t n = x->shape[d + 1], os = g->shape[d + 1];
        int64_t dil = n > 0 ? (n - 1) * q.input_dilation[d] + 1 : 0;
        int64_t gext = (os - 1) * q.kernel_dilation[d] + 1;
        int64_t hi = (int64_t)(spatial[d] - 1) * q.stride[d] + gext - dil - q.pad_lo[d];
        if (hi < INT32_MIN || hi > INT32_MAX)
            return mxi_error(MX_ERR_VALUE, "[conv::vjp] padding out of range");
        q.pad_hi[d] = (int32_t)hi;
    }
    mx_array *xt = NULL, *gt = NULL, *full = NULL, *r = NULL, *dg = NULL, *t = NULL;
    int rc = MX_OK;
    TRY(mx_swapaxes(&xt, x, 0, -1, s));                /* (C_in, spatial..., N) */
    TRY(mx_swapaxes(&gt, g, 0, -1, s));                /* (C_out, out spatial..., N) */
    TRY(mxi_conv_make(&full, xt, gt, &q, spatial, s)); /* (C_in, K..., C_out) */
    if (groups == 1) {
        TRY(mx_swapaxes(&t, full, 0, -1, s));
    } else {
        /* (G, cig, K..., G, cog) -> diagonal blocks (cig, K..., cog, G) */
        int32_t cig = x->shape[nd + 1] / groups, cog = w->shape[0] / groups;
        int32_t shape[MXI_CONV_MAX_DIMS + 4];
        shape[0] = groups, shape[1] = cig;
        for (int d = 0; d < nd; d++) shape[d + 2] = spatial[d];
        shape[nd + 2] = groups, shape[nd + 3] = cog;
        TRY(mx_reshape(&r, full, shape, nd + 4, s));
        TRY(mx_diagonal(&dg, r, 0, 0, nd + 2, s));
        int perm[MXI_CONV_MAX_DIMS + 3];
        perm[0] = nd + 2, perm[1] = nd + 1;
        for (int d = 0; d < nd; d++) perm[d + 2] = d + 1;
        perm[nd + 2] = 0;
        TRY(mx_transpose(&r, dg, perm, nd + 3, s)); /* (G, cog, K..., cig) */
        TRY(mx_reshape(&t, r, w->shape, w->ndim, s));
    }
    if (p->flip) {
        int32_t start[MXI_CONV_MAX_DIMS + 2], stop[MXI_CONV_MAX_DIMS + 2],
            step[MXI_CONV_MAX_DIMS + 2];
        for (int d = 0; d < nd + 2; d++) {
            bool sp = d >= 1 && d <= nd;
            start[d] = sp ? w->shape[d] - 1 : 0;
            stop[d] = sp ? -w->shape[d] - 1 : w->shape[d];
            step[d] = sp ? -1 : 1;
        }
        TRY(mx_slice(out, t, start, stop, step, nd + 2, s));
    } else {
        *out = mx_array_retain(t);
    }
done:
    mx_array_free(xt);
    mx_array_free(gt);
    mx_array_free(full);
    mx_array_free(r);
    mx_array_free(dg);
    mx_array_free(t);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_conv) {
    const mxi_conv_params *p = node->params;
    mx_array *x = primals[0], *w = primals[1], *g = cotangents[0];
    int rc = MX_OK;
    for (int k = 0; k < n_argnums; k++) {
        if (argnums[k] == 0)
            TRY(grad_input(&out[k], p, x, w, g, S));
        else
            TRY(grad_weight(&out[k], p, x, w, g, S));
    }
done:
    return rc;
}

MXI_JVP_RULE(mxi_jvp_conv) {
    mx_array *p = NULL;
    int rc = MX_OK;
    for (int k = 0; k < n_argnums; k++) {
        mx_array *ins[2] = {primals[0], primals[1]};
        ins[argnums[k]] = tangents[k];
        TRY(mxi_rule_reapply(&p, node, ins, primals[0]->dtype));
        if (out[0])
            TRY(mx_add(&out[0], out[0], p, S));
        else
            out[0] = mx_array_retain(p);
    }
done:
    mx_array_free(p);
    return rc;
}

/* Under vmap: an input batch folds into N (the weight unmapped); a mapped
 * weight turns the batch into groups: channels (B*C_in), kernels (B*C_out,
 * ...) with groups * B, the output's B*C_out split back. */
MXI_VMAP_RULE(mxi_vmap_conv) {
    const mxi_conv_params *p = node->params;
    const mx_array *o = node->outputs[0];
    int32_t b = mxi_vmap_size(inputs, in_axes, 2);
    int nsp = p->ndim, nd = o->ndim; /* N, spatial..., C */
    int32_t spatial[MXI_CONV_MAX_DIMS], sh[64];
    for (int d = 0; d < nsp; d++) spatial[d] = o->shape[1 + d];
    mx_array *x = NULL, *w = NULL, *xr = NULL, *wr = NULL, *y = NULL, *yr = NULL;
    int rc = MX_OK;
    out_axes[0] = 0;
    TRY(mxi_vmap_front(&x, inputs[0], in_axes[0], b, S));
    if (in_axes[1] < 0) {
        sh[0] = b * x->shape[1];
        for (int d = 2; d < x->ndim; d++) sh[d - 1] = x->shape[d];
        TRY(mx_reshape(&xr, x, sh, x->ndim - 1, S));
        TRY(mxi_conv_make(&y, xr, inputs[1], p, spatial, S));
        sh[0] = b;
        for (int d = 0; d < nd; d++) sh[d + 1] = y->shape[d];
        sh[1] = o->shape[0];
        TRY(mx_reshape(outputs, y, sh, nd + 1, S));
        goto done;
    }
    {
        mxi_conv_params q = *p;
        int c_in = x->shape[x->ndim - 1];
        /* x: (B, N, sp..., C) -> (N, sp..., B, C) -> (N, sp..., B*C) */
        TRY(mx_moveaxis(&xr, x, 0, x->ndim - 2, S));
        for (int d = 0; d < x->ndim - 2; d++) sh[d] = xr->shape[d];
        sh[x->ndim - 2] = b * c_in;
        mx_array_free(x);
        x = NULL;
        TRY(mx_reshape(&x, xr, sh, xr->ndim - 1, S));
        /* w: (B, O, k..., Cg) -> (B*O, k..., Cg) */
        TRY(mxi_vmap_front(&w, inputs[1], in_axes[1], b, S));
        sh[0] = b * w->shape[1];
        for (int d = 2; d < w->ndim; d++) sh[d - 1] = w->shape[d];
        TRY(mx_reshape(&wr, w, sh, w->ndim - 1, S));
        q.groups = p->groups * b;
        TRY(mxi_conv_make(&y, x, wr, &q, spatial, S));
        /* (N, osp..., B*O) -> (N, osp..., B, O) -> (B, N, osp..., O) */
        for (int d = 0; d < nd - 1; d++) sh[d] = y->shape[d];
        sh[nd - 1] = b;
        sh[nd] = o->shape[nd - 1];
        TRY(mx_reshape(&yr, y, sh, nd + 1, S));
        TRY(mx_moveaxis(outputs, yr, nd - 1, 0, S));
    }
done:
    mx_array_free(x);
    mx_array_free(w);
    mx_array_free(xr);
    mx_array_free(wr);
    mx_array_free(y);
    mx_array_free(yr);
    return rc;
}
