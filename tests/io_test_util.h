/* Helpers shared by the file-format tests: fixture paths, a scratch
 * directory, whole-file reads and writes. */
#ifndef CMLX_IO_TEST_UTIL_H
#define CMLX_IO_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

#ifndef CMLX_TEST_DATA
#define CMLX_TEST_DATA "tests/data"
#endif

static char io_scratch_dir[256];

static inline const char *io_data(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", CMLX_TEST_DATA, name);
    return buf[k];
}

static inline const char *io_tmp(const char *name) {
    static char buf[4][512];
    static int k;
    if (!io_scratch_dir[0]) {
        snprintf(io_scratch_dir, sizeof io_scratch_dir, "/tmp/cmlx_io_XXXXXX");
        if (!mkdtemp(io_scratch_dir)) abort();
    }
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", io_scratch_dir, name);
    return buf[k];
}

static inline void io_cleanup(void) {
    if (!io_scratch_dir[0]) return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", io_scratch_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", io_scratch_dir);
}

/* The whole file in a malloc'd buffer (NULL if unreadable). */
static inline unsigned char *io_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc((size_t)n + 1);
    if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return d;
}

static inline void io_write_file(const char *path, const void *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n && fwrite(d, 1, n, f) != n) abort();
    fclose(f);
}

/* Evaluates a and compares its row-major bytes with want. */
static inline int io_bytes_equal(mx_array *a, const void *want, size_t n) {
    if (mx_eval(&a, 1) != MX_OK) return 0;
    if (mx_array_nbytes(a) != n) return 0;
    unsigned char *got = malloc(n ? n : 1);
    int ok = mx_array_copy_to(a, got, n) == MX_OK && memcmp(got, want, n) == 0;
    free(got);
    return ok;
}

#endif
