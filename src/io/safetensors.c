/*
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}, ...,
 * "__metadata__": {"k": "v"}}, then the data, offsets relative to 8 + N.
 *
 * The header is bounded (100 MB, as the format's reference reader) and
 * parsed by our own JSON parser; every tensor's byte range must match its
 * shape and dtype, lie inside the file and not overlap another tensor's.
 * Tensors from a file are lazy Load nodes.
 */
#include <stdlib.h>
#include <string.h>

#include "io_util.h"
#include "json.h"
#include "maps.h"
#include "core/array_impl.h"

#define ST_MAX_HEADER (100u << 20)
#define ST_MAX_DEPTH  16

static const struct {
    const char *name;
    mx_dtype dtype;
} st_dtypes[] = {
    {"BOOL", MX_BOOL},     {"U8", MX_UINT8},      {"U16", MX_UINT16},  {"U32", MX_UINT32},
    {"U64", MX_UINT64},    {"I8", MX_INT8},       {"I16", MX_INT16},   {"I32", MX_INT32},
    {"I64", MX_INT64},     {"F16", MX_FLOAT16},   {"F32", MX_FLOAT32}, {"F64", MX_FLOAT64},
    {"BF16", MX_BFLOAT16}, {"C64", MX_COMPLEX64},
};

static const char *st_name(mx_dtype t) {
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (st_dtypes[i].dtype == t) return st_dtypes[i].name;
    return NULL;
}

typedef struct range {
    uint64_t b, e;
    size_t entry;
} range;

static int cmp_range(const void *x, const void *y) {
    const range *a = x, *b = y;
    return a->b < b->b ? -1 : a->b > b->b ? 1 : (a->e > b->e) - (a->e < b->e);
}

static int bad_tensor(const mxi_reader *r, const char *name, const char *what) {
    return mxi_error(MX_ERR_VALUE, "[%s] tensor \"%.200s\": %s", r->op, name, what);
}

static int tensor_of(const mxi_reader *r, const char *name, const mxi_json *t, uint64_t base,
                     uint64_t data_len, range *rg, mx_array **out, const mx_stream *s) {
    if (t->kind != MXI_JSON_OBJECT) return bad_tensor(r, name, "entry is not an object");
    const mxi_json *dt = mxi_json_get(t, "dtype"), *sh = mxi_json_get(t, "shape"),
                   *off = mxi_json_get(t, "data_offsets");
    if (!dt || dt->kind != MXI_JSON_STRING) return bad_tensor(r, name, "missing dtype");
    if (!sh || sh->kind != MXI_JSON_ARRAY) return bad_tensor(r, name, "missing shape");
    if (!off || off->kind != MXI_JSON_ARRAY || off->n != 2 || !off->items[0].is_uint ||
        !off->items[1].is_uint)
        return bad_tensor(r, name, "data_offsets must be two non-negative integers");
    mx_dtype dtype = MX_DTYPE_NONE;
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (!strcmp(dt->str, st_dtypes[i].name)) dtype = st_dtypes[i].dtype;
    if (dtype == MX_DTYPE_NONE)
        return mxi_error(MX_ERR_TYPE, "[%s] tensor \"%.200s\": unsupported dtype \"%.40s\"", r->op,
                         name, dt->str);
    if (sh->n > MXI_IO_MAX_NDIM) return bad_tensor(r, name, "too many dimensions");
    uint64_t dims[MXI_IO_MAX_NDIM];
    for (size_t i = 0; i < sh->n; i++) {
        if (!sh->items[i].is_uint)
            return bad_tensor(r, name, "shape entries must be non-negative integers");
        dims[i] = sh->items[i].u;
    }
    int32_t shape[MXI_IO_MAX_NDIM];
    uint64_t nbytes;
    int rc = mxi_io_shape(r->op, dims, (int)sh->n, mx_dtype_size(dtype), shape, &nbytes);
    if (rc) return rc;
    uint64_t b = off->items[0].u, e = off->items[1].u;
    if (b > e || e > data_len)
        return bad_tensor(r, name, "data_offsets are outside the file's data");
    if (e - b != nbytes) return bad_tensor(r, name, "data_offsets do not match shape and dtype");
    rg->b = b, rg->e = e;
    return mxi_reader_array(out, r, base + b, nbytes, dtype, shape, (int)sh->n, 0, s);
}

