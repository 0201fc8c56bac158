/*
 * Random ops (mlx.core.random): keys and the global key, bits, and the
 * distributions. Each op follows MLX's random.cpp: the same checks, the same
 * output shapes and dtypes, the same use of the key. Sampling itself is one
 * primitive per family (defs/random.def) that reproduces MLX's chain of ops
 * from the raw Threefry words; what MLX does with ops cmlx has (astype,
 * broadcast, multiply and add with loc and scale, matmul) is composed here.
 */
#include <math.h>
#include <pthread.h>
#include <time.h>

#include "nodes.h"
#include "ops_util.h"
#include "cpu/random.h"
#include "primitives/params_random.h"

/* ---- the global key ---- */

/* MLX keeps one KeySequence per thread, all seeded with the same
 * process-wide time in milliseconds taken on first use. */
static uint64_t time_seed;
static pthread_once_t time_seed_once = PTHREAD_ONCE_INIT;

static void init_time_seed(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_seed = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static _Thread_local bool tls_key_set;
static _Thread_local uint32_t tls_key[2];

static void key_from_seed(uint32_t k[2], uint64_t seed) {
    k[0] = (uint32_t)(seed >> 32);
    k[1] = (uint32_t)seed;
}

static uint32_t *global_key(void) {
    if (!tls_key_set) {
        pthread_once(&time_seed_once, init_time_seed);
        key_from_seed(tls_key, time_seed);
        tls_key_set = true;
    }
    return tls_key;
}

/* KeySequence::next: the bits of shape (2, 2) of the key are words
 * w0..w3 with (w0, w2) = hash(0, 2) and (w1, w3) = hash(1, 3); the key
 * becomes (w0, w1) and (w2, w3) is handed out. */
/* While a transform traces with the state as one of its inputs (compile's
 * inputs=mx.random.state), the key is that tracer and each draw splits it
 * with graph ops (owned here; NULL otherwise). */
static _Thread_local mx_array *tls_key_traced;

static int global_next(mx_array **out) {
    if (tls_key_traced) {
        mx_array *next = NULL, *sub = NULL;
        int rc = mx_random_split_pair(&next, &sub, tls_key_traced, NULL);
        if (rc) return rc;
        mx_array_free(tls_key_traced);
        tls_key_traced = next;
        mxi_set_out(out, sub);
        return MX_OK;
    }
    uint32_t *k = global_key();
    uint32_t a[2], b[2];
    mxi_threefry2x32(k[0], k[1], 0, 2, a);
    mxi_threefry2x32(k[0], k[1], 1, 3, b);
    uint32_t sub[2] = {a[1], b[1]};
    int32_t two = 2;
    int rc = mx_array_from_data(out, sub, &two, 1, MX_UINT32);
    if (rc) return rc;
    k[0] = a[0], k[1] = b[0];
    return MX_OK;
}

int mx_random_seed(uint64_t seed) {
    mx_array_free(tls_key_traced);
    tls_key_traced = NULL;
    key_from_seed(tls_key, seed);
    tls_key_set = true;
    return MX_OK;
}

int mx_random_key(mx_array **out, uint64_t seed) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[key] the output pointer is NULL");
    uint32_t k[2];
    key_from_seed(k, seed);
    int32_t two = 2;
    mx_array *fresh = NULL;
    int rc = mx_array_from_data(&fresh, k, &two, 1, MX_UINT32);
    if (!rc) mxi_set_out(out, fresh);
    return rc;
}

static int check_key(const char *op, const mx_array *key) {
    if (key->dtype != MX_UINT32)
        return mxi_error(MX_ERR_VALUE, "[%s] expected a key of type uint32 but received %s", op,
                         mx_dtype_name(key->dtype));
    if (key->ndim != 1 || key->shape[0] != 2) {
        char b[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE, "[%s] expected a key of shape (2) but received %s", op,
                         mxi_shape_str(b, sizeof b, key->shape, key->ndim));
    }
    return MX_OK;
}

int mx_random_get_state(mx_array **out) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[random_state] the output pointer is NULL");
    if (tls_key_traced) {
        mxi_set_out(out, mx_array_retain(tls_key_traced));
        return MX_OK;
    }
    uint32_t *k = global_key();
    int32_t two = 2;
    mx_array *fresh = NULL;
    int rc = mx_array_from_data(&fresh, k, &two, 1, MX_UINT32);
    if (!rc) mxi_set_out(out, fresh);
    return rc;
}

