/*
 * mlx.core.distributed: groups, init, the ops on a group of one process
 * (their input back, as MLX) and, through an in-process backend standing
 * for a group of three processes that all hold the same data, the
 * primitives' kernels, rules and errors.
 */
#include "test.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/array_impl.h"
#include "core/error.h"
#include "core/half.h"
#include "distributed/distributed_impl.h"
#include "transforms/compile_impl.h"

/* ---- a loopback backend: `size` processes holding the same arrays ---- */

typedef struct fake {
    int size, rank;
    int calls;    /* collectives run */
    bool fail;    /* every call fails, as a lost peer would */
    char box[64]; /* what the last send sent */
    size_t box_len;
} fake;

static int fake_fail(fake *f) {
    (void)f;
    return mxi_error(MX_ERR_RUNTIME, "[fake] Peer 1 closed the connection.");
}

static int fake_all_reduce(void *st, void *buf, size_t count, mx_dtype dt, mxi_dist_reduce op) {
    fake *f = st;
    f->calls++;
    if (f->fail) return fake_fail(f);
    size_t bytes = count * (size_t)mx_dtype_size(dt);
    void *mine = malloc(bytes);
    memcpy(mine, buf, bytes);
    for (int r = 1; r < f->size; r++) mxi_dist_reduce_into(buf, mine, count, dt, op);
    free(mine);
    return MX_OK;
}

static int fake_all_gather(void *st, const void *in, void *out, size_t nbytes) {
    fake *f = st;
    f->calls++;
    if (f->fail) return fake_fail(f);
    for (int r = 0; r < f->size; r++) memcpy((char *)out + r * nbytes, in, nbytes);
    return MX_OK;
}

static int fake_reduce_scatter(void *st, const void *in, void *out, size_t count, mx_dtype dt,
                               mxi_dist_reduce op) {
    fake *f = st;
    f->calls++;
    if (f->fail) return fake_fail(f);
    size_t bytes = count * (size_t)mx_dtype_size(dt);
    const char *mine = (const char *)in + (size_t)f->rank * bytes;
    memcpy(out, mine, bytes);
    for (int r = 1; r < f->size; r++) mxi_dist_reduce_into(out, mine, count, dt, op);
    return MX_OK;
}

static int fake_send(void *st, const void *buf, size_t nbytes, int dst) {
    fake *f = st;
    (void)dst;
    f->calls++;
    if (f->fail) return fake_fail(f);
    f->box_len = nbytes < sizeof f->box ? nbytes : sizeof f->box;
    memcpy(f->box, buf, f->box_len);
    return MX_OK;
}

static int fake_recv(void *st, void *buf, size_t nbytes, int src) {
    fake *f = st;
    (void)src;
    f->calls++;
    if (f->fail) return fake_fail(f);
    memcpy(buf, f->box, nbytes < f->box_len ? nbytes : f->box_len);
    return MX_OK;
}

static fake fake_state = {3, 1, 0, false, {0}, 0};
static fake failing_state = {2, 0, 0, true, {0}, 0};

static int fake_split(void *st, int color, int key, mxi_dist_comm *out);

static const mxi_dist_backend fake_backend = {
    "fake", fake_all_reduce, fake_all_gather, fake_reduce_scatter, fake_send, fake_recv, fake_split,
};

static fake split_state = {1, 0, 0, false, {0}, 0};

static int fake_split(void *st, int color, int key, mxi_dist_comm *out) {
    (void)st;
    (void)key;
    *out = (mxi_dist_comm){&fake_backend, &split_state, 0, color == 0 ? 1 : 2};
    return MX_OK;
}

static mx_distributed_group *fake_group(fake *f) {
    mxi_dist_comm c = {&fake_backend, f, f->rank, f->size};
    int id = mxi_dist_register(&c);
    CHECK(id >= 0);
    return mxi_dist_group_new(id);
}

/* ---- helpers ---- */

