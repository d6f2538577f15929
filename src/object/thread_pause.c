/*
 * thread_pause.c: the pause described in thread_pause.h.
 *
 * Everything the handler touches is a plain array of slots filled before
 * any signal is sent, and words changed with atomics; it makes only system
 * calls that are async-signal-safe (gettid, clock_gettime, futex). The
 * pausing thread lists /proc/self/task with getdents64 on a descriptor
 * opened once, not with opendir: once one thread is paused, it may hold
 * the allocator's lock.
 */
#include "object/thread_pause.h"

#include "arch_context.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How long a thread may take to reach its handler before the pause looks
   at it: a thread runs its handler as soon as it is scheduled, unless it
   blocks the signal or a debugger holds it. One that could still arrive
   (it is waiting for a CPU on a busy machine, or for the disk) is given
   more time, up to RUNNABLE_TIMEOUT_NS in all. */
#define ARRIVAL_TIMEOUT_NS (500 * 1000 * 1000L)
#define RUNNABLE_TIMEOUT_NS (10 * 1000 * 1000 * 1000L)

struct slot {
    int tid;
    int arrived;         /* written by the handler */
    int gone;            /* the thread exited before it could arrive */
    int go;              /* let this thread alone run on (a nudge) */
    int inside;          /* its handler is between arrival and departure */
    uintptr_t pc, sp;
    uintptr_t stack_end;  /* end of the mapping holding sp, 0 if unknown */
    uint64_t arrived_ns;
};

static struct slot *slots;
static size_t nslots, slot_capacity;
static int arrived_count;   /* futex: handlers that arrived */
static int departed_count;  /* futex: handlers that left */
static int release_word;    /* futex: changes when the pause ends */
static int active;          /* a pause is being set up or held */
static uint64_t last_hold_ns;
static int handler_state;   /* 0 not installed, 1 ours, -1 the program's */

static long futex(int *word, int op, int value, const struct timespec *timeout)
{
    return syscall(SYS_futex, word, op, value, timeout, NULL, 0);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pause_handler(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)info;
    if (!__atomic_load_n(&active, __ATOMIC_SEQ_CST))
        return; /* sent for a pause that has ended */
    int saved_errno = errno;
    int self = (int)syscall(SYS_gettid);
    int release = __atomic_load_n(&release_word, __ATOMIC_SEQ_CST);
    struct slot *mine = NULL;
    size_t n = __atomic_load_n(&nslots, __ATOMIC_ACQUIRE);
    for (size_t i = 0; i < n && !mine; i++)
        if (slots[i].tid == self)
            mine = &slots[i];
    if (mine && !__atomic_load_n(&mine->arrived, __ATOMIC_ACQUIRE)) {
        /* inside, then active: the pauser writes them the other way round,
           so either it waits for this handler or this handler sees the
           pause is over. */
        __atomic_store_n(&mine->inside, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&active, __ATOMIC_SEQ_CST)) {
            mine->pc = hcr__arch_context_pc((const ucontext_t *)context);
            mine->sp = hcr__arch_context_sp((const ucontext_t *)context);
            mine->arrived_ns = now_ns();
            __atomic_store_n(&mine->arrived, 1, __ATOMIC_RELEASE);
            __atomic_add_fetch(&arrived_count, 1, __ATOMIC_ACQ_REL);
            futex(&arrived_count, FUTEX_WAKE_PRIVATE, 1, NULL);
            while (__atomic_load_n(&release_word, __ATOMIC_SEQ_CST) == release &&
                   !__atomic_load_n(&mine->go, __ATOMIC_ACQUIRE))
                futex(&release_word, FUTEX_WAIT_PRIVATE, release, NULL);
            __atomic_store_n(&mine->go, 0, __ATOMIC_RELEASE);
        }
        __atomic_store_n(&mine->inside, 0, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&departed_count, 1, __ATOMIC_ACQ_REL);
        futex(&departed_count, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL);
    }
    errno = saved_errno;
}

/* Installs the handler once. 0, or HCR_EBUSY when the program handles the
   signal itself. */
