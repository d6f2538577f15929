/*
 * test_plugin_fault.c: plugin mode when memory or descriptors run out.
 * Open, a rollback and close are each run once for every N with the Nth
 * allocation or mapping of hcr's failing on the host's thread
 * (tests/common/fault.h); and the work of hcr's watch thread (preparing a
 * new build: copy, validate, load, index; the spare of the next; closing
 * what was retired) once for every N with its Nth allocation, mapping or
 * open failing. Each run must end in a clean error or in success, the
 * guest's state must go on unbroken (its step counter, kept across
 * versions, counts on from where it was), a build the watch thread could
 * not prepare must be reported by the host's next update while the
 * running version goes on, and nothing may leak or crash. `make test`
 * fails every 5th (3rd on the watch thread) call in turn; HCR_FAULT_ALL=1
 * (make test-all) fails every one.
 */
#include "fault.h"
#include "plugin/plugin_internal.h"
#include "plugin_util.h"

#include <errno.h>
#include <stdatomic.h>

static struct hcr_plugin ctx;
static struct guest_report report;
static struct log_capture log_sink;
static const char *path;

static int open_plugin(void)
{
    struct hcr_options options = {0};
    options.log = capture_log;
    options.log_user = &log_sink;
    ctx.userdata = &report;
    return hcr_plugin_open_with(&ctx, path, &options);
}

/* Waits until the watch thread has prepared the build now at `path`. */
static void wait_prepared(void)
{
    for (int waited = 0; !atomic_load(&ctx.p->pending); waited++) {
        if (waited > harness_scale(10000))
            harness_fail(__FILE__, __LINE__, "the new build was never prepared");
        harness_sleep_ms(1);
    }
}

/* A clean error: a code of hcr's, with a message. */
static void check_clean(int rc)
{
    CHECK_STR_HAS(hcr_error_name(rc), "HCR_E");
}

/* The guest's next step: version 1 or 2, and the steps counted on. */
static void check_steps_on(int steps_before)
{
    int rc = hcr_plugin_update(&ctx);
    CHECK(rc > 0);
    CHECK(rc / 1000000 == 1 || rc / 1000000 == 2);
    CHECK_EQ(rc % 1000000, steps_before + 1);
}

static void setup_installed(void *arg)
{
    (void)arg;
    path = harness_path("guest.so");
    install_guest("counter_v1", path);
}

static void setup_opened(void *arg)
{
    setup_installed(arg);
    CHECK_EQ(open_plugin(), 0);
}

static void setup_loaded(void *arg)
{
    setup_installed(arg);
    CHECK_EQ(open_plugin(), 0);
    CHECK_EQ(hcr_plugin_update(&ctx), 1000001);
}

static void setup_v2_waiting(void *arg)
{
    setup_loaded(arg);
    install_guest("counter_v2", path);
    wait_prepared();
}

static void setup_crash_waiting(void *arg)
{
    setup_loaded(arg);
    install_guest("crash_segv", path);
    wait_prepared();
}

static int op_open(void *arg)
{
    (void)arg;
    return open_plugin();
}

static int op_update(void *arg)
{
    (void)arg;
    return hcr_plugin_update(&ctx);
}

static int op_close(void *arg)
{
    (void)arg;
    hcr_plugin_close(&ctx);
    return 0;
}

static void check_open(void *arg, int rc, int faulted)
{
    (void)arg;
    if (!faulted)
        CHECK_EQ(rc, 0);
    if (rc < 0) {
        check_clean(rc);
        CHECK(hcr_plugin_error(&ctx)[0] != 0);
        if (!ctx.p) /* closed (HCR_ENOMEM): open again */
            CHECK_EQ(open_plugin(), 0);
    }
    CHECK_EQ(update_until_version(&ctx, 1, harness_scale(10000)), 1000001);
    hcr_plugin_close(&ctx);
}

static void check_first_load(void *arg, int rc, int faulted)
{
    (void)arg;
    if (!faulted)
        CHECK_EQ(rc, 1000001);
    if (rc < 0)
        check_clean(rc);
    hcr_plugin_close(&ctx);
}

/* After the reload or rollback of a version that had stepped once. */
static void check_after_swap(void *arg, int rc, int faulted)
{
    (void)arg;
    if (rc < 0)
        check_clean(rc);
    else if (!faulted)
        CHECK(rc == 2000002 || rc == HCR_ECRASH);
    check_steps_on(rc > 0 ? 2 : 1);
    hcr_plugin_close(&ctx);
}

static void check_closed(void *arg, int rc, int faulted)
{
    (void)arg, (void)faulted;
    CHECK_EQ(rc, 0);
    CHECK(ctx.p == NULL);
}

/* ---- on the watch thread ---- */

/* Waits until the watch thread has done all it was given. */
static void wait_watch_idle(void)
{
    fault_wait_idle("hcr-watch", 10000);
}

static void setup_opened_idle(void *arg)
{
    setup_installed(arg);
}

static void setup_loaded_idle(void *arg)
{
    setup_loaded(arg);
    wait_watch_idle(); /* the next build's spare is made */
}

/* Opens, and waits for the watch thread's part of it (the spare). */
static int op_open_idle(void *arg)
{
    (void)arg;
    int rc = open_plugin();
    wait_watch_idle();
    return rc;
}

/* A build to install, and the error a failing call of the watch
   thread's may make of it. */
struct build {
    const char *variant;
    int error; /* HCR_ENOMEM; -EMFILE when opens fail: the system's code */
};

