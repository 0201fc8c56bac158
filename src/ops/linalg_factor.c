/*
 * QR, SVD, inverses, Cholesky and the pseudo-inverse. The factorizations are
 * primitives of defs/lapack.def; cholesky_inv and pinv are compositions, as
 * in MLX.
 */
#include "linalg_util.h"
#include "primitives/params_lapack.h"

int mx_linalg_qr(mx_array **q, mx_array **r, const mx_array *a, const mx_stream *s) {
    mx_stream st;
    int rc = mxi_linalg_validate(&st, q, a, s, "linalg::qr", false, NULL);
    if (rc) return rc;
    if (!r || r == q) return mxi_error(MX_ERR_VALUE, "[linalg::qr] two distinct outputs needed");
    int nd = a->ndim;
    int32_t m = a->shape[nd - 2], n = a->shape[nd - 1], k = m < n ? m : n;
    int32_t qs[MXI_MAX_NDIM], rs[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) qs[i] = rs[i] = a->shape[i];
    qs[nd - 1] = k;
    rs[nd - 2] = k;
    mx_array *outs[2] = {NULL, NULL}, *in[1] = {(mx_array *)a};
    mx_dtype dts[2] = {a->dtype, a->dtype};
    const int32_t *shapes[2] = {qs, rs};
    int ndims[2] = {nd, nd};
    rc = mxi_make_node(outs, 2, dts, shapes, ndims, MXI_PRIM_QRF, NULL, 0, in, 1, &st);
    if (rc) return rc;
    mxi_set_out(q, outs[0]);
    mxi_set_out(r, outs[1]);
    return MX_OK;
}

int mx_linalg_svd(mx_array **u, mx_array **sv, mx_array **vt, const mx_array *a, bool compute_uv,
                  const mx_stream *s) {
    mx_stream st;
    int rc = mxi_linalg_validate(&st, sv, a, s, "linalg::svd", true, NULL);
    if (rc) return rc;
    if (compute_uv && (!u || !vt || u == sv || vt == sv || u == vt))
        return mxi_error(MX_ERR_VALUE, "[linalg::svd] three distinct outputs needed");
    int nd = a->ndim;
    int32_t m = a->shape[nd - 2], n = a->shape[nd - 1], k = m < n ? m : n;
    int32_t us[MXI_MAX_NDIM], ss[MXI_MAX_NDIM], vs[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) us[i] = ss[i] = vs[i] = a->shape[i];
    us[nd - 2] = us[nd - 1] = m;
    vs[nd - 2] = vs[nd - 1] = n;
    ss[nd - 2] = k;
    mx_dtype sdt = a->dtype == MX_COMPLEX64 ? MX_FLOAT32 : a->dtype;
    mxi_svd_params p = {compute_uv};
    mx_array *in[1] = {(mx_array *)a};
    if (!compute_uv) return mxi_make(sv, sdt, ss, nd - 1, MXI_PRIM_SVD, &p, sizeof p, in, 1, &st);
    mx_array *outs[3] = {NULL, NULL, NULL};
    mx_dtype dts[3] = {a->dtype, sdt, a->dtype};
    const int32_t *shapes[3] = {us, ss, vs};
    int ndims[3] = {nd, nd - 1, nd};
    rc = mxi_make_node(outs, 3, dts, shapes, ndims, MXI_PRIM_SVD, &p, sizeof p, in, 1, &st);
    if (rc) return rc;
    mxi_set_out(u, outs[0]);
    mxi_set_out(sv, outs[1]);
    mxi_set_out(vt, outs[2]);
    return MX_OK;
}

int mxi_linalg_inverse(mx_array **out, const mx_array *a, bool tri, bool upper, int caller,
                       const mx_stream *s) {
    mx_stream st;
    int rc = mxi_linalg_validate(&st, out, a, s, mxi_inverse_caller_name(caller), false,
                                 "Inverses are only defined for square matrices.");
    if (rc) return rc;
    mxi_inverse_params p = {tri, upper, caller};
    mx_array *in[1] = {(mx_array *)a};
    return mxi_make(out, a->dtype, a->shape, a->ndim, MXI_PRIM_INVERSE, &p, sizeof p, in, 1, &st);
}

int mx_linalg_inv(mx_array **out, const mx_array *a, const mx_stream *s) {
    return mxi_linalg_inverse(out, a, false, false, MXI_INV_FOR_INV, s);
}

