/*
 * Shape, view and join ops: reshapes (flatten, unflatten, squeeze,
 * expand_dims, atleast_nd), flips and permutations, broadcasting,
 * concatenate/stack/split/unstack, repeat/tile, pad in every mode, roll,
 * as_strided, diagonal/diag, view, contiguous, the dynamic slice, depends
 * and stop_gradient. Values are checked against reference loops written
 * here for every dtype and for inputs that are contiguous, transposed,
 * reversed with a step of -2 and broadcast; views are checked to share
 * memory; every wrong call must fail with the right code and a message.
 * Expected values marked "MLX" were produced by mlx.core 0.32.4.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "core/array_impl.h"
#include "core/threadpool.h"
#include "cpu/simd.h"
#include "cpu/strided.h"

/* ---- helpers ---- */

static const mx_dtype all_dtypes[] = {MX_BOOL,    MX_UINT8,   MX_UINT16,   MX_UINT32,   MX_UINT64,
                                      MX_INT8,    MX_INT16,   MX_INT32,    MX_INT64,    MX_FLOAT16,
                                      MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_COMPLEX64};
#define NDTYPES ((int)(sizeof all_dtypes / sizeof all_dtypes[0]))

enum { L_CONTIG, L_TRANSPOSED, L_REVERSED, L_BROADCAST, L_COUNT };
static const char *layout_name[] = {"contiguous", "transposed", "reversed", "broadcast"};

static int64_t size_of(const int32_t *shape, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    return n;
}

/* Room for n doubles (at least one). */
static double *alloc_f64(int64_t n) {
    return malloc((n > 0 ? (size_t)n : 1) * sizeof(double));
}

/* Row-major flat index <-> multi-index. */
static void unravel(int64_t flat, const int32_t *shape, int nd, int64_t *idx) {
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = shape[d] ? flat % shape[d] : 0;
        flat = shape[d] ? flat / shape[d] : 0;
    }
}
static int64_t ravel(const int64_t *idx, const int32_t *shape, int nd) {
    int64_t f = 0;
    for (int d = 0; d < nd; d++) f = f * shape[d] + idx[d];
    return f;
}

/* A contiguous array of dtype holding v (converted as astype would). */
static mx_array *from_f64(const double *v, const int32_t *shape, int nd, mx_dtype dt) {
    mx_array *a = NULL, *b = NULL;
    CHECK_OK(mx_array_from_data(&a, v, shape, nd, MX_FLOAT64));
    CHECK_OK(mx_astype(&b, a, dt, NULL));
    CHECK_OK(mx_eval(&b, 1));
    mx_array_free(a);
    return b;
}

/* Distinct values 1, 2, 3, ... (small enough for every dtype; bool gets
 * true everywhere, so tests that need distinct values skip it). */
static mx_array *iota(const int32_t *shape, int nd, mx_dtype dt, double start) {
    int64_t n = size_of(shape, nd);
    double *v = alloc_f64(n);
    for (int64_t i = 0; i < n; i++) v[i] = fmod(start + (double)i, 120.0);
    mx_array *a = from_f64(v, shape, nd, dt);
    free(v);
    return a;
}

/* The values of a (evaluated), converted to double, in row-major order;
 * caller frees. */
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

/* x with the same logical values laid out as `layout` (L_BROADCAST changes
 * the values: every index along axis 0 reads x[0]). Evaluated. */
