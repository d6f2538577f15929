/*
 * live.h: what the parts of live editing share. live.c owns the thread and
 * the API; live_discover.c finds the units, watches their directories and
 * knows which files each unit uses; live_compile.c runs the compiler;
 * live_session.c, live_share.c and live_record.c let the processes of one
 * program share one compile of each change. All of it runs on the live
 * thread (and, for a follower, its takeover thread, which only waits for
 * a lock), so nothing here is locked.
 */
#ifndef HCR_LIVE_LIVE_H
#define HCR_LIVE_LIVE_H

#include "internal.h"
#include "live/units.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HCR__LIVE_MAX_COMPILES 8 /* compiles at once, at most one per core */

/* What the live thread knows of one unit. */
struct hcr__live_unit_state {
    int dirty;              /* changed, not yet compiled */
    double changed_at;      /* monotonic ms of its last change */
    char **uses;            /* files it was built from (the source, then its
                               headers), from the last dependency file;
                               NULL before its first compile */
    size_t nuses;
    unsigned compiles;      /* compiles started, for unique object names */
    int need_deps;          /* no dependency run or compile started yet */
    int deps_known;         /* `uses` comes from a dependency file */
    /* Its part in a change (live.c): the units one save touched reload
       together, once each has compiled. */
    unsigned change;        /* the open change it belongs to; 0: none */
    char *object;           /* compiled for that change, waiting for the others */
    double compile_ms;
    int failed;             /* its last compile failed: the change waits for a good save */
};

/* A running compile. */
struct hcr__live_compile {
    pid_t pid;              /* 0: slot free */
    int pidfd;
    size_t unit;
    int deps_only;          /* preprocessing only, to learn the unit's headers */
    double started_ms;
    char *object, *depfile;
};

struct hcr__live {
    struct hcr__live_units units;
    struct hcr__live_unit_state *state;
    int inotify_fd;
    struct hcr__live_dir {
        int wd;             /* inotify watch descriptor */
        char *path;
    } *dirs;                /* watched directories */
    size_t ndirs, dirs_cap;
    char *cache_dir;        /* private, mode 0700; removed at close */
    char commands_from[4096]; /* the database's path, or "its debug information" */
    const char *extra_cflags;
    const struct hcr__log *log;
    struct hcr__live_compile compiles[HCR__LIVE_MAX_COMPILES];
    size_t max_compiles;
    unsigned last_change;   /* the newest change's number */
    /* Called on the live thread when unit u compiled into `object` (which
       the callee may keep, or unlink), or failed to compile (the
       compiler has printed why). */
    void (*compiled)(struct hcr__live *lv, size_t u, const char *object, double compile_ms);
    void (*compile_failed)(struct hcr__live *lv, size_t u);
};

/* ---- live_discover.c ---- */

/* Whether the running program has units of its own: compilation units
   of C sources that exist, in its debug information. Logs nothing: a
   program without (/bin/sh, make) started by a live program under hcr
   run is left alone without a word. */
int hcr__live_has_units(void);

/* Empties lv for hcr__live_discover: no units, no descriptor. */
void hcr__live_init(struct hcr__live *lv);

/* Finds the running program's units (compile_commands path or NULL to
   search, see units.h; else its debug information), makes the cache
   directory and watches the directories of every source. lv as left by
   hcr__live_init. 0, or a negative code with the reason logged (lv is
   closed; the live thread then ends). */
int hcr__live_discover(struct hcr__live *lv, const char *compile_commands,
                       const struct hcr__log *log);

/* Whether unit u was built from `path` (its source or a header). */
int hcr__live_unit_uses(const struct hcr__live *lv, size_t u, const char *path);

/* Replaces what unit u uses with the files its dependency file lists, and
   watches their directories. */
void hcr__live_set_uses(struct hcr__live *lv, size_t u, const char *depfile);

/* The watched directory of inotify watch descriptor wd, or NULL. */
const char *hcr__live_watched_dir(const struct hcr__live *lv, int wd);

/* Frees everything and removes the cache directory (lv is then as after
   hcr__live_init, but for its compile slots). */
void hcr__live_close(struct hcr__live *lv);

/* In a forked child, while the parent's live thread may have been
   anywhere in lv: closes the descriptors inherited from it (inotify, the
   compiles' pidfds), frees nothing, and leaves the parent's cache and
   compiles alone. Every descriptor field of lv is set only once the
   descriptor is open and reset to -1 before it is closed, so this closes
   only descriptors of the parent's thread (one being opened at the fork
   may stay open). */
void hcr__live_abandon(struct hcr__live *lv);

/* ---- live_change.c ---- */

