/*
 * Run-time choice of vector code. Each kernel family is compiled several
 * times with different target flags (files named *_scalar.c, *_avx2.c,
 * *_avx512.c, *_avx512bf16.c) and keeps one table per level; the family
 * picks the table of the active level at call time. The scalar reference is
 * always there and can be forced (CMLX_SIMD=scalar, or tests) so every
 * variant can be checked against it.
 */
#ifndef MXI_SIMD_H
#define MXI_SIMD_H

typedef enum mxi_simd_level {
    MXI_SIMD_SCALAR = 0,
    MXI_SIMD_AVX2,        /* AVX2 + FMA + F16C */
    MXI_SIMD_AVX512,      /* AVX-512 F/BW/DQ/VL */
    MXI_SIMD_AVX512_BF16, /* AVX-512 with BF16 and VNNI */
    MXI_SIMD_LEVELS
} mxi_simd_level;

/* The best level this CPU supports (cpuid and OS state), found once. */
mxi_simd_level mxi_simd_detected(void);
/* The level kernels use now: the detected one, lowered by CMLX_SIMD
 * (scalar|avx2|avx512|avx512bf16) at start-up or by mxi_simd_set_active. */
mxi_simd_level mxi_simd_active(void);
/* Sets the active level; returns 0, or -1 if the CPU lacks it. */
int mxi_simd_set_active(mxi_simd_level level);
const char *mxi_simd_name(mxi_simd_level level);

/* Picks from a family's per-level table (MXI_SIMD_LEVELS pointers to its
 * kernel tables, NULL where the family has no variant) the entry of the
 * active level, falling back to the nearest lower level that has one. Entry 0
 * (the scalar reference) must be present. */
const void *mxi_simd_pick(const void *const *tables);

/* The per-level table list of a kernel family F whose variant files
 * (F_scalar.c, F_avx2.c, F_avx512.c) each define mxi_F_table_<level>:
 *   static const void *const tables[MXI_SIMD_LEVELS] = MXI_SIMD_TABLES(F);
 * Only the scalar variant exists where x86 vector code is not built. */
#ifndef MXI_NO_X86_SIMD
#define MXI_SIMD_TABLES(F)                                                                         \
    {                                                                                              \
        [MXI_SIMD_SCALAR] = &mxi_##F##_table_scalar, [MXI_SIMD_AVX2] = &mxi_##F##_table_avx2,      \
        [MXI_SIMD_AVX512] = &mxi_##F##_table_avx512                                                \
    }
#else
#define MXI_SIMD_TABLES(F)                                                                         \
    { [MXI_SIMD_SCALAR] = &mxi_##F##_table_scalar }
#endif

#endif