int mx_random_set_state(const mx_array *key) {
    if (!key) return mxi_error(MX_ERR_VALUE, "[random_state] the key is NULL");
    int rc = check_key("random_state", key);
    if (rc) return rc;
    uint32_t k[2];
    mx_array *a = (mx_array *)key;
    if (a->tracer && mxi_tracing_active()) {
        mx_array *old = tls_key_traced;
        tls_key_traced = mx_array_retain(a);
        mx_array_free(old);
        return MX_OK;
    }
    rc = mx_eval(&a, 1);
    if (!rc) rc = mx_array_copy_to(a, k, sizeof k);
    if (rc) return rc;
    tls_key[0] = k[0], tls_key[1] = k[1];
    tls_key_set = true;
    mx_array_free(tls_key_traced);
    tls_key_traced = NULL;
    return MX_OK;
}

/* The key of a call: a new reference to `key` after checking it, or, for
 * NULL, the next key of the global sequence. */
static int take_key(const char *op, const mx_array *key, mx_array **out) {
    if (!key) return global_next(out);
    int rc = check_key(op, key);
    if (!rc) mxi_set_out(out, mx_array_retain((mx_array *)key));
    return rc;
}

/* ---- helpers ---- */

/* One sampling node: inputs are the key then the parameter arrays. */
static int sample(mx_array **out, mxi_prim_kind kind, mx_dtype dtype, const int32_t *shape,
                  int ndim, mx_array *key, mx_array *const *params, int np, const void *p,
                  size_t psize, const mx_stream *s) {
    mx_array *inputs[1 + 4];
    inputs[0] = key;
    for (int i = 0; i < np; i++) inputs[i + 1] = params[i];
    return mxi_make(out, dtype, shape, ndim, kind, p, psize, inputs, 1 + np, s);
}

/* a cast to t and broadcast to shape. */
static int param_to(mx_array **out, const mx_array *a, mx_dtype t, const int32_t *shape, int ndim,
                    const mx_stream *s) {
    mx_array *c = NULL;
    int rc = mxi_astype_if(&c, a, t, s);
    if (!rc) rc = mxi_broadcast_if(out, c, shape, ndim, s);
    mx_array_free(c);
    return rc;
}

/* MLX's check that parameters of broadcast shape `ps` fit `shape`:
 * broadcast_shapes(shape, ps) must be shape. */
static int check_fits(const char *op, const int32_t *shape, int ndim, const int32_t *ps, int pn) {
    int32_t bs[MXI_MAX_NDIM];
    int bn;
    int rc = mxi_broadcast_shapes(op, bs, &bn, shape, ndim, ps, pn);
    if (rc) return rc;
    if (!mxi_same_shape(bs, bn, shape, ndim)) {
        char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[%s] cannot generate random values of shape %s from broadcasted shape %s",
                         op, mxi_shape_str(a, sizeof a, shape, ndim),
                         mxi_shape_str(b, sizeof b, bs, bn));
    }
    return MX_OK;
}

static int check_start(const char *op, mx_array **out, const mx_array *key, mx_array **k) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[%s] the output pointer is NULL", op);
    return take_key(op, key, k);
}

