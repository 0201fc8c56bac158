/*
 * The caching allocator, the memory API and data buffers. Every test puts the
 * limits and the cache back as it found them, so tests do not interact.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "core/allocator.h"
#include "core/array_impl.h"

/* The absurd-size tests expect a NULL from the system allocator rather than a
 * sanitizer report. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
    return "allocator_may_return_null=1";
}
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) {
    return "allocator_may_return_null=1";
}

static size_t saved_memory_limit, saved_cache_limit;

static void save_limits(void) {
    saved_memory_limit = mx_get_memory_limit();
    saved_cache_limit = mx_set_cache_limit(mx_get_memory_limit());
    mx_set_cache_limit(saved_cache_limit);
    mx_clear_cache();
}

static void restore_limits(void) {
    mx_set_memory_limit(saved_memory_limit);
    mx_set_cache_limit(saved_cache_limit);
    mx_clear_cache();
}

/* Bytes the allocator reserves for a request, seen through active memory. */
static size_t reserved_for(size_t n) {
    size_t before = mx_get_active_memory();
    void *p = mxi_alloc(n);
    size_t delta = mx_get_active_memory() - before;
    mxi_free(p, n);
    return delta;
}

TEST(test_reuse_same_pointer) {
    save_limits();
    size_t active0 = mx_get_active_memory();
    CHECK(mx_get_cache_memory() == 0);

    void *p = mxi_alloc(1000);
    CHECK(p != NULL);
    size_t reserved = mx_get_active_memory() - active0;
    CHECK(reserved >= 1000 && reserved <= 1250);
    mxi_free(p, 1000);
    CHECK(mx_get_active_memory() == active0);
    CHECK(mx_get_cache_memory() == reserved);

    void *q = mxi_alloc(1000);
    CHECK(q == p);
    CHECK(mx_get_cache_memory() == 0);
    CHECK(mx_get_active_memory() == active0 + reserved);
    mxi_free(q, 1000);

    /* A different request of the same class reuses the block too. */
    void *r = mxi_alloc(reserved);
    CHECK(r == p);
    mxi_free(r, reserved);

    /* A request of another class does not. */
    void *s = mxi_alloc(100000);
    CHECK(s != p);
    CHECK(mx_get_cache_memory() == reserved);
    mxi_free(s, 100000);
    mxi_free(NULL, 123); /* a no-op */
    CHECK(mx_get_active_memory() == active0);
    restore_limits();
}

TEST(test_alignment_and_bounds) {
    save_limits();
    size_t sizes[] = {1, 3, 63, 64, 65, 100, 255, 256, 257, 1000, 4095, 4097, 65536, 1 << 20};
    void *ptrs[sizeof sizes / sizeof sizes[0]];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        ptrs[i] = mxi_alloc(sizes[i]);
        CHECK(ptrs[i] != NULL);
        CHECK(((uintptr_t)ptrs[i] & 63) == 0);
        memset(ptrs[i], (int)i, sizes[i]); /* the whole request is usable */
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *c = ptrs[i];
        CHECK(c[0] == (unsigned char)i && c[sizes[i] - 1] == (unsigned char)i);
        mxi_free(ptrs[i], sizes[i]);
    }
    restore_limits();
}

TEST(test_size_classes_bound_waste) {
    save_limits();
    mx_set_cache_limit(0); /* keep the cache out of the figures */
    size_t prev = 0;
    for (size_t n = 1; n <= ((size_t)1 << 22); n = n < 4096 ? n + 7 : n * 5 / 4 + 3) {
        size_t r = reserved_for(n);
        CHECK(r >= n);
        CHECK(r % 64 == 0);
        CHECK(r <= 64 || r - n < n / 4 + 64);
        if (n > 16384) CHECK(r % 4096 == 0);
        CHECK(r >= prev); /* classes grow with the request */
        prev = r;
    }
    CHECK(reserved_for(64) == 64);
    CHECK(reserved_for(65) == 128);
    CHECK(reserved_for(4096) == 4096);
    CHECK(reserved_for((size_t)1 << 20) == (size_t)1 << 20);
    restore_limits();
}

