/*
 * unit_vars.h: one version's variables of a compilation unit, by the key
 * both versions share (a name, or "function/variable"), each with how its
 * debug information says it is stored (src/dwarf/pieces.h): the lists
 * link_pieces.c binds split variables by (unit_vars.c).
 */
#ifndef HCR_OBJECT_UNIT_VARS_H
#define HCR_OBJECT_UNIT_VARS_H

#include "dwarf/pieces.h"
#include "dwarf/types.h"
#include "object/symbols.h"

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

/* One variable of one version's compilation unit. */
struct hcr__unit_var {
    char *key;                     /* its name, or "function/variable" */
    int ambiguous;                 /* another variable of the unit has the same key */
    int external;                  /* a global */
    uint64_t address;              /* HCR__LOC_ADDRESS: where, as read */
    const char *name;
    int function_local;
    Dwarf_Die die;
    enum hcr__location kind;       /* as classified, before the type is read */
    int loaded;                    /* type and runs read */
    const struct hcr__type *type;
    struct hcr__dwarf_piece *runs; /* offsets in `type`, addresses as read plus bias */
    size_t nruns;
};

struct hcr__unit_vars {
    struct hcr__unit_var *v;
    size_t n, cap;
    int failed;
    struct hcr__dwarf_piece *scratch; /* HCR__PIECES_MAX, for classifying */
};

/* Lists every variable of `cu` with a location (globals too), classified
   from its expression, sorted by key; two of one key (statics of two
   blocks) are marked ambiguous. scratch holds HCR__PIECES_MAX parts. 0 or
   HCR_ENOMEM. */
int hcr__unit_vars_list(Dwarf_Die *cu, struct hcr__unit_vars *l,
                        struct hcr__dwarf_piece *scratch);

/* The variable of key `key`, or NULL. */
struct hcr__unit_var *hcr__unit_vars_find(struct hcr__unit_vars *l, const char *key);

/* Reads v's type (from `types`) and where each stored part of it lives,
   `bias` added to each address; once. 0 or HCR_ENOMEM. */
int hcr__unit_var_load(struct hcr__unit_var *v, struct hcr__types *types, uintptr_t bias,
                       struct hcr__dwarf_piece *scratch);

/* The variables stored at one address (plus bias), sorted by address, as
   the layout comparison looks them up (link_migrate.c). 0 or HCR_ENOMEM. */
int hcr__unit_vars_by_place(const struct hcr__unit_vars *l, uintptr_t bias,
                            struct hcr__process_variable **out, size_t *n);

void hcr__unit_vars_free(struct hcr__unit_vars *l);

#endif
