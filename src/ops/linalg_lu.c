/*
 * LU and what is built on it: lu_factor and lu (the LUF primitive), solve,
 * solve_triangular, det and slogdet (compositions, as in MLX).
 */
#include <math.h>

#include "linalg_util.h"
#include "primitives/params_lapack.h"

/* The three outputs of LUF: lu, pivots, row_idx. */
static int luf(mx_array **outs, const mx_array *a, const mx_stream *st) {
    int nd = a->ndim;
    int32_t m = a->shape[nd - 2], n = a->shape[nd - 1];
    int32_t ps[MXI_MAX_NDIM];
    for (int i = 0; i < nd - 1; i++) ps[i] = a->shape[i];
    ps[nd - 2] = m < n ? m : n;
    mx_dtype dts[3] = {a->dtype, MX_UINT32, MX_UINT32};
    const int32_t *shapes[3] = {a->shape, ps, a->shape};
    int ndims[3] = {nd, nd - 1, nd - 1};
    mx_array *in[1] = {(mx_array *)a};
    return mxi_make_node(outs, 3, dts, shapes, ndims, MXI_PRIM_LUF, NULL, 0, in, 1, st);
}

int mx_linalg_lu_factor(mx_array **lu, mx_array **pivots, const mx_array *a, const mx_stream *s) {
    mx_stream st;
    int rc = mxi_linalg_validate(&st, lu, a, s, "linalg::lu_factor", false, NULL);
    if (rc) return rc;
    if (!pivots || pivots == lu)
        return mxi_error(MX_ERR_VALUE, "[linalg::lu_factor] two distinct outputs needed");
    mx_array *outs[3] = {NULL, NULL, NULL};
    rc = luf(outs, a, &st);
    if (rc) return rc;
    mxi_set_out(lu, outs[0]);
    mxi_set_out(pivots, outs[1]);
    mx_array_free(outs[2]);
    return MX_OK;
}

int mx_linalg_lu(mx_array **row_idx, mx_array **l, mx_array **u, const mx_array *a,
                 const mx_stream *s) {
    mx_stream st;
    int rc = mxi_linalg_validate(&st, row_idx, a, s, "linalg::lu", false, NULL);
    if (rc) return rc;
    if (!l || !u || l == u || l == row_idx || u == row_idx)
        return mxi_error(MX_ERR_VALUE, "[linalg::lu] three distinct outputs needed");
    int nd = a->ndim;
    int32_t m = a->shape[nd - 2], n = a->shape[nd - 1], k = m < n ? m : n;
    mx_array *outs[3] = {NULL, NULL, NULL}, *L = NULL, *U = NULL, *eye = NULL;
    rc = luf(outs, a, &st);
    if (!rc) rc = mx_tril(&L, outs[0], -1, &st);
    if (!rc) rc = mx_triu(&U, outs[0], 0, &st);
    int32_t start[MXI_MAX_NDIM] = {0}, stop[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) stop[i] = a->shape[i];
    if (!rc && n != k) {
        stop[nd - 1] = k;
        rc = mx_slice(&L, L, start, stop, NULL, nd, &st);
    } else if (!rc && m != k) {
        stop[nd - 2] = k;
        rc = mx_slice(&U, U, start, stop, NULL, nd, &st);
    }
    if (!rc) rc = mx_eye(&eye, m, k, 0, a->dtype, &st);
    if (!rc) rc = mx_add(&L, L, eye, &st);
    if (!rc) {
        mxi_set_out(row_idx, outs[2]), outs[2] = NULL;
        mxi_set_out(l, L), L = NULL;
        mxi_set_out(u, U), U = NULL;
    }
    for (int i = 0; i < 3; i++) mx_array_free(outs[i]);
    mx_array_free(L);
    mx_array_free(U);
    mx_array_free(eye);
    return rc;
}

/* MLX's checks for solve and solve_triangular; *dtype gets the promoted
 * type. */
