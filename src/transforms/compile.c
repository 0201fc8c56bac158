/*
 * compile: the function is traced once per cache key on tracers, the active
 * graph behind its outputs becomes a tape of primitive applications (over
 * slots: inputs, captured constants, op outputs), the tape is simplified and
 * fused, and every call rebuilds the graph from the tape on the call's
 * inputs. The function itself runs only to trace.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cmlx/ops.h"
#include "compile_impl.h"
#include "core/error.h"
#include "core/stream.h"
#include "ops/ops_util.h"
#include "primitives/params.h"
#include "primitives/params_compiled.h"
#include "primitives/params_index.h"

/* ---- mode ---- */

static _Atomic int compile_mode = -1; /* -1: not read from the environment yet */

mx_compile_mode mx_get_compile_mode(void) {
    int m = atomic_load(&compile_mode);
    if (m < 0) {
        const char *e = getenv("MLX_DISABLE_COMPILE");
        int want = e && e[0] && strcmp(e, "0") != 0 ? MX_COMPILE_MODE_DISABLED : 0;
        int expected = -1;
        atomic_compare_exchange_strong(&compile_mode, &expected, want);
        m = atomic_load(&compile_mode);
    }
    return (mx_compile_mode)m;
}

int mx_set_compile_mode(mx_compile_mode mode) {
    if ((int)mode < MX_COMPILE_MODE_ENABLED || (int)mode > MX_COMPILE_MODE_DISABLED)
        return mxi_error(MX_ERR_VALUE, "[set_compile_mode] unknown mode %d", (int)mode);
    atomic_store(&compile_mode, (int)mode);
    return MX_OK;
}

void mx_disable_compile(void) {
    atomic_store(&compile_mode, MX_COMPILE_MODE_DISABLED);
}

void mx_enable_compile(void) {
    atomic_store(&compile_mode, MX_COMPILE_MODE_ENABLED);
}

/* Whether this thread is tracing a function for compile (eval.c refuses to
 * evaluate tracers then). */
static _Thread_local int compile_tracing;

bool mxi_compile_tracing(void) {
    return compile_tracing > 0;
}

/* Of those, how many are shapeless traces. */
static _Thread_local int shapeless_tracing;

bool mxi_shapeless_tracing(void) {
    return shapeless_tracing > 0;
}

/* ---- the tape ---- */

static int oom(void) {
    return mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
}

void mxi_ctape_free(mxi_ctape *t) {
    for (int i = 0; i < t->n_slots; i++) {
        mx_array_free(t->slots[i].constant);
        free(t->slots[i].shape);
    }
    for (int i = 0; i < t->n_ops; i++) {
        mxi_cop *op = &t->ops[i];
        if (op->kind == MXI_PRIM_COMPILED) mxi_params_release[op->kind](op->params);
        if (op->keep) mxi_node_release(op->keep);
        free(op->params);
        free(op->in);
    }
    free(t->slots);
    free(t->ops);
    free(t->outputs);
    memset(t, 0, sizeof *t);
}

int mxi_ctape_copy(mxi_ctape *d, const mxi_ctape *s) {
    memset(d, 0, sizeof *d);
    d->n_inputs = s->n_inputs;
    d->n_outputs = s->n_outputs;
    d->n_state_out = s->n_state_out;
    int nr = s->n_outputs + s->n_state_out;
    d->slots = calloc((size_t)s->n_slots + 1, sizeof *d->slots);
    d->ops = calloc((size_t)s->n_ops + 1, sizeof *d->ops);
    d->outputs = malloc(sizeof(int) * (size_t)(nr + 1));
    if (!d->slots || !d->ops || !d->outputs) goto fail;
    d->cap_slots = s->n_slots + 1;
    d->cap_ops = s->n_ops + 1;
    memcpy(d->outputs, s->outputs, sizeof(int) * (size_t)nr);
    for (int i = 0; i < s->n_slots; i++) {
        const mxi_cslot *a = &s->slots[i];
        mxi_cslot *b = &d->slots[i];
        *b = *a;
        b->shape = malloc(sizeof(int32_t) * (size_t)(a->ndim ? a->ndim : 1));
        b->constant = NULL;
        d->n_slots++;
        if (!b->shape) goto fail;
        if (a->ndim) memcpy(b->shape, a->shape, sizeof(int32_t) * (size_t)a->ndim);
        b->constant = mx_array_retain(a->constant);
    }
    for (int i = 0; i < s->n_ops; i++) {
        const mxi_cop *a = &s->ops[i];
        mxi_cop *b = &d->ops[i];
        *b = *a;
        b->keep = NULL;
        b->params = malloc(a->params_size ? a->params_size : 1);
        b->in = malloc(sizeof(int) * (size_t)(a->n_in ? a->n_in : 1));
        if (!b->params || !b->in) {
            free(b->params);
            free(b->in);
            goto fail;
        }
        d->n_ops++;
        if (a->params_size) memcpy(b->params, a->params, a->params_size);
        memcpy(b->in, a->in, sizeof(int) * (size_t)a->n_in);
        if (a->keep) {
            atomic_fetch_add(&a->keep->refcount, 1);
            b->keep = a->keep;
        }
        if (a->kind == MXI_PRIM_COMPILED)
            atomic_fetch_add(&((mxi_compiled_params *)a->params)->prog->refcount, 1);
    }
    return MX_OK;
fail:
    mxi_ctape_free(d);
    return oom();
}

int mxi_ctape_size(const mxi_ctape *t) {
    int n = 0;
    for (int i = 0; i < t->n_ops; i++) n += !t->ops[i].dead;
    return n;
}

static int add_slot(mxi_ctape *t, mxi_slot_kind kind, int index, mx_dtype dt, const int32_t *shape,
                    int ndim) {
    if (t->n_slots == t->cap_slots) {
        int cap = t->cap_slots ? t->cap_slots * 2 : 32;
        mxi_cslot *g = realloc(t->slots, sizeof *g * (size_t)cap);
        if (!g) return -1;
        t->slots = g;
        t->cap_slots = cap;
    }
    int32_t *sh = malloc(sizeof(int32_t) * (size_t)(ndim ? ndim : 1));
    if (!sh) return -1;
    if (ndim) memcpy(sh, shape, sizeof(int32_t) * (size_t)ndim);
    t->slots[t->n_slots] = (mxi_cslot){kind, index, NULL, dt, ndim, sh};
    return t->n_slots++;
}

