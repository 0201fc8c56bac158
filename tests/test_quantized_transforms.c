/*
 * Transforms of the quantization primitives.
 *
 * Derivatives of quantized_matmul and gather_qmm: the product is linear in
 * x and, in the "affine" mode, in the scales and biases each, so a central
 * difference along any direction u is exact up to rounding: the vjp must
 * satisfy <vjp(g), u> = <g, (f(p + u) - f(p - u)) / 2> and the jvp along u
 * must equal that difference; dequantize alike in its "affine" scales and
 * biases. Also the errors for the fp modes' scales,
 * the packed weights and the index arrays.
 *
 * vmap of quantize, dequantize and the fp8 conversions against a loop over
 * the slices.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

typedef struct qcfg {
    bool gather, transpose;
    int g, bits;
    const char *mode;
    mx_array *wq;      /* packed weights (not an input unless w_input) */
    mx_array *li, *ri; /* gather indices, NULL for arange */
    bool w_input;      /* inputs are (x, wq, s[, b]) instead of (x, s[, b]) */
    mx_array *s;       /* the scales when the inputs are x alone */
} qcfg;

static int apply_q(mx_vec *o, const mx_vec *in, void *payload) {
    const qcfg *c = payload;
    int k = 0;
    mx_array *x = in->data[k++], *w = c->w_input ? in->data[k++] : c->wq;
    mx_array *s = in->size > k ? in->data[k++] : c->s;
    mx_array *b = in->size > k ? in->data[k] : NULL, *r = NULL;
    int rc = c->gather
                 ? mx_gather_qmm(&r, x, w, s, b, c->li, c->ri, c->transpose, c->g, c->bits, c->mode,
                                 false, NULL)
                 : mx_quantized_matmul(&r, x, w, s, b, c->transpose, c->g, c->bits, c->mode, NULL);
    return rc ? rc : mx_vec_push(o, r);
}

static float lcg(uint64_t *st) {
    *st = *st * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*st >> 40) / (double)(1 << 24) * 2.0 - 1.0);
}

static mx_array *rand_like_shape(const int32_t *shape, int nd, uint64_t seed) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    float *v = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = lcg(&seed);
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, v, shape, nd, MX_FLOAT32));
    free(v);
    return a;
}

static mx_array *rand_like(const mx_array *a, uint64_t seed) {
    int32_t shape[8];
    int nd = mx_array_ndim(a);
    for (int i = 0; i < nd; i++) shape[i] = mx_array_dim(a, i);
    return rand_like_shape(shape, nd, seed);
}

static double dot(mx_array *a, mx_array *b) {
    mx_array *p = NULL, *s = NULL;
    CHECK_OK(mx_multiply(&p, a, b, NULL));
    CHECK_OK(mx_sum(&s, p, false, NULL));
    CHECK_OK(mx_eval(&s, 1));
    float v = 0;
    CHECK_OK(mx_array_copy_to(s, &v, sizeof v));
    mx_array_free(p), mx_array_free(s);
    return v;
}

static double max_abs(mx_array *a) {
    mx_array *m = NULL, *ab = NULL;
    CHECK_OK(mx_abs(&ab, a, NULL));
    CHECK_OK(mx_max(&m, ab, false, NULL));
    CHECK_OK(mx_eval(&m, 1));
    float v = 0;
    CHECK_OK(mx_array_copy_to(m, &v, sizeof v));
    mx_array_free(m), mx_array_free(ab);
    return v;
}

/* (f(p + u) - f(p - u)) / 2 with input i moved along u. */
static mx_array *central_diff(mx_closure *f, const mx_vec *prim, int i, mx_array *u) {
    mx_array *d[2] = {NULL, NULL}, *r = NULL, *h = NULL;
    for (int sgn = 0; sgn < 2; sgn++) {
        mx_vec in = {0}, out = {0};
        for (int k = 0; k < prim->size; k++) {
            mx_array *a = prim->data[k];
            if ((int)k == i) {
                mx_array *m = NULL;
                CHECK_OK(sgn ? mx_subtract(&m, a, u, NULL) : mx_add(&m, a, u, NULL));
                CHECK_OK(mx_vec_push(&in, m));
            } else {
                CHECK_OK(mx_vec_append(&in, a));
            }
        }
        CHECK_OK(mx_closure_apply(f, &out, &in));
        d[sgn] = mx_array_retain(out.data[0]);
        mx_vec_clear(&in), mx_vec_clear(&out);
    }
    CHECK_OK(mx_subtract(&r, d[0], d[1], NULL));
    mx_array *half = NULL;
    CHECK_OK(mx_array_from_float(&half, 0.5, MX_FLOAT32));
    CHECK_OK(mx_multiply(&h, r, half, NULL));
    mx_array_free(d[0]), mx_array_free(d[1]), mx_array_free(r), mx_array_free(half);
    return h;
}