TEST(test_zero_bytes) {
    save_limits();
    size_t active0 = mx_get_active_memory();
    void *a = mxi_alloc(0), *b = mxi_alloc(0);
    CHECK(a != NULL && b != NULL && a != b);
    CHECK(((uintptr_t)a & 63) == 0);
    mxi_free(a, 0);
    mxi_free(b, 0);
    CHECK(mx_get_active_memory() == active0);

    mxi_buffer *buf = mxi_buffer_new(0);
    CHECK(buf != NULL && buf->ptr != NULL && buf->nbytes == 0);
    mxi_buffer_release(buf);
    CHECK(mx_get_active_memory() == active0);
    restore_limits();
}

TEST(test_accounting) {
    save_limits();
    size_t active0 = mx_get_active_memory();
    size_t a_n = 4096 * 4, b_n = 4096 * 8;
    void *a = mxi_alloc(a_n);
    CHECK(mx_get_active_memory() == active0 + a_n);
    CHECK(mx_get_peak_memory() >= active0 + a_n);
    void *b = mxi_alloc(b_n);
    CHECK(mx_get_active_memory() == active0 + a_n + b_n);
    size_t peak = mx_get_peak_memory();
    CHECK(peak >= active0 + a_n + b_n);

    mxi_free(b, b_n);
    CHECK(mx_get_active_memory() == active0 + a_n);
    CHECK(mx_get_cache_memory() == b_n);
    CHECK(mx_get_peak_memory() == peak); /* peak does not fall on free */

    mxi_free(a, a_n);
    CHECK(mx_get_active_memory() == active0);
    CHECK(mx_get_cache_memory() == a_n + b_n);

    mx_clear_cache();
    CHECK(mx_get_cache_memory() == 0);
    CHECK(mx_get_active_memory() == active0);
    restore_limits();
}

TEST(test_reset_peak) {
    save_limits();
    void *keep = mxi_alloc(8192);
    void *big = mxi_alloc((size_t)1 << 20);
    mxi_free(big, (size_t)1 << 20);
    CHECK(mx_get_peak_memory() >= mx_get_active_memory() + ((size_t)1 << 20));

    /* As MLX: the peak drops to 0 and the next allocation raises it to the
     * active memory again. */
    mx_reset_peak_memory();
    CHECK(mx_get_peak_memory() == 0);
    void *small = mxi_alloc(64);
    CHECK(mx_get_peak_memory() == mx_get_active_memory());
    mxi_free(small, 64);
    mxi_free(keep, 8192);
    restore_limits();
}

TEST(test_cache_limit_trims_oldest) {
    save_limits();
    size_t n = 4096;
    CHECK(mx_set_cache_limit(2 * n) == saved_cache_limit);
    void *p[4];
    for (int i = 0; i < 4; i++) p[i] = mxi_alloc(n);
    for (int i = 0; i < 4; i++) {
        mxi_free(p[i], n);
        CHECK(mx_get_cache_memory() <= 2 * n);
    }
    CHECK(mx_get_cache_memory() == 2 * n);
    /* The two most recently freed blocks stayed, newest handed out first. */
    void *q0 = mxi_alloc(n), *q1 = mxi_alloc(n);
    CHECK(q0 == p[3]);
    CHECK(q1 == p[2]);
    CHECK(mx_get_cache_memory() == 0);
    mxi_free(q1, n);
    mxi_free(q0, n);

    /* Lowering the limit trims at once. */
    CHECK(mx_get_cache_memory() == 2 * n);
    CHECK(mx_set_cache_limit(n) == 2 * n);
    CHECK(mx_get_cache_memory() == n);

    /* A block larger than the cache limit goes straight back. */
    void *big = mxi_alloc(4 * n);
    mxi_free(big, 4 * n);
    CHECK(mx_get_cache_memory() == n);
    restore_limits();
}

