/* Plugin mode: what the per-frame guard keeps. A crash in a working
   version's step returns to the host with every callee-saved register as
   the host left it, whatever the guest wrote into them; and a guest may
   update another plugin from its own step, each crash charged to the
   plugin whose code crashed, with the outer guard still in force after the
   inner one returns or crashes. */
#include "plugin_util.h"
#include "nest.h"

#include <signal.h>
#include <unistd.h>

/* int update_keeping_registers(struct hcr_plugin *ctx, int *intact):
   hcr_plugin_update(ctx) with known values in rbx, rbp and r12-r15; sets
   *intact to whether all six still hold them afterwards. */
#if defined(__x86_64__)
int update_keeping_registers(struct hcr_plugin *ctx, int *intact);
__asm__(".text\n"
        ".globl update_keeping_registers\n"
        ".type update_keeping_registers, @function\n"
        "update_keeping_registers:\n"
        "  pushq %rbx\n  pushq %rbp\n  pushq %r12\n  pushq %r13\n"
        "  pushq %r14\n  pushq %r15\n  pushq %rsi\n"
        "  movabs $0x0123456789abcd01, %rbx\n"
        "  movabs $0x0123456789abcd02, %rbp\n"
        "  movabs $0x0123456789abcd03, %r12\n"
        "  movabs $0x0123456789abcd04, %r13\n"
        "  movabs $0x0123456789abcd05, %r14\n"
        "  movabs $0x0123456789abcd06, %r15\n"
        "  call hcr_plugin_update@PLT\n"
        "  xorl %ecx, %ecx\n"
        "  movabs $0x0123456789abcd01, %rdx\n  cmpq %rdx, %rbx\n  jne 1f\n"
        "  movabs $0x0123456789abcd02, %rdx\n  cmpq %rdx, %rbp\n  jne 1f\n"
        "  movabs $0x0123456789abcd03, %rdx\n  cmpq %rdx, %r12\n  jne 1f\n"
        "  movabs $0x0123456789abcd04, %rdx\n  cmpq %rdx, %r13\n  jne 1f\n"
        "  movabs $0x0123456789abcd05, %rdx\n  cmpq %rdx, %r14\n  jne 1f\n"
        "  movabs $0x0123456789abcd06, %rdx\n  cmpq %rdx, %r15\n  jne 1f\n"
        "  movl $1, %ecx\n"
        "1:\n"
        "  popq %rsi\n  movl %ecx, (%rsi)\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbp\n  popq %rbx\n"
        "  ret\n"
        ".size update_keeping_registers, .-update_keeping_registers\n");
#else
static int update_keeping_registers(struct hcr_plugin *ctx, int *intact)
{
    *intact = 1;
    return hcr_plugin_update(ctx);
}
#endif

/* Opens the nest guest at `name` with cmd as its userdata, and steps it
   until it is working (the per-frame path). Under the rule that keeps a
   working version, so that it goes on crashing on the per-frame path: what
   is tested here is the guard, not the rollback (test_plugin_rollback). */
static void open_nest(struct hcr_plugin *ctx, struct nest_command *cmd, const char *name,
                      struct log_capture *log)
{
    const char *path = harness_path(name);
    install_guest("nest", path);
    ctx->userdata = cmd;
    open_captured_rule(ctx, path, log, HCR_ROLLBACK_KEEP_WORKING);
    cmd->action = NEST_STEP;
    CHECK_EQ(hcr_plugin_update(ctx), 1);
    CHECK_EQ(hcr_plugin_update(ctx), 1);
    CHECK_EQ(ctx->last_working_version, 1);
}

TEST(crash_gives_back_the_hosts_registers)
{
    static struct log_capture log;
    struct nest_command cmd = {0};
    struct hcr_plugin ctx = {0};
    open_nest(&ctx, &cmd, "nest.so", &log);
    for (int round = 0; round < 3; round++) {
        int intact = 0;
        cmd.action = NEST_STEP;
        CHECK_EQ(update_keeping_registers(&ctx, &intact), 1);
        CHECK_EQ(intact, 1);
        cmd.action = NEST_CRASH;
        intact = 0;
        CHECK_EQ(update_keeping_registers(&ctx, &intact), HCR_ECRASH);
        CHECK_EQ(intact, 1);
        CHECK_EQ(ctx.failure, HCR_SEGFAULT);
        CHECK_EQ(ctx.version, 1); /* a working version keeps running */
        cmd.action = NEST_FAIL;
        intact = 0;
        CHECK_EQ(update_keeping_registers(&ctx, &intact), HCR_EUSER);
        CHECK_EQ(intact, 1);
        CHECK_EQ(ctx.failure, HCR_USER);
    }
    cmd.action = NEST_STEP;
    CHECK_EQ(hcr_plugin_update(&ctx), 1);
    CHECK_EQ(ctx.failure, HCR_NONE);
    hcr_plugin_close(&ctx);
}

