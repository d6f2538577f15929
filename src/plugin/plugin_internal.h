/*
 * plugin_internal.h: the parts of plugin mode and how they meet.
 *
 *   snapshot.c   the private directory, the spare, and the copy of each
 *                build
 *   copy.c       how the build's bytes get into the copy
 *   state.c      the table of a version's variables
 *   dwarf_names.c what the debug information says of each variable: its
 *                type, and the function of a function-local static
 *   carry.c      carrying values from one version to the next, migrating
 *                those whose layout changed (src/migrate/)
 *   pointers.c   where a pointer into the old version goes in the new one
 *   heap_migrate.c hcr_migrate: the same migration for the guest's heap
 *   version.c    preparing a version off the host's thread: snapshot,
 *                validate, load, index (runs on the watch thread)
 *   address_map.c which instance owns a code address
 *   swap.c       the host's thread between versions: guarded guest calls,
 *                swaps, rollbacks and the rules that choose between them
 *   plugin.c     the public API: open, update, close; and the watch
 *                thread's side (publishing prepared builds, spares)
 */
#ifndef HCR_PLUGIN_INTERNAL_H
#define HCR_PLUGIN_INTERNAL_H

#include "dwarf/types.h"
#include "elf/elf_file.h"
#include "guard.h"
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

typedef int (*hcr__main_fn)(struct hcr_plugin *ctx, enum hcr_op op);

/* ---- snapshot.c ---- */

/* Creates a private directory (mode 0700) under `parent` (NULL: the
   default, see hcr_options.copy_dir) with its malloc'd path in *dir. 0, or
   the code of what failed (the system's -errno for mkdtemp) with msg. */
int hcr__snapshot_dir_create(const char *parent, const char *plugin_path, char **dir,
                             struct hcr__message *msg);
/* Removes the directory and everything in it. */
void hcr__snapshot_dir_remove(const char *dir);

/* A file's identity, to tell one build from the next. */
struct hcr__file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;
};

/* The next copy's file, made ahead of time in the private directory under
   the name the next version's copy will have, with its pages allocated:
   the copy then neither creates a file nor allocates pages while a reload
   waits. Up to
   HCR__SPARE_MAX bytes are allocated; a larger build's spare is only
   created. It is never mapped (copy.c says why). path is NULL when there
   is none; size is what is allocated, dev the file system it is on. */
struct hcr__spare {
    char *path;
    off_t size;
    dev_t dev;
};
#define HCR__SPARE_MAX ((off_t)64 * 1024 * 1024)
/* What the spares of all plugins in a process may allocate together: many
   instances of a large plugin would otherwise hold as much memory in
   spares as in the copies that run. Spares past it are only created. */
#define HCR__SPARE_BUDGET ((off_t)256 * 1024 * 1024)

/* Makes the spare at `path` for a next build of about `size` bytes,
   unless there is a fitting one. */
void hcr__spare_prepare(struct hcr__spare *spare, const char *path, off_t size);

/* Deletes the spare, if any. */
void hcr__spare_drop(struct hcr__spare *spare);

/* What hcr__snapshot_copy made of a build. */
struct hcr__snapshot {
    void *bytes;                 /* the copy's bytes: a read-only mapping of
                                    it, or for a small build (on_heap) the
                                    buffer it was written from */
    size_t size;
    int on_heap;
    struct hcr__file_id source;  /* the build output as it was read */
    int source_fd;               /* it, still open, or -1 (hcr__source_hold) */
    int copy_fd;                 /* the copy, open for writing until it is
                                    loaded (hcr__snapshot_seal), or -1 */
};

/* Copies `src` to a new file `dst` (created exclusively, mode 0700, or the
   spare, when there is one) into *snap. The copy is what gets validated
   and loaded, so a writer changing `src` afterwards cannot affect it.
   spare may be NULL. On failure *snap holds nothing to release, but
   snap->source is filled in if `src` could be read at all. */
int hcr__snapshot_copy(const char *src, const char *dst, struct hcr__spare *spare,
                       struct hcr__snapshot *snap, struct hcr__message *msg);

/* Writes `size` bytes at `offset` of the copy, which is still open for
   writing. 0, or a negative HCR_E* code with msg naming `src`. */
int hcr__snapshot_patch(struct hcr__snapshot *snap, off_t offset, const void *bytes, size_t size,
                        const char *src, struct hcr__message *msg);

/* Closes the copy for writing: nothing changes it after this. */
void hcr__snapshot_seal(struct hcr__snapshot *snap);

/* Frees the bytes and closes the source and the copy; snap->source stays,
   to tell which build this was. */
void hcr__snapshot_release(struct hcr__snapshot *snap);

