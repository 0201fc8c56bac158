/*
 * The exp-based reductions: LogSumExp and Softmax over any set of axes of an
 * input with any strides.
 *
 * Real inputs (float16, bfloat16, float32, float64; the ops cast others)
 * run on the reduction engine: a log-sum-exp accumulator {m, s} holds the
 * running maximum and the sum of exp(x - m) (see reduce_kernels.inc).
 * LogSumExp stores m + log(s) (m itself when it is infinite or NaN).
 * Softmax over trailing axes of a row-contiguous input runs one fused pass
 * per row (max, exp and sum, scale); over other axes it gathers {m, 1 / s}
 * per output of the reduction, then writes exp(x - m) / s elementwise with
 * the statistics broadcast over the reduced axes. 16-bit floats compute in
 * float32.
 *
 * complex64 inputs follow MLX's composition (maximum by real then imaginary
 * part, exp(x - max), sums, complex log) in double precision, one output at
 * a time: simple code for a rare case.
 */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/simd.h"
#include "primitives/params_reduce.h"
#include "reduce_split.h"
#include "strided.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "reduce_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

/* ---- complex64 ---- */

typedef double _Complex zd;

static bool zless(zd a, zd b) {
    return creal(a) < creal(b) || (creal(a) == creal(b) && cimag(a) < cimag(b));
}

typedef struct zjob {
    mxi_reduce_split sp; /* operands: input, and for softmax the output */
    const float _Complex *in;
    float _Complex *out;
} zjob;

/* The maximum of one output's elements (by real part, then imaginary). */
static zd zmax(const zjob *j, const mxi_strided_pos *kp) {
    zd m = CMPLX(-INFINITY, -INFINITY);
    MXI_REDUCE_SPLIT_FOREACH(&j->sp, *kp, off, off1, {
        zd v = j->in[off];
        if (zless(m, v)) m = v;
    });
    return m;
}

static zd zsumexp(const zjob *j, const mxi_strided_pos *kp, zd m) {
    zd s = 0;
    MXI_REDUCE_SPLIT_FOREACH(&j->sp, *kp, off, off1, s += cexp(j->in[off] - m));
    return s;
}

static void zlse_range(void *ctx, int64_t b, int64_t e) {
    const zjob *j = ctx;
    mxi_strided_pos p;
    mxi_strided_seek(&j->sp.kept, &p, b);
    for (int64_t o = b; o < e; o++) {
        zd m = zmax(j, &p);
        zd r = clog(zsumexp(j, &p, m)) + m;
        /* where(isinf(max), max, r), isinf meaning equal to +-inf + 0i */
        if (isinf(creal(m)) && cimag(m) == 0) r = m;
        j->out[o] = (float _Complex)r;
        mxi_strided_advance(&j->sp.kept, &p, 1);
    }
}

static void zsoftmax_range(void *ctx, int64_t b, int64_t e) {
    const zjob *j = ctx;
    mxi_strided_pos p;
    mxi_strided_seek(&j->sp.kept, &p, b);
    for (int64_t o = b; o < e; o++) {
        zd m = zmax(j, &p);
        zd s = zsumexp(j, &p, m);
        MXI_REDUCE_SPLIT_FOREACH(&j->sp, p, off, off1,
                                 j->out[off1] = (float _Complex)(cexp(j->in[off] - m) / s));
        mxi_strided_advance(&j->sp.kept, &p, 1);
    }
}

static void run(int64_t n, int64_t work_per_item, mxi_range_fn fn, void *ctx) {
    if (work_per_item < 1) work_per_item = 1;
    if (n * work_per_item < 2 * MXI_ELEMWISE_GRAIN) {
        fn(ctx, 0, n);
        return;
    }
    int64_t grain = MXI_ELEMWISE_GRAIN / work_per_item;
    mxi_parallel_for(n, grain > 0 ? grain : 1, fn, ctx);
}

/* ---- LogSumExp ---- */

int mxi_cpu_logsumexp(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_axes_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    const void *x = in->size ? mxi_data(in) : NULL;
    if (in->dtype != MX_COMPLEX64)
        return mxi_reduce_strided(MXI_REDUCE_LOGSUMEXP, mxi_data(out), out->dtype, x, in->dtype,
                                  in->shape, in->strides, in->ndim, p->axes, p->naxes);
    zjob j = {.in = x, .out = mxi_data(out)};
    const int64_t *st[1] = {in->strides};
    rc = mxi_reduce_split_init(&j.sp, in->shape, st, 1, in->ndim, p->axes, p->naxes, "logsumexp");
    if (rc != MX_OK) return rc;
    run(j.sp.n_out, 16 * j.sp.n_red, zlse_range, &j);
    return MX_OK;
}

/* ---- Softmax ---- */

typedef struct soft_rows {
    mxi_softmax_row_fn fn;
    const char *in;
    char *out;
    int64_t n, sz;
} soft_rows;

static void soft_rows_range(void *ctx, int64_t b, int64_t e) {
    const soft_rows *j = ctx;
    for (int64_t r = b; r < e; r++)
        j->fn(j->out + r * j->n * j->sz, j->in + r * j->n * j->sz, j->n);
}

typedef struct soft_apply {
    mxi_softmax_apply_fn fn;
    mxi_strided it; /* operands: input, statistics (pairs), output */
    const char *in;
    const char *st;
    char *out;
    int64_t isz, csz;
} soft_apply;

