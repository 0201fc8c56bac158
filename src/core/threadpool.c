/*
 * The intra-op pool. One job runs at a time; a caller that finds the pool
 * taken runs its loop alone rather than queueing, so stream threads never
 * wait on each other here.
 *
 * A job is a set of chunk indices claimed with one atomic counter, so workers
 * that wake late (or never, e.g. in a forked child) only mean the caller does
 * more of the chunks itself. The job's fields are plain memory: a worker may
 * read them only while it holds a reference taken while the job was open, and
 * the caller closes the job and waits for the references to drop before it
 * returns, so the next job cannot overwrite fields someone is still reading.
 *
 * Idle workers spin for a short while before sleeping, so back-to-back ops do
 * not pay a wake-up each; the two sleep/wake hand-offs use the store-then-load
 * pattern on seq_cst atomics plus a mutex, so no wake-up can be lost.
 */
#include "threadpool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Chunks per thread: a few, so a thread that is descheduled or slow holds up
 * only a small part of the loop. */
#define CHUNKS_PER_THREAD 4
#define MAX_THREADS       1024
/* How long an idle worker (or a caller waiting for the last chunks) polls
 * before blocking: long enough to span the gap between consecutive ops. */
#define SPIN_NS 100000
/* Polls between clock reads and sched_yield calls while spinning. */
#define SPIN_BATCH 64

/* state: generation << 1 | open. Only a caller holding dispatch_mu writes it. */
static alignas(64) _Atomic uint64_t state;
/* The next chunk index to hand out. */
static alignas(64) _Atomic int64_t next_chunk;
/* Workers inside the current job (see the file comment). */
static alignas(64) _Atomic int refs;
static _Atomic int caller_waiting;
/* Workers blocked (or about to block) on wake_cv. */
static alignas(64) _Atomic int sleepers;
static _Atomic int stopping;
/* Threads the pool uses, caller included; what mxi_num_threads reports. */
static _Atomic int pool_size = 1;
/* Set in a forked child: the workers did not survive the fork. */
static _Atomic int respawn_size;

/* The current job; written only while no worker can be reading it. */
static mxi_range_fn job_fn;
static void *job_ctx;
static int64_t job_chunks, job_base, job_rem;

/* Held by the caller running a job, and by a resize. */
static pthread_mutex_t dispatch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;

/* Guarded by dispatch_mu. */
static pthread_t *workers;
static int nworkers;

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* Set on pool workers, and on a caller while it runs a job's chunks: a
 * parallel_for from such a thread runs inline instead of waiting on itself. */
static _Thread_local int in_pool;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int parse_threads(const char *s) {
    if (!s || !*s) return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end != '\0' || v < 1) return 0;
    return v > MAX_THREADS ? MAX_THREADS : (int)v;
}

/* CPUs this process may run on (the affinity mask honours taskset and
 * container CPU sets, which the online count does not). */
static int cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    int n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
    if (n < 1) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 0 ? (int)(online > MAX_THREADS ? MAX_THREADS : online) : 1;
    }
    return n > MAX_THREADS ? MAX_THREADS : n;
}

static int default_size(void) {
    int env = parse_threads(getenv("CMLX_NUM_THREADS"));
    return env ? env : cpu_count();
}

static int64_t chunk_begin(int64_t i) {
    return i * job_base + (i < job_rem ? i : job_rem);
}

static void run_chunks(void) {
    for (;;) {
        int64_t i = atomic_fetch_add_explicit(&next_chunk, 1, memory_order_relaxed);
        if (i >= job_chunks) return;
        job_fn(job_ctx, chunk_begin(i), chunk_begin(i + 1));
    }
}

static int is_new_job(uint64_t s, uint64_t seen) {
    return (s & 1) && s != seen;
}

/* Returns the state of an open job other than `seen`, or 0 when the pool is
 * being stopped. A wake-up, even one that finds the job already over, starts
 * a new spin: another job usually follows soon. */
static uint64_t wait_for_job(uint64_t seen) {
    for (;;) {
        int64_t start = now_ns();
        for (unsigned i = 1;; i++) {
            uint64_t s = atomic_load(&state);
            if (is_new_job(s, seen)) return s;
            if (atomic_load_explicit(&stopping, memory_order_relaxed)) return 0;
            cpu_relax();
            if (i % SPIN_BATCH == 0) {
                if (now_ns() - start > SPIN_NS) break;
                sched_yield();
            }
        }
        pthread_mutex_lock(&sleep_mu);
        atomic_fetch_add(&sleepers, 1);
        uint64_t s = atomic_load(&state);
        int stop = atomic_load(&stopping);
        if (!is_new_job(s, seen) && !stop) pthread_cond_wait(&wake_cv, &sleep_mu);
        atomic_fetch_sub(&sleepers, 1);
        pthread_mutex_unlock(&sleep_mu);
        if (stop) return 0;
        if (is_new_job(s, seen)) return s;
    }
}

static void *worker_main(void *arg) {
    (void)arg;
    in_pool = 1;
    uint64_t seen = 0;
    for (;;) {
        uint64_t s = wait_for_job(seen);
        if (!s) return NULL;
        seen = s;
        atomic_fetch_add(&refs, 1);
        /* Still the same open job: its caller has not closed it, so it will
         * wait for this reference before the fields can change. */
        if (atomic_load(&state) == s) run_chunks();
        atomic_fetch_sub(&refs, 1);
        if (atomic_load(&caller_waiting)) {
            pthread_mutex_lock(&done_mu);
            pthread_cond_broadcast(&done_cv);
            pthread_mutex_unlock(&done_mu);
        }
    }
}

