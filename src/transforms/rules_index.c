/*
 * Derivatives of the indexing primitives. Gathers are selections: reverse
 * mode adds g back at the positions gathered, forward mode gathers the
 * tangent. Scatters and slice updates (plain or adding, as MLX): the
 * untouched part of the array and the gathered part of g for the updates;
 * max and min forms: g where the result equals the element (as MLX). The
 * multiplying forms have no rule (neither have MLX's), nor has MaskedScatter
 * yet. Index arrays are never differentiated.
 */
#include <stdlib.h>
#include <string.h>

#include "primitives/params.h"
#include "primitives/params_index.h"
#include "rules_util.h"

static int reduce_of(const mxi_node *node) {
    switch (node->kind) {
    case MXI_PRIM_SCATTER:
        return ((const mxi_scatter_params *)node->params)->reduce;
    case MXI_PRIM_SCATTER_AXIS:
        return ((const mxi_scatter_axis_params *)node->params)->reduce;
    case MXI_PRIM_SLICE_UPDATE:
        return ((const mxi_slice_update_params *)node->params)->reduce;
    case MXI_PRIM_DYNAMIC_SLICE_UPDATE:
        return ((const mxi_dynamic_slice_update_params *)node->params)->reduce;
    default:
        return MXI_SCATTER_NONE;
    }
}

/* The index of the updates among the node's inputs. */
static int update_input(const mxi_node *node) {
    switch (node->kind) {
    case MXI_PRIM_SCATTER:
    case MXI_PRIM_SCATTER_AXIS:
        return node->n_inputs - 1;
    default:
        return 1;
    }
}

/* The part of g the updates landed on. */
static int updates_cotangent(mx_array **out, const mxi_node *node, mx_array *const *in,
                             mx_array *g) {
    mx_array *u = in[update_input(node)];
    switch (node->kind) {
    case MXI_PRIM_SCATTER: {
        const mxi_scatter_params *p = node->params;
        int axes[64];
        for (int i = 0; i < p->naxes; i++) axes[i] = p->axes[i];
        int ind = p->naxes ? in[1]->ndim : 0;
        return mx_gather(out, g, (const mx_array *const *)(in + 1), p->naxes, axes, p->naxes,
                         u->shape + ind, g->ndim, S);
    }
    case MXI_PRIM_SCATTER_AXIS:
        return mx_take_along_axis(out, g, in[1],
                                  ((const mxi_scatter_axis_params *)node->params)->axis, S);
    case MXI_PRIM_SLICE_UPDATE: {
        const mxi_slice_update_params *p = node->params;
        size_t bytes = sizeof(mxi_slice_params) + 2 * (size_t)p->ndim * sizeof(int64_t);
        mxi_slice_params *sp = calloc(1, bytes);
        if (!sp) return mxi_error(MX_ERR_MEMORY, "[vjp] out of memory");
        sp->ndim = p->ndim;
        memcpy(sp->start_step, p->start_step, 2 * (size_t)p->ndim * sizeof(int64_t));
        int rc = mxi_make(out, g->dtype, u->shape, u->ndim, MXI_PRIM_SLICE, sp, bytes, &g, 1, S);
        free(sp);
        return rc;
    }
    default: { /* DynamicSliceUpdate */
        const mxi_dynamic_slice_update_params *p = node->params;
        int axes[64];
        for (int i = 0; i < p->naxes; i++) axes[i] = p->axes[i];
        return mx_slice_dynamic(out, g, in[2], axes, p->naxes, u->shape, u->ndim, S);
    }
    }
}

/* Applies the node to (a, indices..., updates) with a and updates replaced. */
static int reapply_update(mx_array **out, const mxi_node *node, mx_array *const *in, mx_array *a,
                          mx_array *u) {
    mx_array **ins = malloc(sizeof *ins * (size_t)node->n_inputs);
    if (!ins) return mxi_error(MX_ERR_MEMORY, "[transforms] out of memory");
    int ui = update_input(node);
    for (int i = 0; i < node->n_inputs; i++) ins[i] = i == 0 ? a : i == ui ? u : in[i];
    int rc = mxi_rule_reapply(out, node, ins, node->outputs[0]->dtype);
    free(ins);
    return rc;
}

static int check_reduce(const mxi_node *node, const char *mode) {
    if (reduce_of(node) != MXI_SCATTER_PROD) return MX_OK;
    return mxi_error(MX_ERR_VALUE, "[%s] %s with a product has no derivative (as in MLX)", mode,
                     mxi_primitives[node->kind].name);
}

