/*
 * Reverse and forward mode over a traced graph.
 *
 * The function runs on tracers (Broadcast nodes of the primals, so that a
 * primal that is itself a tracer of an enclosing transform stays connected
 * to it: that is what makes grad of grad work). Its outputs have the graph
 * behind them. The walk orders the nodes reachable from the outputs
 * (iteratively, depth-first post-order: a topological order) and marks a node
 * active when one of its inputs is a tracer or an active node's output;
 * StopGradient is never active and its inputs are not visited. Reverse mode
 * visits active nodes from the last, calling each primitive's vjp rule on the
 * cotangents of its outputs and adding what it gives into the cotangents of
 * its inputs; forward mode visits them in order with the jvp rules.
 */
#include <stdlib.h>
#include <string.h>

#include "cmlx/ops.h"
#include "core/error.h"
#include "core/stream.h"
#include "transforms_impl.h"

/* ---- tracing ---- */

int mxi_trace_start(mxi_trace *t, const mx_vec *primals, const char *op) {
    memset(t, 0, sizeof *t);
    atomic_fetch_add(&mxi_tracing, 1);
    t->started = true;
    for (int i = 0; i < primals->size; i++) {
        mx_array *p = primals->data[i], *tr = NULL;
        if (!p) return mxi_error(MX_ERR_VALUE, "[%s] primal %d is NULL", op, i);
        int rc =
            mxi_make(&tr, p->dtype, p->shape, p->ndim, MXI_PRIM_BROADCAST, NULL, 0, &p, 1, NULL);
        if (!rc) rc = mx_vec_push(&t->tracers, tr);
        if (!rc) rc = mxi_ptrmap_put(&t->primals, tr, (void *)(uintptr_t)(i + 1));
        if (rc) return rc;
        tr->tracer = true;
    }
    return MX_OK;
}

void mxi_trace_end(mxi_trace *t) {
    if (t->started) atomic_fetch_sub(&mxi_tracing, 1);
    mx_vec_clear(&t->tracers);
    mxi_ptrmap_free(&t->primals);
    t->started = false;
}

/* ---- ordering ---- */

enum { SEEN = 1, ACTIVE = 2 };

typedef mxi_tape tape;

typedef struct frame {
    mxi_node *node;
    int next;
} frame;

static int grow(void **data, size_t *cap, size_t len, size_t item) {
    if (len < *cap) return MX_OK;
    size_t c = *cap ? *cap * 2 : 64;
    void *g = realloc(*data, c * item);
    if (!g) return mxi_error(MX_ERR_MEMORY, "[transforms] out of memory ordering the graph");
    *data = g;
    *cap = c;
    return MX_OK;
}

static bool is_primal(const mxi_trace *t, const mx_array *a) {
    return mxi_ptrmap_get(&t->primals, a) != NULL;
}

static bool is_active(const mxi_trace *t, const tape *tp, const mx_array *a) {
    if (is_primal(t, a)) return true;
    mxi_node *n = a->node;
    return n && (uintptr_t)mxi_ptrmap_get(&tp->state, n) == ACTIVE;
}

/* Whether the walk goes into a's producer. */
static bool enters(const mxi_trace *t, const tape *tp, const mx_array *a) {
    return !is_primal(t, a) && a->node && !mxi_ptrmap_get(&tp->state, a->node);
}

int mxi_trace_order(const mxi_trace *t, mx_array *const *roots, int n, mxi_tape *tp,
                    bool through_stop_gradient) {
    mxi_prim_kind stop = through_stop_gradient ? MXI_PRIM_COUNT : MXI_PRIM_STOP_GRADIENT;
    frame *stack = NULL;
    size_t len = 0, cap = 0;
    int rc = MX_OK;
    for (int r = 0; r < n && !rc; r++) {
        if (!enters(t, tp, roots[r])) continue;
        rc = grow((void **)&stack, &cap, len, sizeof *stack);
        if (!rc) rc = mxi_ptrmap_put(&tp->state, roots[r]->node, (void *)(uintptr_t)SEEN);
        if (rc) break;
        stack[len++] = (frame){roots[r]->node, 0};
        while (len && !rc) {
            frame *top = &stack[len - 1];
            mxi_node *nd = top->node;
            if (nd->kind != stop && top->next < nd->n_inputs) {
                mx_array *in = nd->inputs[top->next++];
                if (!enters(t, tp, in)) continue;
                rc = grow((void **)&stack, &cap, len, sizeof *stack);
                if (!rc) rc = mxi_ptrmap_put(&tp->state, in->node, (void *)(uintptr_t)SEEN);
                if (!rc) stack[len++] = (frame){in->node, 0};
                continue;
            }
            len--;
            bool active = false;
            if (nd->kind != stop)
                for (int i = 0; i < nd->n_inputs && !active; i++)
                    active = is_active(t, tp, nd->inputs[i]);
            if (!active && tp->source) active = tp->source(nd);
            if (!active) continue;
            rc = mxi_ptrmap_put(&tp->state, nd, (void *)(uintptr_t)ACTIVE);
            if (!rc) rc = grow((void **)&tp->nodes, &tp->cap, tp->len, sizeof *tp->nodes);
            if (!rc) tp->nodes[tp->len++] = nd;
        }
    }
    free(stack);
    return rc;
}