/* The dtypes uniform samples can have (MLX: real floats but float64). */
static int check_uniform_dtype(const char *op, mx_dtype dtype) {
    if (!mx_dtype_is_floating(dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[%s] can only generate uniform numbers with real floating point type, "
                         "got %s",
                         op, mx_dtype_name(dtype));
    if (dtype == MX_FLOAT64)
        return mxi_error(MX_ERR_RUNTIME, "[%s] unsupported type float64 (as MLX's uniform)", op);
    return MX_OK;
}

/* ---- bits and split ---- */

static int bits_with_key(mx_array **out, const char *op, const int32_t *shape, int ndim, int width,
                         mx_array *key, const mx_stream *s) {
    int rc = mxi_check_shape(op, shape, ndim);
    if (rc) return rc;
    mx_dtype t;
    switch (width) {
    case 1:
        t = MX_UINT8;
        break;
    case 2:
        t = MX_UINT16;
        break;
    case 4:
        t = MX_UINT32;
        break;
    default:
        return mxi_error(MX_ERR_VALUE, "[%s] bit width must be in {1, 2, 4} but got %d", op, width);
    }
    mxi_random_bits_params p = {width};
    return sample(out, MXI_PRIM_RANDOM_BITS, t, shape, ndim, key, NULL, 0, &p, sizeof p, s);
}

int mx_random_bits(mx_array **out, const int32_t *shape, int ndim, int width, const mx_array *key,
                   const mx_stream *s) {
    mx_array *k = NULL;
    int rc = check_start("bits", out, key, &k);
    if (!rc) rc = bits_with_key(out, "bits", shape, ndim, width, k, s);
    mx_array_free(k);
    return rc;
}

int mx_random_split(mx_array **out, const mx_array *key, int num, const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[split] the output pointer is NULL");
    if (!key) return mxi_error(MX_ERR_VALUE, "[split] the key is NULL");
    int rc = check_key("split", key);
    if (rc) return rc;
    if (num < 0) return mxi_error(MX_ERR_VALUE, "[split] num must be non-negative, got %d", num);
    int32_t shape[2] = {num, 2};
    return bits_with_key(out, "split", shape, 2, 4, (mx_array *)key, s);
}

int mx_random_split_pair(mx_array **first, mx_array **second, const mx_array *key,
                         const mx_stream *s) {
    if (!first || !second) return mxi_error(MX_ERR_VALUE, "[split] an output pointer is NULL");
    mx_array *both = NULL, *r0 = NULL, *r1 = NULL, *k0 = NULL, *k1 = NULL;
    int rc = mx_random_split(&both, key, 2, s);
    int32_t st0[2] = {0, 0}, sp0[2] = {1, 2}, st1[2] = {1, 0}, sp1[2] = {2, 2}, one[2] = {1, 1};
    int32_t two = 2;
    if (!rc) rc = mx_slice(&r0, both, st0, sp0, one, 2, s);
    if (!rc) rc = mx_slice(&r1, both, st1, sp1, one, 2, s);
    if (!rc) rc = mx_reshape(&k0, r0, &two, 1, s);
    if (!rc) rc = mx_reshape(&k1, r1, &two, 1, s);
    if (!rc) {
        mxi_set_out(first, k0);
        mxi_set_out(second, k1);
        k0 = k1 = NULL;
    }
    mx_array_free(both);
    mx_array_free(r0);
    mx_array_free(r1);
    mx_array_free(k0);
    mx_array_free(k1);
    return rc;
}

/* ---- uniform ---- */

int mx_random_uniform(mx_array **out, const mx_array *low, const mx_array *high,
                      const int32_t *shape, int ndim, mx_dtype dtype, const mx_array *key,
                      const mx_stream *s) {
    const char *op = "uniform";
    mx_array *k = NULL, *lo0 = NULL, *hi0 = NULL, *lo = NULL, *hi = NULL;
    int rc = check_start(op, out, key, &k);
    if (!rc) rc = mxi_check_shape(op, shape, ndim);
    if (!rc) rc = check_uniform_dtype(op, dtype);
    if (!rc && !low) rc = mx_array_from_float(&lo0, 0.0, dtype);
    if (!rc && !high) rc = mx_array_from_float(&hi0, 1.0, dtype);
    if (!rc) {
        if (!low) low = lo0;
        if (!high) high = hi0;
        int32_t rs[MXI_MAX_NDIM];
        int rn;
        rc = mxi_broadcast_shapes(op, rs, &rn, high->shape, high->ndim, low->shape, low->ndim);
        if (!rc) rc = check_fits(op, shape, ndim, rs, rn);
    }
    if (!rc) rc = param_to(&lo, low, dtype, shape, ndim, s);
    if (!rc) rc = param_to(&hi, high, dtype, shape, ndim, s);
    if (!rc) {
        mx_array *prm[2] = {lo, hi};
        rc = sample(out, MXI_PRIM_RANDOM_UNIFORM, dtype, shape, ndim, k, prm, 2, NULL, 0, s);
    }
    mx_array_free(k);
    mx_array_free(lo0);
    mx_array_free(hi0);
    mx_array_free(lo);
    mx_array_free(hi);
    return rc;
}

/* ---- normal ---- */

int mxi_random_normal_node(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                           bool scaled, const mx_array *key, const mx_stream *s) {
    const char *op = "normal";
    if (!out || !key) return mxi_error(MX_ERR_VALUE, "[%s] the output or the key is NULL", op);
    int rc = check_key(op, key);
    if (!rc) rc = mxi_check_shape(op, shape, ndim);
    if (rc) return rc;
    if (!mx_dtype_is_valid((int)dtype) || (!mx_dtype_is_floating(dtype) && dtype != MX_COMPLEX64))
        return mxi_error(MX_ERR_VALUE,
                         "[normal] only floating point and complex64 types are supported, got %s",
                         mx_dtype_is_valid((int)dtype) ? mx_dtype_name(dtype) : "an invalid dtype");
    if (scaled && dtype == MX_COMPLEX64)
        return mxi_error(MX_ERR_VALUE, "[normal] complex64 samples are never scaled");
    mxi_random_normal_params p = {scaled};
    return sample(out, MXI_PRIM_RANDOM_NORMAL, dtype, shape, ndim, (mx_array *)key, NULL, 0, &p,
                  sizeof p, s);
}

static int normal_with_key(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                           const mx_array *loc, const mx_array *scale, mx_array *k,
                           const mx_stream *s) {
    bool complex = dtype == MX_COMPLEX64;
    mx_array *smp = NULL, *sc = NULL, *s2 = NULL, *f = NULL, *lc = NULL;
    int rc = mxi_random_normal_node(&smp, shape, ndim, dtype, !complex && !scale, k, s);
    if (!rc && scale) {
        /* multiply(scale * sqrt(2), erfinv(u)), or scale * samples (complex). */
        rc = mxi_astype_if(&sc, scale, dtype, s);
        if (!rc && !complex) rc = mx_array_from_float(&s2, sqrt(2.0), dtype);
        if (!rc && !complex) rc = mx_multiply(&f, sc, s2, s);
        if (!rc) rc = mx_multiply(&smp, complex ? sc : f, smp, s);
    }
    if (!rc && loc) {
        rc = mxi_astype_if(&lc, loc, dtype, s);
        if (!rc) rc = mx_add(&smp, lc, smp, s);
    }
    if (!rc) {
        mxi_set_out(out, smp);
        smp = NULL;
    }
    mx_array_free(smp);
    mx_array_free(sc);
    mx_array_free(s2);
    mx_array_free(f);
    mx_array_free(lc);
    return rc;
}

int mx_random_normal(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                     const mx_array *loc, const mx_array *scale, const mx_array *key,
                     const mx_stream *s) {
    mx_array *k = NULL;
    int rc = check_start("normal", out, key, &k);
    if (!rc) rc = normal_with_key(out, shape, ndim, dtype, loc, scale, k, s);
    mx_array_free(k);
    return rc;
}

int mx_random_normal_scalar(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                            float loc, float scale, const mx_array *key, const mx_stream *s) {
    mx_array *k = NULL, *l = NULL, *sc = NULL;
    int rc = check_start("normal", out, key, &k);
    if (!rc && !mx_dtype_is_valid((int)dtype))
        rc = mxi_error(MX_ERR_VALUE, "[normal] invalid dtype %d", (int)dtype);
    if (!rc && loc != 0) rc = mx_array_from_float(&l, loc, dtype);
    if (!rc && scale != 1) rc = mx_array_from_float(&sc, scale, dtype);
    if (!rc) rc = normal_with_key(out, shape, ndim, dtype, l, sc, k, s);
    mx_array_free(k);
    mx_array_free(l);
    mx_array_free(sc);
    return rc;
}

/* ---- multivariate normal ---- */

int mxi_cov_sqrt(mx_array **out, const mx_array *cov, const mx_stream *s) {
    const char *op = "multivariate_normal";
    int rc = mxi_check_inputs(op, out, &cov, 1);
    if (rc) return rc;
    if (cov->dtype != MX_FLOAT32)
        return mxi_error(MX_ERR_VALUE, "[%s] the covariance square root takes float32, got %s", op,
                         mx_dtype_name(cov->dtype));
    if (cov->ndim < 2 || cov->shape[cov->ndim - 1] != cov->shape[cov->ndim - 2])
        return mxi_error(MX_ERR_VALUE, "[%s] cov must be square matrices", op);
    mx_array *in = (mx_array *)cov;
    return mxi_make(out, MX_FLOAT32, cov->shape, cov->ndim, MXI_PRIM_COV_SQRT, NULL, 0, &in, 1, s);
}

int mx_random_multivariate_normal(mx_array **out, const mx_array *mean, const mx_array *cov,
                                  const int32_t *shape, int ndim, mx_dtype dtype,
                                  const mx_array *key, const mx_stream *s) {
    const char *op = "multivariate_normal";
    mx_array *k = NULL;
    int rc = check_start(op, out, key, &k);
    const mx_array *ins[2] = {mean, cov};
    if (!rc) rc = mxi_check_inputs(op, out, ins, 2);
    if (!rc) rc = mxi_check_shape(op, shape, ndim);
    if (rc) {
        mx_array_free(k);
        return rc;
    }
    if (dtype != MX_FLOAT32)
        rc =
            mxi_error(MX_ERR_VALUE, "[%s] dtype must be float32, got %s", op, mx_dtype_name(dtype));
    else if (mean->ndim < 1)
        rc = mxi_error(MX_ERR_VALUE, "[%s] mean must have at least one dimension", op);
    else if (cov->ndim < 2)
        rc = mxi_error(MX_ERR_VALUE, "[%s] cov must have at least two dimensions", op);
    else if (cov->shape[cov->ndim - 1] != cov->shape[cov->ndim - 2])
        rc = mxi_error(MX_ERR_VALUE, "[%s] last two dimensions of cov must be equal", op);
    else if (mean->shape[mean->ndim - 1] != cov->shape[cov->ndim - 1])
        rc = mxi_error(MX_ERR_VALUE, "[%s] mean and cov must have compatible shapes", op);
    if (rc) {
        mx_array_free(k);
        return rc;
    }
    int32_t n = cov->shape[cov->ndim - 1];
    int32_t b1[MXI_MAX_NDIM], batch[MXI_MAX_NDIM + 2];
    int n1, nb;
    rc = mxi_broadcast_shapes(op, b1, &n1, cov->shape, cov->ndim - 2, mean->shape, mean->ndim - 1);
    if (!rc) rc = mxi_broadcast_shapes(op, batch, &nb, b1, n1, shape, ndim);
    if (!rc && nb + 2 > MXI_MAX_NDIM) rc = mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    mx_array *z = NULL, *c32 = NULL, *sq = NULL, *z2 = NULL, *prod = NULL, *r = NULL;
    if (!rc) {
        batch[nb] = n;
        rc = normal_with_key(&z, batch, nb + 1, MX_FLOAT32, NULL, NULL, k, s);
    }
    if (!rc) rc = mxi_astype_if(&c32, cov, MX_FLOAT32, s);
    if (!rc) rc = mxi_cov_sqrt(&sq, c32, s);
    if (!rc) {
        batch[nb] = 1, batch[nb + 1] = n;
        rc = mx_reshape(&z2, z, batch, nb + 2, s);
    }
    if (!rc) rc = mx_matmul(&prod, z2, sq, s);
    if (!rc) {
        batch[nb] = n;
        rc = mx_reshape(&r, prod, batch, nb + 1, s);
    }
    if (!rc) rc = mx_add(out, mean, r, s);
    mx_array_free(k);
    mx_array_free(z);
    mx_array_free(c32);
    mx_array_free(sq);
    mx_array_free(z2);
    mx_array_free(prod);
    mx_array_free(r);
    return rc;
}

/* ---- randint ---- */

int mxi_random_randint_node(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                            const mx_array *const prm[4], const mx_array *key, const mx_stream *s) {
    const char *op = "randint";
    if (!out || !key || !prm) return mxi_error(MX_ERR_VALUE, "[%s] a NULL argument", op);
    int rc = check_key(op, key);
    if (!rc) rc = mxi_check_shape(op, shape, ndim);
    if (rc) return rc;
    if (!mx_dtype_is_valid((int)dtype) || mx_dtype_is_inexact(dtype))
        return mxi_error(MX_ERR_VALUE, "[%s] randint only accepts integer dtypes and bool", op);
    for (int i = 0; i < 4; i++) {
        mx_dtype want = i < 2 ? MX_FLOAT32 : dtype;
        if (!prm[i] || prm[i]->dtype != want ||
            !mxi_same_shape(prm[i]->shape, prm[i]->ndim, shape, ndim))
            return mxi_error(MX_ERR_VALUE, "[%s] parameter %d must be %s of the output's shape", op,
                             i, mx_dtype_name(want));
    }
    mx_array *p[4] = {(mx_array *)prm[0], (mx_array *)prm[1], (mx_array *)prm[2],
                      (mx_array *)prm[3]};
    return sample(out, MXI_PRIM_RANDOM_RANDINT, dtype, shape, ndim, (mx_array *)key, p, 4, NULL, 0,
                  s);
}

int mx_random_randint(mx_array **out, const mx_array *low, const mx_array *high,
                      const int32_t *shape, int ndim, mx_dtype dtype, const mx_array *key,
                      const mx_stream *s) {
    const char *op = "randint";
    mx_array *k = NULL, *one = NULL, *hm1 = NULL;
    mx_array *prm[4] = {NULL, NULL, NULL, NULL};
    int rc = check_start(op, out, key, &k);
    const mx_array *ins[2] = {low, high};
    if (!rc) rc = mxi_check_inputs(op, out, ins, 2);
    if (!rc) rc = mxi_check_shape(op, shape, ndim);
    if (!rc && !mx_dtype_is_valid((int)dtype))
        rc = mxi_error(MX_ERR_VALUE, "[%s] invalid dtype %d", op, (int)dtype);
    if (!rc && mx_dtype_is_inexact(dtype))
        rc = mxi_error(MX_ERR_VALUE, "[%s] randint only accepts integer dtypes and bool, got %s",
                       op, mx_dtype_name(dtype));
    if (!rc) {
        int32_t rs[MXI_MAX_NDIM];
        int rn;
        rc = mxi_broadcast_shapes(op, rs, &rn, high->shape, high->ndim, low->shape, low->ndim);
        if (!rc) rc = check_fits(op, shape, ndim, rs, rn);
    }
    /* low and high as float32 for the uniform; high - 1 (in high's dtype)
     * and low as dtype for the clamp. */
    if (!rc) rc = param_to(&prm[0], low, MX_FLOAT32, shape, ndim, s);
    if (!rc) rc = param_to(&prm[1], high, MX_FLOAT32, shape, ndim, s);
    if (!rc) rc = mx_array_from_int(&one, 1, high->dtype);
    if (!rc) rc = mx_subtract(&hm1, high, one, s);
    if (!rc) rc = param_to(&prm[2], hm1, dtype, shape, ndim, s);
    if (!rc) rc = param_to(&prm[3], low, dtype, shape, ndim, s);
    if (!rc)
        rc = mxi_random_randint_node(out, shape, ndim, dtype, (const mx_array *const *)prm, k, s);
    mx_array_free(k);
    mx_array_free(one);
    mx_array_free(hm1);
    for (int i = 0; i < 4; i++) mx_array_free(prm[i]);
    return rc;
}

/* ---- bernoulli ---- */

int mx_random_bernoulli(mx_array **out, const mx_array *p, const int32_t *shape, int ndim,
                        const mx_array *key, const mx_stream *s) {
    const char *op = "bernoulli";
    mx_array *k = NULL, *p0 = NULL, *pb = NULL;
    int rc = check_start(op, out, key, &k);
    if (!rc && !p) {
        rc = mx_array_from_float(&p0, 0.5, MX_FLOAT32);
        p = p0;
    }
    if (!rc && !mx_dtype_is_floating(p->dtype))
        rc = mxi_error(MX_ERR_VALUE, "[%s] bernoulli probability `p` must be a float type, got %s",
                       op, mx_dtype_name(p->dtype));
    if (!rc) {
        if (ndim < 0) {
            shape = p->shape, ndim = p->ndim;
        } else {
            rc = mxi_check_shape(op, shape, ndim);
            int32_t bs[MXI_MAX_NDIM];
            int bn;
            if (!rc) rc = mxi_broadcast_shapes(op, bs, &bn, p->shape, p->ndim, shape, ndim);
            if (!rc && !mxi_same_shape(bs, bn, shape, ndim)) {
                char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN];
                rc = mxi_error(MX_ERR_VALUE, "[%s] shape of `p` %s is incompatible with shape %s",
                               op, mxi_shape_str(a, sizeof a, p->shape, p->ndim),
                               mxi_shape_str(b, sizeof b, shape, ndim));
            }
        }
    }
    if (!rc) rc = param_to(&pb, p, mx_promote_types(p->dtype, MX_FLOAT32), shape, ndim, s);
    if (!rc)
        rc = sample(out, MXI_PRIM_RANDOM_BERNOULLI, MX_BOOL, shape, ndim, k, &pb, 1, NULL, 0, s);
    mx_array_free(k);
    mx_array_free(p0);
    mx_array_free(pb);
    return rc;
}

