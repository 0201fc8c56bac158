/*
 * Derivatives of the fast primitives (rms_norm, layer_norm, rope, attention):
 * each is differentiated through its op-by-op composition (src/ops/fast.c),
 * as MLX does, so the fused kernel serves the forward pass and the
 * composition the transforms. Inputs outside argnums (masks, integer
 * offsets) are held fixed.
 */
#include "ops/fast.h"
#include "rules_util.h"

#include "cmlx/transforms.h"

/* The composition as a function of some of the node's inputs (those in
 * `which`); the others are taken from `all`. */
typedef struct composed {
    const mxi_node *node;
    mx_array *const *all;
    const int *which;
    int n_which;
} composed;

static int composed_fn(mx_vec *outputs, const mx_vec *inputs, void *payload) {
    const composed *c = payload;
    mx_array *ins[8];
    int n = c->node->n_inputs;
    if (n > 8 || inputs->size != c->n_which)
        return mxi_error(MX_ERR_RUNTIME, "[fast] unexpected inputs for a derivative");
    for (int i = 0; i < n; i++) ins[i] = c->all[i];
    for (int k = 0; k < c->n_which; k++) ins[c->which[k]] = inputs->data[k];
    mx_array *r = NULL;
    int rc = mxi_fast_composed(&r, c->node->kind, c->node->params, ins, &c->node->stream);
    return rc ? rc : mx_vec_push(outputs, r);
}

static int make_closure(mx_closure **f, composed *c) {
    return mx_closure_new(f, composed_fn, c, NULL);
}

MXI_VJP_RULE(mxi_vjp_fast) {
    composed c = {node, primals, argnums, n_argnums};
    mx_closure *f = NULL;
    mx_vec prim = {0}, cot = {0}, outs = {0}, vjps = {0};
    int rc = make_closure(&f, &c);
    for (int k = 0; k < n_argnums && !rc; k++) rc = mx_vec_append(&prim, primals[argnums[k]]);
    if (!rc) rc = mx_vec_append(&cot, cotangents[0]);
    if (!rc) rc = mx_vjp(&outs, &vjps, f, &prim, &cot);
    for (int k = 0; k < n_argnums && !rc; k++) out[k] = mx_array_retain(vjps.data[k]);
    mx_vec_clear(&prim), mx_vec_clear(&cot), mx_vec_clear(&outs), mx_vec_clear(&vjps);
    mx_closure_free(f);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_fast) {
    composed c = {node, primals, argnums, n_argnums};
    mx_closure *f = NULL;
    mx_vec prim = {0}, tan = {0}, outs = {0}, jvps = {0};
    int rc = make_closure(&f, &c);
    for (int k = 0; k < n_argnums && !rc; k++) {
        rc = mx_vec_append(&prim, primals[argnums[k]]);
        if (!rc) rc = mx_vec_append(&tan, tangents[k]);
    }
    if (!rc) rc = mx_jvp(&outs, &jvps, f, &prim, &tan);
    if (!rc) out[0] = mx_array_retain(jvps.data[0]);
    mx_vec_clear(&prim), mx_vec_clear(&tan), mx_vec_clear(&outs), mx_vec_clear(&jvps);
    mx_closure_free(f);
    return rc;
}

/* vmap: the composition mapped over the same axes (every input passed). */
MXI_VMAP_RULE(mxi_vmap_fast) {
    int n = node->n_inputs, which[8], axes[8];
    if (n > 8) return mxi_error(MX_ERR_RUNTIME, "[fast] unexpected inputs for vmap");
    for (int i = 0; i < n; i++) {
        which[i] = i;
        axes[i] = in_axes[i] < 0 ? MX_VMAP_NONE : in_axes[i];
    }
    composed c = {node, inputs, which, n};
    mx_closure *f = NULL, *vf = NULL;
    mx_vec ins = {0}, outs = {0};
    int zero = 0;
    int rc = make_closure(&f, &c);
    if (!rc) rc = mx_vmap(&vf, f, axes, n, &zero, 1);
    for (int i = 0; i < n && !rc; i++) rc = mx_vec_append(&ins, inputs[i]);
    if (!rc) rc = mx_closure_apply(vf, &outs, &ins);
    if (!rc) {
        outputs[0] = mx_array_retain(outs.data[0]);
        out_axes[0] = 0;
    }
    mx_vec_clear(&ins), mx_vec_clear(&outs);
    mx_closure_free(vf);
    mx_closure_free(f);
    return rc;
}
