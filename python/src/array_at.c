/*
 * Indexed updates: a[key] = value and a.at[key].add(value) and friends.
 *
 * Keys without arrays update through mx_slice_update (and its reducing
 * forms). Keys with integer arrays scatter: the slices of the key are cut
 * out first, the scatter runs on that block over the advanced axes (ints as
 * 0-d index arrays), and the block is written back with slice_update, so a
 * slice of any step costs no index arrays. A boolean array as the whole key
 * of an assignment is mx_masked_scatter.
 *
 * The value is cast to the array's dtype (a Python scalar is weak: it takes
 * the array's dtype, and an int that does not fit raises, as in MLX), then
 * broadcast to the shape a[key] has, after dropping leading size-1 axes it
 * has beyond that shape (NumPy's rule). subtract and divide add the negation
 * and multiply by the reciprocal, as MLX does: the reciprocal of an integer
 * value is taken in floating point, then cast back.
 */
#include "cmlx_py.h"

#include <string.h>

#include "convert.h"

typedef int (*scatter_fn)(mx_array **, const mx_array *, const mx_array *const *, int,
                          const mx_array *, const int *, int, const mx_stream *);
typedef int (*slice_update_fn)(mx_array **, const mx_array *, const mx_array *, const int32_t *,
                               const int32_t *, const int32_t *, int, const mx_stream *);

static scatter_fn scatter_of(mxp_update_op op) {
    switch (op) {
    case MXP_UPDATE_SET:
        return mx_scatter;
    case MXP_UPDATE_ADD:
    case MXP_UPDATE_SUBTRACT:
        return mx_scatter_add;
    case MXP_UPDATE_MULTIPLY:
    case MXP_UPDATE_DIVIDE:
        return mx_scatter_prod;
    case MXP_UPDATE_MAXIMUM:
        return mx_scatter_max;
    default:
        return mx_scatter_min;
    }
}

static slice_update_fn slice_update_of(mxp_update_op op) {
    switch (op) {
    case MXP_UPDATE_SET:
        return mx_slice_update;
    case MXP_UPDATE_ADD:
    case MXP_UPDATE_SUBTRACT:
        return mx_slice_update_add;
    case MXP_UPDATE_MULTIPLY:
    case MXP_UPDATE_DIVIDE:
        return mx_slice_update_prod;
    case MXP_UPDATE_MAXIMUM:
        return mx_slice_update_max;
    default:
        return mx_slice_update_min;
    }
}

/* Replaces *cur by *next, the result of a call that returned rc (read
 * through a pointer: the call is another argument, evaluated in any order),
 * or frees it when the call failed. */
static int step(mx_array **cur, int rc, mx_array *const *next) {
    mx_array_free(*cur);
    *cur = rc ? NULL : *next;
    return rc ? mxp_raise_int(rc) : 0;
}

static int reshape_to(mx_array **cur, const int32_t *shape, int nd) {
    if (mx_array_ndim(*cur) == nd &&
        !memcmp(mx_array_shape(*cur), shape, (size_t)nd * sizeof *shape))
        return 0;
    mx_array *next = NULL;
    return step(cur, mx_reshape(&next, *cur, shape, nd, NULL), &next);
}

/* The value as an array of dtype t, with the op's transformation. */
static mx_array *to_value(PyObject *v, mx_dtype t, mxp_update_op op) {
    mx_array *u;
    if (PyBool_Check(v) || PyLong_Check(v) || PyFloat_Check(v) || PyComplex_Check(v))
        u = mxp_to_array_weak(v, t, NULL);
    else if (mxp_is_array(v))
        u = mx_array_retain(mxp_arr(v));
    else /* lists and NumPy arrays convert straight to the array's dtype */
        u = mxp_to_array(v, t);
    if (!u) return NULL;
    if (op == MXP_UPDATE_SUBTRACT || op == MXP_UPDATE_DIVIDE) {
        mx_array *w = NULL;
        int rc = op == MXP_UPDATE_SUBTRACT ? mx_negative(&w, u, NULL) : mx_reciprocal(&w, u, NULL);
        if (step(&u, rc, &w) < 0) return NULL;
    }
    return mxp_cast(u, t);
}

/* v broadcast to shape (consuming v): leading size-1 axes beyond its length
 * are dropped first. */
static int fit_value(mx_array **v, const int32_t *shape, int nd) {
    int vnd = mx_array_ndim(*v), skip = 0;
    const int32_t *vs = mx_array_shape(*v);
    while (vnd - skip > nd && vs[skip] == 1) skip++;
    if (skip) {
        int32_t s[MXP_MAX_NDIM];
        memcpy(s, vs + skip, (size_t)(vnd - skip) * sizeof *s);
        if (reshape_to(v, s, vnd - skip) < 0) return -1;
    }
    mx_array *next = NULL;
    return step(v, mx_broadcast_to(&next, *v, shape, nd, NULL), &next);
}

