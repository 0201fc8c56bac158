/*
 * Reductions (sum, prod, min, max, all/and, any/or, and the log-sum-exp
 * accumulators behind LogSumExp and Softmax) over any set of axes of an
 * input with any strides; also the Trace kernel (a sum over a strided
 * diagonal view).
 *
 * The input's axes split into kept ones (the output's, in order) and reduced
 * ones (ordered by decreasing stride, so the innermost reduced axis is the
 * one with the smallest step), each group collapsed. Two strategies:
 * - per output: each output element folds its reduced elements, walking
 *   runs along the innermost reduced axis (one vector loop per run when the
 *   run is contiguous: the row-sum case);
 * - columns: when the innermost kept axis is contiguous in the input and
 *   the reduced axes are not, a row of accumulators is folded with each
 *   reduced position at once (the sum-over-a-batch case), vectorised across
 *   the kept axis.
 * Work is split over output elements, and when there are few outputs and
 * many reduced elements, also over fixed blocks of the reduced range whose
 * partial results are combined in order afterwards. Block boundaries depend
 * only on the sizes, never on the thread count, so results are the same
 * whatever the number of threads.
 */
#include "strided.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "core/array_impl.h"
#include "cmlx/dtype_info.h"
#include "core/error.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "cpu/simd.h"
#include "primitives/params_reduce.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "reduce_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const reduce_tables[MXI_SIMD_LEVELS] = MXI_SIMD_TABLES(reduce);

/* Reduced elements per block when one output's reduction is split. */
#define REDUCE_SPLIT 65536
/* Below this many output units a big reduction is also split over its
 * reduced range. */
#define REDUCE_FEW_UNITS 16
/* Bytes of accumulators per column task, on the stack: whole rows up to
 * 4096 columns of 8-byte accumulators, so each reduced position is read as
 * one long contiguous run. */
/* Most blocks a column reduction is split into. */
#define REDUCE_MAX_BLOCKS 32
#define REDUCE_ACC_BYTES  32768

typedef union racc {
    uint64_t u;
    int64_t i;
    float f;
    double d;
    float _Complex c;
    double c2[2];
    double lse[2]; /* running maximum, sum of exp(x - maximum) */
    uint8_t b;
} racc;

typedef struct reduce_job {
    int type;
    mxi_racc_class cls;
    mx_dtype in_dtype, out_dtype;
    int64_t isz, osz, asz;
    mxi_reduce_row_fn row;
    mxi_reduce_col_fn col;
    racc id;
    const char *in;
    char *out;
    mxi_strided kit, rit; /* kept and reduced axes, input strides */
    int64_t n_out, n_red;
    int64_t nb, rblock; /* blocks per unit over the reduced range */
    /* columns */
    int64_t kn, width, nchunks, units;
    /* partial results when nb > 1 */
    unsigned char *partials;
    /* store the accumulators themselves, not the values they give */
    bool raw;
} reduce_job;

static const char *reduce_name(int type) {
    switch (type) {
    case MXI_REDUCE_AND:
        return "all";
    case MXI_REDUCE_OR:
        return "any";
    case MXI_REDUCE_SUM:
        return "sum";
    case MXI_REDUCE_PROD:
        return "prod";
    case MXI_REDUCE_MIN:
        return "min";
    case MXI_REDUCE_MAX:
        return "max";
    case MXI_REDUCE_LOGSUMEXP:
        return "logsumexp";
    default:
        return "reduce";
    }
}

static mx_dtype racc_dtype(mxi_racc_class c) {
    switch (c) {
    case MXI_RACC_U64:
        return MX_UINT64;
    case MXI_RACC_I64:
        return MX_INT64;
    case MXI_RACC_F32:
        return MX_FLOAT32;
    case MXI_RACC_F64:
        return MX_FLOAT64;
    case MXI_RACC_BOOL:
        return MX_BOOL;
    default:
        return MX_COMPLEX64;
    }
}

