/*
 * Quantization: packed bytes, scales and biases equal to MLX 0.32's for
 * fixed inputs (with and without an "nvfp4" global scale) (tests/data/quant_vectors.h, from
 * tests/gen_quant_vectors.py), FP8 conversions, round-trip error, quantized_matmul against
 * dequantize + matmul for every mode, x dtype, transpose, batch and layout, gather_qmm against the
 * products it gathers, each SIMD level against the scalar reference, and the error cases.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/simd.h"
#include "data/quant_vectors.h"
#include "test.h"

static mx_dtype dtype_of(const char *name) {
    if (!strcmp(name, "f16")) return MX_FLOAT16;
    if (!strcmp(name, "bf16")) return MX_BFLOAT16;
    return MX_FLOAT32;
}

/* The raw bits of an evaluated array, one value per word (as the vectors). */
static uint32_t *raw_words(mx_array *a, size_t *n) {
    CHECK_OK(mx_eval(&a, 1));
    *n = mx_array_size(a);
    size_t isz = mx_array_itemsize(a);
    unsigned char *bytes = malloc(*n * isz + 1);
    uint32_t *w = malloc(*n * 4 + 4);
    CHECK_OK(mx_array_copy_to(a, bytes, *n * isz));
    for (size_t i = 0; i < *n; i++) {
        uint32_t v = 0;
        memcpy(&v, bytes + i * isz, isz);
        w[i] = v;
    }
    free(bytes);
    return w;
}

static int count_diff(mx_array *a, const uint32_t *want, int n) {
    size_t got_n = 0;
    uint32_t *got = raw_words(a, &got_n);
    int bad = got_n == (size_t)n ? 0 : 1 + n;
    for (int i = 0; i < n && (size_t)i < got_n; i++) bad += got[i] != want[i];
    free(got);
    return bad;
}

static mx_array *vector_input(mx_dtype dt) {
    int32_t shape[2] = {QV_ROWS, QV_COLS};
    mx_array *w = NULL, *c = NULL;
    CHECK_OK(mx_array_from_data(&w, qv_w, shape, 2, MX_FLOAT32));
    CHECK_OK(mx_astype(&c, w, dt, NULL));
    mx_array_free(w);
    return c;
}

TEST(test_vectors_match_mlx) {
    for (size_t i = 0; i < sizeof qv_cases / sizeof qv_cases[0]; i++) {
        const qv_case *c = &qv_cases[i];
        mx_array *w = vector_input(dtype_of(c->dtype));
        mx_array *wq = NULL, *s = NULL, *b = NULL, *d = NULL, *g = NULL;
        if (c->has_gscale) {
            float gv;
            memcpy(&gv, &c->gscale_bits, sizeof gv);
            CHECK_OK(mx_array_from_float(&g, gv, MX_FLOAT32));
        }
        CHECK_OK(mx_quantize_scaled(&wq, &s, &b, w, c->group_size, c->bits, c->mode, g, NULL));
        int bad = count_diff(wq, c->wq, c->nwq) + count_diff(s, c->scales, c->nscales);
        if (c->biases)
            bad += count_diff(b, c->biases, c->nscales);
        else
            CHECK(b == NULL);
        if (c->deq) {
            mx_dtype dt = c->biases ? MX_DTYPE_NONE : MX_FLOAT32;
            /* with a global scale: float32 whatever dtype asks */
            if (g) dt = MX_BFLOAT16;
            CHECK_OK(
                mx_dequantize_scaled(&d, wq, s, b, c->group_size, c->bits, c->mode, g, dt, NULL));
            CHECK(mx_array_dtype(d) == (g ? MX_FLOAT32 : mx_array_dtype(d)));
            bad += count_diff(d, c->deq, QV_ROWS * QV_COLS);
        }
        if (bad)
            fprintf(stderr, "  case %zu (%s %s bits %d group %d): %d values differ\n", i, c->mode,
                    c->dtype, c->bits, c->group_size, bad);
        CHECK(bad == 0);
        mx_array_free(w);
        mx_array_free(wq);
        mx_array_free(s);
        mx_array_free(b);
        mx_array_free(d);
        mx_array_free(g);
    }
}

TEST(test_fp8_conversions) {
    int32_t n = 256;
    uint8_t bytes[256];
    for (int i = 0; i < 256; i++) bytes[i] = (uint8_t)i;
    mx_array *a = NULL, *f = NULL, *x = NULL, *e = NULL, *h = NULL;
    CHECK_OK(mx_array_from_data(&a, bytes, &n, 1, MX_UINT8));
    CHECK_OK(mx_from_fp8(&f, a, MX_FLOAT32, NULL));
    size_t got_n;
    uint32_t *got = raw_words(f, &got_n);
    for (int i = 0; i < 256; i++) {
        float g, w;
        memcpy(&g, &got[i], 4);
        memcpy(&w, &qv_from_fp8[i], 4);
        if (isnan(w))
            CHECK(isnan(g));
        else
            CHECK(got[i] == qv_from_fp8[i]);
    }
    free(got);
    /* The default dtype is bfloat16, and every value fits it exactly. */
    CHECK_OK(mx_from_fp8(&h, a, MX_DTYPE_NONE, NULL));
    CHECK(mx_array_dtype(h) == MX_BFLOAT16);
    int32_t m = (int32_t)(sizeof qv_fp8_in / 4);
    CHECK_OK(mx_array_from_data(&x, qv_fp8_in, &m, 1, MX_FLOAT32));
    CHECK_OK(mx_to_fp8(&e, x, NULL));
    CHECK(mx_array_dtype(e) == MX_UINT8);
    CHECK(count_diff(e, qv_fp8_out, m) == 0);
    mx_array_free(a);
    mx_array_free(f);
    mx_array_free(h);
    mx_array_free(x);
    mx_array_free(e);
}

