/*
 * Benchmarks of cmlx, plus the machine's own limits (copy bandwidth, BLAS
 * GFLOP/s) measured the same way, so that bench/run.py can say how close to
 * the roof each op runs.
 *
 *   bench_cmlx [--reps N] [--list] [workload...]
 *
 * Prints one JSON object per line and workload:
 *   {"workload": ..., "impl": "cmlx", "reps": N, "times_s": [...],
 *    "median_s": ..., <derived figures>}
 * A workload that fails prints the same object with an "error" field and the
 * program exits 1 after running the rest.
 *
 * Adding a workload: write `static void wl_<name>(bench *b)` that does its
 * own setup, calls bench_time_start/bench_time_stop around each timed
 * repetition (warm-ups first, untimed), adds derived figures with
 * bench_field from bench_median(b), and frees what it made; then add a line
 * to the `workloads` table.
 */
#include <cblas.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmlx.h"

#define MAX_FIELDS 16

typedef struct bench {
    int reps; /* timed repetitions wanted */
    int n;    /* timed repetitions recorded */
    double *times;
    double t0;
    const char *field_name[MAX_FIELDS];
    double field_value[MAX_FIELDS];
    int nfields;
    char error[512];
} bench;

typedef struct workload {
    const char *name;
    int default_reps;
    void (*run)(bench *b);
} workload;

/* ---- helpers ---- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench_time_start(bench *b) {
    b->t0 = now_s();
}

static void bench_time_stop(bench *b) {
    double dt = now_s() - b->t0;
    if (b->n < b->reps) b->times[b->n++] = dt;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, c = *(const double *)y;
    return (a > c) - (a < c);
}

static double median_of(const double *v, int n) {
    if (n <= 0) return NAN;
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) return NAN;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return m;
}

static double bench_median(const bench *b) {
    return median_of(b->times, b->n);
}

static void bench_field(bench *b, const char *name, double value) {
    if (b->nfields < MAX_FIELDS) {
        b->field_name[b->nfields] = name;
        b->field_value[b->nfields++] = value;
    }
}

static void bench_fail(bench *b, const char *fmt, ...) {
    if (b->error[0]) return; /* keep the first failure */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error, sizeof b->error, fmt, ap);
    va_end(ap);
}

/* Records the failure of a cmlx call with its message and jumps to the
 * workload's cleanup. */
