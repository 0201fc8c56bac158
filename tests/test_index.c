/*
 * Indexing: take, take_along_axis, put_along_axis, scatter_add_axis,
 * gather, scatter and its reductions, slice_update (static, reducing,
 * dynamic) and masked_scatter. Values against reference loops written here
 * for every item size and the dtypes whose arithmetic differs, every index
 * dtype, negative and out-of-range indices (clamped reads, dropped writes),
 * repeated indices (serial order), strided inputs, empty and 0-d arrays, the
 * parallel paths, and every wrong call. Values checked against real MLX
 * 0.32.4 are embedded where noted.
 */
#include <complex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "core/half.h"
#include "core/threadpool.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static mx_array *make(mx_dtype t, const void *data, const int32_t *shape, int ndim) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, data, shape, ndim, t));
    return a;
}

static mx_array *vec_i32(const int32_t *v, int32_t n) {
    return make(MX_INT32, v, &n, 1);
}

static mx_array *vec_f32(const float *v, int32_t n) {
    return make(MX_FLOAT32, v, &n, 1);
}

static void *read_all(mx_array *a) {
    CHECK_OK(mx_eval(&a, 1));
    size_t nb = mx_array_nbytes(a);
    void *buf = malloc(nb ? nb : 1);
    CHECK_OK(mx_array_copy_to(a, buf, nb));
    return buf;
}

static bool eq_i32(mx_array *a, const int32_t *want, size_t n) {
    if (mx_array_size(a) != n) return false;
    int32_t *g = read_all(a);
    bool ok = memcmp(g, want, n * sizeof *want) == 0;
    if (!ok) {
        fprintf(stderr, "  got:");
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", g[i]);
        fprintf(stderr, "\n");
    }
    free(g);
    return ok;
}

static bool eq_f32(mx_array *a, const float *want, size_t n) {
    if (mx_array_size(a) != n) return false;
    float *g = read_all(a);
    bool ok = true;
    for (size_t i = 0; i < n; i++) ok = ok && (g[i] == want[i] || (isnan(g[i]) && isnan(want[i])));
    if (!ok) {
        fprintf(stderr, "  got:");
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %g", g[i]);
        fprintf(stderr, "\n");
    }
    free(g);
    return ok;
}

static const mx_dtype index_dtypes[] = {MX_INT8,  MX_INT16,  MX_INT32,  MX_INT64,
                                        MX_UINT8, MX_UINT16, MX_UINT32, MX_UINT64};

/* An index array of dtype t from int64 values (wrapped like a C cast). */
static mx_array *idx_array(mx_dtype t, const int64_t *v, const int32_t *shape, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    char *buf = malloc((size_t)(n ? n : 1) * 8);
    int sz = mx_dtype_size(t);
    for (int64_t i = 0; i < n; i++) memcpy(buf + i * sz, &v[i], (size_t)sz); /* little endian */
    mx_array *a = make(t, buf, shape, nd);
    free(buf);
    return a;
}

/* The reference's rule for reads: wrap once, clamp. */
static int64_t clampi(int64_t v, int64_t n) {
    if (v < 0) v += n;
    return v < 0 ? 0 : v >= n ? n - 1 : v;
}

/* ---- take ---- */

