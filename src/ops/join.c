/*
 * Joins, splits, repeats and padding: concatenate (a primitive), stack,
 * split, unstack, repeat, tile, pad (constant mode is a primitive; edge,
 * reflect and symmetric are slices, flips and concatenations) and roll
 * (slices and a concatenation), composed as MLX composes them.
 */
#include <stdlib.h>
#include <string.h>

#include "ops_util.h"
#include "primitives/params_shape.h"

/* x[start:stop:step] along axis ax, everything along the other axes. */
static int slice1(mx_array **out, const mx_array *x, int ax, int32_t start, int32_t stop,
                  int32_t step, const mx_stream *s) {
    int32_t st[MXI_MAX_NDIM], sp[MXI_MAX_NDIM], sd[MXI_MAX_NDIM];
    for (int d = 0; d < x->ndim; d++) st[d] = 0, sp[d] = x->shape[d], sd[d] = 1;
    st[ax] = start, sp[ax] = stop, sd[ax] = step;
    return mx_slice(out, x, st, sp, sd, x->ndim, s);
}

/* Frees the n arrays of a temporary vector and the vector. */
static void free_all(mx_array **v, int n) {
    if (!v) return;
    for (int i = 0; i < n; i++) mx_array_free(v[i]);
    free(v);
}

/* Moves n fresh arrays into output slots (each replaced as an out-pointer). */
static void commit(mx_array **outs, mx_array **made, int n) {
    for (int i = 0; i < n; i++) {
        mxi_set_out(&outs[i], made[i]);
        made[i] = NULL;
    }
}

/* ---- concatenate and stack ---- */

