/*
 * elf_file.c: the ELF reader. hcr__elf_open validates a 64-bit
 * little-endian ELF file held in memory from its first byte to its last
 * table entry, in an order that lets each step rely on the ones before it:
 * identification and header (elf_header.c), section header table, section
 * name table, every section's placement and links, symbol tables,
 * relocation and group sections (elf_symbols.c), program headers. Only
 * then does it publish the index, so the accessors can use offsets and
 * indexes without checking them again. This file holds the order, the
 * stages that lay out the file (sections and segments), and the section
 * accessors.
 *
 * Truncation (something ends past the end of the file, as in a file a
 * linker or a copy is still writing) is reported apart from corruption
 * (anything else that does not add up), because the callers retry the
 * first and give up on the second.
 */
#include "elf/elf_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* 1 if [offset, offset + len) lies inside `size` bytes. Written so that
   no sum can wrap: never `offset + len <= size`. */
static int fits(uint64_t offset, uint64_t len, uint64_t size)
{
    return offset <= size && len <= size - offset;
}

/* Checks that `what`, len bytes at offset, lies inside the file. Returns 0;
   HCR_ECORRUPT when offset + len overflows (no real file is that large);
   HCR_ETRUNC when it ends past the end of the file. */
static int check_range(const struct hcr__elf *e, uint64_t offset, uint64_t len, const char *what,
                       struct hcr__message *msg)
{
    uint64_t end;

    if (fits(offset, len, e->size))
        return 0;
    if (__builtin_add_overflow(offset, len, &end))
        return hcr__fail(
            msg, HCR_ECORRUPT,
            "%s: %s has offset %#llx and size %#llx, which overflow: the file is corrupt", e->name,
            what, (unsigned long long)offset, (unsigned long long)len);
    return hcr__fail(msg, HCR_ETRUNC,
                     "%s: file is truncated: %s ends at byte %llu, the file has %zu bytes", e->name,
                     what, (unsigned long long)end, e->size);
}

const char *hcr__elf_file_label(const struct hcr__elf *e, size_t i, struct hcr__elf_label *l)
{
    const char *name = "";

    if (e->shstrtab && i < e->shnum && e->shdrs[i].sh_name < e->shstrtab_size)
        name = e->shstrtab + e->shdrs[i].sh_name;
    if (*name)
        snprintf(l->text, sizeof l->text, "section %.64s", name);
    else
        snprintf(l->text, sizeof l->text, "section [%zu]", i);
    return l->text;
}

/* Checks that string table i lies in the file and ends with a NUL, so that
   any offset below its size starts a terminated string. */
static int check_strtab(const struct hcr__elf *e, size_t i, struct hcr__message *msg)
{
    const Elf64_Shdr *sh = &e->shdrs[i];
    struct hcr__elf_label l;
    int rc;

    rc = check_range(e, sh->sh_offset, sh->sh_size, hcr__elf_file_label(e, i, &l), msg);
    if (rc < 0)
        return rc;
    if (sh->sh_size == 0 || e->data[sh->sh_offset + sh->sh_size - 1] != '\0')
        return hcr__fail(msg, HCR_ECORRUPT, "%s: string table %s is not NUL-terminated", e->name,
                         l.text);
    return 0;
}

/* Locates the section header table (extended numbering included) and the
   section name table; sets shdrs, shnum, shstrtab. */
