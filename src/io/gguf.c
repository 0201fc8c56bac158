/*
 * GGUF (versions 2 and 3): "GGUF", version, tensor count, key/value count,
 * the key/value section, tensor infos (name, dims innermost first, ggml
 * type, offset), padding to the alignment, then the tensor data.
 *
 * Every count and length is checked against the bytes left before anything
 * is allocated for it, array nesting is bounded, and tensor regions must lie
 * in the data section without overlapping. Reading goes through a small
 * window so the many short strings of a tokenizer cost no system call each.
 */
#include "gguf.h"

#include <stdlib.h>

#include "maps.h"
#include "core/array_impl.h"

#define GGUF_MAX_TENSOR_DIMS 8
#define GGUF_WINDOW          (1u << 16)
/* Metadata values are 32 bytes each in memory, more than most take in the
 * file (1 byte for a uint8): a cap on their total keeps a hostile file from
 * asking for many times its size. Real tokenizers hold a few 100k. */
#define GGUF_MAX_META_ITEMS (16u << 20)

typedef struct cursor {
    const mxi_reader *r;
    uint64_t pos;
    unsigned char win[GGUF_WINDOW];
    uint64_t win_start, win_len;
    uint64_t items; /* metadata array items read so far */
} cursor;

static int cur_read(cursor *c, void *dst, uint64_t n) {
    if (!mxi_reader_has(c->r, c->pos, n))
        return mxi_error(MX_ERR_VALUE, "[%s] not a valid GGUF file: truncated at byte %llu",
                         c->r->op, (unsigned long long)c->pos);
    if (c->pos >= c->win_start && c->pos + n <= c->win_start + c->win_len) {
        memcpy(dst, c->win + (c->pos - c->win_start), n);
        c->pos += n;
        return MX_OK;
    }
    if (n > GGUF_WINDOW / 2) {
        int rc = mxi_reader_read(c->r, c->pos, dst, n);
        if (!rc) c->pos += n;
        return rc;
    }
    uint64_t len = c->r->size - c->pos < GGUF_WINDOW ? c->r->size - c->pos : GGUF_WINDOW;
    int rc = mxi_reader_read(c->r, c->pos, c->win, len);
    if (rc) return rc;
    c->win_start = c->pos, c->win_len = len;
    memcpy(dst, c->win, n);
    c->pos += n;
    return MX_OK;
}

static uint64_t left(const cursor *c) {
    return c->r->size - c->pos;
}

static int cur_u32(cursor *c, uint32_t *v) {
    unsigned char b[4];
    int rc = cur_read(c, b, 4);
    if (!rc) *v = mxi_le32(b);
    return rc;
}

static int cur_u64(cursor *c, uint64_t *v) {
    unsigned char b[8];
    int rc = cur_read(c, b, 8);
    if (!rc) *v = mxi_le64(b);
    return rc;
}

/* A string: u64 length then bytes; *s is malloc'd and NUL-terminated. */
static int cur_string(cursor *c, char **s, uint64_t *len) {
    int rc = cur_u64(c, len);
    if (rc) return rc;
    if (*len > left(c))
        return mxi_error(MX_ERR_VALUE,
                         "[%s] not a valid GGUF file: a string of %llu bytes is "
                         "past the end",
                         c->r->op, (unsigned long long)*len);
    *s = malloc(*len + 1);
    if (!*s) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", c->r->op);
    rc = cur_read(c, *s, *len);
    if (rc) {
        free(*s);
        *s = NULL;
        return rc;
    }
    (*s)[*len] = '\0';
    return MX_OK;
}

static int scalar_size(int t) {
    switch (t) {
    case MX_GGUF_UINT8:
    case MX_GGUF_INT8:
    case MX_GGUF_BOOL:
        return 1;
    case MX_GGUF_UINT16:
    case MX_GGUF_INT16:
        return 2;
    case MX_GGUF_UINT32:
    case MX_GGUF_INT32:
    case MX_GGUF_FLOAT32:
        return 4;
    case MX_GGUF_UINT64:
    case MX_GGUF_INT64:
    case MX_GGUF_FLOAT64:
        return 8;
    default:
        return 0;
    }
}

