/*
 * reload_attach_prog.c: run by test_reload_gdb.c for gdb to attach to. It
 * reloads the unit (version 4), prints "ready <address of the new
 * unit_mix>", and waits for a line on stdin before exiting.
 */
#include "object/patch.h"
#include "unit.h"

#include <hcr.h>
#include <stdio.h>

int main(void)
{
    if (hcr_object_reload(UNIT_OBJDIR "/unit_v4.o") != 0) {
        printf("reload failed: %s\n", hcr_object_error());
        return 1;
    }
    struct hcr__patch_target *t = hcr__patch_target_find((void *)unit_mix);
    printf("ready %p %d\n", t ? hcr__patch_target_current(t) : NULL, unit_mix(1));
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return 1;
    printf("resumed %d\n", unit_mix(1));
    return 0;
}
