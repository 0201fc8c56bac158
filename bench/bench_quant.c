/*
 * quantized_matmul next to the machine's limits, measured in the same run:
 *
 *   copy      multi-threaded memcpy, GB/s counted as bytes read + written
 *   sgemm     OpenBLAS sgemm 2048^3 on every core, GFLOP/s
 *   decode    x (1 x 4096) @ W (4096 x 4096)^T, W 4-bit group 64: GB/s of
 *             packed weight bytes (scales and biases not counted); eight
 *             weights taken in turn so each comes from memory, and the same
 *             weight every time (from the caches where they hold 8 MiB)
 *             (and x @ W, the weight used without transpose)
 *   prefill   x (512 x 4096) @ the same W^T: GFLOP/s as 2 * M * N * K
 *
 * Each workload runs for float32 and bfloat16 x (scales and biases of the
 * same dtype, as a model quantized in that dtype has them). Prints one line
 * per figure; bench/quant_peer.py times real MLX on the same shapes.
 *
 *   build/release/bench_quant [reps]
 */
#include <cblas.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if ((expr) != MX_OK) {                                                                     \
            fprintf(stderr, "%s failed: %s\n", #expr, mx_last_error());                            \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* The limits from the fastest repetition (next to the medians). */
static double copy_best, sgemm_best;

/* ---- copy bandwidth ---- */

enum { COPY_BYTES = 64 << 20 };

typedef struct copy_arg {
    char *dst;
    const char *src;
    size_t n;
} copy_arg;

static void *copy_main(void *p) {
    copy_arg *a = p;
    memcpy(a->dst, a->src, a->n);
    return NULL;
}

static double copy_gb_s(int threads, int reps) {
    char *src = aligned_alloc(4096, COPY_BYTES), *dst = aligned_alloc(4096, COPY_BYTES);
    memset(src, 1, COPY_BYTES);
    memset(dst, 0, COPY_BYTES);
    double *t = calloc((size_t)reps, sizeof *t);
    pthread_t tid[64];
    copy_arg args[64];
    size_t slice = COPY_BYTES / (size_t)threads / 4096 * 4096;
    for (int r = -1; r < reps; r++) {
        double t0 = now_s();
        for (int i = 0; i < threads; i++) {
            args[i] = (copy_arg){dst + i * slice, src + i * slice, slice};
            if (i) pthread_create(&tid[i], NULL, copy_main, &args[i]);
        }
        copy_main(&args[0]);
        for (int i = 1; i < threads; i++) pthread_join(tid[i], NULL);
        if (r >= 0) t[r] = now_s() - t0;
    }
    double gb = 2.0 * (double)slice * threads / median(t, reps) / 1e9;
    copy_best = 2.0 * (double)slice * threads / t[0] / 1e9;
    free(t);
    free(src);
    free(dst);
    return gb;
}

/* ---- sgemm ---- */

static double sgemm_gflop_s(int threads, int reps) {
    const int n = 2048;
    size_t nn = (size_t)n * n;
    float *A = malloc(nn * 4), *B = malloc(nn * 4), *C = malloc(nn * 4);
    for (size_t i = 0; i < nn; i++) A[i] = (float)(i % 7) * 0.1f, B[i] = (float)(i % 5) * 0.1f;
    openblas_set_num_threads(threads);
    double *t = calloc((size_t)reps, sizeof *t);
    for (int r = -1; r < reps; r++) {
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A, n, B, n, 0.0f, C,
                    n);
        if (r >= 0) t[r] = now_s() - t0;
    }
    double g = 2.0 * n * (double)n * n / median(t, reps) / 1e9;
    sgemm_best = 2.0 * n * (double)n * n / t[0] / 1e9;
    free(t);
    free(A);
    free(B);
    free(C);
    return g;
}

/* ---- quantized_matmul ---- */

static mx_array *uniform(int32_t rows, int32_t cols, mx_dtype dt, uint64_t seed) {
    size_t n = (size_t)rows * cols;
    float *v = malloc(n * 4);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)((double)(seed >> 40) / (double)(1 << 24) - 0.5);
    }
    int32_t shape[2] = {rows, cols};
    mx_array *a = NULL, *c = NULL;
    CHECK(mx_array_from_data(&a, v, shape, 2, MX_FLOAT32));
    CHECK(mx_astype(&c, a, dt, NULL));
    CHECK(mx_eval(&c, 1));
    mx_array_free(a);
    free(v);
    return c;
}

/* The fastest repetition of the last time_qmm: on a shared machine the
 * median includes time the OS gave to other processes. */
static double best_s;

/* Median seconds of one quantized_matmul of x with a quantized weight,
 * taking the nw weights in turn (more than the caches hold: a cold weight
 * each time, as in a model's forward pass). */
