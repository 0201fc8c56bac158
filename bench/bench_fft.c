/*
 * FFT workloads on cmlx, one JSON object per line (the same workloads as
 * bench/fft_peer.py runs on NumPy and MLX):
 *   build/release/bench_fft [--cpu] [--reps N] [workload...]
 * The figure is the conventional 5 n log2(n) flops per complex transform
 * (half that for real ones), divided by the median time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmlx.h"

typedef struct fft_workload {
    const char *name;
    int kind; /* 0 fft, 1 rfft, 2 fft2, 3 irfft */
    int32_t rows, cols;
    int axis;
} fft_workload;

static const fft_workload workloads[] = {
    {"fft_1024_x1024", 0, 1024, 1024, -1}, {"fft_4096_x256", 0, 256, 4096, -1},
    {"fft_1000_x1000", 0, 1000, 1000, -1}, {"fft_4099_x64", 0, 64, 4099, -1},
    {"fft_axis0_1024", 0, 1024, 1024, 0},  {"rfft_4096_x256", 1, 256, 4096, -1},
    {"irfft_4096_x256", 3, 256, 4096, -1}, {"fft2_512", 2, 512, 512, -1},
    {"fft_1m_x1", 0, 1, 1 << 20, -1},
};

/* --cpu: process CPU time (all threads) instead of wall time, for a
 * loaded machine where wall time says little. */
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

static int run(const fft_workload *w, int reps) {
    int32_t shape[2] = {w->rows, w->cols};
    size_t n = (size_t)w->rows * (size_t)w->cols;
    bool real_in = w->kind == 1;
    mx_dtype dt = real_in ? MX_FLOAT32 : MX_COMPLEX64;
    float *v = malloc(sizeof(float) * n * 2);
    uint64_t s = 42;
    for (size_t i = 0; i < n * 2; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
    }
    if (w->kind == 3) shape[1] = w->cols / 2 + 1;
    mx_array *a = NULL;
    int rc = mx_array_from_data(&a, v, shape, 2, dt);
    free(v);
    if (rc) return rc;
    double *t = malloc(sizeof(double) * (size_t)reps);
    for (int r = -1; r < reps && !rc; r++) {
        mx_array *y = NULL;
        double t0 = now_s();
        switch (w->kind) {
        case 0:
            rc = mx_fft_fft(&y, a, MX_FFT_N_DEFAULT, w->axis, MX_FFT_NORM_BACKWARD, NULL);
            break;
        case 1:
            rc = mx_fft_rfft(&y, a, MX_FFT_N_DEFAULT, w->axis, MX_FFT_NORM_BACKWARD, NULL);
            break;
        case 2:
            rc = mx_fft_fft2(&y, a, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL);
            break;
        default:
            rc = mx_fft_irfft(&y, a, w->cols, w->axis, MX_FFT_NORM_BACKWARD, NULL);
            break;
        }
        if (!rc) rc = mx_eval(&y, 1);
        double dt_s = now_s() - t0;
        if (r >= 0) t[r] = dt_s;
        mx_array_free(y);
    }
    if (!rc) {
        qsort(t, (size_t)reps, sizeof(double), cmp_double);
        double med = t[reps / 2];
        double len = w->kind == 2 ? (double)n : (double)(w->axis == 0 ? w->rows : w->cols);
        double flops = 5.0 * (double)n * log2(len) * (w->kind == 1 || w->kind == 3 ? 0.5 : 1.0);
        printf("{\"workload\": \"%s\", \"impl\": \"cmlx\", \"reps\": %d, \"median_s\": %.6g, "
               "\"gflop_s\": %.3g, \"clock\": \"%s\"}\n",
               w->name, reps, med, flops / med * 1e-9, use_cpu_time ? "cpu" : "wall");
    } else {
        printf("{\"workload\": \"%s\", \"impl\": \"cmlx\", \"error\": \"%s\"}\n", w->name,
               mx_last_error());
    }
    free(t);
    mx_array_free(a);
    return rc;
}

int main(int argc, char **argv) {
    int reps = 5, failed = 0;
    int first = 1;
    while (first < argc && argv[first][0] == '-') {
        if (!strcmp(argv[first], "--cpu")) {
            use_cpu_time = true, first++;
        } else if (!strcmp(argv[first], "--reps") && first + 1 < argc) {
            reps = atoi(argv[first + 1]), first += 2;
        } else {
            fprintf(stderr, "usage: bench_fft [--cpu] [--reps N] [workload...]\n");
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
        bool wanted = first >= argc;
        for (int k = first; k < argc; k++) wanted |= !strcmp(argv[k], workloads[i].name);
        if (wanted) failed |= run(&workloads[i], reps) != 0;
    }
    return failed;
}
