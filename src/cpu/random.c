/*
 * Random kernels on the CPU: bits, the sampling primitives, the argmax of
 * categorical, permutations and the covariance square root of
 * multivariate_normal.
 *
 * Bits. MLX's RandomBits fills the output of one key as an array of N
 * 32-bit words (N = ceil(bytes / 4)): with h = N / 2 and off = h + N % 2,
 * counter c < h hashes to the pair (word c, word c + off), and when N is odd
 * the middle word h is the first half of the hash of counter (h, 0). The
 * bytes of the output are the first `bytes` bytes of that word array. Every
 * sampling primitive draws its words the same way, one word per sample in
 * flat row-major order, and turns them into values as it goes: the work is
 * split over counters, and a chunk of counters gives two runs of outputs
 * (positions [c, c + m) and [c + off, c + off + m)).
 *
 * Values. Each family repeats MLX's composition of ops with the same
 * roundings: a float32 step is a float32 operation, a float16/bfloat16 step
 * is computed in float32 and rounded to the 16-bit type, as MLX's CPU
 * kernels do. The comments give the MLX expression each loop reproduces.
 * Parameter inputs (low, high, p, ...) arrive cast and broadcast to the
 * output shape (stride-0 views); they are staged per run as doubles (exact
 * for every float dtype) or int64.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "random.h"

#include "copy.h"
#include "strided.h"

#include "core/array_impl.h"
#include "core/error.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "cpu/simd.h"
#include "primitives/params_random.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "random_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const random_tables[MXI_SIMD_LEVELS] = {
    [MXI_SIMD_SCALAR] = &mxi_random_table_scalar,
#ifndef MXI_NO_X86_SIMD
    [MXI_SIMD_AVX2] = &mxi_random_table_avx2,
    [MXI_SIMD_AVX512] = &mxi_random_table_avx512,
#endif
};

void mxi_threefry2x32(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t out[2]) {
    mxi_random_table_scalar.threefry(k0, k1, c0, c1 - c0, 1, &out[0], &out[1]);
}

/* Samples per staged run, and counters per task of the thread pool. */
#define RND_CHUNK      256
#define RND_GRAIN      4096
#define RND_MAX_PARAMS 4

/* ---- parameter inputs ---- */

typedef struct rnd_param {
    const char *data;
    mx_dtype dtype;
    int64_t isz;
    bool scalar; /* one value for every position */
    mxi_strided it;
} rnd_param;

static int rnd_param_init(rnd_param *p, const mx_array *a) {
    p->dtype = a->dtype;
    p->isz = mx_dtype_size(a->dtype);
    p->data = a->size ? mxi_data(a) : NULL;
    const int64_t *strides = a->strides;
    int rc = mxi_strided_init(&p->it, a->shape, a->ndim, &strides, 1, "random");
    if (rc) return rc;
    p->scalar = p->it.ndim == 1 && (p->it.strides[0][0] == 0 || p->it.shape[0] == 1);
    return MX_OK;
}

static double rd_f64(const char *q, mx_dtype t) {
    switch (t) {
    case MX_FLOAT16:
        return mxi_f16_to_f32(*(const uint16_t *)q);
    case MX_BFLOAT16:
        return mxi_bf16_to_f32(*(const uint16_t *)q);
    case MX_FLOAT32:
        return *(const float *)q;
    case MX_FLOAT64:
        return *(const double *)q;
    default:
        return 0;
    }
}

/* Integers as int64; uint64 keeps its bit pattern. */
static int64_t rd_i64(const char *q, mx_dtype t) {
    switch (t) {
    case MX_BOOL:
    case MX_UINT8:
        return *(const uint8_t *)q;
    case MX_UINT16:
        return *(const uint16_t *)q;
    case MX_UINT32:
        return *(const uint32_t *)q;
    case MX_UINT64:
    case MX_INT64:
        return *(const int64_t *)q;
    case MX_INT8:
        return *(const int8_t *)q;
    case MX_INT16:
        return *(const int16_t *)q;
    case MX_INT32:
        return *(const int32_t *)q;
    default:
        return 0;
    }
}

/* Stages the parameter at flat positions [pos, pos + n) into dst (as double,
 * or as int64 when `ints`). */
