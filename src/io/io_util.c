/* Readers over files and memory, shape checks, output buffers. */
#include "io_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/array_impl.h"

int mxi_reader_open_file(mxi_reader *r, const char *op, const char *path) {
    memset(r, 0, sizeof *r);
    r->op = op;
    r->fd = -1;
    if (!path) return mxi_error(MX_ERR_VALUE, "[%s] the path is NULL", op);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mxi_error(MX_ERR_RUNTIME, "[%s] cannot open %s: %s", op, path, strerror(errno));
    if (fstat(fd, &r->st) != 0 || !S_ISREG(r->st.st_mode)) {
        close(fd);
        return mxi_error(MX_ERR_RUNTIME, "[%s] %s is not a regular file", op, path);
    }
    r->fd = fd;
    r->path = path;
    r->size = (uint64_t)r->st.st_size;
    return MX_OK;
}

int mxi_reader_open_mem(mxi_reader *r, const char *op, const void *data, size_t len) {
    memset(r, 0, sizeof *r);
    r->op = op;
    r->fd = -1;
    if (!data && len) return mxi_error(MX_ERR_VALUE, "[%s] the data pointer is NULL", op);
    r->mem = data ? data : (const unsigned char *)"";
    r->size = len;
    return MX_OK;
}

void mxi_reader_close(mxi_reader *r) {
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
}

static const char *src_name(const mxi_reader *r) {
    return r->path ? r->path : "<memory>";
}

int mxi_reader_read(const mxi_reader *r, uint64_t off, void *dst, uint64_t n) {
    if (!mxi_reader_has(r, off, n))
        return mxi_error(MX_ERR_VALUE,
                         "[%s] %s is truncated or corrupt: %llu bytes at offset %llu are past "
                         "its end (%llu bytes)",
                         r->op, src_name(r), (unsigned long long)n, (unsigned long long)off,
                         (unsigned long long)r->size);
    if (r->mem) {
        if (n) memcpy(dst, r->mem + off, n);
        return MX_OK;
    }
    char *d = dst;
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : (size_t)n;
        ssize_t got = pread(r->fd, d, chunk, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            return mxi_error(MX_ERR_RUNTIME, "[%s] cannot read %s: %s", r->op, src_name(r),
                             got < 0 ? strerror(errno) : "unexpected end of file");
        d += got, off += (uint64_t)got, n -= (uint64_t)got;
    }
    return MX_OK;
}

int mxi_io_shape(const char *op, const uint64_t *dims, int ndim, int itemsize, int32_t *shape,
                 uint64_t *nbytes) {
    if (ndim < 0 || ndim > MXI_IO_MAX_NDIM)
        return mxi_error(MX_ERR_VALUE, "[%s] %d dimensions (at most %d)", op, ndim,
                         MXI_IO_MAX_NDIM);
    uint64_t total = (uint64_t)itemsize;
    bool zero = false;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] > INT32_MAX)
            return mxi_error(MX_ERR_VALUE, "[%s] dimension %d is %llu (at most %d)", op, i,
                             (unsigned long long)dims[i], INT32_MAX);
        shape[i] = (int32_t)dims[i];
        if (dims[i] == 0) zero = true;
    }
    /* Zero dimensions are skipped: an empty array's strides are still the
     * products of its other dimensions, and they must not overflow. */
    for (int i = 0; i < ndim; i++) {
        if (!dims[i]) continue;
        if (total > (uint64_t)INT64_MAX / dims[i])
            return mxi_error(MX_ERR_VALUE, "[%s] the shape's size overflows", op);
        total *= dims[i];
    }
    *nbytes = zero ? 0 : total;
    return MX_OK;
}

void mxi_byteswap(void *data, uint64_t nbytes, int unit) {
    if (unit <= 1) return;
    unsigned char *p = data;
    for (uint64_t i = 0; i + (uint64_t)unit <= nbytes; i += (uint64_t)unit) {
        for (int a = 0, b = unit - 1; a < b; a++, b--) {
            unsigned char t = p[i + a];
            p[i + a] = p[i + b];
            p[i + b] = t;
        }
    }
}

/* Bool bytes other than 0 and 1 are not valid C bools: make them 1. */
static void normalize_bools(unsigned char *p, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) p[i] = p[i] != 0;
}

