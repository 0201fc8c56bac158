/*
 * Driver of the float16/bfloat16 GEMM.
 *
 * Both operands are packed whole, once per product (b only when its data
 * changes between batch entries, as for a broadcast weight), into panels
 * along K (see gemm16_kernels.inc). The output is cut into blocks of mcp a
 * panels x ncp b panels, run over the pool; within a block each b panel
 * is taken once and met by every a panel of the block, so the b panel and
 * the block's a panels stay in L2 while the microkernel streams them over
 * all of K. Not splitting K keeps one float32 sum per output, rounded once
 * when its tile is written; the panels are read at a few bytes per cycle,
 * well within what L2 gives.
 */
#include "gemm16.h"

#include <string.h>

#include "core/allocator.h"
#include "core/error.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "cpu/simd.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "gemm16_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const gemm16_tables[MXI_SIMD_LEVELS] = {
    [MXI_SIMD_SCALAR] = &mxi_gemm16_table_scalar,
#ifndef MXI_NO_X86_SIMD
    [MXI_SIMD_AVX2] = &mxi_gemm16_table_avx2,
    [MXI_SIMD_AVX512] = &mxi_gemm16_table_avx512,
    [MXI_SIMD_AVX512_BF16] = &mxi_gemm16_table_avx512bf16,
#endif
};

/* Bytes of a panels one block keeps in L2 beside its b panel. */
#define G16_L2_A_BYTES (512 * 1024)
/* b panels per block. */
#define G16_NCP 8

typedef struct g16_run {
    const mxi_gemm16_kernel *kern;
    const mxi_gemm16_args *g;
    const uint16_t *a, *b; /* this entry's operands */
    uint16_t *out;
    char *pa, *pb;            /* packed panels */
    int64_t a_panel, b_panel; /* bytes per panel */
    int64_t mp, np;           /* panels */
    int64_t mcp, ncp;         /* panels per block */
    int64_t nbm, nbn;         /* blocks */
    int64_t steps;
    bool pack_b;
    float alpha, beta;
} g16_run;

static void pack_range(void *ctx, int64_t begin, int64_t end) {
    const g16_run *r = ctx;
    const mxi_gemm16_args *g = r->g;
    const mxi_gemm16_kernel *k = r->kern;
    for (int64_t i = begin; i < end; i++) {
        if (i < r->mp) {
            int64_t m0 = i * k->mr, rows = g->M - m0 < k->mr ? g->M - m0 : k->mr;
            k->pack(r->pa + i * r->a_panel, r->a + m0 * g->a_rs, g->dtype, rows, k->mr, g->K,
                    g->a_rs, g->a_cs);
        } else {
            int64_t j = i - r->mp, n0 = j * k->nr, cols = g->N - n0 < k->nr ? g->N - n0 : k->nr;
            k->pack(r->pb + j * r->b_panel, r->b + n0 * g->b_cs, g->dtype, cols, k->nr, g->K,
                    g->b_cs, g->b_rs);
        }
    }
}

/* Rounds rows x cols of a tile into out (row stride N). */
static void store_tile(const g16_run *r, const float *tile, int64_t nr, uint16_t *o, int64_t rows,
                       int64_t cols) {
    int64_t N = r->g->N;
    float alpha = r->alpha, beta = r->beta;
    bool bf16 = r->g->dtype == MX_BFLOAT16;
    for (int64_t i = 0; i < rows; i++) {
        const float *t = tile + i * nr;
        uint16_t *oi = o + i * N;
        float v[64];
        for (int64_t j = 0; j < cols; j++) v[j] = alpha * t[j];
        if (beta != 0) {
            if (bf16)
                for (int64_t j = 0; j < cols; j++) v[j] += beta * mxi_bf16_to_f32(oi[j]);
            else
                for (int64_t j = 0; j < cols; j++) v[j] += beta * mxi_f16_to_f32(oi[j]);
        }
        if (bf16)
            for (int64_t j = 0; j < cols; j++) oi[j] = mxi_f32_to_bf16(v[j]);
        else
            for (int64_t j = 0; j < cols; j++) oi[j] = mxi_f32_to_f16(v[j]);
    }
}