static void rnd_gather(void *dst, bool ints, const rnd_param *p, int64_t pos, int64_t n) {
    double *df = dst;
    int64_t *di = dst;
    if (p->scalar) {
        if (ints) {
            int64_t v = rd_i64(p->data, p->dtype);
            for (int64_t i = 0; i < n; i++) di[i] = v;
        } else {
            double v = rd_f64(p->data, p->dtype);
            for (int64_t i = 0; i < n; i++) df[i] = v;
        }
        return;
    }
    const mxi_strided *it = &p->it;
    int64_t st = it->strides[0][it->ndim - 1] * p->isz;
    mxi_strided_pos sp;
    mxi_strided_seek(it, &sp, pos);
    for (int64_t i = 0; i < n;) {
        int64_t run = mxi_strided_row_left(it, &sp);
        if (run > n - i) run = n - i;
        const char *q = p->data + sp.off[0] * p->isz;
        if (ints)
            for (int64_t k = 0; k < run; k++) di[i + k] = rd_i64(q + k * st, p->dtype);
        else
            for (int64_t k = 0; k < run; k++) df[i + k] = rd_f64(q + k * st, p->dtype);
        i += run;
        mxi_strided_advance(it, &sp, run);
    }
}

/* ---- float helpers ---- */

/* Rounds a float32 value to dtype t (float16, bfloat16; float32 unchanged). */
static inline float rnd_round(float x, mx_dtype t) {
    if (t == MX_FLOAT16) return mxi_f16_to_f32(mxi_f32_to_f16(x));
    if (t == MX_BFLOAT16) return mxi_bf16_to_f32(mxi_f32_to_bf16(x));
    return x;
}

/* Stores a value already rounded to t (float16, bfloat16, float32). */
static inline void rnd_store(char *out, int64_t i, mx_dtype t, float x) {
    if (t == MX_FLOAT16)
        ((uint16_t *)out)[i] = mxi_f32_to_f16(x);
    else if (t == MX_BFLOAT16)
        ((uint16_t *)out)[i] = mxi_f32_to_bf16(x);
    else
        ((float *)out)[i] = x;
}

/* The largest value below 1 in dtype t: uniform samples are clamped to it
 * in float32 before the cast to t. */
static float rnd_upper(mx_dtype t) {
    if (t == MX_FLOAT16) return 0x1.ffcp-1f;
    if (t == MX_BFLOAT16) return 0x1.fep-1f;
    return 0x1.fffffep-1f;
}

/* minimum(astype(bits, float32) / float(UINT32_MAX), upper): float(UINT32_MAX)
 * is 2^32, so the division is an exact scaling. */
static inline float rnd_u01(uint32_t w, float upper) {
    float u = (float)w * 0x1p-32f;
    return u < upper ? u : upper;
}

/* The float32 uniform in (-1, 1) of normal and laplace: uniform(low =
 * nextafter(-1, 0), high = 1) is range * u + low with range = high - low
 * rounded (to 2). */
static inline float rnd_pm1(uint32_t w) {
    const float lo = -0x1.fffffep-1f, range = 1.0f - lo;
    float m = range * rnd_u01(w, 0x1.fffffep-1f);
    return m + lo;
}

/* ---- jobs ---- */

typedef struct rnd_job rnd_job;
typedef void (*rnd_run_fn)(const rnd_job *j, const uint32_t *w, int64_t pos, int64_t n);

struct rnd_job {
    const mxi_random_table *tab;
    uint32_t k0, k1;
    int64_t half, off; /* counters [0, half) pair words c and c + off */
    rnd_run_fn run;
    mx_dtype dtype; /* of the output */
    char *out;
    int64_t out_bytes; /* bits: bytes of the output */
    uint32_t *words;   /* permutation: where the raw words go */
    int nparams;
    rnd_param prm[RND_MAX_PARAMS];
    const mxi_node *node;
};

static void rnd_range(void *ctx, int64_t begin, int64_t end) {
    const rnd_job *j = ctx;
    uint32_t lo[RND_CHUNK], hi[RND_CHUNK];
    for (int64_t c = begin; c < end; c += RND_CHUNK) {
        int64_t m = end - c < RND_CHUNK ? end - c : RND_CHUNK;
        j->tab->threefry(j->k0, j->k1, (uint32_t)c, (uint32_t)j->off, m, lo, hi);
        j->run(j, lo, c, m);
        j->run(j, hi, c + j->off, m);
    }
}

/* Draws the nwords words of the key (k0, k1) and hands them to j->run. */
static void rnd_generate(rnd_job *j, int64_t nwords) {
    j->tab = mxi_simd_pick(random_tables);
    j->half = nwords / 2;
    j->off = j->half + (nwords & 1);
    if (j->half >= 2 * RND_GRAIN)
        mxi_parallel_for(j->half, RND_GRAIN, rnd_range, j);
    else if (j->half > 0)
        rnd_range(j, 0, j->half);
    if (nwords & 1) {
        uint32_t lo, hi;
        j->tab->threefry(j->k0, j->k1, (uint32_t)j->half, (uint32_t)-j->half, 1, &lo, &hi);
        j->run(j, &lo, j->half, 1);
    }
}