bool mxi_compile_runs_each_call(const mxi_node *nd) {
    switch (nd->kind) {
    case MXI_PRIM_DIST_ALL_REDUCE:
    case MXI_PRIM_DIST_ALL_GATHER:
    case MXI_PRIM_DIST_REDUCE_SCATTER:
    case MXI_PRIM_DIST_SEND:
    case MXI_PRIM_DIST_RECV:
        return true;
    default:
        return false;
    }
}

/* The slot of a (an input's tracer, a recorded op output, or else a new
 * constant slot holding a). */
static int slot_of(mxi_ctape *t, mxi_ptrmap *where, mx_array *a) {
    void *v = mxi_ptrmap_get(where, a);
    if (v) return (int)(uintptr_t)v - 1;
    int s = add_slot(t, MXI_SLOT_CONST, 0, a->dtype, a->shape, a->ndim);
    if (s < 0) return -1;
    t->slots[s].constant = mx_array_retain(a);
    if (mxi_ptrmap_put(where, a, (void *)(uintptr_t)(s + 1))) return -1;
    return s;
}

static int record_node(mxi_ctape *t, mxi_ptrmap *where, mxi_node *nd, bool shapeless) {
    if (shapeless && !mxi_primitives[nd->kind].output_shapes)
        return mxi_error(MX_ERR_VALUE,
                         "[compile] %s cannot infer output shapes: it cannot be compiled "
                         "shapeless",
                         mxi_primitives[nd->kind].name);
    if (t->n_ops == t->cap_ops) {
        int cap = t->cap_ops ? t->cap_ops * 2 : 32;
        mxi_cop *g = realloc(t->ops, sizeof *g * (size_t)cap);
        if (!g) return oom();
        t->ops = g;
        t->cap_ops = cap;
    }
    mxi_cop *op = &t->ops[t->n_ops];
    memset(op, 0, sizeof *op);
    op->kind = nd->kind;
    op->stream = nd->stream;
    op->n_in = nd->n_inputs;
    op->n_out = nd->n_outputs;
    op->params_size = nd->params_size;
    op->in = malloc(sizeof(int) * (size_t)(nd->n_inputs ? nd->n_inputs : 1));
    op->params = malloc(nd->params_size ? nd->params_size : 1);
    t->n_ops++; /* freed with the tape from here on */
    if (!op->in || !op->params) return oom();
    if (nd->params_size) memcpy(op->params, nd->params, nd->params_size);
    if (nd->kind == MXI_PRIM_COMPILED) {
        atomic_fetch_add(&((mxi_compiled_params *)op->params)->prog->refcount, 1);
    } else if (mxi_params_release[nd->kind]) {
        atomic_fetch_add(&nd->refcount, 1);
        op->keep = nd;
    }
    for (int i = 0; i < nd->n_inputs; i++)
        if ((op->in[i] = slot_of(t, where, nd->inputs[i])) < 0) return oom();
    mx_array *outs[64] = {0};
    if (nd->n_outputs > 64) return mxi_error(MX_ERR_VALUE, "[compile] too many outputs");
    if (nd->n_outputs > 1) mxi_sibling_lock();
    for (int i = 0; i < nd->n_outputs; i++) outs[i] = mx_array_retain(nd->outputs[i]);
    if (nd->n_outputs > 1) mxi_sibling_unlock();
    int rc = MX_OK;
    for (int i = 0; i < nd->n_outputs; i++) {
        const int32_t *shape = nd->n_outputs > 1 ? nd->out_shapes[i] : outs[0]->shape;
        int ndim = nd->n_outputs > 1 ? nd->out_ndims[i] : outs[0]->ndim;
        mx_dtype dt = nd->n_outputs > 1 ? nd->out_dtypes[i] : outs[0]->dtype;
        int s = rc ? -1 : add_slot(t, MXI_SLOT_OP, t->n_ops - 1, dt, shape, ndim);
        if (s < 0 && !rc) rc = oom();
        if (!rc && i == 0) op = &t->ops[t->n_ops - 1], op->out0 = s;
        /* an output freed during the trace feeds nothing: it needs no key */
        if (!rc && outs[i] && mxi_ptrmap_put(where, outs[i], (void *)(uintptr_t)(s + 1)))
            rc = oom();
    }
    for (int i = 0; i < nd->n_outputs; i++) mx_array_free(outs[i]);
    return rc;
}

/* Whether the unevaluated graph behind a reaches an array in primals (seen
 * collects the nodes walked). */
static bool reaches(const mx_array *a, const mxi_ptrmap *primals, mxi_ptrmap *seen, int depth) {
    if (mxi_ptrmap_get(primals, a)) return true;
    const mxi_node *n = a->node;
    if (!n || depth > 10000 || mxi_ptrmap_get(seen, n)) return false;
    if (mxi_ptrmap_put(seen, (void *)n, (void *)1)) return false;
    for (int i = 0; i < n->n_inputs; i++)
        if (reaches(n->inputs[i], primals, seen, depth + 1)) return true;
    return false;
}

/* A captured value computed from an argument outside the function (an
 * array the function closes over, not evaluated, built from the array it is
 * also given) would bake the argument in as a constant: an error, as MLX. */
static int check_uncaptured(const mxi_ctape *t, const mxi_trace *tr) {
    mxi_ptrmap primals = {0}, seen = {0};
    int rc = MX_OK;
    for (int i = 0; i < tr->tracers.size && !rc; i++) {
        const mxi_node *n = tr->tracers.data[i]->node;
        if (n && n->n_inputs == 1 && mxi_ptrmap_put(&primals, n->inputs[0], (void *)1)) rc = oom();
    }
    for (int i = 0; i < t->n_slots && !rc; i++) {
        const mxi_cslot *s = &t->slots[i];
        /* an outer transform's tracer is that transform's business */
        if (s->kind == MXI_SLOT_CONST && s->constant->node && !s->constant->tracer && primals.len &&
            reaches(s->constant, &primals, &seen, 0))
            rc = mxi_error(MX_ERR_VALUE, "[compile] Attempting to compile a function with "
                                         "uncaptured inputs is not allowed.");
    }
    mxi_ptrmap_free(&primals);
    mxi_ptrmap_free(&seen);
    return rc;
}

