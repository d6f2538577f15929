/* plain_reload.c: the baseline hcr's reload is measured against, the
 * plainest design that loads a new build safely. A thread of its own waits
 * on inotify for the build to be renamed into place or closed after
 * writing, copies it with copy_file_range into a new file beside it (same
 * file system, so the kernel copies without the bytes passing through this
 * process), dlopens the copy and publishes the handle; the host's update
 * takes it and calls the new hcr_main. No validation, no state, no crash
 * protection: what is left is the copy and the load. Old handles are closed
 * on the thread, not by the host, and the build copied last is kept open
 * until the next arrives, as hcr keeps it: otherwise the build tool's
 * rename over it frees its blocks inside rename() (3 ms for 8 MB on ext4)
 * before the event is sent, and the baseline would pay for the file
 * system, not for its design. */
#include "plain_reload.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int (*main_fn)(struct hcr_plugin *, enum hcr_op);

struct plain_reload {
    char dir[512], name[128], path[700];
    int inotify, wake;
    int held;                   /* the build copied last, open, or -1 */
    pthread_t thread;
    _Atomic int stop;
    unsigned copies;            /* copy files made, for their names */
    void *_Atomic pending;      /* loaded by the thread, not yet taken */
    void *_Atomic retired;      /* replaced by the host, to close */
    void *current;
    main_fn main;
    unsigned version;
    struct hcr_plugin ctx;      /* what the guest is given */
};

/* Copies src into a new file dst: copy_file_range, or sendfile where the
   kernel cannot copy between the two. src open, or -1 with a message. */
static int copy_build(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    struct stat st;
    int ok = in >= 0 && out >= 0 && fstat(in, &st) == 0;
    off_t done = 0;
    while (ok && done < st.st_size) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(st.st_size - done), 0);
        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP))
            n = sendfile(out, in, NULL, (size_t)(st.st_size - done));
        if (n <= 0)
            ok = 0;
        else
            done += n;
    }
    if (!ok)
        fprintf(stderr, "plain reload: cannot copy %s to %s: %s\n", src, dst, strerror(errno));
    if (out >= 0)
        close(out);
    if (!ok && in >= 0)
        close(in);
    return ok ? in : -1;
}

/* Copies and loads the build now in place; publishes it. */
static void load_build(struct plain_reload *r)
{
    char copy[800];
    snprintf(copy, sizeof copy, "%s/.plain-%u-%s", r->dir, ++r->copies, r->name);
    int build = copy_build(r->path, copy);
    if (build < 0) {
        unlink(copy);
        return;
    }
    void *handle = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
    unlink(copy); /* the mapping keeps it */
    if (!handle) {
        fprintf(stderr, "plain reload: %s\n", dlerror());
        close(build);
        return;
    }
    void *unseen = atomic_exchange(&r->pending, handle);
    if (unseen)
        dlclose(unseen);
    if (r->held >= 0)
        close(r->held);
    r->held = build;
}

/* Whether the inotify events waiting name the build. */
static int build_arrived(struct plain_reload *r)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int seen = 0;
    ssize_t n = read(r->inotify, buf, sizeof buf);
    for (ssize_t at = 0; at + (ssize_t)sizeof(struct inotify_event) <= n;) {
        const struct inotify_event *e = (const struct inotify_event *)(buf + at);
        if (e->len && strcmp(e->name, r->name) == 0)
            seen = 1;
        at += (ssize_t)sizeof *e + e->len;
    }
    return seen;
}

static void *run(void *arg)
{
    struct plain_reload *r = arg;
    while (!atomic_load(&r->stop)) {
        struct pollfd fds[2] = {{r->inotify, POLLIN, 0}, {r->wake, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0)
            continue;
        if (fds[1].revents) {
            uint64_t count;
            if (read(r->wake, &count, sizeof count) < 0)
                continue;
        }
        void *old = atomic_exchange(&r->retired, NULL);
        if (old)
            dlclose(old);
        if (fds[0].revents && build_arrived(r))
            load_build(r);
    }
    return NULL;
}

/* Takes a newly loaded build, if there is one. */
static void take_pending(struct plain_reload *r)
{
    void *handle = atomic_exchange(&r->pending, NULL);
    if (!handle)
        return;
    main_fn fn = (main_fn)dlsym(handle, "hcr_main");
    if (!fn) {
        atomic_store(&r->retired, handle);
        return;
    }
    void *old = r->current;
    r->current = handle;
    r->main = fn;
    r->version++;
    if (old) {
        void *unclosed = atomic_exchange(&r->retired, old);
        if (unclosed)
            dlclose(unclosed); /* the thread is behind: rare */
        uint64_t one = 1;
        if (write(r->wake, &one, sizeof one) < 0)
            perror("plain reload: eventfd");
    }
}

int plain_reload_update(struct plain_reload *r)
{
    if (atomic_load_explicit(&r->pending, memory_order_relaxed))
        take_pending(r);
    return r->main ? r->main(&r->ctx, HCR_STEP) : -2;
}

unsigned plain_reload_version(const struct plain_reload *r)
{
    return r->version;
}

struct plain_reload *plain_reload_open(const char *path)
{
    struct plain_reload *r = calloc(1, sizeof *r);
    const char *slash = strrchr(path, '/');
    if (!r || !slash || (size_t)(slash - path) >= sizeof r->dir ||
        strlen(slash + 1) >= sizeof r->name) {
        free(r);
        return NULL;
    }
    snprintf(r->dir, sizeof r->dir, "%.*s", (int)(slash - path), path);
    snprintf(r->name, sizeof r->name, "%s", slash + 1);
    snprintf(r->path, sizeof r->path, "%s", path);
    r->held = -1;
    r->inotify = inotify_init1(IN_CLOEXEC);
    r->wake = eventfd(0, EFD_CLOEXEC);
    if (r->inotify < 0 || r->wake < 0 ||
        inotify_add_watch(r->inotify, r->dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        perror("plain reload: inotify");
        exit(1);
    }
    load_build(r);
    take_pending(r);
    if (!r->current) {
        fprintf(stderr, "plain reload: cannot load %s\n", path);
        exit(1);
    }
    pthread_create(&r->thread, NULL, run, r);
    return r;
}

void plain_reload_close(struct plain_reload *r)
{
    atomic_store(&r->stop, 1);
    uint64_t one = 1;
    if (write(r->wake, &one, sizeof one) < 0)
        perror("plain reload: eventfd");
    pthread_join(r->thread, NULL);
    void *left[] = {atomic_load(&r->pending), atomic_load(&r->retired), r->current};
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++)
        if (left[i])
            dlclose(left[i]);
    if (r->held >= 0)
        close(r->held);
    close(r->inotify);
    close(r->wake);
    free(r);
}