/* Largest and smallest values of integer dtypes, for min/max identities. */
static void int_limits(mx_dtype dt, int64_t *lo, uint64_t *hi) {
    mx_iinfo info;
    if (mx_dtype_is_integer(dt) && mx_iinfo_get(&info, dt) == MX_OK) {
        *lo = info.min, *hi = info.max;
    } else {
        *lo = INT64_MIN, *hi = INT64_MAX;
    }
}

static racc racc_identity(int type, mxi_racc_class cls, mx_dtype dt) {
    racc a;
    memset(&a, 0, sizeof a);
    int64_t lo;
    uint64_t hi;
    int_limits(dt, &lo, &hi);
    switch (type) {
    case MXI_REDUCE_AND:
        a.b = 1;
        break;
    case MXI_REDUCE_PROD:
        if (cls == MXI_RACC_U64) a.u = 1;
        if (cls == MXI_RACC_F32) a.f = 1;
        if (cls == MXI_RACC_F64) a.d = 1;
        if (cls == MXI_RACC_C64) a.c = 1;
        break;
    case MXI_REDUCE_LOGSUMEXP:
        a.lse[0] = -__builtin_inf();
        break;
    case MXI_REDUCE_MIN:
        if (cls == MXI_RACC_C64) a.c = CMPLXF(__builtin_inff(), __builtin_inff());
        if (cls == MXI_RACC_BOOL) a.b = 1;
        if (cls == MXI_RACC_U64) a.u = hi;
        if (cls == MXI_RACC_I64) a.i = (int64_t)hi;
        if (cls == MXI_RACC_F32) a.f = __builtin_inff();
        if (cls == MXI_RACC_F64) a.d = __builtin_inf();
        break;
    case MXI_REDUCE_MAX:
        if (cls == MXI_RACC_C64) a.c = CMPLXF(-__builtin_inff(), -__builtin_inff());
        if (cls == MXI_RACC_U64) a.u = 0;
        if (cls == MXI_RACC_I64) a.i = lo;
        if (cls == MXI_RACC_F32) a.f = -__builtin_inff();
        if (cls == MXI_RACC_F64) a.d = -__builtin_inf();
        break;
    default:
        break; /* or, sum: zero */
    }
    return a;
}

#define NANPICK(cond, m, v) ((cond) || (v) != (v) ? (v) : (m))
/* Whether complex v comes before m, ordered by real part then imaginary. */
#define CLESS(v, m) (crealf(v) < crealf(m) || (crealf(v) == crealf(m) && cimagf(v) < cimagf(m)))
#define CISNAN(c)   (isnan(crealf(c)) || isnan(cimagf(c)))
/* Whether complex v replaces accumulator m: a NaN element wins, the first one stays. */
#define CTAKE(m, v, before) (!CISNAN(m) && (CISNAN(v) || before))

/* *a = *a <op> *b for one accumulator. */
static void racc_combine(int type, mxi_racc_class cls, racc *a, const racc *b) {
    switch (type) {
    case MXI_REDUCE_AND:
        a->b &= b->b;
        return;
    case MXI_REDUCE_OR:
        a->b |= b->b;
        return;
    case MXI_REDUCE_SUM:
        if (cls == MXI_RACC_U64) a->u += b->u;
        if (cls == MXI_RACC_F64) a->d += b->d;
        if (cls == MXI_RACC_C128) a->c2[0] += b->c2[0], a->c2[1] += b->c2[1];
        return;
    case MXI_REDUCE_PROD:
        if (cls == MXI_RACC_U64) a->u *= b->u;
        if (cls == MXI_RACC_F32) a->f *= b->f;
        if (cls == MXI_RACC_F64) a->d *= b->d;
        if (cls == MXI_RACC_C64) a->c = a->c * b->c;
        return;
    case MXI_REDUCE_MIN:
        if (cls == MXI_RACC_BOOL) a->b &= b->b;
        if (cls == MXI_RACC_U64) a->u = b->u < a->u ? b->u : a->u;
        if (cls == MXI_RACC_I64) a->i = b->i < a->i ? b->i : a->i;
        if (cls == MXI_RACC_F32) a->f = NANPICK(b->f < a->f, a->f, b->f);
        if (cls == MXI_RACC_F64) a->d = NANPICK(b->d < a->d, a->d, b->d);
        if (cls == MXI_RACC_C64 && CTAKE(a->c, b->c, CLESS(b->c, a->c))) a->c = b->c;
        return;
    case MXI_REDUCE_MAX:
        if (cls == MXI_RACC_BOOL) a->b |= b->b;
        if (cls == MXI_RACC_U64) a->u = b->u > a->u ? b->u : a->u;
        if (cls == MXI_RACC_I64) a->i = b->i > a->i ? b->i : a->i;
        if (cls == MXI_RACC_F32) a->f = NANPICK(b->f > a->f, a->f, b->f);
        if (cls == MXI_RACC_F64) a->d = NANPICK(b->d > a->d, a->d, b->d);
        if (cls == MXI_RACC_C64 && CTAKE(a->c, b->c, CLESS(a->c, b->c))) a->c = b->c;
        return;
    case MXI_REDUCE_LOGSUMEXP:
        mxi_lse_combine(a->lse, b->lse[0], b->lse[1]);
        return;
    default:
        return;
    }
}

