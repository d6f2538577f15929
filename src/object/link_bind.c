/*
 * link_bind.c: the linker's stages that bind the object to what the running
 * program has beyond a lookup by name (see link_internal.h):
 *  - names the symbol lookup left new are checked against the program's
 *    debug information for the unit and bound where its symbol table agrees
 *    (a global made static, a static variable made global); a weak
 *    definition another unit's strong one overrides stays overridden;
 *  - data sections that stand for existing storage: one variable, or a
 *    named section whose every variable the program has at one base;
 *    a kept table of &&label addresses is refused unless untouched;
 *  - external functions of the program's unit the object no longer
 *    defines are reported.
 * Nothing here maps or writes memory: it decides states for link.c.
 */
#include "object/link_internal.h"
#include "object/unit_names.h"

#include <stdlib.h>
#include <string.h>

const char *hcr__link_sym_name(const struct linker *lk, size_t k)
{
    const Elf64_Sym *s = &lk->elf->syms[k];
    if (ELF64_ST_TYPE(s->st_info) == STT_SECTION) {
        size_t sh = hcr__elf_sym_shndx(lk->elf, k);
        return hcr__elf_section_name(lk->elf, sh < lk->elf->shnum ? sh : 0);
    }
    return hcr__elf_sym_name(lk->elf, s);
}

/* Binds variable k of the object to the program's storage `ps` (a
   common symbol included). A size that changed is judged once the
   debug information is read (link_migrate.c). 0. */
int hcr__link_bind_variable(struct linker *lk, size_t k, const struct hcr__proc_sym *ps)
{
    struct lsym *ls = &lk->syms[k];
    ls->state = S_BOUND;
    ls->bound_size = ps->size;
    ls->address = ps->address;
    ls->common_offset = 0;
    size_t sh = hcr__elf_sym_shndx(lk->elf, k);
    if (sh < lk->elf->shnum)
        lk->secs[sh].has_bound = 1;
    return 0;
}

/* Whether a name is one the compiler or assembler made (foo.cold,
   foo.constprop.0, count.1, a .symver alias foo@V1): the debug information
   names only source names. */
static int is_compiler_name(const char *name)
{
    return strpbrk(name, ".@") != NULL;
}

/* Symbol k, defined by the object, that the lookups by name left new: a
   function with no original, or a variable whose value would be state. */
int hcr__link_is_unbound_candidate(const struct linker *lk, size_t k)
{
    const Elf64_Sym *s = &lk->elf->syms[k];
    const struct lsym *ls = &lk->syms[k];
    const char *name = hcr__elf_sym_name(lk->elf, s);
    unsigned type = ELF64_ST_TYPE(s->st_info);
    if (ls->state != S_NEW || ls->migrated || ls->piece || !name[0] || is_compiler_name(name))
        return 0;
    if (ls->strong)
        return 1;
    if (type == STT_FUNC)
        return !ls->original;
    if (type != STT_OBJECT || (lk->static_key && lk->static_key[k]))
        return 0;
    return ls->common_offset || hcr__link_is_state(lk, hcr__elf_sym_shndx(lk->elf, k));
}

static struct hcr__unit_query unit_query(const struct linker *lk)
{
    return (struct hcr__unit_query){lk->proc, lk->home, lk->file_name, lk->path, lk->elf};
}

/* Asks the program's debug information whether its copy of the unit
   defines the names the lookups by name left new (a global made static, a
   file whose symbols are not grouped under its name), and binds those the
   symbol table confirms. A name the unit defines at an address no symbol of
   that name has cannot be bound: the reload fails rather than leave
   callers, or the value, with the old definition. 0 or a negative code. */