void mxi_tape_free(mxi_tape *tp) {
    free(tp->nodes);
    mxi_ptrmap_free(&tp->state);
}

/* The node's outputs, retained (a freed sibling gives NULL). */
static void node_outputs(mxi_node *n, mx_array **outs) {
    if (n->n_outputs > 1) mxi_sibling_lock();
    for (int i = 0; i < n->n_outputs; i++) outs[i] = mx_array_retain(n->outputs[i]);
    if (n->n_outputs > 1) mxi_sibling_unlock();
}

static int zeros_for(mx_array **out, mxi_node *n, int i) {
    const int32_t *shape = n->n_outputs > 1 ? n->out_shapes[i] : n->outputs[0]->shape;
    int ndim = n->n_outputs > 1 ? n->out_ndims[i] : n->outputs[0]->ndim;
    mx_dtype dt = n->n_outputs > 1 ? n->out_dtypes[i] : n->outputs[0]->dtype;
    return mx_zeros(out, shape, ndim, dt, &n->stream);
}

/* Adds v (taken) into the entry of key. */
static int accumulate(mxi_ptrmap *m, mx_array *key, mx_array *v) {
    mx_array *old = mxi_ptrmap_get(m, key);
    if (!old) {
        int rc = mxi_ptrmap_put(m, key, v);
        if (rc) mx_array_free(v);
        return rc;
    }
    mx_array *sum = NULL;
    int rc = mx_add(&sum, old, v, NULL);
    mx_array_free(v);
    if (rc) return rc;
    mx_array_free(old);
    return mxi_ptrmap_put(m, key, sum);
}

static void free_values(mxi_ptrmap *m) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) mx_array_free(m->vals[i]);
    mxi_ptrmap_free(m);
}

/* Makes v fit a (shape must already agree): cast to a's dtype if needed. */
static int fit(mx_array **v, const mx_array *a) {
    if ((*v)->dtype == a->dtype) return MX_OK;
    return mx_astype(v, *v, a->dtype, NULL);
}

static int check_rule_result(const mxi_node *n, const mx_array *in, const mx_array *r,
                             const char *op, const char *what) {
    if (mxi_same_shape_impl(in, r)) return MX_OK;
    char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN];
    return mxi_error(MX_ERR_RUNTIME,
                     "[%s] the %s rule of %s gave shape %s for an input of shape %s", op, what,
                     mxi_primitives[n->kind].name, mxi_shape_str(a, sizeof a, r->shape, r->ndim),
                     mxi_shape_str(b, sizeof b, in->shape, in->ndim));
}

/* ---- reverse ---- */

