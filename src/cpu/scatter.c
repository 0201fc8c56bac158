/*
 * Writing kernels: Scatter, ScatterAxis, SliceUpdate, DynamicSliceUpdate and
 * MaskedScatter on the CPU.
 *
 * Each starts from a copy of the destination (its buffer is taken over when
 * nothing else holds it) and applies the updates with one of the
 * combinations of mxi_scatter_reduce, per dtype: assignment, sum and product
 * (integers wrap, bool is or / and, float16 and bfloat16 are rounded after
 * each update), max and min (NaN wins; complex lexicographic).
 *
 * Updates that may land on the same element are applied in their row-major
 * order, so repeated indices give the same result as one thread would:
 *   - Scatter: when every update slice is one element wide on the indexed
 *     axes, slices with distinct starts never overlap, so the destination is
 *     split in blocks: a stable counting pass groups the updates by block
 *     and each block's updates are applied, in order, by one thread (big
 *     destinations, four threads or more); a large slice is split over
 *     threads one slice at a time; otherwise serial.
 *   - ScatterAxis: updates can only meet within one line along the axis, so
 *     whole lines go to threads.
 *   - SliceUpdate, DynamicSliceUpdate: a slice has distinct elements; any
 *     split is safe. MaskedScatter: a counting pass per block, then blocks
 *     write in parallel from their prefix offsets.
 * Out-of-range indices drop their update (see include/cmlx/ops_index.h).
 */
#include <complex.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/array_impl.h"
#include "core/error.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "cpu/copy.h"
#include "cpu/strided.h"
#include "primitives/params_index.h"

/* From gather.c: n indices of dtype t (stride in elements) to int64. */
void mxi_load_indices(int64_t *dst, const void *src, mx_dtype t, int64_t stride, int64_t n);

#define IDX_BATCH 512
/* Scatters are split over threads by output range only into outputs at
 * least this big (smaller ones stay in cache: a serial pass is as fast),
 * and only with this many threads: grouping the updates costs about half
 * of a serial pass again (measured on one thread), so two threads gain
 * little. */
#define OWNED_MIN_BYTES    (2 << 20)
#define BUCKET_MIN_THREADS 4

/* ---- combinations ---- */

/* out[i * os] = f(out[i * os], upd[i * us]) for i < n. */
typedef void (*apply_run_fn)(char *out, int64_t os, const char *upd, int64_t us, int64_t n);
/* out[offs[i]] = f(out[offs[i]], upd[i * us]) for the i < n with
 * lo <= offs[i] < hi (a dropped update has a negative offset). */
typedef void (*apply_scat_fn)(char *out, const int64_t *offs, const char *upd, int64_t us,
                              int64_t n, int64_t lo, int64_t hi);
/* out[bo[2i]] = f(out[bo[2i]], upd[bo[2i + 1]]) for i < n. */
typedef void (*apply_pairs_fn)(char *out, const int64_t *bo, const char *upd, int64_t n);

#define APPLY_DEFS(NAME, T, COMBINE)                                                               \
    static void NAME##_run(char *out_, int64_t os, const char *upd_, int64_t us, int64_t n) {      \
        T *o = (T *)out_;                                                                          \
        const T *u = (const T *)upd_;                                                              \
        if (os == 1 && us == 1)                                                                    \
            for (int64_t i = 0; i < n; i++) o[i] = COMBINE(o[i], u[i]);                            \
        else                                                                                       \
            for (int64_t i = 0; i < n; i++) o[i * os] = COMBINE(o[i * os], u[i * us]);             \
    }                                                                                              \
    static void NAME##_scat(char *out_, const int64_t *offs, const char *upd_, int64_t us,         \
                            int64_t n, int64_t lo, int64_t hi) {                                   \
        T *o = (T *)out_;                                                                          \
        const T *u = (const T *)upd_;                                                              \
        for (int64_t i = 0; i < n; i++) {                                                          \
            int64_t f = offs[i];                                                                   \
            if (f >= lo && f < hi) o[f] = COMBINE(o[f], u[i * us]);                                \
        }                                                                                          \
    }                                                                                              \
    static void NAME##_pairs(char *out_, const int64_t *bo, const char *upd_, int64_t n) {         \
        T *o = (T *)out_;                                                                          \
        const T *u = (const T *)upd_;                                                              \
        for (int64_t i = 0; i < n; i++) o[bo[2 * i]] = COMBINE(o[bo[2 * i]], u[bo[2 * i + 1]]);    \
    }

typedef float _Complex cf;

#define ASSIGN(x, u) (u)
#define ADD(x, u)    ((x) + (u))
#define MUL(x, u)    ((x) * (u))
/* Integers wrap: 8- and 16-bit ones are computed in uint32_t (no int
 * promotion, so no signed overflow) and truncated. */
#define ADD_U8(x, u)   ((uint8_t)((uint32_t)(x) + (uint32_t)(u)))
#define ADD_U16(x, u)  ((uint16_t)((uint32_t)(x) + (uint32_t)(u)))
#define MUL_U8(x, u)   ((uint8_t)((uint32_t)(x) * (uint32_t)(u)))
#define MUL_U16(x, u)  ((uint16_t)((uint32_t)(x) * (uint32_t)(u)))
#define BOOL_OR(x, u)  ((uint8_t)(((x) | (u)) != 0))
#define BOOL_AND(x, u) ((uint8_t)(((x) != 0) & ((u) != 0)))
#define MAX_ORD(x, u)  ((x) > (u) ? (x) : (u))
#define MIN_ORD(x, u)  ((x) < (u) ? (x) : (u))
/* Floats: a NaN already there stays; a NaN update wins. */
#define MAX_NAN(x, u) (((x) != (x) || (x) > (u)) ? (x) : (u))
#define MIN_NAN(x, u) (((x) != (x) || (x) < (u)) ? (x) : (u))

