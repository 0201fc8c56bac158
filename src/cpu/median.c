/*
 * Median over any set of axes, by selection rather than sorting: each
 * output gathers its elements into a scratch array of keys (int64, uint64,
 * double, or a (real, imaginary) pair for complex64, all exact), and a
 * quickselect finds the middle one; for an even count the lower
 * middle is the largest key left of it. The result is MLX's: the middle
 * element cast to the output dtype, or the two middle elements cast, added
 * and halved in the output dtype (so float16 can overflow where the true
 * mean would not). Any NaN gives NaN.
 */
#include <complex.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "primitives/params_reduce.h"
#include "reduce_split.h"

/* C11's CMPLX/CMPLXF, for C libraries that define them only for some
 * compilers (glibc with clang). */
#ifndef CMPLXF
#define CMPLXF(x, y) md_cmplxf((x), (y))
static inline float _Complex md_cmplxf(float x, float y) {
    union {
        float _Complex c;
        float f[2];
    } u = {.f = {x, y}};
    return u.c;
}
#endif

typedef enum key_kind { KEY_I64, KEY_U64, KEY_F64, KEY_C } key_kind;

typedef struct ckey {
    double re, im;
} ckey;

typedef struct median_job {
    mxi_reduce_split sp;
    const char *in;
    char *out;
    mx_dtype in_dtype, out_dtype;
    int64_t isz, osz;
    key_kind kind;
    atomic_int failed;
} median_job;

static key_kind key_kind_of(mx_dtype t) {
    switch (t) {
    case MX_BOOL:
    case MX_UINT8:
    case MX_UINT16:
    case MX_UINT32:
    case MX_UINT64:
        return KEY_U64;
    case MX_INT8:
    case MX_INT16:
    case MX_INT32:
    case MX_INT64:
        return KEY_I64;
    case MX_COMPLEX64:
        return KEY_C;
    default:
        return KEY_F64;
    }
}

/* ---- three-way quickselect ---- */

#define KLESS_NUM(a, b) ((a) < (b))
#define KLESS_C(a, b)   ((a).re < (b).re || ((a).re == (b).re && (a).im < (b).im))

/* After SELECT(v, n, k), v[k] holds the k-th smallest key, smaller keys
 * are left of it and larger ones right (equal ones on either side).
 * Quickselect with a median-of-three pivot and branch-free partitions
 * (the element is always swapped, the boundary moves by the comparison):
 * first keys < pivot, then, when k lies past them, keys == pivot, so runs
 * of equal keys end the search at once. After 64 rounds (an adversarial
 * input) the rest is sorted instead, so the worst case is n log n. */
