/*
 * Sorting and selection: sort, argsort, partition, argpartition, topk and
 * searchsorted, for every dtype, against reference code written here (a
 * stable comparison sort in MLX's order), on contiguous, transposed,
 * broadcast and reversed inputs, empty and 0-d arrays, NaN/inf/-0, the
 * parallel paths (many rows, one long row) and every wrong call. Values
 * checked against real MLX 0.32.4 are embedded where noted.
 */
#include <complex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "core/half.h"
#include "core/threadpool.h"

/* ---- helpers ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static const mx_dtype all_dtypes[] = {MX_BOOL,    MX_UINT8,   MX_UINT16,   MX_UINT32,   MX_UINT64,
                                      MX_INT8,    MX_INT16,   MX_INT32,    MX_INT64,    MX_FLOAT16,
                                      MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_COMPLEX64};
#define N_DTYPES ((int)(sizeof all_dtypes / sizeof all_dtypes[0]))

static bool is_float(mx_dtype t) {
    return t == MX_FLOAT16 || t == MX_FLOAT32 || t == MX_FLOAT64 || t == MX_BFLOAT16;
}

/* One element as the reference sees it. */
typedef struct rval {
    int kind; /* 0 signed, 1 unsigned, 2 float, 3 complex */
    int64_t i;
    uint64_t u;
    double d, im;
} rval;

static rval get(mx_dtype t, const void *base, int64_t k) {
    rval v;
    memset(&v, 0, sizeof v);
    const char *p = (const char *)base + k * mx_dtype_size(t);
    switch (t) {
    case MX_BOOL:
        v.kind = 1, v.u = *(const uint8_t *)p != 0;
        break;
    case MX_UINT8:
        v.kind = 1, v.u = *(const uint8_t *)p;
        break;
    case MX_UINT16:
        v.kind = 1, v.u = *(const uint16_t *)p;
        break;
    case MX_UINT32:
        v.kind = 1, v.u = *(const uint32_t *)p;
        break;
    case MX_UINT64:
        v.kind = 1, v.u = *(const uint64_t *)p;
        break;
    case MX_INT8:
        v.kind = 0, v.i = *(const int8_t *)p;
        break;
    case MX_INT16:
        v.kind = 0, v.i = *(const int16_t *)p;
        break;
    case MX_INT32:
        v.kind = 0, v.i = *(const int32_t *)p;
        break;
    case MX_INT64:
        v.kind = 0, v.i = *(const int64_t *)p;
        break;
    case MX_FLOAT16:
        v.kind = 2, v.d = mxi_f16_to_f32(*(const uint16_t *)p);
        break;
    case MX_BFLOAT16:
        v.kind = 2, v.d = mxi_bf16_to_f32(*(const uint16_t *)p);
        break;
    case MX_FLOAT32:
        v.kind = 2, v.d = *(const float *)p;
        break;
    case MX_FLOAT64:
        v.kind = 2, v.d = *(const double *)p;
        break;
    default: {
        const float *c = (const float *)p;
        v.kind = 3, v.d = c[0], v.im = c[1];
        break;
    }
    }
    return v;
}

/* MLX's order: -1, 0, 1 (NaN last and equal to NaN; -0 == 0). */
static int cmp(rval a, rval b) {
    switch (a.kind) {
    case 0:
        return (a.i > b.i) - (a.i < b.i);
    case 1:
        return (a.u > b.u) - (a.u < b.u);
    case 2: {
        bool na = isnan(a.d), nb = isnan(b.d);
        if (na || nb) return na - nb;
        return (a.d > b.d) - (a.d < b.d);
    }
    default: {
        bool na = isnan(a.d) || isnan(a.im), nb = isnan(b.d) || isnan(b.im);
        if (na || nb) return na - nb;
        if (a.d != b.d) return a.d < b.d ? -1 : 1;
        return (a.im > b.im) - (a.im < b.im);
    }
    }
}

/* Reference stable argsort of n elements at stride st (elements). */
static const void *ref_base;
static mx_dtype ref_dtype;
static int64_t ref_stride;
static int ref_cmp(const void *x, const void *y) {
    int64_t i = *(const int64_t *)x, j = *(const int64_t *)y;
    int c = cmp(get(ref_dtype, ref_base, i * ref_stride), get(ref_dtype, ref_base, j * ref_stride));
    return c ? c : (i > j) - (i < j);
}
static void ref_argsort(int64_t *perm, mx_dtype t, const void *base, int64_t st, int64_t n) {
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    ref_base = base, ref_dtype = t, ref_stride = st;
    qsort(perm, (size_t)n, sizeof *perm, ref_cmp);
}

/* Random data of dtype t: small ranges (many ties) when `ties`, and for
 * floats some NaN (both signs), +-inf and +-0. */
