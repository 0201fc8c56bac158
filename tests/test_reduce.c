/*
 * Reductions through the public API: all, any, sum, prod, min, max, mean,
 * var, std, median, logsumexp, argmin, argmax, count_nonzero, softmax and
 * trace. Values are checked against reference loops in double precision
 * for every dtype, on inputs that are contiguous, transposed, reversed
 * (negative steps), broadcast and sliced with gaps, 0-d and empty; each
 * SIMD level against the scalar one; tricky cases against the outputs of
 * real MLX (mlx.core 0.32.4) embedded here; and wrong calls must fail with
 * the right code and leave the library working.
 */
#include <complex.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/simd.h"
#include "test.h"

#define NAN_ __builtin_nan("")
#define INF_ __builtin_inf()

/* ---- logical arrays and their layouts ---- */

/* A logical array: shape and row-major values (imaginary parts for
 * complex). */
typedef struct lg {
    int ndim;
    int32_t shape[6];
    int64_t size;
    double re[512], im[512];
} lg;

enum { L_CONTIG, L_TRANSPOSED, L_REVERSED, L_BROADCAST, L_GAPS, L_COUNT };
static const char *layout_name[] = {"contiguous", "transposed", "reversed", "broadcast", "gaps"};

static int64_t prod_shape(const int32_t *s, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= s[i];
    return p;
}

static void unravel(int64_t k, const int32_t *shape, int nd, int32_t *idx) {
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = (int32_t)(k % shape[d]);
        k /= shape[d];
    }
}

static int64_t ravel(const int32_t *idx, const int32_t *shape, int nd) {
    int64_t k = 0;
    for (int d = 0; d < nd; d++) k = k * shape[d] + idx[d];
    return k;
}

/* A physical float64 (or complex64) array holding `vals` (n elements of
 * shape), cast to dt. */
static mx_array *physical(const double *re, const double *im, int64_t n, const int32_t *shape,
                          int nd, mx_dtype dt) {
    mx_array *a = NULL, *c = NULL;
    if (dt == MX_COMPLEX64) {
        float *f = malloc(sizeof(float) * 2 * (size_t)(n ? n : 1));
        for (int64_t i = 0; i < n; i++) {
            f[2 * i] = (float)re[i];
            f[2 * i + 1] = (float)im[i];
        }
        CHECK_OK(mx_array_from_data(&a, f, shape, nd, MX_COMPLEX64));
        free(f);
        return a;
    }
    CHECK_OK(mx_array_from_data(&a, re, shape, nd, MX_FLOAT64));
    CHECK_OK(mx_astype(&c, a, dt, NULL));
    CHECK_OK(mx_eval(&c, 1));
    mx_array_free(a);
    return c;
}

/* An array of dtype dt with the logical values of x, laid out as asked.
 * L_BROADCAST first makes x constant along axis 0 (it changes x). */
