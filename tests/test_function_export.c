/*
 * Function export: export then import gives the eager values (MLP,
 * elementwise chains, reductions, matmul with captured constants), several
 * traces per file, shapeless files, wrong calls and corrupted files.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "transforms_fd.h"

#define TRY(x)                                                                                     \
    do {                                                                                           \
        rc = (x);                                                                                  \
        if (rc) goto done;                                                                         \
    } while (0)

static char path[256];

/* exp(x) * y + x */
static int f_chain(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *e = NULL, *m = NULL, *r = NULL, *h = NULL, *k = NULL;
    int rc = MX_OK;
    TRY(mx_exp(&e, in->data[0], NULL));
    TRY(mx_multiply(&m, e, in->data[1], NULL));
    TRY(mx_add(&r, m, in->data[0], NULL));
    TRY(mx_array_from_float(&k, 0.5, mx_array_dtype(r)));
    TRY(mx_multiply(&h, r, k, NULL));
    rc = mx_vec_push(o, h);
    h = NULL;
done:
    mx_array_free(e);
    mx_array_free(m);
    mx_array_free(r);
    mx_array_free(h);
    mx_array_free(k);
    return rc;
}

/* relu(x @ w1 + b1) @ w2 + b2 */
static int f_mlp(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *h = NULL, *hb = NULL, *z = NULL, *r = NULL, *y = NULL, *yb = NULL;
    int rc = MX_OK;
    TRY(mx_matmul(&h, in->data[0], in->data[1], NULL));
    TRY(mx_add(&hb, h, in->data[2], NULL));
    TRY(mx_array_from_float(&z, 0, mx_array_dtype(hb)));
    TRY(mx_maximum(&r, hb, z, NULL));
    TRY(mx_matmul(&y, r, in->data[3], NULL));
    TRY(mx_add(&yb, y, in->data[4], NULL));
    rc = mx_vec_push(o, yb);
    yb = NULL;
done:
    mx_array_free(h);
    mx_array_free(hb);
    mx_array_free(z);
    mx_array_free(r);
    mx_array_free(y);
    mx_array_free(yb);
    return rc;
}

/* kinds with parameters beyond a shape rule: slice, softmax, take, sort,
 * cumsum, argmax, rms_norm, concatenate, pad, scatter_add, tril */
static int f_kinds(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *v[16] = {0}, *x = in->data[0];
    int32_t b[2] = {1, 3}, e[2] = {3, -5}, st[2] = {1, -1}, two[1] = {2}, lo[2] = {1, 0},
            hi[2] = {0, 2}, w3[1] = {4}, a34[2] = {3, 4};
    static const int32_t iv[2] = {2, 0};
    int ax0 = 0, ax1 = 1, rc = MX_OK, n = 0, key = 0;
    TRY(mx_array_from_data(&v[n++], iv, two, 1, MX_INT32));
    TRY(mx_slice(&v[n++], x, b, e, st, 2, NULL));
    TRY(mx_softmax_axes(&v[n++], x, &ax1, 1, false, NULL));
    TRY(mx_take_axis(&v[n++], x, v[0], 0, NULL));
    TRY(mx_sort_axis(&v[n++], x, 1, NULL));
    TRY(mx_cumsum_axis(&v[n++], x, 0, true, true, MX_DTYPE_NONE, NULL));
    TRY(mx_argmax_axis(&v[n++], x, 1, false, NULL));
    TRY(mx_ones(&v[n++], w3, 1, MX_FLOAT32, NULL));
    TRY(mx_fast_rms_norm(&v[n++], x, v[7], 1e-5f, NULL));
    const mx_array *xx[2] = {x, x};
    TRY(mx_concatenate(&v[n++], xx, 2, 0, NULL));
    int both[2] = {0, 1};
    TRY(mx_pad(&v[n++], x, both, 2, lo, hi, NULL, "constant", NULL));
    TRY(mx_tril(&v[n++], x, 0, NULL));
    key = n;
    TRY(mx_random_key(&v[n++], 3));
    TRY(mx_random_bits(&v[n++], a34, 2, 2, v[key], NULL));
    (void)ax0;
    for (int i = 1; i < n && !rc; i++)
        if (i != key) rc = mx_vec_append(o, v[i]); /* the key is an input of bits */
done:
    for (int i = 0; i < 16; i++) mx_array_free(v[i]);
    return rc;
}

