/* Writes the seed corpus of fuzz_function (fuzz/corpus/function/) into the
 * directory given as argv[1]: small function files whose first trace takes
 * two float32 (2, 3) arrays, as the fuzz target calls them. Build against
 * the library: cc -Iinclude fuzz/make_function_seeds.c build/release/libcmlx.a -lm ... */
#include <stdio.h>

#include "cmlx.h"

/* exp(x) * y + x, then a reduction over the last axis and a transpose */
static int f_chain(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *e = NULL, *m = NULL, *r = NULL, *s = NULL, *t = NULL;
    int ax = -1;
    int rc = mx_exp(&e, in->data[0], NULL);
    if (!rc) rc = mx_multiply(&m, e, in->data[1], NULL);
    if (!rc) rc = mx_add(&r, m, in->data[0], NULL);
    if (!rc) rc = mx_sum_axes(&s, r, &ax, 1, true, NULL);
    if (!rc) rc = mx_transpose(&t, r, NULL, 0, NULL);
    if (!rc) rc = mx_vec_append(o, s);
    if (!rc) rc = mx_vec_append(o, t);
    mx_array_free(e);
    mx_array_free(m);
    mx_array_free(r);
    mx_array_free(s);
    mx_array_free(t);
    return rc;
}

/* (x - y) * 0.5, shapeless-friendly */
static int f_ew(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *d = NULL, *k = NULL, *r = NULL;
    int rc = mx_subtract(&d, in->data[0], in->data[1], NULL);
    if (!rc) rc = mx_array_from_float(&k, 0.5, MX_FLOAT32);
    if (!rc) rc = mx_multiply(&r, d, k, NULL);
    if (!rc) rc = mx_vec_append(o, r);
    mx_array_free(d);
    mx_array_free(k);
    mx_array_free(r);
    return rc;
}

/* x @ y^T + 0.5 */
static int f_matmul(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *t = NULL, *m = NULL, *k = NULL, *r = NULL;
    int rc = mx_transpose(&t, in->data[1], NULL, 0, NULL);
    if (!rc) rc = mx_matmul(&m, in->data[0], t, NULL);
    if (!rc) rc = mx_array_from_float(&k, 0.5, MX_FLOAT32);
    if (!rc) rc = mx_add(&r, m, k, NULL);
    if (!rc) rc = mx_vec_append(o, r);
    mx_array_free(t);
    mx_array_free(m);
    mx_array_free(k);
    mx_array_free(r);
    return rc;
}

/* Each step below makes one array from x = in[0] and y = in[1] (both (2, 3)
 * float32) and keeps it in v[] (freed at the end), so the seeds below can
 * chain many kinds in a few lines; outputs are pushed from v[]. */
#define STEP(call)                                                                                 \
    do {                                                                                           \
        if (!rc) {                                                                                 \
            mx_array **R = &v[nv++];                                                               \
            rc = (call);                                                                           \
            (void)R;                                                                               \
        }                                                                                          \
    } while (0)

static int push_from(mx_vec *o, mx_array **v, int nv, int first, int rc) {
    for (int i = first; i < nv && !rc; i++) rc = mx_vec_append(o, v[i]);
    for (int i = 0; i < nv; i++) mx_array_free(v[i]);
    return rc;
}

/* slice, concatenate, take, take_along_axis, pad, slice_update, scatter,
 * put_along_axis */
static int f_index(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *v[32] = {0}, *x = in->data[0], *y = in->data[1];
    int nv = 0, rc = MX_OK;
    int32_t b[2] = {0, 2}, e[2] = {2, -4}, st[2] = {1, -1}, two[1] = {2}, lo[2] = {1, 0},
            hi[2] = {0, 2};
    static const int32_t iv[2] = {1, 0};
    int ax0 = 0, both[2] = {0, 1};
    STEP(mx_array_from_data(R, iv, two, 1, MX_INT32)); /* v0 indices */
    STEP(mx_slice(R, x, b, e, st, 2, NULL));           /* v1 */
    const mx_array *xy[2] = {x, y};
    STEP(mx_concatenate(R, xy, 2, 1, NULL));                     /* v2 */
    STEP(mx_take_axis(R, x, v[0], 1, NULL));                     /* v3 */
    STEP(mx_argsort_axis(R, y, 1, NULL));                        /* v4 */
    STEP(mx_take_along_axis(R, x, v[4], 1, NULL));               /* v5 */
    STEP(mx_array_from_float(R, 3.0, MX_FLOAT32));               /* v6 */
    STEP(mx_pad(R, x, both, 2, lo, hi, v[6], "constant", NULL)); /* v7 */
    STEP(mx_slice(R, y, b, e, st, 2, NULL));                     /* v8 */
    STEP(mx_slice_update_add(R, x, v[8], b, e, st, 2, NULL));    /* v9 */
    const mx_array *idx[1] = {v[0]};
    int32_t ushape[3] = {2, 1, 3};
    STEP(mx_reshape(R, y, ushape, 3, NULL));                  /* v10 */
    STEP(mx_scatter_add(R, x, idx, 1, v[10], &ax0, 1, NULL)); /* v11 */
    STEP(mx_put_along_axis(R, x, v[4], y, 1, NULL));          /* v12 */
    return push_from(o, v, nv, 1, rc);
}