static void block_range(void *ctx, int64_t begin, int64_t end) {
    const g16_run *r = ctx;
    const mxi_gemm16_kernel *k = r->kern;
    const mxi_gemm16_args *g = r->g;
    _Alignas(64) float tile[MXI_GEMM16_MAX_TILE];
    for (int64_t blk = begin; blk < end; blk++) {
        int64_t bi = blk / r->nbn, bj = blk % r->nbn;
        int64_t i0 = bi * r->mcp, i1 = i0 + r->mcp < r->mp ? i0 + r->mcp : r->mp;
        int64_t j0 = bj * r->ncp, j1 = j0 + r->ncp < r->np ? j0 + r->ncp : r->np;
        for (int64_t j = j0; j < j1; j++) {
            int64_t n0 = j * k->nr, cols = g->N - n0 < k->nr ? g->N - n0 : k->nr;
            for (int64_t i = i0; i < i1; i++) {
                int64_t m0 = i * k->mr, rows = g->M - m0 < k->mr ? g->M - m0 : k->mr;
                k->micro(r->steps, r->pa + i * r->a_panel, r->pb + j * r->b_panel, tile);
                store_tile(r, tile, k->nr, r->out + m0 * g->N + n0, rows, cols);
            }
        }
    }
}

/* K = 0: out = beta * out. */
static void scale_out(const mxi_gemm16_args *g) {
    int64_t n = g->nb * g->M * g->N;
    uint16_t *o = g->out;
    if (g->beta == 0) {
        memset(o, 0, (size_t)n * 2);
        return;
    }
    float beta = (float)g->beta;
    bool bf16 = g->dtype == MX_BFLOAT16;
    for (int64_t i = 0; i < n; i++)
        o[i] = bf16 ? mxi_f32_to_bf16(beta * mxi_bf16_to_f32(o[i]))
                    : mxi_f32_to_f16(beta * mxi_f16_to_f32(o[i]));
}

typedef struct g16_gemv_run {
    const mxi_gemm16_table *tab;
    mxi_gemm16_gemv v;
} g16_gemv_run;

static void gemv_range(void *ctx, int64_t begin, int64_t end) {
    const g16_gemv_run *r = ctx;
    r->tab->gemv(&r->v, begin, end);
}

/* M = 1 with b's columns adjacent: b is read once, in place. */
static int gemv_all(const mxi_gemm16_args *g) {
    g16_gemv_run r = {.tab = mxi_simd_pick(gemm16_tables)};
    r.v = (mxi_gemm16_gemv){.dtype = g->dtype,
                            .a_cs = g->a_cs,
                            .b_rs = g->b_rs,
                            .K = g->K,
                            .alpha = (float)g->alpha,
                            .beta = (float)g->beta};
    int64_t grain = 65536 / g->K;
    if (grain < 64) grain = 64;
    for (int64_t e = 0; e < g->nb; e++) {
        r.v.a = (const uint16_t *)g->a + (g->a_off ? g->a_off[e] : 0);
        r.v.b = (const uint16_t *)g->b + (g->b_off ? g->b_off[e] : 0);
        r.v.out = (uint16_t *)g->out + e * g->N;
        mxi_parallel_for(g->N, grain, gemv_range, &r);
    }
    return MX_OK;
}