static mx_array *variant(mx_array *x, int layout) {
    int nd = mx_array_ndim(x);
    const int32_t *shape = mx_array_shape(x);
    mx_array *r = NULL, *t = NULL, *u = NULL;
    if (layout == L_CONTIG || nd == 0 || mx_array_size(x) == 0) {
        r = mx_array_retain(x);
    } else if (layout == L_TRANSPOSED) {
        CHECK_OK(mx_transpose(&t, x, NULL, 0, NULL));
        CHECK_OK(mx_contiguous(&u, t, false, NULL));
        CHECK_OK(mx_transpose(&r, u, NULL, 0, NULL));
    } else if (layout == L_REVERSED) {
        /* u[2i] = u[2i+1] = x reversed, then u[-1::-2] along every axis. */
        CHECK_OK(mx_flip(&t, x, NULL));
        for (int d = 0; d < nd; d++) CHECK_OK(mx_repeat_axis(&t, t, 2, d, NULL));
        CHECK_OK(mx_contiguous(&u, t, false, NULL));
        int32_t st[8], sp[8], sd[8];
        for (int d = 0; d < nd; d++) st[d] = -1, sp[d] = -2 * shape[d] - 1, sd[d] = -2;
        CHECK_OK(mx_slice(&r, u, st, sp, sd, nd, NULL));
    } else {
        int32_t st[8] = {0}, sp[8], sd[8];
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

/* Checks out's shape and its values against want (n doubles). */
static void check_values(mx_array *out, const int32_t *shape, int nd, const double *want,
                         const char *what) {
    CHECK_OK(mx_eval(&out, 1));
    bool same = mx_array_ndim(out) == nd;
    for (int d = 0; same && d < nd; d++) same = mx_array_shape(out)[d] == shape[d];
    if (!same) {
        fprintf(stderr, "  %s: wrong shape (ndim %d)\n", what, mx_array_ndim(out));
        test_failures_in_current++;
        return;
    }
    int64_t n = size_of(shape, nd);
    double *got = read_f64(out);
    for (int64_t i = 0; i < n; i++) {
        if (!(got[i] == want[i] || (isnan(got[i]) && isnan(want[i])))) {
            fprintf(stderr, "  %s: element %lld is %g, want %g\n", what, (long long)i, got[i],
                    want[i]);
            test_failures_in_current++;
            break;
        }
    }
    free(got);
}

static void check_shape(mx_array *a, const int32_t *shape, int nd) {
    CHECK(mx_array_ndim(a) == nd);
    for (int d = 0; d < nd && d < mx_array_ndim(a); d++) CHECK(mx_array_shape(a)[d] == shape[d]);
}

/* Whether b's data lies inside a's buffer (a view, not a copy). */
static bool shares(mx_array *a, mx_array *b) {
    CHECK_OK(mx_eval(&a, 1));
    CHECK_OK(mx_eval(&b, 1));
    return a->buffer == b->buffer;
}

static void check_int_values(mx_array *out, const int32_t *shape, int nd, const int *want) {
    int64_t n = size_of(shape, nd);
    double *w = alloc_f64(n);
    for (int64_t i = 0; i < n; i++) w[i] = want[i];
    check_values(out, shape, nd, w, "values");
    free(w);
}

/* ---- reshapes ---- */

TEST(flatten_unflatten) {
    int32_t s3[3] = {2, 3, 4};
    mx_array *a = iota(s3, 3, MX_INT32, 0), *b = NULL, *c = NULL;
    CHECK_OK(mx_flatten(&b, a, 0, -1, NULL));
    check_shape(b, (int32_t[]){24}, 1);
    CHECK(shares(a, b));
    CHECK_OK(mx_flatten(&b, a, 1, -1, NULL));
    check_shape(b, (int32_t[]){2, 12}, 2);
    CHECK_OK(mx_flatten(&b, a, -9, 1, NULL)); /* start clamps to 0 */
    check_shape(b, (int32_t[]){6, 4}, 2);
    CHECK_OK(mx_flatten(&b, a, -1, 7, NULL)); /* one axis: a itself */
    CHECK(b == a);
    CHECK_ERR(mx_flatten(&b, a, 2, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_flatten(&b, a, 5, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_flatten(&b, a, 0, -9, NULL), MX_ERR_VALUE);
    /* 0-d: shape (1,) whatever the axes (MLX). */
    mx_array *z = NULL;
    CHECK_OK(mx_array_from_int(&z, 3, MX_INT32));
    CHECK_OK(mx_flatten(&b, z, 1, 2, NULL));
    check_int_values(b, (int32_t[]){1}, 1, (int[]){3});
    /* A transposed array cannot be viewed flat: values must still be right. */
    CHECK_OK(mx_transpose(&c, a, NULL, 0, NULL));
    CHECK_OK(mx_flatten(&b, c, 0, -1, NULL));
    double *v = read_f64(b);
    CHECK(v[0] == 0 && v[1] == 12 && v[2] == 4 && v[23] == 23);
    free(v);

    int32_t s2[2] = {6, 4};
    mx_array *m = iota(s2, 2, MX_FLOAT32, 0);
    CHECK_OK(mx_unflatten(&b, m, 0, (int32_t[]){2, -1}, 2, NULL));
    check_shape(b, (int32_t[]){2, 3, 4}, 3);
    CHECK(shares(m, b));
    CHECK_OK(mx_unflatten(&b, m, -1, (int32_t[]){2, 1, 2}, 3, NULL));
    check_shape(b, (int32_t[]){6, 2, 1, 2}, 4);
    CHECK_OK(mx_unflatten(&b, m, 0, (int32_t[]){6}, 1, NULL));
    check_shape(b, s2, 2);
    CHECK_ERR(mx_unflatten(&b, m, 0, (int32_t[]){4, -1}, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_unflatten(&b, m, 0, NULL, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_unflatten(&b, m, 2, (int32_t[]){1, 4}, 2, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_unflatten(&b, m, -1, (int32_t[]){-1, -1}, 2, NULL), MX_ERR_VALUE);
    /* MLX accepts (-2, -3) and makes a shape with negative dims. */
    CHECK_ERR(mx_unflatten(&b, m, 0, (int32_t[]){-2, -3}, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_unflatten(&b, z, 0, (int32_t[]){1}, 1, NULL), MX_ERR_INDEX);
    /* An empty axis cannot infer a dimension next to a 0 (MLX divides by zero). */
    mx_array *e = NULL;
    CHECK_OK(mx_zeros(&e, (int32_t[]){0, 4}, 2, MX_FLOAT32, NULL));
    CHECK_ERR(mx_unflatten(&b, e, 0, (int32_t[]){-1, 0}, 2, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_unflatten(&b, e, 0, (int32_t[]){2, -1}, 2, NULL));
    check_shape(b, (int32_t[]){2, 0, 4}, 3);
    mx_array *all[] = {a, b, c, z, m, e};
    for (int i = 0; i < 6; i++) mx_array_free(all[i]);
}

TEST(squeeze_expand_dims_atleast) {
    int32_t s[3] = {1, 2, 1};
    mx_array *a = iota(s, 3, MX_INT16, 0), *b = NULL;
    CHECK_OK(mx_squeeze(&b, a, NULL));
    check_shape(b, (int32_t[]){2}, 1);
    CHECK(shares(a, b));
    CHECK_OK(mx_squeeze_axis(&b, a, 0, NULL));
    check_shape(b, (int32_t[]){2, 1}, 2);
    CHECK_OK(mx_squeeze_axes(&b, a, (int[]){0, -1}, 2, NULL));
    check_shape(b, (int32_t[]){2}, 1);
    CHECK_OK(mx_squeeze_axes(&b, a, NULL, 0, NULL));
    check_shape(b, s, 3);
    CHECK_ERR(mx_squeeze_axis(&b, a, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_squeeze_axes(&b, a, (int[]){0, -3}, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_squeeze_axis(&b, a, 3, NULL), MX_ERR_INDEX);

    int32_t s2[2] = {2, 3};
    mx_array *m = iota(s2, 2, MX_FLOAT32, 0), *t = NULL;
    CHECK_OK(mx_expand_dims(&b, m, 0, NULL));
    check_shape(b, (int32_t[]){1, 2, 3}, 3);
    CHECK_OK(mx_expand_dims(&b, m, -1, NULL));
    check_shape(b, (int32_t[]){2, 3, 1}, 3);
    CHECK_OK(mx_expand_dims_axes(&b, m, (int[]){0, -1, 2}, 3, NULL)); /* MLX: (1, 2, 1, 3, 1) */
    check_shape(b, (int32_t[]){1, 2, 1, 3, 1}, 5);
    CHECK_OK(mx_expand_dims_axes(&b, m, (int[]){-1, -2}, 2, NULL));
    check_shape(b, (int32_t[]){2, 3, 1, 1}, 4);
    CHECK_ERR(mx_expand_dims(&b, m, 3, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_expand_dims_axes(&b, m, (int[]){0, 0}, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_expand_dims_axes(&b, m, (int[]){0, -4}, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_expand_dims_axes(&b, m, (int[]){1, 4}, 2, NULL), MX_ERR_INDEX);
    /* A transposed array stays a view when a unit axis is inserted. */
    CHECK_OK(mx_transpose(&t, m, NULL, 0, NULL));
    CHECK_OK(mx_expand_dims(&b, t, 1, NULL));
    CHECK(shares(m, b));
    check_int_values(b, (int32_t[]){3, 1, 2}, 3, (int[]){0, 3, 1, 4, 2, 5});

    mx_array *z = NULL, *v = NULL;
    CHECK_OK(mx_array_from_float(&z, 2.5, MX_FLOAT32));
    CHECK_OK(mx_arange(&v, 0, 3, 1, MX_INT32, NULL));
    CHECK_OK(mx_atleast_1d(&b, z, NULL));
    check_shape(b, (int32_t[]){1}, 1);
    CHECK_OK(mx_atleast_2d(&b, z, NULL));
    check_shape(b, (int32_t[]){1, 1}, 2);
    CHECK_OK(mx_atleast_3d(&b, z, NULL));
    check_shape(b, (int32_t[]){1, 1, 1}, 3);
    CHECK_OK(mx_atleast_2d(&b, v, NULL));
    check_shape(b, (int32_t[]){1, 3}, 2);
    CHECK_OK(mx_atleast_3d(&b, v, NULL));
    check_int_values(b, (int32_t[]){1, 3, 1}, 3, (int[]){0, 1, 2});
    CHECK_OK(mx_atleast_3d(&b, m, NULL));
    check_shape(b, (int32_t[]){2, 3, 1}, 3);
    CHECK_OK(mx_atleast_2d(&b, a, NULL));
    CHECK(b == a);
    mx_array *all[] = {a, b, m, t, z, v};
    for (int i = 0; i < 6; i++) mx_array_free(all[i]);
}

/* ---- flips and permutations ---- */

TEST(flip_and_permutations) {
    int32_t s[2] = {2, 3};
    mx_array *a = iota(s, 2, MX_INT32, 0), *b = NULL;
    CHECK_OK(mx_flip(&b, a, NULL));
    check_int_values(b, s, 2, (int[]){5, 4, 3, 2, 1, 0});
    CHECK(shares(a, b));
    CHECK(mx_array_strides(b)[0] == -3 && mx_array_strides(b)[1] == -1);
    CHECK_OK(mx_flip_axis(&b, a, 0, NULL));
    check_int_values(b, s, 2, (int[]){3, 4, 5, 0, 1, 2});
    CHECK_OK(mx_flip_axes(&b, a, (int[]){0, 0}, 2, NULL)); /* MLX: flipped once */
    check_int_values(b, s, 2, (int[]){3, 4, 5, 0, 1, 2});
    CHECK_OK(mx_flip_axis(&b, a, -1, NULL));
    check_int_values(b, s, 2, (int[]){2, 1, 0, 5, 4, 3});
    CHECK_OK(mx_flip_axes(&b, a, NULL, 0, NULL));
    CHECK(b == a);
    CHECK_ERR(mx_flip_axis(&b, a, 2, NULL), MX_ERR_INDEX);
    mx_array *z = NULL, *e = NULL;
    CHECK_OK(mx_array_from_int(&z, 3, MX_INT32));
    CHECK_OK(mx_flip(&b, z, NULL));
    check_int_values(b, NULL, 0, (int[]){3});
    CHECK_ERR(mx_flip_axis(&b, z, 0, NULL), MX_ERR_INDEX);
    CHECK_OK(mx_zeros(&e, (int32_t[]){0, 3}, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_flip(&b, e, NULL));
    check_shape(b, (int32_t[]){0, 3}, 2);
    CHECK_OK(mx_eval(&b, 1));

    int32_t s3[3] = {2, 3, 4};
    mx_array *c = iota(s3, 3, MX_FLOAT32, 0);
    CHECK_OK(mx_moveaxis(&b, c, 0, -1, NULL));
    check_shape(b, (int32_t[]){3, 4, 2}, 3);
    double *v = read_f64(b);
    CHECK(v[1] == 12 && v[2] == 1); /* b[0,0,1] = c[1,0,0], b[0,1,0] = c[0,0,1] */
    free(v);
    CHECK_OK(mx_moveaxis(&b, c, 2, 0, NULL));
    check_shape(b, (int32_t[]){4, 2, 3}, 3);
    CHECK_OK(mx_moveaxis(&b, c, 1, 1, NULL));
    CHECK(b == c);
    CHECK_ERR(mx_moveaxis(&b, c, 3, 0, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_moveaxis(&b, c, 0, -4, NULL), MX_ERR_INDEX);
    CHECK_OK(mx_swapaxes(&b, c, 0, 2, NULL));
    check_shape(b, (int32_t[]){4, 3, 2}, 3);
    CHECK(shares(b, c));
    CHECK_ERR(mx_swapaxes(&b, c, 0, -4, NULL), MX_ERR_INDEX);
    CHECK_OK(mx_permute_dims(&b, c, (int[]){1, 0, 2}, 3, NULL));
    check_shape(b, (int32_t[]){3, 2, 4}, 3);
    CHECK_OK(mx_permute_dims(&b, c, NULL, 0, NULL));
    check_shape(b, (int32_t[]){4, 3, 2}, 3);
    CHECK_ERR(mx_permute_dims(&b, c, (int[]){0, 0, 1}, 3, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_permute_dims(&b, c, (int[]){0, 3, 1}, 3, NULL), MX_ERR_INDEX);
    mx_array *all[] = {a, b, z, e, c};
    for (int i = 0; i < 5; i++) mx_array_free(all[i]);
}

TEST(broadcasting) {
    int32_t out[8];
    int nd;
    const int32_t s1[] = {1}, s2[] = {3, 1}, s3[] = {6, 7}, s4[] = {5, 6, 1}, s5[] = {7};
    CHECK_OK(mx_broadcast_shapes(out, &nd, (const int32_t *[]){s1, s2}, (int[]){1, 2}, 2));
    CHECK(nd == 2 && out[0] == 3 && out[1] == 1);
    CHECK_OK(mx_broadcast_shapes(out, &nd, (const int32_t *[]){s3, s4, s5}, (int[]){2, 3, 1}, 3));
    CHECK(nd == 3 && out[0] == 5 && out[1] == 6 && out[2] == 7);
    const int32_t z0[] = {0}, two[] = {2};
    CHECK_OK(mx_broadcast_shapes(out, &nd, (const int32_t *[]){z0, s1}, (int[]){1, 1}, 2));
    CHECK(nd == 1 && out[0] == 0);
    CHECK_ERR(mx_broadcast_shapes(out, &nd, (const int32_t *[]){z0, two}, (int[]){1, 1}, 2),
              MX_ERR_VALUE);
    CHECK_ERR(mx_broadcast_shapes(out, &nd, NULL, NULL, 0), MX_ERR_VALUE);
    CHECK_OK(mx_broadcast_shapes(out, &nd, (const int32_t *[]){s3}, (int[]){2}, 1));
    CHECK(nd == 2 && out[0] == 6 && out[1] == 7);

    mx_array *a = iota((int32_t[]){2, 1}, 2, MX_INT32, 0),
             *b = iota((int32_t[]){3}, 1, MX_FLOAT32, 5);
    mx_array *outs[2] = {NULL, NULL};
    CHECK_OK(mx_broadcast_arrays(outs, (const mx_array *[]){a, b}, 2, NULL));
    check_int_values(outs[0], (int32_t[]){2, 3}, 2, (int[]){0, 0, 0, 1, 1, 1});
    check_int_values(outs[1], (int32_t[]){2, 3}, 2, (int[]){5, 6, 7, 5, 6, 7});
    CHECK(mx_array_dtype(outs[0]) == MX_INT32 && mx_array_dtype(outs[1]) == MX_FLOAT32);
    /* In place (outputs are the inputs' slots). */
    mx_array *io[2] = {mx_array_retain(a), mx_array_retain(b)};
    CHECK_OK(mx_broadcast_arrays(io, (const mx_array *const *)io, 2, NULL));
    check_shape(io[1], (int32_t[]){2, 3}, 2);
    mx_array *c = iota((int32_t[]){3, 2}, 2, MX_INT32, 0);
    CHECK_ERR(mx_broadcast_arrays(outs, (const mx_array *[]){a, c}, 2, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_broadcast_arrays(outs, NULL, 0, NULL));
    mx_array *all[] = {a, b, c, outs[0], outs[1], io[0], io[1]};
    for (int i = 0; i < 7; i++) mx_array_free(all[i]);
}

/* ---- concatenate, stack, split, unstack ---- */

/* The reference join of n arrays (values vals[i], shapes[i]) along ax. */
static double *concat_ref(double **vals, int32_t (*shapes)[8], int n, int nd, int ax,
                          int32_t *oshape) {
    memcpy(oshape, shapes[0], (size_t)nd * sizeof(int32_t));
    oshape[ax] = 0;
    for (int i = 0; i < n; i++) oshape[ax] += shapes[i][ax];
    int64_t total = size_of(oshape, nd);
    double *w = alloc_f64(total);
    int64_t idx[8];
    for (int64_t o = 0; o < total; o++) {
        unravel(o, oshape, nd, idx);
        int i = 0;
        while (idx[ax] >= shapes[i][ax]) idx[ax] -= shapes[i++][ax];
        w[o] = vals[i][ravel(idx, shapes[i], nd)];
    }
    return w;
}

static void concat_case(mx_dtype dt, int layout, int ax, const int32_t *lens, int n) {
    int32_t shapes[4][8];
    mx_array *ins[4];
    double *vals[4];
    for (int i = 0; i < n; i++) {
        int32_t s[3] = {3, 4, 5};
        s[ax] = lens[i];
        memcpy(shapes[i], s, sizeof s);
        mx_array *x = iota(s, 3, dt, 10.0 * i);
        ins[i] = variant(x, (layout + i) % L_COUNT);
        vals[i] = read_f64(ins[i]);
        mx_array_free(x);
    }
    int32_t oshape[8];
    double *want = concat_ref(vals, shapes, n, 3, ax, oshape);
    mx_array *out = NULL;
    CHECK_OK(mx_concatenate(&out, (const mx_array *const *)ins, n, ax, NULL));
    CHECK(mx_array_dtype(out) == dt);
    char what[96];
    snprintf(what, sizeof what, "concatenate %s %s axis %d", mx_dtype_name(dt), layout_name[layout],
             ax);
    check_values(out, oshape, 3, want, what);
    free(want);
    for (int i = 0; i < n; i++) {
        free(vals[i]);
        mx_array_free(ins[i]);
    }
    mx_array_free(out);
}

TEST(concatenate_values) {
    const int32_t lens[3] = {2, 3, 1}, with_empty[3] = {2, 0, 3};
    for (int t = 0; t < NDTYPES; t++)
        for (int l = 0; l < L_COUNT; l++)
            for (int ax = 0; ax < 3; ax++) concat_case(all_dtypes[t], l, ax, lens, 3);
    for (int ax = 0; ax < 3; ax++) concat_case(MX_FLOAT32, L_CONTIG, ax, with_empty, 3);
    /* Axis 0 copies each input into one contiguous slab with the converting
     * copy: check it at every vector level against the same values. */
    int top = (int)mxi_simd_detected();
    for (int lvl = 0; lvl <= top && lvl <= MXI_SIMD_AVX512; lvl++) {
        CHECK(mxi_simd_set_active((mxi_simd_level)lvl) == 0);
        for (int l = 0; l < L_COUNT; l++) {
            concat_case(MX_FLOAT16, l, 0, lens, 3);
            concat_case(MX_INT64, l, 0, lens, 3);
        }
    }
    mxi_simd_set_active(mxi_simd_detected());
    /* Large enough to run on the thread pool, with and without slabs. */
    for (int ax = 0; ax < 2; ax++) {
        int32_t s1[2] = {300, 256}, s2[2] = {300, 256};
        s2[ax] = 100;
        mx_array *a = iota(s1, 2, MX_FLOAT32, 0), *b = iota(s2, 2, MX_FLOAT32, 50), *t = NULL,
                 *out = NULL;
        mx_array *bt = variant(b, L_TRANSPOSED);
        double *va = read_f64(a), *vb = read_f64(bt);
        int32_t shapes[2][8] = {{300, 256}, {s2[0], s2[1]}}, oshape[8];
        double *vals[2] = {va, vb};
        double *want = concat_ref(vals, shapes, 2, 2, ax, oshape);
        CHECK_OK(mx_concatenate(&out, (const mx_array *[]){a, bt}, 2, ax, NULL));
        check_values(out, oshape, 2, want, "large concatenate");
        free(want);
        free(va);
        free(vb);
        mx_array *all[] = {a, b, t, bt, out};
        for (int i = 0; i < 5; i++) mx_array_free(all[i]);
    }
}

TEST(concatenate_promotion_and_errors) {
    mx_array *a = iota((int32_t[]){2, 3}, 2, MX_INT32, 0), *h = NULL, *b = NULL, *out = NULL;
    CHECK_OK(mx_ones(&h, (int32_t[]){2, 1}, 2, MX_FLOAT16, NULL));
    CHECK_OK(mx_concatenate(&out, (const mx_array *[]){a, h}, 2, 1, NULL)); /* MLX: float16 */
    CHECK(mx_array_dtype(out) == MX_FLOAT16);
    check_int_values(out, (int32_t[]){2, 4}, 2, (int[]){0, 1, 2, 1, 3, 4, 5, 1});
    mx_array *u = NULL, *i8 = NULL, *bl = NULL;
    CHECK_OK(mx_ones(&u, (int32_t[]){1}, 1, MX_UINT64, NULL));
    CHECK_OK(mx_ones(&i8, (int32_t[]){1}, 1, MX_INT8, NULL));
    CHECK_OK(mx_ones(&bl, (int32_t[]){1}, 1, MX_BOOL, NULL));
    CHECK_OK(mx_concatenate(&out, (const mx_array *[]){u, i8}, 2, 0, NULL));
    CHECK(mx_array_dtype(out) == MX_FLOAT32); /* MLX promotion */
    CHECK_OK(mx_concatenate(&out, (const mx_array *[]){bl, i8}, 2, 0, NULL));
    CHECK(mx_array_dtype(out) == MX_INT8);
    /* axis=None flattens first. */
    CHECK_OK(mx_ones(&b, (int32_t[]){2}, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_concatenate_all(&out, (const mx_array *[]){a, b}, 2, NULL));
    check_int_values(out, (int32_t[]){8}, 1, (int[]){0, 1, 2, 3, 4, 5, 1, 1});
    CHECK_OK(mx_concat(&out, (const mx_array *[]){a, a}, 2, 0, NULL));
    check_shape(out, (int32_t[]){4, 3}, 2);
    /* One array comes back as it is, whatever the axis (MLX). */
    CHECK_OK(mx_concatenate(&out, (const mx_array *[]){a}, 1, 5, NULL));
    CHECK(out == a);
    CHECK_ERR(mx_concatenate(&out, NULL, 0, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_concatenate(&out, (const mx_array *[]){a, a}, 2, 2, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_concatenate(&out, (const mx_array *[]){a, a}, 2, -3, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_concatenate(&out, (const mx_array *[]){a, h}, 2, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_concatenate(&out, (const mx_array *[]){a, b}, 2, 0, NULL), MX_ERR_VALUE);
    mx_array *z = NULL;
    CHECK_OK(mx_array_from_int(&z, 1, MX_INT32));
    CHECK_ERR(mx_concatenate(&out, (const mx_array *[]){z, z}, 2, 0, NULL), MX_ERR_INDEX);
    CHECK_OK(mx_concatenate_all(&out, (const mx_array *[]){z, z}, 2, NULL));
    check_int_values(out, (int32_t[]){2}, 1, (int[]){1, 1});

    /* stack */
    CHECK_OK(mx_stack(&out, (const mx_array *[]){a, a}, 2, 0, NULL));
    check_shape(out, (int32_t[]){2, 2, 3}, 3);
    CHECK_OK(mx_stack(&out, (const mx_array *[]){a, a}, 2, -1, NULL));
    check_int_values(out, (int32_t[]){2, 3, 2}, 3, (int[]){0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5});
    CHECK_OK(mx_stack(&out, (const mx_array *[]){a}, 1, 0, NULL));
    check_shape(out, (int32_t[]){1, 2, 3}, 3);
    mx_array *f = NULL;
    CHECK_OK(mx_array_from_float(&f, 2.5, MX_FLOAT32));
    CHECK_OK(mx_stack(&out, (const mx_array *[]){z, f}, 2, 0, NULL));
    CHECK(mx_array_dtype(out) == MX_FLOAT32);
    CHECK_ERR(mx_stack(&out, (const mx_array *[]){a, a}, 2, 3, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_stack(&out, NULL, 0, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_stack(&out, (const mx_array *[]){a, h}, 2, 0, NULL), MX_ERR_VALUE);
    mx_array *all[] = {a, h, b, out, u, i8, bl, z, f};
    for (int i = 0; i < 9; i++) mx_array_free(all[i]);
}

/* Checks parts[i] of a 1-d split against [lo_i, hi_i) of arange. */
static void check_parts(mx_array **parts, int n, const int *bounds) {
    for (int i = 0; i < n; i++) {
        int len = bounds[2 * i + 1] - bounds[2 * i];
        int want[16];
        for (int k = 0; k < len; k++) want[k] = bounds[2 * i] + k;
        check_int_values(parts[i], (int32_t[]){len}, 1, want);
    }
}

TEST(split_and_unstack) {
    mx_array *a = NULL, *p[5] = {0};
    CHECK_OK(mx_arange(&a, 0, 10, 1, MX_INT32, NULL));
    CHECK_OK(mx_split(p, a, 2, 0, NULL));
    check_parts(p, 2, (int[]){0, 5, 5, 10});
    CHECK(shares(a, p[1]));
    /* Index lists, with MLX's results. */
    CHECK_OK(mx_split_indices(p, a, (int32_t[]){3, 7}, 2, 0, NULL));
    check_parts(p, 3, (int[]){0, 3, 3, 7, 7, 10});
    CHECK_OK(mx_split_indices(p, a, (int32_t[]){7, 3}, 2, 0, NULL));
    check_parts(p, 3, (int[]){0, 7, 7, 7, 3, 10});
    CHECK_OK(mx_split_indices(p, a, (int32_t[]){-3}, 1, 0, NULL));
    check_parts(p, 2, (int[]){0, 7, 7, 10});
    CHECK_OK(mx_split_indices(p, a, (int32_t[]){20}, 1, 0, NULL));
    check_parts(p, 2, (int[]){0, 10, 10, 10});
    CHECK_OK(mx_split_indices(p, a, (int32_t[]){-20}, 1, 0, NULL));
    check_parts(p, 2, (int[]){0, 0, 0, 10});
    CHECK_OK(mx_split_indices(p, a, (int32_t[]){5, 5, 2}, 3, 0, NULL));
    check_parts(p, 4, (int[]){0, 5, 5, 5, 5, 5, 2, 10});
    CHECK_OK(mx_split_indices(p, a, (int32_t[]){3, -3}, 2, 0, NULL));
    check_parts(p, 3, (int[]){0, 3, 3, 7, 7, 10});
    CHECK_OK(mx_split_indices(p, a, NULL, 0, 0, NULL));
    check_parts(p, 1, (int[]){0, 10});
    CHECK_ERR(mx_split(p, a, 3, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_split(p, a, 0, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_split(p, a, -2, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_split(p, a, 2, 1, NULL), MX_ERR_INDEX);
    mx_array *z = NULL, *e = NULL, *m = NULL;
    CHECK_OK(mx_array_from_int(&z, 1, MX_INT32));
    CHECK_ERR(mx_split(p, z, 1, 0, NULL), MX_ERR_INDEX);
    CHECK_OK(mx_zeros(&e, (int32_t[]){0}, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_split(p, e, 2, 0, NULL));
    check_shape(p[1], (int32_t[]){0}, 1);
    /* 2-d along axis 1, on a transposed input. */
    mx_array *t = iota((int32_t[]){4, 2}, 2, MX_FLOAT32, 0);
    CHECK_OK(mx_transpose(&m, t, NULL, 0, NULL));
    CHECK_OK(mx_split(p, m, 2, 1, NULL));
    check_int_values(p[0], (int32_t[]){2, 2}, 2, (int[]){0, 2, 1, 3});
    check_int_values(p[1], (int32_t[]){2, 2}, 2, (int[]){4, 6, 5, 7});

    CHECK_OK(mx_unstack(p, 2, m, 0, NULL));
    check_int_values(p[0], (int32_t[]){4}, 1, (int[]){0, 2, 4, 6});
    check_int_values(p[1], (int32_t[]){4}, 1, (int[]){1, 3, 5, 7});
    CHECK_OK(mx_unstack(p, 4, m, -1, NULL));
    check_int_values(p[3], (int32_t[]){2}, 1, (int[]){6, 7});
    CHECK(shares(t, p[3]));
    CHECK_ERR(mx_unstack(p, 3, m, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_unstack(p, 2, m, 2, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_unstack(p, 1, z, 0, NULL), MX_ERR_INDEX);
    mx_array *e2 = NULL;
    CHECK_OK(mx_zeros(&e2, (int32_t[]){0, 3}, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_unstack(NULL, 0, e2, 0, NULL)); /* MLX: [] */
    mx_array *all[] = {a, z, e, m, t, e2, p[0], p[1], p[2], p[3], p[4]};
    for (int i = 0; i < 11; i++) mx_array_free(all[i]);
}

/* ---- repeat and tile ---- */

TEST(repeat_and_tile) {
    for (int ti = 0; ti < NDTYPES; ti++) {
        mx_dtype dt = all_dtypes[ti];
        for (int l = 0; l < L_COUNT; l++) {
            mx_array *x = iota((int32_t[]){2, 3}, 2, dt, 1), *v = variant(x, l), *out = NULL;
            double *in = read_f64(v);
            /* repeat along each axis, then flattened */
            for (int ax = 0; ax < 2; ax++) {
                CHECK_OK(mx_repeat_axis(&out, v, 3, ax, NULL));
                int32_t os[2] = {2, 3};
                os[ax] *= 3;
                double w[18];
                for (int i = 0; i < 18; i++) {
                    int r = i / os[1], c = i % os[1];
                    w[i] = ax == 0 ? in[(r / 3) * 3 + c] : in[r * 3 + c / 3];
                }
                check_values(out, os, 2, w, "repeat axis");
            }
            CHECK_OK(mx_repeat(&out, v, 2, NULL));
            double w[12];
            for (int i = 0; i < 12; i++) w[i] = in[i / 2];
            check_values(out, (int32_t[]){12}, 1, w, "repeat flat");
            /* tile (2, 1, 2): a leading axis is added */
            CHECK_OK(mx_tile(&out, v, (int32_t[]){2, 1, 2}, 3, NULL));
            double wt[24];
            for (int i = 0; i < 24; i++) {
                int r = (i / 6) % 2, c = i % 6;
                wt[i] = in[r * 3 + c % 3];
            }
            check_values(out, (int32_t[]){2, 2, 6}, 3, wt, "tile");
            free(in);
            mx_array_free(x);
            mx_array_free(v);
            mx_array_free(out);
        }
    }
    /* Shapes and edge cases from MLX. */
    mx_array *a = iota((int32_t[]){2, 3}, 2, MX_INT32, 0), *out = NULL, *z = NULL;
    CHECK_OK(mx_repeat_axis(&out, a, 0, 1, NULL));
    check_shape(out, (int32_t[]){2, 0}, 2);
    CHECK_OK(mx_eval(&out, 1));
    CHECK_OK(mx_repeat(&out, a, 0, NULL));
    check_shape(out, (int32_t[]){0}, 1);
    CHECK_OK(mx_repeat_axis(&out, a, 1, 0, NULL));
    CHECK(out == a);
    CHECK_ERR(mx_repeat_axis(&out, a, -1, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_repeat_axis(&out, a, 2, 2, NULL), MX_ERR_INDEX);
    CHECK_OK(mx_array_from_int(&z, 5, MX_INT32));
    CHECK_OK(mx_repeat(&out, z, 3, NULL));
    check_int_values(out, (int32_t[]){3}, 1, (int[]){5, 5, 5});
    CHECK_ERR(mx_repeat_axis(&out, z, 3, 0, NULL), MX_ERR_INDEX);
    CHECK_OK(mx_tile(&out, a, (int32_t[]){2}, 1, NULL));
    check_int_values(out, (int32_t[]){2, 6}, 2, (int[]){0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
    CHECK_OK(mx_tile(&out, a, (int32_t[]){0}, 1, NULL));
    check_shape(out, (int32_t[]){2, 0}, 2);
    CHECK_OK(mx_tile(&out, z, (int32_t[]){2, 3}, 2, NULL));
    check_int_values(out, (int32_t[]){2, 3}, 2, (int[]){5, 5, 5, 5, 5, 5});
    CHECK_OK(mx_tile(&out, z, NULL, 0, NULL));
    check_int_values(out, NULL, 0, (int[]){5});
    CHECK_ERR(mx_tile(&out, a, (int32_t[]){-1}, 1, NULL), MX_ERR_VALUE);
    mx_array_free(a);
    mx_array_free(out);
    mx_array_free(z);
}

/* ---- pad ---- */

enum { M_CONSTANT, M_EDGE, M_REFLECT, M_SYMMETRIC };
static const char *mode_name[] = {"constant", "edge", "reflect", "symmetric"};

/* The input index an output index t of a padded axis reads (NumPy's
 * rules), or -1 for the constant. */
static int64_t pad_source(int64_t t, int64_t n, int64_t lo, int mode) {
    int64_t j = t - lo;
    if (j >= 0 && j < n) return j;
    if (mode == M_CONSTANT) return -1;
    if (mode == M_EDGE || (mode == M_REFLECT && n == 1)) return j < 0 ? 0 : n - 1;
    int64_t P = mode == M_REFLECT ? 2 * (n - 1) : 2 * n;
    j %= P;
    if (j < 0) j += P;
    if (j >= n) j = mode == M_REFLECT ? P - j : P - 1 - j;
    return j;
}

static double *pad_ref(const double *in, const int32_t *shape, int nd, const int32_t *lo,
                       const int32_t *hi, int mode, double value, int32_t *oshape) {
    for (int d = 0; d < nd; d++) oshape[d] = shape[d] + lo[d] + hi[d];
    int64_t total = size_of(oshape, nd);
    double *w = alloc_f64(total);
    int64_t idx[8];
    for (int64_t o = 0; o < total; o++) {
        unravel(o, oshape, nd, idx);
        bool inside = true;
        for (int d = 0; d < nd; d++) {
            idx[d] = pad_source(idx[d], shape[d], lo[d], mode);
            if (idx[d] < 0) inside = false;
        }
        w[o] = inside ? in[ravel(idx, shape, nd)] : value;
    }
    return w;
}

static void pad_case(mx_array *x, const int32_t *lo, const int32_t *hi, int mode, mx_array *value,
                     double value_as, const char *what) {
    int nd = mx_array_ndim(x);
    double *in = read_f64(x);
    int32_t oshape[8];
    double *want = pad_ref(in, mx_array_shape(x), nd, lo, hi, mode, value_as, oshape);
    mx_array *out = NULL;
    CHECK_OK(mx_pad(&out, x, NULL, nd, lo, hi, value, mode_name[mode], NULL));
    if (out) {
        CHECK(mx_array_dtype(out) == mx_array_dtype(x));
        char buf[128];
        snprintf(buf, sizeof buf, "pad %s %s %s", mode_name[mode], mx_dtype_name(mx_array_dtype(x)),
                 what);
        check_values(out, oshape, nd, want, buf);
    }
    free(in);
    free(want);
    mx_array_free(out);
}

TEST(pad_constant) {
    for (int ti = 0; ti < NDTYPES; ti++) {
        mx_dtype dt = all_dtypes[ti];
        mx_array *value = NULL, *cast = NULL;
        CHECK_OK(mx_array_from_float(&value, 7.0, MX_FLOAT64));
        CHECK_OK(mx_astype(&cast, value, dt, NULL));
        double *vv = read_f64(cast);
        for (int l = 0; l < L_COUNT; l++) {
            mx_array *x = iota((int32_t[]){3, 2, 4}, 3, dt, 1), *v = variant(x, l);
            pad_case(v, (int32_t[]){1, 0, 2}, (int32_t[]){0, 2, 1}, M_CONSTANT, value, vv[0],
                     layout_name[l]);
            pad_case(v, (int32_t[]){0, 0, 3}, (int32_t[]){0, 0, 0}, M_CONSTANT, value, vv[0],
                     layout_name[l]);
            pad_case(v, (int32_t[]){2, 1, 0}, (int32_t[]){1, 0, 0}, M_CONSTANT, NULL, 0,
                     layout_name[l]);
            mx_array_free(x);
            mx_array_free(v);
        }
        free(vv);
        mx_array_free(value);
        mx_array_free(cast);
    }
    /* The value: cast to the array's dtype, first element of an array
     * (MLX: 7.5 into int32 pads with 7; [9, 8] pads with 9). */
    mx_array *a = iota((int32_t[]){2, 3}, 2, MX_INT32, 0), *v = NULL, *out = NULL;
    CHECK_OK(mx_array_from_float(&v, 7.5, MX_FLOAT32));
    CHECK_OK(mx_pad_all(&out, a, 1, 1, v, NULL, NULL));
    check_int_values(out, (int32_t[]){4, 5}, 2,
                     (int[]){7, 7, 7, 7, 7, 7, 0, 1, 2, 7, 7, 3, 4, 5, 7, 7, 7, 7, 7, 7});
    mx_array *vec = iota((int32_t[]){2}, 1, MX_INT32, 9);
    CHECK_OK(mx_pad_all(&out, a, 0, 1, vec, "constant", NULL));
    check_int_values(out, (int32_t[]){3, 4}, 2, (int[]){0, 1, 2, 9, 3, 4, 5, 9, 9, 9, 9, 9});
    /* Only some axes. */
    CHECK_OK(mx_pad(&out, a, (int[]){-1}, 1, (int32_t[]){2}, (int32_t[]){0}, NULL, NULL, NULL));
    check_int_values(out, (int32_t[]){2, 5}, 2, (int[]){0, 0, 0, 1, 2, 0, 0, 3, 4, 5});
    /* Empty input and 0-d input. */
    mx_array *e = NULL, *z = NULL;
    CHECK_OK(mx_zeros(&e, (int32_t[]){0, 2}, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_pad_all(&out, e, 1, 1, NULL, NULL, NULL));
    check_int_values(out, (int32_t[]){2, 4}, 2, (int[]){0, 0, 0, 0, 0, 0, 0, 0});
    CHECK_OK(mx_array_from_int(&z, 3, MX_INT32));
    CHECK_OK(mx_pad_all(&out, z, 1, 1, NULL, NULL, NULL));
    check_int_values(out, NULL, 0, (int[]){3});
    /* Large enough for the thread pool. */
    mx_array *big = iota((int32_t[]){200, 300}, 2, MX_FLOAT32, 0), *bt = variant(big, L_TRANSPOSED);
    pad_case(bt, (int32_t[]){3, 5}, (int32_t[]){4, 2}, M_CONSTANT, NULL, 0, "large");
    /* Errors. */
    CHECK_ERR(mx_pad_all(&out, a, -1, 1, NULL, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_pad_all(&out, a, 1, -1, NULL, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_pad_all(&out, a, 1, 1, NULL, "wrap", NULL), MX_ERR_VALUE);
    CHECK_ERR(
        mx_pad(&out, a, NULL, 3, (int32_t[]){1, 0, 1}, (int32_t[]){1, 1, 1}, NULL, NULL, NULL),
        MX_ERR_VALUE);
    CHECK_ERR(mx_pad(&out, a, (int[]){2}, 1, (int32_t[]){1}, (int32_t[]){1}, NULL, NULL, NULL),
              MX_ERR_INDEX);
    CHECK_ERR(
        mx_pad(&out, a, (int[]){0, -2}, 2, (int32_t[]){1, 1}, (int32_t[]){1, 1}, NULL, NULL, NULL),
        MX_ERR_VALUE);
    mx_array *empty_v = NULL;
    CHECK_OK(mx_zeros(&empty_v, (int32_t[]){0}, 1, MX_INT32, NULL));
    CHECK_ERR(mx_pad_all(&out, a, 1, 1, empty_v, NULL, NULL), MX_ERR_VALUE);
    mx_array *all[] = {a, v, out, vec, e, z, big, bt, empty_v};
    for (int i = 0; i < 9; i++) mx_array_free(all[i]);
}

TEST(pad_edge_reflect_symmetric) {
    const int32_t widths[][2] = {{0, 0}, {1, 0}, {0, 2}, {2, 2}, {3, 4}, {5, 6}, {9, 1}};
    for (int mode = M_EDGE; mode <= M_SYMMETRIC; mode++) {
        for (int n = 1; n <= 4; n++) {
            for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
                mx_array *x = iota((int32_t[]){n}, 1, MX_INT32, 0);
                pad_case(x, &widths[w][0], &widths[w][1], mode, NULL, 0, "1-d");
                mx_array_free(x);
            }
        }
        for (int ti = 0; ti < NDTYPES; ti++) {
            for (int l = 0; l < L_COUNT; l++) {
                mx_array *x = iota((int32_t[]){3, 2, 4}, 3, all_dtypes[ti], 1), *v = variant(x, l);
                pad_case(v, (int32_t[]){2, 1, 0}, (int32_t[]){1, 3, 2}, mode, NULL, 0,
                         layout_name[l]);
                mx_array_free(x);
                mx_array_free(v);
            }
        }
    }
    /* MLX's own outputs. */
    mx_array *a = iota((int32_t[]){2, 3}, 2, MX_INT32, 0),
             *r = iota((int32_t[]){3}, 1, MX_INT32, 0);
    mx_array *out = NULL;
    CHECK_OK(mx_pad_all(&out, a, 1, 1, NULL, "edge", NULL));
    check_int_values(out, (int32_t[]){4, 5}, 2,
                     (int[]){0, 0, 1, 2, 2, 0, 0, 1, 2, 2, 3, 3, 4, 5, 5, 3, 3, 4, 5, 5});
    CHECK_OK(mx_pad_all(&out, a, 1, 2, NULL, "reflect", NULL));
    check_int_values(out, (int32_t[]){5, 6}, 2,
                     (int[]){4, 3, 4, 5, 4, 3, 1, 0, 1, 2, 1, 0, 4, 3, 4,
                             5, 4, 3, 1, 0, 1, 2, 1, 0, 4, 3, 4, 5, 4, 3});
    CHECK_OK(mx_pad(&out, r, NULL, 1, (int32_t[]){5}, (int32_t[]){6}, NULL, "reflect", NULL));
    check_int_values(out, (int32_t[]){14}, 1, (int[]){1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0});
    CHECK_OK(mx_pad(&out, r, NULL, 1, (int32_t[]){5}, (int32_t[]){6}, NULL, "symmetric", NULL));
    check_int_values(out, (int32_t[]){14}, 1, (int[]){1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2});
    /* Empty arrays: edge pads with zeros (MLX); reflect/symmetric refuse
     * to pad an empty axis but may pad the others. */
    mx_array *e = NULL;
    CHECK_OK(mx_zeros(&e, (int32_t[]){0, 2}, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_pad_all(&out, e, 1, 1, NULL, "edge", NULL));
    check_int_values(out, (int32_t[]){2, 4}, 2, (int[]){0, 0, 0, 0, 0, 0, 0, 0});
    CHECK_ERR(mx_pad(&out, e, NULL, 2, (int32_t[]){1, 0}, (int32_t[]){1, 0}, NULL, "reflect", NULL),
              MX_ERR_VALUE);
    CHECK_OK(
        mx_pad(&out, e, NULL, 2, (int32_t[]){0, 1}, (int32_t[]){0, 1}, NULL, "symmetric", NULL));
    check_shape(out, (int32_t[]){0, 4}, 2);
    mx_array *all[] = {a, r, out, e};
    for (int i = 0; i < 4; i++) mx_array_free(all[i]);
}

/* ---- roll ---- */

TEST(roll_values) {
    for (int ti = 0; ti < NDTYPES; ti++) {
        for (int l = 0; l < L_COUNT; l++) {
            mx_array *x = iota((int32_t[]){3, 4}, 2, all_dtypes[ti], 1), *v = variant(x, l);
            mx_array *out = NULL;
            double *in = read_f64(v), w[12];
            const int shifts[] = {0, 1, -1, 5, -14};
            for (int si = 0; si < 5; si++) {
                int sh = shifts[si];
                CHECK_OK(mx_roll(&out, v, sh, NULL));
                for (int i = 0; i < 12; i++) w[i] = in[(((i - sh) % 12) + 12) % 12];
                check_values(out, (int32_t[]){3, 4}, 2, w, "roll flat");
                for (int ax = 0; ax < 2; ax++) {
                    CHECK_OK(mx_roll_axis(&out, v, sh, ax, NULL));
                    for (int i = 0; i < 12; i++) {
                        int r = i / 4, c = i % 4;
                        if (ax == 0)
                            r = (((r - sh) % 3) + 3) % 3;
                        else
                            c = (((c - sh) % 4) + 4) % 4;
                        w[i] = in[r * 4 + c];
                    }
                    check_values(out, (int32_t[]){3, 4}, 2, w, "roll axis");
                }
            }
            free(in);
            mx_array_free(x);
            mx_array_free(v);
            mx_array_free(out);
        }
    }
    /* MLX's results. */
    mx_array *a = iota((int32_t[]){2, 3}, 2, MX_INT32, 0), *out = NULL, *z = NULL, *e = NULL;
    CHECK_OK(mx_roll_axes(&out, a, (int32_t[]){1, 2}, 2, (int[]){0, 1}, 2, NULL));
    check_int_values(out, (int32_t[]){2, 3}, 2, (int[]){4, 5, 3, 1, 2, 0});
    CHECK_OK(mx_roll_axes(&out, a, (int32_t[]){1, 1}, 2, (int[]){0, 1}, 2, NULL));
    check_int_values(out, (int32_t[]){2, 3}, 2, (int[]){5, 3, 4, 2, 0, 1});
    CHECK_OK(mx_roll_axes(&out, a, (int32_t[]){1, 2}, 2, NULL, 0, NULL)); /* axis None: sum */
    check_int_values(out, (int32_t[]){2, 3}, 2, (int[]){3, 4, 5, 0, 1, 2});
    CHECK_OK(mx_roll_axes(&out, a, (int32_t[]){1, 2, 3}, 3, (int[]){0, 1}, 2, NULL));
    check_int_values(out, (int32_t[]){2, 3}, 2, (int[]){4, 5, 3, 1, 2, 0});
    CHECK_OK(mx_roll_axes(&out, a, (int32_t[]){1, 1}, 2, (int[]){0, 0}, 2, NULL));
    check_int_values(out, (int32_t[]){2, 3}, 2, (int[]){0, 1, 2, 3, 4, 5});
    CHECK_OK(mx_roll_axes(&out, a, NULL, 0, (int[]){0}, 0, NULL));
    CHECK(out == a);
    CHECK_ERR(mx_roll_axes(&out, a, (int32_t[]){1}, 1, (int[]){0, 1}, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_roll_axis(&out, a, 1, 2, NULL), MX_ERR_INDEX);
    CHECK_OK(mx_array_from_int(&z, 3, MX_INT32));
    CHECK_OK(mx_roll(&out, z, 1, NULL));
    check_int_values(out, NULL, 0, (int[]){3});
    CHECK_OK(mx_zeros(&e, (int32_t[]){0, 3}, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_roll_axis(&out, e, 1, 0, NULL));
    check_shape(out, (int32_t[]){0, 3}, 2);
    mx_array *all[] = {a, out, z, e};
    for (int i = 0; i < 4; i++) mx_array_free(all[i]);
}

/* ---- strided views ---- */

TEST(as_strided_views) {
    mx_array *a = NULL, *out = NULL;
    CHECK_OK(mx_arange(&a, 0, 10, 1, MX_INT32, NULL));
    CHECK_OK(mx_as_strided(&out, a, (int32_t[]){3, 3}, 2, (int64_t[]){1, 1}, 0, NULL));
    check_int_values(out, (int32_t[]){3, 3}, 2, (int[]){0, 1, 2, 1, 2, 3, 2, 3, 4});
    CHECK(shares(a, out));
    CHECK_OK(mx_as_strided(&out, a, (int32_t[]){3}, 1, (int64_t[]){2}, 1, NULL));
    check_int_values(out, (int32_t[]){3}, 1, (int[]){1, 3, 5});
    CHECK_OK(mx_as_strided(&out, a, (int32_t[]){3}, 1, (int64_t[]){-1}, 5, NULL));
    check_int_values(out, (int32_t[]){3}, 1, (int[]){5, 4, 3});
    CHECK_OK(mx_as_strided(&out, a, (int32_t[]){2}, 1, (int64_t[]){0}, 9, NULL));
    check_int_values(out, (int32_t[]){2}, 1, (int[]){9, 9});
    CHECK_OK(mx_as_strided(&out, a, NULL, 0, NULL, 0, NULL));
    check_int_values(out, (int32_t[]){10}, 1, (int[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK_OK(mx_as_strided(&out, a, (int32_t[]){2, 0}, 2, (int64_t[]){100, 100}, 0, NULL));
    check_shape(out, (int32_t[]){2, 0}, 2); /* nothing is read: no bounds to check */
    CHECK_OK(mx_eval(&out, 1));
    /* The strides address the input in row-major order whatever its
     * layout: transposed (MLX: [0, 3, 1, 4, 2, 5]), a step slice (MLX
     * fails there: "row contiguous arrays only"), broadcast. */
    mx_array *m = iota((int32_t[]){2, 3}, 2, MX_INT32, 0), *t = NULL, *s = NULL, *b = NULL;
    CHECK_OK(mx_transpose(&t, m, NULL, 0, NULL));
    CHECK_OK(mx_as_strided(&out, t, (int32_t[]){6}, 1, (int64_t[]){1}, 0, NULL));
    check_int_values(out, (int32_t[]){6}, 1, (int[]){0, 3, 1, 4, 2, 5});
    CHECK_OK(mx_slice(&s, a, (int32_t[]){0}, (int32_t[]){10}, (int32_t[]){2}, 1, NULL));
    CHECK_OK(mx_as_strided(&out, s, (int32_t[]){2, 2}, 2, (int64_t[]){1, 1}, 1, NULL));
    check_int_values(out, (int32_t[]){2, 2}, 2, (int[]){2, 4, 4, 6});
    mx_array *row = iota((int32_t[]){3}, 1, MX_INT32, 0);
    CHECK_OK(mx_broadcast_to(&b, row, (int32_t[]){2, 3}, 2, NULL));
    CHECK_OK(mx_as_strided(&out, b, (int32_t[]){6}, 1, (int64_t[]){1}, 0, NULL));
    check_int_values(out, (int32_t[]){6}, 1, (int[]){0, 1, 2, 0, 1, 2});
    /* Every dtype, reversed input. */
    for (int ti = 0; ti < NDTYPES; ti++) {
        mx_array *x = iota((int32_t[]){4, 3}, 2, all_dtypes[ti], 1), *v = variant(x, L_REVERSED);
        double *in = read_f64(v), w[6];
        CHECK_OK(mx_as_strided(&out, v, (int32_t[]){2, 3}, 2, (int64_t[]){4, -1}, 5, NULL));
        for (int i = 0; i < 6; i++) w[i] = in[5 + (i / 3) * 4 - (i % 3)];
        check_values(out, (int32_t[]){2, 3}, 2, w, "as_strided dtype");
        free(in);
        mx_array_free(x);
        mx_array_free(v);
    }
    /* Errors (MLX does not check the bounds at all). */
    CHECK_ERR(mx_as_strided(&out, a, (int32_t[]){-3}, 1, (int64_t[]){1}, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_as_strided(&out, a, (int32_t[]){3}, 1, (int64_t[]){1}, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_as_strided(&out, a, (int32_t[]){3}, 1, (int64_t[]){4}, 3, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_as_strided(&out, a, (int32_t[]){3}, 1, (int64_t[]){-1}, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_as_strided(&out, a, (int32_t[]){3}, 1, (int64_t[]){INT64_MAX}, 0, NULL),
              MX_ERR_VALUE);
    mx_array *all[] = {a, out, m, t, s, b, row};
    for (int i = 0; i < 7; i++) mx_array_free(all[i]);
}

/* The diagonal `off` of axes (a1, a2) of x, by the definition. */
static double *diagonal_ref(const double *in, const int32_t *shape, int nd, int off, int a1, int a2,
                            int32_t *oshape, int *ond) {
    int k = 0;
    for (int d = 0; d < nd; d++)
        if (d != a1 && d != a2) oshape[k++] = shape[d];
    int o1 = off < 0 ? -off : 0, o2 = off > 0 ? off : 0;
    int len = shape[a1] - o1 < shape[a2] - o2 ? shape[a1] - o1 : shape[a2] - o2;
    oshape[k++] = len > 0 ? len : 0;
    *ond = k;
    int64_t total = size_of(oshape, k);
    double *w = alloc_f64(total);
    int64_t oi[8], ii[8];
    for (int64_t o = 0; o < total; o++) {
        unravel(o, oshape, k, oi);
        for (int d = 0, j = 0; d < nd; d++)
            if (d != a1 && d != a2) ii[d] = oi[j++];
        ii[a1] = oi[k - 1] + o1;
        ii[a2] = oi[k - 1] + o2;
        w[o] = in[ravel(ii, shape, nd)];
    }
    return w;
}

TEST(diagonal_and_diag) {
    const int cases[][3] = {{0, 0, 1},  {1, 0, 1},   {-1, 0, 1}, {2, 1, 2},
                            {-2, 2, 0}, {0, -1, -3}, {5, 0, 1},  {-5, 1, 0}};
    for (int ti = 0; ti < NDTYPES; ti++) {
        for (int l = 0; l < L_COUNT; l++) {
            mx_array *x = iota((int32_t[]){3, 4, 5}, 3, all_dtypes[ti], 1), *v = variant(x, l);
            double *in = read_f64(v);
            for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
                int off = cases[c][0], a1 = cases[c][1], a2 = cases[c][2];
                int32_t os[8];
                int ond;
                double *w = diagonal_ref(in, mx_array_shape(v), 3, off, (a1 + 3) % 3, (a2 + 3) % 3,
                                         os, &ond);
                mx_array *out = NULL;
                CHECK_OK(mx_diagonal(&out, v, off, a1, a2, NULL));
                check_values(out, os, ond, w, "diagonal");
                if (mx_array_size(out)) CHECK(shares(v, out));
                free(w);
                mx_array_free(out);
            }
            free(in);
            mx_array_free(x);
            mx_array_free(v);
        }
    }
    mx_array *m = iota((int32_t[]){3, 4}, 2, MX_INT32, 0), *out = NULL, *v = NULL, *z = NULL;
    CHECK_OK(mx_diagonal(&out, m, 2, 0, 1, NULL)); /* MLX: [2, 7] */
    check_int_values(out, (int32_t[]){2}, 1, (int[]){2, 7});
    CHECK_ERR(mx_diagonal(&out, m, 0, 0, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_diagonal(&out, m, 0, 0, 2, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_diagonal(&out, m, 0, -3, 1, NULL), MX_ERR_INDEX);
    CHECK_OK(mx_arange(&v, 0, 3, 1, MX_INT32, NULL));
    CHECK_ERR(mx_diagonal(&out, v, 0, 0, 1, NULL), MX_ERR_VALUE);
    /* diag: 2-d -> diagonal, 1-d -> matrix (MLX's values). */
    CHECK_OK(mx_diag(&out, m, 1, NULL));
    check_int_values(out, (int32_t[]){3}, 1, (int[]){1, 6, 11});
    CHECK_OK(mx_diag(&out, v, 0, NULL));
    check_int_values(out, (int32_t[]){3, 3}, 2, (int[]){0, 0, 0, 0, 1, 0, 0, 0, 2});
    CHECK_OK(mx_diag(&out, v, 1, NULL));
    check_int_values(out, (int32_t[]){4, 4}, 2,
                     (int[]){0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0});
    CHECK_OK(mx_diag(&out, v, -2, NULL));
    check_int_values(out, (int32_t[]){5, 5}, 2, (int[]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                        0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0});
    for (int ti = 0; ti < NDTYPES; ti++) {
        for (int k = -3; k <= 3; k++) {
            mx_array *x = iota((int32_t[]){4}, 1, all_dtypes[ti], 1), *xr = variant(x, L_REVERSED);
            double *in = read_f64(xr);
            int n = 4 + (k < 0 ? -k : k);
            double w[64];
            for (int i = 0; i < n * n; i++) {
                int r = i / n, c = i % n;
                w[i] = (c - r == k) ? in[k >= 0 ? r : c] : 0;
            }
            CHECK_OK(mx_diag(&out, xr, k, NULL));
            check_values(out, (int32_t[]){n, n}, 2, w, "diag 1-d");
            free(in);
            mx_array_free(x);
            mx_array_free(xr);
        }
    }
    mx_array *e = NULL, *c3 = NULL;
    CHECK_OK(mx_zeros(&e, (int32_t[]){0}, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_diag(&out, e, 1, NULL)); /* MLX: [[0]] */
    check_int_values(out, (int32_t[]){1, 1}, 2, (int[]){0});
    CHECK_OK(mx_array_from_int(&z, 1, MX_INT32));
    CHECK_ERR(mx_diag(&out, z, 0, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_zeros(&c3, (int32_t[]){2, 2, 2}, 3, MX_FLOAT32, NULL));
    CHECK_ERR(mx_diag(&out, c3, 0, NULL), MX_ERR_VALUE);
    mx_array *all[] = {m, out, v, z, e, c3};
    for (int i = 0; i < 6; i++) mx_array_free(all[i]);
}

/* The bytes of a row-major double vector reinterpreted: reads element i of
 * `out` as raw bits and compares with memory. */
TEST(view_dtype) {
    /* MLX's results. */
    mx_array *a = NULL, *out = NULL;
    float one = 1.0f;
    CHECK_OK(mx_array_from_data(&a, &one, (int32_t[]){1}, 1, MX_FLOAT32));
    CHECK_OK(mx_view(&out, a, MX_INT32, NULL));
    check_int_values(out, (int32_t[]){1}, 1, (int[]){1065353216});
    CHECK(shares(a, out));
    int32_t pair[2] = {1, 2};
    CHECK_OK(mx_array_from_data(&a, pair, (int32_t[]){2}, 1, MX_INT32));
    CHECK_OK(mx_view(&out, a, MX_INT64, NULL));
    int64_t got64 = 0;
    CHECK_OK(mx_array_item_int64(&got64, out));
    CHECK(got64 == 8589934593ll && mx_array_ndim(out) == 1 && mx_array_shape(out)[0] == 1);
    int32_t tri[3] = {1, 2, 3};
    CHECK_OK(mx_array_from_data(&a, tri, (int32_t[]){3}, 1, MX_INT32));
    CHECK_ERR(mx_view(&out, a, MX_INT64, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_view(&out, a, MX_INT16, NULL));
    check_int_values(out, (int32_t[]){6}, 1, (int[]){1, 0, 2, 0, 3, 0});
    CHECK(mx_array_strides(out)[0] == 1);
    mx_array *z = NULL;
    CHECK_OK(mx_array_from_int(&z, 1, MX_INT32));
    CHECK_ERR(mx_view(&out, z, MX_INT16, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_view(&out, z, MX_FLOAT32, NULL));
    double d;
    CHECK_OK(mx_array_item_double(&d, out));
    CHECK(d == 0x1p-149);
    uint8_t bytes[4] = {1, 2, 0, 0};
    CHECK_OK(mx_array_from_data(&a, bytes, (int32_t[]){2}, 1, MX_UINT8));
    CHECK_OK(mx_view(&out, a, MX_BOOL, NULL));
    uint8_t bv[2]; /* the bytes stay 1 and 2 (MLX prints True, True) */
    CHECK_OK(mx_eval(&out, 1));
    CHECK_OK(mx_array_copy_to(out, bv, 2));
    CHECK(bv[0] == 1 && bv[1] == 2);
    CHECK_OK(mx_astype(&out, out, MX_INT32, NULL));
    check_int_values(out, (int32_t[]){2}, 1, (int[]){1, 1});
    mx_complex64 c = {1.0f, 2.0f};
    CHECK_OK(mx_array_from_data(&a, &c, (int32_t[]){1}, 1, MX_COMPLEX64));
    CHECK_OK(mx_view(&out, a, MX_FLOAT32, NULL));
    check_int_values(out, (int32_t[]){2}, 1, (int[]){1, 2});
    CHECK_OK(mx_view(&out, out, MX_COMPLEX64, NULL));
    mx_complex64 back;
    CHECK_OK(mx_array_item_complex(&back, out));
    CHECK(back.real == 1.0f && back.imag == 2.0f);
    /* Transposed int32 (2, 2) as int16 and int64 (MLX's values). */
    mx_array *m = iota((int32_t[]){2, 2}, 2, MX_INT32, 0), *t = NULL;
    CHECK_OK(mx_transpose(&t, m, NULL, 0, NULL));
    CHECK_OK(mx_view(&out, t, MX_INT16, NULL));
    check_int_values(out, (int32_t[]){2, 4}, 2, (int[]){0, 0, 2, 0, 1, 0, 3, 0});
    CHECK_OK(mx_view(&out, t, MX_INT64, NULL));
    CHECK_OK(mx_eval(&out, 1));
    const int64_t *p64 = mx_array_data(out);
    CHECK(mx_array_is_row_contiguous(out) && p64[0] == 8589934592ll && p64[1] == 12884901889ll);
    /* A step slice: same size views in place; narrower items split the unit
     * axis; wider items copy. uint8 [1,2,3,4][::2] as int16 (MLX: 769). */
    uint8_t four[4] = {1, 2, 3, 4};
    mx_array *s = NULL;
    CHECK_OK(mx_array_from_data(&a, four, (int32_t[]){4}, 1, MX_UINT8));
    CHECK_OK(mx_slice(&s, a, (int32_t[]){0}, (int32_t[]){4}, (int32_t[]){2}, 1, NULL));
    CHECK_OK(mx_view(&out, s, MX_INT8, NULL));
    check_int_values(out, (int32_t[]){2}, 1, (int[]){1, 3});
    CHECK(shares(a, out));
    CHECK_OK(mx_view(&out, s, MX_INT16, NULL));
    check_int_values(out, (int32_t[]){1}, 1, (int[]){769});
    /* A row-contiguous slice at an odd offset is copied for wider items
     * (an aligned read). */
    CHECK_OK(mx_slice(&s, a, (int32_t[]){1}, (int32_t[]){3}, (int32_t[]){1}, 1, NULL));
    CHECK_OK(mx_view(&out, s, MX_UINT16, NULL));
    check_int_values(out, (int32_t[]){1}, 1, (int[]){2 + 3 * 256});
    CHECK_OK(mx_eval(&out, 1));
    CHECK(((uintptr_t)mx_array_data(out) & 1) == 0);
    /* Round trips through every pair of dtypes keep the bytes. */
    for (int i = 0; i < NDTYPES; i++) {
        for (int j = 0; j < NDTYPES; j++) {
            mx_array *x = iota((int32_t[]){3, 8}, 2, all_dtypes[i], 3), *v = NULL, *back2 = NULL;
            CHECK_OK(mx_view(&v, x, all_dtypes[j], NULL));
            CHECK_OK(mx_view(&back2, v, all_dtypes[i], NULL));
            CHECK_OK(mx_eval(&back2, 1));
            CHECK(mx_array_nbytes(v) == mx_array_nbytes(x));
            size_t nb = mx_array_nbytes(x);
            unsigned char *b1 = malloc(nb), *b2 = malloc(nb);
            CHECK_OK(mx_array_copy_to(x, b1, nb));
            CHECK_OK(mx_array_copy_to(back2, b2, nb));
            CHECK(memcmp(b1, b2, nb) == 0);
            free(b1);
            free(b2);
            mx_array_free(x);
            mx_array_free(v);
            mx_array_free(back2);
        }
    }
    mx_array *e = NULL;
    CHECK_OK(mx_zeros(&e, (int32_t[]){2, 0}, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_view(&out, e, MX_INT16, NULL));
    check_shape(out, (int32_t[]){2, 0}, 2);
    CHECK_OK(mx_eval(&out, 1));
    CHECK_ERR(mx_view(&out, a, (mx_dtype)99, NULL), MX_ERR_TYPE);
    mx_array *all[] = {a, out, z, m, t, s, e};
    for (int i = 0; i < 7; i++) mx_array_free(all[i]);
}

TEST(contiguous_copies_only_when_needed) {
    mx_array *m = iota((int32_t[]){3, 4}, 2, MX_FLOAT32, 0), *out = NULL, *t = NULL, *s = NULL;
    CHECK_OK(mx_contiguous(&out, m, false, NULL));
    CHECK(shares(m, out));
    CHECK(mx_array_data(out) == mx_array_data(m));
    CHECK_OK(mx_transpose(&t, m, NULL, 0, NULL));
    CHECK_OK(mx_contiguous(&out, t, false, NULL));
    CHECK(!shares(m, out) && mx_array_is_row_contiguous(out));
    check_int_values(out, (int32_t[]){4, 3}, 2, (int[]){0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
    CHECK_OK(mx_contiguous(&out, t, true, NULL)); /* column-major is kept */
    CHECK(shares(m, out));
    CHECK(mx_array_strides(out)[0] == 1);
    /* A small row-contiguous window of a big buffer is copied so the big one
     * can go (MLX's rule: at most 16 KiB more). */
    mx_array *big = iota((int32_t[]){100, 100}, 2, MX_FLOAT32, 0);
    CHECK_OK(mx_slice(&s, big, (int32_t[]){5, 0}, (int32_t[]){6, 100}, NULL, 2, NULL));
    CHECK_OK(mx_contiguous(&out, s, false, NULL));
    CHECK(!shares(big, out));
    double *v = read_f64(out);
    CHECK(v[0] == fmod(500, 120) && v[99] == fmod(599, 120));
    free(v);
    for (int ti = 0; ti < NDTYPES; ti++) {
        for (int l = 0; l < L_COUNT; l++) {
            mx_array *x = iota((int32_t[]){3, 5}, 2, all_dtypes[ti], 1), *xv = variant(x, l);
            double *in = read_f64(xv);
            CHECK_OK(mx_contiguous(&out, xv, false, NULL));
            check_values(out, (int32_t[]){3, 5}, 2, in, "contiguous");
            CHECK(mx_array_is_row_contiguous(out));
            free(in);
            mx_array_free(x);
            mx_array_free(xv);
        }
    }
    mx_array *all[] = {m, out, t, s, big};
    for (int i = 0; i < 5; i++) mx_array_free(all[i]);
}

TEST(dynamic_slice) {
    mx_array *a = iota((int32_t[]){2, 3}, 2, MX_INT32, 0), *out = NULL, *st = NULL;
    CHECK_OK(mx_array_from_int(&st, 1, MX_INT32));
    CHECK_OK(mx_slice_dynamic(&out, a, st, (int[]){0}, 1, (int32_t[]){1, 2}, 2, NULL));
    check_int_values(out, (int32_t[]){1, 2}, 2, (int[]){3, 4}); /* MLX */
    CHECK(shares(a, out));
    int32_t one = 1;
    CHECK_OK(mx_array_from_data(&st, &one, (int32_t[]){1}, 1, MX_INT32));
    CHECK_OK(mx_slice_dynamic(&out, a, st, (int[]){1}, 1, (int32_t[]){2, 2}, 2, NULL));
    check_int_values(out, (int32_t[]){2, 2}, 2, (int[]){1, 2, 4, 5}); /* MLX */
    int32_t both[2] = {1, 1};
    CHECK_OK(mx_array_from_data(&st, both, (int32_t[]){2}, 1, MX_INT32));
    CHECK_OK(mx_slice_dynamic(&out, a, st, (int[]){0, -1}, 2, (int32_t[]){1, 2}, 2, NULL));
    check_int_values(out, (int32_t[]){1, 2}, 2, (int[]){4, 5}); /* MLX */
    /* Starts past the end clamp, negative ones count from the end (MLX
     * reads out of bounds for both). */
    const int64_t starts[] = {5, 2, -1, -2, -3, -4, INT64_MAX, INT64_MIN};
    const int wants[][4] = {{1, 2, 4, 5}, {1, 2, 4, 5}, {1, 2, 4, 5}, {1, 2, 4, 5},
                            {0, 1, 3, 4}, {0, 1, 3, 4}, {1, 2, 4, 5}, {0, 1, 3, 4}};
    for (int i = 0; i < 8; i++) {
        CHECK_OK(mx_array_from_int(&st, starts[i], MX_INT64));
        CHECK_OK(mx_slice_dynamic(&out, a, st, (int[]){1}, 1, (int32_t[]){2, 2}, 2, NULL));
        check_int_values(out, (int32_t[]){2, 2}, 2, wants[i]);
    }
    CHECK_OK(mx_array_from_int(&st, 1, MX_UINT8));
    CHECK_OK(mx_slice_dynamic(&out, a, st, (int[]){1}, 1, (int32_t[]){2, 1}, 2, NULL));
    check_int_values(out, (int32_t[]){2, 1}, 2, (int[]){1, 4});
    /* Lazily: the start is itself computed, and the input is transposed. */
    mx_array *t = NULL, *s1 = NULL, *s2 = NULL, *sum = NULL;
    CHECK_OK(mx_transpose(&t, a, NULL, 0, NULL)); /* (3, 2): [[0,3],[1,4],[2,5]] */
    CHECK_OK(mx_array_from_int(&s1, 1, MX_INT32));
    CHECK_OK(mx_array_from_int(&s2, 1, MX_INT32));
    CHECK_OK(mx_add(&sum, s1, s2, NULL));
    CHECK_OK(mx_slice_dynamic(&out, t, sum, (int[]){0}, 1, (int32_t[]){1, 2}, 2, NULL));
    check_int_values(out, (int32_t[]){1, 2}, 2, (int[]){2, 5});
    CHECK_OK(mx_slice_dynamic(&out, t, sum, (int[]){0}, 1, (int32_t[]){0, 2}, 2, NULL));
    check_shape(out, (int32_t[]){0, 2}, 2);
    CHECK_OK(mx_eval(&out, 1));
    /* Errors, with MLX's messages. */
    mx_array *f = NULL, *b = NULL, *m2 = NULL;
    CHECK_OK(mx_array_from_float(&f, 1.0, MX_FLOAT32));
    CHECK_OK(mx_array_from_bool(&b, true));
    CHECK_ERR(mx_slice_dynamic(&out, a, f, (int[]){0}, 1, (int32_t[]){1, 2}, 2, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_slice_dynamic(&out, a, b, (int[]){0}, 1, (int32_t[]){1, 2}, 2, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_slice_dynamic(&out, a, st, (int[]){0}, 1, (int32_t[]){3, 2}, 2, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_slice_dynamic(&out, a, st, (int[]){0}, 1, (int32_t[]){2, -1}, 2, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_slice_dynamic(&out, a, st, (int[]){0}, 1, (int32_t[]){1}, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_slice_dynamic(&out, a, st, (int[]){2}, 1, (int32_t[]){1, 2}, 2, NULL),
              MX_ERR_INDEX);
    CHECK_ERR(mx_slice_dynamic(&out, a, st, NULL, 0, (int32_t[]){1, 2}, 2, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_array_from_data(&st, both, (int32_t[]){2}, 1, MX_INT32));
    CHECK_ERR(mx_slice_dynamic(&out, a, st, (int[]){0, 0}, 2, (int32_t[]){1, 2}, 2, NULL),
              MX_ERR_VALUE);
    CHECK_OK(mx_array_from_data(&m2, both, (int32_t[]){1, 2}, 2, MX_INT32));
    CHECK_ERR(mx_slice_dynamic(&out, a, m2, (int[]){0, 1}, 2, (int32_t[]){1, 2}, 2, NULL),
              MX_ERR_VALUE);
    mx_array *all[] = {a, out, st, t, s1, s2, sum, f, b, m2};
    for (int i = 0; i < 10; i++) mx_array_free(all[i]);
}

TEST(depends_and_stop_gradient) {
    mx_array *a = iota((int32_t[]){2, 2}, 2, MX_FLOAT32, 1), *b = NULL, *dep = NULL, *x = NULL;
    mx_array *outs[2] = {NULL, NULL};
    CHECK_OK(mx_array_from_float(&x, 2.0, MX_FLOAT32));
    CHECK_OK(mx_multiply(&b, a, x, NULL));
    CHECK_OK(mx_add(&dep, a, a, NULL));
    CHECK_OK(mx_depends(outs, (const mx_array *[]){a, b}, 2, (const mx_array *[]){dep}, 1));
    CHECK(mx_array_get_status(dep) == MX_ARRAY_UNSCHEDULED);
    CHECK_OK(mx_eval(&outs[0], 1));
    CHECK(mx_array_get_status(dep) == MX_ARRAY_AVAILABLE);
    check_int_values(outs[0], (int32_t[]){2, 2}, 2, (int[]){1, 2, 3, 4});
    check_int_values(outs[1], (int32_t[]){2, 2}, 2, (int[]){2, 4, 6, 8});
    CHECK(shares(a, outs[0]));
    /* Freed siblings still let the other output run. */
    mx_array *o2[2] = {NULL, NULL};
    CHECK_OK(mx_depends(o2, (const mx_array *[]){a, b}, 2, NULL, 0));
    mx_array_free(o2[0]);
    o2[0] = NULL;
    check_int_values(o2[1], (int32_t[]){2, 2}, 2, (int[]){2, 4, 6, 8});
    CHECK_OK(mx_depends(NULL, NULL, 0, (const mx_array *[]){dep}, 1));
    CHECK_ERR(mx_depends(outs, (const mx_array *[]){a, NULL}, 2, NULL, 0), MX_ERR_VALUE);

    mx_array *sg = NULL;
    CHECK_OK(mx_stop_gradient(&sg, b, NULL));
    check_int_values(sg, (int32_t[]){2, 2}, 2, (int[]){2, 4, 6, 8});
    CHECK(shares(b, sg));
    CHECK_ERR(mx_stop_gradient(NULL, b, NULL), MX_ERR_VALUE);
    mx_array *all[] = {a, b, dep, x, outs[0], outs[1], o2[1], sg};
    for (int i = 0; i < 8; i++) mx_array_free(all[i]);
}

/* Big outputs are written with streaming stores: force them on small ones. */
TEST(streaming_stores) {
    mxi_stream_set_threshold(0);
    const int32_t lens[3] = {2, 3, 1};
    for (int l = 0; l < L_COUNT; l++)
        for (int ax = 0; ax < 3; ax++) {
            concat_case(MX_FLOAT32, l, ax, lens, 3);
            concat_case(MX_UINT8, l, ax, lens, 3);
        }
    for (int l = 0; l < L_COUNT; l++) {
        mx_array *x = iota((int32_t[]){3, 2, 5}, 3, MX_INT16, 1), *v = variant(x, l);
        pad_case(v, (int32_t[]){1, 0, 2}, (int32_t[]){0, 2, 1}, M_CONSTANT, NULL, 0, "streamed");
        pad_case(v, (int32_t[]){2, 1, 3}, (int32_t[]){1, 3, 2}, M_REFLECT, NULL, 0, "streamed");
        mx_array_free(x);
        mx_array_free(v);
    }
    mxi_stream_set_threshold(-1);
}

/* A failed call leaves the output slot alone and the library working. */
TEST(errors_leave_state_intact) {
    mx_array *a = iota((int32_t[]){2, 3}, 2, MX_INT32, 0),
             *keep = iota((int32_t[]){1}, 1, MX_INT32, 4);
    mx_array *out = mx_array_retain(keep);
    CHECK_ERR(mx_concatenate(&out, (const mx_array *[]){a, keep}, 2, 0, NULL), MX_ERR_VALUE);
    CHECK(out == keep);
    mx_array *parts[3] = {mx_array_retain(keep), NULL, NULL};
    CHECK_ERR(mx_split(parts, a, 4, 1, NULL), MX_ERR_VALUE);
    CHECK(parts[0] == keep && parts[1] == NULL);
    CHECK_ERR(mx_view(&out, a, MX_INT64, NULL), MX_ERR_VALUE);
    CHECK(out == keep);
    CHECK_ERR(mx_flatten(NULL, a, 0, -1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_squeeze(&out, NULL, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_concatenate(&out, (const mx_array *[]){a, a}, 2, 1, NULL));
    check_shape(out, (int32_t[]){2, 6}, 2);
    CHECK_OK(mx_eval(&out, 1));
    mx_array_free(parts[0]);
    mx_array_free(a);
    mx_array_free(keep);
    mx_array_free(out);
}

int main(void) {
    RUN(flatten_unflatten);
    RUN(squeeze_expand_dims_atleast);
    RUN(flip_and_permutations);
    RUN(broadcasting);
    RUN(concatenate_values);
    RUN(concatenate_promotion_and_errors);
    RUN(split_and_unstack);
    RUN(repeat_and_tile);
    RUN(pad_constant);
    RUN(pad_edge_reflect_symmetric);
    RUN(roll_values);
    RUN(as_strided_views);
    RUN(diagonal_and_diag);
    RUN(view_dtype);
    RUN(contiguous_copies_only_when_needed);
    RUN(dynamic_slice);
    RUN(depends_and_stop_gradient);
    RUN(streaming_stores);
    RUN(errors_leave_state_intact);
    return TEST_SUMMARY();
}
