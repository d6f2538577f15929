/*
 * main.c: a counter service for the end-to-end tests of `hcr run`. Reads
 * one command per line on stdin and prints one reply line per command on
 * stdout (line-buffered); while no command is waiting it ticks every 5 ms.
 *
 *   inc          adds to the counter      -> "count N step S bonus B"
 *   get          the counter              -> same
 *   hello NAME   a greeting               -> "hello, NAME (...)"
 *   tick         the tick counter         -> "ticks N rate R"
 *   tally        adds to libtally's tally -> "tally N by B (KIND)"
 *   tallied      the tally                -> same
 *   echo TEXT    TEXT back                -> "echo TEXT"
 *   exit N       exits with status N
 *   crash        writes through a null pointer (SIGSEGV)
 *   fork FIFO    forks a child process that reads its commands from the
 *                named pipe FIFO and prefixes its replies with "child "
 *                (the same stdout) -> "forked PID"; at the pipe's end the
 *                child prints "child bye" and exits
 *   exec         executes itself again through /bin/sh (no reply; the new
 *                program prints "ready")
 *   spawn PROG [ARG]  starts PROG (with one argument, if given) with
 *                stdin from /dev/null -> "spawned PID"
 *   run PROG [ARG]    the same, and waits for it -> "ran status N"
 *   poll         (SVC_SELF_LIVE only) hcr_live_poll -> "polled R before B
 *                after A status S source NAME"
 *   pinc         (SVC_SELF_LIVE only) inc under hcr_object_protect -> as
 *                inc, or "crashed CODE" 
 * End of input prints "bye" and exits with status 0.
 */
#include "svc.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int *volatile nowhere;

#ifdef SVC_SELF_LIVE
/* Built with -DSVC_SELF_LIVE and linked with hcr: the service starts live
   editing itself, reloading only at its "poll" command, and reports what
   hcr's callbacks saw. */
#include <hcr.h>

static int befores, afters, last_status = 1;
static char last_source[64] = "-";

static void before(const struct hcr_live_event *e, void *user)
{
    (void)e, (void)user;
    befores++;
}

static void after(const struct hcr_live_event *e, void *user)
{
    (void)user;
    afters++;
    last_status = e->status;
    const char *slash = strrchr(e->source, '/');
    snprintf(last_source, sizeof last_source, "%s", slash ? slash + 1 : e->source);
}

static void start_live(void)
{
    struct hcr_live_options o = {.when = HCR_LIVE_AT_POLL, .before_reload = before,
                                 .after_reload = after};
    if (hcr_live_start(&o) != 0)
        printf("live not started\n");
}

static void protected_inc(void *arg)
{
    (void)arg;
    counter_inc();
}

static void protected_inc_reply(char *reply, size_t size)
{
    int rc = hcr_object_protect(protected_inc, NULL);
    if (rc == 0)
        counter_report(reply, size);
    else
        snprintf(reply, size, "crashed %s", hcr_error_name(rc));
}

static void poll_live(char *reply, size_t size)
{
    int rc = hcr_live_poll();
    snprintf(reply, size, "polled %d before %d after %d status %d source %s", rc, befores, afters,
             last_status, last_source);
}
#endif

static const char *prefix = ""; /* "child " in a forked child */

static void serve(int in);

/* fork FIFO: the child serves the named pipe, the parent its stdin. */
static void fork_child(const char *fifo, char *reply, size_t size)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int in = open(fifo, O_RDONLY);
        if (in < 0) {
            printf("child cannot open %s\n", fifo);
            exit(1);
        }
        prefix = "child ";
        serve(in);
        printf("child bye\n");
        exit(0);
    }
    snprintf(reply, size, pid < 0 ? "fork failed" : "forked %d", (int)pid);
}

/* exec: this program again, through the shell as a script would. */
static void exec_again(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        fflush(stdout);
        execl("/bin/sh", "sh", "-c", "exec \"$0\"", self, (char *)NULL);
    }
    printf("exec failed\n");
}

/* Starts "PROG [ARG]" with stdin from /dev/null; its pid, or -1. */
static pid_t start_program(const char *command)
{
    char prog[256];
    snprintf(prog, sizeof prog, "%s", command);
    char *arg = strchr(prog, ' ');
    if (arg)
        *arg++ = '\0';
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        execl(prog, prog, arg, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void run_program(const char *command, char *reply, size_t size)
{
    pid_t pid = start_program(command);
    int status = -1;
    if (pid > 0)
        waitpid(pid, &status, 0);
    snprintf(reply, size, "ran status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void handle(const char *line)
{
    char reply[256];
    if (!strcmp(line, "inc")) {
        counter_inc();
        counter_report(reply, sizeof reply);
    } else if (!strcmp(line, "get")) {
        counter_report(reply, sizeof reply);
    } else if (!strncmp(line, "hello ", 6)) {
        greet(reply, sizeof reply, line + 6);
    } else if (!strcmp(line, "tick")) {
        tick_report(reply, sizeof reply);
    } else if (!strcmp(line, "tally") || !strcmp(line, "tallied")) {
        if (!strcmp(line, "tally"))
            tally_add();
        tally_report(reply, sizeof reply);
    } else if (!strncmp(line, "echo ", 5)) {
        snprintf(reply, sizeof reply, "echo %s", line + 5);
    } else if (!strncmp(line, "exit ", 5)) {
        exit(atoi(line + 5));
#ifdef SVC_SELF_LIVE
    } else if (!strcmp(line, "poll")) {
        poll_live(reply, sizeof reply);
    } else if (!strcmp(line, "pinc")) {
        protected_inc_reply(reply, sizeof reply);
#endif
    } else if (!strncmp(line, "fork ", 5)) {
        fork_child(line + 5, reply, sizeof reply);
    } else if (!strcmp(line, "exec")) {
        exec_again();
        return;
    } else if (!strncmp(line, "spawn ", 6)) {
        snprintf(reply, sizeof reply, "spawned %d", (int)start_program(line + 6));
    } else if (!strncmp(line, "run ", 4)) {
        run_program(line + 4, reply, sizeof reply);
    } else if (!strcmp(line, "crash")) {
        *nowhere = 1;
        snprintf(reply, sizeof reply, "survived");
    } else {
        snprintf(reply, sizeof reply, "unknown command: %s", line);
    }
    printf("%s%s\n", prefix, reply);
}

/* Answers the commands read from `in` until its end. */
static void serve(int in)
{
    static char input[4096];
    size_t used = 0;
    for (;;) {
        struct pollfd ready = {.fd = in, .events = POLLIN};
        if (poll(&ready, 1, 5) == 0) {
            tick_step();
            continue;
        }
        ssize_t n = read(in, input + used, sizeof input - 1 - used);
        if (n <= 0)
            break;
        used += (size_t)n;
        char *end;
        while ((end = memchr(input, '\n', used))) {
            *end = '\0';
            handle(input);
            used -= (size_t)(end + 1 - input);
            memmove(input, end + 1, used);
        }
        if (used == sizeof input - 1)
            used = 0; /* a line too long for the buffer is dropped */
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef SVC_SELF_LIVE
    start_live();
#endif
    printf("ready\n");
    serve(0);
    printf("bye\n");
    return 0;
}
