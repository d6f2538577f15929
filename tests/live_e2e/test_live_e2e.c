/*
 * test_live_e2e.c: `hcr run` end to end, with the real compiler. The
 * counter service of service/ (four units and a shared header, and a
 * shared library of one unit) is built at test time with CMake
 * (compile_commands.json beside it) or with a plain Makefile (no database:
 * compile commands from the debug information), started under `hcr run`,
 * driven through its stdin and stdout, and its sources are edited as
 * editors save them. Behaviour is judged by the service's own replies,
 * which each edit changes to a value only the new code produces; of hcr's
 * stderr lines only the file's base name is relied on, and in the library
 * test the library's name and the database entry chosen. No wait is a
 * fixed sleep: each ends at a checkpoint (a line appearing, the sources'
 * directory watched) or fails at a deadline.
 */
#include "child.h"
#include "harness.h"
#include "service.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The number after `key` in `reply` ("count 3 step 1", "count"). */
static long number_after(struct child *c, const char *reply, const char *key)
{
    const char *at = strstr(reply, key);
    if (!at)
        CHILD_FAIL(c, "no \"%s\" in \"%s\"", key, reply);
    return strtol(at + strlen(key), NULL, 10);
}

/* Three increments, a save by rename of counter.c with a new step, and
   the count must go on from 3 with that step. */
static void rename_edit_keeps_state(enum service_build how, const char *built_by)
{
    struct child c;
    size_t err = service_start(&c, service_hcr_run(service_build(how), NULL));
    child_ask(&c, "inc", REPLY_MS);
    child_ask(&c, "inc", REPLY_MS);
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 3 step 1 ");

    service_edit("counter.c", SAVE_RENAME, "#define STEP 1\n", "#define STEP 1000\n", NULL);
    const char *reply = child_ask_until(&c, "get", "step 1000", RELOAD_MS);
    CHILD_CHECK_HAS(&c, reply, "count 3 step 1000 ");
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1003 step 1000 ");
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "counter.c", NULL);

    /* A unit not edited runs as built. */
    reply = child_ask(&c, "hello ann", REPLY_MS);
    CHILD_CHECK_HAS(&c, reply, "hello, ann (greeting 1, bonus 0, extra 0");
    CHILD_CHECK_HAS(&c, reply, built_by);
    service_finish(&c);
}

TEST_TIMEOUT(cmake_rename_edit_keeps_state, 60)
{
    rename_edit_keeps_state(SERVICE_CMAKE, "cmake");
}

/* Built with the project's ordinary flags, no flag of hcr's: the
   program's functions have no patchable entries. */
TEST_TIMEOUT(cmake_plain_flags_rename_edit_keeps_state, 60)
{
    rename_edit_keeps_state(SERVICE_CMAKE_PLAIN, "cmake");
}

TEST_TIMEOUT(make_rename_edit_keeps_state, 60)
{
    rename_edit_keeps_state(SERVICE_MAKE, "plain");
}

/* The service's shared library, libtally.so, was built with the reload
   flags: hcr finds its unit, and an edit of tally.c changes the reply of
   "tally", the tally going on from where it was. With CMake the database
   lists tally.c twice, first for an object compiled with TALLY_VARIANT
   that no target links: the recompile must use the library's own entry,
   or the reply would say "variant". */
static void library_edit_keeps_state(enum service_build how)
{
    struct child c;
    size_t err = service_start(&c, service_hcr_run(service_build(how), NULL));
    child_wait_stderr(&c, 0, REPLY_MS, "hcr", " 1 in libtally.so", NULL);
    if (how == SERVICE_CMAKE || how == SERVICE_CMAKE_PLAIN)
        child_wait_stderr(&c, 0, REPLY_MS, "tally.c 2 times; using the one that writes ",
                          "CMakeFiles/tally.dir/", NULL);
    child_ask(&c, "tally", REPLY_MS);
    CHILD_CHECK_HAS(&c, child_ask(&c, "tally", REPLY_MS), "tally 2 by 1 (shared)");

    service_edit("tally.c", SAVE_RENAME, "#define TALLY_BY 1\n", "#define TALLY_BY 100\n", NULL);
    const char *reply = child_ask_until(&c, "tallied", "by 100", RELOAD_MS);
    CHILD_CHECK_HAS(&c, reply, "tally 2 by 100 (shared)");
    CHILD_CHECK_HAS(&c, child_ask(&c, "tally", REPLY_MS), "tally 102 by 100 (shared)");
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "tally.c", NULL);
    service_finish(&c);
}

