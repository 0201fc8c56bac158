/*
 * Internal header of the cmlx.core extension: the object layouts and the
 * helpers the source files share. Everything here is prefixed mxp_.
 *
 * Files:
 *   module.c      module init: types, constants, submodules, the op table
 *   distributed.c cmlx.core.distributed: the Group type, init and the collectives
 *   errors.c      C status -> Python exception
 *   dtype.c       Dtype objects, DtypeCategory, issubdtype
 *   device.c      DeviceType, Device, Stream, StreamContext and their functions
 *   memory.c      the memory API
 *   array.c       the array type: construction, properties, scalars, copies
 *   array_ops.c   operators (+ - * / @, reflected and in-place) with weak scalars
 *   array_index.c index parsing, __getitem__, __setitem__ and iteration
 *   array_at.c    indexed updates (a[k] = v, a.at[k].add(v), ...) and ArrayAt
 *   array_buffer.c buffer protocol, __array__, pickling
 *   print.c       repr/str in MLX's format
 *   convert.c     Python objects -> mx_array (scalars, weak scalars), mx_array -> item/tolist
 *   convert_seq.c nested lists/tuples -> mx_array (MLX's dtype inference)
 *   convert_buffer.c buffer-protocol objects (NumPy) -> mx_array
 *   args.c        argument converters (shape, axes, dtype, stream, ...)
 *   function.c    the op callable type: parameter specs, binding, methods
 *   kinds.c       one generic caller per signature kind, and the kind table
 *   kinds_multi.c kinds over lists of arrays or with several results
 *   kinds_args.c  kinds with structured arguments (kinds.h: their shared helpers)
 *   kinds_linalg.c kinds of linalg and the matrix products
 *   kinds_fft.c   kinds of the fft submodule
 *   kinds_quant.c kinds of the quantization ops
 *   ops_table.c   THE op table: one row per bound op
 *   ops_custom.c  ops needing a hand-written caller (arange, einsum_path, ...)
 *   eval.c        eval and async_eval over trees of arrays
 *   random.c      random samplers with their own argument logic; random.state
 *   dtype_info.c  finfo, iinfo, result_type, can_cast, isdtype
 *   pytree.c      trees of arrays (lists, tuples, dicts): flatten and rebuild
 *   transforms*.c grad, value_and_grad, vjp, jvp, vmap, checkpoint, custom_function
 *                 (transforms.h: what they share)
 *   gpu_kernels.c fast.metal_kernel / cuda_kernel: checked, then "no such back-end"
 */
#ifndef CMLX_PY_H
#define CMLX_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdbool.h>

#include "cmlx.h"

/* Most dimensions the bindings handle on the stack (the library's limit). */
#define MXP_MAX_NDIM 64
/* Copies of at least this many bytes run with the GIL released. */
#define MXP_NOGIL_BYTES (1 << 16)
/* Most parameters an op spec may have. */
#define MXP_MAX_PARAMS 16

/* ---- errors.c ---- */

/* Sets the Python exception for a failed C call (status rc, message from
 * mx_last_error) and returns NULL. */
PyObject *mxp_raise(int rc);
/* Like mxp_raise but returns -1, for int-returning helpers. */
int mxp_raise_int(int rc);

/* ---- array.c ---- */

typedef struct {
    PyObject_HEAD mx_array *arr; /* owned; never NULL once initialised */
    PyObject *weakreflist;
} mxp_array_object;

extern PyTypeObject mxp_array_type;

static inline bool mxp_is_array(PyObject *o) {
    return PyObject_TypeCheck(o, &mxp_array_type);
}
static inline mx_array *mxp_arr(PyObject *o) {
    return ((mxp_array_object *)o)->arr;
}
/* Wraps a (stealing the reference) in a new array object; NULL with an
 * exception set (and a freed) on failure. a NULL gives NULL as well. */
PyObject *mxp_array_wrap(mx_array *a);
/* Replaces self's array (stealing a), used by in-place operators. */
void mxp_array_replace(PyObject *self, mx_array *a);
/* The shape of a as a tuple of ints. */
PyObject *mxp_shape_tuple(const mx_array *a);
/* Evaluates a with the GIL released. 0 or -1 with an exception set. */
int mxp_eval_nogil(mx_array *a);
/* Schedules the arrays (and waits for them when `wait`) with the GIL
 * released; the caller keeps them alive. 0 or -1 with an exception set. */
int mxp_eval_many(mx_array *const *arrays, size_t n, bool wait);
int mxp_array_init_type(PyObject *module);

/* ---- array_ops.c / array_index.c / array_buffer.c / print.c ---- */

