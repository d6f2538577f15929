/*
 * realprog.h: what the tests of rp (prog/) share (realprog.c): the probe
 * of each file and the golden script, checks that count failures without
 * stopping the test, the trace hook, and two worker threads evaluating a
 * script in a loop.
 */
#ifndef HCR_TEST_REALPROG_H
#define HCR_TEST_REALPROG_H

#include <hcr.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* What each file's edit changes. The probe of a file prints `before` with
   the program as built and `after` once <file>_edit.o is reloaded; no other
   edit changes what it prints. "trace: ..." is the last line the program
   gave rp_trace_hook during the probe. */
struct probe {
    const char *file;
    const char *script;
    const char *before;
    const char *after;
};

#define NFILES 27
extern const struct probe probes[NFILES];

/* A program that uses much of the language but nothing any edit changes:
   it prints the same text all through the test. */
extern const char golden_script[];
extern const char golden_expected[];

/* Failures are counted (`failures`), reported with what the test was
   doing (`step`, set_step) and hcr's log lines since (`reload_log`, which
   log_sink fills, printing them with `verbose`), and fail the test at the
   end. */
extern int failures;
extern char step[160];
extern char reload_log[1024];
extern int verbose;

void fail_soft(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void set_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_sink(enum hcr_log_level level, const char *message, void *user);

#define EXPECT(cond, ...)                                                                    \
    do {                                                                                     \
        if (!(cond))                                                                         \
            fail_soft(__FILE__, __LINE__, __VA_ARGS__);                                      \
    } while (0)

/* The trace hook (replacing the program's weak default) keeps the last
   line given on `main_thread` in trace_last, under trace_lock, and counts
   every line in trace_seen. */
extern pthread_t main_thread;
extern pthread_mutex_t trace_lock;
extern char trace_last[256];
extern long trace_seen;

/* The probe's output, with the trace line it produced if any. */
const char *run_probe(const struct probe *p, char *out, size_t cap);

/* Workers: each evaluates its script in a loop and checks that it prints
   what it printed the first time. */
struct worker {
    int index;
    pthread_t thread;
    char script[4096];
    char first[1024];
    char bad_output[1100];
    atomic_long progress;
    atomic_long bad;
};

extern struct worker workers[2];

/* Monotonic seconds. */
double now(void);
/* Starts both workers and checks what each printed first. */
void start_workers(void);
/* Waits until every worker has finished two more evaluations than when it
   was called (so at least one ran wholly after it was called). */
void wait_for_workers(void);
/* Stops both and reports (softly) any evaluation that printed otherwise. */
void stop_and_check_workers(void);

#endif
