/* Matrix-product ops: addmm, tensordot, inner, outer, kron, vecdot,
 * gather_mm, segmented_mm, block_masked_mm, hadamard_transform, einsum. */
#include "test.h"

/* Deterministic values in [-1, 1) for element i of stream `seed`. */
static double val(int seed, int64_t i) {
    uint32_t x = (uint32_t)(seed * 2654435761u) ^ (uint32_t)(i * 40503u + 17u);
    x ^= x >> 13, x *= 0x5bd1e995u, x ^= x >> 15;
    return (double)(x % 2000) / 1000.0 - 1.0;
}

/* An array of shape filled from stream seed; its values also go to host
 * (room for its size). */
static mx_array *mat(const int32_t *shape, int nd, int seed, mx_dtype dt, double *host) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) {
        v[i] = val(seed, i);
        /* Round through the dtype so the host copy is what the array holds. */
        if (dt == MX_FLOAT16 || dt == MX_BFLOAT16) v[i] = (double)(int)(v[i] * 64) / 64;
        if (host) host[i] = v[i];
    }
    mx_array *a = test_array_of(v, NULL, n, shape, nd, dt);
    free(v);
    return a;
}

/* Reads a (any float dtype) as float32 and compares with want. */
static void check_values(mx_array *a, const double *want, size_t n, double tol) {
    mx_array *f = NULL;
    CHECK_OK(mx_astype(&f, a, MX_FLOAT32, NULL));
    float *got = malloc(sizeof(float) * (n ? n : 1));
    test_read_f32(f, got, n);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!(fabs(got[i] - want[i]) <= tol * (1 + fabs(want[i])))) {
            if (bad++ < 3) fprintf(stderr, "  [%zu] got %g want %g\n", i, got[i], want[i]);
        }
    CHECK(bad == 0);
    free(got);
    mx_array_free(f);
}

static void check_shape(const mx_array *a, const int32_t *shape, int nd) {
    CHECK(mx_array_ndim(a) == nd);
    for (int i = 0; i < nd && i < mx_array_ndim(a); i++) CHECK(mx_array_dim(a, i) == shape[i]);
}

/* ref[b][i][j] = sum_k A[b][i][k] B[b][k][j] for row-major blocks. */
static void ref_mm(double *out, const double *A, const double *B, int M, int K, int N) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
            out[i * N + j] = s;
        }
}