static int install_handler(struct hcr__message *msg)
{
    if (handler_state == 0) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = pause_handler;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigfillset(&sa.sa_mask);
        if (sigaction(HCR__PAUSE_SIGNAL, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
            sigaction(HCR__PAUSE_SIGNAL, &sa, NULL) == 0)
            handler_state = 1;
        else
            handler_state = -1;
    }
    if (handler_state < 0)
        return hcr__fail(msg, HCR_EBUSY,
                         "signal %d (SIGRTMAX-3), which hcr uses to pause threads while it "
                         "rewrites functions built without patchable entries, has a handler of "
                         "the program's",
                         HCR__PAUSE_SIGNAL);
    return 0;
}

/* The open /proc/self/task of this process. */
static int task_dir(void)
{
    static struct hcr__proc_fd task;
    return hcr__proc_fd(&task, "/proc/self/task", O_RDONLY | O_DIRECTORY);
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int known(int tid)
{
    for (size_t i = 0; i < nslots; i++)
        if (slots[i].tid == tid)
            return 1;
    return 0;
}

/* Sends the signal to every thread not yet sent it. The number of threads
   newly signalled, or -1 when /proc/self/task cannot be read, or -2 when
   the slots are full. */
static long signal_new_threads(int self)
{
    int fd = task_dir();
    if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
        return -1;
    char buf[4096] __attribute__((aligned(8)));
    long sent = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n < 0)
            return -1;
        if (n == 0)
            return sent;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            int tid = atoi(d->d_name);
            if (tid <= 0 || tid == self || known(tid))
                continue;
            if (nslots == slot_capacity)
                return -2;
            slots[nslots] = (struct slot){.tid = tid};
            __atomic_store_n(&nslots, nslots + 1, __ATOMIC_RELEASE);
            if (syscall(SYS_tgkill, getpid(), tid, HCR__PAUSE_SIGNAL) != 0)
                slots[nslots - 1].gone = 1; /* exited since the listing */
            else
                sent++;
        }
    }
}

/* Whether every thread signalled (and not gone) has arrived. */
static int all_arrived(void)
{
    for (size_t i = 0; i < nslots; i++)
        if (!slots[i].gone && !__atomic_load_n(&slots[i].arrived, __ATOMIC_ACQUIRE))
            return 0;
    return 1;
}

/* Whether thread `tid` still exists. */
static int thread_alive(int tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d", tid);
    return access(path, F_OK) == 0;
}

/* Reads /proc/self/task/<tid>/<name> into buf (NUL-terminated), with
   system calls only: other threads may be paused holding malloc's lock.
   The length read, or -1. */
static ssize_t read_task_file(int tid, const char *name, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/%s", tid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return n;
}

/* Whether thread tid blocks the pause signal. */
static int blocks_signal(int tid)
{
    char status[4096];
    unsigned long long mask;
    const char *b = read_task_file(tid, "status", status, sizeof status) > 0
                        ? strstr(status, "SigBlk:")
                        : NULL;
    return b && sscanf(b + 7, "%llx", &mask) == 1 && ((mask >> (HCR__PAUSE_SIGNAL - 1)) & 1);
}

/* Whether thread tid, not arrived yet, still may: it does not block the
   signal and is not stopped (by a debugger or SIGSTOP). Its state is the
   letter after the last ')' of its stat line (the name may hold one). */
static int may_still_arrive(int tid)
{
    char stat[512];
    if (read_task_file(tid, "stat", stat, sizeof stat) <= 0 || blocks_signal(tid))
        return 0;
    const char *paren = strrchr(stat, ')');
    char state = paren && paren[1] ? paren[2] : '?';
    return state == 'R' || state == 'S' || state == 'D';
}

/* Names a thread that did not arrive within waited_ns, in msg. */
static int fail_straggler(int tid, uint64_t waited_ns, struct hcr__message *msg)
{
    char comm[32];
    if (read_task_file(tid, "comm", comm, sizeof comm) <= 0)
        snprintf(comm, sizeof comm, "?");
    comm[strcspn(comm, "\n")] = 0;
    return hcr__fail(msg, HCR_EBUSY,
                     "thread %d (%s) did not pause within %llu ms%s; hcr pauses threads to "
                     "rewrite functions built without patchable entries",
                     tid, comm, (unsigned long long)(waited_ns / 1000000),
                     blocks_signal(tid) ? ": it blocks signal SIGRTMAX-3"
                                        : " (held by a debugger?)");
}

