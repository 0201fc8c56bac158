/*
 * Elementwise binary kernels on the CPU: arithmetic, floor division,
 * remainder, divmod, power, maximum/minimum, logaddexp, arctan2, bitwise
 * ops and shifts, logical and/or, comparisons, and isclose.
 *
 * Ops hand the kernel operands already broadcast (stride-0 views) and cast
 * to one dtype, so one loop per (op, dtype) suffices; the output has that
 * dtype, or bool for comparisons. Collapsing the operands' layout turns the
 * common cases into one flat run: both contiguous, or one a scalar and the
 * other contiguous; everything else walks runs along the last collapsed
 * axis. Outputs bigger than the last-level cache use loops with streaming
 * stores where the level has them.
 */
#include "binary.h"

#include <complex.h>
#include <math.h>

#include "strided.h"

#include "core/array_impl.h"
#include "core/error.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "cpu/simd.h"
#include "primitives/params_binary.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "binary_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const binary_tables[MXI_SIMD_LEVELS] = MXI_SIMD_TABLES(binary);

typedef struct binary_job {
    mxi_strided it;                   /* operands: 0 = a, 1 = b */
    mxi_binary_loop const *loops;     /* the MXI_BIN_SHAPES loops of (op, dtype) */
    mxi_binary_loop const *streaming; /* the same with streaming stores, or NULLs */
    mxi_binary_loop2 const *loops2;   /* divmod's loops (then out2 is set) */
    int64_t in_size;                  /* bytes per operand element */
    int64_t out_size;                 /* bytes per output element */
    bool stream;                      /* write the output with streaming stores */
    char *out;
    char *out2;
    const char *a;
    const char *b;
} binary_job;

static int binary_shape(int64_t sa, int64_t sb) {
    if (sa == 1 && sb == 1) return MXI_BIN_VV;
    if (sa == 0 && sb == 1) return MXI_BIN_SV;
    if (sa == 1 && sb == 0) return MXI_BIN_VS;
    return MXI_BIN_SS;
}

static void binary_range(void *ctx, int64_t begin, int64_t end) {
    const binary_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t sa = it->strides[0][last], sb = it->strides[1][last];
    int shape = binary_shape(sa, sb);
    int64_t isz = j->in_size, osz = j->out_size;

    mxi_strided_pos p;
    mxi_strided_seek(it, &p, begin);
    if (j->loops2) {
        mxi_binary_loop2 loop = j->loops2[shape];
        for (int64_t i = begin; i < end;) {
            int64_t run = mxi_strided_row_left(it, &p);
            if (run > end - i) run = end - i;
            loop(j->a + p.off[0] * isz, sa, j->b + p.off[1] * isz, sb, j->out + i * osz,
                 j->out2 + i * osz, run);
            i += run;
            mxi_strided_advance(it, &p, run);
        }
        return;
    }
    mxi_binary_loop loop = j->loops[shape];
    bool stream = j->stream && j->streaming[shape];
    if (stream) loop = j->streaming[shape];
    for (int64_t i = begin; i < end;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > end - i) run = end - i;
        loop(j->a + p.off[0] * isz, sa, j->b + p.off[1] * isz, sb, j->out + i * osz, run);
        i += run;
        mxi_strided_advance(it, &p, run);
    }
    /* Streaming stores are weakly ordered: make them visible before the
     * pool reports this range done. */
    if (stream) mxi_stream_fence();
}

/* What a primitive kind computes: its loop row (-1: not a binary kernel
 * kind) and its name in messages. */
typedef struct binary_kind {
    int op;
    const char *name;
} binary_kind;

