/*
 * Linear algebra: mlx.core.linalg. Conventions are those of ops.h (results
 * through out-pointers placed first, each a new reference the caller
 * releases with mx_array_free, previous contents released; on failure the
 * outputs are left unchanged).
 *
 * Matrices are the last two axes; leading axes are a batch. As in MLX, the
 * factorizations (everything except norm and cross) run on the CPU only: a
 * stream on another device is MX_ERR_VALUE ("Explicitly pass a CPU stream").
 * Factorizations take float32 or float64 (some also complex64, as noted);
 * other dtypes, fewer than two dimensions and non-square matrices where a
 * square one is needed are MX_ERR_VALUE. A factorization that fails on the
 * data (singular matrix, matrix not positive definite, NaN input) makes the
 * evaluation fail with MX_ERR_RUNTIME and a message saying why.
 */
#ifndef CMLX_LINALG_H
#define CMLX_LINALG_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- norms and products (compositions of other ops; any device) ---- */

/* The 2-norm (Frobenius for two axes) with ord=None. axes NULL: the norm of
 * the flattened array; otherwise at most two axes. Integer and bool inputs
 * give float32. */
MX_API int mx_linalg_norm(mx_array **out, const mx_array *a, const int *axes, int naxes,
                          bool keepdims, const mx_stream *s);
/* The norm of order ord: over one axis the vector norms (0: count of
 * non-zeros, +-inf: max/min of |x|, p: (sum |x|^p)^(1/p)); over two axes the
 * matrix norms 1, -1, inf, -inf (max/min of column/row sums of |x|) and 2, -2
 * (largest/smallest singular value, through svd). axes NULL: every axis of a,
 * which must then have one or two dimensions. */
MX_API int mx_linalg_norm_ord(mx_array **out, const mx_array *a, double ord, const int *axes,
                              int naxes, bool keepdims, const mx_stream *s);
/* Matrix norms named by a string: "fro" (or "f") and "nuc" (sum of singular
 * values). axes NULL: every axis, which must be two. */
MX_API int mx_linalg_norm_str(mx_array **out, const mx_array *a, const char *ord, const int *axes,
                              int naxes, bool keepdims, const mx_stream *s);
/* Cross product of vectors of size 2 or 3 along axis; the other axes
 * broadcast. Size-2 vectors are taken with a zero third component. */
MX_API int mx_linalg_cross(mx_array **out, const mx_array *a, const mx_array *b, int axis,
                           const mx_stream *s);

/* ---- factorizations (CPU stream) ---- */

/* Reduced QR of a (..., M, N): q (..., M, K) with orthonormal columns and r
 * (..., K, N) upper triangular, K = min(M, N). */
MX_API int mx_linalg_qr(mx_array **q, mx_array **r, const mx_array *a, const mx_stream *s);
/* Singular value decomposition of a (..., M, N), float32, float64 or
 * complex64. With compute_uv: u (..., M, M), sv (..., K) descending (real
 * dtype) and vt (..., N, N) with a = u[..., :K] diag(sv) vt[..., :K, :].
 * Without it only sv is written and u and vt may be NULL. */
MX_API int mx_linalg_svd(mx_array **u, mx_array **sv, mx_array **vt, const mx_array *a,
                         bool compute_uv, const mx_stream *s);
/* Inverse of square matrices. A singular matrix fails at evaluation. */
MX_API int mx_linalg_inv(mx_array **out, const mx_array *a, const mx_stream *s);
/* Inverse of triangular matrices: only the upper (upper) or lower triangle
 * of a is read, and the other triangle of the result is zero. */
MX_API int mx_linalg_tri_inv(mx_array **out, const mx_array *a, bool upper, const mx_stream *s);
/* Cholesky factor of symmetric positive definite matrices, reading the
 * lower (or upper) triangle: L with a = L L^T, or U with a = U^T U. The
 * other triangle of the result is zero. A matrix that is not positive
 * definite fails at evaluation. */
MX_API int mx_linalg_cholesky(mx_array **out, const mx_array *a, bool upper, const mx_stream *s);
/* Inverse of a = L L^T (or U^T U) from its Cholesky factor. */
MX_API int mx_linalg_cholesky_inv(mx_array **out, const mx_array *factor, bool upper,
                                  const mx_stream *s);
/* Moore-Penrose pseudo-inverse (..., N, M) of a (..., M, N), through svd;
 * singular values below 10 max(M, N) eps times the largest count as zero. */
MX_API int mx_linalg_pinv(mx_array **out, const mx_array *a, const mx_stream *s);

/* Eigenvalues (complex64, ..., N) of general square matrices (float32,
 * float64 or complex64), in LAPACK's order. */
MX_API int mx_linalg_eigvals(mx_array **out, const mx_array *a, const mx_stream *s);
/* Eigenvalues w and right eigenvectors v (columns, unit norm), both
 * complex64: a v[..., :, i] = w[..., i] v[..., :, i]. */
MX_API int mx_linalg_eig(mx_array **w, mx_array **v, const mx_array *a, const mx_stream *s);
/* Eigenvalues in ascending order of symmetric (Hermitian for complex64)
 * matrices, reading the triangle named by uplo ("L" or "U"; NULL = "L").
 * The values have the real dtype (float32 for complex64). */
MX_API int mx_linalg_eigvalsh(mx_array **out, const mx_array *a, const char *uplo,
                              const mx_stream *s);
/* Eigenvalues w (ascending) and orthonormal eigenvectors v (columns) of
 * symmetric/Hermitian matrices: a v = v diag(w). */
MX_API int mx_linalg_eigh(mx_array **w, mx_array **v, const mx_array *a, const char *uplo,
                          const mx_stream *s);

/* LU factorization with partial pivoting of a (..., M, N): row_idx (uint32,
 * ..., M), l (..., M, K) unit lower triangular and u (..., K, N) upper
 * triangular with (l u)[row_idx[i]] = a[i] (row i of a is row row_idx[i]
 * of l u). */
MX_API int mx_linalg_lu(mx_array **row_idx, mx_array **l, mx_array **u, const mx_array *a,
                        const mx_stream *s);
/* LAPACK's compact LU: lu (..., M, N) holding L below the diagonal (unit
 * diagonal implied) and U on and above it, and pivots (uint32, ..., K):
 * row i was swapped with row pivots[i] (0-based) at step i. */
MX_API int mx_linalg_lu_factor(mx_array **lu, mx_array **pivots, const mx_array *a,
                               const mx_stream *s);
/* x with a x = b for square a (..., N, N); b is (..., N) (a vector) or
 * (..., N, K); batch axes broadcast. Inputs must promote to float32 or
 * float64. A singular a fails at evaluation. */
MX_API int mx_linalg_solve(mx_array **out, const mx_array *a, const mx_array *b,
                           const mx_stream *s);
/* x with a x = b reading only the upper (or lower) triangle of a. */
MX_API int mx_linalg_solve_triangular(mx_array **out, const mx_array *a, const mx_array *b,
                                      bool upper, const mx_stream *s);
/* Determinant (..., ) of square real matrices; integer inputs give float32.
 * Complex inputs are MX_ERR_VALUE. */
MX_API int mx_linalg_det(mx_array **out, const mx_array *a, const mx_stream *s);
/* Sign (-1, 0 or 1) and log of the absolute value of the determinant; a
 * singular matrix gives sign 0 and logabsdet -inf. */
MX_API int mx_linalg_slogdet(mx_array **sign, mx_array **logabsdet, const mx_array *a,
                             const mx_stream *s);

#ifdef __cplusplus
}
#endif
#endif
