/*
 * Gather and GatherAxis on the CPU, and the index loading shared with the
 * scatter kernels.
 *
 * Index arrays of any integer dtype and layout are read in runs converted to
 * int64 (mxi_load_indices). A negative index counts from the end of its axis
 * once; what is still out of range is clamped here (reads never leave the
 * array; see include/cmlx/ops_index.h).
 *
 * Gather's output is walked in flat row-major order: index position p owns
 * the output block [p * slice, (p + 1) * slice), the block is copied from
 * the slice of `a` at p's start (memcpy runs where the slice is contiguous
 * in a, an element loop by item size otherwise), and any range of the output
 * can go to any thread. A one-element slice (take of single elements) takes
 * a direct loop.
 */
#include <stdlib.h>
#include <string.h>

#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/strided.h"
#include "primitives/params_index.h"

/* Indices converted per batch. */
#define IDX_BATCH 512

/* Converts n indices of dtype t at src (stride in elements) to int64 in dst.
 * uint64 values past INT64_MAX become INT64_MAX (out of range anyway). Used
 * by scatter.c too. */
void mxi_load_indices(int64_t *dst, const void *src, mx_dtype t, int64_t stride, int64_t n);

void mxi_load_indices(int64_t *dst, const void *src, mx_dtype t, int64_t stride, int64_t n) {
#define LOAD(T)                                                                                    \
    do {                                                                                           \
        const T *s = src;                                                                          \
        if (stride == 1)                                                                           \
            for (int64_t i = 0; i < n; i++) dst[i] = (int64_t)s[i];                                \
        else                                                                                       \
            for (int64_t i = 0; i < n; i++) dst[i] = (int64_t)s[i * stride];                       \
    } while (0)
    switch (t) {
    case MX_UINT8:
        LOAD(uint8_t);
        break;
    case MX_UINT16:
        LOAD(uint16_t);
        break;
    case MX_UINT32:
        LOAD(uint32_t);
        break;
    case MX_UINT64: {
        const uint64_t *s = src;
        for (int64_t i = 0; i < n; i++) {
            uint64_t v = s[i * stride];
            dst[i] = v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
        }
        break;
    }
    case MX_INT8:
        LOAD(int8_t);
        break;
    case MX_INT16:
        LOAD(int16_t);
        break;
    case MX_INT32:
        LOAD(int32_t);
        break;
    case MX_INT64:
        LOAD(int64_t);
        break;
    default: /* the ops admit integer dtypes only */
        for (int64_t i = 0; i < n; i++) dst[i] = 0;
        break;
    }
#undef LOAD
}

/* A negative index counts from the end once; the result is clamped to
 * [0, hi]. */
static inline int64_t clamp_index(int64_t v, int64_t dim, int64_t hi) {
    if (v < 0) v += dim;
    return v < 0 ? 0 : v > hi ? hi : v;
}

/* n elements from src (stride ss elements) to contiguous dst. */
static void copy_run(char *dst, const char *src, int64_t ss, int64_t n, size_t size) {
    if (ss == 1) {
        memcpy(dst, src, (size_t)n * size);
        return;
    }
    switch (size) {
    case 1:
        for (int64_t i = 0; i < n; i++) dst[i] = src[i * ss];
        break;
    case 2:
        for (int64_t i = 0; i < n; i++) memcpy(dst + 2 * i, src + 2 * i * ss, 2);
        break;
    case 4:
        for (int64_t i = 0; i < n; i++) memcpy(dst + 4 * i, src + 4 * i * ss, 4);
        break;
    default:
        for (int64_t i = 0; i < n; i++) memcpy(dst + 8 * i, src + 8 * i * ss, 8);
        break;
    }
}

/* ---- fused single-index loops ----
 *
 * out[k] = src[k * sa + clamp(idx[k * si]) * astride] for k < n: the hot loop
 * of take (one index array, one element per index) and of take_along_axis,
 * one function per (index dtype, item size) so nothing is converted through
 * a buffer. */

typedef void (*take_fn)(char *out, const char *src, int64_t sa, const char *idx, int64_t si,
                        int64_t n, int64_t dim, int64_t hi, int64_t astride);

#define IDX_SIGNED(x)   ((int64_t)(x))
#define IDX_UNSIGNED(x) ((x) > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(x))

