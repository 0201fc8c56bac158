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

/* C11's CMPLX/CMPLXF, for C libraries that define them only for some
 * compilers (glibc with clang). */
#ifndef CMPLX
#define CMPLX(x, y) t_cmplx((x), (y))
static inline double _Complex t_cmplx(double x, double y) {
    union {
        double _Complex c;
        double f[2];
    } u = {.f = {x, y}};
    return u.c;
}
#endif

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
            test_unravel(k, x->shape, nd, idx);
            for (int d = 0; d < nd; d++) pidx[d] = idx[nd - 1 - d];
            int64_t q = test_ravel(pidx, ps, nd);
            pre[q] = x->re[k];
            pim[q] = x->im[k];
        }
        p = test_array_of(pre, pim, x->size, ps, nd, dt);
        CHECK_OK(mx_transpose(&r, p, NULL, 0, NULL));
        break;
    }
    case L_REVERSED: {
        memcpy(ps, x->shape, sizeof ps);
        for (int64_t k = 0; k < x->size; k++) {
            test_unravel(k, x->shape, nd, idx);
            idx[0] = x->shape[0] - 1 - idx[0];
            int64_t q = test_ravel(idx, ps, nd);
            pre[q] = x->re[k];
            pim[q] = x->im[k];
        }
        p = test_array_of(pre, pim, x->size, ps, nd, dt);
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
        p = test_array_of(x->re, x->im, inner, ps, nd, dt);
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
            test_unravel(k, x->shape, nd, idx);
            idx[nd - 1] = 2 * idx[nd - 1] + 1;
            int64_t q = test_ravel(idx, ps, nd);
            pre[q] = x->re[k];
            pim[q] = x->im[k];
        }
        p = test_array_of(pre, pim, pn, ps, nd, dt);
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
        r = test_array_of(x->re, x->im, x->size, x->shape, nd, dt);
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
        test_unravel(k, x->shape, x->ndim, idx);
        for (int d = 0; d < x->ndim; d++)
            if (red[d]) idx[d] = 0;
        int64_t o = test_ravel(idx, oshape, x->ndim);
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

/* ---- argmin, argmax ---- */

/* First index of the minimum / maximum of n values (pairs), the first NaN
 * winning; complex by real then imaginary part. */
static double ref_arg(bool mx, const double *v, int64_t n) {
    int64_t bi = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(v[2 * i])) return (double)i;
        if (i == 0) continue;
        bool better = mx ? cless(v[2 * bi], v[2 * bi + 1], v[2 * i], v[2 * i + 1])
                         : cless(v[2 * i], v[2 * i + 1], v[2 * bi], v[2 * bi + 1]);
        if (better) bi = i;
    }
    return (double)bi;
}

TEST(test_argmin_argmax_all_dtypes) {
    static const int32_t shape[3] = {3, 4, 5};
    for (int t = 0; t < MX_NUM_DTYPES; t++)
        for (int layout = 0; layout < L_COUNT; layout++)
            for (int axis = -1; axis <= 3; axis++)
                for (int mx = 0; mx < 2; mx++)
                    for (int keep = 0; keep < 2; keep++) {
                        mx_dtype dt = (mx_dtype)t;
                        lg *x = calloc(1, sizeof *x);
                        set_shape(x, 3, shape);
                        fill(x, dt, true); /* many ties */
                        if (mx_dtype_is_floating(dt) && axis == 2) x->re[7] = NAN_, x->re[9] = NAN_;
                        mx_array *a = make(x, dt, layout), *r = NULL;
                        bool flat = axis == 3;
                        int ax = axis < 0 ? axis + 3 : axis;
                        if (flat)
                            CHECK_OK(mx ? mx_argmax(&r, a, keep, NULL)
                                        : mx_argmin(&r, a, keep, NULL));
                        else
                            CHECK_OK(mx ? mx_argmax_axis(&r, a, axis, keep, NULL)
                                        : mx_argmin_axis(&r, a, axis, keep, NULL));
                        /* reference: gather each line */
                        double want[64], got[64], gi[64], line[2 * 64];
                        int64_t nout = 0;
                        if (flat) {
                            for (int64_t i = 0; i < x->size; i++) {
                                line[2 * i] = x->re[i];
                                line[2 * i + 1] = x->im[i];
                            }
                            want[nout++] = ref_arg(mx, line, x->size);
                        } else {
                            int32_t os[3];
                            memcpy(os, shape, sizeof os);
                            os[ax] = 1;
                            int64_t n_out = prod_shape(os, 3);
                            for (int64_t o = 0; o < n_out; o++) {
                                int32_t idx[3];
                                test_unravel(o, os, 3, idx);
                                for (int k = 0; k < shape[ax]; k++) {
                                    idx[ax] = k;
                                    int64_t q = test_ravel(idx, shape, 3);
                                    line[2 * k] = x->re[q];
                                    line[2 * k + 1] = x->im[q];
                                }
                                want[nout++] = ref_arg(mx, line, shape[ax]);
                            }
                        }
                        int32_t es[3];
                        int en = 0;
                        for (int d = 0; d < 3; d++) {
                            bool rd = flat || d == ax;
                            if (!rd)
                                es[en++] = shape[d];
                            else if (keep)
                                es[en++] = 1;
                        }
                        bool ok = r && same_shape(r, es, en) && mx_array_dtype(r) == MX_UINT32 &&
                                  read_vals(r, got, gi, nout);
                        for (int64_t o = 0; ok && o < nout; o++) ok = got[o] == want[o];
                        if (!ok)
                            fprintf(stderr, "  arg%s %s layout %s axis %d keep %d\n",
                                    mx ? "max" : "min", mx_dtype_name(dt), layout_name[layout],
                                    axis, keep);
                        CHECK(ok);
                        mx_array_free(r);
                        mx_array_free(a);
                        free(x);
                    }
}

/* ---- softmax ---- */

/* An integer softmax result is the float result truncated; near an
 * integer the float rounding can fall either way. */
static bool got_int_ok(double got, double exact, double truncated) {
    if (got == truncated) return true;
    return fabs(exact - round(exact)) < 1e-4 && got == round(exact);
}

/* Reference softmax of x over the sorted axes, in double. */
static void ref_softmax(const lg *x, const int *axes, int naxes, double *ore, double *oim) {
    bool red[6] = {0};
    for (int i = 0; i < naxes; i++) red[axes[i]] = true;
    int32_t os[6], idx[6];
    for (int d = 0; d < x->ndim; d++) os[d] = red[d] ? 1 : x->shape[d];
    int64_t n_out = prod_shape(os, x->ndim);
    double *mr = malloc(sizeof(double) * (size_t)n_out),
           *mi = malloc(sizeof(double) * (size_t)n_out);
    double complex *sum = calloc((size_t)n_out, sizeof(double complex));
    for (int64_t o = 0; o < n_out; o++) mr[o] = -INF_, mi[o] = -INF_;
    for (int pass = 0; pass < 3; pass++)
        for (int64_t k = 0; k < x->size; k++) {
            test_unravel(k, x->shape, x->ndim, idx);
            for (int d = 0; d < x->ndim; d++)
                if (red[d]) idx[d] = 0;
            int64_t o = test_ravel(idx, os, x->ndim);
            double complex z = CMPLX(x->re[k], x->im[k]);
            if (pass == 0) {
                if (isnan(x->re[k]) || cless(mr[o], mi[o], x->re[k], x->im[k]))
                    if (!isnan(mr[o])) mr[o] = x->re[k], mi[o] = x->im[k];
            } else {
                double complex e = cexp(z - CMPLX(mr[o], mi[o]));
                if (pass == 1) {
                    sum[o] += e;
                } else {
                    double complex v = e / sum[o];
                    ore[k] = creal(v);
                    oim[k] = cimag(v);
                }
            }
        }
    free(mr);
    free(mi);
    free(sum);
}