/* vjp and jvp of every input of c's function at prim against central
 * differences. */
static void check_derivatives_of(mx_closure_fn fn, void *c, mx_vec *prim, uint64_t seed) {
    mx_closure *f = NULL;
    CHECK_OK(mx_closure_new(&f, fn, c, NULL));
    mx_vec outs = {0}, vjps = {0}, cot = {0};
    CHECK_OK(mx_closure_apply(f, &outs, prim));
    mx_array *g = rand_like(outs.data[0], seed);
    CHECK_OK(mx_vec_push(&cot, g));
    mx_vec_clear(&outs);
    CHECK_OK(mx_vjp(&outs, &vjps, f, prim, &cot));
    CHECK(vjps.size == prim->size);
    for (int i = 0; i < prim->size && vjps.size == prim->size; i++) {
        mx_array *p = prim->data[i], *v = vjps.data[i];
        CHECK(mx_array_ndim(v) == mx_array_ndim(p));
        for (int d = 0; d < mx_array_ndim(p) && mx_array_ndim(v) == mx_array_ndim(p); d++)
            CHECK(mx_array_dim(v, d) == mx_array_dim(p, d));
        mx_array *u = rand_like(p, seed + 10 + i), *fd = central_diff(f, prim, (int)i, u);
        double lhs = dot(v, u), rhs = dot(g, fd);
        CHECK_NEAR(lhs, rhs, 2e-3 * (1 + fabs(rhs)));
        /* forward mode along u, this input only */
        mx_vec tan = {0}, jo = {0}, jv = {0};
        for (int k = 0; k < prim->size; k++) {
            mx_array *t = NULL;
            if (k == i)
                t = mx_array_retain(u);
            else
                CHECK_OK(mx_zeros_like(&t, prim->data[k], mx_array_dtype(prim->data[k]), NULL));
            CHECK_OK(mx_vec_push(&tan, t));
        }
        CHECK_OK(mx_jvp(&jo, &jv, f, prim, &tan));
        if (jv.size == 1) {
            mx_array *diff = NULL;
            CHECK_OK(mx_subtract(&diff, jv.data[0], fd, NULL));
            CHECK(max_abs(diff) <= 2e-4 * (1 + max_abs(fd)));
            mx_array_free(diff);
        }
        mx_vec_clear(&tan), mx_vec_clear(&jo), mx_vec_clear(&jv);
        mx_array_free(u), mx_array_free(fd);
    }
    mx_vec_clear(&outs), mx_vec_clear(&vjps), mx_vec_clear(&cot);
    mx_closure_free(f);
}

static void check_derivatives(qcfg *c, mx_vec *prim, uint64_t seed) {
    check_derivatives_of(apply_q, c, prim, seed);
}

/* dequantize(c->wq, scales, biases) of the inputs (scales, biases). */
static int apply_deq(mx_vec *o, const mx_vec *in, void *payload) {
    const qcfg *c = payload;
    mx_array *r = NULL;
    int rc = mx_dequantize(&r, c->wq, in->data[0], in->data[1], c->g, c->bits, NULL, MX_DTYPE_NONE,
                           NULL);
    return rc ? rc : mx_vec_push(o, r);
}

/* dequantize in "mxfp8" of (w, scales), and of scales with payload w. */
static int apply_deq_fp(mx_vec *o, const mx_vec *in, void *payload) {
    (void)payload;
    mx_array *r = NULL;
    int rc = mx_dequantize(&r, in->data[0], in->data[1], NULL, 0, 0, "mxfp8", MX_FLOAT32, NULL);
    return rc ? rc : mx_vec_push(o, r);
}

static int apply_deq_fp_s(mx_vec *o, const mx_vec *in, void *payload) {
    mx_array *r = NULL;
    int rc = mx_dequantize(&r, payload, in->data[0], NULL, 0, 0, "mxfp8", MX_FLOAT32, NULL);
    return rc ? rc : mx_vec_push(o, r);
}

static mx_array *idx(const int32_t *v, int32_t n) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, v, &n, 1, MX_INT32));
    return a;
}

