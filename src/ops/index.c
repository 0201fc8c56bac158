/*
 * Indexing ops: take, take_along_axis, put_along_axis, scatter_add_axis,
 * gather, scatter (and its reductions), slice_update (static, reducing and
 * dynamic) and masked_scatter. The array-level rules follow MLX's ops; what
 * an index value outside its axis does is fixed by the kernels (see
 * include/cmlx/ops_index.h).
 */
#include <string.h>

#include "nodes.h"
#include "ops_util.h"
#include "primitives/params_index.h"

static int check_index_dtype(const char *op, const mx_array *idx) {
    if (idx->dtype == MX_BOOL)
        return mxi_error(MX_ERR_VALUE, "[%s] boolean indices are not supported", op);
    if (!mx_dtype_is_integer(idx->dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[%s] got indices with invalid dtype %s: indices must be integral", op,
                         mx_dtype_name(idx->dtype));
    return MX_OK;
}

static int check_axis(const char *op, int *axis, int ndim) {
    if (*axis < -ndim || *axis >= ndim)
        return mxi_error(MX_ERR_INDEX,
                         "[%s] axis %d is out of bounds for an array with %d dimensions", op, *axis,
                         ndim);
    if (*axis < 0) *axis += ndim;
    return MX_OK;
}

static int flatten(mx_array **out, const mx_array *a, const mx_stream *s) {
    int32_t minus_one = -1;
    return mx_reshape(out, a, &minus_one, 1, s);
}

/* Python's slice.indices for one axis: the first index and the count (the
 * rule of mx_slice). */
static void slice_axis(int32_t dim, int32_t start, int32_t stop, int32_t step, int64_t *first,
                       int32_t *count) {
    int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? dim : dim - 1;
    int64_t b = start < 0 ? (int64_t)start + dim : start;
    int64_t e = stop < 0 ? (int64_t)stop + dim : stop;
    b = b < lo ? lo : b > hi ? hi : b;
    e = e < lo ? lo : e > hi ? hi : e;
    int64_t n = step > 0 ? (e - b + step - 1) / step : (b - e - step - 1) / -step;
    *first = b;
    *count = (int32_t)(n > 0 ? n : 0);
}

/* ---- gather / take ---- */

int mx_gather(mx_array **out, const mx_array *a, const mx_array *const *indices, int nindices,
              const int *axes, int naxes, const int32_t *slice_sizes, int nslice,
              const mx_stream *s) {
    int rc = mxi_check_inputs("gather", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[gather] too many dimensions");
    if (nindices < 0 || (nindices && (!indices || !axes)))
        return mxi_error(MX_ERR_VALUE, "[gather] invalid index arrays");
    if (nindices > nd)
        return mxi_error(MX_ERR_VALUE,
                         "[gather] too many index arrays: got %d for an array with %d dimensions",
                         nindices, nd);
    if (nindices != naxes)
        return mxi_error(MX_ERR_VALUE,
                         "[gather] the number of index arrays (%d) does not match the number of "
                         "axes (%d)",
                         nindices, naxes);
    rc = mxi_check_inputs("gather", out, (const mx_array *const *)indices, nindices);
    if (rc) return rc;
    struct {
        mxi_gather_params p;
        int32_t data[2 * MXI_MAX_NDIM];
    } params;
    params.p.naxes = naxes;
    params.p.ndim = nd;
    bool seen[MXI_MAX_NDIM] = {0};
    for (int i = 0; i < naxes; i++) {
        int ax = axes[i];
        if (ax < -nd || ax >= nd)
            return mxi_error(MX_ERR_VALUE,
                             "[gather] axis %d does not match an array with %d dimensions", axes[i],
                             nd);
        if (ax < 0) ax += nd;
        if (seen[ax]) return mxi_error(MX_ERR_VALUE, "[gather] repeated axes are not allowed");
        seen[ax] = true;
        params.data[i] = ax;
        rc = check_index_dtype("gather", indices[i]);
        if (rc) return rc;
    }
    if (nslice != nd || (nd && !slice_sizes))
        return mxi_error(MX_ERR_VALUE,
                         "[gather] got %d slice sizes for an array with %d dimensions", nslice, nd);
    /* The index arrays broadcast together. */
    int32_t ishape[MXI_MAX_NDIM];
    int ind = 0;
    for (int i = 0; i < nindices; i++) {
        if (indices[i]->ndim > MXI_MAX_NDIM)
            return mxi_error(MX_ERR_VALUE, "[gather] too many dimensions");
        int32_t prev[MXI_MAX_NDIM];
        memcpy(prev, ishape, (size_t)ind * sizeof(int32_t));
        rc = mxi_broadcast_shapes("gather", ishape, &ind, prev, ind, indices[i]->shape,
                                  indices[i]->ndim);
        if (rc) return rc;
    }
    int64_t isize = mxi_shape_size(ishape, ind);
    int64_t slice_total = 1;
    for (int i = 0; i < nd; i++) slice_total *= slice_sizes[i] > 0 ? slice_sizes[i] : 0;
    char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
    /* As MLX: an empty input allows only an empty result, whatever the
     * slice sizes; otherwise each slice size must fit its axis. */
    if (a->size == 0 && isize != 0 && slice_total != 0)
        return mxi_error(MX_ERR_VALUE, "[gather] if the input is empty, either the indices must "
                                       "be empty or the total slice size must be 0");
    for (int i = 0; i < nd; i++)
        if (slice_sizes[i] < 0 || (a->size != 0 && slice_sizes[i] > a->shape[i]))
            return mxi_error(MX_ERR_VALUE,
                             "[gather] slice sizes must be in [0, a.shape[i]]: got %s for an "
                             "array with shape %s",
                             mxi_shape_str(sa, sizeof sa, slice_sizes, nd),
                             mxi_shape_str(sb, sizeof sb, a->shape, nd));
    if (ind + nd > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[gather] the result would have more than %d dimensions",
                         MXI_MAX_NDIM);
    for (int i = 0; i < nd; i++) params.data[naxes + i] = slice_sizes[i];
    int32_t oshape[MXI_MAX_NDIM];
    memcpy(oshape, ishape, (size_t)ind * sizeof(int32_t));
    if (nd) memcpy(oshape + ind, slice_sizes, (size_t)nd * sizeof(int32_t));

    mx_array *inputs[MXI_MAX_NDIM + 1] = {(mx_array *)a};
    int made = 0;
    for (; made < nindices && !rc; made++)
        rc = mxi_broadcast_if(&inputs[made + 1], indices[made], ishape, ind, s);
    if (!rc)
        rc = mxi_make(out, a->dtype, oshape, ind + nd, MXI_PRIM_GATHER, &params,
                      sizeof(mxi_gather_params) + (size_t)(naxes + nd) * sizeof(int32_t), inputs,
                      nindices + 1, s);
    for (int i = 1; i <= made; i++) mx_array_free(inputs[i]);
    return rc;
}

int mx_take_axis(mx_array **out, const mx_array *a, const mx_array *indices, int axis,
                 const mx_stream *s) {
    const mx_array *ins[2] = {a, indices};
    int rc = mxi_check_inputs("take", out, ins, 2);
    if (!rc) rc = check_index_dtype("take", indices);
    if (rc) return rc;
    int nd = a->ndim, ax = axis;
    rc = check_axis("take", &ax, nd);
    if (rc) return rc;
    if (a->shape[ax] == 0 && indices->size != 0)
        return mxi_error(MX_ERR_VALUE, "[take] cannot do a non-empty take from an empty axis");
    int ni = indices->ndim;
    if (nd + ni > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[take] the result would have more than %d dimensions",
                         MXI_MAX_NDIM);
    int32_t slice[MXI_MAX_NDIM];
    memcpy(slice, a->shape, (size_t)nd * sizeof(int32_t));
    slice[ax] = 1;
    mx_array *g = NULL, *t = NULL;
    rc = mx_gather(&g, a, &indices, 1, &ax, 1, slice, nd, s);
    /* g is indices' shape then a's shape with 1 on the axis: move the index
     * dimensions to the axis, then drop the 1. */
    if (!rc && ax != 0) {
        int perm[2 * MXI_MAX_NDIM];
        int k = 0;
        for (int i = 0; i < ax; i++) perm[k++] = ni + i;
        for (int i = 0; i < ni; i++) perm[k++] = i;
        for (int i = ni + ax; i < ni + nd; i++) perm[k++] = i;
        rc = mx_transpose(&t, g, perm, k, s);
    } else if (!rc) {
        t = mx_array_retain(g);
    }
    if (!rc) {
        int32_t shape[MXI_MAX_NDIM];
        int k = 0;
        for (int i = 0; i < ax; i++) shape[k++] = a->shape[i];
        for (int i = 0; i < ni; i++) shape[k++] = indices->shape[i];
        for (int i = ax + 1; i < nd; i++) shape[k++] = a->shape[i];
        rc = mx_reshape(out, t, shape, k, s);
    }
    mx_array_free(g);
    mx_array_free(t);
    return rc;
}

int mx_take(mx_array **out, const mx_array *a, const mx_array *indices, const mx_stream *s) {
    const mx_array *ins[2] = {a, indices};
    int rc = mxi_check_inputs("take", out, ins, 2);
    if (rc) return rc;
    mx_array *flat = NULL;
    rc = flatten(&flat, a, s);
    if (!rc) rc = mx_take_axis(out, flat, indices, 0, s);
    mx_array_free(flat);
    return rc;
}

int mx_take_index_axis(mx_array **out, const mx_array *a, int index, int axis, const mx_stream *s) {
    int rc = mxi_check_inputs("take", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim, ax = axis;
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[take] too many dimensions");
    rc = check_axis("take", &ax, nd);
    if (rc) return rc;
    int32_t n = a->shape[ax];
    int64_t i = index < 0 ? (int64_t)index + n : index;
    if (i < 0 || i >= n)
        return mxi_error(MX_ERR_INDEX, "[take] index %d is out of bounds for axis %d with size %d",
                         index, axis, n);
    int32_t start[MXI_MAX_NDIM], stop[MXI_MAX_NDIM], shape[MXI_MAX_NDIM];
    int k = 0;
    for (int d = 0; d < nd; d++) {
        start[d] = d == ax ? (int32_t)i : 0;
        stop[d] = d == ax ? (int32_t)i + 1 : a->shape[d];
        if (d != ax) shape[k++] = a->shape[d];
    }
    mx_array *sl = NULL;
    rc = mx_slice(&sl, a, start, stop, NULL, nd, s);
    if (!rc) rc = mx_reshape(out, sl, shape, k, s);
    mx_array_free(sl);
    return rc;
}

int mx_take_index(mx_array **out, const mx_array *a, int index, const mx_stream *s) {
    int rc = mxi_check_inputs("take", out, &a, 1);
    if (rc) return rc;
    mx_array *flat = NULL;
    rc = flatten(&flat, a, s);
    if (!rc) rc = mx_take_index_axis(out, flat, index, 0, s);
    mx_array_free(flat);
    return rc;
}

/* ---- along an axis ---- */

/* Broadcasts `shapes` (n shapes of ndim dims each) on every axis but `axis`
 * into out (the axis entry is left 0). */
static int broadcast_except(const char *op, int32_t *out, const int32_t *const *shapes, int n,
                            int ndim, int axis) {
    for (int d = 0; d < ndim; d++) {
        out[d] = 0;
        if (d == axis) continue;
        int32_t v = 1;
        for (int i = 0; i < n; i++) {
            int32_t x = shapes[i][d];
            if (x == v || x == 1) continue;
            if (v != 1) {
                char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
                return mxi_error(MX_ERR_VALUE,
                                 "[%s] shapes %s and %s cannot be broadcast (axis %d excluded)", op,
                                 mxi_shape_str(sa, sizeof sa, shapes[0], ndim),
                                 mxi_shape_str(sb, sizeof sb, shapes[i], ndim), axis);
            }
            v = x;
        }
        out[d] = v;
    }
    return MX_OK;
}

int mx_take_along_axis(mx_array **out, const mx_array *a, const mx_array *indices, int axis,
                       const mx_stream *s) {
    const mx_array *ins[2] = {a, indices};
    int rc = mxi_check_inputs("take_along_axis", out, ins, 2);
    if (!rc) rc = check_index_dtype("take_along_axis", indices);
    if (rc) return rc;
    int nd = a->ndim, ax = axis;
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[take_along_axis] too many dimensions");
    rc = check_axis("take_along_axis", &ax, nd);
    if (rc) return rc;
    if (indices->ndim != nd)
        return mxi_error(MX_ERR_VALUE,
                         "[take_along_axis] indices of dimension %d do not match an array of "
                         "dimension %d",
                         indices->ndim, nd);
    const int32_t *shapes[2] = {a->shape, indices->shape};
    int32_t ashape[MXI_MAX_NDIM], ishape[MXI_MAX_NDIM];
    rc = broadcast_except("take_along_axis", ashape, shapes, 2, nd, ax);
    if (rc) return rc;
    memcpy(ishape, ashape, (size_t)nd * sizeof(int32_t));
    ashape[ax] = a->shape[ax];
    ishape[ax] = indices->shape[ax];
    if (a->shape[ax] == 0 && mxi_shape_size(ishape, nd) != 0)
        return mxi_error(MX_ERR_VALUE,
                         "[take_along_axis] cannot do a non-empty take from an empty axis");
    mx_array *ab = NULL, *ib = NULL;
    rc = mxi_broadcast_if(&ab, a, ashape, nd, s);
    if (!rc) rc = mxi_broadcast_if(&ib, indices, ishape, nd, s);
    if (!rc) {
        mxi_gather_axis_params p = {ax};
        mx_array *inputs[2] = {ab, ib};
        rc = mxi_make(out, a->dtype, ishape, nd, MXI_PRIM_GATHER_AXIS, &p, sizeof p, inputs, 2, s);
    }
    mx_array_free(ab);
    mx_array_free(ib);
    return rc;
}

static int scatter_axis(mx_array **out, const mx_array *a, const mx_array *indices,
                        const mx_array *values, int axis, mxi_scatter_reduce reduce, const char *op,
                        const mx_stream *s) {
    const mx_array *ins[3] = {a, indices, values};
    int rc = mxi_check_inputs(op, out, ins, 3);
    if (!rc) rc = check_index_dtype(op, indices);
    if (rc) return rc;
    int nd = a->ndim, ax = axis;
    if (nd > MXI_MAX_NDIM || values->ndim > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    rc = check_axis(op, &ax, nd);
    if (rc) return rc;
    if (indices->ndim != nd)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] indices of dimension %d do not match an array of dimension %d", op,
                         indices->ndim, nd);
    if (a->size == 0) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    /* values: leading axes beyond indices' ndim must be 1 and go. */
    int vnd = values->ndim;
    const int32_t *vshape = values->shape;
    if (vnd > nd) {
        for (int i = 0; i < vnd - nd; i++)
            if (vshape[i] != 1) {
                char sa[MXI_SHAPE_STR_LEN];
                return mxi_error(MX_ERR_VALUE,
                                 "[%s] values of shape %s have more dimensions than the indices",
                                 op, mxi_shape_str(sa, sizeof sa, vshape, vnd));
            }
        vshape += vnd - nd;
        vnd = nd;
    }
    int32_t ushape[MXI_MAX_NDIM], full[MXI_MAX_NDIM];
    int und;
    rc = mxi_broadcast_shapes(op, ushape, &und, indices->shape, nd, vshape, vnd);
    if (rc) return rc;
    /* Then a, indices and values on every axis but the scatter axis. */
    const int32_t *shapes[2] = {a->shape, ushape};
    rc = broadcast_except(op, full, shapes, 2, nd, ax);
    if (rc) return rc;
    int32_t oshape[MXI_MAX_NDIM], uax = ushape[ax];
    memcpy(oshape, full, (size_t)nd * sizeof(int32_t));
    memcpy(ushape, full, (size_t)nd * sizeof(int32_t));
    oshape[ax] = a->shape[ax];
    ushape[ax] = uax;
    mx_array *ab = NULL, *ib = NULL, *vc = NULL, *vr = NULL, *vb = NULL;
    rc = mxi_broadcast_if(&ab, a, oshape, nd, s);
    if (!rc) rc = mxi_broadcast_if(&ib, indices, ushape, nd, s);
    if (!rc) rc = mxi_astype_if(&vc, values, a->dtype, s);
    if (!rc) rc = mx_reshape(&vr, vc, vshape, vnd, s);
    if (!rc) rc = mxi_broadcast_if(&vb, vr, ushape, nd, s);
    if (!rc) {
        mxi_scatter_axis_params p = {reduce, ax};
        mx_array *inputs[3] = {ab, ib, vb};
        rc = mxi_make(out, a->dtype, oshape, nd, MXI_PRIM_SCATTER_AXIS, &p, sizeof p, inputs, 3, s);
    }
    mx_array_free(ab);
    mx_array_free(ib);
    mx_array_free(vc);
    mx_array_free(vr);
    mx_array_free(vb);
    return rc;
}

int mx_put_along_axis(mx_array **out, const mx_array *a, const mx_array *indices,
                      const mx_array *values, int axis, const mx_stream *s) {
    return scatter_axis(out, a, indices, values, axis, MXI_SCATTER_NONE, "put_along_axis", s);
}

int mx_scatter_add_axis(mx_array **out, const mx_array *a, const mx_array *indices,
                        const mx_array *values, int axis, const mx_stream *s) {
    return scatter_axis(out, a, indices, values, axis, MXI_SCATTER_SUM, "scatter_add_axis", s);
}

/* ---- scatter ---- */

static int scatter(mx_array **out, const mx_array *a, const mx_array *const *indices, int nindices,
                   const mx_array *updates, const int *axes, int naxes, mxi_scatter_reduce reduce,
                   const char *op, const mx_stream *s) {
    const mx_array *ins[2] = {a, updates};
    int rc = mxi_check_inputs(op, out, ins, 2);
    if (rc) return rc;
    int nd = a->ndim;
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    if (nindices < 0 || (nindices && (!indices || !axes)))
        return mxi_error(MX_ERR_VALUE, "[%s] invalid index arrays", op);
    if (nindices > nd)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] too many index arrays: got %d for an array with %d dimensions", op,
                         nindices, nd);
    rc = mxi_check_inputs(op, out, (const mx_array *const *)indices, nindices);
    if (rc) return rc;
    if (nindices != naxes)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] the number of index arrays (%d) does not match the number of axes "
                         "(%d)",
                         op, nindices, naxes);
    struct {
        mxi_scatter_params p;
        int32_t axes[MXI_MAX_NDIM];
    } params;
    params.p.reduce = reduce;
    params.p.naxes = naxes;
    bool seen[MXI_MAX_NDIM] = {0};
    for (int i = 0; i < naxes; i++) {
        int ax = axes[i];
        if (ax < -nd || ax >= nd)
            return mxi_error(MX_ERR_VALUE,
                             "[%s] axis %d does not match an array with %d dimensions", op, axes[i],
                             nd);
        if (ax < 0) ax += nd;
        if (seen[ax]) return mxi_error(MX_ERR_VALUE, "[%s] repeated axes are not allowed", op);
        seen[ax] = true;
        params.axes[i] = ax;
        rc = check_index_dtype(op, indices[i]);
        if (rc) return rc;
    }
    int32_t ishape[MXI_MAX_NDIM];
    int ind = 0;
    for (int i = 0; i < nindices; i++) {
        if (indices[i]->ndim > MXI_MAX_NDIM)
            return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
        int32_t prev[MXI_MAX_NDIM];
        memcpy(prev, ishape, (size_t)ind * sizeof(int32_t));
        rc = mxi_broadcast_shapes(op, ishape, &ind, prev, ind, indices[i]->shape, indices[i]->ndim);
        if (rc) return rc;
    }
    char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
    if (updates->ndim != nd + ind)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] updates with %d dimensions do not match the sum of the array (%d) "
                         "and indices (%d) dimensions",
                         op, updates->ndim, nd, ind);
    for (int i = 0; i < ind; i++)
        if (updates->shape[i] != ishape[i])
            return mxi_error(MX_ERR_VALUE,
                             "[%s] update shape %s is not valid for the broadcast index shape %s",
                             op, mxi_shape_str(sa, sizeof sa, updates->shape, updates->ndim),
                             mxi_shape_str(sb, sizeof sb, ishape, ind));
    for (int i = 0; i < nd; i++)
        if (updates->shape[ind + i] > a->shape[i])
            return mxi_error(MX_ERR_VALUE,
                             "[%s] updates with shape %s are too large for an array with shape %s",
                             op, mxi_shape_str(sa, sizeof sa, updates->shape, updates->ndim),
                             mxi_shape_str(sb, sizeof sb, a->shape, nd));
    mx_array *inputs[MXI_MAX_NDIM + 2] = {(mx_array *)a};
    int made = 0;
    for (; made < nindices && !rc; made++)
        rc = mxi_broadcast_if(&inputs[made + 1], indices[made], ishape, ind, s);
    mx_array *upd = NULL;
    if (!rc) rc = mxi_astype_if(&upd, updates, a->dtype, s);
    if (!rc) {
        inputs[nindices + 1] = upd;
        rc = mxi_make(out, a->dtype, a->shape, nd, MXI_PRIM_SCATTER, &params,
                      sizeof(mxi_scatter_params) + (size_t)naxes * sizeof(int32_t), inputs,
                      nindices + 2, s);
    }
    for (int i = 1; i <= made; i++) mx_array_free(inputs[i]);
    mx_array_free(upd);
    return rc;
}

