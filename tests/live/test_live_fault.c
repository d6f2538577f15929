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
 * source, each of which would be preprocessed in every run. A process
 * that follows another, and its takeover, are swept in
 * test_live_fault_follower.c.
 */
#include "fault.h"
#include "harness.h"
#include "live_fault.h"

#include <hcr.h>
#include <stdlib.h>

/* Starts live editing of this process, the unit's source as built, and
   waits until it watches and has nothing left to do. */
static void setup_live(void *arg)
{
    (void)arg;
    save_unit(1);
    setenv("XDG_RUNTIME_DIR", harness_tmpdir(), 1); /* the session directory */
    struct hcr_live_options options = {.log = live_log_sink};
    CHECK_EQ(hcr_live_start(&options), 0);
    wait_discovered();
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
