/*
 * Strided converting copies, and the AsType and Full kernels built on them.
 *
 * A copy collapses the source layout (the destination is row-contiguous),
 * then walks runs along the last axis: a unit-stride run is one vector
 * conversion loop, a stride-0 run (broadcast) converts one element and
 * fills, any other stride uses the strided loop. Transposed sources, whose
 * last axis steps far through memory while an outer one steps by little,
 * are copied in tiles so each source cache line is used whole. Outputs
 * bigger than the last-level cache are written with streaming stores where
 * that pays (plain copies and fills).
 */
#include "copy.h"

#include <stdlib.h>
#include <string.h>

#include "strided.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/simd.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "copy_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const copy_tables[MXI_SIMD_LEVELS] = MXI_SIMD_TABLES(copy);

/* Tiles of transposing copies: COPY_BAND elements along the source's
 * near-contiguous axis (long runs for the prefetcher) by COPY_TILE along
 * the far one; at most 16 KiB of buffer. */
#define COPY_BAND 64
#define COPY_TILE 32

typedef struct copy_job {
    mxi_strided it;
    mxi_convert_loop contig, strided, one;
    mxi_convert_loop same_contig, same_strided; /* source dtype to itself */
    mxi_fill_loop fill;
    int64_t ssz, dsz;
    bool stream; /* write the output with streaming stores */
    const char *src;
    char *dst;
} copy_job;

static int fill_index(int64_t itemsize) {
    return itemsize == 1 ? 0 : itemsize == 2 ? 1 : itemsize == 4 ? 2 : 3;
}

static void copy_run(const copy_job *j, const char *s, int64_t stride, char *d, int64_t n) {
    if (stride == 1) {
        j->contig(s, 1, d, n);
    } else if (stride == 0) {
        unsigned char v[16];
        j->one(s, 1, v, 1);
        j->fill(d, v, n);
    } else {
        j->strided(s, stride, d, n);
    }
}

/* copy_run for outputs too big for the cache, for unit-stride runs of a
 * same-dtype copy (streamed straight from the source) and for fills
 * (streamed from one staged piece). Converting copies do not come here:
 * staging converted pieces to stream them costs more than it saves. */
static void copy_run_streamed(const copy_job *j, const char *s, int64_t stride, char *d,
                              int64_t n) {
    if (stride == 1) {
        mxi_stream_store(d, s, n * j->dsz);
        return;
    }
    _Alignas(64) unsigned char tmp[MXI_STREAM_CHUNK];
    int64_t chunk = MXI_STREAM_CHUNK / j->dsz;
    copy_run(j, s, 0, (char *)tmp, n < chunk ? n : chunk);
    for (int64_t i = 0; i < n; i += chunk)
        mxi_stream_store(d + i * j->dsz, tmp, (n - i < chunk ? n - i : chunk) * j->dsz);
}

static void copy_range(void *ctx, int64_t begin, int64_t end) {
    const copy_job *j = ctx;
    const mxi_strided *it = &j->it;
    int64_t stride = it->strides[0][it->ndim - 1];
    mxi_strided_pos p;
    mxi_strided_seek(it, &p, begin);
    for (int64_t i = begin; i < end;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > end - i) run = end - i;
        const char *src = j->src + p.off[0] * j->ssz;
        if (j->stream && (stride == 0 || (stride == 1 && j->contig == j->same_contig)))
            copy_run_streamed(j, src, stride, j->dst + i * j->dsz, run);
        else
            copy_run(j, src, stride, j->dst + i * j->dsz, run);
        i += run;
        mxi_strided_advance(it, &p, run);
    }
    /* Streaming stores are weakly ordered: make them visible before the
     * pool reports this range done. */
    if (j->stream) mxi_stream_fence();
}

/* Units are (outer index, band of COPY_BAND rows of the last two axes).
 * A tile goes through a small buffer: each source column (contiguous or
 * nearly so) is copied into a buffer row, then each destination row is
 * gathered from a buffer column, converting on the way. Both passes touch
 * memory in runs, which matters when the source stride is a power of two
 * and a direct walk would land every access in the same cache set. */
