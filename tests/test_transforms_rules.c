/*
 * Every differentiable primitive: vjp and jvp against central differences
 * in float64 (float32 where the op has no float64), on random dense,
 * transposed and broadcast inputs.
 */
#include "transforms_ops.h"

static void run_case(const fd_case *k, int layout, mx_dtype dt, double eps, double tol) {
    mx_vec x = {0};
    for (int i = 0; i < k->n; i++) {
        /* broadcast views need a leading axis > 1 to mean anything */
        int lay = layout;
        if (k->ndims[i] < 2 || k->shapes[i][0] == 1) lay = FD_DENSE;
        CHECK_OK(mx_vec_push(&x, fd_input(k->shapes[i], k->ndims[i], k->lo, k->hi, lay, dt)));
    }
    mx_closure *f = NULL;
    CHECK_OK(mx_closure_new(&f, apply, (void *)(intptr_t)k->op, NULL));
    char name[96];
    snprintf(name, sizeof name, "%s (%s)", k->name,
             layout == FD_DENSE        ? "dense"
             : layout == FD_TRANSPOSED ? "transposed"
                                       : "broadcast");
    fd_check(name, f, &x, eps, tol);
    mx_closure_free(f);
    mx_vec_clear(&x);
}

TEST(every_primitive_against_differences) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int layout = FD_DENSE; layout <= FD_BROADCAST; layout++)
            run_case(&cases[i], layout, MX_FLOAT64, 1e-6, 1e-6);
}

TEST(float32_primitives_against_differences) {
    for (size_t i = 0; i < sizeof f32_cases / sizeof *f32_cases; i++)
        for (int layout = FD_DENSE; layout <= FD_BROADCAST; layout++)
            run_case(&f32_cases[i], layout, MX_FLOAT64, 1e-1, 1e-4);
}

