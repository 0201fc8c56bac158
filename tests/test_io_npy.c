/* .npy: round trips of every dtype and layout, NumPy- and MLX-written
 * files (Fortran order, big-endian, bfloat16 as '<V2', version 2), byte
 * equality with NumPy's writer, laziness, and malformed files. */
#include "io_test_util.h"

static const mx_dtype all_dtypes[] = {MX_BOOL,    MX_UINT8,   MX_UINT16,   MX_UINT32,   MX_UINT64,
                                      MX_INT8,    MX_INT16,   MX_INT32,    MX_INT64,    MX_FLOAT16,
                                      MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_COMPLEX64};

TEST(round_trip_every_dtype) {
    for (size_t k = 0; k < sizeof all_dtypes / sizeof all_dtypes[0]; k++) {
        mx_dtype dt = all_dtypes[k];
        int32_t shape[3] = {2, 3, 4};
        size_t isz = (size_t)mx_dtype_size(dt), n = 24;
        unsigned char raw[24 * 8];
        for (size_t i = 0; i < n * isz; i++) raw[i] = (unsigned char)(i * 37 + k);
        if (dt == MX_BOOL)
            for (size_t i = 0; i < n; i++) raw[i] = i % 3 == 0;
        mx_array *a = NULL, *b = NULL;
        CHECK_OK(mx_array_from_data(&a, raw, shape, 3, dt));
        CHECK_OK(mx_save_npy(io_tmp("rt.npy"), a));
        CHECK_OK(mx_load_npy(&b, io_tmp("rt.npy"), NULL));
        CHECK(b && mx_array_dtype(b) == dt && mx_array_ndim(b) == 3);
        CHECK(b && io_bytes_equal(b, raw, n * isz));
        /* The same through memory. */
        size_t len = 0;
        unsigned char *file = io_read_file(io_tmp("rt.npy"), &len);
        mx_array *c = NULL;
        CHECK_OK(mx_load_npy_bytes(&c, file, len));
        CHECK(c && io_bytes_equal(c, raw, n * isz));
        free(file);
        mx_array_free(a);
        mx_array_free(b);
        mx_array_free(c);
    }
}

TEST(strided_written_in_row_major_order) {
    mx_array *a = NULL, *t = NULL, *sl = NULL, *b = NULL;
    CHECK_OK(mx_arange(&a, 0, 12, 1, MX_FLOAT32, NULL));
    int32_t sh[2] = {3, 4};
    CHECK_OK(mx_reshape(&a, a, sh, 2, NULL));
    CHECK_OK(mx_transpose(&t, a, NULL, 0, NULL));
    CHECK_OK(mx_save_npy(io_tmp("t.npy"), t));
    CHECK_OK(mx_load_npy(&b, io_tmp("t.npy"), NULL));
    float want[12];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) want[i * 3 + j] = (float)(j * 4 + i);
    CHECK(mx_array_dim(b, 0) == 4 && mx_array_dim(b, 1) == 3);
    CHECK(io_bytes_equal(b, want, sizeof want));
    /* Negative steps. */
    int32_t start[2] = {2, 3}, stop[2] = {-4, -5}, step[2] = {-1, -2};
    CHECK_OK(mx_slice(&sl, a, start, stop, step, 2, NULL));
    CHECK_OK(mx_save_npy(io_tmp("s.npy"), sl));
    CHECK_OK(mx_load_npy(&b, io_tmp("s.npy"), NULL));
    float want2[6] = {11, 9, 7, 5, 3, 1};
    CHECK(io_bytes_equal(b, want2, sizeof want2));
    mx_array_free(a);
    mx_array_free(t);
    mx_array_free(sl);
    mx_array_free(b);
}

TEST(bytes_equal_numpy_writer) {
    /* np.save of arange(6, float32).reshape(2, 3) and of [7] as uint64. */
    mx_array *a = NULL;
    CHECK_OK(mx_arange(&a, 0, 6, 1, MX_FLOAT32, NULL));
    int32_t sh[2] = {2, 3};
    CHECK_OK(mx_reshape(&a, a, sh, 2, NULL));
    CHECK_OK(mx_save_npy(io_tmp("np.npy"), a));
    size_t l1 = 0, l2 = 0;
    unsigned char *ours = io_read_file(io_tmp("np.npy"), &l1);
    unsigned char *theirs = io_read_file(io_data("np_f4_2x3.npy"), &l2);
    CHECK(ours && theirs && l1 == l2 && memcmp(ours, theirs, l1) == 0);
    free(ours);
    free(theirs);
    uint64_t seven = 7;
    int32_t one = 1;
    CHECK_OK(mx_array_from_data(&a, &seven, &one, 1, MX_UINT64));
    CHECK_OK(mx_save_npy(io_tmp("np.npy"), a));
    ours = io_read_file(io_tmp("np.npy"), &l1);
    theirs = io_read_file(io_data("np_u8_1.npy"), &l2);
    CHECK(ours && theirs && l1 == l2 && memcmp(ours, theirs, l1) == 0);
    free(ours);
    free(theirs);
    mx_array_free(a);
}