/* x (xshape), w (wshape) quantized "affine"; derivatives in x, s, b. */
static void affine_case(bool gather, bool transpose, const int32_t *xs, int xn, const int32_t *ws,
                        int wn, int g, int bits, const int32_t *lhs, const int32_t *rhs, int32_t n,
                        uint64_t seed) {
    mx_array *x = rand_like_shape(xs, xn, seed), *w = rand_like_shape(ws, wn, seed + 1);
    qcfg c = {.gather = gather, .transpose = transpose, .g = g, .bits = bits, .mode = NULL};
    mx_array *s = NULL, *b = NULL;
    CHECK_OK(mx_quantize(&c.wq, &s, &b, w, g, bits, NULL, NULL));
    if (lhs) c.li = idx(lhs, n);
    if (rhs) c.ri = idx(rhs, n);
    mx_vec prim = {0};
    CHECK_OK(mx_vec_push(&prim, x));
    CHECK_OK(mx_vec_push(&prim, s));
    CHECK_OK(mx_vec_push(&prim, b));
    check_derivatives(&c, &prim, seed + 2);
    mx_vec_clear(&prim);
    mx_array_free(w), mx_array_free(c.wq), mx_array_free(c.li), mx_array_free(c.ri);
}

TEST(test_qmm_affine_derivatives) {
    int32_t x3[3] = {2, 3, 64}, w2[2] = {32, 64}, wn[2] = {64, 32}, x1[1] = {64};
    int32_t wb[3] = {2, 32, 64}, xb[2] = {5, 64};
    affine_case(false, true, x3, 3, w2, 2, 32, 4, NULL, NULL, 0, 100);
    affine_case(false, false, x3, 3, wn, 2, 32, 8, NULL, NULL, 0, 200);
    affine_case(false, true, x1, 1, w2, 2, 64, 3, NULL, NULL, 0, 300);
    /* w with batch axes, x broadcast against them */
    affine_case(false, true, xb, 2, wb, 3, 32, 2, NULL, NULL, 0, 400);
}

TEST(test_gather_qmm_affine_derivatives) {
    int32_t x3[3] = {2, 3, 64}, w3[3] = {4, 32, 64}, wt[3] = {4, 64, 32}, x2[2] = {3, 64};
    int32_t l5[5] = {0, 1, 1, 0, 1}, r5[5] = {3, 0, 3, 3, 1}, r4[4] = {0, 1, 2, 3};
    /* repeated right indices add their matrices' cotangents */
    affine_case(true, true, x3, 3, w3, 3, 32, 4, l5, r5, 5, 500);
    affine_case(true, false, x3, 3, wt, 3, 32, 6, l5, r5, 5, 600);
    /* x without batch axes, only right indices */
    affine_case(true, true, x2, 2, w3, 3, 64, 4, NULL, r5, 5, 700);
    /* no indices: every matrix in turn */
    int32_t x4[3] = {4, 2, 64};
    affine_case(true, true, x4, 3, w3, 3, 32, 8, NULL, NULL, 0, 800);
    affine_case(true, true, x4, 3, w3, 3, 32, 4, r4, NULL, 4, 900);
}

/* dequantize in its "affine" scales and biases; none in the packed
 * weights nor in the fp modes' scales. */
TEST(test_dequantize_derivatives) {
    int32_t ws[3] = {2, 4, 128};
    mx_array *w = rand_like_shape(ws, 3, 3000);
    for (int bits = 2; bits <= 8; bits += 3) {
        qcfg c = {.g = 64, .bits = bits};
        mx_array *s = NULL, *b = NULL;
        CHECK_OK(mx_quantize(&c.wq, &s, &b, w, 64, bits, NULL, NULL));
        mx_vec prim = {0};
        CHECK_OK(mx_vec_push(&prim, s));
        CHECK_OK(mx_vec_push(&prim, b));
        check_derivatives_of(apply_deq, &c, &prim, 3001 + bits);
        mx_vec_clear(&prim);
        mx_array_free(c.wq);
    }
    mx_array *q = NULL, *s = NULL, *b = NULL;
    CHECK_OK(mx_quantize(&q, &s, &b, w, 0, 0, "mxfp8", NULL));
    mx_closure *f = NULL;
    mx_vec prim = {0}, outs = {0}, vjps = {0}, cot = {0};
    CHECK_OK(mx_vec_append(&prim, q));
    CHECK_OK(mx_vec_append(&prim, s));
    CHECK_OK(mx_closure_new(&f, apply_deq_fp, NULL, NULL));
    CHECK_OK(mx_closure_apply(f, &outs, &prim));
    CHECK_OK(mx_vec_push(&cot, rand_like(outs.data[0], 3010)));
    mx_vec_clear(&outs);
    mx_vec p2 = {0};
    CHECK_OK(mx_vec_append(&p2, s));
    mx_closure *f2 = NULL;
    CHECK_OK(mx_closure_new(&f2, apply_deq_fp_s, q, NULL));
    CHECK_ERR(mx_vjp(&outs, &vjps, f2, &p2, &cot), MX_ERR_VALUE);
    mx_vec_clear(&outs), mx_vec_clear(&vjps), mx_vec_clear(&p2), mx_vec_clear(&cot);
    mx_vec_clear(&prim);
    mx_closure_free(f), mx_closure_free(f2);
    mx_array_free(w), mx_array_free(q), mx_array_free(s), mx_array_free(b);
}