/* A reproducible float in [-1, 1). */
static float lcg(uint64_t *st) {
    *st = *st * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*st >> 40) / (double)(1 << 24) * 2.0 - 1.0);
}

static mx_array *rand_array(const int32_t *shape, int nd, mx_dtype dt, uint64_t seed) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    float *v = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = lcg(&seed);
    mx_array *a = NULL, *c = NULL;
    CHECK_OK(mx_array_from_data(&a, v, shape, nd, MX_FLOAT32));
    CHECK_OK(mx_astype(&c, a, dt, NULL));
    CHECK_OK(mx_eval(&c, 1));
    free(v);
    mx_array_free(a);
    return c;
}

static float *read_f32(mx_array *a, size_t *n) {
    mx_array *c = NULL;
    CHECK_OK(mx_astype(&c, a, MX_FLOAT32, NULL));
    CHECK_OK(mx_eval(&c, 1));
    *n = mx_array_size(c);
    float *v = malloc(sizeof(float) * (*n + 1));
    CHECK_OK(mx_array_copy_to(c, v, *n * sizeof(float)));
    mx_array_free(c);
    return v;
}

TEST(test_round_trip_error) {
    static const int bits[] = {1, 2, 3, 4, 5, 6, 8}, groups[] = {32, 64, 128};
    int32_t shape[2] = {8, 256};
    mx_array *w = rand_array(shape, 2, MX_FLOAT32, 11);
    size_t n;
    float *wv = read_f32(w, &n);
    for (int bi = 0; bi < 7; bi++)
        for (int gi = 0; gi < 3; gi++) {
            int g = groups[gi], nb = (1 << bits[bi]) - 1;
            mx_array *wq = NULL, *s = NULL, *b = NULL, *d = NULL;
            CHECK_OK(mx_quantize(&wq, &s, &b, w, g, bits[bi], "affine", NULL));
            CHECK_OK(mx_dequantize(&d, wq, s, b, g, bits[bi], NULL, MX_DTYPE_NONE, NULL));
            size_t ns, nd;
            float *sv = read_f32(s, &ns), *dv = read_f32(d, &nd);
            float *bv = read_f32(b, &ns);
            CHECK(nd == n);
            int bad = 0;
            for (size_t i = 0; i < n && nd == n; i++) {
                float step = fabsf(sv[i / g]);
                /* Codes strictly inside the range are within half a step;
                 * MLX's exact-edge choice of scale can push the far end one
                 * code past the range, where the clipped code is within a
                 * step. */
                float code = (dv[i] - bv[i / g]) / sv[i / g];
                bool inside = code > 0.5f && code < nb - 0.5f;
                float tol = (inside ? 0.5f : 1.0f) * step * 1.0001f + 1e-6f;
                bad += !(fabsf(dv[i] - wv[i]) <= tol);
            }
            if (bad) fprintf(stderr, "  bits %d group %d: %d values off\n", bits[bi], g, bad);
            CHECK(bad == 0);
            free(sv);
            free(dv);
            free(bv);
            mx_array_free(wq);
            mx_array_free(s);
            mx_array_free(b);
            mx_array_free(d);
        }
    free(wv);
    mx_array_free(w);
}

/* quantized_matmul(x, wq) against x @ dequantize(wq) (or its transpose) in
 * float32; the tolerance scales with sum |x| |w| and the output dtype. */
