/*
 * rp_lib_list.c: list built-ins, including those that call back into
 * script functions (sorted with a key, map, filter, reduce).
 */
#include "rp_int.h"

#include <stdlib.h>
#include <string.h>

static unsigned long calls;

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_LIB))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("listlib", fmt, ap);
    va_end(ap);
}

RP_MODULE("listlib");

#define MAX_RANGE (1 << 24)

RP_BUILTIN(bi_range, "range", 1, 3, "the integers from start (default 0) below stop, by step")
{
    int64_t start = 0, stop, step = 1;
    if (argc == 1) {
        if (rp_arg_int(ctx, argv, 0, "range", &stop) < 0)
            return -1;
    } else {
        if (rp_arg_int(ctx, argv, 0, "range", &start) < 0 ||
            rp_arg_int(ctx, argv, 1, "range", &stop) < 0)
            return -1;
        if (argc == 3 && rp_arg_int(ctx, argv, 2, "range", &step) < 0)
            return -1;
    }
    if (step == 0)
        return rp_error(ctx, RP_ERR_VALUE, "range() step is zero");
    int64_t n = 0;
    if (step > 0 && stop > start)
        n = (stop - start + step - 1) / step;
    else if (step < 0 && stop < start)
        n = (start - stop - step - 1) / -step;
    if (n > MAX_RANGE)
        return rp_error(ctx, RP_ERR_VALUE, "range() of %lld items is too long", (long long)n);
    rp_list *l = rp_list_new((size_t)n);
    for (int64_t i = 0; i < n; i++)
        l->items[i] = rp_int(start + i * step);
    l->len = (size_t)n;
    *out = rp_objval(l);
    return 0;
}

RP_BUILTIN(bi_push, "push", 2, -1, "appends the values to the list; returns the list")
{
    rp_list *l;
    if (rp_arg_list(ctx, argv, 0, "push", &l) < 0)
        return -1;
    for (int i = 1; i < argc; i++)
        rp_list_push(l, argv[i]);
    *out = argv[0];
    return 0;
}

RP_BUILTIN(bi_pop, "pop", 1, 1, "removes and returns the last item")
{
    (void)argc;
    rp_list *l;
    if (rp_arg_list(ctx, argv, 0, "pop", &l) < 0)
        return -1;
    if (rp_list_pop(l, out) < 0) {
#ifdef HCR_EDIT
        *out = rp_nil();
        return 0;
#else
        return rp_error(ctx, RP_ERR_INDEX, "pop from an empty list");
#endif
    }
    return 0;
}

RP_BUILTIN(bi_insert, "insert", 3, 3, "inserts a value before position i")
{
    (void)argc;
    rp_list *l;
    int64_t i;
    if (rp_arg_list(ctx, argv, 0, "insert", &l) < 0 || rp_arg_int(ctx, argv, 1, "insert", &i) < 0)
        return -1;
    if (i < 0)
        i += (int64_t)l->len;
    if (i < 0)
        i = 0;
    rp_list_insert(l, (size_t)i, argv[2]);
    *out = rp_nil();
    return 0;
}

RP_BUILTIN(bi_reverse, "reverse", 1, 1, "reverses the list in place; returns it")
{
    (void)argc;
    rp_list *l;
    if (rp_arg_list(ctx, argv, 0, "reverse", &l) < 0)
        return -1;
    rp_list_reverse(l);
    *out = argv[0];
    return 0;
}

RP_BUILTIN(bi_slice, "slice", 2, 3, "the items from start up to end, as a new list")
{
    rp_list *l;
    int64_t start, end;
    if (rp_arg_list(ctx, argv, 0, "slice", &l) < 0 || rp_arg_int(ctx, argv, 1, "slice", &start) < 0)
        return -1;
    end = (int64_t)l->len;
    if (argc > 2 && rp_arg_int(ctx, argv, 2, "slice", &end) < 0)
        return -1;
    int64_t len = (int64_t)l->len;
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (end > len)
        end = len;
    rp_list *r = rp_list_new(end > start ? (size_t)(end - start) : 0);
    for (int64_t i = start; i < end; i++)
        rp_list_push(r, l->items[i]);
    *out = rp_objval(r);
    return 0;
}

RP_BUILTIN(bi_index, "index", 2, 2, "the position of the first item equal to v, or -1")
{
    (void)argc;
    rp_list *l;
    if (rp_arg_list(ctx, argv, 0, "index", &l) < 0)
        return -1;
    *out = rp_int(-1);
    for (size_t i = 0; i < l->len; i++) {
        if (rp_values_equal(l->items[i], argv[1])) {
            *out = rp_int((int64_t)i);
            break;
        }
    }
    return 0;
}

