/*
 * patch.h: the machine side of redirecting a function entry. An
 * architecture says what its hot-patch pads look like (the bytes that
 * -fpatchable-function-entry leaves before and at each entry), encodes the
 * jump that fills the pre-entry pad and the trampoline that jumps through a
 * slot, and plans the single-byte writes that switch a live entry between
 * "runs its own body" and "jumps to the pre-entry pad", so that every
 * intermediate state is a valid instruction stream for a thread executing
 * it. The generic patcher (src/object/patch.c) performs the writes and keeps
 * the per-entry state; it never interprets instruction bytes itself.
 */
#ifndef HCR_ARCH_PATCH_H
#define HCR_ARCH_PATCH_H

#include "arch_facts.h" /* HCR__PATCH_PRE_BYTES, _ENTRY_BYTES, _TRAMPOLINE_SIZE */

#include <stddef.h>
#include <stdint.h>

/* What the patcher remembers about one entry between plans. Zero is not a
   valid state: start from hcr__arch_entry_init. */
struct hcr__arch_entry {
    unsigned char under_breakpoint; /* the byte at the entry as it is without
                                       any debugger breakpoint on it */
};

/* One single-byte write at entry + offset. */
struct hcr__arch_write {
    int offset;
    unsigned char value;
};
#define HCR__PATCH_MAX_WRITES 2

/* 1 when the bytes from entry - HCR__PATCH_PRE_BYTES to entry +
   HCR__PATCH_ENTRY_BYTES are the untouched pads, else 0. `entry` may point
   into a buffer holding a copy of the code; for live code pass `traced`
   (see hcr__arch_plan_entry), and a debugger's breakpoint on a pad byte
   counts as the pad it hides. NULL: no breakpoint is accepted. */
int hcr__arch_pads_untouched(const unsigned char *entry, int (*traced)(void));

/* Why the pads of a function of an object being linked cannot be
   patched, or NULL when they can: `entry` points at its entry in the
   linked copy, with `before` bytes of its section before it and `after`
   from it on. The reason names the compiler flag to use. */
const char *hcr__arch_pads_problem(const unsigned char *entry, size_t before, size_t after);

/* The state of an entry whose pads are untouched. */
void hcr__arch_entry_init(struct hcr__arch_entry *state);

/* Encodes into out the pre-entry jump of the entry at `entry` to `target`.
   0, or HCR_ERANGE when target is out of the jump's reach. */
int hcr__arch_pre_jump(unsigned char out[HCR__PATCH_PRE_BYTES], uintptr_t entry, uintptr_t target);

/* Encodes into out the trampoline placed at `at` that jumps to the address
   stored in the 8-byte slot at `slot`. 0, or HCR_ERANGE when out of reach. */
int hcr__arch_trampoline(unsigned char out[HCR__PATCH_TRAMPOLINE_SIZE], uintptr_t at,
                         uintptr_t slot);

/* Plans the writes that make the entry jump to its pre-entry pad
   (`redirect` nonzero) or run its own body again (`redirect` zero), given
   `live`, the HCR__PATCH_ENTRY_BYTES bytes now at the entry, and `traced`,
   a callback answering whether a debugger is attached (asked only when a
   breakpoint byte is seen). Fills writes[] in the order they must be done,
   *count (0 when the entry is already in the wanted state) and *next, the
   state once the writes are done. 0, or HCR_EBUSY when the bytes are in a
   state hcr did not leave them in (someone else wrote the entry). */
int hcr__arch_plan_entry(const struct hcr__arch_entry *state, const unsigned char *live,
                         int redirect, int (*traced)(void),
                         struct hcr__arch_write writes[HCR__PATCH_MAX_WRITES], size_t *count,
                         struct hcr__arch_entry *next);

/* 1 when the pads of the entry at `entry` lie in more than one instruction
   fetch block, so another CPU could decode a new byte of an instruction
   together with a stale one: the patcher then makes every CPU discard what
   it fetched before the last write of a plan. Compilers align functions so
   this is 0 for their layout; code built with -Os or copied elsewhere may
   differ. */
int hcr__arch_pads_straddle(uintptr_t entry);

/* 1 when the entry with these live bytes currently jumps to its pre-entry
   pad, judged as the CPU would see it with `state` under any breakpoint. */
int hcr__arch_entry_redirected(const struct hcr__arch_entry *state, const unsigned char *live);

/* Entries without pads. Code built without the hot-patch flags is
   redirected by overwriting HCR__PATCH_JUMP_BYTES bytes at a site in its
   first instructions with a jump, written while every other thread is
   paused (src/object/thread_pause.c), none of them inside those bytes. */

/* Where the jump of an entry without pads goes. */
struct hcr__arch_site {
    size_t offset;    /* from the entry */
    unsigned returns; /* bit k set: a call in the replaced bytes returns to
                         offset + k, so a stack holding that address is a
                         thread inside the call */
};

/* Why the function at `code` (its live entry or a copy of it), `size`
   bytes long, cannot have its first instructions replaced by the jump, or
   NULL when it can; then *site says where the jump goes. `traced` answers
   whether a debugger is attached (asked only when an int3 is seen; NULL:
   no). A returned reason may be formatted into
   why[why_size]; it says where in the function the problem is. */
const char *hcr__arch_site_problem(const unsigned char *code, size_t size, int (*traced)(void),
                                   struct hcr__arch_site *site, char *why, size_t why_size);

/* Encodes into out the jump at `site` to `target`. 0, or HCR_ERANGE when
   out of the jump's reach. */
int hcr__arch_site_jump(unsigned char out[HCR__PATCH_JUMP_BYTES], uintptr_t site,
                        uintptr_t target);

#endif
