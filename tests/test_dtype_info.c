/*
 * dtype utilities (finfo, iinfo, can_cast, isdtype, result_type) against
 * values read from MLX 0.32.4.
 */
#include <float.h>

#include "cmlx/dtype_info.h"
#include "test.h"

static const mx_dtype all[MX_NUM_DTYPES] = {
    MX_BOOL,  MX_UINT8, MX_UINT16,  MX_UINT32,  MX_UINT64,  MX_INT8,     MX_INT16,
    MX_INT32, MX_INT64, MX_FLOAT16, MX_FLOAT32, MX_FLOAT64, MX_BFLOAT16, MX_COMPLEX64,
};

TEST(finfo_values) {
    /* mx.finfo(t): eps, max, min, smallest_normal, bits, dtype. */
    struct {
        mx_dtype t, real;
        int bits;
        double eps, max, smallest_normal;
    } want[] = {
        {MX_FLOAT16, MX_FLOAT16, 16, 0.0009765625, 65504.0, 6.103515625e-05},
        {MX_FLOAT32, MX_FLOAT32, 32, 1.1920928955078125e-07, 3.4028234663852886e+38,
         1.1754943508222875e-38},
        {MX_FLOAT64, MX_FLOAT64, 64, 2.220446049250313e-16, 1.7976931348623157e+308,
         2.2250738585072014e-308},
        {MX_BFLOAT16, MX_BFLOAT16, 16, 0.0078125, 3.3895313892515355e+38, 1.1754943508222875e-38},
        {MX_COMPLEX64, MX_FLOAT32, 32, 1.1920928955078125e-07, 3.4028234663852886e+38,
         1.1754943508222875e-38},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        mx_finfo f;
        CHECK_OK(mx_finfo_get(&f, want[i].t));
        CHECK(f.dtype == want[i].real);
        CHECK(f.bits == want[i].bits);
        CHECK(f.eps == want[i].eps);
        CHECK(f.max == want[i].max);
        CHECK(f.min == -want[i].max);
        CHECK(f.smallest_normal == want[i].smallest_normal);
    }
    /* The limits are the formats' own: round trips through the converters. */
    mx_finfo h;
    CHECK_OK(mx_finfo_get(&h, MX_FLOAT16));
    CHECK(mx_half_to_float(mx_float_to_half((float)h.max)) == (float)h.max);
    CHECK(mx_half_to_float(mx_float_to_half(1.0f + (float)h.eps)) == 1.0f + (float)h.eps);
    CHECK(mx_half_to_float(mx_float_to_half(1.0f + (float)h.eps / 2)) == 1.0f);
    mx_finfo b;
    CHECK_OK(mx_finfo_get(&b, MX_BFLOAT16));
    CHECK(mx_bfloat16_to_float(mx_float_to_bfloat16((float)b.max)) == (float)b.max);
    CHECK(mx_bfloat16_to_float(mx_float_to_bfloat16(1.0f + (float)b.eps)) == 1.0f + (float)b.eps);
    /* Non-inexact types: "[finfo] dtype int32 is not inexact". */
    for (int i = 0; i < 9; i++) {
        mx_finfo f;
        CHECK_ERR(mx_finfo_get(&f, all[i]), MX_ERR_VALUE);
    }
    CHECK_ERR(mx_finfo_get(&h, MX_DTYPE_NONE), MX_ERR_VALUE);
    CHECK_ERR(mx_finfo_get(NULL, MX_FLOAT32), MX_ERR_VALUE);
}

TEST(iinfo_values) {
    struct {
        mx_dtype t;
        int64_t min;
        uint64_t max;
    } want[] = {
        {MX_UINT8, 0, 255},
        {MX_UINT16, 0, 65535},
        {MX_UINT32, 0, 4294967295u},
        {MX_UINT64, 0, UINT64_MAX},
        {MX_INT8, -128, 127},
        {MX_INT16, -32768, 32767},
        {MX_INT32, INT32_MIN, INT32_MAX},
        {MX_INT64, INT64_MIN, INT64_MAX},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        mx_iinfo f;
        CHECK_OK(mx_iinfo_get(&f, want[i].t));
        CHECK(f.dtype == want[i].t);
        CHECK(f.min == want[i].min && f.max == want[i].max);
        CHECK(f.bits == 8 * mx_dtype_size(want[i].t));
    }
    /* "[iinfo] Only integer types supported but bool was provided". */
    mx_iinfo f;
    CHECK_ERR(mx_iinfo_get(&f, MX_BOOL), MX_ERR_VALUE);
    for (int i = 9; i < MX_NUM_DTYPES; i++) CHECK_ERR(mx_iinfo_get(&f, all[i]), MX_ERR_VALUE);
    CHECK_ERR(mx_iinfo_get(&f, (mx_dtype)99), MX_ERR_VALUE);
    CHECK_ERR(mx_iinfo_get(NULL, MX_INT8), MX_ERR_VALUE);
}

TEST(can_cast_table) {
    /* mx.can_cast(row, column) in enum order, from MLX 0.32.4. */
    static const char *want[MX_NUM_DTYPES] = {
        "11111111111111", "01111011111111", "00111001111111", "00011000111111", "00001000011111",
        "00000111111111", "00000011111111", "00000001111111", "00000000111111", "00000000011101",
        "00000000001101", "00000000000101", "00000000001111", "00000000000001",
    };
    for (int a = 0; a < MX_NUM_DTYPES; a++)
        for (int b = 0; b < MX_NUM_DTYPES; b++)
            CHECK(mx_can_cast(all[a], all[b]) == (want[a][b] == '1'));
    CHECK(!mx_can_cast(MX_DTYPE_NONE, MX_FLOAT32));
    CHECK(!mx_can_cast(MX_FLOAT32, (mx_dtype)77));
    mx_array *x = NULL;
    CHECK_OK(mx_array_from_int(&x, 3, MX_INT16));
    CHECK(mx_can_cast_array(x, MX_INT32) && !mx_can_cast_array(x, MX_UINT8));
    CHECK(!mx_can_cast_array(NULL, MX_INT32));
    mx_array_free(x);
}