TEST_TIMEOUT(cmake_library_edit_keeps_state, 60)
{
    library_edit_keeps_state(SERVICE_CMAKE);
}

TEST_TIMEOUT(cmake_plain_flags_library_edit_keeps_state, 60)
{
    library_edit_keeps_state(SERVICE_CMAKE_PLAIN);
}

TEST_TIMEOUT(make_library_edit_keeps_state, 60)
{
    library_edit_keeps_state(SERVICE_MAKE);
}

/* svc.h's SVC_BONUS changes: counter.c and greet.c both recompile (greet.c
   with the build's own -D, which only the database knows) and both
   replies show the new bonus, with their state. */
static void header_edit_reaches_two_units(const char *built_by, char **argv)
{
    struct child c;
    size_t err = service_start(&c, argv);
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1 step 1 bonus 0");
    CHILD_CHECK_HAS(&c, child_ask(&c, "hello bob", REPLY_MS), "greeting 1, bonus 0");

    service_edit("svc.h", SAVE_RENAME, "#define SVC_BONUS 0\n", "#define SVC_BONUS 42\n", NULL);
    CHILD_CHECK_HAS(&c, child_ask_until(&c, "get", "bonus 42", RELOAD_MS), "count 1 step 1 ");
    const char *reply = child_ask_until(&c, "hello bob", "bonus 42", RELOAD_MS);
    if (number_after(&c, reply, "greeting ") < 2)
        CHILD_FAIL(&c, "greet.c's count of greetings was not kept: \"%s\"", reply);
    CHILD_CHECK_HAS(&c, reply, built_by);
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "counter.c", NULL);
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "greet.c", NULL);
    service_finish(&c);
}

TEST_TIMEOUT(cmake_header_edit_reaches_two_units, 60)
{
    const char *exe = service_build(SERVICE_CMAKE);
    char db[600];
    snprintf(db, sizeof db, "%s/build/compile_commands.json", harness_tmpdir());
    header_edit_reaches_two_units("cmake",
                                  service_hcr_run(exe, "--compile-commands", db, NULL));
}

TEST_TIMEOUT(make_header_edit_reaches_two_units, 60)
{
    header_edit_reaches_two_units("plain",
                                  service_hcr_run(service_build(SERVICE_MAKE), NULL));
}

/* A header edit that breaks one of the two units including it: the other
   compiles but waits, so the program never mixes the header's old and new
   meaning; the fix reloads both in one transaction, one report line. */
TEST_TIMEOUT(header_edit_reloads_its_units_together_or_not_at_all, 60)
{
    struct child c;
    size_t err = service_start(&c, service_hcr_run(service_build(SERVICE_MAKE), NULL));
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1 step 1 bonus 0");

    service_edit("svc.h", SAVE_RENAME, "#define SVC_BONUS 0\n", "#define SVC_BONUS 42\n",
                 "#define SVC_BUILD \"plain\"", "#define SVC_BUILD undeclared_in_header", NULL);
    child_wait_stderr(&c, err, RELOAD_MS, "undeclared_in_header", "error", NULL);
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "greet.c did not compile", NULL);
    /* counter.c compiled (before or after greet.c failed) and waits. */
    size_t waited = child_wait_stderr(&c, err, RELOAD_MS, "hcr", "counter.c compiled",
                                      "reloads with the rest of its change", NULL);
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 2 step 1 bonus 0");
    if (child_count_stderr(&c, err, "reloaded", NULL))
        CHILD_FAIL(&c, "a unit of the broken change was reloaded alone");

    service_edit("svc.h", SAVE_RENAME, "undeclared_in_header", "\"fixed\"", NULL);
    CHILD_CHECK_HAS(&c, child_ask_until(&c, "get", "bonus 42", RELOAD_MS), "count 2 step 1 ");
    CHILD_CHECK_HAS(&c, child_ask(&c, "hello fi", REPLY_MS), "bonus 42, extra 0, fixed");
    child_wait_stderr(&c, waited, RELOAD_MS, "counter.c", "greet.c", "reloaded", NULL);
    int lines = child_count_stderr(&c, waited, "reloaded", NULL);
    if (lines != 1)
        CHILD_FAIL(&c, "the change took %d reload lines, not one", lines);
    service_finish(&c);
}

/* The same once both units have been recompiled: then the compiler's own
   dependency list says that they include svc.h. */
