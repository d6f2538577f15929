/*
 * fault.c: the counting wrappers, the sweep, and the wait for an idle
 * thread of hcr's (see fault.h).
 */
#include "fault.h"

#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The linker's names for the real calls and for ours (-Wl,--wrap). */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_open(const char *path, int flags, ...);
int __real_openat(int dir, const char *path, int flags, ...);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_open(const char *path, int flags, ...);
int __wrap_openat(int dir, const char *path, int flags, ...);

/* Armed on the caller: the arming thread counts, in its own countdown, so
   hcr's threads run on uncounted. */
static _Thread_local long countdown; /* 0: disarmed; else calls left until the failing one */
static _Thread_local int hit;
/* Armed on hcr's threads: every thread but the arming one counts, in one
   shared countdown. */
static _Thread_local int arming_thread;
static atomic_long shared_countdown;
static atomic_int shared_hit;
/* Which calls count (FAULT_ALLOC...), set before arming. */
static atomic_uint counted;

static void trace(void)
{
    if (getenv("HCR_FAULT_TRACE")) {
        void *frames[16];
        backtrace_symbols_fd(frames, backtrace(frames, 16), 2);
    }
}

/* Whether this call, of kind `kind`, is the one to fail. */
static int fails(unsigned kind)
{
    if (!(atomic_load_explicit(&counted, memory_order_relaxed) & kind))
        return 0;
    if (countdown > 0) {
        if (--countdown)
            return 0;
        hit = 1;
    } else if (!arming_thread &&
               atomic_load_explicit(&shared_countdown, memory_order_relaxed) > 0) {
        if (atomic_fetch_sub(&shared_countdown, 1) != 1)
            return 0;
        atomic_store(&shared_hit, 1);
    } else {
        return 0;
    }
    trace();
    return 1;
}

void *__wrap_malloc(size_t size)
{
    return fails(FAULT_ALLOC) ? (errno = ENOMEM, NULL) : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fails(FAULT_ALLOC) ? (errno = ENOMEM, NULL) : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return fails(FAULT_ALLOC) ? (errno = ENOMEM, NULL) : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
    return fails(FAULT_ALLOC) ? (errno = ENOMEM, NULL) : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fails(FAULT_ALLOC) ? (errno = ENOMEM, NULL) : __real_strndup(s, n);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return fails(FAULT_MMAP) ? (errno = ENOMEM, MAP_FAILED)
                             : __real_mmap(addr, len, prot, flags, fd, off);
}

/* The mode argument is there only when the flags say so. */
static mode_t mode_of(int flags, va_list ap)
{
    return flags & (O_CREAT | O_TMPFILE) ? (mode_t)va_arg(ap, int) : 0;
}

/* A failed open says the process has no descriptor left, the failure an
   open of hcr's can meet anywhere. */
int __wrap_open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    return fails(FAULT_OPEN) ? (errno = EMFILE, -1) : __real_open(path, flags, mode);
}

int __wrap_openat(int dir, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    return fails(FAULT_OPEN) ? (errno = EMFILE, -1) : __real_openat(dir, path, flags, mode);
}

/* Arms for the Nth call of the case's kinds on the case's threads (n = 0
   disarms), and returns whether a previous arming's call was reached. */
static int arm(const struct fault_case *c, long n)
{
    int was_hit = hit || atomic_load(&shared_hit);
    countdown = 0;
    atomic_store(&shared_countdown, 0);
    if (n) {
        hit = 0;
        atomic_store(&shared_hit, 0);
        atomic_store(&counted, c->calls ? c->calls : FAULT_ALLOC | FAULT_MMAP);
        arming_thread = 1;
        if (c->on == FAULT_ON_HCR_THREADS)
            atomic_store(&shared_countdown, n);
        else
            countdown = n;
    }
    return was_hit;
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
        arm(c, n);
        int rc = c->op(c->arg);
        int faulted = arm(c, 0);
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
    const char *from = getenv("HCR_FAULT_FROM");
    for (long n = from ? atol(from) : 1;; n += step) {
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

/* Reads the first line of /proc/self/task/<task>/<file> into line. */
static int read_task_line(const char *task, const char *file, char *line, size_t size)
{
    char path[300];
    snprintf(path, sizeof path, "/proc/self/task/%s/%s", task, file);
    FILE *f = fopen(path, "r");
    int ok = f && fgets(line, (int)size, f);
    if (f)
        fclose(f);
    return ok;
}

/* How many times task has been switched out, voluntarily or not. */
static long switches_of(const char *task)
{
    char path[300], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%s/status", task);
    FILE *f = fopen(path, "r");
    long total = 0, n;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1 ||
            sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1)
            total += n;
    if (f)
        fclose(f);
    return total;
}

/* Whether the thread `name` of this process is asleep in poll() (or
   ppoll()) with no timeout, and how often it has been switched out then
   (*switches); 0 too when there is no such thread, or it is running.
   /proc tells the system call of a sleeping thread only. */
static int sleeps_in_poll(const char *name, long *switches)
{
    char wanted[32], line[512];
    snprintf(wanted, sizeof wanted, "%s\n", name);
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int sleeping = 0;
    while (d && (e = readdir(d))) {
        if (!read_task_line(e->d_name, "comm", line, sizeof line) || strcmp(line, wanted))
            continue;
        *switches = switches_of(e->d_name);
        long nr = -1;
        unsigned long long fds, nfds, timeout;
        if (read_task_line(e->d_name, "syscall", line, sizeof line) &&
            sscanf(line, "%ld %llx %llx %llx", &nr, &fds, &nfds, &timeout) == 4) {
#ifdef SYS_poll
            sleeping = nr == SYS_poll && (int)timeout < 0; /* an int: 0xffffffff */
#endif
            sleeping |= nr == SYS_ppoll && timeout == 0; /* a NULL timespec */
        }
        break;
    }
    if (d)
        closedir(d);
    return sleeping;
}

/* Whether the process has no child process, running or exited. */
static int no_children(void)
{
    siginfo_t info;
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
}

/* The thread must sleep before and after the look for children, and not
   have run in between: it may start a compile whenever it runs. */
static int idle(const char *name)
{
    long before = -1, after = -2;
    return sleeps_in_poll(name, &before) && no_children() && sleeps_in_poll(name, &after) &&
           before == after;
}

void fault_wait_idle(const char *name, int timeout_ms)
{
    for (int waited = 0; !idle(name); waited++) {
        if (waited > harness_scale(timeout_ms))
            harness_fail(__FILE__, __LINE__, "thread %s never became idle", name);
        harness_sleep_ms(1);
    }
}
