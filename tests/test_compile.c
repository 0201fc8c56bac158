/*
 * compile: compiled against eager values, the cache (trace counts),
 * shapeless reuse, simplification seen through the tape size, captured
 * state, composition with grad, and wrong calls.
 */
#include "cpu/strided.h"
#include "transforms/compile_impl.h"
#include "transforms_fd.h"

static int runs; /* how many times a test function ran */

static int f_chain10(mx_vec *o, const mx_vec *in, void *p);

static mx_array *captured; /* read by f_captured */

/* exp(x + captured) */
static int f_captured(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *s = NULL, *e = NULL;
    int rc = mx_add(&s, in->data[0], captured, NULL);
    if (!rc) rc = mx_exp(&e, s, NULL);
    mx_array_free(s);
    return rc ? rc : mx_vec_push(o, e);
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        rc = (x);                                                                                  \
        if (rc) goto done;                                                                         \
    } while (0)

static int push_scalar(mx_array **k, double v, mx_dtype dt) {
    return mx_array_from_float(k, v, dt);
}

/* exp(x) * y + x */
static int f_chain(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    runs++;
    mx_array *e = NULL, *m = NULL, *r = NULL;
    int rc = MX_OK;
    TRY(mx_exp(&e, in->data[0], NULL));
    TRY(mx_multiply(&m, e, in->data[1], NULL));
    TRY(mx_add(&r, m, in->data[0], NULL));
    rc = mx_vec_push(o, r);
    r = NULL;
done:
    mx_array_free(e);
    mx_array_free(m);
    mx_array_free(r);
    return rc;
}

/* Every fusable family in one function: unary, binary with a broadcast
 * operand and a scalar, comparison, where, astype; two outputs. */
static int f_families(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    runs++;
    mx_dtype dt = mx_array_dtype(in->data[0]);
    mx_array *x = in->data[0], *b = in->data[1];
    mx_array *k = NULL, *t = NULL, *s = NULL, *c = NULL, *w = NULL, *n = NULL, *a = NULL,
             *sq = NULL, *mx = NULL, *r1 = NULL, *r2 = NULL, *h = NULL, *ab = NULL;
    int rc = MX_OK;
    TRY(push_scalar(&k, 0.5, dt));
    TRY(mx_tanh(&t, x, NULL));
    TRY(mx_sin(&s, b, NULL));
    TRY(mx_greater(&c, x, k, NULL));
    TRY(mx_where(&w, c, t, s, NULL));
    TRY(mx_negative(&n, w, NULL));
    TRY(mx_abs(&ab, x, NULL));
    TRY(mx_sqrt(&sq, ab, NULL));
    TRY(mx_maximum(&mx, n, sq, NULL));
    TRY(mx_subtract(&r1, mx, b, NULL));
    TRY(mx_astype(&h, r1, MX_FLOAT32, NULL));
    TRY(mx_multiply(&a, h, h, NULL));
    TRY(mx_vec_append(o, r1));
    TRY(mx_astype(&r2, a, dt, NULL));
    rc = mx_vec_push(o, r2);
    r2 = NULL;
done:
    mx_array_free(k);
    mx_array_free(t);
    mx_array_free(s);
    mx_array_free(c);
    mx_array_free(w);
    mx_array_free(n);
    mx_array_free(a);
    mx_array_free(sq);
    mx_array_free(mx);
    mx_array_free(r1);
    mx_array_free(r2);
    mx_array_free(h);
    mx_array_free(ab);
    return rc;
}

/* relu(x @ w1 + b1) @ w2 + b2 */
/* The FFT has no shape rule: shapeless compile refuses it. */
static int f_fft(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *f = NULL;
    int rc = mx_fft_fft(&f, in->data[0], MX_FFT_N_DEFAULT, -1, MX_FFT_NORM_BACKWARD, NULL);
    return rc ? rc : mx_vec_push(o, f);
}

