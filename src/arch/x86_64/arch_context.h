/*
 * arch_context.h (x86-64): what the crash guard reads from and writes to
 * the machine context a signal handler receives. Every architecture
 * directory has a file of this name with the same functions.
 */
#ifndef HCR_ARCH_CONTEXT_H
#define HCR_ARCH_CONTEXT_H

#include <stdint.h>
#include <ucontext.h>

/* The interrupted instruction. */
static inline uintptr_t hcr__arch_context_pc(const ucontext_t *uc)
{
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
}

/* The interrupted stack pointer. */
static inline uintptr_t hcr__arch_context_sp(const ucontext_t *uc)
{
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
}

/* Makes the signal return to `pc` on stack `sp`, as if a function taking
   `arg` in its first argument register had returned `result` (guard_run.S's
   resume point reads both). */
static inline void hcr__arch_context_resume(ucontext_t *uc, uintptr_t sp, uintptr_t pc,
                                            uintptr_t arg, long result)
{
    uc->uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)pc;
    uc->uc_mcontext.gregs[REG_RAX] = (greg_t)result;
    uc->uc_mcontext.gregs[REG_RDI] = (greg_t)arg;
}

#endif
