/*
 * test_live_fault.c: live editing when memory or descriptors run out on
 * hcr's live thread. This process loads a small library built here with
 * the reload flags (its one unit, unit.c, lives in the test's directory),
 * starts live editing, and saves unit.c with a new return value; the live
 * thread sees the save, compiles, publishes the change in its session and
 * reloads it. That work is run once for every N with the Nth allocation
 * or mapping (and, apart, the Nth open) of the live thread's failing
 * (tests/common/fault.h). Each run must end with the new code running, or
 * with the old code running and an error logged; then the next save must
 * reload, hcr_live_stop must leave nothing behind (LeakSanitizer checks),
 * and nothing may crash or hang. The first save also starts the dependency
 * runs of the test's other units, whose work is swept with it. Each run
 * compiles, so `make test` fails only every 23rd allocation in turn (and
 * every open); HCR_FAULT_ALL=1 (make test-all) fails every one.
 *
 * hcr is linked here as libhcr_fault.so, its calls wrapped like a fault
 * test's: a library of hcr's own is left out of discovery, so the units
 * live editing watches are this test's few rather than hcr's whole
 * source, each of which would be preprocessed in every run.
 */
#include "fault.h"
#include "harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <hcr.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int (*unit_value)(void);

/* What the live thread logged since the last reset_log(), and since live
   editing started (`all`, for a failure to show). The sink runs on the
   live thread, armed: it allocates nothing. */
static struct {
    pthread_mutex_t lock;
    int discovered, errors, reloads;
    char last_error[1024];
    char all[8192];
} logged = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void sink(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    pthread_mutex_lock(&logged.lock);
    size_t used = strlen(logged.all);
    snprintf(logged.all + used, sizeof logged.all - used, "  logged: %s\n", message);
    if (strstr(message, " units of "))
        logged.discovered = 1;
    if (strstr(message, " reloaded: "))
        logged.reloads++;
    if (level == HCR_LOG_ERROR) {
        logged.errors++;
        snprintf(logged.last_error, sizeof logged.last_error, "%s", message);
    }
    pthread_mutex_unlock(&logged.lock);
}

static void reset_log(void)
{
    pthread_mutex_lock(&logged.lock);
    logged.errors = logged.reloads = 0;
    logged.last_error[0] = 0;
    pthread_mutex_unlock(&logged.lock);
}

/* Writes unit.c returning `value`, as editors save: a new file renamed
   over the old. */
static void save_unit(int value)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", harness_path("unit.c"));
    FILE *f = fopen(tmp, "w");
    CHECK(f != NULL);
    fprintf(f, "/* test_live_fault's unit */\nint fault_unit_value(void)\n{\n    return %d;\n}\n",
            value);
    CHECK_EQ(fclose(f), 0);
    CHECK_EQ(rename(tmp, harness_path("unit.c")), 0);
}

/* Builds libfaultunit.so from unit.c in the test's directory, with
   relative paths as a build would, and loads it. */
static void build_and_load_unit(void)
{
    save_unit(1);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s -O1 -shared unit.c -o libfaultunit.so",
             harness_tmpdir(), LIVE_GCC, HCR_RELOAD_CFLAGS_STRING);
    int status = system(cmd);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    void *lib = dlopen(harness_path("libfaultunit.so"), RTLD_NOW);
    CHECK(lib != NULL);
    *(void **)&unit_value = dlsym(lib, "fault_unit_value");
    CHECK(unit_value != NULL);
    CHECK_EQ(unit_value(), 1);
}

static void wait_live_idle(void)
{
    fault_wait_idle("hcr-live", 60000);
}

/* Starts live editing of this process, the unit's source as built, and
   waits until it watches and has nothing left to do. */
static void setup_live(void *arg)
{
    (void)arg;
    save_unit(1);
    setenv("XDG_RUNTIME_DIR", harness_tmpdir(), 1); /* the session directory */
    struct hcr_live_options options = {.log = sink};
    CHECK_EQ(hcr_live_start(&options), 0);
    for (int waited = 0;; waited += 10) {
        pthread_mutex_lock(&logged.lock);
        int discovered = logged.discovered;
        pthread_mutex_unlock(&logged.lock);
        if (discovered)
            break;
        if (waited > harness_scale(30000))
            harness_fail(__FILE__, __LINE__, "discovery was never logged");
        harness_sleep_ms(10);
    }
    wait_live_idle(); /* the units' dependency runs are done */
    CHECK_EQ(unit_value(), 1);
}

/* A save of unit.c with a new value, and the live thread's work on it. */
static int op_save(void *arg)
{
    (void)arg;
    reset_log();
    save_unit(2);
    wait_live_idle();
    return 0;
}

/* Prints what live editing logged in this run: where a save went. */
static void show_log(void)
{
    pthread_mutex_lock(&logged.lock);
    fputs(logged.all, stderr);
    pthread_mutex_unlock(&logged.lock);
}

/* The new code runs, or the old one does and the live thread said why;
   either way the next save reloads, and stopping frees everything. */
static void check_saved(void *arg, int rc, int faulted)
{
    (void)arg;
    CHECK_EQ(rc, 0);
    int value = unit_value();
    pthread_mutex_lock(&logged.lock);
    int errors = logged.errors, reloads = logged.reloads;
    char last_error[sizeof logged.last_error];
    snprintf(last_error, sizeof last_error, "%s", logged.last_error);
    pthread_mutex_unlock(&logged.lock);
    if (faulted ? !(value == 2 || (value == 1 && errors > 0))
                : !(value == 2 && reloads == 1 && errors == 0))
        show_log();
    if (!faulted) {
        CHECK_EQ(value, 2);
        CHECK_EQ(reloads, 1);
        CHECK_EQ(errors, 0);
    } else if (value != 2) {
        CHECK_EQ(value, 1);
        if (errors == 0)
            harness_fail(__FILE__, __LINE__, "the save was dropped without a word");
        CHECK_STR_HAS(last_error, "live: ");
    }
    reset_log();
    save_unit(3);
    wait_live_idle();
    if (unit_value() != 3)
        show_log();
    CHECK_EQ(unit_value(), 3);
    hcr_live_stop();
}

TEST_TIMEOUT(a_save_fails_cleanly_at_every_allocation_of_the_live_thread, 900)
{
    build_and_load_unit();
    struct fault_case c = {"save", setup_live, op_save, check_saved, NULL,
                           FAULT_ON_HCR_THREADS, FAULT_ALLOC | FAULT_MMAP};
    CHECK(fault_sweep(&c, fault_step(23)) > 1);
}

TEST_TIMEOUT(a_save_fails_cleanly_at_every_open_of_the_live_thread, 900)
{
    build_and_load_unit();
    struct fault_case c = {"save, opens", setup_live, op_save, check_saved, NULL,
                           FAULT_ON_HCR_THREADS, FAULT_OPEN};
    CHECK(fault_sweep(&c, 1) > 1);
}
