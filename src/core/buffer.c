/*
 * Data buffers: reference-counted memory shared by arrays and their views,
 * either from the caching allocator or borrowed from the caller.
 */
#include <stdlib.h>

#include "allocator.h"
#include "array_impl.h"
#include "error.h"

mxi_buffer *mxi_buffer_new(size_t nbytes) {
    mxi_buffer *b = malloc(sizeof *b);
    if (!b) {
        mxi_error(MX_ERR_MEMORY, "[malloc] cannot allocate a buffer descriptor");
        return NULL;
    }
    b->ptr = mxi_alloc(nbytes);
    if (!b->ptr) {
        free(b);
        return NULL;
    }
    atomic_init(&b->refcount, 1);
    b->nbytes = nbytes;
    b->borrowed = false;
    b->deleter = NULL;
    b->deleter_ctx = NULL;
    return b;
}

/* On failure the caller keeps ownership of ptr: the deleter is not called. */
mxi_buffer *mxi_buffer_borrow(void *ptr, size_t nbytes, void (*deleter)(void *), void *ctx) {
    mxi_buffer *b = malloc(sizeof *b);
    if (!b) {
        mxi_error(MX_ERR_MEMORY, "[malloc] cannot allocate a buffer descriptor");
        return NULL;
    }
    atomic_init(&b->refcount, 1);
    b->ptr = ptr;
    b->nbytes = nbytes;
    b->borrowed = true;
    b->deleter = deleter;
    b->deleter_ctx = ctx;
    return b;
}

void mxi_buffer_retain(mxi_buffer *b) {
    if (b) atomic_fetch_add_explicit(&b->refcount, 1, memory_order_relaxed);
}

void mxi_buffer_release(mxi_buffer *b) {
    if (!b) return;
    /* acq_rel: the last owner must see every other owner's writes before it
     * frees or hands the memory back. */
    if (atomic_fetch_sub_explicit(&b->refcount, 1, memory_order_acq_rel) != 1) return;
    if (b->borrowed) {
        if (b->deleter) b->deleter(b->deleter_ctx);
    } else {
        mxi_free(b->ptr, b->nbytes);
    }
    free(b);
}