TEST_TIMEOUT(header_edit_after_reloads, 60)
{
    const char *exe = service_build(SERVICE_MAKE);
    struct child c;
    size_t err = service_start(&c, service_hcr_run(exe, NULL));
    service_edit("counter.c", SAVE_RENAME, "#define STEP 1\n", "#define STEP 2\n", NULL);
    service_edit("greet.c", SAVE_RENAME, "\"hello, %s", "\"howdy, %s", NULL);
    child_ask_until(&c, "inc", "step 2", RELOAD_MS);
    child_ask_until(&c, "hello ed", "howdy, ed", RELOAD_MS);
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "counter.c", NULL);
    err = child_wait_stderr(&c, err, RELOAD_MS, "hcr", "greet.c", NULL);

    service_edit("svc.h", SAVE_RENAME, "#define SVC_BONUS 0\n", "#define SVC_BONUS 42\n", NULL);
    const char *reply = child_ask_until(&c, "get", "bonus 42", RELOAD_MS);
    CHILD_CHECK_HAS(&c, reply, " step 2 bonus 42");
    if (number_after(&c, reply, "count ") < 2)
        CHILD_FAIL(&c, "counter.c's count was not kept: \"%s\"", reply);
    reply = child_ask_until(&c, "hello ed", "bonus 42", RELOAD_MS);
    CHILD_CHECK_HAS(&c, reply, "howdy, ed");
    service_finish(&c);
}

/* greet.c rewritten in place (truncate, write); the recompile gets the
   flags of --cflags. */
TEST_TIMEOUT(in_place_edit_with_cflags, 60)
{
    const char *exe = service_build(SERVICE_MAKE);
    struct child c;
    size_t err = service_start(&c, service_hcr_run(exe, "--cflags", "-DSVC_EXTRA=5 -O1", NULL));
    CHILD_CHECK_HAS(&c, child_ask(&c, "hello cy", REPLY_MS), "hello, cy (greeting 1, bonus 0, extra 0");

    service_edit("greet.c", SAVE_IN_PLACE, "\"hello, %s", "\"howdy, %s", NULL);
    const char *reply = child_ask_until(&c, "hello cy", "howdy, cy", RELOAD_MS);
    CHILD_CHECK_HAS(&c, reply, "extra 5");
    if (number_after(&c, reply, "greeting ") < 2)
        CHILD_FAIL(&c, "greet.c's count of greetings was not kept: \"%s\"", reply);
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "greet.c", NULL);
    service_finish(&c);
}

/* A compile error: the compiler's diagnostic on the service's stderr, once,
   and the old code keeps answering; then the fix is picked up. */
TEST_TIMEOUT(compile_error_then_fix, 60)
{
    const char *exe = service_build(SERVICE_MAKE);
    struct child c;
    size_t err = service_start(&c, service_hcr_run(exe, NULL));
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1 step 1 bonus 0");

    service_edit("counter.c", SAVE_RENAME, "STEP, SVC_BONUS);", "STEP, undeclared_in_edit);",
                 NULL);
    size_t after_error = child_wait_stderr(&c, err, RELOAD_MS, "undeclared_in_edit", "error",
                                           NULL);
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 2 step 1 bonus 0");

    service_edit("counter.c", SAVE_RENAME, "undeclared_in_edit", "SVC_BONUS + 500", NULL);
    CHILD_CHECK_HAS(&c, child_ask_until(&c, "get", "bonus 500", RELOAD_MS),
                    "count 2 step 1 bonus 500");
    child_wait_stderr(&c, after_error, RELOAD_MS, "hcr", "counter.c", NULL);
    int diagnostics = child_count_stderr(&c, err, "undeclared_in_edit", "error", NULL);
    if (diagnostics != 1)
        CHILD_FAIL(&c, "the compile error was printed %d times, not once", diagnostics);
    service_finish(&c);
}

/* counter.c and greet.c saved one right after the other: both reload. */
TEST_TIMEOUT(two_files_saved_at_once, 60)
{
    const char *exe = service_build(SERVICE_MAKE);
    struct child c;
    size_t err = service_start(&c, service_hcr_run(exe, NULL));
    child_ask(&c, "inc", REPLY_MS);
    child_ask(&c, "hello di", REPLY_MS);

    service_edit("counter.c", SAVE_RENAME, "#define STEP 1\n", "#define STEP 7\n", NULL);
    service_edit("greet.c", SAVE_RENAME, "\"hello, %s", "\"howdy, %s", NULL);
    CHILD_CHECK_HAS(&c, child_ask_until(&c, "inc", "step 7", RELOAD_MS), "step 7 bonus 0");
    const char *reply = child_ask_until(&c, "hello di", "howdy, di", RELOAD_MS);
    if (number_after(&c, reply, "greeting ") < 2)
        CHILD_FAIL(&c, "greet.c's count of greetings was not kept: \"%s\"", reply);
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "counter.c", NULL);
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "greet.c", NULL);
    service_finish(&c);
}

