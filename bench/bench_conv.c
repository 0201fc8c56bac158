/*
 * conv2d next to OpenBLAS sgemm, measured in the same run:
 *
 *   sgemm 2048^3         the machine's float32 GEMM rate, GFLOP/s
 *   sgemm im2col shape   sgemm of the product conv2d reduces to here,
 *                        (8*56*56 x 576) @ (576 x 64), GFLOP/s
 *   conv2d               x (8, 56, 56, 64) with w (64, 3, 3, 64), padding 1,
 *                        float32, GFLOP/s as 2 * N * C_out * C_in * H * W * 9
 *                        (also float16, bfloat16 and a stride-2 transposed
 *                        convolution of the same sizes)
 *
 * bench/conv_peer.py times real MLX on the same workloads.
 *
 *   build/release/bench_conv [reps]
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmlx.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if ((expr) != MX_OK) {                                                                     \
            fprintf(stderr, "%s failed: %s\n", #expr, mx_last_error());                            \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

enum { N = 8, H = 56, W = 56, C = 64, K = 3 };

static double sgemm_time(int m, int n, int k, int reps) {
    float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)k * n);
    float *c = malloc(sizeof(float) * (size_t)m * n);
    for (size_t i = 0; i < (size_t)m * k; i++) a[i] = (float)(i % 7) - 3;
    for (size_t i = 0; i < (size_t)k * n; i++) b[i] = (float)(i % 5) - 2;
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
        double t = now_s() - t0;
        if (r && t < best) best = t; /* the first call warms up */
    }
    free(a), free(b), free(c);
    return best;
}

/* Median and best time of f's result evaluated reps times. */
static void conv_time(mx_array *x, mx_array *w, mx_dtype dt, bool transposed, int reps, double *med,
                      double *best) {
    mx_array *xc = NULL, *wc = NULL;
    CHECK(mx_astype(&xc, x, dt, NULL));
    CHECK(mx_astype(&wc, w, dt, NULL));
    mx_array *both[2] = {xc, wc};
    CHECK(mx_eval(both, 2));
    double *t = malloc(sizeof(double) * (size_t)(reps + 1));
    for (int r = 0; r <= reps; r++) {
        mx_array *y = NULL;
        double t0 = now_s();
        if (transposed) {
            int st[2] = {2, 2}, pd[2] = {1, 1}, one[2] = {1, 1}, op[2] = {1, 1};
            CHECK(mx_conv_transpose2d(&y, xc, wc, st, pd, one, op, 1, NULL));
        } else {
            int pd[2] = {1, 1};
            CHECK(mx_conv2d(&y, xc, wc, NULL, pd, NULL, 1, NULL));
        }
        CHECK(mx_eval(&y, 1));
        t[r] = now_s() - t0;
        mx_array_free(y);
    }
    qsort(t + 1, (size_t)reps, sizeof *t, cmp_d);
    *med = t[1 + reps / 2];
    *best = t[1];
    free(t);
    mx_array_free(xc), mx_array_free(wc);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1) reps = 1;
    double flops = 2.0 * N * C * C * H * W * K * K;
    double big = sgemm_time(2048, 2048, 2048, reps);
    double peak = 2.0 * 2048 * 2048 * 2048 / big * 1e-9;
    printf("sgemm 2048^3                 %8.1f GFLOP/s\n", peak);
    double sh = sgemm_time(N * H * W, C, C * K * K, reps);
    printf("sgemm 25088x64x576           %8.1f GFLOP/s\n", flops / sh * 1e-9);

    mx_array *x = NULL, *w = NULL;
    int32_t xs[4] = {N, H, W, C}, ws[4] = {C, K, K, C};
    CHECK(mx_random_normal_scalar(&x, xs, 4, MX_FLOAT32, 0, 1, NULL, NULL));
    CHECK(mx_random_normal_scalar(&w, ws, 4, MX_FLOAT32, 0, 0.1f, NULL, NULL));
    const struct {
        mx_dtype dt;
        const char *name;
    } dts[3] = {{MX_FLOAT32, "float32"}, {MX_FLOAT16, "float16"}, {MX_BFLOAT16, "bfloat16"}};
    for (int i = 0; i < 3; i++) {
        double med, best;
        conv_time(x, w, dts[i].dt, false, reps, &med, &best);
        printf("conv2d 3x3 64->64 %-10s %8.1f GFLOP/s (median %.2f ms, best %.1f GFLOP/s = "
               "%.0f%% of sgemm 2048^3)\n",
               dts[i].name, flops / med * 1e-9, med * 1e3, flops / best * 1e-9,
               100 * flops / best * 1e-9 / peak);
    }
    /* the transposed convolution doubling 56x56 to 112x112: each output of
     * the stride-2 transpose sums a quarter of the kernel on average */
    double med, best;
    conv_time(x, w, MX_FLOAT32, true, reps, &med, &best);
    double tflops = 2.0 * N * C * C * H * W * K * K; /* useful products: each input meets 9 taps */
    printf("conv_transpose2d s2 float32  %8.1f GFLOP/s useful (median %.2f ms)\n",
           tflops / med * 1e-9, med * 1e3);
    /* the target figure: conv2d float32 and sgemm 2048^3 taken in turns, so
     * that load from elsewhere on the machine hits both alike; best of each */
    double bs = 1e30, bc = 1e30;
    for (int r = 0; r < reps; r++) {
        double ts = sgemm_time(2048, 2048, 2048, 1), tm, tb;
        conv_time(x, w, MX_FLOAT32, false, 1, &tm, &tb);
        if (ts < bs) bs = ts;
        if (tb < bc) bc = tb;
    }
    double gs = 2.0 * 2048 * 2048 * 2048 / bs * 1e-9, gc = flops / bc * 1e-9;
    printf("interleaved best: sgemm 2048^3 %.1f GFLOP/s, conv2d float32 %.1f GFLOP/s = %.0f%%\n",
           gs, gc, 100 * gc / gs);
    mx_array_free(x), mx_array_free(w);
    return 0;
}
