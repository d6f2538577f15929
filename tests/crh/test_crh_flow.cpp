/* The cr.h drop-in, host side, in C++: cr.h's rollback flow (flow_run.h)
   through cr_plugin_open, cr_plugin_update and cr_plugin_close with
   references, as a cr.h host calls them; a first build that fails; a
   missing file; and an update that does not look for a new build. */
extern "C" {
#include "harness.h"
int crh_build_waiting(const void *ctx);
}

#define CR_HOST CR_SAFEST
#include "cr.h"

#include <sys/stat.h>

typedef cr_plugin flow_context;

static int flow_open(flow_context *ctx, const char *path)
{
    return cr_plugin_open(*ctx, path);
}

static int flow_update(flow_context *ctx)
{
    return cr_plugin_update(*ctx);
}

static void flow_close(flow_context *ctx)
{
    cr_plugin_close(*ctx);
}

#define FLOW_FAILURE(name) CR_##name
#define FLOW_USER_FAILURE_RESULT (-7) /* cr.h returns the guest's own value */
#define FLOW_CRASH_RESULT (-1)
#define FLOW_LOAD_FAILURE_RESULT (-2)
#define FLOW_GUEST_FORMAT CRH_GUESTS "/flow_cr_b%d.so"
#include "flow_run.h"

TEST(cr_flow_through_the_drop_in)
{
    static cr_plugin ctx; /* not initialised by the host, as in cr.h's samples */
    memset(&ctx, 0x5a, sizeof ctx);
    run_flow(&ctx);
}

TEST(open_of_a_missing_file_is_false)
{
    cr_plugin ctx;
    ctx.userdata = &cmd;
    CHECK(!cr_plugin_open(ctx, harness_path("missing.so")));
    CHECK(!cr_plugin_load(ctx, harness_path("missing.so")));
}

TEST(first_build_failing_leaves_nothing_then_the_next_build_loads)
{
    cr_plugin ctx;
    const char *path = harness_path("libflow.so");
    install(1, path);
    ctx.userdata = &cmd;
    CHECK(cr_plugin_load(ctx, path)); /* the 2018 name */
    cmd.faulty_build = 1;
    STEP(&ctx, FLOW_CRASH_STEP, -1);
    CHECK_EQ(ctx.failure, CR_INITIAL_FAILURE); /* nothing before it */
    CHECK_EQ(ctx.version, 0);
    STEP(&ctx, FLOW_VERSION, -2);
    CHECK_EQ(ctx.failure, CR_INITIAL_FAILURE);
    install(2, path);
    update_until(&ctx, FLOW_BUILD, 2);
    CHECK_EQ(ctx.version, 2);
    CHECK_EQ(ctx.failure, CR_NONE);
    cr_plugin_close(ctx);
}

TEST(update_without_reload_check_leaves_a_new_build_waiting)
{
    cr_plugin ctx;
    const char *path = harness_path("libflow.so");
    install(1, path);
    ctx.userdata = &cmd;
    CHECK(cr_plugin_open(ctx, path));
    STEP(&ctx, FLOW_BUILD, 1);
    install(2, path);
    for (int waited = 0; waited <= harness_scale(3000) && !crh_build_waiting(&ctx); waited++)
        harness_sleep_ms(1);
    CHECK(crh_build_waiting(&ctx));
    cmd.action = FLOW_BUILD;
    for (int i = 0; i < 3; i++)
        CHECK_EQ(cr_plugin_update(ctx, false), 1);
    CHECK_EQ(cr_plugin_update(ctx, true), 2);
    cr_plugin_close(ctx);
}

TEST(temporary_path_holds_the_copies)
{
    cr_plugin ctx;
    const char *path = harness_path("libflow.so");
    std::string copies = harness_path("copies");
    CHECK_EQ(mkdir(copies.c_str(), 0700), 0);
    install(1, path);
    ctx.userdata = &cmd;
    CHECK(cr_plugin_open(ctx, path));
    cr_set_temporary_path(ctx, copies);
    STEP(&ctx, FLOW_BUILD, 1);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, maps))
        found = strstr(line, copies.c_str()) != NULL;
    fclose(maps);
    CHECK(found);
    cr_plugin_close(ctx);
}
