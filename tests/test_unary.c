/*
 * Elementwise unary ops: output dtypes and errors as MLX 0.32 gives them,
 * values against reference loops written here (libm in double, C99 complex
 * functions), every layout (transposed, broadcast, negative steps, 0-d,
 * empty), every vector level against the scalar reference, and the float32
 * vector math (src/cpu/vmath.h) against libm over samples of the whole
 * float32 range. Expected values marked "MLX" were read off mlx.core 0.32.
 */
#include <complex.h>
#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "core/half.h"
#include "cpu/simd.h"
#include "cpu/strided.h"
#include "cpu/vmath.h"

/* ---- helpers ---- */

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static double unif(double lo, double hi) {
    return lo + (hi - lo) * (double)(rnd() >> 11) * 0x1p-53;
}

static const mx_dtype ALL[MX_NUM_DTYPES] = {
    MX_BOOL,  MX_UINT8, MX_UINT16,  MX_UINT32,  MX_UINT64,  MX_INT8,     MX_INT16,
    MX_INT32, MX_INT64, MX_FLOAT16, MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_COMPLEX64};

static mx_array *arr(const void *data, const int32_t *shape, int ndim, mx_dtype t) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, data, shape, ndim, t));
    return a;
}

static mx_array *arr1(const void *data, int32_t n, mx_dtype t) {
    return arr(data, &n, 1, t);
}

/* Evaluates a and copies its elements (row-major) into dst. */
static void readback(mx_array *a, void *dst) {
    CHECK_OK(mx_eval(&a, 1));
    CHECK_OK(mx_array_copy_to(a, dst, mx_array_nbytes(a)));
}

static mx_array *f32s(const float *v, int32_t n) {
    return arr1(v, n, MX_FLOAT32);
}

/* Bitwise or both-NaN equality of floats. */
static bool same_f(float a, float b) {
    return (a != a && b != b) || mxi_vm_bits(a) == mxi_vm_bits(b);
}

/* Distance in float32 ulps between got and the exact value want. */
static double ulps(float got, double want) {
    if (want != want) return got != got ? 0 : 1e9;
    if (isinf(want) || fabs(want) > FLT_MAX) {
        float w = (float)want;
        if (isinf(w)) return got == w ? 0 : (fabsf(got) == FLT_MAX ? 0.5 : 1e9);
    }
    if (got != got) return 1e9;
    int e;
    frexp(fabs(want), &e);
    int fe = e - 1 < -126 ? -126 : e - 1;
    return fabs((double)got - want) / ldexp(1.0, fe - 23);
}

typedef int (*op1_fn)(mx_array **, const mx_array *, const mx_stream *);

/* ---- output dtypes (MLX) ---- */

typedef struct dtype_row {
    const char *name;
    op1_fn fn;
    /* expected dtype per input dtype (ALL order); -2: MX_ERR_VALUE */
    int want[MX_NUM_DTYPES];
} dtype_row;

#define B MX_BOOL
#define F MX_FLOAT32
#define E (-2)
#define SAME                                                                                       \
    {                                                                                              \
        MX_BOOL, MX_UINT8, MX_UINT16, MX_UINT32, MX_UINT64, MX_INT8, MX_INT16, MX_INT32, MX_INT64, \
            MX_FLOAT16, MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_COMPLEX64                          \
    }
#define FLT                                                                                        \
    { F, F, F, F, F, F, F, F, F, MX_FLOAT16, F, MX_FLOAT64, MX_BFLOAT16, MX_COMPLEX64 }
#define FLTR                                                                                       \
    { F, F, F, F, F, F, F, F, F, MX_FLOAT16, F, MX_FLOAT64, MX_BFLOAT16, E }
#define ROUNDING                                                                                   \
    {                                                                                              \
        MX_BOOL, MX_UINT8, MX_UINT16, MX_UINT32, MX_UINT64, MX_INT8, MX_INT16, MX_INT32, MX_INT64, \
            MX_FLOAT16, MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, E                                     \
    }
#define BOOLS                                                                                      \
    { B, B, B, B, B, B, B, B, B, B, B, B, B, B }

static const dtype_row dtype_rows[] = {
    {"abs",
     mx_abs,
     {MX_BOOL, MX_UINT8, MX_UINT16, MX_UINT32, MX_UINT64, MX_INT8, MX_INT16, MX_INT32, MX_INT64,
      MX_FLOAT16, MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_FLOAT32}},
    {"sign", mx_sign, SAME},
    {"positive", mx_positive, SAME},
    {"negative",
     mx_negative,
     {E, MX_UINT8, MX_UINT16, MX_UINT32, MX_UINT64, MX_INT8, MX_INT16, MX_INT32, MX_INT64,
      MX_FLOAT16, MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_COMPLEX64}},
    {"square", mx_square, SAME},
    {"sqrt", mx_sqrt, FLT},
    {"rsqrt", mx_rsqrt, FLT},
    {"reciprocal", mx_reciprocal, FLT},
    {"exp", mx_exp, FLT},
    {"expm1", mx_expm1, FLTR},
    {"erf", mx_erf, FLTR},
    {"erfinv", mx_erfinv, FLTR},
    {"sin", mx_sin, FLT},
    {"cos", mx_cos, FLT},
    {"tan", mx_tan, FLT},
    {"arcsin", mx_arcsin, FLT},
    {"arccos", mx_arccos, FLT},
    {"arctan", mx_arctan, FLT},
    {"sinh", mx_sinh, FLT},
    {"cosh", mx_cosh, FLT},
    {"tanh", mx_tanh, FLT},
    {"arcsinh", mx_arcsinh, FLT},
    {"arccosh", mx_arccosh, FLT},
    {"arctanh", mx_arctanh, FLT},
    {"degrees", mx_degrees, FLT},
    {"radians", mx_radians, FLT},
    {"log", mx_log, FLT},
    {"log2", mx_log2, FLT},
    {"log10", mx_log10, FLT},
    {"log1p", mx_log1p, FLT},
    {"sigmoid", mx_sigmoid, FLTR},
    {"floor", mx_floor, ROUNDING},
    {"ceil", mx_ceil, ROUNDING},
    {"trunc", mx_trunc, ROUNDING},
    {"isnan", mx_isnan, BOOLS},
    {"isinf", mx_isinf, BOOLS},
    {"isfinite", mx_isfinite, BOOLS},
    {"isposinf", mx_isposinf, BOOLS},
    {"isneginf", mx_isneginf, BOOLS},
    {"conj", mx_conj, SAME},
    {"conjugate", mx_conjugate, SAME},
    {"logical_not", mx_logical_not, BOOLS},
    {"bitwise_invert",
     mx_bitwise_invert,
     {MX_BOOL, MX_UINT8, MX_UINT16, MX_UINT32, MX_UINT64, MX_INT8, MX_INT16, MX_INT32, MX_INT64, E,
      E, E, E, E}},
    {"real",
     mx_real,
     {MX_BOOL, MX_UINT8, MX_UINT16, MX_UINT32, MX_UINT64, MX_INT8, MX_INT16, MX_INT32, MX_INT64,
      MX_FLOAT16, MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_FLOAT32}},
    {"imag",
     mx_imag,
     {MX_BOOL, MX_UINT8, MX_UINT16, MX_UINT32, MX_UINT64, MX_INT8, MX_INT16, MX_INT32, MX_INT64,
      MX_FLOAT16, MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_FLOAT32}},
};

/* Every op on every dtype: the dtype MLX gives, or its error; each result
 * also evaluates (so every (op, dtype) pair has a kernel). */
