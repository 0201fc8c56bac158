/*
 * Kernels of the distributed primitives: they lay the data out
 * contiguously and hand it to the group's backend (distributed_impl.h),
 * which blocks until its part of the transfer is done. The stream's worker
 * thread waits there; callers of eval wait without holding the GIL.
 */
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "distributed/distributed_impl.h"
#include "primitives/params_distributed.h"

static bool dense(const mx_array *a) {
    return (a->flags & MXI_ROW_CONTIGUOUS) && a->data_size == a->size;
}

static size_t nbytes(const mx_array *a) {
    return (size_t)a->size * (size_t)mx_dtype_size(a->dtype);
}

static int comm_of(const mxi_node *node, const char *what, const mxi_dist_comm **c) {
    const mxi_dist_params *p = node->params;
    *c = mxi_dist_lookup(p->group);
    if (!*c || !(*c)->backend)
        return mxi_error(MX_ERR_RUNTIME,
                         "[%s] Communication not implemented in an empty distributed group.", what);
    return MX_OK;
}

/* x's elements in row-major order: its own memory when dense, else a copy
 * in *tmp (freed by the caller). */
static int contiguous_input(const mx_array *x, const void **data, void **tmp) {
    *tmp = NULL;
    if (dense(x)) {
        *data = mxi_data(x);
        return MX_OK;
    }
    *tmp = malloc(nbytes(x) ? nbytes(x) : 1);
    if (!*tmp) return mxi_error(MX_ERR_MEMORY, "[distributed] Out of memory.");
    int rc = mxi_copy_to_contiguous(*tmp, x->dtype, mxi_data(x), x->dtype, x->shape, x->strides,
                                    x->ndim);
    *data = *tmp;
    return rc;
}

int mxi_cpu_dist_all_reduce(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_dist_comm *c;
    int rc = comm_of(node, "all_reduce", &c);
    if (rc) return rc;
    mx_array *x = inputs[0], *out = outputs[0];
    if ((rc = mxi_alloc_or_donate(out, inputs, 1))) return rc;
    /* The reduction runs in place in the output: copy x there unless its
     * buffer was donated (then it already holds x). */
    if (out->buffer != x->buffer && x->size) {
        rc = mxi_copy_to_contiguous(mxi_data(out), out->dtype, mxi_data(x), x->dtype, x->shape,
                                    x->strides, x->ndim);
        if (rc) return rc;
    }
    if (!x->size) return MX_OK;
    const mxi_dist_params *p = node->params;
    return c->backend->all_reduce(c->state, mxi_data(out), (size_t)x->size, x->dtype,
                                  (mxi_dist_reduce)p->arg);
}

int mxi_cpu_dist_all_gather(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_dist_comm *c;
    int rc = comm_of(node, "all_gather", &c);
    if (rc) return rc;
    mx_array *x = inputs[0], *out = outputs[0];
    if ((rc = mxi_alloc_data(out))) return rc;
    if (!x->size) return MX_OK;
    const void *data;
    void *tmp;
    if (!(rc = contiguous_input(x, &data, &tmp)))
        rc = c->backend->all_gather(c->state, data, mxi_data(out), nbytes(x));
    free(tmp);
    return rc;
}

int mxi_cpu_dist_reduce_scatter(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_dist_comm *c;
    int rc = comm_of(node, "sum_scatter", &c);
    if (rc) return rc;
    mx_array *x = inputs[0], *out = outputs[0];
    if ((rc = mxi_alloc_data(out))) return rc;
    if (!out->size) return MX_OK;
    const mxi_dist_params *p = node->params;
    const void *data;
    void *tmp;
    if (!(rc = contiguous_input(x, &data, &tmp)))
        rc = c->backend->reduce_scatter(c->state, data, mxi_data(out), (size_t)out->size,
                                        out->dtype, (mxi_dist_reduce)p->arg);
    free(tmp);
    return rc;
}

int mxi_cpu_dist_send(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_dist_comm *c;
    int rc = comm_of(node, "send", &c);
    if (rc) return rc;
    mx_array *x = inputs[0];
    const mxi_dist_params *p = node->params;
    if (x->size) {
        const void *data;
        void *tmp;
        if (!(rc = contiguous_input(x, &data, &tmp)))
            rc = c->backend->send(c->state, data, nbytes(x), p->arg);
        free(tmp);
        if (rc) return rc;
    }
    /* The result is x's value: a view of it. */
    mxi_set_view(outputs[0], x, x->strides, 0, x->data_size);
    return MX_OK;
}

int mxi_cpu_dist_recv(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)inputs;
    const mxi_dist_comm *c;
    int rc = comm_of(node, "recv", &c);
    if (rc) return rc;
    mx_array *out = outputs[0];
    if ((rc = mxi_alloc_data(out))) return rc;
    if (!out->size) return MX_OK;
    const mxi_dist_params *p = node->params;
    return c->backend->recv(c->state, mxi_data(out), nbytes(out), p->arg);
}