static mx_array *make(lg *x, mx_dtype dt, int layout) {
    int nd = x->ndim;
    if (nd == 0 || x->size == 0) layout = L_CONTIG;
    int32_t ps[6];
    double *pre = calloc((size_t)(3 * x->size + 8), sizeof(double));
    double *pim = calloc((size_t)(3 * x->size + 8), sizeof(double));
    mx_array *p = NULL, *r = NULL;
    int32_t idx[6], pidx[6];
    switch (layout) {
    case L_TRANSPOSED: {
        for (int d = 0; d < nd; d++) ps[d] = x->shape[nd - 1 - d];
        for (int64_t k = 0; k < x->size; k++) {
            unravel(k, x->shape, nd, idx);
            for (int d = 0; d < nd; d++) pidx[d] = idx[nd - 1 - d];
            int64_t q = ravel(pidx, ps, nd);
            pre[q] = x->re[k];
            pim[q] = x->im[k];
        }
        p = physical(pre, pim, x->size, ps, nd, dt);
        CHECK_OK(mx_transpose(&r, p, NULL, 0, NULL));
        break;
    }
    case L_REVERSED: {
        memcpy(ps, x->shape, sizeof ps);
        for (int64_t k = 0; k < x->size; k++) {
            unravel(k, x->shape, nd, idx);
            idx[0] = x->shape[0] - 1 - idx[0];
            int64_t q = ravel(idx, ps, nd);
            pre[q] = x->re[k];
            pim[q] = x->im[k];
        }
        p = physical(pre, pim, x->size, ps, nd, dt);
        int32_t start[6] = {0}, stop[6], step[6];
        for (int d = 0; d < nd; d++) {
            stop[d] = x->shape[d];
            step[d] = 1;
        }
        start[0] = x->shape[0] - 1;
        stop[0] = -x->shape[0] - 1;
        step[0] = -1;
        CHECK_OK(mx_slice(&r, p, start, stop, step, nd, NULL));
        break;
    }
    case L_BROADCAST: {
        int64_t inner = x->size / x->shape[0];
        for (int64_t k = inner; k < x->size; k++) {
            x->re[k] = x->re[k % inner];
            x->im[k] = x->im[k % inner];
        }
        memcpy(ps, x->shape, sizeof ps);
        ps[0] = 1;
        p = physical(x->re, x->im, inner, ps, nd, dt);
        CHECK_OK(mx_broadcast_to(&r, p, x->shape, nd, NULL));
        break;
    }
    case L_GAPS: {
        /* Every other element of a last axis twice as long, from 1. */
        memcpy(ps, x->shape, sizeof ps);
        ps[nd - 1] = 2 * x->shape[nd - 1] + 1;
        int64_t pn = prod_shape(ps, nd);
        for (int64_t q = 0; q < pn; q++) pre[q] = 99; /* never read */
        for (int64_t k = 0; k < x->size; k++) {
            unravel(k, x->shape, nd, idx);
            idx[nd - 1] = 2 * idx[nd - 1] + 1;
            int64_t q = ravel(idx, ps, nd);
            pre[q] = x->re[k];
            pim[q] = x->im[k];
        }
        p = physical(pre, pim, pn, ps, nd, dt);
        int32_t start[6] = {0}, stop[6], step[6];
        for (int d = 0; d < nd; d++) {
            stop[d] = ps[d];
            step[d] = 1;
        }
        start[nd - 1] = 1;
        step[nd - 1] = 2;
        CHECK_OK(mx_slice(&r, p, start, stop, step, nd, NULL));
        break;
    }
    default:
        r = physical(x->re, x->im, x->size, x->shape, nd, dt);
        break;
    }
    mx_array_free(p);
    free(pre);
    free(pim);
    return r;
}

