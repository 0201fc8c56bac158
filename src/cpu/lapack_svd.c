/*
 * SVD through gesdd (divide and conquer): full U (M x M) and V^T (N x N), or
 * the singular values alone. complex64 uses cgesdd; its singular values are
 * float32.
 */
#include <lapacke.h>

#include "lapack_util.h"

#include "core/allocator.h"
#include "core/error.h"
#include "primitives/params_lapack.h"

static lapack_int gesdd(mx_dtype dt, char jobz, lapack_int m, lapack_int n, void *A, void *S,
                        void *U, void *VT) {
    /* Without vectors U and VT are not referenced, but LAPACKE's row-major
     * checks still want ldu >= m and ldvt >= n. */
    lapack_int ldu = m, ldvt = n;
    switch (dt) {
    case MX_FLOAT64:
        return LAPACKE_dgesdd(LAPACK_ROW_MAJOR, jobz, m, n, A, n, S, U, ldu, VT, ldvt);
    case MX_COMPLEX64:
        return LAPACKE_cgesdd(LAPACK_ROW_MAJOR, jobz, m, n, A, n, S, U, ldu, VT, ldvt);
    default:
        return LAPACKE_sgesdd(LAPACK_ROW_MAJOR, jobz, m, n, A, n, S, U, ldu, VT, ldvt);
    }
}

int mxi_cpu_svd(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_svd_params *p = node->params;
    bool uv = p->compute_uv;
    mx_array *a = inputs[0];
    mx_array *u = uv ? outputs[0] : NULL, *sv = uv ? outputs[1] : outputs[0];
    mx_array *vt = uv ? outputs[2] : NULL;
    int nd = a->ndim;
    lapack_int m = a->shape[nd - 2], n = a->shape[nd - 1], k = m < n ? m : n;
    int rc = mxi_alloc_data(sv);
    if (!rc && uv) rc = mxi_alloc_data(u);
    if (!rc && uv) rc = mxi_alloc_data(vt);
    int64_t batch = mxi_lapack_batch(a);
    if (rc || batch == 0) return rc;
    int64_t isz = mx_dtype_size(a->dtype), ssz = mx_dtype_size(sv->dtype);
    if (k == 0) {
        /* Nothing to factor; U and V^T of an empty matrix are identities. */
        for (int64_t b = 0; uv && b < batch; b++) {
            mxi_lapack_identity((char *)mxi_data(u) + b * m * m * isz, m, a->dtype);
            mxi_lapack_identity((char *)mxi_data(vt) + b * n * n * isz, n, a->dtype);
        }
        return MX_OK;
    }
    void *buf;
    size_t bytes;
    rc = mxi_lapack_gather(&buf, &bytes, a);
    if (rc) return rc;
    double dummy[4];
    for (int64_t b = 0; b < batch; b++) {
        char *A = (char *)buf + b * m * n * isz;
        char *S = (char *)mxi_data(sv) + b * k * ssz;
        void *U = uv ? (char *)mxi_data(u) + b * m * m * isz : (void *)dummy;
        void *VT = uv ? (char *)mxi_data(vt) + b * n * n * isz : (void *)dummy;
        lapack_int info = gesdd(a->dtype, uv ? 'A' : 'N', m, n, A, S, U, VT);
        if (info) {
            rc = info > 0
                     ? mxi_error(MX_ERR_RUNTIME,
                                 "[linalg::svd] SVD did not converge (error code %d)", (int)info)
                     : mxi_lapack_error("linalg::svd", "SVD", info);
            break;
        }
    }
    mxi_free(buf, bytes);
    return rc;
}