static int f_mlp(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *h = NULL, *hb = NULL, *z = NULL, *r = NULL, *y = NULL, *yb = NULL;
    int rc = MX_OK;
    TRY(mx_matmul(&h, in->data[0], in->data[1], NULL));
    TRY(mx_add(&hb, h, in->data[2], NULL));
    TRY(push_scalar(&z, 0, mx_array_dtype(hb)));
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

/* softmax(q @ k^T / sqrt(d)) @ v, spelled out */
static int f_attention(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *kt = NULL, *s = NULL, *c = NULL, *sc = NULL, *m = NULL, *d = NULL, *e = NULL,
             *sum = NULL, *pr = NULL, *out = NULL;
    int ax = -1, rc = MX_OK;
    TRY(mx_swapaxes(&kt, in->data[1], -1, -2, NULL));
    TRY(mx_matmul(&s, in->data[0], kt, NULL));
    TRY(push_scalar(&c, 0.25, mx_array_dtype(s)));
    TRY(mx_multiply(&sc, s, c, NULL));
    TRY(mx_max_axes(&m, sc, &ax, 1, true, NULL));
    TRY(mx_subtract(&d, sc, m, NULL));
    TRY(mx_exp(&e, d, NULL));
    TRY(mx_sum_axes(&sum, e, &ax, 1, true, NULL));
    TRY(mx_divide(&pr, e, sum, NULL));
    TRY(mx_matmul(&out, pr, in->data[2], NULL));
    rc = mx_vec_push(o, out);
    out = NULL;
done:
    mx_array_free(kt);
    mx_array_free(s);
    mx_array_free(c);
    mx_array_free(sc);
    mx_array_free(m);
    mx_array_free(d);
    mx_array_free(e);
    mx_array_free(sum);
    mx_array_free(pr);
    mx_array_free(out);
    return rc;
}

/* Compiled and eager outputs agree (NaN where NaN). */
static void expect_same(mx_closure *f, mx_closure *cf, const mx_vec *in, double tol) {
    mx_vec eo = {0}, co = {0};
    CHECK_OK(mx_closure_apply(f, &eo, in));
    CHECK_OK(mx_closure_apply(cf, &co, in));
    CHECK(eo.size == co.size);
    for (int i = 0; i < eo.size && i < co.size; i++) {
        mx_array *a = eo.data[i], *b = co.data[i];
        CHECK(mx_array_dtype(a) == mx_array_dtype(b));
        CHECK(mx_array_ndim(a) == mx_array_ndim(b));
        CHECK(mx_array_size(a) == mx_array_size(b));
        if (mx_array_size(a) != mx_array_size(b)) continue;
        for (int d = 0; d < mx_array_ndim(a); d++)
            CHECK(mx_array_shape(a)[d] == mx_array_shape(b)[d]);
        double *x = fd_read(a), *y = fd_read(b);
        for (size_t k = 0; k < mx_array_size(a); k++) {
            if (isnan(x[k]) || isnan(y[k])) {
                CHECK(isnan(x[k]) && isnan(y[k]));
            } else if (isinf(x[k]) || isinf(y[k])) {
                CHECK(x[k] == y[k]);
            } else {
                CHECK_NEAR(x[k], y[k], tol * (1 + fabs(x[k])));
            }
        }
        free(x);
        free(y);
    }
    mx_vec_clear(&eo);
    mx_vec_clear(&co);
}

static int traces(mx_closure *cf) {
    int n = -1;
    CHECK_OK(mxi_compile_stats(cf, &n, NULL));
    return n;
}

static int tape_ops(mx_closure *cf) {
    int n = -1;
    CHECK_OK(mxi_compile_stats(cf, NULL, &n));
    return n;
}

static mx_vec inputs2(const int32_t *shape, int nd, mx_dtype dt, int layout) {
    mx_vec v = {0};
    CHECK_OK(mx_vec_push(&v, fd_input(shape, nd, -2, 2, layout, dt)));
    CHECK_OK(mx_vec_push(&v, fd_input(shape, nd, -2, 2, FD_DENSE, dt)));
    return v;
}

TEST(chain_matches_and_caches) {
    mx_closure *f = fd_fn(f_chain), *cf = NULL;
    CHECK_OK(mx_compile(&cf, f, NULL));
    int32_t shape[2] = {5, 7};
    mx_dtype dts[3] = {MX_FLOAT32, MX_FLOAT64, MX_FLOAT16};
    for (int d = 0; d < 3; d++)
        for (int layout = 0; layout < 3; layout++) {
            mx_vec in = inputs2(shape, 2, dts[d], layout);
            expect_same(f, cf, &in, dts[d] == MX_FLOAT16 ? 1e-3 : 1e-6);
            mx_vec_clear(&in);
        }
    /* one trace per dtype: layouts do not matter */
    CHECK(traces(cf) == 3);
    runs = 0;
    mx_vec in = inputs2(shape, 2, MX_FLOAT32, FD_DENSE), out = {0};
    CHECK_OK(mx_closure_apply(cf, &out, &in));
    CHECK_OK(mx_closure_apply(cf, &out, &in));
    CHECK(runs == 0 && traces(cf) == 3);
    /* a new shape is a new trace; 0-d and empty inputs too */
    int32_t other[1] = {4}, empty[2] = {0, 3};
    mx_vec in2 = inputs2(other, 1, MX_FLOAT32, FD_DENSE), in3 = inputs2(NULL, 0, MX_FLOAT32, 0),
           in4 = inputs2(empty, 2, MX_FLOAT32, FD_DENSE);
    expect_same(f, cf, &in2, 1e-6);
    expect_same(f, cf, &in3, 1e-6);
    expect_same(f, cf, &in4, 1e-6);
    CHECK(traces(cf) == 6);
    /* NaN and inf go through */
    float sp[4] = {NAN, INFINITY, -INFINITY, -0.0f};
    mx_vec in5 = {0};
    CHECK_OK(mx_vec_push(&in5, test_vec_f32(sp, 4)));
    CHECK_OK(mx_vec_push(&in5, test_vec_f32(sp, 4)));
    expect_same(f, cf, &in5, 1e-6);
    mx_vec_clear(&in);
    mx_vec_clear(&in2);
    mx_vec_clear(&in3);
    mx_vec_clear(&in4);
    mx_vec_clear(&in5);
    mx_vec_clear(&out);
    mx_closure_free(cf);
    mx_closure_free(f);
}

/* Several tiles and a ragged last one, split over the pool, with the
 * outputs written by streaming stores (threshold 0) and by plain copies:
 * the same values as eager, bit for bit. */
TEST(tiles_and_streaming_match) {
    mx_closure_fn fns[2] = {f_chain, f_chain10};
    int32_t shape[2] = {97, 1031};
    for (int w = 0; w < 2; w++) {
        mx_closure *f = fd_fn(fns[w]), *cf = NULL;
        CHECK_OK(mx_compile(&cf, f, NULL));
        for (int pass = 0; pass < 2; pass++) {
            mxi_stream_set_threshold(pass ? 0 : -1);
            for (int layout = 0; layout < 3; layout++) {
                mx_vec in = inputs2(shape, 2, MX_FLOAT32, layout);
                expect_same(f, cf, &in, 0);
                mx_vec_clear(&in);
            }
        }
        mxi_stream_set_threshold(-1);
        mx_closure_free(cf);
        mx_closure_free(f);
    }
}

TEST(families_match) {
    mx_closure *f = fd_fn(f_families), *cf = NULL;
    CHECK_OK(mx_compile(&cf, f, NULL));
    int32_t shape[2] = {33, 65}, row[1] = {65};
    mx_dtype dts[2] = {MX_FLOAT32, MX_FLOAT64};
    for (int d = 0; d < 2; d++)
        for (int layout = 0; layout < 3; layout++) {
            mx_vec in = {0};
            CHECK_OK(mx_vec_push(&in, fd_input(shape, 2, -2, 2, layout, dts[d])));
            /* the second input broadcasts along the first axis */
            CHECK_OK(mx_vec_push(&in, fd_input(row, 1, -2, 2, FD_DENSE, dts[d])));
            expect_same(f, cf, &in, 1e-6);
            mx_vec_clear(&in);
        }
    mx_closure_free(cf);
    mx_closure_free(f);
}

TEST(whole_functions_match) {
    mx_closure *f = fd_fn(f_mlp), *cf = NULL;
    CHECK_OK(mx_compile(&cf, f, NULL));
    int32_t xs[2] = {4, 6}, w1[2] = {6, 8}, b1[1] = {8}, w2[2] = {8, 3}, b2[1] = {3};
    mx_vec in = {0};
    CHECK_OK(mx_vec_push(&in, fd_input(xs, 2, -1, 1, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_vec_push(&in, fd_input(w1, 2, -1, 1, FD_TRANSPOSED, MX_FLOAT32)));
    CHECK_OK(mx_vec_push(&in, fd_input(b1, 1, -1, 1, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_vec_push(&in, fd_input(w2, 2, -1, 1, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_vec_push(&in, fd_input(b2, 1, -1, 1, FD_DENSE, MX_FLOAT32)));
    expect_same(f, cf, &in, 1e-5);
    expect_same(f, cf, &in, 1e-5);
    CHECK(traces(cf) == 1);
    mx_vec_clear(&in);
    mx_closure_free(cf);
    mx_closure_free(f);

    f = fd_fn(f_attention);
    cf = NULL;
    CHECK_OK(mx_compile(&cf, f, NULL));
    int32_t q[3] = {2, 5, 16}, k[3] = {2, 7, 16}, v[3] = {2, 7, 4};
    CHECK_OK(mx_vec_push(&in, fd_input(q, 3, -1, 1, FD_DENSE, MX_FLOAT64)));
    CHECK_OK(mx_vec_push(&in, fd_input(k, 3, -1, 1, FD_DENSE, MX_FLOAT64)));
    CHECK_OK(mx_vec_push(&in, fd_input(v, 3, -1, 1, FD_BROADCAST, MX_FLOAT64)));
    expect_same(f, cf, &in, 1e-12);
    mx_vec_clear(&in);
    mx_closure_free(cf);
    mx_closure_free(f);
}

TEST(shapeless_reuses_the_trace) {
    mx_closure *f = fd_fn(f_chain), *cf = NULL;
    mx_compile_options o = {.shapeless = true};
    CHECK_OK(mx_compile(&cf, f, &o));
    int32_t s1[2] = {3, 4}, s2[2] = {17, 2}, s3[2] = {0, 5}, s4[1] = {9};
    mx_vec a = inputs2(s1, 2, MX_FLOAT32, FD_DENSE), b = inputs2(s2, 2, MX_FLOAT32, FD_TRANSPOSED),
           c = inputs2(s3, 2, MX_FLOAT32, FD_DENSE), d = inputs2(s4, 1, MX_FLOAT32, FD_DENSE);
    expect_same(f, cf, &a, 1e-6);
    expect_same(f, cf, &b, 1e-6);
    expect_same(f, cf, &c, 1e-6);
    CHECK(traces(cf) == 1);
    /* another rank is another trace */
    expect_same(f, cf, &d, 1e-6);
    CHECK(traces(cf) == 2);
    mx_closure_free(cf);

    /* scalar constants follow the new shapes, fused or not */
    mx_closure *f10 = fd_fn(f_chain10), *c10 = NULL;
    for (int mode = 0; mode < 2; mode++) {
        CHECK_OK(mx_set_compile_mode(mode ? MX_COMPILE_MODE_NO_FUSE : MX_COMPILE_MODE_ENABLED));
        CHECK_OK(mx_compile(&c10, f10, &o));
        expect_same(f10, c10, &a, 1e-6);
        expect_same(f10, c10, &b, 1e-6);
        expect_same(f10, c10, &c, 1e-6);
        CHECK(traces(c10) == 1);
    }
    CHECK_OK(mx_set_compile_mode(MX_COMPILE_MODE_ENABLED));
    /* an array captured at the traced shape cannot follow: refused clearly */
    mx_closure *fc = fd_fn(f_captured), *cc = NULL;
    mx_vec bad = {0};
    captured = fd_input(s1, 2, -1, 1, FD_DENSE, MX_FLOAT32);
    CHECK_OK(mx_compile(&cc, fc, &o));
    expect_same(fc, cc, &a, 1e-6);
    CHECK_ERR(mx_closure_apply(cc, &bad, &b), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "shapeless") != NULL);
    mx_array_free(captured);
    captured = NULL;
    mx_closure_free(cc);
    mx_closure_free(fc);
    mx_closure_free(c10);
    mx_closure_free(f10);

    /* matmuls and broadcast bias adds follow new batch and width sizes */
    mx_closure *g = fd_fn(f_mlp), *cg = NULL;
    CHECK_OK(mx_compile(&cg, g, &o));
    for (int k = 0; k < 2; k++) {
        int32_t xs[2] = {2 + 3 * k, 3 + k}, w1[2] = {3 + k, 4 - k}, b1[1] = {4 - k},
                w2[2] = {4 - k, 5}, b2[1] = {5};
        mx_vec in = {0};
        CHECK_OK(mx_vec_push(&in, fd_input(xs, 2, -1, 1, FD_DENSE, MX_FLOAT32)));
        CHECK_OK(mx_vec_push(&in, fd_input(w1, 2, -1, 1, FD_TRANSPOSED, MX_FLOAT32)));
        CHECK_OK(mx_vec_push(&in, fd_input(b1, 1, -1, 1, FD_DENSE, MX_FLOAT32)));
        CHECK_OK(mx_vec_push(&in, fd_input(w2, 2, -1, 1, FD_DENSE, MX_FLOAT32)));
        CHECK_OK(mx_vec_push(&in, fd_input(b2, 1, -1, 1, FD_DENSE, MX_FLOAT32)));
        expect_same(g, cg, &in, 1e-5);
        mx_vec_clear(&in);
    }
    CHECK(traces(cg) == 1);
    mx_closure_free(cg);
    mx_closure_free(g);
    /* a primitive that cannot infer its shapes is refused clearly */
    mx_closure *h = fd_fn(f_fft), *ch = NULL;
    CHECK_OK(mx_compile(&ch, h, &o));
    int32_t hs[2] = {2, 4};
    mx_vec in = {0}, out = {0};
    CHECK_OK(mx_vec_push(&in, fd_input(hs, 2, -1, 1, FD_DENSE, MX_FLOAT32)));
    CHECK_ERR(mx_closure_apply(ch, &out, &in), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "shapeless") != NULL);
    /* and the closure still works unshapeless afterwards */
    CHECK_OK(mx_compile(&ch, h, NULL));
    CHECK_OK(mx_closure_apply(ch, &out, &in));
    mx_vec_clear(&in);
    mx_vec_clear(&out);
    mx_closure_free(ch);
    mx_closure_free(h);
    mx_vec_clear(&a);
    mx_vec_clear(&b);
    mx_vec_clear(&c);
    mx_vec_clear(&d);
    mx_closure_free(f);
}

/* exp(x) + exp(x) with two separate constants 2 (x*2 + x*2) and a no-op
 * cast: simplify leaves exp, one broadcast constant, one multiply and the
 * two adds. */
static int f_redundant(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *x = in->data[0];
    mx_dtype dt = mx_array_dtype(x);
    mx_array *e1 = NULL, *e2 = NULL, *s = NULL, *k1 = NULL, *k2 = NULL, *m1 = NULL, *m2 = NULL,
             *t = NULL, *c = NULL, *r = NULL;
    int rc = MX_OK;
    TRY(mx_exp(&e1, x, NULL));
    TRY(mx_exp(&e2, x, NULL));
    TRY(mx_add(&s, e1, e2, NULL));
    TRY(push_scalar(&k1, 2, dt));
    TRY(push_scalar(&k2, 2, dt));
    TRY(mx_multiply(&m1, x, k1, NULL));
    TRY(mx_multiply(&m2, x, k2, NULL));
    TRY(mx_add(&t, m1, m2, NULL));
    /* mx_astype to the same dtype makes no node: build the no-op directly */
    TRY(mxi_make(&c, dt, mx_array_shape(t), mx_array_ndim(t), MXI_PRIM_ASTYPE, NULL, 0, &t, 1,
                 NULL));
    TRY(mx_add(&r, s, c, NULL));
    rc = mx_vec_push(o, r);
    r = NULL;
done:
    mx_array_free(e1);
    mx_array_free(e2);
    mx_array_free(s);
    mx_array_free(k1);
    mx_array_free(k2);
    mx_array_free(m1);
    mx_array_free(m2);
    mx_array_free(t);
    mx_array_free(c);
    mx_array_free(r);
    return rc;
}

TEST(simplify_shrinks_the_tape) {
    mx_closure *f = fd_fn(f_redundant), *cf = NULL, *cn = NULL;
    int32_t shape[2] = {3, 5};
    mx_vec in = {0};
    CHECK_OK(mx_vec_push(&in, fd_input(shape, 2, -1, 1, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_set_compile_mode(MX_COMPILE_MODE_NO_SIMPLIFY));
    CHECK_OK(mx_compile(&cn, f, NULL));
    expect_same(f, cn, &in, 1e-6);
    /* exp x2, add, multiply x2, add, astype, add */
    int plain = tape_ops(cn);
    CHECK_OK(mx_set_compile_mode(MX_COMPILE_MODE_NO_FUSE));
    CHECK_OK(mx_compile(&cf, f, NULL));
    expect_same(f, cf, &in, 1e-6);
    int simple = tape_ops(cf);
    /* exp, add, multiply, add, add (the scalars' broadcasts are captured
     * constants, merged) */
    CHECK(simple == 5);
    CHECK(plain == 8);
    CHECK_OK(mx_set_compile_mode(MX_COMPILE_MODE_ENABLED));
    mx_vec_clear(&in);
    mx_closure_free(cf);
    mx_closure_free(cn);
    mx_closure_free(f);
}

/* sum(x^3) */
static int f_cube_sum(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *c = NULL, *s = NULL, *k = NULL;
    int rc = MX_OK;
    TRY(push_scalar(&k, 3.0, mx_array_dtype(in->data[0])));
    TRY(mx_power(&c, in->data[0], k, NULL));
    TRY(mx_sum(&s, c, false, NULL));
    rc = mx_vec_push(o, s);
    s = NULL;
done:
    mx_array_free(c);
    mx_array_free(k);
    mx_array_free(s);
    return rc;
}

TEST(grad_and_compile_compose) {
    double x[3] = {1, -2, 0.5}, want[3];
    for (int i = 0; i < 3; i++) want[i] = 3 * x[i] * x[i];
    int32_t n = 3;
    mx_vec in = {0}, g = {0};
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, x, &n, 1, MX_FLOAT64));
    CHECK_OK(mx_vec_push(&in, a));
    int arg0 = 0;
    mx_closure *f = fd_fn(f_cube_sum), *cf = NULL, *gf = NULL, *cgf = NULL;
    /* grad of compile */
    CHECK_OK(mx_compile(&cf, f, NULL));
    for (int rep = 0; rep < 2; rep++) {
        CHECK_OK(mx_grad(&g, cf, &in, &arg0, 1));
        CHECK(g.size == 1);
        if (g.size == 1) {
            double *v = fd_read(g.data[0]);
            for (int i = 0; i < 3; i++) CHECK_NEAR(v[i], want[i], 1e-12);
            free(v);
        }
    }
    CHECK(traces(cf) == 1);
    /* compile of grad */
    CHECK_OK(mx_grad_fn(&gf, f, &arg0, 1));
    CHECK_OK(mx_compile(&cgf, gf, NULL));
    for (int rep = 0; rep < 2; rep++) {
        CHECK_OK(mx_closure_apply(cgf, &g, &in));
        CHECK(g.size == 1);
        if (g.size == 1) {
            double *v = fd_read(g.data[0]);
            for (int i = 0; i < 3; i++) CHECK_NEAR(v[i], want[i], 1e-12);
            free(v);
        }
    }
    CHECK(traces(cgf) == 1);
    /* finite differences through the compiled function */
    fd_check("compiled cube", cf, &in, 1e-6, 1e-6);
    mx_vec_clear(&in);
    mx_vec_clear(&g);
    mx_closure_free(cgf);
    mx_closure_free(gf);
    mx_closure_free(cf);
    mx_closure_free(f);
}

/* state: s <- s + x; returns 2 s (s read and written through the payload) */
static int f_stateful(mx_vec *o, const mx_vec *in, void *p) {
    mx_vec *state = p;
    mx_array *s = NULL, *k = NULL, *r = NULL;
    int rc = MX_OK;
    TRY(mx_add(&s, state->data[0], in->data[0], NULL));
    TRY(push_scalar(&k, 2, mx_array_dtype(s)));
    TRY(mx_multiply(&r, s, k, NULL));
    mx_array_free(state->data[0]);
    state->data[0] = s;
    s = NULL;
    rc = mx_vec_push(o, r);
    r = NULL;
done:
    mx_array_free(s);
    mx_array_free(k);
    mx_array_free(r);
    return rc;
}

TEST(captured_state) {
    mx_vec state = {0};
    float zero[2] = {0, 0}, one[2] = {1, 2};
    CHECK_OK(mx_vec_push(&state, test_vec_f32(zero, 2)));
    mx_closure *f = NULL, *cf = NULL;
    CHECK_OK(mx_closure_new(&f, f_stateful, &state, NULL));
    mx_compile_options o = {.inputs = &state, .outputs = &state};
    CHECK_OK(mx_compile(&cf, f, &o));
    mx_vec in = {0}, out = {0};
    CHECK_OK(mx_vec_push(&in, test_vec_f32(one, 2)));
    for (int rep = 1; rep <= 3; rep++) {
        CHECK_OK(mx_closure_apply(cf, &out, &in));
        float v[2], s[2];
        CHECK(out.size == 1);
        if (out.size == 1) test_read_f32(out.data[0], v, 2);
        test_read_f32(state.data[0], s, 2);
        CHECK_NEAR(s[0], rep * 1.0, 0);
        CHECK_NEAR(s[1], rep * 2.0, 0);
        CHECK_NEAR(v[0], 2.0 * rep, 0);
        CHECK_NEAR(v[1], 4.0 * rep, 0);
    }
    CHECK(traces(cf) == 1);
    /* more captured state is another cache key: a new trace */
    CHECK_OK(mx_vec_push(&state, test_vec_f32(zero, 2)));
    CHECK_OK(mx_closure_apply(cf, &out, &in));
    CHECK(traces(cf) == 2 && state.size == 2);
    float s4[2];
    test_read_f32(state.data[0], s4, 2);
    CHECK_NEAR(s4[1], 8.0, 0);
    mx_vec_clear(&in);
    mx_vec_clear(&out);
    mx_closure_free(cf);
    mx_closure_free(f);
    mx_vec_clear(&state);
}

static int f_evals(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *e = NULL;
    int rc = mx_exp(&e, in->data[0], NULL);
    if (!rc) rc = mx_eval(&e, 1);
    if (!rc)
        rc = mx_vec_push(o, e);
    else
        mx_array_free(e);
    return rc;
}

static int f_fails(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL;
    int32_t bad[2] = {2, 2}; /* the inputs have 3 elements */
    int rc = mx_reshape(&r, in->data[0], bad, 2, NULL);
    return rc ? rc : mx_vec_push(o, r);
}

TEST(wrong_calls) {
    mx_closure *f = fd_fn(f_chain), *cf = NULL, *ev = fd_fn(f_evals), *cev = NULL,
               *bad = fd_fn(f_fails), *cbad = NULL;
    CHECK_ERR(mx_compile(NULL, f, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_compile(&cf, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_set_compile_mode((mx_compile_mode)42), MX_ERR_VALUE);
    CHECK_ERR(mxi_compile_stats(f, NULL, NULL), MX_ERR_VALUE);
    int32_t shape[1] = {3};
    mx_vec in = inputs2(shape, 1, MX_FLOAT32, FD_DENSE), out = {0};
    /* eval inside a compiled function */
    CHECK_OK(mx_compile(&cev, ev, NULL));
    CHECK_ERR(mx_closure_apply(cev, &out, &in), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "eval") != NULL);
    /* the function's own error comes back, and nothing is cached */
    CHECK_OK(mx_compile(&cbad, bad, NULL));
    CHECK_ERR(mx_closure_apply(cbad, &out, &in), MX_ERR_VALUE);
    CHECK(traces(cbad) == 0);
    /* still works afterwards, and disabled compile runs the function */
    CHECK_OK(mx_compile(&cf, f, NULL));
    runs = 0;
    CHECK_OK(mx_closure_apply(cf, &out, &in));
    CHECK_OK(mx_closure_apply(cf, &out, &in));
    CHECK(runs == 1);
    mx_disable_compile();
    CHECK(mx_get_compile_mode() == MX_COMPILE_MODE_DISABLED);
    CHECK_OK(mx_closure_apply(cf, &out, &in));
    CHECK(runs == 2);
    mx_enable_compile();
    CHECK_OK(mx_closure_apply(cf, &out, &in));
    CHECK(runs == 2 && traces(cf) == 1);
    mx_vec_clear(&in);
    mx_vec_clear(&out);
    mx_closure_free(cf);
    mx_closure_free(cev);
    mx_closure_free(cbad);
    mx_closure_free(f);
    mx_closure_free(ev);
    mx_closure_free(bad);
}

/* Ten elementwise ops on x and y. */
static int f_chain10(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *x = in->data[0], *y = in->data[1];
    mx_dtype dt = mx_array_dtype(x);
    mx_array *v[12] = {0}, *k = NULL;
    int rc = MX_OK;
    TRY(push_scalar(&k, 0.75, dt));
    TRY(mx_multiply(&v[0], x, k, NULL));
    TRY(mx_add(&v[1], v[0], y, NULL));
    TRY(mx_tanh(&v[2], v[1], NULL));
    TRY(mx_subtract(&v[3], v[2], x, NULL));
    TRY(mx_abs(&v[4], v[3], NULL));
    TRY(mx_sqrt(&v[5], v[4], NULL));
    TRY(mx_multiply(&v[6], v[5], y, NULL));
    TRY(mx_maximum(&v[7], v[6], v[3], NULL));
    TRY(mx_sin(&v[8], v[7], NULL));
    TRY(mx_add(&v[9], v[8], v[1], NULL));
    rc = mx_vec_push(o, v[9]);
    v[9] = NULL;
done:
    for (int i = 0; i < 12; i++) mx_array_free(v[i]);
    mx_array_free(k);
    return rc;
}

/* Integer and boolean values through a fused chain. */
static int f_ints(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *x = in->data[0], *y = in->data[1];
    mx_array *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *f = NULL;
    int rc = MX_OK;
    TRY(mx_multiply(&a, x, y, NULL));
    TRY(mx_add(&b, a, x, NULL));
    TRY(mx_greater(&c, x, y, NULL));
    TRY(mx_where(&d, c, a, b, NULL));
    TRY(mx_abs(&e, d, NULL));
    TRY(mx_subtract(&f, e, y, NULL));
    TRY(mx_vec_append(o, c));
    rc = mx_vec_push(o, f);
    f = NULL;
done:
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(c);
    mx_array_free(d);
    mx_array_free(e);
    mx_array_free(f);
    return rc;
}

TEST(fusion_reduces_nodes) {
    mx_closure *f = fd_fn(f_chain10), *cf = NULL, *cn = NULL;
    int32_t shape[2] = {3, 5};
    mx_vec in = inputs2(shape, 2, MX_FLOAT32, FD_DENSE);
    CHECK_OK(mx_set_compile_mode(MX_COMPILE_MODE_NO_FUSE));
    CHECK_OK(mx_compile(&cn, f, NULL));
    expect_same(f, cn, &in, 1e-6);
    CHECK_OK(mx_set_compile_mode(MX_COMPILE_MODE_ENABLED));
    CHECK_OK(mx_compile(&cf, f, NULL));
    expect_same(f, cf, &in, 1e-6);
    /* ten ops against one Compiled op */
    CHECK(tape_ops(cn) == 10);
    CHECK(tape_ops(cf) == 1);
    mx_vec_clear(&in);
    /* sizes across tiles and threads, every input layout, dtypes */
    int32_t big[2] = {301, 517}, odd[3] = {3, 1, 4099};
    mx_dtype dts[3] = {MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16};
    for (int d = 0; d < 3; d++)
        for (int layout = 0; layout < 3; layout++) {
            mx_vec a = inputs2(big, 2, dts[d], layout), b = inputs2(odd, 3, dts[d], layout);
            double tol = dts[d] == MX_BFLOAT16 ? 1e-2 : 1e-6;
            expect_same(f, cf, &a, tol);
            expect_same(f, cf, &b, tol);
            mx_vec_clear(&a);
            mx_vec_clear(&b);
        }
    mx_closure_free(cn);
    mx_closure_free(cf);
    mx_closure_free(f);
}

TEST(fusion_of_ints_and_bools) {
    mx_closure *f = fd_fn(f_ints), *cf = NULL;
    CHECK_OK(mx_compile(&cf, f, NULL));
    int32_t shape[2] = {257, 129};
    mx_dtype dts[3] = {MX_INT32, MX_INT8, MX_UINT16};
    for (int d = 0; d < 3; d++)
        for (int layout = 0; layout < 3; layout++) {
            mx_vec in = {0};
            double lo = dts[d] == MX_UINT16 ? 0 : -9;
            CHECK_OK(mx_vec_push(&in, fd_input(shape, 2, lo, 9, layout, dts[d])));
            CHECK_OK(mx_vec_push(&in, fd_input(shape, 2, lo, 9, FD_DENSE, dts[d])));
            expect_same(f, cf, &in, 0);
            mx_vec_clear(&in);
        }
    /* two fused outputs (the comparison and the result) in one op */
    CHECK(tape_ops(cf) == 1);
    mx_closure_free(cf);
    mx_closure_free(f);
}

/* A fused op may take an input's buffer for an output: every value of a
 * tile is read before the tile is written. */
TEST(fusion_with_donated_inputs) {
    mx_closure *f = fd_fn(f_chain10), *cf = NULL;
    CHECK_OK(mx_compile(&cf, f, NULL));
    int32_t shape[1] = {100003};
    mx_vec in = inputs2(shape, 1, MX_FLOAT32, FD_DENSE), want = {0}, got = {0}, tmp = {0};
    CHECK_OK(mx_closure_apply(f, &want, &in));
    for (int i = 0; i < 2; i++) {
        mx_array *t = NULL;
        CHECK_OK(mx_abs(&t, in.data[i], NULL)); /* fresh, unevaluated: donatable */
        CHECK_OK(mx_negative(&t, t, NULL));
        CHECK_OK(mx_negative(&t, t, NULL));
        CHECK_OK(mx_vec_push(&tmp, t));
    }
    /* the same values when the inputs are non-negative */
    mx_vec pos = {0};
    for (int i = 0; i < 2; i++) {
        mx_array *t = NULL;
        CHECK_OK(mx_abs(&t, in.data[i], NULL));
        CHECK_OK(mx_vec_push(&pos, t));
    }
    mx_vec_clear(&want);
    CHECK_OK(mx_closure_apply(f, &want, &pos));
    CHECK_OK(mx_closure_apply(cf, &got, &tmp));
    mx_vec_clear(&tmp); /* the Compiled node holds the only references now */
    CHECK(got.size == 1 && want.size == 1);
    if (got.size == 1 && want.size == 1) {
        double *a = fd_read(want.data[0]), *b = fd_read(got.data[0]);
        for (int i = 0; i < 100003; i++) CHECK_NEAR(a[i], b[i], 1e-6 * (1 + fabs(a[i])));
        free(a);
        free(b);
    }
    mx_vec_clear(&pos);
    mx_vec_clear(&want);
    mx_vec_clear(&got);
    mx_vec_clear(&in);
    mx_closure_free(cf);
    mx_closure_free(f);
}

/* sum(f_chain10(x, y)) */
static int f_chain_sum(mx_vec *o, const mx_vec *in, void *p) {
    mx_vec r = {0};
    int rc = f_chain10(&r, in, p);
    mx_array *s = NULL;
    if (!rc) rc = mx_sum(&s, r.data[0], false, NULL);
    mx_vec_clear(&r);
    return rc ? rc : mx_vec_push(o, s);
}

TEST(grad_through_fused) {
    mx_closure *f = fd_fn(f_chain_sum), *cf = NULL;
    CHECK_OK(mx_compile(&cf, f, NULL));
    int32_t shape[2] = {7, 9};
    mx_vec in = inputs2(shape, 2, MX_FLOAT64, FD_DENSE), ge = {0}, gc = {0};
    int args[2] = {0, 1};
    expect_same(f, cf, &in, 1e-12); /* traces and caches the fused tape */
    CHECK_OK(mx_grad(&ge, f, &in, args, 2));
    CHECK_OK(mx_grad(&gc, cf, &in, args, 2));
    CHECK(ge.size == 2 && gc.size == 2);
    for (int i = 0; i < 2 && ge.size == 2 && gc.size == 2; i++) {
        double *a = fd_read(ge.data[i]), *b = fd_read(gc.data[i]);
        for (int k = 0; k < 63; k++) CHECK_NEAR(a[k], b[k], 1e-12);
        free(a);
        free(b);
    }
    CHECK(traces(cf) == 1);
    mx_vec_clear(&in);
    mx_vec_clear(&ge);
    mx_vec_clear(&gc);
    mx_closure_free(cf);
    mx_closure_free(f);
}

static mx_closure *inner_compiled; /* f_outer's callee */

/* exp(inner(x, y)) where inner is a compiled closure */
static int f_outer(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_vec r = {0};
    int rc = mx_closure_apply(inner_compiled, &r, in);
    mx_array *e = NULL;
    if (!rc) rc = mx_exp(&e, r.data[0], NULL);
    mx_vec_clear(&r);
    return rc ? rc : mx_vec_push(o, e);
}

TEST(compile_nests_and_vmaps) {
    mx_closure *f = fd_fn(f_chain), *outer = fd_fn(f_outer), *co = NULL, *v = NULL, *cv = NULL;
    CHECK_OK(mx_compile(&inner_compiled, f, NULL));
    CHECK_OK(mx_compile(&co, outer, NULL));
    int32_t shape[2] = {4, 6};
    mx_vec in = inputs2(shape, 2, MX_FLOAT32, FD_DENSE);
    /* the inner call under the outer trace gives ordinary ops, fused with
     * the outer exp into one Compiled op */
    expect_same(outer, co, &in, 1e-6);
    CHECK(tape_ops(co) == 1);
    /* vmap of a compiled function against vmap of the function */
    int axes[2] = {1, 0}, out_axis = 0;
    CHECK_OK(mx_vmap(&v, f, axes, 2, &out_axis, 1));
    CHECK_OK(mx_vmap(&cv, inner_compiled, axes, 2, &out_axis, 1));
    mx_vec in2 = {0};
    int32_t t[2] = {6, 4};
    CHECK_OK(mx_vec_push(&in2, fd_input(t, 2, -1, 1, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_vec_push(&in2, fd_input(shape, 2, -1, 1, FD_DENSE, MX_FLOAT32)));
    expect_same(v, cv, &in2, 1e-6);
    mx_vec_clear(&in);
    mx_vec_clear(&in2);
    mx_closure_free(v);
    mx_closure_free(cv);
    mx_closure_free(co);
    mx_closure_free(inner_compiled);
    inner_compiled = NULL;
    mx_closure_free(outer);
    mx_closure_free(f);
}

int main(void) {
    RUN(chain_matches_and_caches);
    RUN(tiles_and_streaming_match);
    RUN(families_match);
    RUN(whole_functions_match);
    RUN(shapeless_reuses_the_trace);
    RUN(simplify_shrinks_the_tape);
    RUN(grad_and_compile_compose);
    RUN(captured_state);
    RUN(wrong_calls);
    RUN(fusion_reduces_nodes);
    RUN(fusion_of_ints_and_bools);
    RUN(fusion_with_donated_inputs);
    RUN(grad_through_fused);
    RUN(compile_nests_and_vmaps);
    return TEST_SUMMARY();
}
