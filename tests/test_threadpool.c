/* The intra-op pool: exact coverage, chunk sizes, nesting, concurrent callers,
 * resizing, and that the work really spreads over several threads. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/threadpool.h"
#include "test.h"

#define MAX_RANGES 4096

typedef struct {
    _Atomic int *hits;
    int64_t n;
    _Atomic int calls;
    _Atomic int bad; /* a range out of [0, n) or empty */
    int64_t begins[MAX_RANGES], ends[MAX_RANGES];
} cover_ctx;

static void cover_fn(void *p, int64_t begin, int64_t end) {
    cover_ctx *c = p;
    if (begin < 0 || end > c->n || begin >= end) atomic_fetch_add(&c->bad, 1);
    int slot = atomic_fetch_add(&c->calls, 1);
    if (slot < MAX_RANGES) {
        c->begins[slot] = begin;
        c->ends[slot] = end;
    }
    for (int64_t i = begin; i < end && i >= 0 && i < c->n; i++) atomic_fetch_add(&c->hits[i], 1);
}

/* Runs one loop and checks every index was visited once, and every range but
 * the one ending at n is at least `grain` long. Returns the number of calls. */
static int check_cover(int64_t n, int64_t grain) {
    cover_ctx *c = calloc(1, sizeof *c);
    c->n = n;
    c->hits = calloc((size_t)(n > 0 ? n : 1), sizeof *c->hits);
    mxi_parallel_for(n, grain, cover_fn, c);
    int calls = atomic_load(&c->calls);
    int failures = test_failures_in_current;
    CHECK(atomic_load(&c->bad) == 0);
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; i++) wrong += atomic_load(&c->hits[i]) != 1;
    CHECK(wrong == 0);
    if (n <= 0) CHECK(calls == 0);
    if (n > 0 && n <= grain) {
        CHECK(calls == 1);
        CHECK(c->begins[0] == 0 && c->ends[0] == n);
    }
    int64_t min_len = grain < 1 ? 1 : grain;
    for (int k = 0; k < calls && k < MAX_RANGES; k++)
        if (c->ends[k] != n) CHECK(c->ends[k] - c->begins[k] >= min_len);
    if (test_failures_in_current != failures)
        fprintf(stderr, "  (n=%lld grain=%lld, %d calls)\n", (long long)n, (long long)grain, calls);
    free(c->hits);
    free(c);
    return calls;
}

static int expected_default(void) {
    const char *env = getenv("CMLX_NUM_THREADS");
    char *end = NULL;
    long v = env ? strtol(env, &end, 10) : 0;
    if (env && *env && *end == '\0' && v >= 1) return v > 1024 ? 1024 : (int)v;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* Must run first: the pool has not been touched yet. */
TEST(default_size) {
    CHECK(mxi_num_threads() == expected_default());
    CHECK(mxi_num_threads() >= 1);
}

static const int64_t sizes[] = {-5, 0, 1, 2, 3, 7, 8, 63, 64, 65, 100, 1000, 4097, 100000};
static const int64_t grains[] = {-1, 0, 1, 2, 3, 16, 64, 999, 1000, 1001, 4096, INT64_MAX};

static void cover_all(void) {
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (size_t j = 0; j < sizeof grains / sizeof *grains; j++)
            check_cover(sizes[i], grains[j]);
    /* grain equal to n, one below and one above */
    for (int64_t n = 1; n < 50; n += 7) {
        check_cover(n, n);
        check_cover(n, n - 1);
        check_cover(n, n + 1);
    }
}

TEST(coverage_default) {
    cover_all();
}

TEST(coverage_three_threads) {
    mxi_set_num_threads(3);
    CHECK(mxi_num_threads() == 3);
    cover_all();
    /* enough work to be split: at least two ranges, none shorter than grain */
    CHECK(check_cover(100000, 100) >= 2);
    /* the split is capped: a tiny grain does not produce one call per index */
    CHECK(check_cover(100000, 1) <= 3 * 16);
    mxi_set_num_threads(0);
    CHECK(mxi_num_threads() == expected_default());
}

TEST(single_thread_runs_inline) {
    mxi_set_num_threads(1);
    CHECK(mxi_num_threads() == 1);
    CHECK(check_cover(100000, 1) == 1);
    CHECK(check_cover(0, 1) == 0);
    mxi_set_num_threads(-3);
    CHECK(mxi_num_threads() == expected_default());
}

TEST(many_small_jobs) {
    /* back-to-back jobs exercise the hand-off between jobs (workers that wake
     * late for one job must not disturb the next) */
    for (int threads = 2; threads <= 5; threads += 3) {
        mxi_set_num_threads(threads);
        for (int r = 0; r < 3000; r++) check_cover(17 + r % 50, 1 + r % 5);
    }
    mxi_set_num_threads(0);
}

/* Every range blocks until `want` threads are inside at once (or a timeout),
 * which only a pool that really runs ranges in parallel can satisfy. */
typedef struct {
    _Atomic int inside, want, timed_out;
    _Atomic int sum;
} meet_ctx;

static void sleep_us(long us) {
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&t, NULL);
}

