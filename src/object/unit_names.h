/*
 * unit_names.h: what the running program's debug information says one
 * translation unit defines, for the names of a reloaded object that the
 * symbol lookup left unbound: a function made static or made global, a
 * file whose STT_FILE symbol was not found, a global the static linker
 * renamed. A name is bound only when the debug information and the symbol
 * table agree (the unit's DIE gives an address, and the image has a symbol
 * of that name there), so "new" in a reload's report means new to the
 * program, never "missed by one lookup".
 */
#ifndef HCR_OBJECT_UNIT_NAMES_H
#define HCR_OBJECT_UNIT_NAMES_H

#include "object/symbols.h"

#include <stddef.h>

/* One name of the unit to look up. */
struct hcr__unit_name {
    const char *name;                /* in: source name of a function or file-scope variable */
    int function;                    /* in: looked up among functions, else variables */
    const struct hcr__proc_sym *sym; /* out: the program's definition, or NULL if new */
    int unbindable;                  /* out: the program defines it, but at an address no
                                        symbol of that name and kind has (sym is NULL) */
};

/* Looks up `names` in the compilation unit of image `image` whose path is
   `cu_path` (else, when no unit has that path, the only unit whose file has
   the base name `base_name`). 1 if the program has debug information for
   the unit, 0 if not (every name stays unfound), or HCR_ENOMEM. */
int hcr__process_unit_names(struct hcr__process *p, size_t image, const char *cu_path,
                            const char *base_name, struct hcr__unit_name *names, size_t n);

#endif
