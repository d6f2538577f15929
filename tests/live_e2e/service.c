/*
 * service.c: builds and edits the counter service (see service.h). The
 * build tools run with their output in a log file of the test's directory,
 * printed when they fail.
 */
#include "service.h"

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const service_files[] = {"svc.h",  "main.c",         "counter.c", "greet.c",
                                            "tick.c", "tally.c",        "CMakeLists.txt",
                                            "Makefile"};

/* The whole of a file, malloc'ed and NUL-terminated. */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        harness_fail(__FILE__, __LINE__, "open %s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len + 4096 + 1 > cap) {
            cap = (len + 4096 + 1) * 2;
            if (!(text = realloc(text, cap)))
                harness_fail(__FILE__, __LINE__, "out of memory");
        }
        n = fread(text + len, 1, 4096, f);
        len += n;
    } while (n > 0);
    fclose(f);
    text[len] = '\0';
    return text;
}

static void write_all(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        harness_fail(__FILE__, __LINE__, "write %s: %s", path, strerror(errno));
}

/* Runs argv in `dir` with stdout and stderr in <tmpdir>/build.log; fails
   the test, printing the log, unless it exits with status 0. */
static void run_tool(char *const argv[], const char *dir)
{
    const char *log = harness_path("build.log");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0 || chdir(dir) != 0)
            _exit(126);
        dup2(fd, 1);
        dup2(fd, 2);
        /* Not the jobserver of a `make test` this test may run under. */
        unsetenv("MAKEFLAGS");
        unsetenv("MFLAGS");
        unsetenv("MAKELEVEL");
        execvp(argv[0], argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        harness_fail(__FILE__, __LINE__, "cannot run %s", argv[0]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *text = read_all(log);
        fprintf(stderr, "  --- %s ---\n%s", log, text);
        free(text);
        harness_fail(__FILE__, __LINE__, "%s failed (status 0x%x)", argv[0], status);
    }
}

const char *service_file(const char *name)
{
    static char slots[4][512];
    static int next;
    char *out = slots[next++ % 4];
    snprintf(out, sizeof slots[0], "%s/src/%s", harness_tmpdir(), name);
    return out;
}