int mxi_trace_vjp(mxi_trace *t, mx_array *const *roots, mx_array *const *cots, int n, mx_vec *vjps,
                  const char *op) {
    tape tp = {0};
    mxi_ptrmap ct = {0}; /* array -> its cotangent (owned) */
    int rc = mxi_trace_order(t, roots, n, &tp, false);
    for (int i = 0; i < n && !rc; i++)
        if (is_active(t, &tp, roots[i])) rc = accumulate(&ct, roots[i], mx_array_retain(cots[i]));

    int cap_args = 0;
    int *argnums = NULL;
    mx_array **buf = NULL; /* outputs, their cotangents, rule results */
    for (size_t k = tp.len; k-- > 0 && !rc;) {
        mxi_node *nd = tp.nodes[k];
        int no = nd->n_outputs, ni = nd->n_inputs;
        int need = no * 2 + ni;
        /* argnums and buf both get `need` slots (at least ni each) */
        if (need > cap_args) {
            free(argnums);
            free(buf);
            argnums = malloc((size_t)need * sizeof *argnums);
            buf = calloc((size_t)need, sizeof *buf);
            cap_args = need;
            if (!argnums || !buf) {
                rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
                break;
            }
        }
        mx_array **outs = buf, **oc = buf + no, **res = buf + 2 * no;
        node_outputs(nd, outs);
        bool any = false;
        for (int i = 0; i < no; i++) {
            oc[i] = outs[i] ? mxi_ptrmap_take(&ct, outs[i]) : NULL;
            any |= oc[i] != NULL;
        }
        int na = 0;
        if (any) {
            for (int i = 0; i < no && !rc; i++)
                if (!oc[i]) rc = zeros_for(&oc[i], nd, i);
            for (int i = 0; i < ni; i++)
                if (is_active(t, &tp, nd->inputs[i])) argnums[na++] = i;
            mxi_vjp_fn rule = mxi_primitives[nd->kind].vjp;
            if (!rc && !rule)
                rc = mxi_error(MX_ERR_VALUE, "[%s] %s has no vjp: it is not differentiable", op,
                               mxi_primitives[nd->kind].name);
            for (int i = 0; i < na; i++) res[i] = NULL;
            if (!rc) rc = rule(nd, nd->inputs, oc, argnums, na, res);
            for (int i = 0; i < na; i++) {
                mx_array *in = nd->inputs[argnums[i]];
                if (!rc && res[i]) rc = check_rule_result(nd, in, res[i], op, "vjp");
                if (!rc && res[i]) rc = fit(&res[i], in);
                if (!rc && res[i]) {
                    rc = accumulate(&ct, in, res[i]);
                } else {
                    mx_array_free(res[i]);
                }
                res[i] = NULL;
            }
        }
        for (int i = 0; i < no; i++) {
            mx_array_free(oc[i]);
            mx_array_free(outs[i]);
            oc[i] = outs[i] = NULL;
        }
    }
    free(argnums);
    free(buf);

    mx_vec_clear(vjps);
    for (int i = 0; i < t->tracers.size && !rc; i++) {
        mx_array *tr = t->tracers.data[i];
        mx_array *g = mxi_ptrmap_take(&ct, tr);
        if (!g) rc = mx_zeros_like(&g, tr, tr->dtype, NULL);
        if (!rc) rc = fit(&g, tr);
        if (!rc) rc = mx_vec_push(vjps, g);
    }
    if (rc) mx_vec_clear(vjps);
    free_values(&ct);
    mxi_tape_free(&tp);
    return rc;
}

/* ---- forward ---- */

int mxi_trace_jvp(mxi_trace *t, mx_array *const *roots, int n, const mx_vec *tangents, mx_vec *jvps,
                  const char *op) {
    tape tp = {0};
    mxi_ptrmap tg = {0}; /* array -> its tangent (owned) */
    int rc = mxi_trace_order(t, roots, n, &tp, false);
    for (int i = 0; i < t->tracers.size && !rc; i++) {
        mx_array *v = mx_array_retain(tangents->data[i]);
        rc = fit(&v, t->tracers.data[i]);
        if (!rc) rc = accumulate(&tg, t->tracers.data[i], v);
    }
    int cap = 0;
    int *argnums = NULL;
    mx_array **buf = NULL;
    for (size_t k = 0; k < tp.len && !rc; k++) {
        mxi_node *nd = tp.nodes[k];
        int no = nd->n_outputs, ni = nd->n_inputs, need = no + ni;
        /* argnums and buf both get `need` slots (at least ni each) */
        if (need > cap) {
            free(argnums);
            free(buf);
            argnums = malloc((size_t)need * sizeof *argnums);
            buf = calloc((size_t)need, sizeof *buf);
            cap = need;
            if (!argnums || !buf) {
                rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
                break;
            }
        }
        mx_array **tin = buf, **res = buf + ni;
        int na = 0;
        for (int i = 0; i < ni; i++) {
            mx_array *v = mxi_ptrmap_get(&tg, nd->inputs[i]);
            if (v) {
                argnums[na] = i;
                tin[na++] = v;
            }
        }
        if (!na) continue;
        mxi_jvp_fn rule = mxi_primitives[nd->kind].jvp;
        if (!rule) {
            rc = mxi_error(MX_ERR_VALUE, "[%s] %s has no jvp: it is not differentiable", op,
                           mxi_primitives[nd->kind].name);
            break;
        }
        for (int i = 0; i < no; i++) res[i] = NULL;
        rc = rule(nd, nd->inputs, tin, argnums, na, res);
        mx_array *outs[64], **op_outs = no <= 64 ? outs : malloc((size_t)no * sizeof *op_outs);
        if (!op_outs && !rc) rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
        if (op_outs) node_outputs(nd, op_outs);
        for (int i = 0; i < no; i++) {
            mx_array *o = op_outs ? op_outs[i] : NULL;
            if (!rc && res[i] && o) rc = check_rule_result(nd, o, res[i], op, "jvp");
            if (!rc && res[i] && o) rc = fit(&res[i], o);
            if (!rc && res[i] && o) {
                rc = accumulate(&tg, o, res[i]);
            } else {
                mx_array_free(res[i]);
            }
            res[i] = NULL;
            mx_array_free(o);
        }
        if (op_outs != outs) free(op_outs);
    }
    free(argnums);
    free(buf);
    mx_vec_clear(jvps);
    for (int i = 0; i < n && !rc; i++) {
        mx_array *v = mxi_ptrmap_get(&tg, roots[i]);
        if (v)
            rc = mx_vec_append(jvps, v);
        else {
            mx_array *z = NULL;
            rc = mx_zeros_like(&z, roots[i], roots[i]->dtype, NULL);
            if (!rc) rc = mx_vec_push(jvps, z);
        }
    }
    if (rc) mx_vec_clear(jvps);
    free_values(&tg);
    mxi_tape_free(&tp);
    return rc;
}