/* ---- unevaluated captured values, for function export ---- */

/* What export does with the unevaluated graph behind a value the function
 * does not compute from its inputs: records it as ops down to evaluated
 * arrays (MLX writes arrays without a primitive as constants), except for
 * nodes accept refuses, whose outputs stay constants. */
typedef struct expander {
    mxi_lazy_accept accept;
    bool shapeless;
    mxi_ptrmap primals; /* the arrays the trace's tracers stand for */
    mxi_ptrmap refused; /* nodes accept refused */
} expander;

typedef struct xframe {
    mxi_node *node;
    int next;
} xframe;

/* Where the walk stops: evaluated arrays, arrays some evaluation has taken
 * (their graph may be detached meanwhile), and scalars an op spreads with
 * a Broadcast node (the file stores those once, spread again on import). */
static bool lazy_leaf(const mx_array *a) {
    return !a->node || atomic_load(&a->status) != MX_ARRAY_UNSCHEDULED || mxi_compile_scalar_of(a);
}

static int uncaptured(void) {
    return mxi_error(MX_ERR_VALUE, "[compile] Attempting to compile a function with uncaptured "
                                   "inputs is not allowed.");
}

/* Whether nd may be written as an op (the refusal is remembered). */
static bool takes(expander *x, mxi_node *nd, int *rc) {
    if (mxi_ptrmap_get(&x->refused, nd)) return false;
    if ((!x->shapeless || mxi_primitives[nd->kind].output_shapes) && x->accept(nd, x->shapeless))
        return true;
    if (mxi_ptrmap_put(&x->refused, nd, (void *)1)) *rc = oom();
    return false;
}

static int push_frame(xframe **stack, size_t *len, size_t *cap, mxi_node *nd) {
    if (*len == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        xframe *g = realloc(*stack, sizeof *g * c);
        if (!g) return oom();
        *stack = g;
        *cap = c;
    }
    (*stack)[(*len)++] = (xframe){nd, 0};
    return MX_OK;
}

/* Records the unevaluated graph behind a (no input of the trace reaches
 * it, else it would be mapped) as ops, in order, unless it reaches a
 * tracer of another transform: then a stays one constant, as in compile.
 * Iterative: lazy graphs may be deep. */
static int expand_lazy(mxi_ctape *t, mxi_ptrmap *where, mx_array *a, expander *x) {
    if (mxi_ptrmap_get(where, a) || a->tracer || lazy_leaf(a)) return MX_OK;
    if (mxi_ptrmap_get(&x->primals, a)) return uncaptured();
    int rc = MX_OK;
    if (!takes(x, a->node, &rc)) return rc;
    mxi_ptrmap seen = {0};
    xframe *stack = NULL;
    size_t len = 0, cap = 0;
    mxi_tape post = {0};
    bool keep = false; /* a tracer was reached */
    rc = mxi_ptrmap_put(&seen, a->node, (void *)1);
    if (!rc) rc = push_frame(&stack, &len, &cap, a->node);
    while (len && !rc && !keep) {
        xframe *top = &stack[len - 1];
        mxi_node *nd = top->node;
        if (top->next == nd->n_inputs) {
            len--;
            if (post.len == post.cap) {
                size_t c = post.cap ? post.cap * 2 : 64;
                mxi_node **g = realloc(post.nodes, sizeof *g * c);
                if (!g) {
                    rc = oom();
                    break;
                }
                post.nodes = g;
                post.cap = c;
            }
            post.nodes[post.len++] = nd;
            continue;
        }
        mx_array *in = nd->inputs[top->next++];
        if (mxi_ptrmap_get(&x->primals, in)) rc = uncaptured();
        if (rc || mxi_ptrmap_get(where, in)) continue;
        if (in->tracer) keep = true;
        if (keep || lazy_leaf(in) || mxi_ptrmap_get(&seen, in->node)) continue;
        if ((rc = mxi_ptrmap_put(&seen, in->node, (void *)1))) break;
        if (takes(x, in->node, &rc)) rc = push_frame(&stack, &len, &cap, in->node);
    }
    for (size_t k = 0; k < post.len && !rc && !keep; k++)
        rc = record_node(t, where, post.nodes[k], x->shapeless);
    free(stack);
    free(post.nodes);
    mxi_ptrmap_free(&seen);
    return rc;
}

static int expand_inputs(mxi_ctape *t, mxi_ptrmap *where, mxi_node *nd, expander *x) {
    int rc = MX_OK;
    for (int i = 0; i < nd->n_inputs && !rc; i++) rc = expand_lazy(t, where, nd->inputs[i], x);
    return rc;
}

/* The tape of the graph from the trace's tracers, and from nodes that run
 * on every call, to roots. Keys are the arrays of the trace (kept alive by
 * roots and the tracers meanwhile). With accept, other unevaluated values
 * the inputs do not reach are recorded as ops (see expander); without,
 * they are constants. */
static int build_tape(mxi_ctape *t, mxi_trace *tr, mx_array *const *roots, int n_roots,
                      bool shapeless, mxi_lazy_accept accept) {
    mxi_tape order = {.source = mxi_compile_runs_each_call};
    mxi_ptrmap where = {0};
    expander x = {accept, shapeless, {0}, {0}};
    int rc = mxi_trace_order(tr, roots, n_roots, &order, true);
    for (int i = 0; i < tr->tracers.size && accept && !rc; i++) {
        const mxi_node *n = tr->tracers.data[i]->node;
        if (n && n->n_inputs == 1 && mxi_ptrmap_put(&x.primals, n->inputs[0], (void *)1))
            rc = oom();
    }
    for (int i = 0; i < tr->tracers.size && !rc; i++) {
        mx_array *x = tr->tracers.data[i];
        int s = add_slot(t, MXI_SLOT_INPUT, i, x->dtype, x->shape, x->ndim);
        if (s < 0 || mxi_ptrmap_put(&where, x, (void *)(uintptr_t)(s + 1))) rc = oom();
    }
    t->n_inputs = tr->tracers.size;
    for (size_t k = 0; k < order.len && !rc; k++) {
        if (accept) rc = expand_inputs(t, &where, order.nodes[k], &x);
        if (!rc) rc = record_node(t, &where, order.nodes[k], shapeless);
    }
    if (!rc && !(t->outputs = malloc(sizeof(int) * (size_t)(n_roots ? n_roots : 1)))) rc = oom();
    for (int i = 0; i < n_roots && !rc; i++) {
        if (accept) rc = expand_lazy(t, &where, roots[i], &x);
        if (!rc && (t->outputs[i] = slot_of(t, &where, roots[i])) < 0) rc = oom();
    }
    mxi_tape_free(&order);
    mxi_ptrmap_free(&where);
    mxi_ptrmap_free(&x.primals);
    mxi_ptrmap_free(&x.refused);
    return rc;
}

