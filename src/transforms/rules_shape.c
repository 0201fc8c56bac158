/*
 * Derivatives of the shape, view and join primitives. They are linear, so
 * forward mode applies the primitive itself to the tangents; reverse mode
 * undoes the view (reshape back, inverse transpose, sum over broadcast axes)
 * or, for primitives that pick elements (Slice, AsStrided, Diagonal,
 * DynamicSlice), adds the cotangent back at the positions picked. View has
 * no rule (as in MLX); StopGradient has zero derivative.
 */
#include <stdlib.h>
#include <string.h>

#include "primitives/params.h"
#include "primitives/params_shape.h"
#include "rules_util.h"

static int concat_vjp(const mxi_node *node, mx_array *const *in, mx_array *g, const int *argnums,
                      int n, mx_array **out) {
    int axis = ((const mxi_concatenate_params *)node->params)->axis;
    int nd = g->ndim;
    int32_t start[64] = {0}, stop[64];
    for (int d = 0; d < nd; d++) stop[d] = g->shape[d];
    int offset = 0, rc = MX_OK;
    for (int i = 0, k = 0; i < node->n_inputs && !rc; i++) {
        int len = in[i]->shape[axis];
        if (k < n && argnums[k] == i) {
            start[axis] = offset;
            stop[axis] = offset + len;
            rc = mx_slice(&out[k++], g, start, stop, NULL, nd, S);
        }
        offset += len;
    }
    return rc;
}

/* Forward mode of primitives with several inputs where only some have
 * tangents: the others get zeros, then the primitive is applied. */
static int reapply_with_zeros(const mxi_node *node, mx_array *const *in, mx_array *const *t,
                              const int *argnums, int n, int linear_inputs, mx_array **out) {
    mx_array **ins = calloc((size_t)node->n_inputs, sizeof *ins);
    if (!ins) return mxi_error(MX_ERR_MEMORY, "[jvp] out of memory");
    int rc = MX_OK;
    for (int i = 0; i < node->n_inputs && !rc; i++) {
        int k = mxi_rule_arg_index(argnums, n, i);
        if (i >= linear_inputs)
            ins[i] = mx_array_retain(in[i]);
        else if (k >= 0)
            ins[i] = mx_array_retain(t[k]);
        else
            rc = mx_zeros_like(&ins[i], in[i], in[i]->dtype, S);
    }
    if (!rc) rc = mxi_rule_reapply(out, node, ins, node->outputs[0]->dtype);
    for (int i = 0; i < node->n_inputs; i++) mx_array_free(ins[i]);
    free(ins);
    return rc;
}

