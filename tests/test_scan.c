/*
 * Scans (cumsum, cumprod, cummax, cummin, logcumsumexp) and diff through
 * the public API: values against reference loops (each step rounded to the
 * result dtype, as MLX does) for every dtype, on contiguous, transposed,
 * reversed, broadcast and gapped inputs, along every axis and flattened,
 * forward and reverse, inclusive and exclusive; large inputs that run on
 * the thread pool; every SIMD level against the scalar one; cases checked
 * against real MLX (mlx.core 0.32.4); and wrong calls.
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

/* ---- arrays ---- */

typedef struct lg {
    int ndim;
    int32_t shape[4];
    int64_t size;
    double *re, *im;
} lg;

static lg *lg_new(int nd, const int32_t *shape) {
    lg *x = calloc(1, sizeof *x);
    x->ndim = nd;
    memcpy(x->shape, shape, sizeof(int32_t) * (size_t)nd);
    x->size = 1;
    for (int i = 0; i < nd; i++) x->size *= shape[i];
    x->re = calloc((size_t)(3 * x->size + 8), sizeof(double));
    x->im = calloc((size_t)(3 * x->size + 8), sizeof(double));
    return x;
}

static void lg_free(lg *x) {
    free(x->re);
    free(x->im);
    free(x);
}

enum { L_CONTIG, L_TRANSPOSED, L_REVERSED, L_BROADCAST, L_GAPS, L_COUNT };

/* An array with x's logical values in the given layout (L_BROADCAST makes
 * x constant along axis 0 first). */
static mx_array *make(lg *x, mx_dtype dt, int layout) {
    int nd = x->ndim;
    if (nd == 0 || x->size == 0) layout = L_CONTIG;
    int32_t ps[4], idx[4], pidx[4];
    double *pre = calloc((size_t)(3 * x->size + 8), sizeof(double));
    double *pim = calloc((size_t)(3 * x->size + 8), sizeof(double));
    mx_array *p = NULL, *r = NULL;
    int32_t start[4] = {0}, stop[4], step[4];
    switch (layout) {
    case L_TRANSPOSED:
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
    case L_REVERSED:
        memcpy(ps, x->shape, sizeof ps);
        for (int64_t k = 0; k < x->size; k++) {
            test_unravel(k, x->shape, nd, idx);
            idx[0] = x->shape[0] - 1 - idx[0];
            int64_t q = test_ravel(idx, ps, nd);
            pre[q] = x->re[k];
            pim[q] = x->im[k];
        }
        p = test_array_of(pre, pim, x->size, ps, nd, dt);
        for (int d = 0; d < nd; d++) stop[d] = x->shape[d], step[d] = 1;
        start[0] = x->shape[0] - 1;
        stop[0] = -x->shape[0] - 1;
        step[0] = -1;
        CHECK_OK(mx_slice(&r, p, start, stop, step, nd, NULL));
        break;
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
        memcpy(ps, x->shape, sizeof ps);
        ps[nd - 1] = 2 * x->shape[nd - 1] + 1;
        int64_t pn = x->size / x->shape[nd - 1] * ps[nd - 1];
        for (int64_t q = 0; q < pn; q++) pre[q] = 99;
        for (int64_t k = 0; k < x->size; k++) {
            test_unravel(k, x->shape, nd, idx);
            idx[nd - 1] = 2 * idx[nd - 1] + 1;
            int64_t q = test_ravel(idx, ps, nd);
            pre[q] = x->re[k];
            pim[q] = x->im[k];
        }
        p = test_array_of(pre, pim, pn, ps, nd, dt);
        for (int d = 0; d < nd; d++) stop[d] = ps[d], step[d] = 1;
        start[nd - 1] = 1;
        step[nd - 1] = 2;
        CHECK_OK(mx_slice(&r, p, start, stop, step, nd, NULL));
        break;
    }
    default:
        r = test_array_of(x->re, x->im, x->size, x->shape, nd, dt);
    }
    mx_array_free(p);
    free(pre);
    free(pim);
    return r;
}

