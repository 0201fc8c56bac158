/*
 * Devices, streams and their worker threads.
 */
#include "stream.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array_impl.h"
#include "error.h"

/* ---- backends ---- */

static int cpu_device_count(void) {
    return 1;
}

static void cpu_describe(int index, char *buf, size_t len) {
    (void)index;
    char model[128] = "cpu";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            char *colon = strchr(line, ':');
            if (strncmp(line, "model name", 10) == 0 && colon) {
                snprintf(model, sizeof model, "%s", colon + 2);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        }
        fclose(f);
    }
#if defined(__x86_64__)
    const char *arch = "x86_64";
#elif defined(__aarch64__)
    const char *arch = "arm64";
#else
    const char *arch = "unknown";
#endif
    snprintf(buf, len, "device_name=%s; architecture=%s", model, arch);
}

static mxi_eval_fn cpu_kernel(mxi_prim_kind kind) {
    return mxi_primitives[kind].eval_cpu;
}

static const mxi_backend cpu_backend = {"cpu", cpu_device_count, cpu_describe, cpu_kernel, NULL};
static const mxi_backend *backends[2] = {&cpu_backend, NULL};

void mxi_register_backend(mx_device_type type, const mxi_backend *backend) {
    if (type == MX_CPU || type == MX_GPU) backends[type] = backend;
}

const mxi_backend *mxi_backend_of(mx_device_type type) {
    return (type == MX_CPU || type == MX_GPU) ? backends[type] : NULL;
}

int mx_device_count(mx_device_type type) {
    const mxi_backend *b = mxi_backend_of(type);
    return b ? b->device_count() : 0;
}

bool mx_device_is_available(mx_device d) {
    return d.index >= 0 && d.index < mx_device_count(d.type);
}

static _Atomic int default_device_type = -1;
static _Atomic int default_device_index = 0;

mx_device mx_default_device(void) {
    int t = atomic_load(&default_device_type);
    if (t < 0) t = mx_device_count(MX_GPU) > 0 ? MX_GPU : MX_CPU;
    return (mx_device){(mx_device_type)t, atomic_load(&default_device_index)};
}

static int check_device(mx_device d, const char *op) {
    if (!mx_device_is_available(d))
        return mxi_error(MX_ERR_VALUE, "[%s] device %s:%d is not available", op,
                         d.type == MX_GPU   ? "gpu"
                         : d.type == MX_CPU ? "cpu"
                                            : "unknown",
                         d.index);
    return MX_OK;
}

int mx_set_default_device(mx_device d) {
    int rc = check_device(d, "set_default_device");
    if (rc) return rc;
    atomic_store(&default_device_index, d.index);
    atomic_store(&default_device_type, (int)d.type);
    return MX_OK;
}

int mx_device_info(mx_device d, char *buf, size_t len) {
    int rc = check_device(d, "device_info");
    if (rc) return rc;
    if (!buf || !len) return mxi_error(MX_ERR_VALUE, "[device_info] empty output buffer");
    backends[d.type]->describe(d.index, buf, len);
    return MX_OK;
}

/* ---- streams ---- */

#define MAX_STREAMS 16384

typedef struct stream_state {
    mx_stream s;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* the worker waits here for tasks */
    pthread_cond_t idle; /* synchronize waits here for completion */
    mxi_task *head, *tail;
    uint64_t submitted, completed;
    bool started;
} stream_state;

static stream_state *streams[MAX_STREAMS];
static _Atomic int stream_count;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static stream_state *stream_at(int index) {
    if (index < 0 || index >= atomic_load_explicit(&stream_count, memory_order_acquire))
        return NULL;
    return streams[index];
}

int mx_new_stream(mx_stream *out, mx_device d) {
    int rc = check_device(d, "new_stream");
    if (rc) return rc;
    if (!out) return mxi_error(MX_ERR_VALUE, "[new_stream] out is NULL");
    stream_state *st = calloc(1, sizeof *st);
    if (!st) return mxi_error(MX_ERR_MEMORY, "[new_stream] out of memory");
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->wake, NULL);
    pthread_cond_init(&st->idle, NULL);
    pthread_mutex_lock(&registry_lock);
    int index = atomic_load(&stream_count);
    if (index == MAX_STREAMS) {
        pthread_mutex_unlock(&registry_lock);
        free(st);
        return mxi_error(MX_ERR_RUNTIME, "[new_stream] too many streams (%d)", MAX_STREAMS);
    }
    st->s = (mx_stream){index, d};
    streams[index] = st;
    atomic_store_explicit(&stream_count, index + 1, memory_order_release);
    pthread_mutex_unlock(&registry_lock);
    *out = st->s;
    return MX_OK;
}

int mx_stream_count(void) {
    return atomic_load(&stream_count);
}

/* Per thread: its default stream for each device type (-1 until first use). */
static _Thread_local int thread_default[2] = {-1, -1};

int mx_default_stream(mx_stream *out, mx_device d) {
    int rc = check_device(d, "default_stream");
    if (rc) return rc;
    if (!out) return mxi_error(MX_ERR_VALUE, "[default_stream] out is NULL");
    int idx = thread_default[d.type];
    stream_state *st = stream_at(idx);
    if (st && st->s.device.index == d.index) {
        *out = st->s;
        return MX_OK;
    }
    rc = mx_new_stream(out, d);
    if (rc) return rc;
    thread_default[d.type] = out->index;
    return MX_OK;
}

