/*
 * elf_internal.h: what the files of the ELF reader share while they
 * validate (elf_file.h is the reader's interface). hcr__elf_open
 * (elf_file.c) runs the stages in order, each relying on the ones before:
 *   elf_header.c   identification and the ELF header;
 *   elf_file.c     the section header table, every section's placement
 *                  and links, the program headers;
 *   elf_symbols.c  the symbol tables, then the relocation and group
 *                  sections that index into them.
 */
#ifndef HCR_ELF_INTERNAL_H
#define HCR_ELF_INTERNAL_H

#include "elf/elf_file.h"

/* A section or table described for a message: "section .text". */
struct hcr__elf_label {
    char text[96];
};

/* elf_file.c: "section .text" when section i has a readable name, else
   "section [i]", in *l, which it returns. Safe on any index and before
   the names are validated. */
const char *hcr__elf_file_label(const struct hcr__elf *e, size_t i, struct hcr__elf_label *l);

/* elf_header.c: checks e_ident and the fixed fields of the ELF header
   against what the caller asked for (machine, type: 0 for any), and sets
   e->ehdr. 0 or a negative code with msg set (elf_file.h lists them). */
int hcr__elf_header_check(struct hcr__elf *e, unsigned machine, unsigned type,
                          struct hcr__message *msg);

/* elf_symbols.c: once every section is known to lie in the file with
   valid links (and tables with valid entry sizes), validates the symbol
   tables, .symtab with its SHT_SYMTAB_SHNDX section xsym and .dynsym with
   xdyn (0: none), publishing them in *e, then every relocation and group
   section. 0 or HCR_ECORRUPT with msg set. */
int hcr__elf_symbols_check(struct hcr__elf *e, size_t xsym, size_t xdyn,
                           struct hcr__message *msg);

#endif
