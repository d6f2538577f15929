/*
 * watch.c: the process's one watch thread. Owns the inotify descriptor, the
 * list of watched files, and the rule that a removed watch's callback never
 * runs again. The thread starts with the first watch and stops with the
 * last, so a process that closes every plugin has no thread left behind.
 * While it runs, it also runs the work queue (work_queue.c), after the
 * file events waiting.
 *
 * Lock order: `life`, then `lock`, then the work queue's.
 */
#include "watch.h"

#include "internal.h"
#include "work_queue.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#define WATCH_DIR_EVENTS                                                                    \
    (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ATTRIB | IN_DELETE | IN_MOVED_FROM |     \
     IN_MODIFY | IN_ONLYDIR)

struct hcr__watch {
    struct hcr__watch *next;
    int wd;
    char *dir;
    char *name;
    hcr__watch_fn fn;
    void *user;
    /* Set by hcr__watch_remove. Who frees the watch depends on where the
       removal came from: its own callback (dispatch frees it once the
       callback returned), or another thread (which waits for a running
       callback to end, then frees it itself). */
    enum { WATCH_LIVE, WATCH_REMOVED, WATCH_REMOVED_BY_CALLBACK } removed;
};

static struct {
    pthread_mutex_t life; /* serialises starting and stopping the thread */
    pthread_mutex_t lock;
    pthread_cond_t callback_done;
    int inotify_fd;
    int wake_fd;
    pthread_t thread;
    int running;
    struct hcr__watch *list;
    struct hcr__watch *in_callback; /* whose callback runs now */
} W = {.life = PTHREAD_MUTEX_INITIALIZER,
       .lock = PTHREAD_MUTEX_INITIALIZER,
       .callback_done = PTHREAD_COND_INITIALIZER,
       .inotify_fd = -1,
       .wake_fd = -1};

/* On the watch thread: whether a file event waits to be read. */
static int event_waiting(void)
{
    struct pollfd fd = {W.inotify_fd, POLLIN, 0};
    return W.inotify_fd >= 0 && poll(&fd, 1, 0) > 0;
}

/* The work queue's wake-up (work_queue.h), called with its lock held.
   The stop descriptor doubles as the wake-up: the thread tells the two
   apart by whether `running` is still set. */
static void wake_for_work(void)
{
    uint64_t one = 1;
    ssize_t n = write(W.wake_fd, &one, sizeof one);
    (void)n;
}

