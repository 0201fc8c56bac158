/* A real model: SmolLM2-135M-Instruct in Q4_1 (scripts/fetch_smollm2.sh
 * caches it). Loads it completely and compares tensor counts, metadata and
 * the dequantized values of selected tensors with figures from the PyPI
 * gguf package's reader (tests/data/smollm2_reference.py). Skips, exit 0,
 * when the file is not in the cache. */
#include <sys/stat.h>

#include "test.h"

typedef struct ref {
    const char *name, *type;
    int32_t shape[2];
    double sum, abs_sum;
    double first[4];
} ref;

/* python3 tests/data/smollm2_reference.py <file>; 1-d tensors have shape[1] = 0. */
static const ref refs[] = {
    {"token_embd.weight",
     "Q8_0",
     {49152, 576},
     -15353.04449415207,
     2802153.619805813,
     {-0.10654449462890625, 0.032978057861328125, 0.048198699951171875, -0.022830963134765625}},
    {"blk.0.attn_norm.weight",
     "F32",
     {576, 0},
     0.6129436492919922,
     15.815359115600586,
     {0.01397705078125, 0.0238037109375, -0.019775390625, -0.0302734375}},
    {"blk.0.ffn_down.weight",
     "Q4_1",
     {576, 1536},
     150.63577270507812,
     128458.06286621094,
     {-0.330810546875, 0.3460693359375, 0.0753173828125, -0.4661865234375}},
    {"blk.0.attn_q.weight",
     "Q4_1",
     {576, 576},
     59.22322082519531,
     63395.39872741699,
     {-0.0963134765625, 0.1573486328125, -0.0963134765625, -0.73046875}},
    {"blk.29.ffn_up.weight",
     "Q4_1",
     {1536, 576},
     305.73268127441406,
     150058.30757141113,
     {-0.128662109375, 0.06195068359375, -0.06512451171875, -0.3828125}},
    {"output_norm.weight",
     "F32",
     {576, 0},
     1038.33203125,
     1045.09765625,
     {1.7578125, 1.8203125, 1.78125, 1.6015625}},
};

static char model_path[1024];
static mx_array_map *arrays;
static mx_gguf_metadata *meta;

/* Float64 values of a plain tensor or of an affine triplet, row-major. */
static double *values_of(const ref *r, size_t *n) {
    mx_array *w = mx_array_map_get(arrays, r->name);
    CHECK(w != NULL);
    if (!w) return NULL;
    *n = (size_t)r->shape[0] * (size_t)(r->shape[1] ? r->shape[1] : 1);
    double *out = malloc(sizeof(double) * *n);
    if (!strcmp(r->type, "F32")) {
        CHECK(mx_array_dtype(w) == MX_FLOAT32 && mx_array_size(w) == *n);
        float *f = malloc(sizeof(float) * *n);
        CHECK_OK(mx_eval(&w, 1));
        CHECK_OK(mx_array_copy_to(w, f, sizeof(float) * *n));
        for (size_t i = 0; i < *n; i++) out[i] = f[i];
        free(f);
        return out;
    }
    int bits = !strcmp(r->type, "Q8_0") ? 8 : 4;
    char base[128], sn[160], bn[160];
    snprintf(base, sizeof base, "%.*s", (int)(strlen(r->name) - 7), r->name);
    snprintf(sn, sizeof sn, "%s.scales", base);
    snprintf(bn, sizeof bn, "%s.biases", base);
    mx_array *s = mx_array_map_get(arrays, sn), *b = mx_array_map_get(arrays, bn), *s32 = NULL,
             *b32 = NULL;
    CHECK(s && b && mx_array_dtype(w) == MX_UINT32);
    CHECK(mx_array_dim(w, 1) == r->shape[1] * bits / 32 && mx_array_dim(s, 1) == r->shape[1] / 32);
    CHECK_OK(mx_astype(&s32, s, MX_FLOAT32, NULL));
    CHECK_OK(mx_astype(&b32, b, MX_FLOAT32, NULL));
    mx_array *ev[3] = {w, s32, b32};
    CHECK_OK(mx_eval(ev, 3));
    const uint32_t *wd = mx_array_data(w);
    const float *sd = mx_array_data(s32), *bd = mx_array_data(b32);
    int per = 32 / bits;
    for (size_t k = 0; k < *n; k++) {
        uint32_t q = (wd[k / (size_t)per] >> (bits * (int)(k % (size_t)per))) & ((1u << bits) - 1);
        out[k] = (double)(sd[k / 32] * (float)q + bd[k / 32]);
    }
    mx_array_free(s32);
    mx_array_free(b32);
    return out;
}

