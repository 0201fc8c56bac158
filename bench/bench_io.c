/*
 * File-format throughput, next to the machine's own limits measured in the
 * same run:
 *   - safetensors save of SIZE MB (8 float32 tensors) vs write() of the
 *     same bytes to a file (page-cache write bandwidth);
 *   - safetensors load + eval of that file (page-cache hot) vs pread() of
 *     the same bytes into a buffer, warm and freshly allocated;
 *   - GGUF load + eval of every tensor of SmolLM2-135M Q4_1 when cached
 *     (scripts/fetch_smollm2.sh).
 *
 *   bench_io [--mb SIZE] [--reps N] [--dir DIR]
 * Defaults: 256 MB, 3 repetitions (median reported), files in /tmp.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmlx.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    return t[n / 2];
}

static void die(const char *what) {
    fprintf(stderr, "bench_io: %s: %s\n", what, mx_last_error());
    exit(1);
}

static void write_file(const char *path, const void *d, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("open");
    const char *p = d;
    while (n) {
        ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (w <= 0) die("write");
        p += w, n -= (size_t)w;
    }
    close(fd);
}

static void read_file(const char *path, void *d, size_t n, size_t off) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) die("open");
    char *p = d;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r <= 0) die("read");
        p += r, n -= (size_t)r, off += (size_t)r;
    }
    close(fd);
}

int main(int argc, char **argv) {
    size_t mb = 256;
    int reps = 3;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mb") && i + 1 < argc)
            mb = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
    }
    if (reps < 1) reps = 1;
    double *t = malloc(sizeof(double) * (size_t)reps);
    char st_path[512], raw_path[512];
    snprintf(st_path, sizeof st_path, "%s/cmlx_bench_io_%d.safetensors", dir, (int)getpid());
    snprintf(raw_path, sizeof raw_path, "%s/cmlx_bench_io_%d.raw", dir, (int)getpid());

    /* 8 float32 tensors of SIZE/8 MB each. */
    const int nt = 8;
    int32_t per = (int32_t)(mb * (1u << 20) / 4 / (size_t)nt);
    size_t bytes = (size_t)per * 4 * (size_t)nt;
    mx_array_map *m = NULL;
    mx_array_map_new(&m);
    for (int i = 0; i < nt; i++) {
        mx_array *a = NULL;
        if (mx_arange(&a, i, i + per, 1, MX_FLOAT32, NULL) || mx_eval(&a, 1)) die("arange");
        char name[32];
        snprintf(name, sizeof name, "tensor_%d", i);
        mx_array_map_set(m, name, a);
        mx_array_free(a);
    }
    char *buf = malloc(bytes);
    memset(buf, 1, bytes);

    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        write_file(raw_path, buf, bytes);
        t[r] = now_s() - t0;
    }
    double write_bw = (double)bytes / median(t, reps) / 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        if (mx_save_safetensors(st_path, m, NULL)) die("save");
        t[r] = now_s() - t0;
    }
    double save_bw = (double)bytes / median(t, reps) / 1e9;
    printf("safetensors save  %zu MB: %.2f GB/s   write(): %.2f GB/s   ratio %.0f%%\n", mb, save_bw,
           write_bw, 100 * save_bw / write_bw);

    struct stat sst;
    stat(st_path, &sst);
    size_t hdr = (size_t)sst.st_size - bytes;
    read_file(st_path, buf, bytes, hdr); /* page cache hot */
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        read_file(st_path, buf, bytes, hdr);
        t[r] = now_s() - t0;
    }
    double read_bw = (double)bytes / median(t, reps) / 1e9;
    for (int r = 0; r < reps; r++) {
        char *fresh = malloc(bytes);
        double t0 = now_s();
        read_file(st_path, fresh, bytes, hdr);
        t[r] = now_s() - t0;
        free(fresh);
    }
    double read_fresh_bw = (double)bytes / median(t, reps) / 1e9;
    for (int r = 0; r < reps; r++) {
        mx_array_map *got = NULL;
        double t0 = now_s();
        if (mx_load_safetensors(&got, NULL, st_path, NULL)) die("load");
        mx_array *all[8];
        for (int i = 0; i < nt; i++) all[i] = mx_array_map_value(got, (size_t)i);
        if (mx_eval(all, (size_t)nt)) die("eval");
        t[r] = now_s() - t0;
        mx_array_map_free(got);
    }
    double load_bw = (double)bytes / median(t, reps) / 1e9;
    printf("safetensors load+eval %zu MB: %.2f GB/s   pread() warm buffer: %.2f GB/s (ratio "
           "%.0f%%)   pread() fresh buffer: %.2f GB/s (ratio %.0f%%)\n",
           mb, load_bw, read_bw, 100 * load_bw / read_bw, read_fresh_bw,
           100 * load_bw / read_fresh_bw);
    unlink(st_path);
    unlink(raw_path);
    free(buf);
    mx_array_map_free(m);

    char gguf[1024];
    const char *cache = getenv("CMLX_CACHE"), *home = getenv("HOME");
    if (cache)
        snprintf(gguf, sizeof gguf, "%s/SmolLM2-135M-Instruct.Q4_1.gguf", cache);
    else
        snprintf(gguf, sizeof gguf, "%s/.cache/cmlx/SmolLM2-135M-Instruct.Q4_1.gguf",
                 home ? home : ".");
    struct stat gst;
    if (stat(gguf, &gst) != 0) {
        printf("gguf SmolLM2: skipped (%s absent; scripts/fetch_smollm2.sh)\n", gguf);
        return 0;
    }
    for (int r = 0; r < reps; r++) {
        mx_array_map *got = NULL;
        mx_gguf_metadata *md = NULL;
        double t0 = now_s();
        if (mx_load_gguf(&got, &md, gguf, NULL)) die("load_gguf");
        size_t n = mx_array_map_size(got);
        mx_array **all = malloc(sizeof *all * n);
        for (size_t i = 0; i < n; i++) all[i] = mx_array_map_value(got, i);
        if (mx_eval(all, n)) die("eval");
        t[r] = now_s() - t0;
        free(all);
        mx_array_map_free(got);
        mx_gguf_metadata_free(md);
    }
    printf("gguf SmolLM2-135M Q4_1 (%.0f MB, 272 tensors) load+eval: %.3f s\n",
           (double)gst.st_size / 1e6, median(t, reps));
    free(t);
    return 0;
}
