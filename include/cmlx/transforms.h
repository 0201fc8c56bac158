/*
 * Function transformations: reverse mode (vjp, grad, value_and_grad) and
 * forward mode (jvp) automatic differentiation, custom derivatives and
 * checkpointing, over functions given as closures.
 *
 * A transform runs the function once on tracer arrays standing for its
 * inputs; nothing is computed then (arrays are lazy), the function's outputs
 * just have the graph behind them. The transform walks that graph and calls
 * each primitive's derivative rule, which builds more graph out of ordinary
 * ops, so transforms compose: the gradient of a gradient is a gradient.
 *
 * Ownership: an mx_vec owns one reference to each array it holds. Every
 * transform clears the vectors it writes (releasing what they held) before
 * filling them with new references; free them with mx_vec_clear. Inputs are
 * borrowed. An mx_closure is reference counted; the payload's destructor runs
 * when the last reference goes.
 */
#ifndef CMLX_TRANSFORMS_H
#define CMLX_TRANSFORMS_H

#include "array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- vectors of arrays ---- */

/* A growable vector of array references, zero-initialised when empty
 * (`mx_vec v = {0};`). data[0..size) are owned by the vector. */
typedef struct mx_vec {
    mx_array **data;
    int size;
    int cap;
} mx_vec;

/* Appends a, taking over the caller's reference to it (so
 * `mx_vec_push(&v, fresh)` after `mx_exp(&fresh, x, NULL)` needs no free).
 * On failure (MX_ERR_MEMORY, or MX_ERR_VALUE for a NULL a) a is released. */
MX_API int mx_vec_push(mx_vec *v, mx_array *a);
/* Appends a new reference to a (a stays the caller's). */
MX_API int mx_vec_append(mx_vec *v, mx_array *a);
/* Releases every array and the storage; v is empty afterwards. */
MX_API void mx_vec_clear(mx_vec *v);

/* ---- closures ---- */

/* A function from arrays to arrays. It reads inputs (borrowed), appends its
 * results to `outputs` (empty on entry) and returns MX_OK or an error status
 * (with a message set through the op that failed). */
typedef int (*mx_closure_fn)(mx_vec *outputs, const mx_vec *inputs, void *payload);

typedef struct mx_closure mx_closure;

/* A new closure calling fn with payload; destroy(payload) (may be NULL) runs
 * when the last reference goes. Returns the closure (a new reference, free
 * with mx_closure_free) through out. On failure destroy is not called. */
MX_API int mx_closure_new(mx_closure **out, mx_closure_fn fn, void *payload,
                          void (*destroy)(void *payload));
/* Adds a reference and returns c. */
MX_API mx_closure *mx_closure_retain(mx_closure *c);
/* Releases a reference (NULL is ignored). */
MX_API void mx_closure_free(mx_closure *c);
/* Calls the closure: clears outputs, then fills it. */
MX_API int mx_closure_apply(const mx_closure *c, mx_vec *outputs, const mx_vec *inputs);

/* ---- reverse and forward mode ---- */

/* Reverse mode: outputs = f(primals) and vjps[i] = the cotangent of
 * primals[i] given one cotangent per output (each of its output's shape).
 * MX_ERR_VALUE when the counts or shapes disagree, or when the graph reaches
 * a primitive with no derivative (integer and bitwise ops, random bits, ...). */
MX_API int mx_vjp(mx_vec *outputs, mx_vec *vjps, const mx_closure *f, const mx_vec *primals,
                  const mx_vec *cotangents);

/* Forward mode: outputs = f(primals) and jvps[j] = the derivative of output j
 * along the tangents (one per primal, each of its primal's shape). */
MX_API int mx_jvp(mx_vec *outputs, mx_vec *jvps, const mx_closure *f, const mx_vec *primals,
                  const mx_vec *tangents);

/* values = f(inputs) and grads[k] = the gradient of values[0] with respect to
 * inputs[argnums[k]]. values[0] must be a 0-d array; the other outputs are
 * auxiliary values, returned but not differentiated. argnums (n_argnums >= 1,
 * distinct, negative counts from the end) must name inputs: MX_ERR_VALUE
 * otherwise. */
MX_API int mx_value_and_grad(mx_vec *values, mx_vec *grads, const mx_closure *f,
                             const mx_vec *inputs, const int *argnums, int n_argnums);
/* mx_value_and_grad keeping only the gradients. */
MX_API int mx_grad(mx_vec *grads, const mx_closure *f, const mx_vec *inputs, const int *argnums,
                   int n_argnums);

/* The gradient as a closure of its own (so it can be transformed again):
 * applying *out to inputs gives mx_grad's gradients, and for
 * mx_value_and_grad_fn the values followed by the gradients. *out is a new
 * reference; it keeps a reference to f. */
MX_API int mx_grad_fn(mx_closure **out, const mx_closure *f, const int *argnums, int n_argnums);
MX_API int mx_value_and_grad_fn(mx_closure **out, const mx_closure *f, const int *argnums,
                                int n_argnums);

/* ---- vectorising ---- */

/* In in_axes / out_axes: the argument is not mapped. */
#define MX_VMAP_NONE (-2147483647 - 1)

