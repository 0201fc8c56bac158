/*
 * The caching allocator: size classes, per-class free lists, an age-ordered
 * list of all cached blocks for trimming, and MLX's memory figures and limits.
 *
 * Classes: multiples of 64 up to 256 bytes, then four steps per power of two,
 * so a block wastes at most a quarter of its size; from 16 KiB on every class
 * is a whole number of pages. Active and cache memory count class sizes, so
 * active + cache is what the allocator holds from the system.
 *
 * A cached block stores its list links in its own first bytes (every class is
 * at least 64 bytes), so caching needs no side allocation. One mutex guards
 * everything; calls into the system allocator happen outside it.
 */
#include "allocator.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cmlx/memory.h"
#include "error.h"

#define ALIGNMENT 64
#define SIZE_BITS (sizeof(size_t) * CHAR_BIT)
/* Larger requests would overflow the class arithmetic; nothing that big can
 * be backed anyway. */
#define MAX_REQUEST (SIZE_MAX / 4 + 1)
/* 4 classes up to 256 bytes, then 4 per power of two from 2^8 to MAX_REQUEST. */
#define NUM_CLASSES (4 + (SIZE_BITS - 10) * 4)
/* MLX's fallback when the machine's memory size is unknown. */
#define FALLBACK_MEMORY_LIMIT ((size_t)1 << 33)

typedef struct cached_block {
    struct cached_block *next, *prev;   /* same class, newest first */
    struct cached_block *newer, *older; /* all classes, by age */
    size_t cls;
} cached_block;

_Static_assert(sizeof(cached_block) <= ALIGNMENT, "a cached block must fit the smallest class");

static struct {
    pthread_mutex_t lock;
    bool initialized;
    size_t active, peak, cached;
    size_t memory_limit, cache_limit, wired_limit;
    cached_block *free_lists[NUM_CLASSES];
    cached_block *newest, *oldest;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- size classes ---- */

static inline size_t class_index(size_t n) {
    if (n <= 256) return n == 0 ? 0 : (n - 1) >> 6;
    size_t m = n - 1;
    unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)m);
    return 4 + (size_t)(k - 8) * 4 + ((m >> (k - 2)) & 3);
}

static inline size_t class_size(size_t cls) {
    if (cls < 4) return (cls + 1) * 64;
    size_t j = cls - 4;
    unsigned k = 8 + (unsigned)(j / 4);
    return (5 + (j & 3)) << (k - 2);
}

/* ---- defaults ---- */

static size_t physical_memory(void) {
    long pages = sysconf(_SC_PHYS_PAGES);
    long page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return 0;
    if ((unsigned long)pages > SIZE_MAX / (unsigned long)page) return SIZE_MAX;
    return (size_t)pages * (size_t)page;
}

/* MLX's CPU allocator takes 80% of physical memory as its memory limit. */
static void init_locked(void) {
    size_t phys = physical_memory();
    size_t limit = phys ? (size_t)(0.8 * (double)phys) : FALLBACK_MEMORY_LIMIT;
    g.memory_limit = limit;
    g.cache_limit = limit;
    g.initialized = true;
}

static inline void ensure_init_locked(void) {
    if (__builtin_expect(!g.initialized, 0)) init_locked();
}

/* ---- the cache (all under g.lock) ---- */

static inline void unlink_age(cached_block *b) {
    if (b->newer)
        b->newer->older = b->older;
    else
        g.newest = b->older;
    if (b->older)
        b->older->newer = b->newer;
    else
        g.oldest = b->newer;
}

static inline void unlink_class(cached_block *b) {
    if (b->prev)
        b->prev->next = b->next;
    else
        g.free_lists[b->cls] = b->next;
    if (b->next) b->next->prev = b->prev;
}

static inline void push_cached(cached_block *b, size_t cls) {
    b->cls = cls;
    b->prev = NULL;
    b->next = g.free_lists[cls];
    if (b->next) b->next->prev = b;
    g.free_lists[cls] = b;
    b->older = g.newest;
    b->newer = NULL;
    if (g.newest)
        g.newest->newer = b;
    else
        g.oldest = b;
    g.newest = b;
    g.cached += class_size(cls);
}

/* Takes the oldest cached blocks until cache memory is at most `target`;
 * returns them chained through `next` for freeing once the lock is dropped. */
static cached_block *evict_locked(size_t target) {
    cached_block *out = NULL;
    while (g.cached > target && g.oldest) {
        cached_block *b = g.oldest;
        unlink_age(b);
        unlink_class(b);
        g.cached -= class_size(b->cls);
        b->next = out;
        out = b;
    }
    return out;
}

static void release_to_system(cached_block *list) {
    while (list) {
        cached_block *next = list->next;
        free(list);
        list = next;
    }
}

/* ---- allocation ---- */

static void *fail_over_limit(size_t nbytes, size_t limit) {
    mxi_error(MX_ERR_MEMORY,
              "[malloc] cannot allocate %zu bytes: over the memory limit of %zu bytes", nbytes,
              limit);
    return NULL;
}

/* Large blocks are aligned to 2 MiB and offered to transparent huge pages:
 * streaming kernels then take far fewer TLB misses. */
#define HUGE_THRESHOLD ((size_t)4 << 20)
#define HUGE_ALIGN ((size_t)2 << 20)

static void *system_alloc(size_t size) {
    if (size < HUGE_THRESHOLD) return aligned_alloc(ALIGNMENT, size);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_ALIGN, size) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
}

