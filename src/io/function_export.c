/*
 * Function export: a closure is traced into compile's tape (one tape per
 * input signature) and the tapes are written in the format of
 * docs/function_format.md; import reads them back, checking every count,
 * index and size (the files come from strangers), and returns a closure
 * that replays the tape whose signature matches its inputs.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmlx/io.h"
#include "cmlx/ops.h"
#include "core/array_impl.h"
#include "core/error.h"
#include "core/stream.h"
#include "function_checks.h"
#include "io_util.h"
#include "primitives/params.h"
#include "primitives/params_unary.h"
#include "primitives/primitives.h"
#include "transforms/compile_impl.h"

#define FN_MAGIC    "CMLXFN\r\n"
#define FN_VERSION  2u /* 1: constants inline in their traces (still read) */
#define FN_MAX_NDIM 64
#define FN_MAX_IO   64
#define FN_MAX_NAME 255 /* bytes of a keyword name */
#define FN_MAX_IN   256 /* inputs of one op that import checks */
/* Input shapes per trace of a shapeless file whose checked tape is kept */
#define FN_SHAPED_CACHE 16

/* The keyword names of a trace: its last n inputs, names ascending. */
typedef struct kwnames {
    char **names;
    int n;
} kwnames;

static void kwnames_free(kwnames *k) {
    for (int i = 0; i < k->n; i++) free(k->names[i]);
    free(k->names);
    k->names = NULL;
    k->n = 0;
}

static bool kwnames_equal(const kwnames *k, const char *const *names, int n) {
    if (k->n != n) return false;
    for (int i = 0; i < n; i++)
        if (strcmp(k->names[i], names[i]) != 0) return false;
    return true;
}

struct mx_exporter {
    char *path;
    mx_closure *f;
    bool shapeless;
    mxi_ctape *tapes;
    kwnames *kw; /* one per tape */
    int n, cap;
    char *metadata; /* NULL: none */
    size_t metadata_len;
};

static int oom(const char *op) {
    return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
}

int mx_exporter_set_metadata(mx_exporter *e, const char *metadata, size_t len) {
    if (!e || (!metadata && len))
        return mxi_error(MX_ERR_VALUE, "[exporter] e and metadata must not be NULL");
    if (len > UINT32_MAX)
        return mxi_error(MX_ERR_VALUE, "[exporter] metadata of %zu bytes (at most 2^32 - 1)", len);
    char *m = malloc(len ? len : 1);
    if (!m) return oom("exporter");
    if (len) memcpy(m, metadata, len);
    free(e->metadata);
    e->metadata = m;
    e->metadata_len = len;
    return MX_OK;
}

/* ---- writing ---- */

/* Whether the kind's parameters are plain bytes that mean the same in
 * another process. */
static bool exportable(mxi_prim_kind k) {
    return k != MXI_PRIM_COMPILED && !mxi_params_release[k];
}

static int check_op(mxi_ctape *t, int k, mx_array **vals);

/* Whether the reader takes nd back as an op (the checks get_op and
 * check_op make, on stand-ins of its inputs, evaluated inputs as they are):
 * an unevaluated captured value is written as ops only then, else as its
 * value, so recording it never makes a file unreadable. A Load reads a
 * file when it runs: never an op. */
static bool import_takes(const mxi_node *nd, bool shapeless) {
    int n_in = nd->n_inputs, n_out = nd->n_outputs, n = n_in + n_out;
    /* a shapeless file holds only ops that read the function's inputs
     * (check_active), so there a value made from constants alone is
     * written as its value */
    if (shapeless || !exportable(nd->kind) || nd->kind == MXI_PRIM_LOAD || n_out < 1 ||
        n_out > 64 || n_in > FN_MAX_IN)
        return false;
    mxi_cslot slots[FN_MAX_IN + 64];
    mx_array *vals[FN_MAX_IN + 64] = {0};
    int in[FN_MAX_IN + 1];
    bool ok = true;
    for (int i = 0; i < n_in; i++) {
        const mx_array *a = nd->inputs[i];
        slots[i] = (mxi_cslot){
            a->node ? MXI_SLOT_OP : MXI_SLOT_CONST, 0, NULL, a->dtype, a->ndim, a->shape};
        vals[i] =
            a->node ? mxi_array_alloc(a->dtype, a->shape, a->ndim) : mx_array_retain((mx_array *)a);
        in[i] = i;
        ok &= vals[i] != NULL;
    }
    for (int o = 0; o < n_out; o++) {
        const mx_array *a = nd->outputs[0];
        mx_dtype dt = n_out > 1 ? nd->out_dtypes[o] : a->dtype;
        int ndim = n_out > 1 ? nd->out_ndims[o] : a->ndim;
        int32_t *shape = n_out > 1 ? nd->out_shapes[o] : a->shape;
        slots[n_in + o] = (mxi_cslot){MXI_SLOT_OP, 0, NULL, dt, ndim, shape};
        ok &= (vals[n_in + o] = mxi_array_alloc(dt, shape, ndim)) != NULL;
    }
    mxi_cop op = {.kind = nd->kind,
                  .stream = nd->stream,
                  .params = nd->params,
                  .params_size = nd->params_size,
                  .n_in = n_in,
                  .n_out = n_out,
                  .in = in,
                  .out0 = n_in};
    mxi_ctape t = {.slots = slots, .n_slots = n, .ops = &op, .n_ops = 1};
    ok = ok && check_op(&t, 0, vals) == MX_OK;
    for (int i = 0; i < n; i++) mx_array_free(vals[i]);
    if (!ok) mx_clear_error(); /* a refusal only means the value is written */
    return ok;
}

int mx_exporter_new(mx_exporter **out, const char *path, const mx_closure *f, bool shapeless) {
    if (!out || !path || !f)
        return mxi_error(MX_ERR_VALUE, "[exporter] out, path and f must not be NULL");
    mx_exporter *e = calloc(1, sizeof *e);
    if (!e || !(e->path = strdup(path))) {
        free(e);
        return oom("exporter");
    }
    e->f = mx_closure_retain((mx_closure *)f);
    e->shapeless = shapeless;
    *out = e;
    return MX_OK;
}

static bool same_signature(const mxi_ctape *a, const mxi_ctape *b, bool shapeless) {
    if (a->n_inputs != b->n_inputs) return false;
    for (int i = 0; i < a->n_inputs; i++) {
        const mxi_cslot *x = &a->slots[i], *y = &b->slots[i];
        if (x->dtype != y->dtype || x->ndim != y->ndim) return false;
        if (!shapeless && memcmp(x->shape, y->shape, sizeof(int32_t) * (size_t)x->ndim) != 0)
            return false;
    }
    return true;
}

int mx_exporter_add(mx_exporter *e, const mx_vec *inputs) {
    return mx_exporter_add_kw(e, inputs, NULL, 0);
}