static void soft_apply_range(void *ctx, int64_t b, int64_t e) {
    const soft_apply *j = ctx;
    const mxi_strided *it = &j->it;
    int d = it->ndim - 1;
    mxi_strided_pos p;
    mxi_strided_seek(it, &p, b);
    for (int64_t i = b; i < e;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > e - i) run = e - i;
        j->fn(j->out + p.off[2] * j->isz, j->in + p.off[0] * j->isz, run, it->strides[0][d],
              j->st + 2 * p.off[1] * j->csz, it->strides[1][d]);
        i += run;
        mxi_strided_advance(it, &p, run);
    }
}

/* Whether the reduced axes are the trailing ones of a row-contiguous input,
 * so that each output of the reduction is one contiguous row. */
static bool trailing_rows(const mx_array *in, const mxi_softmax_params *p, int64_t *row) {
    if (!(in->flags & MXI_ROW_CONTIGUOUS) || p->naxes == 0) return false;
    *row = 1;
    for (int i = 0; i < p->naxes; i++) {
        if (p->axes[i] != in->ndim - p->naxes + i) return false;
        *row *= in->shape[p->axes[i]];
    }
    return true;
}

static int softmax_complex(mx_array *in, mx_array *out, const mxi_softmax_params *p) {
    int64_t ostr[MXI_STRIDED_MAX_DIMS];
    if (in->ndim > MXI_STRIDED_MAX_DIMS)
        return mxi_error(MX_ERR_VALUE, "[softmax] too many dimensions");
    mxi_row_strides(ostr, out->shape, out->ndim);
    zjob j = {.in = mxi_data(in), .out = mxi_data(out)};
    const int64_t *st[2] = {in->strides, ostr};
    int rc = mxi_reduce_split_init(&j.sp, in->shape, st, 2, in->ndim, p->axes, p->naxes, "softmax");
    if (rc != MX_OK) return rc;
    run(j.sp.n_out, 24 * j.sp.n_red, zsoftmax_range, &j);
    return MX_OK;
}

int mxi_cpu_softmax(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_softmax_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_or_donate(out, inputs, 1);
    if (rc != MX_OK || out->size == 0) return rc;
    if (in->dtype == MX_COMPLEX64) return softmax_complex(in, out, p);
    const mxi_reduce_table *t = mxi_reduce_kernels();
    int64_t sz = mx_dtype_size(in->dtype), row;
    if (trailing_rows(in, p, &row)) {
        soft_rows j = {t->softmax[in->dtype], mxi_data(in), mxi_data(out), row, sz};
        run(in->size / row, 3 * row, soft_rows_range, &j);
        return MX_OK;
    }
    /* Statistics per output of the reduction, then the elementwise pass. */
    int64_t n_out = 1;
    for (int d = 0, ai = 0; d < in->ndim; d++) {
        if (ai < p->naxes && p->axes[ai] == d)
            ai++;
        else
            n_out *= in->shape[d];
    }
    double *stats = malloc((size_t)n_out * 2 * sizeof(double));
    if (!stats) return mxi_error(MX_ERR_MEMORY, "[softmax] out of memory for the statistics");
    rc = mxi_lse_stats_strided(stats, mxi_data(in), in->dtype, in->shape, in->strides, in->ndim,
                               p->axes, p->naxes);
    if (rc != MX_OK) {
        free(stats);
        return rc;
    }
    /* {m, s} -> {m, 1 / s} in the compute type, in place. */
    bool f64 = in->dtype == MX_FLOAT64;
    int64_t csz = f64 ? 8 : 4;
    for (int64_t o = 0; o < n_out; o++) {
        double m = stats[2 * o], inv = 1.0 / stats[2 * o + 1];
        if (f64) {
            stats[2 * o + 1] = inv;
        } else {
            float *f = (float *)stats;
            f[2 * o] = (float)m;
            f[2 * o + 1] = (float)inv;
        }
    }
    /* Strides of the statistics over the input's shape: row-major over the
     * kept axes, 0 over the reduced ones. */
    int nd = in->ndim;
    int64_t sst[MXI_STRIDED_MAX_DIMS], ost[MXI_STRIDED_MAX_DIMS];
    if (nd > MXI_STRIDED_MAX_DIMS) {
        free(stats);
        return mxi_error(MX_ERR_VALUE, "[softmax] too many dimensions");
    }
    mxi_row_strides(ost, out->shape, nd);
    int64_t acc = 1;
    for (int d = nd - 1, ai = p->naxes - 1; d >= 0; d--) {
        if (ai >= 0 && p->axes[ai] == d) {
            sst[d] = 0;
            ai--;
        } else {
            sst[d] = acc;
            acc *= in->shape[d];
        }
    }
    soft_apply j = {.fn = t->softmax_apply[in->dtype],
                    .in = mxi_data(in),
                    .st = (const char *)stats,
                    .out = mxi_data(out),
                    .isz = sz,
                    .csz = csz};
    const int64_t *ops[3] = {in->strides, sst, ost};
    rc = mxi_strided_init(&j.it, in->shape, nd, ops, 3, "softmax");
    if (rc == MX_OK) run(in->size, 1, soft_apply_range, &j);
    free(stats);
    return rc;
}
