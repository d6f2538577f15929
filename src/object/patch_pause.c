/*
 * patch_pause.c: pausing every other thread for a change that rewrites
 * the first bytes of functions without pads (see patch_pause.h): none may
 * be stopped inside those bytes or in a call made from them. The threads
 * themselves are held by thread_pause.c; this file decides when a pause is
 * safe to write under.
 */
#include "object/patch_pause.h"

#include "arch_facts.h"
#include "object/thread_pause.h"

#include <stdlib.h>
#include <time.h>
#include <unwind.h>

/* The interiors of a change, sorted by start for the stack scan, and the
   one a scan last hit. */
struct interiors {
    struct hcr__patch_interior *v;
    size_t n;
    const struct hcr__patch_interior *hit;
};

static int interior_order(const void *a, const void *b)
{
    const struct hcr__patch_interior *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* hcr__threads_scan's tests: whether a program counter lies in an
   interior, and whether a stack word is a return address into one. */
static int in_interior(uintptr_t value, void *user, int on_stack)
{
    struct interiors *in = user;
    size_t lo = 0, hi = in->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (in->v[mid].hi <= value)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Interiors do not overlap: the first ending after value is the one. */
    if (lo < in->n && in->v[lo].lo <= value &&
        (!on_stack || (in->v[lo].returns >> (value - (in->v[lo].lo - 1)) & 1))) {
        in->hit = &in->v[lo];
        return 1;
    }
    return 0;
}

static int pc_in_interior(uintptr_t value, void *user)
{
    return in_interior(value, user, 0);
}

static int returns_into_interior(uintptr_t value, void *user)
{
    return in_interior(value, user, 1);
}

/* How often a change waits for threads to leave the first bytes of the
   functions it rewrites, and how long each time. A thread is inside them
   only between a call and its first few instructions. */
#define PAUSE_ATTEMPTS 100
#define PAUSE_NUDGES 20
#define PAUSE_RETRY_NS (200 * 1000L)

struct own_frames {
    struct interiors *in;
    int hit;
};

static _Unwind_Reason_Code own_frame(struct _Unwind_Context *context, void *arg)
{
    struct own_frames *f = arg;
    if (returns_into_interior((uintptr_t)_Unwind_GetIP(context), f->in)) {
        f->hit = 1;
        return _URC_END_OF_STACK;
    }
    return _URC_NO_REASON;
}

/* Pauses every other thread, none of them inside the replaced bytes of a
   plain entry of the n switches, nor returning into them. 0 or a negative
   code with msg. Lock held. */
static int pause_outside(struct interiors *in, struct hcr__message *msg)
{
    /* This thread's own calls, exactly, by unwinding (before the pause:
       the unwinder may take the loader's lock, which a paused thread could
       hold). */
    struct own_frames own = {in, 0};
    _Unwind_Backtrace(own_frame, &own);
    if (own.hit)
        return hcr__fail(msg, HCR_EBUSY,
                         "%s: the reloading thread is in a call made from the first %d bytes "
                         "of the function, which a jump must replace; reload again once that "
                         "call has returned",
                         in->hit->name, HCR__PATCH_JUMP_BYTES);
    for (int attempt = 0;; attempt++) {
        int rc = hcr__threads_pause(msg);
        if (rc < 0)
            return rc;
        int tid, where;
        /* A thread stopped inside the first bytes is in straight-line code
           on its way in: let it alone run past them, the others staying
           paused. */
        for (int nudge = 0; nudge < PAUSE_NUDGES; nudge++) {
            where = hcr__threads_scan(pc_in_interior, returns_into_interior, in, &tid);
            if (where != 1 || hcr__threads_nudge(tid) != 0)
                break;
        }
        if (!where)
            return 0;
        hcr__threads_resume();
        if (attempt + 1 == PAUSE_ATTEMPTS)
            return hcr__fail(msg, HCR_EBUSY,
                             where == 1 ? "%s: thread %d stayed inside the first %d bytes of "
                                          "the function, which a jump must replace"
                                        : "%s: thread %d is in a call made from the first %d "
                                          "bytes of the function, which a jump must replace; "
                                          "reload again once that call has returned",
                             in->hit->name, tid, HCR__PATCH_JUMP_BYTES);
        struct timespec wait = {0, PAUSE_RETRY_NS};
        nanosleep(&wait, NULL);
    }
}

int hcr__patch_pause_outside(struct hcr__patch_interior *v, size_t n, struct hcr__message *msg)
{
    struct interiors in = {v, n, NULL};
    qsort(v, n, sizeof *v, interior_order);
    return pause_outside(&in, msg);
}
