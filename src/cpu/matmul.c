/*
 * Matrix products through the BLAS (OpenBLAS).
 *
 * Each batch matrix of an operand is passed to gemm in place when it is
 * row-major or column-major with a unit inner stride (column-major becomes a
 * transposed operand); anything else is first copied to a contiguous
 * temporary. When b is the same matrix for every batch entry (a broadcast
 * weight) and a's batch entries are evenly spaced rows, the whole batch is
 * one gemm with M' = batch * M.
 *
 * float16 and bfloat16 go to our own packed kernels (gemm16.c), which
 * absorb any strides while packing.
 */
#include "strided.h"

#include <cblas.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "copy.h"
#include "gemm16.h"
#include "core/allocator.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "primitives/params_linalg.h"

static pthread_once_t blas_threads_once = PTHREAD_ONCE_INIT;

/* BLAS runs while our pool is idle, so it may use as many threads as the
 * pool has, and no more, or the two would oversubscribe the cores. */
static void blas_threads_init(void) {
    openblas_set_num_threads(mxi_num_threads());
}

/* How one operand matrix (rows x cols, element strides rs, cs) is given to
 * gemm: in place (trans, ld) or through a contiguous copy. */
typedef struct operand {
    bool direct;
    bool trans;
    int64_t ld;
} operand;

static operand classify(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
    operand o = {false, false, 0};
    int64_t min_row_ld = cols > 1 ? cols : 1, min_col_ld = rows > 1 ? rows : 1;
    /* Row-major: (i, j) at i * ld + j. The stride of a length-1 axis does not
     * matter. */
    if ((cols == 1 || cs == 1) && (rows == 1 || rs >= min_row_ld)) {
        o.direct = true;
        o.ld = rows == 1 ? min_row_ld : rs;
    } else if ((rows == 1 || rs == 1) && (cols == 1 || cs >= min_col_ld)) {
        o.direct = true;
        o.trans = true;
        o.ld = cols == 1 ? min_col_ld : cs;
    }
    if (o.direct && o.ld > INT_MAX) o.direct = false;
    return o;
}

typedef struct mm_plan {
    mx_dtype dtype;
    int64_t isz;
    int64_t M, N, K;
    int64_t a_rs, a_cs, b_rs, b_cs;
    operand oa, ob;
    bool half; /* float16/bfloat16: our packed kernels (gemm16.c) */
    /* out = alpha * a @ b + beta * out; beta 0 ignores what out held (even NaN), as BLAS does */
    double alpha, beta;
    /* temporaries (NULL when not needed) */
    void *ta, *tb;
    size_t ta_bytes, tb_bytes;
} mm_plan;

static void gemm(const mm_plan *p, const void *a, const void *b, void *c) {
    int M = (int)p->M, N = (int)p->N, K = (int)p->K;
    enum CBLAS_TRANSPOSE ta = p->oa.trans ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = p->ob.trans ? CblasTrans : CblasNoTrans;
    int lda = (int)p->oa.ld, ldb = (int)p->ob.ld;
    switch (p->dtype) {
    case MX_FLOAT32:
        cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, (float)p->alpha, a, lda, b, ldb, (float)p->beta,
                    c, N);
        break;
    case MX_FLOAT64:
        cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, p->alpha, a, lda, b, ldb, p->beta, c, N);
        break;
    default: {
        const float alpha[2] = {(float)p->alpha, 0}, beta[2] = {(float)p->beta, 0};
        cblas_cgemm(CblasRowMajor, ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, N);
        break;
    }
    }
}

/* One product of batch entry: a, b point at the entry's first elements. */
static void matmul_one(const mm_plan *p, const char *a, const char *b, char *out) {
    mx_dtype work = p->dtype;
    const void *pa = a, *pb = b;
    if (p->ta) {
        int32_t shape[2] = {(int32_t)p->M, (int32_t)p->K};
        int64_t st[2] = {p->a_rs, p->a_cs};
        mxi_copy_to_contiguous(p->ta, work, a, p->dtype, shape, st, 2);
        pa = p->ta;
    }
    if (p->tb) {
        int32_t shape[2] = {(int32_t)p->K, (int32_t)p->N};
        int64_t st[2] = {p->b_rs, p->b_cs};
        mxi_copy_to_contiguous(p->tb, work, b, p->dtype, shape, st, 2);
        pb = p->tb;
    }
    gemm(p, pa, pb, out);
}

