/*
 * Strided index spaces shared by the CPU kernel families.
 *
 * A kernel sees its operands as one shape and, per operand, strides in
 * elements (0 for broadcast axes, negative for reversed ones). Before
 * looping it collapses that description: size-1 axes go, and neighbouring
 * axes merge wherever every operand steps through them as through one axis.
 * Most views then become one or two axes, and the innermost one is handed to
 * a vector loop as a run of elements.
 *
 * Work is split over flat row-major positions [begin, end) of the index
 * space, so threads can take any range: seek to begin, then walk runs along
 * the last axis with mxi_strided_advance.
 *
 * The same header declares the raw-pointer entry points of the elementwise,
 * reduction and matmul families, for callers that hold pointers and strides
 * rather than arrays (the array-level eval functions wrap them).
 */
#ifndef MXI_CPU_STRIDED_H
#define MXI_CPU_STRIDED_H

#include <stdint.h>

#include "cmlx/dtype.h"
#include "primitives/primitives.h"

/* A collapsed space keeps at most this many axes; more is reported as an
 * error by the kernels (no real array needs it after collapsing). */
#define MXI_STRIDED_MAX_DIMS 64
#define MXI_STRIDED_MAX_OPS  3

/* Elementwise work is split across threads in ranges of at least this many
 * elements: big enough that waking a thread pays, small enough to share
 * tens of thousands of elements over the cores. */
#define MXI_ELEMWISE_GRAIN 32768

typedef struct mxi_strided {
    int ndim; /* >= 1; a 0-d or all-ones space becomes one axis of length 1 */
    int nops;
    int64_t size;
    int64_t shape[MXI_STRIDED_MAX_DIMS];
    int64_t strides[MXI_STRIDED_MAX_OPS][MXI_STRIDED_MAX_DIMS];
} mxi_strided;

/* A position in a collapsed space: the multi-index and each operand's offset
 * in elements from its element 0. */
typedef struct mxi_strided_pos {
    int64_t idx[MXI_STRIDED_MAX_DIMS];
    int64_t off[MXI_STRIDED_MAX_OPS];
} mxi_strided_pos;

/* Collapses `shape` (ndim axes, may be 0) with nops stride vectors (each
 * ndim long) into `it`. Merging keeps row-major order, so flat positions of
 * `it` are flat positions of the original shape. Returns MX_OK, or
 * MX_ERR_VALUE (recorded, prefixed by `op`) when more than
 * MXI_STRIDED_MAX_DIMS axes remain. */
int mxi_strided_init(mxi_strided *it, const int32_t *shape, int ndim, const int64_t *const *strides,
                     int nops, const char *op);

/* The same from 64-bit extents (already collapsed spaces, reduction
 * sub-spaces). */
int mxi_strided_init64(mxi_strided *it, const int64_t *shape, int ndim,
                       const int64_t *const *strides, int nops, const char *op);

/* Sets p to flat row-major position `flat` (0 <= flat <= size). */
void mxi_strided_seek(const mxi_strided *it, mxi_strided_pos *p, int64_t flat);

/* Moves p forward by n positions along the last axis, where n is at most
 * what is left of the current row; carries into outer axes at a row's end. */
static inline void mxi_strided_advance(const mxi_strided *it, mxi_strided_pos *p, int64_t n) {
    int d = it->ndim - 1;
    p->idx[d] += n;
    for (int k = 0; k < it->nops; k++) p->off[k] += n * it->strides[k][d];
    while (p->idx[d] == it->shape[d] && d > 0) {
        for (int k = 0; k < it->nops; k++) p->off[k] -= it->shape[d] * it->strides[k][d];
        p->idx[d] = 0;
        d--;
        p->idx[d]++;
        for (int k = 0; k < it->nops; k++) p->off[k] += it->strides[k][d];
    }
}

/* Elements left in the current row from p. */
static inline int64_t mxi_strided_row_left(const mxi_strided *it, const mxi_strided_pos *p) {
    return it->shape[it->ndim - 1] - p->idx[it->ndim - 1];
}

/* ---- streaming stores ---- */

