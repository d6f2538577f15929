/*
 * live.c: live editing (hcr_live_start, see hcr.h section 10). One thread
 * of hcr's does everything, so the program's own threads only ever pay for
 * the reload itself: it discovers the program's translation units
 * (units.h), watches the directories of their sources and of the headers
 * they include with inotify, turns the burst of events of one save into
 * one change, compiles the changed units in the background (live_compile.c)
 * and reloads each compiled object through object mode, at once or at the
 * program's hcr_live_poll().
 *
 * Idle, the thread is blocked in poll(): no system call, no CPU. A save
 * arriving while its unit compiles restarts that compile. Callbacks, log
 * sinks and reloads run with none of this file's locks held; `pending`
 * (objects waiting for hcr_live_poll) has its own lock, taken only to move
 * entries in or out.
 *
 * Processes: the processes of one program share one compile of each
 * change (live_share.c): only the leader discovers, watches and compiles;
 * the others reload what it publishes. A forked child keeps live editing:
 * the fork handlers below restart the thread in it, after letting go of
 * the parent's descriptors.
 *
 * Lock order: pending_lock, then object mode's reload lock; both are
 * held together only across a fork (fork_prepare), so that no other
 * thread holds either while the child is made.
 */
#include "live/live.h"
#include "object/object.h"
#include "plugin/plugin_internal.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

/* Quiet time after the last event of a save before compiling. The events
   of one save (write, rename, attributes) come within a millisecond or
   two; one that comes later still restarts the compile it would have
   missed, so the wait can be short: it is added to every reload. */
#define SETTLE_MS 2

static struct {
    atomic_int started;
    pthread_t thread;
    int wake_fd;                 /* eventfd: stop */
    int has_units;               /* the program has units of its own (checked once) */
    atomic_int gave_up;          /* the thread ended unasked: nothing to edit
                                    (forked children do not try again) */
    struct hcr__live *_Atomic running; /* the leader's state, for a forked child */
    struct hcr__live_share share;
    struct hcr_live_options options;
    char *compile_commands, *extra_cflags; /* owned copies of the options' strings */
    struct hcr__log log;
    pthread_mutex_t pending_lock;
    struct hcr__live_ready *pending; /* changes waiting for hcr_live_poll */
    size_t npending, pending_cap;
} L = {.pending_lock = PTHREAD_MUTEX_INITIALIZER};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- reloading -------------------------------------------------------- */

/* Reloads one change on the calling thread, as one transaction, with the
   callbacks around it and one line of report. 0 or the reload's code. */
static int reload_change(const struct hcr__live_ready *c)
{
    struct hcr__reload_item *items = calloc(c->n, sizeof *items);
    if (!items) {
        hcr__log(&L.log, HCR_LOG_ERROR, "live: out of memory reloading %s", c->sources[0]);
        return HCR_ENOMEM;
    }
    for (size_t i = 0; i < c->n; i++)
        items[i] = (struct hcr__reload_item){c->objects[i], c->sources[i], {0}};
    struct hcr_live_event ev = {c->sources[0], c->objects[0], 0, c->compile_ms, 0, c->n,
                                (const char *const *)c->sources,
                                (const char *const *)c->objects};
    if (L.options.before_reload)
        L.options.before_reload(&ev, L.options.callback_user);
    double t0 = now_ms();
    int rc = hcr__object_reload_batch(items, c->n, 1);
    ev.reload_ms = now_ms() - t0;
    ev.status = rc;
    struct hcr__reload_stats sum = {0};
    for (size_t i = 0; i < c->n; i++) {
        sum.redirected += items[i].stats.redirected;
        sum.new_functions += items[i].stats.new_functions;
        sum.kept += items[i].stats.kept;
    }
    free(items);
    char names[512];
    hcr__live_ready_names(c, names, sizeof names);
    if (rc == 0)
        hcr__log(&L.log, HCR_LOG_INFO,
                 "live: %s reloaded: %zu functions redirected, %zu new, %zu variables kept "
                 "(compile %.0f ms, reload %.1f ms)",
                 names, sum.redirected, sum.new_functions, sum.kept, c->compile_ms,
                 ev.reload_ms);
    else
        hcr__log(&L.log, HCR_LOG_ERROR, "live: %s not reloaded, the program keeps its code: %s",
                 names, hcr_object_error());
    if (L.options.after_reload)
        L.options.after_reload(&ev, L.options.callback_user);
    return rc;
}

