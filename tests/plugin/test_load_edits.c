/*
 * test_load_edits.c: where a copy's dynamic section can move
 * (hcr__dynamic_move_plan), on program header layouts written by hand:
 * the one GNU ld makes for a small plugin, and the layouts where the
 * padding is missing, short, past the end of the file, used by a section,
 * or shared with another segment's page. The edits on real builds are
 * checked in test_plugin_reload.c (copy_is_edited_for_the_loader_unless_exact).
 */
#include "harness.h"
#include "plugin/plugin_internal.h"

#include <elf.h>
#include <string.h>

enum { PAGE = 0x1000, MAX_PHDRS = 8, MAX_SHDRS = 4 };

struct image {
    Elf64_Ehdr ehdr;
    Elf64_Phdr phdrs[MAX_PHDRS];
    Elf64_Shdr shdrs[MAX_SHDRS];
    struct hcr__elf elf;
};

static Elf64_Phdr segment(uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
                          uint64_t filesz, uint64_t memsz)
{
    return (Elf64_Phdr){.p_type = type, .p_flags = flags, .p_offset = offset,
                        .p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = filesz,
                        .p_memsz = memsz, .p_align = PAGE};
}

/* GNU ld's layout of the benchmark's 20 KB plugin: read-only headers and
   symbols, code, read-only data, then data with .dynamic at 0x3e70. The
   table headers sit at the start of the file; no sections unless added. */
static void typical(struct image *im)
{
    memset(im, 0, sizeof *im);
    im->ehdr.e_phoff = sizeof im->ehdr;
    im->ehdr.e_phnum = 5;
    im->phdrs[0] = segment(PT_LOAD, PF_R, 0, 0, 0x798, 0x798);
    im->phdrs[1] = segment(PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x4e1, 0x4e1);
    im->phdrs[2] = segment(PT_LOAD, PF_R, 0x2000, 0x2000, 0x2c8, 0x2c8);
    im->phdrs[3] = segment(PT_LOAD, PF_R | PF_W, 0x2e60, 0x3e60, 0x1ac, 0x2e0);
    im->phdrs[4] = segment(PT_DYNAMIC, PF_R | PF_W, 0x2e70, 0x3e70, 0x150, 0x150);
    im->elf.size = 0x3100;
}

static int plan(struct image *im, struct hcr__dynamic_move *move)
{
    im->elf.ehdr = &im->ehdr;
    im->elf.phdrs = im->phdrs;
    im->elf.phnum = im->ehdr.e_phnum;
    im->elf.shdrs = im->elf.shnum ? im->shdrs : NULL;
    return hcr__dynamic_move_plan(&im->elf, PAGE, move);
}

TEST(moves_into_the_padding_after_the_first_read_only_segment)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    CHECK_EQ(plan(&im, &move), 1);
    CHECK_EQ(move.dynamic, 4);
    CHECK_EQ(move.host, 0);
    CHECK_EQ(move.offset, 0x798); /* already 8-aligned */
    CHECK_EQ(move.vaddr, 0x798);
}

TEST(aligns_the_new_place_to_eight_bytes)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    im.phdrs[0].p_filesz = im.phdrs[0].p_memsz = 0x791;
    CHECK_EQ(plan(&im, &move), 1);
    CHECK_EQ(move.offset, 0x798);
}

TEST(skips_a_segment_whose_padding_a_section_uses)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    im.elf.shnum = 2; /* the null section and one in the padding */
    im.shdrs[1] = (Elf64_Shdr){.sh_type = SHT_PROGBITS, .sh_offset = 0x8e0, .sh_size = 0x10};
    im.ehdr.e_shoff = 0x3000;
    CHECK_EQ(plan(&im, &move), 1);
    CHECK_EQ(move.host, 1); /* after the code */
    CHECK_EQ(move.offset, 0x14e8);
}

TEST(skips_a_segment_whose_last_page_another_segment_maps)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    im.phdrs[1].p_vaddr = im.phdrs[1].p_paddr = 0xa00; /* same page as the first */
    im.phdrs[1].p_offset = 0xa00;
    CHECK_EQ(plan(&im, &move), 1);
    CHECK(move.host != 0 && move.host != 1);
    CHECK_EQ(move.host, 2);
    CHECK_EQ(move.offset, 0x22c8);
}

TEST(skips_padding_too_short_for_the_dynamic_section)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    im.phdrs[0].p_filesz = im.phdrs[0].p_memsz = 0xf00; /* 0x100 left */
    CHECK_EQ(plan(&im, &move), 1);
    CHECK_EQ(move.host, 1);
}

TEST(finds_nothing_when_no_padding_fits)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    im.phdrs[4].p_filesz = im.phdrs[4].p_memsz = 0xc00; /* more than any padding */
    CHECK_EQ(plan(&im, &move), 0);
}

TEST(never_uses_padding_that_belongs_to_the_data_segment)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    /* The read-only data ends where the data segment's file image starts,
       in the same file page: no other segment has padding. */
    im.phdrs[0].p_filesz = im.phdrs[0].p_memsz = PAGE;
    im.phdrs[1].p_filesz = im.phdrs[1].p_memsz = PAGE;
    im.phdrs[2].p_filesz = im.phdrs[2].p_memsz = 0xe60;
    CHECK_EQ(plan(&im, &move), 0);
}

TEST(never_writes_past_the_end_of_the_file)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    im.ehdr.e_phnum = 2;
    im.phdrs[0] = segment(PT_LOAD, PF_R | PF_W, 0, 0, 0x7a0, 0x7a0);
    im.phdrs[1] = segment(PT_DYNAMIC, PF_R | PF_W, 0x600, 0x600, 0x150, 0x150);
    im.elf.size = 0x7a0;
    CHECK_EQ(plan(&im, &move), 0); /* the only segment is writable anyway */
    im.phdrs[0].p_flags = PF_R;
    CHECK_EQ(plan(&im, &move), 0); /* read-only, but the file ends there */
    im.elf.size = 0x1000;
    CHECK_EQ(plan(&im, &move), 1);
    CHECK_EQ(move.offset, 0x7a0);
}

TEST(never_moves_over_the_program_header_table)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    im.ehdr.e_phoff = 0x7a0; /* the table in the padding */
    CHECK_EQ(plan(&im, &move), 1);
    CHECK_EQ(move.host, 1);
}

TEST(a_segment_whose_range_wraps_around_is_not_in_the_way)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    im.ehdr.e_phnum = 6;
    im.phdrs[5] = segment(PT_LOAD, PF_R, UINT64_MAX - 0x10, 0x100000, 0x100, 0x100);
    CHECK_EQ(plan(&im, &move), 1);
    CHECK_EQ(move.host, 0);
    /* One that claims every byte from 0x700 on: no padding is free. */
    im.phdrs[5] = segment(PT_LOAD, PF_R, 0x700, 0x100000, UINT64_MAX - 0x10, 0x100);
    CHECK_EQ(plan(&im, &move), 0);
}

TEST(needs_a_dynamic_segment)
{
    struct image im;
    struct hcr__dynamic_move move;
    typical(&im);
    im.ehdr.e_phnum = 4;
    CHECK_EQ(plan(&im, &move), 0);
}