/* fp modes: x has both derivatives, the scales none (MLX's error). */
TEST(test_fp_modes) {
    static const char *modes[] = {"mxfp4", "mxfp8", "nvfp4"};
    int32_t x3[3] = {2, 3, 64}, w3[3] = {4, 32, 64};
    int32_t r5[5] = {3, 0, 3, 3, 1};
    for (int m = 0; m < 3; m++) {
        for (int gather = 0; gather < 2; gather++) {
            int32_t x2[2] = {3, 64};
            mx_array *x =
                gather ? rand_like_shape(x2, 2, 1000 + m) : rand_like_shape(x3, 3, 1000 + m);
            mx_array *w = rand_like_shape(w3 + (gather ? 0 : 1), gather ? 3 : 2, 1010 + m);
            qcfg c = {.gather = gather, .transpose = true, .mode = modes[m]};
            mx_array *s = NULL, *b = NULL;
            CHECK_OK(mx_quantize(&c.wq, &s, &b, w, 0, 0, modes[m], NULL));
            if (gather) c.ri = idx(r5, 5);
            c.s = s;
            mx_vec prim = {0};
            CHECK_OK(mx_vec_append(&prim, x));
            check_derivatives(&c, &prim, 1020 + m);
            /* the scales: no gradient */
            mx_vec p2 = {0};
            CHECK_OK(mx_vec_append(&p2, x));
            CHECK_OK(mx_vec_push(&p2, s));
            mx_closure *f = NULL;
            CHECK_OK(mx_closure_new(&f, apply_q, &c, NULL));
            mx_vec outs = {0}, vjps = {0}, cot = {0};
            CHECK_OK(mx_closure_apply(f, &outs, &p2));
            CHECK_OK(mx_vec_push(&cot, rand_like(outs.data[0], 5)));
            mx_vec_clear(&outs);
            CHECK_ERR(mx_vjp(&outs, &vjps, f, &p2, &cot), MX_ERR_VALUE);
            CHECK(strstr(mx_last_error(), "no gradient wrt scales") != NULL);
            mx_clear_error();
            mx_vec_clear(&outs), mx_vec_clear(&vjps);
            /* the packed weights: no gradient either */
            c.w_input = true;
            mx_vec p3 = {0};
            CHECK_OK(mx_vec_append(&p3, x));
            CHECK_OK(mx_vec_append(&p3, c.wq));
            CHECK_OK(mx_vec_append(&p3, p2.data[1]));
            mx_vec cot3 = {0};
            CHECK_OK(mx_vec_append(&cot3, cot.data[0]));
            int rc = mx_vjp(&outs, &vjps, f, &p3, &cot3);
            CHECK(rc != MX_OK);
            mx_clear_error();
            mx_vec_clear(&outs), mx_vec_clear(&vjps), mx_vec_clear(&p3), mx_vec_clear(&cot3);
            mx_vec_clear(&p2), mx_vec_clear(&cot), mx_vec_clear(&prim);
            mx_closure_free(f);
            mx_array_free(x), mx_array_free(w), mx_array_free(c.wq), mx_array_free(c.ri);
        }
    }
}

/* ---- vmap ---- */

typedef struct vcfg {
    int kind; /* 0 quantize, 1 dequantize, 2 to_fp8, 3 from_fp8 */
    int g, bits;
    const char *mode;
    mx_array *gs; /* global scale, or NULL */
} vcfg;