TEST(update_inside_a_step_guards_each_plugin)
{
    static struct log_capture log_a, log_b;
    struct nest_command a_cmd = {0}, b_cmd = {0};
    struct hcr_plugin a = {0}, b = {0};
    open_nest(&a, &a_cmd, "a.so", &log_a);
    open_nest(&b, &b_cmd, "b.so", &log_b);
    a_cmd.inner = &b;
    int intact = 0;

    /* The inner plugin crashes: charged to it, the outer step goes on. */
    a_cmd.action = NEST_UPDATE_INNER;
    b_cmd.action = NEST_CRASH;
    CHECK_EQ(update_keeping_registers(&a, &intact), 1);
    CHECK_EQ(intact, 1);
    CHECK_EQ(a_cmd.inner_result, HCR_ECRASH);
    CHECK_EQ(b.failure, HCR_SEGFAULT);
    CHECK_EQ(a.failure, HCR_NONE);
    CHECK_EQ(log_b.errors, 1);
    CHECK_EQ(log_a.errors, 0);

    /* It fails, then it steps. */
    b_cmd.action = NEST_FAIL;
    CHECK_EQ(hcr_plugin_update(&a), 1);
    CHECK_EQ(a_cmd.inner_result, HCR_EUSER);
    CHECK_EQ(b.failure, HCR_USER);
    b_cmd.action = NEST_STEP;
    CHECK_EQ(hcr_plugin_update(&a), 1);
    CHECK_EQ(a_cmd.inner_result, 1);
    CHECK_EQ(b.failure, HCR_NONE);

    /* After the inner update returned, the outer guard still holds. */
    a_cmd.action = NEST_UPDATE_INNER_THEN_CRASH;
    intact = 0;
    CHECK_EQ(update_keeping_registers(&a, &intact), HCR_ECRASH);
    CHECK_EQ(intact, 1);
    CHECK_EQ(a_cmd.inner_result, 1);
    CHECK_EQ(a.failure, HCR_SEGFAULT);
    CHECK_EQ(log_a.errors, 1);
    CHECK_EQ(log_b.errors, 2);

    /* And after an inner crash too. */
    b_cmd.action = NEST_CRASH;
    CHECK_EQ(hcr_plugin_update(&a), HCR_ECRASH);
    CHECK_EQ(a_cmd.inner_result, HCR_ECRASH);
    CHECK_EQ(b.failure, HCR_SEGFAULT);
    CHECK_EQ(a.failure, HCR_SEGFAULT);
    CHECK_EQ(log_a.errors, 2);
    CHECK_EQ(log_b.errors, 3);

    /* Each goes on at the outermost level. */
    a_cmd.action = NEST_STEP;
    b_cmd.action = NEST_STEP;
    CHECK_EQ(hcr_plugin_update(&a), 1);
    CHECK_EQ(hcr_plugin_update(&b), 1);
    a_cmd.action = NEST_CRASH;
    CHECK_EQ(hcr_plugin_update(&a), HCR_ECRASH);
    CHECK_EQ(a.failure, HCR_SEGFAULT);
    CHECK_EQ(a.version, 1);
    CHECK_EQ(b.version, 1);
    hcr_plugin_close(&a);
    hcr_plugin_close(&b);
}

/* After guarded calls that crashed, inner and outer, no guard is left
   behind: the host's own fault kills the process as it would without hcr. */
TEST_SIGNAL(host_fault_after_nested_crashes_is_not_swallowed, SIGSEGV)
{
    static struct log_capture log_a, log_b;
    static struct nest_command a_cmd, b_cmd;
    static struct hcr_plugin a, b;
    open_nest(&a, &a_cmd, "a.so", &log_a);
    open_nest(&b, &b_cmd, "b.so", &log_b);
    a_cmd.inner = &b;
    a_cmd.action = NEST_UPDATE_INNER_THEN_CRASH;
    b_cmd.action = NEST_CRASH;
    if (hcr_plugin_update(&a) != HCR_ECRASH || a.failure != HCR_SEGFAULT || b.failure != HCR_SEGFAULT)
        _exit(3);
    a_cmd.action = NEST_FAIL;
    if (hcr_plugin_update(&a) != HCR_EUSER)
        _exit(4);
    __asm__ volatile("movl $1, 8" ::: "memory"); /* the host's bug, unseen by sanitizers */
}
