/*
 * guard.h: crash protection for calls into code that may fault.
 *
 * One process-wide set of handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 * SIGABRT, run on a per-thread alternate stack (stack overflow), and a
 * per-thread stack of guard frames. A fault on a thread with an active frame
 * jumps back to that frame's HCR__GUARD_TRY with the fault recorded. A fault
 * on a thread with no active frame is not ours: it goes to the handler that
 * was installed before hcr, or the default action (core dump).
 *
 * Usage (the jump buffer must live in the frame that calls setjmp):
 *
 *     struct hcr__guard g;
 *     hcr__guard_push(&g, owner);
 *     if (setjmp(g.jump) == 0) {
 *         result = call_something();
 *         hcr__guard_pop(&g);
 *     } else {
 *         // crashed: g.signo, g.code, g.fault_address, g.pc are set and the
 *         // frame is already popped.
 *     }
 *
 * setjmp, not sigsetjmp: saving the signal mask costs a system call, and the
 * handlers run with SA_NODEFER and an empty sa_mask, so the mask at the jump
 * is the mask of the guarded code.
 */
#ifndef HCR_GUARD_H
#define HCR_GUARD_H

#include <setjmp.h>
#include <signal.h>

struct hcr__guard {
    jmp_buf jump;
    struct hcr__guard *outer;
    void *owner;                   /* what the crash is charged to */
    volatile int signo;            /* 0 until a fault */
    volatile int code;             /* siginfo si_code */
    void *volatile fault_address;  /* si_addr */
    void *volatile pc;             /* instruction pointer at the fault */
    volatile int stack_overflow;   /* fault address near the stack's end */
};

/* Installs the handlers (once, thread-safe) and this thread's alternate
   signal stack (once per thread). 0 or a negative HCR_E* code. */
int hcr__guard_init(void);

/* Pushes g as this thread's innermost frame; call hcr__guard_init first on
   each thread (cheap after the first call). */
void hcr__guard_push(struct hcr__guard *g, void *owner);
void hcr__guard_pop(struct hcr__guard *g);

/* This thread's innermost active frame, or NULL. Async-signal-safe. */
struct hcr__guard *hcr__guard_current(void);

/* A hook called (async-signal-safe context!) for a fault on a thread with no
   active frame, before the fault is passed on; object mode uses it to say
   which reload introduced the crashing code. NULL removes it. */
typedef void (*hcr__unguarded_hook)(int signo, const siginfo_t *info, void *pc);
void hcr__guard_set_unguarded_hook(hcr__unguarded_hook hook);

/* Writes a string to stderr with write(2): for use in signal context. */
void hcr__guard_write_stderr(const char *text);

#endif