TEST(test_cache_limit_zero) {
    save_limits();
    CHECK(mx_set_cache_limit(0) == saved_cache_limit);
    size_t active0 = mx_get_active_memory();
    void *a = mxi_alloc(4096 * 4);
    mxi_free(a, 4096 * 4);
    CHECK(mx_get_cache_memory() == 0);
    CHECK(mx_get_active_memory() == active0);
    CHECK(mx_set_cache_limit(saved_cache_limit) == 0);
    CHECK(mx_set_cache_limit(saved_cache_limit) == saved_cache_limit);
    restore_limits();
}

TEST(test_clear_cache) {
    save_limits();
    void *p[8];
    for (int i = 0; i < 8; i++) p[i] = mxi_alloc((size_t)(i + 1) * 1000);
    for (int i = 0; i < 8; i++) mxi_free(p[i], (size_t)(i + 1) * 1000);
    CHECK(mx_get_cache_memory() >= 36000);
    mx_clear_cache();
    CHECK(mx_get_cache_memory() == 0);
    mx_clear_cache(); /* clearing an empty cache is fine */
    CHECK(mx_get_cache_memory() == 0);
    restore_limits();
}

TEST(test_default_limits) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t phys = (size_t)pages * (size_t)page;
    /* MLX's CPU default: 80% of physical memory. */
    CHECK(mx_get_memory_limit() == (size_t)(0.8 * (double)phys));
    size_t limit = mx_get_memory_limit();
    CHECK(mx_set_memory_limit(10) == limit);
    CHECK(mx_get_memory_limit() == 10);
    CHECK(mx_set_memory_limit(limit) == 10);
    CHECK(mx_set_memory_limit(limit) == limit);

    size_t wired = mx_set_wired_limit(1000);
    CHECK(wired == 0);
    CHECK(mx_set_wired_limit(wired) == 1000);
}

TEST(test_memory_limit_exceeded) {
    save_limits();
    size_t active0 = mx_get_active_memory();
    size_t mib = (size_t)1 << 20;

    /* Something in the cache, to see the failure empty it. */
    void *c = mxi_alloc(4096);
    mxi_free(c, 4096);
    CHECK(mx_get_cache_memory() == 4096);

    size_t limit = active0 + mib;
    CHECK(mx_set_memory_limit(limit) == saved_memory_limit);
    mx_clear_error();
    void *p = mxi_alloc(2 * mib);
    CHECK(p == NULL);
    CHECK(mx_last_error_code() == MX_ERR_MEMORY);
    char want[160];
    snprintf(want, sizeof want,
             "[malloc] cannot allocate %zu bytes: over the memory limit of %zu bytes", 2 * mib,
             limit);
    CHECK(strcmp(mx_last_error(), want) == 0);
    CHECK(mx_get_cache_memory() == 0);
    CHECK(mx_get_active_memory() == active0);

    /* Right up to the limit still works, one byte more does not. */
    void *full = mxi_alloc(mib);
    CHECK(full != NULL);
    mx_clear_error();
    CHECK(mxi_alloc(1) == NULL);
    CHECK(mx_last_error_code() == MX_ERR_MEMORY);
    mxi_free(full, mib);

    /* A cache hit counts against the limit like any other allocation. */
    CHECK(mx_set_memory_limit(active0 + 4096) == limit);
    void *a = mxi_alloc(4096);
    CHECK(a != NULL);
    mxi_free(a, 4096);
    CHECK(mx_get_cache_memory() == 4096);
    mx_set_memory_limit(active0 + 4095);
    CHECK(mxi_alloc(4096) == NULL);
    CHECK(mx_get_cache_memory() == 0);

    /* A miss drops cached blocks so that active + cache stays within the
     * limit. */
    mx_set_memory_limit(active0 + 64 * 1024);
    void *b = mxi_alloc(32 * 1024);
    mxi_free(b, 32 * 1024);
    CHECK(mx_get_cache_memory() == 32 * 1024);
    void *d = mxi_alloc(48 * 1024);
    CHECK(d != NULL);
    CHECK(mx_get_cache_memory() == 0);
    CHECK(mx_get_active_memory() == active0 + 48 * 1024);
    mxi_free(d, 48 * 1024);

    /* A buffer fails the same way, and the allocator works afterwards. */
    mx_set_memory_limit(active0 + 4096);
    mx_clear_error();
    CHECK(mxi_buffer_new(1 << 20) == NULL);
    CHECK(mx_last_error_code() == MX_ERR_MEMORY);
    CHECK(strstr(mx_last_error(), "over the memory limit") != NULL);

    CHECK(mx_set_memory_limit(saved_memory_limit) == active0 + 4096);
    void *ok = mxi_alloc(2 * mib);
    CHECK(ok != NULL);
    CHECK(mx_get_active_memory() == active0 + 2 * mib);
    mxi_free(ok, 2 * mib);
    CHECK(mx_get_active_memory() == active0);
    restore_limits();
}

