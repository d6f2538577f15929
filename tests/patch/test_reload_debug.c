/*
 * test_reload_debug.c: what hcr_object_reload tells the tools, end to end:
 * the unwinder goes through reloaded code (backtrace() from a callback the
 * new code calls reaches this test's frames), perf's map names the new
 * copies, and the GDB JIT list holds the object with its load addresses.
 */
#include "harness.h"
#include "object/debug.h"
#include "object/patch.h"
#include "unit.h"

#include <elf.h>
#include <execinfo.h>
#include <hcr.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static uintptr_t copy_lo, copy_hi; /* the new unit_through */
static int in_copy, after_copy;

static __attribute__((noinline)) int probe(int x)
{
    void *frames[64];
    int n = backtrace(frames, 64);
    in_copy = after_copy = 0;
    for (int i = 0; i < n; i++) {
        uintptr_t pc = (uintptr_t)frames[i];
        if (pc >= copy_lo && pc < copy_hi)
            in_copy = 1;
        else if (in_copy)
            after_copy++;
    }
    __asm__ volatile("" ::: "memory");
    return x;
}

static void reload(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", UNIT_OBJDIR, name);
    if (hcr_object_reload(path) != 0)
        harness_fail(__FILE__, __LINE__, "%s", hcr_object_error());
}

static uintptr_t current(void *original)
{
    struct hcr__patch_target *t = hcr__patch_target_find(original);
    CHECK(t != NULL);
    return (uintptr_t)hcr__patch_target_current(t);
}

TEST(backtrace_goes_through_reloaded_code)
{
    CHECK_EQ(unit_through(probe, 5), 10);
    reload("unit_v3.o");
    copy_lo = current((void *)unit_through);
    copy_hi = copy_lo + 64;
    CHECK(copy_lo != (uintptr_t)unit_through);
    CHECK_EQ(unit_through(probe, 5), 13);
    CHECK(in_copy);
    CHECK_INT(after_copy, >=, 2); /* this test and the harness beyond it */
}

TEST(perf_map_and_gdb_list_name_the_new_code)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)getpid());
    unlink(path);
    setenv("HCR_PERF_MAP", "1", 1);
    reload("unit_v1.o");
    uintptr_t mix = current((void *)unit_mix);
    CHECK_EQ(unit_mix(1), 17);

    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char line[256], want[64];
    snprintf(want, sizeof want, "%lx ", (unsigned long)mix);
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, want, strlen(want)) == 0 && strstr(line, " unit_mix\n"))
            found = 1;
    fclose(f);
    unlink(path);
    CHECK(found);

    const struct hcr__jit_code_entry *e = __jit_debug_descriptor.first_entry;
    CHECK(e != NULL);
    const unsigned char *file = (const unsigned char *)e->symfile_addr;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
    CHECK_EQ(eh->e_type, ET_REL);
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(file + eh->e_shoff);
    const char *names = (const char *)file + sh[eh->e_shstrndx].sh_offset;
    int text_found = 0;
    for (size_t i = 1; i < eh->e_shnum; i++)
        if (!strcmp(names + sh[i].sh_name, ".text.unit_mix")) {
            /* The entry follows the 5 pad bytes at the section's start. */
            CHECK_EQ(sh[i].sh_addr + 5, mix);
            text_found = 1;
        }
    CHECK(text_found);
}