/* Reloads a change at once, or queues it for hcr_live_poll (taking it). */
static void reload_or_queue(struct hcr__live_ready *ready)
{
    if (L.options.when != HCR_LIVE_AT_POLL) {
        reload_change(ready);
        hcr__live_ready_free(ready);
        return;
    }
    pthread_mutex_lock(&L.pending_lock);
    struct hcr__live_ready *grown =
        hcr__grow(L.pending, L.npending, &L.pending_cap, sizeof *grown, 8);
    if (grown) {
        L.pending = grown;
        L.pending[L.npending++] = *ready;
    }
    pthread_mutex_unlock(&L.pending_lock);
    if (!grown) {
        hcr__log(&L.log, HCR_LOG_ERROR, "live: out of memory queueing %s", ready->sources[0]);
        hcr__live_ready_free(ready);
    }
}

/* Reloads one change, compiled here or by another process of the program
   (live_share.c): its objects as one transaction. */
static void deliver(const struct hcr__live_object *objects, size_t n)
{
    struct hcr__live_ready ready = {0};
    ready.sources = calloc(n ? n : 1, sizeof *ready.sources);
    ready.objects = calloc(n ? n : 1, sizeof *ready.objects);
    int ok = ready.sources && ready.objects;
    for (size_t i = 0; ok && i < n; i++) {
        ready.sources[i] = strdup(objects[i].source);
        ready.objects[i] = strdup(objects[i].object);
        ok = ready.sources[i] && ready.objects[i];
        ready.n = i + 1;
        if (objects[i].compile_ms > ready.compile_ms)
            ready.compile_ms = objects[i].compile_ms;
    }
    if (!ok || !n) {
        if (!ok)
            hcr__log(&L.log, HCR_LOG_ERROR, "live: out of memory reloading a change");
        hcr__live_ready_free(&ready);
        return;
    }
    reload_or_queue(&ready);
}

/* The compiler runner's callback in the leader: when unit u's object
   completes its change, the change is published for every process of the
   program, this one included, which reload it through deliver(); when it
   cannot be, it is reloaded here alone. */
static void compiled(struct hcr__live *lv, size_t u, const char *object, double compile_ms)
{
    struct hcr__live_ready ready;
    if (!hcr__live_change_compiled(lv, u, object, compile_ms, &ready))
        return;
    struct hcr__live_object *change = calloc(ready.n, sizeof *change);
    for (size_t i = 0; change && i < ready.n; i++)
        change[i] = (struct hcr__live_object){ready.sources[i], ready.objects[i],
                                              ready.compile_ms};
    if (change && hcr__live_share_publish(&L.share, change, ready.n) == 0) {
        free(change);
        hcr__live_ready_free(&ready);
        return;
    }
    free(change);
    reload_or_queue(&ready);
}

/* ---- events ------------------------------------------------------------ */

/* Marks unit u as changed at time `at`, in the change `*gather`
   collects. */
static void unit_changed(struct hcr__live *lv, size_t u, double at, unsigned *gather)
{
    lv->state[u].changed_at = at;
    lv->state[u].dirty = 1;
    hcr__live_change_join(lv, u, gather);
}

/* Marks every unit whose source or one of whose headers is `path` as
   changed. */
static void file_changed(struct hcr__live *lv, const char *path, double at, unsigned *gather)
{
    for (size_t u = 0; u < lv->units.n; u++)
        if (hcr__live_unit_uses(lv, u, path))
            unit_changed(lv, u, at, gather);
}

/* Reads every queued inotify event. */
static void read_events(struct hcr__live *lv)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    double at = now_ms();
    unsigned gather = 0; /* the change these events make */
    for (;;) {
        ssize_t n = read(lv->inotify_fd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            p += sizeof *e + e->len;
            const char *dir = hcr__live_watched_dir(lv, e->wd);
            if (e->mask & IN_Q_OVERFLOW) {
                for (size_t u = 0; u < lv->units.n; u++)
                    unit_changed(lv, u, at, &gather);
                continue;
            }
            if (!dir || !e->len)
                continue;
            char path[PATH_MAX];
            if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->name) < sizeof path)
                file_changed(lv, path, at, &gather);
        }
    }
}

/* Whether unit u's change can be compiled now: a slot is free, or u's
   own compile (or preprocessing) runs and is to be restarted. */
