/* libFuzzer target: the .safetensors loader on arbitrary bytes must fail cleanly
 * or load arrays that evaluate (scripts/fuzz.sh builds and runs it). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mx_array_map *m = NULL;
    mx_string_map *md = NULL;
    if (mx_load_safetensors_bytes(&m, &md, data, size) == MX_OK) eval_all(m);
    mx_array_map_free(m);
    mx_string_map_free(md);
    mx_clear_error();
    return 0;
}
