/* Ops: scans (cumulative ops). Conventions in ops.h. */
#ifndef CMLX_OPS_SCAN_H
#define CMLX_OPS_SCAN_H

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
