/*
 * address_map.c: which plugin instance owns a code address.
 *
 * The map is an immutable sorted array of ranges, replaced whole by writers
 * (under a mutex) and read without locks, so a lookup is safe in a signal
 * handler and costs one binary search. A replaced array is freed only once
 * no reader is inside a lookup: readers announce themselves in a counter;
 * the writer publishes the new array, then waits for the counter to drain.
 * A reader that starts after the publication can only see the new array.
 */
#include "plugin_internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct range {
    uintptr_t lo, hi;
    struct hcr_plugin *ctx;
};

struct range_array {
    size_t count;
    struct range ranges[];
};

static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct range_array *_Atomic published;
static _Atomic long readers;

static struct range_array *new_array(size_t count)
{
    struct range_array *a = malloc(sizeof *a + count * sizeof a->ranges[0]);
    if (a)
        a->count = count;
    return a;
}

/* Publishes `next` and frees the array it replaces once no reader holds it.
   writer_lock held. */
static void publish(struct range_array *next)
{
    struct range_array *old = atomic_exchange(&published, next);
    while (atomic_load(&readers) != 0)
        sched_yield();
    free(old);
}

int hcr__address_map_add(uintptr_t lo, uintptr_t hi, struct hcr_plugin *ctx)
{
    pthread_mutex_lock(&writer_lock);
    struct range_array *cur = atomic_load(&published);
    size_t n = cur ? cur->count : 0;
    struct range_array *next = new_array(n + 1);
    if (!next) {
        pthread_mutex_unlock(&writer_lock);
        return HCR_ENOMEM;
    }
    size_t at = 0;
    while (at < n && cur->ranges[at].lo < lo)
        at++;
    if (n)
        memcpy(next->ranges, cur->ranges, at * sizeof next->ranges[0]);
    next->ranges[at] = (struct range){lo, hi, ctx};
    if (n > at)
        memcpy(next->ranges + at + 1, cur->ranges + at, (n - at) * sizeof next->ranges[0]);
    publish(next);
    pthread_mutex_unlock(&writer_lock);
    return 0;
}

void hcr__address_map_remove(uintptr_t lo, uintptr_t hi)
{
    pthread_mutex_lock(&writer_lock);
    struct range_array *cur = atomic_load(&published);
    size_t n = cur ? cur->count : 0, at = 0;
    while (at < n && !(cur->ranges[at].lo == lo && cur->ranges[at].hi == hi))
        at++;
    if (at < n) {
        struct range_array *next = n > 1 ? new_array(n - 1) : NULL;
        if (next || n == 1) {
            if (next) {
                memcpy(next->ranges, cur->ranges, at * sizeof next->ranges[0]);
                memcpy(next->ranges + at, cur->ranges + at + 1,
                       (n - at - 1) * sizeof next->ranges[0]);
            }
            publish(next);
        } else {
            /* Out of memory: keep the range but let it own nothing, so the
               address no longer maps to a closed instance. */
            cur->ranges[at].ctx = NULL;
        }
    }
    pthread_mutex_unlock(&writer_lock);
}

struct hcr_plugin *hcr_plugin_from_address(const void *code_address)
{
    uintptr_t addr = (uintptr_t)code_address;
    struct hcr_plugin *found = NULL;
    atomic_fetch_add(&readers, 1);
    const struct range_array *a = atomic_load(&published);
    if (a) {
        size_t lo = 0, hi = a->count;
        while (lo < hi) { /* first range with lo > addr */
            size_t mid = lo + (hi - lo) / 2;
            if (a->ranges[mid].lo <= addr)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0 && addr < a->ranges[lo - 1].hi)
            found = a->ranges[lo - 1].ctx;
    }
    atomic_fetch_sub(&readers, 1);
    return found;
}