static int plan_temps(mm_plan *p) {
    int64_t wsz = p->isz;
    if (!p->oa.direct) {
        /* The copy is row-major. */
        p->oa = (operand){true, false, p->K > 1 ? p->K : 1};
        p->ta_bytes = (size_t)(p->M * p->K * wsz);
        if (!(p->ta = mxi_alloc(p->ta_bytes))) return MX_ERR_MEMORY;
    }
    if (!p->ob.direct) {
        p->ob = (operand){true, false, p->N > 1 ? p->N : 1};
        p->tb_bytes = (size_t)(p->K * p->N * wsz);
        if (!(p->tb = mxi_alloc(p->tb_bytes))) return MX_ERR_MEMORY;
    }
    return MX_OK;
}

static void free_temps(mm_plan *p) {
    if (p->ta) mxi_free(p->ta, p->ta_bytes);
    if (p->tb) mxi_free(p->tb, p->tb_bytes);
}

/* out[i] *= beta for a contiguous run of n elements (beta 0 writes zeros). */
static void scale_run(mx_dtype dtype, void *out, int64_t n, double beta) {
    if (beta == 0) {
        memset(out, 0, (size_t)(n * mx_dtype_size(dtype)));
        return;
    }
    if (beta == 1) return;
    switch (dtype) {
    case MX_FLOAT32:
        for (int64_t i = 0; i < n; i++) ((float *)out)[i] *= (float)beta;
        break;
    case MX_FLOAT64:
        for (int64_t i = 0; i < n; i++) ((double *)out)[i] *= beta;
        break;
    case MX_COMPLEX64:
        for (int64_t i = 0; i < 2 * n; i++) ((float *)out)[i] *= (float)beta;
        break;
    default: /* float16, bfloat16: through float32, one element at a time */
        for (int64_t i = 0; i < n; i++) {
            float v;
            mxi_convert_element(&v, MX_FLOAT32, (char *)out + 2 * i, dtype);
            v *= (float)beta;
            mxi_convert_element((char *)out + 2 * i, dtype, &v, MX_FLOAT32);
        }
        break;
    }
}

/* float16/bfloat16: the batch as offset lists for the packed driver. */
static int matmul_half(const mm_plan *p, const mxi_strided *bit, int64_t nb, void *out,
                       const void *a, const void *b) {
    size_t bytes = (size_t)nb * 2 * sizeof(int64_t);
    int64_t *off = mxi_alloc(bytes);
    if (!off) return mxi_error(MX_ERR_MEMORY, "[matmul] cannot allocate the batch offsets");
    mxi_strided_pos pos;
    mxi_strided_seek(bit, &pos, 0);
    for (int64_t i = 0; i < nb; i++) {
        off[i] = pos.off[0];
        off[nb + i] = pos.off[1];
        if (i + 1 < nb) mxi_strided_advance(bit, &pos, 1);
    }
    mxi_gemm16_args g = {.dtype = p->dtype,
                         .nb = nb,
                         .a_off = off,
                         .b_off = off + nb,
                         .a = a,
                         .b = b,
                         .out = out,
                         .M = p->M,
                         .N = p->N,
                         .K = p->K,
                         .a_rs = p->a_rs,
                         .a_cs = p->a_cs,
                         .b_rs = p->b_rs,
                         .b_cs = p->b_cs,
                         .alpha = p->alpha,
                         .beta = p->beta};
    int rc = mxi_gemm16(&g);
    mxi_free(off, bytes);
    return rc;
}

