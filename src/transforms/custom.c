/*
 * Custom functions and checkpoints.
 *
 * Applying a custom function runs fun, puts its outputs under stop_gradient
 * and makes one Custom node whose inputs are the arguments followed by those
 * outputs; its kernel hands the outputs on as views. Transforms reach the
 * node, not fun's graph, and its rules call the custom closures (or
 * differentiate fun afresh when there are none). A checkpoint is a custom
 * function whose vjp reruns fun once the forward pass and the cotangents
 * are there (Depends orders it), so fun's intermediate results need not live
 * until the backward pass, and each checkpoint's live only while the
 * backward pass is at it.
 */
#include <stdlib.h>
#include <string.h>

#include "cmlx/ops.h"
#include "core/error.h"
#include "primitives/params_compiled.h"
#include "rules.h"
#include "transforms_impl.h"

typedef struct custom_fn {
    atomic_int refcount;
    mx_closure *fun, *vjp, *jvp, *vmap;
    bool checkpoint;
} custom_fn;

typedef struct custom_params {
    custom_fn *fn;
} custom_params;

static void custom_release(custom_fn *c) {
    if (atomic_fetch_sub_explicit(&c->refcount, 1, memory_order_acq_rel) != 1) return;
    mx_closure_free(c->fun);
    mx_closure_free(c->vjp);
    mx_closure_free(c->jvp);
    mx_closure_free(c->vmap);
    free(c);
}

static void custom_params_release(void *params) {
    custom_release(((custom_params *)params)->fn);
}

void (*const mxi_params_release[MXI_PRIM_COUNT])(void *) = {
    [MXI_PRIM_CUSTOM] = custom_params_release,
    [MXI_PRIM_COMPILED] = mxi_compiled_params_release,
};

static void custom_destroy(void *payload) {
    custom_release(payload);
}

int mxi_cpu_custom(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    int np = node->n_inputs - node->n_outputs;
    for (int i = 0; i < node->n_outputs; i++) {
        const mx_array *in = inputs[np + i];
        mxi_set_view(outputs[i], in, in->strides, 0, in->data_size);
    }
    return MX_OK;
}

static int custom_call(mx_vec *outputs, const mx_vec *inputs, void *payload) {
    custom_fn *c = payload;
    mx_vec fo = {0}, all = {0};
    int rc = mx_closure_apply(c->fun, &fo, inputs);
    if (!rc && fo.size == 0)
        rc = mxi_error(MX_ERR_VALUE, "[custom_function] the function returned no outputs");
    for (int i = 0; i < inputs->size && !rc; i++) rc = mx_vec_append(&all, inputs->data[i]);
    for (int i = 0; i < fo.size && !rc; i++) {
        mx_array *sg = NULL;
        rc = mx_stop_gradient(&sg, fo.data[i], NULL);
        if (!rc) rc = mx_vec_push(&all, sg);
    }
    int n = fo.size;
    mx_dtype *dtypes = malloc(sizeof *dtypes * (size_t)(n ? n : 1));
    const int32_t **shapes = malloc(sizeof *shapes * (size_t)(n ? n : 1));
    int *ndims = malloc(sizeof *ndims * (size_t)(n ? n : 1));
    mx_array **made = calloc((size_t)(n ? n : 1), sizeof *made);
    if (!rc && (!dtypes || !shapes || !ndims || !made))
        rc = mxi_error(MX_ERR_MEMORY, "[custom_function] out of memory");
    for (int i = 0; i < n && !rc; i++) {
        dtypes[i] = fo.data[i]->dtype;
        shapes[i] = fo.data[i]->shape;
        ndims[i] = fo.data[i]->ndim;
    }
    if (!rc) {
        atomic_fetch_add(&c->refcount, 1); /* the node's */
        custom_params p = {c};
        rc = mxi_make_node(made, n, dtypes, (const int32_t *const *)shapes, ndims, MXI_PRIM_CUSTOM,
                           &p, sizeof p, all.data, all.size, NULL);
        if (rc) custom_release(c);
    }
    for (int i = 0; i < n && !rc; i++) {
        rc = mx_vec_push(outputs, made[i]);
        made[i] = NULL;
    }
    for (int i = 0; i < n && made; i++) mx_array_free(made[i]);
    free(dtypes);
    free(shapes);
    free(ndims);
    free(made);
    mx_vec_clear(&fo);
    mx_vec_clear(&all);
    return rc;
}

