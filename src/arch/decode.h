/*
 * decode.h: what the machine says about a reference in an object's code
 * (implemented in src/arch/<arch>/decode.c, with an instruction decoder
 * from a library made for it: Zydis on x86-64).
 */
#ifndef HCR_ARCH_DECODE_H
#define HCR_ARCH_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Whether relocation `type` is relative to the place it is applied at. */
int hcr__arch_reloc_is_pc_relative(uint32_t type);

/* The offset, from its symbol, of what relocation `type` at `place` with
   `addend` refers to: the addend for an absolute relocation; for a
   PC-relative one in code (`code`, `code_size` bytes, holding an
   instruction boundary at `start`, such as the start of the enclosing
   function), the addend corrected by the distance from the field to the
   end of its instruction. 0, or HCR_ENOTSUP when the instruction cannot
   be decoded or the field is not its displacement. */
int hcr__arch_reloc_target(uint32_t type, const unsigned char *code, size_t code_size,
                           size_t start, uint64_t place, int64_t addend, int64_t *target);

#endif