int mx_exporter_add_kw(mx_exporter *e, const mx_vec *inputs, const char *const *kw_names,
                       int n_kw) {
    if (!e || !inputs) return mxi_error(MX_ERR_VALUE, "[exporter] e and inputs must not be NULL");
    if (n_kw < 0 || n_kw > inputs->size || (n_kw && !kw_names))
        return mxi_error(MX_ERR_VALUE, "[exporter] %d keyword names for %d inputs", n_kw,
                         inputs->size);
    for (int i = 0; i < n_kw; i++) {
        size_t l = kw_names[i] ? strlen(kw_names[i]) : 0;
        if (!l || l > FN_MAX_NAME || (i && strcmp(kw_names[i - 1], kw_names[i]) >= 0))
            return mxi_error(MX_ERR_VALUE,
                             "[exporter] keyword names must be non-empty, at most %d bytes, "
                             "and in ascending order",
                             FN_MAX_NAME);
    }
    if (inputs->size > FN_MAX_IO)
        return mxi_error(MX_ERR_VALUE, "[exporter] at most %d inputs (got %d)", FN_MAX_IO,
                         inputs->size);
    for (int i = 0; i < inputs->size; i++)
        if (!inputs->data[i]) return mxi_error(MX_ERR_VALUE, "[exporter] input %d is NULL", i);
    mxi_ctape t;
    int rc = mxi_compile_trace(&t, e->f, inputs, e->shapeless, import_takes);
    if (rc) return rc;
    for (int i = 0; i < t.n_ops && !rc; i++)
        if (!exportable(t.ops[i].kind))
            rc = mxi_error(MX_ERR_VALUE, "[exporter] %s cannot be exported",
                           mxi_primitives[t.ops[i].kind].name);
    if (!rc && t.n_outputs > FN_MAX_IO)
        rc = mxi_error(MX_ERR_VALUE, "[exporter] at most %d outputs (got %d)", FN_MAX_IO,
                       t.n_outputs);
    for (int i = 0; i < e->n && !rc; i++)
        if (same_signature(&e->tapes[i], &t, e->shapeless) &&
            kwnames_equal(&e->kw[i], kw_names, n_kw))
            rc = mxi_error(MX_ERR_VALUE,
                           "[exporter] the function was already traced for inputs of these "
                           "dtypes and shapes");
    if (!rc && e->n == e->cap) {
        int cap = e->cap ? e->cap * 2 : 4;
        mxi_ctape *g = realloc(e->tapes, sizeof *g * (size_t)cap);
        if (g) e->tapes = g;
        kwnames *k = g ? realloc(e->kw, sizeof *k * (size_t)cap) : NULL;
        if (k) e->kw = k;
        if (!g || !k)
            rc = oom("exporter");
        else
            e->cap = cap;
    }
    kwnames names = {0};
    if (!rc && n_kw && !(names.names = calloc((size_t)n_kw, sizeof *names.names)))
        rc = oom("exporter");
    for (int i = 0; i < n_kw && !rc; i++, names.n++)
        if (!(names.names[i] = strdup(kw_names[i]))) rc = oom("exporter");
    if (rc) kwnames_free(&names);
    if (rc) {
        mxi_ctape_free(&t);
        return rc;
    }
    e->kw[e->n] = names;
    e->tapes[e->n++] = t;
    return MX_OK;
}

static void put_shape(mxi_buf *b, const mxi_cslot *s) {
    mxi_buf_u8(b, (uint8_t)s->dtype);
    mxi_buf_u8(b, (uint8_t)s->ndim);
    for (int d = 0; d < s->ndim; d++) mxi_buf_u32(b, (uint32_t)s->shape[d]);
}

/* ---- the constant pool ---- */

/* A constant as the file stores it: the array whose data is written, and
 * whether it is written as a 0-d scalar (a spread scalar, or a 0-d array). */
typedef struct pentry {
    const mx_array *a;
    bool scalar;
} pentry;

typedef struct cpool {
    pentry *e;
    int n, cap;
    int *tab;    /* open addressing over the entries: index + 1, 0 empty */
    size_t tcap; /* a power of two */
    int **idx;   /* per trace, per slot: a constant slot's entry */
    /* per trace, per slot: whether a constant slot is spread, decided
     * before writing the pool evaluates anything (evaluating an entry may
     * evaluate a broadcast another slot holds, which drops its source) */
    bool **spread;
} cpool;

/* What a constant slot stores: a captured array the ops spread with a
 * Broadcast node of their own (a scalar operand, a bias added to a batch,
 * or an elementwise op over such, see mxi_compile_spread_source) is
 * written at its own shape and spread again on import, so shapeless
 * replays can spread it to the shapes of their call. Another transform's
 * tracer stays the value it is. *out gets a new reference. */
static int const_source(const mxi_cslot *s, bool *spread, pentry *out) {
    const mx_array *c = s->constant;
    mx_array *src = NULL;
    *spread = false;
    int rc = s->ndim > 0 ? mxi_compile_spread_source(&src, c) : MX_OK;
    if (rc) return rc;
    if (src && (src->dtype != s->dtype || src->ndim > s->ndim)) {
        mx_array_free(src);
        src = NULL;
    }
    *spread = src != NULL;
    const mx_array *a = src ? src : mx_array_retain((mx_array *)c);
    *out = (pentry){a, a->ndim == 0};
    return MX_OK;
}

/* The same array, or a view of the same bytes: same buffer, offset,
 * dtype, shape and strides. */
static bool same_const(pentry x, pentry y) {
    if (x.scalar != y.scalar) return false;
    if (x.a == y.a) return true;
    const mx_array *a = x.a, *b = y.a;
    return a->buffer && a->buffer == b->buffer && a->offset == b->offset && a->dtype == b->dtype &&
           a->ndim == b->ndim &&
           (!a->ndim || (memcmp(a->shape, b->shape, sizeof(int32_t) * (size_t)a->ndim) == 0 &&
                         memcmp(a->strides, b->strides, sizeof(int64_t) * (size_t)a->ndim) == 0));
}

static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

/* Equal under same_const gives equal hashes (lazy graphs written as ops
 * may capture many thousands of constants: no quadratic scan). */
static size_t pentry_hash(pentry x) {
    const mx_array *a = x.a;
    uint64_t h = mix(x.scalar, (uint64_t)(uintptr_t)(a->buffer ? (const void *)a->buffer : a));
    if (a->buffer) {
        h = mix(mix(mix(h, (uint64_t)a->offset), (uint64_t)a->dtype), (uint64_t)a->ndim);
        for (int d = 0; d < a->ndim; d++)
            h = mix(mix(h, (uint64_t)a->shape[d]), (uint64_t)a->strides[d]);
    }
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return (size_t)(h ^ (h >> 29));
}

/* The entry x is, or where it would go in the table. */
static size_t pool_slot(const cpool *p, pentry x) {
    size_t mask = p->tcap - 1, i = pentry_hash(x) & mask;
    while (p->tab[i] && !same_const(p->e[p->tab[i] - 1], x)) i = (i + 1) & mask;
    return i;
}

static int pool_grow(cpool *p) {
    size_t cap = p->tcap ? p->tcap * 2 : 64;
    int *old = p->tab;
    size_t old_cap = p->tcap;
    p->tab = calloc(cap, sizeof *p->tab);
    if (!p->tab) {
        p->tab = old;
        return oom("export_function");
    }
    p->tcap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) p->tab[pool_slot(p, p->e[old[i] - 1])] = old[i];
    free(old);
    return MX_OK;
}

static void pool_free(cpool *p, int n_tapes) {
    for (int i = 0; p->idx && i < n_tapes; i++) free(p->idx[i]);
    for (int i = 0; p->spread && i < n_tapes; i++) free(p->spread[i]);
    for (int i = 0; i < p->n; i++) mx_array_free((mx_array *)p->e[i].a);
    free(p->idx);
    free(p->spread);
    free(p->tab);
    free(p->e);
}

/* Adds every constant of the exporter's traces to the pool, once each,
 * and notes each constant slot's entry. */
static int pool_build(cpool *p, const mxi_ctape *tapes, int n) {
    if (!(p->idx = calloc((size_t)n, sizeof *p->idx)) ||
        !(p->spread = calloc((size_t)n, sizeof *p->spread)))
        return oom("export_function");
    for (int i = 0; i < n; i++) {
        if (!(p->idx[i] = malloc(sizeof(int) * (size_t)(tapes[i].n_slots + 1))) ||
            !(p->spread[i] = calloc((size_t)(tapes[i].n_slots + 1), sizeof(bool))))
            return oom("export_function");
        for (int j = 0; j < tapes[i].n_slots; j++) {
            const mxi_cslot *s = &tapes[i].slots[j];
            p->idx[i][j] = -1;
            if (s->kind != MXI_SLOT_CONST) continue;
            pentry x;
            int rc = const_source(s, &p->spread[i][j], &x);
            if (rc) return rc;
            if (2 * ((size_t)p->n + 1) > p->tcap && pool_grow(p)) {
                mx_array_free((mx_array *)x.a);
                return oom("export_function");
            }
            size_t k = pool_slot(p, x);
            if (!p->tab[k]) {
                if (p->n == p->cap) {
                    int cap = p->cap ? p->cap * 2 : 8;
                    pentry *g = realloc(p->e, sizeof *g * (size_t)cap);
                    if (!g) {
                        mx_array_free((mx_array *)x.a);
                        return oom("export_function");
                    }
                    p->e = g;
                    p->cap = cap;
                }
                /* held: a source may outlive the broadcast that read it */
                p->e[p->n++] = x;
                p->tab[k] = p->n;
            } else {
                mx_array_free((mx_array *)x.a);
            }
            p->idx[i][j] = p->tab[k] - 1;
        }
    }
    return MX_OK;
}

