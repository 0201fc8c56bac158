/*
 * ArgReduce: the uint32 index of the first minimum or maximum along one
 * axis, for every dtype and any strides.
 *
 * Ties keep the first index. NaN counts as both the largest and the
 * smallest value, so the first NaN of a line wins (MLX 0.32 does the same);
 * complex values are ordered by real part, then imaginary part. 16-bit
 * floats compare in float32 (exact).
 *
 * Three layouts: when the innermost kept axis is contiguous in the input
 * and the reduced axis is not, a row of (best value, index) pairs is
 * updated with each line of the axis at once (selects that vectorise);
 * contiguous lines take two passes, the extreme value from the vector
 * min/max kernels of the reductions, then the first index holding it (the
 * line is in cache); other lines are walked once.
 */
#include <complex.h>
#include <stdlib.h>
#include <string.h>

#include "core/array_impl.h"
#include "core/error.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "primitives/params_reduce.h"
#include "strided.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "reduce_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

/* Columns per block of the column layout (pairs on the stack); the same
 * as the vector kernels' block. */
#define ARG_COLS MXI_RD_ARGCOLS

typedef struct arg_job {
    int type;
    mx_dtype dtype;
    const char *in;
    uint32_t *out;
    int64_t isz;
    mxi_strided kit; /* kept axes: input offsets */
    int64_t n, as;   /* reduced axis: length and input stride */
    /* columns */
    int64_t kn, nchunks;
} arg_job;

/* Loaders into the compare type. */
#define LD_b(x)    (x)
#define LD_int(x)  (x)
#define LD_f16(x)  mxi_f16_to_f32(x)
#define LD_bf16(x) mxi_bf16_to_f32(x)

/* better(v, m): whether v replaces the current best m (strictly, so ties
 * keep the first; a NaN replaces anything that is not NaN). */
#define BETTER_MAX(v, m)  ((v) > (m) || ((v) != (v) && (m) == (m)))
#define BETTER_MIN(v, m)  ((v) < (m) || ((v) != (v) && (m) == (m)))
#define BETTER_MAXI(v, m) ((v) > (m))
#define BETTER_MINI(v, m) ((v) < (m))
#define CNAN(c)           (crealf(c) != crealf(c) || cimagf(c) != cimagf(c))
#define CBETTER_MAX(v, m)                                                                          \
    (!CNAN(m) &&                                                                                   \
     (CNAN(v) || crealf(v) > crealf(m) || (crealf(v) == crealf(m) && cimagf(v) > cimagf(m))))
#define CBETTER_MIN(v, m)                                                                          \
    (!CNAN(m) &&                                                                                   \
     (CNAN(v) || crealf(v) < crealf(m) || (crealf(v) == crealf(m) && cimagf(v) < cimagf(m))))

/* One line: n elements, stride st. */
#define ARG_LINE(NAME, T, CT, LD, BETTER)                                                          \
    static uint32_t NAME(const void *xv, int64_t n, int64_t st) {                                  \
        const T *x = xv;                                                                           \
        CT best = LD(x[0]);                                                                        \
        uint32_t bi = 0;                                                                           \
        for (int64_t i = 1; i < n; i++) {                                                          \
            CT v = LD(x[i * st]);                                                                  \
            if (BETTER(v, best)) {                                                                 \
                best = v;                                                                          \
                bi = (uint32_t)i;                                                                  \
            }                                                                                      \
        }                                                                                          \
        return bi;                                                                                 \
    }

/* Columns: len contiguous columns, n lines st apart. */
#define ARG_COLS_FN(NAME, T, CT, LD, BETTER)                                                       \
    static void NAME(const void *xv, int64_t len, int64_t n, int64_t st, uint32_t *idx) {          \
        const T *x = xv;                                                                           \
        CT best[ARG_COLS];                                                                         \
        for (int64_t i = 0; i < len; i++) {                                                        \
            best[i] = LD(x[i]);                                                                    \
            idx[i] = 0;                                                                            \
        }                                                                                          \
        for (int64_t r = 1; r < n; r++) {                                                          \
            const T *row = x + r * st;                                                             \
            for (int64_t i = 0; i < len; i++) {                                                    \
                CT v = LD(row[i]);                                                                 \
                int up = BETTER(v, best[i]);                                                       \
                best[i] = up ? v : best[i];                                                        \
                idx[i] = up ? (uint32_t)r : idx[i];                                                \
            }                                                                                      \
        }                                                                                          \
    }