#define CK(expr)                                                                                   \
    do {                                                                                           \
        if ((expr) != MX_OK) {                                                                     \
            bench_fail(b, "%s failed: %s", #expr, mx_last_error());                                \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        bench_fail(b, __VA_ARGS__);                                                                \
        goto done;                                                                                 \
    } while (0)

static int num_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Deterministic values in [0, 1) so that every run checks the same sums. */
static void fill_uniform(float *v, size_t n, uint64_t seed) {
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        v[i] = (float)(x >> 40) * (1.0f / 16777216.0f);
    }
}

static bool close_to(double got, double want, double rtol) {
    return fabs(got - want) <= rtol * fabs(want) + 1e-6;
}

/* Reads element i of an evaluated float32 array without copying it all. */
static int read_f32(bench *b, mx_array *a, size_t i, float *out) {
    const float *p = mx_array_data(a);
    if (!p) {
        bench_fail(b, "mx_array_data failed: %s", mx_last_error());
        return -1;
    }
    if (!mx_array_is_row_contiguous(a)) {
        bench_fail(b, "result is not row contiguous");
        return -1;
    }
    *out = p[i];
    return 0;
}

/* ---- graph_chain: per-node cost of building and evaluating a graph ---- */

enum { CHAIN_NODES = 100000 };

static void wl_graph_chain(bench *b) {
    mx_array *one = NULL, *acc = NULL;
    CK(mx_array_from_float(&one, 1.0, MX_FLOAT32));
    for (int rep = -1; rep < b->reps; rep++) {
        bench_time_start(b);
        CK(mx_array_from_float(&acc, 0.0, MX_FLOAT32));
        for (int i = 0; i < CHAIN_NODES; i++) CK(mx_add(&acc, acc, one, NULL));
        CK(mx_eval(&acc, 1));
        if (rep >= 0) bench_time_stop(b);
        double v;
        CK(mx_array_item_double(&v, acc));
        if (v != CHAIN_NODES) FAIL("chain sum is %g, expected %d", v, CHAIN_NODES);
        mx_array_free(acc);
        acc = NULL;
    }
    bench_field(b, "nodes", CHAIN_NODES);
    bench_field(b, "us_per_node", bench_median(b) / CHAIN_NODES * 1e6);
done:
    mx_array_free(acc);
    mx_array_free(one);
}

/* ---- donation_memory: peak memory of a long elementwise chain ---- */

enum { DONATION_ELEMS = 1 << 20, DONATION_STEPS = 1000 };

static void wl_donation_memory(bench *b) {
    const double buf_bytes = (double)DONATION_ELEMS * sizeof(float);
    mx_array *scale = NULL, *shift = NULL, *x = NULL;
    double worst_peak = 0;
    CK(mx_array_from_float(&scale, 1.0001, MX_FLOAT32));
    CK(mx_array_from_float(&shift, 0.5, MX_FLOAT32));
    float want = 1.0f;
    for (int i = 0; i < DONATION_STEPS; i++) {
        /* volatile: one rounding per op, as the kernels do, never a fused
         * multiply-add. */
        volatile float t = want * 1.0001f;
        want = t + 0.5f;
    }
    /* No warm-up: each repetition starts from an empty cache anyway. */
    for (int rep = 0; rep < b->reps; rep++) {
        mx_clear_cache();
        mx_reset_peak_memory();
        size_t base = mx_get_active_memory();
        int32_t n = DONATION_ELEMS;
        bench_time_start(b);
        CK(mx_ones(&x, &n, 1, MX_FLOAT32, NULL));
        for (int i = 0; i < DONATION_STEPS; i++) {
            CK(mx_multiply(&x, x, scale, NULL));
            CK(mx_add(&x, x, shift, NULL));
        }
        CK(mx_eval(&x, 1));
        bench_time_stop(b);
        size_t peak = mx_get_peak_memory();
        double used = peak > base ? (double)(peak - base) : 0.0;
        if (used > worst_peak) worst_peak = used;
        float first, last;
        if (read_f32(b, x, 0, &first) || read_f32(b, x, DONATION_ELEMS - 1, &last)) goto done;
        if (!close_to(first, want, 1e-5) || !close_to(last, want, 1e-5))
            FAIL("chain result %g / %g, expected %g", first, last, want);
        mx_array_free(x);
        x = NULL;
    }
    bench_field(b, "steps", DONATION_STEPS);
    bench_field(b, "buffer_bytes", buf_bytes);
    bench_field(b, "peak_bytes", worst_peak);
    bench_field(b, "peak_buffers", worst_peak / buf_bytes);
done:
    mx_array_free(x);
    mx_array_free(scale);
    mx_array_free(shift);
}

/* ---- add_16m / sum_16m: memory-bound ops on 64 MiB arrays ---- */

enum { BIG_ELEMS = 1 << 24 };

static void wl_add_16m(bench *b) {
    mx_array *a = NULL, *c = NULL, *r = NULL;
    int32_t n = BIG_ELEMS;
    CK(mx_ones(&a, &n, 1, MX_FLOAT32, NULL));
    CK(mx_arange(&c, 0, BIG_ELEMS, 1, MX_FLOAT32, NULL));
    CK(mx_eval((mx_array *[]){a, c}, 2));
    for (int rep = -1; rep < b->reps; rep++) {
        bench_time_start(b);
        CK(mx_add(&r, a, c, NULL));
        CK(mx_eval(&r, 1));
        if (rep >= 0) bench_time_stop(b);
        float v0, v1;
        if (read_f32(b, r, 0, &v0) || read_f32(b, r, BIG_ELEMS - 1, &v1)) goto done;
        if (v0 != 1.0f || v1 != (float)BIG_ELEMS)
            FAIL("add gave %g and %g, expected 1 and %d", v0, v1, BIG_ELEMS);
        mx_array_free(r);
        r = NULL;
    }
    bench_field(b, "bytes", 3.0 * sizeof(float) * BIG_ELEMS);
    bench_field(b, "gb_s", 3.0 * sizeof(float) * BIG_ELEMS / bench_median(b) / 1e9);
done:
    mx_array_free(a);
    mx_array_free(c);
    mx_array_free(r);
}

/* The sum check is loose on purpose: summation order is the kernel's
 * choice, and this is a benchmark, not an accuracy test. */
static void wl_sum_16m(bench *b) {
    mx_array *a = NULL, *r = NULL;
    float *host = malloc((size_t)BIG_ELEMS * sizeof *host);
    if (!host) FAIL("out of host memory");
    fill_uniform(host, BIG_ELEMS, 3);
    double want = 0;
    for (size_t i = 0; i < BIG_ELEMS; i++) want += host[i];
    int32_t n = BIG_ELEMS;
    CK(mx_array_from_data(&a, host, &n, 1, MX_FLOAT32));
    CK(mx_eval(&a, 1));
    for (int rep = -1; rep < b->reps; rep++) {
        bench_time_start(b);
        CK(mx_sum(&r, a, false, NULL));
        CK(mx_eval(&r, 1));
        if (rep >= 0) bench_time_stop(b);
        double got;
        CK(mx_array_item_double(&got, r));
        if (!close_to(got, want, 1e-3)) FAIL("sum is %.9g, expected %.9g", got, want);
        mx_array_free(r);
        r = NULL;
    }
    bench_field(b, "bytes", (double)sizeof(float) * BIG_ELEMS);
    bench_field(b, "gb_s", (double)sizeof(float) * BIG_ELEMS / bench_median(b) / 1e9);
done:
    free(host);
    mx_array_free(a);
    mx_array_free(r);
}

/* ---- sort_1m / argsort_1m: one row of 1M random float32 ---- */

enum { SORT_ELEMS = 1 << 20 };

static void sort_workload(bench *b, bool arg) {
    mx_array *a = NULL, *r = NULL;
    float *host = malloc((size_t)SORT_ELEMS * sizeof *host);
    void *got = malloc((size_t)SORT_ELEMS * 4);
    if (!host || !got) FAIL("out of host memory");
    fill_uniform(host, SORT_ELEMS, 5);
    int32_t n = SORT_ELEMS;
    CK(mx_array_from_data(&a, host, &n, 1, MX_FLOAT32));
    CK(mx_eval(&a, 1));
    for (int rep = -1; rep < b->reps; rep++) {
        bench_time_start(b);
        CK(arg ? mx_argsort_axis(&r, a, 0, NULL) : mx_sort_axis(&r, a, 0, NULL));
        CK(mx_eval(&r, 1));
        if (rep >= 0) bench_time_stop(b);
        CK(mx_array_copy_to(r, got, (size_t)SORT_ELEMS * 4));
        const float *v = got;
        const uint32_t *idx = got;
        for (int i = 1; i < SORT_ELEMS; i++) {
            float x = arg ? host[idx[i - 1]] : v[i - 1], y = arg ? host[idx[i]] : v[i];
            if (x > y) FAIL("not sorted at %d", i);
        }
        mx_array_free(r);
        r = NULL;
    }
    bench_field(b, "melem_s", SORT_ELEMS / bench_median(b) / 1e6);
done:
    free(host);
    free(got);
    mx_array_free(a);
    mx_array_free(r);
}

static void wl_sort_1m(bench *b) {
    sort_workload(b, false);
}

static void wl_argsort_1m(bench *b) {
    sort_workload(b, true);
}

/* ---- copy_bandwidth: the machine's memory limit ----
 *
 * Two ways to copy, each over every core: memcpy, and a loop of
 * non-temporal (streaming) stores, which skip reading the destination into
 * the cache first. Which one is faster depends on the CPU and the C library
 * (glibc's memcpy on some AMD parts is well below the streaming loop), so
 * the limit reported is the better of the two, with both figures given. */

enum { COPY_BYTES = 64 << 20, COPY_MEMCPY = 0, COPY_STREAM = 1, COPY_METHODS = 2 };

typedef struct copy_team {
    pthread_barrier_t start, end;
    int nthreads;
    int method;
    bool quit;
    char *dst;
    const char *src;
} copy_team;

typedef struct copy_worker {
    copy_team *team;
    int index;
} copy_worker;

/* dst, src and n are multiples of 64 bytes. */
static void copy_stream(char *dst, const char *src, size_t n) {
#if defined(__SSE2__)
    for (size_t i = 0; i < n; i += 64)
        for (size_t k = 0; k < 64; k += 16)
            _mm_stream_si128((__m128i *)(dst + i + k),
                             _mm_load_si128((const __m128i *)(src + i + k)));
    _mm_sfence();
#else
    memcpy(dst, src, n);
#endif
}

static void copy_range(int method, char *dst, const char *src, size_t n) {
    if (method == COPY_STREAM)
        copy_stream(dst, src, n);
    else
        memcpy(dst, src, n);
}

/* Slices are page multiples so that no two threads write the same page. */
static void copy_slice(copy_team *t, int i) {
    size_t pages = COPY_BYTES / 4096;
    size_t lo = pages * (size_t)i / (size_t)t->nthreads * 4096;
    size_t hi = pages * (size_t)(i + 1) / (size_t)t->nthreads * 4096;
    copy_range(t->method, t->dst + lo, t->src + lo, hi - lo);
}

static void *copy_worker_main(void *arg) {
    copy_worker *w = arg;
    for (;;) {
        pthread_barrier_wait(&w->team->start);
        if (w->team->quit) break;
        copy_slice(w->team, w->index);
        pthread_barrier_wait(&w->team->end);
    }
    return NULL;
}

static void wl_copy_bandwidth(bench *b) {
    int nthreads = num_cpus();
    char *src = aligned_alloc(4096, COPY_BYTES), *dst = aligned_alloc(4096, COPY_BYTES);
    pthread_t *tids = calloc((size_t)nthreads, sizeof *tids);
    copy_worker *workers = calloc((size_t)nthreads, sizeof *workers);
    /* [method][rep] for one thread, then for all threads. */
    double *single = calloc((size_t)b->reps * COPY_METHODS, sizeof *single);
    double *multi = calloc((size_t)b->reps * COPY_METHODS, sizeof *multi);
    copy_team team = {.nthreads = nthreads, .dst = dst, .src = src};
    int started = 0;
    bool barriers = false;
    if (!src || !dst || !tids || !workers || !single || !multi) FAIL("out of host memory");
    memset(src, 0x5a, COPY_BYTES);
    memset(dst, 0, COPY_BYTES); /* fault the pages in before timing */

    for (int m = 0; m < COPY_METHODS; m++)
        for (int rep = -1; rep < b->reps; rep++) {
            double t0 = now_s();
            copy_range(m, dst, src, COPY_BYTES);
            if (rep >= 0) single[m * b->reps + rep] = now_s() - t0;
        }

    if (pthread_barrier_init(&team.start, NULL, (unsigned)nthreads)) FAIL("barrier init failed");
    if (pthread_barrier_init(&team.end, NULL, (unsigned)nthreads)) {
        pthread_barrier_destroy(&team.start);
        FAIL("barrier init failed");
    }
    barriers = true;
    for (int i = 1; i < nthreads; i++) {
        workers[i] = (copy_worker){&team, i};
        if (pthread_create(&tids[i], NULL, copy_worker_main, &workers[i])) break;
        started++;
    }
    if (started != nthreads - 1) {
        /* Too few threads to meet at the barrier: measure nothing. */
        bench_fail(b, "pthread_create failed");
    } else {
        for (int m = 0; m < COPY_METHODS; m++) {
            team.method = m;
            memset(dst, 0, COPY_BYTES);
            for (int rep = -1; rep < b->reps; rep++) {
                double t0 = now_s();
                pthread_barrier_wait(&team.start);
                copy_slice(&team, 0);
                pthread_barrier_wait(&team.end);
                if (rep >= 0) multi[m * b->reps + rep] = now_s() - t0;
            }
            if (memcmp(dst, src, COPY_BYTES) != 0) bench_fail(b, "copy is wrong");
        }
        team.quit = true;
        pthread_barrier_wait(&team.start);
    }
    for (int i = 1; i <= started; i++) pthread_join(tids[i], NULL);
    if (!b->error[0]) {
        double mt[COPY_METHODS], st[COPY_METHODS];
        for (int m = 0; m < COPY_METHODS; m++) {
            mt[m] = median_of(multi + m * b->reps, b->reps);
            st[m] = median_of(single + m * b->reps, b->reps);
        }
        int best = mt[COPY_STREAM] < mt[COPY_MEMCPY] ? COPY_STREAM : COPY_MEMCPY;
        for (int rep = 0; rep < b->reps; rep++) b->times[rep] = multi[best * b->reps + rep];
        b->n = b->reps;
        double bytes = 2.0 * COPY_BYTES;
        bench_field(b, "threads", nthreads);
        bench_field(b, "bytes", bytes);
        bench_field(b, "gb_s", bytes / mt[best] / 1e9);
        bench_field(b, "gb_s_memcpy", bytes / mt[COPY_MEMCPY] / 1e9);
        bench_field(b, "gb_s_stream", bytes / mt[COPY_STREAM] / 1e9);
        bench_field(b, "gb_s_1thread", bytes / fmin(st[COPY_MEMCPY], st[COPY_STREAM]) / 1e9);
        bench_field(b, "gb_s_1thread_memcpy", bytes / st[COPY_MEMCPY] / 1e9);
    }
done:
    if (barriers) {
        pthread_barrier_destroy(&team.start);
        pthread_barrier_destroy(&team.end);
    }
    free(multi);
    free(single);
    free(workers);
    free(tids);
    free(src);
    free(dst);
}

/* ---- sgemm_blas / matmul_2048: dense float32 products ---- */

enum { GEMM_N = 2048 };

static double gemm_flops(void) {
    return 2.0 * GEMM_N * (double)GEMM_N * GEMM_N;
}

/* Row i, column j of A @ B in double, to check one element of a product. */
static double gemm_ref(const float *A, const float *B, int i, int j) {
    double s = 0;
    for (int k = 0; k < GEMM_N; k++)
        s += (double)A[(size_t)i * GEMM_N + k] * B[(size_t)k * GEMM_N + j];
    return s;
}

static void wl_sgemm_blas(bench *b) {
    size_t nn = (size_t)GEMM_N * GEMM_N;
    float *A = malloc(nn * sizeof *A), *B = malloc(nn * sizeof *B), *C = malloc(nn * sizeof *C);
    int prev_threads = openblas_get_num_threads();
    int threads = num_cpus();
    if (!A || !B || !C) FAIL("out of host memory");
    fill_uniform(A, nn, 1);
    fill_uniform(B, nn, 2);
    /* The library may cap OpenBLAS to one thread for its own pool; the
     * machine's limit is OpenBLAS on every core. */
    openblas_set_num_threads(threads);
    for (int rep = -1; rep < b->reps; rep++) {
        bench_time_start(b);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, GEMM_N, GEMM_N, GEMM_N, 1.0f, A,
                    GEMM_N, B, GEMM_N, 0.0f, C, GEMM_N);
        if (rep >= 0) bench_time_stop(b);
    }
    openblas_set_num_threads(prev_threads);
    if (!close_to(C[5 * GEMM_N + 7], gemm_ref(A, B, 5, 7), 1e-4))
        FAIL("sgemm gave %g, expected %g", C[5 * GEMM_N + 7], gemm_ref(A, B, 5, 7));
    bench_field(b, "n", GEMM_N);
    bench_field(b, "threads", threads);
    bench_field(b, "gflop_s", gemm_flops() / bench_median(b) / 1e9);
done:
    free(A);
    free(B);
    free(C);
}

