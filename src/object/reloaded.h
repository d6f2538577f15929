/*
 * reloaded.h: the symbols reloads added to the program (reloaded.c).
 */
#ifndef HCR_OBJECT_RELOADED_H
#define HCR_OBJECT_RELOADED_H

#include "object/symbols.h"

#include <stddef.h>
#include <stdint.h>

/* How many reloaded symbols are registered, and forgetting every one
   registered after such a count (a reload that did not go live). */
size_t hcr__reloaded_count(void);
void hcr__reloaded_truncate(size_t count);

/* Symbols a reload added to the program (new functions and variables),
   so that later reloads of the same unit bind to them like to the
   program's own. file_name is the object's STT_FILE name for a local, NULL
   for a global; `file` is the group hcr__process_find_file gave (or
   HCR__NO_FILE). Add returns 0 or HCR_ENOMEM; find returns NULL if none. */
int hcr__reloaded_add(const struct hcr__process *p, size_t image, uint32_t file,
                      const char *file_name, const char *name, uintptr_t address, uint64_t size,
                      unsigned type);
const struct hcr__proc_sym *hcr__reloaded_find(const struct hcr__process *p, size_t image,
                                               uint32_t file, const char *file_name,
                                               const char *name);

#endif