static int can_start(const struct hcr__live *lv, size_t u)
{
    return hcr__live_compile_can_start(lv) || hcr__live_compile_running(lv, u);
}

/* How long poll() may sleep: until the earliest changed unit that can
   start has been quiet for SETTLE_MS; -1 (forever, or until a compile
   ends) when none can. */
static int sleep_ms(const struct hcr__live *lv)
{
    double until = -1;
    for (size_t u = 0; u < lv->units.n; u++)
        if (lv->state[u].dirty && can_start(lv, u) &&
            (until < 0 || lv->state[u].changed_at + SETTLE_MS < until))
            until = lv->state[u].changed_at + SETTLE_MS;
    if (until < 0)
        return -1;
    double left = until - now_ms();
    return left <= 0 ? 0 : (int)left + 1;
}

/* Starts compiling the units whose change has settled; a unit that is
   compiling already is restarted. */
static void start_settled(struct hcr__live *lv)
{
    double now = now_ms();
    for (size_t u = 0; u < lv->units.n; u++) {
        struct hcr__live_unit_state *s = &lv->state[u];
        if (!s->dirty || s->changed_at + SETTLE_MS > now || !can_start(lv, u))
            continue;
        s->dirty = 0;
        hcr__live_compile_start(lv, u);
    }
}

/* The leader's work: discovers, then watches, compiles and reloads until
   stopped (1). 0 when discovery found nothing to edit or failed (logged). */
static int lead(void)
{
    struct hcr__live *lv = malloc(sizeof *lv);
    if (!lv) {
        hcr__log(&L.log, HCR_LOG_ERROR, "live: out of memory starting to watch the sources");
        return 0;
    }
    hcr__live_init(lv);
    /* Published before any descriptor is opened: a fork from now on
       closes them in the child. */
    atomic_store(&L.running, lv);
    if (hcr__live_discover(lv, L.compile_commands, &L.log) < 0) {
        atomic_store(&L.running, NULL);
        free(lv);
        return 0;
    }
    lv->extra_cflags = L.extra_cflags;
    lv->compiled = compiled;
    lv->compile_failed = hcr__live_change_failed;
    for (;;) {
        struct pollfd fds[2 + HCR__LIVE_MAX_COMPILES];
        size_t nfds = 0;
        fds[nfds++] = (struct pollfd){.fd = L.wake_fd, .events = POLLIN};
        fds[nfds++] = (struct pollfd){.fd = lv->inotify_fd, .events = POLLIN};
        nfds += hcr__live_compile_fds(lv, fds + nfds);
        if (poll(fds, (nfds_t)nfds, sleep_ms(lv)) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (fds[1].revents)
            read_events(lv);
        hcr__live_compile_reap(lv);
        start_settled(lv);
        hcr__live_compile_learn_deps(lv);
    }
    atomic_store(&L.running, NULL);
    hcr__live_compile_cancel_all(lv);
    hcr__live_changes_drop(lv);
    hcr__live_close(lv);
    free(lv);
    return 1;
}

static void *live_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "hcr-live");
    if (!L.has_units && L.options.quiet_without_units && !hcr__live_has_units()) {
        atomic_store(&L.gave_up, 1);
        return NULL;
    }
    L.has_units = 1;
    /* Index the process's symbols now, not in the first reload. */
    struct hcr__message msg = {{0}};
    if (hcr__object_prepare(&msg) < 0)
        hcr__log(&L.log, HCR_LOG_WARN, "live: %s", msg.text);
    if (hcr__live_share_start(&L.share, L.wake_fd, L.compile_commands, L.extra_cflags) &&
        !lead())
        atomic_store(&L.gave_up, 1);
    hcr__live_share_leave(&L.share);
    return NULL;
}

/* Starts the live thread with every signal blocked: hcr's threads take
   no signal meant for the program (the takeover thread inherits the
   mask). 0 or a negative errno. */