TEST(test_softmax_all_dtypes) {
    static const int32_t shape[3] = {3, 4, 5};
    static const struct {
        int n;
        int ax[3];
        bool all;
        bool last; /* MLX's Softmax primitive path: float result */
    } sets[] = {{0, {0}, true, false},     {1, {-1}, false, true},      {1, {2}, false, true},
                {1, {0}, false, false},    {1, {1}, false, false},      {2, {1, 2}, false, false},
                {2, {0, 2}, false, false}, {3, {0, 1, 2}, false, false}};
    for (int t = 0; t < MX_NUM_DTYPES; t++)
        for (int layout = 0; layout < L_COUNT; layout++)
            for (size_t si = 0; si < sizeof sets / sizeof sets[0]; si++)
                for (int precise = 0; precise < 2; precise++) {
                    mx_dtype dt = (mx_dtype)t;
                    lg *x = calloc(1, sizeof *x);
                    set_shape(x, 3, shape);
                    fill(x, dt, false);
                    mx_array *a = make(x, dt, layout), *r = NULL;
                    int naxes = sets[si].all ? 3 : sets[si].n, axes[3];
                    for (int i = 0; i < naxes; i++) {
                        int v = sets[si].all ? i : sets[si].ax[i];
                        axes[i] = v < 0 ? v + 3 : v;
                    }
                    if (sets[si].all)
                        CHECK_OK(mx_softmax(&r, a, precise, NULL));
                    else
                        CHECK_OK(mx_softmax_axes(&r, a, sets[si].ax, sets[si].n, precise, NULL));
                    /* MLX: float result over the last axis, else the input's dtype. */
                    mx_dtype want_dt = sets[si].last && dt != MX_COMPLEX64 ? float_dt(dt) : dt;
                    double wr[60], wi[60], gr[60], gi[60];
                    ref_softmax(x, axes, naxes, wr, wi);
                    bool ok = r && same_shape(r, shape, 3) && mx_array_dtype(r) == want_dt &&
                              read_vals(r, gr, gi, 60);
                    double tol = tol_of(want_dt == MX_COMPLEX64 ? MX_COMPLEX64 : want_dt);
                    for (int64_t k = 0; ok && k < 60; k++) {
                        double w = wr[k], wim = wi[k];
                        if (!mx_dtype_is_inexact(want_dt)) {
                            /* cast back to an integer type: truncation */
                            w = want_dt == MX_BOOL ? (w != 0) : trunc(w);
                            wim = 0;
                            ok = got_int_ok(gr[k], wr[k], w);
                        } else {
                            ok = close_to(gr[k], w, tol) && close_to(gi[k], wim, tol);
                        }
                        if (!ok)
                            fprintf(
                                stderr,
                                "  softmax %s %s set %zu precise %d at %lld: %g%+gi vs %g%+gi\n",
                                mx_dtype_name(dt), layout_name[layout], si, precise, (long long)k,
                                gr[k], gi[k], w, wim);
                    }
                    if (!ok && r && mx_array_dtype(r) != want_dt)
                        fprintf(stderr, "  softmax %s set %zu: dtype %s\n", mx_dtype_name(dt), si,
                                mx_dtype_name(mx_array_dtype(r)));
                    CHECK(ok);
                    mx_array_free(r);
                    mx_array_free(a);
                    free(x);
                }
}

/* ---- trace ---- */