static int apply_v(mx_vec *o, const mx_vec *in, void *payload) {
    const vcfg *c = payload;
    mx_array *r[3] = {NULL, NULL, NULL};
    int rc;
    switch (c->kind) {
    case 0:
        /* the global scale from the payload, or as a second input */
        rc = mx_quantize_scaled(&r[0], &r[1], &r[2], in->data[0], c->g, c->bits, c->mode,
                                in->size > 1 ? in->data[1] : c->gs, NULL);
        break;
    case 1:
        rc =
            mx_dequantize_scaled(&r[0], in->data[0], in->data[1], in->size > 2 ? in->data[2] : NULL,
                                 c->g, c->bits, c->mode, c->gs, MX_DTYPE_NONE, NULL);
        break;
    case 2:
        rc = mx_to_fp8(&r[0], in->data[0], NULL);
        break;
    default:
        rc = mx_from_fp8(&r[0], in->data[0], MX_FLOAT32, NULL);
        break;
    }
    for (int i = 0; i < 3 && !rc; i++)
        if (r[i]) rc = mx_vec_push(o, r[i]), r[i] = NULL;
    for (int i = 0; i < 3; i++) mx_array_free(r[i]);
    return rc;
}

static bool same_bits(mx_array *a, mx_array *b) {
    CHECK_OK(mx_eval(&a, 1));
    CHECK_OK(mx_eval(&b, 1));
    if (mx_array_ndim(a) != mx_array_ndim(b) || mx_array_dtype(a) != mx_array_dtype(b))
        return false;
    for (int d = 0; d < mx_array_ndim(a); d++)
        if (mx_array_dim(a, d) != mx_array_dim(b, d)) return false;
    size_t n = mx_array_size(a) * mx_array_itemsize(a);
    unsigned char *x = malloc(n + 1), *y = malloc(n + 1);
    CHECK_OK(mx_array_copy_to(a, x, n));
    CHECK_OK(mx_array_copy_to(b, y, n));
    bool eq = !memcmp(x, y, n);
    free(x), free(y);
    return eq;
}

/* Slice i of a along axis. */
static mx_array *slice_of(mx_array *a, int axis, int i) {
    mx_array *ix = NULL, *r = NULL;
    CHECK_OK(mx_array_from_float(&ix, i, MX_INT32));
    CHECK_OK(mx_take_axis(&r, a, ix, axis, NULL));
    mx_array_free(ix);
    return r;
}

/* vmap of c's function over inputs (axes; MX_VMAP_NONE unmapped) against
 * stacking the function of each slice; outputs at axis 0. */
static void check_vmap(vcfg *c, mx_vec *in, const int *axes, int32_t n) {
    mx_closure *f = NULL, *vf = NULL;
    CHECK_OK(mx_closure_new(&f, apply_v, c, NULL));
    int zero = 0;
    CHECK_OK(mx_vmap(&vf, f, axes, (int)in->size, &zero, 1));
    mx_vec got = {0};
    CHECK_OK(mx_closure_apply(vf, &got, in));
    for (int32_t i = 0; i < n; i++) {
        mx_vec sl = {0}, out = {0};
        for (int k = 0; k < in->size; k++) {
            if (axes[k] == MX_VMAP_NONE)
                CHECK_OK(mx_vec_append(&sl, in->data[k]));
            else
                CHECK_OK(mx_vec_push(&sl, slice_of(in->data[k], axes[k], i)));
        }
        CHECK_OK(mx_closure_apply(f, &out, &sl));
        CHECK(out.size == got.size);
        for (int k = 0; k < out.size && out.size == got.size; k++) {
            mx_array *gi = slice_of(got.data[k], 0, i);
            CHECK(same_bits(gi, out.data[k]));
            mx_array_free(gi);
        }
        mx_vec_clear(&sl), mx_vec_clear(&out);
    }
    mx_vec_clear(&got);
    mx_closure_free(f), mx_closure_free(vf);
}

