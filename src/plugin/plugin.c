/*
 * plugin.c: the life of one plugin instance, and the public plugin API.
 *
 * Two threads meet here. The watch thread prepares each new build into a
 * loaded version (version.c), publishes it in `pending` with one atomic
 * exchange and clears `step_fn`. The host's thread, in hcr_plugin_update,
 * takes it with another and swaps versions: unload the old, carry state,
 * load the new, then step. While nothing changed, update costs one relaxed
 * load of `step_fn` before the guarded call: no lock, no system call. On
 * x86-64 that path is assembly (src/arch/x86_64/plugin_update.S); the C
 * here is the rest, and the whole of it elsewhere.
 *
 * Versions: `current` runs. Until it completes its first step it is on
 * trial, and `previous` (the last working version) is kept loaded to roll
 * back to. After a successful step `previous` is only kept mapped, so
 * pointers into it stay valid until the next swap.
 */
#include "plugin_internal.h"

#include "guard.h"
#include "update_layout.h"
#include "watch.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *op_name(enum hcr_op op)
{
    switch (op) {
    case HCR_LOAD: return "HCR_LOAD";
    case HCR_STEP: return "HCR_STEP";
    case HCR_UNLOAD: return "HCR_UNLOAD";
    case HCR_CLOSE: return "HCR_CLOSE";
    }
    return "?";
}

static enum hcr_failure failure_of(const struct hcr__guard *g)
{
    switch (g->signo) {
    case SIGSEGV: return g->stack_overflow ? HCR_STACKOVERFLOW : HCR_SEGFAULT;
    case SIGBUS: return g->stack_overflow ? HCR_STACKOVERFLOW : HCR_MISALIGN;
    case SIGILL: return HCR_ILLEGAL;
    case SIGFPE: return HCR_FPE;
    case SIGABRT: return HCR_ABORT;
    }
    return HCR_OTHER;
}

static const char *failure_text(enum hcr_failure f)
{
    switch (f) {
    case HCR_SEGFAULT: return "segmentation fault";
    case HCR_STACKOVERFLOW: return "stack overflow";
    case HCR_MISALIGN: return "bus error";
    case HCR_ILLEGAL: return "illegal instruction";
    case HCR_FPE: return "arithmetic exception";
    case HCR_ABORT: return "abort";
    default: return "failure";
    }
}

/* Calls main(ctx, op) under a guard frame `g` owned by the caller. Returns
   the guest's result, or -1 after a crash (then g->signo is non-zero). */
static inline int guarded_call(struct hcr_plugin *ctx, hcr__main_fn main, enum hcr_op op,
                               struct hcr__guard *g)
{
    hcr__guard_push(g, ctx);
    g->owner_is_plugin = 1;
    int result = hcr__guard_run(g, (int (*)(void *, int))main, ctx, (int)op);
    if (__builtin_expect(!g->signo, 1))
        hcr__guard_pop(g);
    return result;
}

/* Records a crash caught by `g` as the plugin's message and log line. */
static enum hcr_failure note_crash(struct hcr__plugin *p, struct hcr__version *v,
                                   enum hcr_op op, const struct hcr__guard *g)
{
    enum hcr_failure failure = failure_of(g);
    hcr__fail(&p->message, HCR_ECRASH,
              "%s: version %u crashed in %s: %s (signal %d) at address %p, pc %p", p->path,
              v->number, op_name(op), failure_text(failure), g->signo, g->fault_address, g->pc);
    hcr__log(&p->log, HCR_LOG_ERROR, "%s", p->message.text);
    return failure;
}

/* Calls the guest under the plugin's protection. Returns the guest's
   result; on a crash returns -1. *failure tells which: HCR_NONE, HCR_USER
   for a negative result, or the crash. */
static int call_guest(struct hcr__plugin *p, struct hcr__version *v, enum hcr_op op,
                      enum hcr_failure *failure)
{
    struct hcr_plugin *ctx = p->ctx;
    int result;
    if (p->safety == HCR_SAFETY_NONE) {
        result = v->main(ctx, op);
    } else {
        struct hcr__guard g;
        result = guarded_call(ctx, v->main, op, &g);
        if (g.signo) {
            *failure = note_crash(p, v, op, &g);
            return -1;
        }
    }
    *failure = result < 0 ? HCR_USER : HCR_NONE;
    return result;
}

