/* Plugin mode: the options and calls that hosts (and the cr.h drop-in)
   use to shape a plugin: the entry point's name, which variables are
   carried, the private directory set after open, a step that leaves a new
   build waiting, and options that are refused before anything is made. */
#include "plugin_util.h"
#include "plugin/plugin_internal.h"

#include <dirent.h>
#include <stdatomic.h>
#include <sys/stat.h>

static int open_with(struct hcr_plugin *ctx, struct guest_report *r, const char *variant,
                     const char *path, struct hcr_options *options, struct log_capture *log)
{
    install_guest(variant, path);
    ctx->userdata = r;
    options->log = capture_log;
    options->log_user = log;
    return hcr_plugin_open_with(ctx, path, options);
}

TEST(entry_point_under_another_name)
{
    static struct log_capture log;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct hcr_options options = {0};
    options.main_name = "game_main";
    CHECK_EQ(open_with(&ctx, &r, "counter_entry", harness_path("guest.so"), &options, &log), 0);
    CHECK_EQ(hcr_plugin_update(&ctx), 1000001);
    hcr_plugin_close(&ctx);

    /* A build without it is refused, by name. */
    CHECK_EQ(open_with(&ctx, &r, "counter_v1", harness_path("other.so"), &options, &log),
             HCR_ENOSYM);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "does not export game_main");
    CHECK_EQ(hcr_plugin_update(&ctx), HCR_ENOSYM);
    CHECK_EQ(ctx.failure, HCR_BAD_IMAGE);
    hcr_plugin_close(&ctx);
}

/* Runs `first` for three steps under `carry`, then `second` (built with
   VERSION 2); returns how many steps the first took. */
static int reload_builds_carrying(struct hcr_plugin *ctx, struct guest_report *r,
                                  enum hcr_carry carry, const char *first, const char *second)
{
    static struct log_capture log;
    struct hcr_options options = {0};
    options.carry = carry;
    const char *path = harness_path("guest.so");
    CHECK_EQ(open_with(ctx, r, first, path, &options, &log), 0);
    for (int i = 1; i <= 3; i++)
        CHECK_EQ(hcr_plugin_update(ctx), 1000000 + i);
    install_guest(second, path);
    update_until_version(ctx, 2, 3000);
    CHECK_EQ(r->version, 2);
    return r->global_counter - 1; /* v1's steps: it counted one per step */
}

static int reload_carrying(struct hcr_plugin *ctx, struct guest_report *r, enum hcr_carry carry)
{
    return reload_builds_carrying(ctx, r, carry, "counter_v1", "counter_v2");
}

TEST(carry_none_starts_every_version_afresh)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    int steps = reload_carrying(&ctx, &r, HCR_CARRY_NONE);
    CHECK_EQ(steps, 0);
    CHECK_EQ(r.pinned, 1); /* HCR_STATE too */
    CHECK_EQ(r.initialised, 101);
    hcr_plugin_close(&ctx);
}

TEST(carry_uninitialised_restarts_variables_with_an_initialiser)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    int steps = reload_carrying(&ctx, &r, HCR_CARRY_UNINITIALISED);
    CHECK_INT(steps, >=, 3);
    CHECK_EQ(r.pinned, steps + 1);  /* HCR_STATE: carried */
    CHECK_EQ(r.local_calls, steps + 1); /* a static without an initialiser: carried */
    CHECK_EQ(r.initialised, 101);   /* `= 100`: from its initialiser again */
    CHECK_EQ(r.first, 2);           /* `= 1` */
    hcr_plugin_close(&ctx);
}

/* A guest built with cr.h itself marks CR_STATE variables with a section
   named .state: they are kept as HCR_STATE ones are, though the section
   gives them bytes, which would otherwise read as an initialiser. */
TEST(carry_uninitialised_keeps_cr_h_own_state_section)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    int steps = reload_builds_carrying(&ctx, &r, HCR_CARRY_UNINITIALISED, "counter_cr_state_v1",
                                       "counter_cr_state_v2");
    CHECK_INT(steps, >=, 3);
    CHECK_EQ(r.pinned, steps + 1);
    CHECK_EQ(r.initialised, 101);
    hcr_plugin_close(&ctx);
}

TEST(carry_all_is_the_default)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    int steps = reload_carrying(&ctx, &r, HCR_CARRY_ALL);
    CHECK_EQ(r.initialised, 100 + steps + 1);
    CHECK_EQ(r.first, 1 + steps + 1);
    hcr_plugin_close(&ctx);
}

/* Whether `dir` holds anything but . and .. */
static int has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    int found = 0;
    for (struct dirent *e; !found && (e = readdir(d));)
        found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return found;
}

/* Whether a file under `dir` is mapped in this process. */
static int mapped_under(const char *dir)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    CHECK(maps != NULL);
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, maps))
        found = strstr(line, dir) != NULL;
    fclose(maps);
    return found;
}

