/*
 * rp_table.c: maps. Entries are kept in insertion order in an array; an
 * open-addressing index of entry numbers (linear probing, power-of-two
 * size) finds them by hash. Deleting marks the entry dead and leaves its
 * index slot as a tombstone; the array is compacted and the index rebuilt
 * when the array fills up.
 */
#include "rp_int.h"

#include <stdlib.h>
#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_DATA))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("table", fmt, ap);
    va_end(ap);
}

RP_MODULE("table");

#define EMPTY (-1)

static void map_format(rp_buf *b, rp_obj *o, int repr, int depth)
{
    rp_map *m = (rp_map *)o;
    (void)repr;
    if (depth > RP_FORMAT_DEPTH_MAX) {
        rp_buf_puts(b, "{...}");
        return;
    }
    rp_buf_putc(b, '{');
    int first = 1;
    for (size_t i = 0; i < m->used; i++) {
        struct rp_map_entry *e = &m->entries[i];
        if (!e->live)
            continue;
        if (!first)
            rp_buf_put(b, ", ", 2);
        first = 0;
        rp_format_value(b, e->key, 1, depth + 1);
#ifdef HCR_EDIT
        rp_buf_put(b, " = ", 3);
#else
        rp_buf_put(b, ": ", 2);
#endif
        rp_format_value(b, e->val, 1, depth + 1);
    }
    rp_buf_putc(b, '}');
}

static int64_t map_length(rp_obj *o)
{
    return (int64_t)((rp_map *)o)->count;
}

static int map_index_get(rp_ctx *ctx, rp_obj *o, rp_value key, rp_value *out)
{
    if (!rp_hashable(key))
        return rp_error(ctx, RP_ERR_TYPE, "unhashable key of type %s", rp_type_name(key));
    if (!rp_map_get((rp_map *)o, key, out))
        *out = rp_nil();
    return 0;
}

static int map_index_set(rp_ctx *ctx, rp_obj *o, rp_value key, rp_value val)
{
    if (!rp_hashable(key))
        return rp_error(ctx, RP_ERR_TYPE, "unhashable key of type %s", rp_type_name(key));
    rp_map_set((rp_map *)o, key, val);
    return 0;
}

static void map_mark(rp_obj *o)
{
    rp_map *m = (rp_map *)o;
    for (size_t i = 0; i < m->used; i++) {
        if (!m->entries[i].live)
            continue;
        rp_heap_mark_value(m->entries[i].key);
        rp_heap_mark_value(m->entries[i].val);
    }
}

static void map_destroy(rp_obj *o)
{
    rp_map *m = (rp_map *)o;
    rp_mem_free(m->entries, m->cap * sizeof *m->entries);
    if (m->index)
        rp_mem_free(m->index, (m->index_mask + 1) * sizeof *m->index);
    m->entries = NULL;
    m->index = NULL;
    m->used = m->count = m->cap = 0;
}

static const struct rp_type_ops map_ops = {
    .name = "map",
    .format = map_format,
    .length = map_length,
    .index_get = map_index_get,
    .index_set = map_index_set,
    .mark = map_mark,
    .destroy = map_destroy,
};

rp_map *rp_map_new(void)
{
    rp_map *m = rp_heap_alloc(sizeof *m, RP_O_MAP, &map_ops);
    m->entries = NULL;
    m->used = m->count = m->cap = 0;
    m->index = NULL;
    m->index_mask = 0;
    return m;
}

/* The index slot of key: the slot holding its entry, or the empty slot
   where it would go. */
static size_t find_slot(const rp_map *m, rp_value key, uint32_t hash, int *found)
{
    size_t mask = m->index_mask;
    size_t at = hash & mask;
    for (;;) {
        int32_t e = m->index[at];
        if (e == EMPTY) {
            *found = 0;
            return at;
        }
        const struct rp_map_entry *ent = &m->entries[e];
        if (ent->live && ent->hash == hash && rp_values_equal(ent->key, key)) {
            *found = 1;
            return at;
        }
        at = (at + 1) & mask;
    }
}

static void rebuild(rp_map *m, size_t min_cap)
{
    /* Compact the live entries to the front. */
    size_t n = 0;
    for (size_t i = 0; i < m->used; i++)
        if (m->entries[i].live)
            m->entries[n++] = m->entries[i];
    m->used = n;
    size_t cap = m->cap ? m->cap : 4;
    while (cap < min_cap || cap < n * 2)
        cap *= 2;
    if (cap != m->cap) {
        m->entries = rp_mem_grow(m->entries, m->cap * sizeof *m->entries, cap * sizeof *m->entries);
        m->cap = cap;
    }
    size_t slots = 8;
    while (slots < cap * 2)
        slots *= 2;
    if (m->index)
        rp_mem_free(m->index, (m->index_mask + 1) * sizeof *m->index);
    m->index = rp_mem_grow(NULL, 0, slots * sizeof *m->index);
    m->index_mask = slots - 1;
    for (size_t i = 0; i < slots; i++)
        m->index[i] = EMPTY;
    for (size_t i = 0; i < n; i++) {
        size_t at = m->entries[i].hash & m->index_mask;
        while (m->index[at] != EMPTY)
            at = (at + 1) & m->index_mask;
        m->index[at] = (int32_t)i;
    }
    trace("map of %zu entries rebuilt with room for %zu", n, cap);
}

int rp_map_get(rp_map *m, rp_value key, rp_value *out)
{
    if (m->count == 0)
        return 0;
    int found;
    size_t at = find_slot(m, key, rp_value_hash(key), &found);
    if (!found)
        return 0;
    *out = m->entries[m->index[at]].val;
    return 1;
}

int rp_map_get_cstr(rp_map *m, const char *name, rp_value *out)
{
    return rp_map_get(m, rp_objval(rp_string_cstr(name)), out);
}

void rp_map_set(rp_map *m, rp_value key, rp_value val)
{
    uint32_t hash = rp_value_hash(key);
    int found = 0;
    size_t at = 0;
    if (m->index) {
        at = find_slot(m, key, hash, &found);
        if (found) {
            m->entries[m->index[at]].val = val;
            return;
        }
    }
    if (m->used == m->cap) {
        rebuild(m, m->count + 1);
        at = find_slot(m, key, hash, &found);
    }
    struct rp_map_entry *e = &m->entries[m->used];
    e->key = key;
    e->val = val;
    e->hash = hash;
    e->live = 1;
    m->index[at] = (int32_t)m->used;
    m->used++;
    m->count++;
}

int rp_map_del(rp_map *m, rp_value key, rp_value *old)
{
    if (m->count == 0)
        return 0;
    int found;
    size_t at = find_slot(m, key, rp_value_hash(key), &found);
    if (!found)
        return 0;
    struct rp_map_entry *e = &m->entries[m->index[at]];
    if (old)
        *old = e->val;
    e->live = 0;
    m->count--;
    /* The index slot keeps pointing at the dead entry: a tombstone that
       probing walks past, until the next rebuild drops it. */
    return 1;
}

/* Iterates the live entries in insertion order: *iter starts at 0. */
int rp_map_next(rp_map *m, size_t *iter, rp_value *key, rp_value *val)
{
    while (*iter < m->used) {
        struct rp_map_entry *e = &m->entries[(*iter)++];
        if (e->live) {
            if (key)
                *key = e->key;
            if (val)
                *val = e->val;
            return 1;
        }
    }
    return 0;
}
