/*
 * Branch-free float32 math that compilers vectorise.
 *
 * glibc's expf, logf, tanhf and erff are scalar calls: a loop over them runs
 * one element at a time whatever the vector width. These versions are plain
 * arithmetic on floats and their bit patterns (range reduction, a minimax
 * polynomial, reconstruction) with every special case folded in by selects,
 * so a loop that calls them vectorises at -O3 in the AVX2 and AVX-512
 * kernel variants and stays correct in the scalar reference.
 *
 * Selects of floats go through integer masks (mxi_vm_sel): with C's default
 * trapping-math semantics gcc will not speculate a float operation into a
 * `c ? a : b`, so a float select whose arms compute would block
 * vectorisation (clamps included: gcc threads `x < c ? x : c` into
 * branches). Multiply-adds are fused (MXI_VM_FMA) where the target has
 * FMA, so the vector variants may differ from the scalar reference by an
 * ulp; C11 mode keeps gcc from contracting anything else.
 *
 * The polynomials were fitted (Lawson's iteration towards minimax on a dense
 * grid against 40-digit references) for this file. Measured maximum errors
 * against libm in double, over every 13th float32 bit pattern, are listed
 * at each function (the larger of the fused and unfused builds);
 * tests/test_unary.c checks them on a sample.
 */
#ifndef MXI_CPU_VMATH_H
#define MXI_CPU_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Forced inlining: a loop calling an out-of-line copy does not vectorise,
 * and gcc stops inlining these once a file uses them in many loops. */
#if defined(__GNUC__)
#define MXI_VM_INLINE static inline __attribute__((always_inline))
#else
#define MXI_VM_INLINE static inline
#endif

/* a * b + c: fused where the target has FMA (the vector variants), two
 * roundings in the scalar reference. Polynomials are evaluated with it, so
 * the variants may differ from the reference by an ulp or so; both stay
 * within the bounds given at each function (measured for both). */
#if defined(__FMA__)
#define MXI_VM_FMA(a, b, c) fmaf(a, b, c)
#else
#define MXI_VM_FMA(a, b, c) ((a) * (b) + (c))
#endif

MXI_VM_INLINE uint32_t mxi_vm_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

