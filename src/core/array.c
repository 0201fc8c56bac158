/*
 * Array descriptors and graph nodes: creation, reference counting and
 * freeing (iterative, so dropping a million-node graph cannot overflow the
 * stack), and the data helpers kernels use to give outputs memory.
 */
#include "array_impl.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "stream.h"

/* ---- descriptors ---- */

int64_t mxi_shape_size(const int32_t *shape, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

void mxi_row_strides(int64_t *strides, const int32_t *shape, int ndim) {
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i] > 0 ? shape[i] : 1;
    }
}

mx_array *mxi_array_alloc(mx_dtype dtype, const int32_t *shape, int ndim) {
    mx_array *a = malloc(sizeof *a);
    if (!a) {
        mxi_error(MX_ERR_MEMORY, "[array] out of memory for an array descriptor");
        return NULL;
    }
    memset(a, 0, offsetof(mx_array, shape_inline));
    atomic_init(&a->refcount, 1);
    atomic_init(&a->status, MX_ARRAY_UNSCHEDULED);
    a->dtype = dtype;
    a->ndim = ndim;
    if (ndim <= MXI_INLINE_DIMS) {
        a->shape = a->shape_inline;
        a->strides = a->strides_inline;
    } else {
        /* shape then strides in one block, strides kept 8-byte aligned */
        size_t shape_bytes = (size_t)((ndim + 1) & ~1) * sizeof(int32_t);
        a->shape = malloc(shape_bytes + (size_t)ndim * sizeof(int64_t));
        if (!a->shape) {
            free(a);
            mxi_error(MX_ERR_MEMORY, "[array] out of memory for a %d-d shape", ndim);
            return NULL;
        }
        a->strides = (int64_t *)((char *)a->shape + shape_bytes);
    }
    if (ndim) memcpy(a->shape, shape, (size_t)ndim * sizeof(int32_t));
    a->size = mxi_shape_size(a->shape, ndim);
    return a;
}

mx_array *mx_array_retain(mx_array *a) {
    if (a) atomic_fetch_add_explicit(&a->refcount, 1, memory_order_relaxed);
    return a;
}

/*
 * Freeing is iterative: releasing an array may release its node, which
 * releases its inputs, and so on down a chain as long as the graph. Objects
 * whose count reaches zero go on a per-thread list that the outermost call
 * drains.
 */
typedef struct free_item {
    void *obj;
    bool is_node;
} free_item;

/* The list starts in a fixed per-thread array; a longer one moves to the
 * heap and goes back when drained, so no thread leaves memory behind. */
static _Thread_local free_item inline_items[64];
static _Thread_local free_item *pending;
static _Thread_local size_t pending_len, pending_cap;
static _Thread_local bool draining;

static void release_now(void *obj, bool is_node);

static void push_pending(void *obj, bool is_node) {
    if (!pending) {
        pending = inline_items;
        pending_cap = sizeof inline_items / sizeof *inline_items;
    }
    if (pending_len == pending_cap) {
        size_t cap = pending_cap * 2;
        free_item *grown = pending == inline_items ? malloc(cap * sizeof *grown)
                                                   : realloc(pending, cap * sizeof *grown);
        if (!grown) {
            /* No memory for a longer list: release this one by recursion. */
            release_now(obj, is_node);
            return;
        }
        if (pending == inline_items) memcpy(grown, inline_items, sizeof inline_items);
        pending = grown;
        pending_cap = cap;
    }
    pending[pending_len++] = (free_item){obj, is_node};
}

/* Links an output back from its node under a lock, because another thread may
 * be freeing a sibling while a scheduler reads the slots. */
static atomic_flag sibling_lock = ATOMIC_FLAG_INIT;

void mxi_sibling_lock(void) {
    while (atomic_flag_test_and_set_explicit(&sibling_lock, memory_order_acquire)) {
    }
}

void mxi_sibling_unlock(void) {
    atomic_flag_clear_explicit(&sibling_lock, memory_order_release);
}

static void destroy_array(mx_array *a) {
    if (a->node) {
        mxi_node *n = a->node;
        if (n->n_outputs > 1) {
            mxi_sibling_lock();
            if (n->outputs[a->out_index] == a) n->outputs[a->out_index] = NULL;
            mxi_sibling_unlock();
        }
        push_pending(n, true);
    }
    if (a->buffer) mxi_buffer_release(a->buffer);
    free(a->error);
    if (a->shape != a->shape_inline) free(a->shape);
    free(a);
}

static void destroy_node(mxi_node *n) {
    /* The few primitives whose parameters hold references (custom functions)
     * release them here. */
    if (mxi_params_release[n->kind]) mxi_params_release[n->kind](n->params);
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i]) push_pending(n->inputs[i], false);
    free(n);
}

