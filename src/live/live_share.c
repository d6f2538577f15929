/*
 * live_share.c: one compile serves every process of a program (see
 * live.h, "shared compiles"). The processes running one build share a
 * session directory (live_session.c). One of them, the leader, holds the
 * write lock on byte 1 of its members.lock: it alone discovers, watches
 * and compiles, and publishes each compiled change (its objects, then a
 * record naming them, live_record.c) before reloading it itself. The
 * others follow: their live thread sleeps in poll() on an inotify watch of
 * the records directory and reloads each new record's objects in order,
 * while a second thread ("hcr-takeover") sleeps in the kernel waiting for
 * the leader's lock. When the leader ends, the kernel hands the lock to
 * one waiter, whose live thread then becomes the leader. Idle, both
 * threads are blocked: no system call, no CPU.
 *
 * The wait is fcntl(F_OFD_SETLKW), not flock(): it is a cancellation
 * point, so a follower that stops live editing can end its takeover
 * thread with pthread_cancel; a thread blocked in flock() could not be
 * ended at all.
 *
 * Which changes a process has: `applied` is the number of the newest
 * record it has reloaded (or queued for hcr_live_poll). A forked child
 * inherits it, so it reloads what its parent had not reloaded yet; a new
 * process starts at 0 and reloads the session's changes from the first,
 * so that it runs what the others run.
 */
#include "live/live.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const uint64_t one = 1;

void hcr__live_share_init(struct hcr__live_share *s, const struct hcr__log *log,
                          hcr__live_deliver_fn deliver)
{
    memset(s, 0, sizeof *s);
    s->log = log;
    s->deliver = deliver;
    s->dir_fd = s->lock_fd = s->watch_fd = s->takeover_fd = -1;
    s->next = 1; /* record numbers start at 1 */
}

/* ---- reading records ---------------------------------------------------- */

static int by_number(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

/* The numbers of the session's records above `after`, ascending, into
   *out (malloc'ed), and the highest number of all into *newest. The count,
   or a negative code with msg. */
static ssize_t list_records(const struct hcr__live_share *s, unsigned long long after,
                            unsigned long long **out, unsigned long long *newest,
                            struct hcr__message *msg)
{
    int fd = openat(s->dir_fd, HCR__LIVE_RECORDS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return hcr__fail(msg, -e, "cannot read %s/%s: %s", s->dir, HCR__LIVE_RECORDS_DIR,
                         strerror(e));
    }
    unsigned long long *v = NULL, seq;
    size_t n = 0, cap = 0;
    *newest = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!hcr__live_record_seq(e->d_name, &seq))
            continue;
        if (seq > *newest)
            *newest = seq;
        if (seq <= after)
            continue;
        unsigned long long *grown = hcr__grow(v, n, &cap, sizeof *grown, 8);
        if (!grown) {
            free(v);
            closedir(d);
            return hcr__fail(msg, HCR_ENOMEM, "out of memory listing %s", s->dir);
        }
        v = grown;
        v[n++] = seq;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof *v, by_number);
    *out = v;
    return (ssize_t)n;
}

/* Reloads record `seq` through s->deliver; an unreadable record is logged
   and skipped (the leader reloaded it; this process keeps its code). */
