/*
 * Sort, ArgSort, Partition, ArgPartition and SearchSorted on the CPU.
 *
 * Order: every real dtype is mapped to an unsigned "key" of its own width
 * whose unsigned order is MLX's order: signed integers flip the sign bit;
 * floats flip all bits of negatives and the sign bit of positives, with -0
 * mapped onto +0 and every NaN onto the largest key, so NaNs sort last and
 * compare equal (keeping their order in a stable sort). complex64 has no key
 * and is compared lexicographically, NaN last.
 *
 * A row (the elements along the sorted axis) is sorted by an LSD radix sort
 * over 8-bit digits of the key: one counting pass builds every digit's
 * histogram, digits in which all keys agree are skipped, and each remaining
 * pass is a stable scatter. Values sorts move the original elements and
 * recompute the key per pass (so -0 and NaN payloads come back unchanged);
 * argsorts move (key, index) pairs, the first pass reading the input and the
 * last writing the indices straight to the output. Short rows and complex64
 * use a stable merge sort. Partitions use introselect: Hoare partitioning
 * around a median of three, or in long ranges around the element of a small
 * sample whose rank matches kth's (so topk of a long row usually takes one
 * pass), and a merge sort once the depth budget is spent.
 *
 * Not done yet: AVX-512 sorting networks for short rows, which NumPy uses
 * (its np.sort of float32 rows up to about a thousand elements is faster
 * than this radix sort on AVX-512 machines).
 *
 * Rows are independent and are shared over the thread pool; one long row
 * (a sort of a flattened array) is sorted by a parallel radix sort in which
 * each chunk of the row keeps its own histogram, so the scatter stays stable.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/strided.h"
#include "primitives/params_sort.h"

/* Below this many elements a row is merge sorted rather than radix sorted
 * (measured: radix wins from about 48 float32 elements on). */
#define RADIX_MIN 48
/* A single row at least this long is radix sorted by several threads. */
#define PARALLEL_ROW_MIN (1 << 17)
/* Rows are handed to threads in groups of about this many elements. */
#define SORT_GRAIN 32768
/* Runs sorted by insertion before merging. */
#define MERGE_RUN 16
/* Selection in ranges at least this long takes its pivot from a sample of
 * SELECT_SAMPLE elements. */
#define SELECT_SAMPLE_MIN 4096
#define SELECT_SAMPLE     63

/* ---- keys ---- */

static inline uint8_t key_b(uint8_t v) {
    return v != 0;
}
static inline uint8_t key_u8(uint8_t v) {
    return v;
}
static inline uint8_t key_i8(uint8_t v) {
    return (uint8_t)(v ^ 0x80u);
}
static inline uint16_t key_u16(uint16_t v) {
    return v;
}
static inline uint16_t key_i16(uint16_t v) {
    return (uint16_t)(v ^ 0x8000u);
}
static inline uint32_t key_u32(uint32_t v) {
    return v;
}
static inline uint32_t key_i32(uint32_t v) {
    return v ^ 0x80000000u;
}
static inline uint64_t key_u64(uint64_t v) {
    return v;
}
static inline uint64_t key_i64(uint64_t v) {
    return v ^ 0x8000000000000000ull;
}

/* Floats: NaN (magnitude above the infinity pattern) is the largest key,
 * both zeros share the key of +0. */
#define FLOAT_KEY(NAME, U, SIGN, INF)                                                              \
    static inline U NAME(U v) {                                                                    \
        U mag = (U)(v & (U) ~(U)(SIGN));                                                           \
        U k = (v & (U)(SIGN)) ? (U)~v : (U)(v | (U)(SIGN));                                        \
        k = mag == 0 ? (U)(SIGN) : k;                                                              \
        return mag > (U)(INF) ? (U) ~(U)0 : k;                                                     \
    }
FLOAT_KEY(key_f16, uint16_t, 0x8000u, 0x7c00u)
FLOAT_KEY(key_bf16, uint16_t, 0x8000u, 0x7f80u)
FLOAT_KEY(key_f32, uint32_t, 0x80000000u, 0x7f800000u)
FLOAT_KEY(key_f64, uint64_t, 0x8000000000000000ull, 0x7ff0000000000000ull)

typedef struct c64 {
    float re, im;
} c64;

static inline bool c64_isnan(c64 a) {
    return isnan(a.re) || isnan(a.im);
}

/* MLX's complex order: lexicographic, anything with a NaN last. */
static inline bool c64_vless(c64 a, c64 b) {
    if (c64_isnan(a)) return false;
    if (c64_isnan(b)) return true;
    return a.re < b.re || (a.re == b.re && a.im < b.im);
}

/* ---- stable merge sort (E elements, LESS(a, b) a strict order) ---- */

