/* Eigenvalue problems: eig/eigvals (general, Eig) and eigh/eigvalsh
 * (symmetric or Hermitian, Eigh). */
#include <string.h>

#include "linalg_util.h"
#include "primitives/params_lapack.h"

static int eig(mx_array **w, mx_array **v, const mx_array *a, const char *op, const mx_stream *s) {
    mx_stream st;
    int rc = mxi_linalg_validate(&st, w, a, s, op, true, "Only defined for square matrices.");
    if (rc) return rc;
    if (v && v == w) return mxi_error(MX_ERR_VALUE, "[%s] two distinct outputs needed", op);
    int nd = a->ndim;
    mxi_eig_params p = {v != NULL};
    mx_array *in[1] = {(mx_array *)a};
    if (!v)
        return mxi_make(w, MX_COMPLEX64, a->shape, nd - 1, MXI_PRIM_EIG, &p, sizeof p, in, 1, &st);
    mx_array *outs[2] = {NULL, NULL};
    mx_dtype dts[2] = {MX_COMPLEX64, MX_COMPLEX64};
    const int32_t *shapes[2] = {a->shape, a->shape};
    int ndims[2] = {nd - 1, nd};
    rc = mxi_make_node(outs, 2, dts, shapes, ndims, MXI_PRIM_EIG, &p, sizeof p, in, 1, &st);
    if (rc) return rc;
    mxi_set_out(w, outs[0]);
    mxi_set_out(v, outs[1]);
    return MX_OK;
}

int mx_linalg_eigvals(mx_array **out, const mx_array *a, const mx_stream *s) {
    return eig(out, NULL, a, "linalg::eigvals", s);
}

int mx_linalg_eig(mx_array **w, mx_array **v, const mx_array *a, const mx_stream *s) {
    if (!v) return mxi_error(MX_ERR_VALUE, "[linalg::eig] the output pointer is NULL");
    return eig(w, v, a, "linalg::eig", s);
}

static int eigh(mx_array **w, mx_array **v, const mx_array *a, const char *uplo, const char *op,
                const mx_stream *s) {
    mx_stream st;
    int rc = mxi_linalg_validate(&st, w, a, s, op, true, "Only defined for square matrices.");
    if (rc) return rc;
    if (v && v == w) return mxi_error(MX_ERR_VALUE, "[%s] two distinct outputs needed", op);
    /* MLX passes any other string through to LAPACK; NumPy rejects it. */
    if (uplo && strcmp(uplo, "L") != 0 && strcmp(uplo, "U") != 0)
        return mxi_error(MX_ERR_VALUE, "[%s] UPLO must be 'L' or 'U', got '%s'.", op, uplo);
    int nd = a->ndim;
    mxi_eigh_params p = {uplo && uplo[0] == 'U', v != NULL};
    mx_dtype wdt = a->dtype == MX_COMPLEX64 ? MX_FLOAT32 : a->dtype;
    mx_array *in[1] = {(mx_array *)a};
    if (!v) return mxi_make(w, wdt, a->shape, nd - 1, MXI_PRIM_EIGH, &p, sizeof p, in, 1, &st);
    mx_array *outs[2] = {NULL, NULL};
    mx_dtype dts[2] = {wdt, a->dtype};
    const int32_t *shapes[2] = {a->shape, a->shape};
    int ndims[2] = {nd - 1, nd};
    rc = mxi_make_node(outs, 2, dts, shapes, ndims, MXI_PRIM_EIGH, &p, sizeof p, in, 1, &st);
    if (rc) return rc;
    mxi_set_out(w, outs[0]);
    mxi_set_out(v, outs[1]);
    return MX_OK;
}

int mx_linalg_eigvalsh(mx_array **out, const mx_array *a, const char *uplo, const mx_stream *s) {
    return eigh(out, NULL, a, uplo, "linalg::eigvalsh", s);
}

int mx_linalg_eigh(mx_array **w, mx_array **v, const mx_array *a, const char *uplo,
                   const mx_stream *s) {
    if (!v) return mxi_error(MX_ERR_VALUE, "[linalg::eigh] the output pointer is NULL");
    return eigh(w, v, a, uplo, "linalg::eigh", s);
}
