/*
 * The ops of mlx.core.distributed. On a group of one process the
 * collectives return their input (no node), and send/recv refuse, as MLX
 * does; otherwise one node of a distributed primitive naming the group by
 * its registry id, evaluated on the CPU stream (communication runs there
 * whatever the default device).
 */
#include <stdio.h>

#include "distributed/distributed_impl.h"
#include "ops_util.h"
#include "primitives/params_distributed.h"

/* The communicator of group (NULL: the global group) into *c and its id
 * into *id. */
static int resolve(const mx_distributed_group *group, const mxi_dist_comm **c, int *id) {
    mx_distributed_group *global = NULL;
    if (!group) {
        int rc = mx_distributed_global_group(&global);
        if (rc) return rc;
        group = global;
    }
    *id = mxi_dist_group_id(group);
    *c = mxi_dist_lookup(*id);
    mx_distributed_group_free(global);
    if (!*c) return mxi_error(MX_ERR_VALUE, "[distributed] Unknown group.");
    return MX_OK;
}

/* MLX's communication stream: the stream asked for, or the CPU's default. */
static int comm_stream(const mx_stream *s, mx_stream *buf, const mx_stream **out) {
    if (s) {
        *out = s;
        return MX_OK;
    }
    int rc = mx_default_stream(buf, (mx_device){MX_CPU, 0});
    if (rc) return rc;
    *out = buf;
    return MX_OK;
}

static int identity(mx_array **out, const mx_array *x) {
    mxi_set_out(out, mx_array_retain((mx_array *)x));
    return MX_OK;
}

static int all_reduce(const char *name, mx_array **out, const mx_array *x,
                      const mx_distributed_group *group, const mx_stream *s, mxi_dist_reduce op) {
    int rc = mxi_check_inputs(name, out, &x, 1);
    if (rc) return rc;
    const mxi_dist_comm *c;
    int id;
    if ((rc = resolve(group, &c, &id))) return rc;
    if (c->size == 1) return identity(out, x);
    mx_stream sbuf;
    if ((rc = comm_stream(s, &sbuf, &s))) return rc;
    mxi_dist_params p = {id, op};
    mx_array *in = (mx_array *)x;
    return mxi_make(out, x->dtype, x->shape, x->ndim, MXI_PRIM_DIST_ALL_REDUCE, &p, sizeof p, &in,
                    1, s);
}

int mx_distributed_all_sum(mx_array **out, const mx_array *x, const mx_distributed_group *group,
                           const mx_stream *s) {
    return all_reduce("all_sum", out, x, group, s, MXI_DIST_SUM);
}

int mx_distributed_all_max(mx_array **out, const mx_array *x, const mx_distributed_group *group,
                           const mx_stream *s) {
    return all_reduce("all_max", out, x, group, s, MXI_DIST_MAX);
}

int mx_distributed_all_min(mx_array **out, const mx_array *x, const mx_distributed_group *group,
                           const mx_stream *s) {
    return all_reduce("all_min", out, x, group, s, MXI_DIST_MIN);
}