TEST(isdtype_table) {
    /* mx.isdtype(column dtype, kind), from MLX 0.32.4. */
    struct {
        const char *kind;
        const char *row;
    } want[] = {
        {"bool", "10000000000000"},
        {"signed integer", "00000111100000"},
        {"unsigned integer", "01111000000000"},
        {"integral", "01111111100000"},
        {"real floating", "00000000011110"},
        {"complex floating", "00000000000001"},
        {"numeric", "01111111111111"},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        mx_array_api_kind kind;
        CHECK_OK(mx_array_api_kind_from_name(&kind, want[k].kind));
        CHECK((size_t)kind == k);
        for (int t = 0; t < MX_NUM_DTYPES; t++) {
            bool r = false;
            CHECK_OK(mx_isdtype(&r, all[t], &want[k].kind, 1));
            CHECK(r == (want[k].row[t] == '1'));
            CHECK(mx_isdtype_kind(all[t], kind) == r);
        }
    }
    /* A tuple of kinds: any of them. */
    const char *two[2] = {"bool", "complex floating"};
    bool r = true;
    CHECK_OK(mx_isdtype(&r, MX_FLOAT32, two, 2));
    CHECK(!r);
    CHECK_OK(mx_isdtype(&r, MX_COMPLEX64, two, 2));
    CHECK(r);
    /* "[isdtype] Unknown data type kind: 'floating'." */
    const char *bad[2] = {"bool", "floating"};
    CHECK_ERR(mx_isdtype(&r, MX_BOOL, bad, 2), MX_ERR_VALUE);
    CHECK_ERR(mx_isdtype(&r, MX_BOOL, two, 0), MX_ERR_VALUE);
    CHECK_ERR(mx_isdtype(&r, (mx_dtype)40, two, 1), MX_ERR_VALUE);
    CHECK_ERR(mx_isdtype(NULL, MX_BOOL, two, 1), MX_ERR_VALUE);
    mx_array_api_kind kind;
    CHECK_ERR(mx_array_api_kind_from_name(&kind, "xx"), MX_ERR_VALUE);
    CHECK_ERR(mx_array_api_kind_from_name(&kind, NULL), MX_ERR_VALUE);
    CHECK(!mx_isdtype_kind(MX_DTYPE_NONE, MX_KIND_NUMERIC));
    CHECK(!mx_isdtype_kind(MX_INT8, (mx_array_api_kind)42));
}

TEST(result_type_folds) {
    mx_dtype t;
    mx_dtype one[1] = {MX_INT8};
    CHECK_OK(mx_result_type_dtypes(&t, one, 1));
    CHECK(t == MX_INT8);
    /* MLX: result_type(int8, uint8, float16) = float16;
     * result_type(int8, uint64, float16) = float32 but
     * result_type(uint64, float16, int8) = float16 (folded from the left). */
    mx_dtype a[3] = {MX_INT8, MX_UINT8, MX_FLOAT16};
    CHECK_OK(mx_result_type_dtypes(&t, a, 3));
    CHECK(t == MX_FLOAT16);
    mx_dtype b[3] = {MX_INT8, MX_UINT64, MX_FLOAT16};
    CHECK_OK(mx_result_type_dtypes(&t, b, 3));
    CHECK(t == MX_FLOAT32);
    mx_dtype c[3] = {MX_UINT64, MX_FLOAT16, MX_INT8};
    CHECK_OK(mx_result_type_dtypes(&t, c, 3));
    CHECK(t == MX_FLOAT16);
    /* Arrays: result_type(array(uint64), int8) = float32. */
    mx_array *x = NULL, *y = NULL, *z = NULL;
    CHECK_OK(mx_array_from_int(&x, 1, MX_UINT64));
    CHECK_OK(mx_array_from_int(&y, 1, MX_INT8));
    CHECK_OK(mx_array_from_complex(&z, 1, 0));
    mx_array *xy[3] = {x, y, z};
    CHECK_OK(mx_result_type(&t, xy, 2));
    CHECK(t == MX_FLOAT32);
    CHECK_OK(mx_result_type(&t, xy, 3));
    CHECK(t == MX_COMPLEX64);
    CHECK_OK(mx_result_type(&t, xy + 1, 1));
    CHECK(t == MX_INT8);
    /* "[result_type] At least one array or dtype is required." */
    CHECK_ERR(mx_result_type(&t, xy, 0), MX_ERR_VALUE);
    CHECK_ERR(mx_result_type_dtypes(&t, a, 0), MX_ERR_VALUE);
    mx_dtype badd[2] = {MX_INT8, (mx_dtype)20};
    CHECK_ERR(mx_result_type_dtypes(&t, badd, 2), MX_ERR_VALUE);
    mx_array *withnull[2] = {x, NULL};
    CHECK_ERR(mx_result_type(&t, withnull, 2), MX_ERR_VALUE);
    CHECK_ERR(mx_result_type(NULL, xy, 1), MX_ERR_VALUE);
    /* Still works after the errors. */
    CHECK_OK(mx_result_type(&t, xy, 1));
    CHECK(t == MX_UINT64);
    mx_array_free(x);
    mx_array_free(y);
    mx_array_free(z);
}

int main(void) {
    RUN(finfo_values);
    RUN(iinfo_values);
    RUN(can_cast_table);
    RUN(isdtype_table);
    RUN(result_type_folds);
    return TEST_SUMMARY();
}
