/*
 * Linear algebra (mx_linalg_*): factorizations checked through their
 * identities (Q R = A, U S V^T = A, A inv(A) = I, L L^T = A, P L U = A,
 * A x = b, A V = V diag(w)) on batched, transposed and float64 inputs;
 * values checked against real MLX 0.32.4 / NumPy where noted; norms against
 * reference sums; every error case.
 */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "test.h"

#include "core/stream.h"

static mx_stream cpu;

/* ---- helpers ---- */

static mx_array *arr(const double *v, const int32_t *shape, int nd, mx_dtype dt) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    double *im = calloc((size_t)n + 1, sizeof(double));
    mx_array *a = test_array_of(v, im, n, shape, nd, dt);
    free(im);
    return a;
}

static mx_array *mat(const double *v, int32_t m, int32_t n, mx_dtype dt) {
    int32_t shape[2] = {m, n};
    return arr(v, shape, 2, dt);
}

/* Evaluates a and reads it as float64 (real dtypes) into dst. */
static void rd(mx_array *a, double *dst) {
    mx_array *c = NULL;
    CHECK_OK(mx_astype(&c, a, MX_FLOAT64, &cpu));
    CHECK_OK(mx_eval(&c, 1));
    CHECK_OK(mx_array_copy_to(c, dst, (size_t)mx_array_size(c) * sizeof(double)));
    mx_array_free(c);
}

/* Largest |x - y| over two arrays of the same shape (real). */
static double maxdiff(mx_array *x, mx_array *y) {
    int64_t n = (int64_t)mx_array_size(x);
    CHECK(n == (int64_t)mx_array_size(y));
    double *a = malloc(sizeof(double) * (size_t)(n + 1)),
           *b = malloc(sizeof(double) * (size_t)(n + 1));
    rd(x, a);
    rd(y, b);
    double d = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs(a[i] - b[i]);
        if (!(e <= d)) d = e; /* NaN wins */
    }
    free(a);
    free(b);
    return d;
}

static void check_shape(mx_array *a, const int32_t *shape, int nd) {
    CHECK(mx_array_ndim(a) == nd);
    if (mx_array_ndim(a) != nd) return;
    for (int i = 0; i < nd; i++) CHECK(mx_array_shape(a)[i] == shape[i]);
}

static mx_array *mm(mx_array *a, mx_array *b) {
    mx_array *r = NULL;
    CHECK_OK(mx_matmul(&r, a, b, &cpu));
    return r;
}

static mx_array *tr(mx_array *a) {
    mx_array *r = NULL;
    CHECK_OK(mx_swapaxes(&r, a, -1, -2, &cpu));
    return r;
}

/* Identity matrices broadcast to a's shape (square last axes). */
static mx_array *eye_like(mx_array *a, int32_t n) {
    mx_array *e = NULL, *r = NULL;
    CHECK_OK(mx_eye(&e, n, n, 0, mx_array_dtype(a), &cpu));
    CHECK_OK(mx_broadcast_to(&r, e, mx_array_shape(a), mx_array_ndim(a), &cpu));
    mx_array_free(e);
    return r;
}

static void free_all(mx_array **xs, int n) {
    for (int i = 0; i < n; i++) mx_array_free(xs[i]);
}

/* A deterministic well-conditioned batch: (batch, n, n) with a dominant
 * diagonal, or general (batch, m, n). */
static double *fill(int64_t count, unsigned seed) {
    double *v = malloc(sizeof(double) * (size_t)count);
    unsigned x = seed;
    for (int64_t i = 0; i < count; i++) {
        x = x * 1103515245u + 12345u;
        v[i] = ((x >> 8) % 2001) / 1000.0 - 1.0;
    }
    return v;
}

static mx_array *rand_arr(const int32_t *shape, int nd, mx_dtype dt, unsigned seed, double diag) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    double *v = fill(n, seed);
    if (diag != 0) {
        int32_t r = shape[nd - 2], c = shape[nd - 1];
        for (int64_t b = 0; b < n / ((int64_t)r * c); b++)
            for (int32_t i = 0; i < r && i < c; i++) v[b * r * c + i * c + i] += diag;
    }
    mx_array *a = arr(v, shape, nd, dt);
    free(v);
    return a;
}

static const double A3[9] = {4, 1, 2, 1, 3, 0.5, 2, 0.5, 5}; /* symmetric positive definite */

/* ---- QR ---- */

static void check_qr(mx_array *a, double tol) {
    mx_array *q = NULL, *r = NULL;
    CHECK_OK(mx_linalg_qr(&q, &r, a, &cpu));
    int nd = mx_array_ndim(a);
    const int32_t *s = mx_array_shape(a);
    int32_t m = s[nd - 2], n = s[nd - 1], k = m < n ? m : n;
    int32_t qs[8], rs[8];
    memcpy(qs, s, sizeof(int32_t) * (size_t)nd);
    memcpy(rs, s, sizeof(int32_t) * (size_t)nd);
    qs[nd - 1] = k, rs[nd - 2] = k;
    check_shape(q, qs, nd);
    check_shape(r, rs, nd);
    mx_array *qr = mm(q, r), *qt = tr(q), *qtq = mm(qt, q), *e = eye_like(qtq, k), *ru = NULL;
    CHECK(maxdiff(qr, a) < tol);
    CHECK(maxdiff(qtq, e) < tol);
    CHECK_OK(mx_triu(&ru, r, 0, &cpu));
    CHECK(maxdiff(ru, r) == 0);
    mx_array *all[] = {q, r, qr, qt, qtq, e, ru};
    free_all(all, 7);
}

TEST(test_qr) {
    int32_t s1[3] = {2, 4, 3}, s2[2] = {3, 5};
    mx_array *a = rand_arr(s1, 3, MX_FLOAT32, 1, 0), *b = rand_arr(s2, 2, MX_FLOAT64, 2, 0);
    check_qr(a, 1e-5);
    check_qr(b, 1e-12);
    /* A transposed (strided) input. */
    mx_array *t = tr(a);
    check_qr(t, 1e-5);
    /* MLX: qr([[1,2,3],[4,5,6]]) R row 0 = [-4.12311, -5.33578, -6.54846]. */
    double v[6] = {1, 2, 3, 4, 5, 6}, r0[6];
    mx_array *c = mat(v, 2, 3, MX_FLOAT32), *q = NULL, *r = NULL;
    CHECK_OK(mx_linalg_qr(&q, &r, c, &cpu));
    rd(r, r0);
    CHECK_NEAR(r0[0], -4.12311, 1e-4);
    CHECK_NEAR(r0[2], -6.54846, 1e-4);
    CHECK_NEAR(r0[3], 0, 0);
    mx_array *all[] = {a, b, t, c, q, r};
    free_all(all, 6);
}

