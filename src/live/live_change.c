/*
 * live_change.c: groups the units of a program into changes. A change is
 * every unit one save touched (a header edit touches each unit that
 * includes it); it reloads as one transaction once each of its units has
 * compiled, so the program never runs a mix of a header's old and new
 * meaning. A unit saved again while its change is open stays in it; a
 * save touching units of two open changes merges them. A unit that fails
 * to compile keeps its change open: the next good save of it completes
 * the change, and changes that share no unit with it reload meanwhile.
 */
#include "live/live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Moves every unit of change `from` into change `to`. */
static void merge(struct hcr__live *lv, unsigned from, unsigned to)
{
    for (size_t u = 0; u < lv->units.n; u++)
        if (lv->state[u].change == from)
            lv->state[u].change = to;
}

/* Forgets the object unit u compiled for its change (stale now). */
static void drop_object(struct hcr__live_unit_state *s)
{
    if (!s->object)
        return;
    unlink(s->object);
    free(s->object);
    s->object = NULL;
}

void hcr__live_change_join(struct hcr__live *lv, size_t u, unsigned *gather)
{
    struct hcr__live_unit_state *s = &lv->state[u];
    if (s->change) {
        if (*gather && *gather != s->change)
            merge(lv, *gather, s->change);
        *gather = s->change;
    } else {
        if (!*gather)
            *gather = ++lv->last_change;
        s->change = *gather;
    }
    drop_object(s);
    s->failed = 0;
}

/* Appends the base name of `path` to the comma-separated list in buf
   (*len bytes so far); a list too long for buf ends in "...". 0, or -1
   once it is full. */
static int append_name(char *buf, size_t size, size_t *len, const char *path)
{
    int n = snprintf(buf + *len, size - *len, "%s%s", *len ? ", " : "", hcr__base_name(path));
    if (n < 0 || (size_t)n >= size - *len) {
        if (size > 4)
            strcpy(buf + size - 4, "...");
        return -1;
    }
    *len += (size_t)n;
    return 0;
}

/* The base names of change `id`'s units (only those whose object is not
   ready yet, with `waiting_only`), comma-separated, into buf. */
static void list_names(const struct hcr__live *lv, unsigned id, int waiting_only, char *buf,
                       size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t u = 0; u < lv->units.n; u++)
        if (lv->state[u].change == id && !(waiting_only && lv->state[u].object) &&
            append_name(buf, size, &len, lv->units.v[u].source) < 0)
            return;
}

void hcr__live_ready_names(const struct hcr__live_ready *ready, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < ready->n; i++)
        if (append_name(buf, size, &len, ready->sources[i]) < 0)
            return;
}

static void names_of(const struct hcr__live *lv, unsigned id, char *buf, size_t size)
{
    list_names(lv, id, 0, buf, size);
}

static void names_waiting(const struct hcr__live *lv, unsigned id, char *buf, size_t size)
{
    list_names(lv, id, 1, buf, size);
}

/* Whether each unit of change `id` has its object, and how many it has. */
static int complete(const struct hcr__live *lv, unsigned id, size_t *count)
{
    *count = 0;
    for (size_t u = 0; u < lv->units.n; u++) {
        if (lv->state[u].change != id)
            continue;
        if (!lv->state[u].object || lv->state[u].dirty)
            return 0;
        (*count)++;
    }
    return 1;
}

/* Hands change `id`'s objects to *ready and closes the change; -1 when
   out of memory, with the change left open. */
static int take(struct hcr__live *lv, unsigned id, size_t count, struct hcr__live_ready *ready)
{
    *ready = (struct hcr__live_ready){0};
    ready->sources = calloc(count, sizeof *ready->sources);
    ready->objects = calloc(count, sizeof *ready->objects);
    int ok = ready->sources && ready->objects;
    for (size_t u = 0, i = 0; ok && u < lv->units.n; u++)
        if (lv->state[u].change == id)
            ok = (ready->sources[i++] = strdup(lv->units.v[u].source)) != NULL;
    if (!ok) {
        for (size_t i = 0; ready->sources && i < count; i++)
            free(ready->sources[i]);
        free(ready->sources);
        free(ready->objects);
        *ready = (struct hcr__live_ready){0};
        return -1;
    }
    for (size_t u = 0; u < lv->units.n; u++) {
        struct hcr__live_unit_state *s = &lv->state[u];
        if (s->change != id)
            continue;
        ready->objects[ready->n++] = s->object;
        if (s->compile_ms > ready->compile_ms)
            ready->compile_ms = s->compile_ms;
        s->object = NULL;
        s->change = 0;
    }
    return 0;
}

int hcr__live_change_compiled(struct hcr__live *lv, size_t u, const char *object,
                              double compile_ms, struct hcr__live_ready *ready)
{
    struct hcr__live_unit_state *s = &lv->state[u];
    if (s->dirty || !s->change) {
        /* Saved again while it compiled: a newer compile replaces this. */
        unlink(object);
        return 0;
    }
    drop_object(s);
    if (!(s->object = strdup(object))) {
        hcr__log(lv->log, HCR_LOG_ERROR, "live: out of memory keeping %s", object);
        unlink(object);
        s->failed = 1;
        return 0;
    }
    s->compile_ms = compile_ms;
    size_t count;
    if (!complete(lv, s->change, &count)) {
        char waiting[256];
        names_waiting(lv, s->change, waiting, sizeof waiting);
        hcr__log(lv->log, HCR_LOG_INFO,
                 "live: %s compiled; it reloads with the rest of its change once %s compiles",
                 hcr__base_name(lv->units.v[u].source), waiting);
        return 0;
    }
    if (take(lv, s->change, count, ready) < 0) {
        hcr__log(lv->log, HCR_LOG_ERROR, "live: out of memory reloading %s",
                 lv->units.v[u].source);
        return 0;
    }
    return 1;
}

void hcr__live_change_failed(struct hcr__live *lv, size_t u)
{
    struct hcr__live_unit_state *s = &lv->state[u];
    const char *source = lv->units.v[u].source;
    s->failed = 1;
    size_t others = 0;
    for (size_t v = 0; v < lv->units.n; v++)
        others += v != u && s->change && lv->state[v].change == s->change;
    if (!others) {
        hcr__log(lv->log, HCR_LOG_ERROR,
                 "live: %s did not compile (see above); the program keeps its code", source);
        return;
    }
    char names[256];
    names_of(lv, s->change, names, sizeof names);
    hcr__log(lv->log, HCR_LOG_ERROR,
             "live: %s did not compile (see above); the program keeps its code, and the "
             "change to %s reloads together once %s compiles",
             source, names, hcr__base_name(source));
}

void hcr__live_changes_drop(struct hcr__live *lv)
{
    for (size_t u = 0; u < lv->units.n; u++) {
        drop_object(&lv->state[u]);
        lv->state[u].change = 0;
    }
}

void hcr__live_ready_free(struct hcr__live_ready *ready)
{
    for (size_t i = 0; i < ready->n; i++) {
        free(ready->sources[i]);
        free(ready->objects[i]);
    }
    free(ready->sources);
    free(ready->objects);
    *ready = (struct hcr__live_ready){0};
}
