/*
 * The transforms' API: grad and value_and_grad (argnums, auxiliary
 * outputs, wrong calls), composition (grad of grad), stop_gradient, eval
 * inside a traced function, custom functions, checkpoint memory, long
 * graphs.
 */
#include "transforms_fd.h"

static mx_array *vec64(const double *v, int32_t n) {
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, v, &n, 1, MX_FLOAT64));
    return a;
}

static void expect_values(mx_array *a, const double *want, size_t n, double tol) {
    CHECK(mx_array_size(a) == n);
    double *v = fd_read(a);
    for (size_t i = 0; i < n; i++) CHECK_NEAR(v[i], want[i], tol);
    free(v);
}

/* sum(x^3) */
static int f_cube_sum(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *c = NULL, *s = NULL, *k = NULL;
    int rc = mx_array_from_float(&k, 3.0, mx_array_dtype(in->data[0]));
    if (!rc) rc = mx_power(&c, in->data[0], k, NULL);
    if (!rc) rc = mx_sum(&s, c, false, NULL);
    mx_array_free(c);
    mx_array_free(k);
    return rc ? rc : mx_vec_push(o, s);
}

TEST(grad_of_cube) {
    double x[3] = {1, -2, 0.5}, want[3], want2[3];
    for (int i = 0; i < 3; i++) want[i] = 3 * x[i] * x[i], want2[i] = 6 * x[i];
    mx_closure *f = fd_fn(f_cube_sum), *g = NULL, *h = NULL;
    mx_vec in = {0}, grads = {0};
    CHECK_OK(mx_vec_push(&in, vec64(x, 3)));
    int arg0 = 0;
    CHECK_OK(mx_grad(&grads, f, &in, &arg0, 1));
    CHECK(grads.size == 1);
    if (grads.size == 1) expect_values(grads.data[0], want, 3, 1e-12);
    /* grad of grad: the gradient closure has a vjp and jvp of its own */
    CHECK_OK(mx_grad_fn(&g, f, &arg0, 1));
    mx_vec outs = {0}, hv = {0}, ones = {0};
    double one[3] = {1, 1, 1};
    CHECK_OK(mx_vec_push(&ones, vec64(one, 3)));
    CHECK_OK(mx_vjp(&outs, &hv, g, &in, &ones));
    if (hv.size == 1) expect_values(hv.data[0], want2, 3, 1e-12);
    CHECK_OK(mx_jvp(&outs, &hv, g, &in, &ones));
    if (hv.size == 1) expect_values(hv.data[0], want2, 3, 1e-12);
    fd_check("grad of cube", g, &in, 1e-6, 1e-6);
    /* the gradient closure's outputs are not scalars: grad of it is an error */
    CHECK_OK(mx_grad_fn(&h, g, &arg0, 1));
    CHECK_ERR(mx_closure_apply(h, &outs, &in), MX_ERR_VALUE);
    mx_closure_free(h);
    mx_vec_clear(&outs);
    mx_vec_clear(&hv);
    mx_vec_clear(&ones);
    mx_vec_clear(&grads);
    mx_vec_clear(&in);
    mx_closure_free(g);
    mx_closure_free(f);
}

/* 0-d x: x^3, for nested grads of a scalar function */
static int f_cube(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *c = NULL, *k = NULL;
    int rc = mx_array_from_float(&k, 3.0, MX_FLOAT64);
    if (!rc) rc = mx_power(&c, in->data[0], k, NULL);
    mx_array_free(k);
    return rc ? rc : mx_vec_push(o, c);
}

TEST(nested_grads_of_scalar) {
    mx_closure *f = fd_fn(f_cube), *g1 = NULL, *g2 = NULL, *g3 = NULL;
    int a0 = 0;
    CHECK_OK(mx_grad_fn(&g1, f, &a0, 1));
    CHECK_OK(mx_grad_fn(&g2, g1, &a0, 1));
    CHECK_OK(mx_grad_fn(&g3, g2, &a0, 1));
    mx_vec in = {0}, out = {0};
    mx_array *x = NULL;
    CHECK_OK(mx_array_from_float(&x, 2.0, MX_FLOAT64));
    CHECK_OK(mx_vec_push(&in, x));
    double v;
    CHECK_OK(mx_closure_apply(g1, &out, &in));
    CHECK_OK(mx_array_item_double(&v, out.data[0]));
    CHECK_NEAR(v, 12.0, 1e-12);
    CHECK_OK(mx_closure_apply(g2, &out, &in));
    CHECK_OK(mx_array_item_double(&v, out.data[0]));
    CHECK_NEAR(v, 12.0, 1e-12);
    CHECK_OK(mx_closure_apply(g3, &out, &in));
    CHECK_OK(mx_array_item_double(&v, out.data[0]));
    CHECK_NEAR(v, 6.0, 1e-12);
    mx_vec_clear(&out);
    mx_vec_clear(&in);
    mx_closure_free(g3);
    mx_closure_free(g2);
    mx_closure_free(g1);
    mx_closure_free(f);
}

