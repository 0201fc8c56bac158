/*
 * The core engine through the public API: arrays, the lazy graph, eval and
 * async_eval, streams, donation, detaching, deep graphs and error paths.
 */
#include <pthread.h>
#include <stdlib.h>

#include "test.h"

TEST(creation_and_properties) {
    int32_t shape[2] = {2, 3};
    int32_t data[6] = {1, 2, 3, 4, 5, 6};
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, data, shape, 2, MX_INT32));
    CHECK(mx_array_ndim(a) == 2);
    CHECK(mx_array_dim(a, 0) == 2 && mx_array_dim(a, -1) == 3 && mx_array_dim(a, 2) == -1);
    CHECK(mx_array_size(a) == 6 && mx_array_itemsize(a) == 4 && mx_array_nbytes(a) == 24);
    CHECK(mx_array_dtype(a) == MX_INT32);
    CHECK(mx_array_get_status(a) == MX_ARRAY_AVAILABLE);
    CHECK(mx_array_is_row_contiguous(a));
    const int64_t *st = mx_array_strides(a);
    CHECK(st && st[0] == 3 && st[1] == 1);
    const int32_t *d = mx_array_data(a);
    CHECK(d && d[5] == 6);
    data[5] = 99; /* the array holds a copy */
    CHECK(((const int32_t *)mx_array_data(a))[5] == 6);
    char desc[128];
    CHECK_OK(mx_array_describe(a, desc, sizeof desc));
    CHECK(strstr(desc, "shape=(2, 3)") && strstr(desc, "int32"));
    mx_array_free(a);
}

TEST(scalars_and_items) {
    mx_array *a = NULL;
    double dv;
    int64_t iv;
    uint64_t uv;
    bool bv;
    mx_complex64 cv;
    CHECK_OK(mx_array_from_float(&a, 1.5, MX_BFLOAT16));
    CHECK(mx_array_ndim(a) == 0 && mx_array_size(a) == 1 && mx_array_dtype(a) == MX_BFLOAT16);
    CHECK_OK(mx_array_item_double(&dv, a));
    CHECK(dv == 1.5);
    CHECK_OK(mx_array_from_int(&a, -7, MX_INT8));
    CHECK_OK(mx_array_item_int64(&iv, a));
    CHECK(iv == -7);
    CHECK_OK(mx_array_from_int(&a, 300, MX_UINT8)); /* wraps like a C cast */
    CHECK_OK(mx_array_item_uint64(&uv, a));
    CHECK(uv == 44);
    CHECK_OK(mx_array_from_bool(&a, true));
    CHECK_OK(mx_array_item_bool(&bv, a));
    CHECK(bv);
    CHECK_OK(mx_array_from_complex(&a, 1.0f, -2.0f));
    CHECK_OK(mx_array_item_complex(&cv, a));
    CHECK(cv.real == 1.0f && cv.imag == -2.0f);
    CHECK_OK(mx_array_from_float(&a, 65520.0, MX_FLOAT16)); /* rounds to inf */
    CHECK_OK(mx_array_item_double(&dv, a));
    CHECK(isinf(dv));
    mx_array_free(a);
}

static int deleter_calls;
static void count_deleter(void *ctx) {
    (void)ctx;
    deleter_calls++;
}

TEST(borrowed_memory) {
    float host[4] = {1, 2, 3, 4};
    int32_t n = 4;
    mx_array *a = NULL, *b = NULL, *one = test_scalar_f32(1);
    deleter_calls = 0;
    CHECK_OK(mx_array_from_data_borrowed(&a, host, &n, 1, MX_FLOAT32, count_deleter, NULL));
    CHECK(mx_array_data(a) == host);
    CHECK_OK(mx_add(&b, a, one, NULL));
    mx_array_free(a); /* the graph still reads it */
    CHECK(deleter_calls == 0);
    float got[4];
    test_read_f32(b, got, 4);
    CHECK(got[0] == 2 && got[3] == 5);
    CHECK(host[0] == 1); /* borrowed memory is never donated to an output */
    CHECK(deleter_calls == 1);
    mx_array_free(b);
    mx_array_free(one);
}

TEST(lazy_until_eval) {
    float v[3] = {1, 2, 3};
    mx_array *a = test_vec_f32(v, 3), *b = NULL;
    CHECK_OK(mx_multiply(&b, a, a, NULL));
    CHECK(mx_array_get_status(b) == MX_ARRAY_UNSCHEDULED);
    CHECK(mx_array_data(b) == NULL);
    CHECK(mx_last_error_code() == MX_ERR_RUNTIME && strstr(mx_last_error(), "not evaluated"));
    float out[3];
    CHECK_ERR(mx_array_copy_to(b, out, sizeof out), MX_ERR_RUNTIME);
    CHECK_ERR(mx_array_wait(b), MX_ERR_RUNTIME);
    CHECK_OK(mx_async_eval(&b, 1));
    CHECK_OK(mx_array_wait(b));
    CHECK(mx_array_get_status(b) == MX_ARRAY_AVAILABLE);
    test_read_f32(b, out, 3);
    CHECK(out[0] == 1 && out[1] == 4 && out[2] == 9);
    CHECK_OK(mx_eval(&b, 1)); /* evaluating twice is harmless */
    mx_array_free(a);
    mx_array_free(b);
}

