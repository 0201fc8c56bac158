/*
 * Streams and the scheduler: cross-stream dependencies, per-thread default
 * streams, async_eval, and several threads evaluating at once. Also run
 * under ThreadSanitizer.
 */
#include <pthread.h>
#include <stdlib.h>

#include "test.h"

TEST(streams) {
    mx_stream s1, s2, def;
    mx_device cpu = {MX_CPU, 0};
    CHECK_OK(mx_default_stream(&def, cpu));
    CHECK_OK(mx_new_stream(&s1, cpu));
    CHECK_OK(mx_new_stream(&s2, cpu));
    CHECK(s1.index != s2.index && s1.index != def.index);
    /* A chain that crosses streams: each node waits for its inputs. */
    float v[3] = {1, 2, 3};
    mx_array *a = test_vec_f32(v, 3), *b = NULL, *c = NULL, *d = NULL;
    CHECK_OK(mx_add(&b, a, a, &s1));
    CHECK_OK(mx_multiply(&c, b, b, &s2));
    CHECK_OK(mx_subtract(&d, c, a, &s1));
    float out[3];
    test_read_f32(d, out, 3);
    CHECK(out[0] == 3 && out[1] == 14 && out[2] == 33);
    CHECK_OK(mx_synchronize(&s1));
    CHECK_OK(mx_synchronize(&s2));
    CHECK_OK(mx_synchronize(NULL));

    /* The thread default can be changed. */
    CHECK_OK(mx_set_default_stream(s2));
    mx_stream now;
    CHECK_OK(mx_default_stream(&now, cpu));
    CHECK(now.index == s2.index);
    CHECK_OK(mx_set_default_stream(def));

    /* Bad streams and devices. */
    mx_stream bogus = {99999, cpu};
    CHECK_ERR(mx_add(&b, a, a, &bogus), MX_ERR_VALUE);
    CHECK_ERR(mx_set_default_stream(bogus), MX_ERR_VALUE);
    CHECK_ERR(mx_synchronize(&bogus), MX_ERR_VALUE);
    mx_device gpu = {MX_GPU, 0};
    CHECK(!mx_device_is_available(gpu));
    CHECK(mx_device_count(MX_GPU) == 0 && mx_device_count(MX_CPU) == 1);
    CHECK_ERR(mx_new_stream(&s1, gpu), MX_ERR_VALUE);
    CHECK_ERR(mx_set_default_device(gpu), MX_ERR_VALUE);
    CHECK(mx_default_device().type == MX_CPU);
    CHECK_OK(mx_set_default_device(cpu));
    char info[256];
    CHECK_OK(mx_device_info(cpu, info, sizeof info));
    CHECK(strstr(info, "device_name=") != NULL);
    mx_array_free(a);
    mx_array_free(b);
    mx_array_free(c);
    mx_array_free(d);
}

static void *thread_default_stream(void *arg) {
    mx_stream *s = arg;
    mx_device cpu = {MX_CPU, 0};
    mx_default_stream(s, cpu);
    /* and the thread can compute on it */
    mx_array *a = NULL, *b = NULL;
    mx_array_from_float(&a, 2.0, MX_FLOAT32);
    mx_multiply(&b, a, a, NULL);
    double v = 0;
    mx_array_item_double(&v, b);
    mx_array_free(a);
    mx_array_free(b);
    if (v != 4.0) s->index = -1;
    return NULL;
}

TEST(default_stream_per_thread) {
    mx_stream mine, theirs;
    mx_device cpu = {MX_CPU, 0};
    CHECK_OK(mx_default_stream(&mine, cpu));
    pthread_t t;
    pthread_create(&t, NULL, thread_default_stream, &theirs);
    pthread_join(t, NULL);
    CHECK(theirs.index >= 0 && theirs.index != mine.index);
}

TEST(async_eval_many_threads_waiting) {
    float v[2] = {3, 4};
    mx_array *a = test_vec_f32(v, 2), *outs[8] = {0};
    for (int i = 0; i < 8; i++) {
        mx_array *k = test_scalar_f32((float)i);
        CHECK_OK(mx_multiply(&outs[i], a, k, NULL));
        mx_array_free(k);
    }
    CHECK_OK(mx_async_eval(outs, 8));
    for (int i = 7; i >= 0; i--) {
        CHECK_OK(mx_array_wait(outs[i]));
        float o[2];
        CHECK_OK(mx_array_copy_to(outs[i], o, sizeof o));
        CHECK(o[0] == 3.0f * i && o[1] == 4.0f * i);
        mx_array_free(outs[i]);
    }
    mx_array_free(a);
}

/* Each thread builds and evaluates its own graphs on its own default stream
 * and on one shared extra stream, at the same time as the others. */
static mx_stream shared_stream;