static inline uint16_t f16_add(uint16_t x, uint16_t u) {
    return mxi_f32_to_f16(mxi_f16_to_f32(x) + mxi_f16_to_f32(u));
}
static inline uint16_t f16_mul(uint16_t x, uint16_t u) {
    return mxi_f32_to_f16(mxi_f16_to_f32(x) * mxi_f16_to_f32(u));
}
static inline uint16_t f16_max(uint16_t x, uint16_t u) {
    float a = mxi_f16_to_f32(x), b = mxi_f16_to_f32(u);
    return (a != a || a > b) ? x : u;
}
static inline uint16_t f16_min(uint16_t x, uint16_t u) {
    float a = mxi_f16_to_f32(x), b = mxi_f16_to_f32(u);
    return (a != a || a < b) ? x : u;
}
static inline uint16_t bf16_add(uint16_t x, uint16_t u) {
    return mxi_f32_to_bf16(mxi_bf16_to_f32(x) + mxi_bf16_to_f32(u));
}
static inline uint16_t bf16_mul(uint16_t x, uint16_t u) {
    return mxi_f32_to_bf16(mxi_bf16_to_f32(x) * mxi_bf16_to_f32(u));
}
static inline uint16_t bf16_max(uint16_t x, uint16_t u) {
    float a = mxi_bf16_to_f32(x), b = mxi_bf16_to_f32(u);
    return (a != a || a > b) ? x : u;
}
static inline uint16_t bf16_min(uint16_t x, uint16_t u) {
    float a = mxi_bf16_to_f32(x), b = mxi_bf16_to_f32(u);
    return (a != a || a < b) ? x : u;
}

static inline bool c_isnan(cf a) {
    return crealf(a) != crealf(a) || cimagf(a) != cimagf(a);
}
static inline bool c_greater(cf a, cf b) {
    return crealf(a) > crealf(b) || (crealf(a) == crealf(b) && cimagf(a) > cimagf(b));
}
static inline cf c_max(cf x, cf u) {
    return (c_isnan(x) || (!c_isnan(u) && !c_greater(u, x))) ? x : u;
}
static inline cf c_min(cf x, cf u) {
    return (c_isnan(x) || (!c_isnan(u) && !c_greater(x, u))) ? x : u;
}

/* Assignment by item size. */
APPLY_DEFS(set1, uint8_t, ASSIGN)
APPLY_DEFS(set2, uint16_t, ASSIGN)
APPLY_DEFS(set4, uint32_t, ASSIGN)
APPLY_DEFS(set8, uint64_t, ASSIGN)

/* Sums and products: integers in their unsigned type (wrapping). */
APPLY_DEFS(add_b, uint8_t, BOOL_OR)
APPLY_DEFS(add_u8, uint8_t, ADD_U8)
APPLY_DEFS(add_u16, uint16_t, ADD_U16)
APPLY_DEFS(add_u32, uint32_t, ADD)
APPLY_DEFS(add_u64, uint64_t, ADD)
APPLY_DEFS(add_f16, uint16_t, f16_add)
APPLY_DEFS(add_bf16, uint16_t, bf16_add)
APPLY_DEFS(add_f32, float, ADD)
APPLY_DEFS(add_f64, double, ADD)
APPLY_DEFS(add_c64, cf, ADD)
APPLY_DEFS(mul_b, uint8_t, BOOL_AND)
APPLY_DEFS(mul_u8, uint8_t, MUL_U8)
APPLY_DEFS(mul_u16, uint16_t, MUL_U16)
APPLY_DEFS(mul_u32, uint32_t, MUL)
APPLY_DEFS(mul_u64, uint64_t, MUL)
APPLY_DEFS(mul_f16, uint16_t, f16_mul)
APPLY_DEFS(mul_bf16, uint16_t, bf16_mul)
APPLY_DEFS(mul_f32, float, MUL)
APPLY_DEFS(mul_f64, double, MUL)
APPLY_DEFS(mul_c64, cf, MUL)