/* ---- truncated normal ---- */

int mx_random_truncated_normal(mx_array **out, const mx_array *lower, const mx_array *upper,
                               const int32_t *shape, int ndim, mx_dtype dtype, const mx_array *key,
                               const mx_stream *s) {
    const char *op = "truncated_normal";
    mx_array *k = NULL, *lo = NULL, *hi = NULL;
    int rc = check_start(op, out, key, &k);
    const mx_array *ins[2] = {lower, upper};
    if (!rc) rc = mxi_check_inputs(op, out, ins, 2);
    if (!rc && !mx_dtype_is_floating(dtype))
        rc = mxi_error(MX_ERR_VALUE,
                       "[%s] truncated_normal only accepts floating point dtypes, "
                       "got %s",
                       op, mx_dtype_name(dtype));
    if (!rc) rc = check_uniform_dtype(op, dtype);
    int32_t rs[MXI_MAX_NDIM];
    int rn = 0;
    if (!rc)
        rc =
            mxi_broadcast_shapes(op, rs, &rn, upper->shape, upper->ndim, lower->shape, lower->ndim);
    if (!rc) {
        if (ndim < 0) {
            shape = rs, ndim = rn;
        } else {
            rc = mxi_check_shape(op, shape, ndim);
            if (!rc) rc = check_fits(op, shape, ndim, rs, rn);
        }
    }
    if (!rc) rc = param_to(&lo, lower, dtype, shape, ndim, s);
    if (!rc) rc = param_to(&hi, upper, dtype, shape, ndim, s);
    if (!rc) {
        mx_array *prm[2] = {lo, hi};
        rc = sample(out, MXI_PRIM_RANDOM_TRUNCATED_NORMAL, dtype, shape, ndim, k, prm, 2, NULL, 0,
                    s);
    }
    mx_array_free(k);
    mx_array_free(lo);
    mx_array_free(hi);
    return rc;
}