TEST(uniform_parameters_float32) {
    fd_case k = {"uniform", OP_UNIFORM, 2, {{3, 4}, {4}}, {2, 1}, 0, 0};
    mx_vec x = {0};
    CHECK_OK(mx_vec_push(&x, fd_input(k.shapes[0], 2, -2, -1, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_vec_push(&x, fd_input(k.shapes[1], 1, 1, 2, FD_DENSE, MX_FLOAT32)));
    mx_closure *f = NULL;
    CHECK_OK(mx_closure_new(&f, apply, (void *)(intptr_t)OP_UNIFORM, NULL));
    fd_check("uniform", f, &x, 1e-2, 2e-2);
    mx_closure_free(f);
    mx_vec_clear(&x);
}

/* Whether the op has kinks (ties, sort order, clipping): large float32
 * steps could cross one, so the float32 pass leaves them to float64. */
static bool has_kinks(int op) {
    switch (op) {
    case OP_ABS:
    case OP_CLIP:
    case OP_REM:
    case OP_MAXIMUM:
    case OP_MINIMUM:
    case OP_WHERE:
    case OP_MAX:
    case OP_MIN:
    case OP_MEDIAN:
    case OP_CUMMAX:
    case OP_CUMMIN_REV:
    case OP_CUMMAX_EXCL:
    case OP_SORT:
    case OP_PARTITION:
    case OP_TOPK:
    case OP_SCATTER_MAX:
    case OP_SLICE_UPDATE_MIN:
        return true;
    default:
        return false;
    }
}

/* The smooth ones in float32: cotangents and tangents keep the dtype (steps
 * and tolerances sized for float32). */
TEST(every_primitive_float32) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (!has_kinks(cases[i].op)) run_case(&cases[i], FD_DENSE, MX_FLOAT32, 1e-2, 3e-2);
}

/* Second order: the gradient of x -> sum_j <c_j, f_j(x)> is itself checked
 * against differences, so every rule must build differentiable graph. */
typedef struct weighted {
    int op;
    mx_vec c;
} weighted;

static int weighted_sum(mx_vec *o, const mx_vec *in, void *payload) {
    weighted *w = payload;
    mx_vec outs = {0};
    int rc = apply(&outs, in, (void *)(intptr_t)w->op);
    mx_array *acc = NULL;
    for (int j = 0; j < outs.size && !rc; j++) {
        mx_array *m = NULL, *s = NULL;
        rc = mx_multiply(&m, outs.data[j], w->c.data[j], NULL);
        if (!rc) rc = mx_sum(&s, m, false, NULL);
        if (!rc && acc)
            rc = mx_add(&acc, acc, s, NULL);
        else if (!rc)
            acc = mx_array_retain(s);
        mx_array_free(m);
        mx_array_free(s);
    }
    mx_vec_clear(&outs);
    if (rc) {
        mx_array_free(acc);
        return rc;
    }
    return mx_vec_push(o, acc);
}

static void second_order_case(const fd_case *k, double eps, double tol) {
    {
        mx_vec x = {0}, outs = {0};
        for (int j = 0; j < k->n; j++)
            CHECK_OK(mx_vec_push(
                &x, fd_input(k->shapes[j], k->ndims[j], k->lo, k->hi, FD_DENSE, MX_FLOAT64)));
        weighted w = {k->op, {0}};
        CHECK_OK(apply(&outs, &x, (void *)(intptr_t)k->op));
        for (int j = 0; j < outs.size; j++)
            CHECK_OK(mx_vec_push(&w.c, fd_like(outs.data[j], -1, 1)));
        mx_closure *f = NULL, *g = NULL;
        int args[3] = {0, 1, 2};
        CHECK_OK(mx_closure_new(&f, weighted_sum, &w, NULL));
        CHECK_OK(mx_grad_fn(&g, f, args, k->n));
        char name[96];
        snprintf(name, sizeof name, "grad of %s", k->name);
        fd_check(name, g, &x, eps, tol);
        mx_closure_free(g);
        mx_closure_free(f);
        mx_vec_clear(&w.c);
        mx_vec_clear(&outs);
        mx_vec_clear(&x);
    }
}

TEST(second_order) {
    /* the vjp of the singular values needs the vectors, which have none */
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        if (cases[i].op != OP_SVD_VALUES) second_order_case(&cases[i], 1e-6, 1e-5);
    for (size_t i = 0; i < sizeof f32_cases / sizeof *f32_cases; i++)
        second_order_case(&f32_cases[i], 1e-1, 1e-4);
}

/* float64 -> float32 -> float64: steps large against float32 rounding. */
TEST(astype_roundtrip) {
    fd_case k = {"astype", OP_ASTYPE, 1, {{3, 4}}, {2}, -2, 2};
    for (int layout = FD_DENSE; layout <= FD_BROADCAST; layout++)
        run_case(&k, layout, MX_FLOAT64, 1e-2, 1e-4);
}

TEST(truncated_normal_bounds_float32) {
    int32_t s1[2] = {3, 4}, s2 = 4;
    mx_vec x = {0};
    CHECK_OK(mx_vec_push(&x, fd_input(s1, 2, -1.5, -0.5, FD_DENSE, MX_FLOAT32)));
    CHECK_OK(mx_vec_push(&x, fd_input(&s2, 1, 0.5, 1.5, FD_DENSE, MX_FLOAT32)));
    mx_closure *f = NULL;
    CHECK_OK(mx_closure_new(&f, apply, (void *)(intptr_t)OP_TRUNCATED_NORMAL, NULL));
    fd_check("truncated_normal", f, &x, 1e-2, 3e-2);
    mx_closure_free(f);
    mx_vec_clear(&x);
}

int main(void) {
    RUN(every_primitive_against_differences);
    RUN(astype_roundtrip);
    RUN(every_primitive_float32);
    RUN(float32_primitives_against_differences);
    RUN(second_order);
    RUN(uniform_parameters_float32);
    RUN(truncated_normal_bounds_float32);
    return TEST_SUMMARY();
}
