/*
 * The ring backend: processes connected in a ring by TCP sockets, set up
 * the way MLX's "ring" backend and its launcher (mlx.launch) set them up.
 * MLX_RANK is this process's rank and MLX_HOSTFILE a JSON file listing, by
 * rank, the "ip:port" addresses each process listens on
 * ([["127.0.0.1:5000"], ["127.0.0.1:5001"]]); the first address of each is
 * used. Each process listens on its address, connects to its right
 * neighbour (rank + 1) and accepts its left one (rank - 1), so every
 * process has one socket to each side (two distinct connections even when
 * both sides are the same process, as with two processes).
 *
 * Transfers are non-blocking sockets driven by poll: a step sends to the
 * right while it receives from the left, so the ring never waits on
 * itself. all_sum/max/min is a ring reduce-scatter then a ring all-gather
 * over `size` segments of the buffer, in chunks of CHUNK bytes;
 * sum_scatter is the reduce-scatter alone, shifted so that each process
 * ends with its own block; all_gather passes blocks around the ring;
 * send and recv reach the two neighbours (as MLX's ring).
 *
 * Failures are errors, never hangs: a peer that closes its socket or
 * resets it fails the operation at once, and one that makes no progress
 * for CMLX_RING_TIMEOUT seconds (default 300; also the time allowed for
 * connecting) fails it with a timeout. After a failure the group is
 * broken: later operations fail at once with the first error.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "distributed/distributed_impl.h"
#include "io/json.h"

#define CHUNK ((size_t)1 << 20) /* bytes per exchange of a collective step */

typedef struct ring {
    int rank, size;
    int left, right; /* sockets to rank - 1 and rank + 1 */
    int timeout_ms;
    pthread_mutex_t lock; /* one operation at a time on the sockets */
    bool broken;
    char error[256]; /* the failure that broke the ring */
    void *scratch;   /* CHUNK bytes for receiving before reducing */
} ring;

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Records the failure, marks the ring broken and returns the status. */
static int fail(ring *r, const char *fmt, const char *detail, int peer) {
    char msg[256];
    snprintf(msg, sizeof msg, fmt, peer, detail);
    if (!r->broken) {
        r->broken = true;
        snprintf(r->error, sizeof r->error, "%s", msg);
    }
    return mxi_error(MX_ERR_RUNTIME, "%s", msg);
}

/*
 * Sends slen bytes of sbuf on sfd while receiving rlen bytes into rbuf from
 * rfd (either length may be 0), until both are done. speer/rpeer name the
 * ranks at the other ends, for messages.
 */
static int exchange(ring *r, int sfd, const void *sbuf, size_t slen, int speer, int rfd, void *rbuf,
                    size_t rlen, int rpeer) {
    const char *sp = sbuf;
    char *rp = rbuf;
    int64_t deadline = now_ms() + r->timeout_ms;
    while (slen || rlen) {
        struct pollfd fds[2];
        int n = 0, si = -1, ri = -1;
        if (slen) si = n, fds[n++] = (struct pollfd){sfd, POLLOUT, 0};
        if (rlen) ri = n, fds[n++] = (struct pollfd){rfd, POLLIN, 0};
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return fail(r, "[ring] Timed out waiting for rank %d%s",
                        " (no progress within the "
                        "timeout, "
                        "CMLX_RING_TIMEOUT).",
                        rlen ? rpeer : speer);
        int k = poll(fds, (nfds_t)n, (int)(left > 1000 ? 1000 : left));
        if (k < 0) {
            if (errno == EINTR) continue;
            return fail(r, "[ring] poll failed while talking to rank %d: %s", strerror(errno),
                        rlen ? rpeer : speer);
        }
        bool progress = false;
        if (si >= 0 && fds[si].revents) {
            ssize_t w = send(sfd, sp, slen, MSG_NOSIGNAL);
            if (w > 0) {
                sp += w, slen -= (size_t)w, progress = true;
            } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return fail(r, "[ring] Sending to rank %d failed: %s (the process is gone?)",
                            strerror(errno), speer);
            }
        }
        if (ri >= 0 && fds[ri].revents) {
            ssize_t g = recv(rfd, rp, rlen, 0);
            if (g > 0) {
                rp += g, rlen -= (size_t)g, progress = true;
            } else if (g == 0) {
                return fail(r, "[ring] Rank %d closed the connection%s", " (the process exited?).",
                            rpeer);
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return fail(r, "[ring] Receiving from rank %d failed: %s", strerror(errno), rpeer);
            }
        }
        if (progress) deadline = now_ms() + r->timeout_ms;
    }
    return MX_OK;
}

