/*
 * elf_symbols.c: the last stage of the ELF reader's validation
 * (elf_internal.h) and the accessors it makes safe. The symbol tables
 * come first: every name inside its string table, every section index a
 * real section or a special value, in a relocatable object every value
 * inside its section. Then the sections that index into them: relocations
 * (symbol indexes, the section they apply to and every offset in it) and
 * groups (signature symbol, members).
 */
#include "elf/elf_internal.h"

#include "arch/reloc.h"

#include <stdint.h>
#include <string.h>

/* The checked contents of one symbol table. */
struct symtab_view {
    const Elf64_Sym *syms;
    size_t nsyms;
    const char *str;
    size_t str_size;
    const Elf32_Word *xindex;
};

/* Validates symbol table section `s` (already known to be a well-formed
   array in the file) with its string table and its SHT_SYMTAB_SHNDX
   section `x` (0 if none): every name inside the string table, every
   section index real or one of the special values, and in a relocatable
   object every value inside its section. Fills *v. */
static int check_table(const struct hcr__elf *e, size_t s, size_t x, struct symtab_view *v,
                       struct hcr__message *msg)
{
    const Elf64_Shdr *sh = &e->shdrs[s];
    const Elf64_Shdr *str = &e->shdrs[sh->sh_link];
    struct hcr__elf_label l, lx;

    hcr__elf_file_label(e, s, &l);
    if (sh->sh_link == 0 || str->sh_type != SHT_STRTAB)
        return hcr__fail(msg, HCR_ECORRUPT,
                         "%s: %s links to section [%u] for its names, which is not a string table",
                         e->name, l.text, sh->sh_link);
    v->syms = (const Elf64_Sym *)(e->data + sh->sh_offset);
    v->nsyms = sh->sh_size / sizeof(Elf64_Sym);
    v->str = (const char *)e->data + str->sh_offset;
    v->str_size = str->sh_size;
    v->xindex = NULL;
    if (sh->sh_info > v->nsyms)
        return hcr__fail(msg, HCR_ECORRUPT,
                         "%s: %s says it has %u local symbols, it has %zu symbols", e->name, l.text,
                         sh->sh_info, v->nsyms);
    if (x != 0) {
        const Elf64_Shdr *xs = &e->shdrs[x];
        if (xs->sh_size / sizeof(Elf32_Word) != v->nsyms)
            return hcr__fail(
                msg, HCR_ECORRUPT, "%s: %s has %llu entries, its symbol table %s has %zu symbols",
                e->name, hcr__elf_file_label(e, x, &lx),
                (unsigned long long)(xs->sh_size / sizeof(Elf32_Word)), l.text, v->nsyms);
        v->xindex = (const Elf32_Word *)(e->data + xs->sh_offset);
    }

    for (size_t j = 0; j < v->nsyms; j++) {
        const Elf64_Sym *sym = &v->syms[j];
        size_t shndx = sym->st_shndx;
        const char *name;

        if (sym->st_name >= v->str_size)
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: symbol %zu of %s has name offset %u, past the end of its string "
                             "table (%zu bytes)",
                             e->name, j, l.text, sym->st_name, v->str_size);
        name = v->str + sym->st_name;
        if (shndx == SHN_XINDEX) {
            if (!v->xindex)
                return hcr__fail(
                    msg, HCR_ECORRUPT,
                    "%s: symbol %zu (%.64s) of %s has section SHN_XINDEX but the table "
                    "has no SHT_SYMTAB_SHNDX section",
                    e->name, j, name, l.text);
            shndx = v->xindex[j];
            if (shndx >= e->shnum)
                return hcr__fail(msg, HCR_ECORRUPT,
                                 "%s: symbol %zu (%.64s) of %s is in section %zu (extended index), "
                                 "the file has %zu sections",
                                 e->name, j, name, l.text, shndx, e->shnum);
        } else if (shndx < SHN_LORESERVE) {
            if (shndx >= e->shnum)
                return hcr__fail(msg, HCR_ECORRUPT,
                                 "%s: symbol %zu (%.64s) of %s is in section %zu, the file has %zu "
                                 "sections",
                                 e->name, j, name, l.text, shndx, e->shnum);
        } else if (shndx != SHN_ABS && shndx != SHN_COMMON &&
                   !(e->ehdr->e_machine == hcr__arch_machine() &&
                     hcr__arch_is_large_common(shndx))) {
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: symbol %zu (%.64s) of %s has the reserved section index %#zx",
                             e->name, j, name, l.text, shndx);
        }
        /* In an object, a symbol's value is its offset in its section: the
           linker adds it to where it put the section, so it must stay in. */
        if (e->ehdr->e_type == ET_REL && shndx != SHN_UNDEF && shndx < e->shnum &&
            sym->st_value > e->shdrs[shndx].sh_size)
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: symbol %zu (%.64s) of %s is at offset %#llx of %s, which has "
                             "%llu bytes",
                             e->name, j, name, l.text, (unsigned long long)sym->st_value,
                             hcr__elf_file_label(e, shndx, &lx),
                             (unsigned long long)e->shdrs[shndx].sh_size);
    }
    return 0;
}

