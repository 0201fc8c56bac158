/* Convolutions: values against direct loops in double (the gather form for
 * conv_general, the scatter form for transposed convolutions), dtypes,
 * strided inputs, empty shapes and wrong calls. */
#include <stdint.h>

#include "test.h"

static uint64_t rng_state = 777;
static double rnd(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    /* multiples of 1/64 in [-1, 1): exact in every float dtype */
    return (double)((int64_t)(rng_state >> 40) % 128 - 64) / 64.0;
}

static int64_t prod(const int32_t *s, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= s[i];
    return p;
}

static double *random_buf(int64_t n) {
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = rnd();
    return v;
}

/* A conv_general call. Paddings are non-negative here. */
typedef struct cfg {
    int nd;
    int32_t in[5], w[5];
    int st[3], lo[3], hi[3], kd[3], id[3];
    int groups;
    bool flip;
} cfg;

static cfg cfg_default(int nd) {
    cfg c = {.nd = nd, .groups = 1};
    for (int i = 0; i < 3; i++) c.st[i] = c.kd[i] = c.id[i] = 1;
    return c;
}

/* out[n, o..., g*cog+co] = sum over k..., ci of
 * in_dilated_padded[n, o*st + k*kd, g*cig+ci] * w[g*cog+co, k (flipped), ci] */
static double *ref_conv(const cfg *c, const double *in, const double *w, int32_t *oshape) {
    int nd = c->nd;
    int32_t N = c->in[0], Cin = c->in[nd + 1], Cout = c->w[0];
    int cig = Cin / c->groups, cog = Cout / c->groups;
    oshape[0] = N;
    oshape[nd + 1] = Cout;
    for (int d = 0; d < nd; d++) {
        int64_t dil = c->in[d + 1] ? (int64_t)(c->in[d + 1] - 1) * c->id[d] + 1 : 0;
        int64_t padded = dil + c->lo[d] + c->hi[d];
        int64_t ws = (int64_t)(c->w[d + 1] - 1) * c->kd[d] + 1;
        oshape[d + 1] = (int32_t)((padded - ws) / c->st[d] + 1);
    }
    int64_t osize = prod(oshape, nd + 2);
    double *out = calloc((size_t)(osize ? osize : 1), sizeof(double));
    int64_t kvol = prod(c->w + 1, nd);
    for (int64_t oi = 0; oi < osize; oi++) {
        int32_t oidx[5];
        test_unravel(oi, oshape, nd + 2, oidx);
        int co = oidx[nd + 1], g = co / cog;
        double acc = 0;
        for (int64_t kk = 0; kk < kvol; kk++) {
            int32_t k[3];
            test_unravel(kk, c->w + 1, nd, k);
            int32_t iidx[5], widx[5];
            iidx[0] = oidx[0];
            widx[0] = co;
            bool ok = true;
            for (int d = 0; d < nd; d++) {
                int64_t x = (int64_t)oidx[d + 1] * c->st[d] - c->lo[d] + (int64_t)k[d] * c->kd[d];
                if (x < 0 || x % c->id[d] || x / c->id[d] >= c->in[d + 1]) ok = false;
                iidx[d + 1] = (int32_t)(x / c->id[d]);
                widx[d + 1] = c->flip ? c->w[d + 1] - 1 - k[d] : k[d];
            }
            if (!ok) continue;
            for (int ci = 0; ci < cig; ci++) {
                iidx[nd + 1] = g * cig + ci;
                widx[nd + 1] = ci;
                acc += in[test_ravel(iidx, c->in, nd + 2)] * w[test_ravel(widx, c->w, nd + 2)];
            }
        }
        out[oi] = acc;
    }
    return out;
}