static int load_st(mx_array_map **arrays, mx_string_map **metadata, const mxi_reader *r,
                   const mx_stream *s) {
    if (!arrays) return mxi_error(MX_ERR_VALUE, "[%s] arrays is NULL", r->op);
    unsigned char pre[8];
    if (r->size < 8)
        return mxi_error(MX_ERR_VALUE, "[%s] not a safetensors file: too short", r->op);
    int rc = mxi_reader_read(r, 0, pre, 8);
    if (rc) return rc;
    uint64_t n = mxi_le64(pre);
    if (n > ST_MAX_HEADER || n > r->size - 8)
        return mxi_error(MX_ERR_VALUE,
                         "[%s] not a safetensors file: header length %llu is past the end of the "
                         "file or over the limit",
                         r->op, (unsigned long long)n);
    char *text = malloc(n ? n : 1);
    if (!text) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", r->op);
    rc = mxi_reader_read(r, 8, text, n);
    mxi_json *root = NULL;
    if (!rc) rc = mxi_json_parse(&root, text, n, ST_MAX_DEPTH, r->op);
    free(text);
    if (rc) return rc;
    mx_array_map *map = NULL;
    mx_string_map *meta = NULL;
    range *ranges = NULL;
    if (root->kind != MXI_JSON_OBJECT) {
        rc = mxi_error(MX_ERR_VALUE, "[%s] the header is not a JSON object", r->op);
        goto done;
    }
    rc = mx_array_map_new(&map);
    if (!rc) rc = mx_string_map_new(&meta);
    if (rc) goto done;
    ranges = malloc((root->n ? root->n : 1) * sizeof *ranges);
    if (!ranges) {
        rc = mxi_error(MX_ERR_MEMORY, "[%s] out of memory", r->op);
        goto done;
    }
    size_t nr = 0;
    uint64_t base = 8 + n, data_len = r->size - base;
    bool seen_meta = false;
    for (size_t i = 0; i < root->n && !rc; i++) {
        const char *key = root->keys[i];
        const mxi_json *v = &root->items[i];
        if (!strcmp(key, "__metadata__") && root->klens[i] == 12) {
            /* MLX writes "__metadata__": null when there is none. */
            if (!seen_meta && v->kind == MXI_JSON_NULL) {
                seen_meta = true;
                continue;
            }
            if (seen_meta || v->kind != MXI_JSON_OBJECT) {
                rc = mxi_error(MX_ERR_VALUE, "[%s] __metadata__ must be one object of strings",
                               r->op);
                break;
            }
            seen_meta = true;
            for (size_t k = 0; k < v->n && !rc; k++) {
                if (v->items[k].kind != MXI_JSON_STRING || strlen(v->keys[k]) != v->klens[k] ||
                    strlen(v->items[k].str) != v->items[k].len)
                    rc = mxi_error(MX_ERR_VALUE, "[%s] __metadata__ values must be strings", r->op);
                else if (mx_string_map_get(meta, v->keys[k]))
                    rc = mxi_error(MX_ERR_VALUE, "[%s] metadata key \"%.200s\" appears twice",
                                   r->op, v->keys[k]);
                else
                    rc = mx_string_map_set(meta, v->keys[k], v->items[k].str);
            }
            continue;
        }
        mx_array *a = NULL;
        rc = tensor_of(r, key, v, base, data_len, &ranges[nr], &a, s);
        if (rc) break;
        ranges[nr].entry = i;
        nr++;
        rc = mxi_array_map_add_new(map, r->op, key, root->klens[i], a);
    }
    if (!rc && nr > 1) {
        qsort(ranges, nr, sizeof *ranges, cmp_range);
        for (size_t i = 1; i < nr && !rc; i++)
            if (ranges[i].b < ranges[i - 1].e)
                rc = mxi_error(MX_ERR_VALUE, "[%s] tensors \"%.200s\" and \"%.200s\" overlap",
                               r->op, root->keys[ranges[i - 1].entry], root->keys[ranges[i].entry]);
    }
done:
    free(ranges);
    mxi_json_free(root);
    if (rc) {
        mx_array_map_free(map);
        mx_string_map_free(meta);
        return rc;
    }
    mx_array_map_free(*arrays);
    *arrays = map;
    if (metadata) {
        mx_string_map_free(*metadata);
        *metadata = meta;
    } else {
        mx_string_map_free(meta);
    }
    return MX_OK;
}