static binary_kind binary_kind_of(mxi_prim_kind kind) {
    switch (kind) {
    case MXI_PRIM_ADD:
        return (binary_kind){MXI_BIN_ADD, "add"};
    case MXI_PRIM_SUBTRACT:
        return (binary_kind){MXI_BIN_SUB, "subtract"};
    case MXI_PRIM_MULTIPLY:
        return (binary_kind){MXI_BIN_MUL, "multiply"};
    case MXI_PRIM_DIVIDE:
        return (binary_kind){MXI_BIN_DIV, "divide"};
    case MXI_PRIM_FLOOR_DIVIDE:
        return (binary_kind){MXI_BIN_FLOORDIV, "floor_divide"};
    case MXI_PRIM_REMAINDER:
        return (binary_kind){MXI_BIN_REM, "remainder"};
    case MXI_PRIM_POWER:
        return (binary_kind){MXI_BIN_POW, "power"};
    case MXI_PRIM_MAXIMUM:
        return (binary_kind){MXI_BIN_MAX, "maximum"};
    case MXI_PRIM_MINIMUM:
        return (binary_kind){MXI_BIN_MIN, "minimum"};
    case MXI_PRIM_LOG_ADD_EXP:
        return (binary_kind){MXI_BIN_LOGADDEXP, "logaddexp"};
    case MXI_PRIM_ARCTAN2:
        return (binary_kind){MXI_BIN_ARCTAN2, "arctan2"};
    case MXI_PRIM_BITWISE_AND:
        return (binary_kind){MXI_BIN_BITAND, "bitwise_and"};
    case MXI_PRIM_BITWISE_OR:
        return (binary_kind){MXI_BIN_BITOR, "bitwise_or"};
    case MXI_PRIM_BITWISE_XOR:
        return (binary_kind){MXI_BIN_BITXOR, "bitwise_xor"};
    case MXI_PRIM_LEFT_SHIFT:
        return (binary_kind){MXI_BIN_SHL, "left_shift"};
    case MXI_PRIM_RIGHT_SHIFT:
        return (binary_kind){MXI_BIN_SHR, "right_shift"};
    case MXI_PRIM_LOGICAL_AND:
        return (binary_kind){MXI_BIN_LAND, "logical_and"};
    case MXI_PRIM_LOGICAL_OR:
        return (binary_kind){MXI_BIN_LOR, "logical_or"};
    case MXI_PRIM_EQUAL:
        return (binary_kind){MXI_BIN_EQ, "equal"};
    case MXI_PRIM_NAN_EQUAL:
        return (binary_kind){MXI_BIN_NANEQ, "equal"};
    case MXI_PRIM_NOT_EQUAL:
        return (binary_kind){MXI_BIN_NE, "not_equal"};
    case MXI_PRIM_LESS:
        return (binary_kind){MXI_BIN_LT, "less"};
    case MXI_PRIM_LESS_EQUAL:
        return (binary_kind){MXI_BIN_LE, "less_equal"};
    case MXI_PRIM_GREATER:
        return (binary_kind){MXI_BIN_GT, "greater"};
    case MXI_PRIM_GREATER_EQUAL:
        return (binary_kind){MXI_BIN_GE, "greater_equal"};
    default:
        return (binary_kind){-1, "binary"};
    }
}

/* One run of a binary job in a tiled walk. */
static void binary_tile_run(void *ctx, const char *const *ptr, const int64_t *stride,
                            int64_t out_pos, int64_t n) {
    const binary_job *j = ctx;
    int64_t sa = stride[0], sb = stride[1];
    int shape = binary_shape(sa, sb);
    int64_t osz = j->out_size;
    if (j->stream && j->streaming[shape]) {
        j->streaming[shape](ptr[0], sa, ptr[1], sb, j->out + out_pos * osz, n);
        return;
    }
    if (j->loops2)
        j->loops2[shape](ptr[0], sa, ptr[1], sb, j->out + out_pos * osz, j->out2 + out_pos * osz,
                         n);
    else
        j->loops[shape](ptr[0], sa, ptr[1], sb, j->out + out_pos * osz, n);
}

