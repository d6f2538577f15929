/*
 * jit_loader.c: see jit_loader.h. Test code: it trusts the fixture beyond
 * what the ELF reader checks, and reports problems on stderr.
 */
#include "jit_loader.h"

#include "object/near_memory.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "jit_load: %s\n", what);
    return -1;
}

int jit_load(struct jit_loaded *j, const char *path)
{
    memset(j, 0, sizeof *j);
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return fail("cannot open the fixture");
    j->file_size = (size_t)st.st_size;
    j->file = malloc(j->file_size);
    if (!j->file || read(fd, j->file, j->file_size) != (ssize_t)j->file_size)
        return fail("cannot read the fixture");
    close(fd);
    struct hcr__message msg = {{0}};
    if (hcr__elf_open(&j->elf, path, j->file, j->file_size, EM_X86_64, ET_REL, &msg) < 0)
        return fail(msg.text);
    const struct hcr__elf *elf = &j->elf;
    j->section_address = calloc(elf->shnum, sizeof *j->section_address);

    /* Text sections at 16-byte alignment from the start, .eh_frame on the
       next page. */
    size_t text = 0, eh_index = 0;
    for (size_t i = 1; i < elf->shnum; i++) {
        if (elf->shdrs[i].sh_flags & SHF_EXECINSTR)
            text = ((text + 15) & ~(size_t)15) + elf->shdrs[i].sh_size;
        if (!strcmp(hcr__elf_section_name(elf, i), ".eh_frame"))
            eh_index = i;
    }
    if (!eh_index)
        return fail("no .eh_frame");
    size_t text_pages = (text + 4095) & ~(size_t)4095;
    j->map_size = text_pages + ((elf->shdrs[eh_index].sh_size + 4095) & ~(size_t)4095);
    uintptr_t lo, hi;
    if (hcr__near_image_range((const void *)jit_load, &lo, &hi) < 0)
        return fail("no image");
    j->map = hcr__near_map(lo, hi, j->map_size, &msg);
    if (!j->map)
        return fail(msg.text);
    size_t at = 0;
    for (size_t i = 1; i < elf->shnum; i++) {
        if (!(elf->shdrs[i].sh_flags & SHF_EXECINSTR))
            continue;
        at = (at + 15) & ~(size_t)15;
        size_t size;
        const void *data = hcr__elf_section_data(elf, i, &size);
        memcpy(j->map + at, data, size);
        j->section_address[i] = (uintptr_t)(j->map + at);
        at += size;
    }
    j->text_lo = (uintptr_t)j->map;
    j->text_hi = (uintptr_t)j->map + at;
    size_t eh_size;
    const void *eh = hcr__elf_section_data(elf, eh_index, &eh_size);
    unsigned char *eh_copy = j->map + text_pages;
    memcpy(eh_copy, eh, eh_size);
    j->section_address[eh_index] = (uintptr_t)eh_copy;
    j->eh_frame = eh_copy;
    j->eh_frame_size = eh_size;

    /* Relocations: the text must have none; .eh_frame has PC32 against
       the text sections. */
    for (size_t i = 1; i < elf->shnum; i++) {
        size_t count;
        const Elf64_Rela *rela = hcr__elf_rela(elf, i, &count);
        if (!rela)
            continue;
        size_t target = elf->shdrs[i].sh_info;
        if (elf->shdrs[target].sh_flags & SHF_EXECINSTR)
            return fail("the fixture's text has relocations");
        if (target != eh_index)
            continue;
        for (size_t r = 0; r < count; r++) {
            if (ELF64_R_TYPE(rela[r].r_info) != R_X86_64_PC32)
                return fail("unexpected relocation in .eh_frame");
            size_t sym = ELF64_R_SYM(rela[r].r_info);
            size_t shndx = hcr__elf_sym_shndx(elf, sym);
            if (shndx >= elf->shnum || !j->section_address[shndx])
                return fail(".eh_frame refers to a section not loaded");
            uintptr_t s = j->section_address[shndx] + elf->syms[sym].st_value;
            uintptr_t p = (uintptr_t)eh_copy + rela[r].r_offset;
            int32_t v = (int32_t)(s + (uintptr_t)rela[r].r_addend - p);
            memcpy(eh_copy + rela[r].r_offset, &v, 4);
        }
    }
    if (mprotect(j->map, text_pages, PROT_READ | PROT_EXEC) != 0 ||
        mprotect(eh_copy, j->map_size - text_pages, PROT_READ) != 0)
        return fail("mprotect");

    for (size_t k = 0; k < elf->nsyms; k++) {
        const Elf64_Sym *s = &elf->syms[k];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || j->nfunctions == 8)
            continue;
        size_t shndx = hcr__elf_sym_shndx(elf, k);
        uintptr_t address = j->section_address[shndx] + s->st_value;
        const char *name = hcr__elf_sym_name(elf, s);
        j->functions[j->nfunctions++] = (struct hcr__debug_function){name, address, s->st_size};
        if (!strcmp(name, "jit_fixture_leaf"))
            j->leaf = (int (*)(int))address;
        if (!strcmp(name, "jit_fixture_through"))
            j->through = (int (*)(int (*)(int), int))address;
    }
    if (!j->leaf || !j->through)
        return fail("fixture functions not found");
    return 0;
}

struct hcr__debug_image *jit_register(struct jit_loaded *j)
{
    struct hcr__message msg = {{0}};
    struct hcr__debug_image *image =
        hcr__debug_register("jit_fixture.o", &j->elf, j->section_address, j->functions,
                            j->nfunctions, j->eh_frame, j->eh_frame_size, NULL, &msg);
    if (!image)
        fprintf(stderr, "jit_register: %s\n", msg.text);
    return image;
}
