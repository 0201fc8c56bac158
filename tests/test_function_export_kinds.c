/*
 * Function import of the kinds checked through constructors that are not
 * plain public ops: randint, categorical, permutation, normal with a scale,
 * multivariate normal (CovSqrt), GatherQMM, Median, MaskedScatter,
 * AsStrided, Depends, and what derivatives make (transposed Hadamard,
 * convolutions with negative paddings, flipped quantized products, the
 * backward RoPE). Each exported function comes back with bit-identical
 * results; files with a forged dtype, shape, parameter or blob size are
 * refused.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ops/nodes.h"
#include "primitives/params_conv.h"
#include "primitives/params_fast.h"
#include "primitives/params_shape.h"
#include "transforms_fd.h"

#define TRY(x)                                                                                     \
    do {                                                                                           \
        rc = (x);                                                                                  \
        if (rc) goto done;                                                                         \
    } while (0)

static char path[256];

/* ---- a reader of the file's first trace (docs/function_format.md) ---- */

typedef struct fslot {
    size_t dtype_at, shape_at; /* offsets of the dtype byte and of shape[0] */
    int kind, ndim;
} fslot;

typedef struct fop {
    char kind[40];
    size_t at, psize_at, params_at; /* the op's first byte, its params_size, its params */
    uint32_t n_in, n_out, out0, psize;
    uint32_t in[16];
} fop;

typedef struct ffile {
    fslot slots[4096];
    fop ops[1024];
    int n_slots, n_ops;
} ffile;

static uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static bool parse(const unsigned char *b, size_t len, ffile *f) {
    size_t o = 12;
    uint32_t flags = rd32(b + o);
    o += 4;
    uint32_t nk = rd32(b + o);
    o += 4;
    char names[64][40];
    for (uint32_t k = 0; k < nk && k < 64; k++) {
        size_t l = (size_t)b[o] | (size_t)b[o + 1] << 8;
        snprintf(names[k], sizeof names[k], "%.*s", (int)l, (const char *)b + o + 2);
        o += 2 + l;
    }
    if (flags & 4) o += 4 + rd32(b + o);
    uint32_t nc = rd32(b + o);
    o += 4;
    for (uint32_t c = 0; c < nc; c++) {
        int nd = b[o + 1];
        o += 2 + 4 * (size_t)nd;
        uint64_t nb = rd32(b + o) | (uint64_t)rd32(b + o + 4) << 32;
        o += 8 + nb;
    }
    o += 4; /* n_traces */
    if (flags & 2) return false;
    o += 4; /* n_inputs */
    f->n_slots = (int)rd32(b + o);
    o += 4;
    if (f->n_slots > 4096) return false;
    for (int i = 0; i < f->n_slots; i++) {
        if (o + 3 > len) return false;
        fslot *s = &f->slots[i];
        s->kind = b[o];
        s->dtype_at = o + 1;
        s->ndim = b[o + 2];
        s->shape_at = o + 3;
        o += 3 + 4 * (size_t)s->ndim;
        o += s->kind == 1 ? 5 : 4;
    }
    f->n_ops = (int)rd32(b + o);
    o += 4;
    if (f->n_ops > 1024 || nk > 64) return false;
    for (int k = 0; k < f->n_ops; k++) {
        fop *p = &f->ops[k];
        if (o + 20 > len || rd32(b + o) >= nk) return false;
        p->at = o;
        snprintf(p->kind, sizeof p->kind, "%s", names[rd32(b + o)]);
        p->n_in = rd32(b + o + 4);
        p->n_out = rd32(b + o + 8);
        p->out0 = rd32(b + o + 12);
        p->psize_at = o + 16;
        p->psize = rd32(b + o + 16);
        p->params_at = o + 20;
        o += 20 + p->psize;
        for (uint32_t i = 0; i < p->n_in; i++) {
            if (i < 16) p->in[i] = rd32(b + o);
            o += 4;
        }
    }
    return o <= len;
}

/* ---- checks ---- */