static int f_ew_add(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL;
    int rc = mx_add(&r, in->data[0], in->data[1], NULL);
    if (!rc) rc = mx_vec_push(o, r);
    return rc;
}

static mx_array *weight; /* captured by f_reduce: written as a constant */

/* sum(x @ W, axis 1), max(x, axis 0 keepdims), mean(x): three outputs */
static int f_reduce(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *m = NULL, *s = NULL, *mx = NULL, *me = NULL;
    int one = 1, zero = 0, rc = MX_OK;
    TRY(mx_matmul(&m, in->data[0], weight, NULL));
    TRY(mx_sum_axes(&s, m, &one, 1, false, NULL));
    TRY(mx_max_axes(&mx, in->data[0], &zero, 1, true, NULL));
    TRY(mx_mean_axes(&me, in->data[0], NULL, 0, false, NULL));
    TRY(mx_vec_push(o, s));
    s = NULL;
    TRY(mx_vec_push(o, mx));
    mx = NULL;
    rc = mx_vec_push(o, me);
    me = NULL;
done:
    mx_array_free(m);
    mx_array_free(s);
    mx_array_free(mx);
    mx_array_free(me);
    return rc;
}

static void expect_same(mx_closure *f, mx_closure *g, const mx_vec *in, double tol) {
    mx_vec eo = {0}, go = {0};
    CHECK_OK(mx_closure_apply(f, &eo, in));
    CHECK_OK(mx_closure_apply(g, &go, in));
    CHECK(eo.size == go.size);
    for (int i = 0; i < eo.size && i < go.size; i++) {
        mx_array *a = eo.data[i], *b = go.data[i];
        CHECK(mx_array_dtype(a) == mx_array_dtype(b));
        CHECK(mx_array_ndim(a) == mx_array_ndim(b));
        CHECK(mx_array_size(a) == mx_array_size(b));
        if (mx_array_size(a) != mx_array_size(b)) continue;
        for (int d = 0; d < mx_array_ndim(a); d++)
            CHECK(mx_array_shape(a)[d] == mx_array_shape(b)[d]);
        double *x = fd_read(a), *y = fd_read(b);
        for (size_t k = 0; k < mx_array_size(a); k++) {
            if (isnan(x[k]) || isnan(y[k]))
                CHECK(isnan(x[k]) && isnan(y[k]));
            else
                CHECK_NEAR(x[k], y[k], tol * (1 + fabs(x[k])));
        }
        free(x);
        free(y);
    }
    mx_vec_clear(&eo);
    mx_vec_clear(&go);
}

static mx_vec inputs_of(int n, const int32_t *const *shapes, const int *nds, mx_dtype dt,
                        int layout) {
    mx_vec v = {0};
    for (int i = 0; i < n; i++)
        CHECK_OK(mx_vec_push(&v, fd_input(shapes[i], nds[i], -2, 2, i ? FD_DENSE : layout, dt)));
    return v;
}

TEST(mlp_round_trip) {
    mx_closure *f = fd_fn(f_mlp), *g = NULL;
    int32_t x[2] = {4, 8}, w1[2] = {8, 16}, b1[1] = {16}, w2[2] = {16, 3}, b2[1] = {3};
    const int32_t *shapes[5] = {x, w1, b1, w2, b2};
    int nds[5] = {2, 2, 1, 2, 1};
    mx_vec in = inputs_of(5, shapes, nds, MX_FLOAT32, FD_TRANSPOSED);
    CHECK_OK(mx_export_function(path, f, &in, false));
    CHECK_OK(mx_import_function(&g, path));
    expect_same(f, g, &in, 1e-5);
    /* new values, same signature */
    mx_vec in2 = inputs_of(5, shapes, nds, MX_FLOAT32, FD_DENSE);
    expect_same(f, g, &in2, 1e-5);
    /* another shape is not in the file */
    x[0] = 5;
    mx_vec in3 = inputs_of(5, shapes, nds, MX_FLOAT32, FD_DENSE), out = {0};
    CHECK_ERR(mx_closure_apply(g, &out, &in3), MX_ERR_VALUE);
    mx_vec_clear(&in);
    mx_vec_clear(&in2);
    mx_vec_clear(&in3);
    mx_closure_free(g);
    mx_closure_free(f);
}