/* sort, partition, argmax, cumsum, logcumsumexp, logsumexp, softmax,
 * astype, where, tril */
static int f_sort(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *v[32] = {0}, *x = in->data[0], *y = in->data[1];
    int nv = 0, rc = MX_OK, ax1 = 1;
    STEP(mx_sort_axis(R, x, 0, NULL));
    STEP(mx_partition_axis(R, y, 1, 1, NULL));
    STEP(mx_argpartition_axis(R, y, 0, 0, NULL));
    STEP(mx_argmax_axis(R, x, 1, true, NULL));
    STEP(mx_cumsum_axis(R, x, 1, true, false, MX_DTYPE_NONE, NULL));
    STEP(mx_logcumsumexp_axis(R, y, 0, false, true, NULL));
    STEP(mx_logsumexp_axes(R, x, &ax1, 1, true, NULL));
    STEP(mx_softmax_axes(R, y, &ax1, 1, true, NULL));
    STEP(mx_astype(R, x, MX_FLOAT16, NULL));
    STEP(mx_greater(R, x, y, NULL));
    STEP(mx_where(R, v[nv - 2], x, y, NULL)); /* R is v[nv - 1] */
    STEP(mx_tril(R, x, 0, NULL));
    return push_from(o, v, nv, 0, rc);
}

/* rms_norm, layer_norm, rope, attention, conv1d, addmm, quantize,
 * dequantize, quantized_matmul, full, arange */
static int f_fast(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *v[40] = {0}, *x = in->data[0], *y = in->data[1];
    int nv = 0, rc = MX_OK;
    int32_t s4[4] = {1, 1, 2, 3}, w3[1] = {3}, c3[3] = {1, 2, 3}, k3[3] = {2, 1, 3},
            row[2] = {1, 3}, wide[2] = {6, 64}, col[2] = {6, 1}, xq[2] = {1, 64};
    float base = 10000.0f;
    STEP(mx_slice(R, y, (int32_t[]){0, 0}, row, NULL, 2, NULL));       /* v0 (1, 3) */
    STEP(mx_reshape(R, v[0], w3, 1, NULL));                            /* v1 (3) weight */
    STEP(mx_fast_rms_norm(R, x, v[1], 1e-5f, NULL));                   /* v2 */
    STEP(mx_fast_layer_norm(R, x, v[1], v[1], 1e-5f, NULL));           /* v3 */
    STEP(mx_reshape(R, x, s4, 4, NULL));                               /* v4 (1,1,2,3) */
    STEP(mx_reshape(R, y, s4, 4, NULL));                               /* v5 */
    STEP(mx_fast_rope(R, v[4], 2, false, &base, 1.0f, 1, NULL, NULL)); /* v6 */
    STEP(mx_fast_scaled_dot_product_attention(R, v[6], v[5], v[5], 0.5f, "causal", NULL, NULL,
                                              NULL));    /* v7 */
    STEP(mx_reshape(R, x, c3, 3, NULL));                 /* v8 (1, 2, 3) */
    STEP(mx_reshape(R, y, k3, 3, NULL));                 /* v9 (2, 1, 3) */
    STEP(mx_conv1d(R, v[8], v[9], 1, 0, 1, 1, NULL));    /* v10 (1, 2, 2) */
    STEP(mx_transpose(R, y, NULL, 0, NULL));             /* v11 (3, 2) */
    STEP(mx_addmm(R, v[0], v[11], x, 0.5f, 2.0f, NULL)); /* v12 (3, 3) */
    STEP(mx_reshape(R, x, col, 2, NULL));                /* v13 (6, 1) */
    STEP(mx_broadcast_to(R, v[13], wide, 2, NULL));      /* v14 (6, 64) */
    mx_array *q[3] = {NULL, NULL, NULL};
    if (!rc) rc = mx_quantize(&q[0], &q[1], &q[2], v[14], 32, 4, "affine", NULL);
    for (int i = 0; i < 3; i++) v[nv++] = q[i];
    STEP(mx_dequantize(R, q[0], q[1], q[2], 32, 4, "affine", MX_DTYPE_NONE, NULL));
    STEP(mx_slice(R, v[14], (int32_t[]){0, 0}, xq, NULL, 2, NULL)); /* (1, 64) */
    STEP(mx_quantized_matmul(R, v[nv - 2], q[0], q[1], q[2], true, 32, 4, "affine", NULL));
    STEP(mx_full(R, row, 2, v[0], MX_FLOAT32, NULL));
    STEP(mx_arange(R, 0, 5, 2, MX_FLOAT32, NULL));
    return push_from(o, v, nv, 2, rc);
}