static void fill_random(mx_dtype t, void *dst, int64_t n, bool ties) {
    char *p = dst;
    int sz = mx_dtype_size(t);
    for (int64_t k = 0; k < n; k++) {
        uint64_t r = rnd();
        char *e = p + k * sz;
        int64_t small = (int64_t)(r % 7) - 3;
        switch (t) {
        case MX_BOOL:
            *(uint8_t *)e = r & 1;
            break;
        case MX_COMPLEX64: {
            float c[2] = {(float)((int64_t)(r % 5) - 2), (float)((int64_t)((r >> 8) % 5) - 2)};
            if ((r >> 20) % 17 == 0) c[(r >> 30) & 1] = NAN;
            memcpy(e, c, 8);
            break;
        }
        default:
            if (is_float(t)) {
                double d = ties ? (double)small : ((double)(int64_t)(r >> 11) * 0x1p-50 - 4.0);
                int sp = (int)((r >> 3) % 23);
                if (sp == 0) d = NAN;
                if (sp == 1) d = -NAN;
                if (sp == 2) d = INFINITY;
                if (sp == 3) d = -INFINITY;
                if (sp == 4) d = 0.0;
                if (sp == 5) d = -0.0;
                if (t == MX_FLOAT16) {
                    uint16_t h = mxi_f32_to_f16((float)d);
                    memcpy(e, &h, 2);
                } else if (t == MX_BFLOAT16) {
                    uint16_t h = mxi_f32_to_bf16((float)d);
                    memcpy(e, &h, 2);
                } else if (t == MX_FLOAT32) {
                    float f = (float)d;
                    memcpy(e, &f, 4);
                } else {
                    memcpy(e, &d, 8);
                }
            } else {
                uint64_t bits = ties ? (uint64_t)small : (r >> 5);
                memcpy(e, &bits, (size_t)sz); /* little endian: low bytes */
            }
        }
    }
}

static mx_array *make(mx_dtype t, const void *data, const int32_t *shape, int ndim) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, data, shape, ndim, t));
    return a;
}

/* Evaluates a and copies it out row-major into a malloc'd buffer. */
static void *read_all(mx_array *a) {
    CHECK_OK(mx_eval(&a, 1));
    size_t nb = mx_array_nbytes(a);
    void *buf = malloc(nb ? nb : 1);
    CHECK_OK(mx_array_copy_to(a, buf, nb));
    return buf;
}

static int64_t prod(const int32_t *shape, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    return n;
}

/* Row-major strides in elements. */
static void rstrides(int64_t *st, const int32_t *shape, int nd) {
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) st[i] = s, s *= shape[i];
}

/* Checks sort / argsort of `a` (row-major data `src`, shape) along axis
 * against the reference, bit for bit. */
static void check_sort_result(mx_dtype t, const void *src, const int32_t *shape, int nd, int axis,
                              mx_array *sorted, mx_array *idx) {
    int64_t st[64];
    rstrides(st, shape, nd);
    int64_t n = shape[axis], total = prod(shape, nd), rows = n ? total / n : 0;
    int sz = mx_dtype_size(t);
    char *got = read_all(sorted);
    uint32_t *gi = read_all(idx);
    CHECK(mx_array_dtype(sorted) == t && mx_array_dtype(idx) == MX_UINT32);
    int64_t *perm = malloc((size_t)(n ? n : 1) * sizeof *perm);
    int bad = 0;
    for (int64_t r = 0; r < rows; r++) {
        /* The row's first element: unravel r over the other axes. */
        int64_t rem = r, off = 0;
        for (int d = nd - 1; d >= 0; d--) {
            if (d == axis) continue;
            off += (rem % shape[d]) * st[d];
            rem /= shape[d];
        }
        ref_argsort(perm, t, (const char *)src + off * sz, st[axis], n);
        for (int64_t k = 0; k < n && bad < 5; k++) {
            int64_t o = off + k * st[axis];
            if ((int64_t)gi[o] != perm[k]) {
                fprintf(stderr, "  %s row %lld: argsort[%lld] = %u, want %lld\n", mx_dtype_name(t),
                        (long long)r, (long long)k, gi[o], (long long)perm[k]);
                bad++;
            }
            if (memcmp(got + o * sz, (const char *)src + (off + perm[k] * st[axis]) * sz,
                       (size_t)sz) != 0) {
                fprintf(stderr, "  %s row %lld: sort[%lld] differs\n", mx_dtype_name(t),
                        (long long)r, (long long)k);
                bad++;
            }
        }
    }
    CHECK(bad == 0);
    free(perm);
    free(got);
    free(gi);
}

