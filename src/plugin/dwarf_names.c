/*
 * dwarf_names.c: what a shared object's debug information says about each
 * variable with a fixed address: its type (for migration, src/migrate/)
 * and, for a function-local static, the function it belongs to.
 *
 * The symbol table names a function-local static `count.1`, numbered in
 * order of appearance in its file, so adding a function with its own
 * `count` earlier in the file renumbers every later one. The debug
 * information says which function declares each; state matching keys such
 * statics by "function/variable" instead. Objects without debug
 * information give no names and no types, and callers fall back to the
 * symbol table and to sizes.
 */
#include "plugin_internal.h"

#include "dwarf/statics.h"
#include "dwarf/types.h"

#include <elfutils/libdw.h>
#include <stdlib.h>
#include <string.h>

struct name_list {
    struct hcr__static_name *items;
    size_t count, capacity;
    struct hcr__types *types;
    int failed;
};

/* Records the variable at `address`: its type, and "function/variable"
   for a function-local one. */
static void add_name(struct name_list *list, uint64_t address, const char *function,
                     const char *variable, Dwarf_Die *die)
{
    if (list->failed)
        return;
    struct hcr__static_name *items =
        hcr__grow(list->items, list->count, &list->capacity, sizeof *items, 64);
    if (!items) {
        list->failed = 1;
        return;
    }
    list->items = items;
    size_t len = 0;
    /* File statics and globals are named well enough by the symbol table. */
    char *key = function ? hcr__dwarf_static_key(function, variable, &len) : NULL;
    if (function && !key) {
        list->failed = 1;
        return;
    }
    const struct hcr__type *type = hcr__types_of_variable(list->types, die);
    list->items[list->count++] = (struct hcr__static_name){address, key, len, type};
}

static int note_static(void *user, const char *function, const char *variable, uint64_t address,
                       Dwarf_Die *die)
{
    struct name_list *list = user;
    add_name(list, address, function, variable, die);
    return list->failed ? HCR_ENOMEM : 0;
}

static int compare_names(const void *a, const void *b)
{
    const struct hcr__static_name *x = a, *y = b;
    return (x->address > y->address) - (x->address < y->address);
}

int hcr__static_names_read(struct hcr__types *types, struct hcr__static_names *names)
{
    memset(names, 0, sizeof *names);
    Dwarf *dw = hcr__types_dwarf(types);
    if (!dw)
        return 0; /* no debug information: the symbol table will do */
    struct name_list list = {.types = types};
    Dwarf_Off offset = 0, next;
    size_t header_size;
    while (!list.failed &&
           dwarf_nextcu(dw, offset, &next, &header_size, NULL, NULL, NULL) == 0) {
        Dwarf_Die unit;
        if (dwarf_offdie(dw, offset + header_size, &unit))
            hcr__dwarf_each_static_die(&unit, note_static, &list);
        offset = next;
    }
    if (list.failed) {
        names->items = list.items;
        names->count = list.count;
        hcr__static_names_free(names);
        return HCR_ENOMEM;
    }
    if (list.count)
        qsort(list.items, list.count, sizeof *list.items, compare_names);
    names->items = list.items;
    names->count = list.count;
    return 0;
}

const struct hcr__static_name *hcr__static_names_find(const struct hcr__static_names *names,
                                                      uint64_t address)
{
    size_t lo = 0, hi = names->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (names->items[mid].address == address)
            return &names->items[mid];
        if (names->items[mid].address < address)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void hcr__static_names_free(struct hcr__static_names *names)
{
    for (size_t i = 0; i < names->count; i++)
        free(names->items[i].key);
    free(names->items);
    memset(names, 0, sizeof *names);
}
