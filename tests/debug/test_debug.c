/*
 * test_debug.c: the registrations of src/object/debug*.c on code placed
 * by the test itself (jit_loader.c): perf map lines, the GDB JIT list and
 * the in-memory object it points to, unwinding through the placed code
 * before, during and after registration, and a malformed .eh_frame.
 */
#include "harness.h"
#include "jit_loader.h"
#include "object/near_memory.h"

#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void load(struct jit_loaded *j)
{
    if (jit_load(j, HCR_JIT_FIXTURE_O) != 0)
        harness_fail(__FILE__, __LINE__, "cannot load the fixture");
}

static struct hcr__debug_image *reg(struct jit_loaded *j)
{
    struct hcr__debug_image *image = jit_register(j);
    CHECK(image != NULL);
    return image;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

TEST(perf_map_has_a_line_per_function)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)getpid());
    unlink(path);
    setenv("HCR_PERF_MAP", "0", 1); /* off: no file */
    struct jit_loaded j0;
    load(&j0);
    hcr__debug_unregister(reg(&j0));
    CHECK(access(path, F_OK) != 0);
    setenv("HCR_PERF_MAP", "1", 1);
    struct jit_loaded j;
    load(&j);
    struct hcr__debug_image *image = reg(&j);
    CHECK_EQ(j.leaf(1), 10);
    const char *text = read_text(path);
    CHECK(text != NULL);
    for (size_t i = 0; i < j.nfunctions; i++) {
        char line[256];
        snprintf(line, sizeof line, "%lx %lx %s\n", (unsigned long)j.functions[i].address,
                 (unsigned long)j.functions[i].size, j.functions[i].name);
        CHECK_STR_HAS(text, line);
    }
    CHECK_STR_HAS(text, " jit_fixture_leaf\n");
    hcr__debug_unregister(image);
    /* A second object appends. */
    struct jit_loaded j2;
    load(&j2);
    image = reg(&j2);
    text = read_text(path);
    char line[256];
    snprintf(line, sizeof line, "%lx ", (unsigned long)(uintptr_t)j.leaf);
    CHECK_STR_HAS(text, line);
    snprintf(line, sizeof line, "%lx ", (unsigned long)(uintptr_t)j2.leaf);
    CHECK_STR_HAS(text, line);
    hcr__debug_unregister(image);
    unlink(path);
}

/* The section header of `name` in an in-memory object. */
static const Elf64_Shdr *symfile_section(const struct hcr__jit_code_entry *e, const char *name)
{
    const unsigned char *f = (const unsigned char *)e->symfile_addr;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
    const char *names = (const char *)f + sh[eh->e_shstrndx].sh_offset;
    for (size_t i = 1; i < eh->e_shnum; i++)
        if (!strcmp(names + sh[i].sh_name, name))
            return &sh[i];
    return NULL;
}

TEST(gdb_list_is_linked_both_ways)
{
    struct hcr__jit_descriptor *d = &__jit_debug_descriptor;
    CHECK_EQ(d->version, 1);
    CHECK(d->first_entry == NULL);
    struct jit_loaded j[3];
    struct hcr__debug_image *img[3];
    struct hcr__jit_code_entry *entry[3];
    for (int i = 0; i < 3; i++) {
        load(&j[i]);
        img[i] = reg(&j[i]);
        entry[i] = d->first_entry; /* new entries go first */
        CHECK_EQ(d->action_flag, 0);
        CHECK(entry[i] != NULL && entry[i]->prev_entry == NULL);
        CHECK(d->relevant_entry == entry[i]);
        if (i > 0)
            CHECK(entry[i]->next_entry == entry[i - 1] && entry[i - 1]->prev_entry == entry[i]);
    }
    CHECK(entry[0]->next_entry == NULL);

    /* The in-memory object: an ELF relocatable file whose loaded sections
       carry their load addresses and whose unloaded allocatable sections
       are no longer allocatable. */
    const struct hcr__jit_code_entry *e = entry[1];
    CHECK_EQ(e->symfile_size, j[1].file_size);
    CHECK(!memcmp(e->symfile_addr, ELFMAG, SELFMAG));
    const Elf64_Shdr *leaf = symfile_section(e, ".text.jit_fixture_leaf");
    CHECK(leaf != NULL);
    CHECK_EQ(leaf->sh_addr, (uintptr_t)j[1].leaf);
    CHECK(leaf->sh_flags & SHF_ALLOC);
    const Elf64_Shdr *eh = symfile_section(e, ".eh_frame");
    CHECK(eh != NULL && eh->sh_addr == (uintptr_t)j[1].eh_frame);
    const Elf64_Shdr *data = symfile_section(e, ".data");
    CHECK(data != NULL);
    CHECK_EQ(data->sh_addr, 0);
    CHECK(!(data->sh_flags & SHF_ALLOC));
    CHECK(symfile_section(e, ".debug_info") != NULL);
    CHECK(symfile_section(e, ".rela.debug_info") != NULL);

    hcr__debug_unregister(img[1]); /* the middle one */
    CHECK(d->first_entry == entry[2]);
    CHECK(entry[2]->next_entry == entry[0] && entry[0]->prev_entry == entry[2]);
    CHECK_EQ(d->action_flag, 0);
    hcr__debug_unregister(img[2]);
    CHECK(d->first_entry == entry[0] && entry[0]->prev_entry == NULL);
    hcr__debug_unregister(img[0]);
    CHECK(d->first_entry == NULL);
    hcr__debug_unregister(NULL);
}