static int left_rank(const ring *r) {
    return (r->rank + r->size - 1) % r->size;
}
static int right_rank(const ring *r) {
    return (r->rank + 1) % r->size;
}

static int begin(ring *r) {
    pthread_mutex_lock(&r->lock);
    if (r->broken) {
        int rc = mxi_error(MX_ERR_RUNTIME,
                           "[ring] The group is unusable after an earlier error: %s", r->error);
        pthread_mutex_unlock(&r->lock);
        return rc;
    }
    return MX_OK;
}

static int end(ring *r, int rc) {
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* Segment i of a buffer of `total` elements cut in segments of `seg`:
 * its first element and its length (0 past the end). */
static void segment(size_t total, size_t seg, int i, size_t *start, size_t *len) {
    size_t s = (size_t)i * seg;
    *start = s < total ? s : total;
    size_t e = s + seg < total ? s + seg : total;
    *len = e > *start ? e - *start : 0;
}

static int mod(int a, int n) {
    return ((a % n) + n) % n;
}

/*
 * The reduce-scatter half of the ring all-reduce over buf (total elements,
 * cut in `size` segments of seg): at step k each process sends segment
 * rank - k + shift to the right and reduces segment rank - k - 1 + shift,
 * received from the left, into its own copy. After size - 1 steps segment
 * rank + 1 + shift holds the reduction of every process's.
 */
static int reduce_scatter_steps(ring *r, char *buf, size_t total, size_t seg, size_t item,
                                mx_dtype dtype, mxi_dist_reduce op, int shift) {
    size_t per_chunk = CHUNK / item;
    for (int k = 0; k < r->size - 1; k++) {
        size_t s0, sl, r0, rl;
        segment(total, seg, mod(r->rank - k + shift, r->size), &s0, &sl);
        segment(total, seg, mod(r->rank - k - 1 + shift, r->size), &r0, &rl);
        for (size_t off = 0; off < sl || off < rl; off += per_chunk) {
            size_t sn = off < sl ? (sl - off < per_chunk ? sl - off : per_chunk) : 0;
            size_t rn = off < rl ? (rl - off < per_chunk ? rl - off : per_chunk) : 0;
            int rc = exchange(r, r->right, buf + (s0 + off) * item, sn * item, right_rank(r),
                              r->left, r->scratch, rn * item, left_rank(r));
            if (rc) return rc;
            mxi_dist_reduce_into(buf + (r0 + off) * item, r->scratch, rn, dtype, op);
        }
    }
    return MX_OK;
}

/* The all-gather half: segment rank + 1 + shift is complete here; at step
 * k it goes on to the right and segment rank - k + shift arrives. */
static int all_gather_steps(ring *r, char *buf, size_t total, size_t seg, size_t item, int shift) {
    for (int k = 0; k < r->size - 1; k++) {
        size_t s0, sl, r0, rl;
        segment(total, seg, mod(r->rank + 1 - k + shift, r->size), &s0, &sl);
        segment(total, seg, mod(r->rank - k + shift, r->size), &r0, &rl);
        for (size_t off = 0; off < sl * item || off < rl * item; off += CHUNK) {
            size_t sn = off < sl * item ? (sl * item - off < CHUNK ? sl * item - off : CHUNK) : 0;
            size_t rn = off < rl * item ? (rl * item - off < CHUNK ? rl * item - off : CHUNK) : 0;
            int rc = exchange(r, r->right, buf + s0 * item + off, sn, right_rank(r), r->left,
                              buf + r0 * item + off, rn, left_rank(r));
            if (rc) return rc;
        }
    }
    return MX_OK;
}

static int ring_all_reduce(void *st, void *buf, size_t count, mx_dtype dtype, mxi_dist_reduce op) {
    ring *r = st;
    int rc = begin(r);
    if (rc) return rc;
    size_t item = (size_t)mx_dtype_size(dtype);
    size_t seg = (count + (size_t)r->size - 1) / (size_t)r->size;
    rc = reduce_scatter_steps(r, buf, count, seg, item, dtype, op, 0);
    if (!rc) rc = all_gather_steps(r, buf, count, seg, item, 0);
    return end(r, rc);
}

static int ring_reduce_scatter(void *st, const void *in, void *out, size_t count, mx_dtype dtype,
                               mxi_dist_reduce op) {
    ring *r = st;
    size_t item = (size_t)mx_dtype_size(dtype);
    size_t bytes = count * item;
    char *work = malloc(bytes * (size_t)r->size);
    if (!work) return mxi_error(MX_ERR_MEMORY, "[ring] Out of memory.");
    memcpy(work, in, bytes * (size_t)r->size);
    int rc = begin(r);
    if (!rc) {
        /* shifted by one back so that this process ends with block rank */
        rc = reduce_scatter_steps(r, work, count * (size_t)r->size, count, item, dtype, op, -1);
        if (!rc) memcpy(out, work + (size_t)r->rank * bytes, bytes);
        rc = end(r, rc);
    }
    free(work);
    return rc;
}

static int ring_all_gather(void *st, const void *in, void *out, size_t nbytes) {
    ring *r = st;
    int rc = begin(r);
    if (rc) return rc;
    memcpy((char *)out + (size_t)r->rank * nbytes, in, nbytes);
    /* block rank is complete here: shift -1 makes it the first one sent */
    rc = all_gather_steps(r, out, nbytes * (size_t)r->size, nbytes, 1, -1);
    return end(r, rc);
}

static int ring_send(void *st, const void *buf, size_t nbytes, int dst) {
    ring *r = st;
    int fd = dst == right_rank(r) ? r->right : dst == left_rank(r) ? r->left : -1;
    if (fd < 0)
        return mxi_error(MX_ERR_RUNTIME,
                         "[ring] Send only supported to direct neighbors but tried to send to %d "
                         "from %d",
                         dst, r->rank);
    int rc = begin(r);
    if (rc) return rc;
    return end(r, exchange(r, fd, buf, nbytes, dst, fd, NULL, 0, dst));
}

static int ring_recv(void *st, void *buf, size_t nbytes, int src) {
    ring *r = st;
    /* the left socket first: with two processes both neighbours are the
     * same rank, and its send went out on its right socket, our left */
    int fd = src == left_rank(r) ? r->left : src == right_rank(r) ? r->right : -1;
    if (fd < 0)
        return mxi_error(MX_ERR_RUNTIME,
                         "[ring] Recv only supported from direct neighbors but tried to recv from "
                         "%d to %d",
                         src, r->rank);
    int rc = begin(r);
    if (rc) return rc;
    return end(r, exchange(r, fd, NULL, 0, src, fd, buf, nbytes, src));
}

static const mxi_dist_backend ring_backend = {
    .name = "ring",
    .all_reduce = ring_all_reduce,
    .all_gather = ring_all_gather,
    .reduce_scatter = ring_reduce_scatter,
    .send = ring_send,
    .recv = ring_recv,
    .split = NULL, /* "[ring] Group split not supported." */
};

/* ---- setting the ring up ---- */

typedef struct address {
    char host[128];
    char port[16];
} address;

static int parse_address(const char *s, address *a) {
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof a->port ||
        (size_t)(colon - s) >= sizeof a->host)
        return mxi_error(MX_ERR_RUNTIME, "[ring] Can't parse address %s", s);
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') h++, hl -= 2; /* [::1]:5000 */
    memcpy(a->host, h, hl);
    a->host[hl] = '\0';
    snprintf(a->port, sizeof a->port, "%s", colon + 1);
    return MX_OK;
}

