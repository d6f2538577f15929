/* Instances: every open of a plugin is an isolated copy with its own
   globals; a rebuild reaches all of them with their state; a crash rolls
   back only the instance that crashed; a host callback knows which
   instance called it, also for calls in tail position. */
#include "harness.h"
#include "hcr.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>

struct instance_report {
    int mode;
    int crash; /* the version number to crash in */
    int counter;
    int version;
};

static const char *guest(const char *name)
{
    static char slots[4][512];
    static int next;
    char *out = slots[next++ % 4];
    snprintf(out, sizeof slots[0], "%s/%s.so", HCR_TEST_GUESTS, name);
    return out;
}

/* What host_callback saw on its last call. */
static struct hcr_plugin *seen_caller, *seen_by_address;
static int callback_calls;

__attribute__((noinline)) int host_callback(int value);
__attribute__((noinline)) int host_callback(int value)
{
    struct hcr_plugin *caller = HCR_CALLER();
    seen_by_address = hcr_plugin_from_address(
        __builtin_extract_return_addr(__builtin_return_address(0)));
    seen_caller = caller;
    callback_calls++;
    return value;
}

static void quiet_log(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    if (level >= HCR_LOG_ERROR && !strstr(message, "crashed"))
        fprintf(stderr, "%s\n", message);
}

static void open_instance(struct hcr_plugin *ctx, struct instance_report *r, const char *path)
{
    struct hcr_options options = {0};
    options.log = quiet_log;
    ctx->userdata = r;
    int rc = hcr_plugin_open_with(ctx, path, &options);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "open %s: %s", path, hcr_plugin_error(ctx));
}

TEST(same_path_opened_twice_gives_separate_globals)
{
    const char *path = harness_path("p.so");
    harness_copy_rename(guest("instance_o2"), path);
    struct hcr_plugin a = {0}, b = {0};
    struct instance_report ra = {0}, rb = {0};
    open_instance(&a, &ra, path);
    open_instance(&b, &rb, path);
    for (int i = 0; i < 5; i++)
        hcr_plugin_update(&a);
    hcr_plugin_update(&b);
    CHECK_EQ(ra.counter, 5);
    CHECK_EQ(rb.counter, 1);
    hcr_plugin_close(&a);
    hcr_plugin_close(&b);
}

TEST(plugin_with_soname_still_opens_separately)
{
    const char *p1 = harness_path("one.so"), *p2 = harness_path("two.so");
    harness_copy_rename(guest("instance_soname"), p1);
    harness_copy_rename(guest("instance_soname"), p2);
    struct hcr_plugin a = {0}, b = {0}, c = {0};
    struct instance_report ra = {0}, rb = {0}, rc = {0};
    open_instance(&a, &ra, p1);
    open_instance(&b, &rb, p1);
    open_instance(&c, &rc, p2);
    for (int i = 0; i < 3; i++)
        hcr_plugin_update(&a);
    hcr_plugin_update(&b);
    hcr_plugin_update(&c);
    hcr_plugin_update(&c);
    CHECK_EQ(ra.counter, 3);
    CHECK_EQ(rb.counter, 1);
    CHECK_EQ(rc.counter, 2);
    hcr_plugin_close(&a);
    hcr_plugin_close(&b);
    hcr_plugin_close(&c);
}

/* 10,000 host callbacks from 100 instances, in every calling mode; both
   HCR_CALLER() and the bare return-address lookup must name the instance
   being stepped, every time. */
