/*
 * Output shapes of the primitives whose shape is not the shape of their
 * inputs, for shapeless compile. A shapeless replay hands each rule a node
 * whose out_shapes/out_ndims hold the shapes the trace saw: first the
 * outputs', then the inputs' (see compile.c), so a rule can keep what the
 * trace fixed (slice counts, broadcast targets) and carry over what follows
 * the input (a full slice, a batch axis).
 */
#include <string.h>

#include "core/error.h"
#include "primitives/params.h"
#include "primitives/params_index.h"
#include "primitives/params_reduce.h"
#include "primitives/params_shape.h"
#include "transforms_impl.h"

static const int32_t *traced_in(const mxi_node *n, int i, int *nd) {
    if (!n->out_shapes) return NULL;
    *nd = n->out_ndims[n->n_outputs + i];
    return n->out_shapes[n->n_outputs + i];
}

static const int32_t *traced_out(const mxi_node *n, int i, int *nd) {
    if (!n->out_shapes) return NULL;
    *nd = n->out_ndims[i];
    return n->out_shapes[i];
}

static int cannot(const mxi_node *n, const char *why, mx_array *const *in) {
    char a[MXI_SHAPE_STR_LEN];
    return mxi_error(
        MX_ERR_VALUE,
        "[compile] shapeless: %s cannot infer its output shape for an input of shape %s: %s",
        mxi_primitives[n->kind].name, mxi_shape_str(a, sizeof a, in[0]->shape, in[0]->ndim), why);
}

static int64_t size_of(const int32_t *s, int nd) {
    int64_t p = 1;
    for (int d = 0; d < nd; d++) p *= s[d];
    return p;
}

/* Reshape with the shape as asked (-1 inferred again); without parameters
 * the target compile.c derived from the traced shapes, checked for size. */
int mxi_shapes_reshape(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                       int *ndims) {
    const mx_array *a = inputs[0];
    if (node->params_size) {
        const mxi_reshape_params *p = node->params;
        int64_t known = 1;
        int infer = -1;
        for (int d = 0; d < p->ndim; d++) {
            shapes[0][d] = p->shape[d];
            if (p->shape[d] == MXI_RESHAPE_KEEP) /* a batch axis vmap put first */
                shapes[0][d] = d < a->ndim ? a->shape[d] : 1;
            if (p->shape[d] == -1)
                infer = d;
            else
                known *= shapes[0][d];
        }
        if (infer >= 0) {
            if (known == 0 || a->size % known != 0)
                return cannot(node, "the size does not divide into the shape asked", inputs);
            shapes[0][infer] = (int32_t)(a->size / known);
        } else if (known != a->size) {
            return cannot(node, "the size differs from the shape asked", inputs);
        }
        ndims[0] = p->ndim;
        return MX_OK;
    }
    int nd;
    const int32_t *o = traced_out(node, 0, &nd);
    if (!o) return cannot(node, "no traced shape", inputs);
    if (size_of(o, nd) != a->size) return cannot(node, "the size changed", inputs);
    memcpy(shapes[0], o, sizeof(int32_t) * (size_t)nd);
    ndims[0] = nd;
    return MX_OK;
}

/* An explicit broadcast keeps its target; the input must still broadcast to
 * it (broadcasts made by elementwise ops are spread again by compile.c). */
int mxi_shapes_broadcast_to(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                            int *ndims) {
    int nd;
    const int32_t *o = traced_out(node, 0, &nd);
    const mx_array *a = inputs[0];
    if (!o || a->ndim > nd)
        return cannot(node, "it does not broadcast to the traced shape", inputs);
    for (int d = 0; d < a->ndim; d++) {
        int32_t x = a->shape[d], y = o[nd - a->ndim + d];
        if (x != y && x != 1)
            return cannot(node, "it does not broadcast to the traced shape", inputs);
    }
    memcpy(shapes[0], o, sizeof(int32_t) * (size_t)nd);
    ndims[0] = nd;
    return MX_OK;
}

/* Slice: traced counts, except an axis taken whole (start 0, step 1) that
 * follows the input; the elements picked must still exist. */
