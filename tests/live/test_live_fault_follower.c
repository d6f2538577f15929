/*
 * test_live_fault_follower.c: live editing in a process that follows
 * another, when memory or descriptors run out on its threads (see
 * test_live_fault.c for the leader's). Two processes of this program
 * share one session: the leader, forked before live editing starts here,
 * compiles; this process follows, its live thread reloading each change
 * the leader publishes while its takeover thread waits for the leader's
 * lock (src/live/live_share.c). Swept once for every N, with the Nth
 * allocation or mapping (and, apart, the Nth open) of this process's
 * threads failing:
 *
 * - a save: the leader compiles and publishes it, and the follower reads
 *   the record and reloads its object;
 * - a takeover: the leader stops, and the follower takes the lock,
 *   catches up, discovers the units and watches them.
 *
 * Each run must end with the new code running (or, for a takeover, this
 * process leading), or with the old state and an error or warning logged.
 * Then the next save must reload: through the leader after a save; after
 * a takeover, compiled here, or, when the takeover ended live editing in
 * this process (it logged why), once live editing is started again.
 * hcr_live_stop must leave nothing behind (LeakSanitizer checks), and
 * nothing may crash or hang. Every wait is for something the processes
 * say: the leader's log lines, which it writes into a pipe, this
 * process's log, and its live thread found idle or gone. Every open is
 * failed in turn; each run starts two processes that discover and
 * compile, so `make test` fails every 2nd allocation of a save and every
 * 11th of a takeover; HCR_FAULT_ALL=1 (make test-all) fails every one.
 */
#include "fault.h"
#include "harness.h"
#include "live_fault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the leader ---------------------------------------------------------- */

/* This process's ends of the pipes to the leader: closing `command`
   stops it; it writes each line it logs into `report`, which ends (EOF)
   once it has stopped live editing and exited. */
static struct {
    int command, report;
    char lines[16384]; /* what it reported, for a failure to show */
    size_t used, seen; /* bytes in `lines`, of which read by leader_wait */
} leader = {.command = -1, .report = -1};

/* In the leader: the write end of `report`. */
static int report_fd = -1;

/* The leader's log sink: one line per message, written at once. */
static void leader_log(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    char line[1100];
    int n = snprintf(line, sizeof line, "%c %s", level >= HCR_LOG_WARN ? '!' : '-', message);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof line - 1 ? (size_t)n : sizeof line - 2;
    for (size_t i = 0; i < len; i++)
        if (line[i] == '\n')
            line[i] = ' ';
    line[len++] = '\n';
    ssize_t written = write(report_fd, line, len);
    (void)written;
}

/* The leader's life: leads live editing until `command` ends. */
static void __attribute__((noreturn)) lead_until_told(int command, int report)
{
    report_fd = report;
    struct hcr_live_options options = {.log = leader_log};
    if (hcr_live_start(&options) != 0)
        _exit(2);
    char c;
    for (ssize_t n; (n = read(command, &c, 1)) != 0;)
        if (n < 0 && errno != EINTR)
            break;
    hcr_live_stop();
    _exit(0);
}

/* Reads what the leader reported until a line from `from` (an offset in
   leader.lines) contains `needle`, or, with needle NULL, until the
   leader has exited. Returns the offset after that line. */
static size_t leader_wait_from(size_t from, const char *needle)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        leader.lines[leader.used] = 0;
        const char *hit = needle ? strstr(leader.lines + from, needle) : NULL;
        if (hit) {
            const char *end = strchr(hit, '\n');
            return end ? (size_t)(end + 1 - leader.lines) : leader.used;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > harness_scale(60)) {
            show_log();
            harness_fail(__FILE__, __LINE__, "the leader never said \"%s\"; it said:\n%s",
                         needle ? needle : "goodbye (EOF)", leader.lines);
        }
        struct pollfd p = {.fd = leader.report, .events = POLLIN};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        ssize_t n = read(leader.report, leader.lines + leader.used,
                         sizeof leader.lines - 1 - leader.used);
        if (n == 0 && !needle)
            return leader.used;
        if (n == 0)
            harness_fail(__FILE__, __LINE__, "the leader exited before saying \"%s\":\n%s",
                         needle, leader.lines);
        if (n > 0)
            leader.used += (size_t)n;
        if (leader.used == sizeof leader.lines - 1)
            harness_fail(__FILE__, __LINE__, "the leader said too much:\n%s", leader.lines);
    }
}

