/*
 * Kernels that place inputs inside a larger output: Concatenate (each
 * input copied to its slab of the output) and Pad in constant mode (each
 * output row written once: value, input run, value). Both move items as
 * bits: the ops have already cast every input to the output's dtype.
 *
 * The row loops are memcpy and fills, which the C library and the compiler
 * already vectorise, so there are no per-ISA variants here.
 */
#include "join.h"

#include <string.h>

#include "copy.h"
#include "strided.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "primitives/params_shape.h"

/* ---- strided copy and fill ---- */

#define MOVE_LOOP(T)                                                                               \
    do {                                                                                           \
        T *dd = (T *)d;                                                                            \
        const T *ss = (const T *)s;                                                                \
        if (ds == 1 && sst == 0) {                                                                 \
            T v;                                                                                   \
            memcpy(&v, ss, sizeof v);                                                              \
            for (int64_t i = 0; i < n; i++) dd[i] = v;                                             \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) dd[i * ds] = ss[i * sst];                              \
        }                                                                                          \
    } while (0)

static void move_run(char *d, int64_t ds, const char *s, int64_t sst, int64_t n, int isz) {
    if (ds == 1 && sst == 1) {
        memcpy(d, s, (size_t)(n * isz));
        return;
    }
    switch (isz) {
    case 1:
        MOVE_LOOP(uint8_t);
        break;
    case 2:
        MOVE_LOOP(uint16_t);
        break;
    case 4:
        MOVE_LOOP(uint32_t);
        break;
    default:
        MOVE_LOOP(uint64_t);
        break;
    }
}

void mxi_fill_items(void *dst, const void *value, int64_t n, int itemsize) {
    if (n <= 0) return;
    move_run(dst, 1, value, 0, n, itemsize);
}

void mxi_move_items(void *dst, const void *src, int64_t src_stride, int64_t n, int itemsize) {
    if (n <= 0) return;
    move_run(dst, 1, src, src_stride, n, itemsize);
}

typedef struct scopy_job {
    mxi_strided it; /* operand 0: dst, 1: src */
    char *dst;
    const char *src;
    int isz;
    bool stream; /* unit-stride runs written with streaming stores */
} scopy_job;

static void scopy_range(void *ctx, int64_t begin, int64_t end) {
    const scopy_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t ds = it->strides[0][last], ss = it->strides[1][last];
    mxi_strided_pos p;
    mxi_strided_seek(it, &p, begin);
    for (int64_t i = begin; i < end;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > end - i) run = end - i;
        char *d = j->dst + p.off[0] * j->isz;
        const char *sp = j->src + p.off[1] * j->isz;
        if (j->stream && ds == 1 && ss == 1)
            mxi_stream_store(d, sp, run * j->isz);
        else
            move_run(d, ds, sp, ss, run, j->isz);
        i += run;
        mxi_strided_advance(it, &p, run);
    }
    /* Streaming stores are weakly ordered: make them visible before the
     * pool reports this range done. */
    if (j->stream) mxi_stream_fence();
}

