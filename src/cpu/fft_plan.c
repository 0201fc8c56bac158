/*
 * FFT plans and their execution (see fft_plan.h). The passes themselves
 * are in fft_kernels.inc, picked per SIMD level.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/simd.h"
#include "fft_plan.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "fft_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const fft_tables[MXI_SIMD_LEVELS] = MXI_SIMD_TABLES(fft);

static const double fft_pi = 3.14159265358979323846264338327950288;

/* Splits n into passes: 4s first (fewest passes), a 2 if one is left, then
 * 3s, 5s and other odd primes. Returns false when a prime factor is larger
 * than MXI_FFT_MAX_GENERIC (the length goes to Bluestein). */
static bool factorize(int64_t n, int *radix, int *count) {
    int c = 0;
    while (n % 4 == 0) radix[c++] = 4, n /= 4;
    if (n % 2 == 0) radix[c++] = 2, n /= 2;
    for (int p = 3; n > 1; p += 2) {
        if (p > MXI_FFT_MAX_GENERIC) return false;
        while (n % p == 0) radix[c++] = p, n /= p;
    }
    *count = c;
    return true;
}

/* The smallest 2^a 3^b 5^c >= n. */
static int64_t smooth_at_least(int64_t n) {
    int64_t best = 1;
    while (best < n) best *= 2;
    for (int64_t p5 = 1; p5 < best; p5 *= 5)
        for (int64_t p35 = p5; p35 < best; p35 *= 3) {
            int64_t v = p35;
            while (v < n) v *= 2;
            if (v < best) best = v;
        }
    return best;
}

void mxi_fft_plan_free(mxi_fft_plan *p) {
    if (!p) return;
    free(p->tw_re), free(p->tw_im), free(p->cs), free(p->sn);
    free(p->w_re), free(p->w_im), free(p->b_re), free(p->b_im);
    free(p->w4_re), free(p->w4_im);
    mxi_fft_plan_free(p->sub);
    mxi_fft_plan_free(p->p1);
    mxi_fft_plan_free(p->p2);
    free(p);
}

static mxi_fft_plan *plan_fail(mxi_fft_plan *p) {
    mxi_fft_plan_free(p);
    mxi_error(MX_ERR_MEMORY, "[fft] out of memory for the transform plan");
    return NULL;
}

static mxi_fft_plan *bluestein_new(mxi_fft_plan *p) {
    int64_t n = p->n, m = smooth_at_least(2 * n - 1);
    p->m = m;
    p->sub = mxi_fft_plan_new(m);
    if (!p->sub) return plan_fail(p);
    p->w_re = malloc(sizeof(float) * (size_t)n);
    p->w_im = malloc(sizeof(float) * (size_t)n);
    p->b_re = calloc((size_t)m, sizeof(float));
    p->b_im = calloc((size_t)m, sizeof(float));
    float *tmp = malloc(sizeof(float) * (size_t)p->sub->work);
    if (!p->w_re || !p->w_im || !p->b_re || !p->b_im || (p->sub->work && !tmp)) {
        free(tmp);
        return plan_fail(p);
    }
    for (int64_t k = 0; k < n; k++) {
        /* k^2 mod 2n keeps the angle exact for large k (k < 2^31, so k^2
         * fits). */
        int64_t k2 = (int64_t)(((uint64_t)k * (uint64_t)k) % (uint64_t)(2 * n));
        double a = -fft_pi * (double)k2 / (double)n;
        p->w_re[k] = (float)cos(a);
        p->w_im[k] = (float)sin(a);
        /* b = conj(w), wrapped: b[k] and b[m - k]; scaled by 1/m for the
         * inverse transform that ends the convolution. */
        double br = cos(a) / (double)m, bi = -sin(a) / (double)m;
        p->b_re[k] = (float)br, p->b_im[k] = (float)bi;
        if (k) p->b_re[m - k] = (float)br, p->b_im[m - k] = (float)bi;
    }
    mxi_fft_exec(p->sub, p->b_re, p->b_im, tmp, 1);
    free(tmp);
    p->work = 2 * m + p->sub->work;
    return p;
}