/* a[i] = a[i] <op> b[i] for n packed accumulators. */
static void racc_combine_row(int type, mxi_racc_class cls, int64_t asz, unsigned char *a,
                             const unsigned char *b, int64_t n) {
    /* Typed loops for the common cases (the partial rows of a split column
     * reduction can be large); the generic path for the rest. */
    if (cls == MXI_RACC_F64 &&
        (type == MXI_REDUCE_SUM || type == MXI_REDUCE_MAX || type == MXI_REDUCE_MIN)) {
        double *x = (double *)a;
        const double *y = (const double *)b;
        if (type == MXI_REDUCE_SUM)
            for (int64_t i = 0; i < n; i++) x[i] += y[i];
        else if (type == MXI_REDUCE_MAX)
            for (int64_t i = 0; i < n; i++) x[i] = NANPICK(y[i] > x[i], x[i], y[i]);
        else
            for (int64_t i = 0; i < n; i++) x[i] = NANPICK(y[i] < x[i], x[i], y[i]);
        return;
    }
    if (cls == MXI_RACC_F32 && (type == MXI_REDUCE_MAX || type == MXI_REDUCE_MIN)) {
        float *x = (float *)a;
        const float *y = (const float *)b;
        if (type == MXI_REDUCE_MAX)
            for (int64_t i = 0; i < n; i++) x[i] = NANPICK(y[i] > x[i], x[i], y[i]);
        else
            for (int64_t i = 0; i < n; i++) x[i] = NANPICK(y[i] < x[i], x[i], y[i]);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        racc x, y;
        memset(&x, 0, sizeof x);
        memset(&y, 0, sizeof y);
        memcpy(&x, a + i * asz, (size_t)asz);
        memcpy(&y, b + i * asz, (size_t)asz);
        racc_combine(type, cls, &x, &y);
        memcpy(a + i * asz, &x, (size_t)asz);
    }
}

static void racc_load(racc *a, const unsigned char *p, int64_t asz) {
    memset(a, 0, sizeof *a);
    memcpy(a, p, (size_t)asz);
}

/* Writes n accumulators (packed, asz bytes each) as out_dtype. */
static void racc_store_row(const reduce_job *j, char *dst, const void *acc, int64_t n) {
    if (j->raw) {
        memcpy(dst, acc, (size_t)(n * j->asz));
        return;
    }
    if (j->cls == MXI_RACC_LSE) {
        const double *a = acc;
        for (int64_t i = 0; i < n; i++) {
            double m = a[2 * i], v = isinf(m) || isnan(m) ? m : m + log(a[2 * i + 1]);
            mxi_convert_element(dst + i * j->osz, j->out_dtype, &v, MX_FLOAT64);
        }
        return;
    }
    if (j->cls != MXI_RACC_C128) {
        if (n == 1)
            mxi_convert_element(dst, j->out_dtype, acc, racc_dtype(j->cls));
        else
            mxi_convert_contiguous(dst, j->out_dtype, acc, racc_dtype(j->cls), n);
        return;
    }
    const double *a = acc;
    for (int64_t i = 0; i < n; i++) {
        float _Complex c = CMPLXF((float)a[2 * i], (float)a[2 * i + 1]);
        mxi_convert_element(dst + i * j->osz, j->out_dtype, &c, MX_COMPLEX64);
    }
}