/* Max and min in each type's own order. */
APPLY_DEFS(max_b, uint8_t, BOOL_OR)
APPLY_DEFS(max_u8, uint8_t, MAX_ORD)
APPLY_DEFS(max_u16, uint16_t, MAX_ORD)
APPLY_DEFS(max_u32, uint32_t, MAX_ORD)
APPLY_DEFS(max_u64, uint64_t, MAX_ORD)
APPLY_DEFS(max_i8, int8_t, MAX_ORD)
APPLY_DEFS(max_i16, int16_t, MAX_ORD)
APPLY_DEFS(max_i32, int32_t, MAX_ORD)
APPLY_DEFS(max_i64, int64_t, MAX_ORD)
APPLY_DEFS(max_f16, uint16_t, f16_max)
APPLY_DEFS(max_bf16, uint16_t, bf16_max)
APPLY_DEFS(max_f32, float, MAX_NAN)
APPLY_DEFS(max_f64, double, MAX_NAN)
APPLY_DEFS(max_c64, cf, c_max)
APPLY_DEFS(min_b, uint8_t, BOOL_AND)
APPLY_DEFS(min_u8, uint8_t, MIN_ORD)
APPLY_DEFS(min_u16, uint16_t, MIN_ORD)
APPLY_DEFS(min_u32, uint32_t, MIN_ORD)
APPLY_DEFS(min_u64, uint64_t, MIN_ORD)
APPLY_DEFS(min_i8, int8_t, MIN_ORD)
APPLY_DEFS(min_i16, int16_t, MIN_ORD)
APPLY_DEFS(min_i32, int32_t, MIN_ORD)
APPLY_DEFS(min_i64, int64_t, MIN_ORD)
APPLY_DEFS(min_f16, uint16_t, f16_min)
APPLY_DEFS(min_bf16, uint16_t, bf16_min)
APPLY_DEFS(min_f32, float, MIN_NAN)
APPLY_DEFS(min_f64, double, MIN_NAN)
APPLY_DEFS(min_c64, cf, c_min)

typedef struct apply_fns {
    apply_run_fn run;
    apply_scat_fn scat;
    apply_pairs_fn pairs;
} apply_fns;

