/*
 * Indexing with MLX's rules: keys are parsed once (mxp_index_parse) into
 * one entry per source axis plus the Nones, which the read path here and the
 * update paths (array_at.c) share.
 *
 * a[key] with ints, slices, None and Ellipsis only is a view (mx_slice and
 * mx_reshape). Integer arrays (cmlx, NumPy or nested lists) make it a
 * gather: the slices are applied first, then one gather over the indexed
 * axes, where Python ints count as 0-d index arrays. As in NumPy and MLX the
 * broadcast index dimensions replace the indexed axes when the advanced
 * entries are next to each other, and go to the front otherwise (an
 * Ellipsis that stands for no axis does not separate them, as in MLX; NumPy
 * counts it). 0-d integer arrays act as ints (NumPy). Boolean masks are
 * refused on reads (MLX: the result's shape would depend on the data).
 */
#include "cmlx_py.h"

#include <string.h>

#include "convert.h"

static Py_ssize_t array_length(PyObject *self) {
    mx_array *a = mxp_arr(self);
    if (mx_array_ndim(a) == 0) {
        PyErr_SetString(PyExc_TypeError, "len() 0-dimensional array.");
        return -1;
    }
    return mx_array_shape(a)[0];
}

static int32_t clamp32(Py_ssize_t v) {
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

static int bad_type(void) {
    PyErr_SetString(PyExc_ValueError, "Cannot index mlx array using the given type.");
    return -1;
}

/* ---- parsing ---- */

/* What one item of the key is before axes are assigned. */
typedef enum { ITEM_NONE, ITEM_ELLIPSIS, ITEM_SLICE, ITEM_INT, ITEM_ARRAY, ITEM_MASK } item_kind;

typedef struct {
    item_kind kind;
    PyObject *obj;   /* borrowed: the slice */
    Py_ssize_t ival; /* ITEM_INT */
    mx_array *arr;   /* owned: ITEM_ARRAY, ITEM_MASK */
} item;

/* An integer array index from an mx array (borrowed), or a mask, or an int
 * for a 0-d integer array. */
static int classify_array(mx_array *a, item *it) {
    mx_dtype t = mx_array_dtype(a);
    if (t == MX_BOOL) {
        it->kind = ITEM_MASK;
        it->arr = mx_array_retain(a);
        return 0;
    }
    if (!mx_dtype_is_integer(t)) {
        PyErr_Format(PyExc_ValueError,
                     "Cannot index mlx array with indices of dtype %s: indices must be integral.",
                     mx_dtype_name(t));
        return -1;
    }
    if (mx_array_ndim(a) == 0 && mx_array_get_status(a) == MX_ARRAY_AVAILABLE) {
        /* a 0-d integer array is an int, as in NumPy; one not evaluated
         * (a transform's tracer) stays an array index, whose value the
         * graph reads when it runs */
        PyObject *v = mxp_item(a);
        if (!v) return -1;
        it->kind = ITEM_INT;
        it->ival = PyLong_AsSsize_t(v);
        if (it->ival == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            it->ival = PY_SSIZE_T_MAX; /* out of range for any axis */
        }
        Py_DECREF(v);
        return 0;
    }
    it->kind = ITEM_ARRAY;
    it->arr = mx_array_retain(a);
    return 0;
}

static int classify(PyObject *o, bool in_tuple, item *it) {
    it->obj = o;
    it->arr = NULL;
    if (o == Py_None) {
        it->kind = ITEM_NONE;
        return 0;
    }
    if (o == Py_Ellipsis) {
        it->kind = ITEM_ELLIPSIS;
        return 0;
    }
    if (PySlice_Check(o)) {
        it->kind = ITEM_SLICE;
        return 0;
    }
    if (PyBool_Check(o)) {
        /* alone, a 0-d mask: a[True] = v sets everything (MLX); reads refuse it */
        if (in_tuple) return bad_type();
        it->kind = ITEM_MASK;
        int rc = mx_array_from_bool(&it->arr, o == Py_True);
        return rc ? mxp_raise_int(rc) : 0;
    }
    if (PyLong_Check(o)) {
        it->kind = ITEM_INT;
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (v == -1 && PyErr_Occurred()) return -1;
        /* beyond 64 bits: out of range for any axis, with its sign */
        it->ival = overflow ? (overflow < 0 ? PY_SSIZE_T_MIN : PY_SSIZE_T_MAX) : (Py_ssize_t)v;
        return 0;
    }
    if (mxp_is_array(o)) return classify_array(mxp_arr(o), it);
    if (PyTuple_Check(o) && in_tuple) return bad_type(); /* as MLX: no nested tuples */
    if (PyList_Check(o) || PyObject_CheckBuffer(o)) {
        mx_array *a = mxp_to_array(o, MX_DTYPE_NONE);
        if (!a) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                return bad_type();
            }
            return -1;
        }
        /* [] converts to float32; as an index it means no elements */
        if (PyList_Check(o) && mx_array_size(a) == 0) a = mxp_cast(a, MX_INT32);
        if (!a) return -1;
        int r = classify_array(a, it);
        mx_array_free(a);
        return r;
    }
    if (PyIndex_Check(o)) {
        PyObject *v = PyNumber_Index(o);
        if (!v) {
            if (!PyErr_ExceptionMatches(PyExc_TypeError)) return -1;
            PyErr_Clear();
            return bad_type();
        }
        it->kind = ITEM_INT;
        it->ival = PyLong_AsSsize_t(v);
        if (it->ival == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            it->ival = PY_SSIZE_T_MAX;
        }
        Py_DECREF(v);
        return 0;
    }
    return bad_type();
}

