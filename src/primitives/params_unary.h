/*
 * Parameter blobs of the elementwise unary primitives (flat structs, see
 * params.h).
 */
#ifndef MXI_PARAMS_UNARY_H
#define MXI_PARAMS_UNARY_H

#include <stdint.h>

/* Sqrt: recip = 1 makes it rsqrt (MLX's Sqrt(recip)). */
typedef struct mxi_sqrt_params {
    int32_t recip;
} mxi_sqrt_params;

typedef enum mxi_log_base { MXI_LOG_E = 0, MXI_LOG_2 = 1, MXI_LOG_10 = 2 } mxi_log_base;

/* Log: base is an mxi_log_base (MLX's Log::Base). */
typedef struct mxi_log_params {
    int32_t base;
} mxi_log_params;

/* NanToNum: the replacements, converted to the array's dtype by the kernel
 * (complex64: applied to the real and imaginary parts separately). */
typedef struct mxi_nan_to_num_params {
    double nan;
    double posinf;
    double neginf;
} mxi_nan_to_num_params;

/* Clip: inputs are a, then a_min if has_min, then a_max if has_max, all of
 * the output's dtype and shape (broadcast views). */
typedef struct mxi_clip_params {
    int32_t has_min;
    int32_t has_max;
} mxi_clip_params;

#endif