RP_BUILTIN(bi_sum, "sum", 1, 1, "the sum of the items")
{
    (void)argc;
    rp_list *l;
    if (rp_arg_list(ctx, argv, 0, "sum", &l) < 0)
        return -1;
    rp_value total = rp_int(0);
    for (size_t i = 0; i < l->len; i++)
        if (rp_arith(ctx, RP_BIN_ADD, total, l->items[i], &total) < 0)
            return -1;
    *out = total;
    return 0;
}

/* Stable merge sort of n values by their keys; fails if two keys cannot
   be ordered. */
static int merge_sort(rp_ctx *ctx, rp_value *vals, rp_value *keys, size_t n, rp_value *tv,
                      rp_value *tk)
{
    if (n < 2)
        return 0;
    size_t half = n / 2;
    if (merge_sort(ctx, vals, keys, half, tv, tk) < 0 ||
        merge_sort(ctx, vals + half, keys + half, n - half, tv, tk) < 0)
        return -1;
    size_t i = 0, j = half, k = 0;
    while (i < half && j < n) {
        int cmp;
        if (rp_value_compare(ctx, keys[j], keys[i], &cmp) < 0)
            return -1;
        if (cmp < 0) {
            tv[k] = vals[j];
            tk[k++] = keys[j++];
        } else {
            tv[k] = vals[i];
            tk[k++] = keys[i++];
        }
    }
    while (i < half) {
        tv[k] = vals[i];
        tk[k++] = keys[i++];
    }
    while (j < n) {
        tv[k] = vals[j];
        tk[k++] = keys[j++];
    }
    memcpy(vals, tv, n * sizeof *vals);
    memcpy(keys, tk, n * sizeof *keys);
    return 0;
}

RP_BUILTIN(bi_sorted, "sorted", 1, 2, "a sorted copy of the list, by key(item) if given")
{
    rp_list *l;
    if (rp_arg_list(ctx, argv, 0, "sorted", &l) < 0)
        return -1;
    size_t n = l->len;
    rp_list *r = rp_list_new(n);
    if (n)
        memcpy(r->items, l->items, n * sizeof *r->items);
    r->len = n;
    rp_value *scratch = malloc((3 * n + 1) * sizeof *scratch);
    if (!scratch)
        abort();
    rp_value *keys = scratch, *tv = scratch + n, *tk = scratch + 2 * n;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (argc > 1)
            rc = rp_vm_call(ctx, argv[1], 1, &r->items[i], &keys[i]);
        else
            keys[i] = r->items[i];
    }
    if (rc == 0)
        rc = merge_sort(ctx, r->items, keys, n, tv, tk);
    free(scratch);
    if (rc < 0)
        return -1;
    trace("sorted %zu items", n);
    *out = rp_objval(r);
    return 0;
}

RP_BUILTIN(bi_map, "map", 2, 2, "a list of fn(item) for each item")
{
    (void)argc;
    rp_list *l;
    if (rp_arg_list(ctx, argv, 0, "map", &l) < 0)
        return -1;
    rp_list *r = rp_list_new(l->len);
    /* The result list is not reachable from the stack, but the collector
       only runs between evaluations. */
    for (size_t i = 0; i < l->len; i++) {
        rp_value item = l->items[i], v;
        if (rp_vm_call(ctx, argv[1], 1, &item, &v) < 0)
            return -1;
        rp_list_push(r, v);
    }
    *out = rp_objval(r);
    return 0;
}

RP_BUILTIN(bi_filter, "filter", 2, 2, "the items for which fn(item) is true")
{
    (void)argc;
    rp_list *l;
    if (rp_arg_list(ctx, argv, 0, "filter", &l) < 0)
        return -1;
    rp_list *r = rp_list_new(0);
    for (size_t i = 0; i < l->len; i++) {
        rp_value item = l->items[i], keep;
        if (rp_vm_call(ctx, argv[1], 1, &item, &keep) < 0)
            return -1;
        if (rp_truthy(keep))
            rp_list_push(r, item);
    }
    *out = rp_objval(r);
    return 0;
}

RP_BUILTIN(bi_reduce, "reduce", 3, 3, "fn(acc, item) over the items, from init")
{
    (void)argc;
    rp_list *l;
    if (rp_arg_list(ctx, argv, 0, "reduce", &l) < 0)
        return -1;
    rp_value acc = argv[2];
    for (size_t i = 0; i < l->len; i++) {
        rp_value args[2] = {acc, l->items[i]};
        if (rp_vm_call(ctx, argv[1], 2, args, &acc) < 0)
            return -1;
    }
    *out = acc;
    return 0;
}

RP_BUILTIN(bi_copy, "copy", 1, 1, "a shallow copy of a list")
{
    (void)argc;
    rp_list *l;
    if (rp_arg_list(ctx, argv, 0, "copy", &l) < 0)
        return -1;
    rp_list *r = rp_list_new(l->len);
    if (l->len)
        memcpy(r->items, l->items, l->len * sizeof *r->items);
    r->len = l->len;
    *out = rp_objval(r);
    return 0;
}
