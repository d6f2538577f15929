/*
 * object.h: what object mode's parts share about reloads that went live: the
 * record of each reload (for reverting it and for saying which reload
 * introduced the code at a crashing PC) and reverting. Records are never
 * freed; every field but `state` is fixed before the record is published.
 */
#ifndef HCR_OBJECT_OBJECT_H
#define HCR_OBJECT_OBJECT_H

#include "internal.h"

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum hcr__reload_state {
    HCR__RELOAD_LOADING,  /* published, being switched in */
    HCR__RELOAD_LIVE,     /* its functions are the current ones (or later reloads') */
    HCR__RELOAD_REVERTED  /* switched back (after a crash, or a failed switch);
                             its code stays mapped */
};

struct switched;

struct hcr__object_record {
    struct hcr__object_record *older;
    unsigned id;                /* 1 for the first successful reload */
    char path[PATH_MAX];        /* the object, for messages (also in signal context) */
    uintptr_t text_lo, text_hi; /* its code */
    void *base;
    size_t size;
    _Atomic int state;          /* enum hcr__reload_state */
    struct switched *switched;  /* functions it made current, and what was before */
    size_t nswitched;
};

/* The record whose code contains pc, newest first, or NULL.
   Async-signal-safe (lock-free reads of a list that only grows). */
const struct hcr__object_record *hcr__object_record_at(uintptr_t pc);

/* The id of the newest live reload, or 0. */
unsigned hcr__object_newest_live_id(void);

/* The oldest live reload whose id is above `id`, or NULL. */
const struct hcr__object_record *hcr__object_live_since(unsigned id);

/* Reverts every live reload newer than `target`, and `target` itself,
   newest first: each function it switched gets its previous entry back.
   0 or the first error (msg set). Takes the reload lock. */
int hcr__object_revert_to_before(const struct hcr__object_record *target,
                                 struct hcr__message *msg);

/* Makes sure a crash in reloaded code outside hcr_object_protect is
   reported with the reload that introduced the code (installs the crash
   guard's handlers once). */
void hcr__object_watch_crashes(void);

/* What one reload did, for live editing's report. */
struct hcr__reload_stats {
    size_t redirected;    /* functions whose entries now lead to new code */
    size_t new_functions; /* functions the program did not have */
    size_t new_variables;
    size_t kept;          /* variables bound to the program's storage */
    size_t dropped;       /* external functions of the unit the object lacks */
};

/* hcr_object_reload, filling *stats on success (zeroes on failure); with
   `quiet`, its report line is logged at debug level (the caller reports). */
int hcr__object_reload_stats(const char *object_path, struct hcr__reload_stats *stats, int quiet);

/* Builds the process's symbol index ahead of the first reload (under the
   reload lock, as every use of it). 0, or a negative code with msg. */
int hcr__object_prepare(struct hcr__message *msg);

/* Around a fork (live editing's fork handlers): prepare takes the reload
   lock, so that no reload is half done in the child; release, in the
   parent and in the child, gives it back. */
void hcr__object_atfork_prepare(void);
void hcr__object_atfork_release(void);

/* Sets the message hcr_object_error returns. */
void hcr__object_set_error(const struct hcr__message *msg);

#endif