extern PyNumberMethods mxp_array_as_number;
/* a < b, a == b, ... elementwise (array_ops.c). */
PyObject *mxp_array_richcompare(PyObject *a, PyObject *b, int op);
extern PyMappingMethods mxp_array_as_mapping;
extern PyBufferProcs mxp_array_as_buffer;
extern PyTypeObject mxp_array_iterator_type;
PyObject *mxp_array_subscript(PyObject *self, PyObject *key);
PyObject *mxp_array_iter(PyObject *self);
PyObject *mxp_array_dunder_array(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                 PyObject *kwnames);
PyObject *mxp_array_reduce(PyObject *self, PyObject *unused);
PyObject *mxp_unpickle(PyObject *module, PyObject *args);
PyObject *mxp_array_repr(PyObject *self);
/* __bytes__, __getstate__, __setstate__ (array_buffer.c). */
PyObject *mxp_array_bytes(PyObject *self, PyObject *unused);
PyObject *mxp_array_getstate(PyObject *self, PyObject *unused);
PyObject *mxp_array_setstate(PyObject *self, PyObject *state);

/* ---- array_index.c / array_at.c: indexing ---- */

/* Most entries a parsed key holds: one per source axis plus the Nones. */
#define MXP_MAX_INDEX (2 * MXP_MAX_NDIM)

typedef enum mxp_ix_kind { MXP_IX_NONE, MXP_IX_SLICE, MXP_IX_INT, MXP_IX_ARRAY } mxp_ix_kind;

/* One entry of a parsed key. */
typedef struct mxp_ix_entry {
    mxp_ix_kind kind;
    int axis;                       /* source axis; -1 for NONE */
    int32_t start, stop, step, len; /* SLICE: as mx_slice takes them, len its
                                       length; INT: start is the index, in range */
    mx_array *arr;                  /* ARRAY: the integer index array (owned) */
} mxp_ix_entry;

/* A key with the Ellipsis expanded and a full slice for every axis it does
 * not reach, so that each axis has exactly one non-NONE entry. */
typedef struct mxp_index {
    mxp_ix_entry e[MXP_MAX_INDEX];
    int n;
    int narrays;    /* ARRAY entries; with any, the INT entries are advanced too */
    int first_adv;  /* entry of the first advanced index, -1 without arrays */
    bool adjacent;  /* the advanced entries are next to each other (their
                       dimensions replace them; otherwise they go first) */
    mx_array *mask; /* the whole key was a boolean array (owned); n == 0 */
} mxp_index;

/* Parses key against a (MLX's rules; errors as MLX raises them, with an
 * IndexError for an int out of range). 0, or -1 with an exception set and
 * nothing to clear. */
int mxp_index_parse(const mx_array *a, PyObject *key, mxp_index *ix);
void mxp_index_clear(mxp_index *ix);
/* start/stop/step for every axis (shape: the source's) as mx_slice takes
 * them: the slices and basic ints; full extents on advanced axes. Returns
 * whether they select everything (no slice needed). */
bool mxp_index_slices(const mxp_index *ix, const int32_t *shape, int32_t *start, int32_t *stop,
                      int32_t *step);
/* The shape a[key] has (`out`, up to MXP_MAX_NDIM) and returns its ndim; the
 * broadcast shape of the advanced indices goes to ishape (ndim in *ind). -1
 * with an exception. */
int mxp_index_result_shape(const mxp_index *ix, int32_t *out, int32_t *ishape, int *ind);
/* The advanced indices as index arrays (ints become 0-d int32 arrays; the
 * caller frees idx[0..k)) and their source axes. Returns k or -1. */
int mxp_index_arrays(const mxp_index *ix, mx_array **idx, int *axes);
/* The source axes kept by slices, in order (returns their count), and in
 * *before how many come before the first advanced entry. */
int mxp_index_kept_axes(const mxp_index *ix, int *axes, int *before);

typedef enum mxp_update_op {
    MXP_UPDATE_SET,
    MXP_UPDATE_ADD,
    MXP_UPDATE_SUBTRACT,
    MXP_UPDATE_MULTIPLY,
    MXP_UPDATE_DIVIDE,
    MXP_UPDATE_MAXIMUM,
    MXP_UPDATE_MINIMUM,
} mxp_update_op;

/* A new array: a with a[key] set to (or combined by op with) value, which is
 * cast to a's dtype (Python scalars are weak) and broadcast to a[key]'s
 * shape. A new reference, or NULL with an exception set. */
mx_array *mxp_index_update(mx_array *a, PyObject *key, PyObject *value, mxp_update_op op);
extern PyTypeObject mxp_array_at_type;
/* The `at` property: an ArrayAt over the array. */
PyObject *mxp_array_at(PyObject *self, void *closure);