/* ---- gumbel and laplace ---- */

static int gumbel_with_key(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                           mx_array *k, const mx_stream *s) {
    int rc = mxi_check_shape("gumbel", shape, ndim);
    if (!rc) rc = check_uniform_dtype("gumbel", dtype);
    if (!rc) rc = sample(out, MXI_PRIM_RANDOM_GUMBEL, dtype, shape, ndim, k, NULL, 0, NULL, 0, s);
    return rc;
}

int mx_random_gumbel(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype,
                     const mx_array *key, const mx_stream *s) {
    mx_array *k = NULL;
    int rc = check_start("gumbel", out, key, &k);
    if (!rc) rc = gumbel_with_key(out, shape, ndim, dtype, k, s);
    mx_array_free(k);
    return rc;
}

int mx_random_laplace(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype, float loc,
                      float scale, const mx_array *key, const mx_stream *s) {
    mx_array *k = NULL;
    int rc = check_start("laplace", out, key, &k);
    if (!rc) rc = mxi_check_shape("laplace", shape, ndim);
    if (!rc && !mx_dtype_is_floating(dtype))
        rc = mxi_error(MX_ERR_VALUE,
                       "[laplace] only real floating point types are supported, got %s",
                       mx_dtype_name(dtype));
    mxi_random_laplace_params p = {loc, scale};
    if (!rc)
        rc = sample(out, MXI_PRIM_RANDOM_LAPLACE, dtype, shape, ndim, k, NULL, 0, &p, sizeof p, s);
    mx_array_free(k);
    return rc;
}