mxi_fft_plan *mxi_fft_plan_new(int64_t n) {
    mxi_fft_plan *p = calloc(1, sizeof *p);
    if (!p) return plan_fail(NULL);
    p->n = n;
    if (n <= 1) return p;
    int c;
    if (!factorize(n, p->radix, &c)) return bluestein_new(p);
    p->npasses = c;
    /* Twiddles: pass i has (radix - 1) * ns of them; cos/sin tables: one
     * per generic pass. */
    int64_t ntw = 0, ncs = 0, ns = 1;
    for (int i = 0; i < c; i++) {
        p->ns[i] = ns;
        p->tw_off[i] = ntw;
        p->cs_off[i] = ncs;
        if (ns > 1) ntw += (p->radix[i] - 1) * ns;
        if (p->radix[i] > 5) ncs += p->radix[i];
        ns *= p->radix[i];
    }
    p->tw_re = malloc(sizeof(float) * (size_t)(ntw ? ntw : 1));
    p->tw_im = malloc(sizeof(float) * (size_t)(ntw ? ntw : 1));
    p->cs = malloc(sizeof(float) * (size_t)(ncs ? ncs : 1));
    p->sn = malloc(sizeof(float) * (size_t)(ncs ? ncs : 1));
    if (!p->tw_re || !p->tw_im || !p->cs || !p->sn) return plan_fail(p);
    for (int i = 0; i < c; i++) {
        int r = p->radix[i];
        int64_t s = p->ns[i];
        if (s > 1) {
            float *tr = p->tw_re + p->tw_off[i], *ti = p->tw_im + p->tw_off[i];
            for (int q = 1; q < r; q++)
                for (int64_t k = 0; k < s; k++) {
                    double a = -2.0 * fft_pi * (double)(q * k) / (double)(s * r);
                    tr[(q - 1) * s + k] = (float)cos(a);
                    ti[(q - 1) * s + k] = (float)sin(a);
                }
        }
        if (r > 5) {
            for (int t = 0; t < r; t++) {
                double a = 2.0 * fft_pi * t / r;
                p->cs[p->cs_off[i] + t] = (float)cos(a);
                p->sn[p->cs_off[i] + t] = (float)sin(a);
            }
        }
    }
    p->work = 2 * n;
    if (n > MXI_FFT_FOUR_STEP_N) {
        /* n1: factors taken while the product stays within sqrt(n). */
        int64_t n1 = 1;
        for (int i = 0; i < c; i++)
            if (n1 * p->radix[i] * n1 * p->radix[i] <= n) n1 *= p->radix[i];
        if (n1 >= 8) {
            p->n1 = n1, p->n2 = n / n1;
            p->p1 = mxi_fft_plan_new(p->n1);
            p->p2 = p->p1 ? mxi_fft_plan_new(p->n2) : NULL;
            p->w4_re = malloc(sizeof(float) * (size_t)n);
            p->w4_im = malloc(sizeof(float) * (size_t)n);
            if (!p->p1 || !p->p2 || !p->w4_re || !p->w4_im) return plan_fail(p);
            /* w4[k1 * n2 + j2] = exp(-2 pi i j2 k1 / n) */
            for (int64_t k1 = 0; k1 < p->n1; k1++)
                for (int64_t j2 = 0; j2 < p->n2; j2++) {
                    double a = -2.0 * fft_pi * (double)(j2 * k1) / (double)n;
                    p->w4_re[k1 * p->n2 + j2] = (float)cos(a);
                    p->w4_im[k1 * p->n2 + j2] = (float)sin(a);
                }
        }
    }
    return p;
}

static void stockham(const mxi_fft_plan *p, float *re, float *im, float *work, int lanes) {
    const mxi_fft_table *t = mxi_simd_pick(fft_tables);
    int li = lanes > 1;
    int64_t n = p->n, len = n * lanes;
    float *sr = re, *si = im, *dr = work, *di = work + len;
    for (int i = 0; i < p->npasses; i++) {
        int r = p->radix[i];
        const float *twr = p->tw_re + p->tw_off[i], *twi = p->tw_im + p->tw_off[i];
        if (r <= 5)
            t->pass[li][r](n, p->ns[i], sr, si, dr, di, twr, twi);
        else
            t->generic[li](n, p->ns[i], r, sr, si, dr, di, twr, twi, p->cs + p->cs_off[i],
                           p->sn + p->cs_off[i]);
        float *xr = sr, *xi = si;
        sr = dr, si = di, dr = xr, di = xi;
    }
    if (sr != re) {
        memcpy(re, sr, sizeof(float) * (size_t)len);
        memcpy(im, si, sizeof(float) * (size_t)len);
    }
}

/* X[k] = w[k] * sum_j (x[j] w[j]) conj(w[k - j]): a convolution of length
 * m done as forward transform, product with the chirp's transform, and an
 * inverse transform (conjugate, forward, conjugate). */
