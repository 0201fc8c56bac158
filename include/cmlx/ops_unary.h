/* Ops: elementwise unary math. Conventions in ops.h. */
#ifndef CMLX_OPS_UNARY_H
#define CMLX_OPS_UNARY_H

#include "base.h"
#include "device.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
