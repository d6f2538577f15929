/* Plugin mode: crash protection. Each kind of fault in the guest is caught,
   named, and rolled back to the last working version with its state; a
   fault that is the host's own still kills the process as it would without
   hcr. The rollback rules themselves are test_plugin_rollback's. */
#include "plugin_util.h"

#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs v1 for three steps, installs `variant`, and checks the crash rolls
   back to v1 with its state and the host goes on. */
static void crash_rolls_back(const char *variant, enum hcr_failure expected, int expect_rc)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    const char *path = harness_path("guest.so");
    start_guest(&ctx, &r, &log, "counter_v1", path, 3);
    install_guest(variant, path);
    int rc = 0;
    for (int i = 0; i < harness_scale(1500) && ctx.failure == HCR_NONE; i++) {
        rc = hcr_plugin_update(&ctx);
        harness_sleep_ms(2);
    }
    CHECK_EQ(ctx.failure, expected);
    CHECK_EQ(rc, expect_rc);
    CHECK_EQ(ctx.version, 1); /* back on the last working version */
    CHECK_EQ(ctx.last_working_version, 0); /* and nothing before it */
    CHECK_EQ(ctx.next_version, 3); /* numbers are never reused */
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "guest.so");
    CHECK_STR_HAS(log.all, "rolled back to version 1");
    /* The host goes on, with v1's state as it was. */
    int before = r.pinned; /* v1 may have stepped while the build was prepared */
    CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + before + 1);
    CHECK_EQ(ctx.failure, HCR_NONE);
    CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + before + 2);
    /* And the next good build is picked up. */
    install_guest("counter_v2", path);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 3);
    CHECK_EQ(r.pinned, r.steps);
    hcr_plugin_close(&ctx);
}

TEST(segfault_rolls_back) { crash_rolls_back("crash_segv", HCR_SEGFAULT, HCR_ECRASH); }
TEST(division_by_zero_rolls_back) { crash_rolls_back("crash_fpe", HCR_FPE, HCR_ECRASH); }
TEST(abort_rolls_back) { crash_rolls_back("crash_abort", HCR_ABORT, HCR_ECRASH); }
TEST(stack_overflow_rolls_back) { crash_rolls_back("crash_stack", HCR_STACKOVERFLOW, HCR_ECRASH); }
TEST(illegal_instruction_rolls_back) { crash_rolls_back("crash_ill", HCR_ILLEGAL, HCR_ECRASH); }
TEST(bus_error_rolls_back) { crash_rolls_back("crash_bus", HCR_MISALIGN, HCR_ECRASH); }
TEST(negative_return_rolls_back) { crash_rolls_back("crash_user", HCR_USER, HCR_EUSER); }
TEST(crash_in_load_rolls_back) { crash_rolls_back("crash_load", HCR_SEGFAULT, HCR_ECRASH); }

TEST(two_aborts_in_a_row_are_both_caught)
{
    /* abort() keeps internal state; a second one must still be catchable. */
    crash_rolls_back("crash_abort", HCR_ABORT, HCR_ECRASH);
    crash_rolls_back("crash_abort", HCR_ABORT, HCR_ECRASH);
}

TEST(crash_in_first_version_is_initial_failure_then_next_build_loads)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    install_guest("crash_segv", path);
    ctx.userdata = &r;
    CHECK_EQ(hcr_plugin_open(&ctx, path), 0);
    CHECK_EQ(hcr_plugin_update(&ctx), HCR_ECRASH);
    CHECK_EQ(ctx.failure, HCR_INITIAL_FAILURE);
    CHECK_EQ(ctx.version, 0);
    CHECK_EQ(hcr_plugin_update(&ctx), HCR_ENOENT); /* nothing to run yet */
    CHECK_EQ(ctx.failure, HCR_INITIAL_FAILURE);
    install_guest("counter_v2", path);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    CHECK_EQ(ctx.failure, HCR_NONE);
    hcr_plugin_close(&ctx);
}

TEST(unsafe_mode_calls_without_protection)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("guest.so");
    install_guest("counter_v1", path);
    struct hcr_options options = {0};
    options.safety = HCR_SAFETY_NONE;
    ctx.userdata = &r;
    CHECK_EQ(hcr_plugin_open_with(&ctx, path, &options), 0);
    CHECK_EQ(hcr_plugin_update(&ctx), 1000001);
    hcr_plugin_close(&ctx);
}

static void open_and_step(struct hcr_plugin *ctx, struct guest_report *r)
{
    const char *path = harness_path("guest.so");
    install_guest("counter_v1", path);
    ctx->userdata = r;
    CHECK_EQ(hcr_plugin_open(ctx, path), 0);
    CHECK_EQ(hcr_plugin_update(ctx), 1000001);
}

/* A bug in the host: a store to address 8, in assembly so that neither the
   compiler nor a sanitizer turns it into anything but the fault. */
static void host_bug(void)
{
    __asm__ volatile("movl $1, 8" ::: "memory");
}

/* A division by zero, in assembly for the same reason. */
static void host_divide_by_zero(void)
{
    __asm__ volatile("xorl %%ecx, %%ecx\n\tmovl $7, %%eax\n\tcltd\n\tidivl %%ecx"
                     ::: "eax", "ecx", "edx", "cc");
}

/* The host's own segfault, with a plugin open: the process dies of it. */
TEST_SIGNAL(host_segfault_is_not_swallowed, SIGSEGV)
{
    static struct guest_report r;
    static struct hcr_plugin ctx;
    open_and_step(&ctx, &r);
    host_bug();
}

TEST_SIGNAL(host_abort_is_not_swallowed, SIGABRT)
{
    static struct guest_report r;
    static struct hcr_plugin ctx;
    open_and_step(&ctx, &r);
    abort();
}

TEST_SIGNAL(host_division_by_zero_is_not_swallowed, SIGFPE)
{
    static struct guest_report r;
    static struct hcr_plugin ctx;
    open_and_step(&ctx, &r);
    host_divide_by_zero();
}

static void previous_handler(int signo)
{
    (void)signo;
    _exit(42);
}

TEST(host_fault_goes_to_the_previous_handler)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, previous_handler);
        static struct guest_report r;
        static struct hcr_plugin ctx;
        open_and_step(&ctx, &r);
        host_bug();
        _exit(1);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 42);
}
