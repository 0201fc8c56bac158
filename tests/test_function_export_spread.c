/*
 * Shapeless function files of closures over weights: a captured array an op
 * broadcasts (a bias added to a batch, a scale vector, a lower-rank
 * operand, Linear's addmm addend) is stored at its own shape with the
 * spread flag, and a call at another batch size (1 included) spreads it to
 * that call's shape. Compared with the eager function and with
 * compile(shapeless); forged sources that cannot broadcast are refused.
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

/* The captured weights: w1 (3, 5), b1 (5,), w2 (5, 2), b2 (2,), s and g
 * (3,), col (4, 1), row (1, 5). */
static mx_array *w1, *b1, *w2, *b2, *s, *g, *col, *row;

static int push(mx_vec *o, mx_array *r, int rc) {
    if (!rc) return mx_vec_push(o, r);
    mx_array_free(r);
    return rc;
}

/* x @ w1 + b1 */
static int f_affine(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *m = NULL, *r = NULL;
    int rc = mx_matmul(&m, in->data[0], w1, NULL);
    if (!rc) rc = mx_add(&r, m, b1, NULL);
    mx_array_free(m);
    return push(o, r, rc);
}

/* addmm(b1, x, w1), as nn.Linear; and x * s */
static int f_linear_scale(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL, *q = NULL;
    int rc = mx_addmm(&r, b1, in->data[0], w1, 1.0f, 1.0f, NULL);
    rc = push(o, r, rc);
    if (!rc) rc = mx_multiply(&q, in->data[0], s, NULL);
    return push(o, q, rc);
}

/* x (B, 2, 5) + b1 and x - row: lower-rank operands */
static int f_lower_rank(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL, *q = NULL;
    int rc = mx_add(&r, in->data[0], b1, NULL);
    rc = push(o, r, rc);
    if (!rc) rc = mx_subtract(&q, in->data[0], row, NULL);
    return push(o, q, rc);
}

/* x (B, T, 5) @ w2 + b2: the product spreads w2 over the batch too */
static int f_batched(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *m = NULL, *r = NULL;
    int rc = mx_matmul(&m, in->data[0], w2, NULL);
    if (!rc) rc = mx_add(&r, m, b2, NULL);
    mx_array_free(m);
    return push(o, r, rc);
}

/* relu(addmm(b1, x, w1)) @ w2 + b2 */
static int f_mlp(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *h = NULL, *z = NULL, *r = NULL, *y = NULL, *yb = NULL;
    int rc = MX_OK;
    TRY(mx_addmm(&h, b1, in->data[0], w1, 1.0f, 1.0f, NULL));
    TRY(mx_array_from_float(&z, 0, MX_FLOAT32));
    TRY(mx_maximum(&r, h, z, NULL));
    TRY(mx_matmul(&y, r, w2, NULL));
    TRY(mx_add(&yb, y, b2, NULL));
    rc = mx_vec_push(o, yb);
    yb = NULL;
done:
    mx_array_free(h);
    mx_array_free(z);
    mx_array_free(r);
    mx_array_free(y);
    mx_array_free(yb);
    return rc;
}

/* fast layer_norm(x, g, s), and the same spelled out: (x - mean) * g + s */
static int f_layer_norm(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *x = in->data[0], *n = NULL, *mu = NULL, *d = NULL, *dg = NULL, *r = NULL;
    int last = -1, rc = MX_OK;
    TRY(mx_fast_layer_norm(&n, x, g, s, 1e-5f, NULL));
    TRY(mx_vec_push(o, n));
    n = NULL;
    TRY(mx_mean_axes(&mu, x, &last, 1, true, NULL));
    TRY(mx_subtract(&d, x, mu, NULL));
    TRY(mx_multiply(&dg, d, g, NULL));
    TRY(mx_add(&r, dg, s, NULL));
    rc = mx_vec_push(o, r);
    r = NULL;
done:
    mx_array_free(n);
    mx_array_free(mu);
    mx_array_free(d);
    mx_array_free(dg);
    mx_array_free(r);
    return rc;
}

/* x (4, n) + col (4, 1): spreads along the columns only */
static int f_column(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL;
    int rc = mx_add(&r, in->data[0], col, NULL);
    return push(o, r, rc);
}

