/* dtype utilities: finfo, iinfo, can_cast, isdtype, result_type. */
#include "cmlx/dtype_info.h"

#include <float.h>
#include <string.h>

#include "cmlx/array.h"
#include "error.h"

int mx_finfo_get(mx_finfo *out, mx_dtype dtype) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[finfo] the output pointer is NULL");
    mx_finfo f;
    switch (dtype) {
    case MX_FLOAT16:
        f = (mx_finfo){MX_FLOAT16, 16, 0x1p-10, 65504.0, -65504.0, 0x1p-14};
        break;
    case MX_BFLOAT16:
        f = (mx_finfo){MX_BFLOAT16, 16, 0x1p-7, 0x1.fep127, -0x1.fep127, 0x1p-126};
        break;
    case MX_FLOAT32:
    case MX_COMPLEX64:
        f = (mx_finfo){MX_FLOAT32, 32, FLT_EPSILON, FLT_MAX, -FLT_MAX, FLT_MIN};
        break;
    case MX_FLOAT64:
        f = (mx_finfo){MX_FLOAT64, 64, DBL_EPSILON, DBL_MAX, -DBL_MAX, DBL_MIN};
        break;
    default:
        return mxi_error(MX_ERR_VALUE, "[finfo] dtype %s is not inexact", mx_dtype_name(dtype));
    }
    *out = f;
    return MX_OK;
}

int mx_iinfo_get(mx_iinfo *out, mx_dtype dtype) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[iinfo] the output pointer is NULL");
    if (!mx_dtype_is_integer(dtype))
        return mxi_error(MX_ERR_VALUE,
                         "[iinfo] only integer types are supported but %s was provided",
                         mx_dtype_name(dtype));
    int bits = 8 * mx_dtype_size(dtype);
    out->dtype = dtype;
    out->bits = bits;
    if (mx_dtype_is_signed(dtype)) {
        out->max = (UINT64_C(1) << (bits - 1)) - 1;
        out->min = -(int64_t)out->max - 1;
    } else {
        out->min = 0;
        out->max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    }
    return MX_OK;
}

bool mx_can_cast(mx_dtype from, mx_dtype to) {
    if (!mx_dtype_is_valid((int)from) || !mx_dtype_is_valid((int)to)) return false;
    return mx_promote_types(from, to) == to;
}

bool mx_can_cast_array(const mx_array *from, mx_dtype to) {
    return from && mx_can_cast(mx_array_dtype(from), to);
}

bool mx_isdtype_kind(mx_dtype t, mx_array_api_kind kind) {
    if (!mx_dtype_is_valid((int)t)) return false;
    switch (kind) {
    case MX_KIND_BOOL:
        return t == MX_BOOL;
    case MX_KIND_SIGNED_INTEGER:
        return mx_dtype_is_integer(t) && mx_dtype_is_signed(t);
    case MX_KIND_UNSIGNED_INTEGER:
        return mx_dtype_is_integer(t) && !mx_dtype_is_signed(t);
    case MX_KIND_INTEGRAL:
        return mx_dtype_is_integer(t);
    case MX_KIND_REAL_FLOATING:
        return mx_dtype_is_floating(t);
    case MX_KIND_COMPLEX_FLOATING:
        return mx_dtype_is_complex(t);
    case MX_KIND_NUMERIC:
        return t != MX_BOOL;
    }
    return false;
}

static const char *const kind_names[] = {
    [MX_KIND_BOOL] = "bool",
    [MX_KIND_SIGNED_INTEGER] = "signed integer",
    [MX_KIND_UNSIGNED_INTEGER] = "unsigned integer",
    [MX_KIND_INTEGRAL] = "integral",
    [MX_KIND_REAL_FLOATING] = "real floating",
    [MX_KIND_COMPLEX_FLOATING] = "complex floating",
    [MX_KIND_NUMERIC] = "numeric",
};

int mx_array_api_kind_from_name(mx_array_api_kind *out, const char *name) {
    if (!out || !name)
        return mxi_error(MX_ERR_VALUE, "[isdtype] %s is NULL", out ? "the kind name" : "out");
    for (int k = 0; k < (int)(sizeof kind_names / sizeof kind_names[0]); k++) {
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (mx_array_api_kind)k;
            return MX_OK;
        }
    }
    return mxi_error(MX_ERR_VALUE, "[isdtype] unknown data type kind: '%.64s'", name);
}

int mx_isdtype(bool *out, mx_dtype dtype, const char *const *kinds, int n) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[isdtype] the output pointer is NULL");
    if (n < 1 || !kinds) return mxi_error(MX_ERR_VALUE, "[isdtype] at least one kind is required");
    if (!mx_dtype_is_valid((int)dtype))
        return mxi_error(MX_ERR_VALUE, "[isdtype] invalid dtype %d", (int)dtype);
    bool any = false;
    for (int i = 0; i < n; i++) {
        mx_array_api_kind k;
        int rc = mx_array_api_kind_from_name(&k, kinds[i]);
        if (rc) return rc;
        any = any || mx_isdtype_kind(dtype, k);
    }
    *out = any;
    return MX_OK;
}

int mx_result_type_dtypes(mx_dtype *out, const mx_dtype *dtypes, size_t n) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[result_type] the output pointer is NULL");
    if (n == 0 || !dtypes)
        return mxi_error(MX_ERR_VALUE, "[result_type] at least one array or dtype is required");
    mx_dtype t = dtypes[0];
    for (size_t i = 0; i < n; i++) {
        if (!mx_dtype_is_valid((int)dtypes[i]))
            return mxi_error(MX_ERR_VALUE, "[result_type] invalid dtype %d at %zu", (int)dtypes[i],
                             i);
        t = mx_promote_types(t, dtypes[i]);
    }
    *out = t;
    return MX_OK;
}

int mx_result_type(mx_dtype *out, mx_array *const *arrays, size_t n) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[result_type] the output pointer is NULL");
    if (n == 0 || !arrays)
        return mxi_error(MX_ERR_VALUE, "[result_type] at least one array or dtype is required");
    mx_dtype t = MX_DTYPE_NONE;
    for (size_t i = 0; i < n; i++) {
        if (!arrays[i]) return mxi_error(MX_ERR_VALUE, "[result_type] array %zu is NULL", i);
        mx_dtype d = mx_array_dtype(arrays[i]);
        t = i == 0 ? d : mx_promote_types(t, d);
    }
    *out = t;
    return MX_OK;
}