#define A(NAME)                                                                                    \
    { NAME##_run, NAME##_scat, NAME##_pairs }

static const apply_fns apply_table[MXI_SCATTER_REDUCE_COUNT][MX_NUM_DTYPES] = {
    [MXI_SCATTER_NONE] =
        {
            [MX_BOOL] = A(set1),
            [MX_UINT8] = A(set1),
            [MX_UINT16] = A(set2),
            [MX_UINT32] = A(set4),
            [MX_UINT64] = A(set8),
            [MX_INT8] = A(set1),
            [MX_INT16] = A(set2),
            [MX_INT32] = A(set4),
            [MX_INT64] = A(set8),
            [MX_FLOAT16] = A(set2),
            [MX_FLOAT32] = A(set4),
            [MX_FLOAT64] = A(set8),
            [MX_BFLOAT16] = A(set2),
            [MX_COMPLEX64] = A(set8),
        },
    [MXI_SCATTER_SUM] =
        {
            [MX_BOOL] = A(add_b),
            [MX_UINT8] = A(add_u8),
            [MX_UINT16] = A(add_u16),
            [MX_UINT32] = A(add_u32),
            [MX_UINT64] = A(add_u64),
            [MX_INT8] = A(add_u8),
            [MX_INT16] = A(add_u16),
            [MX_INT32] = A(add_u32),
            [MX_INT64] = A(add_u64),
            [MX_FLOAT16] = A(add_f16),
            [MX_FLOAT32] = A(add_f32),
            [MX_FLOAT64] = A(add_f64),
            [MX_BFLOAT16] = A(add_bf16),
            [MX_COMPLEX64] = A(add_c64),
        },
    [MXI_SCATTER_PROD] =
        {
            [MX_BOOL] = A(mul_b),
            [MX_UINT8] = A(mul_u8),
            [MX_UINT16] = A(mul_u16),
            [MX_UINT32] = A(mul_u32),
            [MX_UINT64] = A(mul_u64),
            [MX_INT8] = A(mul_u8),
            [MX_INT16] = A(mul_u16),
            [MX_INT32] = A(mul_u32),
            [MX_INT64] = A(mul_u64),
            [MX_FLOAT16] = A(mul_f16),
            [MX_FLOAT32] = A(mul_f32),
            [MX_FLOAT64] = A(mul_f64),
            [MX_BFLOAT16] = A(mul_bf16),
            [MX_COMPLEX64] = A(mul_c64),
        },
    [MXI_SCATTER_MAX] =
        {
            [MX_BOOL] = A(max_b),
            [MX_UINT8] = A(max_u8),
            [MX_UINT16] = A(max_u16),
            [MX_UINT32] = A(max_u32),
            [MX_UINT64] = A(max_u64),
            [MX_INT8] = A(max_i8),
            [MX_INT16] = A(max_i16),
            [MX_INT32] = A(max_i32),
            [MX_INT64] = A(max_i64),
            [MX_FLOAT16] = A(max_f16),
            [MX_FLOAT32] = A(max_f32),
            [MX_FLOAT64] = A(max_f64),
            [MX_BFLOAT16] = A(max_bf16),
            [MX_COMPLEX64] = A(max_c64),
        },
    [MXI_SCATTER_MIN] =
        {
            [MX_BOOL] = A(min_b),
            [MX_UINT8] = A(min_u8),
            [MX_UINT16] = A(min_u16),
            [MX_UINT32] = A(min_u32),
            [MX_UINT64] = A(min_u64),
            [MX_INT8] = A(min_i8),
            [MX_INT16] = A(min_i16),
            [MX_INT32] = A(min_i32),
            [MX_INT64] = A(min_i64),
            [MX_FLOAT16] = A(min_f16),
            [MX_FLOAT32] = A(min_f32),
            [MX_FLOAT64] = A(min_f64),
            [MX_BFLOAT16] = A(min_bf16),
            [MX_COMPLEX64] = A(min_c64),
        },
};

/* out starts as a copy of `dst` (taking its buffer when it may). */
static int init_output(mx_array *out, mx_array *dst) {
    const void *src = dst->size ? mxi_data(dst) : NULL;
    int rc = mxi_alloc_or_donate(out, &dst, 1);
    if (rc) return rc;
    if (out->size == 0 || out->buffer == dst->buffer) return MX_OK;
    return mxi_copy_to_contiguous(mxi_data(out), out->dtype, src, dst->dtype, dst->shape,
                                  dst->strides, dst->ndim);
}

/* ---- Scatter ---- */

typedef struct scatter_job {
    apply_fns f;
    size_t size;
    char *out;
    const char *upd;
    /* The update space (index shape then slice shape): op 0 = updates, op 1
     * = the output's strides on the slice axes (0 on the index axes). */
    mxi_strided it;
    int64_t slice_n, positions;
    const int64_t *base; /* per index position: offset in out, or -1 */
    int64_t out_size;
    int64_t cur; /* the slice being split over threads */
    /* Bucketed by owner (a range of the output): nchunks chunks of the
     * positions count, then list, per owner and in position order, (start
     * in out, update offset or position) pairs. */
    int64_t nchunks, nowners;
    int owner_shift;
    int64_t *counts;      /* nchunks * nowners, then write cursors */
    int64_t *owner_start; /* nowners + 1 */
    int64_t *list;
} scatter_job;

/* Applies the update slices of positions [p0, p1) whose start lies in
 * [lo, hi). */
static void scatter_positions(const scatter_job *j, int64_t p0, int64_t p1, int64_t lo,
                              int64_t hi) {
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t us = it->strides[0][last], os = it->strides[1][last];
    int64_t size = (int64_t)j->size;
    mxi_strided_pos p;
    if (j->slice_n == 1) {
        /* One element per position: the positions form the whole space. */
        mxi_strided_seek(it, &p, p0);
        for (int64_t i = p0; i < p1;) {
            int64_t run = mxi_strided_row_left(it, &p);
            if (run > p1 - i) run = p1 - i;
            j->f.scat(j->out, j->base + i, j->upd + p.off[0] * size, us, run, lo, hi);
            i += run;
            if (i < p1) mxi_strided_advance(it, &p, run);
        }
        return;
    }
    for (int64_t q = p0; q < p1; q++) {
        int64_t b = j->base[q];
        if (b < lo || b >= hi) continue;
        mxi_strided_seek(it, &p, q * j->slice_n);
        for (int64_t e = 0; e < j->slice_n;) {
            int64_t run = mxi_strided_row_left(it, &p);
            if (run > j->slice_n - e) run = j->slice_n - e;
            j->f.run(j->out + (b + p.off[1]) * size, os, j->upd + p.off[0] * size, us, run);
            e += run;
            if (e < j->slice_n) mxi_strided_advance(it, &p, run);
        }
    }
}

/* Owner of an update starting at b: a block of 2^owner_shift output
 * elements (a shift, not a division, per update). */
static inline int64_t owner_of(const scatter_job *j, int64_t b) {
    return b >> j->owner_shift;
}

static inline void chunk_bounds(const scatter_job *j, int64_t c, int64_t *p0, int64_t *p1) {
    *p0 = j->positions * c / j->nchunks;
    *p1 = j->positions * (c + 1) / j->nchunks;
}

static void bucket_count_range(void *ctx, int64_t b, int64_t e) {
    const scatter_job *j = ctx;
    for (int64_t c = b; c < e; c++) {
        int64_t p0, p1, *cnt = j->counts + c * j->nowners;
        chunk_bounds(j, c, &p0, &p1);
        memset(cnt, 0, (size_t)j->nowners * sizeof *cnt);
        for (int64_t q = p0; q < p1; q++)
            if (j->base[q] >= 0) cnt[owner_of(j, j->base[q])]++;
    }
}

static void bucket_fill_range(void *ctx, int64_t b, int64_t e) {
    const scatter_job *j = ctx;
    const mxi_strided *it = &j->it;
    int64_t us = it->strides[0][it->ndim - 1];
    for (int64_t c = b; c < e; c++) {
        int64_t p0, p1, *cur = j->counts + c * j->nowners;
        chunk_bounds(j, c, &p0, &p1);
        if (j->slice_n > 1) {
            for (int64_t q = p0; q < p1; q++) {
                int64_t bq = j->base[q];
                if (bq < 0) continue;
                int64_t k = cur[owner_of(j, bq)]++;
                j->list[2 * k] = bq, j->list[2 * k + 1] = q;
            }
            continue;
        }
        /* One element per position: record the update's offset too. */
        mxi_strided_pos p;
        mxi_strided_seek(it, &p, p0);
        for (int64_t q = p0; q < p1;) {
            int64_t run = mxi_strided_row_left(it, &p);
            if (run > p1 - q) run = p1 - q;
            for (int64_t r = 0; r < run; r++) {
                int64_t bq = j->base[q + r];
                if (bq < 0) continue;
                int64_t k = cur[owner_of(j, bq)]++;
                j->list[2 * k] = bq, j->list[2 * k + 1] = p.off[0] + r * us;
            }
            q += run;
            if (q < p1) mxi_strided_advance(it, &p, run);
        }
    }
}

static void bucket_apply_range(void *ctx, int64_t b, int64_t e) {
    const scatter_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t us = it->strides[0][last], os = it->strides[1][last];
    int64_t size = (int64_t)j->size;
    for (int64_t o = b; o < e; o++) {
        int64_t lo = j->owner_start[o], hi = j->owner_start[o + 1];
        if (j->slice_n == 1) {
            j->f.pairs(j->out, j->list + 2 * lo, j->upd, hi - lo);
            continue;
        }
        for (int64_t k = lo; k < hi; k++) {
            int64_t bq = j->list[2 * k], q = j->list[2 * k + 1];
            mxi_strided_pos p;
            mxi_strided_seek(it, &p, q * j->slice_n);
            for (int64_t x = 0; x < j->slice_n;) {
                int64_t run = mxi_strided_row_left(it, &p);
                if (run > j->slice_n - x) run = j->slice_n - x;
                j->f.run(j->out + (bq + p.off[1]) * size, os, j->upd + p.off[0] * size, us, run);
                x += run;
                if (x < j->slice_n) mxi_strided_advance(it, &p, run);
            }
        }
    }
}

/* Updates grouped by the output range they land in (a stable counting
 * pass), then each range applied by one thread in position order. */
static int scatter_bucketed(scatter_job *j, int threads) {
    /* About 4 owners per thread, each a power-of-two block. */
    j->nchunks = 4 * (int64_t)threads;
    j->owner_shift = 0;
    while ((j->out_size >> j->owner_shift) > 4 * (int64_t)threads) j->owner_shift++;
    j->nowners = ((j->out_size - 1) >> j->owner_shift) + 1;
    j->counts = malloc((size_t)(j->nchunks * j->nowners) * sizeof(int64_t));
    j->owner_start = malloc((size_t)(j->nowners + 1) * sizeof(int64_t));
    mxi_buffer *lb = mxi_buffer_new((size_t)j->positions * 2 * sizeof(int64_t));
    if (!j->counts || !j->owner_start || !lb) {
        free(j->counts);
        free(j->owner_start);
        if (lb) mxi_buffer_release(lb);
        return mxi_error(MX_ERR_MEMORY, "[scatter] out of memory");
    }
    j->list = lb->ptr;
    mxi_parallel_for(j->nchunks, 1, bucket_count_range, j);
    int64_t total = 0;
    for (int64_t o = 0; o < j->nowners; o++) {
        j->owner_start[o] = total;
        for (int64_t c = 0; c < j->nchunks; c++) {
            int64_t k = j->counts[c * j->nowners + o];
            j->counts[c * j->nowners + o] = total;
            total += k;
        }
    }
    j->owner_start[j->nowners] = total;
    mxi_parallel_for(j->nchunks, 1, bucket_fill_range, j);
    mxi_parallel_for(j->nowners, 1, bucket_apply_range, j);
    free(j->counts);
    free(j->owner_start);
    mxi_buffer_release(lb);
    return MX_OK;
}

/* Elements [b, e) of the slice of position j->cur. */
static void scatter_slice_range(void *ctx, int64_t b, int64_t e) {
    const scatter_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t us = it->strides[0][last], os = it->strides[1][last];
    int64_t size = (int64_t)j->size, base = j->base[j->cur];
    mxi_strided_pos p;
    mxi_strided_seek(it, &p, j->cur * j->slice_n + b);
    for (int64_t i = b; i < e;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > e - i) run = e - i;
        j->f.run(j->out + (base + p.off[1]) * size, os, j->upd + p.off[0] * size, us, run);
        i += run;
        if (i < e) mxi_strided_advance(it, &p, run);
    }
}