static int read_value(cursor *c, int type, mx_gguf_value *v, int depth) {
    memset(v, 0, sizeof *v);
    const char *op = c->r->op;
    if (type == MX_GGUF_STRING) {
        char *s;
        uint64_t len;
        int rc = cur_string(c, &s, &len);
        if (rc) return rc;
        v->type = MX_GGUF_STRING;
        v->v.s.str = s;
        v->v.s.len = len;
        return MX_OK;
    }
    if (type == MX_GGUF_ARRAY) {
        if (depth >= MXI_GGUF_MAX_DEPTH)
            return mxi_error(MX_ERR_VALUE, "[%s] metadata arrays nested too deeply", op);
        uint32_t et = 0;
        uint64_t n = 0;
        int rc = cur_u32(c, &et);
        if (!rc) rc = cur_u64(c, &n);
        if (rc) return rc;
        int min = et == MX_GGUF_STRING ? 8 : et == MX_GGUF_ARRAY ? 12 : scalar_size((int)et);
        if (min == 0) return mxi_error(MX_ERR_VALUE, "[%s] unknown metadata array type %u", op, et);
        if (n > left(c) / (uint64_t)min)
            return mxi_error(MX_ERR_VALUE,
                             "[%s] not a valid GGUF file: an array of %llu items is past the end",
                             op, (unsigned long long)n);
        c->items += n;
        if (c->items > GGUF_MAX_META_ITEMS)
            return mxi_error(MX_ERR_VALUE, "[%s] metadata arrays hold more than %u items", op,
                             GGUF_MAX_META_ITEMS);
        mx_gguf_value *items = calloc(n ? n : 1, sizeof *items);
        if (!items) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
        v->type = MX_GGUF_ARRAY;
        v->v.arr.elem_type = (mx_gguf_type)et;
        v->v.arr.items = items;
        for (uint64_t i = 0; i < n; i++) {
            rc = read_value(c, (int)et, &items[i], depth + 1);
            v->v.arr.n = i + 1; /* items[i] is cleared (or filled) either way */
            if (rc) return rc;
        }
        return MX_OK;
    }
    int sz = scalar_size(type);
    if (!sz) return mxi_error(MX_ERR_VALUE, "[%s] unknown metadata value type %d", op, type);
    unsigned char b[8];
    int rc = cur_read(c, b, (uint64_t)sz);
    if (rc) return rc;
    v->type = (mx_gguf_type)type;
    switch (type) {
    case MX_GGUF_UINT8:
        v->v.u = b[0];
        break;
    case MX_GGUF_INT8:
        v->v.i = (int8_t)b[0];
        break;
    case MX_GGUF_BOOL:
        v->v.b = b[0] != 0;
        break;
    case MX_GGUF_UINT16:
        v->v.u = mxi_le16(b);
        break;
    case MX_GGUF_INT16:
        v->v.i = (int16_t)mxi_le16(b);
        break;
    case MX_GGUF_UINT32:
        v->v.u = mxi_le32(b);
        break;
    case MX_GGUF_INT32:
        v->v.i = (int32_t)mxi_le32(b);
        break;
    case MX_GGUF_UINT64:
        v->v.u = mxi_le64(b);
        break;
    case MX_GGUF_INT64:
        v->v.i = (int64_t)mxi_le64(b);
        break;
    case MX_GGUF_FLOAT32: {
        uint32_t u = mxi_le32(b);
        float f;
        memcpy(&f, &u, 4);
        v->v.f = f;
        break;
    }
    case MX_GGUF_FLOAT64: {
        uint64_t u = mxi_le64(b);
        memcpy(&v->v.f, &u, 8);
        break;
    }
    default:
        break;
    }
    return MX_OK;
}