static void bluestein(const mxi_fft_plan *p, float *re, float *im, float *work, int lanes) {
    const mxi_fft_table *t = mxi_simd_pick(fft_tables);
    int li = lanes > 1;
    int64_t n = p->n, m = p->m, L = lanes;
    float *ar = work, *ai = work + m * L, *sub = work + 2 * m * L;
    memcpy(ar, re, sizeof(float) * (size_t)(n * L));
    memcpy(ai, im, sizeof(float) * (size_t)(n * L));
    t->cmul[li](ar, ai, p->w_re, p->w_im, n);
    memset(ar + n * L, 0, sizeof(float) * (size_t)((m - n) * L));
    memset(ai + n * L, 0, sizeof(float) * (size_t)((m - n) * L));
    mxi_fft_exec(p->sub, ar, ai, sub, lanes);
    t->cmul[li](ar, ai, p->b_re, p->b_im, m);
    for (int64_t i = 0; i < m * L; i++) ai[i] = -ai[i];
    mxi_fft_exec(p->sub, ar, ai, sub, lanes);
    /* c = conj(what the forward pass gave); X = w c */
    for (int64_t k = 0; k < n; k++) {
        float wr = p->w_re[k], wi = p->w_im[k];
        for (int64_t l = 0; l < L; l++) {
            float cr = ar[k * L + l], ci = -ai[k * L + l];
            re[k * L + l] = cr * wr - ci * wi;
            im[k * L + l] = cr * wi + ci * wr;
        }
    }
}

/* ---- four-step ----
 *
 * X[k1 + n1 k2] = sum_j2 W_n2^(j2 k2) W_n^(j2 k1) sum_j1 W_n1^(j1 k1)
 * x[j1 n2 + j2]. Step one: transforms down the n2 columns of x seen as
 * n1 x n2, times the twiddles, into work (same layout, Y[k1][j2]). Step
 * two: transforms along the n1 rows of Y, each result written down a
 * column of the output seen as n2 x n1, which is X in natural order. Both
 * steps take eight columns or rows at a time (lanes) and split them over
 * the pool; copies are blocked so that rows a power of two apart do not
 * evict one another. */

typedef struct four_job {
    const mxi_fft_plan *p;
    bool rows;      /* step two */
    int64_t ntasks; /* each with `work` floats of scratch */
    int64_t work;
    const float *sr, *si, *twr, *twi;
    float *dr, *di, *scratch;
} four_job;

#define FOUR_BLOCK 64

/* Step one for columns [c0, c0 + L). */
static void four_cols(const four_job *f, int64_t c0, int L, float *buf) {
    int64_t R = f->p->n1, C = f->p->n2;
    float *re = buf, *im = buf + R * L, *work = buf + 2 * R * L;
    for (int64_t j = 0; j < R; j++)
        for (int l = 0; l < L; l++)
            re[j * L + l] = f->sr[j * C + c0 + l], im[j * L + l] = f->si[j * C + c0 + l];
    mxi_fft_exec(f->p->p1, re, im, work, L);
    for (int64_t k = 0; k < R; k++)
        for (int l = 0; l < L; l++) {
            float a = re[k * L + l], b = im[k * L + l];
            float wr = f->twr[k * C + c0 + l], wi = f->twi[k * C + c0 + l];
            f->dr[k * C + c0 + l] = a * wr - b * wi;
            f->di[k * C + c0 + l] = a * wi + b * wr;
        }
}

/* Step two for rows [r0, r0 + L) of Y (n1 x n2): row r's transform goes
 * to out[k2 * n1 + r]. */
static void four_rows(const four_job *f, int64_t r0, int L, float *buf) {
    int64_t n1 = f->p->n1, n2 = f->p->n2;
    float *re = buf, *im = buf + n2 * L, *work = buf + 2 * n2 * L;
    for (int64_t jb = 0; jb < n2; jb += FOUR_BLOCK) {
        int64_t je = jb + FOUR_BLOCK < n2 ? jb + FOUR_BLOCK : n2;
        for (int l = 0; l < L; l++) {
            const float *yr = f->sr + (r0 + l) * n2, *yi = f->si + (r0 + l) * n2;
            for (int64_t j = jb; j < je; j++) re[j * L + l] = yr[j], im[j * L + l] = yi[j];
        }
    }
    mxi_fft_exec(f->p->p2, re, im, work, L);
    for (int64_t k = 0; k < n2; k++)
        for (int l = 0; l < L; l++)
            f->dr[k * n1 + r0 + l] = re[k * L + l], f->di[k * n1 + r0 + l] = im[k * L + l];
}