/* (sum(x * y + z^2), x * 2) : a loss and an auxiliary output */
static int f_three(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *xy = NULL, *z2 = NULL, *s = NULL, *l = NULL, *aux = NULL, *two = NULL;
    int rc = mx_multiply(&xy, in->data[0], in->data[1], NULL);
    if (!rc) rc = mx_square(&z2, in->data[2], NULL);
    if (!rc) rc = mx_add(&s, xy, z2, NULL);
    if (!rc) rc = mx_sum(&l, s, false, NULL);
    if (!rc) rc = mx_array_from_float(&two, 2.0, MX_FLOAT64);
    if (!rc) rc = mx_multiply(&aux, in->data[0], two, NULL);
    mx_array_free(xy);
    mx_array_free(z2);
    mx_array_free(s);
    mx_array_free(two);
    if (!rc)
        rc = mx_vec_push(o, l);
    else
        mx_array_free(l);
    if (!rc)
        rc = mx_vec_push(o, aux);
    else
        mx_array_free(aux);
    return rc;
}

TEST(argnums_and_aux) {
    double x[2] = {1, 2}, y[2] = {3, -1}, z[2] = {0.5, 4};
    mx_vec in = {0}, values = {0}, grads = {0};
    CHECK_OK(mx_vec_push(&in, vec64(x, 2)));
    CHECK_OK(mx_vec_push(&in, vec64(y, 2)));
    CHECK_OK(mx_vec_push(&in, vec64(z, 2)));
    mx_closure *f = fd_fn(f_three);
    int args[2] = {2, -3};
    CHECK_OK(mx_value_and_grad(&values, &grads, f, &in, args, 2));
    CHECK(values.size == 2 && grads.size == 2);
    if (values.size == 2 && grads.size == 2) {
        double loss = 1 * 3 + 2 * -1 + 0.25 + 16, aux[2] = {2, 4}, gz[2] = {1, 8};
        expect_values(values.data[0], &loss, 1, 1e-12);
        expect_values(values.data[1], aux, 2, 1e-12);
        expect_values(grads.data[0], gz, 2, 1e-12);
        expect_values(grads.data[1], y, 2, 1e-12);
    }
    /* value_and_grad as a closure: values then gradients */
    mx_closure *vg = NULL;
    mx_vec out = {0};
    int a1 = 1;
    CHECK_OK(mx_value_and_grad_fn(&vg, f, &a1, 1));
    CHECK_OK(mx_closure_apply(vg, &out, &in));
    CHECK(out.size == 3);
    if (out.size == 3) expect_values(out.data[2], x, 2, 1e-12);
    /* wrong argnums */
    int bad = 3, dup[2] = {0, -3};
    CHECK_ERR(mx_value_and_grad(&values, &grads, f, &in, &bad, 1), MX_ERR_VALUE);
    bad = -4;
    CHECK_ERR(mx_grad(&grads, f, &in, &bad, 1), MX_ERR_VALUE);
    CHECK_ERR(mx_grad(&grads, f, &in, dup, 2), MX_ERR_VALUE);
    CHECK_ERR(mx_grad(&grads, f, &in, NULL, 0), MX_ERR_VALUE);
    CHECK_ERR(mx_grad_fn(&vg, f, NULL, 0), MX_ERR_VALUE);
    mx_vec_clear(&out);
    mx_closure_free(vg);
    mx_vec_clear(&values);
    mx_vec_clear(&grads);
    mx_vec_clear(&in);
    mx_closure_free(f);
}

static int f_identity(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    return mx_vec_append(o, in->data[0]);
}

static int f_fails(mx_vec *o, const mx_vec *in, void *p) {
    (void)p, (void)o;
    mx_array *r = NULL;
    return mx_reshape(&r, in->data[0], (const int32_t[]){7}, 1, NULL);
}

