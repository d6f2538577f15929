/* The ELF reader on whole files and on cut ones: real objects and shared
   objects built from tests/elf/fixtures, and a hand-written object whose
   symbol reaches its section through an extended index (synth_elf.h),
   open and index correctly; a file of another kind (empty, foreign, of
   another class, byte order, version or machine) and every prefix of a
   valid one are rejected with their code and a message that starts with
   the file's name and says what is wrong. Damage inside a whole file is
   tested in test_elf_corrupt.c. */
#include "elf_image.h"
#include "harness.h"
#include "synth_elf.h"

#include <stdint.h>

/* ---- intact files ---------------------------------------------------- */

TEST(relocatable_object_opens_and_indexes)
{
    struct image im = load("fix_a.o");
    struct hcr__elf elf = open_ok(im, ET_REL);
    size_t text = hcr__elf_find_section(&elf, ".text");
    size_t rela_text = hcr__elf_find_section(&elf, ".rela.text");
    size_t size, count, i;
    const Elf64_Rela *r;
    int one = 0, two = 0, three = 0;

    CHECK(elf.ehdr == (const Elf64_Ehdr *)im.data);
    CHECK_EQ(elf.shnum, ehdr(im)->e_shnum);
    CHECK(text != 0 && rela_text != 0);
    CHECK(strcmp(hcr__elf_section_name(&elf, text), ".text") == 0);
    CHECK(strcmp(hcr__elf_section_name(&elf, elf.shnum), "") == 0);
    CHECK_EQ(hcr__elf_find_section(&elf, ".no-such-section"), 0);
    CHECK(hcr__elf_section_data(&elf, text, &size) == im.data + shdr(im, text)->sh_offset);
    CHECK_EQ(size, shdr(im, text)->sh_size);
    CHECK(hcr__elf_section_data(&elf, 0, &size) == NULL);
    CHECK(hcr__elf_section_data(&elf, elf.shnum, &size) == NULL && size == 0);
    CHECK(hcr__elf_section_data(&elf, hcr__elf_find_section(&elf, ".bss"), &size) == NULL);
    CHECK(elf.phdrs == NULL && elf.phnum == 0);
    CHECK(elf.dynsyms == NULL && elf.ndynsyms == 0);

    CHECK(elf.symtab_shndx == hcr__elf_find_section(&elf, ".symtab"));
    CHECK(elf.strtab ==
          (const char *)hcr__elf_section_data(&elf, hcr__elf_find_section(&elf, ".strtab"), &size));
    CHECK_EQ(elf.strtab_size, size);
    CHECK_EQ(elf.nsyms, shdr(im, elf.symtab_shndx)->sh_size / sizeof(Elf64_Sym));
    i = find_sym(&elf, "fix_a_function");
    CHECK(i != 0);
    CHECK_EQ(hcr__elf_sym_shndx(&elf, i), text);
    CHECK_EQ(ELF64_ST_BIND(elf.syms[i].st_info), STB_GLOBAL);
    CHECK(hcr__elf_sym_file(&elf, i) == NULL); /* globals have no file */
    i = find_sym(&elf, "fix_a_counter");
    CHECK(i != 0);
    CHECK(strcmp(hcr__elf_section_name(&elf, hcr__elf_sym_shndx(&elf, i)), ".bss") == 0);
    CHECK_STR_HAS(hcr__elf_sym_file(&elf, i), "fix_a.c");
    CHECK_EQ(hcr__elf_sym_shndx(&elf, find_sym(&elf, "fix_ext_one")), SHN_UNDEF);
    CHECK_EQ(hcr__elf_sym_shndx(&elf, elf.nsyms), SHN_UNDEF);
    CHECK(strcmp(hcr__elf_sym_name(&elf, NULL), "") == 0);

    r = hcr__elf_rela(&elf, rela_text, &count);
    CHECK(r != NULL);
    CHECK_EQ(count, shdr(im, rela_text)->sh_size / sizeof(Elf64_Rela));
    CHECK_INT(count, >=, 3);
    for (size_t k = 0; k < count; k++) {
        const char *name = hcr__elf_sym_name(&elf, &elf.syms[ELF64_R_SYM(r[k].r_info)]);
        CHECK_INT(ELF64_R_SYM(r[k].r_info), <, elf.nsyms);
        one += strcmp(name, "fix_ext_one") == 0;
        two += strcmp(name, "fix_ext_two") == 0;
        three += strcmp(name, "fix_ext_three") == 0;
    }
    CHECK(one == 1 && two == 1 && three == 1);
    CHECK(hcr__elf_rela(&elf, text, &count) == NULL && count == 0);
    CHECK(hcr__elf_rela(&elf, elf.shnum + 7, &count) == NULL);
}