static int put_pool(mxi_buf *b, const cpool *p) {
    mxi_buf_u32(b, (uint32_t)p->n);
    for (int i = 0; i < p->n; i++) {
        const mx_array *a = p->e[i].a;
        mxi_buf_u8(b, (uint8_t)a->dtype);
        int ndim = p->e[i].scalar ? 0 : a->ndim;
        mxi_buf_u8(b, (uint8_t)ndim);
        for (int d = 0; d < ndim; d++) mxi_buf_u32(b, (uint32_t)a->shape[d]);
        const void *data;
        void *owned = NULL;
        int rc = mxi_io_row_major(a, &data, &owned, "export_function");
        if (rc) return rc;
        uint64_t nbytes = (uint64_t)mx_array_nbytes(a);
        mxi_buf_u64(b, nbytes);
        mxi_buf_append(b, data, nbytes);
        free(owned);
    }
    return MX_OK;
}

static int put_tape(mxi_buf *b, const mxi_ctape *t, const int *kind_index, const kwnames *kw,
                    const int *pool_idx, const bool *pool_spread) {
    if (kw) {
        mxi_buf_u32(b, (uint32_t)kw->n);
        for (int i = 0; i < kw->n; i++) {
            mxi_buf_u16(b, (uint16_t)strlen(kw->names[i]));
            mxi_buf_append(b, kw->names[i], strlen(kw->names[i]));
        }
    }
    mxi_buf_u32(b, (uint32_t)t->n_inputs);
    mxi_buf_u32(b, (uint32_t)t->n_slots);
    for (int i = 0; i < t->n_slots; i++) {
        const mxi_cslot *s = &t->slots[i];
        mxi_buf_u8(b, (uint8_t)s->kind);
        put_shape(b, s);
        if (s->kind != MXI_SLOT_CONST) {
            mxi_buf_u32(b, (uint32_t)s->index);
            continue;
        }
        int idx = pool_idx[i];
        if (idx < 0) return mxi_error(MX_ERR_RUNTIME, "[export_function] constant not pooled");
        mxi_buf_u8(b, pool_spread[i]);
        mxi_buf_u32(b, (uint32_t)idx);
    }
    mxi_buf_u32(b, (uint32_t)t->n_ops);
    for (int k = 0; k < t->n_ops; k++) {
        const mxi_cop *op = &t->ops[k];
        mxi_buf_u32(b, (uint32_t)kind_index[op->kind]);
        mxi_buf_u32(b, (uint32_t)op->n_in);
        mxi_buf_u32(b, (uint32_t)op->n_out);
        mxi_buf_u32(b, (uint32_t)op->out0);
        mxi_buf_u32(b, op->params_size);
        mxi_buf_append(b, op->params, op->params_size);
        for (int i = 0; i < op->n_in; i++) mxi_buf_u32(b, (uint32_t)op->in[i]);
    }
    mxi_buf_u32(b, (uint32_t)t->n_outputs);
    for (int i = 0; i < t->n_outputs; i++) mxi_buf_u32(b, (uint32_t)t->outputs[i]);
    return MX_OK;
}

void mx_exporter_free(mx_exporter *e) {
    if (!e) return;
    for (int i = 0; i < e->n; i++) {
        mxi_ctape_free(&e->tapes[i]);
        kwnames_free(&e->kw[i]);
    }
    free(e->tapes);
    free(e->kw);
    free(e->metadata);
    mx_closure_free(e->f);
    free(e->path);
    free(e);
}

int mx_exporter_close(mx_exporter *e) {
    if (!e) return MX_OK;
    if (!e->n) {
        mx_exporter_free(e);
        return mxi_error(MX_ERR_VALUE, "[exporter] no trace was added: nothing to write");
    }
    /* the kind table names only the kinds used, in order of first use */
    int kind_index[MXI_PRIM_COUNT];
    int n_kinds = 0;
    mxi_prim_kind kinds[MXI_PRIM_COUNT];
    for (int k = 0; k < MXI_PRIM_COUNT; k++) kind_index[k] = -1;
    for (int i = 0; i < e->n; i++)
        for (int k = 0; k < e->tapes[i].n_ops; k++) {
            mxi_prim_kind kd = e->tapes[i].ops[k].kind;
            if (kind_index[kd] < 0) kinds[n_kinds] = kd, kind_index[kd] = n_kinds++;
        }
    mxi_buf b = {0};
    mxi_buf_append(&b, FN_MAGIC, 8);
    mxi_buf_u32(&b, FN_VERSION);
    bool named = false;
    for (int i = 0; i < e->n; i++) named |= e->kw[i].n > 0;
    mxi_buf_u32(&b, (e->shapeless ? 1u : 0u) | (named ? 2u : 0u) | (e->metadata ? 4u : 0u));
    mxi_buf_u32(&b, (uint32_t)n_kinds);
    for (int i = 0; i < n_kinds; i++) {
        const char *name = mxi_primitives[kinds[i]].name;
        mxi_buf_u16(&b, (uint16_t)strlen(name));
        mxi_buf_append(&b, name, strlen(name));
    }
    if (e->metadata) {
        mxi_buf_u32(&b, (uint32_t)e->metadata_len);
        mxi_buf_append(&b, e->metadata, e->metadata_len);
    }
    cpool pool = {0};
    int rc = pool_build(&pool, e->tapes, e->n);
    if (!rc) rc = put_pool(&b, &pool);
    mxi_buf_u32(&b, (uint32_t)e->n);
    for (int i = 0; i < e->n && !rc; i++)
        rc = put_tape(&b, &e->tapes[i], kind_index, named ? &e->kw[i] : NULL, pool.idx[i],
                      pool.spread[i]);
    pool_free(&pool, e->n);
    if (!rc) rc = mxi_buf_check(&b, "export_function");
    int fd = -1;
    if (!rc) rc = mxi_open_write(&fd, e->path, "export_function");
    if (!rc) {
        rc = mxi_write_all(fd, b.data, b.len, "export_function", e->path);
        int rc2 = mxi_close_write(fd, "export_function", e->path);
        if (!rc) rc = rc2;
    }
    mxi_buf_free(&b);
    mx_exporter_free(e);
    return rc;
}

int mx_export_function(const char *path, const mx_closure *f, const mx_vec *inputs,
                       bool shapeless) {
    mx_exporter *e = NULL;
    int rc = mx_exporter_new(&e, path, f, shapeless);
    if (rc) return rc;
    rc = mx_exporter_add(e, inputs);
    if (rc) {
        mx_exporter_free(e);
        return rc;
    }
    return mx_exporter_close(e);
}

/* ---- reading ---- */

typedef struct rd {
    const unsigned char *p;
    size_t len, off;
} rd;

static int trunc_err(void) {
    return mxi_error(MX_ERR_VALUE, "[import_function] the file is truncated");
}

static int get(rd *r, void *dst, size_t n) {
    if (r->len - r->off < n) return trunc_err();
    memcpy(dst, r->p + r->off, n);
    r->off += n;
    return MX_OK;
}

static int get_u8(rd *r, uint8_t *v) {
    return get(r, v, 1);
}

static int get_u32(rd *r, uint32_t *v) {
    unsigned char b[4] = {0};
    int rc = get(r, b, 4);
    if (!rc) *v = mxi_le32(b);
    return rc;
}

/* A count of items of at least min_bytes each, bounded by what is left. */
static int get_count(rd *r, uint32_t *v, size_t min_bytes, const char *what) {
    int rc = get_u32(r, v);
    if (rc) return rc;
    if (*v > INT32_MAX / 2 || (size_t)*v * min_bytes > r->len - r->off)
        return mxi_error(MX_ERR_VALUE, "[import_function] %u %s do not fit in the file", *v, what);
    return MX_OK;
}

/* A trace of a shapeless file replayed at other input shapes and checked
 * there (see shaped_tape): the input shapes, one after the other, and the
 * tape at those shapes. */
typedef struct fshaped {
    int32_t *shapes; /* NULL: an empty entry */
    mxi_ctape tape;
} fshaped;

typedef struct ftrace {
    mxi_ctape tape;
    kwnames kw;
    /* shapeless files only: the source of each spread constant slot (NULL
     * for other slots), spread anew for each shape */
    mx_array **spread;
    fshaped shaped[FN_SHAPED_CACHE];
    int next_shaped; /* the entry to replace next */
} ftrace;