TEST(test_absurd_sizes) {
    save_limits();
    size_t active0 = mx_get_active_memory();
    mx_reset_peak_memory();
    void *warm = mxi_alloc(64);
    mxi_free(warm, 64);
    size_t peak0 = mx_get_peak_memory();

    size_t huge[] = {(size_t)1 << 60, SIZE_MAX, SIZE_MAX - 63, SIZE_MAX / 2 + 1, (size_t)1 << 62};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        mx_clear_error();
        CHECK(mxi_alloc(huge[i]) == NULL);
        CHECK(mx_last_error_code() == MX_ERR_MEMORY);
        CHECK(strstr(mx_last_error(), "over the memory limit") != NULL);
        CHECK(mx_get_active_memory() == active0);
    }

    /* Without a limit the system refuses instead, or the size cannot be
     * represented at all. */
    mx_set_memory_limit(SIZE_MAX);
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        mx_clear_error();
        CHECK(mxi_alloc(huge[i]) == NULL);
        CHECK(mx_last_error_code() == MX_ERR_MEMORY);
        CHECK(strncmp(mx_last_error(), "[malloc] cannot allocate ", 25) == 0);
        CHECK(mx_get_active_memory() == active0);
        CHECK(mx_get_peak_memory() == peak0); /* a refused request leaves no peak */
    }
    mx_clear_error();
    CHECK(mxi_buffer_new(SIZE_MAX) == NULL);
    CHECK(mx_last_error_code() == MX_ERR_MEMORY);

    void *ok = mxi_alloc(1000);
    CHECK(ok != NULL);
    mxi_free(ok, 1000);
    CHECK(mx_get_active_memory() == active0);
    restore_limits();
}

TEST(test_buffer_new) {
    save_limits();
    size_t active0 = mx_get_active_memory();
    mxi_buffer *b = mxi_buffer_new(1000);
    CHECK(b != NULL);
    CHECK(atomic_load(&b->refcount) == 1);
    CHECK(b->nbytes == 1000 && !b->borrowed && b->deleter == NULL);
    CHECK(((uintptr_t)b->ptr & 63) == 0);
    CHECK(mx_get_active_memory() >= active0 + 1000);
    memset(b->ptr, 7, 1000);

    mxi_buffer_retain(b);
    CHECK(atomic_load(&b->refcount) == 2);
    mxi_buffer_release(b);
    CHECK(atomic_load(&b->refcount) == 1);
    CHECK(mx_get_active_memory() >= active0 + 1000);
    void *ptr = b->ptr;
    mxi_buffer_release(b);
    CHECK(mx_get_active_memory() == active0);

    /* Its memory went to the cache and comes back for the next buffer. */
    mxi_buffer *c = mxi_buffer_new(1000);
    CHECK(c != NULL && c->ptr == ptr);
    mxi_buffer_release(c);
    mxi_buffer_release(NULL);
    mxi_buffer_retain(NULL);
    restore_limits();
}

