/*
 * Derivatives of the creation primitives that have inputs: Full (a value
 * spread to a shape), AsType, Tril and Triu. Arange, Eye, Tri and windows
 * have no inputs and no rules.
 */
#include "rules_util.h"

MXI_VJP_RULE(mxi_vjp_creation) {
    (void)n_argnums, (void)argnums;
    mx_array *g = cotangents[0];
    switch (node->kind) {
    case MXI_PRIM_FULL:
        return mxi_rule_unbroadcast(&out[0], g, primals[0], S);
    case MXI_PRIM_ASTYPE:
        return mx_astype(&out[0], g, primals[0]->dtype, S);
    default: /* Tril, Triu: the same mask on the cotangent */
        return mxi_rule_reapply(&out[0], node, &g, g->dtype);
    }
}

MXI_JVP_RULE(mxi_jvp_creation) {
    (void)n_argnums, (void)argnums, (void)primals;
    mx_array *t = tangents[0];
    if (node->kind == MXI_PRIM_ASTYPE) return mx_astype(&out[0], t, node->outputs[0]->dtype, S);
    return mxi_rule_reapply(&out[0], node, &t, node->outputs[0]->dtype);
}

MXI_VMAP_RULE(mxi_vmap_creation) {
    return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
}
