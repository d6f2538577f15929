/*
 * live_session.c: the session directory that the processes of one program
 * share for live editing (see live.h, "shared compiles"): where it is,
 * that it is ours, who is in it, and removing the sessions nobody is in.
 *
 * A session is <parent>/hcr-live-<uid>-<identity>: the parent is
 * $XDG_RUNTIME_DIR when it is a private directory of ours, else /tmp; the
 * identity hashes the executable's file (device, inode, size, modification
 * time) and the options that change what a compile makes, so that only
 * processes running the same build with the same options share. It holds
 * members.lock, records/ and objects/. The directory must be ours and
 * mode 0700, or it is refused (another user could have made it first).
 *
 * members.lock carries open-file-description locks (fcntl F_OFD_*): byte
 * 0 is read-locked by every member, byte 1 write-locked by the leader
 * (live_share.c). Such a lock belongs to the open file, not the process,
 * so a forked child reopens the file rather than sharing its parent's.
 * A session whose byte 0 can be write-locked has no member: it is renamed
 * away under that lock and removed. A process joining checks, once it
 * holds its read lock, that the session is still at its path; if it was
 * removed meanwhile, it joins again.
 */
#include "live/live.h"
#include "plugin/plugin_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SESSION_PREFIX "hcr-live-"
#define DEAD_MARK ".dead."
#define LOCK_FILE "members.lock"
#define JOIN_ATTEMPTS 8 /* a session removed under us each time: give up */

int hcr__live_lock_byte(int fd, short type, off_t byte, int wait)
{
    struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1};
    int rc;
    while ((rc = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &l)) != 0 && errno == EINTR)
        ;
    return rc == 0 ? 0 : -errno;
}

/* FNV-1a, 64 bits: enough to tell builds apart; not a defence (the
   directory's owner and mode are). */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t hash_string(uint64_t h, const char *s)
{
    /* The terminating NUL too: ("ab", "c") and ("a", "bc") differ. */
    return s ? hash_bytes(h, s, strlen(s) + 1) : hash_bytes(h, "", 1);
}

int hcr__live_session_name(char *out, size_t size, const char *compile_commands,
                           const char *extra_cflags, struct hcr__message *msg)
{
    struct stat st;
    if (stat("/proc/self/exe", &st) != 0)
        return hcr__fail(msg, -errno, "cannot stat /proc/self/exe: %s", strerror(errno));
    uint64_t h = 0xcbf29ce484222325ull;
    int64_t facts[] = {(int64_t)st.st_dev, (int64_t)st.st_ino, (int64_t)st.st_size,
                       (int64_t)st.st_mtim.tv_sec, (int64_t)st.st_mtim.tv_nsec};
    h = hash_bytes(h, facts, sizeof facts);
    h = hash_string(h, compile_commands);
    h = hash_string(h, extra_cflags);
    int n = snprintf(out, size, SESSION_PREFIX "%u-%016llx", (unsigned)geteuid(),
                     (unsigned long long)h);
    if (n < 0 || (size_t)n >= size)
        return hcr__fail(msg, HCR_ERANGE, "session name too long");
    return 0;
}

/* Whether fd is a directory of ours that nobody else may enter. */
static int private_dir(int fd, const char *path, struct hcr__message *msg)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return hcr__fail(msg, -errno, "cannot stat %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
        return hcr__fail(msg, HCR_EACCES,
                         "%s is not a private directory of this user (owner %u, mode %03o): "
                         "remove it, or set XDG_RUNTIME_DIR to a private directory",
                         path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
    return 0;
}

const char *hcr__live_session_parent(void)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
        st.st_uid == geteuid() && !(st.st_mode & 022))
        return xdg;
    return "/tmp";
}

/* Removes the session `name` of directory parent_fd if nobody is in it:
   renamed away under the members' lock first, so that a process joining
   at that moment finds it gone and makes a new one. */
