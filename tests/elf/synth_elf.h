/*
 * synth_elf.h: a relocatable object written by hand, for the reader paths
 * compilers rarely produce: a symbol whose section index is SHN_XINDEX,
 * resolved through a SHT_SYMTAB_SHNDX section. Used by the reader's tests,
 * and the source of fuzz/seeds/fuzz_elf/xindex.o.
 *
 * Sections: [0] null, [1] .text, [2] .symtab, [3] .symtab_shndx,
 * [4] .strtab, [5] .shstrtab. Symbols: [0] null, [1] STT_FILE "synth.c",
 * [2] local function "synth_fn" in .text through SHN_XINDEX.
 */
#ifndef HCR_TEST_SYNTH_ELF_H
#define HCR_TEST_SYNTH_ELF_H

#include <elf.h>
#include <stddef.h>
#include <string.h>

enum { SYNTH_TEXT = 1, SYNTH_SYMTAB, SYNTH_SHNDX, SYNTH_STRTAB, SYNTH_SHSTRTAB, SYNTH_SHNUM };

struct synth_elf {
    _Alignas(8) unsigned char bytes[1024];
    size_t size;
};

static inline Elf64_Shdr *synth_shdr(struct synth_elf *s, size_t i)
{
    return (Elf64_Shdr *)(s->bytes + ((Elf64_Ehdr *)s->bytes)->e_shoff) + i;
}

/* Appends n bytes at an offset aligned to `align`; returns that offset. */
static inline size_t synth_put(struct synth_elf *s, const void *p, size_t n, size_t align)
{
    size_t at = (s->size + align - 1) / align * align;
    memcpy(s->bytes + at, p, n);
    s->size = at + n;
    return at;
}

static inline void synth_build(struct synth_elf *s)
{
    static const unsigned char text[16] = {0xc3};
    static const char strtab[] = "\0synth.c\0synth_fn";
    static const char shstrtab[] = "\0.text\0.symtab\0.symtab_shndx\0.strtab\0.shstrtab";
    const Elf64_Sym syms[3] = {
        {0},
        {.st_name = 1, .st_info = ELF64_ST_INFO(STB_LOCAL, STT_FILE), .st_shndx = SHN_ABS},
        {.st_name = 9,
         .st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC),
         .st_shndx = SHN_XINDEX,
         .st_size = 1},
    };
    const Elf32_Word xindex[3] = {0, 0, SYNTH_TEXT};
    Elf64_Shdr sh[SYNTH_SHNUM];
    Elf64_Ehdr *h = (Elf64_Ehdr *)s->bytes;

    memset(s, 0, sizeof *s);
    memset(sh, 0, sizeof sh);
    s->size = sizeof *h;
    sh[SYNTH_TEXT] = (Elf64_Shdr){.sh_name = 1,
                                  .sh_type = SHT_PROGBITS,
                                  .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
                                  .sh_size = sizeof text,
                                  .sh_addralign = 16};
    sh[SYNTH_TEXT].sh_offset = synth_put(s, text, sizeof text, 16);
    sh[SYNTH_SYMTAB] = (Elf64_Shdr){.sh_name = 7,
                                    .sh_type = SHT_SYMTAB,
                                    .sh_size = sizeof syms,
                                    .sh_link = SYNTH_STRTAB,
                                    .sh_info = 3,
                                    .sh_addralign = 8,
                                    .sh_entsize = sizeof(Elf64_Sym)};
    sh[SYNTH_SYMTAB].sh_offset = synth_put(s, syms, sizeof syms, 8);
    sh[SYNTH_SHNDX] = (Elf64_Shdr){.sh_name = 15,
                                   .sh_type = SHT_SYMTAB_SHNDX,
                                   .sh_size = sizeof xindex,
                                   .sh_link = SYNTH_SYMTAB,
                                   .sh_addralign = 4,
                                   .sh_entsize = sizeof(Elf32_Word)};
    sh[SYNTH_SHNDX].sh_offset = synth_put(s, xindex, sizeof xindex, 4);
    sh[SYNTH_STRTAB] = (Elf64_Shdr){
        .sh_name = 29, .sh_type = SHT_STRTAB, .sh_size = sizeof strtab, .sh_addralign = 1};
    sh[SYNTH_STRTAB].sh_offset = synth_put(s, strtab, sizeof strtab, 1);
    sh[SYNTH_SHSTRTAB] = (Elf64_Shdr){
        .sh_name = 37, .sh_type = SHT_STRTAB, .sh_size = sizeof shstrtab, .sh_addralign = 1};
    sh[SYNTH_SHSTRTAB].sh_offset = synth_put(s, shstrtab, sizeof shstrtab, 1);

    memcpy(h->e_ident, ELFMAG, SELFMAG);
    h->e_ident[EI_CLASS] = ELFCLASS64;
    h->e_ident[EI_DATA] = ELFDATA2LSB;
    h->e_ident[EI_VERSION] = EV_CURRENT;
    h->e_type = ET_REL;
    h->e_machine = EM_X86_64;
    h->e_version = EV_CURRENT;
    h->e_ehsize = sizeof *h;
    h->e_shentsize = sizeof(Elf64_Shdr);
    h->e_shnum = SYNTH_SHNUM;
    h->e_shstrndx = SYNTH_SHSTRTAB;
    h->e_shoff = synth_put(s, sh, sizeof sh, 8);
}

#endif
