/*
 * test_debug_gdb.c: gdb sees code placed and registered at run time. gdb
 * in batch mode sets pending breakpoints by name and by file:line in
 * jit_fixture.c before the program places the code; they must be hit in
 * the placed copy, with the source line shown, `bt` must go from the copy
 * back to main, and `info symbol` must name the function.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

static const char *run_gdb(const char *commands)
{
    static char out[65536];
    char cmd[4096];
    const char *asan = getenv("ASAN_OPTIONS"); /* LeakSanitizer fails under ptrace */
    snprintf(cmd, sizeof cmd, "%s%sdetect_leaks=0", asan ? asan : "", asan ? ":" : "");
    setenv("ASAN_OPTIONS", cmd, 1);
    snprintf(cmd, sizeof cmd, "gdb -batch -nx -ex 'set breakpoint pending on' %s --args '%s' 2>&1 "
             "</dev/null", commands, HCR_JIT_GDB_PROG);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    if (status != 0)
        harness_fail(__FILE__, __LINE__, "gdb exited with %d:\n%s", status, out);
    return out;
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