static void wl_matmul_2048(bench *b) {
    size_t nn = (size_t)GEMM_N * GEMM_N;
    float *A = malloc(nn * sizeof *A), *B = malloc(nn * sizeof *B);
    mx_array *a = NULL, *c = NULL, *r = NULL;
    int32_t shape[2] = {GEMM_N, GEMM_N};
    if (!A || !B) FAIL("out of host memory");
    fill_uniform(A, nn, 1);
    fill_uniform(B, nn, 2);
    CK(mx_array_from_data(&a, A, shape, 2, MX_FLOAT32));
    CK(mx_array_from_data(&c, B, shape, 2, MX_FLOAT32));
    CK(mx_eval((mx_array *[]){a, c}, 2));
    for (int rep = -1; rep < b->reps; rep++) {
        bench_time_start(b);
        CK(mx_matmul(&r, a, c, NULL));
        CK(mx_eval(&r, 1));
        if (rep >= 0) bench_time_stop(b);
        float v;
        if (read_f32(b, r, 5 * GEMM_N + 7, &v)) goto done;
        if (!close_to(v, gemm_ref(A, B, 5, 7), 1e-4))
            FAIL("matmul gave %g, expected %g", v, gemm_ref(A, B, 5, 7));
        mx_array_free(r);
        r = NULL;
    }
    bench_field(b, "n", GEMM_N);
    bench_field(b, "gflop_s", gemm_flops() / bench_median(b) / 1e9);
done:
    free(A);
    free(B);
    mx_array_free(a);
    mx_array_free(c);
    mx_array_free(r);
}

