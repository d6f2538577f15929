/*
 * swap.c: the host's thread between one version of a plugin and the next.
 * Calling the guest under crash protection, swapping in a build the watch
 * thread prepared, carrying state into it, and deciding after a failure
 * what runs next. Everything here runs on the thread in hcr_plugin_update,
 * hcr_plugin_step or hcr_plugin_close; the watch thread only publishes
 * builds in p->pending (plugin.c).
 *
 * Versions form a chain: each keeps the version it replaced in `before`,
 * still loaded and its memory untouched since the swap, so rolling back to
 * it is one call of its HCR_LOAD and its state is the state it had when it
 * was replaced. The chain is cut HCR__ROLLBACK_DEPTH versions behind the
 * running one, so a long session does not keep every build in memory.
 *
 * The rules (hcr.h section 5):
 *   HCR_ROLLBACK_ON_FAILURE: any failure of the running version, in any
 *     call, rolls back along the chain; a version that failed never runs
 *     again. A failure in HCR_UNLOAD parks the new build until the version
 *     rolled back to has stepped once, as cr.h loads it only then.
 *   HCR_ROLLBACK_KEEP_WORKING: once the running version has completed a
 *     step (WORKING), a failed step is abandoned and the version kept, and a
 *     failed HCR_UNLOAD is reported while the new build still loads; only a
 *     version on trial rolls back, and only WORKING versions join the chain.
 */
#include "plugin_internal.h"

#include "work_queue.h"

#include <signal.h>

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

/* Records a negative guest result as the plugin's failure message. */
static void note_user_failure(struct hcr__plugin *p, struct hcr__version *v, enum hcr_op op,
                              int result)
{
    hcr__fail(&p->message, HCR_EUSER, "%s: version %u returned %d from %s", p->path, v->number,
              result, op_name(op));
    hcr__log(&p->log, HCR_LOG_ERROR, "%s", p->message.text);
}

/* Calls v's entry point with `op` under the plugin's protection, and
   reports a failure in the message and the log. Returns the failure,
   HCR_NONE when the call succeeded; *result (if not NULL) gets the guest's
   result, -1 after a crash. */
static enum hcr_failure call_guest(struct hcr__plugin *p, struct hcr__version *v, enum hcr_op op,
                                   int *result)
{
    struct hcr_plugin *ctx = p->ctx;
    int r;
    if (p->safety == HCR_SAFETY_NONE) {
        r = v->main(ctx, op);
    } else {
        struct hcr__guard g;
        r = guarded_call(ctx, v->main, op, &g);
        if (g.signo) {
            if (result)
                *result = -1;
            return note_crash(p, v, op, &g);
        }
    }
    if (result)
        *result = r;
    if (r >= 0)
        return HCR_NONE;
    note_user_failure(p, v, op, r);
    return HCR_USER;
}

static void destroy_version(void *v)
{
    hcr__version_destroy(v);
}

void hcr__version_retire(struct hcr__version *v)
{
    if (v)
        hcr__work_defer(destroy_version, v);
}

/* Whether update may take the per-frame path for the current version.
   step_fn is also the per-frame path's only sign of a pending build (or
   of one the watch thread could not prepare, `unprepared`): the watch
   thread clears it after publishing either. So after setting it, look at
   both again: between the two seq_cst pairs (store step_fn, load pending
   here; store pending, store NULL there) either this load sees the new
   build or the watch thread's NULL lands after this store. A parked build
   keeps the slow path too, which releases it. */
static void refresh_step_fn(struct hcr__plugin *p)
{
    struct hcr__version *v = p->current;
    hcr__main_fn fn = v && v->status == HCR__VERSION_WORKING && p->safety == HCR_SAFETY_GUARDED &&
                              !p->parked
                          ? v->main
                          : NULL;
    if (!fn && !atomic_load_explicit(&p->step_fn, memory_order_relaxed))
        return; /* no per-frame path before or after: nothing to publish */
    atomic_store(&p->step_fn, fn);
    if (fn && (atomic_load(&p->pending) || atomic_load(&p->unprepared)))
        atomic_store(&p->step_fn, NULL);
}

/* The version a failure of the running one would leave running: the
   version it replaced, or under KEEP_WORKING itself once it has worked. */
static unsigned fallback_number(const struct hcr__plugin *p)
{
    const struct hcr__version *v = p->current;
    if (!v)
        return 0;
    if (p->rollback == HCR_ROLLBACK_KEEP_WORKING && v->status == HCR__VERSION_WORKING)
        return v->number;
    return v->before ? v->before->number : 0;
}

/* Publishes what changed in the running version: ctx's numbers and the
   per-frame path. */
static void publish(struct hcr__plugin *p)
{
    p->ctx->version = p->current ? p->current->number : 0;
    p->ctx->last_working_version = fallback_number(p);
    refresh_step_fn(p);
}

/* Unloads every version of a chain, `v` included. */
static void retire_chain(struct hcr__version *v)
{
    while (v) {
        struct hcr__version *older = v->before;
        v->before = NULL;
        hcr__version_retire(v);
        v = older;
    }
}

