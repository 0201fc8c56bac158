/* qqmm and gather_qqmm: both operands quantized, against the product of
 * their dequantized values computed here. */
#include "test.h"

static mx_array *randn(int32_t r, int32_t c, uint64_t seed) {
    mx_array *k = NULL, *x = NULL;
    int32_t shape[2] = {r, c};
    CHECK_OK(mx_random_key(&k, seed));
    CHECK_OK(mx_random_normal_scalar(&x, shape, 2, MX_FLOAT32, 0.0f, 1.0f, k, NULL));
    CHECK_OK(mx_eval(&x, 1));
    mx_array_free(k);
    return x;
}

/* The values a quantized round trip gives, on the host. */
static float *dequantized(mx_array *a, const char *mode) {
    mx_array *q = NULL, *s = NULL, *b = NULL, *d = NULL;
    CHECK_OK(mx_quantize(&q, &s, &b, a, 0, 0, mode, NULL));
    CHECK_OK(mx_dequantize(&d, q, s, NULL, 0, 0, mode, MX_FLOAT32, NULL));
    size_t n = mx_array_size(a);
    float *v = malloc(n * sizeof(float));
    test_read_f32(d, v, n);
    mx_array_free(q), mx_array_free(s), mx_array_free(b), mx_array_free(d);
    return v;
}

TEST(test_qqmm_values) {
    const char *modes[2] = {"nvfp4", "mxfp8"};
    for (int m = 0; m < 2; m++) {
        mx_array *x = randn(3, 64, 1), *w = randn(8, 64, 2), *r = NULL;
        float *xd = dequantized(x, modes[m]), *wd = dequantized(w, modes[m]);
        CHECK_OK(mx_qqmm(&r, x, w, NULL, 0, 0, modes[m], NULL));
        float got[24];
        test_read_f32(r, got, 24);
        int bad = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 8; j++) {
                double s = 0;
                for (int k = 0; k < 64; k++) s += (double)xd[i * 64 + k] * wd[j * 64 + k];
                bad += fabs(got[i * 8 + j] - s) > 1e-4 * (1 + fabs(s));
            }
        CHECK(bad == 0);
        /* A pre-quantized w gives the same product. */
        mx_array *q = NULL, *sc = NULL, *b = NULL, *r2 = NULL;
        CHECK_OK(mx_quantize(&q, &sc, &b, w, 0, 0, modes[m], NULL));
        CHECK_OK(mx_qqmm(&r2, x, q, sc, 0, 0, modes[m], NULL));
        float got2[24];
        test_read_f32(r2, got2, 24);
        CHECK(memcmp(got, got2, sizeof got) == 0);
        /* gather_qqmm over a batch of two weights. */
        mx_array *w3 = NULL, *idx = NULL, *r3 = NULL;
        mx_array *pair[2] = {w, w};
        CHECK_OK(mx_stack(&w3, (const mx_array *const *)pair, 2, 0, NULL));
        uint32_t iv[1] = {1};
        int32_t one = 1;
        CHECK_OK(mx_array_from_data(&idx, iv, &one, 1, MX_UINT32));
        CHECK_OK(mx_gather_qqmm(&r3, x, w3, NULL, NULL, idx, 0, 0, modes[m], false, NULL));
        float got3[24];
        test_read_f32(r3, got3, 24);
        CHECK(memcmp(got, got3, sizeof got) == 0);
        free(xd), free(wd);
        mx_array *all[] = {x, w, r, q, sc, b, r2, w3, idx, r3};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
    }
}

/* The result takes x's dtype whatever w's is, as in MLX. */
TEST(test_qqmm_dtype_of_x) {
    mx_array *x = randn(2, 64, 4), *w = randn(4, 64, 5), *xb = NULL, *r = NULL;
    CHECK_OK(mx_astype(&xb, x, MX_BFLOAT16, NULL));
    CHECK_OK(mx_qqmm(&r, xb, w, NULL, 0, 0, NULL, NULL));
    CHECK(mx_array_dtype(r) == MX_BFLOAT16);
    CHECK_OK(mx_eval(&r, 1));
    mx_array_free(x), mx_array_free(w), mx_array_free(xb), mx_array_free(r);
}

TEST(test_qqmm_errors) {
    mx_array *x = randn(3, 64, 1), *w = randn(8, 64, 2), *r = NULL, *x64 = NULL;
    CHECK_ERR(mx_qqmm(&r, x, w, NULL, 0, 0, "affine", NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_qqmm(&r, x, w, x, 0, 0, NULL, NULL), MX_ERR_VALUE); /* scales, w not packed */
    CHECK_OK(mx_astype(&x64, x, MX_FLOAT64, NULL));
    CHECK_ERR(mx_qqmm(&r, x64, w, NULL, 0, 0, NULL, NULL), MX_ERR_VALUE);
    mx_array *w5 = randn(8, 48, 3); /* 48 is not a multiple of 32 for mxfp8 */
    CHECK(mx_qqmm(&r, x, w5, NULL, 0, 0, "mxfp8", NULL) != MX_OK);
    CHECK(r == NULL);
    mx_array_free(x), mx_array_free(w), mx_array_free(x64), mx_array_free(w5);
}

int main(void) {
    RUN(test_qqmm_values);
    RUN(test_qqmm_dtype_of_x);
    RUN(test_qqmm_errors);
    return TEST_SUMMARY();
}
