/* safetensors: round trips of every dtype with metadata, an MLX-written
 * file, laziness, the JSON parser's limits, and malformed headers. */
#include "io_test_util.h"

static const mx_dtype all_dtypes[] = {MX_BOOL,    MX_UINT8,   MX_UINT16,   MX_UINT32,   MX_UINT64,
                                      MX_INT8,    MX_INT16,   MX_INT32,    MX_INT64,    MX_FLOAT16,
                                      MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_COMPLEX64};

/* arange(6).reshape(2, 3) of dtype dt (bool: i % 2), evaluated. */
static mx_array *six(mx_dtype dt) {
    mx_array *a = NULL, *two = NULL;
    CHECK_OK(mx_arange(&a, 0, 6, 1, MX_INT32, NULL));
    if (dt == MX_BOOL) {
        CHECK_OK(mx_array_from_int(&two, 2, MX_INT32));
        CHECK_OK(mx_remainder(&a, a, two, NULL));
    }
    CHECK_OK(mx_astype(&a, a, dt, NULL));
    int32_t sh[2] = {2, 3};
    CHECK_OK(mx_reshape(&a, a, sh, 2, NULL));
    CHECK_OK(mx_eval(&a, 1));
    mx_array_free(two);
    return a;
}

static int same_bytes(mx_array *got, mx_array *want) {
    size_t n = mx_array_nbytes(want);
    unsigned char *w = malloc(n ? n : 1);
    int ok = mx_array_copy_to(want, w, n) == MX_OK && mx_array_dtype(got) == mx_array_dtype(want) &&
             mx_array_ndim(got) == mx_array_ndim(want) && io_bytes_equal(got, w, n);
    free(w);
    return ok;
}

TEST(round_trip_every_dtype_with_metadata) {
    mx_array_map *m = NULL, *got = NULL;
    mx_string_map *meta = NULL, *gm = NULL;
    CHECK_OK(mx_array_map_new(&m));
    CHECK_OK(mx_string_map_new(&meta));
    CHECK_OK(mx_string_map_set(meta, "format", "mlx"));
    CHECK_OK(mx_string_map_set(meta, "quote\"back\\slash\nnewline", "caf\xc3\xa9 \x01"));
    for (size_t k = 0; k < sizeof all_dtypes / sizeof all_dtypes[0]; k++) {
        mx_array *a = six(all_dtypes[k]);
        CHECK_OK(mx_array_map_set(m, mx_dtype_name(all_dtypes[k]), a));
        mx_array_free(a);
    }
    mx_array *t = NULL, *s = NULL;
    CHECK_OK(mx_transpose(&t, mx_array_map_get(m, "float32"), NULL, 0, NULL));
    CHECK_OK(mx_array_from_float(&s, -1.25, MX_FLOAT64));
    CHECK_OK(mx_array_map_set(m, "transposed", t));
    CHECK_OK(mx_array_map_set(m, "scalar", s));
    CHECK_OK(mx_save_safetensors(io_tmp("rt.safetensors"), m, meta));
    CHECK_OK(mx_load_safetensors(&got, &gm, io_tmp("rt.safetensors"), NULL));
    CHECK(mx_array_map_size(got) == mx_array_map_size(m));
    for (size_t i = 0; i < mx_array_map_size(m); i++) {
        const char *name = mx_array_map_key(m, i);
        mx_array *g = mx_array_map_get(got, name);
        CHECK(g && mx_array_get_status(g) == MX_ARRAY_UNSCHEDULED);
        CHECK(g && same_bytes(g, mx_array_map_value(m, i)));
    }
    CHECK(mx_string_map_size(gm) == 2);
    CHECK(!strcmp(mx_string_map_get(gm, "format"), "mlx"));
    CHECK(!strcmp(mx_string_map_get(gm, "quote\"back\\slash\nnewline"), "caf\xc3\xa9 \x01"));
    /* From memory, without asking for metadata. */
    size_t len = 0;
    unsigned char *file = io_read_file(io_tmp("rt.safetensors"), &len);
    mx_array_map *mem = NULL;
    CHECK_OK(mx_load_safetensors_bytes(&mem, NULL, file, len));
    CHECK(mx_array_map_get(mem, "bfloat16") &&
          same_bytes(mx_array_map_get(mem, "bfloat16"), mx_array_map_get(m, "bfloat16")));
    free(file);
    mx_array_map_free(mem);
    /* Saving lazily loaded arrays over their own file reads them first. */
    mem = NULL;
    CHECK_OK(mx_save_safetensors(io_tmp("rt.safetensors"), got, NULL));
    CHECK_OK(mx_load_safetensors(&mem, NULL, io_tmp("rt.safetensors"), NULL));
    CHECK(mx_array_map_size(mem) == mx_array_map_size(m));
    CHECK(same_bytes(mx_array_map_get(mem, "complex64"), mx_array_map_get(m, "complex64")));
    mx_array_map_free(mem);
    mx_array_map_free(got);
    mx_array_map_free(m);
    mx_string_map_free(meta);
    mx_string_map_free(gm);
    mx_array_free(t);
    mx_array_free(s);
}

