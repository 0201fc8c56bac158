/* Rules of the distributed primitives, MLX's:
 *   AllReduce: vjp passes the cotangent through (each process differentiates
 *     its own copy of a replicated loss), jvp reduces the tangent the same
 *     way, vmap reduces the batched array (elementwise, any batch axis).
 *   AllGather: vjp keeps this process's block of the cotangent's first
 *     axis, jvp gathers the tangent.
 *   ReduceScatter: jvp scatters the tangent (no vjp, as MLX).
 *   Send: vmap sends the batched array.
 * AllGather and ReduceScatter under vmap work on the first axis of each
 * entry, so a batch at axis 0 is moved to axis 1 first (a 0-d entry is
 * made (1, B)); MLX leaves it at 0 and mixes the batch into the gather. */
#include "rules_util.h"

#include "distributed/distributed_impl.h"
#include "primitives/params_distributed.h"

/* The node's primitive on x, through its public op (so shapes follow x). */
static int apply(mx_array **out, const mxi_node *node, mx_array *x) {
    const mxi_dist_params *p = node->params;
    mx_distributed_group *g = mxi_dist_group_new(p->group);
    if (!g) return MX_ERR_MEMORY;
    int rc;
    switch (node->kind) {
    case MXI_PRIM_DIST_ALL_REDUCE:
        rc = p->arg == MXI_DIST_MAX   ? mx_distributed_all_max(out, x, g, S)
             : p->arg == MXI_DIST_MIN ? mx_distributed_all_min(out, x, g, S)
                                      : mx_distributed_all_sum(out, x, g, S);
        break;
    case MXI_PRIM_DIST_ALL_GATHER:
        rc = mx_distributed_all_gather(out, x, g, S);
        break;
    case MXI_PRIM_DIST_REDUCE_SCATTER:
        rc = mx_distributed_sum_scatter(out, x, g, S);
        break;
    case MXI_PRIM_DIST_SEND:
        rc = mx_distributed_send(out, x, p->arg, g, S);
        break;
    default:
        rc = mxi_error(MX_ERR_VALUE, "[distributed] No rule for this primitive.");
        break;
    }
    mx_distributed_group_free(g);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_distributed) {
    (void)argnums;
    (void)n_argnums;
    mx_array *g = cotangents[0];
    if (node->kind == MXI_PRIM_DIST_ALL_REDUCE) {
        out[0] = mx_array_retain(g);
        return MX_OK;
    }
    /* AllGather: this process's block of the first axis. */
    const mxi_dist_params *p = node->params;
    const mxi_dist_comm *c = mxi_dist_lookup(p->group);
    const mx_array *x = primals[0];
    if (!c) return mxi_error(MX_ERR_VALUE, "[distributed] Unknown group.");
    int32_t start[64], stop[64], strides[64];
    int n = g->ndim;
    for (int i = 0; i < n; i++) start[i] = 0, stop[i] = g->shape[i], strides[i] = 1;
    int32_t block = x->ndim ? x->shape[0] : 1;
    start[0] = c->rank * block;
    stop[0] = start[0] + block;
    int rc = MX_OK;
    mx_array *sl = NULL;
    TRY(mx_slice(&sl, g, start, stop, strides, n, S));
    if (x->ndim == 0)
        TRY(mx_reshape(&out[0], sl, NULL, 0, S));
    else
        out[0] = mx_array_retain(sl);
done:
    mx_array_free(sl);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_distributed) {
    (void)primals;
    (void)argnums;
    (void)n_argnums;
    return apply(&out[0], node, tangents[0]);
}

MXI_VMAP_RULE(mxi_vmap_distributed) {
    mx_array *x = inputs[0];
    int ax = in_axes[0];
    bool first_axis =
        node->kind == MXI_PRIM_DIST_ALL_GATHER || node->kind == MXI_PRIM_DIST_REDUCE_SCATTER;
    if (!first_axis || ax < 0 || (ax > 0 && x->ndim > 1)) {
        out_axes[0] = ax;
        return apply(&outputs[0], node, x);
    }
    int rc = MX_OK;
    mx_array *moved = NULL;
    if (x->ndim == 1) {
        int32_t shape[2] = {1, x->shape[0]};
        TRY(mx_reshape(&moved, x, shape, 2, S));
    } else {
        TRY(mx_moveaxis(&moved, x, 0, 1, S));
    }
    TRY(apply(&outputs[0], node, moved));
    out_axes[0] = 1;
done:
    mx_array_free(moved);
    return rc;
}
