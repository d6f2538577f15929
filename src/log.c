/*
 * log.c: routes log lines to a per-plugin callback, the process-wide one
 * (hcr_set_log), or, when neither is set, one concise line on stderr.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>

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
    if (sink.fn) {
        sink.fn(level, line, sink.user);
        return;
    }
    if (level == HCR_LOG_DEBUG)
        return;
    fprintf(stderr, "hcr %s: %s\n", level_name(level), line);
}
