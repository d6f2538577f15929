/*
 * arch_facts.h (x86-64): the numbers and names the generic code asks of
 * the machine. Every architecture directory has a file of this name with
 * the same macros (see src/arch/README); the build puts the directory of
 * the machine it builds for on the include path.
 */
#ifndef HCR_ARCH_FACTS_H
#define HCR_ARCH_FACTS_H

#define HCR__ARCH_NAME "x86-64"

/* This directory has guard_run.S (hcr__arch_guard_run, hcr__guard_resume)
   and plugin_update.S (hcr_plugin_update's per-frame path). */
#define HCR__ARCH_GUARD_RUN 1

/* Hot-patch pads: -fpatchable-function-entry=9,5 leaves 5 one-byte nops
   before each entry (room for a jmp rel32, never executed) and 4 at it
   (room for a 2-byte jmp back into the pad, switched byte by byte). */
#define HCR__PATCH_PRE_BYTES 5
#define HCR__PATCH_ENTRY_BYTES 4
#define HCR__ARCH_PATCH_FLAG "-fpatchable-function-entry=9,5"
/* A function without pads is redirected by a jmp rel32 over its first
   bytes (after an endbr64, if it starts with one). */
#define HCR__PATCH_JUMP_BYTES 5
/* A trampoline: jmp *slot(%rip), padded to 8. */
#define HCR__PATCH_TRAMPOLINE_SIZE 8
/* A PLT stub: jmp *got(%rip), padded to 8. */
#define HCR__ARCH_PLT_SIZE 8

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The largest distance between two addresses that refer to each other
   with a signed 32-bit displacement (call/jmp rel32, RIP-relative data),
   less a 64 KiB margin. */
#define HCR__ARCH_NEAR_REACH ((uintptr_t)0x7fff0000u)
/* The top of the user address space with 4-level paging (47 bits); hcr
   never maps above it. */
#define HCR__ARCH_ADDRESS_CEILING ((uintptr_t)1 << 47)

/* Whether `value` fits a 32-bit signed PC-relative field. */
static inline int hcr__arch_fits_pc32(int64_t value)
{
    return value >= INT32_MIN && value <= INT32_MAX;
}
#endif /* __ASSEMBLER__ */

#endif
