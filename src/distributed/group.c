/*
 * Groups: the registry of communicators, group handles, is_available,
 * init and split (the public functions of include/cmlx/distributed.h that
 * are not ops).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "distributed/distributed_impl.h"

struct mx_distributed_group {
    atomic_int refcount;
    int id;
};

/* ---- the registry ---- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static mxi_dist_comm **registry; /* each entry allocated once, never moved */
static int registry_len, registry_cap;

int mxi_dist_register(const mxi_dist_comm *c) {
    mxi_dist_comm *copy = malloc(sizeof *copy);
    if (!copy) return -mxi_error(MX_ERR_MEMORY, "[distributed] Out of memory.");
    *copy = *c;
    pthread_mutex_lock(&registry_lock);
    if (registry_len == registry_cap) {
        int cap = registry_cap ? 2 * registry_cap : 8;
        mxi_dist_comm **grown = realloc(registry, (size_t)cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&registry_lock);
            free(copy);
            return -mxi_error(MX_ERR_MEMORY, "[distributed] Out of memory.");
        }
        registry = grown;
        registry_cap = cap;
    }
    int id = registry_len++;
    registry[id] = copy;
    pthread_mutex_unlock(&registry_lock);
    return id;
}

const mxi_dist_comm *mxi_dist_lookup(int id) {
    const mxi_dist_comm *c = NULL;
    pthread_mutex_lock(&registry_lock);
    if (id >= 0 && id < registry_len) c = registry[id];
    pthread_mutex_unlock(&registry_lock);
    return c;
}

/* ---- handles ---- */

mx_distributed_group *mxi_dist_group_new(int id) {
    mx_distributed_group *g = malloc(sizeof *g);
    if (!g) {
        mxi_error(MX_ERR_MEMORY, "[distributed] Out of memory.");
        return NULL;
    }
    atomic_init(&g->refcount, 1);
    g->id = id;
    return g;
}

int mxi_dist_group_id(const mx_distributed_group *g) {
    return g->id;
}

mx_distributed_group *mx_distributed_group_retain(mx_distributed_group *g) {
    if (g) atomic_fetch_add_explicit(&g->refcount, 1, memory_order_relaxed);
    return g;
}

void mx_distributed_group_free(mx_distributed_group *g) {
    if (g && atomic_fetch_sub_explicit(&g->refcount, 1, memory_order_acq_rel) == 1) free(g);
}

static void set_group(mx_distributed_group **out, mx_distributed_group *g) {
    mx_distributed_group *old = *out;
    *out = g;
    mx_distributed_group_free(old);
}

int mx_distributed_group_rank(const mx_distributed_group *g) {
    const mxi_dist_comm *c = g ? mxi_dist_lookup(g->id) : NULL;
    return c ? c->rank : -1;
}

int mx_distributed_group_size(const mx_distributed_group *g) {
    const mxi_dist_comm *c = g ? mxi_dist_lookup(g->id) : NULL;
    return c ? c->size : 0;
}

/* ---- backends ---- */

typedef struct backend_entry {
    const char *name;
    bool available;
    /* Sets *got and fills *out when the environment configures a group;
     * strict turns "not configured" into the backend's error. */
    int (*init)(bool strict, mxi_dist_comm *out, bool *got);
    const char *unavailable_msg; /* strict init of a backend this build lacks */
} backend_entry;

/* "any" tries the available ones in this order (MLX: NCCL first where CUDA
 * is, then ring, MPI, JACCL). */
static const backend_entry backends[] = {
    {"ring", true, mxi_ring_init, NULL},
    {"mpi", false, NULL, "Cannot initialize MPI"},
    {"nccl", false, NULL, "Cannot initialize nccl distributed backend."},
    {"jaccl", false, NULL, "Cannot initialize jaccl distributed backend."},
};
#define N_BACKENDS ((int)(sizeof backends / sizeof *backends))

static int find_backend(const char *name) {
    for (int i = 0; i < N_BACKENDS; i++)
        if (strcmp(backends[i].name, name) == 0) return i;
    return -1;
}

