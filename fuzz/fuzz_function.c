/* libFuzzer target: mx_import_function_bytes on arbitrary bytes must fail
 * cleanly or give a closure; the closure is called on two float32 (2, 3)
 * arrays (the seed corpus's signature), then on two (4, 3) arrays (a
 * shapeless file replays and checks its trace at those shapes), and its
 * outputs evaluated, where errors are fine and crashes not
 * (scripts/fuzz.sh builds and runs it). */
#include "fuzz_common.h"

/* A valid file may ask for arrays of up to 2^40 elements (a Pad or a Full
 * of a huge shape): that is work the file asks for, not a bug. Such
 * allocations fail (MX_ERR_MEMORY) instead of ending the run as an
 * out-of-memory. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
    return "max_allocation_size_mb=256:allocator_may_return_null=1";
}

/* Calls g on two float32 (rows, 3) arrays and evaluates what it returns. */
static void call(const mx_closure *g, int32_t rows) {
    static const float v[12] = {0.5f, -1, 2, 0, 3, -0.25f, 1, 7, -3, 0.125f, 4, -8};
    int32_t shape[2] = {rows, 3};
    mx_vec in = {0}, out = {0};
    for (int i = 0; i < 2; i++) {
        mx_array *a = NULL;
        if (mx_array_from_data(&a, v, shape, 2, MX_FLOAT32) == MX_OK) mx_vec_push(&in, a);
    }
    if (mx_closure_apply(g, &out, &in) == MX_OK && out.size) mx_eval(out.data, (size_t)out.size);
    mx_vec_clear(&in);
    mx_vec_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mx_closure *g = NULL;
    if (mx_import_function_bytes(&g, data, size) == MX_OK) {
        call(g, 2);
        call(g, 4);
        mx_closure_free(g);
    }
    mx_clear_error();
    return 0;
}
