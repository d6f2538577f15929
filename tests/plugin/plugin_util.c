/* plugin_util.c: helpers shared by the plugin-mode tests. */
#include "plugin_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

const char *guest_path(const char *variant)
{
    static char slots[4][512];
    static int next;
    char *out = slots[next++ % 4];
    snprintf(out, sizeof slots[0], "%s/%s.so", HCR_TEST_GUESTS, variant);
    return out;
}

void install_guest(const char *variant, const char *dst)
{
    harness_copy_rename(guest_path(variant), dst);
}

unsigned char *read_whole_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        harness_fail(__FILE__, __LINE__, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(*size ? *size : 1);
    if (!data || fread(data, 1, *size, f) != *size)
        harness_fail(__FILE__, __LINE__, "cannot read %s", path);
    fclose(f);
    return data;
}

int update_until_version(struct hcr_plugin *ctx, int version, int timeout_ms)
{
    struct guest_report *r = ctx->userdata;
    int rc = 0;
    for (int waited = 0; waited <= harness_scale(timeout_ms); waited += 2) {
        rc = hcr_plugin_update(ctx);
        if (r->version == version && (int)ctx->version > 0)
            return rc;
        harness_sleep_ms(2);
    }
    return rc;
}

void capture_log(enum hcr_log_level level, const char *message, void *user)
{
    /* Called from the test's thread and from hcr's watch thread. */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    struct log_capture *c = user;
    if (level == HCR_LOG_ERROR) {
        c->errors++;
        snprintf(c->last_error, sizeof c->last_error, "%s", message);
    } else if (level == HCR_LOG_WARN) {
        c->warnings++;
    } else {
        c->infos++;
    }
    size_t used = strlen(c->all);
    snprintf(c->all + used, sizeof c->all - used, "%s\n", message);
    pthread_mutex_unlock(&lock);
}

void open_captured_rule(struct hcr_plugin *ctx, const char *path, struct log_capture *log,
                        enum hcr_rollback rule)
{
    struct hcr_options options = {0};
    options.log = capture_log;
    options.log_user = log;
    options.rollback = rule;
    int rc = hcr_plugin_open_with(ctx, path, &options);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "open %s: %s: %s", path, hcr_strerror(rc),
                     hcr_plugin_error(ctx));
}

void open_captured(struct hcr_plugin *ctx, const char *path, struct log_capture *log)
{
    open_captured_rule(ctx, path, log, HCR_ROLLBACK_ON_FAILURE);
}

void start_guest(struct hcr_plugin *ctx, struct guest_report *r, struct log_capture *log,
                 const char *variant, const char *path, int steps)
{
    install_guest(variant, path);
    ctx->userdata = r;
    open_captured(ctx, path, log);
    for (int i = 1; i <= steps; i++) {
        int rc = hcr_plugin_update(ctx);
        if (rc < 0 || rc % 1000000 != i)
            harness_fail(__FILE__, __LINE__, "step %d of %s returned %d", i, variant, rc);
    }
}

/* Whether `path` is mapped shared and writable in this process. hcr never
   maps a copy that way: the kernel writes it from file to file. */
int mapped_shared(const char *path)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    CHECK(maps != NULL);
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, maps)) {
        char perms[5];
        int name_at = 0;
        if (sscanf(line, "%*x-%*x %4s %*x %*x:%*x %*u %n", perms, &name_at) == 1 && name_at > 0) {
            line[strcspn(line, "\n")] = 0;
            found = strcmp(perms, "rw-s") == 0 && strcmp(line + name_at, path) == 0;
        }
    }
    fclose(maps);
    return found;
}
