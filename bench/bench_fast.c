/*
 * Benchmarks of the mlx.core.fast kernels against the machine's copy
 * bandwidth.
 *
 *   build/release/bench_fast [--reps N] [--only NAME] [--json]
 *
 * The roof is a multi-threaded copy of 64 MiB (the better of memcpy and a
 * streaming-store loop), counted as bytes read + bytes written, timed
 * right before every repetition of every workload (the machine is shared,
 * and its bandwidth varies from second to second). Each
 * workload's figure is its own bytes read + written divided by the median
 * time: rms_norm, layer_norm and rope read and write 4096 x 4096 elements;
 * attention decode (1 query, 4096 keys, 32 heads, head dimension 128,
 * float16) is counted on the K and V bytes only. bench/fast_peer.py times
 * the same workloads in real MLX and prints the ratios. "best" compares the
 * fastest repetition with the fastest copy seen so far in the run: on a
 * loaded machine it shows what the kernel does when it is not preempted.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define CK(expr)                                                                                   \
    do {                                                                                           \
        if ((expr) != MX_OK) {                                                                     \
            fprintf(stderr, "%s failed: %s\n", #expr, mx_last_error());                            \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* ---- copy bandwidth ---- */

enum { COPY_BYTES = 64 << 20 };

typedef struct copy_arg {
    char *dst;
    const char *src;
    size_t n;
    bool stream;
} copy_arg;

static void *copy_part(void *p) {
    copy_arg *a = p;
#if defined(__SSE2__)
    if (a->stream) {
        for (size_t i = 0; i < a->n; i += 64)
            for (size_t k = 0; k < 64; k += 16)
                _mm_stream_si128((__m128i *)(a->dst + i + k),
                                 _mm_load_si128((const __m128i *)(a->src + i + k)));
        _mm_sfence();
        return NULL;
    }
#endif
    memcpy(a->dst, a->src, a->n);
    return NULL;
}

static char *copy_src, *copy_dst;
static int copy_threads = 1;
static bool copy_streaming; /* the faster method, chosen at start-up */

static double copy_best_gbs; /* the fastest copy seen in the whole run */

/* Seconds for one multi-threaded copy of COPY_BYTES. */
static double copy_once(bool stream) {
    pthread_t tid[64];
    copy_arg args[64];
    double t0 = now_s();
    size_t pages = COPY_BYTES / 4096;
    for (int i = 0; i < copy_threads; i++) {
        size_t lo = pages * (size_t)i / (size_t)copy_threads * 4096;
        size_t hi = pages * (size_t)(i + 1) / (size_t)copy_threads * 4096;
        args[i] = (copy_arg){copy_dst + lo, copy_src + lo, hi - lo, stream};
        if (i) pthread_create(&tid[i], NULL, copy_part, &args[i]);
    }
    copy_part(&args[0]);
    for (int i = 1; i < copy_threads; i++) pthread_join(tid[i], NULL);
    double t = now_s() - t0;
    if (2.0 * COPY_BYTES / t / 1e9 > copy_best_gbs) copy_best_gbs = 2.0 * COPY_BYTES / t / 1e9;
    return t;
}

/* GB/s (read + write) of the better copy method, median of reps. */
static double copy_bandwidth(int reps, int nthreads) {
    copy_src = aligned_alloc(4096, COPY_BYTES);
    copy_dst = aligned_alloc(4096, COPY_BYTES);
    memset(copy_src, 1, COPY_BYTES);
    memset(copy_dst, 0, COPY_BYTES);
    copy_threads = nthreads < 1 ? 1 : nthreads > 64 ? 64 : nthreads;
    double best = 0, *t = calloc((size_t)reps, sizeof *t);
    for (int m = 0; m < 2; m++) {
        for (int r = -1; r < reps; r++) {
            double s = copy_once(m == 1);
            if (r >= 0) t[r] = s;
        }
        double gbs = 2.0 * COPY_BYTES / median(t, reps) / 1e9;
        if (gbs > best) best = gbs, copy_streaming = m == 1;
    }
    free(t);
    return best;
}

/* ---- workloads ---- */

static mx_array *randn(const int32_t *shape, int nd, mx_dtype dt) {
    mx_array *a = NULL;
    CK(mx_random_normal_scalar(&a, shape, nd, dt, 0.0f, 1.0f, NULL, NULL));
    CK(mx_eval(&a, 1));
    return a;
}

typedef enum { W_RMS, W_LN, W_ROPE, W_SDPA } wl_kind;

