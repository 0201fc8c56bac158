/*
 * vmap: the function runs once on tracers standing for one slice of each
 * mapped input; the active part of its graph is then replayed in order,
 * each node through its primitive's vmap rule on the batched values (each
 * with the axis that holds the batch), and the outputs get the batch axis
 * moved to out_axes.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmlx/ops.h"
#include "core/error.h"
#include "core/stream.h"
#include "compile_impl.h"
#include "rules_util.h"
#include "transforms_impl.h"

typedef struct vmap_payload {
    mx_closure *f;
    int n_in, n_out;
    bool report; /* mx_vmap_report: one bool per output after the outputs */
    int axes[];  /* n_in in_axes, then n_out out_axes */
} vmap_payload;

static void vmap_payload_free(void *p) {
    vmap_payload *v = p;
    mx_closure_free(v->f);
    free(v);
}

/* A batched value: the array and the axis of the batch. */
typedef struct batched {
    mx_array *key; /* held, so its address is not reused during the walk */
    mx_array *a;
    int axis;
} batched;

static void batched_free(batched *b) {
    mx_array_free(b->key);
    mx_array_free(b->a);
    free(b);
}

/* Maps key (a reference taken over) to a (taken over) at axis. */
static int put_batched(mxi_ptrmap *m, mx_array *key, mx_array *a, int axis) {
    batched *b = malloc(sizeof *b);
    if (!b) {
        mx_array_free(a);
        mx_array_free(key);
        return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
    }
    *b = (batched){key, a, axis};
    batched *old = mxi_ptrmap_get(m, key);
    int rc = mxi_ptrmap_put(m, key, b);
    if (rc)
        batched_free(b);
    else if (old)
        batched_free(old);
    return rc;
}

static void free_batched(mxi_ptrmap *m) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            batched_free(m->vals[i]);
        }
    mxi_ptrmap_free(m);
}

static int replay(mxi_tape *tp, mxi_ptrmap *bm) {
    int rc = MX_OK;
    for (size_t k = 0; k < tp->len && !rc; k++) {
        mxi_node *nd = tp->nodes[k];
        int ni = nd->n_inputs, no = nd->n_outputs;
        mxi_vmap_fn rule = mxi_primitives[nd->kind].vmap;
        if (!rule) rule = mxi_vmap_by_loop;
        if (no > 64) return mxi_error(MX_ERR_VALUE, "[vmap] too many outputs");
        mx_array **ins = calloc((size_t)(ni + no), sizeof *ins);
        int *axes = malloc(sizeof(int) * (size_t)(ni + no));
        if (!ins || !axes) {
            free(ins);
            free(axes);
            return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
        }
        mx_array **outs = ins + ni;
        int *oaxes = axes + ni;
        for (int i = 0; i < ni; i++) {
            batched *b = mxi_ptrmap_get(bm, nd->inputs[i]);
            ins[i] = b ? b->a : nd->inputs[i];
            axes[i] = b ? b->axis : -1;
        }
        for (int i = 0; i < no; i++) oaxes[i] = -1;
        rc = rule(nd, ins, axes, outs, oaxes);
        mx_array *keys[64] = {0};
        if (!rc && no > 1) mxi_sibling_lock();
        for (int i = 0; i < no && !rc; i++) keys[i] = mx_array_retain(nd->outputs[i]);
        if (!rc && no > 1) mxi_sibling_unlock();
        for (int i = 0; i < no; i++) {
            if (!rc && outs[i] && keys[i]) {
                rc = put_batched(bm, keys[i], outs[i], oaxes[i]);
            } else {
                mx_array_free(outs[i]);
                mx_array_free(keys[i]);
            }
        }
        free(ins);
        free(axes);
    }
    return rc;
}

/* How many vmaps this thread is tracing a function for: evaluating a
 * tracer is an error then (eval.c), as in MLX. */
static _Thread_local int vmap_tracing;

bool mxi_vmap_tracing(void) {
    return vmap_tracing > 0;
}