/* x * 0.5: a scalar, spread from a 0-d entry as files always had it */
static int f_half(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *k = NULL, *r = NULL;
    int rc = mx_array_from_float(&k, 0.5, MX_FLOAT32);
    if (!rc) rc = mx_multiply(&r, in->data[0], k, NULL);
    mx_array_free(k);
    return push(o, r, rc);
}

static mx_array *rand_of(int32_t a, int32_t b, int nd) {
    int32_t sh[2] = {a, b};
    return fd_input(sh, nd, -2, 2, FD_DENSE, MX_FLOAT32);
}

static void make_weights(void) {
    w1 = rand_of(3, 5, 2);
    b1 = rand_of(5, 0, 1);
    w2 = rand_of(5, 2, 2);
    b2 = rand_of(2, 0, 1);
    s = rand_of(3, 0, 1);
    g = rand_of(3, 0, 1);
    col = rand_of(4, 1, 2);
    row = rand_of(1, 5, 2);
}

static void free_weights(void) {
    mx_array *all[8] = {w1, b1, w2, b2, s, g, col, row};
    for (int i = 0; i < 8; i++) mx_array_free(all[i]);
}

/* f and h give the same values and shapes on in. */
static void expect_same(mx_closure *f, mx_closure *h, const mx_vec *in) {
    mx_vec eo = {0}, ho = {0};
    CHECK_OK(mx_closure_apply(f, &eo, in));
    CHECK_OK(mx_closure_apply(h, &ho, in));
    CHECK(eo.size == ho.size);
    for (int i = 0; i < eo.size && i < ho.size; i++) {
        mx_array *a = eo.data[i], *b = ho.data[i];
        CHECK(mx_array_dtype(a) == mx_array_dtype(b));
        CHECK(mx_array_ndim(a) == mx_array_ndim(b));
        if (mx_array_ndim(a) != mx_array_ndim(b)) continue;
        bool same = true;
        for (int d = 0; d < mx_array_ndim(a); d++)
            same &= mx_array_shape(a)[d] == mx_array_shape(b)[d];
        CHECK(same);
        if (!same) continue;
        double *x = fd_read(a), *y = fd_read(b);
        for (size_t k = 0; k < mx_array_size(a); k++)
            CHECK_NEAR(x[k], y[k], 1e-5 * (1 + fabs(x[k])));
        free(x);
        free(y);
    }
    mx_vec_clear(&eo);
    mx_vec_clear(&ho);
}

static mx_vec one_input(const int32_t *shape, int nd) {
    mx_vec v = {0};
    CHECK_OK(mx_vec_push(&v, fd_input(shape, nd, -2, 2, FD_DENSE, MX_FLOAT32)));
    return v;
}

/* Exports fn shapeless at batch 4 (x of shape (4, rest...)), and checks the
 * imported function and compile(shapeless) against it at batches 4, 7, 1,
 * 2 and 7 again. */
static void batches(mx_closure_fn fn, const int32_t *rest, int nrest) {
    int32_t sh[4] = {4};
    memcpy(sh + 1, rest, sizeof(int32_t) * (size_t)nrest);
    mx_closure *f = fd_fn(fn), *h = NULL, *c = NULL;
    mx_vec in = one_input(sh, nrest + 1);
    CHECK_OK(mx_export_function(path, f, &in, true));
    mx_vec_clear(&in);
    CHECK_OK(mx_import_function(&h, path));
    mx_compile_options opts = {.shapeless = true};
    CHECK_OK(mx_compile(&c, f, &opts));
    static const int32_t bs[5] = {4, 7, 1, 2, 7};
    for (int k = 0; k < 5 && h && c; k++) {
        sh[0] = bs[k];
        in = one_input(sh, nrest + 1);
        expect_same(f, h, &in);
        expect_same(f, c, &in);
        mx_vec_clear(&in);
    }
    mx_closure_free(c);
    mx_closure_free(h);
    mx_closure_free(f);
}

TEST(closures_over_weights) {
    int32_t three[1] = {3}, two_five[2] = {2, 5};
    batches(f_affine, three, 1);
    batches(f_linear_scale, three, 1);
    batches(f_lower_rank, two_five, 2);
    batches(f_mlp, three, 1);
    batches(f_layer_norm, three, 1);
    int32_t three_five[2] = {3, 5};
    batches(f_batched, three_five, 2);
}

/* col (4, 1) spreads along the columns: other widths are taken, other
 * numbers of rows refused (as the eager function refuses them). */
