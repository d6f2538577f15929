/*
 * test_patch_plain_gdb.c: a breakpoint gdb set on the entry of a function
 * without pads before a reload: hcr refuses to write its jump over the
 * breakpoint, naming the function and the reason, and the function runs
 * unchanged with the breakpoint still working.
 */
#include "gdb_batch.h"
#include "harness.h"

#include <stdio.h>

TEST_TIMEOUT(a_breakpoint_on_the_first_bytes_refuses_the_redirect, 120)
{
    char args[4096];
    snprintf(args, sizeof args, "'%s'", HCR_GDB_PLAIN_PROG);
    const char *out = gdb_batch("-ex 'break checkpoint' -ex run -ex 'break *plain_f' "
                                "-ex continue -ex continue",
                                args);
    CHECK_STR_HAS(out, "redirect: HCR_ENOTSUP: plain_f: cannot be redirected");
    CHECK_STR_HAS(out, "debugger's breakpoint at +0");
    CHECK_STR_HAS(out, "Breakpoint 2, ");
    CHECK_STR_HAS(out, "plain_f(1) = 4");
    CHECK_STR_HAS(out, "exited normally");
}