/* ---- replay ---- */

/* Kinds whose kernels read every input at the output's shape (the ops
 * broadcast operands with Broadcast nodes of their own). */
static bool elementwise_kind(mxi_prim_kind kind) {
    mxi_shapes_fn f = mxi_primitives[kind].output_shapes;
    if (f == mxi_shapes_broadcast || f == mxi_shapes_compiled) return true;
    if (f != mxi_shapes_unary) return false;
    switch (kind) {
    case MXI_PRIM_SCATTER:
    case MXI_PRIM_SCATTER_AXIS:
    case MXI_PRIM_SLICE_UPDATE:
    case MXI_PRIM_DYNAMIC_SLICE_UPDATE:
    case MXI_PRIM_MASKED_SCATTER:
    /* shaped like their first input; a weight, bias, offset or frequencies
     * keep their own shapes */
    case MXI_PRIM_RMS_NORM:
    case MXI_PRIM_LAYER_NORM:
    case MXI_PRIM_ROPE:
        return false;
    default:
        return true;
    }
}

static bool is_elementwise(const mxi_cop *op) {
    return elementwise_kind(op->kind);
}

/* See compile_impl.h. An elementwise op commutes with broadcasting, so an
 * unevaluated one over spread values (a gradient's `exponent - 1`) is
 * the same op over their sources, spread. */
static int spread_source(mx_array **out, const mx_array *c, int depth) {
    const mxi_node *n = c->node;
    if (!n || c->tracer || depth > 32) return MX_OK;
    if (n->kind == MXI_PRIM_BROADCAST && n->n_inputs == 1) {
        if (!n->inputs[0]->tracer) *out = mx_array_retain(n->inputs[0]);
        return MX_OK;
    }
    if (atomic_load(&c->status) != MX_ARRAY_UNSCHEDULED || n->n_outputs != 1 || n->n_inputs < 1 ||
        n->n_inputs > 16 || n->kind == MXI_PRIM_COMPILED || mxi_params_release[n->kind] ||
        !elementwise_kind(n->kind))
        return MX_OK;
    mx_array *src[16] = {NULL};
    int32_t shape[64];
    int nd = 0, rc = MX_OK, k = 0;
    for (; k < n->n_inputs && !rc; k++) {
        const mx_array *x = n->inputs[k];
        if (x->ndim == 0 && !x->tracer)
            src[k] = mx_array_retain((mx_array *)x);
        else
            rc = spread_source(&src[k], x, depth + 1);
        if (!rc && !src[k]) break;
        if (!rc)
            rc =
                mxi_broadcast_shapes("compile", shape, &nd, shape, nd, src[k]->shape, src[k]->ndim);
    }
    if (!rc && k == n->n_inputs) {
        mx_array *ins[16] = {NULL};
        for (int i = 0; i < k && !rc; i++)
            rc = mxi_broadcast_if(&ins[i], src[i], shape, nd, &n->stream);
        const int32_t *shp = shape;
        if (!rc)
            rc = mxi_make_node(out, 1, &c->dtype, &shp, &nd, n->kind, n->params, n->params_size,
                               ins, k, &n->stream);
        for (int i = 0; i < k; i++) mx_array_free(ins[i]);
    }
    for (int i = 0; i < n->n_inputs && i < 16; i++) mx_array_free(src[i]);
    return rc;
}

int mxi_compile_spread_source(mx_array **out, const mx_array *c) {
    *out = NULL;
    return spread_source(out, c, 0);
}

static int shape_error(const mxi_cop *op, const mx_array *in, const int32_t *shape, int ndim) {
    char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN];
    return mxi_error(MX_ERR_VALUE,
                     "[compile] shapeless: %s gets an input of shape %s for an output of "
                     "shape %s (a value captured at the traced shape?); compile without "
                     "shapeless",
                     mxi_primitives[op->kind].name, mxi_shape_str(a, sizeof a, in->shape, in->ndim),
                     mxi_shape_str(b, sizeof b, shape, ndim));
}

/* A shapeless target for a Reshape given in full: the traced shapes are
 * split into runs of equal size (a merge, a split, or size-1 axes put in or
 * taken out); a run with one axis other than 1 on the output side takes the
 * new size of its input axes, any other run keeps its traced axes. */
static int reshape_target(const mxi_cslot *ti, const mxi_cslot *to, const mx_array *x,
                          int32_t *out) {
    const int32_t *I = ti->shape, *O = to->shape;
    int n = ti->ndim, m = to->ndim, i = 0, j = 0;
    memcpy(out, O, sizeof(int32_t) * (size_t)m);
    for (int d = 0; d < n; d++)
        if (!I[d]) return MX_OK;
    while (i < n || j < m) {
        int i0 = i, j0 = j;
        int64_t pi = 1, po = 1;
        if (i < n) pi *= I[i++];
        if (j < m) po *= O[j++];
        while (pi != po) {
            if (pi < po && i < n)
                pi *= I[i++];
            else if (po < pi && j < m)
                po *= O[j++];
            else
                return MX_OK; /* sizes differ: left to the size check */
        }
        int wide = -1, nwide = 0;
        for (int k = j0; k < j; k++)
            if (O[k] != 1) wide = k, nwide++;
        int64_t now = 1;
        for (int k = i0; k < i; k++) now *= x->shape[k];
        if (nwide == 1) out[wide] = (int32_t)now;
    }
    return MX_OK;
}