/* ---- per output ---- */

/* Folds reduced positions [rb, re) of the output whose input offset is base
 * into *acc. */
static void reduce_span(const reduce_job *j, int64_t base, int64_t rb, int64_t re, racc *acc) {
    const mxi_strided *rit = &j->rit;
    int64_t rs = rit->strides[0][rit->ndim - 1];
    mxi_strided_pos q;
    mxi_strided_seek(rit, &q, rb);
    for (int64_t r = rb; r < re;) {
        int64_t run = mxi_strided_row_left(rit, &q);
        if (run > re - r) run = re - r;
        j->row(j->in + (base + q.off[0]) * j->isz, run, rs, acc);
        r += run;
        mxi_strided_advance(rit, &q, run);
    }
}

static void reduce_outputs(void *ctx, int64_t ob, int64_t oe) {
    const reduce_job *j = ctx;
    mxi_strided_pos p;
    mxi_strided_seek(&j->kit, &p, ob);
    for (int64_t o = ob; o < oe; o++) {
        racc acc = j->id;
        reduce_span(j, p.off[0], 0, j->n_red, &acc);
        racc_store_row(j, j->out + o * j->osz, &acc, 1);
        mxi_strided_advance(&j->kit, &p, 1);
    }
}

/* Task t is block t % nb of output t / nb; its partial goes to partials. */
static void reduce_output_blocks(void *ctx, int64_t tb, int64_t te) {
    const reduce_job *j = ctx;
    for (int64_t t = tb; t < te; t++) {
        int64_t o = t / j->nb, b = t % j->nb;
        int64_t rb = b * j->rblock, re = rb + j->rblock < j->n_red ? rb + j->rblock : j->n_red;
        mxi_strided_pos p;
        mxi_strided_seek(&j->kit, &p, o);
        racc acc = j->id;
        reduce_span(j, p.off[0], rb, re, &acc);
        memcpy(j->partials + t * j->asz, &acc, (size_t)j->asz);
    }
}

/* ---- columns ---- */

static void fill_identity(const reduce_job *j, unsigned char *acc, int64_t n) {
    /* One element, then doubling copies: a few memcpy calls, not n. */
    if (n <= 0) return;
    int64_t bytes = n * j->asz, have = j->asz;
    memcpy(acc, &j->id, (size_t)j->asz);
    while (have < bytes) {
        int64_t c = have < bytes - have ? have : bytes - have;
        memcpy(acc + have, acc, (size_t)c);
        have += c;
    }
}

/* Task t is reduced block t % nb of unit t / nb, a unit being up to
 * `width` columns of one outer kept index. */
static void reduce_columns(void *ctx, int64_t tb, int64_t te) {
    const reduce_job *j = ctx;
    _Alignas(64) unsigned char acc[REDUCE_ACC_BYTES];
    const mxi_strided *rit = &j->rit;
    int64_t rs = rit->strides[0][rit->ndim - 1];
    for (int64_t t = tb; t < te; t++) {
        int64_t u = t / j->nb, b = t % j->nb;
        int64_t outer = u / j->nchunks, c0 = (u % j->nchunks) * j->width;
        int64_t len = j->kn - c0 < j->width ? j->kn - c0 : j->width;
        int64_t rb = b * j->rblock, re = rb + j->rblock < j->n_red ? rb + j->rblock : j->n_red;
        mxi_strided_pos p, q;
        mxi_strided_seek(&j->kit, &p, outer * j->kn);
        const char *base = j->in + (p.off[0] + c0) * j->isz;
        fill_identity(j, acc, len);
        mxi_strided_seek(rit, &q, rb);
        for (int64_t r = rb; r < re;) {
            int64_t run = mxi_strided_row_left(rit, &q);
            if (run > re - r) run = re - r;
            j->col(acc, base + q.off[0] * j->isz, len, run, rs);
            r += run;
            mxi_strided_advance(rit, &q, run);
        }
        if (j->nb == 1)
            racc_store_row(j, j->out + (outer * j->kn + c0) * j->osz, acc, len);
        else
            memcpy(j->partials + t * j->width * j->asz, acc, (size_t)(len * j->asz));
    }
}