TEST(object_with_debug_info_and_groups)
{
    struct image im = load("fix_a_g.o");
    struct hcr__elf elf = open_ok(im, ET_REL);
    size_t fn = find_sym(&elf, "fix_a_function");
    size_t group = 0, count;
    Elf32_Word flags;
    const Elf32_Word *members;

    CHECK(hcr__elf_find_section(&elf, ".debug_info") != 0);
    CHECK(hcr__elf_find_section(&elf, ".rela.debug_info") != 0);
    CHECK(fn != 0);
    CHECK(strcmp(hcr__elf_section_name(&elf, hcr__elf_sym_shndx(&elf, fn)),
                 ".text.fix_a_function") == 0);
    for (size_t i = 1; i < elf.shnum; i++)
        if (elf.shdrs[i].sh_type == SHT_GROUP)
            group = i;
    CHECK(group != 0);
    members = hcr__elf_group(&elf, group, &count, &flags);
    CHECK(members != NULL);
    CHECK_EQ(flags, GRP_COMDAT);
    CHECK_EQ(count, 1);
    CHECK(strcmp(hcr__elf_section_name(&elf, members[0]), ".text.fix_group") == 0);
    CHECK(strcmp(hcr__elf_sym_name(&elf, &elf.syms[elf.shdrs[group].sh_info]), "fix_group") == 0);
    CHECK(hcr__elf_group(&elf, fn, &count, &flags) == NULL && count == 0);
}

/* The two file statics called shared_name, one per source file, are told
   apart by the STT_FILE symbol before them, the same way by the three ways
   of asking. */
static void check_files(const char *fixture)
{
    struct image im = load(fixture);
    struct hcr__elf elf = open_ok(im, ET_DYN);
    struct hcr__elf_sym_walk walk = {0};
    const char **files = calloc(elf.nsyms, sizeof *files);
    const Elf64_Sym *sym;
    int seen_a = 0, seen_b = 0, steps = 0;

    CHECK(files);
    hcr__elf_sym_files(&elf, files);
    while ((sym = hcr__elf_sym_next(&elf, &walk)) != NULL) {
        CHECK_EQ(walk.index, steps++);
        CHECK(sym == &elf.syms[walk.index]);
        CHECK(walk.file == files[walk.index]);
        CHECK(walk.file == hcr__elf_sym_file(&elf, walk.index));
        if (ELF64_ST_BIND(sym->st_info) != STB_LOCAL)
            CHECK(walk.file == NULL);
        if (strcmp(hcr__elf_sym_name(&elf, sym), "shared_name") == 0) {
            CHECK(walk.file != NULL);
            if (strstr(walk.file, "fix_a.c"))
                seen_a++;
            else if (strstr(walk.file, "fix_b.c"))
                seen_b++;
        }
    }
    CHECK_EQ(steps, elf.nsyms);
    CHECK(seen_a == 1 && seen_b == 1);
    free(files);
}

TEST(shared_object_opens_and_indexes)
{
    struct image im = load("libfix.so");
    struct hcr__elf elf = open_ok(im, ET_DYN);
    size_t d = find_dynsym(&elf, "fix_a_function");
    size_t s = find_sym(&elf, "fix_a_function");
    size_t count;

    CHECK(elf.phdrs != NULL && elf.phnum == ehdr(im)->e_phnum && elf.phnum > 0);
    CHECK(elf.dynsyms != NULL && elf.dynsym_shndx == hcr__elf_find_section(&elf, ".dynsym"));
    CHECK(d != 0 && s != 0);
    CHECK_EQ(hcr__elf_dynsym_shndx(&elf, d), hcr__elf_find_section(&elf, ".text"));
    CHECK_EQ(elf.dynsyms[d].st_value, elf.syms[s].st_value);
    CHECK_EQ(hcr__elf_dynsym_shndx(&elf, elf.ndynsyms), SHN_UNDEF);
    /* a symtab pointer is not a dynsym pointer */
    CHECK(strcmp(hcr__elf_dynsym_name(&elf, &elf.syms[s]), "") == 0 || elf.syms == elf.dynsyms);
    CHECK(hcr__elf_rela(&elf, hcr__elf_find_section(&elf, ".rela.dyn"), &count) != NULL);
    CHECK_INT(count, >, 0);
    CHECK(hcr__elf_find_section(&elf, ".debug_info") != 0);
    check_files("libfix.so");
}

