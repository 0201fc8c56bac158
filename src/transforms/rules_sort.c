/* Derivatives of Sort and Partition: the output is the input permuted along
 * the axis (by argsort / argpartition), so g goes back through the same
 * permutation. ArgSort, ArgPartition and SearchSorted give integers: zero. */
#include "primitives/params_sort.h"
#include "rules_util.h"

static int order(mx_array **idx, const mxi_node *node, mx_array *x, int *axis) {
    if (node->kind == MXI_PRIM_PARTITION) {
        const mxi_partition_params *p = node->params;
        *axis = p->axis;
        return mx_argpartition_axis(idx, x, p->kth, p->axis, S);
    }
    *axis = ((const mxi_sort_params *)node->params)->axis;
    return mx_argsort_axis(idx, x, *axis, S);
}

MXI_VJP_RULE(mxi_vjp_sort) {
    (void)argnums, (void)n_argnums;
    mx_array *idx = NULL, *z = NULL;
    int axis = 0;
    int rc = order(&idx, node, primals[0], &axis);
    if (!rc) rc = mx_zeros_like(&z, primals[0], cotangents[0]->dtype, S);
    if (!rc) rc = mx_scatter_add_axis(&out[0], z, idx, cotangents[0], axis, S);
    mx_array_free(idx);
    mx_array_free(z);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_sort) {
    (void)argnums, (void)n_argnums;
    mx_array *idx = NULL;
    int axis = 0;
    int rc = order(&idx, node, primals[0], &axis);
    if (!rc) rc = mx_take_along_axis(&out[0], tangents[0], idx, axis, S);
    mx_array_free(idx);
    return rc;
}

MXI_VMAP_RULE(mxi_vmap_sort) {
    int32_t b = mxi_vmap_size(inputs, in_axes, 1);
    mx_array *f = NULL;
    int rc = MX_OK;
    if (node->kind == MXI_PRIM_PARTITION || node->kind == MXI_PRIM_ARGPARTITION) {
        mxi_partition_params p = *(const mxi_partition_params *)node->params;
        p.axis++;
        rc = mxi_vmap_front(&f, inputs[0], in_axes[0], b, S);
        if (!rc) rc = mxi_vmap_remake(outputs, node, &p, &f, b);
    } else {
        mxi_sort_params p = *(const mxi_sort_params *)node->params;
        p.axis++;
        rc = mxi_vmap_front(&f, inputs[0], in_axes[0], b, S);
        if (!rc) rc = mxi_vmap_remake(outputs, node, &p, &f, b);
    }
    out_axes[0] = 0;
    mx_array_free(f);
    return rc;
}

/* SearchSorted under vmap: the values' batch leads (the output has their
 * shape); a mapped sorted sequence is refused, as MLX does. */
MXI_VMAP_RULE(mxi_vmap_searchsorted) {
    if (in_axes[0] >= 0)
        return mxi_error(MX_ERR_VALUE, "[searchsorted] Cannot vmap over the sorted sequence, only "
                                       "over the values being searched for.");
    int32_t b = mxi_vmap_size(inputs, in_axes, 2);
    mx_array *f = NULL, *ins[2];
    int rc = mxi_vmap_front(&f, inputs[1], in_axes[1], b, S);
    ins[0] = inputs[0];
    ins[1] = f;
    if (!rc) rc = mxi_vmap_remake(outputs, node, node->params, ins, b);
    out_axes[0] = 0;
    mx_array_free(f);
    return rc;
}
