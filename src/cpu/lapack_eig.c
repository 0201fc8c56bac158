/*
 * Eig: general eigenproblems through geev (right eigenvectors only). Real
 * inputs give eigenvalues in conjugate pairs (wr +- i wi) whose vectors geev
 * packs as two real columns (re, im); they are unpacked into complex64.
 * float64 results are rounded to complex64, the output dtype in MLX.
 */
#include <complex.h>
#include <lapacke.h>
#include <string.h>

#include "lapack_util.h"

#include "core/allocator.h"
#include "core/error.h"
#include "primitives/params_lapack.h"

/* One real matrix (float32 or float64, n x n at A, destroyed): writes n
 * complex64 values to w and, when v is set, n x n complex64 vectors. tmp
 * has room for 2 n + n n doubles. */
static lapack_int geev_real(mx_dtype dt, lapack_int n, void *A, float complex *w, float complex *v,
                            double *tmp) {
    char jobvr = v ? 'V' : 'N';
    lapack_int ldvr = v ? n : 1, info;
    double *wr = tmp, *wi = tmp + n, *vr = tmp + 2 * n;
    if (dt == MX_FLOAT64) {
        info = LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', jobvr, n, A, n, wr, wi, NULL, 1, vr, ldvr);
    } else {
        /* Same storage used as float: values and vectors are read below
         * through float pointers. */
        float *fwr = (float *)tmp, *fwi = fwr + n, *fvr = fwr + 2 * n;
        info = LAPACKE_sgeev(LAPACK_ROW_MAJOR, 'N', jobvr, n, A, n, fwr, fwi, NULL, 1, fvr, ldvr);
    }
    if (info) return info;
    for (lapack_int j = 0; j < n; j++) {
        double re = dt == MX_FLOAT64 ? wr[j] : ((float *)tmp)[j];
        double im = dt == MX_FLOAT64 ? wi[j] : ((float *)tmp)[n + j];
        w[j] = (float)re + I * (float)im;
    }
    if (!v) return 0;
    for (lapack_int j = 0; j < n; j++) {
        double im = dt == MX_FLOAT64 ? wi[j] : ((float *)tmp)[n + j];
        bool pair = im != 0 && j + 1 < n;
        for (lapack_int i = 0; i < n; i++) {
            double x, y = 0;
            if (dt == MX_FLOAT64) {
                x = vr[i * n + j];
                if (pair) y = vr[i * n + j + 1];
            } else {
                float *fvr = (float *)tmp + 2 * n;
                x = fvr[i * n + j];
                if (pair) y = fvr[i * n + j + 1];
            }
            v[i * n + j] = (float)x + I * (float)y;
            if (pair) v[i * n + j + 1] = (float)x - I * (float)y;
        }
        if (pair) j++;
    }
    return 0;
}

int mxi_cpu_eig(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_eig_params *p = node->params;
    mx_array *a = inputs[0], *w = outputs[0], *v = p->vectors ? outputs[1] : NULL;
    lapack_int n = a->shape[a->ndim - 1];
    int rc = mxi_alloc_data(w);
    if (!rc && v) rc = mxi_alloc_data(v);
    if (rc || a->size == 0) return rc;
    void *buf;
    size_t bytes;
    rc = mxi_lapack_gather(&buf, &bytes, a);
    if (rc) return rc;
    size_t tmp_bytes = sizeof(double) * (size_t)(2 * n + n * n);
    double *tmp = a->dtype == MX_COMPLEX64 ? NULL : mxi_alloc(tmp_bytes);
    if (a->dtype != MX_COMPLEX64 && !tmp) {
        mxi_free(buf, bytes);
        return MX_ERR_MEMORY;
    }
    int64_t isz = mx_dtype_size(a->dtype), batch = mxi_lapack_batch(a);
    for (int64_t b = 0; b < batch; b++) {
        char *A = (char *)buf + b * n * n * isz;
        float complex *W = (float complex *)mxi_data(w) + b * n;
        float complex *V = v ? (float complex *)mxi_data(v) + b * n * n : NULL;
        lapack_int info;
        if (a->dtype == MX_COMPLEX64)
            info = LAPACKE_cgeev(LAPACK_ROW_MAJOR, 'N', V ? 'V' : 'N', n, (void *)A, n, W, NULL, 1,
                                 V, V ? n : 1);
        else
            info = geev_real(a->dtype, n, A, W, V, tmp);
        if (info) {
            rc = info > 0 ? mxi_error(MX_ERR_RUNTIME,
                                      "[linalg::eig] the eigensolver did not converge (error "
                                      "code %d)",
                                      (int)info)
                          : mxi_lapack_error("linalg::eig", "eigendecomposition", info);
            break;
        }
    }
    if (tmp) mxi_free(tmp, tmp_bytes);
    mxi_free(buf, bytes);
    return rc;
}
