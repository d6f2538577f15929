/* cr.h's basic host and guest pattern, unmodified but for the include
   path (sample/): the host runs as a process of its own with build 1 of
   the guest; once it has stepped three frames build 2 is put in place,
   which carries the counters on and ends the host on its third frame. With
   a C++ host (cr.h's 2018 calls, references) and a C host (the pointer
   form, cr.h's 2020 calls), both with the C guest. */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

struct host_run {
    pid_t pid;
    int out;
    char text[65536];
    size_t len;
};

static void start_host(struct host_run *h, const char *host, const char *plugin)
{
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    h->pid = fork();
    CHECK(h->pid >= 0);
    if (h->pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(host, host, plugin, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    h->out = fds[0];
}

/* Reads the host's output until it holds `needle` (1) or the host ended
   or `timeout_ms` passed without output (0). */
static int read_until(struct host_run *h, const char *needle, int timeout_ms)
{
    while (!strstr(h->text, needle)) {
        struct pollfd p = {h->out, POLLIN, 0};
        int ready = poll(&p, 1, harness_scale(timeout_ms));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0 || h->len + 1 >= sizeof h->text)
            return 0;
        ssize_t n = read(h->out, h->text + h->len, sizeof h->text - 1 - h->len);
        if (n <= 0)
            return 0;
        h->len += (size_t)n;
        h->text[h->len] = 0;
    }
    return 1;
}

/* Checks that the "frame N" lines count 1, 2, 3... without a gap, and
   returns how many follow `after`. */
static int frames_in_order(const char *text, const char *after)
{
    const char *from = strstr(text, after);
    CHECK(from != NULL);
    unsigned expected = 1;
    int following = 0;
    for (const char *at = text; (at = strstr(at, "frame ")); at++) {
        unsigned n = 0;
        CHECK_EQ(sscanf(at, "frame %u", &n), 1);
        CHECK_EQ(n, expected);
        expected++;
        following += at > from;
    }
    return following;
}

static void run_sample(const char *host)
{
    const char *plugin = harness_path("libbasic_guest.so");
    harness_copy_rename(CRH_GUESTS "/basic_b1.so", plugin);
    struct host_run *h = calloc(1, sizeof *h);
    start_host(h, host, plugin);
    int ran = read_until(h, "frame 3\n", 10000);
    if (ran)
        harness_copy_rename(CRH_GUESTS "/basic_b2.so", plugin);
    int closed = ran && read_until(h, "closed\n", 10000);
    if (!closed)
        kill(h->pid, SIGKILL);
    int status = 0;
    waitpid(h->pid, &status, 0);
    if (!closed)
        harness_fail(__FILE__, __LINE__, "%s did not run to its end; its output:\n%s", host,
                     h->text);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    const char *out = h->text;
    const char *start = "load version 1\nbuild 1 runs as version 1\nhello\nframe 1\n";
    CHECK_EQ(strncmp(out, start, strlen(start)), 0);
    CHECK(strstr(strstr(out, "hello") + 1, "hello") == NULL); /* once in the process's life */
    CHECK_STR_HAS(out, "unload version 1\nload version 2\nbuild 2 runs as version 2\n");
    CHECK_EQ(frames_in_order(out, "build 2 runs"), 3); /* carried on, three of its own */
    CHECK_STR_HAS(out, "close version 2\nclosed\n");
    close(h->out);
    free(h);
}

TEST(basic_sample_with_a_cxx_host) { run_sample(CRH_HOST_CXX); }
TEST(basic_sample_with_a_c_host) { run_sample(CRH_HOST_C); }