static void run_sort_case(mx_dtype t, const int32_t *shape, int nd, int axis, bool ties) {
    int64_t total = prod(shape, nd);
    int sz = mx_dtype_size(t);
    void *src = malloc((size_t)(total ? total : 1) * (size_t)sz);
    fill_random(t, src, total, ties);
    mx_array *a = make(t, src, shape, nd), *s = NULL, *i = NULL;
    CHECK_OK(mx_sort_axis(&s, a, axis, NULL));
    CHECK_OK(mx_argsort_axis(&i, a, axis, NULL));
    if (s && i) check_sort_result(t, src, shape, nd, axis < 0 ? axis + nd : axis, s, i);
    mx_array_free(a);
    mx_array_free(s);
    mx_array_free(i);
    free(src);
}

/* ---- sort and argsort ---- */

TEST(sort_all_dtypes_1d) {
    const int32_t sizes[] = {0, 1, 2, 5, 17, 47, 48, 100, 300, 2000};
    for (int di = 0; di < N_DTYPES; di++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
            for (int ties = 0; ties < 2; ties++)
                run_sort_case(all_dtypes[di], &sizes[si], 1, 0, ties);
}

TEST(sort_axes_2d_3d) {
    const int32_t s2[2] = {7, 300}, s3[3] = {3, 260, 5}, s4[2] = {600, 3};
    for (int di = 0; di < N_DTYPES; di++) {
        mx_dtype t = all_dtypes[di];
        run_sort_case(t, s2, 2, 0, true);
        run_sort_case(t, s2, 2, 1, false);
        run_sort_case(t, s2, 2, -1, true);
        run_sort_case(t, s3, 3, 1, true);
        run_sort_case(t, s3, 3, 2, false);
        run_sort_case(t, s3, 3, 0, false);
        run_sort_case(t, s4, 2, 0, true);
    }
}

/* Many rows: the thread pool shares them. */
TEST(sort_many_rows_parallel) {
    const int32_t shape[2] = {220, 300};
    mx_dtype ts[] = {MX_FLOAT32, MX_INT64, MX_FLOAT16, MX_COMPLEX64};
    for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
        run_sort_case(ts[k], shape, 2, 1, false);
        run_sort_case(ts[k], shape, 2, 0, true);
    }
}

/* One long row: the parallel radix sort (chunk histograms). */
TEST(sort_long_row_parallel) {
    int saved = mxi_num_threads();
    mxi_set_num_threads(3);
    const int32_t n = 140001;
    mx_dtype ts[] = {MX_FLOAT32, MX_INT32, MX_UINT64};
    for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) run_sort_case(ts[k], &n, 1, 0, k % 2);
    /* Two long rows along axis 0 (strided rows). */
    const int32_t s2[2] = {140000, 2};
    run_sort_case(MX_FLOAT32, s2, 2, 0, false);
    mxi_set_num_threads(saved);
}

/* Values checked against MLX 0.32.4. */
TEST(sort_mlx_values) {
    float x[10] = {3.0f, NAN, -0.0f, 1.0f, 0.0f, -NAN, -1.0f, INFINITY, -INFINITY, NAN};
    int32_t n = 10;
    mx_array *a = make(MX_FLOAT32, x, &n, 1), *i = NULL, *s = NULL;
    CHECK_OK(mx_argsort_axis(&i, a, -1, NULL));
    uint32_t want[10] = {8, 6, 2, 4, 3, 0, 7, 1, 5, 9};
    uint32_t *gi = read_all(i);
    CHECK(memcmp(gi, want, sizeof want) == 0);
    free(gi);
    CHECK_OK(mx_sort_axis(&s, a, 0, NULL));
    float *gs = read_all(s);
    CHECK(gs[0] == -INFINITY && gs[1] == -1 && gs[2] == 0 && signbit(gs[2]) && gs[3] == 0 &&
          !signbit(gs[3]) && gs[5] == 3 && gs[6] == INFINITY && isnan(gs[7]) && isnan(gs[9]));
    free(gs);
    /* -0 and 0 keep their order (MLX and NumPy: sign bits F T F T). */
    float z[4] = {0.0f, -0.0f, 0.0f, -0.0f};
    int32_t n4 = 4;
    mx_array_free(a);
    a = make(MX_FLOAT32, z, &n4, 1);
    CHECK_OK(mx_sort(&s, a, NULL));
    gs = read_all(s);
    CHECK(!signbit(gs[0]) && signbit(gs[1]) && !signbit(gs[2]) && signbit(gs[3]));
    free(gs);
    /* complex: NaN in either part sorts last, in order (MLX: [3, 0, 1, 2,
     * 4, 5]; NumPy orders NaNs further). */
    float c[12] = {NAN, 0, 1, NAN, NAN, NAN, 1, 0, 0, NAN, NAN, 1};
    int32_t n6 = 6;
    mx_array_free(a);
    a = make(MX_COMPLEX64, c, &n6, 1);
    CHECK_OK(mx_argsort(&i, a, NULL));
    uint32_t wc[6] = {3, 0, 1, 2, 4, 5};
    gi = read_all(i);
    CHECK(memcmp(gi, wc, sizeof wc) == 0);
    free(gi);
    /* bool */
    uint8_t b[5] = {1, 1, 1, 0, 1};
    int32_t n5 = 5;
    mx_array_free(a);
    a = make(MX_BOOL, b, &n5, 1);
    CHECK_OK(mx_argsort(&i, a, NULL));
    uint32_t wb[5] = {3, 0, 1, 2, 4};
    gi = read_all(i);
    CHECK(memcmp(gi, wb, sizeof wb) == 0);
    free(gi);
    mx_array_free(a);
    mx_array_free(i);
    mx_array_free(s);
}