TEST(loads_completely) {
    CHECK_OK(mx_load_gguf(&arrays, &meta, model_path, NULL));
    /* 272 tensors: 210 Q4_1 and 1 Q8_0 become triplets, 61 F32 stay. */
    CHECK(mx_array_map_size(arrays) == 211 * 3 + 61);
    CHECK(mx_gguf_metadata_size(meta) == 33);
    const mx_gguf_value *v = mx_gguf_metadata_get(meta, "general.architecture");
    CHECK(v && v->type == MX_GGUF_STRING && !strcmp(v->v.s.str, "llama"));
    v = mx_gguf_metadata_get(meta, "general.name");
    CHECK(v && !strcmp(v->v.s.str, "Smollm2 135M 8k Lc100K Mix1 Ep2"));
    v = mx_gguf_metadata_get(meta, "llama.block_count");
    CHECK(v && v->type == MX_GGUF_UINT32 && v->v.u == 30);
    v = mx_gguf_metadata_get(meta, "llama.rope.freq_base");
    CHECK(v && v->type == MX_GGUF_FLOAT32 && v->v.f == 100000.0);
    v = mx_gguf_metadata_get(meta, "tokenizer.ggml.tokens");
    CHECK(v && v->type == MX_GGUF_ARRAY && v->v.arr.elem_type == MX_GGUF_STRING &&
          v->v.arr.n == 49152 && !strcmp(v->v.arr.items[0].v.s.str, "<|endoftext|>") &&
          !strcmp(v->v.arr.items[49151].v.s.str, "ectable"));
    v = mx_gguf_metadata_get(meta, "tokenizer.ggml.merges");
    CHECK(v && v->v.arr.n == 48900);
    v = mx_gguf_metadata_get(meta, "tokenizer.ggml.token_type");
    CHECK(v && v->v.arr.elem_type == MX_GGUF_INT32 && v->v.arr.n == 49152);
    v = mx_gguf_metadata_get(meta, "tokenizer.ggml.add_bos_token");
    CHECK(v && v->type == MX_GGUF_BOOL);
    /* Everything evaluates. */
    size_t n = mx_array_map_size(arrays);
    mx_array **all = malloc(sizeof *all * n);
    for (size_t i = 0; i < n; i++) all[i] = mx_array_map_value(arrays, i);
    CHECK_OK(mx_eval(all, n));
    free(all);
}

TEST(values_match_gguf_reader) {
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        const ref *r = &refs[i];
        size_t n = 0;
        double *x = values_of(r, &n);
        if (!x) continue;
        double sum = 0, abs_sum = 0;
        for (size_t k = 0; k < n; k++) sum += x[k], abs_sum += fabs(x[k]);
        /* The reader computes Q4_1 in float16, we in float32: compare to
         * float16 precision. */
        double tol = strcmp(r->type, "F32") ? 1e-3 : 1e-12;
        CHECK_NEAR(abs_sum, r->abs_sum, tol * r->abs_sum);
        CHECK_NEAR(sum, r->sum, tol * r->abs_sum);
        for (int k = 0; k < 4; k++) CHECK_NEAR(x[k], r->first[k], tol * fabs(r->first[k]) + 1e-7);
        free(x);
    }
}

int main(void) {
    const char *cache = getenv("CMLX_CACHE");
    const char *home = getenv("HOME");
    snprintf(model_path, sizeof model_path, "%s/SmolLM2-135M-Instruct.Q4_1.gguf",
             cache ? cache : "");
    if (!cache)
        snprintf(model_path, sizeof model_path, "%s/.cache/cmlx/SmolLM2-135M-Instruct.Q4_1.gguf",
                 home ? home : ".");
    struct stat st;
    if (stat(model_path, &st) != 0) {
        printf("SKIP: %s is absent; run scripts/fetch_smollm2.sh to fetch it\n", model_path);
        return 0;
    }
    RUN(loads_completely);
    RUN(values_match_gguf_reader);
    mx_array_map_free(arrays);
    mx_gguf_metadata_free(meta);
    return TEST_SUMMARY();
}