static int f_bitwise(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *i = NULL, *b = NULL, *f = NULL, *s = NULL;
    int rc = mx_astype(&i, in->data[0], MX_INT32, NULL);
    if (!rc) rc = mx_bitwise_invert(&b, i, NULL);
    if (!rc) rc = mx_astype(&f, b, MX_FLOAT64, NULL);
    if (!rc) rc = mx_sum(&s, f, false, NULL);
    mx_array_free(i);
    mx_array_free(b);
    mx_array_free(f);
    return rc ? rc : mx_vec_push(o, s);
}

TEST(wrong_calls) {
    double x[2] = {1, 2};
    mx_vec in = {0}, outs = {0}, res = {0}, cot = {0};
    CHECK_OK(mx_vec_push(&in, vec64(x, 2)));
    mx_closure *id = fd_fn(f_identity), *bad = fd_fn(f_fails), *bw = fd_fn(f_bitwise);
    int a0 = 0;
    /* grad of a non-scalar, including shape (1,) */
    CHECK_ERR(mx_grad(&res, id, &in, &a0, 1), MX_ERR_VALUE);
    mx_vec one = {0};
    CHECK_OK(mx_vec_push(&one, vec64(x, 1)));
    CHECK_ERR(mx_grad(&res, id, &one, &a0, 1), MX_ERR_VALUE);
    /* vjp: cotangent count and shape */
    CHECK_ERR(mx_vjp(&outs, &res, id, &in, &cot), MX_ERR_VALUE);
    CHECK_OK(mx_vec_push(&cot, vec64(x, 1)));
    CHECK_ERR(mx_vjp(&outs, &res, id, &in, &cot), MX_ERR_VALUE);
    /* jvp: tangent count and shape */
    CHECK_ERR(mx_jvp(&outs, &res, id, &in, &one), MX_ERR_VALUE);
    mx_vec none = {0};
    CHECK_ERR(mx_jvp(&outs, &res, id, &in, &none), MX_ERR_VALUE);
    /* errors inside the function come back */
    CHECK_ERR(mx_vjp(&outs, &res, bad, &in, &in), MX_ERR_VALUE);
    /* a primitive with no derivative */
    CHECK_ERR(mx_grad(&res, bw, &in, &a0, 1), MX_ERR_VALUE);
    CHECK_ERR(mx_vjp(NULL, &res, id, &in, &in), MX_ERR_VALUE);
    CHECK_ERR(mx_closure_new(NULL, f_identity, NULL, NULL), MX_ERR_VALUE);
    CHECK(outs.size == 0 && res.size == 0);
    /* still works afterwards */
    CHECK_OK(mx_vjp(&outs, &res, id, &in, &in));
    if (res.size == 1) expect_values(res.data[0], x, 2, 0);
    mx_vec_clear(&outs);
    mx_vec_clear(&res);
    mx_vec_clear(&cot);
    mx_vec_clear(&one);
    mx_vec_clear(&in);
    mx_closure_free(id);
    mx_closure_free(bad);
    mx_closure_free(bw);
}

/* sum(x * stop_gradient(x)) and, evaluating an intermediate on the way,
 * sum(sin(x)^2) */
static int f_stop(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *sg = NULL, *m = NULL, *s = NULL;
    int rc = mx_stop_gradient(&sg, in->data[0], NULL);
    if (!rc) rc = mx_multiply(&m, in->data[0], sg, NULL);
    if (!rc) rc = mx_sum(&s, m, false, NULL);
    mx_array_free(sg);
    mx_array_free(m);
    return rc ? rc : mx_vec_push(o, s);
}

static int f_eval_inside(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = NULL, *m = NULL, *s = NULL;
    int rc = mx_sin(&y, in->data[0], NULL);
    if (!rc) rc = mx_eval(&y, 1);
    if (!rc) rc = mx_square(&m, y, NULL);
    if (!rc) rc = mx_sum(&s, m, false, NULL);
    mx_array_free(y);
    mx_array_free(m);
    return rc ? rc : mx_vec_push(o, s);
}

TEST(stop_gradient_and_eval_inside) {
    double x[3] = {1, -2, 0.5};
    mx_vec in = {0}, grads = {0};
    CHECK_OK(mx_vec_push(&in, vec64(x, 3)));
    mx_closure *f = fd_fn(f_stop), *g = fd_fn(f_eval_inside);
    int a0 = 0;
    CHECK_OK(mx_grad(&grads, f, &in, &a0, 1));
    if (grads.size == 1) expect_values(grads.data[0], x, 3, 1e-12);
    mx_vec outs = {0}, jv = {0};
    CHECK_OK(mx_jvp(&outs, &jv, f, &in, &in));
    double xx = 1 + 4 + 0.25;
    if (jv.size == 1) expect_values(jv.data[0], &xx, 1, 1e-12);
    CHECK_OK(mx_grad(&grads, g, &in, &a0, 1));
    double want[3];
    for (int i = 0; i < 3; i++) want[i] = 2 * sin(x[i]) * cos(x[i]);
    if (grads.size == 1) expect_values(grads.data[0], want, 3, 1e-12);
    mx_vec_clear(&outs);
    mx_vec_clear(&jv);
    mx_vec_clear(&grads);
    mx_vec_clear(&in);
    mx_closure_free(f);
    mx_closure_free(g);
}

