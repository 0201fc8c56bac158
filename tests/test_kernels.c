/*
 * CPU kernel building blocks: strided iteration, binary arithmetic, the
 * converting copy, reductions and matmul, each checked against naive
 * reference code written here, and every vector level checked against the
 * scalar reference on the same data.
 */
#include <complex.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "core/array_impl.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "cpu/copy.h"
#include "cpu/simd.h"
#include "cpu/strided.h"
#include "primitives/params.h"

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Uniform in [lo, hi). */
static double rnd_unif(double lo, double hi) {
    return lo + (hi - lo) * (double)(rnd() >> 11) * 0x1p-53;
}

static const int dsize[MX_NUM_DTYPES] = {1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 2, 8};
static const char *dname[MX_NUM_DTYPES] = {"bool",    "uint8",   "uint16",   "uint32",   "uint64",
                                           "int8",    "int16",   "int32",    "int64",    "float16",
                                           "float32", "float64", "bfloat16", "complex64"};

static bool is_float(mx_dtype t) {
    return t == MX_FLOAT16 || t == MX_FLOAT32 || t == MX_FLOAT64 || t == MX_BFLOAT16;
}
static bool is_signed_int(mx_dtype t) {
    return t == MX_INT8 || t == MX_INT16 || t == MX_INT32 || t == MX_INT64;
}
static bool is_unsigned_int(mx_dtype t) {
    return t == MX_UINT8 || t == MX_UINT16 || t == MX_UINT32 || t == MX_UINT64;
}

/* The highest level with its own kernels that this CPU runs. */
static int top_level(void) {
    int l = (int)mxi_simd_detected();
    return l > MXI_SIMD_AVX512 ? MXI_SIMD_AVX512 : l;
}

static void set_level(int l) {
    CHECK(mxi_simd_set_active((mxi_simd_level)l) == 0);
}

/* A value as the reference code sees it. */
typedef enum { V_INT, V_UINT, V_FLT, V_CPX } vkind;
typedef struct val {
    vkind kind;
    int64_t i;
    uint64_t u;
    double d;  /* V_FLT, and the real part of V_CPX */
    double im; /* V_CPX */
} val;

static val read_val(mx_dtype t, const void *p) {
    val v;
    memset(&v, 0, sizeof v);
    switch (t) {
    case MX_BOOL:
        v.kind = V_INT, v.i = *(const uint8_t *)p != 0;
        break;
    case MX_UINT8:
        v.kind = V_UINT, v.u = *(const uint8_t *)p;
        break;
    case MX_UINT16:
        v.kind = V_UINT, v.u = *(const uint16_t *)p;
        break;
    case MX_UINT32:
        v.kind = V_UINT, v.u = *(const uint32_t *)p;
        break;
    case MX_UINT64:
        v.kind = V_UINT, v.u = *(const uint64_t *)p;
        break;
    case MX_INT8:
        v.kind = V_INT, v.i = *(const int8_t *)p;
        break;
    case MX_INT16:
        v.kind = V_INT, v.i = *(const int16_t *)p;
        break;
    case MX_INT32:
        v.kind = V_INT, v.i = *(const int32_t *)p;
        break;
    case MX_INT64:
        v.kind = V_INT, v.i = *(const int64_t *)p;
        break;
    case MX_FLOAT16:
        v.kind = V_FLT, v.d = mxi_f16_to_f32(*(const uint16_t *)p);
        break;
    case MX_BFLOAT16:
        v.kind = V_FLT, v.d = mxi_bf16_to_f32(*(const uint16_t *)p);
        break;
    case MX_FLOAT32:
        v.kind = V_FLT, v.d = *(const float *)p;
        break;
    case MX_FLOAT64:
        v.kind = V_FLT, v.d = *(const double *)p;
        break;
    default: {
        const float *c = p;
        v.kind = V_CPX, v.d = c[0], v.im = c[1];
        break;
    }
    }
    return v;
}

/* Float to integer as the kernels document it (x86's truncating results). */
static int32_t ref_f2i32(double d) {
    if (d != d || d <= -2147483649.0 || d >= 2147483648.0) return INT32_MIN;
    return (int32_t)d;
}
static int64_t ref_f2i64(double d) {
    if (d != d || d < -0x1p63 || d >= 0x1p63) return INT64_MIN;
    return (int64_t)d;
}

static void write_val(mx_dtype t, void *p, val v) {
    double real = v.d;
    if (t == MX_BOOL) {
        uint8_t b = v.kind == V_INT    ? v.i != 0
                    : v.kind == V_UINT ? v.u != 0
                    : v.kind == V_FLT  ? real != 0
                                       : (real != 0 || v.im != 0);
        *(uint8_t *)p = b;
        return;
    }
    if (t == MX_COMPLEX64 || is_float(t)) {
        double x = v.kind == V_INT ? (double)v.i : v.kind == V_UINT ? (double)v.u : real;
        /* Integers convert to float32 directly (one rounding). */
        float f = v.kind == V_INT ? (float)v.i : v.kind == V_UINT ? (float)v.u : (float)real;
        switch (t) {
        case MX_FLOAT16:
            *(uint16_t *)p = mxi_f32_to_f16(f);
            break;
        case MX_BFLOAT16:
            *(uint16_t *)p = mxi_f32_to_bf16(f);
            break;
        case MX_FLOAT32:
            *(float *)p = f;
            break;
        case MX_FLOAT64:
            *(double *)p = v.kind == V_CPX ? (double)(float)real : x;
            break;
        default: {
            float *c = p;
            c[0] = f;
            c[1] = v.kind == V_CPX ? (float)v.im : 0.0f;
            break;
        }
        }
        return;
    }
    /* integer destinations */
    uint64_t bits;
    if (v.kind == V_INT)
        bits = (uint64_t)v.i;
    else if (v.kind == V_UINT)
        bits = v.u;
    else if (t == MX_INT64)
        bits = (uint64_t)ref_f2i64(real);
    else if (t == MX_UINT32)
        bits = (uint64_t)ref_f2i64(real);
    else if (t == MX_UINT64)
        bits = real >= 0x1p63 && real < 0x1p64 ? (uint64_t)real : (uint64_t)ref_f2i64(real);
    else
        bits = (uint64_t)(int64_t)ref_f2i32(real);
    switch (dsize[t]) {
    case 1:
        *(uint8_t *)p = (uint8_t)bits;
        break;
    case 2:
        *(uint16_t *)p = (uint16_t)bits;
        break;
    case 4:
        *(uint32_t *)p = (uint32_t)bits;
        break;
    default:
        *(uint64_t *)p = bits;
        break;
    }
}

/* Elements equal bit for bit, any NaN matching any NaN in float types. */
static bool same_elem(mx_dtype t, const void *a, const void *b) {
    if (!memcmp(a, b, (size_t)dsize[t])) return true;
    if (is_float(t) || t == MX_COMPLEX64) {
        val x = read_val(t, a), y = read_val(t, b);
        bool re = (x.d != x.d && y.d != y.d) || x.d == y.d;
        bool im = (x.im != x.im && y.im != y.im) || x.im == y.im;
        /* -0 and +0 differ in bits: only NaNs may differ. */
        return re && im && (x.d != x.d || y.d != y.d || x.im != x.im || y.im != y.im);
    }
    return false;
}

static const double special_floats[] = {
    0.0,   -0.0,   1.0,   -1.0,    0.5,          -0.5,          1.5,    -1.7,
    2.7,   255.9,  300.0, 65504.0, 65520.0,      65536.0,       3e9,    -3e9,
    1e10,  -1e10,  1e20,  -1e20,   2147483648.0, -2147483648.0, 0x1p63, 0x1p64,
    1e-40, -1e-45, 1e-8,  3.14159, 1e38,         -1e38,         1e300,  -2147483904.0,
};
#define N_SPECIAL (sizeof special_floats / sizeof special_floats[0])

/* Fills n elements of dtype t with random values, specials mixed in. */
static void fill_random(mx_dtype t, void *p, int64_t n) {
    for (int64_t k = 0; k < n; k++) {
        void *e = (char *)p + k * dsize[t];
        uint64_t r = rnd();
        double f;
        int pick = (int)(rnd() % 8);
        if (pick == 0)
            f = special_floats[rnd() % N_SPECIAL];
        else if (pick == 1)
            f = (rnd() & 1) ? __builtin_nan("") : ((rnd() & 1) ? 1.0 : -1.0) * __builtin_inf();
        else
            f = rnd_unif(-1000, 1000);
        switch (t) {
        case MX_BOOL:
            *(uint8_t *)e = r & 1;
            break;
        case MX_FLOAT16:
            *(uint16_t *)e = pick < 2 ? mxi_f32_to_f16((float)f) : (uint16_t)r;
            break;
        case MX_BFLOAT16:
            *(uint16_t *)e = pick < 2 ? mxi_f32_to_bf16((float)f) : (uint16_t)r;
            break;
        case MX_FLOAT32:
            *(float *)e = (float)f;
            break;
        case MX_FLOAT64:
            *(double *)e = f;
            break;
        case MX_COMPLEX64: {
            float *c = e;
            c[0] = (float)f;
            c[1] = (rnd() & 3) ? (float)rnd_unif(-100, 100) : (float)special_floats[r % N_SPECIAL];
            break;
        }
        default:
            memcpy(e, &r, (size_t)dsize[t]);
            break;
        }
    }
}