/* ---- SVD ---- */

static void check_svd(mx_array *a, double tol) {
    mx_array *u = NULL, *sv = NULL, *vt = NULL, *sv2 = NULL;
    CHECK_OK(mx_linalg_svd(&u, &sv, &vt, a, true, &cpu));
    CHECK_OK(mx_linalg_svd(NULL, &sv2, NULL, a, false, &cpu));
    int nd = mx_array_ndim(a);
    const int32_t *s = mx_array_shape(a);
    int32_t m = s[nd - 2], n = s[nd - 1], k = m < n ? m : n;
    /* a = u[..., :k] * s @ vt[..., :k, :] */
    int32_t st[8] = {0}, sp[8];
    memcpy(sp, mx_array_shape(u), sizeof(int32_t) * (size_t)nd);
    sp[nd - 1] = k;
    mx_array *uk = NULL, *vk = NULL, *se = NULL, *us = NULL;
    CHECK_OK(mx_slice(&uk, u, st, sp, NULL, nd, &cpu));
    memcpy(sp, mx_array_shape(vt), sizeof(int32_t) * (size_t)nd);
    sp[nd - 2] = k;
    CHECK_OK(mx_slice(&vk, vt, st, sp, NULL, nd, &cpu));
    CHECK_OK(mx_expand_dims(&se, sv, -2, &cpu));
    CHECK_OK(mx_multiply(&us, uk, se, &cpu));
    mx_array *rec = mm(us, vk);
    CHECK(maxdiff(rec, a) < tol);
    CHECK(maxdiff(sv, sv2) < tol);
    mx_array *ut = tr(u), *utu = mm(ut, u), *e = eye_like(utu, m);
    CHECK(maxdiff(utu, e) < tol);
    mx_array *vtt = tr(vt), *vv = mm(vt, vtt), *e2 = eye_like(vv, n);
    CHECK(maxdiff(vv, e2) < tol);
    /* descending and non-negative */
    int64_t cnt = (int64_t)mx_array_size(sv);
    double *d = malloc(sizeof(double) * (size_t)(cnt + 1));
    rd(sv, d);
    for (int64_t i = 0; i < cnt; i++) {
        CHECK(d[i] >= 0);
        if (i % k) CHECK(d[i] <= d[i - 1]);
    }
    free(d);
    mx_array *all[] = {u, sv, vt, sv2, uk, vk, se, us, rec, ut, utu, e, vtt, vv, e2};
    free_all(all, 15);
}

TEST(test_svd) {
    int32_t s1[3] = {3, 4, 3}, s2[2] = {2, 5};
    mx_array *a = rand_arr(s1, 3, MX_FLOAT32, 3, 0), *b = rand_arr(s2, 2, MX_FLOAT64, 4, 0);
    check_svd(a, 1e-5);
    check_svd(b, 1e-12);
    mx_array *t = tr(b);
    check_svd(t, 1e-12);
    /* complex64: values from MLX, svd([[1+1j, 2], [3, 4j]]) = [5.16205, 2.08644]. */
    double re[4] = {1, 2, 3, 0}, im[4] = {1, 0, 0, 4}, w[2];
    int32_t sh[2] = {2, 2};
    mx_array *c = test_array_of(re, im, 4, sh, 2, MX_COMPLEX64), *sv = NULL;
    CHECK_OK(mx_linalg_svd(NULL, &sv, NULL, c, false, &cpu));
    CHECK(mx_array_dtype(sv) == MX_FLOAT32);
    rd(sv, w);
    CHECK_NEAR(w[0], 5.16205, 1e-4);
    CHECK_NEAR(w[1], 2.08644, 1e-4);
    /* Empty matrices: no values, identity vectors. */
    int32_t es[2] = {0, 3};
    mx_array *z = NULL, *u = NULL, *s = NULL, *vt = NULL;
    CHECK_OK(mx_zeros(&z, es, 2, MX_FLOAT32, &cpu));
    CHECK_OK(mx_linalg_svd(&u, &s, &vt, z, true, &cpu));
    CHECK_OK(mx_eval(&vt, 1));
    CHECK(mx_array_size(s) == 0);
    mx_array *e3 = NULL;
    CHECK_OK(mx_eye(&e3, 3, 3, 0, MX_FLOAT32, &cpu));
    CHECK(maxdiff(vt, e3) == 0);
    mx_array *all[] = {a, b, t, c, sv, z, u, s, vt, e3};
    free_all(all, 10);
}

/* ---- inverses ---- */

