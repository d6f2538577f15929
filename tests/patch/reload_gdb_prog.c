/*
 * reload_gdb_prog.c: run under gdb by test_reload_gdb.c. Calls unit_mix,
 * reloads the unit (version 2) with hcr_object_reload, calls it again,
 * stops at reload_checkpoint so gdb can delete its breakpoints, and calls
 * it once more. Prints each result: 16 + version.
 */
#include "unit.h"

#include <hcr.h>
#include <stdio.h>
#include <stdlib.h>

void reload_checkpoint(int step);

__attribute__((noinline)) void reload_checkpoint(int step)
{
    __asm__ volatile("" : : "r"(step) : "memory");
}

static void reload(const char *path)
{
    if (hcr_object_reload(path) != 0) {
        printf("reload failed: %s\n", hcr_object_error());
        exit(1);
    }
}

int main(void)
{
    for (int i = 0; i < 5; i++)
        unit_version();
    printf("before reload: %d\n", unit_mix(1));
    fflush(stdout);
    reload(UNIT_OBJDIR "/unit_v2.o");
    printf("after reload: %d\n", unit_mix(1));
    fflush(stdout);
    reload(UNIT_OBJDIR "/unit_v3.o");
    printf("after second reload: %d\n", unit_mix(1));
    fflush(stdout);
    reload_checkpoint(1);
    printf("after delete: %d\n", unit_mix(1));
    return 0;
}
