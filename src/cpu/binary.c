/*
 * Elementwise binary arithmetic (add, subtract, multiply, divide) on the CPU.
 *
 * Ops hand the kernel operands already broadcast (stride-0 views) and cast
 * to the output dtype, so one loop per (op, dtype) suffices. Collapsing the
 * operands' layout turns the common cases into one flat run: both
 * contiguous, or one a scalar and the other contiguous; everything else
 * walks runs along the last collapsed axis. Outputs bigger than the
 * last-level cache use loops with streaming stores where the level has
 * them (float32 and float64 runs).
 */
#include "strided.h"

#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/simd.h"

#define MXI_KERNELS_DECLARE_ONLY
#include "binary_kernels.inc"
#undef MXI_KERNELS_DECLARE_ONLY

static const void *const binary_tables[MXI_SIMD_LEVELS] = MXI_SIMD_TABLES(binary);

typedef struct binary_job {
    mxi_strided it;                   /* operands: 0 = a, 1 = b */
    mxi_binary_loop const *loops;     /* the MXI_BIN_SHAPES loops of (op, dtype) */
    mxi_binary_loop const *streaming; /* the same with streaming stores, or NULLs */
    size_t itemsize;
    bool stream; /* write the output with streaming stores */
    char *out;
    const char *a;
    const char *b;
} binary_job;

static void binary_range(void *ctx, int64_t begin, int64_t end) {
    const binary_job *j = ctx;
    const mxi_strided *it = &j->it;
    int last = it->ndim - 1;
    int64_t sa = it->strides[0][last], sb = it->strides[1][last];
    int shape = MXI_BIN_SS;
    if (sa == 1 && sb == 1)
        shape = MXI_BIN_VV;
    else if (sa == 0 && sb == 1)
        shape = MXI_BIN_SV;
    else if (sa == 1 && sb == 0)
        shape = MXI_BIN_VS;
    mxi_binary_loop loop = j->loops[shape];
    bool stream = j->stream && j->streaming[shape];
    if (stream) loop = j->streaming[shape];
    int64_t isz = (int64_t)j->itemsize;

    mxi_strided_pos p;
    mxi_strided_seek(it, &p, begin);
    for (int64_t i = begin; i < end;) {
        int64_t run = mxi_strided_row_left(it, &p);
        if (run > end - i) run = end - i;
        loop(j->a + p.off[0] * isz, sa, j->b + p.off[1] * isz, sb, j->out + i * isz, run);
        i += run;
        mxi_strided_advance(it, &p, run);
    }
    /* Streaming stores are weakly ordered: make them visible before the
     * pool reports this range done. */
    if (stream) mxi_stream_fence();
}

static int binary_op_index(mxi_prim_kind op) {
    switch (op) {
    case MXI_PRIM_ADD:
        return MXI_BIN_ADD;
    case MXI_PRIM_SUBTRACT:
        return MXI_BIN_SUB;
    case MXI_PRIM_MULTIPLY:
        return MXI_BIN_MUL;
    case MXI_PRIM_DIVIDE:
        return MXI_BIN_DIV;
    default:
        return -1;
    }
}

static const char *binary_op_name(mxi_prim_kind op) {
    switch (op) {
    case MXI_PRIM_ADD:
        return "add";
    case MXI_PRIM_SUBTRACT:
        return "subtract";
    case MXI_PRIM_MULTIPLY:
        return "multiply";
    case MXI_PRIM_DIVIDE:
        return "divide";
    default:
        return "binary";
    }
}

int mxi_binary_strided(mxi_prim_kind op, mx_dtype dtype, void *out, const void *a,
                       const int64_t *a_strides, const void *b, const int64_t *b_strides,
                       const int32_t *shape, int ndim) {
    int opi = binary_op_index(op);
    if (opi < 0) return mxi_error(MX_ERR_RUNTIME, "[binary] not a binary arithmetic primitive");
    if (dtype < 0 || dtype >= MX_NUM_DTYPES)
        return mxi_error(MX_ERR_TYPE, "[%s] invalid dtype %d", binary_op_name(op), (int)dtype);

    binary_job j;
    const int64_t *strides[2] = {a_strides, b_strides};
    int rc = mxi_strided_init(&j.it, shape, ndim, strides, 2, binary_op_name(op));
    if (rc != MX_OK) return rc;
    if (j.it.size == 0) return MX_OK;

    const mxi_binary_table *t = mxi_simd_pick(binary_tables);
    j.loops = t->loops[opi][dtype];
    j.streaming = t->streaming[opi][dtype];
    j.itemsize = (size_t)mx_dtype_size(dtype);
    j.stream = j.it.size * (int64_t)j.itemsize >= mxi_stream_threshold();
    j.out = out;
    j.a = a;
    j.b = b;
    if (j.it.size >= 2 * MXI_ELEMWISE_GRAIN)
        mxi_parallel_for(j.it.size, MXI_ELEMWISE_GRAIN, binary_range, &j);
    else
        binary_range(&j, 0, j.it.size);
    return MX_OK;
}

int mxi_cpu_binary(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    mx_array *a = inputs[0], *b = inputs[1], *out = outputs[0];
    /* Read the inputs' layout before a donation hands a buffer to out. */
    const void *pa = a->size ? mxi_data(a) : NULL;
    const void *pb = b->size ? mxi_data(b) : NULL;
    int rc = mxi_alloc_or_donate(out, inputs, 2);
    if (rc != MX_OK) return rc;
    if (out->size == 0) return MX_OK;
    return mxi_binary_strided(node->kind, out->dtype, mxi_data(out), pa, a->strides, pb, b->strides,
                              out->shape, out->ndim);
}
