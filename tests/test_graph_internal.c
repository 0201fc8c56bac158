/*
 * Graph internals that the public API does not reach yet: multi-output
 * nodes (siblings, stand-ins for outputs freed before eval), the primitive
 * table's equivalence and printing, tracers staying attached, and views
 * sharing buffers.
 */
#include "test.h"

#include "core/array_impl.h"
#include "core/stream.h"
#include "primitives/params.h"

/* A two-output kernel installed in place of a real one for these tests:
 * out0 = in + 1, out1 = in * 10 (float32, contiguous input). */
static int two_outputs_runs;
static int two_outputs_kernel(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    two_outputs_runs++;
    const mx_array *in = inputs[0];
    for (int o = 0; o < 2; o++) {
        int rc = mxi_alloc_data(outputs[o]);
        if (rc) return rc;
        const float *src = mxi_data(in);
        float *dst = mxi_data(outputs[o]);
        for (int64_t i = 0; i < in->size; i++) dst[i] = o == 0 ? src[i] + 1 : src[i] * 10;
    }
    return MX_OK;
}

static int make_pair(mx_array **pair, mx_array *in) {
    mx_dtype dtypes[2] = {MX_FLOAT32, MX_FLOAT32};
    const int32_t *shapes[2] = {in->shape, in->shape};
    int ndims[2] = {in->ndim, in->ndim};
    return mxi_make_node(pair, 2, dtypes, shapes, ndims, MXI_PRIM_MATMUL, NULL, 0, &in, 1, NULL);
}

TEST(multi_output_siblings) {
    mxi_eval_fn saved = mxi_primitives[MXI_PRIM_MATMUL].eval_cpu;
    mxi_primitives[MXI_PRIM_MATMUL].eval_cpu = two_outputs_kernel;
    float v[3] = {1, 2, 3};
    int32_t n = 3;
    mx_array *in = NULL;
    CHECK_OK(mx_array_from_data(&in, v, &n, 1, MX_FLOAT32));

    /* Both outputs kept: one run serves both. */
    mx_array *pair[2] = {NULL, NULL};
    two_outputs_runs = 0;
    CHECK_OK(make_pair(pair, in));
    CHECK(pair[0]->node == pair[1]->node && pair[1]->out_index == 1);
    CHECK_OK(mx_eval(&pair[0], 1));
    CHECK(mx_array_get_status(pair[1]) == MX_ARRAY_AVAILABLE);
    CHECK(two_outputs_runs == 1);
    CHECK(((const float *)mx_array_data(pair[0]))[2] == 4);
    CHECK(((const float *)mx_array_data(pair[1]))[2] == 30);
    CHECK(pair[0]->node == NULL && pair[1]->node == NULL);
    mx_array_free(pair[0]);
    mx_array_free(pair[1]);

    /* First output dropped before eval: the kernel still gets somewhere to
     * write it, and nothing leaks. */
    pair[0] = pair[1] = NULL;
    CHECK_OK(make_pair(pair, in));
    mx_array_free(pair[0]);
    CHECK(pair[1]->node->outputs[0] == NULL);
    CHECK_OK(mx_eval(&pair[1], 1));
    CHECK(((const float *)mx_array_data(pair[1]))[0] == 10);
    mx_array_free(pair[1]);

    /* Both dropped unevaluated: the node goes with them. */
    pair[0] = pair[1] = NULL;
    CHECK_OK(make_pair(pair, in));
    mx_array_free(pair[1]);
    mx_array_free(pair[0]);

    mx_array_free(in);
    mxi_primitives[MXI_PRIM_MATMUL].eval_cpu = saved;
}

/* While a transform traces, tracers keep their graph through eval and pass
 * the mark on to what is built from them; otherwise eval detaches them. */
TEST(tracers_stay_attached) {
    mx_array *a = NULL, *b = NULL, *c = NULL, *one = NULL;
    CHECK_OK(mx_array_from_float(&a, 2, MX_FLOAT32));
    CHECK_OK(mx_array_from_float(&one, 1, MX_FLOAT32));
    atomic_fetch_add(&mxi_tracing, 1);
    CHECK_OK(mx_add(&b, a, one, NULL));
    b->tracer = true;
    CHECK_OK(mx_add(&c, b, one, NULL));
    CHECK(c->tracer);
    CHECK_OK(mx_eval(&b, 1));
    CHECK(b->node != NULL && b->node->inputs[0] == a);
    atomic_fetch_sub(&mxi_tracing, 1);
    double v;
    CHECK_OK(mx_array_item_double(&v, b));
    CHECK(v == 3);
    CHECK_OK(mx_eval(&c, 1));
    CHECK(c->node == NULL);
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(c);
    mx_array_free(one);
}

TEST(equivalence_and_printing) {
    int32_t shape[2] = {2, 3};
    mx_array *x = NULL, *s1 = NULL, *s2 = NULL, *s3 = NULL;
    CHECK_OK(mx_zeros(&x, shape, 2, MX_FLOAT32, NULL));
    int ax0 = 0, ax1 = 1;
    CHECK_OK(mx_sum_axes(&s1, x, &ax0, 1, true, NULL));
    CHECK_OK(mx_sum_axes(&s2, x, &ax0, 1, true, NULL));
    CHECK_OK(mx_sum_axes(&s3, x, &ax1, 1, true, NULL));
    CHECK(mxi_node_equivalent(s1->node, s2->node));
    CHECK(!mxi_node_equivalent(s1->node, s3->node));
    char buf[64];
    mxi_node_describe(s3->node, buf, sizeof buf);
    CHECK(strcmp(buf, "Reduce sum axes=(1)") == 0);
    mxi_node_describe(x->node, buf, sizeof buf);
    CHECK(strcmp(buf, "Full") == 0);
    for (int k = 0; k < MXI_PRIM_COUNT; k++) {
        CHECK(mxi_primitives[k].name != NULL);
        CHECK(mxi_primitives[k].eval_cpu != NULL);
        CHECK(mxi_primitives[k].eval_gpu == NULL);
    }
    mx_array_free(x);
    mx_array_free(s1);
    mx_array_free(s2);
    mx_array_free(s3);
}