TEST(spread_against_the_other_operand) {
    int32_t sh[2] = {4, 5};
    mx_closure *f = fd_fn(f_column), *h = NULL;
    mx_vec in = one_input(sh, 2), out = {0};
    CHECK_OK(mx_export_function(path, f, &in, true));
    mx_vec_clear(&in);
    CHECK_OK(mx_import_function(&h, path));
    static const int32_t widths[3] = {9, 1, 5};
    for (int k = 0; k < 3 && h; k++) {
        sh[1] = widths[k];
        in = one_input(sh, 2);
        expect_same(f, h, &in);
        mx_vec_clear(&in);
    }
    sh[0] = 7;
    in = one_input(sh, 2);
    CHECK_ERR(mx_closure_apply(f, &out, &in), MX_ERR_VALUE);
    if (h) CHECK_ERR(mx_closure_apply(h, &out, &in), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "Add") != NULL);
    mx_vec_clear(&in);
    mx_closure_free(h);
    mx_closure_free(f);
}

static uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Where things are in a version 2 file without metadata or keyword names:
 * each pool entry's offset, and each constant slot of the first trace
 * (the offset of its spread byte; its pool index follows). */
typedef struct layout {
    size_t entry[16];
    int n_entries;
    size_t konst[16];
    int n_consts;
} layout;

static layout parse(const unsigned char *b, size_t len) {
    layout l = {0};
    size_t off = 16;
    uint32_t n = rd32(b + off);
    off += 4;
    for (uint32_t i = 0; i < n; i++) off += 2 + (size_t)(b[off] | b[off + 1] << 8);
    n = rd32(b + off);
    off += 4;
    for (uint32_t i = 0; i < n && off < len; i++) {
        if (l.n_entries < 16) l.entry[l.n_entries++] = off;
        size_t nd = b[off + 1];
        off += 2 + 4 * nd;
        off += 8 + rd32(b + off);
    }
    off += 8; /* n_traces, n_inputs */
    n = rd32(b + off);
    off += 4;
    for (uint32_t i = 0; i < n && off < len; i++) {
        int kind = b[off];
        off += 3 + 4 * (size_t)b[off + 2];
        if (kind == 1 && l.n_consts < 16) l.konst[l.n_consts++] = off;
        off += kind == 1 ? 5 : 4;
    }
    return l;
}

/* The file of f_affine holds w1 (3, 5) as it is and b1 (5,) as a spread
 * constant; a spread slot naming an entry that does not broadcast to it is
 * refused, and so is every forgery that would make a kernel misread. */