int mx_scatter(mx_array **out, const mx_array *a, const mx_array *const *indices, int nindices,
               const mx_array *updates, const int *axes, int naxes, const mx_stream *s) {
    return scatter(out, a, indices, nindices, updates, axes, naxes, MXI_SCATTER_NONE, "scatter", s);
}

int mx_scatter_add(mx_array **out, const mx_array *a, const mx_array *const *indices, int nindices,
                   const mx_array *updates, const int *axes, int naxes, const mx_stream *s) {
    return scatter(out, a, indices, nindices, updates, axes, naxes, MXI_SCATTER_SUM, "scatter_add",
                   s);
}

int mx_scatter_prod(mx_array **out, const mx_array *a, const mx_array *const *indices, int nindices,
                    const mx_array *updates, const int *axes, int naxes, const mx_stream *s) {
    return scatter(out, a, indices, nindices, updates, axes, naxes, MXI_SCATTER_PROD,
                   "scatter_prod", s);
}

int mx_scatter_max(mx_array **out, const mx_array *a, const mx_array *const *indices, int nindices,
                   const mx_array *updates, const int *axes, int naxes, const mx_stream *s) {
    return scatter(out, a, indices, nindices, updates, axes, naxes, MXI_SCATTER_MAX, "scatter_max",
                   s);
}