/* Records a negative guest result as the plugin's failure message. */
static void note_user_failure(struct hcr__plugin *p, struct hcr__version *v, enum hcr_op op,
                              int result)
{
    hcr__fail(&p->message, HCR_EUSER, "%s: version %u returned %d from %s", p->path, v->number,
              result, op_name(op));
    hcr__log(&p->log, HCR_LOG_ERROR, "%s", p->message.text);
}

static void destroy_version(void *v)
{
    hcr__version_destroy(v);
}

/* Unloads a version on the watch thread: unmapping a large library takes
   longer than a frame, and the host's thread should not wait for it. */
static void retire(struct hcr__version *v)
{
    if (v)
        hcr__watch_defer(destroy_version, v);
}

/* Whether update may take the per-frame path for the current version.
   step_fn is also the per-frame path's only sign of a pending build: the
   watch thread clears it after publishing one. So after setting it, look
   at pending again: between the two seq_cst pairs (store step_fn, load
   pending here; store pending, store NULL there) either this load sees the
   new build or the watch thread's NULL lands after this store. */
static void refresh_step_fn(struct hcr__plugin *p)
{
    struct hcr__version *v = p->current;
    hcr__main_fn fn =
        v && v->status == HCR__VERSION_WORKING && p->safety == HCR_SAFETY_GUARDED ? v->main : NULL;
    if (!fn && !atomic_load_explicit(&p->step_fn, memory_order_relaxed))
        return; /* no per-frame path before or after: nothing to publish */
    atomic_store(&p->step_fn, fn);
    if (fn && atomic_load(&p->pending))
        atomic_store(&p->step_fn, NULL);
}

static void set_current(struct hcr__plugin *p, struct hcr__version *v)
{
    p->current = v;
    p->ctx->version = v ? v->number : 0;
    refresh_step_fn(p);
}

/* The current version failed while on trial (or it was the first): go back
   to the last working version, or to none. */
static void roll_back(struct hcr__plugin *p)
{
    struct hcr_plugin *ctx = p->ctx;
    struct hcr__version *bad = p->current, *target = p->previous;
    bad->status = HCR__VERSION_FAILED;
    p->previous = NULL;
    set_current(p, NULL);
    retire(bad);
    if (!target) {
        if (ctx->last_working_version == 0)
            ctx->failure = HCR_INITIAL_FAILURE;
        hcr__log(&p->log, HCR_LOG_WARN, "%s: no working version to roll back to; waiting for the next build",
                 p->path);
        return;
    }
    hcr__log(&p->log, HCR_LOG_WARN, "%s: rolled back to version %u", p->path, target->number);
    target->status = HCR__VERSION_WORKING;
    set_current(p, target);
    enum hcr_failure f;
    int r = call_guest(p, target, HCR_LOAD, &f);
    if (f != HCR_NONE) {
        if (f == HCR_USER)
            note_user_failure(p, target, HCR_LOAD, r);
        /* The version we trusted fails too: nothing left to run. */
        set_current(p, NULL);
        retire(target);
    }
}

/* Makes `next` the running version. Returns 0, or -2 after a failure (the
   failure is in ctx->failure and the message). */
static int swap_to(struct hcr__plugin *p, struct hcr__version *next)
{
    struct hcr_plugin *ctx = p->ctx;
    struct hcr__version *old = p->current;
    int status = 0;
    enum hcr_failure f;

    if (old) {
        int r = call_guest(p, old, HCR_UNLOAD, &f);
        if (f != HCR_NONE) {
            if (f == HCR_USER)
                note_user_failure(p, old, HCR_UNLOAD, r);
            ctx->failure = f; /* reported, but the new build still loads */
            status = -2;
        }
        int rc = hcr__state_transfer(&old->vars, &next->vars, &p->log, p->path, &p->message);
        if (rc < 0) {
            hcr__log(&p->log, HCR_LOG_ERROR, "%s", p->message.text);
            ctx->failure = HCR_STATE_INVALIDATED;
            retire(next);
            r = call_guest(p, old, HCR_LOAD, &f);
            if (f != HCR_NONE)
                roll_back(p);
            return -2;
        }
        if (old->status == HCR__VERSION_WORKING) {
            retire(p->previous);
            p->previous = old;
            old->status = HCR__VERSION_RETIRED;
        } else {
            retire(old); /* never worked: `previous` stays the fallback */
        }
    }
    next->status = HCR__VERSION_LIVE;
    set_current(p, next);
    hcr__log(&p->log, HCR_LOG_INFO, "%s: version %u loaded", p->path, next->number);
    int r = call_guest(p, next, HCR_LOAD, &f);
    if (f != HCR_NONE) {
        if (f == HCR_USER)
            note_user_failure(p, next, HCR_LOAD, r);
        ctx->failure = f;
        roll_back(p);
        return -2;
    }
    return status;
}

