/*
 * link_collect.c: what the linker hands back (see link.h): the object's
 * functions with their originals (each one to redirect must have
 * untouched hot-patch pads), the constructors of new functions in
 * priority order, and the functions and variables the object adds.
 */
#include "object/link.h"
#include "object/link_internal.h"
#include "arch/patch.h"
#include "arch/reloc.h"
#include "object/dwarf_statics.h"
#include "object/near_memory.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- functions and constructors ------------------------------------------------------ */

/* A function symbol's place, for finding the function after a pad. */
struct func_place {
    size_t shndx;
    uint64_t value;
    size_t sym;
};

static int compare_place(const void *a, const void *b)
{
    const struct func_place *x = a, *y = b;
    if (x->shndx != y->shndx)
        return x->shndx < y->shndx ? -1 : 1;
    return (x->value > y->value) - (x->value < y->value);
}

/* Marks the entries listed in __patchable_function_entries (one section,
   or one per function with some compilers): their relocations point at
   each function's first padding byte. Functions are looked up by place in
   a sorted table, so this stays linear-logarithmic in the object's size. */
static int mark_patchable(struct linker *lk, unsigned char *patchable)
{
    const struct hcr__elf *elf = lk->elf;
    if (!lk->patchable_sec)
        return 0;
    size_t n = 0;
    struct func_place *places = malloc(elf->nsyms * sizeof *places);
    if (!places)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    for (size_t f = 1; f < elf->nsyms; f++)
        if (ELF64_ST_TYPE(elf->syms[f].st_info) == STT_FUNC)
            places[n++] = (struct func_place){hcr__elf_sym_shndx(elf, f), elf->syms[f].st_value, f};
    qsort(places, n, sizeof *places, compare_place);
    for (size_t i = 1; i < elf->shnum; i++) {
        size_t count;
        const Elf64_Rela *rel = hcr__elf_rela(elf, i, &count);
        size_t target = elf->shdrs[i].sh_info;
        if (!rel || target >= elf->shnum ||
            strcmp(hcr__elf_section_name(elf, target), "__patchable_function_entries"))
            continue;
        for (size_t r = 0; r < count; r++) {
            size_t k = ELF64_R_SYM(rel[r].r_info);
            if (!k || k >= elf->nsyms)
                continue;
            size_t sh = hcr__elf_sym_shndx(elf, k);
            if (sh >= elf->shnum || lk->secs[sh].kind != SEC_LOAD)
                continue;
            struct func_place key = {sh, elf->syms[k].st_value + (uint64_t)rel[r].r_addend +
                                                   HCR__PATCH_PRE_BYTES, 0};
            const struct func_place *hit = bsearch(&key, places, n, sizeof *places, compare_place);
            if (!hit)
                continue;
            /* Aliases share the place: mark every one of them. */
            while (hit > places && !compare_place(hit - 1, &key))
                hit--;
            for (; hit < places + n && !compare_place(hit, &key); hit++)
                patchable[hit->sym] = 1;
        }
    }
    free(places);
    return 0;
}

/* Lists the object's functions with their new entries and originals, and
   whether each has hot-patch pads hcr can switch. */
int hcr__link_collect_functions(struct linker *lk, struct hcr__linked *out)
{
    const struct hcr__elf *elf = lk->elf;
    size_t count = 0;
    for (size_t k = 1; k < elf->nsyms; k++)
        if (ELF64_ST_TYPE(elf->syms[k].st_info) == STT_FUNC && lk->syms[k].state == S_NEW)
            count++;
    unsigned char *patchable = calloc(elf->nsyms, 1);
    out->functions = calloc(count ? count : 1, sizeof *out->functions);
    if (!patchable || !out->functions) {
        free(patchable);
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    }
    int rc = mark_patchable(lk, patchable);
    for (size_t k = 1; k < elf->nsyms && rc == 0; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        struct lsym *ls = &lk->syms[k];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || ls->state != S_NEW)
            continue;
        struct hcr__link_function *f = &out->functions[out->nfunctions++];
        ls->function = out->nfunctions;
        f->name = hcr__elf_sym_name(elf, s);
        f->entry = ls->address;
        f->size = s->st_size;
        f->original = ls->original;
        f->original_size = ls->original_size;
        f->patchable = patchable[k];
        if (!f->patchable && f->original && strstr(f->name, ".cold")) {
            /* Split-off cold parts are entered only from their own
               function, which is redirected; they need no entry patch. */
            f->original = 0;
            continue;
        }
        if (f->patchable) {
            /* Pads the compiler left but in a shape hcr cannot switch byte
               by byte (an endbr64 before them, under -fcf-protection): the
               function is redirected like one without pads. */
            size_t sh = hcr__elf_sym_shndx(elf, k);
            uint64_t off = s->st_value, room = elf->shdrs[sh].sh_size;
            if (hcr__arch_pads_problem((const unsigned char *)ls->address, (size_t)off,
                                       off < room ? (size_t)(room - off) : 0))
                f->patchable = 0;
        }
    }
    free(patchable);
    return rc;
}

