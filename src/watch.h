/*
 * watch.h: telling when a file has a new complete version, without costing
 * the host anything.
 *
 * One background thread per process holds one inotify descriptor with a
 * watch on each directory that holds a watched file. Callbacks run on that
 * thread. A file counts as complete when its writer closes it
 * (IN_CLOSE_WRITE) or when it is renamed into place (IN_MOVED_TO); both
 * happen once per rebuild whatever the clock says, so several rebuilds in
 * one second, and a copy that sets the modification time back, are all
 * seen. IN_CREATE and IN_ATTRIB say the file may have changed without being
 * known complete (a hard link, a writer still busy).
 *
 * The same thread runs the work queue (work_queue.h) between file events.
 */
#ifndef HCR_WATCH_H
#define HCR_WATCH_H

struct hcr__message;

enum {
    HCR__WATCH_COMPLETE = 1 << 0, /* closed after writing, or renamed into place */
    HCR__WATCH_MAYBE = 1 << 1,    /* created or attributes changed: may be partial */
    HCR__WATCH_GONE = 1 << 2,     /* deleted or renamed away */
    HCR__WATCH_RESCAN = 1 << 3,   /* events were lost: look at the file again */
    HCR__WATCH_MODIFIED = 1 << 4, /* bytes were written */
};

/* Runs on the watch thread with the events seen for the file. */
typedef void (*hcr__watch_fn)(void *user, unsigned events);

struct hcr__watch;

/* Starts watching `path` (its directory must exist). 0 or a negative HCR_E*
   code with msg set. */
int hcr__watch_add(const char *path, hcr__watch_fn fn, void *user, struct hcr__watch **out,
                   struct hcr__message *msg);

/* Stops watching. When it returns, fn is not running and will not run again
   (unless called from fn itself, which is allowed and returns at once). */
void hcr__watch_remove(struct hcr__watch *w);

#endif