int mx_concatenate(mx_array **out, const mx_array *const *arrays, int n, int axis,
                   const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[concatenate] the output pointer is NULL");
    if (n <= 0 || !arrays)
        return mxi_error(MX_ERR_VALUE, "[concatenate] No arrays provided for concatenation");
    for (int i = 0; i < n; i++)
        if (!arrays[i]) return mxi_error(MX_ERR_VALUE, "[concatenate] array %d is NULL", i);
    if (n == 1) {
        mxi_set_out(out, mx_array_retain((mx_array *)arrays[0]));
        return MX_OK;
    }
    int nd = arrays[0]->ndim, ax = axis < 0 ? axis + nd : axis;
    if (ax < 0 || ax >= nd)
        return mxi_error(MX_ERR_INDEX,
                         "[concatenate] Axis %d is out of bounds for array with %d dimensions.",
                         axis, nd);
    int32_t shape[MXI_MAX_NDIM];
    memcpy(shape, arrays[0]->shape, (size_t)nd * sizeof(int32_t));
    int64_t total = 0;
    mx_dtype dtype = arrays[0]->dtype;
    for (int i = 0; i < n; i++) {
        const mx_array *a = arrays[i];
        if (a->ndim != nd)
            return mxi_error(MX_ERR_VALUE,
                             "[concatenate] All the input arrays must have the same number of "
                             "dimensions. However, got arrays with dimensions %d and %d.",
                             nd, a->ndim);
        for (int d = 0; d < nd; d++) {
            if (d != ax && a->shape[d] != shape[d]) {
                char sa[MXI_SHAPE_STR_LEN], sb[MXI_SHAPE_STR_LEN];
                return mxi_error(MX_ERR_VALUE,
                                 "[concatenate] All the input array dimensions must match exactly "
                                 "except for the concatenation axis. However, the provided shapes "
                                 "are %s and %s (input %d), and the concatenation axis is %d.",
                                 mxi_shape_str(sa, sizeof sa, shape, nd),
                                 mxi_shape_str(sb, sizeof sb, a->shape, nd), i, axis);
            }
        }
        total += a->shape[ax];
        dtype = mx_promote_types(dtype, a->dtype);
    }
    if (total > INT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[concatenate] the joined axis would be too long");
    shape[ax] = (int32_t)total;
    mx_array **cast = calloc((size_t)n, sizeof *cast);
    if (!cast) return mxi_error(MX_ERR_MEMORY, "[concatenate] out of memory");
    int rc = MX_OK;
    for (int i = 0; !rc && i < n; i++) rc = mxi_astype_if(&cast[i], arrays[i], dtype, s);
    mxi_concatenate_params p = {ax};
    if (!rc) rc = mxi_make(out, dtype, shape, nd, MXI_PRIM_CONCATENATE, &p, sizeof p, cast, n, s);
    free_all(cast, n);
    return rc;
}

int mx_concat(mx_array **out, const mx_array *const *arrays, int n, int axis, const mx_stream *s) {
    return mx_concatenate(out, arrays, n, axis, s);
}

int mx_concatenate_all(mx_array **out, const mx_array *const *arrays, int n, const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[concatenate] the output pointer is NULL");
    if (n <= 0 || !arrays)
        return mxi_error(MX_ERR_VALUE, "[concatenate] No arrays provided for concatenation");
    mx_array **flat = calloc((size_t)n, sizeof *flat);
    if (!flat) return mxi_error(MX_ERR_MEMORY, "[concatenate] out of memory");
    int rc = MX_OK;
    for (int i = 0; !rc && i < n; i++) {
        if (!arrays[i])
            rc = mxi_error(MX_ERR_VALUE, "[concatenate] array %d is NULL", i);
        else
            rc = mx_flatten(&flat[i], arrays[i], 0, -1, s);
    }
    if (!rc) rc = mx_concatenate(out, (const mx_array *const *)flat, n, 0, s);
    free_all(flat, n);
    return rc;
}

int mx_stack(mx_array **out, const mx_array *const *arrays, int n, int axis, const mx_stream *s) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[stack] the output pointer is NULL");
    if (n <= 0 || !arrays)
        return mxi_error(MX_ERR_VALUE, "[stack] No arrays provided for stacking");
    for (int i = 0; i < n; i++) {
        if (!arrays[i]) return mxi_error(MX_ERR_VALUE, "[stack] array %d is NULL", i);
        if (!mxi_same_shape(arrays[i]->shape, arrays[i]->ndim, arrays[0]->shape, arrays[0]->ndim))
            return mxi_error(MX_ERR_VALUE, "[stack] All arrays must have the same shape");
    }
    int on = arrays[0]->ndim + 1, ax = axis < 0 ? axis + on : axis;
    if (ax < 0 || ax >= on)
        return mxi_error(MX_ERR_INDEX,
                         "[stack] Axis %d is out of bounds for array with %d dimensions.", axis,
                         on);
    mx_array **exp = calloc((size_t)n, sizeof *exp);
    if (!exp) return mxi_error(MX_ERR_MEMORY, "[stack] out of memory");
    int rc = MX_OK;
    for (int i = 0; !rc && i < n; i++) rc = mx_expand_dims(&exp[i], arrays[i], ax, s);
    if (!rc) rc = mx_concatenate(out, (const mx_array *const *)exp, n, ax, s);
    free_all(exp, n);
    return rc;
}

/* ---- split and unstack ---- */

static int split_axis(const char *op, const mx_array *a, int axis, int *ax) {
    *ax = axis < 0 ? axis + a->ndim : axis;
    if (*ax < 0 || *ax >= a->ndim)
        return mxi_error(MX_ERR_INDEX,
                         "[%s] Axis %d is out of bounds for array with %d dimensions.", op, axis,
                         a->ndim);
    return MX_OK;
}

int mx_split_indices(mx_array **outs, const mx_array *a, const int32_t *indices, int nindices,
                     int axis, const mx_stream *s) {
    if (!outs || !a) return mxi_error(MX_ERR_VALUE, "[split] the input or outputs are NULL");
    if (nindices < 0 || (nindices && !indices))
        return mxi_error(MX_ERR_VALUE, "[split] invalid indices (count %d)", nindices);
    int ax;
    int rc = split_axis("split", a, axis, &ax);
    if (rc) return rc;
    int n = nindices + 1;
    mx_array **parts = calloc((size_t)n, sizeof *parts);
    if (!parts) return mxi_error(MX_ERR_MEMORY, "[split] out of memory");
    int32_t start = 0;
    for (int i = 0; !rc && i < n; i++) {
        int32_t stop = i < nindices ? indices[i] : a->shape[ax];
        rc = slice1(&parts[i], a, ax, start, stop, 1, s);
        start = stop;
    }
    if (!rc) commit(outs, parts, n);
    free_all(parts, n);
    return rc;
}