/* Fills with modest finite values (arithmetic checks against references). */
static void fill_modest(mx_dtype t, void *p, int64_t n, double lo, double hi) {
    for (int64_t k = 0; k < n; k++) {
        val v;
        memset(&v, 0, sizeof v);
        v.kind = V_FLT;
        v.d = rnd_unif(lo, hi);
        v.im = rnd_unif(lo, hi);
        if (t == MX_COMPLEX64) v.kind = V_CPX;
        if (is_signed_int(t) || is_unsigned_int(t) || t == MX_BOOL) {
            v.kind = V_INT;
            v.i = (int64_t)rnd();
            if (t == MX_BOOL) v.i &= 1;
        }
        write_val(t, (char *)p + k * dsize[t], v);
    }
}

/* Element offset of flat row-major position k over shape with strides. */
static int64_t offset_of(int64_t k, const int32_t *shape, const int64_t *strides, int ndim) {
    int64_t off = 0;
    for (int d = ndim - 1; d >= 0; d--) {
        off += (k % shape[d]) * strides[d];
        k /= shape[d];
    }
    return off;
}

/* A buffer holding a strided view: base points at element 0. The buffer is
 * sized to cover every offset the strides reach. */
typedef struct view {
    unsigned char *mem;
    unsigned char *base;
    int64_t lo, hi; /* element offsets covered */
} view;

static view make_view(mx_dtype t, const int32_t *shape, const int64_t *strides, int ndim) {
    view v;
    v.lo = 0, v.hi = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 0) continue;
        int64_t span = (int64_t)(shape[d] - 1) * strides[d];
        if (span < 0)
            v.lo += span;
        else
            v.hi += span;
    }
    int64_t n = v.hi - v.lo + 1;
    v.mem = malloc((size_t)(n * dsize[t]));
    v.base = v.mem - v.lo * dsize[t];
    fill_random(t, v.mem, n);
    return v;
}

/* ---- strided iteration ---- */

TEST(test_strided_collapse) {
    mxi_strided it;
    /* Row-contiguous collapses to one axis. */
    int32_t s1[3] = {2, 3, 4};
    int64_t r1[3] = {12, 4, 1};
    const int64_t *ops1[1] = {r1};
    CHECK_OK(mxi_strided_init(&it, s1, 3, ops1, 1, "t"));
    CHECK(it.ndim == 1 && it.shape[0] == 24 && it.strides[0][0] == 1 && it.size == 24);
    /* A transposed pair keeps two axes; size-1 axes vanish. */
    int32_t s2[4] = {3, 1, 5, 1};
    int64_t r2[4] = {1, 99, 3, 7};
    const int64_t *ops2[1] = {r2};
    CHECK_OK(mxi_strided_init(&it, s2, 4, ops2, 1, "t"));
    CHECK(it.ndim == 2 && it.shape[0] == 3 && it.shape[1] == 5);
    CHECK(it.strides[0][0] == 1 && it.strides[0][1] == 3);
    /* Broadcast axes merge with each other, not with real ones, when another
     * operand disagrees. */
    int32_t s3[3] = {4, 5, 6};
    int64_t a3[3] = {30, 6, 1}, b3[3] = {0, 0, 1};
    const int64_t *ops3[2] = {a3, b3};
    CHECK_OK(mxi_strided_init(&it, s3, 3, ops3, 2, "t"));
    CHECK(it.ndim == 2 && it.shape[0] == 20 && it.shape[1] == 6);
    CHECK(it.strides[0][0] == 6 && it.strides[1][0] == 0);
    /* 0-d and empty spaces. */
    CHECK_OK(mxi_strided_init(&it, NULL, 0, ops1, 1, "t"));
    CHECK(it.ndim == 1 && it.shape[0] == 1 && it.size == 1);
    int32_t s4[2] = {3, 0};
    CHECK_OK(mxi_strided_init(&it, s4, 2, ops1, 1, "t"));
    CHECK(it.size == 0);
    /* Too many axes that cannot merge is an error, not a crash. */
    int32_t big[70];
    int64_t bst[70];
    for (int i = 0; i < 70; i++) big[i] = 2, bst[i] = (i % 2) ? 1000 - i : 3 + i;
    const int64_t *ops4[1] = {bst};
    CHECK_ERR(mxi_strided_init(&it, big, 70, ops4, 1, "t"), MX_ERR_VALUE);
}

TEST(test_strided_walk) {
    /* Walking any range with seek/advance visits the same offsets as direct
     * index arithmetic, for a layout with negative and zero strides. */
    int32_t shape[4] = {3, 4, 1, 5};
    int64_t sa[4] = {-20, 5, 7, 1}, sb[4] = {0, 1, 3, -4};
    const int64_t *ops[2] = {sa, sb};
    mxi_strided it;
    CHECK_OK(mxi_strided_init(&it, shape, 4, ops, 2, "t"));
    int64_t n = it.size;
    CHECK(n == 60);
    for (int64_t begin = 0; begin < n; begin += 7) {
        mxi_strided_pos p;
        mxi_strided_seek(&it, &p, begin);
        int64_t k = begin;
        while (k < n) {
            int64_t run = mxi_strided_row_left(&it, &p);
            for (int64_t r = 0; r < run; r++) {
                int64_t ea = offset_of(k + r, shape, sa, 4), eb = offset_of(k + r, shape, sb, 4);
                CHECK(p.off[0] + r * it.strides[0][it.ndim - 1] == ea);
                CHECK(p.off[1] + r * it.strides[1][it.ndim - 1] == eb);
            }
            k += run;
            mxi_strided_advance(&it, &p, run);
        }
    }
}

/* ---- binary arithmetic ---- */

static const mxi_prim_kind bin_ops[4] = {MXI_PRIM_ADD, MXI_PRIM_SUBTRACT, MXI_PRIM_MULTIPLY,
                                         MXI_PRIM_DIVIDE};

static void ref_binary(int op, mx_dtype t, const void *pa, const void *pb, void *out) {
    if (t == MX_BOOL) {
        int a = *(const uint8_t *)pa != 0, b = *(const uint8_t *)pb != 0;
        *(uint8_t *)out = (uint8_t)(op == 0 ? (a | b) : op == 1 ? (a ^ b) : (a & b));
        return;
    }
    if (is_signed_int(t) || is_unsigned_int(t)) {
        val a = read_val(t, pa), b = read_val(t, pb), r;
        memset(&r, 0, sizeof r);
        r.kind = V_UINT;
        uint64_t ua = a.kind == V_INT ? (uint64_t)a.i : a.u;
        uint64_t ub = b.kind == V_INT ? (uint64_t)b.i : b.u;
        if (op == 0) r.u = ua + ub;
        if (op == 1) r.u = ua - ub;
        if (op == 2) r.u = ua * ub;
        if (op == 3) {
            if (ub == 0)
                r.u = 0;
            else if (is_signed_int(t) && b.i == -1)
                r.u = 0 - ua;
            else if (is_signed_int(t))
                r.u = (uint64_t)(a.i / b.i);
            else
                r.u = ua / ub;
        }
        write_val(t, out, r);
        return;
    }
    if (t == MX_COMPLEX64) {
        float _Complex a, b, r;
        memcpy(&a, pa, 8);
        memcpy(&b, pb, 8);
        r = op == 0 ? a + b : op == 1 ? a - b : op == 2 ? a * b : a / b;
        memcpy(out, &r, 8);
        return;
    }
    double a = read_val(t, pa).d, b = read_val(t, pb).d;
    double r = op == 0 ? a + b : op == 1 ? a - b : op == 2 ? a * b : a / b;
    if (t == MX_FLOAT64) {
        *(double *)out = r;
        return;
    }
    /* Exact in double, so one rounding to float32 is the float32 result;
     * 16-bit types then round that once more, as the kernels do. */
    float f = (float)r;
    if (t == MX_FLOAT32) *(float *)out = f;
    if (t == MX_FLOAT16) *(uint16_t *)out = mxi_f32_to_f16(f);
    if (t == MX_BFLOAT16) *(uint16_t *)out = mxi_f32_to_bf16(f);
}

/* Runs op over a layout at every level and checks each element against the
 * reference. */
static void check_binary_layout(int op, mx_dtype t, const int32_t *shape, const int64_t *sa,
                                const int64_t *sb, int ndim) {
    view a = make_view(t, shape, sa, ndim), b = make_view(t, shape, sb, ndim);
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    unsigned char *out = malloc((size_t)(n * dsize[t]) + 1);
    unsigned char *want = malloc((size_t)(n * dsize[t]) + 1);
    for (int64_t k = 0; k < n; k++)
        ref_binary(op, t, a.base + offset_of(k, shape, sa, ndim) * dsize[t],
                   b.base + offset_of(k, shape, sb, ndim) * dsize[t], want + k * dsize[t]);
    for (int l = 0; l <= top_level(); l++) {
        set_level(l);
        memset(out, 0xA5, (size_t)(n * dsize[t]));
        CHECK_OK(mxi_binary_strided(bin_ops[op], t, out, a.base, sa, b.base, sb, shape, ndim));
        int bad = 0;
        for (int64_t k = 0; k < n && bad < 3; k++) {
            if (!same_elem(t, out + k * dsize[t], want + k * dsize[t])) {
                fprintf(stderr, "  binary op %d %s level %d n=%lld elem %lld differs\n", op,
                        dname[t], l, (long long)n, (long long)k);
                bad++;
            }
        }
        CHECK(bad == 0);
    }
    set_level(top_level());
    free(a.mem);
    free(b.mem);
    free(out);
    free(want);
}