static void binary_run(binary_job *j) {
    mxi_tiled t;
    const void *base[2] = {j->a, j->b};
    int64_t isz[2] = {j->in_size, j->in_size};
    if (mxi_tiled_plan(&t, &j->it, base, isz, binary_tile_run, j)) {
        mxi_tiled_walk(&t);
        return;
    }
    if (j->it.size >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(j->it.size, MXI_ELEMWISE_GRAIN, binary_range, j);
    else
        binary_range(j, 0, j->it.size);
}

mxi_binary_vv_loop mxi_binary_loop_of(mxi_prim_kind kind, mx_dtype dtype) {
    binary_kind k = binary_kind_of(kind);
    if (k.op < 0 || dtype < 0 || dtype >= MX_NUM_DTYPES) return NULL;
    const mxi_binary_table *t = mxi_simd_pick(binary_tables);
    return t->loops[k.op][dtype][MXI_BIN_VV];
}

int mxi_binary_strided(mxi_prim_kind op, mx_dtype dtype, void *out, const void *a,
                       const int64_t *a_strides, const void *b, const int64_t *b_strides,
                       const int32_t *shape, int ndim) {
    binary_kind k = binary_kind_of(op);
    if (k.op < 0) return mxi_error(MX_ERR_RUNTIME, "[binary] not a binary elementwise primitive");
    if (dtype < 0 || dtype >= MX_NUM_DTYPES)
        return mxi_error(MX_ERR_TYPE, "[%s] invalid dtype %d", k.name, (int)dtype);
    const mxi_binary_table *t = mxi_simd_pick(binary_tables);
    if (!t->loops[k.op][dtype][0])
        return mxi_error(MX_ERR_TYPE, "[%s] no kernel for dtype %s", k.name, mx_dtype_name(dtype));

    binary_job j;
    const int64_t *strides[2] = {a_strides, b_strides};
    int rc = mxi_strided_init(&j.it, shape, ndim, strides, 2, k.name);
    if (rc != MX_OK) return rc;
    if (j.it.size == 0) return MX_OK;

    j.loops = t->loops[k.op][dtype];
    j.streaming = t->streaming[k.op][dtype];
    j.loops2 = NULL;
    j.in_size = mx_dtype_size(dtype);
    j.out_size = k.op >= MXI_BIN_FIRST_BOOL_OUT ? 1 : j.in_size;
    j.stream = j.it.size * j.out_size >= mxi_stream_threshold();
    j.out = out;
    j.out2 = NULL;
    j.a = a;
    j.b = b;
    binary_run(&j);
    return MX_OK;
}

int mxi_divmod_strided(mx_dtype dtype, void *q, void *r, const void *a, const int64_t *a_strides,
                       const void *b, const int64_t *b_strides, const int32_t *shape, int ndim) {
    if (dtype < 0 || dtype >= MX_NUM_DTYPES)
        return mxi_error(MX_ERR_TYPE, "[divmod] invalid dtype %d", (int)dtype);
    const mxi_binary_table *t = mxi_simd_pick(binary_tables);
    if (!t->divmod[dtype][0])
        return mxi_error(MX_ERR_TYPE, "[divmod] no kernel for dtype %s", mx_dtype_name(dtype));
    binary_job j;
    const int64_t *strides[2] = {a_strides, b_strides};
    int rc = mxi_strided_init(&j.it, shape, ndim, strides, 2, "divmod");
    if (rc != MX_OK) return rc;
    if (j.it.size == 0) return MX_OK;
    j.loops = NULL;
    j.streaming = NULL;
    j.loops2 = t->divmod[dtype];
    j.in_size = j.out_size = mx_dtype_size(dtype);
    j.stream = false;
    j.out = q;
    j.out2 = r;
    j.a = a;
    j.b = b;
    binary_run(&j);
    return MX_OK;
}

int mxi_cpu_binary(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    mx_array *a = inputs[0], *b = inputs[1], *out = outputs[0];
    /* Read the inputs' layout before a donation hands a buffer to out. */
    const void *pa = a->size ? mxi_data(a) : NULL;
    const void *pb = b->size ? mxi_data(b) : NULL;
    int rc = mxi_alloc_or_donate(out, inputs, 2);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    return mxi_binary_strided(node->kind, a->dtype, mxi_data(out), pa, a->strides, pb, b->strides,
                              out->shape, out->ndim);
}

int mxi_cpu_divmod(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mx_array *a = inputs[0], *b = inputs[1];
    const void *pa = a->size ? mxi_data(a) : NULL;
    const void *pb = b->size ? mxi_data(b) : NULL;
    /* The two outputs may take both inputs' buffers; the second donation
     * sees the first input already given away (it is no longer the node's
     * alone), so each buffer goes to one output at most. */
    int rc = mxi_alloc_or_donate(outputs[0], inputs, 2);
    if (rc == MX_OK) rc = mxi_alloc_or_donate(outputs[1], inputs, 2);
    if (rc != MX_OK) return rc;
    if (outputs[0]->size == 0) return MX_OK;
    return mxi_divmod_strided(a->dtype, mxi_data(outputs[0]), mxi_data(outputs[1]), pa, a->strides,
                              pb, b->strides, outputs[0]->shape, outputs[0]->ndim);
}

/* ---- isclose ----
 *
 * MLX composes isclose from ops (|a - b| <= atol + rtol * |b|, then fixes
 * for infinities and NaN); this kernel computes the same per element in one
 * pass. The rounding of each of those ops is kept: a - b and |a - b| in the
 * promoted dtype P (integers wrap), |b| in b's own dtype (so |INT8_MIN|
 * stays -128), rtol and atol as float32 (MLX makes them float32 arrays),
 * the right side in float32, or float64 when b is float64, and the
 * comparison in the promotion of both sides. Infinities and NaN count only
 * for inexact inputs; complex infinity means (+-inf, 0), as MLX's
 * equal(a, inf) tests it. */

typedef struct isc_ctx {
    float rtol, atol;
    bool equal_nan;
    bool a_inexact, b_inexact;
    bool rhs_f64;   /* |b| is float64, so the right side is computed in float64 */
    int b_int_bits; /* b was a signed integer of this many bits (0 otherwise) */
} isc_ctx;

/* The right side from |b| as float32 and float64 values of the same number
 * (float64 only used when rhs_f64). */
static inline float isc_rhs_f32(const isc_ctx *c, float absb) {
    return c->atol + c->rtol * absb;
}
static inline double isc_rhs_f64(const isc_ctx *c, double absb) {
    return (double)c->atol + (double)c->rtol * absb;
}

/* |b| in b's own dtype, for a signed-integer b whose value v is held by a
 * wider type: the minimum of b's width stays negative. */
static inline int64_t isc_int_abs(int64_t v, int bits) {
    if (bits && bits < 64 && v == -((int64_t)1 << (bits - 1))) return v;
    if (bits == 64 && v == INT64_MIN) return v;
    return v < 0 ? -v : v;
}

static inline bool isc_finish(const isc_ctx *c, bool close, bool a_pinf, bool a_ninf, bool b_pinf,
                              bool b_ninf, bool a_nan, bool b_nan) {
    bool any_inf = a_pinf || a_ninf || b_pinf || b_ninf;
    bool both_inf = (a_pinf && b_pinf) || (a_ninf && b_ninf);
    bool out = (close && !any_inf) || both_inf;
    if (c->equal_nan && a_nan && b_nan) out = true;
    return out;
}

typedef void (*isc_loop)(const void *a, int64_t sa, const void *b, int64_t sb, uint8_t *o,
                         int64_t n, const isc_ctx *c);

/* The templates test signs with `x < 0`, constant for unsigned instances. */
#pragma GCC diagnostic ignored "-Wtype-limits"

/* Integers and bool: no infinities or NaN; |a - b| wraps in P; the
 * comparison is in float32 (P promoted with the float32 right side). */
#define ISC_INT(SUF, T, UT, SIGNED)                                                                \
    static void isc_##SUF(const void *av, int64_t sa, const void *bv, int64_t sb, uint8_t *o,      \
                          int64_t n, const isc_ctx *c) {                                           \
        const T *a = av, *b = bv;                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T x = a[i * sa], y = b[i * sb];                                                        \
            T d = (T)((UT)x - (UT)y);                                                              \
            if (SIGNED && d < 0) d = (T)((UT)0 - (UT)d);                                           \
            float absb;                                                                            \
            if (SIGNED)                                                                            \
                absb = (float)isc_int_abs((int64_t)y, c->b_int_bits);                              \
            else                                                                                   \
                absb = (float)y;                                                                   \
            o[i] = (float)d <= isc_rhs_f32(c, absb);                                               \
        }                                                                                          \
    }