static int validate_solve(mx_stream *st, mx_array **out, const mx_array *a, const mx_array *b,
                          const mx_stream *s, const char *op, mx_dtype *dtype) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs(op, out, ins, 2);
    if (!rc) rc = mxi_linalg_cpu_stream(st, s, op);
    if (rc) return rc;
    if (a->ndim < 2)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] First input must have >= 2 dimensions. Received array with %d "
                         "dimensions.",
                         op, a->ndim);
    if (b->ndim < 1)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Second input must have >= 1 dimensions. Received array with %d "
                         "dimensions.",
                         op, b->ndim);
    if (a->ndim > MXI_MAX_NDIM || b->ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
    mxi_shape_str(sa, sizeof sa, a->shape, a->ndim);
    mxi_shape_str(sb, sizeof sb, b->shape, b->ndim);
    if (a->shape[a->ndim - 1] != a->shape[a->ndim - 2])
        return mxi_error(MX_ERR_VALUE,
                         "[%s] First input must be a square matrix. Received array with shape %s.",
                         op, sa);
    int32_t bn = b->shape[b->ndim > 1 ? b->ndim - 2 : 0];
    if (a->shape[a->ndim - 1] != bn)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Last dimension of first input with shape %s must match second to "
                         "last dimension of second input with shape %s.",
                         op, sa, sb);
    *dtype = mx_promote_types(a->dtype, b->dtype);
    if (*dtype != MX_FLOAT32 && *dtype != MX_FLOAT64)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] Input arrays must promote to float32 or float64.  Received arrays "
                         "with type %s and %s.",
                         op, mx_dtype_name(a->dtype), mx_dtype_name(b->dtype));
    return MX_OK;
}

/* a^-1 b through the triangular inverse, as MLX; caller names the op. */
static int tri_solve(mx_array **out, const mx_array *a, const mx_array *b, bool upper, int caller,
                     const mx_stream *s) {
    mx_stream st;
    mx_dtype dt;
    int rc = validate_solve(&st, out, a, b, s, mxi_inverse_caller_name(caller), &dt);
    if (rc) return rc;
    mx_array *ai = NULL, *bc = NULL;
    rc = mxi_astype_if(&ai, a, dt, &st);
    if (!rc) rc = mxi_astype_if(&bc, b, dt, &st);
    if (!rc) rc = mxi_linalg_inverse(&ai, ai, true, upper, caller, &st);
    if (!rc) rc = mx_matmul(out, ai, bc, &st);
    mx_array_free(ai);
    mx_array_free(bc);
    return rc;
}

int mx_linalg_solve_triangular(mx_array **out, const mx_array *a, const mx_array *b, bool upper,
                               const mx_stream *s) {
    return tri_solve(out, a, b, upper, MXI_INV_FOR_SOLVE_TRIANGULAR, s);
}

int mx_linalg_solve(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    mx_stream st;
    mx_dtype dt;
    int rc = validate_solve(&st, out, a, b, s, "linalg::solve", &dt);
    if (rc) return rc;
    /* P A = L U, so x = U^-1 L^-1 (P b). A vector b is solved as a one-column
     * matrix; batch axes of a and b broadcast as in NumPy. */
    bool vec = b->ndim == 1;
    int an = a->ndim, bn = b->ndim + vec;
    int32_t n = a->shape[an - 1];
    mx_array *A = NULL, *B = NULL, *rows = NULL, *L = NULL, *U = NULL, *x = NULL;
    rc = mxi_astype_if(&A, a, dt, &st);
    if (!rc) rc = mxi_astype_if(&B, b, dt, &st);
    if (!rc && vec) rc = mx_expand_dims(&B, B, -1, &st);
    int32_t batch[MXI_MAX_NDIM], shape[MXI_MAX_NDIM];
    int nb = 0;
    if (!rc)
        rc = mxi_broadcast_shapes("linalg::solve", batch, &nb, a->shape, an - 2, B->shape, bn - 2);
    if (!rc && nb + 2 > MXI_MAX_NDIM)
        rc = mxi_error(MX_ERR_VALUE, "[linalg::solve] too many dimensions");
    for (int i = 0; !rc && i < nb; i++) shape[i] = batch[i];
    shape[nb] = shape[nb + 1] = n;
    if (!rc) rc = mxi_broadcast_if(&A, A, shape, nb + 2, &st);
    if (!rc) shape[nb + 1] = B->shape[bn - 1];
    if (!rc) rc = mxi_broadcast_if(&B, B, shape, nb + 2, &st);
    if (!rc) rc = mx_linalg_lu(&rows, &L, &U, A, &st);
    /* Row i of P b is b[perm[i]], perm the inverse of row_idx. */
    if (!rc) rc = mx_argsort_axis(&rows, rows, -1, &st);
    if (!rc) rc = mx_expand_dims(&rows, rows, -1, &st);
    if (!rc) rc = mx_take_along_axis(&x, B, rows, -2, &st);
    if (!rc) rc = tri_solve(&x, L, x, false, MXI_INV_FOR_SOLVE, &st);
    if (!rc) rc = tri_solve(&x, U, x, true, MXI_INV_FOR_SOLVE, &st);
    if (!rc && vec) rc = mx_squeeze_axis(&x, x, -1, &st);
    if (!rc) mxi_set_out(out, x), x = NULL;
    mx_array_free(A);
    mx_array_free(B);
    mx_array_free(rows);
    mx_array_free(L);
    mx_array_free(U);
    mx_array_free(x);
    return rc;
}

