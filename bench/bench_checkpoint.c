/*
 * checkpoint: value_and_grad of a deep tanh MLP (loss = sum of the last
 * layer's output, gradients for the input and every weight) run plainly,
 * with every layer checkpointed, and with every block of layers
 * checkpointed. Prints the peak memory of each (the whole peak, and the part
 * above what was live before the call: weights and input), their ratio to
 * the plain run, and the wall and CPU time (the best of reps; CPU time,
 * over all threads, shows the recomputation's cost on a busy machine), with the gradients
 * evaluated in argument order and in reverse order. The gradients of all
 * three are compared.
 *
 *   build/release/bench_checkpoint [batch] [width] [layers] [block] [reps]
 *
 * Defaults: batch 4096, width 256, 16 layers, blocks of 4, 3 reps (the
 * activations, batch x width, outweigh a weight, width x width, so the
 * activations are what checkpointing saves).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmlx.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "%s: %s\n", what, mx_last_error());
    exit(1);
}

/* [h, W_1..W_k] -> tanh(...tanh(h W_1)... W_k) */
static int f_block(mx_vec *o, const mx_vec *in, void *p) {
    (void)p;
    mx_array *h = mx_array_retain(in->data[0]);
    int rc = MX_OK;
    for (int i = 1; i < in->size && !rc; i++) {
        mx_array *z = NULL, *t = NULL;
        rc = mx_matmul(&z, h, in->data[i], NULL);
        if (!rc) rc = mx_tanh(&t, z, NULL);
        mx_array_free(z);
        mx_array_free(h);
        h = t;
    }
    if (!rc) return mx_vec_push(o, h);
    mx_array_free(h);
    return rc;
}

typedef struct model {
    mx_closure *block; /* f_block, checkpointed or not */
    int per_block;     /* layers a block call takes */
} model;

/* [x, W_1..W_L] -> sum(mlp(x)) */
static int f_model(mx_vec *o, const mx_vec *in, void *p) {
    const model *m = p;
    mx_array *h = mx_array_retain(in->data[0]);
    int rc = MX_OK;
    for (int i = 1; i < in->size && !rc; i += m->per_block) {
        mx_vec args = {0}, res = {0};
        rc = mx_vec_append(&args, h);
        for (int k = i; k < i + m->per_block && k < in->size && !rc; k++)
            rc = mx_vec_append(&args, in->data[k]);
        if (!rc) rc = mx_closure_apply(m->block, &res, &args);
        mx_array_free(h);
        h = rc ? NULL : mx_array_retain(res.data[0]);
        mx_vec_clear(&args);
        mx_vec_clear(&res);
    }
    mx_array *s = NULL;
    if (!rc) rc = mx_sum(&s, h, false, NULL);
    mx_array_free(h);
    if (!rc) rc = mx_vec_push(o, s);
    return rc;
}

typedef struct result {
    double peak, above, time, cpu;
    mx_vec grads;
} result;

/* reverse: evaluate the gradients last weight first (the order the
 * backward pass produces them) instead of the argument order. held: bytes
 * live before this run that are not inputs (earlier results). */
static void run(result *r, mx_closure *f, const mx_vec *in, int reps, bool reverse, size_t inputs) {
    int n = in->size;
    int *argnums = malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) argnums[i] = i;
    r->peak = r->above = r->time = r->cpu = 1e300;
    for (int rep = 0; rep < reps; rep++) {
        mx_vec vals = {0};
        mx_vec_clear(&r->grads);
        mx_clear_cache();
        size_t base = mx_get_active_memory();
        mx_reset_peak_memory();
        double t0 = now_s(), c0 = cpu_s();
        if (mx_value_and_grad(&vals, &r->grads, f, in, argnums, n)) die("value_and_grad");
        mx_vec all = {0};
        mx_vec_append(&all, vals.data[0]);
        for (int i = 0; i < r->grads.size; i++)
            mx_vec_append(&all, r->grads.data[reverse ? r->grads.size - 1 - i : i]);
        if (mx_eval(all.data, (size_t)all.size)) die("eval");
        double t = now_s() - t0, c = cpu_s() - c0;
        if (c < r->cpu) r->cpu = c;
        size_t peak = mx_get_peak_memory();
        if (t < r->time) r->time = t;
        /* the whole peak less what earlier results hold */
        double whole = (double)peak - (double)(base - inputs);
        if (whole < r->peak) r->peak = whole;
        if ((double)(peak - base) < r->above) r->above = (double)(peak - base);
        mx_vec_clear(&all);
        mx_vec_clear(&vals);
    }
    free(argnums);
}

