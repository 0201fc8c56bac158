/* mx_array_buffer_info and mx_array_from_strided_borrowed. */
#include "test.h"

static int deleter_calls;
static void count_deleter(void *ctx) {
    deleter_calls++;
    CHECK(ctx == &deleter_calls);
}

TEST(buffer_info_views_share_base) {
    float v[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    mx_array *a = test_vec_f32(v, 10), *s = NULL, *t = NULL;
    int32_t start = 2, stop = 8, step = 2;
    CHECK_OK(mx_slice(&s, a, &start, &stop, &step, 1, NULL));
    CHECK_OK(mx_add(&t, a, a, NULL));
    mx_array *all[] = {s, t};
    CHECK_OK(mx_eval(all, 2));
    mx_buffer_info ia, is, it;
    CHECK_OK(mx_array_buffer_info(a, &ia));
    CHECK_OK(mx_array_buffer_info(s, &is));
    CHECK_OK(mx_array_buffer_info(t, &it));
    CHECK(ia.base != NULL && ia.base == is.base);
    CHECK(it.base != ia.base);
    CHECK(ia.size >= 40 && is.size == ia.size && it.size >= 40);
    CHECK(ia.offset == 0 && is.offset == 8);
    CHECK(!ia.borrowed);
    CHECK((const char *)is.base + is.offset == (const char *)mx_array_data(s));
    mx_array_free(a), mx_array_free(s), mx_array_free(t);
}

TEST(buffer_info_errors) {
    float v[2] = {1, 2};
    mx_array *a = test_vec_f32(v, 2), *b = NULL;
    CHECK_OK(mx_add(&b, a, a, NULL));
    mx_buffer_info info;
    CHECK_ERR(mx_array_buffer_info(b, &info), MX_ERR_RUNTIME); /* not evaluated */
    CHECK_ERR(mx_array_buffer_info(NULL, &info), MX_ERR_VALUE);
    CHECK_ERR(mx_array_buffer_info(a, NULL), MX_ERR_VALUE);
    mx_array_free(a), mx_array_free(b);
}

TEST(strided_borrowed_transposed_and_reversed) {
    int32_t mem[12];
    for (int i = 0; i < 12; i++) mem[i] = i;
    /* mem as 3x4 row-major, read transposed (4x3, strides 1,4) */
    mx_array *t = NULL;
    int32_t shape[2] = {4, 3};
    int64_t st[2] = {1, 4};
    deleter_calls = 0;
    CHECK_OK(mx_array_from_strided_borrowed(&t, mem, shape, st, 2, MX_INT32, count_deleter,
                                            &deleter_calls));
    int32_t got[12];
    CHECK_OK(mx_array_copy_to(t, got, sizeof got));
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) CHECK(got[i * 3 + j] == mem[j * 4 + i]);
    mx_buffer_info info;
    CHECK_OK(mx_array_buffer_info(t, &info));
    CHECK(info.borrowed && info.base == mem && info.offset == 0 && info.size == sizeof mem);
    /* ops read it; the result is a fresh buffer */
    mx_array *u = NULL;
    CHECK_OK(mx_add(&u, t, t, NULL));
    CHECK_OK(mx_eval(&u, 1));
    int32_t sum[12];
    CHECK_OK(mx_array_copy_to(u, sum, sizeof sum));
    for (int k = 0; k < 12; k++) CHECK(sum[k] == 2 * got[k]);
    mx_array_free(u);
    CHECK(deleter_calls == 0);
    mx_array_free(t);
    CHECK(deleter_calls == 1);

    /* rows reversed: element 0 is the last row, stride -4 */
    mx_array *r = NULL;
    int32_t rshape[2] = {3, 4};
    int64_t rst[2] = {-4, 1};
    CHECK_OK(mx_array_from_strided_borrowed(&r, mem + 8, rshape, rst, 2, MX_INT32, NULL, NULL));
    CHECK_OK(mx_array_copy_to(r, got, sizeof got));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) CHECK(got[i * 4 + j] == mem[(2 - i) * 4 + j]);
    CHECK_OK(mx_array_buffer_info(r, &info));
    CHECK(info.base == mem && info.offset == 32 && info.size == sizeof mem);
    mx_array_free(r);
}

