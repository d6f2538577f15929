/*
 * guard.c: crash protection. Owns the process-wide handlers for the fatal
 * signals, each thread's alternate signal stack, and each thread's stack of
 * guard frames. A fault on a thread inside a guard frame jumps back to the
 * frame; any other fault is passed on unchanged to whatever handled it
 * before hcr, or to the default action, so the host's own bugs still crash
 * and dump core.
 */
#include "guard.h"

#include "arch_context.h"
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define GUARD_ALTSTACK_SIZE (256 * 1024)
/* A fault this close to the stack pointer is taken as a stack overflow. */
#define GUARD_OVERFLOW_DISTANCE (64 * 1024)

static const int guarded_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

static struct sigaction previous_action[NSIG];
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_result;
static pthread_key_t altstack_key;
static hcr__unguarded_hook unguarded_hook;

__thread struct hcr__guard *hcr__guard_top
    __attribute__((tls_model("initial-exec"))) = HCR__GUARD_UNREADY;
__thread int hcr__guard_thread_ready __attribute__((tls_model("initial-exec")));

void hcr__guard_write_stderr(const char *text)
{
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, text, len);
        if (n <= 0)
            return;
        text += n;
        len -= (size_t)n;
    }
}

/* A signal the kernel raised for this thread's own instruction (or abort()
   in this process), as opposed to one sent by kill from elsewhere. */
static int is_own_fault(int signo, const siginfo_t *info)
{
    if (signo == SIGABRT)
        return info->si_code == SI_TKILL || info->si_code == SI_USER
                   ? info->si_pid == getpid()
                   : 0;
    return info->si_code > 0;
}

/* Hands a fault that is not ours to the handler installed before hcr, or
   to the default action. */
static void pass_on(int signo, siginfo_t *info, void *ucontext)
{
    const struct sigaction *prev = &previous_action[signo];
    if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction) {
        prev->sa_sigaction(signo, info, ucontext);
        return;
    }
    if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(signo);
        return;
    }
    /* Default action. A fault re-executes its instruction on return and now
       meets SIG_DFL; a signal that was sent is raised again. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(signo, &dfl, NULL);
    if (info->si_code <= 0 || signo == SIGABRT)
        raise(signo);
}

static void on_fatal_signal(int signo, siginfo_t *info, void *ucontext)
{
    int saved_errno = errno;
    struct hcr__guard *frame = hcr__guard_current();
    if (frame && is_own_fault(signo, info)) {
        hcr__guard_top = frame->outer;
        frame->signo = signo;
        frame->code = info->si_code;
        frame->fault_address = info->si_addr;
        frame->pc = (void *)hcr__arch_context_pc(ucontext);
        uintptr_t sp = hcr__arch_context_sp(ucontext), addr = (uintptr_t)info->si_addr;
        frame->stack_overflow = (signo == SIGSEGV || signo == SIGBUS) && sp &&
                                addr + GUARD_OVERFLOW_DISTANCE >= sp &&
                                addr <= sp + GUARD_OVERFLOW_DISTANCE;
        errno = saved_errno;
#ifdef HCR__GUARD_RUN_ASM
        if (frame->resume_sp) {
            /* Return from the handler into the guard's epilogue: the
               kernel restores the signal mask and leaves the alternate
               stack on the way. */
            extern char hcr__guard_resume[];
            void *resume_pc = frame->resume_pc ? frame->resume_pc : hcr__guard_resume;
            hcr__arch_context_resume(ucontext, (uintptr_t)frame->resume_sp,
                                     (uintptr_t)resume_pc, (uintptr_t)frame, -1);
            return;
        }
#endif
        HCR__GUARD_LONGJMP(frame->jump);
    }
    hcr__unguarded_hook hook = __atomic_load_n(&unguarded_hook, __ATOMIC_ACQUIRE);
    if (hook)
        hook(signo, info, (void *)hcr__arch_context_pc(ucontext));
    pass_on(signo, info, ucontext);
    errno = saved_errno;
}

static void free_altstack(void *stack)
{
    stack_t disable = {.ss_flags = SS_DISABLE};
    sigaltstack(&disable, NULL);
    munmap(stack, GUARD_ALTSTACK_SIZE);
}

static void install_handlers(void)
{
    if (pthread_key_create(&altstack_key, free_altstack) != 0) {
        install_result = HCR_ENOMEM;
        return;
    }
    for (size_t i = 0; i < HCR__ARRAY_SIZE(guarded_signals); i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = on_fatal_signal;
        /* NODEFER: the jump out of the handler restores no signal mask (that
           would cost a system call per guarded call), so the signal must not
           be blocked while the handler runs. */
        action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&action.sa_mask);
        if (sigaction(guarded_signals[i], &action, &previous_action[guarded_signals[i]]) != 0) {
            install_result = -errno;
            return;
        }
    }
}

/* Gives this thread an alternate signal stack unless it has one, so a
   stack overflow can still be handled. */
static int setup_thread(void)
{
    stack_t old;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) && old.ss_size >= 16384) {
        hcr__guard_thread_ready = 1;
        return 0;
    }
    void *stack = mmap(NULL, GUARD_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return HCR_ENOMEM;
    stack_t ss = {.ss_sp = stack, .ss_size = GUARD_ALTSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(stack, GUARD_ALTSTACK_SIZE);
        return -errno;
    }
    pthread_setspecific(altstack_key, stack);
    hcr__guard_thread_ready = 1;
    return 0;
}

int hcr__guard_init(void)
{
    pthread_once(&install_once, install_handlers);
    if (install_result < 0)
        return install_result;
    if (!hcr__guard_thread_ready) {
        int rc = setup_thread();
        if (rc < 0)
            return rc;
    }
    /* Set up, and outside any frame: the mark goes (see guard.h). */
    if (hcr__guard_top == HCR__GUARD_UNREADY)
        hcr__guard_top = NULL;
    return 0;
}

#ifndef HCR__GUARD_RUN_ASM
int hcr__guard_run(struct hcr__guard *g, int (*fn)(void *, int), void *arg, int op)
{
    if (HCR__GUARD_SETJMP(g->jump) == 0)
        return fn(arg, op);
    return -1;
}
#endif

void hcr__guard_set_unguarded_hook(hcr__unguarded_hook hook)
{
    __atomic_store_n(&unguarded_hook, hook, __ATOMIC_RELEASE);
}
