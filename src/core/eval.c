/*
 * Evaluation: order the unscheduled part of the graph (iteratively, so a
 * chain of a million nodes needs no deep stack), queue each node on its
 * stream, and on the stream's worker run the kernel, mark the outputs
 * finished and detach them from the graph so memory goes as soon as it can.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "array_impl.h"
#include "error.h"
#include "stream.h"

/* A run of consecutive tape nodes on one stream, queued as one task. */
typedef struct node_batch {
    mxi_task task;
    size_t n;
    mxi_node *nodes[];
} node_batch;

/* Copies an error onto an array that will not be computed. */
static void fail_array(mx_array *a, int code, const char *msg) {
    a->error_code = code ? code : MX_ERR_RUNTIME;
    free(a->error);
    a->error = strdup(msg);
}

/* Runs one node on the current (worker) thread. */
static void run_node(mxi_node *n) {
    int rc = MX_OK;
    const char *msg = NULL;
    /* Inputs from other streams may still be running: wait for them. Within
     * one stream the queue order already guarantees they are done. */
    for (int i = 0; i < n->n_inputs; i++) {
        mx_array *in = n->inputs[i];
        mxi_array_wait_finished(in);
        if (atomic_load_explicit(&in->status, memory_order_acquire) == MX_ARRAY_FAILED) {
            rc = in->error_code;
            msg = in->error ? in->error : "an input failed to evaluate";
        }
    }
    if (rc == MX_OK) {
        mxi_eval_fn kernel = mxi_backend_of(n->stream.device.type)->kernel(n->kind);
        if (!kernel) {
            rc = mxi_error(MX_ERR_RUNTIME, "[%s] has no kernel for the %s",
                           mxi_primitives[n->kind].name,
                           mxi_backend_of(n->stream.device.type)->name);
        } else {
            mx_clear_error();
            rc = kernel(n, n->inputs, n->outputs);
        }
        if (rc != MX_OK) msg = mx_last_error()[0] ? mx_last_error() : "kernel failed";
    }

    /* A transform tracing a function walks the graph of its tracers after a
     * nested eval, so they stay attached while it traces. */
    bool keep_graph = false;
    if (mxi_tracing_active())
        for (int i = 0; i < n->n_outputs; i++)
            if (n->outputs[i]->tracer) keep_graph = true;
    for (int i = 0; i < n->n_outputs; i++)
        if (rc != MX_OK) fail_array(n->outputs[i], rc, msg);
    /* Order matters: detach, release the node (and with it the inputs it
     * alone kept alive), then publish the status, so that when eval returns
     * the memory the graph held is already back. The outputs are read from a
     * copy because the node may be gone by then; the tape's references
     * (taken in prepare_node) keep the outputs themselves alive. */
    int k = n->n_outputs;
    mx_array *local[8];
    mx_array **outs = k <= 8 ? local : malloc((size_t)k * sizeof *outs);
    if (!outs) {
        /* No room for the copy: publish first, then let go (same result,
         * the memory just returns a moment later). */
        for (int i = 0; i < k; i++)
            mxi_array_finish(n->outputs[i], rc == MX_OK ? MX_ARRAY_AVAILABLE : MX_ARRAY_FAILED);
        for (int i = 0; i < k; i++) {
            mx_array *o = n->outputs[i];
            if (!keep_graph) {
                o->node = NULL;
                mxi_node_release(n);
            }
            mx_array_free(o);
        }
        return;
    }
    memcpy(outs, n->outputs, (size_t)k * sizeof *outs);
    if (!keep_graph) {
        for (int i = 0; i < k; i++) {
            outs[i]->node = NULL;
            mxi_node_release(n);
        }
    }
    for (int i = 0; i < k; i++)
        mxi_array_finish(outs[i], rc == MX_OK ? MX_ARRAY_AVAILABLE : MX_ARRAY_FAILED);
    for (int i = 0; i < k; i++) mx_array_free(outs[i]);
    if (outs != local) free(outs);
}

static void run_batch(mxi_task *t) {
    node_batch *b = (node_batch *)t;
    for (size_t i = 0; i < b->n; i++) run_node(b->nodes[i]);
    free(b);
}

/* ---- building the tape ---- */

typedef struct frame {
    mxi_node *node;
    int next_input;
} frame;

typedef struct vec {
    void *data;
    size_t len, cap;
} vec;

static int vec_push(vec *v, const void *item, size_t size) {
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        void *grown = realloc(v->data, cap * size);
        if (!grown) return mxi_error(MX_ERR_MEMORY, "[eval] out of memory ordering the graph");
        v->data = grown;
        v->cap = cap;
    }
    memcpy((char *)v->data + v->len * size, item, size);
    v->len++;
    return MX_OK;
}

/* Visit marks: a node is on this call's tape when mark == epoch. */
static _Atomic uint64_t epoch_counter;

/* Status first: only an unscheduled array's node is stable to read (a
 * worker clears it once the array is scheduled and run). */