static void four_tasks(void *ctx, int64_t tb, int64_t te) {
    const four_job *f = ctx;
    int64_t count = f->rows ? f->p->n1 : f->p->n2;
    int64_t groups = (count + MXI_FFT_LANES - 1) / MXI_FFT_LANES;
    for (int64_t t = tb; t < te; t++) {
        float *buf = f->scratch + t * f->work;
        int64_t gb = groups * t / f->ntasks, ge = groups * (t + 1) / f->ntasks;
        for (int64_t g = gb; g < ge; g++) {
            int64_t c0 = g * MXI_FFT_LANES, c1 = c0 + MXI_FFT_LANES;
            int L = c1 <= count ? MXI_FFT_LANES : 1;
            for (int64_t c = c0; c < c1 && c < count; c += L) {
                if (f->rows)
                    four_rows(f, c, L, buf);
                else
                    four_cols(f, c, L, buf);
            }
        }
    }
}

static int64_t four_ntasks(int64_t count) {
    int64_t groups = (count + MXI_FFT_LANES - 1) / MXI_FFT_LANES;
    int64_t cap = 4 * (int64_t)mxi_num_threads();
    return groups < cap ? groups : cap;
}

/* Returns false (nothing done) when its scratch is not available. */
static bool four_step(const mxi_fft_plan *p, float *re, float *im, float *work) {
    int64_t w1 = MXI_FFT_LANES * (2 * p->n1 + p->p1->work);
    int64_t w2 = MXI_FFT_LANES * (2 * p->n2 + p->p2->work);
    int64_t t1 = four_ntasks(p->n2), t2 = four_ntasks(p->n1);
    int64_t need = t1 * w1 > t2 * w2 ? t1 * w1 : t2 * w2;
    float *scratch = malloc(sizeof(float) * (size_t)need);
    if (!scratch) return false;
    float *yr = work, *yi = work + p->n;
    four_job f = {.p = p,
                  .rows = false,
                  .ntasks = t1,
                  .work = w1,
                  .sr = re,
                  .si = im,
                  .twr = p->w4_re,
                  .twi = p->w4_im,
                  .dr = yr,
                  .di = yi,
                  .scratch = scratch};
    mxi_parallel_for(t1, 1, four_tasks, &f);
    four_job g = {.p = p,
                  .rows = true,
                  .ntasks = t2,
                  .work = w2,
                  .sr = yr,
                  .si = yi,
                  .dr = re,
                  .di = im,
                  .scratch = scratch};
    mxi_parallel_for(t2, 1, four_tasks, &g);
    free(scratch);
    return true;
}

void mxi_fft_exec(const mxi_fft_plan *p, float *re, float *im, float *work, int lanes) {
    if (lanes == 1 && p->p1 && four_step(p, re, im, work)) return;
    if (p->sub)
        bluestein(p, re, im, work, lanes);
    else if (p->npasses)
        stockham(p, re, im, work, lanes);
}

/* ---- copies in and out ---- */

void mxi_fft_gather2(float *dre, float *dim, const float *const *x, int lanes, int64_t count,
                     int64_t stride, int64_t off2, float mre, float mim) {
    const mxi_fft_table *t = mxi_simd_pick(fft_tables);
    t->gather2(dre, dim, x, lanes, count, stride, off2, mre, mim);
}

void mxi_fft_scatter2(float *const *y, const float *sre, const float *sim, int lanes, int64_t count,
                      int64_t stride, int64_t off2, float mre, float mim) {
    const mxi_fft_table *t = mxi_simd_pick(fft_tables);
    t->scatter2(y, sre, sim, lanes, count, stride, off2, mre, mim);
}

/* ---- real transforms ---- */

void mxi_fft_rplan_free(mxi_fft_rplan *p) {
    if (!p) return;
    mxi_fft_plan_free(p->c);
    free(p->t_re), free(p->t_im);
    free(p);
}

