/*
 * test_patch_stress.c: four threads call patched functions in a tight loop
 * while the main thread retargets them 1,000 times. Every result must come
 * from a version that was current at some point during the call, and calls
 * through the original entry must never go back to an older version while
 * versions only move forward. A crash or a wrong result fails the test.
 *
 * Versions are hand-made: copies of a position-independent leaf function
 * (with pads) placed in near memory with a distinct constant each, and four
 * functions compiled with pads that the main thread cycles through.
 */
#include "harness.h"
#include "object/near_memory.h"
#include "object/patch.h"
#include "patch_subjects.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#define THREADS 4
#define RETARGETS 1000
/* Cycling flips entries on and off, the moments a bad write order would
   show: more of them make such a bug visible on nearly every run. */
#define CYCLE_RETARGETS 5000
#define COPY_STRIDE 64 /* keeps each copy's entry at 16k + 5, like the compiler */

typedef int (*version_fn)(int);

struct shared {
    version_fn *copies;            /* copies[1..RETARGETS] */
    volatile int published;        /* newest version whose set returned */
    _Atomic int stop;
    volatile long calls[THREADS];  /* per-thread progress, read and written atomically */
    _Atomic long errors;
    volatile int first_bad, first_bad_thread;
};

static struct shared S;

static int call(version_fn volatile fn, int x)
{
    return fn(x);
}

static void bad(int thread, int value)
{
    if (atomic_fetch_add_explicit(&S.errors, 1, memory_order_relaxed) == 0) {
        S.first_bad = value;
        S.first_bad_thread = thread;
    }
}

/* Waits until every thread has made a call since the last checkpoint, so
   the retargets overlap with calls without any timing assumption. */
static void checkpoint(long *seen)
{
    for (int i = 0; i < THREADS; i++) {
        while (__atomic_load_n(&S.calls[i], __ATOMIC_ACQUIRE) == seen[i] && !S.errors)
            sched_yield();
        seen[i] = __atomic_load_n(&S.calls[i], __ATOMIC_ACQUIRE);
    }
}

static const unsigned char *code(const void *fn)
{
    uintptr_t a = (uintptr_t)fn;
    __asm__("" : "+r"(a));
    return (const unsigned char *)a;
}

/* Makes RETARGETS copies of stress_template, copy k returning x + k, each
   starting `shift` bytes into its COPY_STRIDE block (0: entry at 16k + 5 as
   the compiler lays it out; 8: the pads straddle two 16-byte blocks). */
static version_fn *make_copies(void **mapping, size_t *size, size_t shift)
{
    const unsigned char *entry = code((const void *)stress_template);
    const unsigned char *src = entry - 5;
    size_t body = 48;
    int constant_at = -1;
    for (int i = 5; i + 4 <= (int)body; i++) {
        int32_t v;
        memcpy(&v, src + i, 4);
        if (v == STRESS_TEMPLATE_CONSTANT) {
            constant_at = i;
            break;
        }
    }
    CHECK(constant_at > 0);
    uintptr_t lo, hi;
    CHECK_EQ(hcr__near_image_range(entry, &lo, &hi), 0);
    *size = (size_t)(RETARGETS + 2) * COPY_STRIDE;
    struct hcr__message msg = {{0}};
    unsigned char *m = hcr__near_map(lo, hi, *size, &msg);
    if (!m)
        harness_fail(__FILE__, __LINE__, "%s", msg.text);
    static version_fn copies[RETARGETS + 1];
    for (int k = 1; k <= RETARGETS; k++) {
        unsigned char *dst = m + (size_t)k * COPY_STRIDE + shift;
        memcpy(dst, src, body);
        int32_t v = k;
        memcpy(dst + constant_at, &v, 4);
        copies[k] = (version_fn)(void *)(dst + 5);
    }
    CHECK_EQ(mprotect(m, *size, PROT_READ | PROT_EXEC), 0);
    *mapping = m;
    return copies;
}