static bool needs_run(const mx_array *a) {
    return atomic_load_explicit(&a->status, memory_order_acquire) == MX_ARRAY_UNSCHEDULED &&
           a->node;
}

/* Depth-first post-order over unscheduled nodes reachable from the roots. */
static int build_tape(mx_array *const *roots, size_t n, vec *tape) {
    vec stack = {0};
    int rc = MX_OK;
    uint64_t epoch = atomic_fetch_add(&epoch_counter, 1) + 1;
    for (size_t r = 0; r < n && rc == MX_OK; r++) {
        mx_array *a = roots[r];
        if (!needs_run(a) || a->node->mark == epoch) continue;
        a->node->mark = epoch;
        frame f = {a->node, 0};
        rc = vec_push(&stack, &f, sizeof f);
        while (rc == MX_OK && stack.len) {
            frame *top = (frame *)stack.data + stack.len - 1;
            if (top->next_input < top->node->n_inputs) {
                mx_array *in = top->node->inputs[top->next_input++];
                if (needs_run(in) && in->node->mark != epoch) {
                    in->node->mark = epoch;
                    frame g = {in->node, 0};
                    rc = vec_push(&stack, &g, sizeof g);
                }
            } else {
                mxi_node *done = top->node;
                stack.len--;
                rc = vec_push(tape, &done, sizeof done);
            }
        }
    }
    free(stack.data);
    return rc;
}

/* Gives a node's freed outputs a stand-in so its kernel has somewhere to
 * write, then takes the tape's references and marks everything scheduled. */
static int prepare_node(mxi_node *n) {
    if (n->n_outputs > 1) {
        mxi_sibling_lock();
        for (int i = 0; i < n->n_outputs; i++) {
            mx_array *o = n->outputs[i];
            if (o) {
                mx_array_retain(o);
                continue;
            }
            o = mxi_array_alloc(n->out_dtypes[i], n->out_shapes[i], n->out_ndims[i]);
            if (!o) {
                mxi_sibling_unlock();
                return MX_ERR_MEMORY;
            }
            o->node = n;
            o->out_index = i;
            atomic_fetch_add_explicit(&n->refcount, 1, memory_order_relaxed);
            n->outputs[i] = o; /* its one reference is the tape's */
        }
        mxi_sibling_unlock();
    } else {
        mx_array_retain(n->outputs[0]);
    }
    for (int i = 0; i < n->n_outputs; i++)
        atomic_store_explicit(&n->outputs[i]->status, MX_ARRAY_SCHEDULED, memory_order_release);
    return MX_OK;
}

static int submit_tape(mxi_node **nodes, size_t len) {
    size_t i = 0;
    while (i < len) {
        size_t j = i + 1;
        while (j < len && nodes[j]->stream.index == nodes[i]->stream.index) j++;
        node_batch *b = malloc(sizeof *b + (j - i) * sizeof(mxi_node *));
        if (!b) {
            /* Run what cannot be queued here and now: correct, only slower. */
            for (size_t k = i; k < j; k++) {
                mx_synchronize(&nodes[k]->stream);
                run_node(nodes[k]);
            }
            i = j;
            continue;
        }
        b->task.run = run_batch;
        b->n = j - i;
        memcpy(b->nodes, nodes + i, (j - i) * sizeof(mxi_node *));
        int rc = mxi_stream_submit(nodes[i]->stream.index, &b->task);
        if (rc) {
            free(b);
            return rc;
        }
        i = j;
    }
    return MX_OK;
}

static int check_args(mx_array *const *arrays, size_t n, const char *op) {
    if (n && !arrays) return mxi_error(MX_ERR_VALUE, "[%s] arrays is NULL", op);
    for (size_t i = 0; i < n; i++)
        if (!arrays[i]) return mxi_error(MX_ERR_VALUE, "[%s] array %zu is NULL", op, i);
    if (mxi_compile_tracing() || mxi_vmap_tracing())
        for (size_t i = 0; i < n; i++)
            if (arrays[i]->tracer)
                return mxi_error(MX_ERR_VALUE,
                                 "[%s] Attempting to eval an array during function "
                                 "transformations like compile or vmap is not allowed.",
                                 op);
    return MX_OK;
}

/* Scheduling is serialised: two threads evaluating overlapping graphs must
 * not both claim a node. Only ordering and queueing happen under the lock;
 * kernels run and callers wait outside it. */
static pthread_mutex_t schedule_lock = PTHREAD_MUTEX_INITIALIZER;

/* A small graph on one idle stream is run by the eval caller itself: for a
 * few microseconds of work, waking the worker and being woken by it costs
 * more than the work. The stream stays claimed meanwhile, so work queued
 * behind it by other threads waits for these outputs as usual (run_node
 * waits for its inputs), and synchronize waits for the claim. Not while
 * tracing, where kernels must run as they would on a worker. */
#define INLINE_MAX_NODES 8

