/* GGUF: metadata of every value type, plain and quantized tensors against
 * the PyPI gguf package's dequantized values (tests/data/
 * make_gguf_fixtures.py), save_gguf round trips, and malformed files. */
#include "io_test_util.h"
#include "io/io_util.h"

static mx_array_map *expected(void) {
    mx_array_map *m = NULL;
    CHECK_OK(mx_load_npz(&m, io_data("quants_expected.npz"), NULL));
    return m;
}

/* Row-major float32 values of a (any float dtype), malloc'd. */
static float *floats_of(mx_array *a) {
    mx_array *f = NULL;
    CHECK_OK(mx_astype(&f, a, MX_FLOAT32, NULL));
    CHECK_OK(mx_eval(&f, 1));
    size_t n = mx_array_size(f);
    float *d = malloc(sizeof(float) * (n ? n : 1));
    CHECK_OK(mx_array_copy_to(f, d, n * sizeof(float)));
    mx_array_free(f);
    return d;
}

/* Dequantizes an affine triplet (group 32) to float32. */
static float *dequant_affine(mx_array *w, mx_array *s, mx_array *b, int bits, size_t n) {
    CHECK_OK(mx_eval(&w, 1));
    float *sc = floats_of(s), *bi = floats_of(b);
    const uint32_t *wd = mx_array_data(w);
    float *out = malloc(sizeof(float) * n);
    int per = 32 / bits;
    uint32_t mask = (1u << bits) - 1;
    for (size_t k = 0; k < n; k++) {
        uint32_t q = (wd[k / (size_t)per] >> (bits * (int)(k % (size_t)per))) & mask;
        out[k] = sc[k / 32] * (float)q + bi[k / 32];
    }
    free(sc);
    free(bi);
    return out;
}

static void check_close(const float *got, mx_array *want_a, double rel) {
    float *want = floats_of(want_a);
    size_t n = mx_array_size(want_a);
    double amax = 0;
    for (size_t i = 0; i < n; i++) amax = fmax(amax, fabs(want[i]));
    int bad = 0;
    for (size_t i = 0; i < n && bad < 5; i++)
        if (!(fabs(got[i] - want[i]) <= rel * amax)) {
            fprintf(stderr, "  element %zu: got %.9g want %.9g\n", i, got[i], want[i]);
            bad++;
        }
    CHECK(bad == 0);
    free(want);
}

