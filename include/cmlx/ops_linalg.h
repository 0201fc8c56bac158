/* Ops: matrix products and linear algebra. Conventions in ops.h. */
#ifndef CMLX_OPS_LINALG_H
#define CMLX_OPS_LINALG_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- linear algebra ---- */

/* Matrix product with NumPy's rules: 1-d operands are promoted and the
 * added axis dropped, leading axes broadcast. Floating dtypes only; integer
 * inputs are MX_ERR_VALUE as in MLX. */
MX_API int mx_matmul(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);

/* alpha * (a @ b) + beta * c, with matmul's shape rules; c must broadcast to
 * the product's shape. The dtype is the promotion of all three and must be a
 * real floating type (MX_ERR_VALUE otherwise). With beta 0, c's values are
 * not read (a NaN in c does not reach the result), as in BLAS and MLX. */
MX_API int mx_addmm(mx_array **out, const mx_array *c, const mx_array *a, const mx_array *b,
                    float alpha, float beta, const mx_stream *s);

/* Sums of products over the last `axes` axes of a and the first `axes` axes
 * of b (axes 0 is the outer product): shape a.shape[:-axes] + b.shape[axes:].
 * Floating dtypes, as matmul. */
MX_API int mx_tensordot(mx_array **out, const mx_array *a, const mx_array *b, int axes,
                        const mx_stream *s);
/* The same over explicit axis lists: axis axes_a[i] of a pairs with axes_b[i]
 * of b (naxes each, negative counted from the end, no repeats). */
MX_API int mx_tensordot_axes(mx_array **out, const mx_array *a, const mx_array *b,
                             const int *axes_a, const int *axes_b, int naxes, const mx_stream *s);
/* Inner product over the last axes (a 0-d operand multiplies instead). */
MX_API int mx_inner(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* Outer product of the flattened inputs: (a.size, b.size). Any numeric dtype. */
MX_API int mx_outer(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* Kronecker product; the shorter shape is padded with leading ones. */
MX_API int mx_kron(mx_array **out, const mx_array *a, const mx_array *b, const mx_stream *s);
/* sum(conj(a) * b) along axis of the broadcast inputs (NumPy's vecdot). */
MX_API int mx_vecdot(mx_array **out, const mx_array *a, const mx_array *b, int axis,
                     const mx_stream *s);
/* Products of gathered matrices: out[i...] = A[lhs[i...]] @ B[rhs[i...]]
 * where A and B are a and b with their batch axes flattened; the index
 * arrays (integer, broadcast together) default to every batch entry in
 * order (NULL), and with both NULL this is matmul. Shape: broadcast index
 * shape + (M, N). sorted_indices is a hint and does not change the result.
 * Indices follow the read rules of ops_index.h (clamped, never outside). */
MX_API int mx_gather_mm(mx_array **out, const mx_array *a, const mx_array *b,
                        const mx_array *lhs_indices, const mx_array *rhs_indices,
                        bool sorted_indices, const mx_stream *s);
/* Products over segments of the inner dimension: a (M, K), b (K, N),
 * segments (..., 2) of [start, end) pairs into K; result segments.shape[:-1]
 * + (M, N). Empty or reversed segments give zeros. */
MX_API int mx_segmented_mm(mx_array **out, const mx_array *a, const mx_array *b,
                           const mx_array *segments, const mx_stream *s);
/* matmul with block masks (each entry covers block_size x block_size, 32 or
 * 64; the last blocks may be partial): mask_lhs (..., ceil(M/bs), ceil(K/bs))
 * and mask_rhs (..., ceil(K/bs), ceil(N/bs)) mask or scale blocks of a and b,
 * mask_out (..., ceil(M/bs), ceil(N/bs)) masks blocks of the result. Each
 * mask may be NULL; boolean masks select, floating ones multiply. */
MX_API int mx_block_masked_mm(mx_array **out, const mx_array *a, const mx_array *b, int block_size,
                              const mx_array *mask_out, const mx_array *mask_lhs,
                              const mx_array *mask_rhs, const mx_stream *s);
/* The Walsh-Hadamard transform along the last axis, of length n = m * 2^k
 * with m in {1, 12, 20, 28}, times *scale (NULL: 1/sqrt(n)). Floating inputs
 * keep their dtype (float64 included); others compute in float32. */
MX_API int mx_hadamard_transform(mx_array **out, const mx_array *a, const float *scale,
                                 const mx_stream *s);

/* Einstein summation: subscripts such as "ij,jk->ik" (implicit output in
 * alphabetical order when "->" is missing, "..." for broadcast axes, a
 * repeated letter within an operand takes its diagonal). Contracts pairwise
 * in the order einsum_path chooses. */
MX_API int mx_einsum(mx_array **out, const char *subscripts, const mx_array *const *operands, int n,
                     const mx_stream *s);
/* The contraction order einsum uses, as steps over a shrinking operand list
 * (each step removes the operands at its positions and appends its result):
 * *nsteps steps (at most n), step i having step_sizes[i] positions, all
 * stored one after another in path (room for 2 * n ints is enough). text
 * (text_len bytes; may be NULL) receives a summary of naive and optimized
 * scaling and FLOP counts. At most 64 operands. */
MX_API int mx_einsum_path(int *path, int *step_sizes, int *nsteps, char *text, size_t text_len,
                          const char *subscripts, const mx_array *const *operands, int n);

#ifdef __cplusplus
}
#endif
#endif