TEST(test_output_dtypes) {
    double ones[4] = {1, 0, 2, 1};
    for (size_t r = 0; r < sizeof dtype_rows / sizeof dtype_rows[0]; r++) {
        const dtype_row *row = &dtype_rows[r];
        for (int d = 0; d < MX_NUM_DTYPES; d++) {
            mx_array *src = arr1(ones, 4, MX_FLOAT64), *a = NULL, *out = NULL;
            CHECK_OK(mx_astype(&a, src, ALL[d], NULL));
            if (row->want[d] == E) {
                CHECK_ERR(row->fn(&out, a, NULL), MX_ERR_VALUE);
                CHECK(out == NULL);
            } else {
                int rc = row->fn(&out, a, NULL);
                CHECK(rc == MX_OK);
                if (rc == MX_OK) {
                    if ((int)mx_array_dtype(out) != row->want[d])
                        fprintf(stderr, "  %s(%s) gave %s\n", row->name, mx_dtype_name(ALL[d]),
                                mx_dtype_name(mx_array_dtype(out)));
                    CHECK((int)mx_array_dtype(out) == row->want[d]);
                    CHECK(mx_array_ndim(out) == 1 && mx_array_dim(out, 0) == 4);
                    int erc = mx_eval(&out, 1);
                    if (erc != MX_OK)
                        fprintf(stderr, "  %s(%s): %s\n", row->name, mx_dtype_name(ALL[d]),
                                mx_last_error());
                    CHECK(erc == MX_OK);
                } else {
                    fprintf(stderr, "  %s(%s): %s\n", row->name, mx_dtype_name(ALL[d]),
                            mx_last_error());
                }
            }
            mx_array_free(src);
            mx_array_free(a);
            mx_array_free(out);
        }
    }
    /* round and nan_to_num take parameters */
    for (int d = 0; d < MX_NUM_DTYPES; d++) {
        mx_array *src = arr1(ones, 4, MX_FLOAT64), *a = NULL, *r0 = NULL, *r2 = NULL, *n = NULL;
        CHECK_OK(mx_astype(&a, src, ALL[d], NULL));
        CHECK_OK(mx_round(&r0, a, 0, NULL));
        CHECK_OK(mx_round(&r2, a, -1, NULL));
        CHECK_OK(mx_nan_to_num(&n, a, 0.0, NULL, NULL, NULL));
        if (r0 && r2 && n) {
            CHECK(mx_array_dtype(r0) == ALL[d] && mx_array_dtype(r2) == ALL[d]);
            CHECK(mx_array_dtype(n) == ALL[d]);
            mx_array *all[3] = {r0, r2, n};
            CHECK_OK(mx_eval(all, 3));
        }
        mx_array_free(src);
        mx_array_free(a);
        mx_array_free(r0);
        mx_array_free(r2);
        mx_array_free(n);
    }
}