typedef struct fpayload {
    char *metadata; /* "" when the file has none */
    size_t metadata_len;
    bool shapeless;
    ftrace *traces;
    int n;
    pthread_mutex_t lock; /* guards the traces' shaped entries */
} fpayload;

static void fshaped_clear(fshaped *e) {
    if (e->shapes) mxi_ctape_free(&e->tape);
    free(e->shapes);
    memset(e, 0, sizeof *e);
}

static void fpayload_free(void *p) {
    fpayload *f = p;
    for (int i = 0; i < f->n; i++) {
        for (int j = 0; f->traces[i].spread && j < f->traces[i].tape.n_slots; j++)
            mx_array_free(f->traces[i].spread[j]);
        free(f->traces[i].spread);
        mxi_ctape_free(&f->traces[i].tape);
        kwnames_free(&f->traces[i].kw);
        for (int j = 0; j < FN_SHAPED_CACHE; j++) fshaped_clear(&f->traces[i].shaped[j]);
    }
    pthread_mutex_destroy(&f->lock);
    free(f->traces);
    free(f->metadata);
    free(f);
}

/* The constants of a version 2 file, shared by its traces. */
typedef struct rpool {
    mx_array **a;
    int n;
} rpool;

static void rpool_free(rpool *p) {
    for (int i = 0; i < p->n; i++) mx_array_free(p->a[i]);
    free(p->a);
    p->a = NULL;
    p->n = 0;
}

/* A dtype, an ndim and a shape, as slots and pool entries start; *size is
 * the shape's product. what and i name the item in messages. */
static int get_shape(rd *r, mx_dtype *dtype, int32_t *shape, int *ndim_out, uint64_t *size,
                     const char *what, int i) {
    uint8_t dt = 0, ndim = 0;
    int rc = get_u8(r, &dt);
    if (!rc) rc = get_u8(r, &ndim);
    if (rc) return rc;
    if (!mx_dtype_is_valid(dt))
        return mxi_error(MX_ERR_VALUE, "[import_function] %s %d has unknown dtype %u", what, i, dt);
    if (ndim > FN_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[import_function] %s %d has %u dimensions (at most %d)",
                         what, i, ndim, FN_MAX_NDIM);
    *dtype = (mx_dtype)dt;
    *ndim_out = ndim;
    /* strides treat empty dims as 1: bound the product of the others too */
    uint64_t n = 1, span = 1;
    for (int d = 0; d < ndim; d++) {
        uint32_t v = 0;
        if ((rc = get_u32(r, &v))) return rc;
        if (v > INT32_MAX)
            return mxi_error(MX_ERR_VALUE, "[import_function] %s %d has a negative dimension", what,
                             i);
        shape[d] = (int32_t)v;
        if (v && span > (UINT64_C(1) << 40) / v)
            return mxi_error(MX_ERR_VALUE, "[import_function] %s %d: the shape's size overflows",
                             what, i);
        span *= v ? v : 1;
        n *= v;
    }
    *size = n;
    return MX_OK;
}

/* A byte count that must equal need and fit in what is left. */
static int get_nbytes(rd *r, uint64_t need, const char *what, int i) {
    unsigned char nb[8] = {0};
    int rc = get(r, nb, 8);
    if (rc) return rc;
    uint64_t nbytes = mxi_le64(nb);
    if (nbytes != need)
        return mxi_error(MX_ERR_VALUE,
                         "[import_function] %s %d holds %llu bytes, its shape needs %llu", what, i,
                         (unsigned long long)nbytes, (unsigned long long)need);
    if (nbytes > r->len - r->off) return trunc_err();
    return MX_OK;
}

/* The constant pool: u32 count, then per entry dtype, ndim, shape, u64
 * byte count and the data in row-major order. */
static int get_pool(rd *r, rpool *p) {
    uint32_t n = 0;
    int rc = get_count(r, &n, 10, "constants");
    if (rc) return rc;
    if (n && !(p->a = calloc(n, sizeof *p->a))) return oom("import_function");
    for (uint32_t i = 0; i < n; i++) {
        mx_dtype dt;
        int32_t shape[FN_MAX_NDIM];
        int ndim = 0;
        uint64_t size = 0;
        if ((rc = get_shape(r, &dt, shape, &ndim, &size, "constant", (int)i))) return rc;
        uint64_t need = size * (uint64_t)mx_dtype_size(dt);
        if ((rc = get_nbytes(r, need, "constant", (int)i))) return rc;
        if ((rc = mx_array_from_data(&p->a[i], r->p + r->off, shape, ndim, dt))) return rc;
        p->n++;
        r->off += need;
    }
    return MX_OK;
}

/* Whether a spread constant's source broadcasts to its slot's shape:
 * at most as many axes, each (aligned at the end) equal or 1. */
static bool spreads_to(const mx_array *e, const int32_t *shape, int ndim) {
    if (e->ndim > ndim) return false;
    for (int d = 0; d < e->ndim; d++) {
        int32_t v = e->shape[d];
        if (v != 1 && v != shape[ndim - e->ndim + d]) return false;
    }
    return true;
}

/* A slot; pool is NULL in a version 1 file, whose constants are inline.
 * *src (when not NULL) gets the source of a spread constant. */
static int get_slot(rd *r, mxi_ctape *t, mxi_cslot *s, int i, const rpool *pool, mx_array **src) {
    uint8_t kind = 0;
    int rc = get_u8(r, &kind);
    if (rc) return rc;
    if (kind > MXI_SLOT_OP)
        return mxi_error(MX_ERR_VALUE, "[import_function] slot %d has unknown kind %u", i, kind);
    int32_t shape[FN_MAX_NDIM];
    int ndim = 0;
    uint64_t size = 0;
    mx_dtype dt;
    if ((rc = get_shape(r, &dt, shape, &ndim, &size, "slot", i))) return rc;
    s->kind = (mxi_slot_kind)kind;
    s->dtype = dt;
    s->ndim = ndim;
    s->shape = malloc(sizeof(int32_t) * (ndim ? ndim : 1));
    if (!s->shape) return oom("import_function");
    t->n_slots++; /* freed with the tape from here on */
    if (ndim) memcpy(s->shape, shape, sizeof(int32_t) * (size_t)ndim);
    if (kind != MXI_SLOT_CONST) {
        uint32_t idx = 0;
        if ((rc = get_u32(r, &idx))) return rc;
        if (idx > INT32_MAX)
            return mxi_error(MX_ERR_VALUE, "[import_function] slot %d: index out of range", i);
        s->index = (int)idx;
        return MX_OK;
    }
    uint8_t spread = 0;
    if ((rc = get_u8(r, &spread))) return rc;
    if (spread > 1 || (spread && !ndim))
        return mxi_error(MX_ERR_VALUE, "[import_function] constant %d: bad spread flag %u", i,
                         spread);
    mx_array *c = NULL;
    if (pool) {
        uint32_t idx = 0;
        if ((rc = get_u32(r, &idx))) return rc;
        if (idx >= (uint32_t)pool->n)
            return mxi_error(MX_ERR_VALUE,
                             "[import_function] slot %d: constant %u out of range (the pool "
                             "holds %d)",
                             i, idx, pool->n);
        const mx_array *e = pool->a[idx];
        if (e->dtype != dt ||
            (spread ? !spreads_to(e, shape, ndim)
                    : e->ndim != ndim ||
                          (ndim && memcmp(e->shape, shape, sizeof(int32_t) * ndim) != 0)))
            return mxi_error(MX_ERR_VALUE,
                             "[import_function] slot %d: constant %u has another dtype or shape%s",
                             i, idx, spread ? " (it does not broadcast to the slot's)" : "");
        c = mx_array_retain((mx_array *)e);
    } else {
        uint64_t need = (spread ? 1 : size) * (uint64_t)mx_dtype_size(dt);
        if ((rc = get_nbytes(r, need, "constant", i))) return rc;
        rc = mx_array_from_data(&c, r->p + r->off, s->shape, spread ? 0 : ndim, dt);
        if (rc) return rc;
        r->off += need;
    }
    if (spread) {
        rc = mx_broadcast_to(&s->constant, c, s->shape, ndim, NULL);
        if (src)
            *src = c;
        else
            mx_array_free(c);
    } else {
        s->constant = c;
    }
    return rc;
}

