/* Plugin mode: the two rollback rules (hcr.h section 5). Under
   HCR_ROLLBACK_ON_FAILURE (the default, cr.h's rule) a failure in HCR_STEP,
   HCR_LOAD or HCR_UNLOAD, or a negative return, rolls back to the version
   the failed one replaced, which resumes from the state it had then; under
   HCR_ROLLBACK_KEEP_WORKING a version that completed a step is kept.

   Every failing build here first changes its state (the SPOIL variants add
   1000 to the counters), and every guest returns VERSION * 1000000 plus its
   HCR_STATE counter: a step after a rollback that returns 1000000 + n + 1
   shows version 1's code running from the counter n it had when it was
   replaced, not from anything the failed build did. */
#include "plugin_util.h"
#include "plugin/plugin_internal.h"

#include <pthread.h>
#include <stdatomic.h>

static const enum hcr_rollback both_rules[] = {HCR_ROLLBACK_ON_FAILURE,
                                               HCR_ROLLBACK_KEEP_WORKING};

/* counter_v1 at path under `rule`, stepped three times. */
static void start_v1(struct hcr_plugin *ctx, struct guest_report *r, struct log_capture *log,
                     const char *path, enum hcr_rollback rule)
{
    install_guest("counter_v1", path);
    ctx->userdata = r;
    open_captured_rule(ctx, path, log, rule);
    for (int i = 1; i <= 3; i++)
        CHECK_EQ(hcr_plugin_update(ctx), 1000000 + i);
}

/* Installs `variant` (built with VERSION `version`) and updates until it
   runs. Returns its counter when it took over: what the version it
   replaced had then. */
static int switch_to(struct hcr_plugin *ctx, const char *variant, const char *path, int version)
{
    install_guest(variant, path);
    int rc = update_until_version(ctx, version, 3000);
    CHECK_EQ(((struct guest_report *)ctx->userdata)->version, version);
    CHECK_INT(rc, >, version * 1000000);
    return rc - version * 1000000 - 1;
}

/* Updates until an update fails; returns that update's result. */
static int update_until_failure(struct hcr_plugin *ctx)
{
    int rc = 0;
    for (int waited = 0; waited <= harness_scale(3000); waited += 2) {
        rc = hcr_plugin_update(ctx);
        if (ctx->failure != HCR_NONE)
            return rc;
        harness_sleep_ms(2);
    }
    harness_fail(__FILE__, __LINE__, "no update failed (last result %d)", rc);
}

/* Updates until the build numbered `number` runs. */
static void update_until_build(struct hcr_plugin *ctx, unsigned number)
{
    for (int waited = 0; waited <= harness_scale(3000) && ctx->version != number; waited += 2) {
        hcr_plugin_update(ctx);
        harness_sleep_ms(2);
    }
    CHECK_EQ(ctx->version, number);
}

static void step_failure(enum hcr_rollback rule)
{
    static struct log_capture log;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    start_v1(&ctx, &r, &log, path, rule);
    int kept = switch_to(&ctx, "crash_later_spoiling", path, 9);
    CHECK_EQ(hcr_plugin_update(&ctx), 9000000 + kept + 2); /* the new build moved it on */
    CHECK_EQ(hcr_plugin_update(&ctx), HCR_ECRASH);                 /* then spoils it and crashes */
    CHECK_EQ(ctx.failure, HCR_SEGFAULT);
    int result = 0;
    CHECK_EQ(hcr_plugin_failed_in_step(&ctx, &result), 1);
    CHECK_EQ(result, -1);
    if (rule == HCR_ROLLBACK_ON_FAILURE) {
        CHECK_EQ(ctx.version, 1);
        CHECK_EQ(ctx.last_working_version, 0);
        CHECK_STR_HAS(log.all, "rolled back to version 1");
        CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + kept + 1);
        CHECK_EQ(ctx.failure, HCR_NONE);
        CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + kept + 2);
    } else {
        CHECK_EQ(ctx.version, 2); /* it had completed steps: kept */
        CHECK_EQ(ctx.last_working_version, 2);
        CHECK_EQ(hcr_plugin_update(&ctx), HCR_ECRASH); /* and it crashes again */
        CHECK_EQ(ctx.version, 2);
        CHECK(!strstr(log.all, "rolled back"));
    }
    hcr_plugin_close(&ctx);
}