TEST(metadata_every_type) {
    mx_array_map *a = NULL;
    mx_gguf_metadata *m = NULL;
    CHECK_OK(mx_load_gguf(&a, &m, io_data("quants.gguf"), NULL));
    const mx_gguf_value *v;
    CHECK((v = mx_gguf_metadata_get(m, "general.architecture")) && v->type == MX_GGUF_STRING &&
          !strcmp(v->v.s.str, "test"));
    CHECK((v = mx_gguf_metadata_get(m, "t.u8")) && v->type == MX_GGUF_UINT8 && v->v.u == 200);
    CHECK((v = mx_gguf_metadata_get(m, "t.i8")) && v->type == MX_GGUF_INT8 && v->v.i == -100);
    CHECK((v = mx_gguf_metadata_get(m, "t.u16")) && v->type == MX_GGUF_UINT16 && v->v.u == 60000);
    CHECK((v = mx_gguf_metadata_get(m, "t.i16")) && v->type == MX_GGUF_INT16 && v->v.i == -30000);
    CHECK((v = mx_gguf_metadata_get(m, "t.u32")) && v->type == MX_GGUF_UINT32 &&
          v->v.u == 4000000000u);
    CHECK((v = mx_gguf_metadata_get(m, "t.i32")) && v->type == MX_GGUF_INT32 &&
          v->v.i == -2000000000);
    CHECK((v = mx_gguf_metadata_get(m, "t.f32")) && v->type == MX_GGUF_FLOAT32 && v->v.f == 1.5);
    CHECK((v = mx_gguf_metadata_get(m, "t.bool")) && v->type == MX_GGUF_BOOL && v->v.b);
    CHECK((v = mx_gguf_metadata_get(m, "t.str")) && v->type == MX_GGUF_STRING && v->v.s.len == 6 &&
          !strcmp(v->v.s.str, "h\xc3\xa9llo"));
    CHECK((v = mx_gguf_metadata_get(m, "t.u64")) && v->type == MX_GGUF_UINT64 &&
          v->v.u == 9223372036854775813ull);
    CHECK((v = mx_gguf_metadata_get(m, "t.i64")) && v->type == MX_GGUF_INT64 &&
          v->v.i == -4611686018427387904ll);
    CHECK((v = mx_gguf_metadata_get(m, "t.f64")) && v->type == MX_GGUF_FLOAT64 && v->v.f == -2.25);
    CHECK((v = mx_gguf_metadata_get(m, "t.arr_i32")) && v->type == MX_GGUF_ARRAY &&
          v->v.arr.elem_type == MX_GGUF_INT32 && v->v.arr.n == 3 && v->v.arr.items[1].v.i == -2);
    CHECK((v = mx_gguf_metadata_get(m, "t.arr_str")) && v->v.arr.elem_type == MX_GGUF_STRING &&
          v->v.arr.n == 3 && v->v.arr.items[1].v.s.len == 0 &&
          !strcmp(v->v.arr.items[2].v.s.str, "ccc"));
    CHECK((v = mx_gguf_metadata_get(m, "t.nested")) && v->v.arr.elem_type == MX_GGUF_ARRAY &&
          v->v.arr.n == 2 && v->v.arr.items[0].v.arr.n == 2 && v->v.arr.items[1].v.arr.n == 1 &&
          v->v.arr.items[1].v.arr.items[0].v.i == 3);
    CHECK(mx_gguf_metadata_get(m, "nope") == NULL);
    CHECK(!strcmp(mx_gguf_metadata_key(m, 0), "general.architecture"));
    mx_array_map_free(a);
    mx_gguf_metadata_free(m);
}

TEST(tensors_match_gguf_package) {
    mx_array_map *a = NULL, *want = expected();
    CHECK_OK(mx_load_gguf(&a, NULL, io_data("quants.gguf"), NULL));
    /* Plain: exact. */
    const char *plain[] = {"plain.f32", "plain.f16", "plain.bf16"};
    mx_dtype pdt[] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16};
    for (int i = 0; i < 3; i++) {
        mx_array *g = mx_array_map_get(a, plain[i]);
        CHECK(g && mx_array_dtype(g) == pdt[i] && mx_array_get_status(g) == MX_ARRAY_UNSCHEDULED);
        if (!g) continue;
        float *f = floats_of(g);
        check_close(f, mx_array_map_get(want, plain[i]), 0);
        free(f);
    }
    CHECK(mx_array_dim(mx_array_map_get(a, "plain.f32"), 0) == 3);
    /* Affine triplets. */
    const char *qn[] = {"blk.Q4_0", "blk.Q4_1", "blk.Q8_0", "kq.Q4_K"};
    int bits[] = {4, 4, 8, 4};
    for (int i = 0; i < 4; i++) {
        char wn[64], sn[64], bn[64];
        snprintf(wn, sizeof wn, i < 3 ? "%s.weight" : "%s", qn[i]);
        snprintf(sn, sizeof sn, "%s.scales", qn[i]);
        snprintf(bn, sizeof bn, "%s.biases", qn[i]);
        mx_array *w = mx_array_map_get(a, wn), *s = mx_array_map_get(a, sn),
                 *b = mx_array_map_get(a, bn), *e = mx_array_map_get(want, wn);
        CHECK(w && s && b && e);
        if (!w || !s || !b || !e) continue;
        int32_t cols = mx_array_dim(e, 1);
        CHECK(mx_array_dtype(w) == MX_UINT32 && mx_array_dim(w, 1) == cols * bits[i] / 32);
        CHECK(mx_array_dtype(s) == MX_FLOAT16 && mx_array_dim(s, 1) == cols / 32);
        float *f = dequant_affine(w, s, b, bits[i], mx_array_size(e));
        /* Q4_K's per-group scales are rounded to float16 as in MLX. */
        check_close(f, e, i == 3 ? 2e-3 : 1e-6);
        free(f);
    }
    /* Other K-quants: float32. */
    const char *kq[] = {"kq.Q2_K", "kq.Q3_K", "kq.Q5_K", "kq.Q6_K"};
    for (int i = 0; i < 4; i++) {
        mx_array *g = mx_array_map_get(a, kq[i]);
        CHECK(g && mx_array_dtype(g) == MX_FLOAT32 && mx_array_dim(g, 1) == 768);
        if (!g) continue;
        float *f = floats_of(g);
        check_close(f, mx_array_map_get(want, kq[i]), 1e-6);
        free(f);
    }
    CHECK(mx_array_map_size(a) == 3 + 4 * 3 + 4);
    /* From memory. */
    size_t len = 0;
    unsigned char *file = io_read_file(io_data("quants.gguf"), &len);
    mx_array_map *mem = NULL;
    CHECK_OK(mx_load_gguf_bytes(&mem, NULL, file, len));
    CHECK(mx_array_map_size(mem) == mx_array_map_size(a));
    free(file);
    mx_array_map_free(mem);
    mx_array_map_free(a);
    mx_array_map_free(want);
}