TEST(strided_borrowed_broadcast_scalar_empty) {
    double mem[3] = {1.5, -2, 4};
    mx_array *b = NULL;
    int32_t shape[2] = {2, 3};
    int64_t st[2] = {0, 1};
    CHECK_OK(mx_array_from_strided_borrowed(&b, mem, shape, st, 2, MX_FLOAT64, NULL, NULL));
    double got[6];
    CHECK_OK(mx_array_copy_to(b, got, sizeof got));
    for (int k = 0; k < 6; k++) CHECK(got[k] == mem[k % 3]);
    mx_array_free(b);

    mx_array *s = NULL;
    CHECK_OK(mx_array_from_strided_borrowed(&s, mem + 2, NULL, NULL, 0, MX_FLOAT64, NULL, NULL));
    double x;
    CHECK_OK(mx_array_item_double(&x, s));
    CHECK(x == 4);
    mx_array_free(s);

    mx_array *e = NULL;
    int32_t eshape[2] = {0, 3};
    int64_t est[2] = {3, 1};
    deleter_calls = 0;
    CHECK_OK(mx_array_from_strided_borrowed(&e, NULL, eshape, est, 2, MX_FLOAT64, count_deleter,
                                            &deleter_calls));
    CHECK(mx_array_size(e) == 0);
    mx_buffer_info info;
    CHECK_OK(mx_array_buffer_info(e, &info));
    CHECK(info.base == NULL && info.size == 0);
    mx_array_free(e);
    mx_array *z = NULL;
    CHECK_OK(mx_array_from_data(&z, NULL, eshape, 2, MX_FLOAT32));
    CHECK_OK(mx_array_buffer_info(z, &info));
    CHECK(info.base == NULL && info.size == 0 && !info.borrowed);
    mx_array_free(z);
    CHECK(deleter_calls == 1);
}

TEST(strided_borrowed_errors) {
    float mem[4] = {0};
    mx_array *a = NULL;
    int32_t shape[1] = {4}, neg[1] = {-1}, big[1] = {1 << 30};
    int64_t st[1] = {1}, huge[1] = {INT64_MAX / 4};
    deleter_calls = 0;
    CHECK_ERR(mx_array_from_strided_borrowed(NULL, mem, shape, st, 1, MX_FLOAT32, NULL, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_array_from_strided_borrowed(&a, mem, neg, st, 1, MX_FLOAT32, NULL, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_array_from_strided_borrowed(&a, mem, big, huge, 1, MX_FLOAT32, count_deleter,
                                             &deleter_calls),
              MX_ERR_VALUE);
    CHECK_ERR(mx_array_from_strided_borrowed(&a, NULL, shape, st, 1, MX_FLOAT32, NULL, NULL),
              MX_ERR_VALUE);
    CHECK_ERR(mx_array_from_strided_borrowed(&a, mem, shape, st, 1, (mx_dtype)99, NULL, NULL),
              MX_ERR_TYPE);
    CHECK_ERR(mx_array_from_strided_borrowed(&a, mem, shape, st, -1, MX_FLOAT32, NULL, NULL),
              MX_ERR_VALUE);
    CHECK(a == NULL);
    CHECK(deleter_calls == 0); /* failures leave the memory with the caller */
}

int main(void) {
    RUN(buffer_info_views_share_base);
    RUN(buffer_info_errors);
    RUN(strided_borrowed_transposed_and_reversed);
    RUN(strided_borrowed_broadcast_scalar_empty);
    RUN(strided_borrowed_errors);
    return TEST_SUMMARY();
}
