/*
 * The inside of an array and of the graph node that produces it.
 *
 * An array is a reference-counted descriptor: dtype and shape (known when the
 * op is built), and once evaluated a shared data buffer with strides, a byte
 * offset and contiguity flags, so views share memory. An unevaluated array
 * points at its producer node; a node holds strong references to its inputs
 * and weak ones to its outputs (several for multi-output primitives), so the
 * graph has no reference cycles. After a node runs, its outputs are detached
 * from it and the node and its inputs are released as soon as nothing else
 * needs them.
 */
#ifndef MXI_ARRAY_IMPL_H
#define MXI_ARRAY_IMPL_H

#include <stdatomic.h>

#include "cmlx/array.h"
#include "cmlx/device.h"
#include "primitives/primitives.h"

/* Shared memory behind one or more arrays. */
typedef struct mxi_buffer {
    atomic_int refcount;
    void *ptr;
    size_t nbytes;
    /* Borrowed memory belongs to the caller of mx_array_from_data_borrowed:
     * it is never written by an op and is handed back through the deleter. */
    bool borrowed;
    void (*deleter)(void *);
    void *deleter_ctx;
} mxi_buffer;

/* A buffer of nbytes from the caching allocator; NULL with MX_ERR_MEMORY set
 * when over the memory limit or the system refuses. */
mxi_buffer *mxi_buffer_new(size_t nbytes);
mxi_buffer *mxi_buffer_borrow(void *ptr, size_t nbytes, void (*deleter)(void *), void *ctx);
void mxi_buffer_retain(mxi_buffer *b);
void mxi_buffer_release(mxi_buffer *b);

enum {
    MXI_ROW_CONTIGUOUS = 1u << 0, /* C order, no gaps */
    MXI_COL_CONTIGUOUS = 1u << 1, /* Fortran order, no gaps */
    MXI_CONTIGUOUS = 1u << 2,     /* elements fill data_size with no gaps, any order */
};

#define MXI_INLINE_DIMS 4

struct mxi_node;

struct mx_array {
    atomic_int refcount;
    mx_dtype dtype;
    int ndim;
    int32_t *shape;   /* ndim entries; inline below for small ndim */
    int64_t *strides; /* ndim entries, in elements; meaningful once evaluated */
    int64_t size;     /* product of shape */

    /* Data, set when the producer runs (or at creation for host data). */
    mxi_buffer *buffer;
    int64_t offset;    /* bytes from buffer->ptr to element 0 */
    int64_t data_size; /* elements spanned in the buffer (size for dense arrays) */
    uint32_t flags;    /* MXI_*_CONTIGUOUS */

    /* Graph. */
    struct mxi_node *node; /* producer; NULL for host data and once evaluated */
    int out_index;         /* which output of node this is */
    _Atomic int status;    /* mx_array_status */
    bool tracer;           /* stands for a transform's input, or was computed from one: kept
                              attached to its graph after eval while a transform traces */
    int error_code;        /* when FAILED: the kernel's status ... */
    char *error;           /* ... and message (owned) */

    int32_t shape_inline[MXI_INLINE_DIMS];
    int64_t strides_inline[MXI_INLINE_DIMS];
};

/* One application of a primitive: its parameters, inputs and outputs. */
typedef struct mxi_node {
    atomic_int refcount;
    mxi_prim_kind kind;
    mx_stream stream;
    uint64_t mark; /* eval's visit mark (see eval.c) */
    int n_inputs;
    int n_outputs;
    mx_array **inputs;  /* strong references */
    mx_array **outputs; /* weak: an output freed before it ran leaves NULL */
    void *params;       /* flat blob of params_size bytes (no pointers) */
    uint32_t params_size;
    /* When some output was freed unevaluated, the kernel still writes it:
     * these let the scheduler make a stand-in (see eval.c). */
    mx_dtype *out_dtypes;
    int32_t **out_shapes;
    int *out_ndims;
} mxi_node;

/* ---- tracing (src/transforms) ---- */

/* How many transforms are tracing a function now, over all threads. While it
 * is non-zero, outputs of a node with a tracer input are tracers too, and eval
 * leaves tracers attached to their graph so the transform can still walk it
 * (a function may evaluate intermediate results). */
