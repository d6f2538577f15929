/* The ELF reader on damaged files: each kind of corruption of an intact
   fixture (tests/elf/fixtures), made in memory on a copy (header sizes,
   section names and links, string and symbol tables, relocations, groups,
   segments, the section table's own fields), is rejected with its code
   and a message that starts with the file's name and says what is wrong.
   Truncation is tested in test_elf_reader.c. */
#include "arch/reloc.h"
#include "elf_image.h"
#include "harness.h"

#include <stdint.h>

/* ---- corruption ------------------------------------------------------- */

TEST(bad_header_sizes)
{
    struct image im = copy(load("libfix.so"));

    ehdr(im)->e_shentsize = 32;
    expect_reject(im, ET_DYN, HCR_ECORRUPT, "e_shentsize is 32");
    ehdr(im)->e_shentsize = sizeof(Elf64_Shdr);
    ehdr(im)->e_ehsize = 52;
    expect_reject(im, ET_DYN, HCR_ECORRUPT, "e_ehsize");
    ehdr(im)->e_ehsize = sizeof(Elf64_Ehdr);
    ehdr(im)->e_phentsize = 32;
    expect_reject(im, ET_DYN, HCR_ECORRUPT, "e_phentsize");
    ehdr(im)->e_phentsize = sizeof(Elf64_Phdr);
    ehdr(im)->e_shoff += 4;
    expect_reject(im, ET_DYN, HCR_ECORRUPT, "section header table at offset");
}

TEST(bad_shstrndx)
{
    struct image im = copy(load("fix_a.o"));
    size_t n = ehdr(im)->e_shnum;

    ehdr(im)->e_shstrndx = (Elf64_Half)n;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "(section name table) is not a section");
    ehdr(im)->e_shstrndx = (Elf64_Half)section_of(load("fix_a.o"), ".text");
    expect_reject(im, ET_REL, HCR_ECORRUPT, "not a string table");
    ehdr(im)->e_shstrndx = SHN_LORESERVE + 1;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "reserved");
}

TEST(bad_section_name_offset)
{
    struct image im = copy(load("fix_a.o"));
    size_t names = ehdr(im)->e_shstrndx;

    shdr(im, 2)->sh_name = (Elf64_Word)shdr(im, names)->sh_size;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "name offset");
}

/* Section 0 is never named: its sh_name is not checked, so it must not be
   read (found by fuzzing). */
TEST(section_zero_has_no_name)
{
    struct image im = copy(load("fix_a.o"));
    struct hcr__elf elf;

    shdr(im, 0)->sh_name = 0x7fffffff;
    elf = open_ok(im, ET_REL);
    CHECK(strcmp(hcr__elf_section_name(&elf, 0), "") == 0);
}

TEST(bad_sh_link)
{
    struct image im = copy(load("fix_a.o"));
    size_t symtab = section_of(im, ".symtab");
    size_t text = section_of(im, ".text");

    shdr(im, symtab)->sh_link = ehdr(im)->e_shnum;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "section .symtab has sh_link");
    shdr(im, symtab)->sh_link = (Elf64_Word)text;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "not a string table");
    shdr(im, symtab)->sh_link = 0;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "not a string table");
}

TEST(bad_sh_info_link_flag)
{
    struct image im = copy(load("fix_a.o"));
    size_t rela = section_of(im, ".rela.text");

    CHECK(shdr(im, rela)->sh_flags & SHF_INFO_LINK);
    shdr(im, rela)->sh_info = ehdr(im)->e_shnum;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "sh_info");
}

TEST(unterminated_string_table)
{
    struct image im = copy(load("fix_a.o"));
    size_t strtab = section_of(im, ".strtab");
    Elf64_Shdr *sh = shdr(im, strtab);

    im.data[sh->sh_offset + sh->sh_size - 1] = 'x';
    expect_reject(im, ET_REL, HCR_ECORRUPT,
                  "is not NUL-terminated"); /* clang: .strtab also names sections */
    im = copy(load("fix_a.o"));
    sh = shdr(im, ehdr(im)->e_shstrndx);
    im.data[sh->sh_offset + sh->sh_size - 1] = 'x';
    expect_reject(im, ET_REL, HCR_ECORRUPT, "NUL-terminated");
}

TEST(symbol_name_out_of_range)
{
    struct image im = copy(load("fix_a.o"));
    struct hcr__elf elf = open_ok(im, ET_REL);
    Elf64_Sym *syms = (Elf64_Sym *)elf.syms;

    syms[elf.nsyms - 1].st_name = (Elf64_Word)elf.strtab_size;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "name offset");
}

