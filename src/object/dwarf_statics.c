/*
 * dwarf_statics.c: what object mode reads from debug information:
 * function-local statics by (function, variable) (see dwarf_statics.h) and
 * compilation unit paths. The object's debug sections are relocated by libdwfl,
 * which places an ET_REL file's sections at addresses of its own; an
 * address found there is turned back into (section, offset) and then into
 * the symbol defined at that place.
 */
#include "object/dwarf_statics.h"

#include "dwarf/statics.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct collect {
    struct hcr__local_static **v;
    size_t *n, *cap;
    uintptr_t bias;
};

/* Keeps function-local statics only: file statics are matched by symbol. */
static int collect_local(void *user, const char *function, const char *variable,
                         uint64_t address)
{
    struct collect *c = user;
    if (!function)
        return 0;
    struct hcr__local_static *grown = hcr__grow(*c->v, *c->n, c->cap, sizeof *grown, 16);
    if (!grown)
        return HCR_ENOMEM;
    *c->v = grown;
    char *key = hcr__dwarf_static_key(function, variable, NULL);
    if (!key)
        return HCR_ENOMEM;
    (*c->v)[(*c->n)++] =
        (struct hcr__local_static){.key = key, .address = (uintptr_t)address + c->bias};
    return 0;
}

int hcr__dwarf_collect_statics(Dwarf_Die *cu, uintptr_t bias, struct hcr__local_static **v,
                               size_t *n, size_t *cap)
{
    struct collect c = {v, n, cap, bias};
    return hcr__dwarf_each_static(cu, collect_local, &c);
}

void hcr__local_statics_free(struct hcr__local_static *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].key);
    free(v);
}

/* Opens the debug information of the validated object `elf` with libdwfl,
   which relocates an ET_REL file's debug sections; it reads the bytes
   already validated, not the file again (it may have changed since). The
   session, or NULL (no memory, or no debug information). */