TEST(mlx_written_file) {
    mx_array_map *got = NULL;
    mx_string_map *gm = NULL;
    CHECK_OK(mx_load_safetensors(&got, &gm, io_data("mlx_all.safetensors"), NULL));
    CHECK(mx_array_map_size(got) == 13);
    for (size_t k = 0; k < sizeof all_dtypes / sizeof all_dtypes[0]; k++) {
        mx_dtype dt = all_dtypes[k];
        if (dt == MX_FLOAT64 || dt == MX_COMPLEX64) continue;
        const char *name = dt == MX_BOOL ? "bool_" : mx_dtype_name(dt);
        mx_array *want = six(dt), *g = mx_array_map_get(got, name);
        CHECK(g && same_bytes(g, want));
        mx_array_free(want);
    }
    float c[12] = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
    CHECK(io_bytes_equal(mx_array_map_get(got, "complex64"), c, sizeof c));
    CHECK(!strcmp(mx_string_map_get(gm, "note"), "caf\xc3\xa9"));
    mx_array_map_free(got);
    mx_string_map_free(gm);
}

/* A file of the given header text and data bytes of zeros. */
static size_t make_st(unsigned char *buf, const char *header, size_t data) {
    size_t n = strlen(header);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(buf + 8, header, n);
    memset(buf + 8 + n, 0, data);
    return 8 + n + data;
}

static void expect_bad(const unsigned char *d, size_t n, int code) {
    mx_array_map *m = NULL;
    mx_string_map *md = NULL;
    CHECK_ERR(mx_load_safetensors_bytes(&m, &md, d, n), code);
    CHECK(m == NULL && md == NULL);
    io_write_file(io_tmp("bad.safetensors"), d, n);
    CHECK_ERR(mx_load_safetensors(&m, &md, io_tmp("bad.safetensors"), NULL), code);
    CHECK(m == NULL && md == NULL);
}

static void expect_bad_header(const char *h, size_t data, int code) {
    static unsigned char buf[1 << 16];
    expect_bad(buf, make_st(buf, h, data), code);
}

TEST(null_metadata) {
    /* What MLX's save_safetensors writes when there is no metadata. */
    unsigned char buf[256];
    size_t n = make_st(
        buf,
        "{\"__metadata__\":null,\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
        8);
    float v[2] = {1.5f, -2};
    memcpy(buf + n - 8, v, 8);
    mx_array_map *m = NULL;
    mx_string_map *md = NULL;
    CHECK_OK(mx_load_safetensors_bytes(&m, &md, buf, n));
    CHECK(mx_array_map_size(m) == 1 && mx_string_map_size(md) == 0);
    float got[2];
    CHECK_OK(mx_array_copy_to(mx_array_map_get(m, "a"), got, sizeof got));
    CHECK(got[0] == 1.5f && got[1] == -2);
    mx_array_map_free(m);
    mx_string_map_free(md);
    expect_bad_header("{\"__metadata__\":null,\"__metadata__\":null}", 0, MX_ERR_VALUE);
    expect_bad_header("{\"__metadata__\":null,\"__metadata__\":{}}", 0, MX_ERR_VALUE);
    expect_bad_header("{\"__metadata__\":5}", 0, MX_ERR_VALUE);
}

