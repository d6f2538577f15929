/*
 * test_object_stress.c: four threads call the functions of a translation
 * unit in a tight loop, directly and through function pointers taken before
 * any reload, while the main thread reloads that unit 1,000 times,
 * alternating two versions. Every call must return a result of one of the
 * two versions, and nothing may crash.
 */
#include "harness.h"
#include "object_util.h"
#include "prog.h"

#include <hcr.h>
#include <pthread.h>
#include <stdatomic.h>

#define THREADS 4
#define RELOADS 1000

static atomic_int stop;
static atomic_long calls, wrong;

static void *caller(void *arg)
{
    int (*volatile twice)(int) = b_twice;
    int (*volatile version)(void) = b_version;
    int x = (int)(intptr_t)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        int v = version();
        int t = twice(x);
        int d = b_version();
        int c = b_calls_a();
        if ((v != 1 && v != 2) || (t != 2 * x && t != 3 * x) || (d != 1 && d != 2) ||
            (c != 10 && c != 100))
            atomic_fetch_add(&wrong, 1);
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    }
    return NULL;
}

static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    if (level >= HCR_LOG_WARN)
        fprintf(stderr, "%s\n", message);
}

TEST_TIMEOUT(four_threads_call_through_1000_reloads, 600)
{
    hcr_set_log(quiet, NULL);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, caller, (void *)(intptr_t)(i + 3)), 0);
    for (int r = 0; r < RELOADS; r++) {
        const char *path = obj(r % 2 ? "v1_prog_b.o" : "v2_prog_b.o");
        int rc = hcr_object_reload(path);
        if (rc != 0) {
            atomic_store(&stop, 1);
            harness_fail(__FILE__, __LINE__, "reload %d: %s", r, hcr_object_error());
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&wrong), 0);
    CHECK(atomic_load(&calls) > 0);
    CHECK_EQ(b_version(), 1);
    CHECK_EQ(b_twice(5), 10);
}