static int check_section_table(struct hcr__elf *e, struct hcr__message *msg)
{
    const Elf64_Ehdr *h = e->ehdr;
    const Elf64_Shdr *sh;
    uint64_t n, bytes;
    size_t names;
    char what[96];
    int rc;

    if (h->e_shoff == 0) {
        if (h->e_shnum != 0 || h->e_shstrndx != SHN_UNDEF)
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: e_shoff is 0 (no section header table) but e_shnum is %u and "
                             "e_shstrndx %u",
                             e->name, h->e_shnum, h->e_shstrndx);
        if (h->e_type == ET_REL)
            return hcr__fail(msg, HCR_ECORRUPT, "%s: a relocatable object without sections",
                             e->name);
        return 0;
    }
    if (h->e_shentsize != sizeof(Elf64_Shdr))
        return hcr__fail(msg, HCR_ECORRUPT, "%s: e_shentsize is %u, a section header has %zu bytes",
                         e->name, h->e_shentsize, sizeof(Elf64_Shdr));
    if (h->e_shoff % _Alignof(Elf64_Shdr) != 0)
        return hcr__fail(msg, HCR_ECORRUPT,
                         "%s: the section header table at offset %#llx is not 8-byte aligned",
                         e->name, (unsigned long long)h->e_shoff);
    rc = check_range(e, h->e_shoff, sizeof(Elf64_Shdr), "the section header table", msg);
    if (rc < 0)
        return rc;
    sh = (const Elf64_Shdr *)(e->data + h->e_shoff);
    n = h->e_shnum != 0 ? h->e_shnum : sh[0].sh_size; /* extended numbering */
    if (n == 0)
        return hcr__fail(msg, HCR_ECORRUPT,
                         "%s: the section header table has 0 entries (e_shnum and sh_size of "
                         "section 0 are both 0)",
                         e->name);
    if (__builtin_mul_overflow(n, sizeof(Elf64_Shdr), &bytes))
        return hcr__fail(msg, HCR_ECORRUPT, "%s: a section count of %llu is impossible", e->name,
                         (unsigned long long)n);
    snprintf(what, sizeof what, "the section header table (%llu entries)", (unsigned long long)n);
    rc = check_range(e, h->e_shoff, bytes, what, msg);
    if (rc < 0)
        return rc;
    if (sh[0].sh_type != SHT_NULL)
        return hcr__fail(msg, HCR_ECORRUPT, "%s: section 0 has type %u, it must be SHT_NULL",
                         e->name, sh[0].sh_type);
    e->shdrs = sh;
    e->shnum = n;

    names = h->e_shstrndx;
    if (names == SHN_XINDEX)
        names = sh[0].sh_link;
    else if (names >= SHN_LORESERVE)
        return hcr__fail(msg, HCR_ECORRUPT, "%s: e_shstrndx %#zx is a reserved index", e->name,
                         names);
    if (names == SHN_UNDEF)
        return 0; /* sections without names: every name reads "" */
    if (names >= e->shnum)
        return hcr__fail(
            msg, HCR_ECORRUPT,
            "%s: e_shstrndx %zu (section name table) is not a section, the file has %zu", e->name,
            names, e->shnum);
    if (sh[names].sh_type != SHT_STRTAB)
        return hcr__fail(msg, HCR_ECORRUPT,
                         "%s: e_shstrndx %zu names a section of type %u, not a string table",
                         e->name, names, sh[names].sh_type);
    rc = check_strtab(e, names, msg);
    if (rc < 0)
        return rc;
    e->shstrtab = (const char *)e->data + sh[names].sh_offset;
    e->shstrtab_size = sh[names].sh_size;
    return 0;
}

/* 1 if sh_link of a section of this type is a section index. */
static int type_links_section(uint32_t type)
{
    switch (type) {
    case SHT_SYMTAB:
    case SHT_DYNSYM:
    case SHT_REL:
    case SHT_RELA:
    case SHT_HASH:
    case SHT_GNU_HASH:
    case SHT_DYNAMIC:
    case SHT_GROUP:
    case SHT_SYMTAB_SHNDX:
    case SHT_GNU_versym:
    case SHT_GNU_verdef:
    case SHT_GNU_verneed:
        return 1;
    }
    return 0;
}

/* Checks a section read as an array of `entsize`-byte entries aligned to
   `align`: its entry size, a whole number of entries, its alignment. */
static int check_array(const struct hcr__elf *e, size_t i, size_t entsize, size_t align,
                       struct hcr__message *msg)
{
    const Elf64_Shdr *sh = &e->shdrs[i];
    struct hcr__elf_label l;

    hcr__elf_file_label(e, i, &l);
    if (sh->sh_entsize != entsize)
        return hcr__fail(msg, HCR_ECORRUPT, "%s: %s has entry size %llu, expected %zu", e->name,
                         l.text, (unsigned long long)sh->sh_entsize, entsize);
    if (sh->sh_size % entsize != 0)
        return hcr__fail(msg, HCR_ECORRUPT,
                         "%s: %s has size %llu, not a multiple of its entry size %zu", e->name,
                         l.text, (unsigned long long)sh->sh_size, entsize);
    if (sh->sh_offset % align != 0)
        return hcr__fail(msg, HCR_ECORRUPT, "%s: %s at offset %#llx is not %zu-byte aligned",
                         e->name, l.text, (unsigned long long)sh->sh_offset, align);
    return 0;
}

