/*
 * vmap against a loop over the mapped axis for every primitive, for several
 * in_axes and out_axes;
 * grad of vmap and vmap of grad; wrong calls.
 */
#include "transforms_ops.h"

#define B 3

static void expect_close(const char *name, mx_array *a, mx_array *b) {
    CHECK(mx_array_ndim(a) == mx_array_ndim(b));
    for (int d = 0; d < mx_array_ndim(a) && d < mx_array_ndim(b); d++)
        CHECK(mx_array_shape(a)[d] == mx_array_shape(b)[d]);
    if (mx_array_size(a) != mx_array_size(b)) return;
    double *x = fd_read(a), *y = fd_read(b);
    for (size_t i = 0; i < mx_array_size(a); i++)
        if (!(fabs(x[i] - y[i]) <= 1e-9 * (1 + fabs(y[i])))) {
            fprintf(stderr, "  %s: vmap [%zu] = %.17g, loop %.17g\n", name, i, x[i], y[i]);
            test_failures_in_current++;
            break;
        }
    free(x);
    free(y);
}

/* vmap(f, in_axes, out_axis)(inputs) against stacking f over the slices. */
static void check_vmap(const char *name, mx_closure *f, const mx_vec *in, const int *in_axes,
                       int out_axis) {
    mx_closure *v = NULL;
    mx_vec got = {0};
    CHECK_OK(mx_vmap(&v, f, in_axes, in->size, &out_axis, 1));
    mx_clear_error();
    int rc = mx_closure_apply(v, &got, in);
    if (rc) {
        fprintf(stderr, "  %s: vmap failed: %s\n", name, mx_last_error());
        test_failures_in_current++;
        mx_closure_free(v);
        return;
    }
    mx_vec per[B] = {{0}};
    for (int b = 0; b < B; b++) {
        mx_vec slice = {0};
        for (int i = 0; i < in->size; i++) {
            mx_array *s = NULL;
            if (in_axes[i] == MX_VMAP_NONE)
                s = mx_array_retain(in->data[i]);
            else
                CHECK_OK(mx_take_index_axis(&s, in->data[i], b, in_axes[i], NULL));
            CHECK_OK(mx_vec_push(&slice, s));
        }
        CHECK_OK(mx_closure_apply(f, &per[b], &slice));
        mx_vec_clear(&slice);
    }
    CHECK(got.size == per[0].size);
    for (int j = 0; j < got.size && j < per[0].size; j++) {
        mx_array *parts[B], *want = NULL;
        for (int b = 0; b < B; b++) parts[b] = per[b].data[j];
        CHECK_OK(mx_stack(&want, (const mx_array *const *)parts, B, out_axis, NULL));
        expect_close(name, got.data[j], want);
        mx_array_free(want);
    }
    for (int b = 0; b < B; b++) mx_vec_clear(&per[b]);
    mx_vec_clear(&got);
    mx_closure_free(v);
}

/* Inputs of the case with a batch of B inserted at axes[i] (or none). */
static void batched_inputs(mx_vec *in, const fd_case *k, const int *axes, int layout) {
    for (int i = 0; i < k->n; i++) {
        int32_t shape[4];
        int nd = k->ndims[i], at = axes[i];
        if (at == MX_VMAP_NONE) {
            memcpy(shape, k->shapes[i], sizeof(int32_t) * (size_t)nd);
        } else {
            if (at < 0) at += nd + 1;
            for (int d = 0, s = 0; d <= nd; d++) shape[d] = d == at ? B : k->shapes[i][s++];
            nd++;
        }
        CHECK_OK(mx_vec_push(in, fd_input(shape, nd, k->lo, k->hi, layout, MX_FLOAT64)));
    }
}

static void vmap_case(const fd_case *k) {
    static const int choices[3][3] = {{0, 0, 0}, {-1, MX_VMAP_NONE, -1}, {1, 0, MX_VMAP_NONE}};
    {
        mx_closure *f = NULL;
        CHECK_OK(mx_closure_new(&f, apply, (void *)(intptr_t)k->op, NULL));
        for (int ch = 0; ch < 3; ch++) {
            int axes[3];
            for (int i = 0; i < 3; i++) axes[i] = choices[ch][i];
            if (k->n == 1 && axes[0] == MX_VMAP_NONE) axes[0] = 0;
            bool any = false;
            for (int i = 0; i < k->n; i++) any |= axes[i] != MX_VMAP_NONE;
            if (!any) axes[0] = 0;
            mx_vec in = {0};
            batched_inputs(&in, k, axes, ch == 1 ? FD_TRANSPOSED : FD_DENSE);
            char name[96];
            snprintf(name, sizeof name, "%s (in_axes choice %d)", k->name, ch);
            check_vmap(name, f, &in, axes, ch == 2 ? -1 : 0);
            mx_vec_clear(&in);
        }
        mx_closure_free(f);
    }
}