/* Evaluates a and reads its values as doubles (complex: both parts). */
static bool read_vals(mx_array *a, double *re, double *im, int64_t n) {
    if (!a) return false;
    CHECK_OK(mx_eval(&a, 1));
    if ((int64_t)mx_array_size(a) != n) {
        CHECK(mx_array_size(a) == (size_t)n);
        return false;
    }
    if (n == 0) return true;
    if (mx_array_dtype(a) == MX_COMPLEX64) {
        float *f = malloc(sizeof(float) * 2 * (size_t)n);
        CHECK_OK(mx_array_copy_to(a, f, sizeof(float) * 2 * (size_t)n));
        for (int64_t i = 0; i < n; i++) {
            re[i] = f[2 * i];
            im[i] = f[2 * i + 1];
        }
        free(f);
        return true;
    }
    mx_array *d = NULL;
    CHECK_OK(mx_astype(&d, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_eval(&d, 1));
    CHECK_OK(mx_array_copy_to(d, re, sizeof(double) * (size_t)n));
    if (im)
        for (int64_t i = 0; i < n; i++) im[i] = 0;
    mx_array_free(d);
    return true;
}

/* Reads a's raw bytes (row-major). */
__attribute__((unused)) static void read_raw(mx_array *a, void *dst, size_t bytes) {
    CHECK_OK(mx_eval(&a, 1));
    CHECK_OK(mx_array_copy_to(a, dst, bytes));
}

static bool same_shape(const mx_array *a, const int32_t *shape, int nd) {
    if (mx_array_ndim(a) != nd) return false;
    for (int i = 0; i < nd; i++)
        if (mx_array_shape(a)[i] != shape[i]) return false;
    return true;
}

/* ---- values ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool is_int(mx_dtype t) {
    return t != MX_BOOL && mx_dtype_is_integer(t);
}

__attribute__((unused)) static bool is_flt(mx_dtype t) {
    return mx_dtype_is_floating(t);
}

/* Values exact in every dtype of t's kind: bool 0/1, unsigned 0..5,
 * signed -4..4, floats k/8 for |k| <= 40, complex both parts so. `small`
 * narrows them for products (|x| <= 2). */
static void fill(lg *x, mx_dtype t, bool small) {
    for (int64_t i = 0; i < x->size; i++) {
        x->im[i] = 0;
        int64_t r = (int64_t)(rnd() % 81) - 40;
        if (t == MX_BOOL)
            x->re[i] = (double)(rnd() % 2);
        else if (is_int(t) && !mx_dtype_is_signed(t))
            x->re[i] = (double)(rnd() % (small ? 3 : 6));
        else if (is_int(t))
            x->re[i] = (double)((int64_t)(rnd() % (small ? 5 : 9)) - (small ? 2 : 4));
        else if (small)
            x->re[i] = ((int64_t)(rnd() % 9) - 4) / 2.0;
        else
            x->re[i] = r / 8.0;
        if (t == MX_COMPLEX64)
            x->im[i] =
                small ? ((int64_t)(rnd() % 5) - 2) / 2.0 : ((int64_t)(rnd() % 81) - 40) / 8.0;
    }
}

static void set_shape(lg *x, int nd, const int32_t *shape) {
    x->ndim = nd;
    memcpy(x->shape, shape, sizeof(int32_t) * (size_t)nd);
    x->size = prod_shape(shape, nd);
}

/* ---- dtypes of results, as MLX ---- */

static mx_dtype sum_dt(mx_dtype t) {
    if (t == MX_BOOL || t == MX_INT8 || t == MX_INT16) return MX_INT32;
    if (t == MX_UINT8 || t == MX_UINT16) return MX_UINT32;
    return t;
}

static mx_dtype float_dt(mx_dtype t) {
    return mx_at_least_float(t);
}

/* Tolerance for a float result of dtype t (relative and absolute). */
static double tol_of(mx_dtype t) {
    switch (t) {
    case MX_FLOAT16:
        return 4e-3;
    case MX_BFLOAT16:
        return 3e-2;
    case MX_FLOAT64:
        return 1e-12;
    case MX_FLOAT32:
    case MX_COMPLEX64:
        return 2e-5;
    default:
        return 0;
    }
}

static bool close_to(double got, double want, double tol) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= tol * (1 + fabs(want));
}

/* Integer wrap of v to dtype t (for products of integers). */
static double wrap_to(mx_dtype t, int64_t v) {
    switch (t) {
    case MX_INT32:
        return (double)(int32_t)(uint32_t)v;
    case MX_UINT32:
        return (double)(uint32_t)v;
    case MX_UINT64:
        return (double)(uint64_t)v;
    default:
        return (double)v;
    }
}

/* ---- reference reductions ---- */

enum {
    R_SUM,
    R_PROD,
    R_MIN,
    R_MAX,
    R_ALL,
    R_ANY,
    R_MEAN,
    R_VAR,
    R_STD,
    R_LSE,
    R_MEDIAN,
    R_COUNT,
    R_OPS
};
static const char *rname[] = {"sum",  "prod", "min", "max",       "all",    "any",
                              "mean", "var",  "std", "logsumexp", "median", "count_nonzero"};

static bool cless(double ar, double ai, double br, double bi) {
    return ar < br || (ar == br && ai < bi);
}

static int cmp_c(const void *a, const void *b) {
    const double *x = a, *y = b;
    return cless(x[0], x[1], y[0], y[1]) ? -1 : cless(y[0], y[1], x[0], x[1]) ? 1 : 0;
}

/* One output of op over the n values v (pairs re, im) of an input of dtype
 * t; ddof for var/std. */
