/*
 * The Compiled primitive on the CPU: a fused program of elementwise
 * primitives run tile by tile. Each tile is MXI_FUSED_TILE_BYTES of the
 * widest register, in the output's row-major order; every register holds one
 * tile in a scratch buffer that stays in cache, each instruction is one call
 * of the family's own loop (unary table, binary and select entry points,
 * conversions) over the tile, and only the program's outputs are written to
 * memory: straight from their instruction into the output array, or, when
 * they are too large for the cache, from scratch with streaming stores
 * (writing them in place would first read every line of the output). No
 * intermediate array is made and no code is generated. Inputs that are
 * row-contiguous are read in place, inputs that are one value broadcast are
 * filled once, others are gathered tile by tile. Tiles are shared out over
 * the thread pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array_impl.h"
#include "core/error.h"
#include "core/threadpool.h"
#include "cpu/binary.h"
#include "cpu/copy.h"
#include "primitives/params_compiled.h"
#include "strided.h"

/* ---- programs ---- */

mxi_fused_program *mxi_fused_program_new(int n_inputs, int n_regs, int n_instr, int n_outputs) {
    mxi_fused_program *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    atomic_init(&p->refcount, 1);
    p->n_inputs = n_inputs;
    p->n_regs = n_regs;
    p->n_instr = n_instr;
    p->n_outputs = n_outputs;
    p->reg_dtype = calloc((size_t)n_regs + 1, sizeof *p->reg_dtype);
    p->reg_buf = calloc((size_t)n_regs + 1, sizeof *p->reg_buf);
    p->instr = calloc((size_t)n_instr + 1, sizeof *p->instr);
    p->out_regs = calloc((size_t)n_outputs + 1, sizeof *p->out_regs);
    if (!p->reg_dtype || !p->reg_buf || !p->instr || !p->out_regs) {
        mxi_fused_program_release(p);
        return NULL;
    }
    return p;
}

void mxi_fused_program_release(mxi_fused_program *p) {
    if (!p || atomic_fetch_sub(&p->refcount, 1) != 1) return;
    free(p->reg_dtype);
    free(p->reg_buf);
    free(p->instr);
    free(p->out_regs);
    free(p);
}

void mxi_compiled_params_release(void *params) {
    mxi_fused_program_release(((mxi_compiled_params *)params)->prog);
}

bool mxi_fusable_kind(mxi_prim_kind kind, uint32_t params_size) {
    if (params_size > sizeof(((mxi_fused_instr *)0)->params)) return false;
    mxi_eval_fn ev = mxi_primitives[kind].eval_cpu;
    if (kind == MXI_PRIM_SELECT || kind == MXI_PRIM_ASTYPE || ev == mxi_cpu_binary) return true;
    if (kind == MXI_PRIM_BROADCAST) return params_size == 0; /* of one value (compile_fuse.c) */
    return ev == mxi_cpu_unary && kind != MXI_PRIM_NAN_TO_NUM && kind != MXI_PRIM_CLIP;
}

int mxi_fused_program_plan(mxi_fused_program *p) {
    int *last = malloc(sizeof(int) * (size_t)(p->n_regs + 1));
    int *free_bufs = malloc(sizeof(int) * (size_t)(p->n_regs + 1));
    if (!last || !free_bufs) {
        free(last);
        free(free_bufs);
        return mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
    }
    for (int r = 0; r < p->n_regs; r++) last[r] = -1, p->reg_buf[r] = -1;
    for (int k = 0; k < p->n_instr; k++)
        for (int i = 0; i < p->instr[k].n_in; i++) last[p->instr[k].in[i]] = k;
    for (int o = 0; o < p->n_outputs; o++)
        last[p->out_regs[o]] = p->n_instr; /* to the tile's end */
    int n_free = 0;
    p->n_bufs = 0;
    for (int k = 0; k < p->n_instr; k++) {
        const mxi_fused_instr *in = &p->instr[k];
        /* the output gets its buffer before the inputs let theirs go, so no
         * instruction writes over what it reads */
        p->reg_buf[in->out] = n_free ? free_bufs[--n_free] : p->n_bufs++;
        for (int i = 0; i < in->n_in; i++) {
            int r = in->in[i];
            bool again = false;
            for (int j = 0; j < i; j++) again |= in->in[j] == r;
            if (!again && last[r] == k && p->reg_buf[r] >= 0) free_bufs[n_free++] = p->reg_buf[r];
        }
        if (last[in->out] < 0) free_bufs[n_free++] = p->reg_buf[in->out]; /* never read */
    }
    free(last);
    free(free_bufs);
    return MX_OK;
}