static double time_qmm(mx_array *x, mx_array **wq, mx_array **s, mx_array **b, int nw, int reps,
                       bool transpose) {
    double *t = calloc((size_t)reps, sizeof *t);
    for (int r = -1; r < reps; r++) {
        mx_array *o = NULL;
        int i = (r + 1) % nw;
        double t0 = now_s();
        CHECK(mx_quantized_matmul(&o, x, wq[i], s[i], b[i], transpose, 64, 4, "affine", NULL));
        CHECK(mx_eval(&o, 1));
        if (r >= 0) t[r] = now_s() - t0;
        mx_array_free(o);
    }
    double m = median(t, reps);
    best_s = t[0]; /* sorted by median() */
    free(t);
    return m;
}

/* Distinct weights cycled through by the decode timing: 8 x 8 MiB packed. */
enum { NW = 8 };

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1) reps = 1;
    int threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads > 64) threads = 64;
    const int K = 4096, N = 4096, MP = 512;
    double copy = copy_gb_s(threads, reps);
    double sgemm = sgemm_gflop_s(threads, reps);
    printf("machine: %d threads, copy %.1f GB/s (best %.1f), sgemm 2048^3 %.1f GFLOP/s (best "
           "%.1f); figures are medians, then the fastest repetition\n",
           threads, copy, copy_best, sgemm, sgemm_best);
    static const mx_dtype dts[] = {MX_FLOAT32, MX_BFLOAT16};
    for (int d = 0; d < 2; d++) {
        mx_array *w = uniform(N, K, dts[d], 1), *wq[NW] = {0}, *s[NW] = {0}, *b[NW] = {0};
        CHECK(mx_quantize(&wq[0], &s[0], &b[0], w, 64, 4, "affine", NULL));
        mx_array *all[3] = {wq[0], s[0], b[0]};
        CHECK(mx_eval(all, 3));
        mx_array_free(w);
        /* Copies (x + 0) with buffers of their own. */
        mx_array *zu = NULL, *zf = NULL;
        CHECK(mx_array_from_int(&zu, 0, MX_UINT32));
        CHECK(mx_array_from_float(&zf, 0.0, dts[d]));
        for (int i = 1; i < NW; i++) {
            CHECK(mx_add(&wq[i], wq[0], zu, NULL));
            CHECK(mx_add(&s[i], s[0], zf, NULL));
            CHECK(mx_add(&b[i], b[0], zf, NULL));
            mx_array *c[3] = {wq[i], s[i], b[i]};
            CHECK(mx_eval(c, 3));
        }
        mx_array_free(zu);
        mx_array_free(zf);
        double wbytes = (double)N * K / 2;
        mx_array *x1 = uniform(1, K, dts[d], 2), *xp = uniform(MP, K, dts[d], 3);
        double td = time_qmm(x1, wq, s, b, NW, reps * NW, true), tdb = best_s;
        double th = time_qmm(x1, wq, s, b, 1, reps * 4, true);
        double tn = time_qmm(x1, wq, s, b, NW, reps * NW, false), tnb = best_s;
        double tp = time_qmm(xp, wq, s, b, 1, reps, true), tpb = best_s;
        double flop = 2.0 * MP * (double)N * K;
        const char *name = mx_dtype_name(dts[d]);
        printf("decode  %-8s x(1x%d) @ W(%dx%d)^T, 4-bit g64, cold W: %7.3f ms %5.1f GB/s "
               "(%3.0f%% of copy) | best %7.3f ms %5.1f GB/s (%3.0f%%)\n",
               name, K, N, K, td * 1e3, wbytes / td / 1e9, 100.0 * wbytes / td / 1e9 / copy,
               tdb * 1e3, wbytes / tdb / 1e9, 100.0 * wbytes / tdb / 1e9 / copy_best);
        printf("decode  %-8s the same, one W kept warm in the caches:  %7.3f ms %5.1f GB/s\n", name,
               th * 1e3, wbytes / th / 1e9);
        printf("decode  %-8s x(1x%d) @ W(%dx%d), not transposed, cold: %7.3f ms %5.1f GB/s "
               "| best %7.3f ms %5.1f GB/s\n",
               name, K, K, N, tn * 1e3, wbytes / tn / 1e9, tnb * 1e3, wbytes / tnb / 1e9);
        printf("prefill %-8s x(%dx%d) @ W(%dx%d)^T, 4-bit g64:    %7.1f ms %5.1f GFLOP/s "
               "(%3.0f%% of sgemm) | best %7.1f ms %5.1f GFLOP/s (%3.0f%%)\n",
               name, MP, K, N, K, tp * 1e3, flop / tp / 1e9, 100.0 * flop / tp / 1e9 / sgemm,
               tpb * 1e3, flop / tpb / 1e9, 100.0 * flop / tpb / 1e9 / sgemm_best);
        mx_array_free(x1);
        mx_array_free(xp);
        for (int i = 0; i < NW; i++) {
            mx_array_free(wq[i]);
            mx_array_free(s[i]);
            mx_array_free(b[i]);
        }
    }
    return 0;
}