/* ---- op workloads of the op library: one generic runner, a row each ----
 * Inputs are uniform in [0.1, 1.1) (valid for every op here); an op's
 * result is checked only for its shape, the tests check values. */

typedef enum { OP_UNARY, OP_BINARY, OP_WHERE, OP_REDUCE } op_kind;

typedef struct op_workload {
    const char *name;
    op_kind kind;
    int (*unary)(mx_array **, const mx_array *, const mx_stream *);
    int (*binary)(mx_array **, const mx_array *, const mx_array *, const mx_stream *);
    int (*reduce)(mx_array **, const mx_array *, int, bool, const mx_stream *);
    int axis;         /* reductions: 1 = along rows, 0 = along columns */
    bool transposed;  /* first operand is a transposed view */
    double bytes_per; /* bytes moved per input element (read + written) */
} op_workload;

enum { OP_SIDE = 4096 };

static void run_op_workload(bench *b, const op_workload *w) {
    float *host = malloc((size_t)OP_SIDE * OP_SIDE * sizeof *host);
    mx_array *x = NULL, *y = NULL, *c = NULL, *xt = NULL, *r = NULL, *half = NULL;
    if (!host) FAIL("out of host memory");
    fill_uniform(host, (size_t)OP_SIDE * OP_SIDE, 7);
    for (size_t i = 0; i < (size_t)OP_SIDE * OP_SIDE; i++) host[i] += 0.1f;
    int32_t shape[2] = {OP_SIDE, OP_SIDE};
    CK(mx_array_from_data(&x, host, shape, 2, MX_FLOAT32));
    fill_uniform(host, (size_t)OP_SIDE * OP_SIDE, 8);
    CK(mx_array_from_data(&y, host, shape, 2, MX_FLOAT32));
    CK(mx_array_from_float(&half, 0.5, MX_FLOAT32));
    CK(mx_greater(&c, y, half, NULL));
    CK(mx_eval((mx_array *[]){x, y, c}, 3));
    if (w->transposed) {
        CK(mx_transpose(&xt, x, NULL, 0, NULL));
    } else {
        xt = mx_array_retain(x);
    }
    for (int rep = -1; rep < b->reps; rep++) {
        bench_time_start(b);
        switch (w->kind) {
        case OP_UNARY:
            CK(w->unary(&r, xt, NULL));
            break;
        case OP_BINARY:
            CK(w->binary(&r, xt, y, NULL));
            break;
        case OP_WHERE:
            CK(mx_where(&r, c, xt, y, NULL));
            break;
        case OP_REDUCE:
            CK(w->reduce(&r, xt, w->axis, false, NULL));
            break;
        }
        CK(mx_eval(&r, 1));
        if (rep >= 0) bench_time_stop(b);
        size_t want = w->kind == OP_REDUCE ? OP_SIDE : (size_t)OP_SIDE * OP_SIDE;
        if (mx_array_size(r) != want) FAIL("result has %zu elements", mx_array_size(r));
        mx_array_free(r);
        r = NULL;
    }
    bench_field(b, "gb_s", w->bytes_per * OP_SIDE * OP_SIDE / bench_median(b) / 1e9);
    bench_field(b, "melem_s", (double)OP_SIDE * OP_SIDE / bench_median(b) / 1e6);
done:
    free(host);
    mx_array *all[] = {x, y, c, xt, r, half};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
}

