/* Plugin mode: state whose layout changed between builds is migrated
   field by field (hcr.h section 4). The guest (guests/migrate.c) sets
   known values in version 1 and reports what each later version finds;
   each check below fails if its rule broke: a byte-for-byte copy, a
   restart from the initialiser or a pointer left in the old version each
   give other values. */
#include "migrate_report.h"
#include "plugin_util.h"

#include <dlfcn.h>
#include <stdio.h>

static void start(struct hcr_plugin *ctx, struct migrate_report *r, struct log_capture *log)
{
    const char *path = harness_path("guest.so");
    install_guest("migrate_v1", path);
    ctx->userdata = r;
    open_captured(ctx, path, log);
    CHECK_EQ(hcr_plugin_update(ctx), 1000001);
    CHECK_EQ(r->seeded, 1);
}

static void reload_to(struct hcr_plugin *ctx, struct migrate_report *r, const char *variant,
                      int version)
{
    install_guest(variant, harness_path("guest.so"));
    update_until_version(ctx, version, 5000);
    CHECK_EQ(r->base.version, version);
    CHECK_EQ(ctx->failure, HCR_NONE);
}

/* Updates until a build is refused or fails; returns the last result. */
static int update_until_failure(struct hcr_plugin *ctx)
{
    int rc = 0;
    for (int i = 0; i < harness_scale(2500) && ctx->failure == HCR_NONE; i++) {
        rc = hcr_plugin_update(ctx);
        harness_sleep_ms(2);
    }
    return rc;
}

TEST(fields_added_swapped_removed_and_nested_move_by_name)
{
    struct migrate_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    start(&ctx, &r, &log);
    reload_to(&ctx, &r, "migrate_v2", 2);
    CHECK_EQ(r.pt_x, 10);
    CHECK_EQ(r.pt_y, 20); /* moved from offset 4 to 8 */
    CHECK_EQ(r.pt_z, 4);  /* added in the middle: its initialiser */
    CHECK_EQ(r.pr_a, 1);  /* swapped with b */
    CHECK_EQ(r.pr_b, 2);
    CHECK_EQ(r.tr_keep, 5);
    CHECK_EQ(r.nest_before, 1);
    CHECK_EQ(r.nest_p, 2);
    CHECK_EQ(r.nest_q, 9); /* the nested struct's new field */
    CHECK_EQ(r.nest_after, 3);
    CHECK_STR_HAS(log.all, "pt migrated to its new layout: added: pt.z");
    CHECK_STR_HAS(log.all, "tr migrated to its new layout: dropped: tr.gone");
    CHECK_STR_HAS(log.all, "nest migrated to its new layout: added: nest.in.q");
    CHECK_STR_HAS(log.all, "pr migrated to its new layout: fields moved");
    hcr_plugin_close(&ctx);
}

TEST(integers_widen_and_narrow_only_when_the_value_fits)
{
    struct migrate_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    start(&ctx, &r, &log);
    reload_to(&ctx, &r, "migrate_v2", 2);
    CHECK_EQ(r.widen, 2000000000);   /* int to long long */
    CHECK_EQ(r.narrow_fit, 123456);  /* long long to int, fits */
    CHECK_EQ(r.narrow_big, 7);       /* does not fit: keeps the new initialiser */
    CHECK_STR_HAS(log.all, "widen migrated to its new layout: converted: widen (int to long long int)");
    CHECK_STR_HAS(log.all, "narrow_big: 5000000000 does not fit in int");
    hcr_plugin_close(&ctx);
}

TEST(an_array_of_structs_grows_then_shrinks)
{
    struct migrate_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    start(&ctx, &r, &log);
    reload_to(&ctx, &r, "migrate_v2", 2);
    CHECK_EQ(r.items_count, 6);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(r.items_id[i], i + 1);
        CHECK_EQ(r.items_hp[i], (i + 1) * 10); /* moved past the new field */
        CHECK_EQ(r.items_mana[i], 0);
    }
    CHECK_EQ(r.items_id[4], 50); /* the new elements: the new initialiser */
    CHECK_EQ(r.items_id[5], 60);
    CHECK_STR_HAS(log.all, "items migrated to its new layout: added: items[4..5], items[].mana");
    reload_to(&ctx, &r, "migrate_v3", 3);
    CHECK_EQ(r.items_count, 2);
    CHECK_EQ(r.items_id[0], 1);
    CHECK_EQ(r.items_hp[1], 20);
    CHECK_STR_HAS(log.all, "items migrated to its new layout: dropped: items[2..5]");
    hcr_plugin_close(&ctx);
}

TEST(a_changed_union_is_reset_enums_go_by_name_bit_fields_by_value)
{
    struct migrate_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    start(&ctx, &r, &log);
    CHECK_EQ(r.union_value, 77);
    reload_to(&ctx, &r, "migrate_v2", 2);
    CHECK_EQ(r.union_value, 5); /* the new initialiser: which member was live is unknown */
    CHECK_STR_HAS(log.all, "un migrated to its new layout: reset to the new initialiser");
    CHECK_EQ(r.color, 2);       /* GREEN, now after YELLOW: by name, not by value */
    CHECK_EQ(r.color_is_green, 1);
    CHECK_EQ(r.flag_a, 5);      /* 3 bits to 4, after b now */
    CHECK_EQ(r.flag_b, 17);     /* 5 bits to 6, first now */
    hcr_plugin_close(&ctx);
}

TEST(an_hcr_state_struct_that_gained_a_field_keeps_its_value)
{
    struct migrate_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    start(&ctx, &r, &log);
    reload_to(&ctx, &r, "migrate_v2", 2);
    CHECK_EQ(r.saved_count, 42);
    CHECK_EQ(r.saved_added, 3);
    CHECK_STR_HAS(log.all, "saved migrated to its new layout: added: saved.added");
    hcr_plugin_close(&ctx);
}