/* Keeps the build output a version was copied from open until the next
   build replaces it, then closes it on the watch thread; fd may be -1.
   Why: a rename over the plugin, or an unlink before a new link, frees the
   old file's blocks, and on ext4 that runs inside the writer's rename() or
   unlink() (milliseconds for a large build) while hcr waits
   for the rename's event or competes with it for a CPU. Held open, the
   old file is freed by hcr's close after the new version is published.
   At most HCR__SOURCE_HOLD_MAX are held in a process, so a thousand
   instances do not take a thousand descriptors; none on network or FUSE
   file systems, which keep a deleted open file visible (.nfsXXXX). */
#define HCR__SOURCE_HOLD_MAX 64
void hcr__source_hold(int *held, int fd);

/* ---- copy.c ---- */

/* Builds below this size are copied through memory, larger ones by the
   kernel from file to file. */
#define HCR__COPY_THROUGH_MAX (256 * 1024)

/* Copies the build `in` (`size` bytes) into `out` from offset 0, out being
   on the same file system as in when same_fs. *buffer is the bytes,
   malloc'd, when they were copied through memory, else NULL. 0,
   HCR_ETRUNC when in ended early (still being written), HCR_ENOMEM, or
   -errno (a full disk: -ENOSPC). */
int hcr__copy_build(int in, int out, off_t size, int same_fs, void **buffer);

/* ---- load_edits.c ---- */

/* The program header type a copy's PT_GNU_RELRO gets: one of the
   OS-specific values, which the loader and debuggers ignore, and state.c
   still reads as the RELRO range. */
#define HCR__PT_RELRO_LIFTED 0x68637201u

/* Where a copy's dynamic section can go: its bytes at file offset `offset`
   (address `vaddr`), in the padding that ends read-only PT_LOAD `host`'s
   last page; `dynamic` is the PT_DYNAMIC's index. */
struct hcr__dynamic_move {
    size_t dynamic, host;
    uint64_t offset, vaddr;
};

/* Finds such a place in a validated image for pages of `page` bytes: 1 and
   *move, or 0 when there is none (no slack, or the bytes are used). */
int hcr__dynamic_move_plan(const struct hcr__elf *elf, uint64_t page,
                           struct hcr__dynamic_move *move);

struct hcr__version;

/* Edits v's copy, still open for writing, so that dlopen causes no TLB
   flush: RELRO lifted, the dynamic section moved where it fits and glibc
   reads it in place. 0, or a negative code with v->message set. */
int hcr__load_edits_apply(struct hcr__version *v, const char *src);

/* ---- dwarf_names.c ---- */

struct hcr__static_name {
    uint64_t address;            /* link-time address of the variable */
    char *key;                   /* "function/variable"; NULL at file scope */
    size_t key_len;
    const struct hcr__type *type; /* NULL when unknown; owned by the reader */
};

struct hcr__static_names {
    struct hcr__static_name *items; /* sorted by address */
    size_t count;
};

/* Reads every variable with a fixed address from the debug information
   `types` reads (NULL: none, and the list is empty): its type, and the
   name of a function-local static. 0 or HCR_ENOMEM. */
int hcr__static_names_read(struct hcr__types *types, struct hcr__static_names *names);
const struct hcr__static_name *hcr__static_names_find(const struct hcr__static_names *names,
                                                      uint64_t address);
void hcr__static_names_free(struct hcr__static_names *names);

/* ---- state.c ---- */


enum {
    HCR__VAR_PINNED = 1 << 0, /* HCR_STATE: always keeps its value */
    HCR__VAR_WHOLE = 1 << 1,  /* a whole section (guest without symbols) */
    HCR__VAR_AMBIGUOUS = 1 << 2, /* another variable has the same key */
};

struct hcr__var {
    const char *key;             /* "file\0name", "file\0function/name" or "name" */
    size_t key_len;
    uintptr_t address;           /* live address in this version */
    size_t size;
    const unsigned char *initial; /* initial bytes in the file; NULL: zeros */
    const unsigned char *pristine; /* bytes right after loading; in `pristine` */
    unsigned flags;
    const struct hcr__type *type; /* from the debug information, its size
                                     checked against the symbol; NULL: none */
};

struct hcr__state_table {
    struct hcr__var *vars;       /* sorted by key */
    size_t count;
    char *names;                 /* key storage */
    unsigned char *pristine;     /* copy of every variable's bytes after load */
    int whole_sections;          /* no symbol table: section fallback */
};

/* Builds the table of a freshly loaded version: writable variables from the
   symbol table (section fallback without one), statics named by `names`
   (from the debug information) where it knows them. `base` is the load
   bias. Also snapshots each variable's bytes as loaded. */