#define MERGE_DEFS(NAME, E, LESS)                                                                  \
    static void NAME##_insertion(E *a, int64_t n) {                                                \
        for (int64_t i = 1; i < n; i++) {                                                          \
            E x = a[i];                                                                            \
            int64_t j = i;                                                                         \
            while (j > 0 && LESS(x, a[j - 1])) {                                                   \
                a[j] = a[j - 1];                                                                   \
                j--;                                                                               \
            }                                                                                      \
            a[j] = x;                                                                              \
        }                                                                                          \
    }                                                                                              \
    /* Sorts a[0, n) stably using tmp[0, n); the result is in a. */                                \
    static void NAME##_mergesort(E *a, E *tmp, int64_t n) {                                        \
        for (int64_t lo = 0; lo < n; lo += MERGE_RUN)                                              \
            NAME##_insertion(a + lo, n - lo < MERGE_RUN ? n - lo : MERGE_RUN);                     \
        E *src = a, *dst = tmp;                                                                    \
        for (int64_t w = MERGE_RUN; w < n; w *= 2) {                                               \
            for (int64_t lo = 0; lo < n; lo += 2 * w) {                                            \
                int64_t mid = lo + w < n ? lo + w : n;                                             \
                int64_t hi = lo + 2 * w < n ? lo + 2 * w : n;                                      \
                int64_t i = lo, j = mid, k = lo;                                                   \
                while (i < mid && j < hi) dst[k++] = LESS(src[j], src[i]) ? src[j++] : src[i++];   \
                while (i < mid) dst[k++] = src[i++];                                               \
                while (j < hi) dst[k++] = src[j++];                                                \
            }                                                                                      \
            E *t = src;                                                                            \
            src = dst;                                                                             \
            dst = t;                                                                               \
        }                                                                                          \
        if (src != a) memcpy(a, src, (size_t)n * sizeof(E));                                       \
    }

/* ---- introselect: a[kth] in place, smaller before, larger after ---- */

static int log2_floor(int64_t n) {
    int l = 0;
    while (n > 1) n >>= 1, l++;
    return l;
}

#define SELECT_DEFS(NAME, E, LESS)                                                                 \
    static void NAME##_select(E *a, E *tmp, int64_t n, int64_t kth) {                              \
        int64_t lo = 0, hi = n - 1; /* inclusive; holds kth */                                     \
        int budget = 2 * log2_floor(n) + 4;                                                        \
        while (hi - lo >= MERGE_RUN) {                                                             \
            if (budget-- == 0) {                                                                   \
                NAME##_mergesort(a + lo, tmp, hi - lo + 1);                                        \
                return;                                                                            \
            }                                                                                      \
            int64_t len = hi - lo + 1, i, j;                                                       \
            E t, p;                                                                                \
            if (len >= SELECT_SAMPLE_MIN) {                                                        \
                /* A long range: the pivot is the sample element whose rank in                     \
                 * an evenly spaced sample matches kth's, so one pass usually                      \
                 * leaves only a small range around kth. The scans check their                     \
                 * bounds (no sentinels here). */                                                  \
                E smp[SELECT_SAMPLE];                                                              \
                for (int q = 0; q < SELECT_SAMPLE; q++)                                            \
                    smp[q] = a[lo + (len - 1) * q / (SELECT_SAMPLE - 1)];                          \
                NAME##_insertion(smp, SELECT_SAMPLE);                                              \
                p = smp[(kth - lo) * (SELECT_SAMPLE - 1) / (len - 1)];                             \
                i = lo - 1, j = hi + 1;                                                            \
                for (;;) {                                                                         \
                    do i++;                                                                        \
                    while (i <= hi && LESS(a[i], p));                                              \
                    do j--;                                                                        \
                    while (j >= lo && LESS(p, a[j]));                                              \
                    if (i >= j) break;                                                             \
                    t = a[i], a[i] = a[j], a[j] = t;                                               \
                }                                                                                  \
            } else {                                                                               \
                /* Median of three into a[mid]; a[lo] <= it <= a[hi] then guard                    \
                 * the scans. */                                                                   \
                int64_t mid = lo + (hi - lo) / 2;                                                  \
                if (LESS(a[mid], a[lo])) t = a[mid], a[mid] = a[lo], a[lo] = t;                    \
                if (LESS(a[hi], a[mid])) {                                                         \
                    t = a[mid], a[mid] = a[hi], a[hi] = t;                                         \
                    if (LESS(a[mid], a[lo])) t = a[mid], a[mid] = a[lo], a[lo] = t;                \
                }                                                                                  \
                p = a[mid];                                                                        \
                i = lo, j = hi;                                                                    \
                for (;;) {                                                                         \
                    do i++;                                                                        \
                    while (LESS(a[i], p));                                                         \
                    do j--;                                                                        \
                    while (LESS(p, a[j]));                                                         \
                    if (i >= j) break;                                                             \
                    t = a[i], a[i] = a[j], a[j] = t;                                               \
                }                                                                                  \
            }                                                                                      \
            /* Hoare: now a[lo, i) <= p, a(j, hi] >= p, i >= j, and what lies                      \
             * between equals p. Equal elements stop both scans, so runs of                        \
             * equal keys still split evenly. */                                                   \
            if (kth <= j)                                                                          \
                hi = j;                                                                            \
            else if (kth >= i)                                                                     \
                lo = i;                                                                            \
            else                                                                                   \
                return;                                                                            \
        }                                                                                          \
        NAME##_insertion(a + lo, hi - lo + 1);                                                     \
    }

/* ---- binary search over a strided sorted sequence ---- */

#define SEARCH_DEFS(NAME, E, LESS)                                                                 \
    static void NAME##_search(const void *seq_, int64_t ss, int64_t m, const void *vals_,          \
                              int64_t vs, uint32_t *out, int64_t count, int right) {               \
        const E *seq = seq_, *vals = vals_;                                                        \
        for (int64_t j = 0; j < count; j++) {                                                      \
            E v = vals[j * vs];                                                                    \
            int64_t lo = 0, hi = m;                                                                \
            if (right) {                                                                           \
                while (lo < hi) {                                                                  \
                    int64_t mid = lo + (hi - lo) / 2;                                              \
                    if (LESS(v, seq[mid * ss]))                                                    \
                        hi = mid;                                                                  \
                    else                                                                           \
                        lo = mid + 1;                                                              \
                }                                                                                  \
            } else {                                                                               \
                while (lo < hi) {                                                                  \
                    int64_t mid = lo + (hi - lo) / 2;                                              \
                    if (LESS(seq[mid * ss], v))                                                    \
                        lo = mid + 1;                                                              \
                    else                                                                           \
                        hi = mid;                                                                  \
                }                                                                                  \
            }                                                                                      \
            out[j] = (uint32_t)lo;                                                                 \
        }                                                                                          \
    }