/* sum(hadamard(x) * y) and sum(conv1d(x, w, stride 2, padding 1)^2): the
 * gradients hold a transposed Hadamard and negatively padded
 * convolutions */
static int l_grads(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *v[12] = {0};
    int nv = 0, rc = MX_OK;
    int32_t x3[3] = {1, 2, 3}, w3[3] = {3, 1, 3}, two[2] = {2, 2};
    STEP(mx_slice(R, in->data[0], (int32_t[]){0, 0}, two, NULL, 2, NULL)); /* v0 (2, 2) */
    STEP(mx_hadamard_transform(R, v[0], NULL, NULL));
    STEP(mx_multiply(R, v[1], v[0], NULL));
    STEP(mx_sum(R, v[2], false, NULL));
    STEP(mx_reshape(R, in->data[0], x3, 3, NULL));
    STEP(mx_reshape(R, in->data[1], x3, 3, NULL));
    STEP(mx_slice(R, v[5], (int32_t[]){0, 0, 0}, (int32_t[]){1, 1, 3}, NULL, 3, NULL));
    STEP(mx_broadcast_to(R, v[6], w3, 3, NULL));
    STEP(mx_conv1d(R, v[4], v[7], 2, 1, 1, 1, NULL));
    STEP(mx_square(R, v[8], NULL));
    STEP(mx_sum(R, v[9], false, NULL));
    STEP(mx_add(R, v[3], v[10], NULL));
    if (!rc) rc = mx_vec_append(o, v[11]);
    for (int i = 0; i < nv; i++) mx_array_free(v[i]);
    return rc;
}

/* randint, categorical, permutation, normal with a scale, median,
 * masked_scatter, as_strided, depends, and the value and gradients of
 * l_grads */
static int f_kinds2(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *v[40] = {0}, *x = in->data[0], *y = in->data[1];
    int nv = 0, rc = MX_OK, ax1 = 1, args[2] = {0, 1};
    int32_t s23[2] = {2, 3}, s22[2] = {2, 2}, s6[1] = {6};
    int64_t st[2] = {3, 1};
    STEP(mx_slice(R, x, (int32_t[]){0, 0}, (int32_t[]){1, 2}, NULL, 2, NULL)); /* v0 */
    STEP(mx_abs(R, v[0], NULL)); /* v1; v2: a key made from x */
    STEP(mx_astype(R, v[1], MX_UINT32, NULL));
    STEP(mx_reshape(R, v[2], (int32_t[]){2}, 1, NULL));
    STEP(mx_array_from_int(R, -3, MX_INT32));
    STEP(mx_array_from_int(R, 40, MX_INT32));
    STEP(mx_random_randint(R, v[4], v[5], s23, 2, MX_INT32, v[3], NULL));
    STEP(mx_random_normal_scalar(R, s23, 2, MX_FLOAT32, 1, 2, v[3], NULL));
    STEP(mx_random_key(R, 7)); /* v8 */
    STEP(mx_random_categorical(R, x, 1, v[8], NULL));
    STEP(mx_random_permutation(R, y, 1, v[8], NULL));
    STEP(mx_median_axes(R, x, &ax1, 1, false, NULL));
    STEP(mx_greater(R, x, y, NULL));     /* v12 */
    STEP(mx_reshape(R, y, s6, 1, NULL)); /* v13 */
    STEP(mx_masked_scatter(R, x, v[12], v[13], NULL));
    STEP(mx_as_strided(R, x, s22, 2, st, 1, NULL));
    STEP(mx_random_permutation_arange(R, 5, v[3], NULL));
    const mx_array *dx[1] = {x}, *dy[1] = {y};
    STEP(mx_depends(R, dx, 1, dy, 1));
    mx_closure *l = NULL;
    mx_vec vals = {0}, grads = {0};
    if (!rc) rc = mx_closure_new(&l, l_grads, NULL, NULL);
    if (!rc) rc = mx_value_and_grad(&vals, &grads, l, in, args, 2);
    for (int i = 0; i < vals.size && !rc; i++) rc = mx_vec_append(o, vals.data[i]);
    for (int i = 0; i < grads.size && !rc; i++) rc = mx_vec_append(o, grads.data[i]);
    mx_vec_clear(&vals), mx_vec_clear(&grads);
    mx_closure_free(l);
    return push_from(o, v, nv, 6, rc);
}

