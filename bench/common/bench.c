/* bench.c: sorting samples and printing median and p90. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bench_report(const char *name, double *samples_ns, size_t n, double divisor,
                  const char *unit)
{
    if (n == 0) {
        printf("%-58s no samples\n", name);
        return;
    }
    qsort(samples_ns, n, sizeof *samples_ns, compare_double);
    double median = samples_ns[n / 2] / divisor;
    double p90 = samples_ns[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1] / divisor;
    printf("%-58s median %10.3f %s   p90 %10.3f %s   (%zu runs)\n", name, median, unit, p90,
           unit, n);
    fflush(stdout);
}
