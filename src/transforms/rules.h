/* The transform rules named in the primitive table (src/primitives/defs).
 * Each family has one vjp, one jvp and one vmap function dispatching on the
 * node's kind (src/transforms/rules_<family>.c). A derivative rule writes
 * NULL for a derivative that is zero; a vmap rule gets the batch axis of
 * each input (-1: not mapped) and gives it for each output. */
#ifndef MXI_RULES_H
#define MXI_RULES_H

#include "primitives/primitives.h"

#define MXI_VJP_RULE(name)                                                                         \
    int name(const struct mxi_node *node, mx_array *const *primals, mx_array *const *cotangents,   \
             const int *argnums, int n_argnums, mx_array **out)
#define MXI_JVP_RULE(name)                                                                         \
    int name(const struct mxi_node *node, mx_array *const *primals, mx_array *const *tangents,     \
             const int *argnums, int n_argnums, mx_array **out)

#define MXI_VMAP_RULE(name)                                                                        \
    int name(const struct mxi_node *node, mx_array *const *inputs, const int *in_axes,             \
             mx_array **outputs, int *out_axes)

#define MXI_RULES(family)                                                                          \
    MXI_VJP_RULE(mxi_vjp_##family);                                                                \
    MXI_JVP_RULE(mxi_jvp_##family);                                                                \
    MXI_VMAP_RULE(mxi_vmap_##family)

/* Zero derivative (comparisons, rounding, integer outputs). */
MXI_RULES(zero);
MXI_RULES(creation);
MXI_RULES(unary);
MXI_RULES(binary);
MXI_RULES(shape);
MXI_RULES(reduce);
MXI_RULES(scan);
MXI_RULES(matmul);
MXI_RULES(addmm);
MXI_RULES(hadamard);
MXI_RULES(fast);
MXI_RULES(sort);
MXI_RULES(index);
MXI_RULES(random);
MXI_RULES(custom);
MXI_RULES(conv);
MXI_RULES(fft);
MXI_RULES(quantized);
MXI_RULES(lapack);
MXI_RULES(distributed);
/* Quantize, Dequantize, View: batch first on every input and output. */
MXI_VMAP_RULE(mxi_vmap_last_axis);
/* SearchSorted: over the values only, as MLX. */
MXI_VMAP_RULE(mxi_vmap_searchsorted);

#endif