static void *worker(void *arg) {
    long id = (long)arg;
    int bad = 0;
    for (int round = 0; round < 50; round++) {
        mx_array *x = NULL, *k = NULL, *y = NULL;
        mx_array_from_float(&x, (double)id, MX_FLOAT32);
        mx_array_from_float(&k, 2.0, MX_FLOAT32);
        for (int i = 0; i < 20; i++) {
            mx_add(&x, x, k, (i % 3 == 0) ? &shared_stream : NULL);
        }
        mx_multiply(&y, x, k, NULL);
        double v = 0;
        if (mx_array_item_double(&v, y) != MX_OK || v != 2.0 * (id + 40.0)) bad++;
        mx_array_free(x);
        mx_array_free(k);
        mx_array_free(y);
    }
    return (void *)(long)bad;
}

TEST(concurrent_threads) {
    mx_device cpu = {MX_CPU, 0};
    CHECK_OK(mx_new_stream(&shared_stream, cpu));
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        CHECK(bad == NULL);
    }
}

TEST(dropping_handles_while_running) {
    /* Arrays released right after async_eval are kept alive by the scheduler
     * until their node has run. */
    for (int round = 0; round < 100; round++) {
        int32_t n = 4096;
        mx_array *a = NULL, *b = NULL;
        CHECK_OK(mx_ones(&a, &n, 1, MX_FLOAT32, NULL));
        CHECK_OK(mx_add(&b, a, a, NULL));
        CHECK_OK(mx_async_eval(&b, 1));
        mx_array_free(a);
        mx_array_free(b);
    }
    CHECK_OK(mx_synchronize(NULL));
}

/* Two threads evaluating the same unevaluated graph at once: each node is
 * scheduled once and both see the result. */
static mx_array *shared_graph;

static void *eval_shared(void *arg) {
    (void)arg;
    double v = 0;
    if (mx_eval(&shared_graph, 1) != MX_OK) return (void *)1;
    if (mx_array_item_double(&v, shared_graph) != MX_OK || v != 200.0) return (void *)1;
    return NULL;
}

TEST(same_graph_from_two_threads) {
    for (int round = 0; round < 50; round++) {
        mx_array *x = test_scalar_f32(0), *one = test_scalar_f32(1);
        for (int i = 0; i < 200; i++) CHECK_OK(mx_add(&x, x, one, NULL));
        shared_graph = x;
        pthread_t t[2];
        for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, eval_shared, NULL);
        for (int i = 0; i < 2; i++) {
            void *bad;
            pthread_join(t[i], &bad);
            CHECK(bad == NULL);
        }
        mx_array_free(x);
        mx_array_free(one);
    }
}

/* Small graphs are run by the eval caller when their stream is idle; here
 * several threads evaluate one-node graphs on one shared stream while
 * another queues work on it with async_eval, so claimed and queued work
 * interleave. Every value must be right and synchronize must cover both. */
static void *small_evals(void *arg) {
    long id = (long)arg;
    mx_array *k = test_scalar_f32(3);
    int bad = 0;
    for (int round = 0; round < 300; round++) {
        mx_array *x = test_scalar_f32((float)(id * 1000 + round)), *y = NULL;
        double v = 0;
        if (mx_multiply(&y, x, k, (round & 1) ? &shared_stream : NULL) != MX_OK ||
            mx_eval(&y, 1) != MX_OK || mx_array_item_double(&v, y) != MX_OK ||
            v != 3.0 * (double)(id * 1000 + round))
            bad++;
        mx_array_free(x);
        mx_array_free(y);
    }
    mx_array_free(k);
    return (void *)(long)bad;
}

static void *queued_work(void *arg) {
    (void)arg;
    int32_t n = 1 << 16;
    mx_array *acc = NULL, *one = NULL;
    if (mx_zeros(&acc, &n, 1, MX_FLOAT32, NULL) != MX_OK || mx_ones(&one, &n, 1, MX_FLOAT32, NULL))
        return (void *)1;
    for (int i = 0; i < 100; i++) {
        if (mx_add(&acc, acc, one, &shared_stream) != MX_OK || mx_async_eval(&acc, 1) != MX_OK)
            return (void *)1;
    }
    int bad = mx_synchronize(&shared_stream) != MX_OK;
    /* after synchronize the data is there without another eval */
    const float *d = bad ? NULL : mx_array_data(acc);
    if (!d || d[0] != 100.0f || d[n - 1] != 100.0f) bad = 1;
    mx_array_free(acc);
    mx_array_free(one);
    return (void *)(long)bad;
}

TEST(small_graphs_from_threads_share_a_stream) {
    pthread_t t[4];
    pthread_create(&t[0], NULL, queued_work, NULL);
    for (long i = 1; i < 4; i++) pthread_create(&t[i], NULL, small_evals, (void *)i);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        CHECK(bad == NULL);
    }
}

int main(void) {
    RUN(streams);
    RUN(default_stream_per_thread);
    RUN(async_eval_many_threads_waiting);
    RUN(concurrent_threads);
    RUN(dropping_handles_while_running);
    RUN(same_graph_from_two_threads);
    RUN(small_graphs_from_threads_share_a_stream);
    return TEST_SUMMARY();
}