TEST(test_addmm) {
    double A[6], B[12], C[4], want[8];
    int32_t sa[2] = {2, 3}, sb[2] = {3, 4}, sc[1] = {4};
    mx_dtype dts[3] = {MX_FLOAT32, MX_FLOAT16, MX_FLOAT64};
    for (int d = 0; d < 3; d++) {
        mx_array *a = mat(sa, 2, 1, dts[d], A), *b = mat(sb, 2, 2, dts[d], B);
        mx_array *c = mat(sc, 1, 3, MX_FLOAT32, C), *r = NULL;
        CHECK_OK(mx_addmm(&r, c, a, b, 2.0f, 0.5f, NULL));
        ref_mm(want, A, B, 2, 3, 4);
        for (int i = 0; i < 8; i++) want[i] = 2 * want[i] + 0.5 * C[i % 4];
        /* float16 operands with a float32 c promote to float32. */
        CHECK(mx_array_dtype(r) == (dts[d] == MX_FLOAT64 ? MX_FLOAT64 : MX_FLOAT32));
        check_values(r, want, 8, dts[d] == MX_FLOAT16 ? 2e-3 : 1e-5);
        mx_array_free(a), mx_array_free(b), mx_array_free(c), mx_array_free(r);
    }
    /* beta 0 ignores NaN in c; K = 0 leaves beta * c. */
    {
        double nan = NAN;
        int32_t s11[2] = {1, 1}, s13[2] = {1, 3}, s31[2] = {3, 1};
        mx_array *c = test_array_of(&nan, NULL, 1, s11, 2, MX_FLOAT32);
        double ones[3] = {1, 1, 1}, three = 3;
        mx_array *a = test_array_of(ones, NULL, 3, s13, 2, MX_FLOAT32);
        mx_array *b = test_array_of(ones, NULL, 3, s31, 2, MX_FLOAT32), *r = NULL;
        CHECK_OK(mx_addmm(&r, c, a, b, 1.0f, 0.0f, NULL));
        check_values(r, &three, 1, 0);
        int32_t s20[2] = {2, 0}, s02[2] = {0, 2}, s22[2] = {2, 2};
        mx_array *e1 = NULL, *e2 = NULL, *c2 = NULL, *one = test_scalar_f32(1.0f);
        CHECK_OK(mx_zeros(&e1, s20, 2, MX_FLOAT32, NULL));
        CHECK_OK(mx_zeros(&e2, s02, 2, MX_FLOAT32, NULL));
        CHECK_OK(mx_full(&c2, s22, 2, one, MX_FLOAT32, NULL));
        mx_array_free(one);
        mx_array_free(r);
        r = NULL;
        CHECK_OK(mx_addmm(&r, c2, e1, e2, 1.0f, 3.0f, NULL));
        double w3[4] = {3, 3, 3, 3};
        check_values(r, w3, 4, 0);
        mx_array_free(e1), mx_array_free(e2), mx_array_free(c2);
        mx_array_free(a), mx_array_free(b), mx_array_free(c), mx_array_free(r);
    }
    /* Batched with a broadcast c, transposed b. */
    {
        double Ab[2 * 3 * 4], Bb[5 * 4], Cb[3];
        int32_t s[3] = {2, 3, 4}, sbt[2] = {5, 4}, scc[2] = {3, 1};
        mx_array *a = mat(s, 3, 4, MX_FLOAT32, Ab), *bt = mat(sbt, 2, 5, MX_FLOAT32, Bb);
        mx_array *b = NULL, *c = mat(scc, 2, 6, MX_FLOAT32, Cb), *r = NULL;
        CHECK_OK(mx_transpose(&b, bt, NULL, 0, NULL));
        CHECK_OK(mx_addmm(&r, c, a, b, 1.0f, 1.0f, NULL));
        int32_t so[3] = {2, 3, 5};
        check_shape(r, so, 3);
        double want3[30];
        for (int bi = 0; bi < 2; bi++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 5; j++) {
                    double acc = Cb[i];
                    for (int k = 0; k < 4; k++) acc += Ab[bi * 12 + i * 4 + k] * Bb[j * 4 + k];
                    want3[bi * 15 + i * 5 + j] = acc;
                }
        check_values(r, want3, 30, 1e-5);
        mx_array_free(a), mx_array_free(b), mx_array_free(bt), mx_array_free(c), mx_array_free(r);
    }
    /* Wrong calls. */
    {
        int32_t s2[2] = {2, 2}, s23[2] = {2, 3}, s3[1] = {3};
        mx_array *a = mat(s2, 2, 1, MX_FLOAT32, NULL), *b = mat(s23, 2, 1, MX_FLOAT32, NULL);
        mx_array *v = mat(s3, 1, 1, MX_FLOAT32, NULL), *ia = NULL, *r = NULL;
        CHECK_ERR(mx_addmm(&r, a, a, b, 1, 1, NULL), MX_ERR_VALUE); /* c (2,2) vs (2,3) */
        CHECK_ERR(mx_addmm(&r, a, b, a, 1, 1, NULL), MX_ERR_VALUE); /* 3 != 2 */
        CHECK_ERR(mx_addmm(&r, v, v, v, 1, 1, NULL), MX_ERR_VALUE); /* c (3,) vs () */
        CHECK_OK(mx_astype(&ia, a, MX_INT32, NULL));
        CHECK_ERR(mx_addmm(&r, ia, ia, ia, 1, 1, NULL), MX_ERR_VALUE);
        CHECK(r == NULL);
        mx_array_free(a), mx_array_free(b), mx_array_free(v), mx_array_free(ia);
    }
}

