/*
 * dwarf_names.c: the source names of a shared object's static variables,
 * from its debug information.
 *
 * The symbol table names a function-local static `count.1`, numbered in
 * order of appearance in its file, so adding a function with its own
 * `count` earlier in the file renumbers every later one, and keeps only the
 * base name of the source file. The debug information says which function
 * and which compilation unit each static belongs to; state matching keys
 * statics by that instead. Objects without debug information give no
 * names, and callers fall back to the symbol table.
 */
#include "plugin_internal.h"

#include "dwarf/statics.h"

#include <elfutils/libdw.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

struct name_list {
    struct hcr__static_name *items;
    size_t count, capacity;
    int failed;
};

struct unit_walk {
    struct name_list *list;
    const char *unit;
};

static void add_name(struct name_list *list, uint64_t address, const char *unit,
                     const char *function, const char *variable)
{
    if (list->failed)
        return;
    if (list->count == list->capacity) {
        size_t cap = list->capacity ? list->capacity * 2 : 64;
        struct hcr__static_name *items = realloc(list->items, cap * sizeof *items);
        if (!items) {
            list->failed = 1;
            return;
        }
        list->items = items;
        list->capacity = cap;
    }
    /* "unit\0function/variable" or "unit\0variable": the same shape as the
       state table's "file\0name" keys. */
    size_t unit_len = strlen(unit), fn_len = function ? strlen(function) + 1 : 0;
    size_t var_len = strlen(variable);
    char *key = malloc(unit_len + 1 + fn_len + var_len + 1);
    if (!key) {
        list->failed = 1;
        return;
    }
    memcpy(key, unit, unit_len + 1);
    char *p = key + unit_len + 1;
    if (function) {
        memcpy(p, function, fn_len - 1);
        p[fn_len - 1] = '/';
        p += fn_len;
    }
    memcpy(p, variable, var_len + 1);
    list->items[list->count++] =
        (struct hcr__static_name){address, key, unit_len + 1 + fn_len + var_len};
}

static int note_static(void *user, const char *function, const char *variable, uint64_t address)
{
    struct unit_walk *w = user;
    add_name(w->list, address, w->unit, function, variable);
    return w->list->failed ? HCR_ENOMEM : 0;
}

static int compare_names(const void *a, const void *b)
{
    const struct hcr__static_name *x = a, *y = b;
    return (x->address > y->address) - (x->address < y->address);
}

int hcr__static_names_read(const void *image, size_t size, struct hcr__static_names *names)
{
    memset(names, 0, sizeof *names);
    /* From the mapped copy: no second open, and no search for a separate
       debug file, which a snapshot never has. libelf only reads it. */
    elf_version(EV_CURRENT);
    Elf *elf = elf_memory((char *)(uintptr_t)image, size);
    Dwarf *dw = elf ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
    if (!dw) {
        if (elf)
            elf_end(elf);
        return 0; /* no debug information: the symbol table will do */
    }
    struct name_list list = {0};
    Dwarf_Off offset = 0, next;
    size_t header_size;
    while (dwarf_nextcu(dw, offset, &next, &header_size, NULL, NULL, NULL) == 0) {
        Dwarf_Die unit;
        if (dwarf_offdie(dw, offset + header_size, &unit)) {
            const char *unit_name = dwarf_diename(&unit);
            struct unit_walk w = {&list, unit_name ? unit_name : ""};
            hcr__dwarf_each_static(&unit, note_static, &w);
        }
        offset = next;
    }
    dwarf_end(dw);
    elf_end(elf);
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
