/*
 * Nested lists and tuples -> mx_array, with MLX's inference: the widest of
 * bool < int < float < complex decides (bool -> bool, int -> int32, or int64
 * when a value does not fit int32, float -> float32, complex -> complex64);
 * an empty sequence is float32. Sequences holding arrays (or other array-like
 * leaves) convert each element and stack them, promoting their dtypes.
 */
#include "convert.h"

#include <string.h>

enum { K_BOOL, K_INT, K_FLOAT, K_COMPLEX };

typedef struct {
    int ndim;
    int32_t shape[MXP_MAX_NDIM];
    int kind;
    bool has_array; /* a leaf that is not a Python scalar */
    bool int64;     /* an int outside int32 */
    bool uint64;    /* an int above INT64_MAX */
} seq_info;

static bool is_seq(PyObject *o) {
    return PyList_Check(o) || PyTuple_Check(o);
}

static int non_uniform(void) {
    PyErr_SetString(PyExc_ValueError, "Initialization encountered non-uniform length.");
    return -1;
}

/* The shape following first elements down to the first leaf. */
static int get_shape(PyObject *o, seq_info *info) {
    while (is_seq(o)) {
        if (info->ndim == MXP_MAX_NDIM) {
            PyErr_Format(PyExc_ValueError, "arrays have at most %d dimensions", MXP_MAX_NDIM);
            return -1;
        }
        Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
        if (n > INT32_MAX) {
            PyErr_SetString(PyExc_ValueError,
                            "Shape dimension falls outside supported `int` range.");
            return -1;
        }
        info->shape[info->ndim++] = (int32_t)n;
        if (n == 0) break;
        o = PySequence_Fast_GET_ITEM(o, 0);
    }
    return 0;
}

/* Checks lengths and finds the kind; stops early (returning 0) at the first
 * array-like leaf, which the stacking path handles. */
static int validate(PyObject *o, int depth, seq_info *info) {
    if (depth >= info->ndim) {
        PyErr_SetString(PyExc_ValueError, "Initialization encountered extra dimension.");
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    if (n != info->shape[depth]) return non_uniform();
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *e = PySequence_Fast_GET_ITEM(o, i);
        if (is_seq(e)) {
            if (validate(e, depth + 1, info) < 0) return -1;
            if (info->has_array) return 0;
            continue;
        }
        int k;
        if (PyBool_Check(e)) {
            k = K_BOOL;
        } else if (PyLong_Check(e)) {
            k = K_INT;
            int overflow;
            long long v = PyLong_AsLongLongAndOverflow(e, &overflow);
            if (v == -1 && PyErr_Occurred()) return -1;
            if (overflow > 0) {
                unsigned long long u = PyLong_AsUnsignedLongLong(e);
                if (u == (unsigned long long)-1 && PyErr_Occurred()) return -1;
                info->uint64 = true;
            } else if (overflow < 0) {
                PyErr_SetString(PyExc_OverflowError, "Python int too large to convert to int64");
                return -1;
            }
            if (overflow || v > INT32_MAX || v < INT32_MIN) info->int64 = true;
        } else if (PyFloat_Check(e)) {
            k = K_FLOAT;
        } else if (PyComplex_Check(e)) {
            k = K_COMPLEX;
        } else {
            info->has_array = true;
            return 0;
        }
        if (depth + 1 != info->ndim) return non_uniform();
        if (k > info->kind) info->kind = k;
    }
    return 0;
}

/* Writes the leaves in row-major order as the staging type of info->kind. */
static char *fill(PyObject *o, char *p, const seq_info *info, mx_dtype stage) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    for (Py_ssize_t i = 0; p && i < n; i++) {
        PyObject *e = PySequence_Fast_GET_ITEM(o, i);
        if (is_seq(e)) {
            p = fill(e, p, info, stage);
            continue;
        }
        switch (stage) {
        case MX_BOOL:
            *(bool *)p = e == Py_True;
            break;
        case MX_INT64:
            *(int64_t *)p = PyBool_Check(e) ? (e == Py_True) : PyLong_AsLongLong(e);
            break;
        case MX_UINT64: {
            int overflow = 0;
            int64_t v =
                PyBool_Check(e) ? (e == Py_True) : PyLong_AsLongLongAndOverflow(e, &overflow);
            if (overflow)
                *(uint64_t *)p = PyLong_AsUnsignedLongLong(e);
            else
                *(int64_t *)p = v;
            break;
        }
        case MX_FLOAT64:
            *(double *)p = PyFloat_AsDouble(e);
            break;
        default: {
            Py_complex c = PyComplex_AsCComplex(e);
            mx_complex64 v = {(float)c.real, (float)c.imag};
            memcpy(p, &v, sizeof v);
        }
        }
        if (PyErr_Occurred()) return NULL;
        p += mx_dtype_size(stage);
    }
    return p;
}