int hcr__state_build(struct hcr__state_table *table, const struct hcr__elf *elf,
                     const struct hcr__static_names *names, uintptr_t base,
                     struct hcr__message *msg);
void hcr__state_free(struct hcr__state_table *table);

/* The variable of `table` with like's key, or NULL; the order of keys. */
const struct hcr__var *hcr__state_find(const struct hcr__state_table *table,
                                       const struct hcr__var *like);
int hcr__state_compare(const struct hcr__var *a, const struct hcr__var *b);

/* ---- carry.c ---- */

struct hcr__version;

/* Carries values from version `from` (unloaded by its HCR_UNLOAD, its
   memory left as it is) into `to` (loaded, not yet started), per the
   rules in hcr.h section 4 narrowed by `carry`: writes only to's
   variables. Returns 0, or HCR_ESTATE with msg naming the variable and
   the field when an HCR_STATE variable cannot keep its value (or
   HCR_ENOMEM); to's storage is then half-written and to must be dropped. */
int hcr__state_transfer(const struct hcr__version *from, const struct hcr__version *to,
                        enum hcr_carry carry, const struct hcr__log *log,
                        const char *plugin_name, struct hcr__message *msg);

/* ---- pointers.c ---- */

/* A function of a version: link-time address, name, and for a local one
   its file. */
struct hcr__function {
    uintptr_t address;
    const char *name, *file;
};

/* What rebasing needs of one version, built when it is prepared. */
struct hcr__pointer_index {
    const struct hcr__var **by_address; /* its variables by address */
    size_t count;
    uintptr_t lo, hi;                   /* they span [lo, hi] */
    struct hcr__function *functions_by_address, *functions_by_name;
    size_t function_count;
};

/* 0, or HCR_ENOMEM. The index points into `vars` and the ELF image. */
int hcr__pointer_index_build(struct hcr__pointer_index *ix, const struct hcr__state_table *vars,
                             const struct hcr__elf *elf);
void hcr__pointer_index_free(struct hcr__pointer_index *ix);

/* Rebasing pointers from one version into the next, for one transfer:
   allocates nothing. */
struct hcr__rebase {
    const struct hcr__version *from, *to;
    size_t rebased, kept;               /* pointers moved, left pointing into from */
    char first_kept[300];
};

void hcr__rebase_init(struct hcr__rebase *r, const struct hcr__version *from,
                      const struct hcr__version *to);
/* An hcr__migrate_rebase_fn over a struct hcr__rebase: moves *value when
   it points into from's variables or at one of its functions. */
int hcr__rebase_pointer(void *rebase, uintptr_t *value);

/* ---- version.c ---- */

enum hcr__version_state {
    HCR__VERSION_READY,   /* loaded, indexed, not run yet */
    HCR__VERSION_LIVE,    /* the running version */
    HCR__VERSION_WORKING, /* live and completed a step */
    HCR__VERSION_RETIRED, /* replaced, kept loaded for rollback */
    HCR__VERSION_FAILED,  /* crashed or refused: never run again */
};

/* How many versions before the running one stay loaded to roll back to. */
#define HCR__ROLLBACK_DEPTH 2

struct hcr__version {
    unsigned number;
    enum hcr__version_state status;
    struct hcr__version *before; /* the version this one replaced, RETIRED,
                                    its variables as they were then; NULL:
                                    none to roll back to */
    char *copy_path;
    struct hcr__snapshot snapshot; /* the copy's bytes and the build it came from */
    struct hcr__elf elf;
    void *handle;                /* dlopen handle */
    hcr__main_fn main;
    uintptr_t base;
    uintptr_t code_lo, code_hi;  /* executable range, for the address map */
    struct hcr__state_table vars;
    struct hcr__types *types;    /* its debug information's types, or NULL */
    struct hcr__pointer_index pointers;
    /* A preparation that failed: the error to report on the host's thread. */
    int error;
    struct hcr__message message;
};

struct hcr__plugin;

/* The path of version `number`'s copy in the plugin's private directory;
   malloc'd, NULL when out of memory. */
char *hcr__version_copy_path(const struct hcr__plugin *p, unsigned number);

/* Prepares version `number` of the plugin from its build output. Never
   returns NULL except out of memory: a failed preparation returns a
   version with `error` set. Runs on the watch thread (or in open). */
struct hcr__version *hcr__version_prepare(struct hcr__plugin *p, unsigned number);

/* Unloads and frees a version, and deletes its copy. NULL is ignored. */
void hcr__version_destroy(struct hcr__version *v);

/* ---- swap.c ---- */

/* Unloads a version on the watch thread: unmapping a large library takes
   longer than a frame, and the host's thread should not wait for it. NULL
   is ignored. */
void hcr__version_retire(struct hcr__version *v);

