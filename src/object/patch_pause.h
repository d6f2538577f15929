/*
 * patch_pause.h: the pause under which the patcher (patch.c) writes the
 * jumps of functions without pads. An interior is the bytes after the
 * first of such a function's replaced bytes: a thread stopped there, or
 * returning there from a call made from the first bytes, would resume in
 * the middle of the jump.
 */
#ifndef HCR_OBJECT_PATCH_PAUSE_H
#define HCR_OBJECT_PATCH_PAUSE_H

#include "internal.h"

#include <stddef.h>
#include <stdint.h>

struct hcr__patch_interior {
    uintptr_t lo, hi;  /* [lo, hi) */
    unsigned returns;  /* bit k: a call in the replaced bytes returns to lo - 1 + k */
    const char *name;  /* the function, for messages */
};

/* Pauses every other thread (thread_pause.h) with none inside an interior
   of v[0..n) (sorted here) nor in a call returning into one; the calling
   thread's own calls are checked by unwinding it first. A thread stopped
   inside is let run past alone; one in such a call is waited for a while.
   0 with the threads paused, or HCR_EBUSY (naming the function and the
   thread) or the pause's error, with every thread running. */
int hcr__patch_pause_outside(struct hcr__patch_interior *v, size_t n, struct hcr__message *msg);

#endif