static mx_array *arange_f32(int n, const int32_t *shape, int nd) {
    mx_array *a = NULL;
    CHECK_OK(mx_arange(&a, 0, n, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_reshape(&a, a, shape, nd, NULL));
    return a;
}

static void check_f32(mx_array *a, const float *want, size_t n) {
    float got[64];
    test_read_f32(a, got, n);
    for (size_t i = 0; i < n; i++) CHECK_NEAR(got[i], want[i], 0);
}

/* ---- groups and init ---- */

TEST(availability) {
    bool b = false;
    CHECK_OK(mx_distributed_is_available(&b, "any"));
    CHECK(b);
    CHECK_OK(mx_distributed_is_available(&b, "ring"));
    CHECK(b);
    const char *missing[] = {"mpi", "nccl", "jaccl", "foo", ""};
    for (int i = 0; i < 5; i++) {
        b = true;
        CHECK_OK(mx_distributed_is_available(&b, missing[i]));
        CHECK(!b);
    }
    CHECK_ERR(mx_distributed_is_available(&b, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_distributed_is_available(NULL, "any"), MX_ERR_VALUE);
}

TEST(init_without_backend) {
    unsetenv("MLX_RANK");
    unsetenv("MLX_HOSTFILE");
    mx_distributed_group *g = NULL, *h = NULL;
    CHECK_OK(mx_distributed_init(&g, false, "any"));
    CHECK(mx_distributed_group_rank(g) == 0);
    CHECK(mx_distributed_group_size(g) == 1);
    CHECK_OK(mx_distributed_init(&g, false, NULL)); /* replaces g */
    CHECK(mx_distributed_group_size(g) == 1);
    CHECK_OK(mx_distributed_global_group(&h));
    CHECK(mx_distributed_group_size(h) == 1);
    CHECK_ERR(mx_distributed_init(&h, true, "any"), MX_ERR_RUNTIME);
    CHECK(strcmp(mx_last_error(), "[distributed] Couldn't initialize any backend") == 0);
    CHECK_ERR(mx_distributed_init(&h, true, "ring"), MX_ERR_RUNTIME);
    CHECK(strstr(mx_last_error(), "MLX_RANK") != NULL);
    CHECK_ERR(mx_distributed_init(&h, true, "mpi"), MX_ERR_RUNTIME);
    CHECK(strcmp(mx_last_error(), "Cannot initialize MPI") == 0);
    CHECK_ERR(mx_distributed_init(&h, true, "nccl"), MX_ERR_RUNTIME);
    CHECK_ERR(mx_distributed_init(&h, false, "foo"), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "'foo'") != NULL);
    CHECK_ERR(mx_distributed_init(NULL, false, "any"), MX_ERR_VALUE);
    CHECK(mx_distributed_group_size(h) == 1); /* untouched by the failures */
    /* Non-strict init of a missing backend: a group of one process. */
    CHECK_OK(mx_distributed_init(&h, false, "mpi"));
    CHECK(mx_distributed_group_size(h) == 1);
    mx_distributed_group *s = NULL;
    CHECK_ERR(mx_distributed_group_split(&s, g, 0, -1), MX_ERR_RUNTIME);
    CHECK(strcmp(mx_last_error(), "Cannot split the distributed group further.") == 0);
    CHECK_ERR(mx_distributed_group_split(&s, NULL, 0, -1), MX_ERR_VALUE);
    CHECK(s == NULL);
    CHECK(mx_distributed_group_rank(NULL) == -1);
    CHECK(mx_distributed_group_size(NULL) == 0);
    CHECK(mx_distributed_group_retain(g) == g);
    mx_distributed_group_free(g);
    mx_distributed_group_free(g);
    mx_distributed_group_free(h);
    mx_distributed_group_free(NULL);
}

TEST(singleton_ops_return_input) {
    int32_t shape[2] = {2, 3};
    mx_array *x = arange_f32(6, shape, 2), *y = NULL;
    int (*ops[])(mx_array **, const mx_array *, const mx_distributed_group *, const mx_stream *) = {
        mx_distributed_all_sum, mx_distributed_all_max, mx_distributed_all_min,
        mx_distributed_all_gather, mx_distributed_sum_scatter};
    mx_distributed_group *g = NULL;
    CHECK_OK(mx_distributed_init(&g, false, "any"));
    for (int i = 0; i < 5; i++) {
        CHECK_OK(ops[i](&y, x, NULL, NULL));
        CHECK(y == x);
        CHECK_OK(ops[i](&y, x, g, NULL));
        CHECK(y == x);
        CHECK_ERR(ops[i](NULL, x, g, NULL), MX_ERR_VALUE);
        CHECK_ERR(ops[i](&y, NULL, g, NULL), MX_ERR_VALUE);
    }
    /* sum_scatter of a shape the group size does not divide is fine at 1 */
    mx_array *z = NULL;
    CHECK_OK(mx_array_from_float(&z, 2.5, MX_FLOAT32));
    CHECK_OK(mx_distributed_sum_scatter(&y, z, g, NULL));
    CHECK(y == z);
    CHECK_ERR(mx_distributed_send(&y, x, 0, g, NULL), MX_ERR_VALUE);
    CHECK(strcmp(mx_last_error(), "Cannot send to a singleton group") == 0);
    CHECK_ERR(mx_distributed_send(&y, x, 1, NULL, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_distributed_recv(&y, shape, 2, MX_FLOAT32, 0, g, NULL), MX_ERR_VALUE);
    CHECK(strcmp(mx_last_error(), "Cannot recv from a singleton group") == 0);
    CHECK_ERR(mx_distributed_recv_like(&y, x, 0, NULL, NULL), MX_ERR_VALUE);
    CHECK(y == z); /* failures leave *out */
    mx_array_free(y);
    mx_array_free(z);
    mx_array_free(x);
    mx_distributed_group_free(g);
}

/* ---- the primitives, through the loopback group of 3 (rank 1) ---- */

TEST(all_reduce_values) {
    mx_distributed_group *g = fake_group(&fake_state);
    int32_t shape[2] = {2, 3};
    mx_array *x = arange_f32(6, shape, 2), *t = NULL, *y = NULL;
    /* transposed input: the kernel lays it out first */
    CHECK_OK(mx_transpose(&t, x, NULL, 0, NULL));
    CHECK_OK(mx_distributed_all_sum(&y, t, g, NULL));
    CHECK(mx_array_ndim(y) == 2 && mx_array_shape(y)[0] == 3 && mx_array_shape(y)[1] == 2);
    float want[6] = {0, 9, 3, 12, 6, 15};
    check_f32(y, want, 6);
    CHECK_OK(mx_distributed_all_max(&y, t, g, NULL));
    float same[6] = {0, 3, 1, 4, 2, 5};
    check_f32(y, same, 6);
    CHECK_OK(mx_distributed_all_min(&y, t, g, NULL));
    check_f32(y, same, 6);
    char buf[64];
    mx_array *s = NULL;
    CHECK_OK(mx_distributed_all_sum(&s, x, g, NULL));
    mxi_node_describe(s->node, buf, sizeof buf);
    CHECK(strcmp(buf, "Sum AllReduce") == 0);
    CHECK_OK(mx_distributed_all_max(&s, x, g, NULL));
    mxi_node_describe(s->node, buf, sizeof buf);
    CHECK(strcmp(buf, "Max AllReduce") == 0);
    /* every dtype: sum of three copies */
    for (int dt = 0; dt < MX_NUM_DTYPES; dt++) {
        mx_array *c = NULL, *r = NULL, *f = NULL;
        CHECK_OK(mx_astype(&c, x, (mx_dtype)dt, NULL));
        CHECK_OK(mx_distributed_all_sum(&r, c, g, NULL));
        CHECK(mx_array_dtype(r) == (mx_dtype)dt);
        CHECK_OK(mx_astype(&f, r, MX_FLOAT32, NULL));
        float got[6];
        test_read_f32(f, got, 6);
        for (int i = 0; i < 6; i++) {
            float w = dt == MX_BOOL ? (i > 0) : 3.0f * (float)i;
            CHECK_NEAR(got[i], w, 0);
        }
        mx_array_free(c);
        mx_array_free(r);
        mx_array_free(f);
    }
    /* 0-d and empty inputs */
    mx_array *z = test_scalar_f32(1.5f), *e = NULL;
    CHECK_OK(mx_distributed_all_sum(&y, z, g, NULL));
    float w = 4.5f;
    check_f32(y, &w, 1);
    int32_t eshape[2] = {0, 4};
    CHECK_OK(mx_zeros(&e, eshape, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_distributed_all_sum(&y, e, g, NULL));
    CHECK_OK(mx_eval(&y, 1));
    CHECK(mx_array_size(y) == 0 && mx_array_shape(y)[1] == 4);
    mx_array_free(x), mx_array_free(t), mx_array_free(y), mx_array_free(s);
    mx_array_free(z), mx_array_free(e);
    mx_distributed_group_free(g);
}

TEST(reduce_into_edge_values) {
    float a[4] = {1, NAN, 2, -INFINITY}, b[4] = {NAN, 3, 5, INFINITY};
    mxi_dist_reduce_into(a, b, 4, MX_FLOAT32, MXI_DIST_MAX);
    CHECK(isnan(a[0]) && isnan(a[1]) && a[2] == 5 && a[3] == INFINITY);
    double c[2] = {1, 2}, d[2] = {-1, 7};
    mxi_dist_reduce_into(c, d, 2, MX_FLOAT64, MXI_DIST_MIN);
    CHECK(c[0] == -1 && c[1] == 2);
    uint16_t h[1] = {mxi_f32_to_f16(1.5f)}, k[1] = {mxi_f32_to_f16(2.25f)};
    mxi_dist_reduce_into(h, k, 1, MX_FLOAT16, MXI_DIST_SUM);
    CHECK(mxi_f16_to_f32(h[0]) == 3.75f);
    uint16_t bh[1] = {mxi_f32_to_bf16(3.0f)}, bk[1] = {mxi_f32_to_bf16(-1.0f)};
    mxi_dist_reduce_into(bh, bk, 1, MX_BFLOAT16, MXI_DIST_MIN);
    CHECK(mxi_bf16_to_f32(bh[0]) == -1.0f);
    int8_t i8[2] = {120, -5}, j8[2] = {10, -7};
    mxi_dist_reduce_into(i8, j8, 2, MX_INT8, MXI_DIST_SUM);
    CHECK(i8[0] == (int8_t)-126 && i8[1] == -12);
    uint32_t u[2] = {3, 9}, v[2] = {4, 1};
    mxi_dist_reduce_into(u, v, 2, MX_UINT32, MXI_DIST_MAX);
    CHECK(u[0] == 4 && u[1] == 9);
    uint8_t t[3] = {1, 0, 0}, f[3] = {1, 1, 0};
    mxi_dist_reduce_into(t, f, 3, MX_BOOL, MXI_DIST_MIN);
    CHECK(t[0] == 1 && t[1] == 0 && t[2] == 0);
    /* complex: by real part, then imaginary part */
    float z[4] = {1, 5, 2, 0}, q[4] = {1, 6, 1, 9};
    mxi_dist_reduce_into(z, q, 2, MX_COMPLEX64, MXI_DIST_MAX);
    CHECK(z[0] == 1 && z[1] == 6 && z[2] == 2 && z[3] == 0);
    float z2[2] = {1, 5}, q2[2] = {1, 6};
    mxi_dist_reduce_into(z2, q2, 1, MX_COMPLEX64, MXI_DIST_MIN);
    CHECK(z2[0] == 1 && z2[1] == 5);
    mxi_dist_reduce_into(z2, q2, 1, MX_COMPLEX64, MXI_DIST_SUM);
    CHECK(z2[0] == 2 && z2[1] == 11);
}

TEST(all_gather_and_sum_scatter) {
    mx_distributed_group *g = fake_group(&fake_state);
    int32_t shape[2] = {2, 2};
    mx_array *x = arange_f32(4, shape, 2), *y = NULL;
    CHECK_OK(mx_distributed_all_gather(&y, x, g, NULL));
    CHECK(mx_array_shape(y)[0] == 6 && mx_array_shape(y)[1] == 2);
    float want[12] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
    check_f32(y, want, 12);
    mx_array *z = test_scalar_f32(7), *zg = NULL;
    CHECK_OK(mx_distributed_all_gather(&zg, z, g, NULL));
    CHECK(mx_array_ndim(zg) == 1 && mx_array_shape(zg)[0] == 3);
    float sevens[3] = {7, 7, 7};
    check_f32(zg, sevens, 3);
    /* sum_scatter: rank 1 keeps rows 2..3 of 6, times three */
    int32_t s6[2] = {6, 2};
    mx_array *w = arange_f32(12, s6, 2), *sc = NULL;
    CHECK_OK(mx_distributed_sum_scatter(&sc, w, g, NULL));
    CHECK(mx_array_shape(sc)[0] == 2 && mx_array_shape(sc)[1] == 2);
    float block[4] = {12, 15, 18, 21};
    check_f32(sc, block, 4);
    char buf[64];
    CHECK_OK(mx_distributed_sum_scatter(&sc, w, g, NULL));
    mxi_node_describe(sc->node, buf, sizeof buf);
    CHECK(strcmp(buf, "Sum ReduceScatter") == 0);
    CHECK_ERR(mx_distributed_sum_scatter(&sc, x, g, NULL), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "divisible by the group size") != NULL);
    CHECK_ERR(mx_distributed_sum_scatter(&sc, z, g, NULL), MX_ERR_VALUE);
    mx_array_free(x), mx_array_free(y), mx_array_free(z), mx_array_free(zg);
    mx_array_free(w), mx_array_free(sc);
    mx_distributed_group_free(g);
}

TEST(send_and_recv) {
    mx_distributed_group *g = fake_group(&fake_state);
    int32_t shape[1] = {3};
    float v[3] = {1, -2, 4};
    mx_array *x = test_vec_f32(v, 3), *y = NULL, *r = NULL, *rl = NULL;
    CHECK_OK(mx_distributed_send(&y, x, 2, g, NULL));
    check_f32(y, v, 3);
    CHECK(fake_state.box_len == sizeof v);
    char buf[64];
    CHECK_OK(mx_distributed_recv(&r, shape, 1, MX_FLOAT32, 0, g, NULL));
    mxi_node_describe(r->node, buf, sizeof buf);
    CHECK(strcmp(buf, "Recv") == 0);
    check_f32(r, v, 3);
    CHECK_OK(mx_distributed_recv_like(&rl, x, 2, g, NULL));
    CHECK(mx_array_dtype(rl) == MX_FLOAT32 && mx_array_shape(rl)[0] == 3);
    check_f32(rl, v, 3);
    CHECK_ERR(mx_distributed_send(&y, x, 3, g, NULL), MX_ERR_VALUE);
    CHECK(strcmp(mx_last_error(), "Invalid destination=3 for a group of size 3") == 0);
    CHECK_ERR(mx_distributed_send(&y, x, -1, g, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_distributed_recv(&r, shape, 1, MX_FLOAT32, 5, g, NULL), MX_ERR_VALUE);
    CHECK(strcmp(mx_last_error(), "Invalid source=5 for a group of size 3") == 0);
    int32_t bad[1] = {-1};
    CHECK_ERR(mx_distributed_recv(&r, bad, 1, MX_FLOAT32, 0, g, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_distributed_recv(&r, shape, 1, (mx_dtype)99, 0, g, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_distributed_recv(NULL, shape, 1, MX_FLOAT32, 0, g, NULL), MX_ERR_VALUE);
    mx_array_free(x), mx_array_free(y), mx_array_free(r), mx_array_free(rl);
    mx_distributed_group_free(g);
}

TEST(backend_errors_surface_at_eval) {
    mx_distributed_group *g = fake_group(&failing_state);
    float v[2] = {1, 2};
    mx_array *x = test_vec_f32(v, 2), *y = NULL, *z = NULL;
    CHECK_OK(mx_distributed_all_sum(&y, x, g, NULL));
    CHECK_OK(mx_add(&z, y, x, NULL));
    CHECK(mx_eval(&z, 1) != MX_OK);
    CHECK(mx_last_error()[0] != '\0');
    /* the process still works */
    mx_array *w = NULL;
    CHECK_OK(mx_add(&w, x, x, NULL));
    float want[2] = {2, 4};
    check_f32(w, want, 2);
    mx_array_free(x), mx_array_free(y), mx_array_free(z), mx_array_free(w);
    mx_distributed_group_free(g);
}

TEST(split_through_backend) {
    mx_distributed_group *g = fake_group(&fake_state), *s = NULL;
    CHECK_OK(mx_distributed_group_split(&s, g, 1, -1));
    CHECK(mx_distributed_group_size(s) == 2 && mx_distributed_group_rank(s) == 0);
    CHECK_OK(mx_distributed_group_split(&s, g, 0, 3)); /* replaces s */
    CHECK(mx_distributed_group_size(s) == 1);
    mx_distributed_group_free(g);
    mx_distributed_group_free(s);
}

/* ---- transforms ---- */

static mx_distributed_group *closure_group;

static int f_all_sum(mx_vec *out, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = NULL;
    int rc = mx_distributed_all_sum(&y, in->data[0], closure_group, NULL);
    return rc ? rc : mx_vec_push(out, y);
}

static int f_all_gather(mx_vec *out, const mx_vec *in, void *p) {
    (void)p;
    mx_array *y = NULL;
    int rc = mx_distributed_all_gather(&y, in->data[0], closure_group, NULL);
    return rc ? rc : mx_vec_push(out, y);
}

static int f_sum_twice(mx_vec *out, const mx_vec *in, void *p) {
    (void)p;
    mx_array *a = NULL, *b = NULL, *c = NULL;
    int rc = mx_distributed_all_sum(&a, in->data[0], closure_group, NULL);
    if (!rc) rc = mx_distributed_all_sum(&b, in->data[0], closure_group, NULL);
    if (!rc) rc = mx_add(&c, a, b, NULL);
    mx_array_free(a);
    mx_array_free(b);
    return rc ? rc : mx_vec_push(out, c);
}

TEST(derivatives) {
    closure_group = fake_group(&fake_state);
    mx_closure *fs = NULL, *fg = NULL;
    CHECK_OK(mx_closure_new(&fs, f_all_sum, NULL, NULL));
    CHECK_OK(mx_closure_new(&fg, f_all_gather, NULL, NULL));
    int32_t shape[2] = {2, 2};
    mx_vec primals = {0}, cot = {0}, outs = {0}, vjps = {0};
    mx_vec_push(&primals, arange_f32(4, shape, 2));
    /* all_sum: the cotangent passes through; jvp sums the tangent */
    mx_vec_push(&cot, arange_f32(4, shape, 2));
    CHECK_OK(mx_vjp(&outs, &vjps, fs, &primals, &cot));
    float id[4] = {0, 1, 2, 3}, tri[4] = {0, 3, 6, 9};
    check_f32(vjps.data[0], id, 4);
    CHECK_OK(mx_jvp(&outs, &vjps, fs, &primals, &cot));
    check_f32(outs.data[0], tri, 4);
    check_f32(vjps.data[0], tri, 4);
    /* all_gather: rank 1's rows of the (6, 2) cotangent */
    int32_t s6[2] = {6, 2};
    mx_vec_clear(&cot);
    mx_vec_push(&cot, arange_f32(12, s6, 2));
    CHECK_OK(mx_vjp(&outs, &vjps, fg, &primals, &cot));
    CHECK(mx_array_shape(vjps.data[0])[0] == 2);
    float rows[4] = {4, 5, 6, 7};
    check_f32(vjps.data[0], rows, 4);
    /* 0-d primal: entry `rank` of the cotangent */
    mx_vec p0 = {0}, c0 = {0};
    mx_vec_push(&p0, test_scalar_f32(2));
    float cv[3] = {10, 20, 30};
    mx_vec_push(&c0, test_vec_f32(cv, 3));
    CHECK_OK(mx_vjp(&outs, &vjps, fg, &p0, &c0));
    CHECK(mx_array_ndim(vjps.data[0]) == 0);
    float twenty = 20;
    check_f32(vjps.data[0], &twenty, 1);
    mx_vec_clear(&p0), mx_vec_clear(&c0);
    mx_vec_clear(&primals), mx_vec_clear(&cot), mx_vec_clear(&outs), mx_vec_clear(&vjps);
    mx_closure_free(fs), mx_closure_free(fg);
    mx_distributed_group_free(closure_group);
}

TEST(vmap_matches_loop) {
    closure_group = fake_group(&fake_state);
    mx_closure *fg = NULL, *fs = NULL, *vg = NULL, *vs = NULL, *v0 = NULL;
    CHECK_OK(mx_closure_new(&fg, f_all_gather, NULL, NULL));
    CHECK_OK(mx_closure_new(&fs, f_all_sum, NULL, NULL));
    int in0 = 0, out0 = 0, in1 = 1;
    CHECK_OK(mx_vmap(&vg, fg, &in0, 1, &out0, 1));
    CHECK_OK(mx_vmap(&vs, fs, &in1, 1, &out0, 1));
    CHECK_OK(mx_vmap(&v0, fg, &in1, 1, &out0, 1));
    int32_t shape[3] = {2, 2, 3}; /* batch 2 of (2, 3) */
    mx_vec in = {0}, out = {0};
    mx_vec_push(&in, arange_f32(12, shape, 3));
    CHECK_OK(mx_closure_apply(vg, &out, &in));
    const int32_t *os = mx_array_shape(out.data[0]);
    CHECK(mx_array_ndim(out.data[0]) == 3 && os[0] == 2 && os[1] == 6 && os[2] == 3);
    float got[36];
    test_read_f32(out.data[0], got, 36);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 3; j++)
                CHECK_NEAR(got[(b * 6 + i) * 3 + j], (float)(b * 6 + (i % 2) * 3 + j), 0);
    /* batch on axis 1 of the input: the gather is along axis 0 */
    CHECK_OK(mx_closure_apply(v0, &out, &in));
    os = mx_array_shape(out.data[0]);
    CHECK(os[0] == 2 && os[1] == 6 && os[2] == 3);
    test_read_f32(out.data[0], got, 36);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 3; j++)
                CHECK_NEAR(got[(b * 6 + i) * 3 + j], (float)((i % 2) * 6 + b * 3 + j), 0);
    CHECK_OK(mx_closure_apply(vs, &out, &in));
    os = mx_array_shape(out.data[0]);
    CHECK(os[0] == 2 && os[1] == 2 && os[2] == 3);
    test_read_f32(out.data[0], got, 12);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                CHECK_NEAR(got[(b * 2 + i) * 3 + j], 3.0f * (float)(i * 6 + b * 3 + j), 0);
    /* a batch of 0-d entries: each gathers to (3,) */
    mx_vec_clear(&in);
    float v[2] = {1, 2};
    mx_vec_push(&in, test_vec_f32(v, 2));
    CHECK_OK(mx_closure_apply(vg, &out, &in));
    os = mx_array_shape(out.data[0]);
    CHECK(mx_array_ndim(out.data[0]) == 2 && os[0] == 2 && os[1] == 3);
    float want[6] = {1, 1, 1, 2, 2, 2};
    check_f32(out.data[0], want, 6);
    mx_vec_clear(&in), mx_vec_clear(&out);
    mx_closure_free(fg), mx_closure_free(fs), mx_closure_free(vg), mx_closure_free(vs);
    mx_closure_free(v0);
    mx_distributed_group_free(closure_group);
}

TEST(compile_keeps_every_transfer) {
    fake counting = {3, 0, 0, false, {0}, 0};
    closure_group = fake_group(&counting);
    mx_closure *f = NULL, *c = NULL;
    CHECK_OK(mx_closure_new(&f, f_sum_twice, NULL, NULL));
    CHECK_OK(mx_compile(&c, f, NULL));
    mx_vec in = {0}, out = {0};
    float v[2] = {1, 2};
    mx_vec_push(&in, test_vec_f32(v, 2));
    for (int k = 0; k < 2; k++) {
        counting.calls = 0;
        CHECK_OK(mx_closure_apply(c, &out, &in));
        float want[2] = {6, 12};
        check_f32(out.data[0], want, 2);
        CHECK(counting.calls == 2); /* two all_sums: not merged */
    }
    mx_vec_clear(&in), mx_vec_clear(&out);
    mx_closure_free(f), mx_closure_free(c);
    mx_distributed_group_free(closure_group);
}

/* x + 2 * recv from rank 1 + exp(arange(2)): the receive depends on no
 * input, the exp on constants alone */
static int f_recv_add(mx_vec *out, const mx_vec *in, void *p) {
    (void)p;
    int32_t shape[1] = {2};
    mx_array *r = NULL, *k = NULL, *c = NULL, *y = NULL;
    int rc = mx_distributed_recv(&r, shape, 1, MX_FLOAT32, 1, closure_group, NULL);
    if (!rc) rc = mx_arange(&k, 0, 2, 1, MX_FLOAT32, NULL);
    if (!rc) rc = mx_exp(&c, k, NULL);
    if (!rc) rc = mx_add(&y, r, r, NULL);
    if (!rc) rc = mx_add(&y, y, in->data[0], NULL);
    if (!rc) rc = mx_add(&y, y, c, NULL);
    mx_array_free(r), mx_array_free(k), mx_array_free(c);
    return rc ? rc : mx_vec_push(out, y);
}

/* no inputs: recv_like a constant, and the send of a constant */
static int f_recv_send(mx_vec *out, const mx_vec *in, void *p) {
    (void)in;
    mx_array *tmpl = (mx_array *)p, *r = NULL, *k = NULL, *s = NULL;
    int rc = mx_distributed_recv_like(&r, tmpl, 2, closure_group, NULL);
    if (!rc) rc = mx_arange(&k, 10, 12, 1, MX_FLOAT32, NULL);
    if (!rc) rc = mx_distributed_send(&s, k, 2, closure_group, NULL);
    mx_array_free(k);
    if (rc) {
        mx_array_free(r), mx_array_free(s);
        return rc;
    }
    rc = mx_vec_push(out, r);
    return rc ? rc : mx_vec_push(out, s);
}

/* all_sum of a constant, added to x */
static int f_sum_const(mx_vec *out, const mx_vec *in, void *p) {
    (void)p;
    mx_array *k = NULL, *y = NULL;
    int rc = mx_arange(&k, 0, 2, 1, MX_FLOAT32, NULL);
    if (!rc) rc = mx_distributed_all_sum(&y, k, closure_group, NULL);
    if (!rc) rc = mx_add(&y, y, in->data[0], NULL);
    mx_array_free(k);
    return rc ? rc : mx_vec_push(out, y);
}

static void send_now(mx_distributed_group *g, float a, float b) {
    float v[2] = {a, b};
    mx_array *x = test_vec_f32(v, 2), *s = NULL;
    CHECK_OK(mx_distributed_send(&s, x, 1, g, NULL));
    CHECK_OK(mx_eval(&s, 1));
    mx_array_free(x), mx_array_free(s);
}

TEST(compile_runs_transfers_each_call) {
    fake box = {3, 0, 0, false, {0}, 0};
    closure_group = fake_group(&box);
    mx_closure *f = NULL, *c = NULL;
    CHECK_OK(mx_closure_new(&f, f_recv_add, NULL, NULL));
    CHECK_OK(mx_compile(&c, f, NULL));
    float one[2] = {1, 1};
    mx_vec in = {0}, out = {0};
    mx_vec_push(&in, test_vec_f32(one, 2));
    for (int mode = 0; mode < 3; mode++) {
        mx_compile_mode m[3] = {MX_COMPILE_MODE_ENABLED, MX_COMPILE_MODE_NO_FUSE,
                                MX_COMPILE_MODE_NO_SIMPLIFY};
        CHECK_OK(mx_set_compile_mode(m[mode]));
        mx_closure *cm = NULL;
        CHECK_OK(mx_compile(&cm, f, NULL));
        for (int k = 0; k < 3; k++) {
            /* each call receives what was sent just before it */
            send_now(closure_group, (float)k, (float)(10 * k + mode));
            box.calls = 0;
            CHECK_OK(mx_closure_apply(cm, &out, &in));
            float want[2] = {2.0f * (float)k + 2, 2.0f * (float)(10 * k + mode) + 1 + expf(1)};
            check_f32(out.data[0], want, 2);
            CHECK(box.calls == 1);
            mx_vec_clear(&out);
        }
        int n_traces = 0, n_ops = 0;
        CHECK_OK(mxi_compile_stats(cm, &n_traces, &n_ops));
        CHECK(n_traces == 1);
        /* exp(arange) stays one captured constant: recv and the adds run */
        if (mode == 1) CHECK(n_ops == 4);
        mx_closure_free(cm);
    }
    CHECK_OK(mx_set_compile_mode(MX_COMPILE_MODE_ENABLED));

    /* no inputs at all: recv_like and a send of a constant run each call,
     * the constant they send is computed once */
    float t[2] = {0, 0};
    mx_array *tmpl = test_vec_f32(t, 2);
    mx_closure *g = NULL, *cg = NULL;
    CHECK_OK(mx_closure_new(&g, f_recv_send, tmpl, NULL));
    CHECK_OK(mx_compile(&cg, g, NULL));
    mx_vec none = {0};
    for (int k = 0; k < 3; k++) {
        send_now(closure_group, (float)k, -1);
        box.calls = 0;
        CHECK_OK(mx_closure_apply(cg, &out, &none));
        CHECK(out.size == 2);
        float got[2] = {(float)k, -1}, sent[2] = {10, 11};
        /* the recv reads the box before the send refills it */
        check_f32(out.data[0], got, 2);
        check_f32(out.data[1], sent, 2);
        CHECK(box.calls == 2);
        float boxed[2];
        memcpy(boxed, box.box, sizeof boxed);
        CHECK(boxed[0] == 10 && boxed[1] == 11);
        mx_vec_clear(&out);
    }

    /* compiled inside a compiled function: the outer trace records the
     * receive the inner replay makes */
    mx_closure *outer = NULL;
    CHECK_OK(mx_compile(&outer, c, NULL));
    for (int k = 0; k < 2; k++) {
        send_now(closure_group, (float)k, 5);
        box.calls = 0;
        CHECK_OK(mx_closure_apply(outer, &out, &in));
        float want[2] = {2.0f * (float)k + 2, 11 + expf(1)};
        check_f32(out.data[0], want, 2);
        CHECK(box.calls == 1);
        mx_vec_clear(&out);
    }
    mx_closure_free(outer);

    /* a collective of a constant communicates on every call */
    mx_closure *h = NULL, *ch = NULL;
    CHECK_OK(mx_closure_new(&h, f_sum_const, NULL, NULL));
    CHECK_OK(mx_compile(&ch, h, NULL));
    for (int k = 0; k < 2; k++) {
        box.calls = 0;
        CHECK_OK(mx_closure_apply(ch, &out, &in));
        float want[2] = {1, 4};
        check_f32(out.data[0], want, 2);
        CHECK(box.calls == 1);
        mx_vec_clear(&out);
    }

    /* the gradient through the compiled function: the received value is
     * a constant to it, received again */
    mx_vec cot = {0}, vjps = {0};
    mx_vec_push(&cot, test_vec_f32(one, 2));
    send_now(closure_group, 3, 4);
    box.calls = 0;
    CHECK_OK(mx_vjp(&out, &vjps, c, &in, &cot));
    float want[2] = {8, 9 + expf(1)};
    check_f32(out.data[0], want, 2);
    check_f32(vjps.data[0], one, 2);
    CHECK(box.calls == 1);
    mx_vec_clear(&out), mx_vec_clear(&vjps), mx_vec_clear(&cot);

    /* export: a receive is an op of the file, which import refuses */
    char path[64];
    snprintf(path, sizeof path, "/tmp/cmlx_dist_recv_%d.mlxfn", (int)getpid());
    int rc = mx_export_function(path, f, &in, false);
    if (rc == MX_OK) {
        mx_closure *imp = NULL;
        CHECK_ERR(mx_import_function(&imp, path), MX_ERR_VALUE);
        CHECK(strstr(mx_last_error(), "Recv") != NULL);
        remove(path);
    } else {
        CHECK(strstr(mx_last_error(), "Recv") != NULL);
    }
    /* shapeless: a receive cannot follow new shapes */
    mx_closure *cs = NULL;
    mx_compile_options opts = {.shapeless = true};
    CHECK_OK(mx_compile(&cs, f, &opts));
    CHECK_ERR(mx_closure_apply(cs, &out, &in), MX_ERR_VALUE);
    CHECK(strstr(mx_last_error(), "Recv") != NULL);

    mx_vec_clear(&in), mx_vec_clear(&out);
    mx_array_free(tmpl);
    mx_closure_free(f), mx_closure_free(c), mx_closure_free(g), mx_closure_free(cg);
    mx_closure_free(h), mx_closure_free(ch), mx_closure_free(cs);
    mx_distributed_group_free(closure_group);
}

int main(void) {
    RUN(availability);
    RUN(init_without_backend);
    RUN(singleton_ops_return_input);
    RUN(all_reduce_values);
    RUN(reduce_into_edge_values);
    RUN(all_gather_and_sum_scatter);
    RUN(send_and_recv);
    RUN(backend_errors_surface_at_eval);
    RUN(split_through_backend);
    RUN(derivatives);
    RUN(vmap_matches_loop);
    RUN(compile_keeps_every_transfer);
    RUN(compile_runs_transfers_each_call);
    return TEST_SUMMARY();
}
