/*
 * Kernels of the view primitives: the output shares the input's buffer with
 * new strides and offset, except a reshape whose strides cannot express the
 * new shape, which copies.
 */
#include <stdlib.h>

#include "copy.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "primitives/params.h"

/* Elements spanned by a strided layout: 1 + sum |stride| * (dim - 1). */
static int64_t span_of(const int32_t *shape, const int64_t *strides, int ndim) {
    int64_t span = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0) return 0;
        span += (strides[i] < 0 ? -strides[i] : strides[i]) * (shape[i] - 1);
    }
    return span;
}

/*
 * Strides for viewing `in` with shape `shape` without copying, when its
 * memory order allows (NumPy's rule: each group of input axes that merges or
 * splits into output axes must be contiguous within itself). Returns false
 * when a copy is needed.
 */
static bool reshape_strides(const mx_array *in, const int32_t *shape, int ndim, int64_t *strides) {
    /* Drop size-1 input axes: they constrain nothing. */
    int32_t idims[64];
    int64_t istr[64];
    int ni = 0;
    for (int i = 0; i < in->ndim; i++)
        if (in->shape[i] != 1) idims[ni] = in->shape[i], istr[ni++] = in->strides[i];
    int oi = 0, ii = 0;
    while (oi < ndim && ii < ni) {
        int oj = oi + 1, ij = ii + 1;
        int64_t op = shape[oi], ip = idims[ii];
        while (op != ip) {
            if (op < ip)
                op *= shape[oj++];
            else
                ip *= idims[ij++];
        }
        for (int k = ii; k < ij - 1; k++)
            if (istr[k] != istr[k + 1] * idims[k + 1]) return false;
        strides[oj - 1] = istr[ij - 1];
        for (int k = oj - 1; k > oi; k--) strides[k - 1] = strides[k] * shape[k];
        oi = oj, ii = ij;
    }
    /* Remaining output axes are size 1 (or the array is empty). */
    for (; oi < ndim; oi++) strides[oi] = 1;
    return true;
}

int mxi_cpu_reshape(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mx_array *in = inputs[0], *out = outputs[0];
    int64_t strides_local[64];
    if (in->size == 0 || (in->flags & MXI_ROW_CONTIGUOUS)) {
        mxi_row_strides(strides_local, out->shape, out->ndim);
        mxi_set_view(out, in, strides_local, 0, in->data_size);
        return MX_OK;
    }
    if (reshape_strides(in, out->shape, out->ndim, strides_local)) {
        mxi_set_view(out, in, strides_local, 0, in->data_size);
        return MX_OK;
    }
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    mxi_copy_to_contiguous(mxi_data(out), out->dtype, mxi_data(in), in->dtype, in->shape,
                           in->strides, in->ndim);
    return MX_OK;
}

int mxi_cpu_transpose(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_transpose_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int64_t strides[64];
    for (int i = 0; i < p->ndim; i++) strides[i] = in->strides[p->perm[i]];
    mxi_set_view(out, in, strides, 0, in->data_size);
    return MX_OK;
}

int mxi_cpu_broadcast(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mx_array *in = inputs[0], *out = outputs[0];
    int64_t strides[64];
    int lead = out->ndim - in->ndim;
    for (int i = 0; i < out->ndim; i++) {
        int j = i - lead;
        strides[i] = (j < 0 || in->shape[j] == 1) ? 0 : in->strides[j];
    }
    mxi_set_view(out, in, strides, 0, in->data_size);
    return MX_OK;
}

int mxi_cpu_slice(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_slice_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int nd = p->ndim;
    int64_t strides[64];
    int64_t offset = 0;
    for (int i = 0; i < nd; i++) {
        offset += p->start_step[i] * in->strides[i];
        strides[i] = in->strides[i] * p->start_step[nd + i];
    }
    if (out->size == 0) offset = 0;
    int64_t itemsize = mx_dtype_size(in->dtype);
    mxi_set_view(out, in, strides, offset * itemsize, span_of(out->shape, strides, nd));
    return MX_OK;
}

int mxi_cpu_arange(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)inputs;
    const mxi_arange_params *p = node->params;
    mx_array *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    int64_t n = out->size;
    if (n == 0) return MX_OK;
    /* start + i * step in double, then one conversion per element: the
     * values do not drift with the length (see docs/differences.md). */
    double *tmp = malloc((size_t)n * sizeof(double));
    if (!tmp) return mxi_error(MX_ERR_MEMORY, "[arange] out of memory");
    for (int64_t i = 0; i < n; i++) tmp[i] = p->start + (double)i * p->step;
    int32_t len = (int32_t)n;
    int64_t one = 1;
    mxi_copy_to_contiguous(mxi_data(out), out->dtype, tmp, MX_FLOAT64, &len, &one, 1);
    free(tmp);
    return MX_OK;
}