int mxi_copy_strided(void *dst, const int64_t *dst_strides, const void *src,
                     const int64_t *src_strides, const int32_t *shape, int ndim, int itemsize) {
    scopy_job j;
    const int64_t *strides[2] = {dst_strides, src_strides};
    int rc = mxi_strided_init(&j.it, shape, ndim, strides, 2, "copy");
    if (rc != MX_OK) return rc;
    if (j.it.size == 0) return MX_OK;
    j.dst = dst;
    j.src = src;
    j.isz = itemsize;
    j.stream = j.it.size * itemsize >= mxi_stream_threshold();
    if (j.it.size >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(j.it.size, MXI_ELEMWISE_GRAIN, scopy_range, &j);
    else
        scopy_range(&j, 0, j.it.size);
    return MX_OK;
}

/* ---- Concatenate ---- */

int mxi_cpu_concatenate(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_concatenate_params *p = node->params;
    mx_array *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    int axis = p->axis, nd = out->ndim, isz = mx_dtype_size(out->dtype);
    /* A slab is contiguous in the output when every axis before `axis` has
     * size 1: then the converting copy (tiled for transposed inputs) fills
     * it directly. */
    bool slab_contiguous = true;
    for (int d = 0; d < axis; d++)
        if (out->shape[d] != 1) slab_contiguous = false;
    int64_t at = 0;
    for (int i = 0; i < node->n_inputs; i++) {
        mx_array *in = inputs[i];
        if (in->size) {
            char *dst = (char *)mxi_data(out) + at * out->strides[axis] * isz;
            if (slab_contiguous)
                rc = mxi_copy_to_contiguous(dst, out->dtype, mxi_data(in), in->dtype, in->shape,
                                            in->strides, nd);
            else
                rc = mxi_copy_strided(dst, out->strides, mxi_data(in), in->strides, in->shape, nd,
                                      isz);
            if (rc != MX_OK) return rc;
        }
        at += in->shape[axis];
    }
    return MX_OK;
}

/* ---- Pad (constant) ---- */

typedef struct pad_job {
    int nd;             /* >= 1 after merging */
    int64_t oshape[64]; /* output extents */
    int64_t ishape[64]; /* input extents */
    int64_t istr[64];   /* input strides (elements) */
    int64_t low[64];
    int64_t row; /* output row length (oshape[nd - 1]) */
    int isz;
    bool stream; /* input runs written with streaming stores */
    _Alignas(16) unsigned char value[16];
    const char *src;
    char *dst;
} pad_job;

static void pad_rows(void *ctx, int64_t begin, int64_t end) {
    const pad_job *j = ctx;
    int last = j->nd - 1;
    int64_t lo = j->low[last], n = j->ishape[last], hi = j->row - lo - n;
    int64_t sl = j->istr[last];
    for (int64_t r = begin; r < end; r++) {
        char *d = j->dst + r * j->row * j->isz;
        /* Where row r lies in the input, if it does. */
        int64_t rem = r, off = 0;
        bool inside = true;
        for (int k = last - 1; k >= 0; k--) {
            int64_t idx = rem % j->oshape[k] - j->low[k];
            rem /= j->oshape[k];
            if (idx < 0 || idx >= j->ishape[k]) {
                inside = false;
                break;
            }
            off += idx * j->istr[k];
        }
        if (!inside || n == 0) {
            mxi_fill_items(d, j->value, j->row, j->isz);
            continue;
        }
        mxi_fill_items(d, j->value, lo, j->isz);
        if (j->stream && sl == 1)
            mxi_stream_store(d + lo * j->isz, j->src + off * j->isz, n * j->isz);
        else
            move_run(d + lo * j->isz, 1, j->src + off * j->isz, sl, n, j->isz);
        mxi_fill_items(d + (lo + n) * j->isz, j->value, hi, j->isz);
    }
    if (j->stream) mxi_stream_fence();
}

int mxi_cpu_pad(mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_pad_params *p = node->params;
    mx_array *in = inputs[0], *val = inputs[1], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    pad_job j;
    j.isz = mx_dtype_size(out->dtype);
    memcpy(j.value, mxi_data(val), (size_t)j.isz);
    j.src = in->size ? mxi_data(in) : NULL;
    j.dst = mxi_data(out);
    /* Axes, with neighbours merged where the inner one is not padded and
     * the input steps through both as through one. */
    int nd = 0;
    for (int d = 0; d < p->ndim; d++) {
        int64_t os = out->shape[d], is = in->shape[d], st = in->strides[d], lo = p->low[d];
        if (nd > 0 && lo == 0 && os == is && j.istr[nd - 1] == st * is) {
            j.oshape[nd - 1] *= os;
            j.ishape[nd - 1] *= is;
            j.low[nd - 1] *= is;
            j.istr[nd - 1] = st;
            continue;
        }
        j.oshape[nd] = os;
        j.ishape[nd] = is;
        j.istr[nd] = st;
        j.low[nd] = lo;
        nd++;
    }
    if (nd == 0) {
        j.oshape[0] = j.ishape[0] = 1;
        j.istr[0] = 1;
        j.low[0] = 0;
        nd = 1;
    }
    j.nd = nd;
    j.row = j.oshape[nd - 1];
    j.stream = out->size * j.isz >= mxi_stream_threshold();
    int64_t rows = out->size / j.row;
    int64_t grain = MXI_ELEMWISE_GRAIN / j.row;
    if (grain < 1) grain = 1;
    if (out->size >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(rows, grain, pad_rows, &j);
    else
        pad_rows(&j, 0, rows);
    return MX_OK;
}
