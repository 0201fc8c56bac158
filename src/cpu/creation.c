/*
 * Kernels of the creation primitives that write patterns: Eye and Tri
 * (ones on or below a diagonal), Tril and Triu (an input with one side of
 * a diagonal zeroed) and the float32 windows.
 *
 * Each output row is a run of zeros and a run of ones or of input values:
 * memset, fills and memcpy, which are already vectorised, so there are no
 * per-ISA variants. Large outputs split their rows over the thread pool.
 */
#include <math.h>
#include <string.h>

#include "copy.h"
#include "join.h"
#include "strided.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "primitives/params_creation.h"

typedef struct pattern_job {
    int64_t n, m; /* rows per matrix, columns */
    int64_t k;    /* diagonal */
    int kind;     /* MXI_PRIM_EYE, _TRI, _TRIL, _TRIU */
    int isz;
    bool stream; /* Tril/Triu: unit-stride input runs written with streaming stores */
    _Alignas(16) unsigned char one[16];
    char *dst;
    const char *src; /* Tril/Triu: the input, with its strides: */
    const int64_t *shape, *strides;
    int ndim;
} pattern_job;

/* The columns [lo, hi) of row i that keep ones (Tri) or input (Tril/Triu). */
static void kept_range(const pattern_job *j, int64_t i, int64_t *lo, int64_t *hi) {
    int64_t a = 0, b = j->m;
    if (j->kind == MXI_PRIM_TRI || j->kind == MXI_PRIM_TRIL) {
        b = i + j->k + 1; /* j - i <= k */
    } else {
        a = i + j->k; /* j - i >= k */
    }
    a = a < 0 ? 0 : a > j->m ? j->m : a;
    b = b < a ? a : b > j->m ? j->m : b;
    *lo = a, *hi = b;
}

static void pattern_rows(void *ctx, int64_t begin, int64_t end) {
    const pattern_job *j = ctx;
    int64_t isz = j->isz, m = j->m;
    for (int64_t r = begin; r < end; r++) {
        char *d = j->dst + r * m * isz;
        int64_t i = r % j->n;
        if (j->kind == MXI_PRIM_EYE) {
            memset(d, 0, (size_t)(m * isz));
            int64_t c = i + j->k;
            if (c >= 0 && c < m) memcpy(d + c * isz, j->one, (size_t)isz);
            continue;
        }
        int64_t lo, hi;
        kept_range(j, i, &lo, &hi);
        memset(d, 0, (size_t)(lo * isz));
        memset(d + hi * isz, 0, (size_t)((m - hi) * isz));
        if (hi <= lo) continue;
        if (j->kind == MXI_PRIM_TRI) {
            mxi_fill_items(d + lo * isz, j->one, hi - lo, j->isz);
            continue;
        }
        /* Tril/Triu: row r of the input, found from its strides. */
        int last = j->ndim - 1;
        int64_t rem = r, off = 0;
        for (int a = last - 1; a >= 0; a--) {
            off += (rem % j->shape[a]) * j->strides[a];
            rem /= j->shape[a];
        }
        const char *s = j->src + (off + lo * j->strides[last]) * isz;
        char *dd = d + lo * isz;
        if (s == dd && j->strides[last] == 1) continue; /* donated: already there */
        if (j->stream && j->strides[last] == 1)
            mxi_stream_store(dd, s, (hi - lo) * isz);
        else
            mxi_move_items(dd, s, j->strides[last], hi - lo, j->isz);
    }
    if (j->stream) mxi_stream_fence();
}

static void run_rows(pattern_job *j, int64_t rows, int64_t total) {
    int64_t grain = j->m ? MXI_ELEMWISE_GRAIN / j->m : rows;
    if (grain < 1) grain = 1;
    if (total >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(rows, grain, pattern_rows, j);
    else
        pattern_rows(j, 0, rows);
}

static int eye_or_tri(mxi_node *node, mx_array *out) {
    const mxi_diag_params *p = node->params;
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK || out->size == 0) return rc;
    pattern_job j = {0};
    j.n = out->shape[0];
    j.m = out->shape[1];
    j.k = p->k;
    j.kind = node->kind;
    j.isz = mx_dtype_size(out->dtype);
    double one = 1.0;
    mxi_convert_element(j.one, out->dtype, &one, MX_FLOAT64);
    j.dst = mxi_data(out);
    run_rows(&j, j.n, out->size);
    return MX_OK;
}

int mxi_cpu_eye(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)inputs;
    return eye_or_tri(node, outputs[0]);
}

int mxi_cpu_tri(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)inputs;
    return eye_or_tri(node, outputs[0]);
}

int mxi_cpu_tril_triu(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_diag_params *p = node->params;
    mx_array *in = inputs[0], *out = outputs[0];
    const char *src = in->size ? mxi_data(in) : NULL;
    int rc = mxi_alloc_or_donate(out, inputs, 1);
    if (rc != MX_OK || out->size == 0) return rc;
    int nd = in->ndim;
    int64_t shape[64];
    for (int d = 0; d < nd; d++) shape[d] = in->shape[d];
    pattern_job j = {0};
    j.n = in->shape[nd - 2];
    j.m = in->shape[nd - 1];
    j.k = p->k;
    j.kind = node->kind;
    j.isz = mx_dtype_size(out->dtype);
    j.dst = mxi_data(out);
    j.src = src;
    j.shape = shape;
    j.strides = in->strides;
    j.ndim = nd;
    j.stream = src != j.dst && out->size * j.isz >= mxi_stream_threshold();
    run_rows(&j, out->size / j.m, out->size);
    return MX_OK;
}

/* The windows in float32 with the operation order of MLX's compositions
 * (arange, a float32 factor, sin/cos, then the float32 arithmetic), so
 * results differ from MLX only by its own sin/cos rounding. */
int mxi_cpu_window(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)inputs;
    const mxi_window_params *p = node->params;
    mx_array *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK) return rc;
    int64_t M = out->size;
    float *w = mxi_data(out);
    double d = (double)(M - 1);
    switch (p->type) {
    case MXI_WINDOW_BARTLETT: {
        float f = (float)(2.0 / d);
        for (int64_t n = 0; n < M; n++) w[n] = 1.0f - fabsf((float)n * f - 1.0f);
        break;
    }
    case MXI_WINDOW_HANNING: {
        float f = (float)(M_PI / d);
        for (int64_t n = 0; n < M; n++) {
            float sn = sinf(f * (float)n);
            w[n] = sn * sn;
        }
        break;
    }
    case MXI_WINDOW_HAMMING: {
        float f = (float)(2.0 * M_PI / d);
        for (int64_t n = 0; n < M; n++) w[n] = 0.54f - 0.46f * cosf(f * (float)n);
        break;
    }
    default: {
        float f1 = (float)(2.0 * M_PI / d), f2 = (float)(4.0 * M_PI / d);
        for (int64_t n = 0; n < M; n++)
            w[n] = (0.42f + 0.08f * cosf(f2 * (float)n)) - 0.5f * cosf(f1 * (float)n);
        break;
    }
    }
    return MX_OK;
}
