/*
 * The kept / reduced split of a reduction's index space, for the kernels
 * that walk each output's elements themselves (median, complex softmax and
 * logsumexp): kept axes in row-major order (output position o is flat
 * position o of `kept`), reduced axes ordered by decreasing stride of the
 * first operand so the walk over them is as local as the layout allows.
 * One or two operands (an input, and an output laid out like the input).
 */
#ifndef MXI_CPU_REDUCE_SPLIT_H
#define MXI_CPU_REDUCE_SPLIT_H

#include <stdbool.h>

#include "core/error.h"
#include "strided.h"

typedef struct mxi_reduce_split {
    mxi_strided kept, red;
    int64_t n_out, n_red;
} mxi_reduce_split;

/* axes are sorted and distinct; strides[k] (nops of them, 1 or 2) give
 * each operand's strides over shape. Returns MX_OK or a recorded error. */
static inline int mxi_reduce_split_init(mxi_reduce_split *sp, const int32_t *shape,
                                        const int64_t *const *strides, int nops, int ndim,
                                        const int32_t *axes, int naxes, const char *op) {
    int64_t ks[MXI_STRIDED_MAX_DIMS], kst[2][MXI_STRIDED_MAX_DIMS];
    int64_t rs[MXI_STRIDED_MAX_DIMS], rst[2][MXI_STRIDED_MAX_DIMS];
    int nk = 0, nr = 0;
    sp->n_out = 1;
    sp->n_red = 1;
    for (int d = 0, ai = 0; d < ndim; d++) {
        bool reduced = ai < naxes && axes[ai] == d;
        if (reduced) ai++;
        if (reduced)
            sp->n_red *= shape[d];
        else
            sp->n_out *= shape[d];
        if (shape[d] <= 1) continue;
        if ((reduced ? nr : nk) == MXI_STRIDED_MAX_DIMS)
            return mxi_error(MX_ERR_VALUE, "[%s] more than %d axes longer than 1", op,
                             MXI_STRIDED_MAX_DIMS);
        if (reduced) {
            /* insertion by decreasing |stride| of operand 0 */
            int64_t ast = strides[0][d] < 0 ? -strides[0][d] : strides[0][d];
            int k = nr++;
            while (k > 0 && (rst[0][k - 1] < 0 ? -rst[0][k - 1] : rst[0][k - 1]) < ast) {
                rs[k] = rs[k - 1];
                for (int o = 0; o < nops; o++) rst[o][k] = rst[o][k - 1];
                k--;
            }
            rs[k] = shape[d];
            for (int o = 0; o < nops; o++) rst[o][k] = strides[o][d];
        } else {
            ks[nk] = shape[d];
            for (int o = 0; o < nops; o++) kst[o][nk] = strides[o][d];
            nk++;
        }
    }
    const int64_t *k1[2] = {kst[0], kst[1]}, *r1[2] = {rst[0], rst[1]};
    int rc = mxi_strided_init64(&sp->kept, ks, nk, k1, nops, op);
    if (rc == MX_OK) rc = mxi_strided_init64(&sp->red, rs, nr, r1, nops, op);
    return rc;
}

/* Runs BODY for each reduced element of the output at kept position kp
 * (an mxi_strided_pos of sp->kept), with OFF0 (and OFF1 when the split has
 * two operands) the element's offsets in elements. */
#define MXI_REDUCE_SPLIT_FOREACH(sp, kp, OFF0, OFF1, BODY)                                         \
    do {                                                                                           \
        mxi_strided_pos q_;                                                                        \
        mxi_strided_seek(&(sp)->red, &q_, 0);                                                      \
        int dl_ = (sp)->red.ndim - 1;                                                              \
        int64_t st0_ = (sp)->red.strides[0][dl_];                                                  \
        int64_t st1_ = (sp)->red.nops > 1 ? (sp)->red.strides[1][dl_] : 0;                         \
        for (int64_t r_ = 0; r_ < (sp)->n_red;) {                                                  \
            int64_t run_ = mxi_strided_row_left(&(sp)->red, &q_);                                  \
            int64_t b0_ = (kp).off[0] + q_.off[0];                                                 \
            int64_t b1_ = (sp)->red.nops > 1 ? (kp).off[1] + q_.off[1] : 0;                        \
            for (int64_t k_ = 0; k_ < run_; k_++) {                                                \
                int64_t OFF0 = b0_ + k_ * st0_;                                                    \
                int64_t OFF1 = b1_ + k_ * st1_;                                                    \
                (void)OFF1;                                                                        \
                BODY;                                                                              \
            }                                                                                      \
            r_ += run_;                                                                            \
            mxi_strided_advance(&(sp)->red, &q_, run_);                                            \
        }                                                                                          \
    } while (0)

#endif
