/*
 * fault.h: fault injection for the tests. A test executable linked with
 * fault.c and the link options of HCR_FAULT_LINK_OPTIONS (tests/CMakeLists:
 * -Wl,--wrap for malloc, calloc, realloc, strdup, strndup, mmap, open and
 * openat) routes every such call made by hcr's code and the test's through
 * a counter; armed, the Nth counted call fails as the system's would (NULL
 * with ENOMEM, MAP_FAILED with ENOMEM, -1 with EMFILE). Calls inside
 * shared libraries (libdw, json-c, libc's own, the dynamic loader's) are
 * not counted: they handle their own failures, and hcr's handling of
 * theirs is what the errors of their APIs test.
 *
 * Which calls count is the case's choice: those of the thread that armed
 * (the host's, calling hcr's API), or those of every other thread (hcr's
 * own: the watch thread, the live-editing thread), for the work hcr does
 * in the background.
 *
 * fault_sweep runs an operation once per N in a child process of its own,
 * so every run starts from the same state and LeakSanitizer (in sanitizer
 * builds) checks each for leaks.
 */
#ifndef HCR_TEST_FAULT_H
#define HCR_TEST_FAULT_H

/* Whose calls a case counts. */
enum fault_thread {
    FAULT_ON_CALLER,     /* the thread that runs op */
    FAULT_ON_HCR_THREADS /* every other thread: hcr's own */
};

/* Which calls a case counts (0: FAULT_ALLOC | FAULT_MMAP). */
enum {
    FAULT_ALLOC = 1 << 0, /* malloc, calloc, realloc, strdup, strndup */
    FAULT_MMAP = 1 << 1,
    FAULT_OPEN = 1 << 2, /* open, openat */
};

struct fault_case {
    const char *name;
    /* Before arming: brings the process to the state the operation starts
       from. May fail the test. */
    void (*setup)(void *arg);
    /* The operation under test, armed; returns its result code. With
       FAULT_ON_HCR_THREADS it returns once hcr's threads have done the
       work it handed them (fault_wait_idle), so that every run counts the
       same calls. */
    int (*op)(void *arg);
    /* After disarming: rc is what op returned, `faulted` whether the Nth
       call was reached (and failed). Must fail the test unless the result
       is a clean error (faulted) or success, the state is as before
       (faulted), and the process can go on (for example, the operation
       succeeds when tried again). */
    void (*check)(void *arg, int rc, int faulted);
    void *arg;
    enum fault_thread on;
    unsigned calls;
};

/* Runs c for N = 1, 1 + step, 1 + 2 step, ... until a run does not reach
   its Nth call. Fails the test on a failed check, a crash, a leak or a
   hang. Returns how many runs were made. To look into one failing N,
   HCR_FAULT_FROM=N starts there, and HCR_FAULT_TRACE=1 prints where each
   failing call was made. */
int fault_sweep(const struct fault_case *c, int step);

/* The step fault_sweep callers use: 1 with HCR_FAULT_ALL=1 in the
   environment (make test-all), else `sampled`. */
int fault_step(int sampled);

/* Waits until the thread named `name` (hcr's "hcr-watch", "hcr-live")
   sleeps in poll() with no timeout and the process has no child process
   (a compile), the thread not having run while the test looked for one:
   it has served every event and work item handed to it before the call,
   and has nothing scheduled. A thread found so is asleep in the kernel
   with nothing to wake it, which no sleep of the test's can promise.
   Fails the test after timeout_ms (scaled, harness_scale). */
void fault_wait_idle(const char *name, int timeout_ms);

#endif