static double max_rel_diff(const mx_vec *a, const mx_vec *b) {
    double worst = 0;
    for (int i = 0; i < a->size; i++) {
        const float *x = mx_array_data(a->data[i]), *y = mx_array_data(b->data[i]);
        size_t n = mx_array_size(a->data[i]);
        double scale = 1e-30;
        for (size_t k = 0; k < n; k++) scale = fmax(scale, fabs((double)x[k]));
        for (size_t k = 0; k < n; k++) worst = fmax(worst, fabs((double)x[k] - y[k]) / scale);
    }
    return worst;
}

int main(int argc, char **argv) {
    int batch = argc > 1 ? atoi(argv[1]) : 4096;
    int width = argc > 2 ? atoi(argv[2]) : 256;
    int layers = argc > 3 ? atoi(argv[3]) : 16;
    int blk = argc > 4 ? atoi(argv[4]) : 4;
    int reps = argc > 5 ? atoi(argv[5]) : 3;
    if (batch < 1 || width < 1 || layers < 1 || blk < 1 || reps < 1) return 2;
    mx_vec in = {0};
    float *h = malloc(sizeof(float) * (size_t)(batch > width ? batch : width) * (size_t)width);
    uint32_t seed = 12345;
    for (int i = 0; i <= layers; i++) {
        int32_t shape[2] = {i ? width : batch, width};
        size_t n = (size_t)shape[0] * (size_t)shape[1];
        /* weights scaled so tanh stays out of saturation */
        float sc = i ? 1.5f / sqrtf((float)width) : 1.0f;
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1664525u + 1013904223u;
            h[k] = sc * ((float)(seed >> 8) / 16777216.0f * 2.0f - 1.0f) * 1.7f;
        }
        mx_array *a = NULL;
        if (mx_array_from_data(&a, h, shape, 2, MX_FLOAT32)) die("input");
        mx_vec_push(&in, a);
    }
    free(h);
    if (mx_eval(in.data, (size_t)in.size)) die("eval");

    mx_closure *block = NULL, *ck = NULL;
    mx_closure_new(&block, f_block, NULL, NULL);
    mx_checkpoint(&ck, block);
    model ms[3] = {{block, layers}, {ck, 1}, {ck, blk}};
    const char *names[3] = {"plain", "checkpoint each layer", "checkpoint blocks"};
    size_t inputs = mx_get_active_memory();
    printf("MLP %d layers, batch %d, width %d (one activation %.1f MB, weights %.1f MB)\n", layers,
           batch, width, (double)batch * width * 4 / 1e6, (double)layers * width * width * 4 / 1e6);
    result res[3] = {{0}};
    for (int rev = 0; rev < 2; rev++) {
        printf("gradients evaluated in %s:\n", rev ? "reverse order" : "argument order");
        for (int w = 0; w < 3; w++) {
            mx_closure *f = NULL;
            mx_closure_new(&f, f_model, &ms[w], NULL);
            run(&res[w], f, &in, reps, rev, inputs);
            mx_closure_free(f);
        }
        for (int w = 0; w < 3; w++) {
            char label[64];
            snprintf(label, sizeof label, w == 2 ? "%s of %d" : "%s", names[w], blk);
            printf("  %-24s peak %8.1f MB (ratio %.3f), above inputs %8.1f MB (ratio %.3f)  "
                   "time %7.1f ms (%.2fx), cpu %7.1f ms (%.2fx)\n",
                   label, res[w].peak / 1e6, res[w].peak / res[0].peak, res[w].above / 1e6,
                   res[w].above / res[0].above, res[w].time * 1e3, res[w].time / res[0].time,
                   res[w].cpu * 1e3, res[w].cpu / res[0].cpu);
        }
        printf("  gradients: max relative difference to plain %.2e (each layer), %.2e (blocks)\n",
               max_rel_diff(&res[0].grads, &res[1].grads),
               max_rel_diff(&res[0].grads, &res[2].grads));
    }
    for (int w = 0; w < 3; w++) mx_vec_clear(&res[w].grads);
    mx_closure_free(ck);
    mx_closure_free(block);
    mx_vec_clear(&in);
    return 0;
}
