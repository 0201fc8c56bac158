/*
 * The elementwise reductions every backend applies to what it receives.
 */
#include <math.h>
#include <stdint.h>

#include "core/half.h"
#include "distributed/distributed_impl.h"

#define LOOP(T, EXPR)                                                                              \
    do {                                                                                           \
        T *d = dst;                                                                                \
        const T *s = src;                                                                          \
        for (size_t i = 0; i < count; i++) {                                                       \
            T a = d[i], b = s[i];                                                                  \
            d[i] = (EXPR);                                                                         \
        }                                                                                          \
    } while (0)

/* Integers: plain arithmetic (unsigned wraps; signed sums wrap as MLX's do
 * on every machine it runs on, done in unsigned to stay defined). */
#define INT_CASE(T, U)                                                                             \
    switch (op) {                                                                                  \
    case MXI_DIST_SUM:                                                                             \
        LOOP(T, (T)((U)a + (U)b));                                                                 \
        break;                                                                                     \
    case MXI_DIST_MAX:                                                                             \
        LOOP(T, a < b ? b : a);                                                                    \
        break;                                                                                     \
    case MXI_DIST_MIN:                                                                             \
        LOOP(T, b < a ? b : a);                                                                    \
        break;                                                                                     \
    }

/* Floats: NaN wins max and min, as mx.maximum. */
#define FLOAT_CASE(T)                                                                              \
    switch (op) {                                                                                  \
    case MXI_DIST_SUM:                                                                             \
        LOOP(T, a + b);                                                                            \
        break;                                                                                     \
    case MXI_DIST_MAX:                                                                             \
        LOOP(T, (isnan(a) || a >= b) ? a : b);                                                     \
        break;                                                                                     \
    case MXI_DIST_MIN:                                                                             \
        LOOP(T, (isnan(a) || a <= b) ? a : b);                                                     \
        break;                                                                                     \
    }

#define HALF_CASE(TO_F, FROM_F)                                                                    \
    do {                                                                                           \
        uint16_t *d = dst;                                                                         \
        const uint16_t *s = src;                                                                   \
        for (size_t i = 0; i < count; i++) {                                                       \
            float a = TO_F(d[i]), b = TO_F(s[i]), r;                                               \
            if (op == MXI_DIST_SUM)                                                                \
                r = a + b;                                                                         \
            else if (op == MXI_DIST_MAX)                                                           \
                r = (isnan(a) || a >= b) ? a : b;                                                  \
            else                                                                                   \
                r = (isnan(a) || a <= b) ? a : b;                                                  \
            d[i] = FROM_F(r);                                                                      \
        }                                                                                          \
    } while (0)

static void reduce_complex(float *d, const float *s, size_t count, mxi_dist_reduce op) {
    for (size_t i = 0; i < count; i++) {
        float ar = d[2 * i], ai = d[2 * i + 1], br = s[2 * i], bi = s[2 * i + 1];
        if (op == MXI_DIST_SUM) {
            d[2 * i] = ar + br;
            d[2 * i + 1] = ai + bi;
            continue;
        }
        bool b_greater = br > ar || (br == ar && bi > ai);
        bool take_b = op == MXI_DIST_MAX ? b_greater : (!b_greater && (br != ar || bi != ai));
        if (take_b) {
            d[2 * i] = br;
            d[2 * i + 1] = bi;
        }
    }
}

void mxi_dist_reduce_into(void *dst, const void *src, size_t count, mx_dtype dtype,
                          mxi_dist_reduce op) {
    switch (dtype) {
    case MX_BOOL:
        switch (op) {
        case MXI_DIST_SUM:
        case MXI_DIST_MAX:
            LOOP(uint8_t, (uint8_t)(a | b));
            break;
        case MXI_DIST_MIN:
            LOOP(uint8_t, (uint8_t)(a & b));
            break;
        }
        break;
    case MX_UINT8:
        INT_CASE(uint8_t, uint8_t);
        break;
    case MX_UINT16:
        INT_CASE(uint16_t, uint16_t);
        break;
    case MX_UINT32:
        INT_CASE(uint32_t, uint32_t);
        break;
    case MX_UINT64:
        INT_CASE(uint64_t, uint64_t);
        break;
    case MX_INT8:
        INT_CASE(int8_t, uint8_t);
        break;
    case MX_INT16:
        INT_CASE(int16_t, uint16_t);
        break;
    case MX_INT32:
        INT_CASE(int32_t, uint32_t);
        break;
    case MX_INT64:
        INT_CASE(int64_t, uint64_t);
        break;
    case MX_FLOAT32:
        FLOAT_CASE(float);
        break;
    case MX_FLOAT64:
        FLOAT_CASE(double);
        break;
    case MX_FLOAT16:
        HALF_CASE(mxi_f16_to_f32, mxi_f32_to_f16);
        break;
    case MX_BFLOAT16:
        HALF_CASE(mxi_bf16_to_f32, mxi_f32_to_bf16);
        break;
    case MX_COMPLEX64:
        reduce_complex(dst, src, count, op);
        break;
    default:
        break;
    }
}