/* ---- dtype.c ---- */

typedef struct {
    PyObject_HEAD mx_dtype dtype;
} mxp_dtype_object;

extern PyTypeObject mxp_dtype_type;
/* The Dtype object of a dtype (borrowed reference). */
PyObject *mxp_dtype_obj(mx_dtype t);
int mxp_dtype_init(PyObject *module);
/* enum.Enum(name, names) with values 0..n-1, its module set to cmlx.core. */
PyObject *mxp_make_enum(const char *name, const char *const *names, int n);

/* ---- device.c ---- */

extern PyTypeObject mxp_device_type;
extern PyTypeObject mxp_stream_type;
typedef struct {
    PyObject_HEAD mx_device device;
} mxp_device_object;
typedef struct {
    PyObject_HEAD mx_stream stream;
} mxp_stream_object;
PyObject *mxp_stream_new(mx_stream s);
/* Reads a Device or DeviceType. 0, or -1 with TypeError set. */
int mxp_to_device(PyObject *o, mx_device *out);
int mxp_device_init(PyObject *module);

/* ---- memory.c ---- */
int mxp_memory_init(PyObject *module);

/* ---- convert.c ---- */

/* mx.array(obj, dtype) semantics: Python scalars (bool -> bool, int ->
 * int32/int64, float -> float32, complex -> complex64), nested sequences,
 * buffer-protocol objects (NumPy), arrays and objects with __mlx_array__.
 * dtype MX_DTYPE_NONE infers. Returns a new reference or NULL with an
 * exception set. */
mx_array *mxp_to_array(PyObject *o, mx_dtype dtype);
/* A Python scalar taking the dtype of the array it meets (MLX's weak
 * scalars): o is converted as the other operand of an op on an array of
 * dtype `other`. `opname` names the operation in the error raised for an
 * unsupported type (NULL: the mx.array message). */
mx_array *mxp_to_array_weak(PyObject *o, mx_dtype other, const char *opname);
/* Converts both operands of a binary op with MLX's rules: an array meeting a
 * Python scalar makes the scalar weak. 0, or -1 with an exception set. */
int mxp_to_arrays(PyObject *a, PyObject *b, mx_array **ra, mx_array **rb, const char *opname);
/* Whether o counts as an array operand (an array or has __mlx_array__). */
bool mxp_is_array_like(PyObject *o);
/* The value of a size-1 array as a Python scalar. */
PyObject *mxp_item(mx_array *a);
/* The array as nested lists (a scalar for 0-d). */
PyObject *mxp_tolist(mx_array *a);

/* ---- args.c ---- */

/* A shape from an int or a sequence of ints. Returns ndim or -1. */
int mxp_to_shape(PyObject *o, int32_t *dims, const char *what);
/* Axes from an int or a sequence of ints. Returns the count or -1. */
int mxp_to_axes(PyObject *o, int *axes, const char *what);
/* A Dtype object, or None for MX_DTYPE_NONE when allow_none. */
int mxp_to_dtype(PyObject *o, mx_dtype *out, bool allow_none);
/* None -> *ps = NULL (default stream); a Stream; a Device or DeviceType ->
 * that device's default stream. */
int mxp_to_stream(PyObject *o, mx_stream *buf, const mx_stream **ps);
int mxp_to_bool(PyObject *o, bool *out);
int mxp_to_int(PyObject *o, int *out, const char *what);
/* Whether o is a Python int (or has __index__) but not a bool. */
bool mxp_is_intlike(PyObject *o);

/* ---- function.c, kinds.c, ops_table.c ---- */