/* One pass over every section: name, placement in the file, links, entry
   sizes of the tables hcr reads, NUL-terminated string tables. Records
   .symtab, .dynsym and their SHT_SYMTAB_SHNDX sections (in *xindex_of_symtab
   and *xindex_of_dynsym, 0 if none). */
static int check_sections(struct hcr__elf *e, size_t *xindex_of_symtab, size_t *xindex_of_dynsym,
                          struct hcr__message *msg)
{
    struct hcr__elf_label l;
    int rc;

    for (size_t i = 1; i < e->shnum; i++) {
        const Elf64_Shdr *sh = &e->shdrs[i];

        if (e->shstrtab && sh->sh_name >= e->shstrtab_size)
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: section [%zu] has name offset %u, past the end of the section "
                             "name table (%zu bytes)",
                             e->name, i, sh->sh_name, e->shstrtab_size);
        if (sh->sh_type == SHT_NULL)
            continue; /* inactive: its other fields mean nothing */
        hcr__elf_file_label(e, i, &l);
        if (sh->sh_type != SHT_NOBITS) {
            rc = check_range(e, sh->sh_offset, sh->sh_size, l.text, msg);
            if (rc < 0)
                return rc;
        }
        if ((type_links_section(sh->sh_type) || (sh->sh_flags & SHF_LINK_ORDER)) &&
            sh->sh_link >= e->shnum)
            return hcr__fail(msg, HCR_ECORRUPT, "%s: %s has sh_link %u, the file has %zu sections",
                             e->name, l.text, sh->sh_link, e->shnum);
        if ((sh->sh_flags & SHF_INFO_LINK) && sh->sh_info >= e->shnum)
            return hcr__fail(msg, HCR_ECORRUPT, "%s: %s has sh_info %u, the file has %zu sections",
                             e->name, l.text, sh->sh_info, e->shnum);