static void ref_one(int op, mx_dtype t, mx_dtype ot, const double *v, int64_t n, int ddof,
                    double *ore, double *oim) {
    double sr = 0, si = 0;
    *oim = 0;
    switch (op) {
    case R_SUM:
    case R_MEAN:
        for (int64_t i = 0; i < n; i++) sr += v[2 * i], si += v[2 * i + 1];
        if (op == R_MEAN) sr /= (double)n, si /= (double)n;
        *ore = sr;
        *oim = si;
        return;
    case R_PROD: {
        if (is_int(t) || t == MX_BOOL) {
            uint64_t p = 1;
            for (int64_t i = 0; i < n; i++) p *= (uint64_t)(int64_t)v[2 * i];
            *ore = wrap_to(ot, (int64_t)p);
            return;
        }
        double complex p = 1;
        for (int64_t i = 0; i < n; i++) p *= CMPLX(v[2 * i], v[2 * i + 1]);
        *ore = creal(p);
        *oim = cimag(p);
        return;
    }
    case R_MIN:
    case R_MAX: {
        double br = v[0], bi = v[1];
        for (int64_t i = 0; i < n; i++) {
            double r = v[2 * i], im = v[2 * i + 1];
            if (isnan(r)) {
                br = r;
                break;
            }
            bool better = op == R_MAX ? cless(br, bi, r, im) : cless(r, im, br, bi);
            if (better) br = r, bi = im;
        }
        *ore = br;
        *oim = bi;
        return;
    }
    case R_ALL:
    case R_ANY: {
        bool acc = op == R_ALL;
        for (int64_t i = 0; i < n; i++) {
            bool nz = v[2 * i] != 0 || v[2 * i + 1] != 0;
            acc = op == R_ALL ? acc && nz : acc || nz;
        }
        *ore = acc;
        return;
    }
    case R_COUNT: {
        int64_t c = 0;
        for (int64_t i = 0; i < n; i++) c += v[2 * i] != 0 || v[2 * i + 1] != 0;
        *ore = (double)c;
        return;
    }
    case R_VAR:
    case R_STD: {
        double mr = 0, mi = 0, s = 0;
        for (int64_t i = 0; i < n; i++) mr += v[2 * i], mi += v[2 * i + 1];
        mr /= (double)n, mi /= (double)n;
        for (int64_t i = 0; i < n; i++) {
            double dr = v[2 * i] - mr, di = v[2 * i + 1] - mi;
            s += dr * dr + di * di;
        }
        double den = (double)n - ddof;
        s = s / (den > 0 ? den : 0);
        *ore = op == R_STD ? sqrt(s) : s;
        return;
    }
    case R_LSE: {
        if (t == MX_COMPLEX64) {
            /* MLX's composition: log(sum(exp(z - max))) + max, the max by
             * real then imaginary part (so the imaginary part is not reduced
             * to (-pi, pi]). */
            double mr = v[0], mi = v[1];
            for (int64_t i = 1; i < n; i++)
                if (cless(mr, mi, v[2 * i], v[2 * i + 1])) mr = v[2 * i], mi = v[2 * i + 1];
            double complex s = 0;
            for (int64_t i = 0; i < n; i++) s += cexp(CMPLX(v[2 * i] - mr, v[2 * i + 1] - mi));
            double complex r = clog(s) + CMPLX(mr, mi);
            *ore = creal(r);
            *oim = cimag(r);
            return;
        }
        double m = -INF_;
        for (int64_t i = 0; i < n; i++) m = v[2 * i] > m || isnan(v[2 * i]) ? v[2 * i] : m;
        if (isinf(m) || isnan(m)) {
            *ore = m;
            return;
        }
        double s = 0;
        for (int64_t i = 0; i < n; i++) s += exp(v[2 * i] - m);
        *ore = m + log(s);
        return;
    }
    case R_MEDIAN: {
        double *w = malloc(sizeof(double) * 2 * (size_t)n);
        memcpy(w, v, sizeof(double) * 2 * (size_t)n);
        qsort(w, (size_t)n, 2 * sizeof(double), cmp_c);
        int64_t k = n / 2;
        if (n % 2) {
            *ore = w[2 * k];
            *oim = w[2 * k + 1];
        } else {
            *ore = (w[2 * k] + w[2 * k - 2]) / 2;
            *oim = (w[2 * k + 1] + w[2 * k - 1]) / 2;
        }
        free(w);
        return;
    }
    }
}

/* The reference of op over the sorted axes of x: out values row-major over
 * the kept axes. */