int mx_distributed_is_available(bool *out, const char *backend) {
    if (!out || !backend)
        return mxi_error(MX_ERR_VALUE, "[distributed] is_available: NULL argument.");
    if (strcmp(backend, "any") == 0) {
        bool any = false;
        for (int i = 0; i < N_BACKENDS; i++) any |= backends[i].available;
        *out = any;
        return MX_OK;
    }
    int b = find_backend(backend);
    *out = b >= 0 && backends[b].available;
    return MX_OK;
}

/* Initialised groups by backend (and the first one for "any"); -1: none. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int initialised[N_BACKENDS] = {-1, -1, -1, -1};
static int initialised_any = -1;
static int singleton_id = -1;

static int singleton(void) {
    if (singleton_id < 0) {
        mxi_dist_comm c = {.backend = NULL, .state = NULL, .rank = 0, .size = 1};
        int id = mxi_dist_register(&c);
        if (id < 0) return id;
        singleton_id = id;
    }
    return singleton_id;
}

/* Tries backend b: *id becomes its registered id, or -1 when the
 * environment configures no group of it. Returns a status. */
static int try_backend(int b, bool strict, int *id) {
    *id = -1;
    if (initialised[b] >= 0) {
        *id = initialised[b];
        return MX_OK;
    }
    if (!backends[b].available) {
        if (strict) return mxi_error(MX_ERR_RUNTIME, "%s", backends[b].unavailable_msg);
        return MX_OK;
    }
    mxi_dist_comm c;
    bool got = false;
    int rc = backends[b].init(strict, &c, &got);
    if (rc) return rc;
    if (!got) return MX_OK;
    int r = mxi_dist_register(&c);
    if (r < 0) return -r;
    initialised[b] = r;
    if (initialised_any < 0) initialised_any = r;
    *id = r;
    return MX_OK;
}

int mx_distributed_init(mx_distributed_group **out, bool strict, const char *backend) {
    if (!out) return mxi_error(MX_ERR_VALUE, "[distributed] init: NULL output.");
    if (!backend) backend = "any";
    bool any = strcmp(backend, "any") == 0;
    int b = any ? -1 : find_backend(backend);
    if (!any && b < 0)
        return mxi_error(MX_ERR_VALUE,
                         "[distributed] The only valid values for backend are 'any', 'mpi', "
                         "'nccl', 'jaccl' and 'ring' but '%s' was provided.",
                         backend);
    pthread_mutex_lock(&init_lock);
    int rc = MX_OK, id = -1;
    if (any) {
        id = initialised_any;
        for (int i = 0; id < 0 && i < N_BACKENDS; i++) {
            if (!backends[i].available) continue;
            rc = try_backend(i, false, &id);
            if (rc) break;
        }
        if (!rc && id < 0 && strict)
            rc = mxi_error(MX_ERR_RUNTIME, "[distributed] Couldn't initialize any backend");
    } else {
        rc = try_backend(b, strict, &id);
    }
    if (!rc && id < 0) {
        id = singleton();
        if (id < 0) rc = -id;
    }
    pthread_mutex_unlock(&init_lock);
    if (rc) return rc;
    mx_distributed_group *g = mxi_dist_group_new(id);
    if (!g) return MX_ERR_MEMORY;
    set_group(out, g);
    return MX_OK;
}

int mx_distributed_global_group(mx_distributed_group **out) {
    return mx_distributed_init(out, false, "any");
}

int mx_distributed_group_split(mx_distributed_group **out, const mx_distributed_group *g, int color,
                               int key) {
    if (!out || !g) return mxi_error(MX_ERR_VALUE, "[distributed] split: NULL argument.");
    const mxi_dist_comm *c = mxi_dist_lookup(g->id);
    if (!c) return mxi_error(MX_ERR_VALUE, "[distributed] split: unknown group.");
    if (c->size == 1 || !c->backend)
        return mxi_error(MX_ERR_RUNTIME, "Cannot split the distributed group further.");
    if (!c->backend->split)
        return mxi_error(MX_ERR_RUNTIME, "[%s] Group split not supported.", c->backend->name);
    mxi_dist_comm sub;
    int rc = c->backend->split(c->state, color, key, &sub);
    if (rc) return rc;
    int id = mxi_dist_register(&sub);
    if (id < 0) return -id;
    mx_distributed_group *ng = mxi_dist_group_new(id);
    if (!ng) return MX_ERR_MEMORY;
    set_group(out, ng);
    return MX_OK;
}
