/*
 * symbols.h: the index of what the running process defines, for the object
 * linker. One entry per defined symbol of every loaded image (the
 * executable's and each library's full .symtab when the file has one, else
 * its .dynsym), locals included and grouped by the source file they came
 * from (the STT_FILE symbol before them). Globals the static linker made
 * local (hidden and internal visibility) are found by name, as globals. Two files with the same base name
 * are told apart through the debug information (compilation unit paths).
 *
 * The index maps each image file read-only and keeps it mapped: names point
 * into it. It is built on first use and rebuilt when libraries were loaded
 * or unloaded since. Lookups fill caches lazily (compilation unit paths,
 * function-local statics), so callers serialise them: object mode calls
 * them only under its object lock (records.c).
 */
#ifndef HCR_OBJECT_SYMBOLS_H
#define HCR_OBJECT_SYMBOLS_H

#include "elf/elf_file.h"
#include "internal.h"

#include <elfutils/libdw.h>

#include <stddef.h>
#include <stdint.h>

#define HCR__NO_FILE 0u /* file group of a global symbol */

/* One defined symbol of the process. */
struct hcr__proc_sym {
    const char *name;   /* not NUL-terminated at name_len when versioned */
    size_t name_len;    /* length without any "@VERSION" suffix */
    uintptr_t address;  /* run-time address; for STT_TLS its offset in the
                           image's TLS block */
    uint64_t size;
    unsigned char type; /* STT_* */
    unsigned char bind; /* STB_*; STB_LOCAL with file HCR__NO_FILE: a global
                           the static linker made local (hidden visibility) */
    unsigned char ambiguous; /* two such locals share the name: bind neither */
    uint32_t image;     /* index into the process's images */
    uint32_t file;      /* HCR__NO_FILE for globals, else a file group id */
};

/* One loaded image (executable or library). */
struct hcr__proc_image {
    char *path;
    uintptr_t bias;       /* load bias (dlpi_addr) */
    uintptr_t lo, hi;     /* range of its loaded segments */
    size_t tls_modid;     /* module id for __tls_get_addr; 0 if no TLS */
    int tls_static;       /* nonzero: tls_tpoff is valid for every thread */
    intptr_t tls_tpoff;   /* TLS block start minus the thread pointer */
    int is_executable;
};

struct hcr__process;

/* The process's index, built or refreshed as needed. NULL with msg set on
   failure (the executable's file cannot be read, out of memory). The index
   stays valid until the next call. */
struct hcr__process *hcr__process_get(struct hcr__message *msg);

/* Frees the cached index (tests, leak checkers). */
void hcr__process_release(void);

size_t hcr__process_image_count(const struct hcr__process *p);
const struct hcr__proc_image *hcr__process_image(const struct hcr__process *p, size_t i);

/* The first image other than `image` whose dynamic symbol table refers to
   `name` without defining it, while `image` exports `name` in its own:
   the dynamic linker bound that image's references to `image`'s
   definition. Its path, or NULL (none, or `image` does not export it). */
const char *hcr__process_named_by_other_images(const struct hcr__process *p, size_t image,
                                               const char *name);

/* The global (or weak) symbol `name` defined in image `image`, or NULL. */
const struct hcr__proc_sym *hcr__process_find_global(const struct hcr__process *p, size_t image,
                                                     const char *name);

/* The local symbol `name` of file group `file` of image `image`, or NULL. */
const struct hcr__proc_sym *hcr__process_find_local(const struct hcr__process *p, size_t image,
                                                    uint32_t file, const char *name);

/* The one local symbol `name` of image `image` in any file, for references
   to a name the static linker made local (version scripts, -fwhole-program).
   NULL when there is none or several (*count says how many). */
const struct hcr__proc_sym *hcr__process_find_local_anywhere(const struct hcr__process *p,
                                                             size_t image, const char *name,
                                                             size_t *count);

/* The bytes of image `image`'s file, mapped read-only while the index
   lives, and *size; NULL when the file could not be read. */