#define ARG_TYPE(SUF, T, CT, LD, BMAX, BMIN)                                                       \
    ARG_LINE(line_max_##SUF, T, CT, LD, BMAX)                                                      \
    ARG_LINE(line_min_##SUF, T, CT, LD, BMIN)                                                      \
    ARG_COLS_FN(cols_max_##SUF, T, CT, LD, BMAX)                                                   \
    ARG_COLS_FN(cols_min_##SUF, T, CT, LD, BMIN)

ARG_TYPE(b, uint8_t, uint8_t, LD_b, BETTER_MAXI, BETTER_MINI)
ARG_TYPE(u8, uint8_t, uint8_t, LD_int, BETTER_MAXI, BETTER_MINI)
ARG_TYPE(u16, uint16_t, uint16_t, LD_int, BETTER_MAXI, BETTER_MINI)
ARG_TYPE(u32, uint32_t, uint32_t, LD_int, BETTER_MAXI, BETTER_MINI)
ARG_TYPE(u64, uint64_t, uint64_t, LD_int, BETTER_MAXI, BETTER_MINI)
ARG_TYPE(i8, int8_t, int8_t, LD_int, BETTER_MAXI, BETTER_MINI)
ARG_TYPE(i16, int16_t, int16_t, LD_int, BETTER_MAXI, BETTER_MINI)
ARG_TYPE(i32, int32_t, int32_t, LD_int, BETTER_MAXI, BETTER_MINI)
ARG_TYPE(i64, int64_t, int64_t, LD_int, BETTER_MAXI, BETTER_MINI)
ARG_TYPE(f16, uint16_t, float, LD_f16, BETTER_MAX, BETTER_MIN)
ARG_TYPE(bf16, uint16_t, float, LD_bf16, BETTER_MAX, BETTER_MIN)
ARG_TYPE(f32, float, float, LD_int, BETTER_MAX, BETTER_MIN)
ARG_TYPE(f64, double, double, LD_int, BETTER_MAX, BETTER_MIN)
ARG_TYPE(c64, float _Complex, float _Complex, LD_int, CBETTER_MAX, CBETTER_MIN)

typedef uint32_t (*line_fn)(const void *, int64_t, int64_t);

/* The first index of a contiguous line of n elements equal to the extreme
 * m (an accumulator of the min/max reduction kernel for the dtype), or of
 * its first NaN when m is NaN. */
#define FIND_FIRST(T, LD, MT)                                                                      \
    {                                                                                              \
        const T *x_ = xv;                                                                          \
        MT m_;                                                                                     \
        memcpy(&m_, acc, sizeof m_);                                                               \
        if (m_ != m_) {                                                                            \
            for (int64_t i = 0; i < n; i++)                                                        \
                if (LD(x_[i]) != LD(x_[i])) return (uint32_t)i;                                    \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++)                                                        \
                if ((MT)LD(x_[i]) == m_) return (uint32_t)i;                                       \
        }                                                                                          \
        return 0;                                                                                  \
    }
#define FIND_FIRST_INT(T, MT)                                                                      \
    {                                                                                              \
        const T *x_ = xv;                                                                          \
        MT m_;                                                                                     \
        memcpy(&m_, acc, sizeof m_);                                                               \
        for (int64_t i = 0; i < n; i++)                                                            \
            if ((MT)x_[i] == m_) return (uint32_t)i;                                               \
        return 0;                                                                                  \
    }

static uint32_t find_first(mx_dtype dt, const void *xv, int64_t n, const void *acc) {
    switch (dt) {
    case MX_BOOL:
        FIND_FIRST_INT(uint8_t, uint8_t)
    case MX_UINT8:
        FIND_FIRST_INT(uint8_t, uint64_t)
    case MX_UINT16:
        FIND_FIRST_INT(uint16_t, uint64_t)
    case MX_UINT32:
        FIND_FIRST_INT(uint32_t, uint64_t)
    case MX_UINT64:
        FIND_FIRST_INT(uint64_t, uint64_t)
    case MX_INT8:
        FIND_FIRST_INT(int8_t, int64_t)
    case MX_INT16:
        FIND_FIRST_INT(int16_t, int64_t)
    case MX_INT32:
        FIND_FIRST_INT(int32_t, int64_t)
    case MX_INT64:
        FIND_FIRST_INT(int64_t, int64_t)
    case MX_FLOAT16:
        FIND_FIRST(uint16_t, LD_f16, float)
    case MX_BFLOAT16:
        FIND_FIRST(uint16_t, LD_bf16, float)
    case MX_FLOAT32:
        FIND_FIRST(float, LD_int, float)
    case MX_FLOAT64:
        FIND_FIRST(double, LD_int, double)
    default:
        return 0;
    }
}

/* The identity the min/max kernels start from (their accumulator). */
static void extreme_identity(int max, mxi_racc_class cls, mx_dtype dt, void *acc) {
    memset(acc, 0, 16);
    switch (cls) {
    case MXI_RACC_F32: {
        float v = max ? -__builtin_inff() : __builtin_inff();
        memcpy(acc, &v, 4);
        return;
    }
    case MXI_RACC_F64: {
        double v = max ? -__builtin_inf() : __builtin_inf();
        memcpy(acc, &v, 8);
        return;
    }
    case MXI_RACC_BOOL:
        *(uint8_t *)acc = !max;
        return;
    case MXI_RACC_U64: {
        uint64_t v = max ? 0 : UINT64_MAX;
        memcpy(acc, &v, 8);
        return;
    }
    default: {
        int64_t v = max ? INT64_MIN : INT64_MAX;
        (void)dt;
        memcpy(acc, &v, 8);
        return;
    }
    }
}
typedef void (*cols_fn)(const void *, int64_t, int64_t, int64_t, uint32_t *);

#define ARG_TABLE(P, OP)                                                                           \
    {                                                                                              \
        [MX_BOOL] = P##_##OP##_b, [MX_UINT8] = P##_##OP##_u8, [MX_UINT16] = P##_##OP##_u16,        \
        [MX_UINT32] = P##_##OP##_u32, [MX_UINT64] = P##_##OP##_u64, [MX_INT8] = P##_##OP##_i8,     \
        [MX_INT16] = P##_##OP##_i16, [MX_INT32] = P##_##OP##_i32, [MX_INT64] = P##_##OP##_i64,     \
        [MX_FLOAT16] = P##_##OP##_f16, [MX_FLOAT32] = P##_##OP##_f32,                              \
        [MX_FLOAT64] = P##_##OP##_f64, [MX_BFLOAT16] = P##_##OP##_bf16,                            \
        [MX_COMPLEX64] = P##_##OP##_c64,                                                           \
    }

static const line_fn lines[2][MX_NUM_DTYPES] = {
    [MXI_ARG_REDUCE_MIN] = ARG_TABLE(line, min),
    [MXI_ARG_REDUCE_MAX] = ARG_TABLE(line, max),
};
static const cols_fn colfns[2][MX_NUM_DTYPES] = {
    [MXI_ARG_REDUCE_MIN] = ARG_TABLE(cols, min),
    [MXI_ARG_REDUCE_MAX] = ARG_TABLE(cols, max),
};

static void arg_lines(void *ctx, int64_t b, int64_t e) {
    const arg_job *j = ctx;
    line_fn fn = lines[j->type][j->dtype];
    int rtype = j->type == MXI_ARG_REDUCE_MAX ? MXI_REDUCE_MAX : MXI_REDUCE_MIN;
    mxi_reduce_row_fn row = j->as == 1 && j->dtype != MX_COMPLEX64 && j->n >= 64
                                ? mxi_reduce_kernels()->row[rtype][j->dtype]
                                : NULL;
    mxi_racc_class cls = mxi_racc_class_of(rtype, j->dtype);
    unsigned char id[16];
    extreme_identity(rtype == MXI_REDUCE_MAX, cls, j->dtype, id);
    mxi_strided_pos p;
    mxi_strided_seek(&j->kit, &p, b);
    for (int64_t o = b; o < e; o++) {
        const char *x = j->in + p.off[0] * j->isz;
        if (row) {
            _Alignas(16) unsigned char acc[16];
            memcpy(acc, id, sizeof acc);
            row(x, j->n, 1, acc);
            j->out[o] = find_first(j->dtype, x, j->n, acc);
        } else {
            j->out[o] = fn(x, j->n, j->as);
        }
        mxi_strided_advance(&j->kit, &p, 1);
    }
}

/* Task t: columns [c0, c0 + ARG_COLS) of the outer kept position t /
 * nchunks. */
static void arg_columns(void *ctx, int64_t b, int64_t e) {
    const arg_job *j = ctx;
    cols_fn fn = colfns[j->type][j->dtype];
    const mxi_reduce_table *t = mxi_reduce_kernels();
    int rtype = j->type == MXI_ARG_REDUCE_MAX ? MXI_REDUCE_MAX : MXI_REDUCE_MIN;
    mxi_argfind_fn find = t->argfind[j->dtype];
    mxi_reduce_col_fn col = t->col[rtype][j->dtype];
    mxi_racc_class cls = mxi_racc_class_of(rtype, j->dtype);
    int64_t asz = mxi_racc_size(cls);
    unsigned char id[16];
    extreme_identity(rtype == MXI_REDUCE_MAX, cls, j->dtype, id);
    for (int64_t t = b; t < e; t++) {
        int64_t outer = t / j->nchunks, c0 = (t % j->nchunks) * ARG_COLS;
        int64_t len = j->kn - c0 < ARG_COLS ? j->kn - c0 : ARG_COLS;
        mxi_strided_pos p;
        mxi_strided_seek(&j->kit, &p, outer * j->kn);
        const char *x = j->in + (p.off[0] + c0) * j->isz;
        uint32_t *idx = j->out + outer * j->kn + c0;
        if (find) {
            /* the extremes by the vector column kernel, then their first
             * lines */
            _Alignas(64) unsigned char acc[ARG_COLS * 8];
            for (int64_t i = 0; i < len; i++) memcpy(acc + i * asz, id, (size_t)asz);
            col(acc, x, len, j->n, j->as);
            find(x, len, j->n, j->as, acc, idx);
        } else {
            fn(x, len, j->n, j->as, idx);
        }
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

int mxi_cpu_arg_reduce(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_arg_reduce_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    if (p->type != MXI_ARG_REDUCE_MIN && p->type != MXI_ARG_REDUCE_MAX)
        return mxi_error(MX_ERR_RUNTIME, "[arg_reduce] unknown reduction %d", p->type);
    if (in->ndim > MXI_STRIDED_MAX_DIMS + 1)
        return mxi_error(MX_ERR_VALUE, "[arg_reduce] too many dimensions");
    arg_job j = {.type = p->type,
                 .dtype = in->dtype,
                 .in = mxi_data(in),
                 .out = mxi_data(out),
                 .isz = mx_dtype_size(in->dtype),
                 .n = in->shape[p->axis],
                 .as = in->strides[p->axis]};
    int32_t kshape[MXI_STRIDED_MAX_DIMS];
    int64_t kstr[MXI_STRIDED_MAX_DIMS];
    int nk = 0;
    for (int d = 0; d < in->ndim; d++)
        if (d != p->axis) {
            kshape[nk] = in->shape[d];
            kstr[nk++] = in->strides[d];
        }
    const int64_t *ks[1] = {kstr};
    rc = mxi_strided_init(&j.kit, kshape, nk, ks, 1, "arg_reduce");
    if (rc != MX_OK) return rc;
    int64_t n_out = out->size;
    int64_t kstride = j.kit.strides[0][j.kit.ndim - 1];
    j.kn = j.kit.shape[j.kit.ndim - 1];
    if (kstride == 1 && j.kn >= 8 && j.as != 1) {
        j.nchunks = (j.kn + ARG_COLS - 1) / ARG_COLS;
        int64_t tasks = n_out / j.kn * j.nchunks;
        run(tasks, j.n * (j.kn < ARG_COLS ? j.kn : ARG_COLS), arg_columns, &j);
    } else {
        run(n_out, j.n, arg_lines, &j);
    }
    return MX_OK;
}