static int pad_vjp(const mxi_node *node, mx_array *const *in, mx_array *g, const int *argnums,
                   int n, mx_array **out) {
    const mxi_pad_params *p = node->params;
    const mx_array *a = in[0];
    int32_t start[64], stop[64];
    for (int d = 0; d < a->ndim; d++) {
        start[d] = p->low[d];
        stop[d] = p->low[d] + a->shape[d];
    }
    mx_array *inner = NULL, *total = NULL, *part = NULL, *diff = NULL;
    int rc = MX_OK;
    TRY(mx_slice(&inner, g, start, stop, NULL, a->ndim, S));
    for (int k = 0; k < n; k++) {
        if (argnums[k] == 0) {
            out[k] = mx_array_retain(inner);
            continue;
        }
        /* The pad value: every element the input does not cover. */
        TRY(mx_sum(&total, g, false, S));
        TRY(mx_sum(&part, inner, false, S));
        TRY(mx_subtract(&diff, total, part, S));
        if (in[1]->size == 1) {
            TRY(mx_reshape(&out[k], diff, in[1]->shape, in[1]->ndim, S));
        } else {
            rc = mxi_error(MX_ERR_VALUE, "[vjp] Pad: the pad value must have one element");
            goto done;
        }
    }
done:
    mx_array_free(inner);
    mx_array_free(total);
    mx_array_free(part);
    mx_array_free(diff);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_shape) {
    mx_array *g = cotangents[0];
    const mx_array *a = primals[0];
    switch (node->kind) {
    case MXI_PRIM_RESHAPE:
        return mx_reshape(&out[0], g, a->shape, a->ndim, S);
    case MXI_PRIM_TRANSPOSE: {
        const mxi_transpose_params *p = node->params;
        int inv[64];
        for (int i = 0; i < p->ndim; i++) inv[p->perm[i]] = i;
        return mx_transpose(&out[0], g, inv, p->ndim, S);
    }
    case MXI_PRIM_BROADCAST:
        return mxi_rule_unbroadcast(&out[0], g, a, S);
    case MXI_PRIM_SLICE:
    case MXI_PRIM_AS_STRIDED:
    case MXI_PRIM_DIAGONAL:
    case MXI_PRIM_DYNAMIC_SLICE:
        if (argnums[0] != 0) return MX_OK; /* the start indices */
        return mxi_rule_vjp_by_positions(&out[0], node, primals, 0, g);
    case MXI_PRIM_CONTIGUOUS:
        out[0] = mx_array_retain(g);
        return MX_OK;
    case MXI_PRIM_CONCATENATE:
        return concat_vjp(node, primals, g, argnums, n_argnums, out);
    case MXI_PRIM_PAD:
        return pad_vjp(node, primals, g, argnums, n_argnums, out);
    case MXI_PRIM_DEPENDS:
        for (int k = 0; k < n_argnums; k++)
            if (argnums[k] < node->n_outputs) out[k] = mx_array_retain(cotangents[argnums[k]]);
        return MX_OK;
    default:
        return mxi_error(MX_ERR_RUNTIME, "[vjp] no rule for %s", mxi_primitives[node->kind].name);
    }
}

MXI_JVP_RULE(mxi_jvp_shape) {
    switch (node->kind) {
    case MXI_PRIM_CONCATENATE:
        return reapply_with_zeros(node, primals, tangents, argnums, n_argnums, node->n_inputs, out);
    case MXI_PRIM_PAD:
        return reapply_with_zeros(node, primals, tangents, argnums, n_argnums, 2, out);
    case MXI_PRIM_DYNAMIC_SLICE:
        return reapply_with_zeros(node, primals, tangents, argnums, n_argnums, 1, out);
    case MXI_PRIM_DEPENDS:
        for (int k = 0; k < n_argnums; k++)
            if (argnums[k] < node->n_outputs) out[argnums[k]] = mx_array_retain(tangents[k]);
        return MX_OK;
    default:
        if (argnums[0] != 0) return MX_OK;
        return mxi_rule_reapply(&out[0], node, (mx_array *const *)&tangents[0],
                                node->outputs[0]->dtype);
    }
}

/* Pad with a mapped pad value: pad with 0, then add value * (1 where
 * padded). q: the parameters with the batch axis. */
static int pad_mapped_value(const mxi_node *node, mx_array *const *inputs, const int *in_axes,
                            const void *q, size_t bytes, mx_array **outputs, int *out_axes) {
    int32_t b = mxi_vmap_size(inputs, in_axes, node->n_inputs);
    mx_dtype dt = node->outputs[0]->dtype;
    const mx_array *o = node->outputs[0];
    mx_array *zero = NULL, *one = NULL, *z = NULL, *mask = NULL, *padded = NULL, *v = NULL,
             *vr = NULL, *vm = NULL, *ins[2];
    int32_t shape[65];
    const int ax[2] = {in_axes[0], -1};
    int rc = MX_OK;
    TRY(mxi_rule_const(&zero, 0.0, dt));
    TRY(mxi_rule_const(&one, 1.0, dt));
    TRY(mx_zeros_like(&z, node->inputs[0], dt, S));
    ins[0] = z;
    ins[1] = one;
    TRY(mxi_rule_reapply(&mask, node, ins, dt));
    ins[0] = inputs[0];
    ins[1] = zero;
    TRY(mxi_vmap_with_params(node, ins, ax, 1, q, bytes, &padded, out_axes));
    TRY(mxi_vmap_front(&v, inputs[1], in_axes[1], b, S));
    shape[0] = b;
    for (int d = 0; d < o->ndim; d++) shape[d + 1] = 1;
    TRY(mx_reshape(&vr, v, shape, o->ndim + 1, S));
    TRY(mx_multiply(&vm, vr, mask, S));
    TRY(mx_add(&outputs[0], padded, vm, S));
    out_axes[0] = 0;
done:
    mx_array_free(zero);
    mx_array_free(one);
    mx_array_free(z);
    mx_array_free(mask);
    mx_array_free(padded);
    mx_array_free(v);
    mx_array_free(vr);
    mx_array_free(vm);
    return rc;
}