typedef struct base_job {
    int m;
    mx_array *const *idx;
    const int32_t *axes;
    const mx_array *out;
    const int32_t *ushape; /* the slice shape (ndim of out) */
    const int32_t *ishape;
    int ind;
    int64_t *base;
    int failed;
} base_job;

/* base[p] for p in [b, e): the slice start's offset in out, or -1 when any
 * index is out of range for the slice. */
static void base_range(void *ctx, int64_t b, int64_t e) {
    base_job *j = ctx;
    int64_t tmp[IDX_BATCH];
    for (int64_t p = b; p < e; p++) j->base[p] = 0;
    for (int k = 0; k < j->m; k++) {
        mx_array *idx = j->idx[k];
        mxi_strided it;
        const int64_t *st[1] = {idx->strides};
        if (mxi_strided_init(&it, j->ishape, j->ind, st, 1, "scatter")) {
            j->failed = 1;
            return;
        }
        int ax = j->axes[k];
        int64_t dim = j->out->shape[ax], hi = dim - j->ushape[ax];
        int64_t os = j->out->strides[ax];
        int64_t sl = it.strides[0][it.ndim - 1];
        size_t isz = (size_t)mx_dtype_size(idx->dtype);
        const char *ip = mxi_data(idx);
        mxi_strided_pos pos;
        mxi_strided_seek(&it, &pos, b);
        for (int64_t p = b; p < e;) {
            int64_t run = mxi_strided_row_left(&it, &pos);
            if (run > e - p) run = e - p;
            if (run > IDX_BATCH) run = IDX_BATCH;
            mxi_load_indices(tmp, ip + pos.off[0] * (int64_t)isz, idx->dtype, sl, run);
            for (int64_t r = 0; r < run; r++) {
                int64_t v = tmp[r];
                if (v < 0) v += dim;
                int64_t *bp = &j->base[p + r];
                if (*bp < 0) continue;
                *bp = (v < 0 || v > hi) ? -1 : *bp + v * os;
            }
            p += run;
            if (p < e) mxi_strided_advance(&it, &pos, run);
        }
    }
}

