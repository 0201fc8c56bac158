/*
 * Elementwise unary kernels on the CPU: every primitive of
 * primitives/defs/unary.def runs here.
 *
 * The input's layout is collapsed (strided.h) and walked in runs along the
 * last collapsed axis; each run is one call of a per-(op, dtype) loop from
 * the active vector level's table (unary_kernels.inc), with the run's input
 * stride: 1 for contiguous data, 0 for a broadcast value, anything else for
 * transposed or sliced views. Outputs are row-contiguous and may take the
 * input's buffer when nothing else holds it. Large inputs are split over the
 * thread pool.
 */
#include "strided.h"

#include <math.h>
#include <string.h>

#include "cmlx/dtype_info.h"
#include "cpu/copy.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/half.h"
#include "core/threadpool.h"
#include "cpu/simd.h"
#include "primitives/params_unary.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "unary_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const unary_tables[MXI_SIMD_LEVELS] = {
    [MXI_SIMD_SCALAR] = &mxi_unary_table_scalar,
#ifndef MXI_NO_X86_SIMD
    [MXI_SIMD_AVX2] = &mxi_unary_table_avx2,
    [MXI_SIMD_AVX512] = &mxi_unary_table_avx512,
#endif
};

typedef enum { JOB_UNARY, JOB_NAN_TO_NUM, JOB_CLIP } job_kind;

typedef struct unary_job {
    mxi_strided it; /* operands: the input (clip: a, lo, hi) */
    job_kind kind;
    mxi_unary_loop loop;
    mxi_nan_to_num_loop ntn;
    mxi_clip_loop clip;
    double vals[3];
    int64_t isz, osz;
    bool stream; /* stage pieces in the cache and write them with streaming stores */
    const char *in[3];
    char *out;
} unary_job;

/* One run of n elements into o (contiguous). */
static void run_piece(const unary_job *j, const char *a, int64_t sa, const char *lo, int64_t sl,
                      const char *hi, int64_t sh, char *o, int64_t n) {
    switch (j->kind) {
    case JOB_UNARY:
        j->loop(a, sa, o, n);
        break;
    case JOB_NAN_TO_NUM:
        j->ntn(a, sa, o, n, j->vals);
        break;
    case JOB_CLIP:
        j->clip(a, sa, lo, sl, hi, sh, o, n);
        break;
    }
}

static void unary_range(void *ctx, int64_t begin, int64_t end) {
    const unary_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    mxi_strided_pos p;
    mxi_strided_seek(it, &p, begin);
    for (int64_t i = begin; i < end;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > end - i) run = end - i;
        char *o = j->out + i * j->osz;
        int64_t sa = it->strides[0][last];
        const char *a = j->in[0] + p.off[0] * j->isz;
        int64_t sl = 0, sh = 0;
        const char *lo = NULL, *hi = NULL;
        if (j->kind == JOB_CLIP) {
            sl = it->strides[1][last], sh = it->strides[2][last];
            lo = j->in[1] + p.off[1] * j->isz, hi = j->in[2] + p.off[2] * j->isz;
        }
        if (!j->stream) {
            run_piece(j, a, sa, lo, sl, hi, sh, o, run);
        } else {
            /* Results go to a cache-resident buffer, then to memory with
             * streaming stores: the destination lines are never read. */
            _Alignas(64) char tmp[MXI_STREAM_CHUNK];
            int64_t chunk = MXI_STREAM_CHUNK / j->osz;
            for (int64_t k = 0; k < run; k += chunk) {
                int64_t c = run - k < chunk ? run - k : chunk;
                const char *lk = lo, *hk = hi;
                if (j->kind == JOB_CLIP) lk += k * sl * j->isz, hk += k * sh * j->isz;
                run_piece(j, a + k * sa * j->isz, sa, lk, sl, hk, sh, tmp, c);
                mxi_stream_store(o + k * j->osz, tmp, c * j->osz);
            }
        }
        i += run;
        mxi_strided_advance(it, &p, run);
    }
    if (j->stream) mxi_stream_fence();
}

