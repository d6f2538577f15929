/*
 * child.c: a program under test driven through pipes (see child.h). All
 * reading goes through pump(), which polls stdout and stderr together so
 * that neither pipe can fill up and block the program.
 */
#include "child.h"

#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void append(char **text, size_t *len, const char *bytes, size_t n)
{
    char *grown = realloc(*text, *len + n + 1);
    if (!grown)
        harness_fail(__FILE__, __LINE__, "out of memory");
    memcpy(grown + *len, bytes, n);
    *len += n;
    grown[*len] = '\0';
    *text = grown;
}

void child_fail(struct child *c, const char *file, int line, const char *fmt, ...)
{
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    child_pump(c, 0);
    /* The last lines of stdout: a wait that asked again and again wrote
       the same question many times. */
    const char *tail = c->out_text ? c->out_text + c->out_len : "";
    int lines = 0;
    while (tail > c->out_text && lines <= 20)
        lines += *--tail == '\n';
    if (lines > 20)
        tail++;
    fprintf(stderr, "  --- program stdout%s ---\n%s", tail > c->out_text ? ", last 20 lines" : "",
            tail);
    fprintf(stderr, "  --- program stderr ---\n%s", c->err_text ? c->err_text : "");
    fprintf(stderr, "  ----------------------\n");
    harness_fail(file, line, "%s", message);
}

void child_start(struct child *c, char *const argv[])
{
    int in[2], out[2], err[2];
    *c = (struct child){.in = -1, .out = -1, .err = -1};
    append(&c->out_text, &c->out_len, "", 0);
    append(&c->err_text, &c->err_len, "", 0);
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        harness_fail(__FILE__, __LINE__, "pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        harness_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    c->pid = pid;
    c->in = in[1];
    c->out = out[0];
    c->err = err[0];
    /* A program that died must fail the test at the next check, not kill
       it with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
}

void child_send(struct child *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 1)
        harness_fail(__FILE__, __LINE__, "command too long");
    line[n++] = '\n';
    if (c->in < 0 || write(c->in, line, (size_t)n) != n)
        CHILD_FAIL(c, "cannot send \"%.*s\" to the program: %s", n - 1, line,
                   c->in < 0 ? "stdin closed" : strerror(errno));
}

void child_close_stdin(struct child *c)
{
    if (c->in >= 0)
        close(c->in);
    c->in = -1;
}

/* Reads what is available on stdout and stderr, waiting up to ms for the
   first bytes. Returns 0 once both are at end of file, else 1. */
static int pump(struct child *c, int ms)
{
    struct pollfd fds[2] = {{.fd = c->out, .events = POLLIN}, {.fd = c->err, .events = POLLIN}};
    if (c->out < 0 && c->err < 0)
        return 0;
    if (poll(fds, 2, ms) < 0)
        return errno == EINTR;
    for (int i = 0; i < 2; i++) {
        if (!fds[i].revents)
            continue;
        char buf[8192];
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n > 0 && i == 0)
            append(&c->out_text, &c->out_len, buf, (size_t)n);
        else if (n > 0)
            append(&c->err_text, &c->err_len, buf, (size_t)n);
        else if (n == 0 || errno != EINTR) {
            close(fds[i].fd);
            *(i == 0 ? &c->out : &c->err) = -1;
        }
    }
    return 1;
}

void child_pump(struct child *c, int ms)
{
    double end = now_ms() + ms;
    do {
        if (!pump(c, ms <= 0 ? 0 : (int)(end - now_ms()) + 1))
            return;
    } while (now_ms() < end);
}

const char *child_read_line(struct child *c, int timeout_ms)
{
    double end = now_ms() + timeout_ms;
    for (;;) {
        char *start = c->out_text + c->out_read;
        char *nl = strchr(start, '\n');
        if (nl) {
            size_t n = (size_t)(nl - start);
            if (n >= sizeof c->line)
                n = sizeof c->line - 1;
            memcpy(c->line, start, n);
            c->line[n] = '\0';
            c->out_read = (size_t)(nl + 1 - c->out_text);
            return c->line;
        }
        double left = end - now_ms();
        if (left <= 0)
            CHILD_FAIL(c, "no line on the program's stdout within %d ms", timeout_ms);
        if (c->out < 0)
            CHILD_FAIL(c, "the program's stdout ended while a line was awaited");
        pump(c, (int)left + 1);
    }
}

const char *child_ask(struct child *c, const char *command, int timeout_ms)
{
    child_send(c, "%s", command);
    return child_read_line(c, timeout_ms);
}

const char *child_ask_until(struct child *c, const char *command, const char *needle,
                            int timeout_ms)
{
    double end = now_ms() + timeout_ms;
    char last[sizeof c->line] = "";
    for (;;) {
        const char *reply = child_ask(c, command, timeout_ms);
        if (strstr(reply, needle))
            return reply;
        snprintf(last, sizeof last, "%s", reply);
        if (now_ms() >= end)
            CHILD_FAIL(c, "\"%s\" never answered with \"%s\" within %d ms; last reply: \"%s\"",
                       command, needle, timeout_ms, last);
        child_pump(c, 20); /* let the program run between two questions */
    }
}

/* Whether the line [start, end) contains every needle of the list. */
static int line_has_all(const char *start, const char *end, va_list needles)
{
    const char *needle;
    while ((needle = va_arg(needles, const char *))) {
        size_t n = strlen(needle);
        const char *p = start;
        for (; p + n <= end; p++)
            if (!memcmp(p, needle, n))
                break;
        if (p + n > end)
            return 0;
    }
    return 1;
}

/* The offset past the first complete stderr line at or after `from`
   holding every needle, or SIZE_MAX. */
static size_t find_line(struct child *c, size_t from, va_list needles)
{
    for (size_t at = from; at < c->err_len;) {
        char *nl = memchr(c->err_text + at, '\n', c->err_len - at);
        if (!nl)
            break;
        va_list copy;
        va_copy(copy, needles);
        int hit = line_has_all(c->err_text + at, nl, copy);
        va_end(copy);
        at = (size_t)(nl + 1 - c->err_text);
        if (hit)
            return at;
    }
    return SIZE_MAX;
}

size_t child_wait_stderr(struct child *c, size_t from, int timeout_ms, ...)
{
    double end = now_ms() + timeout_ms;
    va_list needles;
    for (;;) {
        va_start(needles, timeout_ms);
        size_t past = find_line(c, from, needles);
        va_end(needles);
        if (past != SIZE_MAX)
            return past;
        double left = end - now_ms();
        if (left <= 0 || (c->err < 0 && c->out < 0)) {
            char wanted[512] = "";
            va_start(needles, timeout_ms);
            for (const char *n; (n = va_arg(needles, const char *));)
                snprintf(wanted + strlen(wanted), sizeof wanted - strlen(wanted), " \"%s\"", n);
            va_end(needles);
            CHILD_FAIL(c, "no line on the program's stderr with%s within %d ms", wanted,
                       timeout_ms);
        }
        pump(c, (int)left + 1);
    }
}

int child_count_stderr(struct child *c, size_t from, ...)
{
    int count = 0;
    va_list needles;
    for (;;) {
        va_start(needles, from);
        size_t past = find_line(c, from, needles);
        va_end(needles);
        if (past == SIZE_MAX)
            return count;
        count++;
        from = past;
    }
}

/* Whether an inotify instance of process pid has a watch on inode ino:
   /proc/PID/fdinfo/FD of an inotify descriptor has one line per watch,
   "inotify wd:N ino:HEX sdev:HEX mask:HEX ...". */
static int watches_inode(pid_t pid, unsigned long ino)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *fds = opendir(path);
    if (!fds)
        return 0;
    int found = 0;
    for (struct dirent *e; !found && (e = readdir(fds));) {
        char link[320], target[64];
        snprintf(link, sizeof link, "/proc/%d/fd/%s", (int)pid, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strcmp(target, "anon_inode:inotify") != 0)
            continue;
        snprintf(link, sizeof link, "/proc/%d/fdinfo/%s", (int)pid, e->d_name);
        FILE *info = fopen(link, "r");
        char line[512];
        while (info && !found && fgets(line, sizeof line, info)) {
            const char *at = strstr(line, " ino:");
            found = !strncmp(line, "inotify ", 8) && at && strtoul(at + 5, NULL, 16) == ino;
        }
        if (info)
            fclose(info);
    }
    closedir(fds);
    return found;
}

