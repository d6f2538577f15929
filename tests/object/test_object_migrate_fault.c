/*
 * test_object_migrate_fault.c: a reload that binds and moves the pieces of
 * a split static (mig/mig_split.c: under clang -O2, s_inserted's fields
 * and s_mode's flag; under gcc, whole variables that migrate) when memory
 * runs out: with the Nth allocation or mapping of hcr's failing, each run
 * ends in a clean error with the old code and values intact, or in
 * success with every field right, and the next reload works; nothing
 * leaks or crashes (tests/common/fault.h). Every 3rd call in turn; every
 * one with HCR_FAULT_ALL=1.
 */
#include "fault.h"
#include "harness.h"
#include "mig.h"
#include "object_util.h"

#include <hcr.h>

static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)level, (void)message, (void)user;
}

static void setup(void *arg)
{
    (void)arg;
    hcr_set_log(quiet, NULL);
    split_set("a", 11);
    split_set("c", 13);
    split_mode(1);
}

static int reload_v2(void *arg)
{
    (void)arg;
    return hcr_object_reload(obj("mig_v2_split.o"));
}

static void check(void *arg, int rc, int faulted)
{
    (void)arg;
    if (!faulted)
        CHECK_EQ(rc, 0);
    if (rc < 0) {
        CHECK(hcr_object_error()[0] != 0);
        CHECK_EQ(split_version(), 1);
        CHECK_EQ(split_get("a"), 11);
        CHECK_EQ(split_get("c"), 13);
        CHECK_EQ(split_mode_get(), 5);
        CHECK_EQ(hcr_object_reload(obj("mig_v2_split.o")), 0);
    }
    CHECK_EQ(split_version(), 2);
    CHECK_EQ(split_get("a"), 11);
    CHECK_EQ(split_get("b"), 2);
    CHECK_EQ(split_get("c"), 13);
    CHECK_EQ(split_mode_get(), 5);
}

TEST_TIMEOUT(a_reload_of_split_statics_fails_cleanly_at_every_allocation, 900)
{
    struct fault_case c = {"split reload", setup, reload_v2, check, NULL, FAULT_ON_CALLER, 0};
    CHECK(fault_sweep(&c, fault_step(3)) > 1);
}
