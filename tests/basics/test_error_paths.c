/*
 * test_error_paths.c: the error contract of every public call that can
 * fail (hcr.h section 6). Each failure is driven here, and its code must
 * have a name and a text of its own (never "HCR_E?" or "unknown error"),
 * mean one thing (no -1 or -2 standing for a step's or a load's failure),
 * and leave a message naming the file or the argument, from the thread
 * that asks. A raw system error passed on keeps the system's code.
 */
#include "harness.h"
#include "hcr.h"

#include <errno.h>
#include <pthread.h>

/* The code names itself and has a text; the message, read after the
   call, says `detail`. */
#define CHECK_CODE(call, expected, message, detail)                                         \
    do {                                                                                    \
        int code_ = (call);                                                                 \
        CHECK_EQ(code_, (expected));                                                        \
        CHECK(strcmp(hcr_error_name(code_), "HCR_E?") != 0);                                \
        CHECK(strcmp(hcr_strerror(code_), "unknown error") != 0);                           \
        CHECK_STR_HAS((message), (detail));                                                 \
    } while (0)

TEST(plugin_calls)
{
    struct hcr_plugin ctx = {0};
    CHECK_CODE(hcr_plugin_open(&ctx, ""), HCR_EINVAL, hcr_plugin_error(&ctx), "no path given");
    CHECK_CODE(hcr_plugin_open(NULL, "x.so"), HCR_EINVAL, hcr_plugin_error(NULL),
               "no context given");
    struct hcr_options bad = {0};
    bad.rollback = (enum hcr_rollback)99;
    CHECK_CODE(hcr_plugin_open_with(&ctx, "x.so", &bad), HCR_EINVAL, hcr_plugin_error(&ctx),
               "x.so");
    /* A copy directory the system refuses: its own code comes back. */
    struct hcr_options options = {0};
    options.copy_dir = "/proc/hcr-cannot-be-here";
    int rc = hcr_plugin_open_with(&ctx, harness_path("x.so"), &options);
    CHECK(rc == -ENOENT || rc == -EACCES || rc == -EPERM);
    CHECK(strcmp(hcr_strerror(rc), "unknown error") != 0);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "hcr-cannot-be-here");
    CHECK_CODE(hcr_plugin_update(&ctx), HCR_EINVAL, "", "");
    CHECK_CODE(hcr_plugin_step(&ctx), HCR_EINVAL, "", "");
    CHECK_CODE(hcr_plugin_set_copy_dir(&ctx, "/tmp"), HCR_EINVAL, "", "");
    CHECK_EQ(hcr_plugin_failed_in_step(&ctx, NULL), 0);
    /* A missing build leaves the context open and waiting: no version to
       run is HCR_ENOENT, never -2 standing for a load's failure. */
    CHECK_EQ(hcr_plugin_open(&ctx, harness_path("missing.so")), HCR_ENOENT);
    CHECK_STR_HAS(hcr_plugin_error(&ctx), "missing.so");
    rc = hcr_plugin_update(&ctx);
    CHECK(rc == HCR_ENOENT);
    hcr_plugin_close(&ctx);
}

TEST(object_calls)
{
    CHECK_CODE(hcr_object_reload(NULL), HCR_EINVAL, hcr_object_error(), "no object path");
    CHECK_CODE(hcr_object_reload(harness_path("missing.o")), HCR_ENOENT, hcr_object_error(),
               "missing.o");
    CHECK_CODE(hcr_object_reload(harness_tmpdir()), HCR_EISDIR, hcr_object_error(),
               harness_tmpdir());
    CHECK_CODE(hcr_object_protect(NULL, NULL), HCR_EINVAL, "", "");
}

static void *read_error(void *arg)
{
    (void)arg;
    return (void *)hcr_object_error();
}

/* The accessors answer any thread: another thread reads the message of
   the newest failure, in a copy of its own. */
TEST(error_accessors_answer_any_thread)
{
    CHECK_EQ(hcr_object_reload(harness_path("gone.o")), HCR_ENOENT);
    pthread_t t;
    void *text;
    CHECK_EQ(pthread_create(&t, NULL, read_error, NULL), 0);
    CHECK_EQ(pthread_join(t, &text), 0);
    CHECK_STR_HAS((const char *)text, "gone.o");
    CHECK((const char *)text != hcr_object_error());
}

static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)level, (void)message, (void)user;
}

TEST(live_calls)
{
    CHECK_EQ(hcr_live_poll(), 0); /* not started: nothing to do, no error */
    hcr_live_stop();              /* not started: nothing to stop */
    struct hcr_live_options options = {0};
    options.log = quiet;
    CHECK_EQ(hcr_live_start(&options), 0);
    int rc = hcr_live_start(&options);
    CHECK_EQ(rc, HCR_EBUSY);
    CHECK_STR_HAS(hcr_error_name(rc), "HCR_EBUSY");
    hcr_live_stop();
}
