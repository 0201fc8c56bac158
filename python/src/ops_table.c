/*
 * THE op table: every op cmlx.core binds, one row each.
 *
 * A row gives the Python name, the C function, the parameters as
 * mlx.core spells them (names, defaults, "/" and "*" markers, stream last),
 * the parameters of the array method of the same name (self left out) or
 * NULL when MLX has no such method, and the docstring. The kind macro
 * (UNARY, BINARY, ...) picks the generic caller in kinds.c and checks the C
 * function's type at compile time; the parameter list is checked against
 * the kind when the module is imported.
 *
 * To bind a new C op, add a row. A name "linalg.foo" puts the function in
 * the linalg submodule. A new argument shape needs a new kind (kinds.c).
 */
#include "cmlx_py.h"

#define ROW(kind_, field_, name_, cfn_, spec_, method_, flags_, doc_)                              \
    {                                                                                              \
        .name = name_, .kind = kind_, .fn = {.field_ = cfn_}, .spec = spec_, .method = method_,    \
        .flags = flags_, .doc = doc_                                                               \
    }

#define CUSTOM(name, f, spec, method, doc) ROW(MXP_CUSTOM, custom, name, f, spec, method, 0, doc)
#define UNARY(name, f, spec, method, doc)  ROW(MXP_UNARY, unary, name, f, spec, method, 0, doc)
#define BINARY(name, f, spec, method, doc) ROW(MXP_BINARY, binary, name, f, spec, method, 0, doc)
#define SHAPE_DTYPE(name, f, spec, doc)                                                            \
    ROW(MXP_SHAPE_DTYPE, shape_dtype, name, f, spec, NULL, 0, doc)
#define SHAPE_ARRAY_DTYPE(name, f, spec, doc)                                                      \
    ROW(MXP_SHAPE_ARRAY_DTYPE, shape_array_dtype, name, f, spec, NULL, 0, doc)
#define ARRAY_DTYPE(name, f, spec, method, doc)                                                    \
    ROW(MXP_ARRAY_DTYPE, array_dtype, name, f, spec, method, 0, doc)
#define ARRAY_SHAPE(name, f, spec, method, flags, doc)                                             \
    ROW(MXP_ARRAY_SHAPE, array_shape, name, f, spec, method, flags, doc)
#define ARRAY_AXES_OPT(name, f, spec, method, flags, doc)                                          \
    ROW(MXP_ARRAY_AXES_OPT, array_axes, name, f, spec, method, flags, doc)
#define REDUCE(name, f, doc)                                                                       \
    ROW(MXP_REDUCE, reduce, name, f, "a, /, axis=None, keepdims=False, *, stream=None",            \
        "axis=None, keepdims=False, *, stream=None", 0, doc)
/* The same where MLX's array has no method of that name. */
#define REDUCE_FN(name, f, doc)                                                                    \
    ROW(MXP_REDUCE, reduce, name, f, "a, /, axis=None, keepdims=False, *, stream=None", NULL, 0,   \
        doc)

/* Common parameter lists. */
#define S_UNARY  "a, /, *, stream=None"
#define M_UNARY  "*, stream=None"
#define S_BINARY "a, b, /, *, stream=None"

/* Docstring pieces. */
#define RET_ARRAY "\n\nReturns:\n    array: "
#define STREAM_ARG                                                                                 \
    "    stream (Stream, optional): Stream or device. Defaults to ``None``, the default\n"         \
    "      stream of the default device.\n"
#define BINARY_DOC(what, verb)                                                                     \
    "Element-wise " what ".\n\n" verb " with numpy-style broadcasting. Either input may be a "     \
    "scalar, which takes the dtype of the other input when that is an array.\n\n"                  \
    "Args:\n    a (array): Input array or scalar.\n    b (array): Input array or "                 \
    "scalar.\n" STREAM_ARG

