/* libFuzzer target: the .npy loader on arbitrary bytes must fail cleanly
 * or load arrays that evaluate (scripts/fuzz.sh builds and runs it). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mx_array *a = NULL;
    if (mx_load_npy_bytes(&a, data, size) == MX_OK) {
        mx_eval(&a, 1);
        mx_array_free(a);
    }
    mx_clear_error();
    return 0;
}
