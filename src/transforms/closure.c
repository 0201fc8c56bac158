/* Vectors of arrays and reference-counted closures, the currency of the
 * transforms' public API. */
#include <stdatomic.h>
#include <stdlib.h>

#include "cmlx/transforms.h"
#include "core/error.h"
#include "transforms/compile_impl.h"

int mx_vec_push(mx_vec *v, mx_array *a) {
    if (!v) {
        mx_array_free(a);
        return mxi_error(MX_ERR_VALUE, "[vec_push] vector is NULL");
    }
    if (!a) return mxi_error(MX_ERR_VALUE, "[vec_push] array is NULL");
    if (v->size == v->cap) {
        int cap = v->cap ? v->cap * 2 : 4;
        mx_array **grown = realloc(v->data, (size_t)cap * sizeof *grown);
        if (!grown) {
            mx_array_free(a);
            return mxi_error(MX_ERR_MEMORY, "[vec_push] out of memory");
        }
        v->data = grown;
        v->cap = cap;
    }
    v->data[v->size++] = a;
    return MX_OK;
}

int mx_vec_append(mx_vec *v, mx_array *a) {
    if (!a) return mxi_error(MX_ERR_VALUE, "[vec_append] array is NULL");
    return mx_vec_push(v, mx_array_retain(a));
}

void mx_vec_clear(mx_vec *v) {
    if (!v) return;
    for (int i = 0; i < v->size; i++) mx_array_free(v->data[i]);
    free(v->data);
    v->data = NULL;
    v->size = v->cap = 0;
}

struct mx_closure {
    atomic_int refcount;
    mx_closure_fn fn;
    void *payload;
    void (*destroy)(void *);
};

int mx_closure_new(mx_closure **out, mx_closure_fn fn, void *payload, void (*destroy)(void *)) {
    if (!out || !fn) return mxi_error(MX_ERR_VALUE, "[closure_new] out and fn must not be NULL");
    mx_closure *c = malloc(sizeof *c);
    if (!c) return mxi_error(MX_ERR_MEMORY, "[closure_new] out of memory");
    atomic_init(&c->refcount, 1);
    c->fn = fn;
    c->payload = payload;
    c->destroy = destroy;
    mx_closure_free(*out);
    *out = c;
    return MX_OK;
}

mx_closure *mx_closure_retain(mx_closure *c) {
    if (c) atomic_fetch_add_explicit(&c->refcount, 1, memory_order_relaxed);
    return c;
}

void mx_closure_free(mx_closure *c) {
    if (!c || atomic_fetch_sub_explicit(&c->refcount, 1, memory_order_acq_rel) != 1) return;
    if (c->destroy) c->destroy(c->payload);
    free(c);
}

int mx_closure_apply(const mx_closure *c, mx_vec *outputs, const mx_vec *inputs) {
    if (!c || !outputs || !inputs)
        return mxi_error(MX_ERR_VALUE, "[closure_apply] closure, outputs and inputs are required");
    for (int i = 0; i < inputs->size; i++)
        if (!inputs->data[i]) return mxi_error(MX_ERR_VALUE, "[closure_apply] input %d is NULL", i);
    mx_vec_clear(outputs);
    int rc = c->fn(outputs, inputs, c->payload);
    if (rc) {
        mx_vec_clear(outputs);
        return rc;
    }
    for (int i = 0; i < outputs->size; i++)
        if (!outputs->data[i]) {
            mx_vec_clear(outputs);
            return mxi_error(MX_ERR_VALUE, "[closure_apply] the function returned a NULL output");
        }
    return MX_OK;
}

/* Lets a transform recognise its own closures (compile's queries). */
void *mxi_closure_payload(const mx_closure *c, mx_closure_fn fn) {
    return c && c->fn == fn ? c->payload : NULL;
}