/* Values checked against MLX 0.32.4. */
TEST(take_mlx_values) {
    int32_t a12[12];
    for (int i = 0; i < 12; i++) a12[i] = i;
    int32_t sh[2] = {3, 4};
    mx_array *a = make(MX_INT32, a12, sh, 2), *o = NULL;
    mx_array *i1 = vec_i32((int32_t[]){0, 5, 11}, 3);
    CHECK_OK(mx_take(&o, a, i1, NULL));
    CHECK(eq_i32(o, (int32_t[]){0, 5, 11}, 3));
    mx_array *i2 = vec_i32((int32_t[]){-1, -12}, 2);
    CHECK_OK(mx_take(&o, a, i2, NULL));
    CHECK(eq_i32(o, (int32_t[]){11, 0}, 2));
    int32_t ish[2] = {2, 2};
    mx_array *i3 = make(MX_INT32, (int32_t[]){0, 3, 1, -1}, ish, 2);
    CHECK_OK(mx_take_axis(&o, a, i3, 1, NULL));
    CHECK(mx_array_ndim(o) == 3 && mx_array_dim(o, 0) == 3 && mx_array_dim(o, 1) == 2);
    CHECK(eq_i32(o, (int32_t[]){0, 3, 1, 3, 4, 7, 5, 7, 8, 11, 9, 11}, 12));
    CHECK_OK(mx_take_index_axis(&o, a, 2, 1, NULL));
    CHECK(eq_i32(o, (int32_t[]){2, 6, 10}, 3));
    CHECK_OK(mx_take_index(&o, a, 5, NULL));
    CHECK(mx_array_ndim(o) == 0 && eq_i32(o, (int32_t[]){5}, 1));
    /* negative int index: NumPy's rule (MLX fails) */
    CHECK_OK(mx_take_index_axis(&o, a, -1, 0, NULL));
    CHECK(eq_i32(o, (int32_t[]){8, 9, 10, 11}, 4));
    CHECK_ERR(mx_take_index_axis(&o, a, 3, 0, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_take_index(&o, a, -13, NULL), MX_ERR_INDEX);
    /* 0-d index along axis 0 gives a row */
    mx_array *z = NULL;
    CHECK_OK(mx_array_from_int(&z, 1, MX_INT32));
    CHECK_OK(mx_take_axis(&o, a, z, 0, NULL));
    CHECK(mx_array_ndim(o) == 1 && eq_i32(o, (int32_t[]){4, 5, 6, 7}, 4));
    /* int8 -1 into 300 elements wraps to 299 */
    mx_array *r300 = NULL, *m1 = NULL;
    CHECK_OK(mx_arange(&r300, 0, 300, 1, MX_INT32, NULL));
    CHECK_OK(mx_array_from_int(&m1, -1, MX_INT8));
    CHECK_OK(mx_take(&o, r300, m1, NULL));
    CHECK(eq_i32(o, (int32_t[]){299}, 1));
    /* a 0-d array flattens to one element */
    mx_array *five = NULL, *i0 = vec_i32((int32_t[]){0}, 1);
    CHECK_OK(mx_array_from_int(&five, 5, MX_INT32));
    CHECK_OK(mx_take(&o, five, i0, NULL));
    CHECK(eq_i32(o, (int32_t[]){5}, 1));
    /* empty indices */
    int32_t esh[2] = {0, 2};
    mx_array *ei = NULL;
    CHECK_OK(mx_zeros(&ei, esh, 2, MX_INT32, NULL));
    CHECK_OK(mx_take_axis(&o, a, ei, 1, NULL));
    CHECK_OK(mx_eval(&o, 1));
    CHECK(mx_array_ndim(o) == 3 && mx_array_dim(o, 0) == 3 && mx_array_dim(o, 1) == 0 &&
          mx_array_size(o) == 0);
    mx_array *arrs[] = {a, o, i1, i2, i3, z, r300, m1, five, i0, ei};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

/* Every index dtype, item size and axis against a reference, with
 * out-of-range indices clamped. */
TEST(take_reference) {
    int32_t sh[3] = {5, 6, 7};
    int64_t n = 5 * 6 * 7;
    const mx_dtype vts[] = {MX_BOOL, MX_INT16, MX_FLOAT32, MX_COMPLEX64};
    for (size_t vi = 0; vi < sizeof vts / sizeof vts[0]; vi++) {
        mx_dtype vt = vts[vi];
        int vsz = mx_dtype_size(vt);
        char *src = malloc((size_t)n * (size_t)vsz);
        for (int64_t i = 0; i < n * vsz; i++) src[i] = (char)(rnd() & (vt == MX_BOOL ? 1 : 0xff));
        mx_array *a = make(vt, src, sh, 3);
        for (size_t ti = 0; ti < sizeof index_dtypes / sizeof index_dtypes[0]; ti++) {
            mx_dtype it = index_dtypes[ti];
            bool sgn = it == MX_INT8 || it == MX_INT16 || it == MX_INT32 || it == MX_INT64;
            int64_t iv[8] = {0, 3, 1, 4, sgn ? -1 : 2, sgn ? -5 : 0, 100, sgn ? -100 : 77};
            int32_t ish[2] = {2, 4};
            mx_array *idx = idx_array(it, iv, ish, 2), *o = NULL;
            for (int axis = 0; axis < 3; axis++) {
                CHECK_OK(mx_take_axis(&o, a, idx, axis, NULL));
                char *g = read_all(o);
                int32_t dim = sh[axis];
                /* out[pre, i, j, post] = a[pre, clamp(idx[i, j]), post] */
                int64_t pre = 1, post = 1;
                for (int d = 0; d < axis; d++) pre *= sh[d];
                for (int d = axis + 1; d < 3; d++) post *= sh[d];
                bool ok = true;
                for (int64_t p = 0; p < pre; p++)
                    for (int k = 0; k < 8; k++)
                        for (int64_t q = 0; q < post; q++) {
                            int64_t v = clampi(iv[k], dim);
                            const char *want = src + ((p * dim + v) * post + q) * vsz;
                            const char *got = g + ((p * 8 + k) * post + q) * vsz;
                            ok = ok && memcmp(want, got, (size_t)vsz) == 0;
                        }
                if (!ok)
                    fprintf(stderr, "  take %s idx %s axis %d\n", mx_dtype_name(vt),
                            mx_dtype_name(it), axis);
                CHECK(ok);
                free(g);
            }
            /* flattened */
            CHECK_OK(mx_take(&o, a, idx, NULL));
            char *g = read_all(o);
            bool ok = true;
            for (int k = 0; k < 8; k++)
                ok = ok && memcmp(g + k * vsz, src + clampi(iv[k], n) * vsz, (size_t)vsz) == 0;
            CHECK(ok);
            free(g);
            mx_array_free(idx);
            mx_array_free(o);
        }
        mx_array_free(a);
        free(src);
    }
    /* uint64 past INT64_MAX clamps to the last element */
    uint64_t big = UINT64_MAX;
    int32_t one = 1;
    mx_array *bi = make(MX_UINT64, &big, &one, 1), *r = NULL, *o = NULL;
    CHECK_OK(mx_arange(&r, 0, 10, 1, MX_INT32, NULL));
    CHECK_OK(mx_take(&o, r, bi, NULL));
    CHECK(eq_i32(o, (int32_t[]){9}, 1));
    mx_array_free(bi);
    mx_array_free(r);
    mx_array_free(o);
}

/* Large takes run on the pool; strided sources and indices. */
TEST(take_large_and_strided) {
    int32_t sh[2] = {300, 500};
    int64_t n = 150000;
    float *src = malloc((size_t)n * sizeof *src);
    for (int64_t i = 0; i < n; i++) src[i] = (float)i;
    mx_array *a = make(MX_FLOAT32, src, sh, 2), *t = NULL, *o = NULL;
    int32_t ni = 200000;
    int64_t *iv = malloc((size_t)ni * sizeof *iv);
    for (int32_t i = 0; i < ni; i++) iv[i] = (int64_t)(rnd() % (2 * n)) - n;
    mx_array *idx = idx_array(MX_INT64, iv, &ni, 1);
    /* flattened take of 200000 elements */
    CHECK_OK(mx_take(&o, a, idx, NULL));
    float *g = read_all(o);
    bool ok = true;
    for (int32_t i = 0; i < ni; i++) ok = ok && g[i] == (float)clampi(iv[i], n);
    CHECK(ok);
    free(g);
    /* rows of the transposed array: slices strided in a */
    CHECK_OK(mx_transpose(&t, a, NULL, 0, NULL)); /* (500, 300) */
    int32_t nr = 700;
    mx_array *ridx = idx_array(MX_INT64, iv, &nr, 1);
    CHECK_OK(mx_take_axis(&o, t, ridx, 0, NULL)); /* (700, 300) */
    g = read_all(o);
    ok = true;
    for (int32_t i = 0; i < nr; i++) {
        int64_t r = clampi(iv[i], 500);
        for (int c = 0; c < 300; c++) ok = ok && g[i * 300 + c] == src[c * 500 + r];
    }
    CHECK(ok);
    free(g);
    /* reversed index array */
    int32_t st = -1, sp = -701, stp = -1;
    mx_array *rev = NULL;
    CHECK_OK(mx_slice(&rev, ridx, &st, &sp, &stp, 1, NULL));
    CHECK_OK(mx_take_axis(&o, a, rev, 1, NULL)); /* (300, 700) */
    g = read_all(o);
    ok = true;
    for (int r = 0; r < 300; r++)
        for (int32_t i = 0; i < nr; i++)
            ok = ok && g[r * nr + i] == src[r * 500 + clampi(iv[nr - 1 - i], 500)];
    CHECK(ok);
    free(g);
    mx_array *arrs[] = {a, t, o, idx, ridx, rev};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
    free(iv);
    free(src);
}

/* ---- take_along_axis / put_along_axis ---- */

TEST(along_axis_mlx_values) {
    int32_t a12[12];
    for (int i = 0; i < 12; i++) a12[i] = i;
    int32_t sh[2] = {3, 4};
    mx_array *a = make(MX_INT32, a12, sh, 2), *o = NULL;
    int32_t s31[2] = {3, 1}, s21[2] = {2, 1}, s12[2] = {1, 2};
    mx_array *i31 = make(MX_INT32, (int32_t[]){0, 1, 3}, s31, 2);
    CHECK_OK(mx_take_along_axis(&o, a, i31, 1, NULL));
    CHECK(eq_i32(o, (int32_t[]){0, 5, 11}, 3));
    mx_array *i21 = make(MX_INT32, (int32_t[]){0, 1}, s21, 2);
    CHECK_OK(mx_take_along_axis(&o, a, i21, 0, NULL)); /* broadcast to (2, 4) */
    CHECK(mx_array_dim(o, 0) == 2 && mx_array_dim(o, 1) == 4);
    CHECK(eq_i32(o, (int32_t[]){0, 1, 2, 3, 4, 5, 6, 7}, 8));
    mx_array *neg = make(MX_INT32, (int32_t[]){-1, -2, -4}, s31, 2);
    CHECK_OK(mx_take_along_axis(&o, a, neg, 1, NULL));
    CHECK(eq_i32(o, (int32_t[]){3, 6, 8}, 3));
    /* a broadcast too: a (1, 4), indices (3, 1) -> (3, 1) */
    int32_t s14[2] = {1, 4};
    mx_array *row = make(MX_INT32, (int32_t[]){0, 1, 2, 3}, s14, 2);
    mx_array *i012 = make(MX_INT32, (int32_t[]){0, 1, 2}, s31, 2);
    CHECK_OK(mx_take_along_axis(&o, row, i012, 1, NULL));
    CHECK(mx_array_dim(o, 0) == 3 && eq_i32(o, (int32_t[]){0, 1, 2}, 3));
    mx_array *i12 = make(MX_INT32, (int32_t[]){0, 1}, s12, 2);
    CHECK_ERR(mx_take_along_axis(&o, a, i12, 0, NULL), MX_ERR_VALUE);

    /* put_along_axis */
    mx_array *v31 = make(MX_INT32, (int32_t[]){100, 200, 300}, s31, 2);
    CHECK_OK(mx_put_along_axis(&o, a, i31, v31, 1, NULL));
    CHECK(eq_i32(o, (int32_t[]){100, 1, 2, 3, 4, 200, 6, 7, 8, 9, 10, 300}, 12));
    mx_array *m1 = NULL;
    CHECK_OK(mx_array_from_int(&m1, -1, MX_INT32));
    CHECK_OK(mx_put_along_axis(&o, a, i31, m1, 1, NULL));
    CHECK(eq_i32(o, (int32_t[]){-1, 1, 2, 3, 4, -1, 6, 7, 8, 9, 10, -1}, 12));
    /* repeated indices: the last wins ([0, 3, 4, 0, 0]) */
    int32_t five = 5;
    mx_array *z5 = NULL;
    CHECK_OK(mx_zeros(&z5, &five, 1, MX_FLOAT32, NULL));
    mx_array *dup = vec_i32((int32_t[]){1, 1, 1, 2}, 4);
    mx_array *dv = vec_f32((float[]){1, 2, 3, 4}, 4);
    CHECK_OK(mx_put_along_axis(&o, z5, dup, dv, 0, NULL));
    CHECK(eq_f32(o, (float[]){0, 3, 4, 0, 0}, 5));
    CHECK_OK(mx_scatter_add_axis(&o, z5, dup, dv, 0, NULL));
    CHECK(eq_f32(o, (float[]){0, 6, 4, 0, 0}, 5));
    /* values cast to a's dtype (2.7 -> 2) */
    int32_t four = 4;
    mx_array *z4 = NULL, *i1 = vec_i32((int32_t[]){1}, 1), *f27 = vec_f32((float[]){2.7f}, 1);
    CHECK_OK(mx_zeros(&z4, &four, 1, MX_INT32, NULL));
    CHECK_OK(mx_put_along_axis(&o, z4, i1, f27, 0, NULL));
    CHECK(eq_i32(o, (int32_t[]){0, 2, 0, 0}, 4));
    /* values broadcast with the indices: a (2, 3), idx (2, 1), values (2, 2)
     * -> [[2, 0, 0], [0, 4, 0]] */
    int32_t s23[2] = {2, 3}, s22[2] = {2, 2};
    mx_array *z23 = NULL;
    CHECK_OK(mx_zeros(&z23, s23, 2, MX_FLOAT32, NULL));
    mx_array *i01 = make(MX_INT32, (int32_t[]){0, 1}, s21, 2);
    mx_array *v22 = make(MX_FLOAT32, (float[]){1, 2, 3, 4}, s22, 2);
    CHECK_OK(mx_put_along_axis(&o, z23, i01, v22, 1, NULL));
    CHECK(eq_f32(o, (float[]){2, 0, 0, 0, 4, 0}, 6));
    /* and a broadcast with them: a (1, 3), idx (2, 1), values (2, 1) -> (2, 3) */
    int32_t s13[2] = {1, 3};
    mx_array *z13 = NULL, *v21 = make(MX_FLOAT32, (float[]){1, 3}, s21, 2);
    CHECK_OK(mx_zeros(&z13, s13, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_put_along_axis(&o, z13, i01, v21, 1, NULL));
    CHECK(mx_array_dim(o, 0) == 2 && eq_f32(o, (float[]){1, 0, 0, 0, 3, 0}, 6));
    /* out-of-range writes are dropped; -1 counts from the end */
    mx_array *oob = vec_i32((int32_t[]){-1, 4, -5, 7}, 4);
    mx_array *v9876 = vec_i32((int32_t[]){9, 8, 7, 6}, 4), *i0 = vec_i32((int32_t[]){0}, 1);
    CHECK_OK(mx_put_along_axis(&o, z4, oob, v9876, 0, NULL));
    CHECK(eq_i32(o, (int32_t[]){0, 0, 0, 9}, 4));
    CHECK_ERR(mx_put_along_axis(&o, a, i0, m1, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_put_along_axis(&o, a, i31, m1, 2, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_take_along_axis(&o, a, f27, 0, NULL), MX_ERR_VALUE);
    mx_array *arrs[] = {a,  o,  i31, i21, neg, row, i012, i12, v31, m1,  z5,    dup,
                        dv, z4, i1,  f27, z23, i01, v22,  z13, v21, oob, v9876, i0};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

/* take_along_axis and put/add along every axis of a 3-D array against
 * reference loops, large enough to run on the pool. */
TEST(along_axis_reference) {
    int32_t sh[3] = {20, 30, 140};
    int64_t n = 20 * 30 * 140;
    float *src = malloc((size_t)n * sizeof *src);
    for (int64_t i = 0; i < n; i++) src[i] = (float)(rnd() % 1000);
    mx_array *a = make(MX_FLOAT32, src, sh, 3);
    for (int axis = 0; axis < 3; axis++) {
        int32_t ish[3] = {20, 30, 140};
        ish[axis] = 25;
        int64_t ni = (int64_t)ish[0] * ish[1] * ish[2];
        int64_t *iv = malloc((size_t)ni * sizeof *iv);
        float *uv = malloc((size_t)ni * sizeof *uv);
        for (int64_t i = 0; i < ni; i++) {
            iv[i] = (int64_t)(rnd() % (uint64_t)(sh[axis] * 2 + 4)) - sh[axis] - 2;
            uv[i] = (float)(rnd() % 7);
        }
        mx_array *idx = idx_array(MX_INT16, iv, ish, 3), *vals = make(MX_FLOAT32, uv, ish, 3);
        mx_array *o = NULL, *p = NULL, *q = NULL;
        CHECK_OK(mx_take_along_axis(&o, a, idx, axis, NULL));
        CHECK_OK(mx_put_along_axis(&p, a, idx, vals, axis, NULL));
        CHECK_OK(mx_scatter_add_axis(&q, a, idx, vals, axis, NULL));
        float *g = read_all(o), *gp = read_all(p), *gq = read_all(q);
        float *rp = malloc((size_t)n * sizeof *rp), *rq = malloc((size_t)n * sizeof *rq);
        memcpy(rp, src, (size_t)n * sizeof *rp);
        memcpy(rq, src, (size_t)n * sizeof *rq);
        bool ok = true;
        int64_t k = 0;
        for (int i0 = 0; i0 < ish[0]; i0++)
            for (int i1 = 0; i1 < ish[1]; i1++)
                for (int i2 = 0; i2 < ish[2]; i2++, k++) {
                    int c[3] = {i0, i1, i2};
                    int64_t v = iv[k], w = v < 0 ? v + sh[axis] : v;
                    c[axis] = (int)clampi(v, sh[axis]);
                    int64_t off = ((int64_t)c[0] * 30 + c[1]) * 140 + c[2];
                    ok = ok && g[k] == src[off];
                    if (w >= 0 && w < sh[axis]) {
                        rp[off] = uv[k];
                        rq[off] += uv[k];
                    }
                }
        CHECK(ok);
        CHECK(memcmp(rp, gp, (size_t)n * sizeof *rp) == 0);
        CHECK(memcmp(rq, gq, (size_t)n * sizeof *rq) == 0);
        free(g);
        free(gp);
        free(gq);
        free(rp);
        free(rq);
        free(iv);
        free(uv);
        mx_array_free(idx);
        mx_array_free(vals);
        mx_array_free(o);
        mx_array_free(p);
        mx_array_free(q);
    }
    mx_array_free(a);
    free(src);
}

/* ---- gather ---- */

TEST(gather_general) {
    /* a (4, 5, 6): indices on axes 0 and 2, slice (1, 3, 2) */
    int32_t sh[3] = {4, 5, 6};
    int32_t src[120];
    for (int i = 0; i < 120; i++) src[i] = i;
    mx_array *a = make(MX_INT32, src, sh, 3), *o = NULL;
    int32_t ish[2] = {2, 3};
    int64_t v0[6] = {0, 3, -1, 9, 1, 2}, v2[3] = {0, 5, -2};
    int32_t ish2[1] = {3};
    mx_array *i0 = idx_array(MX_INT32, v0, ish, 2), *i2 = idx_array(MX_UINT8, v2, ish2, 1);
    const mx_array *idx[2] = {i0, i2};
    int axes[2] = {0, 2};
    int32_t slice[3] = {1, 3, 2};
    CHECK_OK(mx_gather(&o, a, idx, 2, axes, 2, slice, 3, NULL));
    CHECK(mx_array_ndim(o) == 5 && mx_array_dim(o, 0) == 2 && mx_array_dim(o, 1) == 3 &&
          mx_array_dim(o, 3) == 3 && mx_array_dim(o, 4) == 2);
    int32_t *g = read_all(o);
    bool ok = true;
    for (int p = 0; p < 6; p++) {
        /* axis 0: slice 1, hi = 3; axis 2: slice 2, hi = 4 (uint8 254 -> clamp) */
        int64_t s0 = v0[p] < 0 ? v0[p] + 4 : v0[p];
        s0 = s0 < 0 ? 0 : s0 > 3 ? 3 : s0;
        int64_t raw2 = (uint8_t)v2[p % 3], s2 = raw2 > 4 ? 4 : raw2;
        for (int y = 0; y < 3; y++)
            for (int z = 0; z < 2; z++)
                ok = ok && g[p * 6 + y * 2 + z] == src[(s0 * 5 + y) * 6 + s2 + z];
    }
    CHECK(ok);
    free(g);
    /* no index arrays: one slice at the origin */
    int32_t sl2[3] = {2, 2, 2};
    CHECK_OK(mx_gather(&o, a, NULL, 0, NULL, 0, sl2, 3, NULL));
    CHECK(mx_array_ndim(o) == 3);
    CHECK(eq_i32(o, (int32_t[]){0, 1, 6, 7, 30, 31, 36, 37}, 8));
    /* errors */
    int32_t bad[3] = {5, 1, 1};
    CHECK_ERR(mx_gather(&o, a, idx, 2, axes, 2, bad, 3, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_gather(&o, a, idx, 2, axes, 1, slice, 3, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_gather(&o, a, idx, 2, (int[]){0, 0}, 2, slice, 3, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_gather(&o, a, idx, 2, (int[]){0, 3}, 2, slice, 3, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_gather(&o, a, idx, 2, axes, 2, slice, 2, NULL), MX_ERR_VALUE);
    mx_array *fi = vec_f32((float[]){1}, 1), *bi = NULL;
    CHECK_OK(mx_array_from_bool(&bi, true));
    const mx_array *fidx[1] = {fi}, *bidx[1] = {bi};
    int32_t sl1[3] = {1, 5, 6};
    CHECK_ERR(mx_gather(&o, a, fidx, 1, axes, 1, sl1, 3, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_gather(&o, a, bidx, 1, axes, 1, sl1, 3, NULL), MX_ERR_VALUE);
    int32_t s4[1] = {4};
    mx_array *i4 = vec_i32((int32_t[]){0, 1, 2, 3}, 4);
    const mx_array *bc[2] = {i0, i4}; /* (2, 3) and (4) do not broadcast */
    CHECK_ERR(mx_gather(&o, a, bc, 2, axes, 2, slice, 3, NULL), MX_ERR_VALUE);
    (void)s4;
    mx_array *arrs[] = {a, o, i0, i2, fi, bi, i4};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

/* ---- scatter ---- */

/* MLX's documented examples and .at[] results (MLX 0.32.4). */
TEST(scatter_mlx_values) {
    int32_t s44[2] = {4, 4};
    mx_array *z = NULL, *o = NULL;
    CHECK_OK(mx_zeros(&z, s44, 2, MX_FLOAT32, NULL));
    /* scatter([2], [[1, 2]]) on axis 0 */
    mx_array *i2 = vec_i32((int32_t[]){2}, 1);
    int32_t us[3] = {1, 1, 2};
    mx_array *u = make(MX_FLOAT32, (float[]){1, 2}, us, 3);
    const mx_array *idx[1] = {i2};
    int ax0 = 0;
    CHECK_OK(mx_scatter(&o, z, idx, 1, u, &ax0, 1, NULL));
    CHECK(eq_f32(o, (float[]){0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0}, 16));
    /* two index arrays on axes 0 and 1 */
    mx_array *ia = vec_i32((int32_t[]){2, 0}, 2), *ib = vec_i32((int32_t[]){1, 2}, 2);
    int32_t us2[3] = {2, 1, 2};
    mx_array *u2 = make(MX_FLOAT32, (float[]){1, 2, 3, 4}, us2, 3);
    const mx_array *idx2[2] = {ia, ib};
    int ax01[2] = {0, 1};
    CHECK_OK(mx_scatter(&o, z, idx2, 2, u2, ax01, 2, NULL));
    CHECK(eq_f32(o, (float[]){0, 0, 3, 4, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0}, 16));
    /* .at[[0, 1, 0, 1, 3]].add / multiply / maximum / minimum */
    int32_t four = 4, s51[2] = {5, 1};
    mx_array *z4 = NULL, *o4 = NULL;
    CHECK_OK(mx_zeros(&z4, &four, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&o4, &four, 1, MX_FLOAT32, NULL));
    mx_array *ix = vec_i32((int32_t[]){0, 1, 0, 1, 3}, 5);
    const mx_array *idx3[1] = {ix};
    mx_array *ua = make(MX_FLOAT32, (float[]){1, 2, 3, 4, 5}, s51, 2);
    CHECK_OK(mx_scatter_add(&o, z4, idx3, 1, ua, &ax0, 1, NULL));
    CHECK(eq_f32(o, (float[]){4, 6, 0, 5}, 4));
    mx_array *um = make(MX_FLOAT32, (float[]){2, 3, 4, 5, 6}, s51, 2);
    CHECK_OK(mx_scatter_prod(&o, o4, idx3, 1, um, &ax0, 1, NULL));
    CHECK(eq_f32(o, (float[]){8, 15, 1, 6}, 4));
    mx_array *ux = make(MX_FLOAT32, (float[]){1, 7, 3, -4, 5}, s51, 2);
    CHECK_OK(mx_scatter_max(&o, z4, idx3, 1, ux, &ax0, 1, NULL));
    CHECK(eq_f32(o, (float[]){3, 7, 0, 5}, 4));
    CHECK_OK(mx_scatter_min(&o, z4, idx3, 1, ux, &ax0, 1, NULL));
    CHECK(eq_f32(o, (float[]){0, -4, 0, 0}, 4));
    CHECK_OK(mx_scatter(&o, z4, idx3, 1, ua, &ax0, 1, NULL)); /* last wins: a[idx] = y */
    CHECK(eq_f32(o, (float[]){3, 4, 0, 5}, 4));
    /* NaN wins in max/min (NumPy's maximum.at; MLX instead takes whatever
     * the last comparison gives: [3, -4, 0, 5] here) */
    mx_array *un = make(MX_FLOAT32, (float[]){1, NAN, 3, -4, 5}, s51, 2);
    CHECK_OK(mx_scatter_max(&o, z4, idx3, 1, un, &ax0, 1, NULL));
    CHECK(eq_f32(o, (float[]){3, NAN, 0, 5}, 4));
    CHECK_OK(mx_scatter_min(&o, z4, idx3, 1, un, &ax0, 1, NULL));
    CHECK(eq_f32(o, (float[]){0, NAN, 0, 0}, 4));
    /* negative indices count from the end: .at[[-1, -4]].add([1, 2]) */
    mx_array *ng = vec_i32((int32_t[]){-1, -4}, 2);
    const mx_array *idx4[1] = {ng};
    int32_t s21[2] = {2, 1};
    mx_array *u12 = make(MX_FLOAT32, (float[]){1, 2}, s21, 2);
    CHECK_OK(mx_scatter_add(&o, z4, idx4, 1, u12, &ax0, 1, NULL));
    CHECK(eq_f32(o, (float[]){2, 0, 0, 1}, 4));
    mx_array *arrs[] = {z, o, i2, u, ia, ib, u2, z4, o4, ix, ua, um, ux, un, ng, u12};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

/* Per-dtype arithmetic of the reductions (MLX 0.32.4 values). */
TEST(scatter_dtypes) {
    int ax0 = 0;
    int32_t two = 2, s21[2] = {2, 1};
    mx_array *o = NULL, *ii = vec_i32((int32_t[]){0, 0}, 2);
    const mx_array *idx[1] = {ii};
    /* int8 wraps: 127 + 1 + 1 = -127 */
    mx_array *a8 = make(MX_INT8, (int8_t[]){127, 0}, &two, 1);
    mx_array *u8 = make(MX_INT8, (int8_t[]){1, 1}, s21, 2);
    CHECK_OK(mx_scatter_add(&o, a8, idx, 1, u8, &ax0, 1, NULL));
    int8_t *g8 = read_all(o);
    CHECK(g8[0] == -127 && g8[1] == 0);
    free(g8);
    /* int16 product wraps through unsigned arithmetic */
    mx_array *a16 = make(MX_INT16, (int16_t[]){300, 5}, &two, 1);
    mx_array *u16 = make(MX_INT16, (int16_t[]){300, -7}, s21, 2);
    CHECK_OK(mx_scatter_prod(&o, a16, idx, 1, u16, &ax0, 1, NULL));
    int16_t *g16 = read_all(o);
    CHECK(g16[0] == (int16_t)(uint16_t)((uint32_t)300 * 300u * (uint32_t)(uint16_t)-7) &&
          g16[1] == 5);
    free(g16);
    /* int32 max/min are signed, uint32 unsigned */
    mx_array *ai = make(MX_INT32, (int32_t[]){0, 0}, &two, 1);
    mx_array *ui = make(MX_INT32, (int32_t[]){-5, -2}, s21, 2);
    CHECK_OK(mx_scatter_max(&o, ai, idx, 1, ui, &ax0, 1, NULL));
    CHECK(eq_i32(o, (int32_t[]){0, 0}, 2));
    CHECK_OK(mx_scatter_min(&o, ai, idx, 1, ui, &ax0, 1, NULL));
    CHECK(eq_i32(o, (int32_t[]){-5, 0}, 2));
    mx_array *au = make(MX_UINT32, (uint32_t[]){1, 0}, &two, 1);
    mx_array *uu = make(MX_UINT32, (uint32_t[]){0xfffffff0u, 3}, s21, 2);
    CHECK_OK(mx_scatter_max(&o, au, idx, 1, uu, &ax0, 1, NULL));
    uint32_t *gu = read_all(o);
    CHECK(gu[0] == 0xfffffff0u);
    free(gu);
    /* bool: add is or, multiply is and */
    mx_array *ab = make(MX_BOOL, (uint8_t[]){0, 0}, &two, 1);
    mx_array *ub = make(MX_BOOL, (uint8_t[]){1, 1}, s21, 2);
    CHECK_OK(mx_scatter_add(&o, ab, idx, 1, ub, &ax0, 1, NULL));
    uint8_t *gb = read_all(o);
    CHECK(gb[0] == 1 && gb[1] == 0);
    free(gb);
    mx_array *ab1 = make(MX_BOOL, (uint8_t[]){1, 1}, &two, 1);
    mx_array *ub2 = make(MX_BOOL, (uint8_t[]){1, 0}, s21, 2);
    CHECK_OK(mx_scatter_prod(&o, ab1, idx, 1, ub2, &ax0, 1, NULL));
    gb = read_all(o);
    CHECK(gb[0] == 0 && gb[1] == 1);
    free(gb);
    /* float16 rounds after each update: 3000 ones into one element = 2048;
     * bfloat16: 300 ones = 256 */
    int32_t n3000 = 3000, s3000[2] = {3000, 1}, one = 1;
    mx_array *zi = NULL, *hz = NULL, *hu = NULL, *bz = NULL, *bu = NULL;
    CHECK_OK(mx_zeros(&zi, &n3000, 1, MX_INT32, NULL));
    CHECK_OK(mx_zeros(&hz, &one, 1, MX_FLOAT16, NULL));
    CHECK_OK(mx_ones(&hu, s3000, 2, MX_FLOAT16, NULL));
    const mx_array *zidx[1] = {zi};
    CHECK_OK(mx_scatter_add(&o, hz, zidx, 1, hu, &ax0, 1, NULL));
    double dv = 0;
    CHECK_OK(mx_array_item_double(&dv, o));
    CHECK(dv == 2048.0);
    int32_t s300[2] = {300, 1}, n300 = 300;
    mx_array *zi3 = NULL;
    CHECK_OK(mx_zeros(&zi3, &n300, 1, MX_INT32, NULL));
    const mx_array *zidx3[1] = {zi3};
    CHECK_OK(mx_zeros(&bz, &one, 1, MX_BFLOAT16, NULL));
    CHECK_OK(mx_ones(&bu, s300, 2, MX_BFLOAT16, NULL));
    CHECK_OK(mx_scatter_add(&o, bz, zidx3, 1, bu, &ax0, 1, NULL));
    CHECK_OK(mx_array_item_double(&dv, o));
    CHECK(dv == 256.0);
    /* complex64: add and lexicographic max ((1+1j) + (2-1j) = 3; max(1+1j,
     * 1+2j) = 1+2j) */
    mx_array *ac = NULL;
    CHECK_OK(mx_zeros(&ac, &two, 1, MX_COMPLEX64, NULL));
    mx_array *uc = make(MX_COMPLEX64, (float[]){1, 1, 2, -1}, s21, 2);
    CHECK_OK(mx_scatter_add(&o, ac, idx, 1, uc, &ax0, 1, NULL));
    mx_complex64 cv;
    float *gc = read_all(o);
    CHECK(gc[0] == 3 && gc[1] == 0 && gc[2] == 0 && gc[3] == 0);
    free(gc);
    mx_array *uc2 = make(MX_COMPLEX64, (float[]){1, 1, 1, 2}, s21, 2);
    CHECK_OK(mx_scatter_max(&o, ac, idx, 1, uc2, &ax0, 1, NULL));
    gc = read_all(o);
    CHECK(gc[0] == 1 && gc[1] == 2);
    free(gc);
    CHECK_OK(mx_scatter_prod(&o, ac, idx, 1, uc2, &ax0, 1, NULL));
    gc = read_all(o);
    CHECK(gc[0] == 0 && gc[1] == 0);
    free(gc);
    (void)cv;
    /* float64 and int64 sums */
    mx_array *ad = make(MX_FLOAT64, (double[]){0.5, 0}, &two, 1);
    mx_array *ud = make(MX_FLOAT64, (double[]){0.25, 1e-20}, s21, 2);
    CHECK_OK(mx_scatter_add(&o, ad, idx, 1, ud, &ax0, 1, NULL));
    double *gd = read_all(o);
    CHECK(gd[0] == 0.5 + 0.25 + 1e-20 && gd[1] == 0);
    free(gd);
    mx_array *al = make(MX_INT64, (int64_t[]){INT64_MAX, 0}, &two, 1);
    mx_array *ul = make(MX_INT64, (int64_t[]){1, 1}, s21, 2);
    CHECK_OK(mx_scatter_add(&o, al, idx, 1, ul, &ax0, 1, NULL));
    int64_t *gl = read_all(o);
    CHECK(gl[0] == INT64_MIN + 1);
    free(gl);
    mx_array *arrs[] = {o,  ii, a8, u8, a16, u16, ai, ui, au,  uu, ab, ub, ab1, ub2,
                        zi, hz, hu, bz, bu,  zi3, ac, uc, uc2, ad, ud, al, ul};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

/* Random scatters with many repeated and out-of-range indices against a
 * serial reference, with slice shapes that take each execution path:
 * single elements (threads own output ranges), rows, and slices larger than
 * the grain (split one slice at a time), plus a strided update array. */
static void scatter_case(int reduce, int64_t positions, const int32_t *ashape, int nd,
                         const int *axes, int naxes, const int32_t *slice, bool transpose_upd) {
    int64_t asize = 1, sn = 1;
    for (int i = 0; i < nd; i++) asize *= ashape[i], sn *= slice[i];
    float *a = malloc((size_t)asize * sizeof *a);
    for (int64_t i = 0; i < asize; i++) a[i] = (float)(rnd() % 5);
    int32_t pshape[1] = {(int32_t)positions};
    int64_t *iv[4];
    mx_array *idx[4];
    for (int k = 0; k < naxes; k++) {
        int64_t dim = ashape[axes[k]];
        iv[k] = malloc((size_t)positions * sizeof(int64_t));
        for (int64_t p = 0; p < positions; p++)
            iv[k][p] = (int64_t)(rnd() % (uint64_t)(dim + 4)) - 2 - (rnd() % 8 == 0 ? dim : 0);
        idx[k] = idx_array(MX_INT32, iv[k], pshape, 1);
    }
    int32_t ushape[65];
    ushape[0] = (int32_t)positions;
    memcpy(ushape + 1, slice, (size_t)nd * sizeof(int32_t));
    int64_t un = positions * sn;
    float *u = malloc((size_t)un * sizeof *u);
    for (int64_t i = 0; i < un; i++) u[i] = (float)(rnd() % 5) - 1;
    mx_array *am = make(MX_FLOAT32, a, ashape, nd), *um = NULL, *o = NULL;
    if (transpose_upd) {
        /* the same values, laid out transposed in memory */
        int32_t tshape[65];
        int perm[65];
        for (int i = 0; i <= nd; i++) tshape[i] = ushape[nd - i], perm[i] = nd - i;
        float *ut = malloc((size_t)un * sizeof *ut);
        /* ut = u transposed: ut[rev idx] = u[idx] */
        int64_t st[65], tst[65];
        int64_t s = 1;
        for (int i = nd; i >= 0; i--) st[i] = s, s *= ushape[i];
        s = 1;
        for (int i = nd; i >= 0; i--) tst[i] = s, s *= tshape[i];
        for (int64_t q = 0; q < un; q++) {
            int64_t rem = q, off = 0;
            for (int i = nd; i >= 0; i--) {
                int64_t c = rem % ushape[i];
                rem /= ushape[i];
                off += c * tst[nd - i];
            }
            ut[off] = u[q];
        }
        mx_array *t = make(MX_FLOAT32, ut, tshape, nd + 1);
        CHECK_OK(mx_transpose(&um, t, perm, nd + 1, NULL));
        mx_array_free(t);
        free(ut);
        (void)st;
    } else {
        um = make(MX_FLOAT32, u, ushape, nd + 1);
    }
    const mx_array *cidx[4] = {idx[0], idx[1], idx[2], idx[3]};
    int rc;
    switch (reduce) {
    case 0:
        rc = mx_scatter(&o, am, cidx, naxes, um, axes, naxes, NULL);
        break;
    case 1:
        rc = mx_scatter_add(&o, am, cidx, naxes, um, axes, naxes, NULL);
        break;
    case 2:
        rc = mx_scatter_prod(&o, am, cidx, naxes, um, axes, naxes, NULL);
        break;
    case 3:
        rc = mx_scatter_max(&o, am, cidx, naxes, um, axes, naxes, NULL);
        break;
    default:
        rc = mx_scatter_min(&o, am, cidx, naxes, um, axes, naxes, NULL);
        break;
    }
    CHECK_OK(rc);
    /* reference */
    int64_t ast[64];
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) ast[i] = s, s *= ashape[i];
    for (int64_t p = 0; p < positions; p++) {
        int64_t base = 0;
        bool drop = false;
        for (int k = 0; k < naxes; k++) {
            int64_t v = iv[k][p], dim = ashape[axes[k]];
            if (v < 0) v += dim;
            if (v < 0 || v > dim - slice[axes[k]]) drop = true;
            base += v * ast[axes[k]];
        }
        if (drop) continue;
        for (int64_t e = 0; e < sn; e++) {
            int64_t rem = e, off = base;
            for (int i = nd - 1; i >= 0; i--) {
                off += (rem % slice[i]) * ast[i];
                rem /= slice[i];
            }
            float x = a[off], y = u[p * sn + e];
            a[off] = reduce == 0   ? y
                     : reduce == 1 ? x + y
                     : reduce == 2 ? x * y
                     : reduce == 3 ? (x > y ? x : y)
                                   : (x < y ? x : y);
        }
    }
    if (o) {
        float *g = read_all(o);
        int64_t bad = 0;
        for (int64_t i = 0; i < asize; i++) bad += g[i] != a[i];
        if (bad)
            fprintf(stderr, "  scatter reduce %d positions %lld: %lld differ\n", reduce,
                    (long long)positions, (long long)bad);
        CHECK(bad == 0);
        free(g);
    }
    for (int k = 0; k < naxes; k++) {
        free(iv[k]);
        mx_array_free(idx[k]);
    }
    mx_array_free(am);
    mx_array_free(um);
    mx_array_free(o);
    free(a);
    free(u);
}

TEST(scatter_reference) {
    int saved = mxi_num_threads();
    for (int threads = 1; threads <= 4; threads += 3) {
        mxi_set_num_threads(threads);
        for (int r = 0; r < 5; r++) {
            /* single elements, many duplicates: owner-partitioned */
            int32_t a1[1] = {1000};
            int ax[2] = {0, 1};
            int32_t s1[1] = {1};
            scatter_case(r, 100000, a1, 1, ax, 1, s1, false);
            /* 2-D, two index arrays, single elements */
            int32_t a2[2] = {40, 50}, s2[2] = {1, 1};
            scatter_case(r, 70000, a2, 2, ax, 2, s2, false);
            /* rows (slice (1, 50)) with duplicates; transposed updates */
            int32_t s3[2] = {1, 50};
            scatter_case(r, 3000, a2, 2, ax, 1, s3, true);
            /* overlapping windows (slice 3 on the indexed axis): serial */
            int32_t s4[2] = {3, 20};
            scatter_case(r, 500, a2, 2, ax, 1, s4, false);
            /* a destination big enough to be split in blocks (single
             * elements, then rows) */
            int32_t a6[1] = {600000};
            scatter_case(r, 100000, a6, 1, ax, 1, s1, false);
            int32_t a7[2] = {1000, 600}, s7[2] = {1, 600};
            scatter_case(r, 300, a7, 2, ax, 1, s7, true);
            /* one big slice per position, split across threads */
            int32_t a5[2] = {8, 70000}, s5[2] = {1, 70000};
            scatter_case(r, 5, a5, 2, ax, 1, s5, false);
        }
    }
    mxi_set_num_threads(saved);
}

TEST(scatter_errors) {
    int32_t s44[2] = {4, 4};
    mx_array *z = NULL, *o = NULL;
    CHECK_OK(mx_zeros(&z, s44, 2, MX_FLOAT32, NULL));
    mx_array *i2 = vec_i32((int32_t[]){2}, 1);
    const mx_array *idx[1] = {i2};
    int ax0 = 0;
    int32_t us[3] = {1, 1, 2}, big[3] = {1, 5, 1}, wrong[2] = {1, 2};
    mx_array *u = NULL, *ub = NULL, *uw = NULL;
    CHECK_OK(mx_ones(&u, us, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&ub, big, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&uw, wrong, 2, MX_FLOAT32, NULL));
    CHECK_ERR(mx_scatter(&o, z, idx, 1, ub, &ax0, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_scatter(&o, z, idx, 1, uw, &ax0, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_scatter_add(&o, z, idx, 1, u, (int[]){2}, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_scatter_max(&o, z, idx, 1, u, &ax0, 0, NULL), MX_ERR_VALUE);
    mx_array *fi = vec_f32((float[]){2}, 1);
    const mx_array *fidx[1] = {fi};
    CHECK_ERR(mx_scatter_min(&o, z, fidx, 1, u, &ax0, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_scatter_prod(&o, z, idx, 1, NULL, &ax0, 1, NULL), MX_ERR_VALUE);
    int32_t usx[3] = {2, 1, 2};
    mx_array *ux = NULL;
    CHECK_OK(mx_ones(&ux, usx, 3, MX_FLOAT32, NULL));
    CHECK_ERR(mx_scatter(&o, z, idx, 1, ux, &ax0, 1, NULL), MX_ERR_VALUE);
    CHECK(o == NULL);
    CHECK_OK(mx_scatter(&o, z, idx, 1, u, &ax0, 1, NULL));
    CHECK_OK(mx_eval(&o, 1));
    mx_array *arrs[] = {z, o, i2, u, ub, uw, fi, ux};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

/* ---- slice updates ---- */

TEST(slice_update_static) {
    int32_t sh[2] = {4, 5};
    float src[20];
    for (int i = 0; i < 20; i++) src[i] = (float)i;
    mx_array *a = make(MX_FLOAT32, src, sh, 2), *o = NULL;
    /* a[1:3, ::2] = [[10, 20, 30]] broadcast */
    int32_t us[2] = {1, 3};
    mx_array *u = make(MX_FLOAT32, (float[]){10, 20, 30}, us, 2);
    int32_t start[2] = {1, 0}, stop[2] = {3, 5}, step[2] = {1, 2};
    const float upd_vals[3] = {10, 20, 30};
    for (int r = 0; r < 5; r++) {
        int rc = r == 0   ? mx_slice_update(&o, a, u, start, stop, step, 2, NULL)
                 : r == 1 ? mx_slice_update_add(&o, a, u, start, stop, step, 2, NULL)
                 : r == 2 ? mx_slice_update_prod(&o, a, u, start, stop, step, 2, NULL)
                 : r == 3 ? mx_slice_update_max(&o, a, u, start, stop, step, 2, NULL)
                          : mx_slice_update_min(&o, a, u, start, stop, step, 2, NULL);
        CHECK_OK(rc);
        float want[20];
        memcpy(want, src, sizeof want);
        for (int i = 1; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                float x = want[i * 5 + 2 * j], y = upd_vals[j];
                want[i * 5 + 2 * j] = r == 0   ? y
                                      : r == 1 ? x + y
                                      : r == 2 ? x * y
                                      : r == 3 ? (x > y ? x : y)
                                               : (x < y ? x : y);
            }
        CHECK(eq_f32(o, want, 20));
    }
    /* negative steps: a[::-1, 4:0:-2] += 1 */
    int32_t ns[2] = {-1, 4}, ne[2] = {-5, 0}, nst[2] = {-1, -2};
    mx_array *one = NULL;
    CHECK_OK(mx_array_from_float(&one, 1.0, MX_FLOAT32));
    CHECK_OK(mx_slice_update_add(&o, a, one, ns, ne, nst, 2, NULL));
    float want[20];
    memcpy(want, src, sizeof want);
    for (int i = 0; i < 4; i++) want[i * 5 + 4] += 1, want[i * 5 + 2] += 1;
    CHECK(eq_f32(o, want, 20));
    /* the whole array: the update itself (cast), also with a reduction */
    mx_array *iu = NULL;
    CHECK_OK(mx_array_from_int(&iu, 7, MX_INT32));
    int32_t z2[2] = {0, 0}, e2[2] = {4, 5};
    CHECK_OK(mx_slice_update(&o, a, iu, z2, e2, NULL, 2, NULL));
    CHECK(mx_array_dtype(o) == MX_FLOAT32 && mx_array_dim(o, 1) == 5);
    float sevens[20];
    for (int i = 0; i < 20; i++) sevens[i] = 7;
    CHECK(eq_f32(o, sevens, 20));
    CHECK_OK(mx_slice_update_max(&o, a, iu, z2, e2, NULL, 2, NULL));
    for (int i = 0; i < 20; i++) want[i] = src[i] > 7 ? src[i] : 7;
    CHECK(eq_f32(o, want, 20));
    /* an empty slice changes nothing */
    int32_t es[2] = {2, 0}, ee[2] = {2, 5};
    CHECK_OK(mx_slice_update(&o, a, one, es, ee, NULL, 2, NULL));
    CHECK(eq_f32(o, src, 20));
    /* a transposed source */
    mx_array *t = NULL;
    CHECK_OK(mx_transpose(&t, a, NULL, 0, NULL)); /* (5, 4) */
    int32_t ts[2] = {1, 1}, te[2] = {2, 3};
    CHECK_OK(mx_slice_update(&o, t, one, ts, te, NULL, 2, NULL));
    float tw[20];
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) tw[i * 4 + j] = src[j * 5 + i];
    tw[1 * 4 + 1] = 1, tw[1 * 4 + 2] = 1;
    CHECK(eq_f32(o, tw, 20));
    /* errors */
    CHECK_ERR(mx_slice_update(&o, a, u, start, stop, step, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_slice_update(&o, a, u, start, stop, (int32_t[]){1, 0}, 2, NULL), MX_ERR_VALUE);
    int32_t bs[2] = {1, 4};
    mx_array *bad = NULL;
    CHECK_OK(mx_ones(&bad, bs, 2, MX_FLOAT32, NULL));
    CHECK_ERR(mx_slice_update(&o, a, bad, start, stop, step, 2, NULL), MX_ERR_VALUE);
    mx_array *arrs[] = {a, o, u, one, iu, t, bad};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

TEST(slice_update_dynamic) {
    int32_t s33[2] = {3, 3}, s12[2] = {1, 2}, s22[2] = {2, 2}, s13[2] = {1, 3};
    mx_array *z = NULL, *o = NULL, *u12 = NULL, *u22 = NULL;
    CHECK_OK(mx_zeros(&z, s33, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&u12, s12, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&u22, s22, 2, MX_FLOAT32, NULL));
    int ax01[2] = {0, 1}, ax0 = 0;
    /* MLX: start (1, 1) with a (1, 2) update */
    mx_array *st = vec_i32((int32_t[]){1, 1}, 2);
    CHECK_OK(mx_slice_update_dynamic(&o, z, u12, st, ax01, 2, NULL));
    CHECK(eq_f32(o, (float[]){0, 0, 0, 0, 1, 1, 0, 0, 0}, 9));
    /* out of range: clamped so the block fits (MLX writes out of bounds) */
    mx_array *st22 = vec_i32((int32_t[]){2, 2}, 2);
    CHECK_OK(mx_slice_update_dynamic(&o, z, u22, st22, ax01, 2, NULL));
    CHECK(eq_f32(o, (float[]){0, 0, 0, 0, 1, 1, 0, 1, 1}, 9));
    mx_array *stn = vec_i32((int32_t[]){-1, -7}, 2);
    CHECK_OK(mx_slice_update_dynamic(&o, z, u22, stn, ax01, 2, NULL));
    CHECK(eq_f32(o, (float[]){0, 0, 0, 1, 1, 0, 1, 1, 0}, 9));
    /* a 0-d start on one axis; the update's missing axes (MLX's rule) */
    mx_array *s1 = NULL, *row = NULL;
    CHECK_OK(mx_array_from_int(&s1, 1, MX_UINT8));
    int32_t three = 3;
    CHECK_OK(mx_ones(&row, &three, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_slice_update_dynamic(&o, z, row, s1, &ax0, 1, NULL));
    CHECK(eq_f32(o, (float[]){0, 0, 0, 1, 1, 1, 0, 0, 0}, 9));
    mx_array *r13 = NULL;
    CHECK_OK(mx_ones(&r13, s13, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_slice_update_dynamic(&o, z, r13, s1, &ax0, 1, NULL));
    CHECK(eq_f32(o, (float[]){0, 0, 0, 1, 1, 1, 0, 0, 0}, 9));
    /* errors */
    mx_array *fs = vec_f32((float[]){1}, 1);
    CHECK_ERR(mx_slice_update_dynamic(&o, z, r13, fs, &ax0, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_slice_update_dynamic(&o, z, r13, st, &ax0, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_slice_update_dynamic(&o, z, u12, st, (int[]){0, 0}, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_slice_update_dynamic(&o, z, u12, st, (int[]){0, 2}, 2, NULL), MX_ERR_VALUE);
    int32_t s43[2] = {4, 3};
    mx_array *u43 = NULL;
    CHECK_OK(mx_ones(&u43, s43, 2, MX_FLOAT32, NULL));
    CHECK_ERR(mx_slice_update_dynamic(&o, z, u43, s1, &ax0, 1, NULL), MX_ERR_VALUE);
    mx_array *arrs[] = {z, o, u12, u22, st, st22, stn, s1, row, r13, fs, u43};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

/* ---- masked scatter ---- */

/* Python's a[mask] = values in MLX 0.32.4. */
TEST(masked_scatter_mlx_values) {
    int32_t sh[2] = {2, 3};
    int32_t src[6] = {0, 1, 2, 3, 4, 5};
    mx_array *a = make(MX_INT32, src, sh, 2), *o = NULL;
    mx_array *m = make(MX_BOOL, (uint8_t[]){1, 0, 1, 0, 1, 1}, sh, 2);
    mx_array *m1 = NULL;
    CHECK_OK(mx_array_from_int(&m1, -1, MX_INT32));
    CHECK_OK(mx_masked_scatter(&o, a, m, m1, NULL));
    CHECK(eq_i32(o, (int32_t[]){-1, 1, -1, 3, -1, -1}, 6));
    mx_array *v4 = vec_i32((int32_t[]){10, 20, 30, 40}, 4);
    CHECK_OK(mx_masked_scatter(&o, a, m, v4, NULL));
    CHECK(eq_i32(o, (int32_t[]){10, 1, 20, 3, 30, 40}, 6));
    mx_array *v6 = vec_i32((int32_t[]){10, 20, 30, 40, 50, 60}, 6);
    CHECK_OK(mx_masked_scatter(&o, a, m, v6, NULL));
    CHECK(eq_i32(o, (int32_t[]){10, 1, 20, 3, 30, 40}, 6));
    /* too few values: evaluation fails (MLX: RuntimeError) */
    mx_array *v3 = vec_i32((int32_t[]){10, 20, 30}, 3);
    CHECK_OK(mx_masked_scatter(&o, a, m, v3, NULL));
    CHECK_ERR(mx_eval(&o, 1), MX_ERR_RUNTIME);
    /* row masks: the mask covers the leading axes */
    int32_t two = 2;
    mx_array *mr = make(MX_BOOL, (uint8_t[]){1, 0}, &two, 1);
    mx_array *v789 = vec_i32((int32_t[]){7, 8, 9}, 3);
    CHECK_OK(mx_masked_scatter(&o, a, mr, v789, NULL));
    CHECK(eq_i32(o, (int32_t[]){7, 8, 9, 3, 4, 5}, 6));
    mx_array *mr2 = make(MX_BOOL, (uint8_t[]){1, 1}, &two, 1);
    CHECK_OK(mx_masked_scatter(&o, a, mr2, v789, NULL));
    CHECK(eq_i32(o, (int32_t[]){7, 8, 9, 7, 8, 9}, 6));
    mx_array *mr3 = make(MX_BOOL, (uint8_t[]){0, 1}, &two, 1);
    mx_array *v23 = make(MX_INT32, (int32_t[]){7, 8, 9, 1, 2, 3}, sh, 2);
    CHECK_OK(mx_masked_scatter(&o, a, mr3, v23, NULL));
    CHECK(eq_i32(o, (int32_t[]){0, 1, 2, 7, 8, 9}, 6));
    /* values cast to a's dtype */
    mx_array *vf = vec_f32((float[]){1.7f, 2.5f, 3.2f, 4.9f}, 4);
    CHECK_OK(mx_masked_scatter(&o, a, m, vf, NULL));
    CHECK(eq_i32(o, (int32_t[]){1, 1, 2, 3, 3, 4}, 6));
    /* errors */
    int32_t three = 3;
    mx_array *m3 = make(MX_BOOL, (uint8_t[]){1, 0, 1}, &three, 1);
    CHECK_ERR(mx_masked_scatter(&o, a, m3, v4, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_masked_scatter(&o, a, m, v23, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_masked_scatter(&o, a, a, v4, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_masked_scatter(&o, a, m, v4, NULL));
    CHECK(eq_i32(o, (int32_t[]){10, 1, 20, 3, 30, 40}, 6));
    mx_array *arrs[] = {a, o, m, m1, v4, v6, v3, mr, v789, mr2, mr3, v23, vf, m3};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

/* A mask over many blocks (parallel count and write), strided mask and
 * values, 8-byte elements. */
TEST(masked_scatter_large) {
    int32_t sh[2] = {700, 300};
    int64_t n = 210000;
    double *src = malloc((size_t)n * sizeof *src);
    uint8_t *mk = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++) src[i] = (double)i, mk[i] = rnd() % 3 == 0;
    int32_t tsh[2] = {300, 700};
    mx_array *a = make(MX_FLOAT64, src, sh, 2);
    mx_array *mt = make(MX_BOOL, mk, tsh, 2), *m = NULL; /* transposed mask */
    CHECK_OK(mx_transpose(&m, mt, NULL, 0, NULL));
    int32_t nv = (int32_t)n;
    double *vals = malloc((size_t)n * sizeof *vals);
    for (int64_t i = 0; i < n; i++) vals[i] = -(double)i;
    mx_array *vr = make(MX_FLOAT64, vals, &nv, 1), *v = NULL, *o = NULL;
    int32_t st = -1, sp = -(nv + 1), stp = -1;
    CHECK_OK(mx_slice(&v, vr, &st, &sp, &stp, 1, NULL)); /* reversed values */
    CHECK_OK(mx_masked_scatter(&o, a, m, v, NULL));
    double *g = read_all(o);
    int64_t k = 0;
    bool ok = true;
    for (int i = 0; i < 700; i++)
        for (int j = 0; j < 300; j++) {
            int64_t q = (int64_t)i * 300 + j;
            if (mk[(int64_t)j * 700 + i])
                ok = ok && g[q] == vals[n - 1 - k++];
            else
                ok = ok && g[q] == src[q];
        }
    CHECK(ok);
    free(g);
    mx_array *arrs[] = {a, mt, m, vr, v, o};
    for (size_t q = 0; q < sizeof arrs / sizeof arrs[0]; q++) mx_array_free(arrs[q]);
    free(src);
    free(mk);
    free(vals);
}

/* ---- wrong calls on take ---- */

TEST(take_errors) {
    int32_t sh[2] = {3, 4};
    mx_array *a = NULL, *o = NULL;
    CHECK_OK(mx_ones(&a, sh, 2, MX_FLOAT32, NULL));
    mx_array *fi = vec_f32((float[]){1}, 1), *bi = NULL, *ci = NULL,
             *ii = vec_i32((int32_t[]){0}, 1);
    CHECK_OK(mx_array_from_bool(&bi, true));
    CHECK_OK(mx_array_from_complex(&ci, 1, 0));
    CHECK_ERR(mx_take(&o, a, fi, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_take(&o, a, bi, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_take_axis(&o, a, ci, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_take_axis(&o, a, ii, 2, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_take_axis(&o, a, ii, -3, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_take_index_axis(&o, a, 0, 2, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_take(&o, NULL, ii, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_take(NULL, a, ii, NULL), MX_ERR_VALUE);
    int32_t esh[2] = {0, 3};
    mx_array *e = NULL, *e0 = NULL;
    CHECK_OK(mx_zeros(&e, esh, 2, MX_FLOAT32, NULL));
    CHECK_ERR(mx_take_axis(&o, e, ii, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_take(&o, e, ii, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_take_index(&o, e, 0, NULL), MX_ERR_INDEX);
    int32_t zero = 0;
    CHECK_OK(mx_zeros(&e0, &zero, 1, MX_INT32, NULL));
    CHECK_OK(mx_take_axis(&o, e, e0, 0, NULL)); /* empty from empty is fine */
    CHECK_OK(mx_eval(&o, 1));
    CHECK(mx_array_size(o) == 0 && mx_array_dim(o, 1) == 3);
    int32_t s30[2] = {3, 0}, s32[2] = {3, 2};
    mx_array *e30 = NULL, *i32 = NULL;
    CHECK_OK(mx_zeros(&e30, s30, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&i32, s32, 2, MX_INT32, NULL));
    CHECK_ERR(mx_take_along_axis(&o, e30, i32, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_take_along_axis(&o, a, ii, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_take_along_axis(&o, a, i32, 2, NULL), MX_ERR_INDEX);
    /* still works */
    CHECK_OK(mx_take(&o, a, ii, NULL));
    CHECK(eq_f32(o, (float[]){1}, 1));
    mx_array *arrs[] = {a, o, fi, bi, ci, ii, e, e0, e30, i32};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

int main(void) {
    RUN(take_mlx_values);
    RUN(take_reference);
    RUN(take_large_and_strided);
    RUN(along_axis_mlx_values);
    RUN(along_axis_reference);
    RUN(gather_general);
    RUN(scatter_mlx_values);
    RUN(scatter_dtypes);
    RUN(scatter_reference);
    RUN(scatter_errors);
    RUN(slice_update_static);
    RUN(slice_update_dynamic);
    RUN(masked_scatter_mlx_values);
    RUN(masked_scatter_large);
    RUN(take_errors);
    return TEST_SUMMARY();
}