static void attribution(const char *variant)
{
    enum { N = 100, ROUNDS = 25 };
    const char *path = harness_path("attr.so");
    harness_copy_rename(guest(variant), path);
    static struct hcr_plugin ctx[N];
    static struct instance_report r[N];
    memset(ctx, 0, sizeof ctx);
    memset(r, 0, sizeof r);
    for (int i = 0; i < N; i++)
        open_instance(&ctx[i], &r[i], path);
    int calls = 0, wrong_caller = 0, wrong_address = 0;
    for (int round = 0; round < ROUNDS; round++)
        for (int mode = 1; mode <= 4; mode++)
            for (int i = 0; i < N; i++) {
                r[i].mode = mode;
                seen_caller = seen_by_address = NULL;
                int before = callback_calls;
                CHECK(hcr_plugin_update(&ctx[i]) >= 0);
                CHECK_EQ(callback_calls, before + 1);
                calls++;
                wrong_caller += seen_caller != &ctx[i];
                wrong_address += seen_by_address != &ctx[i];
            }
    CHECK_EQ(calls, 10000);
    CHECK_EQ(wrong_caller, 0);
    CHECK_EQ(wrong_address, 0);
    for (int i = 0; i < N; i++)
        hcr_plugin_close(&ctx[i]);
}

TEST(caller_is_right_at_O0) { attribution("instance_o0"); }
TEST(caller_is_right_at_O2_with_tail_calls) { attribution("instance_o2"); }

TEST(without_the_plugin_flags_tail_calls_hide_the_caller)
{
    /* Shows what the flags are for, and that the tests above do exercise
       tail calls: built without them, a tail call leaves no return address
       in the plugin. HCR_CALLER() still answers within an update, from the
       instance whose guest call runs on this thread. */
    const char *path = harness_path("sib.so");
    harness_copy_rename(guest("instance_o2_sibcalls"), path);
    struct hcr_plugin ctx = {0};
    struct instance_report r = {0};
    open_instance(&ctx, &r, path);
    r.mode = 4; /* hcr_main's own tail call: returns straight to the host */
    CHECK(hcr_plugin_update(&ctx) >= 0);
    CHECK(seen_by_address != &ctx);
    CHECK(seen_caller == &ctx);
    hcr_plugin_close(&ctx);
}

struct find_request {
    struct hcr_plugin *ctx;
    const char *name;
    void *found;
};

static int find_in_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct find_request *req = data;
    if (!strstr(info->dlpi_name, ".so") || req->found)
        return 0;
    void *handle = dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD);
    if (!handle)
        return 0;
    void *fn = dlsym(handle, req->name);
    if (fn && hcr_plugin_from_address(fn) == req->ctx)
        req->found = fn;
    dlclose(handle);
    return 0;
}

/* The address of `name` in the copy of the plugin that `ctx` runs. */
static void *find_in_instance(struct hcr_plugin *ctx, const char *name)
{
    struct find_request req = {ctx, name, NULL};
    dl_iterate_phdr(find_in_object, &req);
    return req.found;
}

static void *call_from_plain_thread(void *arg)
{
    /* No guest call on this thread: only the return address can tell. */
    int (*tail)(int) = arg;
    seen_caller = NULL;
    tail(1);
    return NULL;
}

TEST(caller_known_on_a_thread_outside_any_update)
{
    const char *path = harness_path("t.so");
    harness_copy_rename(guest("instance_o2"), path);
    struct hcr_plugin a = {0}, b = {0};
    struct instance_report ra = {0}, rb = {0};
    open_instance(&a, &ra, path);
    open_instance(&b, &rb, path);
    hcr_plugin_update(&a);
    hcr_plugin_update(&b);
    void *fn = find_in_instance(&b, "tail_call");
    CHECK(fn != NULL);
    pthread_t t;
    pthread_create(&t, NULL, call_from_plain_thread, fn);
    pthread_join(t, NULL);
    CHECK(seen_caller == &b);
    hcr_plugin_close(&a);
    hcr_plugin_close(&b);
}

