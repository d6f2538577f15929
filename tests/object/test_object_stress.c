/*
 * test_object_stress.c: four threads call the functions of a translation
 * unit in a tight loop, directly and through function pointers taken before
 * any reload, while the main thread reloads that unit 1,000 times,
 * alternating two versions. Every call must return a result of one of the
 * two versions, and nothing may crash. A round of calls that no reload
 * overlapped must return exactly the newest version's results, and after
 * every tenth reload (and the last) the main thread waits until each
 * caller has made such a round: reloads are proved to reach every thread
 * and every pointer taken before them.
 */
#include "harness.h"
#include "object_util.h"
#include "prog.h"

#include <hcr.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define RELOADS 1000
#define CHECKPOINT_EVERY 10 /* reloads between two waits for every caller */

static atomic_int stop;
static atomic_long calls, wrong, stale;
static atomic_int generation;      /* twice the reloads done, plus one during a reload */
static atomic_int checked[THREADS]; /* the generation each caller last checked exactly */

/* Reload r loads version 1 for even r and 2 for odd r, ending on 2. */
static const char *object_of_reload(int r)
{
    return obj(r % 2 ? "v2_prog_b.o" : "v1_prog_b.o");
}

static int version_after(int generation_)
{
    int reloads = generation_ / 2;
    return reloads == 0 ? 1 : (reloads - 1) % 2 ? 2 : 1;
}

static void *caller(void *arg)
{
    int (*volatile twice)(int) = b_twice;
    int (*volatile version)(void) = b_version;
    int me = (int)(intptr_t)arg, x = me + 3;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        int g = atomic_load(&generation);
        int v = version();
        int t = twice(x);
        int d = b_version();
        int c = b_calls_a();
        if ((v != 1 && v != 2) || (t != 2 * x && t != 3 * x) || (d != 1 && d != 2) ||
            (c != 10 && c != 100))
            atomic_fetch_add(&wrong, 1);
        if (g % 2 == 0 && atomic_load(&generation) == g) {
            /* No reload ran during the round (the main thread waits for
               this check before the next): only the newest version. */
            int want = version_after(g);
            if (v != want || d != want || t != (want == 1 ? 2 : 3) * x ||
                c != (want == 1 ? 10 : 100))
                atomic_fetch_add(&stale, 1);
            atomic_store(&checked[me], g);
        }
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    }
    return NULL;
}

/* Waits until every caller has checked generation g; 0 on time, -1 after
   the deadline. */
static int wait_checked(int g)
{
    for (long spins = 0; spins < 2000000000L; spins++) {
        int all = 1;
        for (int i = 0; i < THREADS; i++)
            all &= atomic_load(&checked[i]) == g;
        if (all)
            return 0;
        sched_yield();
    }
    return -1;
}

static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    if (level >= HCR_LOG_WARN)
        fprintf(stderr, "%s\n", message);
}

/* The number of reloads: 1,000, or a sample (an even number, ending on
   version 2) where the build asks for one through HCR_STRESS_SAMPLE, unless
   `make test-all` asks for everything (HCR_FAULT_ALL). */
static int reload_count(void)
{
    const char *sample = getenv("HCR_STRESS_SAMPLE"), *all = getenv("HCR_FAULT_ALL");
    int n = sample && !(all && *all && strcmp(all, "0")) ? atoi(sample) & ~1 : 0;
    return n > 0 && n < RELOADS ? n : RELOADS;
}

TEST_TIMEOUT(four_threads_call_through_1000_reloads, 600)
{
    hcr_set_log(quiet, NULL);
    const int reloads = reload_count();
    if (reloads < RELOADS)
        printf("     %d reloads of %d (HCR_STRESS_SAMPLE; make test-all runs them all)\n",
               reloads, RELOADS);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, caller, (void *)(intptr_t)i), 0);
    for (int r = 0; r < reloads; r++) {
        atomic_store(&generation, 2 * r + 1);
        int rc = hcr_object_reload(object_of_reload(r));
        if (rc != 0) {
            atomic_store(&stop, 1);
            harness_fail(__FILE__, __LINE__, "reload %d: %s", r, hcr_object_error());
        }
        atomic_store(&generation, 2 * r + 2);
        if ((r % CHECKPOINT_EVERY == 0 || r == reloads - 1) && wait_checked(2 * r + 2) < 0) {
            atomic_store(&stop, 1);
            harness_fail(__FILE__, __LINE__, "reload %d: a caller made no round after it", r);
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&wrong), 0);
    CHECK_EQ(atomic_load(&stale), 0);
    CHECK(atomic_load(&calls) >= (long)reloads / CHECKPOINT_EVERY);
    CHECK_EQ(b_version(), 2); /* the last reload's code */
    CHECK_EQ(b_twice(5), 15);
}
