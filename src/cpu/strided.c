#include "strided.h"

#include "core/error.h"

int mxi_strided_init64(mxi_strided *it, const int64_t *shape, int ndim,
                       const int64_t *const *strides, int nops, const char *op) {
    it->nops = nops;
    it->ndim = 0;
    it->size = 1;
    for (int d = 0; d < ndim; d++) it->size *= shape[d];
    if (it->size == 0) {
        /* Nothing to visit: one empty axis keeps loops simple. */
        it->ndim = 1;
        it->shape[0] = 0;
        for (int k = 0; k < nops; k++) it->strides[k][0] = 0;
        return MX_OK;
    }
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1) continue;
        int last = it->ndim - 1;
        bool merge = last >= 0;
        for (int k = 0; k < nops && merge; k++)
            merge = it->strides[k][last] == strides[k][d] * shape[d];
        if (merge) {
            it->shape[last] *= shape[d];
            for (int k = 0; k < nops; k++) it->strides[k][last] = strides[k][d];
            continue;
        }
        if (it->ndim == MXI_STRIDED_MAX_DIMS)
            return mxi_error(MX_ERR_VALUE,
                             "[%s] arrays whose layout needs more than %d dimensions are not "
                             "supported",
                             op, MXI_STRIDED_MAX_DIMS);
        it->shape[it->ndim] = shape[d];
        for (int k = 0; k < nops; k++) it->strides[k][it->ndim] = strides[k][d];
        it->ndim++;
    }
    if (it->ndim == 0) {
        it->ndim = 1;
        it->shape[0] = 1;
        for (int k = 0; k < nops; k++) it->strides[k][0] = 0;
    }
    return MX_OK;
}

int mxi_strided_init(mxi_strided *it, const int32_t *shape, int ndim,
                     const int64_t *const *strides, int nops, const char *op) {
    /* Size-1 axes are dropped before collapsing, so only the others need
     * widening; doing it in chunks keeps any ndim on a small stack. */
    int64_t shape64[MXI_STRIDED_MAX_DIMS];
    const int64_t *sub[MXI_STRIDED_MAX_OPS];
    int64_t stride_buf[MXI_STRIDED_MAX_OPS][MXI_STRIDED_MAX_DIMS];
    for (int k = 0; k < nops; k++) sub[k] = stride_buf[k];
    int n = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 0) {
            int64_t zero = 0;
            const int64_t *zs[MXI_STRIDED_MAX_OPS] = {&zero, &zero, &zero};
            return mxi_strided_init64(it, &zero, 1, zs, nops, op);
        }
        if (shape[d] == 1) continue;
        if (n == MXI_STRIDED_MAX_DIMS)
            return mxi_error(MX_ERR_VALUE,
                             "[%s] arrays with more than %d dimensions longer than 1 are not "
                             "supported",
                             op, MXI_STRIDED_MAX_DIMS);
        shape64[n] = shape[d];
        for (int k = 0; k < nops; k++) stride_buf[k][n] = strides[k][d];
        n++;
    }
    return mxi_strided_init64(it, shape64, n, sub, nops, op);
}

void mxi_strided_seek(const mxi_strided *it, mxi_strided_pos *p, int64_t flat) {
    for (int k = 0; k < it->nops; k++) p->off[k] = 0;
    if (flat >= it->size) {
        /* The end position: one past the last row, as advance leaves it. */
        for (int d = 1; d < it->ndim; d++) p->idx[d] = 0;
        p->idx[0] = it->shape[0];
        for (int k = 0; k < it->nops; k++) p->off[k] = it->shape[0] * it->strides[k][0];
        return;
    }
    for (int d = it->ndim - 1; d >= 0; d--) {
        int64_t i = flat % it->shape[d];
        flat /= it->shape[d];
        p->idx[d] = i;
        for (int k = 0; k < it->nops; k++) p->off[k] += i * it->strides[k][d];
    }
}
