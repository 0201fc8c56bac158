/* Shared by the libFuzzer targets. */
#ifndef CMLX_FUZZ_COMMON_H
#define CMLX_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cmlx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Evaluates every array of a loaded map (errors are fine, crashes not). */
static inline void eval_all(mx_array_map *m) {
    size_t n = mx_array_map_size(m);
    for (size_t i = 0; i < n; i++) {
        mx_array *a = mx_array_map_value(m, i);
        mx_eval(&a, 1);
    }
}

#endif