int mxi_shapes_compiled(const mxi_node *node, mx_array *const *inputs, int32_t (*shapes)[64],
                        int *ndims) {
    /* the inputs are of the output's shape, or one value to spread */
    return mxi_shapes_broadcast(node, inputs, shapes, ndims);
}

void mxi_print_compiled(const mxi_node *node, char *buf, size_t len) {
    const mxi_fused_program *p = ((const mxi_compiled_params *)node->params)->prog;
    /* MLX's name: the members' names after "Compiled" */
    size_t used = (size_t)snprintf(buf, len, "Compiled");
    for (int k = 0; k < p->n_instr && used < len; k++)
        used +=
            (size_t)snprintf(buf + used, len - used, "%s", mxi_primitives[p->instr[k].kind].name);
}

/* ---- running ---- */

enum { IN_DIRECT, IN_FILL, IN_GATHER };

typedef struct fused_job {
    const mxi_fused_program *p;
    int64_t size;
    /* per input */
    int *mode;
    const char **base;
    mxi_strided *its;
    /* per instruction */
    mxi_unary_loop *loops;
    mxi_binary_vv_loop *bloops;
    /* per output */
    char **out;
    bool *direct;   /* its register is computed straight into the output */
    bool stream;    /* outputs too large for the cache: streaming stores */
    int64_t tile;   /* elements per tile */
    int64_t stride; /* bytes between two scratch tiles */
    _Atomic int rc; /* a kernel error (recorded by the kernel), or out of memory */
} fused_job;

static int64_t isz(mx_dtype t) {
    return mx_dtype_size(t);
}

/* Copies n elements of input k from flat position i into dst. */
static void gather(const fused_job *j, int k, int64_t i, int64_t n, char *dst) {
    const mxi_strided *it = &j->its[k];
    int64_t s = isz(j->p->reg_dtype[k]);
    int last = it->ndim - 1;
    mxi_strided_pos pos;
    mxi_strided_seek(it, &pos, i);
    for (int64_t done = 0; done < n;) {
        int64_t run = mxi_strided_row_left(it, &pos);
        if (run > n - done) run = n - done;
        int64_t st = it->strides[0][last];
        const char *src = j->base[k] + pos.off[0] * s;
        char *d = dst + done * s;
        switch (s) {
        case 1:
            for (int64_t e = 0; e < run; e++) d[e] = src[e * st];
            break;
        case 2:
            for (int64_t e = 0; e < run; e++) ((uint16_t *)d)[e] = ((const uint16_t *)src)[e * st];
            break;
        case 4:
            for (int64_t e = 0; e < run; e++) ((uint32_t *)d)[e] = ((const uint32_t *)src)[e * st];
            break;
        default:
            for (int64_t e = 0; e < run; e++) memcpy(d + e * s, src + e * st * s, (size_t)s);
        }
        done += run;
        mxi_strided_advance(it, &pos, run);
    }
}

static int run_instr(const fused_job *j, int k, char *const *ptr, int64_t n) {
    const mxi_fused_instr *in = &j->p->instr[k];
    const mx_dtype *dt = j->p->reg_dtype;
    char *out = ptr[in->out];
    int64_t one = 1;
    int32_t n32 = (int32_t)n;
    switch (in->kind) {
    case MXI_PRIM_ASTYPE:
        mxi_convert_contiguous(out, dt[in->out], ptr[in->in[0]], dt[in->in[0]], n);
        return MX_OK;
    case MXI_PRIM_BROADCAST: /* one value, already spread over the tile */
        memcpy(out, ptr[in->in[0]], (size_t)(n * isz(dt[in->out])));
        return MX_OK;
    case MXI_PRIM_SELECT:
        return mxi_select_strided(dt[in->in[1]], out, ptr[in->in[0]], &one, ptr[in->in[1]], &one,
                                  ptr[in->in[2]], &one, &n32, 1);
    default:
        if (j->loops[k]) {
            j->loops[k](ptr[in->in[0]], 1, out, n);
            return MX_OK;
        }
        if (j->bloops[k]) {
            j->bloops[k](ptr[in->in[0]], 1, ptr[in->in[1]], 1, out, n);
            return MX_OK;
        }
        return mxi_binary_strided(in->kind, dt[in->in[0]], out, ptr[in->in[0]], &one,
                                  ptr[in->in[1]], &one, &n32, 1);
    }
}