/* Flattened forms, 0-d and empty arrays. */
TEST(sort_flat_and_edges) {
    int32_t d[6] = {3, 1, 1, 2, 0, 5};
    int32_t shape[2] = {3, 2};
    mx_array *a = make(MX_INT32, d, shape, 2), *s = NULL, *i = NULL;
    CHECK_OK(mx_sort(&s, a, NULL));
    CHECK(mx_array_ndim(s) == 1 && mx_array_dim(s, 0) == 6);
    int32_t *gs = read_all(s);
    int32_t ws[6] = {0, 1, 1, 2, 3, 5};
    CHECK(memcmp(gs, ws, sizeof ws) == 0);
    free(gs);
    CHECK_OK(mx_argsort(&i, a, NULL));
    uint32_t *gi = read_all(i);
    uint32_t wi[6] = {4, 1, 2, 3, 0, 5}; /* MLX */
    CHECK(memcmp(gi, wi, sizeof wi) == 0);
    free(gi);
    /* 0-d: no axis, but the flattened sort works. */
    mx_array *z = NULL;
    CHECK_OK(mx_array_from_float(&z, 3.0, MX_FLOAT32));
    CHECK_ERR(mx_sort_axis(&s, z, -1, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_argsort_axis(&s, z, 0, NULL), MX_ERR_INDEX);
    CHECK_OK(mx_sort(&s, z, NULL));
    CHECK(mx_array_ndim(s) == 1 && mx_array_dim(s, 0) == 1);
    /* empty */
    int32_t es[2] = {0, 3};
    mx_array *e = NULL;
    CHECK_OK(mx_zeros(&e, es, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_sort_axis(&s, e, 0, NULL));
    CHECK_OK(mx_eval(&s, 1));
    CHECK(mx_array_size(s) == 0 && mx_array_dim(s, 1) == 3);
    CHECK_OK(mx_argsort_axis(&i, e, 1, NULL));
    CHECK_OK(mx_eval(&i, 1));
    CHECK(mx_array_size(i) == 0 && mx_array_dtype(i) == MX_UINT32);
    mx_array_free(a);
    mx_array_free(s);
    mx_array_free(i);
    mx_array_free(z);
    mx_array_free(e);
}

/* Transposed, broadcast and reversed (negative stride) inputs. */
TEST(sort_strided_inputs) {
    int32_t shape[2] = {40, 300};
    int64_t total = prod(shape, 2);
    float *src = malloc((size_t)total * sizeof(float));
    fill_random(MX_FLOAT32, src, total, true);
    mx_array *a = make(MX_FLOAT32, src, shape, 2), *t = NULL, *s = NULL, *i = NULL;
    /* transposed: (300, 40) sorted along both axes */
    CHECK_OK(mx_transpose(&t, a, NULL, 0, NULL));
    for (int axis = 0; axis < 2; axis++) {
        CHECK_OK(mx_sort_axis(&s, t, axis, NULL));
        CHECK_OK(mx_argsort_axis(&i, t, axis, NULL));
        float *dense = read_all(t);
        int32_t tshape[2] = {300, 40};
        check_sort_result(MX_FLOAT32, dense, tshape, 2, axis, s, i);
        free(dense);
    }
    /* reversed rows */
    int32_t start[2] = {-1, -1}, stop[2] = {-41, -301}, step[2] = {-1, -1};
    mx_array *r = NULL;
    CHECK_OK(mx_slice(&r, a, start, stop, step, 2, NULL));
    for (int axis = 0; axis < 2; axis++) {
        CHECK_OK(mx_sort_axis(&s, r, axis, NULL));
        CHECK_OK(mx_argsort_axis(&i, r, axis, NULL));
        float *dense = read_all(r);
        check_sort_result(MX_FLOAT32, dense, shape, 2, axis, s, i);
        free(dense);
    }
    /* broadcast: a (1, 300) row repeated 5 times, and a column broadcast
     * along the sorted axis (all equal: identity argsort) */
    int32_t one[2] = {1, 300}, b5[2] = {5, 300};
    mx_array *row = NULL, *b = NULL;
    int32_t st0[2] = {0, 0}, sp0[2] = {1, 300};
    CHECK_OK(mx_slice(&row, a, st0, sp0, NULL, 2, NULL));
    CHECK_OK(mx_broadcast_to(&b, row, b5, 2, NULL));
    CHECK_OK(mx_sort_axis(&s, b, 1, NULL));
    CHECK_OK(mx_argsort_axis(&i, b, 1, NULL));
    float *dense = read_all(b);
    check_sort_result(MX_FLOAT32, dense, b5, 2, 1, s, i);
    free(dense);
    CHECK_OK(mx_argsort_axis(&i, b, 0, NULL));
    uint32_t *gi = read_all(i);
    bool ok = true;
    for (int k = 0; k < 5 * 300; k++) ok = ok && gi[k] == (uint32_t)(k / 300);
    CHECK(ok);
    free(gi);
    (void)one;
    mx_array_free(a);
    mx_array_free(t);
    mx_array_free(r);
    mx_array_free(row);
    mx_array_free(b);
    mx_array_free(s);
    mx_array_free(i);
    free(src);
}

/* ---- partition, argpartition, topk ---- */

/* Checks that out (values) and idx (indices) partition row-major `src` of
 * one row of n at kth. */
static void check_partition(mx_dtype t, const void *src, int64_t n, int64_t kth, mx_array *out,
                            mx_array *idx) {
    char *got = read_all(out);
    uint32_t *gi = read_all(idx);
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    ref_argsort(perm, t, src, 1, n);
    rval pivot = get(t, src, perm[kth]);
    bool ok = cmp(get(t, got, kth), pivot) == 0;
    for (int64_t k = 0; k < n; k++) {
        int c = cmp(get(t, got, k), pivot);
        ok = ok && (k < kth ? c <= 0 : k > kth ? c >= 0 : true);
    }
    /* values: the same multiset as the input (compare sorted bits) */
    int64_t *p2 = malloc((size_t)n * sizeof *p2);
    ref_argsort(p2, t, got, 1, n);
    for (int64_t k = 0; k < n; k++) ok = ok && cmp(get(t, got, p2[k]), get(t, src, perm[k])) == 0;
    /* indices: a permutation partitioning the input */
    char *seen = calloc((size_t)n, 1);
    for (int64_t k = 0; k < n; k++) {
        if (gi[k] >= n || seen[gi[k]]) {
            ok = false;
            break;
        }
        seen[gi[k]] = 1;
        int c = cmp(get(t, src, gi[k]), pivot);
        ok = ok && (k < kth ? c <= 0 : k > kth ? c >= 0 : c == 0);
    }
    if (!ok)
        fprintf(stderr, "  partition %s n=%lld kth=%lld\n", mx_dtype_name(t), (long long)n,
                (long long)kth);
    CHECK(ok);
    free(seen);
    free(p2);
    free(perm);
    free(got);
    free(gi);
}

TEST(partition_all_dtypes) {
    const int32_t sizes[] = {1, 2, 10, 17, 100, 1500};
    for (int di = 0; di < N_DTYPES; di++) {
        mx_dtype t = all_dtypes[di];
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            int32_t n = sizes[si];
            for (int ties = 0; ties < 2; ties++) {
                void *src = malloc((size_t)n * (size_t)mx_dtype_size(t));
                fill_random(t, src, n, ties);
                mx_array *a = make(t, src, &n, 1), *p = NULL, *i = NULL;
                int64_t ks[4] = {0, n / 3, n - 1, -1};
                for (int k = 0; k < 4; k++) {
                    int kth = (int)ks[k];
                    CHECK_OK(mx_partition_axis(&p, a, kth, 0, NULL));
                    CHECK_OK(mx_argpartition_axis(&i, a, kth, -1, NULL));
                    if (p && i) check_partition(t, src, n, kth < 0 ? kth + n : kth, p, i);
                }
                mx_array_free(a);
                mx_array_free(p);
                mx_array_free(i);
                free(src);
            }
        }
    }
}

/* Sorted input, reversed input and all-equal input: introselect's bad cases. */
TEST(partition_adversarial) {
    int32_t n = 20000;
    int32_t *v = malloc((size_t)n * sizeof *v);
    for (int pass = 0; pass < 4; pass++) {
        for (int32_t k = 0; k < n; k++)
            v[k] = pass == 0 ? k : pass == 1 ? n - k : pass == 2 ? 7 : (k % 2 ? k : -k);
        mx_array *a = make(MX_INT32, v, &n, 1), *p = NULL, *i = NULL;
        CHECK_OK(mx_partition(&p, a, n / 2, NULL));
        CHECK_OK(mx_argpartition(&i, a, n / 2, NULL));
        check_partition(MX_INT32, v, n, n / 2, p, i);
        mx_array_free(a);
        mx_array_free(p);
        mx_array_free(i);
    }
    free(v);
    /* Long random rows (sampled pivots) of dtypes with few distinct values,
     * NaNs or no key. */
    mx_dtype ts[] = {MX_BOOL, MX_FLOAT16, MX_FLOAT32, MX_COMPLEX64, MX_UINT64};
    int32_t m = 9000;
    for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
        void *src = malloc((size_t)m * (size_t)mx_dtype_size(ts[k]));
        fill_random(ts[k], src, m, k % 2);
        mx_array *a = make(ts[k], src, &m, 1), *p = NULL, *i = NULL;
        int kths[3] = {0, m - 10, m / 2 + 1};
        for (int q = 0; q < 3; q++) {
            CHECK_OK(mx_partition(&p, a, kths[q], NULL));
            CHECK_OK(mx_argpartition(&i, a, kths[q], NULL));
            check_partition(ts[k], src, m, kths[q], p, i);
        }
        mx_array_free(a);
        mx_array_free(p);
        mx_array_free(i);
        free(src);
    }
}

