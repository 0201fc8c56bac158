/* The .npy format, shared by the .npy and .npz loaders and writers. */
#ifndef MXI_IO_NPY_H
#define MXI_IO_NPY_H

#include "io_util.h"

/* The array stored as a .npy image in [base, base + len) of r (lazy for a
 * file reader). op names the caller in messages. */
int mxi_npy_array(mx_array **out, const mxi_reader *r, uint64_t base, uint64_t len,
                  const mx_stream *s);
/* Appends the .npy header for a (dtype, shape; C order) to b. */
void mxi_npy_header(mxi_buf *b, const mx_array *a);

#endif
