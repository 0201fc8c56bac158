/* Building blocks shared by the derivative rules (rules_<family>.c). Rules
 * build graph with ordinary ops on the node's stream, so derivatives are
 * differentiable again. */
#ifndef MXI_RULES_UTIL_H
#define MXI_RULES_UTIL_H

#include "cmlx/ops.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "rules.h"

/* Rules chain ops; the first failure jumps to the cleanup label `done`. */
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (rc) goto done;                                                                         \
    } while (0)

#define S (&node->stream)

/* Output i's shape, ndim and dtype (valid even when that output was freed). */
const int32_t *mxi_rule_out_shape(const mxi_node *n, int i, int *ndim, mx_dtype *dtype);

/* g summed down to the shape of `like` (NumPy broadcasting undone); a new
 * reference to g when the shapes already agree. */
int mxi_rule_unbroadcast(mx_array **out, mx_array *g, const mx_array *like, const mx_stream *s);

/* The node's primitive (same kind and parameters) applied to other inputs;
 * single output of the node's output shape and the given dtype. */
int mxi_rule_reapply(mx_array **out, const mxi_node *n, mx_array *const *inputs, mx_dtype dtype);

/* A 0-d constant of dtype dt. */
int mxi_rule_const(mx_array **out, double v, mx_dtype dt);

/* g * c for a constant c (scalar broadcast, g's dtype). */
int mxi_rule_scale(mx_array **out, mx_array *g, double c, const mx_stream *s);

/* The vjp of a primitive that selects elements of its input `which` (views,
 * gathers, permutations): the primitive is applied to the positions
 * 0..size-1 of that input (the other inputs as given), and g is added back
 * at the positions it picked. */
int mxi_rule_vjp_by_positions(mx_array **out, const mxi_node *n, mx_array *const *inputs, int which,
                              mx_array *g);

static inline bool mxi_same_shape_impl_raw(const int32_t *a, int an, const int32_t *b, int bn) {
    if (an != bn) return false;
    for (int i = 0; i < an; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* ---- vmap ---- */

/* The batch size: the mapped axis's length of the first mapped input. */
int32_t mxi_vmap_size(mx_array *const *inputs, const int *axes, int n);

/* x with its batch at axis 0: moved there, or for an unmapped x (axis -1)
 * added and broadcast to size b. */
int mxi_vmap_front(mx_array **out, mx_array *x, int axis, int32_t b, const mx_stream *s);

/* The node's primitive with parameters params (size as the node's) on
 * inputs, its outputs of the node's output shapes with a leading axis of
 * size b (and the node's dtypes). */
int mxi_vmap_remake(mx_array **outs, const mxi_node *n, const void *params, mx_array *const *inputs,
                    int32_t b);

/* The rule of last resort, for primitives without a batched rule (the
 * samplers with mapped keys or parameters, MaskedScatter, GatherQMM,
 * CovSqrt): one node per batch entry on that entry's slices, the results
 * stacked at axis 0. Exact, as a Python loop would be, at the cost of b
 * nodes. */
int mxi_vmap_by_loop(const mxi_node *n, mx_array *const *inputs, const int *axes, mx_array **outs,
                     int *out_axes);

/* Elementwise-like primitives: every input to the front (unmapped ones
 * broadcast), the primitive applied, every output mapped at axis 0. */
int mxi_vmap_elementwise(const mxi_node *n, mx_array *const *inputs, const int *axes,
                         mx_array **outs, int *out_axes);

/* Primitives whose parameters name axes: the first n_batched inputs go to
 * the front (unmapped ones broadcast), the others must be unmapped and are
 * passed as they are (start indices, pad values); the primitive is made
 * with params (params_size bytes, axes already shifted by one) and its
 * outputs are mapped at axis 0. */
int mxi_vmap_with_params(const mxi_node *n, mx_array *const *inputs, const int *axes, int n_batched,
                         const void *params, size_t params_size, mx_array **outs, int *out_axes);

/* Where k is in argnums, or -1. */
static inline int mxi_rule_arg_index(const int *argnums, int n, int k) {
    for (int i = 0; i < n; i++)
        if (argnums[i] == k) return i;
    return -1;
}

/* g broadcast to the shape of like. Under a shapeless compile trace with
 * like a tracer, an elementwise op on like does it instead, so a replay
 * spreads g to like's new shape. */
int mxi_rule_spread(mx_array **out, mx_array *g, const mx_array *like, const mx_stream *s);

#endif
