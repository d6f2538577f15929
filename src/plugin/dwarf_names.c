/*
 * dwarf_names.c: the functions a shared object's function-local statics
 * belong to, from its debug information.
 *
 * The symbol table names a function-local static `count.1`, numbered in
 * order of appearance in its file, so adding a function with its own
 * `count` earlier in the file renumbers every later one. The debug
 * information says which function declares each; state matching keys such
 * statics by "function/variable" instead. Objects without debug
 * information give no names, and callers fall back to the symbol table.
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



/* Records "function/variable" at `address`. */
static void add_name(struct name_list *list, uint64_t address, const char *function,
                     const char *variable)
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
    size_t len;
    char *key = hcr__dwarf_static_key(function, variable, &len);
    if (!key) {
        list->failed = 1;
        return;
    }
    list->items[list->count++] = (struct hcr__static_name){address, key, len};
}

/* Function-local statics only: file statics are named well enough by the
   symbol table. */
static int note_static(void *user, const char *function, const char *variable, uint64_t address)
{
    struct name_list *list = user;
    if (function)
        add_name(list, address, function, variable);
    return list->failed ? HCR_ENOMEM : 0;
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
        if (dwarf_offdie(dw, offset + header_size, &unit))
            hcr__dwarf_each_static(&unit, note_static, &list);
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