TEST(shared_subgraph) {
    /* A diamond: c = (a + a) * (a + a) evaluates the shared node once. */
    float v[2] = {1, 2};
    mx_array *a = test_vec_f32(v, 2), *s = NULL, *c = NULL;
    CHECK_OK(mx_add(&s, a, a, NULL));
    CHECK_OK(mx_multiply(&c, s, s, NULL));
    float out[2];
    test_read_f32(c, out, 2);
    CHECK(out[0] == 4 && out[1] == 16);
    test_read_f32(s, out, 2);
    CHECK(out[0] == 2 && out[1] == 4);
    mx_array_free(a);
    mx_array_free(s);
    mx_array_free(c);
}

TEST(deep_chain_million_nodes) {
    /* A million nodes must neither overflow the stack when evaluated nor when
     * an unevaluated graph of that depth is dropped. */
    const int depth = 1000000;
    mx_array *x = test_scalar_f32(0), *one = test_scalar_f32(1);
    for (int i = 0; i < depth; i++) CHECK_OK(mx_add(&x, x, one, NULL));
    double v = 0;
    CHECK_OK(mx_array_item_double(&v, x));
    CHECK(v == 1000000.0);
    for (int i = 0; i < depth; i++) CHECK_OK(mx_add(&x, x, one, NULL));
    mx_array_free(x); /* dropped unevaluated */
    mx_array_free(one);
}

TEST(donation_keeps_memory_flat) {
    /* x = x * 1.0001 + 0.5, 1000 times, on a 4 MiB array: with donation and
     * detaching the peak stays within three such buffers. */
    const int32_t n = 1 << 20;
    const size_t bytes = (size_t)n * 4;
    float *host = malloc(bytes);
    for (int32_t i = 0; i < n; i++) host[i] = (float)(i % 7);
    mx_array *x = NULL, *m = test_scalar_f32(1.0001f), *c = test_scalar_f32(0.5f);
    CHECK_OK(mx_array_from_data(&x, host, &n, 1, MX_FLOAT32));
    mx_clear_cache();
    size_t base = mx_get_active_memory();
    mx_reset_peak_memory();
    for (int i = 0; i < 1000; i++) {
        CHECK_OK(mx_multiply(&x, x, m, NULL));
        CHECK_OK(mx_add(&x, x, c, NULL));
    }
    CHECK_OK(mx_eval(&x, 1));
    size_t peak = mx_get_peak_memory();
    CHECK(peak <= base + 2 * bytes);
    CHECK(peak <= 3 * bytes + 65536);
    float out[4];
    int32_t start = 0, stop = 4;
    mx_array *head = NULL;
    CHECK_OK(mx_slice(&head, x, &start, &stop, NULL, 1, NULL));
    test_read_f32(head, out, 4);
    /* Reference in float32, the same operation order. */
    for (int k = 0; k < 4; k++) {
        float r = host[k];
        for (int i = 0; i < 1000; i++) r = r * 1.0001f + 0.5f;
        CHECK_NEAR(out[k], r, 1e-3 * fabs(r));
    }
    free(host);
    mx_array_free(head);
    mx_array_free(x);
    mx_array_free(m);
    mx_array_free(c);
}