/* Caller holds dispatch_mu (or is the one-time init). */
static void start_workers(int count) {
    workers = count > 0 ? malloc((size_t)count * sizeof *workers) : NULL;
    nworkers = 0;
    if (workers) {
        /* Workers inherit a full signal mask, so process signals (Ctrl-C in
         * Python) go to the application's own threads. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        for (int i = 0; i < count; i++) {
            if (pthread_create(&workers[nworkers], NULL, worker_main, NULL) != 0) break;
            pthread_setname_np(workers[nworkers], "cmlx-pool");
            nworkers++;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    atomic_store(&pool_size, nworkers + 1);
}

/* Caller holds dispatch_mu; no job is in flight. */
static void stop_workers(void) {
    atomic_store(&stopping, 1);
    pthread_mutex_lock(&sleep_mu);
    pthread_cond_broadcast(&wake_cv);
    pthread_mutex_unlock(&sleep_mu);
    for (int i = 0; i < nworkers; i++) pthread_join(workers[i], NULL);
    free(workers);
    workers = NULL;
    nworkers = 0;
    atomic_store(&stopping, 0);
    atomic_store(&pool_size, 1);
}

/* Only the forking thread exists in the child: forget the workers (their
 * memory stays with the process) and rebuild the pool on its next use. */
static void after_fork_child(void) {
    pthread_mutex_init(&dispatch_mu, NULL);
    pthread_mutex_init(&sleep_mu, NULL);
    pthread_cond_init(&wake_cv, NULL);
    pthread_mutex_init(&done_mu, NULL);
    pthread_cond_init(&done_cv, NULL);
    int size = atomic_load(&pool_size);
    workers = NULL;
    nworkers = 0;
    atomic_store(&refs, 0);
    atomic_store(&sleepers, 0);
    atomic_store(&caller_waiting, 0);
    atomic_store(&stopping, 0);
    atomic_store(&state, atomic_load(&state) & ~(uint64_t)1);
    atomic_store(&respawn_size, size);
    atomic_store(&pool_size, size);
}

static void pool_init(void) {
    pthread_atfork(NULL, NULL, after_fork_child);
    start_workers(default_size() - 1);
}

int mxi_num_threads(void) {
    pthread_once(&pool_once, pool_init);
    return atomic_load_explicit(&pool_size, memory_order_relaxed);
}

void mxi_set_num_threads(int n) {
    pthread_once(&pool_once, pool_init);
    /* Joining the pool from inside one of its jobs would wait on itself. */
    if (in_pool) return;
    if (n < 1) n = default_size();
    if (n > MAX_THREADS) n = MAX_THREADS;
    pthread_mutex_lock(&dispatch_mu);
    atomic_store(&respawn_size, 0);
    stop_workers();
    start_workers(n - 1);
    pthread_mutex_unlock(&dispatch_mu);
}

/* Waits until no worker holds a reference to the (closed) job: spins first,
 * since the other threads are usually finishing their last chunk. */
static void wait_for_workers(void) {
    int64_t start = now_ns();
    for (unsigned i = 1; atomic_load(&refs) != 0; i++) {
        cpu_relax();
        if (i % SPIN_BATCH == 0) {
            if (now_ns() - start > SPIN_NS) break;
            /* the worker we wait for may be queued behind us on this CPU */
            sched_yield();
        }
    }
    if (atomic_load(&refs) == 0) return;
    pthread_mutex_lock(&done_mu);
    atomic_store(&caller_waiting, 1);
    while (atomic_load(&refs) != 0) pthread_cond_wait(&done_cv, &done_mu);
    atomic_store(&caller_waiting, 0);
    pthread_mutex_unlock(&done_mu);
}

void mxi_parallel_for(int64_t n, int64_t grain, mxi_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int threads = mxi_num_threads();
    if (n <= grain || threads <= 1 || in_pool) {
        fn(ctx, 0, n);
        return;
    }
    int64_t chunks = n / grain;
    if (chunks > (int64_t)threads * CHUNKS_PER_THREAD)
        chunks = (int64_t)threads * CHUNKS_PER_THREAD;
    if (chunks < 2 || pthread_mutex_trylock(&dispatch_mu) != 0) {
        fn(ctx, 0, n);
        return;
    }
    int respawn = atomic_load_explicit(&respawn_size, memory_order_relaxed);
    if (respawn) {
        atomic_store(&respawn_size, 0);
        start_workers(respawn - 1);
    }
    if (nworkers == 0) {
        pthread_mutex_unlock(&dispatch_mu);
        fn(ctx, 0, n);
        return;
    }

    job_fn = fn;
    job_ctx = ctx;
    job_chunks = chunks;
    job_base = n / chunks;
    job_rem = n % chunks;
    atomic_store_explicit(&next_chunk, 0, memory_order_relaxed);
    uint64_t open = (((atomic_load_explicit(&state, memory_order_relaxed) >> 1) + 1) << 1) | 1;
    atomic_store(&state, open);
    if (atomic_load(&sleepers) != 0) {
        pthread_mutex_lock(&sleep_mu);
        pthread_cond_broadcast(&wake_cv);
        pthread_mutex_unlock(&sleep_mu);
    }

    in_pool = 1;
    run_chunks();
    in_pool = 0;

    /* Every chunk is claimed: late workers need not join any more. */
    atomic_store(&state, open & ~(uint64_t)1);
    wait_for_workers();
    pthread_mutex_unlock(&dispatch_mu);
}