/*
 * The function mapped over an axis of its inputs: applying *out to inputs
 * whose in_axes[i]-th axis (negative counts from the end; MX_VMAP_NONE for an
 * input passed whole to every call) has the same size B gives outputs with
 * that axis at out_axes[j] (n_out_axes == 1: the same for every output),
 * equal to stacking f's outputs over the B slices. Outputs that do not depend
 * on a mapped input are broadcast along the new axis. When applied,
 * MX_ERR_VALUE for a wrong count of inputs, an axis out of range, sizes that
 * disagree, no mapped input, or a primitive that has no vmap rule. *out is a
 * new reference holding a reference to f; in_axes and out_axes are copied.
 */
MX_API int mx_vmap(mx_closure **out, const mx_closure *f, const int *in_axes, int n_in_axes,
                   const int *out_axes, int n_out_axes);

/* As mx_vmap, and the applied closure's outputs are followed by one 0-d
 * bool per output: whether it depends on a mapped input (false: it was
 * broadcast along the new axis). Bindings use it for MLX's out_axes=None. */
MX_API int mx_vmap_report(mx_closure **out, const mx_closure *f, const int *in_axes, int n_in_axes,
                          const int *out_axes, int n_out_axes);

/* ---- custom derivatives and checkpointing ---- */

/*
 * A function computing as fun does, whose derivatives come from the given
 * closures (either may be NULL: then that mode differentiates fun itself).
 *   vjp receives [primals..., cotangents (one per output)..., outputs...] and
 *       returns one cotangent per primal;
 *   jvp receives [primals..., tangents (one per primal; zeros for primals
 *       that are not differentiated)...] and returns one tangent per output.
 * *out is a new reference holding references to the closures.
 */
MX_API int mx_custom_function(mx_closure **out, const mx_closure *fun, const mx_closure *vjp,
                              const mx_closure *jvp);

/*
 * mx_custom_function with a vectorising rule as well (NULL: vmap maps fun
 * itself). Under vmap, vmap receives [inputs (batched)..., then one 0-d
 * int32 array per input holding its mapped axis, -1 when not mapped] and
 * returns [one output per output of fun..., then one 0-d integer array per
 * output with the axis its batch is on, -1 when it has none]. *out is a new
 * reference holding references to the closures.
 */
MX_API int mx_custom_function_vmap(mx_closure **out, const mx_closure *fun, const mx_closure *vjp,
                                   const mx_closure *jvp, const mx_closure *vmap);

/* A function computing as fun does that keeps none of fun's intermediate
 * results for the backward pass: reverse mode runs fun again (after the
 * forward pass) and differentiates that. Trades compute for memory. */
MX_API int mx_checkpoint(mx_closure **out, const mx_closure *fun);

/* ---- compile ---- */

/* What compile does (mx_set_compile_mode): everything, everything but the
 * fusion of elementwise chains, only tracing and replay (no simplification,
 * no fusion), or nothing (a compiled function runs its closure as is). */
typedef enum mx_compile_mode {
    MX_COMPILE_MODE_ENABLED = 0,
    MX_COMPILE_MODE_NO_FUSE = 1,
    MX_COMPILE_MODE_NO_SIMPLIFY = 2,
    MX_COMPILE_MODE_DISABLED = 3,
} mx_compile_mode;

typedef struct mx_compile_options {
    /* Reuse one trace for inputs of any shape (same dtypes and ranks); every
     * primitive the function uses must infer its output shapes. */
    bool shapeless;
    /* Captured state (MLX's compile(inputs=, outputs=)), may be NULL, both
     * borrowed for the compiled closure's life and may be the same vector.
     * The function reads `inputs`' current entries (through its payload) and
     * writes `outputs`' entries (replacing them, keeping the count). The
     * compiled closure passes inputs' entries as extra arguments and writes
     * the new values into `outputs` after each call. */
    mx_vec *inputs;
    mx_vec *outputs;
} mx_compile_options;

/*
 * f compiled: applying *out traces f once per cache key (count, dtypes and
 * shapes of the inputs and captured inputs; ranks only when shapeless) on
 * tracer arrays, simplifies the traced graph (merges equal scalar constants,
 * drops no-op casts, reshapes and broadcasts, removes common
 * subexpressions), fuses chains of elementwise primitives into one kernel,
 * and keeps that tape; every call, the first included, rebuilds the graph
 * from the tape on its inputs without running f. Arrays f uses without
 * taking them as inputs are captured as constants at trace time. Evaluating
 * an array computed from the inputs inside f is an error (MX_ERR_VALUE), as
 * are shapeless traces through primitives that cannot infer their shapes.
 * options may be NULL (all defaults). *out is a new reference holding a
 * reference to f.
 */
MX_API int mx_compile(mx_closure **out, const mx_closure *f, const mx_compile_options *options);

/* Turns compilation off or back on for the whole process (compiled closures
 * then call their function directly); mx_set_compile_mode sets the mode,
 * MX_ERR_VALUE for an unknown one. The environment variable
 * MLX_DISABLE_COMPILE, when set, starts the process with compile disabled. */
MX_API void mx_disable_compile(void);
MX_API void mx_enable_compile(void);
MX_API int mx_set_compile_mode(mx_compile_mode mode);
MX_API mx_compile_mode mx_get_compile_mode(void);

#ifdef __cplusplus
}
#endif
#endif