static bool read_vals(mx_array *a, double *re, double *im, int64_t n) {
    CHECK_OK(mx_eval(&a, 1));
    if ((int64_t)mx_array_size(a) != n) {
        CHECK(mx_array_size(a) == (size_t)n);
        return false;
    }
    if (n == 0) return true;
    if (mx_array_dtype(a) == MX_COMPLEX64) {
        float *f = malloc(sizeof(float) * 2 * (size_t)n);
        CHECK_OK(mx_array_copy_to(a, f, sizeof(float) * 2 * (size_t)n));
        for (int64_t i = 0; i < n; i++) re[i] = f[2 * i], im[i] = f[2 * i + 1];
        free(f);
        return true;
    }
    mx_array *d = NULL;
    CHECK_OK(mx_astype(&d, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_eval(&d, 1));
    CHECK_OK(mx_array_copy_to(d, re, sizeof(double) * (size_t)n));
    for (int64_t i = 0; i < n; i++) im[i] = 0;
    mx_array_free(d);
    return true;
}

/* ---- values and rounding ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool is_int(mx_dtype t) {
    return t != MX_BOOL && mx_dtype_is_integer(t);
}

enum { S_SUM, S_PROD, S_MAX, S_MIN, S_LAE, S_OPS };
static const char *sname[] = {"cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"};

static void fill(lg *x, mx_dtype t, int op) {
    for (int64_t i = 0; i < x->size; i++) {
        x->im[i] = 0;
        if (t == MX_BOOL)
            x->re[i] = (double)(rnd() % 2);
        else if (is_int(t) && !mx_dtype_is_signed(t))
            x->re[i] = (double)(rnd() % (op == S_PROD ? 3 : 6));
        else if (is_int(t))
            x->re[i] = (double)((int64_t)(rnd() % 9) - 4);
        else if (op == S_PROD)
            x->re[i] = ((int64_t)(rnd() % 5) + 2) / 4.0; /* 0.5 .. 1.5 */
        else
            x->re[i] = ((int64_t)(rnd() % 81) - 40) / 8.0;
        if (t == MX_COMPLEX64)
            x->im[i] = op == S_PROD ? ((int64_t)(rnd() % 3) - 1) / 4.0
                                    : ((int64_t)(rnd() % 81) - 40) / 8.0;
    }
}

/* v rounded to dtype t, integers wrapped to t's width. */
static double round_to(mx_dtype t, double v) {
    switch (t) {
    case MX_FLOAT16:
        return mx_half_to_float(mx_float_to_half((float)v));
    case MX_BFLOAT16:
        return mx_bfloat16_to_float(mx_float_to_bfloat16((float)v));
    case MX_FLOAT32:
    case MX_COMPLEX64:
        return (float)v;
    case MX_INT8:
        return (double)(int8_t)(uint8_t)(uint64_t)(int64_t)v;
    case MX_INT16:
        return (double)(int16_t)(uint16_t)(uint64_t)(int64_t)v;
    case MX_INT32:
        return (double)(int32_t)(uint32_t)(uint64_t)(int64_t)v;
    case MX_UINT8:
        return (double)(uint8_t)(uint64_t)(int64_t)v;
    case MX_UINT16:
        return (double)(uint16_t)(uint64_t)(int64_t)v;
    case MX_UINT32:
        return (double)(uint32_t)(uint64_t)(int64_t)v;
    case MX_BOOL:
        return v != 0;
    default:
        return v;
    }
}

static bool cless(double ar, double ai, double br, double bi) {
    return ar < br || (ar == br && ai < bi);
}

/* One step acc = acc op x in dtype ot (input dtype t). */
static void ref_step(int op, mx_dtype t, mx_dtype ot, double *ar, double *ai, double xr,
                     double xi) {
    double r = *ar, i = *ai;
    switch (op) {
    case S_SUM:
        r += xr, i += xi;
        break;
    case S_PROD:
        if (t == MX_BOOL) {
            r = r != 0 && xr != 0;
        } else if (is_int(t)) {
            r = (double)(int64_t)((uint64_t)(int64_t)r * (uint64_t)(int64_t)xr);
        } else {
            double nr = r * xr - i * xi, ni = r * xi + i * xr;
            r = nr, i = ni;
        }
        break;
    case S_MAX:
        if (t == MX_COMPLEX64) {
            if (!cless(xr, xi, r, i)) r = xr, i = xi;
        } else if (!isnan(r)) {
            r = xr < r ? r : xr;
        }
        break;
    case S_MIN:
        if (t == MX_COMPLEX64) {
            if (cless(xr, xi, r, i)) r = xr, i = xi;
        } else if (!isnan(r) && (xr < r || isnan(xr))) {
            r = xr;
        }
        break;
    case S_LAE:
        if (t == MX_COMPLEX64) {
            double complex a = CMPLX(r, i), b = CMPLX(xr, xi);
            double complex hi = cless(r, i, xr, xi) ? b : a, lo = cless(r, i, xr, xi) ? a : b;
            double complex v =
                creal(lo) == -INF_ || creal(hi) == INF_ ? hi : hi + clog(1.0 + cexp(lo - hi));
            r = creal(v), i = cimag(v);
        } else if (isnan(r) || isnan(xr)) {
            r = NAN_;
        } else {
            double hi = r < xr ? xr : r, lo = r < xr ? r : xr;
            r = lo == -INF_ || hi == INF_ ? hi : hi + log1p(exp(lo - hi));
        }
        break;
    }
    *ar = round_to(ot == MX_BOOL && op == S_SUM ? MX_INT32 : ot, r);
    *ai = t == MX_COMPLEX64 ? (double)(float)i : 0;
}