TEST(test_inv) {
    int32_t s1[3] = {4, 5, 5};
    mx_dtype dts[2] = {MX_FLOAT32, MX_FLOAT64};
    for (int k = 0; k < 2; k++) {
        double tol = k ? 1e-12 : 1e-5;
        mx_array *a = rand_arr(s1, 3, dts[k], 5 + k, 4.0), *t = tr(a), *ai = NULL, *ti = NULL;
        CHECK_OK(mx_linalg_inv(&ai, a, &cpu));
        CHECK_OK(mx_linalg_inv(&ti, t, &cpu));
        CHECK(mx_array_dtype(ai) == dts[k]);
        mx_array *p = mm(a, ai), *e = eye_like(p, 5), *p2 = mm(t, ti);
        CHECK(maxdiff(p, e) < tol);
        CHECK(maxdiff(p2, e) < tol);
        /* Triangular: only the named triangle is read. */
        mx_array *up = NULL, *lo = NULL, *iu = NULL, *il = NULL;
        CHECK_OK(mx_triu(&up, a, 0, &cpu));
        CHECK_OK(mx_tril(&lo, a, 0, &cpu));
        CHECK_OK(mx_linalg_tri_inv(&iu, a, true, &cpu));
        CHECK_OK(mx_linalg_tri_inv(&il, a, false, &cpu));
        mx_array *pu = mm(up, iu), *pl = mm(lo, il);
        CHECK(maxdiff(pu, e) < tol);
        CHECK(maxdiff(pl, e) < tol);
        mx_array *all[] = {a, t, ai, ti, p, e, p2, up, lo, iu, il, pu, pl};
        free_all(all, 13);
    }
    /* MLX: tri_inv(A3, upper=True). */
    double want[9] = {0.25, -0.0833333, -0.0916667, 0, 0.333333, -0.0333333, 0, 0, 0.2}, got[9];
    mx_array *a = mat(A3, 3, 3, MX_FLOAT32), *ti = NULL;
    CHECK_OK(mx_linalg_tri_inv(&ti, a, true, &cpu));
    rd(ti, got);
    for (int i = 0; i < 9; i++) CHECK_NEAR(got[i], want[i], 1e-6);
    /* Singular matrices fail at evaluation. */
    double sing[4] = {1, 2, 2, 4};
    mx_array *s = mat(sing, 2, 2, MX_FLOAT32), *si = NULL, *z = NULL, *zi = NULL;
    CHECK_OK(mx_linalg_inv(&si, s, &cpu));
    CHECK_ERR(mx_eval(&si, 1), MX_ERR_RUNTIME);
    CHECK(strstr(mx_last_error(), "singular") != NULL);
    CHECK_OK(mx_linalg_tri_inv(&zi, s, false, &cpu)); /* lower: [[1,0],[2,4]] is fine */
    CHECK_OK(mx_eval(&zi, 1));
    int32_t zs[2] = {2, 2};
    CHECK_OK(mx_zeros(&z, zs, 2, MX_FLOAT64, &cpu));
    CHECK_OK(mx_linalg_tri_inv(&zi, z, true, &cpu));
    CHECK_ERR(mx_eval(&zi, 1), MX_ERR_RUNTIME);
    CHECK(strstr(mx_last_error(), "[linalg::tri_inv] the matrix is singular") != NULL);
    /* 0 x 0 matrices invert to themselves. */
    int32_t es[3] = {2, 0, 0};
    mx_array *em = NULL, *ei = NULL;
    CHECK_OK(mx_zeros(&em, es, 3, MX_FLOAT32, &cpu));
    CHECK_OK(mx_linalg_inv(&ei, em, &cpu));
    CHECK_OK(mx_eval(&ei, 1));
    check_shape(ei, es, 3);
    mx_array *all[] = {a, ti, s, si, z, zi, em, ei};
    free_all(all, 8);
}

TEST(test_cholesky) {
    mx_dtype dts[2] = {MX_FLOAT32, MX_FLOAT64};
    int32_t s1[3] = {3, 4, 4};
    for (int k = 0; k < 2; k++) {
        double tol = k ? 1e-12 : 2e-5;
        /* b b^T + 4 I is positive definite. */
        mx_array *b = rand_arr(s1, 3, dts[k], 9 + k, 0), *bt = tr(b), *a = mm(b, bt);
        mx_array *e = eye_like(a, 4), *four = NULL;
        CHECK_OK(mx_array_from_float(&four, 4.0, dts[k]));
        CHECK_OK(mx_multiply(&e, e, four, &cpu));
        CHECK_OK(mx_add(&a, a, e, &cpu));
        mx_array *l = NULL, *u = NULL, *lt = NULL, *ut = NULL, *tl = NULL;
        CHECK_OK(mx_linalg_cholesky(&l, a, false, &cpu));
        CHECK_OK(mx_linalg_cholesky(&u, a, true, &cpu));
        lt = tr(l), ut = tr(u);
        mx_array *p = mm(l, lt), *q = mm(ut, u);
        CHECK(maxdiff(p, a) < tol * 10);
        CHECK(maxdiff(q, a) < tol * 10);
        CHECK_OK(mx_tril(&tl, l, 0, &cpu));
        CHECK(maxdiff(tl, l) == 0);
        /* cholesky_inv against inv. */
        mx_array *ci = NULL, *cu = NULL, *ai = NULL;
        CHECK_OK(mx_linalg_cholesky_inv(&ci, l, false, &cpu));
        CHECK_OK(mx_linalg_cholesky_inv(&cu, u, true, &cpu));
        CHECK_OK(mx_linalg_inv(&ai, a, &cpu));
        CHECK(maxdiff(ci, ai) < tol * 10);
        CHECK(maxdiff(cu, ai) < tol * 10);
        mx_array *all[] = {b, bt, a, e, four, l, u, lt, ut, tl, p, q, ci, cu, ai};
        free_all(all, 15);
    }
    /* MLX: cholesky(A3, upper=True) row 1 = [0, 1.65831, 0]. */
    double got[9];
    mx_array *a = mat(A3, 3, 3, MX_FLOAT32), *u = NULL, *n = NULL, *nl = NULL;
    CHECK_OK(mx_linalg_cholesky(&u, a, true, &cpu));
    rd(u, got);
    CHECK_NEAR(got[0], 2, 1e-6);
    CHECK_NEAR(got[1], 0.5, 1e-6);
    CHECK_NEAR(got[4], 1.65831, 1e-5);
    CHECK_NEAR(got[3], 0, 0);
    /* Not positive definite: an error (MLX returns garbage). */
    CHECK_OK(mx_negative(&n, a, &cpu));
    CHECK_OK(mx_linalg_cholesky(&nl, n, false, &cpu));
    CHECK_ERR(mx_eval(&nl, 1), MX_ERR_RUNTIME);
    CHECK(strstr(mx_last_error(), "positive definite") != NULL);
    mx_array *all[] = {a, u, n, nl};
    free_all(all, 4);
}

TEST(test_pinv) {
    /* MLX: pinv([[1,2,3],[4,5,6]]). */
    double v[6] = {1, 2, 3, 4, 5, 6}, got[6];
    double want[6] = {-0.944444, 0.444444, -0.111111, 0.111111, 0.722222, -0.222222};
    mx_array *a = mat(v, 2, 3, MX_FLOAT32), *p = NULL, *pp = NULL;
    CHECK_OK(mx_linalg_pinv(&p, a, &cpu));
    int32_t ps[2] = {3, 2};
    check_shape(p, ps, 2);
    rd(p, got);
    for (int i = 0; i < 6; i++) CHECK_NEAR(got[i], want[i], 1e-5);
    /* a pinv(a) a = a on a rank-deficient batch, float64. */
    double r[12] = {1, 2, 2, 4, 3, 6, 1, 0, 0, 1, 1, 1};
    int32_t rs[3] = {2, 3, 2};
    mx_array *b = arr(r, rs, 3, MX_FLOAT64), *bp = NULL;
    CHECK_OK(mx_linalg_pinv(&bp, b, &cpu));
    mx_array *x = mm(b, bp), *y = mm(x, b);
    CHECK(maxdiff(y, b) < 1e-12);
    CHECK_OK(mx_linalg_pinv(&pp, p, &cpu));
    CHECK(maxdiff(pp, a) < 1e-4);
    mx_array *all[] = {a, p, pp, b, bp, x, y};
    free_all(all, 7);
}

