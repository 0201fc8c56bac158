/*
 * A tour of cmlx from C: build a lazy graph, evaluate it, read results back,
 * and time the engine on a few workloads. Run with no arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmlx.h"

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        if ((expr) != MX_OK) {                                                                     \
            fprintf(stderr, "%s failed: %s\n", #expr, mx_last_error());                            \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void print_matrix(const char *name, mx_array *a) {
    TRY(mx_eval(&a, 1));
    int rows = mx_array_dim(a, 0), cols = mx_array_dim(a, 1);
    float *v = malloc(mx_array_nbytes(a));
    TRY(mx_array_copy_to(a, v, mx_array_nbytes(a)));
    printf("%s =\n", name);
    for (int i = 0; i < rows; i++) {
        printf("  [");
        for (int j = 0; j < cols; j++) printf(" %8.3f", v[i * cols + j]);
        printf(" ]\n");
    }
    free(v);
}

int main(void) {
    printf("cmlx %s on %s\n", mx_version(), mx_default_device().type == MX_GPU ? "gpu" : "cpu");

    /* 1. A small graph: nothing runs until eval. */
    mx_array *x = NULL, *y = NULL, *w = NULL, *z = NULL, *t = NULL, *s = NULL;
    TRY(mx_arange(&x, 0, 6, 1, MX_FLOAT32, NULL));
    int32_t shape[2] = {2, 3};
    TRY(mx_reshape(&x, x, shape, 2, NULL));
    TRY(mx_ones(&w, shape, 2, MX_FLOAT32, NULL));
    TRY(mx_add(&y, x, w, NULL));             /* x + 1 */
    TRY(mx_transpose(&t, y, NULL, 0, NULL)); /* 3 x 2 view */
    TRY(mx_matmul(&z, y, t, NULL));          /* 2 x 2 */
    TRY(mx_sum_axes(&s, y, (int[]){0}, 1, false, NULL));
    printf("z is %s before eval\n",
           mx_array_get_status(z) == MX_ARRAY_UNSCHEDULED ? "unevaluated" : "evaluated");
    print_matrix("y = arange(6).reshape(2, 3) + 1", y);
    print_matrix("z = y @ y.T", z);
    float sums[3];
    TRY(mx_eval(&s, 1));
    TRY(mx_array_copy_to(s, sums, sizeof sums));
    printf("y.sum(axis=0) = [%g, %g, %g]\n", sums[0], sums[1], sums[2]);

    /* 2. Graph overhead: a chain of 100,000 scalar adds. */
    const int chain = 100000;
    mx_array *acc = NULL, *one = NULL;
    TRY(mx_array_from_float(&acc, 0, MX_FLOAT32));
    TRY(mx_array_from_float(&one, 1, MX_FLOAT32));
    double t0 = now();
    for (int i = 0; i < chain; i++) TRY(mx_add(&acc, acc, one, NULL));
    double total;
    TRY(mx_array_item_double(&total, acc));
    double dt = now() - t0;
    printf("chain of %d scalar adds: %.3f s, %.0f ns per node, result %g\n", chain, dt,
           dt / chain * 1e9, total);

    /* 3. Bandwidth: add two 16M-element float32 arrays. */
    int32_t n = 1 << 24;
    mx_array *a = NULL, *b = NULL, *c = NULL;
    TRY(mx_ones(&a, &n, 1, MX_FLOAT32, NULL));
    TRY(mx_arange(&b, 0, n, 1, MX_FLOAT32, NULL));
    TRY(mx_eval((mx_array *[]){a, b}, 2));
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        t0 = now();
        TRY(mx_add(&c, a, b, NULL));
        TRY(mx_eval(&c, 1));
        dt = now() - t0;
        if (dt < best) best = dt;
    }
    printf("add of two 16M float32 arrays: %.2f ms, %.1f GB/s (read + written)\n", best * 1e3,
           3.0 * 4 * n / best / 1e9);

    /* 4. Matmul through BLAS. */
    int32_t mshape[2] = {1024, 1024};
    mx_array *p = NULL, *q = NULL, *r = NULL;
    TRY(mx_ones(&p, mshape, 2, MX_FLOAT32, NULL));
    TRY(mx_ones(&q, mshape, 2, MX_FLOAT32, NULL));
    TRY(mx_eval((mx_array *[]){p, q}, 2));
    best = 1e9;
    for (int k = 0; k < 3; k++) {
        t0 = now();
        TRY(mx_matmul(&r, p, q, NULL));
        TRY(mx_eval(&r, 1));
        dt = now() - t0;
        if (dt < best) best = dt;
    }
    printf("matmul 1024^3 float32: %.2f ms, %.1f GFLOP/s\n", best * 1e3,
           2.0 * 1024 * 1024 * 1024 / best / 1e9);
    printf("memory: active %.1f MB, peak %.1f MB, cache %.1f MB\n", mx_get_active_memory() / 1e6,
           mx_get_peak_memory() / 1e6, mx_get_cache_memory() / 1e6);

    mx_array *all[] = {x, y, w, z, t, s, acc, one, a, b, c, p, q, r};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) mx_array_free(all[i]);
    return 0;
}
