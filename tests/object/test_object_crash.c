/*
 * test_object_crash.c: a reload whose code crashes. Under
 * hcr_object_protect the crash reverts that reload and the program goes on
 * with the code it ran before; without protection the crash is reported
 * with the reload that introduced the code and then kills the process.
 */
#include "harness.h"
#include "object_util.h"
#include "prog.h"

#include <fcntl.h>
#include <hcr.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void reload(const char *name)
{
    int rc = hcr_object_reload(obj(name));
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "reload of %s: %s", name, hcr_object_error());
}

/* How many protected calls began, and how many of them returned: a crash
   test must prove the work ran up to the crash, not that it was skipped. */
static int began, returned;

static void call_version(void *arg)
{
    began++;
    *(int *)arg = b_version();
    returned++;
}

TEST(a_crash_under_protection_reverts_the_reload)
{
    int result = 0;
    CHECK_EQ(hcr_object_protect(call_version, &result), 0);
    CHECK_EQ(result, 1);
    reload("crash_prog_b.o");
    result = 0;
    CHECK_EQ(hcr_object_protect(call_version, &result), HCR_ECRASH);
    CHECK_EQ(began, 2);
    CHECK_EQ(returned, 1); /* the crash ended the second call inside b_version */
    CHECK_EQ(result, 0);
    CHECK_STR_HAS(hcr_object_error(), "crash_prog_b.o");
    CHECK_STR_HAS(hcr_object_error(), "SIGSEGV");
    CHECK_EQ(b_version(), 1); /* the previous code again */
    CHECK_EQ(hcr_object_protect(call_version, &result), 0);
    CHECK_EQ(result, 1);
    CHECK_EQ(returned, 2);
}

TEST(only_the_crashing_reload_and_newer_ones_are_reverted)
{
    int result = 0;
    reload("v2_prog_b.o");
    CHECK_EQ(b_version(), 2);
    reload("crash_prog_b.o");
    CHECK_EQ(hcr_object_protect(call_version, &result), HCR_ECRASH);
    CHECK_EQ(began, 1);
    CHECK_EQ(returned, 0);
    CHECK_EQ(b_version(), 2);
    CHECK_EQ(b_twice(3), 9);
    reload("v1_prog_b.o"); /* reloading after a rollback works */
    CHECK_EQ(b_version(), 1);
}

static void crash_elsewhere(void *arg)
{
    (void)arg;
    began++;
    /* A real fault, in code that was never reloaded. */
    volatile uintptr_t bad = 16;
    *(volatile int *)bad = 1;
}

TEST(a_crash_elsewhere_after_a_trusted_reload_reverts_nothing)
{
    int result = 0;
    reload("v2_prog_b.o");
    CHECK_EQ(hcr_object_protect(call_version, &result), 0); /* now trusted */
    CHECK_EQ(hcr_object_protect(crash_elsewhere, NULL), HCR_ECRASH);
    CHECK_EQ(began, 2);
    CHECK_STR_HAS(hcr_object_error(), "no reload reverted");
    CHECK_EQ(b_version(), 2);
}

TEST(a_crash_in_libc_called_by_new_code_reverts_the_untried_reload)
{
    int result = 0;
    reload("v2_prog_b.o");
    CHECK_EQ(hcr_object_protect(call_version, &result), 0);
    CHECK_EQ(result, 2);
    reload("crash_libc_prog_b.o"); /* strlen(NULL): the fault is in libc */
    CHECK_EQ(hcr_object_protect(call_version, &result), HCR_ECRASH);
    CHECK_EQ(began, 2);
    CHECK_EQ(returned, 1);
    CHECK_STR_HAS(hcr_object_error(), "crash_libc_prog_b.o");
    CHECK_STR_HAS(hcr_object_error(), "outside reloaded code");
    CHECK_EQ(b_version(), 2); /* the trusted reload stays */
}

TEST(protected_work_that_does_not_crash_returns_0)
{
    int result = 0;
    CHECK_EQ(hcr_object_protect(call_version, &result), 0);
    CHECK_EQ(result, 1);
    CHECK_EQ(returned, 1);
    CHECK_EQ(hcr_object_protect(NULL, NULL), HCR_EINVAL);
    CHECK_EQ(began, 1); /* no work, nothing run */
}

TEST(an_unguarded_crash_names_the_reload_then_kills)
{
    const char *log = harness_path("stderr.txt");
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
        if (hcr_object_reload(obj("crash_prog_b.o")) != 0)
            _exit(3);
        b_version();
        _exit(4);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGSEGV);
    size_t size;
    unsigned char *text = slurp(log, &size);
    text = realloc(text, size + 1);
    text[size] = 0;
    CHECK_STR_HAS((char *)text, "SIGSEGV in code reloaded from");
    CHECK_STR_HAS((char *)text, "crash_prog_b.o (reload 1)");
    free(text);
}
