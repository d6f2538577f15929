/*
 * proc_fd.c: a descriptor of a file under /proc/self kept open for the
 * process. After a fork the child's copy still refers to the parent's
 * file (/proc/self was resolved at open), so it is reopened the first time
 * the child asks. A fork is noticed by a counter a fork handler bumps in
 * the child, not by getpid(): that is a system call, and the patcher asks
 * for its descriptor once per write of code.
 */
#include "internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

static unsigned forks; /* children this process is, by fork() */
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

/* Runs in the child, alone: a plain increment is enough. */
static void count_fork(void)
{
    __atomic_store_n(&forks, __atomic_load_n(&forks, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

static void install_handler(void)
{
    pthread_atfork(NULL, NULL, count_fork);
}

int hcr__proc_fd(struct hcr__proc_fd *f, const char *path, int flags)
{
    /* Installed before the first open: every fork after it is counted. */
    pthread_once(&handler_once, install_handler);
    unsigned generation = __atomic_load_n(&forks, __ATOMIC_RELAXED);
    if (f->opened && f->generation == generation && f->fd >= 0)
        return f->fd; /* a failed open is tried again next time */
    if (f->opened && f->fd >= 0)
        close(f->fd);
    f->fd = open(path, flags | O_CLOEXEC);
    f->generation = generation;
    f->opened = 1;
    return f->fd;
}
