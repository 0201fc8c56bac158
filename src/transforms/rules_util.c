/* Building blocks shared by the derivative rules. */
#include "rules_util.h"

#include <stdlib.h>
#include <string.h>

const int32_t *mxi_rule_out_shape(const mxi_node *n, int i, int *ndim, mx_dtype *dtype) {
    if (n->n_outputs > 1) {
        *ndim = n->out_ndims[i];
        *dtype = n->out_dtypes[i];
        return n->out_shapes[i];
    }
    *ndim = n->outputs[0]->ndim;
    *dtype = n->outputs[0]->dtype;
    return n->outputs[0]->shape;
}

int mxi_rule_unbroadcast(mx_array **out, mx_array *g, const mx_array *like, const mx_stream *s) {
    if (g->ndim == like->ndim &&
        !memcmp(g->shape, like->shape, sizeof(int32_t) * (size_t)g->ndim)) {
        mxi_set_out(out, mx_array_retain(g));
        return MX_OK;
    }
    int axes[64], na = 0, lead = g->ndim - like->ndim;
    for (int d = 0; d < g->ndim; d++)
        if (d < lead || (like->shape[d - lead] == 1 && g->shape[d] != 1)) axes[na++] = d;
    mx_array *sum = NULL;
    int rc = mx_sum_axes(&sum, g, axes, na, true, s);
    if (!rc) rc = mx_reshape(out, sum, like->shape, like->ndim, s);
    mx_array_free(sum);
    return rc;
}

int mxi_rule_reapply(mx_array **out, const mxi_node *n, mx_array *const *inputs, mx_dtype dtype) {
    int nd;
    mx_dtype dt;
    const int32_t *shape = mxi_rule_out_shape(n, 0, &nd, &dt);
    return mxi_make(out, dtype, shape, nd, n->kind, n->params, n->params_size, inputs, n->n_inputs,
                    &n->stream);
}

int mxi_rule_const(mx_array **out, double v, mx_dtype dt) {
    return mx_array_from_float(out, v, dt);
}

int mxi_rule_scale(mx_array **out, mx_array *g, double c, const mx_stream *s) {
    mx_array *k = NULL;
    int rc = mxi_rule_const(&k, c, g->dtype);
    if (!rc) rc = mx_multiply(out, g, k, s);
    mx_array_free(k);
    return rc;
}

int mxi_rule_vjp_by_positions(mx_array **out, const mxi_node *n, mx_array *const *inputs, int which,
                              mx_array *g) {
    const mx_array *a = n->inputs[which];
    mx_array *pos = NULL, *pos_nd = NULL, *picked = NULL, *flat_pick = NULL, *upd = NULL,
             *zeros = NULL, *acc = NULL;
    mx_array **ins = malloc(sizeof *ins * (size_t)n->n_inputs);
    int rc = ins ? MX_OK : mxi_error(MX_ERR_MEMORY, "[vjp] out of memory");
    int32_t size = (int32_t)a->size;
    int axis0 = 0;
    if (!rc) rc = mx_arange(&pos, 0, (double)size, 1, MX_INT32, &n->stream);
    if (!rc) rc = mx_reshape(&pos_nd, pos, a->shape, a->ndim, &n->stream);
    if (!rc) {
        for (int i = 0; i < n->n_inputs; i++) ins[i] = i == which ? pos_nd : inputs[i];
        rc = mxi_rule_reapply(&picked, n, ins, MX_INT32);
    }
    int32_t gsz = (int32_t)g->size, one[2] = {(int32_t)g->size, 1};
    if (!rc) rc = mx_reshape(&flat_pick, picked, &gsz, 1, &n->stream);
    if (!rc) rc = mx_reshape(&upd, g, one, 2, &n->stream);
    if (!rc) rc = mx_zeros(&zeros, &size, 1, g->dtype, &n->stream);
    if (!rc)
        rc = mx_scatter_add(&acc, zeros, (const mx_array *const *)&flat_pick, 1, upd, &axis0, 1,
                            &n->stream);
    if (!rc) rc = mx_reshape(out, acc, a->shape, a->ndim, &n->stream);
    mx_array_free(pos);
    mx_array_free(pos_nd);
    mx_array_free(picked);
    mx_array_free(flat_pick);
    mx_array_free(upd);
    mx_array_free(zeros);
    mx_array_free(acc);
    free(ins);
    return rc;
}