ISC_INT(u8, uint8_t, uint32_t, 0)
ISC_INT(u16, uint16_t, uint32_t, 0)
ISC_INT(u32, uint32_t, uint32_t, 0)
ISC_INT(u64, uint64_t, uint64_t, 0)
ISC_INT(i8, int8_t, uint32_t, 1)
ISC_INT(i16, int16_t, uint32_t, 1)
ISC_INT(i32, int32_t, uint32_t, 1)
ISC_INT(i64, int64_t, uint64_t, 1)

static void isc_b(const void *av, int64_t sa, const void *bv, int64_t sb, uint8_t *o, int64_t n,
                  const isc_ctx *c) {
    const uint8_t *a = av, *b = bv;
    for (int64_t i = 0; i < n; i++) {
        bool x = a[i * sa] != 0, y = b[i * sb] != 0;
        o[i] = (float)(x != y) <= isc_rhs_f32(c, (float)y);
    }
}

/* |b| of a real value held in P as float64 (exact for every real dtype b
 * can have here), with the integer-minimum rule. */
static inline double isc_real_abs(const isc_ctx *c, double y) {
    if (c->b_int_bits && y == -ldexp(1.0, c->b_int_bits - 1)) return y;
    return fabs(y);
}

/* float16, bfloat16, float32: a - b rounded to P, compared in float32
 * (the right side is float32 here: b cannot be float64). */
