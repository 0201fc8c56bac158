/* .npz: savez and savez_compressed round trips, NumPy-written archives,
 * laziness of stored members, and malformed archives. */
#include "io_test_util.h"
#include "io/io_util.h"

static mx_array *iota(int32_t n, mx_dtype dt) {
    mx_array *a = NULL;
    CHECK_OK(mx_arange(&a, 0, n, 1, dt, NULL));
    return a;
}

static void check_iota(mx_array *a, int32_t n) {
    mx_array *b = NULL;
    CHECK(a != NULL);
    if (!a) return;
    CHECK_OK(mx_astype(&b, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_eval(&b, 1));
    CHECK(mx_array_size(b) == (size_t)n);
    const double *d = mx_array_data(b);
    for (int32_t i = 0; d && i < n; i++) CHECK(d[i] == i);
    mx_array_free(b);
}

TEST(round_trip) {
    for (int compressed = 0; compressed < 2; compressed++) {
        mx_array_map *m = NULL, *got = NULL;
        CHECK_OK(mx_array_map_new(&m));
        mx_array *a = iota(1000, MX_FLOAT32), *b = iota(7, MX_INT8), *t = NULL, *sc = NULL,
                 *e = NULL;
        int32_t sh[2] = {10, 100};
        CHECK_OK(mx_reshape(&a, a, sh, 2, NULL));
        CHECK_OK(mx_transpose(&t, a, NULL, 0, NULL));
        CHECK_OK(mx_array_from_float(&sc, 2.5, MX_BFLOAT16));
        int32_t esh[2] = {0, 4};
        CHECK_OK(mx_zeros(&e, esh, 2, MX_COMPLEX64, NULL));
        CHECK_OK(mx_array_map_set(m, "weights", a));
        CHECK_OK(mx_array_map_set(m, "small", b));
        CHECK_OK(mx_array_map_set(m, "transposed", t));
        CHECK_OK(mx_array_map_set(m, "scalar", sc));
        CHECK_OK(mx_array_map_set(m, "empty", e));
        CHECK_OK(mx_savez(io_tmp("rt.npz"), m, compressed));
        CHECK_OK(mx_load_npz(&got, io_tmp("rt.npz"), NULL));
        CHECK(mx_array_map_size(got) == 5);
        /* Stored members are lazy, deflated ones are read now. */
        CHECK(mx_array_get_status(mx_array_map_get(got, "small")) ==
              (compressed ? MX_ARRAY_AVAILABLE : MX_ARRAY_UNSCHEDULED));
        CHECK(!strcmp(mx_array_map_key(got, 0), "weights"));
        CHECK(!strcmp(mx_array_map_key(got, 4), "empty"));
        check_iota(mx_array_map_get(got, "weights"), 1000);
        check_iota(mx_array_map_get(got, "small"), 7);
        mx_array *gt = mx_array_map_get(got, "transposed");
        CHECK(gt && mx_array_dim(gt, 0) == 100 && mx_array_dim(gt, 1) == 10);
        float want[1000];
        for (int i = 0; i < 100; i++)
            for (int j = 0; j < 10; j++) want[i * 10 + j] = (float)(j * 100 + i);
        CHECK(gt && io_bytes_equal(gt, want, sizeof want));
        mx_array *gs = mx_array_map_get(got, "scalar");
        uint16_t bf = mx_float_to_bfloat16(2.5f);
        CHECK(gs && mx_array_ndim(gs) == 0 && mx_array_dtype(gs) == MX_BFLOAT16 &&
              io_bytes_equal(gs, &bf, 2));
        mx_array *ge = mx_array_map_get(got, "empty");
        CHECK(ge && mx_array_dim(ge, 0) == 0 && mx_array_dtype(ge) == MX_COMPLEX64);
        /* From memory too. */
        size_t len = 0;
        unsigned char *file = io_read_file(io_tmp("rt.npz"), &len);
        mx_array_map *mem = NULL;
        CHECK_OK(mx_load_npz_bytes(&mem, file, len));
        CHECK(mx_array_map_size(mem) == 5);
        check_iota(mx_array_map_get(mem, "small"), 7);
        mx_array_map_free(mem);
        free(file);
        mx_array_map_free(got);
        mx_array_map_free(m);
        mx_array_free(a);
        mx_array_free(b);
        mx_array_free(t);
        mx_array_free(sc);
        mx_array_free(e);
    }
}

TEST(numpy_archives) {
    mx_array_map *m = NULL;
    CHECK_OK(mx_load_npz(&m, io_data("np_plain.npz"), NULL));
    CHECK(mx_array_map_size(m) == 2);
    float a6[6] = {0, 1, 2, 3, 4, 5};
    mx_array *a = mx_array_map_get(m, "a");
    CHECK(a && mx_array_ndim(a) == 2 && io_bytes_equal(a, a6, sizeof a6));
    int8_t b2[2] = {1, -2};
    CHECK(mx_array_map_get(m, "b") && io_bytes_equal(mx_array_map_get(m, "b"), b2, 2));
    CHECK_OK(mx_load_npz(&m, io_data("np_comp.npz"), NULL)); /* replaces and frees the old map */
    check_iota(mx_array_map_get(m, "a"), 100);
    bool tf[2] = {true, false};
    CHECK(mx_array_map_get(m, "b") && io_bytes_equal(mx_array_map_get(m, "b"), tf, 2));
    mx_array_map_free(m);
}

static void expect_bad_npz(const unsigned char *d, size_t n) {
    mx_array_map *m = NULL;
    CHECK_ERR(mx_load_npz_bytes(&m, d, n), MX_ERR_VALUE);
    CHECK(m == NULL);
    io_write_file(io_tmp("bad.npz"), d, n);
    CHECK_ERR(mx_load_npz(&m, io_tmp("bad.npz"), NULL), MX_ERR_VALUE);
    CHECK(m == NULL);
}

/* Offset of the central directory entry of member i (0-based). */
static size_t central_entry(const unsigned char *d, size_t n, int i) {
    size_t e = n - 22;
    size_t cd = (size_t)(d[e + 16] | d[e + 17] << 8 | d[e + 18] << 16 | (size_t)d[e + 19] << 24);
    for (int k = 0; k < i; k++) {
        size_t nl = (size_t)(d[cd + 28] | d[cd + 29] << 8),
               xl = (size_t)(d[cd + 30] | d[cd + 31] << 8),
               cl = (size_t)(d[cd + 32] | d[cd + 33] << 8);
        cd += 46 + nl + xl + cl;
    }
    return cd;
}

TEST(malformed_archives) {
    mx_array_map *m = NULL;
    CHECK_OK(mx_array_map_new(&m));
    mx_array *a = iota(64, MX_INT32), *b = iota(8, MX_FLOAT32);
    CHECK_OK(mx_array_map_set(m, "a", a));
    CHECK_OK(mx_array_map_set(m, "b", b));
    CHECK_OK(mx_savez(io_tmp("good.npz"), m, false));
    CHECK_OK(mx_savez(io_tmp("goodz.npz"), m, true));
    size_t n = 0, nz = 0;
    unsigned char *good = io_read_file(io_tmp("good.npz"), &n);
    unsigned char *goodz = io_read_file(io_tmp("goodz.npz"), &nz);
    unsigned char *d = malloc(n + nz);

    expect_bad_npz((const unsigned char *)"", 0);
    expect_bad_npz((const unsigned char *)"PK\x05\x06", 4);
    for (size_t cut = 1; cut < n; cut += 37) expect_bad_npz(good, cut); /* truncations */
    memcpy(d, good, n);
    d[n - 22] = 'X'; /* no end record */
    expect_bad_npz(d, n);
    memcpy(d, good, n);
    d[n - 6] = 0xF0; /* central directory far past the end */
    expect_bad_npz(d, n);
    memcpy(d, good, n);
    size_t c1 = central_entry(d, n, 1);
    memcpy(d + c1 + 42, d + central_entry(d, n, 0) + 42, 4); /* b's offset = a's: overlap */
    expect_bad_npz(d, n);
    memcpy(d, good, n);
    d[c1 + 42] = 0xFF, d[c1 + 43] = 0xFF, d[c1 + 44] = 0xFF, d[c1 + 45] = 0x7F;
    expect_bad_npz(d, n);
    memcpy(d, good, n);
    d[c1 + 8] |= 1; /* encrypted */
    expect_bad_npz(d, n);
    memcpy(d, good, n);
    d[c1 + 10] = 12; /* bzip2 */
    expect_bad_npz(d, n);
    memcpy(d, good, n);
    d[c1 + 46 + 2] = 'x'; /* "b.npx" */
    expect_bad_npz(d, n);
    memcpy(d, good, n);
    d[c1 + 46] = 'a'; /* duplicate name "a" */
    expect_bad_npz(d, n);
    memcpy(d, goodz, nz);
    d[60] ^= 0x55; /* deflated data corrupt: inflate error or CRC mismatch */
    expect_bad_npz(d, nz);
    memcpy(d, goodz, nz);
    size_t z1 = central_entry(d, nz, 1);
    d[z1 + 24] = 0xFF, d[z1 + 25] = 0xFF, d[z1 + 26] = 0xFF, d[z1 + 27] = 0x7F; /* bomb claim */
    expect_bad_npz(d, nz);
    memcpy(d, goodz, nz);
    d[z1 + 16] ^= 1; /* CRC */
    expect_bad_npz(d, nz);

    CHECK_ERR(mx_load_npz(&m, io_tmp("missing.npz"), NULL), MX_ERR_RUNTIME);
    CHECK_ERR(mx_savez(io_tmp("x.npz"), NULL, false), MX_ERR_VALUE);
    CHECK_ERR(mx_savez("/nonexistent_dir/x.npz", m, false), MX_ERR_RUNTIME);
    mx_array_map *bad = NULL;
    CHECK_OK(mx_array_map_new(&bad));
    CHECK_OK(mx_array_map_set(bad, "", a));
    CHECK_ERR(mx_savez(io_tmp("x.npz"), bad, false), MX_ERR_VALUE);
    mx_array_map_free(bad);
    free(d);
    free(good);
    free(goodz);
    mx_array_map_free(m);
    mx_array_free(a);
    mx_array_free(b);
}

/* A one-member stored archive whose central directory uses zip64 records
 * throughout (saturated 32-bit fields, zip64 extra field, zip64 end record
 * and locator), as writers do past 4 GiB. */
TEST(zip64_records) {
    mx_array *a = iota(5, MX_INT16);
    CHECK_OK(mx_save_npy(io_tmp("m.npy"), a));
    size_t n = 0;
    unsigned char *npy = io_read_file(io_tmp("m.npy"), &n);
    mxi_buf b = {0};
    mxi_buf_u32(&b, 0x04034b50);
    mxi_buf_u16(&b, 45);
    mxi_buf_u16(&b, 0);
    mxi_buf_u16(&b, 0);
    mxi_buf_u32(&b, 0);
    mxi_buf_u32(&b, 0); /* crc (not checked for stored members) */
    mxi_buf_u32(&b, (uint32_t)n);
    mxi_buf_u32(&b, (uint32_t)n);
    mxi_buf_u16(&b, 5);
    mxi_buf_u16(&b, 0);
    mxi_buf_append(&b, "x.npy", 5);
    mxi_buf_append(&b, npy, n);
    size_t cd = b.len;
    mxi_buf_u32(&b, 0x02014b50);
    mxi_buf_u16(&b, 45);
    mxi_buf_u16(&b, 45);
    mxi_buf_u16(&b, 0);
    mxi_buf_u16(&b, 0);
    mxi_buf_u32(&b, 0);
    mxi_buf_u32(&b, 0);
    mxi_buf_u32(&b, 0xFFFFFFFFu);
    mxi_buf_u32(&b, 0xFFFFFFFFu);
    mxi_buf_u16(&b, 5);
    mxi_buf_u16(&b, 4 + 24 + 8); /* an unrelated extra field first */
    mxi_buf_u16(&b, 0);
    mxi_buf_u16(&b, 0);
    mxi_buf_u16(&b, 0);
    mxi_buf_u32(&b, 0);
    mxi_buf_u32(&b, 0xFFFFFFFFu);
    mxi_buf_append(&b, "x.npy", 5);
    mxi_buf_u16(&b, 0x5455);
    mxi_buf_u16(&b, 4);
    mxi_buf_u32(&b, 0);
    mxi_buf_u16(&b, 1);
    mxi_buf_u16(&b, 24);
    mxi_buf_u64(&b, n);
    mxi_buf_u64(&b, n);
    mxi_buf_u64(&b, 0);
    size_t cd_size = b.len - cd, eocd64 = b.len;
    mxi_buf_u32(&b, 0x06064b50);
    mxi_buf_u64(&b, 44);
    mxi_buf_u16(&b, 45);
    mxi_buf_u16(&b, 45);
    mxi_buf_u32(&b, 0);
    mxi_buf_u32(&b, 0);
    mxi_buf_u64(&b, 1);
    mxi_buf_u64(&b, 1);
    mxi_buf_u64(&b, cd_size);
    mxi_buf_u64(&b, cd);
    mxi_buf_u32(&b, 0x07064b50);
    mxi_buf_u32(&b, 0);
    mxi_buf_u64(&b, eocd64);
    mxi_buf_u32(&b, 1);
    mxi_buf_u32(&b, 0x06054b50);
    mxi_buf_u16(&b, 0);
    mxi_buf_u16(&b, 0);
    mxi_buf_u16(&b, 0xFFFF);
    mxi_buf_u16(&b, 0xFFFF);
    mxi_buf_u32(&b, 0xFFFFFFFFu);
    mxi_buf_u32(&b, 0xFFFFFFFFu);
    mxi_buf_u16(&b, 0);
    mx_array_map *m = NULL;
    CHECK_OK(mx_load_npz_bytes(&m, b.data, b.len));
    check_iota(mx_array_map_get(m, "x"), 5);
    mx_array_map_free(m);
    m = NULL;
    /* Without the zip64 extra field the saturated sizes are an error. */
    b.data[cd + 46 + 5 + 8] = 9;
    CHECK_ERR(mx_load_npz_bytes(&m, b.data, b.len), MX_ERR_VALUE);
    mxi_buf_free(&b);
    free(npy);
    mx_array_free(a);
}

TEST(array_map) {
    mx_array_map *m = NULL;
    CHECK_OK(mx_array_map_new(&m));
    mx_array *a = iota(3, MX_INT32), *b = iota(4, MX_INT32);
    char name[16];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "k%d", i);
        CHECK_OK(mx_array_map_set(m, name, i % 2 ? a : b));
    }
    CHECK_OK(mx_array_map_set(m, "k5", b)); /* replace in place */
    CHECK(mx_array_map_size(m) == 100 && mx_array_map_get(m, "k5") == b);
    CHECK(!strcmp(mx_array_map_key(m, 5), "k5") && mx_array_map_value(m, 5) == b);
    CHECK(mx_array_map_get(m, "nope") == NULL && mx_array_map_key(m, 100) == NULL);
    CHECK_ERR(mx_array_map_set(m, NULL, a), MX_ERR_VALUE);
    mx_array_map_free(m);
    mx_array_free(a);
    mx_array_free(b);
    mx_string_map *s = NULL;
    CHECK_OK(mx_string_map_new(&s));
    CHECK_OK(mx_string_map_set(s, "x", "1"));
    CHECK_OK(mx_string_map_set(s, "x", "2"));
    CHECK(mx_string_map_size(s) == 1 && !strcmp(mx_string_map_get(s, "x"), "2"));
    mx_string_map_free(s);
}

int main(void) {
    RUN(round_trip);
    RUN(numpy_archives);
    RUN(malformed_archives);
    RUN(zip64_records);
    RUN(array_map);
    io_cleanup();
    return TEST_SUMMARY();
}