TEST(step_crash_rolls_back_to_the_state_it_had) { step_failure(HCR_ROLLBACK_ON_FAILURE); }
TEST(step_crash_of_a_working_version_keeps_it_when_keeping) { step_failure(HCR_ROLLBACK_KEEP_WORKING); }

static void negative_return(enum hcr_rollback rule)
{
    static struct log_capture log;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    start_v1(&ctx, &r, &log, path, rule);
    int kept = switch_to(&ctx, "fail_later_spoiling", path, 9);
    CHECK_EQ(hcr_plugin_update(&ctx), 9000000 + kept + 2);
    CHECK_EQ(hcr_plugin_update(&ctx), HCR_EUSER);
    CHECK_EQ(ctx.failure, HCR_USER);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "returned -5 from HCR_STEP");
    int result = 0;
    CHECK_EQ(hcr_plugin_failed_in_step(&ctx, &result), 1);
    CHECK_EQ(result, -5);
    if (rule == HCR_ROLLBACK_ON_FAILURE) {
        CHECK_EQ(ctx.version, 1);
        CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + kept + 1);
    } else {
        CHECK_EQ(ctx.version, 2);
        CHECK_EQ(hcr_plugin_update(&ctx), HCR_EUSER);
        CHECK_EQ(ctx.failure, HCR_USER);
    }
    hcr_plugin_close(&ctx);
}

TEST(negative_return_rolls_back_to_the_state_it_had) { negative_return(HCR_ROLLBACK_ON_FAILURE); }
TEST(negative_return_of_a_working_version_keeps_it_when_keeping)
{
    negative_return(HCR_ROLLBACK_KEEP_WORKING);
}

/* A version on trial rolls back under both rules. */
TEST(load_crash_rolls_back_to_the_state_it_had_under_both_rules)
{
    for (size_t i = 0; i < HCR__ARRAY_SIZE(both_rules); i++) {
        static struct log_capture log;
        struct guest_report r = {0};
        struct hcr_plugin ctx = {0};
        const char *path = harness_path("guest.so");
        start_v1(&ctx, &r, &log, path, both_rules[i]);
        install_guest("crash_load_spoiling", path);
        CHECK_EQ(update_until_failure(&ctx), HCR_ECRASH);
        CHECK_EQ(ctx.failure, HCR_SEGFAULT);
        CHECK_EQ(hcr_plugin_failed_in_step(&ctx, NULL), 0);
        CHECK_EQ(ctx.version, 1);
        CHECK_EQ(ctx.last_working_version, both_rules[i] == HCR_ROLLBACK_ON_FAILURE ? 0 : 1);
        CHECK_EQ(r.version, 1); /* version 1's HCR_LOAD ran, and reported its counter */
        int kept = r.pinned;
        CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + kept + 1);
        CHECK_EQ(ctx.next_version, 3);
        hcr_plugin_close(&ctx);
    }
}