/* A change whose every unit compiled: reloaded as one transaction. */
struct hcr__live_ready {
    size_t n;
    char **sources;         /* owned copies */
    char **objects;         /* owned */
    double compile_ms;      /* the longest of its compiles */
};

/* Puts unit u, just changed, into the change `*gather` collects (one
   batch of file events): the open change u is in, merged with *gather,
   or *gather, or a new one (*gather 0). An object u compiled before is
   stale and dropped. */
void hcr__live_change_join(struct hcr__live *lv, size_t u, unsigned *gather);

/* Unit u compiled into `object` (copied). Returns 1 with *ready filled
   when that completes u's change (closed then), else 0. */
int hcr__live_change_compiled(struct hcr__live *lv, size_t u, const char *object,
                              double compile_ms, struct hcr__live_ready *ready);

/* Unit u failed to compile: logged, naming the change it holds back. */
void hcr__live_change_failed(struct hcr__live *lv, size_t u);

/* Drops every open change and the objects waiting in them. */
void hcr__live_changes_drop(struct hcr__live *lv);

void hcr__live_ready_free(struct hcr__live_ready *ready);

/* The base names of a ready change's units, comma-separated, into buf. */
void hcr__live_ready_names(const struct hcr__live_ready *ready, char *buf, size_t size);

/* ---- live_compile.c ---- */

/* Starts compiling unit u into a fresh object of the cache (a compile of u
   already running is killed first). Failures are logged. */
void hcr__live_compile_start(struct hcr__live *lv, size_t u);

/* Starts preprocessing one unit whose headers are not known yet, if a
   compile slot is free: a header edited before the unit's first compile
   then recompiles it too. */
void hcr__live_compile_learn_deps(struct hcr__live *lv);

/* Whether another compile may start now (at most one per core). */
int hcr__live_compile_can_start(const struct hcr__live *lv);

/* Whether unit u has a compile (or a preprocessing run) running. */
int hcr__live_compile_running(const struct hcr__live *lv, size_t u);

/* Fills fds with one entry per running compile; returns how many. */
size_t hcr__live_compile_fds(const struct hcr__live *lv, struct pollfd *fds);

/* Collects finished compiles: a good one updates what its unit uses and
   calls lv->compiled, a failed one lv->compile_failed. */
void hcr__live_compile_reap(struct hcr__live *lv);

/* Kills and collects every running compile. */
void hcr__live_compile_cancel_all(struct hcr__live *lv);

/* In a forked child: forgets the parent's compiles (they are its
   children, not ours: neither killed nor waited for), closing their
   pidfds. */
void hcr__live_compile_abandon(struct hcr__live *lv);

/* ---- shared compiles: live_session.c, live_share.c, live_record.c ---- */

#define HCR__LIVE_MEMBERS_BYTE 0 /* of members.lock: read-locked by each member */
#define HCR__LIVE_LEADER_BYTE 1  /* write-locked by the leader */
#define HCR__LIVE_RECORDS_DIR "records"
#define HCR__LIVE_OBJECTS_DIR "objects"
#define HCR__LIVE_RECORD_SUFFIX ".change"
#define HCR__LIVE_RECORD_MAX_OBJECTS 256

/* One object of a change. A change's objects reload in their order. */
struct hcr__live_object {
    const char *source;  /* the unit's source file */
    const char *object;  /* the compiled object */
    double compile_ms;
};

/* Reloads (or queues for hcr_live_poll) the objects of one change. */
typedef void (*hcr__live_deliver_fn)(const struct hcr__live_object *objects, size_t n);

/* This process's part in the session of its program (hcr__live_share_init
   empties it). The paths, dir_fd, lock_fd and joined belong to
   live_session.c, the rest to live_share.c. A descriptor field is set
   only once the descriptor is open and reset to -1 before it is closed,
   and a path only once complete: a forked child then lets go of exactly
   the parent's (hcr__live_share_abandon). */
struct hcr__live_share {
    const struct hcr__log *log;
    hcr__live_deliver_fn deliver;
    char *parent, *name, *dir; /* the session directory; NULL: not joined */
    int dir_fd;                /* the session directory, open */
    int lock_fd;               /* its members.lock, opened by this process */
    int joined;                /* holds a member's read lock */
    int leader;                /* holds the leader's write lock */
    int watch_fd;              /* following: inotify on records/ */
    int takeover_fd;           /* following: eventfd, the lock is ours */
    pthread_t takeover;        /* following: the thread waiting for the lock */
    int takeover_running;
    int takeover_errno;        /* why the wait failed, or 0 */
    struct flock leader_wait;  /* the takeover thread's request (off its stack) */
    _Atomic unsigned long long applied; /* newest record reloaded or queued */
    unsigned long long next;   /* leading: the next record's number */
};