int hcr__link_bind_by_unit(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    size_t n = 0;
    if (!lk->proc)
        return 0;
    for (size_t k = 1; k < elf->nsyms; k++)
        n += hcr__link_is_unbound_candidate(lk, k);
    if (!n)
        return 0;
    struct hcr__unit_name *names = calloc(n, sizeof *names);
    size_t *index = calloc(n, sizeof *index);
    if (!names || !index) {
        free(names);
        free(index);
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    }
    n = 0;
    for (size_t k = 1; k < elf->nsyms; k++)
        if (hcr__link_is_unbound_candidate(lk, k)) {
            names[n] = (struct hcr__unit_name){
                .name = hcr__elf_sym_name(elf, &elf->syms[k]),
                .function = ELF64_ST_TYPE(elf->syms[k].st_info) == STT_FUNC};
            index[n++] = k;
        }
    struct hcr__unit_query q = unit_query(lk);
    int rc = hcr__unit_lookup(&q, names, n);
    lk->unit_checked = rc > 0;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        size_t k = index[i];
        struct lsym *ls = &lk->syms[k];
        const struct hcr__proc_sym *ps = names[i].sym;
        if (ls->strong && (!ps || ps->address != ls->strong->address)) {
            /* Another unit's strong definition overrides this weak one, as
               the static linker decided: the object uses it too. */
            if (!lk->unit_checked)
                hcr__log(NULL, HCR_LOG_WARN,
                         "object: %s: weak %s is not used: the program's strong definition "
                         "stays (no debug information says whether it is this unit's)",
                         lk->path, names[i].name);
            ls->state = S_EXTERNAL;
            ls->address = ls->strong->address;
            ls->far = ls->strong->image != lk->home;
            continue;
        }
        if (names[i].unbindable) {
            rc = hcr__fail(lk->msg, HCR_ENOSYM,
                           "%s: %s %s exists in the running program (in %s, per its debug "
                           "information) but no symbol of that name is at its address, so hcr "
                           "cannot bind it; nothing was changed",
                           lk->path, names[i].function ? "function" : "variable", names[i].name,
                           lk->file_name);
        } else if (ps && names[i].function) {
            ls->original = ps->address, ls->original_size = ps->size;
        } else if (ps) {
            rc = hcr__link_bind_variable(lk, k, ps);
        }
    }
    if (rc == 0 && !lk->unit_checked)
        hcr__log(NULL, HCR_LOG_DEBUG,
                 "object: %s: the program has no debug information for %s; %zu names not in "
                 "its symbol tables are taken as new",
                 lk->path, lk->file_name ? lk->file_name : "its unit", n);
    free(names);
    free(index);
    return rc < 0 ? rc : 0;
}

/* Whether a section is one the program named itself: the compiler splits
   its own data sections per variable (-fdata-sections) but never a named
   one, and the static linker keeps each input section whole. */
static int is_named_section(const char *name)
{
    static const char *const own[] = {".data", ".bss", ".tdata", ".tbss", ".rodata",
                                      ".lrodata", ".ldata", ".lbss"};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++) {
        size_t n = strlen(own[i]);
        if (!strncmp(name, own[i], n) && (name[n] == 0 || name[n] == '.'))
            return 0;
    }
    return 1;
}

/* Whether every variable defined in section sh is bound to the program's
   storage at the same distance from one base, the section's bytes covered
   by them but for alignment padding: then the section, whole, is the
   program's copy of it, and any offset into it means the same variable in
   both. 1 and *base if so. */
static int bound_as_block(const struct linker *lk, size_t sh, uintptr_t *base)
{
    const struct hcr__elf *elf = lk->elf;
    uint64_t covered = 0;
    int any = 0;
    for (size_t k = 1; k < elf->nsyms; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        unsigned type = ELF64_ST_TYPE(s->st_info);
        if (hcr__elf_sym_shndx(elf, k) != sh || type == STT_SECTION || type == STT_FILE)
            continue;
        if (lk->syms[k].state != S_BOUND)
            return 0;
        uintptr_t b = lk->syms[k].address - s->st_value;
        if (any && b != *base)
            return 0;
        *base = b;
        any = 1;
        covered += s->st_size;
    }
    /* Padding between variables is less than 16 bytes each. */
    return any && covered + 16 * lk->secs[sh].nsyms >= elf->shdrs[sh].sh_size;
}

