/*
 * plugin.c: the life of one plugin instance, and the public plugin API.
 *
 * Two threads meet here. The watch thread prepares each new build into a
 * loaded version (prepare.c, version.c), publishes it in `pending` with one
 * atomic exchange and clears `step_fn`. The host's thread, in hcr_plugin_update,
 * takes it with another and swaps versions (swap.c): unload the old, carry
 * state, load the new, then step. While nothing changed, update costs one
 * relaxed load of `step_fn` before the guarded call: no lock, no system
 * call. Where the machine's directory has plugin_update.S (x86-64 does),
 * that path is assembly; the C here is the rest, and the whole of it
 * elsewhere.
 */
#include "plugin_internal.h"

#include "guard.h"
#include "watch.h"
#include "work_queue.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef HCR__GUARD_RUN_ASM
/* hcr_plugin_update is the machine's plugin_update.S, which reads these
   fields by the offsets its directory gives. */
#include "plugin_update_layout.h"

#define LAYOUT "plugin_update_layout.h of src/arch/<machine>"
_Static_assert(offsetof(struct hcr_plugin, failure) == HCR__CTX_FAILURE, LAYOUT);
_Static_assert(offsetof(struct hcr_plugin, p) == HCR__CTX_P, LAYOUT);
_Static_assert(offsetof(struct hcr__plugin, step_fn) == HCR__P_STEP_FN, LAYOUT);
_Static_assert(offsetof(struct hcr__plugin, frame) == HCR__P_FRAME, LAYOUT);
_Static_assert(offsetof(struct hcr__guard, resume_sp) == HCR__GUARD_RESUME_SP, LAYOUT);
_Static_assert(offsetof(struct hcr__guard, resume_pc) == HCR__GUARD_RESUME_PC, LAYOUT);
_Static_assert(offsetof(struct hcr__guard, outer) == HCR__GUARD_OUTER, LAYOUT);
_Static_assert(HCR_STEP == HCR__OP_STEP, LAYOUT);

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
        return HCR_EINVAL;
    /* The per-frame path: a working guarded version and nothing new
       arrived, both told by one relaxed load (refresh_step_fn). */
    hcr__main_fn fn = atomic_load_explicit(&p->step_fn, memory_order_relaxed);
    if (__builtin_expect(!fn, 0))
        return hcr__plugin_update_slow(p, 1);
    if (__builtin_expect(!hcr__guard_thread_ready || hcr__guard_top == HCR__GUARD_UNREADY, 0))
        hcr__guard_init();
#ifdef HCR__GUARD_RUN_ASM
    /* With its alternate stack the thread takes the assembly path; without
       (no memory for one) the guarded call of the slow path. */
    if (__builtin_expect(hcr__guard_thread_ready, 1))
        return hcr_plugin_update(ctx);
    return hcr__plugin_update_slow(p, 1);
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

/* Never the per-frame path, whose only sign of a new build is step_fn:
   the slow path steps a working version with a guard of its own, and
   still makes no system call. */
int hcr_plugin_step(struct hcr_plugin *ctx)
{
    struct hcr__plugin *p = ctx ? ctx->p : NULL;
    return p ? hcr__plugin_update_slow(p, 0) : HCR_EINVAL;
}

int hcr_plugin_failed_in_step(const struct hcr_plugin *ctx, int *result)
{
    const struct hcr__plugin *p = ctx ? ctx->p : NULL;
    int in_step = p && p->failed_in_step;
    if (result)
        *result = in_step ? p->step_result : 0;
    return in_step;
}

static void free_plugin(struct hcr__plugin *p)
{
    hcr__spare_drop(&p->spare);
    if (p->copy_dir) {
        hcr__snapshot_dir_remove(p->copy_dir);
        free(p->copy_dir);
    }
    pthread_mutex_destroy(&p->prepare_lock);
    pthread_mutex_destroy(&p->message_lock);
    free(p->main_name);
    free(p->path);
    free(p);
}

/* The options' enumerations and names, checked before anything is made:
   0, or HCR_EINVAL with the reason logged (ctx stays closed, so it has no
   message of its own to hold it). */
