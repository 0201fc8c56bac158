/*
 * Simplifying a compiled tape. Every rewrite sends a slot to an equal one
 * (alias), so it only renames values: equal scalar constants (and equal
 * broadcasts of them) become one, a
 * cast to the same dtype (and, when shapes are fixed, a reshape or broadcast
 * to the same shape) becomes its input, and an op equivalent to an earlier
 * one on the same inputs becomes that op. Ops nothing reaches are then
 * dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "compile_impl.h"
#include "core/error.h"

static int resolve(const int *alias, int s) {
    while (alias[s] != s) s = alias[s];
    return s;
}

static bool same_shape(const mxi_cslot *a, const mxi_cslot *b) {
    return a->ndim == b->ndim && memcmp(a->shape, b->shape, sizeof(int32_t) * (size_t)a->ndim) == 0;
}

/* The evaluated one-element array a constant holds: itself, or what an
 * unevaluated broadcast of it spreads (the ops broadcast scalar operands
 * with a node of their own); NULL otherwise. */
const mx_array *mxi_compile_scalar_of(const mx_array *a) {
    if (a->size == 1 && mxi_is_available(a)) return a;
    const mxi_node *n = a->node;
    if (!n || n->kind != MXI_PRIM_BROADCAST || n->n_inputs != 1) return NULL;
    const mx_array *in = n->inputs[0];
    return in->size == 1 && mxi_is_available(in) ? in : NULL;
}

/* Equal scalar constants (broadcast or not): same dtype, shape and bytes. */
static bool same_scalar(const mxi_cslot *a, const mxi_cslot *b) {
    if (a->kind != MXI_SLOT_CONST || b->kind != MXI_SLOT_CONST) return false;
    if (a->dtype != b->dtype || !same_shape(a, b)) return false;
    const mx_array *x = mxi_compile_scalar_of(a->constant), *y = mxi_compile_scalar_of(b->constant);
    if (!x || !y || x->dtype != y->dtype) return false;
    return memcmp(mxi_data(x), mxi_data(y), (size_t)mx_dtype_size(x->dtype)) == 0;
}

static bool same_op(const mxi_ctape *t, const mxi_cop *a, const mxi_cop *b) {
    if (a->kind != b->kind || a->n_in != b->n_in || a->n_out != b->n_out) return false;
    if (memcmp(a->in, b->in, sizeof(int) * (size_t)a->n_in) != 0) return false;
    for (int o = 0; o < a->n_out; o++) {
        const mxi_cslot *x = &t->slots[a->out0 + o], *y = &t->slots[b->out0 + o];
        if (x->dtype != y->dtype || !same_shape(x, y)) return false;
    }
    mxi_node na, nb;
    memset(&na, 0, sizeof na);
    memset(&nb, 0, sizeof nb);
    na.kind = a->kind, na.params = a->params, na.params_size = a->params_size;
    na.n_inputs = a->n_in, na.n_outputs = a->n_out, na.stream = a->stream;
    nb.kind = b->kind, nb.params = b->params, nb.params_size = b->params_size;
    nb.n_inputs = b->n_in, nb.n_outputs = b->n_out, nb.stream = b->stream;
    return a->stream.index == b->stream.index && a->stream.device.type == b->stream.device.type &&
           mxi_node_equivalent(&na, &nb);
}

/* Whether op only renames its single input. */
static bool is_noop(const mxi_ctape *t, const mxi_cop *op, bool shapeless) {
    if (op->n_in != 1 || op->n_out != 1) return false;
    const mxi_cslot *in = &t->slots[op->in[0]], *out = &t->slots[op->out0];
    if (in->dtype != out->dtype || !same_shape(in, out)) return false;
    if (op->kind == MXI_PRIM_ASTYPE) return true;
    return !shapeless && (op->kind == MXI_PRIM_RESHAPE || op->kind == MXI_PRIM_BROADCAST);
}

int mxi_compile_simplify(mxi_ctape *t, bool shapeless) {
    int ns = t->n_slots;
    int *alias = malloc(sizeof(int) * (size_t)(ns ? ns : 1));
    int *chain = malloc(sizeof(int) * (size_t)(t->n_ops ? t->n_ops : 1));
    int *head = malloc(sizeof(int) * MXI_PRIM_COUNT);
    bool *used = calloc((size_t)(ns ? ns : 1), sizeof *used);
    if (!alias || !chain || !head || !used) {
        free(alias);
        free(chain);
        free(head);
        free(used);
        return mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
    }
    for (int i = 0; i < ns; i++) alias[i] = i;
    for (int k = 0; k < MXI_PRIM_COUNT; k++) head[k] = -1;

    /* scalar constants: quadratic in their count, which is small */
    for (int i = 0; i < ns; i++) {
        if (t->slots[i].kind != MXI_SLOT_CONST || !mxi_compile_scalar_of(t->slots[i].constant))
            continue;
        for (int j = 0; j < i; j++)
            if (alias[j] == j && same_scalar(&t->slots[j], &t->slots[i])) {
                alias[i] = j;
                break;
            }
    }

    for (int k = 0; k < t->n_ops; k++) {
        mxi_cop *op = &t->ops[k];
        if (op->dead) continue;
        for (int i = 0; i < op->n_in; i++) op->in[i] = resolve(alias, op->in[i]);
        if (is_noop(t, op, shapeless)) {
            alias[op->out0] = op->in[0];
            op->dead = true;
            continue;
        }
        int same = -1;
        for (int j = head[op->kind]; j >= 0 && same < 0; j = chain[j])
            if (same_op(t, &t->ops[j], op)) same = j;
        if (same >= 0) {
            for (int o = 0; o < op->n_out; o++) alias[op->out0 + o] = t->ops[same].out0 + o;
            op->dead = true;
            continue;
        }
        chain[k] = head[op->kind];
        head[op->kind] = k;
    }
    int n_res = t->n_outputs + t->n_state_out;
    for (int i = 0; i < n_res; i++) {
        t->outputs[i] = resolve(alias, t->outputs[i]);
        used[t->outputs[i]] = true;
    }
    /* dead code: an op lives when one of its outputs is used */
    for (int k = t->n_ops; k-- > 0;) {
        mxi_cop *op = &t->ops[k];
        if (op->dead) continue;
        bool live = false;
        for (int o = 0; o < op->n_out && !live; o++) live = used[op->out0 + o];
        if (!live) {
            op->dead = true;
            continue;
        }
        for (int i = 0; i < op->n_in; i++) used[op->in[i]] = true;
    }
    free(alias);
    free(chain);
    free(head);
    free(used);
    return MX_OK;
}