/* Axis ndim - k of x, 1 where x has fewer axes (as broadcasting reads it). */
static int32_t dim_from_end(const mx_array *x, int k) {
    return x->ndim >= k ? x->shape[x->ndim - k] : 1;
}

/* Output shapes of a shapeless replay. fake carries the traced shapes
 * (outputs, then inputs) for the rules. An elementwise op, Matmul or AddMM
 * reading a broadcast (a captured scalar spread at the traced shape, or a
 * Broadcast op of the tape) reads its source instead, and spreads it again
 * to the shape it has now (spread[] holds those). */
static int shapeless_inputs(const mxi_ctape *t, const mxi_cop *op, mx_array **ins,
                            mx_array *const *src, mx_array **spread, mxi_node *fake,
                            int32_t (*shapes)[64], int *ndims) {
    mxi_shapes_fn f = mxi_primitives[op->kind].output_shapes;
    bool elementwise = is_elementwise(op);
    bool mm = op->kind == MXI_PRIM_MATMUL || op->kind == MXI_PRIM_ADDMM;
    int32_t *tshapes[66];
    int tndims[66];
    int32_t target[64];
    int n_sub = (elementwise || mm) ? op->n_in : 0;
    bool sub[16] = {false};
    int rc = MX_OK;
    if (n_sub > 16) n_sub = 0;
    for (int i = 0; i < n_sub; i++)
        if (src[op->in[i]]) ins[i] = src[op->in[i]], sub[i] = true;
    for (int i = 0; i < op->n_in; i++)
        if (!ins[i])
            return mxi_error(MX_ERR_VALUE,
                             "[compile] shapeless: %s reads a Broadcast whose shape cannot be "
                             "inferred; compile without shapeless",
                             mxi_primitives[op->kind].name);
    if (op->n_out + op->n_in <= 66) {
        for (int o = 0; o < op->n_out; o++) {
            const mxi_cslot *s = &t->slots[op->out0 + o];
            tshapes[o] = s->shape;
            tndims[o] = s->ndim;
        }
        for (int i = 0; i < op->n_in; i++) {
            const mxi_cslot *s = &t->slots[op->in[i]];
            tshapes[op->n_out + i] = s->shape;
            tndims[op->n_out + i] = s->ndim;
        }
        if (op->kind == MXI_PRIM_RESHAPE && !op->params_size) {
            rc = reshape_target(&t->slots[op->in[0]], &t->slots[op->out0], ins[0], target);
            tshapes[0] = target;
        }
        fake->out_shapes = tshapes;
        fake->out_ndims = tndims;
    }
    if (mm && !rc) {
        /* batch axes broadcast again; each operand keeps its own matrix */
        int nd = t->slots[op->out0].ndim, nb = nd - 2;
        int32_t batch[64];
        for (int d = 0; d < nb; d++) batch[d] = 1;
        for (int i = 0; i < op->n_in && i < 2; i++) {
            const mx_array *x = ins[i];
            for (int d = 0; d < x->ndim - 2; d++) {
                int32_t v = x->shape[d], *bd = &batch[nb - (x->ndim - 2) + d];
                if (*bd != 1 && v != 1 && v != *bd) return shape_error(op, x, batch, nb);
                if (v != 1) *bd = v;
            }
        }
        /* a source spread along a matrix axis too (a cotangent) takes the
         * inner size from the other operand, the outer one as traced */
        const mx_array *a = ins[0], *b = ins[1];
        const mxi_cslot *ta = &t->slots[op->in[0]], *tb = &t->slots[op->in[1]];
        /* a source may have fewer than two axes (a scalar, a bias) */
        int32_t m = dim_from_end(a, 2), ka = dim_from_end(a, 1);
        int32_t kb = dim_from_end(b, 2), n = dim_from_end(b, 1);
        if (sub[0] && m == 1) m = ta->shape[ta->ndim - 2];
        if (sub[1] && n == 1) n = tb->shape[tb->ndim - 1];
        if (sub[0] && ka == 1) ka = kb;
        if (sub[1] && kb == 1) kb = ka;
        const int32_t mat[3][2] = {{m, ka}, {kb, n}, {m, n}};
        for (int i = 0; i < op->n_in && i < 3 && !rc; i++) {
            if (!sub[i]) continue;
            int32_t sh[64];
            memcpy(sh, batch, sizeof(int32_t) * (size_t)nb);
            const mx_array *x = ins[i];
            sh[nb] = mat[i][0];
            sh[nb + 1] = mat[i][1];
            rc = mx_broadcast_to(&spread[i], x, sh, nd, &op->stream);
            if (!rc) ins[i] = spread[i];
        }
    }
    if (!rc) rc = f(fake, ins, shapes, ndims);
    fake->out_shapes = NULL;
    fake->out_ndims = NULL;
    if (!rc && op->kind == MXI_PRIM_ADDMM && op->n_in == 3 &&
        !mxi_same_shape(ins[2]->shape, ins[2]->ndim, shapes[0], ndims[0])) {
        /* the kernel reads the addend at the product's shape, as the op
         * spread it */
        mx_array *c = NULL;
        if (mx_broadcast_to(&c, ins[2], shapes[0], ndims[0], &op->stream)) {
            mx_clear_error();
            return shape_error(op, ins[2], shapes[0], ndims[0]);
        }
        mx_array_free(spread[2]);
        spread[2] = c;
        ins[2] = c;
    }
    if (!elementwise || rc) return rc;
    /* every operand spread to the shape the op has now (one that was not
     * broadcast at trace time may need it with the new shapes) */
    for (int i = 0; i < op->n_in && !rc; i++) {
        if (mxi_same_shape(ins[i]->shape, ins[i]->ndim, shapes[0], ndims[0])) continue;
        if (i >= 16 || mx_broadcast_to(&spread[i], ins[i], shapes[0], ndims[0], &op->stream)) {
            mx_clear_error();
            rc = shape_error(op, ins[i], shapes[0], ndims[0]);
        } else {
            ins[i] = spread[i];
        }
    }
    return rc;
}

