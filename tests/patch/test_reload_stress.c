/*
 * test_reload_stress.c: four threads call the functions of a translation
 * unit in a tight loop, directly and through function pointers taken before
 * any reload, while the main thread reloads that unit 1,000 times with
 * hcr_object_reload, cycling through four versions. Each call must return
 * the version that was current when the call started or one that became
 * current during it: a thread reads the number of finished reloads before
 * and after its call, and the result must be the version of one of those
 * reloads or of the one in progress. An old version running after its
 * successor finished (a stale entry, a chain, a lost redirect) fails, and
 * so does any crash. All versions count their calls in one file static,
 * whose total must match the calls made.
 */
#include "harness.h"
#include "unit.h"

#include <hcr.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define THREADS 4
#define RELOADS 1000
#define VERSIONS 4

static volatile int finished; /* reloads completed */
static _Atomic int stop; /* these two are shared by every thread */
static volatile long made[THREADS];
static _Atomic long wrong;
static volatile int wrong_value, wrong_before, wrong_after;

/* The version running after `n` reloads: reload r loads version r % 4 + 1. */
static int version_after(int n)
{
    return n == 0 ? 0 : (n - 1) % VERSIONS + 1;
}

static int allowed(int v, int before, int after)
{
    for (int n = before; n <= after + 1 && n <= RELOADS; n++)
        if (v == version_after(n))
            return 1;
    return 0;
}

static void check(int v, int before, int after)
{
    if (!allowed(v, before, after) && atomic_fetch_add_explicit(&wrong, 1, memory_order_relaxed) == 0) {
        wrong_value = v;
        wrong_before = before;
        wrong_after = after;
    }
}

static void *caller(void *arg)
{
    int id = (int)(intptr_t)arg;
    int (*volatile version)(void) = unit_version;
    int (*volatile mix)(int) = unit_mix;
    for (int x = 1; !stop; x = (x + 1) & 0xfff) {
        int before = __atomic_load_n(&finished, __ATOMIC_ACQUIRE);
        int v1 = unit_version();
        int v2 = version();
        int m1 = unit_mix(x) - x * 16;
        int m2 = mix(x) - x * 16;
        int after = __atomic_load_n(&finished, __ATOMIC_ACQUIRE);
        check(v1, before, after);
        check(v2, before, after);
        check(m1, before, after);
        check(m2, before, after);
        __atomic_store_n(&made[id], made[id] + 2, __ATOMIC_RELEASE); /* unit_version calls */
    }
    return NULL;
}

/* Waits until every thread called since the last checkpoint, so reloads
   overlap calls whatever the scheduling. */
static void checkpoint(long *seen)
{
    for (int i = 0; i < THREADS; i++) {
        while (__atomic_load_n(&made[i], __ATOMIC_ACQUIRE) == seen[i] && !wrong)
            sched_yield();
        seen[i] = __atomic_load_n(&made[i], __ATOMIC_ACQUIRE);
    }
}

static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    if (level >= HCR_LOG_WARN)
        fprintf(stderr, "%s\n", message);
}

TEST_TIMEOUT(four_threads_call_through_1000_reloads_of_four_versions, 300)
{
    hcr_set_log(quiet, NULL);
    long calls_before = unit_calls();
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&th[i], NULL, caller, (void *)(intptr_t)i), 0);
    long seen[THREADS] = {0};
    checkpoint(seen);
    for (int r = 0; r < RELOADS && !wrong; r++) {
        char path[512];
        snprintf(path, sizeof path, "%s/unit_v%d.o", UNIT_OBJDIR, r % VERSIONS + 1);
        int rc = hcr_object_reload(path);
        if (rc != 0) {
            stop = 1;
            harness_fail(__FILE__, __LINE__, "reload %d: %s", r, hcr_object_error());
        }
        __atomic_store_n(&finished, r + 1, __ATOMIC_RELEASE);
        if (r % 25 == 0)
            checkpoint(seen);
    }
    checkpoint(seen);
    stop = 1;
    long total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        total += made[i];
    }
    if (wrong)
        harness_fail(__FILE__, __LINE__,
                     "%ld wrong results; first: version %d between reloads %d and %d", wrong,
                     wrong_value, wrong_before, wrong_after);
    CHECK_EQ(unit_version(), version_after(RELOADS));
    CHECK_EQ(unit_mix(2), 32 + version_after(RELOADS));
    /* One static for all versions: every call counted, plus the one above. */
    CHECK_EQ(unit_calls() - calls_before, total + 1);
}
