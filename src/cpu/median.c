/*
 * Median over any set of axes, by selection rather than sorting: each
 * output gathers its elements into a scratch array of keys (int64, uint64,
 * double, or a (real, imaginary) pair for complex64, all exact), and a
 * three-way quickselect finds the middle one; for an even count the lower
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
 * are left of it and larger ones right. Median-of-three pivots; the
 * three-way partition keeps runs of equal keys linear. */
#define SELECT(NAME, K, LESS)                                                                      \
    static void NAME(K *v, int64_t n, int64_t k) {                                                 \
        int64_t lo = 0, hi = n - 1;                                                                \
        while (hi > lo) {                                                                          \
            int64_t mid = lo + (hi - lo) / 2;                                                      \
            K a = v[lo], b = v[mid], c = v[hi], pv;                                                \
            if (LESS(a, b))                                                                        \
                pv = LESS(b, c) ? b : (LESS(a, c) ? c : a);                                        \
            else                                                                                   \
                pv = LESS(a, c) ? a : (LESS(b, c) ? c : b);                                        \
            /* [lo, lt) < pv, [lt, i) == pv, (gt, hi] > pv */                                      \
            int64_t lt = lo, i = lo, gt = hi;                                                      \
            while (i <= gt) {                                                                      \
                K x = v[i];                                                                        \
                if (LESS(x, pv)) {                                                                 \
                    v[i++] = v[lt];                                                                \
                    v[lt++] = x;                                                                   \
                } else if (LESS(pv, x)) {                                                          \
                    v[i] = v[gt];                                                                  \
                    v[gt--] = x;                                                                   \
                } else {                                                                           \
                    i++;                                                                           \
                }                                                                                  \
            }                                                                                      \
            if (k < lt)                                                                            \
                hi = lt - 1;                                                                       \
            else if (k > gt)                                                                       \
                lo = gt + 1;                                                                       \
            else                                                                                   \
                return;                                                                            \
        }                                                                                          \
    }

SELECT(select_i64, int64_t, KLESS_NUM)
SELECT(select_u64, uint64_t, KLESS_NUM)
SELECT(select_f64, double, KLESS_NUM)
SELECT(select_c, ckey, KLESS_C)

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

/* An integer key cast to the float output dtype as a cast of the integer
 * would: through float32 for float32 and the 16-bit types. */
static double int_to_out(mx_dtype t, double exact_or_near, int64_t i, uint64_t u, bool is_signed) {
    (void)exact_or_near;
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
        double hi = int_to_out(t, 0, vi[k], vu[k], sg), r = hi;
        if (n % 2 == 0) {
            int64_t mi = vi[0];
            uint64_t mu = vu[0];
            for (int64_t i = 1; i < k; i++) {
                if (sg && vi[i] > mi) mi = vi[i];
                if (!sg && vu[i] > mu) mu = vu[i];
            }
            r = half_sum(t, hi, int_to_out(t, 0, mi, mu, sg));
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

/* Reads element `off` of the input as a key into scratch[i]. */
static void gather(const median_job *j, void *scratch, int64_t i, int64_t off) {
    const char *p = j->in + off * j->isz;
    switch (j->kind) {
    case KEY_I64: {
        int64_t v = 0;
        mxi_convert_element(&v, MX_INT64, p, j->in_dtype);
        ((int64_t *)scratch)[i] = v;
        return;
    }
    case KEY_U64: {
        uint64_t v = 0;
        mxi_convert_element(&v, MX_UINT64, p, j->in_dtype);
        ((uint64_t *)scratch)[i] = v;
        return;
    }
    case KEY_F64: {
        double v = 0;
        mxi_convert_element(&v, MX_FLOAT64, p, j->in_dtype);
        ((double *)scratch)[i] = v;
        return;
    }
    case KEY_C: {
        float _Complex c;
        memcpy(&c, p, sizeof c);
        ((ckey *)scratch)[i] = (ckey){crealf(c), cimagf(c)};
        return;
    }
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
        int64_t i = 0;
        MXI_REDUCE_SPLIT_FOREACH(&j->sp, p, off, off1, gather(j, scratch, i++, off));
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
