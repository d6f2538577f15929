/*
 * units.h: the translation units a running program was built from, each
 * with its source file and the exact command that compiled it, and the
 * command hcr runs to recompile one for reloading. The units are those of
 * the images loaded in the process (the executable and the shared
 * libraries built with the reload flags), named by their debug
 * information (DW_AT_name, DW_AT_comp_dir); their commands come from a
 * compilation database (compile_commands.json, read with json-c) or,
 * without one, from the debug information (DW_AT_producer).
 */
#ifndef HCR_LIVE_UNITS_H
#define HCR_LIVE_UNITS_H

#include "internal.h"

#include <stddef.h>
#include <stdint.h>

/* One translation unit. */
struct hcr__live_unit {
    char *source;        /* absolute path of its source file (realpath when it exists) */
    char *directory;     /* absolute directory the compile runs in */
    char **argv;         /* the compile command, NULL-terminated, compiler
                            first (a wrapper such as ccache dropped) */
    size_t argc;
    char *output;        /* the object the command writes (-o), or NULL */
    int from_debug_info; /* the command was rebuilt from DW_AT_producer */
    uint64_t cu_offset;  /* from_debug_info: the offset of its compilation
                            unit's DIE in the file it was read from */
};

struct hcr__live_units {
    struct hcr__live_unit *v;
    size_t n;
};

/* The compilation database to use: `explicit_path` if not NULL, else
   $HCR_COMPILE_COMMANDS, else compile_commands.json in the directory of
   `exe_path` or one of its parents, else in the current directory or one
   of its parents. malloc'ed, or NULL when there is none. */
char *hcr__compile_db_find(const char *explicit_path, const char *exe_path);

/* Reads the compilation database at `path` into *out: both entry forms
   ("command", shell-quoted, and "arguments"), "directory" applied to
   relative paths, compiler wrappers dropped. A source listed several
   times keeps one entry: the one whose output `prefer_output(source,
   output, user)` accepts, else the first (logged). prefer_output may be
   NULL. Unusable entries are skipped with a warning naming the file and
   the entry index. 0, or a negative HCR_E* code with msg naming the file:
   HCR_ENOENT/EACCES/EISDIR when it cannot be read, HCR_ETRUNC when empty
   or cut short, HCR_ECORRUPT when not a JSON array or no entry is usable
   (msg names the first bad entry), HCR_EINVAL when the array is empty. */
int hcr__compile_db_read(const char *path,
                         int (*prefer_output)(const char *source, const char *output, void *user),
                         void *user, struct hcr__live_units *out, struct hcr__message *msg);

/* Units from the debug information of the ELF file at `elf_path`: one per
   compilation unit with a source that exists, its command rebuilt from
   DW_AT_producer (compiler, -std, and the flags gcc records: no -D and
   no -I, which gcc does not record; the directories of the headers in
   the unit's line table, outside the system directories and the source's
   own, are added as -I: a best effort, since a header that leaves nothing
   in the debug information (only prototypes and macros) is not listed,
   and `#include "sub/x.h"` gives -I.../sub), then
   `-c SOURCE`; output NULL; cu_offset set. Units not in C (assembly, crt files) and those
   whose source is not on this machine are left out; a source listed twice
   keeps its first unit. Logs nothing: the caller, when it falls back on
   these commands, says once what they lack and how to get a database.
   0, or a negative HCR_E* code with msg (HCR_ENOENT: no debug
   information, or no usable unit). */
int hcr__units_from_debug_info(const char *elf_path, struct hcr__live_units *out,
                               struct hcr__message *msg);

/* One image loaded in the process (the executable or a shared library)
   and the units its debug information names. */
struct hcr__live_image {
    char *path;                   /* its file: the executable's real path, or
                                     the library's as the dynamic linker
                                     loaded it */
    struct hcr__live_units units; /* from hcr__units_from_debug_info */
};

struct hcr__live_images {
    struct hcr__live_image *v; /* v[0] is the executable, even without units */
    size_t n;
};

/* The images of this process whose units live editing can reload: the
   executable, then each shared library (dl_iterate_phdr order) whose
   debug information names C sources on this machine and that has
   patchable entries (a __patchable_function_entries section: built with
   the reload flags). hcr's own libraries (libhcr*.so) and the vDSO are
   left out; so, silently, are libraries without debug information
   (system ones), and with one debug line on `log` a library with sources
   but no patchable entries. A source an earlier image has is not taken
   again. The executable's debug information missing is logged as a
   warning, and v[0] then has no units. 0, or a negative code (logged):
   HCR_ENOENT when /proc/self/exe cannot be read; HCR_ENOMEM, -EMFILE or
   -ENFILE when an image could not be read for want of memory or
   descriptors (its units would be missing). */
int hcr__live_images_find(struct hcr__live_images *out, const struct hcr__log *log);

/* Frees every image and the array; *images is left empty. */
void hcr__live_images_free(struct hcr__live_images *images);

/* A prefer_output for hcr__compile_db_read, `images` being a
   `const struct hcr__live_images *`: whether the object `output` is the
   one an image that has `source` was linked from. 1 when it is an object
   whose compilation unit for `source` agrees with the image's (same
   DW_AT_comp_dir, DW_AT_producer and language, and the same functions
   with the same code sizes and the same file-scope variables with the
   same sizes); 0 when it does not, or is not there, or cannot be read. */
int hcr__output_was_linked(const char *source, const char *output, void *images);

/* Splits a shell command line into words as sh would (single and double
   quotes, backslashes; no expansions). NULL-terminated and malloc'ed (free
   with hcr__argv_free), *argc words; NULL with msg on an unterminated
   quote or no memory. */
char **hcr__shell_split(const char *command, size_t *argc, struct hcr__message *msg);

/* The command that recompiles `unit` for reloading: its own argv without
   its output, dependency and LTO options (-o X, -c, -MD, -MMD, -MF X, -MT
   X, -MQ X, -MP, -flto*) and without the source argument, then
   `extra_flags` (space-separated, may be NULL), hcr's reload flags, and
   `-c SOURCE -o object -MD -MF depfile` (no -MD -MF when depfile is
   NULL). The source argument is any non-option word naming unit->source
   once made absolute against unit->directory. NULL-terminated and
   malloc'ed; NULL when out of memory. */
char **hcr__compile_argv(const struct hcr__live_unit *unit, const char *object,
                         const char *depfile, const char *extra_flags);

/* The files a dependency file written by -MD lists (the object's
   prerequisites, the source first), as absolute paths relative to
   `directory` (resolved by realpath when they exist). Only the first
   rule counts (-MP's empty rules follow it); gcc's quoting is undone
   ("\ " for a space, "\#", "$$"). NULL-terminated and malloc'ed (an empty
   list for a rule without prerequisites), or NULL when it cannot be read
   or holds no rule. */
char **hcr__depfile_read(const char *path, const char *directory, size_t *count);

/* Frees a NULL-terminated argv and its words; NULL does nothing. */
void hcr__argv_free(char **argv);
/* Frees every unit and the array (defined in compile_db.c); *units is
   left empty. */
void hcr__live_units_free(struct hcr__live_units *units);

/* Frees what one unit owns and zeroes it (compile_db.c). */
void hcr__live_unit_clear(struct hcr__live_unit *unit);

/* Whether one of `units` has the source file `source` (compile_db.c). */
int hcr__live_units_have(const struct hcr__live_units *units, const char *source);

#endif
