/* Parameters of the file-format primitives (defs/io.def). */
#ifndef MXI_PARAMS_IO_H
#define MXI_PARAMS_IO_H

#include <stdint.h>

/*
 * Load: the output's bytes are nbytes at offset in the file at path. The
 * file's identity when the loader read its header (device, inode, size and
 * modification time) is kept so that evaluating after the file changed
 * fails instead of reading other data. swap is the byte-swap unit for
 * big-endian data (0: none). The path is the flexible tail, NUL-terminated.
 */
typedef struct mxi_load_params {
    uint64_t offset;
    uint64_t nbytes;
    uint64_t dev, ino;
    int64_t fsize;
    int64_t mtime_sec, mtime_nsec;
    int32_t swap;
    int32_t path_len;
    char path[];
} mxi_load_params;

#endif
