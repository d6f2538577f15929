/*
 * pieces.c: a variable's stored parts from its location expression (see
 * pieces.h). The grammar read, one part after another:
 *
 *     part   := [storage] DW_OP_piece n          (n > 0 bytes of the variable)
 *     storage := address | address flag
 *     address := DW_OP_addr a | DW_OP_addrx i | DW_OP_GNU_addr_index i
 *     flag   := DW_OP_deref_size s, number, DW_OP_mul,
 *               [number, DW_OP_plus | DW_OP_plus_uconst k], DW_OP_stack_value
 *     number := DW_OP_lit0..31 | DW_OP_constu k
 *
 * or one storage with no DW_OP_piece (the whole variable). An expression
 * outside this grammar is INVALID when some address in it is followed by
 * a piece or a dereference (a static's storage, described in a way hcr
 * does not read), else OTHER (a TLS address, an automatic variable's
 * registers or implicit value: nothing this reader is about).
 */
#include "dwarf/pieces.h"

#include <dwarf.h>

static int is_address(unsigned atom)
{
    return atom == DW_OP_addr || atom == DW_OP_addrx || atom == DW_OP_GNU_addr_index;
}

/* A number operand at ops[*i]: 1 and *value, advancing *i. */
static int number(const Dwarf_Op *ops, size_t count, size_t *i, uint64_t *value)
{
    if (*i >= count)
        return 0;
    unsigned atom = ops[*i].atom;
    if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31)
        *value = atom - DW_OP_lit0;
    else if (atom == DW_OP_constu)
        *value = ops[*i].number;
    else
        return 0;
    ++*i;
    return 1;
}

/* The flag after an address, from ops[*i] (a DW_OP_deref_size): 1 and p's
   flag fields, advancing *i past DW_OP_stack_value. */
static int flag(const Dwarf_Op *ops, size_t count, size_t *i, struct hcr__dwarf_piece *p)
{
    uint64_t mul, add = 0;
    if (ops[*i].atom != DW_OP_deref_size || ops[*i].number < 1 || ops[*i].number > 8)
        return 0;
    p->flag_size = (unsigned)ops[*i].number;
    ++*i;
    if (!number(ops, count, i, &mul) || mul == 0 || *i >= count || ops[*i].atom != DW_OP_mul)
        return 0;
    ++*i;
    if (*i < count && ops[*i].atom == DW_OP_plus_uconst) {
        add = ops[*i].number;
        ++*i;
    } else if (*i < count && ops[*i].atom != DW_OP_stack_value) {
        if (!number(ops, count, i, &add) || *i >= count || ops[*i].atom != DW_OP_plus)
            return 0;
        ++*i;
    }
    if (*i >= count || ops[*i].atom != DW_OP_stack_value)
        return 0;
    ++*i;
    p->flag_mul = mul;
    p->flag_add = add;
    return 1;
}

/* Whether the expression stores some of the variable in memory the way
   this reader knows: an address followed by nothing, a DW_OP_piece or a
   DW_OP_deref_size. An automatic variable's pieces (registers, implicit
   values such as `DW_OP_addr s, DW_OP_stack_value` for a pointer to s)
   never are. */
static int stores_at_address(const Dwarf_Op *ops, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (is_address(ops[i].atom) &&
            (i + 1 == count || ops[i + 1].atom == DW_OP_piece ||
             ops[i + 1].atom == DW_OP_bit_piece || ops[i + 1].atom == DW_OP_deref_size))
            return 1;
    return 0;
}

enum hcr__location hcr__dwarf_parse_pieces(const Dwarf_Op *ops, size_t count, uint64_t size,
                                           hcr__dwarf_addrx_fn addrx, void *user,
                                           struct hcr__dwarf_piece *out, size_t max, size_t *n)
{
    *n = 0;
    if (count == 0)
        return HCR__LOC_NONE;
    enum hcr__location bad = stores_at_address(ops, count) ? HCR__LOC_INVALID : HCR__LOC_OTHER;
    if (count == 1 && is_address(ops[0].atom)) {
        uint64_t a = ops[0].number;
        if (ops[0].atom != DW_OP_addr && !(addrx && addrx(user, 0, &a)))
            return HCR__LOC_OTHER;
        if (max < 1)
            return HCR__LOC_INVALID;
        out[0] = (struct hcr__dwarf_piece){.offset = 0, .size = size, .address = a};
        *n = 1;
        return HCR__LOC_ADDRESS;
    }
    uint64_t offset = 0;
    int pieces = 0;
    for (size_t i = 0; i < count;) {
        struct hcr__dwarf_piece p = {0};
        int stored = 0;
        if (is_address(ops[i].atom)) {
            p.address = ops[i].number;
            if (ops[i].atom != DW_OP_addr && !(addrx && addrx(user, i, &p.address)))
                return bad;
            stored = 1;
            i++;
            if (i < count && ops[i].atom == DW_OP_deref_size && !flag(ops, count, &i, &p))
                return bad;
        }
        if (i < count) {
            if (ops[i].atom != DW_OP_piece || ops[i].number == 0)
                return bad;
            p.size = ops[i].number;
            pieces = 1;
            i++;
        } else if (!pieces && stored && p.flag_size) {
            p.size = size; /* a whole variable kept as a flag */
        } else {
            return bad; /* a storage with no size after pieces */
        }
        if (p.size > size || offset > size - p.size)
            return HCR__LOC_INVALID; /* more than the variable holds */
        p.offset = offset;
        offset += p.size;
        if (p.flag_size && (p.size > 8 || p.flag_size > p.size))
            return HCR__LOC_INVALID; /* a flag stands for one integer */
        if (!stored)
            continue;
        if (*n >= max)
            return HCR__LOC_INVALID;
        out[(*n)++] = p;
    }
    return HCR__LOC_PIECES;
}

struct from_attr {
    Dwarf_Attribute *attr;
    Dwarf_Op *ops;
};

static int attr_addrx(void *user, size_t i, uint64_t *address)
{
    struct from_attr *f = user;
    Dwarf_Attribute entry;
    Dwarf_Addr a;
    if (dwarf_getlocation_attr(f->attr, &f->ops[i], &entry) != 0 || dwarf_formaddr(&entry, &a) != 0)
        return 0;
    *address = a;
    return 1;
}

enum hcr__location hcr__dwarf_location_pieces(Dwarf_Die *variable, uint64_t size,
                                              struct hcr__dwarf_piece *out, size_t max,
                                              size_t *n)
{
    Dwarf_Attribute attr;
    Dwarf_Op *ops;
    size_t count;
    *n = 0;
    if (!dwarf_attr(variable, DW_AT_location, &attr))
        return HCR__LOC_NONE;
    if (dwarf_getlocation(&attr, &ops, &count) != 0)
        return HCR__LOC_OTHER; /* a location list: not a static's */
    struct from_attr f = {&attr, ops};
    return hcr__dwarf_parse_pieces(ops, count, size, attr_addrx, &f, out, max, n);
}
