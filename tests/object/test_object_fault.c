/*
 * test_object_fault.c: object mode when memory runs out. A reload is run
 * once for every N with the Nth allocation or mapping of hcr's failing
 * (tests/common/fault.h): each run must end in a clean error with the old
 * code still running, or in success with the new code running, and the
 * next reload must work; nothing may leak or crash. The first reload of a
 * process (which builds the index of its symbols) and a later one are
 * swept apart. `make test` fails every 7th call in turn; HCR_FAULT_ALL=1
 * (make test-all) fails every one.
 */
#include "fault.h"
#include "harness.h"
#include "object_util.h"
#include "prog.h"

#include <hcr.h>

static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)level, (void)message, (void)user;
}

static int reload_v2(void *arg)
{
    (void)arg;
    return hcr_object_reload(obj("v2_prog_b.o"));
}

/* The old code runs after a clean failure, the new one after success, and
   a reload tried again works. */
static void check_reload(void *arg, int rc, int faulted)
{
    (void)arg;
    if (!faulted)
        CHECK_EQ(rc, 0);
    if (rc < 0) {
        CHECK(strcmp(hcr_error_name(rc), "HCR_E?") != 0);
        CHECK(hcr_object_error()[0] != 0);
        CHECK_EQ(b_version(), 1);
        CHECK_EQ(b_calls_a(), 10);
        CHECK_EQ(hcr_object_reload(obj("v2_prog_b.o")), 0);
    } else {
        CHECK(rc == 0);
    }
    CHECK_EQ(b_version(), 2);
    CHECK_EQ(b_twice(4), 12);
    CHECK_EQ(b_calls_a(), 100);
}

static void setup_cold(void *arg)
{
    (void)arg;
    hcr_set_log(quiet, NULL);
}

/* A reload has built the index and switched prog_b.c once (to its own
   version 1 again): the second reload meets warm caches and live
   identities. */
static void setup_warm(void *arg)
{
    setup_cold(arg);
    CHECK_EQ(hcr_object_reload(obj("v1_prog_b.o")), 0);
    CHECK_EQ(b_version(), 1);
}

TEST_TIMEOUT(a_first_reload_fails_cleanly_at_every_allocation, 900)
{
    struct fault_case c = {"first reload", setup_cold, reload_v2, check_reload,
                           NULL, FAULT_ON_CALLER, 0};
    CHECK(fault_sweep(&c, fault_step(7)) > 1);
}

TEST_TIMEOUT(a_later_reload_fails_cleanly_at_every_allocation, 900)
{
    struct fault_case c = {"later reload", setup_warm, reload_v2, check_reload,
                           NULL, FAULT_ON_CALLER, 0};
    CHECK(fault_sweep(&c, fault_step(3)) > 1);
}
