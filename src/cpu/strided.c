#include "strided.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/error.h"

static int64_t stream_default;
static _Atomic int64_t stream_bytes;
static pthread_once_t stream_once = PTHREAD_ONCE_INIT;

/* The last-level cache one core sees, from sysfs ("32768K"); the C
 * library's figure can be the whole package's (ten times more on parts made
 * of several core complexes). 32 MiB where neither says. */
static int64_t llc_bytes(void) {
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cache/index3/size", "r");
    if (f) {
        long v = 0;
        char unit = 0;
        int got = fscanf(f, "%ld%c", &v, &unit);
        fclose(f);
        if (got >= 1 && v > 0)
            return (int64_t)v * (unit == 'K' ? 1024 : unit == 'M' ? 1024 * 1024 : 1);
    }
    long l3 = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
    l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
    return l3 > 0 ? l3 : 32l << 20;
}

static void stream_init(void) {
    stream_default = llc_bytes();
    if (stream_default < (4l << 20)) stream_default = 4l << 20;
    stream_bytes = stream_default;
}

int64_t mxi_stream_threshold(void) {
    pthread_once(&stream_once, stream_init);
    return stream_bytes;
}

void mxi_stream_set_threshold(int64_t bytes) {
    pthread_once(&stream_once, stream_init);
    stream_bytes = bytes < 0 ? stream_default : bytes;
}

void mxi_stream_store(void *dst, const void *src, int64_t n) {
    char *d = dst;
    const char *s = src;
#if defined(__SSE2__)
    int64_t head = (int64_t)(-(uintptr_t)d & 15);
    if (head > n) head = n;
    memcpy(d, s, (size_t)head);
    d += head, s += head, n -= head;
    for (; n >= 64; n -= 64, d += 64, s += 64) {
        __m128i x0 = _mm_loadu_si128((const __m128i *)s);
        __m128i x1 = _mm_loadu_si128((const __m128i *)(s + 16));
        __m128i x2 = _mm_loadu_si128((const __m128i *)(s + 32));
        __m128i x3 = _mm_loadu_si128((const __m128i *)(s + 48));
        _mm_stream_si128((__m128i *)d, x0);
        _mm_stream_si128((__m128i *)(d + 16), x1);
        _mm_stream_si128((__m128i *)(d + 32), x2);
        _mm_stream_si128((__m128i *)(d + 48), x3);
    }
#endif
    memcpy(d, s, (size_t)n);
}

void mxi_stream_fence(void) {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

int mxi_strided_init64(mxi_strided *it, const int64_t *shape, int ndim,
                       const int64_t *const *strides, int nops, const char *op) {
    it->nops = nops;
    it->ndim = 0;
    it->size = 1;
    for (int d = 0; d < ndim; d++) it->size *= shape[d];
    if (it->size == 0) {
        /* Nothing to visit: one empty axis keeps loops simple. */
        it->ndim = 1;
        it->shape[0] = 0;
        for (int k = 0; k < nops; k++) it->strides[k][0] = 0;
        return MX_OK;
    }
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1) continue;
        int last = it->ndim - 1;
        bool merge = last >= 0;
        for (int k = 0; k < nops && merge; k++)
            merge = it->strides[k][last] == strides[k][d] * shape[d];
        if (merge) {
            it->shape[last] *= shape[d];
            for (int k = 0; k < nops; k++) it->strides[k][last] = strides[k][d];
            continue;
        }
        if (it->ndim == MXI_STRIDED_MAX_DIMS)
            return mxi_error(MX_ERR_VALUE,
                             "[%s] arrays whose layout needs more than %d dimensions are not "
                             "supported",
                             op, MXI_STRIDED_MAX_DIMS);
        it->shape[it->ndim] = shape[d];
        for (int k = 0; k < nops; k++) it->strides[k][it->ndim] = strides[k][d];
        it->ndim++;
    }
    if (it->ndim == 0) {
        it->ndim = 1;
        it->shape[0] = 1;
        for (int k = 0; k < nops; k++) it->strides[k][0] = 0;
    }
    return MX_OK;
}

int mxi_strided_init(mxi_strided *it, const int32_t *shape, int ndim, const int64_t *const *strides,
                     int nops, const char *op) {
    /* Size-1 axes are dropped before collapsing, so only the others need
     * widening; doing it in chunks keeps any ndim on a small stack. */
    int64_t shape64[MXI_STRIDED_MAX_DIMS];
    const int64_t *sub[MXI_STRIDED_MAX_OPS];
    int64_t stride_buf[MXI_STRIDED_MAX_OPS][MXI_STRIDED_MAX_DIMS];
    for (int k = 0; k < nops; k++) sub[k] = stride_buf[k];
    int n = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 0) {
            int64_t zero = 0;
            const int64_t *zs[MXI_STRIDED_MAX_OPS] = {&zero, &zero, &zero};
            return mxi_strided_init64(it, &zero, 1, zs, nops, op);
        }
        if (shape[d] == 1) continue;
        if (n == MXI_STRIDED_MAX_DIMS)
            return mxi_error(MX_ERR_VALUE,
                             "[%s] arrays with more than %d dimensions longer than 1 are not "
                             "supported",
                             op, MXI_STRIDED_MAX_DIMS);
        shape64[n] = shape[d];
        for (int k = 0; k < nops; k++) stride_buf[k][n] = strides[k][d];
        n++;
    }
    return mxi_strided_init64(it, shape64, n, sub, nops, op);
}

void mxi_strided_seek(const mxi_strided *it, mxi_strided_pos *p, int64_t flat) {
    for (int k = 0; k < it->nops; k++) p->off[k] = 0;
    if (flat >= it->size) {
        /* The end position: one past the last row, as advance leaves it. */
        for (int d = 1; d < it->ndim; d++) p->idx[d] = 0;
        p->idx[0] = it->shape[0];
        for (int k = 0; k < it->nops; k++) p->off[k] = it->shape[0] * it->strides[k][0];
        return;
    }
    for (int d = it->ndim - 1; d >= 0; d--) {
        int64_t i = flat % it->shape[d];
        flat /= it->shape[d];
        p->idx[d] = i;
        for (int k = 0; k < it->nops; k++) p->off[k] += i * it->strides[k][d];
    }
}
