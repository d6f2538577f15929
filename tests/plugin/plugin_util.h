/* plugin_util.h: helpers shared by the plugin-mode tests. */
#ifndef HCR_TEST_PLUGIN_UTIL_H
#define HCR_TEST_PLUGIN_UTIL_H

#include "harness.h"
#include "hcr.h"
#include "report.h"

/* Path of a built guest variant, e.g. guest_path("counter_v2"). */
const char *guest_path(const char *variant);

/* Puts variant in place at dst by copy and rename (how most linkers end). */
void install_guest(const char *variant, const char *dst);

/* The whole contents of a file, malloc'd; *size gets its length. */
unsigned char *read_whole_file(const char *path, size_t *size);

/* Calls hcr_plugin_update until the guest reports `version` or until
   timeout_ms passed; returns the last update's result. */
int update_until_version(struct hcr_plugin *ctx, int version, int timeout_ms);

/* A log sink that counts lines per level and keeps the last error. */
struct log_capture {
    int errors, warnings, infos;
    char last_error[1024];
    char all[16384];
};
void capture_log(enum hcr_log_level level, const char *message, void *user);

/* Opens the plugin at path with the capture as its log sink; checks 0. */
void open_captured(struct hcr_plugin *ctx, const char *path, struct log_capture *log);

/* open_captured under the rollback rule `rule` (hcr.h section 5). */
void open_captured_rule(struct hcr_plugin *ctx, const char *path, struct log_capture *log,
                        enum hcr_rollback rule);

/* Installs `variant` at `path`, opens it with the capture as its log sink,
   and takes `steps` updates, each of which must step the guest. */
void start_guest(struct hcr_plugin *ctx, struct guest_report *r, struct log_capture *log,
                 const char *variant, const char *path, int steps);

/* Whether `path` is mapped shared and writable in this process. hcr never
   maps a copy that way: the kernel writes it from file to file. */
int mapped_shared(const char *path);

#endif