static int64_t ref_reduce(int op, mx_dtype t, mx_dtype ot, const lg *x, const int *axes, int naxes,
                          int ddof, double *ore, double *oim) {
    bool red[6] = {0};
    for (int i = 0; i < naxes; i++) red[axes[i]] = true;
    int32_t oshape[6];
    int64_t n_red = 1;
    for (int d = 0; d < x->ndim; d++) {
        oshape[d] = red[d] ? 1 : x->shape[d];
        if (red[d]) n_red *= x->shape[d];
    }
    int64_t n_out = prod_shape(oshape, x->ndim);
    double *v =
        malloc(sizeof(double) * 2 * (size_t)(n_red ? n_red : 1) * (size_t)(n_out ? n_out : 1));
    int64_t *cnt = calloc((size_t)(n_out ? n_out : 1), sizeof(int64_t));
    int32_t idx[6];
    for (int64_t k = 0; k < x->size; k++) {
        unravel(k, x->shape, x->ndim, idx);
        for (int d = 0; d < x->ndim; d++)
            if (red[d]) idx[d] = 0;
        int64_t o = ravel(idx, oshape, x->ndim);
        double *slot = v + 2 * (o * n_red + cnt[o]++);
        slot[0] = x->re[k];
        slot[1] = x->im[k];
    }
    for (int64_t o = 0; o < n_out; o++)
        ref_one(op, t, ot, v + 2 * o * n_red, n_red, ddof, &ore[o], &oim[o]);
    free(v);
    free(cnt);
    return n_out;
}

/* Runs op on a through the public API. */
static int run_op(int op, mx_array **r, const mx_array *a, const int *axes, int naxes, bool all,
                  bool keepdims, int ddof) {
    switch (op) {
#define CASE(R, NAME)                                                                              \
    case R:                                                                                        \
        return all ? mx_##NAME(r, a, keepdims, NULL)                                               \
                   : mx_##NAME##_axes(r, a, axes, naxes, keepdims, NULL);
        CASE(R_SUM, sum)
        CASE(R_PROD, prod)
        CASE(R_MIN, min)
        CASE(R_MAX, max)
        CASE(R_ALL, all)
        CASE(R_ANY, any)
        CASE(R_MEAN, mean)
        CASE(R_LSE, logsumexp)
        CASE(R_MEDIAN, median)
        CASE(R_COUNT, count_nonzero)
#undef CASE
    case R_VAR:
        return all ? mx_var(r, a, keepdims, ddof, NULL)
                   : mx_var_axes(r, a, axes, naxes, keepdims, ddof, NULL);
    case R_STD:
        return all ? mx_std(r, a, keepdims, ddof, NULL)
                   : mx_std_axes(r, a, axes, naxes, keepdims, ddof, NULL);
    }
    return -1;
}

static mx_dtype out_dtype(int op, mx_dtype t) {
    switch (op) {
    case R_SUM:
    case R_PROD:
        return sum_dt(t);
    case R_ALL:
    case R_ANY:
        return MX_BOOL;
    case R_COUNT:
        return MX_INT32;
    case R_MIN:
    case R_MAX:
        return t;
    case R_VAR:
    case R_STD:
        return t == MX_COMPLEX64 ? MX_FLOAT32 : float_dt(t);
    default:
        return float_dt(t);
    }
}