/* ---- eigenproblems ---- */

TEST(test_eigh) {
    mx_dtype dts[2] = {MX_FLOAT32, MX_FLOAT64};
    int32_t s1[3] = {3, 5, 5};
    for (int k = 0; k < 2; k++) {
        double tol = k ? 1e-12 : 1e-5;
        mx_array *b = rand_arr(s1, 3, dts[k], 13 + k, 0), *bt = tr(b), *a = NULL;
        CHECK_OK(mx_add(&a, b, bt, &cpu));
        mx_array *w = NULL, *v = NULL, *w2 = NULL, *wu = NULL, *wd = NULL;
        CHECK_OK(mx_linalg_eigh(&w, &v, a, "L", &cpu));
        CHECK_OK(mx_linalg_eigvalsh(&w2, a, NULL, &cpu));
        CHECK_OK(mx_linalg_eigvalsh(&wu, a, "U", &cpu));
        CHECK(mx_array_dtype(w) == dts[k]);
        mx_array *av = mm(a, v), *vw = NULL;
        CHECK_OK(mx_expand_dims(&wd, w, -2, &cpu));
        CHECK_OK(mx_multiply(&vw, v, wd, &cpu));
        CHECK(maxdiff(av, vw) < tol * 10);
        CHECK(maxdiff(w, w2) < tol);
        CHECK(maxdiff(w, wu) < tol * 10);
        double d[15];
        rd(w, d);
        for (int i = 0; i < 15; i++)
            if (i % 5) CHECK(d[i] >= d[i - 1]);
        mx_array *all[] = {b, bt, a, w, v, w2, wu, wd, av, vw};
        free_all(all, 10);
    }
    /* MLX: eigvalsh(A3) and the two triangles of a non-symmetric matrix. */
    double got[3], ns[4] = {1, 2, 3, 4};
    mx_array *a = mat(A3, 3, 3, MX_FLOAT32), *w = NULL, *n = mat(ns, 2, 2, MX_FLOAT32);
    CHECK_OK(mx_linalg_eigvalsh(&w, a, "L", &cpu));
    rd(w, got);
    CHECK_NEAR(got[0], 2.09652, 1e-5);
    CHECK_NEAR(got[1], 3.07222, 1e-5);
    CHECK_NEAR(got[2], 6.83125, 1e-5);
    CHECK_OK(mx_linalg_eigvalsh(&w, n, "U", &cpu));
    rd(w, got);
    CHECK_NEAR(got[0], 0, 1e-6);
    CHECK_NEAR(got[1], 5, 1e-6);
    CHECK_OK(mx_linalg_eigvalsh(&w, n, "L", &cpu));
    rd(w, got);
    CHECK_NEAR(got[0], -0.854102, 1e-5);
    CHECK_NEAR(got[1], 5.8541, 1e-4);
    /* Hermitian complex64: [[2, i], [-i, 2]] has eigenvalues 1 and 3. */
    double re[4] = {2, 0, 0, 2}, im[4] = {0, 1, -1, 0};
    int32_t sh[2] = {2, 2};
    mx_array *h = test_array_of(re, im, 4, sh, 2, MX_COMPLEX64), *hv = NULL;
    CHECK_OK(mx_linalg_eigh(&w, &hv, h, NULL, &cpu));
    CHECK(mx_array_dtype(w) == MX_FLOAT32 && mx_array_dtype(hv) == MX_COMPLEX64);
    rd(w, got);
    CHECK_NEAR(got[0], 1, 1e-6);
    CHECK_NEAR(got[1], 3, 1e-6);
    mx_array *all[] = {a, w, n, h, hv};
    free_all(all, 5);
}

/* max |a v - v diag(w)| for complex64 results of eig on an n x n matrix. */
static double eig_residual(const double *a, int n, mx_array *w, mx_array *v) {
    float complex W[8], V[64];
    CHECK_OK(mx_eval(&w, 1));
    CHECK_OK(mx_eval(&v, 1));
    CHECK_OK(mx_array_copy_to(w, W, sizeof(float complex) * (size_t)n));
    CHECK_OK(mx_array_copy_to(v, V, sizeof(float complex) * (size_t)(n * n)));
    double worst = 0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double complex s = 0;
            for (int k = 0; k < n; k++) s += a[i * n + k] * V[k * n + j];
            double e = cabs(s - W[j] * V[i * n + j]);
            if (!(e <= worst)) worst = e;
        }
    return worst;
}