/* Takes what the watch thread prepared: a version, or a refused build. */
static int take_pending(struct hcr__plugin *p)
{
    struct hcr__version *v = atomic_exchange(&p->pending, NULL);
    if (!v)
        return 0;
    if (v->error) {
        p->message = v->message;
        p->ctx->failure = HCR_BAD_IMAGE;
        retire(v);
        refresh_step_fn(p); /* the current version goes on */
        return -2;
    }
    if (p->ctx->next_version <= v->number)
        p->ctx->next_version = v->number + 1;
    return swap_to(p, v);
}

/* Everything but the common case: a new build waiting, no version, a
   version on trial, unguarded calls. */
__attribute__((noinline)) static int update_slow(struct hcr__plugin *p)
{
    struct hcr_plugin *ctx = p->ctx;
    if (atomic_load_explicit(&p->pending, memory_order_relaxed) != NULL) {
        ctx->failure = HCR_NONE;
        int rc = take_pending(p);
        if (rc < 0)
            return rc;
    }
    struct hcr__version *v = p->current;
    if (!v)
        return -2;
    ctx->failure = HCR_NONE;
    enum hcr_failure f;
    int r = call_guest(p, v, HCR_STEP, &f);
    if (f == HCR_NONE) {
        if (v->status != HCR__VERSION_WORKING) {
            v->status = HCR__VERSION_WORKING;
            ctx->last_working_version = v->number;
            refresh_step_fn(p);
        }
        return r;
    }
    if (f == HCR_USER)
        note_user_failure(p, v, HCR_STEP, r);
    ctx->failure = f;
    if (v->status != HCR__VERSION_WORKING)
        roll_back(p);
    return -1;
}

/* A step of a working version failed: report it, keep the version. Also
   entered from the assembly hcr_plugin_update. */
__attribute__((noinline)) int hcr__plugin_step_failed(struct hcr__plugin *p, int result)
{
    struct hcr__version *v = p->current;
    struct hcr__guard *g = &p->frame;
    if (g->signo) {
        p->ctx->failure = note_crash(p, v, HCR_STEP, g);
        g->signo = 0;
    } else {
        note_user_failure(p, v, HCR_STEP, result);
        p->ctx->failure = HCR_USER;
    }
    return -1;
}

#ifdef HCR__GUARD_RUN_ASM
/* hcr_plugin_update is src/arch/x86_64/plugin_update.S, which reads these
   fields by offset. */
_Static_assert(offsetof(struct hcr_plugin, failure) == HCR__CTX_FAILURE, "update_layout.h");
_Static_assert(offsetof(struct hcr_plugin, p) == HCR__CTX_P, "update_layout.h");
_Static_assert(offsetof(struct hcr__plugin, step_fn) == HCR__P_STEP_FN, "update_layout.h");
_Static_assert(offsetof(struct hcr__plugin, frame) == HCR__P_FRAME, "update_layout.h");
_Static_assert(offsetof(struct hcr__guard, resume_sp) == HCR__GUARD_RESUME_SP, "update_layout.h");
_Static_assert(offsetof(struct hcr__guard, resume_pc) == HCR__GUARD_RESUME_PC, "update_layout.h");
_Static_assert(offsetof(struct hcr__guard, outer) == HCR__GUARD_OUTER, "update_layout.h");
_Static_assert(HCR_STEP == HCR__OP_STEP, "update_layout.h");

/* Where a crash under the assembly per-frame path resumes. */
extern char hcr__plugin_update_crashed[];

/* Everything the assembly per-frame path does not take. */
#define UPDATE_C hcr__plugin_update_c
#else
#define UPDATE_C hcr_plugin_update
#endif

