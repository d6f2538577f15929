/* Plugin mode: bad input. Every kind of broken file gets an error naming
   the file and the problem, reported once per build, while the previous
   version keeps running. */
#include "plugin_util.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_bytes(const char *path, const void *data, size_t size)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    CHECK(fd >= 0);
    CHECK(write(fd, data, size) == (ssize_t)size);
    close(fd);
    CHECK_EQ(rename(tmp, path), 0);
}

static unsigned char *read_guest(const char *variant, size_t *size)
{
    return read_whole_file(guest_path(variant), size);
}

/* Puts a bad build in place under a running v1 and checks it is refused
   with `code`'s text in the message, once, and v1 keeps running. */
static void refused_while_running(void (*make_bad)(const char *path), const char *expect_text)
{
    struct guest_report r = {0};
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    const char *path = harness_path("guest.so");
    start_guest(&ctx, &r, &log, "counter_v1", path, 1);
    make_bad(path);
    int failures = 0;
    for (int i = 0; i < harness_scale(300); i++) {
        int rc = hcr_plugin_update(&ctx);
        if (rc < 0) {
            failures++;
            CHECK_EQ(ctx.failure, HCR_BAD_IMAGE);
            /* The build's own error: hcr's, or the system's (EFBIG). */
            CHECK(strcmp(hcr_error_name(rc), "HCR_E?") != 0);
        } else {
            CHECK_EQ(rc / 1000000, 1);
        }
        harness_sleep_ms(2);
    }
    CHECK_EQ(failures, 1);
    CHECK_EQ(log.errors, 1);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), path);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), expect_text);
    CHECK_STR_HAS(log.last_error, "the previous version keeps running");
    CHECK_EQ(r.version, 1);
    /* A good build afterwards loads. */
    install_guest("counter_v2", path);
    update_until_version(&ctx, 2, 3000);
    CHECK_EQ(r.version, 2);
    hcr_plugin_close(&ctx);
}

static void make_text(const char *path) { write_bytes(path, "hello, not ELF\n", 15); }
static void make_empty(const char *path) { write_bytes(path, "", 0); }
static void make_truncated(const char *path)
{
    size_t size;
    unsigned char *data = read_guest("counter_v2", &size);
    write_bytes(path, data, size / 2);
    free(data);
}
static void make_aarch64(const char *path)
{
    size_t size;
    unsigned char *data = read_guest("counter_v2", &size);
    ((Elf64_Ehdr *)data)->e_machine = EM_AARCH64;
    write_bytes(path, data, size);
    free(data);
}
static void make_no_main(const char *path) { install_guest("no_main", path); }
static void make_undefined(const char *path) { install_guest("undefined", path); }
static void make_corrupt(const char *path)
{
    size_t size;
    unsigned char *data = read_guest("counter_v2", &size);
    ((Elf64_Ehdr *)data)->e_shoff = (Elf64_Off)size * 4; /* section table past the end */
    write_bytes(path, data, size);
    free(data);
}

/* A good 400 KB build whose copy cannot be written: files are limited to
   64 KB from the moment it is renamed into place, as a full disk would
   refuse them (the next build, 20 KB, fits). */
static void make_uncopyable(const char *path)
{
    const char *staged = harness_path("staged.so");
    install_guest("counter_large", staged);
    signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead */
    struct rlimit limit;
    CHECK_EQ(getrlimit(RLIMIT_FSIZE, &limit), 0);
    limit.rlim_cur = 64 * 1024;
    CHECK_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
    CHECK_EQ(rename(staged, path), 0);
}

TEST(not_elf_refused) { refused_while_running(make_text, "not an ELF file"); }
TEST(empty_refused) { refused_while_running(make_empty, "empty"); }
TEST(truncated_refused) { refused_while_running(make_truncated, "truncated"); }
TEST(wrong_architecture_refused) { refused_while_running(make_aarch64, "AArch64"); }
TEST(corrupt_refused) { refused_while_running(make_corrupt, "section"); }
TEST(missing_hcr_main_refused) { refused_while_running(make_no_main, "hcr_main"); }
TEST(copy_that_cannot_be_written_refused)
{
    refused_while_running(make_uncopyable, strerror(EFBIG));
}
TEST(undefined_symbol_refused)
{
    refused_while_running(make_undefined, "hcr_test_function_nobody_defines");
}