int mx_linalg_tri_inv(mx_array **out, const mx_array *a, bool upper, const mx_stream *s) {
    return mxi_linalg_inverse(out, a, true, upper, MXI_INV_FOR_TRI_INV, s);
}

int mx_linalg_cholesky(mx_array **out, const mx_array *a, bool upper, const mx_stream *s) {
    mx_stream st;
    int rc = mxi_linalg_validate(&st, out, a, s, "linalg::cholesky", false,
                                 "Cholesky decomposition is only defined for square matrices.");
    if (rc) return rc;
    mxi_cholesky_params p = {upper};
    mx_array *in[1] = {(mx_array *)a};
    return mxi_make(out, a->dtype, a->shape, a->ndim, MXI_PRIM_CHOLESKY, &p, sizeof p, in, 1, &st);
}

int mx_linalg_cholesky_inv(mx_array **out, const mx_array *factor, bool upper, const mx_stream *s) {
    mx_stream st;
    int rc = mxi_linalg_validate(&st, out, factor, s, "linalg::cholesky_inv", false,
                                 "Cholesky inverse is only defined for square matrices.");
    if (rc) return rc;
    /* a^-1 = L^-T L^-1 (or U^-1 U^-T). */
    mx_array *li = NULL, *lt = NULL;
    rc = mxi_linalg_inverse(&li, factor, true, upper, MXI_INV_FOR_CHOLESKY_INV, &st);
    if (!rc) rc = mx_swapaxes(&lt, li, -1, -2, &st);
    if (!rc) rc = upper ? mx_matmul(out, li, lt, &st) : mx_matmul(out, lt, li, &st);
    mx_array_free(li);
    mx_array_free(lt);
    return rc;
}

int mx_linalg_pinv(mx_array **out, const mx_array *a, const mx_stream *s) {
    mx_stream st;
    int rc = mxi_linalg_validate(&st, out, a, s, "linalg::pinv", false, NULL);
    if (rc) return rc;
    int nd = a->ndim;
    int32_t m = a->shape[nd - 2], n = a->shape[nd - 1], k = m < n ? m : n;
    if (k == 0) {
        /* No singular values: the pseudo-inverse of an empty matrix is zero. */
        int32_t shape[MXI_MAX_NDIM];
        for (int i = 0; i < nd; i++) shape[i] = a->shape[i];
        shape[nd - 2] = n, shape[nd - 1] = m;
        return mx_zeros(out, shape, nd, a->dtype, &st);
    }
    /* pinv = V[:, :K] diag(1/S) U[:, :K]^T, dropping singular values below
     * rcond times the largest. */
    mx_array *u = NULL, *sv = NULL, *vt = NULL, *cut = NULL, *rs = NULL, *zero = NULL;
    rc = mx_linalg_svd(&u, &sv, &vt, a, true, &st);
    int32_t start[MXI_MAX_NDIM] = {0}, stop[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) stop[i] = a->shape[i];
    stop[nd - 2] = m, stop[nd - 1] = k;
    if (!rc) rc = mx_slice(&u, u, start, stop, NULL, nd, &st);
    if (!rc) rc = mx_swapaxes(&u, u, -1, -2, &st);
    stop[nd - 2] = k, stop[nd - 1] = n;
    if (!rc) rc = mx_slice(&vt, vt, start, stop, NULL, nd, &st);
    if (!rc) rc = mx_swapaxes(&vt, vt, -1, -2, &st);
    if (!rc) rc = mx_expand_dims(&sv, sv, -2, &st);
    double eps = a->dtype == MX_FLOAT64 ? 2.220446049250313e-16 : 1.1920928955078125e-07;
    if (!rc) rc = mx_array_from_float(&cut, 10.0 * (m > n ? m : n) * eps, a->dtype);
    if (!rc) rc = mx_max_axis(&rs, sv, -1, true, &st);
    if (!rc) rc = mx_multiply(&cut, cut, rs, &st);
    if (!rc) rc = mx_greater(&cut, sv, cut, &st);
    if (!rc) rc = mx_reciprocal(&rs, sv, &st);
    if (!rc) rc = mx_array_from_float(&zero, 0.0, a->dtype);
    if (!rc) rc = mx_where(&rs, cut, rs, zero, &st);
    if (!rc) rc = mx_multiply(&vt, vt, rs, &st);
    if (!rc) rc = mx_matmul(out, vt, u, &st);
    mx_array_free(u);
    mx_array_free(sv);
    mx_array_free(vt);
    mx_array_free(cut);
    mx_array_free(rs);
    mx_array_free(zero);
    return rc;
}
