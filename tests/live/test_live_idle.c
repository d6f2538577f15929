/*
 * test_live_idle.c: live editing costs nothing while no file changes. This
 * test process starts live editing of itself (its sources are never
 * edited), waits until discovery is logged and hcr's thread ("hcr-live")
 * has settled (its preprocessing runs done), then checks over a second
 * that the thread made no context switch (so no system call returned) and
 * used no CPU time. Also: hcr_live_start twice is HCR_EBUSY, and
 * hcr_live_poll without HCR_LIVE_AT_POLL returns 0.
 */
#include "harness.h"

#include <dirent.h>
#include <hcr.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static atomic_int discovered;

static void sink(enum hcr_log_level level, const char *message, void *user)
{
    (void)level, (void)user;
    if (strstr(message, " units of "))
        atomic_store(&discovered, 1);
}

/* The live thread's voluntary context switches and CPU ticks (utime +
   stime), from /proc. 0 when the thread is not found. */
static int live_thread_counts(long *switches, long *ticks)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int found = 0;
    while (d && !found && (e = readdir(d))) {
        char path[300], line[512];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        found = fgets(line, sizeof line, f) && !strcmp(line, "hcr-live\n");
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

TEST_TIMEOUT(an_idle_live_thread_makes_no_system_call_and_uses_no_cpu, 120)
{
    struct hcr_live_options options = {.log = sink};
    CHECK_EQ(hcr_live_start(&options), 0);
    CHECK_EQ(hcr_live_start(&options), HCR_EBUSY);
    CHECK_EQ(hcr_live_poll(), 0);
    for (int waited = 0; !atomic_load(&discovered); waited += 10) {
        if (waited > harness_scale(30000))
            harness_fail(__FILE__, __LINE__, "discovery was never logged");
        harness_sleep_ms(10);
    }
    /* Settled: no context switch for 500 ms (preprocessing runs ended). */
    long switches = -1, ticks = 0, last = -2;
    for (int waited = 0; switches != last; waited += 500) {
        if (waited > harness_scale(60000))
            harness_fail(__FILE__, __LINE__, "hcr's thread never settled");
        last = switches;
        CHECK(live_thread_counts(&switches, &ticks));
        harness_sleep_ms(500);
        CHECK(live_thread_counts(&switches, &ticks));
    }
    long before_switches = switches, before_ticks = ticks;
    harness_sleep_ms(1000); /* the window measured, not a wait for an event */
    CHECK(live_thread_counts(&switches, &ticks));
    CHECK_EQ(switches, before_switches);
    CHECK_EQ(ticks, before_ticks);
    hcr_live_stop();
    CHECK(!live_thread_counts(&switches, &ticks)); /* the thread is gone */
}