static void release_now(void *obj, bool is_node) {
    if (is_node) {
        mxi_node *n = obj;
        if (atomic_fetch_sub_explicit(&n->refcount, 1, memory_order_acq_rel) == 1) destroy_node(n);
    } else {
        mx_array *a = obj;
        if (atomic_fetch_sub_explicit(&a->refcount, 1, memory_order_acq_rel) == 1) destroy_array(a);
    }
}

static void drain(void) {
    if (draining) return;
    draining = true;
    while (pending_len) {
        free_item it = pending[--pending_len];
        release_now(it.obj, it.is_node);
    }
    draining = false;
    if (pending != inline_items) {
        free(pending);
        pending = NULL;
        pending_cap = 0;
    }
}

void mx_array_free(mx_array *a) {
    if (!a) return;
    if (atomic_fetch_sub_explicit(&a->refcount, 1, memory_order_acq_rel) != 1) return;
    destroy_array(a);
    drain();
}

void mxi_node_release(mxi_node *n) {
    if (!n) return;
    push_pending(n, true);
    drain();
}

/* ---- nodes ---- */

atomic_int mxi_tracing;

int mxi_make_node(mx_array **outs, int n_outputs, const mx_dtype *dtypes,
                  const int32_t *const *shapes, const int *ndims, mxi_prim_kind kind,
                  const void *params, size_t params_size, mx_array *const *inputs, int n_inputs,
                  const mx_stream *s) {
    mx_stream stream;
    int rc = mxi_resolve_stream(&stream, s);
    if (rc) return rc;

    /* One block: node, input and output slots, params, then (multi-output
     * only) the output descriptions the scheduler needs for stand-ins. */
    size_t size = sizeof(mxi_node) + (size_t)(n_inputs + n_outputs) * sizeof(mx_array *);
    size_t params_at = (size + 15) & ~(size_t)15;
    size = params_at + params_size;
    size_t desc_at = (size + 15) & ~(size_t)15;
    if (n_outputs > 1) {
        /* + 8: the shapes start 8-byte aligned; each shape's slot is
         * rounded up to 8 bytes as it is laid out below */
        size =
            desc_at + (size_t)n_outputs * (sizeof(mx_dtype) + sizeof(int32_t *) + sizeof(int)) + 8;
        for (int i = 0; i < n_outputs; i++)
            size += ((size_t)ndims[i] * sizeof(int32_t) + 8 + 7) & ~(size_t)7;
    }
    mxi_node *n = malloc(size);
    mx_array *fresh[8];
    mx_array **made = n_outputs <= 8 ? fresh : calloc((size_t)n_outputs, sizeof *made);
    if (!n || !made) {
        free(n);
        if (made != fresh) free(made);
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory building the graph",
                         mxi_primitives[kind].name);
    }
    atomic_init(&n->refcount, 0);
    n->kind = kind;
    n->mark = 0;
    n->stream = stream;
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    n->inputs = (mx_array **)(n + 1);
    n->outputs = n->inputs + n_inputs;
    n->params = params_size ? (char *)n + params_at : NULL;
    n->params_size = (uint32_t)params_size;
    if (params_size) memcpy(n->params, params, params_size);
    n->out_dtypes = NULL;
    n->out_shapes = NULL;
    n->out_ndims = NULL;
    if (n_outputs > 1) {
        char *p = (char *)n + desc_at;
        n->out_shapes = (int32_t **)p;
        p += (size_t)n_outputs * sizeof(int32_t *);
        n->out_dtypes = (mx_dtype *)p;
        p += (size_t)n_outputs * sizeof(mx_dtype);
        n->out_ndims = (int *)p;
        p += (size_t)n_outputs * sizeof(int);
        p = (char *)(((uintptr_t)p + 7) & ~(uintptr_t)7);
        for (int i = 0; i < n_outputs; i++) {
            n->out_dtypes[i] = dtypes[i];
            n->out_ndims[i] = ndims[i];
            n->out_shapes[i] = (int32_t *)p;
            if (ndims[i]) memcpy(p, shapes[i], (size_t)ndims[i] * sizeof(int32_t));
            p += (size_t)ndims[i] * sizeof(int32_t) + 8;
            p = (char *)(((uintptr_t)p + 7) & ~(uintptr_t)7);
        }
    }

    for (int i = 0; i < n_outputs; i++) {
        made[i] = mxi_array_alloc(dtypes[i], shapes[i], ndims[i]);
        if (!made[i]) {
            for (int j = 0; j < i; j++) {
                made[j]->node = NULL;
                mx_array_free(made[j]);
            }
            free(n);
            if (made != fresh) free(made);
            return MX_ERR_MEMORY;
        }
        made[i]->node = n;
        made[i]->out_index = i;
        n->outputs[i] = made[i];
    }
    atomic_store_explicit(&n->refcount, n_outputs, memory_order_relaxed);
    bool tracer = false;
    for (int i = 0; i < n_inputs; i++) {
        n->inputs[i] = mx_array_retain(inputs[i]);
        tracer |= inputs[i]->tracer;
    }
    if (tracer && mxi_tracing_active())
        for (int i = 0; i < n_outputs; i++) made[i]->tracer = true;
    for (int i = 0; i < n_outputs; i++) mxi_set_out(&outs[i], made[i]);
    if (made != fresh) free(made);
    return MX_OK;
}