/* ---- driver ---- */

static void sort_by_stride_desc(int64_t *shape, int64_t *strides, int n) {
    for (int i = 1; i < n; i++) {
        int64_t sh = shape[i], st = strides[i], ast = st < 0 ? -st : st;
        int k = i - 1;
        while (k >= 0 && (strides[k] < 0 ? -strides[k] : strides[k]) < ast) {
            shape[k + 1] = shape[k];
            strides[k + 1] = strides[k];
            k--;
        }
        shape[k + 1] = sh;
        strides[k + 1] = st;
    }
}

static int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

static void run_tasks(int64_t n, int64_t work_per_task, mxi_range_fn fn, void *ctx) {
    if (n * work_per_task < 2 * MXI_ELEMWISE_GRAIN) {
        fn(ctx, 0, n);
        return;
    }
    int64_t grain = MXI_ELEMWISE_GRAIN / (work_per_task > 0 ? work_per_task : 1);
    mxi_parallel_for(n, grain > 0 ? grain : 1, fn, ctx);
}

static int reduce_per_output(reduce_job *j) {
    j->nb = 1;
    if (j->n_out < REDUCE_FEW_UNITS && j->n_red >= 4 * REDUCE_SPLIT)
        j->nb = ceil_div(j->n_red, REDUCE_SPLIT);
    if (j->nb == 1) {
        run_tasks(j->n_out, j->n_red, reduce_outputs, j);
        return MX_OK;
    }
    j->rblock = REDUCE_SPLIT;
    int64_t tasks = j->n_out * j->nb;
    j->partials = malloc((size_t)(tasks * j->asz));
    if (!j->partials)
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory for partial results",
                         reduce_name(j->type));
    run_tasks(tasks, j->rblock, reduce_output_blocks, j);
    for (int64_t o = 0; o < j->n_out; o++) {
        racc acc, part;
        racc_load(&acc, j->partials + o * j->nb * j->asz, j->asz);
        for (int64_t b = 1; b < j->nb; b++) {
            racc_load(&part, j->partials + (o * j->nb + b) * j->asz, j->asz);
            racc_combine(j->type, j->cls, &acc, &part);
        }
        racc_store_row(j, j->out + o * j->osz, &acc, 1);
    }
    free(j->partials);
    return MX_OK;
}

static int reduce_by_columns(reduce_job *j) {
    j->kn = j->kit.shape[j->kit.ndim - 1];
    j->width = j->kn < REDUCE_ACC_BYTES / j->asz ? j->kn : REDUCE_ACC_BYTES / j->asz;
    j->nchunks = ceil_div(j->kn, j->width);
    j->units = j->n_out / j->kn * j->nchunks;
    j->nb = 1;
    if (j->units < REDUCE_FEW_UNITS && j->n_red * j->width >= 4 * REDUCE_SPLIT) {
        /* At most REDUCE_MAX_BLOCKS blocks, and no more than 4 MiB of partial rows. */
        int64_t nb = ceil_div(j->n_red * j->width, REDUCE_SPLIT);
        int64_t cap = (4 << 20) / (j->units * j->width * j->asz);
        if (nb > REDUCE_MAX_BLOCKS) nb = REDUCE_MAX_BLOCKS;
        if (nb > cap) nb = cap;
        if (nb > 1) j->nb = nb;
    }
    j->rblock = ceil_div(j->n_red, j->nb);
    j->nb = ceil_div(j->n_red, j->rblock);
    if (j->nb == 1) {
        run_tasks(j->units, j->n_red * j->width, reduce_columns, j);
        return MX_OK;
    }
    int64_t tasks = j->units * j->nb;
    j->partials = malloc((size_t)(tasks * j->width * j->asz));
    if (!j->partials)
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory for partial results",
                         reduce_name(j->type));
    run_tasks(tasks, j->rblock * j->width, reduce_columns, j);
    for (int64_t u = 0; u < j->units; u++) {
        int64_t outer = u / j->nchunks, c0 = (u % j->nchunks) * j->width;
        int64_t len = j->kn - c0 < j->width ? j->kn - c0 : j->width;
        unsigned char *first = j->partials + u * j->nb * j->width * j->asz;
        for (int64_t b = 1; b < j->nb; b++)
            racc_combine_row(j->type, j->cls, j->asz, first, first + b * j->width * j->asz, len);
        racc_store_row(j, j->out + (outer * j->kn + c0) * j->osz, first, len);
    }
    free(j->partials);
    return MX_OK;
}

