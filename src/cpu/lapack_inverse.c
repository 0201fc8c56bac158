/*
 * Inverse: general matrices through getrf + getri, triangular ones through
 * trtri (the unread triangle of the result is zeroed). Both work in place
 * on a row-major copy of the input held by the output.
 */
#include <lapacke.h>

#include "lapack_util.h"

#include "core/allocator.h"
#include "core/error.h"
#include "primitives/params_lapack.h"

static int invert_general(mx_dtype dt, lapack_int n, void *A, lapack_int *ipiv, const char *op) {
    lapack_int info = dt == MX_FLOAT64 ? LAPACKE_dgetrf(LAPACK_ROW_MAJOR, n, n, A, n, ipiv)
                                       : LAPACKE_sgetrf(LAPACK_ROW_MAJOR, n, n, A, n, ipiv);
    if (info > 0)
        return mxi_error(MX_ERR_RUNTIME,
                         "[%s] the matrix is singular (LU factorization failed with "
                         "error code %d)",
                         op, (int)info);
    if (info < 0) return mxi_lapack_error(op, "LU factorization", info);
    info = dt == MX_FLOAT64 ? LAPACKE_dgetri(LAPACK_ROW_MAJOR, n, A, n, ipiv)
                            : LAPACKE_sgetri(LAPACK_ROW_MAJOR, n, A, n, ipiv);
    if (info) return mxi_lapack_error(op, "inversion", info);
    return MX_OK;
}

static int invert_triangular(mx_dtype dt, lapack_int n, void *A, bool upper, const char *op) {
    char uplo = upper ? 'U' : 'L';
    lapack_int info = dt == MX_FLOAT64 ? LAPACKE_dtrtri(LAPACK_ROW_MAJOR, uplo, 'N', n, A, n)
                                       : LAPACKE_strtri(LAPACK_ROW_MAJOR, uplo, 'N', n, A, n);
    if (info > 0)
        return mxi_error(MX_ERR_RUNTIME,
                         "[%s] the matrix is singular (triangular inversion failed "
                         "with error code %d)",
                         op, (int)info);
    if (info < 0) return mxi_lapack_error(op, "triangular inversion", info);
    mxi_lapack_zero_triangle(A, n, mx_dtype_size(dt), upper);
    return MX_OK;
}

int mxi_cpu_inverse(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_inverse_params *p = node->params;
    mx_array *a = inputs[0], *out = outputs[0];
    int rc = mxi_lapack_copy_into(out, a);
    lapack_int n = a->shape[a->ndim - 1];
    if (rc || out->size == 0) return rc;
    int64_t isz = mx_dtype_size(a->dtype), batch = mxi_lapack_batch(a);
    size_t piv_bytes = (size_t)n * sizeof(lapack_int);
    lapack_int *ipiv = p->tri ? NULL : mxi_alloc(piv_bytes);
    if (!p->tri && !ipiv) return MX_ERR_MEMORY;
    for (int64_t b = 0; b < batch && !rc; b++) {
        char *A = (char *)mxi_data(out) + b * n * n * isz;
        const char *op = mxi_inverse_caller_name(p->caller);
        rc = p->tri ? invert_triangular(a->dtype, n, A, p->upper, op)
                    : invert_general(a->dtype, n, A, ipiv, op);
    }
    if (ipiv) mxi_free(ipiv, piv_bytes);
    return rc;
}
