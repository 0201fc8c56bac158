/*
 * Derivatives of the indexing primitives. Gathers are selections: reverse
 * mode adds g back at the positions gathered, forward mode gathers the
 * tangent. Scatters and slice updates (plain or adding, as MLX): the
 * untouched part of the array and the gathered part of g for the updates;
 * the multiplying, max and min forms have no rule (neither has MLX's), nor
 * has MaskedScatter yet. Index arrays are never differentiated.
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
    int r = reduce_of(node);
    if (r == MXI_SCATTER_NONE || r == MXI_SCATTER_SUM) return MX_OK;
    return mxi_error(MX_ERR_VALUE, "[%s] %s with a product, max or min has no derivative", mode,
                     mxi_primitives[node->kind].name);
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
    TRY(reapply_update(&out[0], node, primals, ta, tu));
done:
    mx_array_free(ta);
    mx_array_free(tu);
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
    default:
        return mxi_error(MX_ERR_VALUE, "[vmap] %s has no vmap rule yet",
                         mxi_primitives[node->kind].name);
    }
}