/* Installs build `arg` where the plugin is and waits for the watch
   thread to have prepared it. */
static int op_install(void *arg)
{
    const struct build *b = arg;
    install_guest(b->variant, path);
    wait_watch_idle();
    return 0;
}

static int op_close_idle(void *arg)
{
    op_close(arg);
    return 0;
}

/* After open with the watch thread's calls failing: open never sees them. */
static void check_open_idle(void *arg, int rc, int faulted)
{
    (void)arg, (void)faulted;
    CHECK_EQ(rc, 0);
    CHECK_EQ(hcr_plugin_update(&ctx), 1000001);
    install_guest("counter_v2", path);
    wait_watch_idle();
    CHECK_EQ(hcr_plugin_update(&ctx), 2000002);
    hcr_plugin_close(&ctx);
}

/* After version 1 stepped once and a version-2 build was prepared with a
   call of the watch thread's failing: the next update runs version 2 (the
   call was one hcr can do without: the next build's spare), or reports
   the build's error while version 1 goes on; and a build installed again
   then loads. */
static void check_prepared(void *arg, int rc, int faulted)
{
    const struct build *b = arg;
    CHECK_EQ(rc, 0);
    int update = hcr_plugin_update(&ctx);
    if (!faulted || update >= 0) {
        CHECK_EQ(update, 2000002);
        hcr_plugin_close(&ctx);
        return;
    }
    CHECK_EQ(update, b->error);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), path);
    CHECK_EQ(ctx.failure, HCR_BAD_IMAGE);
    CHECK_EQ(ctx.version, 1);
    check_steps_on(1);
    install_guest("counter_v2", path);
    wait_watch_idle();
    CHECK_EQ(hcr_plugin_update(&ctx), 2000003);
    hcr_plugin_close(&ctx);
}

TEST_TIMEOUT(open_fails_cleanly_at_every_allocation, 900)
{
    struct fault_case c = {"open", setup_installed, op_open, check_open, NULL, FAULT_ON_CALLER, 0};
    CHECK(fault_sweep(&c, fault_step(5)) > 1);
}

/* The build is copied and loaded on hcr's watch thread; the update that
   takes it allocates nothing on the host's thread, so a sweep there has
   a single run: the one in which no call fails. */
TEST_TIMEOUT(the_first_load_allocates_nothing_on_the_hosts_thread, 900)
{
    struct fault_case c = {"first load", setup_opened, op_update, check_first_load,
                           NULL, FAULT_ON_CALLER, 0};
    CHECK_EQ(fault_sweep(&c, 1), 1);
}

TEST_TIMEOUT(a_reload_allocates_nothing_on_the_hosts_thread, 900)
{
    struct fault_case c = {"reload", setup_v2_waiting, op_update, check_after_swap,
                           NULL, FAULT_ON_CALLER, 0};
    CHECK_EQ(fault_sweep(&c, 1), 1);
}

TEST_TIMEOUT(a_rollback_fails_cleanly_at_every_allocation, 900)
{
    struct fault_case c = {"rollback", setup_crash_waiting, op_update, check_after_swap,
                           NULL, FAULT_ON_CALLER, 0};
    CHECK(fault_sweep(&c, fault_step(5)) > 1);
}

TEST_TIMEOUT(close_fails_cleanly_at_every_allocation, 900)
{
    struct fault_case c = {"close", setup_loaded, op_close, check_closed, NULL, FAULT_ON_CALLER, 0};
    CHECK(fault_sweep(&c, fault_step(1)) >= 1);
}

TEST_TIMEOUT(the_watch_threads_part_of_open_fails_cleanly, 900)
{
    struct fault_case c = {"open, watch thread", setup_opened_idle, op_open_idle,
                           check_open_idle, NULL, FAULT_ON_HCR_THREADS, 0};
    CHECK(fault_sweep(&c, fault_step(3)) >= 1);
}

TEST_TIMEOUT(preparing_a_build_fails_cleanly_at_every_allocation, 900)
{
    struct build b = {"counter_v2", HCR_ENOMEM};
    struct fault_case c = {"prepare", setup_loaded_idle, op_install, check_prepared, &b,
                           FAULT_ON_HCR_THREADS, FAULT_ALLOC};
    CHECK(fault_sweep(&c, fault_step(3)) > 1);
}

/* A large build is copied by the kernel and validated from a mapping. */
TEST_TIMEOUT(preparing_a_large_build_fails_cleanly_at_every_allocation_and_mapping, 900)
{
    struct build b = {"counter_large", HCR_ENOMEM};
    struct fault_case c = {"prepare large", setup_loaded_idle, op_install, check_prepared, &b,
                           FAULT_ON_HCR_THREADS, FAULT_ALLOC | FAULT_MMAP};
    CHECK(fault_sweep(&c, fault_step(3)) > 1);
}

TEST_TIMEOUT(preparing_a_build_fails_cleanly_at_every_open, 900)
{
    struct build b = {"counter_v2", -EMFILE};
    struct fault_case c = {"prepare, opens", setup_loaded_idle, op_install, check_prepared, &b,
                           FAULT_ON_HCR_THREADS, FAULT_OPEN};
    CHECK(fault_sweep(&c, 1) > 1);
}

TEST_TIMEOUT(the_watch_threads_part_of_close_fails_cleanly, 900)
{
    struct fault_case c = {"close, watch thread", setup_loaded_idle, op_close_idle,
                           check_closed, NULL, FAULT_ON_HCR_THREADS, 0};
    CHECK(fault_sweep(&c, 1) >= 1);
}
