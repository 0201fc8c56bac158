/*
 * The float16/bfloat16 GEMM (src/cpu/gemm16.c): every SIMD level against a
 * double-precision loop over the same 16-bit inputs and against the scalar
 * reference; odd sizes, transposed, strided and negative-stride operands,
 * batches with a broadcast weight, K = 0, alpha/beta; and mx_matmul /
 * mx_addmm on these dtypes going through it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmlx.h"
#include "core/half.h"
#include "cpu/gemm16.h"
#include "cpu/simd.h"
#include "test.h"

static uint64_t rng_state = 7;

static double rnd(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static uint16_t to16(mx_dtype dt, float v) {
    return dt == MX_BFLOAT16 ? mxi_f32_to_bf16(v) : mxi_f32_to_f16(v);
}

static double from16(mx_dtype dt, uint16_t v) {
    return dt == MX_BFLOAT16 ? mxi_bf16_to_f32(v) : mxi_f16_to_f32(v);
}

static uint16_t *rand16(mx_dtype dt, int64_t n) {
    uint16_t *p = malloc((size_t)(n > 0 ? n : 1) * 2);
    for (int64_t i = 0; i < n; i++) p[i] = to16(dt, (float)rnd());
    return p;
}

/* One case: a and b live in buffers large enough for their strides; the
 * layout code says how (0 row-major, 1 transposed, 2 gapped strides, 3
 * negative strides). */
typedef struct g16_case {
    mx_dtype dt;
    int64_t M, N, K, nb;
    int la, lb;
    int b_shared; /* the same b for every batch entry */
    double alpha, beta;
} g16_case;

typedef struct g16_bufs {
    uint16_t *a, *b, *out0;
    int64_t a_len, b_len;
    int64_t a_rs, a_cs, b_rs, b_cs, a_base, b_base;
    int64_t *a_off, *b_off;
} g16_bufs;

/* Strides of a rows x cols matrix in `layout`, the elements one takes, and
 * the offset of element (0, 0) within them. */
static void layout_of(int layout, int64_t rows, int64_t cols, int64_t *rs, int64_t *cs,
                      int64_t *len, int64_t *base) {
    *base = 0;
    switch (layout) {
    case 0:
        *rs = cols, *cs = 1, *len = rows * cols;
        break;
    case 1:
        *rs = 1, *cs = rows, *len = rows * cols;
        break;
    case 2:
        *rs = 2 * cols + 3, *cs = 2, *len = rows * (2 * cols + 3);
        break;
    default:
        *rs = -cols, *cs = -1, *len = rows * cols, *base = rows * cols - 1;
        break;
    }
}

static void make_bufs(const g16_case *c, g16_bufs *u) {
    int64_t alen, blen;
    layout_of(c->la, c->M, c->K, &u->a_rs, &u->a_cs, &alen, &u->a_base);
    layout_of(c->lb, c->K, c->N, &u->b_rs, &u->b_cs, &blen, &u->b_base);
    int64_t nbb = c->b_shared ? 1 : c->nb;
    u->a_len = alen * c->nb;
    u->b_len = blen * nbb;
    u->a = rand16(c->dt, u->a_len);
    u->b = rand16(c->dt, u->b_len);
    u->out0 = rand16(c->dt, c->nb * c->M * c->N);
    u->a_off = malloc(sizeof(int64_t) * (size_t)c->nb);
    u->b_off = malloc(sizeof(int64_t) * (size_t)c->nb);
    for (int64_t e = 0; e < c->nb; e++) {
        u->a_off[e] = e * alen + u->a_base;
        u->b_off[e] = (c->b_shared ? 0 : e * blen) + u->b_base;
    }
}

static void free_bufs(g16_bufs *u) {
    free(u->a), free(u->b), free(u->out0), free(u->a_off), free(u->b_off);
}

static int run_case(const g16_case *c, const g16_bufs *u, uint16_t *out) {
    memcpy(out, u->out0, (size_t)(c->nb * c->M * c->N) * 2);
    mxi_gemm16_args g = {.dtype = c->dt,
                         .nb = c->nb,
                         .a_off = u->a_off,
                         .b_off = u->b_off,
                         .a = u->a,
                         .b = u->b,
                         .out = out,
                         .M = c->M,
                         .N = c->N,
                         .K = c->K,
                         .a_rs = u->a_rs,
                         .a_cs = u->a_cs,
                         .b_rs = u->b_rs,
                         .b_cs = u->b_cs,
                         .alpha = c->alpha,
                         .beta = c->beta};
    return mxi_gemm16(&g);
}