/* Validates relocation section i (SHT_RELA or SHT_REL, a well-formed array
   in the file): its symbol table, every symbol index, and for relocatable
   objects the section it applies to and every offset inside it. */
static int check_relocs(const struct hcr__elf *e, size_t i, struct hcr__message *msg)
{
    const Elf64_Shdr *sh = &e->shdrs[i];
    int rela = sh->sh_type == SHT_RELA;
    size_t entsize = rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
    size_t count = sh->sh_size / entsize;
    size_t nsyms = 0;
    const Elf64_Shdr *target = NULL;
    struct hcr__elf_label l, lt;

    hcr__elf_file_label(e, i, &l);
    if (sh->sh_link != 0) {
        if (sh->sh_link == e->symtab_shndx)
            nsyms = e->nsyms;
        else if (sh->sh_link == e->dynsym_shndx)
            nsyms = e->ndynsyms;
        else
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: relocation section %s links to section [%u], not a symbol table",
                             e->name, l.text, sh->sh_link);
    }
    if (sh->sh_info >= e->shnum)
        return hcr__fail(
            msg, HCR_ECORRUPT,
            "%s: relocation section %s applies to section %u, the file has %zu sections", e->name,
            l.text, sh->sh_info, e->shnum);
    if (e->ehdr->e_type == ET_REL) {
        target = &e->shdrs[sh->sh_info];
        if (sh->sh_info == 0 || target->sh_type == SHT_NULL)
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: relocation section %s applies to section %u, which is not a "
                             "section with contents",
                             e->name, l.text, sh->sh_info);
    }

    for (size_t k = 0; k < count; k++) {
        /* Elf64_Rel is the first two fields of Elf64_Rela. */
        const Elf64_Rel *r = (const Elf64_Rel *)(e->data + sh->sh_offset + k * entsize);
        size_t sym = ELF64_R_SYM(r->r_info);

        if (sh->sh_link == 0 ? sym != 0 : sym >= nsyms)
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: relocation %zu of %s refers to symbol %zu, its symbol table has "
                             "%zu symbols",
                             e->name, k, l.text, sym, nsyms);
        if (target && r->r_offset >= target->sh_size)
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: relocation %zu of %s applies at offset %#llx, past the end of %s "
                             "(%llu bytes)",
                             e->name, k, l.text, (unsigned long long)r->r_offset,
                             hcr__elf_file_label(e, sh->sh_info, &lt),
                             (unsigned long long)target->sh_size);
    }
    return 0;
}

/* Validates group section i (a well-formed array of words): its signature
   symbol in .symtab and every member a real section. */
static int check_group(const struct hcr__elf *e, size_t i, struct hcr__message *msg)
{
    const Elf64_Shdr *sh = &e->shdrs[i];
    const Elf32_Word *w = (const Elf32_Word *)(e->data + sh->sh_offset);
    size_t count = sh->sh_size / sizeof(Elf32_Word);
    struct hcr__elf_label l;

    hcr__elf_file_label(e, i, &l);
    if (sh->sh_link == 0 || sh->sh_link != e->symtab_shndx)
        return hcr__fail(msg, HCR_ECORRUPT, "%s: group %s links to section [%u], not .symtab",
                         e->name, l.text, sh->sh_link);
    if (sh->sh_info >= e->nsyms)
        return hcr__fail(msg, HCR_ECORRUPT,
                         "%s: group %s has signature symbol %u, .symtab has %zu symbols", e->name,
                         l.text, sh->sh_info, e->nsyms);
    if (count == 0)
        return hcr__fail(msg, HCR_ECORRUPT, "%s: group %s is empty (no flag word)", e->name,
                         l.text);
    for (size_t k = 1; k < count; k++)
        if (w[k] == 0 || w[k] >= e->shnum)
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: group %s has member section %u, the file has %zu sections",
                             e->name, l.text, w[k], e->shnum);
    return 0;
}

int hcr__elf_symbols_check(struct hcr__elf *e, size_t xsym, size_t xdyn,
                           struct hcr__message *msg)
{
    struct symtab_view v;
    int rc = 0;

    if (e->symtab_shndx) {
        rc = check_table(e, e->symtab_shndx, xsym, &v, msg);
        if (rc < 0)
            return rc;
        e->syms = v.syms;
        e->nsyms = v.nsyms;
        e->strtab = v.str;
        e->strtab_size = v.str_size;
        e->symtab_xindex = v.xindex;
    }
    if (e->dynsym_shndx) {
        rc = check_table(e, e->dynsym_shndx, xdyn, &v, msg);
        if (rc < 0)
            return rc;
        e->dynsyms = v.syms;
        e->ndynsyms = v.nsyms;
        e->dynstr = v.str;
        e->dynstr_size = v.str_size;
        e->dynsym_xindex = v.xindex;
    }

