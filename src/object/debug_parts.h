/*
 * debug_parts.h: the three registrations behind hcr__debug_register, one
 * file each (debug_gdb.c, debug_perf.c, debug_unwind.c), combined by
 * debug.c. Internal to those files.
 */
#ifndef HCR_OBJECT_DEBUG_PARTS_H
#define HCR_OBJECT_DEBUG_PARTS_H

#include "object/debug.h"

/* Builds the in-memory object for gdb, in `file` (elf's bytes, malloc'ed,
   taken on success) or in a copy (file NULL), and links it into the JIT
   list, telling an attached gdb. NULL + msg (HCR_ENOMEM) on failure. */
struct hcr__jit_code_entry *hcr__debug_gdb_add(const char *object_path, const struct hcr__elf *elf,
                                               const uintptr_t *section_address, void *file,
                                               struct hcr__message *msg);

/* Unlinks an entry from the JIT list (telling gdb) and frees it. */
void hcr__debug_gdb_remove(struct hcr__jit_code_entry *entry);

/* Appends one "ADDR SIZE name" line per function to /tmp/perf-PID.map.
   0 or a negative code with msg. */
int hcr__debug_perf_write(const struct hcr__debug_function *functions, size_t count,
                          struct hcr__message *msg);

struct hcr__debug_frames; /* a registered copy of an .eh_frame */

/* Copies eh_frame next to itself with a terminator, adjusting its
   PC-relative pointers, and registers it with the unwinder. NULL + msg on
   failure (HCR_ECORRUPT for a malformed or unsupported .eh_frame). */
struct hcr__debug_frames *hcr__debug_frames_register(const char *object_path, const void *eh_frame,
                                                     size_t size, struct hcr__message *msg);
void hcr__debug_frames_unregister(struct hcr__debug_frames *frames);

/* The walk behind hcr__debug_frames_register, alone (for the fuzz target):
   copies the `size` bytes of .eh_frame at src to dst, adjusting every
   PC-relative pointer as if dst lay `moved` bytes after src. 0, or
   HCR_ECORRUPT / HCR_ERANGE / HCR_ENOMEM with msg naming `path`. */
int hcr__debug_frames_copy(const char *path, const void *src, void *dst, size_t size,
                           intptr_t moved, struct hcr__message *msg);

#endif
