/*
 * plugin_update.S: the x86-64 hcr_plugin_update, written out so that the
 * per-frame path is one function with one guard and nothing else.
 *
 *   int hcr_plugin_update(struct hcr_plugin *ctx);
 *
 * The per-frame path runs when ctx has a working, guarded version, no new
 * build is pending (both: step_fn is not NULL) and this thread has its
 * alternate signal stack (hcr__guard_top is not HCR__GUARD_UNREADY): it
 * pushes the plugin's guard frame, calls step_fn(ctx, HCR_STEP) with the
 * host's callee-saved registers saved below the guest's frames, pops the
 * frame and returns the guest's result. Everything else (no version, a
 * version on trial, a pending build, a first call on this thread, unguarded
 * calls) goes to hcr__plugin_update_c, the same logic written in C.
 *
 * A fault in the guest enters the signal handler with this frame on top;
 * the handler pops it and returns into hcr__plugin_update_crashed with the
 * stack pointer set back to the frame's resume_sp and the frame's address
 * in rdi, where the saved registers are restored and
 * hcr__plugin_step_failed reports the crash. Field offsets come from
 * plugin_update_layout.h, which src/plugin/plugin.c checks against the
 * structs at compile time.
 *
 * The path is short on stores, which x86 cores retire at one or two a
 * cycle: ctx->failure is written only when it is not already HCR_NONE, and
 * the frame's outer pointer stays NULL except during a nested call, so the
 * usual outermost call stores only the six saved registers, the frame's
 * resume_sp and the frame into hcr__guard_top and back. What a host loop
 * waits on is kept off memory: the saved registers are never loaded back
 * on the normal path (the guest preserves them), and the outermost frame
 * is popped by storing a constant NULL rather than a pointer read back
 * from the frame; each round trip would put a store-to-load forwarding
 * delay on the chain from one call to the next.
 */
#include "guard_mode.h"
#include "plugin_update_layout.h"

#ifdef HCR__GUARD_RUN_ASM
        .hidden hcr__plugin_update_c
        .hidden hcr__plugin_step_failed

/* Saves the host's callee-saved registers in the 56 bytes below the return
   address (six slots and one for alignment: the call is 16-byte aligned),
   records the stack pointer as the frame's resume_sp, makes the frame
   (%rax + HCR__P_FRAME, with its outer already set) this thread's top,
   and calls step_fn (%r11) with ctx (%rdi) and HCR_STEP. %rdx: the TLS
   offset of hcr__guard_top. */
        .macro  GUARDED_STEP
        subq    $56, %rsp
        .cfi_adjust_cfa_offset 56
        movq    %rbx, 48(%rsp)
        .cfi_rel_offset %rbx, 48
        movq    %rbp, 40(%rsp)
        .cfi_rel_offset %rbp, 40
        movq    %r12, 32(%rsp)
        .cfi_rel_offset %r12, 32
        movq    %r13, 24(%rsp)
        .cfi_rel_offset %r13, 24
        movq    %r14, 16(%rsp)
        .cfi_rel_offset %r14, 16
        movq    %r15, 8(%rsp)
        .cfi_rel_offset %r15, 8
        movq    %rsp, HCR__P_FRAME+HCR__GUARD_RESUME_SP(%rax)
        leaq    HCR__P_FRAME(%rax), %rcx
        movq    %rcx, %fs:(%rdx)        /* the frame is complete: push it */
        movl    $HCR__OP_STEP, %esi
        call    *%r11
        .endm

/* Leaves the frame GUARDED_STEP made, the host's registers back in place
   (the guest preserved them), with the guest's result in eax. */
        .macro  LEAVE
        addq    $56, %rsp
        .cfi_adjust_cfa_offset -56
        .cfi_same_value %rbx
        .cfi_same_value %rbp
        .cfi_same_value %r12
        .cfi_same_value %r13
        .cfi_same_value %r14
        .cfi_same_value %r15
        .endm

        .text
        .globl  hcr_plugin_update
        .type   hcr_plugin_update, @function
        .p2align 4