static int rnd_read_key(rnd_job *j, const mx_array *key) {
    const uint32_t *k = mxi_data(key);
    j->k0 = k[0];
    j->k1 = k[key->strides[0]];
    return MX_OK;
}

/* ---- runs of each family ---- */

static void run_bits(const rnd_job *j, const uint32_t *w, int64_t pos, int64_t n) {
    int64_t start = pos * 4, bytes = n * 4;
    if (start + bytes > j->out_bytes) bytes = j->out_bytes - start;
    memcpy(j->out + start, w, (size_t)bytes);
}

static void run_words(const rnd_job *j, const uint32_t *w, int64_t pos, int64_t n) {
    memcpy(j->words + pos, w, (size_t)n * 4);
}

/* uniform(low, high, shape, t): add(multiply(high - low, astype(u01, t)), low). */
static void run_uniform(const rnd_job *j, const uint32_t *w, int64_t pos, int64_t n) {
    if (j->prm[0].scalar && j->prm[1].scalar && j->dtype == MX_FLOAT32) {
        /* The common case: one range for the whole run, no rounding. */
        float l = (float)rd_f64(j->prm[0].data, MX_FLOAT32);
        float range = (float)rd_f64(j->prm[1].data, MX_FLOAT32) - l;
        float *o = (float *)j->out + pos;
        for (int64_t i = 0; i < n; i++) {
            float m = range * rnd_u01(w[i], 0x1.fffffep-1f);
            o[i] = m + l;
        }
        return;
    }
    double lo[RND_CHUNK], hi[RND_CHUNK];
    rnd_gather(lo, false, &j->prm[0], pos, n);
    rnd_gather(hi, false, &j->prm[1], pos, n);
    mx_dtype t = j->dtype;
    float upper = rnd_upper(t);
    for (int64_t i = 0; i < n; i++) {
        float u = rnd_round(rnd_u01(w[i], upper), t);
        float l = (float)lo[i];
        float range = rnd_round((float)hi[i] - l, t);
        float v = rnd_round(rnd_round(range * u, t) + l, t);
        rnd_store(j->out, pos + i, t, v);
    }
}

/* normal: sqrt(2) * astype(erfinv(uniform(-1+, 1, float32)), t), or without
 * the factor (scaled = 0); complex64 outputs are float pairs. */
static void run_normal(const rnd_job *j, const uint32_t *w, int64_t pos, int64_t n) {
    float x[RND_CHUNK] = {0}, e[RND_CHUNK];
    for (int64_t i = 0; i < n; i++) x[i] = rnd_pm1(w[i]);
    j->tab->erfinv(x, e, n);
    const mxi_random_normal_params *p = j->node->params;
    mx_dtype t = j->dtype;
    if (t == MX_FLOAT64) {
        double *o = (double *)j->out + pos;
        const double s2 = sqrt(2.0);
        for (int64_t i = 0; i < n; i++) o[i] = p->scaled ? s2 * (double)e[i] : (double)e[i];
    } else if (t == MX_COMPLEX64) {
        memcpy((float *)j->out + pos, e, (size_t)n * sizeof(float));
    } else {
        const float s2 = rnd_round((float)sqrt(2.0), t);
        for (int64_t i = 0; i < n; i++) {
            float v = rnd_round(e[i], t);
            if (p->scaled) v = rnd_round(s2 * v, t);
            rnd_store(j->out, pos + i, t, v);
        }
    }
}

/* truncated_normal(lower, upper): a = erf(lower / sqrt2), b = erf(upper /
 * sqrt2), out = sqrt2 * erfinv(uniform(a, b)), clipped as
 * maximum(minimum(upper, out), lower). */
static void run_trunc(const rnd_job *j, const uint32_t *w, int64_t pos, int64_t n) {
    double lw[RND_CHUNK], up[RND_CHUNK];
    float xa[RND_CHUNK] = {0}, xb[RND_CHUNK] = {0}, ea[RND_CHUNK], eb[RND_CHUNK];
    rnd_gather(lw, false, &j->prm[0], pos, n);
    rnd_gather(up, false, &j->prm[1], pos, n);
    mx_dtype t = j->dtype;
    const float s2 = rnd_round((float)sqrt(2.0), t);
    /* Scalar bounds: erf once for the run. */
    int64_t ne = j->prm[0].scalar && j->prm[1].scalar ? 1 : n;
    for (int64_t i = 0; i < ne; i++) {
        xa[i] = rnd_round((float)lw[i] / s2, t);
        xb[i] = rnd_round((float)up[i] / s2, t);
    }
    j->tab->erf(xa, ea, ne);
    j->tab->erf(xb, eb, ne);
    for (int64_t i = ne; i < n; i++) ea[i] = ea[0], eb[i] = eb[0];
    float upper = rnd_upper(t);
    for (int64_t i = 0; i < n; i++) {
        float a = rnd_round(ea[i], t), b = rnd_round(eb[i], t);
        float range = rnd_round(b - a, t);
        float u = rnd_round(rnd_u01(w[i], upper), t);
        xa[i] = rnd_round(rnd_round(range * u, t) + a, t);
    }
    j->tab->erfinv(xa, ea, n);
    for (int64_t i = 0; i < n; i++) {
        float y = rnd_round(s2 * rnd_round(ea[i], t), t);
        float hi = (float)up[i], lo = (float)lw[i];
        float z = isnan(hi) ? hi : (hi < y ? hi : y);
        float v = isnan(z) ? z : (z > lo ? z : lo);
        rnd_store(j->out, pos + i, t, v);
    }
}

