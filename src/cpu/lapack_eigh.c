/*
 * Eigh: symmetric (syevd) and Hermitian (cheevd) eigenproblems, values
 * ascending. With vectors the factorization runs in place in the vectors'
 * output, which holds a row-major copy of the input first.
 */
#include <lapacke.h>

#include "lapack_util.h"

#include "core/allocator.h"
#include "core/error.h"
#include "primitives/params_lapack.h"

static lapack_int evd(mx_dtype dt, char jobz, char uplo, lapack_int n, void *A, void *w) {
    switch (dt) {
    case MX_FLOAT64:
        return LAPACKE_dsyevd(LAPACK_ROW_MAJOR, jobz, uplo, n, A, n, w);
    case MX_COMPLEX64:
        return LAPACKE_cheevd(LAPACK_ROW_MAJOR, jobz, uplo, n, A, n, w);
    default:
        return LAPACKE_ssyevd(LAPACK_ROW_MAJOR, jobz, uplo, n, A, n, w);
    }
}

int mxi_cpu_eigh(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_eigh_params *p = node->params;
    mx_array *a = inputs[0], *w = outputs[0], *v = p->vectors ? outputs[1] : NULL;
    lapack_int n = a->shape[a->ndim - 1];
    int rc = mxi_alloc_data(w);
    if (rc) return rc;
    void *buf = NULL;
    size_t bytes = 0;
    if (v)
        rc = mxi_lapack_copy_into(v, a);
    else
        rc = mxi_lapack_gather(&buf, &bytes, a);
    if (rc || a->size == 0) return rc;
    char *base = v ? mxi_data(v) : buf;
    int64_t isz = mx_dtype_size(a->dtype), wsz = mx_dtype_size(w->dtype);
    int64_t batch = mxi_lapack_batch(a);
    for (int64_t b = 0; b < batch; b++) {
        lapack_int info = evd(a->dtype, v ? 'V' : 'N', p->upper ? 'U' : 'L', n,
                              base + b * n * n * isz, (char *)mxi_data(w) + b * n * wsz);
        if (info) {
            rc = info > 0 ? mxi_error(MX_ERR_RUNTIME,
                                      "[linalg::eigh] the eigensolver did not converge (error "
                                      "code %d)",
                                      (int)info)
                          : mxi_lapack_error("linalg::eigh", "eigendecomposition", info);
            break;
        }
    }
    if (buf) mxi_free(buf, bytes);
    return rc;
}