static mx_array *run_once(wl_kind k, mx_array *const *in) {
    mx_array *y = NULL;
    float base = 10000.0f;
    switch (k) {
    case W_RMS:
        CK(mx_fast_rms_norm(&y, in[0], in[1], 1e-5f, NULL));
        break;
    case W_LN:
        CK(mx_fast_layer_norm(&y, in[0], in[1], in[2], 1e-5f, NULL));
        break;
    case W_ROPE:
        CK(mx_fast_rope(&y, in[0], 128, false, &base, 1.0f, 0, NULL, NULL));
        break;
    case W_SDPA:
        CK(mx_fast_scaled_dot_product_attention(&y, in[0], in[1], in[2], 0.08838835f, NULL, NULL,
                                                NULL, NULL));
        break;
    }
    CK(mx_eval(&y, 1));
    return y;
}

static const char *only; /* --only NAME: one workload */

static void bench(const char *name, wl_kind k, mx_dtype dt, int reps, double roof, bool json) {
    if (only && strcmp(only, name) != 0) return;
    mx_array *in[3] = {NULL, NULL, NULL};
    double bytes;
    int32_t x2[2] = {4096, 4096}, w1[1] = {4096}, r4[4] = {1, 32, 4096, 128};
    int32_t q4[4] = {1, 32, 1, 128}, kv4[4] = {1, 32, 4096, 128};
    int isz = mx_dtype_size(dt);
    switch (k) {
    case W_RMS:
    case W_LN:
        in[0] = randn(x2, 2, dt);
        in[1] = randn(w1, 1, dt);
        if (k == W_LN) in[2] = randn(w1, 1, dt);
        bytes = 2.0 * 4096 * 4096 * isz;
        break;
    case W_ROPE:
        in[0] = randn(r4, 4, dt);
        bytes = 2.0 * 4096 * 4096 * isz;
        break;
    default:
        in[0] = randn(q4, 4, dt);
        in[1] = randn(kv4, 4, dt);
        in[2] = randn(kv4, 4, dt);
        bytes = 2.0 * 32 * 4096 * 128 * isz;
        break;
    }
    /* The machine is shared: each repetition times a copy right before the
     * workload, and the roof is the median of those copies. */
    double *t = calloc((size_t)reps, sizeof *t), *tc = calloc((size_t)reps, sizeof *tc);
    for (int r = -1; r < reps; r++) {
        double c = copy_once(copy_streaming);
        double t0 = now_s();
        mx_array *y = run_once(k, in);
        double dt_s = now_s() - t0;
        mx_array_free(y);
        if (r >= 0) t[r] = dt_s, tc[r] = c;
    }
    double med = median(t, reps), gbs = bytes / med / 1e9;
    roof = 2.0 * COPY_BYTES / median(tc, reps) / 1e9;
    /* best against best (the fastest copy of the whole run so far): what
     * the kernel does when nothing preempts it */
    double best = bytes / t[0] / 1e9, best_roof = copy_best_gbs;
    free(tc);
    if (json)
        printf("{\"workload\": \"%s\", \"impl\": \"cmlx\", \"median_s\": %.6g, \"bytes\": %.0f, "
               "\"gb_s\": %.4g, \"roof_gb_s\": %.4g, \"best_gb_s\": %.4g, \"best_roof_gb_s\": "
               "%.4g}\n",
               name, med, bytes, gbs, roof, best, best_roof);
    else
        printf("%-18s %8.3f ms %6.2f GB/s %5.1f%% of copy (%5.2f GB/s); best %5.1f%%\n", name,
               med * 1e3, gbs, 100 * gbs / roof, roof, 100 * best / best_roof);
    free(t);
    for (int i = 0; i < 3; i++) mx_array_free(in[i]);
}

int main(int argc, char **argv) {
    int reps = 10;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json = true;
    }
    if (reps < 1) reps = 1;
    int nthreads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    double roof = copy_bandwidth(reps, nthreads > 0 ? nthreads : 1);
    if (json)
        printf("{\"workload\": \"copy_bandwidth\", \"impl\": \"c\", \"gb_s\": %.4g}\n", roof);
    else
        printf("copy bandwidth (read + write, %d threads): %.2f GB/s\n", nthreads, roof);
    bench("rms_norm_f32", W_RMS, MX_FLOAT32, reps, roof, json);
    bench("rms_norm_f16", W_RMS, MX_FLOAT16, reps, roof, json);
    bench("layer_norm_f32", W_LN, MX_FLOAT32, reps, roof, json);
    bench("layer_norm_f16", W_LN, MX_FLOAT16, reps, roof, json);
    bench("rope_f32", W_ROPE, MX_FLOAT32, reps, roof, json);
    bench("rope_f16", W_ROPE, MX_FLOAT16, reps, roof, json);
    bench("sdpa_decode_f16", W_SDPA, MX_FLOAT16, reps, roof, json);
    return 0;
}
