/*
 * reloc.h: the architecture's part of the object linker. The generic linker
 * (src/object/link.c) asks what a relocation type needs (a GOT entry, a TLS
 * descriptor pair, a PLT stub for a far call), computes the values of the
 * psABI formula (S, A, P, G, L, Z, TLS offsets) and hands them here; the
 * architecture file does the arithmetic and the range-checked write. A new
 * architecture is a new file implementing this header, not a new #if.
 */
#ifndef HCR_ARCH_RELOC_H
#define HCR_ARCH_RELOC_H

#include "arch_facts.h" /* HCR__ARCH_PLT_SIZE, hcr__arch_fits_pc32 */

#include <stddef.h>
#include <stdint.h>

/* What a relocation type needs the linker to build before it is applied. */
enum hcr__reloc_need {
    HCR__NEED_NONE,      /* only the symbol's address (or nothing) */
    HCR__NEED_GOT,       /* an 8-byte GOT entry holding the symbol's address */
    HCR__NEED_GOT_TPOFF, /* an 8-byte GOT entry holding its thread-pointer offset */
    HCR__NEED_TLSGD,     /* a 16-byte (module, offset) pair for __tls_get_addr */
    HCR__NEED_TLSLD,     /* a 16-byte (module, 0) pair for the object's module */
    HCR__NEED_PLT,       /* a call: a stub through a GOT entry if the target is far */
    HCR__NEED_TLS_OFFSET /* the symbol's offset in its module's TLS block */
};

/* The inputs of one relocation formula, all as run-time addresses. */
struct hcr__reloc_value {
    uint64_t S;      /* symbol address */
    int64_t A;       /* addend */
    uint64_t P;      /* address of the place being relocated */
    uint64_t G;      /* address of the GOT entry or TLS pair, if needed */
    uint64_t L;      /* call target: the PLT stub if any, else S */
    uint64_t Z;      /* symbol size */
    int64_t tpoff;   /* TLS: offset from the thread pointer (static TLS only) */
    int64_t dtpoff;  /* TLS: offset inside the module's TLS block */
};

/* The ELF e_machine value objects must have. */
unsigned hcr__arch_machine(void);

/* Whether `shndx`, a reserved section index (SHN_LORESERVE and up) in a
   file of this machine, marks a common symbol of the machine's own kind,
   which the ELF reader accepts beside SHN_COMMON (x86-64: the large code
   model's SHN_X86_64_LCOMMON). 0 for every index on a machine without. */
int hcr__arch_is_large_common(size_t shndx);

/* The psABI's name of relocation type `type`, or NULL if hcr does not
   support it. */
const char *hcr__arch_reloc_name(uint32_t type);

/* What `type` needs. 0, or HCR_ERELOC for an unsupported type. */
int hcr__arch_reloc_need(uint32_t type, enum hcr__reloc_need *need);

/* Applies relocation `type` at `loc` (the linker's writable view of P), of
   which `room` bytes belong to the section. 0; HCR_ERANGE if the value does
   not fit the field; HCR_ETRUNC if the field passes the end of the section;
   HCR_ERELOC for an unsupported type. Nothing is written on failure. */
int hcr__arch_reloc_apply(unsigned char *loc, size_t room, uint32_t type,
                          const struct hcr__reloc_value *v);

/* Writes at `stub` (run-time address stub_addr) a jump through the 8-byte
   GOT entry at got_entry; both must be within 2 GiB of each other. */
void hcr__arch_plt_write(unsigned char *stub, uint64_t stub_addr, uint64_t got_entry);

/* The calling thread's thread pointer (the TLS base static offsets are
   relative to). */
uintptr_t hcr__arch_thread_pointer(void);

#endif