static void fused_range(void *ctx, int64_t begin, int64_t end) {
    fused_job *j = ctx;
    const mxi_fused_program *p = j->p;
    const int64_t T = j->tile, B = j->stride;
    char *scratch = malloc((size_t)((p->n_bufs + p->n_inputs) * B) + 64);
    char **ptr = malloc(sizeof(char *) * (size_t)(p->n_regs + 1));
    if (!scratch || !ptr) {
        free(scratch);
        free(ptr);
        atomic_store(&j->rc, MX_ERR_MEMORY);
        return;
    }
    char *bufs = (char *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    char *inbufs = bufs + (size_t)(p->n_bufs * B);
    for (int r = p->n_inputs; r < p->n_regs; r++) ptr[r] = bufs + (size_t)(p->reg_buf[r] * B);
    for (int k = 0; k < p->n_inputs; k++) {
        char *b = inbufs + (size_t)(k * B);
        if (j->mode[k] != IN_FILL) continue;
        int64_t s = isz(p->reg_dtype[k]);
        for (int64_t e = 0; e < T; e++) memcpy(b + e * s, j->base[k], (size_t)s);
        ptr[k] = b;
    }
    for (int64_t i = begin; i < end && !atomic_load_explicit(&j->rc, memory_order_relaxed);
         i += T) {
        int64_t n = end - i < T ? end - i : T;
        for (int k = 0; k < p->n_inputs; k++) {
            if (j->mode[k] == IN_DIRECT) {
                ptr[k] = (char *)j->base[k] + i * isz(p->reg_dtype[k]);
            } else if (j->mode[k] == IN_GATHER) {
                ptr[k] = inbufs + (size_t)(k * B);
                gather(j, k, i, n, ptr[k]);
            }
        }
        for (int o = 0; o < p->n_outputs; o++)
            if (j->direct[o])
                ptr[p->out_regs[o]] = j->out[o] + i * isz(p->reg_dtype[p->out_regs[o]]);
        for (int k = 0; k < p->n_instr; k++) {
            int rc = run_instr(j, k, ptr, n);
            if (rc) {
                atomic_store(&j->rc, rc);
                break;
            }
        }
        for (int o = 0; o < p->n_outputs; o++) {
            if (j->direct[o]) continue;
            int r = p->out_regs[o];
            int64_t s = isz(p->reg_dtype[r]);
            if (j->stream)
                mxi_stream_store(j->out[o] + i * s, ptr[r], n * s);
            else
                memcpy(j->out[o] + i * s, ptr[r], (size_t)(n * s));
        }
    }
    /* streaming stores are weakly ordered: make them visible before the
     * pool reports this range done */
    if (j->stream) mxi_stream_fence();
    free(scratch);
    free(ptr);
}

/* Whether output o can be computed in place in the output array: its
 * register is computed (not an input passed through) and no other output
 * is the same register. Output registers live to the tile's end, so no
 * other register shares their scratch buffer, and reading them back from
 * the output is as good as from scratch. */
static bool direct_output(const mxi_fused_program *p, int o) {
    int r = p->out_regs[o];
    if (r < p->n_inputs) return false;
    for (int q = 0; q < p->n_outputs; q++)
        if (q != o && p->out_regs[q] == r) return false;
    return true;
}

static bool row_dense(const mx_array *a) {
    return (a->flags & MXI_ROW_CONTIGUOUS) != 0;
}

static bool all_zero_strides(const mx_array *a) {
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != 1 && a->strides[d] != 0) return false;
    return true;
}