static node_batch *claim_inline(mxi_node **nodes, size_t len) {
    if (!len || len > INLINE_MAX_NODES || mxi_tracing_active() || mxi_compile_tracing() ||
        mxi_vmap_tracing())
        return NULL;
    for (size_t i = 1; i < len; i++)
        if (nodes[i]->stream.index != nodes[0]->stream.index) return NULL;
    node_batch *b = malloc(sizeof *b + len * sizeof(mxi_node *));
    if (!b) return NULL;
    if (!mxi_stream_claim_idle(nodes[0]->stream.index)) {
        free(b);
        return NULL;
    }
    b->task.run = run_batch;
    b->n = len;
    memcpy(b->nodes, nodes, len * sizeof(mxi_node *));
    return b;
}

/* Orders and queues the graph; with run_here, a small graph that can run
 * on the calling thread comes back in *run_here instead (see above). */
static int schedule(mx_array *const *arrays, size_t n, node_batch **run_here) {
    int rc = MX_OK;
    vec tape = {0};
    rc = build_tape(arrays, n, &tape);
    mxi_node **nodes = tape.data;
    size_t prepared = 0;
    for (; rc == MX_OK && prepared < tape.len; prepared++) rc = prepare_node(nodes[prepared]);
    if (rc != MX_OK) {
        /* Nothing was queued yet: undo the scheduling of prepared nodes. */
        for (size_t i = 0; i < prepared; i++)
            for (int k = 0; k < nodes[i]->n_outputs; k++) {
                atomic_store(&nodes[i]->outputs[k]->status, MX_ARRAY_UNSCHEDULED);
                mx_array_free(nodes[i]->outputs[k]);
            }
        free(tape.data);
        return rc;
    }
    if (run_here && (*run_here = claim_inline(nodes, tape.len))) {
        free(tape.data);
        return MX_OK;
    }
    rc = submit_tape(nodes, tape.len);
    free(tape.data);
    return rc;
}

int mx_async_eval(mx_array *const *arrays, size_t n) {
    int rc = check_args(arrays, n, "async_eval");
    if (rc) return rc;
    pthread_mutex_lock(&schedule_lock);
    rc = schedule(arrays, n, NULL);
    pthread_mutex_unlock(&schedule_lock);
    return rc;
}

static int array_result(const mx_array *a) {
    int st = atomic_load_explicit(&a->status, memory_order_acquire);
    if (st == MX_ARRAY_FAILED)
        return mxi_error(a->error_code ? a->error_code : MX_ERR_RUNTIME, "%s",
                         a->error ? a->error : "evaluation failed");
    return MX_OK;
}

/* The unevaluated siblings of the roots (other outputs of multi-output
 * nodes), retained, so eval can return only once they are published too: a
 * caller that asked for one output may read the others at once. */
static int collect_siblings(mx_array *const *roots, size_t n, vec *sibs) {
    int rc = MX_OK;
    for (size_t r = 0; r < n && rc == MX_OK; r++) {
        mxi_node *node = needs_run(roots[r]) ? roots[r]->node : NULL;
        if (!node || node->n_outputs == 1) continue;
        mxi_sibling_lock();
        for (int i = 0; i < node->n_outputs && rc == MX_OK; i++) {
            mx_array *o = node->outputs[i];
            if (!o || o == roots[r]) continue;
            mx_array_retain(o);
            rc = vec_push(sibs, &o, sizeof o);
            if (rc) mx_array_free(o);
        }
        mxi_sibling_unlock();
    }
    return rc;
}

int mx_eval(mx_array *const *arrays, size_t n) {
    int rc = check_args(arrays, n, "eval");
    vec sibs = {0};
    node_batch *here = NULL;
    if (!rc) {
        pthread_mutex_lock(&schedule_lock);
        rc = collect_siblings(arrays, n, &sibs);
        if (!rc) rc = schedule(arrays, n, &here);
        pthread_mutex_unlock(&schedule_lock);
    }
    if (here) {
        int stream = here->nodes[0]->stream.index;
        run_batch(&here->task); /* frees here */
        mxi_stream_release_claim(stream);
    }
    for (size_t i = 0; rc == MX_OK && i < n; i++) {
        mxi_array_wait_finished(arrays[i]);
        rc = array_result(arrays[i]);
    }
    mx_array **s = sibs.data;
    for (size_t i = 0; i < sibs.len; i++) {
        if (rc == MX_OK) mxi_array_wait_finished(s[i]);
        mx_array_free(s[i]);
    }
    free(sibs.data);
    return rc;
}

int mx_array_wait(mx_array *a) {
    if (!a) return mxi_error(MX_ERR_VALUE, "[wait] array is NULL");
    if (atomic_load_explicit(&a->status, memory_order_acquire) == MX_ARRAY_UNSCHEDULED)
        return mxi_error(MX_ERR_RUNTIME, "[wait] the array was never scheduled; call eval");
    mxi_array_wait_finished(a);
    return array_result(a);
}