hcr_plugin_update:
        .cfi_startproc
        testq   %rdi, %rdi
        je      .Lslow
        movq    HCR__CTX_P(%rdi), %rax          /* p */
        testq   %rax, %rax
        je      .Lslow
        movq    HCR__P_STEP_FN(%rax), %r11      /* NULL also while a build is pending */
        testq   %r11, %r11
        je      .Lslow
        movq    hcr__guard_top@gottpoff(%rip), %rdx
        movq    %fs:(%rdx), %rcx
        testq   %rcx, %rcx                      /* NULL: set up, outside any frame */
        jne     .Lnested
        cmpl    $0, HCR__CTX_FAILURE(%rdi)      /* ctx->failure must read HCR_NONE */
        jne     .Lclear_failure
.Lfailure_clear:

        /* The outermost frame, the usual case. The frame's outer is
           already NULL: it is only set while a nested call runs. */
        GUARDED_STEP
        movq    hcr__guard_top@gottpoff(%rip), %rdx
        testl   %eax, %eax
        js      .Lfailed
        movq    $0, %fs:(%rdx)                  /* pop: top = NULL */
        LEAVE
        ret

        /* Inside another guarded call (a guest updating another plugin):
           the outer frame is restored from this frame. */
.Lnested:
        cmpq    $HCR__GUARD_UNREADY_MARK, %rcx  /* not set up yet */
        je      .Lslow
        movq    hcr__guard_thread_ready@gottpoff(%rip), %r8
        cmpl    $0, %fs:(%r8)                   /* a frame pushed before the set-up */
        je      .Lslow
        movl    $0, HCR__CTX_FAILURE(%rdi)
        movq    %rcx, HCR__P_FRAME+HCR__GUARD_OUTER(%rax)
        GUARDED_STEP
        movq    hcr__guard_top@gottpoff(%rip), %rdx
        testl   %eax, %eax
        js      .Lfailed
        movq    %fs:(%rdx), %rdi                /* the frame */
        movq    HCR__GUARD_OUTER(%rdi), %rcx
        movq    %rcx, %fs:(%rdx)
        movq    $0, HCR__GUARD_OUTER(%rdi)
        LEAVE
        ret

        /* A negative result: the frame is still the top. */
.Lfailed:
        .cfi_def_cfa_offset 64
        movq    %fs:(%rdx), %rdi                /* the frame */
        movq    HCR__GUARD_OUTER(%rdi), %rcx
        movq    %rcx, %fs:(%rdx)
        movq    $0, HCR__GUARD_OUTER(%rdi)
        subq    $HCR__P_FRAME, %rdi             /* p */
        movl    %eax, %esi
        LEAVE
        jmp     hcr__plugin_step_failed

        /* A store only when needed: a store per call costs more than a
           load and a branch that is always predicted. */
.Lclear_failure:
        .cfi_def_cfa_offset 8
        movl    $0, HCR__CTX_FAILURE(%rdi)
        jmp     .Lfailure_clear

.Lslow:
        .cfi_def_cfa_offset 8
        jmp     hcr__plugin_update_c
        .cfi_endproc
        .size   hcr_plugin_update, .-hcr_plugin_update

/* Entered from the signal handler with rsp = the frame's resume_sp, rdi =
   the frame, already popped. Restores the host's registers and reports
   the crash. */
        .globl  hcr__plugin_update_crashed
        .hidden hcr__plugin_update_crashed
        .type   hcr__plugin_update_crashed, @function
        .p2align 4
hcr__plugin_update_crashed:
        .cfi_startproc
        .cfi_def_cfa_offset 64
        .cfi_offset %rbx, -16
        .cfi_offset %rbp, -24
        .cfi_offset %r12, -32
        .cfi_offset %r13, -40
        .cfi_offset %r14, -48
        .cfi_offset %r15, -56
        movq    8(%rsp), %r15
        movq    16(%rsp), %r14
        movq    24(%rsp), %r13
        movq    32(%rsp), %r12
        movq    40(%rsp), %rbp
        movq    48(%rsp), %rbx
        LEAVE
        movq    $0, HCR__GUARD_OUTER(%rdi)      /* popped by the handler */
        subq    $HCR__P_FRAME, %rdi             /* p */
        movl    $-1, %esi
        jmp     hcr__plugin_step_failed
        .cfi_endproc
        .size   hcr__plugin_update_crashed, .-hcr__plugin_update_crashed
#endif
        .section .note.GNU-stack,"",@progbits
