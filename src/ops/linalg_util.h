/*
 * Checks shared by the linalg ops (linalg_*.c), with MLX's messages: every
 * message starts with the op's prefix, e.g. "[linalg::qr]" from the prefix "linalg::qr".
 */
#ifndef MXI_LINALG_UTIL_H
#define MXI_LINALG_UTIL_H

#include "ops_util.h"

#include "cmlx/linalg.h"

/* Resolves s into *out and rejects a stream on a device other than the CPU,
 * where the factorizations do not run. */
int mxi_linalg_cpu_stream(mx_stream *out, const mx_stream *s, const char *prefix);
/* float32 or float64. */
int mxi_linalg_check_float(mx_dtype dt, const char *prefix);
/* float32, float64 or complex64. */
int mxi_linalg_check_float_or_complex(mx_dtype dt, const char *prefix);
/* At least two dimensions. */
int mxi_linalg_check_ndim(const mx_array *a, const char *prefix);
/* The common prologue of the factorizations: arguments usable, CPU stream,
 * dtype (complex allowed or not), ndim >= 2 and, when square_msg is not
 * NULL, square matrices (else MX_ERR_VALUE "[prefix] square_msg"). */
int mxi_linalg_validate(mx_stream *st, mx_array **out, const mx_array *a, const mx_stream *s,
                        const char *prefix, bool complex_ok, const char *square_msg);
/* The Inverse primitive (general, or triangular reading the upper/lower
 * triangle) for the public op `caller` (an mxi_inverse_caller), which its
 * messages name. */
int mxi_linalg_inverse(mx_array **out, const mx_array *a, bool tri, bool upper, int caller,
                       const mx_stream *s);
/* dtype if inexact, else its promotion with float32 (MLX's at_least_float). */
mx_dtype mxi_linalg_at_least_float(mx_dtype dt);

#endif
