/*
 * test_live_processes.c: `hcr run` end to end with the service's other
 * processes: a forked child, which keeps live editing and reloads the
 * same compile as its parent; the child alone after the parent exits,
 * which takes over compiling; a program the service executes, which is
 * live too; and programs without units of their own (sleep, true), for
 * which hcr says nothing. As in test_live_e2e.c, behaviour is judged by
 * the service's replies, and every wait ends at a checkpoint.
 *
 * The forked child reads its commands from a named pipe and answers on
 * the service's stdout, each reply prefixed with "child ".
 */
#include "child.h"
#include "harness.h"
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Makes the service fork a child that reads its commands from a named
   pipe; returns the pipe's write end and the child's pid in *pid. */
static int fork_service(struct child *c, pid_t *pid)
{
    const char *fifo = harness_path("child.in");
    if (mkfifo(fifo, 0600) != 0)
        harness_fail(__FILE__, __LINE__, "mkfifo %s: %s", fifo, strerror(errno));
    char command[600];
    snprintf(command, sizeof command, "fork %s", fifo);
    const char *reply = child_ask(c, command, REPLY_MS);
    if (sscanf(reply, "forked %d", pid) != 1 || *pid <= 0)
        CHILD_FAIL(c, "\"%s\" answered \"%s\"", command, reply);
    int fd = open(fifo, O_WRONLY | O_CLOEXEC); /* until the child opens it */
    if (fd < 0)
        harness_fail(__FILE__, __LINE__, "open %s: %s", fifo, strerror(errno));
    return fd;
}

/* The forked child's reply to `command`, sent through its pipe `fifo`. */
static const char *ask_forked(struct child *c, int fifo, const char *command)
{
    int stdin_fd = child_use_input(c, fifo);
    const char *reply = child_ask(c, command, REPLY_MS);
    child_use_input(c, stdin_fd);
    CHILD_CHECK_HAS(c, reply, "child ");
    return reply;
}

/* The forked child's reply to `command` once it contains `needle`. */
static const char *ask_forked_until(struct child *c, int fifo, const char *command,
                                    const char *needle)
{
    int stdin_fd = child_use_input(c, fifo);
    const char *reply = child_ask_until(c, command, needle, RELOAD_MS);
    child_use_input(c, stdin_fd);
    CHILD_CHECK_HAS(c, reply, "child ");
    return reply;
}

/* Ends the forked child: the end of its pipe makes it say "child bye". */
static void end_forked(struct child *c, int fifo)
{
    close(fifo);
    const char *bye = child_read_line(c, REPLY_MS);
    if (strcmp(bye, "child bye") != 0)
        CHILD_FAIL(c, "at the end of its pipe the child said \"%s\", not \"child bye\"", bye);
}

/* The lines of file `path` (the compiler log), malloc'ed; "" when none. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 1);
    size_t len = 0;
    char buf[4096];
    for (size_t n; f && (n = fread(buf, 1, sizeof buf, f)) > 0; len += n) {
        text = realloc(text, len + n + 1);
        CHECK(text != NULL);
        memcpy(text + len, buf, n);
        text[len + n] = '\0';
    }
    if (f)
        fclose(f);
    return text;
}

/* How many compiles of `source` the compiler log holds (its runs minus
   the preprocessing runs, which end with -E), and whether any of them
   had live editing or hcr's preload in its environment. */
static int compiles_of(const char *log, const char *source, int *live_env)
{
    char *text = read_text(log);
    int count = 0;
    *live_env = 0;
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            break;
        *nl = '\0';
        if (strncmp(line, "HCR_LIVE= ", 10) != 0 || strstr(line, "libhcr_live"))
            *live_env = 1;
        size_t n = strlen(line);
        int dash_e = n >= 3 && !strcmp(line + n - 3, " -E");
        count += strstr(line, source) && !dash_e;
    }
    free(text);
    return count;
}

/* A forked child keeps live editing: one save reaches the parent and the
   child, each with its own state kept, and the compiler ran once for it
   (the child reloads the parent's compile), with an environment free of
   live editing. */
TEST_TIMEOUT(forked_child_reloads_the_same_compile, 60)
{
    const char *exe = service_build(SERVICE_CMAKE_SLOW);
    const char *cclog = harness_path("cc.log");
    setenv("SVC_CCLOG", cclog, 1); /* hcr's compiles, not the build above */
    struct child c;
    size_t err = service_start(&c, service_hcr_run(exe, NULL));
    child_ask(&c, "inc", REPLY_MS);
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 2 step 1 ");
    pid_t pid;
    int fifo = fork_service(&c, &pid);
    CHILD_CHECK_HAS(&c, ask_forked(&c, fifo, "inc"), "child count 3 step 1 ");
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 3 step 1 ");

    service_edit("counter.c", SAVE_RENAME, "#define STEP 1\n", "#define STEP 1000\n", NULL);
    CHILD_CHECK_HAS(&c, child_ask_until(&c, "get", "step 1000", RELOAD_MS), "count 3 step 1000 ");
    CHILD_CHECK_HAS(&c, ask_forked_until(&c, fifo, "get", "step 1000"),
                    "child count 3 step 1000 ");
    CHILD_CHECK_HAS(&c, ask_forked(&c, fifo, "inc"), "child count 1003 step 1000 ");
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1003 step 1000 ");
    end_forked(&c, fifo);
    service_finish(&c);

    int live_env;
    int compiles = compiles_of(cclog, "counter.c", &live_env);
    if (compiles != 1)
        CHILD_FAIL(&c, "counter.c was compiled %d times for one save, not once", compiles);
    if (live_env) {
        char *log = read_text(cclog);
        CHILD_FAIL(&c, "a compile ran with live editing in its environment:\n%s", log);
    }
    int reloads = child_count_stderr(&c, err, "counter.c reloaded", NULL);
    if (reloads != 2)
        CHILD_FAIL(&c, "counter.c was reloaded %d times, not twice (parent and child)", reloads);
}