/* Whether a function of the object starts at (section sh, offset). */
static int is_function_entry(const struct hcr__elf *elf, size_t sh, uint64_t offset)
{
    for (size_t k = 1; k < elf->nsyms; k++)
        if (ELF64_ST_TYPE(elf->syms[k].st_info) == STT_FUNC && elf->syms[k].st_value == offset &&
            hcr__elf_sym_shndx(elf, k) == sh)
            return 1;
    return 0;
}

/* Whether relocation r of section `rela_sec` (applied to a bound
   section) writes an address inside code that is not a function entry. */
static int writes_code_address(const struct hcr__elf *elf, const Elf64_Rela *r)
{
    size_t k = ELF64_R_SYM(r->r_info);
    if (!k || k >= elf->nsyms)
        return 0;
    const Elf64_Sym *s = &elf->syms[k];
    size_t sh = hcr__elf_sym_shndx(elf, k);
    unsigned type = ELF64_ST_TYPE(s->st_info);
    return sh < elf->shnum && (elf->shdrs[sh].sh_flags & SHF_EXECINSTR) &&
           (type == STT_SECTION || type == STT_FUNC) &&
           !is_function_entry(elf, sh, (type == STT_FUNC ? s->st_value : 0) + (uint64_t)r->r_addend);
}

/* Whether the program's storage for bound section `target` still holds
   what it held at start: the bytes no relocation writes equal the
   object's initialiser, and each address a relocation writes equals the
   one the program's file stores there. */
static int unchanged_since_start(const struct linker *lk, size_t target, const Elf64_Rela *rel,
                                 size_t n)
{
    const struct hcr__elf *elf = lk->elf;
    size_t size;
    const unsigned char *init = hcr__elf_section_data(elf, target, &size);
    const unsigned char *live = (const unsigned char *)lk->secs[target].address;
    if (!init || elf->shdrs[target].sh_type == SHT_NOBITS)
        return 0;
    for (size_t at = 0; at < size; at++) {
        int relocated = 0;
        for (size_t r = 0; r < n && !relocated; r++)
            relocated = rel[r].r_offset <= at && at - rel[r].r_offset < 8;
        if (!relocated && init[at] != live[at])
            return 0;
    }
    for (size_t r = 0; r < n; r++) {
        uintptr_t now, at_start;
        if (rel[r].r_offset > size || size - rel[r].r_offset < sizeof now)
            return 0;
        memcpy(&now, live + rel[r].r_offset, sizeof now);
        if (!hcr__process_initial_address(lk->proc, lk->home,
                                          (uintptr_t)live + rel[r].r_offset, &at_start) ||
            now != at_start)
            return 0;
    }
    return 1;
}

/* A variable bound to the program's storage keeps the program's value,
   so its initialiser is not applied. Function addresses in it are fine:
   old entries jump to the newest code. Addresses inside code (a writable
   table of `&&label` addresses, as gcc's manual writes them) are not: the
   program's table points into the old copy of the function, and new code
   jumping there would run old code in a new frame. Such a table can only
   ever hold labels of its function, so when the rest of its bytes are
   unchanged it is taken from the new object, like a constant; otherwise
   the reload fails with its name. 0 or HCR_ENOTSUP. */