/* ---- categorical ---- */

int mxi_categorical_argmax(mx_array **out, const mx_array *x, int axis, const mx_stream *s) {
    const char *op = "categorical";
    int rc = mxi_check_inputs(op, out, &x, 1);
    if (rc) return rc;
    mx_dtype t = x->dtype;
    if (t != MX_FLOAT16 && t != MX_BFLOAT16 && t != MX_FLOAT32 && t != MX_FLOAT64 &&
        t != MX_COMPLEX64)
        return mxi_error(MX_ERR_VALUE, "[%s] unsupported dtype %s", op, mx_dtype_name(t));
    if (axis < 0 || axis >= x->ndim)
        return mxi_error(MX_ERR_INDEX, "[%s] invalid axis %d for %d dimensions", op, axis, x->ndim);
    /* the kernel reads the first entry of each row */
    if (x->size == 0)
        return mxi_error(MX_ERR_VALUE, "[%s] cannot take the argmax of an empty array", op);
    int32_t os[MXI_MAX_NDIM];
    int on = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != axis) os[on++] = x->shape[d];
    mxi_random_axis_params p = {axis};
    mx_array *in = (mx_array *)x;
    return mxi_make(out, MX_UINT32, os, on, MXI_PRIM_CATEGORICAL_ARGMAX, &p, sizeof p, &in, 1, s);
}