/* The identity of an exclusive scan (in the output dtype). */
static void ref_identity(int op, mx_dtype t, double *r, double *i) {
    *i = 0;
    bool flt = mx_dtype_is_inexact(t);
    switch (op) {
    case S_SUM:
        *r = 0;
        return;
    case S_PROD:
        *r = 1;
        return;
    case S_LAE:
        *r = -INF_;
        return;
    case S_MAX:
    case S_MIN: {
        bool mx = op == S_MAX;
        if (flt) {
            *r = mx ? -INF_ : INF_;
            if (t == MX_COMPLEX64) *i = *r;
            return;
        }
        switch (t) {
        case MX_BOOL:
            *r = !mx;
            return;
        case MX_INT8:
            *r = mx ? INT8_MIN : INT8_MAX;
            return;
        case MX_INT16:
            *r = mx ? INT16_MIN : INT16_MAX;
            return;
        case MX_INT32:
            *r = mx ? INT32_MIN : INT32_MAX;
            return;
        case MX_INT64:
            *r = mx ? (double)INT64_MIN : (double)INT64_MAX;
            return;
        case MX_UINT8:
            *r = mx ? 0 : UINT8_MAX;
            return;
        case MX_UINT16:
            *r = mx ? 0 : UINT16_MAX;
            return;
        case MX_UINT32:
            *r = mx ? 0 : UINT32_MAX;
            return;
        default:
            *r = mx ? 0 : (double)UINT64_MAX;
            return;
        }
    }
    }
}

/* Reference scan of x along axis (x->ndim: flattened). */
static void ref_scan(int op, mx_dtype t, mx_dtype ot, const lg *x, int axis, bool reverse,
                     bool inclusive, double *ore, double *oim) {
    int32_t shape[4];
    int nd = x->ndim;
    if (axis == nd) {
        shape[0] = (int32_t)x->size;
        nd = 1;
        axis = 0;
    } else {
        memcpy(shape, x->shape, sizeof shape);
    }
    int64_t n = shape[axis], inner = 1;
    for (int d = axis + 1; d < nd; d++) inner *= shape[d];
    int64_t outer = n ? x->size / n / inner : 0;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t c = 0; c < inner; c++) {
            double ar = 0, ai = 0;
            for (int64_t k = 0; k < n; k++) {
                int64_t j = reverse ? n - 1 - k : k;
                int64_t pos = (o * n + j) * inner + c;
                if (k == 0) {
                    if (inclusive) {
                        ar = x->re[pos];
                        ai = x->im[pos];
                        if (t == MX_BOOL && op == S_SUM) ar = ar != 0;
                    } else {
                        ref_identity(op, t, &ar, &ai);
                    }
                } else {
                    int64_t prev = (o * n + (reverse ? j + 1 : j - 1)) * inner + c;
                    int64_t src = inclusive ? pos : prev;
                    ref_step(op, t, ot, &ar, &ai, x->re[src], x->im[src]);
                }
                ore[pos] = ar;
                oim[pos] = ai;
            }
        }
}

static int run_scan(int op, mx_array **r, const mx_array *a, int axis, bool flat, bool reverse,
                    bool inclusive) {
    switch (op) {
    case S_SUM:
        return flat ? mx_cumsum(r, a, reverse, inclusive, MX_DTYPE_NONE, NULL)
                    : mx_cumsum_axis(r, a, axis, reverse, inclusive, MX_DTYPE_NONE, NULL);
    case S_PROD:
        return flat ? mx_cumprod(r, a, reverse, inclusive, MX_DTYPE_NONE, NULL)
                    : mx_cumprod_axis(r, a, axis, reverse, inclusive, MX_DTYPE_NONE, NULL);
    case S_MAX:
        return flat ? mx_cummax(r, a, reverse, inclusive, NULL)
                    : mx_cummax_axis(r, a, axis, reverse, inclusive, NULL);
    case S_MIN:
        return flat ? mx_cummin(r, a, reverse, inclusive, NULL)
                    : mx_cummin_axis(r, a, axis, reverse, inclusive, NULL);
    default:
        return flat ? mx_logcumsumexp(r, a, reverse, inclusive, NULL)
                    : mx_logcumsumexp_axis(r, a, axis, reverse, inclusive, NULL);
    }
}

static mx_dtype scan_dtype(int op, mx_dtype t) {
    if (op == S_SUM && t == MX_BOOL) return MX_INT32;
    if (op == S_LAE) return mx_at_least_float(t);
    return t;
}

static double tol_of(mx_dtype t) {
    switch (t) {
    case MX_FLOAT16:
        return 4e-3;
    case MX_BFLOAT16:
        return 3e-2;
    case MX_FLOAT32:
    case MX_COMPLEX64:
        return 2e-5;
    case MX_FLOAT64:
        return 1e-12;
    default:
        return 0;
    }
}

static bool close_to(double got, double want, double tol) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= tol * (1 + fabs(want));
}

