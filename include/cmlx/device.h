/*
 * Devices and streams. Arrays have no device: an op runs on the device of the
 * stream it was built on and reads and writes the same memory whichever
 * device produced its inputs.
 */
#ifndef CMLX_DEVICE_H
#define CMLX_DEVICE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mx_device_type { MX_CPU = 0, MX_GPU = 1 } mx_device_type;

/* A device is a plain value: its type and its index among devices of that
 * type. */
typedef struct mx_device {
    mx_device_type type;
    int index;
} mx_device;

/* A stream is a plain value naming a queue of work on one device. Its index
 * is unique in the process. Every op takes a `const mx_stream *`; NULL means
 * the calling thread's default stream of the default device. */
typedef struct mx_stream {
    int index;
    mx_device device;
} mx_stream;

/* Whether a device of that type and index exists in this build. */
MX_API bool mx_device_is_available(mx_device d);
/* How many devices of a type exist (0 for MX_GPU until a GPU backend). */
MX_API int mx_device_count(mx_device_type type);
/* The default device: the first GPU when there is one, else the CPU. */
MX_API mx_device mx_default_device(void);
/* Makes d the default device of the process. MX_ERR_VALUE if unavailable. */
MX_API int mx_set_default_device(mx_device d);
/* Writes a short description of the device (name and architecture) into
 * buf (NUL-terminated, truncated to len). */
MX_API int mx_device_info(mx_device d, char *buf, size_t len);

/* The calling thread's default stream on device d, made on first use; each
 * thread has its own, as in MLX. */
MX_API int mx_default_stream(mx_stream *out, mx_device d);
/* Makes s the calling thread's default stream for s's device. */
MX_API int mx_set_default_stream(mx_stream s);
/* A new stream on d with its own worker thread and FIFO queue. */
MX_API int mx_new_stream(mx_stream *out, mx_device d);
/* Blocks until all work queued so far on s has finished. s NULL: the default
 * stream of the default device. Kernel failures are reported by mx_eval or
 * mx_array_wait on the arrays concerned, not here. */
MX_API int mx_synchronize(const mx_stream *s);
/* Number of streams created so far (for tests and diagnostics). */
MX_API int mx_stream_count(void);

#ifdef __cplusplus
}
#endif
#endif