/* ---- vmap ---- */

int32_t mxi_vmap_size(mx_array *const *inputs, const int *axes, int n) {
    for (int i = 0; i < n; i++)
        if (axes[i] >= 0) return inputs[i]->shape[axes[i]];
    return 1;
}

int mxi_vmap_front(mx_array **out, mx_array *x, int axis, int32_t b, const mx_stream *s) {
    if (axis == 0) {
        mxi_set_out(out, mx_array_retain(x));
        return MX_OK;
    }
    if (axis > 0) return mx_moveaxis(out, x, axis, 0, s);
    mx_array *e = NULL;
    int32_t shape[65];
    int rc = mx_expand_dims(&e, x, 0, s);
    shape[0] = b;
    for (int d = 0; d < x->ndim; d++) shape[d + 1] = x->shape[d];
    if (!rc) rc = mx_broadcast_to(out, e, shape, x->ndim + 1, s);
    mx_array_free(e);
    return rc;
}

int mxi_vmap_remake(mx_array **outs, const mxi_node *n, const void *params, mx_array *const *inputs,
                    int32_t b) {
    int no = n->n_outputs;
    if (no > 8) return mxi_error(MX_ERR_VALUE, "[vmap] too many outputs");
    int32_t shapes[8][65];
    const int32_t *sp[8];
    int nds[8];
    mx_dtype dts[8];
    for (int i = 0; i < no; i++) {
        int nd;
        const int32_t *sh = mxi_rule_out_shape(n, i, &nd, &dts[i]);
        shapes[i][0] = b;
        for (int d = 0; d < nd; d++) shapes[i][d + 1] = sh[d];
        sp[i] = shapes[i];
        nds[i] = nd + 1;
    }
    return mxi_make_node(outs, no, dts, sp, nds, n->kind, params, n->params_size, inputs,
                         n->n_inputs, &n->stream);
}

int mxi_vmap_with_params(const mxi_node *n, mx_array *const *inputs, const int *axes, int n_batched,
                         const void *params, size_t params_size, mx_array **outs, int *out_axes) {
    int32_t b = mxi_vmap_size(inputs, axes, n->n_inputs);
    int no = n->n_outputs;
    if (no > 8) return mxi_error(MX_ERR_VALUE, "[vmap] too many outputs");
    for (int i = n_batched; i < n->n_inputs; i++)
        if (axes[i] >= 0)
            return mxi_error(MX_ERR_VALUE, "[vmap] %s: input %d cannot be mapped",
                             mxi_primitives[n->kind].name, i);
    mx_array **ins = calloc((size_t)n->n_inputs, sizeof *ins);
    if (!ins) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
    int rc = MX_OK;
    for (int i = 0; i < n->n_inputs && !rc; i++)
        rc = i < n_batched ? mxi_vmap_front(&ins[i], inputs[i], axes[i], b, &n->stream)
                           : (ins[i] = mx_array_retain(inputs[i]), MX_OK);
    int32_t shapes[8][65];
    const int32_t *sp[8];
    int nds[8];
    mx_dtype dts[8];
    for (int i = 0; i < no; i++) {
        int nd;
        const int32_t *sh = mxi_rule_out_shape(n, i, &nd, &dts[i]);
        shapes[i][0] = b;
        for (int d = 0; d < nd; d++) shapes[i][d + 1] = sh[d];
        sp[i] = shapes[i];
        nds[i] = nd + 1;
        out_axes[i] = 0;
    }
    if (!rc)
        rc = mxi_make_node(outs, no, dts, sp, nds, n->kind, params, params_size, ins, n->n_inputs,
                           &n->stream);
    for (int i = 0; i < n->n_inputs; i++) mx_array_free(ins[i]);
    free(ins);
    return rc;
}

