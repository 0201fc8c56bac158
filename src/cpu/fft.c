/*
 * FFT: transforms along each listed axis in turn, each axis applied to
 * every line of the array along it (any strides: a line is copied into a
 * split-complex scratch buffer, transformed, and written back scaled).
 * Lines go eight at a time (lanes, see fft_kernels.inc) and are split over
 * the thread pool; the plan for the axis length comes from the plan cache
 * and is shared.
 *
 * Order, as MLX: a real forward transform does the real axis (the last
 * listed) first, input to output, then the complex axes in place in the
 * output; a complex transform does the first axis input to output and the
 * rest in place; a real inverse does the complex axes (input to a
 * temporary, then in place) and the real axis last, into the output. Only
 * the last pass applies the norm's scale. Each line is read whole before it
 * is written, so passes in place (and a donated input buffer) are safe.
 */
#include <stdlib.h>
#include <string.h>

#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "fft_plan.h"
#define MXI_KERNELS_DECLARE_ONLY
#include "fft_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY
#include "cpu/simd.h"
#include "primitives/params_fft.h"
#include "strided.h"

static const void *const fft_tables[MXI_SIMD_LEVELS] = MXI_SIMD_TABLES(fft);

/* Longest transform run eight at a time. */
#define FFT_LANES_MAX_N MXI_FFT_FOUR_STEP_N

typedef enum { PASS_C2C, PASS_R2C, PASS_C2R } pass_kind;

typedef struct fft_pass {
    pass_kind kind;
    bool inverse;
    const float *in; /* element 0; complex elements are two floats */
    float *out;
    int64_t in_s, out_s; /* strides along the axis, in elements */
    int64_t n;           /* transform length */
    mxi_strided lines;   /* the other axes: input and output offsets */
    const mxi_fft_plan *plan;
    const mxi_fft_rplan *rplan;
    float scale;
    int lanes;      /* MXI_FFT_LANES, or 1 for long transforms */
    int64_t work;   /* floats of scratch per task */
    int64_t ntasks; /* tasks, each with work floats of scratch */
    float *scratch;
} fft_pass;

/* Whether the L complex lines start at consecutive elements. */
static bool lanes_adjacent(const float *const *x, int L) {
    for (int l = 1; l < L; l++)
        if (x[l] != x[0] + 2 * l) return false;
    return true;
}

/* Complex transforms of L lines: copied in (conjugated for the inverse),
 * transformed, copied out scaled (conjugated back). */
static void c2c_group(const fft_pass *ps, int L, const float *const *x, float *const *y,
                      float *buf) {
    int64_t n = ps->n;
    float *re = buf, *im = buf + n * L, *work = buf + 2 * n * L;
    float sign = ps->inverse ? -1.0f : 1.0f;
    float sr = ps->scale, si = ps->scale * sign;
    int64_t is = 2 * ps->in_s, os = 2 * ps->out_s;
    const mxi_fft_table *t = mxi_simd_pick(fft_tables);
    if (L > 1 && lanes_adjacent(x, L))
        t->gather_adj(re, im, x[0], n, is, sign);
    else
        t->gather2(re, im, x, L, n, is, 1, 1.0f, sign);
    mxi_fft_exec(ps->plan, re, im, work, L);
    if (L > 1 && lanes_adjacent((const float *const *)y, L))
        t->scatter_adj(y[0], re, im, n, os, sr, si);
    else
        t->scatter2(y, re, im, L, n, os, 1, sr, si);
}

/* Lines [b, e), `lanes` at a time while that many are left. */
static void run_lines(fft_pass *ps, int64_t b, int64_t e, float *buf) {
    int in_w = ps->kind == PASS_R2C ? 1 : 2, out_w = ps->kind == PASS_C2R ? 1 : 2;
    mxi_strided_pos p;
    mxi_strided_seek(&ps->lines, &p, b);
    for (int64_t l = b; l < e;) {
        int L = e - l >= ps->lanes ? ps->lanes : 1;
        const float *x[MXI_FFT_LANES];
        float *y[MXI_FFT_LANES];
        for (int i = 0; i < L; i++) {
            x[i] = ps->in + in_w * p.off[0];
            y[i] = ps->out + out_w * p.off[1];
            mxi_strided_advance(&ps->lines, &p, 1);
        }
        if (ps->kind == PASS_C2C)
            c2c_group(ps, L, x, y, buf);
        else if (ps->kind == PASS_R2C)
            mxi_fft_r2c(ps->rplan, L, x, ps->in_s, y, ps->out_s, ps->scale, buf);
        else
            mxi_fft_c2r(ps->rplan, L, x, ps->in_s, y, ps->out_s, ps->scale, buf);
        l += L;
    }
}

/* Task t: its share of the groups of lanes, with its own scratch (one
 * allocation per pass: per-task allocations of this size would be fresh
 * pages from the system every time). */
static void pass_tasks(void *ctx, int64_t tb, int64_t te) {
    fft_pass *ps = ctx;
    int64_t groups = (ps->lines.size + ps->lanes - 1) / ps->lanes;
    for (int64_t t = tb; t < te; t++) {
        int64_t gb = groups * t / ps->ntasks, ge = groups * (t + 1) / ps->ntasks;
        int64_t b = gb * ps->lanes, e = ge * ps->lanes;
        if (e > ps->lines.size) e = ps->lines.size;
        if (b < e) run_lines(ps, b, e, ps->scratch + t * ps->work);
    }
}