/* Wrong calls come back as errors with messages; the library still works. */
TEST(test_errors) {
    float v[3] = {1, 2, 3};
    mx_array *a = f32s(v, 3), *out = NULL;
    CHECK_ERR(mx_exp(NULL, a, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_exp(&out, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_abs(&out, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_round(&out, NULL, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_nan_to_num(NULL, a, 0, NULL, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_bitwise_invert(&out, a, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "bitwise_invert") != NULL);
    CHECK_ERR(mx_clip(&out, a, NULL, NULL, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "a_min") != NULL);
    float w[2] = {0, 1};
    mx_array *b = f32s(w, 2);
    CHECK_ERR(mx_clip(&out, a, b, NULL, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "(3,)") != NULL && strstr(mx_last_error(), "(2,)") != NULL);
    CHECK_ERR(mx_clip(&out, a, NULL, b, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_clip(NULL, a, b, b, NULL), MX_ERR_VALUE);
    mx_array *t = NULL, *c = NULL;
    CHECK_OK(mx_array_from_bool(&t, true));
    CHECK_ERR(mx_negative(&out, t, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "logical_not") != NULL);
    CHECK_OK(mx_array_from_complex(&c, 1, 2));
    CHECK_ERR(mx_floor(&out, c, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "[floor] Not supported for complex64") != NULL);
    CHECK_ERR(mx_ceil(&out, c, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_trunc(&out, c, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_expm1(&out, c, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_erf(&out, c, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_erfinv(&out, c, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_sigmoid(&out, c, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_bitwise_invert(&out, c, NULL), MX_ERR_VALUE);
    CHECK(out == NULL);
    /* still works */
    CHECK_OK(mx_exp(&out, a, NULL));
    float r[3];
    readback(out, r);
    CHECK_NEAR(r[1], exp(2.0), 1e-5);
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(t);
    mx_array_free(c);
    mx_array_free(out);
}

/* ---- float values against libm in double ---- */

static double r_sign(double x) {
    return x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x;
}
static double r_neg(double x) {
    return -x;
}
static double r_square(double x) {
    return x * x;
}
static double r_rsqrt(double x) {
    return 1 / sqrt(x);
}
static double r_sigmoid(double x) {
    return 1 / (1 + exp(-x));
}
static double r_recip(double x) {
    return 1 / x;
}
static double r_deg(double x) {
    return x * (180 / M_PI);
}
static double r_rad(double x) {
    return x * (M_PI / 180);
}
/* erfinv to double precision: Newton on erf in long double. */
static double r_erfinv(double y) {
    if (y <= -1 || y >= 1) return y == 1 ? INFINITY : y == -1 ? -INFINITY : NAN;
    if (y == 0) return y;
    long double x = 0;
    for (int i = 0; i < 200; i++) {
        long double d = 1.12837916709551257389615890312154517L * expl(-x * x);
        long double nx = x - (erfl(x) - y) / d;
        if (nx == x) break;
        x = nx;
    }
    return (double)x;
}

typedef struct fop {
    const char *name;
    op1_fn fn;
    double (*ref)(double);
    double lo, hi; /* random inputs in [lo, hi] */
    double tol;    /* float32 ulps */
} fop;

static const fop fops[] = {
    {"abs", mx_abs, fabs, -100, 100, 0},
    {"sign", mx_sign, r_sign, -3, 3, 0},
    {"negative", mx_negative, r_neg, -100, 100, 0},
    {"square", mx_square, r_square, -1e3, 1e3, 0.5},
    {"sqrt", mx_sqrt, sqrt, 0, 1e6, 0.5},
    {"rsqrt", mx_rsqrt, r_rsqrt, 1e-6, 1e6, 1.5},
    {"reciprocal", mx_reciprocal, r_recip, -10, 10, 0.5},
    {"exp", mx_exp, exp, -110, 90, 1},
    {"expm1", mx_expm1, expm1, -20, 89, 1.5},
    {"erf", mx_erf, erf, -5, 5, 1.5},
    {"erfinv", mx_erfinv, r_erfinv, -1, 1, 4},
    {"sin", mx_sin, sin, -10, 10, 1.6},
    {"cos", mx_cos, cos, -10, 10, 1.6},
    {"tan", mx_tan, tan, -1.5, 1.5, 2},
    {"arcsin", mx_arcsin, asin, -1, 1, 1},
    {"arccos", mx_arccos, acos, -1, 1, 1},
    {"arctan", mx_arctan, atan, -20, 20, 1},
    {"sinh", mx_sinh, sinh, -20, 20, 2},
    {"cosh", mx_cosh, cosh, -20, 20, 2},
    {"tanh", mx_tanh, tanh, -12, 12, 1.5},
    {"arcsinh", mx_arcsinh, asinh, -100, 100, 2},
    {"arccosh", mx_arccosh, acosh, 1, 100, 2},
    {"arctanh", mx_arctanh, atanh, -1, 1, 2},
    {"degrees", mx_degrees, r_deg, -7, 7, 1},
    {"radians", mx_radians, r_rad, -400, 400, 1},
    {"log", mx_log, log, 0, 1e4, 1},
    {"log2", mx_log2, log2, 0, 1e4, 1},
    {"log10", mx_log10, log10, 0, 1e4, 1},
    {"log1p", mx_log1p, log1p, -1, 10, 1},
    {"sigmoid", mx_sigmoid, r_sigmoid, -100, 40, 2.5},
    {"floor", mx_floor, floor, -1e3, 1e3, 0},
    {"ceil", mx_ceil, ceil, -1e3, 1e3, 0},
    {"trunc", mx_trunc, trunc, -1e3, 1e3, 0},
};

/* Special inputs every float op sees besides random ones. */
static const float SPECIALS[] = {
    0.0f,       -0.0f,       1.0f,    -1.0f,    0.5f,     -0.5f,      1.5f,        2.5f,
    -2.5f,      1e-30f,      -1e-30f, 1e-40f,   -1e-40f,  88.7f,      -87.0f,      -104.0f,
    89.0f,      1e30f,       -1e30f,  3.9f,     4.1f,     0.9999999f, -0.9999999f, 16777216.0f,
    8388609.0f, -8388609.5f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY,  NAN};

#define NSPEC ((int)(sizeof SPECIALS / sizeof SPECIALS[0]))

TEST(test_float32_values) {
    enum { N = 3000 };
    static float x[N + NSPEC], y[N + NSPEC];
    for (size_t k = 0; k < sizeof fops / sizeof fops[0]; k++) {
        const fop *o = &fops[k];
        for (int i = 0; i < N; i++) x[i] = (float)unif(o->lo, o->hi);
        memcpy(x + N, SPECIALS, sizeof SPECIALS);
        mx_array *a = f32s(x, N + NSPEC), *r = NULL;
        CHECK_OK(o->fn(&r, a, NULL));
        if (!r) continue;
        readback(r, y);
        double worst = 0;
        int wi = 0;
        for (int i = 0; i < N + NSPEC; i++) {
            double want = o->ref((double)x[i]);
            double e = ulps(y[i], want);
            if (o->tol == 0 && !same_f(y[i], (float)want)) e = 1e9; /* exact, sign of 0 too */
            if (e > worst) worst = e, wi = i;
        }
        if (worst > o->tol)
            fprintf(stderr, "  %s(%.9g) = %.9g, want %.9g (%.2f ulp)\n", o->name, x[wi], y[wi],
                    o->ref(x[wi]), worst);
        CHECK(worst <= o->tol);
        mx_array_free(a);
        mx_array_free(r);
    }
}

/* float64 against libm (the kernels call it) and erfinv to 1e-15. */
TEST(test_float64_values) {
    enum { N = 500 };
    static double x[N], y[N];
    for (size_t k = 0; k < sizeof fops / sizeof fops[0]; k++) {
        const fop *o = &fops[k];
        for (int i = 0; i < N; i++) x[i] = unif(o->lo, o->hi);
        x[0] = 0.0, x[1] = -0.0, x[2] = INFINITY, x[3] = NAN;
        mx_array *a = arr1(x, N, MX_FLOAT64), *r = NULL;
        CHECK_OK(o->fn(&r, a, NULL));
        if (!r) continue;
        CHECK(mx_array_dtype(r) == MX_FLOAT64);
        readback(r, y);
        for (int i = 0; i < N; i++) {
            double want = o->ref(x[i]);
            bool ok = (want != want && y[i] != y[i]) || y[i] == want ||
                      fabs(y[i] - want) <= 2e-15 * fabs(want) + 1e-300;
            if (!ok)
                fprintf(stderr, "  %s f64(%.17g) = %.17g, want %.17g\n", o->name, x[i], y[i], want);
            CHECK(ok);
            if (!ok) break;
        }
        mx_array_free(a);
        mx_array_free(r);
    }
}

/* float16 and bfloat16: computed in float32, rounded once, so within one
 * 16-bit ulp of the exact value rounded (half an ulp for exact ops). */
TEST(test_half_values) {
    enum { N = 2000 };
    static uint16_t h[N], y[N];
    for (int t = 0; t < 2; t++) {
        mx_dtype dt = t ? MX_BFLOAT16 : MX_FLOAT16;
        for (size_t k = 0; k < sizeof fops / sizeof fops[0]; k++) {
            const fop *o = &fops[k];
            double hi = o->hi, lo = o->lo;
            if (!t) hi = hi > 60000 ? 60000 : hi, lo = lo < -60000 ? -60000 : lo;
            for (int i = 0; i < N; i++) {
                float f = (float)unif(lo, hi);
                h[i] = t ? mxi_f32_to_bf16(f) : mxi_f32_to_f16(f);
            }
            h[0] = t ? 0x7fc0 : 0x7e00; /* NaN */
            h[1] = t ? 0x7f80 : 0x7c00; /* inf */
            h[2] = 0x8000;              /* -0 */
            h[3] = 0x0001;              /* smallest subnormal */
            mx_array *a = arr1(h, N, dt), *r = NULL;
            CHECK_OK(o->fn(&r, a, NULL));
            if (!r) continue;
            CHECK(mx_array_dtype(r) == dt);
            readback(r, y);
            int bad = 0;
            for (int i = 0; i < N && bad < 3; i++) {
                float xf = t ? mxi_bf16_to_f32(h[i]) : mxi_f16_to_f32(h[i]);
                double want = o->ref((double)xf);
                float wf = (float)want;
                uint16_t wh = t ? mxi_f32_to_bf16(wf) : mxi_f32_to_f16(wf);
                float gotf = t ? mxi_bf16_to_f32(y[i]) : mxi_f16_to_f32(y[i]);
                float wantf = t ? mxi_bf16_to_f32(wh) : mxi_f16_to_f32(wh);
                bool ok = same_f(gotf, wantf) || (gotf != gotf && wantf != wantf);
                if (!ok) { /* neighbours of the rounded value are fine */
                    int d = abs((int)(int16_t)y[i] - (int)(int16_t)wh);
                    ok = d <= 1 && o->tol > 0;
                }
                if (!ok) {
                    fprintf(stderr, "  %s %s(%.9g) = %.9g, want %.9g\n", o->name, mx_dtype_name(dt),
                            xf, gotf, wantf);
                    bad++;
                }
                CHECK(ok);
            }
            mx_array_free(a);
            mx_array_free(r);
        }
    }
    /* sigmoid of float16 is computed in float32: tiny results survive
     * (MLX 0.32 computes in float16 and gives 0 at -12: 1 + e^12 overflows). */
    uint16_t m12 = mxi_f32_to_f16(-12.0f), out;
    mx_array *a = arr1(&m12, 1, MX_FLOAT16), *r = NULL;
    CHECK_OK(mx_sigmoid(&r, a, NULL));
    readback(r, &out);
    CHECK(out == mxi_f32_to_f16((float)r_sigmoid(-12.0)));
    CHECK(mxi_f16_to_f32(out) > 6e-6f);
    mx_array_free(a);
    mx_array_free(r);
}

/* ---- complex64 ---- */

typedef float _Complex c64;

static c64 rc_sign(c64 z) {
    float a = cabsf(z);
    return a == 0 ? z : CMPLXF(crealf(z) / a, cimagf(z) / a);
}
static c64 rc_neg(c64 z) {
    return -z;
}
static c64 rc_square(c64 z) {
    return z * z;
}
static c64 rc_rsqrt(c64 z) {
    return 1.0f / csqrtf(z);
}
static c64 rc_log2(c64 z) {
    c64 l = clogf(z);
    return CMPLXF(crealf(l) / (float)M_LN2, cimagf(l) / (float)M_LN2);
}
static c64 rc_log10(c64 z) {
    c64 l = clogf(z);
    return CMPLXF(crealf(l) / (float)M_LN10, cimagf(l) / (float)M_LN10);
}
static c64 rc_log1p(c64 z) {
    return clogf(1.0f + z);
}
static c64 rc_round(c64 z) {
    return CMPLXF(rintf(crealf(z)), rintf(cimagf(z)));
}

typedef struct cop {
    const char *name;
    op1_fn fn;
    c64 (*ref)(c64);
} cop;

static const cop cops[] = {
    {"sign", mx_sign, rc_sign},       {"negative", mx_negative, rc_neg},
    {"square", mx_square, rc_square}, {"sqrt", mx_sqrt, csqrtf},
    {"rsqrt", mx_rsqrt, rc_rsqrt},    {"exp", mx_exp, cexpf},
    {"sin", mx_sin, csinf},           {"cos", mx_cos, ccosf},
    {"tan", mx_tan, ctanf},           {"arcsin", mx_arcsin, casinf},
    {"arccos", mx_arccos, cacosf},    {"arctan", mx_arctan, catanf},
    {"sinh", mx_sinh, csinhf},        {"cosh", mx_cosh, ccoshf},
    {"tanh", mx_tanh, ctanhf},        {"arcsinh", mx_arcsinh, casinhf},
    {"arccosh", mx_arccosh, cacoshf}, {"arctanh", mx_arctanh, catanhf},
    {"log", mx_log, clogf},           {"log2", mx_log2, rc_log2},
    {"log10", mx_log10, rc_log10},    {"log1p", mx_log1p, rc_log1p},
    {"conj", mx_conj, conjf},         {"round", NULL, rc_round},
};

static bool same_c(c64 a, c64 b) {
    return same_f(crealf(a), crealf(b)) && same_f(cimagf(a), cimagf(b));
}

TEST(test_complex_values) {
    enum { N = 64 };
    c64 z[N], y[N];
    for (int i = 0; i < N; i++) z[i] = CMPLXF((float)unif(-3, 3), (float)unif(-3, 3));
    z[0] = CMPLXF(0, 0), z[1] = CMPLXF(INFINITY, 0), z[2] = CMPLXF(NAN, 1);
    z[3] = CMPLXF(-1, -1), z[4] = CMPLXF(3, 4), z[5] = CMPLXF(2.5f, -0.5f);
    mx_array *a = arr1(z, N, MX_COMPLEX64);
    for (size_t k = 0; k < sizeof cops / sizeof cops[0]; k++) {
        mx_array *r = NULL;
        if (cops[k].fn)
            CHECK_OK(cops[k].fn(&r, a, NULL));
        else
            CHECK_OK(mx_round(&r, a, 0, NULL));
        if (!r) continue;
        CHECK(mx_array_dtype(r) == MX_COMPLEX64);
        readback(r, y);
        for (int i = 0; i < N; i++) {
            bool ok = same_c(y[i], cops[k].ref(z[i]));
            if (!ok)
                fprintf(stderr, "  %s(%g%+gj) = %g%+gj\n", cops[k].name, crealf(z[i]), cimagf(z[i]),
                        crealf(y[i]), cimagf(y[i]));
            CHECK(ok);
            if (!ok) break;
        }
        mx_array_free(r);
    }
    /* abs, real, imag -> float32 */
    float f[N];
    mx_array *r = NULL;
    CHECK_OK(mx_abs(&r, a, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT32);
    readback(r, f);
    for (int i = 0; i < N; i++) CHECK(same_f(f[i], cabsf(z[i])));
    CHECK_OK(mx_real(&r, a, NULL));
    readback(r, f);
    for (int i = 0; i < N; i++) CHECK(same_f(f[i], crealf(z[i])));
    CHECK_OK(mx_imag(&r, a, NULL));
    readback(r, f);
    for (int i = 0; i < N; i++) CHECK(same_f(f[i], cimagf(z[i])));
    /* MLX: sqrt(3+4j) = 2+1j, exp(0) = 1, log(3+4j) = 1.60944+0.927295j,
     * sign(3+4j) = 0.6+0.8j, square(-1-1j) = 0+2j */
    CHECK_OK(mx_sqrt(&r, a, NULL));
    readback(r, y);
    CHECK_NEAR(crealf(y[4]), 2, 1e-6);
    CHECK_NEAR(cimagf(y[4]), 1, 1e-6);
    CHECK_OK(mx_log(&r, a, NULL));
    readback(r, y);
    CHECK_NEAR(crealf(y[4]), 1.60944, 1e-5);
    CHECK_NEAR(cimagf(y[4]), 0.927295, 1e-6);
    CHECK_OK(mx_sign(&r, a, NULL));
    readback(r, y);
    CHECK_NEAR(crealf(y[4]), 0.6, 1e-7);
    CHECK_NEAR(cimagf(y[4]), 0.8, 1e-7);
    CHECK(crealf(y[0]) == 0 && cimagf(y[0]) == 0);
    CHECK_OK(mx_square(&r, a, NULL));
    readback(r, y);
    CHECK(crealf(y[3]) == 0 && cimagf(y[3]) == 2);
    /* degrees of complex multiplies by a complex scalar (MLX: inf+0j gives
     * inf+nanj) */
    CHECK_OK(mx_degrees(&r, a, NULL));
    readback(r, y);
    CHECK(crealf(y[1]) == INFINITY && isnan(cimagf(y[1])));
    CHECK_NEAR(crealf(y[4]), 171.887, 1e-3);
    CHECK_NEAR(cimagf(y[4]), 229.183, 1e-3);
    /* round(1.234+5.678j, 1) = 1.2+5.7j (MLX) */
    c64 w = CMPLXF(1.234f, 5.678f);
    mx_array *b = arr1(&w, 1, MX_COMPLEX64);
    CHECK_OK(mx_round(&r, b, 1, NULL));
    readback(r, y);
    CHECK_NEAR(crealf(y[0]), 1.2, 1e-6);
    CHECK_NEAR(cimagf(y[0]), 5.7, 1e-6);
    mx_array_free(b);
    mx_array_free(r);
    mx_array_free(a);
}

/* ---- integers and bool ---- */

TEST(test_integer_values) {
    int8_t i8[5] = {-128, -1, 0, 5, 127}, o8[5];
    mx_array *a = arr1(i8, 5, MX_INT8), *r = NULL;
    /* MLX */
    const int8_t abs8[5] = {-128, 1, 0, 5, 127}, sign8[5] = {-1, -1, 0, 1, 1},
                 neg8[5] = {-128, 1, 0, -5, -127}, sq8[5] = {0, 1, 0, 25, 1},
                 inv8[5] = {127, 0, -1, -6, -128};
    CHECK_OK(mx_abs(&r, a, NULL));
    readback(r, o8);
    CHECK(memcmp(o8, abs8, 5) == 0);
    CHECK_OK(mx_sign(&r, a, NULL));
    readback(r, o8);
    CHECK(memcmp(o8, sign8, 5) == 0);
    CHECK_OK(mx_negative(&r, a, NULL));
    readback(r, o8);
    CHECK(memcmp(o8, neg8, 5) == 0);
    CHECK_OK(mx_square(&r, a, NULL));
    readback(r, o8);
    CHECK(memcmp(o8, sq8, 5) == 0);
    CHECK_OK(mx_bitwise_invert(&r, a, NULL));
    readback(r, o8);
    CHECK(memcmp(o8, inv8, 5) == 0);
    op1_fn rounding[3] = {mx_floor, mx_ceil, mx_trunc};
    for (int k = 0; k < 3; k++) {
        CHECK_OK(rounding[k](&r, a, NULL));
        readback(r, o8);
        CHECK(memcmp(o8, i8, 5) == 0);
    }
    mx_array_free(a);

    uint8_t u8[4] = {0, 1, 200, 255}, ou[4];
    a = arr1(u8, 4, MX_UINT8);
    /* MLX */
    const uint8_t absu[4] = {0, 1, 200, 255}, signu[4] = {0, 1, 1, 1}, negu[4] = {0, 255, 56, 1},
                  squ[4] = {0, 1, 64, 1}, invu[4] = {255, 254, 55, 0};
    CHECK_OK(mx_abs(&r, a, NULL));
    readback(r, ou);
    CHECK(memcmp(ou, absu, 4) == 0);
    CHECK_OK(mx_sign(&r, a, NULL));
    readback(r, ou);
    CHECK(memcmp(ou, signu, 4) == 0);
    CHECK_OK(mx_negative(&r, a, NULL));
    readback(r, ou);
    CHECK(memcmp(ou, negu, 4) == 0);
    CHECK_OK(mx_square(&r, a, NULL));
    readback(r, ou);
    CHECK(memcmp(ou, squ, 4) == 0);
    CHECK_OK(mx_bitwise_invert(&r, a, NULL));
    readback(r, ou);
    CHECK(memcmp(ou, invu, 4) == 0);
    mx_array_free(a);

    /* wide types at their extremes */
    int64_t i64[4] = {INT64_MIN, -3, 3, INT64_MAX}, o64[4];
    a = arr1(i64, 4, MX_INT64);
    CHECK_OK(mx_abs(&r, a, NULL));
    readback(r, o64);
    CHECK(o64[0] == INT64_MIN && o64[1] == 3 && o64[3] == INT64_MAX);
    CHECK_OK(mx_negative(&r, a, NULL));
    readback(r, o64);
    CHECK(o64[0] == INT64_MIN && o64[1] == 3 && o64[3] == -INT64_MAX);
    CHECK_OK(mx_square(&r, a, NULL));
    readback(r, o64);
    CHECK(o64[1] == 9 && o64[3] == 1);
    mx_array_free(a);
    uint16_t u16[2] = {65535, 300}, o16[2];
    a = arr1(u16, 2, MX_UINT16);
    CHECK_OK(mx_square(&r, a, NULL));
    readback(r, o16);
    CHECK(o16[0] == 1 && o16[1] == (uint16_t)(300 * 300));
    mx_array_free(a);

    /* bool: abs, sign, square, rounding are the identity; invert is not */
    uint8_t bv[2] = {1, 0}, ob[2];
    a = arr1(bv, 2, MX_BOOL);
    op1_fn same[6] = {mx_abs, mx_sign, mx_square, mx_floor, mx_ceil, mx_conj};
    for (int k = 0; k < 6; k++) {
        CHECK_OK(same[k](&r, a, NULL));
        CHECK(mx_array_dtype(r) == MX_BOOL);
        readback(r, ob);
        CHECK(ob[0] == 1 && ob[1] == 0);
    }
    CHECK_OK(mx_bitwise_invert(&r, a, NULL));
    readback(r, ob);
    CHECK(mx_array_dtype(r) == MX_BOOL && ob[0] == 0 && ob[1] == 1);
    CHECK_OK(mx_imag(&r, a, NULL));
    readback(r, ob);
    CHECK(ob[0] == 0 && ob[1] == 0);
    mx_array_free(a);

    /* logical_not of every dtype: true where the value is zero */
    double vals[3] = {0.0, 2.0, -0.0};
    for (int d = 0; d < MX_NUM_DTYPES; d++) {
        mx_array *src = arr1(vals, 3, MX_FLOAT64), *c = NULL;
        CHECK_OK(mx_astype(&c, src, ALL[d], NULL));
        CHECK_OK(mx_logical_not(&r, c, NULL));
        uint8_t o3[3];
        readback(r, o3);
        CHECK(o3[0] == 1 && o3[1] == 0 && o3[2] == 1);
        mx_array_free(src);
        mx_array_free(c);
    }
    mx_array_free(r);
}

/* ---- rounding ---- */

TEST(test_rounding) {
    /* MLX: trunc, round (half to even), floor, ceil */
    const float x[11] = {-2.5f,    -0.5f,     -0.0f, 0.5f,  1.5f, 2.5f,
                         INFINITY, -INFINITY, NAN,   1e10f, -3.7f};
    const float tr[11] = {-2, -0.0f, -0.0f, 0, 1, 2, INFINITY, -INFINITY, NAN, 1e10f, -3};
    const float rd[11] = {-2, -0.0f, -0.0f, 0, 2, 2, INFINITY, -INFINITY, NAN, 1e10f, -4};
    const float fl[11] = {-3, -1, -0.0f, 0, 1, 2, INFINITY, -INFINITY, NAN, 1e10f, -4};
    const float ce[11] = {-2, -0.0f, -0.0f, 1, 2, 3, INFINITY, -INFINITY, NAN, 1e10f, -3};
    float y[11];
    mx_array *a = f32s(x, 11), *r = NULL;
    CHECK_OK(mx_trunc(&r, a, NULL));
    readback(r, y);
    for (int i = 0; i < 11; i++) CHECK(same_f(y[i], tr[i]));
    CHECK_OK(mx_round(&r, a, 0, NULL));
    readback(r, y);
    for (int i = 0; i < 11; i++) CHECK(same_f(y[i], rd[i]));
    CHECK_OK(mx_floor(&r, a, NULL));
    readback(r, y);
    for (int i = 0; i < 11; i++) CHECK(same_f(y[i], fl[i]));
    CHECK_OK(mx_ceil(&r, a, NULL));
    readback(r, y);
    for (int i = 0; i < 11; i++) CHECK(same_f(y[i], ce[i]));
    mx_array_free(a);

    /* decimals (MLX): round([1.25, 1.35, 2.5, 0.125], 1) in float32 */
    const float d1[4] = {1.25f, 1.35f, 2.5f, 0.125f};
    const double w1[4] = {1.2000000476837158, 1.399999976158142, 2.5, 0.10000000149011612};
    a = f32s(d1, 4);
    CHECK_OK(mx_round(&r, a, 1, NULL));
    readback(r, y);
    for (int i = 0; i < 4; i++) CHECK(y[i] == (float)w1[i]);
    mx_array_free(a);
    /* round([1.25, 1.35, 2.675], 2) = [1.25, 1.35, 2.6799998] (MLX multiplies
     * by the reciprocal of the scale, NumPy divides: 2.68) */
    const float d2[3] = {1.25f, 1.35f, 2.675f};
    a = f32s(d2, 3);
    CHECK_OK(mx_round(&r, a, 2, NULL));
    readback(r, y);
    CHECK(y[0] == 1.25f && y[1] == 1.35f && y[2] == (float)2.679999828338623);
    mx_array_free(a);
    /* round([125, 135, 150], -1) = [120, 140, 150] */
    const float d3[3] = {125, 135, 150};
    a = f32s(d3, 3);
    CHECK_OK(mx_round(&r, a, -1, NULL));
    readback(r, y);
    CHECK(y[0] == 120 && y[1] == 140 && y[2] == 150);
    mx_array_free(a);
    /* integers with decimals (MLX): round([15, 25, -15, 14], -1) = [20, 20,
     * -20, 10]; with decimals > 0 unchanged */
    const int32_t i4[4] = {15, 25, -15, 14};
    int32_t o4[4];
    a = arr1(i4, 4, MX_INT32);
    CHECK_OK(mx_round(&r, a, -1, NULL));
    CHECK(mx_array_dtype(r) == MX_INT32);
    readback(r, o4);
    CHECK(o4[0] == 20 && o4[1] == 20 && o4[2] == -20 && o4[3] == 10);
    CHECK_OK(mx_round(&r, a, 1, NULL));
    readback(r, o4);
    CHECK(memcmp(o4, i4, sizeof o4) == 0);
    mx_array_free(a);
    /* float16 (MLX): round([0.5, 1.5, 2.5, -0.5, -1.5]) = [0, 2, 2, -0, -2];
     * round([1.25, 1.35], 1) = [1.19922, 1.39941] */
    const float h5[5] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f};
    uint16_t hv[5], ho[5];
    for (int i = 0; i < 5; i++) hv[i] = mxi_f32_to_f16(h5[i]);
    a = arr1(hv, 5, MX_FLOAT16);
    CHECK_OK(mx_round(&r, a, 0, NULL));
    readback(r, ho);
    CHECK(ho[0] == 0 && mxi_f16_to_f32(ho[1]) == 2 && mxi_f16_to_f32(ho[2]) == 2 &&
          ho[3] == 0x8000 && mxi_f16_to_f32(ho[4]) == -2);
    mx_array_free(a);
    hv[0] = mxi_f32_to_f16(1.25f), hv[1] = mxi_f32_to_f16(1.35f);
    a = arr1(hv, 2, MX_FLOAT16);
    CHECK_OK(mx_round(&r, a, 1, NULL));
    readback(r, ho);
    CHECK_NEAR(mxi_f16_to_f32(ho[0]), 1.19922, 1e-5);
    CHECK_NEAR(mxi_f16_to_f32(ho[1]), 1.39941, 1e-5);
    mx_array_free(a);
    mx_array_free(r);
}

/* ---- predicates ---- */

TEST(test_predicates) {
    const float x[6] = {NAN, -0.0f, 1.0f, INFINITY, -INFINITY, -FLT_MAX};
    const uint8_t w_nan[6] = {1, 0, 0, 0, 0, 0}, w_inf[6] = {0, 0, 0, 1, 1, 0},
                  w_fin[6] = {0, 1, 1, 0, 0, 1}, w_pos[6] = {0, 0, 0, 1, 0, 0},
                  w_neg[6] = {0, 0, 0, 0, 1, 0};
    op1_fn fns[5] = {mx_isnan, mx_isinf, mx_isfinite, mx_isposinf, mx_isneginf};
    const uint8_t *want[5] = {w_nan, w_inf, w_fin, w_pos, w_neg};
    mx_dtype fl[4] = {MX_FLOAT16, MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16};
    uint8_t y[6];
    for (int d = 0; d < 4; d++) {
        mx_array *s = f32s(x, 6), *a = NULL, *r = NULL;
        CHECK_OK(mx_astype(&a, s, fl[d], NULL));
        for (int k = 0; k < 5; k++) {
            CHECK_OK(fns[k](&r, a, NULL));
            readback(r, y);
            if (d == 0 || d == 3) /* -FLT_MAX rounds to -inf in 16 bits */
                CHECK(memcmp(y, want[k], 5) == 0);
            else
                CHECK(memcmp(y, want[k], 6) == 0);
        }
        mx_array_free(s);
        mx_array_free(a);
        mx_array_free(r);
    }
    /* integers: constant results */
    int32_t iv[3] = {INT32_MIN, 0, INT32_MAX};
    mx_array *a = arr1(iv, 3, MX_INT32), *r = NULL;
    for (int k = 0; k < 5; k++) {
        CHECK_OK(fns[k](&r, a, NULL));
        CHECK(mx_array_dtype(r) == MX_BOOL);
        readback(r, y);
        for (int i = 0; i < 3; i++) CHECK(y[i] == (k == 2));
    }
    mx_array_free(a);
    /* complex (MLX): inf+1j, 1+infj, -inf+0j, inf+0j, nan+infj */
    c64 z[5] = {CMPLXF(INFINITY, 1), CMPLXF(1, INFINITY), CMPLXF(-INFINITY, 0), CMPLXF(INFINITY, 0),
                CMPLXF(NAN, INFINITY)};
    const uint8_t c_inf[5] = {1, 1, 1, 1, 1}, c_pos[5] = {0, 0, 0, 1, 0},
                  c_neg[5] = {0, 0, 1, 0, 0}, c_fin[5] = {0, 0, 0, 0, 0},
                  c_nan[5] = {0, 0, 0, 0, 1};
    const uint8_t *cw[5] = {c_nan, c_inf, c_fin, c_pos, c_neg};
    a = arr1(z, 5, MX_COMPLEX64);
    for (int k = 0; k < 5; k++) {
        CHECK_OK(fns[k](&r, a, NULL));
        readback(r, y);
        CHECK(memcmp(y, cw[k], 5) == 0);
    }
    mx_array_free(a);
    mx_array_free(r);
}

/* ---- nan_to_num ---- */

TEST(test_nan_to_num) {
    const float x[4] = {NAN, INFINITY, -INFINITY, 1.0f};
    float y[4];
    mx_array *a = f32s(x, 4), *r = NULL;
    CHECK_OK(mx_nan_to_num(&r, a, 0.0, NULL, NULL, NULL));
    readback(r, y);
    CHECK(y[0] == 0 && y[1] == FLT_MAX && y[2] == -FLT_MAX && y[3] == 1);
    double p = 1e6, n = -2;
    CHECK_OK(mx_nan_to_num(&r, a, 5.0, &p, &n, NULL));
    readback(r, y);
    CHECK(y[0] == 5 && y[1] == 1e6f && y[2] == -2 && y[3] == 1);
    /* float16 (MLX): defaults 65504; posinf 1e6 becomes inf in float16 */
    mx_array *h = NULL;
    uint16_t hy[4];
    CHECK_OK(mx_astype(&h, a, MX_FLOAT16, NULL));
    CHECK_OK(mx_nan_to_num(&r, h, 0.0, NULL, NULL, NULL));
    readback(r, hy);
    CHECK(hy[0] == 0 && mxi_f16_to_f32(hy[1]) == 65504 && mxi_f16_to_f32(hy[2]) == -65504);
    CHECK_OK(mx_nan_to_num(&r, h, 5.0, &p, &n, NULL));
    readback(r, hy);
    CHECK(mxi_f16_to_f32(hy[0]) == 5 && hy[1] == 0x7c00 && mxi_f16_to_f32(hy[2]) == -2);
    /* bfloat16 (MLX): 3.38953e+38 */
    CHECK_OK(mx_astype(&h, a, MX_BFLOAT16, NULL));
    CHECK_OK(mx_nan_to_num(&r, h, 0.0, NULL, NULL, NULL));
    readback(r, hy);
    CHECK(hy[1] == 0x7f7f && hy[2] == 0xff7f);
    /* float64 and complex64: accepted here (MLX 0.32 refuses them) */
    double dy[4];
    CHECK_OK(mx_astype(&h, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_nan_to_num(&r, h, -1.0, NULL, NULL, NULL));
    readback(r, dy);
    CHECK(dy[0] == -1 && dy[1] == DBL_MAX && dy[2] == -DBL_MAX && dy[3] == 1);
    c64 z[2] = {CMPLXF(NAN, INFINITY), CMPLXF(-INFINITY, 2)}, zy[2];
    mx_array *c = arr1(z, 2, MX_COMPLEX64);
    CHECK_OK(mx_nan_to_num(&r, c, 0.0, NULL, NULL, NULL));
    readback(r, zy);
    CHECK(crealf(zy[0]) == 0 && cimagf(zy[0]) == FLT_MAX);
    CHECK(crealf(zy[1]) == -FLT_MAX && cimagf(zy[1]) == 2);
    /* integers come back as they are (the same array) */
    int32_t iv[2] = {1, 2};
    mx_array *i = arr1(iv, 2, MX_INT32);
    CHECK_OK(mx_nan_to_num(&r, i, 0.0, NULL, NULL, NULL));
    CHECK(r == i && mx_array_dtype(r) == MX_INT32);
    mx_array_free(i);
    mx_array_free(c);
    mx_array_free(h);
    mx_array_free(a);
    mx_array_free(r);
}

/* ---- clip ---- */

TEST(test_clip) {
    /* MLX: clip(int8 [1, 5, 9], 2.5, int32 7) = float32 [2.5, 5, 7] */
    int8_t i8[3] = {1, 5, 9};
    float lo = 2.5f, y[6];
    int32_t hi = 7;
    mx_array *a = arr1(i8, 3, MX_INT8), *l = arr(&lo, NULL, 0, MX_FLOAT32),
             *h = arr(&hi, NULL, 0, MX_INT32), *r = NULL;
    CHECK_OK(mx_clip(&r, a, l, h, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT32);
    readback(r, y);
    CHECK(y[0] == 2.5f && y[1] == 5 && y[2] == 7);
    /* one bound only */
    int8_t o8[3];
    mx_array *h8 = NULL;
    CHECK_OK(mx_astype(&h8, h, MX_INT8, NULL));
    CHECK_OK(mx_clip(&r, a, NULL, h8, NULL));
    CHECK(mx_array_dtype(r) == MX_INT8);
    readback(r, o8);
    CHECK(o8[0] == 1 && o8[1] == 5 && o8[2] == 7);
    CHECK_OK(mx_clip(&r, a, h8, NULL, NULL));
    readback(r, o8);
    CHECK(o8[0] == 7 && o8[1] == 7 && o8[2] == 9);
    /* MLX: lo > hi gives hi; NaN anywhere gives NaN:
     * clip([nan, 1, 5], [0, nan, 0], 3) = [nan, nan, 3] */
    const float xa[3] = {NAN, 1, 5}, xl[3] = {0, NAN, 0};
    float three = 3;
    mx_array *fa = f32s(xa, 3), *fl = f32s(xl, 3), *f3 = arr(&three, NULL, 0, MX_FLOAT32);
    CHECK_OK(mx_clip(&r, fa, fl, f3, NULL));
    readback(r, y);
    CHECK(isnan(y[0]) && isnan(y[1]) && y[2] == 3);
    CHECK_OK(mx_clip(&r, fa, h, l, NULL)); /* lo 7 > hi 2.5 */
    readback(r, y);
    CHECK(isnan(y[0]) && y[1] == 2.5f && y[2] == 2.5f);
    /* broadcasting: (2, 1) a, (3,) lo, () hi -> (2, 3) */
    const float col[2] = {-10, 10}, row[3] = {-1, 0, 1};
    int32_t cs[2] = {2, 1};
    mx_array *ca = arr(col, cs, 2, MX_FLOAT32), *rl = f32s(row, 3);
    float four = 4;
    mx_array *h4 = arr(&four, NULL, 0, MX_FLOAT32);
    CHECK_OK(mx_clip(&r, ca, rl, h4, NULL));
    CHECK(mx_array_ndim(r) == 2 && mx_array_dim(r, 0) == 2 && mx_array_dim(r, 1) == 3);
    readback(r, y);
    const float wb[6] = {-1, 0, 1, 4, 4, 4};
    CHECK(memcmp(y, wb, sizeof wb) == 0);
    /* float16 and bool and complex */
    mx_array *ha = NULL, *hl = NULL;
    uint16_t hy[2];
    CHECK_OK(mx_astype(&ha, ca, MX_FLOAT16, NULL));
    CHECK_OK(mx_astype(&hl, f3, MX_FLOAT16, NULL));
    CHECK_OK(mx_clip(&r, ha, NULL, hl, NULL));
    readback(r, hy);
    CHECK(mxi_f16_to_f32(hy[0]) == -10 && mxi_f16_to_f32(hy[1]) == 3);
    uint8_t bv[2] = {0, 1}, bo[2], t = 1;
    mx_array *ba = arr1(bv, 2, MX_BOOL), *bt = arr(&t, NULL, 0, MX_BOOL);
    CHECK_OK(mx_clip(&r, ba, bt, NULL, NULL));
    readback(r, bo);
    CHECK(bo[0] == 1 && bo[1] == 1);
    c64 zv[2] = {CMPLXF(1, 2), CMPLXF(3, 0)}, zl = CMPLXF(2, 0), zo[2];
    mx_array *za = arr1(zv, 2, MX_COMPLEX64), *zb = arr(&zl, NULL, 0, MX_COMPLEX64);
    CHECK_OK(mx_clip(&r, za, zb, NULL, NULL)); /* MLX: [2+0j, 3+0j] */
    readback(r, zo);
    CHECK(crealf(zo[0]) == 2 && cimagf(zo[0]) == 0 && crealf(zo[1]) == 3);
    mx_array *all[] = {a, l, h, h8, fa, fl, f3, ca, rl, h4, ha, hl, ba, bt, za, zb, r};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

/* ---- layouts ---- */

/* The elements of an evaluated array as a fresh contiguous array. */
static mx_array *dense_copy(mx_array *v) {
    CHECK_OK(mx_eval(&v, 1));
    size_t nb = mx_array_nbytes(v);
    void *buf = malloc(nb ? nb : 1);
    CHECK_OK(mx_array_copy_to(v, buf, nb));
    mx_array *c = arr(buf, mx_array_shape(v), mx_array_ndim(v), mx_array_dtype(v));
    free(buf);
    return c;
}

/* op(view) must equal op(dense copy of view) element for element. */
static void check_view(op1_fn fn, mx_array *view, const char *what) {
    mx_array *d = dense_copy(view), *r1 = NULL, *r2 = NULL;
    CHECK_OK(fn(&r1, view, NULL));
    CHECK_OK(fn(&r2, d, NULL));
    if (r1 && r2) {
        CHECK(mx_array_ndim(r1) == mx_array_ndim(r2));
        size_t nb = mx_array_nbytes(r1);
        CHECK(nb == mx_array_nbytes(r2));
        unsigned char *b1 = malloc(nb + 1), *b2 = malloc(nb + 1);
        readback(r1, b1);
        readback(r2, b2);
        bool ok = memcmp(b1, b2, nb) == 0;
        if (!ok) fprintf(stderr, "  layout %s differs\n", what);
        CHECK(ok);
        free(b1);
        free(b2);
    }
    mx_array_free(d);
    mx_array_free(r1);
    mx_array_free(r2);
}

static int clip_half(mx_array **out, const mx_array *a, const mx_stream *s) {
    mx_array *lo = NULL, *hi = NULL;
    int rc = mx_array_from_float(&lo, -0.5, mx_array_dtype(a));
    if (!rc) rc = mx_array_from_float(&hi, 0.75, mx_array_dtype(a));
    if (!rc) rc = mx_clip(out, a, lo, hi, s);
    mx_array_free(lo);
    mx_array_free(hi);
    return rc;
}

static int ntn_default(mx_array **out, const mx_array *a, const mx_stream *s) {
    return mx_nan_to_num(out, a, 0.25, NULL, NULL, s);
}

TEST(test_layouts) {
    enum { N = 4 * 5 * 6 };
    double v[N];
    for (int i = 0; i < N; i++) v[i] = unif(-4, 4);
    v[3] = NAN, v[7] = INFINITY, v[11] = -0.0;
    int32_t shape[3] = {4, 5, 6};
    op1_fn fns[] = {mx_exp,    mx_abs,      mx_isnan,    mx_sigmoid, mx_floor, mx_sin,
                    clip_half, ntn_default, mx_negative, mx_sign,    mx_log};
    mx_dtype dts[] = {MX_FLOAT32, MX_FLOAT16, MX_INT32, MX_FLOAT64, MX_COMPLEX64};
    for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++) {
        mx_array *src = arr(v, shape, 3, MX_FLOAT64), *base = NULL;
        CHECK_OK(mx_astype(&base, src, dts[d], NULL));
        mx_array *t = NULL, *bsrc = NULL, *bc = NULL, *sl = NULL, *zero = NULL, *empty = NULL;
        int perm[3] = {2, 0, 1};
        CHECK_OK(mx_transpose(&t, base, perm, 3, NULL));
        int32_t bs_start[3] = {0, 0, 0}, bs_stop[3] = {1, 5, 1}, one[3] = {1, 1, 1};
        CHECK_OK(mx_slice(&bsrc, base, bs_start, bs_stop, one, 3, NULL));
        CHECK_OK(mx_broadcast_to(&bc, bsrc, shape, 3, NULL));
        int32_t st[3] = {3, 4, 5}, sp[3] = {-5, -6, -7}, neg[3] = {-1, -2, -2};
        CHECK_OK(mx_slice(&sl, base, st, sp, neg, 3, NULL));
        int32_t zs[3] = {2, 3, 4}, ze[3] = {3, 4, 5};
        mx_array *z3 = NULL;
        CHECK_OK(mx_slice(&z3, base, zs, ze, one, 3, NULL));
        CHECK_OK(mx_reshape(&zero, z3, NULL, 0, NULL));
        int32_t es[3] = {0, 0, 0}, ee[3] = {4, 0, 6};
        CHECK_OK(mx_slice(&empty, base, es, ee, one, 3, NULL));
        for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
            mx_array *probe = NULL;
            mx_clear_error();
            if (fns[k](&probe, base, NULL) != MX_OK) { /* op not defined for the dtype */
                mx_array_free(probe);
                continue;
            }
            mx_array_free(probe);
            check_view(fns[k], t, "transposed");
            check_view(fns[k], bc, "broadcast");
            check_view(fns[k], sl, "negative steps");
            check_view(fns[k], zero, "0-d");
            check_view(fns[k], empty, "empty");
        }
        mx_array *all[] = {src, base, t, bsrc, bc, sl, z3, zero, empty};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
    }
}

/* ---- vector levels against the scalar reference ---- */

static int top_level(void) {
    int l = (int)mxi_simd_detected();
    return l > MXI_SIMD_AVX512 ? MXI_SIMD_AVX512 : l;
}

static int round1(mx_array **out, const mx_array *a, const mx_stream *s) {
    return mx_round(out, a, 0, s);
}

TEST(test_simd_levels) {
    enum { N = 515 }; /* odd: vector bodies and scalar tails */
    static double v[N];
    for (int i = 0; i < N; i++) v[i] = unif(-6, 6) * (i % 7 == 0 ? 40 : 1);
    for (int i = 0; i < NSPEC && i < N; i++) v[i] = SPECIALS[i];
    v[NSPEC] = 0.999, v[NSPEC + 1] = -0.3;
    int nrows = (int)(sizeof dtype_rows / sizeof dtype_rows[0]);
    static unsigned char ref[MX_NUM_DTYPES][64][N * 8];
    int top = top_level();
    for (int level = MXI_SIMD_SCALAR; level <= top; level++) {
        if (mxi_simd_set_active((mxi_simd_level)level) != 0) continue;
        for (int d = 0; d < MX_NUM_DTYPES; d++) {
            mx_array *src = arr1(v, N, MX_FLOAT64), *a = NULL, *sl = NULL;
            CHECK_OK(mx_astype(&a, src, ALL[d], NULL));
            int32_t s0 = N - 1, s1 = -N - 1, step = -2; /* strided input */
            CHECK_OK(mx_slice(&sl, a, &s0, &s1, &step, 1, NULL));
            for (int r = 0; r <= nrows + 2 && r < 64; r++) {
                op1_fn fn = r < nrows        ? dtype_rows[r].fn
                            : r == nrows     ? round1
                            : r == nrows + 1 ? clip_half
                                             : ntn_default;
                for (int view = 0; view < 2; view++) {
                    mx_array *out = NULL;
                    mx_clear_error();
                    if (fn(&out, view ? sl : a, NULL) != MX_OK) continue;
                    size_t nb = mx_array_nbytes(out);
                    unsigned char *buf = malloc(nb + 1);
                    readback(out, buf);
                    unsigned char *want = ref[d][r] + (view ? (N * 8) / 2 : 0);
                    nb = nb < (N * 8) / 2 ? nb : (N * 8) / 2;
                    nb -= nb % 8; /* whole elements of any size */
                    if (level == MXI_SIMD_SCALAR) {
                        memcpy(want, buf, nb);
                    } else {
                        mx_dtype od = mx_array_dtype(out);
                        int isz = od == MX_COMPLEX64 ? 4 : mx_dtype_size(od);
                        if (od == MX_COMPLEX64) od = MX_FLOAT32;
                        bool ok = true;
                        for (size_t i = 0; i < nb && ok; i += (size_t)isz) {
                            if (!memcmp(buf + i, want + i, (size_t)isz)) continue;
                            /* NaNs may differ in sign or payload */
                            if (od == MX_FLOAT32) {
                                /* the vector variants fuse multiply-adds in
                                 * the vector math: an ulp or two apart */
                                float p, q;
                                memcpy(&p, buf + i, 4), memcpy(&q, want + i, 4);
                                ok = (p != p && q != q) || ulps(p, q) <= 3.0;
                            } else if (od == MX_FLOAT64) {
                                double p, q;
                                memcpy(&p, buf + i, 8), memcpy(&q, want + i, 8);
                                ok = p != p && q != q;
                            } else if (od == MX_FLOAT16 || od == MX_BFLOAT16) {
                                uint16_t p, q;
                                memcpy(&p, buf + i, 2), memcpy(&q, want + i, 2);
                                float fp =
                                    od == MX_FLOAT16 ? mxi_f16_to_f32(p) : mxi_bf16_to_f32(p);
                                float fq =
                                    od == MX_FLOAT16 ? mxi_f16_to_f32(q) : mxi_bf16_to_f32(q);
                                /* neighbours: the float32 values differ a little */
                                ok = (fp != fp && fq != fq) ||
                                     abs((int)(int16_t)p - (int)(int16_t)q) <= 1;
                            } else {
                                ok = false;
                            }
                        }
                        if (!ok)
                            fprintf(stderr, "  level %s: row %d (%s) on %s%s differs\n",
                                    mxi_simd_name((mxi_simd_level)level), r,
                                    r < nrows ? dtype_rows[r].name : "round/clip/ntn",
                                    mx_dtype_name(ALL[d]), view ? " (strided)" : "");
                        CHECK(ok);
                    }
                    free(buf);
                    mx_array_free(out);
                }
            }
            mx_array_free(src);
            mx_array_free(a);
            mx_array_free(sl);
        }
    }
    mxi_simd_set_active(mxi_simd_detected());
}

/* ---- the vector math against libm over the whole float32 range ---- */

static float vm_sin(float x) {
    return fabsf(x) <= MXI_VM_SINCOS_MAX ? mxi_vm_sincos_small(x, 0) : sinf(x);
}
static float vm_cos(float x) {
    return fabsf(x) <= MXI_VM_SINCOS_MAX ? mxi_vm_sincos_small(x, 1) : cosf(x);
}

typedef struct vmfn {
    const char *name;
    float (*f)(float);
    double (*ref)(double);
    double tol; /* max ulp allowed (measured over all floats: see vmath.h) */
} vmfn;

static const vmfn vmfns[] = {
    {"exp", mxi_vm_expf, exp, 1.0},
    {"expm1", mxi_vm_expm1f, expm1, 1.5},
    {"log", mxi_vm_logf, log, 1.0},
    {"log2", mxi_vm_log2f, log2, 1.0},
    {"log10", mxi_vm_log10f, log10, 1.0},
    {"log1p", mxi_vm_log1pf, log1p, 1.0},
    {"tanh", mxi_vm_tanhf, tanh, 1.5},
    {"sigmoid", mxi_vm_sigmoidf, r_sigmoid, 2.5},
    {"erf", mxi_vm_erff, erf, 1.5},
    {"erfinv", mxi_vm_erfinvf, r_erfinv, 4.0},
    {"sin", vm_sin, sin, 1.6},
    {"cos", vm_cos, cos, 1.6},
};

TEST(test_vmath_accuracy) {
    for (size_t k = 0; k < sizeof vmfns / sizeof vmfns[0]; k++) {
        const vmfn *m = &vmfns[k];
        bool inv = m->f == mxi_vm_erfinvf;
        /* every 40009th bit pattern (both signs, all exponents, NaNs and
         * infinities included); erfinv only needs [-1, 1] and costs more */
        uint32_t step = inv ? 400009u : 40009u;
        double worst = 0;
        float wx = 0;
        for (uint64_t u = 0; u <= 0xffffffffull; u += step) {
            float x = mxi_vm_float((uint32_t)u);
            if (inv && !(fabsf(x) <= 1.0f)) continue;
            double e = ulps(m->f(x), m->ref((double)x));
            if (e > worst) worst = e, wx = x;
        }
        /* and dense samples where the functions change regime */
        for (int i = 0; i < 20000; i++) {
            float x = (float)unif(-12, 12);
            if (inv) x = (float)unif(-1, 1);
            double e = ulps(m->f(x), m->ref((double)x));
            if (e > worst) worst = e, wx = x;
        }
        if (worst > m->tol)
            fprintf(stderr, "  vmath %s: %.3f ulp at %a\n", m->name, worst, (double)wx);
        CHECK(worst <= m->tol);
    }
    /* special values */
    CHECK(mxi_vm_expf(INFINITY) == INFINITY && mxi_vm_expf(-INFINITY) == 0);
    CHECK(isnan(mxi_vm_expf(NAN)) && mxi_vm_expf(89.0f) == INFINITY);
    CHECK(mxi_vm_expf(-87.5f) > 0 && mxi_vm_expf(-87.5f) < FLT_MIN); /* subnormal */
    CHECK(mxi_vm_expf(0x1.62e42ep6f) < INFINITY);                    /* just below ln(FLT_MAX) */
    CHECK(mxi_vm_expm1f(-INFINITY) == -1 && mxi_vm_expm1f(INFINITY) == INFINITY);
    CHECK(same_f(mxi_vm_expm1f(-0.0f), -0.0f) && mxi_vm_expm1f(1e-30f) == 1e-30f);
    CHECK(mxi_vm_logf(0.0f) == -INFINITY && mxi_vm_logf(-0.0f) == -INFINITY);
    CHECK(isnan(mxi_vm_logf(-1.0f)) && isnan(mxi_vm_logf(NAN)));
    CHECK(mxi_vm_logf(INFINITY) == INFINITY && mxi_vm_logf(1.0f) == 0);
    CHECK(mxi_vm_log2f(8.0f) == 3 && mxi_vm_log2f(0x1p-149f) == -149);
    CHECK(mxi_vm_log10f(1000.0f) == 3 && mxi_vm_log10f(1e-5f) == -5);
    CHECK(mxi_vm_log1pf(-1.0f) == -INFINITY && isnan(mxi_vm_log1pf(-2.0f)));
    CHECK(mxi_vm_log1pf(INFINITY) == INFINITY && same_f(mxi_vm_log1pf(-0.0f), -0.0f));
    CHECK(mxi_vm_tanhf(INFINITY) == 1 && mxi_vm_tanhf(-INFINITY) == -1);
    CHECK(same_f(mxi_vm_tanhf(-0.0f), -0.0f) && isnan(mxi_vm_tanhf(NAN)));
    CHECK(mxi_vm_sigmoidf(-INFINITY) == 0 && mxi_vm_sigmoidf(INFINITY) == 1);
    CHECK(mxi_vm_sigmoidf(0.0f) == 0.5f && isnan(mxi_vm_sigmoidf(NAN)));
    CHECK(mxi_vm_sigmoidf(-100.0f) > 0); /* 3.7e-44: MLX gives 0 */
    CHECK(mxi_vm_erff(INFINITY) == 1 && mxi_vm_erff(-INFINITY) == -1);
    CHECK(same_f(mxi_vm_erff(-0.0f), -0.0f) && isnan(mxi_vm_erff(NAN)));
    CHECK(mxi_vm_erfinvf(1.0f) == INFINITY && mxi_vm_erfinvf(-1.0f) == -INFINITY);
    CHECK(isnan(mxi_vm_erfinvf(2.0f)) && isnan(mxi_vm_erfinvf(NAN)));
    CHECK(same_f(mxi_vm_erfinvf(-0.0f), -0.0f));
    CHECK_NEAR(mxi_vm_erfinvf(0.5f), 0.4769362807273865, 2e-7); /* MLX */
    CHECK(same_f(mxi_vm_sincos_small(-0.0f, 0), -0.0f) && mxi_vm_sincos_small(0.0f, 1) == 1);
    CHECK(mxi_vm_sincos_small(MXI_VM_SINCOS_MAX, 0) == sinf(MXI_VM_SINCOS_MAX));
}

/* ---- threads, chains and donation ---- */

TEST(test_large_and_chains) {
    enum { N = 200003 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) x[i] = (float)unif(-20, 20);
    mx_array *a = f32s(x, N), *r = NULL;
    op1_fn fns[5] = {mx_exp, mx_tanh, mx_sigmoid, mx_erf, mx_log};
    float (*vm[5])(float) = {mxi_vm_expf, mxi_vm_tanhf, mxi_vm_sigmoidf, mxi_vm_erff, mxi_vm_logf};
    for (int k = 0; k < 5; k++) {
        CHECK_OK(fns[k](&r, a, NULL));
        readback(r, y);
        int bad = 0; /* the test's copy has no FMA: an ulp or two apart */
        for (int i = 0; i < N; i++) {
            float w = vm[k](x[i]);
            bad += !(same_f(y[i], w) || ulps(y[i], w) <= 3);
        }
        CHECK(bad == 0);
    }
    /* x = sigmoid(exp(-abs(x))) built in place: each op may take its input's
     * buffer */
    mx_array *c = NULL;
    CHECK_OK(mx_abs(&c, a, NULL));
    CHECK_OK(mx_negative(&c, c, NULL));
    CHECK_OK(mx_exp(&c, c, NULL));
    CHECK_OK(mx_sigmoid(&c, c, NULL));
    readback(c, y);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        float w = mxi_vm_sigmoidf(mxi_vm_expf(-fabsf(x[i])));
        bad += !(same_f(y[i], w) || ulps(y[i], w) <= 3);
    }
    CHECK(bad == 0);
    /* the input survives */
    readback(a, y);
    CHECK(memcmp(x, y, N * sizeof *x) == 0);
    mx_array_free(c);
    mx_array_free(a);
    mx_array_free(r);
    free(x);
    free(y);
}

/* positive, conj and real of real arrays are the array itself (MLX). */
TEST(test_identities) {
    float v[2] = {1, -2};
    mx_array *a = f32s(v, 2), *r = NULL;
    CHECK_OK(mx_positive(&r, a, NULL));
    CHECK(r == a);
    CHECK_OK(mx_conj(&r, a, NULL));
    CHECK(r == a);
    CHECK_OK(mx_real(&r, a, NULL));
    CHECK(r == a);
    float y[2];
    CHECK_OK(mx_imag(&r, a, NULL));
    readback(r, y);
    CHECK(y[0] == 0 && y[1] == 0 && mx_array_dtype(r) == MX_FLOAT32);
    /* sign(nan) is nan (NumPy; MLX 0.32 gives 0); sign(-0.0) is 0 */
    float s[2] = {NAN, -0.0f};
    mx_array *b = f32s(s, 2);
    CHECK_OK(mx_sign(&r, b, NULL));
    readback(r, y);
    CHECK(isnan(y[0]) && y[1] == 0);
    mx_array_free(b);
    mx_array_free(a);
    mx_array_free(r);
}

int main(void) {
    RUN(test_output_dtypes);
    RUN(test_errors);
    RUN(test_float32_values);
    RUN(test_float64_values);
    RUN(test_half_values);
    RUN(test_complex_values);
    RUN(test_integer_values);
    RUN(test_rounding);
    RUN(test_predicates);
    RUN(test_nan_to_num);
    RUN(test_clip);
    RUN(test_layouts);
    RUN(test_simd_levels);
    RUN(test_vmath_accuracy);
    RUN(test_large_and_chains);
    RUN(test_identities);
    /* Again with the outputs of the ops that stream (the cheap ones) written
     * through staged streaming stores, as outputs larger than the last-level
     * cache are. */
    mxi_stream_set_threshold(0);
    RUN(test_float32_values);
    RUN(test_half_values);
    RUN(test_complex_values);
    RUN(test_nan_to_num);
    RUN(test_clip);
    RUN(test_layouts);
    RUN(test_simd_levels);
    RUN(test_large_and_chains);
    mxi_stream_set_threshold(-1);
    return TEST_SUMMARY();
}