static int transpose_source(mx_array **out, mx_array *x, const mxi_cop *op) {
    const mxi_transpose_params *p = op->params;
    int32_t sh[64];
    int lead = p->ndim - x->ndim;
    for (int d = 0; d < p->ndim; d++) sh[d] = d < lead ? 1 : x->shape[d - lead];
    mx_array *r = NULL;
    int rc = mx_reshape(&r, x, sh, p->ndim, &op->stream);
    if (!rc) rc = mx_transpose(out, r, p->perm, p->ndim, &op->stream);
    mx_array_free(r);
    return rc;
}

/* A shapeless Gather's parameters at the shape its rule gave: the slice
 * sizes it holds are the traced ones, and an axis gathered whole follows
 * the input (the kernel copies slices of the sizes the parameters say). */
static int gather_params(void **out, const mxi_cop *op, const int32_t *shape, int ndim) {
    const mxi_gather_params *p = op->params;
    if (op->params_size < sizeof *p || p->ndim < 0 || p->ndim > ndim ||
        op->params_size != sizeof *p + sizeof(int32_t) * (size_t)(p->naxes + p->ndim))
        return mxi_error(MX_ERR_VALUE, "[compile] Gather: bad parameters");
    mxi_gather_params *q = malloc(op->params_size);
    if (!q) return oom();
    memcpy(q, p, op->params_size);
    memcpy(q->data + q->naxes, shape + ndim - p->ndim, sizeof(int32_t) * (size_t)p->ndim);
    *out = q;
    return MX_OK;
}

static int replay(const mxi_ctape *t, mx_array *const *inputs, mx_array **results, bool shapeless) {
    size_t n_slots = (size_t)(t->n_slots ? t->n_slots : 1);
    mx_array **vals = calloc(n_slots, sizeof *vals);
    /* shapeless: the source of each value that is a broadcast */
    mx_array **src = shapeless ? calloc(n_slots, sizeof *src) : NULL;
    if (!vals || (shapeless && !src)) {
        free(vals);
        free(src);
        return oom();
    }
    for (int i = 0; i < t->n_slots; i++) {
        const mxi_cslot *s = &t->slots[i];
        if (s->kind == MXI_SLOT_INPUT) vals[i] = mx_array_retain(inputs[s->index]);
        if (s->kind == MXI_SLOT_CONST) {
            vals[i] = mx_array_retain(s->constant);
        }
    }
    int rc = MX_OK;
    /* a constant the ops (or vmap) spread with a Broadcast node of its
     * own: its source, to spread to the shapes of this call */
    for (int i = 0; src && i < t->n_slots && !rc; i++)
        if (t->slots[i].kind == MXI_SLOT_CONST && t->slots[i].ndim > 0)
            rc = mxi_compile_spread_source(&src[i], t->slots[i].constant);
    mx_array *ins_fixed[16], *spread[16] = {NULL};
    for (int k = 0; k < t->n_ops && !rc; k++) {
        const mxi_cop *op = &t->ops[k];
        if (op->dead) continue;
        mx_array **ins = op->n_in <= 16 ? ins_fixed : malloc(sizeof *ins * (size_t)op->n_in);
        int32_t(*shapes)[64] = malloc(sizeof *shapes * (size_t)op->n_out);
        int *ndims = malloc(sizeof(int) * (size_t)op->n_out * 2);
        mx_dtype *dts = malloc(sizeof *dts * (size_t)op->n_out);
        const int32_t **shp = malloc(sizeof *shp * (size_t)op->n_out);
        if (!ins || !shapes || !ndims || !dts || !shp) rc = oom();
        for (int i = 0; i < op->n_in && !rc; i++) ins[i] = vals[op->in[i]];
        bool deferred = false;
        if (!rc && shapeless) {
            mxi_node fake;
            memset(&fake, 0, sizeof fake);
            fake.kind = op->kind;
            fake.stream = op->stream;
            fake.n_inputs = op->n_in;
            fake.n_outputs = op->n_out;
            fake.inputs = ins;
            fake.params = op->params;
            fake.params_size = op->params_size;
            if (op->kind == MXI_PRIM_BROADCAST) {
                /* its readers may spread the source to a shape of their own */
                mx_array *from = src[op->in[0]] ? src[op->in[0]] : ins[0];
                src[op->out0] = mx_array_retain(from);
            }
            if (op->kind == MXI_PRIM_TRANSPOSE && !ins[0] && src[op->in[0]]) {
                /* a transposed broadcast is the broadcast of the transposed
                 * source (a matrix product's derivative reads those) */
                rc = transpose_source(&src[op->out0], src[op->in[0]], op);
                deferred = true;
            } else {
                rc = shapeless_inputs(t, op, ins, src, spread, &fake, shapes, ndims);
            }
            if (rc && op->kind == MXI_PRIM_BROADCAST) {
                /* an error only if something reads the broadcast itself */
                mx_clear_error();
                rc = MX_OK;
                deferred = true;
            }
        }
        for (int o = 0; o < op->n_out && !rc; o++) {
            const mxi_cslot *s = &t->slots[op->out0 + o];
            dts[o] = s->dtype;
            if (shapeless) {
                shp[o] = shapes[o];
            } else {
                shp[o] = s->shape;
                ndims[o] = s->ndim;
            }
        }
        mxi_fused_program *prog =
            op->kind == MXI_PRIM_COMPILED ? ((mxi_compiled_params *)op->params)->prog : NULL;
        void *params = op->params, *own = NULL;
        if (!rc && !deferred && shapeless && op->kind == MXI_PRIM_GATHER) {
            rc = gather_params(&own, op, shapes[0], ndims[0]);
            params = own;
        }
        if (!rc && !deferred) {
            if (prog) atomic_fetch_add(&prog->refcount, 1); /* the node's */
            rc = mxi_make_node(vals + op->out0, op->n_out, dts, shp, ndims, op->kind, params,
                               op->params_size, ins, op->n_in, &op->stream);
            if (rc && prog) mxi_fused_program_release(prog);
        }
        free(own);
        for (int i = 0; i < 16; i++) {
            mx_array_free(spread[i]);
            spread[i] = NULL;
        }
        if (ins != ins_fixed) free(ins);
        free(shapes);
        free(ndims);
        free(dts);
        free(shp);
    }
    for (int i = 0; i < t->n_outputs + t->n_state_out && !rc; i++) {
        if (!vals[t->outputs[i]]) {
            rc = mxi_error(MX_ERR_VALUE, "[compile] shapeless: Broadcast cannot infer its output "
                                         "shape; compile without shapeless");
            while (i-- > 0) {
                mx_array_free(results[i]);
                results[i] = NULL;
            }
            break;
        }
        results[i] = mx_array_retain(vals[t->outputs[i]]);
    }
    for (int i = 0; i < t->n_slots; i++) {
        mx_array_free(vals[i]);
        if (src) mx_array_free(src[i]);
    }
    free(vals);
    free(src);
    return rc;
}

