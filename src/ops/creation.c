/* Creation ops: zeros, ones, full, arange, astype, linspace, the *_like
 * fills, eye, identity, tri, tril, triu, meshgrid and the windows. */
#include <math.h>
#include <string.h>

#include "ops_util.h"
#include "primitives/params.h"
#include "primitives/params_creation.h"

int mx_astype(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s) {
    int rc = mxi_check_inputs("astype", out, &a, 1);
    if (rc) return rc;
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[astype] invalid dtype %d", (int)dtype);
    if (a->dtype == dtype) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    mx_array *in = (mx_array *)a;
    return mxi_make(out, dtype, a->shape, a->ndim, MXI_PRIM_ASTYPE, NULL, 0, &in, 1, s);
}

int mx_full(mx_array **out, const int32_t *shape, int ndim, const mx_array *vals, mx_dtype dtype,
            const mx_stream *s) {
    int rc = mxi_check_inputs("full", out, &vals, 1);
    if (!rc) rc = mxi_check_shape("full", shape, ndim);
    if (rc) return rc;
    if (dtype == MX_DTYPE_NONE) dtype = vals->dtype;
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[full] invalid dtype %d", (int)dtype);
    mx_array *cast = NULL, *spread = NULL;
    rc = mxi_astype_if(&cast, vals, dtype, s);
    if (!rc) rc = mxi_broadcast_if(&spread, cast, shape, ndim, s);
    if (!rc) rc = mxi_make(out, dtype, shape, ndim, MXI_PRIM_FULL, NULL, 0, &spread, 1, s);
    mx_array_free(cast);
    mx_array_free(spread);
    return rc;
}

static int fill(mx_array **out, const char *op, const int32_t *shape, int ndim, mx_dtype dtype,
                double value, const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[%s] the output pointer is NULL", op);
    int rc = mxi_check_shape(op, shape, ndim);
    if (rc) return rc;
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[%s] invalid dtype %d", op, (int)dtype);
    mx_array *v = NULL;
    rc = mx_array_from_float(&v, value, dtype);
    if (!rc) rc = mx_full(out, shape, ndim, v, dtype, s);
    mx_array_free(v);
    return rc;
}

int mx_zeros(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype, const mx_stream *s) {
    return fill(out, "zeros", shape, ndim, dtype, 0.0, s);
}

int mx_ones(mx_array **out, const int32_t *shape, int ndim, mx_dtype dtype, const mx_stream *s) {
    return fill(out, "ones", shape, ndim, dtype, 1.0, s);
}

