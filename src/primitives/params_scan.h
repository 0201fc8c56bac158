/*
 * Parameter blob of the Scan primitive (cumulative sums, products, maxima,
 * minima and log-sum-exps). Flat, as params.h says.
 */
#ifndef MXI_PARAMS_SCAN_H
#define MXI_PARAMS_SCAN_H

#include <stdint.h>

typedef enum mxi_scan_type {
    MXI_SCAN_SUM,
    MXI_SCAN_PROD,
    MXI_SCAN_MAX,
    MXI_SCAN_MIN,
    MXI_SCAN_LOGADDEXP,
    MXI_SCAN_TYPES
} mxi_scan_type;

/* out[i] = x[0] op ... op x[i] along `axis` (inclusive), or the same without
 * x[i] (exclusive, out[0] the identity); reverse runs from the end. */
typedef struct mxi_scan_params {
    int32_t type; /* mxi_scan_type */
    int32_t axis;
    int32_t reverse;
    int32_t inclusive;
} mxi_scan_params;

#endif