TEST(every_rule_against_a_loop) {
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) vmap_case(&cases[c]);
    for (size_t c = 0; c < sizeof f32_cases / sizeof *f32_cases; c++) vmap_case(&f32_cases[c]);
    /* factorizations with vmap and no derivative */
    static const fd_case more[] = {
        {"lu_factor", OP_LU_FACTOR, 1, {{3, 3}}, {2}, -2, 2},
        {"eigvals", OP_EIGVALS, 1, {{3, 3}}, {2}, -2, 2},
        {"svd", OP_SVD_FULL, 1, {{3, 4}}, {2}, -2, 2},
    };
    for (size_t c = 0; c < sizeof more / sizeof *more; c++) vmap_case(&more[c]);
}

static int f_sin_sum(mx_vec *o, const mx_vec *in, void *p) {
    mx_closure *vs = p;
    mx_vec r = {0};
    int rc = mx_closure_apply(vs, &r, in);
    mx_array *s = NULL;
    if (!rc) rc = mx_sum(&s, r.data[0], false, NULL);
    mx_vec_clear(&r);
    return rc ? rc : mx_vec_push(o, s);
}

static int f_cube_sum(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *c = NULL, *s = NULL, *k = NULL;
    int rc = mx_array_from_float(&k, 3.0, MX_FLOAT64);
    if (!rc) rc = mx_power(&c, in->data[0], k, NULL);
    if (!rc) rc = mx_sum(&s, c, false, NULL);
    mx_array_free(c);
    mx_array_free(k);
    return rc ? rc : mx_vec_push(o, s);
}

TEST(composition_with_grad) {
    int32_t shape[2] = {B, 4};
    mx_vec in = {0}, out = {0}, grads = {0};
    CHECK_OK(mx_vec_push(&in, fd_input(shape, 2, -2, 2, FD_DENSE, MX_FLOAT64)));
    /* grad of vmap: d/dx sum(vmap(sin)(x)) = cos(x) */
    mx_closure *sinf = NULL, *vs = NULL, *f = NULL;
    CHECK_OK(mx_closure_new(&sinf, apply, (void *)(intptr_t)OP_SIN, NULL));
    int a0 = 0, a1 = 1;
    CHECK_OK(mx_vmap(&vs, sinf, &a1, 1, &a0, 1));
    CHECK_OK(mx_closure_new(&f, f_sin_sum, vs, NULL));
    CHECK_OK(mx_grad(&grads, f, &in, &a0, 1));
    mx_array *c = NULL;
    CHECK_OK(mx_cos(&c, in.data[0], NULL));
    if (grads.size == 1) expect_close("grad of vmap", grads.data[0], c);
    /* vmap of grad: rows of 3 x^2 */
    mx_closure *cube = fd_fn(f_cube_sum), *g = NULL, *vg = NULL;
    CHECK_OK(mx_grad_fn(&g, cube, &a0, 1));
    CHECK_OK(mx_vmap(&vg, g, &a0, 1, &a0, 1));
    CHECK_OK(mx_closure_apply(vg, &out, &in));
    mx_array *x2 = NULL, *three = NULL, *want = NULL;
    CHECK_OK(mx_square(&x2, in.data[0], NULL));
    CHECK_OK(mx_array_from_float(&three, 3.0, MX_FLOAT64));
    CHECK_OK(mx_multiply(&want, x2, three, NULL));
    if (out.size == 1) expect_close("vmap of grad", out.data[0], want);
    /* nested vmap: over both axes */
    mx_closure *vv = NULL, *v0 = NULL;
    CHECK_OK(mx_vmap(&v0, sinf, &a0, 1, &a0, 1));
    CHECK_OK(mx_vmap(&vv, v0, &a0, 1, &a0, 1));
    CHECK_OK(mx_closure_apply(vv, &out, &in));
    mx_array *s = NULL;
    CHECK_OK(mx_sin(&s, in.data[0], NULL));
    if (out.size == 1) expect_close("vmap of vmap", out.data[0], s);
    /* a custom function under vmap computes its function */
    mx_closure *cf = NULL, *vc = NULL;
    CHECK_OK(mx_custom_function(&cf, sinf, NULL, NULL));
    CHECK_OK(mx_vmap(&vc, cf, &a1, 1, &a1, 1));
    CHECK_OK(mx_closure_apply(vc, &out, &in));
    if (out.size == 1) expect_close("vmap of a custom function", out.data[0], s);
    mx_closure_free(vc);
    mx_closure_free(cf);
    mx_array_free(s);
    mx_closure_free(vv);
    mx_closure_free(v0);
    mx_array_free(x2);
    mx_array_free(three);
    mx_array_free(want);
    mx_array_free(c);
    mx_closure_free(g);
    mx_closure_free(vg);
    mx_closure_free(cube);
    mx_closure_free(f);
    mx_closure_free(vs);
    mx_closure_free(sinf);
    mx_vec_clear(&grads);
    mx_vec_clear(&out);
    mx_vec_clear(&in);
}

