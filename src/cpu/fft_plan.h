/*
 * FFT plans: what a transform of one length needs, computed once (and
 * kept in the plan cache, fft_cache.c) and then shared read-only by every
 * thread.
 *
 * A complex plan of length n factors n into radices 4, 2, 3, 5 and odd
 * primes up to MXI_FFT_MAX_GENERIC and runs one Stockham pass per factor
 * (fft_kernels.inc), with twiddle factors computed in double and stored as
 * float. A length with a larger prime factor goes through Bluestein's
 * chirp-z algorithm: the transform becomes a circular convolution of length
 * m >= 2n - 1 (m with factors 2, 3, 5 only), done with two transforms of
 * length m and a precomputed transform of the chirp. A long length run one
 * at a time uses the four-step split (see mxi_fft_plan below).
 *
 * A real plan of even length n runs a complex plan of length n/2 on the
 * even and odd samples packed as real and imaginary parts, then separates
 * the two halves (and the reverse for the inverse); odd lengths use a
 * complex plan of length n.
 *
 * Data is split complex: separate arrays of real and imaginary parts.
 * Transforms are forward (exp(-2 pi i jk / n)) and unnormalised; the
 * inverse is conj(forward(conj(x))), which callers fold into their copies.
 */
#ifndef MXI_FFT_PLAN_H
#define MXI_FFT_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#define MXI_FFT_MAX_PASSES 64

typedef struct mxi_fft_plan {
    int64_t n;
    int npasses; /* 0: n == 1, or Bluestein */
    int radix[MXI_FFT_MAX_PASSES];
    int64_t ns[MXI_FFT_MAX_PASSES];     /* product of the earlier radices */
    int64_t tw_off[MXI_FFT_MAX_PASSES]; /* into tw_re / tw_im */
    int64_t cs_off[MXI_FFT_MAX_PASSES]; /* into cs / sn (generic radices) */
    float *tw_re, *tw_im;
    float *cs, *sn;
    /* Bluestein (sub != NULL): chirp w[k] = exp(-pi i k^2 / n) for k < n,
     * and the transform of the conjugate chirp wrapped to length m, times
     * 1/m. */
    struct mxi_fft_plan *sub;
    int64_t m;
    float *w_re, *w_im;
    float *b_re, *b_im;
    /* Long lengths, one transform at a time (p1 != NULL): the four-step
     * split n = n1 n2, columns of length n1 (with twiddles w4, laid out as
     * the n1 x n2 data) and, after a transpose, columns of length n2; both
     * run eight columns side by side and spread over the thread pool. */
    struct mxi_fft_plan *p1, *p2;
    int64_t n1, n2;
    float *w4_re, *w4_im;
    int64_t work; /* floats of scratch mxi_fft_exec needs */
} mxi_fft_plan;

/* Lengths above this (with no prime factor over MXI_FFT_MAX_GENERIC) use
 * the four-step split when run one at a time. */
#define MXI_FFT_FOUR_STEP_N 16384

/* A plan for length n >= 1, or NULL with MX_ERR_MEMORY recorded. */
mxi_fft_plan *mxi_fft_plan_new(int64_t n);
void mxi_fft_plan_free(mxi_fft_plan *p);

/* The forward transform of (re, im) in place: lanes (1 or MXI_FFT_LANES)
 * transforms side by side, element j of lane l at [j * lanes + l]. work
 * holds p->work * lanes floats. */
void mxi_fft_exec(const mxi_fft_plan *p, float *re, float *im, float *work, int lanes);

/* Copies between `lanes` lines and lane-interleaved scratch, blocked so
 * that lines far apart (a power-of-two distance, often) do not fight over
 * cache sets: dre[j * lanes + l] = mre * x[l][j * stride] and
 * dim[j * lanes + l] = mim * x[l][j * stride + off2] for j < count. */
void mxi_fft_gather2(float *dre, float *dim, const float *const *x, int lanes, int64_t count,
                     int64_t stride, int64_t off2, float mre, float mim);
/* The reverse: y[l][j * stride] = mre * sre[j * lanes + l] and
 * y[l][j * stride + off2] = mim * sim[j * lanes + l]. */
void mxi_fft_scatter2(float *const *y, const float *sre, const float *sim, int lanes, int64_t count,
                      int64_t stride, int64_t off2, float mre, float mim);

typedef struct mxi_fft_rplan {
    int64_t n;
    bool half;          /* n even: a complex plan of n/2 */
    mxi_fft_plan *c;    /* of length n/2 (half) or n */
    float *t_re, *t_im; /* half: exp(-2 pi i k / n) for k < n/2 */
} mxi_fft_rplan;

mxi_fft_rplan *mxi_fft_rplan_new(int64_t n);
void mxi_fft_rplan_free(mxi_fft_rplan *p);

/* Floats of scratch the real transforms of `lanes` lines need besides
 * their input and output. */
int64_t mxi_fft_rplan_work(const mxi_fft_rplan *p, int lanes);

/* Forward real transform of `lanes` (1 or MXI_FFT_LANES) lines: line l
 * reads n floats from x[l] (stride xs) and writes n/2 + 1 complex values
 * interleaved to y[l] (complex element stride ys), each multiplied by
 * scale. */
void mxi_fft_r2c(const mxi_fft_rplan *p, int lanes, const float *const *x, int64_t xs,
                 float *const *y, int64_t ys, float scale, float *work);
/* Inverse real transform of `lanes` lines: n/2 + 1 complex values from
 * y[l] (interleaved, complex stride ys; the imaginary parts of the first
 * and, for even n, last are ignored) to n real values x[l] (stride xs),
 * unnormalised, times scale. */
void mxi_fft_c2r(const mxi_fft_rplan *p, int lanes, const float *const *y, int64_t ys,
                 float *const *x, int64_t xs, float scale, float *work);

/* ---- the plan cache (fft_cache.c) ---- */

/* A plan from the cache, built on a miss; plan is NULL with MX_ERR_MEMORY
 * recorded on failure. Hand `handle` to mxi_fft_plan_release when done. */
typedef struct mxi_fft_plan_ref {
    const mxi_fft_plan *plan;
    void *handle;
} mxi_fft_plan_ref;
typedef struct mxi_fft_rplan_ref {
    const mxi_fft_rplan *plan;
    void *handle;
} mxi_fft_rplan_ref;

mxi_fft_plan_ref mxi_fft_plan_get(int64_t n);
mxi_fft_rplan_ref mxi_fft_rplan_get(int64_t n);
void mxi_fft_plan_release(void *handle);

#endif
