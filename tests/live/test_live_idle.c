/*
 * test_live_idle.c: live editing costs nothing while no file changes. This
 * test process starts live editing of itself (its sources are never
 * edited), waits until discovery is logged and hcr's thread ("hcr-live")
 * has settled (its preprocessing runs done), then checks over a second
 * that the thread made no context switch (so no system call returned) and
 * used no CPU time. Also: hcr_live_start twice is HCR_EBUSY, and
 * hcr_live_poll without HCR_LIVE_AT_POLL returns 0. A forked child keeps
 * live editing as a follower of its parent (which compiles for both):
 * its two threads, "hcr-live" waiting for changes and "hcr-takeover"
 * waiting for the parent's lock, are idle the same way.
 */
#include "harness.h"

#include <dirent.h>
#include <hcr.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int discovered;

static void sink(enum hcr_log_level level, const char *message, void *user)
{
    (void)level, (void)user;
    if (strstr(message, " units of "))
        atomic_store(&discovered, 1);
}

/* Thread `name`'s voluntary context switches and CPU ticks (utime +
   stime), from /proc. 0 when the thread is not found. */
static int thread_counts(const char *name, long *switches, long *ticks)
{
    char wanted[32];
    snprintf(wanted, sizeof wanted, "%s\n", name);
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int found = 0;
    while (d && !found && (e = readdir(d))) {
        char path[300], line[512];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        found = fgets(line, sizeof line, f) && !strcmp(line, wanted);
        fclose(f);
        if (!found)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f))
            sscanf(line, "voluntary_ctxt_switches: %ld", switches);
        if (f)
            fclose(f);
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        f = fopen(path, "r");
        long utime = 0, stime = 0;
        /* Fields 14 and 15, after the command in parentheses. */
        if (f && fgets(line, sizeof line, f)) {
            const char *after = strrchr(line, ')');
            if (after)
                sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime,
                       &stime);
        }
        if (f)
            fclose(f);
        *ticks = utime + stime;
    }
    if (d)
        closedir(d);
    return found;
}

/* Waits until thread `name` exists and made no context switch for 500
   ms (its start-up work ended), then checks that over one more second it
   made none and used no CPU time. */
static void check_idle(const char *name)
{
    long switches = -1, ticks = 0, last = -2;
    for (int waited = 0; !thread_counts(name, &switches, &ticks); waited += 10) {
        if (waited > harness_scale(30000))
            harness_fail(__FILE__, __LINE__, "no thread %s", name);
        harness_sleep_ms(10);
    }
    for (int waited = 0; switches != last; waited += 500) {
        if (waited > harness_scale(60000))
            harness_fail(__FILE__, __LINE__, "thread %s never settled", name);
        last = switches;
        CHECK(thread_counts(name, &switches, &ticks));
        harness_sleep_ms(500);
        CHECK(thread_counts(name, &switches, &ticks));
    }
    long before_switches = switches, before_ticks = ticks;
    harness_sleep_ms(1000); /* the window measured, not a wait for an event */
    CHECK(thread_counts(name, &switches, &ticks));
    CHECK_EQ(switches, before_switches);
    CHECK_EQ(ticks, before_ticks);
}

/* Starts live editing of this process, its private directories in the
   test's own, and waits for discovery. */
static void start_live(void)
{
    setenv("XDG_RUNTIME_DIR", harness_tmpdir(), 1);
    struct hcr_live_options options = {.log = sink};
    CHECK_EQ(hcr_live_start(&options), 0);
    CHECK_EQ(hcr_live_start(&options), HCR_EBUSY);
    CHECK_EQ(hcr_live_poll(), 0);
    for (int waited = 0; !atomic_load(&discovered); waited += 10) {
        if (waited > harness_scale(30000))
            harness_fail(__FILE__, __LINE__, "discovery was never logged");
        harness_sleep_ms(10);
    }
}

TEST_TIMEOUT(an_idle_live_thread_makes_no_system_call_and_uses_no_cpu, 120)
{
    start_live();
    check_idle("hcr-live");
    hcr_live_stop();
    long switches, ticks;
    CHECK(!thread_counts("hcr-live", &switches, &ticks)); /* the thread is gone */
}

TEST_TIMEOUT(a_forked_followers_threads_are_idle, 120)
{
    start_live();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* The parent compiles: this process only follows. */
        check_idle("hcr-takeover");
        check_idle("hcr-live");
        hcr_live_stop();
        long switches, ticks;
        CHECK(!thread_counts("hcr-live", &switches, &ticks));
        CHECK(!thread_counts("hcr-takeover", &switches, &ticks));
        fflush(NULL);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        harness_fail(__FILE__, __LINE__, "the forked child failed (status 0x%x)", status);
    hcr_live_stop();
}