TEST(shared_object_without_debug_info)
{
    check_files("libfix_nog.so");
}

TEST(stripped_shared_object_has_dynsym_only)
{
    struct image im = load("libfix_stripped.so");
    struct hcr__elf elf = open_ok(im, ET_DYN);
    struct hcr__elf_sym_walk walk = {0};

    CHECK(elf.syms == NULL && elf.nsyms == 0 && elf.symtab_shndx == 0);
    CHECK(find_dynsym(&elf, "fix_b_bump") != 0);
    CHECK(hcr__elf_sym_next(&elf, &walk) == NULL);
    CHECK(hcr__elf_sym_file(&elf, 1) == NULL);
    CHECK(strcmp(hcr__elf_sym_name(&elf, &elf.dynsyms[1]), "") == 0);
    CHECK_EQ(hcr__elf_find_section(&elf, ".symtab"), 0);
}

TEST(any_type_and_machine_when_asked_for_none)
{
    struct image o = load("fix_a.o"), so = load("libfix.so");
    struct hcr__elf elf;

    CHECK_EQ(hcr__elf_open(&elf, o.name, o.data, o.size, 0, 0, NULL), 0);
    CHECK_EQ(hcr__elf_open(&elf, so.name, so.data, so.size, 0, 0, NULL), 0);
    ehdr(o)->e_machine = EM_AARCH64;
    CHECK_EQ(hcr__elf_open(&elf, o.name, o.data, o.size, 0, ET_REL, NULL), 0);
}

TEST(extended_section_numbering)
{
    struct image im = copy(load("fix_a.o"));
    size_t n = ehdr(im)->e_shnum, names = ehdr(im)->e_shstrndx;
    struct hcr__elf elf;

    shdr(im, 0)->sh_size = n;
    shdr(im, 0)->sh_link = (Elf64_Word)names;
    ehdr(im)->e_shnum = 0;
    ehdr(im)->e_shstrndx = SHN_XINDEX;
    elf = open_ok(im, ET_REL);
    CHECK_EQ(elf.shnum, n);
    CHECK(hcr__elf_find_section(&elf, ".rela.text") != 0);

    shdr(im, 0)->sh_size = UINT64_MAX / 16;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "impossible");
    shdr(im, 0)->sh_size = n + 1000;
    expect_reject(im, ET_REL, HCR_ETRUNC, "section header table (");
    shdr(im, 0)->sh_size = n;
    shdr(im, 0)->sh_link = (Elf64_Word)n;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "(section name table) is not a section");
    shdr(im, 0)->sh_link = (Elf64_Word)names;
    shdr(im, 0)->sh_size = 0;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "has 0 entries");
}

/* ---- not the expected kind of file ---------------------------------- */

TEST(empty_short_and_foreign_files)
{
    struct image im = load("fix_a.o");
    static const char script[] = "#!/bin/sh\necho this is not an ELF file at all\n";
    struct image text = {(unsigned char *)script, sizeof script - 1, "script.sh"};
    struct image abc = {(unsigned char *)"abc", 3, "abc"};

    expect_reject(copy_prefix(im, 0), ET_REL, HCR_ENOEXEC, "file is empty");
    expect_reject(copy_prefix(im, 3), ET_REL, HCR_ETRUNC, "truncated");
    expect_reject(copy_prefix(im, 40), ET_REL, HCR_ETRUNC, "an ELF header needs 64");
    expect_reject(copy(abc), ET_REL, HCR_ENOEXEC, "not an ELF file");
    expect_reject(copy(text), ET_REL, HCR_ENOEXEC, "not an ELF file");
    expect_reject(im, ET_DYN, HCR_ENOEXEC, "relocatable object (ET_REL), expected a shared object");
    expect_reject(load("libfix.so"), ET_REL, HCR_ENOEXEC, "is a shared object");
}

TEST(unaligned_buffer_is_refused)
{
    struct image im = load("fix_a.o");
    unsigned char *shifted = malloc(im.size + 1);
    struct hcr__elf elf;
    struct hcr__message msg;

    memcpy(shifted + 1, im.data, im.size);
    CHECK_EQ(hcr__elf_open(&elf, "x.o", shifted + 1, im.size, EM_X86_64, ET_REL, &msg), HCR_EINVAL);
    CHECK_STR_HAS(msg.text, "aligned");
    free(shifted);
}