TEST(test_binary_flat_runs) {
    /* Contiguous, scalar-vector, vector-scalar and strided runs, with odd
     * lengths so every vector loop's tail runs. */
    static const int32_t lens[] = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 129, 1000};
    for (int op = 0; op < 4; op++)
        for (int t = 0; t < MX_NUM_DTYPES; t++)
            for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
                int32_t n = lens[li];
                int64_t one = 1, zero = 0, two = 2, neg = -1;
                check_binary_layout(op, (mx_dtype)t, &n, &one, &one, 1);
                if (li % 3 == 0 || n > 60) {
                    check_binary_layout(op, (mx_dtype)t, &n, &zero, &one, 1);
                    check_binary_layout(op, (mx_dtype)t, &n, &one, &zero, 1);
                    check_binary_layout(op, (mx_dtype)t, &n, &two, &neg, 1);
                }
            }
}

TEST(test_binary_nd_layouts) {
    /* Transposed, broadcast along different axes, negative steps, 0-d. */
    int32_t shape[3] = {5, 6, 7};
    int64_t row[3] = {42, 7, 1}, trans[3] = {1, 5, 30}, bmid[3] = {7, 0, 1};
    int64_t bcol[3] = {6, 1, 0}, negs[3] = {-42, 7, -1}, scalar[3] = {0, 0, 0};
    for (int op = 0; op < 4; op++)
        for (int t = 0; t < MX_NUM_DTYPES; t++) {
            check_binary_layout(op, (mx_dtype)t, shape, trans, trans, 3);
            check_binary_layout(op, (mx_dtype)t, shape, row, bmid, 3);
            check_binary_layout(op, (mx_dtype)t, shape, bcol, negs, 3);
            check_binary_layout(op, (mx_dtype)t, shape, scalar, trans, 3);
            check_binary_layout(op, (mx_dtype)t, NULL, NULL, NULL, 0);
        }
}

TEST(test_binary_semantics) {
    int64_t one = 1;
    int32_t n4 = 4, n1 = 1;
    /* bool computes in bool: + or, - differ, * and. */
    uint8_t ba[4] = {1, 0, 1, 0}, bb[4] = {1, 1, 0, 0}, bo[4];
    mxi_binary_strided(MXI_PRIM_ADD, MX_BOOL, bo, ba, &one, bb, &one, &n4, 1);
    CHECK(bo[0] == 1 && bo[1] == 1 && bo[2] == 1 && bo[3] == 0);
    mxi_binary_strided(MXI_PRIM_SUBTRACT, MX_BOOL, bo, ba, &one, bb, &one, &n4, 1);
    CHECK(bo[0] == 0 && bo[1] == 1 && bo[2] == 1 && bo[3] == 0);
    mxi_binary_strided(MXI_PRIM_MULTIPLY, MX_BOOL, bo, ba, &one, bb, &one, &n4, 1);
    CHECK(bo[0] == 1 && bo[1] == 0 && bo[2] == 0 && bo[3] == 0);
    /* Integers wrap. */
    int8_t ia[4] = {127, -128, 100, -7}, ib[4] = {1, -1, 3, 2}, io[4];
    mxi_binary_strided(MXI_PRIM_ADD, MX_INT8, io, ia, &one, ib, &one, &n4, 1);
    CHECK(io[0] == -128 && io[1] == 127 && io[2] == 103 && io[3] == -5);
    mxi_binary_strided(MXI_PRIM_MULTIPLY, MX_INT8, io, ia, &one, ib, &one, &n4, 1);
    CHECK(io[0] == 127 && io[1] == -128 && io[2] == 44 && io[3] == -14);
    uint16_t ua[1] = {65535}, ub[1] = {65535}, uo[1];
    mxi_binary_strided(MXI_PRIM_MULTIPLY, MX_UINT16, uo, ua, &one, ub, &one, &n1, 1);
    CHECK(uo[0] == 1);
    int32_t da[4] = {INT32_MIN, 7, -7, 5}, db[4] = {-1, 2, 2, 0}, dout[4];
    mxi_binary_strided(MXI_PRIM_DIVIDE, MX_INT32, dout, da, &one, db, &one, &n4, 1);
    CHECK(dout[0] == INT32_MIN && dout[1] == 3 && dout[2] == -3 && dout[3] == 0);
    /* float16 rounds once, to nearest even. */
    uint16_t ha[2] = {0x3c00, 0x3c00}, hb[2] = {0x0e00, 0x1000}, ho[2];
    int32_t n2 = 2;
    mxi_binary_strided(MXI_PRIM_ADD, MX_FLOAT16, ho, ha, &one, hb, &one, &n2, 1);
    /* 1 + 2^-11 * 0.75 rounds down to 1; 1 + 2^-11 * 1 (a tie) to even 1. */
    CHECK(ho[0] == 0x3c00 && ho[1] == 0x3c00);
    /* complex division as std::complex / NumPy. */
    float ca[6] = {1, 0, 3, -4, 1e30f, 1e30f}, cb[6] = {0, 0, 0, 0, 1e30f, 1e30f}, co[6];
    int32_t n3 = 3;
    mxi_binary_strided(MXI_PRIM_DIVIDE, MX_COMPLEX64, co, ca, &one, cb, &one, &n3, 1);
    CHECK(isinf(co[0]) && co[0] > 0 && isnan(co[1]));
    CHECK(isinf(co[2]) && co[2] > 0 && isinf(co[3]) && co[3] < 0);
    CHECK(co[4] == 1.0f && co[5] == 0.0f);
    float cm[4] = {1, 2, 3, 4}, cmo[4];
    int32_t nc = 2;
    int64_t zero = 0;
    /* (1+2i)(1+2i) = -3+4i, (3+4i)(1+2i) = -5+10i */
    mxi_binary_strided(MXI_PRIM_MULTIPLY, MX_COMPLEX64, cmo, cm, &one, cm, &zero, &nc, 1);
    CHECK(cmo[0] == -3 && cmo[1] == 4 && cmo[2] == -5 && cmo[3] == 10);
}

TEST(test_binary_inplace_and_threads) {
    /* Big enough for the pool; the output is the first input's memory, as
     * when a buffer is donated; results do not depend on the thread count. */
    int32_t n = 300001;
    float *a = malloc(sizeof(float) * (size_t)n), *b = malloc(sizeof(float) * (size_t)n);
    float *keep = malloc(sizeof(float) * (size_t)n), *c1 = malloc(sizeof(float) * (size_t)n);
    fill_modest(MX_FLOAT32, a, n, -10, 10);
    fill_modest(MX_FLOAT32, b, n, -10, 10);
    memcpy(keep, a, sizeof(float) * (size_t)n);
    int64_t one = 1, zero = 0;
    int saved = mxi_num_threads();
    mxi_set_num_threads(1);
    CHECK_OK(mxi_binary_strided(MXI_PRIM_MULTIPLY, MX_FLOAT32, c1, a, &one, b, &one, &n, 1));
    mxi_set_num_threads(saved > 1 ? saved : 2);
    CHECK_OK(mxi_binary_strided(MXI_PRIM_MULTIPLY, MX_FLOAT32, a, a, &one, b, &one, &n, 1));
    int bad = 0;
    for (int32_t i = 0; i < n; i++) bad += a[i] != keep[i] * b[i] || c1[i] != a[i];
    CHECK(bad == 0);
    /* b = scalar - b, in place in the second operand. */
    float s = 0.25f;
    memcpy(keep, b, sizeof(float) * (size_t)n);
    CHECK_OK(mxi_binary_strided(MXI_PRIM_SUBTRACT, MX_FLOAT32, b, &s, &zero, b, &one, &n, 1));
    bad = 0;
    for (int32_t i = 0; i < n; i++) bad += b[i] != s - keep[i];
    CHECK(bad == 0);
    mxi_set_num_threads(saved);
    free(a);
    free(b);
    free(keep);
    free(c1);
}

/* ---- converting copy ---- */

static void ref_convert(mx_dtype dt, void *dst, mx_dtype st, const void *src) {
    if (dt == st) {
        memcpy(dst, src, (size_t)dsize[dt]);
        return;
    }
    write_val(dt, dst, read_val(st, src));
}

