/*
 * link_internal.h: what the object linker's stages share. link.c runs
 * them in order (its comment lists which file holds each); one `struct
 * linker` lives for one hcr__link call. Every stage returns 0 or a
 * negative HCR_E* code with lk->msg naming the object and the problem.
 */
#ifndef HCR_OBJECT_LINK_INTERNAL_H
#define HCR_OBJECT_LINK_INTERNAL_H

#include "object/link.h"

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum region { R_NONE, R_TEXT, R_RODATA, R_DATA, R_COUNT };

enum sec_kind {
    SEC_SKIP,    /* not loaded */
    SEC_LOAD,    /* placed in a region */
    SEC_BOUND,   /* stands for one variable the program already has */
    SEC_TLS,     /* thread-local: its variables live in the program's TLS */
};

struct lsec {
    enum sec_kind kind;
    enum region region;
    size_t offset;       /* within the region */
    uintptr_t address;   /* run-time */
    size_t nsyms;        /* defined symbols in it (not section symbols) */
    size_t first_sym;    /* one of them */
    int has_bound;       /* some symbol in it binds to existing storage */
};

enum sym_state { S_NONE, S_NEW, S_BOUND, S_EXTERNAL, S_TLS, S_SECTION, S_ABS, S_GOT_BASE };

struct lsym {
    enum sym_state state;
    uintptr_t address;   /* run-time address; TLS: offset in the block */
    const struct hcr__proc_image *tls_image;
    int far;             /* external and possibly out of 32-bit reach */
    uint32_t got, got_tpoff, tlsgd, plt; /* offset+1 in GOT / PLT area, 0 = none */
    uintptr_t original;  /* functions: the program's entry */
    uint64_t original_size;
    size_t common_offset; /* S_NEW commons: offset+1 in the data region */
    size_t function;     /* functions: index+1 in the linked functions */
    uint64_t bound_size; /* S_BOUND variables: the size of the storage bound to */
    int migrated;        /* a variable bound to storage whose layout changed: moves
                            to the object's own storage (link_migrate.c) */
    int piece;           /* a stored part of a variable bound by what it holds,
                            never by its name (link_pieces.c) */
    const struct hcr__type *type_tree; /* variables: the type the object's debug
                                          information gives, or NULL */
    const struct hcr__proc_sym *strong; /* a weak definition: the program's strong
                                           one of that name, until hcr__link_bind_by_unit says
                                           whether it is this unit's */
};

struct linker {
    const struct hcr__elf *elf;
    const char *path;
    struct hcr__process *proc;
    struct hcr__message *msg;
    struct lsec *secs;
    struct lsym *syms;
    size_t home;
    uint32_t file;
    const char *file_name;         /* the object's STT_FILE name, or NULL */
    struct hcr__local_static *statics; /* function-local statics from debug info */
    size_t nstatics;
    const char **static_key;       /* per symbol: its "function/variable", or NULL */
    const struct hcr__proc_image *home_image;
    size_t region_size[R_COUNT];
    size_t region_offset[R_COUNT]; /* from the mapping's start */
    size_t got_size, got_offset;   /* in R_RODATA */
    size_t plt_size, plt_offset;   /* in R_TEXT */
    size_t common_size, common_offset; /* in R_DATA */
    uint32_t tlsld;                /* offset+1 of the shared TLSLD pair */
    unsigned char *map;
    size_t map_size;
    int near;
    size_t patchable_sec;          /* a __patchable_function_entries section, 0 if none */
    int unit_checked;              /* new names were checked against the program's
                                      debug information for the unit */
    struct hcr__link_migrations *migrations; /* link_migrate.c; handed to the result */
    struct hcr__object_dwarf *dwarf; /* the object's debug information, opened once by
                                        hcr__link_dwarf; moves to `migrations` */
    int dwarf_opened;
    struct hcr__link_split *splits; /* link_pieces.c; handed to the result */
    size_t nsplits, splits_cap;
};

static inline int hcr__starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* v rounded up to a multiple of a, a power of two. */
static inline size_t hcr__align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* ---- link.c ---- */

/* The object's debug information, opened on first use (NULL when it has
   none), into lk->dwarf. 0 or HCR_ENOMEM. */
int hcr__link_dwarf(struct linker *lk);

/* ---- link_resolve.c ---- */

/* Reads the names of the object's function-local statics from its debug
   information, keyed by function and name. */
int hcr__link_read_statics(struct linker *lk);

/* Resolves every symbol by name: binds what the program has, marks the
   rest new, finds every undefined one. */
