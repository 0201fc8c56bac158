/* Shape rules and printers shared by rows of the primitive table. */
#include <stdio.h>
#include <string.h>

#include "core/array_impl.h"
#include "params.h"

int mxi_shapes_unary(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                     int *ndims) {
    (void)node;
    ndims[0] = inputs[0]->ndim;
    memcpy(shapes[0], inputs[0]->shape, (size_t)inputs[0]->ndim * sizeof(int32_t));
    return MX_OK;
}

int mxi_shapes_broadcast(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                         int *ndims) {
    int nd = 0;
    for (int i = 0; i < node->n_inputs; i++)
        if (inputs[i]->ndim > nd) nd = inputs[i]->ndim;
    for (int d = 0; d < nd; d++) {
        int32_t dim = 1;
        for (int i = 0; i < node->n_inputs; i++) {
            int j = d - (nd - inputs[i]->ndim);
            if (j >= 0 && inputs[i]->shape[j] != 1) dim = inputs[i]->shape[j];
        }
        shapes[0][d] = dim;
    }
    ndims[0] = nd;
    /* Multi-output elementwise primitives (DivMod) give every output it. */
    for (int o = 1; o < node->n_outputs; o++) {
        memcpy(shapes[o], shapes[0], (size_t)nd * sizeof(int32_t));
        ndims[o] = nd;
    }
    return MX_OK;
}

void mxi_print_arange(const mxi_node *node, char *buf, size_t len) {
    const mxi_arange_params *p = node->params;
    snprintf(buf, len, "Arange start=%g step=%g", p->start, p->step);
}

void mxi_print_reduce(const mxi_node *node, char *buf, size_t len) {
    static const char *names[] = {"and", "or", "sum", "prod", "min", "max"};
    const mxi_reduce_params *p = node->params;
    size_t used = (size_t)snprintf(buf, len, "Reduce %s axes=(", names[p->type]);
    for (int i = 0; i < p->naxes && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ", %d" : "%d", p->axes[i]);
    if (used < len) snprintf(buf + used, len - used, ")");
}
