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
    if (g->ndim == like->ndim && !memcmp(g->shape, like->shape, sizeof(int32_t) * (size_t)g->ndim))
        return mxi_set_out(out, mx_array_retain(g)), MX_OK;
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