TEST(partition_axes) {
    /* (5, 60) along axis 0 and 1, transposed input */
    int32_t shape[2] = {60, 5};
    float src[300];
    fill_random(MX_FLOAT32, src, 300, true);
    mx_array *a = make(MX_FLOAT32, src, shape, 2), *t = NULL, *p = NULL, *i = NULL;
    CHECK_OK(mx_transpose(&t, a, NULL, 0, NULL)); /* (5, 60) */
    CHECK_OK(mx_partition_axis(&p, t, 20, 1, NULL));
    CHECK_OK(mx_argpartition_axis(&i, t, 20, 1, NULL));
    float *gp = read_all(p);
    uint32_t *gi = read_all(i);
    for (int r = 0; r < 5; r++) {
        float row[60], prow[60];
        for (int k = 0; k < 60; k++) row[k] = src[k * 5 + r], prow[k] = gp[r * 60 + k];
        mx_array *po = make(MX_FLOAT32, prow, (int32_t[]){60}, 1);
        uint32_t irow[60];
        memcpy(irow, gi + r * 60, sizeof irow);
        mx_array *io = make(MX_UINT32, irow, (int32_t[]){60}, 1);
        check_partition(MX_FLOAT32, row, 60, 20, po, io);
        mx_array_free(po);
        mx_array_free(io);
    }
    free(gp);
    free(gi);
    /* the flattened forms */
    CHECK_OK(mx_partition(&p, t, 150, NULL));
    CHECK_OK(mx_argpartition(&i, t, -150, NULL));
    float *dense = read_all(t);
    check_partition(MX_FLOAT32, dense, 300, 150, p, i);
    free(dense);
    mx_array_free(a);
    mx_array_free(t);
    mx_array_free(p);
    mx_array_free(i);
}