void mxp_index_clear(mxp_index *ix) {
    for (int i = 0; i < ix->n; i++) {
        mx_array_free(ix->e[i].arr);
        ix->e[i].arr = NULL;
    }
    ix->n = 0;
    mx_array_free(ix->mask);
    ix->mask = NULL;
}

static int too_many_dims(void) {
    PyErr_Format(PyExc_ValueError, "arrays have at most %d dimensions", MXP_MAX_NDIM);
    return -1;
}

static void full_slice(mxp_ix_entry *e, int axis, int32_t dim) {
    e->kind = MXP_IX_SLICE;
    e->axis = axis;
    e->start = 0, e->stop = dim, e->step = 1, e->len = dim;
    e->arr = NULL;
}

int mxp_index_parse(const mx_array *a, PyObject *key, mxp_index *ix) {
    memset(ix, 0, sizeof *ix);
    PyObject *single[1] = {key};
    PyObject *const *objs = single;
    Py_ssize_t nobj = 1;
    bool tuple = PyTuple_Check(key);
    if (tuple) {
        objs = &PyTuple_GET_ITEM(key, 0);
        nobj = PyTuple_GET_SIZE(key);
    }
    if (nobj > MXP_MAX_INDEX) return too_many_dims();
    item items[MXP_MAX_INDEX];
    int nitems = 0, consumed = 0, ellipses = 0, nnone = 0, rc = 0;
    for (Py_ssize_t i = 0; i < nobj; i++, nitems++) {
        if (classify(objs[i], tuple, &items[i]) < 0) {
            rc = -1;
            break;
        }
        item_kind k = items[i].kind;
        if (k == ITEM_ELLIPSIS)
            ellipses++;
        else if (k == ITEM_NONE)
            nnone++;
        else if (k == ITEM_MASK && tuple) {
            nitems++;
            PyErr_SetString(PyExc_ValueError,
                            "boolean indices are only supported as the whole index of an "
                            "assignment (a[mask] = values)");
            rc = -1;
            break;
        } else
            consumed++;
    }
    if (rc < 0) goto done;
    int nd = mx_array_ndim(a);
    const int32_t *shape = mx_array_shape(a);
    if (!tuple && items[0].kind == ITEM_MASK) {
        ix->mask = items[0].arr;
        items[0].arr = NULL;
        goto done;
    }
    if (ellipses > 1) {
        PyErr_SetString(PyExc_ValueError, "An index can only have a single ellipsis (...)");
        rc = -1;
        goto done;
    }
    if (consumed > nd) {
        if (nd == 0)
            PyErr_SetString(PyExc_ValueError, "too many indices for array: array is 0-dimensional");
        else
            PyErr_Format(PyExc_ValueError, "Too many indices for array with %d dimensions.", nd);
        rc = -1;
        goto done;
    }
    if (nd + nnone > MXP_MAX_INDEX) {
        rc = too_many_dims();
        goto done;
    }
    int axis = 0;
    for (int i = 0; i < nitems; i++) {
        item *it = &items[i];
        mxp_ix_entry *e = &ix->e[ix->n];
        e->arr = NULL;
        e->axis = -1;
        switch (it->kind) {
        case ITEM_NONE:
            e->kind = MXP_IX_NONE;
            ix->n++;
            break;
        case ITEM_ELLIPSIS:
            for (int j = 0; j < nd - consumed; j++, axis++)
                full_slice(&ix->e[ix->n++], axis, shape[axis]);
            break;
        case ITEM_SLICE: {
            Py_ssize_t b, s, en;
            if (PySlice_Unpack(it->obj, &b, &en, &s) < 0) {
                if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                    PyErr_Clear();
                    PyErr_SetString(PyExc_ValueError, "Slice indices must be integers or None.");
                }
                rc = -1;
                goto done;
            }
            e->kind = MXP_IX_SLICE;
            e->axis = axis;
            e->start = clamp32(b), e->stop = clamp32(en), e->step = clamp32(s);
            e->len = (int32_t)PySlice_AdjustIndices(shape[axis], &b, &en, s);
            ix->n++, axis++;
            break;
        }
        case ITEM_INT: {
            Py_ssize_t v = it->ival, dim = shape[axis];
            if (v < -dim || v >= dim) {
                PyErr_Format(PyExc_IndexError,
                             "index %zd is out of bounds for axis %d with size %zd", v, axis, dim);
                rc = -1;
                goto done;
            }
            e->kind = MXP_IX_INT;
            e->axis = axis;
            e->start = (int32_t)(v < 0 ? v + dim : v);
            e->stop = e->start + 1, e->step = 1, e->len = 1;
            ix->n++, axis++;
            break;
        }
        default: /* ITEM_ARRAY */
            e->kind = MXP_IX_ARRAY;
            e->axis = axis;
            e->arr = it->arr;
            it->arr = NULL;
            ix->narrays++;
            ix->n++, axis++;
            break;
        }
    }
    for (; axis < nd; axis++) full_slice(&ix->e[ix->n++], axis, shape[axis]);
    /* With arrays, ints are advanced indices too; they stay together when
     * no slice or None comes between them. */
    int first = -1, last = -1, count = 0;
    for (int i = 0; i < ix->n && ix->narrays; i++)
        if (ix->e[i].kind == MXP_IX_ARRAY || ix->e[i].kind == MXP_IX_INT) {
            if (first < 0) first = i;
            last = i;
            count++;
        }
    ix->adjacent = count == last - first + 1;
    ix->first_adv = first;
