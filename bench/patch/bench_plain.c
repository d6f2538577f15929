/*
 * bench_plain.c: redirecting 1,000 functions built without patchable
 * entries (a jump over their first bytes, written while every other
 * thread is paused) beside the same number with pads (single-byte writes,
 * no pause), side by side in one run, each as one change of the patcher,
 * the way a reload switches its functions. The program has 8 other
 * threads, in two shapes:
 *   idle  blocked on a condition variable (a server between requests);
 *   busy  calling one of the functions in a loop, on this 2-core machine
 *         more runnable threads than CPUs.
 * For the plain functions it also prints the longest time any thread was
 * held by the pause. Setup (copies, identities) is not timed.
 */
#include "bench.h"
#include "object/near_memory.h"
#include "object/patch.h"
#include "object/thread_pause.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int patch_template(int x);

#define FUNCTIONS 1000
#define THREADS 8
#define RUNS 15
#define STRIDE 64

/* mov %edi,%eax; add $1,%eax; ret: a leaf of 6 bytes without pads. */
static const unsigned char plain_leaf[] = {0x89, 0xf8, 0x83, 0xc0, 0x01, 0xc3};

/* n functions in near memory: copies of patch_template with its pads, or
   of plain_leaf. Returns their entries. */
static unsigned char **make_functions(int padded)
{
    uintptr_t a = (uintptr_t)patch_template, lo, hi;
    __asm__("" : "+r"(a));
    struct hcr__message msg;
    if (hcr__near_image_range((const void *)patch_template, &lo, &hi) < 0)
        exit(1);
    unsigned char *m = hcr__near_map(lo, hi, FUNCTIONS * STRIDE, &msg);
    unsigned char **entries = malloc(FUNCTIONS * sizeof *entries);
    if (!m || !entries) {
        fprintf(stderr, "bench_plain: %s\n", m ? "out of memory" : msg.text);
        exit(1);
    }
    memset(m, 0xcc, FUNCTIONS * STRIDE);
    for (size_t i = 0; i < FUNCTIONS; i++) {
        if (padded) {
            memcpy(m + i * STRIDE, (const unsigned char *)a - 5, 48);
            entries[i] = m + i * STRIDE + 5;
        } else {
            memcpy(m + i * STRIDE + 16, plain_leaf, sizeof plain_leaf);
            entries[i] = m + i * STRIDE + 16;
        }
    }
    mprotect(m, FUNCTIONS * STRIDE, PROT_READ | PROT_EXEC);
    return entries;
}

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;
static atomic_int stop;
static int (*volatile busy_target)(int);

static void *idle_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&idle_lock);
    while (!atomic_load(&stop))
        pthread_cond_wait(&idle_cond, &idle_lock);
    pthread_mutex_unlock(&idle_lock);
    return NULL;
}

static void *busy_thread(void *arg)
{
    (void)arg;
    long sink = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        sink += busy_target((int)sink);
    return (void *)sink;
}

/* Redirects every function to its v1 copy as one change; returns ns. */
static double switch_all(struct hcr__patch_target **t, unsigned char **to, int padded)
{
    struct hcr__patch_switch *sw = malloc(FUNCTIONS * sizeof *sw);
    for (size_t i = 0; i < FUNCTIONS; i++)
        sw[i] = (struct hcr__patch_switch){t[i], to[i], padded ? 0 : sizeof plain_leaf,
                                           !padded};
    struct hcr__message msg;
    uint64_t t0 = bench_now_ns();
    int rc = hcr__patch_switch_many(sw, FUNCTIONS, NULL, &msg);
    uint64_t t1 = bench_now_ns();
    free(sw);
    if (rc != 0) {
        fprintf(stderr, "bench_plain: %s\n", msg.text);
        exit(1);
    }
    return (double)(t1 - t0);
}

static void run(const char *shape, void *(*body)(void *))
{
    double padded[RUNS], plain[RUNS], held[RUNS];
    for (int r = 0; r < RUNS; r++) {
        unsigned char **po = make_functions(1), **pv = make_functions(1);
        unsigned char **qo = make_functions(0), **qv = make_functions(0);
        struct hcr__patch_target *pt[FUNCTIONS], *qt[FUNCTIONS];
        struct hcr__message msg;
        for (size_t i = 0; i < FUNCTIONS; i++)
            if (hcr__patch_target_get(po[i], 0, "padded", &pt[i], &msg) < 0 ||
                hcr__patch_target_get(qo[i], sizeof plain_leaf, "plain", &qt[i], &msg) < 0) {
                fprintf(stderr, "bench_plain: %s\n", msg.text);
                exit(1);
            }
        busy_target = (int (*)(int))(void *)qo[0];
        atomic_store(&stop, 0);
        pthread_t th[THREADS];
        for (int i = 0; i < THREADS; i++)
            pthread_create(&th[i], NULL, body, NULL);
        padded[r] = switch_all(pt, pv, 1);
        plain[r] = switch_all(qt, qv, 0);
        held[r] = (double)hcr__threads_last_hold_ns();
        atomic_store(&stop, 1);
        pthread_mutex_lock(&idle_lock);
        pthread_cond_broadcast(&idle_cond);
        pthread_mutex_unlock(&idle_lock);
        for (int i = 0; i < THREADS; i++)
            pthread_join(th[i], NULL);
        free(po), free(pv), free(qo), free(qv);
    }
    char name[96];
    snprintf(name, sizeof name, "%s: 1000 functions with pads, first redirect", shape);
    bench_report(name, padded, RUNS, 1000.0, "us");
    snprintf(name, sizeof name, "%s: 1000 functions without pads, first redirect", shape);
    bench_report(name, plain, RUNS, 1000.0, "us");
    snprintf(name, sizeof name, "%s: longest time a thread was held (8 threads)", shape);
    bench_report(name, held, RUNS, 1000.0, "us");
}

int main(void)
{
    bench_machine_note();
    run("idle", idle_thread);
    run("busy", busy_thread);
    return 0;
}