TEST(bad_symbol_section_index)
{
    struct image im = copy(load("fix_a.o"));
    struct hcr__elf elf = open_ok(im, ET_REL);
    Elf64_Sym *sym = (Elf64_Sym *)&elf.syms[find_sym(&elf, "fix_a_function")];

    sym->st_shndx = (Elf64_Half)elf.shnum;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "(fix_a_function) of section .symtab is in section");
    sym->st_shndx = SHN_XINDEX;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "SHN_XINDEX");
    sym->st_shndx = SHN_HIPROC;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "reserved section index");
    sym->st_shndx = (Elf64_Half)section_of(load("fix_a.o"), ".text");
    sym->st_value = shdr(im, sym->st_shndx)->sh_size + 1;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "(fix_a_function) of section .symtab is at offset");
    sym->st_shndx = SHN_ABS;
    CHECK_EQ(hcr__elf_open(&elf, im.name, im.data, im.size, EM_X86_64, ET_REL, NULL), 0);
    sym->st_shndx = SHN_COMMON;
    CHECK_EQ(hcr__elf_open(&elf, im.name, im.data, im.size, EM_X86_64, ET_REL, NULL), 0);
}

/* The machine's own common index (arch/reloc.h), where it has one: a
   symbol may carry it in a file of this machine, and in no other. */
TEST(machine_common_index_only_for_its_machine)
{
    size_t large_common = 0;
    for (size_t i = SHN_LORESERVE; i <= SHN_HIRESERVE && !large_common; i++)
        if (hcr__arch_is_large_common(i))
            large_common = i;
    if (!large_common)
        return; /* this machine has none */
    struct image im = copy(load("fix_a.o"));
    struct hcr__elf elf = open_ok(im, ET_REL);
    Elf64_Sym *sym = (Elf64_Sym *)&elf.syms[find_sym(&elf, "fix_a_function")];
    sym->st_shndx = (Elf64_Half)large_common;
    elf = open_ok(im, ET_REL);
    CHECK_EQ(hcr__elf_sym_shndx(&elf, find_sym(&elf, "fix_a_function")), large_common);

    struct hcr__message msg = {{0}};
    ehdr(im)->e_machine = (Elf64_Half)(hcr__arch_machine() + 1);
    CHECK_EQ(hcr__elf_open(&elf, im.name, im.data, im.size, 0, ET_REL, &msg), HCR_ECORRUPT);
    CHECK_STR_HAS(msg.text, "reserved section index");
}

TEST(bad_dynamic_symbol)
{
    struct image im = copy(load("libfix_stripped.so"));
    struct hcr__elf elf = open_ok(im, ET_DYN);
    Elf64_Sym *sym = (Elf64_Sym *)&elf.dynsyms[find_dynsym(&elf, "fix_b_bump")];

    sym->st_shndx = 0xfff0;
    expect_reject(im, ET_DYN, HCR_ECORRUPT, "section .dynsym has the reserved section index");
    sym->st_shndx = 1;
    sym->st_name = (Elf64_Word)elf.dynstr_size + 100;
    expect_reject(im, ET_DYN, HCR_ECORRUPT, "name offset");
}

TEST(bad_symbol_table_shape)
{
    struct image im = copy(load("fix_a.o"));
    size_t symtab = section_of(im, ".symtab");
    Elf64_Shdr *sh = shdr(im, symtab);

    sh->sh_entsize = 16;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "entry size 16");
    sh->sh_entsize = sizeof(Elf64_Sym);
    sh->sh_size -= 4;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "not a multiple");
    sh->sh_size -= 20;
    sh->sh_offset += 4;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "not 8-byte aligned");
    sh->sh_offset -= 4;
    sh->sh_info = (Elf64_Word)(sh->sh_size / sizeof(Elf64_Sym) + 1);
    expect_reject(im, ET_REL, HCR_ECORRUPT, "local symbols");
}

TEST(rela_symbol_out_of_range)
{
    struct image im = copy(load("fix_a.o"));
    struct hcr__elf elf = open_ok(im, ET_REL);
    size_t rela = hcr__elf_find_section(&elf, ".rela.text"), count;
    Elf64_Rela *r = (Elf64_Rela *)hcr__elf_rela(&elf, rela, &count);
    Elf64_Xword info = r[count - 1].r_info;

    r[count - 1].r_info = ELF64_R_INFO(elf.nsyms, ELF64_R_TYPE(info));
    expect_reject(im, ET_REL, HCR_ECORRUPT, "refers to symbol");
    r[count - 1].r_info = info;
    r[count - 1].r_offset = elf.shdrs[elf.shdrs[rela].sh_info].sh_size;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "past the end of section .text");
}

TEST(rela_shape_and_links)
{
    struct image im = copy(load("fix_a.o"));
    size_t rela = section_of(im, ".rela.text");
    size_t text = section_of(im, ".text");
    size_t symtab = section_of(im, ".symtab");
    Elf64_Shdr *sh = shdr(im, rela);

    sh->sh_entsize = sizeof(Elf64_Rel);
    expect_reject(im, ET_REL, HCR_ECORRUPT, "entry size");
    sh->sh_entsize = sizeof(Elf64_Rela);
    sh->sh_link = (Elf64_Word)text;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "not a symbol table");
    sh->sh_link = 0;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "refers to symbol");
    sh->sh_link = (Elf64_Word)symtab;
    sh->sh_info = 0;
    sh->sh_flags &= ~(Elf64_Xword)SHF_INFO_LINK;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "applies to section 0");
    sh->sh_info = ehdr(im)->e_shnum;
    expect_reject(im, ET_REL, HCR_ECORRUPT,
                  "sections"); /* "applies to section N, the file has N sections" */
    expect_reject(im, ET_REL, HCR_ECORRUPT, "applies to section");
}