/* Locks (F_RDLCK, F_WRLCK) or unlocks (F_UNLCK) byte `byte` of fd with an
   open-file-description lock; with `wait`, blocks until granted. 0 or a
   negative errno (-EAGAIN: held by another). */
int hcr__live_lock_byte(int fd, short type, off_t byte, int wait);

/* live_session.c */

/* The session's name for the running executable (its file's identity)
   and the options that change what a compile makes. 0 or a negative
   code with msg. */
int hcr__live_session_name(char *out, size_t size, const char *compile_commands,
                           const char *extra_cflags, struct hcr__message *msg);

/* Where sessions go: $XDG_RUNTIME_DIR when it is a private directory of
   this user, else /tmp. */
const char *hcr__live_session_parent(void);

/* Joins session `name` under `parent`, making it if needed: removes this
   user's sessions there that nobody is in, then makes or opens the
   directory (refused unless ours and mode 0700) and takes a member's
   read lock. After hcr__live_session_abandon (a fork), rejoins the
   session the parent was in, keeping `applied`, or, if it is gone, joins
   anew from 0. 0, or a negative code with msg (then not joined). */
int hcr__live_session_join(struct hcr__live_share *s, const char *parent, const char *name,
                           struct hcr__message *msg);

/* Leaves the session; removes it when nobody else is in it. */
void hcr__live_session_leave(struct hcr__live_share *s);

/* In a forked child: lets go of the parent's lock file without touching
   its locks, keeping the session's directory for hcr__live_session_join. */
void hcr__live_session_abandon(struct hcr__live_share *s);

/* live_share.c */

/* Empties *s: not in a session. `deliver` reloads each change. */
void hcr__live_share_init(struct hcr__live_share *s, const struct hcr__log *log,
                          hcr__live_deliver_fn deliver);

/* Joins the session of the running program (see hcr__live_session_join;
   a failure is logged and the process leads alone) and waits to lead
   (hcr__live_share_wait_to_lead). */
int hcr__live_share_start(struct hcr__live_share *s, int wake_fd, const char *compile_commands,
                          const char *extra_cflags);

/* Reloads the session's changes this process has not, then returns 1 at
   once if it becomes the leader (or is alone); else follows, reloading
   each change the leader publishes, until it takes over from a leader
   that ended (1) or wake_fd is readable (0: stop). */
int hcr__live_share_wait_to_lead(struct hcr__live_share *s, int wake_fd);

/* Leading: publishes one change (objects reloaded in order) for every
   process of the session and reloads it here, from the session's copies,
   through s->deliver. 0; or a negative code when not leading a session,
   or when publishing failed (logged): the caller then reloads it itself. */
int hcr__live_share_publish(struct hcr__live_share *s, const struct hcr__live_object *objects,
                            size_t n);

/* Stops following and leaves the session. */
void hcr__live_share_leave(struct hcr__live_share *s);

/* In a forked child, whose only thread is the one that forked: drops the
   parent's descriptors and threads of the share without touching the
   parent's locks; hcr__live_share_start then rejoins. */
void hcr__live_share_abandon(struct hcr__live_share *s);

/* live_record.c */

/* The text of the record of a change: objects[i] published as names[i].
   0 or HCR_EINVAL/HCR_ENOMEM with msg; *text malloc'ed. */
int hcr__live_record_format(const struct hcr__live_object *objects, size_t n,
                            const char *const *names, char **text, struct hcr__message *msg);

/* Writes record number `seq` into directory dir_fd under a temporary
   name and renames it into place, never over an existing record
   (HCR_EBUSY). 0 or a negative code with msg. */
int hcr__live_record_write(int dir_fd, unsigned long long seq, const char *text,
                           struct hcr__message *msg);

/* Reads and checks record `name` of directory dir_fd: its objects, in
   order, with their paths under `objects_dir` (free with
   hcr__live_objects_free). 0, or HCR_ENOENT, HCR_ETRUNC, HCR_ECORRUPT,
   HCR_ENOMEM with msg naming the record and the line. */
int hcr__live_record_read(int dir_fd, const char *name, const char *objects_dir,
                          struct hcr__live_object **objects, size_t *n,
                          struct hcr__message *msg);

/* The number of a record's file name ("17.change"), into *seq: 1, or 0
   when `name` is not a record's. */
int hcr__live_record_seq(const char *name, unsigned long long *seq);

/* Frees objects read by hcr__live_record_read. */
void hcr__live_objects_free(struct hcr__live_object *objects, size_t n);

#endif