/* Scans of a (3, 4, 5) array along each axis and flattened. */
static void check_scans(int op) {
    static const int32_t shape[3] = {3, 4, 5};
    for (int t = 0; t < MX_NUM_DTYPES; t++) {
        mx_dtype dt = (mx_dtype)t, ot = scan_dtype(op, dt);
        /* logcumsumexp casts non-float inputs to float32 first. */
        mx_dtype idt = op == S_LAE ? ot : dt;
        for (int layout = 0; layout < L_COUNT; layout++)
            for (int axis = -1; axis <= 3; axis++)
                for (int flags = 0; flags < 4; flags++) {
                    bool reverse = flags & 1, inclusive = flags & 2;
                    lg *x = lg_new(3, shape);
                    fill(x, dt, op);
                    mx_array *a = make(x, dt, layout), *r = NULL;
                    /* the reference sees the values as the op does */
                    for (int64_t i = 0; i < x->size; i++) x->re[i] = round_to(idt, x->re[i]);
                    bool flat = axis == 3;
                    int ax = axis < 0 ? axis + 3 : axis;
                    int rc = run_scan(op, &r, a, axis, flat, reverse, inclusive);
                    CHECK_OK(rc);
                    if (!rc) {
                        double *wr = calloc((size_t)x->size, sizeof(double));
                        double *wi = calloc((size_t)x->size, sizeof(double));
                        double *gr = calloc((size_t)x->size, sizeof(double));
                        double *gi = calloc((size_t)x->size, sizeof(double));
                        ref_scan(op, idt, ot, x, flat ? 3 : ax, reverse, inclusive, wr, wi);
                        bool ok = mx_array_dtype(r) == ot && mx_array_ndim(r) == (flat ? 1 : 3) &&
                                  read_vals(r, gr, gi, x->size);
                        double tol = tol_of(ot) * (op == S_LAE || op == S_PROD ? 4 : 1);
                        for (int64_t i = 0; ok && i < x->size; i++) {
                            ok = close_to(gr[i], wr[i], tol) && close_to(gi[i], wi[i], tol);
                            if (!ok)
                                fprintf(stderr,
                                        "  %s %s layout %d axis %d rev %d incl %d at %lld: got "
                                        "%.9g%+.9gi want %.9g%+.9gi\n",
                                        sname[op], mx_dtype_name(dt), layout, axis, reverse,
                                        inclusive, (long long)i, gr[i], gi[i], wr[i], wi[i]);
                        }
                        if (!ok && mx_array_dtype(r) != ot)
                            fprintf(stderr, "  %s %s: dtype %s\n", sname[op], mx_dtype_name(dt),
                                    mx_dtype_name(mx_array_dtype(r)));
                        CHECK(ok);
                        free(wr);
                        free(wi);
                        free(gr);
                        free(gi);
                    }
                    mx_array_free(r);
                    mx_array_free(a);
                    lg_free(x);
                }
    }
}

TEST(test_cumsum_cumprod_all_dtypes) {
    check_scans(S_SUM);
    check_scans(S_PROD);
}

TEST(test_cummax_cummin_all_dtypes) {
    check_scans(S_MAX);
    check_scans(S_MIN);
}

TEST(test_logcumsumexp_all_dtypes) {
    check_scans(S_LAE);
}

/* ---- cases checked against MLX 0.32.4 ---- */

static mx_array *vec(const double *v, int32_t n, mx_dtype dt) {
    double im[16] = {0};
    return test_array_of(v, im, n, &n, 1, dt);
}

/* Evaluates r and compares it with want (n values, NaN equal to NaN, the
 * sign of zero checked) and its dtype. */
static void expect(mx_array *r, mx_dtype dt, const double *want, int64_t n) {
    double got[64], gi[64];
    CHECK(r != NULL);
    if (!r) return;
    CHECK(mx_array_dtype(r) == dt);
    if (!read_vals(r, got, gi, n)) return;
    for (int64_t i = 0; i < n; i++) {
        bool ok = isnan(want[i]) ? isnan(got[i])
                                 : got[i] == want[i] && signbit(got[i]) == signbit(want[i]);
        if (!ok) {
            fprintf(stderr, "  element %lld: got %.9g want %.9g\n", (long long)i, got[i], want[i]);
            CHECK(ok);
        }
    }
}

