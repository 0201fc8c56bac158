/*
 * Streams, their worker threads and the device backends behind them.
 *
 * Each stream owns one worker thread (started on first use) and a FIFO queue
 * of tasks; work on one stream runs in order. A backend describes one device
 * type; the CPU backend is built in and a GPU backend registers itself, so
 * adding a device touches no core file.
 */
#ifndef MXI_STREAM_H
#define MXI_STREAM_H

#include "cmlx/device.h"
#include "primitives/primitives.h"

/* What a device type provides to the core. */
typedef struct mxi_backend {
    const char *name; /* "cpu", "gpu" */
    int (*device_count)(void);
    void (*describe)(int index, char *buf, size_t len);
    /* Picks the kernel of a primitive for this device type (NULL: none). */
    mxi_eval_fn (*kernel)(mxi_prim_kind kind);
    /* Called on a stream's worker thread before it runs anything (may be
     * NULL), e.g. to bind a GPU context. */
    void (*thread_init)(int device_index);
} mxi_backend;

/* Installs the backend of a device type (MX_GPU for a GPU backend). */
void mxi_register_backend(mx_device_type type, const mxi_backend *backend);
const mxi_backend *mxi_backend_of(mx_device_type type);

/* Fills *out with *s after checking it names a live stream, or with the
 * calling thread's default stream of the default device when s is NULL. */
int mxi_resolve_stream(mx_stream *out, const mx_stream *s);

/* A unit of work queued on a stream. run is called on the stream's worker
 * thread; the task is the submitter's to free (run may free it). */
typedef struct mxi_task {
    void (*run)(struct mxi_task *task);
    struct mxi_task *next;
} mxi_task;

/* Appends a task to a stream's queue, starting its worker if needed. */
int mxi_stream_submit(int stream_index, mxi_task *task);

/* Claims an idle stream (nothing queued or running) for work the caller
 * runs on its own thread, counted as submitted so that synchronize waits
 * for it; false when the stream is busy or its backend needs its worker
 * thread. Each true claim is ended by mxi_stream_release_claim. */
bool mxi_stream_claim_idle(int stream_index);
void mxi_stream_release_claim(int stream_index);

/* Locks used when touching the output slots of multi-output nodes. */
void mxi_sibling_lock(void);
void mxi_sibling_unlock(void);

/* ---- completion ---- */

/* Marks an array finished (AVAILABLE or FAILED) and wakes waiters. */
void mxi_array_finish(mx_array *a, int status);
/* Blocks until a scheduled array is finished. */
void mxi_array_wait_finished(const mx_array *a);

#endif
