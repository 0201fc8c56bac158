/*
 * Raw-pointer entry points of the elementwise binary and ternary kernels
 * beyond mxi_binary_strided (declared in strided.h with the other
 * families'), for callers that hold pointers and strides rather than
 * arrays. Operands point at element 0 and are laid out by their strides (in
 * elements, 0 and negative allowed) over `shape`; outputs are
 * row-contiguous and may be the memory of a row-contiguous operand of the
 * same itemsize. Large inputs run on the thread pool. Each returns MX_OK or
 * a recorded error.
 */
#ifndef MXI_CPU_BINARY_H
#define MXI_CPU_BINARY_H

#include <stdbool.h>
#include <stdint.h>

#include "cmlx/dtype.h"
#include "primitives/primitives.h"

/* q = floor_divide(a, b) and r = remainder(a, b) in one pass, all of
 * `dtype` (not complex64). */
int mxi_divmod_strided(mx_dtype dtype, void *q, void *r, const void *a, const int64_t *a_strides,
                       const void *b, const int64_t *b_strides, const int32_t *shape, int ndim);

/* out (bool) = isclose(a, b) as MLX composes it, a and b already cast to
 * their promoted dtype `dtype`; a_dtype and b_dtype are their dtypes before
 * that cast, which decide the infinity checks and how |b| rounds. */
int mxi_isclose_strided(mx_dtype dtype, mx_dtype a_dtype, mx_dtype b_dtype, double rtol,
                        double atol, bool equal_nan, void *out, const void *a,
                        const int64_t *a_strides, const void *b, const int64_t *b_strides,
                        const int32_t *shape, int ndim);

/* out = cond ? x : y elementwise; cond is bool (any nonzero byte is true),
 * x, y and out are of `dtype`. */
int mxi_select_strided(mx_dtype dtype, void *out, const void *cond, const int64_t *cond_strides,
                       const void *x, const int64_t *x_strides, const void *y,
                       const int64_t *y_strides, const int32_t *shape, int ndim);

/* The loop of a single-output binary elementwise primitive (those run by
 * mxi_cpu_binary) for operands of `dtype`, both contiguous:
 * out[i] = a[i] op b[i] for i < n (the strides are ignored), out of dtype or
 * bool for comparisons and may be a's or b's memory. NULL when there is
 * none. */
typedef void (*mxi_binary_vv_loop)(const void *a, int64_t sa, const void *b, int64_t sb, void *out,
                                   int64_t n);
mxi_binary_vv_loop mxi_binary_loop_of(mxi_prim_kind kind, mx_dtype dtype);

/* ---- tiled walks, shared by the binary and ternary kernels ----
 *
 * A row-major walk reads an operand that jumps along the last axis (a
 * transposed view) one element per cache line and page. When some operand
 * does, the kernels walk the last two collapsed axes in tiles instead: a
 * band of `ti` rows at a time, `tj` columns across. Each jumping operand's
 * tile is first copied into a small local buffer in the output's order,
 * reading it along its own shortest stride, so each of its cache lines and
 * pages is visited once per tile; then each row of the tile is one
 * contiguous run for the kernel's loops. (binary_tiled.c) */

#define MXI_TILE_MAX_OPS 3

struct mxi_strided;

/* Handles one run of n elements from flat output position out_pos: operand
 * k starts at ptr[k] and steps by stride[k] elements. */
typedef void (*mxi_tile_run_fn)(void *ctx, const char *const *ptr, const int64_t *stride,
                                int64_t out_pos, int64_t n);

typedef struct mxi_tiled {
    const struct mxi_strided *it;
    const char *base[MXI_TILE_MAX_OPS]; /* element 0 of each operand */
    int64_t itemsize[MXI_TILE_MAX_OPS];
    bool stage[MXI_TILE_MAX_OPS]; /* copied tile by tile into a local buffer */
    mxi_tile_run_fn run;
    void *ctx;
    int64_t rows, cols; /* the last two collapsed axes */
    int64_t ti, tj;     /* tile rows and columns */
    int64_t bands;      /* bands of ti rows per outer index */
    int64_t units;      /* outer indices x bands: the units of parallel work */
} mxi_tiled;

/* Whether `it` is better walked in tiles (some operand jumps along the last
 * axis and the space is big enough); if so fills t for mxi_tiled_walk.
 * base[k] and itemsize[k] describe operand k of it. */
bool mxi_tiled_plan(mxi_tiled *t, const struct mxi_strided *it, const void *const *base,
                    const int64_t *itemsize, mxi_tile_run_fn run, void *ctx);
/* Runs every tile, on the thread pool when there are many. */
void mxi_tiled_walk(mxi_tiled *t);

#endif