int mx_distributed_all_gather(mx_array **out, const mx_array *x, const mx_distributed_group *group,
                              const mx_stream *s) {
    int rc = mxi_check_inputs("all_gather", out, &x, 1);
    if (rc) return rc;
    const mxi_dist_comm *c;
    int id;
    if ((rc = resolve(group, &c, &id))) return rc;
    if (c->size == 1) return identity(out, x);
    int64_t first = (int64_t)(x->ndim ? x->shape[0] : 1) * c->size;
    if (first > INT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[all_gather] The result's first dimension overflows.");
    int32_t shape[MXI_MAX_NDIM];
    int ndim = x->ndim ? x->ndim : 1;
    for (int i = 1; i < x->ndim; i++) shape[i] = x->shape[i];
    shape[0] = (int32_t)first;
    mx_stream sbuf;
    if ((rc = comm_stream(s, &sbuf, &s))) return rc;
    mxi_dist_params p = {id, 0};
    mx_array *in = (mx_array *)x;
    return mxi_make(out, x->dtype, shape, ndim, MXI_PRIM_DIST_ALL_GATHER, &p, sizeof p, &in, 1, s);
}

int mx_distributed_sum_scatter(mx_array **out, const mx_array *x, const mx_distributed_group *group,
                               const mx_stream *s) {
    int rc = mxi_check_inputs("sum_scatter", out, &x, 1);
    if (rc) return rc;
    const mxi_dist_comm *c;
    int id;
    if ((rc = resolve(group, &c, &id))) return rc;
    if (c->size == 1) return identity(out, x);
    if (x->ndim == 0 || x->shape[0] % c->size != 0) {
        char sh[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[sum_scatter] Invalid shape=%s for a group of size %d. The first "
                         "dimension (axis 0) must be divisible by the group size.",
                         mxi_shape_str(sh, sizeof sh, x->shape, x->ndim), c->size);
    }
    int32_t shape[MXI_MAX_NDIM];
    for (int i = 0; i < x->ndim; i++) shape[i] = x->shape[i];
    shape[0] /= c->size;
    mx_stream sbuf;
    if ((rc = comm_stream(s, &sbuf, &s))) return rc;
    mxi_dist_params p = {id, MXI_DIST_SUM};
    mx_array *in = (mx_array *)x;
    return mxi_make(out, x->dtype, shape, x->ndim, MXI_PRIM_DIST_REDUCE_SCATTER, &p, sizeof p, &in,
                    1, s);
}

int mx_distributed_send(mx_array **out, const mx_array *x, int dst,
                        const mx_distributed_group *group, const mx_stream *s) {
    int rc = mxi_check_inputs("send", out, &x, 1);
    if (rc) return rc;
    const mxi_dist_comm *c;
    int id;
    if ((rc = resolve(group, &c, &id))) return rc;
    if (c->size == 1) return mxi_error(MX_ERR_VALUE, "Cannot send to a singleton group");
    if (dst < 0 || dst >= c->size)
        return mxi_error(MX_ERR_VALUE, "Invalid destination=%d for a group of size %d", dst,
                         c->size);
    mx_stream sbuf;
    if ((rc = comm_stream(s, &sbuf, &s))) return rc;
    mxi_dist_params p = {id, dst};
    mx_array *in = (mx_array *)x;
    return mxi_make(out, x->dtype, x->shape, x->ndim, MXI_PRIM_DIST_SEND, &p, sizeof p, &in, 1, s);
}

int mx_distributed_recv(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype, int src,
                        const mx_distributed_group *group, const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[recv] NULL output.");
    if (ndim > 0 && !shape) return mxi_error(MX_ERR_VALUE, "[recv] NULL shape.");
    int rc = mxi_check_shape("recv", shape, ndim);
    if (rc) return rc;
    if (!mx_dtype_is_valid(dtype)) return mxi_error(MX_ERR_VALUE, "[recv] Invalid dtype.");
    const mxi_dist_comm *c;
    int id;
    if ((rc = resolve(group, &c, &id))) return rc;
    if (c->size == 1) return mxi_error(MX_ERR_VALUE, "Cannot recv from a singleton group");
    if (src < 0 || src >= c->size)
        return mxi_error(MX_ERR_VALUE, "Invalid source=%d for a group of size %d", src, c->size);
    mx_stream sbuf;
    if ((rc = comm_stream(s, &sbuf, &s))) return rc;
    mxi_dist_params p = {id, src};
    return mxi_make(out, dtype, shape, ndim, MXI_PRIM_DIST_RECV, &p, sizeof p, NULL, 0, s);
}

int mx_distributed_recv_like(mx_array **out, const mx_array *x, int src,
                             const mx_distributed_group *group, const mx_stream *s) {
    int rc = mxi_check_inputs("recv_like", out, &x, 1);
    if (rc) return rc;
    return mx_distributed_recv(out, x->shape, x->ndim, x->dtype, src, group, s);
}

/* ---- table entries ---- */

bool mxi_dist_never_equal(const mxi_node *a, const mxi_node *b) {
    (void)a;
    (void)b;
    return false;
}

void mxi_print_dist(const mxi_node *n, char *buf, size_t len) {
    static const char *const names[] = {"Sum", "Max", "Min"};
    const mxi_dist_params *p = n->params;
    int op = p->arg >= 0 && p->arg < 3 ? p->arg : 0;
    snprintf(buf, len, "%s %s", names[op], mxi_primitives[n->kind].name);
}

/* AllGather multiplies the first dimension by the group size,
 * ReduceScatter divides it. */
int mxi_shapes_dist(const mxi_node *n, mx_array *const *inputs, int32_t (*shapes)[64], int *ndims) {
    const mxi_dist_params *p = n->params;
    const mxi_dist_comm *c = mxi_dist_lookup(p->group);
    const mx_array *x = inputs[0];
    if (!c) return mxi_error(MX_ERR_VALUE, "[distributed] Unknown group.");
    for (int i = 0; i < x->ndim; i++) shapes[0][i] = x->shape[i];
    ndims[0] = x->ndim;
    if (n->kind == MXI_PRIM_DIST_ALL_GATHER) {
        if (x->ndim == 0) {
            shapes[0][0] = 1;
            ndims[0] = 1;
        }
        shapes[0][0] *= c->size;
        return MX_OK;
    }
    if (x->ndim == 0 || x->shape[0] % c->size)
        return mxi_error(MX_ERR_VALUE, "[sum_scatter] The first dimension must be divisible by "
                                       "the group size.");
    shapes[0][0] /= c->size;
    return MX_OK;
}
