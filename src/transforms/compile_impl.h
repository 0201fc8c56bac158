/* The compiled tape: what mx_compile keeps of a traced function, the passes
 * over it (compile_simplify.c) and the queries tests use. */
#ifndef MXI_COMPILE_IMPL_H
#define MXI_COMPILE_IMPL_H

#include "transforms_impl.h"

/* A value of the tape: an input (the compiled function's argument, captured
 * inputs after the arguments), a constant captured at trace time, or an
 * output of an op. */
typedef enum { MXI_SLOT_INPUT, MXI_SLOT_CONST, MXI_SLOT_OP } mxi_slot_kind;

typedef struct mxi_cslot {
    mxi_slot_kind kind;
    int index;          /* INPUT: which argument; OP: which op */
    mx_array *constant; /* CONST: held */
    mx_dtype dtype;
    int ndim;
    int32_t *shape; /* owned */
} mxi_cslot;

/* One primitive application: its outputs are slots out0 .. out0+n_out-1. */
typedef struct mxi_cop {
    mxi_prim_kind kind;
    mx_stream stream;
    void *params; /* owned copy */
    uint32_t params_size;
    int n_in, n_out;
    int *in; /* slots */
    int out0;
    bool dead;
    /* The traced node, held when its parameters hold references (custom
     * functions), so the copy in params stays valid. */
    mxi_node *keep;
} mxi_cop;

typedef struct mxi_ctape {
    mxi_cslot *slots;
    int n_slots, cap_slots;
    mxi_cop *ops;
    int n_ops, cap_ops;
    int n_inputs;    /* arguments plus captured inputs */
    int *outputs;    /* slots of the function's outputs, then captured outputs */
    int n_outputs;   /* of the function */
    int n_state_out; /* captured outputs */
} mxi_ctape;

void mxi_ctape_free(mxi_ctape *t);
/* A deep copy of src into dst (constants and programs shared by reference). */
int mxi_ctape_copy(mxi_ctape *dst, const mxi_ctape *src);

/* Merges equal scalar constants, drops no-op casts (and reshapes and
 * broadcasts unless shapeless), merges equivalent ops on the same inputs
 * and removes ops nothing uses. */
int mxi_compile_simplify(mxi_ctape *t, bool shapeless);

/* Replaces chains of elementwise ops by Compiled ops (compile_fuse.c). */
int mxi_compile_fuse(mxi_ctape *t, bool shapeless);

/* The evaluated one-element array a captured constant holds: itself, or
 * the scalar an unevaluated Broadcast node spreads (ops broadcast scalar
 * operands with a node of their own); NULL otherwise. */
const mx_array *mxi_compile_scalar_of(const mx_array *a);

/* *out: a new reference to the source a captured constant c spreads (the
 * input of an unevaluated Broadcast node of its own, or an unevaluated
 * elementwise op over such sources and scalars, rebuilt on them), or NULL
 * when c is none; a shapeless replay spreads it to the shapes of its call. */
int mxi_compile_spread_source(mx_array **out, const mx_array *c);

/* Live ops in the tape. */
int mxi_ctape_size(const mxi_ctape *t);

/* For tests: how many times c (a closure made by mx_compile) traced its
 * function and how many ops the tape of its latest trace has (after fusion
 * when the mode fuses). MX_ERR_VALUE when c is not a compiled closure. */
int mxi_compile_stats(const mx_closure *c, int *n_traces, int *n_ops);

/* Whether nd must run on every call of a compiled function: the tracer
 * records it, and the ops between it and the outputs, even when no input
 * reaches it (a value from constants alone is otherwise captured once).
 * These are the transfers between processes (Send, Recv and the
 * collectives), as MLX replays them; a Load is not (MLX too keeps the
 * value of its first evaluation). */
bool mxi_compile_runs_each_call(const mxi_node *nd);

/* Whether function export may write nd, an unevaluated node the traced
 * function does not compute from its inputs, as an op of the tape (the
 * reader would take it back); see mxi_compile_trace. */
typedef bool (*mxi_lazy_accept)(const mxi_node *nd, bool shapeless);

/* The tape of f traced on tracers for inputs (unsimplified, no captured
 * inputs or outputs): what function export writes. Without accept, a value
 * the function does not compute from its inputs is a constant slot holding
 * it, as in compile; with accept, its unevaluated graph is recorded as ops
 * down to evaluated arrays (the constants), as MLX exports it, but for
 * nodes accept refuses (their outputs stay constants) and graphs that reach
 * another transform's tracers (one constant, as before). A captured value
 * computed from an argument outside the function is then an error, as in
 * compile. Nodes that run on every call are ops either way. Free with
 * mxi_ctape_free. */
int mxi_compile_trace(mxi_ctape *t, const mx_closure *f, const mx_vec *inputs, bool shapeless,
                      mxi_lazy_accept accept);
/* Rebuilds the graph of t on inputs; results get n_outputs new references. */
int mxi_ctape_replay(const mxi_ctape *t, mx_array *const *inputs, mx_array **results,
                     bool shapeless);

/* The payload of c when c was made with fn; NULL otherwise (closure.c). */
void *mxi_closure_payload(const mx_closure *c, mx_closure_fn fn);

#endif
