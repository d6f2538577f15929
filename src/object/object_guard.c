/*
 * object_guard.c: crashes in reloaded code. hcr_object_protect runs a unit
 * of work under the crash guard; a crash whose PC lies in reloaded code
 * reverts that reload and every newer one, so the program goes on with the
 * code it ran before. A crash elsewhere (in libc, called by new code with a
 * bad argument, say) reverts the reloads that went live since the last
 * protected unit completed: until one completes, they are suspects; after,
 * they are trusted. A crash in reloaded code outside any protected unit
 * is reported from the signal handler (write(2) only) with the object and
 * reload number that introduced the code, then takes its default action.
 */
#include "guard.h"
#include "object/object.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static char protect_owner; /* what guard frames of protected work are charged to */
static _Atomic unsigned trusted; /* newest reload that completed a protected unit */

static const char *signal_name(int signo)
{
    switch (signo) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    }
    return "a signal";
}

/* Decimal text of v at the end of buf (async-signal-safe). */
static const char *decimal(unsigned long v, char *buf, size_t size)
{
    char *p = buf + size - 1;
    *p = 0;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v && p > buf);
    return p;
}

/* Signal context: reports a crash in reloaded code on a thread without a
   guard frame. */
static void report_unguarded(int signo, const siginfo_t *info, void *pc)
{
    (void)info;
    const struct hcr__object_record *r = hcr__object_record_at((uintptr_t)pc);
    if (!r)
        return;
    char num[24];
    hcr__guard_write_stderr("hcr: ");
    hcr__guard_write_stderr(signal_name(signo));
    if (r->source[0]) {
        hcr__guard_write_stderr(" in code of ");
        hcr__guard_write_stderr(r->source);
        hcr__guard_write_stderr(" reloaded from ");
    } else {
        hcr__guard_write_stderr(" in code reloaded from ");
    }
    hcr__guard_write_stderr(r->path);
    hcr__guard_write_stderr(" (reload ");
    hcr__guard_write_stderr(decimal(r->id, num, sizeof num));
    hcr__guard_write_stderr("), outside hcr_object_protect: not recovered\n");
}

static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

static void watch(void)
{
    if (hcr__guard_init() == 0)
        hcr__guard_set_unguarded_hook(report_unguarded);
}

void hcr__object_guard_report_crashes(void)
{
    pthread_once(&watch_once, watch);
}

/* What a message calls a reload: its source when known, else its object. */
static const char *unit_of(const struct hcr__object_record *r)
{
    return r->source[0] ? r->source : r->path;
}

/* After a crash under protection: revert the reload that owns the crashing
   code (and newer ones), and say what happened. */
static int crashed(const struct hcr__guard *g)
{
    struct hcr__message msg;
    const struct hcr__object_record *r = hcr__object_record_at((uintptr_t)g->pc);
    const struct hcr__object_record *suspect = r ? NULL : hcr__object_live_since(trusted);
    if (!r && !suspect) {
        hcr__fail(&msg, HCR_ECRASH,
                  "%s%s at address %p, pc %p, outside reloaded code, with no untried reload: "
                  "no reload reverted",
                  signal_name(g->signo), g->stack_overflow ? " (stack overflow)" : "",
                  g->fault_address, g->pc);
    } else if (!r) {
        struct hcr__message detail = {{0}};
        int rc = hcr__object_revert_to_before(suspect, &detail);
        hcr__fail(&msg, HCR_ECRASH,
                  "%s: %s%s at address %p, pc %p outside reloaded code, in the first protected "
                  "work since reload %u: %s%s",
                  unit_of(suspect), signal_name(g->signo),
                  g->stack_overflow ? " (stack overflow)" : "", g->fault_address, g->pc,
                  suspect->id,
                  rc < 0 ? "reverting failed: " : "reverted it and every newer reload",
                  rc < 0 ? detail.text : "");
    } else {
        struct hcr__message detail = {{0}};
        int rc = hcr__object_revert_to_before(r, &detail);
        hcr__fail(&msg, HCR_ECRASH,
                  "%s: %s%s at address %p in code of reload %u (pc %p): %s%s", unit_of(r),
                  signal_name(g->signo), g->stack_overflow ? " (stack overflow)" : "",
                  g->fault_address, r->id, g->pc,
                  rc < 0 ? "reverting it failed: " : "reverted it and every newer reload",
                  rc < 0 ? detail.text : "");
    }
    hcr__log(NULL, HCR_LOG_ERROR, "object: %s", msg.text);
    hcr__object_set_error(&msg);
    return HCR_ECRASH;
}

int hcr_object_protect(void (*work)(void *arg), void *arg)
{
    if (!work)
        return HCR_EINVAL;
    int rc = hcr__guard_init();
    if (rc < 0) {
        struct hcr__message msg;
        hcr__fail(&msg, rc,
                  "hcr_object_protect: cannot set up crash protection on this thread (signal "
                  "handlers and an alternate signal stack): %s; the work was not run",
                  hcr_strerror(rc));
        hcr__object_set_error(&msg);
        return rc;
    }
    hcr__object_guard_report_crashes();
    struct hcr__guard g;
    hcr__guard_push(&g, &protect_owner);
    unsigned live = hcr__object_newest_live_id();
    if (HCR__GUARD_SETJMP(g.jump) == 0) {
        work(arg);
        hcr__guard_pop(&g);
        /* The reloads that were live during the whole unit are trusted. */
        unsigned t = atomic_load(&trusted);
        while (live > t && !atomic_compare_exchange_weak(&trusted, &t, live))
            ;
        return 0;
    }
    return crashed(&g);
}