static void check_copy_layout(mx_dtype dt, mx_dtype st, const int32_t *shape,
                              const int64_t *strides, int ndim) {
    view s = make_view(st, shape, strides, ndim);
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    unsigned char *out = malloc((size_t)(n * dsize[dt]) + 1);
    unsigned char *want = malloc((size_t)(n * dsize[dt]) + 1);
    for (int64_t k = 0; k < n; k++)
        ref_convert(dt, want + k * dsize[dt], st,
                    s.base + offset_of(k, shape, strides, ndim) * dsize[st]);
    for (int l = 0; l <= top_level(); l++) {
        set_level(l);
        memset(out, 0x5A, (size_t)(n * dsize[dt]));
        CHECK_OK(mxi_copy_to_contiguous(out, dt, s.base, st, shape, strides, ndim));
        int bad = 0;
        for (int64_t k = 0; k < n && bad < 3; k++) {
            if (!same_elem(dt, out + k * dsize[dt], want + k * dsize[dt])) {
                val g = read_val(st, s.base + offset_of(k, shape, strides, ndim) * dsize[st]);
                fprintf(stderr, "  copy %s -> %s level %d elem %lld (src %g %g) differs\n",
                        dname[st], dname[dt], l, (long long)k,
                        g.kind == V_INT    ? (double)g.i
                        : g.kind == V_UINT ? (double)g.u
                                           : g.d,
                        g.im);
                bad++;
            }
        }
        CHECK(bad == 0);
    }
    set_level(top_level());
    free(s.mem);
    free(out);
    free(want);
}

TEST(test_copy_all_pairs) {
    /* Every source/destination pair on contiguous, strided, transposed (the
     * tiled path), broadcast and reversed layouts. */
    int32_t n1 = 203, sh2[2] = {37, 41}, sh3[3] = {3, 9, 11}, shb[2] = {6, 50};
    int64_t one = 1, two = 3, neg = -1, zero = 0;
    int64_t tr2[2] = {1, 37}, st3[3] = {-99, 11, 1}, stb[2] = {0, 1}, stc[2] = {1, 0};
    int32_t sh4[3] = {2, 20, 30};
    int64_t st4[3] = {700, -1, 25}; /* batched transpose with a reversed near axis */
    for (int dt = 0; dt < MX_NUM_DTYPES; dt++)
        for (int st = 0; st < MX_NUM_DTYPES; st++) {
            check_copy_layout((mx_dtype)dt, (mx_dtype)st, &n1, &one, 1);
            check_copy_layout((mx_dtype)dt, (mx_dtype)st, &n1, &two, 1);
            check_copy_layout((mx_dtype)dt, (mx_dtype)st, &n1, &neg, 1);
            check_copy_layout((mx_dtype)dt, (mx_dtype)st, &n1, &zero, 1);
            check_copy_layout((mx_dtype)dt, (mx_dtype)st, sh2, tr2, 2);
            check_copy_layout((mx_dtype)dt, (mx_dtype)st, sh3, st3, 3);
            check_copy_layout((mx_dtype)dt, (mx_dtype)st, shb, stb, 2);
            check_copy_layout((mx_dtype)dt, (mx_dtype)st, shb, stc, 2);
            check_copy_layout((mx_dtype)dt, (mx_dtype)st, sh4, st4, 3);
            check_copy_layout((mx_dtype)dt, (mx_dtype)st, NULL, NULL, 0);
        }
}

TEST(test_copy_known_values) {
    /* Values MLX gives on x86 (checked against mlx.core 0.32). */
    const float f[] = {-1.0f,
                       300.0f,
                       -1.7f,
                       2.7f,
                       255.9f,
                       65536.0f,
                       __builtin_nanf(""),
                       __builtin_inff(),
                       -__builtin_inff(),
                       3e9f,
                       1e10f,
                       -0.0f};
    int32_t n = 12;
    int64_t one = 1;
    uint8_t u8[12];
    int8_t i8[12];
    int32_t i32[12];
    int64_t i64[12];
    uint64_t u64[12];
    uint8_t b[12];
    CHECK_OK(mxi_copy_to_contiguous(u8, MX_UINT8, f, MX_FLOAT32, &n, &one, 1));
    CHECK(u8[0] == 255 && u8[1] == 44 && u8[2] == 255 && u8[3] == 2 && u8[4] == 255);
    CHECK(u8[5] == 0 && u8[6] == 0 && u8[7] == 0 && u8[10] == 0);
    CHECK_OK(mxi_copy_to_contiguous(i8, MX_INT8, f, MX_FLOAT32, &n, &one, 1));
    CHECK(i8[0] == -1 && i8[1] == 44 && i8[4] == -1);
    CHECK_OK(mxi_copy_to_contiguous(i32, MX_INT32, f, MX_FLOAT32, &n, &one, 1));
    CHECK(i32[0] == -1 && i32[1] == 300 && i32[2] == -1 && i32[3] == 2 && i32[5] == 65536);
    CHECK(i32[6] == INT32_MIN && i32[7] == INT32_MIN && i32[8] == INT32_MIN);
    CHECK(i32[9] == INT32_MIN && i32[11] == 0);
    CHECK_OK(mxi_copy_to_contiguous(i64, MX_INT64, f, MX_FLOAT32, &n, &one, 1));
    CHECK(i64[9] == 3000000000ll && i64[10] == 10000000000ll && i64[6] == INT64_MIN);
    CHECK_OK(mxi_copy_to_contiguous(u64, MX_UINT64, f, MX_FLOAT32, &n, &one, 1));
    CHECK(u64[0] == UINT64_MAX && u64[9] == 3000000000ull && u64[6] == 1ull << 63);
    CHECK_OK(mxi_copy_to_contiguous(b, MX_BOOL, f, MX_FLOAT32, &n, &one, 1));
    CHECK(b[0] == 1 && b[6] == 1 && b[11] == 0);
    /* 16-bit floats: round to nearest even, overflow to inf, -0 is false. */
    float g[4] = {65519.0f, 65520.0f, 1.0f + 0x1p-11f, 1.0f + 0x1p-10f + 0x1p-11f};
    uint16_t h[4];
    int32_t n4 = 4;
    CHECK_OK(mxi_copy_to_contiguous(h, MX_FLOAT16, g, MX_FLOAT32, &n4, &one, 1));
    CHECK(h[0] == 0x7bff && h[1] == 0x7c00 && h[2] == 0x3c00 && h[3] == 0x3c02);
    uint16_t hz[2] = {0x8000, 0x0001};
    int32_t n2 = 2;
    CHECK_OK(mxi_copy_to_contiguous(b, MX_BOOL, hz, MX_FLOAT16, &n2, &one, 1));
    CHECK(b[0] == 0 && b[1] == 1);
    /* complex: real part out, imaginary 0 in, bool from either part. */
    float c[6] = {1.5f, 2.0f, 0.0f, 1.0f, 0.0f, -0.0f};
    int32_t n3 = 3;
    float re[3];
    CHECK_OK(mxi_copy_to_contiguous(re, MX_FLOAT32, c, MX_COMPLEX64, &n3, &one, 1));
    CHECK(re[0] == 1.5f && re[1] == 0.0f);
    CHECK_OK(mxi_copy_to_contiguous(b, MX_BOOL, c, MX_COMPLEX64, &n3, &one, 1));
    CHECK(b[0] == 1 && b[1] == 1 && b[2] == 0);
    int32_t iv[2] = {-7, 16777217};
    float cv[4];
    CHECK_OK(mxi_copy_to_contiguous(cv, MX_COMPLEX64, iv, MX_INT32, &n2, &one, 1));
    CHECK(cv[0] == -7.0f && cv[1] == 0.0f && cv[2] == 16777216.0f && cv[3] == 0.0f);
    /* integers wrap */
    int64_t big[2] = {-1, 0x123456789all};
    uint16_t w[2];
    CHECK_OK(mxi_copy_to_contiguous(w, MX_UINT16, big, MX_INT64, &n2, &one, 1));
    CHECK(w[0] == 0xffff && w[1] == 0x789a);
    /* One element helper. */
    double dd = -2.5;
    int16_t s16;
    mxi_convert_element(&s16, MX_INT16, &dd, MX_FLOAT64);
    CHECK(s16 == -2);
}

TEST(test_copy_large_and_inplace) {
    /* Parallel paths: a big transpose (tiles), a big broadcast fill, and an
     * in-place same-itemsize conversion. */
    int32_t shape[2] = {700, 900};
    int64_t tr[2] = {1, 700};
    int64_t n = 700 * 900;
    float *src = malloc(sizeof(float) * (size_t)n), *dst = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) src[i] = (float)i;
    CHECK_OK(mxi_copy_to_contiguous(dst, MX_FLOAT32, src, MX_FLOAT32, shape, tr, 2));
    int bad = 0;
    for (int64_t i = 0; i < 700 && !bad; i++)
        for (int64_t j = 0; j < 900; j++) bad += dst[i * 900 + j] != src[j * 700 + i];
    CHECK(bad == 0);
    /* Same, converting to float16 and back. */
    uint16_t *h = malloc(2 * (size_t)n);
    CHECK_OK(mxi_copy_to_contiguous(h, MX_FLOAT16, src, MX_FLOAT32, shape, tr, 2));
    bad = 0;
    for (int64_t i = 0; i < 700 && !bad; i++)
        for (int64_t j = 0; j < 900; j++) bad += h[i * 900 + j] != mxi_f32_to_f16(src[j * 700 + i]);
    CHECK(bad == 0);
    /* Broadcast fill of a complex scalar. */
    float cval[2] = {3.0f, -4.0f};
    int64_t zz[2] = {0, 0};
    float *cd = malloc(8 * (size_t)n);
    CHECK_OK(mxi_copy_to_contiguous(cd, MX_COMPLEX64, cval, MX_COMPLEX64, shape, zz, 2));
    bad = 0;
    for (int64_t i = 0; i < n; i++) bad += cd[2 * i] != 3.0f || cd[2 * i + 1] != -4.0f;
    CHECK(bad == 0);
    /* In place: float32 -> int32 over the same memory. */
    for (int64_t i = 0; i < n; i++) src[i] = (float)(i % 1000) - 500.5f;
    mxi_convert_contiguous(src, MX_INT32, src, MX_FLOAT32, n);
    bad = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t v;
        memcpy(&v, &src[i], 4);
        bad += v != (int32_t)((float)(i % 1000) - 500.5f);
    }
    CHECK(bad == 0);
    free(src);
    free(dst);
    free(h);
    free(cd);
}

