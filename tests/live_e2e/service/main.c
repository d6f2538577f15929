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
 *   poll         (SVC_SELF_LIVE only) hcr_live_poll -> "polled R before B
 *                after A status S source NAME"
 *   pinc         (SVC_SELF_LIVE only) inc under hcr_object_protect -> as
 *                inc, or "crashed CODE" 
 * End of input prints "bye" and exits with status 0.
 */
#include "svc.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    } else if (!strcmp(line, "crash")) {
        *nowhere = 1;
        snprintf(reply, sizeof reply, "survived");
    } else {
        snprintf(reply, sizeof reply, "unknown command: %s", line);
    }
    printf("%s\n", reply);
}

int main(void)
{
    static char input[4096];
    size_t used = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef SVC_SELF_LIVE
    start_live();
#endif
    printf("ready\n");
    for (;;) {
        struct pollfd in = {.fd = 0, .events = POLLIN};
        if (poll(&in, 1, 5) == 0) {
            tick_step();
            continue;
        }
        ssize_t n = read(0, input + used, sizeof input - 1 - used);
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
    printf("bye\n");
    return 0;
}