int mxi_matmul_strided(mx_dtype dtype, void *out, const void *a, const void *b,
                       const int32_t *batch_shape, int nbatch, const int64_t *a_batch_strides,
                       const int64_t *b_batch_strides, int64_t M, int64_t N, int64_t K,
                       int64_t a_row_stride, int64_t a_col_stride, int64_t b_row_stride,
                       int64_t b_col_stride, double alpha, double beta) {
    if (dtype != MX_FLOAT32 && dtype != MX_FLOAT64 && dtype != MX_COMPLEX64 &&
        dtype != MX_FLOAT16 && dtype != MX_BFLOAT16)
        return mxi_error(MX_ERR_TYPE, "[matmul] %s is not supported", mx_dtype_name(dtype));
    if (M > INT_MAX || N > INT_MAX || K > INT_MAX)
        return mxi_error(MX_ERR_VALUE, "[matmul] matrix dimensions above %d are not supported",
                         INT_MAX);

    mxi_strided bit;
    const int64_t *bs[2] = {a_batch_strides, b_batch_strides};
    int rc = mxi_strided_init(&bit, batch_shape, nbatch, bs, 2, "matmul");
    if (rc != MX_OK) return rc;
    int64_t isz = mx_dtype_size(dtype);
    if (bit.size == 0 || M == 0 || N == 0) return MX_OK;
    if (K == 0) {
        scale_run(dtype, out, bit.size * M * N, beta);
        return MX_OK;
    }
    pthread_once(&blas_threads_once, blas_threads_init);

    mm_plan p = {.dtype = dtype, .isz = isz, .M = M, .N = N, .K = K, .alpha = alpha, .beta = beta};
    p.a_rs = a_row_stride, p.a_cs = a_col_stride;
    p.b_rs = b_row_stride, p.b_cs = b_col_stride;
    p.half = dtype == MX_FLOAT16 || dtype == MX_BFLOAT16;

    /* A weight shared by the whole batch, and a's batch rows evenly spaced:
     * fold the batch into M. */
    int64_t nb = bit.size;
    if (nb > 1 && (bit.ndim == 1 && bit.strides[1][0] == 0) && (K == 1 || a_col_stride == 1)) {
        mxi_strided rows;
        int64_t shape[2] = {nb, M}, st[2] = {bit.strides[0][0], a_row_stride};
        const int64_t *rs[1] = {st};
        if (mxi_strided_init64(&rows, shape, 2, rs, 1, "matmul") == MX_OK && rows.ndim == 1 &&
            nb * M <= INT_MAX) {
            p.M = nb * M;
            p.a_rs = rows.strides[0][0];
            nb = 1;
        }
    }

    if (p.half) return matmul_half(&p, &bit, nb, out, a, b);

    p.oa = classify(p.M, K, p.a_rs, p.a_cs);
    p.ob = classify(K, N, p.b_rs, p.b_cs);
    rc = plan_temps(&p);
    if (rc != MX_OK) {
        free_temps(&p);
        return rc;
    }
    mxi_strided_pos pos;
    mxi_strided_seek(&bit, &pos, 0);
    char *o = out;
    for (int64_t i = 0; i < nb; i++) {
        matmul_one(&p, (const char *)a + pos.off[0] * isz, (const char *)b + pos.off[1] * isz,
                   o + i * p.M * N * isz);
        if (i + 1 < nb) mxi_strided_advance(&bit, &pos, 1);
    }
    free_temps(&p);
    return MX_OK;
}

/* out = alpha * a @ b + beta * c; c (NULL when beta is 0) has out's shape
 * and dtype with any strides. */
static int matmul_kernel(mx_array *a, mx_array *b, mx_array *c, mx_array *out, double alpha,
                         double beta) {
    int nd = out->ndim;
    if (nd < 2 || a->ndim != nd || b->ndim != nd)
        return mxi_error(MX_ERR_RUNTIME, "[matmul] the kernel needs operands of equal rank >= 2");
    int rc = mxi_alloc_data(out);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    if (c && beta != 0) {
        rc = mxi_copy_to_contiguous(mxi_data(out), out->dtype, mxi_data(c), c->dtype, c->shape,
                                    c->strides, c->ndim);
        if (rc != MX_OK) return rc;
    } else {
        beta = 0;
    }
    int64_t M = a->shape[nd - 2], K = a->shape[nd - 1], N = b->shape[nd - 1];
    return mxi_matmul_strided(out->dtype, mxi_data(out), K ? mxi_data(a) : NULL,
                              K ? mxi_data(b) : NULL, out->shape, nd - 2, a->strides, b->strides, M,
                              N, K, a->strides[nd - 2], a->strides[nd - 1], b->strides[nd - 2],
                              b->strides[nd - 1], alpha, beta);
}

int mxi_cpu_matmul(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)node;
    return matmul_kernel(inputs[0], inputs[1], NULL, outputs[0], 1.0, 0.0);
}

int mxi_cpu_addmm(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_addmm_params *p = node->params;
    return matmul_kernel(inputs[0], inputs[1], inputs[2], outputs[0], p->alpha, p->beta);
}
