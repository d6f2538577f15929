/*
 * thread_pause.h: holding every other thread of the process still, with
 * its interrupted program counter known, while the patcher rewrites the
 * first bytes of functions built without hot-patch pads.
 *
 * Each thread is sent HCR__PAUSE_SIGNAL; its handler records where the
 * thread was and waits on a futex until the pause ends. Threads started
 * while the pause is being set up are found by listing /proc/self/task
 * again until no new one appears. Between hcr__threads_pause and
 * hcr__threads_resume the caller must not allocate, log or take any lock a
 * paused thread might hold: it writes code and nothing else.
 *
 * One pause at a time; the caller serialises (the patcher's lock).
 */
#ifndef HCR_OBJECT_THREAD_PAUSE_H
#define HCR_OBJECT_THREAD_PAUSE_H

#include "internal.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* The signal that pauses a thread. Real-time, so it is queued and never
   merged with one the program sends; near the top of the range, where
   programs rarely look. */
#define HCR__PAUSE_SIGNAL (SIGRTMAX - 3)

/* Pauses every thread but the caller. 0, or a negative code with msg, all
   threads running again: HCR_EBUSY when a thread did not stop in time
   (the message names it, and says when it blocks the signal), or when the
   program has its own handler for HCR__PAUSE_SIGNAL. */
int hcr__threads_pause(struct hcr__message *msg);

/* While paused: 1 when pc_inside(pc) holds for the program counter of a
   paused thread; 2 when returns_inside(word) holds for a word of a paused
   thread's stack (from its stack pointer up, where the return addresses of
   its calls are: a stale word left in a frame can match too, which only
   makes the caller wait); else 0. *tid names the thread. The caller's own
   stack is not scanned: it can unwind itself exactly. A thread running on
   an alternate signal stack is scanned on that stack only. */
int hcr__threads_scan(int (*pc_inside)(uintptr_t, void *),
                      int (*returns_inside)(uintptr_t, void *), void *user, int *tid);

/* While paused: lets thread `tid` alone run on for a moment and pauses it
   again, the others staying paused; a thread stopped in straight-line
   code moves past it. 0, HCR_EINVAL when tid is not paused, HCR_EBUSY when
   it did not come back in time (the pause then stands for the others; end
   it with hcr__threads_resume, which also releases it if it comes). */
int hcr__threads_nudge(int tid);

/* Makes every CPU discard instructions it fetched before now, then lets
   the threads go, and returns once each has left its handler. */
void hcr__threads_resume(void);

/* The longest time, in nanoseconds, a thread was held by the last pause
   (from its arrival in the handler to its release). */
uint64_t hcr__threads_last_hold_ns(void);

#endif