TEST(open_reports_the_problem_and_keeps_watching)
{
    struct { const char *variant; int code; } cases[] = {
        {NULL, HCR_ENOENT}, {"no_main", HCR_ENOSYM}, {"undefined", HCR_ENOSYM}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct guest_report r = {0};
        struct hcr_plugin ctx = {0};
        struct log_capture log = {0};
        const char *path = harness_path("guest.so");
        unlink(path);
        if (cases[i].variant)
            install_guest(cases[i].variant, path);
        struct hcr_options options = {0};
        options.log = capture_log;
        options.log_user = &log;
        ctx.userdata = &r;
        CHECK_EQ(hcr_plugin_open_with(&ctx, path, &options), cases[i].code);
        CHECK_STR_HAS(hcr_plugin_error(&ctx), path);
        CHECK_EQ(hcr_plugin_update(&ctx), cases[i].code); /* the build's error, once */
        CHECK_EQ(ctx.failure, HCR_BAD_IMAGE);
        CHECK_EQ(hcr_plugin_update(&ctx), HCR_ENOENT);     /* then nothing to run */
        install_guest("counter_v1", path);
        update_until_version(&ctx, 1, 3000);
        CHECK_EQ(ctx.version, 1);
        CHECK_EQ(ctx.failure, HCR_NONE);
        CHECK_EQ(log.errors, 1);
        hcr_plugin_close(&ctx);
    }
}

TEST(directory_is_refused)
{
    struct hcr_plugin ctx = {0};
    const char *path = harness_path("adir");
    CHECK_EQ(mkdir(path, 0755), 0);
    struct log_capture log = {0};
    struct hcr_options options = {0};
    options.log = capture_log;
    options.log_user = &log;
    CHECK_EQ(hcr_plugin_open_with(&ctx, path, &options), HCR_EISDIR);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "is a directory");
    hcr_plugin_close(&ctx);
}

TEST(missing_directory_fails_open)
{
    struct hcr_plugin ctx = {0};
    struct log_capture log = {0};
    struct hcr_options options = {0};
    options.log = capture_log;
    options.log_user = &log;
    CHECK_EQ(hcr_plugin_open_with(&ctx, harness_path("nodir/guest.so"), &options), HCR_ENOENT);
    CHECK(ctx.p == NULL);
    CHECK_STR_HAS(log.last_error, "nodir");
}

TEST(bad_arguments)
{
    struct hcr_plugin ctx = {0};
    CHECK_EQ(hcr_plugin_open(NULL, "x.so"), HCR_EINVAL);
    CHECK_STR_HAS(hcr_plugin_error(NULL), "no context given");
    CHECK_EQ(hcr_plugin_open(&ctx, NULL), HCR_EINVAL);
    CHECK_EQ(hcr_plugin_open(&ctx, ""), HCR_EINVAL);
    /* The context stayed closed: the message is the failed open's. */
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "no path given");
    CHECK_EQ(hcr_plugin_update(&ctx), HCR_EINVAL);
    CHECK_EQ(hcr_plugin_update(NULL), HCR_EINVAL);
    hcr_plugin_close(&ctx);
    hcr_plugin_close(NULL);
}

/* A copy directory that cannot be made: the system's own error comes
   back, not a code standing for several, with a message naming both. */
TEST(an_unusable_copy_directory_is_the_systems_error)
{
    struct hcr_plugin ctx = {0};
    struct hcr_options options = {0};
    const char *path = harness_path("guest.so");
    install_guest("counter_v1", path);
    options.copy_dir = harness_path("no/such/dir");
    CHECK_EQ(hcr_plugin_open_with(&ctx, path, &options), -ENOENT);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "no/such/dir");
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "guest.so");
    CHECK_STR_HAS(hcr_strerror(-ENOENT), "no such file");
    CHECK(ctx.p == NULL);
}
