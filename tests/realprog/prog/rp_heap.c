/*
 * rp_heap.c: the object heap and its mark-and-sweep collector. Every object
 * is on one list (rp_heap.all). The collector runs between evaluations
 * only, when no value lives on any VM stack: the roots are the globals and
 * the shared store. Marking uses an explicit stack, so deep structures do
 * not recurse.
 */
#include "rp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long calls;

#define FIRST_THRESHOLD (256 * 1024)

/* The heap: read by the statistics and the built-ins, written here. */
struct rp_heap rp_heap = {.threshold = FIRST_THRESHOLD};

/* Objects waiting to have their references marked. */
static rp_obj **gray;
static size_t ngray, capgray;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_HEAP))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("heap", fmt, ap);
    va_end(ap);
}

RP_MODULE("heap");

static void out_of_memory(size_t size)
{
    fprintf(stderr, "rp: out of memory (%zu bytes)\n", size);
    abort();
}

void *rp_mem_grow(void *p, size_t old_size, size_t new_size)
{
    void *q = realloc(p, new_size ? new_size : 1);
    if (!q)
        out_of_memory(new_size);
    rp_heap.bytes += new_size;
    rp_heap.bytes -= old_size < rp_heap.bytes ? old_size : rp_heap.bytes;
    return q;
}

void rp_mem_free(void *p, size_t size)
{
    free(p);
    rp_heap.bytes -= size < rp_heap.bytes ? size : rp_heap.bytes;
}

void *rp_heap_alloc(size_t size, rp_otype type, const struct rp_type_ops *ops)
{
    rp_obj *o = malloc(size);
    if (!o)
        out_of_memory(size);
    memset(o, 0, size);
    o->type = type;
    o->marked = 0;
    o->serial = ++rp_heap.serial;
    o->ops = ops;
    o->next = rp_heap.all;
    rp_heap.all = o;
    rp_heap.bytes += size;
    rp_heap.allocs++;
    rp_heap.live++;
    return o;
}

void rp_heap_mark_obj(rp_obj *o)
{
    if (!o || o->marked)
        return;
    o->marked = 1;
    if (o->type == RP_O_STRING)
        return; /* nothing inside */
    if (ngray == capgray) {
        size_t cap = capgray ? capgray * 2 : 256;
        rp_obj **g = realloc(gray, cap * sizeof *g);
        if (!g)
            out_of_memory(cap * sizeof *g);
        gray = g;
        capgray = cap;
    }
    gray[ngray++] = o;
}

void rp_heap_mark_value(rp_value v)
{
    if (v.t == RP_T_OBJ)
        rp_heap_mark_obj(v.u.o);
}

static size_t object_size(const rp_obj *o)
{
    switch (o->type) {
    case RP_O_STRING:
        return sizeof(rp_string) + ((const rp_string *)o)->len + 1;
    case RP_O_LIST:
        return sizeof(rp_list);
    case RP_O_MAP:
        return sizeof(rp_map);
    case RP_O_FUNC:
        return sizeof(rp_func);
    case RP_O_NATIVE:
        return sizeof(rp_native);
    default:
        return 0;
    }
}

static void mark_roots(void)
{
    if (rp_globals)
        rp_heap_mark_obj(&rp_globals->hdr);
    if (rp_shared)
        rp_heap_mark_obj(&rp_shared->hdr);
}

static void drain(void)
{
    while (ngray) {
        rp_obj *o = gray[--ngray];
        o->ops->mark(o);
    }
}

static size_t sweep(void)
{
    size_t freed = 0;
    rp_obj **link = &rp_heap.all;
    while (*link) {
        rp_obj *o = *link;
        if (o->marked) {
            o->marked = 0;
            link = &o->next;
            continue;
        }
        *link = o->next;
        size_t size = object_size(o);
        o->ops->destroy(o);
        rp_mem_free(o, size);
        rp_heap.frees++;
        rp_heap.live--;
        freed++;
    }
    return freed;
}

size_t rp_heap_collect(void)
{
    size_t before = rp_heap.bytes;
    mark_roots();
    drain();
    size_t freed = sweep();
    rp_heap.collections++;
    rp_heap.threshold = rp_heap.bytes * 2;
    if (rp_heap.threshold < FIRST_THRESHOLD)
        rp_heap.threshold = FIRST_THRESHOLD;
    trace("collection %llu: %zu objects freed, %zu -> %zu bytes",
          (unsigned long long)rp_heap.collections, freed, before, rp_heap.bytes);
    return freed;
}

int rp_heap_collect_maybe(void)
{
    if (rp_heap.bytes < rp_heap.threshold)
        return 0;
    rp_heap_collect();
    return 1;
}

void rp_heap_info(rp_buf *b)
{
#ifdef HCR_EDIT
    rp_buf_printf(b, "live=%zu bytes=%zu collections=%llu", rp_heap.live, rp_heap.bytes,
                  (unsigned long long)rp_heap.collections);
#else
    rp_buf_printf(b, "objects=%zu bytes=%zu collections=%llu", rp_heap.live, rp_heap.bytes,
                  (unsigned long long)rp_heap.collections);
#endif
}
