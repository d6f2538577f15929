/*
 * test_reload_gdb.c: gdb and hcr_object_reload end to end. gdb in batch
 * mode runs reload_gdb_prog with `break unit_mix` set before the program
 * starts: after the reload it must stop inside the reloaded code (the
 * in-memory object registered through the JIT interface) and print the
 * source line there; once the breakpoint is deleted the reload must still
 * be in effect (gdb restoring its saved bytes must not undo hcr's patch),
 * also for the first reloaded copy, redirected by a second reload while
 * gdb's breakpoint sat on its entry. The file static the unit counts in
 * reads the program's live value from inside the reloaded code. And gdb
 * attaching to a process after its reload finds the reloaded code by
 * walking the JIT list.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char script[] =
    "set breakpoint pending on\n"
    "break unit_mix\n"
    "commands\n"
    "  silent\n"
    "  printf \"stop in unit_mix\\n\"\n"
    "  info symbol $pc\n"
    "  frame\n"
    "  continue\n"
    "end\n"
    /* The line of unit_mix's return statement in reload_unit/unit.c. */
    "break unit.c:23\n"
    "commands\n"
    "  silent\n"
    "  printf \"stop at the return line\\n\"\n"
    "  info symbol $pc\n"
    "  frame\n"
    "  printf \"calls counted: %ld\\n\", calls\n"
    "  continue\n"
    "end\n"
    "break reload_checkpoint\n"
    "commands\n"
    "  silent\n"
    "  printf \"deleting breakpoints\\n\"\n"
    "  delete\n"
    "  continue\n"
    "end\n"
    "run\n";

TEST_TIMEOUT(breakpoint_by_name_is_hit_in_reloaded_code_and_the_reload_survives_delete, 120)
{
    const char *script_path = harness_path("reload.gdb");
    FILE *f = fopen(script_path, "w");
    CHECK(f != NULL);
    fputs(script, f);
    fclose(f);

    char cmd[4096];
    const char *asan = getenv("ASAN_OPTIONS"); /* LeakSanitizer fails under ptrace */
    snprintf(cmd, sizeof cmd, "%s%sdetect_leaks=0", asan ? asan : "", asan ? ":" : "");
    setenv("ASAN_OPTIONS", cmd, 1);
    snprintf(cmd, sizeof cmd, "gdb -batch -nx -x '%s' --args '%s' 2>&1 </dev/null", script_path,
             HCR_RELOAD_GDB_PROG);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    static char out[65536];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    if (status != 0)
        harness_fail(__FILE__, __LINE__, "gdb exited with %d:\n%s", status, out);

    CHECK_STR_HAS(out, "before reload: 16");
    /* Stops in the new code: the symbol is in the in-memory object, first
       for the breakpoint by name (on the entry, which the line table gives
       to the opening brace), then for the one by line, where gdb shows the
       source line of the reloaded function. */
    const char *by_name = strstr(out, "stop in unit_mix\nunit_mix in section .text.unit_mix of "
                                      "<in-memory@");
    if (!by_name)
        harness_fail(__FILE__, __LINE__, "no stop by name in the reloaded code:\n%s", out);
    CHECK_STR_HAS(by_name, "unit_mix (x=1) at ");
    const char *by_line = strstr(by_name, "stop at the return line\nunit_mix + ");
    if (!by_line)
        harness_fail(__FILE__, __LINE__, "no stop by line in the reloaded code:\n%s", out);
    CHECK_STR_HAS(by_line, "in section .text.unit_mix of <in-memory@");
    CHECK_STR_HAS(by_line, "unit.c:23\n23\t    return x * 16 + UNIT_VERSION; /* unit_mix's line */");
    /* The static is bound to the program's storage, and gdb reads it there. */
    CHECK_STR_HAS(by_line, "calls counted: 5\n");
    CHECK_STR_HAS(out, "after reload: 18");
    CHECK_STR_HAS(out, "after second reload: 19");
    CHECK_STR_HAS(out, "deleting breakpoints");
    CHECK_STR_HAS(out, "after delete: 19");
    CHECK_STR_HAS(out, "exited normally");
}

TEST_TIMEOUT(gdb_attaching_after_a_reload_finds_the_new_code, 120)
{
    const char *asan = getenv("ASAN_OPTIONS"); /* LeakSanitizer fails under ptrace */
    char env[2048];
    snprintf(env, sizeof env, "%s%sdetect_leaks=0", asan ? asan : "", asan ? ":" : "");
    setenv("ASAN_OPTIONS", env, 1);
    int to_child[2], from_child[2];
    CHECK_EQ(pipe(to_child), 0);
    CHECK_EQ(pipe(from_child), 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[1]);
        close(from_child[0]);
        execl(HCR_RELOAD_ATTACH_PROG, HCR_RELOAD_ATTACH_PROG, (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    FILE *from = fdopen(from_child[0], "r");
    char line[256] = "";
    CHECK(fgets(line, sizeof line, from) != NULL);
    void *copy = NULL;
    int result = 0;
    if (sscanf(line, "ready %p %d", &copy, &result) != 2)
        harness_fail(__FILE__, __LINE__, "program said: %s", line);
    CHECK_EQ(result, 20);

    char cmd[1024];
    snprintf(cmd, sizeof cmd, "gdb -batch -nx -p %ld -ex 'info symbol %p' -ex 'list unit_mix' "
             "2>&1 </dev/null", (long)pid, copy);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    static char out[65536];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    if (write(to_child[1], "go\n", 3) != 3)
        harness_fail(__FILE__, __LINE__, "cannot resume the program");
    CHECK(fgets(line, sizeof line, from) != NULL);
    CHECK_STR_HAS(line, "resumed 20");
    fclose(from);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_EQ(status, 0);
    CHECK_STR_HAS(out, "unit_mix in section .text.unit_mix of <in-memory@");
    CHECK_STR_HAS(out, "return x * 16 + UNIT_VERSION; /* unit_mix's line */");
}
