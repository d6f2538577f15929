/*
 * process_units.c: what the process symbol index (symbols.c) learns from
 * an image's debug information, lazily and per file group: the group's
 * compilation unit (the unit whose code holds one of its functions, else
 * the unit named like it that declares one of its variables), its full
 * source path when two groups share a base name, and its function-local
 * statics by (function, variable). Each image's libdw handle is opened on
 * first use and kept with the index.
 */
#include "object/process_internal.h"
#include "dwarf/statics.h"

#include <dwarf.h>
#include <elf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- compilation unit paths ------------------------------------------ */

/* The compilation unit whose code holds file address `addr`: through
   .debug_aranges, else by each unit's own ranges (clang writes no
   .debug_aranges, and libdw 0.188 does not make them up). 1 if found. */
static int unit_of_code(Dwarf *dw, Dwarf_Addr addr, Dwarf_Die *cu)
{
    if (dwarf_addrdie(dw, addr, cu))
        return 1;
    Dwarf_Off off = 0, next;
    size_t header;
    while (dwarf_nextcu(dw, off, &next, &header, NULL, NULL, NULL) == 0) {
        if (dwarf_offdie(dw, off + header, cu) && dwarf_haspc(cu, addr) > 0)
            return 1;
        off = next;
    }
    return 0;
}

/* Finds the compilation unit of group g in dw: the unit whose code holds
   one of its functions, else the unit named like the group that declares
   one of its variables. 1 if found. */
static int group_cu(Dwarf *dw, const struct file_group *g, Dwarf_Die *cu)
{
    if (g->function && unit_of_code(dw, g->function, cu))
        return 1;
    if (!g->variable)
        return 0;
    Dwarf_Off off = 0, next;
    size_t header;
    while (dwarf_nextcu(dw, off, &next, &header, NULL, NULL, NULL) == 0) {
        const char *name;
        if (dwarf_offdie(dw, off + header, cu) && (name = dwarf_diename(cu))) {
            if (!strcmp(hcr__base_name(name), g->name) &&
                hcr__dwarf_declares_static_at(cu, g->variable))
                return 1;
        }
        off = next;
    }
    return 0;
}

Dwarf *hcr__process_image_dwarf(struct hcr__process *p, size_t image)
{
    if (image >= p->nimages || !p->files[image].valid)
        return NULL;
    struct image_file *f = &p->files[image];
    if (!f->dw_tried) {
        f->dw_tried = 1;
        elf_version(EV_CURRENT);
        f->dw_elf = elf_memory((char *)f->map, f->size);
        f->dw = f->dw_elf ? dwarf_begin_elf(f->dw_elf, DWARF_C_READ, NULL) : NULL;
    }
    return f->dw;
}

/* Runs fn on the compilation unit of group g of image `image`. */
static void with_group_cu(struct hcr__process *p, size_t image, struct file_group *g,
                          void (*fn)(struct file_group *g, Dwarf_Die *cu, void *arg), void *arg)
{
    Dwarf *dw = hcr__process_image_dwarf(p, image);
    Dwarf_Die cu;
    if (dw && group_cu(dw, g, &cu))
        fn(g, &cu, arg);
}

static void read_cu_path(struct file_group *g, Dwarf_Die *cu, void *arg)
{
    (void)arg;
    g->cu_path = hcr__dwarf_cu_path(cu);
}

static void read_statics(struct file_group *g, Dwarf_Die *cu, void *arg)
{
    size_t cap = 0;
    if (hcr__dwarf_collect_statics(cu, *(uintptr_t *)arg, &g->statics, &g->nstatics, &cap) < 0) {
        hcr__local_statics_free(g->statics, g->nstatics);
        g->statics = NULL;
        g->nstatics = 0;
    }
}

const struct hcr__proc_sym *hcr__process_find_local_static(struct hcr__process *p, size_t image,
                                                           uint32_t file, const char *key)
{
    if (file == HCR__NO_FILE || file > p->ngroups)
        return NULL;
    struct file_group *g = &p->groups[file - 1];
    if (!g->statics_read) {
        g->statics_read = 1;
        uintptr_t bias = p->images[image].bias;
        with_group_cu(p, image, g, read_statics, &bias);
    }
    for (size_t i = 0; i < g->nstatics; i++) {
        if (strcmp(g->statics[i].key, key))
            continue;
        for (size_t k = g->first_sym; k < g->end_sym; k++)
            if (p->syms[k].address == g->statics[i].address && p->syms[k].type == STT_OBJECT)
                return &p->syms[k];
        return NULL;
    }
    return NULL;
}

int hcr__process_find_file(struct hcr__process *p, size_t image, const char *base_name,
                           const char *object_path, const struct hcr__elf *object,
                           uint32_t *file, struct hcr__message *msg)
{
    uint32_t found = HCR__NO_FILE;
    size_t count = 0;
    *file = HCR__NO_FILE;
    for (size_t g = 0; g < p->ngroups; g++)
        if (p->groups[g].image == image && !strcmp(p->groups[g].name, base_name)) {
            if (!found)
                found = (uint32_t)g + 1;
            count++;
        }
    if (count <= 1) {
        *file = found;
        return 0;
    }
    /* Several files of that base name: compare compilation unit paths. */
    char *want = hcr__object_cu_path(object_path, object);
    if (!want)
        return hcr__fail(msg, HCR_ENOSYM,
                         "%s: the program has %zu files named %s and the object has no readable "
                         "debug information to tell which (build it with -g)",
                         object_path, count, base_name);
    for (size_t g = 0; g < p->ngroups; g++) {
        struct file_group *fg = &p->groups[g];
        if (fg->image != image || strcmp(fg->name, base_name))
            continue;
        if (!fg->cu_path_read) {
            fg->cu_path_read = 1;
            with_group_cu(p, image, fg, read_cu_path, NULL);
        }
        if (fg->cu_path && !strcmp(fg->cu_path, want)) {
            *file = (uint32_t)g + 1;
            free(want);
            return 0;
        }
    }
    int rc = hcr__fail(msg, HCR_ENOSYM,
                       "%s: compiled from %s, which is none of the %zu files named %s in the "
                       "program",
                       object_path, want, count, base_name);
    free(want);
    return rc;
}

