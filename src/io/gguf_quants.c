/*
 * ggml's quantized blocks, converted on load.
 *
 * Q4_0, Q4_1, Q8_0 and Q4_K become MLX's affine triplets (w = scale * q +
 * bias, groups of 32, q packed little-endian into uint32 words: element k
 * of a row at bits bits*(k % (32/bits)) of word k / (32/bits)):
 *   Q4_0: x = d * (q - 8)       -> scale d, bias -8d
 *   Q4_1: x = d * q + m         -> scale d, bias m
 *   Q8_0: x = d * q (q signed)  -> q + 128 unsigned, scale d, bias -128d
 *   Q4_K: x = d*sc * q - dmin*m -> per 32-element sub-block scale d*sc,
 *                                  bias -dmin*m (rounded to float16 as MLX)
 * The other K-quants are dequantized to float32 exactly as ggml's reference
 * dequantizers compute them.
 */
#include <string.h>

#include "gguf.h"

int mxi_ggml_block(int type, int *elems, int *bytes) {
    int e = 0, b = 0;
    switch (type) {
    case MXI_GGML_F32:
        e = 1, b = 4;
        break;
    case MXI_GGML_F16:
        e = 1, b = 2;
        break;
    case MXI_GGML_BF16:
        e = 1, b = 2;
        break;
    case MXI_GGML_F64:
        e = 1, b = 8;
        break;
    case MXI_GGML_I8:
        e = 1, b = 1;
        break;
    case MXI_GGML_I16:
        e = 1, b = 2;
        break;
    case MXI_GGML_I32:
        e = 1, b = 4;
        break;
    case MXI_GGML_I64:
        e = 1, b = 8;
        break;
    case MXI_GGML_Q4_0:
        e = 32, b = 18;
        break;
    case MXI_GGML_Q4_1:
        e = 32, b = 20;
        break;
    case MXI_GGML_Q8_0:
        e = 32, b = 34;
        break;
    case MXI_GGML_Q2_K:
        e = 256, b = 84;
        break;
    case MXI_GGML_Q3_K:
        e = 256, b = 110;
        break;
    case MXI_GGML_Q4_K:
        e = 256, b = 144;
        break;
    case MXI_GGML_Q5_K:
        e = 256, b = 176;
        break;
    case MXI_GGML_Q6_K:
        e = 256, b = 210;
        break;
    default:
        break;
    }
    *elems = e, *bytes = b;
    return e != 0;
}

const char *mxi_ggml_name(int type) {
    switch (type) {
    case MXI_GGML_Q5_0:
        return "Q5_0";
    case MXI_GGML_Q5_1:
        return "Q5_1";
    case MXI_GGML_Q8_1:
        return "Q8_1";
    case MXI_GGML_Q8_K:
        return "Q8_K";
    default:
        return "an unknown type";
    }
}

static float h2f(const unsigned char *p) {
    return mx_half_to_float(mxi_le16(p));
}
static uint16_t f2h(float f) {
    return mx_float_to_half(f);
}

/* 32 4-bit values, element j in nibble order (low first), into 4 words. */
static void pack4(const uint8_t *q, uint32_t *w) {
    for (int k = 0; k < 4; k++) {
        uint32_t v = 0;
        for (int i = 7; i >= 0; i--) v = v << 4 | (q[8 * k + i] & 0xF);
        w[k] = v;
    }
}

/* Q4_0/Q4_1 nibbles: byte j holds element j (low) and j + 16 (high). */
static void split_nibbles(const unsigned char *qs, uint8_t *q) {
    for (int j = 0; j < 16; j++) {
        q[j] = qs[j] & 0xF;
        q[j + 16] = qs[j] >> 4;
    }
}

/* The 6-bit scale and min of sub-block j of a Q4_K/Q5_K block. */
static void scale_min_k4(int j, const unsigned char *s, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (uint8_t)((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
        *m = (uint8_t)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

void mxi_gguf_to_affine(int type, const unsigned char *src, int64_t nblk, uint32_t *w,
                        uint16_t *scales, uint16_t *biases) {
    uint8_t q[32];
    for (int64_t b = 0; b < nblk; b++) {
        switch (type) {
        case MXI_GGML_Q4_0: {
            const unsigned char *p = src + b * 18;
            float d = h2f(p);
            scales[b] = mxi_le16(p);
            biases[b] = f2h(-8 * d);
            split_nibbles(p + 2, q);
            pack4(q, w + b * 4);
            break;
        }
        case MXI_GGML_Q4_1: {
            const unsigned char *p = src + b * 20;
            scales[b] = mxi_le16(p);
            biases[b] = mxi_le16(p + 2);
            split_nibbles(p + 4, q);
            pack4(q, w + b * 4);
            break;
        }
        case MXI_GGML_Q8_0: {
            const unsigned char *p = src + b * 34;
            scales[b] = mxi_le16(p);
            biases[b] = f2h(-128 * h2f(p));
            for (int k = 0; k < 8; k++) {
                uint32_t v = 0;
                for (int i = 3; i >= 0; i--) v = v << 8 | (uint8_t)(p[2 + 4 * k + i] ^ 0x80);
                w[b * 8 + k] = v;
            }
            break;
        }
        case MXI_GGML_Q4_K: {
            const unsigned char *p = src + b * 144;
            float d = h2f(p), dmin = h2f(p + 2);
            const unsigned char *s = p + 4, *qs = p + 16;
            for (int j = 0; j < 8; j++) {
                uint8_t sc, m;
                scale_min_k4(j, s, &sc, &m);
                scales[b * 8 + j] = f2h(d * sc);
                biases[b * 8 + j] = f2h(-(dmin * m));
            }
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) q[l] = qs[32 * c + l] & 0xF;
                pack4(q, w + b * 32 + c * 8);
                for (int l = 0; l < 32; l++) q[l] = qs[32 * c + l] >> 4;
                pack4(q, w + b * 32 + c * 8 + 4);
            }
            break;
        }
        default:
            break;
        }
    }
}

static void deq_q2_k(const unsigned char *p, float *y) {
    const unsigned char *sc = p, *q = p + 16;
    float d = h2f(p + 80), dmin = h2f(p + 82);
    int is = 0;
    for (int n = 0; n < 256; n += 128) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int half = 0; half < 2; half++) {
                uint8_t s = sc[is++];
                float dl = d * (float)(s & 0xF), ml = dmin * (float)(s >> 4);
                for (int l = 0; l < 16; l++)
                    *y++ = dl * (float)((q[l + 16 * half] >> shift) & 3) - ml;
            }
        }
        q += 32;
    }
}

