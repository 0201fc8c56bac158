/*
 * cmlx: MLX, the array framework for machine learning, in C.
 * The one header a program includes.
 */
#ifndef CMLX_H
#define CMLX_H

#include "cmlx/base.h"
#include "cmlx/dtype.h"
#include "cmlx/dtype_info.h"
#include "cmlx/device.h"
#include "cmlx/memory.h"
#include "cmlx/array.h"
#include "cmlx/ops.h"
#include "cmlx/linalg.h"
#include "cmlx/transforms.h"
#include "cmlx/fft.h"
#include "cmlx/fast.h"
#include "cmlx/distributed.h"
#include "cmlx/io.h"
#include "cmlx/array_interop.h"

#define CMLX_VERSION_MAJOR 0
#define CMLX_VERSION_MINOR 1
#define CMLX_VERSION_PATCH 0

#ifdef __cplusplus
extern "C" {
#endif
/* "0.1.0": a static string. */
MX_API const char *mx_version(void);
#ifdef __cplusplus
}
#endif
#endif