static int check_bound_code_addresses(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    for (size_t i = 1; i < elf->shnum; i++) {
        size_t n, target = elf->shdrs[i].sh_info, labels = 0;
        const Elf64_Rela *rel = hcr__elf_rela(elf, i, &n);
        if (!rel || target >= elf->shnum || lk->secs[target].kind != SEC_BOUND)
            continue;
        for (size_t r = 0; r < n; r++)
            labels += writes_code_address(elf, &rel[r]);
        if (!labels)
            continue;
        const char *name = hcr__link_sym_name(lk, lk->secs[target].first_sym);
        if (!unchanged_since_start(lk, target, rel, n))
            return hcr__fail(lk->msg, HCR_ENOTSUP,
                             "%s: %s is kept from the running program, holds addresses inside "
                             "code (a table of &&label addresses?) and was changed since: its "
                             "addresses would point into the old code; make the table const",
                             lk->path, name);
        hcr__log(NULL, HCR_LOG_DEBUG,
                 "object: %s: %s holds &&label addresses: taken from the new object", lk->path,
                 name);
        lk->secs[target].kind = SEC_LOAD;
        lk->secs[target].address = 0;
        lk->secs[target].has_bound = 0;
        for (size_t k = 1; k < elf->nsyms; k++)
            if (hcr__elf_sym_shndx(elf, k) == target && lk->syms[k].state == S_BOUND)
                lk->syms[k].state = S_NEW;
    }
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct dropped {
    const struct linker *lk;
    const char **defined; /* the object's function names, sorted */
    size_t ndefined;
    size_t count;
};

static void report_dropped(void *arg, const char *name)
{
    struct dropped *d = arg;
    if (bsearch(&name, d->defined, d->ndefined, sizeof *d->defined, compare_names))
        return;
    d->count++;
    hcr__log(NULL, HCR_LOG_WARN,
             "object: %s: %s, a function of the program's %s, is not defined by the object "
             "(removed, or made static and inlined or specialised): its callers keep its old "
             "code",
             d->lk->path, name, d->lk->file_name);
}

/* Logs each external function of the program's copy of the unit that the
   object does not define out of line: callers in other files keep its old
   code, which a reload must not leave unsaid. The count goes in *count. 0
   or HCR_ENOMEM. */
int hcr__link_check_dropped(const struct linker *lk, size_t *count)
{
    const struct hcr__elf *elf = lk->elf;
    *count = 0;
    if (!lk->proc || !lk->file_name)
        return 0;
    struct dropped d = {lk, calloc(elf->nsyms, sizeof *d.defined), 0, 0};
    if (!d.defined)
        return hcr__fail(lk->msg, HCR_ENOMEM, "%s: out of memory", lk->path);
    for (size_t k = 1; k < elf->nsyms; k++)
        if (ELF64_ST_TYPE(elf->syms[k].st_info) == STT_FUNC &&
            hcr__elf_sym_shndx(elf, k) != SHN_UNDEF)
            d.defined[d.ndefined++] = hcr__elf_sym_name(elf, &elf->syms[k]);
    qsort(d.defined, d.ndefined, sizeof *d.defined, compare_names);
    struct hcr__unit_query q = unit_query(lk);
    hcr__unit_each_external_function(&q, report_dropped, &d);
    free(d.defined);
    *count = d.count;
    return 0;
}

int hcr__link_bind_sections(struct linker *lk)
{
    const struct hcr__elf *elf = lk->elf;
    /* A data section holding exactly one variable, which the program
       already has, is that variable: it is not loaded, and references to
       the section itself mean the existing storage. So is a named section
       (`__attribute__((section(...)))`) whose every variable the program
       has at the same distance from one base. */
    for (size_t i = 1; i < elf->shnum; i++) {
        struct lsec *sec = &lk->secs[i];
        if (sec->kind != SEC_LOAD || !sec->has_bound)
            continue;
        const struct lsym *only = &lk->syms[sec->first_sym];
        if (sec->nsyms == 1 && only->state == S_BOUND && elf->syms[sec->first_sym].st_value == 0) {
            sec->kind = SEC_BOUND;
            sec->address = only->address;
        } else if (is_named_section(hcr__elf_section_name(elf, i))) {
            uintptr_t base = 0;
            if (bound_as_block(lk, i, &base)) {
                sec->kind = SEC_BOUND;
                sec->address = base;
            }
        }
    }
    return check_bound_code_addresses(lk);
}
