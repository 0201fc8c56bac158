/* A small open-addressing hash map from pointers to pointers, for the
 * transforms' walks over graphs (node states, cotangents, tangents). */
#ifndef MXI_PTRMAP_H
#define MXI_PTRMAP_H

#include <stdint.h>
#include <stdlib.h>

#include "cmlx/base.h"
#include "core/error.h"

typedef struct mxi_ptrmap {
    void **keys;
    void **vals;
    size_t cap; /* a power of two, or 0 */
    size_t len;
} mxi_ptrmap;

static inline size_t mxi_ptrmap_hash(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

/* The slot of key, or the empty slot where it would go. */
static inline size_t mxi_ptrmap_find(const mxi_ptrmap *m, const void *key) {
    size_t mask = m->cap - 1, i = mxi_ptrmap_hash(key) & mask;
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & mask;
    return i;
}

static inline void *mxi_ptrmap_get(const mxi_ptrmap *m, const void *key) {
    if (!m->cap) return NULL;
    size_t i = mxi_ptrmap_find(m, key);
    return m->keys[i] ? m->vals[i] : NULL;
}

static inline int mxi_ptrmap_grow(mxi_ptrmap *m) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    mxi_ptrmap g = {calloc(cap, sizeof(void *)), calloc(cap, sizeof(void *)), cap, 0};
    if (!g.keys || !g.vals) {
        free(g.keys);
        free(g.vals);
        return mxi_error(MX_ERR_MEMORY, "[transforms] out of memory walking the graph");
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i]) {
            size_t j = mxi_ptrmap_find(&g, m->keys[i]);
            g.keys[j] = m->keys[i];
            g.vals[j] = m->vals[i];
            g.len++;
        }
    free(m->keys);
    free(m->vals);
    *m = g;
    return MX_OK;
}

/* Sets key's value (inserting it). */
static inline int mxi_ptrmap_put(mxi_ptrmap *m, void *key, void *val) {
    if ((m->len + 1) * 2 > m->cap) {
        int rc = mxi_ptrmap_grow(m);
        if (rc) return rc;
    }
    size_t i = mxi_ptrmap_find(m, key);
    if (!m->keys[i]) {
        m->keys[i] = key;
        m->len++;
    }
    m->vals[i] = val;
    return MX_OK;
}

/* Removes key and returns its value (NULL if absent). Backward-shift
 * deletion keeps probe chains intact. */
static inline void *mxi_ptrmap_take(mxi_ptrmap *m, const void *key) {
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1, i = mxi_ptrmap_find(m, key);
    if (!m->keys[i]) return NULL;
    void *val = m->vals[i];
    m->keys[i] = NULL;
    m->vals[i] = NULL;
    m->len--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->keys[j]) break;
        size_t home = mxi_ptrmap_hash(m->keys[j]) & mask;
        /* move j back to i unless home lies cyclically in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            m->keys[j] = NULL;
            m->vals[j] = NULL;
            i = j;
        }
    }
    return val;
}

static inline void mxi_ptrmap_free(mxi_ptrmap *m) {
    free(m->keys);
    free(m->vals);
    m->keys = m->vals = NULL;
    m->cap = m->len = 0;
}

#endif
