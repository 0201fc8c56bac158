/*
 * float16/bfloat16 GEMM against float32 sgemm on the same shape, through
 * mx_matmul, one JSON object per line and then the ratios:
 *   build/release/bench_gemm16 [--cpu] [--reps N] [--size N | --mnk M N K]
 * (default 2048: an N x N x N product; --mnk for other shapes, such as the
 * matrix-vector products of M = 1). bench/gemm16_peer.py times MLX on
 * the same shapes. CMLX_SIMD picks the kernel level as for every kernel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmlx.h"

/* --cpu: process CPU time (all threads) instead of wall time. */
static bool use_cpu_time;

static double now_s(void) {
    struct timespec t;
    clock_gettime(use_cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static mx_array *operand(int32_t rows, int32_t cols, mx_dtype dt, uint64_t seed) {
    size_t len = (size_t)rows * (size_t)cols;
    float *v = malloc(sizeof(float) * len);
    for (size_t i = 0; i < len; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)((double)(seed >> 11) / 9007199254740992.0 - 0.5);
    }
    int32_t shape[2] = {rows, cols};
    mx_array *f = NULL, *h = NULL;
    if (mx_array_from_data(&f, v, shape, 2, MX_FLOAT32) == MX_OK) {
        if (dt == MX_FLOAT32) {
            h = f, f = NULL;
        } else if (mx_astype(&h, f, dt, NULL) != MX_OK || mx_eval(&h, 1) != MX_OK) {
            mx_array_free(h);
            h = NULL;
        }
    }
    mx_array_free(f);
    free(v);
    return h;
}

/* Median GFLOP/s of M x N x K products in dt, or -1 on failure. */
static double run(int32_t M, int32_t N, int32_t K, mx_dtype dt, int reps) {
    mx_array *a = operand(M, K, dt, 1), *b = operand(K, N, dt, 2);
    double *t = malloc(sizeof(double) * (size_t)reps), gf = -1;
    int rc = a && b ? MX_OK : -1;
    for (int r = -1; r < reps && !rc; r++) {
        mx_array *y = NULL;
        double t0 = now_s();
        rc = mx_matmul(&y, a, b, NULL);
        if (!rc) rc = mx_eval(&y, 1);
        if (r >= 0) t[r] = now_s() - t0;
        mx_array_free(y);
    }
    if (!rc) {
        qsort(t, (size_t)reps, sizeof(double), cmp_double);
        double med = t[reps / 2];
        gf = 2.0 * M * (double)N * K / med * 1e-9;
        printf("{\"workload\": \"matmul_%dx%dx%d\", \"dtype\": \"%s\", \"impl\": \"cmlx\", "
               "\"reps\": %d, \"median_s\": %.6g, \"gflop_s\": %.4g, \"clock\": \"%s\"}\n",
               M, N, K, mx_dtype_name(dt), reps, med, gf, use_cpu_time ? "cpu" : "wall");
    } else {
        printf("{\"workload\": \"matmul_%dx%dx%d\", \"dtype\": \"%s\", \"error\": \"%s\"}\n", M, N,
               K, mx_dtype_name(dt), mx_last_error());
    }
    free(t);
    mx_array_free(a);
    mx_array_free(b);
    return gf;
}

int main(int argc, char **argv) {
    int reps = 5;
    int32_t M = 2048, N = 2048, K = 2048;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cpu")) {
            use_cpu_time = true;
        } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            reps = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            M = N = K = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--mnk") && i + 3 < argc) {
            M = atoi(argv[i + 1]), N = atoi(argv[i + 2]), K = atoi(argv[i + 3]);
            i += 3;
        } else {
            fprintf(stderr, "usage: bench_gemm16 [--cpu] [--reps N] [--size N | --mnk M N K]\n");
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    if (M < 1 || N < 1 || K < 1) M = N = K = 1;
    double f32 = run(M, N, K, MX_FLOAT32, reps);
    double bf16 = run(M, N, K, MX_BFLOAT16, reps);
    double f16 = run(M, N, K, MX_FLOAT16, reps);
    if (f32 <= 0 || bf16 <= 0 || f16 <= 0) return 1;
    printf("{\"workload\": \"matmul_%dx%dx%d\", \"bfloat16_over_float32\": %.3f, "
           "\"float16_over_float32\": %.3f}\n",
           M, N, K, bf16 / f32, f16 / f32);
    return 0;
}