/* A cast as a unary op: float32 to float16 reads 4 and writes 2 bytes. */
static int astype_f16(mx_array **out, const mx_array *x, const mx_stream *s) {
    return mx_astype(out, x, MX_FLOAT16, s);
}

#define UNARY_WL(n, f)                                                                             \
    { n, OP_UNARY, f, NULL, NULL, 0, false, 8 }
#define BINARY_WL(n, f, t)                                                                         \
    { n, OP_BINARY, NULL, f, NULL, 0, t, 12 }
#define REDUCE_WL(n, f, ax)                                                                        \
    { n, OP_REDUCE, NULL, NULL, f, ax, false, 4 }

static const op_workload op_workloads[] = {
    UNARY_WL("exp_16m", mx_exp),
    UNARY_WL("tanh_16m", mx_tanh),
    UNARY_WL("sigmoid_16m", mx_sigmoid),
    UNARY_WL("erf_16m", mx_erf),
    UNARY_WL("log_16m", mx_log),
    BINARY_WL("multiply_16m", mx_multiply, false),
    BINARY_WL("maximum_16m", mx_maximum, false),
    BINARY_WL("add_transposed_16m", mx_add, true),
    {"where_16m", OP_WHERE, NULL, NULL, NULL, 0, false, 13},
    REDUCE_WL("sum_rows_4096", mx_sum_axis, 1),
    REDUCE_WL("sum_cols_4096", mx_sum_axis, 0),
    REDUCE_WL("max_rows_4096", mx_max_axis, 1),
    REDUCE_WL("max_cols_4096", mx_max_axis, 0),
    {"astype_16m", OP_UNARY, astype_f16, NULL, NULL, 0, false, 6},
};

