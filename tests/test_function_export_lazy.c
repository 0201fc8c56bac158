/*
 * Function export: values the function computes from captured arrays alone
 * and that are not evaluated yet are written as ops down to evaluated
 * arrays (as MLX), so the file holds the arrays they come from, not their
 * results. Nodes the reader would refuse (compiled kernels, file loads)
 * are written as their values; graphs deep enough to overflow a recursion
 * are fine; a captured value computed from an argument is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmlx.h"
#include "test.h"

#define N 64 /* the captured arrays are N x N float32 (16 KB) */

static char path[256], npy[256];

static size_t file_size(void) {
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL);
    if (!fp) return 0;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fclose(fp);
    return (size_t)n;
}

static mx_array *weights(int seed) {
    float *d = malloc(sizeof(float) * N * N);
    for (int i = 0; i < N * N; i++) d[i] = (float)((i * 37 + seed * 11) % 101) * 0.02f - 1.0f;
    int32_t shape[2] = {N, N};
    mx_array *w = NULL;
    CHECK_OK(mx_array_from_data(&w, d, shape, 2, MX_FLOAT32));
    free(d);
    return w;
}

static mx_array *scalar(double v) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_float(&a, v, MX_FLOAT32));
    return a;
}

/* out = a op b, a and b borrowed */
static mx_array *add(const mx_array *a, const mx_array *b) {
    mx_array *r = NULL;
    CHECK_OK(mx_add(&r, a, b, NULL));
    return r;
}

static mx_array *mul(const mx_array *a, const mx_array *b) {
    mx_array *r = NULL;
    CHECK_OK(mx_multiply(&r, a, b, NULL));
    return r;
}

/* Whether a and b (evaluated here) hold the same floats. */
static bool same(mx_array *a, mx_array *b, double tol) {
    CHECK_OK(mx_eval(&a, 1));
    CHECK_OK(mx_eval(&b, 1));
    size_t n = (size_t)mx_array_size(a);
    if (n != (size_t)mx_array_size(b) || mx_array_dtype(a) != MX_FLOAT32 ||
        mx_array_dtype(b) != MX_FLOAT32)
        return false;
    float *x = malloc(sizeof(float) * (n ? n : 1)), *y = malloc(sizeof(float) * (n ? n : 1));
    CHECK_OK(mx_array_copy_to(a, x, sizeof(float) * n));
    CHECK_OK(mx_array_copy_to(b, y, sizeof(float) * n));
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) ok = fabsf(x[i] - y[i]) <= tol;
    free(x);
    free(y);
    return ok;
}

/* x + c, or c alone with no argument: c is the payload */
static int f_plus(mx_vec *o, const mx_vec *in, void *p) {
    mx_array *c = p, *r = NULL;
    int rc = in->size ? mx_add(&r, in->data[0], c, NULL) : mx_add(&r, c, c, NULL);
    if (!rc) rc = mx_vec_push(o, r);
    return rc;
}

/* Exports f_plus over c for one argument x (none when x is NULL), imports
 * it and checks it against the eager result; returns the file's size. */
static size_t round_trip(mx_array *c, mx_array *x, bool shapeless) {
    mx_closure *f = NULL, *g = NULL;
    mx_vec in = {0}, want = {0}, got = {0};
    CHECK_OK(mx_closure_new(&f, f_plus, c, NULL));
    if (x) CHECK_OK(mx_vec_append(&in, x));
    CHECK_OK(mx_export_function(path, f, &in, shapeless));
    size_t len = file_size();
    CHECK_OK(mx_import_function(&g, path));
    if (g) {
        CHECK_OK(mx_closure_apply(g, &got, &in));
        CHECK_OK(mx_closure_apply(f, &want, &in));
        CHECK(got.size == 1 && want.size == 1);
        if (got.size == 1 && want.size == 1) CHECK(same(got.data[0], want.data[0], 1e-6));
    }
    mx_vec_clear(&in);
    mx_vec_clear(&want);
    mx_vec_clear(&got);
    mx_closure_free(g);
    mx_closure_free(f);
    return len;
}

/* exp(w) * 2 + w, not evaluated (a new graph each time: a round trip
 * evaluates it) */
static mx_array *lazy_of(const mx_array *w) {
    mx_array *two = scalar(2), *e = NULL;
    CHECK_OK(mx_exp(&e, w, NULL));
    mx_array *m = mul(e, two), *c = add(m, w);
    mx_array_free(two);
    mx_array_free(e);
    mx_array_free(m);
    return c;
}