/* ---- reductions ---- */

static const int red_types[6] = {MXI_REDUCE_AND,  MXI_REDUCE_OR,  MXI_REDUCE_SUM,
                                 MXI_REDUCE_PROD, MXI_REDUCE_MIN, MXI_REDUCE_MAX};

/* The output dtype the ops choose. */
static mx_dtype red_out_dtype(int type, mx_dtype in) {
    if (type == MXI_REDUCE_AND || type == MXI_REDUCE_OR) return MX_BOOL;
    if (type == MXI_REDUCE_SUM || type == MXI_REDUCE_PROD) {
        if (in == MX_BOOL || in == MX_INT8 || in == MX_INT16) return MX_INT32;
        if (in == MX_UINT8 || in == MX_UINT16) return MX_UINT32;
    }
    return in;
}

typedef struct racc_ref {
    uint64_t u;
    int64_t i;
    double d, im, mag; /* mag: sum of magnitudes, for tolerances */
    bool nan, any;
} racc_ref;

/* Naive reduction: every input element folds into the accumulator of its
 * output position. Writes outputs of out_dtype and the magnitudes. */
static void ref_reduce(int type, mx_dtype in_t, mx_dtype out_t, const unsigned char *base,
                       const int32_t *shape, const int64_t *strides, int ndim, const int32_t *axes,
                       int naxes, unsigned char *out, double *mag) {
    int32_t oshape[8];
    bool red[8] = {0};
    for (int a = 0; a < naxes; a++) red[axes[a]] = true;
    int64_t n_in = 1, n_out = 1;
    for (int d = 0; d < ndim; d++) {
        oshape[d] = red[d] ? 1 : shape[d];
        n_in *= shape[d];
        n_out *= oshape[d];
    }
    racc_ref *acc = calloc((size_t)(n_out ? n_out : 1), sizeof *acc);
    for (int64_t o = 0; o < n_out; o++) {
        racc_ref *r = &acc[o];
        r->d = type == MXI_REDUCE_PROD  ? 1.0
               : type == MXI_REDUCE_MIN ? __builtin_inf()
               : type == MXI_REDUCE_MAX ? -__builtin_inf()
                                        : 0.0;
        r->u = type == MXI_REDUCE_PROD;
        r->i = type == MXI_REDUCE_AND;
        r->any = false;
    }
    for (int64_t k = 0; k < n_in; k++) {
        int64_t rem = k, o = 0, omul = 1, off = 0;
        for (int d = ndim - 1; d >= 0; d--) {
            int64_t c = rem % shape[d];
            rem /= shape[d];
            off += c * strides[d];
            if (!red[d]) o += c * omul;
            omul *= oshape[d];
        }
        val v = read_val(in_t, base + off * dsize[in_t]);
        racc_ref *r = &acc[o];
        uint64_t bits = v.kind == V_INT ? (uint64_t)v.i : v.u;
        bool nz = v.kind == V_FLT   ? v.d != 0
                  : v.kind == V_CPX ? (v.d != 0 || v.im != 0)
                                    : bits != 0;
        switch (type) {
        case MXI_REDUCE_AND:
            r->i &= nz;
            break;
        case MXI_REDUCE_OR:
            r->i |= nz;
            break;
        case MXI_REDUCE_SUM:
            r->u += bits;
            r->d += v.d;
            r->im += v.im;
            r->mag += fabs(v.d) + fabs(v.im);
            break;
        case MXI_REDUCE_PROD:
            if (v.kind == V_CPX) {
                double _Complex z = CMPLX(r->d, r->im) * CMPLX(v.d, v.im);
                if (!r->any) z = CMPLX(v.d, v.im);
                r->d = creal(z), r->im = cimag(z);
            } else {
                r->d *= v.d;
            }
            r->u *= bits;
            r->mag += 1;
            break;
        default: {
            bool mx = type == MXI_REDUCE_MAX;
            if (v.kind == V_FLT) {
                if (v.d != v.d) r->nan = true;
                if (mx ? v.d > r->d : v.d < r->d) r->d = v.d;
            } else if (is_signed_int(in_t) || in_t == MX_BOOL) {
                int64_t x = v.i;
                if (!r->any || (mx ? x > r->i : x < r->i)) r->i = x;
            } else {
                if (!r->any || (mx ? v.u > r->u : v.u < r->u)) r->u = v.u;
            }
        }
        }
        r->any = true;
    }
    for (int64_t o = 0; o < n_out; o++) {
        racc_ref *r = &acc[o];
        val w;
        memset(&w, 0, sizeof w);
        if (type == MXI_REDUCE_AND || type == MXI_REDUCE_OR) {
            w.kind = V_INT, w.i = r->i;
        } else if (in_t == MX_COMPLEX64) {
            w.kind = V_CPX, w.d = r->d, w.im = r->im;
            if (type == MXI_REDUCE_PROD && !r->any) w.d = 1, w.im = 0;
        } else if (is_float(in_t)) {
            w.kind = V_FLT, w.d = r->nan ? __builtin_nan("") : r->d;
        } else if (type == MXI_REDUCE_SUM || type == MXI_REDUCE_PROD) {
            w.kind = V_UINT, w.u = r->u;
        } else if (!r->any) {
            /* empty min/max of integers: the dtype's extreme */
            w.kind = V_UINT;
            bool mx = type == MXI_REDUCE_MAX;
            int bits = dsize[in_t] * 8;
            if (in_t == MX_BOOL)
                w.u = mx ? 0 : 1;
            else if (is_signed_int(in_t))
                w.u = mx ? (uint64_t)1 << (bits - 1) : ((uint64_t)1 << (bits - 1)) - 1;
            else
                w.u = mx ? 0 : (bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1);
        } else if (is_signed_int(in_t) || in_t == MX_BOOL) {
            w.kind = V_INT, w.i = r->i;
        } else {
            w.kind = V_UINT, w.u = r->u;
        }
        write_val(out_t, out + o * dsize[out_t], w);
        if (mag) mag[o] = r->mag;
    }
    free(acc);
}

/* Relative tolerance of float sums/products against the float64 reference. */
static double red_tol(mx_dtype in_t, mx_dtype out_t) {
    if (out_t == MX_FLOAT16 || in_t == MX_FLOAT16) return 2e-3;
    if (out_t == MX_BFLOAT16 || in_t == MX_BFLOAT16) return 1.6e-2;
    if (out_t == MX_FLOAT64) return 1e-12;
    return 2e-6;
}

static bool red_close(int type, mx_dtype in_t, mx_dtype out_t, const void *got, const void *want,
                      double mag) {
    if (!is_float(out_t) && out_t != MX_COMPLEX64) return !memcmp(got, want, (size_t)dsize[out_t]);
    val g = read_val(out_t, got), w = read_val(out_t, want);
    if (type == MXI_REDUCE_MIN || type == MXI_REDUCE_MAX)
        return (g.d != g.d && w.d != w.d) || g.d == w.d;
    double tol = red_tol(in_t, out_t) * (mag + fabs(w.d) + fabs(w.im)) + 1e-30;
    bool re = (g.d != g.d && w.d != w.d) || g.d == w.d || fabs(g.d - w.d) <= tol;
    bool im = (g.im != g.im && w.im != w.im) || g.im == w.im || fabs(g.im - w.im) <= tol;
    return re && im;
}

