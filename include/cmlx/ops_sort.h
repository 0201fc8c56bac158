/* Ops: sorting and selection. Conventions in ops.h. */
#ifndef CMLX_OPS_SORT_H
#define CMLX_OPS_SORT_H

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