/* Checks op over every axis set of a 3-d shape, each dtype and layout. */
static void check_reductions(int op) {
    static const int32_t shape[3] = {3, 4, 5};
    static const struct {
        int n;
        int ax[3];
        bool all;
    } sets[] = {{0, {0}, true},     {1, {0}, false},       {1, {1}, false},
                {1, {2}, false},    {1, {-1}, false},      {2, {0, 2}, false},
                {2, {2, 1}, false}, {3, {0, 1, 2}, false}, {0, {0}, false}};
    for (int t = 0; t < MX_NUM_DTYPES; t++) {
        mx_dtype dt = (mx_dtype)t;
        mx_dtype ot = out_dtype(op, dt);
        for (int layout = 0; layout < L_COUNT; layout++) {
            for (size_t si = 0; si < sizeof sets / sizeof sets[0]; si++) {
                lg *x = calloc(1, sizeof *x);
                set_shape(x, 3, shape);
                fill(x, dt, op == R_PROD);
                mx_array *a = make(x, dt, layout);
                int naxes = sets[si].all ? 3 : sets[si].n;
                int axes[3];
                for (int i = 0; i < naxes; i++) {
                    int ax = sets[si].all ? i : sets[si].ax[i];
                    axes[i] = ax < 0 ? ax + 3 : ax;
                }
                /* sorted for the reference */
                for (int i = 1; i < naxes; i++)
                    for (int k = i; k > 0 && axes[k] < axes[k - 1]; k--) {
                        int tmp = axes[k];
                        axes[k] = axes[k - 1];
                        axes[k - 1] = tmp;
                    }
                int ddof = op == R_VAR || op == R_STD ? (int)(si % 2) : 0;
                for (int keep = 0; keep < 2; keep++) {
                    mx_array *r = NULL;
                    int rc = run_op(op, &r, a, sets[si].ax, sets[si].n, sets[si].all, keep, ddof);
                    CHECK_OK(rc);
                    if (rc) continue;
                    double want_re[64], want_im[64], got_re[64], got_im[64];
                    int64_t n = ref_reduce(op, dt, ot, x, axes, naxes, ddof, want_re, want_im);
                    /* Expected shape. */
                    int32_t es[3];
                    int en = 0;
                    for (int d = 0; d < 3; d++) {
                        bool rd = false;
                        for (int i = 0; i < naxes; i++) rd |= axes[i] == d;
                        if (!rd)
                            es[en++] = shape[d];
                        else if (keep)
                            es[en++] = 1;
                    }
                    bool ok = same_shape(r, es, en);
                    /* Reducing over no axes gives the input unchanged for
                     * sum/prod/min/max (MLX), so the dtype stays. */
                    mx_dtype want_dt = ot;
                    if (naxes == 0 && (op == R_SUM || op == R_PROD || op == R_MIN || op == R_MAX))
                        want_dt = dt;
                    ok = ok && mx_array_dtype(r) == want_dt;
                    if (ok && read_vals(r, got_re, got_im, n)) {
                        double tol = tol_of(want_dt == MX_COMPLEX64 ? MX_COMPLEX64 : want_dt);
                        /* Compositions round at each step in 16-bit floats. */
                        if (op == R_VAR || op == R_STD || op == R_MEAN) tol *= 4;
                        for (int64_t o = 0; o < n && ok; o++) {
                            ok = close_to(got_re[o], want_re[o], tol) &&
                                 close_to(got_im[o], want_im[o], tol);
                            if (!ok)
                                fprintf(stderr,
                                        "  %s %s %s axes set %zu keep %d out %lld: got "
                                        "%.9g%+.9gi want %.9g%+.9gi\n",
                                        rname[op], mx_dtype_name(dt), layout_name[layout], si, keep,
                                        (long long)o, got_re[o], got_im[o], want_re[o], want_im[o]);
                        }
                    } else if (!ok) {
                        fprintf(stderr, "  %s %s %s axes set %zu keep %d: shape/dtype (%s)\n",
                                rname[op], mx_dtype_name(dt), layout_name[layout], si, keep,
                                mx_dtype_name(mx_array_dtype(r)));
                    }
                    CHECK(ok);
                    mx_array_free(r);
                }
                mx_array_free(a);
                free(x);
            }
        }
    }
}

TEST(test_sum_prod_all_dtypes) {
    check_reductions(R_SUM);
    check_reductions(R_PROD);
}

TEST(test_min_max_all_dtypes) {
    check_reductions(R_MIN);
    check_reductions(R_MAX);
}

TEST(test_all_any_count_all_dtypes) {
    check_reductions(R_ALL);
    check_reductions(R_ANY);
    check_reductions(R_COUNT);
}

TEST(test_mean_var_std_all_dtypes) {
    check_reductions(R_MEAN);
    check_reductions(R_VAR);
    check_reductions(R_STD);
}

TEST(test_logsumexp_median_all_dtypes) {
    check_reductions(R_LSE);
    check_reductions(R_MEDIAN);
}

int main(void) {
    RUN(test_sum_prod_all_dtypes);
    RUN(test_min_max_all_dtypes);
    RUN(test_all_any_count_all_dtypes);
    RUN(test_mean_var_std_all_dtypes);
    RUN(test_logsumexp_median_all_dtypes);
    return TEST_SUMMARY();
}
