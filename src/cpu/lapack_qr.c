/*
 * QRF: reduced QR through geqrf (Householder reflectors and R in place)
 * followed by orgqr (the first K columns of Q from the reflectors).
 */
#include <lapacke.h>
#include <string.h>

#include "lapack_util.h"

#include "core/allocator.h"
#include "core/error.h"

int mxi_cpu_qrf(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mx_array *a = inputs[0], *q = outputs[0], *r = outputs[1];
    int nd = a->ndim;
    lapack_int m = a->shape[nd - 2], n = a->shape[nd - 1], k = m < n ? m : n;
    int rc = mxi_alloc_data(q);
    if (!rc) rc = mxi_alloc_data(r);
    if (rc || k == 0) return rc;
    int64_t isz = mx_dtype_size(a->dtype), batch = mxi_lapack_batch(a);
    void *buf;
    size_t bytes;
    rc = mxi_lapack_gather(&buf, &bytes, a);
    if (rc) return rc;
    size_t tau_bytes = (size_t)(k * isz);
    void *tau = mxi_alloc(tau_bytes);
    if (!tau) {
        mxi_free(buf, bytes);
        return MX_ERR_MEMORY;
    }
    for (int64_t b = 0; b < batch && !rc; b++) {
        char *A = (char *)buf + b * m * n * isz;
        char *R = (char *)mxi_data(r) + b * k * n * isz;
        char *Q = (char *)mxi_data(q) + b * m * k * isz;
        lapack_int info = a->dtype == MX_FLOAT64
                              ? LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, m, n, (double *)A, n, tau)
                              : LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, m, n, (float *)A, n, tau);
        if (info) {
            rc = mxi_lapack_error("linalg::qr", "QR factorization", info);
            break;
        }
        /* R is the upper triangle of the first K rows. */
        memset(R, 0, (size_t)(k * n * isz));
        for (lapack_int i = 0; i < k; i++)
            memcpy(R + (i * n + i) * isz, A + (i * n + i) * isz, (size_t)((n - i) * isz));
        info = a->dtype == MX_FLOAT64
                   ? LAPACKE_dorgqr(LAPACK_ROW_MAJOR, m, k, k, (double *)A, n, tau)
                   : LAPACKE_sorgqr(LAPACK_ROW_MAJOR, m, k, k, (float *)A, n, tau);
        if (info) {
            rc = mxi_lapack_error("linalg::qr", "forming Q", info);
            break;
        }
        for (lapack_int i = 0; i < m; i++)
            memcpy(Q + i * k * isz, A + i * n * isz, (size_t)(k * isz));
    }
    mxi_free(tau, tau_bytes);
    mxi_free(buf, bytes);
    return rc;
}