unsigned hcr__process_file_ordinal(const struct hcr__process *p, uint32_t file)
{
    return file == HCR__NO_FILE ? UINT_MAX : p->groups[file - 1].ordinal;
}

/* ---- variables and code by address (object mode's migration) ----------- */

const struct hcr__elf *hcr__process_image_elf(const struct hcr__process *p, size_t image)
{
    return image < p->nimages && p->files[image].valid ? &p->files[image].elf : NULL;
}

struct die_at {
    uint64_t address;
    Dwarf_Die *out;
};

static int match_address(void *user, const char *function, const char *variable,
                         uint64_t address, Dwarf_Die *die)
{
    struct die_at *d = user;
    (void)function, (void)variable;
    if (address != d->address)
        return 0;
    *d->out = *die;
    return 1;
}

struct die_list {
    struct hcr__process_variable *v;
    size_t n, cap;
    uintptr_t bias;
    int failed;
};

static int list_variable(void *user, const char *function, const char *variable,
                         uint64_t address, Dwarf_Die *die)
{
    struct die_list *l = user;
    (void)function, (void)variable;
    struct hcr__process_variable *grown = hcr__grow(l->v, l->n, &l->cap, sizeof *grown, 32);
    if (!grown) {
        l->failed = 1;
        return 1;
    }
    l->v = grown;
    l->v[l->n++] = (struct hcr__process_variable){(uintptr_t)address + l->bias, *die};
    return 0;
}

static int variable_order(const void *a, const void *b)
{
    const struct hcr__process_variable *x = a, *y = b;
    return x->address < y->address ? -1 : x->address > y->address;
}

int hcr__process_unit_variables(struct hcr__process *p, size_t image, uint32_t file,
                                struct hcr__process_variable **v, size_t *n)
{
    *v = NULL;
    *n = 0;
    Dwarf *dw = hcr__process_image_dwarf(p, image);
    Dwarf_Die cu;
    if (!dw || file == HCR__NO_FILE || file > p->ngroups || !group_cu(dw, &p->groups[file - 1], &cu))
        return 0;
    struct die_list l = {NULL, 0, 0, p->images[image].bias, 0};
    hcr__dwarf_each_static_die(&cu, list_variable, &l);
    if (l.failed) {
        free(l.v);
        return HCR_ENOMEM;
    }
    qsort(l.v, l.n, sizeof *l.v, variable_order);
    *v = l.v;
    *n = l.n;
    return 0;
}

int hcr__process_variable_die(struct hcr__process *p, size_t image, uint32_t file,
                              uintptr_t address, Dwarf_Die *die)
{
    Dwarf *dw = hcr__process_image_dwarf(p, image);
    if (!dw || address < p->images[image].bias)
        return 0;
    struct die_at d = {address - p->images[image].bias, die};
    Dwarf_Die cu;
    /* The unit's own compilation unit first; a global may be defined in
       another unit than its STT_FILE group suggests, so then every one. */
    if (file != HCR__NO_FILE && file <= p->ngroups && group_cu(dw, &p->groups[file - 1], &cu) &&
        hcr__dwarf_each_static_die(&cu, match_address, &d) == 1)
        return 1;
    Dwarf_Off off = 0, next;
    size_t header;
    while (dwarf_nextcu(dw, off, &next, &header, NULL, NULL, NULL) == 0) {
        if (dwarf_offdie(dw, off + header, &cu) &&
            hcr__dwarf_each_static_die(&cu, match_address, &d) == 1)
            return 1;
        off = next;
    }
    return 0;
}

char *hcr__process_unit_at(struct hcr__process *p, size_t image, uintptr_t pc)
{
    Dwarf *dw = hcr__process_image_dwarf(p, image);
    Dwarf_Die cu;
    if (!dw || pc < p->images[image].bias || !unit_of_code(dw, pc - p->images[image].bias, &cu))
        return NULL;
    return hcr__dwarf_cu_path(&cu);
}

int hcr__process_returns_nothing(struct hcr__process *p, size_t image, uintptr_t pc)
{
    Dwarf *dw = hcr__process_image_dwarf(p, image);
    Dwarf_Die cu, *scopes = NULL;
    if (!dw || pc < p->images[image].bias || !unit_of_code(dw, pc - p->images[image].bias, &cu))
        return 0;
    int n = dwarf_getscopes(&cu, pc - p->images[image].bias, &scopes);
    int nothing = 0;
    for (int i = 0; i < n; i++)
        if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram) {
            nothing = !dwarf_hasattr_integrate(&scopes[i], DW_AT_type);
            break;
        }
    free(scopes);
    return nothing;
}

int hcr__process_unit_cu(struct hcr__process *p, size_t image, uint32_t file, Dwarf_Die *cu)
{
    Dwarf *dw = hcr__process_image_dwarf(p, image);
    return dw && file != HCR__NO_FILE && file <= p->ngroups &&
           group_cu(dw, &p->groups[file - 1], cu);
}