#define SELECT(NAME, K, LESS, CMP)                                                                 \
    static int NAME##_cmp(const void *a, const void *b) {                                          \
        K x = *(const K *)a, y = *(const K *)b;                                                    \
        return CMP(x, y);                                                                          \
    }                                                                                              \
    static void NAME(K *v, int64_t n, int64_t k) {                                                 \
        int64_t lo = 0, hi = n; /* [lo, hi) holds the k-th */                                      \
        for (int round = 0; hi - lo > 1; round++) {                                                \
            if (round == 64) {                                                                     \
                qsort(v + lo, (size_t)(hi - lo), sizeof(K), NAME##_cmp);                           \
                return;                                                                            \
            }                                                                                      \
            int64_t mid = lo + (hi - lo) / 2;                                                      \
            K a = v[lo], b = v[mid], c = v[hi - 1], pv;                                            \
            if (LESS(a, b))                                                                        \
                pv = LESS(b, c) ? b : (LESS(a, c) ? c : a);                                        \
            else                                                                                   \
                pv = LESS(a, c) ? a : (LESS(b, c) ? c : b);                                        \
            int64_t lt = lo;                                                                       \
            for (int64_t i = lo; i < hi; i++) {                                                    \
                K x = v[i];                                                                        \
                v[i] = v[lt];                                                                      \
                v[lt] = x;                                                                         \
                lt += LESS(x, pv);                                                                 \
            }                                                                                      \
            if (k < lt) {                                                                          \
                hi = lt;                                                                           \
                continue;                                                                          \
            }                                                                                      \
            int64_t le = lt;                                                                       \
            for (int64_t i = lt; i < hi; i++) {                                                    \
                K x = v[i];                                                                        \
                v[i] = v[le];                                                                      \
                v[le] = x;                                                                         \
                le += !LESS(pv, x);                                                                \
            }                                                                                      \
            if (k < le) return; /* v[k] == pivot */                                                \
            lo = le;                                                                               \
        }                                                                                          \
    }

#define KCMP_NUM(a, b) (((a) > (b)) - ((a) < (b)))
#define KCMP_C(a, b)   (KLESS_C(b, a) - KLESS_C(a, b))

SELECT(select_i64, int64_t, KLESS_NUM, KCMP_NUM)
SELECT(select_u64, uint64_t, KLESS_NUM, KCMP_NUM)
SELECT(select_f64, double, KLESS_NUM, KCMP_NUM)
SELECT(select_c, ckey, KLESS_C, KCMP_C)

/* ---- casts in the output dtype ---- */

/* x rounded to a float output dtype (float16, bfloat16, float32, float64). */
static double round_out(mx_dtype t, double x) {
    switch (t) {
    case MX_FLOAT16:
        return mxi_f16_to_f32(mxi_f32_to_f16((float)x));
    case MX_BFLOAT16:
        return mxi_bf16_to_f32(mxi_f32_to_bf16((float)x));
    case MX_FLOAT32:
        return (float)x;
    default:
        return x;
    }
}

/* (a + b) * 0.5 with every step rounded to t; a and b already are. */
static double half_sum(mx_dtype t, double a, double b) {
    return round_out(t, round_out(t, a + b) * 0.5);
}

/* An integer key cast to the output dtype (float32: integers' median is
 * float32) as a cast of the integer would. */
static double int_to_out(mx_dtype t, int64_t i, uint64_t u, bool is_signed) {
    if (t == MX_FLOAT64) return is_signed ? (double)i : (double)u;
    float f = is_signed ? (float)i : (float)u;
    return round_out(t, f);
}

static void store(const median_job *j, char *dst, double re, double im) {
    if (j->out_dtype == MX_COMPLEX64) {
        float _Complex c = CMPLXF((float)re, (float)im);
        memcpy(dst, &c, sizeof c);
        return;
    }
    mxi_convert_element(dst, j->out_dtype, &re, MX_FLOAT64);
}

/* One output: n keys gathered in scratch. */
static void median_one(const median_job *j, void *scratch, int64_t n, char *dst) {
    int64_t k = n / 2;
    mx_dtype t = j->out_dtype;
    switch (j->kind) {
    case KEY_I64:
    case KEY_U64: {
        bool sg = j->kind == KEY_I64;
        int64_t *vi = scratch;
        uint64_t *vu = scratch;
        if (sg)
            select_i64(vi, n, k);
        else
            select_u64(vu, n, k);
        double hi = int_to_out(t, vi[k], vu[k], sg), r = hi;
        if (n % 2 == 0) {
            int64_t mi = vi[0];
            uint64_t mu = vu[0];
            for (int64_t i = 1; i < k; i++) {
                if (sg && vi[i] > mi) mi = vi[i];
                if (!sg && vu[i] > mu) mu = vu[i];
            }
            r = half_sum(t, hi, int_to_out(t, mi, mu, sg));
        }
        store(j, dst, r, 0);
        return;
    }
    case KEY_F64: {
        double *v = scratch;
        for (int64_t i = 0; i < n; i++)
            if (isnan(v[i])) {
                store(j, dst, v[i], 0);
                return;
            }
        select_f64(v, n, k);
        double r = round_out(t, v[k]);
        if (n % 2 == 0) {
            double lo = v[0];
            for (int64_t i = 1; i < k; i++)
                if (v[i] > lo) lo = v[i];
            r = half_sum(t, r, round_out(t, lo));
        }
        store(j, dst, r, 0);
        return;
    }
    case KEY_C: {
        ckey *v = scratch;
        for (int64_t i = 0; i < n; i++)
            if (isnan(v[i].re) || isnan(v[i].im)) {
                store(j, dst, NAN, NAN);
                return;
            }
        select_c(v, n, k);
        double re = v[k].re, im = v[k].im;
        if (n % 2 == 0) {
            ckey lo = v[0];
            for (int64_t i = 1; i < k; i++)
                if (KLESS_C(lo, v[i])) lo = v[i];
            re = half_sum(MX_FLOAT32, re, lo.re);
            im = half_sum(MX_FLOAT32, im, lo.im);
        }
        store(j, dst, re, im);
        return;
    }
    }
}

/* Reads n elements from p, st elements apart, as keys into dst. */
#define GATHER(KT, T, CONV)                                                                        \
    do {                                                                                           \
        const T *x_ = (const T *)p;                                                                \
        KT *d_ = dst;                                                                              \
        for (int64_t k = 0; k < n; k++) d_[k] = (KT)CONV(x_[k * st]);                              \
    } while (0)
#define NOCONV(x) (x)

static void gather_run(const median_job *j, void *dst, const char *p, int64_t n, int64_t st) {
    switch (j->in_dtype) {
    case MX_BOOL:
    case MX_UINT8:
        GATHER(uint64_t, uint8_t, NOCONV);
        return;
    case MX_UINT16:
        GATHER(uint64_t, uint16_t, NOCONV);
        return;
    case MX_UINT32:
        GATHER(uint64_t, uint32_t, NOCONV);
        return;
    case MX_UINT64:
        GATHER(uint64_t, uint64_t, NOCONV);
        return;
    case MX_INT8:
        GATHER(int64_t, int8_t, NOCONV);
        return;
    case MX_INT16:
        GATHER(int64_t, int16_t, NOCONV);
        return;
    case MX_INT32:
        GATHER(int64_t, int32_t, NOCONV);
        return;
    case MX_INT64:
        GATHER(int64_t, int64_t, NOCONV);
        return;
    case MX_FLOAT16:
        GATHER(double, uint16_t, mxi_f16_to_f32);
        return;
    case MX_BFLOAT16:
        GATHER(double, uint16_t, mxi_bf16_to_f32);
        return;
    case MX_FLOAT32:
        GATHER(double, float, NOCONV);
        return;
    case MX_FLOAT64:
        GATHER(double, double, NOCONV);
        return;
    default: {
        const float *x = (const float *)p;
        ckey *d = dst;
        for (int64_t k = 0; k < n; k++) d[k] = (ckey){x[2 * k * st], x[2 * k * st + 1]};
        return;
    }
    }
}

/* Gathers the reduced elements of the output at kept position kp. */
static void gather(const median_job *j, void *scratch, const mxi_strided_pos *kp) {
    const mxi_strided *red = &j->sp.red;
    size_t ksz = j->kind == KEY_C ? sizeof(ckey) : 8;
    int64_t st = red->strides[0][red->ndim - 1];
    mxi_strided_pos q;
    mxi_strided_seek(red, &q, 0);
    for (int64_t r = 0; r < j->sp.n_red;) {
        int64_t run = mxi_strided_row_left(red, &q);
        gather_run(j, (char *)scratch + (size_t)r * ksz, j->in + (kp->off[0] + q.off[0]) * j->isz,
                   run, st);
        r += run;
        mxi_strided_advance(red, &q, run);
    }
}

static void median_range(void *ctx, int64_t b, int64_t e) {
    median_job *j = ctx;
    size_t ksz = j->kind == KEY_C ? sizeof(ckey) : 8;
    void *scratch = malloc((size_t)j->sp.n_red * ksz);
    if (!scratch) {
        atomic_store(&j->failed, 1);
        return;
    }
    mxi_strided_pos p;
    mxi_strided_seek(&j->sp.kept, &p, b);
    for (int64_t o = b; o < e; o++) {
        gather(j, scratch, &p);
        median_one(j, scratch, j->sp.n_red, j->out + o * j->osz);
        mxi_strided_advance(&j->sp.kept, &p, 1);
    }
    free(scratch);
}

int mxi_cpu_median(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_axes_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    median_job j = {.in = mxi_data(in),
                    .out = mxi_data(out),
                    .in_dtype = in->dtype,
                    .out_dtype = out->dtype,
                    .isz = mx_dtype_size(in->dtype),
                    .osz = mx_dtype_size(out->dtype),
                    .kind = key_kind_of(in->dtype)};
    atomic_init(&j.failed, 0);
    const int64_t *st[1] = {in->strides};
    rc = mxi_reduce_split_init(&j.sp, in->shape, st, 1, in->ndim, p->axes, p->naxes, "median");
    if (rc != MX_OK) return rc;
    if (j.sp.n_red == 0)
        return mxi_error(MX_ERR_VALUE, "[median] cannot take the median along an empty axis");
    int64_t work = 4 * j.sp.n_red;
    if (j.sp.n_out * work < 2 * MXI_ELEMWISE_GRAIN)
        median_range(&j, 0, j.sp.n_out);
    else
        mxi_parallel_for(j.sp.n_out, MXI_ELEMWISE_GRAIN / work > 0 ? MXI_ELEMWISE_GRAIN / work : 1,
                         median_range, &j);
    if (atomic_load(&j.failed))
        return mxi_error(MX_ERR_MEMORY, "[median] out of memory for %lld elements",
                         (long long)j.sp.n_red);
    return MX_OK;
}
