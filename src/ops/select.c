/* where(cond, x, y): a Select node over the three operands broadcast
 * together, cond cast to bool, x and y to their promoted dtype. */
#include "binary_common.h"

int mx_where(mx_array **out, const mx_array *cond, const mx_array *x, const mx_array *y,
             const mx_stream *s) {
    const mx_array *ins[3] = {cond, x, y};
    int rc = mxi_check_inputs("where", out, ins, 3);
    if (rc) return rc;
    for (int i = 0; i < 3; i++)
        if (ins[i]->ndim > MXI_MAX_NDIM)
            return mxi_error(MX_ERR_VALUE, "[where] more than %d dimensions", MXI_MAX_NDIM);
    int32_t cx[MXI_MAX_NDIM], shape[MXI_MAX_NDIM];
    int ncx, ndim;
    rc = mxi_broadcast_shapes("where", cx, &ncx, cond->shape, cond->ndim, x->shape, x->ndim);
    if (!rc) rc = mxi_broadcast_shapes("where", shape, &ndim, cx, ncx, y->shape, y->ndim);
    if (rc) {
        char s0[MXI_SHAPE_STR_LEN], s1[MXI_SHAPE_STR_LEN], s2[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE, "[where] shapes %s, %s and %s cannot be broadcast",
                         mxi_shape_str(s0, sizeof s0, cond->shape, cond->ndim),
                         mxi_shape_str(s1, sizeof s1, x->shape, x->ndim),
                         mxi_shape_str(s2, sizeof s2, y->shape, y->ndim));
    }
    mx_dtype dtype = mx_promote_types(x->dtype, y->dtype);
    mx_dtype dtypes[3] = {MX_BOOL, dtype, dtype};
    mx_array *cast[3] = {NULL, NULL, NULL}, *bc[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3 && !rc; i++) {
        rc = mxi_astype_if(&cast[i], ins[i], dtypes[i], s);
        if (!rc) rc = mxi_broadcast_if(&bc[i], cast[i], shape, ndim, s);
    }
    if (!rc) rc = mxi_make(out, dtype, shape, ndim, MXI_PRIM_SELECT, NULL, 0, bc, 3, s);
    for (int i = 0; i < 3; i++) {
        mx_array_free(cast[i]);
        mx_array_free(bc[i]);
    }
    return rc;
}
