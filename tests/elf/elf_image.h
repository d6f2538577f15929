/*
 * elf_image.h: what the ELF reader's tests share (elf_image.c): fixtures
 * of tests/elf/fixtures read into memory, private copies to damage, the
 * headers of a copy, and opening one that must validate or must be
 * rejected with a given code and phrase.
 */
#ifndef HCR_TEST_ELF_IMAGE_H
#define HCR_TEST_ELF_IMAGE_H

#include "elf/elf_file.h"

#include <stddef.h>

/* An ELF file in memory, under the name its messages must start with. */
struct image {
    unsigned char *data;
    size_t size;
    const char *name;
};

/* Reads fixture `file` into a fresh malloc'd buffer. */
struct image load(const char *file);
/* A private copy of the first `size` bytes of im, in a buffer of exactly
   that size so the sanitizers catch any read past it. */
struct image copy_prefix(struct image im, size_t size);
struct image copy(struct image im);

Elf64_Ehdr *ehdr(struct image im);
Elf64_Shdr *shdr(struct image im, size_t i);
Elf64_Phdr *phdr(struct image im, size_t i);

/* Opens an intact image; it must validate. */
struct hcr__elf open_ok(struct image im, unsigned type);

/* Opens a damaged image and checks the code, that the message starts with
   the file's name and contains `phrase`, and that nothing was indexed;
   a failure is reported at the caller's file and line. */
void expect_reject_at(const char *file, int line, struct image im, unsigned type, int code,
                      const char *phrase);
#define expect_reject(...) expect_reject_at(__FILE__, __LINE__, __VA_ARGS__)

/* Index of the first .symtab (.dynsym) symbol named `name`, or 0. */
size_t find_sym(const struct hcr__elf *elf, const char *name);
size_t find_dynsym(const struct hcr__elf *elf, const char *name);

/* Section index of `name` in an intact image. */
size_t section_of(struct image im, const char *name);

#endif