/* Signature kinds: each has one generic caller in kinds.c. */
typedef enum mxp_kind {
    MXP_CUSTOM,                 /* fn.custom(slots, stream): hand-written caller */
    MXP_UNARY,                  /* (a) */
    MXP_BINARY,                 /* (a, b) with weak Python scalars */
    MXP_SHAPE_DTYPE,            /* (shape, dtype) */
    MXP_SHAPE_ARRAY_DTYPE,      /* (shape, vals, dtype): full */
    MXP_ARRAY_DTYPE,            /* (a, dtype) */
    MXP_ARRAY_SHAPE,            /* (a, shape) */
    MXP_ARRAY_AXES_OPT,         /* (a, axes=None) */
    MXP_REDUCE,                 /* (a, axis=None, keepdims=False) */
    MXP_INT,                    /* (n) */
    MXP_INT_DTYPE,              /* (n, dtype) */
    MXP_INT3_DTYPE,             /* (n, m=None, k, dtype): eye, tri */
    MXP_LINSPACE,               /* (start, stop, num, endpoint, dtype) */
    MXP_ARRAY_DTYPE_OPT,        /* (a, dtype=None) */
    MXP_ARRAY_ARRAY_DTYPE,      /* (a, vals, dtype=None): full_like */
    MXP_ARRAY_INT,              /* (a, int) */
    MXP_ARRAY_INT2,             /* (a, int, int) */
    MXP_ARRAY_INT3,             /* (a, int, int, int) */
    MXP_ARRAY_INT3_DTYPE,       /* (a, int, int, int, dtype=None): trace */
    MXP_ARRAY_INT_SHAPE,        /* (a, int, shape): unflatten */
    MXP_ARRAY_BOOL,             /* (a, bool) */
    MXP_AXES_OR_ALL,            /* (a, axis=None): int, ints or None (all axes) */
    MXP_AXIS_OR_FLAT,           /* (a, axis): int, or None (the flattened array) */
    MXP_ARRAY_INT_AXIS,         /* (a, int, axis): axis int or None (flattened) */
    MXP_ARG_REDUCE,             /* (a, axis=None, keepdims) */
    MXP_SCAN,                   /* (a, axis=None, reverse, inclusive) */
    MXP_SCAN_DTYPE,             /* (a, axis=None, reverse, inclusive, dtype=None) */
    MXP_REDUCE_DDOF,            /* (a, axis=None, keepdims, ddof) */
    MXP_ARRAYS_AXIS,            /* (arrays, axis): axis int or None (flattened) */
    MXP_ARRAYS_MULTI,           /* (*arrays) -> several arrays */
    MXP_VARARGS_UNARY,          /* (*arys): an array for one, a list for several */
    MXP_MESHGRID,               /* (*arrays, sparse, indexing) */
    MXP_UNSTACK,                /* (a, axis) -> one array per index */
    MXP_SPLIT,                  /* (a, sections or indices, axis) */
    MXP_ROLL,                   /* (a, shift, axis=None) */
    MXP_PAD,                    /* (a, pad_width, mode, constant_values) */
    MXP_AS_STRIDED,             /* (a, shape=None, strides=None, offset) */
    MXP_SLICE_DYNAMIC,          /* (a, start_indices, axes, slice_size) */
    MXP_SLICE_UPDATE,           /* (a, update, start_indices, axes) */
    MXP_CLIP,                   /* (a, a_min, a_max), bounds None or weak */
    MXP_NAN_TO_NUM,             /* (a, nan, posinf=None, neginf=None) */
    MXP_BINARY_TOL,             /* (a, b, rtol, atol, equal_nan) */
    MXP_BINARY_BOOL,            /* (a, b, bool) */
    MXP_BINARY_PAIR,            /* (a, b) -> two arrays */
    MXP_BINARY_STR,             /* (a, b, str) */
    MXP_TERNARY,                /* (cond, x, y), x and y weak against each other */
    MXP_TAKE,                   /* (a, indices: int or array, axis=None) */
    MXP_TAKE_ALONG,             /* (a, indices, axis): None flattens */
    MXP_PUT_ALONG,              /* (a, indices, values, axis): None flattens */
    MXP_SHAPE_DTYPE_KEY,        /* random: (shape, dtype, key) */
    MXP_ARRAY2_SHAPE_DTYPE_KEY, /* random: (x, y, shape, dtype, key) */
    /* kinds_linalg.c */
    MXP_NORM,            /* (a, ord: None, number or str, axis=None, keepdims) */
    MXP_UNARY_PAIR,      /* (a) -> two arrays */
    MXP_UNARY_TRIPLE,    /* (a) -> three arrays */
    MXP_SVD,             /* (a, compute_uv): three arrays or one */
    MXP_ARRAY_STR,       /* (a, str) */
    MXP_ARRAY_STR_PAIR,  /* (a, str) -> two arrays */
    MXP_BINARY_INT,      /* (a, b, int) */
    MXP_ARRAY3,          /* (a, b, c), plain arrays */
    MXP_ADDMM,           /* (c, a, b, alpha, beta) */
    MXP_TENSORDOT,       /* (a, b, axes: int or two axis lists) */
    MXP_GATHER_MM,       /* (a, b, lhs=None, rhs=None, sorted) */
    MXP_BLOCK_MASKED_MM, /* (a, b, block_size, mask_out, mask_lhs, mask_rhs) */
    MXP_ARRAY_OPT_FLOAT, /* (a, float or None) */
    MXP_STR_ARRAYS,      /* (str, *arrays) */
    /* kinds_fft.c */
    MXP_FFT,        /* (a, n=None, axis, norm) */
    MXP_FFTN,       /* (a, s=None, axes, norm) */
    MXP_INT_DOUBLE, /* (n, d) */
    /* kinds_quant.c */
    MXP_QUANTIZE,         /* (w, group_size, bits, mode, global_scale) -> 2 or 3 arrays */
    MXP_DEQUANTIZE,       /* (w, scales, biases, group_size, bits, mode, global_scale, dtype) */
    MXP_QUANTIZED_MATMUL, /* (x, w, scales, biases, transpose, group_size, bits, mode) */
    MXP_GATHER_QMM,       /* (x, w, scales, biases, lhs, rhs, transpose, group_size, bits,
                             mode, global_scale, sorted_indices) */
    /* kinds_conv.c */
    MXP_CONV1D,            /* (input, weight, stride, padding, dilation, groups) */
    MXP_CONV_ND,           /* the same, per-axis ints; rank from the name */
    MXP_CONV_TRANSPOSE1D,  /* (input, weight, stride, padding, dilation, output_padding, groups) */
    MXP_CONV_TRANSPOSE_ND, /* the same, per-axis ints; rank from the name */
    MXP_CONV_GENERAL,      /* (input, weight, stride, padding, kernel_dilation, input_dilation,
                              groups, flip) */
    MXP_QQMM,              /* (x, w, scales, group_size, bits, mode, gsx, gsw) */
    MXP_GATHER_QQMM,       /* (x, w, scales, lhs, rhs, group_size, bits, mode, gsx, gsw, sorted) */
    MXP_NUM_KINDS
} mxp_kind;