int mx_split(mx_array **outs, const mx_array *a, int sections, int axis, const mx_stream *s) {
    if (!outs || !a) return mxi_error(MX_ERR_VALUE, "[split] the input or outputs are NULL");
    int ax;
    int rc = split_axis("split", a, axis, &ax);
    if (rc) return rc;
    if (sections <= 0)
        return mxi_error(MX_ERR_VALUE,
                         "[split] num_splits must be positive and non-zero but got %d.", sections);
    if (a->shape[ax] % sections) {
        char sa[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE,
                         "[split] Array split does not result in sub arrays with equal size: "
                         "attempting %d splits along axis %d for shape %s.",
                         sections, axis, mxi_shape_str(sa, sizeof sa, a->shape, a->ndim));
    }
    int32_t *idx = malloc((size_t)sections * sizeof *idx);
    if (!idx) return mxi_error(MX_ERR_MEMORY, "[split] out of memory");
    int32_t q = a->shape[ax] / sections;
    for (int i = 0; i < sections - 1; i++) idx[i] = (i + 1) * q;
    rc = mx_split_indices(outs, a, idx, sections - 1, axis, s);
    free(idx);
    return rc;
}

int mx_unstack(mx_array **outs, int nouts, const mx_array *a, int axis, const mx_stream *s) {
    if (!a || (nouts && !outs))
        return mxi_error(MX_ERR_VALUE, "[unstack] the input or outputs are NULL");
    int ax;
    int rc = split_axis("unstack", a, axis, &ax);
    if (rc) return rc;
    int n = a->shape[ax];
    if (nouts != n)
        return mxi_error(MX_ERR_VALUE,
                         "[unstack] the array has %d entries along axis %d but %d outputs were "
                         "given",
                         n, axis, nouts);
    mx_array **parts = calloc((size_t)(n ? n : 1), sizeof *parts);
    if (!parts) return mxi_error(MX_ERR_MEMORY, "[unstack] out of memory");
    for (int i = 0; !rc && i < n; i++) {
        mx_array *sl = NULL;
        rc = slice1(&sl, a, ax, i, i + 1, 1, s);
        if (!rc) rc = mx_squeeze_axis(&parts[i], sl, ax, s);
        mx_array_free(sl);
    }
    if (!rc) commit(outs, parts, n);
    free_all(parts, n);
    return rc;
}

/* ---- repeat and tile (reshape, broadcast, reshape) ---- */

