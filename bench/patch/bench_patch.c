/*
 * bench_patch.c: the cost of redirecting functions with the patcher, for
 * 10, 100 and 1,000 functions at once:
 *   first redirect  every original's pre-entry jump and entry bytes are
 *                   written (what a function's first reload costs);
 *   retarget        every function already redirected gets a newer
 *                   version (one slot store each: later reloads);
 *   revert          back to the originals (one entry byte each).
 * Functions are copies of a leaf with pads placed in near memory; the
 * setup (copies, identities) is not timed.
 */
#include "bench.h"
#include "object/near_memory.h"
#include "object/patch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int patch_template(int x);

#define STRIDE 64 /* keeps each copy's entry at 16k + 5 */
#define RUNS 15

/* n copies of patch_template; returns their entries, NULL on failure. */
static unsigned char **make_copies(size_t n, void **map, size_t *size)
{
    uintptr_t a = (uintptr_t)patch_template;
    __asm__("" : "+r"(a));
    const unsigned char *src = (const unsigned char *)a - 5;
    uintptr_t lo, hi;
    if (hcr__near_image_range((const void *)patch_template, &lo, &hi) < 0)
        return NULL;
    struct hcr__message msg;
    *size = n * STRIDE;
    unsigned char *m = hcr__near_map(lo, hi, *size, &msg);
    unsigned char **entries = malloc(n * sizeof *entries);
    if (!m || !entries) {
        fprintf(stderr, "bench_patch: %s\n", m ? "out of memory" : msg.text);
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(m + i * STRIDE, src, 48);
        entries[i] = m + i * STRIDE + 5;
    }
    mprotect(m, *size, PROT_READ | PROT_EXEC);
    *map = m;
    return entries;
}

static void set_all(struct hcr__patch_target **t, unsigned char **to, size_t n)
{
    struct hcr__message msg;
    for (size_t i = 0; i < n; i++)
        if (hcr__patch_target_set(t[i], to[i], &msg) != 0) {
            fprintf(stderr, "bench_patch: %s\n", msg.text);
            exit(1);
        }
}

static void bench_count(size_t n)
{
    double first[RUNS], retarget[RUNS], revert[RUNS];
    for (int run = 0; run < RUNS; run++) {
        void *m1, *m2, *m3;
        size_t s1, s2, s3;
        unsigned char **orig = make_copies(n, &m1, &s1);
        unsigned char **v1 = make_copies(n, &m2, &s2);
        unsigned char **v2 = make_copies(n, &m3, &s3);
        struct hcr__patch_target **t = malloc(n * sizeof *t);
        struct hcr__message msg;
        for (size_t i = 0; i < n; i++)
            if (hcr__patch_target_get(orig[i], 0, "copy", &t[i], &msg) < 0) {
                fprintf(stderr, "bench_patch: %s\n", msg.text);
                exit(1);
            }
        uint64_t t0 = bench_now_ns();
        set_all(t, v1, n);
        uint64_t t1 = bench_now_ns();
        set_all(t, v2, n); /* v1's entries get their first redirect too */
        set_all(t, v1, n);
        uint64_t t2 = bench_now_ns();
        set_all(t, v2, n); /* now a pure retarget: every entry redirected */
        uint64_t t3 = bench_now_ns();
        set_all(t, orig, n);
        uint64_t t4 = bench_now_ns();
        (void)t2;
        first[run] = (double)(t1 - t0);
        retarget[run] = (double)(t3 - t2);
        revert[run] = (double)(t4 - t3);
        /* Identities live forever; the copies may go once unreferenced. */
        for (size_t i = 0; i < n; i++) {
            hcr__patch_target_forget(t[i], v1[i]);
            hcr__patch_target_forget(t[i], v2[i]);
        }
        free(t);
        free(orig);
        free(v1);
        free(v2);
        (void)m2, (void)m3, (void)s2, (void)s3, (void)m1, (void)s1;
    }
    char name[96];
    snprintf(name, sizeof name, "first redirect, %4zu functions", n);
    bench_report(name, first, RUNS, 1000.0, "us");
    snprintf(name, sizeof name, "retarget,       %4zu functions", n);
    bench_report(name, retarget, RUNS, 1000.0, "us");
    snprintf(name, sizeof name, "revert,         %4zu functions", n);
    bench_report(name, revert, RUNS, 1000.0, "us");
}

int main(void)
{
    bench_count(10);
    bench_count(100);
    bench_count(1000);
    return 0;
}
