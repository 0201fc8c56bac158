/*
 * The first ops through the public API: arithmetic with MLX's promotion and
 * broadcasting, astype, full/zeros/ones, sum and matmul, on contiguous and
 * strided inputs, with values checked against MLX's (mlx.core 0.32), and
 * wrong calls that must fail cleanly.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"

/* ---- helpers ---- */

static mx_array *from(const void *data, const int32_t *shape, int ndim, mx_dtype dtype) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, data, shape, ndim, dtype));
    return a;
}

static mx_array *f32(const float *data, const int32_t *shape, int ndim) {
    return from(data, shape, ndim, MX_FLOAT32);
}

/* Evaluates a and copies its elements (row-major) to dst; true when the
 * shape is the one expected. */
static bool read_back(mx_array *a, void *dst, size_t bytes, const int32_t *shape, int ndim) {
    if (!a) return false;
    CHECK_OK(mx_eval(&a, 1));
    bool same = mx_array_ndim(a) == ndim;
    for (int i = 0; same && i < ndim; i++) same = mx_array_shape(a)[i] == shape[i];
    CHECK(same);
    if (!same || mx_array_nbytes(a) > bytes) return false;
    CHECK_OK(mx_array_copy_to(a, dst, bytes));
    return true;
}

static bool all_close(const float *got, const float *want, int n, double tol) {
    for (int i = 0; i < n; i++)
        if (!(fabs((double)got[i] - (double)want[i]) <= tol)) {
            fprintf(stderr, "  element %d: got %g, want %g\n", i, got[i], want[i]);
            return false;
        }
    return true;
}

static mx_array *arange_f32(int n) {
    mx_array *a = NULL;
    CHECK_OK(mx_arange(&a, 0, n, 1, MX_FLOAT32, NULL));
    return a;
}

static mx_array *reshaped(mx_array *a, const int32_t *shape, int ndim) {
    mx_array *r = NULL;
    CHECK_OK(mx_reshape(&r, a, shape, ndim, NULL));
    mx_array_free(a);
    return r;
}

/* ---- arithmetic ---- */

TEST(test_arith_broadcast) {
    float av[3] = {1, 2, 3}, bv[4] = {10, 20, 30, 40};
    int32_t sa[2] = {3, 1}, sb[2] = {1, 4}, so[2] = {3, 4};
    mx_array *a = f32(av, sa, 2), *b = f32(bv, sb, 2), *r = NULL;
    float got[12], want[12];

    CHECK_OK(mx_add(&r, a, b, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT32);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) want[i * 4 + j] = av[i] + bv[j];
    if (read_back(r, got, sizeof got, so, 2)) CHECK(all_close(got, want, 12, 0));

    CHECK_OK(mx_subtract(&r, a, b, NULL));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) want[i * 4 + j] = av[i] - bv[j];
    if (read_back(r, got, sizeof got, so, 2)) CHECK(all_close(got, want, 12, 0));

    CHECK_OK(mx_multiply(&r, b, a, NULL));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) want[i * 4 + j] = av[i] * bv[j];
    if (read_back(r, got, sizeof got, so, 2)) CHECK(all_close(got, want, 12, 0));

    CHECK_OK(mx_divide(&r, a, b, NULL));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) want[i * 4 + j] = av[i] / bv[j];
    if (read_back(r, got, sizeof got, so, 2)) CHECK(all_close(got, want, 12, 0));

    /* A 0-d operand broadcasts everywhere. */
    mx_array *two = NULL;
    CHECK_OK(mx_array_from_float(&two, 2.0, MX_FLOAT32));
    CHECK_OK(mx_multiply(&r, two, b, NULL));
    float w4[4] = {20, 40, 60, 80};
    if (read_back(r, got, sizeof got, sb, 2)) CHECK(all_close(got, w4, 4, 0));

    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(two);
    mx_array_free(r);
}

