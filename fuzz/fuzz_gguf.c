/* libFuzzer target: the .gguf loader on arbitrary bytes must fail cleanly
 * or load arrays that evaluate (scripts/fuzz.sh builds and runs it). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mx_array_map *m = NULL;
    mx_gguf_metadata *md = NULL;
    if (mx_load_gguf_bytes(&m, &md, data, size) == MX_OK) eval_all(m);
    mx_array_map_free(m);
    mx_gguf_metadata_free(md);
    mx_clear_error();
    return 0;
}