/* Everything hcr_plugin_update does but its per-frame path: a new build
   (taken only when `take_builds`; hcr_plugin_step passes 0), a version on
   trial, a rollback, no version at all, unguarded calls. Host's thread. */
int hcr__plugin_update_slow(struct hcr__plugin *p, int take_builds);

/* A step on the per-frame path failed: reports it (the crash recorded in
   p->frame, or the guest's negative `result`) and applies the rule.
   Returns -1. Entered from the assembly hcr_plugin_update. */
/* prepare.c: the inotify callback of a plugin's build output (watch
   thread), and the preparation of the first version during open (host
   thread). The latter returns 0, the build's error (published for the
   first update to report, ctx->failure set), or HCR_ENOMEM. */
void hcr__plugin_on_file_event(void *user, unsigned events);
int hcr__plugin_prepare_first(struct hcr__plugin *p);

int hcr__plugin_step_failed(struct hcr__plugin *p, int result);

/* Makes p->message what hcr_plugin_error returns (plugin.c): called on
   the host's thread as a public call that failed returns. */
void hcr__plugin_show_message(struct hcr__plugin *p);

/* Calls the running version with HCR_CLOSE and destroys every version the
   plugin holds, at once. For hcr_plugin_close, after the watch stopped. */
void hcr__plugin_close_versions(struct hcr__plugin *p);

/* ---- address_map.c ---- */

/* Registers / unregisters the code range of a version as belonging to ctx. */
int hcr__address_map_add(uintptr_t lo, uintptr_t hi, struct hcr_plugin *ctx);
void hcr__address_map_remove(uintptr_t lo, uintptr_t hi);

/* ---- plugin.c ---- */

struct hcr__plugin {
    struct hcr_plugin *ctx;
    char *path;                  /* the build output, as given */
    char *name;                  /* its base name, for messages */
    char *copy_dir;              /* private directory */
    struct hcr__log log;
    enum hcr_safety safety;
    struct hcr__watch *watch;

    /* The per-frame path (the machine's plugin_update.S reads these by
       offset, see its plugin_update_layout.h): current's entry point when it is working
       and guarded and no new build is pending, else NULL (every other case
       takes the slow path); what the watch thread prepared, if anything;
       and the guard frame the path reuses, owned by this plugin since one
       plugin is updated from one thread at a time. */
    _Atomic(hcr__main_fn) step_fn;
    struct hcr__version *_Atomic pending;
    struct hcr__guard frame;
    /* A build the watch thread saw but could not make a version of, not
       even a failed one (out of memory): HCR_ENOMEM until the host's next
       update reports it, or a newer build is published in `pending`. Like
       `pending`, it keeps step_fn NULL. */
    _Atomic int unprepared;

    /* Owned by the host's thread (swap.c): */
    struct hcr__version *current;  /* running, or NULL; its `before` chain
                                      holds what it rolls back to */
    struct hcr__version *parked;   /* a build held back after the running
                                      version failed in HCR_UNLOAD: released
                                      once the version rolled back to has
                                      stepped */
    int failed_in_step;            /* hcr_plugin_failed_in_step, recorded */
    int step_result;               /* by every update that failed */
    int taken;                     /* an update has taken a version */
    struct hcr__version *migrating_from; /* during a new version's first
                                      HCR_LOAD: the version it replaces,
                                      still loaded (hcr_migrate) */

    /* Set at open, read-only after (the watch thread reads main_name): */
    enum hcr_rollback rollback;    /* the rule, hcr_options.rollback */
    enum hcr_carry carry;          /* hcr_options.carry */
    char *main_name;               /* the guest's entry point */

    /* Owned by the watch thread: */
    pthread_mutex_t prepare_lock;  /* serialises preparations and version numbers */
    unsigned next_number;
    struct hcr__file_id last_failed; /* the build whose error was already reported */
    int last_failed_error;
    int said_whole_sections;
    int exact_copy;                /* hcr_options.exact_copy */
    struct hcr__file_id last_prepared; /* the file the newest preparation read */
    int modified;                  /* bytes written since that preparation */
    int held_source;               /* its build output, open, or -1 */
    struct hcr__spare spare;       /* for the next copy */

    struct hcr__message message; /* the host's thread's newest message */
    /* What hcr_plugin_error returns on any thread: `message` as of the
       last public call that failed, copied under message_lock. */
    pthread_mutex_t message_lock;
    struct hcr__message shown;
    _Atomic int closing;           /* hcr_plugin_close has begun */
};

/* The C hcr_plugin_update, entered from the assembly per-frame path where
   there is one for all it does not take. */
int hcr__plugin_update_c(struct hcr_plugin *ctx);

#endif