/* Keeps HCR__ROLLBACK_DEPTH versions behind `running`, unloads the rest. */
static void trim_chain(struct hcr__version *running)
{
    struct hcr__version *last = running;
    for (int kept = 0; last && kept < HCR__ROLLBACK_DEPTH; kept++)
        last = last->before;
    if (last) {
        retire_chain(last->before);
        last->before = NULL;
    }
}

/* The running version failed (ctx->failure says how): it never runs
   again, and the version it replaced resumes, its state as it was when it
   was replaced; if that one fails in HCR_LOAD too, the one before it, and
   so on. With none left nothing runs, ctx->failure becomes
   HCR_INITIAL_FAILURE, and the next build is loaded when it appears. */
static void roll_back(struct hcr__plugin *p)
{
    struct hcr__version *bad = p->current;
    for (;;) {
        struct hcr__version *target = bad->before;
        bad->before = NULL;
        bad->status = HCR__VERSION_FAILED;
        if (target)
            target->status = HCR__VERSION_WORKING; /* it ran before: trusted again */
        p->current = target;
        publish(p); /* before the failed version can be unmapped */
        hcr__version_retire(bad);
        if (!target)
            break;
        hcr__log(&p->log, HCR_LOG_WARN, "%s: rolled back to version %u", p->path, target->number);
        enum hcr_failure f = call_guest(p, target, HCR_LOAD, NULL);
        if (f == HCR_NONE)
            return;
        p->ctx->failure = f;
        bad = target;
    }
    p->ctx->failure = HCR_INITIAL_FAILURE;
    hcr__log(&p->log, HCR_LOG_WARN,
             "%s: no version left to roll back to; waiting for the next build", p->path);
}

/* What a version replacing `old` rolls back to: `old` itself, kept
   loaded; under KEEP_WORKING, if `old` never completed a step, old's own
   fallback, and `old` is to be unloaded (*drop), once the new version's
   HCR_LOAD, which may migrate heap data from old's layout, is over. */
static struct hcr__version *replaced(struct hcr__plugin *p, struct hcr__version *old,
                                     struct hcr__version **drop)
{
    if (p->rollback == HCR_ROLLBACK_KEEP_WORKING && old->status != HCR__VERSION_WORKING) {
        struct hcr__version *before = old->before;
        old->before = NULL;
        *drop = old;
        return before;
    }
    old->status = HCR__VERSION_RETIRED;
    return old;
}

/* The code an update returns for failure f of a guest call: a negative
   return is the guest's own report, anything else a crash. Never -1 or
   -2, which are codes of their own (HCR_EPERM, HCR_ENOENT): cr.h's
   values are the drop-in's business (include/hcr/cr.h). */
static int failure_code(enum hcr_failure f)
{
    return f == HCR_USER ? HCR_EUSER : HCR_ECRASH;
}

/* The running version refused `next`'s state (an HCR_STATE variable
   changed size): the build is dropped and the running version, already
   unloaded, is loaded again and goes on. */
static int refuse_state(struct hcr__plugin *p, struct hcr__version *next)
{
    hcr__log(&p->log, HCR_LOG_ERROR, "%s", p->message.text);
    p->ctx->failure = HCR_STATE_INVALIDATED;
    hcr__version_retire(next);
    enum hcr_failure f = call_guest(p, p->current, HCR_LOAD, NULL);
    if (f != HCR_NONE) {
        p->ctx->failure = f;
        roll_back(p);
    }
    return HCR_ESTATE;
}

/* Makes `next` the running version: the running one's HCR_UNLOAD, state
   carried, next's HCR_LOAD. Returns 0, or HCR_ECRASH / HCR_EUSER /
   HCR_ESTATE after a failure (the failure is in ctx->failure and the
   message). */
static int swap_to(struct hcr__plugin *p, struct hcr__version *next)
{
    struct hcr_plugin *ctx = p->ctx;
    struct hcr__version *old = p->current, *drop = NULL;
    int status = 0;

    if (old) {
        enum hcr_failure f = call_guest(p, old, HCR_UNLOAD, NULL);
        if (f != HCR_NONE) {
            ctx->failure = f;
            status = failure_code(f);
            if (p->rollback == HCR_ROLLBACK_ON_FAILURE) {
                p->parked = next;
                roll_back(p);
                return status;
            }
        }
        int rc = hcr__state_transfer(old, next, p->carry, &p->log, p->path, &p->message);
        if (rc < 0)
            return refuse_state(p, next);
        next->before = replaced(p, old, &drop);
    }
    next->status = HCR__VERSION_LIVE;
    p->current = next;
    trim_chain(next);
    publish(p);
    hcr__log(&p->log, HCR_LOG_INFO, "%s: version %u loaded", p->path, next->number);
    p->migrating_from = old; /* for hcr_migrate, during this call only */
    enum hcr_failure f = call_guest(p, next, HCR_LOAD, NULL);
    p->migrating_from = NULL;
    hcr__version_retire(drop);
    if (f != HCR_NONE) {
        ctx->failure = f;
        roll_back(p);
        return failure_code(f);
    }
    return status;
}

