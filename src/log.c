/*
 * log.c: routes log lines to a per-plugin callback, the process-wide one
 * (hcr_set_log), or, when neither is set, one concise line on stderr.
 * Lines logged while the thread holds one of hcr's locks are held back
 * until it releases them (hcr__log_hold), so no sink runs under a lock.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line waiting for its thread to leave hcr's locks. */
struct held_line {
    struct hcr__log sink;
    enum hcr_log_level level;
    char *text;
};

static _Thread_local struct {
    unsigned depth;
    struct held_line *lines;
    size_t n, cap;
} held;

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hcr__log global_sink;

void hcr_set_log(hcr_log_fn fn, void *user)
{
    pthread_mutex_lock(&global_lock);
    global_sink.fn = fn;
    global_sink.user = user;
    pthread_mutex_unlock(&global_lock);
}

static const char *level_name(enum hcr_log_level level)
{
    switch (level) {
    case HCR_LOG_DEBUG: return "debug";
    case HCR_LOG_INFO: return "info";
    case HCR_LOG_WARN: return "warning";
    case HCR_LOG_ERROR: return "error";
    }
    return "?";
}

static void deliver(struct hcr__log sink, enum hcr_log_level level, const char *line)
{
    if (sink.fn) {
        sink.fn(level, line, sink.user);
        return;
    }
    if (level == HCR_LOG_DEBUG)
        return;
    fprintf(stderr, "hcr %s: %s\n", level_name(level), line);
}

/* Queues a line while the thread holds a lock; 0, or -1 when out of
   memory (the caller then writes it to stderr: no sink may run here). */
static int hold_line(struct hcr__log sink, enum hcr_log_level level, const char *line)
{
    char *text = strdup(line);
    struct held_line *grown = text ? hcr__grow(held.lines, held.n, &held.cap, sizeof *grown, 8)
                                   : NULL;
    if (!grown) {
        free(text);
        return -1;
    }
    held.lines = grown;
    held.lines[held.n++] = (struct held_line){sink, level, text};
    return 0;
}

void hcr__log(const struct hcr__log *log, enum hcr_log_level level, const char *fmt, ...)
{
    char line[HCR__MESSAGE_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);

    struct hcr__log sink = {0};
    if (log && log->fn) {
        sink = *log;
    } else {
        pthread_mutex_lock(&global_lock);
        sink = global_sink;
        pthread_mutex_unlock(&global_lock);
    }
    if (held.depth && hold_line(sink, level, line) < 0) {
        fprintf(stderr, "hcr %s: %s\n", level_name(level), line);
        return;
    }
    if (!held.depth)
        deliver(sink, level, line);
}

void hcr__log_hold(void)
{
    held.depth++;
}

void hcr__log_release(void)
{
    if (!held.depth || --held.depth)
        return;
    /* A sink may log, and even hold and release, again: take the queue. */
    struct held_line *lines = held.lines;
    size_t n = held.n;
    held.lines = NULL;
    held.n = held.cap = 0;
    for (size_t i = 0; i < n; i++) {
        deliver(lines[i].sink, lines[i].level, lines[i].text);
        free(lines[i].text);
    }
    free(lines);
}