TEST(test_eig) {
    /* A real matrix with a complex pair and a real eigenvalue. */
    double a[9] = {0, -2, 1, 1, 0, 0, 0, 1, 3};
    mx_dtype dts[2] = {MX_FLOAT32, MX_FLOAT64};
    for (int k = 0; k < 2; k++) {
        mx_array *x = mat(a, 3, 3, dts[k]), *t = tr(x), *w = NULL, *v = NULL, *wv = NULL;
        CHECK_OK(mx_linalg_eig(&w, &v, x, &cpu));
        CHECK(mx_array_dtype(w) == MX_COMPLEX64 && mx_array_dtype(v) == MX_COMPLEX64);
        CHECK(eig_residual(a, 3, w, v) < 1e-5);
        CHECK_OK(mx_linalg_eigvals(&wv, x, &cpu));
        float complex w1[3], w2[3];
        CHECK_OK(mx_eval(&wv, 1));
        CHECK_OK(mx_array_copy_to(w, w1, sizeof w1));
        CHECK_OK(mx_array_copy_to(wv, w2, sizeof w2));
        for (int i = 0; i < 3; i++) CHECK(cabsf(w1[i] - w2[i]) < 1e-5);
        /* transposed input: eigenvalues of a^T are those of a */
        double at[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) at[i * 3 + j] = a[j * 3 + i];
        CHECK_OK(mx_linalg_eig(&w, &v, t, &cpu));
        CHECK(eig_residual(at, 3, w, v) < 1e-5);
        mx_array *all[] = {x, t, w, v, wv};
        free_all(all, 5);
    }
    /* MLX: eigvals([[0, -1], [1, 0]]) = [i, -i]. */
    double r[4] = {0, -1, 1, 0};
    mx_array *x = mat(r, 2, 2, MX_FLOAT32), *w = NULL;
    CHECK_OK(mx_linalg_eigvals(&w, x, &cpu));
    float complex got[2];
    CHECK_OK(mx_eval(&w, 1));
    CHECK_OK(mx_array_copy_to(w, got, sizeof got));
    CHECK(cabsf(got[0] - I) < 1e-6 && cabsf(got[1] + I) < 1e-6);
    /* complex64 input, batched. */
    double re[8] = {2, 0, 0, 2, 1, 2, 0, 3}, im[8] = {0, 1, -1, 0, 1, 0, 0, 0};
    int32_t sh[3] = {2, 2, 2};
    mx_array *c = test_array_of(re, im, 8, sh, 3, MX_COMPLEX64), *cw = NULL, *cv = NULL;
    CHECK_OK(mx_linalg_eig(&cw, &cv, c, &cpu));
    CHECK_OK(mx_eval(&cw, 1));
    float complex cws[4];
    CHECK_OK(mx_array_copy_to(cw, cws, sizeof cws));
    /* batch 1 is triangular: eigenvalues 1+i and 3 */
    CHECK(cabsf(cws[2] - (1 + I)) < 1e-5 || cabsf(cws[3] - (1 + I)) < 1e-5);
    mx_array *all[] = {x, w, c, cw, cv};
    free_all(all, 5);
}

/* ---- LU, solve, det ---- */

TEST(test_lu) {
    /* MLX: lu_factor pivots [1, 2, 2] and lu row_idx [2, 0, 1]. */
    double b[9] = {1, 2, 3, 3, 1, 2, 2, 9, 1};
    mx_array *a = mat(b, 3, 3, MX_FLOAT32), *lu = NULL, *piv = NULL, *p = NULL, *l = NULL,
             *u = NULL;
    CHECK_OK(mx_linalg_lu_factor(&lu, &piv, a, &cpu));
    CHECK_OK(mx_linalg_lu(&p, &l, &u, a, &cpu));
    CHECK_OK(mx_eval(&piv, 1));
    CHECK_OK(mx_eval(&p, 1));
    CHECK(mx_array_dtype(piv) == MX_UINT32 && mx_array_dtype(p) == MX_UINT32);
    uint32_t pv[3], rv[3];
    CHECK_OK(mx_array_copy_to(piv, pv, sizeof pv));
    CHECK_OK(mx_array_copy_to(p, rv, sizeof rv));
    CHECK(pv[0] == 1 && pv[1] == 2 && pv[2] == 2);
    CHECK(rv[0] == 2 && rv[1] == 0 && rv[2] == 1);
    /* (L U)[row_idx[i]] = A[i] on batched, rectangular, transposed, float64. */
    int32_t shapes[3][3] = {{2, 4, 4}, {3, 3, 5}, {2, 5, 3}};
    for (int c = 0; c < 3; c++) {
        mx_dtype dt = c == 1 ? MX_FLOAT64 : MX_FLOAT32;
        mx_array *x = rand_arr(shapes[c], 3, dt, 20 + c, 0), *rows = NULL, *L = NULL, *U = NULL;
        if (c == 2) {
            mx_array *t = tr(x);
            mx_array_free(x);
            x = t;
        }
        CHECK_OK(mx_linalg_lu(&rows, &L, &U, x, &cpu));
        mx_array *prod = mm(L, U), *ri = NULL, *back = NULL, *lt = NULL;
        CHECK_OK(mx_expand_dims(&ri, rows, -1, &cpu));
        CHECK_OK(mx_take_along_axis(&back, prod, ri, -2, &cpu));
        CHECK(maxdiff(back, x) < (dt == MX_FLOAT64 ? 1e-12 : 1e-5));
        CHECK_OK(mx_tril(&lt, L, 0, &cpu));
        CHECK(maxdiff(lt, L) == 0);
        mx_array *all[] = {x, rows, L, U, prod, ri, back, lt};
        free_all(all, 8);
    }
    mx_array *all[] = {a, lu, piv, p, l, u};
    free_all(all, 6);
}

