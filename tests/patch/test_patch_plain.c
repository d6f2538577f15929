/*
 * test_patch_plain.c: redirecting functions built without hot-patch pads
 * (plain_subjects.c, gcc -O2 as a project builds): a jump over the first
 * bytes, written while the other threads are paused; the original bytes
 * come back on revert; an endbr64 stays in front; functions that cannot
 * take the jump (a loop back to the entry, a single `ret`) are refused with
 * their reason and left untouched; a thread inside a call made from the
 * first bytes holds the redirect off until it returns; a thread that
 * blocks the pause signal is named and nothing changes; and four threads
 * calling through the entry during 1,000 switches only ever see one of the
 * versions.
 */
#include "harness.h"
#include "object/patch.h"
#include "object/thread_pause.h"
#include "plain_subjects.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef int (*version_fn)(int);

static int call(version_fn volatile fn, int x)
{
    return fn(x);
}

static const unsigned char *code(const void *fn)
{
    uintptr_t a = (uintptr_t)fn;
    __asm__("" : "+r"(a));
    return (const unsigned char *)a;
}

static struct hcr__patch_target *target(const void *fn, const char *name)
{
    struct hcr__message msg = {{0}};
    struct hcr__patch_target *t;
    size_t size = plain_size(fn);
    CHECK(size > 0);
    if (hcr__patch_target_get((void *)fn, size, name, &t, &msg) < 0)
        harness_fail(__FILE__, __LINE__, "target %s: %s", name, msg.text);
    return t;
}

/* Makes fn (a function without pads) the current code of t. */
static void set(struct hcr__patch_target *t, const void *fn)
{
    struct hcr__message msg = {{0}};
    struct hcr__patch_switch sw = {t, (void *)fn, plain_size(fn), 1};
    int rc = hcr__patch_switch_many(&sw, 1, NULL, &msg);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "set %s: %s: %s", hcr__patch_target_name(t),
                     hcr_error_name(rc), msg.text);
}

TEST(a_function_without_pads_is_redirected_and_restored_exactly)
{
    unsigned char before[16];
    memcpy(before, code(plain_f), sizeof before);
    version_fn volatile taken = plain_f;
    struct hcr__patch_target *t = target(plain_f, "plain_f");
    set(t, plain_g);
    CHECK_EQ(call(plain_f, 1), 5);
    CHECK_EQ(call(taken, 1), 5);
    CHECK_EQ(code(plain_f)[0], 0xe9); /* the jump */
    set(t, plain_h);
    CHECK_EQ(call(plain_f, 1), 6);
    CHECK_EQ(call(plain_g, 1), 6); /* the old copy jumps too */
    set(t, plain_f);
    CHECK_EQ(call(plain_f, 1), 4);
    CHECK(memcmp(code(plain_f), before, sizeof before) == 0);
    CHECK_EQ(call(plain_g, 1), 4);
}

TEST(an_endbr64_stays_in_front_of_the_jump)
{
    static const unsigned char endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
    CHECK(memcmp(code(plain_cet_f), endbr64, 4) == 0);
    struct hcr__patch_target *t = target(plain_cet_f, "plain_cet_f");
    set(t, plain_cet_g);
    CHECK(memcmp(code(plain_cet_f), endbr64, 4) == 0);
    CHECK_EQ(code(plain_cet_f)[4], 0xe9);
    CHECK_EQ(call(plain_cet_f, 1), 7);
    set(t, plain_cet_f);
    CHECK_EQ(call(plain_cet_f, 1), 6);
}

static void check_refused(const void *fn, const char *name, const char *reason)
{
    unsigned char before[8];
    memcpy(before, code(fn), sizeof before);
    struct hcr__message msg = {{0}};
    struct hcr__patch_target *t;
    CHECK_EQ(hcr__patch_target_get((void *)fn, plain_size(fn), name, &t, &msg), HCR_ENOTSUP);
    CHECK_STR_HAS(msg.text, name);
    CHECK_STR_HAS(msg.text, reason);
    CHECK(memcmp(code(fn), before, sizeof before) == 0);
}

TEST(a_loop_back_to_the_entry_is_refused)
{
    check_refused(plain_last_value, "plain_last_value", "a loop starts at its entry");
    struct plain_node tail = {NULL, 7}, head = {&tail, 1};
    CHECK_EQ(plain_last_value(&head), 7);
}

TEST(a_function_shorter_than_the_jump_is_refused)
{
    check_refused(plain_tiny, "plain_tiny", "shorter than the 5-byte");
    plain_tiny();
}

/* ---- a thread in a call made from the first bytes ---- */

static atomic_int inside, release;

static int blocker(void)
{
    atomic_store(&inside, 1);
    while (!atomic_load(&release))
        sched_yield();
    return 42;
}

