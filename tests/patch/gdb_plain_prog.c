/*
 * gdb_plain_prog.c: a program run under gdb by test_patch_plain_gdb.c. At
 * checkpoint() gdb puts a breakpoint on the entry of plain_f, a function
 * without pads; the program then asks hcr to redirect it, which must be
 * refused (the debugger would later write its saved byte over the jump),
 * and calls plain_f, which must stop at the breakpoint and run unchanged.
 */
#include "object/patch.h"
#include "plain_subjects.h"

#include <stdio.h>

void checkpoint(void);
__attribute__((noinline)) void checkpoint(void)
{
    __asm__ volatile("" ::: "memory");
}

int main(void)
{
    checkpoint();
    struct hcr__message msg = {{0}};
    struct hcr__patch_target *t;
    int rc = hcr__patch_target_get((void *)plain_f, plain_size((const void *)plain_f), "plain_f",
                                   &t, &msg);
    printf("redirect: %s: %s\n", rc == 0 ? "accepted" : hcr_error_name(rc), msg.text);
    fflush(stdout);
    int (*volatile f)(int) = plain_f;
    printf("plain_f(1) = %d\n", f(1));
    return 0;
}