TEST(wrong_class_endianness_version)
{
    struct image im = copy(load("fix_a.o"));

    im.data[EI_CLASS] = ELFCLASS32;
    expect_reject(im, ET_REL, HCR_ENOEXEC, "32-bit");
    im.data[EI_CLASS] = 7;
    expect_reject(im, ET_REL, HCR_ENOEXEC, "class");
    im.data[EI_CLASS] = ELFCLASS64;
    im.data[EI_DATA] = ELFDATA2MSB;
    expect_reject(im, ET_REL, HCR_ENOEXEC, "big-endian");
    im.data[EI_DATA] = 3;
    expect_reject(im, ET_REL, HCR_ENOEXEC, "data encoding");
    im.data[EI_DATA] = ELFDATA2LSB;
    im.data[EI_VERSION] = 2;
    expect_reject(im, ET_REL, HCR_ENOEXEC, "version");
    im.data[EI_VERSION] = EV_CURRENT;
    ehdr(im)->e_version = 9;
    expect_reject(im, ET_REL, HCR_ENOEXEC, "e_version");
}

TEST(wrong_machine_names_it)
{
    struct image im = copy(load("libfix.so"));

    ehdr(im)->e_machine = EM_AARCH64;
    expect_reject(im, ET_DYN, HCR_EARCH,
                  "built for AArch64 (e_machine 183), this process is x86-64");
    ehdr(im)->e_machine = EM_RISCV;
    expect_reject(im, ET_DYN, HCR_EARCH, "RISC-V");
    ehdr(im)->e_machine = 9999;
    expect_reject(im, ET_DYN, HCR_EARCH, "e_machine 9999");
    CHECK(strcmp(hcr__elf_machine_name(EM_386), "i386") == 0);
    CHECK(hcr__elf_machine_name(9999) == NULL);
}

/* ---- truncation ------------------------------------------------------- */

/* Every prefix of a valid file is refused, never read past: the empty one
   as empty, every other as truncated. */
static void every_prefix(const char *fixture, unsigned type)
{
    struct image im = load(fixture);

    for (size_t len = 0; len < im.size; len++) {
        struct image cut = copy_prefix(im, len);
        if (len == 0)
            expect_reject(cut, type, HCR_ENOEXEC, "empty");
        else
            expect_reject(cut, type, HCR_ETRUNC, "file is truncated");
        free(cut.data);
    }
}

TEST_TIMEOUT(every_prefix_of_an_object_is_truncated, 120)
{
    every_prefix("fix_a.o", ET_REL);
    every_prefix("fix_a_g.o", ET_REL);
}

TEST_TIMEOUT(every_prefix_of_a_shared_object_is_truncated, 120)
{
    every_prefix("libfix_stripped.so", ET_DYN);
    every_prefix("libfix.so", ET_DYN);
}

/* A file cut inside its sections, whose section header table and section
   name table survived (written again at the cut), names the first section
   that runs past the end. */
TEST(truncated_section_is_named)
{
    struct image im = load("libfix.so");
    size_t text = section_of(im, ".text");
    size_t cut = (shdr(im, text)->sh_offset + 8) & ~(size_t)7;
    size_t table = (size_t)ehdr(im)->e_shnum * sizeof(Elf64_Shdr);
    Elf64_Shdr *names = shdr(im, ehdr(im)->e_shstrndx);
    struct image t = copy_prefix(im, cut + table + names->sh_size);
    char expect[128];

    memcpy(t.data + cut, im.data + ehdr(im)->e_shoff, table);
    memcpy(t.data + cut + table, im.data + names->sh_offset, names->sh_size);
    ehdr(t)->e_shoff = cut;
    shdr(t, ehdr(t)->e_shstrndx)->sh_offset = cut + table;
    ehdr(t)->e_phnum = 0; /* the segments would be reported first otherwise */
    expect_reject(t, ET_DYN, HCR_ETRUNC, "file is truncated: section .");
    snprintf(expect, sizeof expect, "the file has %zu bytes", t.size);
    expect_reject(t, ET_DYN, HCR_ETRUNC, expect);
}

TEST(section_past_the_end)
{
    struct image im = copy(load("fix_a.o"));
    size_t text = section_of(im, ".text");
    char expect[160];

    shdr(im, text)->sh_offset = im.size;
    snprintf(expect, sizeof expect,
             "file is truncated: section .text ends at byte %llu, the file has %zu bytes",
             (unsigned long long)(im.size + shdr(im, text)->sh_size), im.size);
    expect_reject(im, ET_REL, HCR_ETRUNC, expect);
}