TEST(several_traces) {
    mx_closure *f = fd_fn(f_chain), *g = NULL;
    mx_exporter *e = NULL;
    CHECK_OK(mx_exporter_new(&e, path, f, false));
    int32_t a[2] = {5, 7}, b[1] = {4}, c[2] = {0, 3};
    const int32_t *sa[2] = {a, a}, *sb[2] = {b, b}, *sc[2] = {c, c}, *s0[2] = {NULL, NULL};
    int n2[2] = {2, 2}, n1[2] = {1, 1}, n0[2] = {0, 0};
    mx_vec i1 = inputs_of(2, sa, n2, MX_FLOAT32, FD_TRANSPOSED);
    mx_vec i2 = inputs_of(2, sb, n1, MX_FLOAT64, FD_DENSE);
    mx_vec i3 = inputs_of(2, sc, n2, MX_FLOAT32, FD_DENSE);
    mx_vec i4 = inputs_of(2, s0, n0, MX_FLOAT16, FD_DENSE);
    CHECK_OK(mx_exporter_add(e, &i1));
    CHECK_OK(mx_exporter_add(e, &i2));
    CHECK_OK(mx_exporter_add(e, &i3));
    CHECK_OK(mx_exporter_add(e, &i4));
    /* the same signature twice */
    CHECK_ERR(mx_exporter_add(e, &i1), MX_ERR_VALUE);
    CHECK_OK(mx_exporter_close(e));
    CHECK_OK(mx_import_function(&g, path));
    expect_same(f, g, &i1, 1e-6);
    expect_same(f, g, &i2, 1e-12);
    expect_same(f, g, &i3, 1e-6);
    expect_same(f, g, &i4, 1e-3);
    /* NaN and inf go through */
    float sp[4] = {NAN, INFINITY, -INFINITY, -0.0f};
    mx_vec i5 = {0}, out = {0};
    CHECK_OK(mx_vec_push(&i5, test_vec_f32(sp, 4)));
    CHECK_OK(mx_vec_push(&i5, test_vec_f32(sp, 4)));
    CHECK_ERR(mx_closure_apply(g, &out, &i5), MX_ERR_VALUE); /* shape (4,) was not traced */
    /* wrong number of inputs or dtype */
    mx_vec one = {0};
    CHECK_OK(mx_vec_append(&one, i1.data[0]));
    CHECK_ERR(mx_closure_apply(g, &out, &one), MX_ERR_VALUE);
    mx_vec i6 = inputs_of(2, sa, n2, MX_FLOAT64, FD_DENSE);
    CHECK_ERR(mx_closure_apply(g, &out, &i6), MX_ERR_VALUE);
    mx_vec_clear(&i1);
    mx_vec_clear(&i2);
    mx_vec_clear(&i3);
    mx_vec_clear(&i4);
    mx_vec_clear(&i5);
    mx_vec_clear(&i6);
    mx_vec_clear(&one);
    mx_closure_free(g);
    mx_closure_free(f);
}

