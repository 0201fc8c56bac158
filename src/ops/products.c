/*
 * Products built from other ops, as MLX builds them: tensordot, inner,
 * outer, kron, vecdot, gather_mm, segmented_mm and block_masked_mm. Being
 * compositions, the transforms differentiate and vectorise them through
 * their parts.
 */
#include <string.h>

#include "ops_util.h"

/* Temporaries of a composition, released together. */
#define TMP_MAX 12
typedef struct tmps {
    mx_array *a[TMP_MAX];
} tmps;

static void tmps_free(tmps *t) {
    for (int i = 0; i < TMP_MAX; i++) {
        mx_array_free(t->a[i]);
        t->a[i] = NULL;
    }
}

/* ---- tensordot ---- */

int mx_tensordot_axes(mx_array **out, const mx_array *a, const mx_array *b, const int *axes_a,
                      const int *axes_b, int naxes, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("tensordot", out, ins, 2);
    if (rc) return rc;
    if (naxes < 0 || (naxes > 0 && (!axes_a || !axes_b)))
        return mxi_error(MX_ERR_VALUE, "[tensordot] axes must have the same size");
    if (naxes > a->ndim || naxes > b->ndim)
        return mxi_error(MX_ERR_VALUE, "[tensordot] axis must be less than the number of "
                                       "dimensions of a and b");
    bool used_a[MXI_MAX_NDIM] = {false}, used_b[MXI_MAX_NDIM] = {false};
    int ca[MXI_MAX_NDIM], cb[MXI_MAX_NDIM];
    int64_t K = 1;
    for (int i = 0; i < naxes; i++) {
        ca[i] = axes_a[i], cb[i] = axes_b[i];
        if (mxi_normalize_axis("tensordot", &ca[i], a->ndim) ||
            mxi_normalize_axis("tensordot", &cb[i], b->ndim))
            return MX_ERR_INDEX;
        if (used_a[ca[i]] || used_b[cb[i]])
            return mxi_error(MX_ERR_VALUE, "[tensordot] repeated axis in the axes to contract");
        used_a[ca[i]] = used_b[cb[i]] = true;
        if (a->shape[ca[i]] != b->shape[cb[i]])
            return mxi_error(MX_ERR_VALUE,
                             "[tensordot] a and b must have the same shape on the "
                             "contracted axes (%d for axis %d of a, %d for axis %d "
                             "of b)",
                             a->shape[ca[i]], ca[i], b->shape[cb[i]], cb[i]);
        K *= a->shape[ca[i]];
    }
    /* a as (free_a, contracted), b as (contracted, free_b). */
    int perm_a[MXI_MAX_NDIM], perm_b[MXI_MAX_NDIM], n = 0;
    int32_t out_shape[2 * MXI_MAX_NDIM];
    int nout = 0;
    int64_t M = 1, N = 1;
    for (int i = 0; i < a->ndim; i++)
        if (!used_a[i]) {
            perm_a[n++] = i;
            out_shape[nout++] = a->shape[i];
            M *= a->shape[i];
        }
    for (int i = 0; i < naxes; i++) perm_a[n++] = ca[i];
    n = 0;
    for (int i = 0; i < naxes; i++) perm_b[n++] = cb[i];
    for (int i = 0; i < b->ndim; i++)
        if (!used_b[i]) {
            perm_b[n++] = i;
            out_shape[nout++] = b->shape[i];
            N *= b->shape[i];
        }
    if (nout > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[tensordot] too many dimensions");
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[tensordot] the operands are too large");
    int32_t a2[2] = {(int32_t)M, (int32_t)K}, b2[2] = {(int32_t)K, (int32_t)N};
    tmps t = {{NULL}};
    rc = mx_transpose(&t.a[0], a, perm_a, a->ndim, s);
    if (!rc) rc = mx_reshape(&t.a[1], t.a[0], a2, 2, s);
    if (!rc) rc = mx_transpose(&t.a[2], b, perm_b, b->ndim, s);
    if (!rc) rc = mx_reshape(&t.a[3], t.a[2], b2, 2, s);
    if (!rc) rc = mx_matmul(&t.a[4], t.a[1], t.a[3], s);
    if (!rc) rc = mx_reshape(out, t.a[4], out_shape, nout, s);
    tmps_free(&t);
    return rc;
}

int mx_tensordot(mx_array **out, const mx_array *a, const mx_array *b, int axes,
                 const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("tensordot", out, ins, 2);
    if (rc) return rc;
    if (axes < 0) return mxi_error(MX_ERR_VALUE, "[tensordot] axes must be 0 or more");
    if (axes > a->ndim || axes > b->ndim)
        return mxi_error(MX_ERR_VALUE,
                         "[tensordot] axes (%d) must be at most the number of "
                         "dimensions of a (%d) and of b (%d)",
                         axes, a->ndim, b->ndim);
    int ca[MXI_MAX_NDIM], cb[MXI_MAX_NDIM];
    for (int i = 0; i < axes; i++) {
        ca[i] = a->ndim - axes + i;
        cb[i] = i;
    }
    return mx_tensordot_axes(out, a, b, ca, cb, axes, s);
}

/* ---- inner, outer, kron, vecdot ---- */

int mx_inner(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("inner", out, ins, 2);
    if (rc) return rc;
    if (a->ndim == 0 || b->ndim == 0) return mx_multiply(out, a, b, s);
    if (a->shape[a->ndim - 1] != b->shape[b->ndim - 1])
        return mxi_error(MX_ERR_VALUE,
                         "[inner] a and b must have the same last dimension (%d "
                         "and %d)",
                         a->shape[a->ndim - 1], b->shape[b->ndim - 1]);
    int ca = -1, cb = -1;
    return mx_tensordot_axes(out, a, b, &ca, &cb, 1, s);
}

int mx_outer(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("outer", out, ins, 2);
    if (rc) return rc;
    int32_t col[2] = {-1, 1}, row[2] = {1, -1};
    tmps t = {{NULL}};
    rc = mx_reshape(&t.a[0], a, col, 2, s);
    if (!rc) rc = mx_reshape(&t.a[1], b, row, 2, s);
    if (!rc) rc = mx_multiply(out, t.a[0], t.a[1], s);
    tmps_free(&t);
    return rc;
}

int mx_kron(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("kron", out, ins, 2);
    if (rc) return rc;
    if (a->ndim == 0 || b->ndim == 0) return mx_multiply(out, a, b, s);
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    if (2 * nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[kron] too many dimensions");
    /* a as (a0, 1, a1, 1, ...), b as (1, b0, 1, b1, ...): their product
     * holds a[i] * b[j] at (i0, j0, i1, j1, ...), which merges pairwise. */
    int32_t as[MXI_MAX_NDIM], bs[MXI_MAX_NDIM], final[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int32_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        as[2 * i] = da, as[2 * i + 1] = 1;
        bs[2 * i] = 1, bs[2 * i + 1] = db;
        if ((int64_t)da * db > INT32_MAX)
            return mxi_error(MX_ERR_VALUE, "[kron] the result is too large");
        final[i] = da * db;
    }
    tmps t = {{NULL}};
    rc = mx_reshape(&t.a[0], a, as, 2 * nd, s);
    if (!rc) rc = mx_reshape(&t.a[1], b, bs, 2 * nd, s);
    if (!rc) rc = mx_multiply(&t.a[2], t.a[0], t.a[1], s);
    if (!rc) rc = mx_reshape(out, t.a[2], final, nd, s);
    tmps_free(&t);
    return rc;
}

int mx_vecdot(mx_array **out, const mx_array *a, const mx_array *b, int axis, const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("vecdot", out, ins, 2);
    if (rc) return rc;
    int32_t shape[MXI_MAX_NDIM];
    int nd;
    rc = mxi_broadcast_shapes("vecdot", shape, &nd, a->shape, a->ndim, b->shape, b->ndim);
    if (rc) return rc;
    if (mxi_normalize_axis("vecdot", &axis, nd)) return MX_ERR_INDEX;
    /* The summed axis is a core axis (NumPy): both inputs have it, at the
     * same size, without broadcasting. */
    int ia = axis - (nd - a->ndim), ib = axis - (nd - b->ndim);
    if (ia < 0 || ib < 0 || a->shape[ia] != b->shape[ib])
        return mxi_error(MX_ERR_VALUE, "[vecdot] a and b must have the same size along axis %d",
                         axis);
    tmps t = {{NULL}};
    if (mx_dtype_is_complex(a->dtype)) {
        rc = mx_conjugate(&t.a[0], a, s);
    } else {
        t.a[0] = mx_array_retain((mx_array *)a);
    }
    if (!rc) rc = mx_multiply(&t.a[1], t.a[0], b, s);
    if (!rc) rc = mx_sum_axis(out, t.a[1], axis, false, s);
    tmps_free(&t);
    return rc;
}

/* ---- gathered and segmented products ---- */

static int check_index_dtype(const char *op, const mx_array *idx) {
    if (!mx_issubdtype(idx->dtype, MX_INTEGER))
        return mxi_error(MX_ERR_VALUE,
                         "[%s] got indices with invalid dtype %s; indices must be "
                         "integral",
                         op, mx_dtype_name(idx->dtype));
    return MX_OK;
}

/* The batch entries of x (ndim >= 2) as (count, rows, cols), and the
 * default index array: arange(count) in x's batch shape. */
static int flatten_batch(mx_array **flat, mx_array **idx, const mx_array *x, bool want_idx,
                         const mx_stream *s) {
    int64_t count = 1;
    for (int i = 0; i < x->ndim - 2; i++) count *= x->shape[i];
    if (count > INT32_MAX) return mxi_error(MX_ERR_VALUE, "[gather_mm] too many batch entries");
    int32_t fs[3] = {(int32_t)count, x->shape[x->ndim - 2], x->shape[x->ndim - 1]};
    int rc = mx_reshape(flat, x, fs, 3, s);
    if (rc || !want_idx) return rc;
    mx_array *r = NULL;
    rc = mx_arange(&r, 0, (double)count, 1, MX_UINT32, s);
    if (!rc) {
        int32_t one = 1;
        rc = x->ndim > 2 ? mx_reshape(idx, r, x->shape, x->ndim - 2, s)
                         : mx_reshape(idx, r, &one, 0, s);
    }
    mx_array_free(r);
    return rc;
}

int mx_gather_mm(mx_array **out, const mx_array *a, const mx_array *b, const mx_array *lhs_indices,
                 const mx_array *rhs_indices, bool sorted_indices, const mx_stream *s) {
    (void)sorted_indices;
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("gather_mm", out, ins, 2);
    if (rc) return rc;
    if (!lhs_indices && !rhs_indices) return mx_matmul(out, a, b, s);
    if (a->ndim < 2 || b->ndim < 2)
        return mxi_error(MX_ERR_VALUE,
                         "[gather_mm] a and b must have at least two dimensions "
                         "when indices are given (got %d and %d)",
                         a->ndim, b->ndim);
    if ((lhs_indices && check_index_dtype("gather_mm", lhs_indices)) ||
        (rhs_indices && check_index_dtype("gather_mm", rhs_indices)))
        return MX_ERR_VALUE;
    tmps t = {{NULL}};
    rc = flatten_batch(&t.a[0], &t.a[1], a, !lhs_indices, s);
    if (!rc) rc = flatten_batch(&t.a[2], &t.a[3], b, !rhs_indices, s);
    if (!rc) {
        const mx_array *idx[2] = {lhs_indices ? lhs_indices : t.a[1],
                                  rhs_indices ? rhs_indices : t.a[3]};
        mx_array *bc[2] = {NULL, NULL};
        rc = mx_broadcast_arrays(bc, idx, 2, s);
        t.a[4] = bc[0], t.a[5] = bc[1];
    }
    if (!rc) rc = mx_take_axis(&t.a[6], t.a[0], t.a[4], 0, s);
    if (!rc) rc = mx_take_axis(&t.a[7], t.a[2], t.a[5], 0, s);
    if (!rc) rc = mx_matmul(out, t.a[6], t.a[7], s);
    tmps_free(&t);
    return rc;
}

int mx_segmented_mm(mx_array **out, const mx_array *a, const mx_array *b, const mx_array *segments,
                    const mx_stream *s) {
    const mx_array *ins[3] = {a, b, segments};
    int rc = mxi_check_inputs("segmented_mm", out, ins, 3);
    if (rc) return rc;
    if (a->ndim != 2 || b->ndim != 2)
        return mxi_error(MX_ERR_VALUE,
                         "[segmented_mm] batched matmul is not supported: a and b "
                         "must be matrices (got %d and %d dimensions)",
                         a->ndim, b->ndim);
    if (check_index_dtype("segmented_mm", segments)) return MX_ERR_VALUE;
    if (segments->ndim < 1 || segments->shape[segments->ndim - 1] != 2)
        return mxi_error(MX_ERR_VALUE, "[segmented_mm] segments must have shape (..., 2)");
    int32_t K = a->shape[1];
    if (b->shape[0] != K)
        return mxi_error(MX_ERR_VALUE, "[segmented_mm] the inner dimensions differ (%d and %d)", K,
                         b->shape[0]);
    /* mask[..., k] = start <= k < end; segment i's product is
     * (a * mask_i) @ b. */
    int nd = segments->ndim;
    int32_t start[MXI_MAX_NDIM] = {0}, stop[MXI_MAX_NDIM], step[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) stop[i] = segments->shape[i], step[i] = 1;
    tmps t = {{NULL}};
    stop[nd - 1] = 1;
    rc = mx_slice(&t.a[0], segments, start, stop, step, nd, s);
    start[nd - 1] = 1, stop[nd - 1] = 2;
    if (!rc) rc = mx_slice(&t.a[1], segments, start, stop, step, nd, s);
    if (!rc) rc = mx_arange(&t.a[2], 0, K, 1, MX_INT32, s);
    if (!rc) rc = mx_greater_equal(&t.a[3], t.a[2], t.a[0], s);
    if (!rc) rc = mx_less(&t.a[4], t.a[2], t.a[1], s);
    if (!rc) rc = mx_logical_and(&t.a[5], t.a[3], t.a[4], s);
    if (!rc) rc = mx_astype(&t.a[6], t.a[5], a->dtype, s);
    if (!rc) rc = mx_expand_dims(&t.a[7], t.a[6], -2, s); /* (..., 1, K) */
    if (!rc) rc = mx_multiply(&t.a[8], a, t.a[7], s);     /* (..., M, K) */
    if (!rc) rc = mx_matmul(out, t.a[8], b, s);
    tmps_free(&t);
    return rc;
}

/* mask (..., rows/bs rounded up, cols/bs rounded up) repeated to
 * block_size x block_size per entry and cut to (..., rows, cols), in dtype. */
static int expand_mask(mx_array **out, const char *name, const mx_array *mask, int bs, int32_t rows,
                       int32_t cols, mx_dtype dtype, const mx_stream *s) {
    int32_t tr = (rows + bs - 1) / bs, tc = (cols + bs - 1) / bs;
    int nd = mask->ndim;
    if (nd < 2 || mask->shape[nd - 2] != tr || mask->shape[nd - 1] != tc) {
        char sm[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE, "[block_masked_mm] %s must have shape (..., %d, %d), got %s",
                         name, tr, tc, mxi_shape_str(sm, sizeof sm, mask->shape, nd));
    }
    if (nd + 2 > MXI_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[block_masked_mm] too many dimensions");
    int32_t split[MXI_MAX_NDIM], rep[MXI_MAX_NDIM], merged[MXI_MAX_NDIM];
    memcpy(split, mask->shape, (size_t)(nd - 2) * sizeof(int32_t));
    memcpy(rep, mask->shape, (size_t)(nd - 2) * sizeof(int32_t));
    memcpy(merged, mask->shape, (size_t)(nd - 2) * sizeof(int32_t));
    split[nd - 2] = tr, split[nd - 1] = 1, split[nd] = tc, split[nd + 1] = 1;
    rep[nd - 2] = tr, rep[nd - 1] = bs, rep[nd] = tc, rep[nd + 1] = bs;
    merged[nd - 2] = tr * bs, merged[nd - 1] = tc * bs;
    int32_t start[MXI_MAX_NDIM] = {0}, step[MXI_MAX_NDIM];
    for (int i = 0; i < nd; i++) step[i] = 1;
    int32_t stop[MXI_MAX_NDIM];
    memcpy(stop, mask->shape, (size_t)(nd - 2) * sizeof(int32_t));
    stop[nd - 2] = rows, stop[nd - 1] = cols;
    tmps t = {{NULL}};
    int rc = mx_astype(&t.a[0], mask, dtype, s);
    if (!rc) rc = mx_reshape(&t.a[1], t.a[0], split, nd + 2, s);
    if (!rc) rc = mx_broadcast_to(&t.a[2], t.a[1], rep, nd + 2, s);
    if (!rc) rc = mx_reshape(&t.a[3], t.a[2], merged, nd, s);
    if (!rc) rc = mx_slice(out, t.a[3], start, stop, step, nd, s);
    tmps_free(&t);
    return rc;
}

int mx_block_masked_mm(mx_array **out, const mx_array *a, const mx_array *b, int block_size,
                       const mx_array *mask_out, const mx_array *mask_lhs, const mx_array *mask_rhs,
                       const mx_stream *s) {
    const mx_array *ins[2] = {a, b};
    int rc = mxi_check_inputs("block_masked_mm", out, ins, 2);
    if (rc) return rc;
    if (!mask_out && !mask_lhs && !mask_rhs) return mx_matmul(out, a, b, s);
    if (block_size != 32 && block_size != 64)
        return mxi_error(MX_ERR_VALUE,
                         "[block_masked_mm] only block sizes 32 and 64 are "
                         "supported, got %d",
                         block_size);
    if (a->ndim < 2 || b->ndim < 2)
        return mxi_error(MX_ERR_VALUE,
                         "[block_masked_mm] a and b must have at least two "
                         "dimensions (got %d and %d)",
                         a->ndim, b->ndim);
    mx_dtype dtype = mx_promote_types(a->dtype, b->dtype);
    if (!mx_dtype_is_inexact(dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[block_masked_mm] only inexact types are supported but "
                         "%s and %s were provided",
                         mx_dtype_name(a->dtype), mx_dtype_name(b->dtype));
    int32_t M = a->shape[a->ndim - 2], K = a->shape[a->ndim - 1], N = b->shape[b->ndim - 1];
    tmps t = {{NULL}};
    const mx_array *la = a, *lb = b;
    if (mask_lhs) {
        rc = expand_mask(&t.a[0], "mask_lhs", mask_lhs, block_size, M, K, dtype, s);
        if (!rc) rc = mx_multiply(&t.a[1], a, t.a[0], s);
        la = t.a[1];
    }
    if (!rc && mask_rhs) {
        rc = expand_mask(&t.a[2], "mask_rhs", mask_rhs, block_size, K, N, dtype, s);
        if (!rc) rc = mx_multiply(&t.a[3], b, t.a[2], s);
        lb = t.a[3];
    }
    if (!rc && mask_out) {
        rc = expand_mask(&t.a[4], "mask_out", mask_out, block_size, M, N, dtype, s);
        if (!rc) rc = mx_matmul(&t.a[5], la, lb, s);
        if (!rc) rc = mx_multiply(out, t.a[5], t.a[4], s);
    } else if (!rc) {
        rc = mx_matmul(out, la, lb, s);
    }
    tmps_free(&t);
    return rc;
}