static int get_op(rd *r, mxi_ctape *t, int k, const mxi_prim_kind *kinds, uint32_t n_kinds,
                  bool shapeless) {
    mxi_cop *op = &t->ops[k];
    uint32_t ki = 0, n_in = 0, n_out = 0, out0 = 0, psize = 0;
    int rc = get_u32(r, &ki);
    if (!rc) rc = get_u32(r, &n_in);
    if (!rc) rc = get_u32(r, &n_out);
    if (!rc) rc = get_u32(r, &out0);
    if (!rc) rc = get_u32(r, &psize);
    if (rc) return rc;
    if (ki >= n_kinds)
        return mxi_error(MX_ERR_VALUE, "[import_function] op %d: kind %u is not in the table", k,
                         ki);
    if (n_out < 1 || n_out > 64 || out0 > (uint32_t)t->n_slots ||
        n_out > (uint32_t)t->n_slots - out0)
        return mxi_error(MX_ERR_VALUE, "[import_function] op %d: outputs out of range", k);
    if (psize > r->len - r->off) return trunc_err();
    if (n_in > (r->len - r->off - psize) / 4) return trunc_err();
    op->kind = kinds[ki];
    if (shapeless && !mxi_primitives[op->kind].output_shapes)
        return mxi_error(MX_ERR_VALUE,
                         "[import_function] %s cannot infer output shapes: the file cannot be "
                         "shapeless",
                         mxi_primitives[op->kind].name);
    op->n_in = (int)n_in;
    op->n_out = (int)n_out;
    op->out0 = (int)out0;
    op->params_size = psize;
    op->params = malloc(psize ? psize : 1);
    op->in = malloc(sizeof(int) * (n_in ? n_in : 1));
    t->n_ops++;
    if (!op->params || !op->in) return oom("import_function");
    if ((rc = get(r, op->params, psize))) return rc;
    if ((rc = mxi_resolve_stream(&op->stream, NULL))) return rc;
    for (uint32_t i = 0; i < n_in; i++) {
        uint32_t s = 0;
        if ((rc = get_u32(r, &s))) return rc;
        if (s >= (uint32_t)t->n_slots)
            return mxi_error(MX_ERR_VALUE, "[import_function] op %d: input %u out of range", k, i);
        const mxi_cslot *sl = &t->slots[s];
        /* ops come in order: an op reads only the outputs of earlier ops */
        if (sl->kind == MXI_SLOT_OP && sl->index >= k)
            return mxi_error(MX_ERR_VALUE,
                             "[import_function] op %d reads the output of op %d (not earlier)", k,
                             sl->index);
        op->in[i] = (int)s;
    }
    for (uint32_t o = 0; o < n_out; o++) {
        const mxi_cslot *sl = &t->slots[out0 + o];
        if (sl->kind != MXI_SLOT_OP || sl->index != k)
            return mxi_error(MX_ERR_VALUE,
                             "[import_function] op %d: slot %u is not one of its outputs", k,
                             out0 + o);
    }
    return MX_OK;
}

static int bad_params(int k) {
    return mxi_error(MX_ERR_VALUE,
                     "[import_function] op %d: its parameters do not fit its inputs and outputs",
                     k);
}

static size_t slot_size(const mxi_cslot *s) {
    size_t n = 1;
    for (int d = 0; d < s->ndim; d++) n *= (size_t)s->shape[d];
    return n;
}

/* The op rebuilt on the stand-ins of its inputs (function_checks.c). */
static int rebuild(mxi_ctape *t, int k, mx_array **vals) {
    mxi_cop *op = &t->ops[k];
    if (!mxi_fn_checked_kind(op->kind))
        return mxi_error(MX_ERR_VALUE, "[import_function] op %d: importing %s is not supported", k,
                         mxi_primitives[op->kind].name);
    mx_array *ins[FN_MAX_IN];
    if (op->n_in > FN_MAX_IN) return bad_params(k);
    for (int i = 0; i < op->n_in; i++) ins[i] = vals[op->in[i]];
    return mxi_fn_check_kind(op, ins, &t->slots[op->out0], k);
}

/* Parameters and shapes the kernels trust, for the kinds whose rules are
 * known here; the others are checked only structurally (see
 * docs/function_format.md). */
static int check_op(mxi_ctape *t, int k, mx_array **vals) {
    mxi_cop *op = &t->ops[k];
    const mxi_cslot *o = &t->slots[op->out0];
    const mxi_cslot *a = op->n_in ? &t->slots[op->in[0]] : NULL;
    mxi_shapes_fn f = mxi_primitives[op->kind].output_shapes;
    switch (op->kind) {
    case MXI_PRIM_FULL:
    case MXI_PRIM_TRIL:
    case MXI_PRIM_TRIU:
    case MXI_PRIM_RMS_NORM:
    case MXI_PRIM_LAYER_NORM:
    case MXI_PRIM_ROPE:
    case MXI_PRIM_SCATTER:
    case MXI_PRIM_SCATTER_AXIS:
    case MXI_PRIM_SLICE_UPDATE:
    case MXI_PRIM_DYNAMIC_SLICE_UPDATE:
    case MXI_PRIM_MASKED_SCATTER:
    case MXI_PRIM_HADAMARD:
    case MXI_PRIM_TO_FP8:
    case MXI_PRIM_FROM_FP8:
    case MXI_PRIM_COV_SQRT:
    case MXI_PRIM_SOFTMAX:
    case MXI_PRIM_SCAN:
    case MXI_PRIM_SORT:
    case MXI_PRIM_ARGSORT:
    case MXI_PRIM_PARTITION:
    case MXI_PRIM_ARGPARTITION:
        f = NULL; /* not elementwise: refused below */
        break;
    default:
        break;
    }
    if (f == mxi_shapes_unary || f == mxi_shapes_broadcast) {
        /* elementwise kernels read every input at the output's shape; the
         * unary-shaped kinds are checked on their first input only */
        int lo = op->kind == MXI_PRIM_SELECT ? 3 : 2, hi = op->kind == MXI_PRIM_CLIP ? 3 : lo;
        if (f == mxi_shapes_broadcast &&
            (op->n_in < lo || op->n_in > hi || op->n_out > (op->kind == MXI_PRIM_DIVMOD ? 2 : 1)))
            return bad_params(k);
        if (f == mxi_shapes_unary && op->n_in != 1 + (op->kind == MXI_PRIM_CLIP) * 2 &&
            op->kind != MXI_PRIM_CLIP)
            return bad_params(k);
        if (op->kind == MXI_PRIM_NAN_TO_NUM && op->params_size != sizeof(mxi_nan_to_num_params))
            return bad_params(k);
        if (op->kind == MXI_PRIM_CLIP) {
            const mxi_clip_params *c = op->params;
            if (op->params_size != sizeof *c ||
                op->n_in != 1 + (c->has_min != 0) + (c->has_max != 0))
                return bad_params(k);
        }
        for (int i = 0; i < (f == mxi_shapes_unary ? 1 : op->n_in); i++) {
            const mxi_cslot *x = &t->slots[op->in[i]];
            if (x->ndim != o->ndim ||
                memcmp(x->shape, o->shape, sizeof(int32_t) * (size_t)o->ndim) != 0)
                return bad_params(k);
        }
        /* and dtypes: the kernels read every input as the first one's */
        return rebuild(t, k, vals);
    }
    switch (op->kind) {
    case MXI_PRIM_RESHAPE: {
        if (op->n_in != 1 || op->n_out != 1 || slot_size(a) != slot_size(o) || a->dtype != o->dtype)
            return bad_params(k);
        if (!op->params_size) return MX_OK;
        /* the shape asked, kept for shapeless replays: -1 once, or the
         * output's size at each axis (the kernel does not read it) */
        const mxi_reshape_params *p = op->params;
        if (op->params_size < sizeof *p || p->ndim != o->ndim ||
            op->params_size != sizeof *p + sizeof(int32_t) * (size_t)o->ndim)
            return bad_params(k);
        int inferred = 0;
        for (int d = 0; d < o->ndim; d++) {
            int32_t q = p->shape[d];
            if (q == -1) inferred++;
            if ((q != -1 && q != MXI_RESHAPE_KEEP && q != o->shape[d]) || inferred > 1)
                return bad_params(k);
        }
        return MX_OK;
    }
    case MXI_PRIM_BROADCAST:
        if (op->n_in != 1 || op->n_out != 1 || op->params_size || a->ndim > o->ndim ||
            a->dtype != o->dtype)
            return bad_params(k);
        for (int d = 0; d < a->ndim; d++) {
            int32_t x = a->shape[d], y = o->shape[o->ndim - a->ndim + d];
            if (x != y && x != 1) return bad_params(k);
        }
        return MX_OK;
    case MXI_PRIM_TRANSPOSE: {
        const mxi_transpose_params *p = op->params;
        if (op->n_in != 1 || op->n_out != 1 || op->params_size < sizeof *p || p->ndim != a->ndim ||
            o->ndim != a->ndim || op->params_size != sizeof *p + sizeof(int32_t) * (size_t)a->ndim)
            return bad_params(k);
        bool seen[FN_MAX_NDIM] = {0};
        for (int d = 0; d < a->ndim; d++) {
            int32_t q = p->perm[d];
            if (q < 0 || q >= a->ndim || seen[q] || o->shape[d] != a->shape[q])
                return bad_params(k);
            seen[q] = true;
        }
        return MX_OK;
    }
    case MXI_PRIM_REDUCE: {
        const mxi_reduce_params *p = op->params;
        if (op->n_in != 1 || op->n_out != 1 || op->params_size < sizeof *p || p->naxes < 0 ||
            p->naxes > a->ndim ||
            op->params_size != sizeof *p + sizeof(int32_t) * (size_t)p->naxes ||
            p->type < MXI_REDUCE_AND || p->type > MXI_REDUCE_MAX || o->ndim != a->ndim)
            return bad_params(k);
        int j = 0;
        for (int d = 0; d < a->ndim; d++) {
            bool reduced = j < p->naxes && p->axes[j] == d;
            if (j < p->naxes && (p->axes[j] < d || p->axes[j] >= a->ndim)) return bad_params(k);
            j += reduced;
            if (o->shape[d] != (reduced ? 1 : a->shape[d])) return bad_params(k);
        }
        if (j != p->naxes) return bad_params(k);
        return MX_OK;
    }
    case MXI_PRIM_MATMUL: {
        const mxi_cslot *b = op->n_in == 2 ? &t->slots[op->in[1]] : NULL;
        int n = o->ndim;
        if (!b || op->n_out != 1 || op->params_size || n < 2 || a->ndim != n || b->ndim != n ||
            a->dtype != o->dtype || b->dtype != o->dtype || !mx_dtype_is_inexact(o->dtype) ||
            memcmp(a->shape, o->shape, sizeof(int32_t) * (size_t)(n - 2)) != 0 ||
            memcmp(b->shape, o->shape, sizeof(int32_t) * (size_t)(n - 2)) != 0 ||
            a->shape[n - 1] != b->shape[n - 2] || o->shape[n - 2] != a->shape[n - 2] ||
            o->shape[n - 1] != b->shape[n - 1])
            return bad_params(k);
        return MX_OK;
    }
    default:
        if (mxi_fn_checked_kind(op->kind)) return rebuild(t, k, vals);
        /* kinds whose parameters are not checked here are not read */
        return mxi_error(MX_ERR_VALUE, "[import_function] op %d: importing %s is not supported", k,
                         mxi_primitives[op->kind].name);
    }
}