TEST(test_arith_promotion) {
    int32_t n3 = 3;
    mx_array *r = NULL;
    /* uint8 + int8 -> int16 */
    uint8_t u8[3] = {200, 0, 255};
    int8_t i8[3] = {-100, -1, 127};
    mx_array *a = from(u8, &n3, 1, MX_UINT8), *b = from(i8, &n3, 1, MX_INT8);
    CHECK_OK(mx_add(&r, a, b, NULL));
    CHECK(mx_array_dtype(r) == MX_INT16);
    int16_t s16[3];
    if (read_back(r, s16, sizeof s16, &n3, 1))
        CHECK(s16[0] == 100 && s16[1] == -1 && s16[2] == 382);
    /* uint8 - uint8 wraps */
    uint8_t one_two[3] = {1, 2, 3}, twos[3] = {2, 2, 2}, u8o[3];
    mx_array *c = from(one_two, &n3, 1, MX_UINT8), *d = from(twos, &n3, 1, MX_UINT8);
    CHECK_OK(mx_subtract(&r, c, d, NULL));
    CHECK(mx_array_dtype(r) == MX_UINT8);
    if (read_back(r, u8o, sizeof u8o, &n3, 1)) CHECK(u8o[0] == 255 && u8o[1] == 0 && u8o[2] == 1);
    /* int32 / int32 is true division in float32 */
    int32_t iv[3] = {7, -7, 1}, id[3] = {2, 2, 0};
    mx_array *e = from(iv, &n3, 1, MX_INT32), *f = from(id, &n3, 1, MX_INT32);
    CHECK_OK(mx_divide(&r, e, f, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT32);
    float fo[3];
    if (read_back(r, fo, sizeof fo, &n3, 1)) CHECK(fo[0] == 3.5f && fo[1] == -3.5f && isinf(fo[2]));
    /* bool + bool stays bool (or); bool * bool is and */
    bool bt[3] = {true, false, true}, bf[3] = {true, true, false};
    uint8_t bo[3];
    mx_array *g = from(bt, &n3, 1, MX_BOOL), *h = from(bf, &n3, 1, MX_BOOL);
    CHECK_OK(mx_add(&r, g, h, NULL));
    CHECK(mx_array_dtype(r) == MX_BOOL);
    if (read_back(r, bo, sizeof bo, &n3, 1)) CHECK(bo[0] == 1 && bo[1] == 1 && bo[2] == 1);
    CHECK_OK(mx_multiply(&r, g, h, NULL));
    if (read_back(r, bo, sizeof bo, &n3, 1)) CHECK(bo[0] == 1 && bo[1] == 0 && bo[2] == 0);
    /* float16 + bfloat16 -> float32 */
    mx_array *x16 = NULL, *xbf = NULL;
    CHECK_OK(mx_array_from_float(&x16, 1.5, MX_FLOAT16));
    CHECK_OK(mx_array_from_float(&xbf, 0.25, MX_BFLOAT16));
    CHECK_OK(mx_add(&r, x16, xbf, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT32);
    double dv = 0;
    CHECK_OK(mx_array_item_double(&dv, r));
    CHECK(dv == 1.75);
    /* int32 + float16 -> float16, rounded once */
    CHECK_OK(mx_add(&r, e, x16, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT16);
    uint16_t h16[3];
    if (read_back(r, h16, sizeof h16, &n3, 1))
        CHECK(h16[0] == mx_float_to_half(8.5f) && h16[1] == mx_float_to_half(-5.5f));
    /* complex */
    mx_array *z1 = NULL, *z2 = NULL;
    CHECK_OK(mx_array_from_complex(&z1, 1, 2));
    CHECK_OK(mx_array_from_complex(&z2, 3, 4));
    CHECK_OK(mx_multiply(&r, z1, z2, NULL));
    mx_complex64 z;
    CHECK_OK(mx_array_item_complex(&z, r));
    CHECK(z.real == -5 && z.imag == 10);
    CHECK_OK(mx_divide(&r, z2, z1, NULL));
    CHECK_OK(mx_array_item_complex(&z, r));
    CHECK_NEAR(z.real, 2.2, 1e-6);
    CHECK_NEAR(z.imag, -0.4, 1e-6);
    /* complex with an integer promotes to complex */
    CHECK_OK(mx_add(&r, e, z1, NULL));
    CHECK(mx_array_dtype(r) == MX_COMPLEX64);

    mx_array *all[] = {a, b, c, d, e, f, g, h, x16, xbf, z1, z2, r};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

TEST(test_arith_strided_inputs) {
    /* x = arange(12).reshape(3, 4) */
    int32_t s34[2] = {3, 4};
    mx_array *x = reshaped(arange_f32(12), s34, 2), *r = NULL, *v = NULL;
    float got[12];
    /* x[::-1, ::2] * 2 = [[16, 20], [8, 12], [0, 4]] */
    int32_t start[2] = {-1, 0}, stop[2] = {-4, 4}, step[2] = {-1, 2}, s32[2] = {3, 2};
    CHECK_OK(mx_slice(&v, x, start, stop, step, 2, NULL));
    mx_array *two = NULL;
    CHECK_OK(mx_array_from_float(&two, 2.0, MX_FLOAT32));
    CHECK_OK(mx_multiply(&r, v, two, NULL));
    float w1[6] = {16, 20, 8, 12, 0, 4};
    if (read_back(r, got, sizeof got, s32, 2)) CHECK(all_close(got, w1, 6, 0));
    /* x.T + x.T (both transposed) and x.T - broadcast row */
    mx_array *t = NULL;
    CHECK_OK(mx_transpose(&t, x, NULL, 0, NULL));
    CHECK_OK(mx_add(&r, t, t, NULL));
    int32_t s43[2] = {4, 3};
    float w2[12];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) w2[i * 3 + j] = 2.0f * (float)(j * 4 + i);
    if (read_back(r, got, sizeof got, s43, 2)) CHECK(all_close(got, w2, 12, 0));
    float rowv[3] = {1, 2, 3};
    int32_t n3 = 3;
    mx_array *row = f32(rowv, &n3, 1);
    CHECK_OK(mx_subtract(&r, t, row, NULL));
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) w2[i * 3 + j] = (float)(j * 4 + i) - rowv[j];
    if (read_back(r, got, sizeof got, s43, 2)) CHECK(all_close(got, w2, 12, 0));
    /* Broadcasting a column against a transposed view. */
    float colv[4] = {100, 200, 300, 400};
    int32_t s41[2] = {4, 1};
    mx_array *col = f32(colv, s41, 2);
    CHECK_OK(mx_add(&r, col, t, NULL));
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) w2[i * 3 + j] = colv[i] + (float)(j * 4 + i);
    if (read_back(r, got, sizeof got, s43, 2)) CHECK(all_close(got, w2, 12, 0));
    mx_array *all[] = {x, r, v, two, t, row, col};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

TEST(test_arith_chain_and_large) {
    /* x = x * a + b written in place, over enough elements for the thread
     * pool; values stay exact in float32. */
    int32_t n = 300000;
    mx_array *x = NULL, *a = NULL, *b = NULL;
    CHECK_OK(mx_arange(&x, 0, n, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_array_from_float(&a, 2.0, MX_FLOAT32));
    CHECK_OK(mx_array_from_float(&b, 1.0, MX_FLOAT32));
    for (int step = 0; step < 4; step++) {
        CHECK_OK(mx_multiply(&x, x, a, NULL));
        CHECK_OK(mx_add(&x, x, b, NULL));
        CHECK_OK(mx_eval(&x, 1));
    }
    float *got = malloc(sizeof(float) * (size_t)n);
    if (read_back(x, got, sizeof(float) * (size_t)n, &n, 1)) {
        int bad = 0;
        for (int i = 0; i < n; i++) bad += got[i] != 16.0f * (float)i + 15.0f;
        CHECK(bad == 0);
    }
    free(got);
    mx_array_free(x);
    mx_array_free(a);
    mx_array_free(b);
}

/* ---- creation and astype ---- */

TEST(test_astype_and_full) {
    int32_t n3 = 3;
    float fv[3] = {1.7f, -1.7f, 300.0f};
    mx_array *f = f32(fv, &n3, 1), *r = NULL;
    uint8_t u8[3];
    CHECK_OK(mx_astype(&r, f, MX_UINT8, NULL));
    CHECK(mx_array_dtype(r) == MX_UINT8);
    if (read_back(r, u8, sizeof u8, &n3, 1)) CHECK(u8[0] == 1 && u8[1] == 255 && u8[2] == 44);
    int32_t i32[3];
    CHECK_OK(mx_astype(&r, f, MX_INT32, NULL));
    if (read_back(r, i32, sizeof i32, &n3, 1)) CHECK(i32[0] == 1 && i32[1] == -1 && i32[2] == 300);
    uint8_t b[3];
    float zv[3] = {0.0f, -0.0f, NAN};
    mx_array *z = f32(zv, &n3, 1);
    CHECK_OK(mx_astype(&r, z, MX_BOOL, NULL));
    if (read_back(r, b, sizeof b, &n3, 1)) CHECK(b[0] == 0 && b[1] == 0 && b[2] == 1);
    /* astype of a transposed view */
    int32_t s23[2] = {2, 3}, s32[2] = {3, 2};
    mx_array *x = reshaped(arange_f32(6), s23, 2), *t = NULL;
    CHECK_OK(mx_transpose(&t, x, NULL, 0, NULL));
    int64_t i64[6];
    CHECK_OK(mx_astype(&r, t, MX_INT64, NULL));
    if (read_back(r, i64, sizeof i64, s32, 2))
        CHECK(i64[0] == 0 && i64[1] == 3 && i64[2] == 1 && i64[3] == 4 && i64[5] == 5);

    /* full: a row broadcast to (2, 3) and cast to float16 */
    float vals[3] = {1, 2, 3};
    mx_array *v = f32(vals, &n3, 1);
    uint16_t h[6];
    CHECK_OK(mx_full(&r, s23, 2, v, MX_FLOAT16, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT16);
    if (read_back(r, h, sizeof h, s23, 2)) {
        CHECK(mx_half_to_float(h[0]) == 1 && mx_half_to_float(h[2]) == 3);
        CHECK(mx_half_to_float(h[3]) == 1 && mx_half_to_float(h[5]) == 3);
    }
    /* ones and zeros */
    int32_t ones_i[6];
    CHECK_OK(mx_ones(&r, s23, 2, MX_INT32, NULL));
    if (read_back(r, ones_i, sizeof ones_i, s23, 2)) {
        int bad = 0;
        for (int i = 0; i < 6; i++) bad += ones_i[i] != 1;
        CHECK(bad == 0);
    }
    mx_complex64 zc[6];
    CHECK_OK(mx_zeros(&r, s23, 2, MX_COMPLEX64, NULL));
    if (read_back(r, zc, sizeof zc, s23, 2)) CHECK(zc[0].real == 0 && zc[5].imag == 0);
    /* empty shapes work */
    int32_t e0[2] = {0, 3};
    CHECK_OK(mx_ones(&r, e0, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_eval(&r, 1));
    CHECK(mx_array_size(r) == 0);
    mx_array *all[] = {f, r, z, x, t, v};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

/* ---- sum ---- */

TEST(test_sum) {
    int32_t s34[2] = {3, 4};
    mx_array *x = reshaped(arange_f32(12), s34, 2), *r = NULL, *t = NULL;
    float got[12];
    int ax0 = 0, ax1 = 1, axm1 = -1;
    CHECK_OK(mx_sum_axes(&r, x, &ax0, 1, false, NULL));
    int32_t s4 = 4, s14[2] = {1, 4};
    float w0[4] = {12, 15, 18, 21};
    if (read_back(r, got, sizeof got, &s4, 1)) CHECK(all_close(got, w0, 4, 0));
    CHECK_OK(mx_sum_axes(&r, x, &ax0, 1, true, NULL));
    if (read_back(r, got, sizeof got, s14, 2)) CHECK(all_close(got, w0, 4, 0));
    CHECK_OK(mx_sum_axes(&r, x, &axm1, 1, false, NULL));
    int32_t s3 = 3;
    float w1[3] = {6, 22, 38};
    if (read_back(r, got, sizeof got, &s3, 1)) CHECK(all_close(got, w1, 3, 0));
    CHECK_OK(mx_sum(&r, x, false, NULL));
    double total = 0;
    CHECK_OK(mx_array_item_double(&total, r));
    CHECK(total == 66);
    /* over a transposed view, keeping dims: shape (4, 1) */
    CHECK_OK(mx_transpose(&t, x, NULL, 0, NULL));
    CHECK_OK(mx_sum_axes(&r, t, &ax1, 1, true, NULL));
    int32_t s41[2] = {4, 1};
    if (read_back(r, got, sizeof got, s41, 2)) CHECK(all_close(got, w0, 4, 0));
    /* small integers widen: int8 -> int32, bool -> int32 (a count) */
    int8_t i8[4] = {127, 127, 127, -1};
    int32_t n4 = 4;
    mx_array *c = from(i8, &n4, 1, MX_INT8);
    CHECK_OK(mx_sum(&r, c, false, NULL));
    CHECK(mx_array_dtype(r) == MX_INT32);
    int64_t iv = 0;
    CHECK_OK(mx_array_item_int64(&iv, r));
    CHECK(iv == 380);
    bool bv[4] = {true, false, true, true};
    mx_array *bb = from(bv, &n4, 1, MX_BOOL);
    CHECK_OK(mx_sum(&r, bb, false, NULL));
    CHECK(mx_array_dtype(r) == MX_INT32);
    CHECK_OK(mx_array_item_int64(&iv, r));
    CHECK(iv == 3);
    /* NaN propagates; empty sums are 0 */
    float nv[3] = {1, NAN, 2};
    int32_t n3 = 3;
    mx_array *nn = f32(nv, &n3, 1);
    CHECK_OK(mx_sum(&r, nn, false, NULL));
    CHECK_OK(mx_array_item_double(&total, r));
    CHECK(isnan(total));
    int32_t e[2] = {0, 5};
    mx_array *empty = NULL;
    CHECK_OK(mx_zeros(&empty, e, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_sum_axes(&r, empty, &ax0, 1, false, NULL));
    int32_t s5 = 5;
    float z5[5] = {0, 0, 0, 0, 0};
    if (read_back(r, got, sizeof got, &s5, 1)) CHECK(all_close(got, z5, 5, 0));
    /* a big sum, checked against the closed form */
    mx_array *big = NULL;
    CHECK_OK(mx_arange(&big, 0, 1 << 20, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_sum(&r, big, false, NULL));
    CHECK_OK(mx_array_item_double(&total, r));
    double want = (double)(1 << 20) * ((1 << 20) - 1) / 2;
    CHECK_NEAR(total, want, want * 1e-6);
    mx_array *all[] = {x, r, t, c, bb, nn, empty, big};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

/* ---- matmul ---- */

TEST(test_matmul) {
    mx_array *v = arange_f32(3), *r = NULL;
    int32_t s32[2] = {3, 2}, s2 = 2;
    mx_array *m = reshaped(arange_f32(6), s32, 2);
    float got[64];
    /* (3,) @ (3, 2) = [10, 13] */
    CHECK_OK(mx_matmul(&r, v, m, NULL));
    float w1[2] = {10, 13};
    if (read_back(r, got, sizeof got, &s2, 1)) CHECK(all_close(got, w1, 2, 0));
    /* (2, 3) @ (3, 2) with the left operand a transposed view */
    mx_array *mt = NULL;
    CHECK_OK(mx_transpose(&mt, m, NULL, 0, NULL));
    CHECK_OK(mx_matmul(&r, mt, m, NULL));
    int32_t s22[2] = {2, 2};
    float w2[4] = {20, 26, 26, 35};
    if (read_back(r, got, sizeof got, s22, 2)) CHECK(all_close(got, w2, 4, 0));
    /* Batch broadcasting: (2, 1, 2, 3) @ (3, 3, 2) -> (2, 3, 2, 2) */
    int32_t sa[4] = {2, 1, 2, 3}, sb[3] = {3, 3, 2}, so[4] = {2, 3, 2, 2};
    mx_array *a = reshaped(arange_f32(12), sa, 4), *b = reshaped(arange_f32(18), sb, 3);
    CHECK_OK(mx_matmul(&r, a, b, NULL));
    if (read_back(r, got, sizeof got, so, 4)) {
        float want[24];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int p = 0; p < 2; p++)
                    for (int q = 0; q < 2; q++) {
                        float s = 0;
                        for (int k = 0; k < 3; k++)
                            s += (float)(i * 6 + p * 3 + k) * (float)(j * 6 + k * 2 + q);
                        want[((i * 3 + j) * 2 + p) * 2 + q] = s;
                    }
        CHECK(all_close(got, want, 24, 1e-4));
    }
    /* float16 inputs give float16 */
    mx_array *h = NULL;
    CHECK_OK(mx_astype(&h, m, MX_FLOAT16, NULL));
    CHECK_OK(mx_matmul(&r, v, h, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT32); /* float32 @ float16 promotes */
    mx_array *hv = NULL;
    CHECK_OK(mx_astype(&hv, v, MX_FLOAT16, NULL));
    CHECK_OK(mx_matmul(&r, hv, h, NULL));
    CHECK(mx_array_dtype(r) == MX_FLOAT16);
    uint16_t h2[2];
    if (read_back(r, h2, sizeof h2, &s2, 1))
        CHECK(mx_half_to_float(h2[0]) == 10 && mx_half_to_float(h2[1]) == 13);
    /* K == 0 gives zeros */
    int32_t s20[2] = {2, 0}, s03[2] = {0, 3}, s23[2] = {2, 3};
    mx_array *k0a = NULL, *k0b = NULL;
    CHECK_OK(mx_zeros(&k0a, s20, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&k0b, s03, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_matmul(&r, k0a, k0b, NULL));
    float z6[6] = {0, 0, 0, 0, 0, 0};
    if (read_back(r, got, sizeof got, s23, 2)) CHECK(all_close(got, z6, 6, 0));
    mx_array *all[] = {v, r, m, mt, a, b, h, hv, k0a, k0b};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
}

/* ---- wrong calls ---- */

TEST(test_errors) {
    int32_t s23[2] = {2, 3}, s4 = 4;
    mx_array *a = NULL, *b = NULL, *r = NULL, *i = NULL;
    CHECK_OK(mx_ones(&a, s23, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&b, &s4, 1, MX_FLOAT32, NULL));
    CHECK_ERR(mx_add(&r, a, b, NULL), MX_ERR_VALUE);
    CHECK(r == NULL);
    CHECK_ERR(mx_multiply(&r, a, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_matmul(&r, a, a, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_ones(&i, s23, 2, MX_INT32, NULL));
    CHECK_ERR(mx_matmul(&r, i, i, NULL), MX_ERR_VALUE);
    int bad_axis = 2;
    CHECK_ERR(mx_sum_axes(&r, a, &bad_axis, 1, false, NULL), MX_ERR_INDEX);
    int dup[2] = {0, -2};
    CHECK_ERR(mx_sum_axes(&r, a, dup, 2, false, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_astype(&r, a, (mx_dtype)99, NULL), MX_ERR_TYPE);
    /* The library still works afterwards. */
    CHECK_OK(mx_add(&r, a, a, NULL));
    double v = 0;
    mx_array *s = NULL;
    CHECK_OK(mx_sum(&s, r, false, NULL));
    CHECK_OK(mx_array_item_double(&v, s));
    CHECK(v == 12);
    mx_array *all[] = {a, b, r, i, s};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) mx_array_free(all[k]);
}

int main(void) {
    RUN(test_arith_broadcast);
    RUN(test_arith_promotion);
    RUN(test_arith_strided_inputs);
    RUN(test_arith_chain_and_large);
    RUN(test_astype_and_full);
    RUN(test_sum);
    RUN(test_matmul);
    RUN(test_errors);
    return TEST_SUMMARY();
}