static void unload_failure(enum hcr_rollback rule)
{
    static struct log_capture log;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    start_v1(&ctx, &r, &log, path, rule);
    int kept = switch_to(&ctx, "crash_unload_v2", path, 2);
    CHECK_EQ(hcr_plugin_update(&ctx), 2000000 + kept + 2);
    install_guest("counter_v3", path);
    CHECK_EQ(update_until_failure(&ctx), HCR_ECRASH); /* version 2 spoils its state and crashes */
    CHECK_EQ(ctx.failure, HCR_SEGFAULT);
    CHECK_EQ(hcr_plugin_failed_in_step(&ctx, NULL), 0);
    if (rule == HCR_ROLLBACK_ON_FAILURE) {
        CHECK_EQ(ctx.version, 1);
        CHECK_EQ(r.version, 1);
        /* Version 1 steps once from its own state, then the build that
           came meanwhile takes that state. */
        CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + kept + 1);
        CHECK_EQ(hcr_plugin_update(&ctx), 3000000 + kept + 2);
    } else {
        /* Reported; the new build loaded with the state as the failed
           call left it. */
        CHECK_EQ(ctx.version, 3);
        CHECK_EQ(r.version, 3);
        int carried = r.pinned; /* reported by version 3's HCR_LOAD */
        CHECK_INT(carried, >=, kept + 2 + 1000);
        CHECK_EQ(hcr_plugin_update(&ctx), 3000000 + carried + 1);
    }
    CHECK_EQ(ctx.version, 3);
    CHECK_EQ(ctx.failure, HCR_NONE);
    hcr_plugin_close(&ctx);
}

TEST(unload_crash_rolls_back_then_loads_the_new_build) { unload_failure(HCR_ROLLBACK_ON_FAILURE); }
TEST(unload_crash_still_loads_the_new_build_when_keeping) { unload_failure(HCR_ROLLBACK_KEEP_WORKING); }

/* Two plugins, one stepped on a thread of its own while the other is
   stepped here; the one on the other thread fails. */
struct failing_side {
    struct hcr_plugin ctx;
    struct guest_report r;
    atomic_int done;
    int failed_rc, failure, version_after, kept, last_good, rc_after;
};

static void *step_until_failure(void *arg)
{
    struct failing_side *b = arg;
    for (int waited = 0; waited <= harness_scale(3000); waited++) {
        int rc = hcr_plugin_update(&b->ctx);
        if (b->ctx.failure != HCR_NONE) {
            b->failed_rc = rc;
            b->failure = b->ctx.failure;
            b->version_after = (int)b->ctx.version;
            b->kept = b->r.pinned; /* reported by version 1's HCR_LOAD */
            b->rc_after = hcr_plugin_update(&b->ctx);
            break;
        }
        b->last_good = rc;
        harness_sleep_ms(1);
    }
    atomic_store(&b->done, 1);
    return NULL;
}

static void failure_on_another_thread(enum hcr_rollback rule, const char *variant)
{
    static struct log_capture log_a, log_b;
    static struct failing_side b;
    struct guest_report ra = {0};
    struct hcr_plugin a = {0};
    const char *path_a = strdup(harness_path("a.so"));
    const char *path_b = strdup(harness_path("b.so"));
    start_v1(&a, &ra, &log_a, path_a, rule);
    start_v1(&b.ctx, &b.r, &log_b, path_b, rule);
    install_guest(variant, path_b); /* only b's thread meets it */
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, step_until_failure, &b), 0);
    int steps = 3;
    while (!atomic_load(&b.done)) {
        CHECK_EQ(hcr_plugin_update(&a), 1000000 + ++steps);
        CHECK_EQ(a.failure, HCR_NONE);
        harness_sleep_ms(1);
    }
    pthread_join(thread, NULL);
    CHECK_EQ(b.failed_rc, HCR_ECRASH);
    CHECK_EQ(b.failure, HCR_SEGFAULT);
    CHECK_EQ(b.version_after, 1);
    CHECK_EQ(b.r.version, 1);
    CHECK_EQ(b.rc_after, 1000000 + b.kept + 1);
    if (strcmp(variant, "crash_later_spoiling") == 0)
        CHECK_EQ(b.last_good, 9000000 + b.kept + 2); /* the failed build had moved on */
    /* The other plugin never noticed. */
    CHECK_EQ(hcr_plugin_update(&a), 1000000 + ++steps);
    CHECK_EQ(a.version, 1);
    CHECK_EQ(log_a.errors, 0);
    CHECK_EQ(log_b.errors, 1);
    hcr_plugin_close(&a);
    hcr_plugin_close(&b.ctx);
}

TEST(failure_on_another_thread_rolls_back_that_plugin_only)
{
    failure_on_another_thread(HCR_ROLLBACK_ON_FAILURE, "crash_later_spoiling");
}