done:
    for (int i = 0; i < nitems; i++) mx_array_free(items[i].arr);
    if (rc < 0) mxp_index_clear(ix);
    return rc;
}

bool mxp_index_slices(const mxp_index *ix, const int32_t *shape, int32_t *start, int32_t *stop,
                      int32_t *step) {
    bool trivial = true;
    for (int i = 0; i < ix->n; i++) {
        const mxp_ix_entry *e = &ix->e[i];
        int ax = e->axis;
        if (e->kind == MXP_IX_NONE) continue;
        if (e->kind == MXP_IX_ARRAY || (e->kind == MXP_IX_INT && ix->narrays)) {
            start[ax] = 0, stop[ax] = shape[ax], step[ax] = 1;
            continue;
        }
        start[ax] = e->start, stop[ax] = e->stop, step[ax] = e->step;
        if (e->kind == MXP_IX_INT || e->step != 1 || e->len != shape[ax]) trivial = false;
    }
    return trivial;
}

/* The broadcast shape of the advanced indices. -1 with an exception. */
static int adv_shape(const mxp_index *ix, int32_t *ishape) {
    const int32_t *shapes[MXP_MAX_INDEX];
    int ndims[MXP_MAX_INDEX], n = 0;
    static const int32_t none[1] = {0};
    for (int i = 0; i < ix->n; i++) {
        const mxp_ix_entry *e = &ix->e[i];
        if (e->kind == MXP_IX_ARRAY) {
            shapes[n] = mx_array_shape(e->arr);
            ndims[n++] = mx_array_ndim(e->arr);
        } else if (e->kind == MXP_IX_INT) {
            shapes[n] = none;
            ndims[n++] = 0;
        }
    }
    int nd = 0;
    int rc = mx_broadcast_shapes(ishape, &nd, shapes, ndims, n);
    return rc ? mxp_raise_int(rc) : nd;
}

