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

/* Kinds whose row names two C functions: the whole-array (axis None) form
 * and the one-axis form. */
#define ROW2(kind_, field_, name_, f1_, f2_, spec_, method_, flags_, doc_)                         \
    {                                                                                              \
        .name = name_, .kind = kind_, .fn = {.field_ = {f1_, f2_}}, .spec = spec_,                 \
        .method = method_, .flags = flags_, .doc = doc_                                            \
    }
#define K(kind, field, name, f, spec, method, doc)                                                 \
    ROW(MXP_##kind, field, name, f, spec, method, 0, doc)
#define K2(kind, field, name, f1, f2, spec, method, doc)                                           \
    ROW2(MXP_##kind, field, name, f1, f2, spec, method, 0, doc)

/* Common parameter lists. */
#define S_UNARY  "a, /, *, stream=None"
#define M_UNARY  "*, stream=None"
#define S_BINARY "a, b, /, *, stream=None"
#define S_FFT    "a, n=None, axis=-1, norm='backward', stream=None"
#define S_FFT2   "a, s=None, axes=[-2, -1], norm='backward', stream=None"
#define S_FFTN   "a, s=None, axes=None, norm='backward', stream=None"

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
    UNARY("real", mx_real, S_UNARY, NULL, "Returns the real part of a complex array."),
    UNARY("imag", mx_imag, S_UNARY, NULL, "Returns the imaginary part of a complex array."),
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

    /* ---- more creation ---- */
    K(LINSPACE, linspace, "linspace", mx_linspace,
      "start, stop, num=50, endpoint=True, dtype=float32, stream=None", NULL,
      "Generate ``num`` evenly spaced numbers over interval ``[start, stop]``."),
    K(INT3_DTYPE, int3_dtype, "eye", mx_eye, "n, m=None, k=0, dtype=float32, *, stream=None", NULL,
      "Create an identity matrix or a general diagonal matrix."),
    K(INT_DTYPE, int_dtype, "identity", mx_identity, "n, dtype=float32, *, stream=None", NULL,
      "Create a square identity matrix."),
    K(INT3_DTYPE, int3_dtype, "tri", mx_tri, "n, m=None, k=0, dtype=None, *, stream=None", NULL,
      "An array with ones at and below the given diagonal and zeros elsewhere."),
    K(ARRAY_INT, array_int, "tril", mx_tril, "x, k=0, *, stream=None", NULL,
      "Zeros the array above the given diagonal."),
    K(ARRAY_INT, array_int, "triu", mx_triu, "x, k=0, *, stream=None", NULL,
      "Zeros the array below the given diagonal."),
    ROW(MXP_MESHGRID, meshgrid, "meshgrid", mx_meshgrid,
        "*arrays, sparse=False, indexing='xy', stream=None", NULL, MXP_RETURN_TUPLE,
        "Generate multidimensional coordinate grids from 1-D coordinate arrays."),
    K(ARRAY_ARRAY_DTYPE, array_array_dtype, "full_like", mx_full_like,
      "a, /, vals, dtype=None, *, stream=None", NULL,
      "An array of the same shape as ``a`` filled with ``vals``."),
    K(ARRAY_DTYPE_OPT, array_dtype, "zeros_like", mx_zeros_like, "a, /, dtype=None, *, stream=None",
      NULL, "An array of zeros with the same shape as the input."),
    K(ARRAY_DTYPE_OPT, array_dtype, "ones_like", mx_ones_like, "a, /, dtype=None, *, stream=None",
      NULL, "An array of ones with the same shape as the input."),
    K(INT, int1, "bartlett", mx_bartlett, "M, *, stream=None", NULL, "The Bartlett window."),
    K(INT, int1, "hanning", mx_hanning, "M, *, stream=None", NULL, "The Hanning window."),
    K(INT, int1, "hamming", mx_hamming, "M, *, stream=None", NULL, "The Hamming window."),
    K(INT, int1, "blackman", mx_blackman, "M, *, stream=None", NULL, "The Blackman window."),

    /* ---- shapes and views ---- */
    K(ARRAY_INT2, array_int2, "flatten", mx_flatten,
      "a, /, start_axis=0, end_axis=-1, *, stream=None",
      "start_axis=0, end_axis=-1, *, stream=None",
      "Flatten an array between ``start_axis`` and ``end_axis`` (inclusive)."),
    K(ARRAY_INT_SHAPE, array_int_shape, "unflatten", mx_unflatten,
      "a, /, axis, shape, *, stream=None", NULL, "Unflatten an axis of an array to a shape."),
    K2(AXES_OR_ALL, axes_or_all, "squeeze", mx_squeeze, mx_squeeze_axes,
       "a, /, axis=None, *, stream=None", "axis=None, *, stream=None",
       "Remove length one axes from an array."),
    K(ARRAY_AXES_OPT, array_axes, "expand_dims", mx_expand_dims_axes, "a, /, axis, *, stream=None",
      NULL, "Add a size one dimension at the given axis (or axes)."),
    K2(AXES_OR_ALL, axes_or_all, "flip", mx_flip, mx_flip_axes, "a, /, axis=None, *, stream=None",
       NULL, "Reverse the elements along the given axes (all axes by default)."),
    ROW(MXP_UNSTACK, unstack, "unstack", mx_unstack, "x, /, *, axis=0, stream=None", NULL,
        MXP_RETURN_TUPLE, "Split an array into the slices along an axis, that axis removed."),
    K(ARRAY_INT2, array_int2, "moveaxis", mx_moveaxis, "a, /, source, destination, *, stream=None",
      "source, destination, *, stream=None", "Move an axis to a new position."),
    K(ARRAY_INT2, array_int2, "swapaxes", mx_swapaxes, "a, /, axis1, axis2, *, stream=None",
      "axis1, axis2, *, stream=None", "Swap two axes of an array."),
    K(ARRAY_AXES_OPT, array_axes, "permute_dims", mx_transpose, "a, /, axes=None, *, stream=None",
      NULL, "Permute the dimensions of an array (the default reverses them)."),
    K(ARRAYS_MULTI, arrays_multi, "broadcast_arrays", mx_broadcast_arrays, "*arrays, stream=None",
      NULL, "Broadcast arrays against one another."),
    CUSTOM("broadcast_shapes", mxp_op_broadcast_shapes, "*shapes", NULL,
           "Broadcast shapes: the shape the given shapes broadcast to, as a tuple."),
    K2(ARRAYS_AXIS, arrays_axis, "concatenate", mx_concatenate_all, mx_concatenate,
       "arrays, /, axis=0, *, stream=None", NULL,
       "Concatenate the arrays along the given axis (``None``: flattened first)."),
    K2(ARRAYS_AXIS, arrays_axis, "concat", mx_concatenate_all, mx_concat,
       "arrays, /, axis=0, *, stream=None", NULL, "See :func:`concatenate`."),
    K2(ARRAYS_AXIS, arrays_axis, "stack", NULL, mx_stack, "arrays, /, axis=0, *, stream=None", NULL,
       "Stacks the arrays along a new axis."),
    K2(SPLIT, split, "split", mx_split, mx_split_indices,
       "a, /, indices_or_sections, axis=0, *, stream=None",
       "indices_or_sections, axis=0, *, stream=None",
       "Split an array along a given axis, into equal sections or at the given indices."),
    K2(ARRAY_INT_AXIS, array_int_axis, "repeat", mx_repeat, mx_repeat_axis,
       "array, /, repeats, axis=None, *, stream=None", NULL,
       "Repeat each element ``repeats`` times along an axis (or the flattened array)."),
    K(ARRAY_SHAPE, array_shape, "tile", mx_tile, "a, reps, /, *, stream=None", NULL,
      "Construct an array by repeating ``a`` the number of times given by ``reps``."),
    K(PAD, pad, "pad", mx_pad,
      "a, /, pad_width, mode='constant', constant_values=0, *, stream=None", NULL,
      "Pad an array with a constant value or the edge values."),
    K(AS_STRIDED, as_strided, "as_strided", mx_as_strided,
      "a, /, shape=None, strides=None, offset=0, *, stream=None", NULL,
      "Create a view into the array with the given shape and strides (in elements)."),
    K(VARARGS_UNARY, unary, "atleast_1d", mx_atleast_1d, "*arys, stream=None", NULL,
      "Convert all arrays to have at least one dimension."),
    K(VARARGS_UNARY, unary, "atleast_2d", mx_atleast_2d, "*arys, stream=None", NULL,
      "Convert all arrays to have at least two dimensions."),
    K(VARARGS_UNARY, unary, "atleast_3d", mx_atleast_3d, "*arys, stream=None", NULL,
      "Convert all arrays to have at least three dimensions."),
    K(ARRAY_INT3, array_int3, "diagonal", mx_diagonal, "a, offset=0, axis1=0, axis2=1, stream=None",
      "offset=0, axis1=0, axis2=1, stream=None", "Return specified diagonals."),
    K(ARRAY_INT, array_int, "diag", mx_diag, "a, /, k=0, *, stream=None", "k=0, *, stream=None",
      "Extract a diagonal or construct a diagonal matrix."),
    K2(ROLL, roll, "roll", mx_roll, mx_roll_axes, "a, /, shift, axis=None, *, stream=None", NULL,
       "Roll array elements along a given axis (or the flattened array)."),
    K(ARRAY_DTYPE, array_dtype, "view", mx_view, "a, /, dtype, *, stream=None",
      "dtype, *, stream=None", "View the array as a different type."),
    K(ARRAY_BOOL, array_bool, "contiguous", mx_contiguous,
      "a, /, allow_col_major=False, *, stream=None", NULL,
      "Force an array to be row contiguous (or column contiguous when allowed)."),
    K(SLICE_DYNAMIC, slice_dynamic, "slice", mx_slice_dynamic,
      "a, /, start_indices, axes, slice_size, *, stream=None", NULL,
      "Extract a sub-array from the input array, its start read from an array."),
    K(SLICE_UPDATE, slice_update, "slice_update", mx_slice_update_dynamic,
      "a, /, update, start_indices, axes, *, stream=None", NULL,
      "Update a sub-array of the input array, its start read from an array."),
    CUSTOM("depends", mxp_op_depends, "inputs, dependencies", NULL,
           "Insert dependencies between arrays in the graph: the outputs equal ``inputs`` and "
           "are computed after ``dependencies``."),
    UNARY("stop_gradient", mx_stop_gradient, S_UNARY, NULL,
          "Stop gradients from being computed: the operation is the identity."),

    /* ---- element-wise extras ---- */
    K(ARRAY_INT, array_int, "round", mx_round, "a, /, decimals=0, *, stream=None",
      "decimals=0, *, stream=None", "Round to the given number of decimals (half to even)."),
    K(CLIP, ternary, "clip", mx_clip, "a, /, a_min, a_max, *, stream=None", NULL,
      "Clip the values of the array between the given minimum and maximum."),
    K(NAN_TO_NUM, nan_to_num, "nan_to_num", mx_nan_to_num,
      "a, /, nan=0, posinf=None, neginf=None, *, stream=None", NULL,
      "Replace NaN and Inf values with finite numbers."),
    K(BINARY_TOL, binary_tol, "isclose", mx_isclose,
      "a, b, /, rtol=1e-05, atol=1e-08, *, equal_nan=False, stream=None", NULL,
      "Element-wise ``abs(a - b) <= (atol + rtol * abs(b))``."),
    K(BINARY_TOL, binary_tol, "allclose", mx_allclose,
      "a, b, /, rtol=1e-05, atol=1e-08, *, equal_nan=False, stream=None", NULL,
      "Whether every element of ``a`` is close to ``b`` (see :func:`isclose`)."),
    K(BINARY_BOOL, binary_bool, "array_equal", mx_array_equal,
      "a, b, /, *, equal_nan=False, stream=None", NULL,
      "Array equality check: same shape and equal values (a 0-d bool)."),
    K(BINARY_PAIR, binary_pair, "divmod", mx_divmod, "a, b, /, *, stream=None", NULL,
      "Element-wise quotient and remainder: ``[a // b, a % b]``."),
    K(TERNARY, ternary, "where", mx_where, "condition, x, y, /, *, stream=None", NULL,
      "Select from ``x`` or ``y`` according to ``condition``."),

    /* ---- reductions and scans ---- */
    K(REDUCE_DDOF, reduce_ddof, "var", mx_var_axes,
      "a, /, axis=None, keepdims=False, ddof=0, *, stream=None",
      "axis=None, keepdims=False, ddof=0, *, stream=None",
      "Compute the variance(s) over the given axes."),
    K(REDUCE_DDOF, reduce_ddof, "std", mx_std_axes,
      "a, /, axis=None, keepdims=False, ddof=0, *, stream=None",
      "axis=None, keepdims=False, ddof=0, *, stream=None",
      "Compute the standard deviation(s) over the given axes."),
    K2(ARG_REDUCE, arg_reduce, "argmin", mx_argmin, mx_argmin_axis,
       "a, /, axis=None, keepdims=False, *, stream=None",
       "axis=None, keepdims=False, *, stream=None",
       "Indices of the minimum values along the axis."),
    K2(ARG_REDUCE, arg_reduce, "argmax", mx_argmax, mx_argmax_axis,
       "a, /, axis=None, keepdims=False, *, stream=None",
       "axis=None, keepdims=False, *, stream=None",
       "Indices of the maximum values along the axis."),
    K2(SCAN_DTYPE, scan_dtype, "cumsum", mx_cumsum, mx_cumsum_axis,
       "a, /, axis=None, *, reverse=False, inclusive=True, dtype=None, stream=None",
       "axis=None, *, reverse=False, inclusive=True, dtype=None, stream=None",
       "Return the cumulative sum of the elements along the given axis."),
    K2(SCAN_DTYPE, scan_dtype, "cumprod", mx_cumprod, mx_cumprod_axis,
       "a, /, axis=None, *, reverse=False, inclusive=True, dtype=None, stream=None",
       "axis=None, *, reverse=False, inclusive=True, dtype=None, stream=None",
       "Return the cumulative product of the elements along the given axis."),
    K2(SCAN, scan, "cummax", mx_cummax, mx_cummax_axis,
       "a, /, axis=None, *, reverse=False, inclusive=True, stream=None",
       "axis=None, *, reverse=False, inclusive=True, stream=None",
       "Return the cumulative maximum of the elements along the given axis."),
    K2(SCAN, scan, "cummin", mx_cummin, mx_cummin_axis,
       "a, /, axis=None, *, reverse=False, inclusive=True, stream=None",
       "axis=None, *, reverse=False, inclusive=True, stream=None",
       "Return the cumulative minimum of the elements along the given axis."),
    K2(SCAN, scan, "logcumsumexp", mx_logcumsumexp, mx_logcumsumexp_axis,
       "a, /, axis=None, *, reverse=False, inclusive=True, stream=None",
       "axis=None, *, reverse=False, inclusive=True, stream=None",
       "Return the cumulative logsumexp of the elements along the given axis."),
    K(REDUCE, reduce, "softmax", mx_softmax_axes, "a, /, axis=None, *, precise=False, stream=None",
      NULL, "Perform the softmax along the given axis (all axes by default)."),
    K(ARRAY_INT3_DTYPE, array_int3_dtype, "trace", mx_trace,
      "a, /, offset=0, axis1=0, axis2=1, dtype=None, *, stream=None", NULL,
      "Return the sum along a specified diagonal in the given array."),
    K(ARRAY_INT2, array_int2, "diff", mx_diff, "a, /, n=1, axis=-1, *, stream=None", NULL,
      "The n-th discrete difference along the given axis."),

    /* ---- sorting ---- */
    K2(AXIS_OR_FLAT, axis_or_flat, "sort", mx_sort, mx_sort_axis, "a, /, axis=-1, *, stream=None",
       NULL, "Returns a sorted copy of the array (``axis=None``: flattened)."),
    K2(AXIS_OR_FLAT, axis_or_flat, "argsort", mx_argsort, mx_argsort_axis,
       "a, /, axis=-1, *, stream=None", NULL, "Returns the indices that sort the array."),
    K2(ARRAY_INT_AXIS, array_int_axis, "partition", mx_partition, mx_partition_axis,
       "a, /, kth, axis=-1, *, stream=None", NULL,
       "Returns a partitioned copy of the array such that the smaller ``kth`` elements are "
       "first."),
    K2(ARRAY_INT_AXIS, array_int_axis, "argpartition", mx_argpartition, mx_argpartition_axis,
       "a, /, kth, axis=-1, *, stream=None", NULL, "Returns the indices that partition the array."),
    K2(ARRAY_INT_AXIS, array_int_axis, "topk", mx_topk, mx_topk_axis,
       "a, /, k, axis=-1, *, stream=None", NULL,
       "Returns the ``k`` largest elements from the input along a given axis (unordered)."),
    K(BINARY_STR, binary_str, "searchsorted", mx_searchsorted,
      "sorted_sequence, values, /, side='left', *, stream=None", NULL,
      "Find the indices where ``values`` would be inserted to keep ``sorted_sequence`` "
      "sorted."),

    /* ---- index functions ---- */
    {.name = "take",
     .kind = MXP_TAKE,
     .fn = {.take = {mx_take, mx_take_axis, mx_take_index, mx_take_index_axis}},
     .spec = "a, /, indices, axis=None, *, stream=None",
     .method = NULL,
     .flags = 0,
     .doc = "Take elements along an axis (the flattened array by default)."},
    K(TAKE_ALONG, take_along, "take_along_axis", mx_take_along_axis,
      "a, /, indices, axis=-1, *, stream=None", NULL,
      "Take values along an axis at the specified indices."),
    K(PUT_ALONG, put_along, "put_along_axis", mx_put_along_axis,
      "a, /, indices, values, axis=None, *, stream=None", NULL,
      "Put values along an axis at the specified indices."),

    /* ---- random ---- */
    CUSTOM("random.seed", mxp_op_random_seed, "seed", NULL, "Seed the global PRNG."),
    CUSTOM("random.key", mxp_op_random_key, "seed", NULL, "Get a PRNG key from a seed."),
    K(ARRAY_INT, array_int, "random.split", mx_random_split, "key, num=2, stream=None", NULL,
      "Split a PRNG key into sub keys: a ``(num, 2)`` array."),
    K(ARRAY2_SHAPE_DTYPE_KEY, array2_shape_dtype_key, "random.uniform", mx_random_uniform,
      "low=0, high=1, shape=[], dtype=float32, key=None, stream=None", NULL,
      "Generate uniformly distributed random numbers in ``[low, high)``."),
    CUSTOM("random.normal", mxp_op_random_normal,
           "shape=[], dtype=float32, loc=None, scale=None, key=None, stream=None", NULL,
           "Generate normally distributed random numbers."),
    K(ARRAY2_SHAPE_DTYPE_KEY, array2_shape_dtype_key, "random.multivariate_normal",
      mx_random_multivariate_normal, "mean, cov, shape=[], dtype=float32, key=None, stream=None",
      NULL, "Generate jointly-normal random samples given a mean and covariance."),
    ROW(MXP_ARRAY2_SHAPE_DTYPE_KEY, array2_shape_dtype_key, "random.randint", mx_random_randint,
        "low, high, shape=[], dtype=int32, key=None, stream=None", NULL, MXP_DTYPE_NONE_INT32,
        "Generate random integers from the given interval ``[low, high)``."),
    CUSTOM("random.bernoulli", mxp_op_random_bernoulli, "p=0.5, shape=None, key=None, stream=None",
           NULL, "Generate Bernoulli random values."),
    ROW(MXP_ARRAY2_SHAPE_DTYPE_KEY, array2_shape_dtype_key, "random.truncated_normal",
        mx_random_truncated_normal,
        "lower, upper, shape=None, dtype=float32, key=None, stream=None", NULL,
        MXP_SHAPE_NONE_INFERS,
        "Generate values from a truncated normal distribution in ``[lower, upper]``."),
    K(SHAPE_DTYPE_KEY, shape_dtype_key, "random.gumbel", mx_random_gumbel,
      "shape=[], dtype=float32, key=None, stream=None", NULL,
      "Sample from the standard Gumbel distribution."),
    CUSTOM("random.categorical", mxp_op_random_categorical,
           "logits, axis=-1, shape=None, num_samples=None, key=None, stream=None", NULL,
           "Sample from a categorical distribution given unnormalized log-probabilities."),
    CUSTOM("random.laplace", mxp_op_random_laplace,
           "shape=[], dtype=float32, loc=0.0, scale=1.0, key=None, stream=None", NULL,
           "Sample numbers from a Laplace distribution."),
    CUSTOM("random.permutation", mxp_op_random_permutation, "x, axis=0, key=None, stream=None",
           NULL, "Generate a random permutation or permute the entries of an array."),

    /* ---- dtype utilities ---- */
    CUSTOM("result_type", mxp_op_result_type, "*arrays_and_dtypes", NULL,
           "The dtype from type promotion of the given arrays and dtypes."),
    CUSTOM("can_cast", mxp_op_can_cast, "from_, to", NULL,
           "Whether a cast from ``from_`` to ``to`` is allowed by the promotion rules."),
    CUSTOM("isdtype", mxp_op_isdtype, "dtype, kind", NULL,
           "Whether ``dtype`` is of the given kind (a dtype, a kind name or a tuple of them)."),

    /* ---- aliases mlx.core 0.32 has (the same function under a second name) ---- */
    UNARY("acos", mx_arccos, S_UNARY, NULL, "Element-wise inverse cosine (alias of arccos)."),
    UNARY("acosh", mx_arccosh, S_UNARY, NULL,
          "Element-wise inverse hyperbolic cosine (alias of arccosh)."),
    UNARY("asin", mx_arcsin, S_UNARY, NULL, "Element-wise inverse sine (alias of arcsin)."),
    UNARY("asinh", mx_arcsinh, S_UNARY, NULL,
          "Element-wise inverse hyperbolic sine (alias of arcsinh)."),
    UNARY("atan", mx_arctan, S_UNARY, NULL, "Element-wise inverse tangent (alias of arctan)."),
    UNARY("atanh", mx_arctanh, S_UNARY, NULL,
          "Element-wise inverse hyperbolic tangent (alias of arctanh)."),
    BINARY("atan2", mx_arctan2, S_BINARY, NULL,
           "Element-wise inverse tangent of the ratio of two arrays (alias of arctan2)."),
    BINARY("pow", mx_power, S_BINARY, NULL, "Element-wise power operation (alias of power)."),
    BINARY("bitwise_left_shift", mx_left_shift, S_BINARY, NULL,
           "Element-wise left shift (alias of left_shift)."),
    BINARY("bitwise_right_shift", mx_right_shift, S_BINARY, NULL,
           "Element-wise right shift (alias of right_shift)."),
    K2(SCAN_DTYPE, scan_dtype, "cumulative_sum", mx_cumsum, mx_cumsum_axis,
       "a, /, axis=None, *, reverse=False, inclusive=True, dtype=None, stream=None", NULL,
       "Cumulative sum (alias of cumsum)."),
    K2(SCAN_DTYPE, scan_dtype, "cumulative_prod", mx_cumprod, mx_cumprod_axis,
       "a, /, axis=None, *, reverse=False, inclusive=True, dtype=None, stream=None", NULL,
       "Cumulative product (alias of cumprod)."),
    SHAPE_DTYPE("empty", mx_zeros, "shape, dtype=float32, *, stream=None",
                "An array of the given shape (zero-filled; alias of zeros)."),
    K(ARRAY_DTYPE_OPT, array_dtype, "empty_like", mx_zeros_like, "a, /, dtype=None, *, stream=None",
      NULL, "An array shaped like ``a`` (zero-filled; alias of zeros_like)."),

    /* ---- linalg ---- */
    {.name = "linalg.norm",
     .kind = MXP_NORM,
     .fn = {.norm = {mx_linalg_norm, mx_linalg_norm_ord, mx_linalg_norm_str}},
     .spec = "a, /, ord=None, axis=None, keepdims=False, *, stream=None",
     .method = NULL,
     .flags = 0,
     .doc = "Matrix or vector norm.\n\n``ord`` None: the 2-norm of the flattened array (or of "
            "the given axes; Frobenius for two). A number: vector norms over one axis (0, "
            "+-inf, p) or matrix norms over two (1, -1, 2, -2, inf, -inf). A string: ``'fro'`` "
            "or ``'nuc'`` over two axes. ``axis`` None with ``ord`` given uses every axis of a "
            "1-D or 2-D input."},
    ROW(MXP_UNARY_PAIR, unary_pair, "linalg.qr", mx_linalg_qr, "a, *, stream=None", NULL,
        MXP_RETURN_TUPLE,
        "The reduced QR factorization of the last two axes: ``(Q, R)`` with ``Q`` "
        "(..., M, K) orthonormal columns and ``R`` (..., K, N) upper triangular."),
    ROW(MXP_SVD, svd, "linalg.svd", mx_linalg_svd, "a, compute_uv=True, *, stream=None", NULL,
        MXP_RETURN_TUPLE,
        "The singular value decomposition: ``(U, S, Vt)`` with ``a = U[..., :K] diag(S) "
        "Vt[..., :K, :]``, or the singular values ``S`` alone when ``compute_uv`` is False."),
    UNARY("linalg.inv", mx_linalg_inv, "a, *, stream=None", NULL,
          "The inverse of square matrices (the last two axes)."),
    K(ARRAY_BOOL, array_bool, "linalg.tri_inv", mx_linalg_tri_inv, "a, upper=False, *, stream=None",
      NULL,
      "The inverse of triangular matrices (the lower triangle, or the upper one with "
      "``upper``)."),
    K(ARRAY_BOOL, array_bool, "linalg.cholesky", mx_linalg_cholesky,
      "a, upper=False, *, stream=None", NULL,
      "The Cholesky factor of symmetric positive definite matrices: ``L`` with ``a = L L^T`` "
      "(or ``U`` with ``a = U^T U`` when ``upper``)."),
    K(ARRAY_BOOL, array_bool, "linalg.cholesky_inv", mx_linalg_cholesky_inv,
      "a, upper=False, *, stream=None", NULL,
      "The inverse of a symmetric positive definite matrix from its Cholesky factor."),
    UNARY("linalg.pinv", mx_linalg_pinv, "a, *, stream=None", NULL,
          "The Moore-Penrose pseudo-inverse, through the SVD."),
    K(BINARY_INT, binary_int, "linalg.cross", mx_linalg_cross, "a, b, axis=-1, *, stream=None",
      NULL, "The cross product of vectors of size 2 or 3 along ``axis``."),
    UNARY("linalg.eigvals", mx_linalg_eigvals, "a, *, stream=None", NULL,
          "The eigenvalues of general square matrices (complex64)."),
    ROW(MXP_UNARY_PAIR, unary_pair, "linalg.eig", mx_linalg_eig, "a, *, stream=None", NULL,
        MXP_RETURN_TUPLE,
        "Eigenvalues and right eigenvectors (columns) of general square matrices: ``(w, v)``, "
        "both complex64."),
    K(ARRAY_STR, array_str, "linalg.eigvalsh", mx_linalg_eigvalsh, "a, UPLO='L', *, stream=None",
      NULL,
      "The eigenvalues, ascending, of symmetric (Hermitian) matrices, reading the triangle "
      "``UPLO`` ('L' or 'U')."),
    ROW(MXP_ARRAY_STR_PAIR, array_str_pair, "linalg.eigh", mx_linalg_eigh,
        "a, UPLO='L', *, stream=None", NULL, MXP_RETURN_TUPLE,
        "Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric "
        "(Hermitian) matrices: ``(w, v)``."),
    ROW(MXP_UNARY_TRIPLE, unary_triple, "linalg.lu", mx_linalg_lu, "a, *, stream=None", NULL,
        MXP_RETURN_TUPLE,
        "The LU factorization with partial pivoting: ``(row_idx, L, U)``, row ``i`` of ``a`` "
        "being row ``row_idx[i]`` of ``L @ U``."),
    ROW(MXP_UNARY_PAIR, unary_pair, "linalg.lu_factor", mx_linalg_lu_factor, "a, *, stream=None",
        NULL, MXP_RETURN_TUPLE, "LAPACK's compact LU factorization: ``(LU, pivots)``."),
    BINARY("linalg.solve", mx_linalg_solve, "a, b, *, stream=None", NULL,
           "Solve ``a x = b`` for square ``a``; ``b`` is a vector or a matrix per batch."),
    K(BINARY_BOOL, binary_bool, "linalg.solve_triangular", mx_linalg_solve_triangular,
      "a, b, *, upper=False, stream=None", NULL,
      "Solve ``a x = b`` reading only the lower (or, with ``upper``, upper) triangle of ``a``."),
    UNARY("linalg.det", mx_linalg_det, "a, *, stream=None", NULL,
          "The determinant of square matrices."),
    ROW(MXP_UNARY_PAIR, unary_pair, "linalg.slogdet", mx_linalg_slogdet, "a, *, stream=None", NULL,
        MXP_RETURN_TUPLE,
        "The sign and the log of the absolute value of the determinant: ``(sign, "
        "logabsdet)``."),

    /* ---- fft ---- */
    K(FFT, fft, "fft.fft", mx_fft_fft, S_FFT, NULL,
      "The one dimensional discrete Fourier transform along ``axis``."),
    K(FFT, fft, "fft.ifft", mx_fft_ifft, S_FFT, NULL,
      "The one dimensional inverse discrete Fourier transform along ``axis``."),
    K(FFT, fft, "fft.rfft", mx_fft_rfft, S_FFT, NULL,
      "The one dimensional discrete Fourier transform of a real input: ``n // 2 + 1`` "
      "values."),
    K(FFT, fft, "fft.irfft", mx_fft_irfft, S_FFT, NULL,
      "The inverse of :func:`rfft`: ``n`` real values (by default ``2 * (size - 1)``)."),
    K(FFTN, fftn, "fft.fft2", mx_fft_fftn, S_FFT2, NULL,
      "The two dimensional discrete Fourier transform (``axes=None``: every axis)."),
    K(FFTN, fftn, "fft.ifft2", mx_fft_ifftn, S_FFT2, NULL,
      "The two dimensional inverse discrete Fourier transform."),
    K(FFTN, fftn, "fft.rfft2", mx_fft_rfftn, S_FFT2, NULL,
      "The two dimensional real discrete Fourier transform (the last axis is the real one)."),
    K(FFTN, fftn, "fft.irfft2", mx_fft_irfftn, S_FFT2, NULL, "The inverse of :func:`rfft2`."),
    K(FFTN, fftn, "fft.fftn", mx_fft_fftn, S_FFTN, NULL,
      "The n-dimensional discrete Fourier transform (every axis by default; the last "
      "``len(s)`` with only ``s``)."),
    K(FFTN, fftn, "fft.ifftn", mx_fft_ifftn, S_FFTN, NULL,
      "The n-dimensional inverse discrete Fourier transform."),
    K(FFTN, fftn, "fft.rfftn", mx_fft_rfftn, S_FFTN, NULL,
      "The n-dimensional real discrete Fourier transform (the last axis is the real one)."),
    K(FFTN, fftn, "fft.irfftn", mx_fft_irfftn, S_FFTN, NULL, "The inverse of :func:`rfftn`."),
    K(INT_DOUBLE, int_double, "fft.fftfreq", mx_fft_fftfreq, "n, d=1.0, stream=None", NULL,
      "The discrete Fourier transform sample frequencies for ``n`` points with spacing ``d``."),
    K(INT_DOUBLE, int_double, "fft.rfftfreq", mx_fft_rfftfreq, "n, d=1.0, stream=None", NULL,
      "The non-negative sample frequencies of :func:`rfft`."),
    K(ARRAY_AXES_OPT, array_axes, "fft.fftshift", mx_fft_fftshift, "a, axes=None, stream=None",
      NULL, "Shift the zero frequency to the centre (along ``axes``; every axis by default)."),
    K(ARRAY_AXES_OPT, array_axes, "fft.ifftshift", mx_fft_ifftshift, "a, axes=None, stream=None",
      NULL, "The inverse of :func:`fftshift`."),

    /* ---- matrix products ---- */
    K(ADDMM, addmm, "addmm", mx_addmm, "c, a, b, /, alpha=1.0, beta=1.0, *, stream=None", NULL,
      "``alpha * (a @ b) + beta * c``."),
    ROW2(MXP_TENSORDOT, tensordot, "tensordot", mx_tensordot, mx_tensordot_axes,
         "a, b, /, axes=2, *, stream=None", NULL, 0,
         "Sum of products over the last ``axes`` axes of ``a`` and the first of ``b``, or "
         "over the two given lists of axes."),
    BINARY("inner", mx_inner, S_BINARY, NULL,
           "Ordinary inner product of vectors for 1-D arrays, in higher dimensions a sum "
           "product over the last axes."),
    BINARY("outer", mx_outer, S_BINARY, NULL,
           "The outer product of the flattened inputs: ``(a.size, b.size)``."),
    BINARY("kron", mx_kron, "a, b, *, stream=None", NULL, "The Kronecker product."),
    K(BINARY_INT, binary_int, "vecdot", mx_vecdot, "a, b, /, axis=-1, *, stream=None", NULL,
      "The vector dot product ``sum(conj(a) * b)`` along ``axis``."),
    K(GATHER_MM, gather_mm, "gather_mm", mx_gather_mm,
      "a, b, /, lhs_indices=None, rhs_indices=None, *, sorted_indices=False, stream=None", NULL,
      "Matrix products of the matrices of ``a`` and ``b`` chosen by the index arrays."),
    K(ARRAY3, ternary, "segmented_mm", mx_segmented_mm, "a, b, /, segments, *, stream=None", NULL,
      "Matrix products over segments ``[start, end)`` of the inner dimension."),
    K(BLOCK_MASKED_MM, block_masked_mm, "block_masked_mm", mx_block_masked_mm,
      "a, b, /, block_size=64, mask_out=None, mask_lhs=None, mask_rhs=None, *, stream=None", NULL,
      "Matrix product with blocks of the inputs and the output masked (or scaled)."),
    K(ARRAY_OPT_FLOAT, array_opt_float, "hadamard_transform", mx_hadamard_transform,
      "a, /, scale=None, *, stream=None", NULL,
      "The Walsh-Hadamard transform along the last axis, times ``scale`` (by default "
      "``1/sqrt(n)``)."),
    K(STR_ARRAYS, str_arrays, "einsum", mx_einsum, "subscripts, *operands, stream=None", NULL,
      "Einstein summation over the operands as ``subscripts`` says."),
    CUSTOM("einsum_path", mxp_op_einsum_path, "subscripts, *operands", NULL,
           "The contraction order einsum uses: ``(path, text)``, the path a list of tuples of "
           "operand positions, the text a summary of its cost."),

    /* ---- quantization ---- */
    K(QUANTIZE, quantize, "quantize", mx_quantize,
      "w, /, group_size=None, bits=None, mode='affine', global_scale=None, *, stream=None", NULL,
      "Quantize the matrix ``w`` along its last axis: ``[w_q, scales, biases]`` (``affine``) "
      "or ``[w_q, scales]``."),
    K(DEQUANTIZE, dequantize, "dequantize", mx_dequantize,
      "w, /, scales, biases=None, group_size=None, bits=None, mode='affine', "
      "global_scale=None, dtype=None, *, stream=None",
      NULL, "Dequantize ``w`` with its scales (and biases)."),
    K(QUANTIZED_MATMUL, quantized_matmul, "quantized_matmul", mx_quantized_matmul,
      "x, w, /, scales, biases=None, transpose=True, group_size=None, bits=None, "
      "mode='affine', *, stream=None",
      NULL, "``x @ dequantize(w).T`` (or without the transpose), w kept quantized."),
    K(GATHER_QMM, gather_qmm, "gather_qmm", mx_gather_qmm,
      "x, w, /, scales, biases=None, lhs_indices=None, rhs_indices=None, transpose=True, "
      "group_size=None, bits=None, mode='affine', global_scale=None, *, "
      "sorted_indices=False, stream=None",
      NULL, "quantized_matmul of matrices chosen by the index arrays."),
    K(QQMM, qqmm, "qqmm", mx_qqmm,
      "x, w, /, scales=None, group_size=None, bits=None, mode='nvfp4', global_scale_x=None, "
      "global_scale_w=None, *, stream=None",
      NULL,
      "``dequantize(quantize(x)) @ dequantize(w).T``: both operands quantized (``w`` packed "
      "with its ``scales``, or quantized on the fly when ``scales`` is None)."),
    K(GATHER_QQMM, gather_qqmm, "gather_qqmm", mx_gather_qqmm,
      "x, w, /, scales=None, lhs_indices=None, rhs_indices=None, group_size=None, bits=None, "
      "mode='nvfp4', global_scale_x=None, global_scale_w=None, *, sorted_indices=False, "
      "stream=None",
      NULL, "qqmm of matrices chosen by the index arrays."),

    /* ---- convolutions ---- */
    K(CONV1D, conv1d, "conv1d", mx_conv1d,
      "input, weight, /, stride=1, padding=0, dilation=1, groups=1, *, stream=None", NULL,
      "1D convolution over an input with several channels (``NLC`` input, ``OLI`` weight)."),
    K(CONV_ND, conv_nd, "conv2d", mx_conv2d,
      "input, weight, /, stride=1, padding=0, dilation=1, groups=1, *, stream=None", NULL,
      "2D convolution over an input with several channels (``NHWC`` input, ``OHWI`` weight)."),
    K(CONV_ND, conv_nd, "conv3d", mx_conv3d,
      "input, weight, /, stride=1, padding=0, dilation=1, groups=1, *, stream=None", NULL,
      "3D convolution over an input with several channels (``NDHWC`` input, ``ODHWI`` "
      "weight)."),
    K(CONV_TRANSPOSE1D, conv_transpose1d, "conv_transpose1d", mx_conv_transpose1d,
      "input, weight, /, stride=1, padding=0, dilation=1, output_padding=0, groups=1, *, "
      "stream=None",
      NULL, "1D transposed convolution (``NLC`` input, ``OLI`` weight)."),
    K(CONV_TRANSPOSE_ND, conv_transpose_nd, "conv_transpose2d", mx_conv_transpose2d,
      "input, weight, /, stride=1, padding=0, dilation=1, output_padding=0, groups=1, *, "
      "stream=None",
      NULL, "2D transposed convolution (``NHWC`` input, ``OHWI`` weight)."),
    K(CONV_TRANSPOSE_ND, conv_transpose_nd, "conv_transpose3d", mx_conv_transpose3d,
      "input, weight, /, stride=1, padding=0, dilation=1, output_padding=0, groups=1, *, "
      "stream=None",
      NULL, "3D transposed convolution (``NDHWC`` input, ``ODHWI`` weight)."),
    K(CONV_GENERAL, conv_general, "conv_general", mx_conv_general,
      "input, weight, /, stride=1, padding=0, kernel_dilation=1, input_dilation=1, groups=1, "
      "flip=False, *, stream=None",
      NULL,
      "General convolution: per-axis strides, paddings (an int, one per axis, or a pair "
      "``(low, high)`` of per-axis lists), kernel and input dilations, groups, and ``flip`` "
      "(True: convolution, False: cross-correlation)."),
    K(BINARY_STR, binary_str, "convolve", mx_convolve, "a, v, /, mode='full', *, stream=None", NULL,
      "The discrete, linear convolution of two 1-d arrays (``mode``: full, same, valid)."),
    UNARY("to_fp8", mx_to_fp8, "x, /, *, stream=None", NULL,
          "Convert to FP8 E4M3 bytes (uint8), saturating at +-448."),
    K(ARRAY_DTYPE, array_dtype, "from_fp8", mx_from_fp8, "x, /, dtype=bfloat16, *, stream=None",
      NULL, "Convert FP8 E4M3 bytes (uint8) to ``dtype``."),

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

    /* ---- file formats and mx.fast ---- */
    CUSTOM("load", mxp_op_load, "file, /, format=None, return_metadata=False, *, stream=None", NULL,
           "Load array(s) from a binary file: ``.npy``, ``.npz``, ``.safetensors`` or "
           "``.gguf``.\n\nArgs:\n    file (file, str, pathlib.Path): File in which the array is "
           "saved.\n    format (str, optional): Format of the file; ``None`` infers it from the "
           "extension.\n    return_metadata (bool, optional): Also return the metadata "
           "(safetensors and GGUF) as a dict.\n\nReturns:\n    array, dict, or tuple: an array "
           "for ``.npy``, a dict of names to arrays otherwise, ``(arrays, metadata)`` when "
           "``return_metadata`` is ``True``."),
    CUSTOM("save", mxp_op_save, "file, arr", NULL,
           "Save the array to a binary file in ``.npy`` format.\n\nArgs:\n"
           "    file (str, pathlib.Path, file): File to which the array is saved.\n"
           "    arr (array): Array to be saved."),
    CUSTOM("save_safetensors", mxp_op_save_safetensors, "file, arrays, metadata=None", NULL,
           "Save array(s) to a binary file in ``.safetensors`` format.\n\nArgs:\n"
           "    file (file, str, pathlib.Path): File in which the array is saved.\n"
           "    arrays (dict(str, array)): The dictionary of names to arrays to be saved.\n"
           "    metadata (dict(str, str), optional): The dictionary of metadata to be saved."),
    CUSTOM("save_gguf", mxp_op_save_gguf, "file, arrays, metadata=None", NULL,
           "Save array(s) to a binary file in ``.gguf`` format.\n\nArgs:\n"
           "    file (file, str, pathlib.Path): File in which the array is saved.\n"
           "    arrays (dict(str, array)): The dictionary of names to arrays to be saved.\n"
           "    metadata (dict(str, Union[array, str, list(str)])): The metadata: scalar or "
           "1-d arrays, strings or lists of strings."),
    CUSTOM("fast.rms_norm", mxp_op_fast_rms_norm, "x, weight, eps, *, stream=None", NULL,
           "Root Mean Square normalization over the last axis of ``x``, scaled by ``weight`` "
           "(``None``: no scaling)."),
    CUSTOM("fast.layer_norm", mxp_op_fast_layer_norm, "x, weight, bias, eps, *, stream=None", NULL,
           "Layer normalization over the last axis of ``x``, scaled by ``weight`` and shifted by "
           "``bias`` (either ``None``: none)."),
    CUSTOM("fast.rope", mxp_op_fast_rope,
           "a, dims, *, traditional, base, scale, offset, freqs=None, stream=None", NULL,
           "Apply rotary positional encoding to the input (at least 3-d, ``(B, *, T, D)``).\n\n"
           "``offset`` is an int or an array (a scalar or one offset per batch entry); exactly "
           "one of ``base`` and ``freqs`` is ``None``."),
    CUSTOM("fast.scaled_dot_product_attention", mxp_op_fast_sdpa,
           "q, k, v, *, scale, mask=None, sinks=None, force_fused=False, stream=None", NULL,
           "A fast implementation of multi-head attention: ``O = softmax(Q @ K.T, dim=-1) @ V``."
           "\n\n``mask`` is ``None``, ``\"causal\"`` (lower-right aligned), a boolean array "
           "(true keeps) or an additive array. Grouped-query attention: ``k`` and ``v`` may have "
           "fewer heads than ``q``."),
    /* ---- unique, minmax, matrix helpers, stft, cross_entropy, gated delta ---- */
    CUSTOM("unique", mxp_op_unique,
           "a, /, size, return_index=False, return_inverse=False, return_counts=False, "
           "fill_value=None, *, stream=None",
           NULL,
           "Returns the sorted unique elements of the flattened array, in an output of the "
           "static ``size`` (``a`` is not evaluated).\n\nEntries past the last unique element "
           "hold ``fill_value`` (``None``: the first unique element) and have count 0; a "
           "smaller ``size`` keeps the smallest unique elements and clamps ``inverse``. With "
           "any of ``return_index`` (uint32 first positions), ``return_inverse`` (uint32, "
           "``a``'s shape) or ``return_counts`` (int32), a tuple in the order values, index, "
           "inverse, counts."),
    CUSTOM("minmax", mxp_op_minmax, "a, /, axis=None, keepdims=False, *, stream=None", NULL,
           "Return the minimum and maximum over the given axes, as a tuple ``(min, max)``."),
    {.name = "matrix_norm",
     .kind = MXP_NORM,
     .fn = {.norm = {mx_linalg_norm, mx_linalg_norm_ord, mx_linalg_norm_str}},
     .spec = "a, /, ord=None, axis=None, keepdims=False, *, stream=None",
     .method = NULL,
     .flags = 0,
     .doc = "Matrix or vector norm (the same function as :func:`linalg.norm`)."},
    UNARY("matrix_transpose", mx_matrix_transpose, "a, /, *, stream=None", NULL,
          "Transpose the last two dimensions of the array."),
    CUSTOM("fft.stft", mxp_op_fft_stft,
           "x, n_fft=2048, hop_length=None, win_length=None, window=None, center=True, "
           "pad_mode='reflect', norm='backward', onesided=None, stream=None",
           NULL,
           "Short-Time Fourier Transform of the last axis: frames of ``n_fft`` samples every "
           "``hop_length`` (``n_fft // 4``), times ``window`` (ones of ``win_length``, centred "
           "and zero-padded to ``n_fft``), transformed. ``center`` pads ``n_fft // 2`` at both "
           "ends with ``pad_mode`` (``reflect``, ``constant``, ``edge``). ``onesided`` "
           "defaults to True for real input. Complex output ``(..., n_freq, n_frames)``."),
    CUSTOM("fft.istft", mxp_op_fft_istft,
           "stft_matrix, n_fft=None, hop_length=None, win_length=None, window=None, "
           "center=True, norm='backward', onesided=None, length=None, stream=None",
           NULL,
           "Inverse Short-Time Fourier Transform: the windowed inverse transform of each frame, "
           "overlap-added and divided by the squared-window envelope. ``n_fft`` defaults to "
           "``2 * (n_freq - 1)`` (one-sided, the default) or ``n_freq``; ``length`` cuts or "
           "zero-pads the result."),
    CUSTOM("fast.cross_entropy", mxp_op_fast_cross_entropy, "logits, targets, *, stream=None", NULL,
           "Cross entropy with class indices as targets: ``logsumexp(logits, axis=-1) - "
           "logits[..., targets]`` as float32 of ``targets``' shape."),
    CUSTOM("fast.gated_delta_update", mxp_op_fast_gated_delta_update,
           "q, k, v, gamma, beta, initial_state=None, mask=None, stream=None", NULL,
           "Gated delta network recurrence over T steps. q, k ``[B, T, Hk, Dk]``, v ``[B, T, "
           "Hv, Dv]``, gamma ``[B, T, Hv]`` (or ``[B, T, Hv, Dk]``), beta ``[B, T, Hv]``, "
           "initial_state ``[B, Hv, Dv, Dk]``, mask ``[B, T]``. Returns ``[output [B, T, Hv, "
           "Dv], final_state [B, Hv, Dv, Dk]]``; the state is float32."),
    /* ---- distributed ---- */
    CUSTOM("distributed.is_available", mxp_op_dist_is_available, "backend='any'", NULL,
           "Check if a communication backend is available (``any``, ``ring``, ``mpi``, "
           "``nccl``, ``jaccl``).\n\nIt says whether cmlx can create groups of that backend, "
           "not whether one can be made now: :func:`init` with ``strict=True`` says that."),
    CUSTOM("distributed.init", mxp_op_dist_init,
           "strict=False, backend='any', *, all_gather_factory=None", NULL,
           "Initialize the communication backend and create the global communication group."
           "\n\n``backend`` is ``any`` (the first available one that initialises), ``ring``, "
           "``mpi``, ``nccl`` or ``jaccl``; a backend that initialises is kept and returned by "
           "later calls. Without one, ``strict=False`` gives a group of one process and "
           "``strict=True`` raises RuntimeError. ``all_gather_factory`` only serves the "
           "``jaccl`` backend."),
    CUSTOM("distributed.all_sum", mxp_op_dist_all_sum, "x, *, group=None, stream=None", NULL,
           "All reduce sum: the sum of the ``x`` arrays of every process in the group "
           "(``None``: the global group)."),
    CUSTOM("distributed.all_max", mxp_op_dist_all_max, "x, *, group=None, stream=None", NULL,
           "All reduce max: the elementwise maximum of the ``x`` arrays of every process in "
           "the group (``None``: the global group)."),
    CUSTOM("distributed.all_min", mxp_op_dist_all_min, "x, *, group=None, stream=None", NULL,
           "All reduce min: the elementwise minimum of the ``x`` arrays of every process in "
           "the group (``None``: the global group)."),
    CUSTOM("distributed.all_gather", mxp_op_dist_all_gather, "x, *, group=None, stream=None", NULL,
           "Gather the ``x`` arrays of every process (all of the same shape) and concatenate "
           "them along the first axis, in rank order."),
    CUSTOM("distributed.sum_scatter", mxp_op_dist_sum_scatter, "x, *, group=None, stream=None",
           NULL,
           "Sum ``x`` across the processes of the group and keep this process's block of the "
           "first axis: ``all_sum(x)[rank * n:(rank + 1) * n]`` with ``n = x.shape[0] // "
           "group.size()``, which must divide evenly."),
    CUSTOM("distributed.send", mxp_op_dist_send, "x, dst, *, group=None, stream=None", NULL,
           "Send ``x`` to the process of rank ``dst`` in the group. Returns an array equal to "
           "``x``; evaluating it performs the send."),
    CUSTOM("distributed.recv", mxp_op_dist_recv, "shape, dtype, src, *, group=None, stream=None",
           NULL,
           "Receive an array of the given shape and dtype from the process of rank ``src`` "
           "in the group."),
    CUSTOM("distributed.recv_like", mxp_op_dist_recv_like, "x, src, *, group=None, stream=None",
           NULL,
           "Receive an array with the shape and dtype of ``x`` from the process of rank "
           "``src``: ``recv(x.shape, x.dtype, src)``."),
};

const size_t mxp_num_ops = sizeof mxp_ops / sizeof mxp_ops[0];