/* Checks every op on stand-ins of the slots: arrays of the slots' dtypes
 * and shapes without data (never evaluated), constants as they are. A
 * shapeless file's traces are checked so at their traced shapes on import,
 * and at each other input shape they are called with (shaped_tape). */
static int check_ops(mxi_ctape *t) {
    mx_array **vals = calloc((size_t)(t->n_slots ? t->n_slots : 1), sizeof *vals);
    if (!vals) return oom("import_function");
    int rc = MX_OK;
    for (int i = 0; i < t->n_slots && !rc; i++) {
        const mxi_cslot *s = &t->slots[i];
        vals[i] = s->kind == MXI_SLOT_CONST ? mx_array_retain(s->constant)
                                            : mxi_array_alloc(s->dtype, s->shape, s->ndim);
        if (!vals[i]) rc = oom("import_function");
    }
    for (int k = 0; k < t->n_ops && !rc; k++) rc = check_op(t, k, vals);
    for (int i = 0; i < t->n_slots; i++) mx_array_free(vals[i]);
    free(vals);
    return rc;
}

/* In a shapeless file every op reads, through earlier ops, one of the
 * inputs (as a trace records them: what depends on constants alone is a
 * constant), so that replaying the trace at other shapes makes no op that
 * the tape of those shapes (shaped_tape) would hold as a constant, unchecked. */
static int check_active(const mxi_ctape *t) {
    bool *active = calloc((size_t)(t->n_slots ? t->n_slots : 1), sizeof *active);
    if (!active) return oom("import_function");
    int rc = MX_OK;
    for (int i = 0; i < t->n_inputs; i++) active[i] = true;
    for (int k = 0; k < t->n_ops && !rc; k++) {
        const mxi_cop *op = &t->ops[k];
        bool a = false;
        for (int i = 0; i < op->n_in; i++) a |= active[op->in[i]];
        if (!a)
            rc = mxi_error(MX_ERR_VALUE,
                           "[import_function] op %d (%s) reads no input of the function: a "
                           "shapeless file cannot hold it",
                           k, mxi_primitives[op->kind].name);
        for (int o = 0; o < op->n_out; o++) active[op->out0 + o] = true;
    }
    free(active);
    return rc;
}

/* The keyword names heading a trace of a named file: ascending, each 1 to
 * FN_MAX_NAME bytes, at most FN_MAX_IO of them (checked against the
 * trace's inputs by the caller). */
static int get_kwnames(rd *r, kwnames *k) {
    uint32_t n = 0;
    int rc = get_count(r, &n, 3, "keyword names");
    if (rc) return rc;
    if (n > FN_MAX_IO)
        return mxi_error(MX_ERR_VALUE, "[import_function] %u keyword names (at most %d)", n,
                         FN_MAX_IO);
    if (n && !(k->names = calloc(n, sizeof *k->names))) return oom("import_function");
    for (uint32_t i = 0; i < n; i++) {
        unsigned char lb[2];
        if ((rc = get(r, lb, 2))) return rc;
        size_t l = mxi_le16(lb);
        if (!l || l > FN_MAX_NAME)
            return mxi_error(MX_ERR_VALUE, "[import_function] keyword name %u: bad length", i);
        if (l > r->len - r->off) return trunc_err();
        if (!(k->names[i] = malloc(l + 1))) return oom("import_function");
        k->n++;
        memcpy(k->names[i], r->p + r->off, l);
        k->names[i][l] = 0;
        r->off += l;
        if (strlen(k->names[i]) != l || (i && strcmp(k->names[i - 1], k->names[i]) >= 0))
            return mxi_error(MX_ERR_VALUE,
                             "[import_function] keyword names must be distinct, ascending and "
                             "free of NUL bytes");
    }
    return MX_OK;
}