TEST(test_trace) {
    /* arange(24).reshape(2, 3, 4) as MLX's examples. */
    int32_t shape[3] = {2, 3, 4};
    double v[24], z[24] = {0};
    for (int i = 0; i < 24; i++) v[i] = i;
    mx_array *a = test_array_of(v, z, 24, shape, 3, MX_INT32), *r = NULL;
    double got[8], gi[8];
    struct {
        int off, a1, a2, n;
        double want[4];
    } cases[] = {
        {0, 0, 1, 4, {16, 18, 20, 22}},  {1, 0, 1, 4, {24, 26, 28, 30}},
        {-1, 0, 1, 4, {12, 13, 14, 15}}, {10, 0, 1, 4, {0, 0, 0, 0}},
        {-10, 0, 1, 4, {0, 0, 0, 0}},    {0, 1, 2, 2, {15, 51}},
        {1, 2, 1, 2, {13, 37}},          {0, -1, 0, 3, {13, 21, 29}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        CHECK_OK(mx_trace(&r, a, cases[c].off, cases[c].a1, cases[c].a2, MX_DTYPE_NONE, NULL));
        CHECK(mx_array_dtype(r) == MX_INT32 && mx_array_ndim(r) == 1);
        if (read_vals(r, got, gi, cases[c].n))
            for (int i = 0; i < cases[c].n; i++) CHECK(got[i] == cases[c].want[i]);
    }
    /* The same on a transposed view (strides, no copy). */
    mx_array *t = NULL, *tt = NULL;
    int perm[3] = {2, 0, 1};
    CHECK_OK(mx_transpose(&t, a, perm, 3, NULL));
    CHECK_OK(mx_trace(&r, t, 0, 1, 2, MX_DTYPE_NONE, NULL));
    if (read_vals(r, got, gi, 4))
        for (int i = 0; i < 4; i++) CHECK(got[i] == cases[0].want[i]);
    /* dtype: cast each element first; sums widen as sum does. */
    CHECK_OK(mx_astype(&tt, a, MX_INT8, NULL));
    CHECK_OK(mx_trace(&r, tt, 0, 0, 1, MX_DTYPE_NONE, NULL));
    CHECK(mx_array_dtype(r) == MX_INT32);
    CHECK_OK(mx_trace(&r, tt, 0, 0, 1, MX_FLOAT16, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT16);
    if (read_vals(r, got, gi, 4))
        for (int i = 0; i < 4; i++) CHECK(got[i] == cases[0].want[i]);
    mx_array_free(tt);
    tt = NULL;
    int32_t s33[2] = {3, 3};
    double f17[9] = {1.7, 0, 0, 0, 1.7, 0, 0, 0, 1.7};
    mx_array *f = test_array_of(f17, z, 9, s33, 2, MX_FLOAT32);
    CHECK_OK(mx_trace(&r, f, 0, 0, 1, MX_INT8, NULL));
    CHECK(mx_array_dtype(r) == MX_INT32);
    if (read_vals(r, got, gi, 1)) CHECK(got[0] == 3);
    CHECK_OK(mx_trace(&r, f, 0, 0, 1, MX_BOOL, NULL));
    CHECK(mx_array_dtype(r) == MX_INT32);
    if (read_vals(r, got, gi, 1)) CHECK(got[0] == 3);
    CHECK_OK(mx_astype(&tt, f, MX_UINT8, NULL));
    CHECK_OK(mx_trace(&r, tt, 0, 0, 1, MX_DTYPE_NONE, NULL));
    CHECK(mx_array_dtype(r) == MX_UINT32);
    mx_array_free(tt);
    /* complex */
    double cr[4] = {1, 0, 0, 0}, ci[4] = {1, 0, 0, 2};
    int32_t s22[2] = {2, 2};
    mx_array *cx = test_array_of(cr, ci, 4, s22, 2, MX_COMPLEX64);
    CHECK_OK(mx_trace(&r, cx, 0, 0, 1, MX_DTYPE_NONE, NULL));
    if (read_vals(r, got, gi, 1)) CHECK(got[0] == 1 && gi[0] == 3);
    mx_array_free(cx);
    /* empty: (0, 3) gives 0.0 */
    mx_array *e = NULL;
    int32_t s03[2] = {0, 3};
    CHECK_OK(mx_zeros(&e, s03, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_trace(&r, e, 0, 0, 1, MX_DTYPE_NONE, NULL));
    CHECK(mx_array_ndim(r) == 0 && mx_array_dtype(r) == MX_FLOAT32);
    if (read_vals(r, got, gi, 1)) CHECK(got[0] == 0);
    /* errors */
    CHECK_ERR(mx_trace(&r, a, 0, 1, 1, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_trace(&r, a, 0, 3, 1, MX_DTYPE_NONE, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_trace(&r, a, 0, 0, -4, MX_DTYPE_NONE, NULL), MX_ERR_INDEX);
    mx_array *one = NULL;
    CHECK_OK(mx_arange(&one, 0, 3, 1, MX_FLOAT32, NULL));
    CHECK_ERR(mx_trace(&r, one, 0, 0, 1, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_trace(&r, a, 0, 0, 1, (mx_dtype)99, NULL), MX_ERR_TYPE);
    mx_array *arr[] = {a, t, f, e, one, r};
    for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) mx_array_free(arr[i]);
}

/* ---- cases checked against MLX 0.32.4 ---- */

static mx_array *vec(const double *v, int32_t n, mx_dtype dt) {
    double im[32] = {0};
    return test_array_of(v, im, n, &n, 1, dt);
}

static mx_array *mat(const double *v, int32_t r, int32_t c, mx_dtype dt) {
    double im[64] = {0};
    int32_t s[2] = {r, c};
    return test_array_of(v, im, (int64_t)r * c, s, 2, dt);
}

/* Evaluates r and compares with want (n values, NaN equal to NaN, zero's
 * sign checked), its dtype and ndim. */
static void expect(mx_array *r, mx_dtype dt, int ndim, const double *want, int64_t n) {
    double got[64], gi[64];
    CHECK(r != NULL);
    if (!r) return;
    CHECK(mx_array_dtype(r) == dt);
    CHECK(mx_array_ndim(r) == ndim);
    if (!read_vals(r, got, gi, n)) return;
    for (int64_t i = 0; i < n; i++) {
        bool ok = isnan(want[i]) ? isnan(got[i])
                                 : got[i] == want[i] && signbit(got[i]) == signbit(want[i]);
        if (!ok)
            fprintf(stderr, "  element %lld: got %.9g want %.9g\n", (long long)i, got[i], want[i]);
        CHECK(ok);
    }
}

static void expect_near(mx_array *r, mx_dtype dt, const double *want, int64_t n, double tol) {
    double got[64], gi[64];
    CHECK(r && mx_array_dtype(r) == dt);
    if (!r || !read_vals(r, got, gi, n)) return;
    for (int64_t i = 0; i < n; i++) CHECK_NEAR(got[i], want[i], tol);
}

TEST(test_reduce_mlx_cases) {
    mx_array *a = NULL, *r = NULL;
    int ax0 = 0, ax1 = 1, axm1 = -1;
    /* NaN: min/max propagate; argmin/argmax take the first NaN. */
    a = vec((double[]){1, NAN_, 2, -1}, 4, MX_FLOAT32);
    CHECK_OK(mx_max(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){NAN_}, 1);
    CHECK_OK(mx_min(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){NAN_}, 1);
    CHECK_OK(mx_argmax(&r, a, false, NULL));
    expect(r, MX_UINT32, 0, (double[]){1}, 1);
    CHECK_OK(mx_argmin(&r, a, false, NULL));
    expect(r, MX_UINT32, 0, (double[]){1}, 1);
    CHECK_OK(mx_all(&r, a, false, NULL));
    expect(r, MX_BOOL, 0, (double[]){1}, 1);
    mx_array_free(a);
    a = vec((double[]){NAN_, 1, 2}, 3, MX_FLOAT32);
    CHECK_OK(mx_argmin(&r, a, false, NULL));
    expect(r, MX_UINT32, 0, (double[]){0}, 1);
    mx_array_free(a);
    /* Ties keep the first index. */
    a = vec((double[]){1, 3, 3, 2}, 4, MX_INT32);
    CHECK_OK(mx_argmax(&r, a, false, NULL));
    expect(r, MX_UINT32, 0, (double[]){1}, 1);
    mx_array_free(a);
    a = vec((double[]){1, 0, 3, 0}, 4, MX_INT32);
    CHECK_OK(mx_argmin(&r, a, false, NULL));
    expect(r, MX_UINT32, 0, (double[]){1}, 1);
    mx_array_free(a);
    /* argmax over everything with keepdims keeps every axis as 1. */
    a = mat((double[]){1, 5, 7, 2}, 2, 2, MX_INT32);
    CHECK_OK(mx_argmax(&r, a, true, NULL));
    CHECK(mx_array_ndim(r) == 2 && mx_array_shape(r)[0] == 1 && mx_array_shape(r)[1] == 1);
    expect(r, MX_UINT32, 2, (double[]){2}, 1);
    CHECK_OK(mx_argmin_axis(&r, a, -1, true, NULL));
    expect(r, MX_UINT32, 2, (double[]){0, 1}, 2);
    mx_array_free(a);
    a = mat((double[]){3, 1}, 1, 2, MX_INT32);
    CHECK_OK(mx_argmin_axis(&r, a, 0, false, NULL)); /* size-1 axis: zeros */
    expect(r, MX_UINT32, 1, (double[]){0, 0}, 2);
    mx_array_free(a);
    /* -0 and 0: the first one found stays (sequential order). */
    a = vec((double[]){-0.0, 0.0}, 2, MX_FLOAT32);
    CHECK_OK(mx_max(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){-0.0}, 1);
    mx_array_free(a);
    a = vec((double[]){0.0, -0.0}, 2, MX_FLOAT32);
    CHECK_OK(mx_min(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){0.0}, 1);
    mx_array_free(a);
    /* all/any: -0 is false, NaN true (also for float16's bits). */
    a = vec((double[]){-0.0}, 1, MX_FLOAT16);
    CHECK_OK(mx_all(&r, a, false, NULL));
    expect(r, MX_BOOL, 0, (double[]){0}, 1);
    CHECK_OK(mx_any(&r, a, false, NULL));
    expect(r, MX_BOOL, 0, (double[]){0}, 1);
    mx_array_free(a);
    /* Empty reductions. */
    a = mat(NULL, 0, 3, MX_FLOAT32);
    CHECK_OK(mx_sum_axes(&r, a, &ax0, 1, false, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){0, 0, 0}, 3);
    CHECK_OK(mx_prod_axes(&r, a, &ax0, 1, false, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){1, 1, 1}, 3);
    CHECK_OK(mx_all(&r, a, false, NULL));
    expect(r, MX_BOOL, 0, (double[]){1}, 1);
    CHECK_OK(mx_any(&r, a, false, NULL));
    expect(r, MX_BOOL, 0, (double[]){0}, 1);
    CHECK_OK(mx_mean_axes(&r, a, &ax0, 1, false, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){NAN_, NAN_, NAN_}, 3);
    CHECK_OK(mx_var_axes(&r, a, &ax0, 1, false, 0, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){NAN_, NAN_, NAN_}, 3);
    CHECK_OK(mx_max_axes(&r, a, &ax1, 1, false, NULL)); /* (0,) result: fine */
    CHECK_OK(mx_eval(&r, 1));
    CHECK(mx_array_size(r) == 0);
    CHECK_ERR(mx_max_axes(&r, a, &ax0, 1, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_min(&r, a, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_argmax_axis(&r, a, 1, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_argmin(&r, a, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_logsumexp_axes(&r, a, &ax1, 1, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_median_axes(&r, a, &ax0, 1, false, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_median_axes(&r, a, &ax1, 1, false, NULL)); /* (0,) result */
    CHECK_OK(mx_softmax_axis(&r, a, -1, false, NULL));     /* empty: returned as is */
    CHECK(mx_array_dtype(r) == MX_FLOAT32 && mx_array_size(r) == 0);
    mx_array_free(a);
    a = mat(NULL, 0, 3, MX_INT32);
    CHECK_OK(mx_mean(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){NAN_}, 1);
    CHECK_OK(mx_softmax_axis(&r, a, -1, false, NULL));
    CHECK(mx_array_dtype(r) == MX_INT32);
    mx_array_free(a);
    /* No axes: sum/prod/min/max give the input itself; all/any cast. */
    a = vec((double[]){1, 2}, 2, MX_INT8);
    int none[1] = {0};
    CHECK_OK(mx_sum_axes(&r, a, none, 0, false, NULL));
    expect(r, MX_INT8, 1, (double[]){1, 2}, 2);
    CHECK_OK(mx_prod_axes(&r, a, none, 0, false, NULL));
    expect(r, MX_INT8, 1, (double[]){1, 2}, 2);
    CHECK_OK(mx_max_axes(&r, a, none, 0, false, NULL));
    expect(r, MX_INT8, 1, (double[]){1, 2}, 2);
    CHECK_OK(mx_all_axes(&r, a, none, 0, false, NULL));
    expect(r, MX_BOOL, 1, (double[]){1, 1}, 2);
    CHECK_OK(mx_mean_axes(&r, a, none, 0, false, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){1, 2}, 2);
    CHECK_OK(mx_count_nonzero_axes(&r, a, none, 0, false, NULL));
    expect(r, MX_INT32, 1, (double[]){1, 1}, 2);
    CHECK_OK(mx_logsumexp_axes(&r, a, none, 0, false, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){1, 2}, 2);
    mx_array_free(a);
    /* Size-1 axes: a cast, not a reduction (sum of int8 is int32). */
    a = mat((double[]){1, 2}, 1, 2, MX_INT8);
    CHECK_OK(mx_sum_axes(&r, a, &ax0, 1, false, NULL));
    expect(r, MX_INT32, 1, (double[]){1, 2}, 2);
    CHECK_OK(mx_prod_axes(&r, a, &ax0, 1, false, NULL));
    expect(r, MX_INT32, 1, (double[]){1, 2}, 2);
    CHECK_OK(mx_logsumexp_axes(&r, a, &ax0, 1, false, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){1, 2}, 2);
    mx_array_free(a);
    a = NULL;
    /* 0-d */
    CHECK_OK(mx_array_from_int(&a, 3, MX_INT8));
    CHECK_OK(mx_sum(&r, a, false, NULL));
    expect(r, MX_INT8, 0, (double[]){3}, 1);
    CHECK_OK(mx_max(&r, a, true, NULL));
    expect(r, MX_INT8, 0, (double[]){3}, 1);
    CHECK_OK(mx_mean(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){3}, 1);
    CHECK_OK(mx_var(&r, a, false, 0, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){0}, 1);
    CHECK_OK(mx_var(&r, a, false, 1, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){NAN_}, 1);
    CHECK_OK(mx_argmax(&r, a, false, NULL));
    expect(r, MX_UINT32, 0, (double[]){0}, 1);
    CHECK_OK(mx_argmax(&r, a, true, NULL)); /* MLX fails here; cmlx gives a 0-d 0 */
    expect(r, MX_UINT32, 0, (double[]){0}, 1);
    CHECK_OK(mx_median(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){3}, 1);
    CHECK_OK(mx_logsumexp(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){3}, 1);
    CHECK_OK(mx_count_nonzero(&r, a, false, NULL));
    expect(r, MX_INT32, 0, (double[]){1}, 1);
    CHECK_OK(mx_softmax(&r, a, false, NULL)); /* composite path: the input's dtype */
    expect(r, MX_INT8, 0, (double[]){1}, 1);
    CHECK_ERR(mx_argmax_axis(&r, a, 0, false, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_sum_axes(&r, a, &ax0, 1, false, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_logsumexp_axes(&r, a, &ax0, 1, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_softmax_axis(&r, a, 0, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_median_axis(&r, a, 0, false, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_trace(&r, a, 0, 0, 1, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    mx_array_free(a);
    a = NULL;
    /* var: ddof past n gives inf (x / 0); negative ddof divides by more. */
    a = vec((double[]){1, 2}, 2, MX_FLOAT32);
    CHECK_OK(mx_var(&r, a, false, 3, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){INF_}, 1);
    CHECK_OK(mx_var(&r, a, false, 2, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){INF_}, 1);
    CHECK_OK(mx_var(&r, a, false, -1, NULL));
    expect_near(r, MX_FLOAT32, (double[]){0.1666666716337204}, 1, 1e-7);
    CHECK_OK(mx_var_axes(&r, a, none, 0, false, 1, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){NAN_, NAN_}, 2);
    mx_array_free(a);
    a = vec((double[]){1, 2, 4}, 3, MX_FLOAT32);
    CHECK_OK(mx_std(&r, a, false, 1, NULL));
    expect_near(r, MX_FLOAT32, (double[]){1.5275251865386963}, 1, 1e-6);
    mx_array_free(a);
    a = vec((double[]){1, 2, 2}, 3, MX_INT8);
    CHECK_OK(mx_var(&r, a, false, 0, NULL));
    expect_near(r, MX_FLOAT32, (double[]){0.2222222089767456}, 1, 1e-7);
    mx_array_free(a);
    a = vec((double[]){1, 0}, 2, MX_BOOL);
    CHECK_OK(mx_var(&r, a, false, 0, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){0.25}, 1);
    mx_array_free(a);
    /* complex: var and std are float32, of |x - mean|^2 */
    {
        double re[3] = {1, 2, 5}, im[3] = {1, 0, -3};
        int32_t n3 = 3;
        a = test_array_of(re, im, 3, &n3, 1, MX_COMPLEX64);
        CHECK_OK(mx_var(&r, a, false, 0, NULL));
        expect_near(r, MX_FLOAT32, (double[]){5.777778148651123}, 1, 1e-5);
        CHECK_OK(mx_var(&r, a, false, 1, NULL));
        expect_near(r, MX_FLOAT32, (double[]){8.666666984558105}, 1, 1e-5);
        CHECK_OK(mx_std(&r, a, false, 1, NULL));
        expect_near(r, MX_FLOAT32, (double[]){2.943920373916626}, 1, 1e-6);
        mx_array_free(a);
        a = NULL;
    }
    /* float16: sums round once, so 70000 ones overflow to inf, and so
     * does their mean (inf * (1/n)). */
    {
        int32_t n = 70000;
        CHECK_OK(mx_ones(&a, &n, 1, MX_FLOAT16, NULL));
        CHECK_OK(mx_sum(&r, a, false, NULL));
        expect(r, MX_FLOAT16, 0, (double[]){INF_}, 1);
        CHECK_OK(mx_mean(&r, a, false, NULL));
        expect(r, MX_FLOAT16, 0, (double[]){INF_}, 1);
        mx_array_free(a);
        a = NULL;
    }
    a = vec((double[]){1, 1, 1}, 3, MX_FLOAT16);
    CHECK_OK(mx_mean(&r, a, false, NULL));
    expect(r, MX_FLOAT16, 0, (double[]){1}, 1);
    mx_array_free(a);
    a = vec((double[]){300, 300}, 2, MX_FLOAT16);
    CHECK_OK(mx_prod(&r, a, false, NULL));
    expect(r, MX_FLOAT16, 0, (double[]){INF_}, 1);
    mx_array_free(a);
    /* logsumexp: infinities and NaN. */
    a = vec((double[]){-INF_, -INF_}, 2, MX_FLOAT32);
    CHECK_OK(mx_logsumexp(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){-INF_}, 1);
    mx_array_free(a);
    a = vec((double[]){INF_, 1}, 2, MX_FLOAT32);
    CHECK_OK(mx_logsumexp(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){INF_}, 1);
    mx_array_free(a);
    a = vec((double[]){INF_, -INF_}, 2, MX_FLOAT32);
    CHECK_OK(mx_logsumexp(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){INF_}, 1);
    mx_array_free(a);
    a = vec((double[]){NAN_, 1}, 2, MX_FLOAT32);
    CHECK_OK(mx_logsumexp(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){NAN_}, 1);
    mx_array_free(a);
    a = vec((double[]){1, 2}, 2, MX_INT8);
    CHECK_OK(mx_logsumexp(&r, a, false, NULL));
    expect_near(r, MX_FLOAT32, (double[]){2.3132617473602295}, 1, 1e-6);
    mx_array_free(a);
    a = vec((double[]){1, 2}, 2, MX_FLOAT16);
    CHECK_OK(mx_logsumexp(&r, a, false, NULL));
    expect(r, MX_FLOAT16, 0, (double[]){2.3125}, 1);
    mx_array_free(a);
    a = mat((double[]){1, 2, 3, 4}, 2, 2, MX_FLOAT32);
    CHECK_OK(mx_logsumexp_axis(&r, a, 0, true, NULL));
    CHECK(mx_array_ndim(r) == 2);
    expect_near(r, MX_FLOAT32, (double[]){3.1269280910491943, 4.126927852630615}, 2, 1e-6);
    mx_array_free(a);
    {
        double re[3] = {1, 2, 2}, im[3] = {5, 0, -1};
        int32_t n3 = 3;
        a = test_array_of(re, im, 3, &n3, 1, MX_COMPLEX64);
        double gr[1], gi[1];
        CHECK_OK(mx_logsumexp(&r, a, false, NULL));
        CHECK(mx_array_dtype(r) == MX_COMPLEX64);
        if (read_vals(r, gr, gi, 1)) {
            CHECK_NEAR(gr[0], 2.7092719078063965, 1e-6);
            CHECK_NEAR(gi[0], -0.628050684928894, 1e-6);
        }
        /* min/max/argmax order complex by real, then imaginary part */
        CHECK_OK(mx_max(&r, a, false, NULL));
        if (read_vals(r, gr, gi, 1)) CHECK(gr[0] == 2 && gi[0] == 0);
        CHECK_OK(mx_min(&r, a, false, NULL));
        if (read_vals(r, gr, gi, 1)) CHECK(gr[0] == 1 && gi[0] == 5);
        CHECK_OK(mx_argmax(&r, a, false, NULL));
        expect(r, MX_UINT32, 0, (double[]){1}, 1);
        CHECK_OK(mx_mean(&r, a, false, NULL));
        if (read_vals(r, gr, gi, 1)) {
            CHECK_NEAR(gr[0], 5.0 / 3, 1e-6);
            CHECK_NEAR(gi[0], 4.0 / 3, 1e-6);
        }
        mx_array_free(a);
    }
    /* median */
    a = vec((double[]){3, 1, 2, 4}, 4, MX_INT32);
    CHECK_OK(mx_median(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){2.5}, 1);
    mx_array_free(a);
    a = vec((double[]){65504, 65504}, 2, MX_FLOAT16); /* the sum overflows, as in MLX */
    CHECK_OK(mx_median(&r, a, false, NULL));
    expect(r, MX_FLOAT16, 0, (double[]){INF_}, 1);
    mx_array_free(a);
    a = vec((double[]){1, NAN_, 3, 4, 5}, 5, MX_FLOAT32);
    CHECK_OK(mx_median(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){NAN_}, 1);
    mx_array_free(a);
    a = vec((double[]){16777217, 16777219}, 2, MX_INT32); /* each cast to float32 first */
    CHECK_OK(mx_median(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){16777218}, 1);
    mx_array_free(a);
    a = vec((double[]){1, 0, 1, 1}, 4, MX_BOOL);
    CHECK_OK(mx_median(&r, a, false, NULL));
    expect(r, MX_FLOAT32, 0, (double[]){1}, 1);
    mx_array_free(a);
    {
        double re[4] = {1, 3, 2, 2}, im[4] = {1, 0, 5, -1}, gr[1], gi[1];
        int32_t n4 = 4;
        a = test_array_of(re, im, 4, &n4, 1, MX_COMPLEX64);
        CHECK_OK(mx_median(&r, a, false, NULL));
        if (read_vals(r, gr, gi, 1)) CHECK(gr[0] == 2 && gi[0] == 2);
        mx_array_free(a);
    }
    /* count_nonzero: NaN counts, -0 does not; complex when either part. */
    a = vec((double[]){NAN_, -0.0, 0.0, 1.0}, 4, MX_FLOAT32);
    CHECK_OK(mx_count_nonzero(&r, a, false, NULL));
    expect(r, MX_INT32, 0, (double[]){2}, 1);
    mx_array_free(a);
    a = mat((double[]){0, 1, 2, 0, 0, 3}, 2, 3, MX_INT32);
    CHECK_OK(mx_count_nonzero_axis(&r, a, 1, true, NULL));
    CHECK(mx_array_ndim(r) == 2);
    expect(r, MX_INT32, 2, (double[]){2, 1}, 2);
    mx_array_free(a);
    /* softmax dtypes and values */
    a = vec((double[]){1, 2, 3}, 3, MX_INT32);
    CHECK_OK(mx_softmax_axis(&r, a, 0, false, NULL));
    expect_near(r, MX_FLOAT32,
                (double[]){0.09003057330846786, 0.2447284758090973, 0.6652409434318542}, 3, 1e-7);
    CHECK_OK(mx_softmax(&r, a, false, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT32);
    mx_array_free(a);
    a = mat((double[]){1, 2, 3}, 1, 3, MX_INT32);
    CHECK_OK(mx_softmax(&r, a, false, NULL)); /* (1, 3), axes (0, 1): last-axis path */
    CHECK(mx_array_dtype(r) == MX_FLOAT32);
    int rev[2] = {1, 0}, neg[2] = {-2, -1}, mixed[2] = {-2, 1};
    CHECK_OK(mx_softmax_axes(&r, a, rev, 2, false, NULL)); /* given order matters */
    expect(r, MX_INT32, 2, (double[]){0, 0, 0}, 3);
    CHECK_OK(mx_softmax_axes(&r, a, neg, 2, false, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT32);
    CHECK_OK(mx_softmax_axes(&r, a, mixed, 2, false, NULL));
    CHECK(mx_array_dtype(r) == MX_INT32);
    mx_array_free(a);
    a = mat((double[]){1, 2, 3, 3, 4, 5}, 2, 3, MX_INT32);
    CHECK_OK(mx_softmax_axis(&r, a, 0, false, NULL));
    expect(r, MX_INT32, 2, (double[]){0, 0, 0, 0, 0, 0}, 6);
    mx_array_free(a);
    a = vec((double[]){1, 0}, 2, MX_BOOL);
    CHECK_OK(mx_softmax_axis(&r, a, 0, false, NULL));
    expect_near(r, MX_FLOAT32, (double[]){0.7310585975646973, 0.2689414322376251}, 2, 1e-7);
    mx_array_free(a);
    a = vec((double[]){INF_, 1}, 2, MX_FLOAT32);
    CHECK_OK(mx_softmax_axis(&r, a, 0, false, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){NAN_, NAN_}, 2);
    mx_array_free(a);
    a = vec((double[]){-INF_, -INF_}, 2, MX_FLOAT32);
    CHECK_OK(mx_softmax_axis(&r, a, 0, false, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){NAN_, NAN_}, 2);
    CHECK_OK(mx_softmax_axes(&r, a, none, 0, false, NULL)); /* over no axes: exp(x - x) */
    expect(r, MX_FLOAT32, 1, (double[]){NAN_, NAN_}, 2);
    mx_array_free(a);
    a = vec((double[]){1, 2}, 2, MX_FLOAT32);
    CHECK_OK(mx_softmax_axes(&r, a, none, 0, false, NULL));
    expect(r, MX_FLOAT32, 1, (double[]){1, 1}, 2);
    mx_array_free(a);
    a = vec((double[]){1, 2}, 2, MX_FLOAT16);
    CHECK_OK(mx_softmax(&r, a, true, NULL));
    expect(r, MX_FLOAT16, 1, (double[]){0.26904296875, 0.73095703125}, 2);
    CHECK_OK(mx_softmax(&r, a, false, NULL));
    expect(r, MX_FLOAT16, 1, (double[]){0.26904296875, 0.73095703125}, 2);
    mx_array_free(a);
    {
        double re[2] = {1, 2}, im[2] = {1, 0}, gr[2], gi[2];
        int32_t n2 = 2;
        a = test_array_of(re, im, 2, &n2, 1, MX_COMPLEX64);
        CHECK_OK(mx_softmax_axis(&r, a, 0, false, NULL));
        CHECK(mx_array_dtype(r) == MX_COMPLEX64);
        if (read_vals(r, gr, gi, 2)) {
            CHECK_NEAR(gr[0], 0.21795842051506042, 1e-6);
            CHECK_NEAR(gi[0], 0.20194824039936066, 1e-6);
            CHECK_NEAR(gr[1], 0.7820415496826172, 1e-6);
            CHECK_NEAR(gi[1], -0.20194822549819946, 1e-6);
        }
        mx_array_free(a);
    }
    (void)axm1;
    mx_array_free(r);
}

/* ---- wrong calls ---- */

TEST(test_reduce_errors) {
    int32_t s[2] = {2, 3};
    mx_array *a = NULL, *r = NULL;
    CHECK_OK(mx_zeros(&a, s, 2, MX_FLOAT32, NULL));
    int bad[1] = {2}, badneg[1] = {-3}, dup[2] = {0, 0}, dupneg[2] = {1, -1};
    /* Each axes form: out of range is an index error, repeats a value
     * error. */
#define AXES_ERRORS(NAME)                                                                          \
    CHECK_ERR(mx_##NAME##_axes(&r, a, bad, 1, false, NULL), MX_ERR_INDEX);                         \
    CHECK_ERR(mx_##NAME##_axes(&r, a, badneg, 1, false, NULL), MX_ERR_INDEX);                      \
    CHECK_ERR(mx_##NAME##_axes(&r, a, dup, 2, false, NULL), MX_ERR_VALUE);                         \
    CHECK_ERR(mx_##NAME##_axes(&r, a, dupneg, 2, false, NULL), MX_ERR_VALUE);                      \
    CHECK_ERR(mx_##NAME##_axis(&r, a, 2, false, NULL), MX_ERR_INDEX);                              \
    CHECK_ERR(mx_##NAME##_axes(&r, a, NULL, 1, false, NULL), MX_ERR_VALUE);                        \
    CHECK_ERR(mx_##NAME(&r, NULL, false, NULL), MX_ERR_VALUE);                                     \
    CHECK_ERR(mx_##NAME(NULL, a, false, NULL), MX_ERR_VALUE);
    AXES_ERRORS(all)
    AXES_ERRORS(any)
    AXES_ERRORS(sum)
    AXES_ERRORS(prod)
    AXES_ERRORS(min)
    AXES_ERRORS(max)
    AXES_ERRORS(mean)
    AXES_ERRORS(median)
    AXES_ERRORS(logsumexp)
    AXES_ERRORS(count_nonzero)
#undef AXES_ERRORS
    CHECK_ERR(mx_var_axes(&r, a, bad, 1, false, 0, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_var_axes(&r, a, dup, 2, false, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_var_axis(&r, a, -3, false, 0, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_std_axes(&r, a, bad, 1, false, 1, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_std_axes(&r, a, dupneg, 2, false, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_std(&r, NULL, false, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_argmax_axis(&r, a, 2, false, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_argmin_axis(&r, a, -3, false, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_argmin(&r, NULL, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_softmax_axes(&r, a, bad, 1, false, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_softmax_axes(&r, a, dup, 2, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_softmax_axis(&r, a, 5, false, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_softmax(&r, NULL, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_trace(&r, NULL, 0, 0, 1, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    /* The library still works afterwards. */
    CHECK_OK(mx_sum(&r, a, false, NULL));
    double v, vi;
    if (read_vals(r, &v, &vi, 1)) CHECK(v == 0);
    mx_array_free(a);
    mx_array_free(r);
}

/* ---- large inputs: threads, split reductions, SIMD levels ---- */

/* Runs f at every SIMD level the CPU has and checks the results are the
 * same bytes as the scalar level's; returns the scalar result. */
typedef int (*op_fn)(mx_array **out, const mx_array *a, const void *arg);

static mx_array *levels_agree(op_fn f, const mx_array *a, const void *arg, const char *what) {
    int top = mxi_simd_detected();
    mx_array *first = NULL;
    for (int level = 0; level <= top; level++) {
        if (mxi_simd_set_active((mxi_simd_level)level) != 0) continue;
        mx_array *r = NULL;
        CHECK_OK(f(&r, a, arg));
        CHECK_OK(mx_eval(&r, 1));
        if (!first) {
            first = r;
            continue;
        }
        size_t n = mx_array_nbytes(r);
        bool same =
            n == mx_array_nbytes(first) && memcmp(mx_array_data(r), mx_array_data(first), n) == 0;
        if (!same) fprintf(stderr, "  %s: level %d differs from scalar\n", what, level);
        CHECK(same);
        mx_array_free(r);
    }
    mxi_simd_set_active((mxi_simd_level)top);
    return first;
}

static int f_lse(mx_array **o, const mx_array *a, const void *arg) {
    return mx_logsumexp_axes(o, a, arg, 1, false, NULL);
}
static int f_softmax(mx_array **o, const mx_array *a, const void *arg) {
    return mx_softmax_axes(o, a, arg, 1, false, NULL);
}
static int f_max(mx_array **o, const mx_array *a, const void *arg) {
    return mx_max_axes(o, a, arg, 1, false, NULL);
}
static int f_argmax(mx_array **o, const mx_array *a, const void *arg) {
    return mx_argmax_axis(o, a, *(const int *)arg, false, NULL);
}
static int f_argmin(mx_array **o, const mx_array *a, const void *arg) {
    return mx_argmin_axis(o, a, *(const int *)arg, false, NULL);
}
static int f_median(mx_array **o, const mx_array *a, const void *arg) {
    return mx_median_axes(o, a, arg, 1, false, NULL);
}

TEST(test_large_and_levels) {
    /* (300, 1000): rows long enough for the vector loops, enough work for
     * the thread pool; columns reduce through the column kernels. */
    enum { R = 160, C = 700 };
    int32_t shape[2] = {R, C};
    double *re = malloc(sizeof(double) * R * C), *im = calloc(R * C, sizeof(double));
    for (int64_t i = 0; i < (int64_t)R * C; i++) re[i] = ((int64_t)(rnd() % 2001) - 1000) / 64.0;
    re[5 * C + 17] = NAN_; /* one NaN in row 5 */
    mx_dtype dts[4] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16, MX_FLOAT64};
    for (int di = 0; di < 4; di++)
        for (int axis = 0; axis < 2; axis++)
            for (int tr = 0; tr < 2; tr++) {
                mx_dtype dt = dts[di];
                mx_array *p = test_array_of(re, im, (int64_t)R * C, shape, 2, dt), *a = p;
                int ax = axis;
                if (tr) {
                    /* a transposed view of the transposed data: same values */
                    int32_t ts[2] = {C, R};
                    double *tre = malloc(sizeof(double) * R * C);
                    for (int i = 0; i < R; i++)
                        for (int j = 0; j < C; j++) tre[j * R + i] = re[i * C + j];
                    mx_array *q = test_array_of(tre, im, (int64_t)R * C, ts, 2, dt);
                    a = NULL;
                    CHECK_OK(mx_transpose(&a, q, NULL, 0, NULL));
                    mx_array_free(q);
                    free(tre);
                }
                double tol = tol_of(dt) * 4;
                int64_t n_out = axis ? R : C, n_red = axis ? C : R;
                double *got = malloc(sizeof(double) * (size_t)R * C);
                double *gi = malloc(sizeof(double) * (size_t)R * C);
                /* logsumexp */
                mx_array *r = levels_agree(f_lse, a, &ax, "logsumexp");
                if (read_vals(r, got, gi, n_out))
                    for (int64_t o = 0, bad = 0; o < n_out && bad < 3; o++) {
                        double m = -INF_, sum = 0;
                        for (int64_t k = 0; k < n_red; k++) {
                            double v = axis ? re[o * C + k] : re[k * C + o];
                            v = dt == MX_FLOAT16 ? mx_half_to_float(mx_float_to_half((float)v)) : v;
                            m = isnan(v) || v > m ? v : m;
                        }
                        for (int64_t k = 0; k < n_red && !isnan(m); k++) {
                            double v = axis ? re[o * C + k] : re[k * C + o];
                            v = dt == MX_FLOAT16 ? mx_half_to_float(mx_float_to_half((float)v)) : v;
                            sum += exp(v - m);
                        }
                        double w = isnan(m) ? m : m + log(sum);
                        if (!close_to(got[o], w, tol)) {
                            fprintf(stderr, "  lse %s axis %d tr %d out %lld: %g vs %g\n",
                                    mx_dtype_name(dt), axis, tr, (long long)o, got[o], w);
                            bad++;
                            CHECK(0);
                        }
                    }
                mx_array_free(r);
                /* softmax: rows sum to one (NaN rows are NaN) */
                r = levels_agree(f_softmax, a, &ax, "softmax");
                if (read_vals(r, got, gi, (int64_t)R * C))
                    for (int64_t o = 0; o < n_out; o++) {
                        double sum = 0;
                        for (int64_t k = 0; k < n_red; k++)
                            sum += axis ? got[o * C + k] : got[k * C + o];
                        bool nan_line = axis ? o == 5 : o == 17;
                        if (nan_line)
                            CHECK(isnan(sum));
                        else
                            CHECK(fabs(sum - 1) < 0.02 + n_red * tol_of(dt));
                    }
                mx_array_free(r);
                /* max, argmax, argmin */
                r = levels_agree(f_max, a, &ax, "max");
                mx_array_free(r);
                mx_array *am = levels_agree(f_argmax, a, &ax, "argmax");
                mx_array *an = levels_agree(f_argmin, a, &ax, "argmin");
                double *gmax = malloc(sizeof(double) * (size_t)n_out);
                if (read_vals(am, gmax, gi, n_out) && read_vals(an, got, gi, n_out))
                    for (int64_t o = 0; o < n_out; o++) {
                        double line[2 * (R > C ? R : C)];
                        for (int64_t k = 0; k < n_red; k++) {
                            double v = axis ? re[o * C + k] : re[k * C + o];
                            if (dt == MX_FLOAT16) v = mx_half_to_float(mx_float_to_half((float)v));
                            if (dt == MX_BFLOAT16)
                                v = mx_bfloat16_to_float(mx_float_to_bfloat16((float)v));
                            line[2 * k] = v;
                            line[2 * k + 1] = 0;
                        }
                        CHECK(gmax[o] == ref_arg(true, line, n_red));
                        CHECK(got[o] == ref_arg(false, line, n_red));
                    }
                free(gmax);
                mx_array_free(am);
                mx_array_free(an);
                /* median */
                r = levels_agree(f_median, a, &ax, "median");
                if (read_vals(r, got, gi, n_out))
                    for (int64_t o = 0; o < n_out; o++) {
                        double line[2 * (R > C ? R : C)];
                        bool nan = false;
                        for (int64_t k = 0; k < n_red; k++) {
                            double v = axis ? re[o * C + k] : re[k * C + o];
                            if (dt == MX_FLOAT16) v = mx_half_to_float(mx_float_to_half((float)v));
                            if (dt == MX_BFLOAT16)
                                v = mx_bfloat16_to_float(mx_float_to_bfloat16((float)v));
                            nan |= isnan(v);
                            line[2 * k] = v;
                            line[2 * k + 1] = 0;
                        }
                        double w, wi;
                        ref_one(R_MEDIAN, dt, dt, line, n_red, 0, &w, &wi);
                        CHECK(close_to(got[o], nan ? NAN_ : w, tol_of(dt)));
                    }
                mx_array_free(r);
                free(got);
                free(gi);
                if (a != p) mx_array_free(a);
                mx_array_free(p);
            }
    free(re);
    free(im);
}

/* Complex min/max at every level. */
TEST(test_complex_minmax_levels) {
    enum { R = 64, C = 130 };
    int32_t shape[2] = {R, C};
    double *re = malloc(sizeof(double) * R * C), *im = malloc(sizeof(double) * R * C);
    for (int64_t i = 0; i < R * C; i++) {
        re[i] = (double)(rnd() % 7);
        im[i] = (double)(rnd() % 100);
    }
    mx_array *a = test_array_of(re, im, R * C, shape, 2, MX_COMPLEX64);
    for (int axis = 0; axis < 2; axis++) {
        mx_array *r = levels_agree(f_max, a, &axis, "complex max");
        int64_t n_out = axis ? R : C, n_red = axis ? C : R;
        double gr[R > C ? R : C], gi[R > C ? R : C];
        if (read_vals(r, gr, gi, n_out))
            for (int64_t o = 0; o < n_out; o++) {
                double br = -INF_, bi = -INF_;
                for (int64_t k = 0; k < n_red; k++) {
                    int64_t q = axis ? o * C + k : k * C + o;
                    if (cless(br, bi, re[q], im[q])) br = re[q], bi = im[q];
                }
                CHECK(gr[o] == br && gi[o] == bi);
            }
        mx_array_free(r);
    }
    mx_array_free(a);
    free(re);
    free(im);
}

/* Few outputs over many elements: the reduction is split in blocks whose
 * log-sum-exp accumulators are combined (and softmax's statistics too). */
TEST(test_logsumexp_split) {
    struct {
        int32_t r, c;
        int axis;
    } cases[] = {{1, 300000, 1}, {3000, 100, 0}, {2, 140000, 1}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int32_t shape[2] = {cases[ci].r, cases[ci].c};
        int64_t n = (int64_t)shape[0] * shape[1];
        double *re = malloc(sizeof(double) * (size_t)n), *im = calloc((size_t)n, sizeof(double));
        for (int64_t i = 0; i < n; i++) re[i] = ((int64_t)(rnd() % 4001) - 2000) / 100.0;
        /* a large value late in the range, so blocks see different maxima */
        re[n - 3] = 80;
        mx_array *a = test_array_of(re, im, n, shape, 2, MX_FLOAT32);
        int ax = cases[ci].axis;
        int64_t n_out = ax ? shape[0] : shape[1], n_red = ax ? shape[1] : shape[0];
        mx_array *r = levels_agree(f_lse, a, &ax, "split logsumexp");
        double *got = malloc(sizeof(double) * (size_t)n), *gi = malloc(sizeof(double) * (size_t)n);
        if (read_vals(r, got, gi, n_out))
            for (int64_t o = 0; o < n_out; o++) {
                double m = -INF_, sum = 0;
                for (int64_t k = 0; k < n_red; k++) {
                    double v = (float)(ax ? re[o * shape[1] + k] : re[k * shape[1] + o]);
                    m = v > m ? v : m;
                }
                for (int64_t k = 0; k < n_red; k++)
                    sum += exp((float)(ax ? re[o * shape[1] + k] : re[k * shape[1] + o]) - m);
                CHECK(close_to(got[o], m + log(sum), 1e-5));
            }
        mx_array_free(r);
        /* softmax along the same axis sums to one per line */
        r = levels_agree(f_softmax, a, &ax, "split softmax");
        if (read_vals(r, got, gi, n))
            for (int64_t o = 0; o < n_out; o++) {
                double sum = 0;
                for (int64_t k = 0; k < n_red; k++)
                    sum += ax ? got[o * shape[1] + k] : got[k * shape[1] + o];
                CHECK(fabs(sum - 1) < 1e-3);
            }
        mx_array_free(r);
        mx_array_free(a);
        free(got);
        free(gi);
        free(re);
        free(im);
    }
}

/* argmin/argmax over long rows and wide columns of every dtype (the two-
 * pass vector paths), with many ties. */
TEST(test_arg_long_lines) {
    enum { R = 90, C = 70 };
    int32_t shape[2] = {R, C};
    double *re = malloc(sizeof(double) * R * C), *im = malloc(sizeof(double) * R * C);
    for (int t = 0; t < MX_NUM_DTYPES; t++) {
        mx_dtype dt = (mx_dtype)t;
        for (int64_t i = 0; i < R * C; i++) {
            lg tmp;
            tmp.size = 1;
            fill(&tmp, dt, true);
            re[i] = tmp.re[0];
            im[i] = tmp.im[0];
        }
        if (mx_dtype_is_floating(dt)) re[3 * C + 5] = NAN_, re[40 * C + 66] = NAN_;
        mx_array *a = test_array_of(re, im, R * C, shape, 2, dt);
        for (int axis = 0; axis < 2; axis++)
            for (int mx = 0; mx < 2; mx++) {
                mx_array *r = NULL;
                CHECK_OK(mx ? mx_argmax_axis(&r, a, axis, false, NULL)
                            : mx_argmin_axis(&r, a, axis, false, NULL));
                int64_t n_out = axis ? R : C, n_red = axis ? C : R;
                double got[R > C ? R : C], gi[R > C ? R : C];
                if (!read_vals(r, got, gi, n_out)) continue;
                for (int64_t o = 0; o < n_out; o++) {
                    double line[2 * (R > C ? R : C)];
                    for (int64_t k = 0; k < n_red; k++) {
                        int64_t q = axis ? o * C + k : k * C + o;
                        line[2 * k] = re[q];
                        line[2 * k + 1] = im[q];
                    }
                    double w = ref_arg(mx, line, n_red);
                    if (got[o] != w)
                        fprintf(stderr, "  arg%s %s axis %d out %lld: %g vs %g\n",
                                mx ? "max" : "min", mx_dtype_name(dt), axis, (long long)o, got[o],
                                w);
                    CHECK(got[o] == w);
                }
                mx_array_free(r);
            }
        mx_array_free(a);
    }
    free(re);
    free(im);
}

/* complex min/max/argmin/argmax: an element with a NaN part is the result,
 * the first such one, whole (NumPy; MLX 0.32.4 returns nan+0j for some
 * layouts), along either axis of a 2x2 and over long rows. */
static bool same_c64(const float *got, float re, float im) {
    bool r = got[0] == re || (isnan(got[0]) && isnan(re));
    bool i = got[1] == im || (isnan(got[1]) && isnan(im));
    return r && i;
}

TEST(test_complex_min_max_nan) {
    /* [[1+1j, 2+nanj], [nan+4j, 3+3j]] */
    const float v[8] = {1, 1, 2, NAN, NAN, 4, 3, 3};
    const int32_t shape[2] = {2, 2};
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, v, shape, 2, MX_COMPLEX64));
    /* want[op][axis]: two complex values each; op 0 = max, 1 = min */
    const float want[2][2][4] = {{{NAN, 4, 2, NAN}, {2, NAN, NAN, 4}},
                                 {{NAN, 4, 2, NAN}, {2, NAN, NAN, 4}}};
    const uint32_t want_arg[2][2] = {{1, 0}, {1, 0}};
    for (int op = 0; op < 2; op++)
        for (int axis = 0; axis < 2; axis++) {
            mx_array *r = NULL, *k = NULL;
            CHECK_OK(op ? mx_min_axes(&r, a, &axis, 1, false, NULL)
                        : mx_max_axes(&r, a, &axis, 1, false, NULL));
            CHECK_OK(op ? mx_argmin_axis(&k, a, axis, false, NULL)
                        : mx_argmax_axis(&k, a, axis, false, NULL));
            CHECK_OK(mx_eval(&r, 1));
            CHECK_OK(mx_eval(&k, 1));
            float got[4];
            uint32_t idx[2];
            CHECK_OK(mx_array_copy_to(r, got, sizeof got));
            CHECK_OK(mx_array_copy_to(k, idx, sizeof idx));
            CHECK(same_c64(got, want[op][axis][0], want[op][axis][1]));
            CHECK(same_c64(got + 2, want[op][axis][2], want[op][axis][3]));
            CHECK(idx[0] == want_arg[axis][0] && idx[1] == want_arg[axis][1]);
            mx_array_free(r);
            mx_array_free(k);
        }
    mx_array_free(a);
    a = NULL;
    /* a long row: the first NaN element (index 123) wins over a later one */
    float row[600];
    for (int i = 0; i < 300; i++) row[2 * i] = (float)(i % 17), row[2 * i + 1] = (float)(i % 5);
    row[2 * 123 + 1] = NAN;
    row[2 * 200] = NAN;
    int32_t n = 300;
    CHECK_OK(mx_array_from_data(&a, row, &n, 1, MX_COMPLEX64));
    for (int op = 0; op < 2; op++) {
        mx_array *r = NULL, *k = NULL;
        CHECK_OK(op ? mx_min(&r, a, false, NULL) : mx_max(&r, a, false, NULL));
        CHECK_OK(op ? mx_argmin(&k, a, false, NULL) : mx_argmax(&k, a, false, NULL));
        CHECK_OK(mx_eval(&r, 1));
        CHECK_OK(mx_eval(&k, 1));
        float got[2];
        uint32_t idx = 0;
        CHECK_OK(mx_array_copy_to(r, got, sizeof got));
        CHECK_OK(mx_array_copy_to(k, &idx, sizeof idx));
        CHECK(same_c64(got, 123 % 17, NAN));
        CHECK(idx == 123);
        mx_array_free(r);
        mx_array_free(k);
    }
    mx_array_free(a);
}

int main(void) {
    RUN(test_sum_prod_all_dtypes);
    RUN(test_min_max_all_dtypes);
    RUN(test_complex_min_max_nan);
    RUN(test_all_any_count_all_dtypes);
    RUN(test_mean_var_std_all_dtypes);
    RUN(test_logsumexp_median_all_dtypes);
    RUN(test_argmin_argmax_all_dtypes);
    RUN(test_softmax_all_dtypes);
    RUN(test_trace);
    RUN(test_reduce_mlx_cases);
    RUN(test_reduce_errors);
    RUN(test_large_and_levels);
    RUN(test_complex_minmax_levels);
    RUN(test_logsumexp_split);
    RUN(test_arg_long_lines);
    return TEST_SUMMARY();
}
