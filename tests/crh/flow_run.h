/* flow_run.h: the rollback flow of cr.h's own test, in this project's
   words, for one API. A build loads and counts; the next takes its state
   over; one crashes in a step, one in its load, one in its unload, one
   returns -7; after each failure the version it replaced runs again from
   the state it had when it was replaced, and the next good build loads.
   All five builds are the same source (flow_body.h): the host says in
   userdata which action a step performs and which build is the faulty one.

   The includer defines, before including this:
     flow_context              its context type
     int flow_open(flow_context *ctx, const char *path)   nonzero: opened
     int flow_update(flow_context *ctx)
     void flow_close(flow_context *ctx)
     FLOW_FAILURE(name)        the failure value `name` in its API
     FLOW_USER_FAILURE_RESULT  what an update returns after the guest's -7
     FLOW_CRASH_RESULT         what an update returns after a crash in a step
     FLOW_LOAD_FAILURE_RESULT  what an update returns after a crash in a load
                               or an unload
     FLOW_GUEST_FORMAT         printf format of build n's path */
#include "flow.h"
#include "harness.h"

static struct flow_command cmd;

static void install(int build, const char *path)
{
    char guest[1024];
    snprintf(guest, sizeof guest, FLOW_GUEST_FORMAT, build);
    harness_copy_rename(guest, path);
}

/* One update performing `action`, which must return `want`. */
#define STEP(ctx, action_, want)                                                            \
    do {                                                                                    \
        cmd.action = (action_);                                                             \
        CHECK_EQ(flow_update(ctx), (want));                                                 \
    } while (0)

/* Updates performing `action` until one returns `want`: a new build is
   seen and loaded on hcr's thread, a moment after it is written. */
static void update_until(flow_context *ctx, enum flow_action action, int want)
{
    cmd.action = action;
    int rc = 0;
    for (int waited = 0; waited <= harness_scale(3000); waited += 2) {
        rc = flow_update(ctx);
        if (rc == want)
            return;
        harness_sleep_ms(2);
    }
    harness_fail(__FILE__, __LINE__, "waiting for an update to return %d: the last returned %d",
                 want, rc);
}

static void run_flow(flow_context *ctx)
{
    const char *path = harness_path("libflow.so");
    install(1, path);
    ctx->userdata = &cmd;
    CHECK(flow_open(ctx, path));

    /* Build 1 loads at the first update, and counts. */
    STEP(ctx, FLOW_VERSION, 1);
    CHECK_EQ(ctx->version, 1);
    CHECK_EQ(ctx->next_version, 2);
    CHECK_EQ(ctx->last_working_version, 0);
    CHECK_EQ(ctx->failure, FLOW_FAILURE(NONE));
    CHECK_EQ(cmd.loads, 1);
    STEP(ctx, FLOW_LAPS, 101);
    STEP(ctx, FLOW_SCORE, 1);
    STEP(ctx, FLOW_LAPS, 102);

    /* Build 2 takes its state over and counts on. */
    install(2, path);
    update_until(ctx, FLOW_VERSION, 2);
    CHECK_EQ(cmd.unloads, 1);
    CHECK_EQ(ctx->last_working_version, 1);
    STEP(ctx, FLOW_SCORE, 2);
    STEP(ctx, FLOW_SCORE, 3);
    STEP(ctx, FLOW_LAPS, 103);
    STEP(ctx, FLOW_LAPS, 104);
    STEP(ctx, FLOW_HEAP_FILL, 4096);
    STEP(ctx, FLOW_HEAP_FILL, 0);

    /* Build 2 crashes in a step: build 1 runs again, from the state it
       had when build 2 replaced it. Its load saw why. */
    cmd.faulty_build = 2;
    STEP(ctx, FLOW_CRASH_STEP, FLOW_CRASH_RESULT);
    CHECK_EQ(ctx->failure, FLOW_FAILURE(SEGFAULT));
    CHECK_EQ(ctx->version, 1);
    CHECK_EQ(ctx->last_working_version, 0);
    CHECK_EQ(cmd.load_failure, FLOW_FAILURE(SEGFAULT));
    STEP(ctx, FLOW_BUILD, 1);
    CHECK_EQ(ctx->failure, FLOW_FAILURE(NONE));
    STEP(ctx, FLOW_LAPS, 103);
    STEP(ctx, FLOW_SCORE, 2);
    STEP(ctx, FLOW_HEAP_FILL, 0); /* the heap is not rolled back: still intact */

    /* A fixed build 3 loads from build 1's state. */
    install(3, path);
    update_until(ctx, FLOW_VERSION, 3);
    CHECK_EQ(ctx->next_version, 4);
    CHECK_EQ(ctx->last_working_version, 1);
    STEP(ctx, FLOW_BUILD, 3);
    STEP(ctx, FLOW_LAPS, 104);
    STEP(ctx, FLOW_SCORE, 3);
    STEP(ctx, FLOW_HEAP_FREE, 4096);

    /* Build 4 crashes in its load: build 3 goes on from where it was. */
    cmd.faulty_build = 4;
    install(4, path);
    update_until(ctx, FLOW_CRASH_LOAD, FLOW_LOAD_FAILURE_RESULT);
    CHECK_EQ(ctx->failure, FLOW_FAILURE(SEGFAULT));
    CHECK_EQ(ctx->version, 3);
    CHECK_EQ(ctx->last_working_version, 1);
    STEP(ctx, FLOW_BUILD, 3);
    STEP(ctx, FLOW_LAPS, 105);

    /* Build 3 crashes in its unload as build 5 comes: build 1, which build
       3 replaced, runs again from the state it had then and steps once;
       then build 5 loads, from that state. */
    cmd.faulty_build = 3;
    install(5, path);
    update_until(ctx, FLOW_CRASH_UNLOAD, FLOW_LOAD_FAILURE_RESULT);
    CHECK_EQ(ctx->failure, FLOW_FAILURE(SEGFAULT));
    CHECK_EQ(ctx->version, 1);
    CHECK_EQ(ctx->last_working_version, 0);
    STEP(ctx, FLOW_BUILD, 1);
    STEP(ctx, FLOW_LAPS, 104);
    CHECK_EQ(ctx->version, 5);
    CHECK_EQ(ctx->next_version, 6);
    CHECK_EQ(ctx->last_working_version, 1);
    STEP(ctx, FLOW_BUILD, 5);

    /* Build 5 returns -7 from a step: a failure like a crash. */
    cmd.faulty_build = 5;
    STEP(ctx, FLOW_FAIL_STEP, FLOW_USER_FAILURE_RESULT);
    CHECK_EQ(ctx->failure, FLOW_FAILURE(USER));
    CHECK_EQ(ctx->version, 1);
    STEP(ctx, FLOW_BUILD, 1);
    STEP(ctx, FLOW_LAPS, 104);
    STEP(ctx, FLOW_SCORE, 3);

    flow_close(ctx);
    CHECK(ctx->p == NULL);
    CHECK_EQ(ctx->version, 0);
    CHECK(ctx->userdata == &cmd);
}
