/* Plugin mode: state carried per variable. Reordering and adding variables
   moves no value into the wrong place, edited initialisers take effect,
   a widened variable keeps its value; without debug information size
   changes re-initialise (or refuse, for HCR_STATE); pointers still at
   their initial value move to the new image, and a guest without symbols
   falls back to whole sections. */
#include "plugin_util.h"

#include <dlfcn.h>

static void run_v1(struct hcr_plugin *ctx, struct guest_report *r, struct log_capture *log,
                   const char *variant)
{
    start_guest(ctx, r, log, variant, harness_path("guest.so"), 3);
}

TEST(reorder_and_insert_swap_nothing_and_edited_initialiser_wins)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    run_v1(&ctx, &r, &log, "counter_v1");
    install_guest("counter_layout", harness_path("guest.so"));
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    int v1_steps = r.steps - 1;
    CHECK_EQ(r.first, 11 + 1);                      /* initialiser edited 1 -> 11 */
    CHECK_EQ(r.second, 2 + 2 * (v1_steps + 1));     /* kept, though now declared first */
    CHECK_EQ(r.extra, 7);                           /* added: its initialiser */
    /* A same-named function-local static added in an earlier function
       takes the first number; the values still go by function. */
    CHECK_EQ(r.local_calls, r.steps);
    CHECK_EQ(r.extra_calls, 1);
    CHECK_EQ(r.global_counter, r.steps);
    CHECK_STR_HAS(log.all, "first has a new initialiser");
    hcr_plugin_close(&ctx);
}

TEST(widened_variable_keeps_its_value_and_logs)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    run_v1(&ctx, &r, &log, "counter_v1");
    CHECK_EQ(r.sized, 5 + 30);
    install_guest("counter_sized", harness_path("guest.so"));
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    CHECK_EQ(r.sized, 5 + 10 * r.steps); /* int to long long: every step kept */
    CHECK_EQ(r.pinned, r.steps);
    CHECK_STR_HAS(log.all, "sized migrated to its new layout: converted: sized (int to long long int)");
    hcr_plugin_close(&ctx);
}

TEST(pinned_widened_variable_keeps_its_value)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    run_v1(&ctx, &r, &log, "counter_v1");
    install_guest("counter_pinned_resize", harness_path("guest.so"));
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(ctx.version, 2);
    CHECK_EQ(ctx.failure, HCR_NONE);
    CHECK_EQ(r.pinned_resizable, r.steps); /* carried across, then stepped */
    CHECK_STR_HAS(log.all, "pinned_resizable migrated to its new layout");
    hcr_plugin_close(&ctx);
}

TEST(size_change_without_debug_information_reinitialises_and_logs)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    run_v1(&ctx, &r, &log, "counter_v1_nodebug");
    CHECK_EQ(r.sized, 5 + 30);
    install_guest("counter_sized_nodebug", harness_path("guest.so"));
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(r.sized, 5 + 10); /* re-initialised, then one step */
    CHECK_EQ(r.pinned, r.steps);
    CHECK_STR_HAS(log.all, "sized changed size from 4 to 8 bytes");
    hcr_plugin_close(&ctx);
}

TEST(pinned_size_change_without_debug_information_refuses_the_build)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    run_v1(&ctx, &r, &log, "counter_v1_nodebug");
    install_guest("counter_pinned_resize_nodebug", harness_path("guest.so"));
    int rc = 0;
    for (int i = 0; i < harness_scale(1500) && ctx.failure == HCR_NONE; i++) {
        rc = hcr_plugin_update(&ctx);
        harness_sleep_ms(2);
    }
    CHECK_EQ(rc, HCR_ESTATE);
    CHECK_EQ(ctx.failure, HCR_STATE_INVALIDATED);
    CHECK_EQ(ctx.version, 1);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "pinned_resizable");
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "changed size from 4 to 8");
    int before = r.pinned;
    CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + before + 1); /* v1 goes on with its state */
    CHECK_EQ(r.version, 1);
    hcr_plugin_close(&ctx);
}

TEST(pointer_still_at_initial_value_moves_to_new_image)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    run_v1(&ctx, &r, &log, "counter_v1");
    Dl_info info;
    CHECK(dladdr(r.greeting, &info) != 0);
    CHECK_STR_HAS(info.dli_fname, "/v1-guest.so");
    install_guest("counter_v2", harness_path("guest.so"));
    update_until_version(&ctx, 2, 3000);
    CHECK(dladdr(r.greeting, &info) != 0);
    CHECK_STR_HAS(info.dli_fname, "/v2-guest.so");
    CHECK(strcmp(r.greeting, "hello") == 0);
    hcr_plugin_close(&ctx);
}

TEST(guest_without_symbols_falls_back_to_sections_and_says_so_once)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    const char *path = harness_path("guest.so");
    run_v1(&ctx, &r, &log, "stripped_v1");
    install_guest("stripped_v2", path);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(r.pinned, r.steps);
    CHECK_EQ(r.global_counter, r.steps);
    CHECK_EQ(r.initialised, 100 + r.steps);
    install_guest("stripped_v1", path);
    update_until_version(&ctx, 1, 3000);
    CHECK_EQ(ctx.version, 3);
    CHECK_EQ(r.pinned, r.steps);
    int said = 0;
    for (const char *p = log.all; (p = strstr(p, "no symbol table")) != NULL; p++)
        said++;
    CHECK_EQ(said, 1);
    hcr_plugin_close(&ctx);
}

TEST(same_named_statics_of_same_named_files_are_not_confused)
{
    /* Two files called same.c each have a static `count`: the symbol table
       cannot tell them apart, so neither value is carried, and the reload
       says so; no value lands in the other file's variable. */
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    const char *path = harness_path("guest.so");
    install_guest("dup_v1", path);
    ctx.userdata = &r;
    open_captured(&ctx, path, &log);
    for (int i = 0; i < 3; i++)
        hcr_plugin_update(&ctx);
    CHECK_EQ(r.first, 103);
    CHECK_EQ(r.second, -103);
    install_guest("dup_v2", path);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(r.first, 101);   /* started afresh, not -10x */
    CHECK_EQ(r.second, -101); /* started afresh, not 10x */
    CHECK_STR_HAS(log.all, "same.c:count is defined in two files of the same name");
    hcr_plugin_close(&ctx);
}
