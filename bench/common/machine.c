/* machine.c: what state the machine is in, printed beside the figures.
   Reload times on a virtual machine depend on how much a first write to a
   page costs: a few hundred nanoseconds on most machines, about 10 us on
   some freshly started VMs, where a page populated ahead (by the kernel,
   not yet written by the process) can cost as much again. The uptime
   alone does not say which: the probe measures it. */
#include "bench.h"

#include <stdio.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

enum { PROBE_PAGES = 512, PAGE = 4096 };

/* Seconds since boot, or -1. */
static double uptime_seconds(void)
{
    FILE *f = fopen("/proc/uptime", "r");
    double up = -1;
    if (f) {
        if (fscanf(f, "%lf", &up) != 1)
            up = -1;
        fclose(f);
    }
    return up;
}

/* Microseconds per page of the first write to PROBE_PAGES new pages of
   anonymous memory, populated ahead by the kernel when `populate`; -1 when
   the probe could not run (no MADV_POPULATE_WRITE before Linux 5.14). */
static double first_write_us(int populate)
{
    size_t size = (size_t)PROBE_PAGES * PAGE;
    volatile unsigned char *m =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    if (populate && madvise((void *)m, size, MADV_POPULATE_WRITE) != 0) {
        munmap((void *)m, size);
        return -1;
    }
    uint64_t t0 = bench_now_ns();
    for (size_t i = 0; i < size; i += PAGE)
        m[i] = 1;
    uint64_t t1 = bench_now_ns();
    munmap((void *)m, size);
    return (double)(t1 - t0) / 1000.0 / PROBE_PAGES;
}

void bench_machine_note(void)
{
    double up = uptime_seconds();
    if (up >= 0)
        printf("machine: up %d h %02d min: %s\n", (int)(up / 3600), (int)(up / 60) % 60,
               up < 600 ? "freshly started (under 10 min)" : "long-running (10 min or more)");
    double fresh = first_write_us(0), ahead = first_write_us(1);
    printf("machine: first write to a new page %.2f us, to a page populated ahead %.2f us: "
           "%s\n", fresh, ahead,
           fresh > 2 || ahead > 2 ? "slow (about 10 us on a freshly started VM of this kind)"
                                  : "fast");
    fflush(stdout);
}