static void apply_record(struct hcr__live_share *s, unsigned long long seq)
{
    char name[32], objects_dir[PATH_MAX];
    snprintf(name, sizeof name, "%llu" HCR__LIVE_RECORD_SUFFIX, seq);
    snprintf(objects_dir, sizeof objects_dir, "%s/%s", s->dir, HCR__LIVE_OBJECTS_DIR);
    int fd = openat(s->dir_fd, HCR__LIVE_RECORDS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct hcr__live_object *objects = NULL;
    size_t n = 0;
    struct hcr__message msg = {{0}};
    int rc = fd >= 0 ? hcr__live_record_read(fd, name, objects_dir, &objects, &n, &msg)
                     : hcr__fail(&msg, -errno, "cannot open %s/%s: %s", s->dir,
                                 HCR__LIVE_RECORDS_DIR, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (rc < 0)
        hcr__log(s->log, HCR_LOG_ERROR, "live: %s/%s: %s; this process keeps its code",
                 s->dir, HCR__LIVE_RECORDS_DIR, msg.text);
    else
        s->deliver(objects, n);
    hcr__live_objects_free(objects, n);
    atomic_store(&s->applied, seq);
}

/* Reloads every record this process has not reloaded yet, in order, and
   notes the next free record number. */
static void catch_up(struct hcr__live_share *s)
{
    unsigned long long *seqs = NULL, newest = 0;
    struct hcr__message msg = {{0}};
    ssize_t n = list_records(s, atomic_load(&s->applied), &seqs, &newest, &msg);
    if (n < 0)
        hcr__log(s->log, HCR_LOG_ERROR, "live: %s", msg.text);
    for (ssize_t i = 0; i < n; i++)
        apply_record(s, seqs[i]);
    free(seqs);
    if (newest >= s->next)
        s->next = newest + 1;
}

/* ---- following ---------------------------------------------------------- */

/* The takeover thread: blocks until this process holds the leader's lock,
   then says so through takeover_fd. Ended by pthread_cancel when live
   editing stops first. Keeps nothing on its own stack: AddressSanitizer
   (gcc 12) reports a stack-buffer-underflow once a cancelled thread's
   frames held locals it had poisoned. */
static void *takeover_thread(void *arg)
{
    struct hcr__live_share *s = arg;
    pthread_setname_np(pthread_self(), "hcr-takeover");
    while (fcntl(s->lock_fd, F_OFD_SETLKW, &s->leader_wait) != 0) {
        if (errno != EINTR) {
            s->takeover_errno = errno;
            break;
        }
    }
    if (write(s->takeover_fd, &one, sizeof one) < 0)
        s->takeover_errno = errno;
    return NULL;
}

/* Ends the takeover thread, waiting or not, and closes what following
   used. */
static void stop_following(struct hcr__live_share *s)
{
    if (s->takeover_running) {
        pthread_cancel(s->takeover);
        pthread_join(s->takeover, NULL);
        s->takeover_running = 0;
    }
    int watch = s->watch_fd, takeover = s->takeover_fd;
    s->watch_fd = s->takeover_fd = -1; /* before the close: see live.h */
    if (watch >= 0)
        close(watch);
    if (takeover >= 0)
        close(takeover);
}

/* pthread_create(takeover_thread), tried again for a while on EAGAIN:
   besides a lack of resources, that is how clone fails in a process
   while another of its threads executes a program, as a forked child
   does right after the fork (hcr's thread was restarted in it). The
   exec then ends this thread during the wait, before it could say
   anything. 0 or an errno. */
static int create_takeover_thread(struct hcr__live_share *s)
{
    int rc = EAGAIN;
    for (int tries = 0; rc == EAGAIN && tries < 50; tries++) {
        if (tries)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
        rc = pthread_create(&s->takeover, NULL, takeover_thread, s);
    }
    return rc;
}

/* Sets up following: the watch on the records directory (before the
   first catch-up, so no record falls between the two) and the takeover
   thread. 0, or a negative code with msg. */
static int start_following(struct hcr__live_share *s, struct hcr__message *msg)
{
    char records[PATH_MAX];
    snprintf(records, sizeof records, "%s/%s", s->dir, HCR__LIVE_RECORDS_DIR);
    s->watch_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (s->watch_fd < 0 ||
        inotify_add_watch(s->watch_fd, records, IN_MOVED_TO | IN_Q_OVERFLOW) < 0)
        return hcr__fail(msg, -errno, "cannot watch %s: %s", records, strerror(errno));
    s->takeover_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->takeover_fd < 0)
        return hcr__fail(msg, -errno, "eventfd: %s", strerror(errno));
    s->leader_wait = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET,
                                    .l_start = HCR__LIVE_LEADER_BYTE, .l_len = 1};
    s->takeover_errno = 0;
    int rc = create_takeover_thread(s);
    if (rc != 0)
        return hcr__fail(msg, -rc, "cannot start the takeover thread: %s", strerror(rc));
    s->takeover_running = 1;
    return 0;
}

