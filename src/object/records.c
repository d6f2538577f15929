/*
 * records.c: the history of object mode's reloads, shared by the
 * transaction (object_api.c) and the crash guard (object_guard.c), and
 * the lock that orders them. Each reload that was switched in is kept as a
 * record: which functions it switched and from what, and the address
 * range of its code. Records are never freed (code that once ran may still
 * be on some thread's stack), so a signal handler can walk them without
 * locks to say which reload introduced the code at a crashing PC.
 *
 * Locks of object mode, outermost first; a thread holding one takes only
 * those below it:
 *   object lock (here)        one reload, revert or index build at a time
 *   cache_lock (symbols.c)    the process index
 *   reloaded_lock (reloaded.c)  the symbols reloads added
 *   patch_lock (patch.c)      identities of redirected functions, code writes
 *   near_lock (near_memory.c)  memory within reach of an image
 *   images_lock (debug.c), then jit_lock (debug_gdb.c)  debugger records
 *   global_lock (log.c)       the process-wide log sink, taken alone
 * No user code runs under any of them: log lines wait for the release
 * (hcr__log_hold), and constructors run after the object lock is
 * released.
 */
#include "object/object.h"
#include "object/patch.h"

#include "object/reloaded.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t object_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hcr__object_record *_Atomic newest; /* list, newest first */
static unsigned live_count;                       /* reloads that went live */
static struct hcr__message last_error;

void hcr__object_lock(void)
{
    hcr__log_hold();
    pthread_mutex_lock(&object_lock);
}

void hcr__object_unlock(void)
{
    pthread_mutex_unlock(&object_lock);
    hcr__log_release();
}

unsigned hcr__object_records_next_id(void)
{
    return live_count + 1;
}

void hcr__object_records_count_live(unsigned n)
{
    live_count += n;
}

void hcr__object_record_publish(struct hcr__object_record *rec)
{
    rec->state = HCR__RELOAD_LOADING;
    rec->older = atomic_load(&newest);
    atomic_store(&newest, rec);
}

const struct hcr__object_record *hcr__object_records_newest(void)
{
    return atomic_load(&newest);
}

const struct hcr__object_record *hcr__object_record_at(uintptr_t pc)
{
    /* Every record's code is still mapped, whatever its state. */
    for (const struct hcr__object_record *r = atomic_load(&newest); r; r = r->older)
        if (pc >= r->text_lo && pc < r->text_hi)
            return r;
    return NULL;
}

unsigned hcr__object_newest_live_id(void)
{
    for (const struct hcr__object_record *r = atomic_load(&newest); r; r = r->older)
        if (atomic_load(&r->state) == HCR__RELOAD_LIVE)
            return r->id;
    return 0;
}

const struct hcr__object_record *hcr__object_live_since(unsigned id)
{
    const struct hcr__object_record *oldest = NULL;
    for (const struct hcr__object_record *r = atomic_load(&newest); r && r->id > id; r = r->older)
        if (atomic_load(&r->state) == HCR__RELOAD_LIVE)
            oldest = r;
    return oldest;
}

/* Makes the previous entry of every function r switched current again,
   as one change. 0 or the error (then each function keeps the entry it
   had). */
static int revert_record(const struct hcr__object_record *r, struct hcr__message *msg)
{
    struct hcr__patch_switch *sw = malloc((r->nswitched ? r->nswitched : 1) * sizeof *sw);
    if (!sw)
        return hcr__fail(msg, HCR_ENOMEM, "%s: out of memory reverting", r->path);
    for (size_t i = 0; i < r->nswitched; i++)
        sw[i] = (struct hcr__patch_switch){r->switched[i].target, r->switched[i].previous, 0, 0};
    int rc = hcr__patch_switch_many(sw, r->nswitched, NULL, msg);
    free(sw);
    return rc;
}

int hcr__object_revert_to_before(const struct hcr__object_record *target, struct hcr__message *msg)
{
    hcr__object_lock();
    int rc = 0;
    for (struct hcr__object_record *r = atomic_load(&newest); r; r = r->older) {
        if (atomic_load(&r->state) == HCR__RELOAD_LIVE) {
            int e = revert_record(r, msg);
            if (e < 0 && rc == 0)
                rc = e;
            atomic_store(&r->state, HCR__RELOAD_REVERTED);
            hcr__log(NULL, HCR_LOG_WARN, "object: reverted reload %u of %s", r->id,
                     r->source[0] ? r->source : r->path);
        }
        if (r == target)
            break;
    }
    hcr__reloaded_truncate(target->registry_mark);
    hcr__object_unlock();
    return rc;
}

void hcr__object_set_error_locked(const struct hcr__message *msg)
{
    last_error = *msg;
}

void hcr__object_set_error(const struct hcr__message *msg)
{
    hcr__object_lock();
    last_error = *msg;
    hcr__object_unlock();
}

const char *hcr_object_error(void)
{
    /* Each thread gets a stable copy: another thread's failing reload may
       rewrite last_error while the caller reads the text. */
    static _Thread_local struct hcr__message copy;
    hcr__object_lock();
    copy = last_error;
    hcr__object_unlock();
    return copy.text;
}

void hcr__object_atfork_prepare(void)
{
    pthread_mutex_lock(&object_lock);
}

void hcr__object_atfork_release(void)
{
    pthread_mutex_unlock(&object_lock);
}