static int start_thread(void)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = -pthread_create(&L.thread, NULL, live_thread, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* ---- fork ------------------------------------------------------------- */

/* Before a fork: no other thread may hold a lock the child needs, for
   it would never be released there (see the lock order above). */
static void fork_prepare(void)
{
    pthread_mutex_lock(&L.pending_lock);
    hcr__object_atfork_prepare();
}

static void fork_parent(void)
{
    hcr__object_atfork_release();
    pthread_mutex_unlock(&L.pending_lock);
}

/* In the child, only the thread that forked runs: the live thread's
   descriptors are the parent's (closed here; its compiles are left to
   it) and a new live thread joins the program's session, where it
   follows, reloading what the parent had not reloaded yet. A fork from a
   reload callback, on the live thread itself, gives a child without live
   editing: such a child is expected to exec or exit. */
static void fork_child(void)
{
    fork_parent();
    if (!atomic_load(&L.started) || atomic_load(&L.gave_up) ||
        pthread_equal(pthread_self(), L.thread))
        return;
    close(L.wake_fd);
    struct hcr__live *lv = atomic_exchange(&L.running, NULL);
    if (lv)
        hcr__live_abandon(lv); /* its memory stays: it may have been changing */
    hcr__live_share_abandon(&L.share);
    L.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int rc = L.wake_fd < 0 ? -errno : start_thread();
    if (rc < 0) {
        hcr__log(&L.log, HCR_LOG_ERROR, "live: not restarted in forked process %d: %s",
                 (int)getpid(), hcr_strerror(rc));
        if (L.wake_fd >= 0)
            close(L.wake_fd);
        atomic_store(&L.started, 0);
    }
}

static void register_fork_handlers(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* ---- the API ------------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int hcr_live_start(const struct hcr_live_options *options)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&L.started, &expected, 1))
        return HCR_EBUSY;
    struct hcr_live_options none = {0};
    L.options = options ? *options : none;
    L.compile_commands = dup_or_null(L.options.compile_commands);
    L.extra_cflags = dup_or_null(L.options.extra_cflags);
    L.log = (struct hcr__log){L.options.log, L.options.log_user};
    L.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    atomic_store(&L.gave_up, 0);
    hcr__live_share_init(&L.share, &L.log, deliver);
    static pthread_once_t fork_handlers = PTHREAD_ONCE_INIT;
    pthread_once(&fork_handlers, register_fork_handlers);
    int rc = 0;
    if ((L.options.compile_commands && !L.compile_commands) ||
        (L.options.extra_cflags && !L.extra_cflags))
        rc = HCR_ENOMEM;
    else if (L.wake_fd < 0)
        rc = -errno;
    if (rc == 0)
        rc = start_thread();
    if (rc < 0) {
        hcr__log(&L.log, HCR_LOG_ERROR, "live: cannot start: %s", hcr_strerror(rc));
        if (L.wake_fd >= 0)
            close(L.wake_fd);
        free(L.compile_commands);
        free(L.extra_cflags);
        atomic_store(&L.started, 0);
    }
    return rc;
}

void hcr_live_stop(void)
{
    if (!atomic_load(&L.started))
        return;
    if (pthread_equal(pthread_self(), L.thread)) {
        /* From a reload callback: the live thread cannot wait for itself. */
        hcr__log(&L.log, HCR_LOG_ERROR,
                 "live: hcr_live_stop called from a reload callback; call it from another "
                 "thread");
        return;
    }
    uint64_t one = 1;
    if (write(L.wake_fd, &one, sizeof one) < 0)
        hcr__log(&L.log, HCR_LOG_WARN, "live: cannot wake the live thread: %s", strerror(errno));
    pthread_join(L.thread, NULL);
    close(L.wake_fd);
    free(L.compile_commands);
    free(L.extra_cflags);
    pthread_mutex_lock(&L.pending_lock);
    for (size_t i = 0; i < L.npending; i++)
        hcr__live_ready_free(&L.pending[i]);
    free(L.pending);
    L.pending = NULL;
    L.npending = L.pending_cap = 0;
    pthread_mutex_unlock(&L.pending_lock);
    atomic_store(&L.started, 0);
}

int hcr_live_poll(void)
{
    if (!atomic_load(&L.started) || L.options.when != HCR_LIVE_AT_POLL)
        return 0;
    pthread_mutex_lock(&L.pending_lock);
    struct hcr__live_ready *changes = L.pending;
    size_t n = L.npending;
    L.pending = NULL;
    L.npending = L.pending_cap = 0;
    pthread_mutex_unlock(&L.pending_lock);
    int rc = 0, done = 0;
    for (size_t i = 0; i < n; i++) {
        int e = reload_change(&changes[i]);
        if (e < 0 && rc == 0)
            rc = e;
        done += e == 0;
        hcr__live_ready_free(&changes[i]);
    }
    free(changes);
    return rc < 0 ? rc : done;
}