/* The first address of every rank in the hostfile; *n of them. */
static int load_hostfile(const char *path, address **out, int *n) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return mxi_error(MX_ERR_RUNTIME, "[ring] Can't open the hostfile %s: %s", path,
                         strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? 2 * cap : 8192;
            if (cap > ((size_t)1 << 24)) {
                free(text);
                fclose(f);
                return mxi_error(MX_ERR_RUNTIME, "[ring] The hostfile %s is too large.", path);
            }
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
                fclose(f);
                return mxi_error(MX_ERR_MEMORY, "[ring] Out of memory.");
            }
            text = grown;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    fclose(f);
    mxi_json *j = NULL;
    int rc = mxi_json_parse(&j, text ? text : "", len, 8, "ring");
    free(text);
    if (rc) {
        char why[256];
        snprintf(why, sizeof why, "%s", mx_last_error());
        return mxi_error(MX_ERR_RUNTIME, "[ring] The hostfile %s is not valid JSON: %s", path, why);
    }
    rc = MX_OK;
    if (j->kind != MXI_JSON_ARRAY || j->n == 0 || j->n > 65536) {
        rc = mxi_error(MX_ERR_RUNTIME,
                       "[ring] The hostfile %s must be a non-empty JSON list of "
                       "lists of \"ip:port\" strings.",
                       path);
    } else {
        *out = calloc(j->n, sizeof **out);
        if (!*out) rc = mxi_error(MX_ERR_MEMORY, "[ring] Out of memory.");
        for (size_t i = 0; !rc && i < j->n; i++) {
            const mxi_json *node = &j->items[i];
            if (node->kind != MXI_JSON_ARRAY || node->n == 0 ||
                node->items[0].kind != MXI_JSON_STRING)
                rc = mxi_error(MX_ERR_RUNTIME,
                               "[ring] Entry %zu of the hostfile must be a non-empty list of "
                               "\"ip:port\" strings.",
                               i);
            else
                rc = parse_address(node->items[0].str, &(*out)[i]);
        }
        if (rc) {
            free(*out);
            *out = NULL;
        } else {
            *n = (int)j->n;
        }
    }
    mxi_json_free(j);
    return rc;
}