TEST(an_hcr_state_struct_that_lost_a_field_refuses_the_build)
{
    struct migrate_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    start(&ctx, &r, &log);
    install_guest("migrate_refuse_drop", harness_path("guest.so"));
    CHECK_EQ(update_until_failure(&ctx), HCR_ESTATE);
    CHECK_EQ(ctx.failure, HCR_STATE_INVALIDATED);
    CHECK_EQ(ctx.version, 1);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "HCR_STATE variable migrate.c:saved_more");
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "would lose saved_more.gone");
    int steps = r.base.steps;
    CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + steps + 1); /* version 1 goes on */
    CHECK_EQ(r.saved_count, 42);
    hcr_plugin_close(&ctx);
}

TEST(an_hcr_state_narrowing_that_does_not_fit_refuses_the_build)
{
    struct migrate_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    start(&ctx, &r, &log);
    install_guest("migrate_refuse_narrow", harness_path("guest.so"));
    CHECK_EQ(update_until_failure(&ctx), HCR_ESTATE);
    CHECK_EQ(ctx.failure, HCR_STATE_INVALIDATED);
    CHECK_EQ(ctx.version, 1);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "pinned_big");
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "5000000000 does not fit in int");
    hcr_plugin_close(&ctx);
}

TEST(a_crash_after_migrating_rolls_back_to_the_old_layout_and_values)
{
    struct migrate_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    start(&ctx, &r, &log);
    install_guest("migrate_crash", harness_path("guest.so"));
    CHECK_EQ(update_until_failure(&ctx), HCR_ECRASH);
    CHECK_STR_HAS(log.all, "pt migrated to its new layout"); /* the new version had run */
    CHECK_EQ(ctx.version, 1);
    CHECK_EQ(r.base.version, 1); /* reported by version 1's HCR_LOAD after the rollback */
    CHECK_EQ(r.pt_x, 10);        /* its own storage, in its own layout, as it was */
    CHECK_EQ(r.pt_y, 20);
    CHECK_EQ(r.pr_a, 1);
    CHECK_EQ(r.widen, 2000000000);
    CHECK_EQ(r.items_hp[0], 10);
    CHECK_EQ(r.cursor_ok, 1);
    CHECK_EQ(r.op_result, 1002);
    int steps = r.base.steps;
    CHECK_EQ(hcr_plugin_update(&ctx), 1000000 + steps + 1);
    CHECK_EQ(r.pt_x, 10);
    hcr_plugin_close(&ctx);
}

static int mapped(const char *name)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    CHECK(maps != NULL);
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, maps))
        found = strstr(line, name) != NULL;
    fclose(maps);
    return found;
}

static void check_pointers(const struct migrate_report *r, int version)
{
    CHECK_EQ(r->cursor_ok, 1);
    CHECK_EQ(r->chain_ok, 1);
    CHECK_EQ(r->field_ptr_ok, 1);
    CHECK_EQ(r->table_head_ok, 1);
    CHECK_EQ(r->op_result, 2 + version * 1000);
    CHECK_EQ(r->table_fn_result, 2 + version * 1000);
    CHECK_EQ(r->op_is_times, 1);
}

TEST(pointers_follow_three_reloads_with_the_first_version_unloaded)
{
    struct migrate_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    start(&ctx, &r, &log);
    check_pointers(&r, 1);
    for (int v = 2; v <= 4; v++) {
        char variant[32];
        snprintf(variant, sizeof variant, "migrate_v%d", v);
        reload_to(&ctx, &r, variant, v);
        check_pointers(&r, v);
    }
    /* Version 1 is unloaded once two versions stand behind the running
       one: wait for the watch thread to unmap it. */
    for (int waited = 0; mapped("/v1-guest.so"); waited++) {
        if (waited > harness_scale(5000))
            harness_fail(__FILE__, __LINE__, "version 1 was never unloaded");
        harness_sleep_ms(2);
        hcr_plugin_update(&ctx);
    }
    CHECK(hcr_plugin_update(&ctx) > 0);
    check_pointers(&r, 4);
    Dl_info info;
    CHECK(dladdr(r.cursor, &info) != 0);
    CHECK_STR_HAS(info.dli_fname, "/v4-guest.so");
    CHECK(dladdr(r.op, &info) != 0);
    CHECK_STR_HAS(info.dli_fname, "/v4-guest.so");
    hcr_plugin_close(&ctx);
}

TEST(a_heap_array_migrates_through_hcr_migrate)
{
    struct migrate_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    start(&ctx, &r, &log);
    CHECK_EQ(hcr_migrate(&ctx, "struct particle", NULL, 0, NULL), HCR_EINVAL); /* not in HCR_LOAD */
    reload_to(&ctx, &r, "migrate_v2", 2);
    CHECK_EQ(r.heap_rc, 1);
    CHECK_EQ(r.heap_count, 3);
    for (int i = 0; i < 3; i++) {
        CHECK(r.heap_x[i] == (float)i + 0.5f);
        CHECK(r.heap_y[i] == (float)i * 2);
        CHECK(r.heap_z[i] == 1.5f); /* new fields keep their starting values */
        CHECK_EQ(r.heap_id[i], -7);
    }
    CHECK_STR_HAS(log.all, "3 of struct particle migrated to version 2's layout: added: id, z");
    reload_to(&ctx, &r, "migrate_v3", 3);
    CHECK_EQ(r.heap_rc, 0); /* the same layout: copied */
    CHECK(r.heap_x[2] == 2.5f);
    CHECK_EQ(r.heap_id[1], -7);
    hcr_plugin_close(&ctx);
}
