/*
 * fuzz_object_link.c: libFuzzer target for the object linker. Every input
 * that the ELF reader accepts as an x86-64 relocatable object is linked
 * into a sandbox (hcr__link with no process: every symbol is new, undefined
 * ones point into the mapping, nothing of the running process is bound or
 * patched), then unmapped. The sanitizers catch any write or read the
 * linker's own checks failed to bound.
 */
#include "arch/reloc.h"
#include "elf/elf_file.h"
#include "object/link.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uintptr_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hcr__elf elf;
    struct hcr__message msg;
    if (hcr__elf_open(&elf, "fuzz.o", data, size, hcr__arch_machine(), ET_REL, &msg) < 0)
        return 0;
    struct hcr__linked linked;
    if (hcr__link(&linked, &elf, "fuzz.o", NULL, &msg) < 0)
        return 0;
    /* Every function the linker reports must lie in its executable part. */
    for (size_t i = 0; i < linked.nfunctions; i++) {
        uintptr_t entry = linked.functions[i].entry;
        if (entry < (uintptr_t)linked.base || entry > (uintptr_t)linked.base + linked.size)
            abort();
        sink += entry;
    }
    hcr__link_discard(&linked);
    return 0;
}
