/*
 * unique with a static output size, composed as MLX does: a stable argsort
 * groups equal elements, a cumulative sum of "differs from the previous
 * element" numbers the groups, and searchsorted over those numbers finds
 * where each group starts and ends. Nothing is evaluated while building.
 */
#include "ops_util.h"

#define UQ "[unique]"

typedef struct {
    mx_array *values, *index, *inverse, *counts;
} uq_out;

static void uq_free(uq_out *o) {
    mx_array_free(o->values);
    mx_array_free(o->index);
    mx_array_free(o->inverse);
    mx_array_free(o->counts);
}

/* An empty a: every output is padding. */
static int uq_empty(uq_out *o, const mx_array *a, int size, const mx_array *fill,
                    const mx_stream *s) {
    int32_t n = size;
    mx_array *f = NULL;
    int rc = mx_reshape(&f, fill, NULL, 0, s);
    if (!rc) rc = mx_astype(&f, f, a->dtype, s);
    if (!rc) rc = mx_full(&o->values, &n, 1, f, a->dtype, s);
    if (!rc) rc = mx_zeros(&o->index, &n, 1, MX_UINT32, s);
    if (!rc) rc = mx_zeros(&o->inverse, a->shape, a->ndim, MX_UINT32, s);
    if (!rc) rc = mx_zeros(&o->counts, &n, 1, MX_INT32, s);
    mx_array_free(f);
    return rc;
}

static int uq_build(uq_out *o, const mx_array *a, int size, const mx_array *fill,
                    const mx_stream *s) {
    int32_t n = (int32_t)mx_array_size(a), m1 = n - 1;
    mx_array *flat = NULL, *order = NULL, *sorted = NULL, *lo = NULL, *hi = NULL, *isnew = NULL;
    mx_array *gid = NULL, *j = NULL, *start = NULL, *end = NULL, *valid = NULL, *c = NULL;
    mx_array *f = NULL, *first = NULL, *tmp = NULL;
    int32_t zero = 0, one = 1, nn = n;
    int rc = mx_reshape(&flat, a, &nn, 1, s);
    if (!rc) rc = mx_argsort(&order, flat, s);
    if (!rc) rc = mx_take(&sorted, flat, order, s);
    /* isnew[i] = i == 0 || sorted[i] != sorted[i - 1] */
    if (!rc) rc = mx_slice(&lo, sorted, &zero, &m1, &one, 1, s);
    if (!rc) rc = mx_slice(&hi, sorted, &one, &nn, &one, 1, s);
    if (!rc) rc = mx_not_equal(&isnew, hi, lo, s);
    if (!rc) rc = mx_array_from_bool(&c, true);
    if (!rc) rc = mx_reshape(&c, c, &one, 1, s);
    if (!rc) {
        const mx_array *parts[2] = {c, isnew};
        rc = mx_concatenate(&isnew, parts, 2, 0, s);
    }
    /* gid[i]: the group of sorted[i], 0-based. */
    if (!rc) rc = mx_cumsum_axis(&gid, isnew, 0, false, true, MX_INT32, s);
    if (!rc) rc = mx_array_from_int(&c, 1, MX_INT32);
    if (!rc) rc = mx_subtract(&gid, gid, c, s);
    if (!rc) rc = mx_arange(&j, 0, size, 1, MX_INT32, s);
    if (!rc) rc = mx_searchsorted(&start, gid, j, "left", s);
    if (!rc) rc = mx_searchsorted(&end, gid, j, "right", s);
    if (!rc && o->counts) {
        rc = mx_subtract(&o->counts, end, start, s);
        if (!rc) rc = mx_astype(&o->counts, o->counts, MX_INT32, s);
    }
    if (!rc) rc = mx_greater(&valid, end, start, s);
    /* start clamped to the last element: the padding reads something real. */
    if (!rc) rc = mx_array_from_int(&c, m1, MX_UINT32);
    if (!rc) rc = mx_minimum(&start, start, c, s);
    if (!rc && o->values) {
        if (fill) {
            rc = mx_reshape(&f, fill, NULL, 0, s);
            if (!rc) rc = mx_astype(&f, f, a->dtype, s);
        } else {
            rc = mx_take_index(&f, sorted, 0, s);
        }
        if (!rc) rc = mx_take(&tmp, sorted, start, s);
        if (!rc) rc = mx_where(&o->values, valid, tmp, f, s);
    }
    if (!rc && o->index) {
        rc = mx_take_index(&first, order, 0, s);
        if (!rc) rc = mx_take(&tmp, order, start, s);
        if (!rc) rc = mx_where(&o->index, valid, tmp, first, s);
    }
    if (!rc && o->inverse) {
        /* The group of each element, clamped into the output, put back in
         * a's order through the inverse permutation argsort(order). */
        mx_array *z = NULL, *top = NULL, *back = NULL;
        rc = mx_array_from_int(&z, 0, MX_INT32);
        if (!rc) rc = mx_array_from_int(&top, size - 1, MX_INT32);
        if (!rc) rc = mx_minimum(&gid, gid, top, s);
        if (!rc) rc = mx_maximum(&gid, gid, z, s);
        if (!rc) rc = mx_astype(&gid, gid, MX_UINT32, s);
        if (!rc) rc = mx_argsort(&back, order, s);
        if (!rc) rc = mx_take(&tmp, gid, back, s);
        if (!rc) rc = mx_reshape(&o->inverse, tmp, a->shape, a->ndim, s);
        mx_array_free(z);
        mx_array_free(top);
        mx_array_free(back);
    }
    mx_array *all[] = {flat,  order, sorted, lo, hi, isnew, gid, j,
                       start, end,   valid,  c,  f,  first, tmp};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_array_free(all[i]);
    return rc;
}

