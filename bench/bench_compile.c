/*
 * compile: chains of ten elementwise ops (cheap ones, and one with tanh and
 * sin) on 16M float32 values run eagerly
 * and compiled (fused into one tile-by-tile kernel), against a plain
 * multi-threaded memcpy moving the same bytes (two inputs read, one output
 * written), and the cost of a compiled call that hits the cache.
 *
 *   build/release/bench_compile [reps]
 *
 * Eager and compiled calls alternate; medians and minimums are printed with
 * the page faults each call took (0 once the allocator's cache is warm), and
 * the CPU time of both (steadier than wall time on a busy machine).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cmlx.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the whole process (all threads): on a busy machine it counts
 * the work a call did, not the time it waited for a core. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

static double minimum(const double *v, int n) {
    double m = v[0];
    for (int i = 1; i < n; i++) m = v[i] < m ? v[i] : m;
    return m;
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        rc = (x);                                                                                  \
        if (rc) goto done;                                                                         \
    } while (0)

/* The same ten ops as the tests' chain. */
static int f_chain10(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *x = in->data[0], *y = in->data[1];
    mx_array *v[10] = {0}, *k = NULL;
    int rc = MX_OK;
    TRY(mx_array_from_float(&k, 0.75, MX_FLOAT32));
    TRY(mx_multiply(&v[0], x, k, NULL));
    TRY(mx_add(&v[1], v[0], y, NULL));
    TRY(mx_tanh(&v[2], v[1], NULL));
    TRY(mx_subtract(&v[3], v[2], x, NULL));
    TRY(mx_abs(&v[4], v[3], NULL));
    TRY(mx_sqrt(&v[5], v[4], NULL));
    TRY(mx_multiply(&v[6], v[5], y, NULL));
    TRY(mx_maximum(&v[7], v[6], v[3], NULL));
    TRY(mx_sin(&v[8], v[7], NULL));
    TRY(mx_add(&v[9], v[8], v[1], NULL));
    rc = mx_vec_push(o, v[9]);
    v[9] = NULL;
done:
    for (int i = 0; i < 10; i++) mx_array_free(v[i]);
    mx_array_free(k);
    return rc;
}

/* Ten cheap ops: memory-bound eagerly, where fusion pays most. */
static int f_cheap10(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *x = in->data[0], *y = in->data[1];
    mx_array *v[10] = {0}, *k = NULL;
    int rc = MX_OK;
    TRY(mx_array_from_float(&k, 0.75, MX_FLOAT32));
    TRY(mx_multiply(&v[0], x, k, NULL));
    TRY(mx_add(&v[1], v[0], y, NULL));
    TRY(mx_subtract(&v[2], v[1], x, NULL));
    TRY(mx_abs(&v[3], v[2], NULL));
    TRY(mx_multiply(&v[4], v[3], y, NULL));
    TRY(mx_maximum(&v[5], v[4], v[2], NULL));
    TRY(mx_negative(&v[6], v[5], NULL));
    TRY(mx_add(&v[7], v[6], v[1], NULL));
    TRY(mx_square(&v[8], v[7], NULL));
    TRY(mx_minimum(&v[9], v[8], y, NULL));
    rc = mx_vec_push(o, v[9]);
    v[9] = NULL;
done:
    for (int i = 0; i < 10; i++) mx_array_free(v[i]);
    mx_array_free(k);
    return rc;
}

typedef struct slice {
    char *dst;
    const char *src;
    size_t n;
} slice;

static void *copy_slice(void *p) {
    slice *s = p;
    memcpy(s->dst, s->src, s->n);
    return NULL;
}

/* Seconds to copy n bytes over every core. */
static double copy_time(char *dst, const char *src, size_t n) {
    int nt = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nt < 1) nt = 1;
    if (nt > 64) nt = 64;
    pthread_t tid[64];
    slice s[64];
    size_t part = (n / (size_t)nt) & ~(size_t)63;
    double t0 = now_s();
    for (int i = 0; i < nt; i++) {
        size_t off = part * (size_t)i, len = i == nt - 1 ? n - off : part;
        s[i] = (slice){dst + off, src + off, len};
        pthread_create(&tid[i], NULL, copy_slice, &s[i]);
    }
    for (int i = 0; i < nt; i++) pthread_join(tid[i], NULL);
    return now_s() - t0;
}

