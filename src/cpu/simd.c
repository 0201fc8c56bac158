/*
 * Which vector level the kernels may use. A level needs both the CPU's
 * instructions (cpuid) and the OS saving the wider registers on context
 * switch (XCR0 through xgetbv); without the second, the first faults.
 */
#include "simd.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>

#if (defined(__x86_64__) || defined(__i386__)) && !defined(MXI_NO_X86_SIMD)
#define MXI_SIMD_X86 1
#include <cpuid.h>
#endif

static const char *const level_names[MXI_SIMD_LEVELS] = {"scalar", "avx2", "avx512", "avx512bf16"};

static mxi_simd_level detected_level = MXI_SIMD_SCALAR;
/* -1 until start-up has run; read by every kernel call, hence one relaxed
 * atomic load on the hot path. */
static _Atomic int active_level = -1;
static pthread_once_t simd_once = PTHREAD_ONCE_INIT;

#ifdef MXI_SIMD_X86
/* cpuid leaf 1, ecx */
#define CPUID1_FMA     (1u << 12)
#define CPUID1_OSXSAVE (1u << 27)
#define CPUID1_AVX     (1u << 28)
#define CPUID1_F16C    (1u << 29)
/* leaf 7 subleaf 0, ebx */
#define CPUID7_AVX2     (1u << 5)
#define CPUID7_AVX512F  (1u << 16)
#define CPUID7_AVX512DQ (1u << 17)
#define CPUID7_AVX512BW (1u << 30)
#define CPUID7_AVX512VL (1u << 31)
/* leaf 7 subleaf 0, ecx */
#define CPUID7_AVX512VNNI (1u << 11)
/* leaf 7 subleaf 1, eax */
#define CPUID71_AVX512BF16 (1u << 5)
/* XCR0: SSE and AVX (YMM upper halves) state */
#define XCR0_YMM 0x06u
/* XCR0: the above plus opmask, ZMM0-15 upper halves and ZMM16-31 */
#define XCR0_ZMM 0xe6u

/* Read with the raw opcode's mnemonic rather than _xgetbv, which needs the
 * file built with -mxsave. */
static unsigned long long read_xcr0(void) {
    unsigned int lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static mxi_simd_level detect(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return MXI_SIMD_SCALAR;
    unsigned int ecx1 = ecx;
    if (!(ecx1 & CPUID1_OSXSAVE) || !(ecx1 & CPUID1_AVX)) return MXI_SIMD_SCALAR;
    unsigned long long xcr0 = read_xcr0();
    if ((xcr0 & XCR0_YMM) != XCR0_YMM) return MXI_SIMD_SCALAR;
    if (__get_cpuid_max(0, NULL) < 7) return MXI_SIMD_SCALAR;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return MXI_SIMD_SCALAR;
    unsigned int max_sub7 = eax, ebx7 = ebx, ecx7 = ecx;

    unsigned int avx2 = CPUID1_FMA | CPUID1_F16C;
    if ((ecx1 & avx2) != avx2 || !(ebx7 & CPUID7_AVX2)) return MXI_SIMD_SCALAR;

    unsigned int avx512 = CPUID7_AVX512F | CPUID7_AVX512DQ | CPUID7_AVX512BW | CPUID7_AVX512VL;
    if ((ebx7 & avx512) != avx512 || (xcr0 & XCR0_ZMM) != XCR0_ZMM) return MXI_SIMD_AVX2;

    if (max_sub7 < 1 || !(ecx7 & CPUID7_AVX512VNNI)) return MXI_SIMD_AVX512;
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) || !(eax & CPUID71_AVX512BF16))
        return MXI_SIMD_AVX512;
    return MXI_SIMD_AVX512_BF16;
}
#else
static mxi_simd_level detect(void) {
    return MXI_SIMD_SCALAR;
}
#endif

static void simd_init(void) {
    detected_level = detect();
    int level = (int)detected_level;
    const char *env = getenv("CMLX_SIMD");
    if (env) {
        for (int l = 0; l < MXI_SIMD_LEVELS; l++) {
            if (strcasecmp(env, level_names[l]) == 0) {
                if (l < level) level = l;
                break;
            }
        }
    }
    atomic_store(&active_level, level);
}

mxi_simd_level mxi_simd_detected(void) {
    pthread_once(&simd_once, simd_init);
    return detected_level;
}

mxi_simd_level mxi_simd_active(void) {
    int level = atomic_load_explicit(&active_level, memory_order_relaxed);
    if (level >= 0) return (mxi_simd_level)level;
    pthread_once(&simd_once, simd_init);
    return (mxi_simd_level)atomic_load_explicit(&active_level, memory_order_relaxed);
}

int mxi_simd_set_active(mxi_simd_level level) {
    if ((int)level < 0 || level >= MXI_SIMD_LEVELS || level > mxi_simd_detected()) return -1;
    atomic_store_explicit(&active_level, (int)level, memory_order_relaxed);
    return 0;
}

const char *mxi_simd_name(mxi_simd_level level) {
    if ((int)level < 0 || level >= MXI_SIMD_LEVELS) return "unknown";
    return level_names[level];
}

const void *mxi_simd_pick(const void *const *tables) {
    int level = (int)mxi_simd_active();
    while (level > 0 && !tables[level]) level--;
    return tables[level];
}