int mx_arange(mx_array **out, double start, double stop, double step, mx_dtype dtype,
              const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[arange] the output pointer is NULL");
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[arange] invalid dtype %d", (int)dtype);
    if (dtype == MX_BOOL) return mxi_error(MX_ERR_VALUE, "[arange] bool is not supported");
    if (mx_dtype_is_complex(dtype))
        return mxi_error(MX_ERR_VALUE, "[arange] complex64 is not supported");
    if (step == 0) return mxi_error(MX_ERR_VALUE, "[arange] step must be nonzero");
    /* NaN anywhere, or an infinite start or stop, leaves no finite length */
    double real_size = ceil((stop - start) / step);
    if (isinf(step) && isfinite(start) && isfinite(stop)) /* one element if the step leads on */
        real_size = stop != start && (stop > start) == (step > 0) ? 1 : 0;
    if (!isfinite(real_size)) return mxi_error(MX_ERR_VALUE, "[arange] Cannot compute length.");
    if (real_size > INT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[arange] the range has too many elements");
    int32_t size = real_size > 0 ? (int32_t)real_size : 0;
    if (mx_dtype_is_integer(dtype)) {
        /* As NumPy and MLX: the step is the difference of the first two
         * values converted to the dtype, so arange(0, 3, 0.2, int32) is all
         * zeros and arange(0.5, 3, 0.7, int32) is 0 1 2 3. */
        double first = trunc(start);
        step = trunc(start + step) - first;
        start = first;
    }
    if (size <= 1) step = 0; /* start + 0 * inf would be NaN */
    mxi_arange_params p = {start, step};
    return mxi_make(out, dtype, &size, 1, MXI_PRIM_ARANGE, &p, sizeof p, NULL, 0, s);
}

/* MLX's composition: t = arange(num) / (num - 1) (or / num without the
 * endpoint), start * (1 - t) + stop * t, in float32 (float64 for a float64
 * result), then a cast. */
int mx_linspace(mx_array **out, double start, double stop, int num, bool endpoint, mx_dtype dtype,
                const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[linspace] the output pointer is NULL");
    if (dtype == MX_DTYPE_NONE) dtype = MX_FLOAT32;
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[linspace] invalid dtype %d", (int)dtype);
    if (num < 0)
        return mxi_error(MX_ERR_VALUE, "[linspace] number of samples, %d, must be non-negative.",
                         num);
    mx_dtype ct = dtype == MX_FLOAT64 ? MX_FLOAT64 : MX_FLOAT32;
    mx_array *first = NULL;
    if (num == 1) {
        int32_t one = 1;
        mx_array *v = NULL;
        int rc = mx_array_from_float(&v, start, MX_FLOAT32);
        if (!rc) rc = mx_reshape(&first, v, &one, 1, s);
        if (!rc) rc = mx_astype(out, first, dtype, s);
        mx_array_free(v);
        mx_array_free(first);
        return rc;
    }
    mx_array *idx = NULL, *den = NULL, *t = NULL, *one = NULL, *tbar = NULL, *a = NULL, *b = NULL;
    mx_array *ta = NULL, *tb = NULL, *sum = NULL;
    int rc = mx_arange(&idx, 0, num, 1, ct, s);
    if (!rc) rc = mx_array_from_float(&den, endpoint ? num - 1 : num, ct);
    if (!rc) rc = mx_divide(&t, idx, den, s);
    if (!rc) rc = mx_array_from_float(&one, 1.0, ct);
    if (!rc) rc = mx_subtract(&tbar, one, t, s);
    if (!rc) rc = mx_array_from_float(&a, start, ct);
    if (!rc) rc = mx_array_from_float(&b, stop, ct);
    if (!rc) rc = mx_multiply(&ta, tbar, a, s);
    if (!rc) rc = mx_multiply(&tb, t, b, s);
    if (!rc) rc = mx_add(&sum, ta, tb, s);
    if (!rc) rc = mxi_astype_if(out, sum, dtype, s);
    mx_array *all[] = {idx, den, t, one, tbar, a, b, ta, tb, sum};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
    return rc;
}

/* vals spread to a's shape by an elementwise op on a (where(true, vals, a)):
 * a shapeless compile replay spreads it to a's new shape (a constant fill
 * would keep the traced one). */
static int fill_traced(mx_array **out, const mx_array *a, const mx_array *vals, mx_dtype dtype,
                       const mx_stream *s) {
    mx_array *yes = NULL, *v = NULL, *x = NULL;
    int rc = mx_array_from_bool(&yes, true);
    if (!rc) rc = mxi_astype_if(&v, vals, dtype, s);
    if (!rc) rc = mxi_astype_if(&x, a, dtype, s);
    if (!rc) rc = mx_where(out, yes, v, x, s);
    mx_array_free(yes);
    mx_array_free(v);
    mx_array_free(x);
    return rc;
}

int mx_full_like(mx_array **out, const mx_array *a, const mx_array *vals, mx_dtype dtype,
                 const mx_stream *s) {
    const mx_array *ins[2] = {a, vals};
    int rc = mxi_check_inputs("full_like", out, ins, 2);
    if (rc) return rc;
    int32_t shape[MXI_MAX_NDIM];
    int nd;
    if (a->ndim > MXI_MAX_NDIM || vals->ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[full_like] more than %d dimensions", MXI_MAX_NDIM);
    rc = mxi_broadcast_shapes("full_like", shape, &nd, a->shape, a->ndim, vals->shape, vals->ndim);
    if (rc) return rc;
    if (a->tracer && mxi_shapeless_tracing())
        return fill_traced(out, a, vals, dtype == MX_DTYPE_NONE ? a->dtype : dtype, s);
    return mx_full(out, shape, nd, vals, dtype == MX_DTYPE_NONE ? a->dtype : dtype, s);
}

static int fill_like(mx_array **out, const char *op, const mx_array *a, mx_dtype dtype,
                     double value, const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    if (dtype == MX_DTYPE_NONE) dtype = a->dtype;
    if (a->tracer && mxi_shapeless_tracing()) {
        mx_array *v = NULL;
        rc = mx_array_from_float(&v, value, dtype);
        if (!rc) rc = fill_traced(out, a, v, dtype, s);
        mx_array_free(v);
        return rc;
    }
    return fill(out, op, a->shape, a->ndim, dtype, value, s);
}

int mx_zeros_like(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s) {
    return fill_like(out, "zeros_like", a, dtype, 0.0, s);
}

int mx_ones_like(mx_array **out, const mx_array *a, mx_dtype dtype, const mx_stream *s) {
    return fill_like(out, "ones_like", a, dtype, 1.0, s);
}

static int diag_pattern(mx_array **out, const char *op, mxi_prim_kind kind, int n, int m, int k,
                        mx_dtype dtype, const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[%s] the output pointer is NULL", op);
    if (dtype == MX_DTYPE_NONE) dtype = MX_FLOAT32;
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_TYPE, "[%s] invalid dtype %d", op, (int)dtype);
    int32_t shape[2] = {n, m};
    int rc = mxi_check_shape(op, shape, 2);
    if (rc) return rc;
    mxi_diag_params p = {k};
    return mxi_make(out, dtype, shape, 2, kind, &p, sizeof p, NULL, 0, s);
}

int mx_eye(mx_array **out, int n, int m, int k, mx_dtype dtype, const mx_stream *s) {
    if (n < 0 || m < 0)
        return mxi_error(MX_ERR_VALUE, "[eye] N and M must be non-negative, got %d and %d", n, m);
    return diag_pattern(out, "eye", MXI_PRIM_EYE, n, m, k, dtype, s);
}

int mx_identity(mx_array **out, int n, mx_dtype dtype, const mx_stream *s) {
    if (n < 0) return mxi_error(MX_ERR_VALUE, "[identity] N must be non-negative, got %d", n);
    return diag_pattern(out, "identity", MXI_PRIM_EYE, n, n, 0, dtype, s);
}

int mx_tri(mx_array **out, int n, int m, int k, mx_dtype dtype, const mx_stream *s) {
    return diag_pattern(out, "tri", MXI_PRIM_TRI, n < 0 ? 0 : n, m < 0 ? 0 : m, k, dtype, s);
}

static int tri_mask(mx_array **out, const char *op, mxi_prim_kind kind, const mx_array *x, int k,
                    const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &x, 1);
    if (rc) return rc;
    if (x->ndim < 2) return mxi_error(MX_ERR_VALUE, "[%s] array must be at least 2-D", op);
    mxi_diag_params p = {k};
    mx_array *in = (mx_array *)x;
    return mxi_make(out, x->dtype, x->shape, x->ndim, kind, &p, sizeof p, &in, 1, s);
}

