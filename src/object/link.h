/*
 * link.h: the object linker. hcr__link places the allocatable sections of a
 * validated relocatable object into fresh memory near the image the object's
 * translation unit belongs to, resolves its symbols against the running
 * process (binding every variable the program already has to the existing
 * storage), applies its relocations, and protects the pages. It changes
 * nothing in the running program: the result lists the functions to redirect,
 * the constructors to run and the functions and variables the object adds
 * (for later reloads to bind to), and the caller commits or discards it.
 *
 * With process == NULL it links into a sandbox: every symbol of the object is
 * new and undefined symbols resolve to the mapping itself (fuzzing).
 */
#ifndef HCR_OBJECT_LINK_H
#define HCR_OBJECT_LINK_H

#include "elf/elf_file.h"
#include "internal.h"
#include "object/dwarf_statics.h"
#include "object/symbols.h"
#include "dwarf/pieces.h"
#include "dwarf/types.h"

#include <stddef.h>
#include <stdint.h>

/* A function the object defines. */
struct hcr__link_function {
    const char *name;   /* in the object's string table */
    uintptr_t entry;    /* the new copy's entry */
    uint64_t size;
    uintptr_t original; /* entry of the program's version; 0 if the function is new */
    uint64_t original_size;
    int patchable;      /* has untouched hot-patch pads; else a jump replaces its first
                           bytes (src/object/patch.h) */
};

/* A function or variable the object adds to the program. */
struct hcr__link_symbol {
    const char *name;   /* in the object's string table */
    int local;
    uintptr_t address;
    uint64_t size;
    unsigned type;      /* STT_FUNC or a data type */
    const struct hcr__type *type_tree; /* a variable's, from the object's debug
                                          information (the linked result's
                                          readers own it), or NULL */
};

/* A variable the program (or an earlier reload) has whose layout the
   object changed: it moves to the object's own storage, and its value is
   migrated there at commit (object_migrate.c) unless code the reload does
   not replace may hold its address. */
struct hcr__link_migration {
    const char *name;    /* as the registry knows it: the symbol name, or
                            "function/variable" for a function-local static */
    int local;           /* a file or function-local static */
    uintptr_t from, to;  /* the old storage (only ever read) and the new */
    uint64_t from_size, to_size;
    const struct hcr__type *from_type, *to_type;
    struct hcr__migrate_plan *plan;
    size_t sym;          /* the object's symbol */
    /* One field of a variable the compiler split (link_pieces.c): its old
       value is gathered from the stored parts from_runs (offsets in
       from_type; bytes in none of them were never stored), its new one is
       stored at `to` as to_run says (plain, or a flag). `from` and
       from_size then guard the whole old variable when it was one block
       (0 when it was split: the runs are all there is). */
    struct hcr__dwarf_piece *from_runs;
    size_t nfrom_runs;
    struct hcr__dwarf_piece to_run;
    int by_pieces;
    unsigned char *scratch; /* with from_runs: the old value, which of its bytes
                               are stored, and the new value, set aside at link
                               time (the move runs with threads paused) */
};

/* What link_migrate.c hands over: the migrations, the debug information
   readers their types live in, and the unit's path. */
struct hcr__link_migrations {
    struct hcr__object_dwarf *dwarf;
    struct hcr__types *object_types, *program_types;
    struct hcr__link_migration *items;
    size_t count, cap;
    char *unit;          /* the object's compilation unit path, or NULL */
    struct hcr__process_variable *program_vars; /* the unit's, by address */
    size_t nprogram_vars;
    int program_vars_read;
    struct hcr__process_variable *object_vars; /* the object's, by address as
                                                  its debug information says */
    size_t nobject_vars;
    int object_vars_read;
};
void hcr__link_migrations_free(struct hcr__link_migrations *m);

/* A variable the compiler split into pieces, or stored under another
   name, that the object binds or moves piece by piece (link_pieces.c):
   where each of its stored parts lives once the object is live, for the
   registry (hcr__reloaded_add_split), and what the edit lost. */
struct hcr__link_split {
    char *key;                     /* its name, or "function/variable" */
    const struct hcr__type *type;  /* the object's (its readers own it) */
    struct hcr__dwarf_piece *runs; /* offsets in `type`; run-time addresses after layout */
    size_t *syms;                  /* the object symbol of each run */
    size_t nruns;
    char *lost;                    /* "dropped: s.b; now a constant: s.c", or NULL */
};
void hcr__link_splits_free(struct hcr__link_split *v, size_t n);

/* One linked object, not yet live. */
struct hcr__linked {
    void *base;                  /* the mapping */
    size_t size;
    int near;                    /* mapped with hcr__near_map */
    uintptr_t text_lo, text_hi;  /* executable part */
    uintptr_t *section_address;  /* per section index; 0 = not loaded */
    size_t nsections;
    struct hcr__link_function *functions;
    size_t nfunctions;
    uintptr_t *constructors;     /* .init_array entries of new functions, in order */
    size_t nconstructors;
    const void *eh_frame;        /* relocated, in memory; NULL if none */
    size_t eh_frame_size;
    size_t bound;                /* variables bound to existing storage */
    size_t new_functions;        /* source-named functions the program did not have */
    size_t new_variables;        /* variables (state) the program did not have */
    int unit_checked;            /* "new" was checked against the program's debug
                                    information for the unit, not only its symbols */
    size_t dropped_functions;    /* external functions of the program's unit the
                                    object does not define (each logged) */
    size_t home_image;           /* image of the process the unit belongs to */
    uint32_t file;               /* its file group there, or HCR__NO_FILE */
    const char *file_name;       /* the object's STT_FILE name, or NULL */
    struct hcr__link_symbol *new_symbols; /* for hcr__reloaded_add */
    size_t nnew_symbols;
    struct hcr__local_static *statics; /* owned: names of function-local statics */
    size_t nstatics;
    struct hcr__link_migrations *migrations; /* owned; NULL in the sandbox */
    struct hcr__link_split *splits; /* owned: variables bound by their pieces */
    size_t nsplits;
};

/* Links `elf` (validated, ET_REL, this machine; read from object_path) into
   memory. 0 and *out filled, or a negative HCR_E* code with msg naming the
   object, the symbol and the problem, and nothing left mapped. */
int hcr__link(struct hcr__linked *out, const struct hcr__elf *elf, const char *object_path,
              struct hcr__process *process, struct hcr__message *msg);

/* Frees the tables of a linked object (functions, constructors, section
   addresses) but keeps its memory mapped: after a commit, code may run there
   and stays mapped for the life of the process. */
void hcr__link_release_tables(struct hcr__linked *l);

/* Unmaps a linked object that never went live and frees its tables. */
void hcr__link_discard(struct hcr__linked *l);

#endif
