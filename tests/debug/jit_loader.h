/*
 * jit_loader.h: a minimal placement of tests/debug/jit_fixture.o for the
 * debug tests: its text sections and .eh_frame copied into near memory,
 * .eh_frame relocated (its only relocations), then registered with
 * hcr__debug_register.
 */
#ifndef HCR_TEST_JIT_LOADER_H
#define HCR_TEST_JIT_LOADER_H

#include "elf/elf_file.h"
#include "object/debug.h"

#include <stddef.h>
#include <stdint.h>

struct jit_loaded {
    void *file;             /* the object's bytes */
    size_t file_size;
    struct hcr__elf elf;
    unsigned char *map;     /* text page(s), then .eh_frame */
    size_t map_size;
    uintptr_t *section_address;
    uintptr_t text_lo, text_hi;
    const void *eh_frame;
    size_t eh_frame_size;
    int (*leaf)(int);
    int (*through)(int (*)(int), int);
    struct hcr__debug_function functions[8];
    size_t nfunctions;
};

/* Loads the object at path; returns 0 or a message on stderr and -1. */
int jit_load(struct jit_loaded *j, const char *path);

/* Registers it; NULL and a message on stderr on failure. */
struct hcr__debug_image *jit_register(struct jit_loaded *j);

#endif