/* ---- the parallel radix pass (one long row) ---- */

/* One stable scatter pass over n elements split in nchunks chunks: chunk c
 * counts its digits, then scatters them after the same digits of chunks
 * before it. The element movers are per type (see RADIX_DEFS). */
typedef struct radix_pass {
    /* Counts digit `shift` of chunk c's source into hist[256]. */
    void (*count)(const struct radix_pass *, int64_t c, uint32_t *hist);
    /* Scatters chunk c from the given start offsets. */
    void (*scatter)(const struct radix_pass *, int64_t c, const uint32_t *offsets);
    /* Reads chunk c of the input: counts every digit into h[nb][256]. */
    void (*count_all)(const struct radix_pass *, int64_t c, uint32_t *h);
    int64_t n, nchunks;
    const void *in; /* the row, stride is */
    int64_t is;
    const void *src; /* later passes' source: values or pairs */
    void *dst;       /* destination: values, pairs, or the output (stride ds) */
    int64_t ds;
    int shift, nb;
    bool arg;               /* an argsort: (key, index) pairs move, indices come out */
    bool first;             /* this pass reads the input itself */
    bool last;              /* this pass writes the output */
    uint32_t (*hists)[256]; /* nchunks histograms */
    uint32_t *all;          /* nchunks * nb * 256 counts */
} radix_pass;

static inline int64_t chunk_lo(const radix_pass *p, int64_t c) {
    return p->n * c / p->nchunks;
}

static void radix_count_range(void *ctx, int64_t b, int64_t e) {
    radix_pass *p = ctx;
    for (int64_t c = b; c < e; c++) {
        memset(p->hists[c], 0, sizeof p->hists[c]);
        p->count(p, c, p->hists[c]);
    }
}

static void radix_scatter_range(void *ctx, int64_t b, int64_t e) {
    radix_pass *p = ctx;
    for (int64_t c = b; c < e; c++) p->scatter(p, c, p->hists[c]);
}

static void radix_count_all_range(void *ctx, int64_t b, int64_t e) {
    radix_pass *p = ctx;
    for (int64_t c = b; c < e; c++) {
        uint32_t *h = p->all + (size_t)c * (size_t)p->nb * 256;
        memset(h, 0, (size_t)p->nb * 256 * sizeof *h);
        p->count_all(p, c, h);
    }
}

/* Counts every chunk (unless `counted`: hists already hold the counts),
 * turns the counts into per-chunk start offsets (digit major, chunk minor:
 * stable), then scatters every chunk. */
static void radix_run_pass(radix_pass *p, bool counted) {
    if (!counted) mxi_parallel_for(p->nchunks, 1, radix_count_range, p);
    uint32_t total = 0;
    for (int d = 0; d < 256; d++)
        for (int64_t c = 0; c < p->nchunks; c++) {
            uint32_t k = p->hists[c][d];
            p->hists[c][d] = total;
            total += k;
        }
    mxi_parallel_for(p->nchunks, 1, radix_scatter_range, p);
}

/* ---- radix sorts per key width ----
 *
 * Values sorts move the elements themselves and recompute their keys in
 * each pass (measured faster than a pass writing the keys out first), so -0
 * and NaN payloads come back exactly as they were. Argsorts move (key,
 * index) pairs; their first pass reads the input and their last writes the
 * indices straight to the output. */