TEST(topk_values) {
    /* MLX: topk([5,1,9,3,7,2,8,0,6,4], 3) holds {7, 8, 9}. */
    int32_t v[10] = {5, 1, 9, 3, 7, 2, 8, 0, 6, 4}, n = 10;
    mx_array *a = make(MX_INT32, v, &n, 1), *k = NULL;
    CHECK_OK(mx_topk(&k, a, 3, NULL));
    int32_t *g = read_all(k);
    CHECK(mx_array_size(k) == 3 && g[0] == 7);
    CHECK(g[0] + g[1] + g[2] == 24 && (g[1] == 8 || g[1] == 9) && (g[2] == 8 || g[2] == 9));
    free(g);
    CHECK_OK(mx_topk_axis(&k, a, 0, 0, NULL));
    CHECK_OK(mx_eval(&k, 1));
    CHECK(mx_array_size(k) == 0);
    CHECK_OK(mx_topk_axis(&k, a, 10, -1, NULL));
    CHECK_OK(mx_eval(&k, 1));
    CHECK(mx_array_size(k) == 10);
    CHECK_ERR(mx_topk(&k, a, 11, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_topk(&k, a, -1, NULL), MX_ERR_VALUE);
    /* NaN counts as the largest (MLX: topk([1, nan, 3, 2], 2) = [3, nan]). */
    float f[4] = {1, NAN, 3, 2};
    int32_t n4 = 4;
    mx_array *b = make(MX_FLOAT32, f, &n4, 1);
    CHECK_OK(mx_topk(&k, b, 2, NULL));
    float *gf = read_all(k);
    CHECK(gf[0] == 3 && isnan(gf[1]));
    free(gf);
    /* 2-D along axis 0 (MLX: [[3, 2], [4, 5]] as sets per column) */
    int32_t m[6] = {1, 5, 3, 2, 4, 0}, sh[2] = {3, 2};
    mx_array *c = make(MX_INT32, m, sh, 2);
    CHECK_OK(mx_topk_axis(&k, c, 2, 0, NULL));
    g = read_all(k);
    CHECK(mx_array_dim(k, 0) == 2 && mx_array_dim(k, 1) == 2);
    CHECK(g[0] == 3 && g[2] == 4 && g[1] == 2 && g[3] == 5);
    free(g);
    /* random rows against a sort */
    int32_t big[2] = {9, 1000};
    int64_t total = 9000;
    float *src = malloc((size_t)total * sizeof *src);
    fill_random(MX_FLOAT32, src, total, false);
    mx_array *d = make(MX_FLOAT32, src, big, 2), *srt = NULL;
    CHECK_OK(mx_topk_axis(&k, d, 37, 1, NULL));
    CHECK_OK(mx_sort_axis(&srt, d, 1, NULL));
    float *gk = read_all(k), *gs = read_all(srt);
    bool ok = true;
    for (int r = 0; r < 9; r++) {
        float tmp[37];
        memcpy(tmp, gk + r * 37, sizeof tmp);
        mx_array *x = make(MX_FLOAT32, tmp, (int32_t[]){37}, 1), *xs = NULL;
        CHECK_OK(mx_sort(&xs, x, NULL));
        float *sorted = read_all(xs);
        for (int q = 0; q < 37; q++) {
            float want = gs[r * 1000 + 1000 - 37 + q];
            ok = ok && (sorted[q] == want || (isnan(sorted[q]) && isnan(want)));
        }
        ok = ok && (gk[r * 37] == sorted[0] || (isnan(gk[r * 37]) && isnan(sorted[0])));
        free(sorted);
        mx_array_free(x);
        mx_array_free(xs);
    }
    CHECK(ok);
    free(gk);
    free(gs);
    free(src);
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(c);
    mx_array_free(d);
    mx_array_free(srt);
    mx_array_free(k);
}

/* ---- searchsorted ---- */

static void check_search(mx_dtype t, const void *seq, int64_t m, const void *vals, int64_t n,
                         mx_array *left, mx_array *right) {
    uint32_t *gl = read_all(left), *gr = read_all(right);
    bool ok = true;
    for (int64_t j = 0; j < n; j++) {
        rval v = get(t, vals, j);
        /* sorted sequence: count of less / less-or-equal */
        int64_t lo = 0, le = 0;
        for (int64_t i = 0; i < m; i++) {
            int c = cmp(get(t, seq, i), v);
            lo += c < 0;
            le += c <= 0;
        }
        ok = ok && gl[j] == lo && gr[j] == le;
    }
    if (!ok) fprintf(stderr, "  searchsorted %s m=%lld\n", mx_dtype_name(t), (long long)m);
    CHECK(ok);
    free(gl);
    free(gr);
}

TEST(searchsorted_all_dtypes) {
    const int32_t ms[] = {0, 1, 7, 300};
    for (int di = 0; di < N_DTYPES; di++) {
        mx_dtype t = all_dtypes[di];
        for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
            int32_t m = ms[mi], n = 257;
            int sz = mx_dtype_size(t);
            char *raw = malloc((size_t)(m ? m : 1) * (size_t)sz);
            char *vals = malloc((size_t)n * (size_t)sz);
            fill_random(t, raw, m, true);
            fill_random(t, vals, n, true);
            mx_array *r = make(t, raw, &m, 1), *seq = NULL, *v = make(t, vals, &n, 1);
            CHECK_OK(mx_sort(&seq, r, NULL));
            char *sorted = read_all(seq);
            mx_array *l = NULL, *g = NULL;
            CHECK_OK(mx_searchsorted(&l, seq, v, "left", NULL));
            CHECK_OK(mx_searchsorted(&g, seq, v, "right", NULL));
            check_search(t, sorted, m, vals, n, l, g);
            CHECK(mx_array_dtype(l) == MX_UINT32);
            free(sorted);
            free(raw);
            free(vals);
            mx_array_free(r);
            mx_array_free(seq);
            mx_array_free(v);
            mx_array_free(l);
            mx_array_free(g);
        }
    }
}

