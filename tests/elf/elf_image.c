/*
 * elf_image.c: the ELF reader tests' fixtures in memory (see elf_image.h).
 */
#include "elf_image.h"

#include "harness.h"

/* Reads fixture `file` into a fresh malloc'd buffer. */
struct image load(const char *file)
{
    static char path[8][512];
    static int slot;
    struct image im = {0};
    char *p = path[slot++ % 8];
    FILE *f;
    long n;

    snprintf(p, sizeof path[0], "%s/%s", ELF_FIXTURE_DIR, file);
    f = fopen(p, "rb");
    if (!f)
        harness_fail(__FILE__, __LINE__, "cannot open fixture %s", p);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    CHECK(n > 0);
    im.size = (size_t)n;
    im.data = malloc(im.size);
    CHECK(im.data);
    CHECK_EQ(fread(im.data, 1, im.size, f), im.size);
    fclose(f);
    im.name = p;
    return im;
}

/* A private copy of the first `size` bytes of im, in a buffer of exactly
   that size so the sanitizers catch any read past it. */
struct image copy_prefix(struct image im, size_t size)
{
    struct image c = im;
    c.size = size;
    c.data = malloc(size ? size : 1);
    CHECK(c.data);
    memcpy(c.data, im.data, size);
    return c;
}

struct image copy(struct image im)
{
    return copy_prefix(im, im.size);
}

Elf64_Ehdr *ehdr(struct image im)
{
    return (Elf64_Ehdr *)im.data;
}

Elf64_Shdr *shdr(struct image im, size_t i)
{
    return (Elf64_Shdr *)(im.data + ehdr(im)->e_shoff) + i;
}

Elf64_Phdr *phdr(struct image im, size_t i)
{
    return (Elf64_Phdr *)(im.data + ehdr(im)->e_phoff) + i;
}

/* Opens an intact fixture; it must validate. */
struct hcr__elf open_ok(struct image im, unsigned type)
{
    struct hcr__elf elf;
    struct hcr__message msg = {{0}};
    int rc = hcr__elf_open(&elf, im.name, im.data, im.size, EM_X86_64, type, &msg);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "%s: %s: %s", im.name, hcr_error_name(rc), msg.text);
    return elf;
}

/* Opens a damaged image and checks the code, that the message starts with
   the file's name and contains `phrase`, and that nothing was indexed. */
void expect_reject_at(const char *file, int line, struct image im, unsigned type, int code,
                      const char *phrase)
{
    struct hcr__elf elf;
    struct hcr__message msg = {{0}};
    int rc = hcr__elf_open(&elf, im.name, im.data, im.size, EM_X86_64, type, &msg);
    if (rc != code)
        harness_fail(file, line, "expected %s, got %s: \"%s\"", hcr_error_name(code),
                     hcr_error_name(rc), msg.text);
    if (strncmp(msg.text, im.name, strlen(im.name)) != 0 || !strstr(msg.text, phrase))
        harness_fail(file, line, "message \"%s\" should start with \"%s\" and contain \"%s\"",
                     msg.text, im.name, phrase);
    CHECK(elf.shdrs == NULL && elf.syms == NULL && elf.dynsyms == NULL && elf.ehdr == NULL);
    CHECK(elf.name == im.name);
}

/* Index of the first .symtab symbol named `name`, or 0. */
size_t find_sym(const struct hcr__elf *elf, const char *name)
{
    for (size_t i = 1; i < elf->nsyms; i++)
        if (strcmp(hcr__elf_sym_name(elf, &elf->syms[i]), name) == 0)
            return i;
    return 0;
}

size_t find_dynsym(const struct hcr__elf *elf, const char *name)
{
    for (size_t i = 1; i < elf->ndynsyms; i++)
        if (strcmp(hcr__elf_dynsym_name(elf, &elf->dynsyms[i]), name) == 0)
            return i;
    return 0;
}

/* Section index of `name` in an intact image. */
size_t section_of(struct image im, const char *name)
{
    struct hcr__elf elf = open_ok(im, 0);
    size_t i = hcr__elf_find_section(&elf, name);
    if (i == 0)
        harness_fail(__FILE__, __LINE__, "%s has no section %s", im.name, name);
    return i;
}