TEST(test_tensordot_inner_outer) {
    double A[24], B[60];
    int32_t sa[3] = {2, 3, 4}, sb[3] = {4, 3, 5};
    mx_array *a = mat(sa, 3, 7, MX_FLOAT32, A), *b = mat(sb, 3, 8, MX_FLOAT32, B), *r = NULL;
    /* Contract a's (1, 2) with b's (1, 0): out (2, 5). */
    int ax_a[2] = {1, -1}, ax_b[2] = {1, 0};
    CHECK_OK(mx_tensordot_axes(&r, a, b, ax_a, ax_b, 2, NULL));
    double want[10];
    for (int i = 0; i < 2; i++)
        for (int l = 0; l < 5; l++) {
            double s = 0;
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++) s += A[i * 12 + j * 4 + k] * B[k * 15 + j * 5 + l];
            want[i * 5 + l] = s;
        }
    int32_t so[2] = {2, 5};
    check_shape(r, so, 2);
    check_values(r, want, 10, 1e-5);
    /* axes as a count, and 0 (outer product). */
    mx_array_free(r), r = NULL;
    CHECK_OK(mx_tensordot(&r, a, b, 1, NULL));
    int32_t s1[4] = {2, 3, 3, 5};
    check_shape(r, s1, 4);
    mx_array_free(r), r = NULL;
    CHECK_OK(mx_tensordot(&r, a, b, 0, NULL));
    CHECK(mx_array_ndim(r) == 6 && mx_array_size(r) == 24 * 60);
    mx_array_free(r), r = NULL;
    CHECK_ERR(mx_tensordot(&r, a, b, 2, NULL), MX_ERR_VALUE); /* (3,4) vs (4,3) */
    CHECK_ERR(mx_tensordot(&r, a, b, 4, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_tensordot(&r, a, b, -1, NULL), MX_ERR_VALUE);
    int rep_a[2] = {2, 2}, rep_b[2] = {0, 0};
    CHECK_ERR(mx_tensordot_axes(&r, a, b, rep_a, rep_b, 2, NULL), MX_ERR_VALUE);
    int bad_a[1] = {5}, ok_b[1] = {0};
    CHECK_ERR(mx_tensordot_axes(&r, a, b, bad_a, ok_b, 1, NULL), MX_ERR_INDEX);

    /* inner over the last axes: (2,3,4) . (5,4) -> (2,3,5) */
    double C[20];
    int32_t sc[2] = {5, 4};
    mx_array *c = mat(sc, 2, 9, MX_FLOAT32, C);
    CHECK_OK(mx_inner(&r, a, c, NULL));
    double wi[30];
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 5; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += A[i * 4 + k] * C[j * 4 + k];
            wi[i * 5 + j] = s;
        }
    check_values(r, wi, 30, 1e-5);
    mx_array_free(r), r = NULL;
    CHECK_ERR(mx_inner(&r, a, b, NULL), MX_ERR_VALUE);

    /* outer of integer vectors keeps the dtype. */
    int32_t iv[3] = {1, 2, 3}, jv[2] = {4, -5}, n3 = 3, n2 = 2, got[6];
    mx_array *x = NULL, *y = NULL;
    CHECK_OK(mx_array_from_data(&x, iv, &n3, 1, MX_INT32));
    CHECK_OK(mx_array_from_data(&y, jv, &n2, 1, MX_INT32));
    CHECK_OK(mx_outer(&r, x, y, NULL));
    CHECK_OK(mx_eval(&r, 1));
    CHECK(mx_array_dtype(r) == MX_INT32 && mx_array_ndim(r) == 2);
    CHECK_OK(mx_array_copy_to(r, got, sizeof got));
    CHECK(got[0] == 4 && got[1] == -5 && got[4] == 12 && got[5] == -15);
    mx_array_free(r), r = NULL;

    /* kron: (1,2) x (2,1) = [[1*1, 2*1], [1*3, 2*3]] pattern. */
    int32_t k1[2] = {1, 2}, k2[2] = {2, 1};
    mx_array *p = NULL, *q = NULL;
    int32_t pv[2] = {1, 2}, qv[2] = {1, 3}, kg[4];
    CHECK_OK(mx_array_from_data(&p, pv, k1, 2, MX_INT32));
    CHECK_OK(mx_array_from_data(&q, qv, k2, 2, MX_INT32));
    CHECK_OK(mx_kron(&r, p, q, NULL));
    CHECK_OK(mx_eval(&r, 1));
    CHECK(mx_array_dim(r, 0) == 2 && mx_array_dim(r, 1) == 2);
    CHECK_OK(mx_array_copy_to(r, kg, sizeof kg));
    CHECK(kg[0] == 1 && kg[1] == 2 && kg[2] == 3 && kg[3] == 6);
    mx_array_free(r), r = NULL;
    /* kron with different ranks against loops. */
    double KA[4], KB[6];
    int32_t ka[1] = {4}, kb[2] = {2, 3};
    mx_array *ka_ = mat(ka, 1, 11, MX_FLOAT32, KA), *kb_ = mat(kb, 2, 12, MX_FLOAT32, KB);
    CHECK_OK(mx_kron(&r, ka_, kb_, NULL));
    int32_t ks[2] = {2, 12};
    check_shape(r, ks, 2);
    double kw[24];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 12; j++) kw[i * 12 + j] = KA[j / 3] * KB[i * 3 + j % 3];
    check_values(r, kw, 24, 1e-6);
    mx_array_free(r), r = NULL;

    mx_array *all[] = {a, b, c, x, y, p, q, ka_, kb_};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