#define OP_WL(i)                                                                                   \
    static void wl_op_##i(bench *b) {                                                              \
        run_op_workload(b, &op_workloads[i]);                                                      \
    }
OP_WL(0)
OP_WL(1)
OP_WL(2)
OP_WL(3)
OP_WL(4)
OP_WL(5)
OP_WL(6)
OP_WL(7)
OP_WL(8)
OP_WL(9)
OP_WL(10)
OP_WL(11)
OP_WL(12)
OP_WL(13)

/* ---- the table ---- */

static const workload workloads[] = {
    {"graph_chain", 5, wl_graph_chain},
    {"donation_memory", 3, wl_donation_memory},
    {"add_16m", 20, wl_add_16m},
    {"copy_bandwidth", 20, wl_copy_bandwidth},
    {"sgemm_blas", 5, wl_sgemm_blas},
    {"matmul_2048", 5, wl_matmul_2048},
    {"sum_16m", 20, wl_sum_16m},
    {"sort_1m", 15, wl_sort_1m},
    {"argsort_1m", 15, wl_argsort_1m},
    {"exp_16m", 10, wl_op_0},
    {"tanh_16m", 10, wl_op_1},
    {"sigmoid_16m", 10, wl_op_2},
    {"erf_16m", 10, wl_op_3},
    {"log_16m", 10, wl_op_4},
    {"multiply_16m", 10, wl_op_5},
    {"maximum_16m", 10, wl_op_6},
    {"add_transposed_16m", 10, wl_op_7},
    {"where_16m", 10, wl_op_8},
    {"sum_rows_4096", 10, wl_op_9},
    {"sum_cols_4096", 10, wl_op_10},
    {"max_rows_4096", 10, wl_op_11},
    {"max_cols_4096", 10, wl_op_12},
    {"astype_16m", 10, wl_op_13},
};
enum { NUM_WORKLOADS = sizeof workloads / sizeof *workloads };

