/* Run-time SIMD level: detection against the kernel's view of the CPU, the
 * CMLX_SIMD override (checked in child processes, since it is read once),
 * lowering and restoring the active level, and per-level table picking. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpu/simd.h"
#include "test.h"

static const char *self_path;

/* Whether the first "flags" line of /proc/cpuinfo has `flag` as a whole word. */
static int has_flag(const char *flags, const char *flag) {
    size_t len = strlen(flag);
    for (const char *p = flags; (p = strstr(p, flag)) != NULL; p += len) {
        int starts = p == flags || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ':';
        int ends = p[len] == ' ' || p[len] == '\n' || p[len] == '\0';
        if (starts && ends) return 1;
    }
    return 0;
}

/* The level the kernel's flags imply, or -1 if /proc/cpuinfo is unreadable.
 * The kernel hides AVX flags the OS does not enable, so this also covers the
 * XCR0 check. */
static int level_from_cpuinfo(void) {
#if defined(__x86_64__) || defined(__i386__)
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    static char line[16384];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0) {
            found = 1;
            break;
        }
    fclose(f);
    if (!found) return -1;
    if (!(has_flag(line, "avx") && has_flag(line, "avx2") && has_flag(line, "fma") &&
          has_flag(line, "f16c")))
        return MXI_SIMD_SCALAR;
    if (!(has_flag(line, "avx512f") && has_flag(line, "avx512bw") && has_flag(line, "avx512dq") &&
          has_flag(line, "avx512vl")))
        return MXI_SIMD_AVX2;
    if (!(has_flag(line, "avx512_bf16") && has_flag(line, "avx512_vnni"))) return MXI_SIMD_AVX512;
    return MXI_SIMD_AVX512_BF16;
#else
    return MXI_SIMD_SCALAR;
#endif
}

TEST(flag_matching) {
    const char *flags = "flags\t\t: fpu avx avx512f avx512_bf16x avx2\n";
    CHECK(has_flag(flags, "avx"));
    CHECK(has_flag(flags, "avx2"));
    CHECK(has_flag(flags, "avx512f"));
    CHECK(!has_flag(flags, "avx512_bf16"));
    CHECK(!has_flag(flags, "fma"));
}

TEST(names) {
    CHECK(strcmp(mxi_simd_name(MXI_SIMD_SCALAR), "scalar") == 0);
    CHECK(strcmp(mxi_simd_name(MXI_SIMD_AVX2), "avx2") == 0);
    CHECK(strcmp(mxi_simd_name(MXI_SIMD_AVX512), "avx512") == 0);
    CHECK(strcmp(mxi_simd_name(MXI_SIMD_AVX512_BF16), "avx512bf16") == 0);
    CHECK(strcmp(mxi_simd_name(MXI_SIMD_LEVELS), "unknown") == 0);
    CHECK(strcmp(mxi_simd_name((mxi_simd_level)-1), "unknown") == 0);
}

TEST(detected_matches_cpuinfo) {
    mxi_simd_level d = mxi_simd_detected();
    CHECK(d >= MXI_SIMD_SCALAR && d < MXI_SIMD_LEVELS);
    CHECK(mxi_simd_detected() == d);
    int expect = level_from_cpuinfo();
    if (expect >= 0) {
        if ((int)d != expect)
            fprintf(stderr, "  detected %s, /proc/cpuinfo says %s\n", mxi_simd_name(d),
                    mxi_simd_name((mxi_simd_level)expect));
        CHECK((int)d == expect);
    }
    printf("detected SIMD level: %s\n", mxi_simd_name(d));
}

TEST(active_at_start) {
    /* with no override the kernels start at the best level */
    const char *env = getenv("CMLX_SIMD");
    if (!env) CHECK(mxi_simd_active() == mxi_simd_detected());
    CHECK(mxi_simd_active() <= mxi_simd_detected());
}

TEST(set_active) {
    mxi_simd_level d = mxi_simd_detected();
    mxi_simd_level start = mxi_simd_active();
    for (int l = (int)d; l >= 0; l--) {
        CHECK(mxi_simd_set_active((mxi_simd_level)l) == 0);
        CHECK((int)mxi_simd_active() == l);
    }
    CHECK(mxi_simd_active() == MXI_SIMD_SCALAR);
    CHECK(mxi_simd_set_active(d) == 0);
    CHECK(mxi_simd_active() == d);

    /* above the CPU, or not a level at all: refused, nothing changes */
    CHECK(mxi_simd_set_active(MXI_SIMD_SCALAR) == 0);
    for (int l = (int)d + 1; l < MXI_SIMD_LEVELS; l++) {
        CHECK(mxi_simd_set_active((mxi_simd_level)l) == -1);
        CHECK(mxi_simd_active() == MXI_SIMD_SCALAR);
    }
    CHECK(mxi_simd_set_active(MXI_SIMD_LEVELS) == -1);
    CHECK(mxi_simd_set_active((mxi_simd_level)-1) == -1);
    CHECK(mxi_simd_active() == MXI_SIMD_SCALAR);
    CHECK(mxi_simd_set_active(start) == 0);
}

TEST(pick) {
    static const int scalar = 0, avx2 = 1, avx512 = 2, bf16 = 3;
    const void *holes[MXI_SIMD_LEVELS] = {&scalar, NULL, &avx512, NULL};
    const void *full[MXI_SIMD_LEVELS] = {&scalar, &avx2, &avx512, &bf16};
    const void *only_scalar[MXI_SIMD_LEVELS] = {&scalar, NULL, NULL, NULL};
    /* what each level must pick from `holes` */
    const void *want_holes[MXI_SIMD_LEVELS] = {&scalar, &scalar, &avx512, &avx512};
    mxi_simd_level start = mxi_simd_active();
    for (int l = 0; l <= (int)mxi_simd_detected(); l++) {
        CHECK(mxi_simd_set_active((mxi_simd_level)l) == 0);
        CHECK(mxi_simd_pick(holes) == want_holes[l]);
        CHECK(mxi_simd_pick(full) == full[l]);
        CHECK(mxi_simd_pick(only_scalar) == &scalar);
    }
    CHECK(mxi_simd_set_active(start) == 0);
}

/* Starts this program again with CMLX_SIMD=value; the child reports the
 * level it started at as its exit status. */
static int child_level(const char *value) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("CMLX_SIMD", value, 1);
        execl("/proc/self/exe", self_path, "--report-active", (char *)NULL);
        execl(self_path, self_path, "--report-active", (char *)NULL);
        _exit(100);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

TEST(env_override) {
    int d = (int)mxi_simd_detected();
    CHECK(child_level("scalar") == MXI_SIMD_SCALAR);
    CHECK(child_level("avx2") == (d < MXI_SIMD_AVX2 ? d : MXI_SIMD_AVX2));
    CHECK(child_level("AVX512") == (d < MXI_SIMD_AVX512 ? d : MXI_SIMD_AVX512));
    /* never above what the CPU has */
    CHECK(child_level("avx512bf16") == d);
    /* unknown values are ignored */
    CHECK(child_level("sse9") == d);
    CHECK(child_level("") == d);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--report-active") == 0) return (int)mxi_simd_active();
    self_path = argv[0];
    RUN(flag_matching);
    RUN(names);
    RUN(detected_matches_cpuinfo);
    RUN(active_at_start);
    RUN(set_active);
    RUN(pick);
    RUN(env_override);
    return TEST_SUMMARY();
}