TEST(save_round_trip) {
    mx_array_map *m = NULL, *got = NULL;
    mx_gguf_metadata *meta = NULL, *gm = NULL;
    CHECK_OK(mx_array_map_new(&m));
    CHECK_OK(mx_gguf_metadata_new(&meta));
    mx_dtype dts[3] = {MX_FLOAT32, MX_FLOAT16, MX_BFLOAT16};
    const char *names[3] = {"a.f32", "b.f16", "c.bf16"};
    mx_array *arrs[3];
    for (int i = 0; i < 3; i++) {
        arrs[i] = NULL;
        CHECK_OK(mx_arange(&arrs[i], -5, 19, 1, dts[i], NULL));
        int32_t sh[3] = {2, 3, 4};
        CHECK_OK(mx_reshape(&arrs[i], arrs[i], sh, 3, NULL));
        if (i == 2) CHECK_OK(mx_transpose(&arrs[i], arrs[i], NULL, 0, NULL));
        CHECK_OK(mx_array_map_set(m, names[i], arrs[i]));
    }
    mx_gguf_value items[2] = {{.type = MX_GGUF_STRING, .v.s = {"x", 1}},
                              {.type = MX_GGUF_STRING, .v.s = {"yz", 2}}};
    mx_gguf_value inner[2] = {{.type = MX_GGUF_ARRAY, .v.arr = {MX_GGUF_STRING, 2, items}},
                              {.type = MX_GGUF_ARRAY, .v.arr = {MX_GGUF_STRING, 0, NULL}}};
    mx_gguf_value vals[] = {
        {.type = MX_GGUF_UINT32, .v.u = 7},
        {.type = MX_GGUF_FLOAT32, .v.f = 0.5},
        {.type = MX_GGUF_INT64, .v.i = -9},
        {.type = MX_GGUF_BOOL, .v.b = true},
        {.type = MX_GGUF_STRING, .v.s = {"name", 4}},
        {.type = MX_GGUF_ARRAY, .v.arr = {MX_GGUF_ARRAY, 2, inner}},
    };
    const char *keys[] = {"k.u32", "k.f32", "k.i64", "k.bool", "k.str", "k.nested"};
    for (int i = 0; i < 6; i++) CHECK_OK(mx_gguf_metadata_set(meta, keys[i], &vals[i]));
    CHECK_OK(mx_save_gguf(io_tmp("rt.gguf"), m, meta));
    CHECK_OK(mx_load_gguf(&got, &gm, io_tmp("rt.gguf"), NULL));
    CHECK(mx_array_map_size(got) == 3 && mx_gguf_metadata_size(gm) == 6);
    for (int i = 0; i < 3; i++) {
        mx_array *g = mx_array_map_get(got, names[i]);
        CHECK(g && mx_array_dtype(g) == dts[i] && mx_array_ndim(g) == 3 &&
              mx_array_dim(g, 0) == mx_array_dim(arrs[i], 0));
        if (!g) continue;
        float *x = floats_of(g), *y = floats_of(arrs[i]);
        CHECK(memcmp(x, y, 24 * sizeof(float)) == 0);
        free(x);
        free(y);
    }
    const mx_gguf_value *v = mx_gguf_metadata_get(gm, "k.nested");
    CHECK(v && v->v.arr.n == 2 && v->v.arr.items[0].v.arr.n == 2 &&
          !strcmp(v->v.arr.items[0].v.arr.items[1].v.s.str, "yz") &&
          v->v.arr.items[1].v.arr.n == 0);
    CHECK((v = mx_gguf_metadata_get(gm, "k.f32")) && v->v.f == 0.5);
    CHECK((v = mx_gguf_metadata_get(gm, "k.i64")) && v->v.i == -9);
    /* Wrong calls. */
    mx_gguf_value badv = {.type = MX_GGUF_ARRAY, .v.arr = {MX_GGUF_INT32, 2, items}};
    CHECK_ERR(mx_gguf_metadata_set(meta, "bad", &badv), MX_ERR_VALUE);
    mx_gguf_value badt = {.type = (mx_gguf_type)42};
    CHECK_ERR(mx_gguf_metadata_set(meta, "bad", &badt), MX_ERR_VALUE);
    CHECK(mx_gguf_metadata_get(meta, "bad") == NULL);
    mx_array *i32 = NULL;
    CHECK_OK(mx_arange(&i32, 0, 4, 1, MX_UINT32, NULL));
    CHECK_OK(mx_array_map_set(m, "int", i32));
    CHECK_ERR(mx_save_gguf(io_tmp("x.gguf"), m, NULL), MX_ERR_TYPE);
    CHECK_ERR(mx_save_gguf(io_tmp("x.gguf"), NULL, NULL), MX_ERR_VALUE);
    mx_array_free(i32);
    for (int i = 0; i < 3; i++) mx_array_free(arrs[i]);
    mx_array_map_free(m);
    mx_array_map_free(got);
    mx_gguf_metadata_free(meta);
    mx_gguf_metadata_free(gm);
}