static Dwfl *open_object(const char *path, const struct hcr__elf *elf, Dwfl_Module **mod,
                         Dwarf **dw, Dwarf_Addr *bias)
{
    static const Dwfl_Callbacks callbacks = {
        .find_debuginfo = dwfl_standard_find_debuginfo,
        .section_address = dwfl_offline_section_address,
    };
    Dwfl *dwfl = dwfl_begin(&callbacks);
    if (!dwfl)
        return NULL;
    int fd = memfd_create("hcr-object", MFD_CLOEXEC);
    size_t done = 0;
    while (fd >= 0 && done < elf->size) {
        ssize_t w = write(fd, elf->data + done, elf->size - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    if (fd < 0 || done < elf->size) {
        if (fd >= 0)
            close(fd);
        dwfl_end(dwfl);
        return NULL;
    }
    *mod = dwfl_report_offline(dwfl, path, path, fd); /* owns fd from here */
    dwfl_report_end(dwfl, NULL, NULL);
    *dw = *mod ? dwfl_module_getdwarf(*mod, bias) : NULL;
    if (!*dw) {
        dwfl_end(dwfl);
        return NULL;
    }
    return dwfl;
}

/* The first compilation unit's DIE. 1 if found. */
static int first_cu(Dwarf *dw, Dwarf_Die *cu)
{
    Dwarf_Off next;
    size_t header;
    return dwarf_nextcu(dw, 0, &next, &header, NULL, NULL, NULL) == 0 &&
           dwarf_offdie(dw, header, cu) != NULL;
}

char *hcr__dwarf_cu_path(Dwarf_Die *cu)
{
    const char *name = dwarf_diename(cu);
    if (!name)
        return NULL;
    Dwarf_Attribute attr;
    const char *dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
    char *joined = NULL;
    if (name[0] == '/' || !dir)
        joined = strdup(name);
    else if (asprintf(&joined, "%s/%s", dir, name) < 0)
        joined = NULL;
    /* "dir/./a.c", "dir/sub/../a.c" and symlinks name one file. */
    char *real = joined ? realpath(joined, NULL) : NULL;
    if (real) {
        free(joined);
        return real;
    }
    return joined;
}

char *hcr__object_cu_path(const char *path, const struct hcr__elf *elf)
{
    Dwfl_Module *mod;
    Dwarf *dw;
    Dwarf_Addr bias;
    Dwarf_Die cu;
    char *out = NULL;
    Dwfl *dwfl = open_object(path, elf, &mod, &dw, &bias);
    if (!dwfl)
        return NULL;
    if (first_cu(dw, &cu))
        out = hcr__dwarf_cu_path(&cu);
    dwfl_end(dwfl);
    return out;
}

/* ---- a session kept open: statics and types of one reload -------------- */

/* A data symbol of the object at its place, for finding the symbol a
   DW_OP_addr leads to without a walk of the symbol table per variable. */
struct placed_symbol {
    size_t section;
    uint64_t offset;
    size_t symbol;
};

struct hcr__object_dwarf {
    Dwfl *dwfl;
    Dwfl_Module *mod;
    Dwarf *dw;
    Dwarf_Addr bias;
    const struct hcr__elf *elf;
    struct placed_symbol *placed; /* sorted by (section, offset, symbol) */
    size_t nplaced;
    int placed_read;
};

int hcr__object_dwarf_open(const char *path, const struct hcr__elf *elf,
                           struct hcr__object_dwarf **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return HCR_ENOMEM;
    (*out)->elf = elf;
    (*out)->dwfl = open_object(path, elf, &(*out)->mod, &(*out)->dw, &(*out)->bias);
    if (!(*out)->dwfl) {
        free(*out);
        *out = NULL;
    }
    return 0;
}

Dwarf *hcr__object_dwarf_handle(struct hcr__object_dwarf *d)
{
    return d ? d->dw : NULL;
}

int hcr__object_dwarf_cu(struct hcr__object_dwarf *d, Dwarf_Die *cu)
{
    return d && first_cu(d->dw, cu);
}

static int placed_order(const void *a, const void *b)
{
    const struct placed_symbol *x = a, *y = b;
    if (x->section != y->section)
        return x->section < y->section ? -1 : 1;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return x->symbol < y->symbol ? -1 : x->symbol > y->symbol;
}

/* Lists the object's data symbols by place, once. 0 or HCR_ENOMEM. */
static int place_symbols(struct hcr__object_dwarf *d)
{
    const struct hcr__elf *elf = d->elf;
    if (d->placed_read)
        return 0;
    size_t n = 0;
    for (size_t k = 1; k < elf->nsyms; k++)
        n += ELF64_ST_TYPE(elf->syms[k].st_info) == STT_OBJECT;
    d->placed = malloc((n ? n : 1) * sizeof *d->placed);
    if (!d->placed)
        return HCR_ENOMEM;
    for (size_t k = 1; k < elf->nsyms; k++)
        if (ELF64_ST_TYPE(elf->syms[k].st_info) == STT_OBJECT)
            d->placed[d->nplaced++] = (struct placed_symbol){hcr__elf_sym_shndx(elf, k),
                                                             elf->syms[k].st_value, k};
    qsort(d->placed, d->nplaced, sizeof *d->placed, placed_order);
    d->placed_read = 1;
    return 0;
}

/* The defined data symbol of the object at (section, offset), locals only
   or any, the first in the symbol table, or 0. */
static size_t symbol_at(struct hcr__object_dwarf *d, size_t section, uint64_t offset,
                        int locals_only)
{
    size_t lo = 0, hi = d->nplaced;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct placed_symbol *p = &d->placed[mid];
        if (p->section < section || (p->section == section && p->offset < offset))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < d->nplaced && d->placed[lo].section == section && d->placed[lo].offset == offset;
         lo++) {
        const Elf64_Sym *s = &d->elf->syms[d->placed[lo].symbol];
        if (!locals_only || ELF64_ST_BIND(s->st_info) == STB_LOCAL)
            return d->placed[lo].symbol;
    }
    return 0;
}

/* The symbol at `address` of the relocated debug information (bias
   included), or 0. */
static size_t symbol_at_address(struct hcr__object_dwarf *d, Dwarf_Addr address, int locals_only)
{
    Dwarf_Addr section_bias;
    Elf_Scn *scn = dwfl_module_address_section(d->mod, &address, &section_bias);
    size_t section = scn ? elf_ndxscn(scn) : 0;
    return section && section < d->elf->shnum ? symbol_at(d, section, address, locals_only) : 0;
}

size_t hcr__object_dwarf_symbol_at(struct hcr__object_dwarf *d, uint64_t address)
{
    if (place_symbols(d) < 0)
        return 0;
    return symbol_at_address(d, address + d->bias, 0);
}

int hcr__object_statics(struct hcr__object_dwarf *d, struct hcr__local_static **out, size_t *n)
{
    size_t cap = 0;
    int rc = 0;
    Dwarf_Die cu;
    *out = NULL;
    *n = 0;
    if (!d)
        return 0;
    if (first_cu(d->dw, &cu))
        rc = hcr__dwarf_collect_statics(&cu, (uintptr_t)d->bias, out, n, &cap);
    if (rc == 0)
        rc = place_symbols(d);
    for (size_t i = 0; rc == 0 && i < *n; i++)
        (*out)[i].symbol = symbol_at_address(d, (*out)[i].address, 1);
    if (rc < 0) {
        hcr__local_statics_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void hcr__object_dwarf_close(struct hcr__object_dwarf *d)
{
    if (!d)
        return;
    dwfl_end(d->dwfl);
    free(d->placed);
    free(d);
}