/* An edit adding a thread-local variable cannot be reloaded: hcr says so on
   stderr and the old code keeps running; the next good edit reloads, and
   the tick count the main loop kept advancing is kept. */
TEST_TIMEOUT(new_thread_local_is_refused, 60)
{
    const char *exe = service_build(SERVICE_MAKE);
    struct child c;
    size_t err = service_start(&c, service_hcr_run(exe, NULL));
    const char *reply = child_ask(&c, "tick", REPLY_MS);
    CHILD_CHECK_HAS(&c, reply, " rate 1");
    long ticks = number_after(&c, reply, "ticks ");

    service_edit("tick.c", SAVE_RENAME, "static long ticks;\n",
                 "static long ticks;\nstatic _Thread_local int steps_here;\n", "    ticks++;\n",
                 "    ticks++;\n    steps_here++;\n", "rate 1\"", "rate 2\"", NULL);
    size_t refused = child_wait_stderr(&c, err, RELOAD_MS, "hcr", "tick.c", NULL);
    reply = child_ask(&c, "tick", REPLY_MS);
    if (!strstr(reply, " rate 1"))
        CHILD_FAIL(&c, "the edit with a new _Thread_local variable took effect: \"%s\"", reply);

    service_edit("tick.c", SAVE_RENAME, "static _Thread_local int steps_here;\n", "",
                 "    steps_here++;\n", "", "rate 2\"", "rate 3\"", NULL);
    reply = child_ask_until(&c, "tick", " rate 3", RELOAD_MS);
    if (number_after(&c, reply, "ticks ") < ticks)
        CHILD_FAIL(&c, "the tick count went back from %ld: \"%s\"", ticks, reply);
    child_wait_stderr(&c, refused, RELOAD_MS, "hcr", "tick.c", NULL);
    service_finish(&c);
}

/* The service's stdin, exit status and fatal signal pass through hcr run,
   before and after a reload (which installs hcr's crash handlers). */
TEST_TIMEOUT(passes_stdin_exit_status_and_signal, 60)
{
    const char *exe = service_build(SERVICE_MAKE);
    struct child c;
    service_start(&c, service_hcr_run(exe, NULL));
    CHILD_CHECK_HAS(&c, child_ask(&c, "echo through hcr run", REPLY_MS),
                    "echo through hcr run");
    child_send(&c, "exit 7");
    int status = child_wait(&c, REPLY_MS);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 7)
        CHILD_FAIL(&c, "\"exit 7\" ended hcr run with status 0x%x", status);

    service_start(&c, service_hcr_run(exe, NULL));
    child_send(&c, "crash");
    status = child_wait(&c, REPLY_MS);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
        CHILD_FAIL(&c, "\"crash\" ended hcr run with status 0x%x, not SIGSEGV", status);

    size_t err = service_start(&c, service_hcr_run(exe, NULL));
    service_edit("counter.c", SAVE_RENAME, "#define STEP 1\n", "#define STEP 9\n", NULL);
    child_ask_until(&c, "inc", "step 9", RELOAD_MS);
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "counter.c", NULL);
    child_send(&c, "crash");
    status = child_wait(&c, REPLY_MS);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
        CHILD_FAIL(&c, "\"crash\" after a reload ended hcr run with status 0x%x, not SIGSEGV",
                   status);

    service_start(&c, service_hcr_run(exe, NULL));
    service_finish(&c);
}

/* Runs `hcr args...` with its output in files; returns the wait status
   and the output in out/err (static, rotated). */
static int hcr_command(char **out, char **err, char *const args[])
{
    static char texts[2][16384];
    char *argv[16] = {E2E_HCR};
    size_t n = 1;
    while (args[n - 1] && n < 15) {
        argv[n] = args[n - 1];
        n++;
    }
    struct child c;
    child_start(&c, argv);
    child_close_stdin(&c);
    int status = child_wait(&c, REPLY_MS);
    snprintf(texts[0], sizeof texts[0], "%s", c.out_text);
    snprintf(texts[1], sizeof texts[1], "%s", c.err_text);
    free(c.out_text);
    free(c.err_text);
    *out = texts[0];
    *err = texts[1];
    return status;
}

