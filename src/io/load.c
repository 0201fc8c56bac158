/*
 * The Load primitive: an array whose bytes are a region of a file, read when
 * the array is evaluated. Loaders make these nodes instead of reading, so a
 * model file costs memory only for the tensors that are used.
 *
 * The node keeps the path and the file's identity, not an open descriptor:
 * parameters are flat bytes with no destructor. Evaluation reopens the file
 * and refuses to read a file that changed since its header was parsed.
 * Large regions are read by several pool threads at once (pread of disjoint
 * chunks), which is what reaches the page cache's bandwidth.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "io_util.h"
#include "core/array_impl.h"
#include "core/threadpool.h"
#include "primitives/params_io.h"

int mxi_make_load(mx_array **out, const mxi_reader *r, uint64_t off, uint64_t nbytes,
                  mx_dtype dtype, const int32_t *shape, int ndim, int swap, const mx_stream *s) {
    /* An absolute path, so a later chdir does not change what is read. */
    char *abs = realpath(r->path, NULL);
    const char *path = abs ? abs : r->path;
    size_t plen = strlen(path);
    if (plen > 4096) {
        free(abs);
        return mxi_error(MX_ERR_VALUE, "[%s] the path is too long", r->op);
    }
    size_t psize = sizeof(mxi_load_params) + plen + 1;
    mxi_load_params *p = calloc(1, psize);
    if (!p) {
        free(abs);
        return mxi_error(MX_ERR_MEMORY, "[%s] out of memory", r->op);
    }
    p->offset = off;
    p->nbytes = nbytes;
    p->dev = (uint64_t)r->st.st_dev;
    p->ino = (uint64_t)r->st.st_ino;
    p->fsize = (int64_t)r->st.st_size;
    p->mtime_sec = (int64_t)r->st.st_mtim.tv_sec;
    p->mtime_nsec = (int64_t)r->st.st_mtim.tv_nsec;
    p->swap = swap;
    p->path_len = (int32_t)plen;
    memcpy(p->path, path, plen + 1);
    free(abs);
    int rc = mxi_make(out, dtype, shape, ndim, MXI_PRIM_LOAD, p, psize, NULL, 0, s);
    free(p);
    return rc;
}

typedef struct read_job {
    int fd;
    char *dst;
    uint64_t offset;
    uint64_t nbytes;
    _Atomic int err; /* errno of a failed chunk, or -1 for a short file */
} read_job;

#define LOAD_CHUNK (4u << 20)

static void read_chunks(void *ctx, int64_t begin, int64_t end) {
    read_job *j = ctx;
    for (int64_t c = begin; c < end; c++) {
        uint64_t pos = (uint64_t)c * LOAD_CHUNK;
        uint64_t n = j->nbytes - pos < LOAD_CHUNK ? j->nbytes - pos : LOAD_CHUNK;
        char *d = j->dst + pos;
        off_t off = (off_t)(j->offset + pos);
        while (n > 0) {
            ssize_t got = pread(j->fd, d, (size_t)n, off);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                atomic_store(&j->err, got < 0 ? errno : -1);
                return;
            }
            d += got, off += got, n -= (uint64_t)got;
        }
    }
}

int mxi_cpu_load(struct mxi_node *node, mx_array *const *inputs, mx_array *const *outputs) {
    (void)inputs;
    const mxi_load_params *p = node->params;
    mx_array *out = outputs[0];
    int rc = mxi_alloc_data(out);
    if (rc) return rc;
    if (p->nbytes == 0) return MX_OK;
    int fd = open(p->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mxi_error(MX_ERR_RUNTIME, "[load] cannot open %s: %s", p->path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_dev != p->dev || (uint64_t)st.st_ino != p->ino ||
        (int64_t)st.st_size != p->fsize || (int64_t)st.st_mtim.tv_sec != p->mtime_sec ||
        (int64_t)st.st_mtim.tv_nsec != p->mtime_nsec) {
        close(fd);
        return mxi_error(MX_ERR_RUNTIME,
                         "[load] %s changed after it was loaded; its arrays can no longer be "
                         "read",
                         p->path);
    }
    read_job j = {fd, mxi_data(out), p->offset, p->nbytes, 0};
    int64_t chunks = (int64_t)((p->nbytes + LOAD_CHUNK - 1) / LOAD_CHUNK);
    mxi_parallel_for(chunks, 1, read_chunks, &j);
    close(fd);
    int err = atomic_load(&j.err);
    if (err)
        return mxi_error(MX_ERR_RUNTIME, "[load] cannot read %s: %s", p->path,
                         err > 0 ? strerror(err) : "unexpected end of file");
    mxi_byteswap(mxi_data(out), p->nbytes, p->swap);
    if (out->dtype == MX_BOOL) {
        unsigned char *b = mxi_data(out);
        for (uint64_t i = 0; i < p->nbytes; i++) b[i] = b[i] != 0;
    }
    return MX_OK;
}