#define RADIX_DEFS(NAME, T, KEYF)                                                                  \
    typedef struct NAME##_pair {                                                                   \
        T key;                                                                                     \
        uint32_t idx;                                                                              \
    } NAME##_pair;                                                                                 \
                                                                                                   \
    /* Histograms of every digit of the keys of in[0, n) (stride is). */                           \
    static void NAME##_hist(const T *in, int64_t is, int64_t n, uint32_t(*hist)[256]) {            \
        memset(hist, 0, sizeof(T) * sizeof *hist);                                                 \
        if (is == 1) {                                                                             \
            for (int64_t i = 0; i < n; i++) {                                                      \
                T k = KEYF(in[i]);                                                                 \
                for (int b = 0; b < (int)sizeof(T); b++) hist[b][(k >> (8 * b)) & 255]++;          \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                T k = KEYF(in[i * is]);                                                            \
                for (int b = 0; b < (int)sizeof(T); b++) hist[b][(k >> (8 * b)) & 255]++;          \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    /* The digits whose pass changes anything (not all keys alike). */                             \
    static int NAME##_passes(T k0, int64_t n, uint32_t(*hist)[256], int *passes) {                 \
        int np = 0;                                                                                \
        for (int b = 0; b < (int)sizeof(T); b++)                                                   \
            if (hist[b][(k0 >> (8 * b)) & 255] != (uint32_t)n) passes[np++] = b;                   \
        return np;                                                                                 \
    }                                                                                              \
                                                                                                   \
    /* Values: in (stride is) sorted into out (stride os); buf holds 2n. */                        \
    static void NAME##_radix_sort(const T *in, int64_t is, T *out, int64_t os, int64_t n,          \
                                  T *buf) {                                                        \
        uint32_t hist[sizeof(T)][256];                                                             \
        int passes[sizeof(T)];                                                                     \
        NAME##_hist(in, is, n, hist);                                                              \
        int np = NAME##_passes(KEYF(in[0]), n, hist, passes);                                      \
        if (np == 0) {                                                                             \
            for (int64_t i = 0; i < n; i++) out[i * os] = in[i * is];                              \
            return;                                                                                \
        }                                                                                          \
        const T *src = in;                                                                         \
        int64_t ss = is;                                                                           \
        for (int p = 0; p < np; p++) {                                                             \
            int sh = 8 * passes[p];                                                                \
            bool last = p == np - 1;                                                               \
            T *dst = last ? out : buf + (p & 1) * n;                                               \
            int64_t ds = last ? os : 1;                                                            \
            uint32_t off[256], total = 0;                                                          \
            for (int d = 0; d < 256; d++) off[d] = total, total += hist[passes[p]][d];             \
            if (ss == 1 && ds == 1) {                                                              \
                for (int64_t i = 0; i < n; i++) {                                                  \
                    T v = src[i];                                                                  \
                    dst[off[(KEYF(v) >> sh) & 255]++] = v;                                         \
                }                                                                                  \
            } else {                                                                               \
                for (int64_t i = 0; i < n; i++) {                                                  \
                    T v = src[i * ss];                                                             \
                    dst[(int64_t)off[(KEYF(v) >> sh) & 255]++ * ds] = v;                           \
                }                                                                                  \
            }                                                                                      \
            src = dst;                                                                             \
            ss = ds;                                                                               \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    /* Indices: in (stride is) argsorted into out (stride os); buf holds 2n                        \
     * pairs. */                                                                                   \
    static void NAME##_radix_argsort(const T *in, int64_t is, uint32_t *out, int64_t os,           \
                                     int64_t n, NAME##_pair *buf) {                                \
        uint32_t hist[sizeof(T)][256];                                                             \
        int passes[sizeof(T)];                                                                     \
        NAME##_hist(in, is, n, hist);                                                              \
        int np = NAME##_passes(KEYF(in[0]), n, hist, passes);                                      \
        if (np == 0) {                                                                             \
            for (int64_t i = 0; i < n; i++) out[i * os] = (uint32_t)i;                             \
            return;                                                                                \
        }                                                                                          \
        const NAME##_pair *src = NULL;                                                             \
        for (int p = 0; p < np; p++) {                                                             \
            int sh = 8 * passes[p];                                                                \
            bool last = p == np - 1;                                                               \
            NAME##_pair *dst = buf + (p & 1) * n;                                                  \
            uint32_t off[256], total = 0;                                                          \
            for (int d = 0; d < 256; d++) off[d] = total, total += hist[passes[p]][d];             \
            if (p == 0 && last) {                                                                  \
                for (int64_t i = 0; i < n; i++)                                                    \
                    out[(int64_t)off[(KEYF(in[i * is]) >> sh) & 255]++ * os] = (uint32_t)i;        \
            } else if (p == 0) {                                                                   \
                for (int64_t i = 0; i < n; i++) {                                                  \
                    NAME##_pair e = {KEYF(in[i * is]), (uint32_t)i};                               \
                    dst[off[(e.key >> sh) & 255]++] = e;                                           \
                }                                                                                  \
            } else if (last) {                                                                     \
                if (os == 1)                                                                       \
                    for (int64_t i = 0; i < n; i++)                                                \
                        out[off[(src[i].key >> sh) & 255]++] = src[i].idx;                         \
                else                                                                               \
                    for (int64_t i = 0; i < n; i++)                                                \
                        out[(int64_t)off[(src[i].key >> sh) & 255]++ * os] = src[i].idx;           \
            } else {                                                                               \
                for (int64_t i = 0; i < n; i++) dst[off[(src[i].key >> sh) & 255]++] = src[i];     \
            }                                                                                      \
            src = dst;                                                                             \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    /* ---- the same on several threads (one long row) ---- */                                     \
                                                                                                   \
    static void NAME##_pcount_all(const radix_pass *p, int64_t c, uint32_t *h) {                   \
        int64_t lo = chunk_lo(p, c), hi = chunk_lo(p, c + 1);                                      \
        NAME##_hist((const T *)p->in + lo * p->is, p->is, hi - lo, (uint32_t(*)[256])h);           \
    }                                                                                              \
    static void NAME##_pcount(const radix_pass *p, int64_t c, uint32_t *hist) {                    \
        int64_t lo = chunk_lo(p, c), hi = chunk_lo(p, c + 1);                                      \
        int sh = p->shift;                                                                         \
        if (p->arg) {                                                                              \
            const NAME##_pair *s = p->src;                                                         \
            for (int64_t i = lo; i < hi; i++) hist[(s[i].key >> sh) & 255]++;                      \
        } else {                                                                                   \
            const T *s = p->src;                                                                   \
            for (int64_t i = lo; i < hi; i++) hist[(KEYF(s[i]) >> sh) & 255]++;                    \
        }                                                                                          \
    }                                                                                              \
    static void NAME##_pscatter_values(const radix_pass *p, int64_t c, const uint32_t *start) {    \
        int64_t lo = chunk_lo(p, c), hi = chunk_lo(p, c + 1);                                      \
        uint32_t off[256];                                                                         \
        memcpy(off, start, sizeof off);                                                            \
        const T *s = p->first ? p->in : p->src;                                                    \
        int64_t ss = p->first ? p->is : 1;                                                         \
        T *d = p->dst;                                                                             \
        int sh = p->shift;                                                                         \
        for (int64_t i = lo; i < hi; i++) {                                                        \
            T v = s[i * ss];                                                                       \
            d[(int64_t)off[(KEYF(v) >> sh) & 255]++ * p->ds] = v;                                  \
        }                                                                                          \
    }                                                                                              \
    static void NAME##_pscatter_pairs(const radix_pass *p, int64_t c, const uint32_t *start) {     \
        int64_t lo = chunk_lo(p, c), hi = chunk_lo(p, c + 1);                                      \
        uint32_t off[256];                                                                         \
        memcpy(off, start, sizeof off);                                                            \
        int sh = p->shift;                                                                         \
        if (p->first) {                                                                            \
            const T *s = p->in;                                                                    \
            if (p->last) {                                                                         \
                uint32_t *d = p->dst;                                                              \
                for (int64_t i = lo; i < hi; i++)                                                  \
                    d[(int64_t)off[(KEYF(s[i * p->is]) >> sh) & 255]++ * p->ds] = (uint32_t)i;     \
            } else {                                                                               \
                NAME##_pair *d = p->dst;                                                           \
                for (int64_t i = lo; i < hi; i++) {                                                \
                    NAME##_pair e = {KEYF(s[i * p->is]), (uint32_t)i};                             \
                    d[off[(e.key >> sh) & 255]++] = e;                                             \
                }                                                                                  \
            }                                                                                      \
        } else {                                                                                   \
            const NAME##_pair *s = p->src;                                                         \
            if (p->last) {                                                                         \
                uint32_t *d = p->dst;                                                              \
                for (int64_t i = lo; i < hi; i++)                                                  \
                    d[(int64_t)off[(s[i].key >> sh) & 255]++ * p->ds] = s[i].idx;                  \
            } else {                                                                               \
                NAME##_pair *d = p->dst;                                                           \
                for (int64_t i = lo; i < hi; i++) d[off[(s[i].key >> sh) & 255]++] = s[i];         \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    /* One long row on several threads. buf holds 2n values or pairs; hists                        \
     * room for nchunks histograms, all for nchunks * sizeof(T) of them. */                        \
    static void NAME##_radix_parallel(const void *in_, int64_t is, void *out, int64_t os,          \
                                      int64_t n, void *buf, bool arg, int64_t nchunks,             \
                                      uint32_t(*hists)[256], uint32_t *all) {                      \
        const T *in = in_;                                                                         \
        enum { NB = sizeof(T) };                                                                   \
        size_t esz = arg ? sizeof(NAME##_pair) : sizeof(T);                                        \
        radix_pass p = {.count = NAME##_pcount,                                                    \
                        .scatter = arg ? NAME##_pscatter_pairs : NAME##_pscatter_values,           \
                        .count_all = NAME##_pcount_all,                                            \
                        .n = n,                                                                    \
                        .nchunks = nchunks,                                                        \
                        .in = in,                                                                  \
                        .is = is,                                                                  \
                        .nb = NB,                                                                  \
                        .arg = arg,                                                                \
                        .hists = hists,                                                            \
                        .all = all};                                                               \
        /* Every digit's counts per chunk, in parallel; their sums find the                        \
         * passes that change anything. */                                                         \
        mxi_parallel_for(nchunks, 1, radix_count_all_range, &p);                                   \
        uint32_t hist[NB][256];                                                                    \
        memset(hist, 0, sizeof hist);                                                              \
        for (int64_t c = 0; c < nchunks; c++)                                                      \
            for (int b = 0; b < NB; b++)                                                           \
                for (int d = 0; d < 256; d++) hist[b][d] += all[((size_t)c * NB + b) * 256 + d];   \
        int passes[NB];                                                                            \
        int np = NAME##_passes(KEYF(in[0]), n, hist, passes);                                      \
        if (np == 0) {                                                                             \
            if (arg)                                                                               \
                for (int64_t i = 0; i < n; i++) ((uint32_t *)out)[i * os] = (uint32_t)i;           \
            else                                                                                   \
                for (int64_t i = 0; i < n; i++) ((T *)out)[i * os] = in[i * is];                   \
            return;                                                                                \
        }                                                                                          \
        char *bufs[2] = {(char *)buf, (char *)buf + (size_t)n * esz};                              \
        for (int k = 0; k < np; k++) {                                                             \
            p.first = k == 0;                                                                      \
            p.last = k == np - 1;                                                                  \
            p.shift = 8 * passes[k];                                                               \
            p.dst = p.last ? out : bufs[k & 1];                                                    \
            p.ds = p.last ? os : 1;                                                                \
            /* The first pass's chunk counts are known already. */                                 \
            if (k == 0)                                                                            \
                for (int64_t c = 0; c < nchunks; c++)                                              \
                    memcpy(hists[c], all + ((size_t)c * NB + passes[0]) * 256, sizeof hists[c]);   \
            radix_run_pass(&p, k == 0);                                                            \
            p.src = p.dst;                                                                         \
        }                                                                                          \
    }

/* ---- per dtype: rows ---- */

typedef void (*row_fn)(const void *in, int64_t is, void *out, int64_t os, int64_t n, int64_t kth,
                       void *scratch);
typedef void (*search_fn)(const void *seq, int64_t ss, int64_t m, const void *vals, int64_t vs,
                          uint32_t *out, int64_t count, int right);
typedef void (*parallel_fn)(const void *in, int64_t is, void *out, int64_t os, int64_t n, void *buf,
                            bool arg, int64_t nchunks, uint32_t (*hists)[256], uint32_t *all);

typedef struct sort_fns {
    row_fn sort, argsort, partition, argpartition;
    search_fn search;
    parallel_fn parallel; /* NULL: no parallel single-row sort */
    size_t value_size, pair_size;
} sort_fns;

/* Rows of the dtypes that have keys: merge sort below RADIX_MIN, radix above. */
#define KEY_FAMILY(NAME, T, KEYF)                                                                  \
    RADIX_DEFS(NAME, T, KEYF)                                                                      \
    static inline bool NAME##_vless(T a, T b) {                                                    \
        return KEYF(a) < KEYF(b);                                                                  \
    }                                                                                              \
    static inline bool NAME##_pless(NAME##_pair a, NAME##_pair b) {                                \
        return a.key < b.key;                                                                      \
    }                                                                                              \
    MERGE_DEFS(NAME##_v, T, NAME##_vless)                                                          \
    MERGE_DEFS(NAME##_p, NAME##_pair, NAME##_pless)                                                \
    SELECT_DEFS(NAME##_v, T, NAME##_vless)                                                         \
    SELECT_DEFS(NAME##_p, NAME##_pair, NAME##_pless)                                               \
    SEARCH_DEFS(NAME, T, NAME##_vless)                                                             \
    static void NAME##_sort_row(const void *in_, int64_t is, void *out_, int64_t os, int64_t n,    \
                                int64_t kth, void *scratch) {                                      \
        const T *in = in_;                                                                         \
        T *out = out_, *buf = scratch;                                                             \
        (void)kth;                                                                                 \
        if (n >= RADIX_MIN) {                                                                      \
            NAME##_radix_sort(in, is, out, os, n, buf);                                            \
            return;                                                                                \
        }                                                                                          \
        for (int64_t i = 0; i < n; i++) buf[i] = in[i * is];                                       \
        NAME##_v_mergesort(buf, buf + n, n);                                                       \
        for (int64_t i = 0; i < n; i++) out[i * os] = buf[i];                                      \
    }                                                                                              \
    static void NAME##_argsort_row(const void *in_, int64_t is, void *out_, int64_t os, int64_t n, \
                                   int64_t kth, void *scratch) {                                   \
        const T *in = in_;                                                                         \
        uint32_t *out = out_;                                                                      \
        NAME##_pair *buf = scratch;                                                                \
        (void)kth;                                                                                 \
        if (n >= RADIX_MIN) {                                                                      \
            NAME##_radix_argsort(in, is, out, os, n, buf);                                         \
            return;                                                                                \
        }                                                                                          \
        for (int64_t i = 0; i < n; i++) buf[i].key = KEYF(in[i * is]), buf[i].idx = (uint32_t)i;   \
        NAME##_p_mergesort(buf, buf + n, n);                                                       \
        for (int64_t i = 0; i < n; i++) out[i * os] = buf[i].idx;                                  \
    }                                                                                              \
    static void NAME##_partition_row(const void *in_, int64_t is, void *out_, int64_t os,          \
                                     int64_t n, int64_t kth, void *scratch) {                      \
        const T *in = in_;                                                                         \
        T *out = out_, *buf = scratch;                                                             \
        T *work = os == 1 ? out : buf;                                                             \
        for (int64_t i = 0; i < n; i++) work[i] = in[i * is];                                      \
        NAME##_v_select(work, buf + n, n, kth);                                                    \
        if (work != out)                                                                           \
            for (int64_t i = 0; i < n; i++) out[i * os] = buf[i];                                  \
    }                                                                                              \
    static void NAME##_argpartition_row(const void *in_, int64_t is, void *out_, int64_t os,       \
                                        int64_t n, int64_t kth, void *scratch) {                   \
        const T *in = in_;                                                                         \
        uint32_t *out = out_;                                                                      \
        NAME##_pair *buf = scratch;                                                                \
        for (int64_t i = 0; i < n; i++) buf[i].key = KEYF(in[i * is]), buf[i].idx = (uint32_t)i;   \
        NAME##_p_select(buf, buf + n, n, kth);                                                     \
        for (int64_t i = 0; i < n; i++) out[i * os] = buf[i].idx;                                  \
    }

KEY_FAMILY(b, uint8_t, key_b)
KEY_FAMILY(u8, uint8_t, key_u8)
KEY_FAMILY(i8, uint8_t, key_i8)
KEY_FAMILY(u16, uint16_t, key_u16)
KEY_FAMILY(i16, uint16_t, key_i16)
KEY_FAMILY(f16, uint16_t, key_f16)
KEY_FAMILY(bf16, uint16_t, key_bf16)
KEY_FAMILY(u32, uint32_t, key_u32)
KEY_FAMILY(i32, uint32_t, key_i32)
KEY_FAMILY(f32, uint32_t, key_f32)
KEY_FAMILY(u64, uint64_t, key_u64)
KEY_FAMILY(i64, uint64_t, key_i64)
KEY_FAMILY(f64, uint64_t, key_f64)

/* complex64: comparison sorts only. */
typedef struct c64_pair {
    c64 v;
    uint32_t idx;
} c64_pair;
static inline bool c64_pless(c64_pair a, c64_pair b) {
    return c64_vless(a.v, b.v);
}
MERGE_DEFS(c64_v, c64, c64_vless)
MERGE_DEFS(c64_p, c64_pair, c64_pless)
SELECT_DEFS(c64_v, c64, c64_vless)
SELECT_DEFS(c64_p, c64_pair, c64_pless)
SEARCH_DEFS(c64, c64, c64_vless)

static void c64_sort_row(const void *in_, int64_t is, void *out_, int64_t os, int64_t n,
                         int64_t kth, void *scratch) {
    const c64 *in = in_;
    c64 *out = out_, *buf = scratch;
    (void)kth;
    for (int64_t i = 0; i < n; i++) buf[i] = in[i * is];
    c64_v_mergesort(buf, buf + n, n);
    for (int64_t i = 0; i < n; i++) out[i * os] = buf[i];
}

static void c64_argsort_row(const void *in_, int64_t is, void *out_, int64_t os, int64_t n,
                            int64_t kth, void *scratch) {
    const c64 *in = in_;
    uint32_t *out = out_;
    c64_pair *buf = scratch;
    (void)kth;
    for (int64_t i = 0; i < n; i++) buf[i].v = in[i * is], buf[i].idx = (uint32_t)i;
    c64_p_mergesort(buf, buf + n, n);
    for (int64_t i = 0; i < n; i++) out[i * os] = buf[i].idx;
}

static void c64_partition_row(const void *in_, int64_t is, void *out_, int64_t os, int64_t n,
                              int64_t kth, void *scratch) {
    const c64 *in = in_;
    c64 *out = out_, *buf = scratch;
    for (int64_t i = 0; i < n; i++) buf[i] = in[i * is];
    c64_v_select(buf, buf + n, n, kth);
    for (int64_t i = 0; i < n; i++) out[i * os] = buf[i];
}

static void c64_argpartition_row(const void *in_, int64_t is, void *out_, int64_t os, int64_t n,
                                 int64_t kth, void *scratch) {
    const c64 *in = in_;
    uint32_t *out = out_;
    c64_pair *buf = scratch;
    for (int64_t i = 0; i < n; i++) buf[i].v = in[i * is], buf[i].idx = (uint32_t)i;
    c64_p_select(buf, buf + n, n, kth);
    for (int64_t i = 0; i < n; i++) out[i * os] = buf[i].idx;
}

#define FNS(NAME, T)                                                                               \
    {                                                                                              \
        NAME##_sort_row, NAME##_argsort_row, NAME##_partition_row, NAME##_argpartition_row,        \
            NAME##_search, NULL, sizeof(T), sizeof(NAME##_pair)                                    \
    }

#define FNS_PAR(NAME, T)                                                                           \
    {                                                                                              \
        NAME##_sort_row, NAME##_argsort_row, NAME##_partition_row, NAME##_argpartition_row,        \
            NAME##_search, NAME##_radix_parallel, sizeof(T), sizeof(NAME##_pair)                   \
    }

static const sort_fns fns_table[MX_NUM_DTYPES] = {
    [MX_BOOL] = FNS_PAR(b, uint8_t),         [MX_UINT8] = FNS_PAR(u8, uint8_t),
    [MX_UINT16] = FNS_PAR(u16, uint16_t),    [MX_UINT32] = FNS_PAR(u32, uint32_t),
    [MX_UINT64] = FNS_PAR(u64, uint64_t),    [MX_INT8] = FNS_PAR(i8, uint8_t),
    [MX_INT16] = FNS_PAR(i16, uint16_t),     [MX_INT32] = FNS_PAR(i32, uint32_t),
    [MX_INT64] = FNS_PAR(i64, uint64_t),     [MX_FLOAT16] = FNS_PAR(f16, uint16_t),
    [MX_FLOAT32] = FNS_PAR(f32, uint32_t),   [MX_FLOAT64] = FNS_PAR(f64, uint64_t),
    [MX_BFLOAT16] = FNS_PAR(bf16, uint16_t), [MX_COMPLEX64] = FNS(c64, c64),
};

/* ---- the kernels ---- */

typedef struct sort_job {
    row_fn fn;
    mxi_strided rows; /* the axes other than the sorted one: op 0 in, op 1 out */
    const char *in;
    char *out;
    size_t isz, osz;
    int64_t n, is, os, kth;
    size_t scratch_bytes;
    atomic_int failed;
} sort_job;

static void sort_range(void *ctx, int64_t b, int64_t e) {
    sort_job *j = ctx;
    /* Scratch from the caching allocator: a long row's buffers are reused
     * from call to call instead of being faulted in afresh. */
    mxi_buffer *sb = mxi_buffer_new(j->scratch_bytes);
    if (!sb) {
        atomic_store(&j->failed, 1);
        return;
    }
    void *scratch = sb->ptr;
    mxi_strided_pos p;
    mxi_strided_seek(&j->rows, &p, b);
    for (int64_t r = b; r < e; r++) {
        j->fn(j->in + p.off[0] * (int64_t)j->isz, j->is, j->out + p.off[1] * (int64_t)j->osz, j->os,
              j->n, j->kth, scratch);
        if (r + 1 < e) mxi_strided_advance(&j->rows, &p, 1);
    }
    mxi_buffer_release(sb);
}

static const char *kind_name(mxi_prim_kind k) {
    switch (k) {
    case MXI_PRIM_SORT:
        return "sort";
    case MXI_PRIM_ARGSORT:
        return "argsort";
    case MXI_PRIM_PARTITION:
        return "partition";
    default:
        return "argpartition";
    }
}

int mxi_cpu_sort(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    mx_array *in = inputs[0], *out = outputs[0];
    mxi_prim_kind kind = node->kind;
    const char *op = kind_name(kind);
    int axis;
    int64_t kth = 0;
    if (kind == MXI_PRIM_SORT || kind == MXI_PRIM_ARGSORT) {
        axis = ((const mxi_sort_params *)node->params)->axis;
    } else {
        const mxi_partition_params *pp = node->params;
        axis = pp->axis, kth = pp->kth;
    }
    bool arg = kind == MXI_PRIM_ARGSORT || kind == MXI_PRIM_ARGPARTITION;
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    if (out->size == 0) return MX_OK;
    if (in->dtype < 0 || in->dtype >= MX_NUM_DTYPES)
        return mxi_error(MX_ERR_TYPE, "[%s] invalid dtype", op);
    const sort_fns *f = &fns_table[in->dtype];

    sort_job j;
    memset(&j, 0, sizeof j);
    j.fn = kind == MXI_PRIM_SORT        ? f->sort
           : kind == MXI_PRIM_ARGSORT   ? f->argsort
           : kind == MXI_PRIM_PARTITION ? f->partition
                                        : f->argpartition;
    j.in = mxi_data(in);
    j.out = mxi_data(out);
    j.isz = (size_t)mx_dtype_size(in->dtype);
    j.osz = (size_t)mx_dtype_size(out->dtype);
    j.n = in->shape[axis];
    j.is = in->strides[axis];
    j.os = out->strides[axis];
    j.kth = kth;
    atomic_init(&j.failed, 0);
    size_t esz = arg ? f->pair_size : f->value_size;
    j.scratch_bytes = 2 * (size_t)j.n * esz;

    int32_t shape[64];
    int64_t istr[64], ostr[64];
    int nd = 0;
    for (int d = 0; d < in->ndim; d++) {
        if (d == axis) continue;
        shape[nd] = in->shape[d], istr[nd] = in->strides[d], ostr[nd] = out->strides[d];
        nd++;
    }
    const int64_t *strides[2] = {istr, ostr};
    rc = mxi_strided_init(&j.rows, shape, nd, strides, 2, op);
    if (rc) return rc;
    int64_t nrows = j.rows.size;

    bool sorting = kind == MXI_PRIM_SORT || kind == MXI_PRIM_ARGSORT;
    int threads = mxi_num_threads();
    if (sorting && f->parallel && j.n >= PARALLEL_ROW_MIN && threads > 1 && nrows < threads) {
        /* Few long rows: each row on every thread in turn. */
        int64_t nchunks = 4 * (int64_t)threads;
        mxi_buffer *bb = mxi_buffer_new(j.scratch_bytes);
        uint32_t(*hists)[256] = malloc((size_t)nchunks * sizeof *hists);
        uint32_t *all = malloc((size_t)nchunks * j.isz * 256 * sizeof *all);
        if (!bb || !hists || !all) {
            if (bb) mxi_buffer_release(bb);
            free(hists);
            free(all);
            return mxi_error(MX_ERR_MEMORY, "[%s] out of memory for a row of %lld elements", op,
                             (long long)j.n);
        }
        mxi_strided_pos p;
        mxi_strided_seek(&j.rows, &p, 0);
        for (int64_t r = 0; r < nrows; r++) {
            f->parallel(j.in + p.off[0] * (int64_t)j.isz, j.is, j.out + p.off[1] * (int64_t)j.osz,
                        j.os, j.n, bb->ptr, arg, nchunks, hists, all);
            if (r + 1 < nrows) mxi_strided_advance(&j.rows, &p, 1);
        }
        mxi_buffer_release(bb);
        free(hists);
        free(all);
        return MX_OK;
    }
    int64_t grain = SORT_GRAIN / j.n;
    if (grain < 1) grain = 1;
    if (nrows > grain)
        mxi_parallel_for(nrows, grain, sort_range, &j);
    else
        sort_range(&j, 0, nrows);
    if (atomic_load(&j.failed))
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory for rows of %lld elements", op,
                         (long long)j.n);
    return MX_OK;
}

