/* Sorting and selection: sort, argsort, partition, argpartition, topk,
 * searchsorted. The flattened forms reshape to 1-D first, as MLX does. */
#include <string.h>

#include "ops_util.h"
#include "primitives/params_sort.h"

static int flatten(mx_array **out, const mx_array *a, const mx_stream *s) {
    int32_t minus_one = -1;
    return mx_reshape(out, a, &minus_one, 1, s);
}

/* Sort-like ops along one axis: kind is SORT, ARGSORT, PARTITION or
 * ARGPARTITION; kth is used by the partitions. */
static int sort_axis(mx_array **out, const mx_array *a, int axis, int kth, mxi_prim_kind kind,
                     const char *op, const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    if (a->ndim > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    int ax = axis;
    if (ax < -a->ndim || ax >= a->ndim)
        return mxi_error(MX_ERR_INDEX,
                         "[%s] axis %d is out of bounds for an array with %d dimensions", op, axis,
                         a->ndim);
    if (ax < 0) ax += a->ndim;
    bool arg = kind == MXI_PRIM_ARGSORT || kind == MXI_PRIM_ARGPARTITION;
    mx_dtype dtype = arg ? MX_UINT32 : a->dtype;
    mx_array *in = (mx_array *)a;
    if (kind == MXI_PRIM_SORT || kind == MXI_PRIM_ARGSORT) {
        mxi_sort_params p = {ax};
        return mxi_make(out, dtype, a->shape, a->ndim, kind, &p, sizeof p, &in, 1, s);
    }
    int32_t n = a->shape[ax];
    if (kth < -n || kth >= n) {
        char sa[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[%s] invalid kth %d along axis %d for an array with shape %s", op, kth,
                         axis, mxi_shape_str(sa, sizeof sa, a->shape, a->ndim));
    }
    mxi_partition_params p = {kth < 0 ? kth + n : kth, ax};
    return mxi_make(out, dtype, a->shape, a->ndim, kind, &p, sizeof p, &in, 1, s);
}

/* The same on the flattened array. */
static int sort_flat(mx_array **out, const mx_array *a, int kth, mxi_prim_kind kind, const char *op,
                     const mx_stream *s) {
    int rc = mxi_check_inputs(op, out, &a, 1);
    if (rc) return rc;
    mx_array *flat = NULL;
    rc = flatten(&flat, a, s);
    if (!rc) rc = sort_axis(out, flat, 0, kth, kind, op, s);
    mx_array_free(flat);
    return rc;
}

int mx_sort(mx_array **out, const mx_array *a, const mx_stream *s) {
    return sort_flat(out, a, 0, MXI_PRIM_SORT, "sort", s);
}

int mx_sort_axis(mx_array **out, const mx_array *a, int axis, const mx_stream *s) {
    return sort_axis(out, a, axis, 0, MXI_PRIM_SORT, "sort", s);
}

int mx_argsort(mx_array **out, const mx_array *a, const mx_stream *s) {
    return sort_flat(out, a, 0, MXI_PRIM_ARGSORT, "argsort", s);
}

int mx_argsort_axis(mx_array **out, const mx_array *a, int axis, const mx_stream *s) {
    return sort_axis(out, a, axis, 0, MXI_PRIM_ARGSORT, "argsort", s);
}

int mx_partition(mx_array **out, const mx_array *a, int kth, const mx_stream *s) {
    return sort_flat(out, a, kth, MXI_PRIM_PARTITION, "partition", s);
}

int mx_partition_axis(mx_array **out, const mx_array *a, int kth, int axis, const mx_stream *s) {
    return sort_axis(out, a, axis, kth, MXI_PRIM_PARTITION, "partition", s);
}

int mx_argpartition(mx_array **out, const mx_array *a, int kth, const mx_stream *s) {
    return sort_flat(out, a, kth, MXI_PRIM_ARGPARTITION, "argpartition", s);
}

int mx_argpartition_axis(mx_array **out, const mx_array *a, int kth, int axis, const mx_stream *s) {
    return sort_axis(out, a, axis, kth, MXI_PRIM_ARGPARTITION, "argpartition", s);
}

/* topk: the last k elements of a partition at n - k (MLX's construction). */
int mx_topk_axis(mx_array **out, const mx_array *a, int k, int axis, const mx_stream *s) {
    int rc = mxi_check_inputs("topk", out, &a, 1);
    if (rc) return rc;
    if (a->ndim > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[topk] too many dimensions");
    int ax = axis;
    rc = mxi_normalize_axis("topk", &ax, a->ndim);
    if (rc) return rc;
    int32_t n = a->shape[ax];
    if (k < 0 || k > n) {
        char sa[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[topk] invalid k=%d along axis %d for an array with shape %s", k, axis,
                         mxi_shape_str(sa, sizeof sa, a->shape, a->ndim));
    }
    int32_t start[MXI_MAX_NDIM], stop[MXI_MAX_NDIM];
    for (int i = 0; i < a->ndim; i++) start[i] = 0, stop[i] = a->shape[i];
    start[ax] = n - k;
    if (k == 0) return mx_slice(out, a, start, stop, NULL, a->ndim, s);
    mx_array *part = NULL;
    rc = sort_axis(&part, a, ax, n - k, MXI_PRIM_PARTITION, "topk", s);
    if (!rc) rc = mx_slice(out, part, start, stop, NULL, a->ndim, s);
    mx_array_free(part);
    return rc;
}

int mx_topk(mx_array **out, const mx_array *a, int k, const mx_stream *s) {
    int rc = mxi_check_inputs("topk", out, &a, 1);
    if (rc) return rc;
    mx_array *flat = NULL;
    rc = flatten(&flat, a, s);
    if (!rc) rc = mx_topk_axis(out, flat, k, 0, s);
    mx_array_free(flat);
    return rc;
}

int mx_searchsorted(mx_array **out, const mx_array *sorted_sequence, const mx_array *values,
                    const char *side, const mx_stream *s) {
    const mx_array *ins[2] = {sorted_sequence, values};
    int rc = mxi_check_inputs("searchsorted", out, ins, 2);
    if (rc) return rc;
    if (sorted_sequence->ndim != 1)
        return mxi_error(MX_ERR_VALUE,
                         "[searchsorted] the sorted sequence must be 1-D but has %d dimensions",
                         sorted_sequence->ndim);
    int right;
    if (!side || strcmp(side, "left") == 0)
        right = 0;
    else if (strcmp(side, "right") == 0)
        right = 1;
    else
        return mxi_error(MX_ERR_VALUE,
                         "[searchsorted] invalid side '%s': expected 'left' or 'right'", side);
    if (values->ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[searchsorted] too many dimensions");
    mx_dtype dtype = mx_promote_types(sorted_sequence->dtype, values->dtype);
    mx_array *seq = NULL, *vals = NULL;
    rc = mxi_astype_if(&seq, sorted_sequence, dtype, s);
    if (!rc) rc = mxi_astype_if(&vals, values, dtype, s);
    if (!rc) {
        mxi_searchsorted_params p = {right};
        mx_array *inputs[2] = {seq, vals};
        rc = mxi_make(out, MX_UINT32, values->shape, values->ndim, MXI_PRIM_SEARCHSORTED, &p,
                      sizeof p, inputs, 2, s);
    }
    mx_array_free(seq);
    mx_array_free(vals);
    return rc;
}