extern atomic_int mxi_tracing;

/* Whether this thread is tracing a function for compile: evaluating a
 * tracer is an error then (src/transforms/compile.c). */
bool mxi_compile_tracing(void);
/* Whether that trace is shapeless: ops whose results depend on the shape of
 * a tracer (mean's normalizer, zeros_like) then compute it from the tracer
 * with ops a shapeless replay re-derives, instead of a constant. */
bool mxi_shapeless_tracing(void);
/* Whether this thread is tracing a function for vmap (evaluating a tracer
 * is an error then too; src/transforms/vmap.c). */
bool mxi_vmap_tracing(void);

static inline bool mxi_tracing_active(void) {
    return atomic_load_explicit(&mxi_tracing, memory_order_relaxed) > 0;
}

/* ---- lifetime ---- */

/* A fresh array descriptor (refcount 1, no data, no node), or NULL with
 * MX_ERR_MEMORY. shape may be NULL when ndim is 0. */
mx_array *mxi_array_alloc(mx_dtype dtype, const int32_t *shape, int ndim);
void mxi_node_release(mxi_node *n);

/* Replaces *out with fresh (releasing what *out held afterwards). */
static inline void mxi_set_out(mx_array **out, mx_array *fresh) {
    mx_array *old = *out;
    *out = fresh;
    mx_array_free(old);
}

/*
 * Makes the outputs of one primitive application on stream s (NULL: the
 * default stream). params (params_size bytes, a flat struct) are copied.
 * Inputs are retained, not taken. Outputs i gets dtypes[i] and shapes[i] of
 * ndims[i] dims. Each outs[i] is replaced as by mxi_set_out.
 */
int mxi_make_node(mx_array **outs, int n_outputs, const mx_dtype *dtypes,
                  const int32_t *const *shapes, const int *ndims, mxi_prim_kind kind,
                  const void *params, size_t params_size, mx_array *const *inputs, int n_inputs,
                  const mx_stream *s);

/* The single-output case of mxi_make_node. */
int mxi_make(mx_array **out, mx_dtype dtype, const int32_t *shape, int ndim, mxi_prim_kind kind,
             const void *params, size_t params_size, mx_array *const *inputs, int n_inputs,
             const mx_stream *s);

/* ---- data, for kernels and readers ---- */

static inline void *mxi_data(const mx_array *a) {
    return (char *)a->buffer->ptr + a->offset;
}

static inline bool mxi_is_available(const mx_array *a) {
    return atomic_load_explicit(&a->status, memory_order_acquire) == MX_ARRAY_AVAILABLE;
}

/* Row-major strides for a shape into strides (elements). */
void mxi_row_strides(int64_t *strides, const int32_t *shape, int ndim);

/* Recomputes a->flags from shape, strides and data_size. */
void mxi_update_flags(mx_array *a);

/* Gives `out` a new row-contiguous buffer. MX_ERR_MEMORY on failure. */
int mxi_alloc_data(mx_array *out);

/* Gives `out` the buffer of one of the candidate inputs when nothing else can
 * see it (its only reference is the node being run and no view shares its
 * buffer), it is row-contiguous over its whole buffer, not borrowed, and its
 * itemsize and size match out's; otherwise allocates. Returns MX_OK or
 * MX_ERR_MEMORY. */
int mxi_alloc_or_donate(mx_array *out, mx_array *const *candidates, int n);

/* Makes `out` a view of `in`'s buffer with the given strides (elements), a
 * byte offset relative to in's first element and data_size; flags are
 * recomputed. */
void mxi_set_view(mx_array *out, const mx_array *in, const int64_t *strides, int64_t offset_bytes,
                  int64_t data_size);

/* Attaches an existing buffer (retained) to `out` with the given layout. */
void mxi_set_data(mx_array *out, mxi_buffer *buf, int64_t offset_bytes, const int64_t *strides,
                  int64_t data_size);

/* Product of shape, 1 for ndim 0. */
int64_t mxi_shape_size(const int32_t *shape, int ndim);

#endif
