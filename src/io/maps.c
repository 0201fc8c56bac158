/* Ordered name maps and the public array and string maps built on them. */
#include "maps.h"

#include <stdlib.h>
#include <string.h>

#include "io_util.h"

static uint64_t hash_key(const char *k, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
    return h;
}

long mxi_names_find(const mxi_names *m, const char *key, size_t klen) {
    if (!m->index_cap) return -1;
    size_t mask = m->index_cap - 1;
    for (size_t s = (size_t)hash_key(key, klen) & mask;; s = (s + 1) & mask) {
        uint32_t e = m->index[s];
        if (!e) return -1;
        if (m->klens[e - 1] == klen && memcmp(m->keys[e - 1], key, klen) == 0) return (long)(e - 1);
    }
}

static void index_put(mxi_names *m, size_t entry) {
    size_t mask = m->index_cap - 1;
    size_t s = (size_t)hash_key(m->keys[entry], m->klens[entry]) & mask;
    while (m->index[s]) s = (s + 1) & mask;
    m->index[s] = (uint32_t)(entry + 1);
}

long mxi_names_add(mxi_names *m, const char *key, size_t klen, void *value) {
    if (m->n >= UINT32_MAX - 1) return -1;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        char **k = realloc(m->keys, cap * sizeof *k);
        if (!k) return -1;
        m->keys = k;
        size_t *kl = realloc(m->klens, cap * sizeof *kl);
        if (!kl) return -1;
        m->klens = kl;
        void **v = realloc(m->values, cap * sizeof *v);
        if (!v) return -1;
        m->values = v;
        m->cap = cap;
    }
    if (2 * (m->n + 1) > m->index_cap) {
        size_t icap = m->index_cap ? m->index_cap * 2 : 16;
        uint32_t *idx = calloc(icap, sizeof *idx);
        if (!idx) return -1;
        free(m->index);
        m->index = idx, m->index_cap = icap;
        for (size_t i = 0; i < m->n; i++) index_put(m, i);
    }
    char *copy = malloc(klen + 1);
    if (!copy) return -1;
    memcpy(copy, key, klen);
    copy[klen] = '\0';
    m->keys[m->n] = copy;
    m->klens[m->n] = klen;
    m->values[m->n] = value;
    index_put(m, m->n);
    return (long)m->n++;
}

void mxi_names_free(mxi_names *m) {
    for (size_t i = 0; i < m->n; i++) free(m->keys[i]);
    free(m->keys);
    free(m->klens);
    free(m->values);
    free(m->index);
    memset(m, 0, sizeof *m);
}

/* ---- mx_array_map ---- */

struct mx_array_map {
    mxi_names names;
};

int mx_array_map_new(mx_array_map **out) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[array_map] out is NULL");
    *out = calloc(1, sizeof **out);
    return *out ? MX_OK : mxi_error(MX_ERR_MEMORY, "[array_map] out of memory");
}

void mx_array_map_free(mx_array_map *m) {
    if (!m) return;
    for (size_t i = 0; i < m->names.n; i++) mx_array_free(m->names.values[i]);
    mxi_names_free(&m->names);
    free(m);
}

int mx_array_map_set(mx_array_map *m, const char *name, mx_array *a) {
    if (!m || !name || !a) return mxi_error(MX_ERR_VALUE, "[array_map] NULL argument");
    size_t len = strlen(name);
    long e = mxi_names_find(&m->names, name, len);
    if (e >= 0) {
        mx_array *old = m->names.values[e];
        m->names.values[e] = mx_array_retain(a);
        mx_array_free(old);
        return MX_OK;
    }
    if (mxi_names_add(&m->names, name, len, a) < 0)
        return mxi_error(MX_ERR_MEMORY, "[array_map] out of memory");
    mx_array_retain(a);
    return MX_OK;
}

size_t mx_array_map_size(const mx_array_map *m) {
    return m ? m->names.n : 0;
}

const char *mx_array_map_key(const mx_array_map *m, size_t i) {
    return m && i < m->names.n ? m->names.keys[i] : NULL;
}

mx_array *mx_array_map_value(const mx_array_map *m, size_t i) {
    return m && i < m->names.n ? m->names.values[i] : NULL;
}

mx_array *mx_array_map_get(const mx_array_map *m, const char *name) {
    if (!m || !name) return NULL;
    long e = mxi_names_find(&m->names, name, strlen(name));
    return e >= 0 ? m->names.values[e] : NULL;
}

/* ---- mx_string_map ---- */

struct mx_string_map {
    mxi_names names;
};

int mx_string_map_new(mx_string_map **out) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[string_map] out is NULL");
    *out = calloc(1, sizeof **out);
    return *out ? MX_OK : mxi_error(MX_ERR_MEMORY, "[string_map] out of memory");
}

void mx_string_map_free(mx_string_map *m) {
    if (!m) return;
    for (size_t i = 0; i < m->names.n; i++) free(m->names.values[i]);
    mxi_names_free(&m->names);
    free(m);
}

int mx_string_map_set(mx_string_map *m, const char *key, const char *value) {
    if (!m || !key || !value) return mxi_error(MX_ERR_VALUE, "[string_map] NULL argument");
    char *v = strdup(value);
    if (!v) return mxi_error(MX_ERR_MEMORY, "[string_map] out of memory");
    size_t len = strlen(key);
    long e = mxi_names_find(&m->names, key, len);
    if (e >= 0) {
        free(m->names.values[e]);
        m->names.values[e] = v;
        return MX_OK;
    }
    if (mxi_names_add(&m->names, key, len, v) < 0) {
        free(v);
        return mxi_error(MX_ERR_MEMORY, "[string_map] out of memory");
    }
    return MX_OK;
}

size_t mx_string_map_size(const mx_string_map *m) {
    return m ? m->names.n : 0;
}

const char *mx_string_map_key(const mx_string_map *m, size_t i) {
    return m && i < m->names.n ? m->names.keys[i] : NULL;
}

const char *mx_string_map_value(const mx_string_map *m, size_t i) {
    return m && i < m->names.n ? m->names.values[i] : NULL;
}

const char *mx_string_map_get(const mx_string_map *m, const char *key) {
    if (!m || !key) return NULL;
    long e = mxi_names_find(&m->names, key, strlen(key));
    return e >= 0 ? m->names.values[e] : NULL;
}

int mxi_array_map_add_new(mx_array_map *m, const char *op, const char *name, size_t len,
                          mx_array *a) {
    if (mxi_names_find(&m->names, name, len) >= 0) {
        mx_array_free(a);
        return mxi_error(MX_ERR_VALUE, "[%s] the name \"%.*s\" appears twice", op,
                         (int)(len > 200 ? 200 : len), name);
    }
    if (mxi_names_add(&m->names, name, len, a) < 0) {
        mx_array_free(a);
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    }
    return MX_OK;
}