/* ---- output ---- */

static void print_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

/* JSON has no NaN or infinity: write null instead. */
static void print_json_number(double v) {
    if (isfinite(v))
        printf("%.9g", v);
    else
        printf("null");
}

static void print_result(const workload *w, const bench *b) {
    printf("{\"workload\": ");
    print_json_string(w->name);
    printf(", \"impl\": \"cmlx\", \"reps\": %d, \"times_s\": [", b->n);
    for (int i = 0; i < b->n; i++) {
        if (i) printf(", ");
        print_json_number(b->times[i]);
    }
    printf("], \"median_s\": ");
    print_json_number(bench_median(b));
    for (int i = 0; i < b->nfields; i++) {
        printf(", ");
        print_json_string(b->field_name[i]);
        printf(": ");
        print_json_number(b->field_value[i]);
    }
    if (b->error[0]) {
        printf(", \"error\": ");
        print_json_string(b->error);
    }
    printf("}\n");
    fflush(stdout);
}

static const workload *find_workload(const char *name) {
    for (int i = 0; i < NUM_WORKLOADS; i++)
        if (strcmp(workloads[i].name, name) == 0) return &workloads[i];
    return NULL;
}

static void usage(FILE *f) {
    fprintf(f, "usage: bench_cmlx [--reps N] [--list] [workload...]\nworkloads:");
    for (int i = 0; i < NUM_WORKLOADS; i++) fprintf(f, " %s", workloads[i].name);
    fprintf(f, "\n");
}

