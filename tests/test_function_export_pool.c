/*
 * Function export: the constant pool. A constant that several traces of one
 * exporter capture (the same array, or a view of the same bytes) is stored
 * once; the traces refer to it by index. Corrupted pools are refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmlx.h"
#include "test.h"

#define ROWS 16
#define COLS 2048

static char path[256];

/* The captured constants: by arity parity, c[0] or c[1] (a view of the
 * same bytes, or c[0] itself). */
typedef struct consts {
    mx_array *c[2];
} consts;

/* constant + sum(args), sum starting from a float32 0 as Python's sum() */
static int f_const_sum(mx_vec *o, const mx_vec *in, void *p) {
    const consts *k = p;
    mx_array *acc = NULL, *r = NULL;
    int rc = mx_array_from_float(&acc, 0, MX_FLOAT32);
    for (int i = 0; i < in->size && !rc; i++) {
        mx_array *t = NULL;
        rc = mx_add(&t, acc, in->data[i], NULL);
        mx_array_free(acc);
        acc = t;
    }
    if (!rc) rc = mx_add(&r, k->c[in->size % 2], acc, NULL);
    if (!rc) rc = mx_vec_push(o, r);
    mx_array_free(acc);
    return rc;
}

static float *const_data(void) {
    float *d = malloc(sizeof(float) * ROWS * COLS);
    for (int i = 0; i < ROWS * COLS; i++) d[i] = (float)(i % 1000) * 0.25f - 100.0f;
    return d;
}

/* Exports f_const_sum for first..4 scalar arguments; returns the file's
 * size. */
static size_t export_traces(consts *k, int first) {
    mx_closure *f = NULL;
    CHECK_OK(mx_closure_new(&f, f_const_sum, k, NULL));
    mx_exporter *e = NULL;
    CHECK_OK(mx_exporter_new(&e, path, f, false));
    for (int n = first; n < 5; n++) {
        mx_vec in = {0};
        for (int i = 0; i < n; i++) {
            mx_array *a = NULL;
            CHECK_OK(mx_array_from_float(&a, 1.0 + i, MX_FLOAT32));
            CHECK_OK(mx_vec_push(&in, a));
        }
        CHECK_OK(mx_exporter_add(e, &in));
        mx_vec_clear(&in);
    }
    CHECK_OK(mx_exporter_close(e));
    mx_closure_free(f);
    size_t len = 0;
    free(test_read_file(path, &len));
    return len;
}

/* The imported function gives constant + sum(args) for each arity. */
static void check_values(const mx_closure *g, const float *d, int first) {
    for (int n = first; n < 5; n++) {
        mx_vec in = {0}, out = {0};
        float sum = 0;
        for (int i = 0; i < n; i++) {
            mx_array *a = NULL;
            CHECK_OK(mx_array_from_float(&a, 0.5 * i - 1.0, MX_FLOAT32));
            CHECK_OK(mx_vec_push(&in, a));
            sum += 0.5f * (float)i - 1.0f;
        }
        CHECK_OK(mx_closure_apply(g, &out, &in));
        CHECK(out.size == 1);
        if (out.size == 1) {
            mx_array *r = out.data[0];
            CHECK_OK(mx_eval(&r, 1));
            CHECK(mx_array_ndim(r) == 2 && mx_array_dim(r, 0) == ROWS &&
                  mx_array_dim(r, 1) == COLS && mx_array_dtype(r) == MX_FLOAT32);
            float *got = malloc(sizeof(float) * ROWS * COLS);
            CHECK_OK(mx_array_copy_to(r, got, sizeof(float) * ROWS * COLS));
            int bad = 0;
            for (int i = 0; i < ROWS * COLS; i++) bad += got[i] != d[i] + sum;
            CHECK(bad == 0);
            free(got);
        }
        mx_vec_clear(&in);
        mx_vec_clear(&out);
    }
}