static int reduce_strided(int type, bool raw, void *out, mx_dtype out_dtype, const void *in,
                          mx_dtype in_dtype, const int32_t *shape, const int64_t *in_strides,
                          int ndim, const int32_t *axes, int naxes) {
    const char *name = reduce_name(type);
    if (type < 0 || type >= MXI_REDUCE_TYPES)
        return mxi_error(MX_ERR_RUNTIME, "[reduce] unknown reduction %d", type);
    mxi_racc_class cls = mxi_racc_class_of(type, in_dtype);
    if (cls == MXI_RACC_NONE)
        return mxi_error(MX_ERR_TYPE, "[%s] not supported for %s inputs", name,
                         mx_dtype_name(in_dtype));

    int64_t kshape[MXI_STRIDED_MAX_DIMS], kstr[MXI_STRIDED_MAX_DIMS];
    int64_t rshape[MXI_STRIDED_MAX_DIMS], rstr[MXI_STRIDED_MAX_DIMS];
    int nk = 0, nr = 0, ai = 0;
    int64_t n_out = 1, n_red = 1;
    for (int d = 0; d < ndim; d++) {
        bool reduced = ai < naxes && axes[ai] == d;
        if (reduced) ai++;
        if (reduced)
            n_red *= shape[d];
        else
            n_out *= shape[d];
        if (shape[d] <= 1) continue;
        if ((reduced ? nr : nk) == MXI_STRIDED_MAX_DIMS)
            return mxi_error(MX_ERR_VALUE, "[%s] more than %d axes longer than 1", name,
                             MXI_STRIDED_MAX_DIMS);
        if (reduced) {
            rshape[nr] = shape[d];
            rstr[nr++] = in_strides[d];
        } else {
            kshape[nk] = shape[d];
            kstr[nk++] = in_strides[d];
        }
    }
    if (n_out == 0) return MX_OK;

    reduce_job j;
    memset(&j, 0, sizeof j);
    j.type = type;
    j.cls = cls;
    j.in_dtype = in_dtype;
    j.out_dtype = out_dtype;
    j.isz = mx_dtype_size(in_dtype);
    j.asz = mxi_racc_size(cls);
    j.raw = raw;
    j.osz = raw ? j.asz : mx_dtype_size(out_dtype);
    j.id = racc_identity(type, cls, in_dtype);
    j.in = in;
    j.out = out;
    j.n_out = n_out;
    j.n_red = n_red;

    if (n_red == 0) {
        /* Empty reductions give the identity. */
        unsigned char v[16];
        racc_store_row(&j, (char *)v, &j.id, 1);
        for (int64_t o = 0; o < n_out; o++) memcpy(j.out + o * j.osz, v, (size_t)j.osz);
        return MX_OK;
    }

    sort_by_stride_desc(rshape, rstr, nr);
    const int64_t *ks[1] = {kstr}, *rs[1] = {rstr};
    int rc = mxi_strided_init64(&j.kit, kshape, nk, ks, 1, name);
    if (rc == MX_OK) rc = mxi_strided_init64(&j.rit, rshape, nr, rs, 1, name);
    if (rc != MX_OK) return rc;

    const mxi_reduce_table *t = mxi_simd_pick(reduce_tables);
    j.row = t->row[type][in_dtype];
    j.col = t->col[type][in_dtype];

    int64_t kstride = j.kit.strides[0][j.kit.ndim - 1];
    int64_t rstride = j.rit.strides[0][j.rit.ndim - 1];
    if (kstride == 1 && j.kit.shape[j.kit.ndim - 1] >= 4 && rstride != 1)
        return reduce_by_columns(&j);
    return reduce_per_output(&j);
}

