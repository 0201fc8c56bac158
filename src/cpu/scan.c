/*
 * Scan: cumulative sum, product, maximum, minimum and log-add-exp along one
 * axis of an input with any strides, into a row-contiguous output.
 *
 * The shape splits into outer axes, the scanned axis (n long) and inner
 * axes. With inner elements, each line of the scanned axis is computed
 * from the previous one across a run of inner elements (out_j = out_{j-1}
 * op x_j, vectorised over the run); runs come from the collapsed inner
 * space, so transposed or broadcast inputs need no copy. Without inner
 * elements each outer position is one sequential scan. Work is split over
 * outer positions and blocks of inner elements; the scanned axis itself is
 * always walked in order, so results do not depend on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmlx/dtype_info.h"
#include "cpu/copy.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "cpu/simd.h"
#include "primitives/params_scan.h"
#include "strided.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "scan_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const scan_tables[MXI_SIMD_LEVELS] = MXI_SIMD_TABLES(scan);

/* Inner elements per task (the lines of one task stay in cache). */
#define SCAN_BLOCK 4096

static const char *scan_name(int type) {
    static const char *names[] = {"cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"};
    return type >= 0 && type < MXI_SCAN_TYPES ? names[type] : "scan";
}

typedef struct scan_job {
    mxi_scan_step_fn step;
    mxi_scan_first_fn first;
    mxi_scan_seq_fn seq;
    const char *in;
    char *out;
    int64_t isz, osz;
    int64_t n, as;     /* scanned axis: length, input stride */
    int64_t inner;     /* inner elements per line (output stride of the axis) */
    mxi_strided outer; /* outer axes: input and output offsets */
    mxi_strided in_it; /* inner axes: input offsets, output offsets */
    int64_t nblocks;   /* inner blocks per outer position */
    bool reverse, inclusive;
    _Alignas(16) unsigned char init[16]; /* the identity, one output element */
} scan_job;

/* The identity of an exclusive scan's first element, as MLX has them. */
static void scan_identity(int type, mx_dtype dt, void *dst) {
    double v = 0;
    bool inf = false;
    switch (type) {
    case MXI_SCAN_PROD:
        v = 1;
        break;
    case MXI_SCAN_MAX:
    case MXI_SCAN_LOGADDEXP:
        v = -INFINITY;
        inf = true;
        break;
    case MXI_SCAN_MIN:
        v = INFINITY;
        inf = true;
        break;
    default:
        break;
    }
    memset(dst, 0, 16);
    if (type == MXI_SCAN_SUM && dt == MX_BOOL) return; /* int32 zero */
    if (dt == MX_COMPLEX64) {
        /* max/min: both parts infinite; others: a real identity */
        float c[2] = {(float)v, inf && type != MXI_SCAN_LOGADDEXP ? (float)v : 0.0f};
        memcpy(dst, c, sizeof c);
        return;
    }
    if (inf && !mx_dtype_is_floating(dt)) {
        /* Integer extremes (bool: false for max, true for min). */
        bool is_max = type == MXI_SCAN_MAX;
        mx_iinfo info;
        if (dt == MX_BOOL || mx_iinfo_get(&info, dt) != MX_OK) {
            *(uint8_t *)dst = !is_max;
        } else if (is_max) {
            mxi_convert_element(dst, dt, &info.min, MX_INT64);
        } else {
            mxi_convert_element(dst, dt, &info.max, MX_UINT64);
        }
        return;
    }
    mxi_convert_element(dst, dt, &v, MX_FLOAT64);
}

/* Scans along an innermost axis: one sequential scan per outer position. */
static void scan_lines(void *ctx, int64_t b, int64_t e) {
    const scan_job *j = ctx;
    mxi_strided_pos p;
    mxi_strided_seek(&j->outer, &p, b);
    for (int64_t o = b; o < e; o++) {
        const char *x = j->in + p.off[0] * j->isz;
        char *y = j->out + p.off[1] * j->osz;
        if (j->reverse)
            j->seq(y + (j->n - 1) * j->osz, -1, x + (j->n - 1) * j->as * j->isz, -j->as, j->n,
                   j->inclusive, j->init);
        else
            j->seq(y, 1, x, j->as, j->n, j->inclusive, j->init);
        mxi_strided_advance(&j->outer, &p, 1);
    }
}

