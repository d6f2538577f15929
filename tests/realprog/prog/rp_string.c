/*
 * rp_string.c: immutable byte strings, all interned in one table
 * (rp_strings), so that equal strings are one object: comparing strings
 * for equality and looking them up in maps compares pointers. The garbage
 * collector unlinks dead strings from the table as it frees them.
 */
#include "rp_int.h"

#include <stdlib.h>
#include <string.h>

static unsigned long calls;

/* The intern table, shared with the collector and the statistics. */
struct rp_strtab rp_strings;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_DATA))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("string", fmt, ap);
    va_end(ap);
}

RP_MODULE("string");

static void string_format(rp_buf *b, rp_obj *o, int repr, int depth)
{
    rp_string *s = (rp_string *)o;
    (void)depth;
    if (!repr) {
        rp_buf_put(b, s->chars, s->len);
        return;
    }
    rp_buf_putc(b, '"');
    rp_buf_put_escaped(b, s->chars, s->len);
    rp_buf_putc(b, '"');
}

static int64_t string_length(rp_obj *o)
{
    return (int64_t)((rp_string *)o)->len;
}

int rp_string_index(rp_ctx *ctx, rp_string *s, int64_t i, rp_value *out)
{
    int64_t len = (int64_t)s->len;
    if (i < 0) {
#ifdef HCR_EDIT
        i = 0;
#else
        i += len;
#endif
    }
    if (i < 0 || i >= len)
        return rp_error(ctx, RP_ERR_INDEX, "string index %lld out of range (length %lld)",
                        (long long)i, (long long)len);
    *out = rp_objval(rp_string_new(s->chars + i, 1));
    return 0;
}

static int string_index_get(rp_ctx *ctx, rp_obj *o, rp_value key, rp_value *out)
{
    int64_t i;
    if (rp_to_int(ctx, key, "string index", &i) < 0)
        return -1;
    return rp_string_index(ctx, (rp_string *)o, i, out);
}

static int string_index_set(rp_ctx *ctx, rp_obj *o, rp_value key, rp_value val)
{
    (void)o, (void)key, (void)val;
    return rp_error(ctx, RP_ERR_TYPE, "strings are immutable");
}

static void string_mark(rp_obj *o)
{
    (void)o; /* no references */
}

static void string_destroy(rp_obj *o)
{
    rp_string_unlink((rp_string *)o);
}

static const struct rp_type_ops string_ops = {
    .name = "string",
    .format = string_format,
    .length = string_length,
    .index_get = string_index_get,
    .index_set = string_index_set,
    .mark = string_mark,
    .destroy = string_destroy,
};

static void table_grow(void)
{
    size_t nslots = rp_strings.nslots ? rp_strings.nslots * 2 : 256;
    rp_string **slots = calloc(nslots, sizeof *slots);
    if (!slots)
        abort();
    for (size_t i = 0; i < rp_strings.nslots; i++) {
        rp_string *s = rp_strings.slots[i];
        while (s) {
            rp_string *next = s->chain;
            size_t at = s->hash & (nslots - 1);
            s->chain = slots[at];
            slots[at] = s;
            s = next;
        }
    }
    free(rp_strings.slots);
    rp_strings.slots = slots;
    rp_strings.nslots = nslots;
    trace("intern table grows to %zu slots", nslots);
}

rp_string *rp_string_new(const char *chars, size_t n)
{
    uint32_t hash = rp_hash_bytes(chars, n);
    rp_strings.lookups++;
    if (rp_strings.nslots) {
        for (rp_string *s = rp_strings.slots[hash & (rp_strings.nslots - 1)]; s; s = s->chain) {
            if (s->hash == hash && s->len == n && memcmp(s->chars, chars, n) == 0) {
                rp_strings.hits++;
                return s;
            }
        }
    }
    if (rp_strings.count + 1 > rp_strings.nslots * 3 / 4)
        table_grow();
    rp_string *s = rp_heap_alloc(sizeof *s + n + 1, RP_O_STRING, &string_ops);
    s->hash = hash;
    s->len = n;
    memcpy(s->chars, chars, n);
    s->chars[n] = 0;
    size_t at = hash & (rp_strings.nslots - 1);
    s->chain = rp_strings.slots[at];
    rp_strings.slots[at] = s;
    rp_strings.count++;
    return s;
}

rp_string *rp_string_cstr(const char *s)
{
    return rp_string_new(s, strlen(s));
}

void rp_string_unlink(rp_string *s)
{
    rp_string **link = &rp_strings.slots[s->hash & (rp_strings.nslots - 1)];
    while (*link) {
        if (*link == s) {
            *link = s->chain;
            rp_strings.count--;
            return;
        }
        link = &(*link)->chain;
    }
    trace("string %p was not interned", (void *)s);
}

rp_string *rp_string_concat(rp_string *a, rp_string *b)
{
    if (a->len == 0)
        return b;
    if (b->len == 0)
        return a;
    size_t n = a->len + b->len;
    char small[256];
    char *tmp = n <= sizeof small ? small : malloc(n);
    if (!tmp)
        abort();
    memcpy(tmp, a->chars, a->len);
    memcpy(tmp + a->len, b->chars, b->len);
    rp_string *s = rp_string_new(tmp, n);
    if (tmp != small)
        free(tmp);
    return s;
}

/* s[start:end] with Python's rules: negative positions count from the end,
   out-of-range positions are clamped. */
rp_string *rp_string_slice(rp_string *s, int64_t start, int64_t end)
{
    int64_t len = (int64_t)s->len;
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (end > len)
        end = len;
    if (start >= end)
        return rp_string_new("", 0);
    return rp_string_new(s->chars + start, (size_t)(end - start));
}
