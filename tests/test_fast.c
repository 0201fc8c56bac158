/*
 * mlx.core.fast: rms_norm, layer_norm, rope and scaled_dot_product_attention.
 * The fused kernels are checked against reference loops in double and
 * against the op-by-op compositions (src/ops/fast.h), for float32, float16
 * and bfloat16, strided inputs, odd sizes, empty batches, every mask kind,
 * grouped-query heads, sinks and every SIMD level; wrong calls must fail
 * with a message.
 */
#include "test.h"

#include "core/array_impl.h"
#include "cpu/simd.h"
#include "cpu/strided.h"
#include "ops/fast.h"

static const mx_dtype FLOATS[3] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16};

/* Tolerance of a result rounded once to dt, relative to the values'
 * magnitude. */
static double tol_of(mx_dtype dt) {
    return dt == MX_FLOAT32 ? 2e-5 : dt == MX_FLOAT16 ? 2e-3 : 1.6e-2;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double urand(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / (double)(1ull << 53);
}

static int64_t prod(const int32_t *shape, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    return n;
}

/* An evaluated array of uniform values in [lo, hi). */
static mx_array *rnd(const int32_t *shape, int nd, mx_dtype dt, double lo, double hi) {
    int64_t n = prod(shape, nd);
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * urand();
    mx_array *a = test_array_of(v, NULL, n, shape, nd, dt);
    free(v);
    return a;
}

/* The logical (row-major) values of a as doubles; the caller frees. */
static double *vals(mx_array *a) {
    mx_array *d = NULL;
    size_t n = mx_array_size(a);
    double *v = malloc(sizeof(double) * (n ? n : 1));
    CHECK_OK(mx_astype(&d, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_eval(&d, 1));
    CHECK_OK(mx_array_copy_to(d, v, n * sizeof(double)));
    mx_array_free(d);
    return v;
}

/* |got - want| <= tol * (1 + |want|) everywhere (NaN matches NaN). */
static void check_close(mx_array *got, const double *want, double tol, const char *what) {
    CHECK_OK(mx_eval(&got, 1));
    double *g = vals(got);
    size_t n = mx_array_size(got);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok =
            (isnan(g[i]) && isnan(want[i])) || fabs(g[i] - want[i]) <= tol * (1 + fabs(want[i]));
        if (!ok && bad++ < 3)
            fprintf(stderr, "  %s: [%zu] got %.8g want %.8g\n", what, i, g[i], want[i]);
    }
    CHECK(bad == 0);
    free(g);
}

static void check_same(mx_array *got, mx_array *ref, double tol, const char *what) {
    CHECK_OK(mx_eval(&ref, 1));
    CHECK(mx_array_dtype(got) == mx_array_dtype(ref));
    CHECK(mx_array_ndim(got) == mx_array_ndim(ref));
    CHECK(mx_array_size(got) == mx_array_size(ref));
    double *r = vals(ref);
    check_close(got, r, tol, what);
    free(r);
}

static mx_array *transposed(mx_array *a, int ax1, int ax2) {
    mx_array *t = NULL;
    CHECK_OK(mx_swapaxes(&t, a, ax1, ax2, NULL));
    return t;
}

/* ---- norms ---- */

static void ref_norm(double *out, const double *x, const double *w, const double *b, int64_t rows,
                     int64_t n, double eps, bool rms) {
    for (int64_t r = 0; r < rows; r++) {
        const double *xr = x + r * n;
        double mu = 0, ss = 0;
        if (!rms) {
            for (int64_t i = 0; i < n; i++) mu += xr[i];
            mu /= (double)n;
        }
        for (int64_t i = 0; i < n; i++) ss += (xr[i] - mu) * (xr[i] - mu);
        double inv = 1 / sqrt(ss / (double)n + eps);
        for (int64_t i = 0; i < n; i++)
            out[r * n + i] = (xr[i] - mu) * inv * (w ? w[i] : 1) + (b ? b[i] : 0);
    }
}

/* Fused against the reference loop and the composition for one layout. */
static void norm_case(mx_array *x, mx_array *w, mx_array *b, bool rms, double tol) {
    mx_array *y = NULL, *c = NULL;
    float eps = 1e-5f;
    if (rms)
        CHECK_OK(mx_fast_rms_norm(&y, x, w, eps, NULL));
    else
        CHECK_OK(mx_fast_layer_norm(&y, x, w, b, eps, NULL));
    if (!y) return;
    int nd = mx_array_ndim(x);
    int64_t n = mx_array_shape(x)[nd - 1], size = (int64_t)mx_array_size(x);
    double *xv = vals(x), *wv = w ? vals(w) : NULL, *bv = b ? vals(b) : NULL;
    double *want = malloc(sizeof(double) * (size_t)(size ? size : 1));
    if (n) ref_norm(want, xv, wv, bv, size / n, n, eps, rms);
    check_close(y, want, tol, rms ? "rms_norm" : "layer_norm");
    mxi_norm_params p = {eps, w != NULL, b != NULL};
    mx_array *in[3] = {x, w ? w : b, b};
    if (!w) in[2] = NULL;
    mx_dtype t = mx_array_dtype(y);
    mx_array *cast[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3 && in[i]; i++) CHECK_OK(mx_astype(&cast[i], in[i], t, NULL));
    if (rms)
        CHECK_OK(mxi_fast_rms_norm_composed(&c, cast, &p, NULL));
    else
        CHECK_OK(mxi_fast_layer_norm_composed(&c, cast, &p, NULL));
    /* The composition rounds twice for 16-bit types. */
    check_same(y, c, 2 * tol, "composition");
    for (int i = 0; i < 3; i++) mx_array_free(cast[i]);
    free(xv), free(wv), free(bv), free(want);
    mx_array_free(y);
    mx_array_free(c);
}

TEST(test_norm_values) {
    for (int rms = 0; rms < 2; rms++)
        for (int d = 0; d < 3; d++) {
            mx_dtype dt = FLOATS[d];
            double tol = tol_of(dt);
            int32_t sx[3] = {2, 3, 37}, sw[1] = {37};
            mx_array *x = rnd(sx, 3, dt, -2, 3), *w = rnd(sw, 1, dt, 0.5, 1.5);
            mx_array *b = rnd(sw, 1, dt, -1, 1);
            norm_case(x, NULL, NULL, rms, tol);
            norm_case(x, w, NULL, rms, tol);
            if (!rms) {
                norm_case(x, NULL, b, rms, tol);
                norm_case(x, w, b, rms, tol);
            }
            /* transposed input: last axis strided */
            int32_t st[2] = {37, 5};
            mx_array *xt0 = rnd(st, 2, dt, -1, 1), *xt = transposed(xt0, 0, 1);
            norm_case(xt, w, rms ? NULL : b, rms, tol);
            /* rows that are not contiguous (a slice of wider rows), and a
             * strided weight */
            int32_t sw2[2] = {4, 90}, b0[2] = {0, 3}, e0[2] = {4, 40}, s1[2] = {1, 1};
            int32_t ww[1] = {74}, wb[1] = {0}, we[1] = {74}, ws[1] = {2};
            mx_array *xw = rnd(sw2, 2, dt, -1, 1), *xs = NULL, *wlong = rnd(ww, 1, dt, 0, 2),
                     *wsl = NULL;
            CHECK_OK(mx_slice(&xs, xw, b0, e0, s1, 2, NULL));
            CHECK_OK(mx_slice(&wsl, wlong, wb, we, ws, 1, NULL));
            norm_case(xs, wsl, rms ? NULL : b, rms, tol);
            /* large rows: many lanes and a tail */
            int32_t sl[2] = {3, 1000 + 13}, swl[1] = {1013};
            mx_array *xl = rnd(sl, 2, dt, -3, 3), *wl = rnd(swl, 1, dt, -1, 1);
            norm_case(xl, wl, NULL, rms, tol);
            /* rows past the 16-bit cached-row length */
            int32_t sh[2] = {2, 9000}, swh[1] = {9000};
            mx_array *xh = rnd(sh, 2, dt, -3, 3), *wh = rnd(swh, 1, dt, -1, 1);
            norm_case(xh, wh, rms ? NULL : wh, rms, tol);
            mx_array_free(xh);
            mx_array_free(wh);
            /* empty batch and empty rows */
            int32_t se[3] = {0, 4, 16}, sz[2] = {3, 0};
            mx_array *xe = rnd(se, 3, dt, 0, 1), *xz = rnd(sz, 2, dt, 0, 1);
            norm_case(xe, NULL, NULL, rms, tol);
            mx_array *yz = NULL;
            CHECK_OK(rms ? mx_fast_rms_norm(&yz, xz, NULL, 1e-5f, NULL)
                         : mx_fast_layer_norm(&yz, xz, NULL, NULL, 1e-5f, NULL));
            CHECK_OK(mx_eval(&yz, 1));
            CHECK(mx_array_size(yz) == 0 && mx_array_dim(yz, 0) == 3);
            mx_array *all[] = {x, w, b, xt0, xt, xw, xs, wlong, wsl, xl, wl, xe, xz, yz};
            for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
        }
}

TEST(test_norm_dtypes_and_errors) {
    int32_t sx[2] = {2, 5}, sw[1] = {5}, sw2[2] = {1, 5}, s4[1] = {4};
    mx_array *x16 = rnd(sx, 2, MX_FLOAT16, -1, 1), *w32 = rnd(sw, 1, MX_FLOAT32, 0, 1);
    mx_array *b32 = rnd(sw, 1, MX_FLOAT32, 0, 1), *y = NULL;
    /* promotion: float16 x with a float32 weight gives float32; layer_norm
     * without weight keeps x's dtype whatever the bias */
    CHECK_OK(mx_fast_rms_norm(&y, x16, w32, 1e-5f, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT32);
    CHECK_OK(mx_fast_layer_norm(&y, x16, NULL, b32, 1e-5f, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT16);
    CHECK_OK(mx_fast_layer_norm(&y, x16, w32, b32, 1e-5f, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT32);
    /* float64 runs on the composition */
    mx_array *x64 = rnd(sx, 2, MX_FLOAT64, -1, 1);
    CHECK_OK(mx_fast_rms_norm(&y, x64, NULL, 1e-5f, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT64);
    double *xv = vals(x64), want[10];
    ref_norm(want, xv, NULL, NULL, 2, 5, 1e-5, true);
    check_close(y, want, 1e-6, "rms_norm float64");
    CHECK_OK(mx_fast_layer_norm(&y, x64, NULL, NULL, 1e-5f, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT64);
    ref_norm(want, xv, NULL, NULL, 2, 5, 1e-5, false);
    check_close(y, want, 1e-5, "layer_norm float64");
    free(xv);
    /* integers with a float weight promote; integers alone are refused */
    mx_array *xi = NULL, *w4 = rnd(s4, 1, MX_FLOAT32, 0, 1), *w2 = rnd(sw2, 2, MX_FLOAT32, 0, 1);
    mx_array *x0 = NULL;
    CHECK_OK(mx_astype(&xi, x16, MX_INT32, NULL));
    CHECK_OK(mx_fast_rms_norm(&y, xi, w32, 1e-5f, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT32);
    CHECK_ERR(mx_fast_rms_norm(&y, xi, NULL, 1e-5f, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_layer_norm(&y, xi, NULL, NULL, 1e-5f, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rms_norm(&y, x16, w4, 1e-5f, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "rms_norm") != NULL);
    CHECK_ERR(mx_fast_rms_norm(&y, x16, w2, 1e-5f, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_layer_norm(&y, x16, w32, w4, 1e-5f, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "bias") != NULL);
    CHECK_ERR(mx_fast_layer_norm(&y, x16, w2, NULL, 1e-5f, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_array_from_float(&x0, 1.0, MX_FLOAT32));
    CHECK_ERR(mx_fast_rms_norm(&y, x0, NULL, 1e-5f, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_layer_norm(&y, x0, NULL, NULL, 1e-5f, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rms_norm(NULL, x16, NULL, 1e-5f, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rms_norm(&y, NULL, NULL, 1e-5f, NULL), MX_ERR_VALUE);
    /* still usable */
    CHECK_OK(mx_fast_rms_norm(&y, x16, NULL, 1e-5f, NULL));
    CHECK_OK(mx_eval(&y, 1));
    mx_array *all[] = {x16, w32, b32, y, x64, xi, w4, w2, x0};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

/* ---- rope ---- */

/* x is (B, N, T, D) row-major (middle axes flattened into N). */
static void ref_rope(double *out, const double *x, int64_t B, int64_t N, int64_t T, int64_t D,
                     int dims, bool trad, const double *inv_freq, double scale, const int32_t *off,
                     int64_t off_stride, bool forward) {
    int64_t half = dims / 2;
    for (int64_t b = 0; b < B; b++)
        for (int64_t n = 0; n < N; n++)
            for (int64_t t = 0; t < T; t++) {
                const double *xr = x + ((b * N + n) * T + t) * D;
                double *o = out + ((b * N + n) * T + t) * D;
                for (int64_t i = 0; i < D; i++) o[i] = xr[i];
                /* the angle in float32 steps, as MLX defines it */
                float pos = (float)(t + off[b * off_stride]) * (float)scale;
                for (int64_t i = 0; i < half; i++) {
                    double th = (double)(pos * (float)inv_freq[i]);
                    double c = cos(th), s = forward ? sin(th) : -sin(th);
                    int64_t i1 = trad ? 2 * i : i, i2 = trad ? 2 * i + 1 : i + half;
                    o[i1] = xr[i1] * c - xr[i2] * s;
                    o[i2] = xr[i1] * s + xr[i2] * c;
                }
            }
}

static void rope_case(mx_array *x, int dims, bool trad, const float *base, mx_array *freqs,
                      float scale, mx_array *offset, double tol) {
    mx_array *y = NULL;
    CHECK_OK(mx_fast_rope_dynamic(&y, x, dims, trad, base, scale, offset, freqs, NULL));
    if (!y) return;
    int nd = mx_array_ndim(x);
    const int32_t *sh = mx_array_shape(x);
    int64_t B = sh[0], T = sh[nd - 2], D = sh[nd - 1], size = (int64_t)mx_array_size(x);
    int64_t N = (B * T * D != 0) ? size / (B * T * D) : 0;
    double *xv = vals(x), *want = malloc(sizeof(double) * (size_t)(size ? size : 1));
    double inv[1024];
    double *fv = freqs ? vals(freqs) : NULL;
    for (int i = 0; i < dims / 2; i++)
        inv[i] = fv ? 1 / fv[i] : expf((float)-i * (logf(*base) / (float)(dims / 2)));
    double *ov = vals(offset);
    int32_t offs[64];
    int64_t on = (int64_t)mx_array_size(offset);
    for (int64_t i = 0; i < on; i++) offs[i] = (int32_t)ov[i];
    ref_rope(want, xv, B, N, T, D, dims, trad, inv, scale, offs, on > 1 ? 1 : 0, true);
    check_close(y, want, tol, "rope");
    /* the composition */
    mx_array *c = NULL, *o32 = NULL, *f32 = NULL;
    CHECK_OK(mx_astype(&o32, offset, MX_INT32, NULL));
    if (freqs) CHECK_OK(mx_astype(&f32, freqs, MX_FLOAT32, NULL));
    mx_array *in[3] = {x, o32, f32};
    mxi_rope_params p = {dims, trad, 1, freqs != NULL, base ? *base : 1.0f, scale};
    CHECK_OK(mxi_fast_rope_composed(&c, in, &p, NULL));
    check_same(y, c, 2 * tol, "rope composition");
    /* backward (the transpose rotation) through the primitive directly,
     * against the backward composition */
    p.forward = 0;
    mx_array *yb = NULL, *cb = NULL;
    CHECK_OK(mxi_make(&yb, mx_array_dtype(x), sh, nd, MXI_PRIM_ROPE, &p, sizeof p, in,
                      freqs ? 3 : 2, NULL));
    CHECK_OK(mxi_fast_rope_composed(&cb, in, &p, NULL));
    int before = test_failures_in_current;
    check_same(yb, cb, 2 * tol, "rope backward");
    if (test_failures_in_current != before)
        fprintf(stderr, "  dims %d trad %d nd %d dtype %s\n", dims, trad, nd,
                mx_dtype_name(mx_array_dtype(x)));
    ref_rope(want, xv, B, N, T, D, dims, trad, inv, scale, offs, on > 1 ? 1 : 0, false);
    check_close(yb, want, tol, "rope backward ref");
    free(xv), free(want), free(fv), free(ov);
    mx_array *all[] = {y, c, o32, f32, yb, cb};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

TEST(test_rope_values) {
    float base = 10000.0f;
    for (int d = 0; d < 3; d++) {
        mx_dtype dt = FLOATS[d];
        double tol = tol_of(dt) * 2;
        int32_t s4[4] = {2, 3, 5, 24}, s3[3] = {2, 7, 20}, s5[5] = {2, 2, 3, 4, 10};
        int32_t sf[1] = {8}, s2[1] = {2};
        mx_array *x4 = rnd(s4, 4, dt, -1, 1), *x3 = rnd(s3, 3, dt, -1, 1),
                 *x5 = rnd(s5, 5, dt, -1, 1);
        mx_array *freqs = rnd(sf, 1, MX_FLOAT32, 1, 50), *o0 = NULL, *o7 = NULL, *ov = NULL;
        int32_t offv[2] = {3, -2};
        CHECK_OK(mx_array_from_int(&o0, 0, MX_INT32));
        CHECK_OK(mx_array_from_int(&o7, 7, MX_INT64));
        CHECK_OK(mx_array_from_data(&ov, offv, s2, 1, MX_INT32));
        for (int trad = 0; trad < 2; trad++) {
            rope_case(x4, 24, trad, &base, NULL, 1.0f, o0, tol);
            rope_case(x4, 16, trad, &base, NULL, 0.5f, o7, tol);
            rope_case(x4, 16, trad, NULL, freqs, 1.0f, ov, tol);
            rope_case(x3, 20, trad, &base, NULL, 1.0f, ov, tol);
            rope_case(x3, 6, trad, &base, NULL, 2.0f, o7, tol);
            rope_case(x5, 8, trad, &base, NULL, 1.0f, ov, tol);
            /* strided: positions and heads swapped, and the last axis strided */
            int32_t sw[4] = {2, 5, 3, 24}, sl[4] = {2, 3, 24, 5};
            mx_array *xs0 = rnd(sw, 4, dt, -1, 1), *xs = transposed(xs0, 1, 2);
            mx_array *xl0 = rnd(sl, 4, dt, -1, 1), *xl = transposed(xl0, 2, 3);
            rope_case(xs, 24, trad, &base, NULL, 1.0f, ov, tol);
            rope_case(xl, 16, trad, &base, NULL, 1.0f, o7, tol);
            /* a strided middle axis of a 5-d input (does not flatten) */
            mx_array *x5t = transposed(x5, 1, 2);
            rope_case(x5t, 10, trad, &base, NULL, 1.0f, ov, tol);
            mx_array *all[] = {xs0, xs, xl0, xl, x5t};
            for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
        }
        /* long rows (the 16-bit paths work in chunks) */
        int32_t sg[4] = {1, 2, 3, 1100};
        mx_array *xg = rnd(sg, 4, dt, -1, 1);
        rope_case(xg, 1100, false, &base, NULL, 1.0f, o7, tol);
        rope_case(xg, 1000, true, &base, NULL, 1.0f, o7, tol);
        mx_array_free(xg);
        /* empty batch */
        int32_t se[4] = {0, 2, 3, 8};
        mx_array *xe = rnd(se, 4, dt, 0, 1), *ye = NULL;
        CHECK_OK(mx_fast_rope(&ye, xe, 8, false, &base, 1.0f, 0, NULL, NULL));
        CHECK_OK(mx_eval(&ye, 1));
        CHECK(mx_array_size(ye) == 0 && mx_array_dtype(ye) == dt);
        /* long positions: angles past the small-argument sine range */
        int32_t sb[3] = {1, 3, 64};
        mx_array *xb = rnd(sb, 3, dt, -1, 1), *ob = NULL;
        CHECK_OK(mx_array_from_int(&ob, 100000, MX_INT32));
        /* An ulp of a frequency moves such angles by ~1e-2: the composition
         * (exp from the op library) may differ that much. */
        rope_case(xb, 64, false, &base, NULL, 1.0f, ob, 1e-2);
        mx_array_free(ob);
        ob = NULL;
        CHECK_OK(mx_array_from_int(&ob, 600000, MX_INT32)); /* past the table's range: libm */
        rope_case(xb, 64, true, &base, NULL, 1.0f, ob, 5e-2);
        mx_array *all[] = {x4, x3, x5, freqs, o0, o7, ov, xe, ye, xb, ob};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
    }
}

/* float64 runs on the composition (the kernel takes 16- and 32-bit floats). */
TEST(test_rope_float64) {
    int32_t sh[4] = {2, 3, 5, 8};
    float base = 100.0f;
    mx_array *x = rnd(sh, 4, MX_FLOAT64, -1, 1), *y = NULL;
    CHECK_OK(mx_fast_rope(&y, x, 8, true, &base, 0.5f, 2, NULL, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT64);
    double *xv = vals(x), want[240], inv[4];
    int32_t off = 2;
    for (int i = 0; i < 4; i++) inv[i] = expf((float)-i * (logf(base) / 4.0f));
    ref_rope(want, xv, 2, 3, 5, 8, 8, true, inv, 0.5, &off, 0, true);
    check_close(y, want, 1e-5, "rope float64");
    free(xv);
    mx_array_free(x);
    mx_array_free(y);
}

TEST(test_rope_errors) {
    float base = 10000.0f;
    int32_t s4[4] = {2, 3, 5, 8}, s2[2] = {5, 8}, sf[1] = {3}, sf4[1] = {4}, so[2] = {1, 1};
    int32_t so3[1] = {3};
    mx_array *x = rnd(s4, 4, MX_FLOAT32, -1, 1), *x2 = rnd(s2, 2, MX_FLOAT32, -1, 1);
    mx_array *f3 = rnd(sf, 1, MX_FLOAT32, 1, 2), *f4 = rnd(sf4, 1, MX_FLOAT32, 1, 2);
    mx_array *xi = NULL, *of = NULL, *o2 = rnd(so, 2, MX_FLOAT32, 0, 1), *o3 = NULL, *y = NULL;
    mx_array *o2i = NULL;
    int32_t three[3] = {1, 2, 3};
    CHECK_OK(mx_array_from_data(&o3, three, so3, 1, MX_INT32));
    CHECK_OK(mx_astype(&o2i, o2, MX_INT32, NULL));
    CHECK_OK(mx_astype(&xi, x, MX_INT32, NULL));
    CHECK_OK(mx_array_from_float(&of, 1.0, MX_FLOAT32));
    CHECK_ERR(mx_fast_rope(&y, x, 7, false, &base, 1, 0, NULL, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "even") != NULL);
    CHECK_ERR(mx_fast_rope(&y, x, 10, false, &base, 1, 0, NULL, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "exceed") != NULL);
    CHECK_ERR(mx_fast_rope(&y, x, 0, false, &base, 1, 0, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rope(&y, x2, 8, false, &base, 1, 0, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rope(&y, xi, 8, false, &base, 1, 0, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rope(&y, x, 8, false, &base, 1, 0, f4, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rope(&y, x, 8, false, NULL, 1, 0, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rope(&y, x, 8, false, NULL, 1, 0, f3, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "freqs") != NULL);
    CHECK_ERR(mx_fast_rope_dynamic(&y, x, 8, false, &base, 1, of, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rope_dynamic(&y, x, 8, false, &base, 1, o2i, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rope_dynamic(&y, x, 8, false, &base, 1, o3, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_rope_dynamic(&y, x, 8, false, &base, 1, NULL, NULL, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_fast_rope(&y, x, 8, false, NULL, 1, 0, f4, NULL));
    CHECK_OK(mx_eval(&y, 1));
    mx_array *all[] = {x, x2, f3, f4, xi, of, o2, o3, y, o2i};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

/* ---- attention ---- */

typedef struct sdpa_case {
    int B, Nq, Nkv, Tq, Tkv, D, Dv;
    int mask;    /* mxi_sdpa_mask */
    int mask_nd; /* array masks: 2 (Tq, Tkv) or 4 (B, 1, Tq, Tkv) */
    bool sinks;
    int layout; /* 0 contiguous, 1 k/v heads and positions swapped, 2 q's last axis strided */
} sdpa_case;

static void ref_sdpa(double *out, const sdpa_case *c, const double *q, const double *k,
                     const double *v, const double *mask, const double *sinks, double scale,
                     double lowest) {
    int rep = c->Nq / c->Nkv;
    double *s = malloc(sizeof(double) * (size_t)(c->Tkv + 1));
    for (int b = 0; b < c->B; b++)
        for (int h = 0; h < c->Nq; h++)
            for (int i = 0; i < c->Tq; i++) {
                int hk = h / rep;
                const double *qr = q + (((int64_t)b * c->Nq + h) * c->Tq + i) * c->D;
                double m = sinks ? sinks[h] : -INFINITY;
                for (int j = 0; j < c->Tkv; j++) {
                    const double *kr = k + (((int64_t)b * c->Nkv + hk) * c->Tkv + j) * c->D;
                    double t = 0;
                    for (int d = 0; d < c->D; d++) t += qr[d] * kr[d];
                    t *= scale;
                    int64_t mi = (((int64_t)b * c->Nq + h) * c->Tq + i) * c->Tkv + j;
                    if (c->mask == MXI_SDPA_MASK_CAUSAL && j > i + c->Tkv - c->Tq) t = lowest;
                    if (c->mask == MXI_SDPA_MASK_BOOL && mask[mi] == 0) t = lowest;
                    if (c->mask == MXI_SDPA_MASK_ADDITIVE) t += mask[mi];
                    s[j] = t;
                    if (t > m) m = t;
                }
                double l = sinks ? exp(sinks[h] - m) : 0;
                for (int j = 0; j < c->Tkv; j++) l += (s[j] = exp(s[j] - m));
                double *o = out + (((int64_t)b * c->Nq + h) * c->Tq + i) * c->Dv;
                for (int d = 0; d < c->Dv; d++) {
                    double t = 0;
                    for (int j = 0; j < c->Tkv; j++)
                        t += s[j] * v[(((int64_t)b * c->Nkv + hk) * c->Tkv + j) * c->Dv + d];
                    o[d] = c->Tkv ? t / l : 0;
                }
            }
    free(s);
}

/* An evaluated (d0, d1, d2, d3) array in the given layout. */
static mx_array *make4(int d0, int d1, int d2, int d3, mx_dtype dt, int layout, double lo,
                       double hi) {
    if (layout == 1) {
        int32_t sh[4] = {d0, d2, d1, d3};
        mx_array *a = rnd(sh, 4, dt, lo, hi), *t = transposed(a, 1, 2);
        mx_array_free(a);
        return t;
    }
    if (layout == 2) {
        int32_t sh[4] = {d0, d1, d3, d2};
        mx_array *a = rnd(sh, 4, dt, lo, hi), *t = transposed(a, 2, 3);
        mx_array_free(a);
        return t;
    }
    int32_t sh[4] = {d0, d1, d2, d3};
    return rnd(sh, 4, dt, lo, hi);
}

static void sdpa_run(const sdpa_case *c, mx_dtype dt) {
    double tol = dt == MX_FLOAT32 ? 1e-4 : tol_of(dt) * 2;
    mx_array *q = make4(c->B, c->Nq, c->Tq, c->D, dt, c->layout == 2 ? 2 : 0, -1, 1);
    mx_array *k = make4(c->B, c->Nkv, c->Tkv, c->D, dt, c->layout == 1 ? 1 : 0, -1, 1);
    mx_array *v = make4(c->B, c->Nkv, c->Tkv, c->Dv, dt, c->layout == 1 ? 1 : 0, -1, 1);
    mx_array *mask = NULL, *sinks = NULL, *mfull = NULL, *y = NULL, *comp = NULL;
    int32_t full[4] = {c->B, c->Nq, c->Tq, c->Tkv};
    if (c->mask == MXI_SDPA_MASK_BOOL || c->mask == MXI_SDPA_MASK_ADDITIVE) {
        int32_t sh2[2] = {c->Tq, c->Tkv}, sh4[4] = {c->B, 1, c->Tq, c->Tkv};
        const int32_t *sh = c->mask_nd == 2 ? sh2 : sh4;
        mx_array *r = rnd(sh, c->mask_nd, MX_FLOAT32, 0, 1);
        if (c->mask == MXI_SDPA_MASK_BOOL) {
            mx_array *half = NULL;
            CHECK_OK(mx_array_from_float(&half, 0.3, MX_FLOAT32));
            CHECK_OK(mx_greater(&mask, r, half, NULL));
            mx_array_free(half);
        } else {
            mx_array *sc = NULL;
            CHECK_OK(mx_array_from_float(&sc, -3.0, MX_FLOAT32));
            CHECK_OK(mx_multiply(&mask, r, sc, NULL));
            CHECK_OK(mx_astype(&mask, mask, dt, NULL));
            mx_array_free(sc);
        }
        mx_array_free(r);
        CHECK_OK(mx_broadcast_to(&mfull, mask, full, 4, NULL));
    }
    if (c->sinks) {
        int32_t sh[1] = {c->Nq};
        sinks = rnd(sh, 1, dt, -1, 2);
    }
    float scale = 1.0f / sqrtf((float)c->D);
    const char *mode = c->mask == MXI_SDPA_MASK_CAUSAL ? "causal" : NULL;
    CHECK_OK(mx_fast_scaled_dot_product_attention(&y, q, k, v, scale, mode, mask, sinks, NULL));
    if (!y) goto out;
    CHECK(mx_array_dtype(y) == dt);
    CHECK(mx_array_dim(y, 3) == c->Dv && mx_array_dim(y, 2) == c->Tq);
    {
        double *qv = vals(q), *kv = vals(k), *vv = vals(v);
        double *mv = mfull ? vals(mfull) : NULL, *sv = sinks ? vals(sinks) : NULL;
        int64_t n = (int64_t)c->B * c->Nq * c->Tq * c->Dv;
        double *want = malloc(sizeof(double) * (size_t)(n ? n : 1));
        mx_finfo fi;
        mx_finfo_get(&fi, dt);
        ref_sdpa(want, c, qv, kv, vv, mv, sv, scale, fi.min);
        check_close(y, want, tol, "sdpa");
        free(qv), free(kv), free(vv), free(mv), free(sv), free(want);
    }
    {
        mxi_sdpa_params p = {scale, c->mask, c->sinks};
        mx_array *in[5] = {q, k, v};
        int n = 3;
        if (mfull) in[n++] = mfull;
        if (sinks) in[n++] = sinks;
        CHECK_OK(mxi_fast_sdpa_composed(&comp, in, &p, NULL));
        /* the composition rounds scores and probabilities to 16 bits */
        check_same(y, comp, dt == MX_FLOAT32 ? 1e-4 : 4 * tol, "sdpa composition");
    }
out:;
    mx_array *all[] = {q, k, v, mask, sinks, mfull, y, comp};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

TEST(test_sdpa_values) {
    static const sdpa_case cases[] = {
        /* B Nq Nkv Tq Tkv D Dv mask mnd sinks layout */
        {2, 4, 2, 3, 70, 20, 12, MXI_SDPA_MASK_NONE, 0, false, 0},
        {2, 4, 2, 3, 70, 20, 12, MXI_SDPA_MASK_CAUSAL, 0, false, 0},
        {1, 2, 2, 80, 80, 16, 16, MXI_SDPA_MASK_CAUSAL, 0, false, 0},
        {1, 3, 1, 5, 3, 8, 8, MXI_SDPA_MASK_CAUSAL, 0, false, 0}, /* rows with no key */
        {2, 4, 2, 3, 70, 20, 12, MXI_SDPA_MASK_BOOL, 2, false, 0},
        {2, 4, 4, 3, 33, 24, 24, MXI_SDPA_MASK_BOOL, 4, true, 1},
        {2, 4, 2, 3, 70, 20, 12, MXI_SDPA_MASK_ADDITIVE, 4, false, 0},
        {2, 6, 3, 2, 65, 17, 9, MXI_SDPA_MASK_ADDITIVE, 2, true, 2},
        {1, 8, 2, 1, 200, 128, 128, MXI_SDPA_MASK_NONE, 0, false, 0}, /* decode, GQA */
        {1, 4, 4, 1, 129, 64, 64, MXI_SDPA_MASK_CAUSAL, 0, true, 1},  /* decode, sinks */
        {1, 2, 1, 100, 7, 8, 8, MXI_SDPA_MASK_NONE, 0, false, 2},     /* many query tiles */
        {0, 4, 2, 3, 5, 8, 8, MXI_SDPA_MASK_NONE, 0, false, 0},       /* empty batch */
        {1, 2, 2, 3, 0, 8, 8, MXI_SDPA_MASK_NONE, 0, false, 0},       /* no keys */
        {1, 2, 2, 3, 0, 8, 8, MXI_SDPA_MASK_NONE, 0, true, 0},        /* no keys, sinks */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int d = 0; d < 3; d++) {
            int before = test_failures_in_current;
            sdpa_run(&cases[i], FLOATS[d]);
            if (test_failures_in_current != before)
                fprintf(stderr, "  (case %zu, %s)\n", i, mx_dtype_name(FLOATS[d]));
        }
}

TEST(test_sdpa_special) {
    /* an additive mask of -inf everywhere: softmax is 0/0 (NaN), as MLX */
    int32_t sq[4] = {1, 1, 2, 4}, sk[4] = {1, 1, 5, 4}, sm[2] = {2, 5};
    mx_array *q = rnd(sq, 4, MX_FLOAT32, -1, 1), *k = rnd(sk, 4, MX_FLOAT32, -1, 1);
    mx_array *v = rnd(sk, 4, MX_FLOAT32, -1, 1), *m = NULL, *y = NULL;
    double ninf[10];
    for (int i = 0; i < 10; i++) ninf[i] = i < 5 ? -INFINITY : (i == 7 ? -INFINITY : 0.5);
    m = test_array_of(ninf, NULL, 10, sm, 2, MX_FLOAT32);
    CHECK_OK(mx_fast_scaled_dot_product_attention(&y, q, k, v, 0.5f, NULL, m, NULL, NULL));
    CHECK_OK(mx_eval(&y, 1));
    double *yv = vals(y);
    for (int d = 0; d < 4; d++) CHECK(isnan(yv[d]) && !isnan(yv[4 + d]));
    free(yv);
    /* float64 runs on the composition */
    mx_array *q64 = NULL, *y64 = NULL;
    CHECK_OK(mx_astype(&q64, q, MX_FLOAT64, NULL));
    CHECK_OK(
        mx_fast_scaled_dot_product_attention(&y64, q64, k, v, 0.5f, "causal", NULL, NULL, NULL));
    CHECK_OK(mx_eval(&y64, 1));
    CHECK(mx_array_dtype(y64) == MX_FLOAT64);
    mx_array *all[] = {q, k, v, m, y, q64, y64};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

TEST(test_sdpa_errors) {
    int32_t sq[4] = {2, 4, 3, 8}, sk[4] = {2, 2, 5, 8}, sv[4] = {2, 2, 5, 6};
    mx_array *q = rnd(sq, 4, MX_FLOAT32, -1, 1), *k = rnd(sk, 4, MX_FLOAT32, -1, 1);
    mx_array *v = rnd(sv, 4, MX_FLOAT32, -1, 1), *y = NULL;
    mx_array *q16 = NULL, *k16 = NULL, *v16 = NULL, *q3 = NULL, *qi = NULL, *ki = NULL, *vi = NULL;
    CHECK_OK(mx_astype(&q16, q, MX_FLOAT16, NULL));
    CHECK_OK(mx_astype(&k16, k, MX_FLOAT16, NULL));
    CHECK_OK(mx_astype(&v16, v, MX_FLOAT16, NULL));
    CHECK_OK(mx_astype(&qi, q, MX_INT32, NULL));
    CHECK_OK(mx_astype(&ki, k, MX_INT32, NULL));
    CHECK_OK(mx_astype(&vi, v, MX_INT32, NULL));
    int32_t s3[3] = {4, 3, 8}, sk3[4] = {2, 3, 5, 8}, skb[4] = {1, 2, 5, 8}, skd[4] = {2, 2, 5, 7};
    int32_t sv1[4] = {2, 1, 5, 6}, svt[4] = {2, 2, 4, 6};
    int32_t m34[2] = {3, 4}, m5[5] = {1, 1, 1, 3, 5}, m35[2] = {3, 5}, s2[1] = {2}, s41[2] = {4, 1};
    int32_t s4[1] = {4};
    q3 = rnd(s3, 3, MX_FLOAT32, 0, 1);
    mx_array *kh = rnd(sk3, 4, MX_FLOAT32, 0, 1), *kb = rnd(skb, 4, MX_FLOAT32, 0, 1);
    mx_array *kd = rnd(skd, 4, MX_FLOAT32, 0, 1), *v1 = rnd(sv1, 4, MX_FLOAT32, 0, 1);
    mx_array *vt = rnd(svt, 4, MX_FLOAT32, 0, 1);
    mx_array *mb34 = NULL, *mb5 = NULL, *mf35 = rnd(m35, 2, MX_FLOAT32, 0, 1), *mb35 = NULL;
    mx_array *half = NULL;
    CHECK_OK(mx_array_from_float(&half, 0.5, MX_FLOAT32));
    mx_array *r34 = rnd(m34, 2, MX_FLOAT32, 0, 1), *r5 = rnd(m5, 5, MX_FLOAT32, 0, 1);
    CHECK_OK(mx_greater(&mb34, r34, half, NULL));
    CHECK_OK(mx_greater(&mb5, r5, half, NULL));
    CHECK_OK(mx_greater(&mb35, mf35, half, NULL));
    mx_array *sk2 = rnd(s2, 1, MX_FLOAT32, 0, 1), *sk41 = rnd(s41, 2, MX_FLOAT32, 0, 1);
    mx_array *sk4 = rnd(s4, 1, MX_FLOAT32, 0, 1);
#define SDPA_ERR(...)                                                                              \
    CHECK_ERR(mx_fast_scaled_dot_product_attention(&y, __VA_ARGS__, NULL), MX_ERR_VALUE)
    SDPA_ERR(q3, k, v, 1.0f, NULL, NULL, NULL);
    SDPA_ERR(q, k, v, 1.0f, "foo", NULL, NULL);
    CHECK(strstr(mx_last_error(), "foo") != NULL);
    SDPA_ERR(q, k, v, 1.0f, "causal", mb35, NULL);
    SDPA_ERR(q, k, v, 1.0f, "array", NULL, NULL);
    SDPA_ERR(q, k, v, 1.0f, NULL, mb34, NULL);
    CHECK(strstr(mx_last_error(), "broadcast") != NULL);
    SDPA_ERR(q, k, v, 1.0f, NULL, mb5, NULL);
    SDPA_ERR(q, kb, v, 1.0f, NULL, NULL, NULL);
    SDPA_ERR(q, kd, v, 1.0f, NULL, NULL, NULL);
    SDPA_ERR(q, k, v1, 1.0f, NULL, NULL, NULL);
    SDPA_ERR(q, kh, kh, 1.0f, NULL, NULL, NULL);
    CHECK(strstr(mx_last_error(), "multiple") != NULL);
    SDPA_ERR(q, k, vt, 1.0f, NULL, NULL, NULL);
    SDPA_ERR(qi, ki, vi, 1.0f, NULL, NULL, NULL);
    SDPA_ERR(q16, k16, v16, 1.0f, NULL, mf35, NULL); /* float32 mask, float16 attention */
    CHECK(strstr(mx_last_error(), "promote") != NULL);
    SDPA_ERR(q, k, v, 1.0f, NULL, NULL, sk2);
    SDPA_ERR(q, k, v, 1.0f, NULL, NULL, sk41);
    SDPA_ERR(q16, k16, v16, 1.0f, NULL, NULL, sk4);
    SDPA_ERR(q, NULL, v, 1.0f, NULL, NULL, NULL);
#undef SDPA_ERR
    /* mixed dtypes promote; integer masks promote to the float type */
    mx_array *mi = NULL;
    CHECK_OK(mx_astype(&mi, mb35, MX_INT8, NULL));
    CHECK_OK(mx_fast_scaled_dot_product_attention(&y, q16, k, v16, 1.0f, NULL, NULL, NULL, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT32);
    CHECK_OK(mx_astype(&sk4, sk4, MX_FLOAT16, NULL));
    CHECK_OK(mx_fast_scaled_dot_product_attention(&y, q16, k16, v16, 1.0f, "", mi, sk4, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT16);
    CHECK_OK(mx_eval(&y, 1));
    mx_array *all[] = {q,  k,  v,    y,   q16,  k16,  v16,  q3,  qi, ki,  vi,   kh,  kb, kd,
                       v1, vt, mb34, mb5, mf35, mb35, half, r34, r5, sk2, sk41, sk4, mi};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

/* NaN and inf reach the rows they are in, and only those. */
TEST(test_nan_inf) {
    double xv[12] = {1, 2, NAN, 4, 1, 2, 3, 4, INFINITY, 1, 2, 3};
    int32_t sx[2] = {3, 4};
    for (int d = 0; d < 3; d++) {
        mx_array *x = test_array_of(xv, NULL, 12, sx, 2, FLOATS[d]), *y = NULL;
        CHECK_OK(mx_fast_rms_norm(&y, x, NULL, 1e-5f, NULL));
        double *r = NULL;
        if (y) {
            r = vals(y);
            for (int i = 0; i < 4; i++) CHECK(isnan(r[i]) && isfinite(r[4 + i]));
            /* inf * rsqrt(inf) is NaN, the rest of the row 0 (as MLX) */
            CHECK(isnan(r[8]) && r[9] == 0 && r[10] == 0 && r[11] == 0);
            free(r);
        }
        CHECK_OK(mx_fast_layer_norm(&y, x, NULL, NULL, 1e-5f, NULL));
        r = vals(y);
        for (int i = 0; i < 4; i++) CHECK(isnan(r[i]) && isfinite(r[4 + i]) && isnan(r[8 + i]));
        free(r);
        /* a NaN key makes every query that sees it NaN */
        int32_t sq[4] = {1, 1, 2, 4}, sk[4] = {1, 1, 3, 4};
        mx_array *q = rnd(sq, 4, FLOATS[d], -1, 1), *k = NULL, *v = rnd(sk, 4, FLOATS[d], -1, 1);
        k = test_array_of(xv, NULL, 12, sk, 4, FLOATS[d]);
        CHECK_OK(mx_fast_scaled_dot_product_attention(&y, q, k, v, 0.5f, NULL, NULL, NULL, NULL));
        r = vals(y);
        for (int i = 0; i < 8; i++) CHECK(isnan(r[i]));
        free(r);
        mx_array *all[] = {x, y, q, k, v};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
    }
}

/* ---- against real MLX ----
 * Inputs x[i] = sin(i * a + b) (float32); the expected sums, weighted sums
 * (weights i % 7 + 1) and last elements were computed with mlx.core.fast
 * 0.32.4 on the CPU. */

static mx_array *sinus(const int32_t *sh, int nd, double a, double b) {
    int64_t n = prod(sh, nd);
    float *v = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) v[i] = (float)sin((double)i * a + b);
    mx_array *x = NULL;
    CHECK_OK(mx_array_from_data(&x, v, sh, nd, MX_FLOAT32));
    free(v);
    return x;
}

static void check_sums(mx_array *y, double sum, double wsum, double last, const char *what) {
    CHECK_OK(mx_eval(&y, 1));
    double *v = vals(y), s = 0, s2 = 0;
    size_t n = mx_array_size(y);
    for (size_t i = 0; i < n; i++) s += v[i], s2 += v[i] * (double)(i % 7 + 1);
    bool ok = fabs(s - sum) < 1e-4 * (1 + fabs(sum)) && fabs(s2 - wsum) < 1e-4 * (1 + fabs(wsum)) &&
              fabs(v[n - 1] - last) < 1e-5;
    if (!ok) fprintf(stderr, "  %s: %.6f %.6f %.6f\n", what, s, s2, v[n - 1]);
    CHECK(ok);
    free(v);
}

TEST(test_against_mlx) {
    int32_t sx[4] = {2, 3, 5, 16}, so[1] = {2}, sf[1] = {6}, sq[4] = {2, 4, 3, 8};
    int32_t sk[4] = {2, 2, 6, 8}, sm[2] = {3, 6}, ss[1] = {4}, sq2[4] = {2, 4, 8, 8}, sw[1] = {16};
    int32_t offs[2] = {3, 7};
    float base = 1000.0f;
    mx_array *x = sinus(sx, 4, 0.37, 0.1), *fr = sinus(sf, 1, 0.5, 2.0), *ov = NULL, *two = NULL;
    mx_array *fa = NULL, *y = NULL, *zero = NULL, *mb = NULL;
    CHECK_OK(mx_array_from_data(&ov, offs, so, 1, MX_INT32));
    CHECK_OK(mx_array_from_float(&two, 2.0, MX_FLOAT32));
    CHECK_OK(mx_add(&fa, fr, two, NULL));
    CHECK_OK(mx_fast_rope(&y, x, 16, false, &base, 0.5f, 4, NULL, NULL));
    check_sums(y, -12.282372, -46.586869, 0.976058, "rope_a");
    CHECK_OK(mx_fast_rope(&y, x, 12, true, &base, 1.0f, 4, NULL, NULL));
    check_sums(y, 18.080404, 88.246555, 0.985587, "rope_b");
    CHECK_OK(mx_fast_rope_dynamic(&y, x, 12, false, NULL, 1.0f, ov, fa, NULL));
    check_sums(y, 4.712921, 94.271179, 0.985587, "rope_c");
    mx_array *q = sinus(sq, 4, 0.21, 0.3), *k = sinus(sk, 4, 0.13, 0.7),
             *v = sinus(sk, 4, 0.29, 1.1);
    mx_array *mf = sinus(sm, 2, 0.9, 0.2), *sink = sinus(ss, 1, 1.3, 0.4),
             *q2 = sinus(sq2, 4, 0.21, 0.3);
    mx_array *w = sinus(sw, 1, 0.4, 0.5);
    CHECK_OK(mx_array_from_float(&zero, 0.0, MX_FLOAT32));
    CHECK_OK(mx_greater(&mb, mf, zero, NULL));
    CHECK_OK(mx_fast_scaled_dot_product_attention(&y, q, k, v, 0.35f, "causal", NULL, NULL, NULL));
    check_sums(y, -1.607305, -5.484905, 0.211555, "sdpa causal");
    CHECK_OK(mx_fast_scaled_dot_product_attention(&y, q, k, v, 0.35f, NULL, mb, sink, NULL));
    check_sums(y, -1.401977, -3.593260, -0.296636, "sdpa bool mask and sinks");
    CHECK_OK(mx_fast_scaled_dot_product_attention(&y, q, k, v, 0.35f, NULL, mf, NULL, NULL));
    check_sums(y, -0.329150, 0.504134, 0.052552, "sdpa additive mask");
    CHECK_OK(mx_fast_scaled_dot_product_attention(&y, q2, k, v, 0.35f, "causal", NULL, sink, NULL));
    check_sums(y, -12.443004, -56.490705, 0.068636, "sdpa causal, more queries than keys, sinks");
    CHECK_OK(mx_fast_rms_norm(&y, x, w, 1e-5f, NULL));
    check_sums(y, -42.714139, -166.251630, 0.308720, "rms_norm");
    CHECK_OK(mx_fast_layer_norm(&y, x, w, w, 1e-5f, NULL));
    check_sums(y, -39.714979, -156.310650, 0.543955, "layer_norm");
    mx_array *all[] = {x, fr, ov, two, fa, y, zero, mb, q, k, v, mf, sink, q2, w};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

/* Every vector level against the scalar reference on one case of each op. */
TEST(test_simd_levels) {
    int32_t sx[2] = {5, 203}, sw[1] = {203}, sr[4] = {1, 3, 9, 40}, sq[4] = {1, 4, 2, 36};
    int32_t sk[4] = {1, 2, 150, 36};
    float base = 500.0f;
    for (int d = 0; d < 3; d++) {
        mx_dtype dt = FLOATS[d];
        mx_array *x = rnd(sx, 2, dt, -2, 2), *w = rnd(sw, 1, dt, -1, 1), *r = rnd(sr, 4, dt, -1, 1);
        mx_array *q = rnd(sq, 4, dt, -1, 1), *k = rnd(sk, 4, dt, -1, 1), *v = rnd(sk, 4, dt, -1, 1);
        mx_array *ref[4] = {NULL};
        for (int level = 0; level < MXI_SIMD_LEVELS; level++) {
            if (mxi_simd_set_active((mxi_simd_level)level) != 0) continue;
            mx_array *got[4] = {NULL};
            CHECK_OK(mx_fast_rms_norm(&got[0], x, w, 1e-6f, NULL));
            CHECK_OK(mx_fast_layer_norm(&got[1], x, w, w, 1e-6f, NULL));
            CHECK_OK(mx_fast_rope(&got[2], r, 32, false, &base, 1.0f, 3, NULL, NULL));
            CHECK_OK(mx_fast_scaled_dot_product_attention(&got[3], q, k, v, 0.2f, "causal", NULL,
                                                          NULL, NULL));
            CHECK_OK(mx_eval(got, 4));
            for (int i = 0; i < 4; i++) {
                if (level == 0) {
                    ref[i] = got[i];
                    continue;
                }
                check_same(got[i], ref[i], tol_of(dt) * 2, mxi_simd_name((mxi_simd_level)level));
                mx_array_free(got[i]);
            }
        }
        mxi_simd_set_active(mxi_simd_detected());
        mx_array *all[] = {x, w, r, q, k, v, ref[0], ref[1], ref[2], ref[3]};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
    }
    /* rope per level, both layouts */
    for (int trad = 0; trad < 2; trad++) {
        mx_array *r = rnd(sr, 4, MX_FLOAT32, -1, 1), *ref = NULL;
        for (int level = 0; level < MXI_SIMD_LEVELS; level++) {
            if (mxi_simd_set_active((mxi_simd_level)level) != 0) continue;
            mx_array *got = NULL;
            CHECK_OK(mx_fast_rope(&got, r, 40, trad, &base, 1.0f, 11, NULL, NULL));
            CHECK_OK(mx_eval(&got, 1));
            if (!ref)
                ref = got;
            else {
                check_same(got, ref, 1e-5, "rope level");
                mx_array_free(got);
            }
        }
        mxi_simd_set_active(mxi_simd_detected());
        mx_array_free(r);
        mx_array_free(ref);
    }
}

/* The streaming-store paths (outputs past the threshold: staged rows, or
 * the kernel's own streaming stores for aligned float16 rows) give the
 * same. */
TEST(test_streaming_outputs) {
    for (int d = 0; d < 2; d++) {
        for (int len = 300; len <= 320; len += 20) { /* 320: rows of whole cache lines */
            int32_t sx[3] = {2, 3, len}, sw[1] = {len};
            mx_array *x = rnd(sx, 3, FLOATS[d], -1, 1), *w = rnd(sw, 1, FLOATS[d], -1, 1);
            float base = 10000.0f;
            mx_array *a[5] = {NULL}, *b[5] = {NULL};
            for (int pass = 0; pass < 2; pass++) {
                mx_array **o = pass ? b : a;
                mxi_stream_set_threshold(pass ? 0 : -1);
                CHECK_OK(mx_fast_rms_norm(&o[0], x, w, 1e-5f, NULL));
                CHECK_OK(mx_fast_layer_norm(&o[1], x, w, w, 1e-5f, NULL));
                CHECK_OK(mx_fast_rope(&o[2], x, 100, false, &base, 1.0f, 0, NULL, NULL));
                CHECK_OK(mx_fast_rope(&o[3], x, len, false, &base, 1.0f, 5, NULL, NULL));
                CHECK_OK(mx_fast_rope(&o[4], x, len, true, &base, 1.0f, 5, NULL, NULL));
                CHECK_OK(mx_eval(o, 5));
            }
            mxi_stream_set_threshold(-1);
            for (int i = 0; i < 5; i++) {
                check_same(b[i], a[i], 0, "streamed");
                mx_array_free(a[i]);
                mx_array_free(b[i]);
            }
            mx_array_free(x);
            mx_array_free(w);
        }
    }
}

int main(void) {
    RUN(test_norm_values);
    RUN(test_norm_dtypes_and_errors);
    RUN(test_rope_values);
    RUN(test_rope_float64);
    RUN(test_rope_errors);
    RUN(test_sdpa_values);
    RUN(test_sdpa_special);
    RUN(test_sdpa_errors);
    RUN(test_nan_inf);
    RUN(test_against_mlx);
    RUN(test_simd_levels);
    RUN(test_streaming_outputs);
    return TEST_SUMMARY();
}