TEST(malformed_files) {
    unsigned char buf[4096];
    size_t n = make_st(buf, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    mx_array_map *ok = NULL;
    CHECK_OK(mx_load_safetensors_bytes(&ok, NULL, buf, n));
    mx_array_map_free(ok);
    expect_bad(buf, 0, MX_ERR_VALUE);
    expect_bad(buf, 7, MX_ERR_VALUE);
    for (size_t cut = 8; cut < n; cut += 5) expect_bad(buf, cut, MX_ERR_VALUE);
    memset(buf, 0xFF, 8); /* absurd header length */
    expect_bad(buf, n, MX_ERR_VALUE);
    expect_bad_header("not json", 0, MX_ERR_VALUE);
    expect_bad_header("[1, 2]", 0, MX_ERR_VALUE);
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", 8,
                      MX_ERR_VALUE);
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8,
                      MX_ERR_VALUE);
    expect_bad_header("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2,
                      MX_ERR_TYPE);
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
                      MX_ERR_VALUE); /* size mismatch */
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4,
                      MX_ERR_VALUE); /* past the end */
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8,
                      MX_ERR_VALUE);
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
                      MX_ERR_VALUE);
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8,
                      MX_ERR_VALUE);
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
                      "\"data_offsets\":[0,8]}}",
                      8, MX_ERR_VALUE);
    expect_bad_header("{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],"
                      "\"data_offsets\":[0,8]}}",
                      8, MX_ERR_VALUE); /* product overflows */
    expect_bad_header(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551615]}}", 8,
        MX_ERR_VALUE);
    expect_bad_header(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551616]}}", 8,
        MX_ERR_VALUE);
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                      8, MX_ERR_VALUE); /* overlap */
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
                      16, MX_ERR_VALUE); /* duplicate */
    expect_bad_header("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, MX_ERR_VALUE);
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, MX_ERR_VALUE);
    expect_bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, MX_ERR_VALUE);
    expect_bad_header("{\"a\":5}", 8, MX_ERR_VALUE);
    expect_bad_header("{\"__metadata__\":{\"k\":5}}", 0, MX_ERR_VALUE);
    expect_bad_header("{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0, MX_ERR_VALUE);
    expect_bad_header("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0, MX_ERR_VALUE);
    expect_bad_header("{\"__metadata__\":[]}", 0, MX_ERR_VALUE);
    /* JSON syntax */
    expect_bad_header("{\"a\":\"\\x\"}", 0, MX_ERR_VALUE);
    expect_bad_header("{\"a\":\"\\ud800\"}", 0, MX_ERR_VALUE);
    expect_bad_header("{\"a\":01}", 0, MX_ERR_VALUE);
    expect_bad_header("{\"a\":tru}", 0, MX_ERR_VALUE);
    expect_bad_header("{\"a\":\"tab\there\"}", 0, MX_ERR_VALUE);
    expect_bad_header("{\"a\" 1}", 0, MX_ERR_VALUE);
    expect_bad_header("{,}", 0, MX_ERR_VALUE);
    /* nesting deeper than the limit */
    static char deep[4200];
    strcpy(deep, "{\"__metadata__\":{\"k\":");
    size_t p = strlen(deep);
    for (int i = 0; i < 2000; i++) deep[p++] = '[';
    for (int i = 0; i < 2000; i++) deep[p++] = ']';
    deep[p++] = '}', deep[p++] = '}', deep[p] = '\0';
    expect_bad_header(deep, 0, MX_ERR_VALUE);

    /* Valid corner cases: empty header object, escapes in names, 0-d and
     * empty tensors, whitespace. */
    n = make_st(buf,
                " { \"\\u00e9\\ud83d\\ude00\" : {\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":"
                "[0,4]}, \"e\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[4,4]} } ",
                4);
    mx_array_map *m = NULL;
    CHECK_OK(mx_load_safetensors_bytes(&m, NULL, buf, n));
    CHECK(mx_array_map_size(m) == 2 && mx_array_map_get(m, "\xc3\xa9\xf0\x9f\x98\x80"));
    mx_array_map_free(m);
    n = make_st(buf, "{}", 0);
    m = NULL;
    CHECK_OK(mx_load_safetensors_bytes(&m, NULL, buf, n));
    CHECK(m && mx_array_map_size(m) == 0);
    mx_array_map_free(m);

    CHECK_ERR(mx_load_safetensors(NULL, NULL, io_data("mlx_all.safetensors"), NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_load_safetensors(&m, NULL, io_tmp("missing.safetensors"), NULL), MX_ERR_RUNTIME);
    CHECK_ERR(mx_save_safetensors(io_tmp("x.safetensors"), NULL, NULL), MX_ERR_VALUE);
    mx_array_map *bad = NULL;
    CHECK_OK(mx_array_map_new(&bad));
    mx_array *a = six(MX_FLOAT32);
    CHECK_OK(mx_array_map_set(bad, "__metadata__", a));
    CHECK_ERR(mx_save_safetensors(io_tmp("x.safetensors"), bad, NULL), MX_ERR_VALUE);
    mx_array_map_free(bad);
    mx_array_free(a);
}

int main(void) {
    RUN(round_trip_every_dtype_with_metadata);
    RUN(mlx_written_file);
    RUN(null_metadata);
    RUN(malformed_files);
    io_cleanup();
    return TEST_SUMMARY();
}
