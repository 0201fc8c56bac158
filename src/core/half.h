/*
 * float16 and bfloat16 <-> float32 conversions as branch-free inline bit
 * arithmetic, so loops that use them vectorise in every kernel variant.
 * Rounding is to nearest even; NaN stays a (quiet) NaN; values past the
 * largest finite 16-bit value become inf.
 */
#ifndef MXI_HALF_H
#define MXI_HALF_H

#include <stdint.h>
#include <string.h>

static inline uint32_t mxi_f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float mxi_bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline float mxi_bf16_to_f32(uint16_t b) {
    return mxi_bits_f32((uint32_t)b << 16);
}

static inline uint16_t mxi_f32_to_bf16(float f) {
    uint32_t u = mxi_f32_bits(f);
    uint32_t is_nan = (u & 0x7fffffffu) > 0x7f800000u;
    uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    uint32_t nan = (u >> 16) | 0x40u;
    return (uint16_t)(is_nan ? nan : rounded);
}

static inline float mxi_f16_to_f32(uint16_t h) {
    /* Shift exponent and mantissa into float32 position and rescale by 2^112:
     * this handles normals and subnormals with one multiply; inf/NaN get the
     * float32 maximum exponent. */
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t em = h & 0x7fffu;
    float mag = mxi_bits_f32(em << 13) * 0x1p112f;
    uint32_t bits = mxi_f32_bits(mag);
    /* Selects as masks, not ?:, so the loop vectorises at every ISA level. */
    uint32_t special = 0u - (uint32_t)(em >= 0x7c00u);
    bits = (bits & ~special) | ((0x7f800000u | (em & 0x3ffu) << 13) & special);
    return mxi_bits_f32(bits | sign);
}

static inline uint16_t mxi_f32_to_f16(float f) {
    /* The classic rescale-and-round approach: scaling by 2^-112 maps the
     * float16 range onto float32 subnormal/normal boundaries so the FPU does
     * round-to-nearest-even for us. */
    uint32_t u = mxi_f32_bits(f);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t abs_u = u & 0x7fffffffu;
    float a = mxi_bits_f32(abs_u);
    /* Values at or past 65520 round to inf. */
    uint32_t overflow = abs_u >= 0x477ff000u;
    uint32_t is_nan = abs_u > 0x7f800000u;
    /* Normal range: add a magic number so rounding happens at bit 13. */
    uint32_t normal;
    {
        uint32_t mant_odd = (abs_u >> 13) & 1u;
        uint32_t r = abs_u + 0xc8000fffu + mant_odd; /* rebias exponent (-112 << 23) + round */
        normal = r >> 13;
    }
    /* Subnormal range (|f| < 2^-14): the float adder rounds for us. */
    uint32_t sub = mxi_f32_bits(a + 0.5f) - 0x3f000000u;
    /* Selects as masks, not ?:, so the loop vectorises at every ISA level. */
    uint32_t m_sub = 0u - (uint32_t)(abs_u < 0x38800000u);
    uint32_t res = (sub & m_sub) | (normal & ~m_sub);
    uint32_t m_over = 0u - overflow;
    res = (0x7c00u & m_over) | (res & ~m_over);
    uint32_t m_nan = 0u - is_nan;
    res = ((0x7e00u | ((abs_u >> 13) & 0x3ffu)) & m_nan) | (res & ~m_nan);
    return (uint16_t)(res | sign);
}

#endif