/* f and its imported copy give the same bytes. */
static void expect_identical(mx_closure *f, mx_closure *g, const mx_vec *in) {
    mx_vec eo = {0}, go = {0};
    CHECK_OK(mx_closure_apply(f, &eo, in));
    CHECK_OK(mx_closure_apply(g, &go, in));
    CHECK(eo.size == go.size && eo.size > 0);
    for (int i = 0; i < eo.size && i < go.size; i++) {
        mx_array *a = eo.data[i], *b = go.data[i];
        CHECK_OK(mx_eval(&a, 1));
        CHECK_OK(mx_eval(&b, 1));
        CHECK(mx_array_dtype(a) == mx_array_dtype(b));
        CHECK(mx_array_ndim(a) == mx_array_ndim(b));
        if (mx_array_nbytes(a) != mx_array_nbytes(b) || mx_array_ndim(a) != mx_array_ndim(b)) {
            CHECK(false);
            continue;
        }
        for (int d = 0; d < mx_array_ndim(a); d++)
            CHECK(mx_array_shape(a)[d] == mx_array_shape(b)[d]);
        size_t n = mx_array_nbytes(a);
        unsigned char *x = malloc(n + 1), *y = malloc(n + 1);
        CHECK_OK(mx_array_copy_to(a, x, n));
        CHECK_OK(mx_array_copy_to(b, y, n));
        CHECK(memcmp(x, y, n) == 0);
        free(x);
        free(y);
    }
    mx_vec_clear(&eo);
    mx_vec_clear(&go);
}

/* The bytes are refused with a message naming the import. */
static void expect_refused(const unsigned char *b, size_t len, const char *what) {
    mx_closure *g = NULL;
    int rc = mx_import_function_bytes(&g, b, len);
    if (rc == MX_OK) {
        fprintf(stderr, "    accepted: %s\n", what);
        mx_closure_free(g);
    }
    CHECK(rc == MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "import_function") != NULL);
    mx_clear_error();
}

/* The bytes are refused, or what they build runs or fails cleanly. */
static int refused_or_runs(const unsigned char *b, size_t len, const mx_vec *in) {
    mx_closure *g = NULL;
    if (mx_import_function_bytes(&g, b, len) != MX_OK) {
        mx_clear_error();
        return 1;
    }
    mx_vec out = {0};
    if (mx_closure_apply(g, &out, in) == MX_OK && out.size) mx_eval(out.data, (size_t)out.size);
    mx_clear_error();
    mx_vec_clear(&out);
    mx_closure_free(g);
    return 0;
}

/* A copy of b with `cut` bytes removed at `at` (cut < 0: -cut zero bytes
 * inserted there). */
static unsigned char *splice(const unsigned char *b, size_t len, size_t at, int cut, size_t *nl) {
    unsigned char *c = calloc(len + 16, 1);
    memcpy(c, b, at);
    if (cut >= 0) {
        memcpy(c + at, b + at + cut, len - at - (size_t)cut);
        *nl = len - (size_t)cut;
    } else {
        memcpy(c + at - cut, b + at, len - at);
        *nl = len + (size_t)-cut;
    }
    return c;
}

static bool pick_last; /* forge the last op of the kind (a derivative's), not the first */

static const fop *find_op(const ffile *f, const char *kind) {
    const fop *r = NULL;
    for (int k = 0; k < f->n_ops; k++)
        if (strcmp(f->ops[k].kind, kind) == 0 && (!r || pick_last)) r = &f->ops[k];
    return r;
}

/* Another dtype than t that is valid. */
static unsigned char other_dtype(unsigned char t) {
    return t == MX_FLOAT32 ? MX_FLOAT16 : MX_FLOAT32;
}

typedef void (*field_fn)(unsigned char *b, size_t len, const fop *op, const mx_vec *in);

/* Exports fn at `in`, imports it (identical results), then forges the
 * first op of `kind`: its output's dtype and shape, its first input's
 * dtype, its blob's size, each blob byte (refused or runs), and what
 * `fields` forges for the kind. */