/* Waits for the leader to report `needle` in a line not waited for yet. */
static void leader_wait(const char *needle)
{
    leader.seen = leader_wait_from(leader.seen, needle);
}

/* Starts the leader: forked twice, so that it is not this process's child
   (fault_wait_idle takes a child for a compile), and before live editing
   starts here, so that it has no live thread but its own. Returns once it
   leads. */
static void start_leader(void)
{
    int command[2], report[2];
    CHECK(pipe2(command, O_CLOEXEC) == 0 && pipe2(report, O_CLOEXEC) == 0);
    fflush(NULL);
    pid_t middle = fork();
    CHECK(middle >= 0);
    if (middle == 0) {
        if (fork() == 0) {
            close(command[1]);
            close(report[0]);
            lead_until_told(command[0], report[1]);
        }
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(middle, &status, 0), middle);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(command[0]);
    close(report[1]);
    leader.command = command[1];
    leader.report = report[0];
    leader.used = leader.seen = 0;
    leader_wait(", watching ");
}

/* Stops the leader and waits until it has left the session and exited. */
static void stop_leader(void)
{
    close(leader.command);
    leader_wait_from(leader.used, NULL);
    close(leader.report);
    leader.command = leader.report = -1;
}

/* ---- the follower ---------------------------------------------------------- */

