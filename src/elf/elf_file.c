/*
 * elf_file.c: the ELF reader. hcr__elf_open validates a 64-bit
 * little-endian ELF file held in memory from its first byte to its last
 * table entry, in an order that lets each step rely on the ones before it:
 * identification and header, section header table, section name table,
 * every section's placement and links, symbol tables, relocation and group
 * sections, program headers. Only then does it publish the index, so the
 * accessors below can use offsets and indexes without checking them again.
 * Truncation (something ends past the end of the file, as in a file a
 * linker or a copy is still writing) is reported apart from corruption
 * (anything else that does not add up), because the callers retry the
 * first and give up on the second.
 */
#include "elf/elf_file.h"

#include "arch/reloc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A section or table described for a message: "section .text". */
struct label {
    char text[96];
};

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

/* "section .text" when section i has a readable name, else "section [i]".
   Safe on any index and before the names are validated. */
static const char *section_label(const struct hcr__elf *e, size_t i, struct label *l)
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

static const struct {
    unsigned machine;
    const char *name;
} machine_names[] = {
    {EM_X86_64, "x86-64"},   {EM_386, "i386"},     {EM_AARCH64, "AArch64"},
    {EM_ARM, "ARM"},         {EM_RISCV, "RISC-V"}, {EM_PPC64, "PowerPC64"},
    {EM_PPC, "PowerPC"},     {EM_S390, "s390"},    {EM_MIPS, "MIPS"},
    {EM_SPARCV9, "SPARC64"}, {EM_IA_64, "IA-64"},  {258 /* EM_LOONGARCH */, "LoongArch"},
};

const char *hcr__elf_machine_name(unsigned machine)
{
    for (size_t i = 0; i < HCR__ARRAY_SIZE(machine_names); i++)
        if (machine_names[i].machine == machine)
            return machine_names[i].name;
    return NULL;
}

/* What an e_type value means, for messages. */
static const char *type_description(unsigned type)
{
    switch (type) {
    case ET_REL:
        return "a relocatable object (ET_REL)";
    case ET_DYN:
        return "a shared object (ET_DYN)";
    case ET_EXEC:
        return "an executable (ET_EXEC)";
    case ET_CORE:
        return "a core dump (ET_CORE)";
    }
    return "of an unknown ELF type";
}

/* Checks e_ident and the fixed fields of the ELF header against what the
   caller asked for, and sets e->ehdr. */
static int check_header(struct hcr__elf *e, unsigned machine, unsigned type,
                        struct hcr__message *msg)
{
    const unsigned char *d = e->data;
    const Elf64_Ehdr *h;

    if (e->size == 0)
        return hcr__fail(msg, HCR_ENOEXEC, "%s: file is empty", e->name);
    if (!d)
        return hcr__fail(msg, HCR_EINVAL, "%s: no data for %zu bytes", e->name, e->size);
    if ((uintptr_t)d % _Alignof(Elf64_Ehdr) != 0)
        return hcr__fail(msg, HCR_EINVAL, "%s: the file's bytes are not 8-byte aligned in memory",
                         e->name);
    if (memcmp(d, ELFMAG, e->size < SELFMAG ? e->size : SELFMAG) != 0)
        return hcr__fail(msg, HCR_ENOEXEC, "%s: not an ELF file (it does not start with \\177ELF)",
                         e->name);
    if (e->size >= EI_NIDENT) {
        if (d[EI_CLASS] == ELFCLASS32)
            return hcr__fail(msg, HCR_ENOEXEC,
                             "%s: a 32-bit ELF file (ELFCLASS32); hcr needs 64-bit code", e->name);
        if (d[EI_CLASS] != ELFCLASS64)
            return hcr__fail(msg, HCR_ENOEXEC, "%s: unknown ELF class %u", e->name, d[EI_CLASS]);
        if (d[EI_DATA] == ELFDATA2MSB)
            return hcr__fail(
                msg, HCR_ENOEXEC,
                "%s: a big-endian ELF file (ELFDATA2MSB); this process is little-endian", e->name);
        if (d[EI_DATA] != ELFDATA2LSB)
            return hcr__fail(msg, HCR_ENOEXEC, "%s: unknown ELF data encoding %u", e->name,
                             d[EI_DATA]);
        if (d[EI_VERSION] != EV_CURRENT)
            return hcr__fail(msg, HCR_ENOEXEC, "%s: unknown ELF version %u", e->name,
                             d[EI_VERSION]);
    }
    if (e->size < sizeof(Elf64_Ehdr))
        return hcr__fail(msg, HCR_ETRUNC,
                         "%s: file is truncated: it has %zu bytes, an ELF header needs %zu",
                         e->name, e->size, sizeof(Elf64_Ehdr));