static void round_trip(mx_closure_fn fn, mx_vec *in, const char *kind, field_fn fields) {
    mx_closure *f = fd_fn(fn), *g = NULL;
    CHECK_OK(mx_export_function(path, f, in, false));
    CHECK_OK(mx_import_function(&g, path));
    if (g) expect_identical(f, g, in);
    mx_closure_free(g);
    size_t len = 0;
    unsigned char *good = test_read_file(path, &len);
    static ffile ff;
    memset(&ff, 0, sizeof ff);
    CHECK(good && parse(good, len, &ff));
    const fop *op = good ? find_op(&ff, kind) : NULL;
    if (!op) fprintf(stderr, "    no %s op in the file\n", kind);
    CHECK(op != NULL);
    if (!op) {
        free(good);
        mx_closure_free(f);
        return;
    }
    unsigned char *b = malloc(len + 16);
    const fslot *o = &ff.slots[op->out0];
    /* the output's dtype and shape */
    memcpy(b, good, len);
    b[o->dtype_at] = other_dtype(b[o->dtype_at]);
    expect_refused(b, len, "output dtype");
    if (o->ndim) {
        memcpy(b, good, len);
        wr32(b + o->shape_at, rd32(b + o->shape_at) + 1);
        expect_refused(b, len, "output shape");
    }
    /* the first input's dtype, when it is an op's output or an argument */
    if (op->n_in && ff.slots[op->in[0]].kind != 1) {
        memcpy(b, good, len);
        size_t at = ff.slots[op->in[0]].dtype_at;
        b[at] = b[at] == MX_UINT32 ? MX_INT32 : other_dtype(b[at]);
        expect_refused(b, len, "input dtype");
    }
    /* the blob one byte shorter and one longer */
    size_t nl = 0;
    unsigned char *c = NULL;
    if (op->psize) {
        c = splice(good, len, op->params_at + op->psize - 1, 1, &nl);
        wr32(c + op->psize_at, op->psize - 1);
        expect_refused(c, nl, "short blob");
        free(c);
    }
    c = splice(good, len, op->params_at + op->psize, -4, &nl);
    wr32(c + op->psize_at, op->psize + 4);
    expect_refused(c, nl, "long blob");
    free(c);
    /* every blob byte forged */
    int refused = 0, tries = 0;
    for (uint32_t i = 0; i < op->psize; i++) {
        static const unsigned char vals[4] = {0x01, 0x40, 0x80, 0xff};
        for (int v = 0; v < 4; v++) {
            memcpy(b, good, len);
            if (b[op->params_at + i] == vals[v]) continue;
            b[op->params_at + i] = vals[v];
            refused += refused_or_runs(b, len, in);
            tries++;
        }
    }
    CHECK(op->psize == 0 || refused > 0);
    (void)tries;
    if (fields) fields(good, len, op, in);
    free(b);
    free(good);
    mx_closure_free(f);
}

/* Sets the int32 at byte `off` of op's blob in a copy of b and expects a
 * refusal. */
static void forge_i32(const unsigned char *b, size_t len, const fop *op, size_t off, int32_t v,
                      const char *what) {
    unsigned char *c = malloc(len);
    memcpy(c, b, len);
    wr32(c + op->params_at + off, (uint32_t)v);
    expect_refused(c, len, what);
    free(c);
}

static void forge_i64(const unsigned char *b, size_t len, const fop *op, size_t off, int64_t v,
                      const char *what) {
    unsigned char *c = malloc(len);
    memcpy(c, b, len);
    wr32(c + op->params_at + off, (uint32_t)(uint64_t)v);
    wr32(c + op->params_at + off + 4, (uint32_t)((uint64_t)v >> 32));
    expect_refused(c, len, what);
    free(c);
}

/* ---- the functions ---- */

static mx_array *key_of(uint64_t seed) {
    mx_array *k = NULL;
    CHECK_OK(mx_random_key(&k, seed));
    return k;
}

static int push(mx_vec *o, mx_array **a) {
    int rc = mx_vec_push(o, *a);
    *a = NULL;
    return rc;
}

/* randint(-5, 1000, (3, 4), int32) and (2, 5) uint8 from the key input */
static int f_randint(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *lo = NULL, *hi = NULL, *r = NULL, *u = NULL, *lo8 = NULL, *hi8 = NULL;
    int32_t s1[2] = {3, 4}, s2[2] = {2, 5};
    int rc = MX_OK;
    TRY(mx_array_from_int(&lo, -5, MX_INT32));
    TRY(mx_array_from_int(&hi, 1000, MX_INT32));
    TRY(mx_random_randint(&r, lo, hi, s1, 2, MX_INT32, in->data[0], NULL));
    TRY(mx_array_from_int(&lo8, 3, MX_UINT8));
    TRY(mx_array_from_int(&hi8, 200, MX_UINT8));
    TRY(mx_random_randint(&u, lo8, hi8, s2, 2, MX_UINT8, in->data[0], NULL));
    TRY(push(o, &r));
    TRY(push(o, &u));
done:
    mx_array_free(lo), mx_array_free(hi), mx_array_free(r);
    mx_array_free(u), mx_array_free(lo8), mx_array_free(hi8);
    return rc;
}