static bool is_extremum(const mxi_node *node) {
    int r = reduce_of(node);
    return r == MXI_SCATTER_MAX || r == MXI_SCATTER_MIN;
}

/* Max and min scatters: which elements of a, and which updates, the result
 * took its values from (ties count for both, as in MLX). */
static int extremum_masks(const mxi_node *node, mx_array *const *in, mx_array **ma, mx_array **mu) {
    mx_array *y = node->outputs[0], *at = NULL;
    int ui = update_input(node);
    int rc = MX_OK;
    TRY(mx_equal(ma, in[0], y, S));
    TRY(mx_astype(ma, *ma, y->dtype, S));
    TRY(updates_cotangent(&at, node, in, y));
    TRY(mx_equal(mu, in[ui], at, S));
    TRY(mx_astype(mu, *mu, y->dtype, S));
done:
    mx_array_free(at);
    return rc;
}

/* The node applied to (a, indices..., u) as an adding scatter. */
static int reapply_as_sum(mx_array **out, const mxi_node *node, mx_array *const *in, mx_array *a,
                          mx_array *u) {
    void *q = malloc(node->params_size);
    if (!q) return mxi_error(MX_ERR_MEMORY, "[transforms] out of memory");
    memcpy(q, node->params, node->params_size);
    *(int32_t *)q = MXI_SCATTER_SUM; /* every scatter's parameters start with reduce */
    mx_array **ins = malloc(sizeof *ins * (size_t)node->n_inputs);
    int rc = ins ? MX_OK : mxi_error(MX_ERR_MEMORY, "[transforms] out of memory");
    int ui = update_input(node);
    for (int i = 0; !rc && i < node->n_inputs; i++) ins[i] = i == 0 ? a : i == ui ? u : in[i];
    const mx_array *y = node->outputs[0];
    if (!rc)
        rc = mxi_make(out, y->dtype, y->shape, y->ndim, node->kind, q, node->params_size, ins,
                      node->n_inputs, S);
    free(q);
    free(ins);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_index) {
    mx_array *g = cotangents[0], *z = NULL;
    int rc = MX_OK;
    if (node->kind == MXI_PRIM_GATHER || node->kind == MXI_PRIM_GATHER_AXIS) {
        if (argnums[0] == 0) rc = mxi_rule_vjp_by_positions(&out[0], node, primals, 0, g);
        return rc;
    }
    if (node->kind == MXI_PRIM_MASKED_SCATTER)
        return mxi_error(MX_ERR_VALUE, "[vjp] MaskedScatter has no derivative yet");
    TRY(check_reduce(node, "vjp"));
    int ui = update_input(node);
    if (is_extremum(node)) {
        mx_array *ma = NULL, *mu = NULL, *gu = NULL;
        rc = extremum_masks(node, primals, &ma, &mu);
        for (int k = 0; k < n_argnums && !rc; k++) {
            if (argnums[k] == 0) rc = mx_multiply(&out[k], g, ma, S);
            if (argnums[k] == ui) {
                rc = updates_cotangent(&gu, node, primals, g);
                if (!rc) rc = mx_multiply(&out[k], gu, mu, S);
            }
        }
        mx_array_free(ma);
        mx_array_free(mu);
        mx_array_free(gu);
        return rc;
    }
    for (int k = 0; k < n_argnums; k++) {
        if (argnums[k] == 0) {
            if (reduce_of(node) == MXI_SCATTER_SUM) {
                out[k] = mx_array_retain(g);
            } else {
                /* what the updates overwrote gets nothing */
                TRY(mx_zeros_like(&z, primals[ui], g->dtype, S));
                TRY(reapply_update(&out[k], node, primals, g, z));
            }
        } else if (argnums[k] == ui) {
            TRY(updates_cotangent(&out[k], node, primals, g));
        }
    }
done:
    mx_array_free(z);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_index) {
    int rc = MX_OK;
    mx_array *ta = NULL, *tu = NULL;
    if (node->kind == MXI_PRIM_GATHER || node->kind == MXI_PRIM_GATHER_AXIS) {
        if (argnums[0] != 0) return MX_OK;
        mx_array **ins = malloc(sizeof *ins * (size_t)node->n_inputs);
        if (!ins) return mxi_error(MX_ERR_MEMORY, "[jvp] out of memory");
        for (int i = 0; i < node->n_inputs; i++) ins[i] = i ? primals[i] : tangents[0];
        rc = mxi_rule_reapply(&out[0], node, ins, node->outputs[0]->dtype);
        free(ins);
        return rc;
    }
    if (node->kind == MXI_PRIM_MASKED_SCATTER)
        return mxi_error(MX_ERR_VALUE, "[jvp] MaskedScatter has no derivative yet");
    TRY(check_reduce(node, "jvp"));
    int ui = update_input(node);
    for (int k = 0; k < n_argnums; k++) {
        if (argnums[k] == 0) ta = mx_array_retain(tangents[k]);
        if (argnums[k] == ui) tu = mx_array_retain(tangents[k]);
    }
    if (!ta) TRY(mx_zeros_like(&ta, primals[0], primals[0]->dtype, S));
    if (!tu) TRY(mx_zeros_like(&tu, primals[ui], primals[ui]->dtype, S));
    if (is_extremum(node)) {
        /* the tangents of whatever the result came from, added up */
        mx_array *ma = NULL, *mu = NULL;
        rc = extremum_masks(node, primals, &ma, &mu);
        if (!rc) rc = mx_multiply(&ta, ta, ma, S);
        if (!rc) rc = mx_multiply(&tu, tu, mu, S);
        if (!rc) rc = reapply_as_sum(&out[0], node, primals, ta, tu);
        mx_array_free(ma);
        mx_array_free(mu);
        goto done;
    }
    TRY(reapply_update(&out[0], node, primals, ta, tu));
done:
    mx_array_free(ta);
    mx_array_free(tu);
    return rc;
}