static int deleter_calls;
static void *deleter_seen;
static void count_deleter(void *ctx) {
    deleter_calls++;
    deleter_seen = ctx;
}

TEST(test_buffer_borrow) {
    save_limits();
    size_t active0 = mx_get_active_memory(), cache0 = mx_get_cache_memory();
    /* Stack memory: the sanitizer would report any attempt to free it. */
    float data[16];
    for (int i = 0; i < 16; i++) data[i] = (float)i;
    int ctx_token;
    deleter_calls = 0;
    deleter_seen = NULL;

    mxi_buffer *b = mxi_buffer_borrow(data, sizeof data, count_deleter, &ctx_token);
    CHECK(b != NULL);
    CHECK(b->borrowed && b->ptr == data && b->nbytes == sizeof data);
    CHECK(atomic_load(&b->refcount) == 1);
    CHECK(mx_get_active_memory() == active0); /* not the allocator's memory */

    mxi_buffer_retain(b);
    mxi_buffer_retain(b);
    mxi_buffer_release(b);
    mxi_buffer_release(b);
    CHECK(deleter_calls == 0);
    mxi_buffer_release(b);
    CHECK(deleter_calls == 1);
    CHECK(deleter_seen == &ctx_token);
    CHECK(mx_get_active_memory() == active0);
    CHECK(mx_get_cache_memory() == cache0);
    for (int i = 0; i < 16; i++) CHECK(data[i] == (float)i);

    /* No deleter: nothing is called and nothing freed. */
    mxi_buffer *n = mxi_buffer_borrow(data, sizeof data, NULL, NULL);
    CHECK(n != NULL);
    mxi_buffer_release(n);
    CHECK(deleter_calls == 1);

    /* Memory the caller got from malloc goes back through its deleter. */
    void *heap = malloc(256);
    deleter_calls = 0;
    mxi_buffer *h = mxi_buffer_borrow(heap, 256, free, heap);
    mxi_buffer_release(h);
    CHECK(mx_get_cache_memory() == cache0);
    restore_limits();
}

/* ---- threads ---- */

enum { STRESS_THREADS = 4, STRESS_SLOTS = 32, STRESS_ITERS = 20000 };

typedef struct {
    int id;
    int errors;
} stress_arg;