static long minor_faults(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* Seconds of one call and its eval; the result is freed before returning,
 * so eager and compiled calls alike find their blocks in the allocator's
 * cache. *faults gets the page faults the call took, *cpu its CPU time. */
static double run_once(mx_closure *f, const mx_vec *in, long *faults, double *cpu) {
    mx_vec out = {0};
    long f0 = minor_faults();
    double c0 = cpu_s();
    double t0 = now_s();
    if (mx_closure_apply(f, &out, in) || mx_eval(out.data, (size_t)out.size)) {
        fprintf(stderr, "error: %s\n", mx_last_error());
        exit(1);
    }
    double t = now_s() - t0;
    *cpu = cpu_s() - c0;
    *faults = minor_faults() - f0;
    mx_vec_clear(&out);
    return t;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1) reps = 1;
    const int32_t n = 16 << 20;
    float *h = malloc(sizeof(float) * (size_t)n);
    for (int32_t i = 0; i < n; i++) h[i] = (float)((i % 1000) - 500) / 250.0f;
    mx_vec in = {0};
    mx_array *x = NULL, *y = NULL;
    if (mx_array_from_data(&x, h, &n, 1, MX_FLOAT32) ||
        mx_array_from_data(&y, h, &n, 1, MX_FLOAT32))
        return 1;
    mx_vec_push(&in, x);
    mx_vec_push(&in, y);
    size_t bytes = (size_t)n * 4 * 3; /* x and y read, the result written */
    char *src = malloc(bytes), *dst = malloc(bytes);
    memset(src, 1, bytes);
    memset(dst, 0, bytes);
    size_t half = bytes / 2; /* a copy moves twice its size: read and write */
    double *te = calloc((size_t)reps, sizeof(double)), *tc = calloc((size_t)reps, sizeof(double)),
           *tm = calloc((size_t)reps, sizeof(double));
    double *ce = calloc((size_t)reps, sizeof(double)), *cc = calloc((size_t)reps, sizeof(double));
    copy_time(dst, src, half);
    double *cm = calloc((size_t)reps, sizeof(double));
    for (int r = 0; r < reps; r++) {
        double c0 = cpu_s();
        tm[r] = copy_time(dst, src, half);
        cm[r] = cpu_s() - c0;
    }
    double ml = minimum(tm, reps), mm = median(tm, reps), cml = minimum(cm, reps);
    printf("copy of the same bytes   median %8.2f ms  min %8.2f ms  %6.1f GB/s\n", mm * 1e3,
           ml * 1e3, bytes / ml / 1e9);
    mx_closure *f = NULL, *cf = NULL;
    mx_closure_fn fns[2] = {f_cheap10, f_chain10};
    const char *names[2] = {"cheap10_16m", "chain10_16m"};
    for (int w = 0; w < 2; w++) {
        mx_closure_new(&f, fns[w], NULL, NULL);
        mx_compile(&cf, f, NULL);
        long fe = 0, fc = 0, fl;
        double cpu;
        run_once(f, &in, &fl, &cpu);
        run_once(cf, &in, &fl, &cpu);
        /* alternated, so both see the same load on a shared machine */
        for (int r = 0; r < reps; r++) {
            te[r] = run_once(f, &in, &fl, &ce[r]);
            fe += fl;
            tc[r] = run_once(cf, &in, &fl, &cc[r]);
            fc += fl;
        }
        double le = minimum(te, reps), lc = minimum(tc, reps);
        double me = median(te, reps), mc = median(tc, reps);
        printf("%s eager    median %8.2f ms  min %8.2f ms  %6.1f GB/s  (%.1f page faults a call)\n",
               names[w], me * 1e3, le * 1e3, bytes / le / 1e9, (double)fe / reps);
        printf("%s compiled median %8.2f ms  min %8.2f ms  %6.1f GB/s  (%.1f page faults a call)\n",
               names[w], mc * 1e3, lc * 1e3, bytes / lc / 1e9, (double)fc / reps);
        printf("%s compiled/eager: %.2fx by medians, %.2fx by minimums; "
               "%.0f%% of copy bandwidth by medians, %.0f%% by minimums\n",
               names[w], me / mc, le / lc, 100.0 * mm / mc, 100.0 * ml / lc);
        double cle = minimum(ce, reps), clc = minimum(cc, reps);
        printf("%s CPU time (all threads) eager median %.2f ms min %.2f ms, compiled median %.2f "
               "ms min %.2f ms: %.2fx by medians, %.2fx by minimums; the copy's minimum is %.0f%% "
               "of the compiled one\n",
               names[w], median(ce, reps) * 1e3, cle * 1e3, median(cc, reps) * 1e3, clc * 1e3,
               median(ce, reps) / median(cc, reps), cle / clc, 100.0 * cml / clc);
        if (w == 0) {
            mx_closure_free(cf);
            mx_closure_free(f);
            cf = f = NULL;
        }
    }

    /* cache hits: building the graph from the tape, nothing evaluated */
    mx_vec small = {0}, out = {0};
    int32_t four = 4;
    mx_array *a = NULL, *b = NULL;
    mx_array_from_data(&a, h, &four, 1, MX_FLOAT32);
    mx_array_from_data(&b, h, &four, 1, MX_FLOAT32);
    mx_vec_push(&small, a);
    mx_vec_push(&small, b);
    mx_closure_apply(cf, &out, &small);
    int calls = 20000;
    double t0 = now_s();
    for (int i = 0; i < calls; i++) mx_closure_apply(cf, &out, &small);
    double hit = (now_s() - t0) / calls;
    double t1 = now_s();
    for (int i = 0; i < calls; i++) mx_closure_apply(f, &out, &small);
    double trace = (now_s() - t1) / calls;
    printf("cache hit %.2f us per call (the function itself building its graph: %.2f us)\n",
           hit * 1e6, trace * 1e6);
    mx_vec_clear(&out);
    mx_vec_clear(&small);
    mx_vec_clear(&in);
    mx_closure_free(cf);
    mx_closure_free(f);
    free(h);
    free(src);
    free(dst);
    free(te);
    free(tc);
    free(tm);
    free(ce);
    free(cm);
    free(cc);
    return 0;
}