TEST(test_scan_mlx_cases) {
    mx_array *a = NULL, *r = NULL;
    /* NaN propagates through cummax and cummin. */
    double x1[4] = {1, NAN_, 2, -1};
    a = vec(x1, 4, MX_FLOAT32);
    CHECK_OK(mx_cummax(&r, a, false, true, NULL));
    expect(r, MX_FLOAT32, (double[]){1, NAN_, NAN_, NAN_}, 4);
    CHECK_OK(mx_cummin(&r, a, false, true, NULL));
    expect(r, MX_FLOAT32, (double[]){1, NAN_, NAN_, NAN_}, 4);
    CHECK_OK(mx_cummax(&r, a, true, true, NULL));
    expect(r, MX_FLOAT32, (double[]){NAN_, NAN_, 2, -1}, 4);
    mx_array_free(a);
    /* Ties: cummax takes the later element, cummin keeps the earlier. */
    a = vec((double[]){-0.0, 0.0, -0.0}, 3, MX_FLOAT32);
    CHECK_OK(mx_cummax(&r, a, false, true, NULL));
    expect(r, MX_FLOAT32, (double[]){-0.0, 0.0, -0.0}, 3);
    CHECK_OK(mx_cummin(&r, a, false, true, NULL));
    expect(r, MX_FLOAT32, (double[]){-0.0, -0.0, -0.0}, 3);
    mx_array_free(a);
    /* Exclusive identities. */
    a = vec((double[]){3, 1, 4}, 3, MX_INT8);
    CHECK_OK(mx_cummax(&r, a, false, false, NULL));
    expect(r, MX_INT8, (double[]){-128, 3, 3}, 3);
    mx_array_free(a);
    a = vec((double[]){3, 1, 4}, 3, MX_UINT8);
    CHECK_OK(mx_cummin(&r, a, false, false, NULL));
    expect(r, MX_UINT8, (double[]){255, 3, 1}, 3);
    mx_array_free(a);
    a = vec((double[]){3, 1, 4}, 3, MX_FLOAT16);
    CHECK_OK(mx_cummax(&r, a, false, false, NULL));
    expect(r, MX_FLOAT16, (double[]){-INF_, 3, 3}, 3);
    mx_array_free(a);
    a = vec((double[]){3, 1, 4}, 3, MX_FLOAT32);
    CHECK_OK(mx_logcumsumexp(&r, a, false, false, NULL));
    expect(r, MX_FLOAT32, (double[]){-INF_, 3.0, (float)3.1269280910491943}, 3);
    CHECK_OK(mx_logcumsumexp(&r, a, false, true, NULL));
    double lw[3] = {3.0, (float)3.1269280910491943, (float)4.34901237487793};
    double gr[3], gi[3];
    if (read_vals(r, gr, gi, 3))
        for (int i = 0; i < 3; i++) CHECK_NEAR(gr[i], lw[i], 1e-6);
    mx_array_free(a);
    /* Infinities and NaN in logcumsumexp. */
    a = vec((double[]){-INF_, -INF_, 1}, 3, MX_FLOAT32);
    CHECK_OK(mx_logcumsumexp(&r, a, false, true, NULL));
    expect(r, MX_FLOAT32, (double[]){-INF_, -INF_, 1}, 3);
    mx_array_free(a);
    a = vec((double[]){INF_, 1, INF_}, 3, MX_FLOAT32);
    CHECK_OK(mx_logcumsumexp(&r, a, false, true, NULL));
    expect(r, MX_FLOAT32, (double[]){INF_, INF_, INF_}, 3);
    mx_array_free(a);
    a = vec((double[]){1, NAN_, 1}, 3, MX_FLOAT32);
    CHECK_OK(mx_logcumsumexp(&r, a, false, true, NULL));
    expect(r, MX_FLOAT32, (double[]){1, NAN_, NAN_}, 3);
    mx_array_free(a);
    /* Integers: logcumsumexp is float32; bool cumsum counts in int32,
     * cumprod of bool stays bool. */
    a = vec((double[]){3, 1, 4}, 3, MX_INT32);
    CHECK_OK(mx_logcumsumexp(&r, a, false, true, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT32);
    mx_array_free(a);
    a = vec((double[]){1, 1, 0}, 3, MX_BOOL);
    CHECK_OK(mx_cumsum(&r, a, false, true, MX_DTYPE_NONE, NULL));
    expect(r, MX_INT32, (double[]){1, 2, 2}, 3);
    CHECK_OK(mx_cumsum(&r, a, false, false, MX_DTYPE_NONE, NULL));
    expect(r, MX_INT32, (double[]){0, 1, 2}, 3);
    CHECK_OK(mx_cumprod(&r, a, false, true, MX_DTYPE_NONE, NULL));
    expect(r, MX_BOOL, (double[]){1, 1, 0}, 3);
    mx_array_free(a);
    /* Integers wrap; dtype= casts first. */
    a = vec((double[]){100, 100}, 2, MX_INT8);
    CHECK_OK(mx_cumsum(&r, a, false, true, MX_DTYPE_NONE, NULL));
    expect(r, MX_INT8, (double[]){100, -56}, 2);
    CHECK_OK(mx_cumsum(&r, a, false, true, MX_INT32, NULL));
    expect(r, MX_INT32, (double[]){100, 200}, 2);
    mx_array_free(a);
    a = vec((double[]){1.5, 2.5}, 2, MX_FLOAT32);
    CHECK_OK(mx_cumsum(&r, a, false, true, MX_INT32, NULL));
    expect(r, MX_INT32, (double[]){1, 3}, 2);
    CHECK_OK(mx_cumprod(&r, a, false, true, MX_INT32, NULL));
    expect(r, MX_INT32, (double[]){1, 2}, 2);
    mx_array_free(a);
    /* 16-bit floats round at every step. */
    a = vec((double[]){2048, 1, 1, 1}, 4, MX_FLOAT16);
    CHECK_OK(mx_cumsum(&r, a, false, true, MX_DTYPE_NONE, NULL));
    expect(r, MX_FLOAT16, (double[]){2048, 2048, 2048, 2048}, 4);
    mx_array_free(a);
    a = vec((double[]){256, 1, 1, 1}, 4, MX_BFLOAT16);
    CHECK_OK(mx_cumsum(&r, a, false, true, MX_DTYPE_NONE, NULL));
    expect(r, MX_BFLOAT16, (double[]){256, 256, 256, 256}, 4);
    mx_array_free(a);
    /* Axis: a (2, 3) int32 array. */
    int32_t s23[2] = {2, 3};
    double v23[6] = {1, 2, 3, 4, 5, 6}, z6[6] = {0};
    a = test_array_of(v23, z6, 6, s23, 2, MX_INT32);
    CHECK_OK(mx_cumsum(&r, a, false, true, MX_DTYPE_NONE, NULL));
    expect(r, MX_INT32, (double[]){1, 3, 6, 10, 15, 21}, 6);
    CHECK_OK(mx_cumsum_axis(&r, a, 0, false, true, MX_DTYPE_NONE, NULL));
    expect(r, MX_INT32, (double[]){1, 2, 3, 5, 7, 9}, 6);
    CHECK_OK(mx_cumsum_axis(&r, a, 1, true, true, MX_DTYPE_NONE, NULL));
    expect(r, MX_INT32, (double[]){6, 5, 3, 15, 11, 6}, 6);
    CHECK_OK(mx_cumsum_axis(&r, a, 1, false, false, MX_DTYPE_NONE, NULL));
    expect(r, MX_INT32, (double[]){0, 1, 3, 0, 4, 9}, 6);
    CHECK_OK(mx_cumsum_axis(&r, a, 1, true, false, MX_DTYPE_NONE, NULL));
    expect(r, MX_INT32, (double[]){5, 3, 0, 11, 6, 0}, 6);
    CHECK_OK(mx_cumsum_axis(&r, a, 0, true, false, MX_DTYPE_NONE, NULL));
    expect(r, MX_INT32, (double[]){4, 5, 6, 0, 0, 0}, 6);
    CHECK_OK(mx_cumsum_axis(&r, a, -1, false, true, MX_DTYPE_NONE, NULL));
    expect(r, MX_INT32, (double[]){1, 3, 6, 4, 9, 15}, 6);
    mx_array_free(a);
    /* Complex: sums, products, maxima, logcumsumexp. */
    double cre[3] = {1, 2, 1}, cim[3] = {1, 0, 5};
    int32_t n3 = 3, n2 = 2;
    a = test_array_of(cre, cim, 2, &n2, 1, MX_COMPLEX64);
    double wre[2], wim[2];
    CHECK_OK(mx_cumsum(&r, a, false, true, MX_DTYPE_NONE, NULL));
    if (read_vals(r, wre, wim, 2)) CHECK(wre[1] == 3 && wim[1] == 1);
    CHECK_OK(mx_logcumsumexp(&r, a, false, true, NULL));
    if (read_vals(r, wre, wim, 2)) {
        CHECK_NEAR(wre[1], 2.2135701179504395, 1e-6);
        CHECK_NEAR(wim[1], 0.25271138548851013, 1e-6);
    }
    CHECK_OK(mx_logcumsumexp(&r, a, false, false, NULL));
    if (read_vals(r, wre, wim, 2)) CHECK(wre[0] == -INF_ && wim[0] == 0);
    mx_array_free(a);
    a = test_array_of(cre, cim, 3, &n3, 1, MX_COMPLEX64);
    CHECK_OK(mx_cummax(&r, a, false, true, NULL));
    double mre[3], mim[3];
    if (read_vals(r, mre, mim, 3)) CHECK(mre[2] == 2 && mim[2] == 0);
    CHECK_OK(mx_cummax(&r, a, false, false, NULL));
    if (read_vals(r, mre, mim, 3)) CHECK(mre[0] == -INF_ && mim[0] == -INF_);
    CHECK_OK(mx_cummin(&r, a, false, false, NULL));
    if (read_vals(r, mre, mim, 3)) CHECK(mre[0] == INF_ && mim[0] == INF_);
    CHECK_OK(mx_cumprod(&r, a, false, false, MX_DTYPE_NONE, NULL));
    if (read_vals(r, mre, mim, 3)) CHECK(mre[0] == 1 && mim[0] == 0 && mre[2] == 2 && mim[2] == 2);
    mx_array_free(a);
    mx_array_free(r);
}

TEST(test_scan_shapes_and_errors) {
    mx_array *a = NULL, *r = NULL;
    /* 0-d: the flattened scan gives shape (1,); an axis is out of range. */
    CHECK_OK(mx_array_from_int(&a, 3, MX_INT32));
    CHECK_OK(mx_cumsum(&r, a, false, true, MX_DTYPE_NONE, NULL));
    CHECK(mx_array_ndim(r) == 1 && mx_array_shape(r)[0] == 1);
    CHECK_ERR(mx_cumsum_axis(&r, a, 0, false, true, MX_DTYPE_NONE, NULL), MX_ERR_INDEX);
    mx_array_free(a);
    a = NULL;
    /* Empty arrays scan to empty arrays. */
    int32_t s03[2] = {0, 3};
    CHECK_OK(mx_zeros(&a, s03, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_cumsum_axis(&r, a, 0, false, true, MX_DTYPE_NONE, NULL));
    CHECK_OK(mx_eval(&r, 1));
    CHECK(mx_array_size(r) == 0 && mx_array_ndim(r) == 2 && mx_array_shape(r)[1] == 3);
    CHECK_OK(mx_logcumsumexp_axis(&r, a, 1, true, false, NULL));
    CHECK_OK(mx_eval(&r, 1));
    CHECK(mx_array_size(r) == 0);
    /* Bad axes and dtypes, then the library still works. */
    CHECK_ERR(mx_cumsum_axis(&r, a, 2, false, true, MX_DTYPE_NONE, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_cumprod_axis(&r, a, -3, false, true, MX_DTYPE_NONE, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_cummax_axis(&r, a, 5, false, true, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_cummin_axis(&r, a, -5, false, true, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_logcumsumexp_axis(&r, a, 9, false, true, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_cumsum(&r, a, false, true, (mx_dtype)77, NULL), MX_ERR_TYPE);
    CHECK_ERR(mx_cumsum(&r, NULL, false, true, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_cumsum(NULL, a, false, true, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    mx_array_free(a);
    a = vec((double[]){1, 2, 3}, 3, MX_FLOAT32);
    CHECK_OK(mx_cumsum(&r, a, false, true, MX_DTYPE_NONE, NULL));
    expect(r, MX_FLOAT32, (double[]){1, 3, 6}, 3);
    mx_array_free(a);
    mx_array_free(r);
}

/* Large scans run on the thread pool and in vector loops: against the
 * reference, and every SIMD level bit for bit against the scalar one. */
TEST(test_scan_large_and_levels) {
    int32_t shape[2] = {96, 700};
    mx_dtype dts[5] = {MX_FLOAT32, MX_FLOAT16, MX_INT32, MX_FLOAT64, MX_BFLOAT16};
    for (int di = 0; di < 5; di++)
        for (int op = 0; op < S_OPS; op++)
            for (int axis = 0; axis < 3; axis++)
                for (int layout = 0; layout < 2; layout++) {
                    mx_dtype dt = dts[di], ot = scan_dtype(op, dt);
                    lg *x = lg_new(2, shape);
                    fill(x, dt, op);
                    if (op == S_PROD)
                        for (int64_t i = 0; i < x->size; i++)
                            x->re[i] = is_int(dt) ? (double)(i % 3 == 0 ? -1 : 1)
                                                  : 1 + (x->re[i] - 1) / 64;
                    mx_array *a = make(x, dt, layout ? L_TRANSPOSED : L_CONTIG);
                    bool flat = axis == 2;
                    unsigned char *first = NULL;
                    size_t bytes = (size_t)x->size * (size_t)mx_dtype_size(ot);
                    int top = mxi_simd_detected();
                    for (int level = 0; level <= top; level++) {
                        if (mxi_simd_set_active((mxi_simd_level)level) != 0) continue;
                        mx_array *r = NULL;
                        CHECK_OK(run_scan(op, &r, a, axis, flat, axis == 1, op != S_MAX));
                        CHECK_OK(mx_eval(&r, 1));
                        unsigned char *got = malloc(bytes);
                        CHECK_OK(mx_array_copy_to(r, got, bytes));
                        if (!first) {
                            first = got;
                            double *wr = calloc((size_t)x->size, sizeof(double));
                            double *wi = calloc((size_t)x->size, sizeof(double));
                            double *gr = calloc((size_t)x->size, sizeof(double));
                            double *gi = calloc((size_t)x->size, sizeof(double));
                            mx_dtype idt = op == S_LAE ? ot : dt;
                            for (int64_t i = 0; i < x->size; i++)
                                x->re[i] = round_to(idt, x->re[i]);
                            ref_scan(op, idt, ot, x, flat ? 2 : axis, axis == 1, op != S_MAX, wr,
                                     wi);
                            int bad = 0;
                            if (read_vals(r, gr, gi, x->size))
                                for (int64_t i = 0; i < x->size && bad < 3; i++)
                                    if (!close_to(gr[i], wr[i], 20 * tol_of(ot))) {
                                        fprintf(stderr, "  large %s %s axis %d at %lld: %g vs %g\n",
                                                sname[op], mx_dtype_name(dt), axis, (long long)i,
                                                gr[i], wr[i]);
                                        bad++;
                                    }
                            CHECK(bad == 0);
                            free(wr);
                            free(wi);
                            free(gr);
                            free(gi);
                        } else {
                            CHECK(memcmp(first, got, bytes) == 0);
                            free(got);
                        }
                        mx_array_free(r);
                    }
                    mxi_simd_set_active((mxi_simd_level)top);
                    free(first);
                    mx_array_free(a);
                    lg_free(x);
                }
}

/* ---- diff ---- */

TEST(test_diff) {
    mx_array *a = NULL, *r = NULL;
    a = vec((double[]){1, 4, 9, 16}, 4, MX_INT32);
    CHECK_OK(mx_diff(&r, a, 1, -1, NULL));
    expect(r, MX_INT32, (double[]){3, 5, 7}, 3);
    CHECK_OK(mx_diff(&r, a, 2, 0, NULL));
    expect(r, MX_INT32, (double[]){2, 2}, 2);
    CHECK_OK(mx_diff(&r, a, 0, 0, NULL));
    expect(r, MX_INT32, (double[]){1, 4, 9, 16}, 4);
    CHECK_OK(mx_diff(&r, a, 4, 0, NULL));
    CHECK(mx_array_size(r) == 0 && mx_array_ndim(r) == 1);
    CHECK_OK(mx_diff(&r, a, 5, 0, NULL));
    CHECK(mx_array_size(r) == 0 && mx_array_ndim(r) == 1);
    CHECK_ERR(mx_diff(&r, a, -1, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_diff(&r, a, 1, 1, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_diff(&r, a, 1, -2, NULL), MX_ERR_INDEX);
    mx_array_free(a);
    /* bool: a[1:] != a[:-1]; uint8 wraps. */
    a = vec((double[]){1, 0, 0, 1}, 4, MX_BOOL);
    CHECK_OK(mx_diff(&r, a, 1, 0, NULL));
    expect(r, MX_BOOL, (double[]){1, 0, 1}, 3);
    CHECK_OK(mx_diff(&r, a, 2, 0, NULL));
    expect(r, MX_BOOL, (double[]){1, 1}, 2);
    mx_array_free(a);
    a = vec((double[]){5, 3}, 2, MX_UINT8);
    CHECK_OK(mx_diff(&r, a, 1, 0, NULL));
    expect(r, MX_UINT8, (double[]){254}, 1);
    mx_array_free(a);
    a = vec((double[]){1, 2.5}, 2, MX_FLOAT16);
    CHECK_OK(mx_diff(&r, a, 1, 0, NULL));
    expect(r, MX_FLOAT16, (double[]){1.5}, 1);
    mx_array_free(a);
    /* 2-d, along axis 0 twice and along -2; transposed input. */
    int32_t s32[2] = {3, 2};
    double v[6] = {1, 2, 4, 8, 9, 20}, z[6] = {0};
    a = test_array_of(v, z, 6, s32, 2, MX_INT32);
    CHECK_OK(mx_diff(&r, a, 2, 0, NULL));
    CHECK(mx_array_ndim(r) == 2 && mx_array_shape(r)[0] == 1 && mx_array_shape(r)[1] == 2);
    expect(r, MX_INT32, (double[]){2, 6}, 2);
    CHECK_OK(mx_diff(&r, a, 1, -2, NULL));
    expect(r, MX_INT32, (double[]){3, 6, 5, 12}, 4);
    mx_array *t = NULL;
    CHECK_OK(mx_transpose(&t, a, NULL, 0, NULL));
    CHECK_OK(mx_diff(&r, t, 1, -1, NULL));
    expect(r, MX_INT32, (double[]){3, 5, 6, 12}, 4);
    mx_array_free(t);
    mx_array_free(a);
    a = NULL;
    /* Errors: 0-d input; empty input stays empty. */
    CHECK_OK(mx_array_from_int(&a, 3, MX_INT32));
    CHECK_ERR(mx_diff(&r, a, 1, -1, NULL), MX_ERR_INDEX);
    mx_array_free(a);
    a = NULL;
    int32_t z0 = 0;
    CHECK_OK(mx_zeros(&a, &z0, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_diff(&r, a, 1, 0, NULL));
    CHECK_OK(mx_eval(&r, 1));
    CHECK(mx_array_size(r) == 0);
    mx_array_free(a);
    mx_array_free(r);
}

int main(void) {
    RUN(test_cumsum_cumprod_all_dtypes);
    RUN(test_cummax_cummin_all_dtypes);
    RUN(test_logcumsumexp_all_dtypes);
    RUN(test_scan_mlx_cases);
    RUN(test_scan_shapes_and_errors);
    RUN(test_scan_large_and_levels);
    RUN(test_diff);
    return TEST_SUMMARY();
}