int mx_repeat_axis(mx_array **out, const mx_array *a, int repeats, int axis, const mx_stream *s) {
    int rc = mxi_check_inputs("repeat", out, &a, 1);
    if (rc) return rc;
    int ax;
    rc = split_axis("repeat", a, axis, &ax);
    if (rc) return rc;
    if (repeats < 0)
        return mxi_error(MX_ERR_VALUE, "[repeat] Number of repeats cannot be negative");
    if (repeats == 1) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    int nd = a->ndim;
    if (nd + 1 > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[repeat] too many dimensions");
    if ((int64_t)a->shape[ax] * repeats > INT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[repeat] the repeated axis would be too long");
    int32_t wide[MXI_MAX_NDIM], fin[MXI_MAX_NDIM];
    for (int d = 0, k = 0; d < nd; d++) {
        wide[k++] = a->shape[d];
        if (d == ax) wide[k++] = repeats;
        fin[d] = d == ax ? a->shape[d] * repeats : a->shape[d];
    }
    mx_array *e = NULL, *b = NULL;
    rc = mx_expand_dims(&e, a, ax + 1, s);
    if (!rc) rc = mx_broadcast_to(&b, e, wide, nd + 1, s);
    if (!rc) rc = mx_reshape(out, b, fin, nd, s);
    mx_array_free(e);
    mx_array_free(b);
    return rc;
}

int mx_repeat(mx_array **out, const mx_array *a, int repeats, const mx_stream *s) {
    int rc = mxi_check_inputs("repeat", out, &a, 1);
    if (rc) return rc;
    mx_array *flat = NULL;
    rc = mx_flatten(&flat, a, 0, -1, s);
    if (!rc) rc = mx_repeat_axis(out, flat, repeats, 0, s);
    mx_array_free(flat);
    return rc;
}

int mx_tile(mx_array **out, const mx_array *a, const int32_t *reps, int nreps, const mx_stream *s) {
    int rc = mxi_check_inputs("tile", out, &a, 1);
    if (rc) return rc;
    if (nreps < 0 || (nreps && !reps))
        return mxi_error(MX_ERR_VALUE, "[tile] invalid reps (count %d)", nreps);
    int nd = a->ndim > nreps ? a->ndim : nreps;
    if (2 * nd > MXI_MAX_NDIM) return mxi_error(MX_ERR_VALUE, "[tile] too many dimensions");
    int32_t shape[MXI_MAX_NDIM], rp[MXI_MAX_NDIM];
    for (int d = 0; d < nd; d++) {
        int ia = d - (nd - a->ndim), ir = d - (nd - nreps);
        shape[d] = ia >= 0 ? a->shape[ia] : 1;
        rp[d] = ir >= 0 ? reps[ir] : 1;
        if (rp[d] < 0)
            return mxi_error(MX_ERR_VALUE, "[tile] reps must be non-negative, got %d", rp[d]);
        if ((int64_t)rp[d] * shape[d] > INT32_MAX)
            return mxi_error(MX_ERR_VALUE, "[tile] a tiled axis would be too long");
    }
    int32_t expand[MXI_MAX_NDIM], broad[MXI_MAX_NDIM], fin[MXI_MAX_NDIM];
    int ne = 0;
    for (int d = 0; d < nd; d++) {
        if (rp[d] != 1) {
            expand[ne] = 1;
            broad[ne++] = rp[d];
        }
        expand[ne] = shape[d];
        broad[ne++] = shape[d];
        fin[d] = rp[d] * shape[d];
    }
    mx_array *x = NULL, *b = NULL;
    rc = mx_reshape(&x, a, expand, ne, s);
    if (!rc) rc = mx_broadcast_to(&b, x, broad, ne, s);
    if (!rc) rc = mx_reshape(out, b, fin, nd, s);
    mx_array_free(x);
    mx_array_free(b);
    return rc;
}

/* ---- pad ---- */

enum { PAD_CONSTANT, PAD_EDGE, PAD_REFLECT, PAD_SYMMETRIC };

/* x with n copies of its edge slice (first or last along ax) on one side. */
static int edge_part(mx_array **out, const mx_array *x, int ax, bool first, int32_t n,
                     const mx_stream *s) {
    int32_t dim = x->shape[ax];
    mx_array *e = NULL;
    int rc = slice1(&e, x, ax, first ? 0 : dim - 1, first ? 1 : dim, 1, s);
    int32_t shape[MXI_MAX_NDIM];
    memcpy(shape, x->shape, (size_t)x->ndim * sizeof(int32_t));
    shape[ax] = n;
    if (!rc) rc = mx_broadcast_to(out, e, shape, x->ndim, s);
    mx_array_free(e);
    return rc;
}

/* Joins up to three parts along ax (NULL parts are skipped). */
static int join3(mx_array **out, mx_array *l, const mx_array *x, mx_array *r, int ax,
                 const mx_stream *s) {
    const mx_array *parts[3];
    int n = 0;
    if (l) parts[n++] = l;
    parts[n++] = x;
    if (r) parts[n++] = r;
    return mx_concatenate(out, parts, n, ax, s);
}

static int pad_edge_axis(mx_array **out, const mx_array *x, int ax, int32_t lo, int32_t hi,
                         const mx_stream *s) {
    mx_array *l = NULL, *r = NULL;
    int rc = MX_OK;
    if (lo) rc = edge_part(&l, x, ax, true, lo, s);
    if (!rc && hi) rc = edge_part(&r, x, ax, false, hi, s);
    if (!rc) rc = join3(out, l, x, r, ax, s);
    mx_array_free(l);
    mx_array_free(r);
    return rc;
}

/* Reflect (without the edge) or symmetric (with it) padding along one axis
 * of length n >= 1 (reflect: n >= 2). Output position t reads the period
 * B = x, then x reversed (less its ends for reflect), at (t - lo) mod P. */
static int pad_mirror_axis(mx_array **out, const mx_array *x, int ax, int32_t lo, int32_t hi,
                           bool reflect, const mx_stream *s) {
    int32_t n = x->shape[ax];
    int32_t reach = reflect ? n - 1 : n;
    int rc = MX_OK;
    if (lo <= reach && hi <= reach) {
        /* One mirror image on each side: flipped slices next to x. */
        mx_array *ls = NULL, *rs = NULL, *l = NULL, *r = NULL;
        if (lo) {
            rc = reflect ? slice1(&ls, x, ax, 1, lo + 1, 1, s) : slice1(&ls, x, ax, 0, lo, 1, s);
            if (!rc) rc = mx_flip_axis(&l, ls, ax, s);
        }
        if (!rc && hi) {
            rc = reflect ? slice1(&rs, x, ax, n - 1 - hi, n - 1, 1, s)
                         : slice1(&rs, x, ax, n - hi, n, 1, s);
            if (!rc) rc = mx_flip_axis(&r, rs, ax, s);
        }
        if (!rc) rc = join3(out, l, x, r, ax, s);
        mx_array *all[] = {ls, rs, l, r};
        for (int i = 0; i < 4; i++) mx_array_free(all[i]);
        return rc;
    }
    int64_t P = reflect ? 2 * (int64_t)(n - 1) : 2 * (int64_t)n;
    int64_t total = (int64_t)lo + n + hi;
    int64_t start = (P - (int64_t)lo % P) % P;
    int64_t reps = (start + total + P - 1) / P;
    if (reps * P > INT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[pad] the padded axis would be too long");
    mx_array *inner = NULL, *back = NULL, *period = NULL, *tiled = NULL;
    if (reflect)
        rc = slice1(&inner, x, ax, n - 2, 0, -1, s); /* x[n-2:0:-1] */
    else
        rc = mx_flip_axis(&back, x, ax, s);
    if (!rc) rc = join3(&period, NULL, x, reflect ? inner : back, ax, s);
    int32_t reps_v[MXI_MAX_NDIM];
    for (int d = 0; d < x->ndim; d++) reps_v[d] = d == ax ? (int32_t)reps : 1;
    if (!rc) rc = mx_tile(&tiled, period, reps_v, x->ndim, s);
    if (!rc) rc = slice1(out, tiled, ax, (int32_t)start, (int32_t)(start + total), 1, s);
    mx_array *all[] = {inner, back, period, tiled};
    for (int i = 0; i < 4; i++) mx_array_free(all[i]);
    return rc;
}

int mx_pad(mx_array **out, const mx_array *a, const int *axes, int naxes, const int32_t *low,
           const int32_t *high, const mx_array *pad_value, const char *mode, const mx_stream *s) {
    int rc = mxi_check_inputs("pad", out, &a, 1);
    if (rc) return rc;
    int nd = a->ndim;
    if (naxes < 0 || (naxes && (!low || !high)) || (!axes && naxes != nd))
        return mxi_error(MX_ERR_VALUE,
                         "[pad] Invalid number of padding sizes passed to pad with axes of size "
                         "%d",
                         axes ? naxes : nd);
    int m;
    if (!mode || strcmp(mode, "constant") == 0)
        m = PAD_CONSTANT;
    else if (strcmp(mode, "edge") == 0)
        m = PAD_EDGE;
    else if (strcmp(mode, "reflect") == 0)
        m = PAD_REFLECT;
    else if (strcmp(mode, "symmetric") == 0)
        m = PAD_SYMMETRIC;
    else
        return mxi_error(MX_ERR_VALUE, "[pad] Invalid padding mode (%s) passed to pad", mode);
    struct {
        mxi_pad_params p;
        int32_t low[MXI_MAX_NDIM];
    } params;
    memset(&params, 0, sizeof params);
    params.p.ndim = nd;
    int32_t hi[MXI_MAX_NDIM] = {0}, shape[MXI_MAX_NDIM];
    bool seen[MXI_MAX_NDIM] = {0}, any = false;
    for (int i = 0; i < naxes; i++) {
        int ax = axes ? (axes[i] < 0 ? axes[i] + nd : axes[i]) : i;
        if (ax < 0 || ax >= nd)
            return mxi_error(MX_ERR_INDEX, "[pad] Invalid axis %d for array with %d dimensions.",
                             axes[i], nd);
        if (seen[ax]) return mxi_error(MX_ERR_VALUE, "[pad] Repeated axis %d.", axes[i]);
        seen[ax] = true;
        if (low[i] < 0)
            return mxi_error(MX_ERR_VALUE,
                             "[pad] Invalid low padding size (%d) passed to pad for axis %d. "
                             "Padding sizes must be non-negative",
                             low[i], i);
        if (high[i] < 0)
            return mxi_error(MX_ERR_VALUE,
                             "[pad] Invalid high padding size (%d) passed to pad for axis %d. "
                             "Padding sizes must be non-negative",
                             high[i], i);
        params.low[ax] = low[i];
        hi[ax] = high[i];
        any |= low[i] || high[i];
    }
    for (int d = 0; d < nd; d++) {
        int64_t len = (int64_t)a->shape[d] + params.low[d] + hi[d];
        if (len > INT32_MAX)
            return mxi_error(MX_ERR_VALUE, "[pad] the padded axis %d would be too long", d);
        shape[d] = (int32_t)len;
        if ((m == PAD_REFLECT || m == PAD_SYMMETRIC) && a->shape[d] == 0 &&
            (params.low[d] || hi[d]))
            return mxi_error(MX_ERR_VALUE, "[pad] Cannot pad empty axis %d using mode '%s'.", d,
                             mode);
    }
    if (m == PAD_CONSTANT && pad_value && pad_value->size == 0)
        return mxi_error(MX_ERR_VALUE, "[pad] the pad value is an empty array");
    if (!any) {
        mxi_set_out(out, mx_array_retain((mx_array *)a));
        return MX_OK;
    }
    /* Edge padding of an empty array has no edge to repeat: zeros, as MLX. */
    if (m == PAD_EDGE && a->size == 0) m = PAD_CONSTANT, pad_value = NULL;
    if (m == PAD_CONSTANT) {
        mx_array *cv = NULL;
        rc = pad_value ? mxi_astype_if(&cv, pad_value, a->dtype, s)
                       : mx_array_from_float(&cv, 0.0, a->dtype);
        if (!rc) {
            mx_array *ins[2] = {(mx_array *)a, cv};
            rc = mxi_make(out, a->dtype, shape, nd, MXI_PRIM_PAD, &params,
                          sizeof(mxi_pad_params) + (size_t)nd * sizeof(int32_t), ins, 2, s);
        }
        mx_array_free(cv);
        return rc;
    }
    mx_array *x = mx_array_retain((mx_array *)a);
    for (int d = 0; !rc && d < nd; d++) {
        int32_t lo = params.low[d], h = hi[d];
        if (!lo && !h) continue;
        mx_array *next = NULL;
        if (m == PAD_EDGE || (m == PAD_REFLECT && a->shape[d] == 1))
            rc = pad_edge_axis(&next, x, d, lo, h, s);
        else
            rc = pad_mirror_axis(&next, x, d, lo, h, m == PAD_REFLECT, s);
        mx_array_free(x);
        x = next;
    }
    if (!rc)
        mxi_set_out(out, x);
    else
        mx_array_free(x);
    return rc;
}

int mx_pad_all(mx_array **out, const mx_array *a, int32_t low, int32_t high,
               const mx_array *pad_value, const char *mode, const mx_stream *s) {
    int rc = mxi_check_inputs("pad", out, &a, 1);
    if (rc) return rc;
    int32_t lo[MXI_MAX_NDIM], hi[MXI_MAX_NDIM];
    for (int d = 0; d < a->ndim; d++) lo[d] = low, hi[d] = high;
    return mx_pad(out, a, NULL, a->ndim, lo, hi, pad_value, mode, s);
}

/* ---- roll ---- */

/* Roll along one axis: the last `shift` (mod n) elements move to the front. */
static int roll_one(mx_array **out, const mx_array *x, int ax, int64_t shift, const mx_stream *s) {
    int32_t n = x->shape[ax];
    int64_t sh = n ? shift % n : 0;
    if (sh < 0) sh += n;
    if (sh == 0) {
        mxi_set_out(out, mx_array_retain((mx_array *)x));
        return MX_OK;
    }
    mx_array *head = NULL, *tail = NULL;
    int rc = slice1(&head, x, ax, 0, (int32_t)(n - sh), 1, s);
    if (!rc) rc = slice1(&tail, x, ax, (int32_t)(n - sh), n, 1, s);
    if (!rc) {
        const mx_array *parts[2] = {tail, head};
        rc = mx_concatenate(out, parts, 2, ax, s);
    }
    mx_array_free(head);
    mx_array_free(tail);
    return rc;
}

static int roll_flat(mx_array **out, const mx_array *a, int64_t shift, const mx_stream *s) {
    mx_array *flat = NULL, *rolled = NULL;
    int rc = mx_flatten(&flat, a, 0, -1, s);
    if (!rc) rc = roll_one(&rolled, flat, 0, shift, s);
    if (!rc) rc = mx_reshape(out, rolled, a->shape, a->ndim, s);
    mx_array_free(flat);
    mx_array_free(rolled);
    return rc;
}

int mx_roll(mx_array **out, const mx_array *a, int32_t shift, const mx_stream *s) {
    int rc = mxi_check_inputs("roll", out, &a, 1);
    if (rc) return rc;
    return roll_flat(out, a, shift, s);
}

int mx_roll_axes(mx_array **out, const mx_array *a, const int32_t *shifts, int nshifts,
                 const int *axes, int naxes, const mx_stream *s) {
    int rc = mxi_check_inputs("roll", out, &a, 1);
    if (rc) return rc;
    if (nshifts < 0 || (nshifts && !shifts))
        return mxi_error(MX_ERR_VALUE, "[roll] invalid shifts (count %d)", nshifts);
    if (!axes) {
        int64_t total = 0;
        for (int i = 0; i < nshifts; i++) total += shifts[i];
        return roll_flat(out, a, total, s);
    }
    if (nshifts < naxes)
        return mxi_error(MX_ERR_VALUE,
                         "[roll] At least one shift value per axis is required, %d provided for "
                         "%d axes.",
                         nshifts, naxes);
    for (int i = 0; i < naxes; i++)
        if (axes[i] < -a->ndim || axes[i] >= a->ndim)
            return mxi_error(MX_ERR_INDEX, "[roll] Invalid axis %d for array with %d dimensions.",
                             axes[i], a->ndim);
    mx_array *x = mx_array_retain((mx_array *)a);
    for (int i = 0; !rc && i < naxes; i++) {
        mx_array *next = NULL;
        rc = roll_one(&next, x, axes[i] < 0 ? axes[i] + a->ndim : axes[i], shifts[i], s);
        mx_array_free(x);
        x = next;
    }
    if (!rc)
        mxi_set_out(out, x);
    else
        mx_array_free(x);
    return rc;
}

int mx_roll_axis(mx_array **out, const mx_array *a, int32_t shift, int axis, const mx_stream *s) {
    return mx_roll_axes(out, a, &shift, 1, &axis, 1, s);
}