/* The file holds w, not the result. */
TEST(lazy_closure) {
    mx_array *w = weights(1), *x = weights(2);
    size_t nbytes = mx_array_nbytes(w);
    for (int k = 0; k < 3; k++) {
        mx_array *c = lazy_of(w);
        /* with no argument the value is an output of its own */
        CHECK(round_trip(c, k == 1 ? NULL : x, k == 2) < nbytes + 4096);
        /* the captured value is evaluated later as usual */
        mx_array *want = lazy_of(w);
        CHECK(same(c, want, 0));
        mx_array_free(want);
        mx_array_free(c);
    }
    mx_array_free(w);
    mx_array_free(x);
}

/* Samples drawn outside the function: the file holds their key, and the
 * imported function gives the samples the captured array holds. */
TEST(random_closure) {
    int32_t shape[2] = {N, N};
    mx_array *x = weights(3), *k = NULL, *lo = scalar(-1), *hi = scalar(1);
    CHECK_OK(mx_random_seed(5));
    CHECK_OK(mx_random_key(&k, 7));
    for (int i = 0; i < 3; i++) {
        mx_array *r = NULL;
        if (i == 0)
            CHECK_OK(mx_random_normal(&r, shape, 2, MX_FLOAT32, NULL, NULL, NULL, NULL));
        else
            CHECK_OK(mx_random_uniform(&r, lo, hi, shape, 2, MX_FLOAT32, k, NULL));
        CHECK(round_trip(r, i == 2 ? NULL : x, false) < mx_array_nbytes(r) / 2);
        mx_array_free(r);
    }
    mx_array_free(k);
    mx_array_free(lo);
    mx_array_free(hi);
    mx_array_free(x);
}

/* (w + 1) + sum(args) for 0..4 arguments: w is stored once for all the
 * traces, and every trace gives its values back. */
typedef struct lazy_sum {
    mx_array *c; /* w + 1, not evaluated */
} lazy_sum;

static int f_lazy_sum(mx_vec *o, const mx_vec *in, void *p) {
    const lazy_sum *k = p;
    mx_array *acc = NULL, *r = NULL;
    int rc = mx_array_from_float(&acc, 0, MX_FLOAT32);
    for (int i = 0; i < in->size && !rc; i++) {
        mx_array *t = NULL;
        rc = mx_add(&t, acc, in->data[i], NULL);
        mx_array_free(acc);
        acc = t;
    }
    if (!rc) rc = mx_add(&r, k->c, acc, NULL);
    if (!rc) rc = mx_vec_push(o, r);
    mx_array_free(acc);
    return rc;
}

TEST(shared_across_traces) {
    mx_array *w = weights(4), *one = scalar(1);
    lazy_sum k = {add(w, one)};
    mx_closure *f = NULL, *g = NULL;
    CHECK_OK(mx_closure_new(&f, f_lazy_sum, &k, NULL));
    mx_exporter *e = NULL;
    CHECK_OK(mx_exporter_new(&e, path, f, false));
    for (int n = 0; n < 5; n++) {
        mx_vec in = {0};
        for (int i = 0; i < n; i++) CHECK_OK(mx_vec_push(&in, scalar(1)));
        CHECK_OK(mx_exporter_add(e, &in));
        mx_vec_clear(&in);
    }
    CHECK_OK(mx_exporter_close(e));
    CHECK(file_size() < mx_array_nbytes(w) + 8192);
    CHECK_OK(mx_import_function(&g, path));
    for (int n = 0; n < 5 && g; n++) {
        mx_vec in = {0}, got = {0}, want = {0};
        for (int i = 0; i < n; i++) CHECK_OK(mx_vec_push(&in, scalar(0.5 * i - 1)));
        CHECK_OK(mx_closure_apply(g, &got, &in));
        CHECK_OK(mx_closure_apply(f, &want, &in));
        CHECK(got.size == 1 && want.size == 1);
        if (got.size == 1 && want.size == 1) CHECK(same(got.data[0], want.data[0], 0));
        mx_vec_clear(&in);
        mx_vec_clear(&got);
        mx_vec_clear(&want);
    }
    mx_closure_free(g);
    mx_closure_free(f);
    mx_array_free(k.c);
    mx_array_free(one);
    mx_array_free(w);
}

