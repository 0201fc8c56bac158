/*
 * Finite-difference checks of the transforms, shared by the
 * test_transforms_*.c programs: for a function f and inputs x, a random
 * direction d and random output cotangents c,
 *   jvp(f, x, d)      must match (f(x + eps d) - f(x - eps d)) / 2 eps,
 *   <vjp(f, x, c), d> must match <c, that difference>.
 */
#ifndef CMLX_TRANSFORMS_FD_H
#define CMLX_TRANSFORMS_FD_H

#include "test.h"

static uint64_t fd_rng = 0x9e3779b97f4a7c15ULL;

static inline double fd_uniform(double lo, double hi) {
    fd_rng ^= fd_rng << 13;
    fd_rng ^= fd_rng >> 7;
    fd_rng ^= fd_rng << 17;
    return lo + (hi - lo) * (double)(fd_rng >> 11) / 9007199254740992.0;
}

/* Layouts of test inputs. */
enum { FD_DENSE, FD_TRANSPOSED, FD_BROADCAST };

/* A random evaluated array of dtype dt and `shape` with values in [lo, hi):
 * dense, a transposed view (2-d and up), or a broadcast view (its first
 * axis stride 0). */
static inline mx_array *fd_input(const int32_t *shape, int nd, double lo, double hi, int layout,
                                 mx_dtype dt) {
    int32_t src[8];
    int64_t n = 1;
    for (int i = 0; i < nd; i++) src[i] = shape[i];
    if (layout == FD_TRANSPOSED && nd >= 2) {
        src[nd - 1] = shape[nd - 2];
        src[nd - 2] = shape[nd - 1];
    }
    if (layout == FD_BROADCAST && nd >= 1) src[0] = 1;
    for (int i = 0; i < nd; i++) n *= src[i];
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = fd_uniform(lo, hi);
    mx_array *a = test_array_of(v, NULL, n, src, nd, dt), *b = NULL;
    free(v);
    if (layout == FD_TRANSPOSED && nd >= 2) {
        CHECK_OK(mx_swapaxes(&b, a, -1, -2, NULL));
    } else if (layout == FD_BROADCAST && nd >= 1) {
        CHECK_OK(mx_broadcast_to(&b, a, shape, nd, NULL));
    } else {
        return a;
    }
    CHECK_OK(mx_eval(&b, 1));
    mx_array_free(a);
    return b;
}

