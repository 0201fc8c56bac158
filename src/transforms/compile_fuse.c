/*
 * Fusion: chains of elementwise ops of one shape become one Compiled op
 * (src/cpu/compiled.c) whose program runs them tile by tile, so their
 * intermediate values never reach memory.
 *
 * Regions grow in tape order. An elementwise op joins the open regions that
 * produce its inputs (merging them); an op outside a region that reads a
 * region's value closes that region, and nothing joins a closed region.
 * That keeps the fused graph acyclic: whatever a region reads from outside
 * was made before any outside op read from the region. A region becomes one
 * op placed where its last member was; its outputs are the members' values
 * that something outside the region (or the function's result) uses.
 */
#include <stdlib.h>
#include <string.h>

#include "compile_impl.h"
#include "core/error.h"
#include "primitives/params_compiled.h"

static int find(int *parent, int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
}

static bool same_shape(const mxi_cslot *a, const mxi_cslot *b) {
    return a->ndim == b->ndim && memcmp(a->shape, b->shape, sizeof(int32_t) * (size_t)a->ndim) == 0;
}

static int64_t slot_size(const mxi_cslot *s) {
    int64_t n = 1;
    for (int d = 0; d < s->ndim; d++) n *= s->shape[d];
    return n;
}

static bool fusable(const mxi_ctape *t, const mxi_cop *op, bool shapeless) {
    if (op->dead || op->n_out != 1 || op->n_in < 1 || op->n_in > 3) return false;
    if (!mxi_fusable_kind(op->kind, op->params_size)) return false;
    const mxi_cslot *out = &t->slots[op->out0];
    if (mx_dtype_size(out->dtype) > 8) return false;
    /* a Broadcast of one value joins (the kernel spreads such inputs);
     * not when shapeless, where the region's shape would then lose it */
    if (op->kind == MXI_PRIM_BROADCAST)
        return !shapeless && slot_size(&t->slots[op->in[0]]) == 1 &&
               t->slots[op->in[0]].dtype == out->dtype;
    for (int i = 0; i < op->n_in; i++) {
        const mxi_cslot *in = &t->slots[op->in[i]];
        if (!same_shape(in, out) || mx_dtype_size(in->dtype) > 8) return false;
    }
    return true;
}

static bool same_stream(const mxi_cop *a, const mxi_cop *b) {
    return a->stream.index == b->stream.index && a->stream.device.type == b->stream.device.type;
}

typedef struct fuse_work {
    int *parent, *size, *last, *slot_op, *alias;
    bool *closed, *member_of_big;
    int *uses_outside; /* per slot: read outside its region or a result */
} fuse_work;

/* The op producing slot s, or -1. */
static int producer(const mxi_ctape *t, int s) {
    return t->slots[s].kind == MXI_SLOT_OP ? t->slots[s].index : -1;
}

static int add_out_slot(mxi_ctape *t, const mxi_cslot *like) {
    if (t->n_slots == t->cap_slots) {
        int cap = t->cap_slots * 2 + 8;
        mxi_cslot *g = realloc(t->slots, sizeof *g * (size_t)cap);
        if (!g) return -1;
        t->slots = g;
        t->cap_slots = cap;
    }
    int32_t *sh = malloc(sizeof(int32_t) * (size_t)(like->ndim ? like->ndim : 1));
    if (!sh) return -1;
    if (like->ndim) memcpy(sh, like->shape, sizeof(int32_t) * (size_t)like->ndim);
    t->slots[t->n_slots] = (mxi_cslot){MXI_SLOT_OP, -1, NULL, like->dtype, like->ndim, sh};
    return t->n_slots++;
}

/* Builds the Compiled op of region root (members: ops whose find() is root,
 * in order) into *fop; member outputs get aliases to its outputs. */