static int validate_det(mx_stream *st, mx_array **out, const mx_array *a, const mx_stream *s,
                        const char *op) {
    const mx_array *ins[1] = {a};
    int rc = mxi_check_inputs(op, out, ins, 1);
    if (!rc) rc = mxi_linalg_cpu_stream(st, s, op);
    if (rc) return rc;
    if (a->dtype == MX_COMPLEX64)
        return mxi_error(MX_ERR_VALUE, "[%s] Complex inputs are not supported.", op);
    rc = mxi_linalg_check_ndim(a, op);
    if (!rc && a->shape[a->ndim - 1] != a->shape[a->ndim - 2])
        rc = mxi_error(MX_ERR_VALUE, "[%s] Only defined for square matrices.", op);
    return rc;
}

/* a[..., i, j] as an array of the batch shape. */
static int elem(mx_array **out, const mx_array *a, int i, int j, const mx_stream *st) {
    int nd = a->ndim;
    int32_t start[MXI_MAX_NDIM] = {0}, stop[MXI_MAX_NDIM];
    for (int d = 0; d < nd; d++) stop[d] = a->shape[d];
    start[nd - 2] = i, stop[nd - 2] = i + 1;
    start[nd - 1] = j, stop[nd - 1] = j + 1;
    int rc = mx_slice(out, a, start, stop, NULL, nd, st);
    if (!rc) rc = mx_reshape(out, *out, a->shape, nd - 2, st);
    return rc;
}

/* a[0,0] a[1,1] - a[0,1] a[1,0] over rows r0, r1 and columns c0, c1. */
static int minor2(mx_array **out, const mx_array *a, int r0, int r1, int c0, int c1,
                  const mx_stream *st) {
    mx_array *p = NULL, *q = NULL, *t = NULL;
    int rc = elem(&p, a, r0, c0, st);
    if (!rc) rc = elem(&t, a, r1, c1, st);
    if (!rc) rc = mx_multiply(&p, p, t, st);
    if (!rc) rc = elem(&q, a, r0, c1, st);
    if (!rc) rc = elem(&t, a, r1, c0, st);
    if (!rc) rc = mx_multiply(&q, q, t, st);
    if (!rc) rc = mx_subtract(out, p, q, st);
    mx_array_free(p);
    mx_array_free(q);
    mx_array_free(t);
    return rc;
}

/* The determinant of matrices up to 3 x 3 written out (no LU). */
static int det_small(mx_array **out, const mx_array *a, const mx_stream *st) {
    int nd = a->ndim, n = a->shape[nd - 1];
    if (n == 0) {
        mx_array *one = NULL;
        int rc = mx_array_from_float(&one, 1.0, a->dtype);
        if (!rc) rc = mx_broadcast_to(out, one, a->shape, nd - 2, st);
        mx_array_free(one);
        return rc;
    }
    if (n == 1) return elem(out, a, 0, 0, st);
    if (n == 2) return minor2(out, a, 0, 1, 0, 1, st);
    /* Expansion along the first row. */
    mx_array *acc = NULL, *m = NULL, *e = NULL;
    int rc = MX_OK;
    static const int cols[3][2] = {{1, 2}, {0, 2}, {0, 1}};
    for (int j = 0; j < 3 && !rc; j++) {
        rc = minor2(&m, a, 1, 2, cols[j][0], cols[j][1], st);
        if (!rc) rc = elem(&e, a, 0, j, st);
        if (!rc) rc = mx_multiply(&m, e, m, st);
        if (!rc)
            rc = j == 0   ? mx_astype(&acc, m, a->dtype, st)
                 : j == 1 ? mx_subtract(&acc, acc, m, st)
                          : mx_add(&acc, acc, m, st);
    }
    if (!rc) mxi_set_out(out, acc), acc = NULL;
    mx_array_free(acc);
    mx_array_free(m);
    mx_array_free(e);
    return rc;
}

