/*
 * dtype utilities of mlx.core: finfo, iinfo, can_cast, isdtype and
 * result_type. (issubdtype and promote_types are in dtype.h.)
 */
#ifndef CMLX_DTYPE_INFO_H
#define CMLX_DTYPE_INFO_H

#include "base.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Machine limits of a floating type, as mlx.core.finfo. For complex64 they
 * are those of its float32 parts (dtype is then MX_FLOAT32). Values are
 * exact in double. */
typedef struct mx_finfo {
    mx_dtype dtype;         /* the real dtype described */
    int bits;               /* bits of that dtype */
    double eps;             /* 1 to the next representable number above it */
    double max;             /* the largest finite value */
    double min;             /* the most negative finite value (-max) */
    double smallest_normal; /* the smallest positive normal value */
} mx_finfo;

/* Fills *out for float16, bfloat16, float32, float64 or complex64;
 * MX_ERR_VALUE for any other dtype ("not inexact"). */
MX_API int mx_finfo_get(mx_finfo *out, mx_dtype dtype);

/* Limits of an integer type, as mlx.core.iinfo. min fits int64 and max
 * uint64 for every integer dtype. */
typedef struct mx_iinfo {
    mx_dtype dtype;
    int bits;
    int64_t min;
    uint64_t max;
} mx_iinfo;

/* Fills *out for the eight integer dtypes; MX_ERR_VALUE for bool and the
 * inexact types. */
MX_API int mx_iinfo_get(mx_iinfo *out, mx_dtype dtype);

/* Whether `from` can be cast to `to` under the promotion rules: promoting
 * the two gives `to` back (mlx.core.can_cast). False for invalid dtypes. */
MX_API bool mx_can_cast(mx_dtype from, mx_dtype to);
/* The same for an array's dtype. */
MX_API bool mx_can_cast_array(const mx_array *from, mx_dtype to);

/* The kinds of the array API's isdtype. */
typedef enum mx_array_api_kind {
    MX_KIND_BOOL = 0,         /* "bool" */
    MX_KIND_SIGNED_INTEGER,   /* "signed integer" */
    MX_KIND_UNSIGNED_INTEGER, /* "unsigned integer" */
    MX_KIND_INTEGRAL,         /* "integral": signed or unsigned integers */
    MX_KIND_REAL_FLOATING,    /* "real floating": float16/32/64, bfloat16 */
    MX_KIND_COMPLEX_FLOATING, /* "complex floating" */
    MX_KIND_NUMERIC,          /* "numeric": every dtype but bool */
} mx_array_api_kind;

/* Whether dtype belongs to kind (false for invalid arguments). */
MX_API bool mx_isdtype_kind(mx_dtype dtype, mx_array_api_kind kind);
/* Parses a kind name ("bool", "signed integer", "unsigned integer",
 * "integral", "real floating", "complex floating", "numeric"); MX_ERR_VALUE
 * for an unknown name. */
MX_API int mx_array_api_kind_from_name(mx_array_api_kind *out, const char *name);
/* mlx.core.isdtype with kinds given by name: *out is whether dtype belongs
 * to any of the n kinds (n >= 1). MX_ERR_VALUE for an unknown kind name.
 * (isdtype with a dtype as kind is plain equality in C.) */
MX_API int mx_isdtype(bool *out, mx_dtype dtype, const char *const *kinds, int n);

/* The dtype type promotion gives the arrays (or dtypes), folded from the
 * left as mlx.core.result_type (the promotion table is not associative, so
 * order can matter). MX_ERR_VALUE when n is 0 or an entry is invalid. */
MX_API int mx_result_type(mx_dtype *out, mx_array *const *arrays, size_t n);
MX_API int mx_result_type_dtypes(mx_dtype *out, const mx_dtype *dtypes, size_t n);

#ifdef __cplusplus
}
#endif
#endif