/* argmax(gumbel(gshape, float32) + logits, axis) with logits as given
 * (broadcast by the add); the result has the sample's shape without axis. */
static int categorical_impl(mx_array **out, const mx_array *logits, const int32_t *gshape, int gn,
                            int axis, mx_array *k, const mx_stream *s) {
    mx_array *g = NULL, *x = NULL;
    int rc = gumbel_with_key(&g, gshape, gn, MX_FLOAT32, k, s);
    if (!rc) rc = mx_add(&x, g, logits, s);
    if (!rc) rc = mxi_categorical_argmax(out, x, axis, s);
    mx_array_free(g);
    mx_array_free(x);
    return rc;
}

static int categorical_start(const char *op, mx_array **out, const mx_array *logits, int *axis,
                             const mx_array *key, mx_array **k) {
    int rc = check_start(op, out, key, k);
    if (!rc) rc = mxi_check_inputs(op, out, &logits, 1);
    if (!rc && logits->ndim >= MXI_MAX_NDIM)
        rc = mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    if (!rc) {
        int a = *axis < 0 ? *axis + logits->ndim : *axis;
        if (a < 0 || a >= logits->ndim)
            rc = mxi_error(MX_ERR_INDEX, "[%s] invalid axis %d for logits with %d dimensions", op,
                           *axis, logits->ndim);
        *axis = a;
    }
    return rc;
}