#define TAKE_LOOP(NAME, IT, ET, CONV)                                                              \
    static void NAME(char *out, const char *src, int64_t sa, const char *idx, int64_t si,          \
                     int64_t n, int64_t dim, int64_t hi, int64_t astride) {                        \
        ET *o = (ET *)out;                                                                         \
        const ET *s = (const ET *)src;                                                             \
        const IT *x = (const IT *)idx;                                                             \
        for (int64_t k = 0; k < n; k++) {                                                          \
            int64_t v = CONV(x[k * si]);                                                           \
            v = v < 0 ? v + dim : v;                                                               \
            v = v < 0 ? 0 : v > hi ? hi : v;                                                       \
            o[k] = s[k * sa + v * astride];                                                        \
        }                                                                                          \
    }

#define TAKE_LOOPS(TAG, IT, CONV)                                                                  \
    TAKE_LOOP(take_##TAG##_1, IT, uint8_t, CONV)                                                   \
    TAKE_LOOP(take_##TAG##_2, IT, uint16_t, CONV)                                                  \
    TAKE_LOOP(take_##TAG##_4, IT, uint32_t, CONV)                                                  \
    TAKE_LOOP(take_##TAG##_8, IT, uint64_t, CONV)

TAKE_LOOPS(i8, int8_t, IDX_SIGNED)
TAKE_LOOPS(i16, int16_t, IDX_SIGNED)
TAKE_LOOPS(i32, int32_t, IDX_SIGNED)
TAKE_LOOPS(i64, int64_t, IDX_SIGNED)
TAKE_LOOPS(u8, uint8_t, IDX_SIGNED)
TAKE_LOOPS(u16, uint16_t, IDX_SIGNED)
TAKE_LOOPS(u32, uint32_t, IDX_SIGNED)
TAKE_LOOPS(u64, uint64_t, IDX_UNSIGNED)

#define TAKE_ROW(TAG)                                                                              \
    { take_##TAG##_1, take_##TAG##_2, take_##TAG##_4, take_##TAG##_8 }

/* By index dtype, then log2 of the item size. */
static const take_fn take_table[MX_NUM_DTYPES][4] = {
    [MX_INT8] = TAKE_ROW(i8),    [MX_INT16] = TAKE_ROW(i16),  [MX_INT32] = TAKE_ROW(i32),
    [MX_INT64] = TAKE_ROW(i64),  [MX_UINT8] = TAKE_ROW(u8),   [MX_UINT16] = TAKE_ROW(u16),
    [MX_UINT32] = TAKE_ROW(u32), [MX_UINT64] = TAKE_ROW(u64),
};

static take_fn take_pick(mx_dtype idx, size_t size) {
    return take_table[idx][size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3];
}

/* Take: one index array, one element per index. it walks the indices
 * (op 0); out is contiguous. */
typedef struct take_job {
    take_fn fn;
    mxi_strided it;
    const char *a, *idx;
    size_t isz, size;
    int64_t dim, hi, astride;
    char *out;
} take_job;

static void take_range(void *ctx, int64_t b, int64_t e) {
    const take_job *j = ctx;
    const mxi_strided *it = &j->it;
    int64_t si = it->strides[0][it->ndim - 1];
    mxi_strided_pos p;
    mxi_strided_seek(it, &p, b);
    for (int64_t i = b; i < e;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > e - i) run = e - i;
        j->fn(j->out + i * (int64_t)j->size, j->a, 0, j->idx + p.off[0] * (int64_t)j->isz, si, run,
              j->dim, j->hi, j->astride);
        i += run;
        if (i < e) mxi_strided_advance(it, &p, run);
    }
}

/* ---- Gather ---- */

typedef struct gather_job {
    int m;                /* index arrays */
    mxi_strided *idx_it;  /* m spaces over the index shape, one op each */
    const char **idx_ptr; /* their data */
    mx_dtype *idx_dtype;  /* their dtypes */
    int64_t *idx_dim;     /* size of the indexed axis */
    int64_t *idx_hi;      /* largest valid slice start on it */
    int64_t *idx_astride; /* a's stride on it */
    mxi_strided slice;    /* the slice shape over a's strides (op 0) */
    int64_t slice_n;
    const char *a;
    char *out;
    size_t size;
} gather_job;

/* base[k] = offset in a (elements) of the slice of index position p0 + k,
 * for k < count. */
static void gather_bases(const gather_job *j, int64_t p0, int64_t count, int64_t *base) {
    int64_t tmp[IDX_BATCH];
    memset(base, 0, (size_t)count * sizeof(int64_t));
    for (int k = 0; k < j->m; k++) {
        const mxi_strided *it = &j->idx_it[k];
        int64_t st = it->strides[0][it->ndim - 1];
        size_t isz = (size_t)mx_dtype_size(j->idx_dtype[k]);
        int64_t dim = j->idx_dim[k], hi = j->idx_hi[k], as = j->idx_astride[k];
        mxi_strided_pos p;
        mxi_strided_seek(it, &p, p0);
        for (int64_t i = 0; i < count;) {
            int64_t run = mxi_strided_row_left(it, &p);
            if (run > count - i) run = count - i;
            if (run > IDX_BATCH) run = IDX_BATCH;
            mxi_load_indices(tmp, j->idx_ptr[k] + p.off[0] * (int64_t)isz, j->idx_dtype[k], st,
                             run);
            for (int64_t r = 0; r < run; r++) base[i + r] += clamp_index(tmp[r], dim, hi) * as;
            i += run;
            if (i < count) mxi_strided_advance(it, &p, run);
        }
    }
}

static void gather_range(void *ctx, int64_t b, int64_t e) {
    const gather_job *j = ctx;
    int64_t base[IDX_BATCH];
    size_t size = j->size;
    int64_t sn = j->slice_n;
    if (sn == 1) {
        /* One element per index position. */
        for (int64_t p = b; p < e; p += IDX_BATCH) {
            int64_t cnt = e - p < IDX_BATCH ? e - p : IDX_BATCH;
            gather_bases(j, p, cnt, base);
            char *o = j->out + p * (int64_t)size;
            switch (size) {
            case 1:
                for (int64_t k = 0; k < cnt; k++) o[k] = j->a[base[k]];
                break;
            case 2:
                for (int64_t k = 0; k < cnt; k++) memcpy(o + 2 * k, j->a + 2 * base[k], 2);
                break;
            case 4:
                for (int64_t k = 0; k < cnt; k++) memcpy(o + 4 * k, j->a + 4 * base[k], 4);
                break;
            default:
                for (int64_t k = 0; k < cnt; k++) memcpy(o + 8 * k, j->a + 8 * base[k], 8);
                break;
            }
        }
        return;
    }
    const mxi_strided *sl = &j->slice;
    int64_t ss = sl->strides[0][sl->ndim - 1];
    int64_t p_first = b / sn, p_last = (e - 1) / sn; /* positions touched */
    for (int64_t p = p_first; p <= p_last; p += IDX_BATCH) {
        int64_t cnt = p_last + 1 - p < IDX_BATCH ? p_last + 1 - p : IDX_BATCH;
        gather_bases(j, p, cnt, base);
        for (int64_t k = 0; k < cnt; k++) {
            int64_t q0 = (p + k) * sn, lo = b > q0 ? b - q0 : 0;
            int64_t hi = e < q0 + sn ? e - q0 : sn;
            const char *src = j->a + base[k] * (int64_t)size;
            mxi_strided_pos sp;
            mxi_strided_seek(sl, &sp, lo);
            for (int64_t q = lo; q < hi;) {
                int64_t run = mxi_strided_row_left(sl, &sp);
                if (run > hi - q) run = hi - q;
                copy_run(j->out + (q0 + q) * (int64_t)size, src + sp.off[0] * (int64_t)size, ss,
                         run, size);
                q += run;
                if (q < hi) mxi_strided_advance(sl, &sp, run);
            }
        }
    }
}

int mxi_cpu_gather(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_gather_params *pp = node->params;
    mx_array *a = inputs[0], *out = outputs[0];
    int m = pp->naxes, nd = pp->ndim;
    const int32_t *axes = pp->data, *slice = pp->data + m;
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    if (out->size == 0) return MX_OK;

    int ind0 = out->ndim - nd;
    if (m == 1 && out->size == mxi_shape_size(out->shape, ind0)) {
        /* One index array and one element per index: the fused loop. */
        mx_array *idx = inputs[1];
        take_job t;
        const int64_t *st[1] = {idx->strides};
        rc = mxi_strided_init(&t.it, out->shape, ind0, st, 1, "gather");
        if (rc) return rc;
        t.a = mxi_data(a);
        t.idx = mxi_data(idx);
        t.isz = (size_t)mx_dtype_size(idx->dtype);
        t.size = (size_t)mx_dtype_size(a->dtype);
        t.fn = take_pick(idx->dtype, t.size);
        t.dim = a->shape[axes[0]];
        t.hi = t.dim - 1;
        t.astride = a->strides[axes[0]];
        t.out = mxi_data(out);
        /* Element 0 of the slice: other axes start at 0. */
        if (t.it.size >= 2 * MXI_ELEMWISE_GRAIN)
            mxi_parallel_for(t.it.size, MXI_ELEMWISE_GRAIN, take_range, &t);
        else
            take_range(&t, 0, t.it.size);
        return MX_OK;
    }

    gather_job j;
    memset(&j, 0, sizeof j);
    j.m = m;
    j.a = mxi_data(a);
    j.out = mxi_data(out);
    j.size = (size_t)mx_dtype_size(a->dtype);
    int ind = out->ndim - nd;
    const int32_t *ishape = out->shape;
    if (m) {
        j.idx_it = malloc((size_t)m * sizeof *j.idx_it);
        j.idx_ptr = malloc((size_t)m * sizeof *j.idx_ptr);
        j.idx_dtype = malloc((size_t)m * sizeof *j.idx_dtype);
        j.idx_dim = malloc((size_t)m * 3 * sizeof(int64_t));
        if (!j.idx_it || !j.idx_ptr || !j.idx_dtype || !j.idx_dim) {
            rc = mxi_error(MX_ERR_MEMORY, "[gather] out of memory");
            goto done;
        }
        j.idx_hi = j.idx_dim + m;
        j.idx_astride = j.idx_dim + 2 * m;
    }
    for (int k = 0; k < m; k++) {
        mx_array *idx = inputs[k + 1];
        const int64_t *st[1] = {idx->strides};
        rc = mxi_strided_init(&j.idx_it[k], ishape, ind, st, 1, "gather");
        if (rc) goto done;
        j.idx_ptr[k] = mxi_data(idx);
        j.idx_dtype[k] = idx->dtype;
        int ax = axes[k];
        j.idx_dim[k] = a->shape[ax];
        j.idx_hi[k] = a->shape[ax] - slice[ax];
        j.idx_astride[k] = a->strides[ax];
    }
    const int64_t *sst[1] = {a->strides};
    rc = mxi_strided_init(&j.slice, slice, nd, sst, 1, "gather");
    if (rc) goto done;
    j.slice_n = j.slice.size;
    int64_t positions = mxi_shape_size(ishape, ind);
    if (j.slice_n == 1) {
        if (positions >= 2 * MXI_ELEMWISE_GRAIN)
            mxi_parallel_for(positions, MXI_ELEMWISE_GRAIN, gather_range, &j);
        else
            gather_range(&j, 0, positions);
    } else {
        int64_t total = out->size;
        if (total >= 2 * MXI_ELEMWISE_GRAIN)
            mxi_parallel_for(total, MXI_ELEMWISE_GRAIN, gather_range, &j);
        else
            gather_range(&j, 0, total);
    }
done:
    free(j.idx_it);
    free(j.idx_ptr);
    free(j.idx_dtype);
    free(j.idx_dim);
    return rc;
}

/* ---- GatherAxis (take_along_axis) ---- */

typedef struct gather_axis_job {
    mxi_strided it; /* the output shape: op 0 = a with 0 on the axis, op 1 = indices */
    const char *a, *idx;
    mx_dtype idx_dtype;
    size_t size, isz;
    int64_t dim, astride;
    char *out;
} gather_axis_job;

static void gather_axis_range(void *ctx, int64_t b, int64_t e) {
    const gather_axis_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t sa = it->strides[0][last], si = it->strides[1][last];
    size_t size = j->size;
    take_fn fn = take_pick(j->idx_dtype, size);
    mxi_strided_pos p;
    mxi_strided_seek(it, &p, b);
    for (int64_t i = b; i < e;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > e - i) run = e - i;
        fn(j->out + i * (int64_t)size, j->a + p.off[0] * (int64_t)size, sa,
           j->idx + p.off[1] * (int64_t)j->isz, si, run, j->dim, j->dim - 1, j->astride);
        i += run;
        if (i < e) mxi_strided_advance(it, &p, run);
    }
}

int mxi_cpu_gather_axis(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_gather_axis_params *pp = node->params;
    mx_array *a = inputs[0], *idx = inputs[1], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    if (out->size == 0) return MX_OK;
    int ax = pp->axis;
    int64_t astr[64];
    memcpy(astr, a->strides, (size_t)a->ndim * sizeof(int64_t));
    astr[ax] = 0;
    gather_axis_job j;
    const int64_t *st[2] = {astr, idx->strides};
    rc = mxi_strided_init(&j.it, out->shape, out->ndim, st, 2, "take_along_axis");
    if (rc) return rc;
    j.a = mxi_data(a);
    j.idx = mxi_data(idx);
    j.idx_dtype = idx->dtype;
    j.size = (size_t)mx_dtype_size(a->dtype);
    j.isz = (size_t)mx_dtype_size(idx->dtype);
    j.dim = a->shape[ax];
    j.astride = a->strides[ax];
    j.out = mxi_data(out);
    if (out->size >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(out->size, MXI_ELEMWISE_GRAIN, gather_axis_range, &j);
    else
        gather_axis_range(&j, 0, out->size);
    return MX_OK;
}
