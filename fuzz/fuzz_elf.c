/*
 * fuzz_elf.c: libFuzzer target for the ELF reader. Every input is opened
 * as a relocatable object and as a shared object for x86-64; whenever
 * hcr__elf_open accepts it, every accessor is called on every section,
 * symbol, relocation, group and segment, and every byte they hand out is
 * read, so the sanitizers see any read the validation failed to bound.
 * Inconsistencies between accessors (a pointer outside the input, a
 * section index out of range, two answers for the same question) abort.
 */
#include "arch/reloc.h"
#include "elf/elf_file.h"
#include "plugin/plugin_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink;

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* Reads every byte of [p, p + n), which must lie inside the input. */
static void touch(const struct hcr__elf *elf, const void *p, size_t n)
{
    const unsigned char *b = p;
    unsigned sum = 0;

    REQUIRE(b >= elf->data && n <= elf->size && (size_t)(b - elf->data) <= elf->size - n);
    for (size_t i = 0; i < n; i++)
        sum += b[i];
    sink += sum;
}

/* Reads a string handed out by the reader, NUL included. */
static void touch_string(const struct hcr__elf *elf, const char *s)
{
    REQUIRE(s != NULL);
    if (*s == '\0')
        return; /* "" may be a literal of the reader, not part of the input */
    touch(elf, s, strlen(s) + 1);
}

/* A section index a symbol may carry after SHN_XINDEX is resolved. */
static void check_shndx(const struct hcr__elf *elf, size_t shndx)
{
    REQUIRE(shndx < elf->shnum || shndx == SHN_ABS || shndx == SHN_COMMON ||
            hcr__arch_is_large_common(shndx));
}

static void walk_symbols(const struct hcr__elf *elf)
{
    struct hcr__elf_sym_walk walk = {0};
    const char **files = NULL;
    const Elf64_Sym *sym;
    size_t steps = 0;

    if (elf->nsyms) {
        files = calloc(elf->nsyms, sizeof *files);
        REQUIRE(files != NULL);
        hcr__elf_sym_files(elf, files);
    }
    while ((sym = hcr__elf_sym_next(elf, &walk)) != NULL) {
        REQUIRE(walk.index == steps && sym == &elf->syms[steps]);
        steps++;
        touch(elf, sym, sizeof *sym);
        touch_string(elf, hcr__elf_sym_name(elf, sym));
        check_shndx(elf, hcr__elf_sym_shndx(elf, walk.index));
        REQUIRE(walk.file == files[walk.index]);
        /* The backwards scan is O(n): compare it on a sample only. */
        if (walk.index % 61 == 0 || walk.index + 1 == elf->nsyms)
            REQUIRE(walk.file == hcr__elf_sym_file(elf, walk.index));
        if (walk.file)
            touch_string(elf, walk.file);
    }
    REQUIRE(steps == elf->nsyms);
    REQUIRE(hcr__elf_sym_file(elf, elf->nsyms) == NULL);
    REQUIRE(hcr__elf_sym_shndx(elf, elf->nsyms) == SHN_UNDEF);
    free(files);

    for (size_t i = 0; i < elf->ndynsyms; i++) {
        touch(elf, &elf->dynsyms[i], sizeof elf->dynsyms[i]);
        touch_string(elf, hcr__elf_dynsym_name(elf, &elf->dynsyms[i]));
        check_shndx(elf, hcr__elf_dynsym_shndx(elf, i));
    }
    REQUIRE(hcr__elf_dynsym_shndx(elf, elf->ndynsyms) == SHN_UNDEF);
}

/* Relocations of section i: entries, their symbols and names. */
static void walk_rela(const struct hcr__elf *elf, size_t i)
{
    size_t count;
    const Elf64_Rela *r = hcr__elf_rela(elf, i, &count);
    const Elf64_Shdr *sh = &elf->shdrs[i];

    if (!r) {
        REQUIRE(count == 0 && sh->sh_type != SHT_RELA);
        return;
    }
    REQUIRE(sh->sh_type == SHT_RELA);
    touch(elf, r, count * sizeof *r);
    for (size_t k = 0; k < count; k++) {
        size_t s = ELF64_R_SYM(r[k].r_info);
        if (sh->sh_link == 0) {
            REQUIRE(s == 0);
        } else if (sh->sh_link == elf->symtab_shndx) {
            REQUIRE(s < elf->nsyms);
            touch_string(elf, hcr__elf_sym_name(elf, &elf->syms[s]));
            touch_string(elf, hcr__elf_section_name(elf, hcr__elf_sym_shndx(elf, s)));
        } else {
            REQUIRE(sh->sh_link == elf->dynsym_shndx && s < elf->ndynsyms);
            touch_string(elf, hcr__elf_dynsym_name(elf, &elf->dynsyms[s]));
        }
    }
    REQUIRE(sh->sh_info < elf->shnum);
}

