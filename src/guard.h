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
 *     if (HCR__GUARD_SETJMP(g.jump) == 0) {
 *         result = call_something();
 *         hcr__guard_pop(&g);
 *     } else {
 *         // crashed: g.signo, g.code, g.fault_address, g.pc are set and the
 *         // frame is already popped.
 *     }
 *
 * Not sigsetjmp: saving the signal mask costs a system call, and the
 * handlers run with SA_NODEFER and an empty sa_mask, so the mask at the jump
 * is the mask of the guarded code. Not even setjmp, outside sanitizer
 * builds: the compiler's own __builtin_setjmp saves three words where
 * glibc's saves eight and mangles them, and a guarded call sits on the
 * per-frame path of every host (hcr_plugin_update). AddressSanitizer must
 * see the jump to unpoison the stack, so sanitizer builds use setjmp.
 */
#ifndef HCR_GUARD_H
#define HCR_GUARD_H

#include <setjmp.h>
#include <signal.h>

#include "guard_mode.h"

#ifdef HCR__GUARD_PLAIN_SETJMP
typedef jmp_buf hcr__jump_buf;
#define HCR__GUARD_SETJMP(buf) setjmp(buf)
#define HCR__GUARD_LONGJMP(buf) longjmp(buf, 1)
#else
typedef void *hcr__jump_buf[5];
#define HCR__GUARD_SETJMP(buf) __builtin_setjmp(buf)
#define HCR__GUARD_LONGJMP(buf) __builtin_longjmp(buf, 1)
#endif

struct hcr__guard {
    void *resume_sp;               /* first: hcr__guard_run's assembly uses it */
    void *resume_pc;               /* where a fault resumes (assembly guards);
                                      NULL: hcr__guard_resume */
    struct hcr__guard *outer;
    hcr__jump_buf jump;
    void *owner;                   /* what the crash is charged to */
    int owner_is_plugin;           /* owner is a struct hcr_plugin (HCR_CALLER) */
    volatile int signo;            /* 0 until a fault */
    volatile int code;             /* siginfo si_code */
    void *volatile fault_address;  /* si_addr */
    void *volatile pc;             /* instruction pointer at the fault */
    volatile int stack_overflow;   /* fault address near the stack's end */
};

/* Installs the handlers (once, thread-safe) and this thread's alternate
   signal stack (once per thread). 0 or a negative HCR_E* code. */
int hcr__guard_init(void);

/* This thread's innermost active frame, and whether the thread has its
   alternate stack. Read by the signal handler, so initial-exec: access
   never allocates. Use the functions below.
   hcr__guard_top is NULL when the thread has no frame, and starts as
   HCR__GUARD_UNREADY, which also means no frame, until the thread has its
   alternate stack: so the per-frame path of plugin mode learns both that
   the thread is set up and that it is outside any guarded call from one
   load, a NULL. A frame pushed before the set-up keeps the mark as its
   outer, which is why walks use hcr__guard_outer. */
extern __thread struct hcr__guard *hcr__guard_top __attribute__((tls_model("initial-exec")));
extern __thread int hcr__guard_thread_ready __attribute__((tls_model("initial-exec")));
#define HCR__GUARD_UNREADY ((struct hcr__guard *)HCR__GUARD_UNREADY_MARK)

/* Pushes g as this thread's innermost frame. The handlers must have been
   installed (hcr__guard_init) by then; the thread's alternate stack is set
   up here on its first frame. */
static inline void hcr__guard_push(struct hcr__guard *g, void *owner)
{
    if (__builtin_expect(!hcr__guard_thread_ready, 0))
        hcr__guard_init();
    g->outer = hcr__guard_top;
    g->owner = owner;
    g->owner_is_plugin = 0;
    g->resume_sp = NULL;
    g->resume_pc = NULL;
    g->signo = 0;
    /* The frame must be complete before the handler can see it. */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    hcr__guard_top = g;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void hcr__guard_pop(struct hcr__guard *g)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    hcr__guard_top = g->outer;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* Runs fn(arg, op) as the code guarded by frame g, which the caller pushed.
   Returns fn's result. After a fault it returns -1 with g->signo set and g
   already popped; otherwise the caller pops g. The cheapest way to guard a
   call: the per-frame path of plugin mode uses it. */
#ifdef HCR__GUARD_RUN_ASM
int hcr__arch_guard_run(struct hcr__guard *g, int (*fn)(void *, int), void *arg, int op);
static inline int hcr__guard_run(struct hcr__guard *g, int (*fn)(void *, int), void *arg, int op)
{
    return hcr__arch_guard_run(g, fn, arg, op);
}
#else
int hcr__guard_run(struct hcr__guard *g, int (*fn)(void *, int), void *arg, int op);
#endif

/* This thread's innermost active frame, or NULL. Async-signal-safe. */
static inline struct hcr__guard *hcr__guard_current(void)
{
    struct hcr__guard *g = hcr__guard_top;
    return g == HCR__GUARD_UNREADY ? NULL : g;
}

/* The frame g was pushed inside of, or NULL. */
static inline struct hcr__guard *hcr__guard_outer(const struct hcr__guard *g)
{
    return g->outer == HCR__GUARD_UNREADY ? NULL : g->outer;
}

/* A hook called (async-signal-safe context!) for a fault on a thread with no
   active frame, before the fault is passed on; object mode uses it to say
   which reload introduced the crashing code. NULL removes it. */
typedef void (*hcr__unguarded_hook)(int signo, const siginfo_t *info, void *pc);
void hcr__guard_set_unguarded_hook(hcr__unguarded_hook hook);

/* Writes a string to stderr with write(2): for use in signal context. */
void hcr__guard_write_stderr(const char *text);

#endif