int UPDATE_C(struct hcr_plugin *ctx)
{
    struct hcr__plugin *p = ctx ? ctx->p : NULL;
    if (__builtin_expect(!p, 0))
        return -2;
    /* The per-frame path: a working guarded version and nothing new
       arrived, both told by one relaxed load (refresh_step_fn). */
    hcr__main_fn fn = atomic_load_explicit(&p->step_fn, memory_order_relaxed);
    if (__builtin_expect(!fn, 0))
        return update_slow(p);
    if (__builtin_expect(!hcr__guard_thread_ready || hcr__guard_top == HCR__GUARD_UNREADY, 0))
        hcr__guard_init();
#ifdef HCR__GUARD_RUN_ASM
    /* With its alternate stack the thread takes the assembly path; without
       (no memory for one) the guarded call of the slow path. */
    if (__builtin_expect(hcr__guard_thread_ready, 1))
        return hcr_plugin_update(ctx);
    return update_slow(p);
#else
    ctx->failure = HCR_NONE;
    struct hcr__guard *g = &p->frame;
    g->outer = hcr__guard_top;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    hcr__guard_top = g;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    int result = hcr__guard_run(g, (int (*)(void *, int))fn, ctx, HCR_STEP);
    if (__builtin_expect(g->signo != 0, 0))
        return hcr__plugin_step_failed(p, result); /* the handler popped the frame */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    hcr__guard_top = g->outer;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (__builtin_expect(result < 0, 0))
        return hcr__plugin_step_failed(p, result);
    return result;
#endif
}

static int same_file(const struct hcr__file_id *a, const struct hcr__file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* Prepares the build now in place and publishes it, or its error. `quiet`:
   the file may legitimately be incomplete (created, not yet closed), so a
   failure says nothing. prepare_lock held. Returns 1 when it published a
   loaded version, else 0. */
static int prepare_build(struct hcr__plugin *p, int quiet)
{
    struct stat st = {0};
    if (stat(p->path, &st) != 0 && quiet)
        return 0;
    struct hcr__file_id id = {st.st_dev, st.st_ino, st.st_size,
                              (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                              (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec};
    /* The very file already prepared (an event that was queued before it),
       or an attribute change of it with no byte written since (`cp -p`
       setting the time, `touch`): no new build. */
    if (st.st_ino && same_file(&id, &p->last_prepared))
        return 0;
    if (quiet && !p->modified && st.st_dev == p->last_prepared.dev &&
        st.st_ino == p->last_prepared.ino)
        return 0;
    p->modified = 0;
    p->last_prepared = id;
    struct hcr__version *v = hcr__version_prepare(p, p->next_number);
    if (!v) {
        hcr__log(&p->log, HCR_LOG_ERROR, "%s: out of memory preparing a new version", p->path);
        return 0;
    }
    /* What the copy read, which may be newer than what stat saw: a file
       created empty and written before the copy opened it. The event of
       that write's close must find this build already prepared. */
    if (v->snapshot.source.ino)
        p->last_prepared = v->snapshot.source;
    if (v->error) {
        int repeated = v->error == p->last_failed_error && same_file(&v->snapshot.source, &p->last_failed);
        if (quiet || repeated) {
            hcr__version_destroy(v); /* on the watch thread already */
            return 0;
        }
        p->last_failed = v->snapshot.source;
        p->last_failed_error = v->error;
        hcr__log(&p->log, HCR_LOG_ERROR, "%s (the previous version keeps running)", v->message.text);
    } else {
        p->last_failed_error = 0;
        p->next_number++; /* ctx->next_version follows on the host's thread */
    }
    int source_fd = v->snapshot.source_fd; /* v is the host's once published */
    v->snapshot.source_fd = -1;
    struct hcr__version *replaced = atomic_exchange(&p->pending, v);
    atomic_store(&p->step_fn, NULL); /* the host's next update looks (refresh_step_fn) */
    retire(replaced); /* never seen by the host */
    /* The previous build output is closed now, after the publication:
       freeing it, if it was replaced, no longer delays this version. */
    hcr__source_hold(&p->held_source, source_fd);
    return !v->error;
}

/* After a version was published: the next build's copy gets its file
   ready, sized like this build, while the host swaps this one. Takes
   prepare_lock. */
static void prepare_spare(void *plugin)
{
    struct hcr__plugin *p = plugin;
    if (atomic_load(&p->closing))
        return;
    pthread_mutex_lock(&p->prepare_lock);
    char *path = hcr__version_copy_path(p, p->next_number);
    if (path)
        hcr__spare_prepare(&p->spare, path, (off_t)p->last_prepared.size);
    free(path);
    pthread_mutex_unlock(&p->prepare_lock);
}

static void on_file_event(void *user, unsigned events)
{
    struct hcr__plugin *p = user;
    pthread_mutex_lock(&p->prepare_lock);
    if (events & HCR__WATCH_MODIFIED)
        p->modified = 1;
    int published = (events & (HCR__WATCH_COMPLETE | HCR__WATCH_MAYBE | HCR__WATCH_RESCAN)) &&
                    prepare_build(p, !(events & (HCR__WATCH_COMPLETE | HCR__WATCH_RESCAN)));
    pthread_mutex_unlock(&p->prepare_lock);
    if (published)
        prepare_spare(p);
}

static void free_plugin(struct hcr__plugin *p)
{
    hcr__spare_drop(&p->spare);
    if (p->copy_dir) {
        hcr__snapshot_dir_remove(p->copy_dir);
        free(p->copy_dir);
    }
    pthread_mutex_destroy(&p->prepare_lock);
    free(p->path);
    free(p);
}

int hcr_plugin_open_with(struct hcr_plugin *ctx, const char *path,
                         const struct hcr_options *options)
{
    static const struct hcr_options defaults;
    if (!ctx || !path || !path[0] || ctx->p)
        return HCR_EINVAL;
    if (!options)
        options = &defaults;
    struct hcr__plugin *p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path))) {
        free(p);
        return HCR_ENOMEM;
    }
    pthread_mutex_init(&p->prepare_lock, NULL);
    p->held_source = -1;
    p->ctx = ctx;
    p->frame.owner = ctx;
    p->frame.owner_is_plugin = 1;
#ifdef HCR__GUARD_RUN_ASM
    p->frame.resume_pc = hcr__plugin_update_crashed;
#endif
    p->log = (struct hcr__log){options->log, options->log_user};
    p->safety = options->safety;
    p->exact_copy = options->exact_copy != 0;
    p->next_number = 1;

    int rc = p->safety == HCR_SAFETY_NONE ? 0 : hcr__guard_init();
    if (rc == 0) {
        p->copy_dir = hcr__snapshot_dir_create(options->copy_dir, path, &p->message);
        if (!p->copy_dir)
            rc = p->message.text[0] ? HCR_EIO : HCR_ENOMEM;
    }
    if (rc == 0 && !options->no_reload)
        rc = hcr__watch_add(path, on_file_event, p, &p->watch, &p->message);
    if (rc < 0) {
        if (p->message.text[0])
            hcr__log(&p->log, HCR_LOG_ERROR, "%s", p->message.text);
        free_plugin(p);
        return rc;
    }
    void *userdata = ctx->userdata;
    memset(ctx, 0, sizeof *ctx);
    ctx->userdata = userdata;
    ctx->p = p;
    ctx->next_version = 1;

    /* The first version, prepared now; the first update starts it. The
       next build's spare is made by the watch thread, not by the open. */
    pthread_mutex_lock(&p->prepare_lock);
    int published = prepare_build(p, 0);
    struct hcr__version *first = atomic_load(&p->pending);
    rc = first && first->error ? first->error : 0;
    if (rc < 0) {
        p->message = first->message;
        ctx->failure = HCR_BAD_IMAGE;
    }
    pthread_mutex_unlock(&p->prepare_lock);
    if (published && !options->no_reload)
        hcr__watch_defer(prepare_spare, p);
    return rc;
}