static unsigned events_of(uint32_t mask)
{
    unsigned events = 0;
    if (mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
        events |= HCR__WATCH_COMPLETE;
    if (mask & (IN_CREATE | IN_ATTRIB))
        events |= HCR__WATCH_MAYBE;
    if (mask & (IN_DELETE | IN_MOVED_FROM))
        events |= HCR__WATCH_GONE;
    if (mask & IN_MODIFY)
        events |= HCR__WATCH_MODIFIED;
    return events;
}

static void unlink_locked(struct hcr__watch *w)
{
    for (struct hcr__watch **link = &W.list; *link; link = &(*link)->next)
        if (*link == w) {
            *link = w->next;
            return;
        }
}

static void free_watch(struct hcr__watch *w)
{
    free(w->dir);
    free(w->name);
    free(w);
}

/* Calls the callbacks of every live watch matching (wd, name), or of every
   watch when name is NULL (a rescan). Takes and releases W.lock. A watch
   removed by its own callback is freed here, once the callback returned. */
static void dispatch(int wd, const char *name, unsigned events)
{
    pthread_mutex_lock(&W.lock);
    struct hcr__watch *w = W.list;
    while (w) {
        if (w->removed || (name && (w->wd != wd || strcmp(w->name, name) != 0))) {
            w = w->next;
            continue;
        }
        W.in_callback = w;
        pthread_mutex_unlock(&W.lock);
        w->fn(w->user, events);
        pthread_mutex_lock(&W.lock);
        W.in_callback = NULL;
        pthread_cond_broadcast(&W.callback_done);
        /* Other watches may have been unlinked meanwhile, but always under
           the lock, so w->next is current. */
        struct hcr__watch *next = w->next;
        if (w->removed == WATCH_REMOVED_BY_CALLBACK) {
            unlink_locked(w);
            free_watch(w);
        }
        w = next;
    }
    pthread_mutex_unlock(&W.lock);
}

static void *watch_thread(void *unused)
{
    (void)unused;
    /* Named like hcr's other threads, for debuggers, top and the tests. */
    pthread_setname_np(pthread_self(), "hcr-watch");
    char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
        __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        struct pollfd fds[2] = {{W.inotify_fd, POLLIN, 0}, {W.wake_fd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        /* Events first: clean-up can wait for a reload, not the reverse. */
        ssize_t n = fds[0].revents ? read(W.inotify_fd, buf, sizeof buf) : 0;
        for (char *p = buf; n > 0 && p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW)
                dispatch(-1, NULL, HCR__WATCH_RESCAN);
            else if (ev->len > 0 && events_of(ev->mask))
                dispatch(ev->wd, ev->name, events_of(ev->mask));
        }
        if (fds[1].revents) {
            uint64_t count;
            n = read(W.wake_fd, &count, sizeof count);
            pthread_mutex_lock(&W.lock);
            int stop = !W.running;
            pthread_mutex_unlock(&W.lock);
            /* Deferred work yields to file events, except the last run,
               which must leave nothing queued. */
            hcr__work_run(stop ? NULL : event_waiting);
            if (stop)
                break;
        }
    }
    return NULL;
}

/* Starts the thread and descriptors; W.lock held. */
static int start_locked(struct hcr__message *msg)
{
    W.inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (W.inotify_fd < 0)
        return hcr__fail(msg, -errno, "cannot watch files: inotify_init1: %s", strerror(errno));
    W.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (W.wake_fd < 0) {
        int code = -errno;
        close(W.inotify_fd);
        return hcr__fail(msg, code, "cannot watch files: eventfd: %s", strerror(-code));
    }
    int rc = pthread_create(&W.thread, NULL, watch_thread, NULL);
    if (rc != 0) {
        close(W.inotify_fd);
        close(W.wake_fd);
        return hcr__fail(msg, -rc, "cannot start the watch thread: %s", strerror(rc));
    }
    W.running = 1;
    hcr__work_attach(wake_for_work);
    return 0;
}

static int split_path(const char *path, char **dir, char **name)
{
    const char *slash = strrchr(path, '/');
    if (slash) {
        *dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
        *name = strdup(slash + 1);
    } else {
        *dir = strdup(".");
        *name = strdup(path);
    }
    if (!*dir || !*name) {
        free(*dir);
        free(*name);
        return HCR_ENOMEM;
    }
    return 0;
}

int hcr__watch_add(const char *path, hcr__watch_fn fn, void *user, struct hcr__watch **out,
                   struct hcr__message *msg)
{
    struct hcr__watch *w = calloc(1, sizeof *w);
    if (!w || split_path(path, &w->dir, &w->name) != 0) {
        free(w);
        return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory", path);
    }
    w->fn = fn;
    w->user = user;

    pthread_mutex_lock(&W.life);
    pthread_mutex_lock(&W.lock);
    int rc = W.running ? 0 : start_locked(msg);
    if (rc == 0) {
        w->wd = inotify_add_watch(W.inotify_fd, w->dir, WATCH_DIR_EVENTS);
        if (w->wd < 0)
            rc = hcr__fail(msg, -errno, "%s: cannot watch directory %s: %s", path, w->dir,
                           strerror(errno));
    }
    if (rc == 0) {
        w->next = W.list;
        W.list = w;
    }
    pthread_mutex_unlock(&W.lock);
    pthread_mutex_unlock(&W.life);
    if (rc != 0) {
        free(w->dir);
        free(w->name);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void hcr__watch_remove(struct hcr__watch *w)
{
    if (!w)
        return;
    int from_callback = W.running && pthread_equal(pthread_self(), W.thread);
    if (!from_callback)
        pthread_mutex_lock(&W.life);
    pthread_mutex_lock(&W.lock);
    w->removed = from_callback ? WATCH_REMOVED_BY_CALLBACK : WATCH_REMOVED;
    if (!from_callback)
        while (W.in_callback == w)
            pthread_cond_wait(&W.callback_done, &W.lock);

    /* The directory watch is shared by every file in that directory. */
    int wd_used = 0;
    for (struct hcr__watch *o = W.list; o; o = o->next)
        if (o != w && !o->removed && o->wd == w->wd)
            wd_used = 1;
    if (!wd_used)
        inotify_rm_watch(W.inotify_fd, w->wd);

    if (from_callback) {
        pthread_mutex_unlock(&W.lock); /* dispatch frees it after the callback */
        return;
    }
    unlink_locked(w);
    free_watch(w);
    if (W.list) {
        pthread_mutex_unlock(&W.lock);
        pthread_mutex_unlock(&W.life);
        return;
    }

    /* Last watch gone: stop the thread. Work deferred from now on runs
       inline; what is queued the thread runs before it ends. */
    hcr__work_detach();
    pthread_t thread = W.thread;
    uint64_t one = 1;
    if (write(W.wake_fd, &one, sizeof one) < 0) {
        /* cannot fail on a fresh eventfd; the join below would hang if it did */
    }
    W.running = 0;
    pthread_mutex_unlock(&W.lock);
    pthread_join(thread, NULL);

    close(W.inotify_fd);
    close(W.wake_fd);
    W.inotify_fd = W.wake_fd = -1;
    pthread_mutex_unlock(&W.life);
}
