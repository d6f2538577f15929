/*
 * unit_names.h: what the running program's debug information says one
 * translation unit defines, for checking a reloaded object against it:
 *  - the names the symbol lookup left unbound (a function made static or
 *    made global, a file whose symbols are not grouped under its name, a
 *    global the static linker renamed). A name is bound only when the debug
 *    information and the symbol table agree (the unit's DIE gives an
 *    address, and the image has a symbol of that name there), so "new" in a
 *    reload's report means new to the program, never "missed by one lookup";
 *  - the unit's external functions, so that one the object no longer
 *    defines (removed, or made static and inlined) is reported: callers in
 *    other files keep its old code.
 * Callers serialise calls, as for the rest of the process index.
 */
#ifndef HCR_OBJECT_UNIT_NAMES_H
#define HCR_OBJECT_UNIT_NAMES_H

#include "object/symbols.h"

#include <stddef.h>

/* The unit of an object in the program: found by the base name of its
   file (unique in most programs), else by the path of the object's
   compilation unit, read from the object only then. */
struct hcr__unit_query {
    struct hcr__process *process;
    size_t image;
    const char *base_name;          /* the object's STT_FILE name */
    const char *object_path;        /* for reading its compilation unit path */
    const struct hcr__elf *object;
};

/* One name of the unit to look up. */
struct hcr__unit_name {
    const char *name;                /* in: source name of a function or file-scope variable */
    int function;                    /* in: looked up among functions, else variables */
    const struct hcr__proc_sym *sym; /* out: the program's definition, or NULL if new */
    int unbindable;                  /* out: the program defines it, but at an address no
                                        symbol of that name and kind has (sym is NULL) */
};

/* Looks up `names` in the unit. 1 if the program has debug information for
   the unit, 0 if not (every name stays unfound). */
int hcr__unit_lookup(const struct hcr__unit_query *q, struct hcr__unit_name *names, size_t n);

/* Calls fn with the name of each function with code of its own that the
   unit defines with external linkage. 1 if the unit was found, 0 if not. */
int hcr__unit_each_external_function(const struct hcr__unit_query *q,
                                     void (*fn)(void *arg, const char *name), void *arg);

#endif