static void forge_nothing(unsigned char *b, size_t len, const fop *op, const mx_vec *in) {
    (void)b, (void)len, (void)op, (void)in;
}

/* categorical(logits, axis 1) from the key */
static int f_categorical(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL;
    int rc = mx_random_categorical(&r, in->data[1], 1, in->data[0], NULL);
    if (!rc) rc = push(o, &r);
    return rc;
}

static void forge_axis(unsigned char *b, size_t len, const fop *op, const mx_vec *in) {
    (void)in;
    forge_i32(b, len, op, 0, 2, "axis out of range");
    forge_i32(b, len, op, 0, -1, "negative axis");
}

/* permutation(x, axis 1) and permutation(7) from the key */
static int f_permutation(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL, *a = NULL;
    int rc = MX_OK;
    TRY(mx_random_permutation(&r, in->data[1], 1, in->data[0], NULL));
    TRY(mx_random_permutation_arange(&a, 7, in->data[0], NULL));
    TRY(push(o, &r));
    TRY(push(o, &a));
done:
    mx_array_free(r), mx_array_free(a);
    return rc;
}

/* normal with loc 1 and scale 2 (float32), and complex64 samples */
static int f_normal(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL, *c = NULL;
    int32_t s[2] = {4, 3};
    int rc = MX_OK;
    TRY(mx_random_normal_scalar(&r, s, 2, MX_FLOAT32, 1.0f, 2.0f, in->data[0], NULL));
    TRY(mx_random_normal(&c, s, 2, MX_COMPLEX64, NULL, NULL, in->data[0], NULL));
    TRY(push(o, &r));
    TRY(mx_real(&r, c, NULL));
    TRY(push(o, &r));
done:
    mx_array_free(r), mx_array_free(c);
    return rc;
}

static void forge_normal(unsigned char *b, size_t len, const fop *op, const mx_vec *in) {
    (void)in;
    forge_i32(b, len, op, 0, 2, "scaled flag 2");
    forge_i32(b, len, op, 0, -1, "scaled flag -1");
}

/* multivariate_normal(mean, cov, (5,)) */
static int f_multivariate(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL;
    int32_t s[1] = {5};
    int rc = mx_random_multivariate_normal(&r, in->data[1], in->data[2], s, 1, MX_FLOAT32,
                                           in->data[0], NULL);
    if (!rc) rc = push(o, &r);
    return rc;
}

static int f_median(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL, *q = NULL;
    int ax = 1, rc = MX_OK;
    TRY(mx_median_axes(&r, in->data[0], &ax, 1, false, NULL));
    TRY(mx_median(&q, in->data[0], false, NULL));
    TRY(push(o, &r));
    TRY(push(o, &q));
done:
    mx_array_free(r), mx_array_free(q);
    return rc;
}

static void forge_median(unsigned char *b, size_t len, const fop *op, const mx_vec *in) {
    (void)in;
    forge_i32(b, len, op, 4, 2, "axis out of range");
    forge_i32(b, len, op, 0, 2, "more axes than the blob holds");
}

/* masked_scatter(a (3, 4), mask over the rows (3,), values (2, 4)) */
static int f_masked_scatter(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL;
    int rc = mx_masked_scatter(&r, in->data[0], in->data[1], in->data[2], NULL);
    if (!rc) rc = push(o, &r);
    return rc;
}

/* as_strided(x (3, 4) -> (3, 3), strides (4, 1), offset 1), then a
 * window view with a zero stride */
static int f_as_strided(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL, *w = NULL;
    int32_t s[2] = {3, 3}, s3[3] = {2, 2, 3};
    int64_t st[2] = {4, 1}, st3[3] = {0, 4, 1};
    int rc = MX_OK;
    TRY(mx_as_strided(&r, in->data[0], s, 2, st, 1, NULL));
    TRY(mx_as_strided(&w, in->data[0], s3, 3, st3, 5, NULL));
    TRY(push(o, &r));
    TRY(push(o, &w));
done:
    mx_array_free(r), mx_array_free(w);
    return rc;
}