#define ISC_F32LIKE(SUF, T, TO32, ROUND)                                                           \
    static void isc_##SUF(const void *av, int64_t sa, const void *bv, int64_t sb, uint8_t *o,      \
                          int64_t n, const isc_ctx *c) {                                           \
        const T *a = av, *b = bv;                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                          \
            float x = TO32(a[i * sa]), y = TO32(b[i * sb]);                                        \
            float lhs = fabsf(ROUND(x - y));                                                       \
            float absb = (float)isc_real_abs(c, y);                                                \
            bool close = lhs <= isc_rhs_f32(c, absb);                                              \
            bool an = c->a_inexact && x != x, bn = c->b_inexact && y != y;                         \
            o[i] = isc_finish(c, close, c->a_inexact && x == INFINITY,                             \
                              c->a_inexact && x == -INFINITY, c->b_inexact && y == INFINITY,       \
                              c->b_inexact && y == -INFINITY, an, bn);                             \
        }                                                                                          \
    }

static inline float isc_id_f32(float x) {
    return x;
}
static inline float isc_round_f16(float x) {
    return mxi_f16_to_f32(mxi_f32_to_f16(x));
}
static inline float isc_round_bf16(float x) {
    return mxi_bf16_to_f32(mxi_f32_to_bf16(x));
}

ISC_F32LIKE(f16, uint16_t, mxi_f16_to_f32, isc_round_f16)
ISC_F32LIKE(bf16, uint16_t, mxi_bf16_to_f32, isc_round_bf16)
ISC_F32LIKE(f32, float, isc_id_f32, isc_id_f32)

/* float64: the comparison is in float64; the right side is float64 when b
 * was float64, else float32 widened. */
static void isc_f64(const void *av, int64_t sa, const void *bv, int64_t sb, uint8_t *o, int64_t n,
                    const isc_ctx *c) {
    const double *a = av, *b = bv;
    for (int64_t i = 0; i < n; i++) {
        double x = a[i * sa], y = b[i * sb];
        double lhs = fabs(x - y);
        double absb = isc_real_abs(c, y);
        double rhs = c->rhs_f64 ? isc_rhs_f64(c, absb) : (double)isc_rhs_f32(c, (float)absb);
        bool an = c->a_inexact && x != x, bn = c->b_inexact && y != y;
        o[i] =
            isc_finish(c, lhs <= rhs, c->a_inexact && x == INFINITY, c->a_inexact && x == -INFINITY,
                       c->b_inexact && y == INFINITY, c->b_inexact && y == -INFINITY, an, bn);
    }
}

/* complex64: |a - b| is the float32 magnitude; |b| the magnitude of a
 * complex b, or the real |b| of a real b (held as (b, 0)). */
static void isc_c64(const void *av, int64_t sa, const void *bv, int64_t sb, uint8_t *o, int64_t n,
                    const isc_ctx *c) {
    const float _Complex *a = av, *b = bv;
    for (int64_t i = 0; i < n; i++) {
        float _Complex x = a[i * sa], y = b[i * sb];
        float lhs = cabsf(x - y);
        bool close;
        if (c->rhs_f64) {
            close = (double)lhs <= isc_rhs_f64(c, isc_real_abs(c, crealf(y)));
        } else {
            float absb = c->b_inexact ? cabsf(y) : (float)isc_real_abs(c, crealf(y));
            close = lhs <= isc_rhs_f32(c, absb);
        }
        bool an = c->a_inexact && (crealf(x) != crealf(x) || cimagf(x) != cimagf(x));
        bool bn = c->b_inexact && (crealf(y) != crealf(y) || cimagf(y) != cimagf(y));
        bool ai = c->a_inexact && cimagf(x) == 0, bi = c->b_inexact && cimagf(y) == 0;
        o[i] = isc_finish(c, close, ai && crealf(x) == INFINITY, ai && crealf(x) == -INFINITY,
                          bi && crealf(y) == INFINITY, bi && crealf(y) == -INFINITY, an, bn);
    }
}

