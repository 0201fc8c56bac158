/*
 * minmax, matrix_transpose, unique, fft.stft / fft.istft,
 * fast.cross_entropy and fast.gated_delta_update: values against reference
 * loops written here (and MLX 0.32.4's documented examples), strided
 * inputs, empty inputs and wrong calls.
 */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static double urand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static mx_array *f32_of(const float *v, const int32_t *shape, int nd) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, v, shape, nd, MX_FLOAT32));
    return a;
}

static mx_array *i32_of(const int32_t *v, const int32_t *shape, int nd) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, v, shape, nd, MX_INT32));
    return a;
}

/* Evaluates a cast to float64 and copies n values. */
static void read_f64(mx_array *a, double *dst, size_t n) {
    mx_array *c = NULL;
    CHECK_OK(mx_astype(&c, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_eval(&c, 1));
    CHECK(mx_array_size(c) == n);
    CHECK_OK(mx_array_copy_to(c, dst, n * sizeof(double)));
    mx_array_free(c);
}

static void rand_f32(float *v, size_t n, double lo, double hi) {
    for (size_t i = 0; i < n; i++) v[i] = (float)(lo + (hi - lo) * urand());
}

/* ---- minmax, matrix_transpose ---- */

TEST(test_minmax) {
    float v[6] = {1, 5, 5, 3, 2, -1};
    int32_t sh[2] = {2, 3};
    mx_array *a = f32_of(v, sh, 2), *lo = NULL, *hi = NULL, *t = NULL;
    double r[6];
    int ax = 1;
    CHECK_OK(mx_minmax(&lo, &hi, a, &ax, 1, false, NULL));
    read_f64(lo, r, 2);
    CHECK(r[0] == 1 && r[1] == -1);
    read_f64(hi, r, 2);
    CHECK(r[0] == 5 && r[1] == 3);
    CHECK_OK(mx_minmax(&lo, &hi, a, NULL, 0, true, NULL));
    CHECK(mx_array_ndim(lo) == 2 && mx_array_dim(lo, 0) == 1 && mx_array_dim(hi, 1) == 1);
    read_f64(lo, r, 1);
    CHECK(r[0] == -1);
    read_f64(hi, r, 1);
    CHECK(r[0] == 5);
    /* Transposed view along axis 0 of the transpose = axis 1 of a. */
    CHECK_OK(mx_matrix_transpose(&t, a, NULL));
    CHECK(mx_array_dim(t, 0) == 3 && mx_array_dim(t, 1) == 2);
    ax = 0;
    CHECK_OK(mx_minmax(&lo, &hi, t, &ax, 1, false, NULL));
    read_f64(lo, r, 2);
    CHECK(r[0] == 1 && r[1] == -1);
    read_f64(t, r, 6);
    CHECK(r[0] == 1 && r[1] == 3 && r[2] == 5 && r[5] == -1);
    /* NaN propagates. */
    v[4] = NAN;
    mx_array *b = f32_of(v, sh, 2);
    CHECK_OK(mx_minmax(&lo, &hi, b, NULL, 0, false, NULL));
    read_f64(lo, r, 1);
    CHECK(isnan(r[0]));
    int32_t z = 0;
    mx_array *e = NULL;
    CHECK_OK(mx_zeros(&e, &z, 1, MX_FLOAT32, NULL));
    CHECK_ERR(mx_minmax(&lo, &hi, e, NULL, 0, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_minmax(&lo, NULL, a, NULL, 0, false, NULL), MX_ERR_VALUE);
    mx_array *s0 = test_scalar_f32(2);
    CHECK_ERR(mx_matrix_transpose(&t, s0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_matrix_transpose(&t, e, NULL), MX_ERR_VALUE);
    mx_array *all[] = {a, lo, hi, t, b, e, s0};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

/* ---- unique ---- */

static void check_u32(mx_array *a, const uint32_t *want, size_t n) {
    double r[64];
    CHECK(mx_array_dtype(a) == MX_UINT32);
    read_f64(a, r, n);
    for (size_t i = 0; i < n; i++) CHECK(r[i] == want[i]);
}

static void check_i32(mx_array *a, const int32_t *want, size_t n) {
    double r[64];
    CHECK(mx_array_dtype(a) == MX_INT32);
    read_f64(a, r, n);
    for (size_t i = 0; i < n; i++) CHECK(r[i] == want[i]);
}

TEST(test_unique_doc) {
    /* MLX's docstring example. */
    int32_t v[5] = {2, 1, 2, 3, 1}, n = 5;
    mx_array *a = i32_of(v, &n, 1), *val = NULL, *idx = NULL, *inv = NULL, *cnt = NULL;
    mx_array *fill = NULL;
    CHECK_OK(mx_unique(&val, NULL, NULL, NULL, a, 3, NULL, NULL));
    check_i32(val, (int32_t[]){1, 2, 3}, 3);
    CHECK_OK(mx_unique(&val, NULL, NULL, NULL, a, 5, NULL, NULL));
    check_i32(val, (int32_t[]){1, 2, 3, 1, 1}, 5);
    CHECK_OK(mx_array_from_int(&fill, 0, MX_INT32));
    CHECK_OK(mx_unique(&val, &idx, &inv, &cnt, a, 4, fill, NULL));
    check_i32(val, (int32_t[]){1, 2, 3, 0}, 4);
    check_u32(idx, (uint32_t[]){1, 0, 3, 1}, 4);
    check_u32(inv, (uint32_t[]){1, 0, 1, 2, 0}, 5);
    check_i32(cnt, (int32_t[]){2, 2, 1, 0}, 4);
    /* Truncated: inverse clamps to the last entry. */
    CHECK_OK(mx_unique(&val, &idx, &inv, &cnt, a, 2, NULL, NULL));
    check_i32(val, (int32_t[]){1, 2}, 2);
    check_u32(inv, (uint32_t[]){1, 0, 1, 1, 0}, 5);
    check_i32(cnt, (int32_t[]){2, 2}, 2);
    /* Size 0: empty outputs, inverse all 0. */
    CHECK_OK(mx_unique(&val, &idx, &inv, &cnt, a, 0, NULL, NULL));
    CHECK(mx_array_size(val) == 0 && mx_array_size(cnt) == 0);
    check_u32(inv, (uint32_t[]){0, 0, 0, 0, 0}, 5);
    mx_array *all[] = {a, val, idx, inv, cnt, fill};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

TEST(test_unique_float) {
    /* NaNs are each their own group; -0.0 and 0.0 are one (MLX 0.32.4). */
    float v[5] = {1, NAN, NAN, 0.0f, -0.0f};
    int32_t n = 5;
    mx_array *a = f32_of(v, &n, 1), *val = NULL, *idx = NULL, *inv = NULL, *cnt = NULL;
    CHECK_OK(mx_unique(&val, &idx, &inv, &cnt, a, 5, NULL, NULL));
    double r[6];
    read_f64(val, r, 5);
    CHECK(r[0] == 0 && r[1] == 1 && isnan(r[2]) && isnan(r[3]) && r[4] == 0);
    check_u32(idx, (uint32_t[]){3, 0, 1, 2, 3}, 5);
    check_u32(inv, (uint32_t[]){1, 2, 3, 0, 0}, 5);
    check_i32(cnt, (int32_t[]){2, 1, 1, 1, 0}, 5);
    /* A transposed 2-d input is flattened in its logical order; the fill
     * value is cast to a's dtype. */
    float w[6] = {3, 1, 2, 3, 7, 1};
    int32_t sh[2] = {2, 3};
    mx_array *b = f32_of(w, sh, 2), *t = NULL, *fill = NULL;
    CHECK_OK(mx_transpose(&t, b, NULL, 0, NULL)); /* [[3,3],[1,7],[2,1]] */
    CHECK_OK(mx_array_from_float(&fill, -1.5, MX_FLOAT64));
    CHECK_OK(mx_unique(&val, &idx, &inv, &cnt, t, 6, fill, NULL));
    read_f64(val, r, 6);
    CHECK(r[0] == 1 && r[1] == 2 && r[2] == 3 && r[3] == 7 && r[4] == -1.5 && r[5] == -1.5);
    CHECK(mx_array_dtype(val) == MX_FLOAT32);
    check_u32(idx, (uint32_t[]){2, 4, 0, 3, 2, 2}, 6);
    check_u32(inv, (uint32_t[]){2, 2, 0, 3, 1, 0}, 6);
    CHECK(mx_array_ndim(inv) == 2 && mx_array_dim(inv, 0) == 3);
    check_i32(cnt, (int32_t[]){2, 1, 2, 1, 0, 0}, 6);
    /* 0-d input. */
    mx_array *s0 = test_scalar_f32(5);
    CHECK_OK(mx_unique(&val, &idx, &inv, &cnt, s0, 3, NULL, NULL));
    read_f64(val, r, 3);
    CHECK(r[0] == 5 && r[1] == 5 && r[2] == 5);
    CHECK(mx_array_ndim(inv) == 0);
    check_i32(cnt, (int32_t[]){1, 0, 0}, 3);
    /* Empty input: fill needed for a non-zero size. */
    int32_t z = 0;
    mx_array *e = NULL, *big = NULL;
    CHECK_OK(mx_zeros(&e, &z, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_unique(&val, &idx, &inv, &cnt, e, 2, fill, NULL));
    read_f64(val, r, 2);
    CHECK(r[0] == -1.5 && r[1] == -1.5);
    check_i32(cnt, (int32_t[]){0, 0}, 2);
    CHECK_OK(mx_unique(&val, NULL, NULL, NULL, e, 0, NULL, NULL));
    CHECK(mx_array_size(val) == 0);
    CHECK_ERR(mx_unique(&val, NULL, NULL, NULL, e, 2, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_unique(&val, NULL, NULL, NULL, a, -1, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_unique(NULL, NULL, NULL, NULL, a, 2, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_unique(&val, NULL, NULL, NULL, NULL, 2, NULL, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_zeros(&big, &n, 1, MX_FLOAT32, NULL));
    CHECK_ERR(mx_unique(&val, NULL, NULL, NULL, a, 2, big, NULL), MX_ERR_VALUE);
    mx_array *all[] = {a, val, idx, inv, cnt, b, t, fill, s0, e, big};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

/* ---- cross_entropy ---- */

TEST(test_cross_entropy) {
    enum { R = 3, C = 5 };
    float l[R * C];
    rand_f32(l, R * C, -3, 3);
    int32_t tg[R] = {0, 4, 2}, sh[2] = {R, C}, r1 = R;
    mx_array *lg = f32_of(l, sh, 2), *t = i32_of(tg, &r1, 1), *out = NULL;
    CHECK_OK(mx_fast_cross_entropy(&out, lg, t, NULL));
    CHECK(mx_array_dtype(out) == MX_FLOAT32 && mx_array_ndim(out) == 1);
    double r[R];
    read_f64(out, r, R);
    for (int i = 0; i < R; i++) {
        double m = -INFINITY, s = 0;
        for (int c = 0; c < C; c++) m = fmax(m, l[i * C + c]);
        for (int c = 0; c < C; c++) s += exp(l[i * C + c] - m);
        CHECK_NEAR(r[i], log(s) + m - l[i * C + tg[i]], 1e-5);
    }
    /* bfloat16 logits reduce in bfloat16 and give float32; int64 targets. */
    mx_array *lb = NULL, *t64 = NULL;
    CHECK_OK(mx_astype(&lb, lg, MX_BFLOAT16, NULL));
    CHECK_OK(mx_astype(&t64, t, MX_INT64, NULL));
    CHECK_OK(mx_fast_cross_entropy(&out, lb, t64, NULL));
    CHECK(mx_array_dtype(out) == MX_FLOAT32);
    double rb[R];
    read_f64(out, rb, R);
    for (int i = 0; i < R; i++) CHECK_NEAR(rb[i], r[i], 0.05);
    /* 1-d logits: a 0-d loss. */
    mx_array *row = NULL, *t0 = NULL;
    CHECK_OK(mx_take_index_axis(&row, lg, 1, 0, NULL));
    CHECK_OK(mx_take_index(&t0, t, 1, NULL));
    CHECK_OK(mx_fast_cross_entropy(&out, row, t0, NULL));
    CHECK(mx_array_ndim(out) == 0);
    read_f64(out, rb, 1);
    CHECK_NEAR(rb[0], r[1], 1e-5);
    /* Wrong calls. */
    mx_array *tf = NULL, *li = NULL, *s0 = test_scalar_f32(1), *t2 = NULL;
    CHECK_OK(mx_astype(&tf, t, MX_FLOAT32, NULL));
    CHECK_OK(mx_astype(&li, lg, MX_INT32, NULL));
    CHECK_OK(mx_expand_dims(&t2, t, -1, NULL));
    CHECK_ERR(mx_fast_cross_entropy(&out, lg, tf, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_cross_entropy(&out, li, t, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_cross_entropy(&out, s0, t0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_cross_entropy(&out, lg, t2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_cross_entropy(&out, lg, t0, NULL), MX_ERR_VALUE);
    mx_array *all[] = {lg, t, out, lb, t64, row, t0, tf, li, s0, t2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

/* ---- gated delta ---- */

/* The recurrence in double: S (B, Hv, Dv, Dk). */
static void gdu_ref(const float *q, const float *k, const float *v, const float *g, const float *be,
                    const float *s0, const int32_t *mask, int B, int T, int Hk, int Hv, int Dk,
                    int Dv, double *y, double *S) {
    int rep = Hv / Hk;
    for (int i = 0; i < B * Hv * Dv * Dk; i++) S[i] = s0 ? s0[i] : 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < Hv; h++) {
                const float *qt = q + ((b * T + t) * Hk + h / rep) * Dk;
                const float *kt = k + ((b * T + t) * Hk + h / rep) * Dk;
                const float *vt = v + ((b * T + t) * Hv + h) * Dv;
                double gt = g[(b * T + t) * Hv + h], bt = be[(b * T + t) * Hv + h];
                double *Sh = S + (b * Hv + h) * Dv * Dk, *yt = y + ((b * T + t) * Hv + h) * Dv;
                bool keep = !mask || mask[b * T + t];
                for (int i = 0; i < Dv; i++) {
                    double *row = Sh + i * Dk, nrow[16], kv = 0, o = 0;
                    for (int j = 0; j < Dk; j++) kv += (nrow[j] = row[j] * gt) * kt[j];
                    double d = (vt[i] - kv) * bt;
                    for (int j = 0; j < Dk; j++) o += (nrow[j] += kt[j] * d) * qt[j];
                    yt[i] = keep ? o : 0;
                    if (keep) memcpy(row, nrow, sizeof(double) * Dk);
                }
            }
}

static void gdu_case(int B, int T, int Hk, int Hv, int Dk, int Dv, bool init, bool use_mask) {
    size_t nq = (size_t)B * T * Hk * Dk, nv = (size_t)B * T * Hv * Dv, ng = (size_t)B * T * Hv;
    size_t ns = (size_t)B * Hv * Dv * Dk;
    float *q = malloc(nq * 4), *k = malloc(nq * 4), *v = malloc(nv * 4), *g = malloc(ng * 4);
    float *be = malloc(ng * 4), *s0 = malloc(ns * 4);
    int32_t *mk = malloc((size_t)B * T * 4);
    rand_f32(q, nq, -1, 1);
    rand_f32(k, nq, -0.5, 0.5);
    rand_f32(v, nv, -1, 1);
    rand_f32(g, ng, 0.5, 1);
    rand_f32(be, ng, 0, 1);
    rand_f32(s0, ns, -1, 1);
    for (int i = 0; i < B * T; i++) mk[i] = urand() < 0.7;
    int32_t sq[4] = {B, T, Hk, Dk}, sv[4] = {B, T, Hv, Dv}, sg[3] = {B, T, Hv},
            ss[4] = {B, Hv, Dv, Dk}, sm[2] = {B, T};
    mx_array *aq = f32_of(q, sq, 4), *ak = f32_of(k, sq, 4), *av = f32_of(v, sv, 4);
    mx_array *ag = f32_of(g, sg, 3), *ab = f32_of(be, sg, 3), *as = f32_of(s0, ss, 4);
    mx_array *am = NULL, *y = NULL, *S = NULL;
    CHECK_OK(mx_array_from_data(&am, mk, sm, 2, MX_INT32));
    CHECK_OK(mx_fast_gated_delta_update(&y, &S, aq, ak, av, ag, ab, init ? as : NULL,
                                        use_mask ? am : NULL, NULL));
    double *ry = malloc(nv * 8 + 8), *rs = malloc(ns * 8), *ey = malloc(nv * 8 + 8),
           *es = malloc(ns * 8);
    gdu_ref(q, k, v, g, be, init ? s0 : NULL, use_mask ? mk : NULL, B, T, Hk, Hv, Dk, Dv, ey, es);
    CHECK(mx_array_dtype(S) == MX_FLOAT32 && mx_array_ndim(y) == 4 && mx_array_dim(y, 2) == Hv);
    read_f64(y, ry, nv);
    read_f64(S, rs, ns);
    double err = 0;
    for (size_t i = 0; i < nv; i++) err = fmax(err, fabs(ry[i] - ey[i]));
    for (size_t i = 0; i < ns; i++) err = fmax(err, fabs(rs[i] - es[i]));
    CHECK(err < 1e-4);
    mx_array *all[] = {aq, ak, av, ag, ab, as, am, y, S};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
    void *bufs[] = {q, k, v, g, be, s0, mk, ry, rs, ey, es};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
}

TEST(test_gated_delta) {
    gdu_case(1, 3, 1, 1, 4, 5, false, false);
    gdu_case(2, 4, 2, 4, 3, 5, true, false); /* Hv = 2 Hk */
    gdu_case(2, 5, 1, 3, 8, 2, true, true);  /* masked steps */
    gdu_case(1, 0, 1, 2, 4, 4, true, false); /* no steps: the state passes */
    /* Wrong calls. */
    int32_t s4[4] = {1, 2, 2, 3}, s3[3] = {1, 2, 3}, sbad[4] = {1, 2, 3, 3};
    mx_array *q = NULL, *v3 = NULL, *g = NULL, *y = NULL, *S = NULL, *m1 = NULL;
    CHECK_OK(mx_zeros(&q, s4, 4, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&v3, sbad, 4, MX_FLOAT32, NULL)); /* 3 heads vs 2 */
    CHECK_OK(mx_zeros(&g, s3, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&m1, s3, 1, MX_BOOL, NULL));
    CHECK_ERR(mx_fast_gated_delta_update(&y, &S, q, q, v3, g, g, NULL, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_gated_delta_update(&y, &S, g, g, q, g, g, NULL, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_gated_delta_update(&y, &S, q, q, q, q, q, NULL, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_gated_delta_update(&y, &S, q, q, q, g, g, NULL, m1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fast_gated_delta_update(&y, NULL, q, q, q, g, g, NULL, NULL, NULL), MX_ERR_VALUE);
    mx_array *all[] = {q, v3, g, y, S, m1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

/* ---- stft / istft ---- */

/* The reference STFT of one signal: reflect padding, rectangular or given
 * window (n_fft long), one-sided DFT in double. out[f * nfr + frame]. */
static int stft_ref(const float *x, int n, int n_fft, int hop, const float *w, bool center,
                    double complex *out) {
    int p = center ? n_fft / 2 : 0, len = n + 2 * p, nfr = 1 + (len - n_fft) / hop;
    int nf = n_fft / 2 + 1;
    for (int fr = 0; fr < nfr; fr++)
        for (int f = 0; f < nf; f++) {
            double complex s = 0;
            for (int j = 0; j < n_fft; j++) {
                int i = fr * hop + j - p;
                if (i < 0) i = -i;
                if (i >= n) i = 2 * (n - 1) - i;
                s += x[i] * (w ? w[j] : 1.0) * cexp(-2 * M_PI * I * f * j / n_fft);
            }
            out[f * nfr + fr] = s;
        }
    return nfr;
}

TEST(test_stft) {
    enum { N = 37, NFFT = 8, HOP = 3 };
    float x[2 * N], w[NFFT];
    rand_f32(x, 2 * N, -1, 1);
    for (int j = 0; j < NFFT; j++) w[j] = (float)(0.5 - 0.5 * cos(2 * M_PI * j / NFFT));
    int32_t sh[2] = {2, N}, nw = NFFT;
    mx_array *a = f32_of(x, sh, 2), *aw = f32_of(w, &nw, 1), *st = NULL, *back = NULL;
    CHECK_OK(mx_fft_stft(&st, a, NFFT, HOP, MX_FFT_N_DEFAULT, aw, true, NULL, MX_FFT_NORM_BACKWARD,
                         -1, NULL));
    int nfr = 1 + (N + NFFT - NFFT) / HOP, nf = NFFT / 2 + 1;
    CHECK(mx_array_dtype(st) == MX_COMPLEX64 && mx_array_ndim(st) == 3);
    CHECK(mx_array_dim(st, 1) == nf && mx_array_dim(st, 2) == nfr);
    size_t tot = (size_t)2 * nf * nfr;
    float complex *got = malloc(tot * sizeof *got);
    double complex *want = malloc((size_t)nf * nfr * sizeof *want);
    CHECK_OK(mx_eval(&st, 1));
    CHECK_OK(mx_array_copy_to(st, got, tot * sizeof *got));
    for (int b = 0; b < 2; b++) {
        CHECK(stft_ref(x + b * N, N, NFFT, HOP, w, true, want) == nfr);
        double err = 0;
        for (int i = 0; i < nf * nfr; i++) err = fmax(err, cabs(got[b * nf * nfr + i] - want[i]));
        CHECK(err < 1e-5);
    }
    /* The round trip gives the signal back. */
    CHECK_OK(mx_fft_istft(&back, st, NFFT, HOP, MX_FFT_N_DEFAULT, aw, true, MX_FFT_NORM_BACKWARD,
                          -1, N, NULL));
    CHECK(mx_array_dtype(back) == MX_FLOAT32 && mx_array_dim(back, 1) == N);
    double r[2 * N];
    read_f64(back, r, 2 * N);
    double err = 0;
    for (int i = 0; i < 2 * N; i++) err = fmax(err, fabs(r[i] - x[i]));
    CHECK(err < 1e-5);
    /* Not centred, rectangular window, ortho both ways, two-sided. */
    CHECK_OK(mx_fft_stft(&st, a, NFFT, MX_FFT_N_DEFAULT, MX_FFT_N_DEFAULT, NULL, false, NULL,
                         MX_FFT_NORM_ORTHO, 0, NULL));
    CHECK(mx_array_dim(st, 1) == NFFT && mx_array_dim(st, 2) == 1 + (N - NFFT) / 2);
    CHECK_OK(mx_fft_istft(&back, st, MX_FFT_N_DEFAULT, MX_FFT_N_DEFAULT, MX_FFT_N_DEFAULT, NULL,
                          false, MX_FFT_NORM_ORTHO, 0, MX_FFT_N_DEFAULT, NULL));
    int32_t L = NFFT + 2 * (mx_array_dim(st, 2) - 1);
    CHECK(mx_array_dim(back, 1) == L);
    read_f64(back, r, (size_t)2 * L);
    err = 0;
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < L; i++) err = fmax(err, fabs(r[b * L + i] - x[b * N + i]));
    CHECK(err < 1e-5);
    /* Wrong calls. */
    mx_array *s0 = test_scalar_f32(1), *w2 = NULL, *x1 = NULL;
    int32_t s22[2] = {2, 2};
    CHECK_OK(mx_zeros(&w2, s22, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_take_index_axis(&x1, a, 0, 0, NULL));
    CHECK_ERR(mx_fft_stft(&st, s0, 8, 2, 8, NULL, true, NULL, 0, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_stft(&st, a, 0, 2, 8, NULL, true, NULL, 0, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_stft(&st, a, 8, 0, 8, NULL, true, NULL, 0, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_stft(&st, a, 8, 2, 9, NULL, true, NULL, 0, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_stft(&st, a, 8, 2, 8, w2, true, NULL, 0, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_stft(&st, a, 8, 2, 8, NULL, true, "circular", 0, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_stft(&st, a, 64, 2, 8, NULL, false, NULL, 0, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_istft(&back, x1, 8, 2, 8, NULL, true, 0, -1, MX_FFT_N_DEFAULT, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_fft_istft(&back, a, 8, 0, 8, NULL, true, 0, -1, MX_FFT_N_DEFAULT, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_fft_istft(&back, a, 4, 2, 8, NULL, true, 0, -1, MX_FFT_N_DEFAULT, NULL),
              MX_ERR_VALUE);
    mx_array *all[] = {a, aw, st, back, s0, w2, x1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
    free(got);
    free(want);
}

int main(void) {
    RUN(test_minmax);
    RUN(test_unique_doc);
    RUN(test_unique_float);
    RUN(test_cross_entropy);
    RUN(test_gated_delta);
    RUN(test_stft);
    return TEST_SUMMARY();
}