int hcr_plugin_open(struct hcr_plugin *ctx, const char *path)
{
    return hcr_plugin_open_with(ctx, path, NULL);
}

void hcr_plugin_close(struct hcr_plugin *ctx)
{
    struct hcr__plugin *p = ctx ? ctx->p : NULL;
    if (!p)
        return;
    atomic_store(&p->closing, 1); /* no spare work starts after this */
    hcr__watch_remove(p->watch); /* no preparation runs after this */
    hcr__version_destroy(atomic_exchange(&p->pending, NULL));
    if (p->current) {
        enum hcr_failure f;
        call_guest(p, p->current, HCR_CLOSE, &f);
    }
    hcr__version_destroy(p->current);
    hcr__version_destroy(p->previous);
    hcr__source_hold(&p->held_source, -1);
    hcr__watch_flush(); /* versions retired earlier are gone too, and the source */
    free_plugin(p);
    void *userdata = ctx->userdata;
    memset(ctx, 0, sizeof *ctx);
    ctx->userdata = userdata;
}

const char *hcr_plugin_error(const struct hcr_plugin *ctx)
{
    return ctx && ctx->p ? ctx->p->message.text : "";
}

struct hcr_plugin *hcr_plugin_caller(const void *return_address)
{
    struct hcr_plugin *ctx = hcr_plugin_from_address(return_address);
    if (ctx)
        return ctx;
    for (struct hcr__guard *g = hcr__guard_current(); g; g = hcr__guard_outer(g))
        if (g->owner_is_plugin)
            return g->owner;
    return NULL;
}
