/*
 * fault.c: the counting allocator wrappers and the sweep (see fault.h).
 */
#include "fault.h"

#include "harness.h"

#include <errno.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* The linker's names for the real calls and for ours (-Wl,--wrap). */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

/* Armed on one thread only: hcr's own threads run on, counted never. */
static _Thread_local long countdown; /* 0: disarmed; else calls left until the failing one */
static _Thread_local int hit;

/* Whether this call is the one to fail. */
static int fails(void)
{
    if (countdown <= 0)
        return 0;
    if (--countdown)
        return 0;
    hit = 1;
    if (getenv("HCR_FAULT_TRACE")) {
        void *frames[16];
        backtrace_symbols_fd(frames, backtrace(frames, 16), 2);
    }
    errno = ENOMEM;
    return 1;
}

void *__wrap_malloc(size_t size)
{
    return fails() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return fails() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
    return fails() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fails() ? NULL : __real_strndup(s, n);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return fails() ? MAP_FAILED : __real_mmap(addr, len, prot, flags, fd, off);
}

/* LeakSanitizer's check, when the build has it. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));
int __lsan_do_recoverable_leak_check(void);

enum { RUN_FAULTED = 10, RUN_COMPLETE = 11 };

/* One run in a child: RUN_FAULTED or RUN_COMPLETE, or the test fails. */
static int run_once(const struct fault_case *c, long n)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        harness_fail(__FILE__, __LINE__, "%s: fork: %s", c->name, strerror(errno));
    if (pid == 0) {
        if (c->setup)
            c->setup(c->arg);
        hit = 0;
        countdown = n;
        int rc = c->op(c->arg);
        countdown = 0;
        int faulted = hit;
        c->check(c->arg, rc, faulted);
        if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check())
            harness_fail(__FILE__, __LINE__, "%s: leak after failing call %ld", c->name, n);
        fflush(NULL);
        _exit(faulted ? RUN_FAULTED : RUN_COMPLETE);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            harness_fail(__FILE__, __LINE__, "%s: waitpid: %s", c->name, strerror(errno));
    if (WIFEXITED(status) &&
        (WEXITSTATUS(status) == RUN_FAULTED || WEXITSTATUS(status) == RUN_COMPLETE))
        return WEXITSTATUS(status);
    harness_fail(__FILE__, __LINE__, "%s: with call %ld failing: %s %d", c->name, n,
                 WIFSIGNALED(status) ? "killed by signal" : "exit status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

int fault_sweep(const struct fault_case *c, int step)
{
    int runs = 0;
    for (long n = 1;; n += step) {
        runs++;
        if (run_once(c, n) == RUN_COMPLETE) {
            printf("     %s: %d runs, every %d of %ld calls failed in turn\n", c->name, runs,
                   step, n - 1);
            return runs;
        }
    }
}

int fault_step(int sampled)
{
    const char *all = getenv("HCR_FAULT_ALL");
    return all && !strcmp(all, "1") ? 1 : sampled;
}