/* When the parent, which compiled for both, exits, the child takes over:
   it watches the sources and its next save reaches it, state kept. */
TEST_TIMEOUT(child_takes_over_when_the_parent_exits, 60)
{
    const char *exe = service_build(SERVICE_MAKE);
    struct child c;
    service_start(&c, service_hcr_run(exe, NULL));
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1 step 1 ");
    pid_t pid;
    int fifo = fork_service(&c, &pid);
    CHILD_CHECK_HAS(&c, ask_forked(&c, fifo, "inc"), "child count 2 step 1 ");

    child_send(&c, "exit 0");
    int status = child_wait(&c, REPLY_MS);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        CHILD_FAIL(&c, "\"exit 0\" ended the parent with status 0x%x", status);
    size_t err = c.err_len;
    child_wait_inotify_of(&c, pid, service_file(""), RELOAD_MS);

    service_edit("counter.c", SAVE_RENAME, "#define STEP 1\n", "#define STEP 50\n", NULL);
    CHILD_CHECK_HAS(&c, ask_forked_until(&c, fifo, "get", "step 50"), "child count 2 step 50 ");
    CHILD_CHECK_HAS(&c, ask_forked(&c, fifo, "inc"), "child count 52 step 50 ");
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "counter.c reloaded", NULL);
    end_forked(&c, fifo);
}

/* A program the service executes (itself again, through /bin/sh) is live
   under hcr run: it watches the sources and a save reaches it. */
TEST_TIMEOUT(executed_program_is_live, 60)
{
    const char *exe = service_build(SERVICE_MAKE);
    struct child c;
    service_start(&c, service_hcr_run(exe, NULL));
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1 step 1 ");
    child_send(&c, "exec");
    const char *ready = child_read_line(&c, REPLY_MS);
    if (strcmp(ready, "ready") != 0)
        CHILD_FAIL(&c, "after exec: \"%s\", not \"ready\"", ready);
    /* The same pid: its watch of the sources is the new program's, since
       the old one's descriptors closed at exec. */
    child_wait_inotify(&c, service_file(""), RELOAD_MS);
    size_t err = c.err_len;
    CHILD_CHECK_HAS(&c, child_ask(&c, "inc", REPLY_MS), "count 1 step 1 ");

    service_edit("counter.c", SAVE_RENAME, "#define STEP 1\n", "#define STEP 77\n", NULL);
    CHILD_CHECK_HAS(&c, child_ask_until(&c, "get", "step 77", RELOAD_MS), "count 1 step 77 ");
    child_wait_stderr(&c, err, RELOAD_MS, "hcr", "counter.c reloaded", NULL);
    service_finish(&c);
}

/* Process pid's state letter and thread count from /proc/PID/stat; 0
   when it is gone. */
static int process_state(pid_t pid, char *state, long *threads)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    const char *after = f && fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    if (f)
        fclose(f);
    /* Fields 3 (state) and 20 (num_threads). */
    return after && sscanf(after + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d "
                                      "%*d %*d %*d %ld", state, threads) == 2;
}

/* Whether process pid has a file whose path contains `name` mapped. */
static int maps_has(pid_t pid, const char *name)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, name) != NULL;
    if (f)
        fclose(f);
    return found;
}

/* A program without units of its own, started by the live service, gets
   hcr (its preload is mapped) but hcr says nothing there, and its thread
   ends: the program is left with its one thread, asleep in its main. */
TEST_TIMEOUT(programs_without_units_hear_nothing, 60)
{
    const char *exe = service_build(SERVICE_MAKE);
    struct child c;
    service_start(&c, service_hcr_run(exe, NULL));
    /* hcr's last line about the service (it comes just after the watch) */
    size_t err = child_wait_stderr(&c, 0, RELOAD_MS, "hcr", "units of", NULL);
    const char *reply = child_ask(&c, "spawn /bin/sleep 600", REPLY_MS);
    pid_t pid = 0;
    if (sscanf(reply, "spawned %d", &pid) != 1 || pid <= 0)
        CHILD_FAIL(&c, "spawn answered \"%s\"", reply);
    /* hcr's constructor runs before main and starts the thread; a single
       thread sleeping, with the preload mapped, is main after the thread
       ended (the dynamic loader does not sleep). */
    char state = 0;
    long threads = 0;
    for (int waited = 0;; waited += 10) {
        if (process_state(pid, &state, &threads) && maps_has(pid, "libhcr_live") &&
            state == 'S' && threads == 1)
            break;
        if (waited > RELOAD_MS)
            CHILD_FAIL(&c, "sleep (pid %d) never ran alone with hcr loaded: state %c, %ld "
                       "threads, libhcr_live %s", (int)pid, state, threads,
                       maps_has(pid, "libhcr_live") ? "mapped" : "not mapped");
        child_pump(&c, 10);
    }
    CHILD_CHECK_HAS(&c, child_ask(&c, "run /bin/true", REPLY_MS), "ran status 0");
    kill(pid, SIGKILL);
    service_finish(&c);
    int lines = child_count_stderr(&c, err, "hcr", NULL);
    if (lines != 0)
        CHILD_FAIL(&c, "%d hcr lines on stderr for sleep and true", lines);
}