static void walk_sections(const struct hcr__elf *elf)
{
    for (size_t i = 0; i <= elf->shnum; i++) {
        const char *name = hcr__elf_section_name(elf, i);
        size_t size, count, found;
        const void *p = hcr__elf_section_data(elf, i, &size);
        const Elf32_Word *members;
        Elf32_Word flags;

        touch_string(elf, name);
        found = hcr__elf_find_section(elf, name);
        REQUIRE(found == 0 || found < elf->shnum);
        REQUIRE(strcmp(hcr__elf_section_name(elf, found), name) == 0 || found == 0);
        if (p)
            touch(elf, p, size);
        if (i == elf->shnum) {
            REQUIRE(p == NULL && size == 0 && *name == '\0');
            REQUIRE(hcr__elf_rela(elf, i, &count) == NULL && count == 0);
            REQUIRE(hcr__elf_group(elf, i, &count, &flags) == NULL && count == 0);
            break;
        }
        walk_rela(elf, i);
        members = hcr__elf_group(elf, i, &count, &flags);
        if (members) {
            touch(elf, members, count * sizeof *members);
            for (size_t k = 0; k < count; k++) {
                REQUIRE(members[k] != 0 && members[k] < elf->shnum);
                touch_string(elf, hcr__elf_section_name(elf, members[k]));
            }
        }
    }
}

static void walk_segments(const struct hcr__elf *elf)
{
    if (elf->phnum)
        touch(elf, elf->phdrs, elf->phnum * sizeof *elf->phdrs);
    for (size_t i = 0; i < elf->phnum; i++) {
        const Elf64_Phdr *p = &elf->phdrs[i];
        if (p->p_type == PT_NULL)
            continue;
        REQUIRE(p->p_filesz <= p->p_memsz);
        touch(elf, elf->data + p->p_offset, p->p_filesz);
    }
}

/* Where plugin mode would move the dynamic section of this image: inside
   the file, after a read-only segment's end, in its last page, over no
   header, segment or section. */
static void check_dynamic_move(const struct hcr__elf *elf)
{
    struct hcr__dynamic_move move;
    if (!hcr__dynamic_move_plan(elf, 4096, &move))
        return;
    REQUIRE(move.dynamic < elf->phnum && move.host < elf->phnum);
    const Elf64_Phdr *dyn = &elf->phdrs[move.dynamic], *host = &elf->phdrs[move.host];
    REQUIRE(dyn->p_type == PT_DYNAMIC && host->p_type == PT_LOAD && !(host->p_flags & PF_W));
    REQUIRE(move.offset >= host->p_offset + host->p_filesz && move.offset % 8 == 0);
    REQUIRE(move.offset <= elf->size && dyn->p_filesz <= elf->size - move.offset);
    REQUIRE((move.offset + dyn->p_filesz - 1) / 4096 == (host->p_offset + host->p_filesz) / 4096);
    REQUIRE(move.vaddr - host->p_vaddr == move.offset - host->p_offset);
    for (size_t i = 0; i < elf->shnum; i++) {
        const Elf64_Shdr *sh = &elf->shdrs[i];
        REQUIRE(sh->sh_type == SHT_NOBITS || sh->sh_size == 0 ||
                sh->sh_offset >= move.offset + dyn->p_filesz ||
                sh->sh_offset + sh->sh_size <= move.offset);
    }
    for (size_t i = 0; i < elf->phnum; i++) {
        const Elf64_Phdr *ph = &elf->phdrs[i];
        if (ph->p_type != PT_LOAD || ph->p_offset > elf->size || ph->p_filesz > elf->size - ph->p_offset)
            continue;
        REQUIRE(ph->p_filesz == 0 || ph->p_offset >= move.offset + dyn->p_filesz ||
                ph->p_offset + ph->p_filesz <= move.offset);
    }
    touch(elf, elf->data + dyn->p_offset, dyn->p_filesz); /* what the move copies */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned types[] = {ET_REL, ET_DYN};
    void *copy = NULL;

    /* The reader wants 8-byte aligned bytes, as malloc and mmap give. */
    if ((uintptr_t)data % 8 != 0) {
        copy = malloc(size ? size : 1);
        REQUIRE(copy != NULL);
        memcpy(copy, data, size);
        data = copy;
    }
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        struct hcr__elf elf;
        struct hcr__message msg;
        int rc = hcr__elf_open(&elf, "input", data, size, hcr__arch_machine(), types[t], &msg);

        if (rc < 0) {
            REQUIRE(strncmp(msg.text, "input: ", 7) == 0);
            REQUIRE(elf.shdrs == NULL && elf.syms == NULL && elf.dynsyms == NULL);
            continue;
        }
        REQUIRE(rc == 0 && elf.ehdr->e_type == types[t]);
        touch(&elf, elf.ehdr, sizeof *elf.ehdr);
        if (elf.shnum)
            touch(&elf, elf.shdrs, elf.shnum * sizeof *elf.shdrs);
        walk_sections(&elf);
        walk_symbols(&elf);
        walk_segments(&elf);
        check_dynamic_move(&elf);
    }
    free(copy);
    return 0;
}