TEST(reductions_and_constants) {
    int32_t ws[2] = {6, 5}, xs[2] = {3, 6};
    weight = fd_input(ws, 2, -1, 1, FD_TRANSPOSED, MX_FLOAT32);
    mx_closure *f = fd_fn(f_reduce), *g = NULL;
    mx_vec in = {0};
    CHECK_OK(mx_vec_push(&in, fd_input(xs, 2, -3, 3, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_export_function(path, f, &in, false));
    CHECK_OK(mx_import_function(&g, path));
    /* the constant lives in the file: changing the captured array later
     * does not change the imported function */
    mx_vec eo = {0};
    CHECK_OK(mx_closure_apply(f, &eo, &in));
    mx_array_free(weight);
    weight = fd_input(ws, 2, 5, 6, FD_DENSE, MX_FLOAT32);
    mx_vec go = {0};
    CHECK_OK(mx_closure_apply(g, &go, &in));
    CHECK(go.size == 3);
    for (int i = 0; i < 3 && go.size == 3; i++) {
        double *x = fd_read(eo.data[i]), *y = fd_read(go.data[i]);
        for (size_t k = 0; k < mx_array_size(eo.data[i]); k++)
            CHECK_NEAR(x[k], y[k], 1e-5 * (1 + fabs(x[k])));
        free(x);
        free(y);
    }
    mx_vec_clear(&eo);
    mx_vec_clear(&go);
    mx_vec_clear(&in);
    mx_array_free(weight);
    weight = NULL;
    mx_closure_free(g);
    mx_closure_free(f);
}

TEST(shapeless) {
    mx_closure *f = fd_fn(f_chain), *g = NULL;
    int32_t a[2] = {5, 7}, b[2] = {2, 3}, c[1] = {9};
    const int32_t *sa[2] = {a, a}, *sb[2] = {b, b}, *sc[2] = {c, c};
    int n2[2] = {2, 2}, n1[2] = {1, 1};
    mx_vec i1 = inputs_of(2, sa, n2, MX_FLOAT32, FD_DENSE);
    mx_vec i2 = inputs_of(2, sb, n2, MX_FLOAT32, FD_TRANSPOSED);
    mx_vec i3 = inputs_of(2, sc, n1, MX_FLOAT32, FD_DENSE), out = {0};
    CHECK_OK(mx_export_function(path, f, &i1, true));
    CHECK_OK(mx_import_function(&g, path));
    expect_same(f, g, &i1, 1e-6);
    expect_same(f, g, &i2, 1e-6);
    /* ndim still has to match */
    CHECK_ERR(mx_closure_apply(g, &out, &i3), MX_ERR_VALUE);
    mx_vec_clear(&i1);
    mx_vec_clear(&i2);
    mx_vec_clear(&i3);
    mx_closure_free(g);
    mx_closure_free(f);
}

/* Kinds with shape rules on (x, w, c, i): h = x @ w, its reshape to -1,
 * transpose, sum, argmax, logsumexp and diagonal, x[1:3], take_along_axis
 * of h by i, x concatenated with itself, x padded, addmm(c, x, w) and a
 * softmax of h spelled out. */
static int f_shaped(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *x = in->data[0], *w = in->data[1], *c = in->data[2], *i = in->data[3];
    mx_array *v[20] = {0}, *h = NULL, *mxh = NULL, *e = NULL, *se = NULL, *d = NULL;
    int32_t flat[1] = {-1}, b[2] = {1, 0}, en[2] = {3, INT32_MAX}, st[2] = {1, 1}, lo[2] = {1, 0},
            hi[2] = {0, 2};
    int perm[2] = {1, 0}, one = 1, both[2] = {0, 1}, rc = MX_OK, n = 0;
    TRY(mx_matmul(&h, x, w, NULL));
    TRY(mx_vec_append(o, h));
    TRY(mx_reshape(&v[n++], h, flat, 1, NULL));
    TRY(mx_transpose(&v[n++], h, perm, 2, NULL));
    TRY(mx_sum_axes(&v[n++], h, &one, 1, false, NULL));
    TRY(mx_argmax_axis(&v[n++], h, 1, false, NULL));
    TRY(mx_logsumexp_axes(&v[n++], h, &one, 1, false, NULL));
    TRY(mx_diagonal(&v[n++], h, 0, 0, 1, NULL));
    TRY(mx_slice(&v[n++], x, b, en, st, 2, NULL));
    TRY(mx_take_along_axis(&v[n++], h, i, 1, NULL));
    const mx_array *xx[2] = {x, x};
    TRY(mx_concatenate(&v[n++], xx, 2, 0, NULL));
    TRY(mx_pad(&v[n++], x, both, 2, lo, hi, NULL, "constant", NULL));
    TRY(mx_addmm(&v[n++], c, x, w, 2.0f, 0.5f, NULL));
    TRY(mx_max_axes(&mxh, h, &one, 1, true, NULL));
    TRY(mx_subtract(&d, h, mxh, NULL));
    TRY(mx_exp(&e, d, NULL));
    TRY(mx_sum_axes(&se, e, &one, 1, true, NULL));
    TRY(mx_divide(&v[n++], e, se, NULL));
    for (int k = 0; k < n && !rc; k++) rc = mx_vec_append(o, v[k]);
done:
    for (int k = 0; k < 20; k++) mx_array_free(v[k]);
    mx_array_free(h);
    mx_array_free(mxh);
    mx_array_free(e);
    mx_array_free(se);
    mx_array_free(d);
    return rc;
}

/* x (n, d), w (d, k), c (n, k), i (n, 1) holding 0 and k - 1 */
static mx_vec shaped_inputs(int n, int d, int k) {
    int32_t sx[2] = {n, d}, sw[2] = {d, k}, sc[2] = {n, k}, si[2] = {n, 1};
    const int32_t *sh[3] = {sx, sw, sc};
    int nds[3] = {2, 2, 2};
    mx_vec v = inputs_of(3, sh, nds, MX_FLOAT32, FD_TRANSPOSED);
    int32_t idx[64];
    for (int r = 0; r < n && r < 64; r++) idx[r] = r % 2 ? k - 1 : 0;
    mx_array *i = NULL;
    CHECK_OK(mx_array_from_data(&i, idx, si, 2, MX_INT32));
    CHECK_OK(mx_vec_push(&v, i));
    return v;
}

TEST(shapeless_kinds) {
    mx_closure *f = fd_fn(f_shaped), *g = NULL;
    mx_vec in = shaped_inputs(4, 3, 2), out = {0};
    CHECK_OK(mx_export_function(path, f, &in, true));
    CHECK_OK(mx_import_function(&g, path));
    expect_same(f, g, &in, 1e-5);
    mx_vec_clear(&in);
    /* other shapes, each twice (the second call finds the checked tape) */
    static const int dims[][3] = {{6, 5, 7}, {3, 4, 3}, {8, 2, 1}, {6, 5, 7}, {3, 4, 3}};
    for (int k = 0; k < 5; k++) {
        in = shaped_inputs(dims[k][0], dims[k][1], dims[k][2]);
        expect_same(f, g, &in, 1e-4);
        mx_vec_clear(&in);
    }
    /* shapes the trace does not fit: refused, naming the op */
    in = shaped_inputs(6, 5, 7);
    mx_array *w = NULL; /* inner sizes 5 and 4 */
    int32_t sw[2] = {4, 7};
    w = fd_input(sw, 2, -1, 1, FD_DENSE, MX_FLOAT32);
    mx_array_free(in.data[1]);
    in.data[1] = w;
    CHECK_ERR(mx_closure_apply(g, &out, &in), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "Matmul") != NULL);
    mx_vec_clear(&in);
    in = shaped_inputs(2, 3, 2); /* x[1:3] past the end of 2 rows */
    CHECK_ERR(mx_closure_apply(g, &out, &in), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "Slice") != NULL);
    mx_vec_clear(&in);
    in = shaped_inputs(6, 5, 7); /* indices of other rows than h */
    int32_t si[2] = {5, 1}, zero[5] = {0};
    mx_array_free(in.data[3]);
    in.data[3] = NULL;
    CHECK_OK(mx_array_from_data(&in.data[3], zero, si, 2, MX_INT32));
    CHECK_ERR(mx_closure_apply(g, &out, &in), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "GatherAxis") != NULL);
    mx_vec_clear(&in);
    in = shaped_inputs(6, 5, 7); /* c that does not broadcast to x @ w */
    int32_t sc[2] = {2, 7};
    mx_array_free(in.data[2]);
    in.data[2] = fd_input(sc, 2, -1, 1, FD_DENSE, MX_FLOAT32);
    CHECK_ERR(mx_closure_apply(g, &out, &in), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "AddMM") != NULL);
    mx_vec_clear(&in);
    /* and the function still works */
    in = shaped_inputs(5, 3, 4);
    expect_same(f, g, &in, 1e-4);
    mx_vec_clear(&in);
    /* every single-byte change of the file loads and runs at a new shape,
     * or fails cleanly */
    mx_closure_free(g);
    g = NULL;
    size_t len = 0;
    unsigned char *good = test_read_file(path, &len), *bytes = malloc(len ? len : 1);
    mx_vec small = shaped_inputs(3, 2, 2);
    for (size_t k = 0; good && k < len; k++) {
        memcpy(bytes, good, len);
        bytes[k] ^= 0x41;
        if (mx_import_function_bytes(&g, bytes, len) == MX_OK) {
            if (mx_closure_apply(g, &out, &small) == MX_OK) mx_eval(out.data, (size_t)out.size);
            mx_vec_clear(&out);
            mx_closure_free(g);
            g = NULL;
        }
        mx_clear_error();
    }
    free(bytes);
    free(good);
    mx_vec_clear(&small);
    CHECK_OK(mx_import_function(&g, path));
    /* more shapes than the cache keeps */
    for (int k = 1; k <= 20; k++) {
        in = shaped_inputs(3 + k % 3, 1 + k, 1 + k % 4);
        expect_same(f, g, &in, 1e-4);
        mx_vec_clear(&in);
    }
    mx_closure_free(g);
    mx_closure_free(f);
}

