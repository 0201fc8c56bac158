/*
 * Tiled walks for the elementwise binary and ternary kernels (see
 * binary.h): when an operand jumps along the last axis (a transposed view),
 * the last two collapsed axes are walked in tiles, and each jumping
 * operand's tile is first copied into a local buffer in the output's order.
 *
 * Tile shape: TILE_COLS columns (the output's and the contiguous operands'
 * rows are read and written in pieces of that many elements), and as many
 * rows as make TILE_RUN_BYTES of each column of a jumping operand (its
 * elements along its own short stride), so every cache line of it is
 * fetched once. The hardware does not prefetch these short pieces, so the
 * walk asks for the columns and rows a little ahead itself.
 */
#include "binary.h"

#include <stdlib.h>
#include <string.h>

#include "strided.h"

#include "core/threadpool.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define TILE_PREFETCH(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define TILE_PREFETCH(p) __builtin_prefetch(p)
#endif

_Static_assert(MXI_TILE_MAX_OPS == MXI_STRIDED_MAX_OPS, "tile operands");

#define TILE_COLS      256
#define TILE_RUN_BYTES 256
/* Staged rows are padded so they do not all map to the same cache sets. */
#define TILE_PAD_BYTES 64
/* Prefetch distances: columns of a jumping operand, rows of a contiguous
 * one. */
#define TILE_PF_COLS 8
#define TILE_PF_ROWS 2
/* Below this many elements a plain walk is as good. */
#define TILE_MIN_SIZE 4096

bool mxi_tiled_plan(mxi_tiled *t, const mxi_strided *it, const void *const *base,
                    const int64_t *itemsize, mxi_tile_run_fn run, void *ctx) {
    int nd = it->ndim;
    if (nd < 2 || it->size < TILE_MIN_SIZE) return false;
    bool jumps = false;
    int64_t widest = 1;
    for (int k = 0; k < it->nops; k++) {
        int64_t s = it->strides[k][nd - 1];
        t->stage[k] = s > 1 || s < -1;
        t->base[k] = base[k];
        t->itemsize[k] = itemsize[k];
        if (t->stage[k]) {
            jumps = true;
            if (itemsize[k] > widest) widest = itemsize[k];
        }
    }
    if (!jumps) return false;
    t->it = it;
    t->run = run;
    t->ctx = ctx;
    t->rows = it->shape[nd - 2];
    t->cols = it->shape[nd - 1];
    t->tj = TILE_COLS;
    t->ti = TILE_RUN_BYTES / widest;
    t->bands = (t->rows + t->ti - 1) / t->ti;
    t->units = it->size / (t->rows * t->cols) * t->bands;
    return true;
}

/* Elements per staged row (the padding keeps rows off the same sets). */
static inline int64_t tile_ld(int64_t nj, int64_t isz) {
    return nj + TILE_PAD_BYTES / isz;
}

#if defined(__SSE2__)
/* Prefetches columns j .. j+cnt-1 of a jumping operand's tile (ni_bytes
 * each, along its stride-1 axis). */
static inline void prefetch_cols(const char *s, int64_t sc_bytes, int64_t j, int64_t cnt,
                                 int64_t nj, int64_t ni_bytes) {
    if (j + cnt > nj) return;
    for (int64_t k = 0; k < cnt; k++)
        for (int64_t b = 0; b < ni_bytes; b += 64) TILE_PREFETCH(s + (j + k) * sc_bytes + b);
}

/* The transposed case of 4-byte items: the tile's columns are contiguous
 * (sr = 1), so 4x4 blocks move with vector loads, shuffles and stores. */
