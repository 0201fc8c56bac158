/*
 * LUF: LU with partial pivoting through getrf, in place in the first output
 * (a row-major copy of the input). LAPACK's 1-based row swaps become 0-based
 * pivots, and replaying them gives the permutation as MLX reports it: where
 * each input row ends up in L U.
 */
#include <lapacke.h>

#include "lapack_util.h"

#include "core/allocator.h"
#include "core/error.h"

int mxi_cpu_luf(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mx_array *a = inputs[0], *lu = outputs[0], *piv = outputs[1], *rows = outputs[2];
    int nd = a->ndim;
    lapack_int m = a->shape[nd - 2], n = a->shape[nd - 1], k = m < n ? m : n;
    int rc = mxi_lapack_copy_into(lu, a);
    if (!rc) rc = mxi_alloc_data(piv);
    if (!rc) rc = mxi_alloc_data(rows);
    int64_t batch = mxi_lapack_batch(a);
    if (rc || batch == 0 || m == 0) return rc;
    int64_t isz = mx_dtype_size(a->dtype);
    size_t ibytes = sizeof(lapack_int) * (size_t)(k + m + 1);
    lapack_int *ipiv = mxi_alloc(ibytes), *perm = ipiv + k;
    if (!ipiv) return MX_ERR_MEMORY;
    for (int64_t b = 0; b < batch; b++) {
        uint32_t *P = (uint32_t *)mxi_data(piv) + b * k, *R = (uint32_t *)mxi_data(rows) + b * m;
        if (k > 0) {
            void *A = (char *)mxi_data(lu) + b * m * n * isz;
            /* A positive info (an exactly zero pivot, a singular U) is a
             * valid factorization, not a failure. */
            lapack_int info = a->dtype == MX_FLOAT64
                                  ? LAPACKE_dgetrf(LAPACK_ROW_MAJOR, m, n, A, n, ipiv)
                                  : LAPACKE_sgetrf(LAPACK_ROW_MAJOR, m, n, A, n, ipiv);
            if (info < 0) {
                rc = mxi_lapack_error("linalg::lu", "LU factorization", info);
                break;
            }
        }
        for (lapack_int i = 0; i < m; i++) perm[i] = i;
        for (lapack_int i = 0; i < k; i++) {
            lapack_int j = ipiv[i] - 1, t = perm[i];
            P[i] = (uint32_t)j;
            perm[i] = perm[j];
            perm[j] = t;
        }
        /* perm[i] is the input row at row i of L U; R is its inverse. */
        for (lapack_int i = 0; i < m; i++) R[perm[i]] = (uint32_t)i;
    }
    mxi_free(ipiv, ibytes);
    return rc;
}