static int build_region(mxi_ctape *t, int root, int *parent, const bool *read_outside, int *alias,
                        mxi_cop *fop) {
    int n_members = 0, n_ext = 0, n_out = 0;
    int *ext = malloc(sizeof(int) * (size_t)(t->n_slots + 1));
    int *reg_of = malloc(sizeof(int) * (size_t)(t->n_slots + 1)); /* slot -> register */
    int rc = ext && reg_of ? MX_OK : mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
    int first = -1;
    for (int s = 0; s < t->n_slots && !rc; s++) reg_of[s] = -1;
    for (int k = 0; k < t->n_ops && !rc; k++) {
        mxi_cop *op = &t->ops[k];
        if (op->dead || find(parent, k) != root) continue;
        if (first < 0) first = k;
        n_members++;
        if (read_outside[op->out0]) n_out++;
        for (int i = 0; i < op->n_in; i++) {
            int s = op->in[i];
            int pm = producer(t, s);
            bool inside = pm >= 0 && !t->ops[pm].dead && find(parent, pm) == root;
            if (inside || reg_of[s] >= 0) continue;
            reg_of[s] = n_ext;
            ext[n_ext++] = s;
        }
    }
    mxi_fused_program *p = NULL;
    if (!rc) p = mxi_fused_program_new(n_ext, n_ext + n_members, n_members, n_out);
    if (!rc && !p) rc = mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
    int *outs = rc ? NULL : malloc(sizeof(int) * (size_t)(n_out + 1));
    if (!rc && !outs) rc = mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
    int reg = n_ext, ins = 0, oi = 0;
    for (int s = 0; s < n_ext && !rc; s++) p->reg_dtype[s] = t->slots[ext[s]].dtype;
    for (int k = first; k < t->n_ops && !rc && ins < n_members; k++) {
        mxi_cop *op = &t->ops[k];
        if (op->dead || find(parent, k) != root) continue;
        mxi_fused_instr *in = &p->instr[ins++];
        in->kind = op->kind;
        in->n_in = op->n_in;
        for (int i = 0; i < op->n_in; i++) in->in[i] = reg_of[op->in[i]];
        in->out = reg;
        in->params_size = op->params_size;
        if (op->params_size) memcpy(in->params, op->params, op->params_size);
        p->reg_dtype[reg] = t->slots[op->out0].dtype;
        reg_of[op->out0] = reg++;
        if (read_outside[op->out0]) {
            p->out_regs[oi] = in->out;
            outs[oi++] = op->out0;
        }
    }
    if (!rc) rc = mxi_fused_program_plan(p);
    int out0 = -1;
    for (int o = 0; o < n_out && !rc; o++) {
        mxi_cslot like = t->slots[outs[o]]; /* adding a slot may move the array */
        int s = add_out_slot(t, &like);
        if (s < 0) rc = mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
        if (o == 0) out0 = s;
        if (!rc) alias[outs[o]] = s;
    }
    if (!rc) {
        memset(fop, 0, sizeof *fop);
        fop->kind = MXI_PRIM_COMPILED;
        fop->stream = t->ops[first].stream;
        fop->params_size = sizeof(mxi_compiled_params);
        fop->params = malloc(sizeof(mxi_compiled_params));
        fop->in = malloc(sizeof(int) * (size_t)(n_ext ? n_ext : 1));
        fop->n_in = n_ext;
        fop->n_out = n_out;
        fop->out0 = out0;
        if (!fop->params || !fop->in) {
            free(fop->params);
            free(fop->in);
            fop->params = NULL;
            fop->in = NULL;
            rc = mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
        } else {
            ((mxi_compiled_params *)fop->params)->prog = p;
            p = NULL;
            memcpy(fop->in, ext, sizeof(int) * (size_t)n_ext);
        }
    }
    mxi_fused_program_release(p);
    free(outs);
    free(ext);
    free(reg_of);
    return rc;
}