int mxp_index_result_shape(const mxp_index *ix, int32_t *out, int32_t *ishape, int *ind) {
    int nout = 0, ni = 0;
    if (ix->narrays) {
        ni = adv_shape(ix, ishape);
        if (ni < 0) return -1;
        if (!ix->adjacent) {
            memcpy(out, ishape, (size_t)ni * sizeof *out);
            nout = ni;
        }
    }
    for (int i = 0; i < ix->n; i++) {
        const mxp_ix_entry *e = &ix->e[i];
        if ((e->kind == MXP_IX_NONE || e->kind == MXP_IX_SLICE) && nout >= MXP_MAX_NDIM)
            return too_many_dims();
        if (e->kind == MXP_IX_NONE)
            out[nout++] = 1;
        else if (e->kind == MXP_IX_SLICE)
            out[nout++] = e->len;
        else if (ix->narrays && ix->adjacent && i == ix->first_adv) {
            if (nout + ni > MXP_MAX_NDIM) return too_many_dims();
            memcpy(out + nout, ishape, (size_t)ni * sizeof *out);
            nout += ni;
        }
    }
    if (ind) *ind = ni;
    return nout;
}

/* The advanced indices as index arrays and their axes (ints become 0-d
 * int32 arrays). The caller frees idx[0..k). Returns k or -1. */
int mxp_index_arrays(const mxp_index *ix, mx_array **idx, int *axes) {
    int k = 0;
    for (int i = 0; i < ix->n; i++) {
        const mxp_ix_entry *e = &ix->e[i];
        if (e->kind == MXP_IX_ARRAY) {
            idx[k] = mx_array_retain(e->arr);
            axes[k++] = e->axis;
        } else if (e->kind == MXP_IX_INT) {
            idx[k] = NULL;
            int rc = mx_array_from_int(&idx[k], e->start, MX_INT32);
            if (rc) {
                for (int j = 0; j < k; j++) mx_array_free(idx[j]);
                return mxp_raise_int(rc);
            }
            axes[k++] = e->axis;
        }
    }
    return k;
}

int mxp_index_kept_axes(const mxp_index *ix, int *axes, int *before) {
    int ns = 0, q = 0;
    for (int i = 0; i < ix->n; i++) {
        const mxp_ix_entry *e = &ix->e[i];
        if (e->kind != MXP_IX_SLICE) continue;
        if (i < ix->first_adv) q++;
        axes[ns++] = e->axis;
    }
    *before = q;
    return ns;
}

/* ---- a[key] ---- */

static mx_array *take_step(mx_array *cur, int rc, mx_array *next) {
    mx_array_free(cur);
    if (rc) return (mx_array *)mxp_raise(rc);
    return next;
}

static mx_array *reshape_to(mx_array *cur, const int32_t *shape, int nd) {
    if (!cur) return NULL;
    if (mx_array_ndim(cur) == nd && !memcmp(mx_array_shape(cur), shape, (size_t)nd * sizeof *shape))
        return cur;
    mx_array *next = NULL;
    int rc = mx_reshape(&next, cur, shape, nd, NULL);
    return take_step(cur, rc, next);
}