/* Values checked against MLX 0.32.4. */
TEST(searchsorted_mlx_values) {
    int32_t s[4] = {1, 2, 2, 4}, q[4] = {0, 2, 3, 5}, n4 = 4;
    mx_array *seq = make(MX_INT32, s, &n4, 1), *v = make(MX_INT32, q, &n4, 1), *o = NULL;
    CHECK_OK(mx_searchsorted(&o, seq, v, NULL, NULL));
    uint32_t *g = read_all(o);
    CHECK(g[0] == 0 && g[1] == 1 && g[2] == 3 && g[3] == 4);
    free(g);
    CHECK_OK(mx_searchsorted(&o, seq, v, "right", NULL));
    g = read_all(o);
    CHECK(g[0] == 0 && g[1] == 3 && g[2] == 3 && g[3] == 4);
    free(g);
    /* promotion: int sequence, float values ([1, 2, 3] with 2.5, 0.5 -> 2, 0) */
    int32_t s3[3] = {1, 2, 3}, n3 = 3, n2 = 2;
    float fv[2] = {2.5f, 0.5f};
    mx_array *seq3 = make(MX_INT32, s3, &n3, 1), *v2 = make(MX_FLOAT32, fv, &n2, 1);
    CHECK_OK(mx_searchsorted(&o, seq3, v2, "left", NULL));
    g = read_all(o);
    CHECK(g[0] == 2 && g[1] == 0);
    free(g);
    /* NaN ([1, 2, nan, nan] with nan, 2, inf: left 2 1 2, right 4 2 2) */
    float sn[4] = {1, 2, NAN, NAN}, vn[3] = {NAN, 2, INFINITY};
    mx_array *seqn = make(MX_FLOAT32, sn, &n4, 1), *vnn = make(MX_FLOAT32, vn, &n3, 1);
    CHECK_OK(mx_searchsorted(&o, seqn, vnn, "left", NULL));
    g = read_all(o);
    CHECK(g[0] == 2 && g[1] == 1 && g[2] == 2);
    free(g);
    CHECK_OK(mx_searchsorted(&o, seqn, vnn, "right", NULL));
    g = read_all(o);
    CHECK(g[0] == 4 && g[1] == 2 && g[2] == 2);
    free(g);
    /* values of any shape, 0-d and transposed */
    mx_array *z = NULL;
    CHECK_OK(mx_array_from_int(&z, 2, MX_INT32));
    CHECK_OK(mx_searchsorted(&o, seq, z, "left", NULL));
    CHECK(mx_array_ndim(o) == 0);
    int64_t item = 0;
    CHECK_OK(mx_array_item_int64(&item, o));
    CHECK(item == 1);
    int32_t q6[6] = {0, 2, 3, 5, 1, 4}, sh[2] = {2, 3};
    mx_array *v6 = make(MX_INT32, q6, sh, 2), *t6 = NULL;
    CHECK_OK(mx_transpose(&t6, v6, NULL, 0, NULL));
    CHECK_OK(mx_searchsorted(&o, seq, t6, "left", NULL));
    g = read_all(o); /* t6 = [[0, 5], [2, 1], [3, 4]] */
    CHECK(g[0] == 0 && g[1] == 4 && g[2] == 1 && g[3] == 0 && g[4] == 3 && g[5] == 3);
    free(g);
    /* errors */
    int32_t sh2[2] = {2, 2};
    mx_array *two = make(MX_INT32, s, sh2, 2);
    CHECK_ERR(mx_searchsorted(&o, two, v, "left", NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_searchsorted(&o, z, v, "left", NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_searchsorted(&o, seq, v, "middle", NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_searchsorted(&o, NULL, v, "left", NULL), MX_ERR_VALUE);
    CHECK_OK(mx_searchsorted(&o, seq, v, "left", NULL)); /* still works */
    mx_array *arrs[] = {seq, v, o, seq3, v2, seqn, vnn, z, v6, t6, two};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) mx_array_free(arrs[k]);
}

/* ---- wrong calls ---- */

TEST(sort_errors) {
    int32_t d[6] = {3, 1, 1, 2, 0, 5}, shape[2] = {3, 2};
    mx_array *a = make(MX_INT32, d, shape, 2), *o = NULL;
    CHECK_ERR(mx_sort_axis(&o, a, 2, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_sort_axis(&o, a, -3, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_argsort_axis(&o, a, 5, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_partition_axis(&o, a, 0, 2, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_partition_axis(&o, a, 2, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_partition_axis(&o, a, -3, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_argpartition(&o, a, 6, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_argpartition(&o, a, -7, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_topk_axis(&o, a, 4, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_topk_axis(&o, a, 1, 3, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_sort(&o, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_sort(NULL, a, NULL), MX_ERR_VALUE);
    int32_t zero = 0;
    mx_array *e = NULL;
    CHECK_OK(mx_zeros(&e, &zero, 1, MX_FLOAT32, NULL));
    CHECK_ERR(mx_partition(&o, e, 0, NULL), MX_ERR_VALUE); /* MLX: invalid kth 0 */
    CHECK(o == NULL);
    /* the library still works */
    CHECK_OK(mx_partition_axis(&o, a, -1, 0, NULL));
    int32_t *g = read_all(o);
    CHECK(g[4] == 3 && g[5] == 5);
    free(g);
    mx_array_free(a);
    mx_array_free(e);
    mx_array_free(o);
}

int main(void) {
    RUN(sort_all_dtypes_1d);
    RUN(sort_axes_2d_3d);
    RUN(sort_many_rows_parallel);
    RUN(sort_long_row_parallel);
    RUN(sort_mlx_values);
    RUN(sort_flat_and_edges);
    RUN(sort_strided_inputs);
    RUN(partition_all_dtypes);
    RUN(partition_adversarial);
    RUN(partition_axes);
    RUN(topk_values);
    RUN(searchsorted_all_dtypes);
    RUN(searchsorted_mlx_values);
    RUN(sort_errors);
    return TEST_SUMMARY();
}