int mxi_reduce_strided(int type, void *out, mx_dtype out_dtype, const void *in, mx_dtype in_dtype,
                       const int32_t *shape, const int64_t *in_strides, int ndim,
                       const int32_t *axes, int naxes) {
    return reduce_strided(type, false, out, out_dtype, in, in_dtype, shape, in_strides, ndim, axes,
                          naxes);
}

int mxi_lse_stats_strided(double *stats, const void *in, mx_dtype in_dtype, const int32_t *shape,
                          const int64_t *in_strides, int ndim, const int32_t *axes, int naxes) {
    return reduce_strided(MXI_REDUCE_LOGSUMEXP, true, stats, MX_FLOAT64, in, in_dtype, shape,
                          in_strides, ndim, axes, naxes);
}

const mxi_reduce_table *mxi_reduce_kernels(void) {
    return mxi_simd_pick(reduce_tables);
}

int mxi_cpu_reduce(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_reduce_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    return mxi_reduce_strided(p->type, mxi_data(out), out->dtype, in->size ? mxi_data(in) : NULL,
                              in->dtype, in->shape, in->strides, in->ndim, p->axes, p->naxes);
}

/* ---- Trace ---- */

/* The diagonal is a strided view of the input: the other axes, then the
 * diagonal with the sum of the two axes' strides. When a cast comes first
 * the diagonal is copied out converted (it is small next to the input). */
int mxi_cpu_trace(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_trace_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    int nd = in->ndim, k = 0;
    int64_t d1 = in->shape[p->axis1], d2 = in->shape[p->axis2];
    int64_t s1 = in->strides[p->axis1], s2 = in->strides[p->axis2];
    int64_t off = p->offset, len, start;
    if (off >= 0) {
        len = d2 - off < d1 ? d2 - off : d1;
        start = off * s2;
    } else {
        len = d1 + off < d2 ? d1 + off : d2;
        start = -off * s1;
    }
    if (len < 0) len = 0;
    if (len > INT32_MAX) len = INT32_MAX; /* cannot happen: both dims are int32 */
    int32_t shape[MXI_STRIDED_MAX_DIMS + 1];
    int64_t strides[MXI_STRIDED_MAX_DIMS + 1];
    if (nd - 1 > MXI_STRIDED_MAX_DIMS)
        return mxi_error(MX_ERR_VALUE, "[trace] too many dimensions");
    for (int i = 0; i < nd; i++)
        if (i != p->axis1 && i != p->axis2) {
            shape[k] = in->shape[i];
            strides[k++] = in->strides[i];
        }
    shape[k] = (int32_t)len;
    strides[k] = s1 + s2;
    int32_t last = k;
    if (len == 0)
        return mxi_reduce_strided(MXI_REDUCE_SUM, mxi_data(out), out->dtype, NULL, p->dtype, shape,
                                  strides, k + 1, &last, 1);
    const char *base = (const char *)mxi_data(in) + start * mx_dtype_size(in->dtype);
    if (p->dtype == (int32_t)in->dtype)
        return mxi_reduce_strided(MXI_REDUCE_SUM, mxi_data(out), out->dtype, base, in->dtype, shape,
                                  strides, k + 1, &last, 1);
    int64_t n = mxi_shape_size(shape, k + 1);
    void *tmp = malloc((size_t)(n * mx_dtype_size((mx_dtype)p->dtype)));
    if (!tmp) return mxi_error(MX_ERR_MEMORY, "[trace] out of memory for the diagonal");
    rc = mxi_copy_to_contiguous(tmp, (mx_dtype)p->dtype, base, in->dtype, shape, strides, k + 1);
    if (rc == MX_OK) {
        int64_t cstr[MXI_STRIDED_MAX_DIMS + 1];
        mxi_row_strides(cstr, shape, k + 1);
        rc = mxi_reduce_strided(MXI_REDUCE_SUM, mxi_data(out), out->dtype, tmp, (mx_dtype)p->dtype,
                                shape, cstr, k + 1, &last, 1);
    }
    free(tmp);
    return rc;
}