TEST(wrong_calls) {
    mx_closure *f = fd_fn(f_chain), *g = NULL;
    mx_exporter *e = NULL;
    mx_vec in = {0};
    CHECK_ERR(mx_exporter_new(NULL, path, f, false), MX_ERR_VALUE);
    CHECK_ERR(mx_exporter_new(&e, NULL, f, false), MX_ERR_VALUE);
    CHECK_ERR(mx_exporter_new(&e, path, NULL, false), MX_ERR_VALUE);
    CHECK_ERR(mx_exporter_add(NULL, &in), MX_ERR_VALUE);
    CHECK_OK(mx_exporter_new(&e, path, f, false));
    CHECK_ERR(mx_exporter_add(e, NULL), MX_ERR_VALUE);
    CHECK_OK(mx_exporter_close(NULL));
    /* nothing was added */
    mx_exporter *e2 = NULL;
    CHECK_OK(mx_exporter_new(&e2, path, f, false));
    CHECK_ERR(mx_exporter_close(e2), MX_ERR_VALUE);
    mx_exporter_close(e);
    mx_clear_error();
    CHECK_ERR(mx_import_function(NULL, path), MX_ERR_VALUE);
    CHECK_ERR(mx_import_function(&g, NULL), MX_ERR_VALUE);
    CHECK(mx_import_function(&g, "/nonexistent/dir/f.mlxfn") != MX_OK);
    CHECK_ERR(mx_import_function_bytes(&g, "", 0), MX_ERR_VALUE);
    CHECK_ERR(mx_import_function_bytes(&g, "NOTAFUNCTIONFILE", 16), MX_ERR_VALUE);
    int32_t a[1] = {3};
    const int32_t *sa[2] = {a, a};
    int n1[2] = {1, 1};
    in = inputs_of(2, sa, n1, MX_FLOAT32, FD_DENSE);
    CHECK(mx_export_function("/nonexistent/dir/f.mlxfn", f, &in, false) != MX_OK);
    mx_clear_error();
    mx_vec_clear(&in);
    mx_closure_free(f);
}