static void remove_if_empty(int parent_fd, const char *parent, const char *name)
{
    int dead = strstr(name, DEAD_MARK) != NULL;
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct hcr__message ignored;
    if (fd < 0 || private_dir(fd, name, &ignored) < 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    int lock = openat(fd, LOCK_FILE, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    close(fd);
    /* No lock file: being made (or, dead, half removed). */
    if (lock < 0 && !dead)
        return;
    if (lock >= 0 && hcr__live_lock_byte(lock, F_WRLCK, HCR__LIVE_MEMBERS_BYTE, 0) < 0) {
        close(lock);
        return;
    }
    char gone[NAME_MAX + 1], path[PATH_MAX];
    static atomic_uint counter;
    const char *remove_name = name;
    if (!dead) {
        snprintf(gone, sizeof gone, "%.180s" DEAD_MARK "%d.%u", name, (int)getpid(),
                 atomic_fetch_add(&counter, 1));
        if (renameat(parent_fd, name, parent_fd, gone) != 0) {
            close(lock);
            return;
        }
        remove_name = gone;
    }
    if ((size_t)snprintf(path, sizeof path, "%s/%s", parent, remove_name) < sizeof path)
        hcr__snapshot_dir_remove(path);
    if (lock >= 0)
        close(lock);
}

/* Removes every session of this user under `parent` that nobody is in
   (left by processes that ended): each run would otherwise leave one. */
static void remove_empty_sessions(const char *parent)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, SESSION_PREFIX "%u-", (unsigned)geteuid());
    DIR *d = opendir(parent);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));)
        if (!strncmp(e->d_name, prefix, strlen(prefix)))
            remove_if_empty(dirfd(d), parent, e->d_name);
    closedir(d);
}

/* Whether the session s->dir_fd, s->lock_fd is still at s->dir (nobody
   removed it while this process waited for its read lock). */
static int still_there(const struct hcr__live_share *s)
{
    struct stat held, at_path, lock_held, lock_at_path;
    return fstat(s->dir_fd, &held) == 0 && stat(s->dir, &at_path) == 0 &&
           held.st_dev == at_path.st_dev && held.st_ino == at_path.st_ino &&
           fstat(s->lock_fd, &lock_held) == 0 &&
           fstatat(s->dir_fd, LOCK_FILE, &lock_at_path, AT_SYMLINK_NOFOLLOW) == 0 &&
           lock_held.st_ino == lock_at_path.st_ino;
}

/* Closes *fd, marked closed first (see hcr__live_share_abandon). */
static void close_fd(int *fd)
{
    int was = *fd;
    *fd = -1;
    if (was >= 0)
        close(was);
}

static void close_fds(struct hcr__live_share *s)
{
    close_fd(&s->lock_fd);
    close_fd(&s->dir_fd);
}

/* Opens the lock file of the open session directory and waits for a
   member's read lock. 0 or a negative code with msg. */
static int lock_membership(struct hcr__live_share *s, int create, struct hcr__message *msg)
{
    s->lock_fd = openat(s->dir_fd, LOCK_FILE,
                        O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
    if (s->lock_fd < 0)
        return hcr__fail(msg, -errno, "cannot open %s/%s: %s", s->dir, LOCK_FILE,
                         strerror(errno));
    int rc = hcr__live_lock_byte(s->lock_fd, F_RDLCK, HCR__LIVE_MEMBERS_BYTE, 1);
    if (rc < 0)
        return hcr__fail(msg, rc, "cannot lock %s/%s: %s", s->dir, LOCK_FILE, strerror(-rc));
    return 0;
}

/* One attempt at making or opening the session at s->dir and becoming a
   member. 1 when joined, 0 when it was removed meanwhile (try again), or
   a negative code with msg. */
static int join_once(struct hcr__live_share *s, struct hcr__message *msg)
{
    if (mkdir(s->dir, 0700) != 0 && errno != EEXIST)
        return hcr__fail(msg, -errno, "cannot create %s: %s", s->dir, strerror(errno));
    s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s->dir_fd < 0) {
        int e = errno;
        struct stat st;
        int link = lstat(s->dir, &st) == 0 && S_ISLNK(st.st_mode);
        return hcr__fail(msg, link ? HCR_EACCES : -e, "cannot open %s: %s", s->dir,
                         link ? "it is a symbolic link, not a private directory: remove it"
                              : strerror(e));
    }
    int rc = private_dir(s->dir_fd, s->dir, msg);
    if (rc == 0)
        rc = lock_membership(s, 1, msg);
    if (rc < 0)
        return rc;
    if (still_there(s))
        return 1;
    close_fds(s);
    return 0;
}