static void forge_as_strided(unsigned char *b, size_t len, const fop *op, const mx_vec *in) {
    (void)in;
    size_t s0 = offsetof(mxi_as_strided_params, strides);
    /* the last element read would be 2 * 4 + 2 + offset = 11 with offset 1 */
    forge_i64(b, len, op, 0, 2, "offset reaching past the end");
    forge_i64(b, len, op, 0, -1, "negative offset");
    forge_i64(b, len, op, s0, 5, "stride reaching past the end");
    forge_i64(b, len, op, s0, -4, "stride reaching before the start");
    forge_i64(b, len, op, s0 + 8, INT64_MAX / 2, "overflowing stride");
    forge_i32(b, len, op, offsetof(mxi_as_strided_params, pad), 1, "padding bytes");
    forge_i32(b, len, op, offsetof(mxi_as_strided_params, ndim), 3, "ndim");
}

/* depends(2 * x, on y) + y */
static int f_depends(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *t = NULL, *d = NULL, *r = NULL, *two = NULL;
    int rc = MX_OK;
    TRY(mx_array_from_float(&two, 2, MX_FLOAT32));
    TRY(mx_multiply(&t, in->data[0], two, NULL));
    const mx_array *xs[1] = {t}, *deps[1] = {in->data[1]};
    TRY(mx_depends(&d, xs, 1, deps, 1));
    TRY(mx_add(&r, d, in->data[1], NULL));
    TRY(push(o, &r));
done:
    mx_array_free(t), mx_array_free(d), mx_array_free(r), mx_array_free(two);
    return rc;
}

/* gather_qmm(x (2, 1, 64), w (3, 32, 64) quantized 4-bit, lhs (2,), rhs (2,)) */
static int f_gather_qmm(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL;
    int rc = mx_gather_qmm(&r, in->data[0], in->data[1], in->data[2], in->data[3], in->data[4],
                           in->data[5], true, 32, 4, "affine", false, NULL);
    if (!rc) rc = push(o, &r);
    return rc;
}

static void forge_quant(unsigned char *b, size_t len, const fop *op, const mx_vec *in) {
    (void)in;
    forge_i32(b, len, op, 8, 3, "bits 3");
    forge_i32(b, len, op, 4, 48, "group size 48");
    forge_i32(b, len, op, 0, 9, "mode 9");
    forge_i32(b, len, op, 12, !rd32(b + op->params_at + 12), "transpose flipped");
    forge_i32(b, len, op, 12, 2, "transpose 2");
}

/* ---- derivatives ---- */

/* sum(c * hadamard(x)) */
static int l_hadamard(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *h = NULL, *m = NULL, *s = NULL;
    int rc = MX_OK;
    TRY(mx_hadamard_transform(&h, in->data[0], NULL, NULL));
    TRY(mx_multiply(&m, h, in->data[1], NULL));
    TRY(mx_sum(&s, m, false, NULL));
    TRY(push(o, &s));
done:
    mx_array_free(h), mx_array_free(m), mx_array_free(s);
    return rc;
}

/* sum(c * conv2d(x, w, stride 2, padding 1)) */
static int l_conv(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = NULL, *m = NULL, *s = NULL;
    int st[2] = {2, 2}, pad[2] = {1, 1}, rc = MX_OK;
    TRY(mx_conv2d(&y, in->data[0], in->data[1], st, pad, NULL, 1, NULL));
    TRY(mx_multiply(&m, y, in->data[2], NULL));
    TRY(mx_sum(&s, m, false, NULL));
    TRY(push(o, &s));
done:
    mx_array_free(y), mx_array_free(m), mx_array_free(s);
    return rc;
}

/* sum(quantized_matmul(x, w, scales, biases)^2) */
static int l_qmm(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = NULL, *m = NULL, *s = NULL;
    int rc = MX_OK;
    TRY(mx_quantized_matmul(&y, in->data[0], in->data[1], in->data[2], in->data[3], true, 32, 4,
                            "affine", NULL));
    TRY(mx_square(&m, y, NULL));
    TRY(mx_sum(&s, m, false, NULL));
    TRY(push(o, &s));
done:
    mx_array_free(y), mx_array_free(m), mx_array_free(s);
    return rc;
}