/* Offsets of parts of the file written for f_chain on one (2, 3) trace. */
static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

TEST(corrupted_files) {
    mx_closure *f = fd_fn(f_chain), *g = NULL;
    int32_t a[2] = {2, 3};
    const int32_t *sa[2] = {a, a};
    int n2[2] = {2, 2};
    mx_vec in = inputs_of(2, sa, n2, MX_FLOAT32, FD_DENSE), out = {0};
    CHECK_OK(mx_export_function(path, f, &in, false));
    size_t len = 0;
    unsigned char *good = test_read_file(path, &len);
    CHECK(good && len > 40);
    if (!good) return;
    CHECK_OK(mx_import_function_bytes(&g, good, len));
    mx_closure_free(g);
    g = NULL;
    /* every truncation, and a trailing byte */
    for (size_t n = 0; n < len; n++) CHECK_ERR(mx_import_function_bytes(&g, good, n), MX_ERR_VALUE);
    unsigned char *b = malloc(len + 1);
    memcpy(b, good, len);
    b[len] = 0;
    CHECK_ERR(mx_import_function_bytes(&g, b, len + 1), MX_ERR_VALUE);
    /* version, flags */
    put32(b + 8, 3);
    CHECK_ERR(mx_import_function_bytes(&g, b, len), MX_ERR_VALUE);
    memcpy(b, good, len);
    put32(b + 12, 7);
    CHECK_ERR(mx_import_function_bytes(&g, b, len), MX_ERR_VALUE);
    /* an unknown primitive name: the first kind's first letter */
    memcpy(b, good, len);
    b[22] = 'Q';
    CHECK_ERR(mx_import_function_bytes(&g, b, len), MX_ERR_VALUE);
    /* a huge kind count */
    memcpy(b, good, len);
    put32(b + 16, 0xfffffff0u);
    CHECK_ERR(mx_import_function_bytes(&g, b, len), MX_ERR_VALUE);
    /* every single-byte change either loads or fails cleanly; what loads
     * builds graphs whose calls fail cleanly or run */
    for (size_t i = 0; i < len; i++) {
        static const unsigned char vals[4] = {0x00, 0x01, 0x7f, 0xff};
        for (int v = 0; v < 4; v++) {
            memcpy(b, good, len);
            if (b[i] == vals[v]) continue;
            b[i] = vals[v];
            if (mx_import_function_bytes(&g, b, len) == MX_OK) {
                mx_closure_free(g);
                g = NULL;
            }
            mx_clear_error();
        }
    }
    free(b);
    free(good);
    mx_vec_clear(&in);
    mx_vec_clear(&out);
    mx_closure_free(f);
}

