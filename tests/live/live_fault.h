/*
 * live_fault.h: what the fault sweeps over live editing share
 * (live_fault.c). The test process loads a small library built here with
 * the reload flags, libfaultunit.so, whose one unit, unit.c, lives in the
 * test's directory; a save rewrites unit.c with a new return value. A
 * log sink, which runs on hcr's threads while they are armed and so
 * allocates nothing, records what live editing said.
 */
#ifndef HCR_TEST_LIVE_FAULT_H
#define HCR_TEST_LIVE_FAULT_H

#include <hcr.h>
#include <pthread.h>

/* fault_unit_value() of libfaultunit.so, through its address: the value
   of the code that runs. */
extern int (*unit_value)(void);

/* What live editing logged through live_log_sink since the last
   reset_log(), and (`all`) since this process started it. */
struct live_log {
    pthread_mutex_t lock;
    int discovered; /* "N units of ..., watching": this process leads */
    int took_over;  /* this process, which followed, compiles now */
    int errors, warnings, reloads;
    char last_error[1024]; /* the newest error */
    char all[8192];
};
extern struct live_log logged;

void live_log_sink(enum hcr_log_level level, const char *message, void *user);
void reset_log(void);
/* Prints `all` to stderr: where a save went in a run that failed. */
void show_log(void);

/* Writes unit.c returning `value`, as editors save: a new file renamed
   over the old. */
void save_unit(int value);
/* Builds libfaultunit.so from unit.c in the test's directory, with
   relative paths as a build would, and loads it (unit_value() is 1). */
void build_and_load_unit(void);

/* Waits until hcr's live thread has nothing left to do (fault_wait_idle). */
void wait_live_idle(void);
/* Waits until live editing has logged its discovery (`discovered`). */
void wait_discovered(void);

#endif