static void run_job(unary_job *j) {
    if (j->it.size >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(j->it.size, MXI_ELEMWISE_GRAIN, unary_range, j);
    else
        unary_range(j, 0, j->it.size);
}

/* The table's op for a node, or -1. */
static int op_index(const mxi_node *node) {
    switch (node->kind) {
    case MXI_PRIM_ABS:
        return MXI_UN_ABS;
    case MXI_PRIM_SIGN:
        return MXI_UN_SIGN;
    case MXI_PRIM_NEGATIVE:
        return MXI_UN_NEG;
    case MXI_PRIM_SQUARE:
        return MXI_UN_SQUARE;
    case MXI_PRIM_SQRT: {
        const mxi_sqrt_params *p = node->params;
        return p && p->recip ? MXI_UN_RSQRT : MXI_UN_SQRT;
    }
    case MXI_PRIM_EXP:
        return MXI_UN_EXP;
    case MXI_PRIM_EXPM1:
        return MXI_UN_EXPM1;
    case MXI_PRIM_ERF:
        return MXI_UN_ERF;
    case MXI_PRIM_ERF_INV:
        return MXI_UN_ERFINV;
    case MXI_PRIM_SIN:
        return MXI_UN_SIN;
    case MXI_PRIM_COS:
        return MXI_UN_COS;
    case MXI_PRIM_TAN:
        return MXI_UN_TAN;
    case MXI_PRIM_ARC_SIN:
        return MXI_UN_ASIN;
    case MXI_PRIM_ARC_COS:
        return MXI_UN_ACOS;
    case MXI_PRIM_ARC_TAN:
        return MXI_UN_ATAN;
    case MXI_PRIM_SINH:
        return MXI_UN_SINH;
    case MXI_PRIM_COSH:
        return MXI_UN_COSH;
    case MXI_PRIM_TANH:
        return MXI_UN_TANH;
    case MXI_PRIM_ARC_SINH:
        return MXI_UN_ASINH;
    case MXI_PRIM_ARC_COSH:
        return MXI_UN_ACOSH;
    case MXI_PRIM_ARC_TANH:
        return MXI_UN_ATANH;
    case MXI_PRIM_LOG: {
        const mxi_log_params *p = node->params;
        int base = p ? p->base : MXI_LOG_E;
        return base == MXI_LOG_2 ? MXI_UN_LOG2 : base == MXI_LOG_10 ? MXI_UN_LOG10 : MXI_UN_LOG;
    }
    case MXI_PRIM_LOG1P:
        return MXI_UN_LOG1P;
    case MXI_PRIM_SIGMOID:
        return MXI_UN_SIGMOID;
    case MXI_PRIM_FLOOR:
        return MXI_UN_FLOOR;
    case MXI_PRIM_CEIL:
        return MXI_UN_CEIL;
    case MXI_PRIM_ROUND:
        return MXI_UN_ROUND;
    case MXI_PRIM_TRUNC:
        return MXI_UN_TRUNC;
    case MXI_PRIM_CONJUGATE:
        return MXI_UN_CONJ;
    case MXI_PRIM_LOGICAL_NOT:
        return MXI_UN_NOT;
    case MXI_PRIM_BITWISE_INVERT:
        return MXI_UN_INVERT;
    case MXI_PRIM_REAL:
        return MXI_UN_REAL;
    case MXI_PRIM_IMAG:
        return MXI_UN_IMAG;
    case MXI_PRIM_ISNAN:
        return MXI_UN_ISNAN;
    case MXI_PRIM_ISINF:
        return MXI_UN_ISINF;
    case MXI_PRIM_ISPOSINF:
        return MXI_UN_ISPOSINF;
    case MXI_PRIM_ISNEGINF:
        return MXI_UN_ISNEGINF;
    case MXI_PRIM_ISFINITE:
        return MXI_UN_ISFINITE;
    default:
        return -1;
    }
}

mxi_unary_loop mxi_unary_loop_of(const mxi_node *node, mx_dtype dt) {
    int op = op_index(node);
    if (op < 0 || dt < 0 || dt >= MX_NUM_DTYPES) return NULL;
    const mxi_unary_table *t = mxi_simd_pick(unary_tables);
    return t->loops[op][dt];
}

/* Ops that cost about a memory access per element. */
static bool cheap_op(const mxi_node *node) {
    switch (node->kind) {
    case MXI_PRIM_ABS:
    case MXI_PRIM_SIGN:
    case MXI_PRIM_NEGATIVE:
    case MXI_PRIM_SQUARE:
    case MXI_PRIM_FLOOR:
    case MXI_PRIM_CEIL:
    case MXI_PRIM_ROUND:
    case MXI_PRIM_TRUNC:
    case MXI_PRIM_CONJUGATE:
    case MXI_PRIM_LOGICAL_NOT:
    case MXI_PRIM_BITWISE_INVERT:
    case MXI_PRIM_REAL:
    case MXI_PRIM_IMAG:
    case MXI_PRIM_ISNAN:
    case MXI_PRIM_ISINF:
    case MXI_PRIM_ISPOSINF:
    case MXI_PRIM_ISNEGINF:
    case MXI_PRIM_ISFINITE:
    case MXI_PRIM_NAN_TO_NUM:
    case MXI_PRIM_CLIP:
        return true;
    default:
        return false;
    }
}

static const char *kind_name(const mxi_node *node) {
    return mxi_primitives[node->kind].name;
}

/* The smallest (which = 0) or largest (1) value of a dtype, as a neutral
 * clip bound: clipping to it changes nothing, NaN included. */
static void extreme_value(void *dst, mx_dtype t, int which) {
    mx_iinfo info;
    if (mx_dtype_is_integer(t) && mx_iinfo_get(&info, t) == MX_OK) {
        if (which)
            mxi_convert_element(dst, t, &info.max, MX_UINT64);
        else
            mxi_convert_element(dst, t, &info.min, MX_INT64);
    } else if (t == MX_BOOL) {
        *(uint8_t *)dst = which ? 1 : 0;
    } else {
        /* Inexact types: +-inf (complex: in both parts). */
        mx_complex64 c = {which ? INFINITY : -INFINITY, which ? INFINITY : -INFINITY};
        mxi_convert_element(dst, t, &c, MX_COMPLEX64);
    }
}

int mxi_cpu_unary(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    mx_array *in = inputs[0], *out = outputs[0];
    const mxi_unary_table *t = mxi_simd_pick(unary_tables);
    unary_job j;
    memset(&j, 0, sizeof j);
    mx_dtype dt = in->dtype;
    const char *name = kind_name(node);

    /* Check the loop exists before touching any buffer. */
    if (node->kind == MXI_PRIM_NAN_TO_NUM) {
        j.kind = JOB_NAN_TO_NUM;
        j.ntn = t->nan_to_num[dt];
        if (!j.ntn) goto bad_dtype;
        const mxi_nan_to_num_params *p = node->params;
        j.vals[0] = p->nan, j.vals[1] = p->posinf, j.vals[2] = p->neginf;
    } else if (node->kind == MXI_PRIM_CLIP) {
        j.kind = JOB_CLIP;
        j.clip = t->clip[dt];
        if (!j.clip) goto bad_dtype;
    } else {
        int op = op_index(node);
        if (op < 0) return mxi_error(MX_ERR_RUNTIME, "[unary] %s is not a unary primitive", name);
        j.kind = JOB_UNARY;
        j.loop = t->loops[op][dt];
        if (!j.loop) goto bad_dtype;
    }

    /* Operands, read before a donation hands a buffer to out. */
    _Alignas(16) unsigned char neutral[2][16];
    const int64_t *strides[3] = {in->strides, NULL, NULL};
    int64_t zeros[MXI_STRIDED_MAX_DIMS] = {0};
    int nops = 1;
    j.in[0] = in->size ? mxi_data(in) : NULL;
    if (j.kind == JOB_CLIP) {
        const mxi_clip_params *p = node->params;
        int next = 1;
        for (int b = 0; b < 2; b++) {
            bool has = b == 0 ? p->has_min : p->has_max;
            if (has) {
                mx_array *bound = inputs[next++];
                j.in[1 + b] = bound->size ? mxi_data(bound) : NULL;
                strides[1 + b] = bound->strides;
            } else {
                extreme_value(neutral[b], dt, b);
                j.in[1 + b] = (const char *)neutral[b];
                strides[1 + b] = zeros;
            }
        }
        nops = 3;
        if (out->ndim > MXI_STRIDED_MAX_DIMS)
            return mxi_error(MX_ERR_VALUE, "[Clip] more than %d dimensions", MXI_STRIDED_MAX_DIMS);
    }
    int rc = mxi_alloc_or_donate(out, inputs, node->n_inputs);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    rc = mxi_strided_init(&j.it, out->shape, out->ndim, strides, nops, name);
    if (rc != MX_OK) return rc;
    j.isz = mx_dtype_size(dt);
    j.osz = mx_dtype_size(out->dtype);
    j.out = mxi_data(out);
    /* Streaming pays where memory is the limit (cheap ops); the
     * transcendentals are compute-bound at these sizes and staging only
     * costs them (measured: exp of 16M float32 3.9 ms direct, 5.0 ms
     * staged, on 2 threads). */
    j.stream = j.it.size * j.osz >= mxi_stream_threshold() && cheap_op(node);
    run_job(&j);
    return MX_OK;

bad_dtype:
    return mxi_error(MX_ERR_TYPE, "[%s] not defined for %s", name, mx_dtype_name(dt));
}
