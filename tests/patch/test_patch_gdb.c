/*
 * test_patch_gdb.c: hcr's entry patches and gdb's breakpoints on the same
 * bytes. gdb 13 places `break subject_f` on the first entry byte (entry+0)
 * of a function with patchable entries: the prologue analysis skips no
 * nops, so the int3 goes exactly where hcr's short jump would. hcr sees the
 * int3 with a tracer attached and puts its jump at entry+1 instead; gdb's
 * saved byte (a nop) is restored on `delete` and the redirect stays. When
 * the breakpoint was set over hcr's own jump (gdb saved EB), a revert
 * neutralises the jump's second byte (EB 00) instead of touching entry+0.
 * Each test runs gdb in batch mode on gdb_redirect_prog and checks both
 * gdb's output and the program's.
 */
#include "gdb_batch.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

/* Runs gdb with the given -ex commands on the program in `mode`; returns
   everything gdb and the program printed (static buffer). */
static const char *run_gdb(const char *mode, const char *commands)
{
    char args[4096];
    snprintf(args, sizeof args, "'%s' %s", HCR_GDB_REDIRECT_PROG, mode);
    return gdb_batch(commands, args);
}

TEST_TIMEOUT(breakpoint_set_before_the_redirect_survives_delete, 120)
{
    const char *out = run_gdb("redirect", "-ex 'break subject_f' -ex 'break checkpoint' -ex run "
                                          "-ex 'info breakpoints' -ex continue -ex delete "
                                          "-ex continue");
    /* gdb put its breakpoint on the entry hcr patches... */
    CHECK_STR_HAS(out, "Breakpoint 1, subject_f");
    /* ...so hcr jumped from entry+1: int3, then EB F8. */
    CHECK_STR_HAS(out, "after redirect: entry bytes cc eb f8");
    CHECK_STR_HAS(out, "call 1 ran version 2");
    CHECK_STR_HAS(out, "Breakpoint 2, checkpoint");
    /* After delete restored gdb's saved byte the redirect is intact. */
    CHECK_STR_HAS(out, "call 2 ran version 2");
    CHECK_STR_HAS(out, "exited normally");
}

TEST_TIMEOUT(breakpoint_set_over_a_redirect_then_revert, 120)
{
    const char *out = run_gdb("revert", "-ex 'break checkpoint' -ex run -ex 'break subject_f' "
                                        "-ex continue -ex continue -ex delete -ex continue");
    /* The breakpoint sits over hcr's EB; the revert wrote 00 after it. */
    CHECK_STR_HAS(out, "after revert: entry bytes cc 00");
    CHECK_STR_HAS(out, "Breakpoint 2, subject_f");
    CHECK_STR_HAS(out, "call 1 ran version 1");
    CHECK_STR_HAS(out, "call 2 ran version 1");
    CHECK_STR_HAS(out, "call 3 ran version 2");
    CHECK_STR_HAS(out, "exited normally");
}