/* gumbel: -log(-log(uniform(0, 1, t))), each op rounded to t. */
static void run_gumbel(const rnd_job *j, const uint32_t *w, int64_t pos, int64_t n) {
    mx_dtype t = j->dtype;
    float upper = rnd_upper(t);
    for (int64_t i = 0; i < n; i++) {
        float u = rnd_round(rnd_u01(w[i], upper), t);
        float q = -rnd_round(logf(u), t);
        float v = -rnd_round(logf(q), t);
        rnd_store(j->out, pos + i, t, v);
    }
}

/* laplace: x = uniform(-1+, 1, float32); sign(x) * log1p(-1 * abs(x)) in
 * float32 (float64 for a float64 output, from the float32 sign and abs),
 * cast to t, then multiply(scale, .) and add(loc, .) in t where not 1 / 0. */
static void run_laplace(const rnd_job *j, const uint32_t *w, int64_t pos, int64_t n) {
    const mxi_random_laplace_params *p = j->node->params;
    mx_dtype t = j->dtype;
    if (t == MX_FLOAT64) {
        double *o = (double *)j->out + pos;
        for (int64_t i = 0; i < n; i++) {
            float x = rnd_pm1(w[i]);
            double s = x < 0 ? -1.0 : (x > 0 ? 1.0 : 0.0);
            double v = s * log1p(-1.0 * (double)fabsf(x));
            if (p->scale != 1.0f) v = (double)p->scale * v;
            if (p->loc != 0.0f) v = (double)p->loc + v;
            o[i] = v;
        }
        return;
    }
    const float scale = rnd_round(p->scale, t), loc = rnd_round(p->loc, t);
    for (int64_t i = 0; i < n; i++) {
        float x = rnd_pm1(w[i]);
        float s = x < 0 ? -1.0f : (x > 0 ? 1.0f : 0.0f);
        float v = rnd_round(s * log1pf(-1.0f * fabsf(x)), t);
        if (p->scale != 1.0f) v = rnd_round(scale * v, t);
        if (p->loc != 0.0f) v = rnd_round(loc + v, t);
        rnd_store(j->out, pos + i, t, v);
    }
}

/* bernoulli(p): less(astype(bits, P), astype(p, P) * float(UINT32_MAX)) with
 * P = promote(p, float32) (float32 or float64). */
static void run_bernoulli(const rnd_job *j, const uint32_t *w, int64_t pos, int64_t n) {
    double p[RND_CHUNK];
    rnd_gather(p, false, &j->prm[0], pos, n);
    uint8_t *o = (uint8_t *)j->out + pos;
    if (j->prm[0].dtype == MX_FLOAT64) {
        for (int64_t i = 0; i < n; i++) o[i] = (double)w[i] < p[i] * 4294967296.0;
    } else {
        for (int64_t i = 0; i < n; i++) o[i] = (float)w[i] < (float)p[i] * 4294967296.0f;
    }
}

/* float32 to an integer dtype as astype does (copy_kernels.inc): truncation,
 * with x86's results where C leaves it undefined. Returned as int64 (uint64
 * as its bit pattern). */
static int64_t rnd_f2i(float f, mx_dtype t) {
    int64_t i64 = f > -0x1p63f && f < 0x1p63f ? (int64_t)f : INT64_MIN;
    int32_t i32 = f > -0x1p31f && f < 0x1p31f ? (int32_t)f : INT32_MIN;
    switch (t) {
    case MX_BOOL:
        return f != 0;
    case MX_UINT8:
        return (uint8_t)i32;
    case MX_UINT16:
        return (uint16_t)i32;
    case MX_INT8:
        return (int8_t)i32;
    case MX_INT16:
        return (int16_t)i32;
    case MX_INT32:
        return i32;
    case MX_UINT32:
        return (uint32_t)i64;
    case MX_UINT64:
        return f >= 0x1p63f && f < 0x1p64f ? (int64_t)(uint64_t)f : i64;
    default:
        return i64;
    }
}

