/*
 * pieces.h: where a variable with a fixed address is stored, read from its
 * DW_AT_location. Most variables are one address. clang -O2 (global SRA)
 * splits a static struct or array whose address is never taken into one
 * variable per field it keeps, each a local symbol named by position
 * (`s.0`, `s.2`), and the debug information keeps the variable whole with
 * a composite location:
 *
 *     DW_OP_addrx 0, DW_OP_piece 4, DW_OP_piece 12, DW_OP_addrx 1, DW_OP_piece 4
 *
 * says bytes 0..3 of `s` live at address 0, bytes 4..15 nowhere (a field
 * the code never writes, folded into it as a constant) and bytes 16..19 at
 * address 1. clang also shrinks a variable (or a piece) that only ever
 * holds its initialiser or one other value to a byte, described as
 * `addr, DW_OP_deref_size 1, <mul>, DW_OP_mul, <add>, DW_OP_plus,
 * DW_OP_stack_value`: the value is add + byte * mul; a "flag" here.
 *
 * The expression is input: only these shapes are read, every size is
 * checked against the variable's, and anything else is told apart from
 * "no location" so that callers refuse rather than guess.
 */
#ifndef HCR_DWARF_PIECES_H
#define HCR_DWARF_PIECES_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

#define HCR__PIECES_MAX 4096 /* no compiler splits a variable further */

/* One stored part of a variable: bytes [offset, offset + size) of its
   value live at `address`. A flag (flag_size != 0) stores them as one
   unsigned number of flag_size bytes b there, the value being
   flag_add + b * flag_mul, `size` bytes wide. */
struct hcr__dwarf_piece {
    uint64_t offset, size;
    uint64_t address;
    unsigned flag_size;
    uint64_t flag_mul, flag_add;
};

enum hcr__location {
    HCR__LOC_NONE,      /* no DW_AT_location: the variable has no storage */
    HCR__LOC_ADDRESS,   /* one plain address: the whole variable there */
    HCR__LOC_PIECES,    /* pieces (or a flag), each stored part listed */
    HCR__LOC_OTHER,     /* some other expression (a TLS address, a
                           computed value): not about stored parts */
    HCR__LOC_INVALID,   /* pieces or a flag that do not add up: refuse */
};

/* Resolves operand i of the expression (a DW_OP_addrx) to an address:
   1 and *address, or 0. */
typedef int (*hcr__dwarf_addrx_fn)(void *user, size_t i, uint64_t *address);

/* Reads the expression ops[0..count) of a variable of `size` bytes into
   its stored parts, out[0..*n) (at most max), in order of offset. For
   HCR__LOC_ADDRESS, out[0] covers the whole variable. Pure: addrx
   operands go through `addrx`. */
enum hcr__location hcr__dwarf_parse_pieces(const Dwarf_Op *ops, size_t count, uint64_t size,
                                           hcr__dwarf_addrx_fn addrx, void *user,
                                           struct hcr__dwarf_piece *out, size_t max, size_t *n);

/* The same for a variable's DIE and its DW_AT_location, the variable
   being `size` bytes (its type's). */
enum hcr__location hcr__dwarf_location_pieces(Dwarf_Die *variable, uint64_t size,
                                              struct hcr__dwarf_piece *out, size_t max,
                                              size_t *n);

#endif
