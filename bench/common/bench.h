/* bench.h: timing samples and the one way benchmarks print them. */
#ifndef HCR_BENCH_H
#define HCR_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/* Prints "name: median X unit, p90 Y unit (n runs)" from samples in
   nanoseconds, scaled by `divisor` (1 for ns, 1000 for us...) with `unit`.
   Sorts the samples in place. */
void bench_report(const char *name, double *samples_ns, size_t n, double divisor,
                  const char *unit);

/* Prints the machine's state: its uptime (freshly started or
   long-running) and what a first write to a page costs (machine.c). */
void bench_machine_note(void);

#endif