/* Makes the records and objects directories of a joined session. */
static int make_subdirs(struct hcr__live_share *s, struct hcr__message *msg)
{
    static const char *const subdirs[] = {HCR__LIVE_RECORDS_DIR, HCR__LIVE_OBJECTS_DIR};
    for (size_t i = 0; i < HCR__ARRAY_SIZE(subdirs); i++)
        if (mkdirat(s->dir_fd, subdirs[i], 0700) != 0 && errno != EEXIST)
            return hcr__fail(msg, -errno, "cannot create %s/%s: %s", s->dir, subdirs[i],
                             strerror(errno));
    return 0;
}

/* After a fork: becomes a member of the session the parent was in, through
   the directory the parent held open. 1 when joined, 0 when that session
   is gone, or a negative code. */
static int rejoin(struct hcr__live_share *s, struct hcr__message *msg)
{
    int rc = lock_membership(s, 0, msg);
    if (rc == 0 && still_there(s))
        return 1;
    close_fds(s);
    return rc == HCR_ENOENT ? 0 : rc;
}

/* Frees s->parent, s->name and s->dir, each set to NULL before it is
   freed (see hcr__live_session_abandon). */
static void free_paths(struct hcr__live_share *s)
{
    char *parent = s->parent, *name = s->name, *dir = s->dir;
    s->parent = s->name = s->dir = NULL;
    free(parent);
    free(name);
    free(dir);
}

/* Sets s->parent, s->name and s->dir. 0 or HCR_ENOMEM. */
static int set_paths(struct hcr__live_share *s, const char *parent, const char *name,
                     struct hcr__message *msg)
{
    free_paths(s);
    char *p = strdup(parent), *n = strdup(name), *dir = NULL;
    if (!p || !n || asprintf(&dir, "%s/%s", parent, name) < 0) {
        free(p);
        free(n);
        return hcr__fail(msg, HCR_ENOMEM, "out of memory");
    }
    s->parent = p;
    s->name = n;
    s->dir = dir;
    return 0;
}

int hcr__live_session_join(struct hcr__live_share *s, const char *parent, const char *name,
                           struct hcr__message *msg)
{
    int rc = 0;
    if (s->dir_fd >= 0 && s->dir) {
        rc = rejoin(s, msg);
        if (rc == 0)
            atomic_store(&s->applied, 0); /* a new session numbers its changes anew */
    }
    if (rc == 0 && (rc = set_paths(s, parent, name, msg)) == 0) {
        remove_empty_sessions(parent);
        for (int i = 0; i < JOIN_ATTEMPTS && rc == 0; i++)
            rc = join_once(s, msg);
        if (rc == 0)
            rc = hcr__fail(msg, HCR_EBUSY, "%s was removed %d times while joining it", s->dir,
                           JOIN_ATTEMPTS);
    }
    if (rc > 0)
        rc = make_subdirs(s, msg);
    if (rc < 0) {
        close_fds(s);
        return rc;
    }
    s->joined = 1;
    return 0;
}

void hcr__live_session_leave(struct hcr__live_share *s)
{
    int joined = s->joined;
    s->joined = 0; /* first: a fork from here on joins anew */
    if (joined) {
        /* Without our read lock, the session is removed if nobody else is
           in it: nobody would read its records. */
        hcr__live_lock_byte(s->lock_fd, F_UNLCK, HCR__LIVE_MEMBERS_BYTE, 0);
        int parent_fd = open(s->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent_fd >= 0) {
            remove_if_empty(parent_fd, s->parent, s->name);
            close(parent_fd);
        }
    }
    close_fds(s);
    free_paths(s);
}

void hcr__live_session_abandon(struct hcr__live_share *s)
{
    /* The lock file is shared with the parent: closing our descriptor
       leaves the parent's locks alone (unlocking would release them).
       Joined, the paths are settled and the directory is reopened, so
       that rejoining finds the same session; otherwise the parent's
       thread may have been changing them: they are dropped, not freed. */
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    s->lock_fd = -1;
    int own = s->joined && s->dir_fd >= 0
                  ? openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                  : -1;
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    s->dir_fd = own;
    if (own < 0)
        s->parent = s->name = s->dir = NULL;
    s->joined = 0;
}
