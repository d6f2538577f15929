/*
 * test_debug_gdb.c: gdb sees code placed and registered at run time. gdb
 * in batch mode sets pending breakpoints by name and by file:line in
 * jit_fixture.c before the program places the code; they must be hit in
 * the placed copy, with the source line shown, `bt` must go from the copy
 * back to main, and `info symbol` must name the function.
 */
#include "gdb_batch.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

static const char *run_gdb(const char *commands)
{
    char line[4096];
    snprintf(line, sizeof line, "-ex 'set breakpoint pending on' %s", commands);
    return gdb_batch(line, "'" HCR_JIT_GDB_PROG "'");
}

TEST_TIMEOUT(break_by_name_in_placed_code_shows_source_and_backtrace, 120)
{
    const char *out = run_gdb("-ex 'break jit_fixture_leaf' -ex 'break jit_callback' -ex run "
                              "-ex bt -ex 'info symbol $pc' -ex list -ex continue -ex bt "
                              "-ex continue");
    CHECK_STR_HAS(out, "Breakpoint 1, jit_fixture_leaf (x=5) at ");
    CHECK_STR_HAS(out, "jit_fixture.c:13");
    CHECK_STR_HAS(out, "int y = x * 3; /* the leaf's first line */");
    CHECK_STR_HAS(out, "in section .text.jit_fixture_leaf");
    CHECK_STR_HAS(out, "int jit_fixture_through(int (*callback)(int), int x)"); /* list */
    CHECK_STR_HAS(out, "Breakpoint 2, jit_callback (x=2)");
    CHECK_STR_HAS(out, "#1  0x");
    CHECK_STR_HAS(out, "in jit_fixture_through (callback=0x");
    CHECK_STR_HAS(out, "jit_fixture.c:19");
    CHECK_STR_HAS(out, "in main () at ");
    CHECK_STR_HAS(out, "leaf returned 22");
    CHECK_STR_HAS(out, "through returned 21");
    CHECK_STR_HAS(out, "exited normally");
}

TEST_TIMEOUT(break_by_file_and_line_in_placed_code, 120)
{
    const char *out = run_gdb("-ex 'break jit_fixture.c:19' -ex run -ex 'print x' -ex continue");
    CHECK_STR_HAS(out, "jit_fixture_through (callback=");
    CHECK_STR_HAS(out, "int r = callback(x + 1);");
    CHECK_STR_HAS(out, "$1 = 1");
    CHECK_STR_HAS(out, "exited normally");
}