/* Task t: inner block t % nblocks of outer position t / nblocks. */
static void scan_blocks(void *ctx, int64_t tb, int64_t te) {
    const scan_job *j = ctx;
    const mxi_strided *it = &j->in_it;
    int last = it->ndim - 1;
    for (int64_t t = tb; t < te; t++) {
        int64_t o = t / j->nblocks, c0 = (t % j->nblocks) * SCAN_BLOCK;
        int64_t c1 = c0 + SCAN_BLOCK < j->inner ? c0 + SCAN_BLOCK : j->inner;
        mxi_strided_pos po, q;
        mxi_strided_seek(&j->outer, &po, o);
        mxi_strided_seek(it, &q, c0);
        for (int64_t c = c0; c < c1;) {
            int64_t run = mxi_strided_row_left(it, &q);
            if (run > c1 - c) run = c1 - c;
            int64_t xs = it->strides[0][last];
            const char *x0 = j->in + (po.off[0] + q.off[0]) * j->isz;
            char *y0 = j->out + (po.off[1] + q.off[1]) * j->osz;
            /* Lines in scan order: k-th visited is line jj(k). */
            int64_t ystep = j->inner * j->osz, xstep = j->as * j->isz;
            for (int64_t k = 0; k < j->n; k++) {
                int64_t jj = j->reverse ? j->n - 1 - k : k;
                char *y = y0 + jj * ystep;
                const char *x = x0 + jj * xstep;
                if (k == 0) {
                    if (j->inclusive) {
                        j->first(y, x, run, xs);
                    } else {
                        for (int64_t i = 0; i < run; i++)
                            memcpy(y + i * j->osz, j->init, (size_t)j->osz);
                    }
                    continue;
                }
                const char *prev = j->reverse ? y + ystep : y - ystep;
                const char *xin = j->inclusive ? x : (j->reverse ? x + xstep : x - xstep);
                j->step(y, prev, xin, run, xs);
            }
            c += run;
            mxi_strided_advance(it, &q, run);
        }
    }
}

static void run_tasks(int64_t n, int64_t work_per_task, mxi_range_fn fn, void *ctx) {
    if (work_per_task < 1) work_per_task = 1;
    if (n * work_per_task < 2 * MXI_ELEMWISE_GRAIN) {
        fn(ctx, 0, n);
        return;
    }
    int64_t grain = MXI_ELEMWISE_GRAIN / work_per_task;
    mxi_parallel_for(n, grain > 0 ? grain : 1, fn, ctx);
}

int mxi_cpu_scan(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_scan_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    const char *name = scan_name(p->type);
    if (p->type < 0 || p->type >= MXI_SCAN_TYPES)
        return mxi_error(MX_ERR_RUNTIME, "[scan] unknown scan %d", p->type);
    const mxi_scan_table *t = mxi_simd_pick(scan_tables);
    scan_job j;
    memset(&j, 0, sizeof j);
    j.step = t->step[p->type][in->dtype];
    j.first = t->first[p->type][in->dtype];
    j.seq = t->seq[p->type][in->dtype];
    if (!j.step || !j.first || !j.seq)
        return mxi_error(MX_ERR_TYPE, "[%s] not supported for %s inputs", name,
                         mx_dtype_name(in->dtype));
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    int nd = in->ndim, ax = p->axis;
    if (nd > MXI_STRIDED_MAX_DIMS) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", name);
    int64_t ostr[MXI_STRIDED_MAX_DIMS];
    mxi_row_strides(ostr, out->shape, nd);
    j.in = mxi_data(in);
    j.out = mxi_data(out);
    j.isz = mx_dtype_size(in->dtype);
    j.osz = mx_dtype_size(out->dtype);
    j.n = in->shape[ax];
    j.as = in->strides[ax];
    j.inner = ostr[ax];
    j.reverse = p->reverse;
    j.inclusive = p->inclusive;
    scan_identity(p->type, in->dtype, j.init);
    const int64_t *ops[2] = {in->strides, ostr};
    rc = mxi_strided_init(&j.outer, in->shape, ax, ops, 2, name);
    if (rc != MX_OK) return rc;
    const int64_t *iops[2] = {in->strides + ax + 1, ostr + ax + 1};
    rc = mxi_strided_init(&j.in_it, in->shape + ax + 1, nd - ax - 1, iops, 2, name);
    if (rc != MX_OK) return rc;
    int64_t n_outer = j.outer.size;
    if (j.inner == 1) {
        run_tasks(n_outer, j.n, scan_lines, &j);
    } else {
        j.nblocks = (j.inner + SCAN_BLOCK - 1) / SCAN_BLOCK;
        int64_t block = j.inner < SCAN_BLOCK ? j.inner : SCAN_BLOCK;
        run_tasks(n_outer * j.nblocks, j.n * block, scan_blocks, &j);
    }
    return MX_OK;
}