/* Values of a as doubles (malloc'd, a->size entries). */
static inline double *fd_read(mx_array *a) {
    mx_array *d = NULL;
    size_t n = mx_array_size(a);
    double *v = calloc(n ? n : 1, sizeof(double));
    CHECK_OK(mx_astype(&d, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_eval(&d, 1));
    CHECK_OK(mx_array_copy_to(d, v, n * sizeof(double)));
    mx_array_free(d);
    return v;
}

static inline mx_array *fd_like(const mx_array *a, double lo, double hi) {
    return fd_input(mx_array_shape(a), mx_array_ndim(a), lo, hi, FD_DENSE, mx_array_dtype(a));
}

/* x + s * d for each input. */
static inline void fd_shift(mx_vec *out, const mx_vec *x, const mx_vec *d, double s) {
    for (int i = 0; i < x->size; i++) {
        mx_array *k = NULL, *sd = NULL, *r = NULL;
        CHECK_OK(mx_array_from_float(&k, s, mx_array_dtype(x->data[i])));
        CHECK_OK(mx_multiply(&sd, d->data[i], k, NULL));
        CHECK_OK(mx_add(&r, x->data[i], sd, NULL));
        CHECK_OK(mx_vec_push(out, r));
        mx_array_free(k);
        mx_array_free(sd);
    }
}

static inline bool fd_is_float(mx_dtype dt) {
    return dt == MX_FLOAT64 || dt == MX_FLOAT32 || dt == MX_FLOAT16 || dt == MX_BFLOAT16;
}

/* Checks f's jvp and vjp at x against central differences (step eps,
 * tolerance tol relative to 1 + |value|). Inputs that are not floating
 * point are not differentiated (their direction is zero). */
static inline void fd_check(const char *name, mx_closure *f, const mx_vec *x, double eps,
                            double tol) {
    mx_vec d = {0}, xp = {0}, xm = {0}, fp = {0}, fm = {0}, c = {0};
    mx_vec outs = {0}, jv = {0}, vj = {0}, outs2 = {0};
    int fails = test_failures_in_current;
    for (int i = 0; i < x->size; i++) {
        mx_array *a = x->data[i];
        mx_array *z = fd_like(a, -1, 1);
        if (!fd_is_float(mx_array_dtype(a)))
            CHECK_OK(mx_zeros_like(&z, a, mx_array_dtype(a), NULL));
        CHECK_OK(mx_vec_push(&d, z));
    }
    fd_shift(&xp, x, &d, eps);
    fd_shift(&xm, x, &d, -eps);
    CHECK_OK(mx_closure_apply(f, &fp, &xp));
    CHECK_OK(mx_closure_apply(f, &fm, &xm));
    CHECK_OK(mx_jvp(&outs, &jv, f, x, &d));
    for (int j = 0; j < outs.size; j++) CHECK_OK(mx_vec_push(&c, fd_like(outs.data[j], -1, 1)));
    CHECK_OK(mx_vjp(&outs2, &vj, f, x, &c));
    if (test_failures_in_current != fails || jv.size != fp.size || vj.size != x->size) {
        fprintf(stderr, "  in %s\n", name);
        goto done;
    }
    double lhs = 0, rhs = 0, scale = 0;
    for (int j = 0; j < fp.size; j++) {
        if (!fd_is_float(mx_array_dtype(fp.data[j]))) continue;
        size_t n = mx_array_size(fp.data[j]);
        double *p = fd_read(fp.data[j]), *m = fd_read(fm.data[j]), *t = fd_read(jv.data[j]);
        double *cv = fd_read(c.data[j]);
        for (size_t k = 0; k < n; k++) {
            double fd = (p[k] - m[k]) / (2 * eps);
            if (!(fabs(t[k] - fd) <= tol * (1 + fabs(fd)))) {
                fprintf(stderr, "  %s: jvp output %d [%zu] = %.10g, differences give %.10g\n", name,
                        j, k, t[k], fd);
                test_failures_in_current++;
                break;
            }
            rhs += cv[k] * fd;
            scale += fabs(cv[k] * fd);
        }
        free(p);
        free(m);
        free(t);
        free(cv);
    }
    for (int i = 0; i < x->size; i++) {
        size_t n = mx_array_size(x->data[i]);
        CHECK(mx_array_ndim(vj.data[i]) == mx_array_ndim(x->data[i]));
        CHECK(mx_array_dtype(vj.data[i]) == mx_array_dtype(x->data[i]));
        double *g = fd_read(vj.data[i]), *dv = fd_read(d.data[i]);
        for (size_t k = 0; k < n; k++) lhs += g[k] * dv[k];
        free(g);
        free(dv);
    }
    if (!(fabs(lhs - rhs) <= tol * (1 + scale))) {
        fprintf(stderr, "  %s: <vjp, d> = %.10g, <c, differences> = %.10g\n", name, lhs, rhs);
        test_failures_in_current++;
    }
done:
    mx_vec_clear(&d);
    mx_vec_clear(&xp);
    mx_vec_clear(&xm);
    mx_vec_clear(&fp);
    mx_vec_clear(&fm);
    mx_vec_clear(&c);
    mx_vec_clear(&outs);
    mx_vec_clear(&jv);
    mx_vec_clear(&vj);
    mx_vec_clear(&outs2);
}

/* A closure from a plain function (no payload). */
static inline mx_closure *fd_fn(mx_closure_fn fn) {
    mx_closure *c = NULL;
    CHECK_OK(mx_closure_new(&c, fn, NULL, NULL));
    return c;
}

#endif