static int check_options(const struct hcr_options *o, const char *path)
{
    struct hcr__log log = {o->log, o->log_user};
    const char *bad = NULL;
    if (o->safety != HCR_SAFETY_GUARDED && o->safety != HCR_SAFETY_NONE)
        bad = "safety is not one of HCR_SAFETY_GUARDED, HCR_SAFETY_NONE";
    else if (o->rollback != HCR_ROLLBACK_ON_FAILURE && o->rollback != HCR_ROLLBACK_KEEP_WORKING)
        bad = "rollback is not one of HCR_ROLLBACK_ON_FAILURE, HCR_ROLLBACK_KEEP_WORKING";
    else if (o->carry != HCR_CARRY_ALL && o->carry != HCR_CARRY_UNINITIALISED &&
             o->carry != HCR_CARRY_NONE)
        bad = "carry is not one of HCR_CARRY_ALL, HCR_CARRY_UNINITIALISED, HCR_CARRY_NONE";
    else if (o->main_name && (!o->main_name[0] || strlen(o->main_name) > 255))
        bad = "main_name is empty or longer than 255 bytes";
    if (!bad)
        return 0;
    hcr__log(&log, HCR_LOG_ERROR, "%s: not opened: hcr_options.%s", path, bad);
    return HCR_EINVAL;
}


/* Why the calling thread's last hcr_plugin_open_with failed with the
   context left closed: hcr_plugin_error has no plugin to ask then. */
static _Thread_local struct hcr__message open_error;

int hcr_plugin_open_with(struct hcr_plugin *ctx, const char *path,
                         const struct hcr_options *options)
{
    static const struct hcr_options defaults;
    open_error.text[0] = 0;
    if (!ctx || !path || !path[0] || ctx->p)
        return hcr__fail(&open_error, HCR_EINVAL, "hcr_plugin_open: %s",
                         !ctx    ? "no context given"
                         : !path || !path[0] ? "no path given"
                                  : "the context is open already (close it first)");
    if (!options)
        options = &defaults;
    if (check_options(options, path) < 0)
        return hcr__fail(&open_error, HCR_EINVAL, "%s: an option is out of range (logged)",
                         path);
    struct hcr__plugin *p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path)) ||
        !(p->main_name = strdup(options->main_name ? options->main_name : "hcr_main"))) {
        if (p)
            free(p->path);
        free(p);
        return hcr__fail(&open_error, HCR_ENOMEM, "%s: out of memory opening the plugin", path);
    }
    pthread_mutex_init(&p->prepare_lock, NULL);
    pthread_mutex_init(&p->message_lock, NULL);
    p->held_source = -1;
    p->ctx = ctx;
    p->frame.owner = ctx;
    p->frame.owner_is_plugin = 1;
#ifdef HCR__GUARD_RUN_ASM
    p->frame.resume_pc = hcr__plugin_update_crashed;
#endif
    p->log = (struct hcr__log){options->log, options->log_user};
    p->safety = options->safety;
    p->rollback = options->rollback;
    p->carry = options->carry;
    p->exact_copy = options->exact_copy != 0;
    p->next_number = 1;

    int rc = p->safety == HCR_SAFETY_NONE ? 0 : hcr__guard_init();
    if (rc < 0)
        hcr__fail(&p->message, rc,
                  "%s: cannot set up crash protection on this thread (signal handlers and an "
                  "alternate signal stack): %s",
                  path, hcr_strerror(rc));
    if (rc == 0) {
        rc = hcr__snapshot_dir_create(options->copy_dir, path, &p->copy_dir, &p->message);
    }
    if (rc == 0 && !options->no_reload)
        rc = hcr__watch_add(path, hcr__plugin_on_file_event, p, &p->watch, &p->message);
    if (rc < 0) {
        if (!p->message.text[0])
            hcr__fail(&p->message, rc, "%s: cannot open the plugin: %s", path, hcr_strerror(rc));
        hcr__log(&p->log, HCR_LOG_ERROR, "%s", p->message.text);
        open_error = p->message;
        free_plugin(p);
        return rc;
    }
    void *userdata = ctx->userdata;
    memset(ctx, 0, sizeof *ctx);
    ctx->userdata = userdata;
    ctx->p = p;
    ctx->next_version = 1;
    rc = hcr__plugin_prepare_first(p);
    if (rc == HCR_ENOMEM) {
        /* Not the build's fault: nothing would make hcr try it again, so
           the open fails whole, as documented, and can be retried. */
        open_error = p->message;
        hcr_plugin_close(ctx);
    } else {
        hcr__plugin_show_message(p);
    }
    return rc;
}

