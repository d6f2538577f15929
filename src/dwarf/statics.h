/*
 * statics.h: variables with a fixed address, by their source names, from
 * debug information. Plugin mode and object mode both match statics by the
 * function that declares them and the compilation unit they belong to,
 * since the symbol table numbers function-local statics per file
 * (`count.1`) and keeps only the base name of each file.
 */
#ifndef HCR_DWARF_STATICS_H
#define HCR_DWARF_STATICS_H

#include <elfutils/libdw.h>
#include <stdint.h>

/* Called for each variable with a fixed address (one DW_OP_addr) in a
   compilation unit. `function` is the declaring function, NULL at file
   scope. A non-zero return stops the walk and is returned. */
typedef int (*hcr__dwarf_static_fn)(void *user, const char *function, const char *variable,
                                    uint64_t address);

/* Walks compilation unit `cu`: file scope, functions and their blocks. Not
   inlined copies: a static belongs to the function that declares it,
   whose own entry names it. 0, or found's first non-zero return. */
int hcr__dwarf_each_static(Dwarf_Die *cu, hcr__dwarf_static_fn found, void *user);

/* The same walk, handing each variable's DIE too (for its type). */
typedef int (*hcr__dwarf_static_die_fn)(void *user, const char *function, const char *variable,
                                        uint64_t address, Dwarf_Die *die);
int hcr__dwarf_each_static_die(Dwarf_Die *cu, hcr__dwarf_static_die_fn found, void *user);

/* The same walk over every variable with a DW_AT_location of any form
   (pieces, a flag: see pieces.h), `address` 0 unless the location is one
   address. */
int hcr__dwarf_each_located_die(Dwarf_Die *cu, hcr__dwarf_static_die_fn found, void *user);

/* The key both modes match a function-local static by, within its
   compilation unit: "function/variable" ('/' is in no C name), so that
   the symbol table's file-wide numbering (`count.3`) never matters.
   malloc'ed (its length in *len if len is not NULL), or NULL. */
char *hcr__dwarf_static_key(const char *function, const char *variable, size_t *len);

/* Whether `cu` declares a variable stored at `address`: its one address,
   or one its location names otherwise (a piece, a flag: pieces.h). */
int hcr__dwarf_declares_static_at(Dwarf_Die *cu, uint64_t address);

#endif