static uint64_t xorshift(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t random_size(uint64_t *s) {
    uint64_t r = xorshift(s);
    switch (r & 3) {
    case 0:
        return 0;
    case 1:
        return (size_t)(r >> 8) % 256;
    case 2:
        return (size_t)(r >> 8) % 8192;
    default:
        return (size_t)(r >> 8) % 300000;
    }
}

static void *stress_worker(void *p) {
    stress_arg *arg = p;
    uint64_t seed = 0x9E3779B97F4A7C15ull * (uint64_t)(arg->id + 1);
    unsigned char *ptrs[STRESS_SLOTS] = {0};
    size_t sizes[STRESS_SLOTS] = {0};
    unsigned char tag = (unsigned char)(arg->id + 1);
    for (int it = 0; it < STRESS_ITERS; it++) {
        int slot = (int)(xorshift(&seed) % STRESS_SLOTS);
        if (ptrs[slot]) {
            /* Another thread writing into this block would show here. */
            if (sizes[slot] && (ptrs[slot][0] != tag || ptrs[slot][sizes[slot] - 1] != tag))
                arg->errors++;
            mxi_free(ptrs[slot], sizes[slot]);
            ptrs[slot] = NULL;
        } else {
            size_t n = random_size(&seed);
            ptrs[slot] = mxi_alloc(n);
            if (!ptrs[slot] || ((uintptr_t)ptrs[slot] & 63)) {
                arg->errors++;
                continue;
            }
            sizes[slot] = n;
            if (n) ptrs[slot][0] = ptrs[slot][n - 1] = tag;
        }
        /* Also exercise trimming, clearing and the figures concurrently. */
        if (arg->id == 0 && it % 997 == 0) mx_clear_cache();
        if (arg->id == 1 && it % 1009 == 0) mx_set_cache_limit(it % 2 ? (size_t)1 << 20 : 0);
        if (arg->id == 1 && it % 1013 == 0) mx_set_cache_limit(saved_cache_limit);
        if (arg->id == 2 && it % 101 == 0) (void)mx_get_peak_memory();
    }
    for (int i = 0; i < STRESS_SLOTS; i++) mxi_free(ptrs[i], sizes[i]);
    return NULL;
}

TEST(test_threads_stress) {
    save_limits();
    size_t active0 = mx_get_active_memory();
    pthread_t threads[STRESS_THREADS];
    stress_arg args[STRESS_THREADS];
    for (int i = 0; i < STRESS_THREADS; i++) {
        args[i] = (stress_arg){.id = i};
        CHECK(pthread_create(&threads[i], NULL, stress_worker, &args[i]) == 0);
    }
    for (int i = 0; i < STRESS_THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(args[i].errors == 0);
    }
    CHECK(mx_get_active_memory() == active0);
    CHECK(mx_get_peak_memory() >= active0);
    mx_set_cache_limit(saved_cache_limit);
    CHECK(mx_get_cache_memory() <= saved_cache_limit);
    mx_clear_cache();
    CHECK(mx_get_cache_memory() == 0);
    restore_limits();
}

typedef struct {
    mxi_buffer *buf;
    int rounds;
} share_arg;

static void *share_worker(void *p) {
    share_arg *a = p;
    for (int i = 0; i < a->rounds; i++) {
        mxi_buffer_retain(a->buf);
        mxi_buffer_release(a->buf);
    }
    mxi_buffer_release(a->buf); /* each thread drops the reference it was given */
    return NULL;
}

static atomic_int shared_deleter_calls;
static void shared_deleter(void *ctx) {
    (void)ctx;
    atomic_fetch_add(&shared_deleter_calls, 1);
}

TEST(test_buffer_refcount_threads) {
    static int memory[64];
    atomic_store(&shared_deleter_calls, 0);
    mxi_buffer *b = mxi_buffer_borrow(memory, sizeof memory, shared_deleter, NULL);
    CHECK(b != NULL);
    pthread_t threads[STRESS_THREADS];
    share_arg arg = {b, 20000};
    for (int i = 0; i < STRESS_THREADS; i++) mxi_buffer_retain(b);
    mxi_buffer_release(b);
    for (int i = 0; i < STRESS_THREADS; i++) pthread_create(&threads[i], NULL, share_worker, &arg);
    for (int i = 0; i < STRESS_THREADS; i++) pthread_join(threads[i], NULL);
    CHECK(atomic_load(&shared_deleter_calls) == 1);
}

int main(void) {
    RUN(test_reuse_same_pointer);
    RUN(test_alignment_and_bounds);
    RUN(test_size_classes_bound_waste);
    RUN(test_zero_bytes);
    RUN(test_accounting);
    RUN(test_reset_peak);
    RUN(test_cache_limit_trims_oldest);
    RUN(test_cache_limit_zero);
    RUN(test_clear_cache);
    RUN(test_default_limits);
    RUN(test_memory_limit_exceeded);
    RUN(test_absurd_sizes);
    RUN(test_buffer_new);
    RUN(test_buffer_borrow);
    RUN(test_threads_stress);
    RUN(test_buffer_refcount_threads);
    return TEST_SUMMARY();
}