int mxi_compile_fuse(mxi_ctape *t, bool shapeless) {
    int no = t->n_ops, ns0 = t->n_slots;
    if (no < 2) return MX_OK;
    int *parent = malloc(sizeof(int) * (size_t)no);
    int *count = calloc((size_t)no, sizeof(int));
    bool *closed = calloc((size_t)no, sizeof(bool));
    bool *is_member = calloc((size_t)no, sizeof(bool));
    bool *read_outside = calloc((size_t)ns0 + 1, sizeof(bool));
    int rc = parent && count && closed && is_member && read_outside
                 ? MX_OK
                 : mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
    for (int k = 0; k < no && !rc; k++) parent[k] = k;
    for (int k = 0; k < no && !rc; k++) {
        mxi_cop *op = &t->ops[k];
        if (op->dead) continue;
        bool f = fusable(t, op, shapeless);
        is_member[k] = f;
        for (int i = 0; i < op->n_in; i++) {
            int m = producer(t, op->in[i]);
            if (m < 0 || !is_member[m]) continue;
            int r = find(parent, m);
            /* a Broadcast starts a region of its own shape */
            if (f && !closed[r] && same_stream(&t->ops[r], op) && op->kind != MXI_PRIM_BROADCAST) {
                /* join: the smaller index stays the root */
                int me = find(parent, k);
                if (me != r) {
                    int lo = me < r ? me : r, hi = me < r ? r : me;
                    parent[hi] = lo;
                }
            } else {
                closed[r] = true;
            }
        }
    }
    /* a region's value read outside it, or a result, is one of its outputs */
    for (int k = 0; k < no && !rc; k++) {
        mxi_cop *op = &t->ops[k];
        if (op->dead) continue;
        for (int i = 0; i < op->n_in; i++) {
            int m = producer(t, op->in[i]);
            if (m < 0 || !is_member[m]) continue;
            if (!is_member[k] || find(parent, k) != find(parent, m)) read_outside[op->in[i]] = true;
        }
    }
    for (int i = 0; i < t->n_outputs + t->n_state_out && !rc; i++)
        read_outside[t->outputs[i]] = true;
    for (int k = 0; k < no && !rc; k++)
        if (is_member[k]) count[find(parent, k)]++;

    int *alias = rc ? NULL : malloc(sizeof(int) * (size_t)(ns0 + 2 * no + 1));
    mxi_cop *ops = rc ? NULL : calloc((size_t)no + 1, sizeof *ops);
    int n_new = 0;
    if (!rc && (!alias || !ops)) rc = mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
    for (int s = 0; s < ns0 + 2 * no && !rc; s++) alias[s] = s;
    /* the last member of each region of two or more */
    int *last = rc ? NULL : malloc(sizeof(int) * (size_t)no);
    if (!rc && !last) rc = mxi_error(MX_ERR_MEMORY, "[compile] out of memory");
    for (int k = 0; k < no && !rc; k++) last[k] = -1;
    for (int k = 0; k < no && !rc; k++)
        if (is_member[k] && count[find(parent, k)] >= 2) last[find(parent, k)] = k;
    for (int k = 0; k < no && !rc; k++) {
        mxi_cop *op = &t->ops[k];
        int r = is_member[k] ? find(parent, k) : -1;
        if (op->dead) {
            ops[n_new++] = *op;
            continue;
        }
        if (r < 0 || count[r] < 2) {
            ops[n_new++] = *op;
            continue;
        }
        if (last[r] != k) continue;
        mxi_cop fop;
        /* read_outside is indexed by the slots that existed before fusing;
         * new slots are only ever the Compiled ops' outputs */
        rc = build_region(t, r, parent, read_outside, alias, &fop);
        if (!rc) ops[n_new++] = fop;
    }
    if (!rc) {
        /* members' storage goes; the other ops moved into the new array */
        for (int k = 0; k < no; k++) {
            mxi_cop *op = &t->ops[k];
            int r = is_member[k] && !op->dead ? find(parent, k) : -1;
            if (r >= 0 && count[r] >= 2) {
                free(op->params);
                free(op->in);
            }
        }
        free(t->ops);
        t->ops = ops;
        t->n_ops = n_new;
        t->cap_ops = no + 1;
        ops = NULL;
        for (int k = 0; k < t->n_ops; k++) {
            mxi_cop *op = &t->ops[k];
            for (int i = 0; i < op->n_in; i++) op->in[i] = alias[op->in[i]];
            for (int o = 0; o < op->n_out; o++)
                if (op->out0 + o < t->n_slots) t->slots[op->out0 + o].index = k;
        }
        for (int i = 0; i < t->n_outputs + t->n_state_out; i++)
            t->outputs[i] = alias[t->outputs[i]];
    } else if (ops) {
        /* fused ops made before the failure are released; the tape is kept */
        for (int k = 0; k < n_new; k++)
            if (ops[k].kind == MXI_PRIM_COMPILED) {
                mxi_compiled_params_release(ops[k].params);
                free(ops[k].params);
                free(ops[k].in);
            }
    }
    free(ops);
    free(alias);
    free(last);
    free(parent);
    free(count);
    free(closed);
    free(is_member);
    free(read_outside);
    return rc;
}
