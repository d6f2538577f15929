/*
 * proc_fd.c: a descriptor of a file under /proc/self kept open for the
 * process. After a fork the child's copy still refers to the parent's
 * file (/proc/self was resolved at open), so it is reopened the first time
 * the child asks.
 */
#include "internal.h"

#include <fcntl.h>
#include <unistd.h>

int hcr__proc_fd(struct hcr__proc_fd *f, const char *path, int flags)
{
    pid_t pid = getpid();
    if (f->opened && f->pid == pid && f->fd >= 0)
        return f->fd; /* a failed open is tried again next time */
    if (f->opened && f->fd >= 0)
        close(f->fd);
    f->fd = open(path, flags | O_CLOEXEC);
    f->pid = pid;
    f->opened = 1;
    return f->fd;
}
