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

struct hcr__patch_target;

/* One function a reload switched: its identity, the entry current before
   the reload, and the new copy's. */
struct hcr__switched {
    struct hcr__patch_target *target;
    void *previous;
    void *entry;
    uint64_t size; /* of entry */
    int no_pads;   /* entry has no hot-patch pads */
};

struct hcr__object_record {
    struct hcr__object_record *older;
    unsigned id;                /* 1 for the first successful reload */
    char path[PATH_MAX];        /* the object, for messages (also in signal context) */
    char source[PATH_MAX];      /* the source it was compiled from, when the caller
                                   said (live editing); else empty */
    char unit[PATH_MAX];        /* its compilation unit's path from its debug
                                   information (object_migrate.c); else empty */
    size_t registry_mark;       /* reloaded symbols registered before its reload:
                                   a revert forgets the rest (reloaded.h) */
    uintptr_t text_lo, text_hi; /* its code */
    void *base;
    size_t size;
    _Atomic int state;          /* enum hcr__reload_state */
    struct hcr__switched *switched; /* functions it made current, and what was before */
    size_t nswitched;
};

/* ---- records.c ---- */

/* Takes and releases the object lock (see records.c for the lock order);
   log lines logged meanwhile reach their sinks after the release. */
void hcr__object_lock(void);
void hcr__object_unlock(void);

/* Under the object lock: the id the next reload that goes live gets, and
   counting n more as live. */
unsigned hcr__object_records_next_id(void);
void hcr__object_records_count_live(unsigned n);

/* Under the object lock: puts a filled record (state LOADING) at the head
   of the list, where the crash guard sees it at once. */
void hcr__object_record_publish(struct hcr__object_record *rec);

/* The newest record (every record is reached through `older`), or NULL.
   Lock-free, as hcr__object_record_at. */
const struct hcr__object_record *hcr__object_records_newest(void);

/* The record whose code contains pc, newest first, or NULL.
   Async-signal-safe (lock-free reads of a list that only grows). */
const struct hcr__object_record *hcr__object_record_at(uintptr_t pc);

/* The id of the newest live reload, or 0. */
unsigned hcr__object_newest_live_id(void);

/* The oldest live reload whose id is above `id`, or NULL. */
const struct hcr__object_record *hcr__object_live_since(unsigned id);

/* Reverts every live reload newer than `target`, and `target` itself,
   newest first: each function it switched gets its previous entry back,
   and the symbols they registered are forgotten, so that a later reload
   binds to the storage the code running again uses (a variable one of
   them moved is found at its old place, with its old type).
   0 or the first error (msg set). Takes the object lock. */
int hcr__object_revert_to_before(const struct hcr__object_record *target,
                                 struct hcr__message *msg);

/* Makes sure a crash in reloaded code outside hcr_object_protect is
   reported with the reload that introduced the code (installs the crash
   guard's handlers once). */
void hcr__object_guard_report_crashes(void);

/* What one reload did, for live editing's report. */
struct hcr__reload_stats {
    size_t redirected;    /* functions whose entries now lead to new code */
    size_t new_functions; /* functions the program did not have */
    size_t new_variables;
    size_t kept;          /* variables bound to the program's storage */
    size_t dropped;       /* external functions of the unit the object lacks */
};

/* One object of a reload. */
struct hcr__reload_item {
    const char *object;
    const char *source;   /* what it was compiled from, for crash reports; may be NULL */
    struct hcr__reload_stats stats; /* filled on success, zeroes otherwise */
};

/* hcr_object_reload of n objects as one transaction: every object is
   linked before any function is switched, later objects bind to what
   earlier ones add, and either every object goes live or none does (the
   program keeps its previous code, hcr_object_error says why). With
   `quiet`, the report lines are logged at debug level (the caller
   reports). Log lines reach their sinks, and the objects' new
   constructors run, after the object lock is released. 0 or the error. */
int hcr__object_reload_batch(struct hcr__reload_item *items, size_t n, int quiet);

/* Builds the process's symbol index ahead of the first reload (under the
   object lock, as every use of it). 0, or a negative code with msg. */
int hcr__object_prepare(struct hcr__message *msg);

/* Around a fork (live editing's fork handlers): prepare takes the object
   lock, so that no reload is half done in the child; release, in the
   parent and in the child, gives it back. */
void hcr__object_atfork_prepare(void);
void hcr__object_atfork_release(void);

/* Sets the message hcr_object_error returns (the _locked form under the
   object lock). */
void hcr__object_set_error(const struct hcr__message *msg);
void hcr__object_set_error_locked(const struct hcr__message *msg);

#endif