    h = (const Elf64_Ehdr *)d;
    if (h->e_version != EV_CURRENT)
        return hcr__fail(msg, HCR_ENOEXEC, "%s: unknown ELF version %u in e_version", e->name,
                         h->e_version);
    if (machine && h->e_machine != machine) {
        const char *have = hcr__elf_machine_name(h->e_machine);
        const char *want = hcr__elf_machine_name(machine);
        return hcr__fail(msg, HCR_EARCH, "%s: built for %s (e_machine %u), this process is %s",
                         e->name, have ? have : "another machine", h->e_machine,
                         want ? want : "another machine");
    }
    if (type && h->e_type != type)
        return hcr__fail(msg, HCR_ENOEXEC, "%s: is %s, expected %s", e->name,
                         type_description(h->e_type), type_description(type));
    if (h->e_ehsize != sizeof(Elf64_Ehdr))
        return hcr__fail(msg, HCR_ECORRUPT, "%s: e_ehsize is %u, a 64-bit ELF header has %zu bytes",
                         e->name, h->e_ehsize, sizeof(Elf64_Ehdr));
    e->ehdr = h;
    return 0;
}

/* Checks that string table i lies in the file and ends with a NUL, so that
   any offset below its size starts a terminated string. */
static int check_strtab(const struct hcr__elf *e, size_t i, struct hcr__message *msg)
{
    const Elf64_Shdr *sh = &e->shdrs[i];
    struct label l;
    int rc;

    rc = check_range(e, sh->sh_offset, sh->sh_size, section_label(e, i, &l), msg);
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
    struct label l;

    section_label(e, i, &l);
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
    struct label l;
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
        section_label(e, i, &l);
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
static int check_symbols(const struct hcr__elf *e, size_t s, size_t x, struct symtab_view *v,
                         struct hcr__message *msg)
{
    const Elf64_Shdr *sh = &e->shdrs[s];
    const Elf64_Shdr *str = &e->shdrs[sh->sh_link];
    struct label l, lx;

    section_label(e, s, &l);
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
                e->name, section_label(e, x, &lx),
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
                             section_label(e, shndx, &lx),
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
    struct label l, lt;

    section_label(e, i, &l);
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
                             section_label(e, sh->sh_info, &lt),
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
    struct label l;

    section_label(e, i, &l);
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
    struct symtab_view v;
    int rc;

    rc = check_header(e, machine, type, msg);
    if (rc == 0)
        rc = check_section_table(e, msg);
    if (rc == 0)
        rc = check_sections(e, &xsym, &xdyn, msg);
    if (rc < 0)
        return rc;

    if (e->symtab_shndx) {
        rc = check_symbols(e, e->symtab_shndx, xsym, &v, msg);
        if (rc < 0)
            return rc;
        e->syms = v.syms;
        e->nsyms = v.nsyms;
        e->strtab = v.str;
        e->strtab_size = v.str_size;
        e->symtab_xindex = v.xindex;
    }
    if (e->dynsym_shndx) {
        rc = check_symbols(e, e->dynsym_shndx, xdyn, &v, msg);
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