TEST(shared_constant) {
    float *d = const_data();
    int32_t shape[2] = {ROWS, COLS};
    consts k = {{NULL, NULL}};
    CHECK_OK(mx_array_from_data(&k.c[0], d, shape, 2, MX_FLOAT32));
    k.c[1] = mx_array_retain(k.c[0]);
    size_t nbytes = mx_array_nbytes(k.c[0]);
    size_t len = export_traces(&k, 1);
    CHECK(len < nbytes + 8192);
    CHECK(len > nbytes);
    mx_closure *g = NULL;
    CHECK_OK(mx_import_function(&g, path));
    if (g) check_values(g, d, 1);
    mx_closure_free(g);
    g = NULL;
    /* with no argument the result (constant + 0) is computed from captured
     * arrays alone and not evaluated: it is written as an Add of the pooled
     * constant, as MLX does, so still one copy in all */
    len = export_traces(&k, 0);
    CHECK(len < nbytes + 8192);
    CHECK_OK(mx_import_function(&g, path));
    if (g) check_values(g, d, 0);
    mx_closure_free(g);
    mx_array_free(k.c[0]);
    mx_array_free(k.c[1]);
    free(d);
}

/* Two arrays viewing the same bytes with the same layout are one entry. */
TEST(views_of_one_buffer) {
    float *d = const_data();
    int32_t shape[2] = {ROWS, COLS};
    consts k = {{NULL, NULL}};
    mx_array *t = NULL;
    CHECK_OK(mx_array_from_data(&k.c[0], d, shape, 2, MX_FLOAT32));
    CHECK_OK(mx_transpose(&t, k.c[0], NULL, 0, NULL));
    CHECK_OK(mx_transpose(&k.c[1], t, NULL, 0, NULL));
    CHECK_OK(mx_eval(k.c, 2));
    CHECK(k.c[0] != k.c[1]);
    size_t nbytes = mx_array_nbytes(k.c[0]);
    /* views share the buffer when transpose is a view (it is in cmlx) */
    bool view =
        mx_array_data(k.c[0]) == mx_array_data(k.c[1]) &&
        memcmp(mx_array_strides(k.c[0]), mx_array_strides(k.c[1]), 2 * sizeof(int64_t)) == 0;
    CHECK(view);
    size_t len = export_traces(&k, 1);
    if (view) CHECK(len < nbytes + 8192);
    mx_closure *g = NULL;
    CHECK_OK(mx_import_function(&g, path));
    if (g) check_values(g, d, 1);
    mx_closure_free(g);
    mx_array_free(k.c[1]);
    mx_array_free(t);
    mx_array_free(k.c[0]);
    free(d);
}

/* ---- corrupted pools ---- */

static uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Offset of the constant pool: after magic, version, flags and the kind
 * table (the files here have no metadata). */
static size_t pool_offset(const unsigned char *b) {
    size_t off = 20;
    uint32_t n = rd32(b + 16);
    for (uint32_t i = 0; i < n; i++) off += 2 + (size_t)(b[off] | b[off + 1] << 8);
    return off;
}

/* Offset of the pool index of the first constant slot of the first trace. */
static size_t first_const_index(const unsigned char *b) {
    size_t off = pool_offset(b);
    uint32_t n = rd32(b + off);
    off += 4;
    for (uint32_t i = 0; i < n; i++) {
        int ndim = b[off + 1];
        uint64_t nb = rd32(b + off + 2 + 4 * ndim) | (uint64_t)rd32(b + off + 6 + 4 * ndim) << 32;
        off += 10 + 4 * (size_t)ndim + nb;
    }
    off += 4 + 8; /* n_traces, n_inputs, n_slots */
    for (;;) {
        int kind = b[off], ndim = b[off + 2];
        off += 3 + 4 * (size_t)ndim;
        if (kind == 1) return off + 1;
        off += 4;
    }
}

/* c + x with a (2, 3) constant c, on one (2, 3) trace */
static int f_small(mx_vec *o, const mx_vec *in, void *p) {
    mx_array *r = NULL;
    int rc = mx_add(&r, p, in->data[0], NULL);
    if (!rc) rc = mx_vec_push(o, r);
    return rc;
}