/* exp(a) * 2 + 1, compiled */
static int f_kernel(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *e = NULL, *t = NULL, *r = NULL, *two = NULL, *one = NULL;
    int rc = mx_exp(&e, in->data[0], NULL);
    if (!rc) rc = mx_array_from_float(&two, 2, MX_FLOAT32);
    if (!rc) rc = mx_array_from_float(&one, 1, MX_FLOAT32);
    if (!rc) rc = mx_multiply(&t, e, two, NULL);
    if (!rc) rc = mx_add(&r, t, one, NULL);
    if (!rc) rc = mx_vec_push(o, r);
    mx_array_free(e);
    mx_array_free(t);
    mx_array_free(two);
    mx_array_free(one);
    return rc;
}

/* Nodes the reader refuses stay values: a fused kernel of a compiled
 * function, and a load from a file (the imported function must not read
 * the file: it is gone by then). */
TEST(refused_kinds_are_values) {
    mx_array *w = weights(5), *three = scalar(3), *x = weights(6);
    mx_closure *k = NULL, *ck = NULL;
    CHECK_OK(mx_closure_new(&k, f_kernel, NULL, NULL));
    CHECK_OK(mx_compile(&ck, k, NULL));
    mx_vec in = {0}, out = {0};
    CHECK_OK(mx_vec_append(&in, w));
    CHECK_OK(mx_closure_apply(ck, &out, &in));
    CHECK(out.size == 1);
    if (out.size == 1) {
        mx_array *c = mul(out.data[0], three);
        round_trip(c, x, false);
        round_trip(out.data[0], x, false);
        mx_array_free(c);
    }
    mx_vec_clear(&in);
    mx_vec_clear(&out);
    mx_closure_free(ck);
    mx_closure_free(k);

    CHECK_OK(mx_save_npy(npy, w));
    mx_array *l = NULL;
    CHECK_OK(mx_load_npy(&l, npy, NULL));
    mx_array *c = mul(l, three);
    mx_closure *f = NULL, *g = NULL;
    CHECK_OK(mx_closure_new(&f, f_plus, c, NULL));
    CHECK_OK(mx_vec_append(&in, x));
    CHECK_OK(mx_export_function(path, f, &in, false));
    unlink(npy);
    CHECK_OK(mx_import_function(&g, path));
    if (g) {
        mx_array *want = mul(w, three), *want2 = add(x, want);
        CHECK_OK(mx_closure_apply(g, &out, &in));
        CHECK(out.size == 1);
        if (out.size == 1) CHECK(same(out.data[0], want2, 0));
        mx_array_free(want);
        mx_array_free(want2);
    }
    mx_vec_clear(&in);
    mx_vec_clear(&out);
    mx_closure_free(g);
    mx_closure_free(f);
    mx_array_free(c);
    mx_array_free(l);
    mx_array_free(w);
    mx_array_free(three);
    mx_array_free(x);
}

/* A chain of 20000 unevaluated adds: the walk is iterative. */
TEST(deep_graph) {
    mx_array *w = weights(7), *step = scalar(1.0 / 1024), *c = mx_array_retain(w);
    for (int i = 0; i < 20000; i++) {
        mx_array *t = add(c, step);
        mx_array_free(c);
        c = t;
    }
    mx_array *x = weights(8);
    CHECK(round_trip(c, x, false) < mx_array_nbytes(w) + 20000 * 64);
    mx_array_free(c);
    mx_array_free(x);
    mx_array_free(step);
    mx_array_free(w);
}

/* A captured value computed from the array also given as the argument
 * would bake the argument in: an error, as compile (and MLX) give. An
 * evaluated one is a plain constant. */
TEST(uncaptured_input) {
    mx_array *x = weights(9), *two = scalar(2), *y = mul(x, two);
    mx_closure *f = NULL;
    CHECK_OK(mx_closure_new(&f, f_plus, y, NULL));
    mx_vec in = {0};
    CHECK_OK(mx_vec_append(&in, x));
    CHECK_ERR(mx_export_function(path, f, &in, false), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "uncaptured") != NULL);
    CHECK_OK(mx_eval(&y, 1));
    CHECK_OK(mx_export_function(path, f, &in, false));
    mx_vec_clear(&in);
    mx_closure_free(f);
    mx_array_free(y);
    mx_array_free(two);
    mx_array_free(x);
}

int main(void) {
    snprintf(path, sizeof path, "/tmp/cmlx_test_fnlazy_%d.mlxfn", (int)getpid());
    snprintf(npy, sizeof npy, "/tmp/cmlx_test_fnlazy_%d.npy", (int)getpid());
    RUN(lazy_closure);
    RUN(random_closure);
    RUN(shared_across_traces);
    RUN(refused_kinds_are_values);
    RUN(deep_graph);
    RUN(uncaptured_input);
    unlink(path);
    unlink(npy);
    return TEST_SUMMARY();
}
