/*
 * Select (where) on the CPU: out = cond ? x : y with cond bool and x, y,
 * out of one dtype. The op hands the kernel the three operands broadcast to
 * the output's shape; their layout is collapsed as for the binary kernels,
 * and each run along the last axis goes to the loop of its operands' classes
 * (contiguous, repeated scalar, strided). Outputs bigger than the last-level
 * cache are written with streaming stores where the level has them.
 */
#include "binary.h"

#include "strided.h"

#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/simd.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "ternary_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const ternary_tables[MXI_SIMD_LEVELS] = MXI_SIMD_TABLES(ternary);

typedef struct select_job {
    mxi_strided it; /* operands: 0 = cond, 1 = x, 2 = y */
    mxi_select_loop const *loops;
    mxi_select_loop const *streaming;
    int64_t size; /* bytes per x/y/out element */
    bool stream;
    char *out;
    const uint8_t *c;
    const char *x, *y;
} select_job;

static int ter_class(int64_t s) {
    return s == 1 ? MXI_TER_V : s == 0 ? MXI_TER_S : MXI_TER_G;
}

static void select_range(void *ctx, int64_t begin, int64_t end) {
    const select_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t sc = it->strides[0][last], sx = it->strides[1][last], sy = it->strides[2][last];
    int shape = MXI_TER_SHAPE(ter_class(sc), ter_class(sx), ter_class(sy));
    mxi_select_loop loop = j->loops[shape];
    bool stream = j->stream && j->streaming[shape];
    if (stream) loop = j->streaming[shape];
    int64_t sz = j->size;

    mxi_strided_pos p;
    mxi_strided_seek(it, &p, begin);
    for (int64_t i = begin; i < end;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > end - i) run = end - i;
        loop(j->c + p.off[0], sc, j->x + p.off[1] * sz, sx, j->y + p.off[2] * sz, sy,
             j->out + i * sz, run);
        i += run;
        mxi_strided_advance(it, &p, run);
    }
    if (stream) mxi_stream_fence();
}

static void select_tile_run(void *ctx, const char *const *ptr, const int64_t *stride,
                            int64_t out_pos, int64_t n) {
    const select_job *j = ctx;
    int shape = MXI_TER_SHAPE(ter_class(stride[0]), ter_class(stride[1]), ter_class(stride[2]));
    mxi_select_loop loop = j->stream && j->streaming[shape] ? j->streaming[shape] : j->loops[shape];
    loop((const uint8_t *)ptr[0], stride[0], ptr[1], stride[1], ptr[2], stride[2],
         j->out + out_pos * j->size, n);
}

int mxi_select_strided(mx_dtype dtype, void *out, const void *cond, const int64_t *cond_strides,
                       const void *x, const int64_t *x_strides, const void *y,
                       const int64_t *y_strides, const int32_t *shape, int ndim) {
    if (dtype < 0 || dtype >= MX_NUM_DTYPES)
        return mxi_error(MX_ERR_TYPE, "[where] invalid dtype %d", (int)dtype);
    select_job j;
    const int64_t *strides[3] = {cond_strides, x_strides, y_strides};
    int rc = mxi_strided_init(&j.it, shape, ndim, strides, 3, "where");
    if (rc != MX_OK) return rc;
    if (j.it.size == 0) return MX_OK;
    int size = mx_dtype_size(dtype);
    int lg = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
    const mxi_ternary_table *tab = mxi_simd_pick(ternary_tables);
    j.loops = tab->select[lg];
    j.streaming = tab->select_nt[lg];
    j.size = size;
    j.stream = j.it.size * (int64_t)size >= mxi_stream_threshold();
    j.out = out;
    j.c = cond;
    j.x = x;
    j.y = y;
    mxi_tiled t;
    const void *base[3] = {j.c, j.x, j.y};
    int64_t isz[3] = {1, size, size};
    if (mxi_tiled_plan(&t, &j.it, base, isz, select_tile_run, &j))
        mxi_tiled_walk(&t);
    else if (j.it.size >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(j.it.size, MXI_ELEMWISE_GRAIN, select_range, &j);
    else
        select_range(&j, 0, j.it.size);
    return MX_OK;
}

int mxi_cpu_select(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mx_array *c = inputs[0], *x = inputs[1], *y = inputs[2], *out = outputs[0];
    const void *pc = c->size ? mxi_data(c) : NULL;
    const void *px = x->size ? mxi_data(x) : NULL;
    const void *py = y->size ? mxi_data(y) : NULL;
    int rc = mxi_alloc_or_donate(out, inputs, 3);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    return mxi_select_strided(out->dtype, mxi_data(out), pc, c->strides, px, x->strides, py,
                              y->strides, out->shape, out->ndim);
}