static int make_custom(mx_closure **out, const mx_closure *fun, const mx_closure *vjp,
                       const mx_closure *jvp, const mx_closure *vmap, bool checkpoint,
                       const char *op) {
    if (!out || !fun) return mxi_error(MX_ERR_VALUE, "[%s] out and fun must not be NULL", op);
    custom_fn *c = malloc(sizeof *c);
    if (!c) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    atomic_init(&c->refcount, 1);
    c->fun = mx_closure_retain((mx_closure *)fun);
    c->vjp = mx_closure_retain((mx_closure *)vjp);
    c->jvp = mx_closure_retain((mx_closure *)jvp);
    c->vmap = mx_closure_retain((mx_closure *)vmap);
    c->checkpoint = checkpoint;
    int rc = mx_closure_new(out, custom_call, c, custom_destroy);
    if (rc) custom_release(c);
    return rc;
}

int mx_custom_function(mx_closure **out, const mx_closure *fun, const mx_closure *vjp,
                       const mx_closure *jvp) {
    return make_custom(out, fun, vjp, jvp, NULL, false, "custom_function");
}

int mx_custom_function_vmap(mx_closure **out, const mx_closure *fun, const mx_closure *vjp,
                            const mx_closure *jvp, const mx_closure *vmap) {
    return make_custom(out, fun, vjp, jvp, vmap, false, "custom_function");
}

int mx_checkpoint(mx_closure **out, const mx_closure *fun) {
    return make_custom(out, fun, NULL, NULL, NULL, true, "checkpoint");
}

/* ---- rules ---- */

/* Output `keep` of mx_depends(inputs[0..n)), the others let go at once: a
 * view of inputs[keep] made once every input is computed. Eval holds the
 * live siblings of what it evaluates until it returns, so none are kept. */
static int depends_keep(mx_array **out, mx_array *const *inputs, int n, int keep) {
    mx_array **outs = calloc((size_t)n, sizeof *outs);
    if (!outs) return mxi_error(MX_ERR_MEMORY, "[checkpoint] out of memory");
    int rc = mx_depends(outs, (const mx_array *const *)inputs, n, NULL, 0);
    for (int i = 0; i < n; i++)
        if (i != keep) mx_array_free(outs[i]);
    *out = rc ? NULL : outs[keep];
    free(outs);
    return rc;
}

/*
 * Makes the requested cotangents of a checkpoint (res[argnums[k]]) ready
 * together. The backward pass of a chain continues from the cotangent of a
 * checkpoint's input; the others (a layer's weights) are often only roots of
 * their own. Eval would then run the whole chain first, each checkpoint's
 * recomputed activations waiting for its weights' cotangent until the end.
 * Tied together, a checkpoint's cotangents are all computed before the chain
 * moves on, and its activations go as soon as it is done.
 *
 * A gate waits for all of them, last argument first (eval visits a node's
 * inputs in order, and the cotangents of the later arguments, the later
 * layers, are the first the backward pass through fun reaches). The gate is
 * the sum of the smallest of them, a 0-d array, so that it holds nothing
 * large once computed. Each cotangent is then handed on as a view made
 * after the gate.
 */
static int tie_cotangents(mx_vec *res, const int *argnums, int n_argnums, int np) {
    int m = 0;
    for (int k = 0; k < n_argnums; k++) m += argnums[k] < np;
    if (m < 2) return MX_OK;
    mx_array **order = malloc(sizeof *order * (size_t)m), *all = NULL, *gate = NULL;
    int rc = order ? MX_OK : mxi_error(MX_ERR_MEMORY, "[checkpoint] out of memory");
    int small = 0;
    for (int k = 0, j = m; k < n_argnums && !rc; k++)
        if (argnums[k] < np) order[--j] = res->data[argnums[k]];
    for (int j = 1; j < m && !rc; j++)
        if (mx_array_nbytes(order[j]) < mx_array_nbytes(order[small])) small = j;
    if (!rc) rc = depends_keep(&all, order, m, small);
    if (!rc) rc = mx_sum(&gate, all, false, NULL);
    mx_array_free(all);
    for (int k = 0; k < n_argnums && !rc; k++) {
        if (argnums[k] >= np) continue;
        mx_array *pair[2] = {gate, res->data[argnums[k]]}, *tied = NULL;
        rc = depends_keep(&tied, pair, 2, 1);
        if (rc) break;
        mx_array_free(res->data[argnums[k]]);
        res->data[argnums[k]] = tied;
    }
    mx_array_free(gate);
    free(order);
    return rc;
}