TEST(test_vmap) {
    static const char *modes[] = {NULL, "mxfp4", "mxfp8", "nvfp4"};
    int32_t ws[3] = {4, 3, 64};
    mx_array *w = rand_like_shape(ws, 3, 2000);
    for (int m = 0; m < 4; m++) {
        vcfg q = {.kind = 0, .g = m ? 0 : 32, .bits = m ? 0 : 4, .mode = modes[m]};
        for (int axis = 0; axis < 2; axis++) {
            mx_vec in = {0};
            CHECK_OK(mx_vec_append(&in, w));
            check_vmap(&q, &in, &axis, mx_array_dim(w, axis));
            mx_vec_clear(&in);
        }
        /* dequantize: every input mapped, then the scales unmapped */
        mx_vec in = {0};
        mx_array *r[3] = {NULL, NULL, NULL};
        CHECK_OK(mx_quantize(&r[0], &r[1], &r[2], w, q.g, q.bits, q.mode, NULL));
        vcfg d = q;
        d.kind = 1;
        for (int i = 0; i < 3; i++)
            if (r[i]) CHECK_OK(mx_vec_append(&in, r[i]));
        int ax3[3] = {0, 0, 0};
        check_vmap(&d, &in, ax3, 4);
        mx_vec_clear(&in);
        /* every batch entry with the scales (and biases) of entry 0 */
        mx_array *s0 = slice_of(r[1], 0, 0), *b0 = r[2] ? slice_of(r[2], 0, 0) : NULL;
        CHECK_OK(mx_vec_append(&in, r[0]));
        CHECK_OK(mx_vec_push(&in, s0));
        if (b0) CHECK_OK(mx_vec_push(&in, b0));
        int axn[3] = {0, MX_VMAP_NONE, MX_VMAP_NONE};
        check_vmap(&d, &in, axn, 4);
        mx_vec_clear(&in);
        for (int i = 0; i < 3; i++) mx_array_free(r[i]);
    }
    /* the nvfp4 global scale: unmapped works, mapped fails */
    mx_array *g = NULL;
    CHECK_OK(mx_array_from_float(&g, 3.0, MX_FLOAT32));
    vcfg qg = {.kind = 0, .mode = "nvfp4", .gs = g};
    mx_vec in = {0};
    CHECK_OK(mx_vec_append(&in, w));
    int ax0 = 0;
    check_vmap(&qg, &in, &ax0, 4);
    mx_array *q = NULL, *s = NULL, *b = NULL;
    CHECK_OK(mx_quantize_scaled(&q, &s, &b, w, 0, 0, "nvfp4", g, NULL));
    vcfg dg = {.kind = 1, .mode = "nvfp4", .gs = g};
    mx_vec_clear(&in);
    CHECK_OK(mx_vec_append(&in, q));
    CHECK_OK(mx_vec_append(&in, s));
    int axq[2] = {0, 0};
    check_vmap(&dg, &in, axq, 4);
    mx_vec_clear(&in);
    /* one global scale per batch entry is not supported */
    int32_t three = 3;
    float gv[3] = {1, 2, 3};
    mx_array *g3 = NULL;
    CHECK_OK(mx_array_from_data(&g3, gv, &three, 1, MX_FLOAT32));
    mx_closure *f = NULL, *vf = NULL;
    CHECK_OK(mx_closure_new(&f, apply_v, &qg, NULL));
    int axg[2] = {1, 0};
    CHECK_OK(mx_vmap(&vf, f, axg, 2, &ax0, 1));
    CHECK_OK(mx_vec_append(&in, w));
    CHECK_OK(mx_vec_append(&in, g3));
    mx_vec out = {0};
    CHECK_ERR(mx_closure_apply(vf, &out, &in), MX_ERR_VALUE);
    mx_vec_clear(&in), mx_vec_clear(&out);
    mx_closure_free(f), mx_closure_free(vf), mx_array_free(g3);
    /* fp8 conversions, elementwise, at any axis */
    int32_t xs[2] = {5, 7};
    mx_array *x = rand_like_shape(xs, 2, 2001), *x8 = NULL;
    vcfg t8 = {.kind = 2}, f8 = {.kind = 3};
    CHECK_OK(mx_vec_append(&in, x));
    int ax1 = 1;
    check_vmap(&t8, &in, &ax1, 7);
    mx_vec_clear(&in);
    CHECK_OK(mx_to_fp8(&x8, x, NULL));
    CHECK_OK(mx_vec_append(&in, x8));
    check_vmap(&f8, &in, &ax0, 5);
    mx_vec_clear(&in);
    mx_array_free(w), mx_array_free(g), mx_array_free(q), mx_array_free(s), mx_array_free(b);
    mx_array_free(x), mx_array_free(x8);
}

int main(void) {
    RUN(test_qmm_affine_derivatives);
    RUN(test_gather_qmm_affine_derivatives);
    RUN(test_dequantize_derivatives);
    RUN(test_fp_modes);
    RUN(test_vmap);
    return TEST_SUMMARY();
}
