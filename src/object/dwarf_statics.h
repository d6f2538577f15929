/*
 * dwarf_statics.h: debug information object mode matches by: compilation
 * unit paths, and function-local statics by their source names. gcc names
 * a function-local static `name.N` in the symbol table, with N counted over
 * the whole file, so adding a static in one function renumbers those of
 * others. The debug information says which function declares which
 * variable at which address: hcr matches such statics by (function,
 * variable) from it, on the program's side and on the object's.
 */
#ifndef HCR_OBJECT_DWARF_STATICS_H
#define HCR_OBJECT_DWARF_STATICS_H

#include "elf/elf_file.h"

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

/* One static declared inside a function. */
struct hcr__local_static {
    char *key;          /* "function/variable" ('/' is in no C name) */
    uintptr_t address;  /* DW_OP_addr as found (plus the caller's bias) */
    size_t symbol;      /* object side: symbol index; 0 if unknown */
};

/* Appends every variable with a fixed address declared in a named function
   of compilation unit `cu` (blocks and inlined functions included) to
   the array (*v, *n, *cap), realloc'ed, adding `bias` to each address. 0 or HCR_ENOMEM. */
int hcr__dwarf_collect_statics(Dwarf_Die *cu, uintptr_t bias, struct hcr__local_static **v,
                               size_t *n, size_t *cap);


/* The path of compilation unit `cu`: DW_AT_comp_dir joined with
   DW_AT_name, resolved with realpath when the file exists. malloc'ed, or
   NULL. */
char *hcr__dwarf_cu_path(Dwarf_Die *cu);

/* The path of the first compilation unit of the object `elf` (read from
   `path`), or NULL when it has no readable debug information. */
char *hcr__object_cu_path(const char *path, const struct hcr__elf *elf);

void hcr__local_statics_free(struct hcr__local_static *v, size_t n);

/* The debug information of the object `elf` (read from `path`), relocated
   by libdwfl: opened once per reload, for its statics and types
   (src/dwarf/types.h). `elf` must outlive it. 0 and *out (NULL when the
   object has none), or HCR_ENOMEM. */
struct hcr__object_dwarf;
int hcr__object_dwarf_open(const char *path, const struct hcr__elf *elf,
                           struct hcr__object_dwarf **out);
Dwarf *hcr__object_dwarf_handle(struct hcr__object_dwarf *d);
/* Its first compilation unit's DIE. 1 if found. */
int hcr__object_dwarf_cu(struct hcr__object_dwarf *d, Dwarf_Die *cu);
/* The data symbol (any binding) of the object at the address `address`
   read from this debug information (a DW_OP_addr), or 0. */
size_t hcr__object_dwarf_symbol_at(struct hcr__object_dwarf *d, uint64_t address);
/* The function-local statics of the object's first compilation unit, each
   with the index of the symbol at its place. *n = 0 when d is NULL (the
   object has no readable debug information). 0 or HCR_ENOMEM. */
int hcr__object_statics(struct hcr__object_dwarf *d, struct hcr__local_static **out, size_t *n);
void hcr__object_dwarf_close(struct hcr__object_dwarf *d);

#endif
