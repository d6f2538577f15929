/*
 * patch.h: redirecting functions to their newest code while other threads
 * run them. A function has one identity for the life of the process, keyed
 * by its original entry (in the executable or a shared library): an 8-byte
 * slot in a read-write page holding the entry of the current version, a
 * trampoline `jmp *slot` in a read-execute page near the image, and the list
 * of every entry the function has had (the original and each reloaded
 * copy). Every entry but the current one jumps to the trampoline, so a call
 * through any old entry or old function pointer reaches the newest code in
 * two jumps, never a chain; changing versions is one atomic store to the
 * slot plus, for an entry used for the first time, a few single-byte writes
 * (see src/arch/patch.h). Code bytes are written through /proc/self/mem, so
 * no page is ever writable and executable.
 *
 * All functions are thread-safe: they take the patcher's own lock, and
 * callers take none.
 */
#ifndef HCR_OBJECT_PATCH_H
#define HCR_OBJECT_PATCH_H

#include "internal.h"

#include <stddef.h>
#include <stdint.h>

struct hcr__patch_target; /* one function identity; lives until exit */

/* Finds or creates the identity of the function whose ORIGINAL entry is
   `original`, `size` bytes long (0: unknown); `name` (copied) is used in
   messages. Creating it checks that the original can be redirected: with
   its hot-patch pads, or without them by a jump over its first bytes
   (HCR_ENOTSUP with the reason, such as a loop starting at the entry, when
   it cannot; HCR_EFLAGS when it has no pads and its size is unknown);
   HCR_ENOMEM when no slot can be placed near it. 0 with *out set, or the
   code with msg. */
int hcr__patch_target_get(void *original, uint64_t size, const char *name,
                          struct hcr__patch_target **out, struct hcr__message *msg);

/* The identity of `original` if one was created, else NULL. */
struct hcr__patch_target *hcr__patch_target_find(const void *original);

/* Makes `entry` (the original or a copy of the function with untouched
   pads, mapped read-execute) the code every call runs: `entry` itself runs
   its own body again if it had been redirected, the slot is retargeted, and
   every other entry registered so far is redirected (each only the first
   time it needs it). A new entry is registered first: HCR_EFLAGS if its pads
   are not untouched, HCR_ERANGE if it is out of reach of the trampoline.
   Reverting is setting the previous entry again. On failure (also HCR_EBUSY:
   an entry's bytes were changed by someone else, HCR_EIO: a write to
   /proc/self/mem failed) the previous current entry is made current again
   and the code is returned with msg naming the function. */
int hcr__patch_target_set(struct hcr__patch_target *t, void *entry, struct hcr__message *msg);

/* One function's switch of a change: `entry`, `size` bytes long (needed
   for a new entry without pads), becomes the target's current code.
   `no_pads`: the entry is known to have no hot-patch pads (the linker
   checked), so the bytes before it, which may be unmapped, are not read. */
struct hcr__patch_switch {
    struct hcr__patch_target *target;
    void *entry;
    uint64_t size;
    int no_pads;
};

/* Work that must happen while no other thread runs, right before a change
   takes effect: object mode moves the values of variables whose layout
   changed there, so that no write of old code falls between the copy and
   the switch. It runs with every other thread stopped wherever it was
   (one may hold malloc's lock, or stdio's): it must not allocate, lock or
   log. */
struct hcr__patch_hold {
    void (*run)(void *user);
    void *user;
};

/* hcr__patch_target_set for n functions as one change: all become current
   or, on failure, each is left with the entry it had. When any entry
   without pads is written, or `hold` is given (NULL: none), every other
   thread is paused once for the whole change (HCR_EBUSY, naming it, when a
   thread cannot be paused or stays in the bytes a jump must replace), and
   hold runs first. */
int hcr__patch_switch_many(const struct hcr__patch_switch *sw, size_t n,
                           const struct hcr__patch_hold *hold, struct hcr__message *msg);

/* Removes `entry` from the identity's entries, without writing to it,
   because its memory is about to be unmapped. HCR_EBUSY when `entry` is the
   current one or the original, HCR_ENOENT when it is not registered. */
int hcr__patch_target_forget(struct hcr__patch_target *t, void *entry);

/* The entry every call runs now, and the original entry. */
void *hcr__patch_target_current(const struct hcr__patch_target *t);
void *hcr__patch_target_original(const struct hcr__patch_target *t);
const char *hcr__patch_target_name(const struct hcr__patch_target *t);

/* 1 when the code at `entry` has untouched hot-patch pads (the bytes before
   and at the entry are what -fpatchable-function-entry=9,5 emits); `entry`
   may point into a buffer holding a copy of the code. */
int hcr__patch_pads_untouched(const void *entry);

/* 1 when `entry` (registered with t) currently jumps to the trampoline. */
int hcr__patch_entry_redirected(const struct hcr__patch_target *t, const void *entry);

#endif