/* Keys without arrays: one slice_update. v has a[key]'s shape. */
static mx_array *update_basic(mx_array *a, const mxp_index *ix, mx_array *v, mxp_update_op op) {
    int nd = mx_array_ndim(a);
    int32_t start[MXP_MAX_NDIM], stop[MXP_MAX_NDIM], stride[MXP_MAX_NDIM], ushape[MXP_MAX_NDIM];
    mxp_index_slices(ix, mx_array_shape(a), start, stop, stride);
    for (int i = 0; i < ix->n; i++)
        if (ix->e[i].kind != MXP_IX_NONE) ushape[ix->e[i].axis] = ix->e[i].len;
    if (reshape_to(&v, ushape, nd) < 0) return NULL;
    mx_array *out = NULL;
    int rc = slice_update_of(op)(&out, a, v, start, stop, stride, nd, NULL);
    mx_array_free(v);
    return rc ? (mx_array *)mxp_raise(rc) : out;
}

/* Keys with arrays. v has a[key]'s shape; ishape/ind: the index shape. */
static mx_array *update_advanced(mx_array *a, const mxp_index *ix, mx_array *v,
                                 const int32_t *ishape, int ind, mxp_update_op op) {
    int nd = mx_array_ndim(a);
    const int32_t *shape = mx_array_shape(a);
    int32_t start[MXP_MAX_NDIM], stop[MXP_MAX_NDIM], stride[MXP_MAX_NDIM];
    bool whole = mxp_index_slices(ix, shape, start, stop, stride);
    mx_array *block = NULL, *out = NULL, *idx[MXP_MAX_NDIM];
    int axes[MXP_MAX_NDIM], kept[MXP_MAX_NDIM], q, k = 0, rc = 0;
    int ns = mxp_index_kept_axes(ix, kept, &q);
    int32_t lens[MXP_MAX_NDIM], tmp[2 * MXP_MAX_NDIM];
    for (int i = 0; i < ix->n; i++)
        if (ix->e[i].kind == MXP_IX_SLICE) lens[ix->e[i].axis] = ix->e[i].len;
    if (ind + ns > MXP_MAX_NDIM || ind + nd > MXP_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "arrays have at most %d dimensions", MXP_MAX_NDIM);
        goto fail;
    }
    /* v: drop the Nones, bring the index dimensions to the front */
    int p = 0;
    if (!ix->adjacent) {
        memcpy(tmp, ishape, (size_t)ind * sizeof *tmp);
        p = ind;
    }
    for (int i = 0; i < ns; i++) {
        if (ix->adjacent && i == q) {
            memcpy(tmp + p, ishape, (size_t)ind * sizeof *tmp);
            p += ind;
        }
        tmp[p++] = lens[kept[i]];
    }
    if (ix->adjacent && q == ns) {
        memcpy(tmp + p, ishape, (size_t)ind * sizeof *tmp);
        p += ind;
    }
    if (reshape_to(&v, tmp, p) < 0) goto fail;
    if (ix->adjacent && q > 0 && ind > 0) {
        int perm[MXP_MAX_NDIM], j = 0;
        for (int i = 0; i < ind; i++) perm[j++] = q + i;
        for (int i = 0; i < q; i++) perm[j++] = i;
        for (int i = q + ind; i < p; i++) perm[j++] = i;
        mx_array *next = NULL;
        if (step(&v, mx_transpose(&next, v, perm, p, NULL), &next) < 0) goto fail;
    }
    /* then the updates' shape: I, then the block with 1 on indexed axes */
    memcpy(tmp, ishape, (size_t)ind * sizeof *tmp);
    for (int i = 0; i < nd; i++) tmp[ind + i] = 1;
    for (int i = 0; i < ns; i++) tmp[ind + kept[i]] = lens[kept[i]];
    if (reshape_to(&v, tmp, ind + nd) < 0) goto fail;

    block = mx_array_retain(a);
    if (!whole) {
        mx_array *next = NULL;
        if (step(&block, mx_slice(&next, a, start, stop, stride, nd, NULL), &next) < 0) goto fail;
    }
    k = mxp_index_arrays(ix, idx, axes);
    if (k < 0) {
        k = 0;
        goto fail;
    }
    mx_array *next = NULL;
    rc = scatter_of(op)(&next, block, (const mx_array *const *)idx, k, v, axes, k, NULL);
    if (step(&block, rc, &next) < 0) goto fail;
    if (whole) {
        out = block;
        block = NULL;
    } else {
        rc = mx_slice_update(&out, a, block, start, stop, stride, nd, NULL);
        if (rc) mxp_raise(rc);
    }
fail:
    for (int i = 0; i < k; i++) mx_array_free(idx[i]);
    mx_array_free(block);
    mx_array_free(v);
    return out;
}

