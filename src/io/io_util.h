/*
 * Shared pieces of the file-format code: a bounds-checked reader over a file
 * or a memory buffer, the lazy array made from a region of it, shape checks
 * for untrusted dimensions, a growable output buffer and little-endian
 * access.
 */
#ifndef MXI_IO_UTIL_H
#define MXI_IO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "cmlx/io.h"
#include "core/error.h"

/* The most dimensions a loaded array may have. */
#define MXI_IO_MAX_NDIM 64

/* A source of bytes: a file read with pread (path set) or a memory buffer
 * (mem set). op names the caller in messages ("load_npy"). */
typedef struct mxi_reader {
    const char *op;
    const char *path;
    int fd;
    struct stat st;
    const unsigned char *mem;
    uint64_t size;
} mxi_reader;

int mxi_reader_open_file(mxi_reader *r, const char *op, const char *path);
int mxi_reader_open_mem(mxi_reader *r, const char *op, const void *data, size_t len);
void mxi_reader_close(mxi_reader *r);
/* Reads n bytes at off into dst; MX_ERR_VALUE ("truncated") when the range
 * is not inside the source, MX_ERR_RUNTIME on an I/O error. */
int mxi_reader_read(const mxi_reader *r, uint64_t off, void *dst, uint64_t n);
/* Whether [off, off + n) lies inside the source. */
static inline bool mxi_reader_has(const mxi_reader *r, uint64_t off, uint64_t n) {
    return off <= r->size && n <= r->size - off;
}

/* An array of dtype and shape whose row-major bytes are the nbytes at off
 * (checked to lie in the source and to match the shape). From a file it is
 * a lazy Load node; from memory an evaluated copy. swap: byte-swap unit
 * (0 none). */
int mxi_reader_array(mx_array **out, const mxi_reader *r, uint64_t off, uint64_t nbytes,
                     mx_dtype dtype, const int32_t *shape, int ndim, int swap, const mx_stream *s);

/* Checks untrusted dimensions: each fits int32, their product times itemsize
 * fits uint64 (and int64). Writes shape and the byte count. */
int mxi_io_shape(const char *op, const uint64_t *dims, int ndim, int itemsize, int32_t *shape,
                 uint64_t *nbytes);

/* Reverses the byte order of each unit-byte group of n bytes. */
void mxi_byteswap(void *data, uint64_t nbytes, int unit);

/* A growable byte buffer for writers. On allocation failure `failed` is set
 * and later appends do nothing; mxi_buf_check turns it into MX_ERR_MEMORY. */
typedef struct mxi_buf {
    unsigned char *data;
    size_t len, cap;
    bool failed;
} mxi_buf;

void mxi_buf_append(mxi_buf *b, const void *p, size_t n);
void mxi_buf_printf(mxi_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void mxi_buf_u8(mxi_buf *b, uint8_t v) {
    mxi_buf_append(b, &v, 1);
}
void mxi_buf_u16(mxi_buf *b, uint16_t v);
void mxi_buf_u32(mxi_buf *b, uint32_t v);
void mxi_buf_u64(mxi_buf *b, uint64_t v);
int mxi_buf_check(const mxi_buf *b, const char *op);
void mxi_buf_free(mxi_buf *b);

static inline uint16_t mxi_le16(const unsigned char *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t mxi_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t mxi_le64(const unsigned char *p) {
    return (uint64_t)mxi_le32(p) | (uint64_t)mxi_le32(p + 4) << 32;
}

/* Writes n bytes to fd (retrying short writes); MX_ERR_RUNTIME on failure. */
int mxi_write_all(int fd, const void *p, size_t n, const char *op, const char *path);
/* Opens path for writing (created or truncated); MX_ERR_RUNTIME on failure. */
int mxi_open_write(int *fd, const char *path, const char *op);
/* Closes fd, reporting a failed close (lost data) as MX_ERR_RUNTIME. */
int mxi_close_write(int fd, const char *op, const char *path);

/* Evaluates a and gives its bytes in row-major order: *data points either
 * into a (contiguous) or to a copy in *owned (free it). */
int mxi_io_row_major(const mx_array *a, const void **data, void **owned, const char *op);

/* Evaluates every array of m before a writer opens its output, so that
 * arrays loaded lazily from the file being overwritten are read first. */
int mxi_io_eval_map(const mx_array_map *m, const char *op);

/* Internal: the Load node of a file region (used by mxi_reader_array). */
int mxi_make_load(mx_array **out, const mxi_reader *r, uint64_t off, uint64_t nbytes,
                  mx_dtype dtype, const int32_t *shape, int ndim, int swap, const mx_stream *s);

#endif
