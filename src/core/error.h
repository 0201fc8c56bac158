/* The thread-local error channel behind mx_last_error(). */
#ifndef MXI_ERROR_H
#define MXI_ERROR_H

#include "cmlx/base.h"

/* Records a failure for this thread and returns `code`, so a failing path can
 * `return mxi_error(MX_ERR_VALUE, "[add] ...", ...);`. */
int mxi_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats a shape as "(2, 3)" into buf; returns buf. */
char *mxi_shape_str(char *buf, size_t len, const int32_t *shape, int ndim);

/* Room for mxi_shape_str of any shape we print in a message. */
#define MXI_SHAPE_STR_LEN 128

#endif
