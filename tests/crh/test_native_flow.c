/* cr.h's rollback flow (flow_run.h) through hcr's own API: the same
   builds and the same rollbacks, with hcr's error codes where cr.h has -1
   and -2: HCR_ECRASH after a crash, HCR_EUSER after a negative return
   from a step (hcr_plugin_failed_in_step tells the guest's value). */
#include "hcr.h"

typedef struct hcr_plugin flow_context;

static int flow_open(flow_context *ctx, const char *path)
{
    return hcr_plugin_open(ctx, path) == 0;
}

static int flow_update(flow_context *ctx)
{
    return hcr_plugin_update(ctx);
}

static void flow_close(flow_context *ctx)
{
    hcr_plugin_close(ctx);
}

#define FLOW_FAILURE(name) HCR_##name
#define FLOW_USER_FAILURE_RESULT HCR_EUSER
#define FLOW_CRASH_RESULT HCR_ECRASH
#define FLOW_LOAD_FAILURE_RESULT HCR_ECRASH
#define FLOW_GUEST_FORMAT CRH_GUESTS "/flow_native_b%d.so"
#include "flow_run.h"

TEST(cr_flow_through_the_native_api)
{
    static struct hcr_plugin ctx;
    run_flow(&ctx);
}

TEST(negative_return_is_told_by_failed_in_step)
{
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("libflow.so");
    install(1, path);
    ctx.userdata = &cmd;
    CHECK_EQ(hcr_plugin_open(&ctx, path), 0);
    STEP(&ctx, FLOW_BUILD, 1);
    cmd.faulty_build = 1;
    STEP(&ctx, FLOW_FAIL_STEP, HCR_EUSER);
    int result = 0;
    CHECK_EQ(hcr_plugin_failed_in_step(&ctx, &result), 1);
    CHECK_EQ(result, -7);
    STEP(&ctx, FLOW_BUILD, HCR_ENOENT); /* build 1 had nothing before it: none runs */
    CHECK_EQ(hcr_plugin_failed_in_step(&ctx, &result), 0);
    CHECK_EQ(ctx.failure, HCR_INITIAL_FAILURE);
    hcr_plugin_close(&ctx);
}