/* The batch leads and the parameters' axes move up by one; Contiguous,
 * StopGradient and Depends work as elementwise ops. */
MXI_VMAP_RULE(mxi_vmap_shape) {
    mx_array *x = inputs[0], *f = NULL, *r = NULL;
    int32_t b = mxi_vmap_size(inputs, in_axes, node->n_inputs);
    void *params = NULL;
    int rc = MX_OK;
    out_axes[0] = 0;
    switch (node->kind) {
    case MXI_PRIM_RESHAPE: {
        /* the shape asked (when the op inferred one) gains the batch */
        const mxi_reshape_params *p = node->params;
        mxi_reshape_params *q = NULL;
        size_t bytes = 0;
        if (node->params_size) {
            bytes = node->params_size + sizeof(int32_t);
            if (!(q = malloc(bytes))) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
            params = q;
            q->ndim = p->ndim + 1;
            q->shape[0] = MXI_RESHAPE_KEEP; /* the batch follows the input */
            memcpy(q->shape + 1, p->shape, sizeof(int32_t) * (size_t)p->ndim);
        }
        TRY(mxi_vmap_front(&f, x, in_axes[0], b, S));
        int32_t shape[65];
        const mx_array *o = node->outputs[0];
        shape[0] = b;
        for (int d = 0; d < o->ndim; d++) shape[d + 1] = o->shape[d];
        TRY(mxi_make(outputs, o->dtype, shape, o->ndim + 1, node->kind, q, bytes, &f, 1, S));
        break;
    }
    case MXI_PRIM_TRANSPOSE: {
        const mxi_transpose_params *p = node->params;
        mxi_transpose_params *q = malloc(node->params_size + sizeof(int32_t));
        if (!q) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
        params = q;
        q->ndim = p->ndim + 1;
        q->perm[0] = 0;
        for (int i = 0; i < p->ndim; i++) q->perm[i + 1] = p->perm[i] + 1;
        TRY(mxi_vmap_front(&f, x, in_axes[0], b, S));
        /* the parameters grew by one axis */
        int32_t shape[65];
        shape[0] = b;
        const mx_array *o = node->outputs[0];
        for (int d = 0; d < o->ndim; d++) shape[d + 1] = o->shape[d];
        TRY(mxi_make(outputs, o->dtype, shape, o->ndim + 1, node->kind, q,
                     node->params_size + sizeof(int32_t), &f, 1, S));
        break;
    }
    case MXI_PRIM_BROADCAST: {
        const mx_array *o = node->outputs[0];
        int32_t shape[65];
        TRY(mxi_vmap_front(&f, x, in_axes[0], b, S));
        /* leading ones so the batch lines up with the output's first axis */
        shape[0] = b;
        int lead = o->ndim - node->inputs[0]->ndim;
        for (int d = 0; d < lead; d++) shape[d + 1] = 1;
        for (int d = 1; d < f->ndim; d++) shape[lead + d] = f->shape[d];
        TRY(mx_reshape(&r, f, shape, o->ndim + 1, S));
        TRY(mxi_vmap_remake(outputs, node, node->params, &r, b));
        break;
    }
    case MXI_PRIM_SLICE: {
        const mxi_slice_params *p = node->params;
        size_t bytes = sizeof *p + 2 * (size_t)(p->ndim + 1) * sizeof(int64_t);
        mxi_slice_params *q = calloc(1, bytes);
        if (!q) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
        params = q;
        int nd = p->ndim;
        q->ndim = nd + 1;
        q->start_step[0] = 0;
        q->start_step[nd + 1] = 1;
        for (int i = 0; i < nd; i++) {
            q->start_step[i + 1] = p->start_step[i];
            q->start_step[nd + 2 + i] = p->start_step[nd + i];
        }
        TRY(mxi_vmap_front(&f, x, in_axes[0], b, S));
        int32_t shape[65];
        const mx_array *o = node->outputs[0];
        shape[0] = b;
        for (int d = 0; d < o->ndim; d++) shape[d + 1] = o->shape[d];
        TRY(mxi_make(outputs, o->dtype, shape, o->ndim + 1, node->kind, q, bytes, &f, 1, S));
        break;
    }
    case MXI_PRIM_AS_STRIDED: {
        /* the positions it reads, taken from each flattened slice */
        const mx_array *a = node->inputs[0];
        int32_t size = (int32_t)a->size, flat[2] = {b, (int32_t)a->size};
        mx_array *pos = NULL, *pos_nd = NULL, *picked = NULL;
        TRY(mxi_vmap_front(&f, x, in_axes[0], b, S));
        TRY(mx_reshape(&r, f, flat, 2, S));
        rc = mx_arange(&pos, 0, size, 1, MX_INT32, S);
        if (!rc) rc = mx_reshape(&pos_nd, pos, a->shape, a->ndim, S);
        if (!rc) rc = mxi_rule_reapply(&picked, node, &pos_nd, MX_INT32);
        if (!rc) rc = mx_take_axis(outputs, r, picked, 1, S);
        mx_array_free(pos);
        mx_array_free(pos_nd);
        mx_array_free(picked);
        break;
    }
    case MXI_PRIM_CONCATENATE: {
        mxi_concatenate_params q = *(const mxi_concatenate_params *)node->params;
        q.axis++;
        return mxi_vmap_with_params(node, inputs, in_axes, node->n_inputs, &q, sizeof q, outputs,
                                    out_axes);
    }
    case MXI_PRIM_DIAGONAL: {
        mxi_diagonal_params q = *(const mxi_diagonal_params *)node->params;
        q.axis1++;
        q.axis2++;
        return mxi_vmap_with_params(node, inputs, in_axes, 1, &q, sizeof q, outputs, out_axes);
    }
    case MXI_PRIM_DYNAMIC_SLICE: {
        mxi_dynamic_slice_params *q = malloc(node->params_size);
        if (!q) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
        memcpy(q, node->params, node->params_size);
        for (int i = 0; i < q->naxes; i++) q->axes[i]++;
        rc =
            mxi_vmap_with_params(node, inputs, in_axes, 1, q, node->params_size, outputs, out_axes);
        free(q);
        return rc;
    }
    case MXI_PRIM_PAD: {
        const mxi_pad_params *p = node->params;
        size_t bytes = sizeof *p + (size_t)(p->ndim + 1) * sizeof(int32_t);
        mxi_pad_params *q = calloc(1, bytes);
        if (!q) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
        q->ndim = p->ndim + 1;
        for (int i = 0; i < p->ndim; i++) q->low[i + 1] = p->low[i];
        if (in_axes[1] < 0)
            rc = mxi_vmap_with_params(node, inputs, in_axes, 1, q, bytes, outputs, out_axes);
        else
            rc = pad_mapped_value(node, inputs, in_axes, q, bytes, outputs, out_axes);
        free(q);
        return rc;
    }
    default:
        return mxi_vmap_elementwise(node, inputs, in_axes, outputs, out_axes);
    }
done:
    free(params);
    mx_array_free(f);
    mx_array_free(r);
    return rc;
}