/* Takes what the watch thread prepared, or what was parked: a version, or
   a refused build. */
static int take_build(struct hcr__plugin *p, struct hcr__version *v)
{
    struct hcr_plugin *ctx = p->ctx;
    ctx->failure = HCR_NONE;
    if (v->error) {
        int code = v->error;
        p->message = v->message;
        ctx->failure = HCR_BAD_IMAGE;
        hcr__version_retire(v);
        refresh_step_fn(p); /* the current version goes on */
        return code;
    }
    p->taken = 1;
    if (ctx->next_version <= v->number)
        ctx->next_version = v->number + 1;
    return swap_to(p, v);
}

/* The watch thread could not prepare a build at all (`unprepared`,
   `code`): reported like a refused build, and the current version goes
   on. The build is not marked prepared, so its next event (a rebuild, a
   touch) tries it again. */
static int report_unprepared(struct hcr__plugin *p, int code)
{
    p->ctx->failure = HCR_BAD_IMAGE;
    refresh_step_fn(p);
    return hcr__fail(&p->message, code,
                     "%s: out of memory preparing its new build; the running version goes on, "
                     "and the build is tried again when it changes (rebuild or touch it)",
                     p->path);
}

/* Hands the parked build back to be taken by the next update, unless a
   newer build is waiting there already. */
static void release_parked(struct hcr__plugin *p)
{
    struct hcr__version *v = p->parked, *none = NULL;
    p->parked = NULL;
    if (!atomic_compare_exchange_strong(&p->pending, &none, v))
        hcr__version_retire(v);
    refresh_step_fn(p);
}

/* The running version's step failed with `f`, the guest having returned
   `result` (-1 for a crash, already reported): the rule decides. */
static int step_failed(struct hcr__plugin *p, enum hcr_failure f, int result)
{
    p->ctx->failure = f;
    p->failed_in_step = 1;
    p->step_result = result;
    if (p->rollback == HCR_ROLLBACK_ON_FAILURE || p->current->status != HCR__VERSION_WORKING)
        roll_back(p);
    return failure_code(f);
}

static int update_slow(struct hcr__plugin *p, int take_builds)
{
    struct hcr_plugin *ctx = p->ctx;
    p->failed_in_step = 0;
    if (take_builds) {
        if (p->parked && !p->current)
            release_parked(p); /* nothing to step first */
        /* While a build is parked, the version rolled back to steps first,
           however many builds came meanwhile. */
        if (!p->parked && atomic_load_explicit(&p->pending, memory_order_relaxed) != NULL) {
            struct hcr__version *v = atomic_exchange(&p->pending, NULL);
            int rc = v ? take_build(p, v) : 0;
            if (rc < 0)
                return rc;
        } else if (!p->parked && atomic_load_explicit(&p->unprepared, memory_order_relaxed)) {
            int code = atomic_exchange(&p->unprepared, 0);
            if (code < 0)
                return report_unprepared(p, code);
        }
    }
    struct hcr__version *v = p->current;
    if (!v)
        return HCR_ENOENT; /* no version to run; ctx->failure stays as the last failure */
    ctx->failure = HCR_NONE;
    int result;
    enum hcr_failure f = call_guest(p, v, HCR_STEP, &result);
    if (f != HCR_NONE)
        return step_failed(p, f, result);
    if (v->status != HCR__VERSION_WORKING) {
        v->status = HCR__VERSION_WORKING;
        publish(p);
    }
    if (take_builds && p->parked)
        release_parked(p); /* the version rolled back to has stepped */
    return result;
}

int hcr__plugin_update_slow(struct hcr__plugin *p, int take_builds)
{
    int rc = update_slow(p, take_builds);
    if (rc < 0)
        hcr__plugin_show_message(p);
    return rc;
}

static int step_failed_here(struct hcr__plugin *p, int result)
{
    struct hcr__version *v = p->current;
    struct hcr__guard *g = &p->frame;
    if (!g->signo) {
        note_user_failure(p, v, HCR_STEP, result);
        return step_failed(p, HCR_USER, result);
    }
    enum hcr_failure f = note_crash(p, v, HCR_STEP, g);
    g->signo = 0;
    return step_failed(p, f, -1);
}

__attribute__((noinline)) int hcr__plugin_step_failed(struct hcr__plugin *p, int result)
{
    int rc = step_failed_here(p, result);
    hcr__plugin_show_message(p);
    return rc;
}

void hcr__plugin_close_versions(struct hcr__plugin *p)
{
    struct hcr__version *v = p->current;
    if (v)
        call_guest(p, v, HCR_CLOSE, NULL);
    p->current = NULL;
    while (v) {
        struct hcr__version *older = v->before;
        hcr__version_destroy(v);
        v = older;
    }
    hcr__version_destroy(p->parked);
    p->parked = NULL;
}
