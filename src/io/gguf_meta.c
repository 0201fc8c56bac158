/* GGUF metadata values: the ordered key map, deep copies and frees. */
#include <stdlib.h>

#include "gguf.h"
#include "maps.h"

struct mx_gguf_metadata {
    mxi_names names; /* values: mx_gguf_value * owned deeply */
};

static void free_inner(mx_gguf_value *v) {
    if (v->type == MX_GGUF_STRING) {
        free((char *)v->v.s.str);
    } else if (v->type == MX_GGUF_ARRAY) {
        mx_gguf_value *items = (mx_gguf_value *)v->v.arr.items;
        for (size_t i = 0; i < v->v.arr.n; i++) free_inner(&items[i]);
        free(items);
    }
}

void mxi_gguf_value_free(mx_gguf_value *v) {
    if (!v) return;
    free_inner(v);
    free(v);
}

void mxi_gguf_value_clear(mx_gguf_value *v) {
    free_inner(v);
}

bool mxi_gguf_scalar_type(int t) {
    return t >= 0 && t <= 12 && t != 8 && t != 9;
}

static int copy_into(mx_gguf_value *dst, const mx_gguf_value *src, int depth) {
    memset(dst, 0, sizeof *dst);
    if (depth > MXI_GGUF_MAX_DEPTH)
        return mxi_error(MX_ERR_VALUE, "[gguf_metadata] arrays nested too deeply");
    if (src->type == MX_GGUF_STRING) {
        char *s = malloc(src->v.s.len + 1);
        if (!s) return mxi_error(MX_ERR_MEMORY, "[gguf_metadata] out of memory");
        if (src->v.s.len) memcpy(s, src->v.s.str, src->v.s.len);
        s[src->v.s.len] = '\0';
        dst->type = MX_GGUF_STRING;
        dst->v.s.str = s;
        dst->v.s.len = src->v.s.len;
        return MX_OK;
    }
    if (src->type == MX_GGUF_ARRAY) {
        int et = (int)src->v.arr.elem_type;
        if (!mxi_gguf_scalar_type(et) && et != MX_GGUF_STRING && et != MX_GGUF_ARRAY)
            return mxi_error(MX_ERR_VALUE, "[gguf_metadata] unknown array element type %d", et);
        size_t n = src->v.arr.n;
        if (n && !src->v.arr.items)
            return mxi_error(MX_ERR_VALUE, "[gguf_metadata] array items are NULL");
        mx_gguf_value *items = calloc(n ? n : 1, sizeof *items);
        if (!items) return mxi_error(MX_ERR_MEMORY, "[gguf_metadata] out of memory");
        dst->type = MX_GGUF_ARRAY;
        dst->v.arr.elem_type = src->v.arr.elem_type;
        dst->v.arr.items = items;
        for (size_t i = 0; i < n; i++) {
            if ((int)src->v.arr.items[i].type != et) {
                dst->v.arr.n = i;
                return mxi_error(MX_ERR_VALUE,
                                 "[gguf_metadata] array item %zu has type %d, not the array's %d",
                                 i, (int)src->v.arr.items[i].type, et);
            }
            dst->v.arr.n = i + 1;
            int rc = copy_into(&items[i], &src->v.arr.items[i], depth + 1);
            if (rc) return rc;
        }
        return MX_OK;
    }
    if (!mxi_gguf_scalar_type((int)src->type))
        return mxi_error(MX_ERR_VALUE, "[gguf_metadata] unknown value type %d", (int)src->type);
    *dst = *src;
    return MX_OK;
}

int mx_gguf_metadata_new(mx_gguf_metadata **out) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[gguf_metadata] out is NULL");
    *out = calloc(1, sizeof **out);
    return *out ? MX_OK : mxi_error(MX_ERR_MEMORY, "[gguf_metadata] out of memory");
}

void mx_gguf_metadata_free(mx_gguf_metadata *m) {
    if (!m) return;
    for (size_t i = 0; i < m->names.n; i++) mxi_gguf_value_free(m->names.values[i]);
    mxi_names_free(&m->names);
    free(m);
}

int mxi_gguf_metadata_take(mx_gguf_metadata *m, const char *key, size_t klen, mx_gguf_value *v,
                           const char *op) {
    if (mxi_names_find(&m->names, key, klen) >= 0) {
        mxi_gguf_value_free(v);
        return mxi_error(MX_ERR_VALUE, "[%s] metadata key \"%.*s\" appears twice", op,
                         (int)(klen > 200 ? 200 : klen), key);
    }
    if (mxi_names_add(&m->names, key, klen, v) < 0) {
        mxi_gguf_value_free(v);
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    }
    return MX_OK;
}

int mx_gguf_metadata_set(mx_gguf_metadata *m, const char *key, const mx_gguf_value *v) {
    if (!m || !key || !v) return mxi_error(MX_ERR_VALUE, "[gguf_metadata] NULL argument");
    mx_gguf_value *copy = malloc(sizeof *copy);
    if (!copy) return mxi_error(MX_ERR_MEMORY, "[gguf_metadata] out of memory");
    int rc = copy_into(copy, v, 0);
    if (rc) {
        mxi_gguf_value_free(copy);
        return rc;
    }
    size_t len = strlen(key);
    long e = mxi_names_find(&m->names, key, len);
    if (e >= 0) {
        mxi_gguf_value_free(m->names.values[e]);
        m->names.values[e] = copy;
        return MX_OK;
    }
    return mxi_gguf_metadata_take(m, key, len, copy, "gguf_metadata");
}

size_t mx_gguf_metadata_size(const mx_gguf_metadata *m) {
    return m ? m->names.n : 0;
}

const char *mx_gguf_metadata_key(const mx_gguf_metadata *m, size_t i) {
    return m && i < m->names.n ? m->names.keys[i] : NULL;
}

const mx_gguf_value *mx_gguf_metadata_value(const mx_gguf_metadata *m, size_t i) {
    return m && i < m->names.n ? m->names.values[i] : NULL;
}

const mx_gguf_value *mx_gguf_metadata_get(const mx_gguf_metadata *m, const char *key) {
    if (!m || !key) return NULL;
    long e = mxi_names_find(&m->names, key, strlen(key));
    return e >= 0 ? m->names.values[e] : NULL;
}
