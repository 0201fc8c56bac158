/* mx_fft_*: values against a direct DFT computed in double, round trips,
 * sizes, axes, strides, norms, dtypes, frequencies, shifts and wrong calls. */
#include <complex.h>
#include <stdint.h>

#include "cpu/simd.h"
#include "test.h"

typedef double _Complex cd;

static const double PI = 3.14159265358979323846;

/* ---- reference: row-major double complex buffers ---- */

typedef struct ref {
    int nd;
    int32_t shape[8];
    int64_t size;
    cd *v;
} ref;

static ref ref_new(const int32_t *shape, int nd) {
    ref r = {.nd = nd, .size = 1};
    for (int i = 0; i < nd; i++) r.shape[i] = shape[i], r.size *= shape[i];
    r.v = calloc((size_t)(r.size ? r.size : 1), sizeof(cd));
    return r;
}

static uint64_t rng_state = 12345;
static double rnd(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / (double)(1ull << 53) * 2.0 - 1.0;
}

static ref ref_random(const int32_t *shape, int nd, bool complex_values) {
    ref r = ref_new(shape, nd);
    for (int64_t i = 0; i < r.size; i++) {
        double a = rnd(), b = complex_values ? rnd() : 0.0;
        /* values that float32 holds exactly */
        r.v[i] = (double)(float)a + I * (double)(float)b;
    }
    return r;
}

/* The axis split: outer count, length, inner count. */
static void split(const ref *r, int axis, int64_t *outer, int64_t *inner) {
    *outer = 1, *inner = 1;
    for (int i = 0; i < axis; i++) *outer *= r->shape[i];
    for (int i = axis + 1; i < r->nd; i++) *inner *= r->shape[i];
}

/* r cut or zero-padded to len along axis. */
static ref ref_resize(const ref *r, int axis, int32_t len) {
    int32_t shape[8];
    memcpy(shape, r->shape, sizeof shape);
    shape[axis] = len;
    ref o = ref_new(shape, r->nd);
    int64_t outer, inner;
    split(r, axis, &outer, &inner);
    int32_t n = r->shape[axis], m = len < n ? len : n;
    for (int64_t a = 0; a < outer; a++)
        for (int32_t j = 0; j < m; j++)
            for (int64_t b = 0; b < inner; b++)
                o.v[(a * len + j) * inner + b] = r->v[(a * n + j) * inner + b];
    return o;
}

/* Direct DFT along axis, in place (sign -1 forward, +1 inverse;
 * unnormalised). */
static void ref_dft(ref *r, int axis, int sign) {
    int64_t outer, inner;
    split(r, axis, &outer, &inner);
    int32_t n = r->shape[axis];
    cd *tmp = malloc(sizeof(cd) * (size_t)n);
    for (int64_t a = 0; a < outer; a++)
        for (int64_t b = 0; b < inner; b++) {
            cd *base = r->v + a * n * inner + b;
            for (int32_t k = 0; k < n; k++) {
                cd s = 0;
                for (int32_t j = 0; j < n; j++) {
                    int64_t t = ((int64_t)j * k) % n;
                    double ang = sign * 2.0 * PI * (double)t / n;
                    s += base[j * inner] * (cos(ang) + I * sin(ang));
                }
                tmp[k] = s;
            }
            for (int32_t k = 0; k < n; k++) base[k * inner] = tmp[k];
        }
    free(tmp);
}

static void ref_scale(ref *r, double s) {
    for (int64_t i = 0; i < r->size; i++) r->v[i] *= s;
}

static void ref_free(ref *r) {
    free(r->v);
    r->v = NULL;
}

static ref ref_copy(const ref *r) {
    ref o = ref_new(r->shape, r->nd);
    memcpy(o.v, r->v, sizeof(cd) * (size_t)r->size);
    return o;
}

/* ---- arrays ---- */

static mx_array *to_complex(const ref *r) {
    float *f = malloc(sizeof(float) * 2 * (size_t)(r->size ? r->size : 1));
    for (int64_t i = 0; i < r->size; i++)
        f[2 * i] = (float)creal(r->v[i]), f[2 * i + 1] = (float)cimag(r->v[i]);
    mx_array *a = NULL;
    CHECK_OK(mx_array_from_data(&a, f, r->shape, r->nd, MX_COMPLEX64));
    free(f);
    return a;
}

static mx_array *to_real(const ref *r, mx_dtype dt) {
    double *d = malloc(sizeof(double) * (size_t)(r->size ? r->size : 1));
    for (int64_t i = 0; i < r->size; i++) d[i] = creal(r->v[i]);
    mx_array *a = NULL, *c = NULL;
    CHECK_OK(mx_array_from_data(&a, d, r->shape, r->nd, MX_FLOAT64));
    CHECK_OK(mx_astype(&c, a, dt, NULL));
    mx_array_free(a);
    free(d);
    return c;
}

/* Relative L2 distance between an evaluated array (complex64 or float32)
 * and r; checks shape and dtype too. */
