/*
 * The caching allocator behind every array buffer. Freed blocks are kept in
 * size-class buckets and handed out again; the cache is trimmed to its limit
 * and emptied before an allocation is refused. Thread-safe.
 */
#ifndef MXI_ALLOCATOR_H
#define MXI_ALLOCATOR_H

#include <stddef.h>

/* At least nbytes (0 allowed) aligned to 64 bytes, or NULL with MX_ERR_MEMORY
 * recorded (mxi_error) when active memory would pass the memory limit or the
 * system refuses. */
void *mxi_alloc(size_t nbytes);
/* Returns a block from mxi_alloc; nbytes must be what was asked for. */
void mxi_free(void *ptr, size_t nbytes);
/* The size of the block mxi_alloc hands out for a request of nbytes: what
 * active memory counts for it. */
size_t mxi_alloc_size(size_t nbytes);

#endif