TEST(forged_sources) {
    int32_t sh[2] = {4, 3}, sh7[2] = {7, 3};
    mx_closure *f = fd_fn(f_affine), *h = NULL;
    mx_vec in = one_input(sh, 2), in7 = one_input(sh7, 2), out = {0};
    CHECK_OK(mx_export_function(path, f, &in, true));
    size_t len = 0;
    unsigned char *good = test_read_file(path, &len), *b = malloc(len + 1);
    if (!good || !b) return;
    layout l = parse(good, len);
    CHECK(l.n_entries == 2 && l.n_consts == 2);
    if (l.n_entries != 2 || l.n_consts != 2) return;
    /* which slot is spread, and its entry: b1 at its own shape */
    int sp = good[l.konst[0]] ? 0 : 1;
    CHECK(good[l.konst[sp]] == 1 && good[l.konst[1 - sp]] == 0);
    uint32_t e_b = rd32(good + l.konst[sp] + 1), e_w = rd32(good + l.konst[1 - sp] + 1);
    CHECK(e_b < 2 && e_w < 2 && e_b != e_w);
    if (e_b >= 2 || e_w >= 2) return;
    const unsigned char *eb = good + l.entry[e_b];
    CHECK(eb[1] == 1 && rd32(eb + 2) == 5);
    /* the spread slot naming w1's entry (3, 5) for its (4, 5) */
    memcpy(b, good, len);
    put32(b + l.konst[sp] + 1, e_w);
    CHECK_ERR(mx_import_function_bytes(&h, b, len), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "broadcast") != NULL);
    /* w1's slot spread from b1's entry: (5,) broadcasts to (3, 5), so the
     * file loads, and runs on the values it now says: at other batches too
     * (the matrix product spreads the source to its inner size again) */
    memcpy(b, good, len);
    b[l.konst[1 - sp]] = 1;
    put32(b + l.konst[1 - sp] + 1, e_b);
    CHECK_OK(mx_import_function_bytes(&h, b, len));
    if (h) {
        CHECK_OK(mx_closure_apply(h, &out, &in));
        if (out.size == 1) CHECK_OK(mx_eval(out.data, 1));
        mx_vec_clear(&out);
        CHECK_OK(mx_closure_apply(h, &out, &in7));
        if (out.size == 1) {
            CHECK(mx_array_dim(out.data[0], 0) == 7 && mx_array_dim(out.data[0], 1) == 5);
            CHECK_OK(mx_eval(out.data, 1));
        }
        mx_vec_clear(&out);
        mx_closure_free(h);
        h = NULL;
    }
    /* every single-byte change loads and runs at batches 4 and 7, or fails
     * cleanly */
    for (size_t k = 0; k < len; k++) {
        memcpy(b, good, len);
        b[k] ^= 0x41;
        if (mx_import_function_bytes(&h, b, len) == MX_OK) {
            if (mx_closure_apply(h, &out, &in) == MX_OK) mx_eval(out.data, (size_t)out.size);
            mx_vec_clear(&out);
            if (mx_closure_apply(h, &out, &in7) == MX_OK) mx_eval(out.data, (size_t)out.size);
            mx_vec_clear(&out);
            mx_closure_free(h);
            h = NULL;
        }
        mx_clear_error();
    }
    free(good);
    mx_vec_clear(&in);
    mx_vec_clear(&in7);
    mx_closure_free(f);
    /* col (4, 1) forged to (1, 4): no longer broadcasts to (4, 5) */
    f = fd_fn(f_column);
    int32_t sc[2] = {4, 5};
    in = one_input(sc, 2);
    CHECK_OK(mx_export_function(path, f, &in, true));
    free(b);
    good = test_read_file(path, &len);
    b = malloc(len + 1);
    l = parse(good, len);
    CHECK(l.n_entries == 1 && l.n_consts == 1);
    if (l.n_entries == 1 && l.n_consts == 1) {
        const unsigned char *e = good + l.entry[0];
        CHECK(good[l.konst[0]] == 1 && e[1] == 2 && rd32(e + 2) == 4 && rd32(e + 6) == 1);
        memcpy(b, good, len);
        put32(b + l.entry[0] + 2, 1);
        put32(b + l.entry[0] + 6, 4);
        CHECK_ERR(mx_import_function_bytes(&h, b, len), MX_ERR_VALUE);
        CHECK(strstr(mx_last_error(), "broadcast") != NULL);
    }
    free(good);
    free(b);
    mx_vec_clear(&in);
    mx_closure_free(f);
}

/* A captured scalar is still written as a 0-d entry (the format of files
 * written before sources of any shape), and spread to every batch. */
TEST(scalar_sources_unchanged) {
    int32_t sh[2] = {4, 3};
    mx_closure *f = fd_fn(f_half), *h = NULL;
    mx_vec in = one_input(sh, 2);
    CHECK_OK(mx_export_function(path, f, &in, true));
    mx_vec_clear(&in);
    size_t len = 0;
    unsigned char *good = test_read_file(path, &len);
    if (!good) return;
    layout l = parse(good, len);
    CHECK(l.n_entries == 1 && l.n_consts == 1);
    if (l.n_entries == 1 && l.n_consts == 1)
        CHECK(good[l.konst[0]] == 1 && good[l.entry[0] + 1] == 0);
    free(good);
    CHECK_OK(mx_import_function(&h, path));
    static const int32_t bs[3] = {1, 9, 4};
    for (int k = 0; k < 3 && h; k++) {
        sh[0] = bs[k];
        in = one_input(sh, 2);
        expect_same(f, h, &in);
        mx_vec_clear(&in);
    }
    mx_closure_free(h);
    mx_closure_free(f);
}

int main(void) {
    snprintf(path, sizeof path, "/tmp/cmlx_test_fn_spread_%d.mlxfn", (int)getpid());
    make_weights();
    RUN(closures_over_weights);
    RUN(spread_against_the_other_operand);
    RUN(forged_sources);
    RUN(scalar_sources_unchanged);
    free_weights();
    unlink(path);
    return TEST_SUMMARY();
}