int mx_scatter_min(mx_array **out, const mx_array *a, const mx_array *const *indices, int nindices,
                   const mx_array *updates, const int *axes, int naxes, const mx_stream *s) {
    return scatter(out, a, indices, nindices, updates, axes, naxes, MXI_SCATTER_MIN, "scatter_min",
                   s);
}

/* ---- slice updates ---- */

static int slice_update(mx_array **out, const mx_array *src, const mx_array *update,
                        const int32_t *start, const int32_t *stop, const int32_t *strides, int n,
                        mxi_scatter_reduce reduce, const char *op, const mx_stream *s) {
    const mx_array *ins[2] = {src, update};
    int rc = mxi_check_inputs(op, out, ins, 2);
    if (rc) return rc;
    int nd = src->ndim;
    if (n != nd)
        return mxi_error(MX_ERR_VALUE, "[%s] got %d starts/stops for an array with %d dimensions",
                         op, n, nd);
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[%s] too many dimensions", op);
    if (nd && (!start || !stop))
        return mxi_error(MX_ERR_VALUE, "[%s] start and stop must not be NULL", op);
    struct {
        mxi_slice_update_params p;
        int64_t start_step[2 * MXI_MAX_NDIM];
    } params;
    memset(&params, 0, sizeof params);
    params.p.reduce = reduce;
    params.p.ndim = nd;
    int32_t ushape[MXI_MAX_NDIM];
    bool whole = true;
    for (int i = 0; i < nd; i++) {
        int32_t step = strides ? strides[i] : 1;
        if (step == 0) return mxi_error(MX_ERR_VALUE, "[%s] strides must be nonzero", op);
        int64_t first;
        slice_axis(src->shape[i], start[i], stop[i], step, &first, &ushape[i]);
        params.start_step[i] = ushape[i] ? first : 0;
        params.start_step[nd + i] = step;
        if (step < 0 || ushape[i] != src->shape[i]) whole = false;
    }
    mx_array *cast = NULL, *upd = NULL;
    rc = mxi_astype_if(&cast, update, src->dtype, s);
    if (!rc) rc = mxi_broadcast_if(&upd, cast, ushape, nd, s);
    mx_array_free(cast);
    if (rc) return rc;
    if (upd->size == 0) {
        /* Nothing to update. */
        mxi_set_out(out, mx_array_retain((mx_array *)src));
    } else if (whole && reduce == MXI_SCATTER_NONE) {
        mxi_set_out(out, mx_array_retain(upd));
    } else {
        mx_array *inputs[2] = {(mx_array *)src, upd};
        rc = mxi_make(out, src->dtype, src->shape, nd, MXI_PRIM_SLICE_UPDATE, &params,
                      sizeof(mxi_slice_update_params) + 2 * (size_t)nd * sizeof(int64_t), inputs, 2,
                      s);
    }
    mx_array_free(upd);
    return rc;
}

