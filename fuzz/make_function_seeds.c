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
    if (!rc) rc = mx_exporter_add(e, &in);
    if (!rc && fn == f_chain && !shapeless) rc = mx_exporter_add(e, &in2);
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
    rc |= write_seed(argv[1], "matmul.mlxfn", f_matmul, false);
    return rc ? 1 : 0;
}