/* custom function: sin(x), whose vjp claims 10 * g and jvp 100 * t */
static int f_sin(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *r = NULL;
    int rc = mx_sin(&r, in->data[0], NULL);
    return rc ? rc : mx_vec_push(o, r);
}

static int scaled_second(mx_vec *o, const mx_vec *in, double k) {
    mx_array *c = NULL, *r = NULL;
    int rc = mx_array_from_float(&c, k, mx_array_dtype(in->data[1]));
    if (!rc) rc = mx_multiply(&r, in->data[1], c, NULL);
    mx_array_free(c);
    return rc ? rc : mx_vec_push(o, r);
}

static int f_custom_vjp(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    /* [primal, cotangent, output] */
    if (in->size != 3) return MX_ERR_VALUE;
    return scaled_second(o, in, 10.0);
}

static int f_custom_jvp(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    /* [primal, tangent] */
    if (in->size != 2) return MX_ERR_VALUE;
    return scaled_second(o, in, 100.0);
}

TEST(custom_function) {
    double x[2] = {0.3, -1.0}, g[2] = {1, 2};
    mx_closure *fun = fd_fn(f_sin), *vj = fd_fn(f_custom_vjp), *jv = fd_fn(f_custom_jvp);
    mx_closure *c = NULL, *plain = NULL;
    CHECK_OK(mx_custom_function(&c, fun, vj, jv));
    CHECK_OK(mx_custom_function(&plain, fun, NULL, NULL));
    mx_vec in = {0}, cot = {0}, outs = {0}, res = {0};
    CHECK_OK(mx_vec_push(&in, vec64(x, 2)));
    CHECK_OK(mx_vec_push(&cot, vec64(g, 2)));
    CHECK_OK(mx_vjp(&outs, &res, c, &in, &cot));
    double s[2] = {sin(x[0]), sin(x[1])}, w10[2] = {10, 20}, w100[2] = {100, 200};
    if (outs.size == 1) expect_values(outs.data[0], s, 2, 1e-12);
    if (res.size == 1) expect_values(res.data[0], w10, 2, 1e-12);
    CHECK_OK(mx_jvp(&outs, &res, c, &in, &cot));
    if (outs.size == 1) expect_values(outs.data[0], s, 2, 1e-12);
    if (res.size == 1) expect_values(res.data[0], w100, 2, 1e-12);
    /* without custom rules it differentiates fun */
    fd_check("custom without rules", plain, &in, 1e-6, 1e-6);
    CHECK_ERR(mx_custom_function(&c, NULL, vj, jv), MX_ERR_VALUE);
    mx_vec_clear(&in);
    mx_vec_clear(&cot);
    mx_vec_clear(&outs);
    mx_vec_clear(&res);
    mx_closure_free(c);
    mx_closure_free(plain);
    mx_closure_free(fun);
    mx_closure_free(vj);
    mx_closure_free(jv);
}

/* One layer: x -> tanh(sin(x) * 1.5 + cos(x)) * exp(-x * x): several
 * intermediates the backward pass would keep. */
static int f_layer(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *x = in->data[0], *s = NULL, *c = NULL, *k = NULL, *a = NULL, *t = NULL, *x2 = NULL,
             *e = NULL, *r = NULL;
    int rc = mx_sin(&s, x, NULL);
    if (!rc) rc = mx_cos(&c, x, NULL);
    if (!rc) rc = mx_array_from_float(&k, 1.5, mx_array_dtype(x));
    if (!rc) rc = mx_multiply(&a, s, k, NULL);
    if (!rc) rc = mx_add(&a, a, c, NULL);
    if (!rc) rc = mx_tanh(&t, a, NULL);
    if (!rc) rc = mx_square(&x2, x, NULL);
    if (!rc) rc = mx_negative(&x2, x2, NULL);
    if (!rc) rc = mx_exp(&e, x2, NULL);
    if (!rc) rc = mx_multiply(&r, t, e, NULL);
    mx_array_free(s);
    mx_array_free(c);
    mx_array_free(k);
    mx_array_free(a);
    mx_array_free(t);
    mx_array_free(x2);
    mx_array_free(e);
    return rc ? rc : mx_vec_push(o, r);
}