static void meet_fn(void *p, int64_t begin, int64_t end) {
    meet_ctx *c = p;
    atomic_fetch_add(&c->inside, 1);
    for (int waited = 0; atomic_load(&c->inside) < atomic_load(&c->want); waited++) {
        if (waited > 50000) { /* 5 s */
            atomic_store(&c->timed_out, 1);
            break;
        }
        sleep_us(100);
    }
    atomic_fetch_add(&c->sum, (int)(end - begin));
}

TEST(work_is_parallel) {
    for (int threads = 2; threads <= 3; threads++) {
        mxi_set_num_threads(threads);
        meet_ctx c = {0};
        atomic_store(&c.want, threads);
        mxi_parallel_for(1000, 10, meet_fn, &c);
        CHECK(!atomic_load(&c.timed_out));
        CHECK(atomic_load(&c.sum) == 1000);
    }
    /* after sleeping past the spin window the workers still wake up */
    sleep_us(50000);
    meet_ctx c = {0};
    atomic_store(&c.want, 3);
    mxi_parallel_for(1000, 10, meet_fn, &c);
    CHECK(!atomic_load(&c.timed_out));
    CHECK(atomic_load(&c.sum) == 1000);
    mxi_set_num_threads(0);
}

static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

TEST(idle_pool_sleeps) {
    /* idle workers spin only briefly, then block: a pool left alone for
     * 300 ms uses a small fraction of that in CPU time */
    mxi_set_num_threads(3);
    check_cover(10000, 10);
    sleep_us(20000);
    double before = cpu_seconds();
    sleep_us(300000);
    CHECK(cpu_seconds() - before < 0.03);
    mxi_set_num_threads(0);
}

/* A 2-D loop: the outer parallel_for's ranges each run an inner one. */
#define NEST_ROWS 37
#define NEST_COLS 1001
typedef struct {
    _Atomic int hits[NEST_ROWS][NEST_COLS];
} nest_ctx;

typedef struct {
    nest_ctx *c;
    int64_t row;
} row_ctx;

static void nest_inner(void *p, int64_t begin, int64_t end) {
    row_ctx *r = p;
    for (int64_t j = begin; j < end; j++) atomic_fetch_add(&r->c->hits[r->row][j], 1);
}

static void nest_outer(void *p, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i++) {
        row_ctx r = {p, i};
        mxi_parallel_for(NEST_COLS, 10, nest_inner, &r);
    }
}

TEST(nested) {
    mxi_set_num_threads(3);
    nest_ctx *c = calloc(1, sizeof *c);
    mxi_parallel_for(NEST_ROWS, 1, nest_outer, c);
    int wrong = 0;
    for (int i = 0; i < NEST_ROWS; i++)
        for (int j = 0; j < NEST_COLS; j++) wrong += atomic_load(&c->hits[i][j]) != 1;
    CHECK(wrong == 0);
    CHECK(mxi_num_threads() == 3);
    /* an outer loop that runs inline (n <= grain) still covers everything */
    memset(c, 0, sizeof *c);
    mxi_parallel_for(NEST_ROWS, NEST_ROWS, nest_outer, c);
    wrong = 0;
    for (int i = 0; i < NEST_ROWS; i++)
        for (int j = 0; j < NEST_COLS; j++) wrong += atomic_load(&c->hits[i][j]) != 1;
    CHECK(wrong == 0);
    free(c);
    mxi_set_num_threads(0);
}