static void check_reduce_layout(int type, mx_dtype t, const int32_t *shape, const int64_t *strides,
                                int ndim, const int32_t *axes, int naxes, bool modest) {
    mx_dtype ot = red_out_dtype(type, t);
    view s = make_view(t, shape, strides, ndim);
    if (modest) {
        int64_t n = s.hi - s.lo + 1;
        if (type == MXI_REDUCE_PROD)
            fill_modest(t, s.mem, n, 0.75, 1.25);
        else
            fill_modest(t, s.mem, n, -100, 100);
    }
    int64_t n_out = 1;
    for (int d = 0; d < ndim; d++) {
        bool r = false;
        for (int a = 0; a < naxes; a++) r |= axes[a] == d;
        n_out *= r ? 1 : shape[d];
    }
    size_t obytes = (size_t)(n_out * dsize[ot]) + 1;
    unsigned char *want = malloc(obytes), *got = malloc(obytes), *scalar = malloc(obytes);
    double *mag = malloc(sizeof(double) * (size_t)(n_out + 1));
    ref_reduce(type, t, ot, s.base, shape, strides, ndim, axes, naxes, want, mag);
    for (int l = 0; l <= top_level(); l++) {
        set_level(l);
        unsigned char *dst = l == 0 ? scalar : got;
        memset(dst, 0x77, obytes);
        int rc = mxi_reduce_strided(type, dst, ot, s.base, t, shape, strides, ndim, axes, naxes);
        if (t == MX_COMPLEX64 && (type == MXI_REDUCE_MIN || type == MXI_REDUCE_MAX)) {
            /* Ordered by real part, then imaginary; values in test_reduce.c. */
            CHECK_OK(rc);
            continue;
        }
        CHECK_OK(rc);
        int bad = 0;
        for (int64_t o = 0; o < n_out && bad < 3; o++) {
            const unsigned char *g = dst + o * dsize[ot];
            bool ok = red_close(type, t, ot, g, want + o * dsize[ot], mag[o]);
            /* Every level computes exactly what the scalar reference does. */
            if (l > 0) ok = ok && same_elem(ot, g, scalar + o * dsize[ot]);
            if (!ok) {
                val gv = read_val(ot, g), wv = read_val(ot, want + o * dsize[ot]);
                fprintf(stderr, "  reduce %d %s ndim %d level %d out %lld: got %g want %g\n", type,
                        dname[t], ndim, l, (long long)o,
                        gv.kind == V_FLT || gv.kind == V_CPX ? gv.d
                        : gv.kind == V_INT                   ? (double)gv.i
                                                             : (double)gv.u,
                        wv.kind == V_FLT || wv.kind == V_CPX ? wv.d
                        : wv.kind == V_INT                   ? (double)wv.i
                                                             : (double)wv.u);
                bad++;
            }
        }
        CHECK(bad == 0);
    }
    set_level(top_level());
    free(s.mem);
    free(want);
    free(got);
    free(scalar);
    free(mag);
}

TEST(test_reduce_all_types) {
    struct {
        int ndim;
        int32_t shape[4];
        int64_t strides[4];
        int naxes;
        int32_t axes[4];
    } cases[] = {
        {2, {7, 33}, {33, 1}, 1, {1}},            /* contiguous rows */
        {2, {7, 33}, {33, 1}, 1, {0}},            /* columns */
        {2, {5, 70}, {70, 1}, 1, {1}},            /* rows longer than the lanes */
        {3, {4, 5, 6}, {30, 6, 1}, 2, {0, 2}},    /* outer and inner */
        {3, {4, 5, 6}, {30, 6, 1}, 3, {0, 1, 2}}, /* everything */
        {3, {4, 5, 6}, {1, 4, 20}, 1, {1}},       /* transposed input */
        {3, {4, 5, 20}, {-100, 20, 1}, 1, {0}},   /* reversed outer, columns */
        {2, {3, 40}, {0, 1}, 1, {0}},             /* broadcast reduced axis */
        {2, {3, 40}, {1, 0}, 1, {1}},             /* broadcast inside rows */
        {3, {2, 1, 100}, {100, 100, 1}, 2, {1, 2}},
        {2, {5, 7}, {7, 1}, 0, {0}},       /* nothing reduced */
        {2, {150, 3}, {3, 1}, 1, {0}},     /* long strided runs (lanes) */
        {2, {2, 130}, {1, -2}, 1, {1}},    /* long reversed strided runs */
        {3, {3, 0, 4}, {0, 4, 1}, 1, {1}}, /* empty reduced axis: identity */
        {2, {0, 5}, {5, 1}, 1, {1}},       /* no outputs */
        {0, {0}, {0}, 0, {0}},             /* 0-d */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int ti = 0; ti < 6; ti++)
            for (int t = 0; t < MX_NUM_DTYPES; t++) {
                int type = red_types[ti];
                bool arith = type == MXI_REDUCE_SUM || type == MXI_REDUCE_PROD;
                check_reduce_layout(type, (mx_dtype)t, cases[c].shape, cases[c].strides,
                                    cases[c].ndim, cases[c].axes, cases[c].naxes,
                                    arith && (is_float((mx_dtype)t) || t == MX_COMPLEX64));
                /* min/max and and/or also on data with NaN, inf and -0. */
                if (!arith && is_float((mx_dtype)t))
                    check_reduce_layout(type, (mx_dtype)t, cases[c].shape, cases[c].strides,
                                        cases[c].ndim, cases[c].axes, cases[c].naxes, true);
            }
}

TEST(test_reduce_nan_and_identities) {
    float x[5] = {1.0f, 2.0f, __builtin_nanf(""), 7.0f, -3.0f};
    int32_t n = 5, ax = 0;
    int64_t one = 1;
    float r;
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_MAX, &r, MX_FLOAT32, x, MX_FLOAT32, &n, &one, 1, &ax, 1));
    CHECK(isnan(r));
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_MIN, &r, MX_FLOAT32, x, MX_FLOAT32, &n, &one, 1, &ax, 1));
    CHECK(isnan(r));
    int32_t four = 4;
    CHECK_OK(mxi_reduce_strided(MXI_REDUCE_MAX, &r, MX_FLOAT32, x + 1, MX_FLOAT32, &four, &one, 1,
                                &ax, 1));
    CHECK(isnan(r));
    int32_t two = 2;
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_MAX, &r, MX_FLOAT32, x, MX_FLOAT32, &two, &one, 1, &ax, 1));
    CHECK(r == 2.0f);
    /* Empty reductions give the identity. */
    int32_t zero = 0;
    int8_t i8;
    CHECK_OK(mxi_reduce_strided(MXI_REDUCE_MIN, &i8, MX_INT8, x, MX_INT8, &zero, &one, 1, &ax, 1));
    CHECK(i8 == 127);
    CHECK_OK(mxi_reduce_strided(MXI_REDUCE_MAX, &i8, MX_INT8, x, MX_INT8, &zero, &one, 1, &ax, 1));
    CHECK(i8 == -128);
    uint16_t u16;
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_MIN, &u16, MX_UINT16, x, MX_UINT16, &zero, &one, 1, &ax, 1));
    CHECK(u16 == 65535);
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_MIN, &r, MX_FLOAT32, x, MX_FLOAT32, &zero, &one, 1, &ax, 1));
    CHECK(isinf(r) && r > 0);
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_PROD, &r, MX_FLOAT32, x, MX_FLOAT32, &zero, &one, 1, &ax, 1));
    CHECK(r == 1.0f);
    uint8_t b;
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_AND, &b, MX_BOOL, x, MX_FLOAT32, &zero, &one, 1, &ax, 1));
    CHECK(b == 1);
    CHECK_OK(mxi_reduce_strided(MXI_REDUCE_OR, &b, MX_BOOL, x, MX_FLOAT32, &zero, &one, 1, &ax, 1));
    CHECK(b == 0);
    /* Sums of small integer types widen and wrap as the output dtype. */
    int8_t small[3] = {127, 127, 127};
    int32_t three = 3, s32;
    CHECK_OK(mxi_reduce_strided(MXI_REDUCE_SUM, &s32, MX_INT32, small, MX_INT8, &three, &one, 1,
                                &ax, 1));
    CHECK(s32 == 381);
    int32_t big[2] = {INT32_MAX, 1};
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_SUM, &s32, MX_INT32, big, MX_INT32, &two, &one, 1, &ax, 1));
    CHECK(s32 == INT32_MIN);
    /* Complex min/max order by real part, then imaginary part (MLX 0.32). */
    float c[4] = {2, -1, 2, 0}, m[2];
    CHECK_OK(mxi_reduce_strided(MXI_REDUCE_MAX, m, MX_COMPLEX64, c, MX_COMPLEX64, &two, &one, 1,
                                &ax, 1));
    CHECK(m[0] == 2 && m[1] == 0);
}