TEST_TIMEOUT(thousand_instances_rebuild_and_crash, 240)
{
    enum { N = 1000 };
    const char *path = harness_path("many.so");
    harness_copy_rename(guest("instance_o2"), path);
    static struct hcr_plugin ctx[N];
    static struct instance_report r[N];
    memset(ctx, 0, sizeof ctx);
    memset(r, 0, sizeof r);
    for (int i = 0; i < N; i++)
        open_instance(&ctx[i], &r[i], path);
    /* Instance i steps i % 7 + 1 times: every counter its own. */
    static int steps[N];
    for (int i = 0; i < N; i++)
        for (int k = 0; k <= i % 7; k++, steps[i]++)
            CHECK_EQ(hcr_plugin_update(&ctx[i]), 1);
    for (int i = 0; i < N; i++)
        CHECK_EQ(r[i].counter, steps[i]);

    /* A rebuild: all of them move to version 2 with their own state, but
       instance 500 crashes on its first step there and alone rolls back. */
    harness_copy_rename(guest("instance_o2_v2"), path);
    r[500].crash = 2; /* crashes on the new code only */
    int remaining = N;
    for (int tries = 0; remaining > 0 && tries < harness_scale(30000); tries++) {
        remaining = 0;
        for (int i = 0; i < N; i++) {
            if (r[i].version == 2 || (i == 500 && ctx[i].failure != HCR_NONE))
                continue;
            if (hcr_plugin_update(&ctx[i]) >= 0)
                steps[i]++;
            if (r[i].version != 2 && !(i == 500 && ctx[i].failure != HCR_NONE))
                remaining++;
        }
        if (remaining)
            harness_sleep_ms(1);
    }
    CHECK_EQ(remaining, 0);
    CHECK_EQ(ctx[500].failure, HCR_SEGFAULT);
    CHECK_EQ(ctx[500].version, 1); /* rolled back alone */
    r[500].crash = 0;
    for (int i = 0; i < N; i++) {
        int rc = hcr_plugin_update(&ctx[i]);
        steps[i]++;
        CHECK_EQ(rc, i == 500 ? 1 : 2);
        CHECK_EQ(r[i].counter, steps[i]); /* its own count, carried across */
    }
    for (int i = 0; i < N; i++)
        hcr_plugin_close(&ctx[i]);
}

/* hcr_plugin_from_address from a signal handler, while another thread
   keeps opening and closing instances (replacing the map under it). */
static void *volatile probe_address;
static struct hcr_plugin *volatile probe_expected;
static volatile int probe_wrong, probe_done;

static void probe_handler(int signo)
{
    (void)signo;
    if (hcr_plugin_from_address(probe_address) != probe_expected)
        probe_wrong++;
    probe_done++;
}

static _Atomic int churn_stop, churn_rounds; /* shared with the churning thread */

static void *churn_instances(void *arg)
{
    const char *path = arg;
    while (!churn_stop) {
        struct hcr_plugin c = {0};
        struct instance_report r = {0};
        open_instance(&c, &r, path);
        hcr_plugin_update(&c);
        hcr_plugin_close(&c);
        churn_rounds++;
    }
    return NULL;
}

TEST(address_lookup_is_safe_in_a_signal_handler)
{
    const char *path = harness_path("sig.so");
    harness_copy_rename(guest("instance_o2"), path);
    struct hcr_plugin stable = {0};
    struct instance_report r = {0};
    open_instance(&stable, &r, path);
    hcr_plugin_update(&stable);
    probe_address = find_in_instance(&stable, "tail_call");
    probe_expected = &stable;
    CHECK(probe_address != NULL);
    signal(SIGUSR1, probe_handler);
    pthread_t churn;
    pthread_create(&churn, NULL, churn_instances, (void *)path);
    /* Probe until the map was replaced under the probes many times. */
    while (probe_done < 20000 || churn_rounds < 20) {
        raise(SIGUSR1);
        if (probe_done % 64 == 0)
            sched_yield();
    }
    churn_stop = 1;
    pthread_join(churn, NULL);
    CHECK_EQ(probe_wrong, 0);
    hcr_plugin_close(&stable);
}