MXI_VJP_RULE(mxi_vjp_custom) {
    const custom_fn *c = ((const custom_params *)node->params)->fn;
    int no = node->n_outputs, np = node->n_inputs - no;
    mx_vec in = {0}, res = {0}, outs = {0};
    int rc = MX_OK;
    if (c->vjp) {
        for (int i = 0; i < np && !rc; i++) rc = mx_vec_append(&in, primals[i]);
        for (int i = 0; i < no && !rc; i++) rc = mx_vec_append(&in, cotangents[i]);
        for (int i = 0; i < no && !rc; i++) rc = mx_vec_append(&in, primals[np + i]);
        if (!rc) rc = mx_closure_apply(c->vjp, &res, &in);
        if (!rc && res.size != np)
            rc = mxi_error(MX_ERR_VALUE,
                           "[custom_function] the vjp returned %d cotangents for %d primals",
                           res.size, np);
    } else {
        mx_vec cots = {0};
        if (c->checkpoint) {
            /* The recomputation waits for the forward outputs and for the
             * cotangents: eval orders the graph depth first, and without the
             * cotangents it could recompute every checkpoint of a chain
             * before the backward pass reaches any of them, keeping all
             * their intermediate results alive at once. */
            mx_array **dep = calloc((size_t)(np ? np : 1), sizeof *dep);
            const mx_array **after = malloc(sizeof *after * (size_t)(2 * no));
            for (int i = 0; i < no && after; i++) {
                after[i] = primals[np + i];
                after[no + i] = cotangents[i];
            }
            rc = dep && after ? mx_depends(dep, (const mx_array *const *)primals, np,
                                           (const mx_array *const *)after, 2 * no)
                              : mxi_error(MX_ERR_MEMORY, "[checkpoint] out of memory");
            free(after);
            for (int i = 0; i < np && dep; i++) {
                if (!rc)
                    rc = mx_vec_push(&in, dep[i]);
                else
                    mx_array_free(dep[i]);
            }
            free(dep);
        } else {
            for (int i = 0; i < np && !rc; i++) rc = mx_vec_append(&in, primals[i]);
        }
        for (int i = 0; i < no && !rc; i++) rc = mx_vec_append(&cots, cotangents[i]);
        if (!rc) rc = mx_vjp(&outs, &res, c->fun, &in, &cots);
        mx_vec_clear(&cots);
    }
    if (!rc && c->checkpoint) rc = tie_cotangents(&res, argnums, n_argnums, np);
    for (int k = 0; k < n_argnums && !rc; k++) {
        int a = argnums[k];
        out[k] = a < np ? mx_array_retain(res.data[a]) : NULL;
        if (out[k] && !mxi_same_shape_impl(out[k], primals[a]))
            rc = mxi_error(MX_ERR_VALUE,
                           "[custom_function] the vjp's cotangent %d has the wrong shape", a);
    }
    mx_vec_clear(&in);
    mx_vec_clear(&res);
    mx_vec_clear(&outs);
    return rc;
}

MXI_JVP_RULE(mxi_jvp_custom) {
    const custom_fn *c = ((const custom_params *)node->params)->fn;
    int no = node->n_outputs, np = node->n_inputs - no;
    mx_vec prim = {0}, tans = {0}, res = {0}, outs = {0};
    int rc = MX_OK;
    for (int i = 0; i < np && !rc; i++) rc = mx_vec_append(&prim, primals[i]);
    for (int i = 0; i < np && !rc; i++) {
        mx_array *t = NULL;
        for (int k = 0; k < n_argnums; k++)
            if (argnums[k] == i) t = mx_array_retain(tangents[k]);
        if (!t) rc = mx_zeros_like(&t, primals[i], primals[i]->dtype, &node->stream);
        if (!rc) rc = mx_vec_push(&tans, t);
    }
    if (!rc && c->jvp) {
        mx_vec in = {0};
        for (int i = 0; i < np && !rc; i++) rc = mx_vec_append(&in, prim.data[i]);
        for (int i = 0; i < np && !rc; i++) rc = mx_vec_append(&in, tans.data[i]);
        if (!rc) rc = mx_closure_apply(c->jvp, &res, &in);
        mx_vec_clear(&in);
    } else if (!rc) {
        rc = mx_jvp(&outs, &res, c->fun, &prim, &tans);
    }
    if (!rc && res.size != no)
        rc =
            mxi_error(MX_ERR_VALUE, "[custom_function] the jvp returned %d tangents for %d outputs",
                      res.size, no);
    for (int i = 0; i < no && !rc; i++) out[i] = mx_array_retain(res.data[i]);
    mx_vec_clear(&prim);
    mx_vec_clear(&tans);
    mx_vec_clear(&res);
    mx_vec_clear(&outs);
    return rc;
}

