/*
 * dtype properties, categories and MLX's promotion table.
 *
 * Every function accepts any integer value cast to mx_dtype: out-of-range
 * values (MX_DTYPE_NONE included) are answered harmlessly rather than read
 * past a table, because dtypes arrive from files, Python and user code. An
 * invalid dtype has size 0, name "invalid", kind '\0' and fails every
 * predicate; mx_promote_types and mx_at_least_float give MX_DTYPE_NONE for it,
 * so that the caller's own validation of the result catches it.
 */
#include "cmlx/dtype.h"

#include <string.h>

#include "error.h"
#include "half.h"

static bool valid(mx_dtype t) {
    return (int)t >= 0 && (int)t < MX_NUM_DTYPES;
}

static bool valid_category(mx_dtype_category c) {
    return (int)c >= (int)MX_COMPLEXFLOATING && (int)c <= (int)MX_GENERIC;
}

static const struct {
    const char *name;
    int size;
    char kind;
    mx_dtype_category leaf; /* the narrowest category holding the dtype */
} info[MX_NUM_DTYPES] = {
    [MX_BOOL] = {"bool", 1, 'b', MX_GENERIC},
    [MX_UINT8] = {"uint8", 1, 'u', MX_UNSIGNEDINTEGER},
    [MX_UINT16] = {"uint16", 2, 'u', MX_UNSIGNEDINTEGER},
    [MX_UINT32] = {"uint32", 4, 'u', MX_UNSIGNEDINTEGER},
    [MX_UINT64] = {"uint64", 8, 'u', MX_UNSIGNEDINTEGER},
    [MX_INT8] = {"int8", 1, 'i', MX_SIGNEDINTEGER},
    [MX_INT16] = {"int16", 2, 'i', MX_SIGNEDINTEGER},
    [MX_INT32] = {"int32", 4, 'i', MX_SIGNEDINTEGER},
    [MX_INT64] = {"int64", 8, 'i', MX_SIGNEDINTEGER},
    [MX_FLOAT16] = {"float16", 2, 'f', MX_FLOATING},
    [MX_FLOAT32] = {"float32", 4, 'f', MX_FLOATING},
    [MX_FLOAT64] = {"float64", 8, 'f', MX_FLOATING},
    [MX_BFLOAT16] = {"bfloat16", 2, 'V', MX_FLOATING},
    [MX_COMPLEX64] = {"complex64", 8, 'c', MX_COMPLEXFLOATING},
};

char mx_dtype_kind(mx_dtype t) {
    return valid(t) ? info[t].kind : '\0';
}

int mx_dtype_size(mx_dtype t) {
    return valid(t) ? info[t].size : 0;
}

const char *mx_dtype_name(mx_dtype t) {
    return valid(t) ? info[t].name : "invalid";
}

int mx_dtype_from_name(mx_dtype *out, const char *name) {
    if (!out || !name)
        return mxi_error(MX_ERR_VALUE, "[dtype_from_name] %s is NULL", out ? "name" : "out");
    for (int t = 0; t < MX_NUM_DTYPES; t++) {
        if (strcmp(name, info[t].name) == 0) {
            *out = (mx_dtype)t;
            return MX_OK;
        }
    }
    return mxi_error(MX_ERR_TYPE, "[dtype_from_name] unknown dtype name '%.64s'", name);
}

bool mx_dtype_is_valid(int t) {
    return t >= 0 && t < MX_NUM_DTYPES;
}

bool mx_dtype_is_floating(mx_dtype t) {
    return valid(t) && info[t].leaf == MX_FLOATING;
}

bool mx_dtype_is_complex(mx_dtype t) {
    return valid(t) && info[t].leaf == MX_COMPLEXFLOATING;
}

bool mx_dtype_is_inexact(mx_dtype t) {
    return mx_dtype_is_floating(t) || mx_dtype_is_complex(t);
}

bool mx_dtype_is_integer(mx_dtype t) {
    return valid(t) && (info[t].leaf == MX_SIGNEDINTEGER || info[t].leaf == MX_UNSIGNEDINTEGER);
}

bool mx_dtype_is_signed(mx_dtype t) {
    return valid(t) && (info[t].leaf == MX_SIGNEDINTEGER || mx_dtype_is_inexact(t));
}

/* The category tree of mlx.core.DtypeCategory, as each category's parent;
 * generic is the root. */