TEST(test_reduce_large) {
    /* The parallel and split paths against float64 references, and the same
     * bits whatever the thread count. */
    int saved = mxi_num_threads();
    int64_t n = 1 << 20;
    float *x = malloc(sizeof(float) * (size_t)n);
    double ref = 0, mag = 0;
    for (int64_t i = 0; i < n; i++) {
        x[i] = (float)rnd_unif(-1, 1) + 0.01f;
        ref += x[i];
        mag += fabs(x[i]);
    }
    int32_t shape1 = (int32_t)n, ax0 = 0;
    int64_t one = 1;
    float s1, s2;
    mxi_set_num_threads(1);
    CHECK_OK(mxi_reduce_strided(MXI_REDUCE_SUM, &s1, MX_FLOAT32, x, MX_FLOAT32, &shape1, &one, 1,
                                &ax0, 1));
    mxi_set_num_threads(2);
    CHECK_OK(mxi_reduce_strided(MXI_REDUCE_SUM, &s2, MX_FLOAT32, x, MX_FLOAT32, &shape1, &one, 1,
                                &ax0, 1));
    CHECK(s1 == s2);
    CHECK_NEAR(s1, ref, 1e-6 * fabs(ref) + 1e-7 * mag);

    /* Columns: (16384, 64) over axis 0, split into blocks of rows. */
    int32_t sh2[2] = {16384, 64};
    int64_t st2[2] = {64, 1};
    float c1[64], c2[64];
    mxi_set_num_threads(1);
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_SUM, c1, MX_FLOAT32, x, MX_FLOAT32, sh2, st2, 2, &ax0, 1));
    mxi_set_num_threads(2);
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_SUM, c2, MX_FLOAT32, x, MX_FLOAT32, sh2, st2, 2, &ax0, 1));
    int bad = 0;
    for (int j = 0; j < 64; j++) {
        double r = 0;
        for (int i = 0; i < 16384; i++) r += x[i * 64 + j];
        bad += c1[j] != c2[j] || fabs(c1[j] - r) > 1e-4;
    }
    CHECK(bad == 0);
    /* Max over rows of (64, 16384) in parallel over outputs. */
    int32_t sh3[2] = {64, 16384};
    int64_t st3[2] = {16384, 1};
    int32_t ax1 = 1;
    float m[64];
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_MAX, m, MX_FLOAT32, x, MX_FLOAT32, sh3, st3, 2, &ax1, 1));
    bad = 0;
    for (int i = 0; i < 64; i++) {
        float r = -__builtin_inff();
        for (int j = 0; j < 16384; j++) r = x[i * 16384 + j] > r ? x[i * 16384 + j] : r;
        bad += m[i] != r;
    }
    CHECK(bad == 0);
    /* float16 sums accumulate in float32 or better: 100000 x 0.001 is 100. */
    uint16_t *h = malloc(2 * 100000);
    for (int i = 0; i < 100000; i++) h[i] = mxi_f32_to_f16(0.001f);
    int32_t nh = 100000;
    uint16_t hs;
    CHECK_OK(
        mxi_reduce_strided(MXI_REDUCE_SUM, &hs, MX_FLOAT16, h, MX_FLOAT16, &nh, &one, 1, &ax0, 1));
    CHECK_NEAR(mxi_f16_to_f32(hs), 100000 * (double)mxi_f16_to_f32(mxi_f32_to_f16(0.001f)), 0.07);
    mxi_set_num_threads(saved);
    free(x);
    free(h);
}

/* ---- matmul ---- */

typedef struct mm_case {
    int nbatch;
    int32_t batch[2];
    int64_t M, N, K;
    int64_t a_bs[2], b_bs[2]; /* batch strides; -1 means row-major default */
    int64_t a_rs, a_cs, b_rs, b_cs;
} mm_case;

static void check_matmul(mx_dtype t, const mm_case *c) {
    int nd = c->nbatch + 2;
    int32_t ashape[4], bshape[4];
    int64_t ast[4], bst[4];
    int64_t nb = 1;
    for (int i = 0; i < c->nbatch; i++) {
        ashape[i] = bshape[i] = c->batch[i];
        ast[i] = c->a_bs[i];
        bst[i] = c->b_bs[i];
        nb *= c->batch[i];
    }
    ashape[nd - 2] = (int32_t)c->M, ashape[nd - 1] = (int32_t)c->K;
    bshape[nd - 2] = (int32_t)c->K, bshape[nd - 1] = (int32_t)c->N;
    ast[nd - 2] = c->a_rs, ast[nd - 1] = c->a_cs;
    bst[nd - 2] = c->b_rs, bst[nd - 1] = c->b_cs;
    view a = make_view(t, ashape, ast, nd), b = make_view(t, bshape, bst, nd);
    fill_modest(t, a.mem, a.hi - a.lo + 1, -1, 1);
    fill_modest(t, b.mem, b.hi - b.lo + 1, -1, 1);
    int64_t nout = nb * c->M * c->N;
    unsigned char *out = malloc((size_t)(nout * dsize[t]) + 8);
    memset(out, 0x6B, (size_t)(nout * dsize[t]) + 8);
    CHECK_OK(mxi_matmul_strided(t, out, a.base, b.base, c->batch, c->nbatch, ast, bst, c->M, c->N,
                                c->K, c->a_rs, c->a_cs, c->b_rs, c->b_cs, 1.0, 0.0));
    double rel = t == MX_FLOAT64    ? 1e-12
                 : t == MX_FLOAT16  ? 2e-3
                 : t == MX_BFLOAT16 ? 1.6e-2
                                    : 1e-5;
    int bad = 0;
    for (int64_t bi = 0; bi < nb; bi++) {
        int64_t aoff = 0, boff = 0, rem = bi;
        for (int d = c->nbatch - 1; d >= 0; d--) {
            aoff += (rem % c->batch[d]) * ast[d];
            boff += (rem % c->batch[d]) * bst[d];
            rem /= c->batch[d];
        }
        for (int64_t i = 0; i < c->M; i++)
            for (int64_t j = 0; j < c->N; j++) {
                double re = 0, im = 0, mag = 0;
                for (int64_t k = 0; k < c->K; k++) {
                    val x = read_val(t, a.base + (aoff + i * c->a_rs + k * c->a_cs) * dsize[t]);
                    val y = read_val(t, b.base + (boff + k * c->b_rs + j * c->b_cs) * dsize[t]);
                    re += x.d * y.d - x.im * y.im;
                    im += x.d * y.im + x.im * y.d;
                    mag += (fabs(x.d) + fabs(x.im)) * (fabs(y.d) + fabs(y.im));
                }
                val g = read_val(t, out + ((bi * c->M + i) * c->N + j) * dsize[t]);
                double tol = rel * (mag + 1e-3);
                if (fabs(g.d - re) > tol || fabs(g.im - im) > tol) {
                    if (bad < 3)
                        fprintf(stderr,
                                "  matmul %s M%lld N%lld K%lld [%lld,%lld,%lld]: %g vs %g\n",
                                dname[t], (long long)c->M, (long long)c->N, (long long)c->K,
                                (long long)bi, (long long)i, (long long)j, g.d, re);
                    bad++;
                }
            }
    }
    CHECK(bad == 0);
    /* Nothing past the output was touched. */
    CHECK(out[nout * dsize[t]] == 0x6B);
    free(a.mem);
    free(b.mem);
    free(out);
}