TEST(views_share_buffers) {
    int32_t shape[2] = {4, 6};
    mx_array *x = NULL, *t = NULL, *r = NULL, *sl = NULL, *b = NULL;
    CHECK_OK(mx_arange(&x, 0, 24, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_reshape(&x, x, shape, 2, NULL));
    CHECK_OK(mx_transpose(&t, x, NULL, 0, NULL));
    int32_t start[2] = {3, 1}, stop[2] = {-5, 6}, step[2] = {-1, 2};
    CHECK_OK(mx_slice(&sl, x, start, stop, step, 2, NULL));
    int32_t bshape[3] = {2, 4, 6};
    CHECK_OK(mx_broadcast_to(&b, x, bshape, 3, NULL));
    mx_array *all[4] = {x, t, sl, b};
    CHECK_OK(mx_eval(all, 4));
    CHECK(t->buffer == x->buffer && sl->buffer == x->buffer && b->buffer == x->buffer);
    CHECK(t->strides[0] == 1 && t->strides[1] == 6);
    CHECK(b->strides[0] == 0);
    CHECK(!mx_array_is_row_contiguous(t));
    /* Reading back a view writes row-major order whatever the strides. */
    float tv[24];
    CHECK_OK(mx_array_copy_to(t, tv, sizeof tv));
    CHECK(tv[1] == 6 && tv[4] == 1 && tv[23] == 23);
    float sv[12];
    CHECK(sl->shape[0] == 4 && sl->shape[1] == 3);
    CHECK_OK(mx_array_copy_to(sl, sv, sizeof sv));
    CHECK(sv[0] == 19 && sv[1] == 21 && sv[3] == 13 && sv[11] == 5);
    /* A reshape of a transposed array cannot be a view: it copies. */
    int32_t flat = 24;
    CHECK_OK(mx_reshape(&r, t, &flat, 1, NULL));
    CHECK_OK(mx_eval(&r, 1));
    CHECK(r->buffer != x->buffer && mx_array_is_row_contiguous(r));
    CHECK(((const float *)mx_array_data(r))[1] == 6);
    mx_array_free(x);
    mx_array_free(t);
    mx_array_free(r);
    mx_array_free(sl);
    mx_array_free(b);
}

/* A stand-in GPU backend: shows a device type can be added without touching
 * the core. It shares memory with the CPU, so it can reuse the CPU kernels. */
static int fake_gpu_kernel_calls;
static int fake_gpu_count(void) {
    return 1;
}
static void fake_gpu_describe(int index, char *buf, size_t len) {
    snprintf(buf, len, "device_name=fake-gpu-%d", index);
}
static int fake_gpu_add(mxi_node *n, mx_array *const *in, mx_array *const *out) {
    fake_gpu_kernel_calls++;
    return mxi_primitives[MXI_PRIM_ADD].eval_cpu(n, in, out);
}
static mxi_eval_fn fake_gpu_kernel(mxi_prim_kind kind) {
    return kind == MXI_PRIM_ADD ? fake_gpu_add : NULL;
}
static const mxi_backend fake_gpu = {"gpu", fake_gpu_count, fake_gpu_describe, fake_gpu_kernel,
                                     NULL};

TEST(gpu_backend_registration) {
    mxi_register_backend(MX_GPU, &fake_gpu);
    mx_device gpu = {MX_GPU, 0};
    CHECK(mx_device_count(MX_GPU) == 1 && mx_device_is_available(gpu));
    CHECK(mx_default_device().type == MX_GPU);
    char info[64];
    CHECK_OK(mx_device_info(gpu, info, sizeof info));
    CHECK(strcmp(info, "device_name=fake-gpu-0") == 0);
    mx_stream gs;
    CHECK_OK(mx_default_stream(&gs, gpu));
    CHECK(gs.device.type == MX_GPU);
    float v[2] = {1, 2};
    mx_array *a = test_vec_f32(v, 2), *b = NULL, *c = NULL;
    fake_gpu_kernel_calls = 0;
    CHECK_OK(mx_add(&b, a, a, NULL)); /* default device: the gpu */
    float out[2];
    test_read_f32(b, out, 2);
    CHECK(out[0] == 2 && out[1] == 4 && fake_gpu_kernel_calls == 1);
    /* A primitive the backend lacks fails at eval with a clear message. */
    CHECK_OK(mx_multiply(&c, a, a, &gs));
    CHECK_ERR(mx_eval(&c, 1), MX_ERR_RUNTIME);
    CHECK(strstr(mx_last_error(), "Multiply") && strstr(mx_last_error(), "gpu"));
    mxi_register_backend(MX_GPU, NULL);
    CHECK(mx_default_device().type == MX_CPU && mx_device_count(MX_GPU) == 0);
    CHECK_ERR(mx_add(&b, a, a, &gs), MX_ERR_VALUE); /* its device is gone */
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(c);
}

int main(void) {
    RUN(multi_output_siblings);
    RUN(tracers_stay_attached);
    RUN(equivalence_and_printing);
    RUN(views_share_buffers);
    RUN(gpu_backend_registration);
    return TEST_SUMMARY();
}