const char *service_build(enum service_build how)
{
    static char exe[600];
    char src[512], build[512], from[512];
    snprintf(src, sizeof src, "%s/src", harness_tmpdir());
    snprintf(build, sizeof build, "%s/build", harness_tmpdir());
    if (mkdir(src, 0755) != 0)
        harness_fail(__FILE__, __LINE__, "mkdir %s: %s", src, strerror(errno));
    for (size_t i = 0; i < sizeof service_files / sizeof *service_files; i++) {
        snprintf(from, sizeof from, "%s/%s", E2E_SERVICE_DIR, service_files[i]);
        char *text = read_all(from);
        write_all(service_file(service_files[i]), text);
        free(text);
    }
    if (how == SERVICE_CMAKE || how == SERVICE_CMAKE_SLOW || how == SERVICE_CMAKE_PLAIN) {
        char cc[600], cflags[600];
        snprintf(cc, sizeof cc, "-DCMAKE_C_COMPILER=%s", E2E_CC);
        snprintf(cflags, sizeof cflags, "-DCMAKE_C_FLAGS=-O2 %s",
                 how == SERVICE_CMAKE_PLAIN ? "-g" : E2E_RELOAD_CFLAGS);
        if (how == SERVICE_CMAKE_SLOW) {
            const char *slow = service_file("slowcc");
            char script[700];
            snprintf(script, sizeof script,
                     "#!/bin/sh\n"
                     "[ -z \"$SVC_CCLOG\" ] || echo \"HCR_LIVE=${HCR_LIVE-} "
                     "LD_PRELOAD=${LD_PRELOAD-} $*\" >> \"$SVC_CCLOG\"\n"
                     "[ -z \"$SLOWCC\" ] || sleep 1\nexec %s \"$@\"\n",
                     E2E_CC);
            write_all(slow, script);
            if (chmod(slow, 0755) != 0)
                harness_fail(__FILE__, __LINE__, "chmod %s: %s", slow, strerror(errno));
            snprintf(cc, sizeof cc, "-DCMAKE_C_COMPILER=%s", slow);
        }
        char *configure[] = {E2E_CMAKE, "-S", src, "-B", build, "-G", "Unix Makefiles", cc, cflags,
                             "-DCMAKE_BUILD_TYPE=", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON", NULL};
        char *make[] = {E2E_CMAKE, "--build", build, NULL};
        run_tool(configure, src);
        run_tool(make, src);
        snprintf(exe, sizeof exe, "%s/service", build);
    } else {
        char cc[600], cflags[1200], ldlibs[1200];
        snprintf(cc, sizeof cc, "CC=%s", E2E_CC);
        if (how == SERVICE_MAKE_SELF) {
            snprintf(cflags, sizeof cflags, "RELOAD_CFLAGS=%s %s -DSVC_SELF_LIVE -I%s",
                     E2E_RELOAD_CFLAGS, E2E_SAN_FLAGS, E2E_INCLUDE);
            snprintf(ldlibs, sizeof ldlibs, "LDLIBS=%s %s %s", E2E_SAN_FLAGS, E2E_HCR_LIB,
                     E2E_HCR_LIBS);
        } else {
            snprintf(cflags, sizeof cflags, "RELOAD_CFLAGS=%s", E2E_RELOAD_CFLAGS);
            snprintf(ldlibs, sizeof ldlibs, "LDLIBS=");
        }
        char *make[] = {E2E_MAKE, "-s", cc, cflags, ldlibs, NULL};
        run_tool(make, src);
        snprintf(exe, sizeof exe, "%s/service", src);
    }
    if (access(exe, X_OK) != 0)
        harness_fail(__FILE__, __LINE__, "the build made no %s", exe);
    return exe;
}

void service_edit(const char *name, enum service_save how, ...)
{
    const char *path = service_file(name);
    char *text = read_all(path);
    va_list ap;
    va_start(ap, how);
    for (const char *from; (from = va_arg(ap, const char *));) {
        const char *to = va_arg(ap, const char *);
        char *at = strstr(text, from);
        if (!at)
            harness_fail(__FILE__, __LINE__, "%s has no \"%s\" to edit", path, from);
        size_t head = (size_t)(at - text), from_len = strlen(from), to_len = strlen(to);
        char *edited = malloc(strlen(text) - from_len + to_len + 1);
        if (!edited)
            harness_fail(__FILE__, __LINE__, "out of memory");
        memcpy(edited, text, head);
        memcpy(edited + head, to, to_len);
        strcpy(edited + head + to_len, at + from_len);
        free(text);
        text = edited;
    }
    va_end(ap);
    /* Written outside the watched directory first; the save itself is one
       rename or one truncate-and-write, as an editor does it. */
    const char *scratch = harness_path("edit.scratch");
    write_all(scratch, text);
    free(text);
    if (how == SAVE_RENAME)
        harness_copy_rename(scratch, path);
    else
        harness_copy_in_place(scratch, path);
}

char **service_hcr_run(const char *exe, ...)
{
    static char *argv[16];
    size_t n = 0;
    argv[n++] = E2E_HCR;
    argv[n++] = "run";
    va_list ap;
    va_start(ap, exe);
    for (const char *option; (option = va_arg(ap, const char *));) {
        if (n >= sizeof argv / sizeof *argv - 3)
            harness_fail(__FILE__, __LINE__, "too many options");
        argv[n++] = (char *)option;
    }
    va_end(ap);
    argv[n++] = "--";
    argv[n++] = (char *)exe;
    argv[n] = NULL;
    return argv;
}

size_t service_start(struct child *c, char **argv)
{
    setenv("XDG_RUNTIME_DIR", harness_tmpdir(), 1);
    child_start(c, argv);
    const char *ready = child_read_line(c, REPLY_MS);
    if (strcmp(ready, "ready") != 0)
        CHILD_FAIL(c, "first line \"%s\", not \"ready\"", ready);
    child_wait_inotify(c, service_file(""), RELOAD_MS);
    child_pump(c, 0);
    return c->err_len;
}

void service_finish(struct child *c)
{
    child_close_stdin(c);
    const char *bye = child_read_line(c, REPLY_MS);
    if (strcmp(bye, "bye") != 0)
        CHILD_FAIL(c, "at end of input: \"%s\", not \"bye\"", bye);
    int status = child_wait(c, REPLY_MS);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        CHILD_FAIL(c, "the service ended with status 0x%x, not exit 0", status);
}
