/*
 * The array's number protocol: + - * / // % ** @ & | ^ << >> with their
 * reflected and in-place forms, unary - + ~ abs(), the comparisons, and
 * conversions to Python numbers. A Python scalar meeting
 * an array is weak (it takes the array's dtype, MLX's rule). In-place forms
 * replace the array held by the object, so every reference to that object
 * sees the result, as in MLX.
 */
#include "cmlx_py.h"

typedef int (*binary_fn)(mx_array **, const mx_array *, const mx_array *, const mx_stream *);

/* Converts the operands of `a op b` (one of them is an array). Array
 * operands are borrowed from their objects, which the caller holds, with the
 * GIL held throughout (no retain/release pair on the hot path); a converted
 * operand goes to *owned for the caller to free (NULL when none). 1 when the
 * operation is not ours to do (NotImplemented), 0 done, -1 error. */
static int operands(PyObject *a, PyObject *b, mx_array **x, mx_array **y, mx_array **owned,
                    const char *what) {
    *owned = NULL;
    if (a == Py_None || b == Py_None) return 1;
    if (mxp_is_array(a) && mxp_is_array(b)) {
        *x = mxp_arr(a);
        *y = mxp_arr(b);
    } else if (mxp_is_array(a)) {
        *owned = *y = mxp_to_array_weak(b, mx_array_dtype(mxp_arr(a)), what);
        *x = mxp_arr(a); /* read after the conversion, which may run Python code */
    } else {
        *owned = *x = mxp_to_array_weak(a, mx_array_dtype(mxp_arr(b)), what);
        *y = mxp_arr(b);
    }
    return (mxp_is_array(a) && mxp_is_array(b)) || *owned ? 0 : -1;
}

static PyObject *binop(PyObject *a, PyObject *b, binary_fn fn, const char *what) {
    mx_array *x, *y, *owned, *out = NULL;
    int r = operands(a, b, &x, &y, &owned, what);
    if (r) return r > 0 ? Py_NewRef(Py_NotImplemented) : NULL;
    int rc = fn(&out, x, y, NULL);
    mx_array_free(owned);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

static PyObject *inplace(PyObject *self, PyObject *other, binary_fn fn, const char *what) {
    mx_array *x, *y, *owned, *out = NULL;
    int r = operands(self, other, &x, &y, &owned, what);
    if (r) return r > 0 ? Py_NewRef(Py_NotImplemented) : NULL;
    int rc = fn(&out, x, y, NULL);
    mx_array_free(owned);
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
BINARY_SLOTS(floor_divide, mx_floor_divide, "floor division", "inplace floor division")
BINARY_SLOTS(remainder, mx_remainder, "remainder", "inplace remainder")

/* The bitwise operators refuse inexact operands with MLX's ValueError (the
 * functions, e.g. mx.bitwise_and, raise TypeError from the library). */
static int integral_operands(const mx_array *x, const mx_array *y, const char *what) {
    if (!mx_dtype_is_inexact(mx_array_dtype(x)) && !mx_dtype_is_inexact(mx_array_dtype(y)))
        return 0;
    PyErr_Format(PyExc_ValueError, "Floating point types not allowed with %s.", what);
    return -1;
}

static PyObject *bitwise_op(PyObject *a, PyObject *b, binary_fn fn, const char *what,
                            bool in_place) {
    mx_array *x, *y, *owned, *out = NULL;
    int r = operands(a, b, &x, &y, &owned, what);
    if (r) return r > 0 ? Py_NewRef(Py_NotImplemented) : NULL;
    int rc = integral_operands(x, y, what) ? -1 : fn(&out, x, y, NULL);
    mx_array_free(owned);
    if (rc) return rc < 0 ? NULL : mxp_raise(rc);
    if (!in_place) return mxp_array_wrap(out);
    mxp_array_replace(a, out);
    return Py_NewRef(a);
}

#define BITWISE_SLOTS(name, fn, what)                                                              \
    static PyObject *nb_##name(PyObject *a, PyObject *b) {                                         \
        return bitwise_op(a, b, fn, what, false);                                                  \
    }                                                                                              \
    static PyObject *nb_inplace_##name(PyObject *a, PyObject *b) {                                 \
        return bitwise_op(a, b, fn, what, true);                                                   \
    }

BITWISE_SLOTS(and, mx_bitwise_and, "bitwise and")
BITWISE_SLOTS(or, mx_bitwise_or, "bitwise or")
BITWISE_SLOTS(xor, mx_bitwise_xor, "bitwise xor")
BITWISE_SLOTS(lshift, mx_left_shift, "left shift")
BITWISE_SLOTS(rshift, mx_right_shift, "right shift")