static void expect_bad(const mxi_buf *b, int code) {
    mx_array_map *a = NULL;
    mx_gguf_metadata *m = NULL;
    CHECK_ERR(mx_load_gguf_bytes(&a, &m, b->data, b->len), code);
    CHECK(a == NULL && m == NULL);
}

static void str(mxi_buf *b, const char *s) {
    mxi_buf_u64(b, strlen(s));
    mxi_buf_append(b, s, strlen(s));
}

/* A file with one key/value (key, type, then the caller appends the value
 * bytes) and n tensors to follow. */
static void head(mxi_buf *b, uint32_t version, uint64_t nt, uint64_t nkv) {
    b->len = 0;
    mxi_buf_append(b, "GGUF", 4);
    mxi_buf_u32(b, version);
    mxi_buf_u64(b, nt);
    mxi_buf_u64(b, nkv);
}

static void tensor(mxi_buf *b, const char *name, uint64_t d0, uint64_t d1, uint32_t type,
                   uint64_t off) {
    str(b, name);
    mxi_buf_u32(b, 2);
    mxi_buf_u64(b, d0);
    mxi_buf_u64(b, d1);
    mxi_buf_u32(b, type);
    mxi_buf_u64(b, off);
}

static void pad_data(mxi_buf *b, size_t data) {
    while (b->len % 32) mxi_buf_u8(b, 0);
    for (size_t i = 0; i < data; i++) mxi_buf_u8(b, 0);
}

