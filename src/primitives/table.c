/* The primitive table, generated from primitives.def. */
#include "primitives.h"

#include <stdio.h>
#include <string.h>

#include "core/array_impl.h"
#include "transforms/rules.h"

mxi_primitive_info mxi_primitives[MXI_PRIM_COUNT] = {
#define X(KIND, NAME, EVAL, VJP, JVP, VMAP, EQUIV, SHAPES, PRINT)                                  \
    [MXI_PRIM_##KIND] = {NAME, EVAL, NULL, VJP, JVP, VMAP, EQUIV, SHAPES, PRINT},
#include "primitives.def"
#undef X
};

bool mxi_node_equivalent(const mxi_node *a, const mxi_node *b) {
    if (a->kind != b->kind) return false;
    const mxi_primitive_info *info = &mxi_primitives[a->kind];
    if (info->is_equivalent) return info->is_equivalent(a, b);
    return a->params_size == b->params_size &&
           (a->params_size == 0 || memcmp(a->params, b->params, a->params_size) == 0);
}

void mxi_node_describe(const mxi_node *n, char *buf, size_t len) {
    const mxi_primitive_info *info = &mxi_primitives[n->kind];
    if (info->print)
        info->print(n, buf, len);
    else
        snprintf(buf, len, "%s", info->name);
}