/* One pass along `axis` over arrays of `shape` (the input's; the output
 * differs only along the axis). */
static int run_pass(pass_kind kind, bool inverse, int axis, int64_t n, const float *in,
                    const int32_t *in_shape, const int64_t *in_strides, float *out,
                    const int64_t *out_strides, int ndim, float scale) {
    fft_pass ps = {.kind = kind,
                   .inverse = inverse,
                   .in = in,
                   .out = out,
                   .in_s = in_strides[axis],
                   .out_s = out_strides[axis],
                   .n = n,
                   .scale = scale};
    int32_t shape[64];
    memcpy(shape, in_shape, sizeof(int32_t) * (size_t)ndim);
    shape[axis] = 1;
    const int64_t *ops[2] = {in_strides, out_strides};
    int rc = mxi_strided_init(&ps.lines, shape, ndim, ops, 2, "fft");
    if (rc) return rc;
    if (ps.lines.size == 0) return MX_OK;
    /* Eight lanes while their scratch stays modest; very long transforms
     * run one at a time. */
    ps.lanes = n <= FFT_LANES_MAX_N ? MXI_FFT_LANES : 1;
    void *handle;
    if (kind == PASS_C2C) {
        mxi_fft_plan_ref r = mxi_fft_plan_get(n);
        if (!r.plan) return MX_ERR_MEMORY;
        ps.plan = r.plan, handle = r.handle;
        ps.work = ps.lanes * (2 * n + r.plan->work);
    } else {
        mxi_fft_rplan_ref r = mxi_fft_rplan_get(n);
        if (!r.plan) return MX_ERR_MEMORY;
        ps.rplan = r.plan, handle = r.handle;
        ps.work = mxi_fft_rplan_work(r.plan, ps.lanes);
    }
    if (ps.work < 1) ps.work = 1;
    /* Tasks of about 16k points or more, a few per thread for balance
     * (one per thread for very long transforms). */
    int64_t groups = (ps.lines.size + ps.lanes - 1) / ps.lanes;
    int64_t per = 16384 / (n * ps.lanes) + 1;
    int64_t nt = (groups + per - 1) / per;
    int64_t cap = (int64_t)mxi_num_threads() * (n <= FFT_LANES_MAX_N ? 4 : 1);
    ps.ntasks = nt < cap ? nt : cap;
    if (ps.ntasks < 1) ps.ntasks = 1;
    ps.scratch = malloc(sizeof(float) * (size_t)(ps.work * ps.ntasks));
    if (!ps.scratch) {
        mxi_fft_plan_release(handle);
        return mxi_error(MX_ERR_MEMORY, "[fft] out of memory for scratch buffers");
    }
    mxi_parallel_for(ps.ntasks, 1, pass_tasks, &ps);
    free(ps.scratch);
    mxi_fft_plan_release(handle);
    return MX_OK;
}

int mxi_cpu_fft(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_fft_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int nd = in->ndim, na = p->naxes;
    if (nd > 64) return mxi_error(MX_ERR_VALUE, "[fft] too many dimensions");
    bool c2c = !p->real;
    int rc = c2c ? mxi_alloc_or_donate(out, inputs, 1) : mxi_alloc_data(out);
    if (rc) return rc;
    if (out->size == 0 || in->size == 0) return MX_OK;
    float scale = (float)p->scale;
    const float *x = mxi_data(in);
    float *y = mxi_data(out);
    if (c2c) {
        for (int i = 0; i < na && !rc; i++) {
            int ax = p->axes[i];
            const float *src = i == 0 ? x : y;
            const int64_t *sst = i == 0 ? in->strides : out->strides;
            rc = run_pass(PASS_C2C, p->inverse, ax, out->shape[ax], src, out->shape, sst, y,
                          out->strides, nd, i == na - 1 ? scale : 1.0f);
        }
        return rc;
    }
    int last = p->axes[na - 1];
    if (!p->inverse) {
        rc = run_pass(PASS_R2C, false, last, in->shape[last], x, in->shape, in->strides, y,
                      out->strides, nd, na == 1 ? scale : 1.0f);
        for (int i = 0; i < na - 1 && !rc; i++) {
            int ax = p->axes[i];
            rc = run_pass(PASS_C2C, false, ax, out->shape[ax], y, out->shape, out->strides, y,
                          out->strides, nd, i == na - 2 ? scale : 1.0f);
        }
        return rc;
    }
    /* Real inverse: complex axes into a row-major temporary of the input's
     * shape, then the real axis. */
    const float *src = x;
    const int64_t *sst = in->strides;
    float *tmp = NULL;
    int64_t tst[64];
    if (na > 1) {
        tmp = malloc(sizeof(float) * 2 * (size_t)in->size);
        if (!tmp) return mxi_error(MX_ERR_MEMORY, "[fft] out of memory for a temporary");
        mxi_row_strides(tst, in->shape, nd);
        for (int i = 0; i < na - 1 && !rc; i++) {
            int ax = p->axes[i];
            rc = run_pass(PASS_C2C, true, ax, in->shape[ax], i == 0 ? x : tmp, in->shape,
                          i == 0 ? in->strides : tst, tmp, tst, nd, 1.0f);
        }
        src = tmp, sst = tst;
    }
    if (!rc)
        rc = run_pass(PASS_C2R, true, last, out->shape[last], src, in->shape, sst, y, out->strides,
                      nd, scale);
    free(tmp);
    return rc;
}