typedef PyObject *(*mxp_custom_fn)(PyObject *const *slots, const mx_stream *s);

typedef union mxp_cfn {
    mxp_custom_fn custom;
    int (*unary)(mx_array **, const mx_array *, const mx_stream *);
    int (*binary)(mx_array **, const mx_array *, const mx_array *, const mx_stream *);
    int (*shape_dtype)(mx_array **, const int32_t *, int, mx_dtype, const mx_stream *);
    int (*shape_array_dtype)(mx_array **, const int32_t *, int, const mx_array *, mx_dtype,
                             const mx_stream *);
    int (*array_dtype)(mx_array **, const mx_array *, mx_dtype, const mx_stream *);
    int (*array_shape)(mx_array **, const mx_array *, const int32_t *, int, const mx_stream *);
    int (*array_axes)(mx_array **, const mx_array *, const int *, int, const mx_stream *);
    int (*reduce)(mx_array **, const mx_array *, const int *, int, bool, const mx_stream *);
    int (*int1)(mx_array **, int, const mx_stream *);
    int (*int_dtype)(mx_array **, int, mx_dtype, const mx_stream *);
    int (*int3_dtype)(mx_array **, int, int, int, mx_dtype, const mx_stream *);
    int (*linspace)(mx_array **, double, double, int, bool, mx_dtype, const mx_stream *);
    int (*array_array_dtype)(mx_array **, const mx_array *, const mx_array *, mx_dtype,
                             const mx_stream *);
    int (*array_int)(mx_array **, const mx_array *, int, const mx_stream *);
    int (*array_int2)(mx_array **, const mx_array *, int, int, const mx_stream *);
    int (*array_int3)(mx_array **, const mx_array *, int, int, int, const mx_stream *);
    int (*array_int3_dtype)(mx_array **, const mx_array *, int, int, int, mx_dtype,
                            const mx_stream *);
    int (*array_int_shape)(mx_array **, const mx_array *, int, const int32_t *, int,
                           const mx_stream *);
    int (*array_bool)(mx_array **, const mx_array *, bool, const mx_stream *);
    struct { /* axis None: all axes; else the listed ones */
        int (*all)(mx_array **, const mx_array *, const mx_stream *);
        int (*axes)(mx_array **, const mx_array *, const int *, int, const mx_stream *);
    } axes_or_all;
    struct { /* axis None: the flattened array; else that axis */
        int (*flat)(mx_array **, const mx_array *, const mx_stream *);
        int (*axis)(mx_array **, const mx_array *, int, const mx_stream *);
    } axis_or_flat;
    struct {
        int (*flat)(mx_array **, const mx_array *, int, const mx_stream *);
        int (*axis)(mx_array **, const mx_array *, int, int, const mx_stream *);
    } array_int_axis;
    struct {
        int (*flat)(mx_array **, const mx_array *, bool, const mx_stream *);
        int (*axis)(mx_array **, const mx_array *, int, bool, const mx_stream *);
    } arg_reduce;
    struct {
        int (*flat)(mx_array **, const mx_array *, bool, bool, const mx_stream *);
        int (*axis)(mx_array **, const mx_array *, int, bool, bool, const mx_stream *);
    } scan;
    struct {
        int (*flat)(mx_array **, const mx_array *, bool, bool, mx_dtype, const mx_stream *);
        int (*axis)(mx_array **, const mx_array *, int, bool, bool, mx_dtype, const mx_stream *);
    } scan_dtype;
    int (*reduce_ddof)(mx_array **, const mx_array *, const int *, int, bool, int,
                       const mx_stream *);
    struct { /* flat NULL: axis=None is refused */
        int (*flat)(mx_array **, const mx_array *const *, int, const mx_stream *);
        int (*axis)(mx_array **, const mx_array *const *, int, int, const mx_stream *);
    } arrays_axis;
    int (*arrays_multi)(mx_array **, const mx_array *const *, int, const mx_stream *);
    int (*meshgrid)(mx_array **, const mx_array *const *, int, bool, const char *,
                    const mx_stream *);
    int (*unstack)(mx_array **, int, const mx_array *, int, const mx_stream *);
    struct {
        int (*sections)(mx_array **, const mx_array *, int, int, const mx_stream *);
        int (*indices)(mx_array **, const mx_array *, const int32_t *, int, int, const mx_stream *);
    } split;
    struct {
        int (*flat)(mx_array **, const mx_array *, int32_t, const mx_stream *);
        int (*axes)(mx_array **, const mx_array *, const int32_t *, int, const int *, int,
                    const mx_stream *);
    } roll;
    int (*pad)(mx_array **, const mx_array *, const int *, int, const int32_t *, const int32_t *,
               const mx_array *, const char *, const mx_stream *);
    int (*as_strided)(mx_array **, const mx_array *, const int32_t *, int, const int64_t *, int64_t,
                      const mx_stream *);
    int (*slice_dynamic)(mx_array **, const mx_array *, const mx_array *, const int *, int,
                         const int32_t *, int, const mx_stream *);
    int (*slice_update)(mx_array **, const mx_array *, const mx_array *, const mx_array *,
                        const int *, int, const mx_stream *);
    int (*ternary)(mx_array **, const mx_array *, const mx_array *, const mx_array *,
                   const mx_stream *);
    int (*nan_to_num)(mx_array **, const mx_array *, double, const double *, const double *,
                      const mx_stream *);
    int (*binary_tol)(mx_array **, const mx_array *, const mx_array *, double, double, bool,
                      const mx_stream *);
    int (*binary_bool)(mx_array **, const mx_array *, const mx_array *, bool, const mx_stream *);
    int (*binary_pair)(mx_array **, mx_array **, const mx_array *, const mx_array *,
                       const mx_stream *);
    int (*binary_str)(mx_array **, const mx_array *, const mx_array *, const char *,
                      const mx_stream *);
    struct {
        int (*flat)(mx_array **, const mx_array *, const mx_array *, const mx_stream *);
        int (*axis)(mx_array **, const mx_array *, const mx_array *, int, const mx_stream *);
        int (*index)(mx_array **, const mx_array *, int, const mx_stream *);
        int (*index_axis)(mx_array **, const mx_array *, int, int, const mx_stream *);
    } take;
    int (*take_along)(mx_array **, const mx_array *, const mx_array *, int, const mx_stream *);
    int (*put_along)(mx_array **, const mx_array *, const mx_array *, const mx_array *, int,
                     const mx_stream *);
    int (*shape_dtype_key)(mx_array **, const int32_t *, int, mx_dtype, const mx_array *,
                           const mx_stream *);
    int (*array2_shape_dtype_key)(mx_array **, const mx_array *, const mx_array *, const int32_t *,
                                  int, mx_dtype, const mx_array *, const mx_stream *);
    struct { /* ord None; a number; a string */
        int (*plain)(mx_array **, const mx_array *, const int *, int, bool, const mx_stream *);
        int (*num)(mx_array **, const mx_array *, double, const int *, int, bool,
                   const mx_stream *);
        int (*str)(mx_array **, const mx_array *, const char *, const int *, int, bool,
                   const mx_stream *);
    } norm;
    int (*unary_pair)(mx_array **, mx_array **, const mx_array *, const mx_stream *);
    int (*unary_triple)(mx_array **, mx_array **, mx_array **, const mx_array *, const mx_stream *);
    int (*svd)(mx_array **, mx_array **, mx_array **, const mx_array *, bool, const mx_stream *);
    int (*array_str)(mx_array **, const mx_array *, const char *, const mx_stream *);
    int (*array_str_pair)(mx_array **, mx_array **, const mx_array *, const char *,
                          const mx_stream *);
    int (*binary_int)(mx_array **, const mx_array *, const mx_array *, int, const mx_stream *);
    int (*addmm)(mx_array **, const mx_array *, const mx_array *, const mx_array *, float, float,
                 const mx_stream *);
    struct {
        int (*count)(mx_array **, const mx_array *, const mx_array *, int, const mx_stream *);
        int (*axes)(mx_array **, const mx_array *, const mx_array *, const int *, const int *, int,
                    const mx_stream *);
    } tensordot;
    int (*gather_mm)(mx_array **, const mx_array *, const mx_array *, const mx_array *,
                     const mx_array *, bool, const mx_stream *);
    int (*block_masked_mm)(mx_array **, const mx_array *, const mx_array *, int, const mx_array *,
                           const mx_array *, const mx_array *, const mx_stream *);
    int (*array_opt_float)(mx_array **, const mx_array *, const float *, const mx_stream *);
    int (*str_arrays)(mx_array **, const char *, const mx_array *const *, int, const mx_stream *);
    int (*fft)(mx_array **, const mx_array *, int32_t, int, mx_fft_norm, const mx_stream *);
    int (*fftn)(mx_array **, const mx_array *, const int32_t *, int, const int *, int, mx_fft_norm,
                const mx_stream *);
    int (*int_double)(mx_array **, int, double, const mx_stream *);
    int (*quantize)(mx_array **, mx_array **, mx_array **, const mx_array *, int, int, const char *,
                    const mx_stream *);
    int (*dequantize)(mx_array **, const mx_array *, const mx_array *, const mx_array *, int, int,
                      const char *, mx_dtype, const mx_stream *);
    int (*quantized_matmul)(mx_array **, const mx_array *, const mx_array *, const mx_array *,
                            const mx_array *, bool, int, int, const char *, const mx_stream *);
    int (*gather_qmm)(mx_array **, const mx_array *, const mx_array *, const mx_array *,
                      const mx_array *, const mx_array *, const mx_array *, bool, int, int,
                      const char *, bool, const mx_stream *);
    int (*conv1d)(mx_array **, const mx_array *, const mx_array *, int, int, int, int,
                  const mx_stream *);
    int (*conv_nd)(mx_array **, const mx_array *, const mx_array *, const int *, const int *,
                   const int *, int, const mx_stream *);
    int (*conv_transpose1d)(mx_array **, const mx_array *, const mx_array *, int, int, int, int,
                            int, const mx_stream *);
    int (*conv_transpose_nd)(mx_array **, const mx_array *, const mx_array *, const int *,
                             const int *, const int *, const int *, int, const mx_stream *);
    int (*conv_general)(mx_array **, const mx_array *, const mx_array *, const int *, int,
                        const int *, const int *, int, const int *, int, const int *, int, int,
                        bool, const mx_stream *);
    int (*qqmm)(mx_array **, const mx_array *, const mx_array *, const mx_array *, int, int,
                const char *, const mx_stream *);
    int (*gather_qqmm)(mx_array **, const mx_array *, const mx_array *, const mx_array *,
                       const mx_array *, const mx_array *, int, int, const char *, bool,
                       const mx_stream *);
} mxp_cfn;