static int vmap_call(mx_vec *outputs, const mx_vec *inputs, void *payload) {
    vmap_payload *v = payload;
    if (inputs->size != v->n_in)
        return mxi_error(MX_ERR_VALUE,
                         "[vmap] The number of in axes (%d) must match the number of arguments "
                         "(%d).",
                         v->n_in, inputs->size);
    int32_t size = -1;
    int *ax = malloc(sizeof(int) * (size_t)(v->n_in ? v->n_in : 1));
    if (!ax) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
    int rc = MX_OK;
    for (int i = 0; i < v->n_in && !rc; i++) {
        mx_array *x = inputs->data[i];
        ax[i] = v->axes[i];
        if (ax[i] == MX_VMAP_NONE) continue;
        if (ax[i] < 0) ax[i] += x->ndim;
        if (ax[i] < 0 || ax[i] >= x->ndim) {
            rc = mxi_error(MX_ERR_VALUE,
                           "[vmap] Invalid in axis %d for input %d with %d dimensions.", v->axes[i],
                           i, x->ndim);
        } else if (size >= 0 && x->shape[ax[i]] != size) {
            rc = mxi_error(MX_ERR_VALUE,
                           "[vmap] Inconsistent axis sizes: %d and %d (input %d, axis %d).", size,
                           x->shape[ax[i]], i, v->axes[i]);
        } else {
            size = x->shape[ax[i]];
        }
    }
    if (!rc && size < 0)
        rc = mxi_error(MX_ERR_VALUE, "[vmap] At least one of in_axes must name an axis.");
    mxi_trace t = {0};
    mx_vec call = {0}, outs = {0};
    mxi_ptrmap bm = {0};
    mxi_tape tp = {0};
    if (!rc) {
        atomic_fetch_add(&mxi_tracing, 1);
        t.started = true;
    }
    for (int i = 0; i < v->n_in && !rc; i++) {
        mx_array *x = inputs->data[i];
        if (ax[i] == MX_VMAP_NONE) {
            rc = mx_vec_append(&call, x);
            continue;
        }
        /* The tracer is one slice; the walk stops there and reads x. */
        mx_array *tr = NULL;
        rc = mx_take_index_axis(&tr, x, 0, ax[i], NULL);
        if (!rc) rc = mx_vec_append(&call, tr);
        if (!rc) rc = mx_vec_append(&t.tracers, tr);
        if (!rc) rc = mxi_ptrmap_put(&t.primals, tr, (void *)(uintptr_t)(i + 1));
        if (!rc) rc = put_batched(&bm, mx_array_retain(tr), mx_array_retain(x), ax[i]);
        if (tr) tr->tracer = true;
        mx_array_free(tr);
    }
    if (!rc) {
        vmap_tracing++;
        rc = mx_closure_apply(v->f, &outs, &call);
        vmap_tracing--;
    }
    if (!rc && v->n_out != 1 && v->n_out != outs.size)
        rc = mxi_error(MX_ERR_VALUE,
                       "[vmap] The number of out axes (%d) must match the number of outputs (%d).",
                       v->n_out, outs.size);
    if (!rc) rc = mxi_trace_order(&t, outs.data, outs.size, &tp, true);
    if (!rc) rc = replay(&tp, &bm);
    mx_vec res = {0};
    for (int j = 0; j < outs.size && !rc; j++) {
        mx_array *o = outs.data[j], *r = NULL;
        int oa = v->axes[v->n_in + (v->n_out == 1 ? 0 : j)];
        batched *b = mxi_ptrmap_get(&bm, o);
        if (b && b->axis < 0) { /* a rule found it the same for every slice */
            o = b->a;
            b = NULL;
        }
        if (oa == MX_VMAP_NONE) {
            rc = mxi_error(MX_ERR_VALUE, "[vmap] out axes must name an axis");
            break;
        }
        if (oa < 0) oa += o->ndim + 1;
        if (oa < 0 || oa > o->ndim) {
            rc = mxi_error(MX_ERR_VALUE,
                           "[vmap] Invalid out axis %d for output %d with %d "
                           "dimensions.",
                           v->axes[v->n_in + (v->n_out == 1 ? 0 : j)], j, o->ndim);
            break;
        }
        if (b) {
            rc = mx_moveaxis(&r, b->a, b->axis, oa, NULL);
        } else {
            /* independent of the mapped inputs: the same for every slice */
            int32_t shape[64];
            mx_array *e = NULL;
            rc = mx_expand_dims(&e, o, oa, NULL);
            for (int d = 0; d < e->ndim && !rc; d++) shape[d] = d == oa ? size : e->shape[d];
            if (!rc) rc = mx_broadcast_to(&r, e, shape, e->ndim, NULL);
            mx_array_free(e);
        }
        if (!rc) rc = mx_vec_push(&res, r);
    }
    for (int j = 0; j < outs.size && !rc && v->report; j++) {
        batched *b = mxi_ptrmap_get(&bm, outs.data[j]);
        mx_array *m = NULL;
        rc = mx_array_from_bool(&m, b && b->axis >= 0);
        if (!rc) rc = mx_vec_push(&res, m);
    }
    mxi_trace_end(&t);
    mxi_tape_free(&tp);
    free_batched(&bm);
    mx_vec_clear(&call);
    mx_vec_clear(&outs);
    free(ax);
    if (rc) {
        mx_vec_clear(&res);
        return rc;
    }
    *outputs = res;
    return MX_OK;
}

int mx_vmap(mx_closure **out, const mx_closure *f, const int *in_axes, int n_in_axes,
            const int *out_axes, int n_out_axes) {
    if (!out || !f || n_in_axes < 0 || (n_in_axes && !in_axes) || n_out_axes < 1 || !out_axes)
        return mxi_error(MX_ERR_VALUE, "[vmap] invalid arguments");
    vmap_payload *v = malloc(sizeof *v + sizeof(int) * (size_t)(n_in_axes + n_out_axes));
    if (!v) return mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
    v->f = mx_closure_retain((mx_closure *)f);
    v->n_in = n_in_axes;
    v->n_out = n_out_axes;
    v->report = false;
    if (n_in_axes) memcpy(v->axes, in_axes, sizeof(int) * (size_t)n_in_axes);
    memcpy(v->axes + n_in_axes, out_axes, sizeof(int) * (size_t)n_out_axes);
    int rc = mx_closure_new(out, vmap_call, v, vmap_payload_free);
    if (rc) vmap_payload_free(v);
    return rc;
}

int mx_vmap_report(mx_closure **out, const mx_closure *f, const int *in_axes, int n_in_axes,
                   const int *out_axes, int n_out_axes) {
    int rc = mx_vmap(out, f, in_axes, n_in_axes, out_axes, n_out_axes);
    if (!rc) ((vmap_payload *)mxi_closure_payload(*out, vmap_call))->report = true;
    return rc;
}