static void deq_q3_k(const unsigned char *p, float *y) {
    const unsigned char *hm = p, *q = p + 32, *s = p + 96;
    float d = h2f(p + 108);
    /* 16 6-bit scales: low 4 bits from bytes 0..7, high 2 bits from 8..11. */
    int8_t scales[16];
    for (int j = 0; j < 16; j++) {
        int lo = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
        int hi = (s[8 + (j % 4)] >> (2 * (j / 4))) & 3;
        scales[j] = (int8_t)((lo | hi << 4) - 32);
    }
    int is = 0;
    uint8_t m = 1;
    for (int n = 0; n < 256; n += 128) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int half = 0; half < 2; half++) {
                float dl = d * (float)scales[is++];
                for (int l = 16 * half; l < 16 * half + 16; l++) {
                    int v = ((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4);
                    *y++ = dl * (float)v;
                }
            }
            m = (uint8_t)(m << 1);
        }
        q += 32;
    }
}

static void deq_q4_k(const unsigned char *p, float *y) {
    float d = h2f(p), dmin = h2f(p + 2);
    const unsigned char *s = p + 4, *q = p + 16;
    for (int c = 0; c < 4; c++) {
        uint8_t sc, m;
        scale_min_k4(2 * c, s, &sc, &m);
        float d1 = d * sc, m1 = dmin * m;
        scale_min_k4(2 * c + 1, s, &sc, &m);
        float d2 = d * sc, m2 = dmin * m;
        for (int l = 0; l < 32; l++) *y++ = d1 * (float)(q[l] & 0xF) - m1;
        for (int l = 0; l < 32; l++) *y++ = d2 * (float)(q[l] >> 4) - m2;
        q += 32;
    }
}

static void deq_q5_k(const unsigned char *p, float *y) {
    float d = h2f(p), dmin = h2f(p + 2);
    const unsigned char *s = p + 4, *qh = p + 16, *ql = p + 48;
    uint8_t u1 = 1, u2 = 2;
    for (int c = 0; c < 4; c++) {
        uint8_t sc, m;
        scale_min_k4(2 * c, s, &sc, &m);
        float d1 = d * sc, m1 = dmin * m;
        scale_min_k4(2 * c + 1, s, &sc, &m);
        float d2 = d * sc, m2 = dmin * m;
        for (int l = 0; l < 32; l++)
            *y++ = d1 * (float)((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
        for (int l = 0; l < 32; l++) *y++ = d2 * (float)((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
        ql += 32;
        u1 = (uint8_t)(u1 << 2), u2 = (uint8_t)(u2 << 2);
    }
}

static void deq_q6_k(const unsigned char *p, float *y) {
    const unsigned char *ql = p, *qh = p + 128;
    const int8_t *sc = (const int8_t *)(p + 192);
    float d = h2f(p + 208);
    for (int n = 0; n < 256; n += 128) {
        for (int l = 0; l < 32; l++) {
            int is = l / 16;
            int q1 = ((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32;
            int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l] = d * (float)sc[is] * (float)q1;
            y[l + 32] = d * (float)sc[is + 2] * (float)q2;
            y[l + 64] = d * (float)sc[is + 4] * (float)q3;
            y[l + 96] = d * (float)sc[is + 6] * (float)q4;
        }
        y += 128, ql += 64, qh += 32, sc += 8;
    }
}

void mxi_gguf_dequantize(int type, const unsigned char *src, int64_t nblk, float *dst) {
    int e, b;
    mxi_ggml_block(type, &e, &b);
    for (int64_t i = 0; i < nblk; i++) {
        const unsigned char *p = src + i * b;
        float *y = dst + i * 256;
        switch (type) {
        case MXI_GGML_Q2_K:
            deq_q2_k(p, y);
            break;
        case MXI_GGML_Q3_K:
            deq_q3_k(p, y);
            break;
        case MXI_GGML_Q4_K:
            deq_q4_k(p, y);
            break;
        case MXI_GGML_Q5_K:
            deq_q5_k(p, y);
            break;
        case MXI_GGML_Q6_K:
            deq_q6_k(p, y);
            break;
        default:
            break;
        }
    }
}
