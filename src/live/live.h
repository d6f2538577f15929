/*
 * live.h: what the parts of live editing share. live.c owns the thread and
 * the API; live_discover.c finds the units, watches their directories and
 * knows which files each unit uses; live_compile.c runs the compiler. All
 * of it runs on the live thread, so nothing here is locked.
 */
#ifndef HCR_LIVE_LIVE_H
#define HCR_LIVE_LIVE_H

#include "internal.h"
#include "live/units.h"

#include <poll.h>
#include <stddef.h>
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

/* Finds the running program's units (compile_commands path or NULL to
   search, see units.h; else its debug information), makes the cache
   directory and watches the directories of every source. 0, or a negative
   code with the reason logged (the live thread then ends). */
int hcr__live_discover(struct hcr__live *lv, const char *compile_commands,
                       const struct hcr__log *log);

/* Whether unit u was built from `path` (its source or a header). */
int hcr__live_unit_uses(const struct hcr__live *lv, size_t u, const char *path);

/* Replaces what unit u uses with the files its dependency file lists, and
   watches their directories. */
void hcr__live_set_uses(struct hcr__live *lv, size_t u, const char *depfile);

/* The watched directory of inotify watch descriptor wd, or NULL. */
const char *hcr__live_watched_dir(const struct hcr__live *lv, int wd);

/* Frees everything and removes the cache directory. */
void hcr__live_close(struct hcr__live *lv);

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

#endif
