/*
 * Discrete Fourier transforms: argument checks, cutting or zero-padding the
 * input to the requested sizes, the dtype casts and one FFT node (MLX's
 * fft_impl); fftfreq, rfftfreq from host values; fftshift and ifftshift as
 * rolls.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmlx/fft.h"
#include "ops_util.h"
#include "primitives/params_fft.h"

int mx_fft_norm_parse(mx_fft_norm *out, const char *name, const char *op) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[%s] the output pointer is NULL", op ? op : "fft");
    if (!name || !strcmp(name, "backward")) {
        *out = MX_FFT_NORM_BACKWARD;
    } else if (!strcmp(name, "ortho")) {
        *out = MX_FFT_NORM_ORTHO;
    } else if (!strcmp(name, "forward")) {
        *out = MX_FFT_NORM_FORWARD;
    } else {
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Invalid norm. Expected one of {'backward', 'ortho', 'forward'}.",
                         op ? op : "fft");
    }
    return MX_OK;
}

/* The factor applied to an unnormalised transform over `total` points. */
static double norm_scale(mx_fft_norm norm, bool inverse, double total) {
    switch (norm) {
    case MX_FFT_NORM_ORTHO:
        return 1.0 / sqrt(total);
    case MX_FFT_NORM_FORWARD:
        return inverse ? 1.0 : 1.0 / total;
    default:
        return inverse ? 1.0 / total : 1.0;
    }
}

static void free_all(mx_array **arr, int n) {
    for (int i = 0; i < n; i++) mx_array_free(arr[i]);
}

/* The common body: axes are given (naxes >= 1 or 0), sizes n[i] per axis
 * (already defaulted). Validates the rest and builds the node. */
static int fft_impl(mx_array **out, const mx_array *a, const int32_t *n, const int *axes, int naxes,
                    bool real, bool inverse, mx_fft_norm norm, const char *op, const mx_stream *s) {
    if (norm != MX_FFT_NORM_BACKWARD && norm != MX_FFT_NORM_ORTHO && norm != MX_FFT_NORM_FORWARD)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Invalid norm. Expected one of {'backward', 'ortho', 'forward'}.",
                         op);
    int nd = a->ndim;
    if (naxes == 0) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    int ax[MXI_MAX_NDIM];
    for (int i = 0; i < naxes; i++) {
        int v = axes[i];
        if (v < -nd || v >= nd)
            return mxi_error(MX_ERR_INDEX, "[%s] invalid axis %d for an array with %d dimensions",
                             op, v, nd);
        ax[i] = v < 0 ? v + nd : v;
        for (int j = 0; j < i; j++)
            if (ax[j] == ax[i])
                return mxi_error(MX_ERR_VALUE, "[%s] duplicated axis %d received", op, axes[i]);
    }
    for (int i = 0; i < naxes; i++)
        if (n[i] <= 0)
            return mxi_error(MX_ERR_VALUE, "[%s] invalid FFT size %d requested along axis %d", op,
                             (int)n[i], ax[i]);

    /* The shape the input must have: the sizes, except that the real axis
     * of irfft takes n/2 + 1 complex entries. */
    int32_t in_shape[MXI_MAX_NDIM];
    memcpy(in_shape, a->shape, sizeof(int32_t) * (size_t)nd);
    for (int i = 0; i < naxes; i++) in_shape[ax[i]] = n[i];
    if (real && inverse) in_shape[ax[naxes - 1]] = n[naxes - 1] / 2 + 1;
    bool less = false, greater = false;
    int32_t start[MXI_MAX_NDIM], stop[MXI_MAX_NDIM], low[MXI_MAX_NDIM], high[MXI_MAX_NDIM];
    for (int d = 0; d < nd; d++) {
        start[d] = 0;
        stop[d] = in_shape[d] < a->shape[d] ? in_shape[d] : a->shape[d];
        less |= in_shape[d] < a->shape[d];
        greater |= in_shape[d] > a->shape[d];
        low[d] = 0;
        high[d] = in_shape[d] > a->shape[d] ? in_shape[d] - a->shape[d] : 0;
    }
    mx_dtype in_dtype = real && !inverse ? MX_FLOAT32 : MX_COMPLEX64;
    mx_dtype out_dtype = real && inverse ? MX_FLOAT32 : MX_COMPLEX64;
    int32_t out_shape[MXI_MAX_NDIM];
    memcpy(out_shape, in_shape, sizeof(int32_t) * (size_t)nd);
    double total = 1;
    for (int i = 0; i < naxes; i++) total *= n[i];
    if (real) {
        int last = ax[naxes - 1];
        out_shape[last] = inverse ? n[naxes - 1] : n[naxes - 1] / 2 + 1;
    }

    size_t psize = sizeof(mxi_fft_params) + sizeof(int32_t) * (size_t)naxes;
    mxi_fft_params *p = calloc(1, psize);
    if (!p) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    p->scale = norm_scale(norm, inverse, total);
    p->inverse = inverse;
    p->real = real;
    p->naxes = naxes;
    for (int i = 0; i < naxes; i++) p->axes[i] = ax[i];

    mx_array *t[3] = {NULL, NULL, NULL};
    mx_array *x = mx_array_retain((mx_array *)a);
    int rc = MX_OK;
    if (less) {
        rc = mx_slice(&t[0], x, start, stop, NULL, nd, s);
        if (!rc) mxi_set_out(&x, mx_array_retain(t[0]));
    }
    if (!rc) {
        rc = mxi_astype_if(&t[1], x, in_dtype, s);
        if (!rc) mxi_set_out(&x, mx_array_retain(t[1]));
    }
    if (!rc && greater) {
        rc = mx_pad(&t[2], x, NULL, nd, low, high, NULL, "constant", s);
        if (!rc) mxi_set_out(&x, mx_array_retain(t[2]));
    }
    if (!rc) rc = mxi_make(out, out_dtype, out_shape, nd, MXI_PRIM_FFT, p, psize, &x, 1, s);
    free(p);
    mx_array_free(x);
    free_all(t, 3);
    return rc;
}