int mxi_make(mx_array **out, mx_dtype dtype, const int32_t *shape, int ndim, mxi_prim_kind kind,
             const void *params, size_t params_size, mx_array *const *inputs, int n_inputs,
             const mx_stream *s) {
    return mxi_make_node(out, 1, &dtype, &shape, &ndim, kind, params, params_size, inputs, n_inputs,
                         s);
}

/* ---- data ---- */

void mxi_update_flags(mx_array *a) {
    uint32_t f = 0;
    bool row = true, col = true;
    int64_t expect = 1;
    for (int i = a->ndim - 1; i >= 0; i--) {
        if (a->shape[i] == 1) continue;
        if (a->strides[i] != expect) row = false;
        expect *= a->shape[i];
    }
    expect = 1;
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] == 1) continue;
        if (a->strides[i] != expect) col = false;
        expect *= a->shape[i];
    }
    if (a->size == 0) row = col = true;
    if (row) f |= MXI_ROW_CONTIGUOUS;
    if (col) f |= MXI_COL_CONTIGUOUS;
    /* Dense in some order: no stride is zero or negative and the span equals
     * the element count. */
    bool dense = row || col;
    if (!dense && a->data_size == a->size) {
        dense = true;
        for (int i = 0; i < a->ndim; i++)
            if (a->shape[i] > 1 && a->strides[i] <= 0) dense = false;
    }
    if (dense) f |= MXI_CONTIGUOUS;
    a->flags = f;
}

void mxi_set_data(mx_array *out, mxi_buffer *buf, int64_t offset_bytes, const int64_t *strides,
                  int64_t data_size) {
    mxi_buffer_retain(buf);
    if (out->buffer) mxi_buffer_release(out->buffer);
    out->buffer = buf;
    out->offset = offset_bytes;
    if (strides && out->ndim) memcpy(out->strides, strides, (size_t)out->ndim * sizeof(int64_t));
    out->data_size = data_size;
    mxi_update_flags(out);
}

int mxi_alloc_data(mx_array *out) {
    size_t nbytes = (size_t)out->size * (size_t)mx_dtype_size(out->dtype);
    mxi_buffer *b = mxi_buffer_new(nbytes);
    if (!b) return MX_ERR_MEMORY;
    if (out->buffer) mxi_buffer_release(out->buffer);
    out->buffer = b;
    out->offset = 0;
    mxi_row_strides(out->strides, out->shape, out->ndim);
    out->data_size = out->size;
    out->flags = MXI_ROW_CONTIGUOUS | MXI_CONTIGUOUS |
                 (out->ndim <= 1 || out->size <= 1 ? MXI_COL_CONTIGUOUS : 0);
    mxi_update_flags(out);
    return MX_OK;
}

static bool can_donate(const mx_array *in, const mx_array *out) {
    return in->buffer && !in->buffer->borrowed &&
           atomic_load_explicit(&in->refcount, memory_order_acquire) == 1 &&
           atomic_load_explicit(&in->buffer->refcount, memory_order_acquire) == 1 &&
           (in->flags & MXI_ROW_CONTIGUOUS) && in->size == out->size && in->offset == 0 &&
           mx_dtype_size(in->dtype) == mx_dtype_size(out->dtype) &&
           (size_t)in->size * (size_t)mx_dtype_size(in->dtype) == in->buffer->nbytes;
}

int mxi_alloc_or_donate(mx_array *out, mx_array *const *candidates, int n) {
    for (int i = 0; i < n; i++) {
        mx_array *in = candidates[i];
        if (in == out || !can_donate(in, out)) continue;
        if (out->buffer) mxi_buffer_release(out->buffer);
        out->buffer = in->buffer;
        mxi_buffer_retain(out->buffer);
        out->offset = 0;
        mxi_row_strides(out->strides, out->shape, out->ndim);
        out->data_size = out->size;
        mxi_update_flags(out);
        return MX_OK;
    }
    return mxi_alloc_data(out);
}

void mxi_set_view(mx_array *out, const mx_array *in, const int64_t *strides, int64_t offset_bytes,
                  int64_t data_size) {
    mxi_set_data(out, in->buffer, in->offset + offset_bytes, strides, data_size);
}