TEST(numpy_and_mlx_files) {
    mx_array *a = NULL;
    float f6[6] = {0, 1, 2, 3, 4, 5};
    CHECK_OK(mx_load_npy(&a, io_data("np_f_order.npy"), NULL));
    CHECK(a && mx_array_dim(a, 0) == 2 && mx_array_dim(a, 1) == 3);
    CHECK(a && io_bytes_equal(a, f6, sizeof f6));
    int32_t i5[5] = {0, 1, 2, 3, 4};
    CHECK_OK(mx_load_npy(&a, io_data("np_be_i4.npy"), NULL));
    CHECK(io_bytes_equal(a, i5, sizeof i5));
    double d3[3] = {1.5, -2.25, 3.0};
    CHECK_OK(mx_load_npy(&a, io_data("np_be_f8.npy"), NULL));
    CHECK(io_bytes_equal(a, d3, sizeof d3));
    float c2[4] = {1, 2, -0.0f, -3.5f}; /* -3.5j has a negative zero real part */
    CHECK_OK(mx_load_npy(&a, io_data("np_be_c8.npy"), NULL));
    CHECK(mx_array_dtype(a) == MX_COMPLEX64 && io_bytes_equal(a, c2, sizeof c2));
    uint16_t h3[3] = {mx_float_to_half(1), mx_float_to_half(2), mx_float_to_half(-0.5f)};
    CHECK_OK(mx_load_npy(&a, io_data("np_be_f2.npy"), NULL));
    CHECK(mx_array_dtype(a) == MX_FLOAT16 && io_bytes_equal(a, h3, sizeof h3));
    double sc = 2.5;
    CHECK_OK(mx_load_npy(&a, io_data("np_scalar.npy"), NULL));
    CHECK(mx_array_ndim(a) == 0 && io_bytes_equal(a, &sc, 8));
    CHECK_OK(mx_load_npy(&a, io_data("np_empty.npy"), NULL));
    CHECK(mx_array_ndim(a) == 2 && mx_array_dim(a, 0) == 0 && mx_array_dim(a, 1) == 3 &&
          mx_array_dtype(a) == MX_INT16 && io_bytes_equal(a, "", 0));
    bool b3[3] = {true, false, true};
    CHECK_OK(mx_load_npy(&a, io_data("np_bool.npy"), NULL));
    CHECK(mx_array_dtype(a) == MX_BOOL && io_bytes_equal(a, b3, 3));
    int64_t l4[4] = {0, 1, 2, 3};
    CHECK_OK(mx_load_npy(&a, io_data("np_v2.npy"), NULL));
    CHECK(io_bytes_equal(a, l4, sizeof l4));
    uint16_t bf[3] = {mx_float_to_bfloat16(1.5f), mx_float_to_bfloat16(2), mx_float_to_bfloat16(3)};
    CHECK_OK(mx_load_npy(&a, io_data("mlx_bf16.npy"), NULL));
    CHECK(mx_array_dtype(a) == MX_BFLOAT16 && io_bytes_equal(a, bf, sizeof bf));
    /* MLX writes a transposed array in Fortran order: arange(6).reshape(2, 3).T */
    int32_t t6[6] = {0, 3, 1, 4, 2, 5};
    CHECK_OK(mx_load_npy(&a, io_data("mlx_f_order.npy"), NULL));
    CHECK(mx_array_dim(a, 0) == 3 && mx_array_dim(a, 1) == 2 && io_bytes_equal(a, t6, sizeof t6));
    mx_array_free(a);
}

TEST(load_is_lazy) {
    mx_array *a = NULL, *b = NULL;
    float v[3] = {1, 2, 3};
    int32_t n = 3;
    CHECK_OK(mx_array_from_data(&a, v, &n, 1, MX_FLOAT32));
    CHECK_OK(mx_save_npy(io_tmp("lazy.npy"), a));
    CHECK_OK(mx_load_npy(&b, io_tmp("lazy.npy"), NULL));
    CHECK(mx_array_get_status(b) == MX_ARRAY_UNSCHEDULED);
    CHECK(io_bytes_equal(b, v, sizeof v));
    /* A file replaced before evaluation is refused at evaluation. */
    CHECK_OK(mx_load_npy(&b, io_tmp("lazy.npy"), NULL));
    float w[4] = {4, 5, 6, 7};
    int32_t n4 = 4;
    mx_array *c = NULL;
    CHECK_OK(mx_array_from_data(&c, w, &n4, 1, MX_FLOAT32));
    CHECK_OK(mx_save_npy(io_tmp("lazy.npy"), c));
    CHECK_ERR(mx_eval(&b, 1), MX_ERR_RUNTIME);
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(c);
}

