/*
 * The 14 MLX dtypes, their categories and MLX's promotion rules.
 */
#ifndef CMLX_DTYPE_H
#define CMLX_DTYPE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The order matches MLX's Dtype::Val so numeric values agree with it. */
typedef enum mx_dtype {
    MX_DTYPE_NONE = -1, /* "not given": ops that take an optional dtype */
    MX_BOOL = 0,
    MX_UINT8,
    MX_UINT16,
    MX_UINT32,
    MX_UINT64,
    MX_INT8,
    MX_INT16,
    MX_INT32,
    MX_INT64,
    MX_FLOAT16,
    MX_FLOAT32,
    MX_FLOAT64,
    MX_BFLOAT16,
    MX_COMPLEX64,
    MX_NUM_DTYPES
} mx_dtype;

/* Abstract dtype categories, as mlx.core.DtypeCategory. */
typedef enum mx_dtype_category {
    MX_COMPLEXFLOATING = 0,
    MX_FLOATING,
    MX_INEXACT,
    MX_SIGNEDINTEGER,
    MX_UNSIGNEDINTEGER,
    MX_INTEGER,
    MX_NUMBER,
    MX_GENERIC,
} mx_dtype_category;

/* The kind letter of a dtype as MLX and NumPy spell it: 'b' bool, 'u'
 * unsigned, 'i' signed, 'f' float (incl. float16), 'V' bfloat16, 'c'
 * complex. */
MX_API char mx_dtype_kind(mx_dtype t);
/* Bytes per element; 0 for an invalid dtype. */
MX_API int mx_dtype_size(mx_dtype t);
/* "float32", "bfloat16", ...; a static string, "invalid" for bad input. */
MX_API const char *mx_dtype_name(mx_dtype t);
/* Parses a name written by mx_dtype_name ("bool", "float32", ...). Returns
 * MX_OK and sets *out, or MX_ERR_TYPE for an unknown name. */
MX_API int mx_dtype_from_name(mx_dtype *out, const char *name);
MX_API bool mx_dtype_is_valid(int t);
MX_API bool mx_dtype_is_floating(mx_dtype t); /* float16/32/64, bfloat16 */
MX_API bool mx_dtype_is_complex(mx_dtype t);
MX_API bool mx_dtype_is_inexact(mx_dtype t); /* floating or complex */
MX_API bool mx_dtype_is_integer(mx_dtype t); /* signed or unsigned, not bool */
MX_API bool mx_dtype_is_signed(mx_dtype t);  /* signed ints and inexact types */

/* issubdtype for two concrete dtypes (equal), a dtype and a category, or two
 * categories, as mlx.core.issubdtype. */
MX_API bool mx_issubdtype(mx_dtype t, mx_dtype_category c);
MX_API bool mx_issubdtype_category(mx_dtype_category a, mx_dtype_category b);

/* MLX's type promotion table: the dtype of a binary op on a and b. */
MX_API mx_dtype mx_promote_types(mx_dtype a, mx_dtype b);
/* The at-least-float rule used by ops such as divide and exp: inexact dtypes
 * are kept, every other dtype becomes float32. */
MX_API mx_dtype mx_at_least_float(mx_dtype t);

/* Exact conversions between float32 and the two 16-bit float formats (round
 * to nearest even; NaN stays NaN, overflow gives inf as MLX does). The 16-bit
 * values are carried as their bit patterns. */
MX_API uint16_t mx_float_to_half(float f);
MX_API float mx_half_to_float(uint16_t h);
MX_API uint16_t mx_float_to_bfloat16(float f);
MX_API float mx_bfloat16_to_float(uint16_t b);

/* complex64 element layout (two float32, real first) as MLX's complex64_t. */
typedef struct mx_complex64 {
    float real;
    float imag;
} mx_complex64;

#ifdef __cplusplus
}
#endif
#endif
