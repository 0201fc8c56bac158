/*
 * Private to the kind callers (kinds.c, kinds_multi.c, kinds_args.c): the
 * argument helpers they share and the callers the kind table names.
 */
#ifndef CMLX_PY_KINDS_H
#define CMLX_PY_KINDS_H

#include "cmlx_py.h"

/* rc == MX_OK: wraps out; else raises for rc. */
PyObject *mxk_result(int rc, mx_array *out);
/* o as an array (mx.array's conversion); NULL with an exception set. */
mx_array *mxk_arr(PyObject *o);
/* An axis that may be None (*given false). */
int mxk_opt_axis(PyObject *o, int *axis, bool *given);
/* A dtype that may be None (MX_DTYPE_NONE). */
int mxk_opt_dtype(PyObject *o, mx_dtype *t);
/* The arrays of an iterable into a PyMem array (*n of them), released with
 * mxk_free_arrays. 0 or -1 with an exception set. */
int mxk_arrays_from(PyObject *o, mx_array ***out, int *n, const char *what);
void mxk_free_arrays(mx_array **v, int n);
/* n results (stolen) as a list, or a tuple when the row has MXP_RETURN_TUPLE. */
PyObject *mxk_results(const mxp_op *op, mx_array **outs, int n);
/* A real Python number; a str. -1 / NULL with TypeError otherwise. */
int mxk_to_double(PyObject *o, double *v, const char *what);
const char *mxk_to_str(PyObject *o, const char *what);
PyObject *mxk_call_unary(const mxp_op *op, PyObject *const *slots, const mx_stream *s);

/* kinds_multi.c and kinds_args.c */
PyObject *mxk_call_arrays_axis(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_arrays_multi(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_varargs_unary(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_meshgrid(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_unstack(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_split(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_binary_pair(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_roll(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_pad(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_as_strided(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_slice_dynamic(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_slice_update(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_clip(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_nan_to_num(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_binary_tol(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_binary_bool(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_binary_str(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_ternary(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_take(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_take_along(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_put_along(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_shape_dtype_key(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_array2_shape_dtype_key(const mxp_op *op, PyObject *const *slots,
                                          const mx_stream *s);

/* kinds_linalg.c */
PyObject *mxk_call_norm(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_unary_pair(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_unary_triple(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_svd(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_array_str(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_array_str_pair(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_binary_int(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_array3(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_addmm(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_tensordot(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_gather_mm(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_block_masked_mm(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_array_opt_float(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_str_arrays(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
/* kinds_fft.c */
PyObject *mxk_call_fft(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_fftn(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_int_double(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
/* kinds_quant.c */
PyObject *mxk_call_quantize(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_dequantize(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_quantized_matmul(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_gather_qmm(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
/* kinds_conv.c */
PyObject *mxk_call_conv1d(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_conv_nd(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_conv_transpose1d(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_conv_transpose_nd(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_conv_general(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_qqmm(const mxp_op *op, PyObject *const *slots, const mx_stream *s);
PyObject *mxk_call_gather_qqmm(const mxp_op *op, PyObject *const *slots, const mx_stream *s);

#endif