/* The bound on |got - exact| for one output: one unit in the last place of
 * the 16-bit result, plus float32 accumulation over K terms. */
static double bound(mx_dtype dt, double exact, double absum) {
    double ulp = dt == MX_BFLOAT16 ? 0x1p-7 : 0x1p-10;
    return ulp * fabs(exact) + absum * 0x1p-20 + 1e-7;
}

static void check_case(const g16_case *c, const char *what) {
    g16_bufs u;
    make_bufs(c, &u);
    int64_t n = c->nb * c->M * c->N;
    uint16_t *ref = malloc((size_t)(n > 0 ? n : 1) * 2), *got = malloc((size_t)(n > 0 ? n : 1) * 2);
    double *exact = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    double *absum = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    for (int64_t e = 0; e < c->nb; e++)
        for (int64_t i = 0; i < c->M; i++)
            for (int64_t j = 0; j < c->N; j++) {
                double s = 0, sa = 0;
                for (int64_t k = 0; k < c->K; k++) {
                    double x = from16(c->dt, u.a[u.a_off[e] + i * u.a_rs + k * u.a_cs]);
                    double y = from16(c->dt, u.b[u.b_off[e] + k * u.b_rs + j * u.b_cs]);
                    s += x * y;
                    sa += fabs(x * y);
                }
                int64_t o = (e * c->M + i) * c->N + j;
                double old = c->beta != 0 ? from16(c->dt, u.out0[o]) : 0;
                exact[o] = c->alpha * s + c->beta * old;
                absum[o] = fabs(c->alpha) * sa + fabs(c->beta * old);
            }
    mxi_simd_level saved = mxi_simd_active();
    mxi_simd_set_active(MXI_SIMD_SCALAR);
    CHECK_OK(run_case(c, &u, ref));
    for (int lv = MXI_SIMD_SCALAR; lv < MXI_SIMD_LEVELS; lv++) {
        if (mxi_simd_set_active((mxi_simd_level)lv) != 0) continue;
        CHECK_OK(run_case(c, &u, got));
        int bad = 0;
        for (int64_t o = 0; o < n && bad < 3; o++) {
            double g = from16(c->dt, got[o]), r = from16(c->dt, ref[o]);
            double tol = bound(c->dt, exact[o], absum[o]);
            if (!(fabs(g - exact[o]) <= tol) || !(fabs(g - r) <= 2 * tol)) {
                fprintf(stderr, "  %s level %s: [%lld] got %.9g scalar %.9g exact %.9g\n", what,
                        mxi_simd_name((mxi_simd_level)lv), (long long)o, g, r, exact[o]);
                bad++;
            }
        }
        CHECK(bad == 0);
    }
    mxi_simd_set_active(saved);
    free(ref), free(got), free(exact), free(absum);
    free_bufs(&u);
}

static const int64_t sizes[] = {1, 3, 17, 33, 100, 257};

TEST(test_square_odd_sizes) {
    char what[96];
    for (int d = 0; d < 2; d++)
        for (int s = 0; s < 6; s++) {
            g16_case c = {
                d ? MX_BFLOAT16 : MX_FLOAT16, sizes[s], sizes[s], sizes[s], 1, 0, 0, 0, 1.0, 0.0};
            snprintf(what, sizeof what, "%s %lld^3", mx_dtype_name(c.dt), (long long)sizes[s]);
            check_case(&c, what);
        }
}

TEST(test_mixed_sizes_layouts) {
    char what[96];
    int t = 0;
    for (int d = 0; d < 2; d++)
        for (int mi = 0; mi < 6; mi++)
            for (int ni = 0; ni < 6; ni++) {
                /* K cycles through the sizes; 257 only with small M, N. */
                int64_t M = sizes[mi], N = sizes[ni], K = sizes[(mi + 2 * ni) % 6];
                if (M * N * K > 1200000) continue;
                g16_case c = {
                    d ? MX_BFLOAT16 : MX_FLOAT16, M, N, K, 1, t % 4, (t / 4) % 4, 0, 1.0, 0.0};
                t++;
                snprintf(what, sizeof what, "%s %lldx%lldx%lld layouts %d/%d", mx_dtype_name(c.dt),
                         (long long)M, (long long)N, (long long)K, c.la, c.lb);
                check_case(&c, what);
            }
}