const void *hcr__process_image_file(const struct hcr__process *p, size_t image, size_t *size);

/* The symbol named `name` of image `image` (global or local, any file) at
   run-time address `address`: a function if `function`, else a variable
   (thread-locals excluded). NULL if none. A linear scan: for the few names
   other lookups left unbound. */
const struct hcr__proc_sym *hcr__process_symbol_at(const struct hcr__process *p, size_t image,
                                                   uintptr_t address, const char *name,
                                                   int function);

/* The debug information of image `image`, opened on first use and kept
   with the index; NULL when it has none. */
Dwarf *hcr__process_image_dwarf(struct hcr__process *p, size_t image);

/* The validated ELF file of image `image`, or NULL. */
const struct hcr__elf *hcr__process_image_elf(const struct hcr__process *p, size_t image);

/* A variable of a compilation unit with a fixed address, and its DIE. */
struct hcr__process_variable {
    uintptr_t address; /* run-time */
    Dwarf_Die die;
};

/* Every variable with a fixed address of file group `file`'s compilation
   unit in image `image`, sorted by address, malloc'ed (empty when the
   image has no debug information for it). 0 or HCR_ENOMEM. One walk, for
   callers that look up many variables (hcr__process_variable_die walks the
   unit each time). */
int hcr__process_unit_variables(struct hcr__process *p, size_t image, uint32_t file,
                                struct hcr__process_variable **v, size_t *n);

/* The compilation unit DIE of file group `file` of image `image`: 1 and
   *cu, or 0 when the image has no debug information for it. */
int hcr__process_unit_cu(struct hcr__process *p, size_t image, uint32_t file, Dwarf_Die *cu);

/* The DIE of the variable of image `image` whose storage is at run-time
   `address`, looked for in file group `file`'s compilation unit first, then
   in every unit. 1 and *die, or 0 (no debug information, no such
   variable). */
int hcr__process_variable_die(struct hcr__process *p, size_t image, uint32_t file,
                              uintptr_t address, Dwarf_Die *die);

/* The path of the compilation unit whose code holds run-time address pc
   of image `image` (as hcr__dwarf_cu_path gives it), malloc'ed, or NULL. */
char *hcr__process_unit_at(struct hcr__process *p, size_t image, uintptr_t pc);

/* Whether the function of image `image` whose code holds run-time pc is
   declared to return nothing (void), per the debug information; 0 when it
   returns a value or nothing says. */
int hcr__process_returns_nothing(struct hcr__process *p, size_t image, uintptr_t pc);

/* The address the image's file stores at run-time address `address` (an
   initialiser as linked), moved by the load bias as a relative relocation
   moves it. 1 and *value, or 0 when the file holds no such bytes. GNU ld
   and gold store the link-time address there; lld stores 0 unless told
   --apply-dynamic-relocs, and then no initialiser can be told apart. */
int hcr__process_initial_address(const struct hcr__process *p, size_t image, uintptr_t address,
                                 uintptr_t *value);

/* The file group of image `image` for the source file the object `object`
   (read from object_path) was compiled from, whose STT_FILE name is
   `base_name`. 0 and *file = HCR__NO_FILE when the image has no such file
   (every local of the object is then new); HCR_ENOSYM with msg when several
   files have that base name and the debug information cannot tell which. */
int hcr__process_find_file(struct hcr__process *p, size_t image, const char *base_name,
                           const char *object_path, const struct hcr__elf *object,
                           uint32_t *file, struct hcr__message *msg);

/* The function-local static named by `key` ("function/variable", see
   dwarf_statics.h) of file group `file` of image `image`, from the
   image's debug information, or NULL. */
const struct hcr__proc_sym *hcr__process_find_local_static(struct hcr__process *p, size_t image,
                                                           uint32_t file, const char *key);

/* The rank of file group `file` among the image's files of the same
   name (UINT_MAX for HCR__NO_FILE): what identifies it across rebuilds of
   the index. */
unsigned hcr__process_file_ordinal(const struct hcr__process *p, uint32_t file);

#endif