/* Reads a (any dtype) as doubles. */
static double *read_f64(mx_array *a) {
    mx_array *d = NULL;
    CHECK_OK(mx_astype(&d, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_eval(&d, 1));
    size_t n = mx_array_size(d);
    double *v = malloc(sizeof(double) * (n ? n : 1));
    CHECK_OK(mx_array_copy_to(d, v, n * sizeof(double)));
    mx_array_free(d);
    return v;
}

static double tol_of(mx_dtype dt) {
    return dt == MX_FLOAT64 ? 1e-12 : dt == MX_FLOAT32 ? 1e-4 : dt == MX_FLOAT16 ? 2e-2 : 1.5e-1;
}

static void compare(mx_array *y, const double *ref, const int32_t *oshape, int ndim, mx_dtype dt) {
    CHECK(mx_array_dtype(y) == dt);
    CHECK(mx_array_ndim(y) == ndim);
    if (mx_array_ndim(y) != ndim) return;
    for (int i = 0; i < ndim; i++) CHECK(mx_array_shape(y)[i] == oshape[i]);
    int64_t n = prod(oshape, ndim);
    if ((int64_t)mx_array_size(y) != n) return;
    double *v = read_f64(y);
    double tol = tol_of(dt);
    int bad = 0;
    for (int64_t i = 0; i < n && bad < 5; i++) {
        if (!(fabs(v[i] - ref[i]) <= tol * (1 + fabs(ref[i])))) {
            fprintf(stderr, "  element %lld: got %g want %g\n", (long long)i, v[i], ref[i]);
            bad++;
        }
    }
    CHECK(bad == 0);
    free(v);
}

/* Runs c through mx_conv_general in dtype dt and checks it against the loops. */
static void run_cfg(const cfg *c, mx_dtype dt) {
    int nd = c->nd;
    double *in = random_buf(prod(c->in, nd + 2)), *w = random_buf(prod(c->w, nd + 2));
    int32_t oshape[5];
    double *ref = ref_conv(c, in, w, oshape);
    mx_array *x = test_array_of(in, NULL, prod(c->in, nd + 2), c->in, nd + 2, dt);
    mx_array *k = test_array_of(w, NULL, prod(c->w, nd + 2), c->w, nd + 2, dt);
    mx_array *y = NULL;
    CHECK_OK(mx_conv_general(&y, x, k, c->st, nd, c->lo, c->hi, nd, c->kd, nd, c->id, nd, c->groups,
                             c->flip, NULL));
    if (y) compare(y, ref, oshape, nd + 2, dt);
    mx_array_free(x);
    mx_array_free(k);
    mx_array_free(y);
    free(in);
    free(w);
    free(ref);
}

TEST(conv1d_values) {
    cfg c = cfg_default(1);
    int32_t in[3] = {2, 10, 4}, w[3] = {6, 3, 4};
    memcpy(c.in, in, sizeof in);
    memcpy(c.w, w, sizeof w);
    run_cfg(&c, MX_FLOAT32);
    c.st[0] = 2, c.lo[0] = c.hi[0] = 1, c.kd[0] = 2;
    run_cfg(&c, MX_FLOAT32);
    run_cfg(&c, MX_FLOAT64);
    c.lo[0] = 0, c.hi[0] = 3, c.id[0] = 3, c.flip = true;
    run_cfg(&c, MX_FLOAT32);

    /* the public conv1d: stride 2, padding 1, dilation 2 */
    double *xv = random_buf(2 * 10 * 4), *wv = random_buf(6 * 3 * 4);
    cfg d = cfg_default(1);
    memcpy(d.in, in, sizeof in);
    memcpy(d.w, w, sizeof w);
    d.st[0] = 2, d.lo[0] = d.hi[0] = 1, d.kd[0] = 2;
    int32_t os[3];
    double *ref = ref_conv(&d, xv, wv, os);
    mx_array *x = test_array_of(xv, NULL, 80, in, 3, MX_FLOAT32);
    mx_array *k = test_array_of(wv, NULL, 72, w, 3, MX_FLOAT32), *y = NULL;
    CHECK_OK(mx_conv1d(&y, x, k, 2, 1, 2, 1, NULL));
    if (y) compare(y, ref, os, 3, MX_FLOAT32);
    mx_array_free(x), mx_array_free(k), mx_array_free(y);
    free(xv), free(wv), free(ref);
}

TEST(conv2d_values) {
    cfg c = cfg_default(2);
    int32_t in[4] = {2, 7, 6, 5}, w[4] = {4, 3, 2, 5};
    memcpy(c.in, in, sizeof in);
    memcpy(c.w, w, sizeof w);
    run_cfg(&c, MX_FLOAT32);
    /* asymmetric padding, strides, both dilations, flip */
    c.st[0] = 2, c.st[1] = 1;
    c.lo[0] = 1, c.hi[0] = 0, c.lo[1] = 0, c.hi[1] = 3;
    c.kd[0] = 1, c.kd[1] = 2;
    c.id[0] = 2, c.id[1] = 1;
    run_cfg(&c, MX_FLOAT32);
    c.flip = true;
    run_cfg(&c, MX_FLOAT32);
    run_cfg(&c, MX_FLOAT64);
    run_cfg(&c, MX_FLOAT16);
    run_cfg(&c, MX_BFLOAT16);
    /* a 1x1 kernel (the input is the gemm operand) */
    cfg d = cfg_default(2);
    int32_t in1[4] = {3, 4, 5, 6}, w1[4] = {7, 1, 1, 6};
    memcpy(d.in, in1, sizeof in1);
    memcpy(d.w, w1, sizeof w1);
    run_cfg(&d, MX_FLOAT32);
    run_cfg(&d, MX_FLOAT64);
    run_cfg(&d, MX_FLOAT16);
    d.groups = 2, d.w[0] = 4, d.w[3] = 3;
    run_cfg(&d, MX_FLOAT32);
    d.st[1] = 2;
    run_cfg(&d, MX_FLOAT32);
}

TEST(conv3d_values) {
    cfg c = cfg_default(3);
    int32_t in[5] = {2, 5, 4, 6, 3}, w[5] = {4, 2, 3, 2, 3};
    memcpy(c.in, in, sizeof in);
    memcpy(c.w, w, sizeof w);
    run_cfg(&c, MX_FLOAT32);
    c.st[2] = 2, c.lo[0] = 1, c.hi[1] = 2, c.kd[1] = 2, c.id[0] = 2, c.flip = true;
    run_cfg(&c, MX_FLOAT32);
    run_cfg(&c, MX_BFLOAT16);

    double *xv = random_buf(prod(in, 5)), *wv = random_buf(prod(w, 5));
    cfg d = cfg_default(3);
    memcpy(d.in, in, sizeof in);
    memcpy(d.w, w, sizeof w);
    for (int i = 0; i < 3; i++)
        d.st[i] = 1 + (i == 1), d.lo[i] = d.hi[i] = i, d.kd[i] = 1 + (i == 2);
    int32_t os[5];
    double *ref = ref_conv(&d, xv, wv, os);
    mx_array *x = test_array_of(xv, NULL, prod(in, 5), in, 5, MX_FLOAT32);
    mx_array *k = test_array_of(wv, NULL, prod(w, 5), w, 5, MX_FLOAT32), *y = NULL;
    int st[3] = {1, 2, 1}, pd[3] = {0, 1, 2}, dl[3] = {1, 1, 2};
    CHECK_OK(mx_conv3d(&y, x, k, st, pd, dl, 1, NULL));
    if (y) compare(y, ref, os, 5, MX_FLOAT32);
    mx_array_free(x), mx_array_free(k), mx_array_free(y);
    free(xv), free(wv), free(ref);
}

TEST(conv_groups) {
    cfg c = cfg_default(1);
    int32_t in[3] = {3, 9, 6}, w[3] = {4, 3, 3};
    memcpy(c.in, in, sizeof in);
    memcpy(c.w, w, sizeof w);
    c.groups = 2;
    run_cfg(&c, MX_FLOAT32);
    c.st[0] = 2, c.lo[0] = 2, c.hi[0] = 1;
    run_cfg(&c, MX_FLOAT16);
    /* depthwise 2d: one channel per group, a channel multiplier of 2 */
    cfg d = cfg_default(2);
    int32_t in2[4] = {2, 6, 5, 4}, w2[4] = {8, 3, 3, 1};
    memcpy(d.in, in2, sizeof in2);
    memcpy(d.w, w2, sizeof w2);
    d.groups = 4, d.lo[0] = d.lo[1] = d.hi[0] = d.hi[1] = 1;
    run_cfg(&d, MX_FLOAT32);
    run_cfg(&d, MX_FLOAT64);
    d.flip = true, d.kd[1] = 2;
    run_cfg(&d, MX_BFLOAT16);
}

TEST(conv_many_tiles) {
    /* more output rows than one 4 MiB col tile holds */
    cfg c = cfg_default(2);
    int32_t in[4] = {1, 48, 48, 64}, w[4] = {8, 3, 3, 64};
    memcpy(c.in, in, sizeof in);
    memcpy(c.w, w, sizeof w);
    c.lo[0] = c.lo[1] = c.hi[0] = c.hi[1] = 1;
    run_cfg(&c, MX_FLOAT32);
}

/* Transposed convolution by its scatter definition: each input position i
 * adds in[i] * w[k] at output i * stride - padding + k * dilation. */
static double *ref_transpose(int nd, const int32_t *is, const int32_t *ws, const double *in,
                             const double *w, const int *st, const int *pd, const int *dl,
                             const int *op, int groups, int32_t *os) {
    int32_t N = is[0], Cin = is[nd + 1], Cout = ws[0];
    int cig = Cin / groups, cog = Cout / groups;
    os[0] = N, os[nd + 1] = Cout;
    for (int d = 0; d < nd; d++)
        os[d + 1] = (is[d + 1] - 1) * st[d] - 2 * pd[d] + dl[d] * (ws[d + 1] - 1) + 1 + op[d];
    int64_t osize = prod(os, nd + 2);
    double *out = calloc((size_t)(osize ? osize : 1), sizeof(double));
    int64_t isize = prod(is, nd + 2), kvol = prod(ws + 1, nd);
    for (int64_t ii = 0; ii < isize; ii++) {
        int32_t iidx[5];
        test_unravel(ii, is, nd + 2, iidx);
        int ci = iidx[nd + 1], g = ci / cig;
        for (int64_t kk = 0; kk < kvol; kk++) {
            int32_t k[3], oidx[5], widx[5];
            test_unravel(kk, ws + 1, nd, k);
            bool ok = true;
            for (int d = 0; d < nd; d++) {
                int64_t o = (int64_t)iidx[d + 1] * st[d] - pd[d] + (int64_t)k[d] * dl[d];
                if (o < 0 || o >= os[d + 1]) ok = false;
                oidx[d + 1] = (int32_t)o;
                widx[d + 1] = k[d];
            }
            if (!ok) continue;
            oidx[0] = iidx[0];
            for (int co = 0; co < cog; co++) {
                oidx[nd + 1] = g * cog + co;
                widx[0] = g * cog + co;
                widx[nd + 1] = ci - g * cig;
                out[test_ravel(oidx, os, nd + 2)] += in[ii] * w[test_ravel(widx, ws, nd + 2)];
            }
        }
    }
    return out;
}

static void run_transpose(int nd, const int32_t *is, const int32_t *ws, const int *st,
                          const int *pd, const int *dl, const int *op, int groups, mx_dtype dt) {
    double *in = random_buf(prod(is, nd + 2)), *w = random_buf(prod(ws, nd + 2));
    int32_t os[5];
    double *ref = ref_transpose(nd, is, ws, in, w, st, pd, dl, op, groups, os);
    mx_array *x = test_array_of(in, NULL, prod(is, nd + 2), is, nd + 2, dt);
    mx_array *k = test_array_of(w, NULL, prod(ws, nd + 2), ws, nd + 2, dt), *y = NULL;
    if (nd == 1)
        CHECK_OK(mx_conv_transpose1d(&y, x, k, st[0], pd[0], dl[0], op[0], groups, NULL));
    else if (nd == 2)
        CHECK_OK(mx_conv_transpose2d(&y, x, k, st, pd, dl, op, groups, NULL));
    else
        CHECK_OK(mx_conv_transpose3d(&y, x, k, st, pd, dl, op, groups, NULL));
    if (y) compare(y, ref, os, nd + 2, dt);
    mx_array_free(x), mx_array_free(k), mx_array_free(y);
    free(in), free(w), free(ref);
}

TEST(conv_transpose_values) {
    {
        int32_t is[3] = {2, 5, 4}, ws[3] = {3, 3, 4};
        int st[1] = {2}, pd[1] = {1}, dl[1] = {1}, op[1] = {1};
        run_transpose(1, is, ws, st, pd, dl, op, 1, MX_FLOAT32);
        int st1[1] = {1}, pd0[1] = {0}, op0[1] = {0}, dl2[1] = {2};
        run_transpose(1, is, ws, st1, pd0, dl2, op0, 1, MX_FLOAT64);
        int st3[1] = {3}, op2[1] = {2};
        run_transpose(1, is, ws, st3, pd, dl2, op2, 1, MX_FLOAT16);
        int32_t gs[3] = {4, 3, 2};
        run_transpose(1, is, gs, st, pd, dl, op, 2, MX_FLOAT32);
    }
    {
        int32_t is[4] = {2, 5, 4, 3}, ws[4] = {4, 3, 2, 3};
        int st[2] = {2, 3}, pd[2] = {1, 0}, dl[2] = {2, 1}, op[2] = {1, 2};
        run_transpose(2, is, ws, st, pd, dl, op, 1, MX_FLOAT32);
        run_transpose(2, is, ws, st, pd, dl, op, 1, MX_BFLOAT16);
        int32_t gs[4] = {6, 3, 3, 1};
        int one[2] = {1, 1}, zero[2] = {0, 0};
        run_transpose(2, is, gs, st, one, one, zero, 3, MX_FLOAT32);
    }
    {
        int32_t is[5] = {1, 3, 4, 2, 2}, ws[5] = {3, 2, 3, 2, 2};
        int st[3] = {2, 1, 2}, pd[3] = {0, 1, 1}, dl[3] = {1, 1, 2}, op[3] = {1, 0, 1};
        run_transpose(3, is, ws, st, pd, dl, op, 1, MX_FLOAT32);
    }
}

TEST(conv_strided_inputs) {
    /* an input read through a transpose and a sliced weight */
    int32_t base[4] = {2, 6, 7, 5}; /* (N, C, H, W) storage, used as (N, H, W, C) */
    double *v = random_buf(prod(base, 4));
    mx_array *raw = test_array_of(v, NULL, prod(base, 4), base, 4, MX_FLOAT32), *x = NULL;
    int perm[4] = {0, 2, 3, 1};
    CHECK_OK(mx_transpose(&x, raw, perm, 4, NULL));
    int32_t wfull[4] = {8, 3, 3, 6};
    double *wv = random_buf(prod(wfull, 4));
    mx_array *wraw = test_array_of(wv, NULL, prod(wfull, 4), wfull, 4, MX_FLOAT32), *w = NULL;
    int32_t start[4] = {0, 0, 0, 0}, stop[4] = {8, 3, 3, 6}, step[4] = {2, 1, 1, 1};
    CHECK_OK(mx_slice(&w, wraw, start, stop, step, 4, NULL)); /* (4, 3, 3, 6) */
    /* the same data, row-major, for the reference */
    int32_t is[4] = {2, 7, 5, 6}, ws[4] = {4, 3, 3, 6};
    double *xin = malloc(sizeof(double) * (size_t)prod(is, 4));
    double *win = malloc(sizeof(double) * (size_t)prod(ws, 4));
    for (int64_t i = 0; i < prod(is, 4); i++) {
        int32_t idx[4], src[4];
        test_unravel(i, is, 4, idx);
        src[0] = idx[0], src[1] = idx[3], src[2] = idx[1], src[3] = idx[2];
        xin[i] = v[test_ravel(src, base, 4)];
    }
    for (int64_t i = 0; i < prod(ws, 4); i++) {
        int32_t idx[4];
        test_unravel(i, ws, 4, idx);
        idx[0] *= 2;
        win[i] = wv[test_ravel(idx, wfull, 4)];
    }
    cfg c = cfg_default(2);
    memcpy(c.in, is, sizeof is);
    memcpy(c.w, ws, sizeof ws);
    c.st[0] = 2, c.lo[1] = 1, c.hi[1] = 1, c.flip = true;
    int32_t os[4];
    double *ref = ref_conv(&c, xin, win, os);
    mx_array *y = NULL;
    CHECK_OK(mx_conv_general(&y, x, w, c.st, 2, c.lo, c.hi, 2, NULL, 0, NULL, 0, 1, true, NULL));
    if (y) compare(y, ref, os, 4, MX_FLOAT32);
    /* a strided 1x1: every other column of the transposed input */
    mx_array *xs = NULL, *w1 = NULL, *y1 = NULL;
    int32_t s0[4] = {0, 0, 0, 0}, s1[4] = {2, 7, 5, 6}, sp[4] = {1, 1, 2, 1};
    CHECK_OK(mx_slice(&xs, x, s0, s1, sp, 4, NULL)); /* (2, 7, 3, 6) */
    int32_t w1s[4] = {3, 1, 1, 6};
    double *w1v = random_buf(18);
    w1 = test_array_of(w1v, NULL, 18, w1s, 4, MX_FLOAT32);
    cfg d = cfg_default(2);
    int32_t xs_shape[4] = {2, 7, 3, 6};
    memcpy(d.in, xs_shape, sizeof xs_shape);
    memcpy(d.w, w1s, sizeof w1s);
    double *xsv = malloc(sizeof(double) * 2 * 7 * 3 * 6);
    for (int64_t i = 0; i < 2 * 7 * 3 * 6; i++) {
        int32_t idx[4];
        test_unravel(i, xs_shape, 4, idx);
        idx[2] *= 2;
        xsv[i] = xin[test_ravel(idx, is, 4)];
    }
    double *ref1 = ref_conv(&d, xsv, w1v, os);
    CHECK_OK(mx_conv2d(&y1, xs, w1, NULL, NULL, NULL, 1, NULL));
    if (y1) compare(y1, ref1, os, 4, MX_FLOAT32);
    mx_array_free(raw), mx_array_free(x), mx_array_free(wraw), mx_array_free(w);
    mx_array_free(y), mx_array_free(xs), mx_array_free(w1), mx_array_free(y1);
    free(v), free(wv), free(xin), free(win), free(ref), free(w1v), free(xsv), free(ref1);
}

TEST(conv_negative_padding) {
    /* negative padding crops the input before input dilation, as MLX */
    int32_t is[3] = {2, 9, 3}, ws[3] = {2, 3, 3};
    double *v = random_buf(prod(is, 3)), *wv = random_buf(prod(ws, 3));
    mx_array *x = test_array_of(v, NULL, prod(is, 3), is, 3, MX_FLOAT32);
    mx_array *w = test_array_of(wv, NULL, prod(ws, 3), ws, 3, MX_FLOAT32), *y = NULL;
    int lo = -2, hi = 1, idil = 2;
    CHECK_OK(mx_conv_general(&y, x, w, NULL, 0, &lo, &hi, 1, NULL, 0, &idil, 1, 1, false, NULL));
    /* reference: drop the first two positions, then pad lo 0, hi 1 */
    int32_t cs[3] = {2, 7, 3};
    double *cv = malloc(sizeof(double) * 42);
    for (int n = 0; n < 2; n++)
        for (int l = 0; l < 7; l++)
            for (int ch = 0; ch < 3; ch++) cv[(n * 7 + l) * 3 + ch] = v[(n * 9 + l + 2) * 3 + ch];
    cfg c = cfg_default(1);
    memcpy(c.in, cs, sizeof cs);
    memcpy(c.w, ws, sizeof ws);
    c.hi[0] = 1, c.id[0] = 2;
    int32_t os[3];
    double *ref = ref_conv(&c, cv, wv, os);
    if (y) compare(y, ref, os, 3, MX_FLOAT32);
    /* cropping everything leaves nothing to convolve */
    mx_array *z = NULL;
    int big = -10;
    CHECK_ERR(mx_conv_general(&z, x, w, NULL, 0, &big, &big, 1, NULL, 0, NULL, 0, 1, false, NULL),
              MX_ERR_VALUE);
    mx_array_free(x), mx_array_free(w), mx_array_free(y);
    free(v), free(wv), free(cv), free(ref);
}

TEST(conv_empty) {
    mx_array *x = NULL, *w = NULL, *y = NULL;
    int32_t xs[3] = {0, 4, 4}, wsh[3] = {3, 2, 4};
    CHECK_OK(mx_zeros(&x, xs, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&w, wsh, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_conv1d(&y, x, w, 1, 0, 1, 1, NULL));
    CHECK_OK(mx_eval(&y, 1));
    CHECK(mx_array_shape(y)[0] == 0 && mx_array_shape(y)[1] == 3 && mx_array_shape(y)[2] == 3);
    mx_array_free(x), mx_array_free(w), mx_array_free(y);
    x = w = y = NULL;
    /* no input channels: zeros */
    int32_t xs2[3] = {2, 4, 0}, ws2[3] = {3, 2, 0};
    CHECK_OK(mx_zeros(&x, xs2, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_zeros(&w, ws2, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_conv1d(&y, x, w, 1, 0, 1, 1, NULL));
    float out[18] = {1};
    test_read_f32(y, out, 18);
    for (int i = 0; i < 18; i++) CHECK(out[i] == 0);
    mx_array_free(x), mx_array_free(w), mx_array_free(y);
    x = w = y = NULL;
    /* padding around an empty spatial axis: zeros */
    int32_t xs3[3] = {1, 0, 2}, ws3[3] = {2, 3, 2};
    CHECK_OK(mx_zeros(&x, xs3, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&w, ws3, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_conv1d(&y, x, w, 1, 2, 1, 1, NULL));
    float out3[4] = {1, 1, 1, 1};
    test_read_f32(y, out3, 4);
    for (int i = 0; i < 4; i++) CHECK(out3[i] == 0);
    mx_array_free(x), mx_array_free(w), mx_array_free(y);
}

static void check_convolve(const double *a, int na, const double *v, int nv, const char *mode,
                           mx_dtype dt) {
    /* numpy.convolve by its definition */
    double full[64];
    int nf = na + nv - 1;
    for (int i = 0; i < nf; i++) {
        full[i] = 0;
        for (int j = 0; j < na; j++)
            if (i - j >= 0 && i - j < nv) full[i] += a[j] * v[i - j];
    }
    int big = na > nv ? na : nv, small = na > nv ? nv : na;
    int start = 0, len = nf;
    if (strcmp(mode, "same") == 0) start = (small - 1) / 2, len = big;
    if (strcmp(mode, "valid") == 0) start = small - 1, len = big - small + 1;
    mx_array *x = test_array_of(a, NULL, na, &na, 1, dt),
             *w = test_array_of(v, NULL, nv, &nv, 1, dt);
    mx_array *y = NULL;
    CHECK_OK(mx_convolve(&y, x, w, mode, NULL));
    int32_t os[1] = {len};
    if (y) compare(y, full + start, os, 1, dt);
    mx_array_free(x), mx_array_free(w), mx_array_free(y);
}

TEST(convolve_values) {
    double a[5] = {1, 2, 3, 4, 5}, v[3] = {1, 10, 100}, v4[4] = {1, 10, 100, 1000};
    double b[6] = {1, 2, 3, 4, 5, 6};
    const char *modes[3] = {"full", "same", "valid"};
    for (int m = 0; m < 3; m++) {
        check_convolve(a, 5, v, 3, modes[m], MX_FLOAT32);
        check_convolve(v, 3, a, 5, modes[m], MX_FLOAT32);
        check_convolve(a, 4, v4, 4, modes[m], MX_FLOAT64);
        check_convolve(v4, 4, b, 6, modes[m], MX_FLOAT16);
        check_convolve(b, 6, v, 1, modes[m], MX_FLOAT32);
    }
    /* NULL mode is "full"; dtypes promote (float16 with int32 stays float16) */
    mx_array *x = NULL, *w = NULL, *y = NULL;
    int32_t n5 = 5, n3 = 3;
    CHECK_OK(mx_ones(&x, &n5, 1, MX_FLOAT16, NULL));
    CHECK_OK(mx_ones(&w, &n3, 1, MX_INT32, NULL));
    CHECK_OK(mx_convolve(&y, x, w, NULL, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT16 && mx_array_shape(y)[0] == 7);
    mx_array_free(x), mx_array_free(w), mx_array_free(y);
}

TEST(conv_dtypes) {
    mx_array *x = NULL, *w = NULL, *y = NULL;
    int32_t xs[3] = {1, 5, 2}, ws[3] = {1, 2, 2};
    CHECK_OK(mx_ones(&x, xs, 3, MX_FLOAT16, NULL));
    CHECK_OK(mx_ones(&w, ws, 3, MX_BFLOAT16, NULL));
    CHECK_OK(mx_conv1d(&y, x, w, 1, 0, 1, 1, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT32);
    float out[4];
    test_read_f32(y, out, 4);
    for (int i = 0; i < 4; i++) CHECK(out[i] == 4);
    mx_array_free(w);
    w = NULL;
    CHECK_OK(mx_ones(&w, ws, 3, MX_INT32, NULL));
    CHECK_OK(mx_conv1d(&y, x, w, 1, 0, 1, 1, NULL));
    CHECK(mx_array_dtype(y) == MX_FLOAT16);
    mx_array_free(x), mx_array_free(w), mx_array_free(y);
}

TEST(conv_errors) {
    mx_array *x = NULL, *w = NULL, *y = NULL, *xi = NULL, *w2 = NULL, *x5 = NULL, *w5 = NULL;
    int32_t xs[3] = {2, 10, 4}, ws[3] = {6, 3, 4};
    CHECK_OK(mx_ones(&x, xs, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&w, ws, 3, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&xi, xs, 3, MX_INT32, NULL));
    /* channel mismatch */
    int32_t wbad[3] = {6, 3, 5};
    CHECK_OK(mx_ones(&w2, wbad, 3, MX_FLOAT32, NULL));
    CHECK_ERR(mx_conv1d(&y, x, w2, 1, 0, 1, 1, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "input channels") != NULL);
    mx_array_free(w2);
    w2 = NULL;
    /* groups not dividing the input or output channels, bad groups */
    CHECK_ERR(mx_conv1d(&y, x, w, 1, 0, 1, 3, NULL), MX_ERR_VALUE);
    int32_t wg[3] = {5, 3, 2};
    CHECK_OK(mx_ones(&w2, wg, 3, MX_FLOAT32, NULL));
    CHECK_ERR(mx_conv1d(&y, x, w2, 1, 0, 1, 2, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_conv1d(&y, x, w, 1, 0, 1, 0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_conv1d(&y, x, w, 1, 0, 1, 2, NULL), MX_ERR_VALUE);
    /* integer input, bad rank of input or weight */
    CHECK_ERR(mx_conv1d(&y, xi, w, 1, 0, 1, 1, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_conv2d(&y, x, w, NULL, NULL, NULL, 1, NULL), MX_ERR_VALUE);
    int32_t x5s[6] = {1, 2, 2, 2, 2, 1}, w5s[6] = {1, 1, 1, 1, 1, 1};
    CHECK_OK(mx_ones(&x5, x5s, 6, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&w5, w5s, 6, MX_FLOAT32, NULL));
    CHECK_ERR(mx_conv_general(&y, x5, w5, NULL, 0, NULL, NULL, 0, NULL, 0, NULL, 0, 1, false, NULL),
              MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "1-3 spatial") != NULL);
    /* groups in 3d, as MLX */
    int32_t x3s[5] = {1, 4, 4, 4, 4}, w3s[5] = {4, 2, 2, 2, 2};
    mx_array *x3 = NULL, *w3 = NULL;
    CHECK_OK(mx_ones(&x3, x3s, 5, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&w3, w3s, 5, MX_FLOAT32, NULL));
    CHECK_ERR(mx_conv3d(&y, x3, w3, NULL, NULL, NULL, 2, NULL), MX_ERR_VALUE);
    /* parameters: non-positive strides and dilations, wrong list lengths */
    CHECK_ERR(mx_conv1d(&y, x, w, 0, 0, 1, 1, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "Stride") != NULL);
    CHECK_ERR(mx_conv1d(&y, x, w, 1, 0, 0, 1, NULL), MX_ERR_VALUE);
    int two[2] = {1, 1}, zero = 0;
    CHECK_ERR(mx_conv_general(&y, x, w, two, 2, NULL, NULL, 0, NULL, 0, NULL, 0, 1, false, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_conv_general(&y, x, w, NULL, 0, NULL, NULL, 0, NULL, 0, &zero, 1, 1, false, NULL),
              MX_ERR_VALUE);
    /* kernel larger than the padded input */
    int32_t wl[3] = {6, 11, 4};
    mx_array_free(w2);
    w2 = NULL;
    CHECK_OK(mx_ones(&w2, wl, 3, MX_FLOAT32, NULL));
    CHECK_ERR(mx_conv1d(&y, x, w2, 1, 0, 1, 1, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "after padding") != NULL);
    CHECK_OK(mx_conv1d(&y, x, w2, 1, 1, 1, 1, NULL));
    CHECK(y && mx_array_shape(y)[1] == 2);
    /* convolve */
    mx_array *v1 = NULL, *v0 = NULL;
    int32_t n3 = 3, n0 = 0;
    CHECK_OK(mx_ones(&v1, &n3, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_ones(&v0, &n0, 1, MX_FLOAT32, NULL));
    CHECK_ERR(mx_convolve(&y, x, v1, "full", NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_convolve(&y, v0, v1, "full", NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_convolve(&y, v1, v1, "bad", NULL), MX_ERR_VALUE);
    mx_array *vi = NULL;
    CHECK_OK(mx_ones(&vi, &n3, 1, MX_INT32, NULL));
    CHECK_ERR(mx_convolve(&y, vi, vi, "full", NULL), MX_ERR_VALUE);
    mx_array_free(x), mx_array_free(w), mx_array_free(y), mx_array_free(xi), mx_array_free(w2);
    mx_array_free(x5), mx_array_free(w5), mx_array_free(x3), mx_array_free(w3);
    mx_array_free(v1), mx_array_free(v0), mx_array_free(vi);
}

static int apply_cfg(mx_vec *o, const mx_vec *in, void *payload) {
    const cfg *c = payload;
    mx_array *r = NULL;
    int nd = c->nd;
    int rc = mx_conv_general(&r, in->data[0], in->data[1], c->st, nd, c->lo, c->hi, nd, c->kd, nd,
                             c->id, nd, c->groups, c->flip, NULL);
    return rc ? rc : mx_vec_push(o, r);
}

static double dot(const double *a, const double *b, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* The vjp is the adjoint of the (bilinear) convolution in each argument:
 * <dx, u> = <g, conv(u, w)> and <dw, v> = <g, conv(x, v)> for any u, v. */
static void check_adjoint(cfg *c) {
    int nd = c->nd;
    int64_t nx = prod(c->in, nd + 2), nw = prod(c->w, nd + 2);
    double *x = random_buf(nx), *w = random_buf(nw), *u = random_buf(nx), *v = random_buf(nw);
    int32_t os[5];
    double *cuw = ref_conv(c, u, w, os), *cxv = ref_conv(c, x, v, os);
    int64_t ny = prod(os, nd + 2);
    double *g = random_buf(ny);
    mx_vec prim = {0}, cot = {0}, outs = {0}, vjps = {0};
    CHECK_OK(mx_vec_push(&prim, test_array_of(x, NULL, nx, c->in, nd + 2, MX_FLOAT64)));
    CHECK_OK(mx_vec_push(&prim, test_array_of(w, NULL, nw, c->w, nd + 2, MX_FLOAT64)));
    CHECK_OK(mx_vec_push(&cot, test_array_of(g, NULL, ny, os, nd + 2, MX_FLOAT64)));
    mx_closure *f = NULL;
    CHECK_OK(mx_closure_new(&f, apply_cfg, c, NULL));
    CHECK_OK(mx_vjp(&outs, &vjps, f, &prim, &cot));
    if (vjps.size == 2) {
        double *dx = read_f64(vjps.data[0]), *dw = read_f64(vjps.data[1]);
        CHECK(mx_array_size(vjps.data[0]) == (size_t)nx);
        CHECK(mx_array_size(vjps.data[1]) == (size_t)nw);
        double a = dot(dx, u, nx), b = dot(g, cuw, ny);
        CHECK_NEAR(a, b, 1e-9 * (1 + fabs(b)));
        a = dot(dw, v, nw), b = dot(g, cxv, ny);
        CHECK_NEAR(a, b, 1e-9 * (1 + fabs(b)));
        free(dx), free(dw);
    } else {
        CHECK(vjps.size == 2);
    }
    mx_closure_free(f);
    mx_vec_clear(&prim), mx_vec_clear(&cot), mx_vec_clear(&outs), mx_vec_clear(&vjps);
    free(x), free(w), free(u), free(v), free(cuw), free(cxv), free(g);
}

TEST(conv_vjp_adjoint) {
    cfg c = cfg_default(2);
    int32_t in[4] = {2, 7, 6, 4}, w[4] = {6, 3, 2, 2};
    memcpy(c.in, in, sizeof in);
    memcpy(c.w, w, sizeof w);
    c.groups = 2;
    check_adjoint(&c);
    c.st[0] = 2, c.lo[0] = 1, c.hi[1] = 2, c.kd[1] = 2, c.id[0] = 2, c.flip = true;
    check_adjoint(&c);
    c.groups = 1, c.w[3] = 4, c.lo[1] = 4, c.st[1] = 3;
    check_adjoint(&c);
    cfg d = cfg_default(3);
    int32_t in3[5] = {2, 4, 5, 3, 2}, w3[5] = {3, 2, 3, 2, 2};
    memcpy(d.in, in3, sizeof in3);
    memcpy(d.w, w3, sizeof w3);
    d.st[1] = 2, d.lo[2] = 1, d.hi[0] = 1, d.kd[0] = 2, d.id[2] = 3, d.flip = true;
    check_adjoint(&d);
}

int main(void) {
    RUN(conv1d_values);
    RUN(conv2d_values);
    RUN(conv3d_values);
    RUN(conv_groups);
    RUN(conv_many_tiles);
    RUN(conv_transpose_values);
    RUN(conv_strided_inputs);
    RUN(conv_negative_padding);
    RUN(conv_empty);
    RUN(convolve_values);
    RUN(conv_dtypes);
    RUN(conv_errors);
    RUN(conv_vjp_adjoint);
    return TEST_SUMMARY();
}