/* Converts each element of o and copies them side by side. */
static mx_array *stack(PyObject *o, mx_dtype dtype) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    mx_array **parts = PyMem_Calloc((size_t)n, sizeof *parts);
    if (!parts) return (mx_array *)PyErr_NoMemory();
    mx_array *out = NULL;
    mx_dtype common = dtype;
    for (Py_ssize_t i = 0; i < n; i++) {
        parts[i] = mxp_to_array(PySequence_Fast_GET_ITEM(o, i), dtype);
        if (!parts[i]) goto done;
        const int32_t *s0 = mx_array_shape(parts[0]), *si = mx_array_shape(parts[i]);
        int nd = mx_array_ndim(parts[0]);
        if (mx_array_ndim(parts[i]) != nd || (nd && memcmp(s0, si, nd * sizeof *s0))) {
            non_uniform();
            goto done;
        }
        mx_dtype t = mx_array_dtype(parts[i]);
        common = i == 0 && dtype == MX_DTYPE_NONE ? t : mx_promote_types(common, t);
    }
    int nd = mx_array_ndim(parts[0]);
    if (nd + 1 > MXP_MAX_NDIM) {
        PyErr_Format(PyExc_ValueError, "arrays have at most %d dimensions", MXP_MAX_NDIM);
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        parts[i] = mxp_cast(parts[i], common);
        if (!parts[i]) goto done;
    }
    if (mxp_eval_many(parts, (size_t)n, true) < 0) goto done;
    size_t part_bytes = mx_array_nbytes(parts[0]);
    char *data = mxp_alloc_aligned(part_bytes * (size_t)n);
    if (!data) {
        PyErr_NoMemory();
        goto done;
    }
    int rc = 0;
    PyThreadState *ts = PyEval_SaveThread();
    for (Py_ssize_t i = 0; i < n && !rc; i++)
        rc = mx_array_copy_to(parts[i], data + (size_t)i * part_bytes, part_bytes);
    PyEval_RestoreThread(ts);
    if (rc) {
        mxp_free_aligned(data);
        mxp_raise(rc);
        goto done;
    }
    int32_t shape[MXP_MAX_NDIM];
    shape[0] = (int32_t)n;
    memcpy(shape + 1, mx_array_shape(parts[0]), (size_t)nd * sizeof *shape);
    out = mxp_from_host(data, shape, nd + 1, common);
done:
    for (Py_ssize_t i = 0; i < n; i++) mx_array_free(parts[i]);
    PyMem_Free(parts);
    return out;
}

mx_array *mxp_from_sequence(PyObject *o, mx_dtype dtype) {
    seq_info info;
    memset(&info, 0, sizeof info);
    if (get_shape(o, &info) < 0) return NULL;
    if (PySequence_Fast_GET_SIZE(o) == 0) {
        info.kind = K_FLOAT;
    } else if (validate(o, 0, &info) < 0) {
        return NULL;
    }
    if (info.has_array) return stack(o, dtype);
    if (info.shape[info.ndim - 1] == 0) info.kind = K_FLOAT;

    static const mx_dtype stages[] = {MX_BOOL, MX_INT64, MX_FLOAT64, MX_COMPLEX64};
    static const mx_dtype defaults[] = {MX_BOOL, MX_INT32, MX_FLOAT32, MX_COMPLEX64};
    mx_dtype stage = stages[info.kind];
    if (stage == MX_INT64 && info.uint64) stage = MX_UINT64;
    mx_dtype target = dtype;
    if (target == MX_DTYPE_NONE) {
        target = defaults[info.kind];
        if (info.kind == K_INT && info.int64) target = info.uint64 ? MX_UINT64 : MX_INT64;
    }
    size_t count = 1;
    for (int i = 0; i < info.ndim; i++) count *= (size_t)info.shape[i];
    char *data = mxp_alloc_aligned(count * (size_t)mx_dtype_size(stage));
    if (!data) return (mx_array *)PyErr_NoMemory();
    if (!fill(o, data, &info, stage)) {
        mxp_free_aligned(data);
        return NULL;
    }
    return mxp_cast_host(mxp_from_host(data, info.shape, info.ndim, stage), target);
}