TEST(copy_dir_set_after_open_holds_the_copies)
{
    static struct log_capture log;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    char first[512], second[512];
    snprintf(first, sizeof first, "%s", harness_path("first"));
    snprintf(second, sizeof second, "%s", harness_path("second"));
    CHECK_EQ(mkdir(first, 0700), 0);
    CHECK_EQ(mkdir(second, 0700), 0);
    struct hcr_options options = {0};
    options.copy_dir = first;
    CHECK_EQ(open_with(&ctx, &r, "counter_v1", harness_path("guest.so"), &options, &log), 0);
    CHECK(has_entries(first));
    CHECK_EQ(hcr_plugin_set_copy_dir(&ctx, second), 0);
    CHECK(!has_entries(first));
    CHECK(has_entries(second));
    CHECK_EQ(hcr_plugin_update(&ctx), 1000001);
    CHECK_EQ(ctx.version, 1); /* the same build, the same number */
    CHECK(mapped_under(second));
    CHECK(!mapped_under(first));
    /* Once a version runs, its directory stays. */
    CHECK_EQ(hcr_plugin_set_copy_dir(&ctx, first), HCR_EBUSY);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "before the first update");
    CHECK_EQ(hcr_plugin_set_copy_dir(&ctx, NULL), HCR_EINVAL);
    hcr_plugin_close(&ctx);
    CHECK(!has_entries(second));
}

TEST(copy_dir_that_cannot_be_made_leaves_the_plugin_as_it_was)
{
    static struct log_capture log;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct hcr_options options = {0};
    CHECK_EQ(open_with(&ctx, &r, "counter_v1", harness_path("guest.so"), &options, &log), 0);
    CHECK_INT(hcr_plugin_set_copy_dir(&ctx, harness_path("missing/dir")), <, 0);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "missing/dir");
    CHECK_EQ(log.errors, 1);
    CHECK_EQ(hcr_plugin_update(&ctx), 1000001);
    hcr_plugin_close(&ctx);
}

TEST(step_leaves_a_new_build_waiting)
{
    static struct log_capture log;
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct hcr_options options = {0};
    const char *path = harness_path("guest.so");
    CHECK_EQ(open_with(&ctx, &r, "counter_v1", path, &options, &log), 0);
    CHECK_EQ(hcr_plugin_step(&ctx), HCR_ENOENT); /* the first version too waits for an update */
    CHECK_EQ(ctx.version, 0);
    CHECK_EQ(hcr_plugin_update(&ctx), 1000001);
    CHECK_EQ(hcr_plugin_step(&ctx), 1000002);
    install_guest("counter_v2", path);
    for (int waited = 0; waited <= harness_scale(3000) && !atomic_load(&ctx.p->pending); waited++)
        harness_sleep_ms(1);
    CHECK(atomic_load(&ctx.p->pending) != NULL);
    for (int i = 3; i <= 5; i++)
        CHECK_EQ(hcr_plugin_step(&ctx), 1000000 + i);
    CHECK_EQ(r.version, 1);
    CHECK_EQ(hcr_plugin_update(&ctx), 2000006);
    CHECK_EQ(hcr_plugin_step(&ctx), 2000007);
    hcr_plugin_close(&ctx);
}

TEST(options_out_of_range_are_refused_by_name)
{
    static struct log_capture log;
    struct hcr_plugin ctx = {0};
    struct hcr_options options = {0};
    options.log = capture_log;
    options.log_user = &log;
    const char *path = harness_path("guest.so");
    install_guest("counter_v1", path);
    options.rollback = (enum hcr_rollback)7;
    CHECK_EQ(hcr_plugin_open_with(&ctx, path, &options), HCR_EINVAL);
    CHECK_STR_HAS(log.last_error, "hcr_options.rollback");
    CHECK(ctx.p == NULL);
    options.rollback = HCR_ROLLBACK_ON_FAILURE;
    options.carry = (enum hcr_carry)9;
    CHECK_EQ(hcr_plugin_open_with(&ctx, path, &options), HCR_EINVAL);
    CHECK_STR_HAS(log.last_error, "hcr_options.carry");
    options.carry = HCR_CARRY_ALL;
    options.main_name = "";
    CHECK_EQ(hcr_plugin_open_with(&ctx, path, &options), HCR_EINVAL);
    CHECK_STR_HAS(log.last_error, "hcr_options.main_name");
    options.main_name = NULL;
    options.safety = (enum hcr_safety)3;
    CHECK_EQ(hcr_plugin_open_with(&ctx, path, &options), HCR_EINVAL);
    CHECK_STR_HAS(log.last_error, "hcr_options.safety");
    CHECK_STR_HAS(log.last_error, path);
    CHECK(ctx.p == NULL);
}