/* One axis: n defaulted from the axis length. */
static int fft_1d(mx_array **out, const mx_array *a, int32_t n, int axis, bool real, bool inverse,
                  mx_fft_norm norm, const char *op, const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    if (a->ndim < 1)
        return mxi_error(MX_ERR_VALUE, "[%s] requires an array with at least one dimension", op);
    if (axis < -a->ndim || axis >= a->ndim)
        return mxi_error(MX_ERR_INDEX, "[%s] invalid axis %d for an array with %d dimensions", op,
                         axis, a->ndim);
    if (n == MX_FFT_N_DEFAULT) {
        n = a->shape[axis < 0 ? axis + a->ndim : axis];
        if (real && inverse) n = (n - 1) * 2;
    }
    return fft_impl(out, a, &n, &axis, 1, real, inverse, norm, op, s);
}

/* Several axes: defaults of sizes and axes as in fft.h. two_d: axes NULL
 * means (-2, -1). */
static int fft_nd(mx_array **out, const mx_array *a, const int32_t *sizes, int ns, const int *axes,
                  int naxes, bool two_d, bool real, bool inverse, mx_fft_norm norm, const char *op,
                  const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (nd < 1)
        return mxi_error(MX_ERR_VALUE, "[%s] requires an array with at least one dimension", op);
    if ((sizes && (ns < 0 || ns > MXI_MAX_NDIM)) || (axes && (naxes < 0 || naxes > MXI_MAX_NDIM)))
        return mxi_error(MX_ERR_VALUE, "[%s] invalid number of sizes (%d) or axes (%d)", op,
                         sizes ? ns : 0, axes ? naxes : 0);
    int ax[MXI_MAX_NDIM];
    int na;
    if (axes) {
        na = naxes;
        memcpy(ax, axes, sizeof(int) * (size_t)na);
    } else if (two_d) {
        na = 2;
        ax[0] = -2, ax[1] = -1;
    } else if (sizes) {
        if (ns > nd)
            return mxi_error(MX_ERR_VALUE,
                             "[%s] %d sizes given for an array with %d dimensions and no axes", op,
                             ns, nd);
        na = ns;
        for (int i = 0; i < na; i++) ax[i] = nd - ns + i;
    } else {
        na = nd;
        for (int i = 0; i < na; i++) ax[i] = i;
    }
    if (sizes && ns != na)
        return mxi_error(MX_ERR_VALUE, "[%s] the sizes (%d) and axes (%d) have different counts",
                         op, ns, na);
    int32_t n[MXI_MAX_NDIM];
    if (sizes) {
        memcpy(n, sizes, sizeof(int32_t) * (size_t)na);
    } else {
        for (int i = 0; i < na; i++) {
            if (ax[i] < -nd || ax[i] >= nd)
                return mxi_error(MX_ERR_INDEX,
                                 "[%s] invalid axis %d for an array with %d dimensions", op, ax[i],
                                 nd);
            n[i] = a->shape[ax[i] < 0 ? ax[i] + nd : ax[i]];
        }
        if (real && inverse && na > 0) n[na - 1] = (n[na - 1] - 1) * 2;
    }
    return fft_impl(out, a, n, ax, na, real, inverse, norm, op, s);
}