/* Every parameter byte of every op set to a few values: the file is
 * refused, or what it builds runs (sanitizers watch the kernels). */
TEST(kinds_and_forged_params) {
    mx_closure *f = fd_fn(f_kinds), *g = NULL;
    int32_t a[2] = {3, 4};
    const int32_t *sa[1] = {a};
    int n1[1] = {2};
    mx_vec in = inputs_of(1, sa, n1, MX_FLOAT32, FD_DENSE);
    CHECK_OK(mx_export_function(path, f, &in, false));
    CHECK_OK(mx_import_function(&g, path));
    if (g) expect_same(f, g, &in, 1e-6);
    mx_closure_free(g);
    g = NULL;
    size_t len = 0;
    unsigned char *good = test_read_file(path, &len), *b = malloc(len);
    int refused = 0, ran = 0;
    for (size_t i = 0; good && i < len; i++) {
        static const unsigned char vals[3] = {0x01, 0x40, 0xff};
        for (int k = 0; k < 3; k++) {
            memcpy(b, good, len);
            if (b[i] == vals[k]) continue;
            b[i] = vals[k];
            if (mx_import_function_bytes(&g, b, len) != MX_OK) {
                refused++;
                mx_clear_error();
                continue;
            }
            mx_vec out = {0};
            /* the ops of the captured values (ones, random bits) run too; a
             * forged shape may ask for gigabytes: valid, but not run here */
            size_t total = 0;
            bool called = mx_closure_apply(g, &out, &in) == MX_OK;
            for (int o = 0; called && o < out.size; o++) total += mx_array_nbytes(out.data[o]);
            if (called && out.size && total <= (1u << 20))
                ran += mx_eval(out.data, (size_t)out.size) == MX_OK;
            mx_clear_error();
            mx_vec_clear(&out);
            mx_closure_free(g);
            g = NULL;
        }
    }
    CHECK(refused > 0 && ran > 0);
    free(b);
    free(good);
    mx_vec_clear(&in);
    mx_closure_free(f);
}

/* x + y with y's slot claiming another dtype: the kernel would read y as
 * x's dtype, so the file is refused. */
TEST(forged_dtype) {
    mx_closure *f = fd_fn(f_ew_add), *g = NULL;
    int32_t a[2] = {2, 3};
    const int32_t *sa[2] = {a, a};
    int n2[2] = {2, 2};
    mx_vec in = inputs_of(2, sa, n2, MX_FLOAT32, FD_DENSE);
    CHECK_OK(mx_export_function(path, f, &in, false));
    size_t len = 0;
    unsigned char *b = test_read_file(path, &len);
    /* header 16, kinds: n (4) + "Add" (2 + 3), an empty constant pool 4,
     * n_traces 4, n_inputs 4, n_slots 4; slot 0 is 3 + 8 + 4 bytes; slot
     * 1's dtype follows its kind */
    size_t at = 16 + 4 + 5 + 4 + 4 + 8 + 15 + 1;
    CHECK(b && len > at && b[at] == MX_FLOAT32);
    if (b && len > at) {
        b[at] = MX_FLOAT16;
        CHECK_ERR(mx_import_function_bytes(&g, b, len), MX_ERR_VALUE);
        b[at] = MX_FLOAT64;
        CHECK_ERR(mx_import_function_bytes(&g, b, len), MX_ERR_VALUE);
    }
    free(b);
    mx_vec_clear(&in);
    mx_closure_free(f);
}