#define CHECK_EXIT(status, code)                                                            \
    do {                                                                                    \
        CHECK(WIFEXITED(status));                                                           \
        CHECK_EQ(WEXITSTATUS(status), code);                                                \
    } while (0)

/* Whether a child of `parent` runs the slow compiler script on `source`
   for a compile (not the preprocessing run, -E), as /proc shows. */
static int compiling(pid_t parent, const char *source)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int found = 0;
    while (d && !found && (e = readdir(d))) {
        char path[300], stat_line[512], cmd[4096];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        int ppid = 0;
        const char *after = fgets(stat_line, sizeof stat_line, f) ? strrchr(stat_line, ')') : NULL;
        fclose(f);
        if (!after || sscanf(after + 2, "%*c %d", &ppid) != 1 || ppid != parent ||
            !strstr(stat_line, "(slowcc)"))
            continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        f = fopen(path, "r");
        size_t n = f ? fread(cmd, 1, sizeof cmd - 1, f) : 0;
        if (f)
            fclose(f);
        int dash_e = 0, ours = 0;
        for (size_t at = 0; at < n; at += strlen(cmd + at) + 1) {
            cmd[n] = 0;
            dash_e |= !strcmp(cmd + at, "-E");
            ours |= strstr(cmd + at, source) != NULL;
        }
        found = ours && !dash_e;
    }
    if (d)
        closedir(d);
    return found;
}

/* A save while that unit compiles (each of hcr's compiles waits 1 s in
   the compiler script) restarts the compile: the second save's code runs, with the state, and
   counter.c was reloaded once, not twice. */
TEST_TIMEOUT(a_save_during_a_compile_restarts_it, 90)
{
    struct child c;
    const char *exe = service_build(SERVICE_CMAKE_SLOW);
    setenv("SLOWCC", "1", 1); /* hcr's compiles, not the build above, wait */
    size_t err = service_start(&c, service_hcr_run(exe, NULL));
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1 step 1 ");
    service_edit("counter.c", SAVE_RENAME, "#define STEP 1\n", "#define STEP 20\n", NULL);
    for (int waited = 0; !compiling(c.pid, "counter.c"); waited += 10) {
        if (waited > RELOAD_MS)
            CHILD_FAIL(&c, "counter.c's compile never started");
        child_pump(&c, 10);
    }
    service_edit("counter.c", SAVE_RENAME, "#define STEP 20\n", "#define STEP 300\n", NULL);
    CHILD_CHECK_HAS(&c, child_ask_until(&c, "get", "step 300", RELOAD_MS), "count 1 step 300 ");
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 301 step 300 ");
    int reloads = child_count_stderr(&c, err, "counter.c reloaded", NULL);
    if (reloads != 1)
        CHILD_FAIL(&c, "counter.c was reloaded %d times, not once", reloads);
    service_finish(&c);
}

/* A program that links hcr and starts live editing itself, reloading only
   at hcr_live_poll() (its "poll" command): a compiled save changes nothing
   until the poll, the poll reloads it and says so, and hcr's callbacks
   saw the reload of counter.c with status 0. */
TEST_TIMEOUT(reload_at_poll_with_callbacks, 60)
{
    struct child c;
    char *argv[] = {(char *)service_build(SERVICE_MAKE_SELF), NULL};
    service_start(&c, argv);
    CHILD_CHECK_HAS(&c, child_ask(&c, "poll", REPLY_MS), "polled 0 before 0 after 0");
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1 step 1 ");

    service_edit("counter.c", SAVE_RENAME, "#define STEP 1\n", "#define STEP 1000\n", NULL);
    /* Until a poll reloads it, the old code runs whatever the compile has
       done (were changes reloaded at once, no poll would ever say 1). */
    int count = 1;
    for (;;) {
        char want[64];
        snprintf(want, sizeof want, "count %d step 1 ", ++count);
        CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), want);
        const char *reply = child_ask(&c, "poll", REPLY_MS);
        if (strstr(reply, "polled 1")) {
            CHILD_CHECK_HAS(&c, reply, "before 1 after 1 status 0 source counter.c");
            break;
        }
        CHILD_CHECK_HAS(&c, reply, "polled 0 before 0 after 0");
        if (count > RELOAD_MS / 20)
            CHILD_FAIL(&c, "no poll reloaded counter.c in %d polls", count);
        child_pump(&c, 20);
    }
    char want[64];
    snprintf(want, sizeof want, "count %d step 1000 ", count + 1000);
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), want);
    CHILD_CHECK_HAS(&c, child_ask(&c, "poll", REPLY_MS), "polled 0 before 1 after 1");
    service_finish(&c);
}