const mxp_op mxp_ops[] = {
    /* ---- creation ---- */
    SHAPE_DTYPE("zeros", mx_zeros, "shape, dtype=float32, *, stream=None",
                "Construct an array of zeros.\n\nArgs:\n"
                "    shape (int or list(int)): The shape of the output array.\n"
                "    dtype (Dtype, optional): Data type of the output array. Defaults to "
                "``float32``.\n" STREAM_ARG RET_ARRAY "The array of zeros with the given shape."),
    SHAPE_DTYPE("ones", mx_ones, "shape, dtype=float32, *, stream=None",
                "Construct an array of ones.\n\nArgs:\n"
                "    shape (int or list(int)): The shape of the output array.\n"
                "    dtype (Dtype, optional): Data type of the output array. Defaults to "
                "``float32``.\n" STREAM_ARG RET_ARRAY "The array of ones with the given shape."),
    SHAPE_ARRAY_DTYPE("full", mx_full, "shape, vals, dtype=None, *, stream=None",
                      "Construct an array with the given value.\n\n"
                      "Makes an array of the given shape filled with ``vals``; an array "
                      "``vals`` must broadcast to the shape.\n\nArgs:\n"
                      "    shape (int or list(int)): The shape of the output array.\n"
                      "    vals (float or int or array): Values to fill the array with.\n"
                      "    dtype (Dtype, optional): How a scalar ``vals`` is converted; an array "
                      "keeps its type.\n" STREAM_ARG RET_ARRAY "The output array."),
    CUSTOM("arange", mxp_op_arange, "start=None, stop=None, step=None, dtype=None, *, stream=None",
           NULL,
           "arange(stop, step=None, dtype=None, *, stream=None)\n\n"
           "Generates ranges of numbers.\n\n"
           "Numbers in the half-open interval ``[start, stop)`` in increments of ``step``. "
           "With one number, it is ``stop`` and ``start`` is 0.\n\nArgs:\n"
           "    start (float or int, optional): Starting value, 0 by default.\n"
           "    stop (float or int): Stopping value (excluded).\n"
           "    step (float or int, optional): Increment, 1 by default.\n"
           "    dtype (Dtype, optional): The output type. By default ``int32`` if every given "
           "number is an int, else ``float32``.\n" STREAM_ARG RET_ARRAY "The range of values."),
    ARRAY_DTYPE("astype", mx_astype, "a, dtype, /, *, stream=None", "dtype, stream=None",
                "Cast the array to a specified type.\n\nArgs:\n    a (array): Input array.\n"
                "    dtype (Dtype): Type to which the array is cast.\n" STREAM_ARG RET_ARRAY
                "The array with type ``dtype``."),

    /* ---- arithmetic ---- */
    BINARY("add", mx_add, S_BINARY, NULL,
           BINARY_DOC("addition", "Add two arrays") RET_ARRAY "The sum of ``a`` and ``b``."),
    BINARY("subtract", mx_subtract, S_BINARY, NULL,
           BINARY_DOC("subtraction", "Subtract one array from another") RET_ARRAY
           "The difference ``a - b``."),
    BINARY("multiply", mx_multiply, S_BINARY, NULL,
           BINARY_DOC("multiplication", "Multiply two arrays") RET_ARRAY
           "The multiplication ``a * b``."),
    BINARY("divide", mx_divide, S_BINARY, NULL,
           BINARY_DOC("division", "Divide two arrays (integer inputs give float32)") RET_ARRAY
           "The quotient ``a / b``."),
    BINARY("matmul", mx_matmul, "a, b, /, *, stream=None", NULL,
           "Matrix multiplication.\n\n"
           "Batched matrix product with numpy's rules: a 1-D first input gets a 1 prepended to "
           "its shape and a 1-D second input a 1 appended, and the added axis is removed from "
           "the result; leading axes broadcast. Only floating point types are supported.\n\n"
           "Args:\n    a (array): Input array or scalar.\n    b (array): Input array or "
           "scalar.\n" STREAM_ARG RET_ARRAY "The matrix product of ``a`` and ``b``."),

    /* ---- shapes ---- */
    ARRAY_SHAPE("reshape", mx_reshape, "a, /, shape, *, stream=None", "shape, *, stream=None",
                MXP_METHOD_VARARGS,
                "Reshape an array while preserving the size.\n\nOne dimension may be -1 and is "
                "then inferred. The method also takes the dimensions as separate arguments: "
                "``a.reshape(2, 3)``.\n\nArgs:\n    a (array): Input array.\n"
                "    shape (tuple(int)): New shape.\n" STREAM_ARG RET_ARRAY "The reshaped array."),
    ARRAY_AXES_OPT("transpose", mx_transpose, "a, /, axes=None, *, stream=None",
                   "axes=None, *, stream=None", MXP_METHOD_VARARGS,
                   "Transpose the dimensions of the array.\n\nArgs:\n    a (array): Input array.\n"
                   "    axes (list(int), optional): The source axis for each axis of the result. "
                   "The default reverses the axes.\n" STREAM_ARG RET_ARRAY "The transposed array."),
    ARRAY_SHAPE("broadcast_to", mx_broadcast_to, "a, /, shape, *, stream=None", NULL, 0,
                "Broadcast an array to the given shape, with numpy's rules.\n\nArgs:\n"
                "    a (array): Input array.\n    shape (list(int)): The shape to broadcast "
                "to.\n" STREAM_ARG RET_ARRAY "The output array with the new shape."),

    /* ---- reductions ---- */
    REDUCE("sum", mx_sum_axes,
           "Sum reduce the array over the given axes.\n\nArgs:\n    a (array): Input array.\n"
           "    axis (int or list(int), optional): Axis or axes to reduce over; all axes by "
           "default.\n    keepdims (bool, optional): Keep reduced axes as singleton "
           "dimensions, ``False`` by default.\n" STREAM_ARG RET_ARRAY
           "The output array with the corresponding axes reduced."),

    /* ---- unary math (one row each; docs in the MLX reference) ---- */
    UNARY("abs", mx_abs, S_UNARY, "*, stream=None", "Element-wise absolute value."),
    UNARY("sign", mx_sign, S_UNARY, NULL, "Element-wise sign."),
    UNARY("positive", mx_positive, S_UNARY, NULL,
          "Element-wise unary plus. Returns a copy of the input."),
    UNARY("negative", mx_negative, S_UNARY, NULL, "Element-wise negation."),
    UNARY("square", mx_square, S_UNARY, "*, stream=None", "Element-wise square."),
    UNARY("sqrt", mx_sqrt, S_UNARY, "*, stream=None", "Element-wise square root."),
    UNARY("rsqrt", mx_rsqrt, S_UNARY, "*, stream=None", "Element-wise reciprocal and square root."),
    UNARY("reciprocal", mx_reciprocal, S_UNARY, "*, stream=None", "Element-wise reciprocal."),
    UNARY("exp", mx_exp, S_UNARY, "*, stream=None", "Element-wise exponential."),
    UNARY("expm1", mx_expm1, S_UNARY, NULL, "Element-wise exponential minus 1."),
    UNARY("log", mx_log, S_UNARY, "*, stream=None", "Element-wise natural logarithm."),
    UNARY("log2", mx_log2, S_UNARY, "*, stream=None", "Element-wise base-2 logarithm."),
    UNARY("log10", mx_log10, S_UNARY, "*, stream=None", "Element-wise base-10 logarithm."),
    UNARY("log1p", mx_log1p, S_UNARY, "*, stream=None",
          "Element-wise natural log of one plus the array."),
    UNARY("sigmoid", mx_sigmoid, S_UNARY, NULL, "Element-wise logistic sigmoid."),
    UNARY("erf", mx_erf, S_UNARY, NULL, "Element-wise error function."),
    UNARY("erfinv", mx_erfinv, S_UNARY, NULL, "Element-wise inverse of :func:`erf`."),
    UNARY("sin", mx_sin, S_UNARY, "*, stream=None", "Element-wise sine."),
    UNARY("cos", mx_cos, S_UNARY, "*, stream=None", "Element-wise cosine."),
    UNARY("tan", mx_tan, S_UNARY, NULL, "Element-wise tangent."),
    UNARY("arcsin", mx_arcsin, S_UNARY, NULL, "Element-wise inverse sine."),
    UNARY("arccos", mx_arccos, S_UNARY, NULL, "Element-wise inverse cosine."),
    UNARY("arctan", mx_arctan, S_UNARY, NULL, "Element-wise inverse tangent."),
    UNARY("sinh", mx_sinh, S_UNARY, NULL, "Element-wise hyperbolic sine."),
    UNARY("cosh", mx_cosh, S_UNARY, NULL, "Element-wise hyperbolic cosine."),
    UNARY("tanh", mx_tanh, S_UNARY, NULL, "Element-wise hyperbolic tangent."),
    UNARY("arcsinh", mx_arcsinh, S_UNARY, NULL, "Element-wise inverse hyperbolic sine."),
    UNARY("arccosh", mx_arccosh, S_UNARY, NULL, "Element-wise inverse hyperbolic cosine."),
    UNARY("arctanh", mx_arctanh, S_UNARY, NULL, "Element-wise inverse hyperbolic tangent."),
    UNARY("degrees", mx_degrees, S_UNARY, NULL, "Convert angles from radians to degrees."),
    UNARY("radians", mx_radians, S_UNARY, NULL, "Convert angles from degrees to radians."),
    UNARY("floor", mx_floor, S_UNARY, NULL, "Element-wise floor."),
    UNARY("ceil", mx_ceil, S_UNARY, NULL, "Element-wise ceil."),
    UNARY("trunc", mx_trunc, S_UNARY, NULL, "Element-wise truncation towards zero."),
    UNARY("isnan", mx_isnan, S_UNARY, NULL,
          "Return a boolean array indicating which elements are NaN."),
    UNARY("isinf", mx_isinf, S_UNARY, NULL,
          "Return a boolean array indicating which elements are +/- inifnity."),
    UNARY("isfinite", mx_isfinite, S_UNARY, NULL,
          "Return a boolean array indicating which elements are finite."),
    UNARY("isposinf", mx_isposinf, S_UNARY, NULL,
          "Return a boolean array indicating which elements are positive infinity."),
    UNARY("isneginf", mx_isneginf, S_UNARY, NULL,
          "Return a boolean array indicating which elements are negative infinity."),
    UNARY("logical_not", mx_logical_not, S_UNARY, NULL, "Element-wise logical not."),
    UNARY("bitwise_invert", mx_bitwise_invert, S_UNARY, NULL, "Element-wise bitwise inverse."),
    UNARY("conjugate", mx_conjugate, S_UNARY, NULL,
          "Return the elementwise complex conjugate of the input."),
    UNARY("conj", mx_conj, S_UNARY, "*, stream=None",
          "Return the elementwise complex conjugate of the input."),
    UNARY("real", mx_real, S_UNARY, "*, stream=None", "Returns the real part of a complex array."),
    UNARY("imag", mx_imag, S_UNARY, "*, stream=None",
          "Returns the imaginary part of a complex array."),
    /* ---- binary and comparison ---- */
    BINARY("floor_divide", mx_floor_divide, S_BINARY, NULL, "Element-wise integer division."),
    BINARY("remainder", mx_remainder, S_BINARY, NULL, "Element-wise remainder of division."),
    BINARY("power", mx_power, S_BINARY, NULL, "Element-wise power operation."),
    BINARY("maximum", mx_maximum, S_BINARY, NULL, "Element-wise maximum."),
    BINARY("minimum", mx_minimum, S_BINARY, NULL, "Element-wise minimum."),
    BINARY("logaddexp", mx_logaddexp, S_BINARY, NULL, "Element-wise log-add-exp."),
    BINARY("arctan2", mx_arctan2, S_BINARY, NULL,
           "Element-wise inverse tangent of the ratio of two arrays."),
    BINARY("equal", mx_equal, S_BINARY, NULL, "Element-wise equality."),
    BINARY("not_equal", mx_not_equal, S_BINARY, NULL, "Element-wise not equal."),
    BINARY("less", mx_less, S_BINARY, NULL, "Element-wise less than."),
    BINARY("less_equal", mx_less_equal, S_BINARY, NULL, "Element-wise less than or equal."),
    BINARY("greater", mx_greater, S_BINARY, NULL, "Element-wise greater than."),
    BINARY("greater_equal", mx_greater_equal, S_BINARY, NULL, "Element-wise greater or equal."),
    BINARY("logical_and", mx_logical_and, S_BINARY, NULL, "Element-wise logical and."),
    BINARY("logical_or", mx_logical_or, S_BINARY, NULL, "Element-wise logical or."),
    BINARY("logical_xor", mx_logical_xor, S_BINARY, NULL, "Element-wise logical exclusive or."),
    BINARY("bitwise_and", mx_bitwise_and, S_BINARY, NULL, "Element-wise bitwise and."),
    BINARY("bitwise_or", mx_bitwise_or, S_BINARY, NULL, "Element-wise bitwise or."),
    BINARY("bitwise_xor", mx_bitwise_xor, S_BINARY, NULL, "Element-wise bitwise xor."),
    BINARY("left_shift", mx_left_shift, S_BINARY, NULL, "Element-wise left shift."),
    BINARY("right_shift", mx_right_shift, S_BINARY, NULL, "Element-wise right shift."),
    /* ---- more reductions ---- */
    REDUCE("all", mx_all_axes, "An `and` reduction over the given axes."),
    REDUCE("any", mx_any_axes, "An `or` reduction over the given axes."),
    REDUCE("prod", mx_prod_axes, "An product reduction over the given axes."),
    REDUCE("min", mx_min_axes, "A `min` reduction over the given axes."),
    REDUCE("max", mx_max_axes, "A `max` reduction over the given axes."),
    REDUCE("mean", mx_mean_axes, "Compute the mean(s) over the given axes."),
    REDUCE_FN("median", mx_median_axes, "Compute the median(s) over the given axes."),
    REDUCE("logsumexp", mx_logsumexp_axes, "A `log-sum-exp` reduction over the given axes."),
    REDUCE_FN("count_nonzero", mx_count_nonzero_axes,
              "Count the number of non-zero elements along the given axis."),

    /* ---- evaluation ---- */
    CUSTOM("eval", mxp_op_eval, "*args", NULL,
           "Evaluate an :class:`array` or tree of :class:`array`.\n\nArgs:\n"
           "    *args (arrays or trees of arrays): Each argument is an array or a tree of "
           "arrays made of lists, tuples and dicts. Leaves that are not arrays are ignored."),
    CUSTOM("async_eval", mxp_op_async_eval, "*args", NULL,
           "Asynchronously evaluate an :class:`array` or tree of :class:`array`.\n\n"
           "Schedules the work and returns at once; reading an array (or :func:`eval`) waits "
           "for it.\n\nArgs:\n"
           "    *args (arrays or trees of arrays): Each argument is an array or a tree of "
           "arrays made of lists, tuples and dicts. Leaves that are not arrays are ignored."),
};

const size_t mxp_num_ops = sizeof mxp_ops / sizeof mxp_ops[0];
