/* The cr.h drop-in's host part in C, through the pointer form, with
   `#define CR_HOST CR_DISABLE`: nothing is carried from one build to the
   next, CR_STATE variables included. cr_plugin_update takes one argument
   or two, as in C++ with its default. */
#include "harness.h"

#define CR_HOST CR_DISABLE
#include "cr.h"

#include "flow.h"

static struct flow_command cmd;

TEST(disable_carries_nothing)
{
    CHECK_EQ(CR_OP_MODE, CR_DISABLE);
    struct cr_plugin ctx = {0};
    const char *path = harness_path("libflow.so");
    harness_copy_rename(CRH_GUESTS "/flow_cr_b1.so", path);
    ctx.userdata = &cmd;
    CHECK(cr_plugin_open(&ctx, path));
    cmd.action = FLOW_LAPS;
    CHECK_EQ(cr_plugin_update(&ctx), 101);
    CHECK_EQ(cr_plugin_update(&ctx, true), 102);
    CHECK_EQ(cr_plugin_update(&ctx, false), 103);
    harness_copy_rename(CRH_GUESTS "/flow_cr_b2.so", path);
    cmd.action = FLOW_BUILD;
    int rc = 0;
    for (int waited = 0; waited <= harness_scale(3000) && rc != 2; waited += 2) {
        rc = cr_plugin_update(&ctx);
        harness_sleep_ms(2);
    }
    CHECK_EQ(rc, 2);
    cmd.action = FLOW_LAPS;
    CHECK_EQ(cr_plugin_update(&ctx), 101); /* from its initialiser again */
    cr_plugin_close(&ctx);
    CHECK(ctx.p == NULL);
}