static inline bool rnd_less(int64_t a, int64_t b, mx_dtype t) {
    return t == MX_UINT64 ? (uint64_t)a < (uint64_t)b : a < b;
}

static void rnd_store_int(char *out, int64_t i, mx_dtype t, int64_t v) {
    switch (mx_dtype_size(t)) {
    case 1:
        ((uint8_t *)out)[i] = (uint8_t)v;
        break;
    case 2:
        ((uint16_t *)out)[i] = (uint16_t)v;
        break;
    case 4:
        ((uint32_t *)out)[i] = (uint32_t)v;
        break;
    default:
        ((int64_t *)out)[i] = v;
    }
}

/* Whether [lot, hm1] (integers of dtype t) lies where float32 holds every
 * integer, so MLX's float32 sampling below is exact. */
static bool randint_f32_exact(int64_t lot, int64_t hm1, mx_dtype t) {
    const int64_t lim = (int64_t)1 << 24;
    if (t == MX_UINT64) return (uint64_t)lot <= (uint64_t)lim && (uint64_t)hm1 < (uint64_t)lim;
    return lot >= -lim && lot <= lim && hm1 >= -lim - 1 && hm1 < lim;
}

/* An integer in [lot, hm1] (lot when empty) from the word w of position
 * pos, exactly: w alone for ranges up to 2^32, with 32 more bits drawn
 * from the key at pos (a counter space the stream does not use) for wider
 * ones. */
static int64_t randint_exact(const rnd_job *j, uint32_t w, int64_t pos, int64_t lot, int64_t hm1,
                             mx_dtype t) {
    bool empty = t == MX_UINT64 ? (uint64_t)hm1 < (uint64_t)lot : hm1 < lot;
    if (empty) return lot;
    uint64_t range = (uint64_t)hm1 - (uint64_t)lot + 1; /* 0: all 2^64 values */
    if (range != 0 && range <= ((uint64_t)1 << 32))
        return (int64_t)((uint64_t)lot + (((uint64_t)w * range) >> 32));
    uint32_t extra[2];
    mxi_threefry2x32(j->k1 ^ 0x9e3779b9u, j->k0, (uint32_t)pos, (uint32_t)((uint64_t)pos >> 32),
                     extra);
    uint64_t x = (uint64_t)w << 32 | extra[0];
    /* the high word of x * range: w leads, so the value is MLX's draw made exact */
    uint64_t r_lo = range & 0xffffffffu, r_hi = range >> 32;
    uint64_t mid = (uint64_t)extra[0] * r_hi + (((uint64_t)extra[0] * r_lo) >> 32);
    uint64_t mid2 = (uint64_t)w * r_lo + (mid & 0xffffffffu);
    uint64_t hi = (uint64_t)w * r_hi + (mid >> 32) + (mid2 >> 32);
    return (int64_t)((uint64_t)lot + (range ? hi : x));
}

/* randint: maximum(minimum(astype(floor(uniform(low, high, float32)), t),
 * astype(high - 1, t)), astype(low, t)), as MLX, wherever float32 is exact
 * for the bounds; beyond 2^24 (where MLX's draw collapses or skips values)
 * an exact integer draw. Inputs: low and high as float32, high - 1 and low
 * as t. */
static void run_randint(const rnd_job *j, const uint32_t *w, int64_t pos, int64_t n) {
    mx_dtype t = j->dtype;
    if (t == MX_INT32 && j->prm[0].scalar && j->prm[1].scalar && j->prm[2].scalar &&
        j->prm[3].scalar &&
        randint_f32_exact(rd_i64(j->prm[3].data, MX_INT32), rd_i64(j->prm[2].data, MX_INT32), t)) {
        /* The common case: int32 with scalar bounds. */
        float l = (float)rd_f64(j->prm[0].data, MX_FLOAT32);
        float range = (float)rd_f64(j->prm[1].data, MX_FLOAT32) - l;
        int32_t hm1 = (int32_t)rd_i64(j->prm[2].data, MX_INT32);
        int32_t lot = (int32_t)rd_i64(j->prm[3].data, MX_INT32);
        int32_t *o = (int32_t *)j->out + pos;
        for (int64_t i = 0; i < n; i++) {
            float m = range * rnd_u01(w[i], 0x1.fffffep-1f);
            float f = floorf(m + l);
            int32_t v = f > -0x1p31f && f < 0x1p31f ? (int32_t)f : INT32_MIN;
            v = hm1 < v ? hm1 : v;
            o[i] = v < lot ? lot : v;
        }
        return;
    }
    double lo[RND_CHUNK], hi[RND_CHUNK];
    int64_t hm1[RND_CHUNK], lot[RND_CHUNK];
    rnd_gather(lo, false, &j->prm[0], pos, n);
    rnd_gather(hi, false, &j->prm[1], pos, n);
    rnd_gather(hm1, true, &j->prm[2], pos, n);
    rnd_gather(lot, true, &j->prm[3], pos, n);
    for (int64_t i = 0; i < n; i++) {
        if (t != MX_BOOL && !randint_f32_exact(lot[i], hm1[i], t)) {
            rnd_store_int(j->out, pos + i, t, randint_exact(j, w[i], pos + i, lot[i], hm1[i], t));
            continue;
        }
        float l = (float)lo[i];
        float range = (float)hi[i] - l;
        float m = range * rnd_u01(w[i], 0x1.fffffep-1f);
        int64_t v = rnd_f2i(floorf(m + l), t);
        if (rnd_less(hm1[i], v, t)) v = hm1[i];
        if (rnd_less(v, lot[i], t)) v = lot[i];
        rnd_store_int(j->out, pos + i, t, v);
    }
}

