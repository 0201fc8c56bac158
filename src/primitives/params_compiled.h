/*
 * The Compiled primitive: a fused chain of elementwise primitives made by
 * compile (src/transforms/compile_fuse.c), run tile by tile by
 * src/cpu/compiled.c. Its parameters hold a reference to the program (the
 * one kind whose parameter blob holds a pointer: the node releases it
 * through mxi_params_release, and equal pointers mean equal programs).
 */
#ifndef MXI_PARAMS_COMPILED_H
#define MXI_PARAMS_COMPILED_H

#include <stdatomic.h>
#include <stdint.h>

#include "cmlx/dtype.h"
#include "primitives.h"

/* Values of the program are registers: 0..n_inputs-1 are the node's inputs
 * (all of the output shape, any strides), the others are computed. */
typedef struct mxi_fused_instr {
    mxi_prim_kind kind; /* a unary, single-output binary, Select or AsType */
    int n_in;
    int in[3];
    int out;
    uint32_t params_size;
    unsigned char params[32]; /* the primitive's parameters (unary: sqrt/log variants) */
} mxi_fused_instr;

typedef struct mxi_fused_program {
    atomic_int refcount;
    int n_inputs, n_regs, n_instr, n_outputs, n_bufs;
    mx_dtype *reg_dtype; /* n_regs */
    int *reg_buf;        /* n_regs: the scratch buffer of a computed register, -1 for inputs */
    mxi_fused_instr *instr;
    int *out_regs; /* n_outputs */
} mxi_fused_program;

typedef struct mxi_compiled_params {
    mxi_fused_program *prog;
} mxi_compiled_params;

/* Bytes per tile of each register (of the program's widest dtype): the
 * tiles of a program's inputs and scratch registers stay in the core's L1
 * data cache with room to spare (smaller tiles measured faster than 4 KiB
 * ones; much smaller ones pay the per-tile calls). */
#define MXI_FUSED_TILE_BYTES 2048

/* A program of n_regs registers (n_inputs of them inputs) and n_instr
 * instructions, zeroed, refcount 1; NULL when out of memory. */
mxi_fused_program *mxi_fused_program_new(int n_inputs, int n_regs, int n_instr, int n_outputs);
/* Assigns scratch buffers to computed registers (reusing those of values no
 * longer read). */
int mxi_fused_program_plan(mxi_fused_program *p);
void mxi_fused_program_release(mxi_fused_program *p);
void mxi_compiled_params_release(void *params);
/* Whether a primitive kind can be part of a fused program. */
bool mxi_fusable_kind(mxi_prim_kind kind, uint32_t params_size);

#endif