static void stage_t4(char *buf, const char *src, int64_t sc, int64_t ni, int64_t nj, int64_t ld) {
    float *d = (float *)buf;
    const float *s = (const float *)src;
    int64_t i4 = ni & ~(int64_t)3, j4 = nj & ~(int64_t)3;
    for (int64_t j = 0; j < j4; j += 4) {
        prefetch_cols(src, sc * 4, j + TILE_PF_COLS, 4, nj, ni * 4);
        const float *c0 = s + j * sc, *c1 = c0 + sc, *c2 = c1 + sc, *c3 = c2 + sc;
        for (int64_t i = 0; i < i4; i += 4) {
            __m128 r0 = _mm_loadu_ps(c0 + i), r1 = _mm_loadu_ps(c1 + i);
            __m128 r2 = _mm_loadu_ps(c2 + i), r3 = _mm_loadu_ps(c3 + i);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(d + i * ld + j, r0);
            _mm_storeu_ps(d + (i + 1) * ld + j, r1);
            _mm_storeu_ps(d + (i + 2) * ld + j, r2);
            _mm_storeu_ps(d + (i + 3) * ld + j, r3);
        }
        for (int64_t i = i4; i < ni; i++)
            for (int64_t k = 0; k < 4; k++) d[i * ld + j + k] = s[i + (j + k) * sc];
    }
    for (int64_t j = j4; j < nj; j++)
        for (int64_t i = 0; i < ni; i++) d[i * ld + j] = s[i + j * sc];
}

/* 1-byte items (bool conditions, int8) in 8x8 blocks: 8-byte loads, three
 * rounds of unpacking, 8-byte stores. */
static void stage_t1(char *buf, const char *src, int64_t sc, int64_t ni, int64_t nj, int64_t ld) {
    uint8_t *d = (uint8_t *)buf;
    const uint8_t *s = (const uint8_t *)src;
    int64_t i8 = ni & ~(int64_t)7, j8 = nj & ~(int64_t)7;
    for (int64_t j = 0; j < j8; j += 8) {
        prefetch_cols(src, sc, j + TILE_PF_COLS, 8, nj, ni);
        const uint8_t *c = s + j * sc;
        for (int64_t i = 0; i < i8; i += 8) {
            __m128i r[8];
            for (int k = 0; k < 8; k++) r[k] = _mm_loadl_epi64((const __m128i *)(c + k * sc + i));
            __m128i t0 = _mm_unpacklo_epi8(r[0], r[1]), t1 = _mm_unpacklo_epi8(r[2], r[3]);
            __m128i t2 = _mm_unpacklo_epi8(r[4], r[5]), t3 = _mm_unpacklo_epi8(r[6], r[7]);
            __m128i u0 = _mm_unpacklo_epi16(t0, t1), u1 = _mm_unpackhi_epi16(t0, t1);
            __m128i u2 = _mm_unpacklo_epi16(t2, t3), u3 = _mm_unpackhi_epi16(t2, t3);
            __m128i v[4] = {_mm_unpacklo_epi32(u0, u2), _mm_unpackhi_epi32(u0, u2),
                            _mm_unpacklo_epi32(u1, u3), _mm_unpackhi_epi32(u1, u3)};
            for (int k = 0; k < 4; k++) {
                _mm_storel_epi64((__m128i *)(d + (i + 2 * k) * ld + j), v[k]);
                _mm_storel_epi64((__m128i *)(d + (i + 2 * k + 1) * ld + j),
                                 _mm_srli_si128(v[k], 8));
            }
        }
        for (int64_t i = i8; i < ni; i++)
            for (int64_t k = 0; k < 8; k++) d[i * ld + j + k] = s[i + (j + k) * sc];
    }
    for (int64_t j = j8; j < nj; j++)
        for (int64_t i = 0; i < ni; i++) d[i * ld + j] = s[i + j * sc];
}