int mx_random_categorical(mx_array **out, const mx_array *logits, int axis, const mx_array *key,
                          const mx_stream *s) {
    mx_array *k = NULL;
    int rc = categorical_start("categorical", out, logits, &axis, key, &k);
    if (!rc) rc = categorical_impl(out, logits, logits->shape, logits->ndim, axis, k, s);
    mx_array_free(k);
    return rc;
}

int mx_random_categorical_shape(mx_array **out, const mx_array *logits, int axis,
                                const int32_t *shape, int ndim, const mx_array *key,
                                const mx_stream *s) {
    const char *op = "categorical";
    mx_array *k = NULL;
    int rc = categorical_start(op, out, logits, &axis, key, &k);
    if (!rc) rc = mxi_check_shape(op, shape, ndim);
    if (!rc && ndim >= MXI_MAX_NDIM) rc = mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    if (!rc) {
        int32_t red[MXI_MAX_NDIM], bs[MXI_MAX_NDIM], gs[MXI_MAX_NDIM];
        int rn = 0, bn;
        for (int d = 0; d < logits->ndim; d++)
            if (d != axis) red[rn++] = logits->shape[d];
        rc = mxi_broadcast_shapes(op, bs, &bn, shape, ndim, red, rn);
        if (!rc && !mxi_same_shape(bs, bn, shape, ndim)) {
            char a[MXI_SHAPE_STR_LEN], b[MXI_SHAPE_STR_LEN];
            rc = mxi_error(MX_ERR_VALUE,
                           "[%s] requested shape %s is not broadcast compatible with reduced "
                           "logits shape %s",
                           op, mxi_shape_str(a, sizeof a, shape, ndim),
                           mxi_shape_str(b, sizeof b, red, rn));
        }
        if (!rc) {
            /* The distribution axis goes where it lines up with logits. */
            int pos = axis + (ndim - rn);
            for (int d = 0, i = 0; d <= ndim; d++)
                gs[d] = d == pos ? logits->shape[axis] : shape[i++];
            rc = categorical_impl(out, logits, gs, ndim + 1, pos, k, s);
        }
    }
    mx_array_free(k);
    return rc;
}

int mx_random_categorical_num_samples(mx_array **out, const mx_array *logits, int axis,
                                      int num_samples, const mx_array *key, const mx_stream *s) {
    const char *op = "categorical";
    mx_array *k = NULL, *ex = NULL;
    int rc = categorical_start(op, out, logits, &axis, key, &k);
    if (!rc && num_samples < 0)
        rc = mxi_error(MX_ERR_VALUE, "[%s] num_samples must be non-negative, got %d", op,
                       num_samples);
    if (!rc) {
        /* gumbel(logits.shape + (num_samples,)) + logits[..., None]. */
        int32_t gs[MXI_MAX_NDIM];
        int n = logits->ndim;
        for (int d = 0; d < n; d++) gs[d] = logits->shape[d];
        gs[n] = 1;
        rc = mx_reshape(&ex, logits, gs, n + 1, s);
        gs[n] = num_samples;
        if (!rc) rc = categorical_impl(out, ex, gs, n + 1, axis, k, s);
    }
    mx_array_free(k);
    mx_array_free(ex);
    return rc;
}

/* ---- permutation ---- */

int mx_random_permutation_arange(mx_array **out, int n, const mx_array *key, const mx_stream *s) {
    mx_array *k = NULL;
    int rc = check_start("permutation", out, key, &k);
    if (!rc && n < 0)
        rc = mxi_error(MX_ERR_VALUE, "[permutation] n must be non-negative, got %d", n);
    mxi_random_axis_params p = {0};
    int32_t shape = n;
    if (!rc)
        rc = sample(out, MXI_PRIM_RANDOM_PERMUTATION, MX_UINT32, &shape, 1, k, NULL, 0, &p,
                    sizeof p, s);
    mx_array_free(k);
    return rc;
}

int mx_random_permutation(mx_array **out, const mx_array *x, int axis, const mx_array *key,
                          const mx_stream *s) {
    const char *op = "permutation";
    mx_array *k = NULL;
    int rc = check_start(op, out, key, &k);
    if (!rc) rc = mxi_check_inputs(op, out, &x, 1);
    if (!rc) rc = mxi_normalize_axis(op, &axis, x->ndim);
    if (!rc) {
        mxi_random_axis_params p = {axis};
        mx_array *xi = (mx_array *)x;
        rc = sample(out, MXI_PRIM_RANDOM_PERMUTATION, x->dtype, x->shape, x->ndim, k, &xi, 1, &p,
                    sizeof p, s);
    }
    mx_array_free(k);
    return rc;
}