/* Reads (and drops) every queued inotify event. */
static void drain(int fd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

/* Follows the leader until this process takes over (1) or wake_fd says
   stop (0). A failure to follow is logged and this process leads alone
   (1), compiling for itself. */
static int follow(struct hcr__live_share *s, int wake_fd)
{
    struct hcr__message msg = {{0}};
    if (start_following(s, &msg) < 0) {
        hcr__log(s->log, HCR_LOG_WARN, "live: %s; this process compiles for itself", msg.text);
        stop_following(s);
        hcr__live_session_leave(s);
        return 1;
    }
    catch_up(s);
    for (;;) {
        struct pollfd fds[3] = {{.fd = wake_fd, .events = POLLIN},
                                {.fd = s->watch_fd, .events = POLLIN},
                                {.fd = s->takeover_fd, .events = POLLIN}};
        if (poll(fds, 3, -1) < 0 && errno != EINTR) {
            hcr__log(s->log, HCR_LOG_ERROR, "live: poll: %s", strerror(errno));
            return 0;
        }
        if (fds[0].revents)
            return 0;
        if (fds[1].revents) {
            drain(s->watch_fd);
            catch_up(s);
        }
        if (fds[2].revents)
            break;
    }
    stop_following(s); /* joins the thread, which has ended */
    if (s->takeover_errno) {
        hcr__log(s->log, HCR_LOG_WARN,
                 "live: cannot wait for the lock of %s: %s; this process compiles for itself",
                 s->dir, strerror(s->takeover_errno));
        hcr__live_session_leave(s);
        return 1;
    }
    catch_up(s);
    s->leader = 1;
    hcr__log(s->log, HCR_LOG_DEBUG, "live: process %d now compiles for the session %s",
             (int)getpid(), s->dir);
    return 1;
}

int hcr__live_share_wait_to_lead(struct hcr__live_share *s, int wake_fd)
{
    if (!s->joined)
        return 1;
    int rc = hcr__live_lock_byte(s->lock_fd, F_WRLCK, HCR__LIVE_LEADER_BYTE, 0);
    if (rc == 0) {
        catch_up(s);
        s->leader = 1;
        return 1;
    }
    if (rc == -EAGAIN || rc == -EACCES)
        return follow(s, wake_fd);
    hcr__log(s->log, HCR_LOG_WARN, "live: cannot lock %s: %s; this process compiles for itself",
             s->dir, strerror(-rc));
    hcr__live_session_leave(s);
    return 1;
}

int hcr__live_share_start(struct hcr__live_share *s, int wake_fd, const char *compile_commands,
                          const char *extra_cflags)
{
    char name[128];
    struct hcr__message msg = {{0}};
    int rc = hcr__live_session_name(name, sizeof name, compile_commands, extra_cflags, &msg);
    if (rc == 0)
        rc = hcr__live_session_join(s, hcr__live_session_parent(), name, &msg);
    if (rc < 0) {
        hcr__log(s->log, HCR_LOG_WARN,
                 "live: %s; this process compiles for itself, not shared with the other "
                 "processes of the program",
                 msg.text);
        return 1;
    }
    return hcr__live_share_wait_to_lead(s, wake_fd);
}

/* ---- publishing --------------------------------------------------------- */

/* Copies what remains of `in` to `out`. 0 or a negative errno. */
static int copy_contents(int in, int out)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : 0;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return w < 0 ? -errno : -EIO;
            done += w;
        }
    }
}

/* Copies the file at `from` to `name` of directory dir_fd, through a
   temporary name. 0 or a negative errno. */
static int copy_file(const char *from, int dir_fd, const char *name)
{
    char tmp[NAME_MAX + 1];
    snprintf(tmp, sizeof tmp, ".%.200s.tmp", name);
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    int out = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = out < 0 ? -errno : copy_contents(in, out);
    if (out >= 0 && close(out) != 0 && rc == 0)
        rc = -errno;
    close(in);
    if (rc == 0 && renameat(dir_fd, tmp, dir_fd, name) != 0)
        rc = -errno;
    if (rc < 0 && out >= 0)
        unlinkat(dir_fd, tmp, 0);
    return rc;
}

/* Puts the object at `from` into the objects directory as `name`: a hard
   link where the cache is on the same file system, else a copy. An object
   left there by a leader that ended before its record is replaced (no
   record names it). 0 or a negative errno. */
static int put_object(int dir_fd, const char *from, const char *name)
{
    if (linkat(AT_FDCWD, from, dir_fd, name, 0) == 0)
        return 0;
    if (errno == EEXIST && unlinkat(dir_fd, name, 0) == 0 &&
        linkat(AT_FDCWD, from, dir_fd, name, 0) == 0)
        return 0;
    return copy_file(from, dir_fd, name);
}

