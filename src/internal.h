/*
 * internal.h: what every part of libhcr shares and users never see: the
 * error-message buffer, logging, and small helpers. Internal names start
 * with hcr__ (or are static).
 */
#ifndef HCR_INTERNAL_H
#define HCR_INTERNAL_H

#include "hcr.h"

#include <stdarg.h>
#include <stddef.h>

#define HCR__MESSAGE_MAX 512

/* A detail message: names the file, the symbol and the problem. */
struct hcr__message {
    char text[HCR__MESSAGE_MAX];
};

/* Formats into msg and returns code, so callers can `return hcr__fail(...)`. */
int hcr__fail(struct hcr__message *msg, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int hcr__vfail(struct hcr__message *msg, int code, const char *fmt, va_list ap);

/* A log sink: the plugin's own, else the process-wide one, else stderr. */
struct hcr__log {
    hcr_log_fn fn;
    void *user;
};

/* Sends one line to `log` (NULL: the process-wide sink). */
void hcr__log(const struct hcr__log *log, enum hcr_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A sink is user code, and may call hcr: a thread about to take one of
   hcr's locks calls hcr__log_hold first, and hcr__log_release after
   releasing it. In between, its lines wait in a per-thread queue; the
   outermost release delivers them, in order, to the sinks that were
   current when they were logged. Nests. */
void hcr__log_hold(void);
void hcr__log_release(void);

/* Room for one more element in a growing array of `count` elements of
   `elem_size` bytes with room for *capacity: returns `items` while there is
   room, else the array reallocated to twice the room (`first` elements the
   first time) with *capacity updated. NULL when out of memory, and then
   `items` and *capacity are unchanged. */
void *hcr__grow(void *items, size_t count, size_t *capacity, size_t elem_size, size_t first);

/* The last component of a path (the path itself without a '/'). */
static inline const char *hcr__base_name(const char *path)
{
    const char *slash = __builtin_strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* A descriptor of a file under /proc/self, opened on first use and again
   in a forked child (proc_fd.c). Zero-initialised: not open yet. */
struct hcr__proc_fd {
    int opened;          /* in the process of `generation` */
    int fd;              /* -1 when the last open failed */
    unsigned generation; /* forks counted when it was opened */
};

/* f's descriptor, opening `path` with `flags` (O_CLOEXEC added) if this
   process has not yet; -1 with errno when it cannot. */
int hcr__proc_fd(struct hcr__proc_fd *f, const char *path, int flags);

/* The system's page size (page_size.c). */
size_t hcr__page_size(void);

#define HCR__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