typedef struct net {
    mx_closure *layer;
    int depth;
} net;

static int f_net(mx_vec *o, const mx_vec *in, void *p) {
    net *n = p;
    mx_vec cur = {0}, next = {0};
    int rc = mx_vec_append(&cur, in->data[0]);
    for (int i = 0; i < n->depth && !rc; i++) {
        rc = mx_closure_apply(n->layer, &next, &cur);
        mx_vec_clear(&cur);
        cur = next;
        next = (mx_vec){0};
    }
    mx_array *s = NULL;
    if (!rc) rc = mx_sum(&s, cur.data[0], false, NULL);
    mx_vec_clear(&cur);
    return rc ? rc : mx_vec_push(o, s);
}

static size_t peak_of(net *n, mx_array *x, double *loss, double *g0) {
    mx_closure *f = NULL;
    CHECK_OK(mx_closure_new(&f, f_net, n, NULL));
    mx_vec in = {0}, values = {0}, grads = {0};
    CHECK_OK(mx_vec_append(&in, x));
    mx_clear_cache();
    mx_reset_peak_memory();
    size_t base = mx_get_active_memory();
    int a0 = 0;
    CHECK_OK(mx_value_and_grad(&values, &grads, f, &in, &a0, 1));
    if (values.size == 1 && grads.size == 1) {
        mx_array *both[2] = {values.data[0], grads.data[0]};
        CHECK_OK(mx_eval(both, 2));
        CHECK_OK(mx_array_item_double(loss, values.data[0]));
        mx_array *first = NULL;
        CHECK_OK(mx_take_index(&first, grads.data[0], 0, NULL));
        CHECK_OK(mx_array_item_double(g0, first));
        mx_array_free(first);
    }
    size_t peak = mx_get_peak_memory() - base;
    mx_vec_clear(&values);
    mx_vec_clear(&grads);
    mx_vec_clear(&in);
    mx_closure_free(f);
    return peak;
}

TEST(checkpoint_lowers_peak_memory) {
    int32_t n = 1 << 16; /* 512 KiB of float64 per array */
    mx_array *x = fd_input(&n, 1, -1, 1, FD_DENSE, MX_FLOAT64);
    mx_closure *layer = fd_fn(f_layer), *ck = NULL;
    CHECK_OK(mx_checkpoint(&ck, layer));
    net plain = {layer, 12}, saved = {ck, 12};
    double l1 = 0, l2 = 1, g1 = 0, g2 = 1;
    size_t p1 = peak_of(&plain, x, &l1, &g1);
    size_t p2 = peak_of(&saved, x, &l2, &g2);
    CHECK_NEAR(l1, l2, 1e-9 * (1 + fabs(l1)));
    CHECK_NEAR(g1, g2, 1e-9 * (1 + fabs(g1)));
    printf("value_and_grad of 12 layers on 64Ki float64: peak %zu KiB plain, %zu KiB "
           "checkpointed\n",
           p1 >> 10, p2 >> 10);
    CHECK(p2 * 2 < p1);
    mx_closure_free(ck);
    mx_closure_free(layer);
    mx_array_free(x);
}

/* a.at[[0, 0, 2]].maximum(u), whose vjp real MLX gives as
 * ([0, 2, 0, 4], [0, 1, 3]) for the cotangent [1, 2, 3, 4]. */
static int f_scatter_max(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    int32_t v[3] = {0, 0, 2}, n = 3, ushape[2] = {3, 1};
    mx_array *idx = NULL, *u = NULL, *r = NULL;
    int ax = 0;
    int rc = mx_array_from_data(&idx, v, &n, 1, MX_INT32);
    if (!rc) rc = mx_reshape(&u, in->data[1], ushape, 2, NULL);
    if (!rc)
        rc = mx_scatter_max(&r, in->data[0], (const mx_array *const *)&idx, 1, u, &ax, 1, NULL);
    mx_array_free(idx);
    mx_array_free(u);
    return rc ? rc : mx_vec_push(o, r);
}

