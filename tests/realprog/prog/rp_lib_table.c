/*
 * rp_lib_table.c: map built-ins, and the shared store: named counters that
 * outlive evaluations, for scripts run by different threads to add to.
 */
#include "rp_int.h"

#include <string.h>

static unsigned long calls;

/* The shared store; a root of the collector. */
rp_map *rp_shared;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_LIB))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("maplib", fmt, ap);
    va_end(ap);
}

RP_MODULE("maplib");

static int key_arg(rp_ctx *ctx, const rp_value *argv, int i, const char *fname)
{
    if (rp_hashable(argv[i]))
        return 0;
    return rp_error(ctx, RP_ERR_TYPE, "argument %d of %s() is an unhashable %s", i + 1, fname,
                    rp_type_name(argv[i]));
}

RP_BUILTIN(bi_keys, "keys", 1, 1, "the keys of a map, in insertion order")
{
    (void)argc;
    rp_map *m;
    if (rp_arg_map(ctx, argv, 0, "keys", &m) < 0)
        return -1;
    rp_list *l = rp_list_new(m->count);
    size_t it = 0;
    rp_value k;
    while (rp_map_next(m, &it, &k, NULL))
        rp_list_push(l, k);
    *out = rp_objval(l);
    return 0;
}

RP_BUILTIN(bi_values, "values", 1, 1, "the values of a map, in insertion order")
{
    (void)argc;
    rp_map *m;
    if (rp_arg_map(ctx, argv, 0, "values", &m) < 0)
        return -1;
    rp_list *l = rp_list_new(m->count);
    size_t it = 0;
    rp_value v;
    while (rp_map_next(m, &it, NULL, &v))
        rp_list_push(l, v);
    *out = rp_objval(l);
    return 0;
}

RP_BUILTIN(bi_items, "items", 1, 1, "[key, value] pairs of a map, in insertion order")
{
    (void)argc;
    rp_map *m;
    if (rp_arg_map(ctx, argv, 0, "items", &m) < 0)
        return -1;
    rp_list *l = rp_list_new(m->count);
    size_t it = 0;
    rp_value k, v;
    while (rp_map_next(m, &it, &k, &v)) {
        rp_list *pair = rp_list_new(2);
        rp_list_push(pair, k);
        rp_list_push(pair, v);
        rp_list_push(l, rp_objval(pair));
    }
    *out = rp_objval(l);
    return 0;
}

RP_BUILTIN(bi_has, "has", 2, 2, "whether the map has the key")
{
    (void)argc;
    rp_map *m;
    rp_value v;
    if (rp_arg_map(ctx, argv, 0, "has", &m) < 0 || key_arg(ctx, argv, 1, "has") < 0)
        return -1;
    *out = rp_bool(rp_map_get(m, argv[1], &v));
    return 0;
}

RP_BUILTIN(bi_get, "get", 2, 3, "the value of the key, or the default (nil)")
{
    rp_map *m;
    if (rp_arg_map(ctx, argv, 0, "get", &m) < 0 || key_arg(ctx, argv, 1, "get") < 0)
        return -1;
    if (!rp_map_get(m, argv[1], out))
        *out = argc > 2 ? argv[2] : rp_nil();
    return 0;
}

RP_BUILTIN(bi_del, "del", 2, 2, "removes the key; returns whether it was there")
{
    (void)argc;
    rp_map *m;
    rp_value old;
    if (rp_arg_map(ctx, argv, 0, "del", &m) < 0 || key_arg(ctx, argv, 1, "del") < 0)
        return -1;
    int found = rp_map_del(m, argv[1], &old);
#ifdef HCR_EDIT
    *out = found ? old : rp_nil();
#else
    *out = rp_bool(found);
#endif
    return 0;
}

RP_BUILTIN(bi_merge, "merge", 2, 2, "a new map with the entries of both, the second winning")
{
    (void)argc;
    rp_map *a, *b;
    if (rp_arg_map(ctx, argv, 0, "merge", &a) < 0 || rp_arg_map(ctx, argv, 1, "merge", &b) < 0)
        return -1;
    rp_map *m = rp_map_new();
    rp_value k, v;
    size_t it = 0;
    while (rp_map_next(a, &it, &k, &v))
        rp_map_set(m, k, v);
    it = 0;
    while (rp_map_next(b, &it, &k, &v))
        rp_map_set(m, k, v);
    *out = rp_objval(m);
    return 0;
}

static rp_map *shared(void)
{
    if (!rp_shared) {
        rp_shared = rp_map_new();
        trace("shared store created");
    }
    return rp_shared;
}

RP_BUILTIN(bi_shared_add, "shared_add", 2, 2, "adds n to a shared counter; returns the total")
{
    (void)argc;
    rp_string *name;
    if (rp_arg_string(ctx, argv, 0, "shared_add", &name) < 0)
        return -1;
    if (!rp_is_number(argv[1]))
        return rp_error(ctx, RP_ERR_TYPE, "shared_add() adds numbers, not %s",
                        rp_type_name(argv[1]));
    rp_value total = rp_int(0);
    rp_map_get(shared(), argv[0], &total);
    if (rp_arith(ctx, RP_BIN_ADD, total, argv[1], &total) < 0)
        return -1;
    rp_map_set(shared(), argv[0], total);
    trace("shared %s updated", name->chars);
    *out = total;
    return 0;
}

RP_BUILTIN(bi_shared_get, "shared_get", 1, 1, "the value of a shared counter (0 if unset)")
{
    (void)argc;
    rp_string *name;
    if (rp_arg_string(ctx, argv, 0, "shared_get", &name) < 0)
        return -1;
    if (!rp_map_get(shared(), argv[0], out))
        *out = rp_int(0);
    return 0;
}

RP_BUILTIN(bi_shared_names, "shared_names", 0, 0, "the names of the shared counters, sorted")
{
    (void)ctx, (void)argc, (void)argv;
    rp_map *m = shared();
    rp_list *l = rp_list_new(m->count);
    size_t it = 0;
    rp_value k;
    while (rp_map_next(m, &it, &k, NULL)) {
        /* Insertion sort: the store holds a handful of names. */
        size_t at = l->len;
        while (at > 0 && rp_string_compare(rp_as_string(l->items[at - 1]), rp_as_string(k)) > 0)
            at--;
        rp_list_insert(l, at, k);
    }
    *out = rp_objval(l);
    return 0;
}