/* Waits until every thread signalled has arrived, or the deadline. */
static void wait_arrivals(uint64_t deadline)
{
    for (;;) {
        int have = __atomic_load_n(&arrived_count, __ATOMIC_ACQUIRE);
        uint64_t t = now_ns();
        if (all_arrived() || t >= deadline)
            return;
        uint64_t left = deadline - t < 1000000 ? deadline - t : 1000000;
        struct timespec wait = {0, (long)left};
        futex(&arrived_count, FUTEX_WAIT_PRIVATE, have, &wait);
    }
}

/* A thread signalled that has not arrived and still exists, or 0. */
static int straggler(void)
{
    for (size_t i = 0; i < nslots; i++) {
        struct slot *s = &slots[i];
        if (s->gone || __atomic_load_n(&s->arrived, __ATOMIC_ACQUIRE))
            continue;
        if (!thread_alive(s->tid)) {
            s->gone = 1;
            continue;
        }
        return s->tid;
    }
    return 0;
}

/* The slots are allocated once and never moved: a handler whose signal
   was still pending when a pause ended may read them at any time. */
#define MAX_THREADS 4096

/* Waits until the handler of slot s has left. */
static void wait_departed(const struct slot *s)
{
    for (;;) {
        int departed = __atomic_load_n(&departed_count, __ATOMIC_ACQUIRE);
        if (!__atomic_load_n(&s->inside, __ATOMIC_SEQ_CST))
            return;
        struct timespec wait = {0, 1000000};
        futex(&departed_count, FUTEX_WAIT_PRIVATE, departed, &wait);
    }
}

/* Ends a pause that is partly set up or complete. */
static void release_all(void)
{
    uint64_t end = now_ns(), longest = 0;
    __atomic_store_n(&active, 0, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&release_word, 1, __ATOMIC_SEQ_CST);
    futex(&release_word, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL);
    for (size_t i = 0; i < nslots; i++) {
        if (__atomic_load_n(&slots[i].arrived, __ATOMIC_ACQUIRE) &&
            end - slots[i].arrived_ns > longest)
            longest = end - slots[i].arrived_ns;
        wait_departed(&slots[i]);
    }
    last_hold_ns = longest;
    /* A handler whose signal comes after this sees no pause and returns. */
    __atomic_store_n(&nslots, 0, __ATOMIC_RELEASE);
}

int hcr__threads_pause(struct hcr__message *msg)
{
    int rc = install_handler(msg);
    if (rc < 0)
        return rc;
    if (!slots) {
        slots = calloc(MAX_THREADS, sizeof *slots);
        if (!slots)
            return hcr__fail(msg, HCR_ENOMEM, "out of memory pausing threads");
        slot_capacity = MAX_THREADS;
    }
    int self = (int)syscall(SYS_gettid);
    __atomic_store_n(&nslots, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&active, 1, __ATOMIC_SEQ_CST);
    uint64_t start = now_ns(), deadline = start + ARRIVAL_TIMEOUT_NS;
    for (;;) {
        long round;
        /* List again until no thread is new: a thread not yet paused may
           have started another. */
        while ((round = signal_new_threads(self)) != 0) {
            if (round < 0) {
                int e = errno;
                release_all();
                if (round == -2)
                    return hcr__fail(msg, HCR_EBUSY, "more than %d threads to pause",
                                     MAX_THREADS);
                return hcr__fail(msg, HCR_EIO, "cannot list the threads in /proc/self/task: %s",
                                 strerror(e));
            }
            wait_arrivals(deadline);
            if (now_ns() >= deadline)
                break;
        }
        int tid = straggler();
        if (!tid)
            return 0;
        uint64_t now = now_ns();
        if (now - start < RUNNABLE_TIMEOUT_NS && may_still_arrive(tid)) {
            deadline = now + ARRIVAL_TIMEOUT_NS;
            wait_arrivals(deadline);
            continue;
        }
        release_all();
        return fail_straggler(tid, now - start, msg);
    }
}