TEST(scatter_max_as_mlx) {
    double a[4] = {1, 2, 3, 4}, u[3] = {2, 3, 4}, g[4] = {1, 2, 3, 4};
    double ga[4] = {0, 2, 0, 4}, gu[3] = {0, 1, 3};
    mx_vec in = {0}, cot = {0}, outs = {0}, res = {0};
    CHECK_OK(mx_vec_push(&in, vec64(a, 4)));
    CHECK_OK(mx_vec_push(&in, vec64(u, 3)));
    CHECK_OK(mx_vec_push(&cot, vec64(g, 4)));
    mx_closure *f = fd_fn(f_scatter_max);
    CHECK_OK(mx_vjp(&outs, &res, f, &in, &cot));
    if (res.size == 2) {
        expect_values(res.data[0], ga, 4, 0);
        expect_values(res.data[1], gu, 3, 0);
    }
    mx_vec_clear(&in);
    mx_vec_clear(&cot);
    mx_vec_clear(&outs);
    mx_vec_clear(&res);
    mx_closure_free(f);
}

/* A closure's payload is destroyed once, when the last holder (closure
 * references, custom functions, graph nodes of custom functions) is gone. */
static int destroyed;
static void count_destroy(void *p) {
    (void)p;
    destroyed++;
}

TEST(payload_lifetime) {
    destroyed = 0;
    mx_closure *fun = NULL, *c = NULL;
    CHECK_OK(mx_closure_new(&fun, f_sin, NULL, count_destroy));
    CHECK_OK(mx_custom_function(&c, fun, NULL, NULL));
    mx_closure_free(fun);
    CHECK(destroyed == 0);
    double x[2] = {0.1, 0.2};
    mx_vec in = {0}, out = {0};
    CHECK_OK(mx_vec_push(&in, vec64(x, 2)));
    CHECK_OK(mx_closure_apply(c, &out, &in));
    mx_closure_free(c);
    CHECK(destroyed == 0); /* the unevaluated output's node holds it */
    mx_vec_clear(&out);
    CHECK(destroyed == 1);
    mx_vec_clear(&in);
}

/* Nodes of very different input and output counts in one walk: four
 * outputs of a custom function fed by a concatenation of six inputs. */
/* custom vmap for sin: 3 * x + axis, the batch where it came in */
static int f_sin_vmap(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *three = NULL, *r = NULL, *axf = NULL, *r2 = NULL;
    int rc = mx_array_from_float(&three, 3.0, MX_FLOAT64);
    if (!rc) rc = mx_multiply(&r, in->data[0], three, NULL);
    if (!rc) rc = mx_astype(&axf, in->data[1], MX_FLOAT64, NULL);
    if (!rc) rc = mx_add(&r2, r, axf, NULL);
    if (!rc) rc = mx_vec_push(o, r2);
    if (!rc) rc = mx_vec_append(o, in->data[1]);
    mx_array_free(three);
    mx_array_free(r);
    mx_array_free(axf);
    return rc;
}

static int f_sin_vmap_bad(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    return mx_vec_append(o, in->data[0]); /* no axes */
}

static int f_eval_only(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = NULL;
    int rc = mx_exp(&y, in->data[0], NULL);
    if (!rc) rc = mx_eval(&y, 1);
    return rc ? (mx_array_free(y), rc) : mx_vec_push(o, y);
}

static int f_two_outs(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = NULL, *c = NULL;
    int32_t two = 2;
    int rc = mx_exp(&y, in->data[0], NULL);
    if (!rc) rc = mx_vec_push(o, y);
    if (!rc) rc = mx_ones(&c, &two, 1, MX_FLOAT32, NULL);
    if (!rc) rc = mx_vec_push(o, c);
    return rc;
}