/* Publishes the objects and the record of change `seq`. 0, or a negative
   code with msg (whatever was put in place is removed). */
static int publish_record(struct hcr__live_share *s, unsigned long long seq,
                          const struct hcr__live_object *objects, size_t n,
                          char names[][32], struct hcr__message *msg)
{
    int objects_fd = openat(s->dir_fd, HCR__LIVE_OBJECTS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int records_fd = openat(s->dir_fd, HCR__LIVE_RECORDS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = objects_fd < 0 || records_fd < 0
                 ? hcr__fail(msg, -errno, "cannot open %s: %s", s->dir, strerror(errno))
                 : 0;
    size_t put = 0;
    for (; rc == 0 && put < n; put++) {
        snprintf(names[put], 32, "%llu-%zu.o", seq, put);
        int e = put_object(objects_fd, objects[put].object, names[put]);
        if (e < 0) {
            rc = hcr__fail(msg, e, "cannot put %s into %s/%s: %s", objects[put].object, s->dir,
                           HCR__LIVE_OBJECTS_DIR, strerror(-e));
            break;
        }
    }
    char *text = NULL;
    const char *name_ptrs[HCR__LIVE_RECORD_MAX_OBJECTS];
    for (size_t i = 0; rc == 0 && i < n; i++)
        name_ptrs[i] = names[i];
    if (rc == 0 && (rc = hcr__live_record_format(objects, n, name_ptrs, &text, msg)) == 0)
        rc = hcr__live_record_write(records_fd, seq, text, msg);
    free(text);
    for (size_t i = 0; rc < 0 && i < put; i++)
        unlinkat(objects_fd, names[i], 0);
    if (objects_fd >= 0)
        close(objects_fd);
    if (records_fd >= 0)
        close(records_fd);
    return rc;
}

int hcr__live_share_publish(struct hcr__live_share *s, const struct hcr__live_object *objects,
                            size_t n)
{
    if (!s->joined || !s->leader)
        return HCR_EINVAL;
    struct hcr__message msg = {{0}};
    char (*names)[32] = n && n <= HCR__LIVE_RECORD_MAX_OBJECTS ? calloc(n, sizeof *names) : NULL;
    int rc = names ? publish_record(s, s->next, objects, n, names, &msg)
                   : hcr__fail(&msg, n ? HCR_ENOMEM : HCR_EINVAL, "%zu objects in a change", n);
    if (rc == HCR_EBUSY) {
        /* A record with that number exists already: number after it. */
        catch_up(s);
        rc = publish_record(s, s->next, objects, n, names, &msg);
    }
    if (rc < 0) {
        hcr__log(s->log, HCR_LOG_WARN,
                 "live: the other processes of the program do not get this change: %s",
                 msg.text);
        free(names);
        return rc;
    }
    unsigned long long seq = s->next++;
    struct hcr__live_object *published = calloc(n, sizeof *published);
    char *paths = calloc(n, PATH_MAX);
    if (!published || !paths) {
        free(published);
        free(paths);
        free(names);
        s->deliver(objects, n); /* the cache's objects are the same */
        atomic_store(&s->applied, seq);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char *path = paths + i * PATH_MAX;
        snprintf(path, PATH_MAX, "%s/%s/%s", s->dir, HCR__LIVE_OBJECTS_DIR, names[i]);
        published[i] = (struct hcr__live_object){objects[i].source, path, objects[i].compile_ms};
    }
    /* Reloaded from the session's copy: the cache goes when this process
       stops, and a forked child may reload the change later. */
    s->deliver(published, n);
    atomic_store(&s->applied, seq);
    free(published);
    free(paths);
    free(names);
    return 0;
}

/* ---- ending ------------------------------------------------------------- */

void hcr__live_share_leave(struct hcr__live_share *s)
{
    stop_following(s);
    hcr__live_session_leave(s);
    s->leader = 0;
}

void hcr__live_share_abandon(struct hcr__live_share *s)
{
    /* Only the forking thread came over: the takeover thread is gone, and
       its lock request with it. */
    s->takeover_running = 0;
    if (s->watch_fd >= 0)
        close(s->watch_fd);
    if (s->takeover_fd >= 0)
        close(s->takeover_fd);
    s->watch_fd = s->takeover_fd = -1;
    s->leader = 0;
    hcr__live_session_abandon(s);
}