static void expect_bad_npy(const void *d, size_t n, int code) {
    mx_array *a = NULL;
    CHECK_ERR(mx_load_npy_bytes(&a, d, n), code);
    CHECK(a == NULL);
    io_write_file(io_tmp("bad.npy"), d, n);
    CHECK_ERR(mx_load_npy(&a, io_tmp("bad.npy"), NULL), code);
    CHECK(a == NULL);
}

static size_t make_npy(unsigned char *buf, const char *dict, size_t data_bytes) {
    size_t hl = strlen(dict);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)hl, buf[9] = (unsigned char)(hl >> 8);
    memcpy(buf + 10, dict, hl);
    memset(buf + 10 + hl, 0, data_bytes);
    return 10 + hl + data_bytes;
}

TEST(malformed_files) {
    unsigned char buf[1024];
    size_t n;
    expect_bad_npy("", 0, MX_ERR_VALUE);
    expect_bad_npy("\x93NUMPY", 6, MX_ERR_VALUE);
    expect_bad_npy("\x93NUMPX\x01\x00\x00\x00", 10, MX_ERR_VALUE);
    /* version 9 */
    expect_bad_npy("\x93NUMPY\x09\x00\x00\x00", 10, MX_ERR_VALUE);
    /* header length past the end */
    expect_bad_npy("\x93NUMPY\x01\x00\xff\xff{", 11, MX_ERR_VALUE);
    expect_bad_npy("\x93NUMPY\x02\x00\xff\xff\xff\xff{", 13, MX_ERR_VALUE);
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 4);
    expect_bad_npy(buf, n, MX_ERR_VALUE); /* data truncated */
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
    mx_array *ok = NULL;
    CHECK_OK(mx_load_npy_bytes(&ok, buf, n));
    mx_array_free(ok);
    n = make_npy(buf, "{'descr': '<f16', 'fortran_order': False, 'shape': (2,), }", 32);
    expect_bad_npy(buf, n, MX_ERR_TYPE);
    n = make_npy(buf, "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", 16);
    expect_bad_npy(buf, n, MX_ERR_TYPE);
    n = make_npy(buf, "{'descr': 'O', 'fortran_order': False, 'shape': (1,), }", 8);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", 8);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    n = make_npy(buf, "{'descr': '<f4', 'shape': (2,), }", 8);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    n = make_npy(buf, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}", 8);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }", 8);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }", 8);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    /* product overflows 64 bits */
    n = make_npy(buf,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647, "
                 "2147483647, 2147483647), }",
                 8);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    /* empty, but the other dimensions' product overflows the strides (found
     * by fuzzing) */
    n = make_npy(buf,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2147483647, "
                 "2147483647, 2147483647), }",
                 0);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    /* a huge (non-overflowing) shape is rejected before any allocation */
    n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 1000), }", 8);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 8);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    n = make_npy(buf, "not a dict at all", 8);
    expect_bad_npy(buf, n, MX_ERR_VALUE);
    mx_array *a = NULL;
    CHECK_ERR(mx_load_npy(&a, io_tmp("does_not_exist.npy"), NULL), MX_ERR_RUNTIME);
    CHECK_ERR(mx_load_npy(&a, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_load_npy(NULL, io_data("np_bool.npy"), NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_load_npy(&a, CMLX_TEST_DATA, NULL), MX_ERR_RUNTIME);
    CHECK_ERR(mx_save_npy(io_tmp("x.npy"), NULL), MX_ERR_VALUE);
    mx_array *s = test_scalar_f32(1);
    CHECK_ERR(mx_save_npy("/nonexistent_dir/x.npy", s), MX_ERR_RUNTIME);
    CHECK_ERR(mx_save_npy(NULL, s), MX_ERR_VALUE);
    mx_array_free(s);
}

int main(void) {
    RUN(round_trip_every_dtype);
    RUN(strided_written_in_row_major_order);
    RUN(bytes_equal_numpy_writer);
    RUN(numpy_and_mlx_files);
    RUN(load_is_lazy);
    RUN(malformed_files);
    io_cleanup();
    return TEST_SUMMARY();
}