TEST(detach_frees_intermediates) {
    const int32_t n = 1 << 18;
    mx_array *a = NULL, *b = NULL, *one = test_scalar_f32(1);
    CHECK_OK(mx_zeros(&a, &n, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_add(&b, a, one, NULL));
    mx_array *c = NULL;
    CHECK_OK(mx_add(&c, b, one, NULL));
    mx_array_free(a);
    mx_array_free(b);
    CHECK_OK(mx_eval(&c, 1));
    mx_clear_cache();
    /* Only c's buffer (and the small constant) is live now. */
    CHECK(mx_get_active_memory() < (size_t)n * 4 + 65536);
    mx_array_free(c);
    mx_array_free(one);
}

TEST(kernel_failure_is_eval_status) {
    /* An allocation refused during eval (over the memory limit) comes back
     * from mx_eval, downstream nodes fail too, and the library works after. */
    mx_clear_cache();
    size_t old = mx_set_memory_limit(mx_get_active_memory() + (1 << 20));
    int32_t n = 1 << 20;
    mx_array *z = NULL, *y = NULL;
    CHECK_OK(mx_zeros(&z, &n, 1, MX_FLOAT32, NULL)); /* 4 MiB: over the limit */
    CHECK_OK(mx_add(&y, z, z, NULL));
    CHECK_ERR(mx_eval(&y, 1), MX_ERR_MEMORY);
    CHECK(mx_array_get_status(y) == MX_ARRAY_FAILED);
    CHECK(strstr(mx_last_error(), "memory limit") != NULL);
    CHECK_ERR(mx_eval(&y, 1), MX_ERR_MEMORY); /* stays failed */
    CHECK(mx_array_data(y) == NULL);
    mx_set_memory_limit(old);
    mx_array *w = NULL;
    CHECK_OK(mx_add(&w, z, z, NULL)); /* z itself failed: so does w */
    CHECK_ERR(mx_eval(&w, 1), MX_ERR_MEMORY);
    mx_array *fresh = NULL;
    CHECK_OK(mx_zeros(&fresh, &n, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_eval(&fresh, 1));
    mx_array_free(z);
    mx_array_free(y);
    mx_array_free(w);
    mx_array_free(fresh);
}

TEST(bad_input_errors) {
    float v[3] = {1, 2, 3};
    mx_array *a = test_vec_f32(v, 3), *o = NULL;
    int32_t bad_shape[2] = {2, -1};
    CHECK_ERR(mx_array_from_data(&o, v, bad_shape, 2, MX_FLOAT32), MX_ERR_VALUE);
    CHECK_ERR(mx_array_from_data(&o, v, bad_shape, -1, MX_FLOAT32), MX_ERR_VALUE);
    CHECK_ERR(mx_array_from_data(&o, v, bad_shape, 1, (mx_dtype)42), MX_ERR_TYPE);
    CHECK_ERR(mx_array_from_data(&o, NULL, bad_shape, 1, MX_FLOAT32), MX_ERR_VALUE);
    CHECK_ERR(mx_array_from_data(NULL, v, bad_shape, 1, MX_FLOAT32), MX_ERR_VALUE);
    CHECK_ERR(mx_zeros(&o, bad_shape, 2, MX_FLOAT32, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "(2, -1)") != NULL);
    CHECK_ERR(mx_zeros(&o, bad_shape, 1, (mx_dtype)-7, NULL), MX_ERR_TYPE);
    mx_array *b = NULL;
    int32_t four = 4;
    CHECK_OK(mx_zeros(&b, &four, 1, MX_FLOAT32, NULL));
    CHECK_ERR(mx_add(&o, a, b, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "(3,)") && strstr(mx_last_error(), "(4,)"));
    CHECK_ERR(mx_add(&o, a, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_add(NULL, a, a, NULL), MX_ERR_VALUE);
    int axis = 1;
    CHECK_ERR(mx_sum_axes(&o, a, &axis, 1, false, NULL), MX_ERR_INDEX);
    CHECK(o == NULL); /* failures leave *out untouched */
    /* An allocation larger than the machine. */
    int32_t huge[3] = {1 << 20, 1 << 20, 1 << 10};
    mx_array *h = NULL;
    CHECK_OK(mx_zeros(&h, huge, 3, MX_FLOAT32, NULL));
    CHECK_ERR(mx_eval(&h, 1), MX_ERR_MEMORY);
    CHECK_ERR(mx_array_item_double(NULL, a), MX_ERR_VALUE);
    double d;
    CHECK_ERR(mx_array_item_double(&d, a), MX_ERR_VALUE); /* size 3 */
    CHECK_ERR(mx_eval(NULL, 1), MX_ERR_VALUE);
    mx_array *nul = NULL;
    CHECK_ERR(mx_eval(&nul, 1), MX_ERR_VALUE);
    char small[2];
    CHECK_ERR(mx_array_copy_to(a, small, sizeof small), MX_ERR_VALUE);
    /* and everything still works */
    float out[3];
    CHECK_OK(mx_add(&o, a, a, NULL));
    test_read_f32(o, out, 3);
    CHECK(out[2] == 6);
    mx_clear_error();
    CHECK(mx_last_error_code() == MX_OK && mx_last_error()[0] == '\0');
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(h);
    mx_array_free(o);
}

int main(void) {
    RUN(creation_and_properties);
    RUN(scalars_and_items);
    RUN(borrowed_memory);
    RUN(lazy_until_eval);
    RUN(shared_subgraph);
    RUN(deep_chain_million_nodes);
    RUN(donation_keeps_memory_flat);
    RUN(detach_frees_intermediates);
    RUN(kernel_failure_is_eval_status);
    RUN(bad_input_errors);
    return TEST_SUMMARY();
}
