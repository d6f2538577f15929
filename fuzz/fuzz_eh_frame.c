/*
 * fuzz_eh_frame.c: the .eh_frame walk of object mode's unwinder
 * registration (src/object/debug_unwind.c), which parses CIEs and FDEs that
 * no other stage checks. The input is an ELF object whose .eh_frame is
 * walked, or, if it is not one, raw .eh_frame bytes. The walk must never
 * read or write outside the section, whatever the bytes.
 */
#include "elf/elf_file.h"
#include "object/debug_parts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hcr__elf elf;
    struct hcr__message msg;
    const void *frames = data;
    size_t frames_size = size;
    if (hcr__elf_open(&elf, "fuzz.o", data, size, 0, 0, &msg) == 0) {
        size_t i = hcr__elf_find_section(&elf, ".eh_frame");
        const void *section = i ? hcr__elf_section_data(&elf, i, &frames_size) : NULL;
        if (!section)
            return 0;
        frames = section;
    }
    /* An exact-size copy, so the sanitizer sees any write past the end. */
    unsigned char *src = malloc(frames_size ? frames_size : 1);
    unsigned char *dst = malloc(frames_size ? frames_size : 1);
    if (src && dst) {
        memcpy(src, frames, frames_size);
        /* Near and far moves: the far one overflows every 4-byte pointer. */
        hcr__debug_frames_copy("fuzz.o", src, dst, frames_size, 4096, &msg);
        hcr__debug_frames_copy("fuzz.o", src, dst, frames_size, (intptr_t)1 << 40, &msg);
    }
    free(src);
    free(dst);
    return 0;
}
