/*
 * debug.h: making reloaded code visible to the tools that look at a
 * running process. One call registers a linked object with
 *   - gdb, through the GDB JIT interface: an in-memory copy of the object
 *     whose section headers carry the addresses the sections were loaded
 *     at, so breakpoints by name and file:line, backtraces, source lines
 *     and variables work in the new code (debug_gdb.c);
 *   - perf, through a line per function in /tmp/perf-PID.map
 *     (debug_perf.c; HCR_PERF_MAP=0 in the environment turns it off);
 *   - unwinders (backtrace(), C++ exceptions, libgcc's _Unwind_*), through
 *     __register_frame on a copy of the object's relocated .eh_frame
 *     (debug_unwind.c).
 * Unregistering undoes the first and the last; perf map lines stay (perf
 * reads the file after the process ends).
 */
#ifndef HCR_OBJECT_DEBUG_H
#define HCR_OBJECT_DEBUG_H

#include "elf/elf_file.h"
#include "internal.h"

#include <stddef.h>
#include <stdint.h>

/* A function of the linked object, for the perf map. */
struct hcr__debug_function {
    const char *name;
    uintptr_t address;
    size_t size;
};

struct hcr__debug_image; /* one registered object */

/* Registers a linked object. `elf` is the validated object read from
   `object_path`; section_address[i] is where section i was loaded, 0 when it
   was not: its allocatable sections not loaded are hidden from the
   debugger. For a data section whose variable is bound to the program's
   existing storage, pass that storage's address, so the debugger shows the
   live variable. `eh_frame` is the object's .eh_frame as loaded and
   relocated (eh_frame_size bytes), NULL if none; it may be followed by
   anything (a copy with the terminator the unwinder needs is made within
   reach of it). `file`: elf's bytes, malloc'ed, handed to the image when it
   is made (gdb's symbol file is then made in place, its section headers
   rewritten, and freed with the image), or NULL to have them copied; on
   failure they stay the caller's. The caller keeps nothing else alive for
   the image.
   Returns the image, or NULL + msg (HCR_ENOMEM; HCR_ECORRUPT when the
   .eh_frame cannot be parsed). A perf map that cannot be written is logged,
   not an error. Thread-safe. */
struct hcr__debug_image *hcr__debug_register(const char *object_path, const struct hcr__elf *elf,
                                             const uintptr_t *section_address,
                                             const struct hcr__debug_function *functions,
                                             size_t count, const void *eh_frame,
                                             size_t eh_frame_size, void *file,
                                             struct hcr__message *msg);

/* Unregisters from gdb and from the unwinder, and frees the image. The code
   it describes must not run any more if its memory is unmapped after.
   NULL is ignored. Thread-safe. */
void hcr__debug_unregister(struct hcr__debug_image *image);

/* The GDB JIT interface, exactly as gdb expects it (names and layout are
   fixed by gdb). Exposed for tests; only debug_gdb.c writes it. */
struct hcr__jit_code_entry {
    struct hcr__jit_code_entry *next_entry;
    struct hcr__jit_code_entry *prev_entry;
    const char *symfile_addr;
    uint64_t symfile_size;
};

struct hcr__jit_descriptor {
    uint32_t version;
    uint32_t action_flag; /* 0 no action, 1 register, 2 unregister */
    struct hcr__jit_code_entry *relevant_entry;
    struct hcr__jit_code_entry *first_entry;
};

extern struct hcr__jit_descriptor __jit_debug_descriptor;
void __jit_debug_register_code(void);

#endif