int mxi_shapes_slice(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                     int *ndims) {
    const mxi_slice_params *p = node->params;
    const mx_array *a = inputs[0];
    int nd, ndi;
    const int32_t *o = traced_out(node, 0, &nd), *ti = traced_in(node, 0, &ndi);
    if (!o || !ti || nd != a->ndim) return cannot(node, "no traced shape", inputs);
    for (int d = 0; d < nd; d++) {
        int64_t start = p->start_step[d], step = p->start_step[nd + d];
        int32_t c = o[d];
        if (start == 0 && step == 1 && c == ti[d]) c = a->shape[d];
        if (c > 0) {
            int64_t last = start + (int64_t)(c - 1) * step;
            if (start >= a->shape[d] || last < 0 || last >= a->shape[d])
                return cannot(node, "the slice reaches past the input", inputs);
        }
        shapes[0][d] = c;
    }
    ndims[0] = nd;
    return MX_OK;
}

int mxi_shapes_transpose(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                         int *ndims) {
    const mxi_transpose_params *p = node->params;
    for (int d = 0; d < p->ndim; d++) shapes[0][d] = inputs[0]->shape[p->perm[d]];
    ndims[0] = p->ndim;
    return MX_OK;
}

static void keep_axes(mx_array *const *inputs, const int32_t *axes, int naxes,
                      int32_t (*shapes)[64], int *ndims) {
    const mx_array *a = inputs[0];
    memcpy(shapes[0], a->shape, sizeof(int32_t) * (size_t)a->ndim);
    for (int k = 0; k < naxes; k++) shapes[0][axes[k]] = 1;
    ndims[0] = a->ndim;
}

/* Reductions keep every axis, the reduced ones set to 1. */
int mxi_shapes_reduce(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                      int *ndims) {
    switch (node->kind) {
    case MXI_PRIM_REDUCE: {
        const mxi_reduce_params *p = node->params;
        keep_axes(inputs, p->axes, p->naxes, shapes, ndims);
        break;
    }
    case MXI_PRIM_ARG_REDUCE: {
        const mxi_arg_reduce_params *p = node->params;
        keep_axes(inputs, &p->axis, 1, shapes, ndims);
        break;
    }
    case MXI_PRIM_TRACE: {
        const mxi_trace_params *p = node->params;
        const mx_array *a = inputs[0];
        int k = 0;
        for (int d = 0; d < a->ndim; d++)
            if (d != p->axis1 && d != p->axis2) shapes[0][k++] = a->shape[d];
        ndims[0] = k;
        break;
    }
    default: {
        const mxi_axes_params *p = node->params;
        keep_axes(inputs, p->axes, p->naxes, shapes, ndims);
        break;
    }
    }
    for (int o = 1; o < node->n_outputs; o++) {
        memcpy(shapes[o], shapes[0], sizeof(int32_t) * (size_t)ndims[0]);
        ndims[o] = ndims[0];
    }
    return MX_OK;
}

/* Matmul (a, b) and AddMM (a, b, c): the batch axes of a (the op broadcast
 * them already), then a's rows and b's columns. */
int mxi_shapes_matmul(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                      int *ndims) {
    const mx_array *a = inputs[0], *b = inputs[1];
    int nd = a->ndim;
    if (nd < 2 || b->ndim != nd || a->shape[nd - 1] != b->shape[nd - 2])
        return cannot(node, "the inner dimensions differ", inputs);
    for (int d = 0; d < nd - 2; d++) {
        if (a->shape[d] != b->shape[d]) return cannot(node, "the batch axes differ", inputs);
        shapes[0][d] = a->shape[d];
    }
    shapes[0][nd - 2] = a->shape[nd - 2];
    shapes[0][nd - 1] = b->shape[nd - 1];
    ndims[0] = nd;
    return MX_OK;
}

/* Gather: the indices' shape, then the slice sizes (an axis gathered whole
 * at trace time follows the input). */