int mx_fft_fft(mx_array **out, const mx_array *a, int32_t n, int axis, mx_fft_norm norm,
               const mx_stream *s) {
    return fft_1d(out, a, n, axis, false, false, norm, "fft", s);
}

int mx_fft_ifft(mx_array **out, const mx_array *a, int32_t n, int axis, mx_fft_norm norm,
                const mx_stream *s) {
    return fft_1d(out, a, n, axis, false, true, norm, "ifft", s);
}

int mx_fft_rfft(mx_array **out, const mx_array *a, int32_t n, int axis, mx_fft_norm norm,
                const mx_stream *s) {
    return fft_1d(out, a, n, axis, true, false, norm, "rfft", s);
}

int mx_fft_irfft(mx_array **out, const mx_array *a, int32_t n, int axis, mx_fft_norm norm,
                 const mx_stream *s) {
    return fft_1d(out, a, n, axis, true, true, norm, "irfft", s);
}

#define FFT_ND(NAME, TWO_D, REAL, INVERSE)                                                         \
    int mx_fft_##NAME(mx_array **out, const mx_array *a, const int32_t *sizes, int ns,             \
                      const int *axes, int naxes, mx_fft_norm norm, const mx_stream *s) {          \
        return fft_nd(out, a, sizes, ns, axes, naxes, TWO_D, REAL, INVERSE, norm, #NAME, s);       \
    }

FFT_ND(fftn, false, false, false)
FFT_ND(ifftn, false, false, true)
FFT_ND(rfftn, false, true, false)
FFT_ND(irfftn, false, true, true)
FFT_ND(fft2, true, false, false)
FFT_ND(ifft2, true, false, true)
FFT_ND(rfft2, true, true, false)
FFT_ND(irfft2, true, true, true)

/* ---- frequencies ---- */

static int freq(mx_array **out, int n, double d, bool half, const char *op, const mx_stream *s) {
    (void)s;
    if (!out) return mxi_error(MX_ERR_VALUE, "[%s] the output pointer is NULL", op);
    if (n <= 0) return mxi_error(MX_ERR_VALUE, "[%s] `n` must be greater than 0.", op);
    if (d == 0) return mxi_error(MX_ERR_VALUE, "[%s] `d` must be non-zero.", op);
    int32_t len = half ? n / 2 + 1 : n;
    float *v = malloc(sizeof(float) * (size_t)len);
    if (!v) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    double scale = (double)n * d;
    for (int32_t i = 0; i < len; i++) {
        int64_t k = half || i < (n + 1) / 2 ? i : (int64_t)i - n;
        v[i] = (float)((double)k / scale);
    }
    mx_array *r = NULL;
    int rc = mx_array_from_data(&r, v, &len, 1, MX_FLOAT32);
    free(v);
    if (!rc) mxi_set_out(out, r);
    return rc;
}

int mx_fft_fftfreq(mx_array **out, int n, double d, const mx_stream *s) {
    return freq(out, n, d, false, "fftfreq", s);
}

int mx_fft_rfftfreq(mx_array **out, int n, double d, const mx_stream *s) {
    return freq(out, n, d, true, "rfftfreq", s);
}

/* ---- shifts ---- */

static int shift(mx_array **out, const mx_array *a, const int *axes, int naxes, bool inverse,
                 const char *op, const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    int ax[MXI_MAX_NDIM];
    int32_t shifts[MXI_MAX_NDIM];
    if (!axes) {
        naxes = nd;
        for (int i = 0; i < nd; i++) ax[i] = i;
    } else {
        if (naxes < 0 || naxes > MXI_MAX_NDIM)
            return mxi_error(MX_ERR_VALUE, "[%s] invalid number of axes %d", op, naxes);
        for (int i = 0; i < naxes; i++) {
            if (axes[i] < -nd || axes[i] >= nd)
                return mxi_error(MX_ERR_INDEX, "[%s] Invalid axis %d for array with %d dimensions.",
                                 op, axes[i], nd);
            ax[i] = axes[i] < 0 ? axes[i] + nd : axes[i];
        }
    }
    if (naxes == 0) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    for (int i = 0; i < naxes; i++) {
        int32_t len = a->shape[ax[i]];
        shifts[i] = inverse ? (len + 1) / 2 : len / 2;
    }
    return mx_roll_axes(out, a, shifts, naxes, ax, naxes, s);
}

int mx_fft_fftshift(mx_array **out, const mx_array *a, const int *axes, int naxes,
                    const mx_stream *s) {
    return shift(out, a, axes, naxes, false, "fftshift", s);
}

int mx_fft_ifftshift(mx_array **out, const mx_array *a, const int *axes, int naxes,
                     const mx_stream *s) {
    return shift(out, a, axes, naxes, true, "ifftshift", s);
}