/* sum(gather_qmm(...)^2) */
static int l_gather_qmm(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = NULL, *m = NULL, *s = NULL;
    int rc = MX_OK;
    TRY(mx_gather_qmm(&y, in->data[0], in->data[1], in->data[2], in->data[3], in->data[4],
                      in->data[5], true, 32, 4, "affine", false, NULL));
    TRY(mx_square(&m, y, NULL));
    TRY(mx_sum(&s, m, false, NULL));
    TRY(push(o, &s));
done:
    mx_array_free(y), mx_array_free(m), mx_array_free(s);
    return rc;
}

/* sum(c * rope(x, dims 8, offset 3)) */
static int l_rope(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = NULL, *m = NULL, *s = NULL;
    float base = 10000.0f;
    int rc = MX_OK;
    TRY(mx_fast_rope(&y, in->data[0], 8, false, &base, 1.0f, 3, NULL, NULL));
    TRY(mx_multiply(&m, y, in->data[1], NULL));
    TRY(mx_sum(&s, m, false, NULL));
    TRY(push(o, &s));
done:
    mx_array_free(y), mx_array_free(m), mx_array_free(s);
    return rc;
}

static mx_closure_fn loss;
static int n_grad_args;

/* value_and_grad of `loss` with respect to its first n_grad_args inputs */
static int f_grad(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_closure *l = NULL;
    mx_vec v = {0}, g = {0};
    int args[4] = {0, 1, 2, 3};
    int rc = mx_closure_new(&l, loss, NULL, NULL);
    if (!rc) rc = mx_value_and_grad(&v, &g, l, in, args, n_grad_args);
    for (int i = 0; !rc && i < v.size; i++) rc = mx_vec_append(o, v.data[i]);
    for (int i = 0; !rc && i < g.size; i++) rc = mx_vec_append(o, g.data[i]);
    mx_vec_clear(&v), mx_vec_clear(&g);
    mx_closure_free(l);
    return rc;
}

static void forge_hadamard(unsigned char *b, size_t len, const fop *op, const mx_vec *in) {
    (void)in;
    forge_i32(b, len, op, 4, 2, "transposed 2");
}

static void forge_conv(unsigned char *b, size_t len, const fop *op, const mx_vec *in) {
    (void)in;
    mxi_conv_params p;
    memcpy(&p, b + op->params_at, sizeof p); /* the blob is not aligned in the file */
    forge_i32(b, len, op, offsetof(mxi_conv_params, pad_hi), p.pad_hi[0] + 7, "pad_hi");
    forge_i32(b, len, op, offsetof(mxi_conv_params, stride), 0, "stride 0");
    forge_i32(b, len, op, offsetof(mxi_conv_params, groups), 2, "groups 2");
    forge_i32(b, len, op, offsetof(mxi_conv_params, input_dilation) + 8, 1, "unused axis");
    forge_i32(b, len, op, offsetof(mxi_conv_params, ndim), 3, "ndim 3");
}

/* ---- tests ---- */

static mx_vec vec_of(int n, mx_array **a) {
    mx_vec v = {0};
    for (int i = 0; i < n; i++) CHECK_OK(mx_vec_push(&v, a[i]));
    return v;
}

TEST(random_kinds) {
    int32_t s34[2] = {3, 4}, s3[1] = {3}, s33[2] = {3, 3};
    mx_array *a[3] = {key_of(7)};
    mx_vec in = vec_of(1, a);
    round_trip(f_randint, &in, "RandomRandint", forge_nothing);
    round_trip(f_normal, &in, "RandomNormal", forge_normal);
    mx_vec_clear(&in);

    a[0] = key_of(11);
    a[1] = fd_input(s34, 2, -2, 2, FD_DENSE, MX_FLOAT32);
    in = vec_of(2, a);
    round_trip(f_categorical, &in, "CategoricalArgmax", forge_axis);
    round_trip(f_permutation, &in, "RandomPermutation", forge_axis);
    mx_vec_clear(&in);

    /* a symmetric positive definite covariance */
    float cov[9] = {2, 0.5f, 0.1f, 0.5f, 1.5f, 0.2f, 0.1f, 0.2f, 1};
    a[0] = key_of(5);
    a[1] = fd_input(s3, 1, -1, 1, FD_DENSE, MX_FLOAT32);
    CHECK_OK(mx_array_from_data(&a[2], cov, s33, 2, MX_FLOAT32));
    in = vec_of(3, a);
    round_trip(f_multivariate, &in, "CovSqrt", forge_nothing);
    mx_vec_clear(&in);
}