TEST(bad_group)
{
    struct image im = copy(load("fix_a_g.o"));
    struct hcr__elf elf = open_ok(im, ET_REL);
    size_t group = 0;
    Elf32_Word *w;

    for (size_t i = 1; i < elf.shnum; i++)
        if (elf.shdrs[i].sh_type == SHT_GROUP)
            group = i;
    w = (Elf32_Word *)(im.data + elf.shdrs[group].sh_offset);
    w[1] = (Elf32_Word)elf.shnum;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "member section");
    w[1] = 0;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "member section");
    w[1] = 1;
    shdr(im, group)->sh_info = (Elf64_Word)elf.nsyms;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "signature symbol");
    shdr(im, group)->sh_info = 1;
    shdr(im, group)->sh_link = 0;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "not .symtab");
    shdr(im, group)->sh_link = (Elf64_Word)elf.symtab_shndx;
    shdr(im, group)->sh_size = 0;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "is empty");
}

TEST(bad_segments)
{
    struct image im = copy(load("libfix.so"));
    struct hcr__elf elf = open_ok(im, ET_DYN);
    size_t load_seg = 0;

    for (size_t i = 0; i < elf.phnum; i++)
        if (elf.phdrs[i].p_type == PT_LOAD && elf.phdrs[i].p_filesz > 0)
            load_seg = i;
    phdr(im, load_seg)->p_filesz = phdr(im, load_seg)->p_memsz + 1;
    expect_reject(im, ET_DYN, HCR_ECORRUPT, "p_filesz");
    im = copy(load("libfix.so"));
    phdr(im, load_seg)->p_offset = im.size;
    expect_reject(im, ET_DYN, HCR_ETRUNC, "file is truncated: segment");
    im = copy(load("libfix.so"));
    ehdr(im)->e_phoff = im.size - 16;
    expect_reject(im, ET_DYN, HCR_ETRUNC, "program header table");
    ehdr(im)->e_phoff = 0;
    expect_reject(im, ET_DYN, HCR_ECORRUPT, "program headers at offset 0");
    ehdr(im)->e_phoff = sizeof(Elf64_Ehdr) + 4;
    expect_reject(im, ET_DYN, HCR_ECORRUPT,
                  "program header table at offset 0x44 is not 8-byte aligned");
}

/* More than PN_XNUM - 1 program headers: the count is in section 0. */
TEST(extended_program_header_count)
{
    struct image im = copy(load("libfix.so"));
    size_t n = ehdr(im)->e_phnum;
    struct hcr__elf elf;

    shdr(im, 0)->sh_info = (Elf64_Word)n;
    ehdr(im)->e_phnum = PN_XNUM;
    elf = open_ok(im, ET_DYN);
    CHECK_EQ(elf.phnum, n);
    shdr(im, 0)->sh_info = 100000;
    expect_reject(im, ET_DYN, HCR_ETRUNC, "program header table (100000 entries)");
    ehdr(im)->e_shoff = 0;
    ehdr(im)->e_shnum = 0;
    ehdr(im)->e_shstrndx = 0;
    expect_reject(im, ET_DYN, HCR_ECORRUPT, "PN_XNUM");
}

TEST(section_table_fields_disagree)
{
    struct image im = copy(load("libfix.so"));
    struct hcr__elf elf;

    ehdr(im)->e_shoff = 0; /* a shared object may have no sections at all */
    ehdr(im)->e_shnum = 0;
    ehdr(im)->e_shstrndx = 0;
    elf = open_ok(im, ET_DYN);
    CHECK(elf.shdrs == NULL && elf.shnum == 0 && elf.syms == NULL && elf.phnum > 0);
    CHECK(strcmp(hcr__elf_section_name(&elf, 1), "") == 0);
    CHECK(hcr__elf_section_data(&elf, 1, NULL) == NULL);
    ehdr(im)->e_shnum = 3;
    expect_reject(im, ET_DYN, HCR_ECORRUPT, "e_shoff is 0");

    im = copy(load("fix_a.o"));
    ehdr(im)->e_shoff = 0;
    ehdr(im)->e_shnum = 0;
    ehdr(im)->e_shstrndx = 0;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "relocatable object without sections");

    im = copy(load("fix_a.o"));
    shdr(im, 0)->sh_type = SHT_PROGBITS;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "section 0 has type 1");
}

TEST(null_data_is_refused)
{
    struct hcr__elf elf;
    struct hcr__message msg;

    CHECK_EQ(hcr__elf_open(&elf, "null.o", NULL, 100, EM_X86_64, ET_REL, &msg), HCR_EINVAL);
    CHECK_STR_HAS(msg.text, "null.o: ");
    CHECK_EQ(hcr__elf_open(&elf, "null.o", NULL, 0, EM_X86_64, ET_REL, &msg), HCR_ENOEXEC);
}

