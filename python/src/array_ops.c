/*
 * The array's number protocol: + - * / @ with their reflected and in-place
 * forms, unary -, and conversions to Python numbers. A Python scalar meeting
 * an array is weak (it takes the array's dtype, MLX's rule). In-place forms
 * replace the array held by the object, so every reference to that object
 * sees the result, as in MLX.
 */
#include "cmlx_py.h"

typedef int (*binary_fn)(mx_array **, const mx_array *, const mx_array *, const mx_stream *);

/* Converts the operands of `a op b` (one of them is an array). 1 when the
 * operation is not ours to do (NotImplemented), 0 done, -1 error. */
static int operands(PyObject *a, PyObject *b, mx_array **x, mx_array **y, const char *what) {
    if (a == Py_None || b == Py_None) return 1;
    if (mxp_is_array(a)) {
        *x = mx_array_retain(mxp_arr(a));
        *y = mxp_to_array_weak(b, mx_array_dtype(*x), what);
        if (!*y) {
            mx_array_free(*x);
            return -1;
        }
    } else {
        *y = mx_array_retain(mxp_arr(b));
        *x = mxp_to_array_weak(a, mx_array_dtype(*y), what);
        if (!*x) {
            mx_array_free(*y);
            return -1;
        }
    }
    return 0;
}

static PyObject *binop(PyObject *a, PyObject *b, binary_fn fn, const char *what) {
    mx_array *x, *y, *out = NULL;
    int r = operands(a, b, &x, &y, what);
    if (r) return r > 0 ? Py_NewRef(Py_NotImplemented) : NULL;
    int rc = fn(&out, x, y, NULL);
    mx_array_free(x);
    mx_array_free(y);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

static PyObject *inplace(PyObject *self, PyObject *other, binary_fn fn, const char *what) {
    mx_array *x, *y, *out = NULL;
    int r = operands(self, other, &x, &y, what);
    if (r) return r > 0 ? Py_NewRef(Py_NotImplemented) : NULL;
    int rc = fn(&out, x, y, NULL);
    mx_array_free(x);
    mx_array_free(y);
    if (rc) return mxp_raise(rc);
    mxp_array_replace(self, out);
    return Py_NewRef(self);
}

#define BINARY_SLOTS(name, fn, what, iwhat)                                                        \
    static PyObject *nb_##name(PyObject *a, PyObject *b) {                                         \
        return binop(a, b, fn, what);                                                              \
    }                                                                                              \
    static PyObject *nb_inplace_##name(PyObject *a, PyObject *b) {                                 \
        return inplace(a, b, fn, iwhat);                                                           \
    }

BINARY_SLOTS(add, mx_add, "addition", "inplace addition")
BINARY_SLOTS(subtract, mx_subtract, "subtraction", "inplace subtraction")
BINARY_SLOTS(multiply, mx_multiply, "multiplication", "inplace multiplication")

static PyObject *nb_true_divide(PyObject *a, PyObject *b) {
    return binop(a, b, mx_divide, "division");
}

static PyObject *nb_inplace_true_divide(PyObject *a, PyObject *b) {
    if (!mx_dtype_is_inexact(mx_array_dtype(mxp_arr(a)))) {
        PyErr_SetString(PyExc_ValueError,
                        "In place division cannot cast to non-floating point type.");
        return NULL;
    }
    return inplace(a, b, mx_divide, "inplace division");
}

static PyObject *matmul_type_error(PyObject *b) {
    PyErr_Format(PyExc_TypeError, "unsupported operand type(s) for @: 'array' and '%s'",
                 Py_TYPE(b)->tp_name);
    return NULL;
}

/* a @ b takes arrays only, as in MLX (no NumPy fallback either). */
static PyObject *nb_matmul(PyObject *a, PyObject *b) {
    if (!mxp_is_array(a)) Py_RETURN_NOTIMPLEMENTED;
    if (!mxp_is_array(b)) return matmul_type_error(b);
    return binop(a, b, mx_matmul, "matmul");
}

static PyObject *nb_inplace_matmul(PyObject *a, PyObject *b) {
    if (!mxp_is_array(b)) return matmul_type_error(b);
    return inplace(a, b, mx_matmul, "matmul");
}

/* -a. The library has no negative op yet: -x is x * -1, and 0 - x for
 * unsigned types (both wrap as negation does). */
static PyObject *nb_negative(PyObject *self) {
    mx_array *a = mxp_arr(self), *k = NULL, *out = NULL;
    mx_dtype t = mx_array_dtype(a);
    if (t == MX_BOOL) {
        PyErr_SetString(PyExc_ValueError,
                        "[negative] Not supported for bool, use logical_not instead.");
        return NULL;
    }
    bool unsigned_t = mx_dtype_is_integer(t) && !mx_dtype_is_signed(t);
    int rc = unsigned_t ? mx_array_from_int(&k, 0, t) : mx_array_from_int(&k, -1, t);
    if (!rc) rc = unsigned_t ? mx_subtract(&out, k, a, NULL) : mx_multiply(&out, a, k, NULL);
    mx_array_free(k);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

int mxp_array_bool(PyObject *self);
PyObject *mxp_array_int(PyObject *self);
PyObject *mxp_array_float(PyObject *self);
PyObject *mxp_array_index(PyObject *self);

PyNumberMethods mxp_array_as_number = {
    .nb_add = nb_add,
    .nb_subtract = nb_subtract,
    .nb_multiply = nb_multiply,
    .nb_true_divide = nb_true_divide,
    .nb_matrix_multiply = nb_matmul,
    .nb_inplace_add = nb_inplace_add,
    .nb_inplace_subtract = nb_inplace_subtract,
    .nb_inplace_multiply = nb_inplace_multiply,
    .nb_inplace_true_divide = nb_inplace_true_divide,
    .nb_inplace_matrix_multiply = nb_inplace_matmul,
    .nb_negative = nb_negative,
    .nb_bool = mxp_array_bool,
    .nb_int = mxp_array_int,
    .nb_float = mxp_array_float,
    .nb_index = mxp_array_index,
};