mxi_fft_rplan *mxi_fft_rplan_new(int64_t n) {
    mxi_fft_rplan *p = calloc(1, sizeof *p);
    if (!p) {
        mxi_error(MX_ERR_MEMORY, "[fft] out of memory for the transform plan");
        return NULL;
    }
    p->n = n;
    p->half = n % 2 == 0;
    int64_t h = n / 2;
    p->c = mxi_fft_plan_new(p->half ? h : n);
    if (!p->c) {
        mxi_fft_rplan_free(p);
        return NULL;
    }
    if (p->half) {
        p->t_re = malloc(sizeof(float) * (size_t)h);
        p->t_im = malloc(sizeof(float) * (size_t)h);
        if (!p->t_re || !p->t_im) {
            mxi_fft_rplan_free(p);
            mxi_error(MX_ERR_MEMORY, "[fft] out of memory for the transform plan");
            return NULL;
        }
        for (int64_t k = 0; k < h; k++) {
            double a = -2.0 * fft_pi * (double)k / (double)n;
            p->t_re[k] = (float)cos(a);
            p->t_im[k] = (float)sin(a);
        }
    }
    return p;
}

/* re, im, the complex plan's scratch and X[n/2] of each lane. */
int64_t mxi_fft_rplan_work(const mxi_fft_rplan *p, int lanes) {
    return lanes * (2 * p->c->n + p->c->work + 2);
}

void mxi_fft_r2c(const mxi_fft_rplan *p, int lanes, const float *const *x, int64_t xs,
                 float *const *y, int64_t ys, float scale, float *work) {
    int64_t n = p->n, len = p->c->n, L = lanes;
    float *re = work, *im = work + len * L, *sub = work + 2 * len * L;
    if (!p->half) {
        for (int64_t j = 0; j < n; j++)
            for (int64_t l = 0; l < L; l++) re[j * L + l] = x[l][j * xs], im[j * L + l] = 0;
        mxi_fft_exec(p->c, re, im, sub, lanes);
        for (int64_t l = 0; l < L; l++)
            for (int64_t k = 0; k <= n / 2; k++) {
                y[l][2 * k * ys] = re[k * L + l] * scale;
                y[l][2 * k * ys + 1] = im[k * L + l] * scale;
            }
        return;
    }
    int64_t h = len;
    float *hr = sub + p->c->work * L, *hi = hr + L;
    mxi_fft_gather2(re, im, x, lanes, h, 2 * xs, xs, 1.0f, 1.0f);
    mxi_fft_exec(p->c, re, im, sub, lanes);
    const mxi_fft_table *t = mxi_simd_pick(fft_tables);
    t->r2c_post[L > 1](re, im, hr, hi, p->t_re, p->t_im, h, scale);
    mxi_fft_scatter2(y, re, im, lanes, h, 2 * ys, 1, 1.0f, 1.0f);
    for (int64_t l = 0; l < L; l++) y[l][2 * h * ys] = hr[l], y[l][2 * h * ys + 1] = hi[l];
}

void mxi_fft_c2r(const mxi_fft_rplan *p, int lanes, const float *const *y, int64_t ys,
                 float *const *x, int64_t xs, float scale, float *work) {
    int64_t n = p->n, len = p->c->n, L = lanes;
    float *re = work, *im = work + len * L, *sub = work + 2 * len * L;
    if (!p->half) {
        /* The Hermitian extension, conjugated for the inverse: x = Re
         * forward(conj Y). */
        for (int64_t l = 0; l < L; l++) {
            const float *yl = y[l];
            re[l] = yl[0], im[l] = 0;
            for (int64_t k = 1; k <= (n - 1) / 2; k++) {
                float a = yl[2 * k * ys], b = yl[2 * k * ys + 1];
                re[k * L + l] = a, im[k * L + l] = -b;
                re[(n - k) * L + l] = a, im[(n - k) * L + l] = b;
            }
        }
        mxi_fft_exec(p->c, re, im, sub, lanes);
        for (int64_t l = 0; l < L; l++)
            for (int64_t j = 0; j < n; j++) x[l][j * xs] = re[j * L + l] * scale;
        return;
    }
    int64_t h = len;
    float *hr = sub + p->c->work * L;
    mxi_fft_gather2(re, im, y, lanes, h, 2 * ys, 1, 1.0f, 1.0f);
    for (int64_t l = 0; l < L; l++) hr[l] = y[l][2 * h * ys];
    const mxi_fft_table *t = mxi_simd_pick(fft_tables);
    t->c2r_pre[L > 1](re, im, hr, p->t_re, p->t_im, h);
    mxi_fft_exec(p->c, re, im, sub, lanes);
    mxi_fft_scatter2(x, re, im, lanes, h, 2 * xs, xs, scale, -scale);
}