/* Lists what the object adds to the program: new functions with
   hot-patch pads and new variables, for later reloads to bind to. */
int hcr__link_collect_new_symbols(struct linker *lk, struct hcr__linked *out)
{
    const struct hcr__elf *elf = lk->elf;
    if (!lk->proc)
        return 0;
    out->new_symbols = calloc(elf->nsyms, sizeof *out->new_symbols);
    if (!out->new_symbols)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    for (size_t k = 1; k < elf->nsyms; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        const struct lsym *ls = &lk->syms[k];
        unsigned type = ELF64_ST_TYPE(s->st_info);
        size_t sh = hcr__elf_sym_shndx(elf, k);
        int local = ELF64_ST_BIND(s->st_info) == STB_LOCAL;
        const char *name = hcr__elf_sym_name(elf, s);
        if (ls->state != S_NEW || ls->migrated || ls->piece || !name[0] ||
            (local && !lk->file_name))
            continue; /* a migrated variable is registered with its move (object_migrate.c),
                         a piece with its variable (link_pieces.c) */
        if (type == STT_FUNC) {
            if (ls->original)
                continue;
            if (!ls->function)
                continue;
        } else if (!ls->common_offset && !hcr__link_is_state(lk, sh)) {
            continue;
        }
        if (lk->static_key && lk->static_key[k])
            name = lk->static_key[k];
        out->new_symbols[out->nnew_symbols++] = (struct hcr__link_symbol){
            .name = name, .local = local, .address = ls->address, .size = s->st_size,
            .type = type, .type_tree = ls->type_tree};
    }
    out->file = lk->file;
    out->file_name = lk->file_name;
    return 0;
}

/* The priority of an .init_array section as the static linker orders
   them: `.init_array.NNNNN` by its number, the plain section last. */
static unsigned long init_priority(const char *name)
{
    const char *dot = hcr__starts_with(name, ".init_array.") ? name + strlen(".init_array.") : NULL;
    char *end;
    unsigned long priority = dot ? strtoul(dot, &end, 10) : 65535;
    return dot && (end == dot || *end) ? 65535 : priority;
}

struct init_section {
    unsigned long priority;
    size_t index;
};

static int compare_init(const void *a, const void *b)
{
    const struct init_section *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Lists the .init_array entries that point to new functions, sections in
   priority order: a function the program already has already ran as a
   constructor, on the globals it set up, and is not run again. */
int hcr__link_collect_constructors(struct linker *lk, struct hcr__linked *out)
{
    const struct hcr__elf *elf = lk->elf;
    size_t count = 0, nsections = 0;
    for (size_t i = 1; i < elf->shnum; i++)
        if (lk->secs[i].kind == SEC_LOAD && elf->shdrs[i].sh_type == SHT_INIT_ARRAY) {
            count += elf->shdrs[i].sh_size / 8;
            nsections++;
        }
    if (!count)
        return 0;
    struct init_section *order = calloc(nsections, sizeof *order);
    out->constructors = calloc(count, sizeof *out->constructors);
    if (!order || !out->constructors) {
        free(order);
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    }
    nsections = 0;
    for (size_t i = 1; i < elf->shnum; i++)
        if (lk->secs[i].kind == SEC_LOAD && elf->shdrs[i].sh_type == SHT_INIT_ARRAY)
            order[nsections++] =
                (struct init_section){init_priority(hcr__elf_section_name(elf, i)), i};
    qsort(order, nsections, sizeof *order, compare_init);
    uintptr_t text_lo = (uintptr_t)lk->map + lk->region_offset[R_TEXT];
    uintptr_t text_hi = text_lo + lk->region_size[R_TEXT];
    int rc = 0;
    for (size_t o = 0; o < nsections && rc == 0; o++) {
        size_t i = order[o].index;
        const unsigned char *entries = (const unsigned char *)lk->secs[i].address;
        for (size_t e = 0; e < elf->shdrs[i].sh_size / 8 && rc == 0; e++) {
            uint64_t fn;
            memcpy(&fn, entries + 8 * e, sizeof fn); /* the section may be unaligned */
            int known = fn == 0 || fn == UINT64_MAX;
            if (!known && (fn < text_lo || fn >= text_hi)) {
                rc = hcr__fail(lk->msg, HCR_ECORRUPT,
                               "%s: constructor %zu of %s points outside the object's code",
                               lk->path, e, hcr__elf_section_name(elf, i));
                break;
            }
            for (size_t f = 0; f < out->nfunctions && !known; f++)
                if (out->functions[f].entry == fn && out->functions[f].original)
                    known = 1;
            if (!known)
                out->constructors[out->nconstructors++] = fn;
        }
    }
    free(order);
    return rc;
}