/* Gather and Scatter under vmap: the batch becomes one more indexed axis
 * (axis 0, indexed by 0..B-1 along the batch of the index arrays), with a
 * slice of 1 along it. idx gets the naxes + 1 index arrays of shape
 * (B, I...). */
static int batched_indices(const mxi_node *node, mx_array *const *inputs, const int *in_axes,
                           int naxes, int32_t b, mx_array **idx) {
    mx_array *r = NULL, *rr = NULL;
    int rc = MX_OK;
    const mx_array *i0 = node->inputs[1];
    int32_t shape[65];
    shape[0] = b;
    for (int d = 0; d < i0->ndim; d++) shape[d + 1] = 1;
    for (int j = 0; j < naxes; j++)
        TRY(mxi_vmap_front(&idx[j + 1], inputs[1 + j], in_axes[1 + j], b, S));
    TRY(mx_arange(&r, 0, b, 1, idx[1]->dtype, S));
    TRY(mx_reshape(&rr, r, shape, i0->ndim + 1, S));
    TRY(mx_broadcast_to(&idx[0], rr, idx[1]->shape, idx[1]->ndim, S));
done:
    mx_array_free(r);
    mx_array_free(rr);
    return rc;
}

static int gather_vmap(const mxi_node *node, mx_array *const *inputs, const int *in_axes,
                       mx_array **outputs, int *out_axes) {
    const mxi_gather_params *p = node->params;
    int na = p->naxes, nd = p->ndim;
    if (na == 0) return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
    int32_t b = mxi_vmap_size(inputs, in_axes, node->n_inputs);
    size_t bytes = sizeof *p + sizeof(int32_t) * (size_t)(na + 1 + nd + 1);
    mxi_gather_params *q = calloc(1, bytes);
    mx_array **ins = calloc((size_t)na + 2, sizeof *ins), *r = NULL;
    int rc = q && ins ? MX_OK : mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
    if (rc) goto done;
    q->naxes = na + 1;
    q->ndim = nd + 1;
    q->data[0] = 0;
    for (int j = 0; j < na; j++) q->data[j + 1] = p->data[j] + 1;
    q->data[na + 1] = 1;
    for (int d = 0; d < nd; d++) q->data[na + 2 + d] = p->data[na + d];
    TRY(mxi_vmap_front(&ins[0], inputs[0], in_axes[0], b, S));
    TRY(batched_indices(node, inputs, in_axes, na, b, ins + 1));
    {
        const mx_array *o = node->outputs[0];
        int ni = node->inputs[1]->ndim;
        int32_t raw[66], fin[65];
        raw[0] = b;
        for (int d = 0; d < ni; d++) raw[d + 1] = o->shape[d];
        raw[ni + 1] = 1;
        for (int d = 0; d < nd; d++) raw[ni + 2 + d] = o->shape[ni + d];
        fin[0] = b;
        for (int d = 0; d < o->ndim; d++) fin[d + 1] = o->shape[d];
        TRY(mxi_make(&r, o->dtype, raw, ni + 2 + nd, MXI_PRIM_GATHER, q, bytes, ins, na + 2, S));
        TRY(mx_reshape(&outputs[0], r, fin, o->ndim + 1, S));
        out_axes[0] = 0;
    }
done:
    for (int j = 0; ins && j < na + 2; j++) mx_array_free(ins[j]);
    free(ins);
    free(q);
    mx_array_free(r);
    return rc;
}

