/*
 * elf_file.h: validating and indexing an ELF file held in memory.
 *
 * hcr__elf_open checks the whole file before anyone uses it: header,
 * section and program header tables, every section's offset and size,
 * string tables (NUL-terminated), symbol tables (names, section indexes),
 * relocation sections (entry size, symbol indexes, target section), group
 * sections (member indexes). After it succeeds, every accessor below is safe
 * to call with any index the accessors themselves produced, and every
 * pointer it returns lies inside the buffer. Nothing is trusted before that.
 *
 * The reader never copies or owns the bytes: the caller keeps `data` alive
 * as long as the struct is used. Its stages are three files
 * (elf_internal.h says which holds what); this header is all the rest of
 * hcr sees.
 */
#ifndef HCR_ELF_FILE_H
#define HCR_ELF_FILE_H

#include "internal.h"

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

struct hcr__elf {
    const char *name;              /* for messages: the file's path */
    const unsigned char *data;
    size_t size;
    const Elf64_Ehdr *ehdr;
    const Elf64_Shdr *shdrs;       /* NULL when the file has no section table */
    size_t shnum;                  /* real count, also when e_shnum is 0 (extended) */
    const char *shstrtab;          /* section names */
    size_t shstrtab_size;
    const Elf64_Phdr *phdrs;       /* NULL when none */
    size_t phnum;
    /* The static symbol table (.symtab), if any: */
    const Elf64_Sym *syms;
    size_t nsyms;
    const char *strtab;
    size_t strtab_size;
    size_t symtab_shndx;           /* index of .symtab, 0 if none */
    const Elf32_Word *symtab_xindex; /* SHT_SYMTAB_SHNDX contents, or NULL */
    /* The dynamic symbol table (.dynsym), if any: */
    const Elf64_Sym *dynsyms;
    size_t ndynsyms;
    const char *dynstr;
    size_t dynstr_size;
    size_t dynsym_shndx;           /* index of .dynsym, 0 if none */
    const Elf32_Word *dynsym_xindex; /* its SHT_SYMTAB_SHNDX contents, or NULL */
};

/* Validates `data` as a 64-bit little-endian ELF file for `machine` (an
   EM_* value, hcr__arch_machine() for this process's; 0 accepts any) of
   type `type` (ET_REL, ET_DYN; 0 accepts any). Returns 0, or a negative
   code with msg naming the file and the problem:
     HCR_ENOEXEC  not ELF, wrong class/endianness/type, empty file;
     HCR_EARCH    another machine ("built for AArch64 (e_machine 183),
                  this process is x86-64");
     HCR_ETRUNC   a header, table or section reaches past the end of data;
     HCR_ECORRUPT anything else inconsistent (bad index, unterminated string
                  table, bad entry size, misaligned table, an offset plus
                  size that overflows...);
     HCR_EINVAL   `data` not 8-byte aligned (malloc and mmap always are).
   On failure *elf is zeroed but for `name`. Cost: O(size of the tables). */
int hcr__elf_open(struct hcr__elf *elf, const char *name, const void *data, size_t size,
                  unsigned machine, unsigned type, struct hcr__message *msg);

/* Section i's name: "" for a bad index, for section 0, and in a file
   without a section name table. */
const char *hcr__elf_section_name(const struct hcr__elf *elf, size_t i);

/* First section called `name`, or 0 (the null section) if none. Linear in
   the number of sections: look up once, keep the index. */
size_t hcr__elf_find_section(const struct hcr__elf *elf, const char *name);

/* Contents of section i (NULL for SHT_NOBITS, SHT_NULL or a bad index);
   *size (if size is not NULL) gets sh_size, 0 for SHT_NULL or a bad index. */
const void *hcr__elf_section_data(const struct hcr__elf *elf, size_t i, size_t *size);

/* Name of a symbol of .symtab / .dynsym ("" if it has none). */
const char *hcr__elf_sym_name(const struct hcr__elf *elf, const Elf64_Sym *sym);
const char *hcr__elf_dynsym_name(const struct hcr__elf *elf, const Elf64_Sym *sym);

/* The real section index of a .symtab symbol, resolving SHN_XINDEX. Returns
   the special value (SHN_UNDEF, SHN_ABS, SHN_COMMON, and in a file of
   this process's machine its own common index, see
   hcr__arch_is_large_common) unchanged. In ET_REL, a symbol defined in a
   section has st_value <= that section's sh_size (validated). */
size_t hcr__elf_sym_shndx(const struct hcr__elf *elf, size_t sym_index);

/* For a SHT_RELA section i: its entries and count (validated: symbol index
   < nsyms of its linked table, target section sh_info valid; in ET_REL,
   r_offset < the target's sh_size, but the bytes a relocation writes past
   r_offset are the caller's to check). NULL if i is not SHT_RELA. */
const Elf64_Rela *hcr__elf_rela(const struct hcr__elf *elf, size_t i, size_t *count);

/* For symbol `sym_index` of .symtab: the name of the STT_FILE symbol that
   precedes it, if the symbol is a local (STB_LOCAL) other than an STT_FILE;
   NULL otherwise, also when that STT_FILE has an empty name (linkers emit
   one before their own locals). Cost: a backwards scan from sym_index to
   that STT_FILE, O(n) in the worst case: fine for one symbol (an error
   message), too slow to call per symbol. To visit every symbol use
   hcr__elf_sym_next; for random access to many use hcr__elf_sym_files. */
const char *hcr__elf_sym_file(const struct hcr__elf *elf, size_t sym_index);

/* Fills files[0 .. elf->nsyms) (caller-owned) with hcr__elf_sym_file of
   every .symtab symbol, in one O(n) pass. */
void hcr__elf_sym_files(const struct hcr__elf *elf, const char **files);

/* A walk over .symtab in index order that carries the current STT_FILE, so
   each step is O(1). Zero it to start. */
struct hcr__elf_sym_walk {
    size_t index;     /* index of the symbol the last step returned */
    const char *file; /* hcr__elf_sym_file of that symbol */
    const char *current_file; /* private: the latest STT_FILE seen */
    size_t next;              /* private: the index of the next step */
};

/* Steps `walk` to the next .symtab symbol, index 0 included. Returns it,
   with walk->index and walk->file set, or NULL after the last one. */
const Elf64_Sym *hcr__elf_sym_next(const struct hcr__elf *elf, struct hcr__elf_sym_walk *walk);

/* hcr__elf_sym_shndx for .dynsym. */
size_t hcr__elf_dynsym_shndx(const struct hcr__elf *elf, size_t sym_index);

/* For a SHT_GROUP section i: its member section indexes (validated: each
   is a section of this file) and their count; *flags gets the group's flag
   word (GRP_COMDAT). NULL if i is not SHT_GROUP. */
const Elf32_Word *hcr__elf_group(const struct hcr__elf *elf, size_t i, size_t *count,
                                 Elf32_Word *flags);

/* A readable name for an e_machine value ("x86-64", "AArch64"), or NULL
   for one hcr has no name for. */
const char *hcr__elf_machine_name(unsigned machine);

#endif