static const int category_parent[] = {
    [MX_COMPLEXFLOATING] = MX_INEXACT, [MX_FLOATING] = MX_INEXACT,
    [MX_INEXACT] = MX_NUMBER,          [MX_SIGNEDINTEGER] = MX_INTEGER,
    [MX_UNSIGNEDINTEGER] = MX_INTEGER, [MX_INTEGER] = MX_NUMBER,
    [MX_NUMBER] = MX_GENERIC,          [MX_GENERIC] = -1,
};

bool mx_issubdtype_category(mx_dtype_category a, mx_dtype_category b) {
    if (!valid_category(a) || !valid_category(b)) return false;
    for (int c = (int)a; c >= 0; c = category_parent[c])
        if (c == (int)b) return true;
    return false;
}

bool mx_issubdtype(mx_dtype t, mx_dtype_category c) {
    return valid(t) && mx_issubdtype_category(info[t].leaf, c);
}

/* MLX's promotion table, row and column in enum order. It is not a lattice
 * (uint64 with a signed int gives float32, float16 with bfloat16 gives
 * float32, float64 with complex64 gives complex64), so it is spelled out
 * rather than computed. */
#define B   MX_BOOL
#define U8  MX_UINT8
#define U16 MX_UINT16
#define U32 MX_UINT32
#define U64 MX_UINT64
#define I8  MX_INT8
#define I16 MX_INT16
#define I32 MX_INT32
#define I64 MX_INT64
#define F16 MX_FLOAT16
#define F32 MX_FLOAT32
#define F64 MX_FLOAT64
#define BF  MX_BFLOAT16
#define C64 MX_COMPLEX64
// clang-format off
static const unsigned char promotion[MX_NUM_DTYPES][MX_NUM_DTYPES] = {
    /*          b    u8   u16  u32  u64  i8   i16  i32  i64  f16  f32  f64  bf16 c64 */
    /* b    */ {B,   U8,  U16, U32, U64, I8,  I16, I32, I64, F16, F32, F64, BF,  C64},
    /* u8   */ {U8,  U8,  U16, U32, U64, I16, I16, I32, I64, F16, F32, F64, BF,  C64},
    /* u16  */ {U16, U16, U16, U32, U64, I32, I32, I32, I64, F16, F32, F64, BF,  C64},
    /* u32  */ {U32, U32, U32, U32, U64, I64, I64, I64, I64, F16, F32, F64, BF,  C64},
    /* u64  */ {U64, U64, U64, U64, U64, F32, F32, F32, F32, F16, F32, F64, BF,  C64},
    /* i8   */ {I8,  I16, I32, I64, F32, I8,  I16, I32, I64, F16, F32, F64, BF,  C64},
    /* i16  */ {I16, I16, I32, I64, F32, I16, I16, I32, I64, F16, F32, F64, BF,  C64},
    /* i32  */ {I32, I32, I32, I64, F32, I32, I32, I32, I64, F16, F32, F64, BF,  C64},
    /* i64  */ {I64, I64, I64, I64, F32, I64, I64, I64, I64, F16, F32, F64, BF,  C64},
    /* f16  */ {F16, F16, F16, F16, F16, F16, F16, F16, F16, F16, F32, F64, F32, C64},
    /* f32  */ {F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F64, F32, C64},
    /* f64  */ {F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, C64},
    /* bf16 */ {BF,  BF,  BF,  BF,  BF,  BF,  BF,  BF,  BF,  F32, F32, F64, BF,  C64},
    /* c64  */ {C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64, C64},
};
// clang-format on
#undef B
#undef U8
#undef U16
#undef U32
#undef U64
#undef I8
#undef I16
#undef I32
#undef I64
#undef F16
#undef F32
#undef F64
#undef BF
#undef C64

mx_dtype mx_promote_types(mx_dtype a, mx_dtype b) {
    if (!valid(a) || !valid(b)) return MX_DTYPE_NONE;
    return (mx_dtype)promotion[a][b];
}

mx_dtype mx_at_least_float(mx_dtype t) {
    if (!valid(t)) return MX_DTYPE_NONE;
    return mx_dtype_is_inexact(t) ? t : MX_FLOAT32;
}

uint16_t mx_float_to_half(float f) {
    return mxi_f32_to_f16(f);
}
float mx_half_to_float(uint16_t h) {
    return mxi_f16_to_f32(h);
}
uint16_t mx_float_to_bfloat16(float f) {
    return mxi_f32_to_bf16(f);
}
float mx_bfloat16_to_float(uint16_t b) {
    return mxi_bf16_to_f32(b);
}