TEST(test_vecdot) {
    /* Complex: conj(a) * b summed: (1-2i)(1+i) = 3 - i. */
    double re_a = 1, im_a = 2, re_b = 1, im_b = 1;
    int32_t s1 = 1;
    mx_array *a = test_array_of(&re_a, &im_a, 1, &s1, 1, MX_COMPLEX64);
    mx_array *b = test_array_of(&re_b, &im_b, 1, &s1, 1, MX_COMPLEX64), *r = NULL;
    CHECK_OK(mx_vecdot(&r, a, b, -1, NULL));
    mx_complex64 z;
    CHECK_OK(mx_eval(&r, 1));
    CHECK_OK(mx_array_item_complex(&z, r));
    CHECK(z.real == 3 && z.imag == -1);
    mx_array_free(a), mx_array_free(b), mx_array_free(r), r = NULL;
    /* Broadcast batch: (2,3) . (3,) along the last axis; axis 0 of (2,3)
     * with (2,3). */
    double A[6], B[3], C[6];
    int32_t sa[2] = {2, 3}, sb[1] = {3};
    a = mat(sa, 2, 1, MX_FLOAT32, A), b = mat(sb, 1, 2, MX_FLOAT32, B);
    mx_array *c = mat(sa, 2, 3, MX_FLOAT32, C);
    CHECK_OK(mx_vecdot(&r, a, b, -1, NULL));
    double w[2] = {A[0] * B[0] + A[1] * B[1] + A[2] * B[2],
                   A[3] * B[0] + A[4] * B[1] + A[5] * B[2]};
    check_values(r, w, 2, 1e-6);
    mx_array_free(r), r = NULL;
    CHECK_OK(mx_vecdot(&r, a, c, 0, NULL));
    double w0[3] = {A[0] * C[0] + A[3] * C[3], A[1] * C[1] + A[4] * C[4],
                    A[2] * C[2] + A[5] * C[5]};
    check_values(r, w0, 3, 1e-6);
    mx_array_free(r), r = NULL;
    CHECK_ERR(mx_vecdot(&r, a, b, 0, NULL), MX_ERR_VALUE); /* b has no axis 0 of size 2 */
    CHECK_ERR(mx_vecdot(&r, a, c, 2, NULL), MX_ERR_INDEX);
    mx_array_free(a), mx_array_free(b), mx_array_free(c);
}