/* A constant captured by both traces of pooled.mlxfn: the file's constant
 * pool holds it once. */
static mx_array *pooled_c;

/* (x + y + sum(c), c) */
static int f_pooled(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *s = NULL, *t = NULL, *r = NULL;
    int rc = mx_add(&s, in->data[0], in->data[1], NULL);
    if (!rc) rc = mx_sum(&t, pooled_c, false, NULL);
    if (!rc) rc = mx_add(&r, s, t, NULL);
    if (!rc) rc = mx_vec_append(o, r);
    if (!rc) rc = mx_vec_append(o, pooled_c);
    mx_array_free(s);
    mx_array_free(t);
    mx_array_free(r);
    return rc;
}

/* When set, the second input is a keyword argument of this name (and the
 * file carries metadata). */
static const char *seed_kw;

static int write_seed(const char *dir, const char *name, mx_closure_fn fn, bool shapeless) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mx_closure *f = NULL;
    mx_exporter *e = NULL;
    int32_t shape[2] = {2, 3}, other[1] = {4};
    mx_vec in = {0}, in2 = {0};
    mx_array *a = NULL;
    int rc = mx_closure_new(&f, fn, NULL, NULL);
    for (int i = 0; i < 2 && !rc; i++) {
        static const float v[6] = {0};
        rc = mx_array_from_data(&a, v, shape, 2, MX_FLOAT32);
        if (!rc) rc = mx_vec_push(&in, a);
        a = NULL; /* ops release what *out held */
        if (!rc) rc = mx_array_from_data(&a, v, other, 1, MX_FLOAT32);
        if (!rc) rc = mx_vec_push(&in2, a);
        a = NULL;
    }
    if (!rc) rc = mx_exporter_new(&e, path, f, shapeless);
    if (!rc) rc = mx_exporter_add_kw(e, &in, &seed_kw, seed_kw ? 1 : 0);
    if (!rc && seed_kw) rc = mx_exporter_set_metadata(e, "{\"seed\": 1}", 11);
    if (!rc && (fn == f_chain || fn == f_pooled) && !shapeless) rc = mx_exporter_add(e, &in2);
    if (rc) fprintf(stderr, "%s: %s\n", name, mx_last_error());
    if (e) {
        int rc2 = mx_exporter_close(e);
        if (!rc) rc = rc2;
    }
    mx_vec_clear(&in);
    mx_vec_clear(&in2);
    mx_closure_free(f);
    if (rc) fprintf(stderr, "%s: %s\n", name, mx_last_error());
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    int rc = write_seed(argv[1], "chain.mlxfn", f_chain, false);
    rc |= write_seed(argv[1], "shapeless.mlxfn", f_ew, true);
    rc |= write_seed(argv[1], "shapeless_chain.mlxfn", f_chain, true);
    rc |= write_seed(argv[1], "shapeless_matmul.mlxfn", f_matmul, true);
    rc |= write_seed(argv[1], "matmul.mlxfn", f_matmul, false);
    rc |= write_seed(argv[1], "index.mlxfn", f_index, false);
    rc |= write_seed(argv[1], "sort.mlxfn", f_sort, false);
    rc |= write_seed(argv[1], "fast.mlxfn", f_fast, false);
    rc |= write_seed(argv[1], "kinds2.mlxfn", f_kinds2, false);
    static const float cv[6] = {1, -2, 3.5f, 0, 8, -0.5f};
    int32_t cs[2] = {2, 3};
    rc |= mx_array_from_data(&pooled_c, cv, cs, 2, MX_FLOAT32);
    if (pooled_c) rc |= write_seed(argv[1], "pooled.mlxfn", f_pooled, false);
    mx_array_free(pooled_c);
    seed_kw = "y";
    rc |= write_seed(argv[1], "named.mlxfn", f_matmul, false);
    return rc ? 1 : 0;
}