int mxi_vmap_elementwise(const mxi_node *n, mx_array *const *inputs, const int *axes,
                         mx_array **outs, int *out_axes) {
    int32_t b = mxi_vmap_size(inputs, axes, n->n_inputs);
    mx_array **ins = calloc((size_t)n->n_inputs, sizeof *ins);
    if (!ins) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
    int rc = MX_OK;
    for (int i = 0; i < n->n_inputs && !rc; i++)
        rc = mxi_vmap_front(&ins[i], inputs[i], axes[i], b, &n->stream);
    if (!rc) rc = mxi_vmap_remake(outs, n, n->params, ins, b);
    for (int i = 0; i < n->n_outputs; i++) out_axes[i] = 0;
    for (int i = 0; i < n->n_inputs; i++) mx_array_free(ins[i]);
    free(ins);
    return rc;
}

int mxi_rule_spread(mx_array **out, mx_array *g, const mx_array *like, const mx_stream *s) {
    if (!like->tracer || !mxi_shapeless_tracing())
        return mx_broadcast_to(out, g, like->shape, like->ndim, s);
    mx_array *yes = NULL, *x = NULL;
    int rc = mx_array_from_bool(&yes, true);
    if (!rc) rc = mx_astype(&x, like, g->dtype, s);
    if (!rc) rc = mx_where(out, yes, g, x, s);
    mx_array_free(yes);
    mx_array_free(x);
    return rc;
}

int mxi_vmap_by_loop(const mxi_node *n, mx_array *const *inputs, const int *axes, mx_array **outs,
                     int *out_axes) {
    int ni = n->n_inputs, no = n->n_outputs;
    const char *name = mxi_primitives[n->kind].name;
    /* a parameter blob that owns something cannot be copied into new nodes */
    if (no > 8 || mxi_params_release[n->kind])
        return mxi_error(MX_ERR_VALUE, "[vmap] %s has no vmap rule yet", name);
    int32_t b = mxi_vmap_size(inputs, axes, ni);
    if (b <= 0) return mxi_error(MX_ERR_VALUE, "[vmap] %s: cannot map over an empty axis", name);
    const int32_t *sp[8];
    int nds[8];
    mx_dtype dts[8];
    for (int i = 0; i < no; i++) sp[i] = mxi_rule_out_shape(n, i, &nds[i], &dts[i]);
    mx_array **parts = calloc((size_t)b * (size_t)no, sizeof *parts);
    mx_array **ins = calloc((size_t)ni + 1, sizeof *ins);
    mx_array **col = calloc((size_t)b, sizeof *col);
    int rc = parts && ins && col ? MX_OK : mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
    for (int32_t e = 0; e < b && !rc; e++) {
        mx_array *idx = NULL;
        rc = mx_array_from_int(&idx, e, MX_INT32);
        for (int i = 0; i < ni && !rc; i++)
            rc = axes[i] < 0 ? (ins[i] = mx_array_retain(inputs[i]), MX_OK)
                             : mx_take_axis(&ins[i], inputs[i], idx, axes[i], &n->stream);
        if (!rc)
            rc = mxi_make_node(parts + (size_t)e * (size_t)no, no, dts, sp, nds, n->kind, n->params,
                               n->params_size, ins, ni, &n->stream);
        for (int i = 0; i < ni; i++) {
            mx_array_free(ins[i]);
            ins[i] = NULL;
        }
        mx_array_free(idx);
    }
    for (int o = 0; o < no && !rc; o++) {
        for (int32_t e = 0; e < b; e++) col[e] = parts[(size_t)e * (size_t)no + (size_t)o];
        rc = mx_stack(&outs[o], (const mx_array *const *)col, b, 0, &n->stream);
        out_axes[o] = 0;
    }
    if (parts)
        for (size_t k = 0; k < (size_t)b * (size_t)no; k++) mx_array_free(parts[k]);
    free(parts);
    free(ins);
    free(col);
    return rc;
}