/* Row flags. */
enum {
    /* The array method takes its first parameter as separate positional
     * ints too: a.reshape(2, 3) as a.reshape((2, 3)). */
    MXP_METHOD_VARARGS = 1 << 0,
    /* Several results come back as a tuple (default: a list). */
    MXP_RETURN_TUPLE = 1 << 1,
    /* SHAPE_DTYPE_KEY / ARRAY2_...: shape=None means "from the arrays" (ndim -1). */
    MXP_SHAPE_NONE_INFERS = 1 << 2,
    /* ARRAY2_SHAPE_DTYPE_KEY: dtype=None means int32 (randint), not float32. */
    MXP_DTYPE_NONE_INT32 = 1 << 3,
};

/* One row of the op table. */
typedef struct mxp_op {
    const char *name;   /* Python name; "linalg.norm" puts it in a submodule */
    mxp_kind kind;      /* which generic caller parses and calls it */
    mxp_cfn fn;         /* the C function */
    const char *spec;   /* parameters as Python writes them: "a, /, axis=None, *, stream=None" */
    const char *method; /* parameters of the array method (self left out), or NULL */
    unsigned flags;
    const char *doc;
} mxp_op;

extern const mxp_op mxp_ops[];
extern const size_t mxp_num_ops;

typedef PyObject *(*mxp_kind_call)(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
typedef struct {
    const char *name;
    int nparams; /* parameters before `stream` (-1: any, for custom) */
    mxp_kind_call call;
} mxp_kind_info;
extern const mxp_kind_info mxp_kinds[MXP_NUM_KINDS];

/* Adds every op of the table to the module (and its submodules) and the
 * array methods to the array type. 0 or -1. */
int mxp_ops_init(PyObject *module);

/* ---- ops_custom.c / eval.c ---- */

PyObject *mxp_op_arange(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_eval(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_async_eval(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_broadcast_shapes(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_depends(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_einsum_path(PyObject *const *slots, const mx_stream *s);

/* ---- random.c: samplers with their own argument logic, random.state ---- */

PyObject *mxp_op_random_seed(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_random_key(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_random_normal(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_random_laplace(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_random_bernoulli(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_random_categorical(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_random_permutation(PyObject *const *slots, const mx_stream *s);
/* Adds random.state to the random submodule. 0 or -1. */
int mxp_random_init(PyObject *module);

/* ---- dtype_info.c: finfo, iinfo, result_type, can_cast, isdtype ---- */

PyObject *mxp_op_result_type(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_can_cast(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_isdtype(PyObject *const *slots, const mx_stream *s);
/* Adds the finfo and iinfo classes. 0 or -1. */
int mxp_dtype_info_init(PyObject *module);

/* ---- pytree.c: trees of lists, tuples and dicts ---- */

/* Appends (new references to) the arrays of tree to v, depth first, dicts
 * in insertion order. Other leaves are skipped, or with strict refused
 * (ValueError). 0, or -1 with an exception set. */
int mxp_tree_flatten(PyObject *tree, mx_vec *v, bool strict);
/* A copy of tree (new lists, tuples and dicts; other leaves shared) whose
 * array leaves are vals[*index], vals[*index + 1], ...; *index advances.
 * A new reference, or NULL with an exception set. */
PyObject *mxp_tree_unflatten(PyObject *tree, const mx_vec *vals, int *index);
/* As mxp_tree_unflatten, but the lists and dicts of tree are filled in
 * place (tuples are remade): what the function is given is what its caller
 * holds, as MLX's grad does. undo (a list) records each replacement;
 * mxp_tree_undo_fill puts back the original where the filled-in value is
 * still there (a value the function stored stays). */
PyObject *mxp_tree_fill_in_place(PyObject *tree, const mx_vec *vals, int *index, PyObject *undo);
int mxp_tree_undo_fill(PyObject *undo);
/* o wrapped so that the tree functions pass it through untouched. */
PyObject *mxp_tree_opaque(PyObject *o);
/* The arrays of v as a new list of array objects (NULL with an exception). */
PyObject *mxp_vec_to_list(const mx_vec *v);

/* ---- transforms.c (and transforms_*.c) ---- */

/* Adds grad, value_and_grad, vjp, jvp, vmap, checkpoint and the
 * custom_function type. 0 or -1. */
int mxp_transforms_init(PyObject *module);
/* ---- io.c: file formats; kinds_io.c: the mx.fast callers ---- */

PyObject *mxp_op_load(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_save(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_save_safetensors(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_save_gguf(PyObject *const *slots, const mx_stream *s);
/* Adds savez, savez_compressed and export_to_dot (they take **kwargs). 0 or -1. */
int mxp_io_init(PyObject *module);
PyObject *mxp_op_fast_rms_norm(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_fast_layer_norm(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_fast_rope(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_fast_sdpa(PyObject *const *slots, const mx_stream *s);

/* ---- dlpack.c, print.c (print options), device.c (ThreadLocalStream) ---- */

PyObject *mxp_array_dlpack(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mxp_array_dlpack_device(PyObject *self, PyObject *unused);
int mxp_dlpack_init(PyObject *module);
int mxp_print_init(PyObject *module);
/* o a Stream: *out is it, 1; a ThreadLocalStream: *out is the calling
 * thread's stream of it, 1; anything else: 0; -1 with an exception set. */
int mxp_stream_of(PyObject *o, mx_stream *out);
/* kinds_extra.c */
PyObject *mxp_op_unique(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_minmax(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_fft_stft(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_fft_istft(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_fast_cross_entropy(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_fast_gated_delta_update(PyObject *const *slots, const mx_stream *s);
/* ---- export.c ---- */
int mxp_export_init(PyObject *module);
/* ---- gpu_kernels.c: fast.metal_kernel, cuda_kernel, precompiled_cuda_kernel ---- */
int mxp_gpu_kernels_init(PyObject *module);
/* ---- distributed.c: the Group type (added to the distributed submodule)
 * and the callers of the distributed.* rows ---- */
int mxp_distributed_init(PyObject *module);
PyObject *mxp_op_dist_is_available(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_dist_init(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_dist_all_sum(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_dist_all_max(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_dist_all_min(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_dist_all_gather(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_dist_sum_scatter(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_dist_send(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_dist_recv(PyObject *const *slots, const mx_stream *s);
PyObject *mxp_op_dist_recv_like(PyObject *const *slots, const mx_stream *s);

#endif