int hcr_plugin_open(struct hcr_plugin *ctx, const char *path)
{
    return hcr_plugin_open_with(ctx, path, NULL);
}

/* Why a new private directory cannot simply take the place of the old one
   later: versions loaded from copies in the old one would keep it alive.
   Before any update took a version, only the first version, published but
   not yet seen by the host, lives there: it is dropped and the build
   prepared again in the new directory, under the same number. */
int hcr_plugin_set_copy_dir(struct hcr_plugin *ctx, const char *parent)
{
    struct hcr__plugin *p = ctx ? ctx->p : NULL;
    if (!p || !parent || !parent[0])
        return HCR_EINVAL;
    if (p->taken) {
        hcr__fail(&p->message, HCR_EBUSY,
                  "%s: the copy directory can only be set before the first update", p->path);
        hcr__log(&p->log, HCR_LOG_ERROR, "%s", p->message.text);
        hcr__plugin_show_message(p);
        return HCR_EBUSY;
    }
    pthread_mutex_lock(&p->prepare_lock);
    char *dir;
    int made = hcr__snapshot_dir_create(parent, p->path, &dir, &p->message);
    if (made < 0) {
        pthread_mutex_unlock(&p->prepare_lock);
        hcr__log(&p->log, HCR_LOG_ERROR, "%s", p->message.text);
        hcr__plugin_show_message(p);
        return made;
    }
    struct hcr__version *first = atomic_exchange(&p->pending, NULL);
    atomic_store(&p->unprepared, 0); /* prepared again below */
    if (first)
        p->next_number = first->number;
    hcr__version_destroy(first);
    hcr__spare_drop(&p->spare);
    hcr__snapshot_dir_remove(p->copy_dir);
    free(p->copy_dir);
    p->copy_dir = dir;
    /* The same build is to be prepared, and its error reported, again. */
    memset(&p->last_prepared, 0, sizeof p->last_prepared);
    p->last_failed_error = 0;
    pthread_mutex_unlock(&p->prepare_lock);
    ctx->failure = HCR_NONE;
    return hcr__plugin_prepare_first(p);
}

void hcr_plugin_close(struct hcr_plugin *ctx)
{
    struct hcr__plugin *p = ctx ? ctx->p : NULL;
    if (!p)
        return;
    atomic_store(&p->closing, 1); /* no spare work starts after this */
    hcr__watch_remove(p->watch); /* no preparation runs after this */
    hcr__version_destroy(atomic_exchange(&p->pending, NULL));
    hcr__plugin_close_versions(p);
    hcr__source_hold(&p->held_source, -1);
    hcr__work_flush(); /* versions retired earlier are gone too, and the source */
    free_plugin(p);
    void *userdata = ctx->userdata;
    memset(ctx, 0, sizeof *ctx);
    ctx->userdata = userdata;
}

void hcr__plugin_show_message(struct hcr__plugin *p)
{
    pthread_mutex_lock(&p->message_lock);
    p->shown = p->message;
    pthread_mutex_unlock(&p->message_lock);
}

const char *hcr_plugin_error(const struct hcr_plugin *ctx)
{
    /* A copy per calling thread: the host's thread may be writing the
       next message meanwhile. */
    static _Thread_local struct hcr__message copy;
    struct hcr__plugin *p = ctx ? ctx->p : NULL;
    if (!p)
        return open_error.text;
    pthread_mutex_lock(&p->message_lock);
    copy = p->shown;
    pthread_mutex_unlock(&p->message_lock);
    return copy.text;
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