/* An edit that crashes: under hcr run, the crash report names the source
   and the reload that introduced the code, and the signal is the
   program's; in a program that protects its work, the reload is reverted
   and the old code goes on with the state as the crash left it. */
/* A store to address 16, not 0: UBSan (sanitizer builds) stops at a null
   store before it faults. */
#define CRASHING_EDIT "count += STEP;\n", "count += STEP;\n    if (count > 1)\n        *(volatile int *)16 = count;\n"

TEST_TIMEOUT(a_crash_in_reloaded_code_names_its_source, 60)
{
    struct child c;
    size_t err = service_start(&c, service_hcr_run(service_build(SERVICE_MAKE), NULL));
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1 step 1");
    service_edit("counter.c", SAVE_RENAME, CRASHING_EDIT, NULL);
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "counter.c reloaded", NULL);
    child_send(&c, "inc");
    int status = child_wait(&c, REPLY_MS);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
        CHILD_FAIL(&c, "the crash ended hcr run with status 0x%x, not SIGSEGV", status);
    child_wait_stderr(&c, err, REPLY_MS, "SIGSEGV in code of", "counter.c", "(reload 1)", NULL);
}

TEST_TIMEOUT(a_crash_under_protection_reverts_the_reload, 60)
{
    struct child c;
    char *argv[] = {(char *)service_build(SERVICE_MAKE_SELF), NULL};
    size_t err = service_start(&c, argv);
    CHILD_CHECK_HAS(&c, child_ask(&c, "pinc", REPLY_MS), "count 1 step 1");
    service_edit("counter.c", SAVE_RENAME, CRASHING_EDIT, "#define STEP 1\n", "#define STEP 3\n",
                 NULL);
    child_ask_until(&c, "poll", "polled 1 ", RELOAD_MS);
    CHILD_CHECK_HAS(&c, child_ask(&c, "pinc", REPLY_MS), "crashed HCR_ECRASH");
    child_wait_stderr(&c, err, REPLY_MS, "counter.c", "reverted", NULL);
    /* The new code ran (count 1 + 3) before crashing; the old one goes on. */
    CHILD_CHECK_HAS(&c, child_ask(&c, "pinc", REPLY_MS), "count 5 step 1");
    service_finish(&c);
}

TEST(help_and_usage)
{
    char *out, *err;
    int status = hcr_command(&out, &err, (char *[]){"run", "--help", NULL});
    CHECK_EXIT(status, 0);
    const char *options[] = {"--compile-commands PATH", "--cflags FLAGS", "-h, --help",
                             "--version", "PROGRAM"};
    for (size_t i = 0; i < sizeof options / sizeof *options; i++)
        CHECK_STR_HAS(out, options[i]);

    CHECK_EXIT(hcr_command(&out, &err, (char *[]){"--help", NULL}), 0);
    CHECK_STR_HAS(out, "run");
    CHECK_EXIT(hcr_command(&out, &err, (char *[]){"--version", NULL}), 0);
    CHECK_STR_HAS(out, "hcr ");

    /* Bad usage: a message and the usage on stderr, status 2. */
    char *const bad[][5] = {
        {NULL},
        {"walk", NULL},
        {"run", NULL},
        {"run", "--", NULL},
        {"run", "./service", NULL},
        {"run", "--bogus", "--", "true", NULL},
        {"run", "--cflags", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        status = hcr_command(&out, &err, bad[i]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 2)
            harness_fail(__FILE__, __LINE__, "case %zu: status 0x%x, not exit 2", i, status);
        CHECK_STR_HAS(err, "usage: hcr run");
        CHECK_EQ(strlen(out), 0);
    }

    /* A program that is not there, or not executable, as the shell says. */
    status = hcr_command(&out, &err, (char *[]){"run", "--", "/nonexistent/service", NULL});
    CHECK_EXIT(status, 127);
    CHECK_STR_HAS(err, "/nonexistent/service");
    const char *plain = harness_path("not_executable");
    FILE *f = fopen(plain, "w");
    CHECK(f != NULL);
    fclose(f);
    chmod(plain, 0644);
    status = hcr_command(&out, &err, (char *[]){"run", "--", (char *)plain, NULL});
    CHECK_EXIT(status, 126);
    CHECK_STR_HAS(err, plain);
}