static void *forward_caller(void *arg)
{
    int id = (int)(intptr_t)arg;
    version_fn volatile original = stress_template;
    int last = 0;
    unsigned seed = 12345u + (unsigned)id;
    for (int x = 0; !S.stop; x = (x + 1) & 0xffff) {
        int floor = __atomic_load_n(&S.published, __ATOMIC_ACQUIRE);
        /* Through the original entry, direct and by pointer. */
        int v = stress_template(x) - x;
        if (v < floor || v > RETARGETS || v < last)
            bad(id, v);
        last = v;
        v = call(original, x) - x;
        if (v < floor || v > RETARGETS || v < last)
            bad(id, v);
        last = v;
        /* Through an old copy's entry: redirected to a version >= floor. */
        seed = seed * 1103515245u + 12345u;
        int j = 1 + (int)((seed >> 8) % (unsigned)floor);
        v = call(S.copies[j], x) - x;
        if (v < floor || v > RETARGETS)
            bad(id, v);
        __atomic_store_n(&S.calls[id], S.calls[id] + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void move_forward(size_t shift)
{
    void *mapping;
    size_t size;
    S.copies = make_copies(&mapping, &size, shift);
    struct hcr__message msg = {{0}};
    struct hcr__patch_target *t;
    CHECK_EQ(hcr__patch_target_get((void *)stress_template, 0, "stress", &t, &msg), 0);
    CHECK_EQ(hcr__patch_target_set(t, (void *)S.copies[1], &msg), 0);
    __atomic_store_n(&S.published, 1, __ATOMIC_RELEASE);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&th[i], NULL, forward_caller, (void *)(intptr_t)i), 0);
    long seen[THREADS] = {0};
    checkpoint(seen);
    for (int k = 2; k <= RETARGETS && !S.errors; k++) {
        int rc = hcr__patch_target_set(t, (void *)S.copies[k], &msg);
        if (rc != 0)
            harness_fail(__FILE__, __LINE__, "set %d: %s", k, msg.text);
        __atomic_store_n(&S.published, k, __ATOMIC_RELEASE);
        if (k % 50 == 0)
            checkpoint(seen);
    }
    checkpoint(seen);
    S.stop = 1;
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    if (S.errors)
        harness_fail(__FILE__, __LINE__, "%ld wrong results, first %d on thread %d", S.errors,
                     S.first_bad, S.first_bad_thread);
    CHECK_EQ(stress_template(0), RETARGETS);
    CHECK_EQ(call(S.copies[1], 0), RETARGETS);
}

TEST_TIMEOUT(four_threads_while_versions_move_forward, 60)
{
    move_forward(0);
}

TEST_TIMEOUT(four_threads_while_straddling_versions_move_forward, 60)
{
    move_forward(8); /* every copy's entry switch serialises the CPUs */
}

/* Cycling: results must be one of the four versions; after the final set
   is published every entry must give the final version. */
static const version_fn cycle[4] = {cycle_0, cycle_1, cycle_2, cycle_3};
static volatile int final_version = -1;

static void *cycle_caller(void *arg)
{
    int id = (int)(intptr_t)arg;
    version_fn volatile entries[4] = {cycle_0, cycle_1, cycle_2, cycle_3};
    for (int x = 0; !S.stop; x = (x + 1) & 0xffff) {
        int final = __atomic_load_n(&final_version, __ATOMIC_ACQUIRE);
        for (int e = 0; e < 4; e++) {
            int v = call(entries[e], x) - x;
            int ok = v == 100 || v == 200 || v == 300 || v == 400;
            if (!ok || (final >= 0 && v != (final + 1) * 100))
                bad(id, v);
        }
        int v = cycle_0(x) - x; /* direct call to the original */
        if (v % 100 != 0 || v < 100 || v > 400)
            bad(id, v);
        __atomic_store_n(&S.calls[id], S.calls[id] + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

TEST_TIMEOUT(four_threads_while_versions_cycle_and_revert, 60)
{
    struct hcr__message msg = {{0}};
    struct hcr__patch_target *t;
    CHECK_EQ(hcr__patch_target_get((void *)cycle_0, 0, "cycle", &t, &msg), 0);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&th[i], NULL, cycle_caller, (void *)(intptr_t)i), 0);
    long seen[THREADS] = {0};
    checkpoint(seen);
    unsigned seed = 99;
    int current = 0;
    for (int k = 0; k < CYCLE_RETARGETS && !S.errors; k++) {
        seed = seed * 1103515245u + 12345u;
        int next = (int)((seed >> 8) % 4);
        if (next == current)
            next = (next + 1) % 4;
        int rc = hcr__patch_target_set(t, (void *)cycle[next], &msg);
        if (rc != 0)
            harness_fail(__FILE__, __LINE__, "set %d: %s", k, msg.text);
        current = next;
        if (k % 50 == 0)
            checkpoint(seen);
    }
    CHECK_EQ(hcr__patch_target_set(t, (void *)cycle_2, &msg), 0);
    __atomic_store_n(&final_version, 2, __ATOMIC_RELEASE);
    checkpoint(seen);
    checkpoint(seen);
    S.stop = 1;
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    if (S.errors)
        harness_fail(__FILE__, __LINE__, "%ld wrong results, first %d on thread %d", S.errors,
                     S.first_bad, S.first_bad_thread);
    for (int e = 0; e < 4; e++)
        CHECK_EQ(cycle[e](1), 301);
}