int mxi_cpu_scatter(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_scatter_params *pp = node->params;
    int m = pp->naxes;
    mx_array *a = inputs[0], *upd = inputs[m + 1], *out = outputs[0];
    const char *upd_data = upd->size ? mxi_data(upd) : NULL;
    int rc = init_output(out, a);
    if (rc) return rc;
    if (out->size == 0 || upd->size == 0) return MX_OK;
    int nd = out->ndim, ind = upd->ndim - nd;
    const int32_t *ishape = upd->shape, *ushape = upd->shape + ind;

    scatter_job j;
    memset(&j, 0, sizeof j);
    j.f = apply_table[pp->reduce][out->dtype];
    j.size = (size_t)mx_dtype_size(out->dtype);
    j.out = mxi_data(out);
    j.upd = upd_data;
    j.positions = mxi_shape_size(ishape, ind);
    j.out_size = out->size;
    int64_t ostr[128];
    for (int d = 0; d < ind; d++) ostr[d] = 0;
    memcpy(ostr + ind, out->strides, (size_t)nd * sizeof(int64_t));
    const int64_t *st[2] = {upd->strides, ostr};
    rc = mxi_strided_init(&j.it, upd->shape, upd->ndim, st, 2, "scatter");
    if (rc) return rc;
    j.slice_n = mxi_shape_size(ushape, nd);

    int64_t *base = malloc((size_t)j.positions * sizeof(int64_t));
    if (!base) return mxi_error(MX_ERR_MEMORY, "[scatter] out of memory");
    base_job bj = {m, inputs + 1, pp->axes, out, ushape, ishape, ind, base, 0};
    if (j.positions >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(j.positions, MXI_ELEMWISE_GRAIN, base_range, &bj);
    else
        base_range(&bj, 0, j.positions);
    if (bj.failed) {
        free(base);
        return mxi_error(MX_ERR_VALUE, "[scatter] the index layout has too many dimensions");
    }
    j.base = base;

    bool narrow = true; /* slices one element wide on every indexed axis */
    for (int k = 0; k < m; k++) narrow = narrow && ushape[pp->axes[k]] == 1;
    int64_t work = j.positions * j.slice_n;
    int threads = mxi_num_threads();
    if (threads > 1 && j.slice_n >= 2 * MXI_ELEMWISE_GRAIN) {
        for (j.cur = 0; j.cur < j.positions; j.cur++)
            if (base[j.cur] >= 0)
                mxi_parallel_for(j.slice_n, MXI_ELEMWISE_GRAIN, scatter_slice_range, &j);
    } else if (threads >= BUCKET_MIN_THREADS && narrow && work >= 2 * MXI_ELEMWISE_GRAIN &&
               (int64_t)j.size * out->size >= OWNED_MIN_BYTES) {
        rc = scatter_bucketed(&j, threads);
    } else {
        scatter_positions(&j, 0, j.positions, 0, INT64_MAX);
    }
    free(base);
    return rc;
}

/* ---- ScatterAxis (put_along_axis, scatter_add_axis) ---- */

typedef struct scatter_axis_job {
    apply_fns f;
    /* Index space with the axis last: op 0 = indices, op 1 = updates, op 2 =
     * out with 0 on the axis. */
    mxi_strided it;
    int64_t line; /* length of the last collapsed axis (a line, or 1) */
    const char *idx, *upd;
    mx_dtype idx_dtype;
    size_t isz, size;
    char *out;
    int64_t dim, ostride;
} scatter_axis_job;

static void scatter_axis_range(void *ctx, int64_t b, int64_t e) {
    const scatter_axis_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t si = it->strides[0][last], su = it->strides[1][last], so = it->strides[2][last];
    int64_t tmp[IDX_BATCH];
    int64_t size = (int64_t)j->size;
    mxi_strided_pos p;
    int64_t end = e * j->line;
    mxi_strided_seek(it, &p, b * j->line);
    for (int64_t i = b * j->line; i < end;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > end - i) run = end - i;
        if (run > IDX_BATCH) run = IDX_BATCH;
        mxi_load_indices(tmp, j->idx + p.off[0] * (int64_t)j->isz, j->idx_dtype, si, run);
        for (int64_t k = 0; k < run; k++) {
            int64_t v = tmp[k];
            if (v < 0) v += j->dim;
            tmp[k] = (v < 0 || v >= j->dim) ? -1 : p.off[2] + k * so + v * j->ostride;
        }
        j->f.scat(j->out, tmp, j->upd + p.off[1] * size, su, run, 0, INT64_MAX);
        i += run;
        if (i < end) mxi_strided_advance(it, &p, run);
    }
}