int mxi_cpu_random_bits(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    mx_array *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    if (out->size == 0) return MX_OK;
    const mxi_random_bits_params *p = node->params;
    rnd_job j = {.run = run_bits, .dtype = out->dtype, .node = node};
    rnd_read_key(&j, inputs[0]);
    j.out = mxi_data(out);
    j.out_bytes = out->size * p->width;
    rnd_generate(&j, (j.out_bytes + 3) / 4);
    return MX_OK;
}

int mxi_cpu_random_sample(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    mx_array *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    if (out->size == 0) return MX_OK;
    rnd_job j = {.dtype = out->dtype, .node = node};
    rnd_read_key(&j, inputs[0]);
    j.out = mxi_data(out);
    j.nparams = node->n_inputs - 1;
    if (j.nparams > RND_MAX_PARAMS)
        return mxi_error(MX_ERR_RUNTIME, "[random] too many parameter inputs");
    for (int i = 0; i < j.nparams; i++) {
        rc = rnd_param_init(&j.prm[i], inputs[i + 1]);
        if (rc) return rc;
    }
    int64_t nwords = out->size;
    switch (node->kind) {
    case MXI_PRIM_RANDOM_UNIFORM:
        j.run = run_uniform;
        break;
    case MXI_PRIM_RANDOM_NORMAL:
        j.run = run_normal;
        if (out->dtype == MX_COMPLEX64) nwords *= 2;
        break;
    case MXI_PRIM_RANDOM_TRUNCATED_NORMAL:
        j.run = run_trunc;
        break;
    case MXI_PRIM_RANDOM_GUMBEL:
        j.run = run_gumbel;
        break;
    case MXI_PRIM_RANDOM_LAPLACE:
        j.run = run_laplace;
        break;
    case MXI_PRIM_RANDOM_BERNOULLI:
        j.run = run_bernoulli;
        break;
    case MXI_PRIM_RANDOM_RANDINT:
        j.run = run_randint;
        break;
    default:
        return mxi_error(MX_ERR_RUNTIME, "[random] not a sampling primitive");
    }
    rnd_generate(&j, nwords);
    return MX_OK;
}

/* ---- argmax for categorical ---- */

typedef struct argmax_job {
    mxi_strided it; /* over the output positions, with the input's strides */
    const char *in;
    mx_dtype dtype;
    int64_t len, stride; /* the reduced axis */
    uint32_t *out;
} argmax_job;

/* The index of the largest element; the first of equals; a NaN wins over
 * numbers (the first NaN), as MLX's argmax. complex64 compares real parts,
 * then imaginary parts. */
static uint32_t argmax_one(const argmax_job *j, const char *q) {
    uint32_t best = 0;
    int64_t st = j->stride;
    switch (j->dtype) {
    case MX_FLOAT64: {
        const double *x = (const double *)q;
        double b = x[0];
        for (int64_t k = 1; k < j->len; k++) {
            double v = x[k * st];
            if (v > b || (isnan(v) && !isnan(b))) b = v, best = (uint32_t)k;
        }
        break;
    }
    case MX_COMPLEX64: {
        const float *x = (const float *)q;
        float br = x[0], bi = x[1];
        for (int64_t k = 1; k < j->len; k++) {
            float vr = x[2 * k * st], vi = x[2 * k * st + 1];
            if (vr > br || (vr == br && vi > bi)) br = vr, bi = vi, best = (uint32_t)k;
        }
        break;
    }
    case MX_FLOAT32: {
        const float *x = (const float *)q;
        float b = x[0];
        for (int64_t k = 1; k < j->len; k++) {
            float v = x[k * st];
            if (v > b || (isnan(v) && !isnan(b))) b = v, best = (uint32_t)k;
        }
        break;
    }
    default: {
        float b = (float)rd_f64(q, j->dtype);
        int64_t isz = mx_dtype_size(j->dtype);
        for (int64_t k = 1; k < j->len; k++) {
            float v = (float)rd_f64(q + k * st * isz, j->dtype);
            if (v > b || (isnan(v) && !isnan(b))) b = v, best = (uint32_t)k;
        }
    }
    }
    return best;
}