static void resize_fn(void *p, int64_t begin, int64_t end) {
    (void)begin;
    (void)end;
    mxi_set_num_threads(1);
    atomic_fetch_add((_Atomic int *)p, 1);
}

TEST(resize_inside_job_is_ignored) {
    /* a worker or a caller running chunks would otherwise wait on itself */
    mxi_set_num_threads(3);
    _Atomic int calls = 0;
    mxi_parallel_for(1000, 1, resize_fn, &calls);
    CHECK(atomic_load(&calls) >= 2);
    CHECK(mxi_num_threads() == 3);
    mxi_set_num_threads(0);
}

#define CALLERS     4
#define CALLER_JOBS 150

typedef struct {
    int errors;
} caller_result;

static void *caller_main(void *arg) {
    caller_result *res = arg;
    int64_t n = 3000;
    _Atomic int *hits = calloc((size_t)n, sizeof *hits);
    for (int job = 0; job < CALLER_JOBS; job++) {
        cover_ctx *c = calloc(1, sizeof *c);
        c->n = n;
        c->hits = hits;
        for (int64_t i = 0; i < n; i++) atomic_store(&hits[i], 0);
        mxi_parallel_for(n, 1 + job % 200, cover_fn, c);
        for (int64_t i = 0; i < n; i++) res->errors += atomic_load(&hits[i]) != 1;
        res->errors += atomic_load(&c->bad);
        free(c);
    }
    free(hits);
    return NULL;
}

TEST(concurrent_callers) {
    for (int threads = 0; threads <= 3; threads += 3) {
        mxi_set_num_threads(threads);
        pthread_t t[CALLERS];
        caller_result res[CALLERS] = {{0}};
        for (int i = 0; i < CALLERS; i++)
            CHECK(pthread_create(&t[i], NULL, caller_main, &res[i]) == 0);
        for (int i = 0; i < CALLERS; i++) {
            pthread_join(t[i], NULL);
            CHECK(res[i].errors == 0);
        }
    }
    mxi_set_num_threads(0);
}

TEST(resize_repeatedly) {
    for (int k = 0; k < 20; k++) {
        int n = 1 + k % 4;
        mxi_set_num_threads(n);
        CHECK(mxi_num_threads() == n);
        check_cover(5000, 7);
    }
    mxi_set_num_threads(0);
    CHECK(mxi_num_threads() == expected_default());
}

/* ThreadSanitizer does not support starting threads in a child of a
 * multi-threaded fork, which is exactly what this checks. */
#if !defined(__SANITIZE_THREAD__)
TEST(after_fork) {
    mxi_set_num_threads(3);
    check_cover(10000, 10);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int before = test_failures_in_current;
        check_cover(10000, 10);
        meet_ctx c = {0};
        atomic_store(&c.want, 3);
        mxi_parallel_for(1000, 10, meet_fn, &c);
        int ok = test_failures_in_current == before && !atomic_load(&c.timed_out) &&
                 atomic_load(&c.sum) == 1000 && mxi_num_threads() == 3;
        _exit(ok ? 0 : 1);
    }
    CHECK(pid > 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    mxi_set_num_threads(0);
}
#endif

int main(void) {
    RUN(default_size);
    RUN(coverage_default);
    RUN(coverage_three_threads);
    RUN(single_thread_runs_inline);
    RUN(many_small_jobs);
    RUN(work_is_parallel);
    RUN(idle_pool_sleeps);
    RUN(nested);
    RUN(resize_inside_job_is_ignored);
    RUN(concurrent_callers);
    RUN(resize_repeatedly);
#if !defined(__SANITIZE_THREAD__)
    RUN(after_fork);
#endif
    /* leave a sized pool running: the process must still exit */
    mxi_set_num_threads(3);
    check_cover(1000, 1);
    return TEST_SUMMARY();
}