TEST(failure_on_another_thread_rolls_back_that_plugin_only_when_keeping)
{
    /* Under this rule only a version on trial rolls back: it crashes in
       its first step. */
    failure_on_another_thread(HCR_ROLLBACK_KEEP_WORKING, "crash_segv");
}

TEST(rollback_goes_on_when_the_version_rolled_back_to_fails_to_load)
{
    static struct log_capture log;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    start_v1(&ctx, &r, &log, path, HCR_ROLLBACK_ON_FAILURE);
    int kept = switch_to(&ctx, "counter_v2", path, 2);
    CHECK_EQ(hcr_plugin_update(&ctx), 2000000 + kept + 2);
    r.refuse_load_of = 2;
    install_guest("crash_load_spoiling", path);
    CHECK_EQ(update_until_failure(&ctx), HCR_ECRASH);
    CHECK_EQ(ctx.failure, HCR_USER); /* the newest failure: version 2 refused to load */
    CHECK_STR_HAS(log.all, "rolled back to version 2");
    CHECK_STR_HAS(log.all, "rolled back to version 1");
    CHECK_EQ(ctx.version, 1);
    CHECK_EQ(ctx.last_working_version, 0);
    r.refuse_load_of = 0;
    CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + kept + 1); /* as version 2 found it */
    hcr_plugin_close(&ctx);
}

TEST(two_versions_behind_the_running_one_are_kept_to_roll_back_to)
{
    static struct log_capture log;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    start_v1(&ctx, &r, &log, path, HCR_ROLLBACK_ON_FAILURE);
    install_guest("counter_v2", path);
    update_until_build(&ctx, 2);
    install_guest("counter_v2", path);
    update_until_build(&ctx, 3);
    CHECK_EQ(ctx.last_working_version, 2);
    /* Builds 2 and 3 both refuse to load again; build 1 is no longer kept. */
    r.refuse_load_of = 2;
    install_guest("crash_load_spoiling", path);
    CHECK_EQ(update_until_failure(&ctx), HCR_ECRASH);
    CHECK_EQ(ctx.failure, HCR_INITIAL_FAILURE);
    CHECK_EQ(ctx.version, 0);
    CHECK_STR_HAS(log.all, "rolled back to version 3");
    CHECK_STR_HAS(log.all, "rolled back to version 2");
    CHECK(!strstr(log.all, "rolled back to version 1"));
    CHECK_STR_HAS(log.all, "no version left to roll back to");
    CHECK_EQ(hcr_plugin_update(&ctx), HCR_ENOENT); /* nothing to run */
    r.refuse_load_of = 0;
    install_guest("counter_v3", path);
    update_until_build(&ctx, 5);
    CHECK_EQ(r.version, 3);
    CHECK_EQ(ctx.failure, HCR_NONE);
    hcr_plugin_close(&ctx);
}

/* After a failure in HCR_UNLOAD the new build is parked; a newer build
   coming before it is released takes its place. Waits on the internal
   `pending` to know the newer build is there. */
TEST(a_newer_build_replaces_the_parked_one)
{
    static struct log_capture log;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    start_v1(&ctx, &r, &log, path, HCR_ROLLBACK_ON_FAILURE);
    int kept = switch_to(&ctx, "crash_unload_v2", path, 2);
    install_guest("counter_v3", path);
    CHECK_EQ(update_until_failure(&ctx), HCR_ECRASH);
    CHECK(ctx.p->parked != NULL);
    install_guest("counter_v2", path); /* build 4 */
    for (int waited = 0; waited <= harness_scale(3000) && !atomic_load(&ctx.p->pending); waited++)
        harness_sleep_ms(1);
    CHECK(atomic_load(&ctx.p->pending) != NULL);
    CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + kept + 1);
    CHECK_EQ(hcr_plugin_update(&ctx), 2000000 + kept + 2);
    CHECK_EQ(ctx.version, 4);
    CHECK_EQ(ctx.next_version, 5);
    hcr_plugin_close(&ctx);
}