        switch (sh->sh_type) {
        case SHT_STRTAB:
            rc = check_strtab(e, i, msg);
            break;
        case SHT_SYMTAB:
        case SHT_DYNSYM: {
            size_t *slot = sh->sh_type == SHT_SYMTAB ? &e->symtab_shndx : &e->dynsym_shndx;
            if (*slot != 0)
                return hcr__fail(msg, HCR_ECORRUPT, "%s: a second symbol table of type %u in %s",
                                 e->name, sh->sh_type, l.text);
            *slot = i;
            rc = check_array(e, i, sizeof(Elf64_Sym), _Alignof(Elf64_Sym), msg);
            break;
        }
        case SHT_RELA:
            rc = check_array(e, i, sizeof(Elf64_Rela), _Alignof(Elf64_Rela), msg);
            break;
        case SHT_REL:
            rc = check_array(e, i, sizeof(Elf64_Rel), _Alignof(Elf64_Rel), msg);
            break;
        case SHT_GROUP:
            rc = check_array(e, i, sizeof(Elf32_Word), _Alignof(Elf32_Word), msg);
            break;
        case SHT_SYMTAB_SHNDX: {
            uint32_t t = e->shdrs[sh->sh_link].sh_type;
            size_t *slot = t == SHT_SYMTAB   ? xindex_of_symtab
                           : t == SHT_DYNSYM ? xindex_of_dynsym
                                             : NULL;
            if (!slot)
                return hcr__fail(msg, HCR_ECORRUPT,
                                 "%s: %s (SHT_SYMTAB_SHNDX) links to section [%u], "
                                 "not a symbol table",
                                 e->name, l.text, sh->sh_link);
            if (*slot != 0)
                return hcr__fail(msg, HCR_ECORRUPT,
                                 "%s: a second SHT_SYMTAB_SHNDX section %s for one symbol table",
                                 e->name, l.text);
            *slot = i;
            rc = check_array(e, i, sizeof(Elf32_Word), _Alignof(Elf32_Word), msg);
            break;
        }
        default:
            rc = 0;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Checks the program header table (PN_XNUM included) and that every
   segment's file bytes lie in the file; sets phdrs, phnum. */
static int check_segments(struct hcr__elf *e, struct hcr__message *msg)
{
    const Elf64_Ehdr *h = e->ehdr;
    size_t n = h->e_phnum;
    char what[96];
    int rc;

    if (n == PN_XNUM) {
        if (!e->shdrs)
            return hcr__fail(msg, HCR_ECORRUPT,
                             "%s: e_phnum is PN_XNUM but there is no section 0 to hold the count",
                             e->name);
        n = e->shdrs[0].sh_info;
    }
    if (n == 0)
        return 0;
    if (h->e_phoff == 0)
        return hcr__fail(msg, HCR_ECORRUPT, "%s: %zu program headers at offset 0", e->name, n);
    if (h->e_phentsize != sizeof(Elf64_Phdr))
        return hcr__fail(msg, HCR_ECORRUPT, "%s: e_phentsize is %u, a program header has %zu bytes",
                         e->name, h->e_phentsize, sizeof(Elf64_Phdr));
    if (h->e_phoff % _Alignof(Elf64_Phdr) != 0)
        return hcr__fail(msg, HCR_ECORRUPT,
                         "%s: the program header table at offset %#llx is not 8-byte aligned",
                         e->name, (unsigned long long)h->e_phoff);
    /* n < 2^32 and the entry is 56 bytes: the product cannot overflow. */
    snprintf(what, sizeof what, "the program header table (%zu entries)", n);
    rc = check_range(e, h->e_phoff, (uint64_t)n * sizeof(Elf64_Phdr), what, msg);
    if (rc < 0)
        return rc;
    e->phdrs = (const Elf64_Phdr *)(e->data + h->e_phoff);
    e->phnum = n;

    for (size_t i = 0; i < n; i++) {
        const Elf64_Phdr *p = &e->phdrs[i];
        if (p->p_type == PT_NULL)
            continue;
        snprintf(what, sizeof what, "segment %zu (type %#x)", i, p->p_type);
        if (p->p_filesz > p->p_memsz)
            return hcr__fail(msg, HCR_ECORRUPT, "%s: %s has p_filesz %llu > p_memsz %llu", e->name,
                             what, (unsigned long long)p->p_filesz, (unsigned long long)p->p_memsz);
        rc = check_range(e, p->p_offset, p->p_filesz, what, msg);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* hcr__elf_open on a zeroed *e with name, data and size set. */
static int validate(struct hcr__elf *e, unsigned machine, unsigned type, struct hcr__message *msg)
{
    size_t xsym = 0, xdyn = 0;
    int rc;

    rc = hcr__elf_header_check(e, machine, type, msg);
    if (rc == 0)
        rc = check_section_table(e, msg);
    if (rc == 0)
        rc = check_sections(e, &xsym, &xdyn, msg);
    if (rc == 0)
        rc = hcr__elf_symbols_check(e, xsym, xdyn, msg);
    if (rc < 0)
        return rc;
    return check_segments(e, msg);
}

int hcr__elf_open(struct hcr__elf *elf, const char *name, const void *data, size_t size,
                  unsigned machine, unsigned type, struct hcr__message *msg)
{
    struct hcr__elf e = {0};
    int rc;

    e.name = name ? name : "(unnamed ELF file)";
    e.data = data;
    e.size = size;
    rc = validate(&e, machine, type, msg);
    if (rc < 0) {
        memset(elf, 0, sizeof *elf);
        elf->name = e.name;
        return rc;
    }
    *elf = e;
    return 0;
}

const char *hcr__elf_section_name(const struct hcr__elf *elf, size_t i)
{
    /* Section 0 has no name: only its extended-numbering fields mean
       anything, so its sh_name was never validated. */
    if (i == 0 || i >= elf->shnum || !elf->shstrtab)
        return "";
    return elf->shstrtab + elf->shdrs[i].sh_name;
}

/* Linear in the number of sections. */
size_t hcr__elf_find_section(const struct hcr__elf *elf, const char *name)
{
    for (size_t i = 1; i < elf->shnum; i++)
        if (strcmp(hcr__elf_section_name(elf, i), name) == 0)
            return i;
    return 0;
}

const void *hcr__elf_section_data(const struct hcr__elf *elf, size_t i, size_t *size)
{
    const Elf64_Shdr *sh;

    if (i == 0 || i >= elf->shnum || elf->shdrs[i].sh_type == SHT_NULL) {
        if (size)
            *size = 0;
        return NULL;
    }
    sh = &elf->shdrs[i];
    if (size)
        *size = sh->sh_size;
    if (sh->sh_type == SHT_NOBITS)
        return NULL;
    return elf->data + sh->sh_offset;
}