typedef struct search_job {
    search_fn fn;
    mxi_strided it; /* the values: op 0 */
    const char *seq;
    int64_t ss, m;
    const char *vals;
    size_t vsz;
    uint32_t *out;
    int right;
} search_job;

static void search_range(void *ctx, int64_t b, int64_t e) {
    const search_job *j = ctx;
    const mxi_strided *it = &j->it;
    int64_t vs = it->strides[0][it->ndim - 1];
    mxi_strided_pos p;
    mxi_strided_seek(it, &p, b);
    for (int64_t i = b; i < e;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > e - i) run = e - i;
        j->fn(j->seq, j->ss, j->m, j->vals + p.off[0] * (int64_t)j->vsz, vs, j->out + i, run,
              j->right);
        i += run;
        if (i < e) mxi_strided_advance(it, &p, run);
    }
}

int mxi_cpu_searchsorted(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_searchsorted_params *pp = node->params;
    mx_array *seq = inputs[0], *vals = inputs[1], *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    if (out->size == 0) return MX_OK;
    search_job j;
    const int64_t *strides[1] = {vals->strides};
    rc = mxi_strided_init(&j.it, vals->shape, vals->ndim, strides, 1, "searchsorted");
    if (rc) return rc;
    j.fn = fns_table[seq->dtype].search;
    j.m = seq->shape[0];
    j.seq = j.m ? mxi_data(seq) : NULL;
    j.ss = seq->strides[0];
    j.vals = mxi_data(vals);
    j.vsz = (size_t)mx_dtype_size(vals->dtype);
    j.out = mxi_data(out);
    j.right = pp->right;
    int64_t n = j.it.size;
    /* A search costs about log2(m) reads. */
    int64_t grain = 4096;
    if (n > grain)
        mxi_parallel_for(n, grain, search_range, &j);
    else
        search_range(&j, 0, n);
    return MX_OK;
}
