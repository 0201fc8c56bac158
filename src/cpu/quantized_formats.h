/*
 * The number formats of quantized weights, as MLX 0.32 encodes them.
 *
 * Packed codes of every mode form one little-endian bit stream per row:
 * code i occupies bits [i * bits, (i + 1) * bits), so for 2, 4 and 8 bits
 * code k of a uint32 word sits at bit k * bits, and 3, 5 and 6-bit codes
 * straddle bytes (8 codes in 3 or 5 bytes, 4 codes in 3 bytes).
 *
 * FP8 E4M3 ("fn": no infinities, 0x7f/0xff are NaN) is converted with
 * round-to-nearest-even and saturation at +-448 (NaN and inf saturate too).
 * FP4 E2M1 codes are sign + 3 bits indexing {0, .5, 1, 1.5, 2, 3, 4, 6}.
 * E8M0 scales are 2^(s - 127); MLX reads s = 0 as 2^-127 and 255 as inf.
 */
#ifndef MXI_CPU_QUANTIZED_FORMATS_H
#define MXI_CPU_QUANTIZED_FORMATS_H

#include <math.h>
#include <stdint.h>

#include "cmlx/dtype.h"
#include "core/half.h"

static const float mxi_fp4_values[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                         -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

static inline uint8_t mxi_to_fp8(float f) {
    uint32_t u = mxi_f32_bits(f);
    uint32_t sign = u & 0x80000000u, a = u ^ sign;
    uint32_t r;
    if (a >= 0x43e80000u) { /* |f| >= 464, inf and NaN saturate to 448 */
        r = 0x7e;
    } else if (a < 0x3c800000u) { /* below 2^-6: subnormal; adding 2^14 rounds to 2^-9 steps */
        r = mxi_f32_bits(mxi_bits_f32(a) + 16384.0f) - 0x46800000u;
    } else { /* normal: rebias the exponent (127 -> 7) and round at bit 20 */
        a += 0xc407ffffu + ((a >> 20) & 1u);
        r = a >> 20;
    }
    return (uint8_t)(r | (sign >> 24));
}

static inline float mxi_from_fp8(uint8_t b) {
    uint32_t em = b & 0x7fu;
    /* em << 20 is a float32 with the exponent biased by 7 instead of 127
     * (subnormals included); 2^120 rebiases it exactly. */
    float mag = mxi_bits_f32(em << 20) * 0x1p120f;
    if (em == 0x7fu) mag = NAN;
    return (b & 0x80u) ? -mag : mag;
}

static inline float mxi_from_e8m0(uint8_t s) {
    return mxi_bits_f32(s == 0 ? 0x00400000u : (uint32_t)s << 23);
}

/* A float16/bfloat16/float32 element as float, and a float rounded to one. */
static inline float mxi_load_f(const void *p, int64_t i, mx_dtype t) {
    switch (t) {
    case MX_FLOAT16:
        return mxi_f16_to_f32(((const uint16_t *)p)[i]);
    case MX_BFLOAT16:
        return mxi_bf16_to_f32(((const uint16_t *)p)[i]);
    default:
        return ((const float *)p)[i];
    }
}

static inline float mxi_round_to(float f, mx_dtype t) {
    switch (t) {
    case MX_FLOAT16:
        return mxi_f16_to_f32(mxi_f32_to_f16(f));
    case MX_BFLOAT16:
        return mxi_bf16_to_f32(mxi_f32_to_bf16(f));
    default:
        return f;
    }
}

/* Reads n codes of `bits` bits from the bit stream at w (n * bits a
 * multiple of 8) into codes. */
static inline void mxi_unpack_codes(uint8_t *codes, const uint8_t *w, int bits, int64_t n) {
    uint32_t acc = 0, mask = (1u << bits) - 1u;
    int have = 0;
    for (int64_t i = 0; i < n; i++) {
        if (have < bits) {
            acc |= (uint32_t)*w++ << have;
            have += 8;
        }
        codes[i] = (uint8_t)(acc & mask);
        acc >>= bits;
        have -= bits;
    }
}

#endif