/* 2-byte items (float16, bfloat16, int16) in 8x8 blocks. */
static void stage_t2(char *buf, const char *src, int64_t sc, int64_t ni, int64_t nj, int64_t ld) {
    uint16_t *d = (uint16_t *)buf;
    const uint16_t *s = (const uint16_t *)src;
    int64_t i8 = ni & ~(int64_t)7, j8 = nj & ~(int64_t)7;
    for (int64_t j = 0; j < j8; j += 8) {
        prefetch_cols(src, sc * 2, j + TILE_PF_COLS, 8, nj, ni * 2);
        const uint16_t *c = s + j * sc;
        for (int64_t i = 0; i < i8; i += 8) {
            __m128i r[8];
            for (int k = 0; k < 8; k++) r[k] = _mm_loadu_si128((const __m128i *)(c + k * sc + i));
            __m128i t[8], u[8];
            for (int k = 0; k < 4; k++) {
                t[k] = _mm_unpacklo_epi16(r[2 * k], r[2 * k + 1]);
                t[k + 4] = _mm_unpackhi_epi16(r[2 * k], r[2 * k + 1]);
            }
            /* t[k]: rows i..i+3 of columns 2k, 2k+1; t[k+4]: rows i+4..i+7 */
            for (int h = 0; h < 2; h++) {
                u[4 * h] = _mm_unpacklo_epi32(t[4 * h], t[4 * h + 1]);
                u[4 * h + 1] = _mm_unpackhi_epi32(t[4 * h], t[4 * h + 1]);
                u[4 * h + 2] = _mm_unpacklo_epi32(t[4 * h + 2], t[4 * h + 3]);
                u[4 * h + 3] = _mm_unpackhi_epi32(t[4 * h + 2], t[4 * h + 3]);
            }
            for (int h = 0; h < 2; h++)
                for (int k = 0; k < 2; k++) {
                    int64_t row = i + 4 * h + 2 * k;
                    __m128i lo = u[4 * h + k], hi = u[4 * h + 2 + k];
                    _mm_storeu_si128((__m128i *)(d + row * ld + j), _mm_unpacklo_epi64(lo, hi));
                    _mm_storeu_si128((__m128i *)(d + (row + 1) * ld + j),
                                     _mm_unpackhi_epi64(lo, hi));
                }
        }
        for (int64_t i = i8; i < ni; i++)
            for (int64_t k = 0; k < 8; k++) d[i * ld + j + k] = s[i + (j + k) * sc];
    }
    for (int64_t j = j8; j < nj; j++)
        for (int64_t i = 0; i < ni; i++) d[i * ld + j] = s[i + j * sc];
}

/* The same for 8-byte items in 2x2 blocks. */
static void stage_t8(char *buf, const char *src, int64_t sc, int64_t ni, int64_t nj, int64_t ld) {
    double *d = (double *)buf;
    const double *s = (const double *)src;
    int64_t i2 = ni & ~(int64_t)1, j2 = nj & ~(int64_t)1;
    for (int64_t j = 0; j < j2; j += 2) {
        prefetch_cols(src, sc * 8, j + TILE_PF_COLS, 2, nj, ni * 8);
        const double *c0 = s + j * sc, *c1 = c0 + sc;
        for (int64_t i = 0; i < i2; i += 2) {
            __m128d r0 = _mm_loadu_pd(c0 + i), r1 = _mm_loadu_pd(c1 + i);
            _mm_storeu_pd(d + i * ld + j, _mm_unpacklo_pd(r0, r1));
            _mm_storeu_pd(d + (i + 1) * ld + j, _mm_unpackhi_pd(r0, r1));
        }
        if (i2 < ni) {
            d[i2 * ld + j] = c0[i2];
            d[i2 * ld + j + 1] = c1[i2];
        }
    }
    if (j2 < nj)
        for (int64_t i = 0; i < ni; i++) d[i * ld + j2] = s[i + j2 * sc];
}
#endif

/* buf[i * ld + j] = element (i, j) of a tile at src with row stride sr and
 * column stride sc (elements), for i < ni, j < nj; reads along the smaller
 * stride. */
#define STAGE_TYPED(T)                                                                             \
    do {                                                                                           \
        T *d = (T *)buf;                                                                           \
        const T *s = (const T *)src;                                                               \
        if ((sr < 0 ? -sr : sr) <= (sc < 0 ? -sc : sc)) {                                          \
            for (int64_t j = 0; j < nj; j++)                                                       \
                for (int64_t i = 0; i < ni; i++) d[i * ld + j] = s[i * sr + j * sc];               \
        } else {                                                                                   \
            for (int64_t i = 0; i < ni; i++)                                                       \
                for (int64_t j = 0; j < nj; j++) d[i * ld + j] = s[i * sr + j * sc];               \
        }                                                                                          \
    } while (0)

