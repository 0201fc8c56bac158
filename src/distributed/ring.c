/*
 * The ring backend: processes connected in a ring by TCP sockets, as
 * MLX's "ring" backend and its launcher (mlx.launch) set them up. MLX_RANK
 * is this process's rank and MLX_HOSTFILE a JSON file listing, by rank,
 * the "ip:port" addresses each process listens on.
 */
#include <stdlib.h>

#include "core/error.h"
#include "distributed/distributed_impl.h"

int mxi_ring_init(bool strict, mxi_dist_comm *out, bool *got) {
    (void)out;
    *got = false;
    const char *hostfile = getenv("MLX_HOSTFILE");
    const char *rank = getenv("MLX_RANK");
    if (!hostfile || !rank) {
        if (!strict) return MX_OK;
        return mxi_error(MX_ERR_RUNTIME,
                         "[ring] You need to provide via environment variables both a rank "
                         "(MLX_RANK) and a hostfile (MLX_HOSTFILE) but provided MLX_RANK=\"%s\" "
                         "and MLX_HOSTFILE=\"%s\"",
                         rank ? rank : "", hostfile ? hostfile : "");
    }
    return mxi_error(MX_ERR_RUNTIME, "[ring] The ring backend is not built in this version.");
}