    for (size_t i = 1; i < e->shnum; i++) {
        switch (e->shdrs[i].sh_type) {
        case SHT_RELA:
        case SHT_REL:
            rc = check_relocs(e, i, msg);
            break;
        case SHT_GROUP:
            rc = check_group(e, i, msg);
            break;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

const char *hcr__elf_sym_name(const struct hcr__elf *elf, const Elf64_Sym *sym)
{
    if (!elf->syms || sym < elf->syms || sym >= elf->syms + elf->nsyms)
        return "";
    return elf->strtab + sym->st_name;
}

const char *hcr__elf_dynsym_name(const struct hcr__elf *elf, const Elf64_Sym *sym)
{
    if (!elf->dynsyms || sym < elf->dynsyms || sym >= elf->dynsyms + elf->ndynsyms)
        return "";
    return elf->dynstr + sym->st_name;
}

size_t hcr__elf_sym_shndx(const struct hcr__elf *elf, size_t sym_index)
{
    if (sym_index >= elf->nsyms)
        return SHN_UNDEF;
    if (elf->syms[sym_index].st_shndx == SHN_XINDEX)
        return elf->symtab_xindex[sym_index]; /* present: validated in hcr__elf_open */
    return elf->syms[sym_index].st_shndx;
}

size_t hcr__elf_dynsym_shndx(const struct hcr__elf *elf, size_t sym_index)
{
    if (sym_index >= elf->ndynsyms)
        return SHN_UNDEF;
    if (elf->dynsyms[sym_index].st_shndx == SHN_XINDEX)
        return elf->dynsym_xindex[sym_index];
    return elf->dynsyms[sym_index].st_shndx;
}

const Elf64_Rela *hcr__elf_rela(const struct hcr__elf *elf, size_t i, size_t *count)
{
    const Elf64_Shdr *sh;

    if (count)
        *count = 0;
    if (i >= elf->shnum || elf->shdrs[i].sh_type != SHT_RELA)
        return NULL;
    sh = &elf->shdrs[i];
    if (count)
        *count = sh->sh_size / sizeof(Elf64_Rela);
    return (const Elf64_Rela *)(elf->data + sh->sh_offset);
}

const Elf32_Word *hcr__elf_group(const struct hcr__elf *elf, size_t i, size_t *count,
                                 Elf32_Word *flags)
{
    const Elf32_Word *w;

    if (count)
        *count = 0;
    if (flags)
        *flags = 0;
    if (i >= elf->shnum || elf->shdrs[i].sh_type != SHT_GROUP)
        return NULL;
    w = (const Elf32_Word *)(elf->data + elf->shdrs[i].sh_offset);
    if (count)
        *count = elf->shdrs[i].sh_size / sizeof(Elf32_Word) - 1; /* validated: >= 1 word */
    if (flags)
        *flags = w[0];
    return w + 1;
}

/* The name an STT_FILE symbol gives, NULL for the empty name. */
static const char *file_name(const struct hcr__elf *elf, const Elf64_Sym *file_sym)
{
    const char *name = elf->strtab + file_sym->st_name;
    return *name ? name : NULL;
}

/* 1 if symbol `sym` belongs to the file of the STT_FILE before it. */
static int takes_file(const Elf64_Sym *sym)
{
    return ELF64_ST_BIND(sym->st_info) == STB_LOCAL && ELF64_ST_TYPE(sym->st_info) != STT_FILE;
}

const char *hcr__elf_sym_file(const struct hcr__elf *elf, size_t sym_index)
{
    if (sym_index >= elf->nsyms || !takes_file(&elf->syms[sym_index]))
        return NULL;
    for (size_t j = sym_index; j-- > 0;)
        if (ELF64_ST_TYPE(elf->syms[j].st_info) == STT_FILE)
            return file_name(elf, &elf->syms[j]);
    return NULL;
}

const Elf64_Sym *hcr__elf_sym_next(const struct hcr__elf *elf, struct hcr__elf_sym_walk *walk)
{
    const Elf64_Sym *sym;

    if (walk->next >= elf->nsyms)
        return NULL;
    walk->index = walk->next++;
    sym = &elf->syms[walk->index];
    if (ELF64_ST_TYPE(sym->st_info) == STT_FILE)
        walk->current_file = file_name(elf, sym);
    walk->file = takes_file(sym) ? walk->current_file : NULL;
    return sym;
}

void hcr__elf_sym_files(const struct hcr__elf *elf, const char **files)
{
    struct hcr__elf_sym_walk walk = {0};

    while (hcr__elf_sym_next(elf, &walk))
        files[walk.index] = walk.file;
}
