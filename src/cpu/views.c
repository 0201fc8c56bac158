/*
 * Kernels of the view primitives: the output shares the input's buffer with
 * new strides and offset. Copies happen only where no strides can express
 * the result: a reshape of an array whose memory order does not allow it,
 * AsStrided of an input that is not row-contiguous, View to a larger dtype
 * of an array that is not row-contiguous (or not aligned for it), and
 * Contiguous of an array that is not already contiguous.
 */
#include <stdlib.h>

#include "copy.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "primitives/params.h"
#include "primitives/params_shape.h"

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

/* A new row-contiguous copy of `in` with out's layout (same element count
 * and dtype as `in`). */
static int copy_out(mx_array *out, const mx_array *in) {
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || in->size == 0) return rc;
    return mxi_copy_to_contiguous(mxi_data(out), in->dtype, mxi_data(in), in->dtype, in->shape,
                                  in->strides, in->ndim);
}

int mxi_cpu_as_strided(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_as_strided_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int64_t isz = mx_dtype_size(in->dtype);
    int64_t span = span_of(out->shape, p->strides, p->ndim);
    int64_t offset = out->size ? p->offset * isz : 0;
    if (in->size == 0 || (in->flags & MXI_ROW_CONTIGUOUS)) {
        mxi_set_view(out, in, p->strides, offset, span);
        return MX_OK;
    }
    /* The strides address the input in row-major order: make it so. */
    mxi_buffer *buf = mxi_buffer_new((size_t)(in->size * isz));
    if (!buf) return MX_ERR_MEMORY;
    int rc = mxi_copy_to_contiguous(buf->ptr, in->dtype, mxi_data(in), in->dtype, in->shape,
                                    in->strides, in->ndim);
    if (rc == MX_OK) mxi_set_data(out, buf, offset, p->strides, span);
    mxi_buffer_release(buf);
    return rc;
}

int mxi_cpu_view(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mx_array *in = inputs[0], *out = outputs[0];
    int64_t ib = mx_dtype_size(in->dtype), ob = mx_dtype_size(out->dtype);
    int nd = in->ndim;
    int64_t strides[64];
    if (in->size == 0) {
        mxi_row_strides(strides, out->shape, nd);
        mxi_set_view(out, in, strides, 0, 0);
        return MX_OK;
    }
    if (ib == ob) {
        mxi_set_view(out, in, in->strides, 0, in->data_size);
        return MX_OK;
    }
    /* Narrower items: the last axis splits in place when it is unit-strided
     * (every other stride scales to the new item size). Wider items need
     * whole rows in order and an offset aligned for the new item. */
    bool split = ob < ib && in->strides[nd - 1] == 1;
    bool join = (in->flags & MXI_ROW_CONTIGUOUS) && in->offset % ob == 0;
    if (split || join) {
        if (join) {
            mxi_row_strides(strides, out->shape, nd);
        } else {
            for (int i = 0; i < nd - 1; i++) strides[i] = in->strides[i] * ib / ob;
            strides[nd - 1] = 1;
        }
        mxi_set_view(out, in, strides, 0, in->data_size * ib / ob);
        return MX_OK;
    }
    mxi_buffer *buf = mxi_buffer_new((size_t)(in->size * ib));
    if (!buf) return MX_ERR_MEMORY;
    int rc = mxi_copy_to_contiguous(buf->ptr, in->dtype, mxi_data(in), in->dtype, in->shape,
                                    in->strides, nd);
    mxi_row_strides(strides, out->shape, nd);
    if (rc == MX_OK) mxi_set_data(out, buf, 0, strides, out->size);
    mxi_buffer_release(buf);
    return rc;
}

/* Contiguous keeps the input's memory when it is already in order and does
 * not pin a much larger buffer (as MLX: at most 16 KiB more than needed). */
int mxi_cpu_contiguous(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_contiguous_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    size_t nbytes = (size_t)out->size * (size_t)mx_dtype_size(out->dtype);
    bool ordered = (in->flags & MXI_ROW_CONTIGUOUS) ||
                   (p->allow_col_major && (in->flags & MXI_COL_CONTIGUOUS));
    if (ordered && in->buffer->nbytes <= nbytes + 16384) {
        mxi_set_view(out, in, in->strides, 0, in->data_size);
        return MX_OK;
    }
    return copy_out(out, in);
}

/* DynamicSlice: a view whose offset comes from the start indices, read now.
 * A negative start counts from the end; starts are then clamped so the
 * slice lies inside the array. */
int mxi_cpu_dynamic_slice(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_dynamic_slice_params *p = node->params;
    mx_array *in = inputs[0], *start = inputs[1], *out = outputs[0];
    int64_t offset = 0;
    if (out->size) {
        const char *sp = mxi_data(start);
        int64_t sstride = start->ndim ? start->strides[0] : 0;
        int ssz = mx_dtype_size(start->dtype);
        for (int i = 0; i < p->naxes; i++) {
            int ax = p->axes[i];
            int64_t v;
            mxi_convert_element(&v, MX_INT64, sp + i * sstride * ssz, start->dtype);
            int64_t dim = in->shape[ax], hi = dim - out->shape[ax];
            if (v < 0) v += dim;
            v = v < 0 ? 0 : v > hi ? hi : v;
            offset += v * in->strides[ax];
        }
    }
    mxi_set_view(out, in, in->strides, offset * mx_dtype_size(in->dtype),
                 span_of(out->shape, in->strides, in->ndim));
    return MX_OK;
}

int mxi_cpu_diagonal(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_diagonal_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    int64_t strides[64];
    int k = 0;
    for (int d = 0; d < in->ndim; d++)
        if (d != p->axis1 && d != p->axis2) strides[k++] = in->strides[d];
    int64_t s1 = in->strides[p->axis1], s2 = in->strides[p->axis2];
    strides[k] = s1 + s2;
    int64_t offset = 0;
    if (out->size) offset = (p->offset < 0 ? -(int64_t)p->offset * s1 : (int64_t)p->offset * s2);
    mxi_set_view(out, in, strides, offset * mx_dtype_size(in->dtype),
                 span_of(out->shape, strides, out->ndim));
    return MX_OK;
}

/* Depends: output i is input i; the inputs after them are only waited for. */
int mxi_cpu_depends(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    for (int i = 0; i < node->n_outputs; i++)
        mxi_set_view(outputs[i], inputs[i], inputs[i]->strides, 0, inputs[i]->data_size);
    return MX_OK;
}

int mxi_cpu_stop_gradient(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mxi_set_view(outputs[0], inputs[0], inputs[0]->strides, 0, inputs[0]->data_size);
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
