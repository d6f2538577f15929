/*
 * unit_names.c: names one compilation unit of the running program defines,
 * from the image's debug information, each confirmed by the image's symbol
 * table (see unit_names.h). The unit is found by path; each name is looked
 * up among the unit's top-level functions (with code) and its file-scope
 * variables (with a fixed address).
 */
#include "object/unit_names.h"
#include "dwarf/statics.h"
#include "object/dwarf_statics.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

struct lookup {
    struct hcr__process *p;
    size_t image;
    uintptr_t bias;
    struct hcr__unit_name *names;
    size_t n;
};

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Records that the unit defines `name` (a function if `function`) at file
   address `address`: bound when the symbol table has that name there.
   Through_origin: the DIE's name is its abstract origin's (an out-of-line
   copy, or a clone such as foo.constprop.0, whose symbol is named
   otherwise: not a definition of the name itself). */
static void found(struct lookup *l, const char *name, int function, uint64_t address,
                  int through_origin)
{
    for (size_t i = 0; i < l->n; i++) {
        struct hcr__unit_name *u = &l->names[i];
        if (u->sym || u->function != function || strcmp(u->name, name))
            continue;
        u->sym = hcr__process_symbol_at(l->p, l->image, l->bias + address, name, function);
        if (u->sym)
            u->unbindable = 0;
        else if (!through_origin)
            u->unbindable = 1;
    }
}

static int found_variable(void *user, const char *function, const char *variable,
                          uint64_t address)
{
    if (!function)
        found(user, variable, 0, address, 0);
    return 0;
}

/* The unit's top-level functions that have code of their own. */
static void each_function(struct lookup *l, Dwarf_Die *cu)
{
    Dwarf_Die child;
    if (dwarf_child(cu, &child) != 0)
        return;
    do {
        Dwarf_Attribute attr;
        Dwarf_Addr low;
        if (dwarf_tag(&child) != DW_TAG_subprogram || dwarf_lowpc(&child, &low) != 0)
            continue;
        const char *own = dwarf_formstring(dwarf_attr(&child, DW_AT_name, &attr));
        const char *name = own ? own : dwarf_formstring(dwarf_attr_integrate(&child, DW_AT_name, &attr));
        if (name)
            found(l, name, 1, low, !own);
    } while (dwarf_siblingof(&child, &child) == 0);
}

/* The unit of dw with path cu_path, else the only one whose base name is
   base_name. 1 if found. */
static int find_unit(Dwarf *dw, const char *cu_path, const char *base_name, Dwarf_Die *unit)
{
    Dwarf_Off off = 0, next;
    size_t header, same_base = 0;
    Dwarf_Die cu, by_base;
    while (dwarf_nextcu(dw, off, &next, &header, NULL, NULL, NULL) == 0) {
        const char *name;
        if (dwarf_offdie(dw, off + header, &cu) && (name = dwarf_diename(&cu)) &&
            !strcmp(base_of(name), base_name)) {
            char *path = cu_path ? hcr__dwarf_cu_path(&cu) : NULL;
            int same = path && !strcmp(path, cu_path);
            free(path);
            if (same) {
                *unit = cu;
                return 1;
            }
            by_base = cu;
            same_base++;
        }
        off = next;
    }
    if (same_base != 1)
        return 0;
    *unit = by_base;
    return 1;
}

int hcr__process_unit_names(struct hcr__process *p, size_t image, const char *cu_path,
                            const char *base_name, struct hcr__unit_name *names, size_t n)
{
    size_t size;
    const void *map = hcr__process_image_file(p, image, &size);
    const struct hcr__proc_image *im = hcr__process_image(p, image);
    if (!map || !im || !base_name)
        return 0;
    Elf *e = elf_memory((char *)map, size);
    if (!e)
        return 0;
    Dwarf *dw = dwarf_begin_elf(e, DWARF_C_READ, NULL);
    Dwarf_Die cu;
    int rc = 0;
    if (dw && find_unit(dw, cu_path, base_name, &cu)) {
        struct lookup l = {p, image, im->bias, names, n};
        each_function(&l, &cu);
        hcr__dwarf_each_static(&cu, found_variable, &l);
        rc = 1;
    }
    if (dw)
        dwarf_end(dw);
    elf_end(e);
    return rc;
}