/* The custom vectorisation: inputs and their axes in, outputs and theirs
 * out (0-d int32 arrays, -1 for not mapped). */
static int custom_vmap(const custom_fn *c, const mxi_node *node, mx_array *const *inputs,
                       const int *in_axes, mx_array **outputs, int *out_axes) {
    int no = node->n_outputs, np = node->n_inputs - no;
    mx_vec in = {0}, res = {0};
    int rc = MX_OK;
    for (int i = 0; i < np && !rc; i++) rc = mx_vec_append(&in, inputs[i]);
    for (int i = 0; i < np && !rc; i++) {
        mx_array *a = NULL;
        rc = mx_array_from_int(&a, in_axes[i] >= 0 ? in_axes[i] : -1, MX_INT32);
        if (!rc) rc = mx_vec_push(&in, a);
    }
    if (!rc) rc = mx_closure_apply(c->vmap, &res, &in);
    if (!rc && res.size != 2 * no)
        rc = mxi_error(MX_ERR_VALUE,
                       "[custom_function] the vmap rule returned %d arrays for %d outputs and "
                       "their axes",
                       res.size, no);
    for (int i = 0; i < no && !rc; i++) {
        mx_array *ax = res.data[no + i];
        int32_t v = 0;
        rc = mx_eval(&ax, 1);
        if (!rc && (ax->size != 1 || !mx_dtype_is_integer(ax->dtype)))
            rc = mxi_error(MX_ERR_VALUE, "[custom_function] the vmap rule's axis %d is not an int",
                           i);
        if (!rc) {
            mx_array *c32 = NULL;
            rc = mx_astype(&c32, ax, MX_INT32, NULL);
            if (!rc) rc = mx_eval(&c32, 1);
            if (!rc) rc = mx_array_copy_to(c32, &v, sizeof v);
            mx_array_free(c32);
        }
        const mx_array *o = res.data[i];
        if (!rc && (v < -1 || v >= (v >= 0 ? o->ndim : 1)))
            rc = mxi_error(MX_ERR_VALUE,
                           "[custom_function] the vmap rule's axis %d for an output with %d "
                           "dimensions",
                           v, o->ndim);
        if (!rc) {
            outputs[i] = mx_array_retain(res.data[i]);
            out_axes[i] = v;
        }
    }
    mx_vec_clear(&in);
    mx_vec_clear(&res);
    return rc;
}

/* Under vmap a custom function uses its vmap closure, or else is its
 * function vmapped (its custom derivatives do not carry over to the batched
 * function). */
MXI_VMAP_RULE(mxi_vmap_custom) {
    const custom_fn *c = ((const custom_params *)node->params)->fn;
    int no = node->n_outputs, np = node->n_inputs - no;
    if (c->vmap) return custom_vmap(c, node, inputs, in_axes, outputs, out_axes);
    int *ax = malloc(sizeof(int) * (size_t)(np ? np : 1));
    mx_closure *v = NULL;
    mx_vec in = {0}, res = {0};
    int rc = ax ? MX_OK : mxi_error(MX_ERR_MEMORY, "[vmap] out of memory");
    for (int i = 0; i < np && !rc; i++) {
        ax[i] = in_axes[i] >= 0 ? in_axes[i] : MX_VMAP_NONE;
        rc = mx_vec_append(&in, inputs[i]);
    }
    int zero = 0;
    if (!rc) rc = mx_vmap(&v, c->fun, ax, np, &zero, 1);
    if (!rc) rc = mx_closure_apply(v, &res, &in);
    if (!rc && res.size != no)
        rc = mxi_error(MX_ERR_VALUE, "[vmap] the custom function's outputs changed under vmap");
    for (int i = 0; i < no && !rc; i++) {
        outputs[i] = mx_array_retain(res.data[i]);
        out_axes[i] = 0;
    }
    free(ax);
    mx_closure_free(v);
    mx_vec_clear(&in);
    mx_vec_clear(&res);
    return rc;
}
