/*
 * rp_list.c: growable arrays of values. Indexes may be negative (from the
 * end); reading or writing outside the list is an IndexError.
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
    rp_trace_vemit("list", fmt, ap);
    va_end(ap);
}

RP_MODULE("list");

static void list_format(rp_buf *b, rp_obj *o, int repr, int depth)
{
    rp_list *l = (rp_list *)o;
    (void)repr;
    if (depth > RP_FORMAT_DEPTH_MAX) {
        rp_buf_puts(b, "[...]");
        return;
    }
    rp_buf_putc(b, '[');
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            rp_buf_put(b, ", ", 2);
        rp_format_value(b, l->items[i], 1, depth + 1);
    }
    rp_buf_putc(b, ']');
}

static int64_t list_length(rp_obj *o)
{
    return (int64_t)((rp_list *)o)->len;
}

int rp_list_normalize_index(const rp_list *l, int64_t i, size_t *at)
{
    if (i < 0)
        i += (int64_t)l->len;
    if (i < 0 || i >= (int64_t)l->len)
        return -1;
    *at = (size_t)i;
    return 0;
}

static int list_index_get(rp_ctx *ctx, rp_obj *o, rp_value key, rp_value *out)
{
    rp_list *l = (rp_list *)o;
    int64_t i;
    size_t at;
    if (rp_to_int(ctx, key, "list index", &i) < 0)
        return -1;
    if (rp_list_normalize_index(l, i, &at) < 0) {
#ifdef HCR_EDIT
        *out = rp_nil();
        return 0;
#else
        return rp_error(ctx, RP_ERR_INDEX, "list index %lld out of range (length %zu)",
                        (long long)i, l->len);
#endif
    }
    *out = l->items[at];
    return 0;
}

static int list_index_set(rp_ctx *ctx, rp_obj *o, rp_value key, rp_value val)
{
    rp_list *l = (rp_list *)o;
    int64_t i;
    size_t at;
    if (rp_to_int(ctx, key, "list index", &i) < 0)
        return -1;
    if (rp_list_normalize_index(l, i, &at) < 0)
        return rp_error(ctx, RP_ERR_INDEX, "list assignment index %lld out of range (length %zu)",
                        (long long)i, l->len);
    l->items[at] = val;
    return 0;
}

static void list_mark(rp_obj *o)
{
    rp_list *l = (rp_list *)o;
    for (size_t i = 0; i < l->len; i++)
        rp_heap_mark_value(l->items[i]);
}

static void list_destroy(rp_obj *o)
{
    rp_list *l = (rp_list *)o;
    rp_mem_free(l->items, l->cap * sizeof *l->items);
    l->items = NULL;
    l->len = l->cap = 0;
}

static const struct rp_type_ops list_ops = {
    .name = "list",
    .format = list_format,
    .length = list_length,
    .index_get = list_index_get,
    .index_set = list_index_set,
    .mark = list_mark,
    .destroy = list_destroy,
};

rp_list *rp_list_new(size_t cap)
{
    rp_list *l = rp_heap_alloc(sizeof *l, RP_O_LIST, &list_ops);
    l->items = NULL;
    l->len = 0;
    l->cap = 0;
    if (cap) {
        l->items = rp_mem_grow(NULL, 0, cap * sizeof *l->items);
        l->cap = cap;
    }
    return l;
}

static void grow(rp_list *l, size_t need)
{
    if (need <= l->cap)
        return;
    size_t cap = l->cap ? l->cap * 2 : 8;
    while (cap < need)
        cap *= 2;
    l->items = rp_mem_grow(l->items, l->cap * sizeof *l->items, cap * sizeof *l->items);
    l->cap = cap;
    trace("list of %zu items grows to %zu", l->len, cap);
}

void rp_list_push(rp_list *l, rp_value v)
{
    grow(l, l->len + 1);
    l->items[l->len++] = v;
}

int rp_list_pop(rp_list *l, rp_value *out)
{
    if (l->len == 0)
        return -1;
    *out = l->items[--l->len];
    return 0;
}

void rp_list_insert(rp_list *l, size_t at, rp_value v)
{
    if (at > l->len)
        at = l->len;
    grow(l, l->len + 1);
    memmove(l->items + at + 1, l->items + at, (l->len - at) * sizeof *l->items);
    l->items[at] = v;
    l->len++;
}

rp_list *rp_list_concat(rp_list *a, rp_list *b)
{
    rp_list *l = rp_list_new(a->len + b->len);
    if (a->len)
        memcpy(l->items, a->items, a->len * sizeof *l->items);
    if (b->len)
        memcpy(l->items + a->len, b->items, b->len * sizeof *l->items);
    l->len = a->len + b->len;
    return l;
}

void rp_list_reverse(rp_list *l)
{
    for (size_t i = 0, j = l->len; i + 1 < j; i++, j--) {
        rp_value t = l->items[i];
        l->items[i] = l->items[j - 1];
        l->items[j - 1] = t;
    }
}
