/*
 * The fused kernel's outputs: computed straight into the output array when
 * it fits the cache, or through scratch with streaming stores when it does
 * not; tiles sized by the widest dtype. Programs with several outputs, one
 * read again after it is written, the same output twice, an input passed
 * through, and inputs whose buffers an output takes (donation): compiled
 * values equal eager ones bit for bit, for several dtypes and sizes around
 * the tile.
 */
#include "cpu/strided.h"
#include "transforms_fd.h"

/* [x, y] -> [a = x*y, c = (a - x)*y, a, x] */
static int f_outs(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *x = in->data[0], *y = in->data[1], *a = NULL, *b = NULL, *c = NULL;
    int rc = mx_multiply(&a, x, y, NULL);
    if (!rc) rc = mx_subtract(&b, a, x, NULL);
    if (!rc) rc = mx_multiply(&c, b, y, NULL);
    if (!rc) rc = mx_vec_append(o, a);
    if (!rc) rc = mx_vec_append(o, c);
    if (!rc) rc = mx_vec_append(o, a);
    if (!rc) rc = mx_vec_append(o, x);
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(c);
    return rc;
}

/* [x, y] -> [a = x + y, max(a, x) - y]: x and y read after a is written */
static int f_reread(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *x = in->data[0], *y = in->data[1], *a = NULL, *m = NULL, *d = NULL;
    int rc = mx_add(&a, x, y, NULL);
    if (!rc) rc = mx_maximum(&m, a, x, NULL);
    if (!rc) rc = mx_subtract(&d, m, y, NULL);
    if (!rc) rc = mx_vec_append(o, a);
    if (!rc) rc = mx_vec_append(o, d);
    mx_array_free(a);
    mx_array_free(m);
    mx_array_free(d);
    return rc;
}

/* Fresh unevaluated copies of the inputs (|v| twice negated), which a fused
 * node may take the buffers of; the inputs are non-negative. */
static void fresh(mx_vec *dst, const mx_vec *src) {
    for (int i = 0; i < src->size; i++) {
        mx_array *t = NULL;
        CHECK_OK(mx_abs(&t, src->data[i], NULL));
        CHECK_OK(mx_negative(&t, t, NULL));
        CHECK_OK(mx_negative(&t, t, NULL));
        CHECK_OK(mx_vec_push(dst, t));
    }
}

static void expect_bits(const mx_vec *want, const mx_vec *got) {
    CHECK(want->size == got->size);
    for (int i = 0; i < want->size && i < got->size; i++) {
        mx_array *w = want->data[i], *g = got->data[i];
        CHECK(mx_array_dtype(w) == mx_array_dtype(g));
        size_t n = mx_array_size(w), nb = n * mx_dtype_size(mx_array_dtype(w));
        CHECK(mx_array_size(g) == n);
        if (mx_array_size(g) != n || mx_array_dtype(w) != mx_array_dtype(g)) continue;
        char *a = malloc(nb + 1), *b = malloc(nb + 1);
        CHECK_OK(mx_array_copy_to(w, a, nb));
        CHECK_OK(mx_array_copy_to(g, b, nb));
        CHECK(memcmp(a, b, nb) == 0);
        free(a);
        free(b);
    }
}

static void check_fn(mx_closure_fn fn, mx_dtype dt, int32_t n, bool donate) {
    mx_closure *f = fd_fn(fn), *cf = NULL;
    CHECK_OK(mx_compile(&cf, f, NULL));
    mx_vec in = {0}, want = {0}, got = {0}, tmp = {0};
    CHECK_OK(mx_vec_push(&in, fd_input(&n, 1, 0, 3, FD_DENSE, dt)));
    CHECK_OK(mx_vec_push(&in, fd_input(&n, 1, 0, 3, FD_DENSE, dt)));
    CHECK_OK(mx_closure_apply(f, &want, &in));
    CHECK_OK(mx_eval(want.data, (size_t)want.size));
    if (donate) {
        fresh(&tmp, &in);
        CHECK_OK(mx_closure_apply(cf, &got, &tmp));
        mx_vec_clear(&tmp); /* the fused node holds the only references now */
    } else {
        CHECK_OK(mx_closure_apply(cf, &got, &in));
    }
    CHECK_OK(mx_eval(got.data, (size_t)got.size));
    expect_bits(&want, &got);
    mx_vec_clear(&want);
    mx_vec_clear(&got);
    mx_vec_clear(&in);
    mx_closure_free(cf);
    mx_closure_free(f);
}

TEST(outputs_direct_and_streamed) {
    mx_closure_fn fns[2] = {f_outs, f_reread};
    mx_dtype dts[4] = {MX_FLOAT32, MX_FLOAT64, MX_INT8, MX_FLOAT16};
    int32_t sizes[7] = {1, 255, 256, 257, 2049, 5000, 70001};
    for (int pass = 0; pass < 2; pass++) {
        mxi_stream_set_threshold(pass ? 0 : -1);
        for (int w = 0; w < 2; w++)
            for (int d = 0; d < 4; d++)
                for (int s = 0; s < 7; s++)
                    for (int don = 0; don < 2; don++) check_fn(fns[w], dts[d], sizes[s], don);
    }
    mxi_stream_set_threshold(-1);
}

TEST(empty_and_scalar) {
    int32_t zero = 0;
    mx_closure *f = fd_fn(f_reread), *cf = NULL;
    CHECK_OK(mx_compile(&cf, f, NULL));
    mx_vec in = {0}, want = {0}, got = {0};
    CHECK_OK(mx_vec_push(&in, fd_input(&zero, 1, 0, 1, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_vec_push(&in, fd_input(&zero, 1, 0, 1, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_closure_apply(f, &want, &in));
    CHECK_OK(mx_closure_apply(cf, &got, &in));
    CHECK_OK(mx_eval(want.data, (size_t)want.size));
    CHECK_OK(mx_eval(got.data, (size_t)got.size));
    expect_bits(&want, &got);
    mx_vec_clear(&in);
    mx_vec_clear(&want);
    mx_vec_clear(&got);
    CHECK_OK(mx_vec_push(&in, fd_input(NULL, 0, 0, 1, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_vec_push(&in, fd_input(NULL, 0, 0, 1, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_closure_apply(f, &want, &in));
    CHECK_OK(mx_closure_apply(cf, &got, &in));
    CHECK_OK(mx_eval(want.data, (size_t)want.size));
    CHECK_OK(mx_eval(got.data, (size_t)got.size));
    expect_bits(&want, &got);
    mx_vec_clear(&in);
    mx_vec_clear(&want);
    mx_vec_clear(&got);
    mx_closure_free(cf);
    mx_closure_free(f);
}

int main(void) {
    RUN(outputs_direct_and_streamed);
    RUN(empty_and_scalar);
    return TEST_SUMMARY();
}