int mxi_cpu_scatter_axis(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_scatter_axis_params *pp = node->params;
    mx_array *a = inputs[0], *idx = inputs[1], *upd = inputs[2], *out = outputs[0];
    const char *idx_data = idx->size ? mxi_data(idx) : NULL;
    const char *upd_data = upd->size ? mxi_data(upd) : NULL;
    int rc = init_output(out, a);
    if (rc) return rc;
    if (out->size == 0 || idx->size == 0) return MX_OK;
    int nd = out->ndim, ax = pp->axis;
    /* The axis goes last so that a line along it is one run. */
    int32_t shape[64];
    int64_t s0[64], s1[64], s2[64];
    int k = 0;
    for (int d = 0; d <= nd; d++) {
        int src = d < nd ? d : ax;
        if (d == ax) continue;
        shape[k] = idx->shape[src];
        s0[k] = idx->strides[src];
        s1[k] = upd->strides[src];
        s2[k] = src == ax ? 0 : out->strides[src];
        k++;
    }
    scatter_axis_job j;
    const int64_t *st[3] = {s0, s1, s2};
    rc = mxi_strided_init(&j.it, shape, k, st, 3, "put_along_axis");
    if (rc) return rc;
    j.f = apply_table[pp->reduce][out->dtype];
    j.idx = idx_data;
    j.upd = upd_data;
    j.idx_dtype = idx->dtype;
    j.isz = (size_t)mx_dtype_size(idx->dtype);
    j.size = (size_t)mx_dtype_size(out->dtype);
    j.out = mxi_data(out);
    j.dim = out->shape[ax];
    j.ostride = out->strides[ax];
    /* Lines along the axis are rows of the space (the axis cannot merge
     * with another: its output stride is 0); when it has length 1 it was
     * dropped and every element is its own line. */
    j.line = idx->shape[ax] > 1 ? j.it.shape[j.it.ndim - 1] : 1;
    int64_t lines = j.it.size / j.line;
    if (j.it.size >= 2 * MXI_ELEMWISE_GRAIN && lines > 1) {
        int64_t grain = MXI_ELEMWISE_GRAIN / j.line;
        mxi_parallel_for(lines, grain < 1 ? 1 : grain, scatter_axis_range, &j);
    } else {
        scatter_axis_range(&j, 0, lines);
    }
    return MX_OK;
}

/* ---- SliceUpdate and DynamicSliceUpdate ---- */

typedef struct slice_job {
    apply_fns f;
    mxi_strided it; /* the slice: op 0 = update, op 1 = out */
    const char *upd;
    char *out; /* at the slice's first element */
    size_t size;
} slice_job;

static void slice_range(void *ctx, int64_t b, int64_t e) {
    const slice_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t su = it->strides[0][last], so = it->strides[1][last];
    int64_t size = (int64_t)j->size;
    mxi_strided_pos p;
    mxi_strided_seek(it, &p, b);
    for (int64_t i = b; i < e;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > e - i) run = e - i;
        j->f.run(j->out + p.off[1] * size, so, j->upd + p.off[0] * size, su, run);
        i += run;
        if (i < e) mxi_strided_advance(it, &p, run);
    }
}