static void check_qmm(const mx_array *x, const mx_array *wq, const mx_array *s, const mx_array *b,
                      bool transpose, int g, int bits, const char *mode, const char *what) {
    mx_array *out = NULL, *d = NULL, *dt = NULL, *xf = NULL, *ref = NULL, *ax = NULL, *ad = NULL,
             *refabs = NULL;
    CHECK_OK(mx_quantized_matmul(&out, x, wq, s, b, transpose, g, bits, mode, NULL));
    CHECK_OK(mx_dequantize(&d, wq, s, b, g, bits, mode, MX_FLOAT32, NULL));
    int nd = mx_array_ndim(d);
    int perm[8];
    for (int i = 0; i < nd; i++) perm[i] = i;
    perm[nd - 2] = nd - 1, perm[nd - 1] = nd - 2;
    if (transpose)
        CHECK_OK(mx_transpose(&dt, d, perm, nd, NULL));
    else
        dt = mx_array_retain(d);
    CHECK_OK(mx_astype(&xf, x, MX_FLOAT32, NULL));
    CHECK_OK(mx_matmul(&ref, xf, dt, NULL));
    CHECK_OK(mx_abs(&ax, xf, NULL));
    CHECK_OK(mx_abs(&ad, dt, NULL));
    CHECK_OK(mx_matmul(&refabs, ax, ad, NULL));
    size_t n1, n2, n3;
    float *o = read_f32(out, &n1), *r = read_f32(ref, &n2), *ra = read_f32(refabs, &n3);
    mx_dtype odt = mx_array_dtype(out);
    double rel = odt == MX_FLOAT32 ? 2e-5 : odt == MX_FLOAT16 ? 2e-3 : 1e-2;
    CHECK(n1 == n2 && mx_array_ndim(out) == mx_array_ndim(ref));
    for (int i = 0; i < mx_array_ndim(out) && mx_array_ndim(out) == mx_array_ndim(ref); i++)
        CHECK(mx_array_shape(out)[i] == mx_array_shape(ref)[i]);
    int bad = 0;
    for (size_t i = 0; i < n1 && n1 == n2; i++)
        bad += !(fabs((double)o[i] - r[i]) <= rel * ra[i] + 1e-6);
    if (bad)
        fprintf(stderr, "  %s: %d of %zu values off (e.g. %g vs %g)\n", what, bad, n1, o[0], r[0]);
    CHECK(bad == 0);
    free(o);
    free(r);
    free(ra);
    mx_array *all[] = {out, d, dt, xf, ref, ax, ad, refabs};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

/* Quantizes a random (N, K) or (K, N) weight and checks products with x of
 * the given rows and dtype. */
static void qmm_case(const char *mode, int bits, int g, int M, int N, int K, mx_dtype xdt,
                     bool transpose, uint64_t seed) {
    int32_t wshape[2] = {transpose ? N : K, transpose ? K : N};
    int32_t xshape[2] = {M, K};
    mx_array *w = rand_array(wshape, 2, MX_FLOAT32, seed);
    mx_array *x = rand_array(xshape, 2, xdt, seed + 1);
    mx_array *wq = NULL, *s = NULL, *b = NULL;
    CHECK_OK(mx_quantize(&wq, &s, &b, w, g, bits, mode, NULL));
    char what[128];
    snprintf(what, sizeof what, "%s bits %d group %d M %d N %d K %d x %s transpose %d", mode, bits,
             g, M, N, K, mx_dtype_name(xdt), transpose);
    check_qmm(x, wq, s, b, transpose, g, bits, mode, what);
    mx_array_free(w);
    mx_array_free(x);
    mx_array_free(wq);
    mx_array_free(s);
    mx_array_free(b);
}

TEST(test_qmm_affine) {
    static const int bits[] = {1, 2, 3, 4, 5, 6, 8}, groups[] = {32, 64, 128};
    uint64_t seed = 100;
    for (int bi = 0; bi < 7; bi++)
        for (int gi = 0; gi < 3; gi++)
            for (int t = 0; t < 2; t++) {
                qmm_case("affine", bits[bi], groups[gi], 3, t ? 40 : 128, 256, MX_FLOAT32, t,
                         seed++);
                qmm_case("affine", bits[bi], groups[gi], 1, 128, 128, MX_FLOAT32, t, seed++);
            }
}

TEST(test_qmm_modes_dtypes_rows) {
    static const char *modes[] = {"affine", "mxfp4", "mxfp8", "nvfp4"};
    static const mx_dtype dts[] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16};
    static const int rows[] = {1, 2, 5, 15, 16, 33};
    uint64_t seed = 500;
    for (int mi = 0; mi < 4; mi++)
        for (int di = 0; di < 3; di++)
            for (int ri = 0; ri < 6; ri++)
                for (int t = 0; t < 2; t++)
                    qmm_case(modes[mi], 0, 0, rows[ri], t ? 96 : 128, 256, dts[di], t, seed++);
}

/* A model quantized in bfloat16 and bfloat16 activations: the products run
 * in bfloat16 pairs where the CPU has AVX512-BF16; every level is checked
 * against the reference and the scalar level. */
TEST(test_qmm_bfloat16_model) {
    static const int groups[] = {32, 64, 128}, bits[] = {4, 8}, rows[] = {1, 3, 6};
    mxi_simd_level saved = mxi_simd_active();
    uint64_t seed = 1500;
    for (int gi = 0; gi < 3; gi++)
        for (int bi = 0; bi < 2; bi++)
            for (int ri = 0; ri < 3; ri++) {
                int32_t ws[2] = {96, 256}, xs[2] = {rows[ri], 256};
                mx_array *w = rand_array(ws, 2, MX_BFLOAT16, seed++);
                mx_array *x = rand_array(xs, 2, MX_BFLOAT16, seed++);
                mx_array *wq = NULL, *s = NULL, *b = NULL, *ref = NULL;
                CHECK_OK(mx_quantize(&wq, &s, &b, w, groups[gi], bits[bi], NULL, NULL));
                char what[96];
                snprintf(what, sizeof what, "bfloat16 model, group %d bits %d rows %d", groups[gi],
                         bits[bi], rows[ri]);
                check_qmm(x, wq, s, b, true, groups[gi], bits[bi], NULL, what);
                mxi_simd_set_active(MXI_SIMD_SCALAR);
                CHECK_OK(
                    mx_quantized_matmul(&ref, x, wq, s, b, true, groups[gi], bits[bi], NULL, NULL));
                CHECK(mx_array_dtype(ref) == MX_BFLOAT16);
                size_t n;
                float *r = read_f32(ref, &n);
                for (int lv = MXI_SIMD_AVX2; lv < MXI_SIMD_LEVELS; lv++) {
                    if (mxi_simd_set_active((mxi_simd_level)lv) != 0) continue;
                    mx_array *o = NULL;
                    CHECK_OK(mx_quantized_matmul(&o, x, wq, s, b, true, groups[gi], bits[bi], NULL,
                                                 NULL));
                    size_t m;
                    float *v = read_f32(o, &m);
                    CHECK(m == n);
                    for (size_t i = 0; i < n && m == n; i++)
                        CHECK_NEAR(v[i], r[i], 1e-2 * (1 + fabsf(r[i])));
                    free(v);
                    mx_array_free(o);
                }
                mxi_simd_set_active(saved);
                free(r);
                mx_array *all[] = {w, x, wq, s, b, ref};
                for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
            }
}

