/*
 * Cholesky through potrf, in place on a row-major copy held by the output;
 * the triangle potrf does not write is zeroed.
 */
#include <lapacke.h>

#include "lapack_util.h"

#include "core/error.h"
#include "primitives/params_lapack.h"

int mxi_cpu_cholesky(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_cholesky_params *p = node->params;
    mx_array *a = inputs[0], *out = outputs[0];
    int rc = mxi_lapack_copy_into(out, a);
    lapack_int n = a->shape[a->ndim - 1];
    if (rc || out->size == 0) return rc;
    int64_t isz = mx_dtype_size(a->dtype), batch = mxi_lapack_batch(a);
    char uplo = p->upper ? 'U' : 'L';
    for (int64_t b = 0; b < batch; b++) {
        char *A = (char *)mxi_data(out) + b * n * n * isz;
        lapack_int info = a->dtype == MX_FLOAT64
                              ? LAPACKE_dpotrf(LAPACK_ROW_MAJOR, uplo, n, (double *)A, n)
                              : LAPACKE_spotrf(LAPACK_ROW_MAJOR, uplo, n, (float *)A, n);
        if (info > 0)
            return mxi_error(MX_ERR_RUNTIME,
                             "[linalg::cholesky] the matrix is not positive definite (the "
                             "leading minor of order %d is not)",
                             (int)info);
        if (info < 0) return mxi_lapack_error("linalg::cholesky", "Cholesky factorization", info);
        mxi_lapack_zero_triangle(A, n, isz, p->upper);
    }
    return MX_OK;
}