MXI_VM_INLINE float mxi_vm_float(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* c ? a : b, through the bits (see the file comment). */
MXI_VM_INLINE float mxi_vm_sel(int c, float a, float b) {
    uint32_t m = (uint32_t)0 - (uint32_t)(c != 0);
    return mxi_vm_float((mxi_vm_bits(a) & m) | (mxi_vm_bits(b) & ~m));
}

#define MXI_VM_INF mxi_vm_float(0x7f800000u)
#define MXI_VM_NAN mxi_vm_float(0x7fc00000u)

/* Round to nearest (ties to even) for |x| < 2^22, without a libm call. */
MXI_VM_INLINE float mxi_vm_rint_small(float x) {
    return (x + 0x1.8p23f) - 0x1.8p23f;
}

/* 2^n for n in [-126, 127]. */
MXI_VM_INLINE float mxi_vm_pow2i(int32_t n) {
    return mxi_vm_float((uint32_t)(n + 127) << 23);
}

/* expm1(r) for |r| <= ln2/2: r + r^2/2 + r^3 q(r), relative error 4e-10
 * before rounding. */
MXI_VM_INLINE float mxi_vm_expm1_kernel(float r) {
    float q = 0.00019824117771349847f;
    q = MXI_VM_FMA(r, q, 0.0013933252776041627f);
    q = MXI_VM_FMA(r, q, 0.0083334194496274f);
    q = MXI_VM_FMA(r, q, 0.041666481643915176f);
    q = MXI_VM_FMA(r, q, 0.1666666567325592f);
    float r2 = r * r;
    return r + (0.5f * r2 + (r2 * r) * q);
}

/* x = k ln2 + r with |r| <= ln2/2 (Cody-Waite: k ln2_hi is exact for the
 * |k| <= 150 used here). */
MXI_VM_INLINE float mxi_vm_reduce_ln2(float x, float *k) {
    float kk = mxi_vm_rint_small(x * 1.44269504088896341f);
    *k = kk;
    float r = x - kk * 0.693359375f;
    return r - kk * -2.12194440e-4f;
}

/* e^x. Max error 0.92 ulp; overflow gives inf, underflow rounds through the
 * subnormals to 0; exp(NaN) is NaN. */
MXI_VM_INLINE float mxi_vm_expf(float x) {
    float xc = mxi_vm_sel(x < 88.8f, x, 88.8f);
    xc = mxi_vm_sel(xc > -104.0f, xc, -104.0f); /* NaN goes to -104, fixed below */
    float k;
    float r = mxi_vm_reduce_ln2(xc, &k);
    float y = 1.0f + mxi_vm_expm1_kernel(r);
    /* 2^k as two normal factors, so subnormal and overflowing results are
     * rounded once, by the last multiply. */
    int32_t n = (int32_t)k;
    int32_t n1 = n >> 1; /* floor(n / 2): arithmetic shift */
    y = (y * mxi_vm_pow2i(n1)) * mxi_vm_pow2i(n - n1);
    return mxi_vm_sel(x != x, x, y);
}

/* e^x - 1, accurate near 0. Max error 1.4 ulp. */
MXI_VM_INLINE float mxi_vm_expm1f(float x) {
    float xc = mxi_vm_sel(x < 88.8f, x, 88.8f);
    xc = mxi_vm_sel(xc > -30.0f, xc, -30.0f); /* below -17.4 the result is -1 */
    float k;
    float r = mxi_vm_reduce_ln2(xc, &k);
    float p = mxi_vm_expm1_kernel(r);
    int32_t n = (int32_t)k;
    /* For |n| <= 24, 2^n p and 2^n - 1 are exact, so one rounding; for
     * larger n, -1 no longer matters and 2^n is applied in two steps so
     * that it may overflow to inf. */
    float s = mxi_vm_pow2i(n < 127 ? n : 127);
    float small = s * p + (s - 1.0f);
    int32_t n1 = n >> 1;
    float big = ((1.0f + p) * mxi_vm_pow2i(n1)) * mxi_vm_pow2i(n - n1) - 1.0f;
    float y = mxi_vm_sel(n <= 24, small, big);
    y = mxi_vm_sel(n == 0, p, y);
    return mxi_vm_sel((x != x) | (x == 0.0f), x, y); /* NaN, and -0 stays -0 */
}

/* Splits finite x > 0 into x = 2^e m, m in [sqrt(1/2), sqrt(2)), and
 * returns log(m) as f + *lo, f = m - 1 exact (callers add the parts in
 * double); e comes back through *e. Subnormals are scaled first. */
MXI_VM_INLINE float mxi_vm_log_kernel(float x, float *e, float *lo) {
    int sub = x < 0x1p-126f;
    float xs = mxi_vm_sel(sub, x * 0x1p25f, x);
    uint32_t u = mxi_vm_bits(xs) - 0x3f3504f3u; /* bits of sqrt(1/2) */
    int32_t ei = (int32_t)u >> 23;
    float m = mxi_vm_float((u & 0x007fffffu) + 0x3f3504f3u);
    *e = (float)(ei - (sub ? 25 : 0));
    /* log(1 + f) = f - f^2/2 + f^3 R(f), f in [-0.293, 0.415] */
    float f = m - 1.0f;
    float q = -0.07634464651346207f;
    q = MXI_VM_FMA(f, q, 0.12761937081813812f);
    q = MXI_VM_FMA(f, q, -0.13160361349582672f);
    q = MXI_VM_FMA(f, q, 0.14201723039150238f);
    q = MXI_VM_FMA(f, q, -0.1662333607673645f);
    q = MXI_VM_FMA(f, q, 0.20001228153705597f);
    q = MXI_VM_FMA(f, q, -0.250008225440979f);
    q = MXI_VM_FMA(f, q, 0.3333333134651184f);
    float f2 = f * f;
    *lo = -0.5f * f2 + (f2 * f) * q;
    return f;
}

/* The value for x outside (0, inf): log of 0 is -inf, of inf is inf, of a
 * negative number or NaN is NaN. */
MXI_VM_INLINE float mxi_vm_log_special(float x, float y) {
    float s = mxi_vm_sel(x == 0.0f, -MXI_VM_INF, mxi_vm_sel(x == MXI_VM_INF, x, MXI_VM_NAN));
    return mxi_vm_sel((x > 0.0f) & (x < MXI_VM_INF), y, s);
}

/* Natural logarithm: e ln2 + log(m) with ln2 split in two (e ln2_hi is
 * exact). Max error 0.9 ulp. */
MXI_VM_INLINE float mxi_vm_logf(float x) {
    float e, lo;
    float f = mxi_vm_log_kernel(x, &e, &lo);
    float y = e * 0.693359375f + (f + MXI_VM_FMA(e, -2.12194440e-4f, lo));
    return mxi_vm_log_special(x, y);
}

/* Base-2 logarithm: exact at powers of two. Max error 0.81 ulp. */
MXI_VM_INLINE float mxi_vm_log2f(float x) {
    float e, lo;
    float f = mxi_vm_log_kernel(x, &e, &lo);
    float y = (float)((double)e + ((double)f + (double)lo) * 1.44269504088896340736);
    return mxi_vm_log_special(x, y);
}

/* Base-10 logarithm. Max error 0.78 ulp. */
MXI_VM_INLINE float mxi_vm_log10f(float x) {
    float e, lo;
    float f = mxi_vm_log_kernel(x, &e, &lo);
    float y = (float)((double)e * 0.30102999566398119521 +
                      ((double)f + (double)lo) * 0.43429448190325182765);
    return mxi_vm_log_special(x, y);
}

/* log(1 + x), accurate near 0: with u = 1 + x rounded, log1p(x) =
 * log(u) + (x - (u - 1)) / u to first order in the rounding error of u;
 * the parts are summed in double. Max error 0.8 ulp. */
MXI_VM_INLINE float mxi_vm_log1pf(float x) {
    float u = 1.0f + x;
    float c = (x - (u - 1.0f)) / u;
    float e, lo;
    float f = mxi_vm_log_kernel(u, &e, &lo);
    float y = (float)((double)e * 0.69314718055994530942 + ((double)f + ((double)lo + (double)c)));
    y = mxi_vm_log_special(u, y);
    /* x = inf gives inf - inf in c; x = -0 must stay -0. */
    y = mxi_vm_sel(x == MXI_VM_INF, x, y);
    return mxi_vm_sel(x == 0.0f, x, y);
}

/* tanh: x + x^3 P(x^2) for |x| < 0.625, else 1 - 2 / (e^2|x| + 1) with
 * the sign restored. Max error 1.3 ulp. */
MXI_VM_INLINE float mxi_vm_tanhf(float x) {
    float ax = fabsf(x);
    float z = x * x;
    float p = -0.0057044620625674725f;
    p = MXI_VM_FMA(z, p, 0.020638637244701385f);
    p = MXI_VM_FMA(z, p, -0.05373958498239517f);
    p = MXI_VM_FMA(z, p, 0.13331440091133118f);
    p = MXI_VM_FMA(z, p, -0.3333328068256378f);
    float small = ax + (ax * z) * p;
    float big = 1.0f - 2.0f / (mxi_vm_expf(2.0f * ax) + 1.0f);
    float y = mxi_vm_sel(ax < 0.625f, small, big);
    return copysignf(y, x);
}

/* 1 / (1 + e^-x), as e / (1 + e) with e = exp(-|x|) for x < 0 so that the
 * tiny results for very negative x keep their precision. Max error 2.2 ulp. */
MXI_VM_INLINE float mxi_vm_sigmoidf(float x) {
    float e = mxi_vm_expf(-fabsf(x));
    return mxi_vm_sel(x < 0.0f, e, 1.0f) / (1.0f + e);
}

/* Error function. |x| < 1: x S(x^2), S(0) = 2/sqrt(pi). Beyond: 1 - exp(L(|x|)) with L a fit
 * of log(erfc) on [1, 3.95]; past 3.95 erf rounds to +-1. Max error 1.3 ulp. */
MXI_VM_INLINE float mxi_vm_erff(float x) {
    float ax = fabsf(x);
    float z = x * x;
    float s = 7.85314550739713e-05f;
    s = MXI_VM_FMA(z, s, -0.0008009994635358453f);
    s = MXI_VM_FMA(z, s, 0.005188307259231806f);
    s = MXI_VM_FMA(z, s, -0.02685380168259144f);
    s = MXI_VM_FMA(z, s, 0.1128358468413353f);
    s = MXI_VM_FMA(z, s, -0.3761262595653534f);
    s = MXI_VM_FMA(z, s, 0.12837916612625122f); /* S - 1: the final add rounds once */
    float small = x + x * s;
    float t = mxi_vm_sel(ax < 3.95f, ax, 3.95f); /* NaN goes to 3.95, fixed below */
    float l = -2.1697627744288184e-05f;
    l = MXI_VM_FMA(t, l, 0.00044147283188067377f);
    l = MXI_VM_FMA(t, l, -0.00420528557151556f);
    l = MXI_VM_FMA(t, l, 0.025210343301296234f);
    l = MXI_VM_FMA(t, l, -0.10842210799455643f);
    l = MXI_VM_FMA(t, l, -0.633216381072998f);
    l = MXI_VM_FMA(t, l, -1.1295802593231201f);
    l = MXI_VM_FMA(t, l, 0.0001884685771074146f);
    float big = copysignf(1.0f - mxi_vm_expf(l), x);
    float y = mxi_vm_sel(ax < 1.0f, small, big);
    return mxi_vm_sel(x != x, x, y);
}

/* Inverse error function: M. Giles' single-precision approximation
 * ("Approximating the erfinv function", GPU Computing Gems, 2011), the one
 * MLX uses, with both branches computed and selected. erfinv(+-1) = +-inf,
 * |x| > 1 gives NaN. Max error 3.8 ulp. */
MXI_VM_INLINE float mxi_vm_erfinvf(float x) {
    float w = -mxi_vm_logf((1.0f - x) * (1.0f + x));
    float a = w - 2.5f;
    float p = 2.81022636e-08f;
    p = MXI_VM_FMA(p, a, 3.43273939e-07f);
    p = MXI_VM_FMA(p, a, -3.5233877e-06f);
    p = MXI_VM_FMA(p, a, -4.39150654e-06f);
    p = MXI_VM_FMA(p, a, 0.00021858087f);
    p = MXI_VM_FMA(p, a, -0.00125372503f);
    p = MXI_VM_FMA(p, a, -0.00417768164f);
    p = MXI_VM_FMA(p, a, 0.246640727f);
    p = MXI_VM_FMA(p, a, 1.50140941f);
    float wc = mxi_vm_sel(w < 1e30f, w, 1e30f); /* inf and NaN handled below */
    float b = sqrtf(wc) - 3.0f;
    float q = -0.000200214257f;
    q = MXI_VM_FMA(q, b, 0.000100950558f);
    q = MXI_VM_FMA(q, b, 0.00134934322f);
    q = MXI_VM_FMA(q, b, -0.00367342844f);
    q = MXI_VM_FMA(q, b, 0.00573950773f);
    q = MXI_VM_FMA(q, b, -0.0076224613f);
    q = MXI_VM_FMA(q, b, 0.00943887047f);
    q = MXI_VM_FMA(q, b, 1.00167406f);
    q = MXI_VM_FMA(q, b, 2.83297682f);
    float y = mxi_vm_sel(w < 5.0f, p, q) * x;
    float ax = fabsf(x);
    y = mxi_vm_sel(ax == 1.0f, copysignf(MXI_VM_INF, x), y);
    return mxi_vm_sel(ax <= 1.0f, y, MXI_VM_NAN);
}

/* Largest |x| the sine and cosine below take; callers send larger |x|
 * (and inf, NaN) to libm. */
#define MXI_VM_SINCOS_MAX 32768.0f

/* sin x (cosine: odd = 1) for |x| <= MXI_VM_SINCOS_MAX: x = j pi/2 + r with
 * |r| <= pi/4, reduced in double (pi/2 as 33 bits + the rest, so j * the
 * first part is exact), then the sine or cosine polynomial of r (Cephes'
 * sinf and cosf coefficients) picked by the quadrant. */
MXI_VM_INLINE float mxi_vm_sincos_small(float x, int odd) { /* max error 1.6 ulp */
    float j = mxi_vm_rint_small(x * 0.636619772367581343f);
    double rd = (double)x - (double)j * 1.57079631090164184570e+00;
    rd = rd - (double)j * 1.58932547735281966916e-08;
    float r = (float)rd;
    uint32_t q = (uint32_t)(int32_t)j + (uint32_t)odd;
    float z = r * r;
    float sp = -1.9515295891e-4f;
    sp = MXI_VM_FMA(sp, z, 8.3321608736e-3f);
    sp = MXI_VM_FMA(sp, z, -1.6666654611e-1f);
    float sn = MXI_VM_FMA(r * z, sp, r);
    float cp = 2.443315711809948e-5f;
    cp = MXI_VM_FMA(cp, z, -1.388731625493765e-3f);
    cp = MXI_VM_FMA(cp, z, 4.166664568298827e-2f);
    float cs = MXI_VM_FMA(z * z, cp, 1.0f - 0.5f * z);
    float y = mxi_vm_sel((int)(q & 1u), cs, sn);
    y = mxi_vm_float(mxi_vm_bits(y) ^ ((q & 2u) << 30));
    return mxi_vm_sel((x == 0.0f) & !odd, x, y); /* sin(-0) = -0 */
}

#endif