static int slogdet_impl(mx_array **sign, mx_array **logabs, const mx_array *a,
                        const mx_stream *st) {
    mx_dtype dt = a->dtype;
    int nd = a->ndim, n = a->shape[nd - 1];
    mx_array *lu = NULL, *piv = NULL, *d = NULL, *t = NULL, *c = NULL, *sg = NULL, *la = NULL;
    int rc;
    if (n <= 3) {
        rc = det_small(&d, a, st);
        if (!rc) rc = mx_sign(&sg, d, st);
        if (!rc) rc = mx_abs(&la, d, st);
        if (!rc) rc = mx_log(&la, la, st);
    } else {
        /* sign = (-1)^(row swaps + negative pivots), log|det| = sum log|u_ii|;
         * a zero pivot gives sign 0 and -inf. */
        rc = mx_linalg_lu_factor(&lu, &piv, a, st);
        if (!rc) rc = mx_diagonal(&d, lu, 0, -2, -1, st);
        if (!rc) rc = mx_arange(&t, 0, n, 1, MX_UINT32, st);
        if (!rc) rc = mx_not_equal(&t, piv, t, st);
        if (!rc) rc = mx_sum_axis(&t, t, -1, false, st);
        if (!rc) rc = mx_astype(&t, t, MX_INT32, st);
        if (!rc) rc = mx_array_from_float(&c, 0.0, dt);
        if (!rc) rc = mx_less(&sg, d, c, st);
        if (!rc) rc = mx_sum_axis(&sg, sg, -1, false, st);
        if (!rc) rc = mx_astype(&sg, sg, MX_INT32, st);
        if (!rc) rc = mx_add(&t, t, sg, st);
        if (!rc) rc = mx_array_from_int(&c, 2, MX_INT32);
        if (!rc) rc = mx_remainder(&t, t, c, st);
        if (!rc) rc = mx_multiply(&t, t, c, st);
        if (!rc) rc = mx_array_from_int(&c, 1, MX_INT32);
        if (!rc) rc = mx_subtract(&sg, c, t, st);
        if (!rc) rc = mx_astype(&sg, sg, dt, st);
        if (!rc) rc = mx_abs(&la, d, st);
        if (!rc) rc = mx_log(&la, la, st);
        if (!rc) rc = mx_sum_axis(&la, la, -1, false, st);
        if (!rc) rc = mx_array_from_float(&c, 0.0, dt);
        if (!rc) rc = mx_equal(&t, d, c, st);
        if (!rc) rc = mx_any_axis(&t, t, -1, false, st);
        if (!rc) rc = mx_where(&sg, t, c, sg, st);
        if (!rc) rc = mx_array_from_float(&c, -INFINITY, dt);
        if (!rc) rc = mx_where(&la, t, c, la, st);
    }
    if (!rc) {
        mxi_set_out(sign, sg), sg = NULL;
        mxi_set_out(logabs, la), la = NULL;
    }
    mx_array *all[7] = {lu, piv, d, t, c, sg, la};
    for (int i = 0; i < 7; i++) mx_array_free(all[i]);
    return rc;
}

int mx_linalg_slogdet(mx_array **sign, mx_array **logabsdet, const mx_array *a,
                      const mx_stream *s) {
    mx_stream st;
    int rc = validate_det(&st, sign, a, s, "linalg::slogdet");
    if (rc) return rc;
    if (!logabsdet || logabsdet == sign)
        return mxi_error(MX_ERR_VALUE, "[linalg::slogdet] two distinct outputs needed");
    mx_array *x = NULL;
    rc = mxi_astype_if(&x, a, mxi_linalg_at_least_float(a->dtype), &st);
    if (!rc) rc = slogdet_impl(sign, logabsdet, x, &st);
    mx_array_free(x);
    return rc;
}

int mx_linalg_det(mx_array **out, const mx_array *a, const mx_stream *s) {
    mx_stream st;
    int rc = validate_det(&st, out, a, s, "linalg::det");
    if (rc) return rc;
    mx_array *x = NULL, *sg = NULL, *la = NULL;
    rc = mxi_astype_if(&x, a, mxi_linalg_at_least_float(a->dtype), &st);
    if (!rc && a->shape[a->ndim - 1] <= 3) {
        rc = det_small(out, x, &st);
    } else if (!rc) {
        rc = slogdet_impl(&sg, &la, x, &st);
        if (!rc) rc = mx_exp(&la, la, &st);
        if (!rc) rc = mx_multiply(out, sg, la, &st);
    }
    mx_array_free(x);
    mx_array_free(sg);
    mx_array_free(la);
    return rc;
}