static int other(void)
{
    return 43;
}

static void *run_blocked(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)plain_calls_early(blocker);
}

TEST_TIMEOUT(a_thread_in_a_call_from_the_first_bytes_holds_the_redirect_off, 120)
{
    struct hcr__patch_target *t = target(plain_calls_early, "plain_calls_early");
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, run_blocked, NULL), 0);
    while (!atomic_load(&inside))
        sched_yield();
    struct hcr__message msg = {{0}};
    struct hcr__patch_switch sw = {t, (void *)plain_calls_late, plain_size(plain_calls_late), 1};
    CHECK_EQ(hcr__patch_switch_many(&sw, 1, NULL, &msg), HCR_EBUSY);
    CHECK_STR_HAS(msg.text, "plain_calls_early");
    CHECK_STR_HAS(msg.text, "is in a call made from the first");
    CHECK_EQ(plain_calls_early(other), 43); /* unchanged */
    atomic_store(&release, 1);
    void *result;
    CHECK_EQ(pthread_join(th, &result), 0);
    CHECK_EQ((intptr_t)result, 42); /* returned through its own bytes */
    CHECK_EQ(hcr__patch_switch_many(&sw, 1, NULL, &msg), 0);
    CHECK_EQ(plain_calls_early(other), 1043);
}

/* ---- a thread that blocks the pause signal ---- */

static atomic_int blocker_ready, blocker_release;

static void *block_the_signal(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, HCR__PAUSE_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    atomic_store(&blocker_ready, 1);
    while (!atomic_load(&blocker_release)) {
        struct timespec wait = {0, 1000000};
        nanosleep(&wait, NULL);
    }
    return NULL;
}

/* It can never pause: the redirect fails with its reason and changes
   nothing; once the thread is gone it succeeds. (A thread that is merely
   slow to be scheduled is waited for: the four threads below.) */
TEST_TIMEOUT(a_thread_that_blocks_the_pause_signal_is_named, 120)
{
    struct hcr__patch_target *t = target(plain_f, "plain_f");
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, block_the_signal, NULL), 0);
    while (!atomic_load(&blocker_ready))
        sched_yield();
    struct hcr__message msg = {{0}};
    struct hcr__patch_switch sw = {t, (void *)plain_g, plain_size(plain_g), 1};
    CHECK_EQ(hcr__patch_switch_many(&sw, 1, NULL, &msg), HCR_EBUSY);
    CHECK_STR_HAS(msg.text, "blocks signal SIGRTMAX-3");
    CHECK_EQ(call(plain_f, 1), 4); /* unchanged */
    atomic_store(&blocker_release, 1);
    CHECK_EQ(pthread_join(th, NULL), 0);
    set(t, plain_g);
    CHECK_EQ(call(plain_f, 1), 5);
    set(t, plain_f);
}

/* ---- four threads through 1,000 switches ---- */

#define THREADS 4
#define SWITCHES 1000

static atomic_int stop;
static atomic_long wrong, calls[THREADS];
static atomic_int newest; /* 1 f, 2 g, 3 h: the version last made current */

static void *caller(void *arg)
{
    int i = (int)(intptr_t)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        int r = plain_f(i) - i * 3;
        if (r < 1 || r > 3)
            atomic_fetch_add(&wrong, 1);
        atomic_fetch_add_explicit(&calls[i], 1, memory_order_relaxed);
    }
    return NULL;
}

/* Waits until every caller made a call after this point. */
static void every_caller_called(void)
{
    long seen[THREADS];
    for (int i = 0; i < THREADS; i++)
        seen[i] = atomic_load(&calls[i]);
    for (int i = 0; i < THREADS; i++)
        while (atomic_load(&calls[i]) < seen[i] + 2)
            sched_yield();
}

TEST_TIMEOUT(four_threads_call_through_1000_switches, 600)
{
    struct hcr__patch_target *t = target(plain_f, "plain_f");
    static const version_fn versions[3] = {plain_f, plain_g, plain_h};
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&th[i], NULL, caller, (void *)(intptr_t)i), 0);
    uint64_t longest = 0;
    for (int s = 1; s <= SWITCHES; s++) {
        set(t, versions[s % 3]);
        atomic_store(&newest, s % 3 + 1);
        if (hcr__threads_last_hold_ns() > longest)
            longest = hcr__threads_last_hold_ns();
        if (s % 50 == 0)
            every_caller_called();
    }
    every_caller_called();
    /* SWITCHES % 3 == 1: plain_g is current, and every thread runs it. */
    CHECK_EQ(call(plain_f, 0), 2);
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(atomic_load(&wrong), 0);
    printf("     longest time a thread was held: %.1f us\n", (double)longest / 1000.0);
    set(t, plain_f);
}
