/*
 * bench_object.c: how long hcr_object_reload takes (read, validate, link,
 * redirect every function) for one translation unit of 10, 100 and 1,000
 * functions, each with a file static, and how long gcc takes to compile
 * that unit with the reload flags: hcr's share of an edit-to-running cycle.
 */
#include "bench.h"

#include <hcr.h>
#include <stdio.h>
#include <stdlib.h>

#define RELOADS 60
#define COMPILES 5

int unit10_f1(int x);
int unit100_f1(int x);
int unit1000_f1(int x);

static void quiet(enum hcr_log_level level, const char *message, void *user)
{
    (void)user;
    if (level >= HCR_LOG_WARN)
        fprintf(stderr, "%s\n", message);
}

static int bench_size(int n, int (*f1)(int))
{
    char name[96], path[2][512], cmd[2048];
    double reload_ns[RELOADS], compile_ns[COMPILES];
    for (int v = 0; v < 2; v++)
        snprintf(path[v], sizeof path[v], "%s/v%d/unit%d.o", GEN_DIR, v + 1, n);
    for (int r = 0; r < RELOADS; r++) {
        int version = r % 2 ? 1 : 2; /* version 2 first: the first reload changes code */
        uint64_t t0 = bench_now_ns();
        int rc = hcr_object_reload(path[version - 1]);
        uint64_t t1 = bench_now_ns();
        if (rc != 0) {
            fprintf(stderr, "bench_object: %s\n", hcr_object_error());
            return 1;
        }
        /* f1(x) adds x to its static s and returns x * version + 1 + s:
           f1(1) - f1(0) == version + 1, with s kept across reloads. */
        int a = f1(0), b = f1(1);
        if (b - a != version + 1) {
            fprintf(stderr, "bench_object: unit%d runs the wrong version\n", n);
            return 1;
        }
        reload_ns[r] = (double)(t1 - t0);
    }
    for (int c = 0; c < COMPILES; c++) {
        snprintf(cmd, sizeof cmd, "%s %s -c %s/v2/unit%d.c -o %s/bench_compile_%d.o", BENCH_CC,
                 BENCH_FLAGS, GEN_DIR, n, GEN_DIR, n);
        uint64_t t0 = bench_now_ns();
        if (system(cmd) != 0) {
            fprintf(stderr, "bench_object: %s failed\n", cmd);
            return 1;
        }
        compile_ns[c] = (double)(bench_now_ns() - t0);
    }
    snprintf(name, sizeof name, "object reload (link+patch), %4d functions", n);
    bench_report(name, reload_ns, RELOADS, 1e6, "ms");
    snprintf(name, sizeof name, "  gcc -O2 compile of the same unit, %4d functions", n);
    bench_report(name, compile_ns, COMPILES, 1e6, "ms");
    return 0;
}

int main(void)
{
    hcr_set_log(quiet, NULL);
    int rc = bench_size(10, unit10_f1);
    rc |= bench_size(100, unit100_f1);
    rc |= bench_size(1000, unit1000_f1);
    return rc;
}