static const isc_loop isc_loops[MX_NUM_DTYPES] = {
    [MX_BOOL] = isc_b,        [MX_UINT8] = isc_u8,      [MX_UINT16] = isc_u16,
    [MX_UINT32] = isc_u32,    [MX_UINT64] = isc_u64,    [MX_INT8] = isc_i8,
    [MX_INT16] = isc_i16,     [MX_INT32] = isc_i32,     [MX_INT64] = isc_i64,
    [MX_FLOAT16] = isc_f16,   [MX_FLOAT32] = isc_f32,   [MX_FLOAT64] = isc_f64,
    [MX_BFLOAT16] = isc_bf16, [MX_COMPLEX64] = isc_c64,
};

typedef struct isc_job {
    mxi_strided it;
    isc_loop loop;
    isc_ctx c;
    int64_t in_size;
    uint8_t *out;
    const char *a, *b;
} isc_job;

static void isc_range(void *ctx, int64_t begin, int64_t end) {
    const isc_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t sa = it->strides[0][last], sb = it->strides[1][last];
    mxi_strided_pos p;
    mxi_strided_seek(it, &p, begin);
    for (int64_t i = begin; i < end;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > end - i) run = end - i;
        j->loop(j->a + p.off[0] * j->in_size, sa, j->b + p.off[1] * j->in_size, sb, j->out + i, run,
                &j->c);
        i += run;
        mxi_strided_advance(it, &p, run);
    }
}

static int signed_int_bits(mx_dtype t) {
    switch (t) {
    case MX_INT8:
        return 8;
    case MX_INT16:
        return 16;
    case MX_INT32:
        return 32;
    case MX_INT64:
        return 64;
    default:
        return 0;
    }
}

int mxi_isclose_strided(mx_dtype dtype, mx_dtype a_dtype, mx_dtype b_dtype, double rtol,
                        double atol, bool equal_nan, void *out, const void *a,
                        const int64_t *a_strides, const void *b, const int64_t *b_strides,
                        const int32_t *shape, int ndim) {
    if (dtype < 0 || dtype >= MX_NUM_DTYPES || !mx_dtype_is_valid(a_dtype) ||
        !mx_dtype_is_valid(b_dtype))
        return mxi_error(MX_ERR_TYPE, "[isclose] invalid dtype");
    isc_job j;
    const int64_t *strides[2] = {a_strides, b_strides};
    int rc = mxi_strided_init(&j.it, shape, ndim, strides, 2, "isclose");
    if (rc != MX_OK) return rc;
    if (j.it.size == 0) return MX_OK;
    j.loop = isc_loops[dtype];
    j.c.rtol = (float)rtol;
    j.c.atol = (float)atol;
    j.c.equal_nan = equal_nan;
    j.c.a_inexact = mx_dtype_is_inexact(a_dtype);
    j.c.b_inexact = mx_dtype_is_inexact(b_dtype);
    j.c.rhs_f64 = b_dtype == MX_FLOAT64;
    j.c.b_int_bits = signed_int_bits(b_dtype);
    j.in_size = mx_dtype_size(dtype);
    j.out = out;
    j.a = a;
    j.b = b;
    if (j.it.size >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(j.it.size, MXI_ELEMWISE_GRAIN, isc_range, &j);
    else
        isc_range(&j, 0, j.it.size);
    return MX_OK;
}

int mxi_cpu_isclose(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_isclose_params *p = node->params;
    mx_array *a = inputs[0], *b = inputs[1], *out = outputs[0];
    const void *pa = a->size ? mxi_data(a) : NULL;
    const void *pb = b->size ? mxi_data(b) : NULL;
    int rc = mxi_alloc_or_donate(out, inputs, 2);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    return mxi_isclose_strided(a->dtype, (mx_dtype)p->a_dtype, (mx_dtype)p->b_dtype, p->rtol,
                               p->atol, p->equal_nan != 0, mxi_data(out), pa, a->strides, pb,
                               b->strides, out->shape, out->ndim);
}