TEST(malformed_files) {
    size_t len = 0;
    unsigned char *good = io_read_file(io_data("quants.gguf"), &len);
    /* (the writer pads the last tensor: cutting only padding still loads) */
    for (size_t cut = 0; cut + 32 < len; cut += 7) {
        mx_array_map *a = NULL;
        CHECK_ERR(mx_load_gguf_bytes(&a, NULL, good, cut), MX_ERR_VALUE);
        CHECK(a == NULL);
    }
    free(good);
    mxi_buf b = {0};
    head(&b, 3, 0, 0);
    pad_data(&b, 0);
    mx_array_map *ok = NULL;
    CHECK_OK(mx_load_gguf_bytes(&ok, NULL, b.data, b.len));
    CHECK(ok && mx_array_map_size(ok) == 0);
    mx_array_map_free(ok);
    ok = NULL;
    b.data[0] = 'X';
    expect_bad(&b, MX_ERR_VALUE); /* magic */
    head(&b, 1, 0, 0);
    pad_data(&b, 0);
    expect_bad(&b, MX_ERR_VALUE); /* version 1 */
    head(&b, 3, UINT64_MAX, 0);
    pad_data(&b, 64);
    expect_bad(&b, MX_ERR_VALUE); /* absurd tensor count */
    head(&b, 3, 0, 1ull << 40);
    pad_data(&b, 64);
    expect_bad(&b, MX_ERR_VALUE); /* absurd key count */
    head(&b, 3, 0, 1);
    str(&b, "k");
    mxi_buf_u32(&b, 9);
    mxi_buf_u32(&b, MX_GGUF_UINT32);
    mxi_buf_u64(&b, 1ull << 60);
    pad_data(&b, 64);
    expect_bad(&b, MX_ERR_VALUE); /* absurd array length */
    head(&b, 3, 0, 1);
    str(&b, "k");
    mxi_buf_u32(&b, 9);
    mxi_buf_u32(&b, MX_GGUF_UINT8);
    mxi_buf_u64(&b, 17u << 20);
    for (int i = 0; i < (17 << 20) / 16; i++) mxi_buf_append(&b, "0123456789abcdef", 16);
    pad_data(&b, 0);
    expect_bad(&b, MX_ERR_VALUE); /* more metadata items than the cap */
    head(&b, 3, 0, 1);
    str(&b, "k");
    mxi_buf_u64(&b, UINT64_MAX); /* a string length past the end */
    expect_bad(&b, MX_ERR_VALUE);
    head(&b, 3, 0, 1);
    str(&b, "k");
    mxi_buf_u32(&b, 13); /* unknown value type */
    pad_data(&b, 64);
    expect_bad(&b, MX_ERR_VALUE);
    head(&b, 3, 0, 1);
    str(&b, "k");
    for (int i = 0; i < 20; i++) { /* arrays nested 20 deep */
        mxi_buf_u32(&b, 9);
        mxi_buf_u32(&b, 9);
        mxi_buf_u64(&b, 1);
    }
    pad_data(&b, 256);
    expect_bad(&b, MX_ERR_VALUE);
    head(&b, 3, 0, 2);
    str(&b, "k");
    mxi_buf_u32(&b, MX_GGUF_UINT8);
    mxi_buf_u8(&b, 1);
    str(&b, "k");
    mxi_buf_u32(&b, MX_GGUF_UINT8);
    mxi_buf_u8(&b, 1);
    pad_data(&b, 0);
    expect_bad(&b, MX_ERR_VALUE); /* duplicate key */
    head(&b, 3, 0, 1);
    str(&b, "general.alignment");
    mxi_buf_u32(&b, MX_GGUF_UINT32);
    mxi_buf_u32(&b, 0);
    pad_data(&b, 0);
    expect_bad(&b, MX_ERR_VALUE); /* alignment 0 */
    head(&b, 3, 1, 0);
    tensor(&b, "t", 32, 2, 6 /* Q5_0 */, 0);
    pad_data(&b, 64);
    expect_bad(&b, MX_ERR_TYPE);
    head(&b, 3, 1, 0);
    tensor(&b, "t", 32, 2, 99, 0);
    pad_data(&b, 64);
    expect_bad(&b, MX_ERR_TYPE);
    head(&b, 3, 1, 0);
    tensor(&b, "t", 4, 2, 0, 0);
    pad_data(&b, 16);
    expect_bad(&b, MX_ERR_VALUE); /* data past the end */
    head(&b, 3, 1, 0);
    tensor(&b, "t", 1ull << 31, 1ull << 31, 0, 0);
    pad_data(&b, 16);
    expect_bad(&b, MX_ERR_VALUE); /* dimension too large */
    head(&b, 3, 1, 0);
    tensor(&b, "t", 2, UINT64_MAX / 2, 0, 0);
    pad_data(&b, 16);
    expect_bad(&b, MX_ERR_VALUE);
    head(&b, 3, 1, 0);
    tensor(&b, "t", 2, 2, 0, UINT64_MAX - 8);
    pad_data(&b, 16);
    expect_bad(&b, MX_ERR_VALUE); /* offset wraps */
    head(&b, 3, 1, 0);
    tensor(&b, "t", 2, 2, 0, 4);
    pad_data(&b, 64);
    expect_bad(&b, MX_ERR_VALUE); /* misaligned */
    head(&b, 3, 1, 0);
    tensor(&b, "t", 48, 1, 2 /* Q4_0 */, 0);
    pad_data(&b, 64);
    expect_bad(&b, MX_ERR_VALUE); /* partial block */
    head(&b, 3, 2, 0);
    tensor(&b, "t", 4, 4, 0, 0);
    tensor(&b, "u", 4, 4, 0, 32);
    pad_data(&b, 128);
    expect_bad(&b, MX_ERR_VALUE); /* overlap */
    head(&b, 3, 2, 0);
    tensor(&b, "t", 4, 2, 0, 0);
    tensor(&b, "t", 4, 2, 0, 32);
    pad_data(&b, 64);
    expect_bad(&b, MX_ERR_VALUE); /* duplicate name */
    head(&b, 3, 2, 0);
    tensor(&b, "t.weight", 32, 1, 2, 0);
    tensor(&b, "t.scales", 4, 2, 0, 32);
    pad_data(&b, 64);
    expect_bad(&b, MX_ERR_VALUE); /* the triplet's name is taken */
    head(&b, 3, 1, 0);
    str(&b, "t");
    mxi_buf_u32(&b, 9); /* 9 dimensions */
    pad_data(&b, 128);
    expect_bad(&b, MX_ERR_VALUE);
    /* A good one of each shape: 0 dims, v2. */
    head(&b, 2, 1, 0);
    str(&b, "s");
    mxi_buf_u32(&b, 0);
    mxi_buf_u32(&b, 0);
    mxi_buf_u64(&b, 0);
    pad_data(&b, 4);
    CHECK_OK(mx_load_gguf_bytes(&ok, NULL, b.data, b.len));
    CHECK(ok && mx_array_ndim(mx_array_map_get(ok, "s")) == 0);
    mx_array_map_free(ok);
    mxi_buf_free(&b);
    mx_array_map *a = NULL;
    CHECK_ERR(mx_load_gguf(&a, NULL, io_tmp("missing.gguf"), NULL), MX_ERR_RUNTIME);
    CHECK_ERR(mx_load_gguf(NULL, NULL, io_data("quants.gguf"), NULL), MX_ERR_VALUE);
}

int main(void) {
    RUN(metadata_every_type);
    RUN(tensors_match_gguf_package);
    RUN(save_round_trip);
    RUN(malformed_files);
    io_cleanup();
    return TEST_SUMMARY();
}