int mx_slice_update(mx_array **out, const mx_array *src, const mx_array *update,
                    const int32_t *start, const int32_t *stop, const int32_t *strides, int n,
                    const mx_stream *s) {
    return slice_update(out, src, update, start, stop, strides, n, MXI_SCATTER_NONE, "slice_update",
                        s);
}

int mx_slice_update_add(mx_array **out, const mx_array *src, const mx_array *update,
                        const int32_t *start, const int32_t *stop, const int32_t *strides, int n,
                        const mx_stream *s) {
    return slice_update(out, src, update, start, stop, strides, n, MXI_SCATTER_SUM,
                        "slice_update_add", s);
}

int mx_slice_update_prod(mx_array **out, const mx_array *src, const mx_array *update,
                         const int32_t *start, const int32_t *stop, const int32_t *strides, int n,
                         const mx_stream *s) {
    return slice_update(out, src, update, start, stop, strides, n, MXI_SCATTER_PROD,
                        "slice_update_prod", s);
}

int mx_slice_update_max(mx_array **out, const mx_array *src, const mx_array *update,
                        const int32_t *start, const int32_t *stop, const int32_t *strides, int n,
                        const mx_stream *s) {
    return slice_update(out, src, update, start, stop, strides, n, MXI_SCATTER_MAX,
                        "slice_update_max", s);
}

