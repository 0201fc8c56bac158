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