/* Outputs of at least this many bytes are written with streaming
 * (non-temporal) stores: they cannot stay in the last-level cache anyway,
 * and streaming skips reading each destination line before overwriting it,
 * which is a quarter of the memory traffic of a binary op. */
int64_t mxi_stream_threshold(void);
/* Overrides it (tests: 0 streams everything); bytes < 0 restores the
 * default. */
void mxi_stream_set_threshold(int64_t bytes);

/* How many bytes kernels stage in a stack buffer before streaming them. */
#define MXI_STREAM_CHUNK 8192

/* Copies n bytes to dst with streaming stores where the CPU has them
 * (memcpy elsewhere). The stores are weakly ordered: call mxi_stream_fence
 * before the data can be read by another thread. */
void mxi_stream_store(void *dst, const void *src, int64_t n);
void mxi_stream_fence(void);

/* ---- raw entry points of the kernel families ---- */

/* out = a <op> b elementwise for op any single-output binary elementwise
 * primitive (the rows of defs/binary.def run by mxi_cpu_binary: arithmetic,
 * comparisons, bitwise, ...). a, b point at element 0 of operands of `dtype`
 * laid out by their strides over `shape`; out, of `dtype` or bool for the
 * comparisons, is row-contiguous and may be the same memory as a or b when
 * that operand is row-contiguous with out's itemsize. Large inputs run on
 * the thread pool. Returns MX_OK, MX_ERR_TYPE for a dtype the op has no
 * kernel for, or another error (recorded). More entry points of the family
 * are in binary.h. */
int mxi_binary_strided(mxi_prim_kind op, mx_dtype dtype, void *out, const void *a,
                       const int64_t *a_strides, const void *b, const int64_t *b_strides,
                       const int32_t *shape, int ndim);

/* The per-run loop of a unary primitive of defs/unary.def for input dtype
 * dt: out[i] = f(in[i * stride]) for i < n, out row-contiguous (and may be
 * in's memory when stride is 1 and the itemsizes agree). NULL when the
 * primitive has no such loop for dt, and for NanToNum and Clip, which take
 * more than the input. */
typedef void (*mxi_unary_loop)(const void *in, int64_t stride, void *out, int64_t n);
mxi_unary_loop mxi_unary_loop_of(const struct mxi_node *node, mx_dtype dt);

/* Reduces `in` (dtype in_dtype, laid out by in_strides over shape) over the
 * sorted, distinct axes into `out`, row-contiguous over the kept axes, of
 * out_dtype. type is an mxi_reduce_type. Sums and products of integers wrap;
 * 16-bit floats accumulate in float32 and float32 sums in float32 blocks
 * added in float64; min/max propagate NaN; empty reductions give the
 * identity. Returns MX_OK, MX_ERR_TYPE for min/max of complex, or another
 * recorded error. */
int mxi_reduce_strided(int type, void *out, mx_dtype out_dtype, const void *in, mx_dtype in_dtype,
                       const int32_t *shape, const int64_t *in_strides, int ndim,
                       const int32_t *axes, int naxes);

/* out (batch..., M, N), row-contiguous, = a (batch..., M, K) @ b (batch...,
 * K, N), all of `dtype` (float16, bfloat16, float32, float64, complex64).
 * Batch axes (nbatch, with batch_shape) have per-operand strides; the matrix
 * axes have row and column strides. Any strides work; the BLAS is called
 * directly on blocks that are row- or column-major with a unit inner
 * stride. The result is alpha * a @ b + beta * out: with beta nonzero, out
 * must already hold the addend (beta 0 ignores it, NaN included, as BLAS).
 * Returns MX_OK, MX_ERR_TYPE for another dtype or MX_ERR_MEMORY. */
int mxi_matmul_strided(mx_dtype dtype, void *out, const void *a, const void *b,
                       const int32_t *batch_shape, int nbatch, const int64_t *a_batch_strides,
                       const int64_t *b_batch_strides, int64_t M, int64_t N, int64_t K,
                       int64_t a_row_stride, int64_t a_col_stride, int64_t b_row_stride,
                       int64_t b_col_stride, double alpha, double beta);

#endif