int hcr__link_resolve_symbols(struct linker *lk);

/* ---- link_migrate.c ---- */

/* Compares the layout of every variable bound to existing storage in the
   program's (or an earlier reload's) debug information with the object's:
   one whose layout changed is unbound, to be placed in the object's own
   data like a new variable and migrated at commit (object_migrate.c); one
   whose size changed with no debug information to say how is HCR_ESTATE.
   Also reads the type of every new variable, for the registry. Runs after
   every symbol is bound, before sections are. 0 or a negative code. */
int hcr__link_compare_layouts(struct linker *lk);

/* After layout: the new storage of each migrated variable. */
void hcr__link_place_migrations(struct linker *lk);

/* Moves the object's debug information (hcr__link_dwarf) into
   lk->migrations and opens both readers of types, once per link. 0 or
   HCR_ENOMEM with lk->msg. */
int hcr__link_open_debug(struct linker *lk);

/* ---- link_pieces.c ---- */

/* Binds the stored parts of every variable the compiler split into
   pieces (clang's `s.0`, `s.2`), or stored under another name or as a
   flag, by the field each holds, in the object and in the running program
   (or an earlier reload): a field of the same path and type binds to the
   storage that holds it, one whose type changed moves (migrated at
   commit), one the old version never stored starts from the new
   initialiser. Overrides what names bound. HCR_ESTATE naming the object,
   the variable and the field where hcr cannot tell which field a piece
   holds. Runs after the lookup by names, before hcr__link_bind_by_unit. */
int hcr__link_bind_pieces(struct linker *lk);

/* After layout: the address of each stored part of the split variables. */
void hcr__link_place_pieces(struct linker *lk);

/* ---- link_plan.c ---- */

/* Reserves the GOT entries, TLS pairs and PLT stubs the relocations need. */
int hcr__link_plan(struct linker *lk);

/* After layout: writes the GOT entries, TLS pairs and PLT stubs. */
void hcr__link_fill_got(struct linker *lk);

/* Applies every relocation of the loaded sections. */
int hcr__link_relocate(struct linker *lk);

/* ---- link_layout.c ---- */

/* Places each loaded section, maps the object near the home image (or
   anywhere in the sandbox), copies the contents and computes every
   symbol's address. */
int hcr__link_layout(struct linker *lk);

/* Makes text read-execute, constants and the GOT read-only. */
int hcr__link_protect(struct linker *lk);

/* ---- link_collect.c ---- */

/* Lists the functions with their originals; checks the pads of each one
   to redirect (HCR_EFLAGS otherwise). */
int hcr__link_collect_functions(struct linker *lk, struct hcr__linked *out);

/* Lists the constructors of new functions, in priority order. */
int hcr__link_collect_constructors(struct linker *lk, struct hcr__linked *out);

/* Lists the functions and variables the object adds to the program. */
int hcr__link_collect_new_symbols(struct linker *lk, struct hcr__linked *out);

/* ---- link_bind.c and shared helpers ---- */

/* The name of object symbol k; a section symbol's is its section's. */
const char *hcr__link_sym_name(const struct linker *lk, size_t k);

/* Whether a variable of section sh is one whose value must be kept: the
   section is writable and loaded as data. */
int hcr__link_is_state(const struct linker *lk, size_t sh);

/* Binds variable k of the object to the program's storage `ps` (a common
   symbol included), whatever its size: hcr__link_compare_layouts decides
   later whether it can stay. 0. */
int hcr__link_bind_variable(struct linker *lk, size_t k, const struct hcr__proc_sym *ps);

/* Whether symbol k, defined by the object, is one the lookups by name left
   new: a function with no original, a variable whose value would be state,
   a weak definition the program has a strong one for. Compiler-made names
   (foo.cold, x.1, foo@V1) never are. */
int hcr__link_is_unbound_candidate(const struct linker *lk, size_t k);

/* After every symbol is resolved by name: asks the program's debug
   information about the names left new, and binds those its symbol table
   confirms (see link_bind.c). 0 or a negative code with lk->msg. */
int hcr__link_bind_by_unit(struct linker *lk);

/* Marks the data sections that stand for existing storage (not loaded,
   references to them mean the program's), and checks that none holds
   addresses inside code. 0 or a negative code with lk->msg. */
int hcr__link_bind_sections(struct linker *lk);

/* Logs each external function of the program's unit that the object does
   not define out of line; *count says how many. 0 or HCR_ENOMEM. */
int hcr__link_check_dropped(const struct linker *lk, size_t *count);

#endif