TEST(section_size_overflows)
{
    struct image im = copy(load("fix_a.o"));
    size_t text = section_of(im, ".text");

    shdr(im, text)->sh_size = UINT64_MAX - 8;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "section .text has offset");
    expect_reject(im, ET_REL, HCR_ECORRUPT, "overflow");
}

TEST(section_header_table_past_the_end)
{
    struct image im = copy(load("fix_a.o"));

    ehdr(im)->e_shoff = im.size - 8;
    expect_reject(im, ET_REL, HCR_ETRUNC, "section header table");
    ehdr(im)->e_shoff = UINT64_MAX - 7;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "overflow");
}

/* ---- extended section indexes (a hand-written object) --------------- */

static struct image synth_image(struct synth_elf *s)
{
    synth_build(s);
    return (struct image){s->bytes, s->size, "synth.o"};
}

TEST(symbol_section_through_xindex)
{
    struct synth_elf s;
    struct image im = synth_image(&s);
    struct hcr__elf elf = open_ok(im, ET_REL);

    CHECK_EQ(elf.nsyms, 3);
    CHECK(elf.symtab_xindex != NULL);
    CHECK_EQ(elf.syms[2].st_shndx, SHN_XINDEX);
    CHECK_EQ(hcr__elf_sym_shndx(&elf, 2), SYNTH_TEXT);
    CHECK_EQ(hcr__elf_sym_shndx(&elf, 1), SHN_ABS);
    CHECK(strcmp(hcr__elf_sym_name(&elf, &elf.syms[2]), "synth_fn") == 0);
    CHECK(strcmp(hcr__elf_sym_file(&elf, 2), "synth.c") == 0);
    CHECK(hcr__elf_sym_file(&elf, 1) == NULL); /* the STT_FILE itself */
    CHECK(strcmp(hcr__elf_section_name(&elf, SYNTH_SHNDX), ".symtab_shndx") == 0);
    CHECK(elf.phdrs == NULL && elf.dynsyms == NULL);
}

TEST(bad_xindex)
{
    struct synth_elf s;
    struct image im = synth_image(&s);
    Elf32_Word *x = (Elf32_Word *)(s.bytes + synth_shdr(&s, SYNTH_SHNDX)->sh_offset);

    x[2] = SYNTH_SHNUM;
    expect_reject(im, ET_REL, HCR_ECORRUPT,
                  "(synth_fn) of section .symtab is in section 6 (extended index)");
    im = synth_image(&s);
    synth_shdr(&s, SYNTH_SHNDX)->sh_size -= 4;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "section .symtab_shndx has 2 entries");
    im = synth_image(&s);
    synth_shdr(&s, SYNTH_SHNDX)->sh_link = SYNTH_TEXT;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "not a symbol table");
    im = synth_image(&s);
    synth_shdr(&s, SYNTH_SHNDX)->sh_type = SHT_PROGBITS; /* the table is gone */
    expect_reject(im, ET_REL, HCR_ECORRUPT, "has no SHT_SYMTAB_SHNDX section");
    im = synth_image(&s);
    synth_shdr(&s, SYNTH_SHNDX)->sh_offset += 2;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "not 4-byte aligned");
}

TEST(second_symbol_tables)
{
    struct synth_elf s;
    struct image im = synth_image(&s);

    synth_shdr(&s, SYNTH_TEXT)->sh_type = SHT_SYMTAB;
    synth_shdr(&s, SYNTH_TEXT)->sh_entsize = sizeof(Elf64_Sym);
    synth_shdr(&s, SYNTH_TEXT)->sh_size = 0;
    synth_shdr(&s, SYNTH_TEXT)->sh_link = SYNTH_STRTAB;
    expect_reject(im, ET_REL, HCR_ECORRUPT, "a second symbol table");
    im = synth_image(&s);
    synth_shdr(&s, SYNTH_TEXT)->sh_type = SHT_SYMTAB_SHNDX;
    synth_shdr(&s, SYNTH_TEXT)->sh_link = SYNTH_SYMTAB;
    synth_shdr(&s, SYNTH_TEXT)->sh_entsize = sizeof(Elf32_Word);
    expect_reject(im, ET_REL, HCR_ECORRUPT, "a second SHT_SYMTAB_SHNDX");
}

TEST_TIMEOUT(every_prefix_of_the_hand_written_object, 60)
{
    struct synth_elf s;
    struct image im = synth_image(&s);

    for (size_t len = 1; len < im.size; len++) {
        struct image cut = copy_prefix(im, len);
        expect_reject(cut, ET_REL, HCR_ETRUNC, "file is truncated");
        free(cut.data);
    }
}