TEST(test_matmul_layouts) {
    const mx_dtype types[5] = {MX_FLOAT32, MX_FLOAT64, MX_COMPLEX64, MX_FLOAT16, MX_BFLOAT16};
    mm_case cases[] = {
        /* row-major both */
        {0, {0}, 5, 7, 3, {0}, {0}, 3, 1, 7, 1},
        /* both column-major (transposed views) */
        {0, {0}, 5, 7, 3, {0}, {0}, 1, 5, 1, 3},
        /* padded leading dimensions */
        {0, {0}, 4, 6, 5, {0}, {0}, 9, 1, 1, 11},
        /* needs copies: non-unit inner strides, reversed rows */
        {0, {0}, 6, 4, 5, {0}, {0}, 10, 2, -4, 1},
        /* a broadcast row (stride 0) */
        {0, {0}, 3, 4, 5, {0}, {0}, 0, 1, 4, 1},
        /* vector-matrix and matrix-vector */
        {0, {0}, 1, 9, 8, {0}, {0}, 0, 1, 9, 1},
        {0, {0}, 9, 1, 8, {0}, {0}, 8, 1, 0, 0},
        /* batch with a shared weight (folded into one gemm) */
        {1, {3}, 4, 5, 6, {24}, {0}, 6, 1, 5, 1},
        /* batch with a shared left operand */
        {1, {3}, 4, 5, 6, {0}, {30}, 6, 1, 5, 1},
        /* two batch axes, transposed a, partly broadcast b */
        {2, {2, 3}, 4, 5, 6, {72, 24}, {0, 30}, 1, 4, 5, 1},
        /* batch whose a rows are not evenly spaced */
        {1, {3}, 4, 5, 6, {30}, {0}, 6, 1, 5, 1},
        /* larger, so the BLAS blocks */
        {0, {0}, 67, 45, 81, {0}, {0}, 81, 1, 1, 81},
    };
    for (int t = 0; t < 5; t++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            check_matmul(types[t], &cases[i]);
}

TEST(test_matmul_edges) {
    /* K == 0 gives zeros; M or N == 0 writes nothing; integer dtypes are
     * refused. */
    float out[12];
    memset(out, 0xff, sizeof out);
    int64_t bs[1] = {0};
    int32_t batch[1] = {2};
    CHECK_OK(mxi_matmul_strided(MX_FLOAT32, out, NULL, NULL, batch, 1, bs, bs, 2, 3, 0, 0, 1, 3, 1,
                                1.0, 0.0));
    int bad = 0;
    for (int i = 0; i < 12; i++) bad += out[i] != 0.0f;
    CHECK(bad == 0);
    memset(out, 0xff, sizeof out);
    CHECK_OK(mxi_matmul_strided(MX_FLOAT32, out, NULL, NULL, NULL, 0, NULL, NULL, 0, 3, 4, 4, 1, 3,
                                1, 1.0, 0.0));
    uint32_t bits;
    memcpy(&bits, out, 4);
    CHECK(bits == 0xffffffffu);
    int32_t ia[4] = {1, 2, 3, 4}, io[4];
    CHECK_ERR(mxi_matmul_strided(MX_INT32, io, ia, ia, NULL, 0, NULL, NULL, 2, 2, 2, 2, 1, 2, 1,
                                 1.0, 0.0),
              MX_ERR_TYPE);
}

/* ---- the eval entry points on arrays ---- */

/* An evaluated array of the given layout over a copy of `data` (data_elems
 * elements). */
static mx_array *make_array(mx_dtype t, const int32_t *shape, int ndim, const int64_t *strides,
                            const void *data, int64_t data_elems) {
    mx_array *a = mxi_array_alloc(t, shape, ndim);
    size_t bytes = (size_t)(data_elems * dsize[t]);
    mxi_buffer *buf = mxi_buffer_new(bytes ? bytes : 1);
    if (bytes) memcpy(buf->ptr, data, bytes);
    mxi_set_data(a, buf, 0, strides, data_elems);
    mxi_buffer_release(buf);
    atomic_store(&a->status, MX_ARRAY_AVAILABLE);
    return a;
}

static mxi_node fake_node(mxi_prim_kind kind, void *params) {
    mxi_node n;
    memset(&n, 0, sizeof n);
    n.kind = kind;
    n.params = params;
    return n;
}

TEST(test_eval_entry_points) {
    /* add: (2, 3) + broadcast row (3,) */
    float av[6] = {1, 2, 3, 4, 5, 6}, bv[3] = {10, 20, 30};
    int32_t s23[2] = {2, 3};
    int64_t r23[2] = {3, 1}, brow[2] = {0, 1};
    mx_array *a = make_array(MX_FLOAT32, s23, 2, r23, av, 6);
    mx_array *b = make_array(MX_FLOAT32, s23, 2, brow, bv, 3);
    /* a is read again below: a second reference keeps its buffer from being
     * donated to an output. */
    mx_array_retain(a);
    mx_array *out = mxi_array_alloc(MX_FLOAT32, s23, 2);
    mx_array *ins[2] = {a, b}, *outs[1] = {out};
    mxi_node node = fake_node(MXI_PRIM_ADD, NULL);
    CHECK_OK(mxi_cpu_binary(&node, ins, outs));
    const float *o = mxi_data(out);
    CHECK(o[0] == 11 && o[2] == 33 && o[3] == 14 && o[5] == 36);
    CHECK(out->strides[0] == 3 && out->strides[1] == 1 && (out->flags & MXI_ROW_CONTIGUOUS));
    mx_array_free(out);

    /* divide by a scalar broadcast to the shape */
    float two = 2;
    int64_t zeros[2] = {0, 0};
    mx_array *sc = make_array(MX_FLOAT32, s23, 2, zeros, &two, 1);
    ins[1] = sc;
    out = mxi_array_alloc(MX_FLOAT32, s23, 2);
    outs[0] = out;
    node = fake_node(MXI_PRIM_DIVIDE, NULL);
    CHECK_OK(mxi_cpu_binary(&node, ins, outs));
    o = mxi_data(out);
    CHECK(o[0] == 0.5f && o[5] == 3.0f);
    mx_array_free(out);

    /* astype of a transposed int32 view to float16 */
    int32_t iv[6] = {1, 2, 3, 4, 5, 6};
    int32_t s32[2] = {3, 2};
    int64_t tr[2] = {1, 3};
    mx_array *it = make_array(MX_INT32, s32, 2, tr, iv, 6);
    out = mxi_array_alloc(MX_FLOAT16, s32, 2);
    ins[0] = it;
    outs[0] = out;
    node = fake_node(MXI_PRIM_ASTYPE, NULL);
    CHECK_OK(mxi_cpu_astype(&node, ins, outs));
    const uint16_t *h = mxi_data(out);
    /* rows of the transpose: (1, 4), (2, 5), (3, 6) */
    CHECK(mxi_f16_to_f32(h[0]) == 1 && mxi_f16_to_f32(h[1]) == 4 && mxi_f16_to_f32(h[5]) == 6);
    mx_array_free(out);

    /* full: a broadcast scalar written out */
    int32_t s45[2] = {4, 5};
    mx_array *fv = make_array(MX_FLOAT32, s45, 2, zeros, &two, 1);
    out = mxi_array_alloc(MX_FLOAT32, s45, 2);
    ins[0] = fv;
    outs[0] = out;
    node = fake_node(MXI_PRIM_FULL, NULL);
    CHECK_OK(mxi_cpu_full(&node, ins, outs));
    o = mxi_data(out);
    int bad = 0;
    for (int i = 0; i < 20; i++) bad += o[i] != 2.0f;
    CHECK(bad == 0);
    mx_array_free(out);

    /* reduce: sum over axis 1 of (2, 3), keepdims shape (2, 1) */
    mxi_reduce_params *rp = malloc(sizeof *rp + sizeof(int32_t));
    rp->type = MXI_REDUCE_SUM;
    rp->naxes = 1;
    rp->axes[0] = 1;
    int32_t s21[2] = {2, 1};
    out = mxi_array_alloc(MX_FLOAT32, s21, 2);
    ins[0] = a;
    outs[0] = out;
    node = fake_node(MXI_PRIM_REDUCE, rp);
    CHECK_OK(mxi_cpu_reduce(&node, ins, outs));
    o = mxi_data(out);
    CHECK(o[0] == 6 && o[1] == 15);
    mx_array_free(out);
    free(rp);

    /* matmul: (2, 3) @ (3, 2) where b is a's transpose view */
    mx_array *bt = make_array(MX_FLOAT32, s32, 2, tr, av, 6);
    int32_t s22[2] = {2, 2};
    out = mxi_array_alloc(MX_FLOAT32, s22, 2);
    ins[0] = a;
    ins[1] = bt;
    outs[0] = out;
    node = fake_node(MXI_PRIM_MATMUL, NULL);
    CHECK_OK(mxi_cpu_matmul(&node, ins, outs));
    o = mxi_data(out);
    CHECK(o[0] == 14 && o[1] == 32 && o[2] == 32 && o[3] == 77);
    mx_array_free(out);

    mx_array_free(a);
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(sc);
    mx_array_free(it);
    mx_array_free(fv);
    mx_array_free(bt);
}

TEST(test_eval_donation) {
    /* An input nobody else holds may lend its buffer to the output; either
     * way the values are right, and a chain x = x * x + x stays correct. */
    int32_t n = 100000;
    int64_t one = 1;
    float *v = malloc(sizeof(float) * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = (float)(i % 7) * 0.5f;
    mx_array *x = make_array(MX_FLOAT32, &n, 1, &one, v, n);
    for (int step = 0; step < 2; step++) {
        mx_array *y = mxi_array_alloc(MX_FLOAT32, &n, 1);
        mx_array *ins[2] = {x, x}, *outs[1] = {y};
        mxi_node node = fake_node(step == 0 ? MXI_PRIM_MULTIPLY : MXI_PRIM_ADD, NULL);
        CHECK_OK(mxi_cpu_binary(&node, ins, outs));
        mx_array_free(x);
        x = y;
    }
    const float *o = mxi_data(x);
    int bad = 0;
    for (int i = 0; i < n; i++) bad += o[i] != 2 * v[i] * v[i];
    CHECK(bad == 0);
    /* astype to a dtype of the same size may convert in place. */
    mx_array *y = mxi_array_alloc(MX_INT32, &n, 1);
    mx_array *ins[1] = {x}, *outs[1] = {y};
    mxi_node node = fake_node(MXI_PRIM_ASTYPE, NULL);
    CHECK_OK(mxi_cpu_astype(&node, ins, outs));
    mx_array_free(x);
    const int32_t *iy = mxi_data(y);
    bad = 0;
    for (int i = 0; i < n; i++) bad += iy[i] != (int32_t)(2 * v[i] * v[i]);
    CHECK(bad == 0);
    mx_array_free(y);
    free(v);
}

int main(void) {
    RUN(test_strided_collapse);
    RUN(test_strided_walk);
    RUN(test_binary_flat_runs);
    RUN(test_binary_nd_layouts);
    RUN(test_binary_semantics);
    RUN(test_binary_inplace_and_threads);
    RUN(test_copy_all_pairs);
    RUN(test_copy_known_values);
    RUN(test_copy_large_and_inplace);
    /* Again with every output written by streaming stores, as outputs
     * larger than the last-level cache are. */
    mxi_stream_set_threshold(0);
    RUN(test_binary_flat_runs);
    RUN(test_binary_nd_layouts);
    RUN(test_binary_inplace_and_threads);
    RUN(test_copy_all_pairs);
    RUN(test_copy_large_and_inplace);
    mxi_stream_set_threshold(-1);
    RUN(test_reduce_all_types);
    RUN(test_reduce_nan_and_identities);
    RUN(test_reduce_large);
    RUN(test_matmul_layouts);
    RUN(test_matmul_edges);
    RUN(test_eval_entry_points);
    RUN(test_eval_donation);
    mxi_simd_set_active(mxi_simd_detected());
    return TEST_SUMMARY();
}
