/*
 * Checkpointing an MLP with weights: value_and_grad of a tanh MLP (loss the
 * sum of the last layer's output; gradients for the input and every weight)
 * plainly, with each layer checkpointed and with blocks of layers
 * checkpointed. The gradients agree, and the peak memory of the checkpointed
 * runs is lower whatever order the gradients are evaluated in (the weights'
 * gradients are separate roots, which used to keep every recomputed
 * activation alive until the end).
 */
#include "transforms_fd.h"

enum { BATCH = 256, WIDTH = 64, LAYERS = 8 };

/* [h, W_1..W_k] -> tanh(...tanh(h W_1)... W_k) */
static int f_block(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *h = mx_array_retain(in->data[0]);
    int rc = MX_OK;
    for (int i = 1; i < in->size && !rc; i++) {
        mx_array *z = NULL, *t = NULL;
        rc = mx_matmul(&z, h, in->data[i], NULL);
        if (!rc) rc = mx_tanh(&t, z, NULL);
        mx_array_free(z);
        mx_array_free(h);
        h = t;
    }
    if (!rc) return mx_vec_push(o, h);
    mx_array_free(h);
    return rc;
}

typedef struct model {
    mx_closure *block;
    int per_block;
} model;

static int f_model(mx_vec *o, const mx_vec *in, void *p) {
    const model *m = p;
    mx_array *h = mx_array_retain(in->data[0]);
    int rc = MX_OK;
    for (int i = 1; i < in->size && !rc; i += m->per_block) {
        mx_vec args = {0}, res = {0};
        rc = mx_vec_append(&args, h);
        for (int k = i; k < i + m->per_block && k < in->size && !rc; k++)
            rc = mx_vec_append(&args, in->data[k]);
        if (!rc) rc = mx_closure_apply(m->block, &res, &args);
        mx_array_free(h);
        h = rc ? NULL : mx_array_retain(res.data[0]);
        mx_vec_clear(&args);
        mx_vec_clear(&res);
    }
    mx_array *s = NULL;
    if (!rc) rc = mx_sum(&s, h, false, NULL);
    mx_array_free(h);
    return rc ? rc : mx_vec_push(o, s);
}