int mxi_cpu_compiled(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    const mxi_fused_program *p = ((const mxi_compiled_params *)node->params)->prog;
    int ni = p->n_inputs, nk = p->n_instr, no = p->n_outputs;
    fused_job j;
    memset(&j, 0, sizeof j);
    j.p = p;
    j.size = outputs[0]->size;
    j.mode = calloc((size_t)ni + 1, sizeof *j.mode);
    j.base = calloc((size_t)ni + 1, sizeof *j.base);
    j.its = calloc((size_t)ni + 1, sizeof *j.its);
    j.loops = calloc((size_t)nk + 1, sizeof *j.loops);
    j.bloops = calloc((size_t)nk + 1, sizeof *j.bloops);
    j.out = calloc((size_t)no + 1, sizeof *j.out);
    j.direct = calloc((size_t)no + 1, sizeof *j.direct);
    int rc = j.mode && j.base && j.its && j.loops && j.bloops && j.out && j.direct
                 ? MX_OK
                 : mxi_error(MX_ERR_MEMORY, "[Compiled] out of memory");
    /* each instruction's loop is found before any buffer is touched */
    for (int k = 0; k < nk && !rc; k++) {
        const mxi_fused_instr *in = &p->instr[k];
        if (in->kind == MXI_PRIM_ASTYPE || in->kind == MXI_PRIM_SELECT ||
            in->kind == MXI_PRIM_BROADCAST)
            continue;
        if (mxi_primitives[in->kind].eval_cpu == mxi_cpu_binary) {
            /* NULL: mxi_binary_strided reports the missing kernel */
            j.bloops[k] = mxi_binary_loop_of(in->kind, p->reg_dtype[in->in[0]]);
            continue;
        }
        mxi_node fake;
        memset(&fake, 0, sizeof fake);
        fake.kind = in->kind;
        fake.params = in->params_size ? (void *)in->params : NULL;
        fake.params_size = in->params_size;
        j.loops[k] = mxi_unary_loop_of(&fake, p->reg_dtype[in->in[0]]);
        if (!j.loops[k])
            rc = mxi_error(MX_ERR_TYPE, "[%s] not defined for %s", mxi_primitives[in->kind].name,
                           mx_dtype_name(p->reg_dtype[in->in[0]]));
    }
    /* inputs' layouts are read before a donation hands a buffer on */
    for (int k = 0; k < ni && !rc; k++) {
        mx_array *a = inputs[k];
        j.base[k] = a->size ? mxi_data(a) : NULL;
        if (row_dense(a) && a->size == j.size)
            j.mode[k] = IN_DIRECT;
        else if (all_zero_strides(a))
            j.mode[k] = IN_FILL;
        else {
            j.mode[k] = IN_GATHER;
            const int64_t *st = a->strides;
            rc = mxi_strided_init(&j.its[k], a->shape, a->ndim, &st, 1, "Compiled");
        }
    }
    for (int o = 0; o < no && !rc; o++) rc = mxi_alloc_or_donate(outputs[o], inputs, ni);
    if (!rc && j.size > 0) {
        int64_t out_bytes = 0;
        for (int o = 0; o < no; o++) {
            j.out[o] = mxi_data(outputs[o]);
            out_bytes += j.size * isz(outputs[o]->dtype);
        }
        j.stream = out_bytes >= mxi_stream_threshold();
        /* Tiles of a fixed byte size for the widest register, so a
         * program's tiles stay in L1 whatever its dtypes. */
        int64_t widest = 1;
        for (int r = 0; r < p->n_regs; r++)
            if (isz(p->reg_dtype[r]) > widest) widest = isz(p->reg_dtype[r]);
        j.tile = MXI_FUSED_TILE_BYTES / widest;
        j.stride = (j.tile * widest + 63) & ~(int64_t)63;
        for (int o = 0; o < no; o++) {
            /* a donated input is still read after the output's instruction */
            bool donated = false;
            for (int k = 0; k < ni; k++) donated |= inputs[k]->buffer == outputs[o]->buffer;
            j.direct[o] = !j.stream && !donated && direct_output(p, o);
        }
        /* a few ranges per thread: each range sets up its own scratch */
        int64_t grain = j.size / (4 * (int64_t)mxi_num_threads());
        if (grain < MXI_ELEMWISE_GRAIN) grain = MXI_ELEMWISE_GRAIN;
        if (j.size >= 2 * grain)
            mxi_parallel_for(j.size, grain, fused_range, &j);
        else
            fused_range(&j, 0, j.size);
        rc = atomic_load(&j.rc);
        if (rc == MX_ERR_MEMORY) mxi_error(rc, "[Compiled] out of memory");
    }
    free(j.mode);
    free(j.base);
    free(j.its);
    free(j.loops);
    free(j.bloops);
    free(j.out);
    free(j.direct);
    return rc;
}