/* Fills stack_end of every paused thread from /proc/self/maps, read with
   system calls only. */
static void find_stack_ends(void)
{
    static char buf[16384];
    for (size_t i = 0; i < nslots; i++)
        slots[i].stack_end = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = 0;
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            char *end;
            uintptr_t lo = strtoull(line, &end, 16), hi = 0;
            if (*end == '-')
                hi = strtoull(end + 1, NULL, 16);
            for (size_t i = 0; i < nslots; i++)
                if (slots[i].arrived && slots[i].sp >= lo && slots[i].sp < hi)
                    slots[i].stack_end = hi;
            line = nl + 1;
        }
        have -= (size_t)(line - buf);
        memmove(buf, line, have);
    }
    close(fd);
}

/* Whether a word of [sp, end) is a value inside(). Other threads' stacks
   hold a sanitizer's poisoned red zones: reading them is the point. */
__attribute__((no_sanitize("address")))
static int stack_holds(uintptr_t sp, uintptr_t end, int (*inside)(uintptr_t, void *), void *user)
{
    for (uintptr_t at = sp & ~(uintptr_t)7; at + 8 <= end; at += 8)
        if (inside(*(const uintptr_t *)at, user))
            return 1;
    return 0;
}

int hcr__threads_scan(int (*pc_inside)(uintptr_t, void *),
                      int (*returns_inside)(uintptr_t, void *), void *user, int *tid)
{
    find_stack_ends();
    for (size_t i = 0; i < nslots; i++) {
        const struct slot *s = &slots[i];
        if (!s->arrived)
            continue;
        *tid = s->tid;
        if (pc_inside(s->pc, user))
            return 1;
        if (s->stack_end && stack_holds(s->sp, s->stack_end, returns_inside, user))
            return 2;
    }
    return 0;
}

int hcr__threads_nudge(int tid)
{
    struct slot *s = NULL;
    for (size_t i = 0; i < nslots && !s; i++)
        if (slots[i].tid == tid && slots[i].arrived)
            s = &slots[i];
    if (!s)
        return HCR_EINVAL;
    __atomic_store_n(&s->arrived, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&s->go, 1, __ATOMIC_RELEASE);
    futex(&release_word, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL);
    /* Once it has left its handler, it runs on: a signal sent while it was
       still inside would be taken before its next instruction. */
    wait_departed(s);
    sched_yield();
    int have = __atomic_load_n(&arrived_count, __ATOMIC_ACQUIRE);
    if (syscall(SYS_tgkill, getpid(), tid, HCR__PAUSE_SIGNAL) != 0) {
        s->gone = 1; /* it exited */
        return 0;
    }
    uint64_t deadline = now_ns() + ARRIVAL_TIMEOUT_NS;
    while (!__atomic_load_n(&s->arrived, __ATOMIC_ACQUIRE)) {
        uint64_t t = now_ns();
        if (t >= deadline)
            return HCR_EBUSY;
        uint64_t left = deadline - t < 1000000 ? deadline - t : 1000000;
        struct timespec wait = {0, (long)left};
        futex(&arrived_count, FUTEX_WAIT_PRIVATE, have, &wait);
        have = __atomic_load_n(&arrived_count, __ATOMIC_ACQUIRE);
    }
    return 0;
}

void hcr__threads_resume(void)
{
    static int sync_state; /* 0 not tried, 1 registered, -1 unavailable */
    if (sync_state == 0)
        sync_state = syscall(SYS_membarrier,
                             MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0) == 0
                         ? 1
                         : -1;
    /* Returning from a signal handler goes through the kernel, which
       serialises the returning CPU; the barrier covers a thread that was
       running, not paused, on another CPU (one that exited meanwhile). */
    if (sync_state == 1)
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0);
    release_all();
}

uint64_t hcr__threads_last_hold_ns(void)
{
    return last_hold_ns;
}