/* Whether this process has a thread named hcr-live. */
static int live_thread_alive(void)
{
    DIR *d = opendir("/proc/self/task");
    int alive = 0;
    for (struct dirent *e; d && !alive && (e = readdir(d));) {
        char path[300], comm[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        alive = f && fgets(comm, sizeof comm, f) && !strcmp(comm, "hcr-live\n");
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return alive;
}

/* Starts the leader, then live editing here, which follows: once its
   live thread is idle, it has caught up and waits for records. */
static void setup_follower(void *arg)
{
    (void)arg;
    save_unit(1);
    setenv("XDG_RUNTIME_DIR", harness_tmpdir(), 1); /* the session directory */
    start_leader();
    struct hcr_live_options options = {.log = live_log_sink};
    CHECK_EQ(hcr_live_start(&options), 0);
    wait_live_idle();
    if (logged.discovered) {
        show_log();
        harness_fail(__FILE__, __LINE__, "this process leads: it should follow");
    }
    CHECK_EQ(unit_value(), 1);
}

/* A save compiled by the leader, and this process's threads' work on the
   record it publishes: once the leader has reloaded the change, its
   record is in place and this process's live thread has been woken. */
static int op_followed_save(void *arg)
{
    (void)arg;
    reset_log();
    save_unit(2);
    leader_wait("unit.c reloaded: ");
    wait_live_idle();
    return 0;
}

/* What was logged since reset_log(): errors, warnings, reloads. */
static void log_counts(int *errors, int *warnings, int *reloads)
{
    pthread_mutex_lock(&logged.lock);
    *errors = logged.errors;
    *warnings = logged.warnings;
    *reloads = logged.reloads;
    pthread_mutex_unlock(&logged.lock);
}

/* The leader's change runs here, or the old code does and this process
   said why; either way the leader's next change runs here, and stopping
   frees everything. */
static void check_followed_save(void *arg, int rc, int faulted)
{
    (void)arg;
    CHECK_EQ(rc, 0);
    int value = unit_value(), errors, warnings, reloads;
    log_counts(&errors, &warnings, &reloads);
    if (faulted ? !(value == 2 || (value == 1 && errors > 0))
                : !(value == 2 && reloads == 1 && errors == 0 && warnings == 0))
        show_log();
    if (!faulted) {
        CHECK_EQ(value, 2);
        CHECK_EQ(reloads, 1);
        CHECK_EQ(errors + warnings, 0);
    } else if (value != 2) {
        CHECK_EQ(value, 1);
        if (errors == 0)
            harness_fail(__FILE__, __LINE__, "the change was dropped without a word");
        CHECK_STR_HAS(logged.last_error, "live: ");
    }
    reset_log();
    save_unit(3);
    leader_wait("unit.c reloaded: ");
    wait_live_idle();
    if (unit_value() != 3)
        show_log();
    CHECK_EQ(unit_value(), 3);
    hcr_live_stop();
    stop_leader();
}

/* The leader stops, and this process's threads take over: the takeover
   thread gets the lock, and the live thread catches up, says it compiles
   now and discovers. Returns once the live thread is idle, leading, or
   has ended. */
static int op_takeover(void *arg)
{
    (void)arg;
    reset_log();
    stop_leader();
    for (int waited = 0;; waited++) {
        pthread_mutex_lock(&logged.lock);
        int took_over = logged.took_over, discovered = logged.discovered;
        pthread_mutex_unlock(&logged.lock);
        if (took_over && discovered) {
            wait_live_idle();
            return 0;
        }
        if (took_over && !live_thread_alive())
            return 0;
        if (waited > harness_scale(60000)) {
            show_log();
            harness_fail(__FILE__, __LINE__, "no takeover in %d ms (took over: %d, thread %s)",
                         harness_scale(60000), took_over,
                         live_thread_alive() ? "running" : "gone");
        }
        harness_sleep_ms(1);
    }
}

/* This process leads, or its live thread ended after saying why; then a
   save reloads, here once live editing runs again, and stopping frees
   everything. */
static void check_takeover(void *arg, int rc, int faulted)
{
    (void)arg;
    CHECK_EQ(rc, 0);
    int errors, warnings, reloads;
    log_counts(&errors, &warnings, &reloads);
    int alive = live_thread_alive();
    if (!faulted && !(alive && errors + warnings == 0))
        show_log();
    CHECK_EQ(unit_value(), 1);
    if (!faulted) {
        CHECK(alive);
        CHECK_EQ(errors + warnings, 0);
    }
    if (!alive) {
        if (errors + warnings == 0) {
            show_log();
            harness_fail(__FILE__, __LINE__, "live editing ended without a word");
        }
        /* Live editing starts again here, alone: it leads. */
        hcr_live_stop();
        pthread_mutex_lock(&logged.lock);
        logged.discovered = 0;
        pthread_mutex_unlock(&logged.lock);
        struct hcr_live_options options = {.log = live_log_sink};
        CHECK_EQ(hcr_live_start(&options), 0);
        wait_discovered();
        wait_live_idle();
    }
    reset_log();
    save_unit(2);
    wait_live_idle();
    if (unit_value() != 2)
        show_log();
    CHECK_EQ(unit_value(), 2);
    hcr_live_stop();
}

TEST_TIMEOUT(a_followed_save_fails_cleanly_at_every_allocation_of_the_follower, 900)
{
    build_and_load_unit();
    struct fault_case c = {"followed save", setup_follower, op_followed_save,
                           check_followed_save, NULL, FAULT_ON_HCR_THREADS,
                           FAULT_ALLOC | FAULT_MMAP};
    CHECK(fault_sweep(&c, fault_step(2)) > 1);
}

TEST_TIMEOUT(a_followed_save_fails_cleanly_at_every_open_of_the_follower, 900)
{
    build_and_load_unit();
    struct fault_case c = {"followed save, opens", setup_follower, op_followed_save,
                           check_followed_save, NULL, FAULT_ON_HCR_THREADS, FAULT_OPEN};
    CHECK(fault_sweep(&c, 1) > 1);
}

TEST_TIMEOUT(a_takeover_fails_cleanly_at_every_allocation_of_the_follower, 900)
{
    build_and_load_unit();
    struct fault_case c = {"takeover", setup_follower, op_takeover, check_takeover, NULL,
                           FAULT_ON_HCR_THREADS, FAULT_ALLOC | FAULT_MMAP};
    CHECK(fault_sweep(&c, fault_step(11)) > 1);
}

TEST_TIMEOUT(a_takeover_fails_cleanly_at_every_open_of_the_follower, 900)
{
    build_and_load_unit();
    struct fault_case c = {"takeover, opens", setup_follower, op_takeover, check_takeover,
                           NULL, FAULT_ON_HCR_THREADS, FAULT_OPEN};
    CHECK(fault_sweep(&c, 1) > 1);
}
