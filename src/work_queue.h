/*
 * work_queue.h: work taken off the caller's thread, so that slow clean-up
 * (unmapping a library, closing a large file) never delays the host.
 *
 * The queue has no thread of its own. The watch thread (watch.c) runs it
 * while it exists: it attaches itself when it starts, detaches before it
 * stops, and serves file events before deferred items and between any two
 * of them. Without it the work runs inline, in the caller.
 */
#ifndef HCR_WORK_QUEUE_H
#define HCR_WORK_QUEUE_H

/* Runs fn(arg) soon on the thread attached to the queue. Runs it at once
   when none is attached. Returns nothing: it cannot fail, only run inline.
   File events are served before deferred items and between any two of
   them, so long work split into items, each deferring the next, never
   holds up a reload by more than one item. */
void hcr__work_defer(void (*fn)(void *), void *arg);

/* Waits until every deferred item has run. Not from the attached thread. */
void hcr__work_flush(void);

/* For the thread that runs the queue (watch.c). */

/* From now on items are queued for the caller, woken by wake() (which
   must not block, and is called with the queue's lock held) to call
   hcr__work_run. */
void hcr__work_attach(void (*wake)(void));

/* From now on items run inline. Those already queued stay queued: the
   thread that was attached runs them with hcr__work_run(NULL) before it
   ends. */
void hcr__work_detach(void);

/* Runs the queued items, oldest first. With `stop_early` (not NULL),
   stops as soon as it returns nonzero after an item, and queues the rest
   again ahead of the items added since, waking the attached thread to
   come back to them. At least one item runs per call, so that stop_early
   cannot starve them. */
void hcr__work_run(int (*stop_early)(void));

#endif