TEST(custom_vmap_report_and_eval_under_vmap) {
    double x[6] = {1, 2, 3, 4, 5, 6};
    int32_t sh[2] = {2, 3};
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, x, sh, 2, MX_FLOAT64));
    mx_vec in = {0}, out = {0};
    CHECK_OK(mx_vec_push(&in, a));
    mx_closure *f = fd_fn(f_sin), *vr = fd_fn(f_sin_vmap), *bad = fd_fn(f_sin_vmap_bad);
    mx_closure *cf = NULL, *v = NULL;
    CHECK_OK(mx_custom_function_vmap(&cf, f, NULL, NULL, vr));
    /* mapped on axis 1: the rule sees axis 1 and says the batch stays there */
    int ax = 1, oax = 0;
    CHECK_OK(mx_vmap(&v, cf, &ax, 1, &oax, 1));
    CHECK_OK(mx_closure_apply(v, &out, &in));
    if (out.size == 1) {
        double want[6] = {4, 13, 7, 16, 10, 19}; /* (3, 2): 3 * x^T + 1 */
        expect_values(out.data[0], want, 6, 1e-12);
        CHECK(mx_array_shape(out.data[0])[0] == 3);
    }
    mx_vec_clear(&out);
    /* a rule that forgets the axes is a clear error */
    CHECK_OK(mx_custom_function_vmap(&cf, f, NULL, NULL, bad));
    CHECK_OK(mx_vmap(&v, cf, &ax, 1, &oax, 1));
    CHECK_ERR(mx_closure_apply(v, &out, &in), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "vmap rule") != NULL);
    /* evaluating a tracer inside vmap is an error, as in MLX */
    mx_closure *e = fd_fn(f_eval_only);
    CHECK_OK(mx_vmap(&v, e, &ax, 1, &oax, 1));
    CHECK_ERR(mx_closure_apply(v, &out, &in), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "eval") != NULL);
    /* mx_vmap_report: mapped output, then one that is broadcast */
    mx_closure *t = fd_fn(f_two_outs);
    CHECK_OK(mx_vmap_report(&v, t, &ax, 1, &oax, 1));
    CHECK_OK(mx_closure_apply(v, &out, &in));
    CHECK(out.size == 4);
    if (out.size == 4) {
        bool m0 = false, m1 = true;
        CHECK_OK(mx_array_copy_to(out.data[2], &m0, sizeof m0));
        CHECK_OK(mx_array_copy_to(out.data[3], &m1, sizeof m1));
        CHECK(m0 && !m1);
        CHECK(mx_array_shape(out.data[1])[0] == 3 && mx_array_shape(out.data[1])[1] == 2);
    }
    mx_vec_clear(&out);
    mx_vec_clear(&in);
    mx_closure_free(v);
    mx_closure_free(cf);
    mx_closure_free(f);
    mx_closure_free(vr);
    mx_closure_free(bad);
    mx_closure_free(e);
    mx_closure_free(t);
}

static int f_four(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    int rc = MX_OK;
    for (int k = 0; k < 4 && !rc; k++) {
        mx_array *c = NULL, *r = NULL;
        rc = mx_array_from_float(&c, k + 1.0, MX_FLOAT64);
        if (!rc) rc = mx_multiply(&r, in->data[0], c, NULL);
        mx_array_free(c);
        if (!rc) rc = mx_vec_push(o, r);
    }
    return rc;
}

typedef struct six_payload {
    mx_closure *four;
} six_payload;

static int f_six(mx_vec *o, const mx_vec *in, void *p) {
    six_payload *sp = p;
    const mx_array *parts[6] = {in->data[0], in->data[0], in->data[0],
                                in->data[0], in->data[0], in->data[0]};
    mx_array *cat = NULL;
    mx_vec mid = {0};
    int rc = mx_concatenate(&cat, parts, 6, 0, NULL);
    if (!rc) rc = mx_vec_push(&mid, cat);
    if (!rc) rc = mx_closure_apply(sp->four, o, &mid);
    mx_vec_clear(&mid);
    return rc;
}