static double rel_err(mx_array *a, const ref *r, mx_dtype dt) {
    CHECK_OK(mx_eval(&a, 1));
    CHECK(mx_array_dtype(a) == dt);
    CHECK(mx_array_ndim(a) == r->nd);
    if (mx_array_ndim(a) != r->nd) return INFINITY;
    for (int i = 0; i < r->nd; i++) {
        CHECK(mx_array_shape(a)[i] == r->shape[i]);
        if (mx_array_shape(a)[i] != r->shape[i]) return INFINITY;
    }
    bool cx = dt == MX_COMPLEX64;
    size_t nf = (size_t)r->size * (cx ? 2 : 1);
    float *f = malloc(sizeof(float) * (nf ? nf : 1));
    CHECK_OK(mx_array_copy_to(a, f, sizeof(float) * nf));
    double num = 0, den = 0;
    for (int64_t i = 0; i < r->size; i++) {
        cd v = cx ? f[2 * i] + I * f[2 * i + 1] : f[i] + 0.0 * I;
        cd want = cx ? r->v[i] : creal(r->v[i]);
        num += pow(cabs(v - want), 2);
        den += pow(cabs(want), 2);
    }
    free(f);
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

#define TOL 1e-6

/* ---- 1-D complex ---- */

static const int32_t lengths[] = {1,   2,    3,    5,    7,    8, 12, 17, 64, 97,  100,
                                  128, 1000, 1024, 2310, 4099, 6, 9,  25, 49, 121, 4096};

TEST(fft_lengths) {
    for (size_t t = 0; t < sizeof lengths / sizeof lengths[0]; t++) {
        int32_t n = lengths[t];
        ref x = ref_random(&n, 1, true);
        mx_array *a = to_complex(&x), *y = NULL, *z = NULL;
        CHECK_OK(mx_fft_fft(&y, a, MX_FFT_N_DEFAULT, -1, MX_FFT_NORM_BACKWARD, NULL));
        ref want = ref_copy(&x);
        ref_dft(&want, 0, -1);
        double e = rel_err(y, &want, MX_COMPLEX64);
        if (!(e < TOL)) fprintf(stderr, "  fft n=%d rel err %g\n", n, e);
        CHECK(e < TOL);
        /* inverse against the reference and the round trip */
        CHECK_OK(mx_fft_ifft(&z, a, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
        ref inv = ref_copy(&x);
        ref_dft(&inv, 0, 1);
        ref_scale(&inv, 1.0 / n);
        e = rel_err(z, &inv, MX_COMPLEX64);
        if (!(e < TOL)) fprintf(stderr, "  ifft n=%d rel err %g\n", n, e);
        CHECK(e < TOL);
        CHECK_OK(mx_fft_ifft(&z, y, MX_FFT_N_DEFAULT, -1, MX_FFT_NORM_BACKWARD, NULL));
        CHECK(rel_err(z, &x, MX_COMPLEX64) < TOL);
        mx_array_free(a), mx_array_free(y), mx_array_free(z);
        ref_free(&x), ref_free(&want), ref_free(&inv);
    }
}

/* Many lines along either axis (split over threads), at every SIMD level;
 * lengths mixing every radix, the generic one and Bluestein. */
TEST(fft_batched_lines) {
    int32_t shapes[][2] = {{37, 60}, {16, 77}, {9, 194}, {21, 45}};
    int top = mxi_simd_detected();
    for (int level = 0; level <= top && level < MXI_SIMD_LEVELS; level++) {
        if (mxi_simd_set_active((mxi_simd_level)level) != 0) continue;
        for (int t = 0; t < 4; t++) {
            ref x = ref_random(shapes[t], 2, true);
            mx_array *a = to_complex(&x), *y = NULL;
            for (int axis = 0; axis < 2; axis++) {
                CHECK_OK(mx_fft_fft(&y, a, MX_FFT_N_DEFAULT, axis, MX_FFT_NORM_BACKWARD, NULL));
                ref want = ref_copy(&x);
                ref_dft(&want, axis, -1);
                double e = rel_err(y, &want, MX_COMPLEX64);
                if (!(e < TOL))
                    fprintf(stderr, "  level %d shape %d axis %d: %g\n", level, t, axis, e);
                CHECK(e < TOL);
                ref_free(&want);
            }
            /* real transforms of the same lines (the real parts) */
            mx_array *r = to_real(&x, MX_FLOAT32), *z = NULL;
            ref xr = ref_copy(&x);
            for (int64_t i = 0; i < xr.size; i++) xr.v[i] = creal(xr.v[i]);
            for (int axis = 0; axis < 2; axis++) {
                int32_t len = shapes[t][axis];
                CHECK_OK(mx_fft_rfft(&y, r, MX_FFT_N_DEFAULT, axis, MX_FFT_NORM_BACKWARD, NULL));
                ref full = ref_copy(&xr);
                ref_dft(&full, axis, -1);
                ref want = ref_resize(&full, axis, len / 2 + 1);
                CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
                CHECK_OK(mx_fft_irfft(&z, y, len, axis, MX_FFT_NORM_BACKWARD, NULL));
                CHECK(rel_err(z, &xr, MX_FLOAT32) < TOL);
                ref_free(&full), ref_free(&want);
            }
            mx_array_free(a), mx_array_free(y), mx_array_free(r), mx_array_free(z);
            ref_free(&x), ref_free(&xr);
        }
    }
    mxi_simd_set_active((mxi_simd_level)top);
}

/* Long transforms (run one line at a time): the round trip, and a few
 * outputs against direct sums. */
TEST(fft_long) {
    int32_t shape[2] = {3, 70000};
    ref x = ref_random(shape, 2, true);
    mx_array *a = to_complex(&x), *y = NULL, *z = NULL;
    CHECK_OK(mx_fft_fft(&y, a, MX_FFT_N_DEFAULT, 1, MX_FFT_NORM_BACKWARD, NULL));
    CHECK_OK(mx_eval(&y, 1));
    float *f = malloc(sizeof(float) * 2 * 3 * 70000);
    CHECK_OK(mx_array_copy_to(y, f, sizeof(float) * 2 * 3 * 70000));
    int32_t ks[] = {0, 1, 12345, 69999};
    for (int row = 0; row < 3; row++)
        for (int t = 0; t < 4; t++) {
            cd s = 0;
            for (int32_t j = 0; j < 70000; j++) {
                double ang = -2.0 * PI * (double)(((int64_t)j * ks[t]) % 70000) / 70000.0;
                s += x.v[row * 70000 + j] * (cos(ang) + I * sin(ang));
            }
            int64_t o = 2 * ((int64_t)row * 70000 + ks[t]);
            /* |X| is about sqrt(n) = 265; float rounding a few 1e-7 of that */
            CHECK(cabs(f[o] + I * f[o + 1] - s) < 2e-3);
        }
    CHECK_OK(mx_fft_ifft(&z, y, MX_FFT_N_DEFAULT, 1, MX_FFT_NORM_BACKWARD, NULL));
    CHECK(rel_err(z, &x, MX_COMPLEX64) < TOL);
    /* real, even and odd lengths */
    mx_array *r = to_real(&x, MX_FLOAT32);
    ref xr = ref_copy(&x);
    for (int64_t i = 0; i < xr.size; i++) xr.v[i] = creal(xr.v[i]);
    CHECK_OK(mx_fft_rfft(&y, r, MX_FFT_N_DEFAULT, 1, MX_FFT_NORM_BACKWARD, NULL));
    CHECK_OK(mx_fft_irfft(&z, y, 70000, 1, MX_FFT_NORM_BACKWARD, NULL));
    CHECK(rel_err(z, &xr, MX_FLOAT32) < TOL);
    CHECK_OK(mx_fft_rfft(&y, r, 69999, 1, MX_FFT_NORM_BACKWARD, NULL));
    CHECK_OK(mx_fft_irfft(&z, y, 69999, 1, MX_FFT_NORM_BACKWARD, NULL));
    ref xr2 = ref_resize(&xr, 1, 69999);
    CHECK(rel_err(z, &xr2, MX_FLOAT32) < TOL);
    free(f);
    mx_array_free(a), mx_array_free(y), mx_array_free(z), mx_array_free(r);
    ref_free(&x), ref_free(&xr), ref_free(&xr2);
}

/* Transforms on two streams at once share plans through the cache. */
TEST(fft_two_streams) {
    mx_device cpu = {MX_CPU, 0};
    mx_stream s1, s2;
    CHECK_OK(mx_new_stream(&s1, cpu));
    CHECK_OK(mx_new_stream(&s2, cpu));
    int32_t shape[2] = {24, 300};
    ref x = ref_random(shape, 2, true);
    ref want = ref_copy(&x);
    ref_dft(&want, 1, -1);
    mx_array *a = to_complex(&x);
    mx_array *y[8] = {NULL};
    for (int i = 0; i < 8; i++)
        CHECK_OK(
            mx_fft_fft(&y[i], a, MX_FFT_N_DEFAULT, 1, MX_FFT_NORM_BACKWARD, i % 2 ? &s1 : &s2));
    CHECK_OK(mx_eval(y, 8));
    for (int i = 0; i < 8; i++) {
        CHECK(rel_err(y[i], &want, MX_COMPLEX64) < TOL);
        mx_array_free(y[i]);
    }
    mx_array_free(a);
    ref_free(&x), ref_free(&want);
}

/* ---- n: padding and truncation ---- */

TEST(fft_n_pad_truncate) {
    int32_t shape[2] = {4, 10};
    ref x = ref_random(shape, 2, true);
    mx_array *a = to_complex(&x), *y = NULL;
    int32_t ns[] = {1, 3, 10, 16, 23};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        CHECK_OK(mx_fft_fft(&y, a, ns[i], 1, MX_FFT_NORM_BACKWARD, NULL));
        ref want = ref_resize(&x, 1, ns[i]);
        ref_dft(&want, 1, -1);
        CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
        ref_free(&want);
        CHECK_OK(mx_fft_ifft(&y, a, ns[i] + 1, 0, MX_FFT_NORM_BACKWARD, NULL));
        want = ref_resize(&x, 0, ns[i] + 1);
        ref_dft(&want, 0, 1);
        ref_scale(&want, 1.0 / (ns[i] + 1));
        CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
        ref_free(&want);
    }
    mx_array_free(a), mx_array_free(y);
    ref_free(&x);
}

/* ---- real transforms ---- */

TEST(rfft_irfft_lengths) {
    for (size_t t = 0; t < sizeof lengths / sizeof lengths[0]; t++) {
        int32_t n = lengths[t];
        ref x = ref_random(&n, 1, false);
        mx_array *a = to_real(&x, MX_FLOAT32), *y = NULL, *z = NULL;
        CHECK_OK(mx_fft_rfft(&y, a, MX_FFT_N_DEFAULT, -1, MX_FFT_NORM_BACKWARD, NULL));
        ref full = ref_copy(&x);
        ref_dft(&full, 0, -1);
        ref want = ref_resize(&full, 0, n / 2 + 1);
        double e = rel_err(y, &want, MX_COMPLEX64);
        if (!(e < TOL)) fprintf(stderr, "  rfft n=%d rel err %g\n", n, e);
        CHECK(e < TOL);
        /* round trip with the explicit n (odd and even) */
        CHECK_OK(mx_fft_irfft(&z, y, n, -1, MX_FFT_NORM_BACKWARD, NULL));
        e = rel_err(z, &x, MX_FLOAT32);
        if (!(e < TOL)) fprintf(stderr, "  irfft n=%d rel err %g\n", n, e);
        CHECK(e < TOL);
        mx_array_free(a), mx_array_free(y), mx_array_free(z);
        ref_free(&x), ref_free(&full), ref_free(&want);
    }
}

/* irfft of an arbitrary (non-Hermitian) half spectrum is the inverse of its
 * Hermitian extension, ignoring the imaginary parts of X[0] and, for even n,
 * X[n/2] (NumPy's definition). */
TEST(irfft_general_input) {
    int32_t ns[] = {1, 2, 3, 4, 7, 8, 10, 15, 16, 97, 194, 100};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        int32_t n = ns[t], h = n / 2 + 1;
        ref X = ref_random(&h, 1, true);
        ref full = ref_new(&n, 1);
        for (int32_t k = 0; k < h && k < n; k++) full.v[k] = X.v[k];
        full.v[0] = creal(full.v[0]);
        if (n % 2 == 0) full.v[n / 2] = creal(full.v[n / 2]);
        for (int32_t k = 1; k < h; k++)
            if (n - k >= h) full.v[n - k] = conj(X.v[k]);
        ref_dft(&full, 0, 1);
        ref_scale(&full, 1.0 / n);
        mx_array *a = to_complex(&X), *y = NULL;
        CHECK_OK(mx_fft_irfft(&y, a, n, 0, MX_FFT_NORM_BACKWARD, NULL));
        double e = rel_err(y, &full, MX_FLOAT32);
        if (!(e < TOL)) fprintf(stderr, "  irfft general n=%d rel err %g\n", n, e);
        CHECK(e < TOL);
        mx_array_free(a), mx_array_free(y);
        ref_free(&X), ref_free(&full);
    }
}

TEST(rfft_irfft_sizes) {
    int32_t n = 10;
    ref x = ref_random(&n, 1, false);
    mx_array *a = to_real(&x, MX_FLOAT32), *y = NULL, *z = NULL;
    /* rfft with n = 4 cuts, n = 13 pads; the output has n/2 + 1 entries */
    int32_t sizes[] = {4, 13};
    for (int i = 0; i < 2; i++) {
        CHECK_OK(mx_fft_rfft(&y, a, sizes[i], 0, MX_FFT_NORM_BACKWARD, NULL));
        ref r = ref_resize(&x, 0, sizes[i]);
        ref_dft(&r, 0, -1);
        ref want = ref_resize(&r, 0, sizes[i] / 2 + 1);
        CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
        ref_free(&r), ref_free(&want);
    }
    /* irfft default n = 2 * (len - 1): 6 complex entries give 10 reals */
    CHECK_OK(mx_fft_rfft(&y, a, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
    CHECK(mx_array_dim(y, 0) == 6);
    CHECK_OK(mx_fft_irfft(&z, y, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
    CHECK(mx_array_dim(z, 0) == 10);
    CHECK(rel_err(z, &x, MX_FLOAT32) < TOL);
    /* irfft with n = 2: one input entry used... and n = 1 */
    float v[] = {1, 2, 3};
    mx_array *c = test_vec_f32(v, 3);
    CHECK_OK(mx_fft_irfft(&z, c, 2, 0, MX_FFT_NORM_BACKWARD, NULL));
    float got[2];
    test_read_f32(z, got, 2);
    CHECK_NEAR(got[0], 1.5, 1e-6);
    CHECK_NEAR(got[1], -0.5, 1e-6);
    CHECK_OK(mx_fft_irfft(&z, c, 1, 0, MX_FFT_NORM_BACKWARD, NULL));
    test_read_f32(z, got, 1);
    CHECK_NEAR(got[0], 1, 1e-6);
    /* irfft with n = 8 pads the 3 entries to 5 */
    CHECK_OK(mx_fft_irfft(&z, c, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
    float g4[4];
    test_read_f32(z, g4, 4);
    CHECK_NEAR(g4[0], 2, 1e-6);
    CHECK_NEAR(g4[1], -0.5, 1e-6);
    CHECK_NEAR(g4[2], 0, 1e-6);
    CHECK_NEAR(g4[3], -0.5, 1e-6);
    mx_array_free(a), mx_array_free(y), mx_array_free(z), mx_array_free(c);
    ref_free(&x);
}

/* ---- several axes ---- */

static ref ref_fftn(const ref *x, const int *axes, int na, const int32_t *s, int sign) {
    ref r = ref_copy(x);
    for (int i = 0; i < na; i++) {
        if (s) {
            ref t = ref_resize(&r, axes[i], s[i]);
            ref_free(&r);
            r = t;
        }
    }
    for (int i = 0; i < na; i++) ref_dft(&r, axes[i], sign);
    return r;
}

TEST(fftn_axes) {
    int32_t shape[3] = {3, 4, 5};
    ref x = ref_random(shape, 3, true);
    mx_array *a = to_complex(&x), *y = NULL;
    /* all axes */
    CHECK_OK(mx_fft_fftn(&y, a, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL));
    int all[] = {0, 1, 2};
    ref want = ref_fftn(&x, all, 3, NULL, -1);
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    ref_free(&want);
    /* listed axes in any order, negative */
    int ax[] = {-1, 0};
    int axp[] = {2, 0};
    CHECK_OK(mx_fft_fftn(&y, a, NULL, 0, ax, 2, MX_FFT_NORM_BACKWARD, NULL));
    want = ref_fftn(&x, axp, 2, NULL, -1);
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    ref_free(&want);
    /* sizes with axes */
    int32_t s[] = {7, 2};
    CHECK_OK(mx_fft_fftn(&y, a, s, 2, ax, 2, MX_FFT_NORM_BACKWARD, NULL));
    want = ref_fftn(&x, axp, 2, s, -1);
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    ref_free(&want);
    /* sizes without axes: the last len(s) axes */
    int32_t s2[] = {6, 3};
    int last2[] = {1, 2};
    CHECK_OK(mx_fft_fftn(&y, a, s2, 2, NULL, 0, MX_FFT_NORM_BACKWARD, NULL));
    want = ref_fftn(&x, last2, 2, s2, -1);
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    ref_free(&want);
    /* fft2: the last two axes by default; ifft2 */
    CHECK_OK(mx_fft_fft2(&y, a, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL));
    want = ref_fftn(&x, last2, 2, NULL, -1);
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    ref_free(&want);
    CHECK_OK(mx_fft_ifft2(&y, a, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL));
    want = ref_fftn(&x, last2, 2, NULL, 1);
    ref_scale(&want, 1.0 / 20);
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    ref_free(&want);
    int first2[] = {0, 1};
    CHECK_OK(mx_fft_ifftn(&y, a, NULL, 0, first2, 2, MX_FFT_NORM_BACKWARD, NULL));
    want = ref_fftn(&x, first2, 2, NULL, 1);
    ref_scale(&want, 1.0 / 12);
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    ref_free(&want);
    mx_array_free(a), mx_array_free(y);
    ref_free(&x);
}

TEST(rfftn_irfftn) {
    int32_t shape[3] = {3, 4, 6};
    ref x = ref_random(shape, 3, false);
    mx_array *a = to_real(&x, MX_FLOAT32), *y = NULL, *z = NULL;
    /* rfftn over all axes: the last is halved */
    CHECK_OK(mx_fft_rfftn(&y, a, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL));
    int all[] = {0, 1, 2};
    ref full = ref_fftn(&x, all, 3, NULL, -1);
    ref want = ref_resize(&full, 2, 4);
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    CHECK_OK(mx_fft_irfftn(&z, y, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL));
    CHECK(rel_err(z, &x, MX_FLOAT32) < TOL);
    ref_free(&full), ref_free(&want);
    /* axes (2, 0) with sizes: the real axis is 0 (listed last) */
    int ax[] = {2, 0};
    int32_t s[] = {5, 5};
    CHECK_OK(mx_fft_rfftn(&y, a, s, 2, ax, 2, MX_FFT_NORM_BACKWARD, NULL));
    full = ref_fftn(&x, ax, 2, s, -1);
    want = ref_resize(&full, 0, 3);
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    CHECK_OK(mx_fft_irfftn(&z, y, s, 2, ax, 2, MX_FFT_NORM_BACKWARD, NULL));
    ref xs = ref_resize(&x, 2, 5);
    ref xs2 = ref_resize(&xs, 0, 5);
    CHECK(rel_err(z, &xs2, MX_FLOAT32) < TOL);
    ref_free(&full), ref_free(&want), ref_free(&xs), ref_free(&xs2);
    /* rfft2 / irfft2 on the last two axes, odd real size */
    int32_t s2[] = {4, 7};
    CHECK_OK(mx_fft_rfft2(&y, a, s2, 2, NULL, 0, MX_FFT_NORM_BACKWARD, NULL));
    int last2[] = {1, 2};
    full = ref_fftn(&x, last2, 2, s2, -1);
    want = ref_resize(&full, 2, 4);
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    CHECK_OK(mx_fft_irfft2(&z, y, s2, 2, NULL, 0, MX_FFT_NORM_BACKWARD, NULL));
    xs = ref_resize(&x, 2, 7);
    CHECK(rel_err(z, &xs, MX_FLOAT32) < TOL);
    ref_free(&full), ref_free(&want), ref_free(&xs);
    /* irfft2 default sizes: the last axis 2 * (len - 1) */
    CHECK_OK(mx_fft_irfft2(&z, a, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL));
    CHECK(mx_array_ndim(z) == 3 && mx_array_dim(z, 1) == 4 && mx_array_dim(z, 2) == 10);
    CHECK(mx_array_dtype(z) == MX_FLOAT32);
    mx_array_free(a), mx_array_free(y), mx_array_free(z);
    ref_free(&x);
}

/* ---- strided inputs ---- */

TEST(fft_strided_input) {
    int32_t shape[2] = {12, 9};
    ref x = ref_random(shape, 2, true);
    mx_array *a = to_complex(&x), *t = NULL, *y = NULL, *sl = NULL;
    int perm[] = {1, 0};
    CHECK_OK(mx_transpose(&t, a, perm, 2, NULL));
    CHECK_OK(mx_eval(&t, 1));
    /* fft along axis 1 of the transpose = along axis 0 of x, transposed */
    CHECK_OK(mx_fft_fft(&y, t, MX_FFT_N_DEFAULT, 1, MX_FFT_NORM_BACKWARD, NULL));
    ref want = ref_copy(&x);
    ref_dft(&want, 0, -1);
    ref wt = ref_new((int32_t[]){9, 12}, 2);
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 9; j++) wt.v[j * 12 + i] = want.v[i * 9 + j];
    CHECK(rel_err(y, &wt, MX_COMPLEX64) < TOL);
    /* a reversed, stepped slice: x[::-2, :] */
    int32_t start[] = {11, 0}, stop[] = {-13, 9}, step[] = {-2, 1};
    CHECK_OK(mx_slice(&sl, a, start, stop, step, 2, NULL));
    CHECK_OK(mx_eval(&sl, 1));
    CHECK(mx_array_dim(sl, 0) == 6);
    CHECK_OK(mx_fft_fftn(&y, sl, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL));
    ref r = ref_new((int32_t[]){6, 9}, 2);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 9; j++) r.v[i * 9 + j] = x.v[(11 - 2 * i) * 9 + j];
    int all[] = {0, 1};
    ref wr = ref_fftn(&r, all, 2, NULL, -1);
    CHECK(rel_err(y, &wr, MX_COMPLEX64) < TOL);
    /* real input, transposed, rfft along the strided axis */
    mx_array *re = to_real(&x, MX_FLOAT32), *rt = NULL;
    CHECK_OK(mx_transpose(&rt, re, perm, 2, NULL));
    CHECK_OK(mx_eval(&rt, 1));
    CHECK_OK(mx_fft_rfft(&y, rt, MX_FFT_N_DEFAULT, 1, MX_FFT_NORM_BACKWARD, NULL));
    ref xr = ref_new((int32_t[]){9, 12}, 2);
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 9; j++) xr.v[j * 12 + i] = creal(x.v[i * 9 + j]);
    ref_dft(&xr, 1, -1);
    ref wxr = ref_resize(&xr, 1, 7);
    CHECK(rel_err(y, &wxr, MX_COMPLEX64) < TOL);
    mx_array_free(a), mx_array_free(t), mx_array_free(y), mx_array_free(sl);
    mx_array_free(re), mx_array_free(rt);
    ref_free(&x), ref_free(&want), ref_free(&wt), ref_free(&r), ref_free(&wr);
    ref_free(&xr), ref_free(&wxr);
}

/* Multi-axis inverse real transforms of a transposed complex input give
 * what they give on the same values laid out contiguously. */
TEST(irfftn_strided_input) {
    int32_t shape[3] = {5, 4, 3};
    ref x = ref_random(shape, 3, true);
    ref xt = ref_new((int32_t[]){3, 4, 5}, 3);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 3; k++) xt.v[(k * 4 + j) * 5 + i] = x.v[(i * 4 + j) * 3 + k];
    mx_array *a = to_complex(&x), *t = NULL, *c = to_complex(&xt), *y1 = NULL, *y2 = NULL;
    int perm[] = {2, 1, 0};
    CHECK_OK(mx_transpose(&t, a, perm, 3, NULL));
    CHECK_OK(mx_eval(&t, 1));
    int32_t s[] = {3, 4, 9};
    CHECK_OK(mx_fft_irfftn(&y1, t, s, 3, NULL, 0, MX_FFT_NORM_ORTHO, NULL));
    CHECK_OK(mx_fft_irfftn(&y2, c, s, 3, NULL, 0, MX_FFT_NORM_ORTHO, NULL));
    CHECK_OK(mx_eval(&y1, 1));
    CHECK_OK(mx_eval(&y2, 1));
    CHECK(mx_array_size(y1) == 108 && mx_array_size(y2) == 108);
    float f1[108], f2[108];
    CHECK_OK(mx_array_copy_to(y1, f1, sizeof f1));
    CHECK_OK(mx_array_copy_to(y2, f2, sizeof f2));
    double m = 0;
    for (int i = 0; i < 108; i++) m = fmax(m, fabs(f1[i] - f2[i]));
    CHECK(m < 1e-6);
    /* and the round trip through rfftn recovers a real input */
    ref xr = ref_copy(&xt);
    for (int64_t i = 0; i < xr.size; i++) xr.v[i] = creal(xr.v[i]);
    mx_array *r = to_real(&xr, MX_FLOAT32), *rt = NULL, *f = NULL, *g = NULL;
    CHECK_OK(mx_transpose(&rt, r, perm, 3, NULL));
    CHECK_OK(mx_fft_rfftn(&f, rt, NULL, 0, NULL, 0, MX_FFT_NORM_FORWARD, NULL));
    CHECK_OK(mx_fft_irfftn(&g, f, (int32_t[]){5, 4, 3}, 3, NULL, 0, MX_FFT_NORM_FORWARD, NULL));
    ref back = ref_copy(&x);
    for (int64_t i = 0; i < back.size; i++) back.v[i] = creal(back.v[i]);
    CHECK(rel_err(g, &back, MX_FLOAT32) < TOL);
    mx_array_free(a), mx_array_free(t), mx_array_free(c), mx_array_free(y1), mx_array_free(y2);
    mx_array_free(r), mx_array_free(rt), mx_array_free(f), mx_array_free(g);
    ref_free(&x), ref_free(&xt), ref_free(&xr), ref_free(&back);
}

/* ---- norms ---- */

TEST(fft_norms) {
    int32_t n = 12;
    ref x = ref_random(&n, 1, true);
    mx_array *a = to_complex(&x), *y = NULL;
    mx_fft_norm norms[] = {MX_FFT_NORM_BACKWARD, MX_FFT_NORM_ORTHO, MX_FFT_NORM_FORWARD};
    double fwd[] = {1, 1 / sqrt(12), 1.0 / 12}, inv[] = {1.0 / 12, 1 / sqrt(12), 1};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(mx_fft_fft(&y, a, MX_FFT_N_DEFAULT, 0, norms[i], NULL));
        ref want = ref_copy(&x);
        ref_dft(&want, 0, -1);
        ref_scale(&want, fwd[i]);
        CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
        ref_free(&want);
        CHECK_OK(mx_fft_ifft(&y, a, MX_FFT_N_DEFAULT, 0, norms[i], NULL));
        want = ref_copy(&x);
        ref_dft(&want, 0, 1);
        ref_scale(&want, inv[i]);
        CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
        ref_free(&want);
        /* the round trip is the identity in every mode */
        mx_array *f = NULL, *g = NULL;
        CHECK_OK(mx_fft_fft(&f, a, MX_FFT_N_DEFAULT, 0, norms[i], NULL));
        CHECK_OK(mx_fft_ifft(&g, f, MX_FFT_N_DEFAULT, 0, norms[i], NULL));
        CHECK(rel_err(g, &x, MX_COMPLEX64) < TOL);
        /* real transforms: irfft's n is the output size (n = 12) */
        mx_array *r = to_real(&x, MX_FLOAT32);
        CHECK_OK(mx_fft_rfft(&f, r, MX_FFT_N_DEFAULT, 0, norms[i], NULL));
        CHECK_OK(mx_fft_irfft(&g, f, n, 0, norms[i], NULL));
        ref xr = ref_copy(&x);
        for (int k = 0; k < n; k++) xr.v[k] = creal(xr.v[k]);
        CHECK(rel_err(g, &xr, MX_FLOAT32) < TOL);
        mx_array_free(f), mx_array_free(g), mx_array_free(r);
        ref_free(&xr);
    }
    /* 2-D ortho scales by 1/sqrt of the product of the sizes */
    int32_t shape[2] = {3, 4};
    ref x2 = ref_random(shape, 2, true);
    mx_array *b = to_complex(&x2);
    CHECK_OK(mx_fft_fft2(&y, b, NULL, 0, NULL, 0, MX_FFT_NORM_ORTHO, NULL));
    int all[] = {0, 1};
    ref want = ref_fftn(&x2, all, 2, NULL, -1);
    ref_scale(&want, 1 / sqrt(12));
    CHECK(rel_err(y, &want, MX_COMPLEX64) < TOL);
    mx_fft_norm parsed;
    CHECK_OK(mx_fft_norm_parse(&parsed, "ortho", "fft"));
    CHECK(parsed == MX_FFT_NORM_ORTHO);
    CHECK_OK(mx_fft_norm_parse(&parsed, NULL, "fft"));
    CHECK(parsed == MX_FFT_NORM_BACKWARD);
    CHECK_OK(mx_fft_norm_parse(&parsed, "forward", "fft"));
    CHECK(parsed == MX_FFT_NORM_FORWARD);
    CHECK_ERR(mx_fft_norm_parse(&parsed, "Ortho", "fft"), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_fft(&y, a, MX_FFT_N_DEFAULT, 0, (mx_fft_norm)7, NULL), MX_ERR_VALUE);
    mx_array_free(a), mx_array_free(b), mx_array_free(y);
    ref_free(&x), ref_free(&x2), ref_free(&want);
}

/* ---- dtypes and special shapes ---- */

TEST(fft_dtypes) {
    int32_t n = 6;
    ref x = ref_random(&n, 1, false);
    for (int i = 0; i < n; i++) x.v[i] = (double)(i * 3 % 5) - 2; /* integer values */
    ref want = ref_copy(&x);
    ref_dft(&want, 0, -1);
    mx_dtype dts[] = {MX_BOOL,    MX_INT32,    MX_UINT8,   MX_INT64,
                      MX_FLOAT16, MX_BFLOAT16, MX_FLOAT32, MX_FLOAT64};
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        ref xi = ref_copy(&x);
        if (dts[i] == MX_BOOL || dts[i] == MX_UINT8)
            for (int k = 0; k < n; k++) xi.v[k] = creal(xi.v[k]) > 0 ? 1 : 0;
        ref wi = ref_copy(&xi);
        ref_dft(&wi, 0, -1);
        mx_array *a = to_real(&xi, dts[i]), *y = NULL;
        CHECK_OK(mx_fft_fft(&y, a, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
        CHECK(rel_err(y, &wi, MX_COMPLEX64) < TOL);
        CHECK_OK(mx_fft_rfft(&y, a, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
        ref wh = ref_resize(&wi, 0, 4);
        CHECK(rel_err(y, &wh, MX_COMPLEX64) < TOL);
        /* irfft of a real input: the input is taken as complex */
        CHECK_OK(mx_fft_irfft(&y, a, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
        CHECK(mx_array_dtype(y) == MX_FLOAT32 && mx_array_dim(y, 0) == 10);
        mx_array_free(a), mx_array_free(y);
        ref_free(&xi), ref_free(&wi), ref_free(&wh);
    }
    /* rfft of a complex input drops the imaginary part */
    ref xc = ref_random(&n, 1, true);
    ref xre = ref_copy(&xc);
    for (int k = 0; k < n; k++) xre.v[k] = creal(xre.v[k]);
    ref_dft(&xre, 0, -1);
    ref wh = ref_resize(&xre, 0, 4);
    mx_array *c = to_complex(&xc), *y = NULL;
    CHECK_OK(mx_fft_rfft(&y, c, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
    CHECK(rel_err(y, &wh, MX_COMPLEX64) < TOL);
    mx_array_free(c), mx_array_free(y);
    ref_free(&x), ref_free(&want), ref_free(&xc), ref_free(&xre), ref_free(&wh);
}

TEST(fft_empty_and_identity) {
    /* an empty axis list gives the input itself, dtype kept */
    int32_t v[] = {1, 2, 3, 4};
    int32_t n = 4;
    mx_array *a = NULL, *y = NULL;
    CHECK_OK(mx_array_from_data(&a, v, &n, 1, MX_INT32));
    int none[1];
    CHECK_OK(mx_fft_fftn(&y, a, NULL, 0, none, 0, MX_FFT_NORM_BACKWARD, NULL));
    CHECK(y == a && mx_array_dtype(y) == MX_INT32);
    CHECK_OK(mx_fft_irfftn(&y, a, (int32_t *)none, 0, none, 0, MX_FFT_NORM_BACKWARD, NULL));
    CHECK(y == a);
    mx_array_free(y);
    y = NULL;
    /* other axes of size 0: an empty result of the right shape */
    int32_t shape[2] = {3, 0};
    mx_array *z = NULL;
    CHECK_OK(mx_zeros(&z, shape, 2, MX_FLOAT32, NULL));
    CHECK_OK(mx_fft_fft(&y, z, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
    CHECK_OK(mx_eval(&y, 1));
    CHECK(mx_array_dim(y, 0) == 3 && mx_array_dim(y, 1) == 0 && mx_array_dtype(y) == MX_COMPLEX64);
    CHECK_OK(mx_fft_rfft(&y, z, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
    CHECK_OK(mx_eval(&y, 1));
    CHECK(mx_array_dim(y, 0) == 2 && mx_array_dim(y, 1) == 0);
    /* an empty transformed axis padded by n: zeros */
    CHECK_OK(mx_fft_fft(&y, z, 4, 1, MX_FFT_NORM_BACKWARD, NULL));
    float f[24];
    CHECK_OK(mx_eval(&y, 1));
    CHECK(mx_array_dim(y, 1) == 4);
    CHECK_OK(mx_array_copy_to(y, f, sizeof f));
    bool zero = true;
    for (int i = 0; i < 24; i++) zero &= f[i] == 0;
    CHECK(zero);
    /* NaN propagates into every output of its line */
    float nanv[] = {1, NAN, 2, 3};
    mx_array *nv = test_vec_f32(nanv, 4);
    CHECK_OK(mx_fft_rfft(&y, nv, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL));
    float g[6];
    CHECK_OK(mx_eval(&y, 1));
    CHECK_OK(mx_array_copy_to(y, g, sizeof g));
    CHECK(isnan(g[0]) && isnan(g[2]) && isnan(g[4]));
    mx_array_free(a), mx_array_free(y), mx_array_free(z), mx_array_free(nv);
}

/* ---- frequencies and shifts ---- */

static void check_vals(mx_array *a, const float *want, int n) {
    float got[32];
    test_read_f32(a, got, (size_t)n);
    for (int i = 0; i < n; i++) CHECK_NEAR(got[i], want[i], 1e-6 * (1 + fabs(want[i])));
}

TEST(fftfreq_values) {
    mx_array *f = NULL;
    CHECK_OK(mx_fft_fftfreq(&f, 5, 0.1, NULL));
    CHECK(mx_array_dtype(f) == MX_FLOAT32);
    check_vals(f, (float[]){0, 2, 4, -4, -2}, 5);
    CHECK_OK(mx_fft_fftfreq(&f, 6, 0.1, NULL));
    check_vals(f, (float[]){0, 1.6666666f, 3.3333333f, -5, -3.3333333f, -1.6666666f}, 6);
    CHECK_OK(mx_fft_fftfreq(&f, 1, 1.0, NULL));
    check_vals(f, (float[]){0}, 1);
    CHECK_OK(mx_fft_fftfreq(&f, 4, -1.0, NULL));
    check_vals(f, (float[]){0, -0.25f, 0.5f, 0.25f}, 4);
    CHECK_OK(mx_fft_rfftfreq(&f, 7, 0.3, NULL));
    check_vals(f, (float[]){0, 0.47619048f, 0.95238095f, 1.42857143f}, 4);
    CHECK_OK(mx_fft_rfftfreq(&f, 6, 2.0, NULL));
    check_vals(f, (float[]){0, 0.0833333f, 0.1666667f, 0.25f}, 4);
    CHECK_OK(mx_fft_rfftfreq(&f, 1, 1.0, NULL));
    check_vals(f, (float[]){0}, 1);
    CHECK_ERR(mx_fft_fftfreq(&f, 0, 1.0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_fftfreq(&f, -3, 1.0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_fftfreq(&f, 4, 0.0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_rfftfreq(&f, 0, 1.0, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_rfftfreq(&f, 4, 0.0, NULL), MX_ERR_VALUE);
    mx_array_free(f);
}

TEST(fftshift_values) {
    mx_array *a = NULL, *y = NULL, *b = NULL;
    CHECK_OK(mx_arange(&a, 0, 5, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_fft_fftshift(&y, a, NULL, 0, NULL));
    check_vals(y, (float[]){3, 4, 0, 1, 2}, 5);
    CHECK_OK(mx_fft_ifftshift(&y, a, NULL, 0, NULL));
    check_vals(y, (float[]){2, 3, 4, 0, 1}, 5);
    CHECK_OK(mx_arange(&b, 0, 6, 1, MX_FLOAT32, NULL));
    CHECK_OK(mx_fft_fftshift(&y, b, NULL, 0, NULL));
    check_vals(y, (float[]){3, 4, 5, 0, 1, 2}, 6);
    CHECK_OK(mx_fft_ifftshift(&y, b, NULL, 0, NULL));
    check_vals(y, (float[]){3, 4, 5, 0, 1, 2}, 6);
    /* 2-D: one axis, and all axes */
    int32_t shape[2] = {2, 3};
    CHECK_OK(mx_reshape(&b, b, shape, 2, NULL));
    int ax1[] = {1}, axm2[] = {-2};
    CHECK_OK(mx_fft_fftshift(&y, b, ax1, 1, NULL));
    check_vals(y, (float[]){2, 0, 1, 5, 3, 4}, 6);
    CHECK_OK(mx_fft_fftshift(&y, b, axm2, 1, NULL));
    check_vals(y, (float[]){3, 4, 5, 0, 1, 2}, 6);
    CHECK_OK(mx_fft_fftshift(&y, b, NULL, 0, NULL));
    check_vals(y, (float[]){5, 3, 4, 2, 0, 1}, 6);
    CHECK_OK(mx_fft_ifftshift(&y, b, NULL, 0, NULL));
    check_vals(y, (float[]){4, 5, 3, 1, 2, 0}, 6);
    /* empty axes and 0-d: the input itself */
    int none[1];
    CHECK_OK(mx_fft_fftshift(&y, b, none, 0, NULL));
    CHECK(y == b);
    mx_array *s = test_scalar_f32(3);
    CHECK_OK(mx_fft_fftshift(&y, s, NULL, 0, NULL));
    check_vals(y, (float[]){3}, 1);
    int ax3[] = {2}, ax0[] = {0};
    CHECK_ERR(mx_fft_fftshift(&y, b, ax3, 1, NULL), MX_ERR_INDEX);
    int ax5[] = {5};
    CHECK_ERR(mx_fft_ifftshift(&y, b, ax5, 1, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_fft_fftshift(&y, s, ax0, 1, NULL), MX_ERR_INDEX);
    mx_array_free(a), mx_array_free(b), mx_array_free(y), mx_array_free(s);
}

/* ---- wrong calls ---- */

TEST(fft_errors) {
    int32_t shape[2] = {3, 4};
    ref x = ref_random(shape, 2, true);
    mx_array *a = to_complex(&x), *y = NULL, *s0 = test_scalar_f32(1);
    CHECK_ERR(mx_fft_fft(&y, a, MX_FFT_N_DEFAULT, 2, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_fft_fft(&y, a, MX_FFT_N_DEFAULT, -3, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_INDEX);
    CHECK_ERR(mx_fft_fft(&y, a, 0, -1, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_rfft(&y, a, -2, -1, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_fft(&y, s0, MX_FFT_N_DEFAULT, -1, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_fftn(&y, s0, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    int dup[] = {0, -2};
    CHECK_ERR(mx_fft_fftn(&y, a, NULL, 0, dup, 2, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    int bad[] = {0, 5};
    CHECK_ERR(mx_fft_fftn(&y, a, NULL, 0, bad, 2, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_INDEX);
    int32_t s3[] = {2, 2, 2};
    int ax2[] = {0, 1};
    CHECK_ERR(mx_fft_fftn(&y, a, s3, 3, ax2, 2, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_fftn(&y, a, s3, 3, NULL, 0, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    int32_t s0s[] = {0, 3};
    CHECK_ERR(mx_fft_fftn(&y, a, s0s, 2, ax2, 2, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    /* irfft of a length-1 axis: the default size 0 */
    int32_t one = 1;
    mx_array *b = NULL;
    CHECK_OK(mx_zeros(&b, &one, 1, MX_COMPLEX64, NULL));
    CHECK_ERR(mx_fft_irfft(&y, b, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_irfftn(&y, b, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    /* fft2 of a 1-D array: axis -2 does not exist */
    CHECK_ERR(mx_fft_fft2(&y, b, NULL, 0, NULL, 0, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_INDEX);
    /* an empty transformed axis without n */
    int32_t e0 = 0;
    mx_array *e = NULL;
    CHECK_OK(mx_zeros(&e, &e0, 1, MX_FLOAT32, NULL));
    CHECK_ERR(mx_fft_fft(&y, e, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_fft(NULL, a, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    CHECK_ERR(mx_fft_fft(&y, NULL, MX_FFT_N_DEFAULT, 0, MX_FFT_NORM_BACKWARD, NULL), MX_ERR_VALUE);
    CHECK(y == NULL);
    mx_array_free(a), mx_array_free(s0), mx_array_free(b), mx_array_free(e);
    ref_free(&x);
}

int main(void) {
    RUN(fft_lengths);
    RUN(fft_batched_lines);
    RUN(fft_long);
    RUN(fft_two_streams);
    RUN(fft_n_pad_truncate);
    RUN(rfft_irfft_lengths);
    RUN(irfft_general_input);
    RUN(rfft_irfft_sizes);
    RUN(fftn_axes);
    RUN(rfftn_irfftn);
    RUN(fft_strided_input);
    RUN(irfftn_strided_input);
    RUN(fft_norms);
    RUN(fft_dtypes);
    RUN(fft_empty_and_identity);
    RUN(fftfreq_values);
    RUN(fftshift_values);
    RUN(fft_errors);
    return TEST_SUMMARY();
}
