/*
 * Creation ops: linspace, full_like/zeros_like/ones_like, eye, identity,
 * tri, tril, triu, meshgrid, the windows and arange's corner cases. Values are checked against
 * reference loops written here (in the arithmetic MLX uses: float32
 * linspace, float32 windows) for every dtype; tril/triu also for
 * transposed, reversed and broadcast inputs. Values marked "MLX" were
 * produced by mlx.core 0.32.4.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "core/array_impl.h"
#include "cpu/strided.h"

static const mx_dtype all_dtypes[] = {MX_BOOL,    MX_UINT8,   MX_UINT16,   MX_UINT32,   MX_UINT64,
                                      MX_INT8,    MX_INT16,   MX_INT32,    MX_INT64,    MX_FLOAT16,
                                      MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_COMPLEX64};
#define NDTYPES ((int)(sizeof all_dtypes / sizeof all_dtypes[0]))

static double *alloc_f64(int64_t n) {
    return malloc((n > 0 ? (size_t)n : 1) * sizeof(double));
}

/* The values of a as doubles in row-major order (caller frees). */
static double *read_f64(mx_array *a) {
    mx_array *c = NULL;
    CHECK_OK(mx_astype(&c, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_eval(&c, 1));
    size_t n = mx_array_size(a);
    double *v = alloc_f64((int64_t)n);
    CHECK_OK(mx_array_copy_to(c, v, n * sizeof *v));
    mx_array_free(c);
    return v;
}

static bool same_value(double a, double b) {
    return a == b || (isnan(a) && isnan(b));
}

static void check_values(mx_array *out, const int32_t *shape, int nd, const double *want,
                         const char *what) {
    CHECK_OK(mx_eval(&out, 1));
    bool same = mx_array_ndim(out) == nd;
    for (int d = 0; same && d < nd; d++) same = mx_array_shape(out)[d] == shape[d];
    if (!same) {
        fprintf(stderr, "  %s: wrong shape\n", what);
        test_failures_in_current++;
        return;
    }
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= shape[d];
    double *got = read_f64(out);
    for (int64_t i = 0; i < n; i++) {
        if (!same_value(got[i], want[i])) {
            fprintf(stderr, "  %s: element %lld is %.17g, want %.17g\n", what, (long long)i, got[i],
                    want[i]);
            test_failures_in_current++;
            break;
        }
    }
    free(got);
}

static mx_array *iota(const int32_t *shape, int nd, mx_dtype dt, double start) {
    int64_t n = 1;
    for (int d = 0; d < nd; d++) n *= shape[d];
    double *v = alloc_f64(n);
    for (int64_t i = 0; i < n; i++) v[i] = fmod(start + (double)i, 100.0);
    mx_array *a = NULL, *b = NULL;
    CHECK_OK(mx_array_from_data(&a, v, shape, nd, MX_FLOAT64));
    CHECK_OK(mx_astype(&b, a, dt, NULL));
    CHECK_OK(mx_eval(&b, 1));
    mx_array_free(a);
    free(v);
    return b;
}

/* ---- linspace ---- */

static void linspace_case(double start, double stop, int num, bool endpoint) {
    double *want = alloc_f64(num);
    double *want64 = alloc_f64(num);
    int den = endpoint ? num - 1 : num;
    for (int i = 0; i < num; i++) {
        float t = (float)i / (float)den;
        want[i] = (1.0f - t) * (float)start + t * (float)stop;
        double td = (double)i / (double)den;
        want64[i] = (1.0 - td) * start + td * stop;
    }
    if (num == 1) want[0] = (float)start, want64[0] = (float)start;
    mx_array *out = NULL, *f32 = NULL, *cast = NULL;
    CHECK_OK(mx_linspace(&out, start, stop, num, endpoint, MX_DTYPE_NONE, NULL));
    CHECK(mx_array_dtype(out) == MX_FLOAT32);
    check_values(out, (int32_t[]){num}, 1, want, "linspace float32");
    CHECK_OK(mx_linspace(&out, start, stop, num, endpoint, MX_FLOAT64, NULL));
    check_values(out, (int32_t[]){num}, 1, want64, "linspace float64");
    /* Other dtypes: the float32 values cast, as MLX. */
    CHECK_OK(mx_linspace(&f32, start, stop, num, endpoint, MX_FLOAT32, NULL));
    for (int t = 0; t < NDTYPES; t++) {
        mx_dtype dt = all_dtypes[t];
        if (dt == MX_FLOAT64) continue;
        CHECK_OK(mx_linspace(&out, start, stop, num, endpoint, dt, NULL));
        CHECK(mx_array_dtype(out) == dt);
        CHECK_OK(mx_astype(&cast, f32, dt, NULL));
        double *w = read_f64(cast);
        check_values(out, (int32_t[]){num}, 1, w, mx_dtype_name(dt));
        free(w);
    }
    free(want);
    free(want64);
    mx_array_free(out);
    mx_array_free(f32);
    mx_array_free(cast);
}

TEST(linspace_values) {
    const double ends[][2] = {{0, 1},       {0.1, 0.7}, {-3.5, 12.25}, {1e3, -7.3},
                              {-0.0, -0.0}, {5, 5},     {1e-3, 2e-3}};
    const int nums[] = {0, 1, 2, 3, 5, 7, 50, 101};
    for (size_t e = 0; e < sizeof ends / sizeof ends[0]; e++)
        for (size_t n = 0; n < sizeof nums / sizeof nums[0]; n++)
            for (int ep = 0; ep < 2; ep++) linspace_case(ends[e][0], ends[e][1], nums[n], ep);
    /* MLX's outputs. */
    mx_array *out = NULL;
    CHECK_OK(mx_linspace(&out, 0, 10, 4, true, MX_INT32, NULL));
    check_values(out, (int32_t[]){4}, 1, (double[]){0, 3, 6, 10}, "mlx int32");
    CHECK_OK(mx_linspace(&out, -5, 5, 4, true, MX_INT32, NULL));
    check_values(out, (int32_t[]){4}, 1, (double[]){-5, -1, 1, 5}, "mlx int32 negative");
    CHECK_OK(mx_linspace(&out, 1, -1, 3, true, MX_UINT32, NULL));
    check_values(out, (int32_t[]){3}, 1, (double[]){1, 0, 4294967295.0}, "mlx uint32");
    CHECK_OK(mx_linspace(&out, 0.1, 0.7, 3, true, MX_FLOAT64, NULL));
    check_values(out, (int32_t[]){3}, 1, (double[]){0.1, 0.39999999999999997, 0.7}, "mlx f64");
    CHECK_OK(mx_linspace(&out, 0, 1, 5, false, MX_FLOAT32, NULL));
    check_values(out, (int32_t[]){5}, 1,
                 (double[]){0.0, 0.20000000298023224, 0.4000000059604645, 0.6000000238418579,
                            0.800000011920929},
                 "mlx endpoint=False");
    CHECK_OK(mx_linspace(&out, 0.1, 1, 1, true, MX_FLOAT64, NULL));
    check_values(out, (int32_t[]){1}, 1, (double[]){0.10000000149011612}, "mlx num=1");
    CHECK_OK(mx_linspace(&out, 0, 1e8 + 1, 3, true, MX_INT32, NULL));
    check_values(out, (int32_t[]){3}, 1, (double[]){0, 50000000, 100000000}, "mlx float32 math");
    CHECK_OK(mx_linspace(&out, NAN, 1, 3, true, MX_FLOAT32, NULL));
    check_values(out, (int32_t[]){3}, 1, (double[]){NAN, NAN, NAN}, "mlx nan");
    CHECK_OK(mx_linspace(&out, INFINITY, 1, 3, true, MX_FLOAT32, NULL));
    check_values(out, (int32_t[]){3}, 1, (double[]){INFINITY, INFINITY, NAN}, "mlx inf");
    CHECK_OK(mx_linspace(&out, 0, 1, 2, true, MX_BOOL, NULL));
    check_values(out, (int32_t[]){2}, 1, (double[]){0, 1}, "mlx bool");
    CHECK_ERR(mx_linspace(&out, 0, 1, -1, true, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_linspace(&out, 0, 1, 3, true, (mx_dtype)77, NULL), MX_ERR_TYPE);
    CHECK_ERR(mx_linspace(NULL, 0, 1, 3, true, MX_FLOAT32, NULL), MX_ERR_VALUE);
    mx_array_free(out);
}

/* ---- fills ---- */

TEST(full_zeros_ones_like) {
    mx_array *a = iota((int32_t[]){2, 2}, 2, MX_INT32, 0), *v = NULL, *out = NULL, *row = NULL;
    CHECK_OK(mx_array_from_float(&v, 3.7, MX_FLOAT32));
    CHECK_OK(mx_full_like(&out, a, v, MX_DTYPE_NONE, NULL)); /* MLX: int32 3 */
    CHECK(mx_array_dtype(out) == MX_INT32);
    check_values(out, (int32_t[]){2, 2}, 2, (double[]){3, 3, 3, 3}, "full_like");
    CHECK_OK(mx_array_from_float(&v, 2.5, MX_FLOAT32));
    CHECK_OK(mx_full_like(&out, a, v, MX_FLOAT16, NULL));
    CHECK(mx_array_dtype(out) == MX_FLOAT16);
    check_values(out, (int32_t[]){2, 2}, 2, (double[]){2.5, 2.5, 2.5, 2.5}, "full_like dtype");
    row = iota((int32_t[]){2}, 1, MX_FLOAT32, 1);
    CHECK_OK(mx_full_like(&out, a, row, MX_FLOAT32, NULL));
    check_values(out, (int32_t[]){2, 2}, 2, (double[]){1, 2, 1, 2}, "full_like broadcast");
    /* The shape is the broadcast of both (MLX: zeros((2,)) with a (2, 2)
     * fill gives (2, 2)). */
    mx_array *vec = NULL, *sq = iota((int32_t[]){2, 2}, 2, MX_FLOAT32, 1);
    CHECK_OK(mx_zeros(&vec, (int32_t[]){2}, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_full_like(&out, vec, sq, MX_DTYPE_NONE, NULL));
    check_values(out, (int32_t[]){2, 2}, 2, (double[]){1, 2, 3, 4}, "full_like grows");
    mx_array *bad = iota((int32_t[]){3}, 1, MX_FLOAT32, 0);
    CHECK_ERR(mx_full_like(&out, a, bad, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    for (int t = 0; t < NDTYPES; t++) {
        mx_array *x = iota((int32_t[]){3, 2}, 2, all_dtypes[t], 0);
        CHECK_OK(mx_zeros_like(&out, x, MX_DTYPE_NONE, NULL));
        CHECK(mx_array_dtype(out) == all_dtypes[t]);
        check_values(out, (int32_t[]){3, 2}, 2, (double[]){0, 0, 0, 0, 0, 0}, "zeros_like");
        CHECK_OK(mx_ones_like(&out, x, MX_DTYPE_NONE, NULL));
        check_values(out, (int32_t[]){3, 2}, 2, (double[]){1, 1, 1, 1, 1, 1}, "ones_like");
        CHECK_OK(mx_ones_like(&out, x, MX_BOOL, NULL));
        CHECK(mx_array_dtype(out) == MX_BOOL);
        mx_array_free(x);
    }
    CHECK_ERR(mx_zeros_like(&out, NULL, MX_DTYPE_NONE, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_ones_like(&out, a, (mx_dtype)42, NULL), MX_ERR_TYPE);
    mx_array *all[] = {a, v, out, row, vec, sq, bad};
    for (int i = 0; i < 7; i++) mx_array_free(all[i]);
}

/* ---- eye, identity, tri ---- */

static void pattern_case(bool eye, int n, int m, int k, mx_dtype dt) {
    mx_array *out = NULL;
    if (eye)
        CHECK_OK(mx_eye(&out, n, m, k, dt, NULL));
    else
        CHECK_OK(mx_tri(&out, n, m, k, dt, NULL));
    if (!out) return;
    CHECK(mx_array_dtype(out) == dt);
    double *w = alloc_f64((int64_t)n * m);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) w[i * m + j] = eye ? (j - i == k) : (j - i <= k);
    char what[64];
    snprintf(what, sizeof what, "%s %dx%d k=%d %s", eye ? "eye" : "tri", n, m, k,
             mx_dtype_name(dt));
    check_values(out, (int32_t[]){n, m}, 2, w, what);
    free(w);
    mx_array_free(out);
}

TEST(eye_identity_tri) {
    const int dims[][2] = {{3, 3}, {2, 3}, {3, 2}, {1, 5}, {0, 0}, {2, 0}, {0, 3}};
    for (int t = 0; t < NDTYPES; t++)
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
            for (int k = -4; k <= 4; k++) {
                pattern_case(true, dims[d][0], dims[d][1], k, all_dtypes[t]);
                pattern_case(false, dims[d][0], dims[d][1], k, all_dtypes[t]);
            }
    /* Large enough for the thread pool. */
    pattern_case(true, 300, 260, 7, MX_FLOAT32);
    pattern_case(false, 300, 260, -7, MX_BFLOAT16);
    /* Huge diagonals and defaults. */
    pattern_case(true, 3, 3, INT32_MAX, MX_FLOAT32);
    pattern_case(false, 3, 3, INT32_MIN, MX_FLOAT32);
    mx_array *out = NULL;
    CHECK_OK(mx_eye(&out, 2, 2, 0, MX_DTYPE_NONE, NULL));
    CHECK(mx_array_dtype(out) == MX_FLOAT32);
    CHECK_OK(mx_identity(&out, 3, MX_INT32, NULL));
    check_values(out, (int32_t[]){3, 3}, 2, (double[]){1, 0, 0, 0, 1, 0, 0, 0, 1}, "identity");
    CHECK_OK(mx_identity(&out, 0, MX_FLOAT32, NULL));
    CHECK(mx_array_size(out) == 0 && mx_array_ndim(out) == 2);
    CHECK_OK(mx_eval(&out, 1));
    /* tri with negative sizes is empty (MLX: tri(-1) is (0, 0), tri(2, -3)
     * is (2, 0)); eye refuses them. */
    CHECK_OK(mx_tri(&out, -1, -1, 0, MX_FLOAT32, NULL));
    CHECK(mx_array_shape(out)[0] == 0 && mx_array_shape(out)[1] == 0);
    CHECK_OK(mx_tri(&out, 2, -3, 0, MX_FLOAT32, NULL));
    CHECK(mx_array_shape(out)[0] == 2 && mx_array_shape(out)[1] == 0);
    CHECK_OK(mx_eval(&out, 1));
    CHECK_ERR(mx_eye(&out, -1, 2, 0, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_eye(&out, 2, -1, 0, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_identity(&out, -1, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_eye(&out, 2, 2, 0, (mx_dtype)20, NULL), MX_ERR_TYPE);
    CHECK_ERR(mx_tri(NULL, 2, 2, 0, MX_FLOAT32, NULL), MX_ERR_VALUE);
    mx_array_free(out);
}

/* ---- tril, triu ---- */

enum { L_CONTIG, L_TRANSPOSED, L_REVERSED, L_BROADCAST, L_COUNT };

/* x with the same logical values in another layout (L_BROADCAST repeats
 * x[0] along axis 0). */
static mx_array *variant(mx_array *x, int layout) {
    int nd = mx_array_ndim(x);
    const int32_t *shape = mx_array_shape(x);
    mx_array *r = NULL, *t = NULL, *u = NULL;
    int32_t st[8] = {0}, sp[8], sd[8];
    if (layout == L_CONTIG) {
        r = mx_array_retain(x);
    } else if (layout == L_TRANSPOSED) {
        CHECK_OK(mx_transpose(&t, x, NULL, 0, NULL));
        CHECK_OK(mx_contiguous(&u, t, false, NULL));
        CHECK_OK(mx_transpose(&r, u, NULL, 0, NULL));
    } else if (layout == L_REVERSED) {
        CHECK_OK(mx_flip(&t, x, NULL));
        for (int d = 0; d < nd; d++) CHECK_OK(mx_repeat_axis(&t, t, 2, d, NULL));
        CHECK_OK(mx_contiguous(&u, t, false, NULL));
        for (int d = 0; d < nd; d++) st[d] = -1, sp[d] = -2 * shape[d] - 1, sd[d] = -2;
        CHECK_OK(mx_slice(&r, u, st, sp, sd, nd, NULL));
    } else {
        for (int d = 0; d < nd; d++) sp[d] = shape[d], sd[d] = 1;
        sp[0] = 1;
        CHECK_OK(mx_slice(&t, x, st, sp, sd, nd, NULL));
        CHECK_OK(mx_broadcast_to(&r, t, shape, nd, NULL));
    }
    CHECK_OK(mx_eval(&r, 1));
    mx_array_free(t);
    mx_array_free(u);
    return r;
}

TEST(tril_triu_values) {
    const int32_t shape[3] = {2, 3, 4};
    /* The first pass writes with streaming stores (used for big outputs). */
    for (int pass = 0; pass <= NDTYPES; pass++) {
        int t = pass ? pass - 1 : 10; /* pass 0: float32 */
        mxi_stream_set_threshold(pass ? -1 : 0);
        for (int l = 0; l < L_COUNT; l++) {
            mx_array *x = iota(shape, 3, all_dtypes[t], 1), *v = variant(x, l), *out = NULL;
            double *in = read_f64(v), w[24];
            for (int k = -4; k <= 5; k++) {
                for (int upper = 0; upper < 2; upper++) {
                    if (upper)
                        CHECK_OK(mx_triu(&out, v, k, NULL));
                    else
                        CHECK_OK(mx_tril(&out, v, k, NULL));
                    CHECK(mx_array_dtype(out) == all_dtypes[t]);
                    for (int i = 0; i < 24; i++) {
                        int r = (i / 4) % 3, c = i % 4;
                        bool keep = upper ? c - r >= k : c - r <= k;
                        w[i] = keep ? in[i] : 0;
                    }
                    check_values(out, shape, 3, w, upper ? "triu" : "tril");
                }
            }
            free(in);
            mx_array_free(x);
            mx_array_free(v);
            mx_array_free(out);
        }
    }
    /* NaN outside the kept part becomes 0 (MLX selects, it does not
     * multiply): tril([[nan, 1], [2, nan]]) = [[nan, 0], [2, nan]]. */
    double nanv[4] = {NAN, 1, 2, NAN};
    mx_array *a = NULL, *out = NULL;
    CHECK_OK(mx_array_from_data(&a, nanv, (int32_t[]){2, 2}, 2, MX_FLOAT64));
    CHECK_OK(mx_tril(&out, a, 0, NULL));
    check_values(out, (int32_t[]){2, 2}, 2, (double[]){NAN, 0, 2, NAN}, "tril nan");
    CHECK_OK(mx_triu(&out, a, 1, NULL));
    check_values(out, (int32_t[]){2, 2}, 2, (double[]){0, 1, 0, 0}, "triu nan");
    /* In place: an intermediate nobody else holds gives its buffer. */
    mx_array *b = iota((int32_t[]){300, 300}, 2, MX_FLOAT32, 0), *c = NULL, *sum = NULL;
    double *bv = read_f64(b);
    CHECK_OK(mx_add(&sum, b, b, NULL));
    CHECK_OK(mx_tril(&c, sum, -1, NULL));
    mx_array_free(sum);
    CHECK_OK(mx_eval(&c, 1));
    double *cv = read_f64(c);
    bool ok = true;
    for (int i = 0; i < 90000 && ok; i++) {
        int r = i / 300, col = i % 300;
        ok = cv[i] == (col - r <= -1 ? 2 * bv[i] : 0);
    }
    CHECK(ok);
    free(bv);
    free(cv);
    mx_array *e = NULL, *v1 = iota((int32_t[]){3}, 1, MX_FLOAT32, 0);
    CHECK_OK(mx_zeros(&e, (int32_t[]){0, 3}, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_tril(&out, e, 0, NULL));
    CHECK_OK(mx_eval(&out, 1));
    CHECK(mx_array_size(out) == 0);
    CHECK_ERR(mx_tril(&out, v1, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_triu(&out, v1, 0, NULL), MX_ERR_VALUE);
    mx_array *all[] = {a, out, b, c, e, v1};
    for (int i = 0; i < 6; i++) mx_array_free(all[i]);
}

/* ---- meshgrid ---- */

TEST(meshgrid_grids) {
    mx_array *x = iota((int32_t[]){2}, 1, MX_INT32, 0), *y = iota((int32_t[]){3}, 1, MX_FLOAT32, 0);
    mx_array *z = iota((int32_t[]){4}, 1, MX_INT32, 0), *g[3] = {NULL, NULL, NULL};
    CHECK_OK(mx_meshgrid(g, (const mx_array *[]){x, y}, 2, false, NULL, NULL)); /* xy */
    check_values(g[0], (int32_t[]){3, 2}, 2, (double[]){0, 1, 0, 1, 0, 1}, "xy 0");
    check_values(g[1], (int32_t[]){3, 2}, 2, (double[]){0, 0, 1, 1, 2, 2}, "xy 1");
    CHECK(mx_array_dtype(g[0]) == MX_INT32 && mx_array_dtype(g[1]) == MX_FLOAT32);
    CHECK_OK(mx_meshgrid(g, (const mx_array *[]){x, y}, 2, false, "ij", NULL));
    check_values(g[0], (int32_t[]){2, 3}, 2, (double[]){0, 0, 0, 1, 1, 1}, "ij 0");
    check_values(g[1], (int32_t[]){2, 3}, 2, (double[]){0, 1, 2, 0, 1, 2}, "ij 1");
    CHECK_OK(mx_meshgrid(g, (const mx_array *[]){x, y}, 2, true, "xy", NULL));
    check_values(g[0], (int32_t[]){1, 2}, 2, (double[]){0, 1}, "sparse 0");
    check_values(g[1], (int32_t[]){3, 1}, 2, (double[]){0, 1, 2}, "sparse 1");
    CHECK_OK(mx_meshgrid(g, (const mx_array *[]){x, y, z}, 3, false, "xy", NULL));
    double w[24];
    for (int i = 0; i < 24; i++) w[i] = (i / 4) % 2; /* shape (3, 2, 4): x varies on axis 1 */
    check_values(g[0], (int32_t[]){3, 2, 4}, 3, w, "xy 3 arrays, 0");
    for (int i = 0; i < 24; i++) w[i] = i / 8;
    check_values(g[1], (int32_t[]){3, 2, 4}, 3, w, "xy 3 arrays, 1");
    for (int i = 0; i < 24; i++) w[i] = i % 4;
    check_values(g[2], (int32_t[]){3, 2, 4}, 3, w, "xy 3 arrays, 2");
    /* Inputs are flattened (MLX: a (2, 2) and a (3,) give (3, 4) grids). */
    mx_array *m = iota((int32_t[]){2, 2}, 2, MX_FLOAT32, 1), *s = NULL;
    CHECK_OK(mx_meshgrid(g, (const mx_array *[]){m, y}, 2, false, "xy", NULL));
    CHECK(mx_array_shape(g[0])[0] == 3 && mx_array_shape(g[0])[1] == 4);
    CHECK_OK(mx_array_from_int(&s, 1, MX_INT32));
    CHECK_OK(mx_meshgrid(g, (const mx_array *[]){s, y}, 2, false, "xy", NULL));
    check_values(g[0], (int32_t[]){3, 1}, 2, (double[]){1, 1, 1}, "0-d input");
    mx_array *one = NULL;
    CHECK_OK(mx_meshgrid(&one, (const mx_array *[]){x}, 1, false, "xy", NULL));
    check_values(one, (int32_t[]){2}, 1, (double[]){0, 1}, "one array");
    CHECK_OK(mx_meshgrid(NULL, NULL, 0, false, NULL, NULL));
    CHECK_ERR(mx_meshgrid(g, (const mx_array *[]){x, y}, 2, false, "x", NULL), MX_ERR_VALUE);
    mx_array *all[] = {x, y, z, g[0], g[1], g[2], m, s, one};
    for (int i = 0; i < 9; i++) mx_array_free(all[i]);
}

/* ---- windows ---- */

TEST(windows) {
    int (*fns[4])(mx_array **, int, const mx_stream *) = {mx_bartlett, mx_hanning, mx_hamming,
                                                          mx_blackman};
    const char *names[4] = {"bartlett", "hanning", "hamming", "blackman"};
    const int sizes[] = {2, 3, 4, 5, 7, 50, 51, 1001};
    for (int f = 0; f < 4; f++) {
        mx_array *out = NULL;
        CHECK_OK(fns[f](&out, 0, NULL));
        CHECK(mx_array_size(out) == 0 && mx_array_dtype(out) == MX_FLOAT32);
        CHECK_OK(fns[f](&out, -3, NULL));
        CHECK(mx_array_size(out) == 0 && mx_array_ndim(out) == 1);
        CHECK_OK(fns[f](&out, 1, NULL));
        check_values(out, (int32_t[]){1}, 1, (double[]){1}, names[f]);
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            int M = sizes[si];
            CHECK_OK(fns[f](&out, M, NULL));
            CHECK(mx_array_dtype(out) == MX_FLOAT32);
            double *got = read_f64(out);
            double worst = 0;
            for (int n = 0; n < M; n++) {
                double x = 2 * M_PI * n / (M - 1), w;
                if (f == 0)
                    w = 1 - fabs(2.0 * n / (M - 1) - 1);
                else if (f == 1)
                    w = 0.5 - 0.5 * cos(x);
                else if (f == 2)
                    w = 0.54 - 0.46 * cos(x);
                else
                    w = 0.42 - 0.5 * cos(x) + 0.08 * cos(2 * x);
                double err = fabs(got[n] - w);
                if (err > worst) worst = err;
            }
            /* float32 arithmetic on arguments up to 2 pi (4 pi): a few ulps. */
            if (worst > 1e-6) {
                fprintf(stderr, "  %s(%d): error %g\n", names[f], M, worst);
                test_failures_in_current++;
            }
            if (f == 0) { /* exact: MLX's float32 formula */
                float step = (float)(2.0 / (M - 1));
                bool exact = true;
                for (int n = 0; n < M; n++)
                    exact &= got[n] == (double)(1.0f - fabsf((float)n * step - 1.0f));
                CHECK(exact);
            }
            free(got);
        }
        mx_array_free(out);
    }
    /* MLX's values (its sin/cos round differently by an ulp at most). */
    mx_array *out = NULL;
    CHECK_OK(mx_bartlett(&out, 5, NULL));
    check_values(out, (int32_t[]){5}, 1, (double[]){0, 0.5, 1, 0.5, 0}, "mlx bartlett");
    CHECK_OK(mx_blackman(&out, 5, NULL));
    double *b = read_f64(out);
    const double mlx_b[5] = {0.0, 0.3400000333786011, 1.0, 0.3400000035762787, 0.0};
    for (int i = 0; i < 5; i++) CHECK_NEAR(b[i], mlx_b[i], 6e-8);
    CHECK(b[0] == 0 && b[4] == 0 && b[2] == 1);
    free(b);
    CHECK_OK(mx_hamming(&out, 4, NULL));
    b = read_f64(out);
    const double mlx_h[4] = {0.08000001311302185, 0.7700000405311584, 0.7699999809265137,
                             0.08000001311302185};
    for (int i = 0; i < 4; i++) CHECK_NEAR(b[i], mlx_h[i], 6e-8);
    free(b);
    CHECK_OK(mx_hanning(&out, 7, NULL)); /* float32 pi: the last value is not 0 */
    b = read_f64(out);
    const double mlx_hn[7] = {0.0,
                              0.25,
                              0.7500000596046448,
                              1.0,
                              0.7499998807907104,
                              0.2500000596046448,
                              7.64274186065882e-15};
    for (int i = 0; i < 7; i++) CHECK_NEAR(b[i], mlx_hn[i], 1.2e-7);
    CHECK(b[0] == 0 && b[6] == mlx_hn[6]);
    free(b);
    CHECK_ERR(mx_hanning(NULL, 3, NULL), MX_ERR_VALUE);
    mx_array_free(out);
}

/* arange: an integer dtype steps by the difference of the first two values
 * converted (NumPy and MLX), an infinite step gives one element when it
 * leads towards stop, and ranges without a finite length are refused. */
static void check_arange(double start, double stop, double step, mx_dtype t, int n,
                         const double *want, const char *what) {
    mx_array *a = NULL;
    CHECK_OK(mx_arange(&a, start, stop, step, t, NULL));
    if (!a) return;
    CHECK(mx_array_dtype(a) == t);
    int32_t shape = n;
    check_values(a, &shape, 1, want, what);
    mx_array_free(a);
}

TEST(arange_integer_dtype_and_lengths) {
    static const double zeros[15] = {0}, neg1[4] = {-1, -1, -1, -1};
    static const double four[4] = {0, 1, 2, 3}, one0[1] = {0}, half[1] = {0.5};
    double down[16];
    for (int i = 0; i < 16; i++) down[i] = -1 - i;
    const mx_dtype ints[] = {MX_INT32, MX_INT64, MX_INT16};
    for (int k = 0; k < 3; k++) {
        check_arange(0, 3, 0.2, ints[k], 15, zeros, "arange(0, 3, 0.2)");
        check_arange(-1, -4, -0.9, ints[k], 4, neg1, "arange(-1, -4, -0.9)");
        check_arange(-1, -20, -1.2, ints[k], 16, down, "arange(-1, -20, -1.2)");
        check_arange(0.5, 3, 0.7, ints[k], 4, four, "arange(0.5, 3, 0.7)");
        check_arange(0, 10, INFINITY, ints[k], 1, one0, "arange(0, 10, inf) int");
    }
    check_arange(0, 3, 0.5, MX_UINT8, 6, zeros, "arange(0, 3, 0.5) uint8");
    check_arange(0, 10, INFINITY, MX_FLOAT32, 1, one0, "arange(0, 10, inf)");
    check_arange(0, -10, -INFINITY, MX_FLOAT32, 1, one0, "arange(0, -10, -inf)");
    check_arange(0.5, 10, INFINITY, MX_FLOAT64, 1, half, "arange(0.5, 10, inf)");
    check_arange(0, -10, INFINITY, MX_FLOAT32, 0, NULL, "arange(0, -10, inf)");
    check_arange(0, 0, INFINITY, MX_FLOAT32, 0, NULL, "arange(0, 0, inf)");
    check_arange(10, 0, INFINITY, MX_INT32, 0, NULL, "arange(10, 0, inf)");
    mx_array *a = NULL;
    CHECK_ERR(mx_arange(&a, NAN, 1, 5, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_arange(&a, 0, 2, NAN, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_arange(&a, 0, INFINITY, INFINITY, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_arange(&a, INFINITY, 1, INFINITY, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_arange(&a, INFINITY, 1, 5, MX_INT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_arange(&a, 0, -INFINITY, -1, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_arange(&a, 0, 1, 0, MX_INT32, NULL), MX_ERR_VALUE);
    CHECK(a == NULL);
}

int main(void) {
    RUN(linspace_values);
    RUN(full_zeros_ones_like);
    RUN(eye_identity_tri);
    RUN(tril_triu_values);
    RUN(meshgrid_grids);
    RUN(windows);
    RUN(arange_integer_dtype_and_lengths);
    return TEST_SUMMARY();
}