/* a ** b; the three-argument form pow(a, b, m) is not supported. */
static PyObject *nb_power(PyObject *a, PyObject *b, PyObject *m) {
    if (m != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return binop(a, b, mx_power, "power");
}

static PyObject *nb_inplace_power(PyObject *a, PyObject *b, PyObject *m) {
    if (m != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return inplace(a, b, mx_power, "inplace power");
}

typedef int (*unary_fn)(mx_array **, const mx_array *, const mx_stream *);

static PyObject *unop(PyObject *self, unary_fn fn) {
    mx_array *out = NULL;
    int rc = fn(&out, mxp_arr(self), NULL);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

static PyObject *nb_absolute(PyObject *self) {
    return unop(self, mx_abs);
}

static PyObject *nb_positive(PyObject *self) {
    return Py_NewRef(self);
}

static PyObject *nb_invert(PyObject *self) {
    /* ~ on booleans is logical not, as in NumPy and MLX. */
    mx_dtype t = mx_array_dtype(mxp_arr(self));
    if (t == MX_BOOL) return unop(self, mx_logical_not);
    if (mx_dtype_is_inexact(t)) {
        PyErr_SetString(PyExc_ValueError,
                        "Floating point types not allowed with bitwise inversion.");
        return NULL;
    }
    return unop(self, mx_bitwise_invert);
}

/* Whether `a op b` can be elementwise with o as the other operand: a Python
 * number, an array or array-like, or a buffer (NumPy arrays and scalars). */
static bool comparable(PyObject *o) {
    return PyBool_Check(o) || PyLong_Check(o) || PyFloat_Check(o) || PyComplex_Check(o) ||
           mxp_is_array_like(o) || (PyObject_CheckBuffer(o) && !PyBytes_Check(o));
}

/* a < b and friends, elementwise. As in MLX, == and != with anything else
 * (a list, a tuple, a string) are plain False / True and the orderings raise
 * ValueError. None is left to Python (identity for ==, TypeError for <), so
 * `a == None` is False rather than MLX's TypeError. */
PyObject *mxp_array_richcompare(PyObject *a, PyObject *b, int op) {
    static const binary_fn fns[6] = {mx_less,      mx_less_equal, mx_equal,
                                     mx_not_equal, mx_greater,    mx_greater_equal};
    static const char *const names[6] = {"less than",    "less than or equal",
                                         "equal",        "not equal",
                                         "greater than", "greater than or equal"};
    mx_array *x, *y, *owned, *out = NULL;
    PyObject *other = mxp_is_array(a) ? b : a;
    if (other == Py_None) Py_RETURN_NOTIMPLEMENTED;
    if (!comparable(other)) {
        if (op == Py_EQ) Py_RETURN_FALSE;
        if (op == Py_NE) Py_RETURN_TRUE;
        PyErr_Format(PyExc_ValueError, "Cannot perform %s on an mlx.core.array and %s", names[op],
                     Py_TYPE(other)->tp_name);
        return NULL;
    }
    int r = operands(a, b, &x, &y, &owned, names[op]);
    if (r) return r > 0 ? Py_NewRef(Py_NotImplemented) : NULL;
    int rc = fns[op](&out, x, y, NULL);
    mx_array_free(owned);
    return rc ? mxp_raise(rc) : mxp_array_wrap(out);
}

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
    .nb_floor_divide = nb_floor_divide,
    .nb_remainder = nb_remainder,
    .nb_power = nb_power,
    .nb_and = nb_and,
    .nb_or = nb_or,
    .nb_xor = nb_xor,
    .nb_lshift = nb_lshift,
    .nb_rshift = nb_rshift,
    .nb_inplace_floor_divide = nb_inplace_floor_divide,
    .nb_inplace_remainder = nb_inplace_remainder,
    .nb_inplace_power = nb_inplace_power,
    .nb_inplace_and = nb_inplace_and,
    .nb_inplace_or = nb_inplace_or,
    .nb_inplace_xor = nb_inplace_xor,
    .nb_inplace_lshift = nb_inplace_lshift,
    .nb_inplace_rshift = nb_inplace_rshift,
    .nb_absolute = nb_absolute,
    .nb_positive = nb_positive,
    .nb_invert = nb_invert,
    .nb_bool = mxp_array_bool,
    .nb_int = mxp_array_int,
    .nb_float = mxp_array_float,
    .nb_index = mxp_array_index,
};