TEST(median_masked_scatter) {
    int32_t s45[2] = {4, 5}, s34[2] = {3, 4}, s3[1] = {3}, s24[2] = {2, 4};
    mx_array *a[3] = {fd_input(s45, 2, -3, 3, FD_TRANSPOSED, MX_FLOAT32)};
    mx_vec in = vec_of(1, a);
    round_trip(f_median, &in, "Median", forge_median);
    mx_vec_clear(&in);

    bool m[3] = {true, false, true};
    a[0] = fd_input(s34, 2, -3, 3, FD_DENSE, MX_FLOAT32);
    CHECK_OK(mx_array_from_data(&a[1], m, s3, 1, MX_BOOL));
    a[2] = fd_input(s24, 2, 10, 20, FD_DENSE, MX_FLOAT32);
    in = vec_of(3, a);
    round_trip(f_masked_scatter, &in, "MaskedScatter", forge_nothing);
    mx_vec_clear(&in);
}

TEST(views) {
    int32_t s34[2] = {3, 4};
    mx_array *a[2] = {fd_input(s34, 2, -3, 3, FD_TRANSPOSED, MX_FLOAT32)};
    mx_vec in = vec_of(1, a);
    round_trip(f_as_strided, &in, "AsStrided", forge_as_strided);
    mx_vec_clear(&in);

    a[0] = fd_input(s34, 2, -3, 3, FD_DENSE, MX_FLOAT32);
    a[1] = fd_input(s34, 2, -3, 3, FD_DENSE, MX_FLOAT32);
    in = vec_of(2, a);
    round_trip(f_depends, &in, "Depends", forge_nothing);
    mx_vec_clear(&in);
}

/* w (E, N, K) quantized as 4-bit affine, x (B, 1, K), indices (B,). */
static mx_vec gather_qmm_inputs(void) {
    int32_t sw[3] = {3, 32, 64}, sx[3] = {2, 1, 64}, s2[1] = {2};
    mx_array *w = fd_input(sw, 3, -1, 1, FD_DENSE, MX_FLOAT32), *a[6] = {0};
    a[0] = fd_input(sx, 3, -1, 1, FD_DENSE, MX_FLOAT32);
    CHECK_OK(mx_quantize(&a[1], &a[2], &a[3], w, 32, 4, "affine", NULL));
    CHECK_OK(mx_eval(&a[1], 3));
    uint32_t li[2] = {1, 0}, ri[2] = {2, 0};
    CHECK_OK(mx_array_from_data(&a[4], li, s2, 1, MX_UINT32));
    CHECK_OK(mx_array_from_data(&a[5], ri, s2, 1, MX_UINT32));
    mx_array_free(w);
    return vec_of(6, a);
}

TEST(gather_qmm) {
    mx_vec in = gather_qmm_inputs();
    round_trip(f_gather_qmm, &in, "GatherQMM", forge_quant);
    /* its x-gradient is a GatherQMM with transpose flipped */
    loss = l_gather_qmm, n_grad_args = 1;
    pick_last = true;
    round_trip(f_grad, &in, "GatherQMM", forge_quant);
    pick_last = false;
    mx_vec_clear(&in);
}