int mx_tril(mx_array **out, const mx_array *x, int k, const mx_stream *s) {
    return tri_mask(out, "tril", MXI_PRIM_TRIL, x, k, s);
}

int mx_triu(mx_array **out, const mx_array *x, int k, const mx_stream *s) {
    return tri_mask(out, "triu", MXI_PRIM_TRIU, x, k, s);
}

int mx_meshgrid(mx_array **outs, const mx_array *const *arrays, int n, bool sparse,
                const char *indexing, const mx_stream *s) {
    if (n < 0 || (n && (!outs || !arrays)))
        return mxi_error(MX_ERR_VALUE, "[meshgrid] invalid arrays or outputs");
    for (int i = 0; i < n; i++) {
        if (!arrays[i]) return mxi_error(MX_ERR_VALUE, "[meshgrid] array %d is NULL", i);
        if (arrays[i]->size > INT32_MAX)
            return mxi_error(MX_ERR_VALUE, "[meshgrid] array %d has too many elements", i);
    }
    bool xy = true;
    if (indexing && strcmp(indexing, "xy") != 0) {
        if (strcmp(indexing, "ij") != 0)
            return mxi_error(MX_ERR_VALUE, "[meshgrid] Invalid indexing value. Valid values are "
                                           "'xy' and 'ij'.");
        xy = false;
    }
    if (n > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[meshgrid] more than %d arrays", MXI_MAX_NDIM);
    if (n == 0) return MX_OK;
    mx_array *grids[MXI_MAX_NDIM] = {0};
    int rc = MX_OK;
    for (int i = 0; i < n && !rc; i++) {
        int32_t shape[MXI_MAX_NDIM];
        for (int d = 0; d < n; d++) shape[d] = 1;
        int at = i;
        if (xy && n > 1 && i < 2) at = 1 - i;
        shape[at] = (int32_t)arrays[i]->size;
        rc = mx_reshape(&grids[i], arrays[i], shape, n, s);
    }
    if (!rc && !sparse) rc = mx_broadcast_arrays(grids, (const mx_array *const *)grids, n, s);
    if (!rc)
        for (int i = 0; i < n; i++) mxi_set_out(&outs[i], mx_array_retain(grids[i]));
    for (int i = 0; i < n; i++) mx_array_free(grids[i]);
    return rc;
}

static int window(mx_array **out, const char *op, mxi_window_type type, int M, const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[%s] the output pointer is NULL", op);
    if (M < 2) {
        int32_t len = M < 1 ? 0 : 1;
        return mx_ones(out, &len, 1, MX_FLOAT32, s);
    }
    mxi_window_params p = {type};
    int32_t len = M;
    return mxi_make(out, MX_FLOAT32, &len, 1, MXI_PRIM_WINDOW, &p, sizeof p, NULL, 0, s);
}

int mx_bartlett(mx_array **out, int M, const mx_stream *s) {
    return window(out, "bartlett", MXI_WINDOW_BARTLETT, M, s);
}

int mx_hanning(mx_array **out, int M, const mx_stream *s) {
    return window(out, "hanning", MXI_WINDOW_HANNING, M, s);
}

int mx_hamming(mx_array **out, int M, const mx_stream *s) {
    return window(out, "hamming", MXI_WINDOW_HAMMING, M, s);
}

int mx_blackman(mx_array **out, int M, const mx_stream *s) {
    return window(out, "blackman", MXI_WINDOW_BLACKMAN, M, s);
}