TEST(test_every_layout_pair) {
    char what[96];
    for (int d = 0; d < 2; d++)
        for (int la = 0; la < 4; la++)
            for (int lb = 0; lb < 4; lb++) {
                g16_case c = {d ? MX_BFLOAT16 : MX_FLOAT16, 33, 40, 19, 1, la, lb, 0, 1.0, 0.0};
                snprintf(what, sizeof what, "%s layouts %d/%d", mx_dtype_name(c.dt), la, lb);
                check_case(&c, what);
            }
}

TEST(test_batches) {
    char what[96];
    for (int d = 0; d < 2; d++)
        for (int shared = 0; shared < 2; shared++)
            for (int la = 0; la < 2; la++) {
                g16_case c = {
                    d ? MX_BFLOAT16 : MX_FLOAT16, 17, 35, 33, 3, la, 1 - la, shared, 1.0, 0.0};
                snprintf(what, sizeof what, "%s batch 3 shared b %d", mx_dtype_name(c.dt), shared);
                check_case(&c, what);
            }
}

/* M = 1 reads b in place (unit column stride) or packs it (any other). */
TEST(test_vector_times_matrix) {
    char what[96];
    static const int64_t ns[] = {1, 17, 300}, ks[] = {1, 33, 257};
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < 3; i++)
            for (int lb = 0; lb < 4; lb++) {
                g16_case c = {d ? MX_BFLOAT16 : MX_FLOAT16,
                              1,
                              ns[i],
                              ks[(i + lb) % 3],
                              2,
                              lb % 2,
                              lb,
                              lb & 1,
                              lb == 3 ? 0.5 : 1.0,
                              lb == 3 ? -1.0 : 0.0};
                snprintf(what, sizeof what, "%s 1x%lldx%lld layout %d", mx_dtype_name(c.dt),
                         (long long)c.N, (long long)c.K, lb);
                check_case(&c, what);
            }
}

TEST(test_alpha_beta) {
    char what[96];
    static const double ab[][2] = {{0.5, -1.5}, {-2.0, 1.0}, {0.0, 0.25}, {1.0, 0.0}};
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < 4; i++) {
            g16_case c = {d ? MX_BFLOAT16 : MX_FLOAT16, 20, 37, 29, 2, 0, 2, 1, ab[i][0], ab[i][1]};
            snprintf(what, sizeof what, "%s alpha %g beta %g", mx_dtype_name(c.dt), ab[i][0],
                     ab[i][1]);
            check_case(&c, what);
        }
}

/* K = 0: out = beta * out; beta 0 writes zeros even over NaN. */
TEST(test_k_zero) {
    for (int d = 0; d < 2; d++) {
        mx_dtype dt = d ? MX_BFLOAT16 : MX_FLOAT16;
        uint16_t out[6];
        for (int i = 0; i < 6; i++) out[i] = to16(dt, (float)(i + 1));
        mxi_gemm16_args g = {
            .dtype = dt, .nb = 1, .out = out, .M = 2, .N = 3, .K = 0, .alpha = 1, .beta = 0.5};
        CHECK_OK(mxi_gemm16(&g));
        for (int i = 0; i < 6; i++) CHECK_NEAR(from16(dt, out[i]), 0.5 * (i + 1), 0);
        out[2] = to16(dt, NAN);
        g.beta = 0;
        CHECK_OK(mxi_gemm16(&g));
        for (int i = 0; i < 6; i++) CHECK(out[i] == 0);
    }
}

/* NaN and inf reach the outputs of their row and column only. */
TEST(test_nan_inf) {
    for (int d = 0; d < 2; d++) {
        mx_dtype dt = d ? MX_BFLOAT16 : MX_FLOAT16;
        for (int lv = MXI_SIMD_SCALAR; lv < MXI_SIMD_LEVELS; lv++) {
            mxi_simd_level saved = mxi_simd_active();
            if (mxi_simd_set_active((mxi_simd_level)lv) != 0) continue;
            uint16_t a[3 * 4], b[4 * 2], out[3 * 2];
            for (int i = 0; i < 12; i++) a[i] = to16(dt, 1.0f);
            for (int i = 0; i < 8; i++) b[i] = to16(dt, 0.5f);
            a[0] = to16(dt, NAN);              /* row 0 */
            a[4 * 2 + 1] = to16(dt, INFINITY); /* row 2 */
            mxi_gemm16_args g = {.dtype = dt,
                                 .nb = 1,
                                 .a = a,
                                 .b = b,
                                 .out = out,
                                 .M = 3,
                                 .N = 2,
                                 .K = 4,
                                 .a_rs = 4,
                                 .a_cs = 1,
                                 .b_rs = 2,
                                 .b_cs = 1,
                                 .alpha = 1,
                                 .beta = 0};
            CHECK_OK(mxi_gemm16(&g));
            CHECK(isnan(from16(dt, out[0])) && isnan(from16(dt, out[1])));
            CHECK_NEAR(from16(dt, out[2]), 2.0, 0);
            CHECK_NEAR(from16(dt, out[3]), 2.0, 0);
            CHECK(isinf(from16(dt, out[4])) && from16(dt, out[4]) > 0);
            mxi_simd_set_active(saved);
        }
    }
}

