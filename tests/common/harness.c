/*
 * harness.c: runs every registered test in a forked child with a timeout
 * and prints one line per test and a closing "N passed, N failed" line.
 * Arguments, if given, select tests by name.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HARNESS_MAX_TESTS 256

struct harness_test {
    const char *name;
    harness_fn fn;
    int expect_signal;
    int timeout_s;
};

static struct harness_test tests[HARNESS_MAX_TESTS];
static int test_count;
static char tmpdir[256];

void harness_register(const char *name, harness_fn fn, int expect_signal, int timeout_s)
{
    if (test_count == HARNESS_MAX_TESTS) {
        fprintf(stderr, "harness: too many tests\n");
        exit(2);
    }
    tests[test_count++] = (struct harness_test){name, fn, expect_signal, timeout_s};
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

const char *harness_tmpdir(void)
{
    return tmpdir;
}

const char *harness_path(const char *name)
{
    static char slots[8][512];
    static int next;
    char *out = slots[next++ % 8];
    snprintf(out, sizeof slots[0], "%s/%s", tmpdir, name);
    return out;
}

static void copy_fd(const char *src, int out)
{
    int in = open(src, O_RDONLY);
    if (in < 0)
        harness_fail(__FILE__, __LINE__, "open %s: %s", src, strerror(errno));
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            harness_fail(__FILE__, __LINE__, "write: %s", strerror(errno));
    close(in);
}

void harness_copy_rename(const char *src, const char *dst)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", dst, (int)getpid());
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (out < 0)
        harness_fail(__FILE__, __LINE__, "open %s: %s", tmp, strerror(errno));
    copy_fd(src, out);
    close(out);
    if (rename(tmp, dst) != 0)
        harness_fail(__FILE__, __LINE__, "rename %s: %s", dst, strerror(errno));
}

void harness_copy_in_place(const char *src, const char *dst)
{
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (out < 0)
        harness_fail(__FILE__, __LINE__, "open %s: %s", dst, strerror(errno));
    copy_fd(src, out);
    close(out);
}

void harness_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void harness_sleep_us(int us)
{
    struct timespec ts = {us / 1000000, (long)(us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int harness_scale(int n)
{
    const char *slow = getenv("HCR_TEST_SLOW");
    int factor = slow ? atoi(slow) : 1;
    return n * (factor > 0 ? factor : 1);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static int selected(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

/* Runs one test in a child; returns 1 when it passed. */
static int run_one(const struct harness_test *t)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hcr-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 0;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        alarm((unsigned)harness_scale(t->timeout_s ? t->timeout_s : 30));
        t->fn();
        fflush(NULL);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    kill(-pid, SIGKILL); /* helpers the test started */
    nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

    if (t->expect_signal) {
        if (WIFSIGNALED(status) && WTERMSIG(status) == t->expect_signal)
            return 1;
        fprintf(stderr, "  expected death by signal %d, got %s %d\n", t->expect_signal,
                WIFSIGNALED(status) ? "signal" : "exit",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        return 0;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 1;
    if (WIFSIGNALED(status))
        fprintf(stderr, "  died by signal %d%s\n", WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
    return 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < test_count; i++) {
        if (!selected(tests[i].name, argc, argv))
            continue;
        int ok = run_one(&tests[i]);
        printf("%s %s\n", ok ? "ok  " : "FAIL", tests[i].name);
        ok ? passed++ : failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
