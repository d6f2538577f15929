/*
 * reloaded.h: the symbols reloads added to the program (reloaded.c).
 */
#ifndef HCR_OBJECT_RELOADED_H
#define HCR_OBJECT_RELOADED_H

#include "dwarf/pieces.h"
#include "object/symbols.h"

#include <stddef.h>
#include <stdint.h>

struct hcr__type;

/* How many reloaded symbols are registered, and forgetting every one
   registered after such a count (a reload that did not go live). */
size_t hcr__reloaded_count(void);
void hcr__reloaded_truncate(size_t count);

/* Symbols a reload added to the program (new functions and variables),
   so that later reloads of the same unit bind to them like to the
   program's own. file_name is the object's STT_FILE name for a local, NULL
   for a global; `file` is the group hcr__process_find_file gave (or
   HCR__NO_FILE). type_tree is a variable's type (hcr__type_clone), owned
   by the registry from the call on, or NULL when unknown. `moved`: the
   storage replaces the program's own for good (a variable migrated to a
   new layout, object_migrate.c), and is found before it. Add returns 0
   or HCR_ENOMEM; find returns NULL if none, looking newest first. */
int hcr__reloaded_add(const struct hcr__process *p, size_t image, uint32_t file,
                      const char *file_name, const char *name, uintptr_t address, uint64_t size,
                      unsigned type, struct hcr__type *type_tree, int moved);
const struct hcr__proc_sym *hcr__reloaded_find(const struct hcr__process *p, size_t image,
                                               uint32_t file, const char *file_name,
                                               const char *name);
/* The same, among moved storage only: looked up before the program's own
   symbols, which still name the old storage. */
const struct hcr__proc_sym *hcr__reloaded_find_moved(const struct hcr__process *p, size_t image,
                                                     uint32_t file, const char *file_name,
                                                     const char *name);

/* The type registered for the variable whose storage starts at address
   (*known = 1 when a reload registered that storage at all, its type then
   NULL if unknown), or NULL and *known = 0: the storage is the program's
   own. */
const struct hcr__type *hcr__reloaded_type_at(uintptr_t address, int *known);

/* A variable a reload bound or moved by its stored parts (a static the
   compiler split into pieces, link_pieces.c), registered under its key
   (its name, or "function/variable") with its type and where each stored
   part of it lives at run time: the next reload finds each field where
   this one left it, whatever the symbols are named. The runs are copied;
   type_tree is owned from the call on. 0 or HCR_ENOMEM. Such entries are
   never found by name above. */
int hcr__reloaded_add_split(const struct hcr__process *p, size_t image, uint32_t file,
                            const char *file_name, const char *key, struct hcr__type *type_tree,
                            const struct hcr__dwarf_piece *runs, size_t n);

/* Whether any split variable is registered (a cheap test first). */
int hcr__reloaded_any_split(void);

/* The newest storage a reload registered for the variable `key` (split,
   moved to a new layout, or new; not a function), as stored parts: a
   variable registered whole is one run (in out->whole). 1 and *out, or 0.
   The runs and type stay valid until the registry is truncated. */
struct hcr__reloaded_storage {
    const struct hcr__type *type;           /* NULL when unknown */
    const struct hcr__dwarf_piece *runs;    /* run-time addresses */
    size_t nruns;
    int split;                              /* registered by hcr__reloaded_add_split */
    struct hcr__dwarf_piece whole;
};
int hcr__reloaded_find_storage(const struct hcr__process *p, size_t image, uint32_t file,
                               const char *file_name, const char *key,
                               struct hcr__reloaded_storage *out);

#endif