/* [x, W_1..W_LAYERS], the weights scaled to keep tanh out of saturation */
static void make_inputs(mx_vec *in) {
    int32_t xs[2] = {BATCH, WIDTH}, ws[2] = {WIDTH, WIDTH};
    CHECK_OK(mx_vec_push(in, fd_input(xs, 2, -1.5, 1.5, FD_DENSE, MX_FLOAT32)));
    double s = 1.5 / sqrt((double)WIDTH);
    for (int i = 0; i < LAYERS; i++)
        CHECK_OK(mx_vec_push(in, fd_input(ws, 2, -s, s, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_eval(in->data, (size_t)in->size));
}

/* Peak memory above what was live before value_and_grad (the same order of
 * nodes every time; when a worker frees a buffer moves it by an array or
 * two, hence the margins of the checks), the loss and the
 * gradients (new references in *grads). reverse: evaluate the gradients
 * last weight first. */
static size_t run(const model *m, const mx_vec *in, bool reverse, double *loss, mx_vec *grads) {
    mx_closure *f = NULL;
    CHECK_OK(mx_closure_new(&f, f_model, (void *)m, NULL));
    int argnums[LAYERS + 1];
    for (int i = 0; i <= LAYERS; i++) argnums[i] = i;
    mx_vec vals = {0};
    mx_clear_cache();
    size_t base = mx_get_active_memory();
    mx_reset_peak_memory();
    CHECK_OK(mx_value_and_grad(&vals, grads, f, in, argnums, LAYERS + 1));
    size_t peak = 0;
    if (vals.size == 1 && grads->size == LAYERS + 1) {
        mx_array *roots[LAYERS + 2];
        roots[0] = vals.data[0];
        for (int i = 0; i <= LAYERS; i++) roots[1 + i] = grads->data[reverse ? LAYERS - i : i];
        CHECK_OK(mx_eval(roots, LAYERS + 2));
        peak = mx_get_peak_memory() - base;
        CHECK_OK(mx_array_item_double(loss, vals.data[0]));
    }
    mx_vec_clear(&vals);
    mx_closure_free(f);
    return peak;
}

static void expect_same_grads(const mx_vec *a, const mx_vec *b) {
    CHECK(a->size == b->size);
    for (int i = 0; i < a->size && i < b->size; i++) {
        double *x = fd_read(a->data[i]), *y = fd_read(b->data[i]);
        size_t n = mx_array_size(a->data[i]);
        double scale = 0;
        for (size_t k = 0; k < n; k++) scale = fmax(scale, fabs(x[k]));
        CHECK(scale > 0);
        for (size_t k = 0; k < n; k++) CHECK_NEAR(x[k], y[k], 1e-5 * scale);
        free(x);
        free(y);
    }
}

TEST(checkpointed_mlp_gradients_and_peak) {
    mx_vec in = {0};
    make_inputs(&in);
    mx_closure *block = fd_fn(f_block), *ck = NULL;
    CHECK_OK(mx_checkpoint(&ck, block));
    model plain = {block, LAYERS}, each = {ck, 1}, blocks = {ck, 4};
    for (int rev = 0; rev < 2; rev++) {
        mx_vec g0 = {0}, g1 = {0}, g2 = {0};
        double l0 = 0, l1 = 1, l2 = 2;
        size_t p0 = run(&plain, &in, rev, &l0, &g0);
        size_t p1 = run(&each, &in, rev, &l1, &g1);
        size_t p2 = run(&blocks, &in, rev, &l2, &g2);
        CHECK_NEAR(l1, l0, 1e-5 * (1 + fabs(l0)));
        CHECK_NEAR(l2, l0, 1e-5 * (1 + fabs(l0)));
        expect_same_grads(&g0, &g1);
        expect_same_grads(&g0, &g2);
        printf("MLP of %d layers, %s order: peak %zu KiB plain, %zu KiB each layer "
               "checkpointed, %zu KiB blocks of 4\n",
               LAYERS, rev ? "reversed" : "argument", p0 >> 10, p1 >> 10, p2 >> 10);
        /* In the argument order the plain run keeps every layer's cotangent
         * for its weight's gradient until the end; the checkpoints compute
         * theirs together. Evaluated last layer first, the plain run needs
         * little more than its saved outputs, which checkpointing each layer
         * keeps too: only blocks save there. */
        if (!rev) {
            CHECK(p1 * 4 < p0 * 3);
            CHECK(p2 * 2 < p0);
        } else {
            CHECK(p1 * 4 <= p0 * 5);
            CHECK(p2 * 5 < p0 * 4);
        }
        mx_vec_clear(&g0);
        mx_vec_clear(&g1);
        mx_vec_clear(&g2);
    }
    mx_closure_free(ck);
    mx_closure_free(block);
    mx_vec_clear(&in);
}

/* sum of the first output of the closure in p */
static int f_sum_of(mx_vec *o, const mx_vec *in, void *p) {
    mx_vec r = {0};
    mx_array *s = NULL;
    int rc = mx_closure_apply(p, &r, in);
    if (!rc) rc = mx_sum(&s, r.data[0], false, NULL);
    mx_vec_clear(&r);
    return rc ? rc : mx_vec_push(o, s);
}

/* Only the input's gradient, and a gradient of a gradient: nothing to tie,
 * the values still match the plain function's. */
TEST(checkpointed_mlp_input_grad_and_second_order) {
    mx_vec in = {0};
    make_inputs(&in);
    mx_closure *block = fd_fn(f_block), *ck = NULL;
    CHECK_OK(mx_checkpoint(&ck, block));
    model plain = {block, LAYERS}, blocks = {ck, 2};
    mx_closure *fp = NULL, *fb = NULL, *gp = NULL, *gb = NULL;
    CHECK_OK(mx_closure_new(&fp, f_model, &plain, NULL));
    CHECK_OK(mx_closure_new(&fb, f_model, &blocks, NULL));
    int a0 = 0;
    mx_vec r0 = {0}, r1 = {0};
    CHECK_OK(mx_grad(&r0, fp, &in, &a0, 1));
    CHECK_OK(mx_grad(&r1, fb, &in, &a0, 1));
    expect_same_grads(&r0, &r1);
    mx_vec_clear(&r0);
    mx_vec_clear(&r1);
    /* d/dW_1 of sum(d loss / d x): the checkpoint's vjp differentiated */
    int a1 = 1;
    mx_closure *sp = NULL, *sb = NULL;
    CHECK_OK(mx_grad_fn(&gp, fp, &a0, 1));
    CHECK_OK(mx_grad_fn(&gb, fb, &a0, 1));
    CHECK_OK(mx_closure_new(&sp, f_sum_of, gp, NULL));
    CHECK_OK(mx_closure_new(&sb, f_sum_of, gb, NULL));
    CHECK_OK(mx_grad(&r0, sp, &in, &a1, 1));
    CHECK_OK(mx_grad(&r1, sb, &in, &a1, 1));
    expect_same_grads(&r0, &r1);
    mx_vec_clear(&r0);
    mx_vec_clear(&r1);
    mx_closure_free(sp);
    mx_closure_free(sb);
    mx_closure_free(gp);
    mx_closure_free(gb);
    mx_closure_free(fp);
    mx_closure_free(fb);
    mx_closure_free(ck);
    mx_closure_free(block);
    mx_vec_clear(&in);
}

TEST(checkpoint_wrong_calls) {
    mx_closure *c = NULL;
    CHECK_ERR(mx_checkpoint(&c, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_checkpoint(NULL, NULL), MX_ERR_VALUE);
}

int main(void) {
    RUN(checkpointed_mlp_gradients_and_peak);
    RUN(checkpointed_mlp_input_grad_and_second_order);
    RUN(checkpoint_wrong_calls);
    return TEST_SUMMARY();
}