typedef struct tinfo {
    char *name;
    uint64_t name_len;
    int ndim;
    uint64_t dims[GGUF_MAX_TENSOR_DIMS];
    uint32_t type;
    uint64_t offset, nbytes;
} tinfo;

static int cmp_tinfo(const void *a, const void *b) {
    const tinfo *x = *(tinfo *const *)a, *y = *(tinfo *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* An evaluated array with its own row-contiguous memory. */
static int host_array(mx_array **out, mx_dtype dt, const int32_t *shape, int ndim) {
    mx_array *a = mxi_array_alloc(dt, shape, ndim);
    if (!a) return MX_ERR_MEMORY;
    int rc = mxi_alloc_data(a);
    if (rc) {
        mx_array_free(a);
        return rc;
    }
    atomic_store(&a->status, MX_ARRAY_AVAILABLE);
    *out = a;
    return MX_OK;
}

/* The unquantized tensor types, in both directions. */
static const struct {
    uint32_t ggml;
    mx_dtype dtype;
} plain_types[] = {
    {MXI_GGML_F32, MX_FLOAT32}, {MXI_GGML_F16, MX_FLOAT16}, {MXI_GGML_BF16, MX_BFLOAT16},
    {MXI_GGML_F64, MX_FLOAT64}, {MXI_GGML_I8, MX_INT8},     {MXI_GGML_I16, MX_INT16},
    {MXI_GGML_I32, MX_INT32},   {MXI_GGML_I64, MX_INT64},
};

static mx_dtype plain_dtype(uint32_t t) {
    for (size_t i = 0; i < sizeof plain_types / sizeof *plain_types; i++)
        if (plain_types[i].ggml == t) return plain_types[i].dtype;
    return MX_DTYPE_NONE;
}

/* UINT32_MAX where GGUF has no type for the dtype. */
static uint32_t ggml_type_of(mx_dtype dt) {
    for (size_t i = 0; i < sizeof plain_types / sizeof *plain_types; i++)
        if (plain_types[i].dtype == dt) return plain_types[i].ggml;
    return UINT32_MAX;
}

static int add_named(mx_array_map *map, const char *op, const tinfo *t, const char *suffix,
                     mx_array *a) {
    if (!suffix) return mxi_array_map_add_new(map, op, t->name, t->name_len, a);
    const char *w = ".weight";
    size_t base = t->name_len;
    if (base >= 7 && !memcmp(t->name + base - 7, w, 7)) base -= 7;
    size_t sl = strlen(suffix);
    char *n = malloc(base + sl + 1);
    if (!n) {
        mx_array_free(a);
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    }
    memcpy(n, t->name, base);
    memcpy(n + base, suffix, sl + 1);
    int rc = mxi_array_map_add_new(map, op, n, base + sl, a);
    free(n);
    return rc;
}

static int load_tensor(mx_array_map *map, const mxi_reader *r, const tinfo *t, uint64_t data_start,
                       const mx_stream *s) {
    const char *op = r->op;
    int32_t shape[GGUF_MAX_TENSOR_DIMS];
    for (int i = 0; i < t->ndim; i++) shape[i] = (int32_t)t->dims[t->ndim - 1 - i];
    mx_dtype pd = plain_dtype(t->type);
    if (pd != MX_DTYPE_NONE) {
        mx_array *a = NULL;
        int rc =
            mxi_reader_array(&a, r, data_start + t->offset, t->nbytes, pd, shape, t->ndim, 0, s);
        if (rc) return rc;
        return add_named(map, op, t, NULL, a);
    }
    int64_t nel = mxi_shape_size(shape, t->ndim);
    int be, bb;
    mxi_ggml_block((int)t->type, &be, &bb);
    int64_t nblk = nel / be;
    unsigned char *raw = malloc(t->nbytes ? t->nbytes : 1);
    if (!raw) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    int rc = mxi_reader_read(r, data_start + t->offset, raw, t->nbytes);
    if (rc) {
        free(raw);
        return rc;
    }
    bool affine = t->type == MXI_GGML_Q4_0 || t->type == MXI_GGML_Q4_1 ||
                  t->type == MXI_GGML_Q8_0 || t->type == MXI_GGML_Q4_K;
    if (affine) {
        if (t->ndim == 0 || shape[t->ndim - 1] % 32 != 0) {
            free(raw);
            return mxi_error(MX_ERR_VALUE,
                             "[%s] tensor \"%.200s\": last dimension %d is not a "
                             "multiple of 32",
                             op, t->name, t->ndim ? shape[t->ndim - 1] : 0);
        }
        int bits = t->type == MXI_GGML_Q8_0 ? 8 : 4;
        int32_t wshape[GGUF_MAX_TENSOR_DIMS], sshape[GGUF_MAX_TENSOR_DIMS];
        memcpy(wshape, shape, sizeof(int32_t) * (size_t)t->ndim);
        memcpy(sshape, shape, sizeof(int32_t) * (size_t)t->ndim);
        wshape[t->ndim - 1] = shape[t->ndim - 1] / 32 * bits;
        sshape[t->ndim - 1] = shape[t->ndim - 1] / 32;
        mx_array *w = NULL, *sc = NULL, *bi = NULL;
        rc = host_array(&w, MX_UINT32, wshape, t->ndim);
        if (!rc) rc = host_array(&sc, MX_FLOAT16, sshape, t->ndim);
        if (!rc) rc = host_array(&bi, MX_FLOAT16, sshape, t->ndim);
        if (!rc)
            mxi_gguf_to_affine((int)t->type, raw, nblk, mxi_data(w), mxi_data(sc), mxi_data(bi));
        free(raw);
        if (rc) {
            mx_array_free(w);
            mx_array_free(sc);
            mx_array_free(bi);
            return rc;
        }
        rc = add_named(map, op, t, NULL, w);
        if (!rc)
            rc = add_named(map, op, t, ".scales", sc);
        else
            mx_array_free(sc);
        if (!rc)
            rc = add_named(map, op, t, ".biases", bi);
        else
            mx_array_free(bi);
        return rc;
    }
    mx_array *f = NULL;
    rc = host_array(&f, MX_FLOAT32, shape, t->ndim);
    if (!rc) mxi_gguf_dequantize((int)t->type, raw, nblk, mxi_data(f));
    free(raw);
    if (rc) return rc;
    return add_named(map, op, t, NULL, f);
}

static int load_gguf(mx_array_map **arrays, mx_gguf_metadata **metadata, const mxi_reader *r,
                     const mx_stream *s) {
    const char *op = r->op;
    if (!arrays) return mxi_error(MX_ERR_VALUE, "[%s] arrays is NULL", op);
    cursor *c = malloc(sizeof *c);
    if (!c) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    c->r = r, c->pos = 0, c->win_start = 0, c->win_len = 0, c->items = 0;
    mx_array_map *map = NULL;
    mx_gguf_metadata *meta = NULL;
    tinfo *ts = NULL, **order = NULL;
    uint64_t nt = 0, nkv = 0, nt_read = 0;
    unsigned char head[8];
    uint32_t version = 0;
    int rc = mxi_reader_has(r, 0, 24)
                 ? MX_OK
                 : mxi_error(MX_ERR_VALUE, "[%s] not a GGUF file: too short", op);
    if (!rc) rc = cur_read(c, head, 4);
    if (!rc && memcmp(head, "GGUF", 4) != 0)
        rc = mxi_error(MX_ERR_VALUE, "[%s] not a GGUF file: bad magic", op);
    if (!rc) rc = cur_u32(c, &version);
    if (!rc && version != 2 && version != 3)
        rc = mxi_error(MX_ERR_VALUE, "[%s] unsupported GGUF version %u (2 and 3 are read)", op,
                       version);
    if (!rc) rc = cur_u64(c, &nt);
    if (!rc) rc = cur_u64(c, &nkv);
    if (!rc && (nkv > left(c) / 12 || nt > left(c) / 24))
        rc = mxi_error(MX_ERR_VALUE, "[%s] not a valid GGUF file: counts past the end", op);
    if (!rc) rc = mx_array_map_new(&map);
    if (!rc) rc = mx_gguf_metadata_new(&meta);
    uint64_t alignment = 32;
    for (uint64_t i = 0; i < nkv && !rc; i++) {
        char *key = NULL;
        uint64_t klen = 0;
        uint32_t type = 0;
        rc = cur_string(c, &key, &klen);
        if (!rc) rc = cur_u32(c, &type);
        mx_gguf_value *v = NULL;
        if (!rc) {
            v = calloc(1, sizeof *v);
            if (!v) rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
        }
        if (!rc) {
            rc = read_value(c, (int)type, v, 0);
            if (rc) mxi_gguf_value_free(v);
        }
        if (!rc && klen == 17 && !memcmp(key, "general.alignment", 17)) {
            if (v->type != MX_GGUF_UINT32 || v->v.u == 0 || (v->v.u & (v->v.u - 1)))
                rc = mxi_error(MX_ERR_VALUE, "[%s] general.alignment must be a power of two", op);
            else
                alignment = v->v.u;
            if (rc) mxi_gguf_value_free(v);
        }
        if (!rc) rc = mxi_gguf_metadata_take(meta, key, klen, v, op);
        free(key);
    }
    if (!rc) {
        ts = calloc(nt ? nt : 1, sizeof *ts);
        order = malloc((nt ? nt : 1) * sizeof *order);
        if (!ts || !order) rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    }
    for (uint64_t i = 0; i < nt && !rc; i++) {
        tinfo *t = &ts[i];
        uint32_t nd = 0;
        rc = cur_string(c, &t->name, &t->name_len);
        nt_read = i + 1;
        if (!rc) rc = cur_u32(c, &nd);
        if (!rc && nd > GGUF_MAX_TENSOR_DIMS)
            rc = mxi_error(MX_ERR_VALUE, "[%s] tensor \"%.200s\" has %u dimensions", op, t->name,
                           nd);
        t->ndim = (int)nd;
        for (uint32_t d = 0; d < nd && !rc; d++) rc = cur_u64(c, &t->dims[d]);
        if (!rc) rc = cur_u32(c, &t->type);
        if (!rc) rc = cur_u64(c, &t->offset);
        if (rc) break;
        int be, bb;
        if (!mxi_ggml_block((int)t->type, &be, &bb)) {
            rc =
                mxi_error(MX_ERR_TYPE, "[%s] tensor \"%.200s\": ggml type %u (%s) is not supported",
                          op, t->name, t->type, mxi_ggml_name((int)t->type));
            break;
        }
        int32_t shape[GGUF_MAX_TENSOR_DIMS];
        uint64_t nel;
        rc = mxi_io_shape(op, t->dims, t->ndim, 1, shape, &nel);
        if (rc) break;
        if ((t->ndim ? t->dims[0] : 1) % (uint64_t)be != 0) {
            rc = mxi_error(MX_ERR_VALUE,
                           "[%s] tensor \"%.200s\": rows of %llu elements are not "
                           "whole blocks of %d",
                           op, t->name, (unsigned long long)(t->ndim ? t->dims[0] : 1), be);
            break;
        }
        t->nbytes = nel / (uint64_t)be * (uint64_t)bb;
        if (t->offset % alignment) {
            rc = mxi_error(MX_ERR_VALUE, "[%s] tensor \"%.200s\": offset is not aligned", op,
                           t->name);
            break;
        }
        order[i] = t;
    }
    uint64_t data_start = 0;
    if (!rc) {
        data_start = (c->pos + alignment - 1) / alignment * alignment;
        if (data_start > r->size)
            rc = mxi_error(MX_ERR_VALUE, "[%s] not a valid GGUF file: no data section", op);
    }
    for (uint64_t i = 0; i < nt && !rc; i++) {
        tinfo *t = &ts[i];
        if (t->offset > r->size - data_start || t->nbytes > r->size - data_start - t->offset)
            rc = mxi_error(MX_ERR_VALUE, "[%s] tensor \"%.200s\": data is past the end of the file",
                           op, t->name);
    }
    if (!rc && nt > 1) {
        qsort(order, nt, sizeof *order, cmp_tinfo);
        for (uint64_t i = 1; i < nt && !rc; i++)
            if (order[i]->offset < order[i - 1]->offset + order[i - 1]->nbytes &&
                order[i]->nbytes && order[i - 1]->nbytes)
                rc = mxi_error(MX_ERR_VALUE, "[%s] tensors \"%.200s\" and \"%.200s\" overlap", op,
                               order[i - 1]->name, order[i]->name);
    }
    for (uint64_t i = 0; i < nt && !rc; i++) rc = load_tensor(map, r, &ts[i], data_start, s);
    for (uint64_t i = 0; i < nt_read; i++) free(ts[i].name);
    free(ts);
    free(order);
    free(c);
    if (rc) {
        mx_array_map_free(map);
        mx_gguf_metadata_free(meta);
        return rc;
    }
    mx_array_map_free(*arrays);
    *arrays = map;
    if (metadata) {
        mx_gguf_metadata_free(*metadata);
        *metadata = meta;
    } else {
        mx_gguf_metadata_free(meta);
    }
    return MX_OK;
}

int mx_load_gguf(mx_array_map **arrays, mx_gguf_metadata **metadata, const char *path,
                 const mx_stream *s) {
    mxi_reader r;
    int rc = mxi_reader_open_file(&r, "load_gguf", path);
    if (rc) return rc;
    rc = load_gguf(arrays, metadata, &r, s);
    mxi_reader_close(&r);
    return rc;
}

int mx_load_gguf_bytes(mx_array_map **arrays, mx_gguf_metadata **metadata, const void *data,
                       size_t len) {
    mxi_reader r;
    int rc = mxi_reader_open_mem(&r, "load_gguf", data, len);
    if (rc) return rc;
    return load_gguf(arrays, metadata, &r, NULL);
}

/* ---- writing ---- */

static void put_string(mxi_buf *b, const char *s, size_t n) {
    mxi_buf_u64(b, n);
    mxi_buf_append(b, s, n);
}

static void put_value(mxi_buf *b, const mx_gguf_value *v) {
    switch (v->type) {
    case MX_GGUF_UINT8:
        mxi_buf_u8(b, (uint8_t)v->v.u);
        break;
    case MX_GGUF_INT8:
        mxi_buf_u8(b, (uint8_t)v->v.i);
        break;
    case MX_GGUF_BOOL:
        mxi_buf_u8(b, v->v.b);
        break;
    case MX_GGUF_UINT16:
        mxi_buf_u16(b, (uint16_t)v->v.u);
        break;
    case MX_GGUF_INT16:
        mxi_buf_u16(b, (uint16_t)v->v.i);
        break;
    case MX_GGUF_UINT32:
        mxi_buf_u32(b, (uint32_t)v->v.u);
        break;
    case MX_GGUF_INT32:
        mxi_buf_u32(b, (uint32_t)v->v.i);
        break;
    case MX_GGUF_UINT64:
        mxi_buf_u64(b, v->v.u);
        break;
    case MX_GGUF_INT64:
        mxi_buf_u64(b, (uint64_t)v->v.i);
        break;
    case MX_GGUF_FLOAT32: {
        float f = (float)v->v.f;
        uint32_t u;
        memcpy(&u, &f, 4);
        mxi_buf_u32(b, u);
        break;
    }
    case MX_GGUF_FLOAT64: {
        uint64_t u;
        memcpy(&u, &v->v.f, 8);
        mxi_buf_u64(b, u);
        break;
    }
    case MX_GGUF_STRING:
        put_string(b, v->v.s.str, v->v.s.len);
        break;
    case MX_GGUF_ARRAY:
        mxi_buf_u32(b, (uint32_t)v->v.arr.elem_type);
        mxi_buf_u64(b, v->v.arr.n);
        for (size_t i = 0; i < v->v.arr.n; i++) put_value(b, &v->v.arr.items[i]);
        break;
    }
}

int mx_save_gguf(const char *path, const mx_array_map *arrays, const mx_gguf_metadata *metadata) {
    const char *op = "save_gguf";
    if (!arrays) return mxi_error(MX_ERR_VALUE, "[%s] the array map is NULL", op);
    size_t n = mx_array_map_size(arrays), nkv = mx_gguf_metadata_size(metadata);
    const uint64_t align = 32;
    for (size_t i = 0; i < n; i++) {
        mx_dtype dt = mx_array_dtype(mx_array_map_value(arrays, i));
        if (ggml_type_of(dt) == UINT32_MAX)
            return mxi_error(MX_ERR_TYPE,
                             "[%s] array \"%.200s\" is %s; GGUF saving takes float16/32/64, "
                             "bfloat16 and int8/16/32/64",
                             op, mx_array_map_key(arrays, i), mx_dtype_name(dt));
        if (mx_array_ndim(mx_array_map_value(arrays, i)) > GGUF_MAX_TENSOR_DIMS)
            return mxi_error(MX_ERR_VALUE, "[%s] array \"%.200s\" has too many dimensions", op,
                             mx_array_map_key(arrays, i));
    }
    for (size_t i = 0; i < nkv; i++)
        if (!strcmp(mx_gguf_metadata_key(metadata, i), "general.alignment"))
            return mxi_error(MX_ERR_VALUE, "[%s] general.alignment is set by the writer", op);
    mxi_buf h = {0};
    mxi_buf_append(&h, "GGUF", 4);
    mxi_buf_u32(&h, 3);
    mxi_buf_u64(&h, n);
    mxi_buf_u64(&h, nkv);
    for (size_t i = 0; i < nkv; i++) {
        const char *k = mx_gguf_metadata_key(metadata, i);
        const mx_gguf_value *v = mx_gguf_metadata_value(metadata, i);
        put_string(&h, k, strlen(k));
        mxi_buf_u32(&h, (uint32_t)v->type);
        put_value(&h, v);
    }
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = mx_array_map_key(arrays, i);
        const mx_array *a = mx_array_map_value(arrays, i);
        put_string(&h, k, strlen(k));
        int nd = mx_array_ndim(a);
        mxi_buf_u32(&h, (uint32_t)nd);
        for (int d = nd - 1; d >= 0; d--) mxi_buf_u64(&h, (uint64_t)mx_array_shape(a)[d]);
        mx_dtype dt = mx_array_dtype(a);
        mxi_buf_u32(&h, ggml_type_of(dt));
        mxi_buf_u64(&h, off);
        off = (off + mx_array_nbytes(a) + align - 1) / align * align;
    }
    while (h.len % align) mxi_buf_u8(&h, 0);
    int rc = mxi_buf_check(&h, op);
    if (!rc) rc = mxi_io_eval_map(arrays, op);
    int fd = -1;
    if (!rc) rc = mxi_open_write(&fd, path, op);
    if (!rc) rc = mxi_write_all(fd, h.data, h.len, op, path);
    static const unsigned char zeros[32];
    for (size_t i = 0; i < n && !rc; i++) {
        const mx_array *a = mx_array_map_value(arrays, i);
        const void *data;
        void *owned;
        rc = mxi_io_row_major(a, &data, &owned, op);
        size_t nb = mx_array_nbytes(a);
        if (!rc) rc = mxi_write_all(fd, data, nb, op, path);
        if (!rc && i + 1 < n && nb % align)
            rc = mxi_write_all(fd, zeros, align - nb % align, op, path);
        free(owned);
    }
    if (fd >= 0) {
        int crc = mxi_close_write(fd, op, path);
        if (!rc) rc = crc;
    }
    mxi_buf_free(&h);
    return rc;
}