mx_array *mxp_index_update(mx_array *a, PyObject *key, PyObject *value, mxp_update_op op) {
    mxp_index ix;
    if (mxp_index_parse(a, key, &ix) < 0) return NULL;
    mx_array *out = NULL, *v = NULL;
    if (ix.mask && op != MXP_UPDATE_SET) {
        PyErr_SetString(PyExc_ValueError,
                        "boolean masks are only supported in assignments (a[mask] = values)");
        goto done;
    }
    v = to_value(value, mx_array_dtype(a), op);
    if (!v) goto done;
    if (ix.mask) {
        int rc = mx_masked_scatter(&out, a, ix.mask, v, NULL);
        if (rc) mxp_raise(rc);
        mx_array_free(v);
        goto done;
    }
    int32_t rshape[MXP_MAX_NDIM], ishape[MXP_MAX_NDIM];
    int ind = 0;
    int rnd = mxp_index_result_shape(&ix, rshape, ishape, &ind);
    if (rnd < 0 || fit_value(&v, rshape, rnd) < 0) {
        mx_array_free(v);
        goto done;
    }
    out = ix.narrays ? update_advanced(a, &ix, v, ishape, ind, op) : update_basic(a, &ix, v, op);
done:
    mxp_index_clear(&ix);
    return out;
}

/* ---- ArrayAt ---- */

typedef struct {
    PyObject_HEAD mx_array *arr; /* the array when .at was read (owned) */
    PyObject *key;               /* NULL until subscripted */
} array_at;

static PyObject *at_new(mx_array *a, PyObject *key) {
    array_at *o = PyObject_New(array_at, &mxp_array_at_type);
    if (!o) return NULL;
    o->arr = mx_array_retain(a);
    o->key = Py_XNewRef(key);
    return (PyObject *)o;
}

PyObject *mxp_array_at(PyObject *self, void *closure) {
    (void)closure;
    return at_new(mxp_arr(self), NULL);
}

static void at_dealloc(PyObject *self) {
    array_at *o = (array_at *)self;
    mx_array_free(o->arr);
    Py_XDECREF(o->key);
    PyObject_Free(self);
}

static PyObject *at_subscript(PyObject *self, PyObject *key) {
    return at_new(((array_at *)self)->arr, key);
}

static PyObject *at_apply(PyObject *self, PyObject *args, PyObject *kw, mxp_update_op op,
                          const char *fmt) {
    static char *names[] = {"value", NULL};
    PyObject *value;
    if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, names, &value)) return NULL;
    array_at *o = (array_at *)self;
    if (!o->key) {
        PyErr_SetString(PyExc_ValueError, "Must give indices to array.at (e.g. `x.at[0].add(4)`).");
        return NULL;
    }
    return mxp_array_wrap(mxp_index_update(o->arr, o->key, value, op));
}

#define AT_METHOD(name, op)                                                                        \
    static PyObject *at_##name(PyObject *self, PyObject *args, PyObject *kw) {                     \
        return at_apply(self, args, kw, op, "O:" #name);                                           \
    }
AT_METHOD(add, MXP_UPDATE_ADD)
AT_METHOD(subtract, MXP_UPDATE_SUBTRACT)
AT_METHOD(multiply, MXP_UPDATE_MULTIPLY)
AT_METHOD(divide, MXP_UPDATE_DIVIDE)
AT_METHOD(maximum, MXP_UPDATE_MAXIMUM)
AT_METHOD(minimum, MXP_UPDATE_MINIMUM)

#define AT_DEF(name, doc)                                                                          \
    {                                                                                              \
#name, (PyCFunction)(void (*)(void))at_##name, METH_VARARGS | METH_KEYWORDS,               \
            #name "($self, /, value)\n--\n\n" doc                                                  \
    }

static PyMethodDef at_methods[] = {
    AT_DEF(add, "A copy of the array with value added at the indices (repeated indices add up)."),
    AT_DEF(subtract, "A copy of the array with value subtracted at the indices."),
    AT_DEF(multiply, "A copy of the array multiplied by value at the indices."),
    AT_DEF(divide, "A copy of the array divided by value at the indices (multiplied by its "
                   "reciprocal cast to the array's dtype, as MLX)."),
    AT_DEF(maximum, "A copy of the array with the maximum of it and value at the indices."),
    AT_DEF(minimum, "A copy of the array with the minimum of it and value at the indices."),
    {NULL, NULL, 0, NULL},
};

static PyMappingMethods at_mapping = {.mp_subscript = at_subscript};

PyTypeObject mxp_array_at_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.ArrayAt",
    .tp_basicsize = sizeof(array_at),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A helper object to apply updates at specific indices: ``a.at[idx].add(v)`` is a "
              "copy of ``a`` with ``v`` added at ``idx``, repeated indices accumulating.",
    .tp_dealloc = at_dealloc,
    .tp_as_mapping = &at_mapping,
    .tp_methods = at_methods,
};