static void stage_tile(char *buf, const char *src, int64_t sr, int64_t sc, int64_t ni, int64_t nj,
                       int64_t ld, int64_t isz) {
#if defined(__SSE2__)
    if (sr == 1 && isz == 1) {
        stage_t1(buf, src, sc, ni, nj, ld);
        return;
    }
    if (sr == 1 && isz == 2) {
        stage_t2(buf, src, sc, ni, nj, ld);
        return;
    }
    if (sr == 1 && isz == 4) {
        stage_t4(buf, src, sc, ni, nj, ld);
        return;
    }
    if (sr == 1 && isz == 8) {
        stage_t8(buf, src, sc, ni, nj, ld);
        return;
    }
#endif
    switch (isz) {
    case 1:
        STAGE_TYPED(uint8_t);
        break;
    case 2:
        STAGE_TYPED(uint16_t);
        break;
    case 4:
        STAGE_TYPED(uint32_t);
        break;
    default:
        STAGE_TYPED(uint64_t);
        break;
    }
}

static void tiled_range(void *ctx, int64_t u0, int64_t u1) {
    const mxi_tiled *t = ctx;
    const mxi_strided *it = t->it;
    int nd = it->ndim, nops = it->nops;
    /* One buffer per staged operand; without memory the jumping operands
     * are read in place (slower, same results). */
    char *bufs[MXI_TILE_MAX_OPS] = {NULL, NULL, NULL};
    bool stage[MXI_TILE_MAX_OPS];
    size_t need = 0;
    for (int k = 0; k < nops; k++)
        if (t->stage[k]) need += (size_t)(t->ti * tile_ld(t->tj, t->itemsize[k]) * t->itemsize[k]);
    char *mem = need ? aligned_alloc(64, (need + 63) & ~(size_t)63) : NULL;
    for (int k = 0, at = 0; k < nops; k++) {
        stage[k] = t->stage[k] && mem;
        if (stage[k]) {
            bufs[k] = mem + at;
            at += (int)(t->ti * tile_ld(t->tj, t->itemsize[k]) * t->itemsize[k]);
        }
    }
    const char *ptr[MXI_TILE_MAX_OPS];
    int64_t stride[MXI_TILE_MAX_OPS];
    for (int64_t u = u0; u < u1; u++) {
        int64_t outer = u / t->bands, i0 = u % t->bands * t->ti;
        int64_t ni = t->rows - i0 < t->ti ? t->rows - i0 : t->ti;
        int64_t base = (outer * t->rows + i0) * t->cols;
        mxi_strided_pos p;
        mxi_strided_seek(it, &p, base);
        for (int64_t j0 = 0; j0 < t->cols; j0 += t->tj) {
            int64_t nj = t->cols - j0 < t->tj ? t->cols - j0 : t->tj;
            for (int k = 0; k < nops; k++) {
                if (!stage[k]) continue;
                int64_t sr = it->strides[k][nd - 2], sc = it->strides[k][nd - 1];
                const char *src = t->base[k] + (p.off[k] + j0 * sc) * t->itemsize[k];
                stage_tile(bufs[k], src, sr, sc, ni, nj, tile_ld(nj, t->itemsize[k]),
                           t->itemsize[k]);
            }
            for (int64_t i = 0; i < ni; i++) {
                for (int k = 0; k < nops; k++) {
                    int64_t sr = it->strides[k][nd - 2], sc = it->strides[k][nd - 1];
                    if (stage[k]) {
                        ptr[k] = bufs[k] + i * tile_ld(nj, t->itemsize[k]) * t->itemsize[k];
                        stride[k] = 1;
                        continue;
                    }
                    ptr[k] = t->base[k] + (p.off[k] + i * sr + j0 * sc) * t->itemsize[k];
                    stride[k] = sc;
                    /* A contiguous row piece a few rows ahead. */
                    if (sc == 1 && i + TILE_PF_ROWS < ni) {
                        const char *q = ptr[k] + TILE_PF_ROWS * sr * t->itemsize[k];
                        for (int64_t b = 0; b < nj * t->itemsize[k]; b += 64) TILE_PREFETCH(q + b);
                    }
                }
                t->run(t->ctx, ptr, stride, base + i * t->cols + j0, nj);
            }
        }
    }
    free(mem);
    /* Runs may have used streaming stores. */
    mxi_stream_fence();
}

void mxi_tiled_walk(mxi_tiled *t) {
    int64_t grain = MXI_ELEMWISE_GRAIN / (t->ti * t->cols);
    if (grain < 1) grain = 1;
    if (t->it->size >= 2 * MXI_ELEMWISE_GRAIN && t->units >= 2)
        mxi_parallel_for(t->units, grain, tiled_range, t);
    else
        tiled_range(t, 0, t->units);
}
