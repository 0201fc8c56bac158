/*
 * The primitive table: one entry per primitive kind with its kernels and
 * transform rules. The kinds and the table are generated from
 * primitives.def, so a primitive is added in one place.
 */
#ifndef MXI_PRIMITIVES_H
#define MXI_PRIMITIVES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "cmlx/base.h"

typedef enum mxi_prim_kind {
#define X(KIND, NAME, ...) MXI_PRIM_##KIND,
#include "primitives.def"
#undef X
    MXI_PRIM_COUNT
} mxi_prim_kind;

struct mxi_node;

/* Runs the primitive: inputs are evaluated; the kernel gives every output its
 * data (allocating, donating an input or making a view). Returns MX_OK or a
 * status with the error recorded by mxi_error. */
typedef int (*mxi_eval_fn)(struct mxi_node *node, mx_array *const *inputs,
                           mx_array *const *outputs);

/* Reverse mode: given the primals and one cotangent per output, writes the
 * cotangent of each input listed in argnums into out[i]. */
typedef int (*mxi_vjp_fn)(const struct mxi_node *node, mx_array *const *primals,
                          mx_array *const *cotangents, const int *argnums, int n_argnums,
                          mx_array **out);
/* Forward mode: given the primals and the tangents of the inputs listed in
 * argnums, writes one tangent per output. */
typedef int (*mxi_jvp_fn)(const struct mxi_node *node, mx_array *const *primals,
                          mx_array *const *tangents, const int *argnums, int n_argnums,
                          mx_array **out);
/* Vectorising: inputs carry a mapped axis each (-1 = not mapped); writes the
 * outputs and the mapped axis of each. */
typedef int (*mxi_vmap_fn)(const struct mxi_node *node, mx_array *const *inputs, const int *in_axes,
                           mx_array **outputs, int *out_axes);
/* Whether two nodes of the same kind compute the same thing from the same
 * inputs (common-subexpression elimination in compile). */
typedef bool (*mxi_equiv_fn)(const struct mxi_node *a, const struct mxi_node *b);
/* Output shapes from input shapes (shapeless compile): writes each output's
 * ndim and dims (at most 64 dims each). */
typedef int (*mxi_shapes_fn)(const struct mxi_node *node, mx_array *const *inputs,
                             int32_t (*shapes)[64], int *ndims);
/* Appends a description of the node ("Reduce sum (0, 1)") to buf. */
typedef void (*mxi_print_fn)(const struct mxi_node *node, char *buf, size_t len);

typedef struct mxi_primitive_info {
    const char *name;
    mxi_eval_fn eval_cpu;
    mxi_eval_fn eval_gpu; /* set by a GPU backend when it registers */
    mxi_vjp_fn vjp;
    mxi_jvp_fn jvp;
    mxi_vmap_fn vmap;
    mxi_equiv_fn is_equivalent;
    mxi_shapes_fn output_shapes;
    mxi_print_fn print;
} mxi_primitive_info;

/* The table, indexed by kind. Writable only so a backend can fill eval_gpu. */
extern mxi_primitive_info mxi_primitives[MXI_PRIM_COUNT];

/* Declarations of every function the table names. */
#define X(KIND, NAME, EVAL, VJP, JVP, VMAP, EQUIV, SHAPES, PRINT)                                  \
    int EVAL(struct mxi_node *, mx_array *const *, mx_array *const *);
#include "primitives.def"
#undef X

/* Per kind, what releases references held in a node's parameters when the
 * node is freed (NULL for nearly every kind: parameters are plain bytes).
 * Defined with the transforms (src/transforms/custom.c). */
extern void (*const mxi_params_release[MXI_PRIM_COUNT])(void *params);

bool mxi_node_equivalent(const struct mxi_node *a, const struct mxi_node *b);
/* "Add", or the print function's text, into buf. */
void mxi_node_describe(const struct mxi_node *n, char *buf, size_t len);

/* Shape rules shared by many rows. */
int mxi_shapes_unary(const struct mxi_node *, mx_array *const *, int32_t (*)[64], int *);
int mxi_shapes_broadcast(const struct mxi_node *, mx_array *const *, int32_t (*)[64], int *);
void mxi_print_arange(const struct mxi_node *, char *, size_t);
void mxi_print_reduce(const struct mxi_node *, char *, size_t);
int mxi_shapes_compiled(const struct mxi_node *, mx_array *const *, int32_t (*)[64], int *);
void mxi_print_compiled(const struct mxi_node *, char *, size_t);

/* Output shapes of the kinds whose shape is not their inputs' (shapeless
 * compile, src/transforms/compile_shapes.c). In a shapeless replay the node
 * carries in out_shapes/out_ndims the shapes the trace saw: the outputs',
 * then the inputs'. */
#define MXI_SHAPES_RULE(name)                                                                      \
    int name(const struct mxi_node *, mx_array *const *, int32_t(*)[64], int *);
MXI_SHAPES_RULE(mxi_shapes_reshape)
MXI_SHAPES_RULE(mxi_shapes_broadcast_to)
MXI_SHAPES_RULE(mxi_shapes_slice)
MXI_SHAPES_RULE(mxi_shapes_transpose)
MXI_SHAPES_RULE(mxi_shapes_reduce)
MXI_SHAPES_RULE(mxi_shapes_matmul)
MXI_SHAPES_RULE(mxi_shapes_gather)
MXI_SHAPES_RULE(mxi_shapes_gather_axis)
MXI_SHAPES_RULE(mxi_shapes_concatenate)
MXI_SHAPES_RULE(mxi_shapes_pad)
MXI_SHAPES_RULE(mxi_shapes_diagonal)
MXI_SHAPES_RULE(mxi_shapes_depends)
MXI_SHAPES_RULE(mxi_shapes_dist)
#undef MXI_SHAPES_RULE

/* The distributed primitives (src/ops/distributed.c): never merged by
 * compile, printed with their reduction ("Sum AllReduce"). */
bool mxi_dist_never_equal(const struct mxi_node *a, const struct mxi_node *b);
void mxi_print_dist(const struct mxi_node *, char *, size_t);

#endif
