/*
 * A small process-wide cache of FFT plans. Building a plan costs about one
 * sincos per point, as much as the transform of a single line, so repeated
 * transforms of the same length reuse it. Plans are read-only once built and
 * reference-counted: the cache holds one reference, each user another, and
 * evicting (least recently used) only drops the cache's.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/error.h"
#include "fft_plan.h"

#define CACHE_SLOTS 16
/* Longer plans are built for each use (their memory is not kept). */
#define CACHE_MAX_N (1 << 20)

typedef struct cached {
    atomic_int refs;
    bool real;
    int64_t n;
    void *plan; /* mxi_fft_plan or mxi_fft_rplan */
} cached;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cached *slots[CACHE_SLOTS];
static uint64_t slot_used[CACHE_SLOTS];
static uint64_t tick;

static void drop(cached *c) {
    if (atomic_fetch_sub(&c->refs, 1) != 1) return;
    if (c->real)
        mxi_fft_rplan_free(c->plan);
    else
        mxi_fft_plan_free(c->plan);
    free(c);
}

static cached *lookup(bool real, int64_t n) {
    cached *hit = NULL;
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < CACHE_SLOTS; i++) {
        cached *c = slots[i];
        if (c && c->real == real && c->n == n) {
            atomic_fetch_add(&c->refs, 1);
            slot_used[i] = ++tick;
            hit = c;
            break;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

/* Puts c in the cache (taking a reference for it) unless the length is
 * already there. */
static void insert(cached *c) {
    cached *evicted = NULL;
    pthread_mutex_lock(&cache_lock);
    int victim = 0;
    bool present = false;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (slots[i] && slots[i]->real == c->real && slots[i]->n == c->n) present = true;
        if (!slots[i] || (slots[victim] && slot_used[i] < slot_used[victim])) victim = i;
    }
    if (!present) {
        evicted = slots[victim];
        atomic_fetch_add(&c->refs, 1);
        slots[victim] = c;
        slot_used[victim] = ++tick;
    }
    pthread_mutex_unlock(&cache_lock);
    if (evicted) drop(evicted);
}

static cached *get(bool real, int64_t n) {
    cached *c = n <= CACHE_MAX_N ? lookup(real, n) : NULL;
    if (c) return c;
    c = calloc(1, sizeof *c);
    if (!c) {
        mxi_error(MX_ERR_MEMORY, "[fft] out of memory for the transform plan");
        return NULL;
    }
    atomic_init(&c->refs, 1);
    c->real = real;
    c->n = n;
    c->plan = real ? (void *)mxi_fft_rplan_new(n) : (void *)mxi_fft_plan_new(n);
    if (!c->plan) {
        free(c);
        return NULL;
    }
    if (n <= CACHE_MAX_N) insert(c);
    return c;
}

mxi_fft_plan_ref mxi_fft_plan_get(int64_t n) {
    cached *c = get(false, n);
    return (mxi_fft_plan_ref){c ? c->plan : NULL, c};
}

mxi_fft_rplan_ref mxi_fft_rplan_get(int64_t n) {
    cached *c = get(true, n);
    return (mxi_fft_rplan_ref){c ? c->plan : NULL, c};
}

void mxi_fft_plan_release(void *handle) {
    if (handle) drop(handle);
}