/* mx_matmul and mx_addmm on 16-bit arrays, transposed and batched. */
static mx_array *array16(mx_dtype dt, const int32_t *shape, int nd, float *vals) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    for (int64_t i = 0; i < n; i++) vals[i] = (float)from16(dt, to16(dt, (float)rnd()));
    mx_array *f = NULL, *h = NULL;
    CHECK_OK(mx_array_from_data(&f, vals, shape, nd, MX_FLOAT32));
    CHECK_OK(mx_astype(&h, f, dt, NULL));
    mx_array_free(f);
    return h;
}

static void read_back(mx_array *h, float *dst, size_t n) {
    mx_array *f = NULL;
    CHECK_OK(mx_astype(&f, h, MX_FLOAT32, NULL));
    CHECK_OK(mx_eval(&f, 1));
    if (mx_array_size(f) == n) memcpy(dst, mx_array_data(f), n * sizeof(float));
    mx_array_free(f);
}

TEST(test_mx_matmul_uses_it) {
    enum { B = 2, M = 5, K = 7, N = 9 };
    for (int d = 0; d < 2; d++) {
        mx_dtype dt = d ? MX_BFLOAT16 : MX_FLOAT16;
        float av[B * M * K], bv[N * K], cv[M * N], got[B * M * N];
        int32_t as[3] = {B, M, K}, bs[2] = {N, K}, cs[2] = {M, N};
        mx_array *a = array16(dt, as, 3, av), *bt = array16(dt, bs, 2, bv);
        mx_array *c = array16(dt, cs, 2, cv);
        mx_array *b = NULL, *o = NULL, *o2 = NULL, *a2 = NULL;
        int perm[2] = {1, 0};
        CHECK_OK(mx_transpose(&b, bt, perm, 2, NULL)); /* K x N, column-major */
        CHECK_OK(mx_matmul(&o, a, b, NULL));
        CHECK(mx_array_dtype(o) == dt);
        read_back(o, got, B * M * N);
        for (int e = 0; e < B; e++)
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double s = 0, sa = 0;
                    for (int k = 0; k < K; k++) {
                        s += (double)av[(e * M + i) * K + k] * bv[j * K + k];
                        sa += fabs((double)av[(e * M + i) * K + k] * bv[j * K + k]);
                    }
                    CHECK_NEAR(got[(e * M + i) * N + j], s, bound(dt, s, sa));
                }
        /* addmm on the first batch entry: 0.5 * a0 @ b - 2 * c */
        int32_t start[3] = {0, 0, 0}, stop[3] = {1, M, K};
        mx_array *a0 = NULL;
        CHECK_OK(mx_slice(&a0, a, start, stop, NULL, 3, NULL));
        int32_t s2[2] = {M, K};
        CHECK_OK(mx_reshape(&a2, a0, s2, 2, NULL));
        CHECK_OK(mx_addmm(&o2, c, a2, b, 0.5f, -2.0f, NULL));
        read_back(o2, got, M * N);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double s = 0, sa = 0;
                for (int k = 0; k < K; k++) {
                    s += (double)av[i * K + k] * bv[j * K + k];
                    sa += fabs((double)av[i * K + k] * bv[j * K + k]);
                }
                double want = 0.5 * s - 2.0 * cv[i * N + j];
                CHECK_NEAR(got[i * N + j], want,
                           bound(dt, want, 0.5 * sa + 2 * fabs(cv[i * N + j])));
            }
        mx_array *all[] = {a, bt, c, b, o, o2, a0, a2};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
    }
}

int main(void) {
    RUN(test_square_odd_sizes);
    RUN(test_mixed_sizes_layouts);
    RUN(test_every_layout_pair);
    RUN(test_batches);
    RUN(test_vector_times_matrix);
    RUN(test_alpha_beta);
    RUN(test_k_zero);
    RUN(test_nan_inf);
    RUN(test_mx_matmul_uses_it);
    return TEST_SUMMARY();
}
