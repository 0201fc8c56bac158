/*
 * A small strict JSON parser for file headers (safetensors): RFC 8259
 * syntax, UTF-8 strings with escapes decoded, integers kept exact up to
 * 2^64 - 1, bounded nesting depth. The whole tree is owned by the root.
 */
#ifndef MXI_IO_JSON_H
#define MXI_IO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mxi_json_kind {
    MXI_JSON_NULL,
    MXI_JSON_BOOL,
    MXI_JSON_NUMBER,
    MXI_JSON_STRING,
    MXI_JSON_ARRAY,
    MXI_JSON_OBJECT,
} mxi_json_kind;

typedef struct mxi_json {
    mxi_json_kind kind;
    bool b;
    bool is_uint; /* NUMBER: a non-negative integer that fits in u */
    uint64_t u;
    double num;
    char *str; /* STRING: decoded, NUL-terminated (len excludes the NUL) */
    size_t len;
    size_t n; /* ARRAY, OBJECT: number of items */
    struct mxi_json *items;
    char **keys; /* OBJECT: decoded keys, NUL-terminated */
    size_t *klens;
} mxi_json;

/* Parses len bytes (the whole text must be one value, whitespace around it
 * allowed). *out is a new tree freed with mxi_json_free. Errors are
 * MX_ERR_VALUE naming op and the byte offset. */
int mxi_json_parse(mxi_json **out, const char *text, size_t len, int max_depth, const char *op);
void mxi_json_free(mxi_json *j);
/* The member of an object named key, or NULL. */
const mxi_json *mxi_json_get(const mxi_json *obj, const char *key);

/* Appends s (n bytes) as a quoted JSON string to b. */
struct mxi_buf;
void mxi_json_write_string(struct mxi_buf *b, const char *s, size_t n);

#endif
