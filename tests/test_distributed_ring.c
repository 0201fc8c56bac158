/*
 * The ring backend across processes: the test forks 3 (then 2) processes
 * before touching cmlx, each joins a ring on 127.0.0.1 through MLX_RANK
 * and MLX_HOSTFILE and checks the collectives against values computed
 * here; a peer that exits makes the survivor's collective fail.
 */
#include "test.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char hostfile[64];

/* A hostfile of n free local ports. */
static void write_hostfile(int n) {
    snprintf(hostfile, sizeof hostfile, "/tmp/cmlx_ring_%d.json", (int)getpid());
    FILE *f = fopen(hostfile, "w");
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        bind(s, (struct sockaddr *)&a, sizeof a);
        getsockname(s, (struct sockaddr *)&a, &len);
        fprintf(f, "%s[\"127.0.0.1:%d\"]", i ? ", " : "", ntohs(a.sin_port));
        close(s);
    }
    fputs("]\n", f);
    fclose(f);
}

static mx_array *filled(int64_t n, double v, mx_dtype dt) {
    mx_array *a = NULL;
    int32_t shape[1] = {(int32_t)n};
    mx_array *c = NULL;
    CHECK_OK(mx_array_from_float(&c, v, MX_FLOAT64));
    CHECK_OK(mx_full(&a, shape, 1, c, dt, NULL));
    mx_array_free(c);
    return a;
}

/* Every element of a (cast to float64) equals want. */
static void all_equal(mx_array *a, double want) {
    mx_array *f = NULL;
    CHECK_OK(mx_astype(&f, a, MX_FLOAT64, NULL));
    CHECK_OK(mx_eval(&f, 1));
    size_t n = mx_array_size(f);
    double *v = malloc(sizeof(double) * (n ? n : 1));
    CHECK_OK(mx_array_copy_to(f, v, n * sizeof(double)));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += v[i] != want;
    CHECK(bad == 0);
    free(v);
    mx_array_free(f);
}

/* One process of the ring of n: returns the number of failed checks. */
static int member(int rank, int n) {
    char r[16];
    snprintf(r, sizeof r, "%d", rank);
    setenv("MLX_RANK", r, 1);
    setenv("MLX_HOSTFILE", hostfile, 1);
    setenv("CMLX_RING_TIMEOUT", "20", 1);
    mx_distributed_group *g = NULL;
    CHECK_OK(mx_distributed_init(&g, true, "ring"));
    CHECK(mx_distributed_group_rank(g) == rank && mx_distributed_group_size(g) == n);
    double tri = n * (n + 1) / 2.0;
    /* all_sum over sizes below the group size, odd sizes and > one chunk */
    int64_t sizes[] = {1, 2, 7, 300001};
    mx_dtype dts[] = {MX_FLOAT32, MX_INT64, MX_FLOAT16, MX_UINT8, MX_BFLOAT16};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 5; k++) {
            mx_array *x = filled(sizes[i], rank + 1, dts[k]), *y = NULL, *m = NULL;
            CHECK_OK(mx_distributed_all_sum(&y, x, g, NULL));
            all_equal(y, tri);
            CHECK_OK(mx_distributed_all_max(&m, x, g, NULL));
            all_equal(m, n);
            CHECK_OK(mx_distributed_all_min(&m, x, g, NULL));
            all_equal(m, 1);
            mx_array_free(x), mx_array_free(y), mx_array_free(m);
        }
    /* all_gather: block k holds k + 1 */
    mx_array *x = filled(5, rank + 1, MX_FLOAT32), *a = NULL;
    CHECK_OK(mx_distributed_all_gather(&a, x, g, NULL));
    CHECK(mx_array_shape(a)[0] == 5 * n);
    float got[15];
    test_read_f32(a, got, (size_t)(5 * n));
    for (int i = 0; i < 5 * n; i++) CHECK(got[i] == (float)(i / 5 + 1));
    /* sum_scatter: this rank's block of the sum */
    mx_array *big = filled(4 * n, rank + 1, MX_FLOAT64), *sc = NULL;
    CHECK_OK(mx_distributed_sum_scatter(&sc, big, g, NULL));
    CHECK(mx_array_shape(sc)[0] == 4);
    all_equal(sc, tri);
    /* send right, receive from the left */
    mx_array *sent = NULL, *recvd = NULL;
    CHECK_OK(mx_distributed_send(&sent, x, (rank + 1) % n, g, NULL));
    CHECK_OK(mx_eval(&sent, 1));
    CHECK_OK(mx_distributed_recv_like(&recvd, x, (rank + n - 1) % n, g, NULL));
    all_equal(recvd, (rank + n - 1) % n + 1);
    mx_array_free(x), mx_array_free(a), mx_array_free(big), mx_array_free(sc);
    mx_array_free(sent), mx_array_free(recvd);
    mx_distributed_group *s = NULL;
    CHECK_ERR(mx_distributed_group_split(&s, g, 0, -1), MX_ERR_RUNTIME);
    mx_distributed_group_free(g);
    return test_failures_in_current;
}

/* Rank 1 leaves after joining; rank 0's all_sum must fail, not hang. */
static int departing(int rank) {
    char r[16];
    snprintf(r, sizeof r, "%d", rank);
    setenv("MLX_RANK", r, 1);
    setenv("MLX_HOSTFILE", hostfile, 1);
    setenv("CMLX_RING_TIMEOUT", "20", 1);
    mx_distributed_group *g = NULL;
    CHECK_OK(mx_distributed_init(&g, true, "any"));
    if (rank == 1) {
        mx_distributed_group_free(g);
        return test_failures_in_current;
    }
    mx_array *x = filled(1000, 1, MX_FLOAT32), *y = NULL, *z = NULL;
    CHECK_OK(mx_distributed_all_sum(&y, x, g, NULL));
    CHECK(mx_eval(&y, 1) != MX_OK);
    CHECK(strstr(mx_last_error(), "closed the connection") != NULL);
    /* the group stays broken, the process works */
    CHECK_OK(mx_distributed_all_sum(&z, x, g, NULL));
    CHECK(mx_eval(&z, 1) != MX_OK);
    CHECK(strstr(mx_last_error(), "closed the connection") != NULL);
    mx_array *w = NULL;
    CHECK_OK(mx_add(&w, x, x, NULL));
    all_equal(w, 2);
    mx_array_free(x), mx_array_free(y), mx_array_free(z), mx_array_free(w);
    mx_distributed_group_free(g);
    return test_failures_in_current;
}

/* Forks n processes running f(rank) (n: member's group size); true when
 * every one exits with 0. */
static bool run_ring(int n, int (*f)(int, int)) {
    write_hostfile(n);
    pid_t pids[8];
    for (int k = 0; k < n; k++) {
        pids[k] = fork();
        if (pids[k] == 0) exit(f(k, n) ? 1 : 0);
    }
    bool ok = true;
    for (int k = 0; k < n; k++) {
        int status = 0;
        waitpid(pids[k], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "  rank %d of %d: status %d\n", k, n, status);
            ok = false;
        }
    }
    unlink(hostfile);
    return ok;
}

static int departing_member(int rank, int n) {
    (void)n;
    return departing(rank);
}

TEST(ring_of_three) {
    CHECK(run_ring(3, member));
}

TEST(ring_of_two) {
    CHECK(run_ring(2, member));
}

TEST(peer_gone) {
    CHECK(run_ring(2, departing_member));
}

int main(void) {
    /* Every test forks before this process touches cmlx (no threads yet). */
    RUN(ring_of_three);
    RUN(ring_of_two);
    RUN(peer_gone);
    return TEST_SUMMARY();
}