void child_wait_inotify_of(struct child *c, pid_t pid, const char *path, int timeout_ms)
{
    struct stat st;
    if (stat(path, &st) != 0)
        harness_fail(__FILE__, __LINE__, "stat %s: %s", path, strerror(errno));
    double end = now_ms() + timeout_ms;
    while (!watches_inode(pid, (unsigned long)st.st_ino)) {
        if (now_ms() >= end)
            CHILD_FAIL(c, "process %d did not watch %s within %d ms", (int)pid, path,
                       timeout_ms);
        if (c->out < 0 && c->err < 0)
            CHILD_FAIL(c, "the program ended before process %d watched %s", (int)pid, path);
        pump(c, 10);
    }
}

void child_wait_inotify(struct child *c, const char *path, int timeout_ms)
{
    child_wait_inotify_of(c, c->pid, path, timeout_ms);
}

int child_use_input(struct child *c, int fd)
{
    int before = c->in;
    c->in = fd;
    return before;
}

int child_wait(struct child *c, int timeout_ms)
{
    double end = now_ms() + timeout_ms;
    while (!c->exited) {
        pid_t r = waitpid(c->pid, &c->status, WNOHANG);
        if (r == c->pid) {
            c->exited = 1;
            break;
        }
        if (r < 0 && errno != EINTR)
            harness_fail(__FILE__, __LINE__, "waitpid: %s", strerror(errno));
        if (now_ms() >= end) {
            kill(c->pid, SIGKILL);
            CHILD_FAIL(c, "the program did not end within %d ms", timeout_ms);
        }
        /* Output first, so that a program blocked on a full pipe can end;
           once both pipes are closed, poll the exit at a short interval. */
        if (!pump(c, 10))
            harness_sleep_ms(5);
    }
    /* What it wrote before it ended is in the pipes already. */
    for (;;) {
        struct pollfd fds[2] = {{.fd = c->out, .events = POLLIN},
                                {.fd = c->err, .events = POLLIN}};
        if (poll(fds, 2, 0) <= 0)
            break;
        pump(c, 0);
    }
    return c->status;
}
