/*
 * statics.c: the walk over a compilation unit's variables with a fixed
 * address (see statics.h). Depth is bounded: the information comes from the
 * file being loaded, and a crafted one must not exhaust the stack.
 */
#include "dwarf/statics.h"

#include <dwarf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define STATICS_MAX_DEPTH 64

/* The address of a variable whose location is one DW_OP_addr, or one
   DW_OP_addrx (DWARF 5 as clang writes it: an index into .debug_addr). */
static int fixed_address(Dwarf_Die *die, uint64_t *address)
{
    Dwarf_Attribute attr, entry;
    Dwarf_Op *ops;
    size_t count;
    if (!dwarf_attr(die, DW_AT_location, &attr) || dwarf_getlocation(&attr, &ops, &count) != 0 ||
        count != 1)
        return 0;
    if (ops[0].atom == DW_OP_addr) {
        *address = ops[0].number;
        return 1;
    }
    Dwarf_Addr a;
    if ((ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index) &&
        dwarf_getlocation_attr(&attr, &ops[0], &entry) == 0 && dwarf_formaddr(&entry, &a) == 0) {
        *address = a;
        return 1;
    }
    return 0;
}

/* A DIE's name, also when it lives on its abstract origin (an out-of-line
   copy of an inline function). */
static const char *name_of(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

/* Walks the variables under `parent`: those with a fixed address, or with
   `located`, every one with a DW_AT_location (address 0 unless fixed). */
static int walk(Dwarf_Die *parent, const char *function, hcr__dwarf_static_die_fn found,
                void *user, int located, int depth)
{
    Dwarf_Die child;
    if (depth > STATICS_MAX_DEPTH || dwarf_child(parent, &child) != 0)
        return 0;
    do {
        int rc = 0;
        switch (dwarf_tag(&child)) {
        case DW_TAG_subprogram: {
            const char *name = name_of(&child);
            if (name)
                rc = walk(&child, name, found, user, located, depth + 1);
            break;
        }
        case DW_TAG_lexical_block:
            if (function)
                rc = walk(&child, function, found, user, located, depth + 1);
            break;
        case DW_TAG_variable: {
            const char *name = name_of(&child);
            uint64_t address = 0;
            if (name && (fixed_address(&child, &address) ||
                         (located && dwarf_hasattr(&child, DW_AT_location))))
                rc = found(user, function, name, address, &child);
            break;
        }
        }
        if (rc)
            return rc;
    } while (dwarf_siblingof(&child, &child) == 0);
    return 0;
}

int hcr__dwarf_each_static_die(Dwarf_Die *cu, hcr__dwarf_static_die_fn found, void *user)
{
    return walk(cu, NULL, found, user, 0, 0);
}

int hcr__dwarf_each_located_die(Dwarf_Die *cu, hcr__dwarf_static_die_fn found, void *user)
{
    return walk(cu, NULL, found, user, 1, 0);
}

struct without_die {
    hcr__dwarf_static_fn found;
    void *user;
};

static int drop_die(void *user, const char *function, const char *variable, uint64_t address,
                    Dwarf_Die *die)
{
    struct without_die *w = user;
    (void)die;
    return w->found(w->user, function, variable, address);
}

int hcr__dwarf_each_static(Dwarf_Die *cu, hcr__dwarf_static_fn found, void *user)
{
    struct without_die w = {found, user};
    return walk(cu, NULL, drop_die, &w, 0, 0);
}

char *hcr__dwarf_static_key(const char *function, const char *variable, size_t *len)
{
    size_t fn_len = strlen(function), var_len = strlen(variable);
    char *key = malloc(fn_len + 1 + var_len + 1);
    if (!key)
        return NULL;
    memcpy(key, function, fn_len);
    key[fn_len] = '/';
    memcpy(key + fn_len + 1, variable, var_len + 1);
    if (len)
        *len = fn_len + 1 + var_len;
    return key;
}

/* Whether the variable stores some part of itself at *user: its one
   address, or an address its location names otherwise (a piece of a
   static clang split, a flag: whose symbols are at those addresses). */
static int is_at(void *user, const char *function, const char *variable, uint64_t address,
                 Dwarf_Die *die)
{
    uint64_t want = *(const uint64_t *)user;
    Dwarf_Attribute attr, entry;
    Dwarf_Op *ops;
    size_t count;
    (void)function, (void)variable;
    if (address)
        return address == want;
    if (!dwarf_attr(die, DW_AT_location, &attr) || dwarf_getlocation(&attr, &ops, &count) != 0)
        return 0;
    for (size_t i = 0; i < count; i++) {
        Dwarf_Addr a;
        if (ops[i].atom == DW_OP_addr && ops[i].number == want)
            return 1;
        if ((ops[i].atom == DW_OP_addrx || ops[i].atom == DW_OP_GNU_addr_index) &&
            dwarf_getlocation_attr(&attr, &ops[i], &entry) == 0 &&
            dwarf_formaddr(&entry, &a) == 0 && a == want)
            return 1;
    }
    return 0;
}

int hcr__dwarf_declares_static_at(Dwarf_Die *cu, uint64_t address)
{
    return walk(cu, NULL, is_at, &address, 1, 0) != 0;
}