/* ---- public entry points ---- */

static int check_vec(const mx_vec *v, const char *op, const char *what) {
    if (!v) return mxi_error(MX_ERR_VALUE, "[%s] %s is NULL", op, what);
    for (int i = 0; i < v->size; i++)
        if (!v->data[i]) return mxi_error(MX_ERR_VALUE, "[%s] %s %d is NULL", op, what, i);
    return MX_OK;
}

int mx_vjp(mx_vec *outputs, mx_vec *vjps, const mx_closure *f, const mx_vec *primals,
           const mx_vec *cotangents) {
    if (!outputs || !vjps || !f) return mxi_error(MX_ERR_VALUE, "[vjp] NULL argument");
    int rc = check_vec(primals, "vjp", "primal");
    if (!rc) rc = check_vec(cotangents, "vjp", "cotangent");
    if (rc) return rc;
    mxi_trace t;
    mx_vec outs = {0};
    rc = mxi_trace_start(&t, primals, "vjp");
    if (!rc) rc = mx_closure_apply(f, &outs, &t.tracers);
    if (!rc && outs.size != cotangents->size)
        rc = mxi_error(MX_ERR_VALUE,
                       "[vjp] Number of outputs to compute gradients for (%d) does not match "
                       "number of cotangents (%d).",
                       outs.size, cotangents->size);
    for (int i = 0; i < outs.size && !rc; i++) {
        mx_array *o = outs.data[i], *c = cotangents->data[i];
        if (!mxi_same_shape_impl(o, c)) {
            char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN];
            rc = mxi_error(MX_ERR_VALUE, "[vjp] Output shape %s does not match cotangent shape %s.",
                           mxi_shape_str(a, sizeof a, o->shape, o->ndim),
                           mxi_shape_str(b, sizeof b, c->shape, c->ndim));
        }
    }
    mx_vec res = {0};
    if (!rc) rc = mxi_trace_vjp(&t, outs.data, cotangents->data, outs.size, &res, "vjp");
    mxi_trace_end(&t);
    if (rc) {
        mx_vec_clear(&outs);
        mx_vec_clear(&res);
        return rc;
    }
    mx_vec_clear(outputs);
    mx_vec_clear(vjps);
    *outputs = outs;
    *vjps = res;
    return MX_OK;
}

int mx_jvp(mx_vec *outputs, mx_vec *jvps, const mx_closure *f, const mx_vec *primals,
           const mx_vec *tangents) {
    if (!outputs || !jvps || !f) return mxi_error(MX_ERR_VALUE, "[jvp] NULL argument");
    int rc = check_vec(primals, "jvp", "primal");
    if (!rc) rc = check_vec(tangents, "jvp", "tangent");
    if (rc) return rc;
    if (primals->size != tangents->size)
        return mxi_error(MX_ERR_VALUE,
                         "[jvp] Number of inputs (%d) does not match number of tangents (%d).",
                         primals->size, tangents->size);
    for (int i = 0; i < primals->size; i++)
        if (!mxi_same_shape_impl(primals->data[i], tangents->data[i])) {
            char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN];
            mx_array *p = primals->data[i], *v = tangents->data[i];
            return mxi_error(MX_ERR_VALUE, "[jvp] Input shape %s does not match tangent shape %s.",
                             mxi_shape_str(a, sizeof a, p->shape, p->ndim),
                             mxi_shape_str(b, sizeof b, v->shape, v->ndim));
        }
    mxi_trace t;
    mx_vec outs = {0}, res = {0};
    rc = mxi_trace_start(&t, primals, "jvp");
    if (!rc) rc = mx_closure_apply(f, &outs, &t.tracers);
    if (!rc) rc = mxi_trace_jvp(&t, outs.data, outs.size, tangents, &res, "jvp");
    mxi_trace_end(&t);
    if (rc) {
        mx_vec_clear(&outs);
        mx_vec_clear(&res);
        return rc;
    }
    mx_vec_clear(outputs);
    mx_vec_clear(jvps);
    *outputs = outs;
    *jvps = res;
    return MX_OK;
}