TEST(test_solve) {
    int32_t as[3] = {2, 4, 4}, bs[2] = {4, 3}, vs[1] = {4}, bb[4] = {3, 2, 4, 2};
    for (int k = 0; k < 2; k++) {
        mx_dtype dt = k ? MX_FLOAT64 : MX_FLOAT32;
        double tol = k ? 1e-12 : 1e-5;
        mx_array *a = rand_arr(as, 3, dt, 30 + k, 3.0), *b = rand_arr(bs, 2, dt, 40, 0);
        mx_array *v = rand_arr(vs, 1, dt, 41, 0), *b4 = rand_arr(bb, 4, dt, 42, 0);
        mx_array *x = NULL, *xv = NULL, *x4 = NULL, *bv = NULL;
        CHECK_OK(mx_linalg_solve(&x, a, b, &cpu));
        CHECK_OK(mx_linalg_solve(&xv, a, v, &cpu));
        CHECK_OK(mx_linalg_solve(&x4, a, b4, &cpu));
        int32_t xs[3] = {2, 4, 3}, xvs[2] = {2, 4};
        check_shape(x, xs, 3);
        check_shape(xv, xvs, 2);
        check_shape(x4, bb, 4);
        mx_array *ax = mm(a, x), *ax4 = mm(a, x4), *bbx = NULL, *axv = NULL;
        CHECK_OK(mx_broadcast_to(&bbx, b, xs, 3, &cpu));
        CHECK(maxdiff(ax, bbx) < tol);
        CHECK(maxdiff(ax4, b4) < tol);
        CHECK_OK(mx_expand_dims(&axv, xv, -1, &cpu));
        CHECK_OK(mx_matmul(&axv, a, axv, &cpu));
        CHECK_OK(mx_reshape(&axv, axv, xvs, 2, &cpu));
        CHECK_OK(mx_broadcast_to(&bv, v, xvs, 2, &cpu));
        CHECK(maxdiff(axv, bv) < tol);
        /* Triangular solves read one triangle. */
        mx_array *xt = NULL, *up = NULL, *ut = NULL;
        CHECK_OK(mx_linalg_solve_triangular(&xt, a, b, true, &cpu));
        CHECK_OK(mx_triu(&up, a, 0, &cpu));
        ut = mm(up, xt);
        CHECK(maxdiff(ut, bbx) < tol);
        mx_array *all[] = {a, b, v, b4, x, xv, x4, bv, ax, ax4, bbx, axv, xt, up, ut};
        free_all(all, 15);
    }
    /* MLX: solve_triangular(A3, ones(3), upper=True) = [0.075, 0.3, 0.2];
     * solve with integer b promotes to float32. */
    double one[3] = {1, 1, 1}, got[3];
    int32_t three = 3;
    mx_array *a = mat(A3, 3, 3, MX_FLOAT32), *o = arr(one, &three, 1, MX_INT32), *x = NULL;
    CHECK_OK(mx_linalg_solve_triangular(&x, a, o, true, &cpu));
    CHECK(mx_array_dtype(x) == MX_FLOAT32);
    rd(x, got);
    CHECK_NEAR(got[0], 0.075, 1e-6);
    CHECK_NEAR(got[1], 0.3, 1e-6);
    CHECK_NEAR(got[2], 0.2, 1e-6);
    /* A singular a fails at evaluation, naming solve. */
    double sing[4] = {1, 2, 2, 4};
    mx_array *sm = mat(sing, 2, 2, MX_FLOAT32), *sb = NULL;
    int32_t two = 2;
    CHECK_OK(mx_ones(&sb, &two, 1, MX_FLOAT32, &cpu));
    CHECK_OK(mx_linalg_solve(&x, sm, sb, &cpu));
    CHECK_ERR(mx_eval(&x, 1), MX_ERR_RUNTIME);
    CHECK(strstr(mx_last_error(), "[linalg::solve] the matrix is singular") != NULL);
    mx_array *all[] = {a, o, x, sm, sb};
    free_all(all, 5);
}

TEST(test_det) {
    double got[4];
    mx_array *a = mat(A3, 3, 3, MX_FLOAT32), *d = NULL, *s = NULL, *l = NULL;
    CHECK_OK(mx_linalg_det(&d, a, &cpu));
    rd(d, got);
    CHECK_NEAR(got[0], 44, 1e-4);
    /* Integers give float32 (MLX: det([[1,2],[3,4]]) = -2). */
    double i2[4] = {1, 2, 3, 4};
    mx_array *b = mat(i2, 2, 2, MX_INT32);
    CHECK_OK(mx_linalg_det(&d, b, &cpu));
    CHECK(mx_array_dtype(d) == MX_FLOAT32);
    rd(d, got);
    CHECK_NEAR(got[0], -2, 1e-6);
    /* LU path, batched: NumPy det of these 5 x 5 matrices. */
    double m5[50];
    for (int i = 0; i < 50; i++) m5[i] = (double)((i * 7 + 3) % 11) - 5;
    int32_t s5[3] = {2, 5, 5};
    mx_array *c = arr(m5, s5, 3, MX_FLOAT64), *ct = tr(c);
    CHECK_OK(mx_linalg_det(&d, c, &cpu));
    rd(d, got);
    CHECK_NEAR(got[0], 2662.0, 1e-9);
    CHECK_NEAR(got[1], -2662.0, 1e-9);
    CHECK_OK(mx_linalg_det(&d, ct, &cpu));
    rd(d, got);
    CHECK_NEAR(got[0], 2662.0, 1e-9);
    CHECK_OK(mx_linalg_slogdet(&s, &l, c, &cpu));
    rd(s, got);
    rd(l, got + 2);
    CHECK(got[0] == 1 && got[1] == -1);
    CHECK_NEAR(got[2], log(2662.0), 1e-12);
    /* Singular and -I: (0, -inf) and (-1, 0), as MLX. */
    double ones[25], neg[25];
    for (int i = 0; i < 25; i++) ones[i] = 1, neg[i] = i % 6 == 0 ? -1 : 0;
    mx_array *o = mat(ones, 5, 5, MX_FLOAT32), *ni = mat(neg, 5, 5, MX_FLOAT32);
    CHECK_OK(mx_linalg_slogdet(&s, &l, o, &cpu));
    rd(s, got);
    rd(l, got + 1);
    CHECK(got[0] == 0 && isinf(got[1]) && got[1] < 0);
    CHECK_OK(mx_linalg_slogdet(&s, &l, ni, &cpu));
    rd(s, got);
    rd(l, got + 1);
    CHECK(got[0] == -1 && got[1] == 0);
    CHECK_OK(mx_linalg_det(&d, ni, &cpu));
    rd(d, got);
    CHECK(got[0] == -1);
    /* 0 x 0: determinant 1. */
    int32_t es[3] = {3, 0, 0};
    mx_array *e = NULL;
    CHECK_OK(mx_zeros(&e, es, 3, MX_FLOAT32, &cpu));
    CHECK_OK(mx_linalg_det(&d, e, &cpu));
    rd(d, got);
    CHECK(mx_array_size(d) == 3 && got[0] == 1 && got[2] == 1);
    mx_array *all[] = {a, d, s, l, b, c, ct, o, ni, e};
    free_all(all, 10);
}

/* ---- norms and cross ---- */

static double norm_ord(mx_array *a, double ord, const int *axes, int naxes) {
    mx_array *n = NULL;
    double v = NAN;
    CHECK_OK(mx_linalg_norm_ord(&n, a, ord, axes, naxes, false, &cpu));
    if (n) rd(n, &v);
    mx_array_free(n);
    return v;
}