static int scatter_vmap(const mxi_node *node, mx_array *const *inputs, const int *in_axes,
                        mx_array **outputs, int *out_axes) {
    const mxi_scatter_params *p = node->params;
    int na = p->naxes;
    if (na == 0) return mxi_error(MX_ERR_VALUE, "[vmap] Scatter without indices has no vmap rule");
    int32_t b = mxi_vmap_size(inputs, in_axes, node->n_inputs);
    size_t bytes = sizeof *p + sizeof(int32_t) * (size_t)(na + 1);
    mxi_scatter_params *q = calloc(1, bytes);
    mx_array **ins = calloc((size_t)na + 3, sizeof *ins), *u = NULL;
    int rc = q && ins ? MX_OK : mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
    if (rc) goto done;
    q->reduce = p->reduce;
    q->naxes = na + 1;
    q->axes[0] = 0;
    for (int j = 0; j < na; j++) q->axes[j + 1] = p->axes[j] + 1;
    TRY(mxi_vmap_front(&ins[0], inputs[0], in_axes[0], b, S));
    TRY(batched_indices(node, inputs, in_axes, na, b, ins + 1));
    /* updates (B, I..., slice...) -> (B, I..., 1, slice...) */
    TRY(mxi_vmap_front(&u, inputs[na + 1], in_axes[na + 1], b, S));
    int ni = node->inputs[1]->ndim;
    TRY(mx_expand_dims(&ins[na + 2], u, ni + 1, S));
    {
        const mx_array *o = node->outputs[0];
        int32_t shape[65];
        shape[0] = b;
        for (int d = 0; d < o->ndim; d++) shape[d + 1] = o->shape[d];
        TRY(mxi_make(&outputs[0], o->dtype, shape, o->ndim + 1, MXI_PRIM_SCATTER, q, bytes, ins,
                     na + 3, S));
        out_axes[0] = 0;
    }
done:
    for (int j = 0; ins && j < na + 3; j++) mx_array_free(ins[j]);
    free(ins);
    free(q);
    mx_array_free(u);
    return rc;
}

/* GatherAxis and ScatterAxis: the batch leads on the array, the indices
 * and the updates alike; slice updates: the start indices stay unmapped. */
MXI_VMAP_RULE(mxi_vmap_index) {
    int rc = MX_OK;
    switch (node->kind) {
    case MXI_PRIM_GATHER_AXIS: {
        mxi_gather_axis_params q = *(const mxi_gather_axis_params *)node->params;
        q.axis++;
        return mxi_vmap_with_params(node, inputs, in_axes, 2, &q, sizeof q, outputs, out_axes);
    }
    case MXI_PRIM_SCATTER_AXIS: {
        mxi_scatter_axis_params q = *(const mxi_scatter_axis_params *)node->params;
        q.axis++;
        return mxi_vmap_with_params(node, inputs, in_axes, 3, &q, sizeof q, outputs, out_axes);
    }
    case MXI_PRIM_SLICE_UPDATE: {
        const mxi_slice_update_params *p = node->params;
        int nd = p->ndim;
        size_t bytes = sizeof *p + 2 * (size_t)(nd + 1) * sizeof(int64_t);
        mxi_slice_update_params *q = calloc(1, bytes);
        if (!q) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
        q->reduce = p->reduce;
        q->ndim = nd + 1;
        q->start_step[nd + 1] = 1;
        for (int i = 0; i < nd; i++) {
            q->start_step[i + 1] = p->start_step[i];
            q->start_step[nd + 2 + i] = p->start_step[nd + i];
        }
        rc = mxi_vmap_with_params(node, inputs, in_axes, 2, q, bytes, outputs, out_axes);
        free(q);
        return rc;
    }
    case MXI_PRIM_DYNAMIC_SLICE_UPDATE: {
        mxi_dynamic_slice_update_params *q = malloc(node->params_size);
        if (!q) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
        memcpy(q, node->params, node->params_size);
        for (int i = 0; i < q->naxes; i++) q->axes[i]++;
        rc =
            mxi_vmap_with_params(node, inputs, in_axes, 2, q, node->params_size, outputs, out_axes);
        free(q);
        return rc;
    }
    case MXI_PRIM_GATHER:
        return gather_vmap(node, inputs, in_axes, outputs, out_axes);
    case MXI_PRIM_SCATTER:
        return scatter_vmap(node, inputs, in_axes, outputs, out_axes);
    default:
        return mxi_error(MX_ERR_VALUE, "[vmap] %s has no vmap rule yet",
                         mxi_primitives[node->kind].name);
    }
}