int mx_set_default_stream(mx_stream s) {
    stream_state *st = stream_at(s.index);
    if (!st || st->s.device.type != s.device.type || st->s.device.index != s.device.index)
        return mxi_error(MX_ERR_VALUE, "[set_default_stream] stream %d does not exist", s.index);
    thread_default[s.device.type] = s.index;
    return MX_OK;
}

int mxi_resolve_stream(mx_stream *out, const mx_stream *s) {
    if (!s) {
        mx_device d = mx_default_device();
        int idx = thread_default[d.type];
        stream_state *st = stream_at(idx);
        if (st && st->s.device.index == d.index) {
            *out = st->s;
            return MX_OK;
        }
        return mx_default_stream(out, d);
    }
    stream_state *st = stream_at(s->index);
    if (!st || st->s.device.type != s->device.type || st->s.device.index != s->device.index)
        return mxi_error(MX_ERR_VALUE, "[stream] stream %d on %s:%d does not exist", s->index,
                         s->device.type == MX_GPU ? "gpu" : "cpu", s->device.index);
    if (!mx_device_is_available(st->s.device)) return check_device(st->s.device, "stream");
    *out = st->s;
    return MX_OK;
}

static void *stream_worker(void *arg) {
    stream_state *st = arg;
    const mxi_backend *b = backends[st->s.device.type];
    if (b && b->thread_init) b->thread_init(st->s.device.index);
    pthread_mutex_lock(&st->lock);
    for (;;) {
        while (!st->head) pthread_cond_wait(&st->wake, &st->lock);
        mxi_task *t = st->head;
        st->head = t->next;
        if (!st->head) st->tail = NULL;
        pthread_mutex_unlock(&st->lock);
        t->run(t);
        pthread_mutex_lock(&st->lock);
        st->completed++;
        if (st->completed == st->submitted) pthread_cond_broadcast(&st->idle);
    }
    return NULL;
}

int mxi_stream_submit(int stream_index, mxi_task *task) {
    stream_state *st = stream_at(stream_index);
    if (!st) return mxi_error(MX_ERR_VALUE, "[eval] stream %d does not exist", stream_index);
    task->next = NULL;
    pthread_mutex_lock(&st->lock);
    if (!st->started) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* Kernels may use deep stacks (LAPACK, recursion in sorts). */
        pthread_attr_setstacksize(&attr, 8u << 20);
        int rc = pthread_create(&th, &attr, stream_worker, st);
        pthread_attr_destroy(&attr);
        if (rc) {
            pthread_mutex_unlock(&st->lock);
            return mxi_error(MX_ERR_RUNTIME, "[eval] cannot start the worker of stream %d",
                             stream_index);
        }
        st->started = true;
    }
    if (st->tail)
        st->tail->next = task;
    else
        st->head = task;
    st->tail = task;
    st->submitted++;
    pthread_cond_signal(&st->wake);
    pthread_mutex_unlock(&st->lock);
    return MX_OK;
}

bool mxi_stream_claim_idle(int stream_index) {
    stream_state *st = stream_at(stream_index);
    const mxi_backend *b = st ? backends[st->s.device.type] : NULL;
    if (!b || b->thread_init) return false;
    pthread_mutex_lock(&st->lock);
    bool idle = !st->head && st->completed == st->submitted;
    if (idle) st->submitted++;
    pthread_mutex_unlock(&st->lock);
    return idle;
}

void mxi_stream_release_claim(int stream_index) {
    stream_state *st = stream_at(stream_index);
    pthread_mutex_lock(&st->lock);
    st->completed++;
    if (st->completed == st->submitted) pthread_cond_broadcast(&st->idle);
    pthread_mutex_unlock(&st->lock);
}

int mx_synchronize(const mx_stream *s) {
    mx_stream r;
    int rc = mxi_resolve_stream(&r, s);
    if (rc) return rc;
    stream_state *st = stream_at(r.index);
    pthread_mutex_lock(&st->lock);
    uint64_t target = st->submitted;
    while (st->completed < target) pthread_cond_wait(&st->idle, &st->lock);
    pthread_mutex_unlock(&st->lock);
    return MX_OK;
}

/* ---- completion of arrays ---- */

/* One condition variable for all arrays: waits are rare (the caller of eval
 * and cross-stream dependencies), so finishing an array only takes the lock
 * when somebody is waiting. */
static pthread_mutex_t finish_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finish_cond = PTHREAD_COND_INITIALIZER;
static _Atomic int finish_waiters;

void mxi_array_finish(mx_array *a, int status) {
    atomic_store_explicit(&a->status, status, memory_order_seq_cst);
    if (atomic_load_explicit(&finish_waiters, memory_order_seq_cst) > 0) {
        pthread_mutex_lock(&finish_lock);
        pthread_cond_broadcast(&finish_cond);
        pthread_mutex_unlock(&finish_lock);
    }
}

void mxi_array_wait_finished(const mx_array *a) {
    if (atomic_load_explicit(&a->status, memory_order_acquire) != MX_ARRAY_SCHEDULED) return;
    atomic_fetch_add_explicit(&finish_waiters, 1, memory_order_seq_cst);
    pthread_mutex_lock(&finish_lock);
    while (atomic_load_explicit(&a->status, memory_order_seq_cst) == MX_ARRAY_SCHEDULED)
        pthread_cond_wait(&finish_cond, &finish_lock);
    pthread_mutex_unlock(&finish_lock);
    atomic_fetch_sub_explicit(&finish_waiters, 1, memory_order_seq_cst);
}