int mxi_gemm16(const mxi_gemm16_args *g) {
    if (g->nb == 0 || g->M == 0 || g->N == 0) return MX_OK;
    if (g->K == 0) {
        scale_out(g);
        return MX_OK;
    }
    if (g->M == 1 && (g->b_cs == 1 || g->N == 1)) return gemv_all(g);
    if (g->N == 1 && g->M > 1) {
        /* A matrix-vector product: the transposed problem (1 x M) has the
         * same output layout and pads one a panel instead of every b panel
         * to 32 columns. */
        mxi_gemm16_args t = *g;
        t.a = g->b, t.b = g->a, t.a_off = g->b_off, t.b_off = g->a_off;
        t.M = 1, t.N = g->M;
        t.a_rs = g->b_cs, t.a_cs = g->b_rs, t.b_rs = g->a_cs, t.b_cs = g->a_rs;
        return mxi_gemm16(&t);
    }
    const mxi_gemm16_table *tab = mxi_simd_pick(gemm16_tables);
    g16_run r = {.kern = g->dtype == MX_BFLOAT16 ? &tab->bf16 : &tab->f16, .g = g};
    const mxi_gemm16_kernel *k = r.kern;
    int64_t esz = k->kstep == 2 ? 2 : 4;
    r.steps = (g->K + k->kstep - 1) / k->kstep;
    r.a_panel = r.steps * k->kstep * k->mr * esz;
    r.b_panel = r.steps * k->kstep * k->nr * esz;
    r.mp = (g->M + k->mr - 1) / k->mr;
    r.np = (g->N + k->nr - 1) / k->nr;
    r.mcp = G16_L2_A_BYTES / r.a_panel;
    if (r.mcp < 1) r.mcp = 1;
    if (r.mcp > r.mp) r.mcp = r.mp;
    r.ncp = G16_NCP < r.np ? G16_NCP : r.np;
    r.nbm = (r.mp + r.mcp - 1) / r.mcp;
    r.nbn = (r.np + r.ncp - 1) / r.ncp;
    /* Enough blocks to keep every thread busy on middle-sized products. */
    int64_t want = 4 * (int64_t)mxi_num_threads();
    while (r.nbm * r.nbn < want && r.mcp > 1) {
        r.mcp = (r.mcp + 1) / 2;
        r.nbm = (r.mp + r.mcp - 1) / r.mcp;
    }
    r.alpha = (float)g->alpha;
    r.beta = (float)g->beta;

    size_t abytes = (size_t)(r.mp * r.a_panel), bbytes = (size_t)(r.np * r.b_panel);
    r.pa = mxi_alloc(abytes);
    r.pb = mxi_alloc(bbytes);
    if (!r.pa || !r.pb) {
        if (r.pa) mxi_free(r.pa, abytes);
        if (r.pb) mxi_free(r.pb, bbytes);
        return mxi_error(MX_ERR_MEMORY, "[matmul] cannot allocate %zu bytes of packed operands",
                         abytes + bbytes);
    }
    /* Work per packed panel and per block, in rough flops, sets the grain
     * so small products run inline. */
    int64_t pack_grain = 32768 / (g->K * 8 + 1) + 1;
    int64_t block_flops = r.mcp * k->mr * r.ncp * k->nr * g->K * 2;
    int64_t block_grain = block_flops >= (1 << 18) ? 1 : (1 << 18) / (block_flops + 1) + 1;
    for (int64_t e = 0; e < g->nb; e++) {
        int64_t ao = g->a_off ? g->a_off[e] : 0, bo = g->b_off ? g->b_off[e] : 0;
        r.a = (const uint16_t *)g->a + ao;
        r.b = (const uint16_t *)g->b + bo;
        r.out = (uint16_t *)g->out + e * g->M * g->N;
        r.pack_b = e == 0 || (g->b_off && bo != g->b_off[e - 1]);
        if (r.pack_b)
            mxi_parallel_for(r.mp + r.np, pack_grain, pack_range, &r);
        else
            mxi_parallel_for(r.mp, pack_grain, pack_range, &r);
        mxi_parallel_for(r.nbm * r.nbn, block_grain, block_range, &r);
    }
    mxi_free(r.pa, abytes);
    mxi_free(r.pb, bbytes);
    return MX_OK;
}