/* ---- the compiled closure ---- */

typedef struct centry {
    int n_in;
    mx_dtype *dtypes;
    int *ndims;
    int32_t **shapes; /* NULL entries when shapeless */
    mxi_ctape tape;   /* simplified, unfused: replayed when a transform traces the call */
    mxi_ctape fused;  /* with Compiled ops, when the mode fuses */
    bool has_fused;
} centry;

typedef struct cpayload {
    mx_closure *f;
    mx_compile_options opts;
    pthread_mutex_t lock;
    centry **entries;
    int n_entries, cap_entries;
    int n_traces;
    int last_ops;
} cpayload;

static void centry_free(centry *e) {
    if (!e) return;
    for (int i = 0; i < e->n_in && e->shapes; i++) free(e->shapes[i]);
    free(e->shapes);
    free(e->dtypes);
    free(e->ndims);
    mxi_ctape_free(&e->tape);
    mxi_ctape_free(&e->fused);
    free(e);
}

static void cpayload_free(void *p) {
    cpayload *c = p;
    for (int i = 0; i < c->n_entries; i++) centry_free(c->entries[i]);
    free(c->entries);
    mx_closure_free(c->f);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static bool entry_matches(const centry *e, mx_array *const *ins, int n, bool shapeless) {
    if (e->n_in != n) return false;
    for (int i = 0; i < n; i++) {
        if (e->dtypes[i] != ins[i]->dtype || e->ndims[i] != ins[i]->ndim) return false;
        if (!shapeless &&
            memcmp(e->shapes[i], ins[i]->shape, sizeof(int32_t) * (size_t)ins[i]->ndim) != 0)
            return false;
    }
    return true;
}

static int compile_call(mx_vec *outputs, const mx_vec *inputs, void *payload);

/* Runs f on tracers (captured inputs swapped for tracers meanwhile) and
 * keeps the tape. */
static int trace_entry(cpayload *c, centry *e, mx_vec *all) {
    mx_vec *sin = c->opts.inputs, *sout = c->opts.outputs;
    int n_args = all->size - (sin ? sin->size : 0);
    mxi_trace tr;
    mx_vec args = {0}, outs = {0}, roots = {0};
    mx_array **saved = NULL;
    int n_saved = 0;
    int rc = mxi_trace_start(&tr, all, "compile");
    for (int i = 0; i < n_args && !rc; i++) rc = mx_vec_append(&args, tr.tracers.data[i]);
    if (!rc && sin && sin->size) {
        saved = malloc(sizeof *saved * (size_t)sin->size);
        if (!saved) rc = oom();
        for (int i = 0; !rc && i < sin->size; i++) {
            saved[i] = sin->data[i];
            sin->data[i] = mx_array_retain(tr.tracers.data[n_args + i]);
            n_saved++;
        }
    }
    int n_state = sout ? sout->size : 0;
    if (!rc) {
        compile_tracing++;
        shapeless_tracing += c->opts.shapeless;
        rc = mx_closure_apply(c->f, &outs, &args);
        shapeless_tracing -= c->opts.shapeless;
        compile_tracing--;
    }
    for (int i = 0; i < outs.size && !rc; i++) rc = mx_vec_append(&roots, outs.data[i]);
    if (!rc && sout && sout->size != n_state)
        rc = mxi_error(MX_ERR_VALUE,
                       "[compile] the function changed the number of captured outputs "
                       "(%d to %d)",
                       n_state, sout->size);
    for (int i = 0; i < n_state && !rc; i++) rc = mx_vec_append(&roots, sout->data[i]);
    /* captured inputs get their values back before anything else can fail */
    for (int i = 0; i < n_saved; i++) {
        mx_array_free(sin->data[i]);
        sin->data[i] = saved[i];
    }
    free(saved);
    if (!rc) {
        e->tape.n_outputs = outs.size;
        e->tape.n_state_out = n_state;
        rc = build_tape(&e->tape, &tr, roots.data, roots.size, c->opts.shapeless, NULL);
        if (!rc) rc = check_uncaptured(&e->tape, &tr);
    }
    mx_vec_clear(&roots);
    mx_vec_clear(&outs);
    mx_vec_clear(&args);
    mxi_trace_end(&tr);
    mx_compile_mode mode = mx_get_compile_mode();
    if (!rc && mode <= MX_COMPILE_MODE_NO_FUSE)
        rc = mxi_compile_simplify(&e->tape, c->opts.shapeless);
    if (!rc && mode == MX_COMPILE_MODE_ENABLED) {
        rc = mxi_ctape_copy(&e->fused, &e->tape);
        if (!rc) rc = mxi_compile_fuse(&e->fused, c->opts.shapeless);
        e->has_fused = !rc;
    }
    return rc;
}

static int new_entry(centry **out, mx_vec *all, bool shapeless) {
    centry *e = calloc(1, sizeof *e);
    int n = all->size, m = n ? n : 1;
    if (!e) return oom();
    e->n_in = n;
    e->dtypes = malloc(sizeof *e->dtypes * (size_t)m);
    e->ndims = malloc(sizeof(int) * (size_t)m);
    e->shapes = calloc((size_t)m, sizeof *e->shapes);
    if (!e->dtypes || !e->ndims || !e->shapes) {
        centry_free(e);
        return oom();
    }
    for (int i = 0; i < n; i++) {
        mx_array *a = all->data[i];
        e->dtypes[i] = a->dtype;
        e->ndims[i] = a->ndim;
        if (shapeless) continue;
        e->shapes[i] = malloc(sizeof(int32_t) * (size_t)(a->ndim ? a->ndim : 1));
        if (!e->shapes[i]) {
            centry_free(e);
            return oom();
        }
        memcpy(e->shapes[i], a->shape, sizeof(int32_t) * (size_t)a->ndim);
    }
    *out = e;
    return MX_OK;
}

static int compile_call(mx_vec *outputs, const mx_vec *inputs, void *payload) {
    cpayload *c = payload;
    if (mx_get_compile_mode() == MX_COMPILE_MODE_DISABLED)
        return mx_closure_apply(c->f, outputs, inputs);
    mx_vec all = {0};
    int rc = MX_OK;
    for (int i = 0; i < inputs->size && !rc; i++) rc = mx_vec_append(&all, inputs->data[i]);
    if (c->opts.inputs)
        for (int i = 0; i < c->opts.inputs->size && !rc; i++) {
            if (!c->opts.inputs->data[i])
                rc = mxi_error(MX_ERR_VALUE, "[compile] captured input %d is NULL", i);
            else
                rc = mx_vec_append(&all, c->opts.inputs->data[i]);
        }
    if (rc) {
        mx_vec_clear(&all);
        return rc;
    }
    pthread_mutex_lock(&c->lock);
    centry *e = NULL;
    for (int i = 0; i < c->n_entries && !e; i++)
        if (entry_matches(c->entries[i], all.data, all.size, c->opts.shapeless)) e = c->entries[i];
    if (!e) {
        rc = new_entry(&e, &all, c->opts.shapeless);
        if (!rc) rc = trace_entry(c, e, &all);
        if (!rc && c->n_entries == c->cap_entries) {
            int cap = c->cap_entries ? c->cap_entries * 2 : 4;
            centry **g = realloc(c->entries, sizeof *g * (size_t)cap);
            if (!g)
                rc = oom();
            else
                c->entries = g, c->cap_entries = cap;
        }
        if (rc) {
            centry_free(e);
            e = NULL;
        } else {
            c->entries[c->n_entries++] = e;
            c->n_traces++;
            c->last_ops = mxi_ctape_size(e->has_fused ? &e->fused : &e->tape);
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (rc) {
        mx_vec_clear(&all);
        return rc;
    }
    /* entries live as long as the payload, and the caller holds the closure */
    int n_res = e->tape.n_outputs + e->tape.n_state_out;
    mx_array **res = calloc((size_t)(n_res ? n_res : 1), sizeof *res);
    if (!res) rc = oom();
    if (!rc && c->opts.outputs && c->opts.outputs->size != e->tape.n_state_out)
        rc = mxi_error(MX_ERR_VALUE,
                       "[compile] %d captured outputs were traced but the outputs vector holds %d",
                       e->tape.n_state_out, c->opts.outputs->size);
    /* a transform tracing through the call sees ordinary primitives, whose
     * rules it knows */
    bool traced = false;
    for (int i = 0; i < all.size && mxi_tracing_active(); i++) traced |= all.data[i]->tracer;
    const mxi_ctape *tp = e->has_fused && !traced ? &e->fused : &e->tape;
    if (!rc) rc = replay(tp, all.data, res, c->opts.shapeless);
    for (int i = 0; i < e->tape.n_outputs && !rc; i++) {
        rc = mx_vec_push(outputs, res[i]);
        res[i] = NULL;
    }
    for (int i = 0; i < e->tape.n_state_out && !rc; i++) {
        mx_array **slot = &c->opts.outputs->data[i];
        mx_array_free(*slot);
        *slot = res[e->tape.n_outputs + i];
        res[e->tape.n_outputs + i] = NULL;
    }
    for (int i = 0; res && i < n_res; i++) mx_array_free(res[i]);
    free(res);
    mx_vec_clear(&all);
    return rc;
}

int mx_compile(mx_closure **out, const mx_closure *f, const mx_compile_options *options) {
    if (!out || !f) return mxi_error(MX_ERR_VALUE, "[compile] out and f must not be NULL");
    cpayload *c = calloc(1, sizeof *c);
    if (!c) return oom();
    if (options) c->opts = *options;
    if (pthread_mutex_init(&c->lock, NULL)) {
        free(c);
        return mxi_error(MX_ERR_RUNTIME, "[compile] cannot make a lock");
    }
    c->f = mx_closure_retain((mx_closure *)f);
    int rc = mx_closure_new(out, compile_call, c, cpayload_free);
    if (rc) cpayload_free(c);
    return rc;
}

int mxi_compile_stats(const mx_closure *cl, int *n_traces, int *n_ops) {
    cpayload *c = mxi_closure_payload(cl, compile_call);
    if (!c) return mxi_error(MX_ERR_VALUE, "[compile_stats] not a compiled closure");
    pthread_mutex_lock(&c->lock);
    if (n_traces) *n_traces = c->n_traces;
    if (n_ops) *n_ops = c->last_ops;
    pthread_mutex_unlock(&c->lock);
    return MX_OK;
}

/* ---- the tape for function export (src/io/function_export.c) ---- */

int mxi_compile_trace(mxi_ctape *t, const mx_closure *f, const mx_vec *inputs, bool shapeless,
                      mxi_lazy_accept accept) {
    memset(t, 0, sizeof *t);
    mxi_trace tr;
    mx_vec args = {0}, outs = {0};
    int rc = mxi_trace_start(&tr, inputs, "export_function");
    if (rc) return rc;
    for (int i = 0; i < tr.tracers.size && !rc; i++) rc = mx_vec_append(&args, tr.tracers.data[i]);
    if (!rc) {
        compile_tracing++;
        shapeless_tracing += shapeless;
        rc = mx_closure_apply(f, &outs, &args);
        shapeless_tracing -= shapeless;
        compile_tracing--;
    }
    if (!rc) {
        t->n_outputs = outs.size;
        rc = build_tape(t, &tr, outs.data, outs.size, shapeless, accept);
        if (!rc && accept) rc = check_uncaptured(t, &tr);
    }
    mx_vec_clear(&outs);
    mx_vec_clear(&args);
    mxi_trace_end(&tr);
    if (rc) mxi_ctape_free(t);
    return rc;
}

int mxi_ctape_replay(const mxi_ctape *t, mx_array *const *inputs, mx_array **results,
                     bool shapeless) {
    return replay(t, inputs, results, shapeless);
}
