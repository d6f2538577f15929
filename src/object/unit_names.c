/*
 * unit_names.c: names one compilation unit of the running program defines,
 * from the image's debug information, each confirmed by the image's symbol
 * table (see unit_names.h). Only the unit's top-level DIEs are read:
 * functions with code, and (through dwarf/statics.c) file-scope variables
 * with a fixed address.
 */
#include "object/unit_names.h"
#include "dwarf/statics.h"
#include "object/dwarf_statics.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>
#include <string.h>

struct lookup {
    struct hcr__process *p;
    size_t image;
    uintptr_t bias;
    struct hcr__unit_name *names;
    size_t n;
};

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

/* Calls fn for each top-level function of the unit that has code of its
   own: its name (its own, or its abstract origin's) and entry. */
static void each_function(Dwarf_Die *cu,
                          void (*fn)(void *arg, Dwarf_Die *die, const char *name, int own,
                                     Dwarf_Addr entry),
                          void *arg)
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
        const char *name =
            own ? own : dwarf_formstring(dwarf_attr_integrate(&child, DW_AT_name, &attr));
        if (name)
            fn(arg, &child, name, own != NULL, low);
    } while (dwarf_siblingof(&child, &child) == 0);
}

static void found_function(void *arg, Dwarf_Die *die, const char *name, int own,
                           Dwarf_Addr entry)
{
    (void)die;
    found(arg, name, 1, entry, !own);
}

/* The units of dw whose file has the base name base_name (and the path
   `path`, when not NULL): how many, with *unit the last one (with a path,
   the first, and the count is at most 1). */
static size_t units_named(Dwarf *dw, const char *base_name, const char *path, Dwarf_Die *unit)
{
    Dwarf_Off off = 0, next;
    size_t header, count = 0;
    Dwarf_Die cu;
    for (; dwarf_nextcu(dw, off, &next, &header, NULL, NULL, NULL) == 0; off = next) {
        const char *name;
        if (!dwarf_offdie(dw, off + header, &cu) || !(name = dwarf_diename(&cu)) ||
            strcmp(hcr__base_name(name), base_name))
            continue;
        if (path) {
            char *own = hcr__dwarf_cu_path(&cu);
            int same = own && !strcmp(own, path);
            free(own);
            if (!same)
                continue;
        }
        *unit = cu;
        if (++count && path)
            break;
    }
    return count;
}

/* The unit of dw with the object's base name: the only one, else the one
   whose path is the object's compilation unit path. 1 if found. */
static int find_unit(Dwarf *dw, const struct hcr__unit_query *q, Dwarf_Die *unit)
{
    size_t count = units_named(dw, q->base_name, NULL, unit);
    if (count <= 1)
        return (int)count;
    char *want = hcr__object_cu_path(q->object_path, q->object);
    int found = want && units_named(dw, q->base_name, want, unit) == 1;
    free(want);
    return found;
}

/* The unit's DIE and the image's load bias. 1 if found. */
static int open_unit(const struct hcr__unit_query *q, Dwarf_Die *cu, uintptr_t *bias)
{
    const struct hcr__proc_image *im = hcr__process_image(q->process, q->image);
    Dwarf *dw = im && q->base_name ? hcr__process_image_dwarf(q->process, q->image) : NULL;
    if (!dw || !find_unit(dw, q, cu))
        return 0;
    *bias = im->bias;
    return 1;
}

int hcr__unit_lookup(const struct hcr__unit_query *q, struct hcr__unit_name *names, size_t n)
{
    Dwarf_Die cu;
    struct lookup l = {q->process, q->image, 0, names, n};
    if (!open_unit(q, &cu, &l.bias))
        return 0;
    each_function(&cu, found_function, &l);
    hcr__dwarf_each_static(&cu, found_variable, &l);
    return 1;
}

struct externals {
    void (*fn)(void *arg, const char *name);
    void *arg;
};

static void found_external(void *arg, Dwarf_Die *die, const char *name, int own,
                           Dwarf_Addr entry)
{
    struct externals *e = arg;
    (void)entry, (void)own;
    /* An out-of-line copy of a function the compiler also inlined (gcc
       does so for globals of an executable built without -fpic) names
       itself only through its abstract origin: it counts as well. */
    if (dwarf_hasattr_integrate(die, DW_AT_external))
        e->fn(e->arg, name);
}

int hcr__unit_each_external_function(const struct hcr__unit_query *q,
                                     void (*fn)(void *arg, const char *name), void *arg)
{
    Dwarf_Die cu;
    uintptr_t bias;
    if (!open_unit(q, &cu, &bias))
        return 0;
    struct externals e = {fn, arg};
    each_function(&cu, found_external, &e);
    return 1;
}
