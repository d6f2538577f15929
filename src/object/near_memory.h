/*
 * near_memory.h: address space within 32-bit PC-relative reach of a loaded
 * image. Object mode places reloaded code, data, GOT slots, patch slots and
 * trampolines here, so that `call rel32`, `jmp rel32` and RIP-relative loads
 * between the image and the new memory need no detour. The free gaps are
 * found in /proc/self/maps and claimed with MAP_FIXED_NOREPLACE, so nothing
 * already mapped is ever replaced.
 */
#ifndef HCR_OBJECT_NEAR_MEMORY_H
#define HCR_OBJECT_NEAR_MEMORY_H

#include "arch_facts.h"
#include "internal.h"

#include <stddef.h>
#include <stdint.h>

/* The largest distance hcr allows between two addresses that refer to each
   other with a PC-relative displacement (the machine's, in arch_facts.h). */
#define HCR__NEAR_REACH HCR__ARCH_NEAR_REACH

/* Maps `size` bytes (page-rounded) read-write, anywhere within
   +-(HCR__NEAR_REACH - size) of every address in [lo, hi), i.e. reachable
   by PC-relative references from that whole range. NULL + msg on failure
   (HCR_EINVAL for an empty or too wide range, HCR_ENOMEM when no gap in
   reach is large enough). The caller mprotects parts to read-only or
   read-execute afterwards. Thread-safe. */
void *hcr__near_map(uintptr_t lo, uintptr_t hi, size_t size, struct hcr__message *msg);

/* Unmaps a mapping from hcr__near_map (same size). NULL is ignored. */
void hcr__near_unmap(void *p, size_t size);

/* The address range [lo, hi) of the loaded image (executable or shared
   library) containing `addr`: from the lowest to the highest byte of its
   PT_LOAD segments, page-rounded. 0, or HCR_ENOENT when `addr` lies in no
   loaded image. */
int hcr__near_image_range(const void *addr, uintptr_t *lo, uintptr_t *hi);

#endif