int mxi_shapes_gather(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                      int *ndims) {
    const mxi_gather_params *p = node->params;
    const mx_array *a = inputs[0];
    int ndi;
    const int32_t *ti = traced_in(node, 0, &ndi);
    const int32_t *slice = p->data + p->naxes;
    int k = 0;
    if (p->naxes > 0) {
        const mx_array *idx = inputs[1];
        for (int d = 0; d < idx->ndim; d++) shapes[0][k++] = idx->shape[d];
    }
    for (int d = 0; d < p->ndim; d++) {
        int32_t s = slice[d];
        if (ti && ti[d] == s) s = a->shape[d];
        if (s > a->shape[d]) return cannot(node, "a slice is larger than the input", inputs);
        shapes[0][k++] = s;
    }
    ndims[0] = k;
    return MX_OK;
}

/* GatherAxis: the indices' shape, which must still be the input's off the
 * axis (the kernel reads the input at the indices' position there). */
int mxi_shapes_gather_axis(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                           int *ndims) {
    int axis = ((const mxi_gather_axis_params *)node->params)->axis;
    const mx_array *a = inputs[0], *idx = inputs[1];
    if (idx->ndim != a->ndim) return cannot(node, "the indices have another rank", inputs);
    for (int d = 0; d < a->ndim; d++)
        if (d != axis && idx->shape[d] != a->shape[d])
            return cannot(node, "the indices and the input differ off the axis", inputs);
    memcpy(shapes[0], inputs[1]->shape, sizeof(int32_t) * (size_t)inputs[1]->ndim);
    ndims[0] = inputs[1]->ndim;
    return MX_OK;
}

int mxi_shapes_concatenate(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                           int *ndims) {
    int axis = ((const mxi_concatenate_params *)node->params)->axis;
    const mx_array *a = inputs[0];
    memcpy(shapes[0], a->shape, sizeof(int32_t) * (size_t)a->ndim);
    int64_t total = 0;
    for (int i = 0; i < node->n_inputs; i++) {
        const mx_array *x = inputs[i];
        if (x->ndim != a->ndim) return cannot(node, "the ranks differ", inputs);
        for (int d = 0; d < a->ndim; d++)
            if (d != axis && x->shape[d] != a->shape[d])
                return cannot(node, "the inputs differ off the axis", inputs);
        total += x->shape[axis];
    }
    shapes[0][axis] = (int32_t)total;
    ndims[0] = a->ndim;
    return MX_OK;
}

/* Pad: the input plus the padding the trace added on each axis. */
int mxi_shapes_pad(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                   int *ndims) {
    int nd, ndi;
    const int32_t *o = traced_out(node, 0, &nd), *ti = traced_in(node, 0, &ndi);
    const mx_array *a = inputs[0];
    if (!o || !ti || nd != a->ndim) return cannot(node, "no traced shape", inputs);
    for (int d = 0; d < nd; d++) shapes[0][d] = a->shape[d] + (o[d] - ti[d]);
    ndims[0] = nd;
    return MX_OK;
}

/* Diagonal: the other axes, then the diagonal's length. */
int mxi_shapes_diagonal(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                        int *ndims) {
    const mxi_diagonal_params *p = node->params;
    const mx_array *a = inputs[0];
    int k = 0;
    for (int d = 0; d < a->ndim; d++)
        if (d != p->axis1 && d != p->axis2) shapes[0][k++] = a->shape[d];
    int64_t r = a->shape[p->axis1], c = a->shape[p->axis2], off = p->offset;
    int64_t len = off >= 0 ? (c - off < r ? c - off : r) : (r + off < c ? r + off : c);
    shapes[0][k++] = (int32_t)(len > 0 ? len : 0);
    ndims[0] = k;
    return MX_OK;
}

/* Depends: each output has the shape of the input it passes on. */
int mxi_shapes_depends(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                       int *ndims) {
    for (int o = 0; o < node->n_outputs; o++) {
        memcpy(shapes[o], inputs[o]->shape, sizeof(int32_t) * (size_t)inputs[o]->ndim);
        ndims[o] = inputs[o]->ndim;
    }
    return MX_OK;
}