/* Applies update (its shape is the slice's) at start with steps to out. */
static int slice_apply(mx_array *out, mx_array *upd, const char *upd_data, const int64_t *start,
                       const int64_t *step, int reduce, const char *op) {
    int nd = out->ndim;
    int64_t ostr[64], offset = 0;
    for (int d = 0; d < nd; d++) {
        ostr[d] = out->strides[d] * step[d];
        offset += start[d] * out->strides[d];
    }
    slice_job j;
    const int64_t *st[2] = {upd->strides, ostr};
    int rc = mxi_strided_init(&j.it, upd->shape, nd, st, 2, op);
    if (rc) return rc;
    j.f = apply_table[reduce][out->dtype];
    j.size = (size_t)mx_dtype_size(out->dtype);
    j.upd = upd_data;
    j.out = (char *)mxi_data(out) + offset * (int64_t)j.size;
    if (j.it.size >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(j.it.size, MXI_ELEMWISE_GRAIN, slice_range, &j);
    else
        slice_range(&j, 0, j.it.size);
    return MX_OK;
}

int mxi_cpu_slice_update(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_slice_update_params *pp = node->params;
    mx_array *src = inputs[0], *upd = inputs[1], *out = outputs[0];
    const char *upd_data = upd->size ? mxi_data(upd) : NULL;
    int rc = init_output(out, src);
    if (rc) return rc;
    if (out->size == 0 || upd->size == 0) return MX_OK;
    return slice_apply(out, upd, upd_data, pp->start_step, pp->start_step + pp->ndim, pp->reduce,
                       "slice_update");
}

int mxi_cpu_dynamic_slice_update(struct mxi_node *node, mx_array *const *inputs,
                                 mx_array *const *outputs) {
    const mxi_dynamic_slice_update_params *pp = node->params;
    mx_array *src = inputs[0], *upd = inputs[1], *start = inputs[2], *out = outputs[0];
    const char *upd_data = upd->size ? mxi_data(upd) : NULL;
    int64_t starts[64];
    if (pp->naxes)
        mxi_load_indices(starts, mxi_data(start), start->dtype, start->ndim ? start->strides[0] : 1,
                         pp->naxes);
    int rc = init_output(out, src);
    if (rc) return rc;
    if (out->size == 0 || upd->size == 0) return MX_OK;
    int nd = out->ndim;
    int64_t first[64], step[64];
    for (int d = 0; d < nd; d++) first[d] = 0, step[d] = 1;
    for (int i = 0; i < pp->naxes; i++) {
        int ax = pp->axes[i];
        int64_t dim = out->shape[ax], hi = dim - upd->shape[ax], v = starts[i];
        if (v < 0) v += dim;
        first[ax] = v < 0 ? 0 : v > hi ? hi : v;
    }
    return slice_apply(out, upd, upd_data, first, step, pp->reduce, "slice_update");
}

/* ---- MaskedScatter ---- */

#define MASK_BLOCK 65536

typedef struct masked_job {
    mxi_strided it;   /* a's shape: op 0 = mask */
    mxi_strided vals; /* values' shape: op 0 = values */
    const uint8_t *mask;
    const char *val;
    char *out;
    size_t size;
    int64_t n, nblocks;
    int64_t *counts; /* per block, then its first value */
} masked_job;

static void masked_count_range(void *ctx, int64_t b, int64_t e) {
    masked_job *j = ctx;
    const mxi_strided *it = &j->it;
    int64_t sm = it->strides[0][it->ndim - 1];
    for (int64_t blk = b; blk < e; blk++) {
        int64_t lo = blk * MASK_BLOCK, hi = lo + MASK_BLOCK < j->n ? lo + MASK_BLOCK : j->n;
        int64_t count = 0;
        mxi_strided_pos p;
        mxi_strided_seek(it, &p, lo);
        for (int64_t i = lo; i < hi;) {
            int64_t run = mxi_strided_row_left(it, &p);
            if (run > hi - i) run = hi - i;
            const uint8_t *m = j->mask + p.off[0];
            for (int64_t k = 0; k < run; k++) count += m[k * sm] != 0;
            i += run;
            if (i < hi) mxi_strided_advance(it, &p, run);
        }
        j->counts[blk] = count;
    }
}

static void masked_write_range(void *ctx, int64_t b, int64_t e) {
    masked_job *j = ctx;
    const mxi_strided *it = &j->it, *vit = &j->vals;
    int64_t sm = it->strides[0][it->ndim - 1];
    int64_t size = (int64_t)j->size;
    for (int64_t blk = b; blk < e; blk++) {
        int64_t lo = blk * MASK_BLOCK, hi = lo + MASK_BLOCK < j->n ? lo + MASK_BLOCK : j->n;
        mxi_strided_pos p, vp;
        mxi_strided_seek(it, &p, lo);
        int64_t v = j->counts[blk];
        bool started = false;
        for (int64_t i = lo; i < hi;) {
            int64_t run = mxi_strided_row_left(it, &p);
            if (run > hi - i) run = hi - i;
            const uint8_t *m = j->mask + p.off[0];
            for (int64_t k = 0; k < run; k++) {
                if (!m[k * sm]) continue;
                /* The next value: the block's first one, then one on. */
                if (started)
                    mxi_strided_advance(vit, &vp, 1);
                else
                    mxi_strided_seek(vit, &vp, v);
                started = true;
                memcpy(j->out + (i + k) * size, j->val + vp.off[0] * size, (size_t)size);
            }
            i += run;
            if (i < hi) mxi_strided_advance(it, &p, run);
        }
    }
}

int mxi_cpu_masked_scatter(struct mxi_node *node, mx_array *const *inputs,
                           mx_array *const *outputs) {
    (void)node;
    mx_array *a = inputs[0], *mask = inputs[1], *vals = inputs[2], *out = outputs[0];
    const uint8_t *mask_data = mask->size ? mxi_data(mask) : NULL;
    const char *val_data = vals->size ? mxi_data(vals) : NULL;
    int rc = init_output(out, a);
    if (rc) return rc;
    if (out->size == 0) return MX_OK;
    masked_job j;
    const int64_t *st[1] = {mask->strides};
    rc = mxi_strided_init(&j.it, out->shape, out->ndim, st, 1, "masked_scatter");
    if (rc) return rc;
    const int64_t *vst[1] = {vals->strides};
    rc = mxi_strided_init(&j.vals, vals->shape, vals->ndim, vst, 1, "masked_scatter");
    if (rc) return rc;
    j.mask = mask_data;
    j.val = val_data;
    j.out = mxi_data(out);
    j.size = (size_t)mx_dtype_size(out->dtype);
    j.n = out->size;
    j.nblocks = (j.n + MASK_BLOCK - 1) / MASK_BLOCK;
    j.counts = malloc((size_t)j.nblocks * sizeof(int64_t));
    if (!j.counts) return mxi_error(MX_ERR_MEMORY, "[masked_scatter] out of memory");
    if (j.nblocks > 1)
        mxi_parallel_for(j.nblocks, 1, masked_count_range, &j);
    else
        masked_count_range(&j, 0, 1);
    int64_t total = 0;
    for (int64_t b = 0; b < j.nblocks; b++) {
        int64_t c = j.counts[b];
        j.counts[b] = total;
        total += c;
    }
    if (total > vals->size) {
        free(j.counts);
        return mxi_error(MX_ERR_RUNTIME,
                         "[masked_scatter] the values have %lld elements but the mask selects "
                         "%lld",
                         (long long)vals->size, (long long)total);
    }
    if (total) {
        if (j.nblocks > 1)
            mxi_parallel_for(j.nblocks, 1, masked_write_range, &j);
        else
            masked_write_range(&j, 0, 1);
    }
    free(j.counts);
    return MX_OK;
}
