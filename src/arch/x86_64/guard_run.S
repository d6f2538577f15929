/*
 * guard_run.S: the x86-64 hcr__guard_run (see src/guard.h).
 *
 *   int hcr__arch_guard_run(struct hcr__guard *g, int (*fn)(void *, int),
 *                      void *arg, int op);
 *
 * Saves the callee-saved registers, records the stack pointer in
 * g->resume_sp (the struct's first field), and calls fn(arg, op). A fault
 * inside fn is resumed by the signal handler at hcr__guard_resume with the
 * stack pointer set back to g->resume_sp and -1 in eax: the registers are
 * then restored from this frame, whatever fn left in them. This costs six
 * pushes and pops, where a setjmp would also store and mangle every
 * register and spill the arguments.
 */
#include "guard_mode.h"

#ifdef HCR__GUARD_RUN_ASM
        .text
        .globl  hcr__arch_guard_run
        .hidden hcr__arch_guard_run
        .type   hcr__arch_guard_run, @function
        .p2align 4
hcr__arch_guard_run:
        .cfi_startproc
        pushq   %rbx
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %rbx, 0
        pushq   %rbp
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %rbp, 0
        pushq   %r12
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r12, 0
        pushq   %r13
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r13, 0
        pushq   %r14
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r14, 0
        pushq   %r15
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r15, 0
        movq    %rsp, (%rdi)            /* g->resume_sp */
        movq    %rsi, %rax              /* fn */
        movq    %rdx, %rdi              /* arg */
        movl    %ecx, %esi              /* op */
        subq    $8, %rsp                /* 16-byte alignment at the call */
        .cfi_adjust_cfa_offset 8
        call    *%rax
        addq    $8, %rsp
        .cfi_adjust_cfa_offset -8
        .globl  hcr__guard_resume
        .hidden hcr__guard_resume
hcr__guard_resume:
        popq    %r15
        .cfi_adjust_cfa_offset -8
        popq    %r14
        .cfi_adjust_cfa_offset -8
        popq    %r13
        .cfi_adjust_cfa_offset -8
        popq    %r12
        .cfi_adjust_cfa_offset -8
        popq    %rbp
        .cfi_adjust_cfa_offset -8
        popq    %rbx
        .cfi_adjust_cfa_offset -8
        ret
        .cfi_endproc
        .size   hcr__arch_guard_run, .-hcr__arch_guard_run
#endif
        .section .note.GNU-stack,"",@progbits