int mx_slice_update_min(mx_array **out, const mx_array *src, const mx_array *update,
                        const int32_t *start, const int32_t *stop, const int32_t *strides, int n,
                        const mx_stream *s) {
    return slice_update(out, src, update, start, stop, strides, n, MXI_SCATTER_MIN,
                        "slice_update_min", s);
}

int mx_slice_update_dynamic(mx_array **out, const mx_array *src, const mx_array *update,
                            const mx_array *start, const int *axes, int naxes, const mx_stream *s) {
    const mx_array *ins[3] = {src, update, start};
    int rc = mxi_check_inputs("slice_update", out, ins, 3);
    if (rc) return rc;
    int nd = src->ndim;
    if (nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[slice_update] too many dimensions");
    if (start->size > nd)
        return mxi_error(MX_ERR_VALUE,
                         "[slice_update] invalid number of starting positions (%lld) for an "
                         "array with %d dimensions",
                         (long long)start->size, nd);
    if (start->ndim > 1)
        return mxi_error(MX_ERR_VALUE,
                         "[slice_update] the array of starting indices must be zero or one "
                         "dimensional but has %d dimensions",
                         start->ndim);
    if (naxes < 0 || (naxes && !axes) || start->size != naxes)
        return mxi_error(MX_ERR_VALUE,
                         "[slice_update] the number of starting indices (%lld) does not match "
                         "the number of axes (%d)",
                         (long long)start->size, naxes);
    if (!mx_dtype_is_integer(start->dtype))
        return mxi_error(MX_ERR_VALUE, "[slice_update] start indices must be integers, got %s",
                         mx_dtype_name(start->dtype));
    struct {
        mxi_dynamic_slice_update_params p;
        int32_t axes[MXI_MAX_NDIM];
    } params;
    params.p.reduce = MXI_SCATTER_NONE;
    params.p.naxes = naxes;
    bool seen[MXI_MAX_NDIM] = {0};
    for (int i = 0; i < naxes; i++) {
        int ax = axes[i];
        if (ax < -nd || ax >= nd)
            return mxi_error(MX_ERR_VALUE,
                             "[slice_update] invalid axis %d for an array with %d dimensions",
                             axes[i], nd);
        if (ax < 0) ax += nd;
        if (seen[ax])
            return mxi_error(MX_ERR_VALUE, "[slice_update] repeated axes are not allowed");
        seen[ax] = true;
        params.axes[i] = ax;
    }
    int diff = nd - update->ndim;
    if (diff < 0)
        return mxi_error(MX_ERR_VALUE,
                         "[slice_update] the update has %d dimensions, more than the array's %d",
                         update->ndim, nd);
    /* MLX's rule: the update's missing leading axes take src's size (1 on
     * the listed axes), and no axis is larger than src's. */
    int32_t ushape[MXI_MAX_NDIM];
    for (int d = 0; d < nd; d++) {
        int32_t v = d < diff ? src->shape[d] : update->shape[d - diff];
        ushape[d] = d >= diff && v > src->shape[d] ? src->shape[d] : v;
    }
    for (int i = 0; i < naxes; i++)
        if (params.axes[i] < diff) ushape[params.axes[i]] = 1;
    mx_array *cast = NULL, *upd = NULL;
    rc = mxi_astype_if(&cast, update, src->dtype, s);
    if (!rc) rc = mxi_broadcast_if(&upd, cast, ushape, nd, s);
    if (!rc) {
        mx_array *inputs[3] = {(mx_array *)src, upd, (mx_array *)start};
        rc = mxi_make(out, src->dtype, src->shape, nd, MXI_PRIM_DYNAMIC_SLICE_UPDATE, &params,
                      sizeof(mxi_dynamic_slice_update_params) + (size_t)naxes * sizeof(int32_t),
                      inputs, 3, s);
    }
    mx_array_free(cast);
    mx_array_free(upd);
    return rc;
}

/* ---- masked scatter ---- */

int mxi_masked_scatter_node(mx_array **out, const mx_array *a, const mx_array *mask,
                            const mx_array *values, const mx_stream *s) {
    const mx_array *ins[3] = {a, mask, values};
    int rc = mxi_check_inputs("masked_scatter", out, ins, 3);
    if (rc) return rc;
    int nd = a->ndim, vn = values->ndim;
    /* the kernel walks the mask at a's shape and copies items of a's size */
    if (mask->dtype != MX_BOOL || !mxi_same_shape(mask->shape, mask->ndim, a->shape, nd))
        return mxi_error(MX_ERR_VALUE,
                         "[masked_scatter] the mask must be bool of the array's shape");
    if (values->dtype != a->dtype || vn < 1 || vn > nd + 1 ||
        !mxi_same_shape(values->shape + 1, vn - 1, a->shape + nd - (vn - 1), vn - 1))
        return mxi_error(MX_ERR_VALUE, "[masked_scatter] the values must be (rows, the array's "
                                       "trailing axes) of the array's dtype");
    mx_array *inputs[3] = {(mx_array *)a, (mx_array *)mask, (mx_array *)values};
    return mxi_make(out, a->dtype, a->shape, nd, MXI_PRIM_MASKED_SCATTER, NULL, 0, inputs, 3, s);
}

int mx_masked_scatter(mx_array **out, const mx_array *a, const mx_array *mask,
                      const mx_array *values, const mx_stream *s) {
    const mx_array *ins[3] = {a, mask, values};
    int rc = mxi_check_inputs("masked_scatter", out, ins, 3);
    if (rc) return rc;
    int nd = a->ndim;
    if (nd > MXI_MAX_NDIM - 1)
        return mxi_error(MX_ERR_VALUE, "[masked_scatter] too many dimensions");
    if (mask->dtype != MX_BOOL)
        return mxi_error(MX_ERR_VALUE, "[masked_scatter] the mask has to be boolean, got %s",
                         mx_dtype_name(mask->dtype));
    if (mask->ndim > nd)
        return mxi_error(MX_ERR_VALUE,
                         "[masked_scatter] the mask cannot have more dimensions than the target");
    int unmasked = nd - mask->ndim;
    if (values->ndim > unmasked + 1)
        return mxi_error(MX_ERR_VALUE,
                         "[masked_scatter] the value array's shape must be broadcastable with the "
                         "last %d dimensions of the input",
                         unmasked);
    char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
    if (!mxi_same_shape(mask->shape, mask->ndim, a->shape, mask->ndim))
        return mxi_error(MX_ERR_VALUE,
                         "[masked_scatter] the boolean mask should have the shape of the leading "
                         "axes of the indexed array, but the mask has shape %s and the array %s",
                         mxi_shape_str(sa, sizeof sa, mask->shape, mask->ndim),
                         mxi_shape_str(sb, sizeof sb, a->shape, nd));
    mx_array *m1 = NULL, *m2 = NULL, *v1 = NULL, *v2 = NULL, *v3 = NULL;
    int32_t shape[MXI_MAX_NDIM];
    /* The mask over the trailing axes too. */
    memcpy(shape, mask->shape, (size_t)mask->ndim * sizeof(int32_t));
    for (int i = mask->ndim; i < nd; i++) shape[i] = 1;
    rc = mx_reshape(&m1, mask, shape, nd, s);
    if (!rc) rc = mxi_broadcast_if(&m2, m1, a->shape, nd, s);
    /* The values as (rows, the trailing axes of a). */
    if (!rc) rc = mxi_astype_if(&v1, values, a->dtype, s);
    if (!rc) {
        int vnd = unmasked + 1;
        if (values->ndim < vnd) {
            int pad = vnd - values->ndim;
            for (int i = 0; i < pad; i++) shape[i] = 1;
            memcpy(shape + pad, values->shape, (size_t)values->ndim * sizeof(int32_t));
            rc = mx_reshape(&v2, v1, shape, vnd, s);
            shape[0] = (int32_t)mask->size;
        } else {
            v2 = mx_array_retain(v1);
            memcpy(shape, values->shape, (size_t)vnd * sizeof(int32_t));
        }
        for (int i = 1; i < vnd; i++) shape[i] = a->shape[mask->ndim + i - 1];
        if (!rc) rc = mxi_broadcast_if(&v3, v2, shape, vnd, s);
    }
    if (!rc) rc = mxi_masked_scatter_node(out, a, m2, v3, s);
    mx_array_free(m1);
    mx_array_free(m2);
    mx_array_free(v1);
    mx_array_free(v2);
    mx_array_free(v3);
    return rc;
}
