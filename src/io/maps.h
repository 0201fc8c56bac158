/* Ordered name maps behind mx_array_map, mx_string_map and mx_gguf_metadata:
 * entries in insertion order and a hash index, so a file with many names
 * detects duplicates in linear time. */
#ifndef MXI_IO_MAPS_H
#define MXI_IO_MAPS_H

#include <stddef.h>
#include <stdint.h>

/* Keys are owned copies (klen bytes plus a NUL); values are opaque pointers
 * the owning map type manages. */
typedef struct mxi_names {
    char **keys;
    size_t *klens;
    void **values;
    size_t n, cap;
    uint32_t *index; /* slot -> entry + 1, 0 empty; index_cap slots */
    size_t index_cap;
} mxi_names;

/* Entry of key, or -1. */
long mxi_names_find(const mxi_names *m, const char *key, size_t klen);
/* Appends key (copied) with value; returns the entry or -1 when out of
 * memory. The caller checks for duplicates first. */
long mxi_names_add(mxi_names *m, const char *key, size_t klen, void *value);
/* Frees keys and arrays (not the values). */
void mxi_names_free(mxi_names *m);

#include "cmlx/io.h"

/* Loaders: adds a under name (len bytes), taking over the caller's
 * reference to a in every case; a name already present is a clear
 * MX_ERR_VALUE naming op. */
int mxi_array_map_add_new(mx_array_map *m, const char *op, const char *name, size_t len,
                          mx_array *a);
#endif