/* Keyword names are part of a trace's signature; metadata comes back. */
TEST(keyword_names) {
    mx_closure *f = fd_fn(f_ew_add), *g = NULL;
    int32_t a[2] = {2, 3};
    const int32_t *sa[2] = {a, a};
    int n2[2] = {2, 2};
    mx_vec in = inputs_of(2, sa, n2, MX_FLOAT32, FD_DENSE), out = {0};
    const char *y[1] = {"y"}, *z[1] = {"z"}, *bad[2] = {"b", "a"};
    mx_exporter *e = NULL;
    CHECK_OK(mx_exporter_new(&e, path, f, false));
    CHECK_ERR(mx_exporter_add_kw(e, &in, bad, 2), MX_ERR_VALUE); /* not ascending */
    CHECK_ERR(mx_exporter_add_kw(e, &in, y, 3), MX_ERR_VALUE);
    CHECK_OK(mx_exporter_add_kw(e, &in, y, 1));
    CHECK_ERR(mx_exporter_add_kw(e, &in, y, 1), MX_ERR_VALUE); /* the same signature */
    CHECK_OK(mx_exporter_add_kw(e, &in, z, 1));                /* other names: another */
    CHECK_ERR(mx_exporter_set_metadata(e, NULL, 3), MX_ERR_VALUE);
    CHECK_OK(mx_exporter_set_metadata(e, "{\"n\": 1}", 8));
    CHECK_OK(mx_exporter_close(e));
    CHECK_OK(mx_import_function(&g, path));
    if (g) {
        const char *md = NULL;
        size_t md_len = 0;
        CHECK_OK(mx_imported_metadata(g, &md, &md_len));
        CHECK(md && md_len == 8 && strcmp(md, "{\"n\": 1}") == 0);
        CHECK_ERR(mx_imported_metadata(f, &md, &md_len), MX_ERR_VALUE);
        CHECK_OK(mx_imported_apply_kw(g, &out, &in, y, 1));
        CHECK(out.size == 1);
        mx_vec_clear(&out);
        CHECK_OK(mx_imported_apply_kw(g, &out, &in, z, 1));
        mx_vec_clear(&out);
        const char *w[1] = {"w"};
        CHECK_ERR(mx_imported_apply_kw(g, &out, &in, w, 1), MX_ERR_VALUE);
        CHECK_ERR(mx_imported_apply_kw(g, &out, &in, NULL, 0), MX_ERR_VALUE);
        CHECK_OK(mx_closure_apply(g, &out, &in)); /* a plain call ignores names */
        mx_vec_clear(&out);
        CHECK_ERR(mx_imported_apply_kw(f, &out, &in, y, 1), MX_ERR_VALUE); /* not imported */
    }
    mx_closure_free(g);
    g = NULL;
    /* every single-byte change of the named file loads or fails cleanly */
    size_t len = 0;
    unsigned char *good = test_read_file(path, &len), *b = malloc(len);
    for (size_t i = 0; good && i < len; i++) {
        memcpy(b, good, len);
        b[i] ^= 0x41;
        if (mx_import_function_bytes(&g, b, len) == MX_OK) {
            if (mx_imported_apply_kw(g, &out, &in, y, 1) == MX_OK && out.size)
                mx_eval(out.data, (size_t)out.size);
            mx_vec_clear(&out);
            mx_closure_free(g);
            g = NULL;
        }
        mx_clear_error();
    }
    free(b);
    free(good);
    mx_vec_clear(&in);
    mx_closure_free(f);
}

int main(void) {
    snprintf(path, sizeof path, "/tmp/cmlx_test_fn_%d.mlxfn", (int)getpid());
    RUN(mlp_round_trip);
    RUN(several_traces);
    RUN(reductions_and_constants);
    RUN(shapeless);
    RUN(shapeless_kinds);
    RUN(wrong_calls);
    RUN(corrupted_files);
    RUN(kinds_and_forged_params);
    RUN(forged_dtype);
    RUN(keyword_names);
    unlink(path);
    return TEST_SUMMARY();
}