static mx_array *get_item(mx_array *a, PyObject *key) {
    mxp_index ix;
    if (mxp_index_parse(a, key, &ix) < 0) return NULL;
    mx_array *cur = NULL, *next = NULL;
    int nd = mx_array_ndim(a);
    int32_t start[MXP_MAX_NDIM], stop[MXP_MAX_NDIM], step[MXP_MAX_NDIM];
    int32_t rshape[MXP_MAX_NDIM], ishape[MXP_MAX_NDIM];
    int rnd, ind = 0, rc;
    if (ix.mask) {
        PyErr_SetString(PyExc_ValueError, "boolean indices are not yet supported");
        goto fail;
    }
    rnd = mxp_index_result_shape(&ix, rshape, ishape, &ind);
    if (rnd < 0) goto fail;
    cur = mx_array_retain(a);
    if (!mxp_index_slices(&ix, mx_array_shape(a), start, stop, step)) {
        rc = mx_slice(&next, cur, start, stop, step, nd, NULL);
        cur = take_step(cur, rc, next);
        if (!cur) goto fail;
    }
    if (ix.narrays) {
        mx_array *idx[MXP_MAX_NDIM];
        int axes[MXP_MAX_NDIM];
        int k = mxp_index_arrays(&ix, idx, axes);
        if (k < 0) goto fail;
        int32_t sizes[MXP_MAX_NDIM];
        memcpy(sizes, mx_array_shape(cur), (size_t)nd * sizeof *sizes);
        for (int i = 0; i < k; i++) sizes[axes[i]] = 1;
        next = NULL;
        rc = mx_gather(&next, cur, (const mx_array *const *)idx, k, axes, k, sizes, nd, NULL);
        for (int i = 0; i < k; i++) mx_array_free(idx[i]);
        cur = take_step(cur, rc, next);
        if (!cur) goto fail;
        /* gather gives I + the kept axes (1 on the indexed ones) */
        int kept[MXP_MAX_NDIM], q;
        int ns = mxp_index_kept_axes(&ix, kept, &q);
        int32_t gshape[2 * MXP_MAX_NDIM];
        if (ind + ns > MXP_MAX_NDIM) {
            too_many_dims();
            goto fail;
        }
        memcpy(gshape, ishape, (size_t)ind * sizeof *gshape);
        for (int i = 0; i < ns; i++) gshape[ind + i] = sizes[kept[i]];
        cur = reshape_to(cur, gshape, ind + ns);
        if (!cur) goto fail;
        if (ix.adjacent && q > 0 && ind > 0) {
            int perm[MXP_MAX_NDIM], p = 0;
            for (int i = 0; i < q; i++) perm[p++] = ind + i;
            for (int i = 0; i < ind; i++) perm[p++] = i;
            for (int i = q; i < ns; i++) perm[p++] = ind + i;
            next = NULL;
            rc = mx_transpose(&next, cur, perm, p, NULL);
            cur = take_step(cur, rc, next);
            if (!cur) goto fail;
        }
    }
    cur = reshape_to(cur, rshape, rnd);
    if (!cur) goto fail;
    mxp_index_clear(&ix);
    return cur;
fail:
    mx_array_free(cur);
    mxp_index_clear(&ix);
    return NULL;
}

PyObject *mxp_array_subscript(PyObject *self, PyObject *key) {
    return mxp_array_wrap(get_item(mxp_arr(self), key));
}

/* a[key] = value: the array object takes the updated copy (views taken
 * before keep their values, as arrays are values in MLX). */
static int array_ass_subscript(PyObject *self, PyObject *key, PyObject *value) {
    if (!value) {
        PyErr_SetString(PyExc_AttributeError, "__delitem__"); /* as MLX */
        return -1;
    }
    mx_array *out = mxp_index_update(mxp_arr(self), key, value, MXP_UPDATE_SET);
    if (!out) return -1;
    mxp_array_replace(self, out);
    return 0;
}

PyMappingMethods mxp_array_as_mapping = {
    .mp_length = array_length,
    .mp_subscript = mxp_array_subscript,
    .mp_ass_subscript = array_ass_subscript,
};

/* ---- iteration over the first axis ---- */

typedef struct {
    PyObject_HEAD mx_array *arr;
    int32_t index, n;
} array_iterator;

PyObject *mxp_array_iter(PyObject *self) {
    mx_array *a = mxp_arr(self);
    if (mx_array_ndim(a) == 0) {
        PyErr_SetString(PyExc_TypeError, "iter() 0-dimensional array.");
        return NULL;
    }
    array_iterator *it = PyObject_New(array_iterator, &mxp_array_iterator_type);
    if (!it) return NULL;
    it->arr = mx_array_retain(a);
    it->index = 0;
    it->n = mx_array_shape(a)[0];
    return (PyObject *)it;
}

static PyObject *iter_next(PyObject *self) {
    array_iterator *it = (array_iterator *)self;
    if (it->index >= it->n) return NULL;
    mx_array *a = it->arr;
    int nd = mx_array_ndim(a);
    const int32_t *shape = mx_array_shape(a);
    int32_t start[MXP_MAX_NDIM], stop[MXP_MAX_NDIM];
    memset(start, 0, sizeof start);
    memcpy(stop, shape, (size_t)nd * sizeof *stop);
    start[0] = it->index, stop[0] = it->index + 1;
    it->index++;
    mx_array *row = NULL, *out = NULL;
    int rc = mx_slice(&row, a, start, stop, NULL, nd, NULL);
    if (!rc) rc = mx_reshape(&out, row, shape + 1, nd - 1, NULL);
    mx_array_free(row);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

static void iter_dealloc(PyObject *self) {
    mx_array_free(((array_iterator *)self)->arr);
    PyObject_Free(self);
}

PyTypeObject mxp_array_iterator_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.ArrayIterator",
    .tp_basicsize = sizeof(array_iterator),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A helper object to iterate over the first dimension of an array.",
    .tp_dealloc = iter_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = iter_next,
};