void *mxi_alloc(size_t nbytes) {
    if (__builtin_expect(nbytes > MAX_REQUEST, 0)) {
        pthread_mutex_lock(&g.lock);
        ensure_init_locked();
        size_t limit = g.memory_limit;
        pthread_mutex_unlock(&g.lock);
        if (nbytes > limit) return fail_over_limit(nbytes, limit);
        mxi_error(MX_ERR_MEMORY,
                  "[malloc] cannot allocate %zu bytes: larger than the largest supported "
                  "allocation of %zu bytes",
                  nbytes, (size_t)MAX_REQUEST);
        return NULL;
    }
    size_t cls = class_index(nbytes);
    size_t size = class_size(cls);

    pthread_mutex_lock(&g.lock);
    ensure_init_locked();
    if (__builtin_expect(size > g.memory_limit || g.active > g.memory_limit - size, 0)) {
        /* Active memory is what the limit bounds, so emptying the cache
         * cannot make room; it still hands memory back to a system that is
         * evidently short of it. */
        size_t limit = g.memory_limit;
        cached_block *victims = evict_locked(0);
        pthread_mutex_unlock(&g.lock);
        release_to_system(victims);
        return fail_over_limit(nbytes, limit);
    }
    cached_block *b = g.free_lists[cls];
    if (b) {
        g.free_lists[cls] = b->next;
        if (b->next) b->next->prev = NULL;
        unlink_age(b);
        g.cached -= size;
        g.active += size;
        if (g.active > g.peak) g.peak = g.active;
        pthread_mutex_unlock(&g.lock);
        return b;
    }
    /* A miss grows what we hold from the system: keep active + cache within
     * the memory limit by dropping the oldest cached blocks. */
    cached_block *victims = NULL;
    size_t room = g.memory_limit - g.active - size;
    if (g.cached > room) victims = evict_locked(room);
    size_t peak_before = g.peak;
    g.active += size;
    size_t reserved_peak = g.active;
    if (g.active > g.peak) g.peak = g.active;
    pthread_mutex_unlock(&g.lock);
    release_to_system(victims);

    void *p = system_alloc(size);
    if (!p) {
        /* The system may be out only because of what we keep cached. */
        pthread_mutex_lock(&g.lock);
        victims = evict_locked(0);
        pthread_mutex_unlock(&g.lock);
        if (victims) {
            release_to_system(victims);
            p = system_alloc(size);
        }
    }
    if (!p) {
        pthread_mutex_lock(&g.lock);
        g.active -= size;
        /* A refused request never existed: undo the peak it set, unless
         * other allocations have moved the peak since. */
        if (g.peak == reserved_peak && reserved_peak > peak_before)
            g.peak = peak_before > g.active ? peak_before : g.active;
        pthread_mutex_unlock(&g.lock);
        mxi_error(MX_ERR_MEMORY, "[malloc] cannot allocate %zu bytes: the system is out of memory",
                  nbytes);
        return NULL;
    }
    return p;
}

size_t mxi_alloc_size(size_t nbytes) {
    return nbytes > MAX_REQUEST ? nbytes : class_size(class_index(nbytes));
}

void mxi_free(void *ptr, size_t nbytes) {
    if (!ptr) return;
    size_t cls = class_index(nbytes);
    size_t size = class_size(cls);
    pthread_mutex_lock(&g.lock);
    g.active -= size;
    if (size > g.cache_limit) {
        pthread_mutex_unlock(&g.lock);
        free(ptr);
        return;
    }
    cached_block *victims = NULL;
    if (g.cached > g.cache_limit - size) victims = evict_locked(g.cache_limit - size);
    push_cached(ptr, cls);
    pthread_mutex_unlock(&g.lock);
    release_to_system(victims);
}

/* ---- the public memory API ---- */

size_t mx_get_active_memory(void) {
    pthread_mutex_lock(&g.lock);
    size_t v = g.active;
    pthread_mutex_unlock(&g.lock);
    return v;
}

size_t mx_get_peak_memory(void) {
    pthread_mutex_lock(&g.lock);
    size_t v = g.peak;
    pthread_mutex_unlock(&g.lock);
    return v;
}

/* MLX resets the peak to 0, not to the active memory (its test-suite checks
 * this); the next allocation brings it back up. */
void mx_reset_peak_memory(void) {
    pthread_mutex_lock(&g.lock);
    g.peak = 0;
    pthread_mutex_unlock(&g.lock);
}

size_t mx_get_cache_memory(void) {
    pthread_mutex_lock(&g.lock);
    size_t v = g.cached;
    pthread_mutex_unlock(&g.lock);
    return v;
}

size_t mx_get_memory_limit(void) {
    pthread_mutex_lock(&g.lock);
    ensure_init_locked();
    size_t v = g.memory_limit;
    pthread_mutex_unlock(&g.lock);
    return v;
}

size_t mx_set_memory_limit(size_t limit) {
    pthread_mutex_lock(&g.lock);
    ensure_init_locked();
    size_t old = g.memory_limit;
    g.memory_limit = limit;
    pthread_mutex_unlock(&g.lock);
    return old;
}

size_t mx_set_cache_limit(size_t limit) {
    pthread_mutex_lock(&g.lock);
    ensure_init_locked();
    size_t old = g.cache_limit;
    g.cache_limit = limit;
    cached_block *victims = evict_locked(limit);
    pthread_mutex_unlock(&g.lock);
    release_to_system(victims);
    return old;
}

size_t mx_set_wired_limit(size_t limit) {
    pthread_mutex_lock(&g.lock);
    size_t old = g.wired_limit;
    g.wired_limit = limit;
    pthread_mutex_unlock(&g.lock);
    return old;
}

void mx_clear_cache(void) {
    pthread_mutex_lock(&g.lock);
    cached_block *victims = evict_locked(0);
    pthread_mutex_unlock(&g.lock);
    release_to_system(victims);
}