int main(int argc, char **argv) {
    int reps = 0; /* 0: each workload's default */
    const workload *chosen[NUM_WORKLOADS * 4];
    int nchosen = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 100000) {
                fprintf(stderr, "bench_cmlx: --reps wants a positive integer\n");
                return 2;
            }
            reps = (int)v;
        } else if (strcmp(argv[i], "--list") == 0) {
            for (int k = 0; k < NUM_WORKLOADS; k++) printf("%s\n", workloads[k].name);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            const workload *w = find_workload(argv[i]);
            if (!w) {
                fprintf(stderr, "bench_cmlx: unknown workload or option '%s'\n", argv[i]);
                usage(stderr);
                return 2;
            }
            if (nchosen < (int)(sizeof chosen / sizeof *chosen)) chosen[nchosen++] = w;
        }
    }
    if (nchosen == 0)
        for (int i = 0; i < NUM_WORKLOADS; i++) chosen[nchosen++] = &workloads[i];

    int failures = 0;
    for (int i = 0; i < nchosen; i++) {
        bench b = {.reps = reps ? reps : chosen[i]->default_reps};
        b.times = calloc((size_t)b.reps, sizeof *b.times);
        if (!b.times) {
            fprintf(stderr, "bench_cmlx: out of memory\n");
            return 1;
        }
        chosen[i]->run(&b);
        print_result(chosen[i], &b);
        failures += b.error[0] != 0;
        free(b.times);
    }
    return failures ? 1 : 0;
}
