/*
 * rp_registry.c: the registry of built-ins and modules. Each file declares
 * its entries with RP_BUILTIN and RP_MODULE, which put a struct rp_reg in
 * the section rp_registry; the linker gathers the section of every file
 * into one array between __start_rp_registry and __stop_rp_registry.
 * Nothing has to list the built-ins by hand.
 */
#include "rp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long calls;

extern const struct rp_reg __start_rp_registry[] __attribute__((visibility("hidden")));
extern const struct rp_reg __stop_rp_registry[] __attribute__((visibility("hidden")));

static void trace(const char *fmt, ...)
{
    va_list ap;
    calls++;
    if (!(rp_trace_mask & RP_TRACE_LIB))
        return;
    va_start(ap, fmt);
    rp_trace_vemit("registry", fmt, ap);
    va_end(ap);
}

RP_MODULE("registry");

int rp_registry_count(void)
{
    static int cached = -1;
    if (cached < 0)
        cached = (int)(__stop_rp_registry - __start_rp_registry);
    return cached;
}

void rp_registry_install(rp_map *globals)
{
    int installed = 0;
    for (const struct rp_reg *r = __start_rp_registry; r < __stop_rp_registry; r++) {
        if (r->kind != RP_REG_BUILTIN)
            continue;
        rp_map_set(globals, rp_objval(rp_string_cstr(r->name)), rp_objval(rp_native_new(r)));
        installed++;
    }
    trace("%d built-ins installed", installed);
}

const struct rp_reg *rp_registry_find(const char *name, int kind)
{
    trace("find %s", name);
    for (const struct rp_reg *r = __start_rp_registry; r < __stop_rp_registry; r++)
        if (r->kind == kind && strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

static void arity_text(char *text, size_t size, const struct rp_reg *r)
{
    if (r->max_args < 0)
        snprintf(text, size, "%d+", r->min_args);
    else if (r->min_args == r->max_args)
        snprintf(text, size, "%d", r->min_args);
    else
        snprintf(text, size, "%d-%d", r->min_args, r->max_args);
}

void rp_registry_describe(rp_buf *b, const struct rp_reg *r)
{
    char arity[24];
    arity_text(arity, sizeof arity, r);
#ifdef HCR_EDIT
    rp_buf_printf(b, "%s/%s: %s", r->name, arity, r->doc);
#else
    rp_buf_printf(b, "%s(%s): %s", r->name, arity, r->doc);
#endif
}

long rp_registry_module_calls(const char *name)
{
    const struct rp_reg *r = rp_registry_find(name, RP_REG_MODULE);
    return r ? (long)r->calls() : -1;
}

static int by_name(const void *x, const void *y)
{
    const struct rp_reg *const *a = x, *const *b = y;
    return strcmp((*a)->name, (*b)->name);
}

/* The names of the entries of one kind, sorted, separated by spaces. */
void rp_registry_list(rp_buf *b, int kind)
{
    int n = rp_registry_count();
    const struct rp_reg **sorted = malloc((size_t)(n ? n : 1) * sizeof *sorted);
    if (!sorted)
        abort();
    int count = 0;
    for (const struct rp_reg *r = __start_rp_registry; r < __stop_rp_registry; r++)
        if (r->kind == kind)
            sorted[count++] = r;
    qsort(sorted, (size_t)count, sizeof *sorted, by_name);
    for (int i = 0; i < count; i++) {
        if (i)
            rp_buf_putc(b, ' ');
        rp_buf_puts(b, sorted[i]->name);
    }
    free(sorted);
}