static int get_tape(rd *r, ftrace *ft, const mxi_prim_kind *kinds, uint32_t n_kinds, bool shapeless,
                    const rpool *pool) {
    mxi_ctape *t = &ft->tape;
    uint32_t n_inputs = 0, n_slots = 0, n_ops = 0, n_out = 0;
    int rc = get_u32(r, &n_inputs);
    if (!rc) rc = get_count(r, &n_slots, 7, "slots");
    if (rc) return rc;
    if (n_inputs > FN_MAX_IO || n_inputs > n_slots)
        return mxi_error(MX_ERR_VALUE, "[import_function] %u inputs out of range", n_inputs);
    t->slots = calloc(n_slots ? n_slots : 1, sizeof *t->slots);
    if (!t->slots) return oom("import_function");
    t->cap_slots = (int)n_slots;
    if (shapeless && !(ft->spread = calloc(n_slots ? n_slots : 1, sizeof *ft->spread)))
        return oom("import_function");
    for (uint32_t i = 0; i < n_slots && !rc; i++)
        rc = get_slot(r, t, &t->slots[i], (int)i, pool, ft->spread ? &ft->spread[i] : NULL);
    if (rc) return rc;
    /* the inputs are the first slots, in order */
    for (uint32_t i = 0; i < n_slots; i++) {
        const mxi_cslot *s = &t->slots[i];
        bool is_input = i < n_inputs;
        if ((s->kind == MXI_SLOT_INPUT) != is_input || (is_input && s->index != (int)i))
            return mxi_error(MX_ERR_VALUE, "[import_function] slot %u: inputs out of order", i);
    }
    t->n_inputs = (int)n_inputs;
    if ((rc = get_count(r, &n_ops, 20, "ops"))) return rc;
    t->ops = calloc(n_ops ? n_ops : 1, sizeof *t->ops);
    if (!t->ops) return oom("import_function");
    t->cap_ops = (int)n_ops;
    for (uint32_t k = 0; k < n_ops && !rc; k++)
        rc = get_op(r, t, (int)k, kinds, n_kinds, shapeless);
    if (rc) return rc;
    for (uint32_t i = 0; i < n_slots; i++) {
        const mxi_cslot *s = &t->slots[i];
        if (s->kind == MXI_SLOT_OP && (s->index >= (int)n_ops || (int)i < t->ops[s->index].out0 ||
                                       (int)i >= t->ops[s->index].out0 + t->ops[s->index].n_out))
            return mxi_error(MX_ERR_VALUE, "[import_function] slot %u: no op makes it", i);
    }
    if ((rc = check_ops(t))) return rc;
    if (shapeless && (rc = check_active(t))) return rc;
    for (uint32_t k = 0; k < n_ops; k++) {
        const mxi_cop *op = &t->ops[k];
        for (int o = 0; o < op->n_out; o++)
            if (t->slots[op->out0 + o].dtype != t->slots[op->out0].dtype && op->n_out == 1)
                return mxi_error(MX_ERR_VALUE, "[import_function] op %u: bad outputs", k);
    }
    if ((rc = get_count(r, &n_out, 4, "outputs"))) return rc;
    if (n_out > FN_MAX_IO)
        return mxi_error(MX_ERR_VALUE, "[import_function] %u outputs (at most %d)", n_out,
                         FN_MAX_IO);
    t->outputs = malloc(sizeof(int) * (n_out ? n_out : 1));
    if (!t->outputs) return oom("import_function");
    t->n_outputs = (int)n_out;
    for (uint32_t i = 0; i < n_out; i++) {
        uint32_t s = 0;
        if ((rc = get_u32(r, &s))) return rc;
        if (s >= n_slots)
            return mxi_error(MX_ERR_VALUE, "[import_function] output %u out of range", i);
        t->outputs[i] = (int)s;
    }
    return MX_OK;
}

static bool trace_matches(const mxi_ctape *t, const mx_vec *in, bool shapeless) {
    if (t->n_inputs != in->size) return false;
    for (int i = 0; i < in->size; i++) {
        const mxi_cslot *s = &t->slots[i];
        const mx_array *a = in->data[i];
        if (!a || s->dtype != a->dtype || s->ndim != a->ndim) return false;
        if (!shapeless && memcmp(s->shape, a->shape, sizeof(int32_t) * (size_t)a->ndim) != 0)
            return false;
    }
    return true;
}

/* ---- calls of a shapeless file at other shapes ---- */

/* What shaped_tape traces: the file's trace replayed shapeless. */
static int replay_shapeless(mx_vec *outputs, const mx_vec *inputs, void *payload) {
    const mxi_ctape *t = payload;
    mx_array **res = calloc((size_t)(t->n_outputs ? t->n_outputs : 1), sizeof *res);
    if (!res) return oom("import_function");
    int rc = mxi_ctape_replay(t, inputs->data, res, true);
    for (int i = 0; i < t->n_outputs && !rc; i++) {
        rc = mx_vec_push(outputs, res[i]);
        res[i] = NULL;
    }
    for (int i = 0; i < t->n_outputs; i++) mx_array_free(res[i]);
    free(res);
    return rc;
}

static bool shaped_matches(const fshaped *e, const mx_vec *in) {
    if (!e->shapes) return false;
    const int32_t *p = e->shapes;
    for (int i = 0; i < in->size; i++) {
        const mx_array *a = in->data[i];
        if (memcmp(p, a->shape, sizeof(int32_t) * (size_t)a->ndim) != 0) return false;
        p += a->ndim;
    }
    return true;
}

/* The error of a call at shapes the trace does not fit, naming them and
 * keeping what the shape rule or the check said (about which op). */
static int shapes_error(const mx_vec *in) {
    char msg[512], shp[512];
    int code = mx_last_error_code();
    if (code == MX_ERR_MEMORY) return code;
    snprintf(msg, sizeof msg, "%s", mx_last_error());
    const char *m = msg;
    static const char *const prefixes[] = {"[compile] shapeless: ", "[import_function] "};
    for (int i = 0; i < 2; i++)
        if (strncmp(m, prefixes[i], strlen(prefixes[i])) == 0) m += strlen(prefixes[i]);
    size_t n = 0;
    shp[0] = 0;
    for (int i = 0; i < in->size && n < sizeof shp - MXI_SHAPE_STR_LEN - 4; i++) {
        char one[MXI_SHAPE_STR_LEN];
        mxi_shape_str(one, sizeof one, in->data[i]->shape, in->data[i]->ndim);
        n += (size_t)snprintf(shp + n, sizeof shp - n, "%s%s", i ? ", " : "", one);
    }
    return mxi_error(MX_ERR_VALUE,
                     "[import_function] the shapeless function cannot take inputs of shapes %s: %s",
                     shp, m);
}

/* The tape of tr at the shapes of in: the trace replayed shapeless (each
 * kind's shape rule, as compile does) on stand-ins of in (no data, never
 * evaluated), recorded as a tape of fixed shapes and checked there as
 * import checks the file's traces (check_ops). A blob that fits the
 * traced shapes may not fit others (a slice past the end of a shorter
 * input, a matmul whose inner sizes no longer agree): only a tape that
 * passes is replayed. Kept per input shapes (at most FN_SHAPED_CACHE,
 * replacing the oldest), so a repeated call costs a lookup. The caller
 * holds f->lock; *out stays valid until it lets go. */
static int shaped_tape(ftrace *tr, const mx_vec *in, const mxi_ctape **out) {
    for (int i = 0; i < FN_SHAPED_CACHE; i++)
        if (shaped_matches(&tr->shaped[i], in)) {
            *out = &tr->shaped[i].tape;
            return MX_OK;
        }
    size_t n = 0;
    for (int i = 0; i < in->size; i++) n += (size_t)in->data[i]->ndim;
    int32_t *shapes = malloc(sizeof(int32_t) * (n ? n : 1));
    mx_vec stand = {0};
    mx_closure *c = NULL;
    mxi_ctape t;
    int rc = shapes ? MX_OK : oom("import_function"), traced = 0;
    for (int i = 0, off = 0; i < in->size && !rc; i++) {
        const mx_array *a = in->data[i];
        memcpy(shapes + off, a->shape, sizeof(int32_t) * (size_t)a->ndim);
        off += a->ndim;
        mx_array *x = mxi_array_alloc(a->dtype, a->shape, a->ndim);
        rc = x ? mx_vec_push(&stand, x) : oom("import_function");
    }
    /* the trace with its spread constants spread anew: the replay spreads
     * their sources to the shapes of this call, and the trace's own ones
     * lose their source once a call at the traced shapes evaluates them */
    mxi_ctape src;
    bool copied = !rc && !(rc = mxi_ctape_copy(&src, &tr->tape));
    for (int i = 0; copied && i < src.n_slots && !rc; i++) {
        if (!tr->spread[i]) continue;
        mxi_cslot *sl = &src.slots[i];
        mx_array_free(sl->constant);
        sl->constant = NULL;
        rc = mx_broadcast_to(&sl->constant, tr->spread[i], sl->shape, sl->ndim, NULL);
    }
    if (!rc) rc = mx_closure_new(&c, replay_shapeless, &src, NULL);
    if (!rc) traced = !(rc = mxi_compile_trace(&t, c, &stand, false, NULL));
    if (!rc) rc = check_ops(&t);
    if (rc && rc != MX_ERR_MEMORY) rc = shapes_error(in);
    mx_closure_free(c);
    mx_vec_clear(&stand);
    if (copied) mxi_ctape_free(&src);
    if (rc) {
        if (traced) mxi_ctape_free(&t);
        free(shapes);
        return rc;
    }
    fshaped *e = &tr->shaped[tr->next_shaped];
    tr->next_shaped = (tr->next_shaped + 1) % FN_SHAPED_CACHE;
    fshaped_clear(e);
    e->shapes = shapes;
    e->tape = t;
    *out = &e->tape;
    return MX_OK;
}

