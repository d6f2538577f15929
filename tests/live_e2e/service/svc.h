/*
 * svc.h: the counter service's shared header, included by every unit.
 * The end-to-end tests edit SVC_BONUS while the service runs: the replies
 * of counter.c and greet.c both print it.
 */
#ifndef SVC_H
#define SVC_H

#include <stddef.h>

#define SVC_BONUS 0

/* Set by the CMake build only: a reply built from a recompile that missed
   the database's -D says "plain". */
#ifdef SVC_BUILT_BY_CMAKE
#define SVC_BUILD "cmake"
#else
#define SVC_BUILD "plain"
#endif

/* Given only to recompiles, by `hcr run --cflags -DSVC_EXTRA=N`. */
#ifndef SVC_EXTRA
#define SVC_EXTRA 0
#endif

/* counter.c */
int counter_inc(void);
void counter_report(char *out, size_t size);

/* greet.c */
void greet(char *out, size_t size, const char *name);

/* tick.c: advanced by the main loop whenever no command is waiting. */
void tick_step(void);
void tick_report(char *out, size_t size);

/* tally.c, in the shared library libtally.so */
void tally_add(void);
void tally_report(char *out, size_t size);

#endif
