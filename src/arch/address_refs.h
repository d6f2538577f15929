/*
 * address_refs.h: which instructions of a stretch of machine code refer to
 * a range of data addresses, and how (implemented in
 * src/arch/<arch>/address_refs.c). Object mode asks it before moving a
 * variable to new storage: code that only loads and stores the variable
 * names it afresh at every access and follows the reload; code that takes
 * its address may have kept that address somewhere the reload cannot see.
 */
#ifndef HCR_ARCH_ADDRESS_REFS_H
#define HCR_ARCH_ADDRESS_REFS_H

#include <stddef.h>
#include <stdint.h>

enum hcr__ref_kind {
    HCR__REF_ACCESS,  /* a load or store through the address (an index included) */
    HCR__REF_ADDRESS, /* the address itself becomes a value: lea, an immediate,
                         or a load of a pointer word (a GOT slot) that holds it */
    HCR__REF_RETURNED, /* an lea whose register, only dereferenced, still holds
                          the address at the function's return, in a register
                          that returns values: an access if the function
                          returns nothing, which only debug information says */
};

/* Called per referring instruction at run-time address pc, with the
   address in the range it refers to. Non-zero stops the scan and is
   returned. */
typedef int (*hcr__ref_fn)(void *user, uintptr_t pc, uintptr_t target, enum hcr__ref_kind kind);

/* Reads the 8-byte word at address, for the pointer-load rule: 1 and
   *word, or 0 when the address is not readable. */
typedef int (*hcr__ref_read_fn)(void *user, uintptr_t address, uint64_t *word);

/* Decodes code[0..size), which runs at `runtime`, instruction by
   instruction from its first byte (a byte that does not decode is
   skipped), and reports each instruction that refers to [lo, hi). read may
   be NULL (no pointer-load rule). 0, or found's first non-zero return. */
int hcr__arch_scan_refs(const unsigned char *code, size_t size, uintptr_t runtime, uintptr_t lo,
                        uintptr_t hi, hcr__ref_fn found, hcr__ref_read_fn read, void *user);

#endif