TEST(test_norm) {
    double x[4] = {3, -4, 0, 1};
    int32_t four = 4;
    mx_array *v = arr(x, &four, 1, MX_FLOAT32), *n = NULL;
    int ax0 = 0;
    CHECK_NEAR(norm_ord(v, 0, NULL, 0), 3, 0);
    CHECK_NEAR(norm_ord(v, 1, &ax0, 1), 8, 1e-6);
    CHECK_NEAR(norm_ord(v, 2, NULL, 0), sqrt(26.0), 1e-6);
    CHECK_NEAR(norm_ord(v, INFINITY, NULL, 0), 4, 0);
    CHECK_NEAR(norm_ord(v, -INFINITY, NULL, 0), 0, 0);
    CHECK_NEAR(norm_ord(v, 3, NULL, 0), cbrt(92.0), 1e-5);
    CHECK_NEAR(norm_ord(v, -1, NULL, 0), 0, 1e-6); /* 1 / (1/3 + 1/4 + inf + 1) */
    double got[4];
    CHECK_OK(mx_linalg_norm(&n, v, NULL, 0, false, &cpu));
    rd(n, got);
    CHECK_NEAR(got[0], sqrt(26.0), 1e-6);
    /* Matrix norms of [[1, -2], [3, 4]] (NumPy: 2-norm 5.1167..., -2:
     * 1.9544..., nuc 7.0711...). */
    double m[4] = {1, -2, 3, 4};
    mx_array *a = mat(m, 2, 2, MX_FLOAT64), *t = tr(a);
    int ax01[2] = {0, 1}, ax10[2] = {1, 0};
    CHECK_NEAR(norm_ord(a, 1, NULL, 0), 6, 1e-12);
    CHECK_NEAR(norm_ord(a, -1, NULL, 0), 4, 1e-12);
    CHECK_NEAR(norm_ord(a, INFINITY, NULL, 0), 7, 1e-12);
    CHECK_NEAR(norm_ord(a, -INFINITY, ax01, 2), 3, 1e-12);
    CHECK_NEAR(norm_ord(a, INFINITY, ax10, 2), 6, 1e-12); /* axes swapped: the transpose */
    CHECK_NEAR(norm_ord(t, 1, NULL, 0), 7, 1e-12);
    CHECK_NEAR(norm_ord(a, 2, NULL, 0), 5.116672736016927, 1e-12);
    CHECK_NEAR(norm_ord(a, -2, NULL, 0), 1.954395075848587, 1e-12);
    CHECK_OK(mx_linalg_norm_str(&n, a, "nuc", NULL, 0, false, &cpu));
    rd(n, got);
    CHECK_NEAR(got[0], 7.0710678118654755, 1e-12);
    CHECK_OK(mx_linalg_norm_str(&n, a, "fro", NULL, 0, false, &cpu));
    rd(n, got);
    CHECK_NEAR(got[0], sqrt(30.0), 1e-12);
    /* Batched matrix norms against reference loops; keepdims shapes. */
    int32_t s3[3] = {3, 2, 4};
    mx_array *b = rand_arr(s3, 3, MX_FLOAT32, 50, 0);
    double bv[24];
    rd(b, bv);
    int axes[2] = {2, 0};
    CHECK_OK(mx_linalg_norm_ord(&n, b, 1, axes, 2, true, &cpu)); /* rows: axis 2, cols: axis 0 */
    int32_t ks[3] = {1, 2, 1};
    check_shape(n, ks, 3);
    rd(n, got);
    for (int j = 0; j < 2; j++) {
        double best = 0;
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            for (int r = 0; r < 4; r++) sum += fabs(bv[c * 8 + j * 4 + r]);
            if (sum > best) best = sum;
        }
        CHECK_NEAR(got[j], best, 1e-5);
    }
    CHECK_OK(mx_linalg_norm_ord(&n, b, -2, axes, 2, true, &cpu));
    check_shape(n, ks, 3);
    CHECK_OK(mx_linalg_norm(&n, b, NULL, 0, true, &cpu));
    int32_t k111[3] = {1, 1, 1};
    check_shape(n, k111, 3);
    /* Integer input: float32. */
    mx_array *iv = arr(x, &four, 1, MX_INT32);
    CHECK_OK(mx_linalg_norm_ord(&n, iv, 1, NULL, 0, false, &cpu));
    CHECK(mx_array_dtype(n) == MX_FLOAT32);
    rd(n, got);
    CHECK(got[0] == 8);
    /* Errors, with MLX's messages. */
    CHECK_ERR(mx_linalg_norm_ord(&n, b, 2, NULL, 0, false, &cpu), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "too many axes") != NULL);
    CHECK_ERR(mx_linalg_norm_ord(&n, a, 3, NULL, 0, false, &cpu), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "Invalid ord 3 for matrix norm") != NULL);
    CHECK_ERR(mx_linalg_norm_str(&n, v, "fro", NULL, 0, false, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_norm_str(&n, a, "abc", NULL, 0, false, &cpu), MX_ERR_VALUE);
    int three_axes[3] = {0, 1, 2};
    CHECK_ERR(mx_linalg_norm(&n, b, three_axes, 3, false, &cpu), MX_ERR_VALUE);
    mx_array *ia = mat(m, 2, 2, MX_INT32);
    CHECK_ERR(mx_linalg_norm_ord(&n, ia, 2, NULL, 0, false, &cpu), MX_ERR_VALUE);
    mx_array *all[] = {v, n, a, t, b, iv, ia};
    free_all(all, 7);
}