int mxi_reader_array(mx_array **out, const mxi_reader *r, uint64_t off, uint64_t nbytes,
                     mx_dtype dtype, const int32_t *shape, int ndim, int swap, const mx_stream *s) {
    uint64_t want = (uint64_t)mxi_shape_size(shape, ndim) * (uint64_t)mx_dtype_size(dtype);
    if (want != nbytes)
        return mxi_error(MX_ERR_VALUE, "[%s] a tensor of %llu bytes has %llu bytes of data", r->op,
                         (unsigned long long)want, (unsigned long long)nbytes);
    if (!mxi_reader_has(r, off, nbytes))
        return mxi_error(MX_ERR_VALUE,
                         "[%s] %s is truncated or corrupt: tensor data [%llu, %llu) is past its "
                         "end (%llu bytes)",
                         r->op, src_name(r), (unsigned long long)off,
                         (unsigned long long)(off + nbytes), (unsigned long long)r->size);
    if (r->path) return mxi_make_load(out, r, off, nbytes, dtype, shape, ndim, swap, s);
    mx_array *a = mxi_array_alloc(dtype, shape, ndim);
    if (!a) return MX_ERR_MEMORY;
    int rc = mxi_alloc_data(a);
    if (rc) {
        mx_array_free(a);
        return rc;
    }
    unsigned char *d = mxi_data(a);
    if (nbytes) memcpy(d, r->mem + off, nbytes);
    mxi_byteswap(d, nbytes, swap);
    if (dtype == MX_BOOL) normalize_bools(d, nbytes);
    atomic_store(&a->status, MX_ARRAY_AVAILABLE);
    mxi_set_out(out, a);
    return MX_OK;
}

void mxi_buf_append(mxi_buf *b, const void *p, size_t n) {
    if (b->failed || n == 0) return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2) {
                b->failed = true;
                return;
            }
            cap *= 2;
        }
        unsigned char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return;
        }
        b->data = d, b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void mxi_buf_printf(mxi_buf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        mxi_buf_append(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    mxi_buf_append(b, big, (size_t)n);
    free(big);
}

void mxi_buf_u16(mxi_buf *b, uint16_t v) {
    unsigned char p[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    mxi_buf_append(b, p, 2);
}
void mxi_buf_u32(mxi_buf *b, uint32_t v) {
    unsigned char p[4];
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
    mxi_buf_append(b, p, 4);
}
void mxi_buf_u64(mxi_buf *b, uint64_t v) {
    unsigned char p[8];
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
    mxi_buf_append(b, p, 8);
}

int mxi_buf_check(const mxi_buf *b, const char *op) {
    return b->failed ? mxi_error(MX_ERR_MEMORY, "[%s] out of memory building the output", op)
                     : MX_OK;
}

void mxi_buf_free(mxi_buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

int mxi_write_all(int fd, const void *p, size_t n, const char *op, const char *path) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            return mxi_error(MX_ERR_RUNTIME, "[%s] cannot write %s: %s", op, path,
                             w < 0 ? strerror(errno) : "no progress");
        c += w, n -= (size_t)w;
    }
    return MX_OK;
}

int mxi_open_write(int *fd, const char *path, const char *op) {
    if (!path) return mxi_error(MX_ERR_VALUE, "[%s] the path is NULL", op);
    *fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (*fd < 0)
        return mxi_error(MX_ERR_RUNTIME, "[%s] cannot open %s for writing: %s", op, path,
                         strerror(errno));
    return MX_OK;
}

int mxi_close_write(int fd, const char *op, const char *path) {
    if (close(fd) != 0)
        return mxi_error(MX_ERR_RUNTIME, "[%s] cannot finish writing %s: %s", op, path,
                         strerror(errno));
    return MX_OK;
}

int mxi_io_row_major(const mx_array *a, const void **data, void **owned, const char *op) {
    *owned = NULL;
    if (!a) return mxi_error(MX_ERR_VALUE, "[%s] an array is NULL", op);
    mx_array *m = (mx_array *)a;
    int rc = mx_eval(&m, 1);
    if (rc) return rc;
    size_t nbytes = mx_array_nbytes(a);
    if (nbytes == 0 || mx_array_is_row_contiguous(a)) {
        *data = nbytes ? mx_array_data(a) : "";
        return MX_OK;
    }
    void *copy = malloc(nbytes);
    if (!copy) return mxi_error(MX_ERR_MEMORY, "[%s] cannot allocate %zu bytes", op, nbytes);
    rc = mx_array_copy_to(a, copy, nbytes);
    if (rc) {
        free(copy);
        return rc;
    }
    *data = copy, *owned = copy;
    return MX_OK;
}

int mxi_io_eval_map(const mx_array_map *m, const char *op) {
    size_t n = mx_array_map_size(m);
    if (n == 0) return MX_OK;
    mx_array **all = malloc(n * sizeof *all);
    if (!all) return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", op);
    for (size_t i = 0; i < n; i++) all[i] = mx_array_map_value(m, i);
    int rc = mx_eval(all, n);
    free(all);
    return rc;
}