static void argmax_range(void *ctx, int64_t begin, int64_t end) {
    const argmax_job *j = ctx;
    int64_t isz = mx_dtype_size(j->dtype);
    mxi_strided_pos p;
    mxi_strided_seek(&j->it, &p, begin);
    for (int64_t i = begin; i < end;) {
        int64_t run = mxi_strided_row_left(&j->it, &p);
        if (run > end - i) run = end - i;
        int64_t st = j->it.strides[0][j->it.ndim - 1];
        for (int64_t k = 0; k < run; k++)
            j->out[i + k] = argmax_one(j, j->in + (p.off[0] + k * st) * isz);
        i += run;
        mxi_strided_advance(&j->it, &p, run);
    }
}

int mxi_cpu_categorical_argmax(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    mx_array *in = inputs[0], *out = outputs[0];
    const mxi_random_axis_params *p = node->params;
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    if (out->size == 0) return MX_OK;
    mx_dtype t = in->dtype;
    if (t != MX_FLOAT16 && t != MX_BFLOAT16 && t != MX_FLOAT32 && t != MX_FLOAT64 &&
        t != MX_COMPLEX64)
        return mxi_error(MX_ERR_TYPE, "[categorical] unsupported dtype %s", mx_dtype_name(t));
    argmax_job j = {.in = mxi_data(in), .dtype = t, .out = mxi_data(out)};
    j.len = in->shape[p->axis];
    j.stride = in->strides[p->axis];
    int32_t shape[64];
    int64_t strides[64];
    int nd = 0;
    for (int d = 0; d < in->ndim; d++)
        if (d != p->axis) shape[nd] = in->shape[d], strides[nd++] = in->strides[d];
    const int64_t *sp = strides;
    rc = mxi_strided_init(&j.it, shape, nd, &sp, 1, "categorical");
    if (rc) return rc;
    int64_t grain = j.len > 0 ? 65536 / j.len + 1 : 65536;
    if (out->size >= 2 * grain)
        mxi_parallel_for(out->size, grain, argmax_range, &j);
    else
        argmax_range(&j, 0, out->size);
    return MX_OK;
}

/* ---- permutations ---- */

/* Stable argsort of n uint32 keys into idx (ascending, ties in index order):
 * insertion sort for short inputs, else an LSD radix sort by bytes. */
static int argsort_u32(const uint32_t *keys, uint32_t *idx, int64_t n) {
    if (n <= 32) {
        for (int64_t i = 0; i < n; i++) {
            uint32_t v = (uint32_t)i;
            int64_t k = i;
            while (k > 0 && keys[idx[k - 1]] > keys[v]) idx[k] = idx[k - 1], k--;
            idx[k] = v;
        }
        return MX_OK;
    }
    uint32_t *tmp = malloc((size_t)n * sizeof(uint32_t));
    if (!tmp) return mxi_error(MX_ERR_MEMORY, "[permutation] out of memory");
    for (int64_t i = 0; i < n; i++) idx[i] = (uint32_t)i;
    uint32_t *src = idx, *dst = tmp;
    for (int shift = 0; shift < 32; shift += 8) {
        int64_t count[257] = {0};
        for (int64_t i = 0; i < n; i++) count[((keys[src[i]] >> shift) & 0xff) + 1]++;
        for (int b = 0; b < 256; b++) count[b + 1] += count[b];
        for (int64_t i = 0; i < n; i++) dst[count[(keys[src[i]] >> shift) & 0xff]++] = src[i];
        uint32_t *t = src;
        src = dst, dst = t;
    }
    /* Four passes leave the result back in idx. */
    free(tmp);
    return MX_OK;
}