static int f_const(mx_vec *o, const mx_vec *in, void *p) {
    (void)p, (void)in;
    mx_array *k = NULL;
    int rc = mx_array_from_float(&k, 2.0, MX_FLOAT64);
    return rc ? rc : mx_vec_push(o, k);
}

TEST(wrong_calls_and_independent_outputs) {
    int32_t s1[2] = {B, 4}, s2[2] = {B + 1, 4};
    mx_vec in = {0}, out = {0};
    CHECK_OK(mx_vec_push(&in, fd_input(s1, 2, -1, 1, FD_DENSE, MX_FLOAT64)));
    CHECK_OK(mx_vec_push(&in, fd_input(s2, 2, -1, 1, FD_DENSE, MX_FLOAT64)));
    mx_closure *add = NULL, *v = NULL;
    CHECK_OK(mx_closure_new(&add, apply, (void *)(intptr_t)OP_ADD, NULL));
    int ax[2] = {0, 0}, none[2] = {MX_VMAP_NONE, MX_VMAP_NONE}, bad[2] = {2, 0}, o0 = 0;
    CHECK_OK(mx_vmap(&v, add, ax, 2, &o0, 1));
    CHECK_ERR(mx_closure_apply(v, &out, &in), MX_ERR_VALUE); /* sizes 3 and 4 */
    mx_closure_free(v);
    v = NULL;
    CHECK_OK(mx_vmap(&v, add, none, 2, &o0, 1));
    CHECK_ERR(mx_closure_apply(v, &out, &in), MX_ERR_VALUE);
    mx_closure_free(v);
    v = NULL;
    CHECK_OK(mx_vmap(&v, add, bad, 2, &o0, 1));
    CHECK_ERR(mx_closure_apply(v, &out, &in), MX_ERR_VALUE);
    mx_closure_free(v);
    v = NULL;
    CHECK_OK(mx_vmap(&v, add, ax, 1, &o0, 1));
    CHECK_ERR(mx_closure_apply(v, &out, &in), MX_ERR_VALUE); /* 1 axis, 2 inputs */
    mx_closure_free(v);
    v = NULL;
    CHECK_ERR(mx_vmap(&v, add, ax, 2, NULL, 0), MX_ERR_VALUE);
    /* an output that ignores the inputs is broadcast along the batch */
    mx_closure *k = fd_fn(f_const);
    CHECK_OK(mx_vmap(&v, k, ax, 1, &o0, 1));
    mx_vec one = {0};
    CHECK_OK(mx_vec_append(&one, in.data[0]));
    CHECK_OK(mx_closure_apply(v, &out, &one));
    if (out.size == 1) {
        CHECK(mx_array_ndim(out.data[0]) == 1 && mx_array_shape(out.data[0])[0] == B);
        double *r = fd_read(out.data[0]);
        for (int i = 0; i < B; i++) CHECK_NEAR(r[i], 2.0, 0);
        free(r);
    }
    mx_vec_clear(&one);
    mx_closure_free(k);
    mx_closure_free(v);
    mx_closure_free(add);
    mx_vec_clear(&out);
    mx_vec_clear(&in);
}

int main(void) {
    RUN(every_rule_against_a_loop);
    RUN(composition_with_grad);
    RUN(wrong_calls_and_independent_outputs);
    return TEST_SUMMARY();
}