/* Runs the first trace taking inputs (their last n_kw named kw_names;
 * kw_names NULL: any names): the trace as the file has it at its traced
 * shapes, and at other shapes (a shapeless file) its checked tape at those
 * shapes. */
static int call_trace(fpayload *f, mx_vec *outputs, const mx_vec *inputs,
                      const char *const *kw_names, int n_kw) {
    ftrace *tr = NULL;
    for (int i = 0; i < f->n && !tr; i++)
        if (trace_matches(&f->traces[i].tape, inputs, f->shapeless) &&
            (!kw_names || kwnames_equal(&f->traces[i].kw, kw_names, n_kw)))
            tr = &f->traces[i];
    if (!tr)
        return mxi_error(MX_ERR_VALUE,
                         "[import_function] no trace in the file takes these %d inputs (their "
                         "number, dtypes%s%s differ from each of the %d traces)",
                         inputs->size, f->shapeless ? " or ndims" : " or shapes",
                         kw_names ? ", keyword names" : "", f->n);
    const mxi_ctape *t = &tr->tape;
    bool locked = f->shapeless && !trace_matches(t, inputs, false);
    int rc = MX_OK;
    if (locked) {
        pthread_mutex_lock(&f->lock);
        rc = shaped_tape(tr, inputs, &t);
    }
    int n_out = t->n_outputs;
    mx_array **res = rc ? NULL : calloc((size_t)(n_out ? n_out : 1), sizeof *res);
    if (!rc && !res) rc = oom("import_function");
    if (!rc) rc = mxi_ctape_replay(t, inputs->data, res, false);
    if (locked) pthread_mutex_unlock(&f->lock);
    for (int i = 0; i < n_out && !rc; i++) {
        rc = mx_vec_push(outputs, res[i]);
        res[i] = NULL;
    }
    for (int i = 0; res && i < n_out; i++) mx_array_free(res[i]);
    free(res);
    return rc;
}

static int imported_call(mx_vec *outputs, const mx_vec *inputs, void *payload) {
    return call_trace(payload, outputs, inputs, NULL, 0);
}

int mx_imported_metadata(const mx_closure *f, const char **metadata, size_t *len) {
    fpayload *p = f ? mxi_closure_payload(f, imported_call) : NULL;
    if (!p) return mxi_error(MX_ERR_VALUE, "[import_function] not an imported function");
    if (!metadata || !len) return mxi_error(MX_ERR_VALUE, "[import_function] bad arguments");
    *metadata = p->metadata;
    *len = p->metadata_len;
    return MX_OK;
}

int mx_imported_apply_kw(const mx_closure *f, mx_vec *outputs, const mx_vec *inputs,
                         const char *const *kw_names, int n_kw) {
    fpayload *p = f ? mxi_closure_payload(f, imported_call) : NULL;
    if (!p) return mxi_error(MX_ERR_VALUE, "[import_function] not an imported function");
    if (!outputs || !inputs || n_kw < 0 || n_kw > inputs->size || (n_kw && !kw_names))
        return mxi_error(MX_ERR_VALUE, "[import_function] bad arguments");
    static const char *const none[1] = {""};
    return call_trace(p, outputs, inputs, n_kw ? kw_names : none, n_kw);
}

static int kind_by_name(mxi_prim_kind *out, const char *name, size_t len) {
    for (int k = 0; k < MXI_PRIM_COUNT; k++) {
        const char *n = mxi_primitives[k].name;
        if (n && strlen(n) == len && memcmp(n, name, len) == 0) {
            if (!exportable((mxi_prim_kind)k)) break;
            *out = (mxi_prim_kind)k;
            return MX_OK;
        }
    }
    return mxi_error(MX_ERR_VALUE, "[import_function] unknown or unsupported primitive '%.*s'",
                     (int)(len > 64 ? 64 : len), name);
}

int mx_import_function_bytes(mx_closure **out, const void *data, size_t len) {
    if (!out || (!data && len))
        return mxi_error(MX_ERR_VALUE, "[import_function] out and data must not be NULL");
    rd r = {data, len, 0};
    char magic[8];
    uint32_t version = 0, flags = 0, n_kinds = 0, n_traces = 0;
    int rc = get(&r, magic, 8);
    if (rc || memcmp(magic, FN_MAGIC, 8) != 0)
        return mxi_error(MX_ERR_VALUE, "[import_function] not a cmlx function file (bad magic)");
    if ((rc = get_u32(&r, &version))) return rc;
    if (version != 1 && version != FN_VERSION)
        return mxi_error(MX_ERR_VALUE, "[import_function] unsupported version %u (reads %u)",
                         version, FN_VERSION);
    if ((rc = get_u32(&r, &flags))) return rc;
    if (flags > 7) return mxi_error(MX_ERR_VALUE, "[import_function] unknown flags 0x%x", flags);
    if ((rc = get_count(&r, &n_kinds, 2, "primitive names"))) return rc;
    if (n_kinds > MXI_PRIM_COUNT)
        return mxi_error(MX_ERR_VALUE, "[import_function] %u primitive names (more than exist)",
                         n_kinds);
    mxi_prim_kind kinds[MXI_PRIM_COUNT];
    for (uint32_t i = 0; i < n_kinds; i++) {
        unsigned char lb[2];
        if ((rc = get(&r, lb, 2))) return rc;
        size_t l = mxi_le16(lb);
        if (l > len - r.off) return trunc_err();
        if ((rc = kind_by_name(&kinds[i], (const char *)r.p + r.off, l))) return rc;
        r.off += l;
    }
    uint32_t md_len = 0;
    size_t md_off = 0;
    if (flags & 4) {
        if ((rc = get_count(&r, &md_len, 1, "metadata bytes"))) return rc;
        md_off = r.off;
        r.off += md_len;
    }
    rpool pool = {0};
    if (version >= 2 && (rc = get_pool(&r, &pool))) {
        rpool_free(&pool);
        return rc;
    }
    if ((rc = get_count(&r, &n_traces, 12, "traces")) ||
        (!n_traces &&
         (rc = mxi_error(MX_ERR_VALUE, "[import_function] the file holds no trace")))) {
        rpool_free(&pool);
        return rc;
    }
    fpayload *f = calloc(1, sizeof *f);
    if (!f) {
        rpool_free(&pool);
        return oom("import_function");
    }
    f->metadata = malloc((size_t)md_len + 1);
    if (!f->metadata) {
        free(f);
        rpool_free(&pool);
        return oom("import_function");
    }
    if (md_len) memcpy(f->metadata, r.p + md_off, md_len);
    f->metadata[md_len] = 0;
    f->metadata_len = md_len;
    f->shapeless = flags & 1;
    pthread_mutex_init(&f->lock, NULL);
    f->traces = calloc(n_traces, sizeof *f->traces);
    if (!f->traces) rc = oom("import_function");
    for (uint32_t i = 0; i < n_traces && !rc; i++) {
        f->n++;
        if (flags & 2) rc = get_kwnames(&r, &f->traces[i].kw);
        if (!rc)
            rc = get_tape(&r, &f->traces[i], kinds, n_kinds, f->shapeless,
                          version >= 2 ? &pool : NULL);
        if (!rc && f->traces[i].kw.n > f->traces[i].tape.n_inputs)
            rc = mxi_error(MX_ERR_VALUE,
                           "[import_function] trace %u: more keyword names than inputs", i);
    }
    if (!rc && r.off != len)
        rc = mxi_error(MX_ERR_VALUE, "[import_function] %zu bytes after the last trace",
                       len - r.off);
    rpool_free(&pool); /* the slots hold what they use */
    if (!rc) rc = mx_closure_new(out, imported_call, f, fpayload_free);
    if (rc) fpayload_free(f);
    return rc;
}

int mx_import_function(mx_closure **out, const char *path) {
    if (!out || !path)
        return mxi_error(MX_ERR_VALUE, "[import_function] out and path must not be NULL");
    mxi_reader rdr;
    int rc = mxi_reader_open_file(&rdr, "import_function", path);
    if (rc) return rc;
    void *buf = malloc(rdr.size ? rdr.size : 1);
    if (!buf) rc = oom("import_function");
    if (!rc) rc = mxi_reader_read(&rdr, 0, buf, rdr.size);
    mxi_reader_close(&rdr);
    if (!rc) rc = mx_import_function_bytes(out, buf, rdr.size);
    free(buf);
    return rc;
}