TEST(corrupted_pool) {
    static const float cd[6] = {1, 2, 3, 4, 5, 6};
    int32_t shape[2] = {2, 3};
    mx_array *c = NULL, *x = NULL;
    CHECK_OK(mx_array_from_data(&c, cd, shape, 2, MX_FLOAT32));
    CHECK_OK(mx_array_from_data(&x, cd, shape, 2, MX_FLOAT32));
    mx_closure *f = NULL, *g = NULL;
    CHECK_OK(mx_closure_new(&f, f_small, c, NULL));
    mx_vec in = {0}, out = {0};
    CHECK_OK(mx_vec_append(&in, x));
    CHECK_OK(mx_export_function(path, f, &in, false));
    size_t len = 0;
    unsigned char *good = test_read_file(path, &len), *b = malloc(len + 1);
    if (!good || !b) return;
    CHECK_OK(mx_import_function_bytes(&g, good, len));
    if (g) {
        CHECK_OK(mx_closure_apply(g, &out, &in));
        if (out.size == 1) CHECK_OK(mx_eval(out.data, 1));
        float got[6] = {0};
        if (out.size == 1) CHECK_OK(mx_array_copy_to(out.data[0], got, sizeof got));
        for (int i = 0; i < 6; i++) CHECK(got[i] == 2 * cd[i]);
        mx_vec_clear(&out);
        mx_closure_free(g);
        g = NULL;
    }
    size_t po = pool_offset(good), ci = first_const_index(good);
    CHECK(rd32(good + po) == 1 && rd32(good + ci) == 0);
#define BAD(stmt)                                                                                  \
    do {                                                                                           \
        memcpy(b, good, len);                                                                      \
        stmt;                                                                                      \
        CHECK_ERR(mx_import_function_bytes(&g, b, len), MX_ERR_VALUE);                             \
    } while (0)
    /* counts that do not fit the bytes left */
    BAD(put32(b + po, 0xffffffffu));
    BAD(put32(b + po, 0x7fffffffu));
    BAD(put32(b + po, 2));
    /* an empty pool: the slot's index is out of range */
    BAD(put32(b + po, 0));
    /* the slot's index out of range */
    BAD(put32(b + ci, 1));
    BAD(put32(b + ci, 0xffffffffu));
    /* an entry of another dtype (same item size), ndim or shape than its slot */
    BAD(b[po + 4] = (unsigned char)MX_INT32);
    BAD(b[po + 4] = 0xee);
    BAD(put32(b + po + 6, 3));
    BAD(put32(b + po + 6, 0x80000000u));
    /* a byte count that disagrees with the entry's shape, or is huge */
    BAD(put32(b + po + 14, 28));
    BAD(put32(b + po + 14, 20));
    BAD(put32(b + po + 18, 1));
    /* an unknown spread flag */
    BAD(b[ci - 1] = 2);
#undef BAD
    /* spread 1 on the slot's own shape: the entry spreads to itself */
    memcpy(b, good, len);
    b[ci - 1] = 1;
    CHECK_OK(mx_import_function_bytes(&g, b, len));
    if (g) {
        CHECK_OK(mx_closure_apply(g, &out, &in));
        if (out.size == 1) CHECK_OK(mx_eval(out.data, 1));
        float got[6] = {0};
        if (out.size == 1) CHECK_OK(mx_array_copy_to(out.data[0], got, sizeof got));
        for (int i = 0; i < 6; i++) CHECK(got[i] == 2 * cd[i]);
        mx_vec_clear(&out);
        mx_closure_free(g);
        g = NULL;
    }
    /* every truncation and a trailing byte */
    for (size_t n = 0; n < len; n++) CHECK_ERR(mx_import_function_bytes(&g, good, n), MX_ERR_VALUE);
    memcpy(b, good, len);
    b[len] = 0;
    CHECK_ERR(mx_import_function_bytes(&g, b, len + 1), MX_ERR_VALUE);
    /* every single-byte change loads and runs, or fails cleanly */
    for (size_t i = 0; i < len; i++) {
        static const unsigned char vals[4] = {0x00, 0x01, 0x7f, 0xff};
        for (int v = 0; v < 4; v++) {
            memcpy(b, good, len);
            if (b[i] == vals[v]) continue;
            b[i] = vals[v];
            if (mx_import_function_bytes(&g, b, len) == MX_OK) {
                if (mx_closure_apply(g, &out, &in) == MX_OK && out.size)
                    mx_eval(out.data, (size_t)out.size);
                mx_vec_clear(&out);
                mx_closure_free(g);
                g = NULL;
            }
            mx_clear_error();
        }
    }
    free(b);
    free(good);
    mx_vec_clear(&in);
    mx_closure_free(f);
    mx_array_free(c);
    mx_array_free(x);
}

int main(void) {
    snprintf(path, sizeof path, "/tmp/cmlx_test_fnpool_%d.mlxfn", (int)getpid());
    RUN(shared_constant);
    RUN(views_of_one_buffer);
    RUN(corrupted_pool);
    unlink(path);
    return TEST_SUMMARY();
}
