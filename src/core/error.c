#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1024];
static _Thread_local int last_code;

int mxi_error(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    last_code = code;
    return code;
}

const char *mx_last_error(void) {
    return last_message;
}
int mx_last_error_code(void) {
    return last_code;
}

void mx_clear_error(void) {
    last_message[0] = '\0';
    last_code = MX_OK;
}

char *mxi_shape_str(char *buf, size_t len, const int32_t *shape, int ndim) {
    size_t used = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < ndim && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ", %d" : "%d", shape[i]);
    if (used < len) snprintf(buf + used, len - used, ndim == 1 ? ",)" : ")");
    return buf;
}