int mxi_cpu_random_permutation(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    mx_array *out = outputs[0];
    const mxi_random_axis_params *p = node->params;
    mx_array *x = node->n_inputs > 1 ? inputs[1] : NULL;
    int64_t n = x ? x->shape[p->axis] : out->size;
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    if (n == 0 || out->size == 0) return MX_OK;
    uint32_t *words = malloc((size_t)n * sizeof(uint32_t));
    uint32_t *perm = x ? malloc((size_t)n * sizeof(uint32_t)) : mxi_data(out);
    if (!words || !perm) {
        free(words);
        if (x) free(perm);
        return mxi_error(MX_ERR_MEMORY, "[permutation] out of memory");
    }
    rnd_job j = {.run = run_words, .words = words, .node = node};
    rnd_read_key(&j, inputs[0]);
    rnd_generate(&j, n);
    rc = argsort_u32(words, perm, n);
    free(words);
    if (rc || !x) {
        if (x) free(perm);
        return rc;
    }
    /* out[..., i, ...] = x[..., perm[i], ...]: walk the output in row-major
     * order with a multi-index. */
    int64_t isz = mx_dtype_size(x->dtype);
    const char *src = mxi_data(x);
    char *dst = mxi_data(out);
    int nd = x->ndim, ax = p->axis;
    int64_t idx[64] = {0};
    int64_t off = 0; /* x's offset of idx, with the axis index mapped */
    for (int64_t e = 0; e < out->size; e++) {
        int64_t so = off + (int64_t)perm[idx[ax]] * x->strides[ax];
        memcpy(dst + e * isz, src + so * isz, (size_t)isz);
        for (int d = nd - 1; d >= 0; d--) {
            if (d != ax) off += x->strides[d];
            if (++idx[d] < x->shape[d]) break;
            if (d != ax) off -= x->strides[d] * x->shape[d];
            idx[d] = 0;
        }
    }
    free(perm);
    return MX_OK;
}

/* ---- covariance square root ---- */

/* r = U diag(sqrt(S)) V^T for the SVD a = U S V^T of the n x n matrix a
 * (row-major, overwritten), by one-sided Jacobi: rotations V make the
 * columns of W = a V orthogonal, so w_j = s_j u_j and
 * r = sum_j (w_j / sqrt(s_j)) v_j^T. */
static void cov_sqrt_one(double *w, double *v, double *r, int64_t n) {
    for (int64_t i = 0; i < n * n; i++) v[i] = 0;
    for (int64_t i = 0; i < n; i++) v[i * n + i] = 1;
    for (int sweep = 0; sweep < 60; sweep++) {
        bool rotated = false;
        for (int64_t pc = 0; pc < n - 1; pc++) {
            for (int64_t qc = pc + 1; qc < n; qc++) {
                double alpha = 0, beta = 0, gamma = 0;
                for (int64_t k = 0; k < n; k++) {
                    double a = w[k * n + pc], b = w[k * n + qc];
                    alpha += a * a, beta += b * b, gamma += a * b;
                }
                if (gamma == 0 || !(fabs(gamma) > 1e-15 * sqrt(alpha * beta))) continue;
                rotated = true;
                double zeta = (beta - alpha) / (2 * gamma);
                double t = (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                double c = 1 / sqrt(1 + t * t), s = c * t;
                for (int64_t k = 0; k < n; k++) {
                    double a = w[k * n + pc], b = w[k * n + qc];
                    w[k * n + pc] = c * a - s * b, w[k * n + qc] = s * a + c * b;
                    a = v[k * n + pc], b = v[k * n + qc];
                    v[k * n + pc] = c * a - s * b, v[k * n + qc] = s * a + c * b;
                }
            }
        }
        if (!rotated) break;
    }
    for (int64_t i = 0; i < n * n; i++) r[i] = 0;
    for (int64_t jc = 0; jc < n; jc++) {
        double norm = 0;
        for (int64_t k = 0; k < n; k++) norm += w[k * n + jc] * w[k * n + jc];
        norm = sqrt(norm);
        if (!(norm > 0)) continue;
        double f = 1 / sqrt(norm);
        for (int64_t a = 0; a < n; a++)
            for (int64_t b = 0; b < n; b++) r[a * n + b] += w[a * n + jc] * f * v[b * n + jc];
    }
}

int mxi_cpu_cov_sqrt(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mx_array *in = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    if (out->size == 0) return MX_OK;
    int64_t n = in->shape[in->ndim - 1], nn = n * n, batch = in->size / nn;
    double *a = malloc((size_t)(in->size + 2 * nn) * sizeof(double));
    if (!a) return mxi_error(MX_ERR_MEMORY, "[multivariate_normal] out of memory");
    rc = mxi_copy_to_contiguous(a, MX_FLOAT64, mxi_data(in), in->dtype, in->shape, in->strides,
                                in->ndim);
    if (rc) {
        free(a);
        return rc;
    }
    double *v = a + in->size, *r = v + nn;
    float *o = mxi_data(out);
    for (int64_t b = 0; b < batch; b++) {
        cov_sqrt_one(a + b * nn, v, r, n);
        for (int64_t i = 0; i < nn; i++) o[b * nn + i] = (float)r[i];
    }
    free(a);
    return MX_OK;
}
