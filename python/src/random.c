/*
 * cmlx.core.random: the samplers whose arguments no generic kind fits
 * (scalar-or-array loc/scale, shape=None meaning "from p", the three forms of
 * categorical and permutation), seed and key, and `random.state`, the
 * global key as MLX exposes it: a one-element sequence whose item 0 is the
 * current key (and may be assigned to restore a saved key).
 */
#include "cmlx_py.h"

static PyObject *result(int rc, mx_array *out) {
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

static int opt_key(PyObject *o, mx_array **key) {
    *key = NULL;
    if (o == Py_None) return 0;
    *key = mxp_to_array(o, MX_DTYPE_NONE);
    return *key ? 0 : -1;
}

/* A seed as MLX takes it: an int (or bool) in [0, 2^64); TypeError
 * otherwise, as MLX's uint64 argument. */
static int seed_value(PyObject *o, uint64_t *seed) {
    if (!PyLong_Check(o) && !(PyIndex_Check(o) && !PyFloat_Check(o) && !mxp_is_array(o))) {
        PyErr_Format(PyExc_TypeError, "seed must be an int, got %s", Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *i = PyNumber_Index(o);
    if (!i) return -1;
    unsigned long long v = PyLong_AsUnsignedLongLong(i);
    Py_DECREF(i);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_SetString(PyExc_TypeError, "seed must be an int in [0, 2**64)");
        return -1;
    }
    *seed = v;
    return 0;
}

PyObject *mxp_op_random_seed(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    uint64_t seed;
    if (seed_value(slots[0], &seed) < 0) return NULL;
    int rc = mx_random_seed(seed);
    if (rc) return mxp_raise(rc);
    Py_RETURN_NONE;
}

PyObject *mxp_op_random_key(PyObject *const *slots, const mx_stream *s) {
    (void)s;
    uint64_t seed;
    if (seed_value(slots[0], &seed) < 0) return NULL;
    mx_array *out = NULL;
    int rc = mx_random_key(&out, seed);
    return result(rc, out);
}

/* A shape, or None -> -2 when allowed. */
static int shape_arg(PyObject *o, int32_t *shape, bool none_ok) {
    if (none_ok && o == Py_None) return -2;
    if (mxp_is_intlike(o)) { /* MLX's samplers take sequences only */
        PyErr_Format(PyExc_TypeError, "shape must be a sequence of ints, got %s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    return mxp_to_shape(o, shape, "shape");
}

/* normal(shape, dtype, loc, scale, key) */
PyObject *mxp_op_random_normal(PyObject *const *slots, const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = shape_arg(slots[0], shape, false);
    mx_dtype t;
    if (nd < 0 || mxp_to_dtype(slots[1], &t, true) < 0) return NULL;
    if (t == MX_DTYPE_NONE) t = MX_FLOAT32;
    mx_array *loc = NULL, *scale = NULL, *key = NULL, *out = NULL;
    int rc = -1;
    if (slots[2] != Py_None && !(loc = mxp_to_array(slots[2], MX_DTYPE_NONE))) goto done;
    if (slots[3] != Py_None && !(scale = mxp_to_array(slots[3], MX_DTYPE_NONE))) goto done;
    if (opt_key(slots[4], &key) < 0) goto done;
    rc = mx_random_normal(&out, shape, nd, t, loc, scale, key, s);
done:
    mx_array_free(loc);
    mx_array_free(scale);
    mx_array_free(key);
    return rc < 0 ? NULL : result(rc, out);
}

/* laplace(shape, dtype, loc: float, scale: float, key) */
PyObject *mxp_op_random_laplace(PyObject *const *slots, const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = shape_arg(slots[0], shape, false);
    mx_dtype t;
    if (nd < 0 || mxp_to_dtype(slots[1], &t, true) < 0) return NULL;
    double loc = PyFloat_AsDouble(slots[2]);
    if (loc == -1.0 && PyErr_Occurred()) return NULL;
    double scale = PyFloat_AsDouble(slots[3]);
    if (scale == -1.0 && PyErr_Occurred()) return NULL;
    mx_array *key, *out = NULL;
    if (opt_key(slots[4], &key) < 0) return NULL;
    int rc = mx_random_laplace(&out, shape, nd, t == MX_DTYPE_NONE ? MX_FLOAT32 : t, (float)loc,
                               (float)scale, key, s);
    mx_array_free(key);
    return result(rc, out);
}

/* bernoulli(p=0.5, shape=None, key): a scalar p is float32 as in MLX. */
PyObject *mxp_op_random_bernoulli(PyObject *const *slots, const mx_stream *s) {
    int32_t shape[MXP_MAX_NDIM];
    int nd = shape_arg(slots[1], shape, true);
    if (nd == -1) return NULL;
    mx_array *p = mxp_to_array_weak(slots[0], MX_FLOAT32, NULL), *key, *out = NULL;
    if (!p) return NULL;
    /* p must be floating: a Python int or bool is refused, as in MLX. */
    if (!mx_issubdtype(mx_array_dtype(p), MX_FLOATING) || PyLong_Check(slots[0])) {
        mx_array_free(p);
        PyErr_SetString(PyExc_ValueError,
                        "[bernoulli] bernoulli probability `p` must be a float type.");
        return NULL;
    }
    if (opt_key(slots[2], &key) < 0) {
        mx_array_free(p);
        return NULL;
    }
    int rc = mx_random_bernoulli(&out, p, shape, nd < 0 ? -1 : nd, key, s);
    mx_array_free(p);
    mx_array_free(key);
    return result(rc, out);
}

/* categorical(logits, axis, shape=None, num_samples=None, key) */
PyObject *mxp_op_random_categorical(PyObject *const *slots, const mx_stream *s) {
    int axis, num = 0;
    int32_t shape[MXP_MAX_NDIM];
    int nd = -2;
    if (mxp_to_int(slots[1], &axis, "axis") < 0) return NULL;
    if (slots[2] != Py_None && slots[3] != Py_None) {
        PyErr_SetString(PyExc_ValueError,
                        "[categorical] At most one of shape or num_samples can be specified.");
        return NULL;
    }
    if (slots[2] != Py_None && (nd = shape_arg(slots[2], shape, false)) < 0) return NULL;
    if (slots[3] != Py_None && mxp_to_int(slots[3], &num, "num_samples") < 0) return NULL;
    mx_array *logits = mxp_to_array(slots[0], MX_DTYPE_NONE), *key, *out = NULL;
    if (!logits) return NULL;
    if (opt_key(slots[4], &key) < 0) {
        mx_array_free(logits);
        return NULL;
    }
    int rc;
    if (nd >= 0)
        rc = mx_random_categorical_shape(&out, logits, axis, shape, nd, key, s);
    else if (slots[3] != Py_None)
        rc = mx_random_categorical_num_samples(&out, logits, axis, num, key, s);
    else
        rc = mx_random_categorical(&out, logits, axis, key, s);
    mx_array_free(logits);
    mx_array_free(key);
    return result(rc, out);
}

/* permutation(x: int or array, axis, key) */
PyObject *mxp_op_random_permutation(PyObject *const *slots, const mx_stream *s) {
    int axis, n = 0;
    bool by_int = mxp_is_intlike(slots[0]) && !mxp_is_array(slots[0]);
    if (mxp_to_int(slots[1], &axis, "axis") < 0) return NULL;
    if (by_int && mxp_to_int(slots[0], &n, "x") < 0) return NULL;
    mx_array *key, *x = NULL, *out = NULL;
    if (opt_key(slots[2], &key) < 0) return NULL;
    int rc = -1;
    if (by_int)
        rc = mx_random_permutation_arange(&out, n, key, s);
    else if ((x = mxp_to_array(slots[0], MX_DTYPE_NONE)))
        rc = mx_random_permutation(&out, x, axis, key, s);
    mx_array_free(key);
    mx_array_free(x);
    return rc < 0 ? NULL : result(rc, out);
}

/* ---- random.state ---- */

static Py_ssize_t state_len(PyObject *self) {
    (void)self;
    return 1;
}

static int state_index(Py_ssize_t i) {
    if (i == 0 || i == -1) return 0;
    PyErr_SetString(PyExc_IndexError, "random.state index out of range");
    return -1;
}

static PyObject *state_item(PyObject *self, Py_ssize_t i) {
    (void)self;
    if (state_index(i) < 0) return NULL;
    mx_array *key = NULL;
    int rc = mx_random_get_state(&key);
    return result(rc, key);
}

static int state_ass_item(PyObject *self, Py_ssize_t i, PyObject *v) {
    (void)self;
    if (state_index(i) < 0) return -1;
    if (!v) {
        PyErr_SetString(PyExc_TypeError, "random.state items cannot be deleted");
        return -1;
    }
    mx_array *key = mxp_to_array(v, MX_DTYPE_NONE);
    if (!key) return -1;
    int rc = mx_random_set_state(key);
    mx_array_free(key);
    return rc ? mxp_raise_int(rc) : 0;
}

static PySequenceMethods state_seq = {
    .sq_length = state_len,
    .sq_item = state_item,
    .sq_ass_item = state_ass_item,
};

static PyTypeObject state_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmlx.core.random._RandomState",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_as_sequence = &state_seq,
    .tp_doc = "The global PRNG state: item 0 is the current key (assignable).",
};

int mxp_random_init(PyObject *module) {
    if (PyType_Ready(&state_type) < 0) return -1;
    PyObject *random = PyObject_GetAttrString(module, "random");
    if (!random) return -1;
    PyObject *state = PyType_GenericAlloc(&state_type, 0);
    int rc = state ? PyModule_AddObject(random, "state", state) : -1;
    if (rc < 0) Py_XDECREF(state);
    Py_DECREF(random);
    return rc;
}