int mx_unique(mx_array **values, mx_array **index, mx_array **inverse, mx_array **counts,
              const mx_array *a, int size, const mx_array *fill_value, const mx_stream *s) {
    if (!a) return mxi_error(MX_ERR_VALUE, UQ " input is NULL");
    if (!values && !index && !inverse && !counts)
        return mxi_error(MX_ERR_VALUE, UQ " every output pointer is NULL");
    if (size < 0) return mxi_error(MX_ERR_VALUE, UQ " Received negative size %d.", size);
    if (fill_value && mx_array_size(fill_value) != 1) {
        char b[MXI_SHAPE_STR_LEN];
        return mxi_error(MX_ERR_VALUE, UQ " Fill value must have one element, but got shape %s.",
                         mxi_shape_str(b, sizeof b, fill_value->shape, fill_value->ndim));
    }
    size_t n = mx_array_size(a);
    if (n > INT32_MAX) return mxi_error(MX_ERR_VALUE, UQ " input too large");
    if (n == 0 && size > 0 && !fill_value)
        return mxi_error(MX_ERR_VALUE,
                         UQ " A fill value is required for an empty input with a non-zero size.");
    /* Placeholders mark which outputs to build. */
    uq_out o = {0};
    int rc = MX_OK;
    mx_array *mark = NULL;
    rc = mx_array_from_bool(&mark, false);
    if (rc) return rc;
    if (values) o.values = mx_array_retain(mark);
    if (index) o.index = mx_array_retain(mark);
    if (inverse) o.inverse = mx_array_retain(mark);
    if (counts) o.counts = mx_array_retain(mark);
    mx_array_free(mark);
    if (n == 0 && size > 0) {
        rc = uq_empty(&o, a, size, fill_value, s);
    } else if (n == 0) {
        int32_t z = 0;
        rc = mx_zeros(&o.values, &z, 1, a->dtype, s);
        if (!rc) rc = mx_zeros(&o.index, &z, 1, MX_UINT32, s);
        if (!rc) rc = mx_zeros(&o.inverse, a->shape, a->ndim, MX_UINT32, s);
        if (!rc) rc = mx_zeros(&o.counts, &z, 1, MX_INT32, s);
    } else {
        rc = uq_build(&o, a, size, fill_value, s);
    }
    if (rc) {
        uq_free(&o);
        return rc;
    }
    mx_array **dst[4] = {values, index, inverse, counts};
    mx_array *src[4] = {o.values, o.index, o.inverse, o.counts};
    for (int i = 0; i < 4; i++) {
        if (dst[i]) {
            mx_array_free(*dst[i]);
            *dst[i] = src[i];
        } else {
            mx_array_free(src[i]);
        }
    }
    return MX_OK;
}