TEST(test_cross) {
    double x[6] = {1, 2, 3, 1, 0, 0}, y[6] = {4, 5, 6, 0, 1, 0}, got[6];
    int32_t s[2] = {2, 3};
    mx_array *a = arr(x, s, 2, MX_FLOAT32), *b = arr(y, s, 2, MX_FLOAT32), *c = NULL;
    CHECK_OK(mx_linalg_cross(&c, a, b, -1, &cpu));
    rd(c, got);
    double want[6] = {-3, 6, -3, 0, 0, 1};
    for (int i = 0; i < 6; i++) CHECK_NEAR(got[i], want[i], 0);
    /* Along axis 0 of the transposes; size-2 vectors; broadcasting. */
    mx_array *at = tr(a), *bt = tr(b);
    CHECK_OK(mx_linalg_cross(&c, at, bt, 0, &cpu));
    int32_t s32[2] = {3, 2};
    check_shape(c, s32, 2);
    rd(c, got);
    for (int i = 0; i < 3; i++) CHECK_NEAR(got[i * 2], want[i], 0);
    double p[2] = {1, 2}, q[2] = {3, 4};
    int32_t two = 2;
    mx_array *u = arr(p, &two, 1, MX_INT32), *w = arr(q, &two, 1, MX_INT32);
    CHECK_OK(mx_linalg_cross(&c, u, w, -1, &cpu));
    CHECK(mx_array_dtype(c) == MX_INT32);
    rd(c, got);
    CHECK(got[0] == 0 && got[1] == 0 && got[2] == -2);
    CHECK_OK(mx_linalg_cross(&c, a, w, -1, &cpu)); /* (2,3) x (2,): broadcast */
    rd(c, got);
    /* [1,2,3] x [3,4,0] = [-12, 9, -2] */
    CHECK(got[0] == -12 && got[1] == 9 && got[2] == -2);
    CHECK_ERR(mx_linalg_cross(&c, a, b, 2, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_cross(&c, at, b, -1, &cpu), MX_ERR_VALUE);
    mx_array *all[] = {a, b, c, at, bt, u, w};
    free_all(all, 7);
}

/* ---- wrong calls ---- */

TEST(test_errors) {
    double v[6] = {1, 2, 3, 4, 5, 6};
    int32_t three = 3;
    mx_array *vec = arr(v, &three, 1, MX_FLOAT32), *r = mat(v, 2, 3, MX_FLOAT32);
    mx_array *i = mat(v, 2, 2, MX_INT32), *h = mat(v, 2, 2, MX_FLOAT16);
    mx_array *c = mat(v, 2, 2, MX_COMPLEX64), *o = NULL, *o2 = NULL, *o3 = NULL;
    CHECK_ERR(mx_linalg_inv(&o, vec, &cpu), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "[linalg::inv] Arrays must have >= 2 dimensions") != NULL);
    CHECK_ERR(mx_linalg_inv(&o, r, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_inv(&o, i, &cpu), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "float32 or float64") != NULL);
    CHECK_ERR(mx_linalg_inv(&o, c, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_tri_inv(&o, r, true, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_cholesky(&o, r, false, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_cholesky(&o, h, false, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_cholesky_inv(&o, r, false, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_qr(&o, &o2, i, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_qr(&o, &o2, c, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_qr(&o, &o2, vec, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_qr(&o, &o, r, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_svd(&o, &o2, &o3, i, true, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_svd(NULL, &o2, NULL, r, true, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_pinv(&o, c, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_eigh(&o, &o2, r, "L", &cpu), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "Only defined for square matrices") != NULL);
    CHECK_ERR(mx_linalg_eigh(&o, &o2, i, "L", &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_eigvalsh(&o, h, "L", &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_eigvalsh(&o, c, "X", &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_eig(&o, &o2, r, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_eigvals(&o, i, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_lu(&o, &o2, &o3, i, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_lu_factor(&o, &o2, vec, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_solve(&o, i, i, &cpu), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "must promote to float32 or float64") != NULL);
    CHECK_ERR(mx_linalg_solve(&o, r, vec, &cpu), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "square matrix") != NULL);
    CHECK_ERR(mx_linalg_solve(&o, vec, vec, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_solve_triangular(&o, h, vec, false, &cpu), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "Last dimension of first input") != NULL);
    CHECK_ERR(mx_linalg_det(&o, c, &cpu), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "Complex inputs are not supported") != NULL);
    CHECK_ERR(mx_linalg_det(&o, r, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_slogdet(&o, &o2, vec, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_inv(NULL, r, &cpu), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_inv(&o, NULL, &cpu), MX_ERR_VALUE);
    /* NaN input: LAPACKE's check reports it. */
    double nanv[4] = {1, NAN, 3, 4};
    mx_array *n = mat(nanv, 2, 2, MX_FLOAT32);
    CHECK_OK(mx_linalg_svd(NULL, &o, NULL, n, false, &cpu));
    CHECK_ERR(mx_eval(&o, 1), MX_ERR_RUNTIME);
    CHECK(strstr(mx_last_error(), "NaN") != NULL);
    CHECK(o2 == NULL && o3 == NULL);
    mx_array *all[] = {vec, r, i, h, c, o, o2, o3, n};
    free_all(all, 9);
}

/* A GPU stream is rejected with MLX's message. No GPU backend exists in
 * this build, so a stand-in one with a device and no kernels is installed
 * (last test: it changes the default device, set back to the CPU after). */
static int fake_count(void) {
    return 1;
}
static void fake_describe(int index, char *buf, size_t len) {
    (void)index;
    snprintf(buf, len, "test gpu");
}
static mxi_eval_fn fake_kernel(mxi_prim_kind kind) {
    (void)kind;
    return NULL;
}

TEST(test_gpu_stream) {
    static const mxi_backend fake = {"gpu", fake_count, fake_describe, fake_kernel, NULL};
    mxi_register_backend(MX_GPU, &fake);
    mx_stream g;
    mx_device gd = {MX_GPU, 0}, cd = {MX_CPU, 0};
    CHECK_OK(mx_new_stream(&g, gd));
    CHECK_OK(mx_set_default_device(cd)); /* the GPU became the default */
    mx_array *a = mat(A3, 3, 3, MX_FLOAT32), *o = NULL, *o2 = NULL, *b = NULL;
    CHECK_ERR(mx_linalg_inv(&o, a, &g), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "[linalg::inv] This op is not yet supported on the GPU") != NULL);
    CHECK_ERR(mx_linalg_eigh(&o, &o2, a, "L", &g), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_solve(&o, a, a, &g), MX_ERR_VALUE);
    CHECK_ERR(mx_linalg_det(&o, a, &g), MX_ERR_VALUE);
    /* The default stream follows the default device. */
    CHECK_OK(mx_set_default_device(gd));
    CHECK_ERR(mx_linalg_qr(&o, &o2, a, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_set_default_device(cd));
    /* Norms that need no factorization build on any stream. */
    CHECK_OK(mx_linalg_norm_ord(&b, a, 1, NULL, 0, false, &g));
    CHECK_ERR(mx_linalg_norm_ord(&o, a, 2, NULL, 0, false, &g), MX_ERR_VALUE);
    mx_array *all[] = {a, o, o2, b};
    free_all(all, 4);
}

int main(void) {
    mx_device cd = {MX_CPU, 0};
    if (mx_default_stream(&cpu, cd) != MX_OK) return 1;
    RUN(test_qr);
    RUN(test_svd);
    RUN(test_inv);
    RUN(test_cholesky);
    RUN(test_pinv);
    RUN(test_eigh);
    RUN(test_eig);
    RUN(test_lu);
    RUN(test_solve);
    RUN(test_det);
    RUN(test_norm);
    RUN(test_cross);
    RUN(test_errors);
    RUN(test_gpu_stream);
    return TEST_SUMMARY();
}