static int resolve(const address *a, struct addrinfo **res) {
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int e = getaddrinfo(a->host, a->port, &hints, res);
    if (e)
        return mxi_error(MX_ERR_RUNTIME, "[ring] Can't parse address %s:%s (%s)", a->host, a->port,
                         gai_strerror(e));
    return MX_OK;
}

static int listen_on(const address *a, int *fd) {
    struct addrinfo *res;
    int rc = resolve(a, &res);
    if (rc) return rc;
    int s = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(s, res->ai_addr, res->ai_addrlen) < 0 || listen(s, 4) < 0) {
        rc = mxi_error(MX_ERR_RUNTIME, "[ring] Couldn't listen on %s:%s: %s", a->host, a->port,
                       strerror(errno));
        if (s >= 0) close(s);
    } else {
        *fd = s;
    }
    freeaddrinfo(res);
    return rc;
}

static int set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* Connects to a (retrying while the peer is not listening yet) and sends
 * our rank so the peer knows who connected. */
static int connect_to(ring *r, const address *a, int peer, int *fd) {
    struct addrinfo *res;
    int rc = resolve(a, &res);
    if (rc) return rc;
    int64_t deadline = now_ms() + r->timeout_ms;
    int s = -1, err = 0;
    while (s < 0) {
        s = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s >= 0 && connect(s, res->ai_addr, res->ai_addrlen) == 0) break;
        err = errno;
        if (s >= 0) close(s);
        s = -1;
        if (now_ms() >= deadline) break;
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    freeaddrinfo(res);
    if (s < 0)
        return mxi_error(MX_ERR_RUNTIME, "[ring] Couldn't connect to rank %d at %s:%s: %s", peer,
                         a->host, a->port, strerror(err));
    if (set_nonblocking(s) < 0) {
        close(s);
        return mxi_error(MX_ERR_RUNTIME, "[ring] fcntl failed: %s", strerror(errno));
    }
    *fd = s;
    int32_t me = r->rank;
    return exchange(r, s, &me, sizeof me, peer, s, NULL, 0, peer);
}