static void copy_tiles(void *ctx, int64_t begin, int64_t end) {
    const copy_job *j = ctx;
    const mxi_strided *it = &j->it;
    int d0 = it->ndim - 2, d1 = it->ndim - 1;
    int64_t n0 = it->shape[d0], n1 = it->shape[d1];
    int64_t s0 = it->strides[0][d0], s1 = it->strides[0][d1];
    int64_t bands = (n0 + COPY_BAND - 1) / COPY_BAND;
    mxi_convert_loop gather = s0 == 1 ? j->same_contig : j->same_strided;
    _Alignas(64) unsigned char tile[COPY_BAND * COPY_TILE * 8];
    for (int64_t u = begin; u < end; u++) {
        int64_t outer = u / bands, r0 = (u % bands) * COPY_BAND;
        int64_t rows = r0 + COPY_BAND < n0 ? COPY_BAND : n0 - r0;
        mxi_strided_pos p;
        mxi_strided_seek(it, &p, outer * n0 * n1);
        const char *src = j->src + (p.off[0] + r0 * s0) * j->ssz;
        char *dst = j->dst + (outer * n0 + r0) * n1 * j->dsz;
        for (int64_t c0 = 0; c0 < n1; c0 += COPY_TILE) {
            int64_t cols = c0 + COPY_TILE < n1 ? COPY_TILE : n1 - c0;
            for (int64_t c = 0; c < cols; c++)
                gather(src + (c0 + c) * s1 * j->ssz, s0, tile + c * COPY_BAND * j->ssz, rows);
            for (int64_t r = 0; r < rows; r++)
                j->strided(tile + r * j->ssz, COPY_BAND, dst + (r * n1 + c0) * j->dsz, cols);
        }
    }
}

static int64_t abs64(int64_t v) {
    return v < 0 ? -v : v;
}

static void copy_run_job(copy_job *j, mx_dtype dst_dtype, const void *src, mx_dtype src_dtype,
                         void *dst) {
    const mxi_copy_table *t = mxi_simd_pick(copy_tables);
    j->contig = t->contig[src_dtype][dst_dtype];
    j->strided = t->strided[src_dtype][dst_dtype];
    j->one = mxi_copy_table_scalar.contig[src_dtype][dst_dtype];
    j->same_contig = t->contig[src_dtype][src_dtype];
    j->same_strided = t->strided[src_dtype][src_dtype];
    j->ssz = mx_dtype_size(src_dtype);
    j->dsz = mx_dtype_size(dst_dtype);
    j->fill = t->fill[fill_index(j->dsz)];
    j->src = src;
    j->dst = dst;
    /* Not in place: streaming over the source would gain nothing. */
    j->stream = j->it.size * j->dsz >= mxi_stream_threshold() && src != dst;

    const mxi_strided *it = &j->it;
    if (it->ndim >= 2) {
        int64_t n0 = it->shape[it->ndim - 2], n1 = it->shape[it->ndim - 1];
        int64_t s0 = it->strides[0][it->ndim - 2], s1 = it->strides[0][it->ndim - 1];
        if (s1 != 0 && abs64(s1) > 1 && abs64(s0) < abs64(s1) && n0 >= 8 && n1 >= 8) {
            int64_t bands = (n0 + COPY_BAND - 1) / COPY_BAND;
            int64_t units = it->size / (n0 * n1) * bands;
            int64_t per_unit = COPY_BAND * n1;
            int64_t grain = MXI_ELEMWISE_GRAIN / per_unit;
            if (grain < 1) grain = 1;
            if (it->size >= 2 * MXI_ELEMWISE_GRAIN)
                mxi_parallel_for(units, grain, copy_tiles, j);
            else
                copy_tiles(j, 0, units);
            return;
        }
    }
    if (it->size >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(it->size, MXI_ELEMWISE_GRAIN, copy_range, j);
    else
        copy_range(j, 0, it->size);
}

int mxi_copy_to_contiguous(void *dst, mx_dtype dst_dtype, const void *src, mx_dtype src_dtype,
                           const int32_t *shape, const int64_t *src_strides, int ndim) {
    copy_job j;
    const int64_t *strides[1] = {src_strides};
    int rc = mxi_strided_init(&j.it, shape, ndim, strides, 1, "copy");
    if (rc != MX_OK) return rc;
    if (j.it.size == 0) return MX_OK;
    copy_run_job(&j, dst_dtype, src, src_dtype, dst);
    return MX_OK;
}

void mxi_convert_contiguous(void *dst, mx_dtype dst_dtype, const void *src, mx_dtype src_dtype,
                            int64_t n) {
    if (n <= 0) return;
    copy_job j;
    int64_t one = 1;
    const int64_t *strides[1] = {&one};
    /* One axis cannot exceed the dimension limit. */
    (void)mxi_strided_init64(&j.it, &n, 1, strides, 1, "copy");
    copy_run_job(&j, dst_dtype, src, src_dtype, dst);
}

void mxi_convert_element(void *dst, mx_dtype dst_dtype, const void *src, mx_dtype src_dtype) {
    mxi_copy_table_scalar.contig[src_dtype][dst_dtype](src, 1, dst, 1);
}

int mxi_cpu_astype(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mx_array *in = inputs[0], *out = outputs[0];
    const void *src = in->size ? mxi_data(in) : NULL;
    int rc = mxi_alloc_or_donate(out, inputs, 1);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    return mxi_copy_to_contiguous(mxi_data(out), out->dtype, src, in->dtype, in->shape, in->strides,
                                  in->ndim);
}

int mxi_cpu_full(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    mx_array *in = inputs[0], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    return mxi_copy_to_contiguous(mxi_data(out), out->dtype, mxi_data(in), in->dtype, out->shape,
                                  in->strides, out->ndim);
}
