/* Inputs that once crashed a loader under fuzzing (tests/data/
 * fuzz_regressions/, named <format>_<what>.<ext>): each must now come back
 * as a clean status, with nothing leaked. */
#include <dirent.h>

#include "io_test_util.h"

static void load_one(const char *name, const unsigned char *d, size_t n) {
    mx_array *a = NULL;
    mx_array_map *m = NULL;
    mx_string_map *sm = NULL;
    mx_gguf_metadata *gm = NULL;
    int rc = MX_OK;
    if (!strncmp(name, "npy_", 4)) {
        rc = mx_load_npy_bytes(&a, d, n);
    } else if (!strncmp(name, "npz_", 4)) {
        rc = mx_load_npz_bytes(&m, d, n);
    } else if (!strncmp(name, "safetensors_", 12)) {
        rc = mx_load_safetensors_bytes(&m, &sm, d, n);
    } else if (!strncmp(name, "gguf_", 5)) {
        rc = mx_load_gguf_bytes(&m, &gm, d, n);
    } else {
        fprintf(stderr, "  unknown regression file %s\n", name);
        CHECK(0);
    }
    for (size_t i = 0; i < mx_array_map_size(m); i++) {
        mx_array *x = mx_array_map_value(m, i);
        mx_eval(&x, 1);
    }
    if (a) mx_eval(&a, 1);
    CHECK(rc == MX_OK || mx_last_error()[0] != '\0');
    mx_array_free(a);
    mx_array_map_free(m);
    mx_string_map_free(sm);
    mx_gguf_metadata_free(gm);
}

TEST(every_regression_input) {
    DIR *dir = opendir(io_data("fuzz_regressions"));
    CHECK(dir != NULL);
    if (!dir) return;
    int seen = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (e->d_name[0] == '.') continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", io_data("fuzz_regressions"), e->d_name);
        size_t n = 0;
        unsigned char *d = io_read_file(path, &n);
        CHECK(d != NULL);
        if (d) load_one(e->d_name, d, n);
        free(d);
        seen++;
    }
    closedir(dir);
    CHECK(seen > 0);
}

int main(void) {
    RUN(every_regression_input);
    return TEST_SUMMARY();
}