/* Accepts the left neighbour's connection on the listening socket. */
static int accept_from(ring *r, int lfd, int peer, int *fd) {
    struct pollfd p = {lfd, POLLIN, 0};
    int k;
    do k = poll(&p, 1, r->timeout_ms);
    while (k < 0 && errno == EINTR);
    if (k <= 0)
        return mxi_error(MX_ERR_RUNTIME, "[ring] Timed out waiting for rank %d to connect.", peer);
    int s = accept(lfd, NULL, NULL);
    if (s < 0) return mxi_error(MX_ERR_RUNTIME, "[ring] Accept failed: %s", strerror(errno));
    if (set_nonblocking(s) < 0) {
        close(s);
        return mxi_error(MX_ERR_RUNTIME, "[ring] fcntl failed: %s", strerror(errno));
    }
    int32_t who = -1;
    int rc = exchange(r, s, NULL, 0, peer, s, &who, sizeof who, peer);
    if (!rc && who != peer)
        rc = mxi_error(MX_ERR_RUNTIME, "[ring] Rank %d expected rank %d to connect, not %d.",
                       r->rank, peer, (int)who);
    if (rc) {
        close(s);
        return rc;
    }
    *fd = s;
    return MX_OK;
}

static int timeout_ms(void) {
    const char *t = getenv("CMLX_RING_TIMEOUT");
    double sec = t ? atof(t) : 300.0;
    if (!(sec > 0)) sec = 300.0;
    return sec > 2e6 ? 2000000000 : (int)(sec * 1000);
}

int mxi_ring_init(bool strict, mxi_dist_comm *out, bool *got) {
    *got = false;
    const char *hostfile = getenv("MLX_HOSTFILE");
    const char *rank_s = getenv("MLX_RANK");
    if (!hostfile || !rank_s) {
        if (!strict) return MX_OK;
        return mxi_error(MX_ERR_RUNTIME,
                         "[ring] You need to provide via environment variables both a rank "
                         "(MLX_RANK) and a hostfile (MLX_HOSTFILE) but provided MLX_RANK=\"%s\" "
                         "and MLX_HOSTFILE=\"%s\"",
                         rank_s ? rank_s : "", hostfile ? hostfile : "");
    }
    char *end_p;
    long rank = strtol(rank_s, &end_p, 10);
    if (*rank_s == '\0' || *end_p != '\0' || rank < 0)
        return mxi_error(MX_ERR_RUNTIME, "[ring] MLX_RANK=\"%s\" is not a rank.", rank_s);
    address *nodes = NULL;
    int n = 0;
    int rc = load_hostfile(hostfile, &nodes, &n);
    if (rc) return rc;
    if (rank >= n) {
        free(nodes);
        return mxi_error(MX_ERR_RUNTIME, "[ring] Rank cannot be larger than the size of the group");
    }
    if (n == 1) { /* a ring of one: nothing to connect */
        free(nodes);
        *out = (mxi_dist_comm){NULL, NULL, 0, 1};
        *got = true;
        return MX_OK;
    }
    ring *r = calloc(1, sizeof *r);
    if (r) r->scratch = malloc(CHUNK);
    if (!r || !r->scratch) {
        if (r) free(r);
        free(nodes);
        return mxi_error(MX_ERR_MEMORY, "[ring] Out of memory.");
    }
    r->rank = (int)rank;
    r->size = n;
    r->left = r->right = -1;
    r->timeout_ms = timeout_ms();
    pthread_mutex_init(&r->lock, NULL);
    /* Listen first, so that whoever connects first finds us listening. */
    int lfd = -1;
    rc = listen_on(&nodes[rank], &lfd);
    if (!rc) rc = connect_to(r, &nodes[right_rank(r)], right_rank(r), &r->right);
    if (!rc) rc = accept_from(r, lfd, left_rank(r), &r->left);
    if (lfd >= 0) close(lfd);
    free(nodes);
    if (rc) {
        if (r->left >= 0) close(r->left);
        if (r->right >= 0) close(r->right);
        pthread_mutex_destroy(&r->lock);
        free(r->scratch);
        free(r);
        return rc;
    }
    *out = (mxi_dist_comm){&ring_backend, r, r->rank, r->size};
    *got = true;
    return MX_OK;
}