int mx_load_safetensors(mx_array_map **arrays, mx_string_map **metadata, const char *path,
                        const mx_stream *s) {
    mxi_reader r;
    int rc = mxi_reader_open_file(&r, "load_safetensors", path);
    if (rc) return rc;
    rc = load_st(arrays, metadata, &r, s);
    mxi_reader_close(&r);
    return rc;
}

int mx_load_safetensors_bytes(mx_array_map **arrays, mx_string_map **metadata, const void *data,
                              size_t len) {
    mxi_reader r;
    int rc = mxi_reader_open_mem(&r, "load_safetensors", data, len);
    if (rc) return rc;
    return load_st(arrays, metadata, &r, NULL);
}

int mx_save_safetensors(const char *path, const mx_array_map *arrays,
                        const mx_string_map *metadata) {
    const char *op = "save_safetensors";
    if (!arrays) return mxi_error(MX_ERR_VALUE, "[%s] the array map is NULL", op);
    size_t n = mx_array_map_size(arrays);
    mxi_buf h = {0};
    mxi_buf_u8(&h, '{');
    bool first = true;
    if (metadata && mx_string_map_size(metadata)) {
        mxi_buf_printf(&h, "\"__metadata__\":{");
        for (size_t i = 0; i < mx_string_map_size(metadata); i++) {
            const char *k = mx_string_map_key(metadata, i), *v = mx_string_map_value(metadata, i);
            if (i) mxi_buf_u8(&h, ',');
            mxi_json_write_string(&h, k, strlen(k));
            mxi_buf_u8(&h, ':');
            mxi_json_write_string(&h, v, strlen(v));
        }
        mxi_buf_u8(&h, '}');
        first = false;
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = mx_array_map_key(arrays, i);
        const mx_array *a = mx_array_map_value(arrays, i);
        if (!strcmp(k, "__metadata__")) {
            mxi_buf_free(&h);
            return mxi_error(MX_ERR_VALUE, "[%s] \"__metadata__\" cannot name an array", op);
        }
        const char *dn = st_name(mx_array_dtype(a));
        if (!first) mxi_buf_u8(&h, ',');
        first = false;
        mxi_json_write_string(&h, k, strlen(k));
        mxi_buf_printf(&h, ":{\"dtype\":\"%s\",\"shape\":[", dn);
        for (int d = 0; d < mx_array_ndim(a); d++)
            mxi_buf_printf(&h, d ? ",%d" : "%d", mx_array_shape(a)[d]);
        uint64_t nb = mx_array_nbytes(a);
        mxi_buf_printf(&h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset,
                       (unsigned long long)(offset + nb));
        offset += nb;
    }
    mxi_buf_u8(&h, '}');
    while (h.len % 8) mxi_buf_u8(&h, ' '); /* data starts 8-byte aligned */
    int rc = mxi_buf_check(&h, op);
    if (!rc) rc = mxi_io_eval_map(arrays, op);
    int fd = -1;
    if (!rc) rc = mxi_open_write(&fd, path, op);
    unsigned char pre[8];
    for (int i = 0; i < 8; i++) pre[i] = (unsigned char)((uint64_t)h.len >> (8 * i));
    if (!rc) rc = mxi_write_all(fd, pre, 8, op, path);
    if (!rc) rc = mxi_write_all(fd, h.data, h.len, op, path);
    for (size_t i = 0; i < n && !rc; i++) {
        const mx_array *a = mx_array_map_value(arrays, i);
        const void *data;
        void *owned;
        rc = mxi_io_row_major(a, &data, &owned, op);
        if (!rc) rc = mxi_write_all(fd, data, mx_array_nbytes(a), op, path);
        free(owned);
    }
    if (fd >= 0) {
        int crc = mxi_close_write(fd, op, path);
        if (!rc) rc = crc;
    }
    mxi_buf_free(&h);
    return rc;
}