TEST(gradients) {
    pick_last = true;
    int32_t s212[2] = {2, 12}, sx[4] = {2, 7, 7, 3}, sw[4] = {4, 3, 3, 3}, sy[4] = {2, 4, 4, 4},
            sq[2] = {5, 64}, swq[2] = {32, 64}, sr[4] = {2, 3, 5, 16};
    /* transposed Hadamard (12 = 12 * 2^0: the non-symmetric base) */
    mx_array *a[4] = {fd_input(s212, 2, -1, 1, FD_DENSE, MX_FLOAT32),
                      fd_input(s212, 2, -1, 1, FD_DENSE, MX_FLOAT32)};
    mx_vec in = vec_of(2, a);
    loss = l_hadamard, n_grad_args = 1;
    round_trip(f_grad, &in, "Hadamard", forge_hadamard);
    mx_vec_clear(&in);

    /* convolution: both gradients are convolutions with negative paddings */
    a[0] = fd_input(sx, 4, -1, 1, FD_DENSE, MX_FLOAT32);
    a[1] = fd_input(sw, 4, -1, 1, FD_DENSE, MX_FLOAT32);
    a[2] = fd_input(sy, 4, -1, 1, FD_DENSE, MX_FLOAT32);
    in = vec_of(3, a);
    loss = l_conv, n_grad_args = 2;
    round_trip(f_grad, &in, "Convolution", forge_conv);
    mx_vec_clear(&in);

    /* quantized matmul: x's gradient flips transpose */
    mx_array *w = fd_input(swq, 2, -1, 1, FD_DENSE, MX_FLOAT32);
    a[1] = a[2] = a[3] = NULL; /* mx_quantize releases what its outputs held */
    a[0] = fd_input(sq, 2, -1, 1, FD_DENSE, MX_FLOAT32);
    CHECK_OK(mx_quantize(&a[1], &a[2], &a[3], w, 32, 4, "affine", NULL));
    mx_array_free(w);
    in = vec_of(4, a);
    loss = l_qmm, n_grad_args = 1;
    round_trip(f_grad, &in, "QuantizedMatmul", NULL);
    mx_vec_clear(&in);

    /* rope: its gradient is composed of ordinary ops */
    a[0] = fd_input(sr, 4, -1, 1, FD_DENSE, MX_FLOAT32);
    a[1] = fd_input(sr, 4, -1, 1, FD_DENSE, MX_FLOAT32);
    in = vec_of(2, a);
    loss = l_rope, n_grad_args = 1;
    round_trip(f_grad, &in, "Multiply", NULL);
    mx_vec_clear(&in);
    pick_last = false;
}

static int f_rope(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = NULL;
    float base = 10000.0f;
    int rc = mx_fast_rope(&y, in->data[0], 8, true, &base, 0.5f, 2, NULL, NULL);
    if (!rc) rc = push(o, &y);
    return rc;
}

/* A RoPE node rotating backwards (forward = 0) is read and gives the
 * transposed rotation; a forward flag other than 0 or 1 is refused. */
TEST(backward_rope) {
    int32_t sr[4] = {2, 3, 5, 16};
    mx_array *a[1] = {fd_input(sr, 4, -1, 1, FD_DENSE, MX_FLOAT32)};
    mx_vec in = vec_of(1, a);
    round_trip(f_rope, &in, "RoPE", NULL);
    mx_closure *f = fd_fn(f_rope), *g = NULL;
    CHECK_OK(mx_export_function(path, f, &in, false));
    size_t len = 0;
    unsigned char *b = test_read_file(path, &len);
    static ffile ff;
    CHECK(b && parse(b, len, &ff));
    const fop *op = b ? find_op(&ff, "RoPE") : NULL;
    CHECK(op != NULL);
    if (op) {
        forge_i32(b, len, op, offsetof(mxi_rope_params, forward), 2, "forward 2");
        wr32(b + op->params_at + offsetof(mxi_rope_params, forward), 0);
        CHECK_OK(mx_import_function_bytes(&g, b, len));
        mx_vec out = {0};
        mx_array *off = NULL, *want = NULL;
        float base = 10000.0f;
        CHECK_OK(mx_array_from_int(&off, 2, MX_INT32));
        CHECK_OK(
            mxi_fast_rope_dir(&want, in.data[0], 8, true, &base, 0.5f, off, NULL, false, NULL));
        if (g) CHECK_OK(mx_closure_apply(g, &out, &in));
        CHECK(out.size == 1);
        if (out.size == 1) {
            double *x = fd_read(out.data[0]), *y = fd_read(want);
            for (size_t i = 0; i < mx_array_size(want); i++) CHECK(x[i] == y[i]);
            free(x), free(y);
        }
        mx_vec_clear(&out);
        mx_array_free(off), mx_array_free(want);
    }
    mx_closure_free(g);
    mx_closure_free(f);
    free(b);
    mx_vec_clear(&in);
}

int main(void) {
    snprintf(path, sizeof path, "/tmp/cmlx_test_fnk_%d.mlxfn", (int)getpid());
    RUN(random_kinds);
    RUN(median_masked_scatter);
    RUN(views);
    RUN(gather_qmm);
    RUN(gradients);
    RUN(backward_rope);
    unlink(path);
    return TEST_SUMMARY();
}