TEST(mixed_arities) {
    mx_closure *four = fd_fn(f_four), *custom = NULL, *f = NULL;
    CHECK_OK(mx_custom_function(&custom, four, NULL, NULL));
    six_payload sp = {custom};
    CHECK_OK(mx_closure_new(&f, f_six, &sp, NULL));
    double x[2] = {1, 2}, ones[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    mx_vec in = {0}, cots = {0}, outs = {0}, g = {0};
    CHECK_OK(mx_vec_push(&in, vec64(x, 2)));
    for (int k = 0; k < 4; k++) CHECK_OK(mx_vec_push(&cots, vec64(ones, 12)));
    CHECK_OK(mx_vjp(&outs, &g, f, &in, &cots));
    double want[2] = {60, 60}; /* 6 copies times (1 + 2 + 3 + 4) */
    if (g.size == 1) expect_values(g.data[0], want, 2, 1e-12);
    CHECK_OK(mx_jvp(&outs, &g, f, &in, &in));
    mx_vec_clear(&in);
    mx_vec_clear(&cots);
    mx_vec_clear(&outs);
    mx_vec_clear(&g);
    mx_closure_free(f);
    mx_closure_free(custom);
    mx_closure_free(four);
}

/* Gradients at ties and kinks, as real MLX 0.32 gives them. */
static int f_ties(mx_vec *o, const mx_vec *in, void *p) {
    int which = (int)(intptr_t)p;
    mx_array *a = in->data[0], *b = in->data[1], *r = NULL, *s = NULL, *lo = NULL, *hi = NULL;
    int rc = MX_OK;
    switch (which) {
    case 0:
        rc = mx_maximum(&r, a, b, NULL);
        break;
    case 1:
        rc = mx_minimum(&r, a, b, NULL);
        break;
    case 2:
        rc = mx_array_from_float(&lo, 1.0, MX_FLOAT64);
        if (!rc) rc = mx_array_from_float(&hi, 3.0, MX_FLOAT64);
        if (!rc) rc = mx_clip(&r, a, lo, hi, NULL);
        break;
    case 3:
        rc = mx_power(&r, a, b, NULL);
        break;
    default:
        rc = mx_abs(&r, a, NULL);
        break;
    }
    if (!rc) rc = mx_sum(&s, r, false, NULL);
    mx_array_free(r);
    mx_array_free(lo);
    mx_array_free(hi);
    return rc ? rc : mx_vec_push(o, s);
}

TEST(ties_as_mlx) {
    static const struct {
        double a[5], b[5], ga[5], gb[5];
        int n;
    } k[] = {
        {{1, 2, 3}, {1, 1, 4}, {0, 1, 0}, {1, 0, 1}, 3},
        {{1, 2, 3}, {1, 1, 4}, {0, 0, 1}, {1, 1, 0}, 3},
        {{0, 1, 2, 3, 4}, {0, 0, 0, 0, 0}, {0, 0, 1, 0, 0}, {0, 0, 0, 0, 0}, 5},
        {{0, 2}, {2, 3}, {0, 12}, {0, 5.545177444479562}, 2},
        {{0, -1}, {0, 0}, {0, -1}, {0, 0}, 2},
    };
    for (int c = 0; c < 5; c++) {
        mx_vec in = {0}, grads = {0};
        CHECK_OK(mx_vec_push(&in, vec64(k[c].a, k[c].n)));
        CHECK_OK(mx_vec_push(&in, vec64(k[c].b, k[c].n)));
        mx_closure *f = NULL;
        CHECK_OK(mx_closure_new(&f, f_ties, (void *)(intptr_t)c, NULL));
        int args[2] = {0, 1};
        CHECK_OK(mx_grad(&grads, f, &in, args, 2));
        if (grads.size == 2) {
            expect_values(grads.data[0], k[c].ga, (size_t)k[c].n, 1e-12);
            expect_values(grads.data[1], k[c].gb, (size_t)k[c].n, 1e-12);
        }
        mx_vec_clear(&grads);
        mx_vec_clear(&in);
        mx_closure_free(f);
    }
}

/* A chain of 100k nodes: the walks and the freeing use no recursion. */
static int f_long(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = mx_array_retain(in->data[0]), *k = NULL;
    int rc = mx_array_from_float(&k, 0.5, MX_FLOAT64);
    for (int i = 0; i < 50000 && !rc; i++) {
        rc = mx_multiply(&y, y, k, NULL);
        if (!rc) rc = mx_add(&y, y, k, NULL);
    }
    rc = mx_multiply(&y, y, k, NULL) || mx_add(&y, y, k, NULL);
    mx_array *s = NULL;
    if (!rc) rc = mx_sum(&s, y, false, NULL);
    mx_array_free(y);
    mx_array_free(k);
    return rc ? rc : mx_vec_push(o, s);
}

TEST(long_graph) {
    double x = 3.0;
    mx_vec in = {0}, grads = {0};
    CHECK_OK(mx_vec_push(&in, vec64(&x, 1)));
    mx_closure *f = fd_fn(f_long);
    int a0 = 0;
    CHECK_OK(mx_grad(&grads, f, &in, &a0, 1));
    double zero = 0.0; /* 0.5^50000 underflows */
    if (grads.size == 1) expect_values(grads.data[0], &zero, 1, 1e-300);
    mx_vec_clear(&grads);
    mx_vec_clear(&in);
    mx_closure_free(f);
}

int main(void) {
    RUN(grad_of_cube);
    RUN(nested_grads_of_scalar);
    RUN(argnums_and_aux);
    RUN(wrong_calls);
    RUN(stop_gradient_and_eval_inside);
    RUN(custom_function);
    RUN(custom_vmap_report_and_eval_under_vmap);
    RUN(checkpoint_lowers_peak_memory);
    RUN(long_graph);
    RUN(ties_as_mlx);
    RUN(payload_lifetime);
    RUN(mixed_arities);
    RUN(scatter_max_as_mlx);
    return TEST_SUMMARY();
}
