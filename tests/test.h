/*
 * A minimal test harness: each test file defines TEST functions and lists
 * them in main with RUN. Failures print file:line and the expression, the
 * run continues, and the exit status is the number of failed tests (capped).
 */
#ifndef CMLX_TEST_H
#define CMLX_TEST_H

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cmlx.h"

static int test_failures_in_current;
static int tests_passed, tests_failed;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);             \
            test_failures_in_current++;                                                            \
        }                                                                                          \
    } while (0)

/* Expects a cmlx call to succeed; prints the library's message if not. */
#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        int check_rc_ = (expr);                                                                    \
        if (check_rc_ != MX_OK) {                                                                  \
            fprintf(stderr, "  %s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #expr, check_rc_, \
                    mx_last_error());                                                              \
            test_failures_in_current++;                                                            \
        }                                                                                          \
    } while (0)

/* Expects a cmlx call to fail with `code` and a non-empty message. */
#define CHECK_ERR(expr, code)                                                                      \
    do {                                                                                           \
        mx_clear_error();                                                                          \
        int check_rc_ = (expr);                                                                    \
        if (check_rc_ != (code) || mx_last_error()[0] == '\0') {                                   \
            fprintf(stderr, "  %s:%d: %s returned %d (wanted %d), message \"%s\"\n", __FILE__,     \
                    __LINE__, #expr, check_rc_, (int)(code), mx_last_error());                     \
            test_failures_in_current++;                                                            \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double check_a_ = (double)(a), check_b_ = (double)(b);                                     \
        if (!(fabs(check_a_ - check_b_) <= (tol))) {                                               \
            fprintf(stderr, "  %s:%d: %s = %.17g, %s = %.17g\n", __FILE__, __LINE__, #a, check_a_, \
                    #b, check_b_);                                                                 \
            test_failures_in_current++;                                                            \
        }                                                                                          \
    } while (0)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        test_failures_in_current = 0;                                                              \
        name();                                                                                    \
        if (test_failures_in_current) {                                                            \
            tests_failed++;                                                                        \
            fprintf(stderr, "FAIL %s\n", #name);                                                   \
        } else {                                                                                   \
            tests_passed++;                                                                        \
        }                                                                                          \
    } while (0)

#define TEST_SUMMARY()                                                                             \
    (printf("%d passed, %d failed\n", tests_passed, tests_failed),                                 \
     tests_failed > 100 ? 100 : tests_failed)

/* Small constructors and readers shared by the tests. */
/* The whole file at path (NULL on failure, recorded as a failed check),
 * with 8 spare bytes after its len bytes so a test may grow it a little.
 * The caller frees it. */
static inline unsigned char *test_read_file(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    CHECK(fp != NULL);
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 8);
    CHECK(b && fread(b, 1, (size_t)n, fp) == (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return b;
}

static inline mx_array *test_vec_f32(const float *v, int32_t n) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, v, &n, 1, MX_FLOAT32));
    return a;
}

static inline mx_array *test_scalar_f32(float v) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_float(&a, v, MX_FLOAT32));
    return a;
}

/* Evaluates a and copies its n float32 values to dst. */
static inline void test_read_f32(mx_array *a, float *dst, size_t n) {
    CHECK_OK(mx_eval(&a, 1));
    CHECK(mx_array_size(a) == n);
    CHECK_OK(mx_array_copy_to(a, dst, n * sizeof(float)));
}

/* Row-major index <-> coordinates over a shape. */
static inline void test_unravel(int64_t k, const int32_t *shape, int nd, int32_t *idx) {
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = (int32_t)(k % shape[d]);
        k /= shape[d];
    }
}

static inline int64_t test_ravel(const int32_t *idx, const int32_t *shape, int nd) {
    int64_t k = 0;
    for (int d = 0; d < nd; d++) k = k * shape[d] + idx[d];
    return k;
}

/* An evaluated array of dtype dt holding n values given in double (real
 * and, for complex64, imaginary parts), of the given shape. */
static inline mx_array *test_array_of(const double *re, const double *im, int64_t n,
                                      const int32_t *shape, int nd, mx_dtype dt) {
    mx_array *a = NULL, *c = NULL;
    if (dt == MX_COMPLEX64) {
        float *f = malloc(sizeof(float) * 2 * (size_t)(n ? n : 1));
        for (int64_t i = 0; i < n; i++) {
            f[2 * i] = (float)re[i];
            f[2 * i + 1] = (float)im[i];
        }
        CHECK_OK(mx_array_from_data(&a, f, shape, nd, MX_COMPLEX64));
        free(f);
        return a;
    }
    CHECK_OK(mx_array_from_data(&a, re, shape, nd, MX_FLOAT64));
    CHECK_OK(mx_astype(&c, a, dt, NULL));
    CHECK_OK(mx_eval(&c, 1));
    mx_array_free(a);
    return c;
}

#endif