TEST(test_qmm_batched_and_layouts) {
    int32_t wshape[3] = {2, 64, 128};
    mx_array *w = rand_array(wshape, 3, MX_FLOAT32, 900);
    mx_array *wq = NULL, *s = NULL, *b = NULL;
    CHECK_OK(mx_quantize(&wq, &s, &b, w, 64, 4, NULL, NULL));
    /* Batched w with broadcast x batch: (3, 1, 5, 128) x (2, 64, 128)^T. */
    int32_t xs4[4] = {3, 1, 5, 128};
    mx_array *x4 = rand_array(xs4, 4, MX_FLOAT32, 901);
    check_qmm(x4, wq, s, b, true, 64, 4, NULL, "batched w, broadcast x");
    /* A 2-d x against a batched w broadcasts to (2, 5, 64). */
    int32_t xs2[2] = {5, 128};
    mx_array *x2 = rand_array(xs2, 2, MX_BFLOAT16, 902);
    mx_array *o = NULL;
    CHECK_OK(mx_quantized_matmul(&o, x2, wq, s, b, true, 64, 4, NULL, NULL));
    CHECK(mx_array_ndim(o) == 3 && mx_array_dim(o, 0) == 2 && mx_array_dim(o, 2) == 64);
    check_qmm(x2, wq, s, b, true, 64, 4, NULL, "2-d x, batched w");
    /* Batched x (batch 4, odd rows) against a 2-d weight, both transposes. */
    mx_array *w2 = NULL, *q2 = NULL, *s2 = NULL, *b2 = NULL;
    int32_t ws2[2] = {128, 128};
    w2 = rand_array(ws2, 2, MX_FLOAT32, 903);
    CHECK_OK(mx_quantize(&q2, &s2, &b2, w2, 32, 3, NULL, NULL));
    int32_t xs3[3] = {4, 7, 128};
    mx_array *x3 = rand_array(xs3, 3, MX_FLOAT16, 904);
    check_qmm(x3, q2, s2, b2, true, 32, 3, NULL, "batched x, 3-bit");
    check_qmm(x3, q2, s2, b2, false, 32, 3, NULL, "batched x, 3-bit, w not transposed");
    /* A 1-d x gives a 1-d result. */
    int32_t xs1[1] = {128};
    mx_array *x1 = rand_array(xs1, 1, MX_FLOAT32, 905), *o1 = NULL;
    CHECK_OK(mx_quantized_matmul(&o1, x1, q2, s2, b2, true, 32, 3, NULL, NULL));
    CHECK(mx_array_ndim(o1) == 1 && mx_array_dim(o1, 0) == 128);
    check_qmm(x1, q2, s2, b2, false, 32, 3, NULL, "1-d x");
    /* A transposed (non-contiguous) x and a row slice of the packed weight. */
    int32_t xts[2] = {128, 6};
    mx_array *xt = rand_array(xts, 2, MX_FLOAT32, 906), *xtt = NULL;
    CHECK_OK(mx_transpose(&xtt, xt, NULL, 0, NULL));
    check_qmm(xtt, q2, s2, b2, true, 32, 3, NULL, "transposed x");
    int32_t st[2] = {0, 0}, sp[2] = {128, 128}, step[2] = {2, 1};
    mx_array *qs = NULL, *ss = NULL, *bs = NULL;
    CHECK_OK(mx_slice(&qs, q2, st, sp, step, 2, NULL));
    CHECK_OK(mx_slice(&ss, s2, st, sp, step, 2, NULL));
    CHECK_OK(mx_slice(&bs, b2, st, sp, step, 2, NULL));
    check_qmm(xtt, qs, ss, bs, true, 32, 3, NULL, "strided w rows");
    /* Empty rows. */
    int32_t xs0[2] = {0, 128};
    mx_array *x0 = rand_array(xs0, 2, MX_FLOAT32, 907), *o0 = NULL;
    CHECK_OK(mx_quantized_matmul(&o0, x0, q2, s2, b2, true, 32, 3, NULL, NULL));
    CHECK_OK(mx_eval(&o0, 1));
    CHECK(mx_array_size(o0) == 0 && mx_array_dim(o0, 1) == 128);
    mx_array *all[] = {w,  wq, s,  b,  x4,  x2, o,  w2, q2, s2, b2,
                       x3, x1, o1, xt, xtt, qs, ss, bs, x0, o0};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

/* Matrix i of a 3-d array, as a 2-d array. */
static mx_array *matrix_of(const mx_array *a, int i) {
    int32_t st[3] = {i, 0, 0}, sp[3] = {i + 1, mx_array_dim(a, 1), mx_array_dim(a, 2)};
    int32_t shape[2] = {sp[1], sp[2]};
    mx_array *sl = NULL, *r = NULL;
    CHECK_OK(mx_slice(&sl, a, st, sp, NULL, 3, NULL));
    CHECK_OK(mx_reshape(&r, sl, shape, 2, NULL));
    mx_array_free(sl);
    return r;
}

/* gather_qmm(x, w, lhs, rhs) against quantized_matmul of the matrices the
 * indices name (x 3-d or 2-d, w 3-d). */
static void check_gather(const mx_array *x, const mx_array *wq, const mx_array *s,
                         const mx_array *b, const int32_t *lhs, const int32_t *rhs, int n,
                         bool transpose, int g, int bits, const char *mode) {
    mx_array *li = NULL, *ri = NULL, *o = NULL;
    if (lhs) CHECK_OK(mx_array_from_data(&li, lhs, &n, 1, MX_INT32));
    if (rhs) CHECK_OK(mx_array_from_data(&ri, rhs, &n, 1, MX_INT32));
    CHECK_OK(mx_gather_qmm(&o, x, wq, s, b, li, ri, transpose, g, bits, mode, false, NULL));
    size_t no;
    float *ov = read_f32(o, &no);
    CHECK(mx_array_ndim(o) == 3 && mx_array_dim(o, 0) == n);
    size_t per = no / (size_t)n;
    for (int i = 0; i < n; i++) {
        int xi = lhs ? lhs[i] : i, wi = rhs ? rhs[i] : i;
        mx_array *xm = mx_array_ndim(x) == 3 ? matrix_of(x, xi) : mx_array_retain((mx_array *)x);
        mx_array *wm = matrix_of(wq, wi), *sm = matrix_of(s, wi), *bm = b ? matrix_of(b, wi) : NULL;
        mx_array *r = NULL;
        CHECK_OK(mx_quantized_matmul(&r, xm, wm, sm, bm, transpose, g, bits, mode, NULL));
        size_t nr;
        float *rv = read_f32(r, &nr);
        CHECK(nr == per);
        for (size_t k = 0; k < per && nr == per; k++)
            CHECK_NEAR(ov[i * per + k], rv[k], 1e-5 * (1 + fabsf(rv[k])));
        free(rv);
        mx_array *all[] = {xm, wm, sm, bm, r};
        for (size_t k = 0; k < sizeof all / sizeof *all; k++) mx_array_free(all[k]);
    }
    free(ov);
    mx_array_free(li);
    mx_array_free(ri);
    mx_array_free(o);
}

TEST(test_gather_qmm) {
    int32_t ws[3] = {4, 32, 64}, xs[3] = {2, 3, 64}, x2s[2] = {3, 64}, wts[3] = {4, 64, 64};
    mx_array *w = rand_array(ws, 3, MX_FLOAT32, 1400), *x = rand_array(xs, 3, MX_FLOAT32, 1401);
    mx_array *x2 = rand_array(x2s, 2, MX_BFLOAT16, 1402),
             *wt = rand_array(wts, 3, MX_FLOAT32, 1403);
    mx_array *wq = NULL, *s = NULL, *b = NULL, *q4 = NULL, *s4 = NULL, *n4 = NULL;
    mx_array *tq = NULL, *tsc = NULL, *tb = NULL;
    CHECK_OK(mx_quantize(&wq, &s, &b, w, 32, 4, NULL, NULL));
    CHECK_OK(mx_quantize(&q4, &s4, &n4, w, 0, 0, "mxfp4", NULL));
    CHECK_OK(mx_quantize(&tq, &tsc, &tb, wt, 64, 3, NULL, NULL));
    int32_t l3[3] = {0, 1, 1}, r3[3] = {1, 3, 2}, r5[5] = {0, 2, 2, 3, 1}, r2[2] = {1, 3};
    mx_array *li = NULL, *ri = NULL, *o = NULL;
    int32_t n = 2;
    /* rhs only: lhs is arange over x's 2 matrices. */
    CHECK_OK(mx_array_from_data(&ri, r2, &n, 1, MX_INT32));
    CHECK_OK(mx_gather_qmm(&o, x, wq, s, b, NULL, ri, true, 32, 4, NULL, false, NULL));
    CHECK(mx_array_ndim(o) == 3 && mx_array_dim(o, 0) == 2 && mx_array_dim(o, 2) == 32);
    int32_t l2[2] = {0, 1};
    check_gather(x, wq, s, b, l2, r2, 2, true, 32, 4, NULL);
    check_gather(x, wq, s, b, l3, r3, 3, true, 32, 4, NULL);
    check_gather(x2, wq, s, b, NULL, r5, 5, true, 32, 4, NULL);
    check_gather(x2, q4, s4, NULL, NULL, r5, 5, true, 0, 0, "mxfp4");
    check_gather(x2, tq, tsc, tb, NULL, r5, 5, false, 64, 3, NULL);
    /* Out of range fails at eval; float indices and 1-d x at build. */
    int32_t bad[2] = {1, 4};
    mx_array *bi = NULL, *fi = NULL, *ob = NULL, *x1 = NULL;
    CHECK_OK(mx_array_from_data(&bi, bad, &n, 1, MX_INT32));
    CHECK_OK(mx_gather_qmm(&ob, x, wq, s, b, NULL, bi, true, 32, 4, NULL, false, NULL));
    CHECK_ERR(mx_eval(&ob, 1), MX_ERR_INDEX);
    CHECK_OK(mx_astype(&fi, ri, MX_FLOAT32, NULL));
    mx_array *none = NULL;
    CHECK_ERR(mx_gather_qmm(&none, x, wq, s, b, NULL, fi, true, 32, 4, NULL, false, NULL),
              MX_ERR_VALUE);
    int32_t st[2] = {0, 0}, sp[2] = {1, 64};
    CHECK_OK(mx_slice(&x1, x2, st, sp, NULL, 2, NULL));
    CHECK_OK(mx_reshape(&x1, x1, &sp[1], 1, NULL));
    CHECK_ERR(mx_gather_qmm(&none, x1, wq, s, b, NULL, ri, true, 32, 4, NULL, false, NULL),
              MX_ERR_VALUE);
    /* Without indices, both default to aranges that must broadcast. */
    CHECK_ERR(mx_gather_qmm(&none, x, wq, s, b, NULL, NULL, true, 32, 4, NULL, false, NULL),
              MX_ERR_VALUE);
    CHECK(none == NULL);
    mx_array *all[] = {w, x, x2, wt, wq, s, b, q4, s4, n4, tq, tsc, tb, li, ri, o, bi, fi, ob, x1};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

TEST(test_simd_levels_agree) {
    static const char *modes[] = {"affine", "mxfp4", "mxfp8", "nvfp4"};
    mxi_simd_level saved = mxi_simd_active();
    int32_t ws[2] = {64, 256}, xs[2] = {3, 256}, xns[2] = {5, 64};
    mx_array *w = rand_array(ws, 2, MX_FLOAT32, 1200), *xt = rand_array(xs, 2, MX_FLOAT32, 1201);
    mx_array *xn = rand_array(xns, 2, MX_FLOAT32, 1202);
    for (int mi = 0; mi < 4; mi++)
        for (int bits = 2; bits <= 8; bits *= 2)
            for (int t = 0; t < 2; t++) {
                if (mi > 0 && bits != 4) continue;
                int qb = mi ? 0 : bits;
                mx_array *wq = NULL, *s = NULL, *b = NULL, *ref = NULL, *x = t ? xt : xn;
                CHECK_OK(mx_quantize(&wq, &s, &b, w, 0, qb, modes[mi], NULL));
                mxi_simd_set_active(MXI_SIMD_SCALAR);
                CHECK_OK(mx_quantized_matmul(&ref, x, wq, s, b, t, 0, qb, modes[mi], NULL));
                size_t n;
                float *r = read_f32(ref, &n);
                for (int lv = MXI_SIMD_AVX2; lv < MXI_SIMD_LEVELS; lv++) {
                    if (mxi_simd_set_active((mxi_simd_level)lv) != 0) continue;
                    mx_array *o = NULL;
                    CHECK_OK(mx_quantized_matmul(&o, x, wq, s, b, t, 0, qb, modes[mi], NULL));
                    size_t m;
                    float *v = read_f32(o, &m);
                    CHECK(m == n);
                    for (size_t i = 0; i < n && m == n; i++)
                        CHECK_NEAR(v[i], r[i], 1e-4 * (1 + fabsf(r[i])));
                    free(v);
                    mx_array_free(o);
                }
                mxi_simd_set_active(saved);
                free(r);
                mx_array_free(wq);
                mx_array_free(s);
                mx_array_free(b);
                mx_array_free(ref);
            }
    mx_array_free(w);
    mx_array_free(xt);
    mx_array_free(xn);
}

TEST(test_quantize_shapes_and_empty) {
    int32_t s3[3] = {2, 3, 64};
    mx_array *w = rand_array(s3, 3, MX_BFLOAT16, 1300), *wq = NULL, *s = NULL, *b = NULL;
    CHECK_OK(mx_quantize(&wq, &s, &b, w, 0, 0, NULL, NULL));
    CHECK(mx_array_ndim(wq) == 3 && mx_array_dim(wq, 2) == 8 && mx_array_dtype(wq) == MX_UINT32);
    CHECK(mx_array_dim(s, 2) == 1 && mx_array_dtype(s) == MX_BFLOAT16);
    CHECK(mx_array_dtype(b) == MX_BFLOAT16);
    mx_array *q4 = NULL, *s4 = NULL, *b4 = NULL;
    CHECK_OK(mx_quantize(&q4, &s4, &b4, w, 0, 0, "nvfp4", NULL));
    CHECK(b4 == NULL && mx_array_dtype(s4) == MX_UINT8 && mx_array_dim(s4, 2) == 4);
    mx_array *d = NULL;
    CHECK_OK(mx_dequantize(&d, q4, s4, NULL, 0, 0, "nvfp4", MX_DTYPE_NONE, NULL));
    CHECK(mx_array_dtype(d) == MX_BFLOAT16 && mx_array_dim(d, 2) == 64);
    int32_t s0[2] = {0, 64};
    mx_array *e = rand_array(s0, 2, MX_FLOAT32, 1), *eq = NULL, *es = NULL, *eb = NULL;
    CHECK_OK(mx_quantize(&eq, &es, &eb, e, 0, 0, NULL, NULL));
    mx_array *ev[3] = {eq, es, eb};
    CHECK_OK(mx_eval(ev, 3));
    CHECK(mx_array_size(eq) == 0 && mx_array_dim(eq, 1) == 8);
    mx_array *all[] = {w, wq, s, b, q4, s4, d, e, eq, es, eb};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

TEST(test_wrong_calls) {
    int32_t s2[2] = {4, 64}, s48[2] = {4, 48}, s1[1] = {64};
    mx_array *w = rand_array(s2, 2, MX_FLOAT32, 2), *w48 = rand_array(s48, 2, MX_FLOAT32, 3);
    mx_array *w1 = rand_array(s1, 1, MX_FLOAT32, 4), *wi = NULL, *w64 = NULL;
    CHECK_OK(mx_astype(&wi, w, MX_INT32, NULL));
    CHECK_OK(mx_astype(&w64, w, MX_FLOAT64, NULL));
    mx_array *q = NULL, *s = NULL, *b = NULL;
    CHECK_ERR(mx_quantize(&q, &s, &b, w, 16, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize(&q, &s, &b, w, 64, 7, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize(&q, &s, &b, w, 64, 9, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize(&q, &s, &b, w48, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize(&q, &s, &b, w1, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize(&q, &s, &b, wi, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize(&q, &s, &b, w64, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize(&q, &s, &b, w, 0, 0, "int4", NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize(&q, &s, &b, w, 64, 0, "mxfp4", NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize(&q, &s, &b, w, 0, 8, "nvfp4", NULL), MX_ERR_VALUE);
    CHECK(q == NULL && s == NULL && b == NULL);

    CHECK_OK(mx_quantize(&q, &s, &b, w, 64, 4, NULL, NULL));
    int32_t xs[2] = {3, 64}, xbad[2] = {3, 32};
    mx_array *x = rand_array(xs, 2, MX_FLOAT32, 5), *xb = rand_array(xbad, 2, MX_FLOAT32, 6);
    mx_array *x64 = NULL, *x0 = NULL, *qi = NULL, *o = NULL;
    CHECK_OK(mx_astype(&x64, x, MX_FLOAT64, NULL));
    CHECK_OK(mx_array_from_float(&x0, 1.0, MX_FLOAT32));
    CHECK_OK(mx_astype(&qi, q, MX_INT32, NULL));
    CHECK_ERR(mx_quantized_matmul(&o, xb, q, s, b, true, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantized_matmul(&o, x, q, s, b, false, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantized_matmul(&o, x, q, s, b, true, 64, 8, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantized_matmul(&o, x, q, s, b, true, 32, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantized_matmul(&o, x, q, s, NULL, true, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantized_matmul(&o, x, q, s, b, true, 64, 4, "mxfp4", NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantized_matmul(&o, x, qi, s, b, true, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantized_matmul(&o, x64, q, s, b, true, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantized_matmul(&o, x0, q, s, b, true, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantized_matmul(&o, x, q, b, s, true, 64, 4, "bogus", NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantized_matmul(&o, x, q, x, x, true, 64, 4, NULL, NULL), MX_ERR_VALUE);
    CHECK(o == NULL);
    mx_array *d = NULL;
    CHECK_ERR(mx_dequantize(&d, q, s, NULL, 64, 4, NULL, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_dequantize(&d, q, s, b, 64, 3, NULL, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_dequantize(&d, qi, s, b, 64, 4, NULL, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_dequantize(&d, q, s, b, 64, 4, NULL, MX_INT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_dequantize(&d, q, s, b, 0, 0, "mxfp8", MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    mx_array *f8 = NULL;
    CHECK_ERR(mx_to_fp8(&f8, wi, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_from_fp8(&f8, w, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK(d == NULL && f8 == NULL);
    mx_array *all[] = {w, w48, w1, wi, w64, q, s, b, x, xb, x64, x0, qi};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

/* The "nvfp4" global scale: round trip, products with it, and its errors. */
TEST(test_global_scale) {
    int32_t ws[2] = {8, 64}, w3s[3] = {3, 16, 64}, xs[3] = {2, 3, 64};
    mx_array *w = rand_array(ws, 2, MX_FLOAT32, 1500), *w3 = rand_array(w3s, 3, MX_FLOAT32, 1501);
    mx_array *x = rand_array(xs, 3, MX_FLOAT32, 1502);
    mx_array *g = NULL, *g2 = NULL, *gh = NULL, *q = NULL, *s = NULL, *b = NULL, *d = NULL;
    mx_array *d0 = NULL, *none = NULL;
    CHECK_OK(mx_array_from_float(&g, 1.0, MX_FLOAT32));
    /* gs = 448 * 6 is no scaling at all: the same bytes as without */
    CHECK_OK(mx_array_from_float(&g2, 2688.0, MX_FLOAT32));
    CHECK_OK(mx_quantize_scaled(&q, &s, &b, w, 0, 0, "nvfp4", g2, NULL));
    mx_array *q0 = NULL, *s0 = NULL;
    CHECK_OK(mx_quantize(&q0, &s0, &b, w, 0, 0, "nvfp4", NULL));
    size_t n1, n2;
    uint32_t *a1 = raw_words(q, &n1), *a2 = raw_words(q0, &n2);
    CHECK(n1 == n2 && !memcmp(a1, a2, n1 * 4));
    free(a1), free(a2);
    CHECK_OK(mx_dequantize_scaled(&d, q, s, NULL, 0, 0, "nvfp4", g2, MX_FLOAT16, NULL));
    CHECK_OK(mx_dequantize(&d0, q0, s0, NULL, 0, 0, "nvfp4", MX_FLOAT32, NULL));
    CHECK(mx_array_dtype(d) == MX_FLOAT32);
    a1 = raw_words(d, &n1), a2 = raw_words(d0, &n2);
    CHECK(n1 == n2 && !memcmp(a1, a2, n1 * 4));
    free(a1), free(a2);
    /* errors: other modes, shapes and dtypes of the scale */
    int32_t two = 2;
    float gv[2] = {1, 2};
    CHECK_OK(mx_array_from_data(&gh, gv, &two, 1, MX_FLOAT32));
    mx_array *gf16 = NULL;
    CHECK_OK(mx_array_from_float(&gf16, 1.0, MX_FLOAT16));
    mx_array *q2 = NULL, *s2 = NULL, *b2 = NULL;
    CHECK_ERR(mx_quantize_scaled(&q2, &s2, &b2, w, 0, 0, "mxfp4", g, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize_scaled(&q2, &s2, &b2, w, 64, 4, NULL, g, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize_scaled(&q2, &s2, &b2, w, 0, 0, "nvfp4", gh, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_quantize_scaled(&q2, &s2, &b2, w, 0, 0, "nvfp4", gf16, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_dequantize_scaled(&none, q, s, NULL, 0, 0, "nvfp4", gh, MX_DTYPE_NONE, NULL),
              MX_ERR_VALUE);
    CHECK(q2 == NULL && none == NULL);
    /* gather_qmm: one scale per matrix of w, each product scaled by it */
    mx_array *q3 = NULL, *s3 = NULL, *g3 = NULL, *r = NULL, *r0 = NULL, *ri = NULL;
    CHECK_OK(mx_quantize(&q3, &s3, &b, w3, 0, 0, "nvfp4", NULL));
    float g3v[3] = {2688.0f * 2, 2688.0f, 2688.0f * 0.5f};
    int32_t three = 3, rv[2] = {0, 2};
    CHECK_OK(mx_array_from_data(&g3, g3v, &three, 1, MX_FLOAT32));
    CHECK_OK(mx_array_from_data(&ri, rv, &two, 1, MX_INT32));
    CHECK_OK(
        mx_gather_qmm_scaled(&r, x, q3, s3, NULL, NULL, ri, true, 0, 0, "nvfp4", g3, false, NULL));
    CHECK_OK(mx_gather_qmm(&r0, x, q3, s3, NULL, NULL, ri, true, 0, 0, "nvfp4", false, NULL));
    size_t nr, nr0;
    float *rv1 = read_f32(r, &nr), *rv0 = read_f32(r0, &nr0);
    CHECK(nr == nr0 && nr == 2 * 3 * 16);
    for (size_t i = 0; i < nr && nr == nr0; i++)
        CHECK(rv1[i] == rv0[i] * (i < nr / 2 ? 2.0f : 0.5f));
    free(rv1), free(rv0);
    CHECK_ERR(
        mx_gather_qmm_scaled(&none, x, q3, s3, NULL, NULL, ri, true, 0, 0, "nvfp4", g, false, NULL),
        MX_ERR_VALUE);
    CHECK_ERR(mx_gather_qmm_scaled(&none, x, q3, s3, NULL, NULL, ri, true, 0, 0, "mxfp4", g3, false,
                                   NULL),
              MX_ERR_VALUE);
    /* qqmm: with gs = 448 * 6 for both, as without */
    mx_array *y = NULL, *y0 = NULL, *x2 = NULL;
    int32_t x2s[2] = {3, 64};
    x2 = rand_array(x2s, 2, MX_FLOAT32, 1503);
    CHECK_OK(mx_qqmm_scaled(&y, x2, w, NULL, 0, 0, "nvfp4", g2, g2, NULL));
    CHECK_OK(mx_qqmm(&y0, x2, w, NULL, 0, 0, "nvfp4", NULL));
    a1 = raw_words(y, &n1), a2 = raw_words(y0, &n2);
    CHECK(n1 == n2 && !memcmp(a1, a2, n1 * 4));
    free(a1), free(a2);
    CHECK_ERR(mx_qqmm_scaled(&none, x2, w, NULL, 0, 0, "mxfp8", g, NULL, NULL), MX_ERR_VALUE);
    mx_array *all[] = {w,  w3,   x,  g,  g2, gh, q,  s,  b, d,  d0, q0,
                       s0, gf16, q3, s3, g3, r,  r0, ri, y, y0, x2};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

int main(void) {
    RUN(test_vectors_match_mlx);
    RUN(test_fp8_conversions);
    RUN(test_round_trip_error);
    RUN(test_qmm_affine);
    RUN(test_qmm_modes_dtypes_rows);
    RUN(test_qmm_bfloat16_model);
    RUN(test_qmm_batched_and_layouts);
    RUN(test_gather_qmm);
    RUN(test_simd_levels_agree);
    RUN(test_quantize_shapes_and_empty);
    RUN(test_wrong_calls);
    RUN(test_global_scale);
    return TEST_SUMMARY();
}