TEST(test_gather_mm) {
    double A[3 * 2 * 4], B[5 * 4 * 6];
    int32_t sa[3] = {3, 2, 4}, sb[3] = {5, 4, 6};
    mx_array *a = mat(sa, 3, 21, MX_FLOAT32, A), *b = mat(sb, 3, 22, MX_FLOAT32, B), *r = NULL;
    uint32_t li[2] = {0, 2}, ri[2] = {4, 1};
    int32_t n2 = 2;
    mx_array *l = NULL, *rr = NULL;
    CHECK_OK(mx_array_from_data(&l, li, &n2, 1, MX_UINT32));
    CHECK_OK(mx_array_from_data(&rr, ri, &n2, 1, MX_UINT32));
    CHECK_OK(mx_gather_mm(&r, a, b, l, rr, false, NULL));
    int32_t so[3] = {2, 2, 6};
    check_shape(r, so, 3);
    double want[24];
    for (int i = 0; i < 2; i++) ref_mm(want + i * 12, A + li[i] * 8, B + ri[i] * 24, 2, 4, 6);
    check_values(r, want, 24, 1e-5);
    mx_array_free(r), r = NULL;
    /* Default lhs indices (every a batch entry) broadcast against rhs (2,1). */
    int32_t s21[2] = {2, 1};
    int64_t rv[2] = {3, 0};
    mx_array *r2 = NULL;
    CHECK_OK(mx_array_from_data(&r2, rv, s21, 2, MX_INT64));
    CHECK_OK(mx_gather_mm(&r, a, b, NULL, r2, true, NULL));
    int32_t so2[4] = {2, 3, 2, 6};
    check_shape(r, so2, 4);
    double want2[72];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            ref_mm(want2 + (i * 3 + j) * 12, A + j * 8, B + rv[i] * 24, 2, 4, 6);
    check_values(r, want2, 72, 1e-5);
    mx_array_free(r), r = NULL;
    /* Out-of-range indices read the nearest valid entry. */
    uint32_t far[1] = {70};
    int32_t n1 = 1;
    mx_array *f = NULL;
    CHECK_OK(mx_array_from_data(&f, far, &n1, 1, MX_UINT32));
    CHECK_OK(mx_gather_mm(&r, a, b, f, f, false, NULL));
    ref_mm(want, A + 2 * 8, B + 4 * 24, 2, 4, 6);
    check_values(r, want, 12, 1e-5);
    mx_array_free(r), r = NULL;
    /* No indices: matmul with batch broadcasting ((3) vs (5): error). */
    CHECK_ERR(mx_gather_mm(&r, a, b, NULL, NULL, false, NULL), MX_ERR_VALUE);
    mx_array *fl = NULL;
    CHECK_OK(mx_astype(&fl, l, MX_FLOAT32, NULL));
    CHECK_ERR(mx_gather_mm(&r, a, b, fl, NULL, false, NULL), MX_ERR_VALUE);
    mx_array *all[] = {a, b, l, rr, r2, f, fl};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

TEST(test_segmented_mm) {
    double A[2 * 8], B[8 * 3];
    int32_t sa[2] = {2, 8}, sb[2] = {8, 3}, ss[2] = {3, 2};
    mx_array *a = mat(sa, 2, 31, MX_FLOAT32, A), *b = mat(sb, 2, 32, MX_FLOAT32, B), *r = NULL;
    int32_t seg[6] = {0, 3, 3, 8, 5, 2}, *sg = seg; /* the last is reversed: zeros */
    mx_array *segs = NULL;
    CHECK_OK(mx_array_from_data(&segs, sg, ss, 2, MX_INT32));
    CHECK_OK(mx_segmented_mm(&r, a, b, segs, NULL));
    int32_t so[3] = {3, 2, 3};
    check_shape(r, so, 3);
    double want[18];
    for (int q = 0; q < 3; q++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) {
                double s = 0;
                for (int k = seg[2 * q]; k < seg[2 * q + 1]; k++) s += A[i * 8 + k] * B[k * 3 + j];
                want[q * 6 + i * 3 + j] = s;
            }
    check_values(r, want, 18, 1e-5);
    mx_array_free(r), r = NULL;
    int32_t s3[3] = {2, 2, 8};
    mx_array *a3 = mat(s3, 3, 1, MX_FLOAT32, NULL), *fs = NULL;
    CHECK_ERR(mx_segmented_mm(&r, a3, b, segs, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_astype(&fs, segs, MX_FLOAT32, NULL));
    CHECK_ERR(mx_segmented_mm(&r, a, b, fs, NULL), MX_ERR_VALUE);
    mx_array *all[] = {a, b, segs, a3, fs};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

TEST(test_block_masked_mm) {
    /* 40 x 50 @ 50 x 70 with 32-blocks: masks (2,2), (2,3), (2,3). */
    enum { M = 40, K = 50, N = 70, BS = 32 };
    static double A[M * K], B[K * N], want[M * N];
    int32_t sa[2] = {M, K}, sb[2] = {K, N};
    mx_array *a = mat(sa, 2, 41, MX_FLOAT32, A), *b = mat(sb, 2, 42, MX_FLOAT32, B), *r = NULL;
    double ml[4] = {1.0, 0.5, 2.0, 0.0};
    bool mr[6] = {true, true, false, false, true, true},
         mo[6] = {true, false, true, false, true, true};
    int32_t s22[2] = {2, 2}, s23[2] = {2, 3};
    mx_array *mlhs = test_array_of(ml, NULL, 4, s22, 2, MX_FLOAT32), *mrhs = NULL, *mout = NULL;
    CHECK_OK(mx_array_from_data(&mrhs, mr, s23, 2, MX_BOOL));
    CHECK_OK(mx_array_from_data(&mout, mo, s23, 2, MX_BOOL));
    CHECK_OK(mx_block_masked_mm(&r, a, b, BS, mout, mlhs, mrhs, NULL));
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += A[i * K + k] * ml[(i / BS) * 2 + k / BS] * B[k * N + j] *
                     mr[(k / BS) * 3 + j / BS];
            want[i * N + j] = mo[(i / BS) * 3 + j / BS] ? s : 0;
        }
    check_values(r, want, M * N, 1e-5);
    mx_array_free(r), r = NULL;
    CHECK_ERR(mx_block_masked_mm(&r, a, b, 16, mout, NULL, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_block_masked_mm(&r, a, b, BS, mlhs, NULL, NULL, NULL), MX_ERR_VALUE); /* shape */
    /* No masks: a plain product for any block size. */
    CHECK_OK(mx_block_masked_mm(&r, a, b, 16, NULL, NULL, NULL, NULL));
    ref_mm(want, A, B, M, K, N);
    check_values(r, want, M * N, 1e-5);
    mx_array *all[] = {a, b, r, mlhs, mrhs, mout};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

/* MLX's outputs for x[i] = (i if i even else -i) + 0.5 with scale 1. */
static const double had12[12] = {1, 65, 5, 1, 9, -19, 13, 1, 17, 21, 21, 1};
static const double had20[20] = {-4, 70,  -128, 82,  -20, -26, 40, -18, 52, -50,
                                 16, -66, 0,    -70, 24,  4,   18, -40, 30, -12};
static const double had24[24] = {0, 266, 0, -26, 0, 2,  0, -26, 0, -78, 0, -42,
                                 0, 2,   0, -58, 0, 82, 0, -74, 0, 2,   0, -90};
static const double had28[28] = {-36, 14,   80,  -166, 100, -18, 0,   -38, 136, -134,
                                 176, -146, 160, -74,  40,  -2,  -76, -18, -88, 22,
                                 12,  0,    66,  -32,  14,  -28, 66,  -4};

TEST(test_hadamard) {
    const double *tables[4] = {had12, had20, had24, had28};
    int sizes[4] = {12, 20, 24, 28};
    for (int t = 0; t < 4; t++) {
        int n = sizes[t];
        double x[28];
        for (int i = 0; i < n; i++) x[i] = (i % 2 ? -i : i) + 0.5;
        int32_t s = n;
        mx_array *a = test_array_of(x, NULL, n, &s, 1, MX_FLOAT32), *r = NULL;
        float one = 1.0f;
        CHECK_OK(mx_hadamard_transform(&r, a, &one, NULL));
        check_values(r, tables[t], (size_t)n, 1e-6);
        mx_array_free(a), mx_array_free(r);
    }
    /* Powers of two: H_8 by Sylvester, default scale 1/sqrt(8), over rows of
     * a transposed (strided) input, in float16 and float64. */
    mx_dtype dts[3] = {MX_FLOAT32, MX_FLOAT16, MX_FLOAT64};
    for (int d = 0; d < 3; d++) {
        double X[8 * 3];
        int32_t sx[2] = {8, 3};
        mx_array *xt = mat(sx, 2, 51, dts[d], X), *x = NULL, *r = NULL;
        CHECK_OK(mx_transpose(&x, xt, NULL, 0, NULL));
        CHECK_OK(mx_hadamard_transform(&r, x, NULL, NULL));
        CHECK(mx_array_dtype(r) == dts[d]);
        double want[24];
        for (int row = 0; row < 3; row++)
            for (int j = 0; j < 8; j++) {
                double sum = 0;
                for (int i = 0; i < 8; i++)
                    sum += (__builtin_popcount(i & j) % 2 ? -1 : 1) * X[i * 3 + row];
                want[row * 8 + j] = sum / sqrt(8.0);
            }
        check_values(r, want, 24, dts[d] == MX_FLOAT16 ? 4e-3 : 1e-6);
        mx_array_free(xt), mx_array_free(x), mx_array_free(r);
    }
    /* Integers compute in float32; a 0-d input is scaled. */
    {
        int32_t iv[4] = {1, 1, 1, 1}, n4 = 4;
        mx_array *a = NULL, *r = NULL;
        CHECK_OK(mx_array_from_data(&a, iv, &n4, 1, MX_INT32));
        CHECK_OK(mx_hadamard_transform(&r, a, NULL, NULL));
        CHECK(mx_array_dtype(r) == MX_FLOAT32);
        double w[4] = {2, 0, 0, 0};
        check_values(r, w, 4, 1e-6);
        mx_array_free(a), mx_array_free(r), r = NULL;
        a = test_scalar_f32(3.0f);
        float two = 2.0f;
        CHECK_OK(mx_hadamard_transform(&r, a, &two, NULL));
        double six = 6;
        check_values(r, &six, 1, 0);
        mx_array_free(a), mx_array_free(r), r = NULL;
    }
    /* Wrong sizes and empty arrays. */
    int32_t s6 = 6, s0[2] = {3, 0};
    mx_array *a = mat(&s6, 1, 1, MX_FLOAT32, NULL), *e = NULL, *r = NULL;
    CHECK_ERR(mx_hadamard_transform(&r, a, NULL, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_zeros(&e, s0, 2, MX_FLOAT32, NULL));
    CHECK_ERR(mx_hadamard_transform(&r, e, NULL, NULL), MX_ERR_VALUE);
    mx_array_free(a), mx_array_free(e);
}

/* einsum against explicit loops. */
TEST(test_einsum) {
    double A[6], B[12], C[20], S[9], V[3], W[4];
    int32_t sa[2] = {2, 3}, sb[2] = {3, 4}, sc[2] = {4, 5}, ss[2] = {3, 3}, sv = 3, sw = 4;
    mx_array *a = mat(sa, 2, 61, MX_FLOAT32, A), *b = mat(sb, 2, 62, MX_FLOAT32, B);
    mx_array *c = mat(sc, 2, 63, MX_FLOAT32, C), *sq = mat(ss, 2, 64, MX_FLOAT32, S);
    mx_array *v = mat(&sv, 1, 65, MX_FLOAT32, V), *w = mat(&sw, 1, 66, MX_FLOAT32, W), *r = NULL;
    double want[64];

    const mx_array *ab[2] = {a, b};
    CHECK_OK(mx_einsum(&r, "ij,jk->ik", ab, 2, NULL));
    ref_mm(want, A, B, 2, 3, 4);
    check_values(r, want, 8, 1e-5);
    mx_array_free(r), r = NULL;
    /* Implicit output, spaces. */
    CHECK_OK(mx_einsum(&r, "ij, jk", ab, 2, NULL));
    check_values(r, want, 8, 1e-5);
    mx_array_free(r), r = NULL;

    /* Three operands through the greedy path. */
    const mx_array *abc[3] = {a, b, c};
    CHECK_OK(mx_einsum(&r, "ij,jk,kl->il", abc, 3, NULL));
    double ab_[8];
    ref_mm(ab_, A, B, 2, 3, 4);
    ref_mm(want, ab_, C, 2, 4, 5);
    check_values(r, want, 10, 1e-5);
    mx_array_free(r), r = NULL;

    /* Diagonal, trace, transpose, full sum. */
    const mx_array *s1[1] = {sq};
    CHECK_OK(mx_einsum(&r, "ii->i", s1, 1, NULL));
    double d[3] = {S[0], S[4], S[8]};
    check_values(r, d, 3, 1e-6);
    mx_array_free(r), r = NULL;
    CHECK_OK(mx_einsum(&r, "ii", s1, 1, NULL));
    double tr = S[0] + S[4] + S[8];
    check_values(r, &tr, 1, 1e-6);
    mx_array_free(r), r = NULL;
    const mx_array *a1[1] = {a};
    CHECK_OK(mx_einsum(&r, "ij->ji", a1, 1, NULL));
    double at[6] = {A[0], A[3], A[1], A[4], A[2], A[5]};
    check_values(r, at, 6, 1e-6);
    mx_array_free(r), r = NULL;
    CHECK_OK(mx_einsum(&r, "ij->", a1, 1, NULL));
    double tot = A[0] + A[1] + A[2] + A[3] + A[4] + A[5];
    check_values(r, &tot, 1, 1e-6);
    mx_array_free(r), r = NULL;

    /* Outer product and a broadcast multiply (nothing contracted). */
    const mx_array *vw[2] = {v, w};
    CHECK_OK(mx_einsum(&r, "i,j->ij", vw, 2, NULL));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) want[i * 4 + j] = V[i] * W[j];
    check_values(r, want, 12, 1e-6);
    mx_array_free(r), r = NULL;
    const mx_array *av[2] = {a, v};
    CHECK_OK(mx_einsum(&r, "ij,j->ij", av, 2, NULL));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) want[i * 3 + j] = A[i * 3 + j] * V[j];
    check_values(r, want, 6, 1e-6);
    mx_array_free(r), r = NULL;

    /* Ellipsis batch matmul with broadcasting: (2,2,3) x (3,4). */
    double X[12];
    int32_t sx[3] = {2, 2, 3};
    mx_array *x = mat(sx, 3, 67, MX_FLOAT32, X);
    const mx_array *xb[2] = {x, b};
    CHECK_OK(mx_einsum(&r, "...ij,jk->...ik", xb, 2, NULL));
    int32_t so[3] = {2, 2, 4};
    check_shape(r, so, 3);
    for (int q = 0; q < 2; q++) ref_mm(want + q * 8, X + q * 6, B, 2, 3, 4);
    check_values(r, want, 16, 1e-5);
    mx_array_free(r), r = NULL;
    /* Batched dot "bij,bjk->bik" with a transposed view, and a contraction
     * keeping a batch letter. */
    mx_array *xt = NULL;
    int perm[3] = {0, 2, 1};
    CHECK_OK(mx_transpose(&xt, x, perm, 3, NULL)); /* (2,3,2) */
    const mx_array *xx[2] = {xt, x};
    CHECK_OK(mx_einsum(&r, "bij,bjk->bik", xx, 2, NULL));
    for (int q = 0; q < 2; q++)
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 3; k++) {
                double sum = 0;
                for (int j = 0; j < 2; j++) sum += X[q * 6 + j * 3 + i] * X[q * 6 + j * 3 + k];
                want[q * 9 + i * 3 + k] = sum;
            }
    check_values(r, want, 18, 1e-5);
    mx_array_free(r), r = NULL;

    /* The path, as MLX reports it. */
    int path[8], sizes[4], nsteps = 0;
    char text[512];
    CHECK_OK(mx_einsum_path(path, sizes, &nsteps, text, sizeof text, "ij,jk,kl->il", abc, 3));
    CHECK(nsteps == 2 && sizes[0] == 2 && sizes[1] == 2);
    CHECK(path[0] == 1 && path[1] == 2 && path[2] == 0 && path[3] == 1);
    CHECK(strstr(text, "Naive FLOP count:  360") != NULL);
    CHECK(strstr(text, "Optimized FLOP count:  180") != NULL);
    CHECK(strstr(text, "Optimized scaling:  3") != NULL);
    int32_t sd[2] = {5, 2};
    mx_array *dd = mat(sd, 2, 68, MX_FLOAT32, NULL);
    const mx_array *abcd[4] = {a, b, c, dd};
    CHECK_OK(mx_einsum_path(path, sizes, &nsteps, text, sizeof text, "ij,jk,kl,lm->im", abcd, 4));
    CHECK(nsteps == 3 && path[0] == 2 && path[1] == 3 && path[2] == 1 && path[3] == 2 &&
          path[4] == 0 && path[5] == 1);
    CHECK(strstr(text, "Optimized FLOP count:  152") != NULL);
    CHECK(strstr(text, "Naive FLOP count:  960") != NULL);
    CHECK_OK(mx_einsum(&r, "ij,jk,kl,lm->im", abcd, 4, NULL));
    CHECK(mx_array_dim(r, 0) == 2 && mx_array_dim(r, 1) == 2);
    mx_array_free(r), r = NULL;

    /* Wrong calls. */
    CHECK_ERR(mx_einsum(&r, "ij,jk->ik", ab, 1, NULL), MX_ERR_VALUE);  /* operand count */
    CHECK_ERR(mx_einsum(&r, "ijk,jk->ik", ab, 2, NULL), MX_ERR_VALUE); /* rank */
    CHECK_ERR(mx_einsum(&r, "ij,jk->ii", ab, 2, NULL), MX_ERR_VALUE);  /* repeated output */
    CHECK_ERR(mx_einsum(&r, "ij,jk->iz", ab, 2, NULL), MX_ERR_VALUE);  /* unknown output */
    CHECK_ERR(mx_einsum(&r, "i1,jk", ab, 2, NULL), MX_ERR_VALUE);      /* bad character */
    CHECK_ERR(mx_einsum(&r, "ij,ik", ab, 2, NULL), MX_ERR_VALUE);      /* 2 vs 3 */
    CHECK_ERR(mx_einsum(&r, "ij", a1, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_einsum(&r, "i...i...", s1, 1, NULL), MX_ERR_VALUE); /* two ellipses */
    CHECK(r == NULL);
    mx_array *all[] = {a, b, c, sq, v, w, x, xt, dd};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

int main(void) {
    RUN(test_addmm);
    RUN(test_tensordot_inner_outer);
    RUN(test_vecdot);
    RUN(test_gather_mm);
    RUN(test_segmented_mm);
    RUN(test_block_masked_mm);
    RUN(test_hadamard);
    RUN(test_einsum);
    return TEST_SUMMARY();
}
