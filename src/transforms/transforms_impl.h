/* What the transforms share inside: a trace of a function on tracer arrays
 * and the walks over its graph. */
#ifndef MXI_TRANSFORMS_IMPL_H
#define MXI_TRANSFORMS_IMPL_H

#include "cmlx/transforms.h"
#include "core/array_impl.h"
#include "ptrmap.h"

static inline bool mxi_same_shape_impl(const mx_array *a, const mx_array *b) {
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

typedef struct mxi_trace {
    mx_vec tracers;     /* one per primal: a Broadcast node of it, marked tracer */
    mxi_ptrmap primals; /* tracer -> its index + 1 */
    bool started;
} mxi_trace;

/* Makes a tracer for each primal and counts one more tracing transform.
 * mxi_trace_end must follow, whatever happens in between. */
int mxi_trace_start(mxi_trace *t, const mx_vec *primals, const char *op);
void mxi_trace_end(mxi_trace *t);

/* The active part of the graph behind roots in topological order: nodes
 * with an input that is a tracer or an active node's output, and nodes
 * source says yes to (when set: compile's nodes that run on every call).
 * StopGradient nodes are neither entered nor active unless
 * through_stop_gradient. */
typedef struct mxi_tape {
    mxi_node **nodes;
    size_t len, cap;
    mxi_ptrmap state; /* node -> 1 (seen) or 2 (active) */
    bool (*source)(const mxi_node *n);
} mxi_tape;

int mxi_trace_order(const mxi_trace *t, mx_array *const *roots, int n, mxi_tape *tp,
                    bool through_stop_gradient);
void mxi_tape_free(mxi_tape *tp);

/* Reverse walk from roots[0..n) seeded with cots[0..n) (shapes checked by
 * the caller): vjps gets one cotangent per tracer (zeros where none flows),
 * cast to the primal's dtype. */
int mxi_trace_vjp(mxi_trace *t, mx_array *const *roots, mx_array *const *cots, int n, mx_vec *vjps,
                  const char *op);

/* Forward walk: tangents (one per tracer) pushed to roots; jvps gets one
 * tangent per root (zeros where none flows). */
int mxi_trace_jvp(mxi_trace *t, mx_array *const *roots, int n, const mx_vec *tangents, mx_vec *jvps,
                  const char *op);

#endif