/* Unwinding from inside a callback called by the placed code. */
static struct jit_loaded *unwind_subject;
static int frames_after_copy; /* frames found beyond the placed code */
static int copy_frame_seen;

static __attribute__((noinline)) int unwind_callback(int x)
{
    void *frames[64];
    int n = backtrace(frames, 64);
    copy_frame_seen = 0;
    frames_after_copy = 0;
    for (int i = 0; i < n; i++) {
        uintptr_t pc = (uintptr_t)frames[i];
        if (pc >= unwind_subject->text_lo && pc < unwind_subject->text_hi)
            copy_frame_seen = 1;
        else if (copy_frame_seen)
            frames_after_copy++;
    }
    __asm__ volatile("" ::: "memory");
    return x;
}

static __attribute__((noinline)) int call_through(struct jit_loaded *j)
{
    unwind_subject = j;
    int r = j->through(unwind_callback, 4);
    __asm__ volatile("" ::: "memory");
    return r;
}

TEST(unwinding_goes_through_registered_code_only)
{
    struct jit_loaded j;
    load(&j);
    CHECK_EQ(call_through(&j), 6);
    CHECK(copy_frame_seen);
    CHECK_EQ(frames_after_copy, 0); /* the unwinder stops at unknown code */

    struct hcr__debug_image *image = reg(&j);
    CHECK_EQ(call_through(&j), 6);
    CHECK(copy_frame_seen);
    CHECK_INT(frames_after_copy, >=, 2); /* call_through, this test, ... */

    hcr__debug_unregister(image);
    CHECK_EQ(call_through(&j), 6);
    CHECK_EQ(frames_after_copy, 0);
}

TEST(malformed_eh_frame_is_refused)
{
    struct jit_loaded j;
    load(&j);
    uintptr_t lo, hi;
    CHECK_EQ(hcr__near_image_range((const void *)load, &lo, &hi), 0);
    struct hcr__message msg = {{0}};
    unsigned char *bad = hcr__near_map(lo, hi, 4096, &msg);
    CHECK(bad != NULL);

    /* A record longer than the section. */
    uint32_t words[4] = {100, 0, 0, 0};
    memcpy(bad, words, sizeof words);
    CHECK(hcr__debug_register("bad.o", &j.elf, j.section_address, NULL, 0, bad, 16, NULL,
                              &msg) == NULL);
    CHECK_STR_HAS(msg.text, "bad.o: .eh_frame at offset 0");

    /* An FDE whose CIE is not there. */
    words[0] = 12;
    words[1] = 4;
    memcpy(bad, words, sizeof words);
    CHECK(hcr__debug_register("bad.o", &j.elf, j.section_address, NULL, 0, bad, 16, NULL,
                              &msg) == NULL);
    CHECK_STR_HAS(msg.text, "FDE without a preceding CIE");
    CHECK(__jit_debug_descriptor.first_entry == NULL); /* nothing half-registered */

    /* The fixture's own .eh_frame cut in the middle of a record. */
    CHECK(hcr__debug_register("cut.o", &j.elf, j.section_address, NULL, 0, j.eh_frame,
                              j.eh_frame_size - 6, NULL, &msg) == NULL);
    CHECK_STR_HAS(msg.text, "cut.o: .eh_frame");
    hcr__near_unmap(bad, 4096);
}
